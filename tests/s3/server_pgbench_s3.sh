#!/bin/sh
# pgbench against twill-server on s3:// (run through s3run, which starts Ceph and exports
# TWILL_TEST_URL): the server (argv 1) serves the object-store database;
#   pgbench -i -s 1, then tpcb-like with 4 clients (--max-tries=0)
# must finish with zero failed transactions, no aborted client, balances that add up and
# one history row per counted transaction. Then the server is stopped (SIGTERM) and a
# new server process opens the same s3:// database with an empty cache directory: the
# balances and the history are all still there. Times are not asserted.
set -eu
SERVER=$1
PGBENCH=${2:-pgbench}
PSQL=${3:-psql}
URL=${TWILL_TEST_URL:?run through s3run (ctest -L s3)}
BASE=${TWILL_TEST_TMP:-/tmp}
mkdir -p "$BASE"
DIR=$(mktemp -d "$BASE/pgbench-s3-XXXXXX")
PID=
# whatever ends this script (an error under set -eu too) must not leave a server behind
trap '[ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null; true' EXIT
fail() {
    echo "FAIL: $*" >&2
    tail -40 "$DIR/server.log" >&2
    [ -n "$PID" ] && kill "$PID" 2>/dev/null
    exit 1
}
start() {
    mkdir -p "$DIR/$1"
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    TWILL_CACHE_DIR="$DIR/$1" "$SERVER" --listen "127.0.0.1:$PORT" --db "$URL" 2>>"$DIR/server.log" &
    PID=$!
    i=0
    until "$PSQL" -X -q -h 127.0.0.1 -p "$PORT" -U postgres -c 'SELECT 1' >/dev/null 2>&1; do
        i=$((i + 1))
        [ $i -lt 300 ] || fail "server did not start"
        sleep 0.1
    done
    export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres
}
stop() {
    kill -TERM "$PID"
    status=0
    wait "$PID" || status=$?
    PID=
    [ "$status" -eq 0 ] || fail "server exit status $status after SIGTERM"
}
check() {
    what=$1
    sums=$("$PSQL" -X -A -t -c "SELECT (SELECT sum(abalance) FROM pgbench_accounts) || ' ' ||
        (SELECT sum(bbalance) FROM pgbench_branches) || ' ' || (SELECT sum(tbalance) FROM pgbench_tellers)
        || ' ' || (SELECT coalesce(sum(delta), 0) FROM pgbench_history) || ' ' ||
        (SELECT count(*) FROM pgbench_history) || ' ' || (SELECT count(*) FROM pgbench_accounts)") ||
        fail "balance query"
    set -- $sums
    [ $# -eq 6 ] || fail "balance query printed '$sums'"
    echo "$what: accounts=$1 branches=$2 tellers=$3 history=$4 (history rows $5, accounts $6)"
    [ "$1" = "$4" ] && [ "$2" = "$4" ] && [ "$3" = "$4" ] || fail "balances do not add up: $sums"
    [ "$5" = "$PROCESSED" ] || fail "history has $5 rows, pgbench counted $PROCESSED"
    [ "$6" = 100000 ] || fail "pgbench_accounts has $6 rows"
}

start cache-1
echo "pgbench -i -s 1 on $URL"
"$PGBENCH" -i -s 1 >"$DIR/init.out" 2>&1 || { cat "$DIR/init.out" >&2; fail "pgbench -i -s 1"; }
echo "pgbench -c 4 -j 2 -T 5 --max-tries=0"
"$PGBENCH" -c 4 -j 2 -T 5 --max-tries=0 >"$DIR/run.out" 2>&1 || { cat "$DIR/run.out" >&2; fail "pgbench"; }
if grep -q 'aborted' "$DIR/run.out"; then cat "$DIR/run.out" >&2; fail "a client aborted"; fi
grep -q '^number of failed transactions: 0 ' "$DIR/run.out" || { cat "$DIR/run.out" >&2; fail "failed transactions"; }
grep -E '^(number of transactions actually processed|number of transactions retried|tps)' "$DIR/run.out"
PROCESSED=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$DIR/run.out")
check "after the run"
stop
start cache-2
check "a new server process, empty cache"
stop
rm -rf "$DIR"
echo "ok"
