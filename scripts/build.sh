#!/usr/bin/env bash
# Configures and builds DAC Workbench into build/ (Release, Ninja, -j = core count).
# Installs the Debian packages it needs first (scripts/install-deps.sh; idempotent).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/install-deps.sh"
build="${DACW_BUILD_DIR:-$root/build}"
jobs="${DACW_JOBS:-$(nproc)}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-Release}" "$@"
cmake --build "$build" -j "$jobs"
