#!/usr/bin/env bash
# Builds DAC Workbench, writes the synthetic demo dataset on first use, and opens the workbench
# on the demo project.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/build.sh"
build="${DACW_BUILD_DIR:-$root/build}"
demo="${DACW_DEMO_DIR:-$root/demo-data}"
if [ ! -f "$demo/demo.dacproj" ]; then
  "$build/app/cli/dacw" demo "$demo"
fi
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "open-demo: no display (DISPLAY is unset); the demo project is at $demo/demo.dacproj" >&2
  echo "open-demo: on a machine without a screen, try: xvfb-run -a $build/app/gui/dac-workbench $demo/demo.dacproj" >&2
  exit 1
fi
exec "$build/app/gui/dac-workbench" "$demo/demo.dacproj"
