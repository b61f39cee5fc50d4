#!/bin/sh
# SPDX-License-Identifier: MIT
# Secrets on the CLI's output (issue 12 item 12), through the real mesh, meshagent and
# servermesh: escrow create warns on a terminal, and not when its output is piped (then the
# shares alone, one per line, or JSON); printed secrets leave no copy in memory the CLI frees
# (freescan-shim.so searches every freed block for the secret once output begins).
# Usage: cli-secrets.sh MESH MESHAGENT SERVERMESH FREESCAN-SHIM.so
set -u
MESH=$1 AGENT=$2 SERVERMESH=$3 SHIM=$4
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/portal-lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
PATH=$(dirname "$AGENT"):$PATH
export PATH XDG_RUNTIME_DIR="$TMP/run" MMM_HOME="$TMP/home/.mmm"
unset MESH_AGENT_SOCK MESH_HIVE MESH_PORTAL_URL MESH_PORTAL_CA
mkdir -m 700 "$XDG_RUNTIME_DIR"
trap 'timeout 10 "$MESH" --hive test agent stop >/dev/null 2>&1; portal_kill; rm -rf "$TMP"' EXIT
mesh() { MESH_PORTAL_URL=$URL timeout 60 "$MESH" --hive test "$@"; }
S1=SAYC-UW4N-56UI-VTTZ-62UN-J6FP-ETD3-O
S2=SAY6-OXXE-SUNL-KUMX-3ZG6-TRDW-UDAK-Y
S3=SAZM-MCDK-AD6B-ICWP-BTJU-QISC-C3RY-6
SECRET=8EFE6610A594817555E409BEEBA2F916

# scan NAME SECRET CMD...: CMD, under the shim looking for SECRET, prints SECRET and leaves no
# freed block holding it.
scan() {
	_name=$1 _secret=$2
	shift 2
	rm -f "$TMP/scan.log"
	MESH_TEST_SECRET=$_secret MESH_TEST_FREESCAN_LOG=$TMP/scan.log LD_PRELOAD=$SHIM \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		"$@" >"$TMP/scan.out" 2>"$TMP/scan.err"
	if ! grep -q "$_secret" "$TMP/scan.out"; then
		not_ok "$_name: the secret is not in the output ($(cat "$TMP/scan.err"))"
	elif [ -s "$TMP/scan.log" ]; then
		not_ok "$_name: a freed block still held the secret: $(head -5 "$TMP/scan.log" | tr '\n' ' ')"
	else
		ok "$_name"
	fi
}

# ---- the free scan: the shim must see what it is looking for ----
scan "--json share combine: the secret leaves no freed copy" $SECRET \
	"$MESH" --json share combine $S1 $S2 $S3
check "--json share combine is JSON with the secret" /usr/bin/python3 -c 'import json, sys
assert json.load(open(sys.argv[1]))["Secret"] == sys.argv[2]' "$TMP/scan.out" $SECRET
scan "share combine (text): no freed copy" $SECRET "$MESH" share combine $S1 $S2 $S3

# ---- escrow create: a warning on a terminal, none when piped ----
check "servermesh starts" portal_start "$TMP/portal.log" --db "$TMP/portal.db"
mesh profile create alice@example.com >/dev/null 2>"$TMP/err" || not_ok "profile create: $(cat "$TMP/err")"
check "on a terminal: the warning, then the shares" timeout 60 /usr/bin/python3 \
	"$HERE/wizard-drive.py" --log "$TMP/tty.log" -l "WARNING: write these 3 shares down" \
	-l "Any 2 of them recover the master keys" -e "S[A-Z2-7-]{20,}" -- \
	env MESH_PORTAL_URL="$URL" "$MESH" --hive test escrow create --quorum 2 --shares 3
mesh escrow create --quorum 2 --shares 3 >"$TMP/piped" 2>"$TMP/piped.err"
check "piped: the shares alone, one per line" sh -c "[ \$(wc -l <'$TMP/piped') = 3 ] && \
	! grep -vqE '^S[A-Z2-7-]+$' '$TMP/piped'"
check "piped: no warning" sh -c "! grep -q WARNING '$TMP/piped.err'"
mesh --json escrow create --quorum 2 --shares 3 >"$TMP/json" 2>"$TMP/json.err"
check "piped --json: {Identifier, Shares[3]}, no warning" /usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["Shares"]) == 3 and d["Identifier"], d
assert "WARNING" not in open(sys.argv[2]).read()' "$TMP/json" "$TMP/json.err"
# ---- a password through the agent ----
PASSWORD="correct horse battery staple $(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
check "password add" mesh password add example.net alice "$PASSWORD"
scan "--json password get: the password leaves no freed copy" "$PASSWORD" \
	env MESH_PORTAL_URL="$URL" timeout 60 "$MESH" --hive test --json password get example.net
check "--json password get is JSON with the password" /usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["Password"] == sys.argv[2] and d["Username"] == "alice", d' "$TMP/scan.out" "$PASSWORD"
expect_out "password get (text) prints it alone" "$PASSWORD" mesh password get example.net
SHARE=$(head -1 "$TMP/piped")
check "the printed shares work (escrow verify)" mesh escrow verify "$SHARE" \
	"$(sed -n 2p "$TMP/piped")"
finish
