# SPDX-License-Identifier: MIT
# The OpenSSH agent protocol through a named pipe with an Ed25519 key from the dpapi store (the
# agent's own ssh-agent handler and server, windows/transport*.c, windows/hive.c,
# windows/dpapistore.c), under Wine; ssh-agent.sh verifies the signature with the Linux openssl.
if(NOT TARGET mesh-ipc-base OR NOT TARGET mesh-backends)
	return()
endif()
add_executable(test-win-ssh-agent ${CMAKE_CURRENT_LIST_DIR}/test-win-ssh-agent.c)
target_link_libraries(test-win-ssh-agent PRIVATE mesh-ipc-base mesh-backends mesh-platform)
add_test(NAME windows/ssh-agent-pipe
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/ssh-agent.sh "${CMAKE_CROSSCOMPILING_EMULATOR}"
		$<TARGET_FILE:test-win-ssh-agent>)
set_tests_properties(windows/ssh-agent-pipe PROPERTIES LABELS windows TIMEOUT 180)
