# SPDX-License-Identifier: MIT
# Rotation and revocation end to end (rotate.sh): ssh rotate on an administration device and on
# another (with a real sshd and the agent's ssh-agent socket), account default, escrow revoke
# and the portal's refusal of a DeleteRequest for another account's entry. Included from
# tests/integration/CMakeLists.txt.
if(NOT TARGET mesh OR NOT TARGET meshagent OR NOT TARGET servermesh)
	return()
endif()
add_test(NAME integration/rotate
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/rotate.sh $<TARGET_FILE:mesh>
		$<TARGET_FILE:meshagent> $<TARGET_FILE:servermesh>)
set_tests_properties(integration/rotate PROPERTIES LABELS "integration;interop" TIMEOUT 300)
