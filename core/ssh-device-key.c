/* SPDX-License-Identifier: MIT */
#include "ssh-device-key.h"

#include <string.h>

#include "application.h"
#include "error.h"
#include "json.h"
#include "personal.h"
#include "signed.h"
#include "udf.h"

/* ---- SSHDeviceKey ------------------------------------------------------------------------- */

void
mesh_ssh_device_key_free(MeshSshDeviceKey *key)
{
	if (key == NULL)
		return;
	g_free(key->account);
	g_free(key->profile);
	g_free(key->device_udf);
	g_free(key->public_key);
	g_free(key->updated);
	g_free(key);
}

char *
mesh_ssh_device_key_identifier(const char *profile, const char *device_udf, GError **error)
{
	g_autofree char *data = NULL;

	if (!mesh_signed_check_udf("Profile", profile, -1, error) ||
	    !mesh_signed_check_udf("DeviceUDF", device_udf, -1, error))
		return NULL;
	data = g_strconcat(profile, "\n", device_udf, NULL);
	return mesh_udf_content_digest(MESH_UDF_ALG_SHA512, MESH_SSH_DEVICE_KEY_CT,
	                               (const guint8 *)data, strlen(data), MESH_UDF_BITS_DEFAULT,
	                               error);
}

/* Check the members of @key; MESH_ERROR_MALFORMED naming what is wrong. */
static gboolean
check_fields(const MeshSshDeviceKey *key, GError **error)
{
	g_autoptr(MeshKey) parsed = NULL;

	if (!mesh_personal_check_account(key->account, error) ||
	    !mesh_signed_check_udf("Profile", key->profile, -1, error) ||
	    !mesh_signed_check_udf("DeviceUDF", key->device_udf, -1, error))
		return mesh_signed_recode(error, MESH_ERROR_MALFORMED);
	parsed = mesh_ssh_public_line_decode(key->public_key, error);
	if (parsed == NULL) {
		g_prefix_error(error, "PublicKey: ");
		return FALSE;
	}
	if (key->serial < 1 || key->serial > MESH_SERIAL_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "Serial is out of range");
		return FALSE;
	}
	return TRUE;
}

MeshSshDeviceKey *
mesh_ssh_device_key_new(const char *account, const char *profile, const char *device_udf,
                        const char *public_key, gint64 serial, GError **error)
{
	g_autoptr(MeshSshDeviceKey) key = g_new0(MeshSshDeviceKey, 1);

	key->account = g_strdup(account);
	key->profile = g_strdup(profile);
	key->device_udf = g_strdup(device_udf);
	key->public_key = g_strdup(public_key);
	key->serial = serial;
	key->updated = mesh_json_time_now();
	if (account == NULL || profile == NULL || device_udf == NULL || public_key == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "an SSH device key needs an account, a profile, a device and a key");
		return NULL;
	}
	if (!check_fields(key, error)) {
		mesh_signed_recode(error, MESH_ERROR_INVALID_ARGUMENT);
		return NULL;
	}
	return g_steal_pointer(&key);
}

static JsonNode *
to_json(const MeshSshDeviceKey *key)
{
	JsonObject *obj = json_object_new();

	json_object_set_string_member(obj, "Account", key->account);
	json_object_set_string_member(obj, "Profile", key->profile);
	json_object_set_string_member(obj, "DeviceUDF", key->device_udf);
	json_object_set_string_member(obj, "PublicKey", key->public_key);
	json_object_set_int_member(obj, "Serial", key->serial);
	json_object_set_string_member(obj, "Updated", key->updated);
	return mesh_signed_tag(MESH_SSH_DEVICE_KEY_TAG, obj);
}

static MeshSshDeviceKey *
from_json(JsonNode *node, GError **error)
{
	static const char *const members[] = {"Account", "Profile", "DeviceUDF", "PublicKey",
	                                      "Serial",  "Updated", NULL};
	JsonObject *obj = mesh_signed_untag(node, MESH_SSH_DEVICE_KEY_TAG, error);
	g_autoptr(MeshSshDeviceKey) key = g_new0(MeshSshDeviceKey, 1);
	const char *account = NULL, *profile = NULL, *device = NULL, *line = NULL, *updated = NULL;

	if (obj == NULL || !mesh_json_check_members(obj, members, error) ||
	    !mesh_json_get_string(obj, "Account", &account, error) ||
	    !mesh_json_get_string(obj, "Profile", &profile, error) ||
	    !mesh_json_get_string(obj, "DeviceUDF", &device, error) ||
	    !mesh_json_get_string(obj, "PublicKey", &line, error) ||
	    !mesh_signed_get_serial(obj, "Serial", &key->serial, error) ||
	    !mesh_json_get_time(obj, "Updated", &updated, error))
		return NULL;
	key->account = g_strdup(account);
	key->profile = g_strdup(profile);
	key->device_udf = g_strdup(device);
	key->public_key = g_strdup(line);
	key->updated = g_strdup(updated);
	if (!check_fields(key, error))
		return NULL;
	return g_steal_pointer(&key);
}

JsonNode *
mesh_ssh_device_key_sign(const MeshSshDeviceKey *key, const MeshKey *device_key,
                         MeshJwsSignFunc sign, gpointer user_data, GError **error)
{
	g_autoptr(JsonNode) payload = NULL;
	g_autofree char *identifier = NULL;

	if (g_strcmp0(mesh_key_udf(device_key), key->device_udf) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "an SSH device key is signed by its device's signature key");
		return NULL;
	}
	identifier = mesh_ssh_device_key_identifier(key->profile, key->device_udf, error);
	if (identifier == NULL)
		return NULL;
	payload = to_json(key);
	return mesh_signed_wrap(payload, MESH_SSH_DEVICE_KEY_TAG, identifier, device_key, sign,
	                        user_data, MESH_SSH_DEVICE_KEY_MAX, error);
}

/* Open the wrapper and read the payload; the Identifier is checked, the signature is not. */
static MeshSshDeviceKey *
open_signed(JsonNode *node, MeshSignedObject **ret_object, GError **error)
{
	g_autoptr(MeshSignedObject) object =
	        mesh_signed_open(node, MESH_SSH_DEVICE_KEY_TAG, MESH_SSH_DEVICE_KEY_MAX, error);
	g_autoptr(MeshSshDeviceKey) key = NULL;
	g_autofree char *identifier = NULL;

	if (object == NULL)
		return NULL;
	key = from_json(object->payload, error);
	if (key == NULL)
		return NULL;
	identifier = mesh_ssh_device_key_identifier(key->profile, key->device_udf, error);
	if (identifier == NULL || !g_str_equal(identifier, object->identifier)) {
		g_clear_error(error);
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		            "the wrapper's Identifier is not the one of the key's profile and "
		            "device");
		return NULL;
	}
	*ret_object = g_steal_pointer(&object);
	return g_steal_pointer(&key);
}

MeshSshDeviceKey *
mesh_ssh_device_key_open(JsonNode *node, char **ret_kid, GError **error)
{
	g_autoptr(MeshSignedObject) object = NULL;
	MeshSshDeviceKey *key = open_signed(node, &object, error);

	if (key != NULL && ret_kid != NULL)
		*ret_kid = g_strdup(mesh_jws_kid(object->jws));
	return key;
}

MeshSshDeviceKey *
mesh_ssh_device_key_verify(JsonNode *node, const MeshKey *device_key, GError **error)
{
	g_autoptr(MeshSignedObject) object = NULL;
	g_autoptr(MeshSshDeviceKey) key = open_signed(node, &object, error);

	if (key == NULL || !mesh_signed_verify(object, device_key, error))
		return NULL;
	if (g_strcmp0(mesh_key_udf(device_key), key->device_udf) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNAUTHORIZED,
		            "the SSH key of the device %s is signed by another device",
		            key->device_udf);
		return NULL;
	}
	return g_steal_pointer(&key);
}

MeshSshDeviceKey *
mesh_ssh_device_key_parse(const char *text, gsize len, const MeshKey *device_key, GError **error)
{
	g_autoptr(JsonNode) root = mesh_json_parse(text, len, MESH_SSH_DEVICE_KEY_MAX, error);

	if (root == NULL)
		return NULL;
	return mesh_ssh_device_key_verify(root, device_key, error);
}
