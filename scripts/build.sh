#!/usr/bin/env bash
# Configure and build only (no packages, no data) into $ACTLAB_BUILD_DIR (default build/), e.g.
# against a LibTorch zip: bash scripts/build.sh -DCMAKE_PREFIX_PATH=/path/to/libtorch
# GPU machines and the Dockerfile use scripts/torch2.sh (LibTorch 2.x with CUDA from the wheel).
# Usage: bash scripts/build.sh [cmake options]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
build "$@"
