/* SPDX-License-Identifier: MIT */
#include "sshkey.h"

#include <string.h>

#include "application.h"
#include "base64.h"
#include "error.h"
#include "json.h"
#include "personal.h"
#include "signed.h"
#include "udf.h"

/* The largest blob: ecdsa-sha2-nistp256 (4 + 19 + 4 + 8 + 4 + 65 = 104 bytes). */
#define BLOB_MAX 128

typedef struct {
	MeshKeyAlg alg;
	const char *name;  /* SSH key type */
	const char *curve; /* ECDSA curve identifier, NULL for Ed25519 */
	gsize raw_len;
} SshType;

static const SshType ssh_types[] = {
        {MESH_KEY_ED25519, "ssh-ed25519", NULL, MESH_KEY_RAW_LEN},
        {MESH_KEY_P256, "ecdsa-sha2-nistp256", "nistp256", MESH_KEY_P256_POINT_LEN},
};

/* ---- OpenSSH public key lines -------------------------------------------------------------- */

static void
put_string(guint8 *blob, gsize *len, const void *data, gsize n)
{
	blob[(*len)++] = (guint8)(n >> 24);
	blob[(*len)++] = (guint8)(n >> 16);
	blob[(*len)++] = (guint8)(n >> 8);
	blob[(*len)++] = (guint8)n;
	memcpy(blob + *len, data, n);
	*len += n;
}

/* The blob of @type up to its key bytes (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709 §4); returns
 * its length. */
static gsize
blob_header(const SshType *type, guint8 blob[static BLOB_MAX])
{
	gsize len = 0;

	put_string(blob, &len, type->name, strlen(type->name));
	if (type->curve != NULL)
		put_string(blob, &len, type->curve, strlen(type->curve));
	/* The key string's length only: its bytes follow. */
	blob[len++] = 0;
	blob[len++] = 0;
	blob[len++] = 0;
	blob[len++] = (guint8)type->raw_len;
	return len;
}

static gboolean
printable(const char *s, gsize len)
{
	for (gsize i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e)
			return FALSE;
	}
	return TRUE;
}

char *
mesh_ssh_public_line(const MeshKey *key, const char *comment, GError **error)
{
	const SshType *type = NULL;
	g_autoptr(GBytes) raw = NULL;
	guint8 blob[BLOB_MAX];
	gsize len, n;
	g_autofree char *b64 = NULL;
	char *line;

	for (gsize i = 0; i < G_N_ELEMENTS(ssh_types); i++) {
		if (ssh_types[i].alg == mesh_key_alg(key))
			type = &ssh_types[i];
	}
	if (type == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
		            "an SSH key is Ed25519 or P-256");
		return NULL;
	}
	if (comment != NULL && !printable(comment, strlen(comment))) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "an SSH key comment here is printable ASCII");
		return NULL;
	}
	raw = mesh_key_get_raw_public(key);
	len = blob_header(type, blob);
	if (raw == NULL || g_bytes_get_size(raw) != type->raw_len) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO,
		            "the key's public part is missing");
		return NULL;
	}
	memcpy(blob + len, g_bytes_get_data(raw, NULL), type->raw_len);
	len += type->raw_len;
	n = mesh_b64_encoded_len(len, 0);
	b64 = g_malloc(n + 1);
	mesh_b64_encode_wrapped(blob, len, 0, b64);
	b64[n] = '\0';
	if (comment == NULL || *comment == '\0')
		line = g_strconcat(type->name, " ", b64, NULL);
	else
		line = g_strconcat(type->name, " ", b64, " ", comment, NULL);
	if (strlen(line) > MESH_APPLICATION_SSH_KEY_MAX) {
		g_free(line);
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "an SSH public key line is at most %d bytes: shorten the comment",
		            MESH_APPLICATION_SSH_KEY_MAX);
		return NULL;
	}
	return line;
}

MeshKey *
mesh_ssh_public_line_decode(const char *line, GError **error)
{
	gsize len = line != NULL ? strnlen(line, MESH_APPLICATION_SSH_KEY_MAX + 1) : 0;
	const char *sp, *b64, *rest;
	const SshType *type = NULL;
	guint8 blob[BLOB_MAX], header[BLOB_MAX];
	gsize n = 0, header_len;

	if (len > MESH_APPLICATION_SSH_KEY_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
		            "an SSH public key line is at most %d bytes",
		            MESH_APPLICATION_SSH_KEY_MAX);
		return NULL;
	}
	if (len == 0 || !printable(line, len) || (sp = strchr(line, ' ')) == NULL)
		goto bad;
	for (gsize i = 0; i < G_N_ELEMENTS(ssh_types); i++) {
		if ((gsize)(sp - line) == strlen(ssh_types[i].name) &&
		    strncmp(line, ssh_types[i].name, (gsize)(sp - line)) == 0)
			type = &ssh_types[i];
	}
	if (type == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
		            "an SSH key here is ssh-ed25519 or ecdsa-sha2-nistp256");
		return NULL;
	}
	b64 = sp + 1;
	rest = strchr(b64, ' ');
	if (rest == NULL)
		rest = line + len;
	if (!mesh_b64_decode_lines(b64, (gsize)(rest - b64), FALSE, blob, sizeof blob, &n,
	                           "SSH public key", error))
		return NULL;
	header_len = blob_header(type, header);
	if (n != header_len + type->raw_len || memcmp(blob, header, header_len) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		            "the SSH public key blob is not a %s key", type->name);
		return NULL;
	}
	return mesh_key_from_raw_public(type->alg, blob + header_len, type->raw_len, error);
bad:
	g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
	            "an SSH public key line is '<type> <base64> [comment]', printable ASCII");
	return NULL;
}

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
