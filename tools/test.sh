#!/bin/sh
# SPDX-License-Identifier: MIT
# Every test: a -Werror build with ctest (unit suites, also under valgrind; integration tests;
# fuzz corpus replays), the same under AddressSanitizer + UndefinedBehaviorSanitizer, and the
# libFuzzer targets built with clang and run briefly on their corpora, and the Windows build
# (mingw-w64, -Werror) with its tests under Wine (tools/test-windows.sh).
set -eu
cd "$(dirname "$0")/.."
. tools/deps.sh
mesh_deps

jobs=$(nproc 2>/dev/null || echo 2)
fuzz_seconds=${MESH_FUZZ_SECONDS:-20}
start=$(date +%s)

step() { echo; echo "== $*"; }

step "0/4 the seam: no OS header or call outside linux/, windows/, macos/, tests/, tools/"
sh tools/check-seam.sh

step "1/4 build with -Werror, run every test (and the unit suites under valgrind)"
cmake -S . -B build/ci -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMESH_WERROR=ON -DMESH_VALGRIND=ON -DMESH_REQUIRE_TPM2=ON >/dev/null
cmake --build build/ci -j "$jobs"
(cd build/ci && ctest --output-on-failure -j "$jobs")

step "2/4 AddressSanitizer + UndefinedBehaviorSanitizer build, every test again"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DMESH_WERROR=ON -DMESH_SANITIZE=ON -DMESH_REQUIRE_TPM2=ON >/dev/null
cmake --build build/asan -j "$jobs"
(cd build/asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j "$jobs")

step "3/4 libFuzzer targets (clang), corpora replayed, then ${fuzz_seconds}s of fuzzing each"
CC=clang cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=Debug -DMESH_WERROR=ON -DMESH_FUZZ=ON -DMESH_REQUIRE_TPM2=ON >/dev/null
cmake --build build/fuzz -j "$jobs"
(cd build/fuzz && ctest --output-on-failure -j "$jobs" -L fuzz)
for target in build/fuzz/tests/fuzz/fuzz-*; do
	name=${target##*/fuzz-}
	work=$(mktemp -d)
	# New inputs go to a scratch folder; the checked-in corpus is only read. Findings
	# (crash-*, leak-*, ...) are written to build/fuzz/findings.
	mkdir -p build/fuzz/findings
	if ! "$target" -max_total_time="$fuzz_seconds" -print_final_stats=1 \
		-artifact_prefix=build/fuzz/findings/"$name"- "$work" "tests/fuzz/corpus/$name" \
		>"$work.log" 2>&1; then
		tail -n 40 "$work.log" >&2
		echo "fuzz-$name found a failure: see build/fuzz/findings/" >&2
		exit 1
	fi
	echo "fuzz-$name: $(grep -E '^stat::number_of_executed_units' "$work.log" | awk '{print $2}') runs, no finding"
	rm -rf "$work" "$work.log"
done

step "4/4 the Windows build (mingw-w64, -Werror) and its tests under Wine"
MESH_HOST_SERVERMESH=$PWD/build/ci/cli/servermesh sh tools/test-windows.sh

echo
echo "All tests passed in $(( $(date +%s) - start ))s."
