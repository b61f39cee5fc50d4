#!/bin/sh
# SPDX-License-Identifier: MIT
# meshagent under systemd-socket-activate: it serves the socket it is passed (LISTEN_FDS), says
# so in Status, and leaves the socket to its owner when SIGTERM stops it. Passed two sockets
# named by LISTEN_FDNAMES (in either order, whatever their paths), it serves the ssh-agent
# protocol on the one named ssh-agent: ssh-add through it starts the agent and is answered.
# Two sockets it cannot tell apart, or the ssh-agent socket alone, stop it with a message.
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

# Two sockets, the ssh-agent one first and not called ssh-agent.sock: told apart by their names.
SSH=$TMP/act/keys.sock
rm -f "$SOCK"
timeout 120 systemd-socket-activate -l "$SSH" -l "$SOCK" --fdname=ssh-agent:agent "$AGENT" \
	--foreground >"$TMP/log" 2>&1 &
PID=$!
for _ in $(seq 50); do grep -q "as 4" "$TMP/log" && break; sleep 0.1; done
SSH_AUTH_SOCK=$SSH timeout 30 ssh-add -l >"$TMP/ssh-add" 2>&1
st=$?
grep -q "has no identities" "$TMP/ssh-add" || st="$st, $(cat "$TMP/ssh-add")"
check "named sockets: ssh-add -l on the one named ssh-agent starts the agent, answered ($st)" \
	[ "$st" = 1 ]
$PROTO call "$SOCK" Status >"$TMP/status" 2>&1
check "Status names both sockets as passed" sh -c "grep -q '\"Socket\": \"$SOCK\"' \
	'$TMP/status' && grep -q '\"SSHAgentSocket\": \"$SSH\"' '$TMP/status'"
check "the agent did not make an ssh-agent.sock of its own" [ ! -e "$TMP/act/ssh-agent.sock" ]
kill -TERM "$PID"
wait "$PID" && status=0 || status=$?
PID=
check "SIGTERM: exit status 0 ($status); both sockets left, their locks removed" sh -c \
	"[ $status = 0 ] && [ -S '$SSH' -a -S '$SOCK' ] && [ ! -e '$SSH.lock' -a ! -e '$SOCK.lock' ]"
rm -f "$SSH" "$SOCK"

# refused NAME STATUS PATTERN ARGS...: the agent, activated with ARGS, exits STATUS with a message
# that matches PATTERN, once a connection starts it.
refused() {
	name=$1 want=$2 pattern=$3
	shift 3
	timeout 120 systemd-socket-activate "$@" "$AGENT" --foreground >"$TMP/log" 2>&1 &
	PID=$!
	for _ in $(seq 50); do grep -q "Listening on $SOCK" "$TMP/log" && break; sleep 0.1; done
	$PROTO call "$SOCK" Hello >/dev/null 2>&1
	wait "$PID" && status=0 || status=$?
	PID=
	check "$name: exit $status (want $want)" [ "$status" = "$want" ]
	check "... saying so: $(grep meshagent: "$TMP/log")" grep -q "meshagent: .*$pattern" "$TMP/log"
	rm -f "$TMP/act/a.sock" "$SOCK"
}
refused "two sockets neither named nor called ssh-agent.sock" 3 "two agent sockets" \
	-l "$TMP/act/a.sock" -l "$SOCK"
refused "the ssh-agent socket alone" 3 "ssh-agent socket only" -l "$SOCK" --fdname=ssh-agent
finish
