#!/bin/sh
# SPDX-License-Identifier: MIT
# Devices come and go, end to end (issue 15): one servermesh for example.com on loopback and three
# devices, each with its own HOME, XDG_RUNTIME_DIR, MMM_HOME and agent; device 1's agent runs the
# background task every second.
#  1. Device 1 makes alice@example.com and a PIN; device 2 connects with it and device 1's agent
#     accepts it by itself (no witness compared). Device 3 connects with a PIN made --admin and
#     becomes an administration device; device 1 promotes device 2.
#  2. The portal goes down: device 2 stores passwords and device 1 deletes one; both are queued
#     ('profile status'), survive a killed agent, and arrive on every device once the portal is
#     back (device 1's agent publishes by itself, device 2 at its sync).
#  3. Device 1 removes device 3: a password stored afterwards opens with device 2's key and not
#     with device 3's (python3-jwcrypto); the portal refuses device 3's signed Get (401 Removed);
#     device 3's sync says it was removed (32) and deletes its copy.
#  4. Device 1 rotates its SSH key, sets the default account, revokes its escrow.
# Usage: devices-e2e.sh MESH MESHAGENT SERVERMESH
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
DEVICES=3
TOOL="/usr/bin/python3 $HERE/device-tool.py"

. "$HERE/portal-lib.sh"
. "$HERE/devices-lib.sh"
APID=
cleanup() {
	[ -n "$APID" ] && kill "$APID" 2>/dev/null
	devices_stop_agents
	portal_kill
	rm -rf "$TMP"
}
trap cleanup EXIT

udf() { jdev "$1" 'd["Identifier"]' device show; }
role() { jdev "$1" "[x['Administration'] for x in d['Devices'] if x['Identifier'] == '$2'][0]" \
	device list; }
keyfile() { echo "$TMP/d$1/.mmm/CryptoMesh/Keys/$2"; }
# agent1: device 1's agent in the foreground, background task every second, log in agent1.log.
agent1() {
	quiet dev 1 agent stop
	MESH_AGENT_BACKGROUND_SECONDS=1 denv 1 "$AGENT" --hive test --foreground \
		2>>"$TMP/agent1.log" &
	APID=$!
	for _ in $(seq 50); do quiet dev 1 agent status && return 0; sleep 0.2; done
	return 1
}
# until_ok SECONDS CMD...: CMD succeeds within SECONDS.
until_ok() {
	t=$1
	shift
	for _ in $(seq $((t * 5))); do "$@" && return 0; sleep 0.2; done
	return 1
}
# pin_join N ADMIN: device 1 makes a PIN (ADMIN: --admin or ""); device N connects with it and
# waits; device 1's agent accepts it by itself.
pin_join() {
	dev 1 --json connect pin $2 >"$TMP/pin.json" 2>"$TMP/err" &&
		dev "$1" connect request "$ACCOUNT" --pin "$(jget 'd["Pin"]' "$TMP/pin.json")" \
			--description "device $1" >"$TMP/join$1" 2>&1 &&
		grep -q Accepted "$TMP/join$1"
}

check "servermesh starts on loopback" portal_start "$TMP/portal.log" --db "$TMP/portal.db"
PORT=$(echo "$URL" | sed -n 's#^http://127.0.0.1:\([0-9]*\)/.*#\1#p')

# ---- 1. connect by PIN, promote ----
dev 1 device create --description "device 1" >/dev/null 2>&1
quiet dev 1 profile create "$ACCOUNT"
dev 1 --json escrow create --quorum 2 --shares 3 >"$TMP/escrow.json" 2>"$TMP/err"
check "device 1 makes the profile and an escrow" [ $? = 0 ]
check "device 1's agent runs its background task" agent1
check "device 2 connects with a PIN; device 1's agent accepts it, no witness compared" pin_join 2 ""
check "device 3 connects with a PIN made --admin" pin_join 3 --admin
D1=$(udf 1) D2=$(udf 2) D3=$(udf 3)
check "device 3 is an administration device" [ "$(role 3 "$D3")" = True ]
check "device 2 is not (yet)" [ "$(role 2 "$D2")" = False ]
check "device 1 promotes device 2" quiet dev 1 device promote "device 2"
quiet dev 2 profile sync
check "device 2 is an administration device after its sync" [ "$(role 2 "$D2")" = True ]
check "device 1 stores a password while online" quiet dev 1 password add online.example alice p0

# ---- 2. offline ----
check "the portal goes down" portal_stop
dev 2 password add offline.example bob p1 >"$TMP/q1" 2>&1
check "device 2 stores a password offline: queued" grep -q "queued" "$TMP/q1"
dev 1 password delete online.example >"$TMP/q2" 2>&1
check "device 1 deletes a login offline: queued" grep -q "queued" "$TMP/q2"
expect_out "device 2 reads its own queued password offline" "p1" \
	dev 2 password get offline.example
check "device 2's profile status lists what waits" \
	[ "$(jdev 2 'len(d["Queued"])' profile status)" = 1 ]
pid=$(dev 2 agent status 2>/dev/null | sed -n 's/.*: pid //p')
kill -9 "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
check "device 2's agent is killed; the change still waits" \
	[ "$(jdev 2 'len(d["Queued"])' profile status)" = 1 ]
"$SERVERMESH" example.com --listen "127.0.0.1:$PORT" --db "$TMP/portal.db" 2>"$TMP/portal2.log" &
SPID=$!
check "the portal is back on the same URL" [ "$(portal_url "$TMP/portal2.log" "$SPID")" = "$URL" ]
check "device 1's agent publishes its queued delete by itself" \
	until_ok 30 sh -c "grep -q 'published 1 queued change' '$TMP/agent1.log'"
dev 2 profile sync >"$TMP/sync2" 2>&1
check "device 2's sync publishes its queued password" grep -q "^Published: " "$TMP/sync2"
quiet dev 1 profile sync
quiet dev 3 profile sync
expect_out "device 3 sees the password device 2 stored offline" "p1" \
	dev 3 password get offline.example
expect_fail "... and not the login device 1 deleted offline (12)" 12 "" \
	dev 3 password get online.example
check "nothing waits on device 2 any more" [ "$(jdev 2 'len(d["Queued"])' profile status)" = 0 ]

# ---- 3. remove device 3 ----
dev 1 --json device remove "$D3" --yes >"$TMP/removed.json" 2>"$TMP/err"
check "device 1 removes device 3 (an administration device: device 1 holds the master keys)" \
	[ $? = 0 -a "$(jget 'd["Administration"]' "$TMP/removed.json")" = True ]
check "... and names the password device 3 could read" \
	[ "$(jget '[l["Site"] for l in d["Logins"]]' "$TMP/removed.json")" = "['offline.example']" ]
check "device 1 stores a password after the removal" quiet dev 1 password add after.example carol p2
quiet dev 2 profile sync
APP=$(jdev 2 '[a["Identifier"] for a in d["Applications"] if a["Type"] == "PasswordProfile"][0]' \
	app list)
APPFILE="$TMP/d2/.mmm/CryptoMesh/ApplicationProfiles/$APP.json"
ENC2=$(keyfile 2 "$(jdev 2 'd["Keys"]["Encryption"]' device show)")
ENC3=$(keyfile 3 "$(jdev 3 'd["Keys"]["Encryption"]' device show)")
check "jwcrypto opens it with device 2's key" sh -c "$TOOL open '$APPFILE' '$ENC2' | grep -q p2"
check "... not with the removed device 3's" sh -c "! $TOOL open '$APPFILE' '$ENC3' >/dev/null 2>&1"
expect_out "the portal refuses a Get signed by device 3: 401 Removed" "401 Removed" \
	$TOOL send "$URL" "$(keyfile 3 "$D3")" "$D3" GetRequest "{\"Account\": \"$ACCOUNT\"}"
expect_fail "device 3's sync: Removed (32)" 32 "removed from the profile" dev 3 profile sync
check "device 3 holds no account now" [ "$(jdev 3 'len(d["Accounts"])' profile list)" = 0 ]
check "device 1 lists devices 1 and 2" [ "$(jdev 1 'len(d["Devices"])' device list)" = 2 ]

# ---- 4. rotate, default, escrow revoke ----
quiet dev 1 ssh create
OLD=$(jdev 1 'd["Keys"][0]["PublicKey"]' ssh authorized-keys 2>/dev/null)
check "device 1 rotates its SSH key" quiet dev 1 ssh rotate
quiet dev 2 profile sync
dev 2 ssh authorized-keys >"$TMP/authorized" 2>&1
check "device 2's authorized keys list device 1's new key, not the old one" \
	sh -c "[ -s '$TMP/authorized' ] && ! grep -q -F '$OLD' '$TMP/authorized'"
expect_out "device 1's default account" "The default account is $ACCOUNT" dev 1 account default
EID=$(jget 'd["Identifier"]' "$TMP/escrow.json")
check "the portal serves device 1's escrow" portal_has "$EID"
check "device 1 revokes its escrow" quiet dev 1 escrow revoke --yes
check "the portal no longer serves it" portal_lacks "$EID"
check "the escrow is no longer known on device 1" \
	[ "$(jdev 1 'len(d["Escrows"])' profile show)" = 0 ]

finish
