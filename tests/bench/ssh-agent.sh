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
T=$(mktemp -d)
PIDS=
cleanup() {
	for pid in $PIDS; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wait_for SOCKET PID: until SOCKET exists (10 s at most), or fail if PID has gone.
wait_for() {
	i=0
	while [ ! -S "$1" ] && [ $i -lt 200 ] && kill -0 "$2" 2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -S "$1" ] || { echo "ssh-agent.sh: $1 did not appear" >&2; return 1; }
}

if [ -n "${BENCH_ROUNDS:-}" ]; then how="--rounds $BENCH_ROUNDS"; else how="--seconds $SECS"; fi
ssh-keygen -q -t ed25519 -N '' -C bench -f "$T/key"

ssh-agent -D -a "$T/stock.sock" >/dev/null &
PIDS="$PIDS $!"
wait_for "$T/stock.sock" $!
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
PIDS="$PIDS $!"
wait_for "$T/run/ssh-agent.sock" $! || { cat "$T/meshagent.log" >&2; exit 1; }
SSH_AUTH_SOCK="$T/run/ssh-agent.sock" ssh-add -q "$T/key"
# shellcheck disable=SC2086
"$BENCH" $how "$T/stock.sock" stock "$T/run/ssh-agent.sock" meshagent
