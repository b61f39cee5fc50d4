/* SPDX-License-Identifier: MIT */
/*
 * libmeshclient: the session methods of <mesh/client.h> for an account's applications and
 * passwords. Answers that carry secrets are wiped once copied out (mesh_secjson_wipe).
 */
#include "client-private.h"

#include <string.h>

#include "json.h"
#include "secjson.h"

MeshError
mesh_client_app_list(MeshClient *client, const char *account, MeshClientApp **ret_apps,
		     size_t *ret_n)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { ACCOUNT(account) };
	MeshClientApp *apps;
	size_t n = 0;
	MeshError code;

	if (client == NULL || ret_apps == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call(client, "AppList", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	apps = client_take_apps(client, json_node_get_object(result), &n, &code);
	if (code != MESH_ERROR_OK) {
		mesh_client_apps_free(apps, n);
		return code;
	}
	*ret_apps = apps;
	if (ret_n != NULL)
		*ret_n = n;
	return MESH_ERROR_OK;
}

MeshError
mesh_client_app_add_generic(MeshClient *client, const char *account, const char *name,
			    char **ret_identifier)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { ACCOUNT(account), { "Type", 's', "Generic", 0 },
				  { "Name", 's', name, 0 }, PORTAL_URL(client), PORTAL_CA(client) };
	g_autofree char *identifier = NULL;
	MeshError code;

	if (client == NULL || name == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call(client, "AppAdd", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	client_take_string(client, json_node_get_object(result), "Identifier", TRUE, &identifier, &code);
	if (code == MESH_ERROR_OK && ret_identifier != NULL)
		*ret_identifier = g_steal_pointer(&identifier);
	return code;
}

MeshError
mesh_client_app_set(MeshClient *client, const char *account, const char *name,
		    const char *data_json)
{
	const Member params[] = { ACCOUNT(account), { "Name", 's', name, 0 },
				  { "Data", 's', data_json, 0 }, PORTAL_URL(client), PORTAL_CA(client) };

	if (client == NULL || name == NULL || data_json == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	return client_call(client, "AppSet", params, G_N_ELEMENTS(params), NULL);
}

MeshError
mesh_client_app_delete(MeshClient *client, const char *account, const char *name)
{
	const Member params[] = {ACCOUNT(account), {"Name", 's', name, 0}, PORTAL_URL(client),
	                         PORTAL_CA(client)};

	if (client == NULL || name == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	return client_call(client, "AppDelete", params, G_N_ELEMENTS(params), NULL);
}

/* The secret string @member of @obj, copied into a new buffer. */
static void
client_take_secret(MeshClient *client, JsonObject *obj, const char *member, char **ret,
                   MeshError *code)
{
	client_take_string(client, obj, member, TRUE, ret, code);
}

MeshError
mesh_client_app_get(MeshClient *client, const char *account, const char *name, char **ret_json)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { ACCOUNT(account), { "Name", 's', name, 0 } };
	char *data = NULL;
	MeshError code;

	if (client == NULL || name == NULL || ret_json == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call(client, "AppGet", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	client_take_secret(client, json_node_get_object(result), "Data", &data, &code);
	mesh_secjson_wipe(result);
	if (code != MESH_ERROR_OK)
		return code;
	*ret_json = data;
	return MESH_ERROR_OK;
}

/* PasswordAdd or PasswordSet (@method): *@ret_generated gets the password the agent made when
 * @password is NULL. */
static MeshError
password_store(MeshClient *client, const char *method, const char *account, const char *site,
               const char *username, const char *password, char **ret_generated)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { ACCOUNT(account), { "Site", 's', site, 0 },
				  { "Username", 's', username, 0 },
				  { password != NULL ? "Password" : NULL, 's', password, 0 },
				  PORTAL_URL(client), PORTAL_CA(client) };
	char *generated = NULL;
	MeshError code;

	if (client == NULL || site == NULL || username == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call(client, method, params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	if (password == NULL)
		client_take_secret(client, json_node_get_object(result), "Password", &generated, &code);
	mesh_secjson_wipe(result);
	if (code != MESH_ERROR_OK)
		return code;
	if (ret_generated != NULL)
		*ret_generated = generated;
	else
		mesh_client_secret_free(generated);
	return MESH_ERROR_OK;
}

MeshError
mesh_client_password_add(MeshClient *client, const char *account, const char *site,
                         const char *username, const char *password, char **ret_generated)
{
	return password_store(client, "PasswordAdd", account, site, username, password,
	                      ret_generated);
}

MeshError
mesh_client_password_set(MeshClient *client, const char *account, const char *site,
                         const char *username, const char *password, char **ret_generated)
{
	return password_store(client, "PasswordSet", account, site, username, password,
	                      ret_generated);
}

MeshError
mesh_client_password_get_login(MeshClient *client, const char *account, const char *site,
                               const char *username, char **ret_username, char **ret_password)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = {ACCOUNT(account),
	                         {"Site", 's', site, 0},
	                         {username != NULL ? "Username" : NULL, 's', username, 0}};
	g_autofree char *user = NULL;
	char *password = NULL;
	MeshError code;

	if (client == NULL || site == NULL || ret_password == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call(client, "PasswordGet", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	client_take_string(client, json_node_get_object(result), "Username", TRUE, &user, &code);
	client_take_secret(client, json_node_get_object(result), "Password", &password, &code);
	mesh_secjson_wipe(result);
	if (code != MESH_ERROR_OK) {
		mesh_client_secret_free(password);
		return code;
	}
	if (ret_username != NULL)
		*ret_username = g_steal_pointer(&user);
	*ret_password = password;
	return MESH_ERROR_OK;
}

MeshError
mesh_client_password_get(MeshClient *client, const char *account, const char *site,
                         char **ret_username, char **ret_password)
{
	return mesh_client_password_get_login(client, account, site, NULL, ret_username,
	                                      ret_password);
}

MeshError
mesh_client_password_list(MeshClient *client, const char *account, char ***ret_sites,
			  size_t *ret_n)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { ACCOUNT(account) };
	char **sites;
	size_t n = 0;
	MeshError code;

	if (client == NULL || ret_sites == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call(client, "PasswordList", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	sites = client_take_strings(client, json_node_get_object(result), "Sites", &n, &code);
	if (code != MESH_ERROR_OK) {
		mesh_client_strings_free(sites, n);
		return code;
	}
	*ret_sites = sites;
	if (ret_n != NULL)
		*ret_n = n;
	return MESH_ERROR_OK;
}

void
mesh_client_logins_free(MeshClientLogin *logins, size_t n)
{
	if (logins == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		g_free(logins[i].site);
		g_free(logins[i].username);
	}
	g_free(logins);
}

void
client_read_login(MeshClient *client, JsonObject *obj, gpointer element, MeshError *code)
{
	MeshClientLogin *login = element;

	client_take_string(client, obj, "Site", TRUE, &login->site, code);
	client_take_string(client, obj, "Username", TRUE, &login->username, code);
}

MeshError
mesh_client_password_logins(MeshClient *client, const char *account, MeshClientLogin **ret_logins,
                            size_t *ret_n)
{
	const Member params[] = {ACCOUNT(account)};
	gpointer logins = NULL;
	size_t n = 0;
	MeshError code;

	if (client == NULL || ret_logins == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call_list_with(client, "PasswordList", params, G_N_ELEMENTS(params), "Logins",
	                      sizeof(MeshClientLogin), client_read_login, &logins, &n);
	if (code != MESH_ERROR_OK) {
		mesh_client_logins_free(logins, n);
		return code;
	}
	*ret_logins = logins;
	if (ret_n != NULL)
		*ret_n = n;
	return MESH_ERROR_OK;
}

MeshError
mesh_client_password_delete_login(MeshClient *client, const char *account, const char *site,
                                  const char *username)
{
	const Member params[] = {ACCOUNT(account),
	                         {"Site", 's', site, 0},
	                         {username != NULL ? "Username" : NULL, 's', username, 0},
	                         PORTAL_URL(client),
	                         PORTAL_CA(client)};

	if (client == NULL || site == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	return client_call(client, "PasswordDelete", params, G_N_ELEMENTS(params), NULL);
}

MeshError
mesh_client_password_delete(MeshClient *client, const char *account, const char *site)
{
	return mesh_client_password_delete_login(client, account, site, NULL);
}
