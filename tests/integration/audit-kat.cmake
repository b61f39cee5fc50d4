# SPDX-License-Identifier: MIT
# The audit log's known answer (tests/vectors/audit.json, docs/protocol.md "Audit log")
# recomputed in Python (hashlib; the signature and the Signer's UDF with python3-cryptography
# when it is installed): an implementation independent of core/audit.c, which test-audit checks
# against the same file.
add_test(NAME integration/audit-kat
	COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/audit-kat.py
		${PROJECT_SOURCE_DIR}/tests/vectors/audit.json)
set_tests_properties(integration/audit-kat PROPERTIES LABELS integration TIMEOUT 60)
