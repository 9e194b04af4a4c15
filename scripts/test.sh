#!/usr/bin/env bash
# Command 2 of the README (and CI's): set up what is missing, then run the whole test suite.
# Usage: bash scripts/test.sh [extra ctest arguments, e.g. -L unit]
# The `slow` label (ten experiment quick profiles, ~30 minutes) is left out; run it with
#   ctest --test-dir build -L slow
# ACTLAB_TEST_TORCH2=1 (CI sets it, .ci/run): also build against LibTorch 2.x with CUDA from the
# torch wheel (scripts/torch2.sh: a 3 GB download, fetched while the first build compiles) and run
# a subset there: the unit, cli and cuda labels without CIFAR-10 ([cuda] tests run, or skip
# visibly without a GPU), plus the training tests named in $ACTLAB_TORCH2_DATA_TESTS. Not the
# whole suite: each test process loads LibTorch's ~3 GB of CUDA libraries, and CI has 30 minutes.
# ACTLAB_TEST_FUZZ=1 (CI sets it): also build the libFuzzer targets with clang++ (scripts/fuzz.sh)
# and run each from its seed corpus for $ACTLAB_FUZZ_SECONDS (default 60).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# ctest -j runs several training processes on the same cores; OpenMP's default busy-waiting then
# stalls each of them. Measured here: two concurrent 2-thread `actlab train` runs took 119 s,
# 59 s with passive waiting (same records: the wait policy changes no arithmetic).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
torch2="${ACTLAB_TEST_TORCH2:-0}"
fuzz="${ACTLAB_TEST_FUZZ:-0}"
fuzz_seconds="${ACTLAB_FUZZ_SECONDS:-60}"
torch2_labels="${ACTLAB_TORCH2_LABELS:-unit|cli|cuda}"
torch2_data_tests="${ACTLAB_TORCH2_DATA_TESTS:-beats chance|identical metrics|non-finite loss stops|clipping in training|actlab train writes config}"
if [ "$torch2" = 1 ]; then
  torch2_cuda_home >/dev/null  # no CUDA toolkit: say so now, not after the first build
  mkdir -p "$ACTLAB_TORCH2_BUILD_DIR"
  venv_log="$ACTLAB_TORCH2_BUILD_DIR/venv.log"
  log "torch2: preparing the venv in the background (log: $venv_log)"
  torch2_venv >"$venv_log" 2>&1 &
  venv_pid=$!
fi
setup
install_python_packages
log "tests: ctest in $ACTLAB_BUILD_DIR"
ctest --test-dir "$ACTLAB_BUILD_DIR" --output-on-failure -j "$(nproc)" --label-exclude slow "$@"
if [ "$fuzz" = 1 ]; then
  build_fuzz -DACTLAB_FUZZ_SECONDS="$fuzz_seconds"
  cmake "$ACTLAB_FUZZ_BUILD_DIR" -DACTLAB_FUZZ_SECONDS="$fuzz_seconds" >/dev/null
  log "tests: ctest -L fuzz in $ACTLAB_FUZZ_BUILD_DIR ($fuzz_seconds s a target)"
  ctest --test-dir "$ACTLAB_FUZZ_BUILD_DIR" --output-on-failure -j "$(nproc)" -L fuzz
fi
if [ "$torch2" = 1 ]; then
  wait "$venv_pid" || { tail -5 "$venv_log" >&2; die "the LibTorch 2.x venv failed (log: $venv_log)"; }
  build_torch2
  log "tests: ctest in $ACTLAB_TORCH2_BUILD_DIR: labels $torch2_labels without data, then $torch2_data_tests"
  ctest --test-dir "$ACTLAB_TORCH2_BUILD_DIR" --output-on-failure -j "$(nproc)" \
    -L "$torch2_labels" --label-exclude "slow|data"
  ctest --test-dir "$ACTLAB_TORCH2_BUILD_DIR" --output-on-failure -j "$(nproc)" \
    -R "$torch2_data_tests" --label-exclude slow
fi
