# SPDX-License-Identifier: MIT
# The interactive wizards meshclient and meshconnect driven through a pseudo-terminal against
# servermesh on loopback (wizards.sh, wizard-drive.py). Included from
# tests/integration/CMakeLists.txt.
if(NOT TARGET meshclient-wizard OR NOT TARGET meshconnect OR NOT TARGET mesh
   OR NOT TARGET meshagent OR NOT TARGET servermesh)
	return()
endif()
add_test(NAME integration/wizards
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/wizards.sh $<TARGET_FILE:meshclient-wizard>
		$<TARGET_FILE:meshconnect> $<TARGET_FILE:mesh> $<TARGET_FILE:meshagent>
		$<TARGET_FILE:servermesh>)
set_tests_properties(integration/wizards PROPERTIES LABELS integration TIMEOUT 300)
