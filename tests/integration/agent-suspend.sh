#!/bin/sh
# SPDX-License-Identifier: MIT
# Lifetimes go on while the machine sleeps: meshagent runs under slept-shim, which moves
# CLOCK_BOOTTIME ahead while CLOCK_MONOTONIC stands still, as a suspend does. A key added with
# ssh-add -t 600 and keys unlocked with mesh unlock --lifetime 600 are usable before the "sleep",
# and gone once the machine has "slept" 700 s, although the agent's monotonic clock moved only a
# few seconds. Usage: agent-suspend.sh MESH MESHAGENT SLEPT-SHIM.so
set -u
MESH=$1 AGENT=$2 SHIM=$3
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/client-lib.sh"
need ssh-add
SOCK=$XDG_RUNTIME_DIR/mesh/CryptoMesh/ssh-agent.sock
export SSH_AUTH_SOCK=$SOCK
unset SSH_ASKPASS SSH_ASKPASS_REQUIRE DISPLAY
mesh() { timeout 60 "$MESH" --hive test "$@"; }
SLEPT=$TMP/slept
# sleep_for SECONDS: the machine has slept SECONDS in all (the shim reads this file).
sleep_for() {
	/usr/bin/python3 -c 'import struct, sys
with open(sys.argv[1], "r+b") as f:
    f.write(struct.pack("<q", int(sys.argv[2])))' "$SLEPT" "$1"
}
head -c 8 /dev/zero >"$SLEPT"
printf 'correct horse\n' >"$TMP/pass"
head -c 100 /dev/urandom >"$TMP/data"
ssh-keygen -q -t ed25519 -N '' -C brief -f "$TMP/brief"
listed() { timeout 20 ssh-add -L 2>/dev/null | grep -qF "$(cut -d' ' -f2 "$TMP/brief.pub")"; }

# The agent under the shim (ASan, when the build has it, must not insist on coming first).
check "meshagent starts under slept-shim" env LD_PRELOAD="$SHIM" MESH_TEST_SLEPT_FILE="$SLEPT" \
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	timeout 30 "$AGENT" --hive test
check "a device with passphrase-protected keys" sh -c "timeout 60 '$MESH' --hive test --json \
	device create --passphrase-file '$TMP/pass' >'$TMP/dev.json'"
SIG=$(jget 'd["Keys"]["Signature"]' "$TMP/dev.json")

check "ssh-add -t 600 adds a key" timeout 20 ssh-add -q -t 600 "$TMP/brief"
check "it is listed" listed
mesh lock >/dev/null
check "mesh unlock --lifetime 600" mesh unlock --lifetime 600 --passphrase-file "$TMP/pass"
check "the unlocked key signs" mesh key sign --key "$SIG" --out "$TMP/sig" "$TMP/data"
sleep_for 300
check "after 300 s asleep (of 600) the ssh-add key is still listed" listed
check "and the unlocked key still signs" mesh key sign --key "$SIG" --out "$TMP/sig" "$TMP/data"
sleep_for 700
check "after 700 s asleep the ssh-add -t 600 key is gone" sh -c "! timeout 20 ssh-add -L \
	2>/dev/null | grep -qF '$(cut -d' ' -f2 "$TMP/brief.pub")'"
expect_fail "and the keys unlocked for 600 s are locked again (Locked)" 14 "." \
	mesh key sign --key "$SIG" "$TMP/data"
# Lifetimes given after the "sleep" start from the clock as it is now.
check "ssh-add -t 2 after the sleep" timeout 20 ssh-add -q -t 2 "$TMP/brief"
check "is listed" listed
sleep 3
check "ends on time" sh -c "! timeout 20 ssh-add -L 2>/dev/null | grep -qF \
	'$(cut -d' ' -f2 "$TMP/brief.pub")'"
finish
