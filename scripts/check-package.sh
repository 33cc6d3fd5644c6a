#!/usr/bin/env bash
# Installs the Debian package (scripts/package.sh) with dpkg -i, checks the installed programs
# and files, purges it and checks that none of its files is left. Run as root (CI does), on a
# machine with the package's dependencies installed. Leaves the machine as it found it, also on
# failure. Skips (exit 0) when dac-workbench is already installed: that package is the user's.
# Usage: check-package.sh [PATH.deb]   (default: the one in the build folder)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DACW_BUILD_DIR:-$root/build}"
deb="${1:-$(ls -1 "$build"/dac-workbench_*.deb 2>/dev/null | tail -n1)}"
pkg=dac-workbench

fail() { echo "check-package: FAIL: $*" >&2; exit 1; }
[ -n "$deb" ] && [ -f "$deb" ] || fail "no .deb (run scripts/package.sh first, or give its path)"
[ "$(id -u)" -eq 0 ] || fail "needs root (dpkg -i)"
# Any trace of the package (installed, half-installed, config files left) belongs to someone else.
state=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
if [ -n "$state" ] && [ "$state" != not-installed ]; then
    echo "check-package: SKIP: $pkg is already on this machine ($state); not touching it"
    exit 0
fi

work=$(mktemp -d)
installed=0
cleanup() {
    local rc=$?
    if [ "$installed" = 1 ] && dpkg-query -W "$pkg" >/dev/null 2>&1; then
        dpkg --purge "$pkg" >/dev/null 2>&1 || echo "check-package: could not purge $pkg" >&2
    fi
    rm -rf "$work"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "check-package: installing $deb"
installed=1
dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -i"; }
dpkg -L "$pkg" | sort >"$work/files"

/usr/bin/dacw --version | grep -q '^dacw ' || fail "/usr/bin/dacw --version"
/usr/bin/dacw --help >/dev/null || fail "/usr/bin/dacw --help"
/usr/bin/dacw-train --help >/dev/null || fail "/usr/bin/dacw-train --help"
QT_QPA_PLATFORM=offscreen /usr/bin/dac-workbench --help >/dev/null 2>&1 || fail "dac-workbench --help"

for f in /usr/share/man/man1/dacw.1.gz /usr/share/man/man1/dacw-train.1.gz \
         /usr/share/man/man1/dac-workbench.1.gz \
         /usr/share/bash-completion/completions/dacw \
         /usr/share/metainfo/dac-workbench.metainfo.xml \
         /usr/share/applications/dac-workbench.desktop \
         /usr/share/icons/hicolor/scalable/apps/dac-workbench.svg \
         /usr/share/mime/packages/dac-workbench.xml \
         /usr/share/doc/dac-workbench/user-guide.md; do
    grep -qxF "$f" "$work/files" || fail "$f is not in the package"
    [ -s "$f" ] || fail "$f is not installed"
done
zcat /usr/share/man/man1/dacw.1.gz | grep -q '^\.TH DACW 1' || fail "dacw.1.gz is not a man page"
if command -v man >/dev/null; then
    MANWIDTH=80 man -l /usr/share/man/man1/dacw.1.gz >/dev/null 2>&1 || fail "man dacw does not render"
fi
bash -c 'source /usr/share/bash-completion/completions/dacw && complete -p dacw' >/dev/null \
    || fail "the completion does not load"

echo "check-package: purging"
dpkg --purge "$pkg" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg --purge"; }
installed=0
left=()
while IFS= read -r f; do
    # Directories the package shares with others (/usr, /usr/share, ...) stay; its own files go.
    if [ -e "$f" ] && [ ! -d "$f" ]; then left+=("$f"); fi
    if [ -d "$f" ] && [[ $f == */dac-workbench || $f == */dac-workbench/* ]]; then left+=("$f/"); fi
done <"$work/files"
[ ${#left[@]} -eq 0 ] || fail "left after purge: ${left[*]}"
dpkg-query -W "$pkg" >/dev/null 2>&1 && fail "$pkg still known to dpkg after purge"
echo "check-package: OK ($(grep -c . "$work/files") paths installed and removed)"
