# SPDX-License-Identifier: MIT
# The portal's HTTP client over WinHTTP (windows/portal-http.c) under Wine, against a Linux
# servermesh on loopback: MESH_HOST_SERVERMESH, its path, set by tools/test-windows.sh (empty:
# the test fails and says so).
set(MESH_HOST_SERVERMESH "" CACHE FILEPATH "the Linux servermesh the Windows HTTP test talks to")
if(NOT TARGET mesh-platform)
	return()
endif()
add_executable(test-win-http ${CMAKE_CURRENT_LIST_DIR}/test-win-http.c)
target_link_libraries(test-win-http PRIVATE mesh-platform)
add_test(NAME windows/win-http
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/http.sh "${CMAKE_CROSSCOMPILING_EMULATOR}"
		$<TARGET_FILE:test-win-http> "${MESH_HOST_SERVERMESH}")
set_tests_properties(windows/win-http PROPERTIES LABELS windows TIMEOUT 300)
