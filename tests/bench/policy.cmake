# SPDX-License-Identifier: MIT
# bench-policy: KeySign (one client and several) and ssh-agent SIGN_REQUEST against a plain agent
# (--no-audit, no policy) and one with its audit log and 50 policy rules, in alternating rounds;
# the ratio and PASS/FAIL against "within 20 %" (docs/benchmarks.md "Policy and audit"). The
# smoke run starts both agents on temporary hives and times a few requests; it fails only when
# something does not work, never on the figures.
if(NOT TARGET meshagent OR NOT TARGET meshclient)
	return()
endif()
add_executable(bench-policy ${CMAKE_CURRENT_LIST_DIR}/bench-policy.c
	${CMAKE_CURRENT_LIST_DIR}/bench-common.c)
target_link_libraries(bench-policy PRIVATE meshclient mesh-backends mesh-platform mesh-core
	PkgConfig::CRYPTO)
add_test(NAME bench-smoke/bench-policy
	COMMAND bench-policy --agent $<TARGET_FILE:meshagent> --rounds 2 --requests 40)
set_tests_properties(bench-smoke/bench-policy PROPERTIES LABELS bench-smoke TIMEOUT 120)
