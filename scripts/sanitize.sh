#!/usr/bin/env bash
# The sanitizer job: builds the core libraries (core, core_train, ui_model), the command line and
# their unit tests with AddressSanitizer + UndefinedBehaviorSanitizer (GCC) into build-asan/,
# without the widgets (-DDACW_BUILD_GUI=OFF: the gui tests need a display and are not run here),
# and runs the tests labelled `unit` and `slow` there, one per core. Any sanitizer report fails the test that hit it.
# Extra arguments go to ctest. DACW_ASAN_BUILD_DIR (default build-asan), DACW_JOBS (core count).
# Options and suppressions: docs/reliability.md ("Sanitizers"), scripts/sanitize/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/install-deps.sh" >/dev/null
build="${DACW_ASAN_BUILD_DIR:-$root/build-asan}"
jobs="${DACW_JOBS:-$(nproc)}"
start=$(date +%s)

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
# -O1 -g1: quick to build, fast enough to run, line numbers in reports; asserts stay on (no NDEBUG).
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="${CC:-gcc}" -DCMAKE_CXX_COMPILER="${CXX:-g++}" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
  -DCMAKE_C_FLAGS="$san" -DCMAKE_CXX_FLAGS="$san" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DDACW_BUILD_GUI=OFF -DDACW_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$jobs"
built=$(date +%s)

supp="$root/scripts/sanitize"
export ASAN_OPTIONS="detect_leaks=1:check_initialization_order=1:strict_string_checks=1:detect_stack_use_after_return=0:abort_on_error=0:halt_on_error=1:print_summary=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$supp/ubsan.supp${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
if command -v llvm-symbolizer >/dev/null; then export ASAN_SYMBOLIZER_PATH="$(command -v llvm-symbolizer)"; fi
export QT_QPA_PLATFORM=offscreen
cd "$build"
status=0
# Side by side, one test per core: each test process trains with one thread, and the tests that
# use every core (the distributed ones) are RUN_SERIAL.
ctest -j "$jobs" -L 'unit|slow' --output-on-failure --timeout 1800 "$@" || status=$?
end=$(date +%s)
echo "sanitize: build $((built - start)) s, tests $((end - built)) s, total $((end - start)) s"
exit "$status"
