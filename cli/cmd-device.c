/* SPDX-License-Identifier: MIT */
/* mesh device: create this machine's device profile and its keys in the agent; show and list
 * the devices; list, rename, promote, demote and remove the devices of a profile. */
#include <stdio.h>
#include <string.h>

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

/* This machine's devices: {"Devices": [{"Identifier", "Description"?, "Default"}]}. */
static MeshError
device_list_local(MeshCliCall *c)
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

/* One device of a profile, as a JSON object of @b (begun by the caller) or a line of text. */
static void
print_profile_device(JsonBuilder *b, const MeshClientProfileDevice *d)
{
	g_auto(MeshCliEscapes) esc = { 0 };

	if (b != NULL) {
		mesh_cli_json_string(b, "Identifier", d->identifier);
		mesh_cli_json_string(b, "Description", d->description);
		mesh_cli_json_string(b, "Added", d->added);
		mesh_cli_json_bool(b, "Administration", d->administration);
		mesh_cli_json_bool(b, "ThisDevice", d->this_device);
		return;
	}
	printf("%s  %-14s  %-20s  %s%s\n", mesh_cli_escape(&esc, d->identifier),
	       d->administration ? "administration" : "device",
	       d->added != NULL ? mesh_cli_escape(&esc, d->added) : "-",
	       d->description != NULL ? mesh_cli_escape(&esc, d->description) : "",
	       d->this_device ? "  (this device)" : "");
}

void
mesh_cli_print_profile_devices(JsonBuilder *b, const char *member,
                               const MeshClientProfileDevice *devices, size_t n)
{
	if (b != NULL)
		mesh_cli_json_begin_array(b, member);
	for (size_t i = 0; i < n; i++) {
		if (b != NULL)
			json_builder_begin_object(b);
		print_profile_device(b, &devices[i]);
		if (b != NULL)
			json_builder_end_object(b);
	}
	if (b != NULL)
		json_builder_end_array(b);
}

/* The profile's devices: {"Account"?, "Devices": [...]}; this machine's without an account. */
static MeshError
device_list_call(MeshCliCall *c)
{
	const gboolean *local = c->data;
	MeshClientProfileDevice *devices = NULL;
	size_t n = 0;
	MeshError code;

	if (*local)
		return device_list_local(c);
	code = mesh_client_profile_devices(c->client, c->account, &devices, &n);
	/* A machine that holds no account (yet) has only its own devices to show. */
	if (code == MESH_ERROR_NOT_FOUND && c->account == NULL)
		return device_list_local(c);
	if (code == MESH_ERROR_OK) {
		if (mesh_cli_call_json(c) == NULL)
			printf("%-28s  %-14s  %-20s  %s\n", "DEVICE", "ROLE", "ADDED", "DESCRIPTION");
		mesh_cli_print_profile_devices(mesh_cli_call_json(c), "Devices", devices, n);
	}
	mesh_client_profile_devices_free(devices, n);
	return code;
}

static int
device_list(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "device list",
	        .params = "",
	        .description = "Lists the devices of the account's profile (--account, else the "
	                       "default account): role, when added, description, and which is "
	                       "this machine. With --local, or on a machine that holds no "
	                       "account, lists this machine's devices instead.",
	        .reach = MESH_CLI_REACH_SESSION,
	        .call = device_list_call,
	};
	gboolean local = FALSE;
	MeshCliCall c = {.data = &local};
	const GOptionEntry entries[] = {
	        {"local", 0, 0, G_OPTION_ARG_NONE, &local,
	         "This machine's device profiles, not the profile's devices", NULL},
	        MESH_CLI_ACCOUNT_OPTION(c.account),
	        G_OPTION_ENTRY_NULL,
	};

	return mesh_cli_run(globals, &spec, &c, entries, argc, argv);
}

/* rename, promote, demote: DEVICE [TEXT]; says what was done. */
static MeshError
device_change_call(MeshCliCall *c)
{
	g_auto(MeshCliEscapes) esc = {0};
	const char *what = c->verb + strlen("device ");
	MeshError code;

	if (g_str_equal(what, "rename"))
		code = mesh_client_device_rename(c->client, c->account, c->argv[1], c->argv[2]);
	else if (g_str_equal(what, "promote"))
		code = mesh_client_device_promote(c->client, c->account, c->argv[1]);
	else
		code = mesh_client_device_demote(c->client, c->account, c->argv[1]);
	if (code != MESH_ERROR_OK)
		return code;
	if (mesh_cli_call_json(c) != NULL) {
		mesh_cli_json_string(c->json, "Device", c->argv[1]);
		mesh_cli_json_string(c->json, "Description", c->argc > 2 ? c->argv[2] : NULL);
	} else if (g_str_equal(what, "rename")) {
		printf("Renamed %s to %s\n", mesh_cli_escape(&esc, c->argv[1]),
		       mesh_cli_escape(&esc, c->argv[2]));
	} else {
		printf("%s is %s an administration device\n", mesh_cli_escape(&esc, c->argv[1]),
		       g_str_equal(what, "promote") ? "now" : "no longer");
	}
	return code;
}

static int
device_change(int argc, char **argv, const MeshCliGlobals *globals, const MeshCliVerbSpec *spec)
{
	MeshCliCall c = {0};
	const GOptionEntry entries[] = {
	        MESH_CLI_ACCOUNT_OPTION(c.account),
	        MESH_CLI_PORTAL_OPTIONS(c.portal, c.portal_ca),
	        G_OPTION_ENTRY_NULL,
	};

	return mesh_cli_run(globals, spec, &c, entries, argc, argv);
}

#define DEVICE_NAMED                                                                               \
	"DEVICE is its UDF, a unique prefix of it (4 characters at least) or its description, as "  \
	"'mesh device list' shows them."

static int
device_rename(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "device rename",
	        .params = "DEVICE TEXT",
	        .description = "On an administration device: the profile's description of DEVICE, "
	                       "shown on every device (at most 64 characters). " DEVICE_NAMED,
	        .min_args = 2,
	        .max_args = 2,
	        .args_usage = "give the device and its new description",
	        .reach = MESH_CLI_REACH_SESSION,
	        .call = device_change_call,
	};

	return device_change(argc, argv, globals, &spec);
}

static int
device_promote(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "device promote",
	        .params = "DEVICE",
	        .description = "Makes DEVICE an administration device: it can then change the "
	                       "profile, accept devices and store passwords. This changes the "
	                       "master profile, so it runs on the device that holds the master "
	                       "keys. " DEVICE_NAMED,
	        .min_args = 1,
	        .max_args = 1,
	        .args_usage = "give the device to promote",
	        .reach = MESH_CLI_REACH_SESSION,
	        .call = device_change_call,
	};

	return device_change(argc, argv, globals, &spec);
}

static int
device_demote(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "device demote",
	        .params = "DEVICE",
	        .description = "Makes DEVICE no longer an administration device (never the last "
	                       "one, nor this device). It runs on the device that holds the master "
	                       "keys. " DEVICE_NAMED,
	        .min_args = 1,
	        .max_args = 1,
	        .args_usage = "give the device to demote",
	        .reach = MESH_CLI_REACH_SESSION,
	        .call = device_change_call,
	};

	return device_change(argc, argv, globals, &spec);
}

static int
device_remove_check(MeshCliCall *c)
{
	const gboolean *yes = c->data;

	if (!*yes)
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE,
		                      "removing a device cannot be undone (it can never join again): "
		                      "give --yes to go on");
	return 0;
}

void
mesh_cli_print_removal(JsonBuilder *b, const MeshClientRemoval *r)
{
	g_auto(MeshCliEscapes) esc = {0};

	if (b != NULL) {
		mesh_cli_json_string(b, "Removed", r->identifier);
		mesh_cli_json_string(b, "Description", r->description);
		mesh_cli_json_bool(b, "Administration", r->administration);
		mesh_cli_json_begin_array(b, "Logins");
		for (size_t i = 0; i < r->n_logins; i++) {
			json_builder_begin_object(b);
			mesh_cli_json_string(b, "Site", r->logins[i].site);
			mesh_cli_json_string(b, "Username", r->logins[i].username);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		mesh_cli_json_begin_array(b, "Applications");
		for (size_t i = 0; i < r->n_applications; i++)
			json_builder_add_string_value(b, r->applications[i]);
		json_builder_end_array(b);
		return;
	}
	printf("Removed %s%s%s%s from the profile: the portal refuses it from now on, and what is "
	       "stored from now on is not sealed to it.\n",
	       mesh_cli_escape(&esc, r->identifier), r->description != NULL ? " (" : "",
	       r->description != NULL ? mesh_cli_escape(&esc, r->description) : "",
	       r->description != NULL ? ")" : "");
	if (r->n_logins + r->n_applications > 0)
		printf("It could read these until now: change them.\n");
	for (size_t i = 0; i < r->n_logins; i++)
		printf("  password     %s  %s\n", mesh_cli_escape(&esc, r->logins[i].site),
		       mesh_cli_escape(&esc, r->logins[i].username));
	for (size_t i = 0; i < r->n_applications; i++)
		printf("  application  %s\n", mesh_cli_escape(&esc, r->applications[i]));
}

static MeshError
device_remove_call(MeshCliCall *c)
{
	MeshClientRemoval *r = NULL;
	MeshError code = mesh_client_device_remove(c->client, c->account, c->argv[1], &r);

	if (code == MESH_ERROR_OK)
		mesh_cli_print_removal(mesh_cli_call_json(c), r);
	mesh_client_removal_free(r);
	return code;
}

static int
device_remove(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "device remove",
	        .params = "DEVICE --yes",
	        .description = "On an administration device: takes DEVICE out of the profile for "
	                       "good (a lost or sold device). Every application is sealed again "
	                       "to the devices that remain, its SSH key leaves the SSH profile, "
	                       "the portal refuses whatever it signs, and its next sync deletes "
	                       "its copy of the account. Lists the passwords and applications it "
	                       "could read until now: change them. Removing an administration "
	                       "device runs on the device that holds the master keys. " DEVICE_NAMED,
	        .min_args = 1,
	        .max_args = 1,
	        .args_usage = "give the device to remove",
	        .reach = MESH_CLI_REACH_SESSION,
	        .check = device_remove_check,
	        .call = device_remove_call,
	};
	gboolean yes = FALSE;
	MeshCliCall c = {.data = &yes};
	const GOptionEntry entries[] = {
	        {"yes", 0, 0, G_OPTION_ARG_NONE, &yes,
	         "Really remove the device (it cannot be undone)", NULL},
	        MESH_CLI_ACCOUNT_OPTION(c.account),
	        MESH_CLI_PORTAL_OPTIONS(c.portal, c.portal_ca),
	        G_OPTION_ENTRY_NULL,
	};

	return mesh_cli_run(globals, &spec, &c, entries, argc, argv);
}

int
mesh_cmd_device(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliSub subs[] = {
		{ "create", device_create },
		{ "show", device_show },
		{ "list", device_list },
		{ "rename", device_rename },
		{ "promote", device_promote },
		{ "demote", device_demote },
		{ "remove", device_remove },
		{ NULL, NULL },
	};

	return mesh_cli_dispatch(
		argc, argv, globals, "device", subs,
		"Usage: mesh [--hive H] device create [--description TEXT]\n"
		"                                     [--protect | --passphrase-file FILE]\n"
		"                                     [--keystore STORE]\n"
		"       mesh [--hive H] device show [UDF]\n"
		"       mesh [--hive H] device list [--local] [--account A]\n"
		"       mesh device rename DEVICE TEXT [--account A]\n"
		"       mesh device promote DEVICE [--account A]\n"
		"       mesh device demote DEVICE [--account A]\n"
		"       mesh device remove DEVICE --yes [--account A]\n"
		"\n"
		"This machine's device profiles (each has a signature, an authentication and an\n"
		"encryption key, held by the agent), and the devices of an account's profile.\n"
		"'mesh device SUBCOMMAND --help' gives details.\n");
}
