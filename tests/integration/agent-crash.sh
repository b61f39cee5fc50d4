#!/bin/sh
# SPDX-License-Identifier: MIT
# meshagent: kill -9 lands at a random moment in a run of DeviceCreate writes, three times;
# each restart replaces the stale socket, and at the end every acknowledged device is listed and
# loads, every key reads, every entry of the hive parses, and temporary files are not entries.
set -u
AGENT=$1
. "$(dirname "$0")/lib.sh"
PROTO="/usr/bin/python3 $(dirname "$0")/agentproto.py"
eval "$(/usr/bin/python3 "$(dirname "$0")/agentproto.py" env "$TMP")"
PID= WPID=
trap 'for p in $PID $WPID; do kill -9 "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT
: >"$TMP/acked"

for round in 1 2 3; do
	check "round $round: the agent starts$([ $round -gt 1 ] && echo ' over the stale socket')" \
		timeout 30 "$AGENT"
	PID=$(cut -d" " -f1 "$SOCK.lock")
	timeout 120 $PROTO writer "$SOCK" "$TMP/acked" 2>/dev/null &
	WPID=$!
	# 0.5 to 2.5 seconds of writes, then kill -9 at whatever point the agent is.
	sleep "$(awk 'BEGIN { srand(); printf "%.2f", 0.5 + 2 * rand() }')"
	kill -9 "$PID"
	wait "$WPID"
	PID= WPID=
	check "round $round: the socket is left behind" [ -S "$SOCK" ]
done
check "the agent starts again" timeout 30 "$AGENT"
PID=$(cut -d" " -f1 "$SOCK.lock")
if timeout 120 $PROTO check "$SOCK" "$MMM_HOME/CryptoMesh" "$TMP/acked" >"$TMP/out" 2>&1; then
	ok "$(tail -n 1 "$TMP/out")"
else
	not_ok "$(cat "$TMP/out")"
fi
kill -TERM "$PID"
finish
