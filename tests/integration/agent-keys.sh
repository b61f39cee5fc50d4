#!/bin/sh
# SPDX-License-Identifier: MIT
# mesh key generate/import/move/remove and mesh hive set-keystore through a real agent: keys made
# with the default and a chosen algorithm, listed with their store; signatures checked by openssl
# against the key's public key (for imported keys: the public key of the original, from
# ssh-keygen or openssl); bad input, wrong stores and device keys refused with the documented
# exit status and one line. Usage: agent-keys.sh MESH MESHAGENT
set -u
MESH=$1 AGENT=$2
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/client-lib.sh"
need openssl ssh-keygen
PATH=$(dirname "$AGENT"):$PATH
mesh() { timeout 60 "$MESH" --hive test "$@"; }
head -c 1000 /dev/urandom >"$TMP/data"
{ cat "$TMP/data"; printf x; } >"$TMP/other"

# verify NAME PUBPEM UDF: mesh key sign with UDF, checked by openssl with PUBPEM (and refused by
# it for other data).
verify() {
	mesh key sign --key "$3" --out "$TMP/sig" "$TMP/data"
	check "$1: openssl verifies the signature" sh -c "openssl pkeyutl -verify -rawin -pubin \
		-inkey \"$2\" -in \"$TMP/data\" -sigfile \"$TMP/sig\" | grep -q Success"
	check "$1: openssl refuses it for other data" sh -c "! openssl pkeyutl -verify -rawin \
		-pubin -inkey \"$2\" -in \"$TMP/other\" -sigfile \"$TMP/sig\" >/dev/null 2>&1"
}

# ---- generate ----
mesh --json key generate --use signature >"$TMP/g1" 2>"$TMP/err"
check "key generate --use signature: {UDF, Algorithm Ed25519, Use, Store file}" \
	/usr/bin/python3 - "$TMP/g1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert list(d) == ["UDF", "Algorithm", "Use", "Store"], d
assert d["Algorithm"] == "Ed25519" and d["Use"] == "Signature" and d["Store"] == "file", d
PY
SIG=$(jget 'd["UDF"]' "$TMP/g1")
ENC=$(mesh key generate --use ENCRYPTION)
P256=$(mesh key generate --use Authentication --alg p256)
check "plain key generate prints only the UDF" sh -c "echo '$ENC' | grep -Eq '^M[A-Z0-9-]+$'"
mesh --json key list >"$TMP/keys"
check "key list --json: the three keys, default algorithms, store file" \
	/usr/bin/python3 - "$TMP/keys" "$SIG" "$ENC" "$P256" <<'PY'
import json, sys
keys = {k["UDF"]: k for k in json.load(open(sys.argv[1]))["Keys"]}
sig, enc, p256 = sys.argv[2:]
assert set(keys) == {sig, enc, p256}, keys
assert keys[sig]["Algorithm"] == "Ed25519" and keys[enc]["Algorithm"] == "X25519", keys
assert keys[enc]["Use"] == "Encryption", keys
assert keys[p256]["Algorithm"] == "P-256" and keys[p256]["Use"] == "Authentication", keys
assert all(k["Store"] == "file" for k in keys.values()), keys
PY
check "key list shows the store and role columns" \
	sh -c "\"$MESH\" --hive test key list | grep -q \"^$P256  P-256 .* Authentication  *file  *Imported\$\""
mesh key public --key "$SIG" >"$TMP/sig.pem"
verify "a generated Ed25519 key" "$TMP/sig.pem" "$SIG"
check "the P-256 key signs: 64 bytes, r || s" sh -c "\"$MESH\" --hive test key sign --key $P256 \
	\"$TMP/data\" | [ \$(wc -c) = 64 ]"
expect_fail "generate without --use: Usage (2)" 2 "give --use" mesh key generate
expect_fail "an unknown use: Usage (2)" 2 "choose signature, authentication or encryption" \
	mesh key generate --use sealing
expect_fail "an unknown algorithm: Usage (2)" 2 "choose ed25519, x25519 or p256" \
	mesh key generate --use signature --alg rsa
expect_fail "--protect with --passphrase-file: Usage (2)" 2 "not both" \
	mesh key generate --use signature --protect --passphrase-file "$TMP/data"
expect_fail "an unknown --keystore: InvalidArgument (3)" 3 "no key store 'nonesuch'" \
	mesh key generate --use signature --keystore nonesuch

# ---- import ----
ssh-keygen -q -t ed25519 -N '' -C imported -f "$TMP/ssh" 2>"$TMP/err"
/usr/bin/python3 -c 'import base64, struct, sys
blob = base64.b64decode(open(sys.argv[1]).read().split()[1])
n = struct.unpack(">I", blob[:4])[0]
der = bytes.fromhex("302a300506032b6570032100") + blob[8 + n:]
print("-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----" % base64.b64encode(der).decode())
' "$TMP/ssh.pub" >"$TMP/ssh.pem"
IMP=$(mesh key import "$TMP/ssh" --use signature)
verify "an imported ssh-keygen key, against ssh-keygen's public key" "$TMP/ssh.pem" "$IMP"
openssl genpkey -algorithm ed25519 -out "$TMP/p8.pem" 2>"$TMP/err"
openssl pkey -in "$TMP/p8.pem" -pubout -out "$TMP/p8.pub" 2>"$TMP/err"
P8=$(mesh key import - --use Signature <"$TMP/p8.pem")
verify "an imported PKCS#8 key from stdin, against openssl's public key" "$TMP/p8.pub" "$P8"
expect_fail "the same key again: Exists (13)" 13 "." mesh key import "$TMP/p8.pem" --use signature
ssh-keygen -q -t ed25519 -N 'file pass' -f "$TMP/sshp" 2>"$TMP/err"
printf 'file pass\n' >"$TMP/fpass"
printf 'wrong pass\n' >"$TMP/fwrong"
expect_fail "a protected key, no passphrase on stdin: Cancelled (28)" 28 "." \
	sh -c "\"$MESH\" --hive test key import \"$TMP/sshp\" --use signature </dev/null"
expect_fail "a protected key, wrong passphrase: BadPassphrase (29)" 29 "." \
	mesh key import "$TMP/sshp" --use signature --file-passphrase-file "$TMP/fwrong"
PROT=$(mesh key import "$TMP/sshp" --use signature <"$TMP/fpass")
check "a protected key with its passphrase asked for (read from stdin) is imported" \
	sh -c "\"$MESH\" --hive test key list | grep -q \"^$PROT \""
printf 'not a key\n' >"$TMP/garbage"
expect_fail "garbage text: Malformed (4)" 4 "not a key file" \
	mesh key import "$TMP/garbage" --use signature
head -c 300 /dev/urandom >"$TMP/binary"
expect_fail "binary garbage: Malformed (4)" 4 "not a key file" \
	mesh key import "$TMP/binary" --use signature
head -c 65537 /dev/zero | tr '\0' a >"$TMP/huge"
expect_fail "a file over 64 KiB: TooLarge (9)" 9 "larger than 65536 bytes" \
	mesh key import "$TMP/huge" --use signature
expect_fail "a missing file: NotFound (12)" 12 "cannot open" \
	mesh key import "$TMP/nonesuch" --use signature
expect_fail "import without FILE: Usage (2)" 2 "give the key FILE" mesh key import --use signature

# ---- move ----
expect_fail "move to the store it is in: Exists (13)" 13 "in the file store already" \
	mesh key move "$IMP" --to file
expect_fail "move to an unknown store: InvalidArgument (3)" 3 "no key store 'nonesuch'" \
	mesh key move "$IMP" --to nonesuch
expect_fail "move an unknown key: NotFound (12)" 12 "." \
	mesh key move MAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA --to file
expect_fail "move without --to: Usage (2)" 2 "give the key UDF and --to STORE" mesh key move "$IMP"

# ---- remove ----
DEV=$(mesh --json device create | jget 'd["Keys"]["Signature"]')
expect_fail "remove a device key: Permission (11)" 11 "key of this hive's device" \
	mesh key remove "$DEV" --yes
expect_fail "remove without --yes: Usage (2)" 2 "cannot be undone" mesh key remove "$IMP"
check "without --yes the key stays" sh -c "\"$MESH\" --hive test key list | grep -q \"^$IMP \""
expect_out "remove" "Removed $IMP" mesh key remove "$IMP" --yes
check "the removed key is gone from the list" \
	sh -c "! \"$MESH\" --hive test key list | grep -q \"^$IMP \""
expect_fail "remove it again: NotFound (12)" 12 "." mesh key remove "$IMP" --yes

# ---- the hive's key store ----
expect_out "hive set-keystore file" "New keys of the test hive go to the file store" \
	mesh hive set-keystore file
expect_out "hive set-keystore --json" '{"Store":"file"}' \
	sh -c "\"$MESH\" --hive test --json hive set-keystore file | tr -d ' \n'"
expect_fail "hive set-keystore to an unknown store: InvalidArgument (3)" 3 "no key store" \
	mesh hive set-keystore nonesuch
expect_fail "hive set-keystore without a store: Usage (2)" 2 "give the key store" \
	mesh hive set-keystore
check "agent status shows the key store" \
	sh -c "\"$MESH\" --hive test agent status | grep -q '(file store'"
expect_out "agent status --json: KeyStore file" "file" \
	sh -c "\"$MESH\" --hive test --json agent status | \
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[\"KeyStore\"])'"
check "device create --keystore file makes its keys in the file store" \
	sh -c "\"$MESH\" --hive test --json device create --keystore file >/dev/null"
expect_fail "device create --keystore nonesuch: InvalidArgument (3)" 3 "no key store" \
	mesh device create --keystore nonesuch

expect_out "agent stop" "Stopped the agent for the test hive" mesh agent stop
finish
