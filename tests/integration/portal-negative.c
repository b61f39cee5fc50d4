/* SPDX-License-Identifier: MIT */
/*
 * portal-negative: the portal's refusals over real HTTP against the real servermesh (the unit
 * tests show them against the in-process portal: tests/unit/test-portal-transactions.c).
 *
 * Usage: portal-negative SERVERMESH
 *
 * It starts SERVERMESH for example.com on 127.0.0.1:0 with a database in a temporary directory,
 * --rate 0 and --pending-per-address 0 (every request comes from 127.0.0.1; the per-address
 * limit has its own test, portal-queue.sh), creates alice's account with real keys through the HTTP
 * client (core/portal-http.h), and checks: a SignedTransaction sent twice → 401 the second time;
 * one Issued 6 minutes ago or 6 minutes ahead → 401; a Publish of the personal profile with a lower
 * and with an equal Serial → 409 Stale; a Publish signed by a device key → 401; after each
 * refusal the account is unchanged; a connection completed as Rejected → ConnectStatus (signed by
 * the device) says Rejected and the device's check of the result reports Rejected; 100 pending
 * ConnectStart requests of 100 devices accepted and the 101st → 429. Then servermesh restarts on
 * the same database: the first request's nonce is still refused (401), the account still Gets
 * with the same Serial, and the 100 pending requests are still there (429).
 *
 * One line per check, then "N passed, M failed"; the exit status is non-zero on a failure.
 * (Expiry of a pending request cannot be shown here: servermesh has no option to shorten it
 * and its clock cannot be moved from outside.)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base64.h"
#include "portal-http.h"
#include "connect.h"
#include "error.h"
#include "json.h"
#include "key.h"
#include "master.h"
#include "personal.h"
#include "portal-client.h"
#include "device-profile.h"
#include "signed.h"

#define DOMAIN "example.com"
#define ACCOUNT "alice"
/* Pending connection requests one account may have (portal/store.h, §10). */
#define MAX_PENDING 100

static int passed, failed;

static void
check(gboolean ok, const char *name, const char *format, ...) G_GNUC_PRINTF(3, 4);

static void
check(gboolean ok, const char *name, const char *format, ...)
{
	g_autofree char *detail = NULL;

	if (format != NULL) {
		va_list args;

		va_start(args, format);
		detail = g_strdup_vprintf(format, args);
		va_end(args);
	}
	if (ok)
		passed++;
	else
		failed++;
	printf("%s - %s%s%s\n", ok ? "ok  " : "FAIL", name, detail != NULL ? ": " : "",
	       detail != NULL ? detail : "");
	fflush(stdout);
}

/* ---- servermesh ---------------------------------------------------------------------------- */

static GPid server_pid;
static char *work_dir;

/* SIGTERM, and wait; returns the exit status (-1: it had to be killed). */
static int
server_stop(void)
{
	int status = 0;

	if (server_pid == 0)
		return 0;
	kill(server_pid, SIGTERM);
	for (int i = 0; i < 1000; i++) {
		if (waitpid(server_pid, &status, WNOHANG) == server_pid) {
			server_pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		}
		g_usleep(10000);
	}
	kill(server_pid, SIGKILL);
	waitpid(server_pid, &status, 0);
	server_pid = 0;
	return -1;
}

static void
cleanup(void)
{
	server_stop();
	if (work_dir != NULL) {
		char *argv[] = { (char *)"rm", (char *)"-rf", work_dir, NULL };

		g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
			     NULL);
		g_clear_pointer(&work_dir, g_free);
	}
}

static void
on_signal(int sig)
{
	if (server_pid != 0)
		kill(server_pid, SIGTERM);
	_exit(128 + sig);
}

/* Start @servermesh on the work directory's database; wait for its "serving" line. Returns
 * the portal URL, or NULL (reported). */
static char *
server_start(const char *servermesh, const char *log)
{
	g_autofree char *db = g_build_filename(work_dir, "portal.db", NULL);
	char *argv[] = {(char *)servermesh,
	                (char *)DOMAIN,
	                (char *)"--listen",
	                (char *)"127.0.0.1:0",
	                (char *)"--db",
	                db,
	                (char *)"--rate",
	                (char *)"0",
	                (char *)"--pending-per-address",
	                (char *)"0",
	                NULL};
	g_autoptr(GError) error = NULL;
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int status;

	if (fd < 0) {
		fprintf(stderr, "portal-negative: %s: %s\n", log, g_strerror(errno));
		return NULL;
	}
	if (!g_spawn_async_with_fds(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
				    &server_pid, -1, fd, fd, &error)) {
		close(fd);
		fprintf(stderr, "portal-negative: cannot start %s: %s\n", servermesh,
			error->message);
		return NULL;
	}
	close(fd);
	for (int i = 0; i < 1000; i++) {
		g_autofree char *text = NULL;
		const char *at, *end;

		if (g_file_get_contents(log, &text, NULL, NULL) &&
		    (at = strstr(text, "servermesh: serving " DOMAIN " on ")) != NULL &&
		    (end = strchr(at, '\n')) != NULL) {
			at += strlen("servermesh: serving " DOMAIN " on ");
			return g_strndup(at, (gsize)(end - at));
		}
		if (waitpid(server_pid, &status, WNOHANG) == server_pid) {
			server_pid = 0;
			fprintf(stderr, "portal-negative: servermesh exited: %s\n",
				text != NULL ? text : "");
			return NULL;
		}
		g_usleep(10000);
	}
	fprintf(stderr, "portal-negative: servermesh did not say it was serving within 10 s\n");
	return NULL;
}

/* ---- Requests ------------------------------------------------------------------------------ */

static MeshPortalClient *client;

/* The answer to one request. */
typedef struct {
	guint status;      /* 0: no answer (transport failure) */
	JsonObject *obj;   /* the response object (untagged), or NULL */
	char *code;        /* its "Code", or NULL */
	char *message;     /* what the client reports (mesh_portal_answer_read), or NULL */
} Answer;

static void
answer_clear(Answer *a)
{
	g_clear_pointer(&a->obj, json_object_unref);
	g_clear_pointer(&a->code, g_free);
	g_clear_pointer(&a->message, g_free);
	a->status = 0;
}

/* Send @text (not freed), whose answer is tagged @response_tag. */
static Answer
send_text(const char *response_tag, const char *text)
{
	Answer a = { 0 };
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(JsonObject) read = NULL;
	const char *data;
	gsize len = 0;
	JsonObject *obj;

	if (!mesh_portal_client_transact(client, text, &bytes, &a.status, &error)) {
		a.status = 0;
		a.message = g_strdup(error->message);
		return a;
	}
	data = g_bytes_get_data(bytes, &len);
	root = mesh_json_parse(data, len, MESH_PORTAL_MESSAGE_MAX, NULL);
	if (root != NULL && JSON_NODE_HOLDS_OBJECT(root)) {
		obj = json_node_get_object(root);
		if (json_object_has_member(obj, response_tag) &&
		    JSON_NODE_HOLDS_OBJECT(json_object_get_member(obj, response_tag)))
			obj = json_object_get_object_member(obj, response_tag);
		a.obj = json_object_ref(obj);
		if (json_object_has_member(obj, "Code"))
			a.code = g_strdup(json_object_get_string_member_with_default(obj, "Code",
										     ""));
	}
	read = mesh_portal_answer_read(bytes, a.status, response_tag, &error);
	if (read == NULL)
		a.message = g_strdup_printf("%s (%s)", error->message,
					    mesh_error_name((MeshError)error->code));
	return a;
}

/* The request {@tag: @request} (@request taken), unsigned. */
static char *
plain(const char *tag, JsonObject *request)
{
	return mesh_portal_request_text(tag, request);
}

/* The SignedTransaction {@tag: @request} (@request taken) by @key, issued @offset seconds from
 * now. */
static char *
signed_at(const char *tag, JsonObject *request, MeshKey *key, gint64 offset)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(g_get_real_time() / G_USEC_PER_SEC +
							       offset);
	g_autofree char *issued = g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ");
	g_autoptr(GError) error = NULL;
	char *text = mesh_portal_request_sign_at(tag, request, issued, NULL, key,
						 mesh_signed_sign_with_key, key, &error);

	if (text == NULL) {
		fprintf(stderr, "portal-negative: cannot sign %s: %s\n", tag, error->message);
		exit(1);
	}
	return text;
}

static JsonObject *
obj1(const char *member, const char *value)
{
	JsonObject *obj = json_object_new();

	json_object_set_string_member(obj, member, value);
	return obj;
}

static JsonObject *
obj_node(const char *member, JsonNode *value, const char *member2, const char *value2)
{
	JsonObject *obj = json_object_new();

	json_object_set_member(obj, member, json_node_copy(value));
	if (member2 != NULL)
		json_object_set_string_member(obj, member2, value2);
	return obj;
}

static G_NORETURN void
fatal(const char *what, GError *error)
{
	fprintf(stderr, "portal-negative: %s: %s\n", what, error != NULL ? error->message : "");
	cleanup();
	exit(1);
}

/* ---- Keys and profiles --------------------------------------------------------------------- */

typedef struct {
	MeshKey *sig, *auth, *enc;
	JsonNode *signed_profile;
} Device;

static void
device_make(Device *d, MeshKey *auth, MeshKey *enc)
{
	g_autoptr(MeshDeviceProfile) p = NULL;
	GError *error = NULL;

	d->sig = mesh_key_generate(MESH_KEY_ED25519, NULL);
	d->auth = auth != NULL ? mesh_key_ref(auth) : mesh_key_generate(MESH_KEY_ED25519, NULL);
	d->enc = enc != NULL ? mesh_key_ref(enc) : mesh_key_generate(MESH_KEY_X25519, NULL);
	p = mesh_device_profile_new("test device", d->sig, d->auth, d->enc, &error);
	if (p == NULL)
		fatal("device profile", error);
	d->signed_profile = mesh_device_profile_sign(p, mesh_signed_sign_with_key, d->sig, &error);
	if (d->signed_profile == NULL)
		fatal("device profile", error);
}

static void
device_clear(Device *d)
{
	g_clear_pointer(&d->sig, mesh_key_unref);
	g_clear_pointer(&d->auth, mesh_key_unref);
	g_clear_pointer(&d->enc, mesh_key_unref);
	g_clear_pointer(&d->signed_profile, json_node_unref);
}

typedef struct {
	MeshKey *sig;
	MeshKey *escrow[2];
	MeshKey *online[2];
	MeshMasterProfile *profile;
	JsonNode *signed_profile;
} Master;

static void
master_make(Master *m)
{
	GError *error = NULL;

	m->sig = mesh_key_generate(MESH_KEY_ED25519, NULL);
	for (int i = 0; i < 2; i++) {
		m->escrow[i] = mesh_key_generate(MESH_KEY_X25519, NULL);
		m->online[i] = mesh_key_generate(MESH_KEY_ED25519, NULL);
	}
	m->profile = mesh_master_profile_new(m->sig, m->escrow, 2, m->online, 2, &error);
	if (m->profile == NULL)
		fatal("master profile", error);
	m->signed_profile = mesh_master_profile_sign(m->profile, mesh_signed_sign_with_key, m->sig,
						     &error);
	if (m->signed_profile == NULL)
		fatal("master profile", error);
}

static void
master_clear(Master *m)
{
	g_clear_pointer(&m->sig, mesh_key_unref);
	for (int i = 0; i < 2; i++) {
		g_clear_pointer(&m->escrow[i], mesh_key_unref);
		g_clear_pointer(&m->online[i], mesh_key_unref);
	}
	g_clear_pointer(&m->profile, mesh_master_profile_free);
	g_clear_pointer(&m->signed_profile, json_node_unref);
}

/* The personal profile signed by @key after @bump more serials. */
static JsonNode *
resign(MeshPersonalProfile *personal, int bump, MeshKey *key)
{
	GError *error = NULL;
	JsonNode *node;

	for (int i = 0; i < bump; i++)
		if (!mesh_personal_profile_touch(personal, &error))
			fatal("touch", error);
	node = mesh_personal_profile_sign(personal, key, mesh_signed_sign_with_key, key, &error);
	if (node == NULL)
		fatal("personal profile", error);
	return node;
}

static Master m;

/* Get alice's account: 200 with one SignedPersonalProfile of her profile; its Serial, or -1. */
static gint64
get_serial(void)
{
	g_autofree char *text = plain("GetRequest", obj1("Account", ACCOUNT));
	Answer a = send_text("GetResponse", text);
	g_autoptr(MeshPersonalProfile) got = NULL;
	JsonArray *entries;
	gint64 serial = -1;

	if (a.status == 200 && a.obj != NULL && json_object_has_member(a.obj, "Entries") &&
	    (entries = json_object_get_array_member(a.obj, "Entries")) != NULL &&
	    json_array_get_length(entries) == 1 &&
	    (got = mesh_personal_profile_verify(json_array_get_element(entries, 0), NULL)) != NULL &&
	    g_strcmp0(got->identifier, m.profile->identifier) == 0)
		serial = got->serial;
	answer_clear(&a);
	return serial;
}

/* Send @text and check that it is refused with @status and @code, the account unchanged at
 * @serial; the error the client reports is shown. */
static void
expect_refused(const char *name, const char *response_tag, const char *text, guint status,
	       const char *code, gint64 serial)
{
	Answer a = send_text(response_tag, text);
	gint64 now_serial = get_serial();

	check(a.status == status && g_strcmp0(a.code, code) == 0 && now_serial == serial, name,
	      "%u %s — %s; Serial %" G_GINT64_FORMAT " (want %u %s, Serial %" G_GINT64_FORMAT
	      ")",
	      a.status, a.code != NULL ? a.code : "-", a.message != NULL ? a.message : "accepted",
	      now_serial, status, code, serial);
	answer_clear(&a);
}

static guint
publish_status(JsonNode *entry, MeshKey *signer)
{
	g_autofree char *text = signed_at("PublishRequest", obj_node("Entry", entry, "Account",
								      ACCOUNT),
					  signer, 0);
	Answer a = send_text("PublishResponse", text);
	guint status = a.status;

	answer_clear(&a);
	return status;
}

/* ConnectStart of @d to alice's profile; the Witness in @ret_witness (may be NULL). */
static Answer
connect_start(Device *d, MeshConnectionRequest **ret_request)
{
	GError *error = NULL;
	g_autoptr(MeshConnectionRequest) request =
		mesh_connection_request_new(m.profile->identifier, d->signed_profile, &error);
	g_autoptr(JsonNode) node = NULL;
	g_autofree char *text = NULL;

	if (request == NULL)
		fatal("connection request", error);
	node = mesh_connection_request_sign(request, mesh_signed_sign_with_key, d->sig, &error);
	if (node == NULL)
		fatal("connection request", error);
	text = plain("ConnectStartRequest", obj_node("SignedRequest", node, "AccountID", ACCOUNT));
	if (ret_request != NULL)
		*ret_request = g_steal_pointer(&request);
	return send_text("ConnectStartResponse", text);
}

static guint
pending_count(void)
{
	g_autofree char *text = signed_at("ConnectPendingRequest", obj1("AccountID", ACCOUNT),
					  m.online[0], 0);
	Answer a = send_text("ConnectPendingResponse", text);
	guint n = G_MAXUINT;

	if (a.status == 200 && a.obj != NULL && json_object_has_member(a.obj, "Pending"))
		n = json_array_get_length(json_object_get_array_member(a.obj, "Pending"));
	answer_clear(&a);
	return n;
}

static gboolean
connect_client(const char *url)
{
	g_autoptr(GError) error = NULL;

	mesh_portal_client_close(client);
	client = mesh_portal_client_http_new(url, NULL, &error);
	if (client == NULL)
		fprintf(stderr, "portal-negative: %s: %s\n", url, error->message);
	return client != NULL;
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MeshPersonalProfile) personal = NULL;
	g_autoptr(JsonNode) v1 = NULL, v2 = NULL, v3 = NULL;
	g_autofree char *url = NULL;
	g_autofree char *log1 = NULL, *log2 = NULL;
	g_autofree char *first = NULL;
	Device dev = { 0 };
	Answer a;

	if (argc != 2) {
		fprintf(stderr, "usage: portal-negative SERVERMESH\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	work_dir = g_dir_make_tmp("portal-negative-XXXXXX", &error);
	if (work_dir == NULL)
		fatal("temporary directory", error);
	log1 = g_build_filename(work_dir, "servermesh.1.log", NULL);
	log2 = g_build_filename(work_dir, "servermesh.2.log", NULL);

	url = server_start(argv[1], log1);
	check(url != NULL && g_str_has_prefix(url, "http://127.0.0.1:"),
	      "servermesh starts on 127.0.0.1:0 with --rate 0", "%s", url != NULL ? url : "-");
	if (url == NULL || !connect_client(url)) {
		cleanup();
		return 1;
	}

	/* alice's account, with real keys. */
	master_make(&m);
	personal = mesh_personal_profile_new(ACCOUNT "@" DOMAIN, m.signed_profile, &error);
	if (personal == NULL)
		fatal("personal profile", error);
	v1 = resign(personal, 0, m.online[0]);
	{
		g_autofree char *text = plain("CreateRequest",
					      obj_node("Profile", v1, "Account", ACCOUNT));

		a = send_text("CreateResponse", text);
		check(a.status == 201, "CreateAccount alice over HTTP → 201", "%u %s", a.status,
		      a.message != NULL ? a.message : "");
		answer_clear(&a);
	}
	check(get_serial() == 1, "Get alice → her profile, Serial 1", NULL);

	/* A replayed SignedTransaction. */
	device_make(&dev, NULL, NULL);
	if (!mesh_personal_profile_add_device(personal, dev.signed_profile, &error))
		fatal("add device", error);
	v2 = resign(personal, 1, m.online[1]);
	first = signed_at("PublishRequest", obj_node("Entry", v2, "Account", ACCOUNT), m.online[0],
			  0);
	a = send_text("PublishResponse", first);
	check(a.status == 200 && get_serial() == 2, "Publish Serial 2 by an administration key → 200",
	      "%u %s", a.status, a.message != NULL ? a.message : "");
	answer_clear(&a);
	expect_refused("the same signed Publish again (a replay) → 401 Unauthorized",
		       "PublishResponse", first, 401, "Unauthorized", 2);

	/* Outside the Issued window (±5 minutes); inside it the same request works. */
	{
		g_autofree char *old = signed_at("ConnectPendingRequest",
						 obj1("AccountID", ACCOUNT), m.online[0], -6 * 60);
		g_autofree char *ahead = signed_at("ConnectPendingRequest",
						   obj1("AccountID", ACCOUNT), m.online[0], 6 * 60);

		expect_refused("ConnectPending Issued 6 minutes ago → 401 Unauthorized",
			       "ConnectPendingResponse", old, 401, "Unauthorized", 2);
		expect_refused("ConnectPending Issued 6 minutes ahead → 401 Unauthorized",
			       "ConnectPendingResponse", ahead, 401, "Unauthorized", 2);
		check(pending_count() == 0, "ConnectPending Issued now → 200, nothing pending",
		      NULL);
	}

	/* Stale serials, and a key that is not an administration key. */
	{
		g_autofree char *stale = signed_at("PublishRequest",
						   obj_node("Entry", v1, "Account", ACCOUNT),
						   m.online[0], 0);
		g_autofree char *equal = signed_at("PublishRequest",
						   obj_node("Entry", v2, "Account", ACCOUNT),
						   m.online[1], 0);
		g_autofree char *by_device = NULL;

		expect_refused("Publish of Serial 1 over Serial 2 → 409 Stale", "PublishResponse",
			       stale, 409, "Stale", 2);
		expect_refused("Publish of an equal Serial 2 → 409 Stale", "PublishResponse", equal,
			       409, "Stale", 2);
		v3 = resign(personal, 1, m.online[0]);
		by_device = signed_at("PublishRequest", obj_node("Entry", v3, "Account", ACCOUNT),
				      dev.sig, 0);
		expect_refused("Publish of Serial 3 signed by a device key (not an administration "
			       "key) → 401 Unauthorized",
			       "PublishResponse", by_device, 401, "Unauthorized", 2);
		{
			g_autofree char *unsigned_text = plain("PublishRequest",
							       obj_node("Entry", v3, "Account",
									ACCOUNT));

			expect_refused("Publish of Serial 3 unsigned → 401 Unauthorized",
				       "PublishResponse", unsigned_text, 401, "Unauthorized", 2);
		}
	}

	/* A rejected connection, as the new device sees it. */
	{
		Device d = { 0 };
		g_autoptr(MeshConnectionRequest) request = NULL;
		g_autoptr(JsonNode) result = NULL;
		g_autoptr(MeshConnectionResult) verified = NULL;
		g_autofree char *complete = NULL;
		g_autofree char *status_text = NULL;
		g_autoptr(GError) local = NULL;
		g_autofree char *witness = NULL;
		g_autofree char *computed = NULL;
		guint8 server_nonce[MESH_CONNECT_NONCE_LEN];
		const char *nonce_text;
		gsize len = 0;
		JsonObject *r;

		device_make(&d, NULL, NULL);
		a = connect_start(&d, &request);
		witness = g_strdup(a.obj != NULL ? json_object_get_string_member_with_default(
							   a.obj, "Witness", "")
						 : "");
		nonce_text = a.obj != NULL ? json_object_get_string_member_with_default(
						     a.obj, "ServerNonce", "")
					   : "";
		if (a.status == 201 &&
		    mesh_b64u_decode(nonce_text, strlen(nonce_text), server_nonce,
				     sizeof server_nonce, &len, NULL) &&
		    len == MESH_CONNECT_NONCE_LEN)
			computed = mesh_connection_request_witness(request, m.profile, server_nonce,
								   NULL);
		check(a.status == 201 && g_strcmp0(computed, witness) == 0,
		      "ConnectStart of a new device → 201, the witness as the device computes it",
		      "%u %s %s", a.status, witness, a.message != NULL ? a.message : "");
		result = mesh_connection_result_sign(mesh_key_udf(d.sig), witness,
						     MESH_CONNECTION_REJECTED, m.profile,
						     m.online[0], mesh_signed_sign_with_key,
						     m.online[0], &local);
		answer_clear(&a);
		if (result == NULL)
			fatal("connection result", local);
		complete = signed_at("ConnectCompleteRequest",
				     obj_node("Result", result, "AccountID", ACCOUNT), m.online[0],
				     0);
		a = send_text("ConnectCompleteResponse", complete);
		check(a.status == 200, "ConnectComplete with Result Rejected → 200", "%u %s",
		      a.status, a.message != NULL ? a.message : "");
		answer_clear(&a);
		r = obj1("AccountID", ACCOUNT);
		json_object_set_string_member(r, "DeviceID", mesh_key_udf(d.sig));
		status_text = signed_at("ConnectStatusRequest", r, d.sig, 0);
		a = send_text("ConnectStatusResponse", status_text);
		check(a.status == 200 && a.obj != NULL &&
			      g_strcmp0(json_object_get_string_member_with_default(a.obj, "State",
										   ""),
					"Rejected") == 0,
		      "ConnectStatus signed by the device → State Rejected", "%u %s", a.status,
		      a.message != NULL ? a.message : "");
		if (a.obj != NULL && json_object_has_member(a.obj, "Result"))
			verified = mesh_connection_result_verify(
				json_object_get_member(a.obj, "Result"), m.profile, NULL);
		if (verified != NULL)
			mesh_connection_result_check(verified, mesh_key_udf(d.sig), witness,
						     &local);
		check(local != NULL && local->code == MESH_ERROR_REJECTED,
		      "the device's check of the signed Result reports Rejected", "%s",
		      local != NULL ? local->message : "no error");
		answer_clear(&a);
		/* Answered at once on servermesh's I/O thread, its nonce used by a worker before
		 * the answer goes: the same bytes again are a replay. */
		a = send_text("ConnectStatusResponse", status_text);
		check(a.status == 401, "the same signed ConnectStatus again (a replay) → 401",
		      "%u %s", a.status, a.message != NULL ? a.message : "");
		answer_clear(&a);
		check(get_serial() == 2, "the rejected device changed nothing (Serial 2)", NULL);
		device_clear(&d);
	}

	/* 100 pending requests of 100 devices; the 101st refused. */
	{
		g_autoptr(MeshKey) auth = mesh_key_generate(MESH_KEY_ED25519, NULL);
		g_autoptr(MeshKey) enc = mesh_key_generate(MESH_KEY_X25519, NULL);
		guint accepted = 0;
		g_autofree char *bad = NULL;

		for (int i = 0; i < MAX_PENDING; i++) {
			Device d = { 0 };

			device_make(&d, auth, enc);
			a = connect_start(&d, NULL);
			if (a.status == 201)
				accepted++;
			else if (bad == NULL)
				bad = g_strdup_printf("request %d: %u %s", i + 1, a.status,
						      a.message != NULL ? a.message : "");
			answer_clear(&a);
			device_clear(&d);
		}
		check(accepted == MAX_PENDING, "100 ConnectStart requests of 100 devices → 201 each",
		      "%u accepted%s%s", accepted, bad != NULL ? "; " : "",
		      bad != NULL ? bad : "");
		check(pending_count() == MAX_PENDING, "ConnectPending lists 100", NULL);
		{
			Device d = { 0 };

			device_make(&d, auth, enc);
			a = connect_start(&d, NULL);
			check(a.status == 429 && g_strcmp0(a.code, "RateLimited") == 0,
			      "the 101st pending request → 429 RateLimited", "%u %s — %s", a.status,
			      a.code != NULL ? a.code : "-", a.message != NULL ? a.message : "");
			answer_clear(&a);
			device_clear(&d);
		}
		check(pending_count() == MAX_PENDING, "still 100 pending after the refusal", NULL);
	}

	/* servermesh restarts on the same database. */
	{
		int status = server_stop();

		check(status == 0, "servermesh stops on SIGTERM with status 0", "%d", status);
	}
	g_clear_pointer(&url, g_free);
	url = server_start(argv[1], log2);
	check(url != NULL, "servermesh starts again on the same database", "%s",
	      url != NULL ? url : "-");
	if (url != NULL && connect_client(url)) {
		check(get_serial() == 2, "after the restart Get alice → Serial 2", NULL);
		expect_refused("after the restart the first Publish's nonce is still refused → 401",
			       "PublishResponse", first, 401, "Unauthorized", 2);
		check(pending_count() == MAX_PENDING, "after the restart 100 requests are pending",
		      NULL);
		{
			Device d = { 0 };

			device_make(&d, NULL, NULL);
			a = connect_start(&d, NULL);
			check(a.status == 429, "after the restart the 101st is still refused → 429",
			      "%u %s", a.status, a.message != NULL ? a.message : "");
			answer_clear(&a);
			device_clear(&d);
		}
		check(publish_status(v3, m.online[1]) == 200 && get_serial() == 3,
		      "after the restart Publish of Serial 3 by an administration key → 200",
		      NULL);
	}
	{
		int status = server_stop();

		check(status == 0, "servermesh stops cleanly", "%d", status);
	}
	mesh_portal_client_close(client);
	device_clear(&dev);
	master_clear(&m);
	cleanup();
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
