/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "jose.h"
#include "error.h"
#include "key.h"

G_BEGIN_DECLS

/*
 * Signed objects (docs/protocol.md §1, §4): the parts every profile and connection message shares.
 *
 * - Tagged JSON: {"Tag": {...}}.
 * - A JWS (flattened) whose payload is the tagged JSON and whose protected "cty" is the tag.
 * - The signed wrapper {"Signed<Tag>": {"Identifier": <UDF>, "SignedData": <JWS>}}.
 *
 * Opening a signed object parses the payload BEFORE the signature is checked, because some
 * payloads name the key that must verify them (self-signed profiles) and others name the set
 * of keys the signer must belong to. The caller picks the key from what it opened, calls
 * mesh_signed_verify() with it, and trusts nothing in the payload before that succeeds.
 */

/* Serial numbers (docs/protocol.md §6) are integers in 1..MESH_SERIAL_MAX (2^53 - 1, so that every
 * JSON reader holds them exactly). */
#define MESH_SERIAL_MAX G_GINT64_CONSTANT(9007199254740991)

/*
 * mesh_signed_sign_with_key: a MeshJwsSignFunc for a private MeshKey held in memory, passed as
 * @user_data (for keys that are not in a key store: tests, tools, freshly made master keys).
 */
gboolean mesh_signed_sign_with_key(gpointer user_data, const guint8 *input, gsize len,
				   GBytes **ret_signature, GError **error);

/* mesh_signed_tag: the new node {@tag: @inner}; takes ownership of @inner. */
JsonNode *mesh_signed_tag(const char *tag, JsonObject *inner);

/*
 * mesh_signed_untag: the inner object of {@tag: {...}} (owned by @node). Errors:
 * MESH_ERROR_MALFORMED (not an object, another tag, more than one member, not an object inside).
 */
JsonObject *mesh_signed_untag(JsonNode *node, const char *tag, GError **error);

/*
 * mesh_signed_jws: the flattened JWS of the compact serialisation of @payload (a tagged node),
 * "cty" = @tag, signed by @key (public; @sign makes the signature). Errors:
 * MESH_ERROR_TOO_LARGE when the payload is longer than @max_len (so writers never produce what
 * readers refuse), MESH_ERROR_CRYPTO when the signature @sign made does not verify under @key,
 * and those of mesh_jws_sign_with.
 */
JsonNode *mesh_signed_jws(JsonNode *payload, const char *tag, const MeshKey *key,
			  MeshJwsSignFunc sign, gpointer user_data, gsize max_len, GError **error);

/*
 * mesh_signed_wrap: {"Signed<@tag>": {"Identifier": @identifier, "SignedData": <JWS>}}, the JWS
 * made as by mesh_signed_jws. Returns a new node. Errors as mesh_signed_jws, and
 * MESH_ERROR_TOO_LARGE when the serialised wrapper would be longer than @max_len.
 */
JsonNode *mesh_signed_wrap(JsonNode *payload, const char *tag, const char *identifier,
			   const MeshKey *key, MeshJwsSignFunc sign, gpointer user_data,
			   gsize max_len, GError **error);

/* An opened, NOT yet verified signed object. */
typedef struct {
	char *identifier;  /* the wrapper's Identifier; NULL for a bare JWS */
	MeshJws *jws;      /* kid and cty: mesh_jws_kid(), mesh_jws_cty() */
	JsonNode *payload; /* the tagged payload, parsed strictly; untrusted until verified */
} MeshSignedObject;

void mesh_signed_object_free(MeshSignedObject *object);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshSignedObject, mesh_signed_object_free)

/*
 * mesh_signed_open_jws: read the bare JWS @node whose payload must be a @tag: "cty" is @tag, a
 * "kid" is present, and the payload parses strictly within @max_len. Errors:
 * MESH_ERROR_MALFORMED, MESH_ERROR_TOO_LARGE, MESH_ERROR_UNSUPPORTED (from the JWS reader).
 */
MeshSignedObject *mesh_signed_open_jws(JsonNode *node, const char *tag, gsize max_len,
				       GError **error);

/*
 * mesh_signed_open: read the wrapper {"Signed<@tag>": {"Identifier", "SignedData"}} and its
 * JWS as mesh_signed_open_jws does. Errors as mesh_signed_open_jws.
 */
MeshSignedObject *mesh_signed_open(JsonNode *node, const char *tag, gsize max_len,
				   GError **error);

/*
 * mesh_signed_verify: check the signature of @object under @key (its public part). Errors:
 * MESH_ERROR_BAD_SIGNATURE (the JWS "kid" is not @key's UDF, or the signature does not
 * verify), MESH_ERROR_CRYPTO.
 */
gboolean mesh_signed_verify(const MeshSignedObject *object, const MeshKey *key, GError **error);

/* ---- Readers shared by the profiles -------------------------------------------------------- */

/*
 * mesh_signed_check_key: MESH_ERROR_INVALID_ARGUMENT (naming @member) unless @key fits its use
 * (docs/protocol.md §3): Ed25519 or P-256 for signatures, X25519 or P-256 when @agreement.
 */
gboolean mesh_signed_check_key(const char *member, const MeshKey *key, gboolean agreement,
			       GError **error);

/*
 * mesh_signed_read_key: the public key in the docs/protocol.md §3 key object @node (named @member in
 * messages), which must fit its use as for mesh_signed_check_key. Errors: MESH_ERROR_MALFORMED
 * (not a key object, a private key, the wrong algorithm), MESH_ERROR_UNSUPPORTED.
 */
MeshKey *mesh_signed_read_key(JsonNode *node, const char *member, gboolean agreement,
			      GError **error);

/*
 * mesh_signed_get_serial: the integer @member of @obj in 1..MESH_SERIAL_MAX. Errors:
 * MESH_ERROR_MALFORMED (missing, not an integer, out of range).
 */
gboolean mesh_signed_get_serial(JsonObject *obj, const char *member, gint64 *ret_serial,
				GError **error);

/* mesh_signed_next_serial: *@serial + 1. Errors: MESH_ERROR_INVALID_ARGUMENT at MESH_SERIAL_MAX. */
gboolean mesh_signed_next_serial(gint64 *serial, GError **error);

/*
 * mesh_signed_get_udf: the string @member of @obj, which must be a UDF of type @type (a
 * MeshUdfType; a content digest type accepts every compression level) at 100 to 440 bits;
 * @type < 0 accepts any type. Errors: MESH_ERROR_MALFORMED.
 */
gboolean mesh_signed_get_udf(JsonObject *obj, const char *member, int type, const char **ret,
			     GError **error);

/*
 * mesh_signed_check_udf: as mesh_signed_get_udf for the string @text, named @what in messages.
 */
gboolean mesh_signed_check_udf(const char *what, const char *text, int type, GError **error);

/*
 * mesh_signed_check_text: MESH_ERROR_INVALID_ARGUMENT unless @text (NULL is fine) is a display
 * string (core/text.h: UTF-8 without controls, bidirectional or invisible formatting characters)
 * of at most @max bytes.
 */
gboolean mesh_signed_check_text(const char *what, const char *text, gsize max, GError **error);

/* mesh_signed_recode: give the error set in @error (if any) the code @code, e.g.
 * MESH_ERROR_MALFORMED where a reader finds what a writer refuses as an invalid argument.
 * Returns FALSE. */
gboolean mesh_signed_recode(GError **error, MeshError code);

G_END_DECLS
