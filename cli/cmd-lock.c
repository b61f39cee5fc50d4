/* SPDX-License-Identifier: MIT */
/* mesh lock, mesh unlock: wipe the agent's unwrapped keys, or unwrap them with the passphrase;
 * reading passphrases without echo. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "platform.h"
#include "verbs.h"

/* Longest passphrase read, in bytes. */
#define PASSPHRASE_MAX 1024

/*
 * One line of at most PASSPHRASE_MAX bytes from @input into secure memory, read a byte at a time
 * so nothing past the newline is consumed (the next line may be the confirmation). The newline
 * (and a carriage return before it) is dropped.
 */
static MeshSecret *
read_line(MeshPlatformInput *input, const char *what, GError **error)
{
	g_autoptr(MeshSecret) buf = mesh_secret_new(PASSPHRASE_MAX + 1);
	char *line = (char *)mesh_secret_data(buf);
	gsize n = 0;

	for (;;) {
		char c;
		gssize r = mesh_platform_input_read(input, &c, 1, error);

		if (r < 0) {
			g_prefix_error(error, "cannot read %s: ", what);
			return NULL;
		}
		if (r == 0 && n == 0) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_CANCELLED,
				    "no passphrase: %s is empty", what);
			return NULL;
		}
		if (r == 0 || c == '\n')
			break;
		if (n == PASSPHRASE_MAX) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
				    "the passphrase in %s is longer than %d bytes", what,
				    PASSPHRASE_MAX);
			return NULL;
		}
		line[n++] = c;
	}
	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (n == 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the passphrase in %s is empty", what);
		return NULL;
	}
	line[n] = '\0';
	return mesh_secret_new_from_data(line, n + 1);
}

/* Ask on the terminal @tty with echo off; echo comes back on every path. */
static MeshSecret *
prompt_tty(MeshPlatformInput *tty, const char *prompt, GError **error)
{
	MeshSecret *secret;

	if (!mesh_platform_input_echo(tty, FALSE, error)) {
		g_prefix_error(error, "cannot set up the terminal: ");
		return NULL;
	}
	fprintf(stderr, "%s", prompt);
	fflush(stderr);
	secret = read_line(tty, "the terminal", error);
	mesh_platform_input_echo(tty, TRUE, NULL);
	fprintf(stderr, "\n");
	return secret;
}

MeshSecret *
mesh_cli_read_passphrase(const char *prompt, gboolean confirm, GError **error)
{
	g_autoptr(MeshSecret) first = NULL;
	g_autoptr(MeshSecret) again = NULL;
	g_autoptr(MeshPlatformInput) tty = NULL;

	if (!mesh_platform_is_terminal(MESH_PLATFORM_STDIN)) {
		g_autoptr(MeshPlatformInput) in = mesh_platform_input_open(NULL, FALSE, error);

		return read_line(in, "standard input", error);
	}
	/* The terminal, as ssh-keygen and gpg ask: even when stdout is redirected. */
	tty = mesh_platform_input_terminal();
	first = prompt_tty(tty, prompt, error);
	if (first != NULL && confirm)
		again = prompt_tty(tty, "Repeat the passphrase: ", error);
	if (first == NULL || (confirm && again == NULL))
		return NULL;
	if (confirm && !mesh_secret_equal(first, again)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the two passphrases differ");
		return NULL;
	}
	return g_steal_pointer(&first);
}

MeshSecret *
mesh_cli_read_passphrase_file(const char *path, GError **error)
{
	g_autofree char *what = g_strdup_printf("'%s'", path);
	g_autoptr(MeshPlatformInput) input = mesh_platform_input_open(path, FALSE, error);

	if (input == NULL) {
		g_prefix_error(error, "cannot open the passphrase file '%s': ", path);
		return NULL;
	}
	return read_line(input, what, error);
}

gboolean
mesh_cli_new_key_passphrase(const MeshCliGlobals *globals, const char *verb, gboolean protect,
			    const char *file, MeshSecret **ret_passphrase, int *ret_exit)
{
	g_autoptr(GError) error = NULL;
	MeshSecret *passphrase = NULL;

	if (protect && file != NULL) {
		*ret_exit = mesh_cli_failf(globals, verb, MESH_ERROR_USAGE,
					   "give --protect or --passphrase-file, not both");
		return FALSE;
	}
	if (file != NULL)
		passphrase = mesh_cli_read_passphrase_file(file, &error);
	else if (protect)
		passphrase = mesh_cli_read_passphrase("Passphrase for the new keys: ", TRUE, &error);
	if (error != NULL) {
		*ret_exit = mesh_cli_fail(globals, verb, error);
		return FALSE;
	}
	*ret_passphrase = passphrase;
	return TRUE;
}

const char *
mesh_cli_secret_text(const MeshSecret *secret)
{
	return secret != NULL ? (const char *)mesh_secret_get(secret) : NULL;
}

/* ---- mesh lock, mesh unlock ------------------------------------------------------------- */

static void
print_count(const MeshCliGlobals *globals, const char *member, gint64 n, const char *text)
{
	g_autoptr(JsonBuilder) b = NULL;

	if (!globals->json) {
		printf("%s\n", text);
		return;
	}
	b = json_builder_new();
	json_builder_begin_object(b);
	if (member != NULL) {
		mesh_cli_json_int(b, member, n);
	}
	json_builder_end_object(b);
	mesh_cli_print_json(json_builder_get_root(b));
}

int
mesh_cmd_lock(int argc, char **argv, const MeshCliGlobals *globals)
{
	MeshClient *client = NULL;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "lock", "",
				 "Makes the agent wipe every key it has unwrapped: protected keys "
				 "need 'mesh unlock' again.",
				 mesh_cli_no_options, 0, &argc, &argv, &status))
		return status;
	status = mesh_cli_connect(globals, "lock", NULL, TRUE, &client);
	if (status != 0)
		return status;
	code = mesh_client_lock(client);
	if (code != MESH_ERROR_OK)
		status = mesh_cli_client_fail(globals, "lock", client, code);
	else
		print_count(globals, NULL, 0, "Locked");
	mesh_client_close(client);
	return status;
}

int
mesh_cmd_unlock(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autofree char *passphrase_file = NULL;
	gint lifetime = -1;
	const GOptionEntry entries[] = {
		{ "lifetime", 0, 0, G_OPTION_ARG_INT, &lifetime,
		  "Seconds the keys stay unlocked (default 3600; 0: until 'mesh lock')", "S" },
		{ "passphrase-file", 0, 0, G_OPTION_ARG_FILENAME, &passphrase_file,
		  "Read the passphrase from the first line of FILE", "FILE" },
		G_OPTION_ENTRY_NULL,
	};
	g_autoptr(MeshSecret) passphrase = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;
	MeshClient *client = NULL;
	gint64 unlocked = 0;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "unlock", "",
				 "Unwraps the hive's passphrase-protected keys in the agent. The "
				 "passphrase is read from the terminal without echo, or from "
				 "standard input when it is not a terminal.",
				 entries, 0, &argc, &argv, &status))
		return status;
	if (lifetime < -1)
		return mesh_cli_failf(globals, "unlock", MESH_ERROR_USAGE,
				      "--lifetime must be 0 or more seconds");
	status = mesh_cli_connect(globals, "unlock", NULL, TRUE, &client);
	if (status != 0)
		return status;
	passphrase = passphrase_file != NULL ?
			     mesh_cli_read_passphrase_file(passphrase_file, &error) :
			     mesh_cli_read_passphrase("Passphrase: ", FALSE, &error);
	if (passphrase == NULL) {
		status = mesh_cli_fail(globals, "unlock", error);
		goto out;
	}
	code = mesh_client_unlock(client, (const char *)mesh_secret_get(passphrase), lifetime,
				  &unlocked);
	if (code != MESH_ERROR_OK) {
		status = mesh_cli_client_fail(globals, "unlock", client, code);
		goto out;
	}
	text = g_strdup_printf("Unlocked %" G_GINT64_FORMAT " key%s", unlocked,
			       unlocked == 1 ? "" : "s");
	print_count(globals, "Unlocked", unlocked, text);
out:
	mesh_client_close(client);
	return status;
}
