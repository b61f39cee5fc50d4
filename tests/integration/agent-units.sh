#!/bin/sh
# SPDX-License-Identifier: MIT
# Start at login: the systemd user units and the XDG autostart entry that cmake --install puts
# in place, and the ones mesh agent install-login writes, pass systemd-analyze verify without a
# warning; the socket unit's way of starting the agent (a listening socket handed over, the
# agent in the foreground) works, tried with systemd-socket-activate.
# Usage: agent-units.sh BUILD_DIR MESH MESHAGENT
set -u
BUILD=$1 MESH=$2 AGENT=$3
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/client-lib.sh"
need systemd-analyze systemd-socket-activate
P="$TMP/prefix"

# verify DIR: systemd-analyze --user verify of DIR's units: exit 0 and not one warning.
verify() {
	(cd "$1" && timeout 60 systemd-analyze --user verify ./meshagent.socket \
		./meshagent.service >"$TMP/verify" 2>&1) && [ ! -s "$TMP/verify" ] ||
		{ cat "$TMP/verify"; return 1; }
}

timeout 120 cmake --install "$BUILD" --prefix "$P" >"$TMP/install.log" 2>&1
U="$P/lib/systemd/user"
check "cmake --install puts the units in lib/systemd/user" \
	[ -f "$U/meshagent.socket" -a -f "$U/meshagent.service" ]
check "and the autostart entry in etc/xdg/autostart" [ -f "$P/etc/xdg/autostart/meshagent.desktop" ]
check "the service starts the installed agent in the foreground" \
	grep -qx "ExecStart=$P/bin/meshagent --foreground" "$U/meshagent.service"
check "the autostart entry starts the installed agent" \
	grep -qx "Exec=$P/bin/meshagent" "$P/etc/xdg/autostart/meshagent.desktop"
check "the socket is the production agent's, private" sh -c "grep -qx \
	'ListenStream=%t/mesh/MathematicalMesh/agent.sock' \"$U/meshagent.socket\" && \
	grep -qx SocketMode=0600 \"$U/meshagent.socket\" && grep -qx DirectoryMode=0700 \
	\"$U/meshagent.socket\""
check "the service is hardened" sh -c "grep -qx LimitCORE=0 \"$U/meshagent.service\" && \
	grep -qx NoNewPrivileges=yes \"$U/meshagent.service\" && \
	grep -qx ProtectSystem=strict \"$U/meshagent.service\""
check "systemd-analyze verify accepts the installed units" verify "$U"
# The verifier must be able to say no, or the check above proves nothing.
mkdir "$TMP/broken"
cp "$U/meshagent.socket" "$TMP/broken/"
sed "s|^ExecStart=.*|ExecStart=$TMP/nonesuch --foreground|" "$U/meshagent.service" \
	>"$TMP/broken/meshagent.service"
check "systemd-analyze verify refuses a unit whose agent is missing" \
	sh -c "! (cd \"$TMP/broken\" && systemd-analyze --user verify ./meshagent.socket \
	./meshagent.service) >/dev/null 2>&1"

# ---- mesh agent install-login ----
C="$HOME/.config"
timeout 30 "$MESH" agent install-login >"$TMP/out" 2>"$TMP/err"
check "install-login writes three files" [ "$(grep -c '^Wrote ' "$TMP/out")" = 3 ]
check "the user units" [ -f "$C/systemd/user/meshagent.socket" -a \
	-f "$C/systemd/user/meshagent.service" ]
check "the autostart entry" [ -f "$C/autostart/meshagent.desktop" ]
check "they start the meshagent beside this mesh" grep -qx \
	"ExecStart=$(dirname "$MESH")/meshagent --foreground" "$C/systemd/user/meshagent.service"
check "files 0644, folders made 0700" sh -c "[ \$(stat -c %a \"$C/autostart/meshagent.desktop\") \
	= 644 ] && [ \$(stat -c %a \"$C/systemd/user/meshagent.service\") = 644 ] && \
	[ \$(stat -c %a \"$C/autostart\") = 700 ]"
check "systemd-analyze verify accepts them" verify "$C/systemd/user"
timeout 30 "$MESH" --json agent install-login >"$TMP/files.json"
check "install-login again, --json: the same three files" [ "$(jget '" ".join(d["Files"])' \
	"$TMP/files.json")" = "$C/systemd/user/meshagent.socket $C/systemd/user/meshagent.service \
$C/autostart/meshagent.desktop" ]

# ---- socket activation as the units do it ----
SOCK="$XDG_RUNTIME_DIR/mesh/MathematicalMesh/agent.sock"
mkdir -p -m 700 "$(dirname "$SOCK")"
systemd-socket-activate -l "$SOCK" "$P/bin/meshagent" --foreground >"$TMP/activate.log" 2>&1 &
EXTRA_PIDS=$!
for i in 1 2 3 4 5 6 7 8 9 10; do [ -S "$SOCK" ] && break; sleep 0.2; done
timeout 30 "$MESH" --hive production agent status >"$TMP/status" 2>"$TMP/err"
check "the first connection starts the agent on the handed-over socket" \
	grep -q "^The agent for the production hive: pid" "$TMP/status"
timeout 30 "$MESH" --hive production device create >/dev/null
check "and it serves requests" \
	[ "$(timeout 30 "$MESH" --hive production key list | grep -c Ed25519)" = 2 ]
expect_out "it stops on request" "Stopped the agent for the production hive" \
	timeout 30 "$MESH" --hive production agent stop
finish
