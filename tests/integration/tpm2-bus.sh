#!/bin/sh
# SPDX-License-Identifier: MIT
# What crosses the TPM bus: tss2's pcap TCTI records every byte between the tpm2 store and a
# fresh swtpm while the store makes P-256 keys with a PIN, signs with one and does an ECDH
# agreement with the other whose shared secret this script computes on the peer's side with
# openssl. Neither the PIN (a wrong one included) nor the shared secret may appear anywhere in
# the recording; the message digest, the public points and the peer's point must (so the test
# cannot pass by recording nothing). With plain password sessions the PIN crosses in the clear
# (in Create's inSensitive and in every auth area) and ECDH_ZGen's answer carries the secret.
# Usage: tpm2-bus.sh TPM2-TOOL
set -u
TOOL=$1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tpm-lib.sh"
tpm_test_home
found=
for lib in /usr/lib/*/libtss2-tcti-pcap.so.0 /usr/lib/libtss2-tcti-pcap.so.0; do
	[ -e "$lib" ] && found=$lib
done
if [ -z "$found" ]; then
	not_ok "tss2's pcap TCTI (libtss2-tcti-pcap.so.0) not found: install Debian's libtss2-dev"
	finish
	exit 1
fi
if ! swtpm_start "$TPM"; then
	finish
	exit 1
fi

HIVE=$TMP/hive
mkdir -m 700 "$HIVE"
PIN='bus PIN 7c1e0a9f'
WRONG='wrong PIN 51d3e2b8'
PCAP=$TMP/bus.pcap
printf 'signed over a recorded bus\n' >"$TMP/msg"
# hex FILE: the bytes of FILE as lower-case hex on one line
hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }
# in_pcap HEX: the recording holds these bytes somewhere
in_pcap() {
	/usr/bin/python3 -c 'import sys
sys.exit(0 if bytes.fromhex(sys.argv[2]) in open(sys.argv[1], "rb").read() else 1)' "$PCAP" "$1"
}
not_in_pcap() { ! in_pcap "$1"; }
# same A B: A is 32 bytes of hex and B equals it
same() { [ ${#1} = 64 ] && [ "$1" = "$2" ]; }
# ossl_verify PUBPEM SIG MSG: OpenSSL (default provider) verifies an ECDSA-SHA-256 signature
ossl_verify() { openssl dgst -sha256 -verify "$1" -signature "$2" "$3" >/dev/null 2>&1; }

# The public keys need no TPM; everything that does goes through the recorded bus.
recorded() {
	MESH_TPM2_TCTI="pcap:$MESH_TPM2_TCTI" TCTI_PCAP_FILE=$PCAP timeout 60 "$TOOL" "$@"
}
sig=$(recorded generate "$HIVE" sign "$PIN" 2>"$TMP/err") ||
	not_ok "generate a signing key with a PIN: $(cat "$TMP/err")"
enc=$(recorded generate "$HIVE" enc "$PIN" 2>"$TMP/err") ||
	not_ok "generate an encryption key with a PIN: $(cat "$TMP/err")"
check "two keys with a PIN made over the recorded bus" sh -c '[ -n "$1" ] && [ -n "$2" ]' _ "$sig" "$enc"
"$TOOL" public "$HIVE" "$sig" >"$TMP/sig.pub" 2>"$TMP/err"
"$TOOL" public "$HIVE" "$enc" >"$TMP/enc.pub" 2>"$TMP/err"

# Unlock (one authorization per PIN key: a signature and an agreement), then sign.
expect_out "sign with the PIN" ok recorded sign "$HIVE" "$sig" "$TMP/msg" "$TMP/s1" "$PIN"
check "OpenSSL verifies the signature" ossl_verify "$TMP/sig.pub" "$TMP/s1" "$TMP/msg"

# ECDH with a peer whose private key this script holds: openssl computes the same secret.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TMP/peer.pem" 2>"$TMP/err"
openssl pkey -in "$TMP/peer.pem" -pubout -outform DER -out "$TMP/peer.der" 2>>"$TMP/err"
openssl pkeyutl -derive -inkey "$TMP/peer.pem" -peerkey "$TMP/enc.pub" -out "$TMP/z" \
	2>>"$TMP/err" || not_ok "openssl derives the peer's side: $(cat "$TMP/err")"
secret=$(hex "$TMP/z")
got=$(recorded agree-with "$HIVE" "$enc" "$TMP/peer.der" "$PIN" 2>"$TMP/err") ||
	not_ok "agree over the recorded bus: $(cat "$TMP/err")"
check "the TPM's ECDH secret is the one openssl computes from the peer's side" \
	same "$secret" "$got"

# A wrong PIN over the recorded bus: refused as such, and its bytes stay off the bus too.
expect_fail "a wrong PIN is BadPassphrase (29)" 29 "wrong PIN for the TPM key" \
	recorded unlock "$HIVE" "$WRONG"

# ---- The recording ----------------------------------------------------------------------------
check "the bus was recorded (pcapng, more than a few packets)" sh -c \
	"[ \$(wc -c <'$PCAP') -gt 4000 ] && [ \"\$(head -c 4 '$PCAP' | od -An -tx1 | tr -d ' ')\" = 0a0d0d0a ]"
openssl dgst -sha256 -binary "$TMP/msg" >"$TMP/digest"
check "in the clear on the bus: the digest signed" in_pcap "$(hex "$TMP/digest")"
openssl pkey -pubin -in "$TMP/enc.pub" -outform DER 2>/dev/null | tail -c 64 | head -c 32 \
	>"$TMP/enc.x"
check "in the clear on the bus: the encryption key's public x" in_pcap "$(hex "$TMP/enc.x")"
tail -c 64 "$TMP/peer.der" | head -c 32 >"$TMP/peer.x"
check "in the clear on the bus: the peer's point (ECDH_ZGen's input)" \
	in_pcap "$(hex "$TMP/peer.x")"
printf '%s' "$PIN" >"$TMP/pin"
printf '%s' "$WRONG" >"$TMP/wrong"
check "not on the bus: the PIN" not_in_pcap "$(hex "$TMP/pin")"
check "not on the bus: the wrong PIN" not_in_pcap "$(hex "$TMP/wrong")"
check "not on the bus: the ECDH shared secret" not_in_pcap "$secret"

finish
