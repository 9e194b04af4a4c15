# Shared by scripts/main.sh, scripts/test.sh and the Dockerfile's build: sourced, not run.
# Each step does only what is missing, so the scripts are cheap to re-run.

ACTLAB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ACTLAB_BUILD_DIR="${ACTLAB_BUILD_DIR:-$ACTLAB_ROOT/build}"
ACTLAB_DATA="${ACTLAB_DATA:-$ACTLAB_ROOT/data/cifar-10-batches-bin}"
export ACTLAB_DATA

# Debian 12 packages the build and tests need (Ubuntu 22.04+ has the same names).
ACTLAB_PACKAGES=(build-essential cmake ninja-build git ca-certificates curl
  libtorch-dev libopencv-dev libfmt-dev libcli11-dev nlohmann-json3-dev catch2
  libtomlplusplus-dev libsqlite3-dev sqlite3 python3 python3-pip
  python3-matplotlib chromium  # `actlab report` draws with matplotlib; its test opens chromium
  python3-torch)  # [python] tests load model.pt into python/actlab_models.py (+17 MB beside libtorch)

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
  if [ -f "$ACTLAB_DATA/test_batch.bin" ] && [ -f "$ACTLAB_DATA/data_batch_5.bin" ]; then
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
