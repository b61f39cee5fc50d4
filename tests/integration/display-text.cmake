# SPDX-License-Identifier: MIT
# Terminal injection through descriptions (display-text.sh): the agent, servermesh and a hostile
# portal's listing (portal-double.py) against CR, ESC [K, U+202E and an overlong description,
# the last through mesh connect pending and meshclient on a pseudo-terminal. Included from
# tests/integration/CMakeLists.txt; profile-tool comes from model.cmake, included after this
# file (a generator expression needs the target only at generation).
if(NOT TARGET mesh OR NOT TARGET meshagent OR NOT TARGET servermesh
   OR NOT TARGET meshclient-wizard)
	return()
endif()
add_test(NAME integration/display-text
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/display-text.sh $<TARGET_FILE:mesh>
		$<TARGET_FILE:meshagent> $<TARGET_FILE:servermesh>
		$<TARGET_FILE:meshclient-wizard> $<TARGET_FILE:profile-tool>)
set_tests_properties(integration/display-text PROPERTIES LABELS integration TIMEOUT 300)
