#!/bin/sh
# SPDX-License-Identifier: MIT
# The dpapi key store under Wine: the key-store conformance suite's in-process part
# (tests/integration/keystore-conformance.c, built for Windows, unchanged), the signatures it
# leaves verified here with the Linux openssl as keystore-conformance.sh does, and the tamper
# checks (test-dpapi-tamper.c). Paths are given relative to the working directory, which Wine
# maps to its Z: drive.
# Usage: store.sh EMULATOR CONFORMANCE-TOOL TAMPER-TOOL
set -u
EMU=$1 TOOL=$2 TAMPER=$3
HERE=$(dirname "$0")
. "$HERE/../integration/lib.sh"
command -v openssl >/dev/null || not_ok "openssl is not installed: this test needs it"
cd "$TMP" || exit 1
# Wine derives a folder's DACL from its Unix mode: the hive refuses a root others may read.
(umask 077 && mkdir -p out root tamper)

# 1. In process, under Wine.
if $EMU "$TOOL" dpapi root out >suite.log 2>&1; then
	ok "dpapi: $(tail -n 1 suite.log)"
else
	not_ok "dpapi: the in-process suite: $(grep FAIL suite.log | head -5) $(tail -n 3 suite.log)"
fi
openssl_verify_left dpapi out

# 2. Tampering.
if $EMU "$TAMPER" tamper >tamper.log 2>&1; then
	ok "dpapi: $(tail -n 1 tamper.log)"
else
	not_ok "dpapi: tampering: $(grep FAIL tamper.log | head -5) $(tail -n 3 tamper.log)"
fi
sed 's/^/# /' suite.log tamper.log
finish
