/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The MeshHive conformance suite: what every OS's hive must do, through core/hive.h alone (no
 * file paths, no modes, no registry). linux/hive.c passes it in tests/unit/test-hive.c, the
 * registry hive of windows/hive.c in tests/windows/test-win-hive.c; each adds its own OS-only
 * cases beside it. json-free, so that it builds for Windows here.
 */

#include "cutest-base.h"
#include "hive.h"

typedef struct {
	/* A new, empty root folder for mesh_hive_open (g_free). */
	char *(*make_root)(void);
	/* Remove @root and everything the hives opened on it keep (files, registry keys). */
	void (*remove_root)(const char *root);
} MeshHiveConformance;

/* The helpers its cases use, for the OS-only cases beside it: open (or fail the test), write
 * text, and the bytes, text or absence of an entry. */
MeshHive *hive_open_ok(MeshHiveKind kind, const char *root);
void hive_write_ok(MeshHive *hive, MeshHiveFolder folder, const char *name, const char *text);
void hive_assert_bytes(MeshHive *hive, MeshHiveFolder folder, const char *name,
		       const guint8 *want, gsize len);
void hive_assert_entry(MeshHive *hive, MeshHiveFolder folder, const char *name,
		       const char *want);
void hive_assert_missing(MeshHive *hive, MeshHiveFolder folder, const char *name);
/* hive_list_joined: mesh_hive_list of @folder, joined with ','. hive_dir_names: every name in the
 * folder @path on disk (temporary files included), sorted and joined with ','. */
char *hive_list_joined(MeshHive *hive, MeshHiveFolder folder);
char *hive_dir_names(const char *path);

/* The suite's tests (ended by CU_TEST_INFO_NULL), run over @ops (kept; static storage). */
CU_TestInfo *mesh_hive_conformance_tests(const MeshHiveConformance *ops);
