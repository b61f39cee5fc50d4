/* SPDX-License-Identifier: MIT */
#include "jwk.h"

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <string.h>

#include "base64.h"
#include "error.h"
#include "json.h"

/* Base64url of 32 bytes, without padding. */
#define B64U_32_LEN 43

/* ---- Reading -----------------------------------------------------------------------------------
 */

/* Decode the JWK member @member: exactly 32 bytes of strict base64url. */
static gboolean
jwk_get_32(JsonObject *jwk, const char *member, guint8 out[static 32], GError **error)
{
	const char *text = NULL;
	gsize n = 0;

	if (!mesh_json_get_string(jwk, member, &text, error))
		return FALSE;
	if (strlen(text) != B64U_32_LEN) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		            "JWK member \"%s\" must be 32 bytes (%d base64url characters)", member,
		            B64U_32_LEN);
		return FALSE;
	}
	if (!mesh_b64u_decode(text, B64U_32_LEN, out, 32, &n, error)) {
		g_prefix_error(error, "JWK member \"%s\": ", member);
		return FALSE;
	}
	return TRUE;
}

/* The algorithm of the JWK's "kty" and "crv". */
static gboolean
jwk_alg(JsonObject *jwk, MeshKeyAlg *ret_alg, GError **error)
{
	static const MeshKeyAlg algs[] = {MESH_KEY_ED25519, MESH_KEY_X25519, MESH_KEY_P256};
	const char *kty = NULL;
	const char *crv = NULL;

	if (!mesh_json_get_string(jwk, "kty", &kty, error) ||
	    !mesh_json_get_string(jwk, "crv", &crv, error))
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(algs); i++) {
		if (strcmp(kty, mesh_key_alg_jwk_kty(algs[i])) == 0 &&
		    strcmp(crv, mesh_key_alg_name(algs[i])) == 0) {
			*ret_alg = algs[i];
			return TRUE;
		}
	}
	{
		g_autofree char *qkty = mesh_error_quote(kty);
		g_autofree char *qcrv = mesh_error_quote(crv);

		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
		            "unsupported JWK kty \"%s\" crv \"%s\": use OKP with Ed25519 or "
		            "X25519, or EC with P-256",
		            qkty, qcrv);
	}
	return FALSE;
}

MeshKey *
mesh_key_from_jwk(JsonObject *jwk, GError **error)
{
	static const char *const members[] = {"kty", "crv", "x",   "y",       "d",
	                                      "kid", "alg", "use", "key_ops", NULL};
	MeshKeyAlg alg;
	gsize pub_len;
	const char *ignored = NULL;
	JsonArray *key_ops = NULL;
	g_autoptr(MeshKey) key = NULL;
	g_autoptr(MeshSecret) d = NULL;
	g_autoptr(GBytes) derived = NULL;
	guint8 pub[MESH_KEY_P256_POINT_LEN];

	if (!mesh_json_check_members(jwk, members, error))
		return NULL;
	if (!jwk_alg(jwk, &alg, error))
		return NULL;
	pub_len = alg == MESH_KEY_P256 ? MESH_KEY_P256_POINT_LEN : MESH_KEY_RAW_LEN;
	if (!mesh_json_get_string_opt(jwk, "kid", &ignored, error) ||
	    !mesh_json_get_string_opt(jwk, "alg", &ignored, error) ||
	    !mesh_json_get_string_opt(jwk, "use", &ignored, error) ||
	    (json_object_has_member(jwk, "key_ops") &&
	     !mesh_json_get_array(jwk, "key_ops", &key_ops, error)))
		return NULL;
	if (alg == MESH_KEY_P256) {
		pub[0] = POINT_CONVERSION_UNCOMPRESSED;
		if (!jwk_get_32(jwk, "x", pub + 1, error) || !jwk_get_32(jwk, "y", pub + 33, error))
			return NULL;
	} else {
		if (json_object_has_member(jwk, "y")) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			            "an OKP JWK has no member \"y\"");
			return NULL;
		}
		if (!jwk_get_32(jwk, "x", pub, error))
			return NULL;
	}
	if (!json_object_has_member(jwk, "d"))
		return mesh_key_from_raw_public(alg, pub, pub_len, error);

	d = mesh_secret_new(MESH_KEY_RAW_LEN);
	if (!jwk_get_32(jwk, "d", mesh_secret_data(d), error))
		return NULL;
	key = mesh_key_from_raw_private(alg, d, error);
	if (key == NULL)
		return NULL;
	/* The public key is derived from d; the one given must be the same. */
	derived = mesh_key_get_raw_public(key);
	if (g_bytes_get_size(derived) != pub_len ||
	    memcmp(g_bytes_get_data(derived, NULL), pub, pub_len) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		            "the JWK private key \"d\" does not belong to its public key");
		return NULL;
	}
	return g_steal_pointer(&key);
}

/*
 * Overwrite the string value of @member in place. json-glib keeps its own heap copy of every
 * string; this wipes the copy of a private key before the parsed tree is freed.
 */
static void
wipe_string_member(JsonObject *obj, const char *member)
{
	JsonNode *node = json_object_get_member(obj, member);
	char *text;

	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING)
		return;
	text = (char *)json_node_get_string(node);
	if (text != NULL)
		OPENSSL_cleanse(text, strlen(text));
}

MeshKey *
mesh_key_from_jwk_text(const char *text, gsize len, GError **error)
{
	g_autoptr(JsonNode) root = NULL;
	MeshKey *key;

	if (len > MESH_KEY_JWK_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
		            "JWK text of %" G_GSIZE_FORMAT " bytes is larger than %d", len,
		            MESH_KEY_JWK_MAX);
		return NULL;
	}
	root = mesh_json_parse(text, len, MESH_KEY_JWK_MAX, error);
	if (root == NULL)
		return NULL;
	if (!JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "a JWK must be a JSON object");
		return NULL;
	}
	key = mesh_key_from_jwk(json_node_get_object(root), error);
	wipe_string_member(json_node_get_object(root), "d");
	return key;
}

JsonNode *
mesh_key_to_jwk(const MeshKey *key)
{
	JsonObject *obj = json_object_new();
	JsonNode *node = json_node_alloc();
	g_autofree char *x = NULL;
	g_autofree char *y = NULL;

	/* The order of mesh_key_to_jwk_private() (key.c), which writes the same members. */
	mesh_key_jwk_coordinates(key, &x, &y);
	json_object_set_string_member(obj, "kty", mesh_key_alg_jwk_kty(mesh_key_alg(key)));
	json_object_set_string_member(obj, "crv", mesh_key_alg_name(mesh_key_alg(key)));
	json_object_set_string_member(obj, "x", x);
	if (y != NULL)
		json_object_set_string_member(obj, "y", y);
	json_object_set_string_member(obj, "kid", mesh_key_udf(key));
	json_node_init_object(node, obj);
	json_object_unref(obj);
	return node;
}

JsonNode *
mesh_key_to_public_object(const MeshKey *key)
{
	JsonObject *obj = json_object_new();
	JsonNode *node = json_node_alloc();

	json_object_set_string_member(obj, "UDF", mesh_key_udf(key));
	json_object_set_member(obj, "PublicParameters", mesh_key_to_jwk(key));
	json_node_init_object(node, obj);
	json_object_unref(obj);
	return node;
}

MeshKey *
mesh_key_from_public_object(JsonObject *obj, GError **error)
{
	static const char *const members[] = {"UDF", "PublicParameters", NULL};
	const char *udf = NULL;
	const char *kid = NULL;
	JsonObject *jwk = NULL;
	g_autoptr(MeshKey) key = NULL;

	if (!mesh_json_check_members(obj, members, error) ||
	    !mesh_json_get_string(obj, "UDF", &udf, error) ||
	    !mesh_json_get_object(obj, "PublicParameters", &jwk, error))
		return NULL;
	if (json_object_has_member(jwk, "d")) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		            "a public key object must not carry a private key");
		return NULL;
	}
	key = mesh_key_from_jwk(jwk, error);
	if (key == NULL || !mesh_json_get_string_opt(jwk, "kid", &kid, error))
		return NULL;
	if (!mesh_key_udf_matches(key, udf) || (kid != NULL && !mesh_key_udf_matches(key, kid))) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		            "the public key object's UDF is not the fingerprint of its key (%s)",
		            mesh_key_udf(key));
		return NULL;
	}
	return g_steal_pointer(&key);
}
