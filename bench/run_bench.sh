#!/bin/sh
# Side-by-side benchmark of the PyTorch reference and the C++ trainer.
#   bench/run_bench.sh BUILD_DIR [--threads 2] [--size 128] [--rounds 2] ...
# BUILD_DIR is a build tree holding core/train/bench/dacw-bench (any CMake build of this repo).
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run_bench.sh BUILD_DIR [options]}
shift
bench=$(find "$build" -name dacw-bench -type f -perm -u+x | head -n 1)
[ -n "$bench" ] || { echo "dacw-bench not found under $build" >&2; exit 1; }
exec /usr/bin/python3 "$here/run_bench.py" --bench "$bench" "$@"
