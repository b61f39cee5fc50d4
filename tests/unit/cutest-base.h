/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The part of the CUnit helpers that needs GLib and core/error.h alone (no json-glib), so that
 * test programs built for Windows, where json-glib cannot be had here, use it too
 * (tests/windows/). tests/unit/cutest.h includes it.
 */

#include <CUnit/CUnit.h>
#include <glib.h>

#include "error.h"

/*
 * mesh_test_main: run one CUnit suite with the Basic runner (verbose), print the Run Summary
 * and return the process exit status: 0 only when every assertion passed.
 */
int mesh_test_main(const char *suite, CU_TestInfo *tests);

/* mesh_test_main_suites: the same for several suites (ended by CU_SUITE_INFO_NULL); fails
 * when any suite ran no test. */
int mesh_test_main_suites(CU_SuiteInfo *suites);

/* A new empty folder under the temporary folder (a fatal assertion when it cannot be made). */
char *mesh_test_tmp_dir(const char *tag);

/* Remove @path and everything below it, without following links; asserts it worked. */
void mesh_test_remove_tree(const char *path);

#ifndef G_OS_WIN32
/* The permission bits of @path itself (lstat), e.g. 0700. */
guint mesh_test_mode(const char *path);
#endif

/* Assert that @error is set in the MESH_ERROR domain with @code, then clear it. */
#define MESH_ASSERT_ERROR(err, want)                                                          \
	do {                                                                                  \
		CU_ASSERT_PTR_NOT_NULL_FATAL(err);                                            \
		CU_ASSERT_EQUAL((err)->domain, MESH_ERROR);                                   \
		if ((err)->code != (int)(want))                                               \
			g_printerr("expected code %d, got %d: %s\n", (int)(want), (err)->code,  \
				   (err)->message);                                           \
		CU_ASSERT_EQUAL((err)->code, (int)(want));                                    \
		g_clear_error(&(err));                                                        \
	} while (0)

/* Assert that @error is unset; print it when it is not. */
#define MESH_ASSERT_NO_ERROR(error)                                                           \
	do {                                                                                  \
		if ((error) != NULL)                                                          \
			g_printerr("unexpected error: %s\n", (error)->message);               \
		CU_ASSERT_PTR_NULL_FATAL(error);                                              \
	} while (0)
