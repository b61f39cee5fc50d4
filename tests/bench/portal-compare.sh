#!/bin/sh
# SPDX-License-Identifier: MIT
# The same-run comparison of issue 16 (item 4): bench-portal against today's servermesh
# (242a3c4) and a candidate, with the same client, in one run: SQLite one node, SQLite two
# nodes, PostgreSQL one node, PostgreSQL two nodes (242a3c4 has no PostgreSQL store: its
# columns say "-" there). Each configuration prints its own tables, markdown included; the
# markdown of all four is repeated at the end, ready for docs/benchmarks.md.
#
# Usage: sh tests/bench/portal-compare.sh BUILD [bench-portal options...]
#   BUILD    a build folder with bench-portal built (and servermesh: the candidate)
#   options  passed to every run, e.g. --seconds 2 --rounds 3 (defaults: bench-portal's)
# Environment:
#   BASELINE_COMMIT      the baseline's commit (default 242a3c4)
#   BASELINE_SERVERMESH  a baseline servermesh built already (then nothing is built for it)
#   CANDIDATE_COMMIT     build the candidate from this commit (e.g. main) instead of using
#                        BUILD's servermesh: a branch that only changes the bench measures
#                        the servermesh of main
#
# A servermesh built from git comes from a detached worktree of the commit in a temporary
# folder, by a cmake build of the target servermesh only; both are removed at the end, also on
# a failure.
set -eu

die() {
	echo "portal-compare: $*" >&2
	exit 1
}

[ $# -ge 1 ] || die "usage: portal-compare.sh BUILD [bench-portal options...]"
build=$(cd "$1" && pwd) || die "no build folder $1"
shift
bench=$build/tests/bench/bench-portal
[ -x "$bench" ] || die "$bench is not built: cmake --build $build --target bench-portal"
here=$(cd "$(dirname "$0")" && pwd)
src=$(git -C "$here" rev-parse --show-toplevel) || die "$here is not in a git checkout"
baseline_commit=${BASELINE_COMMIT:-242a3c4}

tmp=$(mktemp -d /tmp/portal-compare-XXXXXX)
worktrees=
cleanup() {
	for w in $worktrees; do
		git -C "$src" worktree remove --force "$w" >/dev/null 2>&1 || true
	done
	[ -z "$worktrees" ] || git -C "$src" worktree prune >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# build_servermesh COMMIT NAME: servermesh of COMMIT built in $tmp/NAME; prints its path.
build_servermesh() {
	w=$tmp/$2-src
	echo "portal-compare: building servermesh of $1 in $tmp/$2" >&2
	git -C "$src" worktree add --detach "$w" "$1" >"$tmp/$2-worktree.log" 2>&1 ||
		die "git worktree add $1 failed: $(tail -n 5 "$tmp/$2-worktree.log")"
	worktrees="$worktrees $w"
	cmake -S "$w" -B "$tmp/$2" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$tmp/$2-cmake.log" 2>&1 ||
		die "cmake of $1 failed: $(tail -n 20 "$tmp/$2-cmake.log")"
	cmake --build "$tmp/$2" -j2 --target servermesh >"$tmp/$2-build.log" 2>&1 ||
		die "building servermesh of $1 failed: $(tail -n 20 "$tmp/$2-build.log")"
}

if [ -n "${BASELINE_SERVERMESH:-}" ]; then
	baseline=$BASELINE_SERVERMESH
	[ -x "$baseline" ] || die "BASELINE_SERVERMESH=$baseline is not a program"
else
	build_servermesh "$baseline_commit" baseline
	baseline=$tmp/baseline/cli/servermesh
fi
if [ -n "${CANDIDATE_COMMIT:-}" ]; then
	build_servermesh "$CANDIDATE_COMMIT" candidate
	candidate=$tmp/candidate/cli/servermesh
	candidate_commit=$(git -C "$src" rev-parse --short "$CANDIDATE_COMMIT")
else
	candidate=$build/cli/servermesh
	[ -x "$candidate" ] || die "$candidate is not built: cmake --build $build --target servermesh"
	candidate_commit="$(git -C "$src" rev-parse --short HEAD) (BUILD's servermesh)"
fi

echo "portal-compare: baseline $baseline_commit, candidate $candidate_commit"
echo "portal-compare: $(nproc) cores; load average $(cat /proc/loadavg)"
n=0
for config in "sqlite 1" "sqlite 2" "pg 1" "pg 2"; do
	db=${config% *}
	nodes=${config#* }
	n=$((n + 1))
	echo
	echo "==== $db, $nodes node(s)"
	# A pipeline's status is tee's: bench-portal's goes through a file.
	{
		rc=0
		"$bench" --servermesh "$candidate" --baseline "$baseline" --db "$db" \
			--nodes "$nodes" "$@" || rc=$?
		echo "$rc" >"$tmp/rc-$n"
	} | tee "$tmp/run-$n.txt"
	[ "$(cat "$tmp/rc-$n")" = 0 ] || die "bench-portal failed ($db, $nodes node(s))"
done

echo
echo "==== markdown of the four runs (baseline $baseline_commit, candidate $candidate_commit)"
for i in 1 2 3 4; do
	echo
	sed -n '/^Markdown/,$p' "$tmp/run-$i.txt" | sed 1d
done
