# SPDX-License-Identifier: MIT
# The portal's refusals over real HTTP against the real servermesh (portal-negative.c): replayed
# and out-of-window SignedTransactions, stale Publish serials, a Publish by a key that is not an
# administration key, the 101st pending connection, a rejected connection, and the replay cache
# across a restart. Included from tests/integration/CMakeLists.txt.
if(NOT TARGET servermesh OR NOT TARGET mesh-portal)
	return()
endif()
add_executable(portal-negative ${CMAKE_CURRENT_LIST_DIR}/portal-negative.c)
target_link_libraries(portal-negative PRIVATE mesh-portal mesh-platform mesh-core)
add_test(NAME integration/portal-negative
	COMMAND portal-negative $<TARGET_FILE:servermesh>)
set_tests_properties(integration/portal-negative PROPERTIES LABELS integration TIMEOUT 300)
