#!/bin/sh
# SPDX-License-Identifier: MIT
# The tpm2 key store against a fresh swtpm: keys it makes sign and agree as OpenSSL says they
# should, survive a TPM restart and a store reopen, do not exhaust the TPM's object slots, load
# in tpm2-openssl (openssl -provider tpm2), and keys tpm2-openssl makes are adopted by the store.
# PINs: locked without unlock, a wrong PIN refused, PIN keys' sessions flushed (many runs do not
# exhaust the TPM's session slots), and the TPM's dictionary-attack lockout reported as such.
# Fails, rather than skips, when swtpm, tpm2-tools or tpm2-openssl is missing.
set -u
TOOL=$1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tpm-lib.sh"
tpm_test_home

# No TPM at the TCTI: opening fails and names it.
MESH_TPM2_TCTI="swtpm:path=$TMP/none.sock" TSS2_LOG=all+none \
	expect_fail "no TPM: Unsupported, naming the TCTI" 5 "no TPM 2.0 answers at swtpm:path=" \
	"$TOOL" list "$TMP/hive0"

if ! swtpm_start "$TPM"; then
	finish
	exit 1
fi
# The provider connects to the TPM when it loads, so this needs the swtpm.
if ! openssl list -providers -provider tpm2 >/dev/null 2>&1; then
	not_ok "openssl cannot load the tpm2 provider: install Debian's tpm2-openssl"
fi

HIVE=$TMP/hive
mkdir -m 700 "$HIVE"
KEYS=$HIVE/CryptoMesh/Keys
printf 'signed by the TPM\n' >"$TMP/msg"
printf 'something else\n' >"$TMP/other"
# same A B: A is not empty and B equals it
same() { [ -n "$1" ] && [ "$1" = "$2" ]; }
# ossl_verify PUBPEM SIG MSG: OpenSSL (default provider) verifies an ECDSA-SHA-256 signature
ossl_verify() { openssl dgst -sha256 -verify "$1" -signature "$2" "$3" >/dev/null 2>&1; }

expect_fail "Ed25519 is refused: a TPM makes P-256 keys" 5 "P-256 keys only" \
	"$TOOL" generate-ed25519 "$HIVE"

# ---- Generate, sign, agree -------------------------------------------------------------------
sig=$("$TOOL" generate "$HIVE" sign 2>"$TMP/err") || not_ok "generate sign: $(cat "$TMP/err")"
enc=$("$TOOL" generate "$HIVE" enc 2>"$TMP/err") || not_ok "generate enc: $(cat "$TMP/err")"
check "generate: a signing and an encryption key" \
	sh -c '[ -n "$1" ] && [ -n "$2" ] && [ "$1" != "$2" ]' _ "$sig" "$enc"
check "key file is a TSS2 PRIVATE KEY with parent 0x40000001" sh -c \
	"head -1 '$KEYS/$sig.tpm' | grep -q 'BEGIN TSS2 PRIVATE KEY' &&
	 openssl asn1parse -in '$KEYS/$sig.tpm' | grep -q 'INTEGER *:40000001'"
"$TOOL" public "$HIVE" "$sig" >"$TMP/sig.pub" 2>"$TMP/err"
check "public key as PEM" grep -q "BEGIN PUBLIC KEY" "$TMP/sig.pub"
expect_out "sign" ok "$TOOL" sign "$HIVE" "$sig" "$TMP/msg" "$TMP/s1"
check "OpenSSL verifies the store's signature" ossl_verify "$TMP/sig.pub" "$TMP/s1" "$TMP/msg"
check "OpenSSL refuses it for another message" sh -c "! openssl dgst -sha256 -verify '$TMP/sig.pub' -signature '$TMP/s1' '$TMP/other' >/dev/null 2>&1"
expect_out "agree equals the software peer's ECDH" ok "$TOOL" agree "$HIVE" "$enc"
expect_fail "a signing key does not agree" 3 "does not do key agreement" \
	"$TOOL" agree "$HIVE" "$sig"
expect_fail "an encryption key does not sign" 3 "does not sign" \
	"$TOOL" sign "$HIVE" "$enc" "$TMP/msg" "$TMP/s0"
expect_out "500 signatures do not exhaust the TPM's object slots" ok \
	"$TOOL" loop "$HIVE" "$sig" 500

# ---- Persistence ---------------------------------------------------------------------------
# Every tool run opens the store afresh; now also restart the TPM on the same state.
swtpm_stop "$TPM"
if swtpm_start "$TPM"; then
	"$TOOL" public "$HIVE" "$sig" >"$TMP/sig2.pub" 2>"$TMP/err"
	check "after a TPM restart: same public key" cmp -s "$TMP/sig.pub" "$TMP/sig2.pub"
	expect_out "after a TPM restart: sign" ok "$TOOL" sign "$HIVE" "$sig" "$TMP/msg" "$TMP/s2"
	check "after a TPM restart: OpenSSL verifies" ossl_verify "$TMP/sig.pub" "$TMP/s2" "$TMP/msg"
	expect_out "after a TPM restart: agree" ok "$TOOL" agree "$HIVE" "$enc"
else
	not_ok "swtpm did not restart on its state"
fi

# ---- Listing: only our own entries ---------------------------------------------------------
printf 'x' >"$KEYS/MAAA-FOREIGN.meta"
printf 'x' >"$KEYS/MAAA-FOREIGN"
got=$("$TOOL" list "$HIVE" 2>"$TMP/err" | sort | tr '\n' ' ')
want=$(printf '%s Signature unlocked\n%s Encryption unlocked\n' "$sig" "$enc" | sort | tr '\n' ' ')
check "list: both keys, nothing of other stores" same "$want" "$got"

# ---- Interop 1: tpm2-openssl signs with the store's key file ---------------------------------
if openssl pkeyutl -provider tpm2 -provider base -sign -inkey "$KEYS/$sig.tpm" -rawin \
	-digest sha256 -in "$TMP/msg" -out "$TMP/o1" 2>"$TMP/err"; then
	ok "openssl -provider tpm2 loads the store's key file and signs"
	expect_out "its signature (DER) verifies with the store's public key" ok \
		"$TOOL" verify "$HIVE" "$sig" "$TMP/msg" "$TMP/o1"
	expect_fail "... and not for another message" 7 "" \
		"$TOOL" verify "$HIVE" "$sig" "$TMP/other" "$TMP/o1"
else
	not_ok "openssl -provider tpm2 signs with the store's key file: $(cat "$TMP/err")"
fi

# ---- Interop 2: the store adopts a key tpm2-openssl made ---------------------------------------
if openssl genpkey -provider tpm2 -provider base -algorithm EC -pkeyopt group:P-256 \
	-out "$TMP/k.pem" 2>"$TMP/err" &&
	openssl pkey -provider tpm2 -provider base -in "$TMP/k.pem" -pubout \
		-out "$TMP/k.pub" 2>>"$TMP/err"; then
	imp=$("$TOOL" import "$HIVE" "$TMP/k.pem" sign 2>"$TMP/err") ||
		not_ok "import: $(cat "$TMP/err")"
	check "import of an openssl genpkey key: signs through the store" [ -n "$imp" ]
	"$TOOL" public "$HIVE" "$imp" >"$TMP/imp.pub" 2>"$TMP/err"
	check "imported key: same public key as openssl pkey -pubout" cmp -s "$TMP/k.pub" "$TMP/imp.pub"
	expect_out "imported key: sign" ok "$TOOL" sign "$HIVE" "$imp" "$TMP/msg" "$TMP/s3"
	check "imported key: OpenSSL verifies with openssl's public key" \
		ossl_verify "$TMP/k.pub" "$TMP/s3" "$TMP/msg"
	expect_fail "importing it twice: Exists" 13 "already in the tpm2 key store" \
		"$TOOL" import "$HIVE" "$TMP/k.pem" sign
else
	not_ok "openssl genpkey -provider tpm2: $(cat "$TMP/err")"
fi
head -c 100 "$KEYS/$sig.tpm" >"$TMP/trunc.pem"
expect_fail "import of a truncated key file: Malformed" 4 "TSS2 private key" \
	"$TOOL" import "$HIVE" "$TMP/trunc.pem" sign

# ---- Tampering: another key's file under this key's name -----------------------------------
victim=$("$TOOL" generate "$HIVE" auth 2>"$TMP/err") || not_ok "generate auth: $(cat "$TMP/err")"
expect_out "a third key signs" ok "$TOOL" sign "$HIVE" "$victim" "$TMP/msg" "$TMP/s4"
cp "$KEYS/$sig.tpm" "$KEYS/$victim.tpm"
expect_fail "a swapped key file is refused (sign)" 4 "does not hold the TPM key $victim" \
	"$TOOL" sign "$HIVE" "$victim" "$TMP/msg" "$TMP/s4"
expect_fail "a swapped key file is refused (public)" 4 "does not hold the TPM key $victim" \
	"$TOOL" public "$HIVE" "$victim"
# The primary a key recorded: malformed, or another one (a cleared TPM looks the same).
cp "$KEYS/$sig.tpm-meta" "$TMP/meta"
sed 's/"Primary":"000B[0-9A-F]*"/"Primary":"000B12"/' "$TMP/meta" >"$KEYS/$sig.tpm-meta"
expect_fail "a malformed Primary in .tpm-meta: Malformed" 4 "is not {" \
	"$TOOL" sign "$HIVE" "$sig" "$TMP/msg" "$TMP/s4"
sed "s/\"Primary\":\"000B[0-9A-F]*\"/\"Primary\":\"000B$(printf 'AB%.0s' $(seq 32))\"/" \
	"$TMP/meta" >"$KEYS/$sig.tpm-meta"
expect_fail "another primary than the key recorded: Crypto" 6 \
	"is not the one the key $sig was made under" "$TOOL" sign "$HIVE" "$sig" "$TMP/msg" "$TMP/s4"
cp "$TMP/meta" "$KEYS/$sig.tpm-meta"
expect_out "its own primary again: it signs" ok "$TOOL" sign "$HIVE" "$sig" "$TMP/msg" "$TMP/s4"

# ---- Remove ------------------------------------------------------------------------------------
expect_out "remove" ok "$TOOL" remove "$HIVE" "$enc"
check "remove: both entries gone" sh -c '[ ! -e "$1.tpm" ] && [ ! -e "$1.tpm-meta" ]' _ "$KEYS/$enc"
expect_fail "a removed key: NotFound" 12 "no key $enc" "$TOOL" agree "$HIVE" "$enc"
expect_fail "removing it again: NotFound" 12 "no key $enc" "$TOOL" remove "$HIVE" "$enc"

# ---- PINs and the dictionary-attack lockout --------------------------------------------------
if tpm2_dictionarylockout --setup-parameters --max-tries=3 --recovery-time=600 \
	--lockout-recovery-time=600 2>"$TMP/err"; then
	ok "DA parameters: 3 tries"
else
	not_ok "tpm2_dictionarylockout --setup-parameters: $(cat "$TMP/err")"
fi
pin=$("$TOOL" generate "$HIVE" sign 'pin 1234' 2>"$TMP/err") ||
	not_ok "generate with a PIN: $(cat "$TMP/err")"
check "PIN key: emptyAuth FALSE in its key file" sh -c \
	"openssl asn1parse -in '$KEYS/$pin.tpm' | grep -q 'BOOLEAN *:0'"
check "PIN key: listed as locked" sh -c "'$TOOL' list '$HIVE' | grep -q '^$pin Signature locked$'"
expect_fail "PIN key without unlock: Locked" 14 "protected by a PIN: unlock first" \
	"$TOOL" sign "$HIVE" "$pin" "$TMP/msg" "$TMP/s5"
expect_out "PIN key with its PIN: sign" ok "$TOOL" sign "$HIVE" "$pin" "$TMP/msg" "$TMP/s5" 'pin 1234'
"$TOOL" public "$HIVE" "$pin" >"$TMP/pin.pub" 2>"$TMP/err"
check "PIN key: OpenSSL verifies" ossl_verify "$TMP/pin.pub" "$TMP/s5" "$TMP/msg"
# A PIN key signs in the store's HMAC session: one per run, flushed when the store closes (the
# TPM holds only a few; a leaked one per run would exhaust them within four runs).
expect_out "PIN key: 200 signatures in one session" ok \
	"$TOOL" loop "$HIVE" "$pin" 200 'pin 1234'
runs=0
for i in 1 2 3 4 5 6 7 8; do
	"$TOOL" loop "$HIVE" "$pin" 2 'pin 1234' >/dev/null 2>"$TMP/err" || break
	runs=$i
done
if [ "$runs" = 8 ]; then
	ok "PIN key: 8 runs, a session each, do not exhaust the TPM's session slots"
else
	not_ok "PIN key: run $((runs + 1)) of 8 (a session each): $(cat "$TMP/err")"
fi
expect_fail "wrong PIN: BadPassphrase" 29 "wrong PIN for the TPM key" \
	"$TOOL" unlock "$HIVE" 'pin 9999'
# Keep guessing: the TPM locks out within its 3 tries (one is spent above).
status=0
for i in 1 2 3 4 5; do
	"$TOOL" unlock "$HIVE" "guess $i" >/dev/null 2>"$TMP/err" && status=0 || status=$?
	[ "$status" = 30 ] && break
	[ "$status" = 29 ] || break
done
check "repeated wrong PINs end in Lockout (30)" [ "$status" = 30 ]
check "the lockout message says how to recover" \
	grep -q "dictionary-attack lockout is active.*tpm2_dictionarylockout --clear-lockout" "$TMP/err"
expect_fail "during the lockout even the right PIN: Lockout" 30 "lockout is active" \
	"$TOOL" sign "$HIVE" "$pin" "$TMP/msg" "$TMP/s6" 'pin 1234'
expect_out "during the lockout a key without PIN still signs" ok \
	"$TOOL" sign "$HIVE" "$sig" "$TMP/msg" "$TMP/s6"
if tpm2_dictionarylockout --clear-lockout 2>"$TMP/err"; then
	expect_out "after --clear-lockout the right PIN works" ok \
		"$TOOL" sign "$HIVE" "$pin" "$TMP/msg" "$TMP/s6" 'pin 1234'
else
	not_ok "tpm2_dictionarylockout --clear-lockout: $(cat "$TMP/err")"
fi

finish
