# SPDX-License-Identifier: MIT
# Sourced, after lib.sh, by the scripts that run several devices against one portal: device N
# (1..$DEVICES, default 2) has its own HOME, XDG_RUNTIME_DIR (0700) and MMM_HOME under $TMP/dN,
# and takes its portal from $DEV_URLN when the script sets that (devices on different servermesh
# nodes), else from $URL, which the script sets once the portal runs. MESH is the mesh binary;
# DEV_TIMEOUT (default 120 s) bounds each command.

# denv N CMD...: CMD in device N's environment, bounded in time.
denv() {
	n=$1
	shift
	eval "durl=\${DEV_URL$n:-\${URL:-}}"
	HOME="$TMP/d$n" XDG_RUNTIME_DIR="$TMP/d$n/run" MMM_HOME="$TMP/d$n/.mmm" \
		MESH_PORTAL_URL="$durl" timeout "${DEV_TIMEOUT:-120}" "$@"
}
# dev N ARGS...: mesh on device N.
dev() {
	n=$1
	shift
	denv "$n" "$MESH" --hive test "$@"
}
# jdev N EXPR ARGS...: mesh --json ARGS on device N, then the Python expression EXPR of its
# answer (as d); fails when either does.
jdev() {
	jdev_n=$1 jdev_expr=$2
	shift 2
	dev "$jdev_n" --json "$@" >"$TMP/jdev.json" && jget "$jdev_expr" "$TMP/jdev.json"
}
# devices_stop_agents: stop the agent of every device (for the script's exit trap).
devices_stop_agents() {
	for n in $(seq "${DEVICES:-2}"); do
		pid=$(dev "$n" agent status 2>/dev/null | sed -n 's/.*: pid //p')
		[ -n "$pid" ] && kill "$pid" 2>/dev/null
	done
}
# has_key N UDF: device N's key store lists the key UDF.
has_key() {
	dev "$1" key list | grep -q "^$2 "
}
# portal_has ID: the portal at $URL answers a GetRequest for the entry ID with it (exit 0), or
# 404 (exit 1); anything else exits 2.
portal_has() {
	timeout 30 /usr/bin/python3 -c '
import json, sys, urllib.error, urllib.request
req = urllib.request.Request(sys.argv[1], headers={"Content-Type": "application/json"},
    data=json.dumps({"GetRequest": {"Identifier": sys.argv[2]}}).encode())
try:
    r = urllib.request.urlopen(req, timeout=20)
except urllib.error.HTTPError as e:
    sys.exit(1 if e.code == 404 else 2)
sys.exit(0 if len(json.load(r)["GetResponse"]["Entries"]) == 1 else 2)' "$URL" "$1"
}
# portal_lacks ID: the portal answers 404 for the entry ID.
portal_lacks() {
	portal_has "$1"
	[ $? = 1 ]
}
# connect_start PORTAL ACCOUNT FILE: POST the SignedRequest of FILE (profile-tool's
# hostile-request or forged-request output) as a ConnectStart for ACCOUNT to the portal at
# PORTAL, as a requester (or a hostile portal) can; prints the HTTP status and the answer's Code
# ("-" when none).
connect_start() {
	timeout 30 /usr/bin/python3 - "$@" <<'PY'
import json, sys, urllib.error, urllib.request
req = json.load(open(sys.argv[3]))
body = {"ConnectStartRequest": {"AccountID": sys.argv[2], "SignedRequest": req["SignedRequest"]}}
try:
    r = urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"}), timeout=20)
    status, data = r.status, r.read()
except urllib.error.HTTPError as e:
    status, data = e.code, e.read()
print(status, next(iter(json.loads(data).values())).get("Code", "-"))
PY
}
# quiet CMD...: CMD with its output dropped (for checks on the exit status).
quiet() { "$@" >/dev/null 2>&1; }
for n in $(seq "${DEVICES:-2}"); do
	mkdir -p "$TMP/d$n" && mkdir -m 700 "$TMP/d$n/run"
done

# servermesh_up NAME ARGS...: another servermesh for example.com on a free loopback port, with
# the database $TMP/NAME.db and ARGS (a --listen or --db among them wins: servermesh takes an
# option's last value), logging to $TMP/NAME.log; sets PORTAL (its URL), PORT and PID, and adds
# PID to PORTAL_PIDS for the script's exit trap to kill; fails after 10 s.
PORTAL_PIDS=
servermesh_up() {
	up_name=$1
	shift
	# Emptied here, not by the background job's redirection: that runs in the child, maybe
	# after portal_url has read a previous servermesh's URL from the same log.
	: >"$TMP/$up_name.log"
	"$SERVERMESH" example.com --listen 127.0.0.1:0 --db "$TMP/$up_name.db" "$@" \
		2>>"$TMP/$up_name.log" &
	PID=$!
	PORTAL_PIDS="$PORTAL_PIDS $PID"
	PORTAL=$(portal_url "$TMP/$up_name.log" "$PID")
	PORT=$(echo "$PORTAL" | sed -n 's#^https*://127.0.0.1:\([0-9]*\)/.well-known/mmm/$#\1#p')
	[ -n "$PORT" ]
}
