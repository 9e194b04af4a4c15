# actlab on NVIDIA GPUs: CUDA 12.6 + cuDNN, the official CUDA LibTorch, OpenCV, toml++ and the rest
# from Ubuntu 24.04 (22.04 has no toml++ package). The test suite is not built in the image: Ubuntu
# 24.04 ships Catch2 3, the suite uses Catch2 2.13 (Debian 12), and CI runs it.
# Build:  docker build -t actlab .
# Run:    docker run --gpus all -v "$PWD/data:/data" -v "$PWD/runs:/runs" actlab \
#           train --device cuda --data /data/cifar-10-batches-bin --out /runs/relu
# Prepare data once (inside or outside the container):
#         docker run -v "$PWD/data:/data" actlab data prepare --from /data/cifar-10-binary.tar.gz \
#           --to /data/cifar-10-batches-bin
FROM nvidia/cuda:12.6.3-cudnn-devel-ubuntu24.04

ARG LIBTORCH_URL=https://download.pytorch.org/libtorch/cu126/libtorch-cxx11-abi-shared-with-deps-2.6.0%2Bcu126.zip

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build git ca-certificates curl unzip \
      libopencv-dev libfmt-dev libcli11-dev nlohmann-json3-dev libtomlplusplus-dev \
      libsqlite3-dev \
 && rm -rf /var/lib/apt/lists/*

RUN curl -fL --retry 3 -o /tmp/libtorch.zip "$LIBTORCH_URL" \
 && unzip -q /tmp/libtorch.zip -d /opt \
 && rm /tmp/libtorch.zip

COPY . /opt/actlab
# The same build script the README and the GPU machine use.
RUN ACTLAB_BUILD_DIR=/opt/actlab/build bash /opt/actlab/scripts/build.sh \
      -DCMAKE_PREFIX_PATH=/opt/libtorch -DACTLAB_BUILD_TESTS=OFF \
 && ln -s /opt/actlab/build/actlab /usr/local/bin/actlab

WORKDIR /runs
ENTRYPOINT ["actlab"]
CMD ["--help"]
