/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "jwk.h"
#include "secret.h"

G_BEGIN_DECLS

/*
 * JSON that carries secrets (docs/protocol.md §6: escrowed private keys, the private part of
 * application profiles). Such JSON is written straight into secure memory, never into a
 * json-glib node, a GString or the ordinary heap; it is read by parsing it into a tree that
 * lives only for the call and whose every string is wiped before the tree is freed.
 *
 * json-glib's scanner keeps short-lived token copies on the ordinary heap while it parses;
 * those are outside our reach (as for mesh_key_from_jwk_text).
 */

typedef struct MeshSecjson MeshSecjson;

/* mesh_secjson_new: an empty writer whose buffer is a MeshSecret. */
MeshSecjson *mesh_secjson_new(void);

/* mesh_secjson_free: wipe and free; accepts NULL. */
void mesh_secjson_free(MeshSecjson *writer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshSecjson, mesh_secjson_free)

/* mesh_secjson_raw: append @len bytes of JSON text as they are (e.g. "{\"Name\":"). */
void mesh_secjson_raw(MeshSecjson *writer, const char *text, gsize len);

/* mesh_secjson_literal: append the NUL-terminated JSON text @text as it is. */
void mesh_secjson_literal(MeshSecjson *writer, const char *text);

/* mesh_secjson_secret_text: append the NUL-terminated JSON text held in @text (a private JWK
 * from mesh_key_to_jwk_private, say); the terminating NUL is not copied. */
void mesh_secjson_secret_text(MeshSecjson *writer, const MeshSecret *text);

/* mesh_secjson_string: append @text (UTF-8, @len bytes; -1: NUL-terminated) as a quoted JSON
 * string, escaped as json-glib would. */
void mesh_secjson_string(MeshSecjson *writer, const char *text, gssize len);

/* mesh_secjson_node: append the compact serialisation of @node (which must hold no secret). */
void mesh_secjson_node(MeshSecjson *writer, JsonNode *node);

/*
 * mesh_secjson_finish: the text written so far, NUL-terminated, as a new MeshSecret
 * (mesh_secret_len() counts the NUL). The writer may be freed or reused afterwards.
 */
MeshSecret *mesh_secjson_finish(MeshSecjson *writer);

/*
 * mesh_secjson_parse: parse the JSON text in @text (a trailing NUL is allowed and not part of
 * it) with the strict reader, at most @max_len bytes. Free the result with mesh_secjson_unref,
 * which wipes it. Errors: as mesh_json_parse.
 */
JsonNode *mesh_secjson_parse(const MeshSecret *text, gsize max_len, GError **error);

/* mesh_secjson_wipe: overwrite every string in the tree @node (member values and array
 * elements, at any depth) in place, as json-glib frees its strings without clearing them: for
 * any tree that held secrets (requests with passphrases, answers with shares); accepts NULL. */
void mesh_secjson_wipe(JsonNode *node);

/* mesh_secjson_unref: mesh_secjson_wipe, then drop the reference; accepts NULL. */
void mesh_secjson_unref(JsonNode *node);

/* For g_autoptr-like use: typedef of a tree to be wiped. */
typedef JsonNode MeshSecjsonTree;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshSecjsonTree, mesh_secjson_unref)

G_END_DECLS
