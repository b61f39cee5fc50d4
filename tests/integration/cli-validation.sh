#!/bin/sh
# SPDX-License-Identifier: MIT
# Validation and messages (issue 12 item 11), through the real mesh and meshagent: keys whose
# algorithm cannot serve their use are refused; a negative --bits is reported as given; shares
# written with spaces, as on paper, are read; the escrow limits are the same everywhere; hive
# files that others may read or that belong to another user are not used, and say how to fix
# it; a damaged key file is named; a symbolic link in place of the hive folder gets advice that
# keeps the data; the policy, approval and audit verbs refuse bad usage, with a line that says
# what to give, before they reach (or start) the agent. Usage: cli-validation.sh MESH MESHAGENT
set -u
MESH=$1 AGENT=$2
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/client-lib.sh"
need ssh-keygen
PATH=$(dirname "$AGENT"):$PATH
mesh() { timeout 60 "$MESH" --hive test "$@"; }
KEYS=$MMM_HOME/CryptoMesh/Keys
head -c 100 /dev/urandom >"$TMP/data"

# ---- keys: the algorithm must fit the use ----
expect_fail "an Ed25519 encryption key: InvalidArgument (3)" 3 "cannot be used for encryption" \
	mesh key generate --use encryption --alg ed25519
expect_fail "an X25519 signature key: InvalidArgument (3)" 3 "cannot be used for signatures" \
	mesh key generate --use signature --alg x25519
expect_fail "an X25519 authentication key: InvalidArgument (3)" 3 \
	"cannot be used for authentication" mesh key generate --use authentication --alg x25519
ssh-keygen -q -t ed25519 -N '' -f "$TMP/ed"
expect_fail "importing an Ed25519 key for encryption: InvalidArgument (3)" 3 \
	"cannot be used for encryption" mesh key import "$TMP/ed" --use encryption
check "nothing was stored by the refusals" sh -c "[ -z \"\$(ls '$KEYS' 2>/dev/null)\" ]"
check "X25519 and P-256 encryption keys are made" sh -c "timeout 60 '$MESH' --hive test key \
	generate --use encryption --alg x25519 >/dev/null && timeout 60 '$MESH' --hive test key \
	generate --use encryption --alg p256 >/dev/null"

# ---- udf --bits ----
expect_fail "udf --bits -5: InvalidArgument (3), naming -5" 3 "bits -5 is out of range" \
	"$MESH" udf --bits -5 "$TMP/data"
expect_fail "udf --bits 99: InvalidArgument (3)" 3 "99 bits is out of range" \
	"$MESH" udf --bits 99 "$TMP/data"

# ---- shares as written on paper ----
SECRET=8EFE6610A594817555E409BEEBA2F916
expect_out "shares with spaces for dashes, any case" $SECRET "$MESH" share combine \
	"SAYC UW4N 56UI VTTZ 62UN J6FP ETD3 O" "say6 oxxe sunl kumx 3zg6 trdw udak y" \
	"SAZM-MCDK-AD6B ICWP-BTJU-QISC-C3RY-6"
printf 'SAYC UW4N 56UI VTTZ 62UN J6FP ETD3 O\n  SA2O\tQTQB FQGG 4H4J HZ7O DE7E 6GT3 Q \nSAZ4 MWA6 GNGK N6Q7 QI4P AEQR Q4YJ G\n' \
	>"$TMP/paper"
expect_out "shares with spaces and tabs on standard input" $SECRET \
	sh -c "\"$MESH\" share combine <\"$TMP/paper\""
expect_fail "a bad character is placed in the text as given: ShareCorrupt (18)" 18 \
	"character 17 is not Base32" "$MESH" share combine "SAYC UW4N 56UI V*TZ 62UN J6FP ETD3 O" \
	"SAY6 OXXE SUNL KUMX 3ZG6 TRDW UDAK Y"

# ---- escrow limits: 2 <= K <= N <= 15 everywhere ----
for args in "--quorum 1 --shares 3" "--quorum 2 --shares 16" "--quorum 4 --shares 3" \
	"--quorum 0 --shares 0"; do
	# shellcheck disable=SC2086
	expect_fail "escrow create $args: Usage (2), the one rule" 2 "2 <= K <= N <= 15" \
		mesh escrow create $args
done
# agent_says NAME PARAMS PATTERN: EscrowCreate with PARAMS is answered InvalidArgument (3) with a
# message that matches PATTERN.
agent_says() {
	timeout 30 /usr/bin/python3 "$(dirname "$0")/agentproto.py" call \
		"$XDG_RUNTIME_DIR/mesh/CryptoMesh/agent.sock" EscrowCreate "$2" >"$TMP/answer"
	check "$1" /usr/bin/python3 -c 'import json, re, sys
e = json.load(open(sys.argv[1]))["Error"]
assert e["Code"] == 3 and re.search(sys.argv[2], e["Message"]), e' "$TMP/answer" "$3"
}
agent_says "the agent: EscrowCreate with 16 shares is refused" '{"Quorum": 2, "Shares": 16}' \
	"1 to 15"
agent_says "the agent: EscrowCreate with a quorum of 1 is refused" '{"Quorum": 1, "Shares": 3}' \
	"must be 2 to"

# ---- hive files: ours, and 0600 ----
mesh --json key generate --use signature >"$TMP/k.json"
UDF=$(jget 'd["UDF"]' "$TMP/k.json")
check "a fresh key signs" mesh key sign --key "$UDF" --out "$TMP/sig" "$TMP/data"
chmod 644 "$KEYS/$UDF"
expect_fail "its key file made 0644 is not used: Permission (11)" 11 "run 'chmod 600 $KEYS/$UDF'" \
	mesh key sign --key "$UDF" "$TMP/data"
chmod 600 "$KEYS/$UDF"
chmod 640 "$KEYS/$UDF.meta"
expect_fail "its .meta made 0640 is not used: Permission (11)" 11 "chmod 600" \
	mesh key sign --key "$UDF" "$TMP/data"
chmod 600 "$KEYS/$UDF.meta"
check "0600 again: it signs" mesh key sign --key "$UDF" --out "$TMP/sig" "$TMP/data"
if [ "$(id -u)" = 0 ]; then
	chown 65534 "$KEYS/$UDF"
	expect_fail "a key file of another user is not used: Permission (11)" 11 \
		"belongs to uid 65534" mesh key sign --key "$UDF" "$TMP/data"
	chown 0 "$KEYS/$UDF"
else
	not_ok "the owner check needs root to give a file to another user"
fi

# ---- a damaged key file is named ----
cp "$KEYS/$UDF" "$TMP/key.bak"
sed -i '2s/^./#/' "$KEYS/$UDF"
expect_fail "a damaged key file: the message names it and what to do" 4 \
	"$KEYS/$UDF is damaged (.*): restore it from a backup, or remove the key" \
	mesh key sign --key "$UDF" "$TMP/data"
cp "$TMP/key.bak" "$KEYS/$UDF"
printf '{"Use": 1}' >"$KEYS/$UDF.meta.new" && chmod 600 "$KEYS/$UDF.meta.new"
cp "$KEYS/$UDF.meta" "$TMP/meta.bak"
mv "$KEYS/$UDF.meta.new" "$KEYS/$UDF.meta"
expect_fail "a damaged .meta: the message names it" 4 "$KEYS/$UDF.meta is damaged" \
	mesh key sign --key "$UDF" "$TMP/data"
cp "$TMP/meta.bak" "$KEYS/$UDF.meta"
check "restored: it signs" mesh key sign --key "$UDF" --out "$TMP/sig" "$TMP/data"
mesh agent stop >/dev/null 2>&1

# ---- a symbolic link in place of the hive folder ----
mkdir -m 700 "$TMP/elsewhere"
ln -s "$TMP/elsewhere" "$TMP/linked"
MMM_HOME=$TMP/linked timeout 30 "$AGENT" --hive test -f >/dev/null 2>"$TMP/link-err"
check "a linked MMM_HOME is refused, with advice that keeps the data" sh -c "grep -q \
	'is a symbolic link (to $TMP/elsewhere)' '$TMP/link-err' && grep -qF \
	'MMM_HOME=$TMP/elsewhere' '$TMP/link-err' && ! grep -q 'mkdir -m 700' '$TMP/link-err'"

# ---- policy, approve, deny, audit: usage, checked before the agent is reached ----
# The agent of the test hive was stopped above: none of these may start it again.
SHA=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
expect_fail "policy allow with a relative --program: Usage (2), how to find the path" 2 \
	"not an absolute path.*command -v ssh" mesh policy allow --program ssh --ssh
expect_fail "policy reset with a relative --program: Usage (2)" 2 "not an absolute path" \
	mesh policy reset --program bin/git
expect_fail "policy deny with a path through ..: Usage (2), readlink -f" 2 "readlink -f" \
	mesh policy deny --program /usr/bin/../bin/ssh --ssh
expect_fail "policy allow with two targets: Usage (2), give one" 2 \
	"give one of --key UDF, --app NAME or --ssh" \
	mesh policy allow --program /usr/bin/ssh --ssh --app Passwords
expect_fail "policy allow with no target: Usage (2)" 2 "give one of --key UDF, --app NAME or --ssh" \
	mesh policy allow --program /usr/bin/ssh
expect_fail "policy allow with a short --sha256: Usage (2), 64 hex digits" 2 "64 hex digits" \
	mesh policy allow --program /usr/bin/ssh --ssh --sha256 0123abcd
expect_fail "policy allow with a --sha256 that is not hex: Usage (2)" 2 "64 hex digits" \
	mesh policy allow --program /usr/bin/ssh --ssh --sha256 "$(echo $SHA | sed 's/0/g/')"
expect_fail "policy allow with --sha256 and --pin: Usage (2)" 2 "not both" \
	mesh policy allow --program /usr/bin/ssh --ssh --sha256 $SHA --pin
expect_fail "policy ask with a bad --expires: Usage (2), the forms it takes" 2 \
	"'tomorrow' is neither a duration (30m, 8h, 7d) nor an RFC 3339 time" \
	mesh policy ask --program /usr/bin/ssh --ssh --expires tomorrow
expect_fail "policy allow with an --expires that has passed: Usage (2)" 2 "has passed" \
	mesh policy allow --program /usr/bin/ssh --ssh --expires 2001-01-01T00:00:00Z
expect_fail "policy allow with --expires 0h: Usage (2)" 2 "neither a duration" \
	mesh policy allow --program /usr/bin/ssh --ssh --expires 0h
expect_fail "policy default with no decision it knows: Usage (2)" 2 "give allow, ask or deny" \
	mesh policy default maybe
expect_fail "approve without an ID: Usage (2), where the IDs are" 2 \
	"give the ID of the request to allow ('mesh approve --list' shows them), or --list" \
	mesh approve
expect_fail "approve with --list and an ID: Usage (2)" 2 "give --list alone, or a request ID" \
	mesh approve --list 3
expect_fail "deny without an ID: Usage (2)" 2 "give the ID of the request to refuse" mesh deny
expect_fail "deny 0: Usage (2), not a request ID" 2 "'0' is not a request ID" mesh deny 0
expect_fail "audit --limit 0: Usage (2), the range" 2 "from 1 to 10000" mesh audit --limit 0
expect_fail "audit --limit 10001: Usage (2)" 2 "from 1 to 10000" mesh audit --limit 10001
expect_fail "audit with a bad --since: Usage (2)" 2 "neither a duration" \
	mesh audit --since yesterday
expect_fail "audit with a relative --program: Usage (2)" 2 "not an absolute path" \
	mesh audit --program git
check "none of the usage errors started the agent" test -z "$(agent_pid test)"
finish
