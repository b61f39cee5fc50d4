# SPDX-License-Identifier: MIT
# bench-portal: requests/s of Hello, Get and signed ConnectStatus at 1, 16 and 64 connections,
# with and without keep-alive, and latency with a small and a large database, against its own
# servermesh on 127.0.0.1 (SQLite or PostgreSQL, one node or two, beside a baseline servermesh:
# portal-compare.sh). The smoke runs use tiny databases, 0.3 s measurements and one round: on
# SQLite with the same servermesh as its own baseline (the alternating path), and on the pg
# fixture's cluster with two nodes. They fail, never skip.
if(NOT TARGET servermesh OR NOT TARGET mesh-portal)
	return()
endif()
add_executable(bench-portal ${CMAKE_CURRENT_LIST_DIR}/bench-portal.c)
target_link_libraries(bench-portal PRIVATE mesh-portal mesh-platform mesh-core m)
# --db pg starts its own cluster with the source tree's pg-cluster.sh unless told otherwise.
target_compile_definitions(bench-portal PRIVATE
	MESH_PG_CLUSTER="${CMAKE_CURRENT_LIST_DIR}/../pg-cluster.sh")
add_test(NAME bench-smoke/bench-portal
	COMMAND bench-portal --servermesh $<TARGET_FILE:servermesh>
		--baseline $<TARGET_FILE:servermesh> --smoke)
add_test(NAME bench-smoke/bench-portal-pg
	COMMAND bench-portal --servermesh $<TARGET_FILE:servermesh> --db pg --nodes 2
		--pg-dir ${MESH_PG_DIR} --smoke)
set_tests_properties(bench-smoke/bench-portal bench-smoke/bench-portal-pg
	PROPERTIES LABELS bench-smoke TIMEOUT 120)
mesh_use_pg(bench-smoke/bench-portal-pg)
