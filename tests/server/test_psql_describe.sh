#!/bin/sh
# psql's describe meta-commands against twill-server (the system catalogs, pgcatalog.h):
# starts the server (argv 1) on a free loopback port with a database in a temporary
# directory, runs psql (argv 2) over psql_describe.sql (\d table / view / sequence /
# index, \dt, \di, \dn, \l, \df, \d, \dv, \ds) and compares its whole output with
# psql_describe.expected — which is what PostgreSQL 15 prints for the same script,
# except \l (one database, "postgres", collation C). Then stops the server with SIGTERM.
set -eu
SERVER=$1
PSQL=${2:-psql}
HERE=$(cd "$(dirname "$0")" && pwd)
BASE=${TWILL_TEST_TMP:-/tmp}
mkdir -p "$BASE"
DIR=$(mktemp -d "$BASE/psqldesc-XXXXXX")
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$SERVER" --listen "127.0.0.1:$PORT" --db "file://$DIR/db" 2>"$DIR/server.log" &
PID=$!
fail() { echo "FAIL: $*" >&2; cat "$DIR/server.log" >&2; kill "$PID" 2>/dev/null || true; exit 1; }
i=0
until "$PSQL" -X -q -h 127.0.0.1 -p "$PORT" -U postgres -c 'SELECT 1' >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -lt 100 ] || fail "server did not start"; sleep 0.1
done

PAGER= LC_ALL=C "$PSQL" -X -h 127.0.0.1 -p "$PORT" -U postgres <"$HERE/psql_describe.sql" \
    >"$DIR/out" 2>&1 || fail "psql exited with $?"
if ! diff -u "$HERE/psql_describe.expected" "$DIR/out" >"$DIR/diff"; then
    cat "$DIR/diff" >&2
    fail "psql output differs from psql_describe.expected"
fi
# Spot checks of real content (so that a wrongly regenerated expected file shows too).
grep -q '^ s      | integer                  |           | not null | nextval(.t1_s_seq.::regclass)$' "$DIR/out" \
    || fail "serial column default"
grep -q '"t1_pkey" PRIMARY KEY, btree (id)' "$DIR/out" || fail "primary key"
grep -q '"t1_v" UNIQUE, btree (v, n)' "$DIR/out" || fail "unique index"
grep -q '^ public | t1_name | index | postgres | t1$' "$DIR/out" || fail "\\di"
grep -q '^Owned by: public.t1.s$' "$DIR/out" || fail "owned sequence"
grep -q '^ public | pg_database_owner$' "$DIR/out" || fail "\\dn"

kill -TERM "$PID"
status=0
wait "$PID" || status=$?
[ "$status" -eq 0 ] || fail "server exit status $status after SIGTERM"
rm -rf "$DIR"
echo "ok"
