# SPDX-License-Identifier: MIT
# servermesh on loopback, driven by portal-http.py (Python's standard library only).
if(NOT TARGET servermesh)
	return()
endif()
add_test(NAME integration/portal-http
	COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/portal-http.sh $<TARGET_FILE:servermesh>)
set_tests_properties(integration/portal-http PROPERTIES LABELS integration TIMEOUT 300)
