#!/bin/sh
# SPDX-License-Identifier: MIT
# The Windows build and its tests, here: the dependencies cross-built from Debian's own sources
# (tools/windows-deps.sh, cached outside the tree), the tree cross-built with mingw-w64 and
# -Werror (what needs json-glib syntax-only: cmake/syntax-only.cmake), and the Windows tests
# run under Wine by ctest (tests/windows/). Installs what is missing with apt-get. Run as
# `sh tools/test-windows.sh`; tools/test.sh runs it as its last step.
set -eu
cd "$(dirname "$0")/.."
. tools/deps.sh
mesh_deps
. tools/windows-deps.sh
mesh_windows_deps

jobs=$(nproc 2>/dev/null || echo 2)
start=$(date +%s)
step() { echo; echo "== windows: $*"; }

# The WinHTTP test talks to a servermesh on Linux loopback: the one tools/test.sh built, else one
# built here.
servermesh=${MESH_HOST_SERVERMESH:-}
if [ -z "$servermesh" ] || [ ! -x "$servermesh" ]; then
	step "the Linux servermesh the WinHTTP test talks to"
	cmake -S . -B build/windows-host -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build/windows-host -j "$jobs" --target servermesh >/dev/null
	servermesh=$PWD/build/windows-host/cli/servermesh
fi

step "cross-build with mingw-w64 and -Werror (the json-glib layers syntax-only)"
cmake -S . -B build/windows -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo -DMESH_WERROR=ON \
	-DMESH_HOST_SERVERMESH="$servermesh" >/dev/null
cmake --build build/windows -j "$jobs"

step "the Windows tests under Wine"
# One Wine prefix per run (its first start takes ~10 s and ~700 MB), started before ctest with
# its standard streams closed: a wineserver first spawned by a test keeps ctest waiting for ever.
export WINEPREFIX="$PWD/build/windows/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
rm -rf "$WINEPREFIX"
wineserver -k 2>/dev/null || true
mkdir -p "$WINEPREFIX"
wineserver -p </dev/null >/dev/null 2>&1
wine cmd /c exit </dev/null >/dev/null 2>&1
trap 'wineserver -k 2>/dev/null || true' EXIT
(cd build/windows && ctest --output-on-failure -j "$jobs")
wineserver -k 2>/dev/null || true
trap - EXIT

echo
echo "Windows: every test passed in $(( $(date +%s) - start ))s."
