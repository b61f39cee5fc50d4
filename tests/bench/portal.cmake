# SPDX-License-Identifier: MIT
# bench-portal: requests/s of Hello, Get and signed ConnectStatus at 1, 16 and 64 connections,
# and Get latency with a small and a large database, against its own servermesh on 127.0.0.1.
# The smoke run uses tiny databases and 0.3 s measurements.
if(NOT TARGET servermesh OR NOT TARGET mesh-portal)
	return()
endif()
add_executable(bench-portal ${CMAKE_CURRENT_LIST_DIR}/bench-portal.c)
target_link_libraries(bench-portal PRIVATE mesh-portal mesh-platform mesh-core m)
add_test(NAME bench-smoke/bench-portal
	COMMAND bench-portal --servermesh $<TARGET_FILE:servermesh> --smoke)
set_tests_properties(bench-smoke/bench-portal PROPERTIES LABELS bench-smoke TIMEOUT 120)
