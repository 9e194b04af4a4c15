#!/usr/bin/env bash
# Command 1 of the README: set up what is missing (packages, build, CIFAR-10), then run the main
# job: the quickstart experiment's quick profile, relu vs tanh vs sigmoid with and without batch
# norm on krizhevsky4 (6 runs on 5,000 images, about 4 minutes on 2 CPU cores), its table, and
# its HTML report (the last line printed is the report's path).
# Usage: bash scripts/main.sh [CIFAR-10 archive or folder]
# Re-running resumes: finished runs are kept; delete runs/quickstart-quick to start over.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
setup "$@"

out="${ACTLAB_OUT:-$ACTLAB_ROOT/runs/quickstart-quick}"
"$ACTLAB_BUILD_DIR/actlab" run "$ACTLAB_ROOT/experiments/quickstart.toml" --quick --out "$out"
echo
"$ACTLAB_BUILD_DIR/actlab" compare "$out" --by activation,batch_norm \
  --metric train_error_0.5_epoch,best_test_error,final_train_error,train_error_auc
log "per-run records: $out/runs/<run>/{config.json,metrics.jsonl,summary.json,layers.jsonl}"
log "all runs as tables: $out/results.csv and $out/results.db (SQLite)"
"$ACTLAB_BUILD_DIR/actlab" report "$out" --out "$out/report" >/dev/null
log "report (curves, per-layer heatmaps, gradient flow, verdicts; open it in a browser):"
echo "$out/report/index.html"
