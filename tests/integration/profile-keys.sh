#!/bin/sh
# SPDX-License-Identifier: MIT
# Keys and profiles that cannot be lost (issue 12), through the real mesh and meshagent against
# servermesh for example.com on loopback, each device with its own HOME, XDG_RUNTIME_DIR,
# MMM_HOME and agent, and no session bus (so no Secret Service). PART chooses what is checked:
#   roles    mesh key list shows each key's role, Protected and Locked (and --json); mesh key
#            remove refuses every key a device, a profile or an SSH key depends on (11, one line
#            naming what depends on it and what to do instead) and still removes an imported one
#   delete   mesh profile delete on the only administration device without an escrow is refused
#            (11, saying what is lost and how to avoid it) and changes nothing; --force deletes;
#            profile create and show say to make an escrow until one exists, and not after
#   protect  on a protected device, profile create (and recover) protect the master, escrow and
#            administration keys with the hive's passphrase (ssh-keygen -y -P '' and openssl
#            refuse the files, the hive's passphrase opens them), unusable after mesh lock; while
#            locked nothing that makes keys runs; --passphrase-file on a new machine (profile
#            recover, connect request) protects the device too
#   move     a failed mesh key move --to secret (no Secret Service) leaves the key where it was
#            and mesh unlock working
# Usage: profile-keys.sh MESH MESHAGENT SERVERMESH PART
set -u
MESH=$1 AGENT=$2 SERVERMESH=$3 PART=$4
. "$(dirname "$0")/lib.sh"
need() {
	for p in "$@"; do
		command -v "$p" >/dev/null || { not_ok "$p is needed"; finish; exit 1; }
	done
}
need ssh-keygen openssl
PATH=$(dirname "$AGENT"):$PATH
export PATH
unset MESH_AGENT_SOCK MESH_HIVE XDG_CONFIG_HOME MESH_PORTAL_URL MESH_PORTAL_CA
# No session bus, no X11 to start one: the secret store has no Secret Service here.
unset DBUS_SESSION_BUS_ADDRESS DISPLAY
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}intercept_tls_get_addr=0"
ACCOUNT=alice@example.com
DEV_TIMEOUT=60
DEVICES=3
. "$(dirname "$0")/portal-lib.sh"
. "$(dirname "$0")/devices-lib.sh"
cleanup() {
	for n in 1 2 3; do
		dev "$n" agent stop >/dev/null 2>&1
	done
	portal_kill
	rm -rf "$TMP"
}
trap cleanup EXIT

check "servermesh starts" portal_start "$TMP/portal.log"
KEYS1="$TMP/d1/.mmm/CryptoMesh/Keys"
KEYS2="$TMP/d2/.mmm/CryptoMesh/Keys"
printf 'hive pass\n' >"$TMP/pass"
printf 'other pass\n' >"$TMP/other"

# keys N: device N's keys as JSON lines {"UDF", "Role", "Account"?, "Protected", "Locked", ...}.
keys() {
	dev "$1" --json key list | /usr/bin/python3 -c 'import json, sys
for k in json.load(sys.stdin)["Keys"]:
    print(json.dumps(k))'
}
# udf_of N ROLE: the UDF of device N's (first) key with ROLE.
udf_of() {
	keys "$1" | /usr/bin/python3 -c 'import json, sys
print([k["UDF"] for k in map(json.loads, sys.stdin) if k["Role"] == sys.argv[1]][0])' "$2"
}
# keys_are N PYTHON: every key k of device N satisfies the Python expression.
keys_are() {
	keys "$1" >"$TMP/keys.lines"
	/usr/bin/python3 -c 'import json, sys
ks = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if ks and all(eval(sys.argv[2]) for k in ks) else 1)' "$TMP/keys.lines" "$2"
}

# ---- every part: a protected device 1 with alice@example.com ----
dev 1 key generate --use signature >"$TMP/plain" 2>"$TMP/err"
PLAIN=$(cat "$TMP/plain")
dev 1 device create --passphrase-file "$TMP/pass" >/dev/null 2>"$TMP/err"
check "device 1: a protected device" [ $? = 0 ]
dev 1 profile create "$ACCOUNT" >"$TMP/create" 2>"$TMP/err"
check "device 1 creates $ACCOUNT (no --protect)" grep -q '^Created profile M' "$TMP/create"
PROFILE=$(sed -n 's/^Created profile \(M[^ ]*\)$/\1/p' "$TMP/create")

case $PART in
roles)
	dev 1 ssh create >/dev/null 2>"$TMP/err"
	check "ssh create on device 1" [ $? = 0 ]
	dev 1 --json key list >"$TMP/list.json"
	check "key list --json: each key's role, its account or device, Protected, Locked" \
		/usr/bin/python3 - "$TMP/list.json" "$PROFILE" "$PLAIN" "$ACCOUNT" <<'PY'
import json, sys
keys = json.load(open(sys.argv[1]))["Keys"]
profile, plain, account = sys.argv[2:]
roles = sorted(k["Role"] for k in keys)
assert roles == ["Administration", "Device", "Device", "Device", "Escrow", "Imported",
                 "Master", "SSH"], roles
for k in keys:
    want = ["UDF", "Algorithm", "Use", "Store", "Role"]
    if k["Role"] == "Device":
        want.append("Device")
    elif k["Role"] != "Imported":
        want.append("Account")
        assert k["Account"] == account, k
    assert list(k) == want + ["Protected", "Locked"], k
    assert k["Locked"] is False, k
    # The hive is protected: every key it made since its device is.
    assert k["Protected"] is (k["UDF"] != plain), k
master = [k for k in keys if k["Role"] == "Master"][0]
assert master["UDF"] == profile and master["Use"] == "Signature", master
PY
	dev 1 key list >"$TMP/list.txt"
	check "key list shows the role and account in text" \
		grep -q "^$PROFILE  Ed25519  Signature       file    Master $ACCOUNT  protected\$" \
		"$TMP/list.txt"
	check "key list shows an imported key as Imported" \
		grep -q "^$PLAIN  Ed25519  Signature       file    Imported\$" "$TMP/list.txt"
	# KeyList reports Locked per key: after mesh lock the protected keys are, the plain not.
	dev 1 lock >/dev/null
	check "after mesh lock every protected key is Locked" \
		keys_are 1 'k["Locked"] is k["Protected"]'
	dev 1 key list >"$TMP/list.txt"
	check "key list marks the master key locked" grep -q "^$PROFILE .*Master $ACCOUNT  locked\$" \
		"$TMP/list.txt"
	dev 1 unlock --passphrase-file "$TMP/pass" >/dev/null 2>"$TMP/err"
	check "after mesh unlock none is Locked" keys_are 1 'k["Locked"] is False'
	dev 1 key list >"$TMP/list.txt"

	for role in Master Escrow Administration SSH; do
		udf=$(udf_of 1 "$role")
		case $role in
		Master) what="the master signature key of $ACCOUNT's profile" ;;
		Escrow) what="a master escrow key of $ACCOUNT's profile" ;;
		Administration) what="this device's administration key for $ACCOUNT" ;;
		SSH) what="this device's SSH key for $ACCOUNT" ;;
		esac
		expect_fail "key remove of the $role key: Permission (11), naming what needs it" 11 \
			"is $what: .*run 'mesh profile delete $ACCOUNT' instead" \
			dev 1 key remove "$udf" --yes
	done
	DEVSIG=$(dev 1 --json device show | jget 'd["Keys"]["Signature"]')
	expect_fail "key remove of the device's key: Permission (11)" 11 \
		"is the signature key of this hive's device M.*would break the device" \
		dev 1 key remove "$DEVSIG" --yes
	dev 1 key list >"$TMP/list2.txt"
	check "key remove refused every key but the imported one: the list is unchanged" \
		cmp -s "$TMP/list.txt" "$TMP/list2.txt"
	expect_fail "key remove of the imported key without --yes: Usage (2)" 2 "give --yes" \
		dev 1 key remove "$PLAIN"
	expect_out "key remove of the imported key with --yes" "Removed $PLAIN" \
		dev 1 key remove "$PLAIN" --yes
	dev 1 profile sync >/dev/null 2>"$TMP/err"
	check "the profile is intact: profile sync works" [ $? = 0 ]
	;;
delete)
	check "profile create says to make an escrow" \
		grep -q "^No escrow of the master keys yet.*mesh escrow create --quorum 2 --shares 3 --account $ACCOUNT\$" \
		"$TMP/create"
	dev 1 profile show >"$TMP/show" 2>"$TMP/err"
	check "profile show says it too" grep -q '^No escrow of the master keys yet' "$TMP/show"
	dev 1 --json profile show >"$TMP/show.json" 2>"$TMP/err"
	check "profile show --json: MasterKeys true, Escrows [], and no such line" \
		/usr/bin/python3 - "$TMP/show.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["MasterKeys"] is True and d["Escrows"] == [], d
PY
	# The audit log records the refusal: every other file stays as it was.
	hive() { (cd "$TMP/d1/.mmm" && find . -type f ! -path '*/Audit/*' | sort | xargs sha256sum); }
	hive >"$TMP/before"
	expect_fail "profile delete --yes without an escrow: Permission (11), saying what is lost" \
		11 "no escrow of the master keys is known here: deleting the profile here would lose the master keys and the only administration key for good.*name taken.*mesh escrow create --quorum 2 --shares 3 --account $ACCOUNT.*--force" \
		dev 1 profile delete "$ACCOUNT" --yes
	hive >"$TMP/after"
	check "... and nothing changed (hive files, keys)" cmp -s "$TMP/before" "$TMP/after"
	expect_out "... the profile is still there" "$ACCOUNT (default)" dev 1 profile list

	dev 1 escrow create --quorum 2 --shares 3 >"$TMP/shares" 2>"$TMP/err"
	check "escrow create" [ "$(grep -c '^S' "$TMP/shares")" = 3 ]
	dev 1 profile show >"$TMP/show" 2>"$TMP/err"
	check "profile show no longer says to make an escrow" \
		sh -c "grep -q '^Profile M' '$TMP/show' && ! grep -q 'No escrow' '$TMP/show'"
	dev 1 --json profile show >"$TMP/show.json" 2>"$TMP/err"
	check "profile show --json lists the escrow" /usr/bin/python3 - "$TMP/show.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["MasterKeys"] is True and len(d["Escrows"]) == 1, d
assert d["Escrows"][0].startswith("M"), d
PY
	expect_out "profile delete --yes once escrowed" "Deleted $ACCOUNT on this machine" \
		dev 1 profile delete "$ACCOUNT" --yes
	S1=$(sed -n 1p "$TMP/shares") S3=$(sed -n 3p "$TMP/shares")
	dev 1 profile recover "$ACCOUNT" "$S1" "$S3" >"$TMP/recover" 2>"$TMP/err"
	check "profile recover, and no nudge (the shares are its escrow)" \
		sh -c "grep -q '^Recovered profile $PROFILE' '$TMP/recover' && \
			! grep -q 'No escrow' '$TMP/recover'"

	# Another account, never escrowed: --force deletes it.
	dev 2 profile create bob@example.com >"$TMP/bob" 2>"$TMP/err"
	check "device 2 creates bob@example.com, told to make an escrow" \
		grep -q '^No escrow of the master keys yet' "$TMP/bob"
	expect_fail "profile delete bob without an escrow: Permission (11)" 11 "give --force" \
		dev 2 profile delete bob@example.com --yes
	expect_out "profile delete --yes --force" "Deleted bob@example.com on this machine" \
		dev 2 profile delete bob@example.com --yes --force
	expect_out "... and bob is gone from device 2" "" dev 2 profile list
	;;
protect)
	# The files of the profile's keys: OpenSSH (Ed25519) and PKCS#8 (X25519) files.
	protected_files() {
		dir=$1
		shift
		[ $# -gt 0 ] || { echo "no key files"; return 1; }
		for udf in "$@"; do
			f="$dir/$udf"
			[ -f "$f" ] || { echo "no key file $f"; return 1; }
			if grep -q 'BEGIN OPENSSH PRIVATE KEY' "$f"; then
				ssh-keygen -y -P '' -f "$f" >/dev/null 2>&1 &&
					{ echo "$f opens without a passphrase"; return 1; }
				ssh-keygen -y -P 'hive pass' -f "$f" >/dev/null 2>&1 ||
					{ echo "$f does not open with the hive's passphrase"; return 1; }
			else
				grep -q 'BEGIN ENCRYPTED PRIVATE KEY' "$f" ||
					{ echo "$f is not encrypted PKCS#8"; return 1; }
				openssl pkey -in "$f" -passin pass: -noout 2>/dev/null &&
					{ echo "$f opens without a passphrase"; return 1; }
				openssl pkey -in "$f" -passin 'pass:hive pass' -noout 2>/dev/null ||
					{ echo "$f does not open with the hive's passphrase"; return 1; }
			fi
		done
	}
	# The keys profile create made: those of Keys/ but the device's and the plain one (read
	# from the hive, so that the check does not rest on the agent's own account of them).
	dev 1 --json device show | jget '"\n".join(d["Keys"].values())' >"$TMP/device-keys"
	echo "$PLAIN" >>"$TMP/device-keys"
	ls "$KEYS1" | sed -n 's/\.meta$//p' | grep -vxF -f "$TMP/device-keys" >"$TMP/profile-keys"
	ADMIN=$(grep -vxF "$PROFILE" "$TMP/profile-keys" | while read -r k; do
		grep -q '"Signature"' "$KEYS1/$k.meta" && echo "$k"; done)
	check "profile create made three keys: master ($PROFILE), escrow, administration ($ADMIN)" \
		[ "$(wc -l <"$TMP/profile-keys")" = 3 -a -n "$ADMIN" ]
	check "the master, escrow and administration key files are protected by the hive's passphrase (ssh-keygen, openssl)" \
		protected_files "$KEYS1" $(cat "$TMP/profile-keys")
	check "key list says they are protected" keys_are 1 'k["Protected"] or k["UDF"] == "'"$PLAIN"'"'
	dev 1 lock >/dev/null
	head -c 100 /dev/urandom >"$TMP/data"
	for udf in "$PROFILE" "$ADMIN"; do
		expect_fail "after mesh lock the key $udf does not sign: Locked (14)" 14 "mesh unlock" \
			dev 1 key sign --key "$udf" --out "$TMP/sig" "$TMP/data"
	done
	expect_fail "after mesh lock escrow create cannot read the master keys: Locked (14)" 14 \
		"mesh unlock" dev 1 escrow create --quorum 2 --shares 3
	expect_fail "while locked profile create makes nothing: Locked (14)" 14 \
		"run 'mesh unlock', then try again" dev 1 profile create bob@example.com
	expect_fail "... even given the hive's passphrase: Locked (14)" 14 "mesh unlock" \
		dev 1 profile create bob@example.com --passphrase-file "$TMP/pass"
	expect_fail "while locked ssh create makes nothing: Locked (14)" 14 "mesh unlock" \
		dev 1 ssh create
	expect_fail "while locked key generate makes nothing: Locked (14)" 14 "mesh unlock" \
		dev 1 key generate --use signature
	expect_out "... and bob@example.com is still free" "bob@example.com: available" \
		dev 1 account validate bob@example.com
	dev 1 unlock --passphrase-file "$TMP/pass" >/dev/null 2>"$TMP/err"
	check "mesh unlock with the hive's passphrase" [ $? = 0 ]
	expect_fail "profile create --passphrase-file with another passphrase: BadPassphrase (29)" \
		29 "protected by another passphrase" \
		dev 1 profile create bob@example.com --passphrase-file "$TMP/other"
	sleep 0.2
	dev 1 --json profile create bob@example.com --passphrase-file "$TMP/pass" \
		>"$TMP/bob.json" 2>"$TMP/err"
	check "profile create --passphrase-file with the hive's passphrase" [ $? = 0 ]
	BOB=$(jget 'd["Identifier"]' "$TMP/bob.json")
	check "bob's master key file is protected too" protected_files "$KEYS1" "$BOB"
	dev 1 escrow create --quorum 2 --shares 2 --account "$ACCOUNT" >"$TMP/shares" 2>"$TMP/err"
	check "escrow create once unlocked" [ "$(grep -c '^S' "$TMP/shares")" = 2 ]

	# A new machine: profile recover --passphrase-file protects the device it makes and the
	# keys it restores; after mesh lock they are locked.
	dev 1 profile delete "$ACCOUNT" --yes >/dev/null 2>"$TMP/err"
	S1=$(sed -n 1p "$TMP/shares") S2=$(sed -n 2p "$TMP/shares")
	dev 2 profile recover "$ACCOUNT" "$S1" "$S2" --passphrase-file "$TMP/pass" \
		>"$TMP/recover" 2>"$TMP/err"
	check "device 2 recovers $ACCOUNT with --passphrase-file" \
		grep -q "^Recovered profile $PROFILE" "$TMP/recover"
	ls "$KEYS2" | sed -n 's/\.meta$//p' >"$TMP/k2"
	check "device 2 holds six keys: its device's three, master, escrow, administration" \
		[ "$(wc -l <"$TMP/k2")" = 6 ]
	check "... each protected by the passphrase (ssh-keygen, openssl)" \
		protected_files "$KEYS2" $(cat "$TMP/k2")
	dev 2 lock >/dev/null
	check "... and after mesh lock every key of device 2 is Locked" keys_are 2 'k["Locked"]'

	# connect request --passphrase-file on a new machine protects the device it makes.
	dev 3 connect request "$ACCOUNT" --no-wait --passphrase-file "$TMP/pass" >/dev/null \
		2>"$TMP/err"
	check "device 3 asks to connect with --passphrase-file" [ $? = 0 ]
	ls "$TMP/d3/.mmm/CryptoMesh/Keys" | sed -n 's/\.meta$//p' >"$TMP/k3"
	check "... it made its device's three keys" [ "$(wc -l <"$TMP/k3")" = 3 ]
	check "... each protected by the passphrase (ssh-keygen, openssl)" \
		protected_files "$TMP/d3/.mmm/CryptoMesh/Keys" $(cat "$TMP/k3")
	;;
move)
	dev 1 unlock --passphrase-file "$TMP/pass" >/dev/null 2>"$TMP/err"
	check "mesh unlock works at first" [ $? = 0 ]
	expect_fail "key move --to secret with no Secret Service: Unsupported (5)" 5 \
		"no Secret Service" dev 1 key move "$PLAIN" --to secret
	dev 1 unlock --passphrase-file "$TMP/pass" >"$TMP/out" 2>"$TMP/err"
	check "mesh unlock still works after the failed move ($(cat "$TMP/err"))" [ $? = 0 ]
	check "the key is still in the file store" keys_are 1 'k["Store"] == "file"'
	head -c 100 /dev/urandom >"$TMP/data"
	dev 1 key sign --key "$PLAIN" --out "$TMP/sig" "$TMP/data" 2>"$TMP/err"
	check "... and signs" [ "$(wc -c <"$TMP/sig")" = 64 ]
	dev 1 lock >/dev/null
	dev 1 unlock --passphrase-file "$TMP/pass" >/dev/null 2>"$TMP/err"
	check "lock and unlock again ($(cat "$TMP/err"))" [ $? = 0 ]
	expect_fail "a protected key moved with no Secret Service: Unsupported (5)" 5 \
		"no Secret Service" dev 1 key move "$PROFILE" --to secret
	dev 1 key sign --key "$PROFILE" --out "$TMP/sig" "$TMP/data" 2>"$TMP/err"
	check "the master key stays in the file store and signs" [ "$(wc -c <"$TMP/sig")" = 64 ]
	dev 1 unlock --passphrase-file "$TMP/pass" >/dev/null 2>"$TMP/err"
	check "mesh unlock still works ($(cat "$TMP/err"))" [ $? = 0 ]
	;;
*)
	not_ok "unknown PART '$PART': roles, delete, protect or move"
	;;
esac
finish
