#!/bin/sh
# SPDX-License-Identifier: MIT
# The main job: build meshagent and show the Mesh's primitives working, step by step.
# (Later milestones grow this into the full walk-through: portal, two devices, escrow,
# recovery and device connection.)
set -eu
cd "$(dirname "$0")/.."
. tools/deps.sh
mesh_deps

echo "== building (build/demo)"
cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/demo -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
mesh=$PWD/build/demo/cli/mesh
work=$(mktemp -d)
# The agent part runs in a throwaway home, on the test hive, and is stopped at the end.
SPID=
cleanup() {
	[ -n "${HOME_SET:-}" ] && "$mesh" agent stop >/dev/null 2>&1
	for n in 1 2; do
		[ -d "$work/d$n" ] && HOME="$work/d$n" XDG_RUNTIME_DIR="$work/d$n/run" \
			MMM_HOME="$work/d$n/.mmm" "$mesh" --hive test agent stop >/dev/null 2>&1
	done
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n-- %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

run $mesh --version

say "A UDF is a fingerprint you can read aloud. The known answer of the UDF draft:"
printf 'UDF Data Value' >"$work/value.txt"
run $mesh udf --content-type text/plain "$work/value.txt"
echo "   expected: MDDK-7N6A-727A-JZNO-STRX-XKS7-DJAF"

say "More bits give a longer fingerprint that starts the same way (the prefix property):"
run $mesh udf --content-type text/plain --bits 260 "$work/value.txt"

say "The same content with SHA3-512, and as JSON:"
run $mesh --json udf --alg sha3-512 --content-type text/plain "$work/value.txt"

say "An authenticator (keyed UDF) of a message under a key string:"
printf 'Konrad is the traitor' >"$work/msg.txt"
run $mesh udf --key NDD7-6CMX-H2FW-ISAL-K4VB-DQ3E-PEDM --content-type text/plain "$work/msg.txt"
echo "   expected: ABGM-G76T-7GPF-FTYH-SB2F-HBDF-SW6B"

say "A fresh nonce:"
run $mesh udf --nonce

say "Split a 16-byte secret into 5 shares, any 3 of which recover it:"
secret=8EFE6610A594817555E409BEEBA2F916
printf '%s\n' "$secret" | $mesh share split --quorum 3 --shares 5 --secret - >"$work/shares"
echo "\$ echo $secret | mesh share split --quorum 3 --shares 5 --secret -"
cat "$work/shares"

say "Shares 1, 3 and 5 give the secret back:"
run $mesh share combine $(sed -n '1p;3p;5p' "$work/shares")

say "Two shares are not enough, and the error says so (exit status = MeshError code):"
set +e
$mesh share combine $(sed -n '2p;4p' "$work/shares")
echo "   exit status $?"
say "A mistyped share (a zero typed for an O) is caught and named:"
bad=$(sed -n '2p' "$work/shares" | sed 's/^\(.......\)./\10/')
$mesh share combine $(sed -n '1p' "$work/shares") "$bad" $(sed -n '3p' "$work/shares")
echo "   exit status $?"
set -e

say "A random 32-byte secret and its 2-of-3 shares, as JSON:"
run $mesh --json share split --quorum 2 --shares 3 --random 32

say "Now the agent. It runs per user and per hive; here in a throwaway home, test hive:"
export HOME="$work/home" XDG_RUNTIME_DIR="$work/run" MMM_HOME="$work/home/.mmm" MESH_HIVE=test
unset MESH_AGENT_SOCK
mkdir -p "$HOME" && mkdir -m 700 "$XDG_RUNTIME_DIR"
PATH=$PWD/build/demo/cli:$PATH
HOME_SET=1

say "Create this machine's device (the agent starts on demand):"
run mesh device create --description "Demo laptop"

say "Its keys, held by the agent in OpenSSH-format key files:"
run mesh key list
sig=$(mesh --json device show | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["Keys"]["Signature"])')
echo "\$ ls -l \$MMM_HOME/CryptoMesh/Keys/"
ls -l "$MMM_HOME/CryptoMesh/Keys/" | sed 's/^/  /'
echo "\$ ssh-keygen -y -f \$MMM_HOME/CryptoMesh/Keys/$sig"
ssh-keygen -y -f "$MMM_HOME/CryptoMesh/Keys/$sig"

say "Sign a file with the device's signature key, and check it with OpenSSL:"
printf 'Meet at noon.\n' >"$work/note.txt"
run mesh key sign --key "$sig" --out "$work/note.sig" "$work/note.txt"
mesh key public --key "$sig" >"$work/sig.pem"
run openssl pkeyutl -verify -rawin -pubin -inkey "$work/sig.pem" -in "$work/note.txt" \
	-sigfile "$work/note.sig"

say "The agent:"
run mesh agent status
run mesh agent stop

printf '\n== The Mesh: a portal and two devices ==\n'
say "servermesh for example.com on loopback, with its SQLite database:"
"$PWD/build/demo/cli/servermesh" example.com --listen 127.0.0.1:0 --db "$work/portal.db" \
	2>"$work/portal.log" &
SPID=$!
url=
for _ in $(seq 100); do
	url=$(sed -n 's/^servermesh: serving example.com on \(http[^ ]*\)$/\1/p' "$work/portal.log")
	[ -n "$url" ] && break
	sleep 0.1
done
[ -n "$url" ] || { cat "$work/portal.log"; exit 1; }
echo "  serving example.com on $url"

# dev N ARGS...: mesh on device N, each with its own home, hive and agent.
dev() {
	n=$1
	shift
	mkdir -p "$work/d$n" && [ -d "$work/d$n/run" ] || mkdir -m 700 "$work/d$n/run"
	HOME="$work/d$n" XDG_RUNTIME_DIR="$work/d$n/run" MMM_HOME="$work/d$n/.mmm" \
		MESH_PORTAL_URL="$url" "$mesh" --hive test "$@"
}
on() { printf '[device %s] $ mesh %s\n' "$1" "$(echo "$*" | cut -d' ' -f2-)"; dev "$@"; }

say "Device 1 creates Alice's profile (device, master keys, administration key, account):"
on 1 profile create alice@example.com
on 1 profile show

say "Escrow the master keys as 4 shares, any 2 of which recover them:"
echo "[device 1] \$ mesh escrow create --quorum 2 --shares 4"
dev 1 escrow create --quorum 2 --shares 4 | tee "$work/shares"
s1=$(sed -n 1p "$work/shares"); s3=$(sed -n 3p "$work/shares")

say "Delete the profile from device 1 (the portal keeps the published copy):"
on 1 profile delete alice@example.com --yes

say "Recover it from shares 1 and 3 (new administration key; the account is re-bound):"
on 1 profile recover alice@example.com "$s1" "$s3"

say "Device 2 asks to join; both devices show the witness, and the user compares them:"
dev 2 --json connect request alice@example.com --no-wait >"$work/request.json"
w2=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Witness"])' \
	"$work/request.json")
dev 1 --json connect pending >"$work/pending.json"
w1=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Pending"][0]["Witness"])' \
	"$work/pending.json")
printf '  %-40s %s\n' "device 2 (new) shows:" "device 1 (administration) shows:"
printf '  %-40s %s\n' "$w2" "$w1"
[ "$w1" = "$w2" ] && echo "  the witnesses match"

say "Device 1 accepts by the whole witness (a prefix is refused); device 2 learns it is connected:"
on 1 connect accept "$w2"
on 2 connect wait

say "A password added on device 1 ..."
on 1 password add example.net alice "correct horse battery staple"
say "... is read on device 2 after a sync:"
on 2 profile sync
on 2 password get example.net

say "Each device makes an SSH key in its key store; device 2's joins the profile's SSHProfile when the administration device syncs:"
on 1 ssh create
on 2 ssh create
on 1 profile sync >/dev/null
on 1 ssh authorized-keys
say "ssh, scp, git and ssh-add use the agent's ssh-agent socket (export SSH_AUTH_SOCK=\$(mesh ssh socket)):"
sock2=$(dev 2 ssh socket)
echo "[device 2] \$ ssh-add -l"
SSH_AUTH_SOCK=$sock2 ssh-add -l
echo "Signed on device 2 by its Mesh SSH key." >"$work/ssh-note.txt"
echo "[device 2] \$ ssh-keygen -Y sign -n file -f <its key> ssh-note.txt"
SSH_AUTH_SOCK=$sock2 ssh-add -L >"$work/ssh-key2.pub"
SSH_AUTH_SOCK=$sock2 ssh-keygen -q -Y sign -n file -f "$work/ssh-key2.pub" "$work/ssh-note.txt"
dev 1 ssh authorized-keys | sed 's/^/alice /' >"$work/allowed_signers"
echo "[device 1] \$ ssh-keygen -Y verify -f <mesh ssh authorized-keys> -I alice -n file -s ssh-note.txt.sig"
ssh-keygen -Y verify -f "$work/allowed_signers" -I alice -n file -s "$work/ssh-note.txt.sig" \
	<"$work/ssh-note.txt"

kill "$SPID" && wait "$SPID" 2>/dev/null
SPID=

printf '\nDone. "sh tools/test.sh" runs every test.\n'
