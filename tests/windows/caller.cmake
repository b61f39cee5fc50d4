# SPDX-License-Identifier: MIT
# Who is calling on a named pipe (windows/caller.c) under Wine: a client in a thread and one in
# another process, named with their pid, this .exe and its SHA-256.
add_executable(test-win-caller ${CMAKE_CURRENT_LIST_DIR}/test-win-caller.c)
target_compile_definitions(test-win-caller PRIVATE _WIN32_WINNT=0x0A00 UNICODE _UNICODE)
target_link_libraries(test-win-caller PRIVATE mesh-platform)
add_test(NAME windows/caller COMMAND test-win-caller)
set_tests_properties(windows/caller PROPERTIES LABELS windows TIMEOUT 180)
