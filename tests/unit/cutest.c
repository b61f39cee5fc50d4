/* SPDX-License-Identifier: MIT */
#include "cutest.h"

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
