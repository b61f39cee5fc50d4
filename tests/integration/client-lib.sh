# SPDX-License-Identifier: MIT
# Sourced by the agent-*.sh scripts of the client side after lib.sh, with MESH set to the mesh
# binary: a private HOME, XDG_RUNTIME_DIR and MMM_HOME under $TMP, and an exit trap that stops
# the agents started meanwhile, by pid (never by name), then removes $TMP.
export HOME="$TMP/home" XDG_RUNTIME_DIR="$TMP/run" MMM_HOME="$TMP/home/.mmm"
unset MESH_AGENT_SOCK MESH_HIVE XDG_CONFIG_HOME
mkdir -p "$HOME" && mkdir -m 700 "$XDG_RUNTIME_DIR"
EXTRA_PIDS=

# agent_pid HIVE: the pid of the agent running for HIVE, or nothing.
agent_pid() {
	timeout 10 "$MESH" --hive "$1" agent status 2>/dev/null | sed -n 's/.*: pid //p'
}
cleanup() {
	for pid in $(agent_pid test) $(agent_pid production) $EXTRA_PIDS; do
		kill "$pid" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

# agent_start [ARG...]: meshagent ($AGENT) for the test hive, as a daemon, until its ssh-agent
# socket ($SOCK) is there.
agent_start() {
	timeout 30 "$AGENT" --hive test "$@" 2>"$TMP/err" || { cat "$TMP/err"; return 1; }
	for _i in $(seq 1 50); do
		[ -S "$SOCK" ] && return 0
		sleep 0.1
	done
	return 1
}
# agent_stop: the agent of the socket $ASOCK, by the pid in its lock file; waits until it is
# gone.
agent_stop() {
	_pid=$(cut -d" " -f1 "$ASOCK.lock" 2>/dev/null)
	[ -n "$_pid" ] || return 1
	kill "$_pid"
	for _i in $(seq 1 100); do
		kill -0 "$_pid" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# need TOOL...: a failed check (not a skip) for each tool that is missing.
need() {
	for tool in "$@"; do
		command -v "$tool" >/dev/null || not_ok "$tool is not installed: this test needs it"
	done
}

need /usr/bin/python3
