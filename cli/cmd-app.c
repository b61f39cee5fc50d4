/* SPDX-License-Identifier: MIT */
/* mesh app: the application profiles of an account (generic ones made and edited here). */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "verbs.h"

/* Largest --json-file read. */
#define APP_DATA_MAX (256 * 1024)

static MeshError
app_list_call(MeshCliCall *c)
{
	g_auto(MeshCliEscapes) esc = {0};
	MeshClientApp *apps = NULL;
	size_t n = 0;
	MeshError code = mesh_client_app_list(c->client, c->account, &apps, &n);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL) {
		mesh_cli_json_begin_array(c->json, "Applications");
		for (size_t i = 0; i < n; i++) {
			json_builder_begin_object(c->json);
			mesh_cli_json_string(c->json, "Identifier", apps[i].identifier);
			mesh_cli_json_string(c->json, "Type", apps[i].type);
			mesh_cli_json_string(c->json, "Friendly", apps[i].friendly);
			json_builder_end_object(c->json);
		}
		json_builder_end_array(c->json);
	} else if (code == MESH_ERROR_OK) {
		for (size_t i = 0; i < n; i++)
			printf("%s  %s%s%s\n", mesh_cli_escape(&esc, apps[i].identifier),
			       mesh_cli_escape(&esc, apps[i].type), apps[i].friendly ? "  " : "",
			       apps[i].friendly ? mesh_cli_escape(&esc, apps[i].friendly) : "");
	}
	mesh_client_apps_free(apps, n);
	return code;
}

static int
app_list(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "app list",
	        .params = "",
	        .description = "Lists the account's applications.",
	        .reach = MESH_CLI_REACH_SESSION,
	        .call = app_list_call,
	        .options = MESH_CLI_OPTIONS_ACCOUNT,
	};
	return mesh_cli_run_simple(globals, &spec, NULL, argc, argv);
}

static int
app_add_check(MeshCliCall *c)
{
	if (c->argc != 3 || !g_str_equal(c->argv[1], "generic"))
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE,
		                      "give the type 'generic' and a name");
	return 0;
}

static MeshError
app_add_call(MeshCliCall *c)
{
	g_auto(MeshCliEscapes) esc = {0};
	char *identifier = NULL;
	MeshError code =
	        mesh_client_app_add_generic(c->client, c->account, c->argv[2], &identifier);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL) {
		mesh_cli_json_string(c->json, "Identifier", identifier);
		mesh_cli_json_string(c->json, "Friendly", c->argv[2]);
	} else if (code == MESH_ERROR_OK) {
		printf("Added %s (%s)\n", mesh_cli_escape(&esc, c->argv[2]),
		       mesh_cli_escape(&esc, identifier));
	}
	if (code == MESH_ERROR_OK)
		mesh_cli_report_queued(c, stdout);
	mesh_client_free(identifier);
	return code;
}

static int
app_add(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "app add",
	        .params = "generic NAME",
	        .description = "Adds a generic application profile named NAME (data {}), sealed "
	                       "to every device of the profile.",
	        .max_args = 2,
	        .reach = MESH_CLI_REACH_SESSION,
	        .check = app_add_check,
	        .call = app_add_call,
	        .options = MESH_CLI_OPTIONS_ACCOUNT_PORTAL,
	};
	return mesh_cli_run_simple(globals, &spec, NULL, argc, argv);
}

/* app set: the --json-file FILE and, once checked, the data read from it. */
typedef struct {
	char *file;
	char *data;
	gsize len;
} AppSet;

static int
app_set_check(MeshCliCall *c)
{
	g_autoptr(GError) error = NULL;
	AppSet *set = c->data;

	if (c->argc != 2 || set->file == NULL)
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE,
		                      "give the application's name and --json-file FILE");
	if (g_str_equal(set->file, "-")) {
		GString *s = g_string_new(NULL);
		char buf[4096];
		size_t r;

		while ((r = fread(buf, 1, sizeof buf, stdin)) > 0 && s->len <= APP_DATA_MAX)
			g_string_append_len(s, buf, (gssize)r);
		OPENSSL_cleanse(buf, sizeof buf);
		set->len = s->len;
		set->data = g_string_free(s, FALSE);
	} else if (!g_file_get_contents(set->file, &set->data, &set->len, &error)) {
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_IO, "%s", error->message);
	}
	if (set->len > APP_DATA_MAX || strlen(set->data) != set->len)
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_INVALID_ARGUMENT,
		                      "%s: the data must be JSON text of at most %d bytes",
		                      set->file, APP_DATA_MAX);
	return 0;
}

static MeshError
app_set_call(MeshCliCall *c)
{
	g_auto(MeshCliEscapes) esc = {0};
	AppSet *set = c->data;
	MeshError code = mesh_client_app_set(c->client, c->account, c->argv[1], set->data);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL)
		mesh_cli_json_string(c->json, "Updated", c->argv[1]);
	else if (code == MESH_ERROR_OK)
		printf("Updated %s\n", mesh_cli_escape(&esc, c->argv[1]));
	if (code == MESH_ERROR_OK)
		mesh_cli_report_queued(c, stdout);
	return code;
}

static int
app_set(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "app set",
	        .params = "NAME --json-file FILE",
	        .description = "Replaces the data of the generic application NAME.",
	        .max_args = 1,
	        .reach = MESH_CLI_REACH_SESSION,
	        .check = app_set_check,
	        .call = app_set_call,
	};
	AppSet set = {0};
	MeshCliCall c = {.data = &set};
	const GOptionEntry entries[] = {
	        {"json-file", 0, 0, G_OPTION_ARG_FILENAME, &set.file,
	         "The application's new data: JSON in FILE ('-': standard input)", "FILE"},
	        MESH_CLI_ACCOUNT_OPTION(c.account),
	        MESH_CLI_PORTAL_OPTIONS(c.portal, c.portal_ca),
	        G_OPTION_ENTRY_NULL,
	};
	int status = mesh_cli_run(globals, &spec, &c, entries, argc, argv);

	if (set.data != NULL)
		OPENSSL_cleanse(set.data, set.len);
	g_free(set.data);
	return status;
}

static MeshError
app_get_call(MeshCliCall *c)
{
	char *json = NULL;
	MeshError code = mesh_client_app_get(c->client, c->account, c->argv[1], &json);

	/* The plaintext is JSON already: printed as it is, with or without --json (to a
	 * terminal only when it holds nothing a terminal would act on). */
	if (code == MESH_ERROR_OK)
		c->status = mesh_cli_print_secret(c->globals, c->verb, "application's data", json);
	mesh_client_secret_free(json);
	return code;
}

static int
app_get(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "app get",
	        .params = "NAME",
	        .description = "Prints the decrypted data of the application NAME: "
	                       "{\"GenericProfile\": {\"Name\", \"Data\"}}.",
	        .min_args = 1,
	        .max_args = 1,
	        .args_usage = "give the application's name",
	        .reach = MESH_CLI_REACH_SESSION,
	        .out = MESH_CLI_OUT_OWN,
	        .call = app_get_call,
	        .options = MESH_CLI_OPTIONS_ACCOUNT,
	};
	return mesh_cli_run_simple(globals, &spec, NULL, argc, argv);
}

static int
app_delete_check(MeshCliCall *c)
{
	const gboolean *yes = c->data;

	if (!*yes)
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE,
		                      "deleting %s and its data cannot be undone: give --yes to go "
		                      "on",
		                      c->argv[1]);
	return 0;
}

static MeshError
app_delete_call(MeshCliCall *c)
{
	g_auto(MeshCliEscapes) esc = {0};
	MeshError code = mesh_client_app_delete(c->client, c->account, c->argv[1]);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL)
		mesh_cli_json_string(c->json, "Deleted", c->argv[1]);
	else if (code == MESH_ERROR_OK)
		printf("Deleted %s\n", mesh_cli_escape(&esc, c->argv[1]));
	if (code == MESH_ERROR_OK)
		mesh_cli_report_queued(c, stdout);
	return code;
}

static int
app_delete(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "app delete",
	        .params = "NAME --yes",
	        .description = "Deletes the generic application NAME and its data from the "
	                       "profile, on every device once it syncs. The password and SSH "
	                       "profiles are the Mesh's own and are refused (exit status 11).",
	        .min_args = 1,
	        .max_args = 1,
	        .args_usage = "give the application's name",
	        .reach = MESH_CLI_REACH_SESSION,
	        .check = app_delete_check,
	        .call = app_delete_call,
	};
	gboolean yes = FALSE;
	MeshCliCall c = {.data = &yes};
	const GOptionEntry entries[] = {
	        {"yes", 0, 0, G_OPTION_ARG_NONE, &yes,
	         "Really delete the application and its data (it cannot be undone)", NULL},
	        MESH_CLI_ACCOUNT_OPTION(c.account),
	        MESH_CLI_PORTAL_OPTIONS(c.portal, c.portal_ca),
	        G_OPTION_ENTRY_NULL,
	};

	return mesh_cli_run(globals, &spec, &c, entries, argc, argv);
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
