#!/bin/sh
# SPDX-License-Identifier: MIT
# Rotation and revocation end to end (issue 15 item 6): servermesh for example.com on loopback,
# three devices with their own HOME, XDG_RUNTIME_DIR, MMM_HOME and agent, and a real sshd.
# Device 1 makes alice@example.com (and bob@example.com), device 2 joins alice, device 3 asks to.
#  - ssh rotate on the administration device: the old key leaves 'ssh authorized-keys' on
#    device 2 after its sync and the new one is there; an sshd trusting those keys lets the
#    agent's ssh-agent socket in (with the new key: ssh-add -L shows it alone) and refuses the
#    old private key, kept in a file from before the rotation; the old key leaves the key store.
#  - ssh rotate on device 2, not an administration device: its new key is published and device
#    1's sync folds it in place of the old one. Without a key: NotFound (12).
#  - account default: prints, sets (profile show follows it), NotFound (12) naming the accounts
#    held, a pending connection cannot be the default.
#  - escrow revoke: --yes needed (2); refused on device 2 (22); the entry leaves the portal (Get:
#    404) and the device (Escrow/ and profile show's escrows, which nudges again); the message
#    says the portal might keep a copy and suggests 'mesh escrow create'. The attack: a
#    DeleteRequest signed with alice's administration key for bob's escrow entry (under alice's
#    account: 404; under bob's: 401) and for alice's password profile (400) leaves them all.
# Usage: rotate.sh MESH MESHAGENT SERVERMESH
set -u
MESH=$1 AGENT=$2 SERVERMESH=$3
. "$(dirname "$0")/lib.sh"
HERE=$(dirname "$0")
PATH=$(dirname "$AGENT"):$PATH
export PATH
unset MESH_AGENT_SOCK MESH_HIVE XDG_CONFIG_HOME MESH_PORTAL_URL MESH_PORTAL_CA SSH_AUTH_SOCK
ALICE=alice@example.com BOB=bob@example.com
DEVICES=3 DEV_TIMEOUT=60

. "$HERE/portal-lib.sh"
. "$HERE/devices-lib.sh"
. "$HERE/sshd-lib.sh"
cleanup() {
	devices_stop_agents
	sshd_stop "$TMP/sshd"
	portal_kill
	rm -rf "$TMP"
}
trap cleanup EXIT

check "servermesh starts on loopback" portal_start "$TMP/portal.log" --db "$TMP/portal.db"

# forged_delete ACCOUNT ID: the HTTP status of a DeleteRequest {ACCOUNT, ID} signed (through
# device 1's key store) with alice's administration key $ADMIN, as an attacker holding it
# would send it.
forged_delete() {
	/usr/bin/python3 - "$1" "$2" "$ADMIN" "$TMP/fd" <<'PY' || return 1
import base64, datetime, json, os, sys
account, ident, kid, out = sys.argv[1:]
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
issued = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
payload = {"DeleteRequest": {"Account": account, "Identifier": ident, "Issued": issued,
                             "Nonce": b64(os.urandom(16))}}
header = {"alg": "EdDSA", "kid": kid, "cty": "DeleteRequest"}
p, h = b64(json.dumps(payload).encode()), b64(json.dumps(header).encode())
open(out + ".input", "w").write(h + "." + p)
json.dump({"protected": h, "payload": p}, open(out + ".json", "w"))
PY
	dev 1 key sign --key "$ADMIN" --out "$TMP/fd.sig" "$TMP/fd.input" >/dev/null || return 1
	timeout 30 /usr/bin/python3 - "$URL" "$TMP/fd" <<'PY'
import base64, json, sys, urllib.error, urllib.request
url, out = sys.argv[1:]
jws = json.load(open(out + ".json"))
jws["signature"] = base64.urlsafe_b64encode(open(out + ".sig", "rb").read()).rstrip(b"=").decode()
req = urllib.request.Request(url, headers={"Content-Type": "application/json"},
    data=json.dumps({"SignedTransaction": jws}).encode())
try:
    print(urllib.request.urlopen(req, timeout=20).status)
except urllib.error.HTTPError as e:
    print(e.code)
PY
}
# authorizes N LINE: device N's 'ssh authorized-keys' lists LINE.
authorizes() { dev "$1" ssh authorized-keys 2>/dev/null | grep -qxF -- "$2"; }
# ssh_with_file KEY: ssh to sshd with the private key file KEY alone (no agent).
ssh_with_file() {
	timeout 30 ssh -F /dev/null -o BatchMode=yes -o IdentityAgent=none -o IdentitiesOnly=yes \
		-i "$1" -o UserKnownHostsFile="$SSHD_DIR/kh" -o StrictHostKeyChecking=accept-new \
		-o ConnectTimeout=10 -p "$SSHD_PORT" "$(id -un)@127.0.0.1" echo hi </dev/null
}

# ---- alice on device 1, device 2 joins, each with an SSH key ----
check "device 1 creates $ALICE" quiet dev 1 profile create "$ALICE"
dev 2 --json connect request "$ALICE" --no-wait >"$TMP/request.json" 2>"$TMP/err"
check "device 1 accepts device 2" quiet dev 1 connect accept "$(jget 'd["Witness"]' \
	"$TMP/request.json")"
check "device 2 is connected" quiet dev 2 connect wait
expect_fail "ssh rotate without an SSH key: NotFound (12), naming ssh create" 12 \
	"mesh ssh create" dev 1 ssh rotate
OLD1_LINE=$(dev 1 ssh create 2>"$TMP/err")
check "device 1 makes its SSH key" [ -n "$OLD1_LINE" ]
OLD1=$(dev 1 --json key list | jget '[k["UDF"] for k in d["Keys"] if k["Role"] == "SSH"][0]')
OLD2_LINE=$(dev 2 ssh create 2>"$TMP/err")
check "device 2 makes its SSH key" [ -n "$OLD2_LINE" ]
check "device 1 syncs" quiet dev 1 profile sync
check "device 2 syncs" quiet dev 2 profile sync
check "device 2 lists device 1's key" authorizes 2 "$OLD1_LINE"
# The old private key, kept for the attempt after the rotation (the hive is not protected: an
# OpenSSH key file ssh reads).
cp "$TMP/d1/.mmm/CryptoMesh/Keys/$OLD1" "$TMP/old1_key" && chmod 600 "$TMP/old1_key"
check "the old key file is kept" [ -s "$TMP/old1_key" ]
dev 2 ssh authorized-keys >"$TMP/authorized_keys"
check "sshd starts on loopback, trusting device 2's authorized keys" \
	sshd_start "$TMP/sshd" "$TMP/authorized_keys"
check "before the rotation the old key file logs in" ssh_with_file "$TMP/old1_key"

# ---- rotate on the administration device ----
dev 1 --json ssh rotate >"$TMP/rotate.json" 2>"$TMP/err"
check "device 1 rotates its SSH key ($(cat "$TMP/err"))" [ $? = 0 ]
NEW1=$(jget 'd["UDF"]' "$TMP/rotate.json")
NEW1_LINE=$(jget 'd["PublicKey"]' "$TMP/rotate.json")
check "--json names the old key as OldUDF" [ "$(jget 'd["OldUDF"]' "$TMP/rotate.json")" = "$OLD1" ]
check "the new key is another key" sh -c '[ -n "$1" ] && [ "$1" != "$2" ]' _ "$NEW1" "$OLD1"
check "device 1 lists the new key at once" authorizes 1 "$NEW1_LINE"
check "... and not the old one" eval '! authorizes 1 "$OLD1_LINE"'
dev 1 --json key list >"$TMP/keys.json"
check "the key store lists the new key as SSH, for $ALICE" [ "$(jget \
	"[k['Role'] + ':' + k['Account'] for k in d['Keys'] if k['UDF'] == '$NEW1'][0]" \
	"$TMP/keys.json")" = "SSH:$ALICE" ]
check "the old key has left the key store" [ "$(jget \
	"len([k for k in d['Keys'] if k['UDF'] == '$OLD1'])" "$TMP/keys.json")" = 0 ]
check "device 2 still lists the old key before it syncs" authorizes 2 "$OLD1_LINE"
check "device 2 syncs" quiet dev 2 profile sync
check "device 2 lists device 1's new key after its sync" authorizes 2 "$NEW1_LINE"
dev 2 ssh authorized-keys >"$TMP/authorized_keys.new"
check "device 2's authorized keys lack the old key" sh -c '! grep -qxF -- "$1" "$2"' - \
	"$OLD1_LINE" "$TMP/authorized_keys.new"
cp "$TMP/authorized_keys.new" "$TMP/authorized_keys"
SOCK1=$(dev 1 ssh socket)
expect_out "device 1's ssh-agent socket serves the new key alone" "$NEW1_LINE" \
	sh -c 'SSH_AUTH_SOCK=$1 timeout 30 ssh-add -L' - "$SOCK1"
expect_out "sshd lets the agent's new key in" hi ssh_to "$SOCK1" echo hi
check "sshd refuses the old key file" eval '! ssh_with_file "$TMP/old1_key" >/dev/null 2>&1'

# ---- rotate on device 2, not an administration device ----
NEW2_LINE=$(dev 2 --json ssh rotate 2>"$TMP/err" | jget 'd["PublicKey"]')
check "device 2 rotates its SSH key ($(cat "$TMP/err"))" [ -n "$NEW2_LINE" ]
check "device 1 does not list device 2's new key before it syncs" eval \
	'! authorizes 1 "$NEW2_LINE"'
check "device 1 syncs" quiet dev 1 profile sync
check "device 1's sync folds device 2's new key" authorizes 1 "$NEW2_LINE"
check "... in place of its old one" eval '! authorizes 1 "$OLD2_LINE"'
check "... and keeps its own new key" authorizes 1 "$NEW1_LINE"
dev 2 ssh rotate >"$TMP/rotate.txt" 2>"$TMP/err"
check "ssh rotate in text: the old and new UDF, then the line" \
	grep -q "^Replaced the SSH key .* with .*; its public key line:$" "$TMP/rotate.txt"

# ---- account default ----
check "device 1 creates $BOB" quiet dev 1 profile create "$BOB"
expect_out "account default prints the first account made" "The default account is $ALICE" \
	dev 1 account default
expect_out "account default $BOB" "The default account is $BOB now" dev 1 account default "$BOB"
expect_out "profile show follows it" "$BOB" jdev 1 'd["Account"]' profile show
expect_out "account default --json" "$BOB" jdev 1 'd["Default"]' account default
expect_fail "account default for an unknown account: NotFound (12) naming those held" 12 \
	"no account 'carol@example.com': it holds '$ALICE', '$BOB'" \
	dev 1 account default carol@example.com
expect_fail "account default with two names: Usage (2)" 2 "" dev 1 account default "$ALICE" "$BOB"
check "account default $ALICE" quiet dev 1 account default "$ALICE"
dev 3 connect request "$ALICE" --no-wait >/dev/null 2>"$TMP/err"
check "device 3 asks to join $ALICE" [ $? = 0 ]
expect_fail "a pending connection cannot be the default: NotFound (12)" 12 "still pending" \
	dev 3 account default "$ALICE"
expect_out "device 3 has no default account" \
	"There is no default account: this machine holds none" dev 3 account default

# ---- escrow revoke ----
dev 1 --json escrow create --quorum 2 --shares 3 >"$TMP/escrow.json" 2>"$TMP/err"
ID=$(jget 'd["Identifier"]' "$TMP/escrow.json")
check "device 1 escrows alice's master keys" [ -n "$ID" ]
dev 1 --json escrow create --quorum 2 --shares 3 --account "$BOB" >"$TMP/bob-escrow.json"
BOB_ID=$(jget 'd["Identifier"]' "$TMP/bob-escrow.json")
check "device 1 escrows bob's master keys" [ -n "$BOB_ID" ]
check "the portal holds alice's escrow entry" portal_has "$ID"
check "the portal holds bob's escrow entry" portal_has "$BOB_ID"
check "device 1 keeps its copy of alice's" [ -f "$TMP/d1/.mmm/CryptoMesh/Escrow/$ID.json" ]
check "device 1 adds a password (alice's password profile)" \
	quiet dev 1 password add example.org alice pw
APP=$(dev 1 --json app list | jget '[a["Identifier"] for a in d["Applications"]][0]')
ADMIN=$(dev 1 --json key list | jget "[k['UDF'] for k in d['Keys']
	if k['Role'] == 'Administration' and k['Account'] == '$ALICE'][0]")
check "alice's administration key on device 1" [ -n "$ADMIN" ]
# The attack: alice's administration key against entries that are not alice's escrow entries.
check "the portal refuses bob's escrow entry deleted under alice's account (404)" \
	[ "$(forged_delete "$ALICE" "$BOB_ID")" = 404 ]
check "the portal refuses bob's escrow entry deleted with alice's key (401)" \
	[ "$(forged_delete "$BOB" "$BOB_ID")" = 401 ]
check "the portal refuses a password profile deleted as an escrow entry (400)" \
	[ "$(forged_delete "$ALICE" "$APP")" = 400 ]
check "bob's escrow entry is still there" portal_has "$BOB_ID"
check "alice's password profile is still there" portal_has "$APP"
check "alice's password still reads after a sync" quiet dev 1 profile sync
expect_fail "escrow revoke without --yes: Usage (2)" 2 "give --yes" dev 1 escrow revoke
expect_fail "escrow revoke on device 2: Unauthorized (22)" 22 "not an administration device" \
	dev 2 escrow revoke "$ID" --yes
dev 1 escrow revoke --yes >"$TMP/revoke.txt" 2>"$TMP/err"
check "escrow revoke on device 1 ($(cat "$TMP/err"))" [ $? = 0 ]
check "... names the escrow revoked" grep -q "^Revoked the escrow $ID" "$TMP/revoke.txt"
check "... says the portal might keep a copy" grep -q "might keep a copy" "$TMP/revoke.txt"
check "... and suggests a new split" \
	grep -qF "mesh escrow create --quorum 2 --shares 3 --account $ALICE" "$TMP/revoke.txt"
check "the portal no longer serves the entry (404)" portal_lacks "$ID"
check "device 1's copy is gone" [ ! -e "$TMP/d1/.mmm/CryptoMesh/Escrow/$ID.json" ]
expect_out "profile show lists no escrow" 0 jdev 1 'len(d["Escrows"])' profile show
dev 1 profile show >"$TMP/show.txt" 2>&1
check "profile show nudges again: no escrow is known" \
	grep -q "^No escrow of the master keys yet" "$TMP/show.txt"
expect_fail "a second escrow revoke: NotFound (12)" 12 "no escrow of" dev 1 escrow revoke --yes
check "bob's escrow entry is untouched" portal_has "$BOB_ID"
dev 1 --json escrow revoke "$BOB_ID" --yes --account "$BOB" >"$TMP/revoke.json" 2>"$TMP/err"
check "escrow revoke ID --account $BOB --json" \
	[ "$(jget 'd["Revoked"] + " " + d["Account"]' "$TMP/revoke.json")" = "$BOB_ID $BOB" ]
check "... gone from the portal" portal_lacks "$BOB_ID"
# The forged requests above were refused for what they asked, not for their form: the same
# request for alice's own escrow entry is taken; the device then forgets the entry the portal
# no longer holds.
ID3=$(dev 1 --json escrow create --quorum 2 --shares 3 | jget 'd["Identifier"]')
check "the same request for alice's own escrow entry is taken (200)" \
	[ "$(forged_delete "$ALICE" "$ID3")" = 200 ]
check "... and the portal no longer serves it" portal_lacks "$ID3"
expect_fail "escrow revoke of an entry neither here nor on the portal: NotFound (12)" 12 \
	"has no entry" dev 1 escrow revoke "$ID" --yes
check "escrow revoke forgets an escrow the portal no longer holds" \
	quiet dev 1 escrow revoke "$ID3" --yes
expect_out "... profile show lists no escrow" 0 jdev 1 'len(d["Escrows"])' profile show
finish
