#!/bin/sh
# SPDX-License-Identifier: MIT
# Per-program policy and approval (issue 17) through meshagent's real sockets. The programs are
# told apart by the executable the agent sees: ssh and ssh-add (OpenSSH, against sshd on
# loopback), python3 (agentproto.py on the agent socket, sshproto.py on the ssh-agent socket) and
# mesh. Checked: a key python3 is denied while ssh and mesh use it, and the lists each program is
# offered; ssh with 8 keys and MaxAuthTries 3 logs in once the policy offers it only the right
# key; ask answered by an askpass program each way (once, always: a pinned rule, deny, silence:
# Timeout); the approval queue from a second terminal (approve, deny, timeout then NotFound, a
# client that hangs up); a protected hive, where loosening needs the passphrase (29 without it or
# with a wrong one); and a rules entry garbled behind the agent's back, which refuses every use
# until mesh policy reset. Usage: policy.sh MESH MESHAGENT
set -u
MESH=$1 AGENT=$2
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/client-lib.sh"
. "$(dirname "$0")/sshd-lib.sh"
need ssh-add sha256sum
HERE=$(cd "$(dirname "$0")" && pwd)
PATH=$(dirname "$AGENT"):$PATH
PROTO="timeout 60 /usr/bin/python3 $HERE/agentproto.py"
SPROTO="timeout 60 /usr/bin/python3 $HERE/sshproto.py"
ASOCK=$XDG_RUNTIME_DIR/mesh/CryptoMesh/agent.sock
PSOCK=$XDG_RUNTIME_DIR/mesh/MathematicalMesh/agent.sock
SOCK=$XDG_RUNTIME_DIR/mesh/CryptoMesh/ssh-agent.sock
export SSH_AUTH_SOCK=$SOCK POLICY_ASKPASS_DIR=$TMP/askpass MESH_AGENT_APPROVAL_SECONDS=3
unset SSH_ASKPASS SSH_ASKPASS_REQUIRE DISPLAY
mkdir -p "$POLICY_ASKPASS_DIR"
# The programs as the agent sees them: the real path of the running executable.
PY=$(/usr/bin/python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')
SSH=$(readlink -f "$(command -v ssh)")
SSHADD=$(readlink -f "$(command -v ssh-add)")
mesh() { timeout 60 "$MESH" --hive test "$@" </dev/null; }
pmesh() { timeout 60 "$MESH" --hive production "$@" </dev/null; }
sadd() { timeout 20 ssh-add "$@"; }
trap 'sshd_stop "$TMP/sshd"; cleanup' EXIT

# agent_restart [ARG...]: a new run of the test hive's agent (a new approval queue).
agent_restart() { agent_stop && agent_start "$@"; }

# answer_of FILE: "ok" for an agent answer with a Result, else its error code.
answer_of() { jget '"ok" if "Result" in d else d["Error"]["Code"]' "$1"; }
# keysign SOCK UDF: python3 (agentproto.py) asks for a KeySign; prints answer_of its answer.
keysign() {
	$PROTO call "$1" KeySign "$(sign_params "$2")" >"$TMP/ks" 2>&1
	answer_of "$TMP/ks"
}
sign_params() { printf '{"UDF": "%s", "Data": "c2lnbiB0aGlz"}' "$1"; }
# bg CMD...: CMD in the background: its pid in BG (stopped by the exit trap if need be), what it
# prints in $TMP/bg.
bg() {
	"$@" >"$TMP/bg" 2>&1 &
	BG=$!
	EXTRA_PIDS="$EXTRA_PIDS $BG"
}
# keysign_bg SOCK UDF: keysign in the background: BG is python3's pid.
keysign_bg() { bg /usr/bin/python3 "$HERE/agentproto.py" call "$1" KeySign "$(sign_params "$2")"; }
# bg_is NAME EXPECTED: the background KeySign ends, answered EXPECTED (as answer_of says).
bg_is() {
	wait "$BG"
	expect_out "$1" "$2" answer_of "$TMP/bg"
}
# waiting MESH-FUNC: the requests mesh approve --list --json shows, as "Id Program Pid Operation
# Key", once there is one (at most 5 s); nothing when none comes.
waiting() {
	for _i in $(seq 1 50); do
		_got=$($1 --json approve --list | jget '"\n".join("%s %s %s %s %s" % (r["Id"],
r.get("Program"), r["Pid"], r["Operation"], r.get("Key")) for r in d["Requests"])')
		[ -n "$_got" ] && { echo "$_got"; return 0; }
		sleep 0.1
	done
}
# first_waiting MESH-FUNC: the Id of the first request waiting.
first_waiting() { waiting "$1" | head -n 1 | cut -d" " -f1; }
# queue_empty MESH-FUNC: mesh approve --list says no request waits (within 1 s).
queue_empty() {
	for _i in $(seq 1 10); do
		$1 approve --list | grep -qx "No request waits for an answer" && return 0
		sleep 0.1
	done
	return 1
}
# sp_listed, sadd_listed: yes when the key main is offered to python3 (sshproto.py) or to
# ssh-add (-L), else no.
sp_listed() { $SPROTO listed "$SOCK" "$TMP/k/main.pub"; }
sadd_listed() {
	sadd -L 2>/dev/null | cut -d" " -f1,2 | grep -qxF "$(cut -d" " -f1,2 "$TMP/k/main.pub")" &&
		echo yes || echo no
}
# rules: the policy as "PROGRAM TARGET DECISION SHA256" lines (mesh policy list --json).
rules() {
	mesh --json policy list | jget '"\n".join("%s %s %s %s" % (r["Program"], r.get("Key",
r.get("App", "ssh")), r["Decision"], r.get("SHA256")) for r in d["Rules"])'
}
# rule_of PROGRAM: its rules, as rules prints them.
rule_of() { rules | grep -F "$1 "; }
# asked: how many questions the askpass program was put.
asked() { cat "$POLICY_ASKPASS_DIR/asked" 2>/dev/null | wc -l; }
answer() { echo "$1" >"$POLICY_ASKPASS_DIR/answer"; }

# ---- the keys: one ed25519 key in the key store and in the ssh-agent socket ----
mkdir -p "$TMP/k"
for n in main 1 2 3 4 5 6 7; do
	ssh-keygen -q -t ed25519 -N '' -C "key-$n" -f "$TMP/k/$n" || not_ok "ssh-keygen $n"
done
cp "$TMP/k/main.pub" "$TMP/authorized_keys"
check "sshd starts on loopback (MaxAuthTries 3)" sshd_start "$TMP/sshd" "$TMP/authorized_keys" \
	"MaxAuthTries 3"
check "the agent starts" agent_start
check "a device is made" mesh device create --description policy
KEY=$(mesh key import "$TMP/k/main" --use signature)
# The key's UDF from its public key line alone: the UDF of its SubjectPublicKeyInfo.
/usr/bin/python3 -c 'import base64, sys
blob = base64.b64decode(open(sys.argv[1]).read().split()[1])
sys.stdout.buffer.write(bytes.fromhex("302a300506032b6570032100") + blob[-32:])' \
	"$TMP/k/main.pub" >"$TMP/main.spki"
expect_out "the key store names the imported key by the UDF of its public key" "$KEY" \
	"$MESH" udf --content-type application/pkix-keyinfo "$TMP/main.spki"
check "ssh-add adds the same key to the agent" sadd -q "$TMP/k/main"
printf 'data\n' >"$TMP/data"

# ---- 1. python3 denied a key that ssh and mesh may use ----
login() { expect_out "$1" hi ssh_to "$SOCK" echo hi; }
ssh_fails() { ! ssh_to "$SOCK" true >/dev/null 2>&1; }
login "no policy: ssh logs in"
expect_out "no policy: python3 signs on the ssh-agent socket" 14 $SPROTO sign "$SOCK" \
	"$TMP/k/main.pub"
expect_out "no policy: python3 is offered the key" yes sp_listed
expect_out "no policy: python3 signs on the agent socket (KeySign)" ok keysign "$ASOCK" "$KEY"
check "mesh policy deny --program python3 --ssh" mesh policy deny --program "$PY" --ssh
check "mesh policy allow --program ssh --key" mesh policy allow --program "$SSH" --key "$KEY"
expect_out "mesh policy list shows both rules" "$(printf '%s\n' "$PY ssh deny None" \
	"$SSH $KEY allow None")" rules
login "ssh still logs in with the key"
expect_out "python3's SIGN_REQUEST: SSH_AGENT_FAILURE" 5 $SPROTO sign "$SOCK" "$TMP/k/main.pub"
expect_out "python3's REQUEST_IDENTITIES leaves the key out" no sp_listed
expect_out "ssh-add -L (no rule) still lists it" yes sadd_listed
expect_out "an Ssh rule is not about the agent socket: python3's KeySign still signs" ok \
	keysign "$ASOCK" "$KEY"
check "mesh policy deny --program python3 --key" mesh policy deny --program "$PY" --key "$KEY"
expect_out "python3's KeySign: Denied (33)" 33 keysign "$ASOCK" "$KEY"
check "mesh key sign (the mesh binary) still signs" mesh key sign --key "$KEY" --out \
	"$TMP/sig" "$TMP/data"
check "a deny rule pinned to another SHA-256 replaces it" mesh policy deny --program "$PY" \
	--sha256 "$(printf '%064d' 0)" --key "$KEY"
expect_out "... and does not apply to this python3: its KeySign signs" ok keysign "$ASOCK" "$KEY"
check "a deny rule pinned with --pin" mesh policy deny --program "$PY" --pin --key "$KEY"
expect_out "... applies: Denied (33)" 33 keysign "$ASOCK" "$KEY"
check "a deny rule that expires in 3 s" mesh policy deny --program "$PY" --key "$KEY" \
	--expires 3s
expect_out "... applies now: Denied (33)" 33 keysign "$ASOCK" "$KEY"
sleep 3.2
expect_out "... and not once it has expired: python3's KeySign signs" ok keysign "$ASOCK" "$KEY"
check "the deny rule again" mesh policy deny --program "$PY" --key "$KEY"
check "mesh policy deny --program ssh-add --key" mesh policy deny --program "$SSHADD" --key "$KEY"
expect_out "ssh-add -L, denied, no longer lists it" no sadd_listed
login "ssh still logs in"

# ---- 2. offered keys: 8 in the agent, sshd accepts the last, MaxAuthTries 3 ----
check "mesh policy reset" mesh policy reset
check "ssh-add -D" sadd -q -D
for n in 1 2 3 4 5 6 7 main; do sadd -q "$TMP/k/$n" || not_ok "ssh-add $n"; done
expect_out "ssh-add -l: 8 keys, the accepted one last" "8 key-main" \
	sh -c "timeout 20 ssh-add -l | awk '{n++; c=\$3} END {print n, c}'"
ssh_to "$SOCK" echo hi >"$TMP/out" 2>"$TMP/ssh-err"
check "no policy: ssh fails: too many authentication failures" \
	grep -q "Too many authentication failures" "$TMP/ssh-err"
check "mesh policy deny --program ssh --ssh" mesh policy deny --program "$SSH" --ssh
check "mesh policy allow --program ssh --key (the accepted key)" \
	mesh policy allow --program "$SSH" --key "$KEY"
login "then ssh is offered that key only, and logs in"
expect_out "python3 (no rule) is still offered the key" yes sp_listed

# ---- 3. ask, answered by an askpass program ----
check "the agent restarts with --askpass policy-askpass.sh" \
	agent_restart --askpass "$HERE/policy-askpass.sh"
check "ssh-add adds the key again (added keys live until the agent stops)" sadd -q "$TMP/k/main"
check "mesh policy ask --program python3 --key" mesh policy ask --program "$PY" --key "$KEY"
answer once
expect_out "askpass answers once: python3's KeySign signs" ok keysign "$ASOCK" "$KEY"
expect_out "the askpass program was asked once" 1 asked
check "it got SSH_ASKPASS_PROMPT=confirm and a question naming python3 and the key" \
	grep -qF "confirm|$PY (pid " "$POLICY_ASKPASS_DIR/asked"
check "... and the key" grep -qF "wants to sign with the key $KEY" "$POLICY_ASKPASS_DIR/asked"
expect_out "once: the next KeySign is asked again, and signs" ok keysign "$ASOCK" "$KEY"
expect_out "the askpass program was asked twice" 2 asked
answer always
expect_out "askpass answers always: python3's KeySign signs" ok keysign "$ASOCK" "$KEY"
expect_out "mesh policy list: allow for python3 and the key, pinned to its SHA-256" \
	"$PY $KEY allow $(sha256sum "$PY" | cut -d" " -f1)" rule_of "$PY"
expect_out "always: the next KeySign signs" ok keysign "$ASOCK" "$KEY"
expect_out "... without a question" 3 asked
check "mesh policy ask --program python3 --key again" \
	mesh policy ask --program "$PY" --key "$KEY"
answer deny
expect_out "askpass answers no: Denied (33)" 33 keysign "$ASOCK" "$KEY"
answer silent
t0=$(date +%s%N)
expect_out "askpass says nothing: Timeout (31)" 31 keysign "$ASOCK" "$KEY"
t=$((($(date +%s%N) - t0) / 1000000))
check "... after MESH_AGENT_APPROVAL_SECONDS=3 (${t} ms)" [ "$t" -ge 2500 -a "$t" -lt 6000 ]
answer once
expect_out "on the ssh-agent socket, askpass answers once: python3 signs" 14 \
	$SPROTO sign "$SOCK" "$TMP/k/main.pub"
answer deny
expect_out "on the ssh-agent socket, askpass answers no: SSH_AGENT_FAILURE" 5 \
	$SPROTO sign "$SOCK" "$TMP/k/main.pub"
expect_out "both were asked" 7 asked
expect_out "the ssh-agent socket's questions name python3, the key and its comment" 2 sh -c \
	"tail -n 2 '$POLICY_ASKPASS_DIR/asked' | grep -c '^confirm|$PY (pid [0-9]*) wants to sign \
with the key $KEY: key-main\.\$'"

# ---- 4. the approval queue, from a second terminal ----
check "the agent restarts without askpass" agent_restart
keysign_bg "$ASOCK" "$KEY"
w=$(waiting mesh)
expect_out "mesh approve --list --json: the request, python3 with its pid and the key" \
	"1 $PY $BG sign with $KEY" echo "$w"
check "mesh approve --list names python3 and its pid" sh -c "timeout 30 '$MESH' --hive test \
	approve --list | grep -qF '1  $PY (pid $BG) wants to sign with $KEY'"
check "mesh approve 1" mesh approve 1
bg_is "approved: python3's KeySign signs" ok
keysign_bg "$ASOCK" "$KEY"
expect_out "the next one waits as request 2" 2 first_waiting mesh
check "mesh deny 2" mesh deny 2
bg_is "refused: Denied (33)" 33
keysign_bg "$ASOCK" "$KEY"
expect_out "the next one waits as request 3" 3 first_waiting mesh
bg_is "nobody answers: Timeout (31)" 31
expect_fail "then mesh approve 3: NotFound (12)" 12 "no request 3 waits" mesh approve 3
keysign_bg "$ASOCK" "$KEY"
expect_out "the next one waits as request 4" 4 first_waiting mesh
check "mesh approve 4 --always" mesh approve 4 --always
bg_is "approved: python3's KeySign signs" ok
expect_out "mesh policy list: allow for python3 and the key, pinned to its SHA-256" \
	"$PY $KEY allow $(sha256sum "$PY" | cut -d" " -f1)" rule_of "$PY"
expect_out "python3's next KeySign signs without waiting" ok keysign "$ASOCK" "$KEY"
check "mesh policy ask --program python3 --key again" \
	mesh policy ask --program "$PY" --key "$KEY"
MESH_AGENT_APPROVAL_SECONDS=30
check "the agent restarts, MESH_AGENT_APPROVAL_SECONDS=30" agent_restart
MESH_AGENT_APPROVAL_SECONDS=3
keysign_bg "$ASOCK" "$KEY"
expect_out "a request waits" 1 first_waiting mesh
kill "$BG"
check "the client hangs up: its question is withdrawn" queue_empty mesh
wait "$BG" 2>/dev/null
# The same on the ssh-agent socket (docs/protocol.md "Policy and approval": a client that hangs
# up withdraws its question), else a later 'mesh approve' signs for a process that is gone.
check "ssh-add adds the key again" sadd -q "$TMP/k/main"
bg /usr/bin/python3 "$HERE/sshproto.py" sign "$SOCK" "$TMP/k/main.pub"
expect_out "python3's SIGN_REQUEST on the ssh-agent socket waits, with its pid" \
	"2 $PY $BG sign with $KEY" waiting mesh
kill "$BG"
wait "$BG" 2>/dev/null
check "it hangs up: its question is withdrawn" queue_empty mesh
expect_fail "so mesh approve 2 finds nothing to sign for: NotFound (12)" 12 "no request 2 waits" \
	mesh approve 2

# ---- 5. a protected hive: loosening needs its passphrase ----
printf 'correct horse\n' >"$TMP/pass"
printf 'wrong horse\n' >"$TMP/wrong"
# The production hive's agent, started by mesh, waits 30 s for answers: time for three tries.
MESH_AGENT_APPROVAL_SECONDS=30
pmesh --json device create --description protected --passphrase-file "$TMP/pass" >"$TMP/p.json"
MESH_AGENT_APPROVAL_SECONDS=3
PSIG=$(jget 'd["Keys"]["Signature"]' "$TMP/p.json")
check "a device protected by a passphrase, in the production hive" [ -n "$PSIG" ]
# loosen NAME ARGS...: pmesh ARGS is refused without the passphrase (no terminal) and with a
# wrong one (BadPassphrase, 29), and works with the right one (after the passphrase gate's
# delay for one wrong passphrase, 100 ms: before it the agent answers RateLimited, 23).
loosen() {
	_name=$1
	shift
	expect_fail "$_name without --passphrase-file, no terminal: BadPassphrase (29)" 29 \
		"give --passphrase-file" pmesh "$@"
	expect_fail "$_name with a wrong passphrase: BadPassphrase (29)" 29 "." pmesh "$@" \
		--passphrase-file "$TMP/wrong"
	sleep 0.5
	check "$_name with the hive's passphrase" pmesh "$@" --passphrase-file "$TMP/pass"
}
check "policy deny needs no passphrase" pmesh policy deny --program "$PY" --key "$PSIG"
expect_out "python3's KeySign: Denied (33)" 33 keysign "$PSOCK" "$PSIG"
loosen "policy allow" policy allow --program "$PY" --key "$PSIG"
expect_out "python3 is allowed: its KeySign signs" ok keysign "$PSOCK" "$PSIG"
loosen "policy ask" policy ask --program "$PY" --key "$PSIG"
keysign_bg "$PSOCK" "$PSIG"
expect_out "python3's KeySign waits as request 1" 1 first_waiting pmesh
loosen "mesh approve 1" approve 1
bg_is "approved with the passphrase: python3's KeySign signs" ok
keysign_bg "$PSOCK" "$PSIG"
expect_out "the next waits as request 2" 2 first_waiting pmesh
check "mesh deny 2 needs no passphrase" pmesh deny 2
bg_is "refused: Denied (33)" 33
check "policy default deny needs no passphrase" pmesh policy default deny
expect_fail "the default deny refuses mesh key sign too: Denied (33)" 33 "." \
	pmesh key sign --key "$PSIG" --out "$TMP/sig" "$TMP/data"
loosen "policy default allow" policy default allow
loosen "policy reset --program" policy reset --program "$PY"

# ---- 6. a rules entry garbled behind the agent's back ----
# garble HIVE-FOLDER: garbage in its Policy/rules.json, as the user could write it (0600).
garble() {
	printf '{"Default": "allow", "Rules": [' >"$MMM_HOME/$1/Policy/rules.json"
	chmod 600 "$MMM_HOME/$1/Policy/rules.json"
}
# refused NAME MESH-FUNC SOCK UDF: python3's KeySign and mesh key sign get Denied (33).
refused() {
	expect_out "$1: python3's KeySign: Denied (33)" 33 keysign "$3" "$4"
	expect_fail "$1: mesh key sign: Denied (33)" 33 "." \
		$2 key sign --key "$4" --out "$TMP/sig" "$TMP/data"
	expect_fail "$1: mesh policy list: Malformed (4)" 4 "does not read" $2 policy list
}
# served NAME MESH-FUNC SOCK UDF HIVE-FOLDER: both sign, and the entry is the open policy.
served() {
	expect_out "$1: python3's KeySign signs" ok keysign "$3" "$4"
	check "$1: mesh key sign signs" $2 key sign --key "$4" --out "$TMP/sig" "$TMP/data"
	expect_out "$1: rules.json: default allow, no rules" "allow []" \
		jget 'd["Default"] + " " + json.dumps(d["Rules"])' "$MMM_HOME/$5/Policy/rules.json"
}
check "ssh-add adds the key again" sadd -q "$TMP/k/main"
garble CryptoMesh
refused "garbled rules" mesh "$ASOCK" "$KEY"
check "garbled rules: ssh is offered no key and fails" ssh_fails
expect_out "garbled rules: python3 is offered nothing" no sp_listed
check "mesh policy reset" mesh policy reset
served "reset" mesh "$ASOCK" "$KEY" CryptoMesh
login "reset: ssh logs in again"
garble MathematicalMesh
refused "protected hive, garbled rules" pmesh "$PSOCK" "$PSIG"
loosen "protected hive, garbled rules: policy reset" policy reset
served "protected hive, reset" pmesh "$PSOCK" "$PSIG" MathematicalMesh

finish
