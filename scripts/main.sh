#!/usr/bin/env bash
# Command 1 of the README: set up what is missing (packages, build, CIFAR-10), then run the main
# job: krizhevsky4 with relu, tanh and sigmoid on 10,000 CIFAR-10 images, side by side.
# Usage: bash scripts/main.sh [CIFAR-10 archive or folder]      (about 5 minutes on 2 CPU cores)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
setup "$@"

out="${ACTLAB_OUT:-$ACTLAB_ROOT/runs/main}"
for activation in relu tanh sigmoid; do
  log "train: krizhevsky4 / $activation"
  "$ACTLAB_BUILD_DIR/actlab" train --model krizhevsky4 --activation "$activation" \
    --train-subset 10000 --test-subset 2000 --epochs 8 --lr 0.01 --no-augment \
    --data "$ACTLAB_DATA" --out "$out/$activation" --overwrite
done

log "summary (training error per epoch; Krizhevsky et al. 2012 count epochs to 0.25):"
printf '%-8s' activation; for e in 0 1 2 3 4 5 6 7 8; do printf '%7s' "ep$e"; done; printf '%12s\n' test_err
for activation in relu tanh sigmoid; do
  printf '%-8s' "$activation"
  sed -n 's/.*"train_error":\([0-9.e-]*\).*/\1/p' "$out/$activation/metrics.jsonl" | xargs printf '%7.3f'
  sed -n 's/.*"final_test_error": *\([0-9.e-]*\).*/\1/p' "$out/$activation/summary.json" | xargs printf '%12.3f\n'
done
log "records: $out/<activation>/{config.json,metrics.jsonl,summary.json}"
