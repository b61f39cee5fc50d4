/* SPDX-License-Identifier: MIT */
/* mesh escrow: split the master keys of an account into shares, and check shares. */
#include <stdio.h>

#include "platform.h"
#include "shamir.h"
#include "verbs.h"

/* escrow create: --quorum K --shares N. */
typedef struct {
	int quorum, shares;
} EscrowCreate;

static int
escrow_create_check(MeshCliCall *c)
{
	const EscrowCreate *o = c->data;

	if (o->quorum < 2 || o->quorum > o->shares || o->shares > MESH_SHAMIR_SHARES_MAX)
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE,
		                      "give --quorum K and --shares N with 2 <= K <= N <= %d",
		                      MESH_SHAMIR_SHARES_MAX);
	return 0;
}

static MeshError
escrow_create_call(MeshCliCall *c)
{
	const EscrowCreate *o = c->data;
	char **texts = NULL, *identifier = NULL;
	size_t n = 0;
	MeshError code = mesh_client_escrow_create(c->client, c->account, o->quorum, o->shares,
	                                           &texts, &n, &identifier);

	/* On a terminal the shares come with the wizard's warning (on standard error, so that
	 * standard output stays the shares alone); piped, they are data. */
	if (code == MESH_ERROR_OK && mesh_platform_is_terminal(MESH_PLATFORM_STDOUT)) {
		g_autofree char *warning = mesh_cli_escrow_warning(
		        n, o->quorum, c->account != NULL ? c->account : "the default account");

		fprintf(stderr, "%s", warning);
	}
	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL) {
		mesh_cli_json_string(c->json, "Identifier", identifier);
		mesh_cli_json_begin_array(c->json, "Shares");
		for (size_t i = 0; i < n; i++)
			json_builder_add_string_value(c->json, texts[i]);
		json_builder_end_array(c->json);
	} else if (code == MESH_ERROR_OK) {
		mesh_cli_write_secret_lines((const char *const *)texts, n);
	}
	mesh_client_secrets_free(texts, n);
	mesh_client_free(identifier);
	return code;
}

static int
escrow_create(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "escrow create",
	        .params = "--quorum K --shares N",
	        .description = "Escrows the account's master keys: prints N shares, one per line, "
	                       "any K of which recover them ('mesh profile recover'). Give each "
	                       "share to a different keeper.",
	        .reach = MESH_CLI_REACH_SESSION,
	        .out = MESH_CLI_OUT_SECRET_JSON,
	        .check = escrow_create_check,
	        .call = escrow_create_call,
	};
	EscrowCreate o = {0};
	MeshCliCall c = {.data = &o};
	const GOptionEntry entries[] = {
	        {"quorum", 0, 0, G_OPTION_ARG_INT, &o.quorum, "How many shares recover the keys",
	         "K"},
	        {"shares", 0, 0, G_OPTION_ARG_INT, &o.shares, "How many shares to make", "N"},
	        MESH_CLI_ACCOUNT_OPTION(c.account),
	        MESH_CLI_PORTAL_OPTIONS(c.portal, c.portal_ca),
	        G_OPTION_ENTRY_NULL,
	};

	return mesh_cli_run(globals, &spec, &c, entries, argc, argv);
}

static MeshError
escrow_verify_call(MeshCliCall *c)
{
	MeshError code = mesh_client_escrow_verify(
	        c->client, c->account, (const char *const *)c->argv + 1, (size_t)c->argc - 1);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL)
		mesh_cli_json_bool(c->json, "Verified", TRUE);
	else if (code == MESH_ERROR_OK)
		printf("The shares recover the escrowed keys\n");
	return code;
}

static int
escrow_verify(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "escrow verify",
	        .params = "SHARE...",
	        .description = "A recovery drill: checks that the shares rebuild the escrowed "
	                       "master keys. Installs nothing.",
	        .min_args = 1,
	        .max_args = MESH_SHAMIR_SHARES_MAX,
	        .args_usage = "give the shares to check",
	        .reach = MESH_CLI_REACH_SESSION,
	        .call = escrow_verify_call,
	        .options = MESH_CLI_OPTIONS_ACCOUNT_PORTAL,
	};
	return mesh_cli_run_simple(globals, &spec, NULL, argc, argv);
}

static int
escrow_revoke_check(MeshCliCall *c)
{
	const gboolean *yes = c->data;

	if (!*yes)
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE,
		                      "revoking an escrow deletes it from the portal and this "
		                      "device, and cannot be undone: give --yes to go on");
	return 0;
}

static MeshError
escrow_revoke_call(MeshCliCall *c)
{
	g_auto(MeshCliEscapes) esc = {0};
	char *revoked = NULL, *account = NULL;
	MeshError code = mesh_client_escrow_revoke(
	        c->client, c->account, c->argc > 1 ? c->argv[1] : NULL, &revoked, &account);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL) {
		mesh_cli_json_string(c->json, "Revoked", revoked);
		mesh_cli_json_string(c->json, "Account", account);
	} else if (code == MESH_ERROR_OK) {
		printf("Revoked the escrow %s: deleted from the portal and this device.\n",
		       mesh_cli_escape(&esc, revoked));
		printf("The portal might keep a copy, so its shares may still recover the master "
		       "keys until they change. Escrow them again: mesh escrow create --quorum 2 "
		       "--shares 3 --account %s\n",
		       mesh_cli_escape(&esc, account));
	}
	mesh_client_free(revoked);
	mesh_client_free(account);
	return code;
}

static int
escrow_revoke(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "escrow revoke",
	        .params = "[ID] --yes",
	        .description = "On an administration device, deletes the escrow ID of the "
	                       "account's master keys (without ID: the only one known here) from "
	                       "the portal and this device. The portal might keep a copy: the "
	                       "shares may recover the master keys until they change.",
	        .max_args = 1,
	        .reach = MESH_CLI_REACH_SESSION,
	        .check = escrow_revoke_check,
	        .call = escrow_revoke_call,
	};
	gboolean yes = FALSE;
	MeshCliCall c = {.data = &yes};
	const GOptionEntry entries[] = {
	        {"yes", 0, 0, G_OPTION_ARG_NONE, &yes,
	         "Really delete the escrow entry (it cannot be undone)", NULL},
	        MESH_CLI_ACCOUNT_OPTION(c.account),
	        MESH_CLI_PORTAL_OPTIONS(c.portal, c.portal_ca),
	        G_OPTION_ENTRY_NULL,
	};

	return mesh_cli_run(globals, &spec, &c, entries, argc, argv);
}

int
mesh_cmd_escrow(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliSub subs[] = {
		{ "create", escrow_create },
		{ "verify", escrow_verify },
		{ "revoke", escrow_revoke },
		{ NULL, NULL },
	};

	return mesh_cli_dispatch(argc, argv, globals, "escrow", subs,
				 "Usage: mesh escrow create --quorum K --shares N [--account A]\n"
				 "       mesh escrow verify SHARE... [--account A]\n"
				 "       mesh escrow revoke [ID] --yes [--account A]\n"
				 "\n"
				 "Escrow of the master keys in shares (Shamir), recovery drills, and\n"
				 "revocation of an escrow.\n");
}
