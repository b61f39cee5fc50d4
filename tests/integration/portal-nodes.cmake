# SPDX-License-Identifier: MIT
# Several servermesh nodes on one PostgreSQL database (issue 16, item 2): two devices on two
# nodes, a replay across nodes, a node killed mid-connection, PostgreSQL restarted under a
# running node, shared caps and per-node rates (portal-nodes.sh, on a cluster of its own).
# Included from tests/integration/CMakeLists.txt.
if(NOT TARGET mesh OR NOT TARGET meshagent OR NOT TARGET servermesh OR NOT TARGET portal-abuse-tool)
	return()
endif()
add_test(NAME integration/portal-nodes
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/portal-nodes.sh $<TARGET_FILE:mesh>
		$<TARGET_FILE:meshagent> $<TARGET_FILE:servermesh> $<TARGET_FILE:portal-abuse-tool>)
set_tests_properties(integration/portal-nodes PROPERTIES LABELS integration TIMEOUT 300)
