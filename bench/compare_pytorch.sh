#!/usr/bin/env bash
# actlab vs the same model in PyTorch Python on this machine, side by side, interleaved, in one
# run: training images/s (batch 128, SGD + momentum, no augmentation, no probes) and the ratio.
# Needs Debian's python3-torch (the same 1.13 kernels as libtorch-dev) and prepared CIFAR-10.
# Usage: bash bench/compare_pytorch.sh [repeats]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
actlab="${ACTLAB_BUILD_DIR:-$root/build}/actlab"
data="${ACTLAB_DATA:-$root/data/cifar-10-batches-bin}"
repeats="${1:-3}"
threads="$(nproc)"
python=/usr/bin/python3
"$python" -c 'import torch' 2>/dev/null || { echo "needs python3-torch: apt-get install python3-torch" >&2; exit 1; }
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '%-12s %12s %12s %8s   (%s threads, %s repeats, medians)\n' model actlab pytorch ratio "$threads" "$repeats"
for model in krizhevsky4 resnet20; do
  args=(--model krizhevsky4); steps=30
  if [ "$model" = resnet20 ]; then args=(--model resnet --depth 20 --batch-norm); steps=10; fi
  : > "$tmp/a"; : > "$tmp/p"
  for _ in $(seq "$repeats"); do
    # actlab: one epoch of (steps + 3) batches; its images/s excludes evaluation and start-up.
    "$actlab" train "${args[@]}" --activation relu --epochs 1 --train-subset $(( (steps + 3) * 128 )) \
      --test-subset 100 --train-eval-images 100 --no-augment --probe off --threads "$threads" \
      --data "$data" --out "$tmp/run" --overwrite > /dev/null
    sed -n 's/.*"images_per_second":\([0-9.]*\).*"epoch":1.*/\1/p; s/.*"epoch":1.*"images_per_second":\([0-9.]*\).*/\1/p' \
      "$tmp/run/metrics.jsonl" | head -1 >> "$tmp/a"
    "$python" "$root/bench/pytorch_peer.py" "$model" "$data" --steps "$steps" --threads "$threads" >> "$tmp/p"
  done
  a=$(median < "$tmp/a"); p=$(median < "$tmp/p")
  printf '%-12s %12.0f %12.0f %7.2fx\n' "$model" "$a" "$p" "$(echo "$a / $p" | bc -l)"
done
