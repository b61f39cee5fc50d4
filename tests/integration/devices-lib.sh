# SPDX-License-Identifier: MIT
# Sourced, after lib.sh, by the scripts that run several devices against one portal: device N
# (1..$DEVICES, default 2) has its own HOME, XDG_RUNTIME_DIR (0700) and MMM_HOME under $TMP/dN,
# and takes its portal from $URL, which the script sets once the portal runs. MESH is the mesh
# binary; DEV_TIMEOUT (default 120 s) bounds each command.

# denv N CMD...: CMD in device N's environment, bounded in time.
denv() {
	n=$1
	shift
	HOME="$TMP/d$n" XDG_RUNTIME_DIR="$TMP/d$n/run" MMM_HOME="$TMP/d$n/.mmm" \
		MESH_PORTAL_URL="$URL" timeout "${DEV_TIMEOUT:-120}" "$@"
}
# dev N ARGS...: mesh on device N.
dev() {
	n=$1
	shift
	denv "$n" "$MESH" --hive test "$@"
}
for n in $(seq "${DEVICES:-2}"); do
	mkdir -p "$TMP/d$n" && mkdir -m 700 "$TMP/d$n/run"
done
