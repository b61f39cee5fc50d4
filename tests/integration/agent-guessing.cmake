# SPDX-License-Identifier: MIT
# Parallel passphrase guessing on both of meshagent's sockets: one gate for every check. The
# script makes its own HOME, XDG_RUNTIME_DIR and MMM_HOME and stops the agent it started by pid.
if(NOT TARGET meshagent OR NOT TARGET mesh)
	return()
endif()
add_test(NAME integration/agent-guessing
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/agent-guessing.sh $<TARGET_FILE:mesh>
		$<TARGET_FILE:meshagent>)
set_tests_properties(integration/agent-guessing PROPERTIES LABELS "integration;interop" TIMEOUT 180)
