/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * One string member of a JSON object, read without a JSON library (for windows/hive.c, which
 * names an account's registry value by the record's "Profile" and builds where json-glib
 * cannot be had).
 *
 * The whole text is checked, strictly (RFC 8259): at most MESH_JSON_PEEK_MAX bytes of valid
 * UTF-8 without NUL; one object at the top, whitespace around it and nothing else; objects and
 * arrays nested at most MESH_JSON_PEEK_DEPTH deep (the top object counts one); strings with the
 * JSON escapes only, no raw control character, no \u0000 and no lone surrogate (as
 * mesh_json_parse refuses them); numbers in JSON's grammar; the literals true, false, null.
 * Members below the top level, and the values of other members, are checked and skipped.
 */

/* Largest text read. */
#define MESH_JSON_PEEK_MAX (64 * 1024)
/* Deepest nesting of objects and arrays. */
#define MESH_JSON_PEEK_DEPTH 32

/*
 * mesh_json_peek_string: the value of the top-level member @name (UTF-8, the caller's own) of
 * the JSON object in @len bytes at @text (not necessarily NUL-terminated), escapes decoded.
 * Returns TRUE and sets *@ret_value to a new string (UTF-8 without NUL), or to NULL when the
 * object has no member @name. Errors: MESH_ERROR_TOO_LARGE (above MESH_JSON_PEEK_MAX bytes or
 * MESH_JSON_PEEK_DEPTH levels), MESH_ERROR_MALFORMED (the text is not as above, the member
 * @name appears twice or is not a string; the message says what and at which byte, never the
 * text itself). *@ret_value is written only on success.
 */
gboolean mesh_json_peek_string(const char *text, gsize len, const char *name, char **ret_value,
                               GError **error);

G_END_DECLS
