/* SPDX-License-Identifier: MIT */
/* Key-store markers (core/marker.h): what the strict reader accepts, the writer writes back
 * the same, and the strict JSON reader (json.h, what an old build reads) reads alike. */
#include "fuzz.h"
#include "json.h"
#include "marker.h"

#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(MeshMarker) marker = mesh_marker_parse((const char *)data, size, NULL);
	g_autoptr(MeshMarker) again = NULL;
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text = NULL;
	g_autofree char *text_again = NULL;
	g_autoptr(GList) names = NULL;
	JsonObject *obj;

	if (marker == NULL)
		return 0;
	/* Written, it reads back to the same marker (and so the same text). */
	text = mesh_marker_to_text(marker);
	if (strlen(text) > MESH_MARKER_MAX * 6)
		__builtin_trap();
	again = mesh_marker_parse(text, strlen(text), NULL);
	if (again == NULL || mesh_marker_size(again) != mesh_marker_size(marker))
		__builtin_trap();
	text_again = mesh_marker_to_text(again);
	if (strcmp(text, text_again) != 0)
		__builtin_trap();
	/* A marker is JSON: the strict JSON reader takes the input and finds the same members. */
	root = mesh_json_parse((const char *)data, size, MESH_MARKER_MAX, NULL);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		__builtin_trap();
	obj = json_node_get_object(root);
	if (json_object_get_size(obj) != mesh_marker_size(marker))
		__builtin_trap();
	names = json_object_get_members(obj);
	for (GList *l = names; l != NULL; l = l->next) {
		JsonNode *node = json_object_get_member(obj, l->data);
		const char *s = NULL;
		gboolean b = FALSE;

		if (json_node_get_value_type(node) == G_TYPE_STRING) {
			if (!mesh_marker_get_string(marker, l->data, &s, NULL) ||
			    strcmp(s, json_node_get_string(node)) != 0)
				__builtin_trap();
		} else if (!mesh_marker_get_boolean(marker, l->data, &b, NULL) ||
		           b != json_node_get_boolean(node)) {
			__builtin_trap();
		}
	}
	return 0;
}
