# SPDX-License-Identifier: MIT
# For the scripts that run stock OpenSSH ssh-agent (tests/bench/ssh-agent.sh,
# tests/fuzz/record-ssh-agent.sh). Sourced; gives a temporary folder $T, and at exit stops the
# processes recorded with `started PID` (by pid), reaps them and removes $T.
#
#   started PID           stop PID at exit
#   wait_for SOCKET PID   until SOCKET exists (10 s at most), or PID has gone: then 1
#   stock_agent SOCKET [VAR=VALUE...]   ssh-agent -D on SOCKET with those variables, waited for
T=$(mktemp -d)
PIDS=
started() { PIDS="$PIDS $1"; }
stock_agent_cleanup() {
	for pid in $PIDS; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap stock_agent_cleanup EXIT
trap 'exit 1' INT TERM

wait_for() {
	i=0
	while [ ! -S "$1" ] && [ $i -lt 200 ] && kill -0 "$2" 2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -S "$1" ] || { echo "$0: $1 did not appear" >&2; return 1; }
}

stock_agent() {
	sock=$1
	shift
	env "$@" ssh-agent -D -a "$sock" >/dev/null 2>"$sock.log" &
	started $!
	wait_for "$sock" $!
}
