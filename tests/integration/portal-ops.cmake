# SPDX-License-Identifier: MIT
# What a provider runs a portal with (issue 16, item 5): servermesh backup and the health
# endpoint against the real servermesh on loopback (portal-ops.sh, with portal-abuse-tool's
# signed requests and portal-ops.py), and the systemd system unit of dist/ (servermesh-unit.sh).
# Included from tests/integration/CMakeLists.txt after portal-abuse.cmake.
if(NOT TARGET servermesh OR NOT TARGET portal-abuse-tool)
	return()
endif()
add_test(NAME integration/portal-ops
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/portal-ops.sh $<TARGET_FILE:servermesh>
		$<TARGET_FILE:portal-abuse-tool>)
set_tests_properties(integration/portal-ops PROPERTIES LABELS integration TIMEOUT 300)
mesh_use_pg(integration/portal-ops)
add_test(NAME integration/servermesh-unit
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/servermesh-unit.sh ${CMAKE_BINARY_DIR}
		$<TARGET_FILE:servermesh>)
set_tests_properties(integration/servermesh-unit PROPERTIES LABELS integration TIMEOUT 300)
