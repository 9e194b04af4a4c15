# actlab on NVIDIA GPUs: the CUDA 13.0 toolkit image (nvcc and headers, which the torch wheel's
# CMake config needs to configure), LibTorch 2.x with CUDA from PyPI's torch wheel in a venv
# (scripts/torch2.sh: the same script GPU machines and CI use; the wheel brings the CUDA runtime,
# cuBLAS and cuDNN it runs with), OpenCV, toml++ and the rest from Ubuntu 24.04. The test suite is
# not built in the image: Ubuntu 24.04 ships Catch2 3, the suite uses Catch2 2.13 (Debian 12), and
# CI runs it.
# Build:  docker build -t actlab .
# Run:    docker run --gpus all -v "$PWD/data:/data" -v "$PWD/runs:/runs" actlab \
#           train --device cuda --data /data/cifar-10-batches-bin --out /runs/relu
# Prepare data once (inside or outside the container):
#         docker run -v "$PWD/data:/data" actlab data prepare --from /data/cifar-10-binary.tar.gz \
#           --to /data/cifar-10-batches-bin
# The host's NVIDIA driver must support the wheel's CUDA (torch 2.15: CUDA 13.2, driver >= 580).
ARG CUDA_IMAGE=nvidia/cuda:13.0.0-devel-ubuntu24.04
FROM ${CUDA_IMAGE}

# Pin the wheel for a reproducible image, e.g. --build-arg TORCH_SPEC=torch==2.15.0
ARG TORCH_SPEC="torch>=2,<3"

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build git ca-certificates python3 python3-venv \
      libopencv-dev libfmt-dev libcli11-dev nlohmann-json3-dev libtomlplusplus-dev libssl-dev \
      libsqlite3-dev libboost-dev libprotobuf-dev protobuf-compiler \
 && rm -rf /var/lib/apt/lists/*

COPY . /opt/actlab
RUN ACTLAB_TORCH2_BUILD_DIR=/opt/actlab/build ACTLAB_TORCH2_SPEC="$TORCH_SPEC" \
      bash /opt/actlab/scripts/torch2.sh -DACTLAB_BUILD_TESTS=OFF \
 && ln -s /opt/actlab/build/actlab /usr/local/bin/actlab

WORKDIR /runs
ENTRYPOINT ["actlab"]
CMD ["--help"]
