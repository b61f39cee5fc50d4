#!/bin/sh
# SPDX-License-Identifier: MIT
# Several servermesh nodes on one PostgreSQL database (issue 16, item 2): a cluster of this
# test's own (tests/pg-cluster.sh, in a short folder under /tmp, since it is restarted here) and
# two nodes, A and B, each on its own loopback port. Checks, each of a property the nodes owe to
# sharing the database:
# 1. the two-device walk-through with device 1 on node A and device 2 on node B: create, connect
#    request, accept, complete; a password added on device 1 read on device 2; each node's log
#    shows it served its device's transactions and not the other's;
# 2. a replay across nodes: a signed Publish accepted by A, its very bytes refused by B (401, a
#    replay) and by A again; a fresh one accepted by B;
# 3. a node killed (SIGKILL) between a device's connection request (made on A through a front
#    proxy, portal-front.py, as a load balancer would send it) and its acceptance: the
#    administrator moves to node B (mesh profile set-portal), finds the request there and accepts
#    it, the device completes through the same front URL, now sent to B: it is in the profile;
# 4. PostgreSQL stopped under node B: a signed request gets 503 Network "the portal's store is
#    unavailable: try again shortly" and nothing of the database's own message, a device's
#    profile sync exits 25 (Network), the health endpoint says 503, the log says why; PostgreSQL
#    started again: the very same request succeeds on the same node process, the sync too, and
#    the health endpoint says 200;
# 5. the per-address cap on pending connection requests counts the requests made on both nodes,
#    while rate limits are per node: an address refused 429 by A is served by B.
# It fails, never skips, when PostgreSQL cannot be started.
# Usage: portal-nodes.sh MESH MESHAGENT SERVERMESH PORTAL-ABUSE-TOOL
set -u
MESH=$1 AGENT=$2 SERVERMESH=$3 TOOL=$4
HERE=$(dirname "$0")
. "$HERE/lib.sh"
PATH=$(dirname "$AGENT"):$PATH
export PATH
unset MESH_AGENT_SOCK MESH_HIVE XDG_CONFIG_HOME MESH_PORTAL_URL MESH_PORTAL_CA
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}intercept_tls_get_addr=0"
DEVICES=3
. "$HERE/devices-lib.sh"
PGC="sh $HERE/../pg-cluster.sh"
PY="timeout 60 /usr/bin/python3 $HERE/portal-abuse.py"
OPS="timeout 60 /usr/bin/python3 $HERE/portal-ops.py"
ACCOUNT=alice@example.com
PG=$(mktemp -d /tmp/mesh-nodes-XXXXXX)
FRONT="$TMP/front"
FPID=

cleanup() {
	devices_stop_agents
	for pid in $PORTAL_PIDS $FPID; do
		kill -9 "$pid" 2>/dev/null
	done
	$PGC stop "$PG" >/dev/null 2>&1
	rm -rf "$PG" "$TMP"
}
trap cleanup EXIT

# node NAME ARGS...: a servermesh node on the shared database, its log $TMP/NAME.log; sets
# NAME_URL, NAME_PORT and NAME_PID (NAME in capitals).
node() {
	node_name=$1
	shift
	servermesh_up "$node_name" --db "$DB" "$@" || return 1
	node_var=$(echo "$node_name" | tr '[:lower:]' '[:upper:]')
	eval "${node_var}_URL=\$PORTAL ${node_var}_PORT=\$PORT ${node_var}_PID=\$PID"
}
# served LOG TRANSACTION STATUS: how many such requests the node logging to $TMP/LOG.log answered.
served() { grep -c " POST /.well-known/mmm/ $2 $3 " "$TMP/$1.log"; }
# send URL ADDR FILE: POST FILE's requests to URL from ADDR; the answers ("STATUS CODE
# DESCRIPTION" a line) in $TMP/answers.
send() { $PY send "$1" "$2" "$3" >"$TMP/answers" 2>&1; }
# answer N: the Nth answer's "STATUS CODE".
answer() { sed -n "${1}p" "$TMP/answers" | cut -d' ' -f1,2; }
# answered NAME WANT URL ADDR FILE: the check NAME that FILE's one request, sent to URL from
# ADDR, is answered WANT ("STATUS CODE").
answered() {
	send "$3" "$4" "$5"
	check "$1: $2 ($(answer 1))" [ "$(answer 1)" = "$2" ]
}
# front_to PORT: the front proxy sends new connections to the node on PORT.
front_to() {
	echo "$1" >"$FRONT/target.tmp" && mv "$FRONT/target.tmp" "$FRONT/target"
}
# health URL: "STATUS BODY" of URL's health endpoint.
health() { $OPS get "${1}health" 127.0.0.1; }

# ---- A PostgreSQL cluster of our own, two nodes on one database ----
if $PGC fresh "$PG" >"$TMP/pg.out" 2>&1 && $PGC createdb "$PG" portal >>"$TMP/pg.out" 2>&1; then
	ok "a PostgreSQL cluster of this test's own runs in $PG"
else
	not_ok "PostgreSQL could not be started in $PG: $(cat "$TMP/pg.out")"
	finish
	exit 1
fi
DB=$($PGC uri "$PG" portal)
check "node A starts on it" node a
check "node B starts on the same database" node b
check "... each on its own port ($A_PORT, $B_PORT)" [ "${A_PORT:-none}" != "${B_PORT:-none}" ]

# ---- 1. Device 1 on node A, device 2 on node B ----
DEV_URL1=$A_URL DEV_URL2=$B_URL
dev 1 profile create "$ACCOUNT" >"$TMP/create" 2>"$TMP/err"
check "device 1 creates $ACCOUNT on node A ($(cat "$TMP/err"))" grep -q '^Created profile M' \
	"$TMP/create"
check "... node A answered the Create, node B none" \
	[ "$(served a Create 201) $(served b Create '[0-9]*')" = "1 0" ]
PROFILE=$(jdev 1 'd["Identifier"]' profile show)
dev 2 --json connect request "$ACCOUNT" --no-wait >"$TMP/request.json" 2>"$TMP/err"
WITNESS=$(jget 'd["Witness"]' "$TMP/request.json" 2>/dev/null)
DEVICE2=$(jget 'd["DeviceUDF"]' "$TMP/request.json" 2>/dev/null)
check "device 2 asks to connect through node B ($(cat "$TMP/err"))" [ -n "$WITNESS" ]
check "... node B took the ConnectStart, node A none" \
	[ "$(served b ConnectStart 201) $(served a ConnectStart '[0-9]*')" = "1 0" ]
jdev 1 'd["Pending"]' connect pending >"$TMP/pending" 2>"$TMP/err"
check "device 1 sees device 2's request through node A, with the witness device 2 shows" \
	grep -q "$DEVICE2.*$WITNESS" "$TMP/pending"
expect_out "device 1 accepts it through node A" "Accepted the device with witness $WITNESS" \
	dev 1 connect accept "$WITNESS"
check "... node A answered the ConnectComplete" [ "$(served a ConnectComplete 200)" = 1 ]
expect_out "device 2 completes through node B" \
	"Accepted: this device is connected to the profile" dev 2 connect wait
check "... node B answered its ConnectStatus" [ "$(served b ConnectStatus 200)" -ge 1 ]
check "... node A none" [ "$(served a ConnectStatus '[0-9]*')" = 0 ]
expect_out "device 1 adds a password through node A" \
	"Stored the password of alice at example.net" \
	dev 1 password add example.net alice "correct horse battery"
check "device 2 syncs through node B" quiet dev 2 profile sync
expect_out "device 2 reads the password device 1 added" "correct horse battery" \
	dev 2 password get example.net
dev 1 --json profile show >"$TMP/show1" 2>&1
dev 2 --json profile show >"$TMP/show2" 2>&1
check "both devices see the same profile: identifier, serial, two devices" \
	/usr/bin/python3 - "$TMP/show1" "$TMP/show2" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert (a["Identifier"], a["Serial"]) == (b["Identifier"], b["Serial"]), (a, b)
assert len(a["Devices"]) == len(b["Devices"]) == 2, (a, b)
PY

# ---- 2. A replay across nodes ----
mkdir -p "$TMP/carol"
"$TOOL" entries example.com carol 1 "$TMP/carol" 2>"$TMP/err"
answered "carol created on node A" "201 -" "$A_URL" 127.0.0.1 "$TMP/carol/create.json"
answered "her signed Publish accepted by node A" "200 -" \
	"$A_URL" 127.0.0.1 "$TMP/carol/publish.json"
answered "the same bytes sent to node B" "401 Unauthorized" \
	"$B_URL" 127.0.0.1 "$TMP/carol/publish.json"
check "... as a replay" grep -q 'replay' "$TMP/answers"
answered "... and to node A again" "401 Unauthorized" \
	"$A_URL" 127.0.0.1 "$TMP/carol/publish.json"
answered "a new signed Publish (its own nonce) accepted by node B" "200 -" \
	"$B_URL" 127.0.0.1 "$TMP/carol/republish.json"

# ---- 3. Node A killed in the middle of a connection ----
mkdir -p "$FRONT"
front_to "$A_PORT"
/usr/bin/python3 "$HERE/portal-front.py" "$FRONT" &
FPID=$!
DEV_URL3=$(proxy_url "$FRONT")
check "the front proxy starts, sending to node A" [ -n "$DEV_URL3" ]
dev 3 --json connect request "$ACCOUNT" --no-wait >"$TMP/request3.json" 2>"$TMP/err"
W3=$(jget 'd["Witness"]' "$TMP/request3.json" 2>/dev/null)
DEVICE3=$(jget 'd["DeviceUDF"]' "$TMP/request3.json" 2>/dev/null)
check "device 3 asks to connect through the front ($(cat "$TMP/err"))" [ -n "$W3" ]
check "... node A took it" [ "$(served a ConnectStart 201)" = 1 ]
kill -9 "$A_PID"
wait "$A_PID" 2>/dev/null
check "node A killed with SIGKILL before anyone accepts" sh -c "! kill -0 $A_PID 2>/dev/null"
front_to "$B_PORT"
dev 1 profile set-portal "$B_URL" >"$TMP/out" 2>"$TMP/err"
check "device 1 moves to node B, which serves the same profile (profile set-portal: $(cat \
	"$TMP/err"))" grep -q "^Moved to a new portal: profile $PROFILE" "$TMP/out"
DEV_URL1=$B_URL
jdev 1 'd["Pending"]' connect pending >"$TMP/pending" 2>"$TMP/err"
check "node B lists device 3's request made on node A" grep -q "$DEVICE3.*$W3" "$TMP/pending"
expect_out "device 1 accepts it through node B" "Accepted the device with witness $W3" \
	dev 1 connect accept "$W3"
expect_out "device 3 completes through the front, now sent to node B" \
	"Accepted: this device is connected to the profile" dev 3 connect wait
check "... node B answered the ConnectComplete" [ "$(served b ConnectComplete 200)" = 1 ]
check "... and device 3's ConnectStatus" [ "$(served b ConnectStatus 200)" -ge 2 ]
check "device 3 is in the profile: 3 devices on device 1" \
	[ "$(jdev 1 'len(d["Devices"])' profile show)" = 3 ]
check "... and on device 2 after a sync" \
	[ "$(jdev 2 'len(d["Devices"])' profile sync)" = 3 ]

# ---- 4. PostgreSQL stopped and started again under node B ----
mkdir -p "$TMP/dave"
"$TOOL" entries example.com dave 1 "$TMP/dave" 2>"$TMP/err"
answered "dave created on node B" "201 -" "$B_URL" 127.0.0.1 "$TMP/dave/create.json"
check "PostgreSQL stops" $PGC stop "$PG"
# The same signed Publish three times (a client retrying): refused each time, so never used.
for _ in 1 2 3; do cat "$TMP/dave/publish.json"; done >"$TMP/dave/thrice.json"
send "$B_URL" 127.0.0.1 "$TMP/dave/thrice.json"
FIXED="503 Network \"the portal's store is unavailable: try again shortly\""
check "a signed Publish meanwhile, three times: $FIXED each ($(sort -u "$TMP/answers"))" \
	[ "$(uniq -c "$TMP/answers" | sed 's/^ *//')" = "3 $FIXED" ]
check "... nothing of the database's message: no path, socket, host or libpq text" \
	sh -c "! grep -qiE 'postgres|socket|$PG|reached|server|connection' '$TMP/answers'"
dev 2 profile sync >"$TMP/out" 2>"$TMP/err"
status=$?
check "device 2's profile sync meanwhile exits 25, Network (exit $status)" [ "$status" = 25 ]
check "... saying the store is unavailable, try again ($(cat "$TMP/err"))" \
	grep -q "503.*the portal's store is unavailable: try again shortly" "$TMP/err"
sleep 1.1
check "the health endpoint says 503" [ "$(health "$B_URL")" = '503 {"Status":"unavailable"}' ]
check "node B's log has the reason" grep -q '^servermesh: store: .*cannot be reached' "$TMP/b.log"
# At most one line per 5 s for the same failure: 1 here, or 2 on a machine slow enough to
# spread these requests over more than 5 s; never one for each of the 4 refused.
lines=$(grep -c '^servermesh: store: ' "$TMP/b.log")
refused=$(grep -c ' POST [^ ]* [A-Za-z]* 503 ' "$TMP/b.log")
check "... not once a request: $lines lines" [ "$lines" -le 2 ]
check "... for the $refused requests refused" [ "$refused" -ge 4 ]
check "PostgreSQL starts again" $PGC start "$PG"
answered "the very same Publish then succeeds on node B" "200 -" \
	"$B_URL" 127.0.0.1 "$TMP/dave/publish.json"
check "device 2's profile sync succeeds too" quiet dev 2 profile sync
sleep 1.1
check "the health endpoint says 200" [ "$(health "$B_URL")" = '200 {"Status":"ok"}' ]
check "node B is the same process throughout (pid $B_PID)" kill -0 "$B_PID"

# ---- 5. Shared caps, per-node rates ----
kill -TERM "$B_PID" && wait "$B_PID"
check "node B stops cleanly" [ $? = 0 ]
LIMITS="--pending-per-address 2 --rate 1 --burst 3"
# shellcheck disable=SC2086
node a2 $LIMITS && node b2 $LIMITS
check "nodes A and B start again with $LIMITS" [ $? = 0 ]
"$TOOL" connects alice "$PROFILE" 5 >"$TMP/junk" 2>"$TMP/err"
for i in 1 2 3 4 5; do sed -n "${i}p" "$TMP/junk" >"$TMP/junk$i"; done
answered "a connection request from 127.0.0.7 on node A" "201 -" "$A2_URL" 127.0.0.7 "$TMP/junk1"
answered "another on node B" "201 -" "$B2_URL" 127.0.0.7 "$TMP/junk2"
answered "a third on node A (the cap of 2 counts node B's)" "429 RateLimited" \
	"$A2_URL" 127.0.0.7 "$TMP/junk3"
answered "... and on node B" "429 RateLimited" "$B2_URL" 127.0.0.7 "$TMP/junk4"
answered "one from another address (the cap is per address)" "201 -" \
	"$B2_URL" 127.0.0.9 "$TMP/junk5"
got=$($OPS many "$A2_URL" 127.0.0.8 8 hello)
check "8 Hellos from 127.0.0.8 to node A at once: some 429 ($got)" \
	sh -c "echo '$got' | grep -q '429:'"
got=$($OPS many "$B2_URL" 127.0.0.8 3 hello)
check "... while node B serves the same address: 200 for 3 ($got)" \
	sh -c "echo '$got' | grep -q '^200:3 '"

check "no node logged the database URI" sh -c "! grep -q 'postgresql://' '$TMP'/*.log"
finish
