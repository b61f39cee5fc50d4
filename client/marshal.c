/* SPDX-License-Identifier: MIT */
/*
 * libmeshclient: reading the agent's answers into the structures of <mesh/client.h>, and
 * freeing them. Every wrong answer is a protocol failure, reported once per call.
 */
#include "client-private.h"

#include <openssl/crypto.h>
#include <string.h>

#include "json.h"

/*
 * A copy of the string @member of @obj in *@ret (NULL when absent and !@required). A wrong
 * answer is a protocol failure, reported once per call through *@code.
 */
void
client_take_string(MeshClient *client, JsonObject *obj, const char *member, gboolean required,
	    char **ret, MeshError *code)
{
	g_autoptr(GError) error = NULL;
	const char *s = NULL;

	if (*code != MESH_ERROR_OK)
		return;
	if (required ? !mesh_json_get_string(obj, member, &s, &error) :
		       !mesh_json_get_string_opt(obj, member, &s, &error)) {
		*code = client_fail(client, MESH_ERROR_PROTOCOL, "the agent's answer: %s", error->message);
		return;
	}
	*ret = g_strdup(s);
}

void
client_take_int(MeshClient *client, JsonObject *obj, const char *member, gint64 *ret,
                MeshError *code)
{
	g_autoptr(GError) error = NULL;

	if (*code != MESH_ERROR_OK)
		return;
	if (!mesh_json_get_int(obj, member, ret, &error))
		*code = client_fail(client, MESH_ERROR_PROTOCOL, "the agent's answer: %s", error->message);
}

void
client_take_bool(MeshClient *client, JsonObject *obj, const char *member, int *ret, MeshError *code)
{
	JsonNode *node = json_object_get_member(obj, member);

	if (*code != MESH_ERROR_OK)
		return;
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_BOOLEAN) {
		*code = client_fail(client, MESH_ERROR_PROTOCOL,
			     "the agent's answer: \"%s\" is missing or not a boolean", member);
		return;
	}
	*ret = json_node_get_boolean(node) ? 1 : 0;
}

JsonObject *
client_take_object(MeshClient *client, JsonObject *obj, const char *member, MeshError *code)
{
	g_autoptr(GError) error = NULL;
	JsonObject *ret = NULL;

	if (*code != MESH_ERROR_OK)
		return NULL;
	if (!mesh_json_get_object(obj, member, &ret, &error))
		*code = client_fail(client, MESH_ERROR_PROTOCOL, "the agent's answer: %s", error->message);
	return ret;
}

JsonArray *
client_take_array(MeshClient *client, JsonObject *obj, const char *member, MeshError *code)
{
	g_autoptr(GError) error = NULL;
	JsonArray *ret = NULL;

	if (*code != MESH_ERROR_OK)
		return NULL;
	if (!mesh_json_get_array(obj, member, &ret, &error))
		*code = client_fail(client, MESH_ERROR_PROTOCOL, "the agent's answer: %s", error->message);
	return ret;
}

gpointer
client_take_list(MeshClient *client, JsonObject *obj, const char *member, gsize size,
                 ReadElement read_element, size_t *ret_n, MeshError *code)
{
	JsonArray *array = client_take_array(client, obj, member, code);
	guint n = *code == MESH_ERROR_OK && array != NULL ? json_array_get_length(array) : 0;
	guint8 *elements = g_malloc0_n(n + 1, size);

	for (guint i = 0; i < n && *code == MESH_ERROR_OK; i++) {
		JsonNode *node = json_array_get_element(array, i);

		if (!JSON_NODE_HOLDS_OBJECT(node))
			*code = client_fail(client, MESH_ERROR_PROTOCOL,
			                    "the agent's answer: an entry of %s is not an object",
			                    member);
		else
			read_element(client, json_node_get_object(node), elements + i * size, code);
	}
	*ret_n = n;
	return elements;
}

MeshError
client_call_list_with(MeshClient *client, const char *method, const Member *params, gsize n_params,
                      const char *member, gsize size, ReadElement read_element,
                      gpointer *ret_array, size_t *ret_n)
{
	g_autoptr(JsonNode) result = NULL;
	MeshError code;

	code = client_call(client, method, params, n_params, &result);
	if (code != MESH_ERROR_OK)
		return code;
	*ret_array = client_take_list(client, json_node_get_object(result), member, size,
	                              read_element, ret_n, &code);
	return code;
}

/* call_list_with, no Params. */
MeshError
client_call_list(MeshClient *client, const char *method, const char *member, gsize size,
                 ReadElement read_element, gpointer *ret_array, size_t *ret_n)
{
	return client_call_list_with(client, method, NULL, 0, member, size, read_element, ret_array, ret_n);
}

void
mesh_client_free(void *p)
{
	g_free(p);
}

void
mesh_client_secret_free(char *secret)
{
	if (secret == NULL)
		return;
	OPENSSL_cleanse(secret, strlen(secret));
	g_free(secret);
}

void
mesh_client_secrets_free(char **secrets, size_t n)
{
	if (secrets == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		mesh_client_secret_free(secrets[i]);
	g_free(secrets);
}

void
mesh_client_strings_free(char **strings, size_t n)
{
	if (strings == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		g_free(strings[i]);
	g_free(strings);
}

/* The strings of the array @member of @obj (a new vector of *@ret_n strings). */
char **
client_take_strings(MeshClient *client, JsonObject *obj, const char *member, size_t *ret_n,
	     MeshError *code)
{
	JsonArray *array = client_take_array(client, obj, member, code);
	char **strings;
	guint n;

	*ret_n = 0;
	if (array == NULL)
		return NULL;
	n = json_array_get_length(array);
	strings = g_new0(char *, n + 1);
	for (guint i = 0; i < n; i++) {
		JsonNode *node = json_array_get_element(array, i);

		if (!JSON_NODE_HOLDS_VALUE(node) ||
		    json_node_get_value_type(node) != G_TYPE_STRING) {
			*code = client_fail(client, MESH_ERROR_PROTOCOL,
				     "the agent's answer: an entry of %s is not a string", member);
			break;
		}
		strings[i] = g_strdup(json_node_get_string(node));
		*ret_n = i + 1;
	}
	return strings;
}

void
mesh_client_apps_free(MeshClientApp *apps, size_t n)
{
	if (apps == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		g_free(apps[i].identifier);
		g_free(apps[i].type);
		g_free(apps[i].friendly);
	}
	g_free(apps);
}

MeshClientApp *
client_take_apps(MeshClient *client, JsonObject *obj, size_t *ret_n, MeshError *code)
{
	JsonArray *array = client_take_array(client, obj, "Applications", code);
	MeshClientApp *apps;
	guint n;

	*ret_n = 0;
	if (array == NULL)
		return NULL;
	n = json_array_get_length(array);
	apps = g_new0(MeshClientApp, n + 1);
	*ret_n = n;
	for (guint i = 0; i < n && *code == MESH_ERROR_OK; i++) {
		JsonNode *node = json_array_get_element(array, i);

		if (!JSON_NODE_HOLDS_OBJECT(node)) {
			*code = client_fail(client, MESH_ERROR_PROTOCOL,
				     "the agent's answer: an application is not an object");
			break;
		}
		client_take_string(client, json_node_get_object(node), "Identifier", TRUE,
			    &apps[i].identifier, code);
		client_take_string(client, json_node_get_object(node), "Type", TRUE, &apps[i].type, code);
		client_take_string(client, json_node_get_object(node), "Friendly", FALSE,
			    &apps[i].friendly, code);
	}
	return apps;
}
