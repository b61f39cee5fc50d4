/* SPDX-License-Identifier: MIT */
#include "json.h"

#include "error.h"

#include <stdio.h>
#include <string.h>

/*
 * json-glib recurses once per nesting level and keeps the last of duplicate members, so both are
 * checked here: depth by a scan of the text before parsing, duplicates by counting the
 * "object-member" signals each object receives against the members it ends up with.
 */

static int
hex4(const char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		int d = g_ascii_xdigit_value(p[i]);

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/*
 * One pass over the text before json-glib sees it: nesting depth, and the escapes json-glib would
 * turn into something other readers see differently — \u0000 (it cuts the string there) and
 * unpaired UTF-16 surrogates (it produces invalid UTF-8).
 */
static gboolean
prescan(const char *data, gsize len, GError **error)
{
	gboolean in_string = FALSE, in_scalar = FALSE;
	guint depth = 0, values = 0;

	for (gsize i = 0; i < len; i++) {
		char c = data[i];

		if (in_string) {
			if (c == '"') {
				in_string = FALSE;
			} else if (c == '\\' && i + 1 < len) {
				int u, lo;

				/* JSON has these escapes only; json-glib also takes octal
				 * ones ("\\222"), which decode to bytes that are not UTF-8. */
				if (strchr("\"\\/bfnrtu", data[++i]) == NULL || data[i] == '\0')
					goto bad_escape;
				if (data[i] != 'u')
					continue;
				u = i + 4 < len ? hex4(data + i + 1) : -1;
				/* Not four hex digits: json-glib decodes what it can (a lone
				 * surrogate, a string cut at a NUL), so it is refused here. */
				if (u < 0)
					goto bad_escape;
				i += 4;
				if (u == 0)
					goto bad_escape;
				if (u >= 0xDC00 && u <= 0xDFFF)
					goto bad_escape;
				if (u >= 0xD800 && u <= 0xDBFF) {
					lo = i + 6 < len && data[i + 1] == '\\' && data[i + 2] == 'u' ?
						     hex4(data + i + 3) :
						     -1;
					if (lo < 0xDC00 || lo > 0xDFFF)
						goto bad_escape;
					i += 6;
				}
			}
			continue;
		}
		/* Count the values that start at the top level: json-glib accepts "{}{}" and keeps
		 * only the last, leaking the others (found by fuzzing). */
		if (depth == 0) {
			if (g_ascii_isspace(c)) {
				in_scalar = FALSE;
			} else if (c == '{' || c == '[' || c == '"' || !in_scalar) {
				in_scalar = c != '{' && c != '[' && c != '"';
				if (++values > 1) {
					g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
						    "invalid JSON: more than one value");
					return FALSE;
				}
			}
		}
		if (c == '"') {
			in_string = TRUE;
		} else if (c == '{' || c == '[') {
			if (++depth > MESH_JSON_MAX_DEPTH) {
				g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
					    "JSON nested deeper than %d levels", MESH_JSON_MAX_DEPTH);
				return FALSE;
			}
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
	}
	return TRUE;
bad_escape:
	g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		    "invalid JSON: a string holds an escape that JSON does not have, \\u0000 or an "
		    "unpaired surrogate");
	return FALSE;
}

/*
 * json-glib's messages quote the token it stopped at, which may be secret (a private JWK's "d"
 * with a typo after it): keep only the position it gives ("<data>:LINE:COL: ...").
 */
static void
set_parse_error(const GError *local, GError **error)
{
	guint line = 0, col = 0;
	const char *p = local->message != NULL ? strchr(local->message, ':') : NULL;

	if (p == NULL || sscanf(p, ":%u:%u:", &line, &col) != 2)
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "invalid JSON");
	else
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "invalid JSON at line %u, column %u", line, col);
}

typedef struct {
	GHashTable *counts; /* JsonObject* -> number of members parsed into it */
	char *duplicate;
} MemberCheck;

static void
on_object_member(JsonParser *parser, JsonObject *object, const char *name, gpointer user_data)
{
	MemberCheck *check = user_data;
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(check->counts, object)) + 1;

	g_hash_table_insert(check->counts, object, GUINT_TO_POINTER(n));
	if (n > json_object_get_size(object) && check->duplicate == NULL)
		check->duplicate = g_strdup(name);
}

JsonNode *
mesh_json_parse(const char *data, gsize len, gsize max_len, GError **error)
{
	g_autoptr(JsonParser) parser = NULL;
	g_autoptr(GError) local = NULL;
	MemberCheck check = { 0 };
	JsonNode *root = NULL;
	gboolean ok;

	if (len > max_len) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "JSON input of %" G_GSIZE_FORMAT " bytes exceeds the limit of %" G_GSIZE_FORMAT,
			    len, max_len);
		return NULL;
	}
	if (len == 0 || !g_utf8_validate_len(data, len, NULL)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    len == 0 ? "empty JSON input" : "JSON input is not valid UTF-8");
		return NULL;
	}
	if (!prescan(data, len, error))
		return NULL;

	parser = json_parser_new_immutable();
	check.counts = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_signal_connect(parser, "object-member", G_CALLBACK(on_object_member), &check);
	ok = json_parser_load_from_data(parser, data, (gssize)len, &local);
	g_hash_table_unref(check.counts);
	if (!ok) {
		set_parse_error(local, error);
		goto out;
	}
	if (check.duplicate != NULL) {
		g_autofree char *quoted = mesh_error_quote(check.duplicate);

		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "invalid JSON: member \"%s\" appears twice in one object", quoted);
		goto out;
	}
	if (json_parser_get_root(parser) == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "empty JSON input");
		goto out;
	}
	root = json_parser_steal_root(parser);
out:
	g_free(check.duplicate);
	return root;
}

JsonNode *
mesh_json_parse_object(const char *data, gsize len, gsize max_len, GError **error)
{
	JsonNode *root = mesh_json_parse(data, len, max_len, error);

	if (root != NULL && !JSON_NODE_HOLDS_OBJECT(root)) {
		json_node_unref(root);
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "not a JSON object");
		return NULL;
	}
	return root;
}

char *
mesh_json_to_string(JsonNode *node)
{
	g_autoptr(JsonGenerator) gen = json_generator_new();

	json_generator_set_root(gen, node);
	return json_generator_to_data(gen, NULL);
}

static JsonNode *
member(JsonObject *obj, const char *name, gboolean optional, GError **error)
{
	JsonNode *node = obj != NULL ? json_object_get_member(obj, name) : NULL;

	if (node == NULL && !optional)
		mesh_error_member(error, name, NULL);
	return node;
}

static gboolean
get_string(JsonObject *obj, const char *name, gboolean optional, const char **ret, GError **error)
{
	JsonNode *node = member(obj, name, optional, error);

	if (node == NULL)
		return optional;
	if (JSON_NODE_TYPE(node) != JSON_NODE_VALUE || json_node_get_value_type(node) != G_TYPE_STRING)
		return mesh_error_member(error, name, "a string");
	*ret = json_node_get_string(node);
	return TRUE;
}

gboolean
mesh_json_get_string(JsonObject *obj, const char *name, const char **ret, GError **error)
{
	return get_string(obj, name, FALSE, ret, error);
}

gboolean
mesh_json_get_string_opt(JsonObject *obj, const char *name, const char **ret, GError **error)
{
	*ret = NULL;
	return get_string(obj, name, TRUE, ret, error);
}

gboolean
mesh_json_get_bool_opt(JsonObject *obj, const char *name, gboolean *ret, GError **error)
{
	JsonNode *node = json_object_get_member(obj, name);

	if (node == NULL)
		return TRUE;
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_BOOLEAN) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "\"%s\" must be true or false",
			    name);
		return FALSE;
	}
	*ret = json_node_get_boolean(node);
	return TRUE;
}

gboolean
mesh_json_get_object(JsonObject *obj, const char *name, JsonObject **ret, GError **error)
{
	JsonNode *node = member(obj, name, FALSE, error);

	if (node == NULL)
		return FALSE;
	if (JSON_NODE_TYPE(node) != JSON_NODE_OBJECT)
		return mesh_error_member(error, name, "an object");
	*ret = json_node_get_object(node);
	return TRUE;
}

gboolean
mesh_json_get_array(JsonObject *obj, const char *name, JsonArray **ret, GError **error)
{
	JsonNode *node = member(obj, name, FALSE, error);

	if (node == NULL)
		return FALSE;
	if (JSON_NODE_TYPE(node) != JSON_NODE_ARRAY)
		return mesh_error_member(error, name, "an array");
	*ret = json_node_get_array(node);
	return TRUE;
}

gboolean
mesh_json_get_int(JsonObject *obj, const char *name, gint64 *ret, GError **error)
{
	JsonNode *node = member(obj, name, FALSE, error);

	if (node == NULL)
		return FALSE;
	if (JSON_NODE_TYPE(node) != JSON_NODE_VALUE || json_node_get_value_type(node) != G_TYPE_INT64)
		return mesh_error_member(error, name, "an integer");
	*ret = json_node_get_int(node);
	return TRUE;
}

gboolean
mesh_json_check_members(JsonObject *obj, const char *const *allowed, GError **error)
{
	g_autoptr(GList) names = json_object_get_members(obj);

	for (GList *l = names; l != NULL; l = l->next) {
		gboolean ok = FALSE;

		for (gsize i = 0; allowed[i] != NULL && !ok; i++)
			ok = g_str_equal(allowed[i], l->data);
		if (!ok) {
			g_autofree char *quoted = mesh_error_quote(l->data);

			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
				    "unexpected member \"%s\"", quoted);
			return FALSE;
		}
	}
	return TRUE;
}

char *
mesh_json_time_now(void)
{
	return mesh_json_time_from_unix(g_get_real_time() / G_USEC_PER_SEC);
}

char *
mesh_json_time_from_unix(gint64 seconds)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(seconds);

	return t != NULL ? g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ") : NULL;
}

gboolean
mesh_json_get_time(JsonObject *obj, const char *name, const char **ret, GError **error)
{
	g_autoptr(GDateTime) t = NULL;
	g_autofree char *again = NULL;
	const char *s = NULL;

	if (!mesh_json_get_string(obj, name, &s, error))
		return FALSE;
	/* One canonical form: parse, then print back and compare. */
	if (strlen(s) == 20 && s[19] == 'Z')
		t = g_date_time_new_from_iso8601(s, NULL);
	if (t != NULL)
		again = g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ");
	if (again == NULL || strcmp(again, s) != 0)
		return mesh_error_member(error, name, "a UTC time like 2026-11-21T20:00:00Z");
	*ret = s;
	return TRUE;
}
