# SPDX-License-Identifier: MIT
# Helpers for tests against a throwaway software TPM (swtpm on a socket, tpm2-tools; tools/deps.sh installs both). Sourced
# after lib.sh (ok/not_ok/check/finish). A missing swtpm or tpm2-tools is a failed check, not a
# skip: a test that passes without its TPM proves nothing.

# swtpm_start DIR: a swtpm with its state in DIR/state (kept across restarts), its socket at
# DIR/tpm.sock and its pid in DIR/swtpm.pid; waits until it answers, then exports
# MESH_TPM2_TCTI, TPM2TOOLS_TCTI and TPM2OPENSSL_TCTI for it and quiets tss2's logging. Returns non-zero (after a
# failed check) when it cannot.
swtpm_start() {
	dir=$1
	for tool in swtpm tpm2_getrandom; do
		if ! command -v $tool >/dev/null 2>&1; then
			not_ok "$tool not found: install Debian's swtpm and tpm2-tools"
			return 1
		fi
	done
	mkdir -p "$dir/state"
	rm -f "$dir/swtpm.pid"
	if ! swtpm socket --tpm2 --tpmstate dir="$dir/state" \
		--server type=unixio,path="$dir/tpm.sock" \
		--ctrl type=unixio,path="$dir/tpm.sock.ctrl" \
		--flags not-need-init,startup-clear --daemon --pid file="$dir/swtpm.pid" \
		2>"$dir/swtpm.err"; then
		not_ok "swtpm did not start: $(cat "$dir/swtpm.err")"
		return 1
	fi
	MESH_TPM2_TCTI="swtpm:path=$dir/tpm.sock"
	TPM2TOOLS_TCTI=$MESH_TPM2_TCTI
	# tpm2-openssl (openssl -provider tpm2) reads its own variable.
	TPM2OPENSSL_TCTI=$MESH_TPM2_TCTI
	TSS2_LOG=all+none
	export MESH_TPM2_TCTI TPM2TOOLS_TCTI TPM2OPENSSL_TCTI TSS2_LOG
	# Bounded wait: up to 10 s for the first answer.
	tries=0
	until tpm2_getrandom 4 >/dev/null 2>&1; do
		tries=$((tries + 1))
		if [ $tries -ge 100 ]; then
			not_ok "swtpm at $dir/tpm.sock does not answer"
			swtpm_stop "$dir"
			return 1
		fi
		sleep 0.1
	done
	return 0
}

# swtpm_stop DIR: stop the swtpm started by swtpm_start DIR (by its pid) and wait until it is
# gone, so that a restart on the same state finds it free.
swtpm_stop() {
	dir=$1
	[ -f "$dir/swtpm.pid" ] || return 0
	pid=$(cat "$dir/swtpm.pid")
	rm -f "$dir/swtpm.pid"
	case $pid in '' | *[!0-9]*) return 0 ;; esac
	kill "$pid" 2>/dev/null || return 0
	tries=0
	while kill -0 "$pid" 2>/dev/null && [ $tries -lt 50 ]; do
		tries=$((tries + 1))
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
}

# tpm_test_home: what every TPM test script starts with: TPM=$TMP/tpm for swtpm_start, a fresh
# HOME, and on exit the commands in $TPM_TEST_CLEANUP (if set), the swtpm stopped and $TMP
# removed.
tpm_test_home() {
	TPM=$TMP/tpm
	trap '${TPM_TEST_CLEANUP:-:}; swtpm_stop "$TPM"; rm -rf "$TMP"' EXIT
	HOME=$TMP/home
	export HOME
	mkdir -m 700 "$HOME"
}
