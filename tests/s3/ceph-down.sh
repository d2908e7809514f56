#!/usr/bin/env bash
# Stops the cluster that tests/s3/ceph-up.sh DIR started: each daemon by the PID in its
# pid file (never by name, so other clusters on the machine are left alone), waiting up
# to 10 s for it to exit before SIGKILL. Idempotent; leaves DIR for the caller to remove.
set -uo pipefail

DIR=${1:?usage: ceph-down.sh DIR}
[ -d "$DIR/run" ] || exit 0

pids=()
for f in "$DIR"/run/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        pids+=("$pid")
    fi
    rm -f "$f"
done
for _ in $(seq 1 100); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && exit 0
    sleep 0.1
done
for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
exit 0
