#!/usr/bin/env bash
# Builds DAC Workbench (scripts/build.sh) and makes the Debian package with cpack -G DEB in the
# build folder; prints the path of the .deb. Extra arguments go to cmake (through build.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/build.sh" "$@" >&2   # stdout carries only the path
build="${DACW_BUILD_DIR:-$root/build}"
cd "$build"
rm -f dac-workbench_*.deb
cpack -G DEB >&2
deb=$(ls -1 "$build"/dac-workbench_*.deb)
echo "$deb"
