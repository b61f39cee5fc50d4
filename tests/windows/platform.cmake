# SPDX-License-Identifier: MIT
# core/platform.h's processes, terminals, hardening and Run key on Windows (windows/platform.c,
# process.c, io.c, login.c) under Wine: test-win-platform.c checks in process and starts itself
# again in helper modes where a check needs a process of its own; login.sh runs its Run key
# checks and reads the values back with Wine's `reg query`.
if(NOT TARGET mesh-platform)
	return()
endif()
add_executable(test-win-platform ${CMAKE_CURRENT_LIST_DIR}/test-win-platform.c)
target_link_libraries(test-win-platform PRIVATE mesh-platform)
add_test(NAME windows/platform COMMAND test-win-platform nologin)
add_test(NAME windows/login
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/login.sh "${CMAKE_CROSSCOMPILING_EMULATOR}"
		$<TARGET_FILE:test-win-platform>)
set_tests_properties(windows/platform windows/login PROPERTIES LABELS windows TIMEOUT 300)
