/* SPDX-License-Identifier: MIT */
/* mesh connect: a new device asks to join a profile; an administration device lists, accepts
 * and rejects the requests. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "connect.h"
#include "platform.h"
#include "qr.h"
#include "verbs.h"
#include "wizard.h"

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

/*
 * A failure of 'connect request' or 'connect wait': an agent that went away (AgentUnavailable)
 * or stopped answering (Timeout) may have left the request standing at the portal, and 'mesh
 * connect wait' (which starts a new agent when none runs) picks it up.
 */
static int
connect_fail(const MeshCliGlobals *globals, const char *verb, MeshClient *client, MeshError code)
{
	if (code != MESH_ERROR_AGENT_UNAVAILABLE && code != MESH_ERROR_TIMEOUT)
		return mesh_cli_client_fail(globals, verb, client, code);
	return mesh_cli_failf(globals, verb, code,
			      "%s; then run 'mesh connect wait' to go on waiting for the request "
			      "(if it finds none, ask again)",
			      mesh_client_last_error(client));
}

/* Poll until the request is answered or expired; a progress line on stderr. */
static int
wait_for(const MeshCliGlobals *globals, const char *verb, MeshClient *client, const char *account)
{
	gboolean tty = mesh_platform_is_terminal(MESH_PLATFORM_STDERR);
	gint64 start = g_get_monotonic_time();

	for (;;) {
		char *state = NULL;
		MeshError code = mesh_client_connect_status(client, account, &state);
		int status;

		if (code != MESH_ERROR_OK) {
			if (tty)
				fputc('\n', stderr);
			return connect_fail(globals, verb, client, code);
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

/*
 * The PIN is a secret: 'ps' must not show it. The words of @argv that carry one (the value of
 * --pin, a connection URI) are copied into the vector returned (wiped by scrub_free) and
 * overwritten in place, so that the process's command line no longer holds them once parsed.
 */
static char **
scrub_pin_words(int argc, char **argv)
{
	char **copy = g_new0(char *, argc + 1);

	for (int i = 0; i < argc; i++) {
		gboolean secret = mesh_connect_uri_is(argv[i]) || g_str_has_prefix(argv[i], "--pin=") ||
		                  (i > 0 && g_str_equal(argv[i - 1], "--pin"));

		copy[i] = g_strdup(argv[i]);
		if (secret)
			memset(argv[i], 'x', strlen(argv[i]));
	}
	return copy;
}

static void
scrub_free(char **words)
{
	for (char **w = words; w != NULL && *w != NULL; w++)
		OPENSSL_cleanse(*w, strlen(*w));
	g_strfreev(words);
}

static int
connect_request(int argc, char **argv_in, const MeshCliGlobals *globals)
{
	g_autofree char *portal = NULL, *portal_ca = NULL, *keystore = NULL;
	g_autofree char *passphrase_file = NULL, *pin_opt = NULL, *description = NULL;
	g_autofree char *uri_account = NULL, *uri_portal = NULL;
	gboolean no_wait = FALSE, protect = FALSE;
	const GOptionEntry entries[] = {
	        {"no-wait", 0, 0, G_OPTION_ARG_NONE, &no_wait,
	         "Send the request and return ('mesh connect wait' waits later)", NULL},
	        {"pin", 0, 0, G_OPTION_ARG_STRING, &pin_opt,
	         "The PIN an administration device made ('mesh connect pin'): it accepts this "
	         "device by itself, without comparing witnesses",
	         "PIN"},
	        {"description", 0, 0, G_OPTION_ARG_STRING, &description,
	         "Describe the device made when this machine has none", "TEXT"},
	        MESH_CLI_PORTAL_OPTIONS(portal, portal_ca),
	        MESH_CLI_KEYSTORE_OPTION(keystore),
	        /* The device made here when the machine has none. */
	        MESH_CLI_PROTECT_OPTIONS(protect, passphrase_file),
	        G_OPTION_ENTRY_NULL,
	};
	g_autoptr(MeshSecret) passphrase = NULL;
	g_autoptr(MeshSecret) uri_pin = NULL;
	g_autoptr(GError) error = NULL;
	char **words = scrub_pin_words(argc, argv_in);
	/* The option parser drops the words it took from the vector it is given: it gets a
	 * shallow copy, so that every word is still in @words to be wiped. */
	g_autofree char **argv_copy = g_memdup2(words, sizeof *words * (gsize)(argc + 1));
	char **argv = argv_copy;
	const char *account, *pin;
	MeshClientConnect *connect = NULL;
	MeshClient *client = NULL;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(
	            globals, "connect request", "ACCOUNT | mcu://ACCOUNT/PIN[?portal=URL]",
	            "Asks to connect this device to ACCOUNT's profile. Check that the "
	            "profile fingerprint is the account's, and that the witness shown "
	            "here is the one the administration device shows before accepting. "
	            "With a PIN from 'mesh connect pin' (--pin, or the connection URI its QR "
	            "code carries) the administration device that made it accepts this device "
	            "by itself. --protect or --passphrase-file protect the device made when this "
	            "machine has none.",
	            entries, 1, &argc, &argv, &status) ||
	    !mesh_cli_new_key_passphrase(globals, "connect request", protect, passphrase_file,
	                                 &passphrase, &status))
		goto out;
	if (argc != 2) {
		status = mesh_cli_failf(globals, "connect request", MESH_ERROR_USAGE,
		                        "give the account to connect to, or a connection URI");
		goto out;
	}
	account = argv[1];
	pin = pin_opt;
	if (mesh_connect_uri_is(argv[1])) {
		if (pin_opt != NULL) {
			status = mesh_cli_failf(globals, "connect request", MESH_ERROR_USAGE,
			                        "a connection URI carries its PIN: leave out --pin");
			goto out;
		}
		if (!mesh_connect_uri_parse(argv[1], &uri_account, &uri_pin, &uri_portal, &error)) {
			status = mesh_cli_failf(globals, "connect request", mesh_error_code(error),
			                        "%s", error->message);
			goto out;
		}
		account = uri_account;
		pin = (const char *)mesh_secret_get(uri_pin);
		/* The URI's portal is the account's, as --portal would name it. */
		if (uri_portal != NULL && portal == NULL)
			portal = g_strdup(uri_portal);
	}
	status = mesh_cli_session_connect(globals, "connect request", portal, portal_ca, &client);
	if (status != 0)
		goto out;
	mesh_client_set_keystore(client, keystore);
	mesh_client_set_passphrase(client, mesh_cli_secret_text(passphrase));
	code = mesh_client_connect_request_pin(client, account, pin, description, &connect);
	if (code != MESH_ERROR_OK) {
		status = connect_fail(globals, "connect request", client, code);
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
	} else if (pin != NULL) {
		g_auto(MeshCliEscapes) esc = { 0 };

		printf("Profile fingerprint: %s\nThis device:         %s\n"
		       "The request proves the PIN: the administration device that made it accepts "
		       "this device by itself.\n",
		       mesh_cli_escape(&esc, connect->profile_udf),
		       mesh_cli_escape(&esc, connect->device_udf));
	} else {
		g_auto(MeshCliEscapes) esc = { 0 };

		printf("Profile fingerprint: %s\nThis device:         %s\nWitness:             %s\n"
		       "The administration device must show this same witness, all %d characters "
		       "of it:\ncompare every one before it accepts.\n",
		       mesh_cli_escape(&esc, connect->profile_udf),
		       mesh_cli_escape(&esc, connect->device_udf),
		       mesh_cli_escape(&esc, connect->witness), MESH_CONNECT_WITNESS_CHARS);
	}
	fflush(stdout);
	if (!no_wait)
		status = wait_for(globals, "connect request", client, account);
out:
	if (pin_opt != NULL)
		OPENSSL_cleanse(pin_opt, strlen(pin_opt));
	mesh_client_connect_free(connect);
	mesh_client_close(client);
	scrub_free(words);
	return status;
}

/* ---- PINs ------------------------------------------------------------------------------------ */

typedef struct {
	char *expire;
	gboolean admin, list, qr;
	char *revoke;
} PinOptions;

/* A duration: "30s", "10m", "2h", "1d", or a plain number of seconds. */
static gboolean
parse_duration(const char *text, gint64 *ret_seconds)
{
	static const struct {
		char unit;
		gint64 seconds;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
	g_autofree char *number = g_strdup(text);
	gsize len = strlen(number);
	gint64 scale = 1;
	guint64 value = 0;

	for (gsize i = 0; len > 0 && i < G_N_ELEMENTS(units); i++) {
		if (number[len - 1] == units[i].unit) {
			scale = units[i].seconds;
			number[--len] = '\0';
			break;
		}
	}
	if (!g_ascii_string_to_unsigned(number, 10, 1, 366 * 86400, &value, NULL))
		return FALSE;
	*ret_seconds = (gint64)value * scale;
	return TRUE;
}

static int
connect_pin_check(MeshCliCall *c)
{
	const PinOptions *o = c->data;
	gint64 seconds = 0;

	if ((o->list != 0) + (o->revoke != NULL) > 1 ||
	    ((o->list || o->revoke != NULL) && (o->expire != NULL || o->admin || o->qr)))
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE,
		                      "--list and --revoke go alone: make a PIN, list them or revoke "
		                      "one");
	if (o->expire != NULL && !parse_duration(o->expire, &seconds))
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE,
		                      "--expire takes a duration such as 30m, 2h or 1d (a plain "
		                      "number is seconds)");
	return 0;
}

static MeshError
pin_list_call(MeshCliCall *c)
{
	MeshClientPinInfo *pins = NULL;
	size_t n = 0;
	MeshError code = mesh_client_connect_pin_list(c->client, c->account, &pins, &n);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL) {
		mesh_cli_json_begin_array(c->json, "Pins");
		for (size_t i = 0; i < n; i++) {
			json_builder_begin_object(c->json);
			mesh_cli_json_string(c->json, "PinId", pins[i].pin_id);
			mesh_cli_json_string(c->json, "Expires", pins[i].expires);
			json_builder_set_member_name(c->json, "Admin");
			json_builder_add_boolean_value(c->json, pins[i].admin);
			json_builder_set_member_name(c->json, "Used");
			json_builder_add_boolean_value(c->json, pins[i].used);
			json_builder_set_member_name(c->json, "Expired");
			json_builder_add_boolean_value(c->json, pins[i].expired);
			json_builder_end_object(c->json);
		}
		json_builder_end_array(c->json);
	} else if (code == MESH_ERROR_OK) {
		g_auto(MeshCliEscapes) esc = {0};

		if (n == 0)
			printf("No PINs\n");
		for (size_t i = 0; i < n; i++)
			printf("%s  expires %s%s%s\n", mesh_cli_escape(&esc, pins[i].pin_id),
			       mesh_cli_escape(&esc, pins[i].expires),
			       pins[i].admin ? "  administration" : "",
			       pins[i].used ? "  used" : pins[i].expired ? "  expired" : "");
	}
	mesh_client_pin_infos_free(pins, n);
	return code;
}

static MeshError
connect_pin_call(MeshCliCall *c)
{
	const PinOptions *o = c->data;
	MeshClientPin *pin = NULL;
	g_autofree char *revoked = NULL;
	gint64 seconds = 0;
	MeshError code;

	if (o->list)
		return pin_list_call(c);
	if (o->revoke != NULL) {
		code = mesh_client_connect_pin_revoke(c->client, c->account, o->revoke, &revoked);
		if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL) {
			mesh_cli_json_string(c->json, "Revoked", revoked);
		} else if (code == MESH_ERROR_OK) {
			g_auto(MeshCliEscapes) esc = {0};

			printf("Revoked the PIN %s\n", mesh_cli_escape(&esc, revoked));
		}
		return code;
	}
	if (o->expire != NULL)
		parse_duration(o->expire, &seconds);
	code = mesh_client_connect_pin(c->client, c->account, seconds, o->admin, &pin);
	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL) {
		mesh_cli_json_string(c->json, "Pin", pin->pin);
		mesh_cli_json_string(c->json, "Uri", pin->uri);
		mesh_cli_json_string(c->json, "PinId", pin->pin_id);
		mesh_cli_json_string(c->json, "Expires", pin->expires);
	} else if (code == MESH_ERROR_OK) {
		g_auto(MeshCliEscapes) esc = {0};

		mesh_cli_print_pin(pin, o->qr || mesh_platform_is_terminal(MESH_PLATFORM_STDOUT));
		printf("\nOn the new device: mesh connect request %s --pin PIN (or the URI, or "
		       "scan the code).\nUsed once; %s accepts it at its next 'mesh profile "
		       "sync', or by itself while its agent runs.\n",
		       c->account != NULL ? mesh_cli_escape(&esc, c->account) : "ACCOUNT",
		       pin->admin ? "this device (an administration device: the new device becomes "
		                    "one too)"
		                  : "this device");
	}
	mesh_client_pin_free(pin);
	return code;
}

void
mesh_cli_print_pin(const MeshClientPin *pin, gboolean qr)
{
	g_auto(MeshCliEscapes) esc = {0};
	g_autoptr(MeshSecret) canonical = NULL;
	g_autoptr(MeshSecret) grouped = NULL;

	if (mesh_connect_pin_canonical(pin->pin, &canonical, NULL))
		grouped = mesh_connect_pin_grouped(canonical);
	printf("PIN:     %s\nURI:     %s\nPIN ID:  %s\nExpires: %s\n",
	       grouped != NULL ? (const char *)mesh_secret_get(grouped)
	                       : mesh_cli_escape(&esc, pin->pin),
	       mesh_cli_escape(&esc, pin->uri), mesh_cli_escape(&esc, pin->pin_id),
	       mesh_cli_escape(&esc, pin->expires));
	if (qr) {
		printf("\n");
		if (!mesh_cli_qr_print(stdout, pin->uri))
			printf("(the URI does not fit a QR code)\n");
	}
}

static int
connect_pin(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "connect pin",
	        .params = "",
	        .description = "Makes a one-time PIN with which a new device connects by itself "
	                       "('mesh connect request ACCOUNT --pin PIN', or the URI of the QR "
	                       "code): this administration device accepts it at its next 'mesh "
	                       "profile sync' or while its agent runs. --list shows the PINs, "
	                       "--revoke forgets one.",
	        .max_args = 0,
	        .reach = MESH_CLI_REACH_AGENT,
	        .out = MESH_CLI_OUT_SECRET_JSON,
	        .check = connect_pin_check,
	        .call = connect_pin_call,
	};
	PinOptions o = {0};
	MeshCliCall c = {.data = &o};
	const GOptionEntry entries[] = {
	        MESH_CLI_ACCOUNT_OPTION(c.account),
	        {"expire", 0, 0, G_OPTION_ARG_STRING, &o.expire,
	         "How long the PIN lives: 30m, 2h, 1d... (default 1d; 1 minute to 30 days)",
	         "DURATION"},
	        {"admin", 0, 0, G_OPTION_ARG_NONE, &o.admin,
	         "The device connected with it becomes an administration device", NULL},
	        {"qr", 0, 0, G_OPTION_ARG_NONE, &o.qr,
	         "Draw the QR code even when the output is not a terminal", NULL},
	        {"list", 0, 0, G_OPTION_ARG_NONE, &o.list, "List the PINs made here", NULL},
	        {"revoke", 0, 0, G_OPTION_ARG_STRING, &o.revoke,
	         "Forget the PIN whose PIN ID is (or starts with) ID", "ID"},
	        G_OPTION_ENTRY_NULL,
	};
	int status = mesh_cli_run(globals, &spec, &c, entries, argc, argv);

	g_free(o.expire);
	g_free(o.revoke);
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

static MeshError
connect_pending_call(MeshCliCall *c)
{
	MeshClientPending *pending = NULL;
	size_t n = 0;
	MeshError code = mesh_client_connect_pending(c->client, c->argc == 2 ? c->argv[1] : NULL,
	                                             &pending, &n);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL) {
		mesh_cli_json_begin_array(c->json, "Pending");
		for (size_t i = 0; i < n; i++) {
			json_builder_begin_object(c->json);
			mesh_cli_json_string(c->json, "DeviceUDF", pending[i].device_udf);
			mesh_cli_json_string(c->json, "Description", pending[i].description);
			mesh_cli_json_string(c->json, "Witness", pending[i].witness);
			mesh_cli_json_string(c->json, "Expires", pending[i].expires);
			json_builder_end_object(c->json);
		}
		json_builder_end_array(c->json);
	} else if (code == MESH_ERROR_OK) {
		if (n == 0)
			printf("No pending requests\n");
		for (size_t i = 0; i < n; i++)
			wizard_show_pending(&pending[i], i, n);
		if (n > 0)
			printf("\nAnswer with 'mesh connect accept WITNESS' (or reject), "
			       "giving the whole witness\nas the new device shows it, or with no "
			       "WITNESS to choose here.\n");
	}
	mesh_client_pending_free(pending, n);
	return code;
}

static int
connect_pending(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "connect pending",
	        .params = "[ACCOUNT]",
	        .description = "Lists the devices waiting to join the profile, with the whole "
	                       "witness each one shows.",
	        .max_args = 1,
	        .reach = MESH_CLI_REACH_SESSION,
	        .call = connect_pending_call,
	};
	MeshCliCall c = {0};
	const GOptionEntry entries[] = {
	        MESH_CLI_PORTAL_OPTIONS(c.portal, c.portal_ca),
	        G_OPTION_ENTRY_NULL,
	};

	return mesh_cli_run(globals, &spec, &c, entries, argc, argv);
}

/* The whole witness given as the words @argv[1..@argc - 1] (a witness typed with spaces comes as
 * several words); the agent ignores dashes, spaces and case. */
static char *
joined_witness(int argc, char **argv)
{
	return g_strjoinv(" ", argv + 1);
}

/*
 * No WITNESS on a terminal: list the pending requests with their whole witnesses, ask which one
 * and to confirm. Returns 0 with *@ret_witness set (the chosen request's witness), or the exit
 * status: Cancelled (28) when the user answers none or no, NotFound when nothing is pending.
 */
static int
pick_request(const MeshCliGlobals *globals, const char *verb, MeshClient *client,
	     const char *account, gboolean accept, char **ret_witness)
{
	g_auto(MeshCliEscapes) esc = { 0 };
	g_autofree char *question = NULL;
	MeshClientPending *pending = NULL;
	size_t n = 0;
	int choice = 1, status = 0;
	gboolean yes = FALSE;
	MeshError code;

	code = mesh_client_connect_pending(client, account, &pending, &n);
	if (code != MESH_ERROR_OK)
		return mesh_cli_client_fail(globals, verb, client, code);
	if (n == 0) {
		mesh_client_pending_free(pending, n);
		return mesh_cli_failf(globals, verb, MESH_ERROR_NOT_FOUND,
				      "no device is waiting to connect");
	}
	for (size_t i = 0; i < n; i++)
		wizard_show_pending(&pending[i], i, n);
	printf("\n");
	if (n > 1)
		code = wizard_ask_int("Which request (0: none)", 0, 0, (int)n, &choice);
	if (code == MESH_ERROR_OK && choice > 0) {
		question = g_strdup_printf(
			accept ? "Accept the device %s, whose witness is %s? It joins the profile "
				 "and can read every application's secrets." :
				 "Reject the device %s, whose witness is %s?",
			mesh_cli_escape(&esc, pending[choice - 1].device_udf),
			mesh_cli_escape(&esc, pending[choice - 1].witness));
		code = wizard_yes_no(question, FALSE, &yes);
	}
	if (code == MESH_ERROR_OK && choice > 0 && yes)
		*ret_witness = g_strdup(pending[choice - 1].witness);
	else
		status = mesh_cli_failf(globals, verb, MESH_ERROR_CANCELLED, "nothing answered");
	mesh_client_pending_free(pending, n);
	return status;
}

static int
connect_answer_check(MeshCliCall *c)
{
	if (c->argc < 2 && (c->globals->json || !mesh_platform_is_terminal(MESH_PLATFORM_STDIN) ||
	                    !mesh_platform_is_terminal(MESH_PLATFORM_STDOUT)))
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE,
		                      "give the whole witness (%d characters) as the new device "
		                      "shows it, or run on a terminal without it to choose",
		                      MESH_CONNECT_WITNESS_CHARS);
	return 0;
}

static MeshError
connect_answer_call(MeshCliCall *c)
{
	const gboolean accept = *(const gboolean *)c->data;
	g_auto(MeshCliEscapes) esc = {0};
	g_autofree char *witness = NULL;
	MeshError code;

	if (c->argc >= 2)
		witness = joined_witness(c->argc, c->argv);
	else if ((c->status = pick_request(c->globals, c->verb, c->client, c->account, accept,
	                                   &witness)) != 0)
		return (MeshError)c->status;
	code = accept ? mesh_client_connect_accept(c->client, c->account, witness)
	              : mesh_client_connect_reject(c->client, c->account, witness);
	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL)
		mesh_cli_json_string(c->json, accept ? "Accepted" : "Rejected", witness);
	else if (code == MESH_ERROR_OK)
		printf("%s the device with witness %s\n", accept ? "Accepted" : "Rejected",
		       mesh_cli_escape(&esc, witness));
	return code;
}

static int
connect_answer(int argc, char **argv, const MeshCliGlobals *globals, gboolean accept)
{
	static const MeshCliVerbSpec specs[] = {
	        {
	                .name = "connect reject",
	                .params = "[WITNESS]",
	                .description = "Rejects the pending device whose witness is WITNESS (the "
	                               "whole witness, as for accept). Without WITNESS, on a "
	                               "terminal, lists the requests and asks which.",
	                .max_args = MESH_CONNECT_WITNESS_CHARS,
	                .reach = MESH_CLI_REACH_SESSION,
	                .options = MESH_CLI_OPTIONS_ACCOUNT_PORTAL,
	                .check = connect_answer_check,
	                .call = connect_answer_call,
	        },
	        {
	                .name = "connect accept",
	                .params = "[WITNESS]",
	                .description = "Accepts the pending device whose witness is WITNESS: it "
	                               "joins the profile. Give the whole witness (28 characters; "
	                               "dashes, spaces and case do not matter) as the new device "
	                               "shows it: a prefix is refused, since the portal could have "
	                               "made another device's witness start the same way. Without "
	                               "WITNESS, on a terminal, lists the requests and asks which.",
	                .max_args = MESH_CONNECT_WITNESS_CHARS,
	                .reach = MESH_CLI_REACH_SESSION,
	                .options = MESH_CLI_OPTIONS_ACCOUNT_PORTAL,
	                .check = connect_answer_check,
	                .call = connect_answer_call,
	        },
	};

	return mesh_cli_run_simple(globals, &specs[accept], &accept, argc, argv);
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
		{ "pin", connect_pin },         { NULL, NULL },
	};

	return mesh_cli_dispatch(
	        argc, argv, globals, "connect", subs,
	        "Usage: mesh connect request ACCOUNT [--pin PIN] [--description TEXT] [--no-wait]\n"
	        "                            [--portal URL] [--keystore STORE]\n"
	        "                            [--protect | --passphrase-file FILE]\n"
	        "       mesh connect request mcu://ACCOUNT/PIN[?portal=URL] [...]\n"
	        "       mesh connect pin [--expire DURATION] [--admin] [--qr] [--account A]\n"
	        "       mesh connect pin --list | --revoke ID [--account A]\n"
	        "       mesh connect status [ACCOUNT]\n"
	        "       mesh connect wait [ACCOUNT]\n"
	        "       mesh connect pending [ACCOUNT]\n"
	        "       mesh connect accept [WITNESS] [--account A]\n"
	        "       mesh connect reject [WITNESS] [--account A]\n"
	        "\n"
	        "Connecting a new device to a profile: the new device asks and shows a witness;\n"
	        "an administration device that shows the same witness, all 28 characters of it,\n"
	        "accepts it. accept and reject take the whole witness (a prefix is refused), or\n"
	        "without one, on a terminal, list the requests and ask which.\n"
	        "A PIN ('mesh connect pin' on an administration device) lets a new device connect\n"
	        "without the witness: that administration device accepts it by itself.\n"
	        "Exit status: Rejected 20, Expired 19, WitnessMismatch 24.\n");
}
