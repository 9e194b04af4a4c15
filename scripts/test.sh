#!/usr/bin/env bash
# Command 2 of the README (and CI's): set up what is missing, then run the whole test suite.
# Usage: bash scripts/test.sh [extra ctest arguments, e.g. -L unit]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
setup
log "tests: ctest in $ACTLAB_BUILD_DIR"
ctest --test-dir "$ACTLAB_BUILD_DIR" --output-on-failure -j "$(nproc)" "$@"
