#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz, clang, ASan+UBSan) into build-fuzz/ and runs each
# for SECONDS (default 60), one after the other, one process at a time. Prints per harness the
# seconds run, executions and crashes (also timeouts and out-of-memory) with their inputs.
#   bash scripts/fuzz.sh [SECONDS] [HARNESS...]   e.g.  bash scripts/fuzz.sh 180 fuzz_png fuzz_project
# Corpora grow in build-fuzz/corpus/<harness>/ (seeded from build-fuzz/seeds/, written by
# fuzz_seeds from the project's own demo data); crash inputs land in build-fuzz/crashes/<harness>/.
# Reproduce one:  build-fuzz/tests/fuzz/<harness> build-fuzz/crashes/<harness>/crash-...
# DACW_FUZZ_BUILD_DIR (default build-fuzz), DACW_JOBS (default: core count), CC/CXX (clang-14).
# Exit status 1 when any harness found something.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
shift || true
build="${DACW_FUZZ_BUILD_DIR:-$root/build-fuzz}"
jobs="${DACW_JOBS:-$(nproc)}"
export CC="${CC:-clang-14}" CXX="${CXX:-clang++-14}"

# -O1 and assertions on (no NDEBUG): fast enough, and an assert is a finding too.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DDACW_FUZZ=ON -DDACW_BUILD_GUI=OFF -DDACW_BUILD_TESTS=OFF -DDACW_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target fuzz_all -j "$jobs"

fuzzdir="$build/tests/fuzz"
# Seeds are written again when the generator changed since they were (a new harness's seeds).
if [ ! -d "$build/seeds" ] || [ "$fuzzdir/fuzz_seeds" -nt "$build/seeds" ]; then
  rm -rf "$build/seeds.partial"
  "$fuzzdir/fuzz_seeds" "$build/seeds.partial" >/dev/null
  rm -rf "$build/seeds"
  mv "$build/seeds.partial" "$build/seeds"
fi

if [ $# -gt 0 ]; then harnesses=("$@"); else mapfile -t harnesses <"$build/fuzz-harnesses.txt"; fi

# LSan off: the readers' third-party singletons (ITK factories, GDCM dictionaries, LibTorch's
# registries) are kept until exit on purpose; leaks are checked by scripts/sanitize.sh instead.
export ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/dacw-fuzz.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

found=0
printf '%-24s %8s %12s %8s %8s %5s\n' harness seconds executions crashes timeouts ooms
for h in "${harnesses[@]}"; do
  name="${h#fuzz_}"
  corpus="$build/corpus/$h"
  crashes="$build/crashes/$h"
  mkdir -p "$corpus" "$crashes" "$scratch/$h"
  log="$build/logs/$h.log"
  mkdir -p "$(dirname "$log")"
  # Dictionaries of the tokens a reader looks for (tests/fuzz/dict/).
  case "$name" in
    project|run_request|metrics_json) dict=json ;;
    run_csv) dict=csv ;;
    label_description|metaimage|nrrd) dict="$name" ;;
    *) dict="" ;;
  esac
  dictarg=()
  if [ -n "$dict" ]; then dictarg=(-dict="$root/tests/fuzz/dict/$dict.dict"); fi
  start=$(date +%s)
  # -fork=1: one child at a time that is restarted after a crash, so the whole budget is used and
  # every finding counted; the parent only waits.
  ( cd "$scratch/$h" && TMPDIR="$scratch/$h" "$fuzzdir/$h" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
      -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$crashes/" "${dictarg[@]}" "$corpus" "$build/seeds/$name" ) >"$log" 2>&1 || true
  took=$(( $(date +%s) - start ))
  # The fork parent's status lines: "#EXECS: cov: ... oom/timeout/crash: O/T/C time: ...".
  status=$(grep -E '^#[0-9]+: cov:' "$log" | tail -n 1 || true)
  execs=$(sed -nE 's/^#([0-9]+):.*/\1/p' <<<"$status")
  otc=$(sed -nE 's#.*oom/timeout/crash: ([0-9]+)/([0-9]+)/([0-9]+).*#\1 \2 \3#p' <<<"$status")
  read -r ooms timeouts ncrash <<<"${otc:-0 0 0}"
  printf '%-24s %8s %12s %8s %8s %5s\n' "$h" "$took" "${execs:-?}" "$ncrash" "$timeouts" "$ooms"
  if [ "$((ncrash + timeouts + ooms))" -gt 0 ]; then
    found=1
    ls -1t "$crashes" | head -n 5 | sed "s#^#    $crashes/#"
  fi
done
exit "$found"
