/* SPDX-License-Identifier: MIT */
/*
 * meshclient: the profile manager wizard (the seed documents, §4.2), run on an administration
 * device. Without a profile it offers to create one (checking the account with its portal
 * first), shows the profile fingerprint and offers to escrow the master keys, or recovers a
 * profile from escrow shares; with one, a menu: show, synchronize, answer the pending
 * connection requests (each with its witness), add and list passwords, escrow. It calls the
 * agent's session methods through libmeshclient, as the mesh verbs do.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "shamir.h"
#include "platform.h"
#include "wizard.h"

#define PROG "meshclient"

/* Return @code from the function when it is a cancellation (end of input, Ctrl-C). */
#define CHECK_ASK(code)                                                                       \
	do {                                                                                   \
		MeshError c_ = (code);                                                         \
		if (c_ != MESH_ERROR_OK)                                                       \
			return c_;                                                             \
	} while (0)

typedef struct {
	WizardOptions opts;
	MeshClient *client;
	char *account;     /* the account being managed */
	gboolean used_arg; /* the ACCOUNT argument was offered once */
} Wizard;

static void
print_profile(const MeshClientProfile *p)
{
	g_auto(MeshCliEscapes) esc = { 0 };

	printf("\n  Account:              %s\n", mesh_cli_escape(&esc, p->account));
	printf("  Profile fingerprint:  %s\n", mesh_cli_escape(&esc, p->identifier));
	printf("  Serial:               %" G_GINT64_FORMAT "\n", p->serial);
	for (size_t i = 0; i < p->n_devices; i++)
		printf("  %-21s %s\n", i == 0 ? "Devices:" : "",
		       mesh_cli_escape(&esc, p->devices[i]));
	for (size_t i = 0; i < p->n_applications; i++)
		printf("  %-21s %s %s%s%s\n", i == 0 ? "Applications:" : "",
		       mesh_cli_escape(&esc, p->applications[i].identifier),
		       mesh_cli_escape(&esc, p->applications[i].type),
		       p->applications[i].friendly ? " " : "",
		       p->applications[i].friendly ?
			       mesh_cli_escape(&esc, p->applications[i].friendly) :
			       "");
	if (p->portal != NULL)
		printf("  Portal:               %s\n", mesh_cli_escape(&esc, p->portal));
	if (p->master_keys)
		printf("  Escrow:               %s\n",
		       p->n_escrows > 0
		               ? "made"
		               : "none yet: choose 'Escrow the master keys' (if this device is "
		                 "lost, so is the profile)");
	fflush(stdout);
}

static void
print_no_escrow(void)
{
	printf("\nNo escrow of the master keys yet: if this device is lost, so is the profile.\n"
	       "Choose 'Escrow the master keys' (or run 'mesh escrow create').\n");
}

/* The escrow nudge: while this device holds the master keys and knows no escrow of them. */
static void
nudge_escrow(const MeshClientProfile *p)
{
	if (p->master_keys && p->n_escrows == 0)
		print_no_escrow();
}

/*
 * On a machine without a device, the keys made now decide the hive's protection: offer to
 * protect them with a passphrase (mesh_client_set_passphrase). A hive that has a device keeps
 * its own: the agent protects new keys with its passphrase when it has one.
 */
static MeshError
ask_protection(Wizard *w)
{
	g_autoptr(MeshSecret) passphrase = NULL;
	MeshClientStatus *status = NULL;
	gboolean has_device = TRUE, protect = FALSE;

	if (mesh_client_status(w->client, &status) == MESH_ERROR_OK)
		has_device = status->default_device != NULL;
	mesh_client_status_free(status);
	if (has_device)
		return MESH_ERROR_OK;
	CHECK_ASK(wizard_yes_no("Protect this device's keys with a passphrase ('mesh unlock' asks "
	                        "for it)?",
	                        FALSE, &protect));
	if (!protect)
		return MESH_ERROR_OK;
	CHECK_ASK(wizard_secret("Passphrase for the keys", TRUE, &passphrase));
	mesh_client_set_passphrase(w->client, (const char *)mesh_secret_get(passphrase));
	return MESH_ERROR_OK;
}

/* Ask quorum and shares, escrow, print the shares with the warning. Failures of the agent are
 * reported and give MESH_ERROR_OK back (the wizard goes on); cancellation is returned. */
static MeshError
do_escrow(Wizard *w)
{
	char **shares = NULL;
	char *identifier = NULL;
	size_t n = 0;
	int quorum = 2, total = 4;
	gboolean ok = FALSE;
	MeshError code;

	printf("\nEscrow splits the master keys of %s into shares: any QUORUM of them recover\n"
	       "the profile when this device is lost (meshclient, 'Recover a profile').\n",
	       w->account);
	for (;;) {
		CHECK_ASK(wizard_ask_int("How many shares to make", 4, 2, MESH_SHAMIR_SHARES_MAX,
					 &total));
		CHECK_ASK(wizard_ask_int("How many of them recover the keys (quorum)",
					 total < 2 ? total : 2, 2, total, &quorum));
		g_autofree char *q = g_strdup_printf("Escrow in %d shares, any %d of which recover "
						     "the keys?",
						     total, quorum);
		CHECK_ASK(wizard_yes_no(q, TRUE, &ok));
		if (ok)
			break;
		CHECK_ASK(wizard_yes_no("Choose again?", TRUE, &ok));
		if (!ok)
			return MESH_ERROR_OK;
	}
	code = mesh_client_escrow_create(w->client, w->account, quorum, total, &shares, &n,
					 &identifier);
	if (code != MESH_ERROR_OK) {
		wizard_fail(PROG, w->client, code, "escrow");
		return MESH_ERROR_OK;
	}
	{
		g_autofree char *warning = mesh_cli_escrow_warning(n, quorum, w->account);

		printf("\n%s\n", warning);
	}
	for (size_t i = 0; i < n; i++) {
		printf("  Share %zu: ", i + 1);
		mesh_cli_write_secret_lines((const char *const *)&shares[i], 1);
	}
	if (identifier != NULL)
		printf("\n  Escrow entry: %s\n", identifier);
	printf("\n");
	mesh_client_secrets_free(shares, n);
	mesh_client_free(identifier);
	{
		g_autofree char *done = NULL;

		CHECK_ASK(wizard_ask("Press Enter when you have written them down", "", &done));
	}
	/* Scroll the shares off a terminal's screen. */
	printf("\n");
	return MESH_ERROR_OK;
}

/* Ask an account and its portal, and check with the portal that it may be created. Sets
 * *ret_account (NULL when the user gives up). */
static MeshError
ask_new_account(Wizard *w, char **ret_account)
{
	*ret_account = NULL;
	for (;;) {
		g_autofree char *account = NULL, *portal = NULL, *def = NULL, *reason = NULL;
		g_auto(MeshCliEscapes) esc = { 0 };
		int valid = 0;
		gboolean again = FALSE;
		MeshError code;

		if (w->opts.account != NULL && !w->used_arg) {
			account = g_strdup(w->opts.account);
			w->used_arg = TRUE;
			printf("Account: %s\n", account);
		} else {
			CHECK_ASK(wizard_ask("Account to create (local@domain)", NULL, &account));
		}
		if (!wizard_valid_account(account)) {
			printf("'%s' is not an account: give it as local@domain, e.g. "
			       "alice@example.com.\n",
			       mesh_cli_escape(&esc, account));
			continue;
		}
		def = wizard_default_portal(&w->opts, account);
		CHECK_ASK(wizard_ask("Portal URL", def, &portal));
		wizard_set_portal(w->client, &w->opts, portal);
		printf("Asking %s whether %s is available...\n", mesh_cli_escape(&esc, portal),
		       mesh_cli_escape(&esc, account));
		fflush(stdout);
		code = mesh_client_account_validate(w->client, account, &valid, &reason);
		if (code != MESH_ERROR_OK) {
			wizard_fail(PROG, w->client, code, "cannot ask the portal");
			CHECK_ASK(wizard_yes_no("Try again?", TRUE, &again));
			if (!again)
				return MESH_ERROR_OK;
			continue;
		}
		if (!valid) {
			printf("%s is not available: %s\n", mesh_cli_escape(&esc, account),
			       reason != NULL && *reason ? mesh_cli_escape(&esc, reason) :
							   "the portal refuses it");
			mesh_client_free(g_steal_pointer(&reason));
			CHECK_ASK(wizard_yes_no("Choose another account?", TRUE, &again));
			if (!again)
				return MESH_ERROR_OK;
			continue;
		}
		mesh_client_free(g_steal_pointer(&reason));
		printf("%s is available.\n", mesh_cli_escape(&esc, account));
		*ret_account = g_steal_pointer(&account);
		return MESH_ERROR_OK;
	}
}

/* Create a profile (this device becomes its administration device), then offer escrow.
 * *ret_created says whether a profile now exists. */
static MeshError
do_create(Wizard *w, gboolean *ret_created)
{
	g_autofree char *account = NULL;
	g_auto(MeshCliEscapes) esc = { 0 };
	MeshClientProfile *profile = NULL;
	gboolean yes = FALSE;
	MeshError code;

	*ret_created = FALSE;
	CHECK_ASK(ask_new_account(w, &account));
	if (account == NULL)
		return MESH_ERROR_OK;
	{
		g_autofree char *q = g_strdup_printf("Create the profile of %s, with this device "
						     "as its administration device?",
						     account);
		CHECK_ASK(wizard_yes_no(q, TRUE, &yes));
	}
	if (!yes)
		return MESH_ERROR_OK;
	CHECK_ASK(ask_protection(w));
	code = mesh_client_profile_create(w->client, account, &profile);
	mesh_client_set_passphrase(w->client, NULL);
	if (code != MESH_ERROR_OK) {
		wizard_fail(PROG, w->client, code, "cannot create the profile");
		return MESH_ERROR_OK;
	}
	g_free(w->account);
	w->account = g_strdup(profile->account);
	*ret_created = TRUE;
	printf("\nCreated the profile of %s.\n", mesh_cli_escape(&esc, profile->account));
	printf("\n  PROFILE FINGERPRINT:  %s\n\n", mesh_cli_escape(&esc, profile->identifier));
	printf("Other devices show this fingerprint when they connect to the profile: compare it\n"
	       "before accepting them.\n");
	mesh_client_profile_free(profile);
	CHECK_ASK(wizard_yes_no("\nEscrow the master keys now (recommended)?", TRUE, &yes));
	if (yes)
		CHECK_ASK(do_escrow(w));
	else
		print_no_escrow();
	return MESH_ERROR_OK;
}

/* Recover a profile from escrow shares onto this device. */
static MeshError
do_recover(Wizard *w, gboolean *ret_done)
{
	g_autofree char *account = NULL, *portal = NULL, *def = NULL;
	g_auto(MeshCliEscapes) esc = { 0 };
	GPtrArray *shares = g_ptr_array_new_with_free_func(g_free);
	MeshClientProfile *profile = NULL;
	MeshError code = MESH_ERROR_OK;

	*ret_done = FALSE;
	for (;;) {
		code = wizard_ask("Account to recover (local@domain)", w->opts.account, &account);
		if (code != MESH_ERROR_OK)
			goto out;
		if (wizard_valid_account(account))
			break;
		printf("'%s' is not an account (local@domain).\n", mesh_cli_escape(&esc, account));
		g_clear_pointer(&account, g_free);
	}
	def = wizard_default_portal(&w->opts, account);
	code = wizard_ask("Portal URL", def, &portal);
	if (code != MESH_ERROR_OK)
		goto out;
	wizard_set_portal(w->client, &w->opts, portal);
	printf("Enter the shares one at a time; an empty line when you have given enough.\n");
	for (;;) {
		g_autofree char *q = g_strdup_printf("Share %u", shares->len + 1);
		char *share;

		/* An empty answer ends the list: ask as a plain line (shares are shown anyway). */
		code = wizard_ask(q, "", &share);
		if (code != MESH_ERROR_OK)
			goto out;
		if (*share == '\0') {
			g_free(share);
			if (shares->len >= 1)
				break;
			printf("Give at least one share.\n");
			continue;
		}
		g_ptr_array_add(shares, share);
	}
	code = ask_protection(w);
	if (code != MESH_ERROR_OK)
		goto out;
	code = mesh_client_profile_recover(w->client, account, (const char *const *)shares->pdata,
					   shares->len, &profile);
	mesh_client_set_passphrase(w->client, NULL);
	if (code != MESH_ERROR_OK) {
		wizard_fail(PROG, w->client, code, "cannot recover the profile");
		code = MESH_ERROR_OK;
		goto out;
	}
	printf("\nRecovered the profile of %s onto this device.\n",
	       mesh_cli_escape(&esc, profile->account));
	printf("\n  PROFILE FINGERPRINT:  %s\n", mesh_cli_escape(&esc, profile->identifier));
	if (profile->n_demoted > 0) {
		printf("\nThese devices are no longer administration devices:\n");
		mesh_cli_print_profile_devices(NULL, NULL, profile->demoted, profile->n_demoted);
		printf("Make one an administration device again in 'Devices of the profile'.\n");
	}
	g_free(w->account);
	w->account = g_strdup(profile->account);
	mesh_client_profile_free(profile);
	*ret_done = TRUE;
out:
	for (guint i = 0; i < shares->len; i++)
		OPENSSL_cleanse(shares->pdata[i], strlen(shares->pdata[i]));
	g_ptr_array_free(shares, TRUE);
	return code;
}

static MeshError
do_show(Wizard *w, gboolean sync)
{
	MeshClientProfile *profile = NULL;
	MeshError code = sync ? mesh_client_profile_sync(w->client, w->account, &profile)
			      : mesh_client_profile_get(w->client, w->account, &profile);

	if (code != MESH_ERROR_OK) {
		wizard_fail(PROG, w->client, code, sync ? "cannot synchronize" : "cannot show");
		return MESH_ERROR_OK;
	}
	if (sync)
		printf("\nSynchronized the profile with its portal.\n");
	print_profile(profile);
	mesh_client_profile_free(profile);
	return MESH_ERROR_OK;
}

static MeshError
do_pending(Wizard *w)
{
	g_auto(MeshCliEscapes) esc = { 0 };
	MeshClientPending *pending = NULL;
	size_t n = 0;
	MeshError code = mesh_client_connect_pending(w->client, w->account, &pending, &n);

	if (code != MESH_ERROR_OK) {
		wizard_fail(PROG, w->client, code, "cannot list the pending requests");
		return MESH_ERROR_OK;
	}
	if (n == 0)
		printf("\nNo device is waiting to connect to %s.\n", w->account);
	else
		printf("\n%zu device%s waiting to connect to %s.\n", n, n == 1 ? " is" : "s are",
		       w->account);
	for (size_t i = 0; i < n && code == MESH_ERROR_OK; i++) {
		static const char *const actions[] = { "Accept this device", "Reject this device",
						       "Leave it pending" };
		size_t choice = 2;
		gboolean sure = FALSE;
		g_autofree char *q = NULL;

		wizard_show_pending(&pending[i], i, n);
		code = wizard_menu("What to do with this request?", actions, G_N_ELEMENTS(actions),
				   2, &choice);
		if (code != MESH_ERROR_OK || choice == 2)
			continue;
		q = g_strdup_printf(choice == 0 ? "Accept the device with witness %s into the "
						  "profile of %s? It can then read every "
						  "application's secrets." :
						  "Reject the device with witness %s (for %s)?",
				    mesh_cli_escape(&esc, pending[i].witness),
				    mesh_cli_escape(&esc, w->account));
		code = wizard_yes_no(q, FALSE, &sure);
		if (code != MESH_ERROR_OK)
			break;
		if (!sure) {
			printf("Left pending.\n");
			continue;
		}
		code = choice == 0 ? mesh_client_connect_accept(w->client, w->account,
								pending[i].witness) :
				     mesh_client_connect_reject(w->client, w->account,
								pending[i].witness);
		if (code != MESH_ERROR_OK) {
			wizard_fail(PROG, w->client, code,
				    choice == 0 ? "cannot accept" : "cannot reject");
			code = MESH_ERROR_OK;
			continue;
		}
		printf("%s the device with witness %s.\n", choice == 0 ? "Accepted" : "Rejected",
		       mesh_cli_escape(&esc, pending[i].witness));
	}
	mesh_client_pending_free(pending, n);
	return code;
}

static MeshError
do_password_add(Wizard *w)
{
	g_autofree char *site = NULL, *user = NULL;
	g_auto(MeshCliEscapes) esc = { 0 };
	g_autoptr(MeshSecret) secret = NULL;
	char *generated = NULL;
	gboolean generate = FALSE, replace = FALSE;
	MeshError code;

	CHECK_ASK(wizard_ask("Site (e.g. example.net)", NULL, &site));
	CHECK_ASK(wizard_ask("User name", NULL, &user));
	CHECK_ASK(wizard_yes_no("Generate a new random password?", FALSE, &generate));
	if (!generate)
		CHECK_ASK(wizard_secret("Password", TRUE, &secret));
	code = mesh_client_password_add(w->client, w->account, site, user,
					generate ? NULL : (const char *)mesh_secret_data(secret),
					generate ? &generated : NULL);
	if (code == MESH_ERROR_EXISTS) {
		/* A site may hold several logins; this one is stored: replacing it is asked. */
		g_autofree char *q =
		        g_strdup_printf("%s at %s has a password already. Replace it?",
		                        mesh_cli_escape(&esc, user), mesh_cli_escape(&esc, site));

		CHECK_ASK(wizard_yes_no(q, FALSE, &replace));
		if (!replace) {
			printf("Kept the stored password.\n");
			return MESH_ERROR_OK;
		}
		code = mesh_client_password_set(w->client, w->account, site, user,
		                                generate ? NULL
		                                         : (const char *)mesh_secret_data(secret),
		                                generate ? &generated : NULL);
	}
	if (code != MESH_ERROR_OK) {
		wizard_fail(PROG, w->client, code, "cannot store the password");
		return MESH_ERROR_OK;
	}
	printf("%s the password for %s.\n", replace ? "Changed" : "Stored",
	       mesh_cli_escape(&esc, site));
	if (generated != NULL)
		printf("The generated password: %s\n", generated);
	mesh_client_secret_free(generated);
	return MESH_ERROR_OK;
}

static MeshError
do_password_list(Wizard *w)
{
	g_auto(MeshCliEscapes) esc = { 0 };
	MeshClientLogin *logins = NULL;
	size_t n = 0;
	MeshError code = mesh_client_password_logins(w->client, w->account, &logins, &n);

	if (code != MESH_ERROR_OK) {
		wizard_fail(PROG, w->client, code, "cannot list the passwords");
		return MESH_ERROR_OK;
	}
	if (n == 0)
		printf("\nNo passwords are stored for %s.\n", w->account);
	else
		printf("\nPasswords stored for %s:\n", w->account);
	for (size_t i = 0; i < n; i++)
		printf("  %-30s %s\n", mesh_cli_escape(&esc, logins[i].site),
		       mesh_cli_escape(&esc, logins[i].username));
	mesh_client_logins_free(logins, n);
	return MESH_ERROR_OK;
}

/* The profile's devices, a line each. */
static MeshError
list_devices(Wizard *w)
{
	MeshClientProfileDevice *devices = NULL;
	size_t n = 0;
	MeshError code = mesh_client_profile_devices(w->client, w->account, &devices, &n);

	if (code != MESH_ERROR_OK) {
		wizard_fail(PROG, w->client, code, "cannot list the devices");
		return code;
	}
	printf("\nThe devices of %s:\n", w->account);
	mesh_cli_print_profile_devices(NULL, NULL, devices, n);
	mesh_client_profile_devices_free(devices, n);
	return MESH_ERROR_OK;
}

/* Rename, promote, demote or remove the device the user names (action @choice of do_devices). */
static MeshError
device_action(Wizard *w, size_t choice)
{
	static const char *const failures[] = { "cannot rename the device",
						"cannot promote the device",
						"cannot demote the device", "cannot remove the device" };
	g_auto(MeshCliEscapes) esc = { 0 };
	g_autofree char *device = NULL, *text = NULL, *q = NULL;
	MeshClientRemoval *removal = NULL;
	gboolean sure = FALSE;
	MeshError code;

	CHECK_ASK(wizard_ask("Device (its UDF, a prefix of it, or its description)", NULL, &device));
	switch (choice) {
	case 0:
		CHECK_ASK(wizard_ask("New description", NULL, &text));
		code = mesh_client_device_rename(w->client, w->account, device, text);
		break;
	case 1: code = mesh_client_device_promote(w->client, w->account, device); break;
	case 2: code = mesh_client_device_demote(w->client, w->account, device); break;
	default:
		q = g_strdup_printf("Remove %s from the profile of %s for good? It can never join "
				    "again.",
				    mesh_cli_escape(&esc, device), mesh_cli_escape(&esc, w->account));
		CHECK_ASK(wizard_yes_no(q, FALSE, &sure));
		if (!sure) {
			printf("Kept the device.\n");
			return MESH_ERROR_OK;
		}
		code = mesh_client_device_remove(w->client, w->account, device, &removal);
		break;
	}
	if (code != MESH_ERROR_OK) {
		wizard_fail(PROG, w->client, code, failures[MIN(choice, 3)]);
		return MESH_ERROR_OK;
	}
	if (removal != NULL)
		mesh_cli_print_removal(NULL, removal);
	else
		printf("Done.\n");
	mesh_client_removal_free(removal);
	return MESH_ERROR_OK;
}

/* A one-time PIN with which a new device connects by itself (mesh connect pin). */
static MeshError
do_pin(Wizard *w)
{
	MeshClientPin *pin = NULL;
	gboolean admin = FALSE;
	MeshError code;

	CHECK_ASK(wizard_yes_no("Make the new device an administration device too?", FALSE,
				&admin));
	code = mesh_client_connect_pin(w->client, w->account, 0, admin, &pin);
	if (code != MESH_ERROR_OK) {
		wizard_fail(PROG, w->client, code, "cannot make a PIN");
		return MESH_ERROR_OK;
	}
	printf("\n");
	mesh_cli_print_pin(pin, mesh_platform_is_terminal(MESH_PLATFORM_STDOUT));
	printf("\nOn the new device, give the PIN to meshconnect (or 'mesh connect request %s "
	       "--pin PIN'), or the URI, or scan the code. It is used once; this device accepts "
	       "the request by itself while its agent runs, or at its next sync.\n",
	       w->account);
	mesh_client_pin_free(pin);
	return MESH_ERROR_OK;
}

/* The profile's devices, and what to do with one. */
static MeshError
do_devices(Wizard *w)
{
	static const char *const actions[] = {
		"Rename a device",
		"Make a device an administration device",
		"Make a device no longer an administration device",
		"Remove a device (lost, sold)",
		"Connect a new device with a PIN",
		"Back",
	};

	for (;;) {
		size_t choice = 5;

		if (list_devices(w) != MESH_ERROR_OK)
			return MESH_ERROR_OK;
		CHECK_ASK(wizard_menu("What to do?", actions, G_N_ELEMENTS(actions), 5, &choice));
		if (choice == 5)
			return MESH_ERROR_OK;
		if (choice == 4)
			CHECK_ASK(do_pin(w));
		else
			CHECK_ASK(device_action(w, choice));
	}
}

/* Without a profile: create one, recover one, or quit. *ret_quit when the user quits. */
static MeshError
no_profile(Wizard *w, gboolean *ret_quit)
{
	static const char *const items[] = { "Create a new profile",
					     "Recover a profile from escrow shares", "Quit" };
	gboolean done = FALSE;
	size_t choice = 0;

	printf("There is no Mesh profile on this machine yet.\n");
	while (!done) {
		CHECK_ASK(wizard_menu("What would you like to do?", items, G_N_ELEMENTS(items), 0,
				      &choice));
		if (choice == 2) {
			*ret_quit = TRUE;
			return MESH_ERROR_OK;
		}
		if (choice == 0)
			CHECK_ASK(do_create(w, &done));
		else
			CHECK_ASK(do_recover(w, &done));
	}
	*ret_quit = FALSE;
	return MESH_ERROR_OK;
}

static MeshError
main_menu(Wizard *w)
{
	static const char *const items[] = {
		"Show the profile",   "Synchronize with the portal", "Pending connection requests",
		"Add a password",     "List the passwords",          "Escrow the master keys",
		"Devices of the profile", "Quit",
	};

	for (;;) {
		g_autofree char *title = g_strdup_printf("Profile manager: %s", w->account);
		size_t choice = 7;

		CHECK_ASK(wizard_menu(title, items, G_N_ELEMENTS(items), -1, &choice));
		switch (choice) {
		case 0: CHECK_ASK(do_show(w, FALSE)); break;
		case 1: CHECK_ASK(do_show(w, TRUE)); break;
		case 2: CHECK_ASK(do_pending(w)); break;
		case 3: CHECK_ASK(do_password_add(w)); break;
		case 4: CHECK_ASK(do_password_list(w)); break;
		case 5: CHECK_ASK(do_escrow(w)); break;
		case 6: CHECK_ASK(do_devices(w)); break;
		default: return MESH_ERROR_OK;
		}
		fflush(stdout);
	}
}

int
main(int argc, char **argv)
{
	Wizard w = { 0 };
	char **accounts = NULL, *default_account = NULL;
	size_t n = 0;
	gboolean quit = FALSE;
	MeshError code;
	int status = 0;

	if (!wizard_parse(PROG,
			  "The Mesh profile manager: create a profile (and escrow its keys) or "
			  "recover one, then manage it from this administration device: connect "
			  "devices, passwords, escrow.",
			  argc, argv, &w.opts, &status))
		return status;
	wizard_install_sigint();
	status = wizard_session(PROG, &w.opts, &w.client);
	if (status != 0)
		goto out;
	printf("Mesh profile manager\n");
	code = mesh_client_profile_list(w.client, &accounts, &n, &default_account);
	if (code != MESH_ERROR_OK) {
		status = wizard_fail(PROG, w.client, code, "cannot list the profiles");
		goto out;
	}
	if (w.opts.account != NULL) {
		for (size_t i = 0; i < n; i++)
			if (g_str_equal(accounts[i], w.opts.account))
				w.account = g_strdup(accounts[i]);
	} else if (default_account != NULL) {
		w.account = g_strdup(default_account);
	} else if (n > 0) {
		w.account = g_strdup(accounts[0]);
	}
	if (w.account == NULL) {
		code = no_profile(&w, &quit);
	} else {
		MeshClientProfile *p = NULL;

		if (mesh_client_profile_get(w.client, w.account, &p) == MESH_ERROR_OK) {
			wizard_set_portal(w.client, &w.opts, w.opts.portal ? w.opts.portal
									  : p->portal);
			g_auto(MeshCliEscapes) esc = { 0 };

			printf("Profile of %s, fingerprint %s\n", mesh_cli_escape(&esc, p->account),
			       mesh_cli_escape(&esc, p->identifier));
			nudge_escrow(p);
		}
		mesh_client_profile_free(p);
	}
	if (code == MESH_ERROR_OK && !quit)
		code = main_menu(&w);
	if (code != MESH_ERROR_OK) {
		fprintf(stderr, "%s: %s\n", PROG,
			code == MESH_ERROR_CANCELLED ? "cancelled" : mesh_error_str(code));
		status = code;
	}
out:
	mesh_client_strings_free(accounts, n);
	mesh_client_free(default_account);
	mesh_client_close(w.client);
	g_free(w.account);
	wizard_options_clear(&w.opts);
	fflush(stdout);
	return status;
}
