# SPDX-License-Identifier: MIT
# Sourced by integration scripts (after lib.sh) that log in to a real OpenSSH server on loopback
# with keys served by an agent: the ssh-agent tests, with keys added by ssh-add or kept by the
# Mesh (file and TPM stores). The server runs as the calling user, with its own host key and
# config in a folder of the caller's; it is stopped by pid (sshd_stop, or the caller's trap with
# $SSHD_PID). A missing sshd, ssh or ssh-keygen is a failed check, not a skip.
#
#   sshd_start DIR AUTHORIZED_KEYS_FILE [CONFIG-LINE]
#                                         start sshd for DIR (with one more sshd_config line);
#                                         exports SSHD_PORT, SSHD_PID and SSHD_DIR; returns
#                                         non-zero (logged) when it cannot
#   sshd_stop DIR                         stop the server started for DIR
#   ssh_to SOCK CMD...                    run CMD on the server as this user, with only the keys
#                                         of the agent on SOCK; ssh's exit status
SSHD=/usr/sbin/sshd
for tool in "$SSHD" ssh ssh-keygen; do
	command -v "$tool" >/dev/null || not_ok "$tool is not installed: this test needs OpenSSH"
done

# A loopback TCP port nobody listens on now (the kernel's choice). sshd may still lose a race
# for it: sshd_start tries again with another.
free_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# port_answers PORT: TRUE when something accepts on 127.0.0.1:PORT and speaks SSH.
port_answers() {
	/usr/bin/python3 -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
sys.exit(0 if s.recv(4) == b"SSH-" else 1)' "$1" 2>/dev/null
}

sshd_start() {
	_dir=$1 _keys=$2 _extra=${3:-}
	mkdir -p "$_dir" /run/sshd || return 1
	[ -f "$_dir/host_ed25519" ] ||
		ssh-keygen -q -t ed25519 -N '' -C sshd-host -f "$_dir/host_ed25519" || return 1
	for _try in 1 2 3 4 5; do
		SSHD_PORT=$(free_port) || return 1
		cat >"$_dir/sshd_config" <<-EOF
			Port $SSHD_PORT
			ListenAddress 127.0.0.1
			HostKey $_dir/host_ed25519
			PidFile $_dir/sshd.pid
			AuthorizedKeysFile $_keys
			UsePAM no
			StrictModes no
			PasswordAuthentication no
			KbdInteractiveAuthentication no
			PubkeyAuthentication yes
			Subsystem sftp internal-sftp
			LogLevel VERBOSE
			$_extra
		EOF
		rm -f "$_dir/sshd.pid"
		# sshd daemonises once it listens: its pid file then names the server.
		timeout 20 "$SSHD" -f "$_dir/sshd_config" -E "$_dir/sshd.log" || continue
		for _i in $(seq 1 100); do
			[ -s "$_dir/sshd.pid" ] && port_answers "$SSHD_PORT" && break
			sleep 0.1
		done
		if [ -s "$_dir/sshd.pid" ] && port_answers "$SSHD_PORT"; then
			SSHD_PID=$(cat "$_dir/sshd.pid") SSHD_DIR=$_dir
			export SSHD_PORT SSHD_PID SSHD_DIR
			return 0
		fi
		[ -s "$_dir/sshd.pid" ] && kill "$(cat "$_dir/sshd.pid")" 2>/dev/null
	done
	echo "sshd did not start; its log:" >&2
	cat "$_dir/sshd.log" >&2 2>/dev/null
	return 1
}

sshd_stop() {
	[ -s "$1/sshd.pid" ] || return 0
	_pid=$(cat "$1/sshd.pid")
	kill "$_pid" 2>/dev/null
	for _i in $(seq 1 50); do
		kill -0 "$_pid" 2>/dev/null || break
		sleep 0.1
	done
	rm -f "$1/sshd.pid"
}

ssh_to() {
	_sock=$1
	shift
	timeout 30 ssh -F /dev/null -o BatchMode=yes -o IdentityAgent="$_sock" \
		-o IdentitiesOnly=no -o UserKnownHostsFile="$SSHD_DIR/kh" \
		-o StrictHostKeyChecking=accept-new -o ConnectTimeout=10 -p "$SSHD_PORT" \
		"$(id -un)@127.0.0.1" "$@" </dev/null
}
