#!/usr/bin/env bash
# The build for GPU machines (and the Dockerfile): LibTorch 2.x with CUDA compiled in, from PyPI's
# torch wheel in a virtual environment cached in build-torch2/venv, found through
# torch.utils.cmake_prefix_path; actlab is built in build-torch2 (binary: build-torch2/actlab).
# Needs a CUDA toolkit (CUDA_HOME, default /usr/local/cuda) to build, no GPU.
# Usage: bash scripts/torch2.sh [cmake options], e.g. -DACTLAB_BUILD_TESTS=OFF
# Environment: ACTLAB_TORCH2_BUILD_DIR, ACTLAB_TORCH2_VENV, ACTLAB_TORCH2_SPEC (pip requirement,
#   default "torch>=2,<3"), CUDA_HOME, JOBS (parallel compiles), ACTLAB_TARGETS (e.g. "actlab").
# Other scripts get the venv's python with: source scripts/common.sh; python="$(torch2_venv)".
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
build_torch2 "$@"
log "built: $ACTLAB_TORCH2_BUILD_DIR/actlab"
