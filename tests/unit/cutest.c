/* SPDX-License-Identifier: MIT */
#include "cutest.h"

#include <CUnit/Basic.h>
#include <stdio.h>

#ifndef MESH_VECTORS_DIR
#error "MESH_VECTORS_DIR must be defined by the build"
#endif

char *
mesh_test_vector_path(const char *name)
{
	return g_build_filename(MESH_VECTORS_DIR, name, NULL);
}

int
mesh_test_main(const char *suite, CU_TestInfo *tests)
{
	CU_SuiteInfo suites[] = {
		{ (char *)suite, NULL, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	unsigned failures, ran;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	if (CU_register_suites(suites) != CUE_SUCCESS) {
		fprintf(stderr, "cannot register suite %s: %s\n", suite, CU_get_error_msg());
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	/* The Basic runner does not set the exit status (ENVIRONMENT.md): do it here. */
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	ran = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	if (ran == 0) {
		fprintf(stderr, "suite %s ran no test\n", suite);
		return 1;
	}
	return failures ? 1 : 0;
}
