# SPDX-License-Identifier: MIT
# The session verbs end to end: mesh and two agents (three devices) against servermesh on
# loopback (mesh-scenario.sh). Included from tests/integration/CMakeLists.txt.
if(NOT TARGET mesh OR NOT TARGET meshagent OR NOT TARGET servermesh)
	return()
endif()
add_test(NAME integration/mesh-scenario
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/mesh-scenario.sh $<TARGET_FILE:mesh>
		$<TARGET_FILE:meshagent> $<TARGET_FILE:servermesh>)
set_tests_properties(integration/mesh-scenario PROPERTIES LABELS integration TIMEOUT 600)
