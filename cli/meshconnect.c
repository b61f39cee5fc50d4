/* SPDX-License-Identifier: MIT */
/*
 * meshconnect: the profile connection wizard (the seed documents, §4.3), run on a new device.
 * It asks for the account (and its portal), sends the connection request, shows the profile
 * fingerprint and the witness to compare on the administration device, and waits for the
 * answer: Accepted (exit 0), Rejected (20) or Expired (19). Ctrl-C, end of input or 'q' while
 * waiting cancel (28); the request stays at the portal ('mesh connect wait' resumes it).
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "connect.h"
#include "platform.h"
#include "wizard.h"

#define PROG "meshconnect"

/* Milliseconds between two polls of the request. */
#define POLL_MS 1000

/* The device this request is for: the default one, or a new one named by the user. */
static MeshError
ensure_device(MeshClient *client, int *ret_status)
{
	MeshClientDevice *device = NULL;
	MeshError code = mesh_client_device_get(client, NULL, &device);
	g_auto(MeshCliEscapes) esc = { 0 };
	g_autofree char *name = NULL;

	*ret_status = 0;
	if (code == MESH_ERROR_OK) {
		printf("This device:          %s%s%s%s\n",
		       mesh_cli_escape(&esc, device->identifier),
		       device->description ? " (" : "",
		       device->description ? mesh_cli_escape(&esc, device->description) : "",
		       device->description ? ")" : "");
		mesh_client_device_free(device);
		return MESH_ERROR_OK;
	}
	if (code != MESH_ERROR_NOT_FOUND) {
		*ret_status = wizard_fail(PROG, client, code, "cannot read this device");
		return MESH_ERROR_OK;
	}
	/* GLib's host name: the system's on every OS (gethostname is POSIX and Winsock only). */
	const char *host = g_get_host_name();
	printf("This machine has no Mesh device yet: one is made now (its keys stay here).\n");
	code = wizard_ask("A name for this device (the administration device shows it)",
			  *host ? host : NULL, &name);
	if (code != MESH_ERROR_OK)
		return code;
	code = mesh_client_device_create(client, name, NULL, &device);
	if (code != MESH_ERROR_OK) {
		*ret_status = wizard_fail(PROG, client, code, "cannot create the device");
		return MESH_ERROR_OK;
	}
	printf("This device:          %s (%s)\n", mesh_cli_escape(&esc, device->identifier),
	       mesh_cli_escape(&esc, name));
	mesh_client_device_free(device);
	return MESH_ERROR_OK;
}

/* Poll until answered; returns the exit status. */
static int
wait_for(MeshClient *client, const char *account)
{
	gboolean tty = mesh_platform_is_terminal(MESH_PLATFORM_STDOUT);
	gint64 start = g_get_monotonic_time();

	for (;;) {
		char *state = NULL;
		MeshError code = mesh_client_connect_status(client, account, &state);
		gint64 secs = (g_get_monotonic_time() - start) / G_USEC_PER_SEC;

		if (code != MESH_ERROR_OK) {
			printf("\n");
			if (wizard_cancelled())
				goto cancelled;
			return wizard_fail(PROG, client, code, "cannot ask about the request");
		}
		if (g_str_equal(state, "Accepted")) {
			mesh_client_free(state);
			printf("\nAccepted: this device is connected to the profile of %s.\n",
			       account);
			return 0;
		}
		if (g_str_equal(state, "Rejected")) {
			mesh_client_free(state);
			printf("\nRejected: the administration device refused this device.\n");
			return MESH_ERROR_REJECTED;
		}
		if (g_str_equal(state, "Expired")) {
			mesh_client_free(state);
			printf("\nExpired: the request was not answered in time. Run meshconnect "
			       "again to ask again.\n");
			return MESH_ERROR_EXPIRED;
		}
		mesh_client_free(state);
		printf("%sWaiting for the administration device... %" G_GINT64_FORMAT
		       " s (Ctrl-C to cancel)%s",
		       tty ? "\r" : "", secs, tty ? "" : "\n");
		fflush(stdout);
		if (wizard_wait_input(POLL_MS) == MESH_ERROR_CANCELLED)
			goto cancelled;
	}
cancelled:
	printf("\nCancelled. The request stays at the portal until it expires: 'mesh connect "
	       "wait %s' waits for it again.\n",
	       account);
	return MESH_ERROR_CANCELLED;
}

/* The account, PIN and portal of the connection URI @uri (its portal may be absent). */
static MeshError
read_uri(const char *uri, char **ret_account, MeshSecret **ret_pin, char **ret_portal)
{
	g_autoptr(GError) error = NULL;
	g_auto(MeshCliEscapes) esc = { 0 };

	if (!mesh_connect_uri_parse(uri, ret_account, ret_pin, ret_portal, &error)) {
		printf("%s\n", mesh_cli_escape(&esc, error->message));
		return mesh_error_code(error);
	}
	printf("Account: %s (from the connection URI, with its PIN)\n",
	       mesh_cli_escape(&esc, *ret_account));
	return MESH_ERROR_OK;
}

static int
run(const WizardOptions *opts, MeshClient *client)
{
	g_autofree char *account = NULL, *portal = NULL, *def = NULL;
	g_auto(MeshCliEscapes) esc = { 0 };
	g_autoptr(MeshSecret) pin = NULL;
	MeshClientConnect *connect = NULL;
	gboolean yes = FALSE;
	MeshError code;
	int status = 0;

	printf("Mesh connection wizard: connect this device to your profile.\n\n");
	if (opts->account != NULL && mesh_connect_uri_is(opts->account)) {
		code = read_uri(opts->account, &account, &pin, &portal);
		if (code != MESH_ERROR_OK)
			return code;
	} else if (opts->account != NULL) {
		account = g_strdup(opts->account);
		printf("Account: %s\n", mesh_cli_escape(&esc, account));
	}
	while (account == NULL) {
		g_autofree char *answer = NULL;

		code = wizard_ask("Account to connect to (local@domain), or the connection URI "
				  "(mcu://...)",
				  NULL, &answer);
		if (code != MESH_ERROR_OK)
			return code;
		if (mesh_connect_uri_is(answer)) {
			if (read_uri(answer, &account, &pin, &portal) != MESH_ERROR_OK)
				g_clear_pointer(&account, g_free);
			OPENSSL_cleanse(answer, strlen(answer));
			continue;
		}
		if (!wizard_valid_account(answer)) {
			printf("'%s' is not an account: give it as local@domain, e.g. "
			       "alice@example.com.\n",
			       mesh_cli_escape(&esc, answer));
			continue;
		}
		account = g_steal_pointer(&answer);
	}
	if (portal == NULL) {
		def = wizard_default_portal(opts, account);
		code = wizard_ask("Portal URL", def, &portal);
		if (code != MESH_ERROR_OK)
			return code;
	}
	wizard_set_portal(client, opts, portal);
	if (pin == NULL) {
		g_autofree char *answer = NULL;

		code = wizard_ask("PIN from the administration device (empty: none; then compare "
				  "the witness)",
				  "", &answer);
		if (code != MESH_ERROR_OK)
			return code;
		if (*answer != '\0')
			pin = mesh_secret_new_from_data(answer, strlen(answer) + 1);
		OPENSSL_cleanse(answer, strlen(answer));
	}
	code = ensure_device(client, &status);
	if (code != MESH_ERROR_OK)
		return code;
	if (status != 0)
		return status;
	{
		g_autofree char *q = g_strdup_printf("Ask to connect this device to %s?", account);

		code = wizard_yes_no(q, TRUE, &yes);
		if (code != MESH_ERROR_OK)
			return code;
		if (!yes)
			return MESH_ERROR_CANCELLED;
	}
	code = mesh_client_connect_request_pin(
	        client, account, pin != NULL ? (const char *)mesh_secret_get(pin) : NULL, NULL,
	        &connect);
	if (code != MESH_ERROR_OK)
		return wizard_fail(PROG, client, code, "cannot send the request");
	printf("\nSent the request to connect this device to %s.\n\n",
	       mesh_cli_escape(&esc, account));
	printf("====================================================================\n");
	printf("  PROFILE FINGERPRINT:  %s\n", mesh_cli_escape(&esc, connect->profile_udf));
	printf("  WITNESS:              %s\n", mesh_cli_escape(&esc, connect->witness));
	printf("====================================================================\n\n");
	if (pin != NULL)
		printf("The request carries the PIN: the administration device that made it\n"
		       "accepts it by itself at its next sync, or at once while its agent runs.\n\n");
	else
		printf("On the administration device (meshclient, 'Pending connection requests'),\n"
		       "check that the profile fingerprint is that of %s, and accept this\n"
		       "device only if it shows this same witness: compare all %d characters, from\n"
		       "first to last (or type all of them: 'mesh connect accept WITNESS').\n\n",
		       mesh_cli_escape(&esc, account), MESH_CONNECT_WITNESS_CHARS);
	fflush(stdout);
	mesh_client_connect_free(connect);
	status = wait_for(client, account);
	if (status == 0) {
		MeshClientProfile *profile = NULL;

		if (mesh_client_profile_sync(client, account, &profile) == MESH_ERROR_OK) {
			printf("The profile %s now has %zu devices.\n",
			       mesh_cli_escape(&esc, profile->identifier),
			       profile->n_devices);
			mesh_client_profile_free(profile);
		}
	}
	return status;
}

int
main(int argc, char **argv)
{
	WizardOptions opts = { 0 };
	MeshClient *client = NULL;
	int status = 0;

	if (!wizard_parse(PROG,
			  "The Mesh connection wizard: connect this device to a profile. Compare "
			  "the witness it shows with the one the administration device shows.",
			  argc, argv, &opts, &status))
		return status;
	wizard_install_sigint();
	status = wizard_session(PROG, &opts, &client);
	if (status == 0) {
		status = run(&opts, client);
		if (status == MESH_ERROR_CANCELLED)
			fprintf(stderr, "%s: cancelled\n", PROG);
	}
	mesh_client_close(client);
	wizard_options_clear(&opts);
	fflush(stdout);
	return status;
}
