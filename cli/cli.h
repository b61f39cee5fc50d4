/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "error.h"

/* Options that apply to every verb. */
typedef struct {
	gboolean json;    /* machine-readable output */
	const char *hive; /* --hive test|production; NULL: $MESH_HIVE, else production */
} MeshCliGlobals;

/* A verb: run() gets argv with the verb itself as argv[0] and returns a MeshError exit status. */
typedef struct {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv, const MeshCliGlobals *globals);
} MeshCliVerb;

/*
 * mesh_cli_fail: report @error (or, when NULL, @code with @fmt) as one line on stderr —
 * "mesh VERB: message" — and, with --json, as {"Error": {"Code", "Name", "Message"}} on stdout.
 * Returns the exit status to use (the MeshError code).
 */
int mesh_cli_fail(const MeshCliGlobals *globals, const char *verb, GError *error);
int mesh_cli_failf(const MeshCliGlobals *globals, const char *verb, MeshError code,
		   const char *fmt, ...) G_GNUC_PRINTF(4, 5);

/*
 * mesh_cli_parse: parse @argv with @entries for @verb. --help prints the verb's help and sets
 * *ret_exit to 0; an unknown or malformed option prints one line and sets *ret_exit to
 * MESH_ERROR_USAGE. Returns TRUE when the verb should go on.
 */
gboolean mesh_cli_parse(const MeshCliGlobals *globals, const char *verb, const char *params,
			const char *description, const GOptionEntry *entries, int *argc, char ***argv,
			int *ret_exit);

/* mesh_cli_print_json: print @node (consumed) on stdout, pretty, with a newline. */
void mesh_cli_print_json(JsonNode *node);

/* Verbs */
int mesh_cmd_udf(int argc, char **argv, const MeshCliGlobals *globals);
int mesh_cmd_share(int argc, char **argv, const MeshCliGlobals *globals);
