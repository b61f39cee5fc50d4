/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The MeshHive conformance suite: what every OS's hive must do, through core/hive.h alone (no
 * file paths, no modes, no registry). linux/hive.c passes it in tests/unit/test-hive.c, the
 * registry hive of windows/hive.c in tests/windows/test-win-hive.c; each adds its own OS-only
 * cases beside it. json-free, so that it builds for Windows here.
 */

#include "cutest-base.h"

typedef struct {
	/* A new, empty root folder for mesh_hive_open (g_free). */
	char *(*make_root)(void);
	/* Remove @root and everything the hives opened on it keep (files, registry keys). */
	void (*remove_root)(const char *root);
} MeshHiveConformance;

/* The suite's tests (ended by CU_TEST_INFO_NULL), run over @ops (kept; static storage). */
CU_TestInfo *mesh_hive_conformance_tests(const MeshHiveConformance *ops);
