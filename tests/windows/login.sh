#!/bin/sh
# SPDX-License-Identifier: MIT
# The Run key (windows/login.c) under Wine: test-win-platform's own login checks (RegGetValueW,
# the command lines run as Explorer runs them), then install and uninstall through its helper
# mode with the values read back by Wine's reg.exe, as a user would look at them.
# Usage: login.sh EMULATOR TEST-WIN-PLATFORM
set -u
EMU=$1 TOOL=$2
HERE=$(dirname "$0")
. "$HERE/../integration/lib.sh"
RUN='HKCU\Software\Microsoft\Windows\CurrentVersion\Run'
unset MMM_HOME MESH_AGENT_SOCK MESH_SSH_AGENT_SOCK

# 1. In process.
if $EMU "$TOOL" logintest >"$TMP/c.log" 2>&1; then
	ok "Run key, in process: $(grep -c '^ok' "$TMP/c.log") checks"
else
	not_ok "Run key, in process: $(grep FAIL "$TMP/c.log" | head -5)"
fi
tr -d '\r' <"$TMP/c.log" | sed 's/^/# /'

# query NAME: reg.exe's line for the Run value NAME (CR stripped); exit status as reg's.
query() {
	$EMU reg query "$RUN" /v "$1" >"$TMP/q" 2>/dev/null
	_s=$?
	tr -d '\r' <"$TMP/q" | grep -F "$1" | grep REG_SZ
	return $_s
}

# 2. Install both hives; reg.exe sees both, distinct, quoting meshagent.exe's path.
# The C library writes text with "\r\n": strip it before matching lines.
login() {
	$EMU "$TOOL" login "$@" >"$TMP/raw" 2>&1
	_s=$?
	tr -d '\r' <"$TMP/raw"
	return $_s
}
login install test >"$TMP/i1" || not_ok "install test: $(cat "$TMP/i1")"
login install production >"$TMP/i2" ||
	not_ok "install production: $(cat "$TMP/i2")"
t=$(query meshagent-test)
p=$(query meshagent)
printf '# reg query: %s\n' "$t" "$p"
case $t in
*'meshagent-test'*REG_SZ*'"'?':\'*'\meshagent.exe" --hive test') ok "reg query: meshagent-test is REG_SZ, the quoted path of meshagent.exe and --hive test" ;;
*) not_ok "reg query: meshagent-test: '$t'" ;;
esac
case $p in
*'meshagent '*REG_SZ*'"'?':\'*'\meshagent.exe" --hive production') ok "reg query: meshagent (production) is a value of its own" ;;
*) not_ok "reg query: meshagent: '$p'" ;;
esac
grep -q '^path HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\meshagent-test$' "$TMP/i1" &&
	ok "install names the value it wrote" || not_ok "install output: $(cat "$TMP/i1")"

# 3. Uninstall the test hive's: gone for reg.exe, production's stays; again: no error.
login uninstall test >"$TMP/u1" || not_ok "uninstall test: $(cat "$TMP/u1")"
if query meshagent-test >/dev/null; then
	not_ok "reg query still finds meshagent-test after uninstall"
else
	ok "reg query: meshagent-test is gone after uninstall"
fi
query meshagent >/dev/null && ok "reg query: meshagent (production) stays" ||
	not_ok "the production value went with the test one"
if login uninstall test >"$TMP/u2" && grep -q '^next No start-at-login' "$TMP/u2" &&
	! grep -q '^path' "$TMP/u2"; then
	ok "uninstall when absent: exit 0, nothing removed (as on Linux)"
else
	not_ok "uninstall when absent: $(cat "$TMP/u2")"
fi
login uninstall production >/dev/null
query meshagent >/dev/null && not_ok "meshagent stays after its uninstall" ||
	ok "reg query: meshagent is gone after its uninstall"
finish
