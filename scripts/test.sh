#!/usr/bin/env bash
# Command 2 of the README (and CI's): set up what is missing, then run the whole test suite.
# Usage: bash scripts/test.sh [extra ctest arguments, e.g. -L unit]
# The `slow` label (ten experiment quick profiles, ~30 minutes) is left out; run it with
#   ctest --test-dir build -L slow
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
setup
install_python_packages
log "tests: ctest in $ACTLAB_BUILD_DIR"
ctest --test-dir "$ACTLAB_BUILD_DIR" --output-on-failure -j "$(nproc)" --label-exclude slow "$@"
