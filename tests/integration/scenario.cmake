# SPDX-License-Identifier: MIT
# The session verbs end to end: mesh and two agents (three devices) against servermesh on
# loopback (mesh-scenario.sh). Included from tests/integration/CMakeLists.txt.
if(NOT TARGET mesh OR NOT TARGET meshagent OR NOT TARGET servermesh)
	return()
endif()
add_test(NAME integration/mesh-scenario
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/mesh-scenario.sh $<TARGET_FILE:mesh>
		$<TARGET_FILE:meshagent> $<TARGET_FILE:servermesh>)
set_tests_properties(integration/mesh-scenario PROPERTIES LABELS integration TIMEOUT 600)
# The same over TLS: a self-signed certificate, the devices given its CA file (MESH_PORTAL_CA);
# a device without it is refused (Network, 25) before anything is created.
add_test(NAME integration/mesh-scenario-tls
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/mesh-scenario.sh $<TARGET_FILE:mesh>
		$<TARGET_FILE:meshagent> $<TARGET_FILE:servermesh>)
set_tests_properties(integration/mesh-scenario-tls PROPERTIES LABELS integration TIMEOUT 600
	ENVIRONMENT MESH_SCENARIO_TLS=1)
# The same with servermesh on PostgreSQL (--db postgresql://...; the pg fixture's cluster).
add_test(NAME integration/mesh-scenario-pg
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/mesh-scenario.sh $<TARGET_FILE:mesh>
		$<TARGET_FILE:meshagent> $<TARGET_FILE:servermesh>)
set_tests_properties(integration/mesh-scenario-pg PROPERTIES LABELS integration TIMEOUT 600
	ENVIRONMENT MESH_SCENARIO_PG=1)
mesh_use_pg(integration/mesh-scenario-pg)
# An expired connection request, reported on the new device (servermesh --pending-expiry 2).
add_test(NAME integration/connect-expiry
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/connect-expiry.sh $<TARGET_FILE:mesh>
		$<TARGET_FILE:meshagent> $<TARGET_FILE:servermesh>)
set_tests_properties(integration/connect-expiry PROPERTIES LABELS integration TIMEOUT 300)
# The agent serves while a session method waits on a slow portal (hold-proxy.py in front of
# servermesh), and a SIGTERM cancels the wait (Cancelled, 28).
add_test(NAME integration/agent-portal-wait
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/agent-portal-wait.sh $<TARGET_FILE:mesh>
		$<TARGET_FILE:meshagent> $<TARGET_FILE:servermesh>)
set_tests_properties(integration/agent-portal-wait PROPERTIES LABELS integration TIMEOUT 300)
# The same with device 1's keys in a TPM (swtpm) and device 2's in the desktop keyring
# (gnome-keyring on a private session bus).
find_program(MESH_DBUS_RUN_SESSION dbus-run-session)
if(NOT MESH_DBUS_RUN_SESSION)
	set(MESH_DBUS_RUN_SESSION dbus-run-session) # a failure, not a silent skip
endif()
if(MESH_HAVE_TPM2)
	add_test(NAME integration/mesh-scenario-stores
		COMMAND ${MESH_DBUS_RUN_SESSION} -- sh ${CMAKE_CURRENT_LIST_DIR}/with-keyring.sh
			sh ${CMAKE_CURRENT_LIST_DIR}/mesh-scenario.sh $<TARGET_FILE:mesh>
			$<TARGET_FILE:meshagent> $<TARGET_FILE:servermesh>)
	set_tests_properties(integration/mesh-scenario-stores PROPERTIES LABELS integration TIMEOUT 600
		ENVIRONMENT MESH_SCENARIO_STORES=1)
endif()
