# SPDX-License-Identifier: MIT
# Shared by the portal's scripts (portal-http.sh, portal-flood.sh, portal-queue.sh,
# portal-quota.sh): servermesh for example.com on a free loopback port, a private HOME, and an
# exit trap that kills the servermesh started last, by pid, and removes $TMP. Sourced after
# lib.sh; the script sets SERVERMESH.
SPID=
URL=
PY="timeout 120 /usr/bin/python3 $(dirname "$0")/portal-abuse.py"
export HOME="$TMP/home" XDG_DATA_HOME="$TMP/home/data"
mkdir -p "$HOME"
# LeakSanitizer (clang 14, glibc 2.36) crashes at exit on the dynamic TLS of the GIO TLS module
# (glib-networking) unless ASan leaves __tls_get_addr alone; leak checking still runs.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}intercept_tls_get_addr=0"
trap 'portal_kill; rm -rf "$TMP"' EXIT

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
	URL=$(portal_url "$log" "$SPID")
	[ -n "$URL" ] && return 0
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
