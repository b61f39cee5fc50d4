# SPDX-License-Identifier: MIT
# Validation and messages of the CLI and the agent, and the CLI's output of secrets (issue 12
# items 11 and 12). The scripts make their own HOME, XDG_RUNTIME_DIR and MMM_HOME and stop the
# agents and portal they started by pid.
if(NOT TARGET meshagent OR NOT TARGET mesh)
	return()
endif()
add_test(NAME integration/cli-validation
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/cli-validation.sh $<TARGET_FILE:mesh>
		$<TARGET_FILE:meshagent>)
set_tests_properties(integration/cli-validation PROPERTIES LABELS "integration;interop"
	TIMEOUT 180)

if(TARGET servermesh)
	add_library(mesh-test-freescan MODULE freescan-shim.c)
	target_link_libraries(mesh-test-freescan PRIVATE ${CMAKE_DL_LIBS})
	if(MESH_SANITIZE OR MESH_FUZZ)
		# The sanitizer's allocator is not to be interposed: its free hook is used instead.
		target_compile_definitions(mesh-test-freescan PRIVATE MESH_FREESCAN_SANITIZER=1)
	endif()
	add_test(NAME integration/cli-secrets
		COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/cli-secrets.sh $<TARGET_FILE:mesh>
			$<TARGET_FILE:meshagent> $<TARGET_FILE:servermesh>
			$<TARGET_FILE:mesh-test-freescan>)
	set_tests_properties(integration/cli-secrets PROPERTIES LABELS "integration;interop"
		TIMEOUT 180)
endif()
