#!/bin/sh
# SPDX-License-Identifier: MIT
# The test and production hives through their agents: independent folders, sockets and devices;
# mesh hive migrate carries a device across, refuses to overwrite (Exists, 13) and overwrites
# with --force. Usage: agent-hive.sh MESH MESHAGENT
set -u
MESH=$1 AGENT=$2
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/client-lib.sh"
PATH=$(dirname "$AGENT"):$PATH
mesh() { timeout 60 "$MESH" "$@"; }
# lines ARGS...: how many lines mesh ARGS prints.
lines() { timeout 60 "$MESH" "$@" | wc -l; }
# identifier [ARGS...]: the identifier of the device mesh --json ARGS prints.
identifier() { timeout 60 "$MESH" --json "$@" | jget 'd["Identifier"]'; }

# ---- two hives, two agents, nothing shared ----
T=$(identifier --hive test device create --description "test device")
check "a device in the test hive" [ -n "$T" ]
check "its profile is in CryptoMesh" [ -f "$MMM_HOME/CryptoMesh/ThisDevice/$T.json" ]
check "nothing in MathematicalMesh" sh -c "! ls \"$MMM_HOME\"/MathematicalMesh/ThisDevice/*.json \
	>/dev/null 2>&1"
expect_fail "production has no device: NotFound (12)" 12 "." mesh --hive production device show
check "two agents, two sockets" [ -S "$XDG_RUNTIME_DIR/mesh/CryptoMesh/agent.sock" -a \
	-S "$XDG_RUNTIME_DIR/mesh/MathematicalMesh/agent.sock" ]
check "two agent processes" sh -c "[ -n \"$(agent_pid test)\" ] && \
	[ \"$(agent_pid test)\" != \"$(agent_pid production)\" ]"
P=$(identifier --hive production device create --description "production device")
check "a device in the production hive, another one" [ -n "$P" -a "$P" != "$T" ]
export MESH_HIVE=test
check "MESH_HIVE=test picks the test hive" [ "$(identifier device show)" = "$T" ]
check "--hive overrides MESH_HIVE" [ "$(identifier --hive production device show)" = "$P" ]
unset MESH_HIVE
check "each hive lists its own three keys" [ "$(lines --hive test key list)" = 3 -a \
	"$(lines --hive production key list)" = 3 ]
check "the test hive's keys are not production's" \
	sh -c "! \"$MESH\" --hive test key list | grep -q \"^$P \""
TSIG=$(mesh --hive test --json device show | jget 'd["Keys"]["Signature"]')
expect_fail "production's agent does not hold the test key: NotFound (12)" 12 "." \
	mesh --hive production key sign --key "$TSIG" /etc/hostname

# ---- migrate ----
mesh --json hive migrate --from test --to production >"$TMP/out" 2>"$TMP/err"
check "migrate test -> production copies entries (--json)" \
	[ "$(jget 'list(d) == ["Copied"] and d["Copied"] >= 4' "$TMP/out")" = True ]
check "the test device is in production now" [ -f "$MMM_HOME/MathematicalMesh/ThisDevice/$T.json" ]
expect_out "production's agent shows it" "$T" identifier --hive production device show "$T"
check "production keeps its own device, and its default" \
	[ "$(lines --hive production device list)" = 2 -a \
	"$(mesh --hive production device list | grep -c "^$P (default)")" = 1 ]
check "the test hive is unchanged" [ "$(lines --hive test device list)" = 1 ]
echo "carried across" >"$TMP/data"
mesh --hive production key sign --key "$TSIG" --out "$TMP/sig" "$TMP/data"
mesh --hive test key sign --key "$TSIG" --out "$TMP/sig.test" "$TMP/data"
check "production's agent signs with the migrated key, as test's does" \
	sh -c "[ \$(wc -c <\"$TMP/sig\") = 64 ] && cmp -s \"$TMP/sig\" \"$TMP/sig.test\""
expect_fail "migrating again refuses to overwrite: Exists (13)" 13 "." \
	mesh hive migrate --from test --to production
expect_out "--force overwrites" "Copied 0" sh -c "\"$MESH\" hive migrate --from test --to \
	production --force | sed 's/Copied [1-9][0-9]* .*/Copied 0/'"
check "and the device is still there" [ -f "$MMM_HOME/MathematicalMesh/ThisDevice/$T.json" ]
expect_fail "same hive twice: InvalidArgument (3)" 3 "same hive" \
	mesh hive migrate --from test --to test
expect_fail "no --to: Usage (2)" 2 "give --from HIVE and --to HIVE" mesh hive migrate --from test
expect_fail "an unknown hive: InvalidArgument (3)" 3 "." \
	mesh hive migrate --from test --to staging
finish
