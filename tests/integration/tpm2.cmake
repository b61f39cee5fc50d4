# SPDX-License-Identifier: MIT
# The tpm2 key store against a fresh swtpm and tpm2-openssl: tpm2-tool drives the store;
# tpm2-keystore.sh starts the swtpm (tpm-lib.sh) and checks the store both ways with
# openssl -provider tpm2 and tpm2-tools (and fails, rather than skips, when one is missing).
if(NOT MESH_HAVE_TPM2)
	return()
endif()
add_executable(tpm2-tool ${CMAKE_CURRENT_LIST_DIR}/tpm2-tool.c)
target_link_libraries(tpm2-tool PRIVATE mesh-backends mesh-platform mesh-core)
add_test(NAME integration/tpm2-keystore
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/tpm2-keystore.sh $<TARGET_FILE:tpm2-tool>)
set_tests_properties(integration/tpm2-keystore PROPERTIES LABELS "integration;interop"
	TIMEOUT 600)
# What crosses the bus: tss2's pcap TCTI records the store's traffic with a fresh swtpm; no PIN and
# no ECDH secret may be in it (tpm2-bus.sh).
add_test(NAME integration/tpm2-bus
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/tpm2-bus.sh $<TARGET_FILE:tpm2-tool>)
set_tests_properties(integration/tpm2-bus PROPERTIES LABELS "integration" TIMEOUT 300)
# A hostile bus: tpm2-mitm.py between the store and a swtpm substitutes the primary (SRK) the
# sessions are salted with and attacks the sessions (tpm2-mitm.sh).
add_test(NAME integration/tpm2-mitm
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/tpm2-mitm.sh $<TARGET_FILE:tpm2-tool>)
set_tests_properties(integration/tpm2-mitm PROPERTIES LABELS "integration" TIMEOUT 300)
