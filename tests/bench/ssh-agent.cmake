# SPDX-License-Identifier: MIT
# bench-ssh-agent: Ed25519 sign requests over the OpenSSH agent protocol, stock ssh-agent beside
# meshagent's ssh-agent.sock (tests/bench/ssh-agent.sh starts both). The smoke run times a few
# rounds; until the handler (ipc/ssh-agent.c) is merged it runs against stock ssh-agent alone.
find_program(MESH_SSH_AGENT ssh-agent)
find_program(MESH_SSH_ADD ssh-add)
if(NOT TARGET meshagent OR NOT TARGET meshclient OR NOT MESH_SSH_AGENT OR NOT MESH_SSH_ADD)
	return()
endif()
add_executable(bench-ssh-agent ${CMAKE_CURRENT_LIST_DIR}/bench-ssh-agent.c
	${CMAKE_CURRENT_LIST_DIR}/bench-common.c)
target_link_libraries(bench-ssh-agent PRIVATE meshclient PkgConfig::GLIB PkgConfig::CRYPTO)
add_test(NAME bench-smoke/bench-ssh-agent
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/ssh-agent.sh $<TARGET_FILE:bench-ssh-agent>
		$<TARGET_FILE:meshagent>)
set(env BENCH_ROUNDS=50)
if(NOT EXISTS ${PROJECT_SOURCE_DIR}/ipc/ssh-agent.c)
	list(APPEND env BENCH_STOCK_ONLY=1)
endif()
set_tests_properties(bench-smoke/bench-ssh-agent PROPERTIES LABELS bench-smoke TIMEOUT 120
	ENVIRONMENT "${env}")
