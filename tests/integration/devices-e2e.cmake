# SPDX-License-Identifier: MIT
# Devices come and go end to end (devices-e2e.sh): a portal, three devices, PIN connection,
# promotion, offline changes, removal, SSH key rotation, escrow revocation.
# Included from tests/integration/CMakeLists.txt.
if(NOT TARGET mesh OR NOT TARGET meshagent OR NOT TARGET servermesh)
	return()
endif()
add_test(NAME integration/devices-e2e
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/devices-e2e.sh $<TARGET_FILE:mesh>
		$<TARGET_FILE:meshagent> $<TARGET_FILE:servermesh>)
set_tests_properties(integration/devices-e2e PROPERTIES LABELS integration TIMEOUT 300)
