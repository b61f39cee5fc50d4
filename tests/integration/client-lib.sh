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

# need TOOL...: a failed check (not a skip) for each tool that is missing.
need() {
	for tool in "$@"; do
		command -v "$tool" >/dev/null || not_ok "$tool is not installed: this test needs it"
	done
}

need /usr/bin/python3
