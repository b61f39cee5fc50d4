#!/bin/sh
# SPDX-License-Identifier: MIT
# The agent keeps serving while a session method waits on a slow portal: servermesh on loopback
# behind hold-proxy.py, which holds requests while a control file exists. With 'mesh profile
# create' held at the portal, the same agent answers agent status, key sign, device list,
# profile list and lock at once (each bounded by a 10-second timeout), and a second remote verb
# queues behind the first; on release both finish. Then SIGTERM while 'mesh profile sync' is
# held: the client gets Cancelled (28) in one line, the agent exits within its grace period,
# and the next command starts a new agent over the intact hive.
# Usage: agent-portal-wait.sh MESH MESHAGENT SERVERMESH
set -u
MESH=$1 AGENT=$2 SERVERMESH=$3
HERE=$(dirname "$0")
. "$HERE/lib.sh"
PATH=$(dirname "$AGENT"):$PATH
export PATH
unset MESH_PORTAL_URL MESH_PORTAL_CA
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}intercept_tls_get_addr=0"
. "$HERE/client-lib.sh"
. "$HERE/hold-lib.sh"
PURL=
P="$TMP/proxy"

# dev: a verb that may wait on the portal; now: one that must be answered at once.
dev() { MESH_PORTAL_URL="$PURL" timeout 60 "$MESH" --hive test "$@"; }
now() { MESH_PORTAL_URL="$PURL" timeout 10 "$MESH" --hive test "$@"; }
account() { now --json profile show | jget 'd["Account"]'; }
hold_portal_start
EXTRA_PIDS="$EXTRA_PIDS $SPID $XPID"

dev --json device create --description laptop >"$TMP/device.json" 2>"$TMP/err"
check "a device is created" [ $? = 0 ]
KEY=$(jget 'd["Keys"]["Signature"]' "$TMP/device.json")
printf 'sign me' >"$TMP/data"

# 1. profile create held at the portal; everything else answers meanwhile.
touch "$P/hold"
dev profile create alice@example.com >"$TMP/create.out" 2>"$TMP/create.err" &
CPID=$!
check "profile create reaches the portal and is held there" wait_held 1
now agent status >/dev/null 2>"$TMP/err"
check "agent status answers while the portal holds a request" [ $? = 0 ]
now key sign --key "$KEY" --out "$TMP/sig" "$TMP/data" 2>"$TMP/err"
check "key sign answers while the portal holds a request" [ $? = 0 ]
check "the signature is 64 bytes" [ "$(wc -c <"$TMP/sig")" = 64 ]
now device list >/dev/null 2>"$TMP/err"
check "device list answers while the portal holds a request" [ $? = 0 ]
now profile list >/dev/null 2>"$TMP/err"
check "profile list (a local session method) answers meanwhile" [ $? = 0 ]
check "profile create is still waiting" kill -0 "$CPID"
dev account validate bob@example.com >"$TMP/validate.out" 2>"$TMP/validate.err" &
VPID=$!
now lock >/dev/null 2>"$TMP/err"
check "lock answers while two session methods wait" [ $? = 0 ]
check "the queued account validate is still waiting" kill -0 "$VPID"
check "the portal has seen one request only" [ "$(held)" = 1 ]
rm -f "$P/hold"
wait "$CPID"
check "profile create finishes once the portal answers" [ $? = 0 ]
wait "$VPID"
check "account validate finishes after it" [ $? = 0 ]
expect_out "the profile is there" "alice@example.com" account

# 2. SIGTERM while profile sync is held.
APID=$(now --json agent status | jget 'd["Pid"]')
before=$(held)
touch "$P/hold"
dev profile sync >"$TMP/sync.out" 2>"$TMP/sync.err" &
SYPID=$!
check "profile sync reaches the portal and is held there" wait_held $((before + 1))
kill -TERM "$APID"
wait "$SYPID"
status=$?
check "the held client gets Cancelled (28)" [ "$status" = 28 ]
check "... said in one line" sh -c "[ \$(wc -l <'$TMP/sync.err') = 1 ] &&
	grep -q 'cancel\|stopping' '$TMP/sync.err'"
gone=no
for _ in $(seq 100); do
	kill -0 "$APID" 2>/dev/null || { gone=yes; break; }
	sleep 0.1
done
check "the agent exits within its grace period" [ "$gone" = yes ]
rm -f "$P/hold"
expect_out "a new agent serves the intact hive" "alice@example.com" account
finish
