/* SPDX-License-Identifier: MIT */
/* libmeshclient: the SSH methods of <mesh/client.h>: an account's SSH key, its authorized_keys
 * lines, and the agent's ssh-agent socket. */
#include "client-private.h"

#include <string.h>

#include "json.h"

void
mesh_client_ssh_keys_free(MeshClientSshKey *keys, size_t n)
{
	if (keys == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		g_free(keys[i].device_udf);
		g_free(keys[i].public_key);
	}
	g_free(keys);
}

MeshError
mesh_client_ssh_create(MeshClient *client, const char *account, const char *passphrase,
		       char **ret_udf, char **ret_public_key)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { ACCOUNT(account),
				  { passphrase != NULL ? "Passphrase" : NULL, 's', passphrase, 0 },
				  PORTAL_URL(client), PORTAL_CA(client), KEYSTORE(client) };
	g_autofree char *udf = NULL;
	g_autofree char *line = NULL;
	MeshError code;

	if (client == NULL || ret_public_key == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call(client, "SshCreate", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	client_take_string(client, json_node_get_object(result), "UDF", TRUE, &udf, &code);
	client_take_string(client, json_node_get_object(result), "PublicKey", TRUE, &line, &code);
	if (code != MESH_ERROR_OK)
		return code;
	if (ret_udf != NULL)
		*ret_udf = g_steal_pointer(&udf);
	*ret_public_key = g_steal_pointer(&line);
	return MESH_ERROR_OK;
}

MeshError
mesh_client_ssh_rotate(MeshClient *client, const char *account, char **ret_udf,
		       char **ret_public_key, char **ret_old_udf)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { ACCOUNT(account), PORTAL_URL(client), PORTAL_CA(client) };
	g_autofree char *udf = NULL;
	g_autofree char *line = NULL;
	g_autofree char *old = NULL;
	MeshError code;

	if (client == NULL || ret_public_key == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call(client, "SshRotate", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	client_take_string(client, json_node_get_object(result), "UDF", TRUE, &udf, &code);
	client_take_string(client, json_node_get_object(result), "PublicKey", TRUE, &line, &code);
	client_take_string(client, json_node_get_object(result), "OldUDF", TRUE, &old, &code);
	if (code != MESH_ERROR_OK)
		return code;
	if (ret_udf != NULL)
		*ret_udf = g_steal_pointer(&udf);
	if (ret_old_udf != NULL)
		*ret_old_udf = g_steal_pointer(&old);
	*ret_public_key = g_steal_pointer(&line);
	return MESH_ERROR_OK;
}

MeshError
mesh_client_ssh_authorized_keys(MeshClient *client, const char *account,
				MeshClientSshKey **ret_keys, size_t *ret_n)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { ACCOUNT(account) };
	MeshClientSshKey *keys;
	JsonArray *array;
	MeshError code;
	guint n = 0;

	if (client == NULL || ret_keys == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call(client, "SshAuthorizedKeys", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	array = client_take_array(client, json_node_get_object(result), "Keys", &code);
	if (code == MESH_ERROR_OK)
		n = json_array_get_length(array);
	keys = g_new0(MeshClientSshKey, n + 1);
	for (guint i = 0; i < n && code == MESH_ERROR_OK; i++) {
		JsonNode *node = json_array_get_element(array, i);

		if (!JSON_NODE_HOLDS_OBJECT(node)) {
			code = client_fail(client, MESH_ERROR_PROTOCOL,
				    "the agent's answer: an entry of Keys is not an object");
			break;
		}
		client_take_string(client, json_node_get_object(node), "DeviceUDF", TRUE,
			    &keys[i].device_udf, &code);
		client_take_string(client, json_node_get_object(node), "PublicKey", TRUE,
			    &keys[i].public_key, &code);
	}
	if (code != MESH_ERROR_OK) {
		mesh_client_ssh_keys_free(keys, n);
		return code;
	}
	*ret_keys = keys;
	if (ret_n != NULL)
		*ret_n = n;
	return MESH_ERROR_OK;
}

MeshError
mesh_client_ssh_socket(MeshClient *client, char **ret_path)
{
	g_autoptr(JsonNode) result = NULL;
	char *path = NULL;
	MeshError code;

	if (client == NULL || ret_path == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call(client, "Status", NULL, 0, &result);
	if (code != MESH_ERROR_OK)
		return code;
	client_take_string(client, json_node_get_object(result), "SSHAgentSocket", FALSE, &path, &code);
	if (code != MESH_ERROR_OK)
		return code;
	if (path == NULL)
		return client_fail(client, MESH_ERROR_NOT_FOUND, "this agent serves no ssh-agent socket");
	*ret_path = path;
	return MESH_ERROR_OK;
}

