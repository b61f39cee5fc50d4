/* SPDX-License-Identifier: MIT */
/* One top-level string member (core/json-peek.h): what the peek finds is UTF-8 without NUL,
 * reads back the same from an object written around it, and is what the strict JSON reader
 * (json.h) finds where that reader takes the input too. */
#include "fuzz.h"
#include "json-peek.h"
#include "json.h"

#include <string.h>

/* {"<name>":"<value>"}, every '"', '\' and control character escaped. */
static char *
object_of(const char *name, const char *value)
{
	GString *out = g_string_new(NULL);
	const char *parts[] = {name, value};

	g_string_append_c(out, '{');
	for (int i = 0; i < 2; i++) {
		g_string_append_c(out, '"');
		for (const char *p = parts[i]; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				g_string_append_printf(out, "\\%c", *p);
			else if ((guchar)*p < 0x20)
				g_string_append_printf(out, "\\u%04x", (guchar)*p);
			else
				g_string_append_c(out, *p);
		}
		g_string_append(out, i == 0 ? "\":" : "\"");
	}
	g_string_append_c(out, '}');
	return g_string_free(out, FALSE);
}

static void
check(const uint8_t *data, size_t size, const char *name)
{
	g_autofree char *value = NULL;
	g_autofree char *again_text = NULL;
	g_autofree char *again = NULL;
	g_autoptr(JsonNode) root = NULL;
	JsonNode *member;

	if (!mesh_json_peek_string((const char *)data, size, name, &value, NULL))
		return;
	if (size > MESH_JSON_PEEK_MAX)
		__builtin_trap();
	if (value != NULL) {
		/* UTF-8 without NUL, and found again in an object written around it. */
		if (!g_utf8_validate(value, -1, NULL) || strlen(value) > size)
			__builtin_trap();
		again_text = object_of(name, value);
		if (!mesh_json_peek_string(again_text, strlen(again_text), name, &again, NULL) ||
		    again == NULL || strcmp(again, value) != 0)
			__builtin_trap();
	}
	/* Where the strict reader takes the text too (it also refuses duplicates of other
	 * members), it finds the same member. */
	root = mesh_json_parse((const char *)data, size, MESH_JSON_PEEK_MAX, NULL);
	if (root == NULL)
		return;
	if (!JSON_NODE_HOLDS_OBJECT(root))
		__builtin_trap();
	member = json_object_get_member(json_node_get_object(root), name);
	if (value == NULL ? member != NULL
	                  : member == NULL || json_node_get_value_type(member) != G_TYPE_STRING ||
	                            strcmp(json_node_get_string(member), value) != 0)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(data, size, "Profile");
	check(data, size, "a");
	return 0;
}
