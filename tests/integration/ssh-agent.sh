#!/bin/sh
# SPDX-License-Identifier: MIT
# meshagent's OpenSSH agent socket, driven by stock OpenSSH: ssh-add adds, lists, removes, locks
# and constrains keys; ssh logs in to a real sshd on loopback with them; ssh-keygen -Y signs
# through the agent and verifies; added keys live in memory only: not a byte of the hive changes
# when they are added (a passphrase-protected key included), and they are gone after ssh-add
# -d/-D, their lifetime or a restart. sshproto.py sends what ssh-add cannot (unknown constraints and
# extensions, bad lengths, trailing bytes, bad sign flags), and a client running as another user
# is closed on without an answer. Usage: ssh-agent.sh MESH MESHAGENT
set -u
MESH=$1 AGENT=$2
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/client-lib.sh"
. "$(dirname "$0")/sshd-lib.sh"
need ssh-add setpriv
HERE=$(cd "$(dirname "$0")" && pwd)
PROTO="timeout 60 /usr/bin/python3 $HERE/sshproto.py"
HIVE=$MMM_HOME/CryptoMesh
ASOCK=$XDG_RUNTIME_DIR/mesh/CryptoMesh/agent.sock
SOCK=$XDG_RUNTIME_DIR/mesh/CryptoMesh/ssh-agent.sock
export SSH_AUTH_SOCK=$SOCK
unset SSH_ASKPASS SSH_ASKPASS_REQUIRE DISPLAY
sadd() { timeout 20 ssh-add "$@"; }
# The cleanup trap of client-lib.sh stops the agents; sshd is stopped here.
trap 'sshd_stop "$TMP/sshd"; cleanup' EXIT

# listed FILE.pub: ssh-add -L holds the key of FILE.pub.
listed() { sadd -L 2>/dev/null | cut -d" " -f1,2 | grep -qxF "$(cut -d" " -f1,2 "$1")"; }
not_listed() { ! listed "$1"; }
# hive_state: every file under MMM_HOME with its digest: what the agent has written (but the
# audit log, which records every use: tests/integration/audit.sh checks it).
# (.agent.lock holds the running agent's pid.)
hive_state() {
	find "$MMM_HOME" -type f ! -name .agent.lock ! -path '*/Audit/*' -exec sha256sum {} + | sort
}
# hive_unchanged FILE: the hive is as hive_state saved it in FILE.
hive_unchanged() {
	hive_state >"$TMP/hive-now"
	cmp -s "$TMP/hive-now" "$1" || { diff "$1" "$TMP/hive-now" >&2; return 1; }
}
# signs NAME KEY.pub: ssh-keygen -Y sign through the agent; -Y verify accepts the signature and
# refuses it for another message.
signs() {
	printf 'message for %s\n' "$1" >"$TMP/msg"
	printf 'tampered message for %s\n' "$1" >"$TMP/bad"
	rm -f "$TMP/msg.sig"
	printf 'signer %s\n' "$(cut -d" " -f1,2 "$2")" >"$TMP/allowed"
	check "$1: ssh-keygen -Y sign through the agent" \
		timeout 30 ssh-keygen -q -Y sign -f "$2" -n test@mesh "$TMP/msg"
	check "$1: ssh-keygen -Y verify accepts the signature" sh -c "timeout 10 ssh-keygen -Y \
		verify -f '$TMP/allowed' -I signer -n test@mesh -s '$TMP/msg.sig' <'$TMP/msg' >/dev/null"
	check "$1: ssh-keygen -Y verify refuses it for a tampered message" sh -c "! timeout 10 \
		ssh-keygen -Y verify -f '$TMP/allowed' -I signer -n test@mesh -s '$TMP/msg.sig' \
		<'$TMP/bad' >/dev/null 2>&1"
}
# login NAME: ssh to sshd with the agent's keys runs a command.
# no_identities NAME: ssh-add -l exits 1 saying so (on stdout, as OpenSSH does).
no_identities() { expect_status_out "$1" 1 "The agent has no identities." sadd -l; }
login() { expect_out "$1" hi ssh_to "$SOCK" echo hi; }
ssh_fails() { ! ssh_to "$SOCK" echo hi >/dev/null 2>&1; }
authorize() { cat "$@" >"$TMP/authorized_keys"; }

# expect_status_out NAME STATUS EXPECTED CMD...: CMD exits STATUS and prints exactly EXPECTED.
expect_status_out() {
	_name=$1 _want=$2 _out=$3
	shift 3
	_got=$("$@" 2>"$TMP/err") && _status=0 || _status=$?
	if [ "$_status" = "$_want" ] && [ "$_got" = "$_out" ]; then
		ok "$_name"
	else
		not_ok "$_name: exit $_status (want $_want), got '$_got' ($(cat "$TMP/err"))"
	fi
}

# Keys made by ssh-keygen; the public halves also in a folder of their own, so that ssh-keygen
# -Y sign finds no private key beside them and must ask the agent.
mkdir -p "$TMP/k" "$TMP/pub"
for spec in "ed ed25519" "ec ecdsa -b 256" "other ed25519" "tmp ed25519" "conf ed25519" \
	"rsa rsa -b 2048"; do
	set -- $spec
	name=$1
	shift
	ssh-keygen -q -t "$@" -N '' -C "$name-key" -f "$TMP/k/$name" || not_ok "ssh-keygen -t $*"
	cp "$TMP/k/$name.pub" "$TMP/pub/"
done
authorize "$TMP/k/ed.pub"
check "sshd starts on loopback" sshd_start "$TMP/sshd" "$TMP/authorized_keys"
# askpass programs: the passphrase in $PASS, yes and no.
printf '#!/bin/sh\nprintf "%%s\\n" "$PASS"\n' >"$TMP/pass.sh"
printf '#!/bin/sh\nexit 0\n' >"$TMP/yes.sh"
printf '#!/bin/sh\nexit 1\n' >"$TMP/no.sh"
chmod 755 "$TMP/pass.sh" "$TMP/yes.sh" "$TMP/no.sh"
# askpass PASSPHRASE ARG: ssh-add ARG, the passphrase coming from pass.sh.
askpass() { PASS=$1 SSH_ASKPASS=$TMP/pass.sh SSH_ASKPASS_REQUIRE=force sadd -q "$2" 2>"$TMP/err"; }

# ---- the socket ----
check "the agent starts" agent_start
check "the ssh-agent socket is ssh-agent.sock beside agent.sock" [ -S "$SOCK" ]
check "the ssh-agent socket is 0600" [ "$(stat -c %a "$SOCK")" = 600 ]
check "its folder is 0700" [ "$(stat -c %a "$(dirname "$SOCK")")" = 700 ]
status=$(timeout 30 /usr/bin/python3 "$HERE/agentproto.py" call "$ASOCK" Status)
check "Status names the ssh-agent socket, if it names one" /usr/bin/python3 -c 'import json, sys
r = json.loads(sys.argv[1])["Result"]
assert r.get("SSHAgentSocket", sys.argv[2]) == sys.argv[2], r' "$status" "$SOCK"
no_identities "ssh-add -l on an empty agent: exit 1, no identities"
hive_state >"$TMP/hive-0"

# ---- add, list, log in, sign ----
check "ssh-add an ed25519 key" sadd -q "$TMP/k/ed"
check "ssh-add an ecdsa-sha2-nistp256 key" sadd -q "$TMP/k/ec"
for k in ed ec; do ssh-keygen -lf "$TMP/k/$k.pub"; done >"$TMP/want-l"
expect_out "ssh-add -l: the fingerprints of ssh-keygen -lf" "$(cat "$TMP/want-l")" sadd -l
expect_out "ssh-add -L: the public key lines" "$(cat "$TMP/k/ed.pub" "$TMP/k/ec.pub")" sadd -L
check "nothing was written to the hive (added keys live in memory)" hive_unchanged "$TMP/hive-0"
check "mesh key list does not show them" sh -c "! timeout 30 '$MESH' --hive test key list \
	--json 2>&1 | grep -q UDF"
login "ssh with the ed25519 key"
authorize "$TMP/k/other.pub"
check "ssh fails when only a key not in the agent is authorized" ssh_fails
authorize "$TMP/k/ec.pub"
login "ssh with the ecdsa key"
signs "ed25519" "$TMP/pub/ed.pub"
signs "ecdsa" "$TMP/pub/ec.pub"

# ---- a passphrase-protected key is never stored less protected than it came ----
ssh-keygen -q -t ed25519 -N 'file secret' -C prot-key -f "$TMP/k/prot"
check "ssh-add a passphrase-protected key (passphrase from askpass)" askpass 'file secret' \
	"$TMP/k/prot"
check "the protected key is listed" listed "$TMP/k/prot.pub"
check "still nothing written to the hive" hive_unchanged "$TMP/hive-0"

# ---- a restart forgets them all ----
check "the agent stops" agent_stop
check "the agent starts again" agent_start
no_identities "after a restart ssh-add -l: no identities"
check "after a restart ssh fails" ssh_fails
check "the hive is still as before the first ssh-add" hive_unchanged "$TMP/hive-0"

# ---- remove ----
check "ssh-add both keys again" sadd -q "$TMP/k/ed" "$TMP/k/ec"
login "ssh with the ecdsa key again"
check "ssh-add -d removes the ecdsa key" sadd -q -d "$TMP/pub/ec.pub"
check "the ecdsa key is no longer listed" not_listed "$TMP/k/ec.pub"
check "ssh-add -l lists the ed25519 key only" sh -c "[ \"\$(timeout 20 ssh-add -l)\" = \
	\"$(ssh-keygen -lf "$TMP/k/ed.pub")\" ]"
check "ssh fails once the authorized key is removed" ssh_fails
check "ssh-add -D removes all" sadd -q -D
no_identities "then ssh-add -l: no identities"
authorize "$TMP/k/ed.pub"
check "ssh fails after ssh-add -D" ssh_fails
check "the hive never changed" hive_unchanged "$TMP/hive-0"

# ---- lock ----
sadd -q "$TMP/k/ed"
check "ssh-add -x locks (passphrase from askpass)" askpass right-one -x
no_identities "locked: ssh-add -l shows no identities"
check "locked: ssh fails" ssh_fails
check "locked: add, sign, remove-all, lock and query all fail (sshproto.py)" $PROTO locked "$SOCK"
check "ssh-add -X with a wrong passphrase is refused" sh -c "! PASS=wrong \
	SSH_ASKPASS='$TMP/pass.sh' SSH_ASKPASS_REQUIRE=force timeout 20 ssh-add -X 2>/dev/null"
no_identities "still locked: no identities"
check "ssh-add -X with the right passphrase unlocks" askpass right-one -X
check "unlocked: the key is listed again" listed "$TMP/k/ed.pub"
login "unlocked: ssh works again"

# ---- lifetime ----
check "ssh-add -t 2 adds a key" sadd -q -t 2 "$TMP/k/tmp"
check "the key with a lifetime is listed" listed "$TMP/k/tmp.pub"
check "it is not written to the hive" hive_unchanged "$TMP/hive-0"
sleep 3
check "after 3 s it is gone" not_listed "$TMP/k/tmp.pub"
check "the key without a lifetime stays" listed "$TMP/k/ed.pub"

# ---- confirm ----
check "ssh-add -c is refused without an askpass program" sh -c "! timeout 20 ssh-add -q -c \
	'$TMP/k/conf' 2>/dev/null"
check "the refused key is not listed" not_listed "$TMP/k/conf.pub"
agent_stop
check "the agent starts with --askpass yes.sh" agent_start --askpass "$TMP/yes.sh"
check "ssh-add -c is accepted" sadd -q -c "$TMP/k/conf"
signs "confirmed by yes.sh" "$TMP/pub/conf.pub"
agent_stop
check "the agent starts with --askpass no.sh" agent_start --askpass "$TMP/no.sh"
check "the -c key did not survive the restart" not_listed "$TMP/k/conf.pub"
check "ssh-add -c adds it again" sadd -q -c "$TMP/k/conf"
sadd -q "$TMP/k/ed"
rm -f "$TMP/msg.sig"
check "no.sh refuses the signature" sh -c "! SSH_AUTH_SOCK='$SOCK' timeout 30 ssh-keygen -q \
	-Y sign -f '$TMP/pub/conf.pub' -n test@mesh '$TMP/msg' 2>/dev/null"
check "keys without -c need no confirmation" timeout 30 ssh-keygen -q -Y sign \
	-f "$TMP/pub/ed.pub" -n test@mesh "$TMP/msg"
sadd -q -d "$TMP/pub/conf.pub"

# ---- refused keys and constraints ----
ssh-keyscan -p "$SSHD_PORT" 127.0.0.1 2>/dev/null >"$TMP/kh-scan"
if ssh-add --help 2>&1 | grep -q -- '-h destination'; then
	check "ssh-add -h (restrict-destination-v00@openssh.com) is refused" sh -c "! timeout 20 \
		ssh-add -q -H '$TMP/kh-scan' -h 127.0.0.1 '$TMP/k/other' 2>/dev/null"
	check "the key is not listed" not_listed "$TMP/k/other.pub"
else
	not_ok "this ssh-add has no -h: the destination constraint is not tried"
fi
for kind in byte99 ext ext-restrict lifetime0 lifetime-twice truncated-lifetime; do
	check "sshproto.py: constraint $kind refused, the key not listed" \
		$PROTO add-constrained "$SOCK" $kind
done
expect_fail "ssh-add of an RSA key: agent refused operation" 1 "agent refused operation" \
	sadd -q "$TMP/k/rsa"
check "the RSA key is not listed" not_listed "$TMP/k/rsa.pub"

# ---- extensions and raw messages ----
expect_out "extension query: 29, 'query', then its names" query $PROTO query "$SOCK"
check "extension session-bind@openssh.com: FAILURE" \
	$PROTO extension "$SOCK" session-bind@openssh.com
check "an unknown extension: FAILURE" $PROTO extension "$SOCK" nonesuch@example.com
expect_out "an unknown message type: FAILURE" 5 $PROTO raw "$SOCK" 63
expect_out "message type 0: FAILURE" 5 $PROTO raw "$SOCK" 00
expect_out "the old SSH1 REQUEST_RSA_IDENTITIES (1): FAILURE" 5 $PROTO raw "$SOCK" 01
expect_out "REQUEST_IDENTITIES: IDENTITIES_ANSWER" 12 $PROTO raw "$SOCK" 0b
check "lengths above 256 KiB and 0 close the connection; the next is answered" \
	$PROTO oversize "$SOCK"
check "a trailing byte after each kind of request: FAILURE" $PROTO trailing "$SOCK"
check "ADD and SIGN cut at every length: FAILURE" $PROTO truncated "$SOCK"
check "sign flags other than 2|4 refused; 0, 2, 4, 6 sign" $PROTO sign-flags "$SOCK"
check "sign and remove with an unknown key blob: FAILURE" $PROTO sign-unknown "$SOCK"
login "after all of that, ssh still works"

# ---- the peer's uid ----
if [ "$(id -u)" = 0 ]; then
	# Open the modes so that only the uid check stands between nobody and the socket.
	for d in "$TMP" "$XDG_RUNTIME_DIR" "$XDG_RUNTIME_DIR/mesh" "$(dirname "$SOCK")"; do
		chmod 711 "$d"
	done
	chmod 666 "$SOCK"
	check "user nobody is closed on without an answer" timeout 60 setpriv --reuid=nobody \
		--regid=nogroup --clear-groups /usr/bin/python3 "$HERE/sshproto.py" refused "$SOCK"
	expect_out "the agent still answers its user" 12 $PROTO raw "$SOCK" 0b
	chmod 600 "$SOCK"
	for d in "$TMP" "$XDG_RUNTIME_DIR" "$XDG_RUNTIME_DIR/mesh" "$(dirname "$SOCK")"; do
		chmod 700 "$d"
	done
else
	not_ok "the uid check needs root to run a client as nobody"
fi
finish
