#!/usr/bin/env bash
# The committed records reproduce the committed tables, verdicts and report numbers (issue
# "Answers"): on a copy of results/standard/ and results/full/ without anything but the records,
# `actlab collect` rewrites every sweep's results.csv and `actlab verdict` its verdicts.json byte
# for byte (what RESULTS.md and the report show is read from verdicts.json), and `actlab report
# --json-only` over the report's folders gives results/standard/report/report.json again (all
# but `generated_by`, the commit drawing it).
# Usage: reproduce_test.sh ACTLAB_BINARY SOURCE_DIR
set -euo pipefail
actlab=$1
root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$root"
[ -d results/standard ] || { echo "no results/standard in $root"; exit 1; }
# Records only, as a clean clone has them (.gitignore keeps the rest out of the repository).
tar -c --exclude='model.pt' --exclude='checkpoint.*' --exclude='events.out.tfevents.*' \
  --exclude='results.db' --exclude='sweep.lock' --exclude='report' results/standard \
  $( [ -d results/full ] && echo results/full ) | tar -x -C "$tmp"
cd "$tmp"
checked=0
for dir in results/standard/*/ results/full/*/; do
  dir=${dir%/}
  # A table of tuned rates (experiments/tables/) is its tuning stage and nothing else.
  [ ! -f "$dir/experiment.toml" ] && [ -f "$dir/tune/experiment.toml" ] && dir=$dir/tune
  [ -f "$dir/experiment.toml" ] || continue
  cp "$dir/results.csv" "$tmp/expected.csv"
  "$actlab" collect "$dir" >/dev/null
  if ! cmp -s "$dir/results.csv" "$tmp/expected.csv"; then
    echo "FAIL: actlab collect $dir gives another results.csv than the committed one:"
    diff "$tmp/expected.csv" "$dir/results.csv" | head -5
    exit 1
  fi
  if [ -f "$dir/verdicts.json" ]; then
    cp "$dir/verdicts.json" "$tmp/expected.json"
    "$actlab" verdict "$dir" >/dev/null || true  # exit 1 when a verdict fails; the file is the check
    if ! cmp -s "$dir/verdicts.json" "$tmp/expected.json"; then
      echo "FAIL: actlab verdict $dir gives another verdicts.json than the committed one (fix:"
      echo "  actlab verdict $dir, then actlab results RESULTS.md):"
      diff "$tmp/expected.json" "$dir/verdicts.json" | head -5
      exit 1
    fi
  fi
  checked=$((checked + 1))
done
echo "collect, verdict: $checked sweeps give their committed results.csv and verdicts.json"
[ "$checked" -gt 0 ] || { echo "FAIL: no sweep folder under results/standard"; exit 1; }

report="$root/results/standard/report/report.json"
[ -f "$report" ] || { echo "FAIL: no $report: run bash scripts/standard.sh"; exit 1; }
mapfile -t dirs < <(python3 -c 'import json,sys; [print(s["dir"]) for s in json.load(open(sys.argv[1]))["sources"]]' "$report")
"$actlab" report --json-only --out "$tmp/report" "${dirs[@]}" >/dev/null
python3 - "$report" "$tmp/report/report.json" <<'PY'
import json, sys
committed, again = (json.load(open(path)) for path in sys.argv[1:3])
for data in (committed, again):
    data.pop("generated_by")
if committed != again:
    for key in committed:
        if committed[key] != again.get(key):
            sys.exit(f"FAIL: report.json's '{key}' differs from the committed report's; fix: bash "
                     "scripts/standard.sh (redoes no finished run; rewrites the report and the "
                     "tables of RESULTS.md)")
    sys.exit("FAIL: report.json differs from the committed report's")
print(f"report: {len(again['sources'])} sweeps give the committed report.json")
PY
