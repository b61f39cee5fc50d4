# SPDX-License-Identifier: MIT
# The dpapi key store (windows/dpapistore.c) under Wine: the key-store conformance suite of the Linux
# stores (tests/integration/keystore-conformance.c, unchanged) and the tamper checks, driven by
# store.sh, which verifies the signatures left with the Linux openssl.
if(NOT TARGET mesh-backends)
	return()
endif()
add_executable(keystore-conformance
	${PROJECT_SOURCE_DIR}/tests/integration/keystore-conformance.c)
target_link_libraries(keystore-conformance PRIVATE mesh-backends mesh-platform)
add_executable(test-dpapi-tamper ${CMAKE_CURRENT_LIST_DIR}/test-dpapi-tamper.c)
target_link_libraries(test-dpapi-tamper PRIVATE mesh-backends mesh-platform)
add_test(NAME windows/keystore-conformance-dpapi
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/store.sh "${CMAKE_CROSSCOMPILING_EMULATOR}"
		$<TARGET_FILE:keystore-conformance> $<TARGET_FILE:test-dpapi-tamper>)
set_tests_properties(windows/keystore-conformance-dpapi PROPERTIES LABELS windows TIMEOUT 300)
