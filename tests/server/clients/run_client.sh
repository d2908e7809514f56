#!/bin/sh
# Runs one client test against a fresh twill-server: starts the server (argv 1) on a
# free loopback port with a database in a temporary directory, runs the client script
# (argv 3) with the runtime named by argv 2 (node, bun or python), then stops the
# server with SIGTERM and expects exit status 0.
#
# The script reads TWILL_PORT (the server's port) and TWILL_CLIENTS (the folder the
# npm clients were installed into by install_npm_clients.sh). A client that is missing
# is a failure, never a skip.
set -eu
SERVER=$1
KIND=$2
SCRIPT=$3
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
BASE=${TWILL_TEST_TMP:-/tmp}
mkdir -p "$BASE"
DIR=$(mktemp -d "$BASE/client-XXXXXX")
PY=/usr/bin/python3 # Debian's python: python3-psycopg2 lives there
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$SERVER" --listen "127.0.0.1:$PORT" --db "file://$DIR/db" 2>"$DIR/server.log" &
PID=$!
fail() {
    echo "FAIL: $*" >&2
    echo "--- server log" >&2
    tail -n 30 "$DIR/server.log" >&2
    kill "$PID" 2>/dev/null || true
    exit 1
}
i=0
until $PY -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 100 ] || fail "server did not start"; sleep 0.1
done
export TWILL_PORT=$PORT
case $KIND in
node) command -v node >/dev/null || fail "node is not installed"
      node "$SCRIPT" || fail "$SCRIPT" ;;
bun) BUN=$(bash "$ROOT/scripts/install-bun.sh") || fail "bun could not be installed"
     "$BUN" run "$SCRIPT" || fail "$SCRIPT" ;;
python) $PY "$SCRIPT" || fail "$SCRIPT" ;;
*) fail "unknown client kind $KIND" ;;
esac
kill -TERM "$PID"
status=0
wait "$PID" || status=$?
[ "$status" -eq 0 ] || fail "server exit status $status after SIGTERM"
rm -rf "$DIR"
echo "ok"
