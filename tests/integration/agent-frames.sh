#!/bin/sh
# SPDX-License-Identifier: MIT
# meshagent: an oversize length, a zero length, garbage, a frame that is not JSON and a truncated
# frame each close only their own connection while another connection keeps being answered;
# a client that does not read is paused without starving others; at most 256 connections are
# served at once; SIGTERM shuts the agent down and removes its socket and lock file.
set -u
AGENT=$1
. "$(dirname "$0")/lib.sh"
PROTO="timeout 60 /usr/bin/python3 $(dirname "$0")/agentproto.py"
eval "$(/usr/bin/python3 "$(dirname "$0")/agentproto.py" env "$TMP")"
PID=
trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$TMP"' EXIT

check "the agent starts (daemon)" timeout 30 "$AGENT"
PID=$(cut -d" " -f1 "$SOCK.lock")
$PROTO frames "$SOCK" >"$TMP/out" 2>&1
while read -r status text; do
	case $status in
	ok) ok "${text#- }" ;;
	*) not_ok "${text#- } ($(cat "$TMP/out"))" ;;
	esac
done <"$TMP/out"
check "the agent is still running" kill -0 "$PID"
check "Hello is answered after the bad frames" $PROTO ok "$SOCK" Hello

kill -TERM "$PID"
i=0
while kill -0 "$PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "SIGTERM stops the agent" sh -c "! kill -0 $PID 2>/dev/null"
check "the socket is removed" [ ! -e "$SOCK" ]
check "the lock file is removed" [ ! -e "$SOCK.lock" ]
PID=
finish
