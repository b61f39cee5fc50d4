#!/bin/sh
# SPDX-License-Identifier: MIT
# Connecting by PIN (docs/protocol.md "Connecting by PIN"): servermesh on loopback; device 1
# creates alice@example.com (an administration device) and makes PINs; new devices connect with
# them. Accepted at device 1's 'mesh profile sync' (no witness compared) and by its agent's
# background task (MESH_AGENT_BACKGROUND_SECONDS=1) with the URI form; a wrong PIN is never
# accepted, a reused and an expired one are rejected (the new device's status says Rejected and
# the profile does not list it); a request without a PIN is not accepted by itself and still
# takes the whole witness; --list and --revoke; the PIN text never appears in the agent's log,
# in ps or in the hive files.
# Usage: connect-pin.sh MESH MESHAGENT SERVERMESH
set -u
MESH=$1 AGENT=$2 SERVERMESH=$3
. "$(dirname "$0")/lib.sh"
PATH=$(dirname "$AGENT"):$PATH
export PATH
unset MESH_AGENT_SOCK MESH_HIVE XDG_CONFIG_HOME MESH_PORTAL_URL MESH_PORTAL_CA
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}intercept_tls_get_addr=0"
SPID= APID= URL=
DEVICES=8
. "$(dirname "$0")/devices-lib.sh"
cleanup() {
	devices_stop_agents
	[ -n "$APID" ] && kill "$APID" 2>/dev/null
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
A=alice@example.com
ENTRY=$TMP/d1/.mmm/CryptoMesh/Accounts/alice_AT_example.com

"$SERVERMESH" example.com --listen 127.0.0.1:0 --db "$TMP/portal.db" 2>"$TMP/portal.log" &
SPID=$!
URL=$(portal_url "$TMP/portal.log" "$SPID")
check "servermesh starts" [ -n "$URL" ]

# Device 1's agent runs the background task rarely until the part that tests it.
MESH_AGENT_BACKGROUND_SECONDS=3600 dev 1 profile create $A >/dev/null 2>"$TMP/err"
check "device 1 creates $A" [ $? = 0 ]
devices() { jdev 1 'len(d["Devices"])' profile show $A; }
# ask N ARGS...: device N asks to join (not waiting); what it said on stderr when it fails.
ask() {
	ask_n=$1
	shift
	dev "$ask_n" connect request $A "$@" --no-wait >/dev/null 2>"$TMP/err" ||
		{ cat "$TMP/err" >&2; return 1; }
}

# ---- A PIN accepted at 'profile sync' ------------------------------------------------------
jdev 1 'd["Pin"]' connect pin >"$TMP/pin1" 2>"$TMP/err"
check "connect pin makes a PIN" grep -q '^N[A-Z2-7]\{27\}$' "$TMP/pin1"
PIN1=$(cat "$TMP/pin1")
dev 1 --json connect pin --list >"$TMP/list.json"
check "--list shows one unused PIN" \
	[ "$(jget 'len(d["Pins"]) == 1 and not d["Pins"][0]["Used"]' "$TMP/list.json")" = True ]
check "... by its id, never the PIN" sh -c "! grep -q '$PIN1' '$TMP/list.json'"
dev 1 connect pin >"$TMP/pin-text" 2>"$TMP/err"
check "the text output groups the PIN and gives the URI" sh -c "
	grep -q '^PIN:     N[A-Z2-7]\{3\}-[A-Z2-7]\{4\}-' '$TMP/pin-text' &&
	grep -q '^URI:     mcu://$A/N' '$TMP/pin-text'"
check "no QR code when the output is not a terminal" sh -c "! grep -q '█' '$TMP/pin-text'"
dev 1 connect pin --qr --expire 10m >"$TMP/pin-qr" 2>"$TMP/err"
check "--qr draws it anyway, with half blocks" grep -q '▀\|▄' "$TMP/pin-qr"
# Those two are revoked again: the revoke path, by a prefix.
for f in pin-text pin-qr; do
	id=$(sed -n 's/^PIN ID:  //p' "$TMP/$f")
	prefix=$(echo "$id" | cut -c1-9)
	expect_out "revoke by a prefix of the PIN id ($f)" "Revoked the PIN $id" \
		dev 1 connect pin --revoke "$prefix"
done
expect_fail "revoke of an unknown PIN: NotFound" 12 "no PIN" dev 1 connect pin --revoke MAAA-AAAA
expect_fail "revoke by too short a prefix: InvalidArgument" 3 "first 4" \
	dev 1 connect pin --revoke MA
expect_fail "an expiry out of range is refused" 3 "1 minute to 30 days" \
	dev 1 connect pin --expire 31d
expect_fail "a duration that is not one is refused" 2 "duration" dev 1 connect pin --expire soon

dev 2 connect request $A --pin "$(echo "$PIN1" | sed 's/..../&-/g; s/-$//')" \
	--description "Tablet" --no-wait >"$TMP/req2" 2>"$TMP/err"
check "device 2 asks with the PIN (dashed)" grep -q "proves the PIN" "$TMP/req2"
expect_out "... and is pending" "Pending" dev 2 connect status
MESH_AGENT_BACKGROUND_SECONDS=3600 dev 1 profile sync $A >"$TMP/sync" 2>"$TMP/err"
check "device 1's sync accepts it, and says so" grep -q "accepted the device .*Tablet" "$TMP/sync"
check "... without the PIN in what it says" sh -c "! grep -q '$PIN1' '$TMP/sync'"
expect_out "device 2 is accepted" "Accepted: this device is connected to the profile" \
	dev 2 connect status
check "the profile lists two devices" [ "$(devices)" = 2 ]
check "the PIN is used" [ "$(jdev 1 'd["Pins"][0]["Used"]' connect pin --list)" = True ]

# ---- Refusals ---------------------------------------------------------------------------------
# Reused: device 3 proves the same PIN (a valid PinMac), which was used.
check "device 3 asks with the used PIN" ask 3 --pin "$PIN1"
# Wrong: device 4 gives a PIN no device made (its PinId is unknown: left, never accepted).
WRONG=NAAA$(echo "$PIN1" | cut -c5-)
[ "$WRONG" = "$PIN1" ] && WRONG=NBBB$(echo "$PIN1" | cut -c5-)
check "device 4 asks with a wrong PIN" ask 4 --pin "$WRONG"
# Expired: a PIN of 1 minute whose expiry has passed (written back in device 1's entry, as the
# clock would after a minute).
jdev 1 'd["Pin"]' connect pin --expire 1m >"$TMP/pin5" 2>"$TMP/err"
PIN5=$(cat "$TMP/pin5")
check "device 5 asks with a PIN that will have expired" ask 5 --pin "$PIN5"
/usr/bin/python3 - "$ENTRY" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
for p in e["Pins"]:
    if not p.get("Used"):
        p["Expires"] = "2001-01-01T00:00:00Z"
json.dump(e, open(sys.argv[1], "w"))
PY
# Without a PIN: device 6 asks the ordinary way.
jdev 6 'd["Witness"]' connect request $A --no-wait >"$TMP/w6" 2>"$TMP/err"
check "device 6 asks without a PIN" [ -s "$TMP/w6" ]
MESH_AGENT_BACKGROUND_SECONDS=3600 dev 1 profile sync $A >"$TMP/sync2" 2>"$TMP/err"
check "the sync rejects the reused PIN" grep -q "rejected the device .*used already" "$TMP/sync2"
check "the sync rejects the expired PIN" grep -q "rejected the device .*expired" "$TMP/sync2"
expect_fail "device 3 (reused PIN): Rejected" 20 "rejected" dev 3 connect status
expect_fail "device 5 (expired PIN): Rejected" 20 "rejected" dev 5 connect status
expect_out "device 4 (wrong PIN): not accepted, still pending" "Pending" dev 4 connect status
expect_out "device 6 (no PIN): not accepted by itself, still pending" "Pending" \
	dev 6 connect status
check "the profile still lists two devices" [ "$(devices)" = 2 ]
check "the expired PIN is dropped from the entry" [ "$(jget 'len(d.get("Pins", []))' "$ENTRY")" = 1 ]
# The request without a PIN takes the whole witness: a prefix is refused, all of it accepted.
expect_fail "device 6's witness prefix is refused" 3 "whole witness" \
	dev 1 connect accept "$(cut -c1-9 "$TMP/w6")"
expect_out "device 6's whole witness accepts it" "Accepted the device with witness $(cat "$TMP/w6")" \
	dev 1 connect accept "$(cat "$TMP/w6")"
expect_out "device 6 is accepted" "Accepted: this device is connected to the profile" \
	dev 6 connect status

# ---- The agent's background task, the URI form -------------------------------------------------
dev 1 agent stop >/dev/null 2>&1
MESH_AGENT_BACKGROUND_SECONDS=1 denv 1 "$AGENT" --hive test --foreground 2>"$TMP/agent1.log" &
APID=$!
for _ in $(seq 50); do dev 1 agent status >/dev/null 2>&1 && break; sleep 0.2; done
dev 1 --json connect pin --admin >"$TMP/pin7.json" 2>"$TMP/err"
URI7=$(jget 'd["Uri"]' "$TMP/pin7.json")
PIN7=$(jget 'd["Pin"]' "$TMP/pin7.json")
check "the URI carries the account, the PIN and the portal" \
	[ "${URI7%%\?portal=*}" = "mcu://$A/$PIN7" ]
# The portal named in the URI is the one used: device 7 has no MESH_PORTAL_URL.
HOME="$TMP/d7" XDG_RUNTIME_DIR="$TMP/d7/run" MMM_HOME="$TMP/d7/.mmm" timeout 120 \
	"$MESH" --hive test connect request "mcu://$A/$PIN7?portal=$(/usr/bin/python3 -c '
import sys, urllib.parse
print(urllib.parse.quote(sys.argv[1], safe=""))' "$URL")" >"$TMP/req7" 2>"$TMP/err7" &
RPID=$!
sleep 1
# The mesh process's command line ('timeout', which started it, is not ours to scrub).
ps -eo args 2>/dev/null | grep "^$MESH " >"$TMP/ps"
wait "$RPID"
check "device 7 (URI form, waiting) is accepted by device 1's agent alone" \
	grep -q "Accepted" "$TMP/req7"
check "... whose profile lists it" [ "$(devices)" = 4 ]
check "the agent's log says what it did" grep -q "accepted the device" "$TMP/agent1.log"
check "device 7 (a PIN made with --admin) is an administration device" \
	[ "$(jdev 7 "[x['Administration'] for x in d['Devices'] if x['ThisDevice']][0]" device list)" = True ]
check "... and no note says it joined as a plain device" \
	sh -c "! grep -q 'joins as a plain device' '$TMP/agent1.log'"

# ---- The PIN in clear nowhere ---------------------------------------------------------------------
for p in "$PIN1" "$PIN5" "$PIN7"; do
	check "PIN ${p%????????????????????} not in the agent's log" \
		sh -c "! grep -q '$p' '$TMP/agent1.log'"
	check "... nor in ps while a request runs" sh -c "! grep -q '$p' '$TMP/ps'"
	check "... nor in any hive file, in clear" sh -c "! grep -rq '$p' '$TMP'/d*/.mmm"
done
check "ps saw the request (the check above looked at something)" grep -q "connect request" "$TMP/ps"
finish
