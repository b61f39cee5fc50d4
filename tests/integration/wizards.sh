#!/bin/sh
# SPDX-License-Identifier: MIT
# The interactive wizards (the seed documents §4.2, §4.3) driven through a real pseudo-terminal
# (wizard-drive.py) against servermesh for example.com on loopback, each device with its own
# HOME, XDG_RUNTIME_DIR, MMM_HOME and agent. Device 1's meshclient creates alice@example.com
# and escrows it 2-of-4 (the printed shares recover the keys: 'mesh escrow verify'); device 2's
# meshconnect asks to connect and shows the witness, device 1's meshclient shows the same
# witness among the pending requests (both say to compare all 28 characters of it) and accepts
# it, and meshconnect reports Accepted. Device 3's request is rejected (meshconnect exits 20);
# end of input at a question exits 28 having created nothing; Ctrl-C while waiting exits 28 and
# 'mesh connect reject' with no witness, on a terminal, picks that request and rejects it.
# Device 4 recovers the profile with its keys protected by a passphrase asked for there;
# device 6's meshclient makes a profile without escrow and says so until one is made.
# Usage: wizards.sh MESHCLIENT MESHCONNECT MESH MESHAGENT SERVERMESH
set -u
MESHCLIENT=$1 MESHCONNECT=$2 MESH=$3 AGENT=$4 SERVERMESH=$5
. "$(dirname "$0")/lib.sh"
DRIVE="$(dirname "$0")/wizard-drive.py"
PATH=$(dirname "$AGENT"):$PATH
export PATH
unset MESH_AGENT_SOCK MESH_HIVE XDG_CONFIG_HOME MESH_PORTAL_URL MESH_PORTAL_CA
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}intercept_tls_get_addr=0"
ACCOUNT=alice@example.com
SPID=
URL=
BG=

if [ ! -x /usr/bin/python3 ]; then
	not_ok "/usr/bin/python3 is needed to drive the wizards through a pseudo-terminal"
	finish
	exit 1
fi

DEVICES=7
. "$(dirname "$0")/devices-lib.sh"
# drive N LOG STEPS... -- PROGRAM ARGS: a wizard on device N through a pty.
drive() {
	n=$1 log=$2
	shift 2
	denv "$n" /usr/bin/python3 "$DRIVE" --log "$log" "$@"
}
cleanup() {
	[ -n "$BG" ] && kill "$BG" 2>/dev/null
	for n in 1 2 3 4 5 6 7; do
		pid=$(dev "$n" agent status 2>/dev/null | sed -n 's/.*: pid //p')
		[ -n "$pid" ] && kill "$pid" 2>/dev/null
	done
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT


start() {
	: >"$TMP/portal.log"
	"$SERVERMESH" example.com --listen "$1" --db "$TMP/portal.db" 2>>"$TMP/portal.log" &
	SPID=$!
	URL=$(portal_url "$TMP/portal.log" "$SPID")
	[ -n "$URL" ] && return 0
	echo "servermesh did not start: $(cat "$TMP/portal.log")"
	return 1
}

# wait_log FILE PATTERN: until FILE has a line matching PATTERN (30 s at most).
wait_log() {
	for _ in $(seq 300); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# An exit status, as a check (a drive's is 0 when the wizard printed what was expected and exited
# with the status given by -x).
status_is() {
	[ "$1" = "$2" ] || { echo "  exit status $1, want $2"; return 1; }
}

check "servermesh starts on loopback" start 127.0.0.1:0

# ---- the options ----
"$MESHCLIENT" --version >"$TMP/v" 2>&1
check "meshclient --version" grep -q '^meshclient ' "$TMP/v"
"$MESHCONNECT" --version >"$TMP/v" 2>&1
check "meshconnect --version" grep -q '^meshconnect ' "$TMP/v"
has_options() {
	grep -q -- --hive "$1" && grep -q -- --portal= "$1" && grep -q -- --portal-ca "$1"
}
for w in "$MESHCLIENT" "$MESHCONNECT"; do
	"$w" --help >"$TMP/h" 2>&1
	check "$(basename "$w") --help names --hive, --portal, --portal-ca" has_options "$TMP/h"
done
"$MESHCLIENT" --no-such-option >/dev/null 2>&1
check "meshclient with an unknown option: Usage (2)" status_is $? 2

# Start the agents now, their output not on the terminals the wizards run in.
for n in 1 2 3 4 5 6; do
	dev "$n" agent start >/dev/null 2>>"$TMP/agents.log"
done

# ---- end of input at a question: exit 28, nothing created ----
drive 4 "$TMP/eof1" -e 'Choice \[1\]: ' -s "" -e 'Account to create \(local@domain\): ' \
	-s bob@example.com -e 'Portal URL \[[^]]*\]: ' -s "" -e 'bob@example.com is available' \
	-e 'Create the profile of bob@example.com.*\[Y/n\]: ' -d -x 28 \
	-- "$MESHCLIENT" --hive test
check "meshclient: end of input at 'Create the profile?' exits 28" status_is $? 0
expect_out "... and this machine holds no profile" "" dev 4 profile list
expect_out "... and bob@example.com is still free at the portal" "bob@example.com: available" \
	dev 4 account validate bob@example.com
drive 4 "$TMP/eof2" -e 'Account to connect to \(local@domain\), or the connection URI.*: ' -d -x 28 \
	-- "$MESHCONNECT" --hive test
check "meshconnect: end of input at the account exits 28" status_is $? 0
expect_out "... and no device was made" "" dev 4 device list

# ---- device 1: meshclient creates alice@example.com and escrows it 2-of-4 ----
drive 1 "$TMP/create" -e 'no Mesh profile' -e 'Choice \[1\]: ' -s 1 \
	-e 'Account to create \(local@domain\): ' -s "not-an-account" -e 'is not an account' \
	-e 'Account to create \(local@domain\): ' -s "$ACCOUNT" \
	-l "Portal URL [$URL]: " -s "" -e "$ACCOUNT is available" \
	-e 'Create the profile of .*\[Y/n\]: ' -s y \
	-e "Protect this device's keys with a passphrase.*\\[y/N\\]: " -s "" \
	-e 'PROFILE FINGERPRINT: +M' \
	-e 'Escrow the master keys now.*\[Y/n\]: ' -s "" \
	-e 'How many shares to make \[4\]: ' -s "" -e 'quorum\) \[2\]: ' -s "" \
	-e 'Escrow in 4 shares, any 2 of which.*\[Y/n\]: ' -s y -e 'WARNING: write these 4 shares' \
	-e 'Share 4: S' -e 'Press Enter' -s "" \
	-e "Profile manager: $ACCOUNT" -e 'Choice: ' -s 1 -e 'Profile fingerprint: +M' \
	-e 'Escrow: +made' \
	-e 'Choice: ' -s 8 -x 0 -- "$MESHCLIENT" --hive test
check "meshclient creates $ACCOUNT and escrows it (through a pty)" status_is $? 0
PROFILE=$(sed -n 's/^ *PROFILE FINGERPRINT: *\(M[^ ]*\)$/\1/p' "$TMP/create" | head -1)
dev 1 --json profile show >"$TMP/show1" 2>"$TMP/err"
check "the fingerprint shown is the profile's ($PROFILE)" \
	[ -n "$PROFILE" -a "$(jget 'd["Identifier"]' "$TMP/show1")" = "$PROFILE" ]
sed -n 's/^ *Share [0-9]*: \(S[^ ]*\)$/\1/p' "$TMP/create" >"$TMP/shares"
check "meshclient printed 4 shares" [ "$(grep -c '^S' "$TMP/shares")" = 4 ]
S1=$(sed -n 1p "$TMP/shares") S2=$(sed -n 2p "$TMP/shares")
S3=$(sed -n 3p "$TMP/shares") S4=$(sed -n 4p "$TMP/shares")
expect_out "shares 1 and 3 recover the keys (mesh escrow verify)" \
	"The shares recover the escrowed keys" dev 1 escrow verify "$S1" "$S3"
expect_out "shares 2 and 4 recover the keys (mesh escrow verify)" \
	"The shares recover the escrowed keys" dev 1 escrow verify "$S2" "$S4"
dev 1 escrow verify "$S1" >/dev/null 2>&1
check "one share alone does not (ShareQuorum 15)" status_is $? 15

# ---- device 2: meshconnect asks; device 1 accepts the same witness ----
drive 2 "$TMP/connect" -e 'Account to connect to \(local@domain\).*: ' -s "$ACCOUNT" \
	-l "Portal URL [$URL]: " -s "" -e 'PIN from the administration device.*: ' -s "" \
	-e 'A name for this device.*: ' -s laptop \
	-e 'Ask to connect this device to .*\[Y/n\]: ' -s "" -e 'WITNESS: +[A-Z0-9]' \
	-e 'compare all 28 characters' \
	-t 90 -e 'Accepted: this device is connected' -x 0 -- "$MESHCONNECT" --hive test &
BG=$!
check "meshconnect shows the profile fingerprint and the witness" \
	wait_log "$TMP/connect" 'WITNESS: '
WITNESS=$(sed -n 's/^ *WITNESS: *\([^ ]*\)$/\1/p' "$TMP/connect" | head -1)
SHOWN=$(sed -n 's/^ *PROFILE FINGERPRINT: *\([^ ]*\)$/\1/p' "$TMP/connect" | head -1)
check "meshconnect's profile fingerprint is device 1's" [ -n "$SHOWN" -a "$SHOWN" = "$PROFILE" ]
drive 1 "$TMP/accept" -e 'Choice: ' -s 3 -e '1 device is waiting' \
	-e 'Description: +laptop' -l "WITNESS:      $WITNESS" \
	-e 'Compare every character of this witness, all 28 of them' \
	-e 'Choice \[3\]: ' -s 1 -l "Accept the device with witness $WITNESS" -e '\[y/N\]: ' -s y \
	-l "Accepted the device with witness $WITNESS" \
	-e 'Choice: ' -s 4 -e 'Site.*: ' -s example.net -e 'User name: ' -s alice \
	-e 'Generate a new random password\? \[y/N\]: ' -s y -e 'Stored the password for example.net' \
	-e 'Choice: ' -s 5 -e 'example.net +alice' \
	-e 'Choice: ' -s 8 -x 0 -- "$MESHCLIENT" --hive test
check "meshclient's pending menu shows the witness ($WITNESS) and accepts it" status_is $? 0
wait "$BG"
check "meshconnect reports Accepted (exit 0)" status_is $? 0
BG=
dev 1 --json profile sync >"$TMP/sync1" 2>"$TMP/err"
check "the profile has two devices now" [ "$(jget 'len(d["Devices"])' "$TMP/sync1")" = 2 ]
dev 2 profile sync >/dev/null 2>&1
expect_out "device 2 lists the password added in meshclient" "example.net  alice" \
	dev 2 password list

# ---- a password typed at meshclient: not echoed, stored ----
drive 1 "$TMP/password" -e 'Choice: ' -s 4 -e 'Site.*: ' -s example.org -e 'User name: ' -s bob \
	-e 'Generate a new random password\? \[y/N\]: ' -s n -e 'Password: ' -s 's3cret-horse' \
	-e 'Repeat the passphrase: ' -s 's3cret-horse' -e 'Stored the password for example.org' \
	-e 'Choice: ' -s 8 -x 0 -- "$MESHCLIENT" --hive test
check "meshclient stores a typed password" status_is $? 0
check "... without echoing it" sh -c "! grep -q s3cret-horse '$TMP/password'"
expect_out "... and mesh password get gives it back" "s3cret-horse" dev 1 password get example.org
# The same login again: meshclient asks before it replaces the stored password.
drive 1 "$TMP/replace" -e 'Choice: ' -s 4 -e 'Site.*: ' -s example.org -e 'User name: ' -s bob \
	-e 'Generate a new random password\? \[y/N\]: ' -s n -e 'Password: ' -s 'n3w-horse' \
	-e 'Repeat the passphrase: ' -s 'n3w-horse' \
	-e 'bob at example.org has a password already. Replace it\? \[y/N\]: ' -s y \
	-e 'Changed the password for example.org' -e 'Choice: ' -s 8 -x 0 \
	-- "$MESHCLIENT" --hive test
check "meshclient asks before it replaces a stored login" status_is $? 0
expect_out "... and replaces it when told to" "n3w-horse" dev 1 password get example.org

# ---- device 3: rejected (exit 20) ----
drive 3 "$TMP/connect3" -l "Portal URL [$URL]: " -s "" -e 'PIN from the administration device.*: ' \
	-s "" -e 'A name for this device.*: ' -s phone \
	-e 'Ask to connect.*\[Y/n\]: ' -s y -e 'WITNESS: +[A-Z0-9]' \
	-t 90 -e 'Rejected: the administration device refused' -x 20 \
	-- "$MESHCONNECT" --hive test "$ACCOUNT" &
BG=$!
check "meshconnect on device 3 shows its witness" wait_log "$TMP/connect3" 'WITNESS: '
W3=$(sed -n 's/^ *WITNESS: *\([^ ]*\)$/\1/p' "$TMP/connect3" | head -1)
drive 1 "$TMP/reject" -e 'Choice: ' -s 3 -l "WITNESS:      $W3" -e 'Choice \[3\]: ' -s 2 \
	-l "Reject the device with witness $W3" -e '\[y/N\]: ' -s y \
	-l "Rejected the device with witness $W3" -e 'Choice: ' -s 8 -x 0 \
	-- "$MESHCLIENT" --hive test
check "meshclient rejects device 3's request" status_is $? 0
wait "$BG"
check "meshconnect reports Rejected (exit 20)" status_is $? 0
BG=
dev 1 --json profile sync >"$TMP/sync2" 2>"$TMP/err"
check "the rejected device is not in the profile" \
	[ "$(jget 'len(d["Devices"])' "$TMP/sync2")" = 2 ]

# ---- Ctrl-C while waiting: exit 28 ----
drive 5 "$TMP/cancel" -e 'Account to connect to.*: ' -s "$ACCOUNT" -e 'Portal URL.*: ' -s "" \
	-e 'PIN from the administration device.*: ' -s "" -e 'A name for this device.*: ' -s tablet -e 'Ask to connect.*\[Y/n\]: ' -s y \
	-e 'WITNESS: +[A-Z0-9]' -e 'Waiting for the administration device' -c -e 'Cancelled' \
	-x 28 -- "$MESHCONNECT" --hive test
check "meshconnect: Ctrl-C while waiting exits 28" status_is $? 0
# The request stays pending: 'mesh connect reject' without a witness, on a terminal, shows it
# with its whole witness and answers it once confirmed.
W5=$(sed -n 's/^ *WITNESS: *\([^ ]*\)$/\1/p' "$TMP/cancel" | head -1)
drive 1 "$TMP/pick" -e 'Request 1 of 1' -e 'Description: +tablet' -l "WITNESS:      $W5" \
	-e 'Compare every character of this witness, all 28' \
	-e 'Reject the device M[A-Z0-9-]*, whose witness is .*\[y/N\]: ' -s y \
	-l "Rejected the device with witness $W5" -x 0 -- "$MESH" --hive test connect reject
check "mesh connect reject with no witness, on a terminal: shows it whole, asks, rejects" \
	status_is $? 0
dev 5 connect status >/dev/null 2>&1
check "... and the tablet learns it was rejected (20)" status_is $? 20
drive 1 "$TMP/cancel2" -e 'Choice: ' -s 4 -e 'Site.*: ' -c -e 'meshclient: cancelled' -x 28 \
	-- "$MESHCLIENT" --hive test
check "meshclient: Ctrl-C at a question exits 28" status_is $? 0
expect_out "... having stored nothing" "example.net  alice
example.org  bob" dev 1 password list

# ---- device 4: alice is taken; recovering her profile from shares 1 and 3 (last: device 4
# becomes the administration device) ----
drive 4 "$TMP/taken" -e 'Choice \[1\]: ' -s 1 -e 'Account to create.*: ' -s "$ACCOUNT" \
	-e 'Portal URL.*: ' -s "" -e "$ACCOUNT is not available: " \
	-e 'Choose another account\? \[Y/n\]: ' -s n -e 'Choice \[1\]: ' -s 3 -x 0 \
	-- "$MESHCLIENT" --hive test
check "meshclient says why $ACCOUNT is not available" status_is $? 0
drive 4 "$TMP/recover" -e 'Choice \[1\]: ' -s 2 -e 'Account to recover.*: ' -s "$ACCOUNT" \
	-e 'Portal URL.*: ' -s "" -e 'Share 1: ' -s "$S1" -e 'Share 2: ' -s "$S3" \
	-e 'Share 3: ' -s "" \
	-e "Protect this device's keys with a passphrase.*\\[y/N\\]: " -s y \
	-e 'Passphrase for the keys: ' -s 'wizard pass' -e 'Repeat the passphrase: ' -s 'wizard pass' \
	-l "PROFILE FINGERPRINT:  $PROFILE" -e 'These devices are no longer administration devices' \
	-e "Devices of the profile" -e 'Choice: ' -s 8 -x 0 \
	-- "$MESHCLIENT" --hive test
check "meshclient recovers $ACCOUNT on device 4 from shares 1 and 3, naming the demoted device" \
	status_is $? 0
expect_out "... which holds it now" "$ACCOUNT (default)" dev 4 profile list
check "... without echoing the passphrase" sh -c "! grep -q 'wizard pass' '$TMP/recover'"
dev 4 lock >/dev/null 2>&1
dev 4 --json key list >"$TMP/keys4" 2>"$TMP/err"
check "... its keys (device, master, escrow, administration) protected, locked after mesh lock" \
	/usr/bin/python3 -c 'import json, sys
keys = json.load(open(sys.argv[1]))["Keys"]
assert len(keys) == 6 and all(k["Protected"] and k["Locked"] for k in keys), keys' "$TMP/keys4"

# ---- device 4's meshclient: the devices of the profile; promote device 1 again, rename 2 ----
printf 'wizard pass\n' | dev 4 unlock >/dev/null 2>&1
D1=$(jdev 1 'd["Identifier"]' device show)
D2=$(jdev 2 'd["Identifier"]' device show)
drive 4 "$TMP/devices" -e 'Choice: ' -s 7 -e "The devices of $ACCOUNT" \
	-e 'Choice \[6\]: ' -s 2 -e 'Device.*: ' -s "$D1" -l 'Done.' \
	-e 'Choice \[6\]: ' -s 1 -e 'Device.*: ' -s "$(echo "$D2" | cut -c1-9)" \
	-e 'New description: ' -s 'work laptop' -l 'Done.' \
	-e 'Choice \[6\]: ' -s 2 -e 'Device.*: ' -s 'no such device' -e 'meshclient: cannot promote' \
	-e 'Choice \[6\]: ' -s 6 -e 'Choice: ' -s 8 -x 0 -- "$MESHCLIENT" --hive test
check "meshclient lists the devices, promotes device 1, renames device 2, says what fails" \
	status_is $? 0
dev 1 profile sync >/dev/null 2>&1
check "device 1 is an administration device again" \
	[ "$(jdev 1 "[x['Administration'] for x in d['Devices'] if x['Identifier'] == '$D1'][0]" device list)" = True ]
check "... and sees device 2's new description" \
	[ "$(jdev 1 "[x.get('Description') for x in d['Devices'] if x['Identifier'] == '$D2'][0]" device list)" = "work laptop" ]

# ---- PINs: device 4's meshclient makes one; meshconnect connects device 7 with its URI ----
drive 4 "$TMP/pin" -e 'Choice: ' -s 7 -e 'Choice \[6\]: ' -s 5 \
	-e 'administration device too\? \[y/N\]: ' -s n -e 'PIN:     N' -e 'URI:     mcu://' \
	-e 'Choice \[6\]: ' -s 6 -e 'Choice: ' -s 8 -x 0 -- "$MESHCLIENT" --hive test
check "meshclient makes a PIN and shows it grouped, with its URI" status_is $? 0
URI=$(tr -d '\r' <"$TMP/pin" | sed -n 's/^URI:     \(mcu:[^[:space:]]*\).*/\1/p' | head -1)
case "$URI" in
*'?portal='*) PORTAL_STEP= ;;
*) PORTAL_STEP="-e Portal.URL.*:. -s \"\"" ;;
esac
drive 7 "$TMP/connect7" -e 'Account to connect to.*: ' -s "$URI" \
	-e 'from the connection URI, with its PIN' $PORTAL_STEP \
	-e 'A name for this device.*: ' -s watch -e 'Ask to connect.*\[Y/n\]: ' -s y \
	-e 'carries the PIN' -t 90 -e 'Accepted: this device is connected' -x 0 \
	-- "$MESHCONNECT" --hive test &
BG=$!
wait_log "$TMP/connect7" 'carries the PIN'
dev 4 profile sync >"$TMP/sync4" 2>&1
wait "$BG"
check "meshconnect connects device 7 with the URI; device 4's sync accepts it, no witness" \
	status_is $? 0
BG=
check "... and the sync says so" grep -q "accepted" "$TMP/sync4"

# ---- device 6: a profile not escrowed; meshclient says so until it is ----
drive 6 "$TMP/noescrow" -e 'Choice \[1\]: ' -s 1 -e 'Account to create.*: ' -s carol@example.com \
	-e 'Portal URL.*: ' -s "" -e 'Create the profile of .*\[Y/n\]: ' -s y \
	-e "Protect this device's keys.*: " -s n -e 'PROFILE FINGERPRINT: +M' \
	-e 'Escrow the master keys now.*\[Y/n\]: ' -s n \
	-e 'No escrow of the master keys yet: if this device is lost, so is the profile' \
	-e 'Choice: ' -s 1 -e 'Escrow: +none yet' -e 'Choice: ' -s 8 -x 0 \
	-- "$MESHCLIENT" --hive test
check "meshclient: a profile not escrowed is said to be so after create and in show" \
	status_is $? 0
drive 6 "$TMP/noescrow2" -e 'Profile of carol@example.com' \
	-e 'No escrow of the master keys yet' -e 'Choice: ' -s 6 \
	-e 'How many shares to make \[4\]: ' -s 2 -e 'quorum\) \[2\]: ' -s "" \
	-e 'Escrow in 2 shares.*\[Y/n\]: ' -s y -e 'Press Enter' -s "" \
	-e 'Choice: ' -s 1 -e 'Escrow: +made' -e 'Choice: ' -s 8 -x 0 -- "$MESHCLIENT" --hive test
check "meshclient says it again when started, until the escrow is made" status_is $? 0

finish
