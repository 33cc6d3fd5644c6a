#!/usr/bin/env bash
# Builds DAC Workbench and runs the whole test suite (unit, gui, data) under a virtual X server.
# Tests labelled `data` read ../shared/data; without it they skip, except under CI=true where
# they fail. Extra arguments go to ctest (for example: -L unit).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/build.sh"
build="${DACW_BUILD_DIR:-$root/build}"
cd "$build"
# Kernel choices measured by test runs stay in the build tree, not in the user's ~/.cache/dacw.
export DACW_CACHE_DIR="$build/test-kernel-cache"
# Rendering tests need an X server; software OpenGL (Mesa llvmpipe) is enough.
export LIBGL_ALWAYS_SOFTWARE=1
xvfb-run -a -s "-screen 0 1600x1200x24" ctest --output-on-failure --timeout 900 "$@"
