#!/bin/sh
# TLS: generates a self-signed certificate with the openssl CLI, starts the server
# (argv 1) with --tls-cert/--tls-key on a free loopback port, and drives psql (argv 2)
# with sslmode=require and verify-full (a COPY of 100k rows exercises records larger
# than one TLS record), sslmode=disable on the same server, then checks the refusals:
# unencrypted bytes pipelined after SSLRequest, a mismatched key, a server without
# TLS under sslmode=require; and cleartext passwords over TLS (--auth-over-tls
# password) with SCRAM still on plain connections. Each server is stopped with SIGTERM
# and must exit 0.
set -eu
SERVER=$1
PSQL=${2:-psql}
OPENSSL=${3:-openssl}
PY=/usr/bin/python3
BASE=${TWILL_TEST_TMP:-/tmp}
mkdir -p "$BASE"
DIR=$(mktemp -d "$BASE/tls-XXXXXX")
PID=
fail() {
    echo "FAIL: $*" >&2
    cat "$DIR/server.log" >&2 2>/dev/null || true
    [ -n "$PID" ] && kill "$PID" 2>/dev/null
    exit 1
}
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() { # start PORT [options...]
    port=$1; shift
    "$SERVER" --listen "127.0.0.1:$port" --db "file://$DIR/db" "$@" 2>>"$DIR/server.log" &
    PID=$!
    i=0
    until $PY -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null; do
        i=$((i + 1)); [ $i -lt 100 ] || fail "server did not start"; sleep 0.1
    done
}
stop() {
    kill -TERM "$PID"
    status=0
    wait "$PID" || status=$?
    PID=
    [ "$status" -eq 0 ] || fail "server exit status $status after SIGTERM"
}

"$OPENSSL" req -x509 -newkey rsa:2048 -nodes -keyout "$DIR/key.pem" -out "$DIR/cert.pem" \
    -days 1 -subj /CN=localhost -addext subjectAltName=DNS:localhost >/dev/null 2>&1 \
    || fail "openssl req"
"$OPENSSL" req -x509 -newkey rsa:2048 -nodes -keyout "$DIR/other.pem" -out "$DIR/other-cert.pem" \
    -days 1 -subj /CN=other >/dev/null 2>&1 || fail "openssl req (second key)"

# A key that does not match the certificate: the server refuses to start (exit 2).
status=0
"$SERVER" --listen "127.0.0.1:$(free_port)" --db "file://$DIR/db" --tls-cert "$DIR/cert.pem" \
    --tls-key "$DIR/other.pem" 2>"$DIR/bad.log" || status=$?
[ "$status" -eq 2 ] || fail "mismatched key: exit status $status"
grep -q "private key" "$DIR/bad.log" || fail "mismatched key: $(cat "$DIR/bad.log")"

PORT=$(free_port)
start "$PORT" --tls-cert "$DIR/cert.pem" --tls-key "$DIR/key.pem"
run() { "$PSQL" -X -v ON_ERROR_STOP=1 "$@"; }

out=$(run "host=127.0.0.1 port=$PORT user=postgres sslmode=require" -c '\conninfo') \
    || fail "sslmode=require"
echo "$out" | grep -q "SSL connection" || fail "not encrypted: $out"

seq 1 100000 | awk '{ print $1 "\trow " $1 }' >"$DIR/rows.tsv"
out=$(run "host=localhost hostaddr=127.0.0.1 port=$PORT user=postgres sslmode=verify-full sslrootcert=$DIR/cert.pem" \
      -q -A -t -c 'CREATE TABLE t (id INT PRIMARY KEY, s TEXT)' -c "\\copy t FROM '$DIR/rows.tsv'" \
      -c 'SELECT count(*), max(id) FROM t' -c "\\copy t TO '$DIR/back.tsv'") \
    || fail "sslmode=verify-full"
[ "$out" = "100000|100000" ] || fail "COPY over TLS: $out"
cmp -s "$DIR/rows.tsv" "$DIR/back.tsv" || fail "COPY TO over TLS differs"

out=$(run "host=127.0.0.1 port=$PORT user=postgres sslmode=disable" -A -t -c 'SELECT count(*) FROM t') \
    || fail "sslmode=disable on a TLS server"
[ "$out" = "100000" ] || fail "plain connection read $out"

# Bytes pipelined behind SSLRequest were sent in the clear: FATAL 08P01, no 'S'.
$PY - "$PORT" <<'PYEOF' || fail "unencrypted data after SSLRequest was not refused"
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
s.sendall(struct.pack("!ii", 8, 80877103) + struct.pack("!ii", 8, 196608))
reply = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    reply += chunk
sys.exit(0 if reply[:1] == b"E" and b"08P01" in reply else 1)
PYEOF
stop

# A password with --auth-over-tls password: TLS connections authenticate with a
# cleartext password (encrypted by TLS), plain ones still with SCRAM.
echo "s3cret pass" >"$DIR/pw"
start "$PORT" --tls-cert "$DIR/cert.pem" --tls-key "$DIR/key.pem" --password-file "$DIR/pw" \
    --auth-over-tls password
out=$(PGPASSWORD="s3cret pass" run "host=127.0.0.1 port=$PORT user=postgres sslmode=require" \
      -A -t -c 'SELECT 41 + 1') || fail "cleartext password over TLS"
[ "$out" = "42" ] || fail "cleartext password over TLS read $out"
if PGPASSWORD=wrong run "host=127.0.0.1 port=$PORT user=postgres sslmode=require" -c 'SELECT 1' \
    >"$DIR/err.out" 2>&1; then
    fail "a wrong cleartext password was accepted"
fi
grep -q "password authentication failed" "$DIR/err.out" || fail "wrong password: $(cat "$DIR/err.out")"
PGPASSWORD="s3cret pass" run "host=127.0.0.1 port=$PORT user=postgres sslmode=disable" \
    -c 'SELECT 1' >/dev/null || fail "SCRAM on a plain connection"
stop
grep -q "tls=on auth=password" "$DIR/server.log" || fail "no cleartext-over-TLS login logged"
grep -q "tls=off auth=scram-sha-256" "$DIR/server.log" || fail "no SCRAM login logged"

# Without --tls-cert, SSLRequest is answered 'N': require fails, prefer goes plain.
start "$PORT"
if run "host=127.0.0.1 port=$PORT user=postgres sslmode=require" -c 'SELECT 1' >/dev/null 2>&1; then
    fail "sslmode=require succeeded against a server without TLS"
fi
run "host=127.0.0.1 port=$PORT user=postgres sslmode=prefer" -c 'SELECT 1' >/dev/null \
    || fail "sslmode=prefer"
stop
rm -rf "$DIR"
echo "ok"
