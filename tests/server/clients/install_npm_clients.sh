#!/bin/sh
# Installs the npm clients the client tests use (node-postgres and postgres.js) into
# argv 1 (a folder under the build directory). Idempotent: npm does nothing when the
# pinned versions are there. Failing to install is a test failure.
set -eu
DEST=$1
mkdir -p "$DEST"
if [ -f "$DEST/node_modules/pg/package.json" ] && [ -f "$DEST/node_modules/postgres/package.json" ]; then
    exit 0
fi
command -v npm >/dev/null || { echo "FAIL: npm is not installed" >&2; exit 1; }
npm install --prefix "$DEST" --no-audit --no-fund --loglevel=error pg@8 postgres@3
