# SPDX-License-Identifier: MIT
# Shared by the portal's abuse scripts (portal-flood.sh, portal-queue.sh, portal-quota.sh):
# servermesh for example.com on a free loopback port. Sourced after lib.sh; the script sets
# SERVERMESH, and a trap that calls portal_kill.
SPID=
URL=

# portal_start LOG ARGS...: start servermesh with ARGS (under ulimit -n $PORTAL_NOFILE when that
# is set); sets SPID and URL; fails after 10 s.
portal_start() {
	log=$1
	shift
	: >"$log"
	if [ -n "${PORTAL_NOFILE:-}" ]; then
		(ulimit -n "$PORTAL_NOFILE" && exec "$SERVERMESH" example.com --listen 127.0.0.1:0 "$@") \
			2>"$log" &
	else
		"$SERVERMESH" example.com --listen 127.0.0.1:0 "$@" 2>"$log" &
	fi
	SPID=$!
	URL=
	for _ in $(seq 100); do
		URL=$(sed -n 's/^servermesh: serving example.com on \(http[^ ]*\)$/\1/p' "$log")
		[ -n "$URL" ] && return 0
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.1
	done
	echo "servermesh did not start: $(cat "$log")"
	return 1
}

# portal_stop: SIGTERM, and the exit status must be 0.
portal_stop() {
	kill -TERM "$SPID" && wait "$SPID"
	status=$?
	SPID=
	return $status
}

portal_kill() {
	[ -n "$SPID" ] && kill -9 "$SPID" 2>/dev/null
	SPID=
}
