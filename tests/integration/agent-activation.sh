#!/bin/sh
# SPDX-License-Identifier: MIT
# meshagent under systemd-socket-activate: it serves the socket it is passed (LISTEN_FDS), says
# so in Status, and leaves the socket to its owner when SIGTERM stops it.
set -u
AGENT=$1
. "$(dirname "$0")/lib.sh"
PROTO="timeout 60 /usr/bin/python3 $(dirname "$0")/agentproto.py"
eval "$(/usr/bin/python3 "$(dirname "$0")/agentproto.py" env "$TMP")"
mkdir -m 700 "$TMP/act"
SOCK=$TMP/act/agent.sock
PID=
trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$TMP"' EXIT

timeout 120 systemd-socket-activate -l "$SOCK" "$AGENT" --foreground >"$TMP/log" 2>&1 &
PID=$!
check "Hello is answered on the passed socket" $PROTO wait "$SOCK" 20
$PROTO call "$SOCK" Status >"$TMP/status" 2>&1
check "Status names the passed socket" grep -q "\"Socket\": \"$SOCK\"" "$TMP/status"
check "the agent did not make its default socket" \
	[ ! -e "$XDG_RUNTIME_DIR/mesh/CryptoMesh/agent.sock" ]
kill -TERM "$PID"
wait "$PID" && status=0 || status=$?
PID=
check "SIGTERM: exit status 0 (got $status)" [ "$status" = 0 ]
check "the passed socket is left to its owner" [ -S "$SOCK" ]
check "the lock file is removed" [ ! -e "$SOCK.lock" ]
finish
