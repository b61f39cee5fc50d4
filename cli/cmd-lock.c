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

static MeshError
lock_call(MeshCliCall *c)
{
	MeshError code = mesh_client_lock(c->client);

	/* --json: {} */
	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) == NULL)
		printf("Locked\n");
	return code;
}

int
mesh_cmd_lock(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "lock",
	        .params = "",
	        .description = "Makes the agent wipe every key it has unwrapped: protected keys "
	                       "need 'mesh unlock' again.",
	        .call = lock_call,
	};
	return mesh_cli_run_simple(globals, &spec, NULL, argc, argv);
}

/* unlock: --lifetime S and --passphrase-file FILE. */
typedef struct {
	gint lifetime;
	char *passphrase_file;
} Unlock;

static int
unlock_check(MeshCliCall *c)
{
	const Unlock *o = c->data;

	if (o->lifetime < -1)
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE,
		                      "--lifetime must be 0 or more seconds");
	return 0;
}

static MeshError
unlock_call(MeshCliCall *c)
{
	const Unlock *o = c->data;
	g_autoptr(MeshSecret) passphrase = NULL;
	g_autoptr(GError) error = NULL;
	gint64 unlocked = 0;
	MeshError code;

	/* Asked for once the agent answers. */
	passphrase = o->passphrase_file != NULL
	                     ? mesh_cli_read_passphrase_file(o->passphrase_file, &error)
	                     : mesh_cli_read_passphrase("Passphrase: ", FALSE, &error);
	if (passphrase == NULL) {
		c->status = mesh_cli_fail(c->globals, c->verb, error);
		return (MeshError)c->status;
	}
	code = mesh_client_unlock(c->client, (const char *)mesh_secret_get(passphrase), o->lifetime,
	                          &unlocked);
	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL)
		mesh_cli_json_int(c->json, "Unlocked", unlocked);
	else if (code == MESH_ERROR_OK)
		printf("Unlocked %" G_GINT64_FORMAT " key%s\n", unlocked, unlocked == 1 ? "" : "s");
	return code;
}

int
mesh_cmd_unlock(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "unlock",
	        .params = "",
	        .description = "Unwraps the hive's passphrase-protected keys in the agent. The "
	                       "passphrase is read from the terminal without echo, or from "
	                       "standard input when it is not a terminal.",
	        .check = unlock_check,
	        .call = unlock_call,
	};
	Unlock o = {.lifetime = -1};
	MeshCliCall c = {.data = &o};
	const GOptionEntry entries[] = {
	        {"lifetime", 0, 0, G_OPTION_ARG_INT, &o.lifetime,
	         "Seconds the keys stay unlocked (default 3600; 0: until 'mesh lock')", "S"},
	        {"passphrase-file", 0, 0, G_OPTION_ARG_FILENAME, &o.passphrase_file,
	         "Read the passphrase from the first line of FILE", "FILE"},
	        G_OPTION_ENTRY_NULL,
	};

	return mesh_cli_run(globals, &spec, &c, entries, argc, argv);
}
