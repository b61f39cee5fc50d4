/* SPDX-License-Identifier: MIT */
#include "device-profile.h"

#include <string.h>

#include "error.h"
#include "json.h"
#include "jwk.h"
#include "signed.h"
#include "text.h"

#define DEVICE_TAG "DeviceProfile"

/* A description is shown to the administrator beside the device's witness: a display string of
 * at most MESH_TEXT_DESCRIPTION_MAX characters. */
static gboolean
check_description(const char *description, GError **error)
{
	return mesh_text_check_display("description", description, MESH_PROFILE_TEXT_MAX,
				       MESH_TEXT_DESCRIPTION_MAX, error);
}

static MeshKey *
read_key(JsonObject *obj, const char *member, gboolean agreement, GError **error)
{
	return mesh_signed_read_key(json_object_get_member(obj, member), member, agreement, error);
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

	if (!check_description(description, error) ||
	    !mesh_signed_check_key("DeviceSignatureKey", signature_key, FALSE, error) ||
	    !mesh_signed_check_key("DeviceAuthenticationKey", authentication_key, FALSE, error) ||
	    !mesh_signed_check_key("DeviceEncryptionKey", encryption_key, TRUE, error))
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
	return mesh_signed_tag(DEVICE_TAG, obj);
}

MeshDeviceProfile *
mesh_device_profile_from_json(JsonNode *node, GError **error)
{
	static const char *const members[] = { "Identifier", "Description", "Names",
					       "DeviceSignatureKey", "DeviceAuthenticationKey",
					       "DeviceEncryptionKey", "Created", NULL };
	g_autoptr(MeshDeviceProfile) profile = g_new0(MeshDeviceProfile, 1);
	JsonObject *obj = mesh_signed_untag(node, DEVICE_TAG, error);
	const char *identifier = NULL, *description = NULL, *created = NULL;
	JsonArray *names = NULL;

	if (obj == NULL || !mesh_json_check_members(obj, members, error) ||
	    !mesh_json_get_string(obj, "Identifier", &identifier, error) ||
	    !mesh_json_get_string_opt(obj, "Description", &description, error) ||
	    !mesh_json_get_time(obj, "Created", &created, error))
		return NULL;
	if (!check_description(description, error)) {
		mesh_signed_recode(error, MESH_ERROR_MALFORMED);
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
			    !mesh_signed_check_text("name", json_node_get_string(n),
						    MESH_PROFILE_TEXT_MAX, NULL)) {
				g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
					    "Names must be printable strings of at most %d bytes",
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

	return mesh_signed_wrap(payload, DEVICE_TAG, profile->identifier, profile->signature_key,
				sign, user_data, MESH_PROFILE_MAX, error);
}

MeshDeviceProfile *
mesh_device_profile_verify(JsonNode *node, GError **error)
{
	g_autoptr(MeshSignedObject) object = mesh_signed_open(node, DEVICE_TAG, MESH_PROFILE_MAX,
							      error);
	g_autoptr(MeshDeviceProfile) profile = NULL;

	if (object == NULL)
		return NULL;
	/* Self-signed: the payload names its key; the wrapper and the JWS must name the same one,
	 * and the signature must verify under it, before anything in it is used. */
	profile = mesh_device_profile_from_json(object->payload, error);
	if (profile == NULL)
		return NULL;
	if (!g_str_equal(object->identifier, profile->identifier) ||
	    g_strcmp0(mesh_jws_kid(object->jws), profile->identifier) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "the SignedDeviceProfile is not signed by its own signature key");
		return NULL;
	}
	if (!mesh_signed_verify(object, profile->signature_key, error))
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
