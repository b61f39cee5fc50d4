#!/bin/sh
# SPDX-License-Identifier: MIT
# A hostile TPM bus (tpm2-mitm.py, a proxy in front of a fresh swtpm) against the tpm2 store.
#  - relay: the store works through it; the proxy sees every HMAC-authorized Sign but cannot
#    find the PIN with its dictionary (the session is salted), and no auth value crosses in a
#    password session;
#  - template: the primary (SRK) answered with another public area is refused, even on first
#    use (a store without keys);
#  - point: the primary answered with the attacker's own key (the template's public area, the
#    name recomputed) is refused before anything is salted or authorized with it, for a key
#    that recorded its primary and for a new key in a store that has one;
#  - control: a key without a recorded primary (as stored before the store recorded them), in
#    a store without any, is attacked the same way and the proxy does recover the salt and the
#    PIN, and the store notices nothing: the record is what stops it (the first use of a TPM
#    cannot be protected this way: see docs/protocol.md).
# Usage: tpm2-mitm.sh TPM2-TOOL
set -u
TOOL=$1
HERE=$(dirname "$0")
. "$HERE/lib.sh"
. "$HERE/tpm-lib.sh"
PROXY=$TMP/proxy.sock
MITM_PID=
stop_proxy() {
	[ -n "$MITM_PID" ] && kill "$MITM_PID" 2>/dev/null
	[ -n "$MITM_PID" ] && wait "$MITM_PID" 2>/dev/null
	MITM_PID=
}
TPM_TEST_CLEANUP=stop_proxy
tpm_test_home
if ! /usr/bin/python3 -c 'import cryptography' 2>/dev/null; then
	not_ok "python3 cannot import cryptography: install Debian's python3-cryptography"
	finish
	exit 1
fi
if ! swtpm_start "$TPM"; then
	finish
	exit 1
fi

PIN=7391
printf '%s\n' 0000 1111 1234 2580 4321 5555 6969 7391 8888 9999 >"$TMP/dictionary"
printf 'signed through a hostile bus\n' >"$TMP/msg"
# ossl_verify PUBPEM SIG MSG: OpenSSL (default provider) verifies an ECDSA-SHA-256 signature
ossl_verify() { openssl dgst -sha256 -verify "$1" -signature "$2" "$3" >/dev/null 2>&1; }
# hostile MODE: (re)start the proxy in MODE with an empty log ($LOG)
hostile() {
	stop_proxy
	LOG=$TMP/$1.log
	rm -f "$LOG" "$PROXY"
	: >"$LOG"
	/usr/bin/python3 "$HERE/tpm2-mitm.py" "$1" "$PROXY" "$TPM/tpm.sock" "$LOG" \
		"$TMP/dictionary" 120 2>"$TMP/mitm.err" &
	MITM_PID=$!
	ln -sf "$TPM/tpm.sock.ctrl" "$PROXY.ctrl"
	tries=0
	until [ -S "$PROXY" ]; do
		tries=$((tries + 1))
		if [ $tries -ge 100 ]; then
			not_ok "the proxy does not listen: $(cat "$TMP/mitm.err")"
			return 1
		fi
		sleep 0.1
	done
}
# proxied CMD...: the tool with the TPM behind the proxy
proxied() { MESH_TPM2_TCTI="swtpm:path=$PROXY" timeout 60 "$TOOL" "$@"; }
# logged LINE: the proxy logged exactly LINE; sent_after: the commands it saw once it had
# substituted the primary, one line
logged() { grep -qxF "$1" "$LOG"; }
sent_after() { sed -n '/^substituted primary$/,$p' "$LOG" | grep '^command ' | tr '\n' ' '; }
# clean: nothing recovered, nothing in the clear, no broken exchange
clean() { ! grep -q -E '^(pin recovered|salt recovered|password in clear|error)' "$LOG"; }

# ---- Keys made over the honest bus --------------------------------------------------------------
HIVE=$TMP/hive
mkdir -m 700 "$HIVE"
KEYS=$HIVE/CryptoMesh/Keys
key=$(timeout 60 "$TOOL" generate "$HIVE" sign "$PIN" 2>"$TMP/err") ||
	not_ok "generate a key with a PIN: $(cat "$TMP/err")"
plain=$(timeout 60 "$TOOL" generate "$HIVE" sign 2>"$TMP/err") ||
	not_ok "generate a key without a PIN: $(cat "$TMP/err")"
"$TOOL" public "$HIVE" "$key" >"$TMP/key.pub" 2>"$TMP/err"
check "each key records the primary it was made under" \
	grep -q '"Primary":"000B[0-9A-F]\{64\}"' "$KEYS/$key.tpm-meta" "$KEYS/$plain.tpm-meta"

# ---- relay ------------------------------------------------------------------------------------
hostile relay
expect_out "relay: the store signs through the proxy" ok \
	proxied sign "$HIVE" "$key" "$TMP/msg" "$TMP/s1" "$PIN"
check "relay: OpenSSL verifies the signature" ossl_verify "$TMP/key.pub" "$TMP/s1" "$TMP/msg"
check "relay: the proxy saw a salted session and the Sign commands" \
	sh -c "grep -qx 'command StartAuthSession' '$LOG' && grep -qx 'command Sign' '$LOG'"
check "relay: its dictionary does not find the PIN; no auth value in the clear" clean

# ---- template -----------------------------------------------------------------------------------
# In a store without keys yet: only the template check stands between the store and it.
FIRST=$TMP/first
mkdir -m 700 "$FIRST"
hostile template
expect_fail "template: another public area for the primary is refused (Crypto)" 6 \
	"is not the one the store's template makes" proxied generate "$FIRST" sign 2468
check "template: the proxy did substitute it" logged "substituted primary"
check "template: nothing was sent under it (only: $(sent_after))" \
	[ "$(sent_after)" = "command FlushContext " ]
check "template: nothing recovered or in the clear" clean

# ---- point --------------------------------------------------------------------------------------
hostile point
expect_fail "point: the attacker's primary is refused for a key that recorded its own (Crypto)" \
	6 "is not the one the key $key was made under" \
	proxied sign "$HIVE" "$key" "$TMP/msg" "$TMP/s2" "$PIN"
check "point: the proxy did substitute it" logged "substituted primary"
check "point: nothing was salted or authorized under it (only: $(sent_after))" \
	[ "$(sent_after)" = "command FlushContext " ]
expect_fail "point: ... and for a key without a PIN" 6 "is not the one the key $plain was" \
	proxied sign "$HIVE" "$plain" "$TMP/msg" "$TMP/s3"
expect_fail "point: a new key is not made under it in a store that has keys (Crypto)" 6 \
	"is not the one this store's keys were made under" proxied generate "$HIVE" sign 2468
check "point: still nothing salted, made, loaded or signed under it" \
	sh -c "! sed -n '/^substituted primary\$/,\$p' '$LOG' |
		grep -q -E '^command (StartAuthSession|Create|Load|Sign)\$'"
check "point: nothing recovered or in the clear" clean

# ---- control: a key with no recorded primary ----------------------------------------------------
LEGACY=$TMP/legacy
mkdir -m 700 "$LEGACY"
old=$(timeout 60 "$TOOL" generate "$LEGACY" sign "$PIN" 2>"$TMP/err") ||
	not_ok "generate the control key: $(cat "$TMP/err")"
sed 's/,"Primary":"[0-9A-F]*"//' "$LEGACY/CryptoMesh/Keys/$old.tpm-meta" >"$TMP/meta"
cp "$TMP/meta" "$LEGACY/CryptoMesh/Keys/$old.tpm-meta"
check "control: its .tpm-meta has no Primary" \
	sh -c "! grep -q Primary '$LEGACY/CryptoMesh/Keys/$old.tpm-meta'"
"$TOOL" public "$LEGACY" "$old" >"$TMP/old.pub" 2>"$TMP/err"
hostile point
expect_out "control: through the attacker's primary the store still signs" ok \
	proxied sign "$LEGACY" "$old" "$TMP/msg" "$TMP/s4" "$PIN"
check "control: ... a valid signature (the store noticed nothing)" \
	ossl_verify "$TMP/old.pub" "$TMP/s4" "$TMP/msg"
check "control: the proxy recovered the session's salt" logged "salt recovered"
check "control: ... and the PIN, offline, from the HMAC" logged "pin recovered: $PIN"
check "control: its exchanges were consistent (no error)" sh -c "! grep -q '^error' '$LOG'"

stop_proxy
finish
