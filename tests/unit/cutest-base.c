/* SPDX-License-Identifier: MIT */
/* nftw() */
#define _GNU_SOURCE
#include "cutest-base.h"

#include <CUnit/Basic.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <sys/stat.h>
#ifndef G_OS_WIN32
#include <ftw.h>
#endif

char *
mesh_test_tmp_dir(const char *tag)
{
	g_autofree char *tmpl = g_strdup_printf("mesh-%s-XXXXXX", tag);
	char *path = g_dir_make_tmp(tmpl, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	return path;
}

#ifndef G_OS_WIN32
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
#else
/* No nftw: walk with GDir; g_lstat sees a junction or symbolic link as itself, which is
 * removed, never followed. */
static gboolean
remove_tree(const char *path)
{
	GStatBuf st;
	gboolean ok = TRUE;

	if (g_lstat(path, &st) != 0)
		return FALSE;
	if (S_ISDIR(st.st_mode)) {
		g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
		const char *name;

		if (dir == NULL)
			return FALSE;
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree char *child = g_build_filename(path, name, NULL);

			ok = remove_tree(child) && ok;
		}
		g_clear_pointer(&dir, g_dir_close);
		return g_rmdir(path) == 0 && ok;
	}
	return g_remove(path) == 0;
}

void
mesh_test_remove_tree(const char *path)
{
	CU_ASSERT_TRUE(remove_tree(path));
}
#endif

int
mesh_test_main_suites(CU_SuiteInfo *suites)
{
	unsigned failures, ran;
	gboolean empty = FALSE;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	if (CU_register_suites(suites) != CUE_SUCCESS) {
		fprintf(stderr, "cannot register the suites: %s\n", CU_get_error_msg());
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	/* The Basic runner does not set the exit status: do it here. */
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	ran = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	for (CU_SuiteInfo *s = suites; s->pName != NULL; s++) {
		if (s->pTests == NULL || s->pTests[0].pName == NULL) {
			fprintf(stderr, "suite %s has no test\n", s->pName);
			empty = TRUE;
		}
	}
	if (ran == 0 || empty) {
		fprintf(stderr, "a suite ran no test\n");
		return 1;
	}
	return failures ? 1 : 0;
}

int
mesh_test_main(const char *suite, CU_TestInfo *tests)
{
	CU_SuiteInfo suites[] = {
		{ (char *)suite, NULL, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	return mesh_test_main_suites(suites);
}
