# SPDX-License-Identifier: MIT
# Keys and profiles that cannot be lost (profile-keys.sh, one part each): key roles and removal
# guards, profile delete without an escrow and the escrow nudge, the hive's protection of the
# keys profile create and recover make, and a failed key move that leaves nothing half-changed.
# Included from tests/integration/CMakeLists.txt.
if(NOT TARGET mesh OR NOT TARGET meshagent OR NOT TARGET servermesh)
	return()
endif()
foreach(part roles delete protect move)
	add_test(NAME integration/profile-keys-${part}
		COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/profile-keys.sh $<TARGET_FILE:mesh>
			$<TARGET_FILE:meshagent> $<TARGET_FILE:servermesh> ${part})
	set_tests_properties(integration/profile-keys-${part} PROPERTIES LABELS integration
		TIMEOUT 300)
endforeach()
