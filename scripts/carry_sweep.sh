#!/usr/bin/env bash
# Carries a sweep to another machine through git: stages SWEEP's records for a commit, and for
# every unfinished run that has a checkpoint also its checkpoint and TensorBoard event file
# (.gitignore keeps those out of ordinary commits), so that `actlab run` there resumes the run
# instead of starting it over. Checkpoints only resume under the same build (the commit that
# wrote them, `actlab --version`): build that commit there. Stop the sweep first (Ctrl-C, or
# --stop, which sends SIGINT: each run checkpoints where it is and exits).
#
#   scripts/carry_sweep.sh [--stop] SWEEP   then: git commit -m "SWEEP: records and unfinished runs"
#
# A run that finishes later deletes its checkpoint; the next carry stages that deletion and takes
# its event file out of git again (records only, as .gitignore has it).
set -euo pipefail
stop=false
if [ "${1:-}" = "--stop" ]; then
  stop=true
  shift
fi
sweep="${1:?usage: carry_sweep.sh [--stop] SWEEP}"
[ -f "$sweep/experiment.toml" ] || {
  echo "carry_sweep.sh: '$sweep' is not a sweep folder (no experiment.toml)" >&2
  exit 2
}
if $stop; then
  # The sweep holds SWEEP/sweep.lock open; its pid is the process that runs `actlab run` (or a
  # pinned build of it, e.g. actlab-1668bba run).
  pids=$(pgrep -f "actlab[^ ]* run .*--out[= ]$sweep" || true)
  for pid in $pids; do kill -INT "$pid"; done
  for _ in $(seq 120); do
    pgrep -f "actlab[^ ]* run .*--out[= ]$sweep" >/dev/null || break
    sleep 1
  done
fi
status_of() {
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("status", ""))' "$1" \
    2>/dev/null || echo unreadable
}
carried=0
finished=0
for run in "$sweep"/runs/*/ "$sweep"/tune/runs/*/ "$sweep"/neighbours/runs/*/; do
  [ -f "$run/summary.json" ] || continue
  case "$(status_of "$run/summary.json")" in
    completed | diverged)
      git add -A "$run"
      # Back to records only (as .gitignore has it) once the run no longer needs its event file.
      git rm -q --cached --ignore-unmatch "$run"/events.out.tfevents.* >/dev/null
      finished=$((finished + 1))
      ;;
    *)
      [ -f "$run/checkpoint.pt" ] || continue
      git add -A "$run"
      git add -f "$run/checkpoint.pt" "$run/checkpoint.json" "$run"/events.out.tfevents.*
      echo "unfinished, carried with its checkpoint: $run"
      carried=$((carried + 1))
      ;;
  esac
done
for table in "$sweep/results.csv" "$sweep/experiment.toml" "$sweep/tune/results.csv" \
  "$sweep/tune/choice.json" "$sweep/neighbours/results.csv"; do
  if [ -f "$table" ]; then git add "$table"; fi
done
echo "staged $finished finished runs and $carried unfinished ones of $sweep"
