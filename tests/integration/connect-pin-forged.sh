#!/bin/sh
# SPDX-License-Identifier: MIT
# A portal that forges requests by PIN (docs/protocol.md "Connecting by PIN"), played on a real
# servermesh: device 1 creates alice@example.com and makes a PIN; device 2 asks with it. While
# device 1 has not synced, the hostile portal reads the genuine SignedRequest (PinId, PinMac)
# out of servermesh's SQLite file and puts in its pending list, as ConnectStart requests of
# devices of its own (own keys, self-signed device profile, signed request; profile-tool
# forged-request):
#  (a) a request carrying the genuine PinId and PinMac;
#  (b) a request carrying the genuine PinId and a PinMac under a guessed PIN;
#  (c) the genuine request with its device profile swapped for its own: servermesh refuses
#      that ConnectStart (the signature breaks), so the portal writes it in its file itself.
# It lists the forgeries before the genuine request (the order is the portal's), so that a
# check of the PinId alone would accept one. Device 1's 'mesh profile sync' then accepts
# device 2 only, rejects (a) and (b) (state Rejected at the portal, a note each saying the
# request does not prove the PIN), never lists (c) (it stays Pending, unanswered), and uses the
# PIN once.
# Usage: connect-pin-forged.sh MESH MESHAGENT SERVERMESH PROFILE_TOOL
set -u
MESH=$1 AGENT=$2 SERVERMESH=$3 PROFILE_TOOL=$4
. "$(dirname "$0")/lib.sh"
PATH=$(dirname "$AGENT"):$PATH
export PATH
unset MESH_AGENT_SOCK MESH_HIVE XDG_CONFIG_HOME MESH_PORTAL_URL MESH_PORTAL_CA
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}intercept_tls_get_addr=0"
# Device 1's agent must not answer by itself: only its 'profile sync' does, when told.
export MESH_AGENT_BACKGROUND_SECONDS=3600
SPID= URL=
DEVICES=2
. "$(dirname "$0")/devices-lib.sh"
cleanup() {
	for n in $(seq "$DEVICES"); do
		dev "$n" agent stop >/dev/null 2>&1
	done
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
A=alice@example.com
DB=$TMP/portal.db

# db SQL ARGS...: run SQL with ARGS on the portal's file (committed); each row printed with
# its columns separated by a space.
db() {
	/usr/bin/python3 - "$DB" "$@" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], timeout=20)
with con:
    for row in con.execute(sys.argv[2], sys.argv[3:]):
        print(" ".join(str(c) for c in row))
PY
}

"$SERVERMESH" example.com --listen 127.0.0.1:0 --db "$DB" 2>"$TMP/portal.log" &
SPID=$!
URL=$(portal_url "$TMP/portal.log" "$SPID")
check "servermesh starts" [ -n "$URL" ]
dev 1 profile create $A >/dev/null 2>"$TMP/err"
check "device 1 creates $A" [ $? = 0 ]
PIN=$(jdev 1 'd["Pin"]' connect pin 2>"$TMP/err")
check "device 1 makes a PIN" [ -n "$PIN" ]
dev 2 connect request $A --pin "$PIN" --description Tablet --no-wait >/dev/null 2>"$TMP/err"
check "device 2 asks with it" [ $? = 0 ]
expect_out "... and is pending" "Pending" dev 2 connect status

# ---- The hostile portal: what it holds, what it forges ---------------------------------------
db "SELECT request FROM connections" >"$TMP/genuine.json"
GENUINE=$(db "SELECT device FROM connections")
check "the portal holds one request, device 2's, that verifies" sh -c "
	[ \$(wc -l <'$TMP/genuine.json') = 1 ] && [ -n '$GENUINE' ] &&
	'$PROFILE_TOOL' verify request '$TMP/genuine.json'"
db "SELECT e.body FROM accounts a JOIN entries e ON e.identifier = a.identifier" \
	>"$TMP/profile.json"
check "the portal holds alice's profile" "$PROFILE_TOOL" verify personal "$TMP/profile.json"

# A guessed PIN: a well-formed one that is not the PIN.
GUESS=NAAA$(echo "$PIN" | cut -c5-)
[ "$GUESS" = "$PIN" ] && GUESS=NBBB$(echo "$PIN" | cut -c5-)
for how in copy "$GUESS" swap; do
	case $how in copy) f=a ;; swap) f=c ;; *) f=b ;; esac
	"$PROFILE_TOOL" forged-request "$TMP/profile.json" "$TMP/genuine.json" "$how" \
		>"$TMP/$f.json" 2>"$TMP/err"
	check "profile-tool forges request ($f)" [ -s "$TMP/$f.json" ]
	# Its SignedRequest alone, as the portal stores it.
	/usr/bin/python3 -c 'import json, sys
json.dump(json.load(open(sys.argv[1]))["SignedRequest"], open(sys.argv[2], "w"))' \
		"$TMP/$f.json" "$TMP/$f-req.json"
done
FA=$(jget 'd["Device"]' "$TMP/a.json")
FB=$(jget 'd["Device"]' "$TMP/b.json")
FC=$(jget 'd["Device"]' "$TMP/c.json")
for f in a b; do
	check "($f) verifies: a device of the portal's own, its request signed by it" \
		"$PROFILE_TOOL" verify request "$TMP/$f-req.json"
done
check "the genuine request carries a PinId and a PinMac; (a) and (b) the same PinId, (a) the \
same PinMac, (b) another" \
	/usr/bin/python3 - "$TMP/genuine.json" "$TMP/a.json" "$TMP/b.json" <<'PY'
import base64, json, sys
def request(jws):
    p = jws["payload"]
    return json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))["ConnectionRequest"]
g = request(json.load(open(sys.argv[1])))
a = request(json.load(open(sys.argv[2]))["SignedRequest"])
b = request(json.load(open(sys.argv[3]))["SignedRequest"])
assert g["PinId"] and g["PinMac"], g
assert a["PinId"] == b["PinId"] == g["PinId"], (a, b, g)
assert a["PinMac"] == g["PinMac"] and b["PinMac"] != g["PinMac"], (a, b, g)
assert a["Device"] != g["Device"] and b["Device"] != g["Device"]
PY
expect_fail "(c) the genuine request with another device profile: BadSignature (7)" 7 \
	"signature" "$PROFILE_TOOL" verify request "$TMP/c-req.json"

got=$(connect_start "$URL" $A "$TMP/a.json")
check "servermesh takes (a) as any ConnectStart: 201 ($got)" [ "$got" = "201 -" ]
got=$(connect_start "$URL" $A "$TMP/b.json")
check "servermesh takes (b) as any ConnectStart: 201 ($got)" [ "$got" = "201 -" ]
got=$(connect_start "$URL" $A "$TMP/c.json")
check "servermesh refuses (c): 401 BadSignature ($got)" [ "$got" = "401 BadSignature" ]
# So the hostile portal writes (c) in its file itself, with the witness of its device.
check "the portal writes (c) in its file" db "INSERT INTO connections (account, device,
	request, server_nonce, witness, created, expires, state, result, client) SELECT account, ?1, ?2, ?3, ?4, created, expires, 0, NULL, client
	FROM connections WHERE device = ?5" "$FC" "$(cat "$TMP/c-req.json")" \
	"$(jget 'd["ServerNonce"]' "$TMP/c.json")" "$(jget 'd["Witness"]' "$TMP/c.json")" \
	"$GENUINE"
# ... and lists its forgeries first: the genuine request comes last.
db "UPDATE connections SET created = created + 60 WHERE device = ?1" "$GENUINE"
db "SELECT device FROM connections WHERE state = 0 ORDER BY created, device" >"$TMP/order"
check "the portal lists four requests, device 2's last" sh -c "
	[ \$(wc -l <'$TMP/order') = 4 ] && [ \"\$(tail -n 1 '$TMP/order')\" = '$GENUINE' ]"

# ---- What device 1 sees and does ------------------------------------------------------------
dev 1 --json connect pending >"$TMP/pending.json" 2>"$TMP/err"
check "connect pending lists device 2, (a) and (b), not (c) (its signature breaks)" \
	/usr/bin/python3 - "$TMP/pending.json" "$GENUINE" "$FA" "$FB" <<'PY'
import json, sys
norm = lambda u: u.replace("-", "").upper()
got = sorted(norm(p["DeviceUDF"]) for p in json.load(open(sys.argv[1]))["Pending"])
assert got == sorted(norm(u) for u in sys.argv[2:]), got
PY
dev 1 profile sync $A >"$TMP/sync" 2>"$TMP/err"
check "device 1's sync succeeds" [ $? = 0 ]
check "it accepts one device, device 2" sh -c "
	[ \$(grep -c 'accepted the device' '$TMP/sync') = 1 ] &&
	grep -qF 'accepted the device $GENUINE, described as Tablet' '$TMP/sync'"
check "it rejects (a), saying the request does not prove the PIN" \
	grep -qF "rejected the device $FA: its request does not prove the PIN" "$TMP/sync"
check "it rejects (b), saying the request does not prove the PIN" \
	grep -qF "rejected the device $FB: its request does not prove the PIN" "$TMP/sync"
check "it says nothing of (c), which it never listed" sh -c "! grep -q '$FC' '$TMP/sync'"
expect_out "device 2 is accepted" "Accepted: this device is connected to the profile" \
	dev 2 connect status
devices=$(jdev 1 'len(d["Devices"])' profile show $A)
check "the profile lists two devices ($devices)" [ "$devices" = 2 ]
check "... device 2 among them, none of the portal's" \
	/usr/bin/python3 - "$TMP/jdev.json" "$GENUINE" "$FA" "$FB" "$FC" <<'PY'
import json, sys
norm = lambda u: u.replace("-", "").upper()
devices = {norm(u) for u in json.load(open(sys.argv[1]))["Devices"]}
assert norm(sys.argv[2]) in devices, devices
assert not devices & {norm(u) for u in sys.argv[3:]}, devices
PY
# States at the portal (portal/store.h: 0 Pending, 1 Accepted, 2 Rejected).
state() { db "SELECT state, result IS NOT NULL FROM connections WHERE device = ?1" "$1"; }
check "at the portal: device 2 Accepted" [ "$(state "$GENUINE")" = "1 1" ]
check "... (a) Rejected, with a result" [ "$(state "$FA")" = "2 1" ]
check "... (b) Rejected, with a result" [ "$(state "$FB")" = "2 1" ]
check "... (c) never answered: Pending, no result" [ "$(state "$FC")" = "0 0" ]
dev 1 --json connect pin --list >"$TMP/pins.json" 2>"$TMP/err"
check "the PIN is used, once: one PIN, Used" \
	[ "$(jget '[p["Used"] for p in d["Pins"]]' "$TMP/pins.json")" = "[True]" ]

# A second sync finds nothing more to do.
dev 1 profile sync $A >"$TMP/sync2" 2>"$TMP/err"
check "a second sync accepts and rejects nothing" \
	sh -c "! grep -q 'accepted the device\|rejected the device' '$TMP/sync2'"
check "... and the profile still lists two devices" \
	[ "$(jdev 1 'len(d["Devices"])' profile show $A)" = 2 ]
finish
