/* SPDX-License-Identifier: MIT */
/* mesh password: the account's password profile (site, user name, password). */
#include <stdio.h>

#include "verbs.h"

static int
password_add(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autofree char *portal = NULL, *portal_ca = NULL, *account = NULL;
	gboolean generate = FALSE;
	const GOptionEntry entries[] = {
		{ "generate", 0, 0, G_OPTION_ARG_NONE, &generate,
		  "Generate a random password (printed)", NULL },
		{ "account", 0, 0, G_OPTION_ARG_STRING, &account,
		  "The account (default: the default account)", "ACCOUNT" },
		MESH_CLI_PORTAL_OPTIONS(portal, portal_ca),
		G_OPTION_ENTRY_NULL,
	};
	g_autoptr(MeshSecret) typed = NULL;
	g_autoptr(GError) error = NULL;
	MeshClient *client = NULL;
	const char *password = NULL;
	char *generated = NULL;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "password add", "SITE USERNAME [PASSWORD | --generate]",
				 "Stores a password for SITE, replacing the entry for that site. "
				 "Without PASSWORD or --generate it is read from the terminal (or "
				 "one line of standard input).",
				 entries, 3, &argc, &argv, &status))
		return status;
	if (argc < 3 || (argc == 4 && generate))
		return mesh_cli_failf(globals, "password add", MESH_ERROR_USAGE,
				      "give SITE USERNAME and a PASSWORD or --generate (not both)");
	if (argc == 4) {
		password = argv[3];
	} else if (!generate) {
		typed = mesh_cli_read_passphrase("Password: ", TRUE, &error);
		if (typed == NULL)
			return mesh_cli_fail(globals, "password add", error);
		password = (const char *)mesh_secret_get(typed);
	}
	status = mesh_cli_session_connect(globals, "password add", portal, portal_ca, &client);
	if (status != 0)
		return status;
	code = mesh_client_password_add(client, account, argv[1], argv[2], password,
					generate ? &generated : NULL);
	if (code != MESH_ERROR_OK) {
		status = mesh_cli_client_fail(globals, "password add", client, code);
	} else if (globals->json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		mesh_cli_json_string(b, "Site", argv[1]);
		mesh_cli_json_string(b, "Username", argv[2]);
		mesh_cli_json_string(b, "Password", generated);
		json_builder_end_object(b);
		mesh_cli_print_json(json_builder_get_root(b));
	} else if (generated != NULL) {
		status = mesh_cli_print_secret(globals, "password add", "password", generated);
	} else {
		g_auto(MeshCliEscapes) esc = { 0 };

		printf("Stored the password for %s\n", mesh_cli_escape(&esc, argv[1]));
	}
	fflush(stdout);
	mesh_client_secret_free(generated);
	mesh_client_close(client);
	return status;
}

static int
password_get(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autofree char *account = NULL;
	const GOptionEntry entries[] = {
		{ "account", 0, 0, G_OPTION_ARG_STRING, &account,
		  "The account (default: the default account)", "ACCOUNT" },
		G_OPTION_ENTRY_NULL,
	};
	MeshClient *client = NULL;
	char *username = NULL, *password = NULL;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "password get", "SITE",
				 "Prints the password stored for SITE (--json: with the user name).",
				 entries, 1, &argc, &argv, &status))
		return status;
	if (argc != 2)
		return mesh_cli_failf(globals, "password get", MESH_ERROR_USAGE, "give the site");
	status = mesh_cli_session_connect(globals, "password get", NULL, NULL, &client);
	if (status != 0)
		return status;
	code = mesh_client_password_get(client, account, argv[1], &username, &password);
	if (code != MESH_ERROR_OK) {
		status = mesh_cli_client_fail(globals, "password get", client, code);
	} else if (globals->json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		mesh_cli_json_string(b, "Site", argv[1]);
		mesh_cli_json_string(b, "Username", username);
		mesh_cli_json_string(b, "Password", password);
		json_builder_end_object(b);
		mesh_cli_print_json(json_builder_get_root(b));
	} else {
		status = mesh_cli_print_secret(globals, "password get", "password", password);
	}
	fflush(stdout);
	mesh_client_free(username);
	mesh_client_secret_free(password);
	mesh_client_close(client);
	return status;
}

static int
password_list(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autofree char *account = NULL;
	const GOptionEntry entries[] = {
		{ "account", 0, 0, G_OPTION_ARG_STRING, &account,
		  "The account (default: the default account)", "ACCOUNT" },
		G_OPTION_ENTRY_NULL,
	};
	MeshClient *client = NULL;
	char **sites = NULL;
	size_t n = 0;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "password list", "", "Lists the sites with a password.",
				 entries, 0, &argc, &argv, &status))
		return status;
	status = mesh_cli_session_connect(globals, "password list", NULL, NULL, &client);
	if (status != 0)
		return status;
	code = mesh_client_password_list(client, account, &sites, &n);
	if (code != MESH_ERROR_OK) {
		status = mesh_cli_client_fail(globals, "password list", client, code);
	} else if (globals->json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "Sites");
		json_builder_begin_array(b);
		for (size_t i = 0; i < n; i++)
			json_builder_add_string_value(b, sites[i]);
		json_builder_end_array(b);
		json_builder_end_object(b);
		mesh_cli_print_json(json_builder_get_root(b));
	} else {
		g_auto(MeshCliEscapes) esc = { 0 };

		for (size_t i = 0; i < n; i++)
			printf("%s\n", mesh_cli_escape(&esc, sites[i]));
	}
	mesh_client_strings_free(sites, n);
	mesh_client_close(client);
	return status;
}

static int
password_delete(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autofree char *portal = NULL, *portal_ca = NULL, *account = NULL;
	const GOptionEntry entries[] = {
		{ "account", 0, 0, G_OPTION_ARG_STRING, &account,
		  "The account (default: the default account)", "ACCOUNT" },
		MESH_CLI_PORTAL_OPTIONS(portal, portal_ca),
		G_OPTION_ENTRY_NULL,
	};
	MeshClient *client = NULL;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "password delete", "SITE",
				 "Removes the entries for exactly SITE.", entries, 1, &argc, &argv,
				 &status))
		return status;
	if (argc != 2)
		return mesh_cli_failf(globals, "password delete", MESH_ERROR_USAGE,
				      "give the site");
	status = mesh_cli_session_connect(globals, "password delete", portal, portal_ca, &client);
	if (status != 0)
		return status;
	code = mesh_client_password_delete(client, account, argv[1]);
	if (code != MESH_ERROR_OK)
		status = mesh_cli_client_fail(globals, "password delete", client, code);
	else if (globals->json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		mesh_cli_json_string(b, "Deleted", argv[1]);
		json_builder_end_object(b);
		mesh_cli_print_json(json_builder_get_root(b));
	} else {
		g_auto(MeshCliEscapes) esc = { 0 };

		printf("Deleted the password for %s\n", mesh_cli_escape(&esc, argv[1]));
	}
	mesh_client_close(client);
	return status;
}

int
mesh_cmd_password(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliSub subs[] = {
		{ "add", password_add },   { "get", password_get },
		{ "list", password_list }, { "delete", password_delete },
		{ NULL, NULL },
	};

	return mesh_cli_dispatch(argc, argv, globals, "password", subs,
				 "Usage: mesh password add SITE USERNAME [PASSWORD | --generate]\n"
				 "       mesh password get SITE\n"
				 "       mesh password list\n"
				 "       mesh password delete SITE\n"
				 "\n"
				 "The account's passwords, sealed to every device of the profile.\n"
				 "All take --account A (default: the default account).\n");
}
