#!/bin/sh
# SPDX-License-Identifier: MIT
# mesh device/key verbs through a real agent, started on demand by mesh: create a device, show
# it and list its keys (--json shapes), sign with mesh key sign and verify with openssl pkeyutl
# against a public key taken from the key file by ssh-keygen -y; keys protected by a
# passphrase (ssh-keygen -P, mesh unlock/lock). Usage: agent-device.sh MESH MESHAGENT
set -u
MESH=$1 AGENT=$2
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/client-lib.sh"
need openssl ssh-keygen
PATH=$(dirname "$AGENT"):$PATH
mesh() { timeout 60 "$MESH" --hive test "$@"; }
KEYS="$MMM_HOME/CryptoMesh/Keys"

expect_fail "agent status with no agent: AgentUnavailable (26)" 26 "no agent is running" \
	mesh agent status

# ---- a device, and the shapes of its JSON ----
mesh --json device create --description "Test laptop" >"$TMP/created" 2>"$TMP/err"
check "device create starts the agent and makes a device" [ -s "$TMP/created" ]
check "the agent runs" sh -c "\"$MESH\" --hive test agent status >/dev/null"
mesh --json device show >"$TMP/show"
mesh --json key list >"$TMP/keys"
check "device show --json and key list --json have exactly the documented shapes" \
	/usr/bin/python3 - "$TMP/created" "$TMP/show" "$TMP/keys" <<'PY'
import json, sys
created, show, keys = (json.load(open(p)) for p in sys.argv[1:])
assert created == show, (created, show)
assert list(show) == ["Identifier", "Description", "Keys"], show
assert show["Description"] == "Test laptop"
assert sorted(show["Keys"]) == ["Authentication", "Encryption", "Signature"], show
assert show["Identifier"].startswith("M") and len(show["Identifier"].split("-")) == 7
assert list(keys) == ["Keys"] and len(keys["Keys"]) == 3, keys
for k in keys["Keys"]:
    assert list(k) == ["UDF", "Algorithm", "Use", "Store", "Role", "Device", "Protected",
                       "Locked"], k
    assert k["Store"] == "file" and show["Keys"][k["Use"]] == k["UDF"], k
    assert k["Role"] == "Device" and k["Device"] == show["Identifier"], k
    assert k["Protected"] is False and k["Locked"] is False, k
    assert k["Algorithm"] == ("X25519" if k["Use"] == "Encryption" else "Ed25519"), k
PY
SIG=$(jget 'd["Keys"]["Signature"]' "$TMP/show")
ENC=$(jget 'd["Keys"]["Encryption"]' "$TMP/show")
check "device show names the device" sh -c "\"$MESH\" --hive test device show | grep -q '^Device M'"
check "key list names the signature key" \
	sh -c "\"$MESH\" --hive test key list | grep -q \"^$SIG  Ed25519\""

# ---- the key file, read by OpenSSH ----
check "key file is 0600" [ "$(stat -c %a "$KEYS/$SIG")" = 600 ]
ssh-keygen -y -P "" -f "$KEYS/$SIG" >"$TMP/ssh.pub" 2>"$TMP/err"
check "ssh-keygen -y reads the unprotected key file" grep -q '^ssh-ed25519 AAAA' "$TMP/ssh.pub"

# The public key as a PEM SubjectPublicKeyInfo, from what ssh-keygen read (not from mesh).
pem_from_ssh() {
	/usr/bin/python3 -c 'import base64, struct, sys
blob = base64.b64decode(open(sys.argv[1]).read().split()[1])
n = struct.unpack(">I", blob[:4])[0]
assert blob[4:4 + n] == b"ssh-ed25519" and len(blob) == 8 + n + 32
der = bytes.fromhex("302a300506032b6570032100") + blob[8 + n:]
print("-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----" % base64.b64encode(der).decode())
' "$1" >"$2"
}
pem_from_ssh "$TMP/ssh.pub" "$TMP/pub.pem"

# ---- signing ----
head -c 1000 /dev/urandom >"$TMP/data"
mesh key sign --key "$SIG" "$TMP/data" >"$TMP/sig" 2>"$TMP/err"
check "key sign writes 64 raw bytes to stdout" [ "$(wc -c <"$TMP/sig")" = 64 ]
check "openssl pkeyutl verifies the signature with the key from ssh-keygen" \
	sh -c "openssl pkeyutl -verify -rawin -pubin -inkey \"$TMP/pub.pem\" -in \"$TMP/data\" \
		-sigfile \"$TMP/sig\" | grep -q 'Signature Verified Successfully'"
printf 'x' >>"$TMP/data"
check "openssl pkeyutl refuses it for other data" sh -c "! openssl pkeyutl -verify -rawin -pubin \
	-inkey \"$TMP/pub.pem\" -in \"$TMP/data\" -sigfile \"$TMP/sig\" >/dev/null 2>&1"
mesh key sign --key "$SIG" --out "$TMP/sig2" - <"$TMP/data"
check "--out FILE, data from stdin: verifies" sh -c "openssl pkeyutl -verify -rawin -pubin \
	-inkey \"$TMP/pub.pem\" -in \"$TMP/data\" -sigfile \"$TMP/sig2\" | grep -q Success"
mesh key public --key "$SIG" >"$TMP/mesh.pem"
check "mesh key public gives the same public key" cmp -s "$TMP/mesh.pem" "$TMP/pub.pem"
sig_json=$(mesh --json key sign --key "$SIG" - <"$TMP/data" | jget 'list(d), d["Signature"]')
sig_b64u=$(basenc --base64url "$TMP/sig2" | tr -d '=\n')
check "key sign --json gives {Key, Signature} in base64url" \
	[ "$sig_json" = "(['Key', 'Signature'], '$sig_b64u')" ]
head -c 65536 /dev/zero >"$TMP/max"
check "64 KiB exactly is signed" sh -c "\"$MESH\" --hive test key sign --key $SIG --out \
	\"$TMP/sig3\" \"$TMP/max\" && [ \$(wc -c <\"$TMP/sig3\") = 64 ]"
printf 'y' >>"$TMP/max"
expect_fail "one byte more: TooLarge (9)" 9 "larger than 65536 bytes" \
	mesh key sign --key "$SIG" "$TMP/max"
expect_fail "an unknown key: NotFound (12)" 12 "." \
	mesh key sign --key MAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA "$TMP/data"
expect_fail "the encryption key does not sign" 5 "." mesh key sign --key "$ENC" "$TMP/data"
expect_fail "no FILE: Usage (2)" 2 "give --key UDF and one FILE" mesh key sign --key "$SIG"
expect_fail "a missing file: NotFound (12)" 12 "cannot open" \
	mesh key sign --key "$SIG" "$TMP/nonesuch"

# ---- a device whose keys are protected by a passphrase ----
printf 'correct horse\n' >"$TMP/pass"
printf 'wrong horse\n' >"$TMP/wrong"
mesh --json device create --description "Protected" --passphrase-file "$TMP/pass" >"$TMP/p.json"
PSIG=$(jget 'd["Keys"]["Signature"]' "$TMP/p.json")
check "ssh-keygen -y -P reads the protected key file" \
	sh -c "ssh-keygen -y -P 'correct horse' -f \"$KEYS/$PSIG\" | grep -q '^ssh-ed25519 '"
check "ssh-keygen -y refuses it without the passphrase" \
	sh -c "! ssh-keygen -y -P '' -f \"$KEYS/$PSIG\" >/dev/null 2>&1"
mesh lock >/dev/null
expect_fail "a locked key does not sign: Locked (14)" 14 "." \
	mesh key sign --key "$PSIG" "$TMP/data"
check "key list marks it locked" \
	sh -c "\"$MESH\" --hive test key list | grep -q \"^$PSIG .*locked\""
expect_fail "unlock with a wrong passphrase: BadPassphrase (29)" 29 "." \
	sh -c "\"$MESH\" --hive test unlock <\"$TMP/wrong\""
expect_out "unlock with the passphrase on stdin" "{\"Unlocked\":3}" \
	sh -c "\"$MESH\" --hive test --json unlock <\"$TMP/pass\" | tr -d ' \n'"
mesh key sign --key "$PSIG" --out "$TMP/psig" "$TMP/data"
ssh-keygen -y -P 'correct horse' -f "$KEYS/$PSIG" >"$TMP/pssh.pub"
pem_from_ssh "$TMP/pssh.pub" "$TMP/ppub.pem"
check "unlocked: the protected key signs, and it verifies" sh -c "openssl pkeyutl -verify -rawin \
	-pubin -inkey \"$TMP/ppub.pem\" -in \"$TMP/data\" -sigfile \"$TMP/psig\" | grep -q Success"
expect_out "lock" "Locked" mesh lock
expect_fail "locked again" 14 "." mesh key sign --key "$PSIG" "$TMP/data"
check "the unprotected key still signs when locked" \
	sh -c "\"$MESH\" --hive test key sign --key $SIG \"$TMP/data\" | cmp -s - \"$TMP/sig2\""

# ---- a tampered device profile is reported, not used ----
DEV="$MMM_HOME/CryptoMesh/ThisDevice/$(jget 'd["Identifier"]' "$TMP/show").json"
cp "$DEV" "$TMP/device.json"
/usr/bin/python3 - "$DEV" <<'PY'
import base64, json, sys
path = sys.argv[1]
doc = json.load(open(path))
jws = doc["SignedDeviceProfile"]["SignedData"]
pad = "=" * (-len(jws["payload"]) % 4)
payload = json.loads(base64.urlsafe_b64decode(jws["payload"] + pad))
payload["DeviceProfile"]["Description"] = "Mallory's laptop"
jws["payload"] = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
json.dump(doc, open(path, "w"))
PY
expect_fail "a tampered profile: BadSignature (7), naming the file" 7 "ThisDevice/.*tampered" \
	mesh device show
cp "$TMP/device.json" "$DEV"
expect_out "the restored profile is used again" "Test laptop" sh -c \
	"\"$MESH\" --hive test --json device show | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[\"Description\"])'"

# ---- stopping ----
expect_out "agent stop" "Stopped the agent for the test hive" mesh agent stop
expect_fail "no agent after stop" 26 "no agent is running" mesh agent status
expect_out "agent stop when none runs" "No agent is running for the test hive" mesh agent stop
expect_fail "an unknown hive: InvalidArgument (3)" 3 "." \
	timeout 10 "$MESH" --hive nonesuch key list
finish
