#!/bin/sh
# SPDX-License-Identifier: MIT
# No mesh command waits for ever on its agent (libmeshclient's timeouts, docs/protocol.md
# "Waiting on the agent"), against the real agent, servermesh on loopback and hold-proxy.py,
# which holds portal requests while a control file exists:
#   - an agent stopped with SIGSTOP: a command fails within 30 s with Timeout (31), one line
#     that names the agent's pid and says how to resume it; after SIGCONT it answers again;
#   - 256 connections held open and the listen backlog full: the next command fails within 30 s
#     with Timeout, naming the pid; once they close, the agent serves again;
#   - a portal method held for 22 s (longer than the client's answer check, 20 s) succeeds:
#     the agent shows it is alive, so the client waits on;
#   - the agent killed (SIGKILL) while 'mesh connect request' waits at the portal: the command
#     fails with AgentUnavailable (26), naming the pid and saying to run 'mesh connect wait'.
# Usage: agent-timeouts.sh MESH MESHAGENT SERVERMESH
set -u
MESH=$1 AGENT=$2 SERVERMESH=$3
HERE=$(dirname "$0")
. "$HERE/lib.sh"
PATH=$(dirname "$AGENT"):$PATH
export PATH
unset MESH_AGENT_SOCK MESH_HIVE XDG_CONFIG_HOME MESH_PORTAL_URL MESH_PORTAL_CA
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}intercept_tls_get_addr=0"
URL=
PURL=
SPID=
XPID=
HPID=
AGENTS=
P="$TMP/proxy"
DEV_TIMEOUT=60
. "$HERE/devices-lib.sh"
. "$HERE/hold-lib.sh"
cleanup() {
	for pid in $AGENTS; do
		kill -CONT "$pid" 2>/dev/null
		kill -KILL "$pid" 2>/dev/null
	done
	for pid in $HPID $XPID $SPID; do
		kill "$pid" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

# pid_of N: the pid of device N's agent. (Called as $(pid_of N), in a subshell: the caller adds
# it to AGENTS for the cleanup.)
pid_of() {
	dev "$1" --json agent status | jget 'd["Pid"]'
}
# timed STATUS-FILE SECONDS-FILE CMD...: run CMD (stdout to /dev/null, stderr to $TMP/err),
# keeping its exit status and how many seconds it took.
timed() {
	sfile=$1 tfile=$2
	shift 2
	t0=$(date +%s)
	"$@" >/dev/null 2>"$TMP/err" && echo 0 >"$sfile" || echo $? >"$sfile"
	echo $(($(date +%s) - t0)) >"$tfile"
}
# one_line_with PATTERN...: $TMP/err is one line that matches every PATTERN (fixed strings).
one_line_with() {
	[ "$(wc -l <"$TMP/err")" = 1 ] || return 1
	for pattern in "$@"; do
		grep -qF -- "$pattern" "$TMP/err" || return 1
	done
}

hold_portal_start
# Every device reaches the portal through the proxy, which holds requests only when told to.
URL=$PURL

dev 1 device create --description admin >/dev/null 2>"$TMP/err"
check "device 1 is created (its agent starts)" [ $? = 0 ]
A1=$(pid_of 1)
AGENTS="$AGENTS $A1"

# ---- a stopped agent ----
kill -STOP "$A1"
timed "$TMP/st" "$TMP/t" dev 1 key list
st=$(cat "$TMP/st") t=$(cat "$TMP/t")
check "SIGSTOP: key list fails with Timeout (31) (exit $st after $t s)" [ "$st" = 31 ]
check "... within 30 s ($t s)" [ "$t" -le 30 ]
check "... in one line that names the pid and how to resume it: $(cat "$TMP/err")" \
	one_line_with "pid $A1" "kill -CONT $A1"
timed "$TMP/st" "$TMP/t" dev 1 --json agent status
check "SIGSTOP: agent status fails with Timeout too ($(cat "$TMP/st"), $(cat "$TMP/t") s)" \
	[ "$(cat "$TMP/st")" = 31 -a "$(cat "$TMP/t")" -le 30 ]
kill -CONT "$A1"
check "after SIGCONT the same agent answers again" [ "$(pid_of 1)" = "$A1" ]

# ---- every connection held ----
SOCK="$TMP/d1/run/mesh/CryptoMesh/agent.sock"
/usr/bin/python3 "$HERE/agentproto.py" hold "$SOCK" 256 "$TMP/holding" >"$TMP/hold.log" 2>&1 &
HPID=$!
for _ in $(seq 600); do
	[ -s "$TMP/holding" ] && break
	sleep 0.1
done
check "256 connections are held and the backlog is full ($(cat "$TMP/holding" 2>/dev/null))" \
	[ -s "$TMP/holding" ]
timed "$TMP/st" "$TMP/t" dev 1 key list
st=$(cat "$TMP/st") t=$(cat "$TMP/t")
check "all connections held: key list fails with Timeout (31) (exit $st after $t s)" \
	[ "$st" = 31 ]
check "... within 30 s ($t s)" [ "$t" -le 30 ]
check "... in one line that names the pid and the held connections: $(cat "$TMP/err")" \
	one_line_with "pid $A1" "connections is held"
kill "$HPID"
wait "$HPID" 2>/dev/null
HPID=
timed "$TMP/st" "$TMP/t" dev 1 key list
check "once they close, key list works again ($(cat "$TMP/st"), $(cat "$TMP/t") s)" \
	[ "$(cat "$TMP/st")" = 0 ]

# ---- a live agent that waits on the portal is waited for ----
dev 1 profile create alice@example.com >/dev/null 2>"$TMP/err"
check "device 1 creates alice@example.com" [ $? = 0 ]
touch "$P/hold"
timed "$TMP/st" "$TMP/t" dev 1 profile sync &
SYNC=$!
check "profile sync is held at the portal" wait_held 1
sleep 22
rm -f "$P/hold"
wait "$SYNC"
check "profile sync held for 22 s still succeeds ($(cat "$TMP/st") after $(cat "$TMP/t") s: \
$(cat "$TMP/err"))" [ "$(cat "$TMP/st")" = 0 -a "$(cat "$TMP/t")" -ge 22 ]

# ---- the agent killed during connect request ----
dev 2 device create --description phone >/dev/null 2>"$TMP/err"
check "device 2 is created" [ $? = 0 ]
A2=$(pid_of 2)
AGENTS="$AGENTS $A2"
before=$(held)
touch "$P/hold"
timed "$TMP/st" "$TMP/t" dev 2 connect request alice@example.com &
REQ=$!
check "connect request reaches the portal and is held there" wait_held $((before + 1))
kill -KILL "$A2"
wait "$REQ"
rm -f "$P/hold"
st=$(cat "$TMP/st")
check "SIGKILL during connect request: AgentUnavailable (26) (exit $st)" [ "$st" = 26 ]
check "... in one line that names the pid and says to run 'mesh connect wait': \
$(cat "$TMP/err")" one_line_with "pid $A2" "mesh connect wait"
finish
