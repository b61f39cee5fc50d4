# SPDX-License-Identifier: MIT
# bench-keystore: KeySign through the agent for a key in each store beside the raw backend
# (tests/bench/keystore.sh runs it with gnome-keyring and swtpm). The smoke run times a few
# rounds of each store.
if(NOT TARGET meshagent OR NOT TARGET meshclient OR NOT MESH_HAVE_TPM2)
	return()
endif()
add_executable(bench-keystore ${CMAKE_CURRENT_LIST_DIR}/bench-keystore.c
	${CMAKE_CURRENT_LIST_DIR}/bench-keystore-tpm2.c ${CMAKE_CURRENT_LIST_DIR}/bench-common.c)
target_link_libraries(bench-keystore PRIVATE meshclient mesh-backends mesh-platform mesh-core)
add_test(NAME bench-smoke/bench-keystore
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/keystore.sh $<TARGET_FILE:bench-keystore>
		$<TARGET_FILE:meshagent> 20)
set_tests_properties(bench-smoke/bench-keystore PROPERTIES LABELS bench-smoke TIMEOUT 300)
