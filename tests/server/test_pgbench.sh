#!/bin/sh
# pgbench against twill-server: starts the server (argv 1) on a free loopback port with a
# database in a temporary directory, then
#   pgbench -i -s 10                                  (tables, COPY of 1M accounts, vacuum, keys)
#   pgbench -S -c 4 -j 2 -T 4                         (select-only)
#   pgbench -c 4 -j 2 -T 4 --max-tries=0              (tpcb-like, simple protocol)
#   pgbench -M prepared -c 4 -j 2 -T 3 --max-tries=0  (tpcb-like, extended protocol)
#   pgbench -M extended -f pipeline.sql -c 4 ...      (tpcb-like in one pipeline: an
#                                                      implicit transaction up to Sync)
#   pgbench -i -s 1; pgbench -c 8 -j 2 -T 4 --max-tries=0  (8 clients on one branch row)
# and asserts that every run exits 0 with zero failed transactions and no aborted client,
# and that the balances add up after the tpcb-like runs (every retried transaction was
# rolled back whole, every counted one committed whole). The engine reports a
# write-write conflict as 40001 (snapshot isolation, first committer wins); pgbench
# retries those with --max-tries (0: unlimited within -T). Stops the server with SIGTERM
# and expects exit status 0. Times are not asserted.
set -eu
SERVER=$1
PGBENCH=${2:-pgbench}
PSQL=${3:-psql}
BASE=${TWILL_TEST_TMP:-/tmp}
mkdir -p "$BASE"
DIR=$(mktemp -d "$BASE/pgbench-XXXXXX")
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$SERVER" --listen "127.0.0.1:$PORT" --db "file://$DIR/db" 2>"$DIR/server.log" &
PID=$!
fail() {
    echo "FAIL: $*" >&2
    tail -40 "$DIR/server.log" >&2
    kill "$PID" 2>/dev/null || true
    exit 1
}
i=0
until "$PSQL" -X -q -h 127.0.0.1 -p "$PORT" -U postgres -c 'SELECT 1' >/dev/null 2>&1; do
    i=$((i + 1))
    [ $i -lt 100 ] || fail "server did not start"
    sleep 0.1
done
export PGHOST=127.0.0.1 PGPORT="$PORT" PGUSER=postgres PGDATABASE=postgres

# bench NAME ARGS...: runs pgbench, expects exit 0, zero failed transactions, no abort.
bench() {
    name=$1
    shift
    out="$DIR/$name.out"
    echo "pgbench $*"
    if ! "$PGBENCH" "$@" >"$out" 2>&1; then
        cat "$out" >&2
        fail "pgbench $* exited with an error"
    fi
    if grep -q 'aborted' "$out"; then
        cat "$out" >&2
        fail "pgbench $*: a client aborted"
    fi
    grep -q '^number of failed transactions: 0 ' "$out" || { cat "$out" >&2; fail "pgbench $*: failed transactions"; }
    grep -E '^(number of transactions actually processed|number of transactions retried|tps)' "$out"
}

# check_balances: the sums of the deltas in history equal each balance column.
check_balances() {
    sums=$("$PSQL" -X -A -t -c "SELECT (SELECT sum(abalance) FROM pgbench_accounts) || ' ' ||
        (SELECT sum(bbalance) FROM pgbench_branches) || ' ' || (SELECT sum(tbalance) FROM pgbench_tellers)
        || ' ' || (SELECT coalesce(sum(delta), 0) FROM pgbench_history)") || fail "balance query"
    # shellcheck disable=SC2086 # split the four sums into $1..$4
    set -- $sums
    echo "balances: accounts=$1 branches=$2 tellers=$3 history=$4"
    [ "$1" = "$4" ] && [ "$2" = "$4" ] && [ "$3" = "$4" ] || fail "balances do not add up: $sums"
}

# processed NAME...: the transactions the named tpcb-like runs counted.
processed() {
    total=0
    for n in "$@"; do
        k=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$DIR/$n.out")
        total=$((total + k))
    done
    echo "$total"
}

echo "pgbench -i -s 10"
"$PGBENCH" -i -s 10 >"$DIR/init10.out" 2>&1 || { cat "$DIR/init10.out" >&2; fail "pgbench -i -s 10"; }
grep -q '^done in' "$DIR/init10.out" || { cat "$DIR/init10.out" >&2; fail "pgbench -i -s 10 did not finish"; }
n=$("$PSQL" -X -A -t -c 'SELECT count(*) FROM pgbench_accounts') || fail "count"
[ "$n" = 1000000 ] || fail "pgbench_accounts has $n rows, want 1000000"

bench select4 -S -c 4 -j 2 -T 4
bench tpcb4 -c 4 -j 2 -T 4 --max-tries=0
check_balances
bench tpcb4p -n -M prepared -c 4 -j 2 -T 3 --max-tries=0
check_balances
# tpcb-like's statements in one pipeline (no BEGIN/END: the Executes up to Sync are one
# implicit transaction, committed at Sync, where a conflict is found and retried).
cat >"$DIR/pipeline.sql" <<'EOF'
\set aid random(1, 100000 * :scale)
\set bid random(1, 1 * :scale)
\set tid random(1, 10 * :scale)
\set delta random(-5000, 5000)
\startpipeline
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;
UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);
\endpipeline
EOF
bench pipe4 -n -M extended -f "$DIR/pipeline.sql" -c 4 -j 2 -T 3 --max-tries=0
check_balances
h=$("$PSQL" -X -A -t -c 'SELECT count(*) FROM pgbench_history') || fail "history count"
# The tpcb4 run truncated history first (no -n), the later ones appended to it.
[ "$h" = "$(processed tpcb4 tpcb4p pipe4)" ] ||
    fail "history has $h rows, the runs counted $(processed tpcb4 tpcb4p pipe4)"

echo "pgbench -i -s 1"
"$PGBENCH" -i -s 1 >"$DIR/init1.out" 2>&1 || { cat "$DIR/init1.out" >&2; fail "pgbench -i -s 1"; }
bench tpcb8 -c 8 -j 2 -T 4 --max-tries=0
check_balances
h=$("$PSQL" -X -A -t -c 'SELECT count(*) FROM pgbench_history') || fail "history count"
[ "$h" = "$(processed tpcb8)" ] || fail "history has $h rows, the run counted $(processed tpcb8)"

kill -TERM "$PID"
status=0
wait "$PID" || status=$?
[ "$status" -eq 0 ] || fail "server exit status $status after SIGTERM"
rm -rf "$DIR"
echo "ok"
