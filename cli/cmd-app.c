/* SPDX-License-Identifier: MIT */
/* mesh app: the application profiles of an account (generic ones made and edited here). */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "verbs.h"

/* Largest --json-file read. */
#define APP_DATA_MAX (256 * 1024)

static int
app_list(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autofree char *account = NULL;
	const GOptionEntry entries[] = {
		MESH_CLI_ACCOUNT_OPTION(account),
		G_OPTION_ENTRY_NULL,
	};
	MeshClientApp *apps = NULL;
	MeshClient *client = NULL;
	size_t n = 0;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "app list", "", "Lists the account's applications.",
				 entries, 0, &argc, &argv, &status))
		return status;
	status = mesh_cli_session_connect(globals, "app list", NULL, NULL, &client);
	if (status != 0)
		return status;
	code = mesh_client_app_list(client, account, &apps, &n);
	if (code != MESH_ERROR_OK) {
		status = mesh_cli_client_fail(globals, "app list", client, code);
	} else if (globals->json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "Applications");
		json_builder_begin_array(b);
		for (size_t i = 0; i < n; i++) {
			json_builder_begin_object(b);
			mesh_cli_json_string(b, "Identifier", apps[i].identifier);
			mesh_cli_json_string(b, "Type", apps[i].type);
			mesh_cli_json_string(b, "Friendly", apps[i].friendly);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		json_builder_end_object(b);
		mesh_cli_print_json(json_builder_get_root(b));
	} else {
		g_auto(MeshCliEscapes) esc = { 0 };

		for (size_t i = 0; i < n; i++)
			printf("%s  %s%s%s\n", mesh_cli_escape(&esc, apps[i].identifier),
			       mesh_cli_escape(&esc, apps[i].type), apps[i].friendly ? "  " : "",
			       apps[i].friendly ? mesh_cli_escape(&esc, apps[i].friendly) : "");
	}
	mesh_client_apps_free(apps, n);
	mesh_client_close(client);
	return status;
}

static int
app_add(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autofree char *portal = NULL, *portal_ca = NULL, *account = NULL;
	const GOptionEntry entries[] = {
		MESH_CLI_ACCOUNT_OPTION(account),
		MESH_CLI_PORTAL_OPTIONS(portal, portal_ca),
		G_OPTION_ENTRY_NULL,
	};
	MeshClient *client = NULL;
	char *identifier = NULL;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "app add", "generic NAME",
				 "Adds a generic application profile named NAME (data {}), sealed "
				 "to every device of the profile.",
				 entries, 2, &argc, &argv, &status))
		return status;
	if (argc != 3 || !g_str_equal(argv[1], "generic"))
		return mesh_cli_failf(globals, "app add", MESH_ERROR_USAGE,
				      "give the type 'generic' and a name");
	status = mesh_cli_session_connect(globals, "app add", portal, portal_ca, &client);
	if (status != 0)
		return status;
	code = mesh_client_app_add_generic(client, account, argv[2], &identifier);
	if (code != MESH_ERROR_OK) {
		status = mesh_cli_client_fail(globals, "app add", client, code);
	} else if (globals->json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		mesh_cli_json_string(b, "Identifier", identifier);
		mesh_cli_json_string(b, "Friendly", argv[2]);
		json_builder_end_object(b);
		mesh_cli_print_json(json_builder_get_root(b));
	} else {
		g_auto(MeshCliEscapes) esc = { 0 };

		printf("Added %s (%s)\n", mesh_cli_escape(&esc, argv[2]),
		       mesh_cli_escape(&esc, identifier));
	}
	mesh_client_free(identifier);
	mesh_client_close(client);
	return status;
}

static int
app_set(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autofree char *portal = NULL, *portal_ca = NULL, *account = NULL, *file = NULL;
	const GOptionEntry entries[] = {
		{ "json-file", 0, 0, G_OPTION_ARG_FILENAME, &file,
		  "The application's new data: JSON in FILE ('-': standard input)", "FILE" },
		MESH_CLI_ACCOUNT_OPTION(account),
		MESH_CLI_PORTAL_OPTIONS(portal, portal_ca),
		G_OPTION_ENTRY_NULL,
	};
	g_autoptr(GError) error = NULL;
	g_auto(MeshCliEscapes) esc = { 0 };
	MeshClient *client = NULL;
	char *data = NULL;
	gsize len = 0;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "app set", "NAME --json-file FILE",
				 "Replaces the data of the generic application NAME.", entries, 1,
				 &argc, &argv, &status))
		return status;
	if (argc != 2 || file == NULL)
		return mesh_cli_failf(globals, "app set", MESH_ERROR_USAGE,
				      "give the application's name and --json-file FILE");
	if (g_str_equal(file, "-")) {
		GString *s = g_string_new(NULL);
		char buf[4096];
		size_t r;

		while ((r = fread(buf, 1, sizeof buf, stdin)) > 0 && s->len <= APP_DATA_MAX)
			g_string_append_len(s, buf, (gssize)r);
		OPENSSL_cleanse(buf, sizeof buf);
		len = s->len;
		data = g_string_free(s, FALSE);
	} else if (!g_file_get_contents(file, &data, &len, &error)) {
		return mesh_cli_failf(globals, "app set", MESH_ERROR_IO, "%s", error->message);
	}
	if (len > APP_DATA_MAX || strlen(data) != len) {
		OPENSSL_cleanse(data, len);
		g_free(data);
		return mesh_cli_failf(globals, "app set", MESH_ERROR_INVALID_ARGUMENT,
				      "%s: the data must be JSON text of at most %d bytes", file,
				      APP_DATA_MAX);
	}
	status = mesh_cli_session_connect(globals, "app set", portal, portal_ca, &client);
	if (status == 0) {
		code = mesh_client_app_set(client, account, argv[1], data);
		if (code != MESH_ERROR_OK)
			status = mesh_cli_client_fail(globals, "app set", client, code);
		else if (!globals->json)
			printf("Updated %s\n", mesh_cli_escape(&esc, argv[1]));
		else {
			g_autoptr(JsonBuilder) b = json_builder_new();

			json_builder_begin_object(b);
			mesh_cli_json_string(b, "Updated", argv[1]);
			json_builder_end_object(b);
			mesh_cli_print_json(json_builder_get_root(b));
		}
	}
	OPENSSL_cleanse(data, len);
	g_free(data);
	mesh_client_close(client);
	return status;
}

static int
app_get(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autofree char *account = NULL;
	const GOptionEntry entries[] = {
		MESH_CLI_ACCOUNT_OPTION(account),
		G_OPTION_ENTRY_NULL,
	};
	MeshClient *client = NULL;
	char *json = NULL;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "app get", "NAME",
				 "Prints the decrypted data of the application NAME: "
				 "{\"GenericProfile\": {\"Name\", \"Data\"}}.",
				 entries, 1, &argc, &argv, &status))
		return status;
	if (argc != 2)
		return mesh_cli_failf(globals, "app get", MESH_ERROR_USAGE,
				      "give the application's name");
	status = mesh_cli_session_connect(globals, "app get", NULL, NULL, &client);
	if (status != 0)
		return status;
	code = mesh_client_app_get(client, account, argv[1], &json);
	if (code != MESH_ERROR_OK) {
		status = mesh_cli_client_fail(globals, "app get", client, code);
	} else {
		/* The plaintext is JSON already: printed as it is, with or without --json (to a
		 * terminal only when it holds nothing a terminal would act on). */
		status = mesh_cli_print_secret(globals, "app get", "application's data", json);
	}
	mesh_client_secret_free(json);
	mesh_client_close(client);
	return status;
}

static int
app_delete(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autofree char *portal = NULL, *portal_ca = NULL, *account = NULL;
	gboolean yes = FALSE;
	const GOptionEntry entries[] = {
	        {"yes", 0, 0, G_OPTION_ARG_NONE, &yes,
	         "Really delete the application and its data (it cannot be undone)", NULL},
	        MESH_CLI_ACCOUNT_OPTION(account),
	        MESH_CLI_PORTAL_OPTIONS(portal, portal_ca),
	        G_OPTION_ENTRY_NULL,
	};
	g_auto(MeshCliEscapes) esc = {0};
	MeshClient *client = NULL;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "app delete", "NAME --yes",
	                         "Deletes the generic application NAME and its data from the "
	                         "profile, on every device once it syncs. The password and SSH "
	                         "profiles are the Mesh's own and are refused (exit status 11).",
	                         entries, 1, &argc, &argv, &status))
		return status;
	if (argc != 2)
		return mesh_cli_failf(globals, "app delete", MESH_ERROR_USAGE,
		                      "give the application's name");
	if (!yes)
		return mesh_cli_failf(globals, "app delete", MESH_ERROR_USAGE,
		                      "deleting %s and its data cannot be undone: give --yes to go "
		                      "on",
		                      argv[1]);
	status = mesh_cli_session_connect(globals, "app delete", portal, portal_ca, &client);
	if (status != 0)
		return status;
	code = mesh_client_app_delete(client, account, argv[1]);
	if (code != MESH_ERROR_OK) {
		status = mesh_cli_client_fail(globals, "app delete", client, code);
	} else if (globals->json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		mesh_cli_json_string(b, "Deleted", argv[1]);
		json_builder_end_object(b);
		mesh_cli_print_json(json_builder_get_root(b));
	} else {
		printf("Deleted %s\n", mesh_cli_escape(&esc, argv[1]));
	}
	mesh_client_close(client);
	return status;
}

int
mesh_cmd_app(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliSub subs[] = {
	        {"list", app_list}, {"add", app_add},       {"set", app_set},
	        {"get", app_get},   {"delete", app_delete}, {NULL, NULL},
	};

	return mesh_cli_dispatch(argc, argv, globals, "app", subs,
	                         "Usage: mesh app list [--account A]\n"
	                         "       mesh app add generic NAME [--account A]\n"
	                         "       mesh app set NAME --json-file FILE [--account A]\n"
	                         "       mesh app get NAME [--account A]\n"
	                         "       mesh app delete NAME --yes [--account A]\n"
	                         "\n"
	                         "Application profiles, sealed to every device of the profile.\n");
}
