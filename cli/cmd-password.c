/* SPDX-License-Identifier: MIT */
/* mesh password: the account's password profile: logins (a site and a user name) and their
 * passwords. A site may hold several logins. */
#include <stdio.h>

#include "verbs.h"

/* password add and set: their options and the password. */
typedef struct {
	gboolean set, generate, replace;
	MeshSecret *typed;
	const char *password;
} PasswordStore;

static int
password_store_check(MeshCliCall *c)
{
	g_autoptr(GError) error = NULL;
	PasswordStore *o = c->data;

	if (c->argc < 3 || c->argc > 4 || (c->argc == 4 && o->generate))
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE,
		                      "give SITE USERNAME and a PASSWORD or --generate (not both)");
	if (c->argc == 4) {
		o->password = c->argv[3];
	} else if (!o->generate) {
		o->typed = mesh_cli_read_passphrase("Password: ", TRUE, &error);
		if (o->typed == NULL)
			return mesh_cli_fail(c->globals, c->verb, error);
		o->password = (const char *)mesh_secret_get(o->typed);
	}
	return 0;
}

static MeshError
password_store_call(MeshCliCall *c)
{
	g_auto(MeshCliEscapes) esc = {0};
	const PasswordStore *o = c->data;
	char *generated = NULL;
	MeshError code = MESH_ERROR_NOT_FOUND;
	gboolean changed;

	/* --replace: change the login if it is stored (the agent says so), else add it. */
	if (o->set || o->replace)
		code = mesh_client_password_set(c->client, c->account, c->argv[1], c->argv[2],
		                                o->password, o->generate ? &generated : NULL);
	changed = code == MESH_ERROR_OK;
	if (code == MESH_ERROR_NOT_FOUND && !o->set)
		code = mesh_client_password_add(c->client, c->account, c->argv[1], c->argv[2],
		                                o->password, o->generate ? &generated : NULL);
	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL) {
		mesh_cli_json_string(c->json, "Site", c->argv[1]);
		mesh_cli_json_string(c->json, "Username", c->argv[2]);
		mesh_cli_json_string(c->json, "Password", generated);
		mesh_cli_json_bool(c->json, "Replaced", changed);
	} else if (code == MESH_ERROR_OK && generated != NULL) {
		c->status = mesh_cli_print_secret(c->globals, c->verb, "password", generated);
	} else if (code == MESH_ERROR_OK) {
		printf("%s the password of %s at %s\n", changed ? "Changed" : "Stored",
		       mesh_cli_escape(&esc, c->argv[2]), mesh_cli_escape(&esc, c->argv[1]));
	}
	/* A printed password is the whole of standard output: the line goes to the errors. */
	if (code == MESH_ERROR_OK)
		mesh_cli_report_queued(c, generated != NULL ? stderr : stdout);
	mesh_client_secret_free(generated);
	return code;
}

/* password add (@set FALSE) and password set (@set TRUE). */
static int
password_store(int argc, char **argv, const MeshCliGlobals *globals, gboolean set)
{
	static const MeshCliVerbSpec specs[] = {
	        {
	                .name = "password add",
	                .params = "SITE USERNAME [PASSWORD | --generate]",
	                .description = "Stores a new login: USERNAME at SITE and its password. A "
	                               "site may hold several logins; a login stored already is "
	                               "refused unless --replace is given ('mesh password set' "
	                               "changes it). Without PASSWORD or --generate the password "
	                               "is read from the terminal (or one line of standard input).",
	                .max_args = 3,
	                .reach = MESH_CLI_REACH_SESSION,
	                .out = MESH_CLI_OUT_SECRET_JSON,
	                .check = password_store_check,
	                .call = password_store_call,
	        },
	        {
	                .name = "password set",
	                .params = "SITE USERNAME [PASSWORD | --generate]",
	                .description = "Changes the password of the login USERNAME at SITE, which "
	                               "must be stored. Without PASSWORD or --generate it is read "
	                               "from the terminal (or one line of standard input).",
	                .max_args = 3,
	                .reach = MESH_CLI_REACH_SESSION,
	                .out = MESH_CLI_OUT_SECRET_JSON,
	                .check = password_store_check,
	                .call = password_store_call,
	        },
	};
	PasswordStore o = {.set = set};
	MeshCliCall c = {.data = &o};
	const GOptionEntry entries[] = {
	        {"replace", 0, 0, G_OPTION_ARG_NONE, &o.replace,
	         "Replace the password when the login is stored already", NULL},
	        {"generate", 0, 0, G_OPTION_ARG_NONE, &o.generate,
	         "Generate a random password (printed)", NULL},
	        MESH_CLI_ACCOUNT_OPTION(c.account),
	        MESH_CLI_PORTAL_OPTIONS(c.portal, c.portal_ca),
	        G_OPTION_ENTRY_NULL,
	};
	int status =
	        mesh_cli_run(globals, &specs[set], &c, set ? entries + 1 : entries, argc, argv);

	mesh_secret_free(o.typed);
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

static MeshError
password_get_call(MeshCliCall *c)
{
	const char *user = *(char **)c->data;
	char *username = NULL, *password = NULL;
	MeshError code = mesh_client_password_get_login(c->client, c->account, c->argv[1], user,
	                                                &username, &password);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL) {
		mesh_cli_json_string(c->json, "Site", c->argv[1]);
		mesh_cli_json_string(c->json, "Username", username);
		mesh_cli_json_string(c->json, "Password", password);
	} else if (code == MESH_ERROR_OK) {
		c->status = mesh_cli_print_secret(c->globals, c->verb, "password", password);
	}
	mesh_client_free(username);
	mesh_client_secret_free(password);
	return code;
}

static int
password_get(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "password get",
	        .params = "SITE [--user USERNAME]",
	        .description = "Prints the password stored for SITE (--json: with the user "
	                       "name). A site with logins of several user names needs --user.",
	        .min_args = 1,
	        .max_args = 1,
	        .args_usage = "give the site",
	        .reach = MESH_CLI_REACH_SESSION,
	        .out = MESH_CLI_OUT_SECRET_JSON,
	        .call = password_get_call,
	};
	char *user = NULL;
	MeshCliCall c = {.data = &user};
	const GOptionEntry entries[] = {
	        {"user", 0, 0, G_OPTION_ARG_STRING, &user,
	         "The login's user name (needed when SITE has logins of several)", "USERNAME"},
	        MESH_CLI_ACCOUNT_OPTION(c.account),
	        G_OPTION_ENTRY_NULL,
	};

	return mesh_cli_run(globals, &spec, &c, entries, argc, argv);
}

static MeshError
password_list_call(MeshCliCall *c)
{
	g_auto(MeshCliEscapes) esc = {0};
	MeshClientLogin *logins = NULL;
	size_t n = 0;
	MeshError code = mesh_client_password_logins(c->client, c->account, &logins, &n);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL) {
		mesh_cli_json_begin_array(c->json, "Logins");
		for (size_t i = 0; i < n; i++) {
			json_builder_begin_object(c->json);
			mesh_cli_json_string(c->json, "Site", logins[i].site);
			mesh_cli_json_string(c->json, "Username", logins[i].username);
			json_builder_end_object(c->json);
		}
		json_builder_end_array(c->json);
	} else if (code == MESH_ERROR_OK) {
		for (size_t i = 0; i < n; i++)
			printf("%s  %s\n", mesh_cli_escape(&esc, logins[i].site),
			       mesh_cli_escape(&esc, logins[i].username));
	}
	mesh_client_logins_free(logins, n);
	return code;
}

static int
password_list(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "password list",
	        .params = "",
	        .description = "Lists every login: its site and user name, one a line.",
	        .reach = MESH_CLI_REACH_SESSION,
	        .call = password_list_call,
	        .options = MESH_CLI_OPTIONS_ACCOUNT,
	};
	return mesh_cli_run_simple(globals, &spec, NULL, argc, argv);
}

static MeshError
password_delete_call(MeshCliCall *c)
{
	g_auto(MeshCliEscapes) esc = {0};
	const char *user = *(char **)c->data;
	MeshError code = mesh_client_password_delete_login(c->client, c->account, c->argv[1], user);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL) {
		mesh_cli_json_string(c->json, "Deleted", c->argv[1]);
		mesh_cli_json_string(c->json, "Username", user);
	} else if (code == MESH_ERROR_OK && user != NULL) {
		printf("Deleted the password of %s at %s\n", mesh_cli_escape(&esc, user),
		       mesh_cli_escape(&esc, c->argv[1]));
	} else if (code == MESH_ERROR_OK) {
		printf("Deleted the password for %s\n", mesh_cli_escape(&esc, c->argv[1]));
	}
	if (code == MESH_ERROR_OK)
		mesh_cli_report_queued(c, stdout);
	return code;
}

static int
password_delete(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "password delete",
	        .params = "SITE [--user USERNAME]",
	        .description = "Removes the login at exactly SITE (of USERNAME: needed when SITE "
	                       "has logins of several user names).",
	        .min_args = 1,
	        .max_args = 1,
	        .args_usage = "give the site",
	        .reach = MESH_CLI_REACH_SESSION,
	        .call = password_delete_call,
	};
	char *user = NULL;
	MeshCliCall c = {.data = &user};
	const GOptionEntry entries[] = {
	        {"user", 0, 0, G_OPTION_ARG_STRING, &user,
	         "The login's user name (needed when SITE has logins of several)", "USERNAME"},
	        MESH_CLI_ACCOUNT_OPTION(c.account),
	        MESH_CLI_PORTAL_OPTIONS(c.portal, c.portal_ca),
	        G_OPTION_ENTRY_NULL,
	};

	return mesh_cli_run(globals, &spec, &c, entries, argc, argv);
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
