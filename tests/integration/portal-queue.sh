#!/bin/sh
# SPDX-License-Identifier: MIT
# One address cannot fill an account's connection queue (issue 11, item 4). servermesh with its
# defaults on loopback; device 1 creates alice@example.com. 100 ConnectStart requests of
# throw-away devices (valid self-signed profiles and signed requests, portal-abuse-tool) come from
# 127.0.0.2: 10 are taken, 90 refused with 429 RateLimited. Then the real device 2, through its
# agent (mesh connect request, from 127.0.0.1), gets its request in, device 1's agent lists it
# (mesh connect pending) with the witness device 2 shows, accepts it, and device 2 is connected.
# Usage: portal-queue.sh MESH MESHAGENT SERVERMESH PORTAL-ABUSE-TOOL
set -u
MESH=$1 AGENT=$2 SERVERMESH=$3 TOOL=$4
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/portal-lib.sh"
PATH=$(dirname "$AGENT"):$PATH
export PATH
unset MESH_AGENT_SOCK MESH_HIVE XDG_CONFIG_HOME MESH_PORTAL_URL MESH_PORTAL_CA

. "$(dirname "$0")/devices-lib.sh"
cleanup() {
	for n in 1 2; do
		dev "$n" agent stop >/dev/null 2>&1
	done
	portal_kill
	rm -rf "$TMP"
}
trap cleanup EXIT


check "servermesh starts with its default limits" portal_start "$TMP/portal.log" \
	--db "$TMP/portal.db"
dev 1 profile create alice@example.com >/dev/null 2>"$TMP/err"
check "device 1 creates alice@example.com" [ $? = 0 ]
dev 1 --json profile show >"$TMP/show.json" 2>"$TMP/err"
PROFILE=$(jget 'd["Identifier"]' "$TMP/show.json")
check "alice's profile is $PROFILE" [ -n "$PROFILE" ]

# The attack: 100 requests of throw-away devices from one address.
"$TOOL" connects alice "$PROFILE" 100 >"$TMP/junk" 2>"$TMP/err"
check "100 signed ConnectStart requests of throw-away devices made" \
	[ "$(wc -l <"$TMP/junk")" = 100 ]
$PY send "$URL" 127.0.0.2 "$TMP/junk" >"$TMP/answers" 2>"$TMP/err"
taken=$(grep -c '^201 ' "$TMP/answers")
refused=$(grep -c '^429 RateLimited ' "$TMP/answers")
check "from 127.0.0.2: 10 taken, 90 refused with 429 RateLimited ($taken, $refused)" \
	[ "$taken" = 10 ] && [ "$refused" = 90 ]
check "the refusal says why" grep -q 'this address has 10 pending connection requests' \
	"$TMP/answers"

# The real device, through its agent, from 127.0.0.1.
dev 2 --json connect request alice@example.com --no-wait >"$TMP/request.json" 2>"$TMP/err"
check "device 2's connect request gets in ($(cat "$TMP/err"))" grep -q '"Witness"' \
	"$TMP/request.json"
WITNESS=$(jget 'd["Witness"]' "$TMP/request.json" 2>/dev/null)
DEVICE2=$(jget 'd["DeviceUDF"]' "$TMP/request.json" 2>/dev/null)
expect_out "device 2's request is pending" "Pending" dev 2 connect status
dev 1 --json connect pending >"$TMP/pending.json" 2>"$TMP/err"
check "device 1 lists device 2 with the witness device 2 shows" \
	/usr/bin/python3 - "$TMP/pending.json" "$DEVICE2" "$WITNESS" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))["Pending"]
assert [q["Witness"] for q in p if q["DeviceUDF"] == sys.argv[2]] == [sys.argv[3]], \
    f"{len(p)} pending, device 2 not among them"
PY
expect_out "device 1 accepts it by the whole witness" "Accepted the device with witness $WITNESS" \
	dev 1 connect accept "$WITNESS"
expect_out "device 2 is connected" "Accepted: this device is connected to the profile" \
	dev 2 connect wait
finish
