#!/bin/sh
# SPDX-License-Identifier: MIT
# servermesh over HTTP on loopback, driven by portal-http.py (Python's standard library):
# Hello; 404/405/415; 413 by Content-Length, by streamed size and before the body (Expect:
# 100-continue); a far oversize body closes the connection; pipelining, chunked bodies, HTTP/1.0
# and what is not a request (400/431/501/505/417, then closed); the per-client rate limit answers
# 429 with Retry-After and recovers; one log line per request and no body text in the log; the
# database survives a restart, is 0600 in a 0700 folder, and a newer schema is refused; TLS with a
# self-signed certificate, accepted with its CA file and refused without; bad options refused.
set -u
SERVERMESH=$1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/portal-lib.sh"
PY="/usr/bin/python3 $(dirname "$0")/portal-http.py"
DB="$XDG_DATA_HOME/servermesh/example.com.db"
start() { portal_start "$@"; }
stop() { portal_stop; }

requests() { grep -c '^servermesh: [0-9-]*T[0-9:.]*Z ' "$1"; }

# A: plain HTTP, default limits.
check "servermesh starts on a free port" start "$TMP/log.1"
for c in hello unknown malformed get path type big big_chunked big_continue huge secret protocol; do
	if out=$($PY "$URL" $c); then ok "http: $c"; else not_ok "http: $c: $out"; fi
done
sleep 0.6
# 29 requests: hello 1, unknown 1, malformed 1, get 1, path 1, type 4, big 2, big_chunked 2,
# big_continue 2, huge 2, secret 1, protocol 11 (2 pipelined, chunked, 1.0 twice, 6 refused).
n=$(requests "$TMP/log.1")
check "one log line per request (29 requests, $n lines)" [ "$n" = 29 ]
check "the log line names client, method, path, transaction, status, sizes, time" \
	grep -q '^servermesh: [0-9T:.-]*Z 127.0.0.1 POST /.well-known/mmm/ Hello 200 20 [0-9][0-9]* [0-9.]*ms$' \
	"$TMP/log.1"
check "an oversize body is logged 413 with its size" \
	grep -q ' POST /.well-known/mmm/ - 413 2097152 ' "$TMP/log.1"
check "no request body text in the log" sh -c "! grep -q -e SECRET-MARKER -e yyyy -e xxxx '$TMP/log.1'"
# Connections are kept open after an answer (keep-alive); one its client closed is released
# within a sweep (libsoup 3.2 does not notice that itself).
sockets=$(ls -l "/proc/$SPID/fd" | grep -c 'socket:')
check "no connection is left open once its client closed it ($sockets sockets)" [ "$sockets" -le 1 ]
listening=$(ss -Htln | grep -c ":$(echo "$URL" | sed 's|^http://[^:]*:\([0-9]*\)/.*|\1|') ")
check "its port listens once ($listening)" [ "$listening" = 1 ]
check "servermesh listens on no other port" sh -c \
	"[ \$(ss -Htlnp | grep -c 'pid=$SPID,') = 1 ]"
if out=$($PY "$URL" keepalive); then ok "keep-alive: 12 requests on one connection, also after a pause"; else not_ok "keepalive: $out"; fi
python3 -c "
import socket, sys, time
from urllib.parse import urlparse
u = urlparse(sys.argv[1]); b = b'{\"HelloRequest\": {}}'
r = (b'POST /.well-known/mmm/ HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\n'
     b'Content-Length: %d\\r\\n\\r\\n%s' % (len(b), b))
ss = [socket.create_connection((u.hostname, u.port)) for _ in range(20)]
for s in ss:
    s.sendall(r); s.recv(4096)
time.sleep(0.2)
for s in ss:
    s.close()" "$URL"
sleep 0.6
sockets=$(ls -l "/proc/$SPID/fd" | grep -c 'socket:')
check "20 idle keep-alive connections closed by their client are released ($sockets sockets)" \
	[ "$sockets" -le 1 ]
check "SIGTERM stops it cleanly" stop
check "servermesh starts with 4 connections per address" start "$TMP/log.ka" --db "$TMP/ka.db" \
	--max-connections-per-address 4
if out=$($PY "$URL" keepalive_cap); then ok "keep-alive: a client's idle connection makes room for its new one"; else not_ok "keepalive_cap: $out"; fi
if out=$($PY "$URL" keepalive_held); then ok "keep-alive: connections with requests under way are not closed to make room"; else not_ok "keepalive_held: $out"; fi
check "the cap's server stops cleanly" stop

# B: the database: modes, survives a restart, a newer schema refused.
check "database file 0600" [ "$(stat -c %a "$DB")" = 600 ]
check "database folder 0700" [ "$(stat -c %a "$(dirname "$DB")")" = 700 ]
/usr/bin/python3 -c "
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute(\"INSERT INTO accounts VALUES ('alice', 'MB2G-ALICE', 1)\")
db.execute(\"INSERT INTO entries (identifier, account, type, serial, body, updated) VALUES ('MB2G-ALICE', 'alice', 'SignedPersonalProfile', 1, '{}', 1)\")
db.commit()" "$DB"
check "servermesh starts again on the same database" start "$TMP/log.2"
if out=$($PY "$URL" hello); then ok "restarted: hello"; else not_ok "restarted: hello: $out"; fi
check "restart stops cleanly" stop
check "the account written before the restart is still there" [ "$(/usr/bin/python3 -c "
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute('SELECT count(*) FROM accounts a JOIN entries e ON e.identifier = a.identifier').fetchone()[0],
      db.execute('SELECT version FROM schema_version').fetchone()[0],
      db.execute('PRAGMA journal_mode').fetchone()[0])" "$DB")" = "1 2 wal" ]
/usr/bin/python3 -c "
import sqlite3, sys
db = sqlite3.connect(sys.argv[1]); db.execute('UPDATE schema_version SET version = 3'); db.commit()" "$DB"
expect_fail "a database of a newer schema is refused" 5 "schema version 3" "$SERVERMESH" example.com
/usr/bin/python3 -c "
import sqlite3, sys
db = sqlite3.connect(sys.argv[1]); db.execute('UPDATE schema_version SET version = 2'); db.commit()" "$DB"

# C: the rate limit, small to keep the test short.
check "servermesh starts with --rate 2 --burst 5" start "$TMP/log.3" --db "$TMP/rate.db" --rate 2 --burst 5
if out=$($PY "$URL" rate); then ok "burst beyond the limit: 429 with Retry-After, then recovers"; else not_ok "rate: $out"; fi
check "rate-limited server stops cleanly" stop

# D: TLS with a self-signed certificate.
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -days 2 -keyout "$TMP/key.pem" \
	-out "$TMP/cert.pem" 2>"$TMP/openssl.err"; then
	ok "self-signed certificate made"
else
	not_ok "openssl: $(cat "$TMP/openssl.err")"
fi
check "servermesh starts with TLS" start "$TMP/log.4" --db "$TMP/tls.db" --tls-cert "$TMP/cert.pem" \
	--tls-key "$TMP/key.pem"
check "it announces an https URL" sh -c "echo '$URL' | grep -q '^https://127.0.0.1:[0-9]*/.well-known/mmm/$'"
for c in hello get big; do
	if out=$($PY "$URL" $c "$TMP/cert.pem"); then ok "https: $c"; else not_ok "https: $c: $out"; fi
done
if out=$($PY "$URL" tls_without_ca); then ok "https: a client without the CA file refuses the portal"; else not_ok "https: $out"; fi
if out=$($PY "$URL" plain_to_tls); then ok "https: plain HTTP to the TLS port gets no answer"; else not_ok "https: $out"; fi
check "TLS server stops cleanly" stop

# E: bad start-up options: exit status is the MeshError code, one line on stderr.
expect_fail "a bad domain is refused" 2 "not a domain name" "$SERVERMESH" ../etc
expect_fail "--tls-cert without --tls-key is refused" 3 "both a certificate and its key" \
	"$SERVERMESH" example.com --db "$TMP/x.db" --listen 127.0.0.1:0 --tls-cert "$TMP/cert.pem"
expect_fail "a key that is not one is refused" 6 "cannot load the TLS certificate" \
	"$SERVERMESH" example.com --db "$TMP/x.db" --listen 127.0.0.1:0 --tls-cert "$TMP/cert.pem" \
	--tls-key "$TMP/cert.pem"
expect_fail "a host name for --listen is refused" 3 "numeric address" \
	"$SERVERMESH" example.com --db "$TMP/x.db" --listen localhost:80
expect_fail "--workers 0 is refused" 2 "workers is 1 to 1024" \
	"$SERVERMESH" example.com --db "$TMP/x.db" --listen 127.0.0.1:0 --workers 0
expect_fail "--workers 1025 is refused" 2 "workers is 1 to 1024" \
	"$SERVERMESH" example.com --db "$TMP/x.db" --listen 127.0.0.1:0 --workers 1025
expect_fail "--io-threads 17 is refused" 2 "io-threads is 1 to 16" \
	"$SERVERMESH" example.com --db "$TMP/x.db" --listen 127.0.0.1:0 --io-threads 17
# PostgreSQL that cannot be reached: Network (25, retryable), naming the socket folder, never
# the password of the URI.
expect_fail "an unreachable PostgreSQL database is refused" 25 "database at $TMP/nopg.*cannot be reached" \
	"$SERVERMESH" example.com --db "postgresql://mesh:S3CRET-PW@/portal?host=$TMP/nopg" \
	--listen 127.0.0.1:0
check "... and the message holds no password" sh -c "! grep -q S3CRET-PW '$TMP/err'"
expect_fail "a URI libpq cannot parse is refused" 2 "not one libpq accepts" \
	"$SERVERMESH" example.com --db "postgresql://mesh:S3CRET-PW@[::1/portal" --listen 127.0.0.1:0
check "... and the message holds no password" sh -c "! grep -q S3CRET-PW '$TMP/err'"
check "servermesh starts to hold a port" start "$TMP/log.5" --db "$TMP/y.db"
PORT=$(echo "$URL" | sed 's|^http://127.0.0.1:\([0-9]*\)/.*|\1|')
expect_fail "a port in use is refused" 10 "choose another" \
	"$SERVERMESH" example.com --db "$TMP/x.db" --listen "127.0.0.1:$PORT"
check "it stops cleanly" stop
finish
