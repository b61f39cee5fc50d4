# SPDX-License-Identifier: MIT
# Connecting by PIN end to end (connect-pin.sh): a real servermesh, an administration device and
# new devices; accepted at 'profile sync' and by the agent's background task, the URI form;
# wrong, reused and expired PINs refused; a request without a PIN still needs the witness;
# list/revoke; the PIN never in clear in the agent's log, ps or the hive. Included from
# tests/integration/CMakeLists.txt.
if(NOT TARGET mesh OR NOT TARGET meshagent OR NOT TARGET servermesh)
	return()
endif()
add_test(NAME integration/connect-pin
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/connect-pin.sh $<TARGET_FILE:mesh>
		$<TARGET_FILE:meshagent> $<TARGET_FILE:servermesh>)
set_tests_properties(integration/connect-pin PROPERTIES LABELS integration TIMEOUT 600)
