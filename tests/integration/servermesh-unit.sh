#!/bin/sh
# SPDX-License-Identifier: MIT
# The portal's systemd system unit (dist/servermesh@.service) as cmake --install puts it in
# place: it starts the installed servermesh, passes systemd-analyze verify without a warning,
# has the hardening issue 16 asks for and an exposure level (systemd-analyze security) of at most
# 2.0; every option of its ExecStart= is one servermesh has (checked against servermesh --help);
# and that ExecStart=, run as systemd would run it (the state folder, the credentials folder and
# the instance filled in, a free loopback port for 443), serves HTTPS with the certificate it is
# given and answers its health check. The sysusers.d file makes the user the unit runs as. The
# checks are shown to refuse a broken unit and an unknown option.
# Usage: servermesh-unit.sh BUILD_DIR SERVERMESH
set -u
BUILD=$1 SERVERMESH=$2
HERE=$(dirname "$0")
. "$HERE/lib.sh"
. "$HERE/portal-lib.sh"
need() {
	for tool in "$@"; do
		command -v "$tool" >/dev/null || not_ok "$tool is not installed: this test needs it"
	done
}
need systemd-analyze systemd-sysusers curl openssl
P="$TMP/prefix"
timeout 120 cmake --install "$BUILD" --prefix "$P" >"$TMP/install.log" 2>&1
T="$P/lib/systemd/system/servermesh@.service"
check "cmake --install puts servermesh@.service in lib/systemd/system" [ -f "$T" ]
check "and the system user in lib/sysusers.d/servermesh.conf" [ -f "$P/lib/sysusers.d/servermesh.conf" ]
check "every placeholder is filled" sh -c "! grep -q '@[a-z_]*@' '$T'"
EXEC=$(sed -n 's/^ExecStart=//p' "$T")
check "ExecStart= starts the installed servermesh for the instance's domain ($EXEC)" \
	sh -c "echo '$EXEC' | grep -q '^$P/bin/servermesh .* %i\$'"

# verify DIR: systemd-analyze verify of DIR/servermesh@example.com.service (an instance of the
# template): exit 0 and not one warning.
verify() {
	(cd "$1" && timeout 60 systemd-analyze verify ./servermesh@example.com.service \
		>"$TMP/verify" 2>&1) && [ ! -s "$TMP/verify" ] || { cat "$TMP/verify"; return 1; }
}
# refused DIR: verify fails or warns.
refused() { ! verify "$@" >/dev/null; }
mkdir "$TMP/units" "$TMP/broken"
cp "$T" "$TMP/units/servermesh@example.com.service"
check "systemd-analyze verify accepts the installed unit" verify "$TMP/units"
sed "s|^ExecStart=[^ ]*|ExecStart=$TMP/nonesuch|" "$T" >"$TMP/broken/servermesh@example.com.service"
check "... and refuses one whose servermesh is missing" refused "$TMP/broken"
sed 's|^SystemCallFilter=.*|SystemCallFilter=@nonesuch|' "$T" \
	>"$TMP/broken/servermesh@example.com.service"
check "... and warns of an unknown system call set" refused "$TMP/broken"

# The hardening: each setting as issue 16 names it.
for line in User=servermesh StateDirectory=servermesh StateDirectoryMode=0700 \
	ProtectSystem=strict ProtectHome=yes PrivateTmp=yes NoNewPrivileges=yes \
	CapabilityBoundingSet=CAP_NET_BIND_SERVICE AmbientCapabilities=CAP_NET_BIND_SERVICE \
	'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' SystemCallFilter=@system-service \
	MemoryDenyWriteExecute=yes LockPersonality=yes UMask=0077 LimitCORE=0; do
	check "the unit has $line" grep -qx "$line" "$T"
done
check "no setting gives it more than CAP_NET_BIND_SERVICE" \
	[ "$(grep -c '^[A-Za-z]*Capabilit[A-Za-z]*=' "$T")" = 2 ]
timeout 60 systemd-analyze security --offline=yes "$TMP/units/servermesh@example.com.service" \
	>"$TMP/security" 2>&1
level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p' "$TMP/security")
check "systemd-analyze security: exposure level $level, at most 2.0" \
	awk -v l="$level" 'BEGIN { exit !(l != "" && l <= 2.0) }'

# options FILE: every --option of FILE's ExecStart= is one that servermesh --help lists.
options() {
	"$SERVERMESH" --help >"$TMP/help"
	for option in $(sed -n 's/^ExecStart=//p' "$1" | tr ' ' '\n' | sed -n 's/^\(--[a-z-]*\).*/\1/p'); do
		grep -q "^  \(-[a-z], \)\?$option[= ]" "$TMP/help" || { echo "unknown: $option"; return 1; }
	done
}
# unknown FILE: options refuses FILE.
unknown() { ! options "$@" >/dev/null; }
check "every option of ExecStart= is one of servermesh --help's" options "$T"
check "(the unit gives --db, --listen, --tls-cert and --tls-key)" sh -c "[ \$(echo '$EXEC' | \
	tr ' ' '\n' | grep -c -e '^--db\$' -e '^--listen\$' -e '^--tls-cert\$' -e '^--tls-key\$') = 4 ]"
sed 's|^ExecStart=\([^ ]*\) |ExecStart=\1 --nonesuch |' "$T" >"$TMP/broken/servermesh@.service"
check "... which refuses an option servermesh does not have" \
	unknown "$TMP/broken/servermesh@.service"

# The ExecStart= as systemd runs it: %i the domain, %d the credentials folder with the
# certificate and key under their names, the state folder made 0700, SERVERMESH_OPTIONS empty;
# only the address differs (a free loopback port: 443 needs the capability systemd grants).
mkdir -m 700 "$TMP/state" "$TMP/creds"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -days 2 -keyout "$TMP/creds/tls-key" \
	-out "$TMP/creds/tls-cert" 2>"$TMP/openssl.err"
check "a self-signed certificate made" [ -s "$TMP/creds/tls-cert" ]
CMD=$(echo "$EXEC" | sed -e "s|^$P/bin/servermesh|$SERVERMESH|" -e "s|%i|example.com|g" \
	-e "s|%d|$TMP/creds|g" -e "s|/var/lib/servermesh|$TMP/state|g" \
	-e 's|\[::\]:443|127.0.0.1:0|' -e 's|\$SERVERMESH_OPTIONS||')
# shellcheck disable=SC2086
$CMD 2>"$TMP/log" &
SPID=$!
URL=$(portal_url "$TMP/log" "$SPID")
check "the unit's command line starts servermesh ($(head -c 300 "$TMP/log"))" \
	sh -c "echo '$URL' | grep -q '^https://127.0.0.1:[0-9]*/.well-known/mmm/\$'"
check "... which answers its health check over HTTPS with the unit's certificate" \
	[ "$(curl -s --max-time 20 --cacert "$TMP/creds/tls-cert" "${URL}health")" = '{"Status":"ok"}' ]
check "... keeps its database where StateDirectory= is, 0600" \
	[ "$(stat -c %a "$TMP/state/example.com.db")" = 600 ]
check "... and stops cleanly" portal_stop

mkdir -p "$TMP/root/etc"
timeout 60 systemd-sysusers --root="$TMP/root" "$P/lib/sysusers.d/servermesh.conf" \
	>"$TMP/sysusers" 2>&1
check "systemd-sysusers makes the user servermesh, home /var/lib/servermesh, no login" sh -c \
	"grep -q '^servermesh:x:[0-9]*:[0-9]*:Mathematical Mesh portal:/var/lib/servermesh:.*nologin\$' \
	'$TMP/root/etc/passwd'"
finish
