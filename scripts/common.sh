# Shared by scripts/main.sh, scripts/test.sh and the Dockerfile's build: sourced, not run.
# Each step does only what is missing, so the scripts are cheap to re-run.

ACTLAB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ACTLAB_BUILD_DIR="${ACTLAB_BUILD_DIR:-$ACTLAB_ROOT/build}"
ACTLAB_DATA="${ACTLAB_DATA:-$ACTLAB_ROOT/data/cifar-10-batches-bin}"
export ACTLAB_DATA

# Debian 12 packages the build and tests need (Ubuntu 22.04+ has the same names).
ACTLAB_PACKAGES=(build-essential cmake ninja-build git ca-certificates curl
  libtorch-dev libprotobuf-dev protobuf-compiler libopencv-dev libfmt-dev libcli11-dev nlohmann-json3-dev catch2
  libtomlplusplus-dev libsqlite3-dev sqlite3 python3 python3-pip
  libssl-dev  # OpenSSL's libcrypto: SHA-256 (data fingerprints, checkpoint frames)
  libboost-dev  # Boost.Math: the verdicts' t, hypergeometric and beta distributions
  python3-scipy  # the statistics_equal_scipy test recomputes the verdicts' reference numbers
  python3-matplotlib chromium  # `actlab report` draws with matplotlib; its test opens chromium
  slurm-wlm munge  # the `slurm` test starts its own one-node Slurm (7 packages, 3.6 MB)
  python3-venv  # the LibTorch 2.x build's virtual environment (torch2_venv)
  python3-torch  # [python] tests load model.pt into python/actlab_models.py (+17 MB beside libtorch)
  clang libclang-rt-14-dev)  # the libFuzzer targets in fuzz/ (scripts/fuzz.sh, CI's `fuzz` label)

log() { printf '\033[1m[actlab]\033[0m %s\n' "$*"; }
die() { printf 'actlab: error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "installing packages needs root: run as root or install sudo (missing: ${missing[*]})"
  fi
}

install_packages() {
  local missing=()
  for package in "${ACTLAB_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  if [ ${#missing[@]} -eq 0 ]; then log "packages: all present"; return; fi
  command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get: install them by hand"
  log "packages: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The tensorboard Python package: a test reads actlab's event files back with TensorBoard's own
# reader (and `tensorboard --logdir` shows runs). Debian 12's python3 is "externally managed", so
# pip needs --break-system-packages there; a virtualenv or pyenv python takes it without.
install_python_packages() {
  if python3 -c "import tensorboard" 2>/dev/null; then log "python: tensorboard present"; return; fi
  log "python: pip install tensorboard"
  python3 -m pip install --quiet tensorboard 2>/dev/null ||
    python3 -m pip install --quiet --break-system-packages tensorboard ||
    die "pip install tensorboard failed: install it by hand (the [python] tests are skipped without it)"
}

# build [extra cmake args...]: configure once, then build incrementally with all cores.
build() {
  if [ ! -f "$ACTLAB_BUILD_DIR/build.ninja" ]; then
    log "configure: $ACTLAB_BUILD_DIR"
    cmake -S "$ACTLAB_ROOT" -B "$ACTLAB_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
  fi
  log "build: $(nproc) jobs (a clean build takes about 3 minutes on 2 cores)"
  cmake --build "$ACTLAB_BUILD_DIR" -j "$(nproc)"
}

# --- The second build: LibTorch 2.x with CUDA, from PyPI's torch wheel (the way for GPU machines).
# The wheel carries LibTorch (headers, CMake config, libraries) and, as pip dependencies, the CUDA
# runtime, cuBLAS and cuDNN it runs with; its CMake config still needs a CUDA toolkit's nvcc and
# headers to configure (CUDA_HOME, default /usr/local/cuda). No GPU is needed to build.
# The libFuzzer targets (fuzz/): clang++, every actlab library instrumented (coverage + ASan).
ACTLAB_FUZZ_BUILD_DIR="${ACTLAB_FUZZ_BUILD_DIR:-$ACTLAB_ROOT/build-fuzz}"
build_fuzz() {
  if [ ! -f "$ACTLAB_FUZZ_BUILD_DIR/build.ninja" ]; then
    log "configure: $ACTLAB_FUZZ_BUILD_DIR (clang++, ACTLAB_FUZZ=ON)"
    cmake -S "$ACTLAB_ROOT" -B "$ACTLAB_FUZZ_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CXX_COMPILER=clang++ -DACTLAB_FUZZ=ON -DACTLAB_BUILD_TESTS=OFF \
      -DACTLAB_BUILD_BENCHMARKS=OFF "$@" >/dev/null
  fi
  log "build: the fuzz targets ($(nproc) jobs, about 10 minutes on 2 cores)"
  cmake --build "$ACTLAB_FUZZ_BUILD_DIR" -j "$(nproc)" --target actlab_fuzz
}

ACTLAB_TORCH2_BUILD_DIR="${ACTLAB_TORCH2_BUILD_DIR:-$ACTLAB_ROOT/build-torch2}"
ACTLAB_TORCH2_VENV="${ACTLAB_TORCH2_VENV:-$ACTLAB_TORCH2_BUILD_DIR/venv}"
ACTLAB_TORCH2_SPEC="${ACTLAB_TORCH2_SPEC:-torch>=2,<3}"  # e.g. torch==2.15.0 to pin

# torch2_venv: creates (once) $ACTLAB_TORCH2_VENV with PyPI's torch 2.x and prints its python.
# The download is about 3 GB (torch 540 MB, cuDNN 520 MB, the rest CUDA libraries and triton);
# the environment takes 5.3 GB. Re-runs reuse it.
torch2_venv() {
  local python="$ACTLAB_TORCH2_VENV/bin/python"
  if [ -x "$python" ] && "$python" -c 'import sys; from importlib.metadata import version; sys.exit(int(version("torch").split(".")[0]) < 2)' 2>/dev/null; then
    echo "$python"
    return
  fi
  if [ ! -x "$python" ]; then
    log "torch2: creating the virtual environment $ACTLAB_TORCH2_VENV" >&2
    "${ACTLAB_PYTHON:-python3}" -m venv "$ACTLAB_TORCH2_VENV" >&2 ||
      die "python3 -m venv $ACTLAB_TORCH2_VENV failed: install python3-venv (Debian/Ubuntu) and run again"
  fi
  log "torch2: pip install '$ACTLAB_TORCH2_SPEC' (about 3 GB to download, 5.3 GB installed)" >&2
  "$python" -m pip install --quiet --progress-bar off "$ACTLAB_TORCH2_SPEC" >&2 ||
    die "pip install '$ACTLAB_TORCH2_SPEC' into $ACTLAB_TORCH2_VENV failed (network, or disk: 5.3 GB needed); run again to retry"
  echo "$python"
}

# torch2_cuda_home: the CUDA toolkit the wheel's CMake config needs (nvcc, headers, libraries).
torch2_cuda_home() {
  local home="${CUDA_HOME:-${CUDA_PATH:-/usr/local/cuda}}"
  [ -x "$home/bin/nvcc" ] ||
    die "no CUDA toolkit at $home (no bin/nvcc): LibTorch from the torch wheel is a CUDA build and its CMake config needs one; install the CUDA toolkit (12.6 or newer) or set CUDA_HOME"
  echo "$home"
}

# build_torch2 [extra cmake args...]: the venv, then actlab configured against its LibTorch in
# $ACTLAB_TORCH2_BUILD_DIR and built. JOBS (default: all cores) caps parallel compiles.
build_torch2() {
  local python cuda_home prefix lib version arch_list
  python="$(torch2_venv)"
  cuda_home="$(torch2_cuda_home)"
  if [ ! -f "$ACTLAB_TORCH2_BUILD_DIR/build.ninja" ]; then
    prefix="$("$python" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)' 2>/dev/null)"
    lib="$(cd "$prefix/../../lib" && pwd)"
    version="$("$python" -c 'from importlib.metadata import version; print(version("torch"))')"
    # The wheel's own GPU architectures: its CMake config wants TORCH_CUDA_ARCH_LIST and would
    # otherwise probe for a GPU. actlab has no CUDA sources, so this only spares the probe.
    arch_list="$("$python" -c 'import torch; print(";".join(a[3:-1] + "." + a[-1] for a in torch.cuda.get_arch_list() if a.startswith("sm_")))' 2>/dev/null)"
    # The CUDA runtime and NVRTC that LibTorch's CMake config links in directly: the wheel's own
    # (nvidia-* packages), not the toolkit's. Otherwise the toolkit's lib folder lands first in
    # the rpath, and the linker resolves libtorch_cuda's NCCL, cuDNN, ... there: older versions
    # (undefined references to nccl* with the 13.0 toolkit and torch 2.15's CUDA 13.2).
    local cuda_libs=() cudart nvrtc
    cudart="$(find "$prefix/../../../nvidia" -name 'libcudart.so.[0-9]*' 2>/dev/null | head -1)"
    nvrtc="$(find "$prefix/../../../nvidia" -name 'libnvrtc.so.[0-9]*' 2>/dev/null | head -1)"
    [ -n "$cudart" ] && cuda_libs+=(-DCUDA_cudart_LIBRARY="$(realpath "$cudart")")
    [ -n "$nvrtc" ] && cuda_libs+=(-DCUDA_NVRTC_LIB="$(realpath "$nvrtc")")
    log "configure: $ACTLAB_TORCH2_BUILD_DIR against LibTorch $version ($prefix), CUDA toolkit $cuda_home"
    # TorchConfig's find_library() searches the system paths before the wheel's lib folder: with
    # Debian's libtorch-dev installed too, Debian's libc10 would be linked beside the wheel's.
    PATH="$cuda_home/bin:$PATH" CUDACXX="$cuda_home/bin/nvcc" TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-$arch_list}" \
      cmake -S "$ACTLAB_ROOT" -B "$ACTLAB_TORCH2_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$prefix" -DCUDAToolkit_ROOT="$cuda_home" \
      -DTORCH_LIBRARY="$lib/libtorch.so" -Dc10_LIBRARY="$lib/libc10.so" \
      -DC10_CUDA_LIBRARY="$lib/libc10_cuda.so" "${cuda_libs[@]}" "$@"
  fi
  log "build: $ACTLAB_TORCH2_BUILD_DIR, ${JOBS:-$(nproc)} jobs"
  # shellcheck disable=SC2086  # ACTLAB_TARGETS is a space-separated list
  cmake --build "$ACTLAB_TORCH2_BUILD_DIR" -j "${JOBS:-$(nproc)}" ${ACTLAB_TARGETS:+--target $ACTLAB_TARGETS}
}

# The published md5 of the official archive (https://www.cs.toronto.edu/~kriz/cifar.html).
CIFAR10_URL="https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
CIFAR10_MD5="c32a1d4ab5d03f1284b67883e8d87530"

# prepare_data [source]: CIFAR-10 from, in order: the source given (argument or
# $ACTLAB_CIFAR10_SOURCE); an already prepared $ACTLAB_DATA; ../shared/data/cifar10-jpeg.tar.gz
# (the development and CI mirror); else the official archive, downloaded and md5-checked.
prepare_data() {
  local source="${1:-${ACTLAB_CIFAR10_SOURCE:-}}"
  local actlab="$ACTLAB_BUILD_DIR/actlab"
  if [ -n "$source" ]; then
    log "data: preparing from $source"
    "$actlab" data prepare --from "$source" --to "$ACTLAB_DATA"
    return
  fi
  # prepare-incomplete.txt: a killed `data prepare` (its files are not to be trusted).
  if [ -f "$ACTLAB_DATA/test_batch.bin" ] && [ -f "$ACTLAB_DATA/data_batch_5.bin" ] &&
    [ ! -e "$ACTLAB_DATA/prepare-incomplete.txt" ]; then
    log "data: using prepared $ACTLAB_DATA"
    return
  fi
  local mirror="$ACTLAB_ROOT/../shared/data/cifar10-jpeg.tar.gz"
  if [ -f "$mirror" ]; then
    log "data: preparing from the mirror $mirror"
    "$actlab" data prepare --from "$mirror" --to "$ACTLAB_DATA"
    return
  fi
  local archive="$ACTLAB_ROOT/data/downloads/cifar-10-binary.tar.gz"
  mkdir -p "$(dirname "$archive")"
  if [ ! -f "$archive" ] || ! echo "$CIFAR10_MD5  $archive" | md5sum -c --quiet - 2>/dev/null; then
    log "data: downloading $CIFAR10_URL (163 MB)"
    curl -fL --retry 3 -o "$archive.part" "$CIFAR10_URL" ||
      die "download of $CIFAR10_URL failed: download it by hand and run: $actlab data prepare --from FILE --to $ACTLAB_DATA"
    echo "$CIFAR10_MD5  $archive.part" | md5sum -c --quiet - ||
      die "$archive.part does not match the published md5 $CIFAR10_MD5: delete it and run again"
    mv "$archive.part" "$archive"
  fi
  "$actlab" data prepare --from "$archive" --to "$ACTLAB_DATA"
}

setup() {
  install_packages
  build
  prepare_data "$@"
}
