# SPDX-License-Identifier: MIT
# bench-agent: KeySign over the agent's socket (libmeshclient) beside in-process signing with
# the same key. The smoke run starts its own agent on a temporary hive and times a few rounds.
if(NOT TARGET meshagent OR NOT TARGET meshclient)
	return()
endif()
add_executable(bench-agent ${CMAKE_CURRENT_LIST_DIR}/bench-agent.c
	${CMAKE_CURRENT_LIST_DIR}/bench-common.c)
target_link_libraries(bench-agent PRIVATE meshclient mesh-backends mesh-platform mesh-core)
add_test(NAME bench-smoke/bench-agent
	COMMAND bench-agent --agent $<TARGET_FILE:meshagent> --rounds 20)
set_tests_properties(bench-smoke/bench-agent PROPERTIES LABELS bench-smoke TIMEOUT 120)
