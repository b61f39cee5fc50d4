#!/bin/sh
# SPDX-License-Identifier: MIT
# What one 'mesh password get' costs the agent (docs/benchmarks.md "password-get"): servermesh
# for example.com on loopback, one device (its keys under a passphrase, unlocked) holding
# alice@example.com with one stored login, then against the running, warm agent:
#  - hive reads: files the agent opens under the hive (strace -e openat) for one get;
#  - signature checks (mesh_key_verify) and private-key unwraps (mesh_openssh_private_decode,
#    pkcs8_decode) for one get, counted by gdb breakpoints;
#  - wall time of ROUNDS gets (each a mesh process: start-up included), beside the floor measured
#    in the same run: ROUNDS of 'mesh --version' (the same process start, no agent): what is
#    above it is the connection and the agent's work.
# strace and gdb are required (tools/deps.sh installs them): without them this fails, it does not
# skip. Attaching to the agent needs ptrace rights over it (root, as in CI).
# Usage: password-get.sh MESH MESHAGENT SERVERMESH [ROUNDS]   (ROUNDS 0: counts only)
set -u
MESH=$1 AGENT=$2 SERVERMESH=$3 ROUNDS=${4:-50}
HERE=$(cd "$(dirname "$0")/../integration" && pwd)
. "$HERE/lib.sh"
PATH=$(dirname "$AGENT"):$PATH
export PATH
unset MESH_AGENT_SOCK MESH_HIVE XDG_CONFIG_HOME MESH_PORTAL_URL MESH_PORTAL_CA
DEVICES=1
. "$HERE/portal-lib.sh"
. "$HERE/devices-lib.sh"
STRACE_PID= GDB_PID=
# quiet_ok CMD...: CMD with its output dropped (for check).
quiet_ok() { "$@" >/dev/null 2>"$TMP/err"; }
cleanup() {
	[ -n "$STRACE_PID" ] && kill "$STRACE_PID" 2>/dev/null
	[ -n "$GDB_PID" ] && kill "$GDB_PID" 2>/dev/null
	pid=$(dev 1 agent status 2>/dev/null | sed -n 's/.*: pid //p')
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	portal_kill
	rm -rf "$TMP"
}
trap cleanup EXIT

check "servermesh starts" portal_start "$TMP/portal.log" --db "$TMP/portal.db"
printf 'correct horse\n' >"$TMP/pass"
check "device create" quiet_ok dev 1 device create --passphrase-file "$TMP/pass"
check "profile create" quiet_ok dev 1 profile create alice@example.com
check "password add" quiet_ok dev 1 password add github.com alice a-pass
expect_out "password get (warm)" "a-pass" dev 1 password get github.com
PID=$(dev 1 agent status 2>/dev/null | sed -n 's/.*: pid //p')
HIVE="$TMP/d1/.mmm/CryptoMesh"

check "strace is installed" command -v strace
check "gdb is installed" command -v gdb

if command -v strace >/dev/null 2>&1; then
	strace -f -qq -p "$PID" -e trace=openat -o "$TMP/strace" &
	STRACE_PID=$!
	sleep 1
	dev 1 password get github.com >/dev/null
	sleep 0.5
	kill "$STRACE_PID"
	wait "$STRACE_PID" 2>/dev/null
	STRACE_PID=
	READS=$(grep -c "\"$HIVE/" "$TMP/strace")
	echo "hive reads per get: $READS"
	grep "\"$HIVE/" "$TMP/strace" | sed 's/.*"\(.*\)".*/    \1/; s#'"$HIVE"'/##'
fi

if command -v gdb >/dev/null 2>&1; then
	cat >"$TMP/count.gdb" <<'GDB'
set pagination off
set confirm off
handle SIGWINCH stop print nopass
handle SIGPIPE nostop noprint pass
break mesh_key_verify
commands
silent
continue
end
break mesh_openssh_private_decode
commands
silent
continue
end
break pkcs8_decode
commands
silent
continue
end
continue
info breakpoints
detach
GDB
	gdb -q -batch -p "$PID" -x "$TMP/count.gdb" >"$TMP/gdb.out" 2>&1 &
	GDB_PID=$!
	sleep 3
	dev 1 password get github.com >/dev/null
	kill -WINCH "$PID"
	wait "$GDB_PID"
	[ -n "${KEEP_GDB:-}" ] && cp "$TMP/gdb.out" /tmp/rp-gdb.out
	GDB_PID=
	# hits FUNCTION: how often its breakpoint was hit (0 when never).
	hits() {
		n=$(grep -A2 "in $1 " "$TMP/gdb.out" |
			sed -n 's/.*already hit \([0-9]*\) time.*/\1/p' | head -1)
		echo "${n:-0}"
	}
	echo "signature checks per get: $(hits mesh_key_verify)"
	echo "key unwraps per get: $(( $(hits mesh_openssh_private_decode) + $(hits pkcs8_decode) ))"
fi

# per_call_us CMD...: microseconds per run of CMD, over ROUNDS runs.
per_call_us() {
	t0=$(date +%s%N)
	i=0
	while [ $i -lt "$ROUNDS" ]; do
		"$@" >/dev/null || return 1
		i=$((i + 1))
	done
	t1=$(date +%s%N)
	echo $(( (t1 - t0) / ROUNDS / 1000 ))
}
if [ "$ROUNDS" -gt 0 ]; then
	floor=$(per_call_us "$MESH" --version)
	get=$(per_call_us dev 1 password get github.com)
	check "the timed gets and the floor runs succeed" [ -n "$floor" ] && [ -n "$get" ]
	echo "wall time per get (mesh process included): ${get:-?} us over $ROUNDS;" \
		"floor (mesh --version): ${floor:-?} us"
fi
finish
