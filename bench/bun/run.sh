#!/usr/bin/env bash
# Runs bench/bun/bench.ts (Twill through @twilldb/bun vs bun:sqlite) with the
# project-local bun (scripts/install-bun.sh), $BUN, or bun on PATH. Arguments go to
# the benchmark (--help lists them); --lib PATH sets TWILL_LIB.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
args=()
while [ $# -gt 0 ]; do
    case "$1" in
    --lib) [ $# -ge 2 ] || { echo "run.sh: --lib needs a path" >&2; exit 2; }
           export TWILL_LIB="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
    esac
done
bun="${BUN:-}"
[ -z "$bun" ] && [ -x "$root/.tools/bun/node_modules/.bin/bun" ] && bun="$root/.tools/bun/node_modules/.bin/bun"
[ -z "$bun" ] && command -v bun >/dev/null 2>&1 && bun="$(command -v bun)"
if [ -z "$bun" ]; then
    echo "bench/bun: bun is not installed; run scripts/install-bun.sh (make deps does)" >&2
    exit 1
fi
exec "$bun" "$here/bench.ts" "${args[@]}"
