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
cleanup() {
	[ -n "${HOME_SET:-}" ] && "$mesh" agent stop >/dev/null 2>&1
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

printf '\nDone. "sh tools/test.sh" runs every test.\n'
