# SPDX-License-Identifier: MIT
# The file key store and its OpenSSH codec against Debian's openssh-client: keystore-tool drives
# the store; keys-openssh.sh checks it both ways with ssh-keygen (and fails, rather than skips,
# when ssh-keygen is missing).
add_executable(keystore-tool ${CMAKE_CURRENT_LIST_DIR}/keystore-tool.c)
target_link_libraries(keystore-tool PRIVATE mesh-backends mesh-platform mesh-core)
add_test(NAME integration/keys-openssh
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/keys-openssh.sh $<TARGET_FILE:keystore-tool>)
set_tests_properties(integration/keys-openssh PROPERTIES LABELS "integration;interop"
	TIMEOUT 300)
