#!/bin/sh
# SPDX-License-Identifier: MIT
# Start at login: the systemd user units and the XDG autostart entry that cmake --install puts
# in place, and the ones mesh agent install-login writes for the chosen hive and MMM_HOME, pass
# systemd-analyze verify without a warning; units of different hives and homes never overwrite
# each other; uninstall-login removes what install-login wrote. The units' way of starting the
# agent (both of its sockets handed over, the agent in the foreground, with the home baked into
# the unit) works, tried with systemd-socket-activate: ssh-add through the ssh-agent socket
# starts the agent and is answered, and mesh is served on the other socket.
# Usage: agent-units.sh BUILD_DIR MESH MESHAGENT
set -u
BUILD=$1 MESH=$2 AGENT=$3
HERE=$(dirname "$0")
. "$HERE/lib.sh"
. "$HERE/client-lib.sh"
need systemd-analyze systemd-socket-activate ssh-add
P="$TMP/prefix"
APID=

# verify DIR UNIT: systemd-analyze --user verify of DIR's UNIT.socket and UNIT.service: exit 0 and
# not one warning.
verify() {
	(cd "$1" && timeout 60 systemd-analyze --user verify "./$2.socket" "./$2.service" \
		>"$TMP/verify" 2>&1) && [ ! -s "$TMP/verify" ] || { cat "$TMP/verify"; return 1; }
}
# refused DIR UNIT: verify fails or warns.
refused() { ! verify "$@" >/dev/null; }
# filled FILE...: no placeholder (@name@) is left.
filled() { ! grep -q '@[a-z_]*@' "$@"; }

timeout 120 cmake --install "$BUILD" --prefix "$P" >"$TMP/install.log" 2>&1
U="$P/lib/systemd/user"
check "cmake --install puts the units in lib/systemd/user" \
	[ -f "$U/meshagent.socket" -a -f "$U/meshagent.service" ]
check "and the autostart entry in etc/xdg/autostart" [ -f "$P/etc/xdg/autostart/meshagent.desktop" ]
check "the service starts the installed agent of the production hive in the foreground" \
	grep -qx "ExecStart=$P/bin/meshagent --hive production --foreground" "$U/meshagent.service"
check "the autostart entry starts the installed agent of the production hive" \
	grep -qx "Exec=$P/bin/meshagent --hive production" "$P/etc/xdg/autostart/meshagent.desktop"
check "the socket unit holds both of the production agent's sockets, private" sh -c "grep -qx \
	'ListenStream=%t/mesh/MathematicalMesh/agent.sock' \"$U/meshagent.socket\" && grep -qx \
	'ListenStream=%t/mesh/MathematicalMesh/ssh-agent.sock' \"$U/meshagent.socket\" && \
	grep -qx SocketMode=0600 \"$U/meshagent.socket\" && grep -qx DirectoryMode=0700 \
	\"$U/meshagent.socket\""
check "the service is hardened" sh -c "grep -qx LimitCORE=0 \"$U/meshagent.service\" && \
	grep -qx NoNewPrivileges=yes \"$U/meshagent.service\" && \
	grep -qx ProtectSystem=strict \"$U/meshagent.service\""
check "every placeholder is filled" filled "$U/meshagent.socket" "$U/meshagent.service" \
	"$P/etc/xdg/autostart/meshagent.desktop"
check "systemd-analyze verify accepts the installed units" verify "$U" meshagent
# The verifier must be able to say no, or the checks of it prove nothing.
mkdir "$TMP/broken"
cp "$U/meshagent.socket" "$TMP/broken/"
sed "s|^ExecStart=.*|ExecStart=$TMP/nonesuch --foreground|" "$U/meshagent.service" \
	>"$TMP/broken/meshagent.service"
check "systemd-analyze verify refuses a unit whose agent is missing" sh -c "! (cd \
	\"$TMP/broken\" && systemd-analyze --user verify ./meshagent.socket ./meshagent.service) \
	>/dev/null 2>&1"
sed 's|^ReadWritePaths=.*|ReadWritePaths="-/a b|' "$U/meshagent.service" \
	>"$TMP/broken/meshagent.service"
check "... and warns of a badly quoted path" refused "$TMP/broken" meshagent

# ---- mesh agent install-login ----
C="$HOME/.config"
SU="$C/systemd/user"
A="$C/autostart"
BIN=$(dirname "$MESH")
timeout 30 "$MESH" agent install-login >"$TMP/out" 2>"$TMP/err"
check "install-login writes three files" [ "$(grep -c '^Wrote ' "$TMP/out")" = 3 ]
check "the production hive's units are meshagent.*" [ -f "$SU/meshagent.socket" -a \
	-f "$SU/meshagent.service" -a -f "$A/meshagent.desktop" ]
check "they start the meshagent beside this mesh, for the production hive" grep -qx \
	"ExecStart=$BIN/meshagent --hive production --foreground" "$SU/meshagent.service"
check "files 0644, folders made 0700" sh -c "[ \$(stat -c %a \"$A/meshagent.desktop\") \
	= 644 ] && [ \$(stat -c %a \"$SU/meshagent.service\") = 644 ] && \
	[ \$(stat -c %a \"$A\") = 700 ]"
check "every placeholder is filled" filled "$SU/meshagent.socket" "$SU/meshagent.service" \
	"$A/meshagent.desktop"
check "systemd-analyze verify accepts them" verify "$SU" meshagent
timeout 30 "$MESH" --json agent install-login >"$TMP/files.json"
check "install-login again, --json: the unit and the same three files" [ "$(jget \
	'd["Unit"] + " " + " ".join(d["Files"])' "$TMP/files.json")" = "meshagent \
$SU/meshagent.socket $SU/meshagent.service $A/meshagent.desktop" ]
cat "$SU/meshagent.socket" "$SU/meshagent.service" "$A/meshagent.desktop" >"$TMP/production"

# --hive test: units of their own, for the test hive's sockets.
timeout 30 "$MESH" --hive test agent install-login >"$TMP/out" 2>"$TMP/err"
check "--hive test: meshagent-test.socket, .service and .desktop" [ -f \
	"$SU/meshagent-test.socket" -a -f "$SU/meshagent-test.service" -a \
	-f "$A/meshagent-test.desktop" ]
check "... which hold the test hive's two sockets" sh -c "grep -qx \
	'ListenStream=%t/mesh/CryptoMesh/agent.sock' \"$SU/meshagent-test.socket\" && \
	grep -qx 'ListenStream=%t/mesh/CryptoMesh/ssh-agent.sock' \"$SU/meshagent-test.socket\""
check "... and start the test hive's agent" sh -c "grep -qx \
	'ExecStart=$BIN/meshagent --hive test --foreground' \"$SU/meshagent-test.service\" && \
	grep -qx 'Exec=$BIN/meshagent --hive test' \"$A/meshagent-test.desktop\" && \
	grep -qx 'Requires=meshagent-test.socket' \"$SU/meshagent-test.service\""
check "... and leave the production hive's alone" sh -c "cat \"$SU/meshagent.socket\" \
	\"$SU/meshagent.service\" \"$A/meshagent.desktop\" | cmp -s - \"$TMP/production\""
check "... no MMM_HOME baked in for the default home" sh -c "! grep -q MMM_HOME \
	\"$SU/meshagent-test.service\" \"$A/meshagent-test.desktop\""
check "... every placeholder filled" filled "$SU/meshagent-test.socket" \
	"$SU/meshagent-test.service" "$A/meshagent-test.desktop"
check "... and systemd-analyze verify accepts them" verify "$SU" meshagent-test

# Another MMM_HOME (with a space and a '%', which unit files must quote and escape).
H="$TMP/other home %h"
mkdir -p "$H"
MMM_HOME="$H/.mmm" timeout 30 "$MESH" --hive test --json agent install-login \
	>"$TMP/other.json" 2>"$TMP/err"
OU=$(jget 'd["Unit"]' "$TMP/other.json")
check "another MMM_HOME: units named after the hive and a digest of the home ($OU)" sh -c \
	"echo '$OU' | grep -qx 'meshagent-test-[0-9a-f]\{8\}' && [ -f \"$SU/$OU.socket\" -a \
	-f \"$SU/$OU.service\" -a -f \"$A/$OU.desktop\" ]"
check "... with MMM_HOME baked into the service and the autostart entry" sh -c "grep -qxF \
	'Environment=\"MMM_HOME=$TMP/other home %%h/.mmm\"' \"$SU/$OU.service\" && grep -qxF \
	'ReadWritePaths=\"-$TMP/other home %%h/.mmm\" -%t/mesh' \"$SU/$OU.service\" && grep -qxF \
	'Exec=env \"MMM_HOME=$TMP/other home %%h/.mmm\" $BIN/meshagent --hive test' \
	\"$A/$OU.desktop\""
check "... leaving the default home's test units alone" sh -c "! grep -q MMM_HOME \
	\"$SU/meshagent-test.service\""
check "... every placeholder filled" filled "$SU/$OU.socket" "$SU/$OU.service" "$A/$OU.desktop"
check "... and systemd-analyze verify accepts them" verify "$SU" "$OU"
expect_fail "a socket override is refused (the units serve the usual sockets)" 3 \
	"MESH_AGENT_SOCK is set" env MESH_AGENT_SOCK="$TMP/elsewhere.sock" timeout 30 "$MESH" \
	--hive test agent install-login

# ---- socket activation as the units do it ----
# activate DIR UNIT: systemd-socket-activate with the unit's ListenStream= sockets (%t being
# $XDG_RUNTIME_DIR), its Environment= MMM_HOME when it has one and its ExecStart=; sets APID.
activate() {
	service="$1/$2.service"
	home=$(sed -n 's/^Environment="MMM_HOME=\(.*\)"$/\1/p' "$service" | sed 's/%%/%/g')
	listen=
	for path in $(sed -n "s|^ListenStream=%t|$XDG_RUNTIME_DIR|p" "$1/$2.socket"); do
		mkdir -p -m 700 "$(dirname "$path")"
		listen="$listen -l $path"
	done
	# The unit's words, split as systemd splits them; the home as Environment= gives it (the
	# activator passes on only what -E names); exec, so that $! becomes the agent.
	(
		set --
		[ -n "$home" ] && set -- -E "MMM_HOME=$home"
		# shellcheck disable=SC2046,SC2086
		exec systemd-socket-activate "$@" $listen $(sed -n 's/^ExecStart=//p' "$service")
	) >"$TMP/activate.log" 2>&1 &
	APID=$!
	EXTRA_PIDS="$EXTRA_PIDS $APID"
	for _ in $(seq 50); do
		grep -q 'ssh-agent.sock as 4' "$TMP/activate.log" && return 0
		sleep 0.1
	done
	return 1
}
# started_by_ssh HIVEDIR HOME: ssh-add -l through the ssh-agent socket starts the agent and is
# answered; then mesh and the agent protocol are served on the agent's socket by that same
# process, which kept the sockets it was given; SIGTERM leaves them to their owner.
started_by_ssh() {
	S="$XDG_RUNTIME_DIR/mesh/$1"
	inodes=$(stat -c %i "$S/agent.sock" "$S/ssh-agent.sock")
	check "before the first connection no agent runs" \
		sh -c "! grep -q '^meshagent: serving' \"$TMP/activate.log\""
	SSH_AUTH_SOCK="$S/ssh-agent.sock" timeout 30 ssh-add -l >"$TMP/ssh-add" 2>&1
	st=$?
	grep -q "has no identities" "$TMP/ssh-add" || st="$st, $(cat "$TMP/ssh-add")"
	check "ssh-add -l through the ssh-agent socket starts the agent and is answered ($st)" \
		[ "$st" = 1 ]
	timeout 30 /usr/bin/python3 "$HERE/agentproto.py" call "$S/agent.sock" Status \
		>"$TMP/status.json" 2>&1
	got=$(jget '"%s %s %s" % (d["Result"]["Pid"], d["Result"]["Location"],
		d["Result"]["SSHAgentSocket"])' "$TMP/status.json" 2>&1)
	check "the agent's socket serves the same process, of the home in the unit ($got)" \
		[ "$got" = "$APID $2/$1 $S/ssh-agent.sock" ]
	check "the agent serves the sockets it was given (same inodes)" \
		[ "$(stat -c %i "$S/agent.sock" "$S/ssh-agent.sock")" = "$inodes" ]
	kill -TERM "$APID"
	wait "$APID" && st=0 || st=$?
	check "SIGTERM: exit status 0 ($st), both sockets left to their owner, no lock files" sh -c \
		"[ $st = 0 ] && [ -S \"$S/agent.sock\" -a -S \"$S/ssh-agent.sock\" ] && \
		[ ! -e \"$S/agent.sock.lock\" -a ! -e \"$S/ssh-agent.sock.lock\" ]"
	rm -f "$S/agent.sock" "$S/ssh-agent.sock"
}

check "the units of another MMM_HOME start under systemd-socket-activate" activate "$SU" "$OU"
started_by_ssh CryptoMesh "$H/.mmm"
check "the installed production units start under systemd-socket-activate" activate "$U" meshagent
started_by_ssh MathematicalMesh "$HOME/.mmm"
check "installed production units: mesh starts the agent through the agent's socket" \
	activate "$U" meshagent
timeout 30 "$MESH" --hive production agent status >"$TMP/status" 2>"$TMP/err"
check "the first connection starts the agent on the handed-over socket" \
	grep -q "^The agent for the production hive: pid $APID\$" "$TMP/status"
timeout 30 "$MESH" --hive production device create >/dev/null
check "and it serves requests" \
	[ "$(timeout 30 "$MESH" --hive production key list | grep -c Ed25519)" = 2 ]
expect_out "it stops on request" "Stopped the agent for the production hive" \
	timeout 30 "$MESH" --hive production agent stop

# ---- mesh agent uninstall-login ----
mkdir -p "$SU/sockets.target.wants"
ln -s "$SU/meshagent-test.socket" "$SU/sockets.target.wants/meshagent-test.socket"
expect_fail "uninstall-login refuses while the socket unit is enabled" 3 \
	"systemctl --user disable --now meshagent-test.socket" \
	timeout 30 "$MESH" --hive test agent uninstall-login
rm "$SU/sockets.target.wants/meshagent-test.socket"
timeout 30 "$MESH" --hive test agent uninstall-login >"$TMP/out" 2>"$TMP/err"
check "uninstall-login --hive test removes its three files" sh -c "[ \$(grep -c '^Removed ' \
	\"$TMP/out\") = 3 ] && [ ! -e \"$SU/meshagent-test.socket\" -a ! -e \
	\"$SU/meshagent-test.service\" -a ! -e \"$A/meshagent-test.desktop\" ]"
check "... and leaves the production hive's and the other home's" sh -c "[ -f \
	\"$SU/meshagent.service\" -a -f \"$A/meshagent.desktop\" -a -f \"$SU/$OU.service\" -a \
	-f \"$A/$OU.desktop\" ]"
MMM_HOME="$H/.mmm" timeout 30 "$MESH" --hive test --json agent uninstall-login >"$TMP/out"
check "uninstall-login with that MMM_HOME removes the other home's files" sh -c "[ \
	'$(jget 'len(d["Files"])' "$TMP/out")' = 3 ] && [ ! -e \"$SU/$OU.service\" ]"
expect_out "uninstall-login again: nothing to remove" \
	"No start-at-login files of meshagent-test to remove" \
	timeout 30 "$MESH" --hive test agent uninstall-login
finish
