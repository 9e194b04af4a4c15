#!/usr/bin/env bash
# RESULTS.md from scratch or where it stopped: set up what is missing, run every experiment's
# standard profile (5 seeds; resumes: finished runs are kept, a killed run continues from its
# checkpoint) into results/standard/<experiment>/, then the compact report
# (results/standard/report/) and the blocks of RESULTS.md that actlab writes (`actlab results`).
# Measured 2026-11-24 with 3 seeds: 2 h 23 min on 2 CPU cores, partly beside builds and CI; each
# file's [standard] budget says its share (5 seeds: about 5/3 of that).
# Usage: bash scripts/standard.sh [experiment ...]   (default: all, in RESULTS.md's order)
#        bash scripts/standard.sh --report-only       (no runs: the report and RESULTS.md's tables
#                                                      from the committed records, ~2 minutes)
# Jobs at a time: ACTLAB_JOBS (default 2: one thread per run on 2 cores).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
setup
cd "$ACTLAB_ROOT"  # relative paths: the committed records and report name no machine's folders

# RESULTS.md's blocks, in its order: the report numbers its figures in this order, and the
# document links them by number.
# (Section 2 reads results/full/relu_vs_tanh_speed, the paper's scale; the standard profile's
# records still feed the report.)
mapfile -t all < <(sed -n 's|^<!-- actlab verdicts results/[a-z]*/\([^ ]*\) -->$|\1|p' RESULTS.md)
# A file without a block is run when named (its records come before its section), never silently.
for file in experiments/*.toml; do
  name=$(basename "$file" .toml)
  printf '%s\n' "${all[@]}" | grep -qx "$name" ||
    log "not in RESULTS.md yet: $name (run: bash scripts/standard.sh $name; then add a section with <!-- actlab verdicts results/standard/$name -->)"
done
chosen=("$@")
[ ${#chosen[@]} -gt 0 ] || chosen=("${all[@]}")
[ "${1:-}" = --report-only ] && chosen=()
actlab="$ACTLAB_BUILD_DIR/actlab"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
for experiment in "${chosen[@]}"; do
  [ -f "experiments/$experiment.toml" ] || die "no experiments/$experiment.toml"
  log "standard profile: $experiment"
  # activation_cost times code side by side in one process: one run at a time keeps it honest.
  jobs="${ACTLAB_JOBS:-2}"
  [ "$experiment" = activation_cost ] && jobs=1
  "$actlab" run "experiments/$experiment.toml" --profile standard -j "$jobs" \
    --out "results/standard/$experiment"
done
dirs=()
for experiment in "${all[@]}"; do
  [ -d "results/standard/$experiment/runs" ] && dirs+=("results/standard/$experiment")
done
log "report: results/standard/report"
"$actlab" report --compact --out results/standard/report "${dirs[@]}"
"$actlab" results RESULTS.md
