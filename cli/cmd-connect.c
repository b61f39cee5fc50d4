/* SPDX-License-Identifier: MIT */
/* mesh connect: a new device asks to join a profile; an administration device lists, accepts
 * and rejects the requests. */
#include <stdio.h>
#include <unistd.h>

#include "verbs.h"

/* Seconds between two polls of a waiting request. */
#define POLL_SECONDS 1

/* The exit status and message of a final @state. */
static int
report_state(const MeshCliGlobals *globals, const char *verb, const char *state)
{
	if (g_str_equal(state, "Rejected"))
		return mesh_cli_failf(globals, verb, MESH_ERROR_REJECTED,
				      "the administration device rejected this device");
	if (g_str_equal(state, "Expired"))
		return mesh_cli_failf(globals, verb, MESH_ERROR_EXPIRED,
				      "the request expired before it was answered: ask again "
				      "('mesh connect request')");
	if (globals->json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		mesh_cli_json_string(b, "State", state);
		json_builder_end_object(b);
		mesh_cli_print_json(json_builder_get_root(b));
	} else {
		printf("%s\n", g_str_equal(state, "Accepted") ?
				       "Accepted: this device is connected to the profile" :
				       state);
	}
	return 0;
}

/* Poll until the request is answered or expired; a progress line on stderr. */
static int
wait_for(const MeshCliGlobals *globals, const char *verb, MeshClient *client, const char *account)
{
	gboolean tty = isatty(2);
	gint64 start = g_get_monotonic_time();

	for (;;) {
		char *state = NULL;
		MeshError code = mesh_client_connect_status(client, account, &state);
		int status;

		if (code != MESH_ERROR_OK) {
			if (tty)
				fputc('\n', stderr);
			return mesh_cli_client_fail(globals, verb, client, code);
		}
		if (!g_str_equal(state, "Pending")) {
			if (tty)
				fputc('\n', stderr);
			status = report_state(globals, verb, state);
			mesh_client_free(state);
			return status;
		}
		mesh_client_free(state);
		if (tty)
			fprintf(stderr,
				"\rWaiting for an administration device to accept this device... "
				"%" G_GINT64_FORMAT " s",
				(g_get_monotonic_time() - start) / G_USEC_PER_SEC);
		g_usleep(POLL_SECONDS * G_USEC_PER_SEC);
	}
}

static int
connect_request(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autofree char *portal = NULL, *portal_ca = NULL, *keystore = NULL;
	gboolean no_wait = FALSE;
	const GOptionEntry entries[] = {
		{ "no-wait", 0, 0, G_OPTION_ARG_NONE, &no_wait,
		  "Send the request and return ('mesh connect wait' waits later)", NULL },
		MESH_CLI_PORTAL_OPTIONS(portal, portal_ca),
		MESH_CLI_KEYSTORE_OPTION(keystore),
		G_OPTION_ENTRY_NULL,
	};
	MeshClientConnect *connect = NULL;
	MeshClient *client = NULL;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "connect request", "ACCOUNT",
				 "Asks to connect this device to ACCOUNT's profile. Check that the "
				 "profile fingerprint is the account's, and that the witness shown "
				 "here is the one the administration device shows before accepting.",
				 entries, 1, &argc, &argv, &status))
		return status;
	if (argc != 2)
		return mesh_cli_failf(globals, "connect request", MESH_ERROR_USAGE,
				      "give the account to connect to");
	status = mesh_cli_session_connect(globals, "connect request", portal, portal_ca, &client);
	if (status != 0)
		return status;
	mesh_client_set_keystore(client, keystore);
	code = mesh_client_connect_request(client, argv[1], &connect);
	if (code != MESH_ERROR_OK) {
		status = mesh_cli_client_fail(globals, "connect request", client, code);
		goto out;
	}
	if (globals->json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		mesh_cli_json_string(b, "ProfileUDF", connect->profile_udf);
		mesh_cli_json_string(b, "DeviceUDF", connect->device_udf);
		mesh_cli_json_string(b, "Witness", connect->witness);
		json_builder_end_object(b);
		mesh_cli_print_json(json_builder_get_root(b));
	} else {
		printf("Profile fingerprint: %s\nThis device:         %s\nWitness:             %s\n",
		       connect->profile_udf, connect->device_udf, connect->witness);
	}
	fflush(stdout);
	if (!no_wait)
		status = wait_for(globals, "connect request", client, argv[1]);
out:
	mesh_client_connect_free(connect);
	mesh_client_close(client);
	return status;
}

/* status (one poll) and wait (until answered). */
static int
connect_poll(int argc, char **argv, const MeshCliGlobals *globals, gboolean wait)
{
	const char *verb = wait ? "connect wait" : "connect status";
	g_autofree char *portal = NULL, *portal_ca = NULL;
	const GOptionEntry entries[] = {
		MESH_CLI_PORTAL_OPTIONS(portal, portal_ca),
		G_OPTION_ENTRY_NULL,
	};
	MeshClient *client = NULL;
	char *state = NULL;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, verb, "[ACCOUNT]",
				 wait ? "Waits until this device's connection request is accepted "
					"(exit 0), rejected (20) or expired (19)." :
					"Asks once about this device's connection request: Pending, "
					"Accepted, Rejected (exit 20) or Expired (19).",
				 entries, 1, &argc, &argv, &status))
		return status;
	status = mesh_cli_session_connect(globals, verb, portal, portal_ca, &client);
	if (status != 0)
		return status;
	if (wait) {
		status = wait_for(globals, verb, client, argc == 2 ? argv[1] : NULL);
	} else {
		code = mesh_client_connect_status(client, argc == 2 ? argv[1] : NULL, &state);
		status = code != MESH_ERROR_OK ? mesh_cli_client_fail(globals, verb, client, code)
					       : report_state(globals, verb, state);
	}
	mesh_client_free(state);
	mesh_client_close(client);
	return status;
}

static int
connect_status(int argc, char **argv, const MeshCliGlobals *globals)
{
	return connect_poll(argc, argv, globals, FALSE);
}

static int
connect_wait(int argc, char **argv, const MeshCliGlobals *globals)
{
	return connect_poll(argc, argv, globals, TRUE);
}

static int
connect_pending(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autofree char *portal = NULL, *portal_ca = NULL;
	const GOptionEntry entries[] = {
		MESH_CLI_PORTAL_OPTIONS(portal, portal_ca),
		G_OPTION_ENTRY_NULL,
	};
	MeshClientPending *pending = NULL;
	MeshClient *client = NULL;
	size_t n = 0;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "connect pending", "[ACCOUNT]",
				 "Lists the devices waiting to join the profile, with the witness "
				 "each one shows.",
				 entries, 1, &argc, &argv, &status))
		return status;
	status = mesh_cli_session_connect(globals, "connect pending", portal, portal_ca, &client);
	if (status != 0)
		return status;
	code = mesh_client_connect_pending(client, argc == 2 ? argv[1] : NULL, &pending, &n);
	if (code != MESH_ERROR_OK) {
		status = mesh_cli_client_fail(globals, "connect pending", client, code);
	} else if (globals->json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "Pending");
		json_builder_begin_array(b);
		for (size_t i = 0; i < n; i++) {
			json_builder_begin_object(b);
			mesh_cli_json_string(b, "DeviceUDF", pending[i].device_udf);
			mesh_cli_json_string(b, "Description", pending[i].description);
			mesh_cli_json_string(b, "Witness", pending[i].witness);
			mesh_cli_json_string(b, "Expires", pending[i].expires);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		json_builder_end_object(b);
		mesh_cli_print_json(json_builder_get_root(b));
	} else {
		if (n == 0)
			printf("No pending requests\n");
		for (size_t i = 0; i < n; i++)
			printf("%s  witness %s  expires %s%s%s\n", pending[i].device_udf,
			       pending[i].witness, pending[i].expires,
			       pending[i].description ? "  " : "",
			       pending[i].description ? pending[i].description : "");
	}
	mesh_client_pending_free(pending, n);
	mesh_client_close(client);
	return status;
}

static int
connect_answer(int argc, char **argv, const MeshCliGlobals *globals, gboolean accept)
{
	const char *verb = accept ? "connect accept" : "connect reject";
	g_autofree char *portal = NULL, *portal_ca = NULL, *account = NULL;
	const GOptionEntry entries[] = {
		{ "account", 0, 0, G_OPTION_ARG_STRING, &account,
		  "The account (default: the default account)", "ACCOUNT" },
		MESH_CLI_PORTAL_OPTIONS(portal, portal_ca),
		G_OPTION_ENTRY_NULL,
	};
	MeshClient *client = NULL;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, verb, "WITNESS",
				 accept ? "Accepts the pending device whose witness starts with "
					  "WITNESS (at least 8 characters): it joins the profile." :
					  "Rejects the pending device whose witness starts with "
					  "WITNESS (at least 8 characters).",
				 entries, 1, &argc, &argv, &status))
		return status;
	if (argc != 2)
		return mesh_cli_failf(globals, verb, MESH_ERROR_USAGE,
				      "give the witness (or its first 8 characters or more)");
	status = mesh_cli_session_connect(globals, verb, portal, portal_ca, &client);
	if (status != 0)
		return status;
	code = accept ? mesh_client_connect_accept(client, account, argv[1])
		      : mesh_client_connect_reject(client, account, argv[1]);
	if (code != MESH_ERROR_OK) {
		status = mesh_cli_client_fail(globals, verb, client, code);
	} else if (globals->json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		mesh_cli_json_string(b, accept ? "Accepted" : "Rejected", argv[1]);
		json_builder_end_object(b);
		mesh_cli_print_json(json_builder_get_root(b));
	} else {
		printf("%s the device with witness %s\n", accept ? "Accepted" : "Rejected",
		       argv[1]);
	}
	mesh_client_close(client);
	return status;
}

static int
connect_accept(int argc, char **argv, const MeshCliGlobals *globals)
{
	return connect_answer(argc, argv, globals, TRUE);
}

static int
connect_reject(int argc, char **argv, const MeshCliGlobals *globals)
{
	return connect_answer(argc, argv, globals, FALSE);
}

int
mesh_cmd_connect(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliSub subs[] = {
		{ "request", connect_request }, { "status", connect_status },
		{ "wait", connect_wait },       { "pending", connect_pending },
		{ "accept", connect_accept },   { "reject", connect_reject },
		{ NULL, NULL },
	};

	return mesh_cli_dispatch(
		argc, argv, globals, "connect", subs,
		"Usage: mesh connect request ACCOUNT [--no-wait] [--portal URL] [--keystore STORE]\n"
		"       mesh connect status [ACCOUNT]\n"
		"       mesh connect wait [ACCOUNT]\n"
		"       mesh connect pending [ACCOUNT]\n"
		"       mesh connect accept WITNESS [--account A]\n"
		"       mesh connect reject WITNESS [--account A]\n"
		"\n"
		"Connecting a new device to a profile: the new device asks and shows a witness;\n"
		"an administration device that shows the same witness accepts it.\n"
		"Exit status: Rejected 20, Expired 19, WitnessMismatch 24.\n");
}
