#!/bin/sh
# SPDX-License-Identifier: MIT
# Parallel passphrase guessing against a real meshagent: 50 connections guessing for 5 s on the
# ssh-agent socket (UNLOCK of a locked agent), then on agent.sock (Unlock of passphrase-protected
# keys), get at most a couple dozen answers in all, because every check waits at the agent's one
# gate before it hashes; the right passphrase still unlocks afterwards; the gate is shared (wrong
# UNLOCKs on one socket delay Unlock on the other). Usage: agent-guessing.sh MESH MESHAGENT
set -u
MESH=$1 AGENT=$2
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/client-lib.sh"
need ssh-add
HERE=$(cd "$(dirname "$0")" && pwd)
GUESS="timeout 60 /usr/bin/python3 $HERE/guess.py"
PATH=$(dirname "$AGENT"):$PATH
SOCK=$XDG_RUNTIME_DIR/mesh/CryptoMesh/ssh-agent.sock
ASOCK=$XDG_RUNTIME_DIR/mesh/CryptoMesh/agent.sock
export SSH_AUTH_SOCK=$SOCK
unset SSH_ASKPASS SSH_ASKPASS_REQUIRE DISPLAY
mesh() { timeout 60 "$MESH" --hive test "$@"; }
# The most answers 50 guessers may get in 5 s ("a couple dozen"): the gate's delays (100 ms more
# per failure, up to 2 s) allow about ten; a per-connection delay lets every connection guess on
# its own, and no delay lets them all guess as fast as the agent hashes.
MAX_ANSWERS=20

printf '#!/bin/sh\nprintf "%%s\\n" "$PASS"\n' >"$TMP/pass.sh"
chmod 755 "$TMP/pass.sh"
printf 'correct horse\n' >"$TMP/pass"
printf 'wrong horse\n' >"$TMP/wrong"
# ms CMD...: run CMD; print how long it took, in milliseconds.
ms() {
	_start=$(date +%s%N)
	"$@" >/dev/null 2>&1
	echo $((($(date +%s%N) - _start) / 1000000))
}
xunlock() { PASS=$1 SSH_ASKPASS=$TMP/pass.sh SSH_ASKPASS_REQUIRE=force timeout 30 ssh-add -X; }

check "a device with passphrase-protected keys" \
	sh -c "timeout 60 '$MESH' --hive test --json device create --passphrase-file '$TMP/pass' \
	>'$TMP/dev.json'"
SIG=$(jget 'd["Keys"]["Signature"]' "$TMP/dev.json")
head -c 100 /dev/urandom >"$TMP/data"

# ---- the ssh-agent socket ----
ssh-keygen -q -t ed25519 -N '' -f "$TMP/key"
check "ssh-add a key" timeout 20 ssh-add -q "$TMP/key"
check "ssh-add -x locks the ssh-agent" sh -c "PASS=right-one SSH_ASKPASS='$TMP/pass.sh' \
	SSH_ASKPASS_REQUIRE=force timeout 20 ssh-add -x 2>/dev/null"
n=$($GUESS ssh "$SOCK" 50 5 wrong-one) || n=error
check "50 parallel UNLOCK guessers for 5 s: at most $MAX_ANSWERS answers ($n)" \
	sh -c "[ '$n' != error ] && [ '$n' -le $MAX_ANSWERS ] && [ '$n' -ge 1 ]"
t=$(ms xunlock right-one)
check "then the right passphrase unlocks the ssh-agent, within one delay ($t ms)" \
	sh -c "[ $t -le 4000 ] && timeout 20 ssh-add -l >/dev/null"

# ---- agent.sock ----
# What a right mesh unlock costs with no delay owed (process start and the key's passphrase
# hash: seconds under the sanitizers): the bound after the guessers is this plus one delay.
mesh lock >/dev/null
t0=$(ms mesh unlock --passphrase-file "$TMP/pass")
mesh lock >/dev/null
expect_fail "locked: the protected key does not sign (Locked)" 14 "." \
	mesh key sign --key "$SIG" "$TMP/data"
n=$($GUESS mesh "$ASOCK" 50 5 "wrong horse") || n=error
check "50 parallel Unlock guessers for 5 s: at most $MAX_ANSWERS answers ($n)" \
	sh -c "[ '$n' != error ] && [ '$n' -le $MAX_ANSWERS ] && [ '$n' -ge 1 ]"
check "the agent still answers other requests meanwhile and after" \
	timeout 10 /usr/bin/python3 "$HERE/agentproto.py" ok "$ASOCK" Status
t=$(ms mesh unlock --passphrase-file "$TMP/pass")
# One delay is at most 2 s (core/passgate.h); 1.5 s more is the margin for a busy machine.
# Abandoned guesses still queued at the gate would cost a delay each: many seconds.
check "then mesh unlock with the right passphrase succeeds, within one delay ($t ms; $t0 ms with none)" \
	sh -c "[ $t -le $((t0 + 3500)) ]"
check "and the protected key signs" mesh key sign --key "$SIG" --out "$TMP/sig" "$TMP/data"

# ---- one gate for both ----
# 25 guessers on each socket at once, for 5 s: one gate for the whole agent answers them about
# as many times in all as 50 on one socket; a gate per socket would answer each side as often.
mesh lock >/dev/null
check "ssh-add -x locks the ssh-agent again" sh -c "PASS=right-one SSH_ASKPASS='$TMP/pass.sh' \
	SSH_ASKPASS_REQUIRE=force timeout 20 ssh-add -x 2>/dev/null"
$GUESS ssh "$SOCK" 25 5 wrong-one >"$TMP/n-ssh" 2>"$TMP/e-ssh" &
g1=$!
$GUESS mesh "$ASOCK" 25 5 "wrong horse" >"$TMP/n-mesh" 2>"$TMP/e-mesh" &
g2=$!
wait $g1 $g2
n1=$(cat "$TMP/n-ssh") n2=$(cat "$TMP/n-mesh")
check "25 + 25 guessers on both sockets at once for 5 s: at most 15 answers in all ($n1 + $n2; \
a gate per socket gives each side about ten)" \
	sh -c "[ -n '$n1' ] && [ -n '$n2' ] && [ \$(($n1 + $n2)) -le 15 ]"
sleep 2.5
check "mesh unlock succeeds once the delay is over" mesh unlock --passphrase-file "$TMP/pass"
check "and the protected key signs" mesh key sign --key "$SIG" --out "$TMP/sig" "$TMP/data"
check "the right UNLOCK after it is not delayed" sh -c "[ $(ms xunlock right-one) -lt 1500 ]"
finish
