# SPDX-License-Identifier: MIT
# The agent's named pipes (windows/transport*.c) under Wine: request and answer through the agent's
# server loop (mesh-ipc-base), many clients at once, the pipe's owner and DACL, squatters refused
# by the agent and by its clients, the one-agent-per-hive lock against another process.
if(NOT TARGET mesh-ipc-base)
	return()
endif()
add_executable(test-win-pipes ${CMAKE_CURRENT_LIST_DIR}/test-win-pipes.c)
target_compile_definitions(test-win-pipes PRIVATE _WIN32_WINNT=0x0A00 UNICODE _UNICODE)
target_link_libraries(test-win-pipes PRIVATE mesh-ipc-base mesh-platform)
# A target as the command: ctest runs it through CMAKE_CROSSCOMPILING_EMULATOR (Wine) itself.
add_test(NAME windows/pipes COMMAND test-win-pipes)
set_tests_properties(windows/pipes PROPERTIES LABELS windows TIMEOUT 180)
