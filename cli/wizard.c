/* SPDX-License-Identifier: MIT */
/* The shared prompting of the interactive wizards (wizard.h). */
#include "wizard.h"

#include <errno.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect.h"
#include "personal.h"
#include "platform.h"

void
wizard_install_sigint(void)
{
	mesh_platform_catch_interrupt();
}

gboolean
wizard_cancelled(void)
{
	return mesh_platform_interrupted();
}

/*
 * One line from standard input into @buf (WIZARD_LINE_MAX + 1 bytes), without the newline (nor
 * a carriage return before it). MESH_ERROR_CANCELLED at end of input before a newline or on
 * Ctrl-C; MESH_ERROR_TOO_LARGE when the line is longer (the rest of it is read and dropped).
 */
static MeshError
read_line(char *buf)
{
	g_autoptr(MeshPlatformInput) in = mesh_platform_input_open(NULL, TRUE, NULL);
	size_t n = 0;
	gboolean too_long = FALSE;

	for (;;) {
		g_autoptr(GError) error = NULL;
		char c;
		gssize r = mesh_platform_input_read(in, &c, 1, &error);

		if (r < 0)
			return mesh_error_code(error);
		if (r == 0) {
			if (n == 0 && !too_long)
				return MESH_ERROR_CANCELLED;
			break;
		}
		if (c == '\n')
			break;
		if (n == WIZARD_LINE_MAX)
			too_long = TRUE;
		else
			buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	if (too_long) {
		OPENSSL_cleanse(buf, WIZARD_LINE_MAX + 1);
		return MESH_ERROR_TOO_LARGE;
	}
	return MESH_ERROR_OK;
}

/* Print the question and read the answer, trimmed; re-asks a line that is too long. */
static MeshError
ask_raw(const char *question, const char *def, char *buf)
{
	for (;;) {
		MeshError code;

		if (def != NULL && *def != '\0')
			printf("%s [%s]: ", question, def);
		else
			printf("%s: ", question);
		fflush(stdout);
		code = read_line(buf);
		if (code == MESH_ERROR_TOO_LARGE) {
			printf("That answer is longer than %d bytes; try again.\n",
			       WIZARD_LINE_MAX);
			continue;
		}
		if (code == MESH_ERROR_CANCELLED)
			printf("\n");
		if (code == MESH_ERROR_OK)
			g_strstrip(buf);
		return code;
	}
}

MeshError
wizard_ask(const char *question, const char *def, char **ret)
{
	char buf[WIZARD_LINE_MAX + 1];

	for (;;) {
		MeshError code = ask_raw(question, def, buf);

		if (code != MESH_ERROR_OK)
			return code;
		if (*buf != '\0') {
			*ret = g_strdup(buf);
			return MESH_ERROR_OK;
		}
		if (def != NULL) {
			*ret = g_strdup(def);
			return MESH_ERROR_OK;
		}
		printf("An answer is needed (end of input, Ctrl-D, cancels).\n");
	}
}

MeshError
wizard_yes_no(const char *question, gboolean def, gboolean *ret)
{
	char buf[WIZARD_LINE_MAX + 1];
	g_autofree char *q = g_strdup_printf("%s %s", question, def ? "[Y/n]" : "[y/N]");

	for (;;) {
		MeshError code = ask_raw(q, NULL, buf);

		if (code != MESH_ERROR_OK)
			return code;
		if (*buf == '\0') {
			*ret = def;
			return MESH_ERROR_OK;
		}
		if (g_ascii_strcasecmp(buf, "y") == 0 || g_ascii_strcasecmp(buf, "yes") == 0) {
			*ret = TRUE;
			return MESH_ERROR_OK;
		}
		if (g_ascii_strcasecmp(buf, "n") == 0 || g_ascii_strcasecmp(buf, "no") == 0) {
			*ret = FALSE;
			return MESH_ERROR_OK;
		}
		printf("Answer y or n.\n");
	}
}

static gboolean
parse_int(const char *s, long min, long max, long *ret)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return FALSE;
	*ret = v;
	return TRUE;
}

MeshError
wizard_ask_int(const char *question, int def, int min, int max, int *ret)
{
	char buf[WIZARD_LINE_MAX + 1];
	char d[32];

	g_snprintf(d, sizeof d, "%d", def);
	for (;;) {
		MeshError code = ask_raw(question, d, buf);
		long v;

		if (code != MESH_ERROR_OK)
			return code;
		if (*buf == '\0') {
			*ret = def;
			return MESH_ERROR_OK;
		}
		if (parse_int(buf, min, max, &v)) {
			*ret = (int)v;
			return MESH_ERROR_OK;
		}
		printf("Give a number from %d to %d.\n", min, max);
	}
}

MeshError
wizard_menu(const char *title, const char *const *items, size_t n, int def, size_t *ret)
{
	char buf[WIZARD_LINE_MAX + 1];
	char d[32] = "";

	if (def >= 0)
		g_snprintf(d, sizeof d, "%d", def + 1);
	for (;;) {
		MeshError code;
		long v;

		printf("\n%s\n", title);
		for (size_t i = 0; i < n; i++)
			printf("  %zu) %s\n", i + 1, items[i]);
		code = ask_raw("Choice", d, buf);
		if (code != MESH_ERROR_OK)
			return code;
		if (*buf == '\0' && def >= 0) {
			*ret = (size_t)def;
			return MESH_ERROR_OK;
		}
		if (parse_int(buf, 1, (long)n, &v)) {
			*ret = (size_t)(v - 1);
			return MESH_ERROR_OK;
		}
		printf("Choose a number from 1 to %zu.\n", n);
	}
}

MeshError
wizard_secret(const char *question, gboolean confirm, MeshSecret **ret)
{
	g_autofree char *prompt = g_strdup_printf("%s: ", question);

	for (;;) {
		g_autoptr(GError) error = NULL;
		MeshSecret *secret;

		fflush(stdout);
		secret = mesh_cli_read_passphrase(prompt, confirm, &error);
		if (secret != NULL && mesh_platform_interrupted()) {
			/* Ctrl-C while typing it (the read goes on after EINTR). */
			mesh_secret_free(secret);
			printf("\n");
			return MESH_ERROR_CANCELLED;
		}
		if (secret != NULL) {
			*ret = secret;
			return MESH_ERROR_OK;
		}
		if (mesh_platform_interrupted() || error->code == MESH_ERROR_CANCELLED) {
			printf("\n");
			return MESH_ERROR_CANCELLED;
		}
		if (error->code == MESH_ERROR_IO)
			return MESH_ERROR_IO;
		printf("%s; try again.\n", error->message);
	}
}

MeshError
wizard_wait_input(int ms)
{
	g_autoptr(MeshPlatformInput) in = mesh_platform_input_open(NULL, TRUE, NULL);
	char buf[WIZARD_LINE_MAX + 1];
	int r;

	if (mesh_platform_interrupted())
		return MESH_ERROR_CANCELLED;
	r = mesh_platform_input_wait(in, ms);
	if (mesh_platform_interrupted())
		return MESH_ERROR_CANCELLED;
	if (r == 0)
		return MESH_ERROR_OK;
	if (r < 0) {
		g_usleep((gulong)ms * 1000);
		return MESH_ERROR_OK;
	}
	switch (read_line(buf)) {
	case MESH_ERROR_OK:
		g_strstrip(buf);
		return g_ascii_strcasecmp(buf, "q") == 0 ? MESH_ERROR_CANCELLED : MESH_ERROR_OK;
	case MESH_ERROR_TOO_LARGE:
		return MESH_ERROR_OK;
	default:
		return MESH_ERROR_CANCELLED;
	}
}

gboolean
wizard_parse(const char *prog, const char *summary, int argc, char **argv, WizardOptions *opts,
	     int *ret_exit)
{
	gboolean version = FALSE;
	const GOptionEntry entries[] = {
		{ "hive", 0, 0, G_OPTION_ARG_STRING, &opts->hive,
		  "The hive: test or production (default: $MESH_HIVE, else production)", "HIVE" },
		MESH_CLI_PORTAL_OPTIONS(opts->portal, opts->portal_ca),
		{ "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit",
		  NULL },
		G_OPTION_ENTRY_NULL,
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("[ACCOUNT]");
	g_autoptr(GError) error = NULL;

	g_set_prgname(prog);
	g_option_context_set_summary(ctx, summary);
	g_option_context_set_description(
		ctx, "End of input (Ctrl-D) at a question, or Ctrl-C, cancels (exit status 28).");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_help_enabled(ctx, FALSE);
	for (int i = 1; i < argc; i++) {
		if (g_str_equal(argv[i], "--"))
			break;
		if (g_str_equal(argv[i], "--help") || g_str_equal(argv[i], "-h")) {
			g_autofree char *help = NULL;

			g_option_context_set_help_enabled(ctx, TRUE);
			help = g_option_context_get_help(ctx, TRUE, NULL);
			fputs(help, stdout);
			*ret_exit = 0;
			return FALSE;
		}
	}
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		fprintf(stderr, "%s: %s (see '%s --help')\n", prog, error->message, prog);
		*ret_exit = MESH_ERROR_USAGE;
		return FALSE;
	}
	if (version) {
		printf("%s %s\n", prog, MESH_VERSION);
		*ret_exit = 0;
		return FALSE;
	}
	if (argc > 2) {
		fprintf(stderr, "%s: unexpected argument '%s' (see '%s --help')\n", prog, argv[2],
			prog);
		*ret_exit = MESH_ERROR_USAGE;
		return FALSE;
	}
	if (argc == 2) {
		if (!wizard_valid_account(argv[1])) {
			fprintf(stderr, "%s: '%s' is not an account (local@domain)\n", prog,
				argv[1]);
			*ret_exit = MESH_ERROR_USAGE;
			return FALSE;
		}
		opts->account = g_strdup(argv[1]);
	}
	opts->globals.hive = opts->hive;
	opts->globals.json = FALSE;
	return TRUE;
}

void
wizard_options_clear(WizardOptions *opts)
{
	g_clear_pointer(&opts->hive, g_free);
	g_clear_pointer(&opts->portal, g_free);
	g_clear_pointer(&opts->portal_ca, g_free);
	g_clear_pointer(&opts->account, g_free);
}

int
wizard_session(const char *prog, const WizardOptions *opts, MeshClient **ret_client)
{
	return mesh_cli_session_connect(&opts->globals, prog, opts->portal, opts->portal_ca,
					ret_client);
}

void
wizard_set_portal(MeshClient *client, const WizardOptions *opts, const char *url)
{
	const char *ca = opts->portal_ca;
	g_autofree char *abs = NULL;

	if (ca == NULL && g_getenv("MESH_PORTAL_CA") != NULL && *g_getenv("MESH_PORTAL_CA"))
		ca = g_getenv("MESH_PORTAL_CA");
	if (ca != NULL)
		abs = g_canonicalize_filename(ca, NULL);
	mesh_client_set_portal(client, url, abs);
}

char *
wizard_default_portal(const WizardOptions *opts, const char *account)
{
	const char *at = account != NULL ? strrchr(account, '@') : NULL;

	if (opts->portal != NULL)
		return g_strdup(opts->portal);
	if (g_getenv("MESH_PORTAL_URL") != NULL && *g_getenv("MESH_PORTAL_URL") != '\0')
		return g_strdup(g_getenv("MESH_PORTAL_URL"));
	if (at == NULL)
		return NULL;
	return g_strdup_printf("https://%s/.well-known/mmm/", at + 1);
}

gboolean
wizard_valid_account(const char *account)
{
	/* The wizards need the domain: it names the portal. */
	return strchr(account, '@') != NULL && mesh_personal_check_account(account, NULL);
}

void
wizard_show_pending(const MeshClientPending *p, size_t i, size_t n)
{
	g_auto(MeshCliEscapes) esc = { 0 };

	printf("\nRequest %zu of %zu\n", i + 1, n);
	printf("  Device:       %s\n", mesh_cli_escape(&esc, p->device_udf));
	if (p->description != NULL)
		printf("  Description:  %s\n", mesh_cli_escape(&esc, p->description));
	printf("  Expires:      %s\n", mesh_cli_escape(&esc, p->expires));
	printf("\n  WITNESS:      %s\n\n", mesh_cli_escape(&esc, p->witness));
	printf("Compare every character of this witness, all %d of them, with the one the new\n"
	       "device shows. Accept the device only if they are the same from first to last.\n",
	       MESH_CONNECT_WITNESS_CHARS);
	fflush(stdout);
}

int
wizard_fail(const char *prog, MeshClient *client, MeshError code, const char *what)
{
	const char *message = client != NULL ? mesh_client_last_error(client) : "";
	g_auto(MeshCliEscapes) esc = { 0 };

	if (code == MESH_ERROR_OK)
		code = MESH_ERROR_FAILED;
	/* The agent's message may carry the portal's words. */
	fprintf(stderr, "%s: %s%s%s\n", prog, what != NULL ? what : "", what != NULL ? ": " : "",
		*message != '\0' ? mesh_cli_escape(&esc, message) : mesh_error_str(code));
	return code;
}
