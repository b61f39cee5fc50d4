/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "key.h"

G_BEGIN_DECLS

/*
 * MeshKey as JSON: the JWK (RFC 7517, RFC 8037 OKP, RFC 7518 EC) and the public key object of
 * docs/protocol.md §3. The part of the JWK that needs no JSON parser (the private JWK text,
 * the thumbprint) is in key.h, so that the key-store layer builds without json-glib.
 */

/*
 * mesh_key_from_jwk: a key from a JWK object: {"kty":"OKP","crv":"Ed25519"|"X25519","x"} or
 * {"kty":"EC","crv":"P-256","x","y"}, with "d" for a private key. Coordinates and "d" are
 * exactly 32 bytes of strict base64url; "d" must belong to "x"/"y". Optional "kid", "alg",
 * "use" (strings) and "key_ops" (array) are type-checked and otherwise ignored, so a JWK from
 * another tool whose kid is not a UDF still imports; any other member is refused.
 * Errors: MESH_ERROR_MALFORMED (missing or extra member, wrong JSON type, bad base64url, wrong
 * length, point not on the curve, "d" not matching), MESH_ERROR_UNSUPPORTED (other kty/crv).
 */
MeshKey *mesh_key_from_jwk(JsonObject *jwk, GError **error);

/*
 * mesh_key_from_jwk_text: parse @len bytes of JWK text (not necessarily NUL-terminated) with
 * the strict parser, at most MESH_KEY_JWK_MAX bytes, then as mesh_key_from_jwk. The parsed
 * copy of "d" is wiped before returning; the caller wipes @text. Errors as mesh_key_from_jwk,
 * and MESH_ERROR_TOO_LARGE.
 */
MeshKey *mesh_key_from_jwk_text(const char *text, gsize len, GError **error);

/*
 * mesh_key_to_jwk: the public JWK with "kid" = UDF: {"kty","crv","x",("y"),"kid"}. Returns a
 * new node (caller unrefs).
 */
JsonNode *mesh_key_to_jwk(const MeshKey *key);

/*
 * docs/protocol.md §3 public key object: {"UDF": "<UDF>", "PublicParameters": <public JWK>}.
 * mesh_key_to_public_object returns a new node. mesh_key_from_public_object refuses extra
 * members, a private "d", and a "UDF" (or JWK "kid") that is not this key's UDF
 * (MESH_ERROR_MALFORMED), besides the errors of mesh_key_from_jwk.
 */
JsonNode *mesh_key_to_public_object(const MeshKey *key);
MeshKey *mesh_key_from_public_object(JsonObject *obj, GError **error);

G_END_DECLS
