# SPDX-License-Identifier: MIT
# A portal that forges requests by PIN (connect-pin-forged.sh): a real servermesh, a genuine
# request by PIN, and the portal's own devices carrying its PinId with the genuine PinMac, with
# a PinMac under a guessed PIN, or swapped into the genuine request; the administration
# device's sync accepts the genuine device alone and rejects the rest. Included from
# tests/integration/CMakeLists.txt; profile-tool comes from model.cmake (a generator
# expression needs the target only at generation).
if(NOT TARGET mesh OR NOT TARGET meshagent OR NOT TARGET servermesh)
	return()
endif()
add_test(NAME integration/connect-pin-forged
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/connect-pin-forged.sh $<TARGET_FILE:mesh>
		$<TARGET_FILE:meshagent> $<TARGET_FILE:servermesh> $<TARGET_FILE:profile-tool>)
set_tests_properties(integration/connect-pin-forged PROPERTIES LABELS integration TIMEOUT 300)
