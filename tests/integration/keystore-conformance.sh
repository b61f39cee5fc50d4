#!/bin/sh
# SPDX-License-Identifier: MIT
# The key-store conformance suite, unchanged for every store: STORE is file, secret (run under
# dbus-run-session with with-keyring.sh: gnome-keyring) or tpm2 (swtpm started here).
#  1. In process (keystore-conformance.c): generate each algorithm the store makes, list,
#     public keys, sign/verify, agree, unknown keys, reopen, remove; the signatures it leaves
#     are verified here with openssl.
#  2. Through the agent (meshagent, spoken to by agentproto.py): the hive's default store set
#     to STORE, a key generated there (the store's own algorithm), 16 clients x 60 requests
#     signing with it concurrently (every signature verified), the key there after an agent
#     restart (and, for tpm2, a swtpm restart) and signing, then removed.
#  3. The store's own failure: tpm2 — a wrong PIN is BadPassphrase and the TPM's
#     dictionary-attack lockout is reported as Lockout; secret — a locked keyring is Locked.
# Usage: keystore-conformance.sh STORE CONFORMANCE-TOOL MESHAGENT
set -u
STORE=$1 TOOL=$2 AGENT=$3
HERE=$(dirname "$0")
. "$HERE/lib.sh"
case $STORE in
secret) KEYRING_LIB_NO_CHECKS=1 . "$HERE/keyring-lib.sh" ;;
tpm2) . "$HERE/tpm-lib.sh" ;;
esac
PROTO="timeout 240 /usr/bin/python3 $HERE/agentproto.py"
eval "$(/usr/bin/python3 "$HERE/agentproto.py" env "$TMP/agent")"
APID=
stop_all() {
	[ -n "$APID" ] && kill "$APID" 2>/dev/null
	[ "$STORE" = tpm2 ] && swtpm_stop "$TMP/tpm"
	rm -rf "$TMP"
}
trap stop_all EXIT
command -v openssl >/dev/null || not_ok "openssl is not installed: this test needs it"
[ "$STORE" = tpm2 ] && { mkdir -p "$TMP/tpm" && swtpm_start "$TMP/tpm"; }

# 1. In process.
mkdir -p "$TMP/out" "$TMP/root"
if "$TOOL" "$STORE" "$TMP/root" "$TMP/out" >"$TMP/suite.log" 2>&1; then
	ok "$STORE: $(tail -n 1 "$TMP/suite.log")"
else
	not_ok "$STORE: the in-process suite: $(grep FAIL "$TMP/suite.log" | head -5)"
fi
openssl_verify_left "$STORE" "$TMP/out"

# 2. Through the agent.
start_agent() {
	timeout 30 "$AGENT" && APID=$(cut -d" " -f1 "$SOCK.lock")
}
check "$STORE: the agent starts" start_agent
check "$STORE: the hive's default store is $STORE" $PROTO ok "$SOCK" HiveSetKeyStore \
	"{\"Store\": \"$STORE\"}"
$PROTO call "$SOCK" KeyGenerate '{"Use": "Signature"}' >"$TMP/key.json" 2>&1
UDF=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Result"]["UDF"])' \
	"$TMP/key.json" 2>/dev/null)
check "$STORE: the agent generates a key in it" [ -n "$UDF" ]
check "$STORE: KeyList shows it in the $STORE store" sh -c "$PROTO call '$SOCK' KeyList |
	grep -q '\"UDF\": \"$UDF\", \"Algorithm\": \"[^\"]*\", \"Use\": \"Signature\", \"Store\": \"$STORE\"'"
if [ "$STORE" = secret ]; then
	check "secret: secret-tool search udf finds the agent's item" sh -c \
		"secret-tool search udf '$UDF' 2>&1 | grep -q 'label = Mesh key $UDF'"
fi
if $PROTO load "$SOCK" 16 60 "$UDF" >"$TMP/load" 2>&1; then
	ok "$STORE: $(tail -n 1 "$TMP/load")"
else
	not_ok "$STORE: concurrent signing: $(cat "$TMP/load")"
fi
check "$STORE: the agent stops" $PROTO ok "$SOCK" Shutdown
for _ in $(seq 100); do kill -0 "$APID" 2>/dev/null || break; sleep 0.1; done
APID=
if [ "$STORE" = tpm2 ]; then
	swtpm_stop "$TMP/tpm"
	swtpm_start "$TMP/tpm"
fi
check "$STORE: the agent starts again" start_agent
check "$STORE: the key signs after the restart" $PROTO load "$SOCK" 1 3 "$UDF"
check "$STORE: the key is removed" $PROTO ok "$SOCK" KeyRemove "{\"UDF\": \"$UDF\"}"
check "$STORE: ... and is gone" sh -c "! $PROTO ok '$SOCK' KeyPublic '{\"UDF\": \"$UDF\"}'"

# 3. The store's own failures.
case $STORE in
secret)
	$PROTO call "$SOCK" KeyGenerate '{"Use": "Signature"}' >"$TMP/k2.json" 2>&1
	UDF2=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Result"]["UDF"])' \
		"$TMP/k2.json" 2>/dev/null)
	# file <-> secret: a key made in the file store moves into the keyring and back, signing
	# (verified) in each.
	$PROTO call "$SOCK" KeyGenerate '{"Use": "Signature", "KeyStore": "file"}' >"$TMP/mv.json"
	UDFM=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Result"]["UDF"])' \
		"$TMP/mv.json" 2>/dev/null)
	check "secret: a file key moves into the keyring" sh -c "$PROTO call '$SOCK' KeyMove \
		'{\"UDF\": \"$UDFM\", \"To\": \"secret\"}' | grep -q '\"Store\": \"secret\"'"
	check "secret: ... its file is gone" [ ! -e "$MMM_HOME/CryptoMesh/Keys/$UDFM" ]
	check "secret: ... and it signs from there" $PROTO load "$SOCK" 1 3 "$UDFM"
	check "secret: it moves back to the file store" sh -c "$PROTO call '$SOCK' KeyMove \
		'{\"UDF\": \"$UDFM\", \"To\": \"file\"}' | grep -q '\"Store\": \"file\"'"
	check "secret: ... the keyring no longer has it" sh -c \
		"! secret-tool search udf '$UDFM' 2>&1 | grep -q 'Mesh key'"
	check "secret: ... and it signs from the file" $PROTO load "$SOCK" 1 3 "$UDFM"
	$PROTO ok "$SOCK" Lock
	keyring_lock
	$PROTO call "$SOCK" KeySign "{\"UDF\": \"$UDF2\", \"Data\": \"eA\"}" >"$TMP/locked.json"
	check "secret: a locked keyring is Locked (14), said so" grep -q \
		'"Code": 14, "Name": "Locked", "Message": "[^"]*keyring is locked' "$TMP/locked.json"
	keyring_unlock
	$PROTO call "$SOCK" KeySign "{\"UDF\": \"$UDF2\", \"Data\": \"eA\"}" >"$TMP/unlocked.json"
	check "secret: unlocked, it signs again ($(cut -c1-200 "$TMP/unlocked.json"))" grep -q \
		'"Result"' "$TMP/unlocked.json"
	;;
tpm2)
	# tpm2-openssl both ways, through the agent: its key file signs with openssl's provider,
	# and a key openssl made there is imported and signs in the agent.
	$PROTO call "$SOCK" KeyGenerate '{"Use": "Signature"}' >"$TMP/k3.json"
	UDF3=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Result"]["UDF"])' \
		"$TMP/k3.json" 2>/dev/null)
	spki_pem() { # UDF FILE: the agent's public key of UDF as PEM
		$PROTO call "$SOCK" KeyPublic "{\"UDF\": \"$1\"}" | /usr/bin/python3 -c '
import base64, json, sys, textwrap
spki = json.load(sys.stdin)["Result"]["SPKI"]
der = base64.urlsafe_b64decode(spki + "=" * (-len(spki) % 4))
print("-----BEGIN PUBLIC KEY-----\n" + "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
      + "\n-----END PUBLIC KEY-----")' >"$2"
	}
	printf 'tpm2-openssl' >"$TMP/m"
	spki_pem "$UDF3" "$TMP/k3.pub"
	check "tpm2: openssl -provider tpm2 signs with the agent's key file" openssl pkeyutl \
		-provider tpm2 -provider base -sign -inkey "$MMM_HOME/CryptoMesh/Keys/$UDF3.tpm" \
		-rawin -digest sha256 -in "$TMP/m" -out "$TMP/m.sig"
	check "tpm2: ... and the agent's public key verifies it" openssl pkeyutl -verify -pubin \
		-inkey "$TMP/k3.pub" -rawin -digest sha256 -in "$TMP/m" -sigfile "$TMP/m.sig"
	openssl genpkey -provider tpm2 -provider base -algorithm EC -pkeyopt group:P-256 \
		-out "$TMP/o.pem" 2>"$TMP/err"
	openssl pkey -provider tpm2 -provider base -in "$TMP/o.pem" -pubout -out "$TMP/o.pub" \
		2>>"$TMP/err"
	/usr/bin/python3 -c 'import json,sys; print(json.dumps({"Key": open(sys.argv[1]).read(),
		"Use": "Signature"}))' "$TMP/o.pem" >"$TMP/import.json"
	$PROTO call "$SOCK" KeyImport "$(cat "$TMP/import.json")" >"$TMP/imported.json"
	UDF4=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Result"]["UDF"])' \
		"$TMP/imported.json" 2>/dev/null)
	check "tpm2: the agent imports a key openssl genpkey -provider tpm2 made" [ -n "$UDF4" ]
	spki_pem "$UDF4" "$TMP/k4.pub"
	check "tpm2: ... with openssl's public key" cmp -s "$TMP/o.pub" "$TMP/k4.pub"
	check "tpm2: ... and it signs in the agent (verified)" $PROTO load "$SOCK" 2 6 "$UDF4"

	$PROTO call "$SOCK" KeyMove "{\"UDF\": \"$UDF3\", \"To\": \"file\"}" >"$TMP/stay.json"
	check "tpm2: a TPM key cannot leave it: Unsupported (5), said so" grep -q \
		'"Code": 5, "Name": "Unsupported", "Message": "[^"]*cannot leave' "$TMP/stay.json"
	check "tpm2: ... and is still there" $PROTO load "$SOCK" 1 3 "$UDF3"

	tpm2_dictionarylockout --setup-parameters --max-tries=3 --recovery-time=600 \
		--lockout-recovery-time=600 >/dev/null 2>&1
	$PROTO call "$SOCK" KeyGenerate '{"Use": "Signature", "Passphrase": "1234"}' >"$TMP/k2.json"
	UDF2=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Result"]["UDF"])' \
		"$TMP/k2.json" 2>/dev/null)
	check "tpm2: a key with a PIN is made" [ -n "$UDF2" ]
	$PROTO ok "$SOCK" Lock
	$PROTO call "$SOCK" KeySign "{\"UDF\": \"$UDF2\", \"Data\": \"eA\"}" >"$TMP/pin.json"
	check "tpm2: without the PIN it is Locked (14)" grep -q '"Code": 14' "$TMP/pin.json"
	$PROTO call "$SOCK" Unlock '{"Passphrase": "9999"}' >"$TMP/wrong.json"
	check "tpm2: a wrong PIN is BadPassphrase (29)" grep -q '"Code": 29' "$TMP/wrong.json"
	# The failed authorization ends the store's session; the next one starts a fresh one.
	check "tpm2: ... then the right PIN unlocks the same agent" $PROTO ok "$SOCK" Unlock \
		'{"Passphrase": "1234"}'
	check "tpm2: ... and the key signs (verified)" $PROTO load "$SOCK" 1 3 "$UDF2"
	$PROTO ok "$SOCK" Lock
	for _ in 1 2 3 4; do
		$PROTO call "$SOCK" Unlock '{"Passphrase": "9999"}' >"$TMP/wrong.json"
	done
	check "tpm2: then the TPM's lockout is reported as Lockout (30), said so" grep -q \
		'"Code": 30, "Name": "Lockout", "Message": "[^"]*lockout' "$TMP/wrong.json"
	;;
esac
finish
