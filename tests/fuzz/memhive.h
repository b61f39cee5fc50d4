/* SPDX-License-Identifier: MIT */
#pragma once

#include "hive.h"

/*
 * An in-memory MeshHive for fuzz targets: no files, so that every input starts from a fresh hive
 * in microseconds. One table of name -> bytes per folder; read honours max_len
 * (MESH_ERROR_TOO_LARGE) and reports MESH_ERROR_NOT_FOUND; write, append and remove change it;
 * list is sorted, without "default"; every change gives the entry a new stamp (a counter); the
 * location is "(memory)". Close with mesh_hive_close.
 */
MeshHive *mesh_fuzz_memhive_new(void);

/* Put @len bytes at @data as @folder/@name directly (no name check: a fuzz target gives only
 * names it made), replacing what was there. */
void mesh_fuzz_memhive_put(MeshHive *hive, MeshHiveFolder folder, const char *name,
			   const void *data, gsize len);
