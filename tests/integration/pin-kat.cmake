# SPDX-License-Identifier: MIT
# The PIN connection's known answer (tests/vectors/pin.json, docs/protocol.md "Connecting by
# PIN") recomputed with Python's hashlib and hmac alone: an implementation independent of
# core/connect.c, which test-connect checks against the same file.
add_test(NAME integration/pin-kat
	COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/pin-kat.py
		${PROJECT_SOURCE_DIR}/tests/vectors/pin.json)
set_tests_properties(integration/pin-kat PROPERTIES LABELS integration TIMEOUT 60)
