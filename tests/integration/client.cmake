# SPDX-License-Identifier: MIT
# The client side of the agent: the mesh verbs over libmeshclient against the real meshagent,
# the installed library and its example, and the start-at-login files. Each script makes its
# own HOME, XDG_RUNTIME_DIR and MMM_HOME and stops the agents it started by pid.
if(NOT TARGET meshagent OR NOT TARGET meshclient)
	return()
endif()
foreach(script agent-device agent-hive)
	add_test(NAME integration/${script}
		COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/${script}.sh $<TARGET_FILE:mesh>
			$<TARGET_FILE:meshagent>)
	set_tests_properties(integration/${script} PROPERTIES LABELS "integration;interop"
		TIMEOUT 300)
endforeach()

# Installs the whole build into a temporary prefix, then builds examples/hello-agent.c with the
# same compiler (and sanitizers) as the build.
if(MESH_SANITIZE)
	set(MESH_EXAMPLE_CFLAGS "-fsanitize=address,undefined -fno-omit-frame-pointer")
endif()
add_test(NAME integration/agent-example
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/agent-example.sh ${CMAKE_BINARY_DIR}
		${PROJECT_SOURCE_DIR})
set_tests_properties(integration/agent-example PROPERTIES LABELS integration TIMEOUT 300
	ENVIRONMENT "CC=${CMAKE_C_COMPILER};EXAMPLE_CFLAGS=${MESH_EXAMPLE_CFLAGS}")

add_test(NAME integration/agent-units
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/agent-units.sh ${CMAKE_BINARY_DIR} $<TARGET_FILE:mesh>
		$<TARGET_FILE:meshagent>)
set_tests_properties(integration/agent-units PROPERTIES LABELS integration TIMEOUT 300)
