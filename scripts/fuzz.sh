#!/usr/bin/env bash
# Fuzz actlab's readers with libFuzzer: builds the targets in fuzz/ with clang++ (build-fuzz/)
# and runs each from its seed corpus for SECONDS (default 60), as CI's `fuzz` label does.
# Usage: bash scripts/fuzz.sh [SECONDS] [extra ctest arguments, e.g. -R checkpoint]
# A finding lands in build-fuzz/fuzz/findings/; reproduce it with
#   build-fuzz/fuzz/fuzz_NAME build-fuzz/fuzz/findings/NAME-crash-...
# then fix the code and add the input to fuzz/corpus/NAME.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
seconds="${1:-60}"
[ $# -gt 0 ] && shift
install_packages
build_fuzz -DACTLAB_FUZZ_SECONDS="$seconds"
cmake "$ACTLAB_FUZZ_BUILD_DIR" -DACTLAB_FUZZ_SECONDS="$seconds" >/dev/null
log "fuzz: each target for $seconds s"
ctest --test-dir "$ACTLAB_FUZZ_BUILD_DIR" --output-on-failure -j "$(nproc)" -L fuzz "$@"
