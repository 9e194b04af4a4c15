#!/usr/bin/env bash
# Configure and build only (no packages, no data): what the Dockerfile and CUDA machines run.
# Usage: bash scripts/build.sh [cmake options], e.g.
#   bash scripts/build.sh -DCMAKE_PREFIX_PATH="$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')" -DACTLAB_WITH_OPENCV=OFF
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
build "$@"
