# SPDX-License-Identifier: MIT
# The devices of a profile (device-lifecycle.sh): list, rename, promote, demote, remove (checked
# with python3-jwcrypto and against the portal), the removed device's sync, recovery's demoted
# devices. Included from tests/integration/CMakeLists.txt.
if(NOT TARGET mesh OR NOT TARGET meshagent OR NOT TARGET servermesh)
	return()
endif()
add_test(NAME integration/device-lifecycle
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/device-lifecycle.sh $<TARGET_FILE:mesh>
		$<TARGET_FILE:meshagent> $<TARGET_FILE:servermesh>)
set_tests_properties(integration/device-lifecycle PROPERTIES LABELS integration TIMEOUT 300)
