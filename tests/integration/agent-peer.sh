#!/bin/sh
# SPDX-License-Identifier: MIT
# meshagent: the socket is 0600 in a 0700 folder; a client running as another user is closed on
# without an answer even when the file modes would let it connect; one agent per hive.
set -u
AGENT=$1
. "$(dirname "$0")/lib.sh"
PY="/usr/bin/python3 $(cd "$(dirname "$0")" && pwd)/agentproto.py"
PROTO="timeout 60 $PY"
eval "$(/usr/bin/python3 "$(dirname "$0")/agentproto.py" env "$TMP")"
PIDS=
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT

check "the agent starts (daemon)" timeout 30 "$AGENT"
PIDS=$(cut -d" " -f1 "$SOCK.lock")
check "socket mode 600" [ "$(stat -c %a "$SOCK")" = 600 ]
check "socket folder mode 700" [ "$(stat -c %a "$(dirname "$SOCK")")" = 700 ]
check "Hello is answered for the same user" $PROTO ok "$SOCK" Hello

# One agent per hive: a second start names the running one and exits with Exists (13).
timeout 30 "$AGENT" 2>"$TMP/err" && status=0 || status=$?
if [ "$status" = 13 ] && grep -q "an agent for the test hive is already running (pid $PIDS, socket $SOCK)" "$TMP/err"; then
	ok "a second agent for the hive is refused"
else
	not_ok "a second agent: exit $status, $(cat "$TMP/err")"
fi
# ... also when it is given another socket: the hive itself is locked.
timeout 30 "$AGENT" --socket "$TMP/other.sock" 2>"$TMP/err" && status=0 || status=$?
if [ "$status" = 13 ] && grep -q "already running (pid $PIDS, socket $SOCK)" "$TMP/err" &&
	[ ! -e "$TMP/other.sock" ]; then
	ok "a second agent for the hive on another socket is refused"
else
	not_ok "a second agent on another socket: exit $status, $(cat "$TMP/err")"
fi
check "the first agent still answers" $PROTO ok "$SOCK" Status

# The uid check itself: a second agent (production hive) whose socket anyone may connect to.
if [ "$(id -u)" = 0 ]; then
	chmod 711 "$TMP"
	PUB=$TMP/pub/agent.sock
	check "a second agent on another socket" timeout 30 "$AGENT" --hive production --socket "$PUB"
	PIDS="$PIDS $(cut -d" " -f1 "$PUB.lock")"
	chmod 711 "$TMP/pub" && chmod 666 "$PUB"
	check "root's own client is answered on the open socket" $PROTO ok "$PUB" Hello
	check "user nobody is closed on without an answer" timeout 60 setpriv --reuid=nobody \
		--regid=nogroup --clear-groups $PY refused "$PUB"
	check "user nobody (su) is closed on without an answer" timeout 60 su nobody \
		-s /bin/sh -c "$PY refused $PUB"
	check "the agent still answers its user" $PROTO ok "$PUB" Hello
else
	not_ok "the uid check needs root to run a client as nobody"
fi
finish
