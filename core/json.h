/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * Strict JSON for outside bytes (docs/protocol.md §1): UTF-8, at most @max_len bytes, nesting at
 * most MESH_JSON_MAX_DEPTH, and no object with the same member twice.
 */
#define MESH_JSON_MAX_DEPTH 32

/*
 * mesh_json_parse: parse @len bytes at @data (not necessarily NUL-terminated). Returns the root
 * node (caller frees with json_node_unref). Errors: MESH_ERROR_TOO_LARGE above @max_len or too
 * deep, MESH_ERROR_MALFORMED for invalid JSON, invalid UTF-8 or a duplicate member.
 */
JsonNode *mesh_json_parse(const char *data, gsize len, gsize max_len, GError **error);

/* mesh_json_parse_object: mesh_json_parse, and the root must be an object (else
 * MESH_ERROR_MALFORMED "not a JSON object"). */
JsonNode *mesh_json_parse_object(const char *data, gsize len, gsize max_len, GError **error);

/*
 * mesh_json_to_string: compact serialisation of @node. Returns a new string.
 */
char *mesh_json_to_string(JsonNode *node);

/*
 * Typed member access for readers that must reject wrong JSON types. Each returns FALSE and
 * sets MESH_ERROR_MALFORMED naming @member when it is missing (unless the *_opt variant is
 * used, which returns TRUE and leaves the result NULL/unset) or of the wrong type.
 */
gboolean mesh_json_get_string(JsonObject *obj, const char *member, const char **ret,
			      GError **error);
/* mesh_json_get_bool_opt: the boolean @member of @obj in *@ret, left alone when absent. Errors:
 * MESH_ERROR_MALFORMED (not true or false). */
gboolean mesh_json_get_bool_opt(JsonObject *obj, const char *member, gboolean *ret,
				GError **error);
gboolean mesh_json_get_string_opt(JsonObject *obj, const char *member, const char **ret,
				  GError **error);
gboolean mesh_json_get_object(JsonObject *obj, const char *member, JsonObject **ret,
			      GError **error);
gboolean mesh_json_get_array(JsonObject *obj, const char *member, JsonArray **ret,
			     GError **error);
gboolean mesh_json_get_int(JsonObject *obj, const char *member, gint64 *ret, GError **error);

/*
 * mesh_json_check_members: MESH_ERROR_MALFORMED unless every member of @obj is one of the
 * NULL-terminated list @allowed.
 */
gboolean mesh_json_check_members(JsonObject *obj, const char *const *allowed, GError **error);

/* mesh_json_time_now: the current time as RFC 3339 UTC, whole seconds ("2026-11-21T20:00:00Z"). */
char *mesh_json_time_now(void);

/* mesh_json_time_from_unix: @seconds since the epoch as mesh_json_time_now writes a time; NULL
 * outside the years 1 to 9999. */
char *mesh_json_time_from_unix(gint64 seconds);

/*
 * mesh_json_get_time: as mesh_json_get_string, and the value must be an RFC 3339 UTC time of
 * the form YYYY-MM-DDTHH:MM:SSZ (MESH_ERROR_MALFORMED otherwise).
 */
gboolean mesh_json_get_time(JsonObject *obj, const char *member, const char **ret,
			    GError **error);

G_END_DECLS
