#!/bin/sh
# psql against twill-server: starts the server (argv 1) on a free loopback port with a
# database in a temporary directory, runs psql (argv 2) with ON_ERROR_STOP, checks the
# output, then stops the server with SIGTERM and expects exit status 0.
set -eu
SERVER=$1
PSQL=${2:-psql}
BASE=${TWILL_TEST_TMP:-/tmp}
mkdir -p "$BASE"
DIR=$(mktemp -d "$BASE/psql-XXXXXX")
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$SERVER" --listen "127.0.0.1:$PORT" --db "file://$DIR/db" 2>"$DIR/server.log" &
PID=$!
fail() { echo "FAIL: $*" >&2; cat "$DIR/server.log" >&2; kill "$PID" 2>/dev/null || true; exit 1; }
i=0
until "$PSQL" -X -q -h 127.0.0.1 -p "$PORT" -U postgres -c 'SELECT 1' >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -lt 100 ] || fail "server did not start"; sleep 0.1
done
run() { "$PSQL" -X -h 127.0.0.1 -p "$PORT" -U postgres -v ON_ERROR_STOP=1 "$@"; }

out=$(run -A -t -c 'SELECT 1') || fail "SELECT 1"
[ "$out" = "1" ] || fail "SELECT 1 printed '$out'"

out=$(run -q -A -t <<'SQL'
\set ON_ERROR_STOP on
CREATE TABLE t (id INT PRIMARY KEY, name TEXT);
INSERT INTO t VALUES (1, 'one'), (2, 'two');
BEGIN;
UPDATE t SET name = 'TWO' WHERE id = 2;
COMMIT;
SELECT id || ':' || name FROM t ORDER BY id;
SQL
) || fail "script"
[ "$(echo "$out" | tr '\n' ' ')" = "1:one 2:TWO " ] || fail "script printed '$out'"

# An error stops psql (exit 3) and is reported with its SQLSTATE.
if run -c '\set VERBOSITY verbose' -c 'SELECT * FROM nope' >"$DIR/err.out" 2>&1; then
    fail "an error did not stop psql"
fi
grep -q '42P01' "$DIR/err.out" || fail "no SQLSTATE in: $(cat "$DIR/err.out")"

# \copy sends COPY ... FROM STDIN / TO STDOUT and streams the file through the connection.
printf '1,alpha\n2,"be,ta"\n3,\n' >"$DIR/in.csv"
out=$(run -q -c 'CREATE TABLE c (id INT, s TEXT)' -c "\\copy c FROM '$DIR/in.csv' WITH (FORMAT csv)" \
      -c "\\copy c TO '$DIR/out.txt'" -A -t -c 'SELECT count(*) FROM c WHERE s IS NULL') \
    || fail "\\copy"
[ "$out" = "1" ] || fail "\\copy loaded wrong NULLs: '$out'"
[ "$(cat "$DIR/out.txt")" = "$(printf '1\talpha\n2\tbe,ta\n3\t\\N')" ] \
    || fail "\\copy TO wrote '$(cat "$DIR/out.txt")'"
# A malformed row names its line and loads nothing.
printf '4,x\nfive,y\n' >"$DIR/bad.csv"
if run -c "\\copy c FROM '$DIR/bad.csv' WITH (FORMAT csv)" >"$DIR/err.out" 2>&1; then
    fail "a malformed row was accepted"
fi
grep -q 'COPY c, line 2' "$DIR/err.out" || fail "no line number in: $(cat "$DIR/err.out")"
out=$(run -A -t -c 'SELECT count(*) FROM c') || fail "count after bad copy"
[ "$out" = "3" ] || fail "a failed \\copy left rows: $out"

kill -TERM "$PID"
status=0
wait "$PID" || status=$?
[ "$status" -eq 0 ] || fail "server exit status $status after SIGTERM"
rm -rf "$DIR"
echo "ok"
