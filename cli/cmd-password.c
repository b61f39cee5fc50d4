/* SPDX-License-Identifier: MIT */
/* mesh password: the account's password profile: logins (a site and a user name) and their
 * passwords. A site may hold several logins. */
#include <stdio.h>

#include "verbs.h"

/* password add (@set FALSE) and password set (@set TRUE). */
static int
password_store(int argc, char **argv, const MeshCliGlobals *globals, gboolean set)
{
	const char *verb = set ? "password set" : "password add";
	g_autofree char *portal = NULL, *portal_ca = NULL, *account = NULL;
	gboolean generate = FALSE, replace = FALSE;
	const GOptionEntry entries[] = {
	        {"replace", 0, 0, G_OPTION_ARG_NONE, &replace,
	         "Replace the password when the login is stored already", NULL},
	        {"generate", 0, 0, G_OPTION_ARG_NONE, &generate,
	         "Generate a random password (printed)", NULL},
	        MESH_CLI_ACCOUNT_OPTION(account),
	        MESH_CLI_PORTAL_OPTIONS(portal, portal_ca),
	        G_OPTION_ENTRY_NULL,
	};
	g_autoptr(MeshSecret) typed = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(MeshCliEscapes) esc = {0};
	MeshClient *client = NULL;
	const char *password = NULL;
	char *generated = NULL;
	MeshError code = MESH_ERROR_NOT_FOUND;
	gboolean changed;
	int status = 0;

	if (!mesh_cli_parse_verb(
	            globals, verb, "SITE USERNAME [PASSWORD | --generate]",
	            set ? "Changes the password of the login USERNAME at SITE, which "
	                  "must be stored. Without PASSWORD or --generate it is read "
	                  "from the terminal (or one line of standard input)."
	                : "Stores a new login: USERNAME at SITE and its password. A site "
	                  "may hold several logins; a login stored already is refused "
	                  "unless --replace is given ('mesh password set' changes it). "
	                  "Without PASSWORD or --generate the password is read from the "
	                  "terminal (or one line of standard input).",
	            set ? entries + 1 : entries, 3, &argc, &argv, &status))
		return status;
	if (argc < 3 || argc > 4 || (argc == 4 && generate))
		return mesh_cli_failf(globals, verb, MESH_ERROR_USAGE,
		                      "give SITE USERNAME and a PASSWORD or --generate (not both)");
	if (argc == 4) {
		password = argv[3];
	} else if (!generate) {
		typed = mesh_cli_read_passphrase("Password: ", TRUE, &error);
		if (typed == NULL)
			return mesh_cli_fail(globals, verb, error);
		password = (const char *)mesh_secret_get(typed);
	}
	status = mesh_cli_session_connect(globals, verb, portal, portal_ca, &client);
	if (status != 0)
		return status;
	/* --replace: change the login if it is stored (the agent says so), else add it. */
	if (set || replace)
		code = mesh_client_password_set(client, account, argv[1], argv[2], password,
		                                generate ? &generated : NULL);
	changed = code == MESH_ERROR_OK;
	if (code == MESH_ERROR_NOT_FOUND && !set)
		code = mesh_client_password_add(client, account, argv[1], argv[2], password,
		                                generate ? &generated : NULL);
	if (code != MESH_ERROR_OK) {
		status = mesh_cli_client_fail(globals, verb, client, code);
	} else if (globals->json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		mesh_cli_json_string(b, "Site", argv[1]);
		mesh_cli_json_string(b, "Username", argv[2]);
		mesh_cli_json_string(b, "Password", generated);
		json_builder_set_member_name(b, "Replaced");
		json_builder_add_boolean_value(b, changed);
		json_builder_end_object(b);
		mesh_cli_print_secret_json(json_builder_get_root(b));
	} else if (generated != NULL) {
		status = mesh_cli_print_secret(globals, verb, "password", generated);
	} else {
		printf("%s the password of %s at %s\n", changed ? "Changed" : "Stored",
		       mesh_cli_escape(&esc, argv[2]), mesh_cli_escape(&esc, argv[1]));
	}
	fflush(stdout);
	mesh_client_secret_free(generated);
	mesh_client_close(client);
	return status;
}

static int
password_add(int argc, char **argv, const MeshCliGlobals *globals)
{
	return password_store(argc, argv, globals, FALSE);
}

static int
password_set(int argc, char **argv, const MeshCliGlobals *globals)
{
	return password_store(argc, argv, globals, TRUE);
}

static int
password_get(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autofree char *account = NULL, *user = NULL;
	const GOptionEntry entries[] = {
	        {"user", 0, 0, G_OPTION_ARG_STRING, &user,
	         "The login's user name (needed when SITE has logins of several)", "USERNAME"},
	        MESH_CLI_ACCOUNT_OPTION(account),
	        G_OPTION_ENTRY_NULL,
	};
	MeshClient *client = NULL;
	char *username = NULL, *password = NULL;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "password get", "SITE [--user USERNAME]",
	                         "Prints the password stored for SITE (--json: with the user "
	                         "name). A site with logins of several user names needs --user.",
	                         entries, 1, &argc, &argv, &status))
		return status;
	if (argc != 2)
		return mesh_cli_failf(globals, "password get", MESH_ERROR_USAGE, "give the site");
	status = mesh_cli_session_connect(globals, "password get", NULL, NULL, &client);
	if (status != 0)
		return status;
	code = mesh_client_password_get_login(client, account, argv[1], user, &username, &password);
	if (code != MESH_ERROR_OK) {
		status = mesh_cli_client_fail(globals, "password get", client, code);
	} else if (globals->json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		mesh_cli_json_string(b, "Site", argv[1]);
		mesh_cli_json_string(b, "Username", username);
		mesh_cli_json_string(b, "Password", password);
		json_builder_end_object(b);
		mesh_cli_print_secret_json(json_builder_get_root(b));
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
	        MESH_CLI_ACCOUNT_OPTION(account),
	        G_OPTION_ENTRY_NULL,
	};
	MeshClientLogin *logins = NULL;
	MeshClient *client = NULL;
	size_t n = 0;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "password list", "",
	                         "Lists every login: its site and user name, one a line.", entries,
	                         0, &argc, &argv, &status))
		return status;
	status = mesh_cli_session_connect(globals, "password list", NULL, NULL, &client);
	if (status != 0)
		return status;
	code = mesh_client_password_logins(client, account, &logins, &n);
	if (code != MESH_ERROR_OK) {
		status = mesh_cli_client_fail(globals, "password list", client, code);
	} else if (globals->json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "Logins");
		json_builder_begin_array(b);
		for (size_t i = 0; i < n; i++) {
			json_builder_begin_object(b);
			mesh_cli_json_string(b, "Site", logins[i].site);
			mesh_cli_json_string(b, "Username", logins[i].username);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		json_builder_end_object(b);
		mesh_cli_print_json(json_builder_get_root(b));
	} else {
		g_auto(MeshCliEscapes) esc = {0};

		for (size_t i = 0; i < n; i++)
			printf("%s  %s\n", mesh_cli_escape(&esc, logins[i].site),
			       mesh_cli_escape(&esc, logins[i].username));
	}
	mesh_client_logins_free(logins, n);
	mesh_client_close(client);
	return status;
}

static int
password_delete(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autofree char *portal = NULL, *portal_ca = NULL, *account = NULL, *user = NULL;
	const GOptionEntry entries[] = {
	        {"user", 0, 0, G_OPTION_ARG_STRING, &user,
	         "The login's user name (needed when SITE has logins of several)", "USERNAME"},
	        MESH_CLI_ACCOUNT_OPTION(account),
	        MESH_CLI_PORTAL_OPTIONS(portal, portal_ca),
	        G_OPTION_ENTRY_NULL,
	};
	MeshClient *client = NULL;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "password delete", "SITE [--user USERNAME]",
	                         "Removes the login at exactly SITE (of USERNAME: needed when SITE "
	                         "has logins of several user names).",
	                         entries, 1, &argc, &argv, &status))
		return status;
	if (argc != 2)
		return mesh_cli_failf(globals, "password delete", MESH_ERROR_USAGE,
		                      "give the site");
	status = mesh_cli_session_connect(globals, "password delete", portal, portal_ca, &client);
	if (status != 0)
		return status;
	code = mesh_client_password_delete_login(client, account, argv[1], user);
	if (code != MESH_ERROR_OK)
		status = mesh_cli_client_fail(globals, "password delete", client, code);
	else if (globals->json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		mesh_cli_json_string(b, "Deleted", argv[1]);
		mesh_cli_json_string(b, "Username", user);
		json_builder_end_object(b);
		mesh_cli_print_json(json_builder_get_root(b));
	} else {
		g_auto(MeshCliEscapes) esc = {0};

		if (user != NULL)
			printf("Deleted the password of %s at %s\n", mesh_cli_escape(&esc, user),
			       mesh_cli_escape(&esc, argv[1]));
		else
			printf("Deleted the password for %s\n", mesh_cli_escape(&esc, argv[1]));
	}
	mesh_client_close(client);
	return status;
}

int
mesh_cmd_password(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliSub subs[] = {
	        {"add", password_add},   {"set", password_set},       {"get", password_get},
	        {"list", password_list}, {"delete", password_delete}, {NULL, NULL},
	};

	return mesh_cli_dispatch(argc, argv, globals, "password", subs,
	                         "Usage: mesh password add SITE USERNAME [PASSWORD | --generate] "
	                         "[--replace]\n"
	                         "       mesh password set SITE USERNAME [PASSWORD | --generate]\n"
	                         "       mesh password get SITE [--user USERNAME]\n"
	                         "       mesh password list\n"
	                         "       mesh password delete SITE [--user USERNAME]\n"
	                         "\n"
	                         "The account's logins (a site and a user name; a site may hold "
	                         "several) and\n"
	                         "their passwords, sealed to every device of the profile.\n"
	                         "All take --account A (default: the default account).\n");
}
