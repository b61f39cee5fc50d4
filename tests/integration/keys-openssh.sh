#!/bin/sh
# SPDX-License-Identifier: MIT
# The file key store and OpenSSH's ssh-keygen agree both ways: keys the store writes are read by
# ssh-keygen (with and without a passphrase), and keys ssh-keygen writes are read by the codec,
# sign and verify, and import into the store.
set -u
TOOL=$1
. "$(dirname "$0")/lib.sh"
HOME=$TMP/home
export HOME
mkdir -m 700 "$HOME"

if ! command -v ssh-keygen >/dev/null 2>&1; then
	not_ok "ssh-keygen not found: install Debian's openssh-client"
	finish
	exit 1
fi

HIVE=$TMP/hive
mkdir -m 700 "$HIVE"
KEYS=$HIVE/CryptoMesh/Keys
words() { cut -d' ' -f1,2; }
# same A B: A is not empty and B equals it
same() { [ -n "$1" ] && [ "$1" = "$2" ]; }

for alg in ed25519 p256; do
	# store -> ssh-keygen, unencrypted
	udf=$("$TOOL" generate "$HIVE" $alg) || not_ok "$alg: generate"
	want=$("$TOOL" public "$HIVE" "$udf")
	got=$(ssh-keygen -y -f "$KEYS/$udf" 2>"$TMP/err" | words)
	check "$alg: ssh-keygen -y reads the store's key" same "$want" "$got"
	got=$(ssh-keygen -i -m RFC4716 -f "$KEYS/$udf.pub" 2>>"$TMP/err" | words)
	check "$alg: ssh-keygen -i reads the RFC 4716 .pub" same "$want" "$got"
	check "$alg: private key file is 0600" [ "$(stat -c %a "$KEYS/$udf")" = 600 ]

	# store -> ssh-keygen, passphrase-protected
	udf=$("$TOOL" generate "$HIVE" $alg 'pass word') || not_ok "$alg: generate protected"
	want=$("$TOOL" public "$HIVE" "$udf")
	got=$(ssh-keygen -y -P 'pass word' -f "$KEYS/$udf" 2>>"$TMP/err" | words)
	check "$alg: ssh-keygen -y -P reads the protected key" same "$want" "$got"
	check "$alg: ssh-keygen refuses a wrong passphrase" \
		sh -c "! ssh-keygen -y -P wrong -f '$KEYS/$udf' >/dev/null 2>&1"
	check "$alg: ssh-keygen needs the passphrase too" \
		sh -c "! ssh-keygen -y -P '' -f '$KEYS/$udf' >/dev/null 2>&1"
	# ssh-keygen re-encrypts our key under a new passphrase; the codec still reads it
	cp "$KEYS/$udf" "$TMP/rekeyed"
	chmod 600 "$TMP/rekeyed"
	ssh-keygen -q -p -P 'pass word' -N 'new pass' -f "$TMP/rekeyed" >/dev/null 2>&1
	expect_out "$alg: codec reads the key re-encrypted by ssh-keygen -p" "$want" \
		"$TOOL" decode "$TMP/rekeyed" 'new pass'
	expect_fail "$alg: wrong passphrase is BadPassphrase (29)" 29 "wrong passphrase" \
		"$TOOL" decode "$TMP/rekeyed" 'pass word'
	expect_fail "$alg: no passphrase is Locked (14)" 14 "passphrase" \
		"$TOOL" decode "$TMP/rekeyed"
done

# ssh-keygen -> codec and store (a hive of its own: unlock opens every protected key at once,
# and the keys above have another passphrase)
HIVE2=$TMP/hive2
mkdir -m 700 "$HIVE2"
for type in ed25519 ecdsa; do
	rm -f "$TMP/k" "$TMP/k.pub" "$TMP/kp" "$TMP/kp.pub"
	ssh-keygen -q -t $type -b 256 -N '' -C plain -f "$TMP/k"
	ssh-keygen -q -t $type -b 256 -N 'secret' -C protected -f "$TMP/kp"
	expect_out "$type: codec decodes ssh-keygen's key" "$(words <"$TMP/k.pub")" \
		"$TOOL" decode "$TMP/k"
	expect_out "$type: codec decodes ssh-keygen's encrypted key" "$(words <"$TMP/kp.pub")" \
		"$TOOL" decode "$TMP/kp" secret
	expect_out "$type: signs, verifies under ssh-keygen's .pub" ok \
		"$TOOL" sign-verify "$TMP/k" "$TMP/k.pub"
	expect_out "$type: encrypted key signs, verifies" ok \
		"$TOOL" sign-verify "$TMP/kp" "$TMP/kp.pub" secret
	udf=$("$TOOL" import "$HIVE2" "$TMP/kp" secret 2>"$TMP/err")
	check "$type: imported into the store, signs after unlock ($(cat "$TMP/err"))" [ -n "$udf" ]
	got=$(ssh-keygen -y -P secret -f "$HIVE2/CryptoMesh/Keys/$udf" 2>/dev/null | words)
	check "$type: the store re-wrote it as ssh-keygen reads it" \
		same "$(words <"$TMP/kp.pub")" "$got"
	udf=$("$TOOL" import "$HIVE2" "$TMP/k" 2>"$TMP/err")
	check "$type: unprotected import signs" [ -n "$udf" ]
done

finish
