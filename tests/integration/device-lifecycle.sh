#!/bin/sh
# SPDX-License-Identifier: MIT
# The devices of a profile (issue 15 items 1-3): servermesh for example.com on loopback and four
# devices, each with its own HOME, XDG_RUNTIME_DIR, MMM_HOME and agent. Device 1 makes
# alice@example.com (it holds the master keys); devices 2 and 3 join.
#  - device list: every device of the profile, its role, when it joined, which is this one;
#    rename (the profile's description, seen by the others after a sync).
#  - promote / demote: only on the device with the master keys (11 elsewhere), not on a device
#    that is not an administration device (22); a promoted device administers with its own key
#    (it stores a password); never the last administration device, never this device.
#  - remove: --yes needed; the removed device's list of readable secrets; a password stored
#    afterwards opens with a remaining device's key and not with the removed device's
#    (python3-jwcrypto); the portal refuses what the removed device signs (Publish,
#    ConnectStatus, a signed Get: 401 Removed) while it answers a remaining device; the removed
#    device's sync says so (32) and deletes its copy of the account, keeping the device; asked
#    to join again, a new device of that machine asks.
#  - recovery on device 4 says which devices lose administration, and how to promote them.
# Usage: device-lifecycle.sh MESH MESHAGENT SERVERMESH
set -u
MESH=$1 AGENT=$2 SERVERMESH=$3
. "$(dirname "$0")/lib.sh"
HERE=$(dirname "$0")
PATH=$(dirname "$AGENT"):$PATH
export PATH
unset MESH_AGENT_SOCK MESH_HIVE XDG_CONFIG_HOME MESH_PORTAL_URL MESH_PORTAL_CA
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}intercept_tls_get_addr=0"
ACCOUNT=alice@example.com
DEV_TIMEOUT=60
DEVICES=4
TOOL="/usr/bin/python3 $HERE/device-tool.py"

. "$HERE/portal-lib.sh"
. "$HERE/devices-lib.sh"
cleanup() {
	devices_stop_agents
	portal_kill
	rm -rf "$TMP"
}
trap cleanup EXIT

check "servermesh starts on loopback" portal_start "$TMP/portal.log" --db "$TMP/portal.db"

# udf N: device N's UDF; enc N: the file of its encryption key; keyfile N UDF: a key's file.
udf() { jdev "$1" 'd["Identifier"]' device show; }
keyfile() { echo "$TMP/d$1/.mmm/CryptoMesh/Keys/$2"; }
enc() { keyfile "$1" "$(jdev "$1" 'd["Keys"]["Encryption"]' device show)"; }
# role N UDF: the role device N's list gives the device UDF ("True": administration).
role() { jdev "$1" "[x['Administration'] for x in d['Devices'] if x['Identifier'] == '$2'][0]" \
	device list; }
# join N: device N asks, device 1 accepts by the whole witness, device N is connected.
join() {
	dev "$1" --json connect request "$ACCOUNT" --no-wait >"$TMP/request.json" 2>"$TMP/err" &&
		quiet dev 1 connect accept "$(jget 'd["Witness"]' "$TMP/request.json")" &&
		quiet dev "$1" connect wait
}
# send N TAG JSON: TAG sent to the portal signed by device N's device key: "STATUS CODE".
send() { $TOOL send "$URL" "$(keyfile "$1" "$D3")" "$D3" "$2" "$3"; }

dev 1 device create --description "desk" >/dev/null 2>"$TMP/err"
check "device 1 is made" [ $? = 0 ]
check "device 1 creates $ACCOUNT" quiet dev 1 profile create "$ACCOUNT"
denv 1 "$MESH" --hive test --json escrow create --quorum 2 --shares 2 --account "$ACCOUNT" \
	>"$TMP/escrow.json" 2>"$TMP/err"
check "device 1 makes an escrow of the master keys" [ $? = 0 ]
dev 2 device create --description "laptop" >/dev/null 2>&1
check "device 2 joins" join 2
dev 3 device create --description "phone" >/dev/null 2>&1
check "device 3 joins" join 3
D1=$(udf 1) D2=$(udf 2) D3=$(udf 3)

# ---- list, rename ----
check "device 1 lists the three devices, device 1 an administration device" \
	[ "$(jdev 1 'len(d["Devices"])' device list)" = 3 -a "$(role 1 "$D1")" = True -a \
	"$(role 1 "$D2")" = False ]
check "... each with when it joined, and which one is this" \
	[ "$(jdev 2 "[x['ThisDevice'] and x['Added'] > '2026' for x in d['Devices'] if x['Identifier'] == '$D2'][0]" device list)" = True ]
check "device list --local on device 2 lists its own device" \
	[ "$(jdev 2 'd["Devices"][0]["Identifier"]' device list --local)" = "$D2" ]
expect_out "device 1 renames device 3 by its description" "Renamed phone to old phone" \
	dev 1 device rename phone "old phone"
quiet dev 2 profile sync
check "device 2 sees the new description after its sync" \
	[ "$(jdev 2 "[x.get('Description') for x in d['Devices'] if x['Identifier'] == '$D3'][0]" device list)" = "old phone" ]
PREFIX=$(echo "$D2" | cut -c1-9)
expect_fail "a device named by an unknown name: NotFound (12)" 12 "no device.*mesh device list" \
	dev 1 device rename "no such" x
expect_fail "a blank description is refused (3)" 3 "" dev 1 device rename "$PREFIX" ""
expect_fail "device 2 (not an administration device) cannot rename: 22" 22 \
	"not an administration device" dev 2 device rename "$D3" x

# ---- promote, demote ----
expect_fail "device 2 cannot promote (not an administration device): 22" 22 \
	"not an administration device" dev 2 device promote "$D3"
expect_out "device 1 promotes device 2 by a UDF prefix" \
	"$PREFIX is now an administration device" dev 1 device promote "$PREFIX"
expect_fail "promoting it again: Exists (13)" 13 "already" dev 1 device promote "$D2"
quiet dev 2 profile sync
check "device 2 is an administration device after its sync" [ "$(role 2 "$D2")" = True ]
expect_out "device 2 stores a password, signed with its own device key" \
	"Stored the password of alice at example.net" \
	dev 2 password add example.net alice before-removal
expect_fail "device 2 cannot promote device 3: it does not hold the master keys (11)" 11 \
	"master signature key" dev 2 device promote "$D3"
expect_fail "device 1 does not demote itself (3)" 3 "this device" dev 1 device demote "$D1"
expect_fail "demoting a device that is not an administration device: 3" 3 \
	"not an administration device" dev 1 device demote "$D3"

# ---- remove device 3 (from device 2, an administration device) ----
expect_fail "remove without --yes: Usage (2)" 2 "--yes" dev 2 device remove "$D3"
expect_fail "a device does not remove itself (3)" 3 "this device" dev 2 device remove "$D2" --yes
expect_fail "device 2 cannot remove device 1 (an administration device) without the master keys" \
	11 "master signature key" dev 2 device remove "$D1" --yes
dev 2 --json device remove "old phone" --yes >"$TMP/removed.json" 2>"$TMP/err"
check "device 2 removes device 3" [ $? = 0 ]
check "... and lists the password device 3 could read" \
	[ "$(jget '[(l["Site"], l["Username"]) for l in d["Logins"]]' "$TMP/removed.json")" = \
	"[('example.net', 'alice')]" -a "$(jget 'd["Removed"]' "$TMP/removed.json")" = "$D3" ]
check "device 3 is no longer in device 2's list" \
	[ "$(jdev 2 "len([x for x in d['Devices'] if x['Identifier'] == '$D3'])" device list)" = 0 ]

quiet dev 1 profile sync
expect_out "device 1 stores a password after the removal" \
	"Stored the password of alice at after.example" dev 1 password add after.example alice secret2
quiet dev 2 profile sync
APP=$(jdev 2 '[a["Identifier"] for a in d["Applications"] if a["Type"] == "PasswordProfile"][0]' \
	app list)
APPFILE="$TMP/d2/.mmm/CryptoMesh/ApplicationProfiles/$APP.json"
$TOOL open "$APPFILE" "$(enc 2)" >"$TMP/plain" 2>"$TMP/err"
check "jwcrypto opens the new password profile with device 2's encryption key" \
	grep -q secret2 "$TMP/plain"
$TOOL open "$APPFILE" "$(enc 3)" >"$TMP/plain3" 2>&1
check "... and not with the removed device 3's" [ $? = 1 ]
check "... which learns nothing of it" sh -c "! grep -q secret2 '$TMP/plain3'"

# ---- the portal refuses what device 3 signs ----
expect_out "a Get signed by device 3: 401 Removed" "401 Removed" \
	send 3 GetRequest "{\"Account\": \"$ACCOUNT\"}"
expect_out "a Publish signed by device 3: 401 Removed" "401 Removed" \
	send 3 PublishRequest "{\"Account\": \"$ACCOUNT\", \"Entry\": {\"SignedPersonalProfile\": {}}}"
expect_out "a ConnectStatus signed by device 3: 401 Removed" "401 Removed" \
	send 3 ConnectStatusRequest "{\"AccountID\": \"$ACCOUNT\", \"DeviceID\": \"$D3\"}"
expect_out "the same Get signed by device 2: 200" "200 -" \
	$TOOL send "$URL" "$(keyfile 2 "$D2")" "$D2" GetRequest "{\"Account\": \"$ACCOUNT\"}"
expect_fail "device 3's own SSH key publication is refused: Removed (32)" 32 "removed" \
	dev 3 ssh create

# ---- the removed device learns it ----
expect_fail "device 3's sync: Removed (32), its copy deleted" 32 \
	"removed from the profile.*copy of the account was deleted" dev 3 profile sync
check "device 3 holds no account now" [ "$(jdev 3 'len(d["Accounts"])' profile list)" = 0 ]
check "... and keeps its device" [ "$(udf 3)" = "$D3" ]
expect_fail "device 3's password get: NotFound (12)" 12 "" dev 3 password get after.example
check "device 3 asks to join again: a new device of that machine asks" join 3
check "... which is not the removed one, and device 3 holds both" \
	[ "$(jdev 3 "[x['Identifier'] for x in d['Devices'] if x['ThisDevice']][0]" device list)" != "$D3" -a \
	"$(jdev 3 'len(d["Devices"])' device list --local)" = 2 ]

# ---- demote; the last administration device ----
expect_out "device 1 demotes device 2" "$D2 is no longer an administration device" \
	dev 1 device demote "$D2"
quiet dev 2 profile sync
check "device 2 is no longer an administration device" [ "$(role 2 "$D2")" = False ]
expect_fail "device 2 can no longer store passwords (22)" 22 "not an administration device" \
	dev 2 password add example.org bob x
expect_fail "device 1, the last administration device, is not demoted (11)" 11 "last" \
	dev 1 device demote "$D1"
check "device 1 promotes device 2 again" quiet dev 1 device promote "$D2"

# ---- recovery on device 4 ----
SHARES=$(jget '" ".join(d["Shares"])' "$TMP/escrow.json")
dev 4 profile recover "$ACCOUNT" $SHARES >"$TMP/recover.txt" 2>"$TMP/err"
check "device 4 recovers the profile" [ $? = 0 ]
check "... and says that devices 1 and 2 lose administration, and how to promote them" \
	sh -c "grep -q 'no longer administration devices' '$TMP/recover.txt' &&
	grep -q '$D1' '$TMP/recover.txt' && grep -q '$D2' '$TMP/recover.txt' &&
	grep -q 'mesh device promote DEVICE' '$TMP/recover.txt'"
quiet dev 1 profile sync
check "device 1 is no longer an administration device" [ "$(role 1 "$D1")" = False ]
check "device 4 promotes device 1 again" quiet dev 4 device promote desk
quiet dev 1 profile sync
check "device 1 is an administration device again, with its device key" \
	[ "$(role 1 "$D1")" = True ]
expect_out "device 1 stores a password again" "Stored the password of bob at example.org" \
	dev 1 password add example.org bob again

finish
