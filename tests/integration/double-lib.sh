# SPDX-License-Identifier: MIT
# Shared by the scripts that put a hostile portal in front of servermesh (witness-grind.sh,
# display-text.sh): devices 1..DEVICES, each with its own HOME, XDG_RUNTIME_DIR, MMM_HOME and
# agent, take portal-double.py for their portal. Sourced after lib.sh; the script sets MESH,
# AGENT, SERVERMESH and DEVICES first.
HERE=$(dirname "$0")
PATH=$(dirname "$AGENT"):$PATH
export PATH
unset MESH_AGENT_SOCK MESH_HIVE XDG_CONFIG_HOME MESH_PORTAL_URL MESH_PORTAL_CA
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}intercept_tls_get_addr=0"
SPID= DPID= URL= SURL=

# Devices 1..DEVICES (denv, dev), the double for their portal.
. "$HERE/devices-lib.sh"
mkdir -p "$TMP/double"

double_cleanup() {
	for n in $(seq "$DEVICES"); do
		pid=$(dev "$n" agent status 2>/dev/null | sed -n 's/.*: pid //p')
		[ -n "$pid" ] && kill "$pid" 2>/dev/null
	done
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null
	rm -rf "$TMP"
}
trap double_cleanup EXIT

# double_start MODE [GRIND_TOOL]: servermesh for example.com on loopback (SPID, SURL), then
# portal-double.py in MODE in front of it (DPID, URL); two checks.
double_start() {
	servermesh_up portal
	SPID=$PID SURL=$PORTAL sport=$PORT
	check "servermesh starts on loopback" [ -n "$sport" ]
	/usr/bin/python3 "$HERE/portal-double.py" "$sport" "$TMP/double" "$@" &
	DPID=$!
	URL=$(proxy_url "$TMP/double")
	check "the hostile portal double starts ($1 mode)" [ -n "$URL" ]
}

# published FILE: alice's SignedPersonalProfile as servermesh itself holds it, into FILE.
published() {
	/usr/bin/python3 -c '
import json, sys, urllib.request
r = urllib.request.urlopen(urllib.request.Request(sys.argv[1],
    data=json.dumps({"GetRequest": {"Account": "alice"}}).encode(),
    headers={"Content-Type": "application/json"}), timeout=20)
json.dump(json.load(r)["GetResponse"]["Entries"][0], open(sys.argv[2], "w"))' "$SURL" "$1"
}

# jget EXPR FILE: the Python expression EXPR over the JSON of FILE (as d).
