/* SPDX-License-Identifier: MIT */
/* mesh hive migrate: copy a hive's profiles, accounts and keys into the other hive; mesh hive
 * set-keystore: the key store the hive's new keys go to. */
#include <stdio.h>

#include "hive.h"
#include "verbs.h"

/* hive migrate: its options and the hives they name. */
typedef struct {
	char *from, *to;
	gboolean force;
	MeshHiveKind from_kind, to_kind;
} HiveMigrate;

static int
hive_migrate_check(MeshCliCall *c)
{
	g_autoptr(GError) error = NULL;
	HiveMigrate *o = c->data;

	if (o->from == NULL || o->to == NULL)
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE,
		                      "give --from HIVE and --to HIVE");
	if (!mesh_hive_kind_from_name(o->from, &o->from_kind, &error) ||
	    !mesh_hive_kind_from_name(o->to, &o->to_kind, &error))
		return mesh_cli_fail(c->globals, c->verb, error);
	if (o->from_kind == o->to_kind)
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_INVALID_ARGUMENT,
		                      "--from and --to name the same hive (%s)",
		                      mesh_hive_kind_name(o->to_kind));
	/* The target's agent writes the target hive, so no agent holds a stale view of it. */
	c->hive = mesh_hive_kind_name(o->to_kind);
	return 0;
}

static MeshError
hive_migrate_call(MeshCliCall *c)
{
	const HiveMigrate *o = c->data;
	const char *from = mesh_hive_kind_name(o->from_kind), *to = mesh_hive_kind_name(o->to_kind);
	gint64 copied = 0;
	MeshError code = mesh_client_hive_migrate(c->client, from, to, o->force, &copied);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL)
		mesh_cli_json_int(c->json, "Copied", copied);
	else if (code == MESH_ERROR_OK)
		printf("Copied %" G_GINT64_FORMAT " entr%s from the %s hive to the %s hive\n",
		       copied, copied == 1 ? "y" : "ies", from, to);
	return code;
}

static int
hive_migrate(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "hive migrate",
	        .params = "--from HIVE --to HIVE",
	        .description = "Copies the device, personal and application profiles, accounts, "
	                       "escrow entries and keys of one hive into the other. Without "
	                       "--force nothing is copied when any of them exists in the target "
	                       "(exit status 13, Exists). The agent of the target hive does the "
	                       "copying.",
	        .check = hive_migrate_check,
	        .call = hive_migrate_call,
	};
	HiveMigrate o = {0};
	MeshCliCall c = {.data = &o};
	const GOptionEntry entries[] = {
	        {"from", 0, 0, G_OPTION_ARG_STRING, &o.from, "The hive to copy: test or production",
	         "HIVE"},
	        {"to", 0, 0, G_OPTION_ARG_STRING, &o.to, "The hive to copy into", "HIVE"},
	        {"force", 0, 0, G_OPTION_ARG_NONE, &o.force,
	         "Overwrite entries that exist in the target hive", NULL},
	        G_OPTION_ENTRY_NULL,
	};

	return mesh_cli_run(globals, &spec, &c, entries, argc, argv);
}

static int
hive_set_keystore_check(MeshCliCall *c)
{
	g_autoptr(GError) error = NULL;

	/* The hive mesh_cli_connect talks to, to name it in the answer. */
	if (!mesh_hive_kind_from_name(c->globals->hive, c->data, &error))
		return mesh_cli_fail(c->globals, c->verb, error);
	return 0;
}

static MeshError
hive_set_keystore_call(MeshCliCall *c)
{
	const MeshHiveKind *kind = c->data;
	MeshError code = mesh_client_hive_set_keystore(c->client, c->argv[1]);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL)
		mesh_cli_json_string(c->json, "Store", c->argv[1]);
	else if (code == MESH_ERROR_OK)
		printf("New keys of the %s hive go to the %s store\n", mesh_hive_kind_name(*kind),
		       c->argv[1]);
	return code;
}

static int
hive_set_keystore(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "hive set-keystore",
	        .params = "file|secret|tpm2",
	        .description = "Makes new keys of the hive (--hive) go to this key store: file "
	                       "(OpenSSH key files in the hive), secret (the desktop keyring, "
	                       "through the Secret Service) or tpm2 (a TPM 2.0: P-256 keys that "
	                       "never leave it). Keys made before stay where they are; 'mesh key "
	                       "move' moves them.",
	        .min_args = 1,
	        .max_args = 1,
	        .args_usage = "give the key store: file, secret or tpm2",
	        .check = hive_set_keystore_check,
	        .call = hive_set_keystore_call,
	};
	MeshHiveKind kind;
	MeshCliCall c = {.data = &kind};

	return mesh_cli_run(globals, &spec, &c, mesh_cli_no_options, argc, argv);
}

int
mesh_cmd_hive(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliSub subs[] = {
		{ "migrate", hive_migrate },
		{ "set-keystore", hive_set_keystore },
		{ NULL, NULL },
	};

	return mesh_cli_dispatch(argc, argv, globals, "hive", subs,
				 "Usage: mesh hive migrate --from HIVE --to HIVE [--force]\n"
				 "       mesh [--hive H] hive set-keystore file|secret|tpm2\n"
				 "\n"
				 "The test hive (CryptoMesh) and the production hive "
				 "(MathematicalMesh) keep their\n"
				 "data apart; migrate copies one into the other. set-keystore "
				 "chooses where the\n"
				 "hive's new keys are kept.\n");
}
