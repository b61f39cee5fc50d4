#!/bin/sh
# SPDX-License-Identifier: MIT
# An expired connection request is reported as such on the new device: servermesh on loopback
# with a 2-second pending expiry; device 1 creates alice@example.com, device 2 asks to join and
# nobody answers; 'mesh connect wait' on device 2 then exits Expired (19) with one line saying
# so, device 1 no longer lists the request, and device 2 holds no profile.
# Usage: connect-expiry.sh MESH MESHAGENT SERVERMESH
set -u
MESH=$1 AGENT=$2 SERVERMESH=$3
. "$(dirname "$0")/lib.sh"
PATH=$(dirname "$AGENT"):$PATH
export PATH
unset MESH_AGENT_SOCK MESH_HIVE XDG_CONFIG_HOME MESH_PORTAL_URL MESH_PORTAL_CA
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}intercept_tls_get_addr=0"
SPID=
URL=

. "$(dirname "$0")/devices-lib.sh"
cleanup() {
	for n in 1 2; do
		dev "$n" agent stop >/dev/null 2>&1
	done
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

"$SERVERMESH" example.com --listen 127.0.0.1:0 --db "$TMP/portal.db" --pending-expiry 2 \
	2>"$TMP/portal.log" &
SPID=$!
URL=$(portal_url "$TMP/portal.log" "$SPID")
check "servermesh starts with a 2-second pending expiry" [ -n "$URL" ]

dev 1 profile create alice@example.com >/dev/null 2>"$TMP/err"
check "device 1 creates alice@example.com" [ $? = 0 ]
dev 2 --json connect request alice@example.com --no-wait >"$TMP/request.json" 2>"$TMP/err"
check "device 2 asks to join" grep -q '"Witness"' "$TMP/request.json"
expect_out "the request is pending at first" "Pending" dev 2 connect status
sleep 3
expect_fail "connect wait after the expiry: Expired (19), said in one line" 19 "xpired" \
	dev 2 connect wait
dev 1 --json connect pending >"$TMP/pending.json" 2>"$TMP/err"
check "device 1 no longer lists the expired request" /usr/bin/python3 -c '
import json, sys
sys.exit(0 if json.load(open(sys.argv[1]))["Pending"] == [] else 1)' "$TMP/pending.json"
check "device 2 holds no profile" sh -c "[ -z \"\$(HOME=$TMP/d2 XDG_RUNTIME_DIR=$TMP/d2/run \
	MMM_HOME=$TMP/d2/.mmm timeout 60 $MESH --hive test profile list)\" ]"
finish
