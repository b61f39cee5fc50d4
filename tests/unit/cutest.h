/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-glib/json-glib.h>

/* mesh_test_main, temporary folders, the error assertions: json-free, shared with the Windows
 * tests. */
#include "cutest-base.h"

/* Path of a file in tests/vectors/. */
char *mesh_test_vector_path(const char *name);

/*
 * mesh_test_vectors: the JSON file tests/vectors/@file parsed with the strict reader (a fatal
 * assertion when it cannot be read); its member @name as an object, or the root object when @name
 * is NULL. The tree is stored in *@ret_root for the caller to free with json_node_unref.
 */
JsonObject *mesh_test_vectors(JsonNode **ret_root, const char *file, const char *name);
