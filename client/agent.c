/* SPDX-License-Identifier: MIT */
/*
 * libmeshclient: the agent's own methods in <mesh/client.h>: Hello and Status, this device, the
 * keys and their stores, the hive, Lock, Unlock and Shutdown.
 */
#include "client-private.h"

#include <string.h>

#include "base64.h"
#include "json.h"

/* Largest SubjectPublicKeyInfo taken from the agent (P-256: 91 bytes). */
#define SPKI_MAX 1024

void
mesh_client_hello_free(MeshClientHello *hello)
{
	if (hello == NULL)
		return;
	g_free(hello->hive);
	for (size_t i = 0; i < hello->n_methods; i++)
		g_free(hello->methods[i]);
	g_free(hello->methods);
	g_free(hello);
}

MeshError
mesh_client_hello(MeshClient *client, MeshClientHello **ret_hello)
{
	g_autoptr(JsonNode) result = NULL;
	MeshClientHello *hello;
	JsonObject *obj, *version;
	JsonArray *methods;
	gint64 major = 0, minor = 0;
	MeshError code;

	code = client_call(client, "Hello", NULL, 0, &result);
	if (code != MESH_ERROR_OK)
		return code;
	obj = json_node_get_object(result);
	hello = g_new0(MeshClientHello, 1);
	version = client_take_object(client, obj, "Version", &code);
	client_take_int(client, version, "Major", &major, &code);
	client_take_int(client, version, "Minor", &minor, &code);
	client_take_string(client, obj, "Hive", TRUE, &hello->hive, &code);
	methods = client_take_array(client, obj, "Methods", &code);
	if (code == MESH_ERROR_OK) {
		guint n = json_array_get_length(methods);

		hello->methods = g_new0(char *, n + 1);
		for (guint i = 0; i < n && code == MESH_ERROR_OK; i++) {
			JsonNode *node = json_array_get_element(methods, i);

			if (!JSON_NODE_HOLDS_VALUE(node) ||
			    json_node_get_value_type(node) != G_TYPE_STRING) {
				code = client_fail(client, MESH_ERROR_PROTOCOL,
					    "the agent's answer: a method name is not a string");
				break;
			}
			hello->methods[hello->n_methods++] = g_strdup(json_node_get_string(node));
		}
	}
	hello->major = (int)CLAMP(major, 0, G_MAXINT);
	hello->minor = (int)CLAMP(minor, 0, G_MAXINT);
	if (code != MESH_ERROR_OK) {
		mesh_client_hello_free(hello);
		return code;
	}
	*ret_hello = hello;
	return MESH_ERROR_OK;
}

void
mesh_client_status_free(MeshClientStatus *status)
{
	if (status == NULL)
		return;
	g_free(status->hive);
	g_free(status->location);
	g_free(status->socket);
	g_free(status->key_store);
	g_free(status->default_device);
	g_free(status);
}

MeshError
mesh_client_status(MeshClient *client, MeshClientStatus **ret_status)
{
	g_autoptr(JsonNode) result = NULL;
	MeshClientStatus *status;
	JsonObject *obj;
	MeshError code;

	code = client_call(client, "Status", NULL, 0, &result);
	if (code != MESH_ERROR_OK)
		return code;
	obj = json_node_get_object(result);
	status = g_new0(MeshClientStatus, 1);
	client_take_string(client, obj, "Hive", TRUE, &status->hive, &code);
	client_take_string(client, obj, "Location", TRUE, &status->location, &code);
	client_take_string(client, obj, "Socket", TRUE, &status->socket, &code);
	client_take_int(client, obj, "Pid", &status->pid, &code);
	client_take_bool(client, obj, "Locked", &status->locked, &code);
	client_take_string(client, obj, "KeyStore", TRUE, &status->key_store, &code);
	client_take_string(client, obj, "DefaultDevice", FALSE, &status->default_device, &code);
	client_take_int(client, obj, "Devices", &status->devices, &code);
	client_take_int(client, obj, "Keys", &status->keys, &code);
	if (code != MESH_ERROR_OK) {
		mesh_client_status_free(status);
		return code;
	}
	*ret_status = status;
	return MESH_ERROR_OK;
}

/* ---- Devices ---------------------------------------------------------------------------- */

static void
device_clear(MeshClientDevice *device)
{
	g_free(device->identifier);
	g_free(device->description);
	g_free(device->created);
	g_free(device->signature_key);
	g_free(device->authentication_key);
	g_free(device->encryption_key);
	g_free(device->signed_profile);
}

void
mesh_client_device_free(MeshClientDevice *device)
{
	if (device == NULL)
		return;
	device_clear(device);
	g_free(device);
}

void
mesh_client_devices_free(MeshClientDevice *devices, size_t n)
{
	if (devices == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		device_clear(&devices[i]);
	g_free(devices);
}

/* A DeviceGet result (also the answer to DeviceCreate). */
static MeshError
device_from_result(MeshClient *client, JsonNode *result, MeshClientDevice **ret_device)
{
	JsonObject *obj = json_node_get_object(result), *keys;
	MeshClientDevice *device = g_new0(MeshClientDevice, 1);
	MeshError code = MESH_ERROR_OK;
	JsonNode *signed_profile;

	client_take_string(client, obj, "Identifier", TRUE, &device->identifier, &code);
	client_take_string(client, obj, "Description", FALSE, &device->description, &code);
	client_take_string(client, obj, "Created", TRUE, &device->created, &code);
	client_take_bool(client, obj, "Default", &device->is_default, &code);
	keys = client_take_object(client, obj, "Keys", &code);
	client_take_string(client, keys, "Signature", TRUE, &device->signature_key, &code);
	client_take_string(client, keys, "Authentication", TRUE, &device->authentication_key, &code);
	client_take_string(client, keys, "Encryption", TRUE, &device->encryption_key, &code);
	signed_profile = json_object_get_member(obj, "SignedProfile");
	if (code == MESH_ERROR_OK && signed_profile != NULL)
		device->signed_profile = mesh_json_to_string(signed_profile);
	if (code != MESH_ERROR_OK) {
		mesh_client_device_free(device);
		return code;
	}
	*ret_device = device;
	return MESH_ERROR_OK;
}

MeshError
mesh_client_device_create(MeshClient *client, const char *description, const char *passphrase,
			  MeshClientDevice **ret_device)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = {
		{ description ? "Description" : NULL, 's', description, 0 },
		{ passphrase ? "Passphrase" : NULL, 's', passphrase, 0 },
		KEYSTORE(client),
	};
	MeshError code;

	code = client_call(client, "DeviceCreate", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	return device_from_result(client, result, ret_device);
}

MeshError
mesh_client_device_get(MeshClient *client, const char *identifier, MeshClientDevice **ret_device)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { { identifier ? "Identifier" : NULL, 's', identifier, 0 } };
	MeshError code;

	code = client_call(client, "DeviceGet", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	return device_from_result(client, result, ret_device);
}

static void
read_device(MeshClient *client, JsonObject *obj, gpointer element, MeshError *code)
{
	MeshClientDevice *device = element;

	client_take_string(client, obj, "Identifier", TRUE, &device->identifier, code);
	client_take_string(client, obj, "Description", FALSE, &device->description, code);
	client_take_bool(client, obj, "Default", &device->is_default, code);
}

MeshError
mesh_client_device_list(MeshClient *client, MeshClientDevice **ret_devices, size_t *ret_n)
{
	gpointer devices = NULL;
	size_t n = 0;
	MeshError code;

	code = client_call_list(client, "DeviceList", "Devices", sizeof(MeshClientDevice), read_device,
			 &devices, &n);
	if (code != MESH_ERROR_OK) {
		mesh_client_devices_free(devices, n);
		return code;
	}
	*ret_devices = devices;
	if (ret_n != NULL)
		*ret_n = n;
	return MESH_ERROR_OK;
}

/* ---- Keys ------------------------------------------------------------------------------- */

void
mesh_client_keys_free(MeshClientKey *keys, size_t n)
{
	if (keys == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		g_free(keys[i].udf);
		g_free(keys[i].algorithm);
		g_free(keys[i].use);
		g_free(keys[i].store);
		g_free(keys[i].role);
		g_free(keys[i].account);
		g_free(keys[i].device);
	}
	g_free(keys);
}

/* {"UDF", "Algorithm", "Use", "Store"}: a key made or moved, and the start of a KeyList entry. */
static void
read_key_made(MeshClient *client, JsonObject *obj, MeshClientKey *key, MeshError *code)
{
	client_take_string(client, obj, "UDF", TRUE, &key->udf, code);
	client_take_string(client, obj, "Algorithm", TRUE, &key->algorithm, code);
	client_take_string(client, obj, "Use", TRUE, &key->use, code);
	client_take_string(client, obj, "Store", TRUE, &key->store, code);
}

static void
read_key(MeshClient *client, JsonObject *obj, gpointer element, MeshError *code)
{
	MeshClientKey *key = element;

	read_key_made(client, obj, key, code);
	client_take_bool(client, obj, "Locked", &key->locked, code);
	client_take_bool(client, obj, "Protected", &key->is_protected, code);
	client_take_string(client, obj, "Role", TRUE, &key->role, code);
	client_take_string(client, obj, "Account", FALSE, &key->account, code);
	client_take_string(client, obj, "Device", FALSE, &key->device, code);
}

MeshError
mesh_client_key_list(MeshClient *client, MeshClientKey **ret_keys, size_t *ret_n)
{
	gpointer keys = NULL;
	size_t n = 0;
	MeshError code;

	code = client_call_list(client, "KeyList", "Keys", sizeof(MeshClientKey), read_key, &keys, &n);
	if (code != MESH_ERROR_OK) {
		mesh_client_keys_free(keys, n);
		return code;
	}
	*ret_keys = keys;
	if (ret_n != NULL)
		*ret_n = n;
	return MESH_ERROR_OK;
}

/* Call KeyGenerate, KeyImport or KeyMove and read the key it answers (locked 0). */
static MeshError
key_call(MeshClient *client, const char *method, const Member *params, gsize n_params,
	 MeshClientKey **ret_key)
{
	g_autoptr(JsonNode) result = NULL;
	MeshClientKey *key;
	MeshError code;

	code = client_call(client, method, params, n_params, &result);
	if (code != MESH_ERROR_OK)
		return code;
	key = g_new0(MeshClientKey, 1);
	read_key_made(client, json_node_get_object(result), key, &code);
	if (code != MESH_ERROR_OK || ret_key == NULL) {
		mesh_client_keys_free(key, 1);
		return code;
	}
	*ret_key = key;
	return MESH_ERROR_OK;
}

MeshError
mesh_client_key_generate(MeshClient *client, const char *algorithm, const char *use,
			 const char *passphrase, MeshClientKey **ret_key)
{
	const Member params[] = {
		{ "Use", 's', use, 0 },
		{ algorithm ? "Algorithm" : NULL, 's', algorithm, 0 },
		{ passphrase ? "Passphrase" : NULL, 's', passphrase, 0 },
		KEYSTORE(client),
	};

	if (client == NULL || ret_key == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	if (use == NULL)
		return client_fail(client, MESH_ERROR_INVALID_ARGUMENT, "no key use given");
	return key_call(client, "KeyGenerate", params, G_N_ELEMENTS(params), ret_key);
}

MeshError
mesh_client_key_import(MeshClient *client, const char *pem, const char *use,
		       const char *file_passphrase, const char *passphrase, MeshClientKey **ret_key)
{
	const Member params[] = {
		{ "Key", 's', pem, 0 },
		{ "Use", 's', use, 0 },
		{ file_passphrase ? "FilePassphrase" : NULL, 's', file_passphrase, 0 },
		{ passphrase ? "Passphrase" : NULL, 's', passphrase, 0 },
		KEYSTORE(client),
	};

	if (client == NULL || ret_key == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	if (pem == NULL || use == NULL)
		return client_fail(client, MESH_ERROR_INVALID_ARGUMENT, "give the key and its use");
	return key_call(client, "KeyImport", params, G_N_ELEMENTS(params), ret_key);
}

MeshError
mesh_client_key_move(MeshClient *client, const char *udf, const char *to,
		     const char *passphrase, MeshClientKey **ret_key)
{
	const Member params[] = {
		{ "UDF", 's', udf, 0 },
		{ "To", 's', to, 0 },
		{ passphrase ? "Passphrase" : NULL, 's', passphrase, 0 },
	};

	if (client == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	if (udf == NULL || to == NULL)
		return client_fail(client, MESH_ERROR_INVALID_ARGUMENT, "give the key UDF and the store");
	return key_call(client, "KeyMove", params, G_N_ELEMENTS(params), ret_key);
}

MeshError
mesh_client_key_remove(MeshClient *client, const char *udf)
{
	const Member params[] = { { "UDF", 's', udf, 0 } };

	if (client == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	if (udf == NULL)
		return client_fail(client, MESH_ERROR_INVALID_ARGUMENT, "no key UDF given");
	return client_call(client, "KeyRemove", params, G_N_ELEMENTS(params), NULL);
}

void
mesh_client_public_key_free(MeshClientPublicKey *key)
{
	if (key == NULL)
		return;
	g_free(key->udf);
	g_free(key->algorithm);
	g_free(key->jwk);
	g_free(key->spki);
	g_free(key);
}

/* The base64url member @member of @obj, decoded to at most @max bytes. */
static GBytes *
take_b64u(MeshClient *client, JsonObject *obj, const char *member, gsize max, MeshError *code)
{
	g_autoptr(GError) error = NULL;
	const char *text = NULL;
	GBytes *bytes;

	if (*code != MESH_ERROR_OK)
		return NULL;
	if (!mesh_json_get_string(obj, member, &text, &error) ||
	    (bytes = mesh_b64u_decode_bytes(text, max, &error)) == NULL) {
		*code = client_fail(client, MESH_ERROR_PROTOCOL, "the agent's answer: %s: %s", member,
			     error->message);
		return NULL;
	}
	return bytes;
}

MeshError
mesh_client_key_public(MeshClient *client, const char *udf, MeshClientPublicKey **ret_key)
{
	g_autoptr(JsonNode) result = NULL;
	g_autoptr(GBytes) spki = NULL;
	const Member params[] = { { "UDF", 's', udf, 0 } };
	MeshClientPublicKey *key;
	JsonObject *obj;
	MeshError code;

	if (udf == NULL)
		return client ? client_fail(client, MESH_ERROR_INVALID_ARGUMENT, "no key UDF given") :
				MESH_ERROR_INVALID_ARGUMENT;
	code = client_call(client, "KeyPublic", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	obj = json_node_get_object(result);
	key = g_new0(MeshClientPublicKey, 1);
	client_take_string(client, obj, "UDF", TRUE, &key->udf, &code);
	client_take_string(client, obj, "Algorithm", TRUE, &key->algorithm, &code);
	if (client_take_object(client, obj, "PublicParameters", &code) != NULL)
		key->jwk = mesh_json_to_string(json_object_get_member(obj, "PublicParameters"));
	spki = take_b64u(client, obj, "SPKI", SPKI_MAX, &code);
	if (code != MESH_ERROR_OK) {
		mesh_client_public_key_free(key);
		return code;
	}
	key->spki = g_bytes_unref_to_data(g_steal_pointer(&spki), &key->spki_len);
	*ret_key = key;
	return MESH_ERROR_OK;
}

MeshError
mesh_client_key_sign(MeshClient *client, const char *udf, const void *data, size_t len,
		     uint8_t **ret_signature, size_t *ret_len)
{
	g_autoptr(JsonNode) result = NULL;
	g_autoptr(GBytes) signature = NULL;
	g_autofree char *b64 = NULL;
	MeshError code = MESH_ERROR_OK;
	gsize sig_len = 0;

	if (client == NULL || ret_signature == NULL || (data == NULL && len > 0))
		return MESH_ERROR_INVALID_ARGUMENT;
	if (udf == NULL)
		return client_fail(client, MESH_ERROR_INVALID_ARGUMENT, "no key UDF given");
	if (len > MESH_CLIENT_SIGN_MAX)
		return client_fail(client, MESH_ERROR_TOO_LARGE,
			    "%zu bytes to sign: the agent signs at most %d bytes at a time; sign a "
			    "digest of larger data",
			    len, MESH_CLIENT_SIGN_MAX);
	b64 = mesh_b64u_encode(data, len);
	{
		const Member params[] = { { "UDF", 's', udf, 0 }, { "Data", 's', b64, 0 } };

		code = client_call(client, "KeySign", params, G_N_ELEMENTS(params), &result);
	}
	if (code != MESH_ERROR_OK)
		return code;
	signature = take_b64u(client, json_node_get_object(result), "Signature",
			      MESH_CLIENT_SIGNATURE_LEN, &code);
	if (code != MESH_ERROR_OK)
		return code;
	if (g_bytes_get_size(signature) != MESH_CLIENT_SIGNATURE_LEN)
		return client_fail(client, MESH_ERROR_PROTOCOL,
			    "the agent's signature is %zu bytes, not %d",
			    g_bytes_get_size(signature), MESH_CLIENT_SIGNATURE_LEN);
	*ret_signature = g_bytes_unref_to_data(g_steal_pointer(&signature), &sig_len);
	if (ret_len != NULL)
		*ret_len = sig_len;
	return MESH_ERROR_OK;
}

/* ---- Hives, locking, shutdown ------------------------------------------------------------ */

MeshError
mesh_client_hive_migrate(MeshClient *client, const char *from, const char *to, int force,
			 int64_t *ret_copied)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = {
		{ "From", 's', from, 0 },
		{ "To", 's', to, 0 },
		{ force ? "Force" : NULL, 'b', NULL, 1 },
	};
	gint64 copied = 0;
	MeshError code;

	if (client == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	if (from == NULL || to == NULL)
		return client_fail(client, MESH_ERROR_INVALID_ARGUMENT, "give both hives: from and to");
	code = client_call(client, "HiveMigrate", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	client_take_int(client, json_node_get_object(result), "Copied", &copied, &code);
	if (code == MESH_ERROR_OK && ret_copied != NULL)
		*ret_copied = copied;
	return code;
}

MeshError
mesh_client_hive_set_keystore(MeshClient *client, const char *name)
{
	const Member params[] = { { "Store", 's', name, 0 } };

	if (client == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	if (name == NULL)
		return client_fail(client, MESH_ERROR_INVALID_ARGUMENT, "no key store given");
	return client_call(client, "HiveSetKeyStore", params, G_N_ELEMENTS(params), NULL);
}

MeshError
mesh_client_lock(MeshClient *client)
{
	return client_call(client, "Lock", NULL, 0, NULL);
}

MeshError
mesh_client_unlock(MeshClient *client, const char *passphrase, int64_t lifetime,
		   int64_t *ret_unlocked)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = {
		{ "Passphrase", 's', passphrase, 0 },
		{ lifetime >= 0 ? "Lifetime" : NULL, 'i', NULL, lifetime },
	};
	gint64 unlocked = 0;
	MeshError code;

	if (client == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	if (passphrase == NULL)
		return client_fail(client, MESH_ERROR_INVALID_ARGUMENT, "no passphrase given");
	code = client_call(client, "Unlock", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	client_take_int(client, json_node_get_object(result), "Unlocked", &unlocked, &code);
	if (code == MESH_ERROR_OK && ret_unlocked != NULL)
		*ret_unlocked = unlocked;
	return code;
}

MeshError
mesh_client_shutdown(MeshClient *client)
{
	return client_call(client, "Shutdown", NULL, 0, NULL);
}
