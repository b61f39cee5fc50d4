/* SPDX-License-Identifier: MIT */
/* mesh profile: create, show, list, sync, delete and recover the personal profile of an
 * account, through the agent's session methods. */
#include <stdio.h>
#include <stdlib.h>

#include "verbs.h"

int
mesh_cli_session_connect(const MeshCliGlobals *globals, const char *verb, const char *portal,
			 const char *portal_ca, MeshClient **ret_client)
{
	g_autofree char *ca = NULL;
	MeshClient *client = NULL;
	int status;

	if (portal == NULL && g_getenv("MESH_PORTAL_URL") != NULL &&
	    *g_getenv("MESH_PORTAL_URL") != '\0')
		portal = g_getenv("MESH_PORTAL_URL");
	if (portal_ca == NULL && g_getenv("MESH_PORTAL_CA") != NULL &&
	    *g_getenv("MESH_PORTAL_CA") != '\0')
		portal_ca = g_getenv("MESH_PORTAL_CA");
	/* The agent reads the file, from its own working folder. */
	if (portal_ca != NULL)
		ca = g_canonicalize_filename(portal_ca, NULL);
	status = mesh_cli_connect(globals, verb, NULL, TRUE, &client);
	if (status != 0)
		return status;
	mesh_client_set_portal(client, portal, ca);
	*ret_client = client;
	return 0;
}

/* The member @name: an array of the @n strings @strings. */
static void
json_strings(JsonBuilder *b, const char *name, char *const *strings, size_t n)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_array(b);
	for (size_t i = 0; i < n; i++)
		json_builder_add_string_value(b, strings[i]);
	json_builder_end_array(b);
}

/* {"Identifier", "Account", "Serial", "Devices": [UDF], "Applications": [{"Identifier", "Type",
 * "Friendly"}], "Portal"?} (PROTOCOL issue 4, §3), or the same as text; with @local, also what
 * this device holds: "MasterKeys" and "Escrows" (the escrow nudge's facts; sync leaves them
 * out, so that it prints the same on every device). */
static void
print_profile(MeshCliCall *c, const MeshClientProfile *p, const char *what, gboolean local)
{
	g_auto(MeshCliEscapes) esc = { 0 };
	JsonBuilder *b = mesh_cli_call_json(c);

	if (b == NULL) {
		printf("%s%s\n", what, mesh_cli_escape(&esc, p->identifier));
		printf("  Account:      %s\n  Serial:       %" G_GINT64_FORMAT "\n",
		       mesh_cli_escape(&esc, p->account), p->serial);
		for (size_t i = 0; i < p->n_devices; i++)
			printf("  %-13s %s\n", i == 0 ? "Devices:" : "",
			       mesh_cli_escape(&esc, p->devices[i]));
		for (size_t i = 0; i < p->n_applications; i++)
			printf("  %-13s %s %s%s%s\n", i == 0 ? "Applications:" : "",
			       mesh_cli_escape(&esc, p->applications[i].identifier),
			       mesh_cli_escape(&esc, p->applications[i].type),
			       p->applications[i].friendly ? " " : "",
			       p->applications[i].friendly ?
				       mesh_cli_escape(&esc, p->applications[i].friendly) :
				       "");
		if (p->portal != NULL)
			printf("  Portal:       %s\n", mesh_cli_escape(&esc, p->portal));
		/* What a sync did besides: requests answered by PIN, or why they were not. */
		for (size_t i = 0; i < p->n_notes; i++)
			printf("%s\n", mesh_cli_escape(&esc, p->notes[i]));
		return;
	}
	mesh_cli_json_string(b, "Identifier", p->identifier);
	mesh_cli_json_string(b, "Account", p->account);
	mesh_cli_json_int(b, "Serial", p->serial);
	json_strings(b, "Devices", p->devices, p->n_devices);
	mesh_cli_json_begin_array(b, "Applications");
	for (size_t i = 0; i < p->n_applications; i++) {
		json_builder_begin_object(b);
		mesh_cli_json_string(b, "Identifier", p->applications[i].identifier);
		mesh_cli_json_string(b, "Type", p->applications[i].type);
		mesh_cli_json_string(b, "Friendly", p->applications[i].friendly);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	mesh_cli_json_string(b, "Portal", p->portal);
	if (p->n_notes > 0)
		json_strings(b, "Notes", p->notes, p->n_notes);
	if (local) {
		mesh_cli_json_bool(b, "MasterKeys", p->master_keys);
		json_strings(b, "Escrows", p->escrows, p->n_escrows);
	}
}

/* The escrow nudge: while this device holds the master keys and knows no escrow of them, say
 * how to make one (not in --json, which has MasterKeys and Escrows). */
static void
print_escrow_nudge(const MeshCliGlobals *globals, const MeshClientProfile *p)
{
	g_auto(MeshCliEscapes) esc = {0};

	if (globals->json || !p->master_keys || p->n_escrows > 0)
		return;
	printf("No escrow of the master keys yet: if this device is lost, so is the profile. Make "
	       "one: mesh escrow create --quorum 2 --shares 3 --account %s\n",
	       mesh_cli_escape(&esc, p->account));
}

/* "PasswordSet of alice at example.com (Passwords), queued 2024-...": one change, escaped. */
static void
print_queued_line(const char *lead, const MeshClientQueued *q, const char *what)
{
	g_auto(MeshCliEscapes) esc = {0};

	printf("%s%s", lead, mesh_cli_escape(&esc, q->operation));
	if (q->site != NULL)
		printf(" %s at %s", mesh_cli_escape(&esc, q->username), mesh_cli_escape(&esc, q->site));
	else
		printf(" %s", mesh_cli_escape(&esc, q->application));
	printf(" (queued %s)", mesh_cli_escape(&esc, q->queued));
	if (q->conflict != NULL)
		printf(": %s", what);
	printf("\n");
}

/* What a conflict means, in words. */
static const char *
conflict_text(const char *conflict)
{
	if (g_strcmp0(conflict, "Replaced") == 0)
		return "another device had changed it too; its value was replaced by this device's";
	if (g_strcmp0(conflict, "Restored") == 0)
		return "another device had deleted it; this device's change put it back";
	if (g_strcmp0(conflict, "Deleted") == 0)
		return "another device had changed it; it was deleted all the same";
	return "it met a change of another device";
}

/* @n changes as lines (@lead before each), or the JSON array @member. */
static void
print_queued(MeshCliCall *c, const char *member, const char *lead, const MeshClientQueued *q,
             size_t n)
{
	JsonBuilder *b = mesh_cli_call_json(c);

	if (b == NULL) {
		for (size_t i = 0; i < n; i++)
			print_queued_line(lead, &q[i], conflict_text(q[i].conflict));
		return;
	}
	mesh_cli_json_begin_array(b, member);
	for (size_t i = 0; i < n; i++) {
		json_builder_begin_object(b);
		mesh_cli_json_string(b, "Operation", q[i].operation);
		mesh_cli_json_string(b, "Application", q[i].application);
		mesh_cli_json_string(b, "Site", q[i].site);
		mesh_cli_json_string(b, "Username", q[i].username);
		mesh_cli_json_string(b, "Queued", q[i].queued);
		mesh_cli_json_string(b, "Conflict", q[i].conflict);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

/* Shared by create, show, sync (as MeshCliCall.data). */
typedef enum { OP_CREATE, OP_SHOW, OP_SYNC } ProfileOp;

static MeshError
profile_op_call(MeshCliCall *c)
{
	static const char *const whats[] = {"Created profile ", "Profile ",
	                                    "Synchronized profile "};
	ProfileOp op = *(const ProfileOp *)c->data;
	const char *account = c->argc == 2 ? c->argv[1] : NULL;
	MeshClientProfile *profile = NULL;
	MeshClientQueue *report = NULL;
	MeshError code;

	mesh_client_set_passphrase(c->client, mesh_cli_secret_text(c->passphrase));
	code = op == OP_CREATE ? mesh_client_profile_create(c->client, account, &profile)
	       : op == OP_SHOW ? mesh_client_profile_get(c->client, account, &profile)
	                       : mesh_client_profile_sync_report(c->client, account, &profile,
	                                                         &report);
	if (code == MESH_ERROR_OK) {
		print_profile(c, profile, whats[op], op != OP_SYNC);
		if (op != OP_SYNC)
			print_escrow_nudge(c->globals, profile);
	}
	/* The sync published the queued changes first: what, and what met another device's. */
	if (code == MESH_ERROR_OK && report != NULL) {
		print_queued(c, "Published", "Published: ", report->queued, report->n_queued);
		print_queued(c, "Conflicts", "CONFLICT: ", report->conflicts, report->n_conflicts);
	}
	mesh_client_queue_free(report);
	mesh_client_profile_free(profile);
	return code;
}

static int
profile_op(int argc, char **argv, const MeshCliGlobals *globals, ProfileOp op)
{
	static const MeshCliVerbSpec specs[] = {
	        [OP_CREATE] =
	                {
	                        .name = "profile create",
	                        .params = "ACCOUNT",
	                        .description =
	                                "Creates the personal profile of ACCOUNT (local@domain) on "
	                                "its portal: master keys, an administration key and this "
	                                "device. --protect or --passphrase-file protect the new "
	                                "keys (on a protected hive they are protected by its "
	                                "passphrase anyway). Escrow the master keys next ('mesh "
	                                "escrow create').",
	                        .min_args = 1,
	                        .max_args = 1,
	                        .args_usage = "give the account to create (local@domain)",
	                        .reach = MESH_CLI_REACH_SESSION,
	                        .makes_keys = TRUE,
	                        .call = profile_op_call,
	                },
	        [OP_SHOW] =
	                {
	                        .name = "profile show",
	                        .params = "[ACCOUNT]",
	                        .description = "Shows the profile this machine holds for ACCOUNT "
	                                       "(default: the default account).",
	                        .max_args = 1,
	                        .reach = MESH_CLI_REACH_SESSION,
	                        .call = profile_op_call,
	                },
	        [OP_SYNC] =
	                {
	                        .name = "profile sync",
	                        .params = "[ACCOUNT]",
	                        .description =
	                                "Publishes the changes made while the portal could not be "
	                                "reached (and reports those that met a change of another "
	                                "device), then fetches the account's profile and "
	                                "application profiles from its portal, checks and stores "
	                                "them; repairs a stored profile that is damaged or "
	                                "missing.",
	                        .max_args = 1,
	                        .reach = MESH_CLI_REACH_SESSION,
	                        .call = profile_op_call,
	                },
	};
	MeshCliCall c = {.data = &op};
	/* Create makes keys (the device's, if none, the master and administration keys). */
	const GOptionEntry entries[] = {
	        MESH_CLI_PORTAL_OPTIONS(c.portal, c.portal_ca),
	        MESH_CLI_KEYSTORE_OPTION(c.keystore),
	        MESH_CLI_PROTECT_OPTIONS(c.protect, c.passphrase_file),
	        G_OPTION_ENTRY_NULL,
	};
	const GOptionEntry sync_entries[] = {
	        MESH_CLI_PORTAL_OPTIONS(c.portal, c.portal_ca),
	        G_OPTION_ENTRY_NULL,
	};

	return mesh_cli_run(globals, &specs[op], &c,
	                    op == OP_CREATE ? entries
	                    : op == OP_SHOW ? mesh_cli_no_options
	                                    : sync_entries,
	                    argc, argv);
}

static int
profile_create(int argc, char **argv, const MeshCliGlobals *globals)
{
	return profile_op(argc, argv, globals, OP_CREATE);
}

static int
profile_show(int argc, char **argv, const MeshCliGlobals *globals)
{
	return profile_op(argc, argv, globals, OP_SHOW);
}

static int
profile_sync(int argc, char **argv, const MeshCliGlobals *globals)
{
	return profile_op(argc, argv, globals, OP_SYNC);
}

static MeshError
profile_status_call(MeshCliCall *c)
{
	const char *account = c->argc == 2 ? c->argv[1] : NULL;
	MeshClientQueue *status = NULL;
	MeshError code = mesh_client_profile_status(c->client, account, &status);

	if (code != MESH_ERROR_OK)
		return code;
	if (mesh_cli_call_json(c) == NULL) {
		if (status->n_queued == 0)
			printf("Nothing waits for the portal\n");
		else
			printf("%zu change%s wait%s for the portal ('mesh profile sync' publishes "
			       "them):\n",
			       status->n_queued, status->n_queued == 1 ? "" : "s",
			       status->n_queued == 1 ? "s" : "");
	}
	print_queued(c, "Queued", "  ", status->queued, status->n_queued);
	if (mesh_cli_call_json(c) == NULL && status->n_conflicts > 0)
		printf("Conflicts of the last publication:\n");
	print_queued(c, "Conflicts", "  CONFLICT: ", status->conflicts, status->n_conflicts);
	mesh_client_queue_free(status);
	return code;
}

static int
profile_status(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "profile status",
	        .params = "[ACCOUNT]",
	        .description = "Shows the changes made on this device while the portal could not "
	                       "be reached, which wait to be published ('mesh profile sync' "
	                       "publishes them), and the conflicts of the last publication: "
	                       "which changes met a change of another device. Never a password.",
	        .max_args = 1,
	        .reach = MESH_CLI_REACH_SESSION,
	        .call = profile_status_call,
	};
	MeshCliCall c = {0};

	return mesh_cli_run(globals, &spec, &c, mesh_cli_no_options, argc, argv);
}

/* The damage of @account among @damages, or NULL. */
static const MeshClientDamage *
damage_of(const MeshClientDamage *damages, size_t n, const char *account)
{
	for (size_t i = 0; i < n; i++) {
		if (g_strcmp0(damages[i].account, account) == 0)
			return &damages[i];
	}
	return NULL;
}

/* "ACCOUNT (default)", then what is wrong and the fix: one line per account or damaged entry
 * (an entry that does not read holds no account the list could name). */
static void
print_list_text(char **accounts, size_t n, const char *default_account,
		const MeshClientDamage *damages, size_t n_damages)
{
	g_auto(MeshCliEscapes) esc = { 0 };

	for (size_t i = 0; i < n; i++) {
		const MeshClientDamage *d = damage_of(damages, n_damages, accounts[i]);

		printf("%s%s", mesh_cli_escape(&esc, accounts[i]),
		       g_strcmp0(accounts[i], default_account) == 0 ? " (default)" : "");
		if (d != NULL)
			printf(" DAMAGED: %s; fix: %s", mesh_cli_escape(&esc, d->message),
			       mesh_cli_escape(&esc, d->fix));
		printf("\n");
	}
	for (size_t i = 0; i < n_damages; i++) {
		const MeshClientDamage *d = &damages[i];
		gboolean listed = FALSE;

		for (size_t j = 0; j < n && !listed; j++)
			listed = g_strcmp0(d->account, accounts[j]) == 0;
		if (!listed)
			printf("%s DAMAGED: %s; fix: %s\n",
			       mesh_cli_escape(&esc, d->account != NULL ? d->account : d->entry),
			       mesh_cli_escape(&esc, d->message), mesh_cli_escape(&esc, d->fix));
	}
}

static void
print_list_json(JsonBuilder *b, char **accounts, size_t n, const char *default_account,
                const MeshClientDamage *damages, size_t n_damages)
{
	json_strings(b, "Accounts", accounts, n);
	mesh_cli_json_string(b, "Default", default_account);
	mesh_cli_json_begin_array(b, "Damaged");
	for (size_t i = 0; i < n_damages; i++) {
		json_builder_begin_object(b);
		mesh_cli_json_string(b, "Entry", damages[i].entry);
		mesh_cli_json_string(b, "Account", damages[i].account);
		mesh_cli_json_int(b, "Code", damages[i].code);
		mesh_cli_json_string(b, "Name", mesh_error_name(damages[i].code));
		mesh_cli_json_string(b, "Message", damages[i].message);
		mesh_cli_json_string(b, "Fix", damages[i].fix);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

static MeshError
profile_list_call(MeshCliCall *c)
{
	char **accounts = NULL, *default_account = NULL;
	MeshClientDamage *damages = NULL;
	size_t n = 0, n_damages = 0;
	MeshError code = mesh_client_profile_list(c->client, &accounts, &n, &default_account);

	if (code == MESH_ERROR_OK)
		code = mesh_client_profile_list_damaged(c->client, &damages, &n_damages);
	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL)
		print_list_json(c->json, accounts, n, default_account, damages, n_damages);
	else if (code == MESH_ERROR_OK)
		print_list_text(accounts, n, default_account, damages, n_damages);
	mesh_client_damages_free(damages, n_damages);
	mesh_client_strings_free(accounts, n);
	mesh_client_free(default_account);
	return code;
}

static int
profile_list(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "profile list",
	        .params = "",
	        .description = "Lists the accounts this machine holds, and what is wrong with "
	                       "any of them (an account entry that does not read, a stored "
	                       "profile that is missing or does not verify) with its fix.",
	        .reach = MESH_CLI_REACH_SESSION,
	        .call = profile_list_call,
	};
	return mesh_cli_run_simple(globals, &spec, NULL, argc, argv);
}

static MeshError
profile_set_portal_call(MeshCliCall *c)
{
	const char *account = c->argc == 3 ? c->argv[1] : NULL, *url = c->argv[c->argc - 1];
	MeshClientProfile *profile = NULL;
	MeshError code = mesh_client_profile_set_portal(c->client, account, url, &profile);

	if (code == MESH_ERROR_OK)
		print_profile(c, profile, "Moved to a new portal: profile ", FALSE);
	mesh_client_profile_free(profile);
	return code;
}

static int
profile_set_portal(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "profile set-portal",
	        .params = "[ACCOUNT] URL",
	        .description = "Moves ACCOUNT (default: the default account) to the portal at "
	                       "URL (https://HOST[:PORT][/PATH]; no path means "
	                       "/.well-known/mmm/): that portal must serve the account's profile, "
	                       "no older than the one this device holds. Then every command for "
	                       "the account uses it.",
	        .min_args = 1,
	        .max_args = 2,
	        .args_usage = "give the portal's URL",
	        .reach = MESH_CLI_REACH_SESSION,
	        .call = profile_set_portal_call,
	};
	MeshCliCall c = {0};
	const GOptionEntry entries[] = {
	        {"portal-ca", 0, 0, G_OPTION_ARG_FILENAME, &c.portal_ca,
	         "Trust this CA file (PEM) for the new portal's TLS certificate", "FILE"},
	        G_OPTION_ENTRY_NULL,
	};

	return mesh_cli_run(globals, &spec, &c, entries, argc, argv);
}

/* profile delete: --yes and --force. */
typedef struct {
	gboolean yes, force;
} ProfileDelete;

static int
profile_delete_check(MeshCliCall *c)
{
	const ProfileDelete *o = c->data;

	if (!o->yes)
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE,
		                      "this removes the master keys of %s from this machine: "
		                      "give --yes to go on",
		                      c->argv[1]);
	return 0;
}

static MeshError
profile_delete_call(MeshCliCall *c)
{
	const ProfileDelete *o = c->data;
	MeshError code = o->force ? mesh_client_profile_delete_force(c->client, c->argv[1])
	                          : mesh_client_profile_delete(c->client, c->argv[1]);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL)
		mesh_cli_json_string(c->json, "Deleted", c->argv[1]);
	else if (code == MESH_ERROR_OK)
		printf("Deleted %s on this machine\n", c->argv[1]);
	return code;
}

static int
profile_delete(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "profile delete",
	        .params = "ACCOUNT --yes",
	        .description = "Forgets ACCOUNT on this machine: its profiles and its master and "
	                       "administration keys. The portal keeps the account; the escrow "
	                       "shares recover it ('mesh profile recover'). Refused (exit status "
	                       "11, Permission) when this device holds the master keys or is the "
	                       "only administration device and no escrow of them is known here "
	                       "('mesh escrow create' first), unless --force.",
	        .min_args = 1,
	        .max_args = 1,
	        .args_usage = "give the account to delete",
	        .reach = MESH_CLI_REACH_SESSION,
	        .check = profile_delete_check,
	        .call = profile_delete_call,
	};
	ProfileDelete o = {0};
	MeshCliCall c = {.data = &o};
	const GOptionEntry entries[] = {
	        {"yes", 0, 0, G_OPTION_ARG_NONE, &o.yes,
	         "Really forget the account here (its master keys too: keep the escrow shares)",
	         NULL},
	        {"force", 0, 0, G_OPTION_ARG_NONE, &o.force,
	         "Even when no escrow of the master keys is known here: the profile is then lost "
	         "for good",
	         NULL},
	        G_OPTION_ENTRY_NULL,
	};

	return mesh_cli_run(globals, &spec, &c, entries, argc, argv);
}

/* After a recovery: the devices that lost administration, and how to promote them again
 * ("Demoted" with --json). */
static void
print_demoted(MeshCliCall *c, const MeshClientProfile *profile)
{
	JsonBuilder *b = mesh_cli_call_json(c);

	if (b != NULL) {
		mesh_cli_print_profile_devices(b, "Demoted", profile->demoted, profile->n_demoted);
		return;
	}
	if (profile->n_demoted == 0)
		return;
	printf("These devices are no longer administration devices (this one's new key replaced "
	       "theirs):\n");
	mesh_cli_print_profile_devices(NULL, NULL, profile->demoted, profile->n_demoted);
	printf("To make one an administration device again, run 'mesh device promote DEVICE' "
	       "here.\n");
}

static MeshError
profile_recover_call(MeshCliCall *c)
{
	MeshClientProfile *profile = NULL;
	MeshError code;

	mesh_client_set_passphrase(c->client, mesh_cli_secret_text(c->passphrase));
	code = mesh_client_profile_recover(c->client, c->argv[1], (const char *const *)c->argv + 2,
	                                   (size_t)c->argc - 2, &profile);
	if (code == MESH_ERROR_OK) {
		print_profile(c, profile, "Recovered profile ", TRUE);
		print_demoted(c, profile);
	}
	mesh_client_profile_free(profile);
	return code;
}

static int
profile_recover(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "profile recover",
	        .params = "ACCOUNT SHARE...",
	        .description = "Recovers ACCOUNT on this machine from a quorum of its escrow "
	                       "shares: restores the master keys and makes this device the "
	                       "administration device. --protect or --passphrase-file protect the "
	                       "keys it stores (on a protected hive they are protected by its "
	                       "passphrase anyway).",
	        .min_args = 2,
	        .max_args = 256,
	        .args_usage = "give the account and the shares",
	        .reach = MESH_CLI_REACH_SESSION,
	        .makes_keys = TRUE,
	        .call = profile_recover_call,
	};
	MeshCliCall c = {0};
	const GOptionEntry entries[] = {
	        MESH_CLI_PORTAL_OPTIONS(c.portal, c.portal_ca),
	        MESH_CLI_KEYSTORE_OPTION(c.keystore),
	        MESH_CLI_PROTECT_OPTIONS(c.protect, c.passphrase_file),
	        G_OPTION_ENTRY_NULL,
	};

	return mesh_cli_run(globals, &spec, &c, entries, argc, argv);
}

int
mesh_cmd_profile(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliSub subs[] = {
		{ "create", profile_create }, { "show", profile_show },
		{ "list", profile_list },     { "sync", profile_sync },
		{ "delete", profile_delete }, { "recover", profile_recover },
		{ "set-portal", profile_set_portal }, { "status", profile_status },
		{ NULL, NULL },
	};

	return mesh_cli_dispatch(
	        argc, argv, globals, "profile", subs,
	        "Usage: mesh profile create ACCOUNT [--portal URL] [--portal-ca FILE]\n"
	        "                                   [--keystore STORE] [--protect | "
	        "--passphrase-file FILE]\n"
	        "       mesh profile show [ACCOUNT]\n"
	        "       mesh profile list\n"
	        "       mesh profile sync [ACCOUNT]\n"
	        "       mesh profile status [ACCOUNT]\n"
	        "       mesh profile set-portal [ACCOUNT] URL [--portal-ca FILE]\n"
	        "       mesh profile delete ACCOUNT --yes [--force]\n"
	        "       mesh profile recover ACCOUNT SHARE... [--portal URL] [--keystore STORE]\n"
	        "                                   [--protect | --passphrase-file FILE]\n"
	        "\n"
	        "Personal profiles: an account's master keys, its devices and applications.\n"
	        "The portal is https://DOMAIN/.well-known/mmm/ unless --portal or\n"
	        "$MESH_PORTAL_URL says otherwise when the account is made (a URL with no path\n"
	        "means its /.well-known/mmm/); the account remembers it, and a --portal that\n"
	        "names another is refused: 'profile set-portal' moves an account.\n"
	        "--portal-ca or $MESH_PORTAL_CA names a CA file.\n");
}
