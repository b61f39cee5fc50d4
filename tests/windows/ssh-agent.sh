#!/bin/sh
# SPDX-License-Identifier: MIT
# The ssh-agent on a named pipe signing with a dpapi key (test-win-ssh-agent.c, under Wine), and
# the signature it leaves verified here by the Linux openssl, an implementation of Ed25519 that
# is not the one the agent signed with.
# Usage: ssh-agent.sh EMULATOR TEST-WIN-SSH-AGENT
set -u
EMU=$1 TOOL=$2
HERE=$(dirname "$0")
. "$HERE/../integration/lib.sh"
command -v openssl >/dev/null || not_ok "openssl is not installed: this test needs it"
cd "$TMP" || exit 1
# Wine derives a folder's DACL from its Unix mode: the hive refuses a root others may read.
(umask 077 && mkdir -p root out)
if $EMU "$TOOL" root out >agent.log 2>&1; then
	ok "$(tail -n 1 agent.log)"
else
	not_ok "the ssh-agent on a pipe: $(grep FAIL agent.log | head -5) $(tail -n 3 agent.log)"
fi
openssl_verify_left "ssh-agent pipe" out
grep -E '^(ok|FAIL)' agent.log | sed 's/^/# /'
finish
