#!/usr/bin/env bash
# bench_server.sh — pgbench against twill-server and against a throwaway PostgreSQL 15
# in the same run: same scale, clients, duration and pgbench options, fsync on both.
# Prints TPS for each side and the ratio (twill / postgres; above 1: Twill is faster).
# Run with --help. Progress goes to stderr, the results table to stdout.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: bench_server.sh --server PATH [options]

pgbench (select-only -S and the built-in tpcb-like script) against twill-server and a
throwaway PostgreSQL 15 cluster, both started here on 127.0.0.1 in a temporary
directory and stopped at the end. Same scale, clients, threads and duration on both;
fsync and synchronous_commit on in both (Twill's commits are always durable).

options:
  --server PATH      the twill-server binary (required)
  --scale N          pgbench scale factor (default 10)
  --duration S       seconds per run (default 10)
  --clients LIST     client counts (default "1 4 16")
  --workloads LIST   "select-only tpcb-like" (default both)
  --mode M           pgbench query mode for both sides: simple (default), extended or
                     prepared
  --max-tries N      pgbench --max-tries for both sides (default 0 = unlimited: Twill
                     reports write-write conflicts as 40001 and pgbench retries them)
  --pg-bindir DIR    PostgreSQL server programs (default /usr/lib/postgresql/15/bin)
  --pg-user NAME     user that runs PostgreSQL when this script runs as root
                     (default postgres)
  --keep             keep the temporary directory
  -h, --help         this text

Output: one line per run on stderr while it goes, then a table on stdout:
  workload clients twill_tps postgres_tps ratio twill_retried twill_failed
EOF
}

SERVER=
SCALE=10
DURATION=10
CLIENTS="1 4 16"
WORKLOADS="select-only tpcb-like"
MAX_TRIES=0
MODE=simple
PG_BINDIR=/usr/lib/postgresql/15/bin
PG_USER=postgres
KEEP=0
while [ $# -gt 0 ]; do
    case "$1" in
    --server) SERVER=$2; shift 2 ;;
    --scale) SCALE=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --workloads) WORKLOADS=$2; shift 2 ;;
    --max-tries) MAX_TRIES=$2; shift 2 ;;
    --mode) MODE=$2; shift 2 ;;
    --pg-bindir) PG_BINDIR=$2; shift 2 ;;
    --pg-user) PG_USER=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "bench_server: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ -n "$SERVER" ] || { echo "bench_server: --server PATH is required (see --help)" >&2; exit 2; }
[ -x "$SERVER" ] || { echo "bench_server: $SERVER is not executable" >&2; exit 2; }
PGBENCH=$(command -v pgbench) || { echo "bench_server: pgbench not found (postgresql-client-15)" >&2; exit 2; }
PSQL=$(command -v psql) || { echo "bench_server: psql not found" >&2; exit 2; }
[ -x "$PG_BINDIR/initdb" ] && [ -x "$PG_BINDIR/pg_ctl" ] || {
    echo "bench_server: no initdb/pg_ctl in $PG_BINDIR (install postgresql-15 or pass --pg-bindir)" >&2
    exit 2
}

say() { echo "[bench_server $(date -u +%H:%M:%S)] $*" >&2; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# PostgreSQL refuses to run as root: run its programs as an unprivileged user.
AS_PG=()
if [ "$(id -u)" = 0 ]; then
    id "$PG_USER" >/dev/null 2>&1 || { echo "bench_server: running as root and no user $PG_USER (--pg-user)" >&2; exit 2; }
    AS_PG=(setpriv --reuid="$(id -u "$PG_USER")" --regid="$(id -g "$PG_USER")" --clear-groups --)
fi

ROOT=$(mktemp -d "${TMPDIR:-/tmp}/twill-bench-server-XXXXXX")
chmod 755 "$ROOT"
TW_PID=
PG_UP=0
cleanup() {
    if [ -n "$TW_PID" ]; then
        kill -TERM "$TW_PID" 2>/dev/null || true
        wait "$TW_PID" 2>/dev/null || true
    fi
    if [ "$PG_UP" = 1 ]; then
        "${AS_PG[@]}" "$PG_BINDIR/pg_ctl" -D "$ROOT/pg" -m fast -w -s stop >/dev/null 2>&1 || true
    fi
    if [ "$KEEP" = 1 ]; then say "kept $ROOT"; else rm -rf "$ROOT"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

NPROC=$(nproc 2>/dev/null || echo 2)

# ---- twill-server ----
TW_PORT=$(free_port)
say "starting twill-server on 127.0.0.1:$TW_PORT (database in $ROOT/twill)"
"$SERVER" --listen "127.0.0.1:$TW_PORT" --db "file://$ROOT/twill" --max-connections 200 \
    --log-level warn --slow-query-ms -1 2>"$ROOT/twill.log" &
TW_PID=$!
for i in $(seq 100); do
    "$PSQL" -X -q -h 127.0.0.1 -p "$TW_PORT" -U postgres -c 'SELECT 1' >/dev/null 2>&1 && break
    [ "$i" -lt 100 ] || { echo "bench_server: twill-server did not start" >&2; cat "$ROOT/twill.log" >&2; exit 1; }
    sleep 0.1
done

# ---- PostgreSQL 15 ----
mkdir -p "$ROOT/pg"
[ ${#AS_PG[@]} -eq 0 ] || chown "$PG_USER" "$ROOT/pg"
say "initdb PostgreSQL in $ROOT/pg"
"${AS_PG[@]}" "$PG_BINDIR/initdb" -D "$ROOT/pg" -A trust -U postgres -E UTF8 --locale=C \
    >"$ROOT/initdb.log" 2>&1 || { cat "$ROOT/initdb.log" >&2; exit 1; }
PG_PORT=$(free_port)
touch "$ROOT/pg.log"
[ ${#AS_PG[@]} -eq 0 ] || chown "$PG_USER" "$ROOT/pg.log"
say "starting PostgreSQL on 127.0.0.1:$PG_PORT (fsync=on, synchronous_commit=on)"
"${AS_PG[@]}" "$PG_BINDIR/pg_ctl" -D "$ROOT/pg" -l "$ROOT/pg.log" -w -t 60 -s \
    -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories='$ROOT/pg' -c max_connections=200 -c fsync=on -c synchronous_commit=on" \
    start || { cat "$ROOT/pg.log" >&2; exit 1; }
PG_UP=1

# ---- load ----
for side in twill postgres; do
    port=$TW_PORT
    [ "$side" = postgres ] && port=$PG_PORT
    say "pgbench -i -s $SCALE on $side"
    t0=$(date +%s.%N)
    "$PGBENCH" -i -q -s "$SCALE" -h 127.0.0.1 -p "$port" -U postgres postgres >"$ROOT/init-$side.log" 2>&1 ||
        { echo "bench_server: pgbench -i failed on $side" >&2; cat "$ROOT/init-$side.log" >&2; exit 1; }
    say "  loaded in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
done

# ---- runs ----
# run SIDE WORKLOAD CLIENTS: prints "tps retried failed"
run() {
    local side=$1 wl=$2 c=$3 port=$TW_PORT
    [ "$side" = postgres ] && port=$PG_PORT
    local j=$((c < NPROC ? c : NPROC))
    local args=(-n -M "$MODE" -c "$c" -j "$j" -T "$DURATION" --max-tries="$MAX_TRIES")
    [ "$wl" = select-only ] && args+=(-S)
    local log="$ROOT/run-$side-$wl-$c.log"
    "$PGBENCH" "${args[@]}" -h 127.0.0.1 -p "$port" -U postgres postgres >"$log" 2>&1 || true
    local tps retried failed
    tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$log")
    retried=$(sed -n 's/^number of transactions retried: \([0-9]*\).*/\1/p' "$log")
    failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$log")
    if [ -z "$tps" ] || grep -q 'aborted' "$log"; then
        say "  $side $wl clients=$c: pgbench did not finish cleanly:"
        tail -5 "$log" >&2
        tps=${tps:-0}
    fi
    echo "${tps:-0} ${retried:-0} ${failed:-0}"
}

RESULTS=()
order=0
for wl in $WORKLOADS; do
    for c in $CLIENTS; do
        # Alternate which side goes first, so a slow stretch of the shared disk does not
        # always hit the same one.
        if [ $((order % 2)) = 0 ]; then sides="twill postgres"; else sides="postgres twill"; fi
        order=$((order + 1))
        for side in $sides; do
            say "$wl clients=$c $side: pgbench -n -M $MODE ${wl/select-only/-S} -c $c -T $DURATION"
            read -r tps retried failed < <(run "$side" "$wl" "$c")
            if [ "$side" = twill ]; then
                tw_tps=$tps tw_retried=$retried tw_failed=$failed
            else
                pg_tps=$tps
            fi
            say "  tps=$tps retried=$retried failed=$failed"
        done
        ratio=$(awk -v a="$tw_tps" -v b="$pg_tps" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
        RESULTS+=("$wl $c $tw_tps $pg_tps $ratio $tw_retried $tw_failed")
    done
done

pgver=$("$PG_BINDIR/postgres" --version | sed 's/.* \([0-9][0-9.]*\).*/\1/')
echo "# pgbench scale=$SCALE duration=${DURATION}s mode=$MODE max-tries=$MAX_TRIES, twill-server vs PostgreSQL $pgver, $NPROC CPUs"
printf '%-12s %7s %12s %12s %6s %13s %12s\n' workload clients twill_tps postgres_tps ratio twill_retried twill_failed
for r in "${RESULTS[@]}"; do
    # shellcheck disable=SC2086
    set -- $r
    printf '%-12s %7s %12.0f %12.0f %6s %13s %12s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7"
done
