/* SPDX-License-Identifier: MIT */
/* mesh ssh: this device's SSH key, the account's authorized keys, the ssh-agent socket. */
#include <stdio.h>

#include "verbs.h"

static int
ssh_create(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autofree char *portal = NULL, *portal_ca = NULL, *account = NULL, *keystore = NULL;
	g_autofree char *passphrase_file = NULL;
	gboolean protect = FALSE;
	const GOptionEntry entries[] = {
		MESH_CLI_ACCOUNT_OPTION(account),
		MESH_CLI_KEYSTORE_OPTION(keystore),
		MESH_CLI_PROTECT_OPTIONS(protect, passphrase_file),
		MESH_CLI_PORTAL_OPTIONS(portal, portal_ca),
		G_OPTION_ENTRY_NULL,
	};
	g_autoptr(MeshSecret) passphrase = NULL;
	MeshClient *client = NULL;
	char *udf = NULL, *line = NULL;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "ssh create", "",
				 "Makes this device's SSH key for the account and publishes it; "
				 "prints its public key line. An administration device lists it in "
				 "the account's SSHProfile at once, another device once an "
				 "administration device runs 'mesh profile sync'.",
				 entries, 0, &argc, &argv, &status))
		return status;
	if (!mesh_cli_new_key_passphrase(globals, "ssh create", protect, passphrase_file,
					 &passphrase, &status))
		return status;
	status = mesh_cli_session_connect(globals, "ssh create", portal, portal_ca, &client);
	if (status != 0)
		return status;
	mesh_client_set_keystore(client, keystore);
	code = mesh_client_ssh_create(client, account, mesh_cli_secret_text(passphrase), &udf,
				      &line);
	if (code != MESH_ERROR_OK) {
		status = mesh_cli_client_fail(globals, "ssh create", client, code);
	} else if (globals->json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		mesh_cli_json_string(b, "UDF", udf);
		mesh_cli_json_string(b, "PublicKey", line);
		json_builder_end_object(b);
		mesh_cli_print_json(json_builder_get_root(b));
	} else {
		g_auto(MeshCliEscapes) esc = { 0 };

		printf("%s\n", mesh_cli_escape(&esc, line));
	}
	fflush(stdout);
	mesh_client_free(udf);
	mesh_client_free(line);
	mesh_client_close(client);
	return status;
}

static int
ssh_authorized_keys(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autofree char *account = NULL;
	const GOptionEntry entries[] = {
		MESH_CLI_ACCOUNT_OPTION(account),
		G_OPTION_ENTRY_NULL,
	};
	MeshClient *client = NULL;
	MeshClientSshKey *keys = NULL;
	size_t n = 0;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "ssh authorized-keys", "",
				 "Prints the account's SSH keys, one authorized_keys line per "
				 "device, as this device holds them ('mesh profile sync' first).",
				 entries, 0, &argc, &argv, &status))
		return status;
	status = mesh_cli_session_connect(globals, "ssh authorized-keys", NULL, NULL, &client);
	if (status != 0)
		return status;
	code = mesh_client_ssh_authorized_keys(client, account, &keys, &n);
	if (code != MESH_ERROR_OK) {
		status = mesh_cli_client_fail(globals, "ssh authorized-keys", client, code);
	} else if (globals->json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "Keys");
		json_builder_begin_array(b);
		for (size_t i = 0; i < n; i++) {
			json_builder_begin_object(b);
			mesh_cli_json_string(b, "DeviceUDF", keys[i].device_udf);
			mesh_cli_json_string(b, "PublicKey", keys[i].public_key);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		json_builder_end_object(b);
		mesh_cli_print_json(json_builder_get_root(b));
	} else {
		g_auto(MeshCliEscapes) esc = { 0 };

		for (size_t i = 0; i < n; i++)
			printf("%s\n", mesh_cli_escape(&esc, keys[i].public_key));
	}
	fflush(stdout);
	mesh_client_ssh_keys_free(keys, n);
	mesh_client_close(client);
	return status;
}

static int
ssh_socket(int argc, char **argv, const MeshCliGlobals *globals)
{
	MeshClient *client = NULL;
	char *path = NULL;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "ssh socket", "",
				 "Prints the path of the agent's ssh-agent socket (starting the agent "
				 "when it is not running): export SSH_AUTH_SOCK=$(mesh ssh socket)",
				 mesh_cli_no_options, 0, &argc, &argv, &status))
		return status;
	status = mesh_cli_connect(globals, "ssh socket", NULL, TRUE, &client);
	if (status != 0)
		return status;
	code = mesh_client_ssh_socket(client, &path);
	if (code != MESH_ERROR_OK) {
		status = mesh_cli_client_fail(globals, "ssh socket", client, code);
	} else if (globals->json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		mesh_cli_json_string(b, "Socket", path);
		json_builder_end_object(b);
		mesh_cli_print_json(json_builder_get_root(b));
	} else {
		printf("%s\n", path);
	}
	fflush(stdout);
	mesh_client_free(path);
	mesh_client_close(client);
	return status;
}

int
mesh_cmd_ssh(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliSub subs[] = {
		{ "create", ssh_create },
		{ "authorized-keys", ssh_authorized_keys },
		{ "socket", ssh_socket },
		{ NULL, NULL },
	};

	return mesh_cli_dispatch(argc, argv, globals, "ssh", subs,
				 "Usage: mesh ssh create [--account A] [--keystore STORE] [--protect]\n"
				 "       mesh ssh authorized-keys [--account A]\n"
				 "       mesh ssh socket\n"
				 "\n"
				 "Each device makes its own SSH key (it never leaves the device's key\n"
				 "store) and publishes the public key; an administration device lists\n"
				 "the keys of all devices in the account's SSHProfile when it syncs.\n"
				 "authorized-keys prints them for ~/.ssh/authorized_keys; socket prints\n"
				 "the agent's ssh-agent socket: export SSH_AUTH_SOCK=$(mesh ssh socket)\n");
}
