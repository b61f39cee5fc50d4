/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdio.h>

#include <mesh/client.h>

#include "cli.h"
#include "secret.h"

/* The verbs that talk to the agent, through libmeshclient (<mesh/client.h>). */
int mesh_cmd_agent(int argc, char **argv, const MeshCliGlobals *globals);
int mesh_cmd_device(int argc, char **argv, const MeshCliGlobals *globals);
int mesh_cmd_key(int argc, char **argv, const MeshCliGlobals *globals);
int mesh_cmd_hive(int argc, char **argv, const MeshCliGlobals *globals);
int mesh_cmd_lock(int argc, char **argv, const MeshCliGlobals *globals);
int mesh_cmd_unlock(int argc, char **argv, const MeshCliGlobals *globals);
/* The session verbs (core/session through the agent's session methods). */
int mesh_cmd_account(int argc, char **argv, const MeshCliGlobals *globals);
int mesh_cmd_profile(int argc, char **argv, const MeshCliGlobals *globals);
int mesh_cmd_escrow(int argc, char **argv, const MeshCliGlobals *globals);
int mesh_cmd_connect(int argc, char **argv, const MeshCliGlobals *globals);
int mesh_cmd_app(int argc, char **argv, const MeshCliGlobals *globals);
int mesh_cmd_password(int argc, char **argv, const MeshCliGlobals *globals);
int mesh_cmd_ssh(int argc, char **argv, const MeshCliGlobals *globals);
/* Which program may use which key (cmd-policy.c), and the audit log (cmd-audit.c). */
int mesh_cmd_policy(int argc, char **argv, const MeshCliGlobals *globals);
int mesh_cmd_approve(int argc, char **argv, const MeshCliGlobals *globals);
int mesh_cmd_deny(int argc, char **argv, const MeshCliGlobals *globals);
int mesh_cmd_audit(int argc, char **argv, const MeshCliGlobals *globals);

/* The --portal URL and --portal-ca FILE options of the session verbs (two GOptionEntry rows). */
#define MESH_CLI_PORTAL_OPTIONS(url, ca)                                                      \
	{ "portal", 0, 0, G_OPTION_ARG_STRING, &(url),                                        \
	  "The account's portal (default: $MESH_PORTAL_URL, else "                            \
	  "https://DOMAIN/.well-known/mmm/); the account remembers it",                       \
	  "URL" },                                                                             \
	{ "portal-ca", 0, 0, G_OPTION_ARG_FILENAME, &(ca),                                    \
	  "Trust the portal's TLS certificate from this CA file, PEM (default: "              \
	  "$MESH_PORTAL_CA)",                                                                  \
	  "FILE" }

/* The --account ACCOUNT option of the verbs that act on one account (one row). */
#define MESH_CLI_ACCOUNT_OPTION(account)                                                      \
	{ "account", 0, 0, G_OPTION_ARG_STRING, &(account),                                   \
	  "The account (default: the default account)", "ACCOUNT" }

/* The --protect and --passphrase-file FILE options of the verbs that make keys (two rows). */
#define MESH_CLI_PROTECT_OPTIONS(protect, file)                                               \
	{ "protect", 0, 0, G_OPTION_ARG_NONE, &(protect),                                     \
	  "Protect the new keys with a passphrase, asked for on the terminal", NULL },        \
	{ "passphrase-file", 0, 0, G_OPTION_ARG_FILENAME, &(file),                            \
	  "Protect the new keys with the passphrase on the first line of FILE", "FILE" }

/* The --keystore STORE option of the verbs that make keys (one row). */
#define MESH_CLI_KEYSTORE_OPTION(store)                                                       \
	{ "keystore", 0, 0, G_OPTION_ARG_STRING, &(store),                                    \
	  "Make the new keys in this key store: file, secret or tpm2 (default: the hive's, "  \
	  "'mesh hive set-keystore')",                                                         \
	  "STORE" }

/*
 * mesh_cli_new_key_passphrase: the passphrase of MESH_CLI_PROTECT_OPTIONS — asked for twice
 * with --protect, read from FILE with --passphrase-file — in *@ret_passphrase (NULL with
 * neither). Returns FALSE after reporting the failure for @verb (both options: Usage; a read
 * error), with the exit status in *@ret_exit.
 */
gboolean mesh_cli_new_key_passphrase(const MeshCliGlobals *globals, const char *verb,
				     gboolean protect, const char *file,
				     MeshSecret **ret_passphrase, int *ret_exit);

/* mesh_cli_secret_text: the text of a NUL-terminated passphrase from this file's readers, or
 * NULL for NULL. */
const char *mesh_cli_secret_text(const MeshSecret *secret);

/*
 * mesh_cli_session_connect: mesh_cli_connect (autostarting the agent), then tell the connection
 * the portal URL (@portal, else $MESH_PORTAL_URL; may be none) and the CA file (@portal_ca,
 * else $MESH_PORTAL_CA, made absolute: the agent reads it). Returns 0 or the exit status.
 */
int mesh_cli_session_connect(const MeshCliGlobals *globals, const char *verb, const char *portal,
			     const char *portal_ca, MeshClient **ret_client);

/*
 * mesh_cli_connect: connect to the agent of @hive (NULL: globals->hive, else $MESH_HIVE, else
 * production). When none answers and @autostart is set, start `meshagent --hive H` (found beside
 * the mesh binary, else in PATH) as gpg starts gpg-agent, and keep trying for up to 5 seconds.
 * Returns 0 with *@ret_client set, or the exit status after reporting the failure for @verb
 * (MESH_ERROR_AGENT_UNAVAILABLE when no agent could be reached).
 */
int mesh_cli_connect(const MeshCliGlobals *globals, const char *verb, const char *hive,
		     gboolean autostart, MeshClient **ret_client);

/* mesh_cli_client_fail: report the failure @code of a call on @client for @verb (its message is
 * mesh_client_last_error()); returns the exit status. */
int mesh_cli_client_fail(const MeshCliGlobals *globals, const char *verb, MeshClient *client,
			 MeshError code);

/*
 * mesh_cli_read_passphrase: a passphrase from the terminal without echo (@prompt on stderr;
 * with @confirm it is asked twice and must match), or one line of standard input when that is
 * not a terminal. mesh_cli_read_passphrase_file: the first line of the file @path. Returns a
 * NUL-terminated MeshSecret (its length counts the NUL). Errors: MESH_ERROR_CANCELLED (end of
 * input), MESH_ERROR_INVALID_ARGUMENT (empty, or the two entries differ), MESH_ERROR_TOO_LARGE,
 * MESH_ERROR_IO, MESH_ERROR_NOT_FOUND.
 */
MeshSecret *mesh_cli_read_passphrase(const char *prompt, gboolean confirm, GError **error);
MeshSecret *mesh_cli_read_passphrase_file(const char *path, GError **error);

/*
 * mesh_cli_parse_verb: mesh_cli_parse, then at most @max_args arguments after the options
 * (else a Usage failure naming the first extra one).
 */
gboolean mesh_cli_parse_verb(const MeshCliGlobals *globals, const char *verb, const char *params,
			     const char *description, const GOptionEntry *entries, int max_args,
			     int *argc, char ***argv, int *ret_exit);

/* For verbs without options. */
extern const GOptionEntry mesh_cli_no_options[];

/* JSON output: one member of the object being built. A NULL string adds nothing: optional
 * members are omitted, never null (docs/protocol.md §1). */
void mesh_cli_json_string(JsonBuilder *b, const char *name, const char *value);
void mesh_cli_json_int(JsonBuilder *b, const char *name, gint64 value);
void mesh_cli_json_bool(JsonBuilder *b, const char *name, gboolean value);
/* mesh_cli_json_begin_array: the member @name, an array begun (json_builder_end_array ends it). */
void mesh_cli_json_begin_array(JsonBuilder *b, const char *name);

/* mesh_cli_print_profile_devices: @devices as the array @member of @b, or (@b NULL) a line each. */
void mesh_cli_print_profile_devices(JsonBuilder *b, const char *member,
                                    const MeshClientProfileDevice *devices, size_t n);
/* mesh_cli_print_removal: what removing a device did and what it could read, as members of @b
 * or (@b NULL) as text. */
void mesh_cli_print_removal(JsonBuilder *b, const MeshClientRemoval *removal);
/* mesh_cli_print_pin: a PIN made for connecting a device: grouped for reading, its URI, PinId
 * and expiry, and with @qr the URI as a QR code (cli/qr.c). */
void mesh_cli_print_pin(const MeshClientPin *pin, gboolean qr);
/* mesh_cli_dispatch: run the subcommand of @verb named by argv[1] from @subs (a NULL-terminated
 * table), or print @usage for --help, or fail with Usage. */
typedef struct {
	const char *name;
	int (*run)(int argc, char **argv, const MeshCliGlobals *globals);
} MeshCliSub;

int mesh_cli_dispatch(int argc, char **argv, const MeshCliGlobals *globals, const char *verb,
		      const MeshCliSub *subs, const char *usage);

/*
 * The verb skeleton, written once: parse the options, check the arguments, reach the agent,
 * call it, print the answer (text, or with --json one object) or the failure, and exit with
 * the MeshError code. A verb names its parts in a MeshCliVerbSpec, points its option entries
 * into a MeshCliCall (account, portal, keystore... or its own @data) and calls mesh_cli_run:
 *
 *	static const MeshCliVerbSpec spec = { .name = "app list", .params = "",
 *		.description = "...", .reach = MESH_CLI_REACH_SESSION, .call = app_list_call };
 *	MeshCliCall c = { 0 };
 *	const GOptionEntry entries[] = { MESH_CLI_ACCOUNT_OPTION(c.account), G_OPTION_ENTRY_NULL };
 *
 *	return mesh_cli_run(globals, &spec, &c, entries, argc, argv);
 */
typedef enum {
	MESH_CLI_REACH_AGENT,   /* mesh_cli_connect: the agent of the hive, started on demand */
	MESH_CLI_REACH_SESSION, /* mesh_cli_session_connect: the same, told the portal */
} MeshCliReach;

typedef enum {
	MESH_CLI_OUT_JSON,        /* with --json the call adds the members of one object to
	                           * mesh_cli_call_json(), the runner prints it */
	MESH_CLI_OUT_SECRET_JSON, /* the same, printed by mesh_cli_print_secret_json */
	MESH_CLI_OUT_OWN,         /* the call prints all its output itself */
} MeshCliOut;

/* The options of a verb run by mesh_cli_run_simple: none but these. */
typedef enum {
	MESH_CLI_OPTIONS_NONE,
	MESH_CLI_OPTIONS_ACCOUNT,        /* --account */
	MESH_CLI_OPTIONS_ACCOUNT_PORTAL, /* --account, --portal, --portal-ca */
} MeshCliOptions;

typedef struct MeshCliCall MeshCliCall;

typedef struct {
	const char *name;   /* "app list": what messages and --help name */
	const char *params; /* mesh_cli_parse's @params and @description */
	const char *description;
	int min_args, max_args; /* arguments after the options (argv[1]...) */
	const char *args_usage; /* the Usage failure when there are fewer than min_args */
	MeshCliReach reach;
	MeshCliOut out;
	MeshCliOptions options; /* mesh_cli_run_simple's options */
	gboolean makes_keys;    /* MESH_CLI_PROTECT_OPTIONS and MESH_CLI_KEYSTORE_OPTION: the
	                         * passphrase is read after parsing, the key store set on the
	                         * client */
	/* Optional: the verb's own checks, after parsing and before reaching the agent.
	 * Returns 0 or the exit status after reporting the failure. */
	int (*check)(MeshCliCall *call);
	/* The call on call->client; its text output when !globals->json. Returns the MeshError
	 * of the client (reported by the runner as mesh_cli_client_fail does), unless it set
	 * call->status after reporting a failure itself. */
	MeshError (*call)(MeshCliCall *call);
} MeshCliVerbSpec;

struct MeshCliCall {
	const MeshCliGlobals *globals;
	const char *verb; /* spec->name */
	int argc;         /* after the options: argv[0] is the verb */
	char **argv;
	char *account;            /* MESH_CLI_ACCOUNT_OPTION(c.account) */
	char *portal, *portal_ca; /* MESH_CLI_PORTAL_OPTIONS(c.portal, c.portal_ca) */
	char *keystore;           /* MESH_CLI_KEYSTORE_OPTION(c.keystore) */
	gboolean protect;         /* MESH_CLI_PROTECT_OPTIONS(c.protect, c.passphrase_file) */
	char *passphrase_file;
	MeshSecret *passphrase; /* with makes_keys: the new keys' passphrase, or NULL */
	const char *hive;       /* the agent's hive (NULL: --hive); a check may set it */
	void *data;             /* the verb's own options and state */
	MeshClient *client;     /* during the call */
	JsonBuilder *json;      /* mesh_cli_call_json()'s */
	int status;             /* an exit status the call sets (0 unless it does) */
};

/*
 * mesh_cli_call_json: with --json, the answer object of @call, begun on the first use (after
 * the agent answered: nothing is built before, as cli-secrets.sh checks); NULL without --json.
 */
JsonBuilder *mesh_cli_call_json(MeshCliCall *call);

/*
 * mesh_cli_report_queued: after a verb that changes an application succeeded, whether the agent
 * queued its change (mesh_client_last_queued: the portal could not be reached): with --json the
 * member "Queued" (true or false); else, when queued, a line on @out saying so and when it is
 * published.
 */
void mesh_cli_report_queued(MeshCliCall *call, FILE *out);

/*
 * mesh_cli_run: run the verb @spec with the options @entries (pointing into @call or its data)
 * on @argv. Frees the strings the entries received. Returns the exit status.
 */
int mesh_cli_run(const MeshCliGlobals *globals, const MeshCliVerbSpec *spec, MeshCliCall *call,
                 const GOptionEntry *entries, int argc, char **argv);

/* mesh_cli_run_simple: mesh_cli_run for a verb with no options but spec->options; @data is
 * the call's. */
int mesh_cli_run_simple(const MeshCliGlobals *globals, const MeshCliVerbSpec *spec, void *data,
                        int argc, char **argv);

/* ---- Shared by mesh policy and mesh audit (cmd-policy.c) ---------------------------------- */

/* mesh_cli_check_program: 0 when the --program @path (NULL: not given) is absolute, as the
 * agent names programs; else the exit status after a Usage failure that says how to find it. */
int mesh_cli_check_program(MeshCliCall *call, const char *path);

/*
 * mesh_cli_parse_when: @text, a duration (30m, 8h, 7d; also s, w) from now — back from now when
 * @past — or an RFC 3339 time, as RFC 3339 UTC (2026-12-08T09:00:00Z; a new string). Errors:
 * MESH_ERROR_USAGE (neither; with !@past, a time that has passed).
 */
char *mesh_cli_parse_when(const char *text, gboolean past, GError **error);

/* mesh_cli_local_time: the RFC 3339 time @text as local "YYYY-MM-DD HH:MM:SS" (a new string),
 * or NULL when @text is NULL or no time. */
char *mesh_cli_local_time(const char *text);
