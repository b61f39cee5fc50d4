# SPDX-License-Identifier: MIT
# Lifetimes count time asleep: meshagent under slept-shim (CLOCK_BOOTTIME moved ahead while
# CLOCK_MONOTONIC is not, as a suspend does), with ssh-add -t and mesh unlock --lifetime. The
# script makes its own HOME, XDG_RUNTIME_DIR and MMM_HOME and stops the agent it started by pid.
if(NOT TARGET meshagent OR NOT TARGET mesh)
	return()
endif()
add_library(mesh-test-slept MODULE slept-shim.c)
target_link_libraries(mesh-test-slept PRIVATE ${CMAKE_DL_LIBS})
add_test(NAME integration/agent-suspend
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/agent-suspend.sh $<TARGET_FILE:mesh>
		$<TARGET_FILE:meshagent> $<TARGET_FILE:mesh-test-slept>)
set_tests_properties(integration/agent-suspend PROPERTIES LABELS "integration;interop" TIMEOUT 120)
