#!/bin/sh
# SPDX-License-Identifier: MIT
# Working offline (issue 15 item 5), end to end: servermesh for example.com on loopback and
# three device folders. Device 1 makes alice@example.com, device 2 joins it (the whole witness);
# device 3 is a copy of device 1's hive taken before it goes offline: a second administration
# device of the account, publishing while device 1 cannot.
#  - With servermesh stopped, device 1 adds, changes and deletes passwords and sets an
#    application: each says "queued", 'profile status' (text and --json) lists them without a
#    password, 'password get' reads the new value at once, no file of the hive holds a new
#    password in clear, 'profile sync' fails (Network, 25) and keeps them.
#  - The agent killed with SIGKILL between queueing and the flush: nothing lost.
#  - Back online, device 3 changes one of the same logins and adds another; device 1's 'profile
#    sync' publishes everything, reports the login both changed as a conflict (device 1's value
#    kept), merges the rest; device 2 reads every change after its sync, decrypting them.
# Usage: offline-queue.sh MESH MESHAGENT SERVERMESH
set -u
MESH=$1 AGENT=$2 SERVERMESH=$3
. "$(dirname "$0")/lib.sh"
HERE=$(dirname "$0")
PATH=$(dirname "$AGENT"):$PATH
export PATH
unset MESH_AGENT_SOCK MESH_HIVE XDG_CONFIG_HOME MESH_PORTAL_URL MESH_PORTAL_CA
ACCOUNT=alice@example.com
DEV_TIMEOUT=60
DEVICES=3

. "$HERE/portal-lib.sh"
. "$HERE/devices-lib.sh"
agent_pid() { dev "$1" agent status 2>/dev/null | sed -n 's/.*: pid //p'; }
cleanup() {
	devices_stop_agents
	portal_kill
	rm -rf "$TMP"
}
trap cleanup EXIT

check "servermesh starts on loopback" portal_start "$TMP/portal.log" --db "$TMP/portal.db"
PORT=$(echo "$URL" | sed -n 's#^http://127.0.0.1:\([0-9]*\)/.*#\1#p')

# ---- device 1 makes the account, device 2 joins ----
check "device 1 creates $ACCOUNT" quiet dev 1 profile create "$ACCOUNT"
dev 2 --json connect request "$ACCOUNT" --no-wait >"$TMP/request.json" 2>"$TMP/err"
WITNESS=$(jget 'd["Witness"]' "$TMP/request.json")
check "device 1 accepts device 2 (the whole witness)" quiet dev 1 connect accept "$WITNESS"
expect_out "device 2 is connected" "Accepted: this device is connected to the profile" \
	dev 2 connect wait
for login in "site.example.com alice base-site" "both.example.com u base-both" \
	"gone.example.com u base-gone"; do
	set -- $login
	check "online: password add $2 at $1" quiet dev 1 password add "$1" "$2" "$3"
done
check "online: app add generic mail" quiet dev 1 app add generic mail
printf '{"Server":"imap.example.com"}' >"$TMP/mail1.json"
check "online: app set mail" quiet dev 1 app set mail --json-file "$TMP/mail1.json"
expect_out "online: nothing waits" "Nothing waits for the portal" dev 1 profile status
# Device 3: device 1's hive as it is now (its agent running on a copy of it).
mkdir -p "$TMP/d3/.mmm" && cp -a "$TMP/d1/.mmm/." "$TMP/d3/.mmm/"
check "device 3 (a copy of device 1) reads the account" quiet dev 3 password get site.example.com

# ---- offline ----
check "servermesh stops" portal_stop
dev 1 password add new.example.com alice Offline-New-1 >"$TMP/out" 2>&1
check "offline: password add succeeds, queued, naming the portal" \
	grep -q "^queued: the portal at $URL cannot be reached" "$TMP/out"
check "... after saying it stored it" grep -q "^Stored the password of alice at new" "$TMP/out"
dev 1 password set site.example.com alice Offline-Site-2 >"$TMP/out" 2>&1
check "offline: password set succeeds, queued" grep -q "^queued:" "$TMP/out"
check "offline: password set of a login both devices change" \
	quiet dev 1 password set both.example.com u Offline-Both-A
dev 1 password delete gone.example.com --user u >"$TMP/out" 2>&1
check "offline: password delete succeeds, queued" grep -q "^queued:" "$TMP/out"
printf '{"Server":"imap.offline.example"}' >"$TMP/mail2.json"
dev 1 --json app set mail --json-file "$TMP/mail2.json" >"$TMP/out.json" 2>"$TMP/err"
check "offline: app set --json says Queued" [ "$(jget 'd["Queued"]' "$TMP/out.json")" = True ]
expect_fail "offline: a refusal stays a refusal (NotFound, 12), nothing queued" 12 \
	"no password for" dev 1 password delete none.example.com
expect_out "offline: password get reads the new value at once" "Offline-New-1" \
	dev 1 password get new.example.com
expect_out "... and the changed one" "Offline-Site-2" dev 1 password get site.example.com
expect_fail "... and the deleted one is gone" 12 "no password" \
	dev 1 password get gone.example.com
dev 1 profile status >"$TMP/status.txt" 2>"$TMP/err"
check "profile status: 5 changes wait" grep -q "^5 changes wait for the portal" \
	"$TMP/status.txt"
check "... each with its login" grep -q "PasswordAdd alice at new.example.com (queued " \
	"$TMP/status.txt"
check "... the application by name" grep -q "AppSet mail (queued " "$TMP/status.txt"
dev 1 --json profile status >"$TMP/status.json" 2>"$TMP/err"
check "profile status --json: Queued in order, no password, no data" \
	/usr/bin/python3 - "$TMP/status.json" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
d = json.loads(text)
ops = [(q["Operation"], q.get("Site"), q.get("Username")) for q in d["Queued"]]
assert ops == [("PasswordAdd", "new.example.com", "alice"),
               ("PasswordSet", "site.example.com", "alice"),
               ("PasswordSet", "both.example.com", "u"),
               ("PasswordDelete", "gone.example.com", "u"),
               ("AppSet", None, None)], ops
assert d["Queued"][4]["Application"] == "mail" and d["Conflicts"] == [], d
for secret in ("Offline", "base-", "imap"):
    assert secret not in text, secret
PY
check "no file of device 1's hive holds a queued password or data in clear" \
	sh -c "! grep -r -l -e Offline-New-1 -e Offline-Site-2 -e Offline-Both-A \
		-e imap.offline.example '$TMP/d1/.mmm'"
check "the Outbox holds the 5 entries" \
	sh -c "[ \$(ls '$TMP/d1/.mmm/CryptoMesh/Outbox' | grep -c '^[0-9]') = 5 ]"
expect_fail "offline: profile sync fails: Network (25)" 25 "$PORT" dev 1 profile sync
check "... and keeps the queue" \
	sh -c "[ \$(ls '$TMP/d1/.mmm/CryptoMesh/Outbox' | grep -c '^[0-9]') = 5 ]"

# ---- the agent killed between queueing and the flush ----
pid=$(agent_pid 1)
check "device 1's agent runs (pid $pid)" kill -0 "$pid"
kill -9 "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
check "... and is killed (SIGKILL)" sh -c "! kill -0 $pid 2>/dev/null"
dev 1 profile status >"$TMP/status.txt" 2>"$TMP/err"
check "after the kill, a new agent still lists the 5 changes" grep -q "^5 changes wait" "$TMP/status.txt"

# ---- back online; device 3 published meanwhile ----
: >"$TMP/portal2.log"
"$SERVERMESH" example.com --listen "127.0.0.1:$PORT" --db "$TMP/portal.db" \
	2>"$TMP/portal2.log" &
SPID=$!
URL2=$(portal_url "$TMP/portal2.log" "$SPID")
check "servermesh is back, serving $URL again" [ "$URL2" = "$URL" ]
check "device 3 changes a login device 1 changed offline" \
	quiet dev 3 password set both.example.com u Device3-Both
check "device 3 adds a login" quiet dev 3 password add only3.example.com u Device3-Only
dev 1 profile sync >"$TMP/sync.txt" 2>"$TMP/err"
check "device 1: profile sync publishes (exit 0)" [ $? = 0 ]
check "... it lists the 5 changes it published" \
	sh -c "[ \$(grep -c '^Published: ' '$TMP/sync.txt') = 5 ]"
check "... it reports the login both devices changed, device 1's value kept" \
	grep -q "^CONFLICT: PasswordSet u at both.example.com (queued .*): another device had changed it too; its value was replaced by this device's" \
	"$TMP/sync.txt"
check "... and no other conflict" sh -c "[ \$(grep -c '^CONFLICT' '$TMP/sync.txt') = 1 ]"
check "... the Outbox holds no change any more" \
	sh -c "[ \$(ls '$TMP/d1/.mmm/CryptoMesh/Outbox' | grep -c '^[0-9]') = 0 ]"
dev 1 --json profile status >"$TMP/status.json" 2>"$TMP/err"
check "profile status --json: nothing queued, the conflict of the last flush" \
	/usr/bin/python3 - "$TMP/status.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["Queued"] == [], d
c = d["Conflicts"]
assert len(c) == 1 and c[0]["Site"] == "both.example.com" and c[0]["Conflict"] == "Replaced", c
PY
dev 1 password add later.example.com u later >"$TMP/out" 2>&1
check "... password add online says nothing of a queue" sh -c "! grep -q queued '$TMP/out'"

# ---- device 2 sees it all, decrypting it ----
check "device 2 syncs" quiet dev 2 profile sync
expect_out "device 2 reads the login added offline" "Offline-New-1" \
	dev 2 password get new.example.com
expect_out "... the one changed offline" "Offline-Site-2" dev 2 password get site.example.com
expect_out "... the conflicting one: device 1's value" "Offline-Both-A" \
	dev 2 password get both.example.com
expect_out "... device 3's own login, merged" "Device3-Only" dev 2 password get only3.example.com
expect_fail "... the one deleted offline is gone" 12 "no password" \
	dev 2 password get gone.example.com
dev 2 app get mail >"$TMP/mail.out" 2>"$TMP/err"
check "... the application data set offline" grep -q "imap.offline.example" "$TMP/mail.out"
check "device 3 syncs" quiet dev 3 profile sync
expect_out "device 3 sees device 1's value for the login both changed" "Offline-Both-A" \
	dev 3 password get both.example.com
finish
