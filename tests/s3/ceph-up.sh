#!/usr/bin/env bash
# Starts a throwaway single-node Ceph cluster (one mon, one memstore OSD, radosgw) on
# 127.0.0.1 with all its state under DIR, creates an S3 user with known keys, and
# prints the S3 endpoint (http://127.0.0.1:PORT) on stdout as its only output.
#
#   tests/s3/ceph-up.sh DIR     then     tests/s3/ceph-down.sh DIR
#
# Data lives in RAM (memstore): the cluster is for tests, never for real data. The
# access key / secret key are TWILL_S3_ACCESS_KEY / TWILL_S3_SECRET_KEY when set, else
# "twilltest" / "twilltestsecret". Settings and why each is there: docs/storage-object.md.
# Logs are in DIR/log; on failure the tail of the relevant log is printed to stderr.
set -euo pipefail

DIR=${1:?usage: ceph-up.sh DIR}
ACCESS=${TWILL_S3_ACCESS_KEY:-twilltest}
SECRET=${TWILL_S3_SECRET_KEY:-twilltestsecret}

for bin in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph; do
    command -v "$bin" >/dev/null 2>&1 || {
        echo "ceph-up: $bin not found (install: apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd)" >&2
        exit 1
    }
done

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
mkdir -p "$DIR/mon" "$DIR/osd" "$DIR/run" "$DIR/log" "$DIR/rgw"

fail() {
    echo "ceph-up: $1" >&2
    [ -n "${2:-}" ] && [ -f "$2" ] && tail -n 30 "$2" >&2
    exit 1
}

# A free TCP port on 127.0.0.1 (random, checked against the listening sockets).
free_port() {
    local p
    for _ in $(seq 1 100); do
        p=$((20000 + RANDOM % 40000))
        if ! ss -Htln "sport = :$p" | grep -q .; then
            echo "$p"
            return 0
        fi
    done
    fail "no free port found"
}
MON_PORT=$(free_port)
RGW_PORT=$(free_port)
while [ "$RGW_PORT" = "$MON_PORT" ]; do RGW_PORT=$(free_port); done

FSID=$(cat /proc/sys/kernel/random/uuid)
CONF="$DIR/ceph.conf"
cat >"$CONF" <<CONF
[global]
fsid = $FSID
mon host = v1:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
pid file = $DIR/run/\$name.pid
log file = $DIR/log/\$name.log
mon data = $DIR/mon/\$id
osd data = $DIR/osd/\$id
osd objectstore = memstore
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd crush update on start = false
osd class update on start = false
paxos propose interval = 0.05
paxos min wait = 0.01
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
rgw init timeout = 60
rgw data = $DIR/rgw
CONF

CEPH=(ceph -c "$CONF" --connect-timeout 20)

monmaptool --create --fsid "$FSID" --addv a "[v1:127.0.0.1:$MON_PORT]" "$DIR/monmap" >/dev/null 2>&1 ||
    fail "monmaptool failed"
ceph-mon -c "$CONF" -i a --mkfs --monmap "$DIR/monmap" >"$DIR/log/mkfs-mon.out" 2>&1 ||
    fail "ceph-mon --mkfs failed" "$DIR/log/mkfs-mon.out"
ceph-mon -c "$CONF" -i a 2>>"$DIR/log/start.err" || fail "ceph-mon did not start" "$DIR/log/mon.a.log"

OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
# A mon that has just started can answer EPERM before its first election settles;
# `osd new` with the same uuid is idempotent, so retry it briefly.
OSD_ID=
for _ in $(seq 1 20); do
    OSD_ID=$("${CEPH[@]}" osd new "$OSD_UUID" 2>"$DIR/log/osd-new.out") && break
    OSD_ID=
    sleep 0.25
done
[ -n "$OSD_ID" ] || fail "ceph osd new failed (is the mon up?)" "$DIR/log/osd-new.out"
mkdir -p "$DIR/osd/$OSD_ID"
# Under load the mon can be briefly unavailable here too: retry like `osd new` above.
CRUSH_OK=
for _ in $(seq 1 20); do
    if "${CEPH[@]}" osd crush add "osd.$OSD_ID" 1.0 root=default host=localhost \
        >"$DIR/log/crush-add.out" 2>&1; then
        CRUSH_OK=1
        break
    fi
    sleep 0.25
done
[ -n "$CRUSH_OK" ] || fail "ceph osd crush add failed" "$DIR/log/crush-add.out"
ceph-osd -c "$CONF" -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" >"$DIR/log/mkfs-osd.out" 2>&1 ||
    fail "ceph-osd --mkfs failed" "$DIR/log/mkfs-osd.out"
ceph-osd -c "$CONF" -i "$OSD_ID" 2>>"$DIR/log/start.err" || fail "ceph-osd did not start" "$DIR/log/osd.$OSD_ID.log"

radosgw -c "$CONF" -n client.rgw 2>>"$DIR/log/start.err" || fail "radosgw did not start" "$DIR/log/client.rgw.log"

# radosgw creates its pools on first start; it answers HTTP once they exist.
for i in $(seq 1 600); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$RGW_PORT") 2>/dev/null; then break; fi
    [ "$i" = 600 ] && fail "radosgw is not listening on 127.0.0.1:$RGW_PORT after 60 s" \
        "$DIR/log/client.rgw.log"
    sleep 0.1
done
radosgw-admin -c "$CONF" user create --uid=twill --display-name=twill \
    --access-key="$ACCESS" --secret-key="$SECRET" >"$DIR/log/user-create.out" 2>&1 ||
    fail "radosgw-admin user create failed" "$DIR/log/user-create.out"

echo "http://127.0.0.1:$RGW_PORT" >"$DIR/endpoint"
echo "http://127.0.0.1:$RGW_PORT"
