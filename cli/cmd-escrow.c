/* SPDX-License-Identifier: MIT */
/* mesh escrow: split the master keys of an account into shares, and check shares. */
#include <stdio.h>

#include "platform.h"
#include "shamir.h"
#include "verbs.h"

static int
escrow_create(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autofree char *portal = NULL, *portal_ca = NULL, *account = NULL;
	int quorum = 0, shares = 0;
	const GOptionEntry entries[] = {
		{ "quorum", 0, 0, G_OPTION_ARG_INT, &quorum, "How many shares recover the keys",
		  "K" },
		{ "shares", 0, 0, G_OPTION_ARG_INT, &shares, "How many shares to make", "N" },
		MESH_CLI_ACCOUNT_OPTION(account),
		MESH_CLI_PORTAL_OPTIONS(portal, portal_ca),
		G_OPTION_ENTRY_NULL,
	};
	char **texts = NULL, *identifier = NULL;
	MeshClient *client = NULL;
	size_t n = 0;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "escrow create", "--quorum K --shares N",
				 "Escrows the account's master keys: prints N shares, one per line, "
				 "any K of which recover them ('mesh profile recover'). Give each "
				 "share to a different keeper.",
				 entries, 0, &argc, &argv, &status))
		return status;
	if (quorum < 2 || quorum > shares || shares > MESH_SHAMIR_SHARES_MAX)
		return mesh_cli_failf(globals, "escrow create", MESH_ERROR_USAGE,
				      "give --quorum K and --shares N with 2 <= K <= N <= %d",
				      MESH_SHAMIR_SHARES_MAX);
	status = mesh_cli_session_connect(globals, "escrow create", portal, portal_ca, &client);
	if (status != 0)
		return status;
	code = mesh_client_escrow_create(client, account, quorum, shares, &texts, &n, &identifier);
	if (code != MESH_ERROR_OK) {
		status = mesh_cli_client_fail(globals, "escrow create", client, code);
	} else {
		/* On a terminal the shares come with the wizard's warning (on standard error, so
		 * that standard output stays the shares alone); piped, they are data. */
		if (mesh_platform_is_terminal(MESH_PLATFORM_STDOUT)) {
			g_autofree char *warning = mesh_cli_escrow_warning(
				n, quorum, account != NULL ? account : "the default account");

			fprintf(stderr, "%s", warning);
		}
		if (globals->json) {
			g_autoptr(JsonBuilder) b = json_builder_new();

			json_builder_begin_object(b);
			mesh_cli_json_string(b, "Identifier", identifier);
			json_builder_set_member_name(b, "Shares");
			json_builder_begin_array(b);
			for (size_t i = 0; i < n; i++)
				json_builder_add_string_value(b, texts[i]);
			json_builder_end_array(b);
			json_builder_end_object(b);
			mesh_cli_print_secret_json(json_builder_get_root(b));
		} else {
			mesh_cli_write_secret_lines((const char *const *)texts, n);
		}
	}
	mesh_client_secrets_free(texts, n);
	mesh_client_free(identifier);
	mesh_client_close(client);
	return status;
}

static int
escrow_verify(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autofree char *portal = NULL, *portal_ca = NULL, *account = NULL;
	const GOptionEntry entries[] = {
		MESH_CLI_ACCOUNT_OPTION(account),
		MESH_CLI_PORTAL_OPTIONS(portal, portal_ca),
		G_OPTION_ENTRY_NULL,
	};
	MeshClient *client = NULL;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "escrow verify", "SHARE...",
				 "A recovery drill: checks that the shares rebuild the escrowed "
				 "master keys. Installs nothing.",
				 entries, MESH_SHAMIR_SHARES_MAX, &argc, &argv, &status))
		return status;
	if (argc < 2)
		return mesh_cli_failf(globals, "escrow verify", MESH_ERROR_USAGE,
				      "give the shares to check");
	status = mesh_cli_session_connect(globals, "escrow verify", portal, portal_ca, &client);
	if (status != 0)
		return status;
	code = mesh_client_escrow_verify(client, account, (const char *const *)argv + 1,
					 (size_t)argc - 1);
	if (code != MESH_ERROR_OK) {
		status = mesh_cli_client_fail(globals, "escrow verify", client, code);
	} else if (globals->json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		mesh_cli_json_bool(b, "Verified", TRUE);
		json_builder_end_object(b);
		mesh_cli_print_json(json_builder_get_root(b));
	} else {
		printf("The shares recover the escrowed keys\n");
	}
	mesh_client_close(client);
	return status;
}

int
mesh_cmd_escrow(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliSub subs[] = {
		{ "create", escrow_create },
		{ "verify", escrow_verify },
		{ NULL, NULL },
	};

	return mesh_cli_dispatch(argc, argv, globals, "escrow", subs,
				 "Usage: mesh escrow create --quorum K --shares N [--account A]\n"
				 "       mesh escrow verify SHARE... [--account A]\n"
				 "\n"
				 "Escrow of the master keys in shares (Shamir), and recovery drills.\n");
}
