/* SPDX-License-Identifier: MIT */
/* mesh share: Shamir secret sharing of up to 64 bytes (docs/protocol.md §5). */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "cli.h"
#include "secret.h"
#include "shamir.h"

/* Longest line read from standard input: a 64-byte share is 106 characters, 132 with dashes. */
#define LINE_MAX_BYTES 512
#define STDIN_SHARES_MAX 64

/*
 * Read one line of at most LINE_MAX_BYTES from stdin into secure memory, without the newline
 * and surrounding white space. Returns NULL at end of input.
 */
static MeshSecret *
read_secret_line(GError **error)
{
	g_autoptr(MeshSecret) buf = mesh_secret_new(LINE_MAX_BYTES + 2);
	char *line = (char *)mesh_secret_data(buf);
	gsize start = 0, end;

	if (fgets(line, LINE_MAX_BYTES + 2, stdin) == NULL)
		return NULL;
	end = strlen(line);
	if (end > LINE_MAX_BYTES) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "a line of standard input is longer than %d bytes", LINE_MAX_BYTES);
		return NULL;
	}
	while (end > 0 && g_ascii_isspace(line[end - 1]))
		line[--end] = '\0';
	while (g_ascii_isspace(line[start]))
		start++;
	return mesh_secret_new_from_data(line + start, end - start + 1);
}

static MeshSecret *
secret_from_hex(const char *hex, GError **error)
{
	g_autoptr(MeshSecret) input = NULL;
	g_autoptr(MeshSecret) raw = NULL;
	gsize n = 0;

	if (g_str_equal(hex, "-")) {
		input = read_secret_line(error);
		if (input == NULL) {
			if (error != NULL && *error == NULL)
				g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
					    "no secret on standard input");
			return NULL;
		}
		hex = (const char *)mesh_secret_get(input);
	}
	raw = mesh_secret_new(MESH_SHAMIR_SECRET_MAX);
	if (!mesh_hex_decode(hex, mesh_secret_data(raw), MESH_SHAMIR_SECRET_MAX, &n, error)) {
		g_prefix_error(error, "--secret: ");
		if ((*error)->code == MESH_ERROR_TOO_LARGE)
			(*error)->code = MESH_ERROR_INVALID_ARGUMENT;
		return NULL;
	}
	if (n == 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "--secret: the secret is empty; give 1 to %d bytes in hex",
			    MESH_SHAMIR_SECRET_MAX);
		return NULL;
	}
	return mesh_secret_new_from_data(mesh_secret_get(raw), n);
}

/*
 * Print the verb's result: @secret (may be NULL) as upper-case hex and @shares (may be NULL) one
 * per line, or with --json as {"Secret": HEX, "Shares": [...]}, through the CLI's secret output
 * path (cli.h): every text that held them is wiped.
 */
static void
print_result(const MeshCliGlobals *globals, const MeshSecret *secret, GPtrArray *shares)
{
	g_autofree char *hex = NULL;

	if (secret != NULL)
		hex = mesh_hex_encode(mesh_secret_get(secret), mesh_secret_len(secret));
	if (!globals->json) {
		if (hex != NULL)
			mesh_cli_write_secret_lines((const char *const *)&hex, 1);
		for (guint i = 0; shares != NULL && i < shares->len; i++) {
			const char *text = (const char *)mesh_secret_get(shares->pdata[i]);

			mesh_cli_write_secret_lines(&text, 1);
		}
	} else {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		if (hex != NULL) {
			json_builder_set_member_name(b, "Secret");
			json_builder_add_string_value(b, hex);
		}
		if (shares != NULL) {
			json_builder_set_member_name(b, "Shares");
			json_builder_begin_array(b);
			for (guint i = 0; i < shares->len; i++)
				json_builder_add_string_value(
					b, (const char *)mesh_secret_get(shares->pdata[i]));
			json_builder_end_array(b);
		}
		json_builder_end_object(b);
		mesh_cli_print_secret_json(json_builder_get_root(b));
	}
	if (hex != NULL)
		OPENSSL_cleanse(hex, strlen(hex));
}

static int
split(int argc, char **argv, const MeshCliGlobals *globals)
{
	gint quorum = 0, nshares = 0, random_len = 0;
	g_autofree char *secret_hex = NULL;
	const GOptionEntry entries[] = {
		{ "quorum", 'k', 0, G_OPTION_ARG_INT, &quorum,
		  "Shares needed to recover the secret (2 to N)", "K" },
		{ "shares", 'n', 0, G_OPTION_ARG_INT, &nshares, "Shares to make (K to 15)", "N" },
		{ "secret", 0, 0, G_OPTION_ARG_STRING, &secret_hex,
		  "The secret in hex (1 to 64 bytes); '-' reads it from standard input, which keeps "
		  "it out of the process list",
		  "HEX" },
		{ "random", 0, 0, G_OPTION_ARG_INT, &random_len,
		  "Split a fresh random secret of L bytes (1 to 64); --json shows it", "L" },
		G_OPTION_ENTRY_NULL,
	};
	g_autoptr(MeshSecret) secret = NULL;
	g_autoptr(GPtrArray) shares = NULL;
	g_autoptr(GError) error = NULL;
	int status = 0;

	if (!mesh_cli_parse(globals, "share split", "",
			    "Splits a secret into N shares, any K of which recover it. Prints the "
			    "shares one per line.",
			    entries, &argc, &argv, &status))
		goto out;
	if (argc > 1) {
		status = mesh_cli_failf(globals, "share split", MESH_ERROR_USAGE,
					"unexpected argument '%s' (see 'mesh share split --help')",
					argv[1]);
		goto out;
	}
	if ((secret_hex == NULL) == (random_len == 0)) {
		status = mesh_cli_failf(globals, "share split", MESH_ERROR_USAGE,
					"give exactly one of --secret HEX or --random L");
		goto out;
	}
	if (quorum == 0 || nshares == 0) {
		status = mesh_cli_failf(globals, "share split", MESH_ERROR_USAGE,
					"give --quorum K and --shares N");
		goto out;
	}
	if (secret_hex != NULL) {
		secret = secret_from_hex(secret_hex, &error);
		OPENSSL_cleanse(secret_hex, strlen(secret_hex));
	} else if (random_len < 1 || random_len > MESH_SHAMIR_SECRET_MAX) {
		g_set_error(&error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "--random %d: the secret must be 1 to %d bytes", random_len,
			    MESH_SHAMIR_SECRET_MAX);
	} else {
		secret = mesh_secret_new_random((gsize)random_len, &error);
	}
	if (secret == NULL) {
		status = mesh_cli_fail(globals, "share split", error);
		goto out;
	}
	if (quorum < 0 || nshares < 0 ||
	    !mesh_shamir_split(secret, (guint)quorum, (guint)nshares, &shares, &error)) {
		if (error == NULL)
			g_set_error(&error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
				    "--quorum and --shares must be positive");
		status = mesh_cli_fail(globals, "share split", error);
		goto out;
	}
	/* The secret is shown only when it was drawn here and --json asked for it. */
	print_result(globals, globals->json && random_len > 0 ? secret : NULL, shares);
out:
	return status;
}

static int
combine(int argc, char **argv, const MeshCliGlobals *globals)
{
	const GOptionEntry entries[] = { G_OPTION_ENTRY_NULL };
	g_autoptr(GPtrArray) from_stdin = NULL;
	g_autoptr(MeshSecret) secret = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree const char **list = NULL;
	gsize n = 0;
	int status = 0;

	if (!mesh_cli_parse(globals, "share combine", "[SHARE...]",
			    "Recovers a secret from K of its shares and prints it in upper-case hex.\n"
			    "Without SHARE arguments, reads one share per line from standard input.",
			    entries, &argc, &argv, &status))
		return status;
	if (argc > 1) {
		list = g_new0(const char *, argc);
		for (int i = 1; i < argc; i++)
			list[n++] = argv[i];
	} else {
		MeshSecret *line;

		from_stdin = g_ptr_array_new_with_free_func((GDestroyNotify)mesh_secret_free);
		while ((line = read_secret_line(&error)) != NULL) {
			if (mesh_secret_get(line)[0] == '\0') {
				mesh_secret_free(line);
				continue;
			}
			if (from_stdin->len == STDIN_SHARES_MAX) {
				mesh_secret_free(line);
				g_set_error(&error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
					    "more than %d shares on standard input",
					    STDIN_SHARES_MAX);
				break;
			}
			g_ptr_array_add(from_stdin, line);
		}
		if (error != NULL)
			return mesh_cli_fail(globals, "share combine", error);
		list = g_new0(const char *, from_stdin->len + 1);
		for (guint i = 0; i < from_stdin->len; i++)
			list[n++] = (const char *)mesh_secret_get(from_stdin->pdata[i]);
	}
	if (n == 0)
		return mesh_cli_failf(globals, "share combine", MESH_ERROR_SHARE_QUORUM,
				      "no shares given (see 'mesh share combine --help')");
	secret = mesh_shamir_combine(list, n, &error);
	if (secret == NULL)
		return mesh_cli_fail(globals, "share combine", error);
	print_result(globals, secret, NULL);
	return 0;
}

int
mesh_cmd_share(int argc, char **argv, const MeshCliGlobals *globals)
{
	if (argc >= 2 && g_str_equal(argv[1], "split"))
		return split(argc - 1, argv + 1, globals);
	if (argc >= 2 && g_str_equal(argv[1], "combine"))
		return combine(argc - 1, argv + 1, globals);
	if (argc >= 2 && (g_str_equal(argv[1], "--help") || g_str_equal(argv[1], "-h"))) {
		printf("Usage: mesh share split --quorum K --shares N (--secret HEX | --random L)\n"
		       "       mesh share combine [SHARE...]\n"
		       "\n"
		       "Shamir secret sharing of secrets of 1 to 64 bytes: any K of the N shares\n"
		       "recover the secret; fewer reveal nothing about it.\n"
		       "'mesh share split --help' and 'mesh share combine --help' give details.\n");
		return 0;
	}
	return mesh_cli_failf(globals, "share", MESH_ERROR_USAGE,
			      "%s%s: use 'split' or 'combine' (see 'mesh share --help')",
			      argc >= 2 ? "unknown subcommand " : "missing subcommand",
			      argc >= 2 ? argv[1] : "");
}
