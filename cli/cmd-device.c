/* SPDX-License-Identifier: MIT */
/* mesh device: create this machine's device profile and its keys in the agent; show and list
 * the devices. */
#include <stdio.h>

#include "verbs.h"

/* {"Identifier", "Description" (omitted when none), "Keys": {"Signature", "Authentication",
 * "Encryption"}}, or the same as text. */
static void
print_device(const MeshCliGlobals *globals, const MeshClientDevice *device, gboolean created)
{
	g_autoptr(JsonBuilder) b = NULL;
	g_auto(MeshCliEscapes) esc = { 0 };

	if (!globals->json) {
		printf("%s%s\n", created ? "Created device " : "Device ",
		       mesh_cli_escape(&esc, device->identifier));
		if (device->description != NULL)
			printf("  Description:    %s\n",
			       mesh_cli_escape(&esc, device->description));
		if (device->created != NULL)
			printf("  Created:        %s%s\n", mesh_cli_escape(&esc, device->created),
			       device->is_default ? " (default device)" : "");
		printf("  Signature:      %s\n  Authentication: %s\n  Encryption:     %s\n",
		       mesh_cli_escape(&esc, device->signature_key),
		       mesh_cli_escape(&esc, device->authentication_key),
		       mesh_cli_escape(&esc, device->encryption_key));
		return;
	}
	b = json_builder_new();
	json_builder_begin_object(b);
	mesh_cli_json_string(b, "Identifier", device->identifier);
	mesh_cli_json_string(b, "Description", device->description);
	json_builder_set_member_name(b, "Keys");
	json_builder_begin_object(b);
	mesh_cli_json_string(b, "Signature", device->signature_key);
	mesh_cli_json_string(b, "Authentication", device->authentication_key);
	mesh_cli_json_string(b, "Encryption", device->encryption_key);
	json_builder_end_object(b);
	json_builder_end_object(b);
	mesh_cli_print_json(json_builder_get_root(b));
}

static int
device_create(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autofree char *description = NULL, *passphrase_file = NULL, *keystore = NULL;
	gboolean protect = FALSE;
	const GOptionEntry entries[] = {
		{ "description", 0, 0, G_OPTION_ARG_STRING, &description,
		  "A few words that name this device (\"Alice's laptop\")", "TEXT" },
		MESH_CLI_PROTECT_OPTIONS(protect, passphrase_file),
		MESH_CLI_KEYSTORE_OPTION(keystore),
		G_OPTION_ENTRY_NULL,
	};
	g_autoptr(MeshSecret) passphrase = NULL;
	MeshClientDevice *device = NULL;
	MeshClient *client = NULL;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "device create", "",
				 "Makes this machine's device profile in the hive (--hive): a "
				 "signature, an authentication and an encryption key, held by the "
				 "agent, and a self-signed profile. The first device becomes the "
				 "default.",
				 entries, 0, &argc, &argv, &status) ||
	    !mesh_cli_new_key_passphrase(globals, "device create", protect, passphrase_file,
					 &passphrase, &status))
		return status;
	status = mesh_cli_connect(globals, "device create", NULL, TRUE, &client);
	if (status != 0)
		return status;
	mesh_client_set_keystore(client, keystore);
	code = mesh_client_device_create(client, description, mesh_cli_secret_text(passphrase),
					 &device);
	if (code != MESH_ERROR_OK)
		status = mesh_cli_client_fail(globals, "device create", client, code);
	else
		print_device(globals, device, TRUE);
	mesh_client_device_free(device);
	mesh_client_close(client);
	return status;
}

static int
device_show(int argc, char **argv, const MeshCliGlobals *globals)
{
	MeshClientDevice *device = NULL;
	MeshClient *client = NULL;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "device show", "[UDF]",
				 "Shows a device of this machine (the default device when no UDF "
				 "is given) and the UDFs of its keys.",
				 mesh_cli_no_options, 1, &argc, &argv, &status))
		return status;
	status = mesh_cli_connect(globals, "device show", NULL, TRUE, &client);
	if (status != 0)
		return status;
	code = mesh_client_device_get(client, argc == 2 ? argv[1] : NULL, &device);
	if (code != MESH_ERROR_OK)
		status = mesh_cli_client_fail(globals, "device show", client, code);
	else
		print_device(globals, device, FALSE);
	mesh_client_device_free(device);
	mesh_client_close(client);
	return status;
}

static void
print_devices(const MeshCliGlobals *globals, const MeshClientDevice *devices, size_t n)
{
	g_autoptr(JsonBuilder) b = NULL;
	g_auto(MeshCliEscapes) esc = { 0 };

	if (!globals->json) {
		for (size_t i = 0; i < n; i++)
			printf("%s%s%s%s\n", mesh_cli_escape(&esc, devices[i].identifier),
			       devices[i].is_default ? " (default)" : "",
			       devices[i].description ? "  " : "",
			       devices[i].description ?
				       mesh_cli_escape(&esc, devices[i].description) :
				       "");
		return;
	}
	b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "Devices");
	json_builder_begin_array(b);
	for (size_t i = 0; i < n; i++) {
		json_builder_begin_object(b);
		mesh_cli_json_string(b, "Identifier", devices[i].identifier);
		mesh_cli_json_string(b, "Description", devices[i].description);
		mesh_cli_json_bool(b, "Default", devices[i].is_default);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	mesh_cli_print_json(json_builder_get_root(b));
}

static int
device_list(int argc, char **argv, const MeshCliGlobals *globals)
{
	MeshClientDevice *devices = NULL;
	MeshClient *client = NULL;
	MeshError code;
	size_t n = 0;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "device list", "", "Lists the devices of this machine.",
				 mesh_cli_no_options, 0, &argc, &argv, &status))
		return status;
	status = mesh_cli_connect(globals, "device list", NULL, TRUE, &client);
	if (status != 0)
		return status;
	code = mesh_client_device_list(client, &devices, &n);
	if (code != MESH_ERROR_OK)
		status = mesh_cli_client_fail(globals, "device list", client, code);
	else
		print_devices(globals, devices, n);
	mesh_client_devices_free(devices, n);
	mesh_client_close(client);
	return status;
}

int
mesh_cmd_device(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliSub subs[] = {
		{ "create", device_create },
		{ "show", device_show },
		{ "list", device_list },
		{ NULL, NULL },
	};

	return mesh_cli_dispatch(
		argc, argv, globals, "device", subs,
		"Usage: mesh [--hive H] device create [--description TEXT]\n"
		"                                     [--protect | --passphrase-file FILE]\n"
		"                                     [--keystore STORE]\n"
		"       mesh [--hive H] device show [UDF]\n"
		"       mesh [--hive H] device list\n"
		"\n"
		"This machine's device profiles: each has a signature, an authentication and an\n"
		"encryption key, held by the agent. 'mesh device SUBCOMMAND --help' gives\n"
		"details.\n");
}
