/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Markers: the small JSON objects key stores keep beside their keys (Keys/<udf>.meta and the
 * like, docs/design.md "Key stores"), written and read without a JSON library so that the
 * key-store layer builds where json-glib cannot be had.
 *
 * A marker is one flat JSON object whose members are strings or booleans:
 *
 *   {"Use":"Signature","Algorithm":"Ed25519","Protected":false}
 *
 * Written compact, members in the order they were set, byte for byte as json-glib's generator
 * writes the same object (so hives written before and after read alike). Read strictly: at most
 * MESH_MARKER_MAX bytes of valid UTF-8, at most MESH_MARKER_MEMBERS_MAX members, each name once;
 * JSON whitespace and escapes (\uXXXX with surrogate pairs) as RFC 8259 has them; no control
 * character (raw or escaped, nor U+007F), no NUL, no number, null, array or nested object.
 */

/* Largest marker text read or written. */
#define MESH_MARKER_MAX 4096
/* Most members in one marker. */
#define MESH_MARKER_MEMBERS_MAX 16

typedef struct MeshMarker MeshMarker;

/* mesh_marker_new: an empty marker, to fill with mesh_marker_set_*. */
MeshMarker *mesh_marker_new(void);

/* mesh_marker_free: accepts NULL. */
void mesh_marker_free(MeshMarker *marker);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshMarker, mesh_marker_free)

/*
 * mesh_marker_set_string, mesh_marker_set_boolean: add member @name (or replace its value,
 * keeping its place). @name and @value must be UTF-8 without control characters (a programming
 * error otherwise: the marker is left unchanged), and a marker holds at most
 * MESH_MARKER_MEMBERS_MAX members.
 */
void mesh_marker_set_string(MeshMarker *marker, const char *name, const char *value);
void mesh_marker_set_boolean(MeshMarker *marker, const char *name, gboolean value);

/* mesh_marker_to_text: the compact JSON text of @marker (a new string). */
char *mesh_marker_to_text(const MeshMarker *marker);

/*
 * mesh_marker_parse: read @len bytes at @text (not necessarily NUL-terminated) as above.
 * Errors: MESH_ERROR_TOO_LARGE (above MESH_MARKER_MAX bytes, or too many members),
 * MESH_ERROR_MALFORMED (anything else, the message says what and where).
 */
MeshMarker *mesh_marker_parse(const char *text, gsize len, GError **error);

/* mesh_marker_size: the number of members. */
guint mesh_marker_size(const MeshMarker *marker);

/*
 * Typed member access. Each returns FALSE with MESH_ERROR_MALFORMED naming the member when it
 * is missing (the _opt forms then return TRUE and NULL) or of another type.
 * mesh_marker_check_members: FALSE when @marker has a member not in the NULL-terminated
 * @allowed. Strings are owned by @marker.
 */
gboolean mesh_marker_check_members(const MeshMarker *marker, const char *const *allowed,
                                   GError **error);
gboolean mesh_marker_get_string(const MeshMarker *marker, const char *name, const char **ret,
                                GError **error);
gboolean mesh_marker_get_string_opt(const MeshMarker *marker, const char *name, const char **ret,
                                    GError **error);
gboolean mesh_marker_get_boolean(const MeshMarker *marker, const char *name, gboolean *ret,
                                 GError **error);

G_END_DECLS
