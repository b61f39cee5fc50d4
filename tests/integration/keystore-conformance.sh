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
for pem in "$TMP"/out/*.pem; do
	[ -e "$pem" ] || { not_ok "$STORE: no signature was left for openssl"; break; }
	base=${pem%.pem} alg=$(basename "$base")
	if [ "$alg" = Ed25519 ]; then
		set -- -rawin
	else
		set -- -digest sha256 -rawin
	fi
	check "$STORE: openssl verifies the $alg signature" openssl pkeyutl -verify -pubin \
		-inkey "$pem" "$@" -in "$base.msg" -sigfile "$base.sig"
	printf x >>"$base.msg"
	check "$STORE: ... and refuses it for another message" sh -c "! openssl pkeyutl \
		-verify -pubin -inkey '$pem' $* -in '$base.msg' -sigfile '$base.sig' >/dev/null 2>&1"
done

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
	for _ in 1 2 3 4; do
		$PROTO call "$SOCK" Unlock '{"Passphrase": "9999"}' >"$TMP/wrong.json"
	done
	check "tpm2: then the TPM's lockout is reported as Lockout (30), said so" grep -q \
		'"Code": 30, "Name": "Lockout", "Message": "[^"]*lockout' "$TMP/wrong.json"
	;;
esac
finish
