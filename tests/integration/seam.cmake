# SPDX-License-Identifier: MIT
# The seam (tools/check-seam.sh): the check itself can fail; and this tree passes it.
add_test(NAME seam/check-self COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/check-seam-self.sh)
add_test(NAME seam/tree COMMAND sh ${PROJECT_SOURCE_DIR}/tools/check-seam.sh ${PROJECT_SOURCE_DIR})
set_tests_properties(seam/check-self seam/tree PROPERTIES LABELS "integration;seam" TIMEOUT 60)
