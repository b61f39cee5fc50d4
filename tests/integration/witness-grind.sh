#!/bin/sh
# SPDX-License-Identifier: MIT
# A grinding portal cannot get a device of its own accepted (issue 11, item 1). servermesh for
# example.com on loopback behind portal-double.py (grind mode), which every device takes for its
# portal. Device 1 (the administration device) creates alice@example.com. Device 3 — the
# portal's own device E — asks to join first and is relayed; device 2 — the real new device B —
# asks next and is hidden: the double grinds server nonces for B and E (grind-witness, a
# birthday search of about 2^21 witnesses) whose witnesses share their first 8 characters,
# answers B with its nonce and lists only E. The admin then tries what a user would, reading B's
# screen: the first 8 characters (refused: give the whole witness), B's whole witness, in any
# form (not found: E's differs after 8 characters), and the interactive pick on a terminal (it
# shows E's whole witness, which differs from B's; the admin declines). E's device must never
# be in the profile servermesh publishes, and no ConnectComplete may be sent for it.
# Usage: witness-grind.sh MESH MESHAGENT SERVERMESH GRIND_WITNESS
set -u
MESH=$1 AGENT=$2 SERVERMESH=$3 GRIND=$4 DEVICES=3
ACCOUNT=alice@example.com
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/double-lib.sh"

double_start grind "$GRIND"

# ---- the profile; E asks first, then B ----
dev 1 profile create "$ACCOUNT" >/dev/null 2>"$TMP/err"
check "device 1 creates $ACCOUNT (through the double)" [ $? = 0 ]
dev 3 --json connect request "$ACCOUNT" --no-wait >"$TMP/e.json" 2>"$TMP/err"
check "device E (the portal's own) asks to join" grep -q '"Witness"' "$TMP/e.json"
E_UDF=$(jget 'd["DeviceUDF"]' "$TMP/e.json")
dev 2 --json connect request "$ACCOUNT" --no-wait >"$TMP/b.json" 2>"$TMP/err"
check "device B (the real new device) asks to join and accepts the double's witness" \
	grep -q '"Witness"' "$TMP/b.json"
WB=$(jget 'd["Witness"]' "$TMP/b.json")
B_UDF=$(jget 'd["DeviceUDF"]' "$TMP/b.json")
check "the double ground two witnesses sharing 8 characters ($(cat "$TMP/double/grind.json"))" \
	/usr/bin/python3 - "$TMP/double/grind.json" "$WB" <<'PY'
import json, sys
g = json.load(open(sys.argv[1]))
wb, we = g["WitnessB"], g["WitnessE"]
assert wb == sys.argv[2], (wb, sys.argv[2])
assert wb[:9] == we[:9] and wb != we, (wb, we)
PY
WE=$(jget 'd["WitnessE"]' "$TMP/double/grind.json")
check "servermesh never saw B's request (the double hid it)" \
	sh -c "[ \$(grep -c 'ConnectStartRequest relayed' '$TMP/double/log') = 1 ]"
dev 1 --json connect pending >"$TMP/pending.json" 2>"$TMP/err"
check "device 1 lists E alone, with E's ground witness" \
	/usr/bin/python3 - "$TMP/pending.json" "$E_UDF" "$WE" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))["Pending"]
assert [(x["DeviceUDF"], x["Witness"]) for x in p] == [(sys.argv[2], sys.argv[3])], p
PY

# ---- what the admin types from B's screen ----
PREFIX=$(echo "$WB" | tr -d - | cut -c1-8)
expect_fail "accept by the 8 characters E shares with B: refused, give the whole witness (3)" 3 \
	"give the whole witness (28 characters.*type or paste all of it" \
	dev 1 connect accept "$PREFIX"
expect_fail "reject by them: refused alike (3)" 3 "give the whole witness" \
	dev 1 connect reject "$PREFIX"
expect_fail "accept by B's 27 first characters: refused (3)" 3 "give the whole witness" \
	dev 1 connect accept "$(echo "$WB" | tr -d - | cut -c1-27)"
expect_fail "accept by B's whole witness: no such request (12)" 12 "not listing" \
	dev 1 connect accept "$WB"
expect_fail "accept by B's whole witness in lower case, spaced: no such request (12)" 12 \
	"no pending request" dev 1 connect accept $(echo "$WB" | tr 'A-Z-' 'a-z ')

# ---- the interactive pick shows E's whole witness; the admin compares and declines ----
denv 1 /usr/bin/python3 "$HERE/wizard-drive.py" --log "$TMP/pick" -e 'Request 1 of 1' \
	-l "WITNESS:      $WE" -e 'Compare every character of this witness, all 28' \
	-e "Accept the device $E_UDF.*\\[y/N\\]: " -s n -e 'nothing answered' -x 28 \
	-- "$MESH" --hive test connect accept
check "interactive accept shows E's whole witness and takes 'n' for an answer (exit 28)" \
	[ $? = 0 ]
check "... and the witness it shows is not B's" sh -c "! grep -q -- '$WB' '$TMP/pick'"

# ---- E is not in the profile servermesh publishes; no result was sent for it ----
published "$TMP/published.json" 2>"$TMP/err"
"$GRIND" devices "$TMP/published.json" >"$TMP/devices" 2>"$TMP/err"
check "the published profile verifies and holds device 1 alone" \
	sh -c "[ \$(wc -l <'$TMP/devices') = 1 ] && ! grep -q '$B_UDF' '$TMP/devices'"
check "E's device is not in the published profile" sh -c "! grep -q '$E_UDF' '$TMP/devices'"
check "no ConnectComplete was sent" [ ! -e "$TMP/double/completed" ]
finish
