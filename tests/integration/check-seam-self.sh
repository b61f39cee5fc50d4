#!/bin/sh
# SPDX-License-Identifier: MIT
# tools/check-seam.sh fails on a tree that calls the OS outside the OS folders, and passes on
# the same tree once the call sits in linux/: the check CI relies on can fail.
. "$(dirname "$0")/lib.sh"
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tree() {
	rm -rf "$work/t" && mkdir -p "$work/t/core" "$work/t/linux" "$work/t/ipc"
	printf '/* pure */\n#include <glib.h>\nint f(void) { return g_random_int(); }\n' \
		>"$work/t/core/pure.c"
	printf '#include <unistd.h>\nint g(void) { return (int)getpid(); }\n' >"$work/t/$1/os.c"
	printf 'static int h(int fd) { return close(fd); }\n' >"$work/t/$2/call.c"
	printf '/* close(fd) in a comment, "fork()" in a string */\nconst char *s = "fork()";\n' \
		>"$work/t/ipc/quiet.c"
	printf 'pkg_check_modules(G REQUIRED gio-unix-2.0)\n' >"$work/t/$3/CMakeLists.txt"
	(cd "$work/t" && git init -q && git add -A)
}

tree core ipc ipc
out=$(sh "$src/tools/check-seam.sh" "$work/t" 2>&1) && rc=0 || rc=$?
check "a header, a call and gio-unix outside linux/ fail the check" [ "$rc" -ne 0 ]
check "the header is named" sh -c 'echo "$1" | grep -q "core/os.c includes an OS header"' - "$out"
check "the call is named" sh -c 'echo "$1" | grep -q "ipc/call.c calls the OS"' - "$out"
check "gio-unix is named" sh -c 'echo "$1" | grep -q "ipc/CMakeLists.txt names an OS-only"' - "$out"
check "comments and strings are not calls" sh -c '! echo "$1" | grep -q quiet.c' - "$out"

tree linux linux linux
check "the same code in linux/ passes" sh "$src/tools/check-seam.sh" "$work/t"
finish
