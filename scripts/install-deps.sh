#!/usr/bin/env bash
# Installs the Debian bookworm packages DAC Workbench builds, tests and runs with.
# Idempotent: packages already present are left alone. Uses sudo only when not root.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache
  qt6-base-dev qt6-base-dev-tools libqt6opengl6-dev qt6-charts-dev qt6-qpa-plugins
  libgl-dev libgl1-mesa-dri libglx-mesa0
  libtorch-dev libgloo-dev libopenblas0-openmp
  libinsighttoolkit5-dev libgdcm-dev
  libvtk9-dev
  libopencv-dev libjpeg-dev
  nlohmann-json3-dev
  xvfb xauth fonts-dejavu-core
  python3-torch python3-numpy python3-pil
  python3-opencv python3-onnx   # check_pymodel: the ONNX export run in OpenCV DNN, onnx.checker
)

# Torch calls BLAS for matmul, 1x1 convolutions and transposed convolutions. Debian's default
# libblas.so.3 is the netlib reference (~5 GFLOP/s); OpenBLAS with OpenMP is ~40x faster. Checked
# on every call (also when all packages were already installed), switched only when needed.
use_openblas() {
  local arch triplet SUDO=""
  arch=$(dpkg --print-architecture)
  case "$arch" in amd64) triplet=x86_64-linux-gnu ;; arm64) triplet=aarch64-linux-gnu ;; *) return 0 ;; esac
  local want="/usr/lib/$triplet/openblas-openmp/libblas.so.3"
  [ -e "$want" ] || return 0
  [ "$(readlink -f "/etc/alternatives/libblas.so.3-$triplet" 2>/dev/null)" = "$want" ] && return 0
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "install-deps: switching libblas.so.3 to OpenBLAS"
  $SUDO update-alternatives --set "libblas.so.3-$triplet" "$want" || true
  $SUDO update-alternatives --set "liblapack.so.3-$triplet" "/usr/lib/$triplet/openblas-openmp/liblapack.so.3" || true
}

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  use_openblas
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

use_openblas
echo "install-deps: done"
