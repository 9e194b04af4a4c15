# actlab on NVIDIA GPUs: CUDA 12.4 + cuDNN, the official CUDA LibTorch, OpenCV and the rest from
# Ubuntu 22.04. Build:  docker build -t actlab .
# Run:    docker run --gpus all -v "$PWD/data:/data" -v "$PWD/runs:/runs" actlab \
#           train --device cuda --data /data/cifar-10-batches-bin --out /runs/relu
# Prepare data once (inside or outside the container):
#         docker run -v "$PWD/data:/data" actlab data prepare --from /data/cifar-10-binary.tar.gz \
#           --to /data/cifar-10-batches-bin
FROM nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04

ARG LIBTORCH_URL=https://download.pytorch.org/libtorch/cu124/libtorch-cxx11-abi-shared-with-deps-2.5.1%2Bcu124.zip

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build git ca-certificates curl unzip \
      libopencv-dev libfmt-dev libcli11-dev nlohmann-json3-dev catch2 \
 && rm -rf /var/lib/apt/lists/*

RUN curl -fL --retry 3 -o /tmp/libtorch.zip "$LIBTORCH_URL" \
 && unzip -q /tmp/libtorch.zip -d /opt \
 && rm /tmp/libtorch.zip

COPY . /opt/actlab
# The same build script the README and the GPU machine use.
RUN ACTLAB_BUILD_DIR=/opt/actlab/build bash /opt/actlab/scripts/build.sh \
      -DCMAKE_PREFIX_PATH=/opt/libtorch -DACTLAB_BUILD_TESTS=ON \
 && ln -s /opt/actlab/build/actlab /usr/local/bin/actlab

WORKDIR /runs
ENTRYPOINT ["actlab"]
CMD ["--help"]
