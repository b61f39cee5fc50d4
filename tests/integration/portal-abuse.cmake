# SPDX-License-Identifier: MIT
# The portal under floods and abuse (issue 11), against the real servermesh on loopback:
# idle-connection floods under ulimit -n 1024 and the connection timeouts (portal-flood.sh), one
# address filling an account's connection queue while the real device, through its agent, still
# gets in (portal-queue.sh), and the quotas on entries, bytes and account creations
# (portal-quota.sh). portal-abuse-tool makes the signed requests in bulk, portal-abuse.py sends
# them from chosen loopback addresses. Included from tests/integration/CMakeLists.txt.
if(NOT TARGET servermesh OR NOT TARGET mesh-portal)
	return()
endif()
add_executable(portal-abuse-tool ${CMAKE_CURRENT_LIST_DIR}/portal-abuse-tool.c)
target_link_libraries(portal-abuse-tool PRIVATE mesh-portal mesh-platform mesh-core)
add_test(NAME integration/portal-flood
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/portal-flood.sh $<TARGET_FILE:servermesh>)
set_tests_properties(integration/portal-flood PROPERTIES LABELS integration TIMEOUT 300)
add_test(NAME integration/portal-quota
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/portal-quota.sh $<TARGET_FILE:servermesh>
		$<TARGET_FILE:portal-abuse-tool>)
set_tests_properties(integration/portal-quota PROPERTIES LABELS integration TIMEOUT 300)
if(TARGET mesh AND TARGET meshagent)
	add_test(NAME integration/portal-queue
		COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/portal-queue.sh $<TARGET_FILE:mesh>
			$<TARGET_FILE:meshagent> $<TARGET_FILE:servermesh>
			$<TARGET_FILE:portal-abuse-tool>)
	set_tests_properties(integration/portal-queue PROPERTIES LABELS integration TIMEOUT 300)
endif()
