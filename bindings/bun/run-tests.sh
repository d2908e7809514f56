#!/usr/bin/env bash
# Runs the @twilldb/bun test suite (`bun test` in this package) against a libtwill.so.
#
#   bindings/bun/run-tests.sh [--lib PATH/libtwill.so] [bun test arguments...]
#
# The library: --lib, else $TWILL_LIB, else the package's default search (the
# project's build/libtwill.so, then the system library path). Bun: $BUN, else the
# project-local install of scripts/install-bun.sh (.tools/bun), else `bun` on PATH.
# A missing bun is a failure (exit 1), never a skip: `make deps` installs it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

args=()
while [ $# -gt 0 ]; do
    case "$1" in
    -h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --lib) [ $# -ge 2 ] || { echo "run-tests.sh: --lib needs a path" >&2; exit 2; }
           export TWILL_LIB="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
    esac
done

bun="${BUN:-}"
if [ -z "$bun" ]; then
    for c in "$root/.tools/bun/node_modules/.bin/bun" "$root/.tools/bun/node_modules/bun/bin/bun.exe"; do
        if [ -x "$c" ]; then bun="$c"; break; fi
    done
fi
if [ -z "$bun" ] && command -v bun >/dev/null 2>&1; then bun="$(command -v bun)"; fi
if [ -z "$bun" ] || ! "$bun" --version >/dev/null 2>&1; then
    echo "run-tests.sh: FAIL: bun is not installed (looked at \$BUN, $root/.tools/bun, PATH)." >&2
    echo "run-tests.sh: install it with scripts/install-bun.sh (make deps runs it)." >&2
    exit 1
fi

cd "$here"
echo "run-tests.sh: bun $("$bun" --version) at $bun; TWILL_LIB=${TWILL_LIB:-<default search>}" >&2
exec "$bun" test "${args[@]}"
