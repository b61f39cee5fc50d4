#!/bin/sh
# SPDX-License-Identifier: MIT
# The installed client library: cmake --install into a temporary prefix, build
# examples/hello-agent.c with nothing but pkg-config --cflags --libs meshclient, and run it
# against an agent started by the installed mesh. Usage: agent-example.sh BUILD_DIR SOURCE_DIR
# ($CC and $EXAMPLE_CFLAGS, when set, are the compiler and extra flags, e.g. for sanitizers).
set -u
BUILD=$1 SOURCE=$2
. "$(dirname "$0")/lib.sh"
P="$TMP/prefix"
MESH="$P/bin/mesh"
. "$(dirname "$0")/client-lib.sh"
need pkg-config "${CC:-cc}" nm
mesh() { timeout 60 "$MESH" --hive test "$@"; }

timeout 120 cmake --install "$BUILD" --prefix "$P" >"$TMP/install.log" 2>&1
check "cmake --install into a temporary prefix" [ -x "$P/bin/mesh" -a -x "$P/bin/meshagent" ]
check "the headers are installed" [ -f "$P/include/mesh/client.h" -a -f "$P/include/mesh/error.h" ]
LIB=$(dirname "$(find "$P" -name 'libmeshclient.so.0' | head -n 1)")
export PKG_CONFIG_PATH="$LIB/pkgconfig"
check "meshclient.pc is installed beside the library" [ -f "$LIB/pkgconfig/meshclient.pc" ]
check "pkg-config finds meshclient in the prefix" sh -c "pkg-config --cflags meshclient | \
	grep -q -- '-I$P/include' && pkg-config --libs meshclient | grep -q -- '-lmeshclient'"
nm -D --defined-only "$LIB/libmeshclient.so" | awk '{ print $NF }' | sed 's/@.*//' >"$TMP/symbols"
check "the library exports mesh_client_* and nothing else" sh -c "grep -q '^mesh_client_open$' \
	\"$TMP/symbols\" && ! grep -v -e '^mesh_client_' -e '^MESHCLIENT_0$' \"$TMP/symbols\""

# Plain C: the public header needs no GLib and builds warning-free as C99.
${CC:-cc} -std=c99 -Wall -Wextra -Wpedantic -Werror ${EXAMPLE_CFLAGS:-} \
	"$SOURCE/examples/hello-agent.c" $(pkg-config --cflags --libs meshclient) \
	-o "$TMP/hello-agent" 2>"$TMP/cc.log"
check "hello-agent builds with pkg-config --cflags --libs meshclient" [ -x "$TMP/hello-agent" ]
[ -x "$TMP/hello-agent" ] || cat "$TMP/cc.log"
export LD_LIBRARY_PATH="$LIB"

expect_fail "without an agent it says so" 26 "no agent" "$TMP/hello-agent" test
mesh agent start >/dev/null
check "the installed mesh started the installed agent" [ -n "$(agent_pid test)" ]
timeout 30 "$TMP/hello-agent" test >"$TMP/out1" 2>"$TMP/err"
check "before a device: Hello" \
	grep -q '^Agent protocol 1\.[0-9]*, hive test, [0-9]* methods$' "$TMP/out1"
check "and Status" grep -q '^Agent pid [0-9]*, 0 device(s), 0 key(s)$' "$TMP/out1"
check "and no device" grep -q '^No device yet' "$TMP/out1"
D=$(mesh device create --description "example" | sed -n 's/^Created device //p')
timeout 30 "$TMP/hello-agent" test >"$TMP/out2" 2>"$TMP/err"
check "after mesh device create: the device's identifier" grep -qx "Device $D" "$TMP/out2"
check "and its keys" grep -q '^Agent pid [0-9]*, 1 device(s), 3 key(s)$' "$TMP/out2"
mesh agent stop >/dev/null
finish
