/* SPDX-License-Identifier: MIT */
#include "profile.h"

#include <string.h>

#include "error.h"
#include "json.h"

#define DEVICE_TAG "DeviceProfile"
#define SIGNED_DEVICE_TAG "SignedDeviceProfile"

/* {tag: inner} */
static JsonNode *
tag_node(const char *tag, JsonObject *inner)
{
	JsonObject *outer = json_object_new();
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);

	json_object_set_object_member(outer, tag, inner);
	json_node_take_object(node, outer);
	return node;
}

/* The inner object of {tag: {...}}; anything else is MESH_ERROR_MALFORMED. */
static JsonObject *
untag(JsonNode *node, const char *tag, GError **error)
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

static gboolean
check_text(const char *what, const char *text, GError **error)
{
	if (text == NULL)
		return TRUE;
	if (strlen(text) > MESH_PROFILE_TEXT_MAX || !g_utf8_validate(text, -1, NULL)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the %s must be UTF-8 text of at most %d bytes", what,
			    MESH_PROFILE_TEXT_MAX);
		return FALSE;
	}
	return TRUE;
}

/* Which algorithms each device key may have (PROTOCOL.md §3). */
static gboolean
check_key(const char *member, const MeshKey *key, gboolean agreement, GError **error)
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

void
mesh_device_profile_free(MeshDeviceProfile *profile)
{
	if (profile == NULL)
		return;
	g_free(profile->identifier);
	g_free(profile->description);
	if (profile->names != NULL)
		g_ptr_array_unref(profile->names);
	mesh_key_unref(profile->signature_key);
	mesh_key_unref(profile->authentication_key);
	mesh_key_unref(profile->encryption_key);
	g_free(profile->created);
	g_free(profile);
}

MeshDeviceProfile *
mesh_device_profile_new(const char *description, const MeshKey *signature_key,
			const MeshKey *authentication_key, const MeshKey *encryption_key,
			GError **error)
{
	g_autoptr(MeshDeviceProfile) profile = g_new0(MeshDeviceProfile, 1);

	if (!check_text("description", description, error) ||
	    !check_key("DeviceSignatureKey", signature_key, FALSE, error) ||
	    !check_key("DeviceAuthenticationKey", authentication_key, FALSE, error) ||
	    !check_key("DeviceEncryptionKey", encryption_key, TRUE, error))
		return NULL;
	profile->signature_key = mesh_key_get_public(signature_key, error);
	profile->authentication_key = mesh_key_get_public(authentication_key, error);
	profile->encryption_key = mesh_key_get_public(encryption_key, error);
	if (profile->signature_key == NULL || profile->authentication_key == NULL ||
	    profile->encryption_key == NULL)
		return NULL;
	profile->identifier = g_strdup(mesh_key_udf(signature_key));
	profile->description = g_strdup(description);
	profile->names = g_ptr_array_new_with_free_func(g_free);
	profile->created = mesh_json_time_now();
	return g_steal_pointer(&profile);
}

JsonNode *
mesh_device_profile_to_json(const MeshDeviceProfile *profile)
{
	JsonObject *obj = json_object_new();
	JsonArray *names = json_array_new();

	json_object_set_string_member(obj, "Identifier", profile->identifier);
	if (profile->description != NULL)
		json_object_set_string_member(obj, "Description", profile->description);
	for (guint i = 0; i < profile->names->len; i++)
		json_array_add_string_element(names, profile->names->pdata[i]);
	json_object_set_array_member(obj, "Names", names);
	json_object_set_member(obj, "DeviceSignatureKey",
			       mesh_key_to_public_object(profile->signature_key));
	json_object_set_member(obj, "DeviceAuthenticationKey",
			       mesh_key_to_public_object(profile->authentication_key));
	json_object_set_member(obj, "DeviceEncryptionKey",
			       mesh_key_to_public_object(profile->encryption_key));
	json_object_set_string_member(obj, "Created", profile->created);
	return tag_node(DEVICE_TAG, obj);
}

static MeshKey *
read_key(JsonObject *obj, const char *member, gboolean agreement, GError **error)
{
	JsonObject *key_obj = NULL;
	g_autoptr(MeshKey) key = NULL;

	if (!mesh_json_get_object(obj, member, &key_obj, error))
		return NULL;
	key = mesh_key_from_public_object(key_obj, error);
	if (key == NULL) {
		g_prefix_error(error, "%s: ", member);
		return NULL;
	}
	if (mesh_key_is_private(key)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "%s holds a private key: profiles carry public keys only", member);
		return NULL;
	}
	if (!check_key(member, key, agreement, error)) {
		(*error)->code = MESH_ERROR_MALFORMED;
		return NULL;
	}
	return g_steal_pointer(&key);
}

MeshDeviceProfile *
mesh_device_profile_from_json(JsonNode *node, GError **error)
{
	static const char *const members[] = { "Identifier", "Description", "Names",
					       "DeviceSignatureKey", "DeviceAuthenticationKey",
					       "DeviceEncryptionKey", "Created", NULL };
	g_autoptr(MeshDeviceProfile) profile = g_new0(MeshDeviceProfile, 1);
	JsonObject *obj = untag(node, DEVICE_TAG, error);
	const char *identifier = NULL, *description = NULL, *created = NULL;
	JsonArray *names = NULL;

	if (obj == NULL || !mesh_json_check_members(obj, members, error) ||
	    !mesh_json_get_string(obj, "Identifier", &identifier, error) ||
	    !mesh_json_get_string_opt(obj, "Description", &description, error) ||
	    !mesh_json_get_time(obj, "Created", &created, error))
		return NULL;
	if (!check_text("description", description, error)) {
		(*error)->code = MESH_ERROR_MALFORMED;
		return NULL;
	}
	profile->names = g_ptr_array_new_with_free_func(g_free);
	if (json_object_has_member(obj, "Names")) {
		if (!mesh_json_get_array(obj, "Names", &names, error))
			return NULL;
		if (json_array_get_length(names) > MESH_PROFILE_NAMES_MAX) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
				    "a device has at most %d names", MESH_PROFILE_NAMES_MAX);
			return NULL;
		}
		for (guint i = 0; i < json_array_get_length(names); i++) {
			JsonNode *n = json_array_get_element(names, i);

			if (!JSON_NODE_HOLDS_VALUE(n) ||
			    json_node_get_value_type(n) != G_TYPE_STRING ||
			    !check_text("name", json_node_get_string(n), NULL)) {
				g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
					    "Names must be strings of at most %d bytes",
					    MESH_PROFILE_TEXT_MAX);
				return NULL;
			}
			g_ptr_array_add(profile->names, g_strdup(json_node_get_string(n)));
		}
	}
	profile->signature_key = read_key(obj, "DeviceSignatureKey", FALSE, error);
	if (profile->signature_key == NULL)
		return NULL;
	profile->authentication_key = read_key(obj, "DeviceAuthenticationKey", FALSE, error);
	if (profile->authentication_key == NULL)
		return NULL;
	profile->encryption_key = read_key(obj, "DeviceEncryptionKey", TRUE, error);
	if (profile->encryption_key == NULL)
		return NULL;
	if (g_strcmp0(identifier, mesh_key_udf(profile->signature_key)) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "the profile's Identifier is not the UDF of its signature key");
		return NULL;
	}
	profile->identifier = g_strdup(identifier);
	profile->description = g_strdup(description);
	profile->created = g_strdup(created);
	return g_steal_pointer(&profile);
}

JsonNode *
mesh_device_profile_sign(const MeshDeviceProfile *profile, MeshJwsSignFunc sign,
			 gpointer user_data, GError **error)
{
	g_autoptr(JsonNode) payload = mesh_device_profile_to_json(profile);
	g_autofree char *text = mesh_json_to_string(payload);
	g_autoptr(JsonNode) jws = NULL;
	JsonObject *wrapper;

	jws = mesh_jws_sign_with(profile->signature_key, sign, user_data, DEVICE_TAG,
				 (const guint8 *)text, strlen(text), error);
	if (jws == NULL)
		return NULL;
	wrapper = json_object_new();
	json_object_set_string_member(wrapper, "Identifier", profile->identifier);
	json_object_set_member(wrapper, "SignedData", g_steal_pointer(&jws));
	return tag_node(SIGNED_DEVICE_TAG, wrapper);
}

MeshDeviceProfile *
mesh_device_profile_verify(JsonNode *node, GError **error)
{
	static const char *const members[] = { "Identifier", "SignedData", NULL };
	JsonObject *wrapper = untag(node, SIGNED_DEVICE_TAG, error);
	g_autoptr(MeshDeviceProfile) profile = NULL;
	g_autoptr(MeshJws) jws = NULL;
	g_autoptr(GBytes) payload = NULL;
	g_autoptr(GBytes) verified = NULL;
	g_autoptr(JsonNode) inner = NULL;
	const char *identifier = NULL;
	gsize len = 0;
	const char *data;

	if (wrapper == NULL || !mesh_json_check_members(wrapper, members, error) ||
	    !mesh_json_get_string(wrapper, "Identifier", &identifier, error))
		return NULL;
	jws = mesh_jws_from_json(json_object_get_member(wrapper, "SignedData"), error);
	if (jws == NULL) {
		g_prefix_error(error, "SignedData: ");
		return NULL;
	}
	if (g_strcmp0(mesh_jws_cty(jws), DEVICE_TAG) != 0 ||
	    g_strcmp0(mesh_jws_kid(jws), identifier) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "SignedData is not a device profile signed by %s", identifier);
		return NULL;
	}
	/* The payload names its own signature key: read it, then check the signature with that
	 * key, and only then trust anything in it. */
	payload = mesh_jws_peek_payload(jws);
	data = g_bytes_get_data(payload, &len);
	inner = mesh_json_parse(data != NULL ? data : "", len, MESH_PROFILE_MAX, error);
	if (inner == NULL)
		return NULL;
	profile = mesh_device_profile_from_json(inner, error);
	if (profile == NULL)
		return NULL;
	if (g_strcmp0(profile->identifier, identifier) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "the wrapper's Identifier is not the profile's");
		return NULL;
	}
	verified = mesh_jws_verify(jws, profile->signature_key, error);
	if (verified == NULL)
		return NULL;
	return g_steal_pointer(&profile);
}

MeshDeviceProfile *
mesh_device_profile_parse(const char *text, gsize len, GError **error)
{
	g_autoptr(JsonNode) root = mesh_json_parse(text, len, MESH_PROFILE_MAX, error);

	if (root == NULL)
		return NULL;
	return mesh_device_profile_verify(root, error);
}
