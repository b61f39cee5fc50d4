#!/bin/sh
# SPDX-License-Identifier: MIT
# A damaged or deleted stored profile is repaired by 'profile sync', and the portal cannot use
# the repair to roll the device back or substitute a profile (issue 12, item 4). servermesh for
# example.com on loopback; device 1 creates alice@example.com on it and adds a password and an
# application (Serial 3). A flipped byte in PersonalProfiles/<udf>.json, then its removal: commands fail saying what
# to run, 'profile list' (text and --json) shows the damage and the fix, 'profile sync' repairs
# it from servermesh. Then the account moves (profile set-portal) to portal-double.py in front of
# servermesh, which serves, in place of the profile, an older one of alice's (Serial 2) and then
# alice@example.com's profile from another portal (another master key): with the stored profile
# damaged or deleted, sync refuses both (Stale, WitnessMismatch) and leaves the file as it was; a
# device 2 whose entry records no serial yet (written before the record) is held to its stored
# profile's. Last, an Accounts/ entry that does not read: 'profile list' names it and the fix,
# 'profile delete' removes it and the keys it named, and the account is recovered from shares.
# Usage: profile-repair.sh MESH MESHAGENT SERVERMESH
set -u
MESH=$1 AGENT=$2 SERVERMESH=$3 DEVICES=2
ACCOUNT=alice@example.com
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/double-lib.sh"
trap 'for pid in $PORTAL_PIDS; do kill "$pid" 2>/dev/null; done; double_cleanup' EXIT

double_start serve
DOUBLE=$URL
URL=$SURL
HIVE1=$TMP/d1/.mmm/CryptoMesh

lacks_key() { ! has_key "$@"; }

# flip FILE: change one bit in the middle of FILE.
flip() {
	/usr/bin/python3 -c 'import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 1
open(p, "wb").write(b)' "$1"
}

# ---- device 1: a profile at Serial 3 on servermesh ----
dev 1 profile create "$ACCOUNT" >/dev/null 2>"$TMP/err"
check "device 1 creates $ACCOUNT on servermesh" [ $? = 0 ]
check "a password (Serial 2)" dev 1 password add one.example alice secret-one
published "$TMP/serial2.json"
check "an application (Serial 3)" dev 1 app add generic notes
dev 1 --json escrow create --quorum 2 --shares 3 >"$TMP/escrow.json" 2>"$TMP/err"
check "the master keys escrowed, 2 of 3" [ $? = 0 ]
PROFILE=$(dev 1 --json profile show | jget 'd["Identifier"]')
STORED=$HIVE1/PersonalProfiles/$PROFILE.json
check "the account entry records the serials (Serial 3, MasterSerial 1)" /usr/bin/python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
assert (a["Serial"], a["MasterSerial"]) == (3, 1), a' "$HIVE1/Accounts/alice_AT_example.com"

# ---- a flipped byte ----
flip "$STORED"
# The bit flipped lands in the JWS's payload or signature: Malformed (4) or BadSignature (7).
dev 1 password get one.example >"$TMP/out" 2>"$TMP/err"
status=$?
check "password get with the flipped profile: Malformed or BadSignature ($status), one line \
saying to run profile sync" sh -c "[ $status = 4 -o $status = 7 ] && [ ! -s '$TMP/out' ] &&
	[ \$(wc -l <'$TMP/err') = 1 ] && grep -q \"is damaged or was tampered with.*run 'mesh \
profile sync $ACCOUNT'\" '$TMP/err'"
dev 1 profile list >"$TMP/list" 2>"$TMP/err"
check "profile list shows the damage and the fix on the account's one line" sh -c "
	[ \$(wc -l <'$TMP/list') = 1 ] && grep -q \"^$ACCOUNT (default) DAMAGED: $STORED is \
damaged or was tampered with, and is not used: .*; fix: run 'mesh profile sync $ACCOUNT' to \
fetch it from the portal again\$\" '$TMP/list'"
dev 1 --json profile list >"$TMP/list.json" 2>"$TMP/err"
check "profile list --json: the account, and the damaged entry with its code and fix" \
	/usr/bin/python3 - "$TMP/list.json" "$PROFILE" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["Accounts"] == ["alice@example.com"] and d["Default"] == "alice@example.com", d
[x] = d["Damaged"]
assert x["Entry"] == "PersonalProfiles/%s.json" % sys.argv[2], x
assert x["Account"] == "alice@example.com", x
assert (x["Code"], x["Name"]) in ((4, "Malformed"), (7, "BadSignature")), x
assert "\n" not in x["Message"] and "is damaged" in x["Message"], x
assert x["Fix"] == "run 'mesh profile sync alice@example.com' to fetch it from the portal again"
PY
expect_out "profile sync repairs it from servermesh" "3" jdev 1 'd["Serial"]' profile sync
expect_out "the password reads again" "secret-one" dev 1 password get one.example
check "the repaired file is servermesh's profile" /usr/bin/python3 - "$STORED" "$SURL" <<'PY'
import json, sys, urllib.request
r = urllib.request.urlopen(urllib.request.Request(sys.argv[2],
    data=json.dumps({"GetRequest": {"Account": "alice"}}).encode(),
    headers={"Content-Type": "application/json"}), timeout=20)
assert json.load(open(sys.argv[1])) == json.load(r)["GetResponse"]["Entries"][0]
PY
expect_out "profile list: nothing damaged" "$ACCOUNT (default)" dev 1 profile list

# ---- a deleted file ----
rm "$STORED"
expect_fail "password list without the stored profile: NotFound (12), saying to run profile sync" \
	12 "run 'mesh profile sync $ACCOUNT'" dev 1 password list
dev 1 profile list >"$TMP/list" 2>"$TMP/err"
check "profile list shows the missing file and the fix" \
	grep -q "^$ACCOUNT (default) DAMAGED: .*$PROFILE.json.*; fix: run 'mesh profile sync $ACCOUNT'" \
	"$TMP/list"
check "profile sync repairs it" dev 1 profile sync
expect_out "the password reads again" "secret-one" dev 1 password get one.example

# ---- the account moves to the double (relaying for now): a repair through it ----
expect_out "profile set-portal to the double" "$DOUBLE" \
	jdev 1 'd["Portal"]' profile set-portal "$DOUBLE"
URL=$DOUBLE
flip "$STORED"
check "profile sync repairs a flipped byte through the (relaying) double" dev 1 profile sync
check "... which relayed the Get" grep -q "^GetRequest relayed" "$TMP/double/log"

# ---- the double serves an older profile of alice's (Serial 2) ----
cp "$TMP/serial2.json" "$TMP/double/serve.json"
expect_fail "an older profile, stored profile intact: Stale (21)" 21 "older profile" \
	dev 1 profile sync
flip "$STORED"
cp "$STORED" "$TMP/damaged"
expect_fail "an older profile for a repair: Stale (21), nothing changed" 21 \
	"older profile of $ACCOUNT (Serial 2, master Serial 1) than this device has stored (3, 1)" \
	dev 1 profile sync
check "the damaged file is left as it was" cmp -s "$STORED" "$TMP/damaged"
rm "$STORED"
expect_fail "an older profile for a deleted file: Stale (21)" 21 "older profile" \
	dev 1 profile sync
check "no file was stored" [ ! -e "$STORED" ]

# ---- the double serves alice@example.com of another portal: another master key ----
check "a second servermesh starts" servermesh_up other
OTHER=$PORTAL
URL=$OTHER
check "device 2 creates $ACCOUNT there (another master key)" dev 2 profile create "$ACCOUNT"
for i in 1 2 3 4; do dev 2 app add generic "app$i" >/dev/null; done
expect_out "... at a higher Serial than device 1 holds" 5 jdev 2 'd["Serial"]' profile show
URL=$DOUBLE
SERVERMESH_URL=$SURL
SURL=$OTHER
published "$TMP/double/serve.json"
SURL=$SERVERMESH_URL
expect_fail "another profile for a deleted file: WitnessMismatch (24), nothing changed" 24 \
	"holds the profile .* for $ACCOUNT, not $PROFILE: nothing was changed" dev 1 profile sync
check "no file was stored" [ ! -e "$STORED" ]
cp "$TMP/damaged" "$STORED"
expect_fail "another profile for a damaged file: WitnessMismatch (24)" 24 \
	"not $PROFILE: nothing was changed" dev 1 profile sync
check "the damaged file is left as it was" cmp -s "$STORED" "$TMP/damaged"
expect_fail "set-portal to the portal of the other profile: refused (24)" 24 \
	"was not moved to .*not $PROFILE" dev 1 profile set-portal "$OTHER"
rm "$TMP/double/serve.json"
check "the double relays again: profile sync repairs" dev 1 profile sync
expect_out "the password reads again" "secret-one" dev 1 password get one.example

# ---- an entry written before the serials were recorded ----
URL=$OTHER
HIVE2=$TMP/d2/.mmm/CryptoMesh
/usr/bin/python3 -c '
import json, sys
p = sys.argv[1]; a = json.load(open(p)); del a["Serial"], a["MasterSerial"]
json.dump(a, open(p, "w"))' "$HIVE2/Accounts/alice_AT_example.com"
check "device 2 reads its profile: the entry gets the serials (5) back" /usr/bin/python3 -c '
import json, subprocess, sys
subprocess.run(sys.argv[2:], check=True, stdout=subprocess.DEVNULL)
a = json.load(open(sys.argv[1]))
assert (a["Serial"], a["MasterSerial"]) == (5, 1), a' "$HIVE2/Accounts/alice_AT_example.com" \
	env HOME="$TMP/d2" XDG_RUNTIME_DIR="$TMP/d2/run" MMM_HOME="$TMP/d2/.mmm" \
	timeout 60 "$MESH" --hive test password list

# ---- an Accounts/ entry that does not read ----
URL=$DOUBLE
ENTRY=$HIVE1/Accounts/alice_AT_example.com
check "device 1 holds the master key" has_key 1 "$PROFILE"
printf '{"Account": "alice@example.com", "Profile": ' >"$ENTRY"
dev 1 profile list >"$TMP/list" 2>"$TMP/err"
check "profile list names the damaged entry and the fix, on one line" sh -c "
	[ \$(wc -l <'$TMP/list') = 1 ] && grep -q \"^$ACCOUNT DAMAGED: .*alice_AT_example.com.*; \
fix: remove it with 'mesh profile delete $ACCOUNT --yes', then join the account again\" \
	'$TMP/list'"
dev 1 --json profile list >"$TMP/list.json" 2>"$TMP/err"
check "profile list --json: no account, the damaged entry" /usr/bin/python3 - "$TMP/list.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["Accounts"] == [], d
[x] = d["Damaged"]
assert x["Entry"] == "Accounts/alice_AT_example.com" and x["Account"] == "alice@example.com", x
assert x["Name"] == "Malformed" and "profile delete alice@example.com --yes" in x["Fix"], x
PY
# What the entry said of escrows is lost with it: holding the master keys, the device refuses to
# delete without --force (it cannot tell an escrow exists), and says so.
expect_fail "profile delete of the damaged entry, holding the master keys: Permission (11)" 11 \
	"give --force to delete it anyway" dev 1 profile delete "$ACCOUNT" --yes
check "profile delete --force removes the damaged entry" dev 1 profile delete "$ACCOUNT" --yes \
	--force
expect_out "profile list is empty" "" dev 1 profile list
check "the entry is gone" [ ! -e "$ENTRY" ]
check "... and the master key with it" lacks_key 1 "$PROFILE"
check "the account is recovered from its shares, as the fix says" dev 1 profile recover \
	"$ACCOUNT" "$(jget 'd["Shares"][0]' "$TMP/escrow.json")" \
	"$(jget 'd["Shares"][2]' "$TMP/escrow.json")"
expect_out "... and its password reads again" "secret-one" dev 1 password get one.example

finish
