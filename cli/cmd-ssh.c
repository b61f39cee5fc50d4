/* SPDX-License-Identifier: MIT */
/* mesh ssh: this device's SSH key, the account's authorized keys, the ssh-agent socket. */
#include <stdio.h>

#include "verbs.h"

static MeshError
ssh_create_call(MeshCliCall *c)
{
	g_auto(MeshCliEscapes) esc = {0};
	char *udf = NULL, *line = NULL;
	MeshError code = mesh_client_ssh_create(c->client, c->account,
	                                        mesh_cli_secret_text(c->passphrase), &udf, &line);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL) {
		mesh_cli_json_string(c->json, "UDF", udf);
		mesh_cli_json_string(c->json, "PublicKey", line);
	} else if (code == MESH_ERROR_OK) {
		printf("%s\n", mesh_cli_escape(&esc, line));
	}
	mesh_client_free(udf);
	mesh_client_free(line);
	return code;
}

static int
ssh_create(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "ssh create",
	        .params = "",
	        .description = "Makes this device's SSH key for the account and publishes it; "
	                       "prints its public key line. An administration device lists it in "
	                       "the account's SSHProfile at once, another device once an "
	                       "administration device runs 'mesh profile sync'.",
	        .reach = MESH_CLI_REACH_SESSION,
	        .makes_keys = TRUE,
	        .call = ssh_create_call,
	};
	MeshCliCall c = {0};
	const GOptionEntry entries[] = {
	        MESH_CLI_ACCOUNT_OPTION(c.account),
	        MESH_CLI_KEYSTORE_OPTION(c.keystore),
	        MESH_CLI_PROTECT_OPTIONS(c.protect, c.passphrase_file),
	        MESH_CLI_PORTAL_OPTIONS(c.portal, c.portal_ca),
	        G_OPTION_ENTRY_NULL,
	};

	return mesh_cli_run(globals, &spec, &c, entries, argc, argv);
}

static MeshError
ssh_rotate_call(MeshCliCall *c)
{
	g_auto(MeshCliEscapes) esc = {0};
	char *udf = NULL, *line = NULL, *old = NULL;
	MeshError code = mesh_client_ssh_rotate(c->client, c->account, &udf, &line, &old);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL) {
		mesh_cli_json_string(c->json, "UDF", udf);
		mesh_cli_json_string(c->json, "PublicKey", line);
		mesh_cli_json_string(c->json, "OldUDF", old);
	} else if (code == MESH_ERROR_OK) {
		printf("Replaced the SSH key %s with %s; its public key line:\n",
		       mesh_cli_escape(&esc, old), mesh_cli_escape(&esc, udf));
		printf("%s\n", mesh_cli_escape(&esc, line));
	}
	mesh_client_free(udf);
	mesh_client_free(line);
	mesh_client_free(old);
	return code;
}

static int
ssh_rotate(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "ssh rotate",
	        .params = "",
	        .description = "Replaces this device's SSH key for the account with a new one in "
	                       "the same key store and publishes it; the old key leaves the "
	                       "account's SSHProfile (at once on an administration device, else "
	                       "once an administration device runs 'mesh profile sync') and the "
	                       "key store, and the agent's ssh-agent socket serves the new one. "
	                       "Refresh authorized_keys files from 'mesh ssh authorized-keys'.",
	        .reach = MESH_CLI_REACH_SESSION,
	        .call = ssh_rotate_call,
	        .options = MESH_CLI_OPTIONS_ACCOUNT_PORTAL,
	};
	return mesh_cli_run_simple(globals, &spec, NULL, argc, argv);
}

static MeshError
ssh_authorized_keys_call(MeshCliCall *c)
{
	g_auto(MeshCliEscapes) esc = {0};
	MeshClientSshKey *keys = NULL;
	size_t n = 0;
	MeshError code = mesh_client_ssh_authorized_keys(c->client, c->account, &keys, &n);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL) {
		mesh_cli_json_begin_array(c->json, "Keys");
		for (size_t i = 0; i < n; i++) {
			json_builder_begin_object(c->json);
			mesh_cli_json_string(c->json, "DeviceUDF", keys[i].device_udf);
			mesh_cli_json_string(c->json, "PublicKey", keys[i].public_key);
			json_builder_end_object(c->json);
		}
		json_builder_end_array(c->json);
	} else if (code == MESH_ERROR_OK) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", mesh_cli_escape(&esc, keys[i].public_key));
	}
	mesh_client_ssh_keys_free(keys, n);
	return code;
}

static int
ssh_authorized_keys(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "ssh authorized-keys",
	        .params = "",
	        .description = "Prints the account's SSH keys, one authorized_keys line per "
	                       "device, as this device holds them ('mesh profile sync' first).",
	        .reach = MESH_CLI_REACH_SESSION,
	        .call = ssh_authorized_keys_call,
	        .options = MESH_CLI_OPTIONS_ACCOUNT,
	};
	return mesh_cli_run_simple(globals, &spec, NULL, argc, argv);
}

static MeshError
ssh_socket_call(MeshCliCall *c)
{
	char *path = NULL;
	MeshError code = mesh_client_ssh_socket(c->client, &path);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL)
		mesh_cli_json_string(c->json, "Socket", path);
	else if (code == MESH_ERROR_OK)
		printf("%s\n", path);
	mesh_client_free(path);
	return code;
}

static int
ssh_socket(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "ssh socket",
	        .params = "",
	        .description = "Prints the path of the agent's ssh-agent socket (starting the "
	                       "agent when it is not running): export SSH_AUTH_SOCK=$(mesh ssh "
	                       "socket)",
	        .call = ssh_socket_call,
	};
	return mesh_cli_run_simple(globals, &spec, NULL, argc, argv);
}

int
mesh_cmd_ssh(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliSub subs[] = {
		{ "create", ssh_create },
		{ "rotate", ssh_rotate },
		{ "authorized-keys", ssh_authorized_keys },
		{ "socket", ssh_socket },
		{ NULL, NULL },
	};

	return mesh_cli_dispatch(argc, argv, globals, "ssh", subs,
				 "Usage: mesh ssh create [--account A] [--keystore STORE] [--protect]\n"
				 "       mesh ssh rotate [--account A]\n"
				 "       mesh ssh authorized-keys [--account A]\n"
				 "       mesh ssh socket\n"
				 "\n"
				 "Each device makes its own SSH key (it never leaves the device's key\n"
				 "store) and publishes the public key; an administration device lists\n"
				 "the keys of all devices in the account's SSHProfile when it syncs.\n"
				 "rotate replaces this device's key with a new one and retires the old.\n"
				 "authorized-keys prints them for ~/.ssh/authorized_keys; socket prints\n"
				 "the agent's ssh-agent socket: export SSH_AUTH_SOCK=$(mesh ssh socket)\n");
}
