#!/bin/sh
# SPDX-License-Identifier: MIT
# The secret key store against gnome-keyring, checked with libsecret's secret-tool and openssl:
# keys of every algorithm are items with the right label and attributes, sign verifies with
# openssl, agree matches software ECDH, keys persist across processes, export/import round
# trips, remove deletes the item; with the collection locked, private-key operations are Locked
# (14) while list and public keys still work; two hives do not see each other's keys; without
# a Secret Service the store opens and lists, and generate says why it cannot.
# Run as: dbus-run-session -- sh with-keyring.sh sh secret-keystore.sh SECRETSTORE-TOOL
set -u
TOOL=$1
. "$(dirname "$0")/keyring-lib.sh"
umask 077

missing=
for t in secret-tool openssl gdbus gnome-keyring-daemon; do
	command -v $t >/dev/null 2>&1 || missing="$missing $t"
done
if [ -n "$missing" ] || [ -z "${MESH_KEYRING_DIR:-}" ]; then
	not_ok "needs with-keyring.sh and:$missing (Debian: libsecret-tools openssl libglib2.0-bin gnome-keyring)"
	finish
	exit 1
fi

ROOT=$TMP/root1
ROOT2=$TMP/root2
mkdir -m 700 "$ROOT" "$ROOT2"
KEYS=$ROOT/CryptoMesh/Keys
printf 'a message for the secret store\n' >"$TMP/msg"
# nonempty A: A is not empty
nonempty() { [ -n "$1" ]; }
# has TEXT PATTERN: grep -q, fixed string
has() { printf '%s\n' "$1" | grep -qF -- "$2"; }
hasnt() { ! has "$1" "$2"; }

# ---- every algorithm ----------------------------------------------------------------------
for alg in ed25519 x25519 p256; do
	udf=$("$TOOL" generate "$ROOT" $alg 2>"$TMP/err") || not_ok "$alg: generate: $(cat "$TMP/err")"
	check "$alg: generate prints a UDF" nonempty "$udf"
	eval "udf_$alg=\$udf"
	found=$(secret-tool search udf "$udf" 2>&1)
	check "$alg: secret-tool search udf finds the item" has "$found" "attribute.udf = $udf"
	check "$alg: label is 'Mesh key <udf>'" has "$found" "label = Mesh key $udf"
	check "$alg: attribute hive is the hive's location" has "$found" "attribute.hive = $ROOT/CryptoMesh"
	use=Signature
	[ "$alg" = x25519 ] && use=Encryption
	check "$alg: attribute use" has "$found" "attribute.use = $use"
	check "$alg: schema org.mathematicalmesh.Key" has "$found" "schema = org.mathematicalmesh.Key"
	secret=$(secret-tool lookup udf "$udf" 2>/dev/null)
	check "$alg: the item's secret is the private JWK" has "$secret" '"d":'
	check "$alg: Keys/<udf>.secret exists and holds no private part" \
		sh -c "[ -f '$KEYS/$udf.secret' ] && ! grep -q '\"d\"' '$KEYS/$udf.secret'"
	check "$alg: nothing but the .secret entry in the hive" \
		[ "$(ls "$KEYS" | grep -c "^$udf")" = 1 ]
	"$TOOL" public "$ROOT" "$udf" >"$TMP/$alg.pem" 2>"$TMP/err"
	check "$alg: public key is PEM openssl reads" \
		openssl pkey -pubin -in "$TMP/$alg.pem" -noout
done

# ---- sign: openssl verifies (a new process each time: the key persists in the keyring) -----
for alg in ed25519 p256; do
	eval "udf=\$udf_$alg"
	digest=
	[ $alg = p256 ] && digest="-digest sha256"
	rm -f "$TMP/sig"
	"$TOOL" sign "$ROOT" "$udf" "$TMP/msg" "$TMP/sig" 2>"$TMP/err" ||
		not_ok "$alg: sign: $(cat "$TMP/err")"
	check "$alg: openssl pkeyutl -verify -rawin accepts the store's signature (reopened store)" \
		sh -c "openssl pkeyutl -verify -pubin -inkey '$TMP/$alg.pem' -rawin $digest \
			-in '$TMP/msg' -sigfile '$TMP/sig' >/dev/null 2>&1"
	printf 'another message\n' >"$TMP/msg2"
	check "$alg: openssl refuses the signature for another message" \
		sh -c "! openssl pkeyutl -verify -pubin -inkey '$TMP/$alg.pem' -rawin $digest \
			-in '$TMP/msg2' -sigfile '$TMP/sig' >/dev/null 2>&1"
done
expect_fail "x25519: sign is Unsupported (5)" 5 "" \
	"$TOOL" sign "$ROOT" "$udf_x25519" "$TMP/msg" "$TMP/sig"

# ---- agree -------------------------------------------------------------------------------
expect_out "x25519: agree equals software ECDH" ok "$TOOL" agree "$ROOT" "$udf_x25519"
expect_out "p256: agree equals software ECDH" ok "$TOOL" agree "$ROOT" "$udf_p256"
expect_fail "ed25519: agree is Unsupported (5)" 5 "" "$TOOL" agree "$ROOT" "$udf_ed25519"

# ---- list --------------------------------------------------------------------------------
list=$("$TOOL" list "$ROOT" 2>"$TMP/err")
check "list shows the three keys, unlocked" \
	[ "$(printf '%s\n' "$list" | grep -c ' \(Signature\|Encryption\) unlocked$')" = 3 ]
check "list shows the X25519 key as an encryption key" has "$list" "$udf_x25519 X25519 Encryption"
check "list shows the Ed25519 key" has "$list" "$udf_ed25519 Ed25519 Signature"
# Other stores share Keys/: their entries are not listed and not touched.
printf 'not ours\n' >"$KEYS/MOTHER-STORE-KEY.meta"
printf 'not ours\n' >"$KEYS/MOTHER-STORE-KEY"
check "list ignores entries of other stores" \
	[ "$("$TOOL" list "$ROOT" 2>/dev/null | wc -l)" = 3 ]

# ---- export / import ---------------------------------------------------------------------
rm -f "$TMP/exported.jwk"
"$TOOL" export "$ROOT" "$udf_ed25519" "$TMP/exported.jwk" 2>"$TMP/err" ||
	not_ok "export: $(cat "$TMP/err")"
check "export_private gives the private JWK" grep -q '"d":' "$TMP/exported.jwk"
expect_out "import into a second hive keeps the UDF" "$udf_ed25519" \
	"$TOOL" import "$ROOT2" "$TMP/exported.jwk"
"$TOOL" sign "$ROOT2" "$udf_ed25519" "$TMP/msg" "$TMP/sig2" 2>"$TMP/err" ||
	not_ok "sign with the imported key: $(cat "$TMP/err")"
check "the imported key signs; openssl verifies with the original public key" \
	sh -c "openssl pkeyutl -verify -pubin -inkey '$TMP/ed25519.pem' -rawin \
		-in '$TMP/msg' -sigfile '$TMP/sig2' >/dev/null 2>&1"
check "the imported key is a second item (one per hive)" \
	[ "$(secret-tool search --all udf "$udf_ed25519" 2>&1 | grep -c '^attribute.hive')" = 2 ]
expect_fail "import of a key already there is Exists (13)" 13 "already" \
	"$TOOL" import "$ROOT" "$TMP/exported.jwk"

# ---- two hives ---------------------------------------------------------------------------
udf2=$("$TOOL" generate "$ROOT2" ed25519 2>"$TMP/err") || not_ok "generate in hive 2"
check "hive 2 does not list hive 1's P-256 key" hasnt "$("$TOOL" list "$ROOT2")" "$udf_p256"
check "hive 1 does not list hive 2's key" hasnt "$("$TOOL" list "$ROOT")" "$udf2"
expect_fail "hive 2 cannot sign with hive 1's key (NotFound 12)" 12 "no key" \
	"$TOOL" sign "$ROOT2" "$udf_p256" "$TMP/msg" "$TMP/sig"
# Even with hive 1's public entry copied over, the item belongs to hive 1 (attribute hive).
cp "$KEYS/$udf_p256.secret" "$ROOT2/CryptoMesh/Keys/"
expect_fail "hive 2 with a copied .secret still finds no item (NotFound 12)" 12 \
	"keyring has no item" "$TOOL" sign "$ROOT2" "$udf_p256" "$TMP/msg" "$TMP/sig"
rm -f "$ROOT2/CryptoMesh/Keys/$udf_p256.secret"

# ---- tampering -----------------------------------------------------------------------------
cp "$KEYS/$udf_x25519.secret" "$TMP/saved.secret"
cp "$KEYS/$udf_p256.secret" "$KEYS/$udf_x25519.secret"
expect_fail "a .secret entry holding another key is Malformed (4)" 4 "does not hold" \
	"$TOOL" public "$ROOT" "$udf_x25519"
cp "$TMP/saved.secret" "$KEYS/$udf_x25519.secret"
expect_fail "a UDF with a path in it is refused (InvalidArgument 3)" 3 "" \
	"$TOOL" public "$ROOT" "../x"

# ---- locked collection -------------------------------------------------------------------
check "keyring_lock locks the default collection" keyring_lock
expect_fail "locked: sign is Locked (14) with the keyring message" 14 \
	"the keyring is locked — unlock it and retry" \
	"$TOOL" sign "$ROOT" "$udf_ed25519" "$TMP/msg" "$TMP/sig"
expect_fail "locked: agree is Locked (14)" 14 "keyring is locked" \
	"$TOOL" agree "$ROOT" "$udf_x25519"
expect_fail "locked: export is Locked (14)" 14 "keyring is locked" \
	"$TOOL" export "$ROOT" "$udf_p256" "$TMP/never.jwk"
expect_fail "locked: generate is Locked (14)" 14 "keyring is locked" \
	"$TOOL" generate "$ROOT" ed25519
expect_fail "locked: remove is Locked (14)" 14 "keyring is locked" \
	"$TOOL" remove "$ROOT" "$udf_p256"
expect_fail "locked: the store's unlock says so (14)" 14 "keyring is locked" \
	"$TOOL" unlock "$ROOT"
expect_fail "locked: an unknown key is still NotFound (12)" 12 "no key" \
	"$TOOL" sign "$ROOT" "MAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA" "$TMP/msg" "$TMP/sig"
list=$("$TOOL" list "$ROOT" 2>"$TMP/err") && status=0 || status=$?
check "locked: list works (exit $status) and says locked" \
	[ "$status" = 0 -a "$(printf '%s\n' "$list" | grep -c ' locked$')" = 3 ]
check "locked: the removed-refused key is still listed" has "$list" "$udf_p256"
expect_out "locked: public key still works" "$(cat "$TMP/ed25519.pem")" \
	"$TOOL" public "$ROOT" "$udf_ed25519"
check "keyring_unlock unlocks it" keyring_unlock
"$TOOL" sign "$ROOT" "$udf_ed25519" "$TMP/msg" "$TMP/sig3" 2>"$TMP/err" ||
	not_ok "unlocked again: sign: $(cat "$TMP/err")"
check "unlocked again: sign works and verifies" \
	sh -c "openssl pkeyutl -verify -pubin -inkey '$TMP/ed25519.pem' -rawin \
		-in '$TMP/msg' -sigfile '$TMP/sig3' >/dev/null 2>&1"
expect_out "unlocked again: the store's unlock succeeds" "" "$TOOL" unlock "$ROOT"

# ---- remove --------------------------------------------------------------------------------
expect_out "remove succeeds" "" "$TOOL" remove "$ROOT" "$udf_p256"
expect_fail "removed: public is NotFound (12)" 12 "no key" "$TOOL" public "$ROOT" "$udf_p256"
expect_fail "removed: sign is NotFound (12)" 12 "no key" \
	"$TOOL" sign "$ROOT" "$udf_p256" "$TMP/msg" "$TMP/sig"
expect_fail "removed: remove again is NotFound (12)" 12 "no key" \
	"$TOOL" remove "$ROOT" "$udf_p256"
check "removed: secret-tool no longer finds the item" \
	[ -z "$(secret-tool search --all udf "$udf_p256" 2>/dev/null)" ]
check "removed: no .secret entry" [ ! -e "$KEYS/$udf_p256.secret" ]
check "remove left other stores' entries alone" [ -f "$KEYS/MOTHER-STORE-KEY.meta" ]
expect_out "hive 2's copy of the Ed25519 key is untouched by hive 1's remove" "" \
	"$TOOL" remove "$ROOT" "$udf_ed25519"
"$TOOL" sign "$ROOT2" "$udf_ed25519" "$TMP/msg" "$TMP/sig4" 2>"$TMP/err" ||
	not_ok "hive 2 signs after hive 1 removed the key: $(cat "$TMP/err")"
check "hive 2 still signs with its own item" test -s "$TMP/sig4"

# ---- no Secret Service ---------------------------------------------------------------------
nobus() { DBUS_SESSION_BUS_ADDRESS=unix:path=$TMP/no-bus "$@"; }
expect_fail "no session bus: generate is Unsupported (5) and says why" 5 \
	"no Secret Service on the session bus" nobus "$TOOL" generate "$ROOT" ed25519
expect_fail "no session bus: sign is Unsupported (5)" 5 \
	"no Secret Service on the session bus" nobus "$TOOL" sign "$ROOT" "$udf_x25519" "$TMP/msg" "$TMP/sig"
out=$(nobus "$TOOL" list "$ROOT" 2>"$TMP/err") && status=0 || status=$?
check "no session bus: the store opens and lists (exit $status)" \
	[ "$status" = 0 -a "$(printf '%s\n' "$out" | grep -c .)" = 1 ]

finish
