/* SPDX-License-Identifier: MIT */
/* libmeshclient: the session methods of <mesh/client.h> for the devices of a profile. */
#include "client-private.h"

#include "json.h"

void
mesh_client_profile_devices_free(MeshClientProfileDevice *devices, size_t n)
{
	for (size_t i = 0; devices != NULL && i < n; i++) {
		g_free(devices[i].identifier);
		g_free(devices[i].description);
		g_free(devices[i].added);
	}
	g_free(devices);
}

void
client_read_profile_device(MeshClient *client, JsonObject *obj, gpointer element, MeshError *code)
{
	MeshClientProfileDevice *d = element;

	client_take_string(client, obj, "Identifier", TRUE, &d->identifier, code);
	client_take_string(client, obj, "Description", FALSE, &d->description, code);
	client_take_string(client, obj, "Added", FALSE, &d->added, code);
	client_take_bool(client, obj, "Administration", &d->administration, code);
	client_take_bool(client, obj, "ThisDevice", &d->this_device, code);
}

MeshError
mesh_client_profile_devices(MeshClient *client, const char *account,
                            MeshClientProfileDevice **ret_devices, size_t *ret_n)
{
	const Member params[] = {ACCOUNT(account)};
	gpointer devices = NULL;
	size_t n = 0;
	MeshError code;

	if (client == NULL || ret_devices == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call_list_with(client, "ProfileDevices", params, G_N_ELEMENTS(params),
	                             "Devices", sizeof(MeshClientProfileDevice),
	                             client_read_profile_device, &devices, &n);
	if (code != MESH_ERROR_OK) {
		mesh_client_profile_devices_free(devices, n);
		return code;
	}
	*ret_devices = devices;
	if (ret_n != NULL)
		*ret_n = n;
	return MESH_ERROR_OK;
}

/* DeviceRename, DevicePromote, DeviceDemote: {Account?, Device, Description?}. */
static MeshError
device_call(MeshClient *client, const char *method, const char *account, const char *device,
            const char *description, JsonNode **ret_result)
{
	const Member params[] = {ACCOUNT(account),
	                         {"Device", 's', device, 0},
	                         {description != NULL ? "Description" : NULL, 's', description, 0},
	                         PORTAL_URL(client),
	                         PORTAL_CA(client)};

	if (client == NULL || device == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	return client_call(client, method, params, G_N_ELEMENTS(params), ret_result);
}

MeshError
mesh_client_device_rename(MeshClient *client, const char *account, const char *device,
                          const char *description)
{
	if (description == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	return device_call(client, "DeviceRename", account, device, description, NULL);
}

MeshError
mesh_client_device_promote(MeshClient *client, const char *account, const char *device)
{
	return device_call(client, "DevicePromote", account, device, NULL, NULL);
}

MeshError
mesh_client_device_demote(MeshClient *client, const char *account, const char *device)
{
	return device_call(client, "DeviceDemote", account, device, NULL, NULL);
}

void
mesh_client_removal_free(MeshClientRemoval *removal)
{
	if (removal == NULL)
		return;
	g_free(removal->identifier);
	g_free(removal->description);
	mesh_client_logins_free(removal->logins, removal->n_logins);
	mesh_client_strings_free(removal->applications, removal->n_applications);
	g_free(removal);
}

MeshError
mesh_client_device_remove(MeshClient *client, const char *account, const char *device,
                          MeshClientRemoval **ret_removal)
{
	g_autoptr(JsonNode) result = NULL;
	MeshClientRemoval *removal;
	JsonObject *obj;
	MeshError code = device_call(client, "DeviceRemove", account, device, NULL, &result);

	if (code != MESH_ERROR_OK)
		return code;
	obj = json_node_get_object(result);
	removal = g_new0(MeshClientRemoval, 1);
	client_take_string(client, obj, "Identifier", TRUE, &removal->identifier, &code);
	client_take_string(client, obj, "Description", FALSE, &removal->description, &code);
	client_take_bool(client, obj, "Administration", &removal->administration, &code);
	removal->logins = client_take_list(client, obj, "Logins", sizeof(MeshClientLogin),
	                                   client_read_login, &removal->n_logins, &code);
	removal->applications =
	        client_take_strings(client, obj, "Applications", &removal->n_applications, &code);
	if (code != MESH_ERROR_OK || ret_removal == NULL) {
		mesh_client_removal_free(removal);
		return code;
	}
	*ret_removal = removal;
	return MESH_ERROR_OK;
}
