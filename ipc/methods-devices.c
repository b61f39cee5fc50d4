/* SPDX-License-Identifier: MIT */
/* The agent's methods for the devices of a profile (docs/protocol.md "Agent methods (§9)"). */
#include "methods-session.h"

#include "json.h"

/* {"Identifier", "Description"?, "Added"?, "Administration": bool, "ThisDevice": bool} */
static JsonObject *
device_object(const MeshSessionDevice *d)
{
	JsonObject *obj = json_object_new();

	json_object_set_string_member(obj, "Identifier", d->identifier);
	if (d->description != NULL)
		json_object_set_string_member(obj, "Description", d->description);
	if (d->added != NULL)
		json_object_set_string_member(obj, "Added", d->added);
	json_object_set_boolean_member(obj, "Administration", d->admin);
	json_object_set_boolean_member(obj, "ThisDevice", d->this_device);
	return obj;
}

JsonArray *
mesh_method_devices_array(const GPtrArray *devices)
{
	JsonArray *array = json_array_new();

	for (guint i = 0; devices != NULL && i < devices->len; i++)
		json_array_add_object_element(array, device_object(devices->pdata[i]));
	return array;
}

gboolean
mesh_method_device_profile_list(MeshSession *s, JsonObject *params, JsonObject *result,
                                GError **error)
{
	g_autoptr(GPtrArray) devices = NULL;
	const char *account = NULL;

	if (!mesh_json_get_string_opt(params, "Account", &account, error) ||
	    !mesh_session_device_list(s, account, &devices, error))
		return FALSE;
	json_object_set_array_member(result, "Devices", mesh_method_devices_array(devices));
	return TRUE;
}

/* {Account?, Device} of the methods below. */
static gboolean
get_device(JsonObject *params, const char **ret_account, const char **ret_device, GError **error)
{
	return mesh_json_get_string_opt(params, "Account", ret_account, error) &&
	       mesh_json_get_string(params, "Device", ret_device, error);
}

gboolean
mesh_method_device_rename(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	const char *account = NULL, *device = NULL, *description = NULL;

	return get_device(params, &account, &device, error) &&
	       mesh_json_get_string(params, "Description", &description, error) &&
	       mesh_session_device_rename(s, account, device, description, error);
}

gboolean
mesh_method_device_promote(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	const char *account = NULL, *device = NULL;

	return get_device(params, &account, &device, error) &&
	       mesh_session_device_promote(s, account, device, error);
}

gboolean
mesh_method_device_demote(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	const char *account = NULL, *device = NULL;

	return get_device(params, &account, &device, error) &&
	       mesh_session_device_demote(s, account, device, error);
}

/* {"Identifier", "Description"?, "Administration", "Logins": [{"Site", "Username"}],
 * "Applications": [name]}: what the removed device could read. */
gboolean
mesh_method_device_remove(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(MeshSessionRemoval) removal = NULL;
	const char *account = NULL, *device = NULL;
	JsonArray *logins, *apps;

	if (!get_device(params, &account, &device, error) ||
	    !mesh_session_device_remove(s, account, device, &removal, error))
		return FALSE;
	json_object_set_string_member(result, "Identifier", removal->identifier);
	if (removal->description != NULL)
		json_object_set_string_member(result, "Description", removal->description);
	json_object_set_boolean_member(result, "Administration", removal->admin);
	logins = json_array_new();
	for (guint i = 0; i < removal->logins->len; i++) {
		const MeshSessionLogin *login = removal->logins->pdata[i];
		JsonObject *obj = json_object_new();

		json_object_set_string_member(obj, "Site", login->site);
		json_object_set_string_member(obj, "Username", login->username);
		json_array_add_object_element(logins, obj);
	}
	json_object_set_array_member(result, "Logins", logins);
	apps = json_array_new();
	for (guint i = 0; i < removal->applications->len; i++)
		json_array_add_string_element(apps, removal->applications->pdata[i]);
	json_object_set_array_member(result, "Applications", apps);
	return TRUE;
}
