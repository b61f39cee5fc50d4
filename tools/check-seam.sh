#!/bin/sh
# SPDX-License-Identifier: MIT
# The seam between the portable tree and the operating system (docs/design.md "Layers and
# folders"): POSIX headers and calls may appear only in the OS folders (linux/, windows/,
# macos/), tests/ and tools/. Everything else must build for every target, so this fails when
# a source or build file outside them names one.
# Usage: check-seam.sh [TREE] (a git checkout; default: this one).
set -eu
cd "${1:-$(dirname "$0")/..}"

headers='unistd\.h|sys/[a-z_/]+\.h|fcntl\.h|termios\.h|pwd\.h|grp\.h|poll\.h|signal\.h|dlfcn\.h|netinet/[a-z_]+\.h|arpa/inet\.h|netdb\.h|glib-unix\.h|gio/gunix[a-z]*\.h|gio/gfiledescriptorbased\.h|syslog\.h|spawn\.h'
calls='fork|vfork|setsid|waitpid|wait|getuid|geteuid|getgid|getegid|getpid|getppid|isatty|setrlimit|getrlimit|flock|fcntl|ioctl|pipe|pipe2|dup|dup2|accept4|socketpair|chmod|fchmod|chown|lstat|fstat|umask|prctl|ptrace|tcgetattr|tcsetattr|open|openat|close|read|write|pread|pwrite|unlink|mkdir|rmdir|symlink|readlink|kill|sigaction|getpwuid|getpwnam|mmap|mlock|fsync|poll|select|g_unix_[a-z_]+|g_spawn_check_wait_status'

# C sources and headers, and the CMake files that would pull in gio-unix or OS-only packages.
sources=$(git ls-files -- '*.c' '*.h' | grep -vE '^(linux|windows|macos|tests|tools)/' || true)
cmake_files=$(git ls-files -- '*CMakeLists.txt' '*.cmake' | grep -vE '^(linux|windows|macos|tests|tools)/' || true)

found=0
report() {
	echo "check-seam: $1" >&2
	found=1
}

for f in $sources; do
	# Comments and string literals do not call anything: strip them before looking for calls.
	hits=$(grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*<($headers)>" "$f" || true)
	[ -z "$hits" ] || report "$f includes an OS header (move the code into linux/ behind core/):
$hits"
	hits=$(sed -E 's#/\*.*\*/##g; s#//.*$##; s#"([^"\\]|\\.)*"#""#g' "$f" |
		awk '/\/\*/ { c = 1 } !c { print NR ": " $0 } /\*\// { c = 0 }' |
		grep -E "(^|[^A-Za-z0-9_.>])($calls)[[:space:]]*\(" |
		grep -vE '^[0-9]+: [[:space:]]*\*' || true)
	[ -z "$hits" ] || report "$f calls the OS directly (use core/platform.h or core/transport.h):
$hits"
done
for f in $cmake_files; do
	hits=$(grep -nE 'gio-unix|libsecret|REQUIRED[^)]*tss2' "$f" | grep -vE '^[0-9]+:[[:space:]]*#' || true)
	[ -z "$hits" ] || report "$f names an OS-only package (find it in the OS folder's CMakeLists.txt, or where it is optional):
$hits"
done

if [ "$found" -ne 0 ]; then
	echo "check-seam: OS calls outside linux/, windows/, macos/, tests/ and tools/ (see above)" >&2
	exit 1
fi
echo "check-seam: no OS header or call outside the OS folders"
