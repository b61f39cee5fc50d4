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
 * "mesh VERB: message", the message escaped (it may quote the portal) — and, with --json, as
 * {"Error": {"Code", "Name", "Message"}} on stdout.
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

/*
 * Text from outside — the agent, the portal, another device: descriptions, names, sites, user
 * names, key lines, error messages — never reaches the terminal raw. mesh_cli_escape returns
 * @text escaped by mesh_text_escape (core/text.h: controls, bidirectional and invisible
 * formatting characters, bytes that are not UTF-8 and the backslash become visible escapes such
 * as \x1b and \u202e), kept in @escapes until it is cleared; NULL for NULL:
 *
 *	g_auto(MeshCliEscapes) esc = { 0 };
 *	printf("%s\n", mesh_cli_escape(&esc, description));
 */
typedef struct {
	GPtrArray *copies;
} MeshCliEscapes;

const char *mesh_cli_escape(MeshCliEscapes *escapes, const char *text);
void mesh_cli_escapes_clear(MeshCliEscapes *escapes);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(MeshCliEscapes, mesh_cli_escapes_clear)

/*
 * mesh_cli_print_secret: print the user's own secret @text (a password, an application's data)
 * and a newline on stdout, as it is: it is printed for piping, and escaping would change it. On
 * a terminal, text that holds a character mesh_text_escape would escape (a line feed aside) is
 * not printed: the failure (InvalidArgument, naming the character as U+XXXX) says to pipe it.
 * Returns 0 or the exit status; @what names the secret in the message.
 */
int mesh_cli_print_secret(const MeshCliGlobals *globals, const char *verb, const char *what,
			  const char *text);

/*
 * Secrets on standard output — shares, passwords, an application's data — take a path that
 * wipes every copy: the text is built in secure memory (MeshSecret), written with write(2) past
 * stdio (whose buffers nobody wipes; what stdio holds is flushed first), then wiped.
 *
 * mesh_cli_write_secret_lines: each of the @n texts and a newline. FALSE (errno set) when standard
 * output cannot be written.
 * mesh_cli_print_secret_json: @node (consumed) as mesh_cli_print_json prints it, with every
 * string of the tree wiped before the tree is freed (the node must not be shared).
 */
gboolean mesh_cli_write_secret_lines(const char *const *texts, gsize n);
void mesh_cli_print_secret_json(JsonNode *node);

/*
 * mesh_cli_escrow_warning: the warning that goes with the @n escrow shares of @account, any
 * @quorum of which recover its master keys: a framed text of several lines, each ending with a
 * newline. A new string.
 */
char *mesh_cli_escrow_warning(gsize n, int quorum, const char *account);

/* Verbs */
int mesh_cmd_udf(int argc, char **argv, const MeshCliGlobals *globals);
int mesh_cmd_share(int argc, char **argv, const MeshCliGlobals *globals);
