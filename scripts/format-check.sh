#!/usr/bin/env bash
# Checks the C++ lines changed since BASE (default: where this branch left main) against the
# .clang-format; prints what clang-format would change and exits 1 when that is anything.
# Existing code is not checked: only lines a change adds or edits. Code that a commit only moves
# is reported too; keep moves verbatim and ignore those hunks.
#   bash scripts/format-check.sh            # since the merge base with main
#   bash scripts/format-check.sh HEAD~3     # since a given commit
#   git clang-format main                   # rewrites those lines in place instead
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! command -v git-clang-format >/dev/null || ! command -v clang-format >/dev/null; then
    echo "format-check: clang-format is not installed (apt-get install clang-format); skipped" >&2
    exit 0
fi
base="${1:-$(git merge-base HEAD main 2>/dev/null || echo HEAD)}"
out="$(git clang-format --diff --extensions c,cc,cpp,h,hpp "$base" -- 2>&1 || true)"
case "$out" in
    "" | *"no modified files to format"* | *"did not modify any files"*)
        echo "format-check: the lines changed since $(git rev-parse --short "$base") follow .clang-format"
        exit 0 ;;
esac
printf '%s\n' "$out"
echo "format-check: the lines above do not follow .clang-format (git clang-format $base fixes them)" >&2
exit 1
