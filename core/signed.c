/* SPDX-License-Identifier: MIT */
#include "signed.h"

#include <string.h>

#include "error.h"
#include "json.h"
#include "jwk.h"
#include "text.h"
#include "udf.h"

gboolean
mesh_signed_sign_with_key(gpointer user_data, const guint8 *input, gsize len,
			  GBytes **ret_signature, GError **error)
{
	GBytes *signature = mesh_key_sign(user_data, input, len, error);

	if (signature == NULL)
		return FALSE;
	*ret_signature = signature;
	return TRUE;
}

JsonNode *
mesh_signed_tag(const char *tag, JsonObject *inner)
{
	JsonObject *outer = json_object_new();
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);

	json_object_set_object_member(outer, tag, inner);
	json_node_take_object(node, outer);
	return node;
}

JsonObject *
mesh_signed_untag(JsonNode *node, const char *tag, GError **error)
{
	const char *const only[] = { tag, NULL };
	JsonObject *inner = NULL;

	if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "expected a %s object", tag);
		return NULL;
	}
	if (!mesh_json_check_members(json_node_get_object(node), only, error) ||
	    !mesh_json_get_object(json_node_get_object(node), tag, &inner, error)) {
		g_prefix_error(error, "expected a %s: ", tag);
		return NULL;
	}
	return inner;
}

JsonNode *
mesh_signed_jws(JsonNode *payload, const char *tag, const MeshKey *key, MeshJwsSignFunc sign,
		gpointer user_data, gsize max_len, GError **error)
{
	g_autofree char *text = mesh_json_to_string(payload);
	gsize len = strlen(text);
	g_autoptr(JsonNode) jws = NULL;
	g_autoptr(MeshJws) parsed = NULL;
	g_autoptr(GBytes) verified = NULL;

	if (len > max_len) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "the %s is %" G_GSIZE_FORMAT " bytes long, above the limit of "
			    "%" G_GSIZE_FORMAT,
			    tag, len, max_len);
		return NULL;
	}
	jws = mesh_jws_sign_with(key, sign, user_data, tag, (const guint8 *)text, len, error);
	if (jws == NULL)
		return NULL;
	/* A key store that signs with another key than the one named would publish an object
	 * nobody can verify: check before handing it out. */
	parsed = mesh_jws_from_json(jws, NULL);
	verified = parsed != NULL ? mesh_jws_verify(parsed, key, NULL) : NULL;
	if (verified == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO,
			    "the signature made for %s does not verify under that key",
			    mesh_key_udf(key));
		return NULL;
	}
	return g_steal_pointer(&jws);
}

JsonNode *
mesh_signed_wrap(JsonNode *payload, const char *tag, const char *identifier, const MeshKey *key,
		 MeshJwsSignFunc sign, gpointer user_data, gsize max_len, GError **error)
{
	g_autofree char *signed_tag = g_strconcat("Signed", tag, NULL);
	JsonNode *jws = mesh_signed_jws(payload, tag, key, sign, user_data, max_len, error);
	g_autoptr(JsonNode) node = NULL;
	g_autofree char *text = NULL;
	JsonObject *wrapper;

	if (jws == NULL)
		return NULL;
	wrapper = json_object_new();
	json_object_set_string_member(wrapper, "Identifier", identifier);
	json_object_set_member(wrapper, "SignedData", jws);
	node = mesh_signed_tag(signed_tag, wrapper);
	/* Readers bound the whole signed text, which base64url makes a third larger. */
	text = mesh_json_to_string(node);
	if (strlen(text) > max_len) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "the %s would be %" G_GSIZE_FORMAT " bytes long, above the limit of "
			    "%" G_GSIZE_FORMAT,
			    signed_tag, strlen(text), max_len);
		return NULL;
	}
	return g_steal_pointer(&node);
}

void
mesh_signed_object_free(MeshSignedObject *object)
{
	if (object == NULL)
		return;
	g_free(object->identifier);
	mesh_jws_free(object->jws);
	if (object->payload != NULL)
		json_node_unref(object->payload);
	g_free(object);
}

MeshSignedObject *
mesh_signed_open_jws(JsonNode *node, const char *tag, gsize max_len, GError **error)
{
	g_autoptr(MeshSignedObject) object = g_new0(MeshSignedObject, 1);
	g_autoptr(GBytes) payload = NULL;
	const char *data;
	gsize len = 0;

	object->jws = mesh_jws_from_json(node, error);
	if (object->jws == NULL)
		return NULL;
	if (g_strcmp0(mesh_jws_cty(object->jws), tag) != 0 || mesh_jws_kid(object->jws) == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "the JWS is not a signed %s (its \"cty\" must be \"%s\" and it needs a "
			    "\"kid\")",
			    tag, tag);
		return NULL;
	}
	payload = mesh_jws_peek_payload(object->jws);
	data = g_bytes_get_data(payload, &len);
	object->payload = mesh_json_parse(data != NULL ? data : "", len, max_len, error);
	if (object->payload == NULL) {
		g_prefix_error(error, "the signed %s: ", tag);
		return NULL;
	}
	return g_steal_pointer(&object);
}

MeshSignedObject *
mesh_signed_open(JsonNode *node, const char *tag, gsize max_len, GError **error)
{
	static const char *const members[] = { "Identifier", "SignedData", NULL };
	g_autofree char *signed_tag = g_strconcat("Signed", tag, NULL);
	JsonObject *wrapper = mesh_signed_untag(node, signed_tag, error);
	MeshSignedObject *object;
	const char *identifier = NULL;

	if (wrapper == NULL || !mesh_json_check_members(wrapper, members, error) ||
	    !mesh_json_get_string(wrapper, "Identifier", &identifier, error))
		return NULL;
	if (json_object_get_member(wrapper, "SignedData") == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "missing member \"SignedData\"");
		return NULL;
	}
	object = mesh_signed_open_jws(json_object_get_member(wrapper, "SignedData"), tag, max_len,
				      error);
	if (object == NULL) {
		g_prefix_error(error, "SignedData: ");
		return NULL;
	}
	object->identifier = g_strdup(identifier);
	return object;
}

gboolean
mesh_signed_verify(const MeshSignedObject *object, const MeshKey *key, GError **error)
{
	g_autoptr(GBytes) verified = NULL;

	if (g_strcmp0(mesh_jws_kid(object->jws), mesh_key_udf(key)) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_BAD_SIGNATURE,
			    "the signature is not by the expected key %s", mesh_key_udf(key));
		return FALSE;
	}
	verified = mesh_jws_verify(object->jws, key, error);
	return verified != NULL;
}

gboolean
mesh_signed_check_key(const char *member, const MeshKey *key, gboolean agreement, GError **error)
{
	MeshKeyAlg alg = mesh_key_alg(key);
	gboolean ok = agreement ? (alg == MESH_KEY_X25519 || alg == MESH_KEY_P256) :
				  (alg == MESH_KEY_ED25519 || alg == MESH_KEY_P256);

	if (!ok)
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "%s cannot be an %s key: use %s", member, mesh_key_alg_name(alg),
			    agreement ? "X25519 or P-256" : "Ed25519 or P-256");
	return ok;
}

gboolean
mesh_signed_recode(GError **error, MeshError code)
{
	if (error != NULL && *error != NULL)
		(*error)->code = code;
	return FALSE;
}

MeshKey *
mesh_signed_read_key(JsonNode *node, const char *member, gboolean agreement, GError **error)
{
	g_autoptr(MeshKey) key = NULL;

	if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "%s must be a key object",
			    member);
		return NULL;
	}
	key = mesh_key_from_public_object(json_node_get_object(node), error);
	if (key == NULL) {
		g_prefix_error(error, "%s: ", member);
		return NULL;
	}
	if (mesh_key_is_private(key)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "%s holds a private key: profiles carry public keys only", member);
		return NULL;
	}
	if (!mesh_signed_check_key(member, key, agreement, error)) {
		mesh_signed_recode(error, MESH_ERROR_MALFORMED);
		return NULL;
	}
	return g_steal_pointer(&key);
}

gboolean
mesh_signed_get_serial(JsonObject *obj, const char *member, gint64 *ret_serial, GError **error)
{
	gint64 serial = 0;

	if (!mesh_json_get_int(obj, member, &serial, error))
		return FALSE;
	if (serial < 1 || serial > MESH_SERIAL_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "member \"%s\" must be an integer from 1 to 2^53 - 1", member);
		return FALSE;
	}
	*ret_serial = serial;
	return TRUE;
}

gboolean
mesh_signed_next_serial(gint64 *serial, GError **error)
{
	if (*serial >= MESH_SERIAL_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the serial cannot grow any further");
		return FALSE;
	}
	(*serial)++;
	return TRUE;
}

gboolean
mesh_signed_check_udf(const char *what, const char *text, int type, GError **error)
{
	g_autoptr(GBytes) binary = NULL;
	guint8 udf_type = 0;
	guint bits = 0;

	gboolean digest = type == MESH_UDF_TYPE_SHA2_512 || type == MESH_UDF_TYPE_SHA3_512;

	/* Content digests carry their compression level (0..4) in the type byte. */
	if (text == NULL || !mesh_udf_parse(text, &udf_type, &binary, &bits, NULL) ||
	    (type >= 0 && !digest && udf_type != (guint8)type) ||
	    (digest && (udf_type < type || udf_type > type + 4))) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "%s must be a UDF%s", what,
			    type == MESH_UDF_TYPE_NONCE ? " of a nonce (N...)" : "");
		return FALSE;
	}
	return TRUE;
}

gboolean
mesh_signed_get_udf(JsonObject *obj, const char *member, int type, const char **ret,
		    GError **error)
{
	const char *text = NULL;

	if (!mesh_json_get_string(obj, member, &text, error) ||
	    !mesh_signed_check_udf(member, text, type, error))
		return FALSE;
	*ret = text;
	return TRUE;
}

gboolean
mesh_signed_check_text(const char *what, const char *text, gsize max, GError **error)
{
	return mesh_text_check_display(what, text, max, max, error);
}
