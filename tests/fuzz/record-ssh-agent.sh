#!/bin/sh
# SPDX-License-Identifier: MIT
# Re-records the seed corpus of fuzz-ssh-agent (tests/fuzz/corpus/ssh-agent/): stock OpenSSH
# (ssh-add, ssh-keygen -Y sign, ssh against a loopback sshd) talks to a stock `ssh-agent -D`
# through record-ssh-agent.py's proxy, which saves what the clients send; then the hand-made
# seeds are added. The keys are throwaway keys made here. Needs openssh-client, openssh-server
# (for the ssh login; skipped without /usr/sbin/sshd) and python3-cryptography.
# Usage: sh tests/fuzz/record-ssh-agent.sh [OUTDIR]   (default: the checked-in corpus, replaced)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/corpus/ssh-agent}
. "$HERE/../integration/stock-agent-lib.sh"

# The stock agent confirms each use of a key added with -c through its askpass: /bin/true, yes.
stock_agent "$T/stock.sock" SSH_ASKPASS=/bin/true SSH_ASKPASS_REQUIRE=force DISPLAY=:0
rm -rf "$OUT"
mkdir -p "$OUT"
python3 "$HERE/record-ssh-agent.py" proxy "$T/proxy.sock" "$T/stock.sock" "$OUT" &
started $!
wait_for "$T/proxy.sock" $!
export SSH_AUTH_SOCK="$T/proxy.sock"

# Some requests are refused on purpose (a wrong unlock word, a destination-constrained key used
# on an unbound connection): they are seeds too.
run() { timeout 20 "$@" >/dev/null 2>&1 || echo "record-ssh-agent: refused: $*" >&2; }
ssh-keygen -q -t ed25519 -N '' -C ed -f "$T/ed"
ssh-keygen -q -t ecdsa -b 256 -N '' -C ec -f "$T/ec"
ssh-keygen -q -t rsa -b 2048 -N '' -C rsa -f "$T/rsa"
ssh-keygen -q -t ed25519 -N '' -C host -f "$T/host"
printf 'passphrase word\n' >"$T/data"
printf '#!/bin/sh\necho lockword\n' >"$T/word"
printf '#!/bin/sh\necho wrongword\n' >"$T/wrong"
chmod 700 "$T/word" "$T/wrong"
echo "fuzzhost $(cat "$T/host.pub")" >"$T/kh"

ssh-add -l >/dev/null 2>&1 || true
ssh-add -L >/dev/null 2>&1 || true
run ssh-add "$T/ed"
run ssh-add "$T/ec"
run ssh-add "$T/rsa"
run ssh-add -l
run ssh-add -L
run ssh-add -t 30 "$T/ed"
run ssh-add -c "$T/ec"
run ssh-keygen -Y sign -f "$T/ec.pub" -n file "$T/data"
run ssh-add -H "$T/kh" -h fuzzhost -h "fuzzhost>root@fuzzhost" "$T/ed"
run ssh-keygen -Y sign -f "$T/ed.pub" -n file "$T/data"
run ssh-keygen -Y sign -f "$T/rsa.pub" -n file "$T/data"
SSH_ASKPASS="$T/word" SSH_ASKPASS_REQUIRE=force run ssh-add -x
ssh-add -l >/dev/null 2>&1 || true
SSH_ASKPASS="$T/wrong" SSH_ASKPASS_REQUIRE=force run ssh-add -X
SSH_ASKPASS="$T/word" SSH_ASKPASS_REQUIRE=force run ssh-add -X
run ssh-add -d "$T/ed.pub"
run ssh-add -D

# One login against a loopback sshd: session-bind@openssh.com, then a sign request.
if [ -x /usr/sbin/sshd ]; then
	port=$((20000 + $$ % 20000))
	mkdir -p /run/sshd
	cp "$T/ed.pub" "$T/authorized_keys"
	cat >"$T/sshd_config" <<-EOF
		Port $port
		ListenAddress 127.0.0.1
		HostKey $T/host
		PidFile $T/sshd.pid
		AuthorizedKeysFile $T/authorized_keys
		UsePAM no
		StrictModes no
		PasswordAuthentication no
	EOF
	/usr/sbin/sshd -D -f "$T/sshd_config" -E "$T/sshd.log" &
	started $!
	i=0
	while ! grep -q 'Server listening' "$T/sshd.log" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	run ssh-add "$T/ed"
	run ssh -F /dev/null -o BatchMode=yes -o IdentityAgent="$SSH_AUTH_SOCK" \
		-o IdentitiesOnly=no -o UserKnownHostsFile="$T/kh-login" \
		-o StrictHostKeyChecking=accept-new -p "$port" root@127.0.0.1 true
	run ssh-add -D
fi

python3 "$HERE/record-ssh-agent.py" seeds "$OUT"
echo "record-ssh-agent: $(ls "$OUT" | wc -l) inputs in $OUT"
