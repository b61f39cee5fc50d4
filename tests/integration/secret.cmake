# SPDX-License-Identifier: MIT
# The secret key store (libsecret) against a real gnome-keyring on a private session bus:
# secretstore-tool drives the store; secret-keystore.sh checks it with libsecret's secret-tool
# and openssl, locks and unlocks the collection (keyring-lib.sh), and fails, rather than skips,
# when dbus-run-session, gnome-keyring, secret-tool or openssl is missing.
add_executable(secretstore-tool ${CMAKE_CURRENT_LIST_DIR}/secretstore-tool.c)
target_link_libraries(secretstore-tool PRIVATE mesh-backends mesh-platform mesh-core)
find_program(MESH_DBUS_RUN_SESSION dbus-run-session)
if(NOT MESH_DBUS_RUN_SESSION)
	# Still a test, so that the missing tool is a failure and not a silent skip.
	set(MESH_DBUS_RUN_SESSION dbus-run-session)
endif()
add_test(NAME integration/secret-keystore
	COMMAND ${MESH_DBUS_RUN_SESSION} -- sh ${CMAKE_CURRENT_LIST_DIR}/with-keyring.sh
		sh ${CMAKE_CURRENT_LIST_DIR}/secret-keystore.sh $<TARGET_FILE:secretstore-tool>)
set_tests_properties(integration/secret-keystore PROPERTIES LABELS "integration;interop"
	TIMEOUT 300)
