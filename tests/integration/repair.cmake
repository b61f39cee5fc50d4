# SPDX-License-Identifier: MIT
# Issue 12 items 4 and 8: a damaged stored profile repaired by 'profile sync' against servermesh,
# and refused when portal-double.py offers an older or another profile (profile-repair.sh);
# portal URLs that do what they say: no path, https:// to a plain-HTTP portal, a --portal that
# contradicts the remembered one, 'profile set-portal' over HTTP and TLS (portal-url.sh).
# Included from tests/integration/CMakeLists.txt.
if(NOT TARGET mesh OR NOT TARGET meshagent OR NOT TARGET servermesh)
	return()
endif()
add_test(NAME integration/profile-repair
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/profile-repair.sh $<TARGET_FILE:mesh>
		$<TARGET_FILE:meshagent> $<TARGET_FILE:servermesh>)
set_tests_properties(integration/profile-repair PROPERTIES LABELS integration TIMEOUT 300)
add_test(NAME integration/portal-url
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/portal-url.sh $<TARGET_FILE:mesh>
		$<TARGET_FILE:meshagent> $<TARGET_FILE:servermesh>)
set_tests_properties(integration/portal-url PROPERTIES LABELS integration TIMEOUT 300)
