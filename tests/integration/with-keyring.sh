#!/bin/sh
# SPDX-License-Identifier: MIT
# with-keyring.sh CMD [ARGS...]: runs CMD with a throwaway gnome-keyring as the Secret Service,
# its login keyring (the default collection) unlocked with the password "testpass". Meant for
#   dbus-run-session -- sh with-keyring.sh CMD ARGS...
# The keyring lives in $MESH_KEYRING_DIR (a new temporary folder unless the caller sets it):
# HOME, XDG_DATA_HOME (keyrings/login.keyring), XDG_RUNTIME_DIR (0700, the control socket).
# CMD can lock and unlock the collection with keyring-lib.sh. Returns CMD's status; the daemon
# is stopped by its pid at the end.
set -u
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
	echo "with-keyring.sh: no session bus: run it under dbus-run-session" >&2
	exit 1
fi
if [ $# = 0 ]; then
	echo "usage: dbus-run-session -- sh with-keyring.sh CMD [ARGS...]" >&2
	exit 2
fi
own_dir=
if [ -z "${MESH_KEYRING_DIR:-}" ]; then
	MESH_KEYRING_DIR=$(mktemp -d)
	own_dir=$MESH_KEYRING_DIR
fi
export MESH_KEYRING_DIR
HOME=$MESH_KEYRING_DIR/home
XDG_DATA_HOME=$HOME/.local/share
XDG_CONFIG_HOME=$HOME/.config
XDG_CACHE_HOME=$HOME/.cache
XDG_RUNTIME_DIR=$MESH_KEYRING_DIR/run
export HOME XDG_DATA_HOME XDG_CONFIG_HOME XDG_CACHE_HOME XDG_RUNTIME_DIR
mkdir -p -m 700 "$HOME" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"

KEYRING_LIB_NO_CHECKS=1
. "$(dirname "$0")/keyring-lib.sh"
unset KEYRING_LIB_NO_CHECKS

cleanup() {
	keyring_stop
	[ -z "$own_dir" ] || rm -rf "$own_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

keyring_start || exit 1
# What the daemon printed (GNOME_KEYRING_CONTROL=...): export each line.
eval "$(sed -n 's/^\([A-Z_]*=[^;]*\)$/export \1/p' "$MESH_KEYRING_DIR/env")"
"$@"
status=$?
exit $status
