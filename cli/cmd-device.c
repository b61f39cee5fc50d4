/* SPDX-License-Identifier: MIT */
/* mesh device: create this machine's device profile and its keys in the agent; show and list
 * the devices. */
#include <stdio.h>

#include "verbs.h"

/* {"Identifier", "Description" (omitted when none), "Keys": {"Signature", "Authentication",
 * "Encryption"}}, or the same as text. */
static void
print_device(MeshCliCall *c, const MeshClientDevice *device, gboolean created)
{
	g_auto(MeshCliEscapes) esc = { 0 };
	JsonBuilder *b = mesh_cli_call_json(c);

	if (b == NULL) {
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
	mesh_cli_json_string(b, "Identifier", device->identifier);
	mesh_cli_json_string(b, "Description", device->description);
	json_builder_set_member_name(b, "Keys");
	json_builder_begin_object(b);
	mesh_cli_json_string(b, "Signature", device->signature_key);
	mesh_cli_json_string(b, "Authentication", device->authentication_key);
	mesh_cli_json_string(b, "Encryption", device->encryption_key);
	json_builder_end_object(b);
}

static MeshError
device_create_call(MeshCliCall *c)
{
	MeshClientDevice *device = NULL;
	MeshError code = mesh_client_device_create(c->client, *(char **)c->data,
	                                           mesh_cli_secret_text(c->passphrase), &device);

	if (code == MESH_ERROR_OK)
		print_device(c, device, TRUE);
	mesh_client_device_free(device);
	return code;
}

static int
device_create(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "device create",
	        .params = "",
	        .description = "Makes this machine's device profile in the hive (--hive): a "
	                       "signature, an authentication and an encryption key, held by the "
	                       "agent, and a self-signed profile. The first device becomes the "
	                       "default.",
	        .makes_keys = TRUE,
	        .call = device_create_call,
	};
	char *description = NULL;
	MeshCliCall c = {.data = &description};
	const GOptionEntry entries[] = {
	        {"description", 0, 0, G_OPTION_ARG_STRING, &description,
	         "A few words that name this device (\"Alice's laptop\")", "TEXT"},
	        MESH_CLI_PROTECT_OPTIONS(c.protect, c.passphrase_file),
	        MESH_CLI_KEYSTORE_OPTION(c.keystore),
	        G_OPTION_ENTRY_NULL,
	};

	return mesh_cli_run(globals, &spec, &c, entries, argc, argv);
}

static MeshError
device_show_call(MeshCliCall *c)
{
	MeshClientDevice *device = NULL;
	MeshError code =
	        mesh_client_device_get(c->client, c->argc == 2 ? c->argv[1] : NULL, &device);

	if (code == MESH_ERROR_OK)
		print_device(c, device, FALSE);
	mesh_client_device_free(device);
	return code;
}

static int
device_show(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "device show",
	        .params = "[UDF]",
	        .description = "Shows a device of this machine (the default device when no UDF "
	                       "is given) and the UDFs of its keys.",
	        .max_args = 1,
	        .call = device_show_call,
	};
	return mesh_cli_run_simple(globals, &spec, NULL, argc, argv);
}

static MeshError
device_list_call(MeshCliCall *c)
{
	g_auto(MeshCliEscapes) esc = { 0 };
	MeshClientDevice *devices = NULL;
	size_t n = 0;
	MeshError code = mesh_client_device_list(c->client, &devices, &n);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL) {
		mesh_cli_json_begin_array(c->json, "Devices");
		for (size_t i = 0; i < n; i++) {
			json_builder_begin_object(c->json);
			mesh_cli_json_string(c->json, "Identifier", devices[i].identifier);
			mesh_cli_json_string(c->json, "Description", devices[i].description);
			mesh_cli_json_bool(c->json, "Default", devices[i].is_default);
			json_builder_end_object(c->json);
		}
		json_builder_end_array(c->json);
	} else if (code == MESH_ERROR_OK) {
		for (size_t i = 0; i < n; i++)
			printf("%s%s%s%s\n", mesh_cli_escape(&esc, devices[i].identifier),
			       devices[i].is_default ? " (default)" : "",
			       devices[i].description ? "  " : "",
			       devices[i].description
			               ? mesh_cli_escape(&esc, devices[i].description)
			               : "");
	}
	mesh_client_devices_free(devices, n);
	return code;
}

static int
device_list(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "device list",
	        .params = "",
	        .description = "Lists the devices of this machine.",
	        .call = device_list_call,
	};
	return mesh_cli_run_simple(globals, &spec, NULL, argc, argv);
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
