#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-ssh-agent with stock OpenSSH ssh-agent as A and meshagent's ssh-agent.sock as B, both
# serving the same throwaway Ed25519 key (added with ssh-add), in a temporary folder that is
# removed afterwards with both agents stopped.
# Usage: sh tests/bench/ssh-agent.sh BENCH-SSH-AGENT MESHAGENT [SECONDS]
# BENCH_ROUNDS=N times N requests per agent instead of SECONDS (default 5); BENCH_STOCK_ONLY=1
# runs stock ssh-agent alone (for meshagents without the ssh-agent socket).
set -eu
BENCH=$1 AGENT=$2 SECS=${3:-5}
. "$(dirname "$0")/../integration/stock-agent-lib.sh"

if [ -n "${BENCH_ROUNDS:-}" ]; then how="--rounds $BENCH_ROUNDS"; else how="--seconds $SECS"; fi
ssh-keygen -q -t ed25519 -N '' -C bench -f "$T/key"

stock_agent "$T/stock.sock"
SSH_AUTH_SOCK="$T/stock.sock" ssh-add -q "$T/key"
if [ -n "${BENCH_STOCK_ONLY:-}" ]; then
	# shellcheck disable=SC2086
	"$BENCH" $how "$T/stock.sock" stock
	exit
fi

mkdir -m 700 "$T/run"
unset MESH_SSH_AGENT_SOCK
MMM_HOME="$T/mmm" "$AGENT" --foreground --hive test --socket "$T/run/agent.sock" \
	>"$T/meshagent.log" 2>&1 &
started $!
wait_for "$T/run/ssh-agent.sock" $! || { cat "$T/meshagent.log" >&2; exit 1; }
SSH_AUTH_SOCK="$T/run/ssh-agent.sock" ssh-add -q "$T/key"
# shellcheck disable=SC2086
"$BENCH" $how "$T/stock.sock" stock "$T/run/ssh-agent.sock" meshagent
