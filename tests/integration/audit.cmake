# SPDX-License-Identifier: MIT
# The audit log through the real meshagent (audit.sh): activity listed and filtered, heads at
# rotation and shutdown, tampering (a line deleted, changed, reordered, the tail cut, a file
# removed) reported as Tampered (34) naming the Seq, the documented limits, and planted secrets
# (passphrases, a password, application data, an imported private key, signed data) nowhere in
# the log or the agent's stderr. servermesh on loopback serves the profile.
if(NOT TARGET mesh OR NOT TARGET meshagent OR NOT TARGET servermesh)
	return()
endif()
add_test(NAME integration/audit
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/audit.sh $<TARGET_FILE:mesh> $<TARGET_FILE:meshagent>
		$<TARGET_FILE:servermesh>)
set_tests_properties(integration/audit PROPERTIES LABELS integration TIMEOUT 300)
