#!/bin/sh
# SPDX-License-Identifier: MIT
# The same-run comparison of issue 16 (item 4): bench-portal against today's servermesh
# (242a3c4) and this build's, with the same client, in one run: SQLite one node, SQLite two
# nodes, PostgreSQL one node, PostgreSQL two nodes (242a3c4 has no PostgreSQL store: its
# columns say "-" there). Each configuration prints its own tables, markdown included; the
# markdown of all four is repeated at the end, ready for docs/benchmarks.md.
#
# Usage: sh tests/bench/portal-compare.sh BUILD [bench-portal options...]
#   BUILD    a build folder with bench-portal and servermesh built (the candidate)
#   options  passed to every run, e.g. --seconds 2 --rounds 3 (defaults: bench-portal's)
# Environment: BASELINE_COMMIT (default 242a3c4); BASELINE_SERVERMESH=PATH uses a servermesh
# built already instead of building one.
#
# The baseline is built from git: a detached worktree of BASELINE_COMMIT in a temporary folder,
# a cmake build of the target servermesh only; both are removed at the end, also on a failure.
set -eu

die() {
	echo "portal-compare: $*" >&2
	exit 1
}

[ $# -ge 1 ] || die "usage: portal-compare.sh BUILD [bench-portal options...]"
build=$(cd "$1" && pwd) || die "no build folder $1"
shift
bench=$build/tests/bench/bench-portal
candidate=$build/cli/servermesh
[ -x "$bench" ] || die "$bench is not built: cmake --build $build --target bench-portal"
[ -x "$candidate" ] || die "$candidate is not built: cmake --build $build --target servermesh"
here=$(cd "$(dirname "$0")" && pwd)
src=$(git -C "$here" rev-parse --show-toplevel) || die "$here is not in a git checkout"
commit=${BASELINE_COMMIT:-242a3c4}

tmp=$(mktemp -d /tmp/portal-compare-XXXXXX)
worktree=
cleanup() {
	if [ -n "$worktree" ]; then
		git -C "$src" worktree remove --force "$worktree" >/dev/null 2>&1 || true
		git -C "$src" worktree prune >/dev/null 2>&1 || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${BASELINE_SERVERMESH:-}" ]; then
	baseline=$BASELINE_SERVERMESH
	[ -x "$baseline" ] || die "BASELINE_SERVERMESH=$baseline is not a program"
else
	worktree=$tmp/src
	echo "portal-compare: building servermesh of $commit in $tmp" >&2
	git -C "$src" worktree add --detach "$worktree" "$commit" >"$tmp/worktree.log" 2>&1 ||
		die "git worktree add $commit failed: $(tail -n 5 "$tmp/worktree.log")"
	cmake -S "$worktree" -B "$tmp/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$tmp/cmake.log" 2>&1 ||
		die "cmake of $commit failed: $(tail -n 20 "$tmp/cmake.log")"
	cmake --build "$tmp/build" -j2 --target servermesh >"$tmp/build.log" 2>&1 ||
		die "building servermesh of $commit failed: $(tail -n 20 "$tmp/build.log")"
	baseline=$tmp/build/cli/servermesh
fi

echo "portal-compare: baseline $commit ($baseline), candidate $(git -C "$src" rev-parse --short HEAD) ($candidate)"
echo "portal-compare: $(nproc) cores; load average $(cat /proc/loadavg)"
n=0
for config in "sqlite 1" "sqlite 2" "pg 1" "pg 2"; do
	db=${config% *}
	nodes=${config#* }
	n=$((n + 1))
	echo
	echo "==== $db, $nodes node(s)"
	# (a pipeline's status is tee's: bench-portal's goes through a file)
	{
		"$bench" --servermesh "$candidate" --baseline "$baseline" --db "$db" \
			--nodes "$nodes" "$@"
		echo $? >"$tmp/rc-$n"
	} | tee "$tmp/run-$n.txt"
	[ "$(cat "$tmp/rc-$n")" = 0 ] || die "bench-portal failed ($db, $nodes node(s))"
done

echo
echo "==== markdown of the four runs (baseline $commit)"
for i in 1 2 3 4; do
	echo
	sed -n '/^Markdown/,$p' "$tmp/run-$i.txt" | sed 1d
done
