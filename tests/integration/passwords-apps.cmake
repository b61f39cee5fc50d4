# SPDX-License-Identifier: MIT
# Passwords and applications end to end (passwords-apps.sh): several logins per site, empty and
# blank names refused, app delete on two devices and the portal, Locked after mesh lock, the
# ssh-agent socket in Status. Included from tests/integration/CMakeLists.txt.
if(NOT TARGET mesh OR NOT TARGET meshagent OR NOT TARGET servermesh)
	return()
endif()
add_test(NAME integration/passwords-apps
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/passwords-apps.sh $<TARGET_FILE:mesh>
		$<TARGET_FILE:meshagent> $<TARGET_FILE:servermesh>)
set_tests_properties(integration/passwords-apps PROPERTIES LABELS integration TIMEOUT 300)
