#!/usr/bin/env bash
# Installs Bun from the npm registry (package `bun`; the binary comes in its optional
# dependency @oven/bun-linux-x64) into a project-local folder, and prints the path of
# the `bun` executable on stdout. Idempotent: when that folder already holds a working
# bun, nothing is downloaded.
#
#   scripts/install-bun.sh            # installs into <repo>/.tools/bun
#   TWILL_BUN_DIR=/some/dir scripts/install-bun.sh
#   BUN_VERSION=1.2.3 scripts/install-bun.sh   (default: the version pinned below)
set -euo pipefail

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
}
case "${1:-}" in
-h | --help) usage; exit 0 ;;
"") ;;
*) echo "install-bun.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${TWILL_BUN_DIR:-$root/.tools/bun}"
version="${BUN_VERSION:-1.4.5}"

find_bun() {
    local c
    # bun's postinstall moves the platform binary to bun/bin/bun.exe; .bin/bun links it.
    for c in "$dir/node_modules/.bin/bun" \
             "$dir/node_modules/bun/bin/bun.exe" \
             "$dir/node_modules/@oven/bun-linux-x64/bin/bun" \
             "$dir/node_modules/@oven/bun-linux-aarch64/bin/bun"; do
        if [ -x "$c" ] && "$c" --version >/dev/null 2>&1; then
            echo "$c"
            return 0
        fi
    done
    return 1
}

if bun_path="$(find_bun)"; then
    echo "$bun_path"
    exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
    echo "install-bun.sh: npm is not installed; install it (Debian: apt-get install npm) and rerun" >&2
    exit 1
fi

echo "twill: installing bun@$version from npm into $dir" >&2
mkdir -p "$dir"
# --no-save keeps no package.json churn; the folder is private to this project.
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "bun@$version" >&2

if bun_path="$(find_bun)"; then
    echo "$bun_path"
    exit 0
fi
echo "install-bun.sh: npm finished but no working bun executable was found under $dir/node_modules" >&2
exit 1
