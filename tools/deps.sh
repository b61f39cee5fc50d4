#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian 12 packages meshagent needs to build and test, if any is missing.
# Sourced by tools/demo.sh and tools/test.sh. As root it runs apt-get; otherwise it prints the
# apt-get line to run and stops.
set -eu

MESH_PACKAGES="gcc make cmake pkg-config libc6-dev
 libglib2.0-dev libjson-glib-dev libssl-dev libcunit1-dev
 clang libclang-rt-14-dev valgrind python3 python3-jwcrypto python3-cryptography
 openssh-client openssh-server openssl systemd curl
 libsoup-3.0-dev glib-networking libsqlite3-dev sqlite3 libqrencode-dev
 postgresql libpq-dev
 libsecret-1-dev libtss2-dev
 dbus dbus-daemon gnome-keyring libsecret-tools
 swtpm swtpm-tools tpm2-tools tpm2-openssl
 strace gdb"

# mesh_install_missing WHO PACKAGE...: install the packages that are missing (as root), or print
# the apt-get line that would and stop; WHO starts the message ("meshagent needs").
mesh_install_missing() {
	who=$1
	shift
	missing=""
	for p in "$@"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
			missing="$missing $p"
		fi
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "$who these Debian packages. Run, as root:" >&2
		echo "  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
		exit 1
	fi
	echo "== installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

mesh_deps() {
	# shellcheck disable=SC2086
	mesh_install_missing "meshagent needs" $MESH_PACKAGES
}
