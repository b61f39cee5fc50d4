# SPDX-License-Identifier: MIT
# A throwaway gnome-keyring for the Secret Service tests, driven from the shell. Sourced, inside
# with-keyring.sh (which starts the daemon) under dbus-run-session. Also sources lib.sh for
# ok/not_ok/check/expect_* unless KEYRING_LIB_NO_CHECKS is set (with-keyring.sh itself).
#
#   keyring_lock     locks the default collection (org.freedesktop.Secret.Service.Lock: no
#                    prompt is needed to lock)
#   keyring_unlock   unlocks it again: gnome-keyring's daemon is stopped (by the pid in
#                    $MESH_KEYRING_DIR/daemon.pid) and started again with --unlock and the
#                    password on stdin, which opens the login keyring from disk. (What does not
#                    work here: Service.Unlock needs the GUI prompter; a second
#                    "gnome-keyring-daemon --unlock", with or without --control-directory, does
#                    not unlock the running one; "--replace --unlock" races with D-Bus
#                    activation; UnlockWithMasterPassword needs a Secret Service session on the
#                    caller's own connection, which one-shot "gdbus call"s cannot hold.)
#   keyring_locked   prints true or false: the default collection's Locked property
#
# MESH_KEYRING_PASSWORD is the login keyring's password (testpass).
if [ -z "${KEYRING_LIB_NO_CHECKS:-}" ]; then
	. "$(dirname "$0")/lib.sh"
fi
: "${MESH_KEYRING_PASSWORD:=testpass}"

keyring_name_owned() {
	gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
		--method org.freedesktop.DBus.NameHasOwner org.freedesktop.secrets 2>/dev/null |
		grep -q true
}

keyring_locked() {
	gdbus call --session --dest org.freedesktop.secrets \
		--object-path /org/freedesktop/secrets/aliases/default \
		--method org.freedesktop.DBus.Properties.Get org.freedesktop.Secret.Collection Locked \
		2>/dev/null | sed -n 's/^(<\(true\|false\)>,)$/\1/p'
}

# keyring_start: gnome-keyring-daemon in the foreground (so its pid is ours to stop), the login
# keyring created or unlocked with the password; waits up to 10 s until the default collection
# answers unlocked. The daemon's environment lines go to $MESH_KEYRING_DIR/env.
keyring_start() {
	if ! command -v gnome-keyring-daemon >/dev/null 2>&1; then
		echo "keyring: gnome-keyring-daemon not found: install Debian's gnome-keyring" >&2
		return 1
	fi
	printf %s "$MESH_KEYRING_PASSWORD" |
		gnome-keyring-daemon --foreground --unlock --components=secrets \
			>"$MESH_KEYRING_DIR/env" 2>>"$MESH_KEYRING_DIR/daemon.log" &
	echo $! >"$MESH_KEYRING_DIR/daemon.pid"
	i=0
	while [ $i -lt 100 ]; do
		# The name first: asking the collection while nobody owns the name would make
		# dbus-daemon start a second, locked gnome-keyring by activation.
		if keyring_name_owned && [ "$(keyring_locked)" = false ]; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "keyring: gnome-keyring-daemon did not come up (see $MESH_KEYRING_DIR/daemon.log)" >&2
	return 1
}

# keyring_stop: stops the daemon by its pid and waits (up to 5 s) until it has left the bus.
keyring_stop() {
	[ -f "$MESH_KEYRING_DIR/daemon.pid" ] || return 0
	pid=$(cat "$MESH_KEYRING_DIR/daemon.pid")
	rm -f "$MESH_KEYRING_DIR/daemon.pid"
	kill "$pid" 2>/dev/null || return 0
	i=0
	while [ $i -lt 50 ] && { kill -0 "$pid" 2>/dev/null || keyring_name_owned; }; do
		sleep 0.1
		i=$((i + 1))
	done
}

keyring_lock() {
	gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets \
		--method org.freedesktop.Secret.Service.Lock \
		"['/org/freedesktop/secrets/aliases/default']" >/dev/null &&
		[ "$(keyring_locked)" = true ]
}

keyring_unlock() {
	keyring_stop && keyring_start
}
