# SPDX-License-Identifier: MIT
# A grinding portal cannot get its own device accepted (witness-grind.sh): servermesh behind
# portal-double.py, which grinds an 8-character witness collision with grind-witness (OpenSSL
# SHA-512, a birthday search of about 2^21 witnesses). Included from
# tests/integration/CMakeLists.txt.
if(NOT TARGET mesh OR NOT TARGET meshagent OR NOT TARGET servermesh)
	return()
endif()
add_executable(grind-witness ${CMAKE_CURRENT_LIST_DIR}/grind-witness.c)
target_link_libraries(grind-witness PRIVATE mesh-core)
add_test(NAME integration/witness-grind
	COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/witness-grind.sh $<TARGET_FILE:mesh>
		$<TARGET_FILE:meshagent> $<TARGET_FILE:servermesh> $<TARGET_FILE:grind-witness>)
set_tests_properties(integration/witness-grind PROPERTIES LABELS integration TIMEOUT 300)
