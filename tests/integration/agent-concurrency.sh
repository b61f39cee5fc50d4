#!/bin/sh
# SPDX-License-Identifier: MIT
# meshagent: 32 concurrent clients x 200 requests (Hello, DeviceList, KeySign; four in flight
# per client) are all answered in order and correctly; each signature is verified with
# python3-cryptography against the key's SPKI.
set -u
AGENT=$1
. "$(dirname "$0")/lib.sh"
PROTO="timeout 240 /usr/bin/python3 $(dirname "$0")/agentproto.py"
eval "$(/usr/bin/python3 "$(dirname "$0")/agentproto.py" env "$TMP")"
PID=
trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$TMP"' EXIT

check "the agent starts (daemon)" timeout 30 "$AGENT"
PID=$(cut -d" " -f1 "$SOCK.lock")
check "a device is created" $PROTO ok "$SOCK" DeviceCreate '{"Description": "load"}'
if $PROTO load "$SOCK" 32 200 >"$TMP/out" 2>&1; then
	ok "$(tail -n 1 "$TMP/out")"
else
	not_ok "load: $(cat "$TMP/out")"
fi
check "the agent is still running" kill -0 "$PID"
check "Shutdown is answered" $PROTO ok "$SOCK" Shutdown
i=0
while kill -0 "$PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "Shutdown stops the agent and removes the socket" [ ! -e "$SOCK" ]
PID=
finish
