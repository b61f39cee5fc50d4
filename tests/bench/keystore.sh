#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-keystore for all three stores (tpm2 with and without a PIN) in one run: a private session
# bus with gnome-keyring (with-keyring.sh) for secret, a swtpm (tpm-lib.sh) for tpm2.
# Usage: sh tests/bench/keystore.sh BENCH-KEYSTORE MESHAGENT [ROUNDS]
set -eu
BENCH=$1 AGENT=$2 ROUNDS=${3:-500}
HERE=$(cd "$(dirname "$0")/../integration" && pwd)
if [ -z "${MESH_KEYSTORE_BENCH_INNER:-}" ]; then
	MESH_KEYSTORE_BENCH_INNER=1 exec dbus-run-session -- sh "$HERE/with-keyring.sh" \
		sh "$0" "$@"
fi
. "$HERE/lib.sh"
. "$HERE/tpm-lib.sh"
mkdir -p "$TMP/tpm"
swtpm_start "$TMP/tpm"
trap 'swtpm_stop "$TMP/tpm"; rm -rf "$TMP"' EXIT
"$BENCH" --agent "$AGENT" --rounds "$ROUNDS" file secret tpm2 tpm2-pin
