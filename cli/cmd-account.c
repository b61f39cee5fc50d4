/* SPDX-License-Identifier: MIT */
/* mesh account validate: may this account be created at its portal? */
#include <stdio.h>

#include "verbs.h"

static int
account_validate(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autofree char *portal = NULL, *portal_ca = NULL;
	const GOptionEntry entries[] = {
		MESH_CLI_PORTAL_OPTIONS(portal, portal_ca),
		G_OPTION_ENTRY_NULL,
	};
	char *reason = NULL;
	MeshClient *client = NULL;
	MeshError code;
	int status = 0, valid = 0;

	if (!mesh_cli_parse_verb(globals, "account validate", "ACCOUNT",
				 "Asks ACCOUNT's portal whether the account may be created. Exits "
				 "with 0 when it may, InvalidArgument (3) when not.",
				 entries, 1, &argc, &argv, &status))
		return status;
	if (argc != 2)
		return mesh_cli_failf(globals, "account validate", MESH_ERROR_USAGE,
				      "give the account (local@domain)");
	status = mesh_cli_session_connect(globals, "account validate", portal, portal_ca, &client);
	if (status != 0)
		return status;
	code = mesh_client_account_validate(client, argv[1], &valid, &reason);
	if (code != MESH_ERROR_OK) {
		status = mesh_cli_client_fail(globals, "account validate", client, code);
	} else {
		if (globals->json) {
			g_autoptr(JsonBuilder) b = json_builder_new();

			json_builder_begin_object(b);
			mesh_cli_json_string(b, "Account", argv[1]);
			mesh_cli_json_bool(b, "Valid", valid);
			mesh_cli_json_string(b, "Reason", reason);
			json_builder_end_object(b);
			mesh_cli_print_json(json_builder_get_root(b));
		} else {
			g_auto(MeshCliEscapes) esc = { 0 };

			printf("%s: %s%s%s\n", mesh_cli_escape(&esc, argv[1]),
			       valid ? "available" : "not available", reason ? ": " : "",
			       reason ? mesh_cli_escape(&esc, reason) : "");
		}
		status = valid ? 0 : MESH_ERROR_INVALID_ARGUMENT;
	}
	mesh_client_free(reason);
	mesh_client_close(client);
	return status;
}

int
mesh_cmd_account(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliSub subs[] = {
		{ "validate", account_validate },
		{ NULL, NULL },
	};

	return mesh_cli_dispatch(argc, argv, globals, "account", subs,
				 "Usage: mesh account validate ACCOUNT [--portal URL] "
				 "[--portal-ca FILE]\n"
				 "\n"
				 "Asks the account's portal whether the account may be created.\n");
}
