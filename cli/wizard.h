/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The shared prompting of the interactive wizards (meshclient, meshconnect, and mesh connect
 * accept/reject without a witness): questions on
 * standard output, answers one line at a time from standard input (read a byte at a time, so
 * that nothing past the answer is consumed, and bounded by WIZARD_LINE_MAX). End of input, or
 * Ctrl-C while waiting for an answer, gives MESH_ERROR_CANCELLED: the wizard exits cleanly with
 * that status (28).
 */

#include "verbs.h"

/* Longest answer, in bytes; a longer line is refused and the question asked again. */
#define WIZARD_LINE_MAX 1024

/* The options both wizards take (--hive, --portal, --portal-ca, --version), parsed. */
typedef struct {
	MeshCliGlobals globals;
	char *hive;
	char *portal;    /* NULL: $MESH_PORTAL_URL, else from the account's domain */
	char *portal_ca; /* NULL: $MESH_PORTAL_CA */
	char *account;   /* optional positional ACCOUNT */
} WizardOptions;

/*
 * wizard_parse: parse the command line of @prog. Returns TRUE to go on; FALSE with *ret_exit
 * set after --help / --version (0) or a usage error (2).
 */
gboolean wizard_parse(const char *prog, const char *summary, int argc, char **argv,
		      WizardOptions *opts, int *ret_exit);
void wizard_options_clear(WizardOptions *opts);

/* wizard_install_sigint: Ctrl-C interrupts a prompt or a wait (wizard_cancelled() says so)
 * instead of killing the program. */
void wizard_install_sigint(void);
gboolean wizard_cancelled(void);

/* wizard_ask: print @question (with " [@def]" when @def is not NULL) and read one line; an
 * empty answer gives @def (or is asked again when @def is NULL). Free *ret with g_free. */
MeshError wizard_ask(const char *question, const char *def, char **ret);

/* wizard_yes_no: a yes/no question; an empty answer gives @def. */
MeshError wizard_yes_no(const char *question, gboolean def, gboolean *ret);

/* wizard_ask_int: a number in [@min, @max]; an empty answer gives @def. */
MeshError wizard_ask_int(const char *question, int def, int min, int max, int *ret);

/*
 * wizard_menu: print @title and the @n items numbered from 1, and read a choice (a number); an
 * empty answer gives @def (an index, or -1 for none). *ret is the index of the item chosen.
 */
MeshError wizard_menu(const char *title, const char *const *items, size_t n, int def,
		      size_t *ret);

/*
 * wizard_secret: a secret without echo when standard input is a terminal (asked twice with
 * @confirm), else one line. Empty answers are refused and asked again.
 */
MeshError wizard_secret(const char *question, gboolean confirm, MeshSecret **ret);

/*
 * wizard_wait_input: wait up to @ms milliseconds for input or Ctrl-C. Returns
 * MESH_ERROR_CANCELLED on Ctrl-C, end of input, or a line "q"; MESH_ERROR_OK otherwise (other
 * lines are ignored).
 */
MeshError wizard_wait_input(int ms);

/* wizard_session: connect to the agent (starting it when needed) with the portal of @opts; 0
 * or the exit status after reporting the failure. */
int wizard_session(const char *prog, const WizardOptions *opts, MeshClient **ret_client);

/* wizard_set_portal: tell @client the portal @url (may be NULL) and the CA of @opts. */
void wizard_set_portal(MeshClient *client, const WizardOptions *opts, const char *url);

/* wizard_default_portal: --portal, else $MESH_PORTAL_URL, else https://DOMAIN/.well-known/mmm/
 * for the domain of @account. */
char *wizard_default_portal(const WizardOptions *opts, const char *account);

/* wizard_valid_account: @account is an account name (mesh_personal_check_account) with a domain. */
gboolean wizard_valid_account(const char *account);

/*
 * wizard_show_pending: print the pending request @p (number @i of @n) for the user to compare with
 * the new device's screen: the device, its description (escaped), the expiry and the whole
 * witness, with the reminder to compare every character of it.
 */
void wizard_show_pending(const MeshClientPending *p, size_t i, size_t n);

/* wizard_fail: print "@prog: message" (the client's last error, escaped, else the code's text)
 * on stderr; returns @code. */
int wizard_fail(const char *prog, MeshClient *client, MeshError code, const char *what);
