# SPDX-License-Identifier: MIT
# password-get.sh: what one 'mesh password get' costs the agent (hive files opened, signature
# checks, key unwraps) and its wall time beside the floor of 'mesh --version'. The smoke run
# counts once and times a few rounds.
if(NOT TARGET meshagent OR NOT TARGET mesh OR NOT TARGET servermesh)
	return()
endif()
add_test(NAME bench-smoke/password-get
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/password-get.sh $<TARGET_FILE:mesh>
		$<TARGET_FILE:meshagent> $<TARGET_FILE:servermesh> 5)
set_tests_properties(bench-smoke/password-get PROPERTIES LABELS bench-smoke TIMEOUT 180)
