# SPDX-License-Identifier: MIT
# Working offline end to end (offline-queue.sh): changes queued while servermesh is stopped,
# listed, read at once, sealed on disk, kept across a SIGKILL of the agent, published by 'profile
# sync' with a conflict reported and the rest merged, read by the other devices. Included from
# tests/integration/CMakeLists.txt.
if(NOT TARGET mesh OR NOT TARGET meshagent OR NOT TARGET servermesh)
	return()
endif()
add_test(NAME integration/offline-queue
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/offline-queue.sh $<TARGET_FILE:mesh>
		$<TARGET_FILE:meshagent> $<TARGET_FILE:servermesh>)
set_tests_properties(integration/offline-queue PROPERTIES LABELS integration TIMEOUT 300)
