# SPDX-License-Identifier: MIT
# meshagent, driven over its socket by agentproto.py (a client written from docs/protocol.md
# alone): crash safety, concurrency, bad frames, peer uid, socket activation.
if(NOT TARGET meshagent)
	return()
endif()
foreach(script agent-crash agent-concurrency agent-frames agent-peer agent-activation)
	add_test(NAME integration/${script}
		COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/${script}.sh $<TARGET_FILE:meshagent>)
	set_tests_properties(integration/${script} PROPERTIES LABELS integration TIMEOUT 300)
endforeach()
