# SPDX-License-Identifier: MIT
# The key-store conformance suite (keystore-conformance.c + .sh), unchanged against every store
# of backends/router.h's table: file; secret under a private session bus with gnome-keyring
# (with-keyring.sh); tpm2 with swtpm (tpm-lib.sh).
if(NOT TARGET meshagent)
	return()
endif()
add_executable(keystore-conformance ${CMAKE_CURRENT_LIST_DIR}/keystore-conformance.c)
# The base libraries only: the suite is the one every store passes, Windows included.
target_link_libraries(keystore-conformance PRIVATE mesh-backends mesh-platform mesh-core-base)
set(MESH_CONFORMANCE sh ${CMAKE_CURRENT_LIST_DIR}/keystore-conformance.sh)
add_test(NAME integration/keystore-conformance-file
	COMMAND ${MESH_CONFORMANCE} file $<TARGET_FILE:keystore-conformance>
		$<TARGET_FILE:meshagent>)
find_program(MESH_DBUS_RUN_SESSION dbus-run-session)
if(NOT MESH_DBUS_RUN_SESSION)
	set(MESH_DBUS_RUN_SESSION dbus-run-session) # a failure, not a silent skip
endif()
add_test(NAME integration/keystore-conformance-secret
	COMMAND ${MESH_DBUS_RUN_SESSION} -- sh ${CMAKE_CURRENT_LIST_DIR}/with-keyring.sh
		${MESH_CONFORMANCE} secret $<TARGET_FILE:keystore-conformance>
		$<TARGET_FILE:meshagent>)
set(MESH_CONFORMANCE_STORES file secret)
if(MESH_HAVE_TPM2)
	add_test(NAME integration/keystore-conformance-tpm2
		COMMAND ${MESH_CONFORMANCE} tpm2 $<TARGET_FILE:keystore-conformance>
			$<TARGET_FILE:meshagent>)
	list(APPEND MESH_CONFORMANCE_STORES tpm2)
endif()
foreach(store ${MESH_CONFORMANCE_STORES})
	set_tests_properties(integration/keystore-conformance-${store} PROPERTIES
		LABELS "integration;conformance" TIMEOUT 600)
endforeach()
