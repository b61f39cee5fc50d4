#!/bin/sh
# SPDX-License-Identifier: MIT
# Portal URLs do what they say (issue 12, item 8), against servermesh on loopback, plain and TLS.
# A URL with no path means its /.well-known/mmm/ (it sent an empty request target); a URL that is
# no portal URL is refused with the accepted forms; https:// to the plain-HTTP portal fails within
# seconds saying it does not speak TLS (it waited for the portal's header timeout); a --portal or
# MESH_PORTAL_URL that names another portal than the account remembers is refused, naming both
# and the verb (it was ignored), the same portal spelt otherwise is not; the portal moves to TLS
# (the same database behind servermesh --tls-cert) and 'profile set-portal' follows it, once the
# new portal serves the account's profile, and refuses a portal that does not (nothing changed).
# Usage: portal-url.sh MESH MESHAGENT SERVERMESH
set -u
MESH=$1 AGENT=$2 SERVERMESH=$3 DEVICES=1
ACCOUNT=alice@example.com
. "$(dirname "$0")/lib.sh"
PATH=$(dirname "$AGENT"):$PATH
export PATH
unset MESH_AGENT_SOCK MESH_HIVE XDG_CONFIG_HOME MESH_PORTAL_URL MESH_PORTAL_CA
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}intercept_tls_get_addr=0"
URL=
. "$(dirname "$0")/devices-lib.sh"
CA=$TMP/cert.pem

cleanup() {
	pid=$(dev 1 agent status 2>/dev/null | sed -n 's/.*: pid //p')
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	for pid in $PORTAL_PIDS; do kill "$pid" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

# portal_in_profile: the Portal profile show --json reports.
portal_in_profile() {
	jdev 1 'd.get("Portal")' profile show
}

# ---- a URL with no path ----
check "servermesh starts on loopback" servermesh_up a
A=$PORTAL APORT=$PORT
expect_out "account validate --portal http://127.0.0.1:PORT (no path)" "alice: available" \
	dev 1 account validate alice --portal "http://127.0.0.1:$APORT"
check "profile create --portal http://127.0.0.1:PORT (no path)" \
	dev 1 profile create "$ACCOUNT" --portal "http://127.0.0.1:$APORT"
expect_out "the account remembers the normal form, /.well-known/mmm/ added" "$A" portal_in_profile
expect_fail "a URL without a scheme: InvalidArgument (3), with the accepted forms" 3 \
	"is not a portal URL.*give https://HOST\[:PORT\]\[/PATH\]" \
	dev 1 account validate bob --portal "127.0.0.1:$APORT"
expect_fail "ftp://: InvalidArgument (3)" 3 "neither https nor http" \
	dev 1 account validate bob --portal "ftp://127.0.0.1:$APORT/"
expect_fail "plain http to another machine: InvalidArgument (3)" 3 \
	"plain http to another machine" dev 1 account validate bob --portal "http://192.0.2.1/"

# ---- https:// to the plain-HTTP portal ----
start=$(date +%s)
expect_fail "https:// to the plain-HTTP portal: Network (25), it does not speak TLS" 25 \
	"https://127.0.0.1:$APORT/.well-known/mmm/ does not speak TLS.*use http://" \
	dev 1 account validate bob --portal "https://127.0.0.1:$APORT"
seconds=$(($(date +%s) - start))
check "... within seconds ($seconds s; servermesh would have waited 20)" [ "$seconds" -lt 12 ]

# ---- a --portal or MESH_PORTAL_URL that contradicts the remembered one ----
expect_fail "profile sync --portal http://localhost:PORT: InvalidArgument (3), naming both" 3 \
	"portal given (http://localhost:$APORT/.well-known/mmm/.*is not the one $ACCOUNT uses ($A).*'mesh profile set-portal $ACCOUNT http://localhost:$APORT/.well-known/mmm/'" \
	dev 1 profile sync --portal "http://localhost:$APORT"
URL=http://127.0.0.1:1/
expect_fail "password add with MESH_PORTAL_URL of another portal: InvalidArgument (3)" 3 \
	"portal given (http://127.0.0.1:1/.well-known/mmm/" dev 1 password add a.example u p
expect_fail "app add generic, likewise (3)" 3 "is not the one $ACCOUNT uses" \
	dev 1 app add generic notes
expect_fail "escrow create, likewise (3)" 3 "is not the one $ACCOUNT uses" \
	dev 1 escrow create --quorum 2 --shares 3
expect_fail "connect pending, likewise (3)" 3 "is not the one $ACCOUNT uses" \
	dev 1 connect pending
URL=
expect_out "nothing was added" "" dev 1 password list
check "the same portal spelt otherwise is no contradiction (trailing /)" \
	dev 1 profile sync --portal "http://127.0.0.1:$APORT/"
URL=HTTP://127.0.0.1:$APORT/.well-known/mmm/
check "... nor in MESH_PORTAL_URL (upper-case scheme)" dev 1 password add a.example u p
URL=
expect_out "the password was stored" "a.example  u" dev 1 password list

# ---- the portal moves to TLS: the same database behind servermesh --tls-cert ----
check "a self-signed certificate for 127.0.0.1" openssl req -x509 -newkey ec \
	-pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -days 2 -keyout "$TMP/key.pem" \
	-out "$CA" 2>"$TMP/openssl.err"
kill -TERM "$PID" && wait "$PID"
check "the plain portal stops" [ $? = 0 ]
check "servermesh starts with TLS on the same database" servermesh_up a --tls-cert "$CA" \
	--tls-key "$TMP/key.pem"
T=$PORTAL TPORT=$PORT
expect_fail "profile sync at the old portal: Network (25)" 25 "127.0.0.1:$APORT" \
	dev 1 profile sync
expect_fail "set-portal to the TLS portal without its CA: Network (25), a certificate error" 25 \
	"TLS certificate" dev 1 profile set-portal "https://127.0.0.1:$TPORT"
check "... not reported as a portal without TLS" sh -c "! grep -q 'does not speak TLS' '$TMP/err'"
expect_out "... and the account still remembers the old portal" "$A" portal_in_profile
expect_out "profile set-portal https://127.0.0.1:PORT (no path) --portal-ca CA" "$T" \
	jdev 1 'd["Portal"]' profile set-portal "https://127.0.0.1:$TPORT" --portal-ca "$CA"
expect_out "the account remembers it" "$T" portal_in_profile
export MESH_PORTAL_CA="$CA"
check "profile sync at the TLS portal" dev 1 profile sync
check "--portal https://127.0.0.1:PORT (no path) names it too" \
	dev 1 profile sync --portal "https://127.0.0.1:$TPORT"
expect_fail "--portal of the old portal now: InvalidArgument (3)" 3 \
	"portal given ($A.*is not the one $ACCOUNT uses ($T)" \
	dev 1 profile sync --portal "http://127.0.0.1:$APORT"
expect_out "the password is still there" "u" jdev 1 'd["Username"]' password get a.example

# ---- set-portal to a portal that does not serve the account: refused, nothing changed ----
check "an empty servermesh starts" servermesh_up b
expect_fail "set-portal to a portal without the account: NotFound (12)" 12 \
	"$ACCOUNT was not moved to http://127.0.0.1:$PORT/.well-known/mmm/" \
	dev 1 profile set-portal "$ACCOUNT" "http://127.0.0.1:$PORT"
expect_out "the account still remembers the TLS portal" "$T" portal_in_profile
expect_fail "set-portal to no portal URL: InvalidArgument (3)" 3 "is not a portal URL" \
	dev 1 profile set-portal "$ACCOUNT" "127.0.0.1:$PORT"

finish
