# SPDX-License-Identifier: MIT
# mesh key generate/import/move/remove and mesh hive set-keystore against the real meshagent,
# checked by openssl and ssh-keygen. The script makes its own HOME, XDG_RUNTIME_DIR and MMM_HOME
# and stops the agent it started by pid.
if(NOT TARGET meshagent OR NOT TARGET meshclient)
	return()
endif()
add_test(NAME integration/agent-keys
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/agent-keys.sh $<TARGET_FILE:mesh>
		$<TARGET_FILE:meshagent>)
set_tests_properties(integration/agent-keys PROPERTIES LABELS "integration;interop" TIMEOUT 300)
