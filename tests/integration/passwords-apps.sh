#!/bin/sh
# SPDX-License-Identifier: MIT
# Passwords and applications end to end (issue 12 items 3, 5, 11 and 13): servermesh for
# example.com on loopback and two devices, each with its own HOME, XDG_RUNTIME_DIR, MMM_HOME and
# agent. Device 1 (keys under a passphrase) makes alice@example.com; device 2 joins.
#  - Several logins per site: a second user name at a site is a second login, a stored login is
#    refused (13) until changed explicitly (--replace, password set), get and delete ask which
#    (3, naming them) and take --user, list shows every login (text and --json); device 2 reads
#    them after a sync.
#  - Empty and blank sites and application names are refused (3).
#  - app delete: --yes needed (2), the Mesh's own profiles refused (11), not on a device that is
#    not an administration device (22); gone on device 1, on device 2 after its sync, and from
#    the portal (a GetRequest for it answers 404).
#  - After 'mesh lock' every read of application data is Locked (14), saying 'mesh unlock'; after
#    'mesh unlock' it reads again.
#  - Status names the ssh-agent socket as SSHAgentSocket: the one 'mesh ssh socket' prints.
# Usage: passwords-apps.sh MESH MESHAGENT SERVERMESH
set -u
MESH=$1 AGENT=$2 SERVERMESH=$3
. "$(dirname "$0")/lib.sh"
HERE=$(dirname "$0")
PATH=$(dirname "$AGENT"):$PATH
export PATH
unset MESH_AGENT_SOCK MESH_HIVE XDG_CONFIG_HOME MESH_PORTAL_URL MESH_PORTAL_CA
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}intercept_tls_get_addr=0"
ACCOUNT=alice@example.com
DEV_TIMEOUT=60

. "$HERE/portal-lib.sh"
. "$HERE/devices-lib.sh"
cleanup() {
	for n in 1 2; do
		pid=$(dev "$n" agent status 2>/dev/null | sed -n 's/.*: pid //p')
		[ -n "$pid" ] && kill "$pid" 2>/dev/null
	done
	portal_kill
	rm -rf "$TMP"
}
trap cleanup EXIT

check "servermesh starts on loopback" portal_start "$TMP/portal.log" --db "$TMP/portal.db"

# app_files N: the application profiles in device N's hive.
app_files() { ls "$TMP/d$1/.mmm/CryptoMesh/ApplicationProfiles" 2>/dev/null | grep -c json; }

# ---- device 1 (a passphrase on its keys) and device 2 ----
printf 'correct horse\n' >"$TMP/pass"
dev 1 device create --passphrase-file "$TMP/pass" >/dev/null 2>"$TMP/err"
check "device 1 is made with its keys under a passphrase" [ $? = 0 ]
dev 1 profile create "$ACCOUNT" >/dev/null 2>"$TMP/err"
check "device 1 creates $ACCOUNT" [ $? = 0 ]
dev 2 --json connect request "$ACCOUNT" --no-wait >"$TMP/request.json" 2>"$TMP/err"
WITNESS=$(jget 'd["Witness"]' "$TMP/request.json")
check "device 1 accepts device 2" quiet dev 1 connect accept "$WITNESS"
expect_out "device 2 is connected" "Accepted: this device is connected to the profile" \
	dev 2 connect wait

# ---- several logins at one site ----
expect_out "password add alice at github.com" "Stored the password of alice at github.com" \
	dev 1 password add github.com alice a-pass
expect_out "password add bob at github.com: a second login" \
	"Stored the password of bob at github.com" dev 1 password add github.com bob b-pass
expect_fail "password add bob again: Exists (13), told how to change it" 13 \
	"'bob' at 'github.com' has a password already.*password set" \
	dev 1 password add github.com bob other
expect_out "... and alice's is untouched" "a-pass" dev 1 password get github.com --user alice
expect_out "... and bob's too" "b-pass" dev 1 password get github.com --user bob
expect_fail "password set for a login never stored: NotFound (12)" 12 \
	"no password for 'carol' at 'github.com'" dev 1 password set github.com carol c-pass
expect_out "password set changes bob's" "Changed the password of bob at github.com" \
	dev 1 password set github.com bob b-pass-2
expect_out "password add --replace changes a stored login" \
	"Changed the password of alice at github.com" \
	dev 1 password add github.com alice a-pass-2 --replace
expect_out "password add --replace adds a new one" "Stored the password of dave at github.com" \
	dev 1 password add --replace github.com dave d-pass
expect_fail "password get with several logins: InvalidArgument (3) naming them, --user" 3 \
	"'github.com' has logins for 3 user names ('alice', 'bob', 'dave'): .*--user" \
	dev 1 password get github.com
expect_out "password list shows every login" "github.com  alice
github.com  bob
github.com  dave" dev 1 password list
dev 1 --json password list >"$TMP/list.json" 2>"$TMP/err"
check "password list --json: Logins [{Site, Username}]" /usr/bin/python3 - "$TMP/list.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d == {"Logins": [{"Site": "github.com", "Username": u}
                        for u in ("alice", "bob", "dave")]}, d
PY
check "device 2 syncs" quiet dev 2 profile sync
expect_out "device 2 reads alice's login" "a-pass-2" dev 2 password get github.com --user alice
expect_out "device 2 reads bob's login" "b-pass-2" dev 2 password get github.com --user bob
expect_fail "password delete with several logins: InvalidArgument (3)" 3 "--user" \
	dev 1 password delete github.com
expect_out "password delete --user dave" "Deleted the password of dave at github.com" \
	dev 1 password delete github.com --user dave
expect_out "... only dave's login is gone" "github.com  alice
github.com  bob" dev 1 password list
expect_out "a site with one login needs no --user" "Stored the password of erin at gitlab.com" \
	dev 1 password add gitlab.com erin e-pass
expect_out "... password get gitlab.com" "e-pass" dev 1 password get gitlab.com

# ---- empty and blank names ----
expect_fail "password add with an empty site: InvalidArgument (3)" 3 "the site is empty" \
	dev 1 password add "" frank f-pass
expect_fail "password add with a blank site: InvalidArgument (3)" 3 "only white space" \
	dev 1 password add "   " frank f-pass
expect_fail "app add generic with an empty name: InvalidArgument (3)" 3 \
	"the application name is empty" dev 1 app add generic ""
expect_fail "app add generic with a blank name (NBSP, ideographic space): InvalidArgument (3)" \
	3 "only white space" dev 1 app add generic "$(printf '\302\240\343\200\200')"

# ---- app delete ----
dev 1 --json app add generic mail >"$TMP/mail.json" 2>"$TMP/err"
MAIL=$(jget 'd["Identifier"]' "$TMP/mail.json")
check "app add generic mail" [ -n "$MAIL" ]
check "app add generic notes" quiet dev 1 app add generic notes
printf '{"server": "imap.example.com"}' >"$TMP/mail-data.json"
check "app set mail" quiet dev 1 app set mail --json-file "$TMP/mail-data.json"
check "device 2 syncs the applications" quiet dev 2 profile sync
check "device 2 reads mail" sh -c "HOME=$TMP/d2 XDG_RUNTIME_DIR=$TMP/d2/run \
	MMM_HOME=$TMP/d2/.mmm timeout 60 '$MESH' --hive test app get mail | grep -q imap"
FILES2=$(app_files 2)
check "the portal holds mail" portal_has "$MAIL"
expect_fail "app delete without --yes: Usage (2)" 2 "give --yes" dev 1 app delete mail
expect_fail "app delete Passwords: Permission (11), the Mesh's own" 11 \
	"PasswordProfile, which the Mesh keeps" dev 1 app delete Passwords --yes
expect_fail "app delete on device 2: Unauthorized (22)" 22 "not an administration device" \
	dev 2 app delete mail --yes
expect_fail "app delete of no such application: NotFound (12)" 12 "no application 'none'" \
	dev 1 app delete none --yes
expect_out "app delete mail --yes" "Deleted mail" dev 1 app delete mail --yes
check "device 1 no longer lists mail" sh -c "! HOME=$TMP/d1 XDG_RUNTIME_DIR=$TMP/d1/run \
	MMM_HOME=$TMP/d1/.mmm timeout 60 '$MESH' --hive test app list | grep -q '  mail\$'"
expect_fail "app get mail on device 1: NotFound (12)" 12 "no application 'mail'" \
	dev 1 app get mail
portal_has "$MAIL"
check "the portal answers 404 for the deleted mail" [ $? = 1 ]
check "device 2 syncs after the delete" quiet dev 2 profile sync
expect_fail "app get mail on device 2: NotFound (12)" 12 "no application 'mail'" \
	dev 2 app get mail
check "device 2 dropped its copy of mail" [ "$(app_files 2)" = $((FILES2 - 1)) ]
check "device 2 still reads notes" quiet dev 2 app get notes

# ---- Locked, not tampering ----
expect_out "mesh lock" "Locked" dev 1 lock
expect_fail "password get when locked: Locked (14), run 'mesh unlock'" 14 "run 'mesh unlock'" \
	dev 1 password get github.com --user alice
expect_fail "password list when locked: Locked (14)" 14 "run 'mesh unlock'" \
	dev 1 password list
expect_fail "app get when locked: Locked (14)" 14 "run 'mesh unlock'" dev 1 app get notes
expect_fail "password add when locked: Locked (14)" 14 "run 'mesh unlock'" \
	dev 1 password add example.org grace g-pass
check "mesh unlock" quiet dev 1 unlock --passphrase-file "$TMP/pass"
expect_out "password get after the unlock" "a-pass-2" dev 1 password get github.com --user alice

# ---- A profile changed on disk behind the running agent is refused on its next read ----
# The agent keeps the profiles it verified while their entries are unchanged (docs/design.md "A
# local read"): an entry rewritten in place (same size, same inode) is verified again.
# flip FILE: change one character of the signature inside FILE in place (kept for restore).
flip() {
	cp -p "$1" "$1.orig" && /usr/bin/python3 -c '
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = b.rfind(b"\"signature\":\"") + 20
b[i] = ord("A") if b[i] != ord("A") else ord("B")
with open(p, "r+b") as f:
    f.write(b)' "$1"
}
restore() { mv "$1.orig" "$1"; }
PERSONAL=$(ls "$TMP/d1/.mmm/CryptoMesh/PersonalProfiles/"*.json | head -1)
PWAPP=$(jdev 1 'next(a["Identifier"] for a in d["Applications"] if a["Type"] == "PasswordProfile")' \
	app list)
for f in "$PERSONAL" "$TMP/d1/.mmm/CryptoMesh/ApplicationProfiles/$PWAPP.json"; do
	check "password get before ${f##*/} is changed" quiet dev 1 password get github.com --user alice
	flip "$f"
	dev 1 password get github.com --user alice >/dev/null 2>"$TMP/err"
	check "password get refuses ${f##*/} changed behind the agent" \
		grep -q "is damaged or was tampered with" "$TMP/err"
	restore "$f"
done
expect_out "password get once the profiles are restored" "a-pass-2" \
	dev 1 password get github.com --user alice
expect_out "a password set through the agent ..." "Changed the password of alice at github.com" \
	dev 1 password set github.com alice a-pass-3
expect_out "... is what the next get reads" "a-pass-3" dev 1 password get github.com --user alice

# ---- Status: the ssh-agent socket ----
SSHSOCK=$(dev 1 ssh socket 2>"$TMP/err")
check "mesh ssh socket names a socket" [ -S "$SSHSOCK" ]
denv 1 /usr/bin/python3 "$HERE/agentproto.py" call \
	"$TMP/d1/run/mesh/CryptoMesh/agent.sock" Status >"$TMP/status.json" 2>"$TMP/err"
check "Status answers SSHAgentSocket, the socket mesh ssh socket prints" \
	[ "$(jget 'd["Result"]["SSHAgentSocket"]' "$TMP/status.json")" = "$SSHSOCK" ]
finish
