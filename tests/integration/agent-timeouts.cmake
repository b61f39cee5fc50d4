# SPDX-License-Identifier: MIT
# No mesh command waits for ever on its agent: a stopped agent, all of its connections held, a
# live agent waiting on a held portal, and the agent killed during 'mesh connect request'
# (servermesh on loopback behind hold-proxy.py).
if(NOT TARGET mesh OR NOT TARGET meshagent OR NOT TARGET servermesh)
	return()
endif()
add_test(NAME integration/agent-timeouts
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/agent-timeouts.sh $<TARGET_FILE:mesh>
		$<TARGET_FILE:meshagent> $<TARGET_FILE:servermesh>)
set_tests_properties(integration/agent-timeouts PROPERTIES LABELS integration TIMEOUT 300)
