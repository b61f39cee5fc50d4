# SPDX-License-Identifier: MIT
# The Mesh model (core/master, personal, application, escrow, connect) against Debian's
# python3-jwcrypto and Python's hashlib: profile-tool writes sample signed objects and verifies
# what it is given; profile-jwcrypto.py checks them independently (and fails, rather than skips,
# when jwcrypto is missing).
add_executable(profile-tool ${CMAKE_CURRENT_LIST_DIR}/profile-tool.c)
target_link_libraries(profile-tool PRIVATE mesh-core)
add_test(NAME interop/profile-jwcrypto
	COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/profile-jwcrypto.py
		$<TARGET_FILE:profile-tool>)
set_tests_properties(interop/profile-jwcrypto PROPERTIES LABELS "integration;interop"
	TIMEOUT 300)
