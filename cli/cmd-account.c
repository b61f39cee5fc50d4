/* SPDX-License-Identifier: MIT */
/* mesh account: may this account be created at its portal? which account is the default? */
#include <stdio.h>

#include "verbs.h"

static MeshError
account_validate_call(MeshCliCall *c)
{
	g_auto(MeshCliEscapes) esc = {0};
	char *reason = NULL;
	int valid = 0;
	MeshError code = mesh_client_account_validate(c->client, c->argv[1], &valid, &reason);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL) {
		mesh_cli_json_string(c->json, "Account", c->argv[1]);
		mesh_cli_json_bool(c->json, "Valid", valid);
		mesh_cli_json_string(c->json, "Reason", reason);
	} else if (code == MESH_ERROR_OK) {
		printf("%s: %s%s%s\n", mesh_cli_escape(&esc, c->argv[1]),
		       valid ? "available" : "not available", reason ? ": " : "",
		       reason ? mesh_cli_escape(&esc, reason) : "");
	}
	if (code == MESH_ERROR_OK && !valid)
		c->status = MESH_ERROR_INVALID_ARGUMENT;
	mesh_client_free(reason);
	return code;
}

static int
account_validate(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "account validate",
	        .params = "ACCOUNT",
	        .description = "Asks ACCOUNT's portal whether the account may be created. Exits "
	                       "with 0 when it may, InvalidArgument (3) when not.",
	        .min_args = 1,
	        .max_args = 1,
	        .args_usage = "give the account (local@domain)",
	        .reach = MESH_CLI_REACH_SESSION,
	        .call = account_validate_call,
	};
	MeshCliCall c = {0};
	const GOptionEntry entries[] = {
	        MESH_CLI_PORTAL_OPTIONS(c.portal, c.portal_ca),
	        G_OPTION_ENTRY_NULL,
	};

	return mesh_cli_run(globals, &spec, &c, entries, argc, argv);
}

static MeshError
account_default_call(MeshCliCall *c)
{
	g_auto(MeshCliEscapes) esc = {0};
	const char *name = c->argc > 1 ? c->argv[1] : NULL;
	char *def = NULL;
	MeshError code = mesh_client_account_default(c->client, name, &def);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL)
		mesh_cli_json_string(c->json, "Default", def);
	else if (code == MESH_ERROR_OK && def == NULL)
		printf("There is no default account: this machine holds none\n");
	else if (code == MESH_ERROR_OK)
		printf(name != NULL ? "The default account is %s now\n"
		                    : "The default account is %s\n",
		       mesh_cli_escape(&esc, def));
	mesh_client_free(def);
	return code;
}

static int
account_default(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "account default",
	        .params = "[ACCOUNT]",
	        .description = "Makes ACCOUNT the default account, the one commands act on "
	                       "without --account; without ACCOUNT, prints the default account.",
	        .max_args = 1,
	        .reach = MESH_CLI_REACH_AGENT,
	        .call = account_default_call,
	};
	return mesh_cli_run_simple(globals, &spec, NULL, argc, argv);
}

int
mesh_cmd_account(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliSub subs[] = {
		{ "validate", account_validate },
		{ "default", account_default },
		{ NULL, NULL },
	};

	return mesh_cli_dispatch(argc, argv, globals, "account", subs,
				 "Usage: mesh account validate ACCOUNT [--portal URL] "
				 "[--portal-ca FILE]\n"
				 "       mesh account default [ACCOUNT]\n"
				 "\n"
				 "validate asks the account's portal whether the account may be created;\n"
				 "default makes ACCOUNT the default account, or prints the default one.\n");
}
