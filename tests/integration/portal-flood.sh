#!/bin/sh
# SPDX-License-Identifier: MIT
# servermesh under floods of idle connections (issue 11, item 2), under ulimit -n 1024 as a
# default systemd service runs: 1,100 idle connections from 127.0.0.2 (half of them with part
# of a request line); a Hello from 127.0.0.1 is answered within 2 s during the flood and after
# it, and servermesh holds no more than its per-address cap meanwhile. Then 1,100 spread over 44
# addresses, past the total cap (960 = 1024 - 64): the same, and connections without a request
# make room. With short timeouts, over plain HTTP and TLS: what sends nothing, trickles its
# headers or stops in the TLS handshake is closed after the header timeout, what went quiet
# after its headers after the idle timeout. Caps beyond the descriptor limit are refused.
# Usage: portal-flood.sh SERVERMESH
set -u
SERVERMESH=$1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/portal-lib.sh"
PORTAL_NOFILE=1024

# run CMD...: portal-abuse.py prints one "ok/FAIL - ..." line per check; count them here.
run() {
	out=$("$@")
	status=$?
	echo "$out"
	passed=$((passed + $(echo "$out" | grep -c '^ok ')))
	failed=$((failed + $(echo "$out" | grep -c '^FAIL ')))
	if [ "$status" != 0 ] && ! echo "$out" | grep -q '^FAIL '; then
		not_ok "portal-abuse.py exited $status"
	fi
}

# A: 1,100 idle connections from one address, default caps and timeouts.
check "servermesh starts under ulimit -n 1024" portal_start "$TMP/log.1" --db "$TMP/a.db"
run $PY flood "$URL" "$SPID" 1100 127.0.0.2
check "it stops cleanly after the flood" portal_stop
check "it said it refused connections over the per-address cap" \
	grep -q '^servermesh: connections: .*refused (more than 32 from one client)' "$TMP/log.1"
check "no request line of the flood is logged" \
	sh -c "! grep -q '127.0.0.2 ' '$TMP/log.1'"

# B: 1,100 from 44 addresses: past the total cap of 1024 - 64.
check "servermesh starts again" portal_start "$TMP/log.2" --db "$TMP/a.db"
run $PY spread "$URL" "$SPID" 1100 44
check "it stops cleanly" portal_stop
check "it made room by closing connections without a request" \
	grep -q '^servermesh: connections: .*closed to make room' "$TMP/log.2"

# C: timeouts, plain HTTP.
check "servermesh starts with --header-timeout 3 --idle-timeout 6" \
	portal_start "$TMP/log.3" --db "$TMP/a.db" --header-timeout 3 --idle-timeout 6
run $PY timeouts "$URL" "$SPID" 3 6
check "it stops cleanly" portal_stop
check "it said which connections it closed, and why" \
	grep -q '^servermesh: connections: .*closed (no complete headers within 3 s)' "$TMP/log.3"

# D: timeouts, TLS.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -days 2 -keyout "$TMP/key.pem" \
	-out "$TMP/cert.pem" 2>"$TMP/openssl.err"
check "self-signed certificate made" [ -s "$TMP/cert.pem" ]
check "servermesh starts with TLS and short timeouts" \
	portal_start "$TMP/log.4" --db "$TMP/a.db" --header-timeout 3 --idle-timeout 6 \
	--tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem"
run $PY timeouts "$URL" "$SPID" 3 6 "$TMP/cert.pem"
check "TLS servermesh stops cleanly" portal_stop

# E: caps beyond the descriptor limit are refused, with what to do.
expect_fail "--max-connections above ulimit -n less 64 is refused" 3 "raise ulimit -n" \
	sh -c "ulimit -n 1024 && exec '$SERVERMESH' example.com --db '$TMP/a.db' \
	--listen 127.0.0.1:0 --max-connections 961"
expect_fail "more per address than in all is refused" 3 "max-connections-per-address" \
	"$SERVERMESH" example.com --db "$TMP/a.db" --listen 127.0.0.1:0 --max-connections 10 \
	--max-connections-per-address 11
expect_fail "a header timeout of 0 is refused" 2 "timeouts are at least 1" \
	"$SERVERMESH" example.com --db "$TMP/a.db" --listen 127.0.0.1:0 --header-timeout 0
check "--max-connections 960 is accepted under ulimit -n 1024" \
	portal_start "$TMP/log.5" --db "$TMP/a.db" --max-connections 960
check "and it stops cleanly" portal_stop
finish
