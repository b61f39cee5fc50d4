# SPDX-License-Identifier: MIT
# Sourced, after lib.sh, by the scripts that hold portal requests (agent-portal-wait.sh,
# agent-timeouts.sh): hold_portal_start starts servermesh for example.com on a free loopback
# port and hold-proxy.py in front of it, which holds each request while $P/hold exists. The
# script sets SERVERMESH and P (the proxy's folder), and stops $SPID and $XPID by pid.

# hold_portal_start: sets SPID, XPID and PURL (the proxy's portal URL); checks that both start.
hold_portal_start() {
	"$SERVERMESH" example.com --listen 127.0.0.1:0 --db "$TMP/portal.db" 2>"$TMP/portal.log" &
	SPID=$!
	surl=$(portal_url "$TMP/portal.log" "$SPID")
	port=$(echo "$surl" | sed -n 's|^http://127.0.0.1:\([0-9]*\)/.*|\1|p')
	check "servermesh starts" [ -n "$port" ]
	mkdir -p "$P"
	/usr/bin/python3 "$(dirname "$0")/hold-proxy.py" "$port" "$P" &
	XPID=$!
	PURL=$(proxy_url "$P")
	check "the holding proxy starts" [ -n "$PURL" ]
}
# held: how many requests the proxy has held so far.
held() { [ -f "$P/held" ] && wc -l <"$P/held" || echo 0; }
# wait_held N: until N requests have been held (at most 30 s).
wait_held() {
	for _ in $(seq 300); do
		[ "$(held)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
