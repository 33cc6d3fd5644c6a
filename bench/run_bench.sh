#!/bin/sh
# Side-by-side benchmarks of the PyTorch reference and the C++ trainer.
#   bench/run_bench.sh BUILD_DIR --real [options]   the headline: `dacw train` on real fundus PNGs
#                                                   against bench/reference.py on the same files
#                                                   (bench/real_bench.py --help)
#   bench/run_bench.sh BUILD_DIR [--threads 2] [--size 128] [--rounds 2] ...
#                                                   the kernel-level breakdown on synthetic data,
#                                                   one optimisation per row (bench/run_bench.py)
# BUILD_DIR is a build tree of this repository.
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run_bench.sh BUILD_DIR [--real] [options]}
shift
if [ "${1:-}" = "--real" ]; then
  shift
  dacw=$(find "$build" -name dacw -type f -perm -u+x | head -n 1)
  [ -n "$dacw" ] || { echo "dacw not found under $build" >&2; exit 1; }
  exec /usr/bin/python3 "$here/real_bench.py" --dacw "$dacw" "$@"
fi
bench=$(find "$build" -name dacw-bench -type f -perm -u+x | head -n 1)
[ -n "$bench" ] || { echo "dacw-bench not found under $build" >&2; exit 1; }
exec /usr/bin/python3 "$here/run_bench.py" --bench "$bench" "$@"
