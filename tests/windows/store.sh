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
mkdir -p out root tamper

# 1. In process, under Wine.
if $EMU "$TOOL" dpapi root out >suite.log 2>&1; then
	ok "dpapi: $(tail -n 1 suite.log)"
else
	not_ok "dpapi: the in-process suite: $(grep FAIL suite.log | head -5) $(tail -n 3 suite.log)"
fi
for pem in out/*.pem; do
	[ -e "$pem" ] || { not_ok "dpapi: no signature was left for openssl"; break; }
	base=${pem%.pem} alg=$(basename "$base")
	if [ "$alg" = Ed25519 ]; then
		set -- -rawin
	else
		set -- -digest sha256 -rawin
	fi
	check "dpapi: openssl verifies the $alg signature" openssl pkeyutl -verify -pubin \
		-inkey "$pem" "$@" -in "$base.msg" -sigfile "$base.sig"
	printf x >>"$base.msg"
	check "dpapi: ... and refuses it for another message" sh -c "! openssl pkeyutl \
		-verify -pubin -inkey '$pem' $* -in '$base.msg' -sigfile '$base.sig' >/dev/null 2>&1"
done

# 2. Tampering.
if $EMU "$TAMPER" tamper >tamper.log 2>&1; then
	ok "dpapi: $(tail -n 1 tamper.log)"
else
	not_ok "dpapi: tampering: $(grep FAIL tamper.log | head -5) $(tail -n 3 tamper.log)"
fi
sed 's/^/# /' suite.log tamper.log
finish
