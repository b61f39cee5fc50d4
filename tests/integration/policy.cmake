# SPDX-License-Identifier: MIT
# Per-program policy and approval (issue 17) end to end: meshagent's two sockets, driven by
# ssh, ssh-add and sshd on loopback, by agentproto.py and sshproto.py (python3: another program)
# and by the mesh binary; an askpass program answering each way, the approval queue from a
# second terminal, a hive protected by a passphrase, and a rules entry changed behind the
# agent's back. The script makes its own HOME, XDG_RUNTIME_DIR and MMM_HOME and stops the
# agents and sshd it started by pid.
if(NOT TARGET meshagent OR NOT TARGET mesh)
	return()
endif()
add_test(NAME integration/policy
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/policy.sh $<TARGET_FILE:mesh> $<TARGET_FILE:meshagent>)
set_tests_properties(integration/policy PROPERTIES LABELS "integration;interop" TIMEOUT 180)
