/* SPDX-License-Identifier: MIT */
/* mesh hive migrate: copy a hive's profiles, accounts and keys into the other hive; mesh hive
 * set-keystore: the key store the hive's new keys go to. */
#include <stdio.h>

#include "hive.h"
#include "verbs.h"

static void
print_copied(const MeshCliGlobals *globals, gint64 copied, const char *from, const char *to)
{
	g_autoptr(JsonBuilder) b = NULL;

	if (!globals->json) {
		printf("Copied %" G_GINT64_FORMAT " entr%s from the %s hive to the %s hive\n",
		       copied, copied == 1 ? "y" : "ies", from, to);
		return;
	}
	b = json_builder_new();
	json_builder_begin_object(b);
	mesh_cli_json_int(b, "Copied", copied);
	json_builder_end_object(b);
	mesh_cli_print_json(json_builder_get_root(b));
}

static int
hive_migrate(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autofree char *from = NULL, *to = NULL;
	gboolean force = FALSE;
	const GOptionEntry entries[] = {
		{ "from", 0, 0, G_OPTION_ARG_STRING, &from, "The hive to copy: test or production",
		  "HIVE" },
		{ "to", 0, 0, G_OPTION_ARG_STRING, &to, "The hive to copy into", "HIVE" },
		{ "force", 0, 0, G_OPTION_ARG_NONE, &force,
		  "Overwrite entries that exist in the target hive", NULL },
		G_OPTION_ENTRY_NULL,
	};
	g_autoptr(GError) error = NULL;
	MeshHiveKind from_kind, to_kind;
	MeshClient *client = NULL;
	gint64 copied = 0;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "hive migrate", "--from HIVE --to HIVE",
				 "Copies the device, personal and application profiles, accounts, "
				 "escrow entries and keys of one hive into the other. Without "
				 "--force nothing is copied when any of them exists in the target "
				 "(exit status 13, Exists). The agent of the target hive does the "
				 "copying.",
				 entries, 0, &argc, &argv, &status))
		return status;
	if (from == NULL || to == NULL)
		return mesh_cli_failf(globals, "hive migrate", MESH_ERROR_USAGE,
				      "give --from HIVE and --to HIVE");
	if (!mesh_hive_kind_from_name(from, &from_kind, &error) ||
	    !mesh_hive_kind_from_name(to, &to_kind, &error))
		return mesh_cli_fail(globals, "hive migrate", error);
	if (from_kind == to_kind)
		return mesh_cli_failf(globals, "hive migrate", MESH_ERROR_INVALID_ARGUMENT,
				      "--from and --to name the same hive (%s)",
				      mesh_hive_kind_name(to_kind));
	/* The target's agent writes the target hive, so no agent holds a stale view of it. */
	status = mesh_cli_connect(globals, "hive migrate", mesh_hive_kind_name(to_kind), TRUE,
				  &client);
	if (status != 0)
		return status;
	code = mesh_client_hive_migrate(client, mesh_hive_kind_name(from_kind),
					mesh_hive_kind_name(to_kind), force, &copied);
	if (code != MESH_ERROR_OK)
		status = mesh_cli_client_fail(globals, "hive migrate", client, code);
	else
		print_copied(globals, copied, mesh_hive_kind_name(from_kind),
			     mesh_hive_kind_name(to_kind));
	mesh_client_close(client);
	return status;
}

static int
hive_set_keystore(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autoptr(GError) error = NULL;
	MeshClient *client = NULL;
	MeshHiveKind kind;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "hive set-keystore", "file|secret|tpm2",
				 "Makes new keys of the hive (--hive) go to this key store: file "
				 "(OpenSSH key files in the hive), secret (the desktop keyring, "
				 "through the Secret Service) or tpm2 (a TPM 2.0: P-256 keys that "
				 "never leave it). Keys made before stay where they are; 'mesh key "
				 "move' moves them.",
				 mesh_cli_no_options, 1, &argc, &argv, &status))
		return status;
	if (argc != 2)
		return mesh_cli_failf(globals, "hive set-keystore", MESH_ERROR_USAGE,
				      "give the key store: file, secret or tpm2");
	/* The hive mesh_cli_connect talks to, to name it in the answer. */
	if (!mesh_hive_kind_from_name(globals->hive, &kind, &error))
		return mesh_cli_fail(globals, "hive set-keystore", error);
	status = mesh_cli_connect(globals, "hive set-keystore", NULL, TRUE, &client);
	if (status != 0)
		return status;
	code = mesh_client_hive_set_keystore(client, argv[1]);
	if (code != MESH_ERROR_OK) {
		status = mesh_cli_client_fail(globals, "hive set-keystore", client, code);
	} else if (globals->json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		mesh_cli_json_string(b, "Store", argv[1]);
		json_builder_end_object(b);
		mesh_cli_print_json(json_builder_get_root(b));
	} else {
		printf("New keys of the %s hive go to the %s store\n", mesh_hive_kind_name(kind),
		       argv[1]);
	}
	mesh_client_close(client);
	return status;
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
