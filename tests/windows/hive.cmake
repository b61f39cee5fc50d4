# SPDX-License-Identifier: MIT
# The registry hive (windows/hive.c) under Wine: the hive conformance suite that linux/hive.c
# passes (tests/unit/hive-conformance.c, unchanged) with the Windows-only cases
# (test-win-hive.c), and the seeds' registry layout read back with Wine's reg.exe
# (hive-layout.sh).
if(NOT TARGET mesh-platform)
	return()
endif()
add_executable(test-win-hive ${CMAKE_CURRENT_LIST_DIR}/test-win-hive.c
	${PROJECT_SOURCE_DIR}/tests/unit/hive-conformance.c
	${PROJECT_SOURCE_DIR}/tests/unit/cutest-base.c)
target_include_directories(test-win-hive PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit)
target_compile_definitions(test-win-hive PRIVATE _WIN32_WINNT=0x0A00 UNICODE _UNICODE)
target_link_libraries(test-win-hive PRIVATE mesh-platform PkgConfig::CUNIT PkgConfig::GLIB
	advapi32)
add_test(NAME windows/hive COMMAND test-win-hive)
set_tests_properties(windows/hive PROPERTIES LABELS windows TIMEOUT 600)
add_test(NAME windows/hive-layout
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/hive-layout.sh "${CMAKE_CROSSCOMPILING_EMULATOR}"
		$<TARGET_FILE:test-win-hive>)
set_tests_properties(windows/hive-layout PROPERTIES LABELS windows TIMEOUT 300)
