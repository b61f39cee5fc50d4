/* SPDX-License-Identifier: MIT */
/* nftw() */
#define _GNU_SOURCE
#include "cutest.h"

#include <ftw.h>
#include <sys/stat.h>

#include <CUnit/Basic.h>
#include <stdio.h>

#include "json.h"

#ifndef MESH_VECTORS_DIR
#error "MESH_VECTORS_DIR must be defined by the build"
#endif

char *
mesh_test_vector_path(const char *name)
{
	return g_build_filename(MESH_VECTORS_DIR, name, NULL);
}

char *
mesh_test_tmp_dir(const char *tag)
{
	g_autofree char *tmpl = g_strdup_printf("mesh-%s-XXXXXX", tag);
	char *path = g_dir_make_tmp(tmpl, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	return path;
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void
mesh_test_remove_tree(const char *path)
{
	CU_ASSERT_EQUAL(nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

guint
mesh_test_mode(const char *path)
{
	struct stat st;

	CU_ASSERT_EQUAL_FATAL(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

JsonObject *
mesh_test_vectors(JsonNode **ret_root, const char *file, const char *name)
{
	g_autofree char *path = mesh_test_vector_path(file);
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;
	JsonObject *obj = NULL;
	gsize len = 0;

	CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &text, &len, &error));
	*ret_root = mesh_json_parse(text, len, 1 << 20, &error);
	if (*ret_root == NULL)
		fprintf(stderr, "%s: %s\n", path, error->message);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*ret_root);
	CU_ASSERT_TRUE_FATAL(JSON_NODE_HOLDS_OBJECT(*ret_root));
	obj = json_node_get_object(*ret_root);
	if (name != NULL)
		CU_ASSERT_TRUE_FATAL(mesh_json_get_object(obj, name, &obj, NULL));
	return obj;
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
	/* The Basic runner does not set the exit status: do it here. */
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	ran = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	if (ran == 0) {
		fprintf(stderr, "suite %s ran no test\n", suite);
		return 1;
	}
	return failures ? 1 : 0;
}
