# SPDX-License-Identifier: MIT
# meshagent's OpenSSH agent socket against stock OpenSSH: ssh-add, ssh-keygen -Y and ssh to a
# real sshd on loopback, plus sshproto.py for what ssh-add cannot send. The script makes its own
# HOME, XDG_RUNTIME_DIR and MMM_HOME and stops the agent and sshd it started by pid.
if(NOT TARGET meshagent OR NOT TARGET mesh)
	return()
endif()
add_test(NAME integration/ssh-agent
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/ssh-agent.sh $<TARGET_FILE:mesh>
		$<TARGET_FILE:meshagent>)
set_tests_properties(integration/ssh-agent PROPERTIES LABELS "integration;interop" TIMEOUT 120)
