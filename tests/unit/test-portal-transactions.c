/* SPDX-License-Identifier: MIT */
/*
 * The portal's transaction layer (docs/protocol.md §8) against the memory store, always through the
 * direct client so that every request and answer goes through its JSON text: each transaction's
 * success beside the failures that must refuse it.
 */
#include <gio/gio.h>

#include "application.h"
#include "client-direct.h"
#include "portal-http.h"
#include "connect.h"
#include "escrow.h"
#include "http-server.h"
#include "model-test.h"
#include "personal.h"
#include "portal-client.h"
#include "ssh-device-key.h"
#include "sshkey.h"
#include "transactions.h"

static gint64 clock_now;

static gint64
test_clock(gpointer data)
{
	return clock_now;
}

typedef struct {
	MeshPortalStore *store;
	MeshPortal *portal;
	MeshPortalClient *client;
	MtMaster m;
	MeshPersonalProfile *personal;
	JsonNode *signed_personal;
} Fx;

static void
fx_init(Fx *fx)
{
	GError *error = NULL;

	memset(fx, 0, sizeof *fx);
	clock_now = g_get_real_time() / G_USEC_PER_SEC;
	fx->store = mesh_portal_store_memory_new();
	fx->portal = mesh_portal_new("example.com", fx->store, &error);
	MESH_ASSERT_NO_ERROR(error);
	mesh_portal_set_clock(fx->portal, test_clock, NULL);
	fx->client = mesh_portal_client_direct_new(fx->portal);
	CU_ASSERT_STRING_EQUAL(mesh_portal_client_name(fx->client), "direct");
	mt_master_make(&fx->m, MESH_KEY_ED25519, MESH_KEY_X25519);
	fx->personal = mesh_personal_profile_new("alice@example.com", fx->m.signed_profile, &error);
	MESH_ASSERT_NO_ERROR(error);
	fx->signed_personal = mesh_personal_profile_sign(fx->personal, fx->m.online[0],
							 mesh_signed_sign_with_key,
							 fx->m.online[0], &error);
	MESH_ASSERT_NO_ERROR(error);
}

static void
fx_clear(Fx *fx)
{
	mesh_portal_client_close(fx->client);
	mesh_portal_free(fx->portal);
	mesh_portal_store_close(fx->store);
	mt_master_clear(&fx->m);
	mesh_personal_profile_free(fx->personal);
	json_node_unref(fx->signed_personal);
}

/* The portal's time + @offset seconds, as RFC 3339. */
static char *
clock_time(gint64 offset)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(clock_now + offset);

	return g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ");
}

static char *
plain(const char *tag, JsonObject *request)
{
	return mesh_portal_request_text(tag, request);
}

/* A SignedTransaction by @key, issued @offset seconds from the portal's clock. */
static char *
signed_at(const char *tag, JsonObject *request, MeshKey *key, gint64 offset)
{
	g_autofree char *issued = clock_time(offset);
	GError *error = NULL;
	char *text = mesh_portal_request_sign_at(tag, request, issued, NULL, key,
						 mesh_signed_sign_with_key, key, &error);

	MESH_ASSERT_NO_ERROR(error);
	return text;
}

static char *
signed_by(const char *tag, JsonObject *request, MeshKey *key)
{
	return signed_at(tag, request, key, 0);
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

/*
 * Send @text (freed) and check the answer's envelope: JSON, tagged @response_tag (or untagged
 * when NULL), a Status the HTTP status mirrors, a StatusDescription, and a Code on errors.
 * Returns the status; *@ret_obj (may be NULL) gets the response object.
 */
static guint
send_text(Fx *fx, const char *response_tag, char *text, JsonObject **ret_obj)
{
	g_autofree char *owned = text;
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(JsonNode) root = NULL;
	GError *error = NULL;
	JsonObject *obj;
	gsize len = 0;
	const char *data;
	guint status = 0;

	CU_ASSERT_TRUE_FATAL(mesh_portal_client_transact(fx->client, owned, &answer, &status,
							 &error));
	MESH_ASSERT_NO_ERROR(error);
	data = g_bytes_get_data(answer, &len);
	root = mesh_json_parse(data, len, MESH_PORTAL_MESSAGE_MAX, &error);
	MESH_ASSERT_NO_ERROR(error);
	obj = json_node_get_object(root);
	if (response_tag != NULL) {
		CU_ASSERT_EQUAL_FATAL(json_object_get_size(obj), 1);
		CU_ASSERT_TRUE_FATAL(json_object_has_member(obj, response_tag));
		obj = json_object_get_object_member(obj, response_tag);
	}
	CU_ASSERT_EQUAL(json_object_get_int_member(obj, "Status"), status);
	CU_ASSERT_TRUE(json_object_has_member(obj, "StatusDescription"));
	CU_ASSERT_EQUAL(json_object_has_member(obj, "Code"), status >= 400);
	if (status >= 400)
		CU_ASSERT_EQUAL(mesh_portal_status_for_error(mesh_error_from_name(
					json_object_get_string_member(obj, "Code"))),
				status);
	if (ret_obj != NULL)
		*ret_obj = json_object_ref(obj);
	return status;
}

/* The MeshError the client reports for the request @text (freed); 0 on success. */
static int
call_code(Fx *fx, const char *tag, char *text)
{
	g_autofree char *owned = text;
	GError *error = NULL;
	g_autoptr(JsonObject) obj = mesh_portal_client_call(fx->client, tag, owned, &error);

	CU_ASSERT_EQUAL(obj == NULL, error != NULL);
	return mt_code(&error);
}

static char *
create_text(const char *account, JsonNode *profile)
{
	return plain("CreateRequest", obj_node("Profile", profile, "Account", account));
}

static guint
create(Fx *fx, const char *account, JsonNode *profile)
{
	return send_text(fx, "CreateResponse", create_text(account, profile), NULL);
}

/* A signed personal profile for @personal after Serial + @bump, by @key. */
static JsonNode *
resign(MeshPersonalProfile *personal, int bump, MeshKey *key)
{
	GError *error = NULL;
	JsonNode *node;

	for (int i = 0; i < bump; i++)
		CU_ASSERT_TRUE(mesh_personal_profile_touch(personal, NULL));
	node = mesh_personal_profile_sign(personal, key, mesh_signed_sign_with_key, key, &error);
	MESH_ASSERT_NO_ERROR(error);
	return node;
}

static guint
publish(Fx *fx, JsonNode *entry, MeshKey *signer)
{
	return send_text(fx, "PublishResponse",
			 signed_by("PublishRequest", obj_node("Entry", entry, "Account", "alice"),
				   signer),
			 NULL);
}

/* ConnectPending for alice, signed by @key @offset seconds from the portal's clock. */
static guint
connect_pending(Fx *fx, MeshKey *key, gint64 offset, JsonObject **ret_obj)
{
	return send_text(fx, "ConnectPendingResponse",
			 signed_at("ConnectPendingRequest", obj1("AccountID", "alice"), key,
				   offset),
			 ret_obj);
}

/* ---- Hello, Validate ----------------------------------------------------------------------- */

/* Which requests the HTTP binding may try to answer on its I/O loop: unsigned reads and
 * signed transactions on a local store; never a plain write, or anything on PostgreSQL. */
static gboolean
at_once(Fx *fx, const char *text)
{
	g_autoptr(GBytes) bytes = g_bytes_new(text, strlen(text));

	return mesh_portal_answers_at_once(fx->portal, bytes);
}

static void
test_answers_at_once(void)
{
	static const struct {
		const char *text;
		gboolean at_once;
	} cases[] = {
	        {"{\"HelloRequest\": {}}", TRUE},
	        {" \n{ \"GetRequest\": {\"Account\": \"alice\"}}", TRUE},
	        {"{\"ValidateRequest\":{\"Account\":\"x\"}}", TRUE},
	        /* Tried at once: mesh_portal_handler_now leaves the nonce for a worker, and
	         * leaves a signed request that writes to the worker whole (test_connect). */
	        {"{\"SignedTransaction\": {\"GetRequest\": {}}}", TRUE},
	        {"{\"PublishRequest\": {}}", FALSE},
	        {"{\"CreateRequest\": {}}", FALSE},
	        {"{\"ConnectStatusRequest\": {}}", FALSE},
	        {"{\"GetRequestX\": {}}", FALSE}, /* the whole name, quotes included */
	        {"[\"GetRequest\"]", FALSE},
	        {"{\"Get", FALSE},
	        {"", FALSE},
	};
	Fx fx;

	fx_init(&fx);
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		if (at_once(&fx, cases[i].text) != cases[i].at_once)
			g_printerr("at once: %s: want %d\n", cases[i].text, cases[i].at_once);
		CU_ASSERT_EQUAL(at_once(&fx, cases[i].text), cases[i].at_once);
	}
	fx_clear(&fx);
}

static void
test_hello(void)
{
	Fx fx;
	g_autoptr(JsonObject) obj = NULL;
	GError *error = NULL;

	fx_init(&fx);
	CU_ASSERT_EQUAL(send_text(&fx, "HelloResponse", plain("HelloRequest", NULL), &obj), 200);
	CU_ASSERT_EQUAL(json_object_get_int_member(json_object_get_object_member(obj, "Version"),
						   "Major"),
			MESH_PORTAL_VERSION_MAJOR);
	CU_ASSERT_STRING_EQUAL(json_array_get_string_element(
				       json_object_get_array_member(obj, "Encodings"), 0),
			       "JSON");
	g_clear_pointer(&obj, json_object_unref);
	/* The same through the client's reader. */
	{
		g_autofree char *text = plain("HelloRequest", NULL);

		obj = mesh_portal_client_call(fx.client, "HelloRequest", text, &error);
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_EQUAL(json_object_get_int_member(obj, "Status"), 200);
	}
	/* A member Hello does not have; an unrestricted request sent signed. */
	CU_ASSERT_EQUAL(send_text(&fx, "HelloResponse", plain("HelloRequest", obj1("X", "y")),
				  NULL),
			400);
	CU_ASSERT_EQUAL(send_text(&fx, "HelloResponse",
				  signed_by("HelloRequest", NULL, fx.m.online[0]), NULL),
			400);
	fx_clear(&fx);
}

static void
validate(Fx *fx, const char *account, gboolean valid, const char *invalid)
{
	g_autoptr(JsonObject) obj = NULL;

	CU_ASSERT_EQUAL(send_text(fx, "ValidateResponse",
				  plain("ValidateRequest", obj1("Account", account)), &obj),
			200);
	CU_ASSERT_EQUAL(json_object_get_boolean_member(obj, "Valid"), valid);
	CU_ASSERT_EQUAL(json_object_has_member(obj, "Reason"), !valid);
	CU_ASSERT_EQUAL(json_object_get_int_member(obj, "Minimum"), 1);
	CU_ASSERT_EQUAL(json_object_get_int_member(obj, "Maximum"), 63);
	CU_ASSERT_STRING_EQUAL(json_object_get_string_member(obj, "InvalidCharacters"), invalid);
}

static void
test_validate(void)
{
	Fx fx;
	JsonObject *reserve;

	fx_init(&fx);
	validate(&fx, "alice", TRUE, "");
	validate(&fx, "Alice@Example.com", TRUE, "");
	validate(&fx, "al!ce #1", FALSE, "! #");
	validate(&fx, "alice@other.org", FALSE, "");
	validate(&fx, "", FALSE, "");
	CU_ASSERT_EQUAL(create(&fx, "alice", fx.signed_personal), 201);
	validate(&fx, "alice", FALSE, "");
	validate(&fx, "bob", TRUE, "");
	reserve = obj1("Account", "bob");
	json_object_set_boolean_member(reserve, "Reserve", TRUE);
	CU_ASSERT_EQUAL(send_text(&fx, "ValidateResponse", plain("ValidateRequest", reserve), NULL),
			200);
	reserve = obj1("Account", "bob");
	json_object_set_string_member(reserve, "Reserve", "yes");
	CU_ASSERT_EQUAL(send_text(&fx, "ValidateResponse", plain("ValidateRequest", reserve), NULL),
			400);
	CU_ASSERT_EQUAL(send_text(&fx, "ValidateResponse", plain("ValidateRequest", NULL), NULL),
			400);
	fx_clear(&fx);
}

/* ---- Create, Get, Delete ------------------------------------------------------------------- */

static void
get_profile(Fx *fx, const char *member, const char *value, gint64 serial)
{
	g_autoptr(JsonObject) obj = NULL;
	g_autoptr(MeshPersonalProfile) got = NULL;
	JsonArray *entries;
	GError *error = NULL;

	CU_ASSERT_EQUAL_FATAL(send_text(fx, "GetResponse", plain("GetRequest", obj1(member, value)),
					&obj),
			      200);
	entries = json_object_get_array_member(obj, "Entries");
	CU_ASSERT_EQUAL_FATAL(json_array_get_length(entries), 1);
	got = mesh_personal_profile_verify(json_array_get_element(entries, 0), &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(got->identifier, fx->m.profile->identifier);
	CU_ASSERT_EQUAL(got->serial, serial);
}

static void
test_create_get(void)
{
	Fx fx;
	g_autofree char *tampered = NULL;
	g_autofree char *by_master = NULL;
	g_autofree char *personal_text = NULL;
	g_autoptr(JsonNode) node = NULL;
	JsonObject *both;

	fx_init(&fx);
	personal_text = mt_text(fx.signed_personal);
	/* Not there yet. */
	CU_ASSERT_EQUAL(call_code(&fx, "GetRequest", plain("GetRequest", obj1("Account", "alice"))),
			MESH_ERROR_NOT_FOUND);
	/* A profile that does not verify (payload changed, old signature), one that is malformed
	 * (Serial 0) though signed by an administration key, one signed by a key that is not an
	 * administration key; a profile for another account. */
	tampered = mt_tamper(personal_text, "PersonalProfile", TRUE, mt_add_member,
			     NULL, NULL, NULL);
	node = mesh_json_parse(tampered, strlen(tampered), 1 << 20, NULL);
	CU_ASSERT_EQUAL(call_code(&fx, "CreateRequest", create_text("alice", node)),
			MESH_ERROR_BAD_SIGNATURE);
	g_clear_pointer(&node, json_node_unref);
	g_free(tampered);
	tampered = mt_tamper(personal_text, "PersonalProfile", TRUE, mt_set_serial_zero,
			     NULL, fx.m.online[0], NULL);
	node = mesh_json_parse(tampered, strlen(tampered), 1 << 20, NULL);
	CU_ASSERT_EQUAL(create(&fx, "alice", node), 400);
	g_clear_pointer(&node, json_node_unref);
	by_master = mt_tamper(personal_text, "PersonalProfile", TRUE, NULL, NULL,
			      fx.m.sig, NULL);
	node = mesh_json_parse(by_master, strlen(by_master), 1 << 20, NULL);
	CU_ASSERT_EQUAL(call_code(&fx, "CreateRequest", create_text("alice", node)),
			MESH_ERROR_UNAUTHORIZED);
	CU_ASSERT_EQUAL(create(&fx, "bob", fx.signed_personal), 400);
	CU_ASSERT_EQUAL(create(&fx, "alice@other.org", fx.signed_personal), 400);
	CU_ASSERT_EQUAL(send_text(&fx, "CreateResponse",
				  plain("CreateRequest", obj1("Account", "alice")), NULL),
			400);
	/* Created once, with the name in any case and with the portal's domain. */
	CU_ASSERT_EQUAL(create(&fx, "Alice@example.com", fx.signed_personal), 201);
	CU_ASSERT_EQUAL(call_code(&fx, "CreateRequest", create_text("alice", fx.signed_personal)),
			MESH_ERROR_EXISTS);
	get_profile(&fx, "Account", "alice", 1);
	get_profile(&fx, "Account", "ALICE@example.com", 1);
	get_profile(&fx, "Identifier", fx.m.profile->identifier, 1);
	CU_ASSERT_EQUAL(call_code(&fx, "GetRequest",
				  plain("GetRequest", obj1("Identifier", "MAAA-AAAA-AAAA"))),
			MESH_ERROR_NOT_FOUND);
	both = obj1("Account", "alice");
	json_object_set_string_member(both, "Identifier", fx.m.profile->identifier);
	CU_ASSERT_EQUAL(send_text(&fx, "GetResponse", plain("GetRequest", both), NULL), 400);
	CU_ASSERT_EQUAL(send_text(&fx, "GetResponse", plain("GetRequest", NULL), NULL), 400);
	fx_clear(&fx);
}

static void
test_delete(void)
{
	Fx fx;
	MtDevice d;

	fx_init(&fx);
	mt_device_make(&d, MESH_KEY_ED25519, MESH_KEY_X25519);
	CU_ASSERT_EQUAL(create(&fx, "alice", fx.signed_personal), 201);
	/* Unsigned, signed by a key that is not an administration key, for no account. */
	CU_ASSERT_EQUAL(call_code(&fx, "DeleteRequest",
				  plain("DeleteRequest", obj1("Account", "alice"))),
			MESH_ERROR_UNAUTHORIZED);
	CU_ASSERT_EQUAL(send_text(&fx, "DeleteResponse",
				  signed_by("DeleteRequest", obj1("Account", "alice"), d.sig),
				  NULL),
			401);
	CU_ASSERT_EQUAL(send_text(&fx, "DeleteResponse",
				  signed_by("DeleteRequest", obj1("Account", "bob"),
					    fx.m.online[1]),
				  NULL),
			404);
	get_profile(&fx, "Account", "alice", 1);
	CU_ASSERT_EQUAL(send_text(&fx, "DeleteResponse",
				  signed_by("DeleteRequest", obj1("Account", "alice"),
					    fx.m.online[1]),
				  NULL),
			200);
	CU_ASSERT_EQUAL(call_code(&fx, "GetRequest", plain("GetRequest", obj1("Account", "alice"))),
			MESH_ERROR_NOT_FOUND);
	mt_device_clear(&d);
	fx_clear(&fx);
}

/* The status of GetRequest {Identifier: @identifier}. */
static guint
get_status(Fx *fx, const char *identifier)
{
	return send_text(fx, "GetResponse", plain("GetRequest", obj1("Identifier", identifier)),
	                 NULL);
}

/* The status of DeleteRequest {Account: @account, Identifier: @identifier} signed by @key. */
static guint
delete_entry(Fx *fx, const char *account, const char *identifier, MeshKey *key)
{
	JsonObject *request = obj1("Account", account);

	json_object_set_string_member(request, "Identifier", identifier);
	return send_text(fx, "DeleteResponse", signed_by("DeleteRequest", request, key), NULL);
}

/* An escrow entry of the master @m (its identifier in *@ret_id). */
static JsonNode *
escrow_of(MtMaster *m, char **ret_id)
{
	g_autoptr(GPtrArray) shares = NULL;
	g_autoptr(MeshEscrowEntry) entry = NULL;
	JsonNode *node = NULL;
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_escrow_create(m->sig, m->escrow, 2, 2, 3, &node, &shares, &error));
	MESH_ASSERT_NO_ERROR(error);
	g_ptr_array_set_free_func(shares, (GDestroyNotify)mesh_secret_free);
	entry = mesh_escrow_entry_from_json(node, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(entry);
	*ret_id = g_strdup(entry->identifier);
	return node;
}

static MeshApplicationProfile *settings_profile(Fx *fx);
static JsonNode *settings_signed(Fx *fx, MeshApplicationProfile *app);

/*
 * DeleteRequest with an Identifier (an escrow revoked): only an escrow entry of the account, by
 * its administration key. The attack: alice's administration key deleting bob's escrow entry
 * (named under alice's account, or under bob's), and entries that are not escrow entries.
 */
static void
test_delete_escrow_entry(void)
{
	Fx fx;
	MtMaster bob;
	MtDevice d;
	g_autoptr(MeshPersonalProfile) bob_personal = NULL;
	g_autoptr(JsonNode) bob_signed = NULL;
	g_autoptr(JsonNode) escrow = NULL;
	g_autoptr(JsonNode) bob_escrow = NULL;
	g_autoptr(JsonNode) app_node = NULL;
	g_autoptr(MeshApplicationProfile) app = NULL;
	g_autofree char *id = NULL, *bob_id = NULL;
	JsonObject *request;
	GError *error = NULL;

	fx_init(&fx);
	mt_master_make(&bob, MESH_KEY_ED25519, MESH_KEY_X25519);
	mt_device_make(&d, MESH_KEY_ED25519, MESH_KEY_X25519);
	CU_ASSERT_EQUAL(create(&fx, "alice", fx.signed_personal), 201);
	bob_personal = mesh_personal_profile_new("bob@example.com", bob.signed_profile, &error);
	MESH_ASSERT_NO_ERROR(error);
	bob_signed = mesh_personal_profile_sign(bob_personal, bob.online[0],
	                                        mesh_signed_sign_with_key, bob.online[0], &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(create(&fx, "bob", bob_signed), 201);
	escrow = escrow_of(&fx.m, &id);
	CU_ASSERT_EQUAL(publish(&fx, escrow, fx.m.online[0]), 200);
	bob_escrow = escrow_of(&bob, &bob_id);
	CU_ASSERT_EQUAL(send_text(&fx, "PublishResponse",
	                          signed_by("PublishRequest",
	                                    obj_node("Entry", bob_escrow, "Account", "bob"),
	                                    bob.online[0]),
	                          NULL),
	                200);
	app = settings_profile(&fx);
	app_node = settings_signed(&fx, app);
	CU_ASSERT_EQUAL(publish(&fx, app_node, fx.m.online[0]), 200);

	/* Unsigned; signed by a device key; by alice's key for bob's account. */
	request = obj1("Account", "alice");
	json_object_set_string_member(request, "Identifier", id);
	CU_ASSERT_EQUAL(send_text(&fx, "DeleteResponse", plain("DeleteRequest", request), NULL),
	                401);
	CU_ASSERT_EQUAL(delete_entry(&fx, "alice", id, d.sig), 401);
	CU_ASSERT_EQUAL(delete_entry(&fx, "bob", bob_id, fx.m.online[0]), 401);
	/* bob's escrow entry named under alice's account: NotFound, and it stays. */
	CU_ASSERT_EQUAL(delete_entry(&fx, "alice", bob_id, fx.m.online[0]), 404);
	CU_ASSERT_EQUAL(get_status(&fx, bob_id), 200);
	/* Not escrow entries: an application profile, the personal profile. */
	request = obj1("Account", "alice");
	json_object_set_int_member(request, "Identifier", 7);
	CU_ASSERT_EQUAL(call_code(&fx, "DeleteRequest",
	                          signed_by("DeleteRequest", request, fx.m.online[0])),
	                MESH_ERROR_MALFORMED);
	request = obj1("Account", "alice");
	json_object_set_string_member(request, "Identifier", app->identifier);
	CU_ASSERT_EQUAL(call_code(&fx, "DeleteRequest",
	                          signed_by("DeleteRequest", request, fx.m.online[0])),
	                MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_EQUAL(get_status(&fx, app->identifier), 200);
	CU_ASSERT_EQUAL(delete_entry(&fx, "alice", fx.m.profile->identifier, fx.m.online[0]), 400);
	get_profile(&fx, "Account", "alice", 1);
	CU_ASSERT_EQUAL(delete_entry(&fx, "alice", "MAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA",
	                             fx.m.online[0]),
	                404);
	/* alice's own escrow entry, by either administration key: gone, the account stays. */
	CU_ASSERT_EQUAL(delete_entry(&fx, "alice", id, fx.m.online[1]), 200);
	CU_ASSERT_EQUAL(get_status(&fx, id), 404);
	CU_ASSERT_EQUAL(delete_entry(&fx, "alice", id, fx.m.online[0]), 404);
	get_profile(&fx, "Account", "alice", 1);
	CU_ASSERT_EQUAL(delete_entry(&fx, "bob", bob_id, bob.online[1]), 200);
	CU_ASSERT_EQUAL(get_status(&fx, bob_id), 404);
	mt_device_clear(&d);
	mt_master_clear(&bob);
	fx_clear(&fx);
}

/* ---- Publish ------------------------------------------------------------------------------- */

static void
test_publish_personal(void)
{
	Fx fx;
	MtDevice d;
	g_autoptr(JsonNode) v2 = NULL;
	g_autoptr(JsonNode) v3 = NULL;
	g_autoptr(JsonNode) v1 = NULL;
	g_autofree char *replay = NULL;

	fx_init(&fx);
	mt_device_make(&d, MESH_KEY_ED25519, MESH_KEY_X25519);
	v1 = json_node_copy(fx.signed_personal);
	CU_ASSERT_EQUAL(create(&fx, "alice", fx.signed_personal), 201);
	/* Equal serial, then a higher one (with a device added) by the other admin key. */
	CU_ASSERT_EQUAL(call_code(&fx, "PublishRequest",
				  signed_by("PublishRequest",
					    obj_node("Entry", v1, "Account", "alice"),
					    fx.m.online[0])),
			MESH_ERROR_STALE);
	CU_ASSERT_TRUE(mesh_personal_profile_add_device(fx.personal, d.signed_profile, NULL));
	v2 = resign(fx.personal, 1, fx.m.online[1]);
	/* Signed by a key that is not an administration key; unsigned; to another account. */
	CU_ASSERT_EQUAL(publish(&fx, v2, d.sig), 401);
	CU_ASSERT_EQUAL(call_code(&fx, "PublishRequest",
				  plain("PublishRequest",
					obj_node("Entry", v2, "Account", "alice"))),
			MESH_ERROR_UNAUTHORIZED);
	CU_ASSERT_EQUAL(send_text(&fx, "PublishResponse",
				  signed_by("PublishRequest",
					    obj_node("Entry", v2, "Account", "bob"),
					    fx.m.online[0]),
				  NULL),
			404);
	get_profile(&fx, "Account", "alice", 1);
	replay = signed_by("PublishRequest", obj_node("Entry", v2, "Account", "alice"),
			   fx.m.online[0]);
	CU_ASSERT_EQUAL(send_text(&fx, "PublishResponse", g_strdup(replay), NULL), 200);
	get_profile(&fx, "Account", "alice", 2);
	get_profile(&fx, "Identifier", fx.m.profile->identifier, 2);
	/* The same signed request again: refused as a replay, before the serial is looked at. */
	CU_ASSERT_EQUAL(call_code(&fx, "PublishRequest", g_steal_pointer(&replay)),
			MESH_ERROR_UNAUTHORIZED);
	/* Stale (1 < 2) and equal (2) serials; then 3. */
	CU_ASSERT_EQUAL(call_code(&fx, "PublishRequest",
				  signed_by("PublishRequest",
					    obj_node("Entry", v1, "Account", "alice"),
					    fx.m.online[0])),
			MESH_ERROR_STALE);
	CU_ASSERT_EQUAL(publish(&fx, v2, fx.m.online[0]), 409);
	v3 = resign(fx.personal, 1, fx.m.online[0]);
	CU_ASSERT_EQUAL(publish(&fx, v3, fx.m.online[1]), 200);
	get_profile(&fx, "Account", "alice", 3);
	/* An entry that is none of the three kinds. */
	CU_ASSERT_EQUAL(publish(&fx, fx.m.signed_profile, fx.m.online[0]), 400);
	mt_device_clear(&d);
	fx_clear(&fx);
}

/* Issued too far from the portal's clock, either way; a malformed Nonce. */
static void
test_issued_window(void)
{
	Fx fx;
	g_autofree char *issued = NULL;
	GError *error = NULL;
	const guint8 short_nonce[MESH_PORTAL_NONCE_LEN] = { 0 };
	static const struct {
		gint64 seconds;
		guint status;
	} offsets[] = { { -6 * 60, 401 }, { 6 * 60, 401 }, { -4 * 60, 200 }, { 4 * 60, 200 } };
	char *text;

	fx_init(&fx);
	CU_ASSERT_EQUAL(create(&fx, "alice", fx.signed_personal), 201);
	for (gsize i = 0; i < G_N_ELEMENTS(offsets); i++)
		CU_ASSERT_EQUAL(connect_pending(&fx, fx.m.online[0], offsets[i].seconds, NULL),
				offsets[i].status);
	/* A fixed nonce is accepted once. */
	issued = clock_time(0);
	text = mesh_portal_request_sign_at("ConnectPendingRequest", obj1("AccountID", "alice"),
					   issued, short_nonce, fx.m.online[0],
					   mesh_signed_sign_with_key, fx.m.online[0], &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(send_text(&fx, "ConnectPendingResponse", text, NULL), 200);
	text = mesh_portal_request_sign_at("ConnectPendingRequest", obj1("AccountID", "alice"),
					   issued, short_nonce, fx.m.online[1],
					   mesh_signed_sign_with_key, fx.m.online[1], &error);
	CU_ASSERT_EQUAL(send_text(&fx, "ConnectPendingResponse", text, NULL), 401);
	{
		/* Nonce not 16 bytes; Issued not a time. */
		JsonObject *r = obj1("AccountID", "alice");
		g_autoptr(JsonNode) payload = NULL;
		g_autoptr(JsonNode) jws = NULL;
		g_autofree char *body = NULL;
		g_autofree char *jws_text = NULL;

		json_object_set_string_member(r, "Issued", issued);
		json_object_set_string_member(r, "Nonce", "AAAA");
		payload = mesh_signed_tag("ConnectPendingRequest", r);
		jws = mesh_signed_jws(payload, "ConnectPendingRequest", fx.m.online[0],
				      mesh_signed_sign_with_key, fx.m.online[0], 1 << 20, NULL);
		jws_text = mesh_json_to_string(jws);
		body = g_strdup_printf("{\"SignedTransaction\":%s}", jws_text);
		CU_ASSERT_EQUAL(send_text(&fx, "ConnectPendingResponse", g_strdup(body), NULL),
				400);
	}
	CU_ASSERT_EQUAL(connect_pending(&fx, fx.m.online[0], 0, NULL),
			200);
	fx_clear(&fx);
}

/*
 * Recovery re-binds the account to a new administration key: a master profile with a higher
 * Serial, signed by the master key the account was created with.
 */
static void
test_rebind(void)
{
	Fx fx;
	MtMaster other;
	g_autoptr(MeshKey) fresh = mesh_key_generate(MESH_KEY_ED25519, NULL);
	g_autoptr(JsonNode) same_serial = NULL;
	g_autoptr(JsonNode) signed_master = NULL;
	g_autoptr(JsonNode) rebound = NULL;
	g_autoptr(JsonNode) foreign = NULL;
	g_autoptr(MeshPersonalProfile) stolen = NULL;
	GError *error = NULL;

	fx_init(&fx);
	mt_master_make(&other, MESH_KEY_ED25519, MESH_KEY_X25519);
	CU_ASSERT_EQUAL(create(&fx, "alice", fx.signed_personal), 201);
	/* A master profile with the new key but the same Serial: not a re-binding. */
	CU_ASSERT_TRUE(mesh_master_profile_add_online_key(fx.m.profile, fresh, NULL));
	CU_ASSERT_TRUE(mesh_master_profile_remove_online_key(fx.m.profile,
							     mesh_key_udf(fx.m.online[0]), NULL));
	CU_ASSERT_TRUE(mesh_master_profile_remove_online_key(fx.m.profile,
							     mesh_key_udf(fx.m.online[1]), NULL));
	{
		g_autoptr(MeshPersonalProfile) p = NULL;
		g_autoptr(JsonNode) m1 = mesh_master_profile_sign(fx.m.profile,
								  mesh_signed_sign_with_key,
								  fx.m.sig, NULL);

		p = mesh_personal_profile_new("alice", m1, &error);
		MESH_ASSERT_NO_ERROR(error);
		same_serial = resign(p, 4, fresh);
		CU_ASSERT_EQUAL(publish(&fx, same_serial, fresh), 401);
	}
	/* Serial 2: accepted; then the old administration keys are not. */
	CU_ASSERT_TRUE(mesh_master_profile_touch(fx.m.profile, NULL));
	signed_master = mesh_master_profile_sign(fx.m.profile, mesh_signed_sign_with_key, fx.m.sig,
						 &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_personal_profile_set_master(fx.personal, signed_master, NULL));
	rebound = resign(fx.personal, 1, fresh);
	CU_ASSERT_EQUAL(publish(&fx, rebound, fresh), 200);
	get_profile(&fx, "Account", "alice", 2);
	CU_ASSERT_EQUAL(connect_pending(&fx, fx.m.online[0], 0, NULL),
			401);
	CU_ASSERT_EQUAL(connect_pending(&fx, fresh, 0, NULL),
			200);
	/* A "re-binding" under another master key, with a higher Serial: refused. */
	CU_ASSERT_TRUE(mesh_master_profile_touch(other.profile, NULL));
	CU_ASSERT_TRUE(mesh_master_profile_touch(other.profile, NULL));
	json_node_unref(other.signed_profile);
	other.signed_profile = mesh_master_profile_sign(other.profile, mesh_signed_sign_with_key,
							other.sig, NULL);
	stolen = mesh_personal_profile_new("alice", other.signed_profile, &error);
	MESH_ASSERT_NO_ERROR(error);
	foreign = resign(stolen, 9, other.online[0]);
	CU_ASSERT_EQUAL(publish(&fx, foreign, other.online[0]), 401);
	/* A profile rolled back to the first master profile (the old administration keys), though
	 * signed for by the current one: stale. */
	{
		g_autoptr(MeshPersonalProfile) old = mesh_personal_profile_new(
			"alice", fx.m.signed_profile, &error);
		g_autoptr(JsonNode) rolled_back = NULL;

		MESH_ASSERT_NO_ERROR(error);
		rolled_back = resign(old, 20, fx.m.online[0]);
		CU_ASSERT_EQUAL(call_code(&fx, "PublishRequest",
					  signed_by("PublishRequest",
						    obj_node("Entry", rolled_back, "Account",
							     "alice"),
						    fresh)),
				MESH_ERROR_STALE);
	}
	/* ... and by the account's administration key too: not this account's profile. */
	CU_ASSERT_EQUAL(publish(&fx, foreign, fresh), 400);
	get_profile(&fx, "Account", "alice", 2);
	mt_master_clear(&other);
	fx_clear(&fx);
}

/* alice's generic application profile "settings", sealed to her escrow keys. */
static MeshApplicationProfile *
settings_profile(Fx *fx)
{
	g_autoptr(MeshSecret) data = mesh_secret_new_from_data("{\"k\":1}", 8);
	g_autoptr(MeshSecret) plaintext = NULL;
	MeshApplicationProfile *app;
	GError *error = NULL;

	app = mesh_application_profile_new(MESH_APPLICATION_GENERIC, "settings", &error);
	plaintext = mesh_application_generic_text("settings", data, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_application_profile_seal_to(app, plaintext, fx->m.escrow, 2, &error));
	return app;
}

/* @app signed by alice's first administration key. */
static JsonNode *
settings_signed(Fx *fx, MeshApplicationProfile *app)
{
	GError *error = NULL;
	JsonNode *node =
	        mesh_application_profile_sign(app, fx->m.profile, fx->m.online[0],
	                                      mesh_signed_sign_with_key, fx->m.online[0], &error);

	MESH_ASSERT_NO_ERROR(error);
	return node;
}

static void
test_publish_application_escrow(void)
{
	Fx fx;
	g_autoptr(MeshApplicationProfile) app = NULL;
	g_autoptr(JsonNode) a1 = NULL;
	g_autoptr(JsonNode) a2 = NULL;
	g_autoptr(JsonNode) escrow = NULL;
	g_autoptr(GPtrArray) shares = NULL;
	g_autoptr(JsonObject) obj = NULL;
	g_autoptr(MeshApplicationProfile) got = NULL;
	g_autoptr(MeshEscrowEntry) entry = NULL;
	GError *error = NULL;

	fx_init(&fx);
	CU_ASSERT_EQUAL(create(&fx, "alice", fx.signed_personal), 201);
	app = settings_profile(&fx);
	a1 = settings_signed(&fx, app);
	CU_ASSERT_EQUAL(publish(&fx, a1, fx.m.sig), 401);
	CU_ASSERT_EQUAL(publish(&fx, a1, fx.m.online[1]), 200);
	CU_ASSERT_EQUAL(call_code(&fx, "PublishRequest",
				  signed_by("PublishRequest",
					    obj_node("Entry", a1, "Account", "alice"),
					    fx.m.online[0])),
			MESH_ERROR_STALE);
	CU_ASSERT_TRUE(mesh_application_profile_touch(app, NULL));
	a2 = settings_signed(&fx, app);
	CU_ASSERT_EQUAL(publish(&fx, a2, fx.m.online[0]), 200);
	CU_ASSERT_EQUAL(send_text(&fx, "GetResponse",
				  plain("GetRequest", obj1("Identifier", app->identifier)), &obj),
			200);
	got = mesh_application_profile_verify(
		json_array_get_element(json_object_get_array_member(obj, "Entries"), 0),
		fx.m.profile, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(got->serial, 2);
	g_clear_pointer(&obj, json_object_unref);

	CU_ASSERT_TRUE(mesh_escrow_create(fx.m.sig, fx.m.escrow, 2, 2, 3, &escrow, &shares,
					  &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(publish(&fx, escrow, fx.m.online[0]), 200);
	CU_ASSERT_EQUAL(publish(&fx, escrow, fx.m.online[0]), 409);
	entry = mesh_escrow_entry_from_json(escrow, NULL);
	CU_ASSERT_EQUAL(send_text(&fx, "GetResponse",
				  plain("GetRequest", obj1("Identifier", entry->identifier)), &obj),
			200);
	CU_ASSERT_EQUAL(json_array_get_length(json_object_get_array_member(obj, "Entries")), 1);
	fx_clear(&fx);
}


/* List the published application @app in alice's personal profile. */
static void
list_app(Fx *fx, MeshApplicationProfile *app)
{
	g_autoptr(MeshApplicationEntry) entry = NULL;
	GError *error = NULL;

	entry = mesh_application_entry_new(app->identifier, app->type, app->friendly, NULL, NULL,
	                                   &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_personal_profile_add_application(fx->personal, entry, &error));
	MESH_ASSERT_NO_ERROR(error);
	g_steal_pointer(&entry);
}

/*
 * A personal profile published without an application it listed before (AppDelete): the portal
 * deletes that application profile, and only once the profile is accepted; other entries stay.
 */
static void
test_publish_drops_unlisted_apps(void)
{
	Fx fx;
	g_autoptr(MeshApplicationProfile) a = NULL;
	g_autoptr(MeshApplicationProfile) b = NULL;
	g_autoptr(JsonNode) a_node = NULL, b_node = NULL, escrow = NULL;
	g_autoptr(JsonNode) p1 = NULL, stale = NULL, p2 = NULL;
	g_autoptr(GPtrArray) shares = NULL;
	g_autoptr(MeshEscrowEntry) entry = NULL;
	GError *error = NULL;

	fx_init(&fx);
	CU_ASSERT_EQUAL(create(&fx, "alice", fx.signed_personal), 201);
	a = settings_profile(&fx);
	b = settings_profile(&fx);
	a_node = settings_signed(&fx, a);
	b_node = settings_signed(&fx, b);
	CU_ASSERT_EQUAL(publish(&fx, a_node, fx.m.online[0]), 200);
	CU_ASSERT_EQUAL(publish(&fx, b_node, fx.m.online[0]), 200);
	CU_ASSERT_TRUE(
	        mesh_escrow_create(fx.m.sig, fx.m.escrow, 2, 2, 3, &escrow, &shares, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(publish(&fx, escrow, fx.m.online[0]), 200);
	list_app(&fx, a);
	list_app(&fx, b);
	p1 = resign(fx.personal, 1, fx.m.online[0]);
	CU_ASSERT_EQUAL(publish(&fx, p1, fx.m.online[0]), 200);
	CU_ASSERT_EQUAL(get_status(&fx, a->identifier), 200);
	CU_ASSERT_EQUAL(get_status(&fx, b->identifier), 200);

	/* A refused publication (its Serial does not go up) deletes nothing. */
	CU_ASSERT_TRUE(mesh_personal_profile_remove_application(fx.personal, a->identifier, NULL));
	stale = resign(fx.personal, 0, fx.m.online[0]);
	CU_ASSERT_EQUAL(publish(&fx, stale, fx.m.online[0]), 409);
	CU_ASSERT_EQUAL(get_status(&fx, a->identifier), 200);
	/* Accepted: the application it no longer lists is gone, the rest stays. */
	p2 = resign(fx.personal, 1, fx.m.online[0]);
	CU_ASSERT_EQUAL(publish(&fx, p2, fx.m.online[0]), 200);
	CU_ASSERT_EQUAL(get_status(&fx, a->identifier), 404);
	CU_ASSERT_EQUAL(get_status(&fx, b->identifier), 200);
	entry = mesh_escrow_entry_from_json(escrow, NULL);
	CU_ASSERT_EQUAL(get_status(&fx, entry->identifier), 200);
	fx_clear(&fx);
}

/* ---- SSH device keys ----------------------------------------------------------------------- */

/* The SignedSSHDeviceKey of @d for @account and @profile, serial @serial, signed by @signer. */
static JsonNode *
ssh_key_entry(MtDevice *d, const char *account, const char *profile, gint64 serial, MeshKey *signer)
{
	g_autoptr(MeshKey) ssh = mesh_key_generate(MESH_KEY_ED25519, NULL);
	g_autofree char *line = mesh_ssh_public_line(ssh, "mesh:alice:test", NULL);
	g_autoptr(MeshSshDeviceKey) key = NULL;
	GError *error = NULL;
	JsonNode *node;

	key = mesh_ssh_device_key_new(account, profile, mesh_key_udf(d->sig), line, serial, &error);
	MESH_ASSERT_NO_ERROR(error);
	node = mesh_ssh_device_key_sign(key, d->sig, mesh_signed_sign_with_key, d->sig, &error);
	MESH_ASSERT_NO_ERROR(error);
	if (signer != d->sig) {
		/* Re-signed by another key over the same payload: the kid names that key. */
		g_autofree char *text = mt_text(node);
		g_autofree char *t =
		        mt_tamper(text, MESH_SSH_DEVICE_KEY_TAG, TRUE, NULL, NULL, signer, NULL);

		json_node_unref(node);
		node = mesh_json_parse(t, strlen(t), MESH_PORTAL_MESSAGE_MAX, NULL);
	}
	return node;
}

static void
test_publish_ssh_key(void)
{
	Fx fx;
	MtDevice d1 = {0}, d2 = {0}, d3 = {0};
	const char *profile;
	g_autoptr(JsonNode) signed_personal = NULL;
	g_autoptr(JsonNode) e1 = NULL;
	g_autoptr(JsonNode) e1b = NULL;
	g_autoptr(JsonNode) e2 = NULL;
	g_autoptr(JsonNode) e3 = NULL;
	g_autoptr(JsonNode) forged = NULL;
	g_autoptr(JsonNode) bob = NULL;
	g_autoptr(JsonNode) other_profile = NULL;
	g_autoptr(JsonNode) malformed = NULL;
	g_autoptr(JsonObject) obj = NULL;
	g_autoptr(MeshSshDeviceKey) got = NULL;
	g_autofree char *id1 = NULL;
	GError *error = NULL;

	fx_init(&fx);
	mt_device_make(&d1, MESH_KEY_ED25519, MESH_KEY_X25519);
	mt_device_make(&d2, MESH_KEY_P256, MESH_KEY_P256);
	mt_device_make(&d3, MESH_KEY_ED25519, MESH_KEY_X25519);
	CU_ASSERT_TRUE(mesh_personal_profile_add_device(fx.personal, d1.signed_profile, NULL));
	CU_ASSERT_TRUE(mesh_personal_profile_add_device(fx.personal, d2.signed_profile, NULL));
	signed_personal = resign(fx.personal, 1, fx.m.online[0]);
	CU_ASSERT_EQUAL(create(&fx, "alice", signed_personal), 201);
	profile = fx.personal->identifier;

	/* A listed device publishes its own key; anyone reads it back. */
	e1 = ssh_key_entry(&d1, "alice@example.com", profile, 1, d1.sig);
	CU_ASSERT_EQUAL(publish(&fx, e1, d1.sig), 200);
	id1 = mesh_ssh_device_key_identifier(profile, mesh_key_udf(d1.sig), NULL);
	CU_ASSERT_EQUAL(
	        send_text(&fx, "GetResponse", plain("GetRequest", obj1("Identifier", id1)), &obj),
	        200);
	got = mesh_ssh_device_key_verify(
	        json_array_get_element(json_object_get_array_member(obj, "Entries"), 0), d1.sig,
	        &error);
	MESH_ASSERT_NO_ERROR(error);
	/* The same serial again: stale; a higher one replaces it. */
	CU_ASSERT_EQUAL(publish(&fx, e1, d1.sig), 409);
	e1b = ssh_key_entry(&d1, "alice@example.com", profile, 2, d1.sig);
	CU_ASSERT_EQUAL(publish(&fx, e1b, d1.sig), 200);
	e2 = ssh_key_entry(&d2, "alice@example.com", profile, 1, d2.sig);
	CU_ASSERT_EQUAL(publish(&fx, e2, d2.sig), 200);

	/* A device the profile does not list; an administration key; the master key. */
	e3 = ssh_key_entry(&d3, "alice@example.com", profile, 1, d3.sig);
	CU_ASSERT_EQUAL(publish(&fx, e3, d3.sig), 401);
	CU_ASSERT_EQUAL(publish(&fx, e1b, fx.m.online[0]), 401);
	CU_ASSERT_EQUAL(publish(&fx, e1b, fx.m.sig), 401);
	/* Device 2 sends device 1's entry, or device 1's entry re-signed by itself. */
	CU_ASSERT_EQUAL(publish(&fx, e1b, d2.sig), 401);
	forged = ssh_key_entry(&d1, "alice@example.com", profile, 3, d2.sig);
	CU_ASSERT_EQUAL(publish(&fx, forged, d2.sig), 401);
	CU_ASSERT_EQUAL(publish(&fx, forged, d1.sig), 401);
	/* For another account or profile. */
	bob = ssh_key_entry(&d1, "bob@example.com", profile, 5, d1.sig);
	CU_ASSERT_EQUAL(publish(&fx, bob, d1.sig), 400);
	other_profile = ssh_key_entry(&d1, "alice@example.com", mesh_key_udf(d3.sig), 5, d1.sig);
	CU_ASSERT_EQUAL(publish(&fx, other_profile, d1.sig), 400);
	/* Malformed. */
	malformed = mesh_json_parse("{\"SignedSSHDeviceKey\":{}}", 25, 100, NULL);
	CU_ASSERT_EQUAL(publish(&fx, malformed, d1.sig), 400);

	mt_device_clear(&d1);
	mt_device_clear(&d2);
	mt_device_clear(&d3);
	fx_clear(&fx);
}

/* ---- Connections --------------------------------------------------------------------------- */

/* A SignedRequest of the device @d to join the fixture's profile; its request in @ret. */
static JsonNode *
connection_request(Fx *fx, MtDevice *d, MeshConnectionRequest **ret)
{
	GError *error = NULL;
	g_autoptr(MeshConnectionRequest) request =
		mesh_connection_request_new(fx->m.profile->identifier, d->signed_profile, &error);
	JsonNode *node;

	MESH_ASSERT_NO_ERROR(error);
	node = mesh_connection_request_sign(request, mesh_signed_sign_with_key, d->sig, &error);
	MESH_ASSERT_NO_ERROR(error);
	if (ret != NULL)
		*ret = g_steal_pointer(&request);
	return node;
}

static char *
connect_start(Fx *fx, JsonNode *signed_request)
{
	return plain("ConnectStartRequest",
		     obj_node("SignedRequest", signed_request, "AccountID", "alice"));
}

static guint
connect_status(Fx *fx, MtDevice *d, MeshKey *signer, JsonObject **ret_obj)
{
	JsonObject *r = obj1("AccountID", "alice");

	json_object_set_string_member(r, "DeviceID", mesh_key_udf(d->sig));
	return send_text(fx, "ConnectStatusResponse",
			 signed_by("ConnectStatusRequest", r, signer), ret_obj);
}

/* A status answer's HTTP status and State (NULL: none). */
static guint
answer_state(GBytes *answer, guint status, const char **ret_state)
{
	gsize len = 0;
	const char *data = g_bytes_get_data(answer, &len);
	g_autoptr(JsonNode) root = mesh_json_parse(data, len, MESH_PORTAL_MESSAGE_MAX, NULL);
	JsonObject *obj;

	*ret_state = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	obj = json_object_get_object_member(json_node_get_object(root), "ConnectStatusResponse");
	CU_ASSERT_EQUAL(json_object_get_int_member(obj, "Status"), status);
	if (json_object_has_member(obj, "State"))
		*ret_state = g_intern_string(json_object_get_string_member(obj, "State"));
	return status;
}

/*
 * ConnectStatus answered at once (mesh_portal_handler_now, the HTTP binding's I/O loop): the
 * answer is made but waits for its nonce (mesh_portal_finish, in a worker). The same signed
 * request twice before a finish, once more after it, and on the ordinary path: one answer, then
 * 401 replays, within one finish and across. A signed request that is not a plain read
 * (ConnectPending) is left to a worker whole: no answer, no later, its nonce not used (the
 * same bytes then succeed on the ordinary path).
 */
static void
status_at_once(Fx *fx, MtDevice *d)
{
	JsonObject *r = obj1("AccountID", "alice");
	g_autofree char *text = NULL;
	g_autoptr(GBytes) request = NULL;
	g_autofree char *pending =
	        signed_by("ConnectPendingRequest", obj1("AccountID", "alice"), fx->m.online[1]);
	g_autoptr(GBytes) pending_request = g_bytes_new(pending, strlen(pending));
	gpointer laters[2] = {NULL, NULL}, later = NULL;
	GBytes *answers[2] = {NULL, NULL};
	guint statuses[2] = {0, 0};
	const char *transaction = NULL, *state = NULL;
	guint status = 0;

	json_object_set_string_member(r, "DeviceID", mesh_key_udf(d->sig));
	text = signed_by("ConnectStatusRequest", r, d->sig);
	request = g_bytes_new(text, strlen(text));
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_PTR_NULL(mesh_portal_handler_now(fx->portal, NULL, request, &status,
		                                           &transaction, &laters[i]));
		CU_ASSERT_PTR_NOT_NULL_FATAL(laters[i]);
		CU_ASSERT_STRING_EQUAL(transaction, "ConnectStatus");
	}
	mesh_portal_finish(fx->portal, laters, 2, answers, statuses);
	CU_ASSERT_EQUAL(answer_state(answers[0], statuses[0], &state), 200);
	CU_ASSERT_STRING_EQUAL(state, "Pending");
	CU_ASSERT_EQUAL(answer_state(answers[1], statuses[1], &state), 401);
	CU_ASSERT_PTR_NULL(state);
	for (int i = 0; i < 2; i++)
		g_bytes_unref(answers[i]);
	/* Used now: a third, at once or not, is a replay. */
	CU_ASSERT_PTR_NULL(mesh_portal_handler_now(fx->portal, NULL, request, &status,
	                                           &transaction, &later));
	CU_ASSERT_PTR_NOT_NULL_FATAL(later);
	mesh_portal_finish(fx->portal, &later, 1, answers, statuses);
	CU_ASSERT_EQUAL(answer_state(answers[0], statuses[0], &state), 401);
	g_bytes_unref(answers[0]);
	CU_ASSERT_EQUAL(send_text(fx, "ConnectStatusResponse", g_strdup(text), NULL), 401);
	/* Not a plain read: not answered at once, and nothing of it is done. */
	later = NULL;
	CU_ASSERT_PTR_NULL(mesh_portal_handler_now(fx->portal, NULL, pending_request, &status,
	                                           &transaction, &later));
	CU_ASSERT_PTR_NULL(later);
	CU_ASSERT_EQUAL(send_text(fx, "ConnectPendingResponse", g_strdup(pending), NULL), 200);
}

static void
test_connect(void)
{
	Fx fx;
	MtDevice d, d2;
	g_autoptr(MeshConnectionRequest) request = NULL;
	g_autoptr(JsonNode) signed_request = NULL;
	g_autoptr(JsonObject) obj = NULL;
	g_autoptr(JsonNode) result = NULL;
	g_autoptr(JsonNode) wrong = NULL;
	g_autoptr(MeshConnectionResult) verified = NULL;
	g_autofree char *witness = NULL;
	g_autofree char *start = NULL;
	guint8 server_nonce[MESH_CONNECT_NONCE_LEN];
	JsonArray *pending;
	gsize len = 0;
	GError *error = NULL;

	fx_init(&fx);
	mt_device_make(&d, MESH_KEY_ED25519, MESH_KEY_X25519);
	mt_device_make(&d2, MESH_KEY_P256, MESH_KEY_P256);
	signed_request = connection_request(&fx, &d, &request);
	/* No account yet. */
	CU_ASSERT_EQUAL(send_text(&fx, "ConnectStartResponse", connect_start(&fx, signed_request),
				  NULL),
			404);
	CU_ASSERT_EQUAL(create(&fx, "alice", fx.signed_personal), 201);
	/* A request the device did not sign. */
	{
		g_autofree char *text = mt_text(signed_request);
		g_autofree char *forged = mt_tamper(text, "ConnectionRequest", FALSE, NULL, NULL,
						    d2.sig, NULL);
		g_autoptr(JsonNode) node = mesh_json_parse(forged, strlen(forged), 1 << 20, NULL);

		CU_ASSERT_EQUAL(send_text(&fx, "ConnectStartResponse", connect_start(&fx, node),
					  NULL),
				401);
	}
	start = connect_start(&fx, signed_request);
	CU_ASSERT_EQUAL_FATAL(send_text(&fx, "ConnectStartResponse", g_strdup(start), &obj), 201);
	CU_ASSERT_TRUE(mesh_b64u_decode(json_object_get_string_member(obj, "ServerNonce"),
					strlen(json_object_get_string_member(obj, "ServerNonce")),
					server_nonce, sizeof server_nonce, &len, NULL));
	CU_ASSERT_EQUAL_FATAL(len, MESH_CONNECT_NONCE_LEN);
	witness = mesh_connection_request_witness(request, fx.m.profile, server_nonce, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(json_object_get_string_member(obj, "Witness"), witness);
	g_clear_pointer(&obj, json_object_unref);
	/* The same signed request again: a replay. */
	CU_ASSERT_EQUAL(call_code(&fx, "ConnectStartRequest", g_steal_pointer(&start)),
			MESH_ERROR_UNAUTHORIZED);

	/* Pending: administration keys only. */
	CU_ASSERT_EQUAL(connect_pending(&fx, d.sig, 0, NULL),
			401);
	CU_ASSERT_EQUAL(connect_pending(&fx, fx.m.online[1], 0, &obj),
			200);
	pending = json_object_get_array_member(obj, "Pending");
	CU_ASSERT_EQUAL_FATAL(json_array_get_length(pending), 1);
	{
		JsonObject *p = json_array_get_object_element(pending, 0);
		g_autoptr(MeshConnectionRequest) listed =
			mesh_connection_request_verify(json_object_get_member(p, "SignedRequest"),
						       &error);

		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_STRING_EQUAL(listed->device->identifier, mesh_key_udf(d.sig));
		CU_ASSERT_STRING_EQUAL(json_object_get_string_member(p, "Witness"), witness);
		CU_ASSERT_TRUE(json_object_has_member(p, "Expires"));
		CU_ASSERT_TRUE(json_object_has_member(p, "ServerNonce"));
	}
	g_clear_pointer(&obj, json_object_unref);

	/* Status: the device itself, not another device nor the administrator. */
	CU_ASSERT_EQUAL(connect_status(&fx, &d, d.sig, &obj), 200);
	CU_ASSERT_STRING_EQUAL(json_object_get_string_member(obj, "State"), "Pending");
	CU_ASSERT_FALSE(json_object_has_member(obj, "Result"));
	g_clear_pointer(&obj, json_object_unref);
	CU_ASSERT_EQUAL(connect_status(&fx, &d, d2.sig, NULL), 401);
	CU_ASSERT_EQUAL(connect_status(&fx, &d, fx.m.online[0], NULL), 401);
	status_at_once(&fx, &d);
	CU_ASSERT_EQUAL(connect_status(&fx, &d2, d2.sig, NULL), 404);
	{
		/* The Issued window is checked before anything is looked up. */
		JsonObject *r = obj1("AccountID", "alice");

		json_object_set_string_member(r, "DeviceID", mesh_key_udf(d2.sig));
		CU_ASSERT_EQUAL(send_text(&fx, "ConnectStatusResponse",
					  signed_at("ConnectStatusRequest", r, d2.sig, -6 * 60),
					  NULL),
				401);
	}

	/* Complete: a wrong witness, a device key, then accepted; not twice. */
	wrong = mesh_connection_result_sign(mesh_key_udf(d.sig),
					    "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA",
					    MESH_CONNECTION_ACCEPTED, fx.m.profile, fx.m.online[0],
					    mesh_signed_sign_with_key, fx.m.online[0], &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(call_code(&fx, "ConnectCompleteRequest",
				  signed_by("ConnectCompleteRequest",
					    obj_node("Result", wrong, "AccountID", "alice"),
					    fx.m.online[0])),
			MESH_ERROR_WITNESS_MISMATCH);
	result = mesh_connection_result_sign(mesh_key_udf(d.sig), witness, MESH_CONNECTION_ACCEPTED,
					     fx.m.profile, fx.m.online[0],
					     mesh_signed_sign_with_key, fx.m.online[0], &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(send_text(&fx, "ConnectCompleteResponse",
				  signed_by("ConnectCompleteRequest",
					    obj_node("Result", result, "AccountID", "alice"),
					    d.sig),
				  NULL),
			401);
	CU_ASSERT_EQUAL(send_text(&fx, "ConnectCompleteResponse",
				  signed_by("ConnectCompleteRequest",
					    obj_node("Result", result, "AccountID", "alice"),
					    fx.m.online[1]),
				  NULL),
			200);
	CU_ASSERT_EQUAL(call_code(&fx, "ConnectCompleteRequest",
				  signed_by("ConnectCompleteRequest",
					    obj_node("Result", result, "AccountID", "alice"),
					    fx.m.online[1])),
			MESH_ERROR_EXISTS);
	CU_ASSERT_EQUAL(connect_status(&fx, &d, d.sig, &obj), 200);
	CU_ASSERT_STRING_EQUAL(json_object_get_string_member(obj, "State"), "Accepted");
	verified = mesh_connection_result_verify(json_object_get_member(obj, "Result"),
						 fx.m.profile, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_connection_result_check(verified, mesh_key_udf(d.sig), witness,
						    &error));
	MESH_ASSERT_NO_ERROR(error);
	g_clear_pointer(&obj, json_object_unref);
	/* A request whose unprotected JWS header holds a string json-glib decodes to bytes that are
	 * not UTF-8 ("\222"): refused, so that nothing stored fails to read back. */
	{
		MtDevice d3;
		g_autoptr(JsonNode) r3 = NULL;
		g_autofree char *jws_text = NULL;
		g_autofree char *body = NULL;

		mt_device_make(&d3, MESH_KEY_ED25519, MESH_KEY_X25519);
		r3 = connection_request(&fx, &d3, NULL);
		jws_text = mesh_json_to_string(r3);
		jws_text[strlen(jws_text) - 1] = '\0';
		body = g_strdup_printf("{\"ConnectStartRequest\":{\"AccountID\":\"alice\","
				       "\"SignedRequest\":%s,\"header\":{\"n\":\"\\222\"}}}}",
				       jws_text);
		CU_ASSERT_EQUAL(call_code(&fx, "ConnectStartRequest", g_steal_pointer(&body)),
				MESH_ERROR_MALFORMED);
		mt_device_clear(&d3);
	}
	/* Nothing pending any more. */
	CU_ASSERT_EQUAL(connect_pending(&fx, fx.m.online[1], 0, &obj),
			200);
	CU_ASSERT_EQUAL(json_array_get_length(json_object_get_array_member(obj, "Pending")), 0);
	mt_device_clear(&d);
	mt_device_clear(&d2);
	fx_clear(&fx);
}

static void
test_connect_expiry(void)
{
	Fx fx;
	MtDevice d;
	g_autoptr(JsonNode) signed_request = NULL;
	g_autoptr(JsonObject) obj = NULL;
	g_autoptr(JsonNode) result = NULL;
	GError *error = NULL;
	const char *witness;

	fx_init(&fx);
	mt_device_make(&d, MESH_KEY_ED25519, MESH_KEY_X25519);
	CU_ASSERT_EQUAL(create(&fx, "alice", fx.signed_personal), 201);
	signed_request = connection_request(&fx, &d, NULL);
	CU_ASSERT_EQUAL_FATAL(send_text(&fx, "ConnectStartResponse",
					connect_start(&fx, signed_request), &obj),
			      201);
	witness = json_object_get_string_member(obj, "Witness");
	result = mesh_connection_result_sign(mesh_key_udf(d.sig), witness, MESH_CONNECTION_ACCEPTED,
					     fx.m.profile, fx.m.online[0],
					     mesh_signed_sign_with_key, fx.m.online[0], &error);
	MESH_ASSERT_NO_ERROR(error);
	g_clear_pointer(&obj, json_object_unref);
	clock_now += 11 * 60;
	CU_ASSERT_EQUAL(connect_status(&fx, &d, d.sig, &obj), 410);
	CU_ASSERT_STRING_EQUAL(json_object_get_string_member(obj, "State"), "Expired");
	CU_ASSERT_STRING_EQUAL(json_object_get_string_member(obj, "Code"), "Expired");
	CU_ASSERT_EQUAL(call_code(&fx, "ConnectCompleteRequest",
				  signed_by("ConnectCompleteRequest",
					    obj_node("Result", result, "AccountID", "alice"),
					    fx.m.online[0])),
			MESH_ERROR_EXPIRED);
	g_clear_pointer(&obj, json_object_unref);
	CU_ASSERT_EQUAL(connect_pending(&fx, fx.m.online[1], 0, &obj),
			200);
	CU_ASSERT_EQUAL(json_array_get_length(json_object_get_array_member(obj, "Pending")), 0);
	mt_device_clear(&d);
	fx_clear(&fx);
}

/* The 101st pending request of one account is refused. */
static void
test_connect_limit(void)
{
	Fx fx;
	g_autoptr(MeshKey) auth = mesh_key_generate(MESH_KEY_ED25519, NULL);
	g_autoptr(MeshKey) enc = mesh_key_generate(MESH_KEY_X25519, NULL);
	GError *error = NULL;

	fx_init(&fx);
	CU_ASSERT_EQUAL(create(&fx, "alice", fx.signed_personal), 201);
	for (int i = 0; i <= MESH_PORTAL_MAX_PENDING; i++) {
		MtDevice d = { .sig = mesh_key_generate(MESH_KEY_ED25519, NULL) };
		g_autoptr(MeshDeviceProfile) p = mesh_device_profile_new(NULL, d.sig, auth, enc,
									 &error);
		g_autoptr(JsonNode) signed_request = NULL;

		MESH_ASSERT_NO_ERROR(error);
		d.signed_profile = mesh_device_profile_sign(p, mesh_signed_sign_with_key, d.sig,
							    &error);
		signed_request = connection_request(&fx, &d, NULL);
		CU_ASSERT_EQUAL(send_text(&fx, "ConnectStartResponse",
					  connect_start(&fx, signed_request), NULL),
				i < MESH_PORTAL_MAX_PENDING ? 201 : 429);
		mt_device_clear(&d);
	}
	fx_clear(&fx);
}

/* ---- Limits per client and per account ----------------------------------------------------- */

/* Send @text (freed) as the HTTP binding does for the client key @client; the status, and the
 * answer's Code in *@ret_code (NULL: not wanted). */
static guint
send_from(Fx *fx, const char *client, char *text, char **ret_code)
{
	g_autofree char *owned = text;
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(JsonNode) root = NULL;
	guint status = 0;
	gsize len = 0;
	const char *data;
	JsonObject *obj;
	GList *names;

	mesh_portal_handle_from(fx->portal, client, (const guint8 *)owned, strlen(owned), &answer,
	                        &status);
	data = g_bytes_get_data(answer, &len);
	root = mesh_json_parse(data, len, MESH_PORTAL_MESSAGE_MAX, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	obj = json_node_get_object(root);
	names = json_object_get_members(obj);
	obj = json_object_get_object_member(obj, names->data);
	g_list_free(names);
	CU_ASSERT_EQUAL(json_object_get_int_member(obj, "Status"), status);
	if (ret_code != NULL)
		*ret_code = g_strdup(json_object_get_string_member_with_default(obj, "Code", ""));
	return status;
}

/* A ConnectStart of a new device to alice, sent by @client. */
static guint
connect_start_from(Fx *fx, const char *client, char **ret_code)
{
	MtDevice d;
	g_autoptr(JsonNode) signed_request = NULL;
	guint status;

	mt_device_make(&d, MESH_KEY_ED25519, MESH_KEY_X25519);
	signed_request = connection_request(fx, &d, NULL);
	status = send_from(fx, client, connect_start(fx, signed_request), ret_code);
	mt_device_clear(&d);
	return status;
}

/* A CreateRequest for @name with a profile of its own, sent by @client. */
static guint
create_from(Fx *fx, const char *client, const char *name, char **ret_code)
{
	MtMaster m;
	g_autofree char *full = g_strconcat(name, "@example.com", NULL);
	g_autoptr(MeshPersonalProfile) personal = NULL;
	g_autoptr(JsonNode) signed_personal = NULL;
	GError *error = NULL;
	guint status;

	mt_master_make(&m, MESH_KEY_ED25519, MESH_KEY_X25519);
	personal = mesh_personal_profile_new(full, m.signed_profile, &error);
	MESH_ASSERT_NO_ERROR(error);
	signed_personal = mesh_personal_profile_sign(
	        personal, m.online[0], mesh_signed_sign_with_key, m.online[0], &error);
	MESH_ASSERT_NO_ERROR(error);
	status = send_from(fx, client, create_text(name, signed_personal), ret_code);
	mt_master_clear(&m);
	return status;
}

/* One address cannot fill an account's connection queue: 100 requests from 192.0.2.1, then
 * the real device from another address gets in and the administrator lists it. */
static void
test_limit_pending(void)
{
	Fx fx;
	guint accepted = 0, refused = 0;
	g_autoptr(JsonObject) obj = NULL;
	char *code = NULL;

	fx_init(&fx);
	CU_ASSERT_EQUAL(create(&fx, "alice", fx.signed_personal), 201);
	for (int i = 0; i < MESH_PORTAL_MAX_PENDING; i++) {
		g_autofree char *c = NULL;
		guint status = connect_start_from(&fx, "192.0.2.1", &c);

		accepted += status == 201;
		refused += status == 429 && g_strcmp0(c, "RateLimited") == 0;
	}
	CU_ASSERT_EQUAL(accepted, MESH_PORTAL_DEFAULT_PENDING_PER_CLIENT);
	CU_ASSERT_EQUAL(refused, MESH_PORTAL_MAX_PENDING - MESH_PORTAL_DEFAULT_PENDING_PER_CLIENT);
	CU_ASSERT_EQUAL(connect_start_from(&fx, "198.51.100.7", &code), 201);
	g_clear_pointer(&code, g_free);
	CU_ASSERT_EQUAL(connect_pending(&fx, fx.m.online[0], 0, &obj), 200);
	CU_ASSERT_EQUAL(json_array_get_length(json_object_get_array_member(obj, "Pending")),
	                MESH_PORTAL_DEFAULT_PENDING_PER_CLIENT + 1);
	/* In process (no client key) nothing is counted per client. */
	CU_ASSERT_EQUAL(connect_start_from(&fx, NULL, NULL), 201);
	fx_clear(&fx);
}

/* Account creations per client and hour, and entries per account, over the transaction layer. */
static void
test_limit_creations_entries(void)
{
	Fx fx;
	MeshPortalStoreLimits limits = {0, 3, 0, 2};
	g_autoptr(MeshApplicationProfile) app = NULL;
	g_autoptr(JsonNode) a1 = NULL, a1b = NULL, escrow = NULL, escrow2 = NULL;
	g_autoptr(GPtrArray) shares = NULL, shares2 = NULL;
	GError *error = NULL;
	char *code = NULL;

	fx_init(&fx);
	mesh_portal_store_set_limits(fx.store, &limits);
	CU_ASSERT_EQUAL(create_from(&fx, "192.0.2.1", "bob", NULL), 201);
	CU_ASSERT_EQUAL(create_from(&fx, "192.0.2.1", "carol", NULL), 201);
	CU_ASSERT_EQUAL(create_from(&fx, "192.0.2.1", "dave", &code), 429);
	CU_ASSERT_STRING_EQUAL(code, "RateLimited");
	g_clear_pointer(&code, g_free);
	CU_ASSERT_EQUAL(create_from(&fx, "2001:db8:1:2::", "dave", NULL), 201);
	clock_now += MESH_PORTAL_CREATION_WINDOW_SECONDS;
	CU_ASSERT_EQUAL(create_from(&fx, "192.0.2.1", "erin", NULL), 201);

	/* alice: her profile and at most two entries more. */
	CU_ASSERT_EQUAL(create(&fx, "alice", fx.signed_personal), 201);
	app = settings_profile(&fx);
	a1 = settings_signed(&fx, app);
	CU_ASSERT_EQUAL(publish(&fx, a1, fx.m.online[0]), 200);
	CU_ASSERT_TRUE(
	        mesh_escrow_create(fx.m.sig, fx.m.escrow, 2, 2, 3, &escrow, &shares, &error));
	CU_ASSERT_TRUE(
	        mesh_escrow_create(fx.m.sig, fx.m.escrow, 2, 2, 3, &escrow2, &shares2, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(publish(&fx, escrow, fx.m.online[0]), 200);
	CU_ASSERT_EQUAL(call_code(&fx, "PublishRequest",
	                          signed_by("PublishRequest",
	                                    obj_node("Entry", escrow2, "Account", "alice"),
	                                    fx.m.online[0])),
	                MESH_ERROR_TOO_LARGE);
	/* Re-publishing an entry replaces it: not one more. */
	CU_ASSERT_TRUE(mesh_application_profile_touch(app, NULL));
	a1b = settings_signed(&fx, app);
	CU_ASSERT_EQUAL(publish(&fx, a1b, fx.m.online[0]), 200);
	fx_clear(&fx);
}

/* ---- Envelopes ----------------------------------------------------------------------------- */

static guint
raw_status(Fx *fx, const char *body, gsize len, const char *tag)
{
	g_autoptr(GBytes) answer = NULL;
	guint status = 0;
	gsize n = 0;
	const char *data;
	g_autoptr(JsonNode) root = NULL;
	JsonObject *obj;

	mesh_portal_handle(fx->portal, (const guint8 *)body, len, &answer, &status);
	data = g_bytes_get_data(answer, &n);
	root = mesh_json_parse(data, n, MESH_PORTAL_MESSAGE_MAX, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	obj = json_node_get_object(root);
	if (tag != NULL)
		obj = json_object_get_object_member(obj, tag);
	CU_ASSERT_PTR_NOT_NULL_FATAL(obj);
	CU_ASSERT_EQUAL(json_object_get_int_member(obj, "Status"), status);
	return status;
}

static void
test_envelope(void)
{
	Fx fx;
	g_autofree char *big = g_malloc(MESH_PORTAL_MESSAGE_MAX + 2);
	g_autofree char *jws_text = NULL;
	g_autofree char *body = NULL;
	g_autoptr(JsonNode) jws = NULL;
	static const char *const bad[] = {
		"",
		"{",
		"[]",
		"\"HelloRequest\"",
		"{\"HelloRequest\":{}",
		"{\"HelloRequest\":{},\"GetRequest\":{}}",
		"{\"NoSuchRequest\":{}}",
		"{\"HelloRequest\":[]}",
		"{\"SignedTransaction\":{}}",
		"{\"SignedTransaction\":\"x\"}",
	};

	fx_init(&fx);
	CU_ASSERT_EQUAL(raw_status(&fx, "{\"HelloRequest\":{}}", 19, "HelloResponse"), 200);
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		guint status = raw_status(&fx, bad[i], strlen(bad[i]),
					  i == 7 ? "HelloResponse" : NULL);

		if (status != 400)
			g_printerr("case %" G_GSIZE_FORMAT ": %u\n", i, status);
		CU_ASSERT_EQUAL(status, 400);
	}
	/* json-glib reads "\222" as the byte 0x92: whatever reaches an answer stays UTF-8. */
	{
		static const char octal[] = "{\"ValidateRequest\":{\"Account\":\"a\\222\\360\"}}";
		g_autoptr(GBytes) answer = NULL;
		guint status = 0;

		mesh_portal_handle(fx.portal, (const guint8 *)octal, strlen(octal), &answer,
				   &status);
		CU_ASSERT_TRUE(g_utf8_validate(g_bytes_get_data(answer, NULL),
					       g_bytes_get_size(answer), NULL));
	}
	/* A duplicate member, inside and outside the request. */
	CU_ASSERT_EQUAL(raw_status(&fx, "{\"GetRequest\":{\"Account\":\"a\",\"Account\":\"b\"}}",
				   44, NULL),
			400);
	/* Oversize: refused before it is parsed. */
	memset(big, ' ', MESH_PORTAL_MESSAGE_MAX + 1);
	memcpy(big, "{\"HelloRequest\":{}}", 19);
	CU_ASSERT_EQUAL(raw_status(&fx, big, MESH_PORTAL_MESSAGE_MAX + 1, NULL), 413);
	CU_ASSERT_EQUAL(raw_status(&fx, big, MESH_PORTAL_MESSAGE_MAX, "HelloResponse"), 200);
	/* A SignedTransaction whose cty is no transaction. */
	jws = mesh_jws_sign(fx.m.online[0], "NoSuchRequest",
			    (const guint8 *)"{\"NoSuchRequest\":{}}", 20, NULL);
	jws_text = mesh_json_to_string(jws);
	body = g_strdup_printf("{\"SignedTransaction\":%s}", jws_text);
	CU_ASSERT_EQUAL(raw_status(&fx, body, strlen(body), NULL), 400);
	fx_clear(&fx);
}

/* The client's reading of answers: tags, Status, Code. */
static void
test_client_answers(void)
{
	static const struct {
		const char *body;
		guint status;
		int code;
	} cases[] = {
		{ "{\"GetResponse\":{\"Status\":200,\"StatusDescription\":\"OK\"}}", 200, 0 },
		{ "{\"GetResponse\":{\"Status\":409,\"Code\":\"Stale\"}}", 409, MESH_ERROR_STALE },
		{ "{\"GetResponse\":{\"Status\":409}}", 409, MESH_ERROR_EXISTS },
		/* A Code that does not fit the Status is not believed. */
		{ "{\"GetResponse\":{\"Status\":409,\"Code\":\"Ok\"}}", 409, MESH_ERROR_EXISTS },
		{ "{\"GetResponse\":{\"Status\":404,\"Code\":\"Stale\"}}", 404,
		  MESH_ERROR_NOT_FOUND },
		{ "{\"Status\":413,\"Code\":\"TooLarge\"}", 413, MESH_ERROR_TOO_LARGE },
		{ "{\"Status\":429}", 429, MESH_ERROR_RATE_LIMITED },
		{ "{\"Status\":410}", 410, MESH_ERROR_EXPIRED },
		{ "{\"Status\":401}", 401, MESH_ERROR_UNAUTHORIZED },
		{ "{\"Status\":500}", 500, MESH_ERROR_FAILED },
		{ "{\"Status\":503}", 503, MESH_ERROR_NETWORK },
		{ "{\"Status\":415}", 415, MESH_ERROR_PROTOCOL },
		/* Broken answers. */
		{ "{\"Status\":200}", 200, MESH_ERROR_PROTOCOL },
		{ "{\"GetResponse\":{\"Status\":200}}", 201, MESH_ERROR_PROTOCOL },
		{ "{\"HelloResponse\":{\"Status\":200}}", 200, MESH_ERROR_PROTOCOL },
		{ "{\"GetResponse\":{\"Status\":\"200\"}}", 200, MESH_ERROR_PROTOCOL },
		{ "{\"GetResponse\":{\"Status\":200},\"X\":1}", 200, MESH_ERROR_PROTOCOL },
		{ "{\"GetResponse\":{\"Status\":200,\"Status\":200}}", 200, MESH_ERROR_PROTOCOL },
		{ "<html>", 502, MESH_ERROR_PROTOCOL },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GBytes) answer = g_bytes_new_static(cases[i].body,
							      strlen(cases[i].body));
		GError *error = NULL;
		g_autoptr(JsonObject) obj = mesh_portal_answer_read(answer, cases[i].status,
								    "GetResponse", &error);
		int code = mt_code(&error);

		if (code != cases[i].code)
			g_printerr("case %" G_GSIZE_FORMAT ": code %d\n", i, code);
		CU_ASSERT_EQUAL(code, cases[i].code);
		CU_ASSERT_EQUAL(obj == NULL, cases[i].code != 0);
	}
	{
		/* The description is repeated, made printable. */
		const char *body =
			"{\"Status\":404,\"StatusDescription\":\"no \\u001b[31maccount\"}";
		g_autoptr(GBytes) answer = g_bytes_new_static(body, strlen(body));
		GError *error = NULL;

		CU_ASSERT_PTR_NULL(mesh_portal_answer_read(answer, 404, "GetResponse", &error));
		CU_ASSERT_PTR_NOT_NULL_FATAL(error);
		CU_ASSERT_PTR_NULL(strchr(error->message, '\033'));
		CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "account"));
		g_clear_error(&error);
	}
	for (int code = 0; code < MESH_ERROR_N_CODES; code++) {
		guint status = mesh_portal_status_for_error(code);

		CU_ASSERT_TRUE(status == 200 || (status >= 400 && status <= 503));
	}
	CU_ASSERT_EQUAL(mesh_portal_status_for_error(MESH_ERROR_STALE), 409);
	CU_ASSERT_EQUAL(mesh_portal_status_for_error(MESH_ERROR_BAD_SIGNATURE), 401);
	CU_ASSERT_EQUAL(mesh_portal_status_for_error(MESH_ERROR_IO), 500);
	CU_ASSERT_PTR_NULL(mesh_portal_response_tag("Request"));
	CU_ASSERT_PTR_NULL(mesh_portal_response_tag("GetReply"));
}


/* ---- The HTTP client ----------------------------------------------------------------------- */

static MeshPortalClient *
http_client(MeshTestHttp *server, const char *path)
{
	g_autofree char *url = mesh_test_http_url(server, path);
	GError *error = NULL;
	MeshPortalClient *client = mesh_portal_client_http_new(url, NULL, &error);

	MESH_ASSERT_NO_ERROR(error);
	return client;
}

static void
test_http_client(void)
{
	static const char *const bad_urls[] = {
		"http://example.com/.well-known/mmm/",
		"http://10.0.0.1/.well-known/mmm/",
		"ftp://127.0.0.1/",
		"https://user:secret@example.com/.well-known/mmm/",
		"https://example.com/.well-known/mmm/?x=1",
		"https://example.com/.well-known/mmm/#x",
		"not a url",
		"https:///.well-known/mmm/",
	};
	Fx fx;
	MeshTestHttp *server;
	g_autoptr(MeshPortalClient) client = NULL;
	g_autoptr(MeshPortalClient) big = NULL;
	g_autoptr(MeshPortalClient) moved = NULL;
	g_autoptr(MeshPortalClient) closed = NULL;
	g_autoptr(JsonObject) obj = NULL;
	g_autoptr(GBytes) answer = NULL;
	g_autofree char *hello = plain("HelloRequest", NULL);
	g_autofree char *url = mesh_portal_client_http_url("example.com");
	g_autofree char *create_body = NULL;
	GError *error = NULL;
	guint status = 0;

	CU_ASSERT_STRING_EQUAL(url, "https://example.com/.well-known/mmm/");
	for (gsize i = 0; i < G_N_ELEMENTS(bad_urls); i++) {
		CU_ASSERT_PTR_NULL(mesh_portal_client_http_new(bad_urls[i], NULL, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	}
	client = mesh_portal_client_http_new(url, NULL, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(mesh_portal_client_name(client), "http");
	g_clear_pointer(&client, mesh_portal_client_close);
	CU_ASSERT_PTR_NULL(mesh_portal_client_http_new(url, "/nonexistent/ca.pem", &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_CRYPTO);

	fx_init(&fx);
	server = mesh_test_http_start(fx.portal);
	client = http_client(server, "/.well-known/mmm/");
	obj = mesh_portal_client_call(client, "HelloRequest", hello, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(json_object_get_int_member(obj, "Status"), 200);
	create_body = create_text("alice", fx.signed_personal);
	CU_ASSERT_TRUE(mesh_portal_client_transact(client, create_body, &answer, &status, &error));
	CU_ASSERT_EQUAL(status, 201);
	g_clear_pointer(&answer, g_bytes_unref);
	CU_ASSERT_PTR_NULL(mesh_portal_client_call(client, "CreateRequest", create_body, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_EXISTS);
	/* An answer over the limit; a redirect is not followed. */
	big = http_client(server, "/big/");
	CU_ASSERT_FALSE(mesh_portal_client_transact(big, hello, &answer, &status, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	moved = http_client(server, "/moved/");
	CU_ASSERT_PTR_NULL(mesh_portal_client_call(moved, "HelloRequest", hello, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_PROTOCOL);
	g_clear_pointer(&client, mesh_portal_client_close);
	g_clear_pointer(&big, mesh_portal_client_close);
	g_clear_pointer(&moved, mesh_portal_client_close);
	/* Nobody listens any more. */
	closed = http_client(server, "/.well-known/mmm/");
	mesh_test_http_stop(server);
	CU_ASSERT_FALSE(mesh_portal_client_transact(closed, hello, &answer, &status, &error));
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "127.0.0.1"));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NETWORK);
	fx_clear(&fx);
}

/* ---- The HTTP client, asynchronously --------------------------------------------------------- */

typedef struct {
	gboolean done, ok;
	GBytes *answer;
	guint status;
	GError *error;
} AsyncOut;

static void
on_async(GObject *source, GAsyncResult *result, gpointer user_data)
{
	AsyncOut *out = user_data;

	out->ok = mesh_portal_client_http_transact_finish(result, &out->answer, &out->status,
							  &out->error);
	out->done = TRUE;
}

static void
async_wait(AsyncOut *out)
{
	while (!out->done)
		g_main_context_iteration(NULL, TRUE);
}

static void
async_clear(AsyncOut *out)
{
	g_clear_pointer(&out->answer, g_bytes_unref);
	g_clear_error(&out->error);
	memset(out, 0, sizeof *out);
}

/* Start @request on a new client for @path; with @close_now the client is closed at once. */
static void
async_start(MeshTestHttp *server, const char *path, const char *request,
	    GCancellable *cancellable, gboolean close_now, AsyncOut *out,
	    MeshPortalClient **ret_client)
{
	MeshPortalClient *client = http_client(server, path);

	memset(out, 0, sizeof *out);
	mesh_portal_client_http_transact_async(client, request, cancellable, on_async, out);
	if (close_now)
		mesh_portal_client_close(client);
	else
		*ret_client = client;
}

static void
test_http_client_async(void)
{
	Fx fx;
	MeshTestHttp *server;
	g_autoptr(MeshPortalClient) client = NULL;
	g_autoptr(MeshPortalClient) closed = NULL;
	g_autoptr(GCancellable) cancel = g_cancellable_new();
	g_autoptr(GCancellable) cancel_later = g_cancellable_new();
	g_autofree char *hello = plain("HelloRequest", NULL);
	g_autofree char *huge = g_malloc(MESH_PORTAL_MESSAGE_MAX + 2);
	g_autoptr(JsonObject) obj = NULL;
	GError *error = NULL;
	AsyncOut out;

	fx_init(&fx);
	server = mesh_test_http_start(fx.portal);
	/* An answer, read through the same checks as the synchronous client's. */
	async_start(server, "/.well-known/mmm/", hello, NULL, FALSE, &out, &client);
	async_wait(&out);
	CU_ASSERT_TRUE(out.ok);
	MESH_ASSERT_NO_ERROR(out.error);
	CU_ASSERT_EQUAL(out.status, 200);
	obj = mesh_portal_answer_read(out.answer, out.status, "HelloResponse", &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL(obj);
	async_clear(&out);
	g_clear_pointer(&client, mesh_portal_client_close);
	/* The client may close before the answer: the transaction keeps what it needs. */
	async_start(server, "/.well-known/mmm/", hello, NULL, TRUE, &out, NULL);
	async_wait(&out);
	CU_ASSERT_TRUE(out.ok);
	CU_ASSERT_EQUAL(out.status, 200);
	async_clear(&out);
	/* Oversize answers stop being read at the limit; a redirect is not followed. */
	async_start(server, "/big/", hello, NULL, TRUE, &out, NULL);
	async_wait(&out);
	CU_ASSERT_FALSE(out.ok);
	MESH_ASSERT_ERROR(out.error, MESH_ERROR_TOO_LARGE);
	async_clear(&out);
	async_start(server, "/moved/", hello, NULL, TRUE, &out, NULL);
	async_wait(&out);
	CU_ASSERT_TRUE(out.ok);
	CU_ASSERT_EQUAL(out.status, 307);
	async_clear(&out);
	/* An oversize request is refused before it is sent. */
	memset(huge, ' ', MESH_PORTAL_MESSAGE_MAX + 1);
	huge[MESH_PORTAL_MESSAGE_MAX + 1] = '\0';
	async_start(server, "/.well-known/mmm/", huge, NULL, TRUE, &out, NULL);
	async_wait(&out);
	MESH_ASSERT_ERROR(out.error, MESH_ERROR_TOO_LARGE);
	async_clear(&out);
	/* Cancelled before it starts, and while the portal holds the request. */
	g_cancellable_cancel(cancel);
	async_start(server, "/.well-known/mmm/", hello, cancel, TRUE, &out, NULL);
	async_wait(&out);
	MESH_ASSERT_ERROR(out.error, MESH_ERROR_CANCELLED);
	async_clear(&out);
	mesh_test_http_hold(server);
	async_start(server, "/hold/", hello, cancel_later, TRUE, &out, NULL);
	while (mesh_test_http_held(server) < 1)
		g_main_context_iteration(NULL, FALSE);
	CU_ASSERT_FALSE(out.done);
	g_cancellable_cancel(cancel_later);
	async_wait(&out);
	CU_ASSERT_FALSE(out.ok);
	MESH_ASSERT_ERROR(out.error, MESH_ERROR_CANCELLED);
	async_clear(&out);
	mesh_test_http_release(server);
	/* Nobody listens any more. */
	closed = http_client(server, "/.well-known/mmm/");
	mesh_test_http_stop(server);
	mesh_portal_client_http_transact_async(closed, hello, NULL, on_async, &out);
	async_wait(&out);
	CU_ASSERT_FALSE(out.ok);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out.error);
	CU_ASSERT_PTR_NOT_NULL(strstr(out.error->message, "127.0.0.1"));
	MESH_ASSERT_ERROR(out.error, MESH_ERROR_NETWORK);
	async_clear(&out);
	fx_clear(&fx);
}

/* ---- The store failing ------------------------------------------------------------------- */

/* The memory store with account_get failing as told (store_fail): its vtable copied, that member
 * replaced. */
static MeshPortalStoreClass failing_class;
static const MeshPortalStoreClass *working_class;
static MeshError store_fail_code;
static const char *store_fail_message;

static gboolean
failing_account_get(MeshPortalStore *store, const char *name, const char *identifier,
                    MeshPortalAccount **ret_account, GError **error)
{
	if (store_fail_message == NULL)
		return working_class->account_get(store, name, identifier, ret_account, error);
	g_set_error_literal(error, MESH_ERROR, store_fail_code, store_fail_message);
	return FALSE;
}

static void
record_notice(gpointer data, const char *message)
{
	g_ptr_array_add(data, g_strdup(message));
}

/* A GetRequest for alice that fails: its status, *@ret_code and *@ret_description the answer's
 * Code and StatusDescription (freed by the caller), which with Status are all it holds. */
static guint
get_alice_fails(Fx *fx, char **ret_code, char **ret_description)
{
	g_autoptr(JsonObject) obj = NULL;
	guint status =
	        send_text(fx, "GetResponse", plain("GetRequest", obj1("Account", "alice")), &obj);

	CU_ASSERT_EQUAL(json_object_get_size(obj), 3);
	*ret_code = g_strdup(json_object_get_string_member_with_default(obj, "Code", ""));
	*ret_description = g_strdup(json_object_get_string_member(obj, "StatusDescription"));
	return status;
}

/* A store that cannot be reached, or fails: the client gets a fixed text with the Code (503
 * Network, 500 Io), never the store's message, which the operator's notice hook gets once per
 * few seconds. The store's other refusals reach the client as they are. */
static void
test_store_failure(void)
{
	static const char unreachable[] =
	        "the database at host=/tmp/pg-secret-7 cannot be reached: "
	        "server closed the connection unexpectedly";
	static const char failed[] = "portal database /srv/secret/portal.db: disk I/O error";
	g_autoptr(GPtrArray) notices = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *first = NULL, *again = NULL;
	Fx fx;

	fx_init(&fx);
	CU_ASSERT_EQUAL_FATAL(create(&fx, "alice", fx.signed_personal), 201);
	working_class = fx.store->klass;
	failing_class = *working_class;
	failing_class.account_get = failing_account_get;
	fx.store->klass = &failing_class;
	mesh_portal_set_notice(fx.portal, record_notice, notices);

	/* Working: nothing to tell. */
	store_fail_message = NULL;
	get_profile(&fx, "Account", "alice", 1);
	CU_ASSERT_EQUAL(notices->len, 0);

	/* Unreachable: 503 Network with the fixed text, the message in the notice only. */
	store_fail_code = MESH_ERROR_NETWORK;
	store_fail_message = unreachable;
	for (int i = 0; i < 3; i++) {
		g_autofree char *code = NULL, *description = NULL;

		CU_ASSERT_EQUAL(get_alice_fails(&fx, &code, &description), 503);
		CU_ASSERT_STRING_EQUAL(code, "Network");
		CU_ASSERT_STRING_EQUAL(description,
		                       "the portal's store is unavailable: try again shortly");
	}
	/* Told once for the three: the same failure again within the quiet spell is not. */
	CU_ASSERT_EQUAL_FATAL(notices->len, 1);
	first = g_strconcat("store: ", unreachable, NULL);
	CU_ASSERT_STRING_EQUAL(notices->pdata[0], first);
	/* The client reads it as Network (the CLI's exit status 25: try again). */
	CU_ASSERT_EQUAL(call_code(&fx, "GetRequest", plain("GetRequest", obj1("Account", "alice"))),
	                MESH_ERROR_NETWORK);
	/* After the quiet spell: told again, with how many were left out. */
	clock_now += MESH_PORTAL_NOTICE_QUIET_SECONDS;
	CU_ASSERT_EQUAL(call_code(&fx, "GetRequest", plain("GetRequest", obj1("Account", "alice"))),
	                MESH_ERROR_NETWORK);
	CU_ASSERT_EQUAL_FATAL(notices->len, 2);
	again = g_strdup_printf("store: %s (3 more since it was last logged)", unreachable);
	CU_ASSERT_STRING_EQUAL(notices->pdata[1], again);

	/* Failing: 500 Io, its own fixed text; another message is told at once. */
	store_fail_code = MESH_ERROR_IO;
	store_fail_message = failed;
	{
		g_autofree char *code = NULL, *description = NULL;

		CU_ASSERT_EQUAL(get_alice_fails(&fx, &code, &description), 500);
		CU_ASSERT_STRING_EQUAL(code, "Io");
		CU_ASSERT_STRING_EQUAL(description, "the portal's store failed: try again later");
	}
	CU_ASSERT_EQUAL_FATAL(notices->len, 3);
	CU_ASSERT_STRING_EQUAL(notices->pdata[2],
	                       "store: portal database /srv/secret/portal.db: disk I/O error");

	/* The store's refusals are the client's business: as they are, and no notice. */
	store_fail_code = MESH_ERROR_NOT_FOUND;
	store_fail_message = "no account 'alice' here";
	{
		g_autofree char *code = NULL, *description = NULL;

		CU_ASSERT_EQUAL(get_alice_fails(&fx, &code, &description), 404);
		CU_ASSERT_STRING_EQUAL(description, "no account 'alice' here");
	}
	CU_ASSERT_EQUAL(notices->len, 3);

	/* No hook: still the fixed text. */
	mesh_portal_set_notice(fx.portal, NULL, NULL);
	store_fail_code = MESH_ERROR_NETWORK;
	store_fail_message = unreachable;
	{
		g_autofree char *code = NULL, *description = NULL;

		CU_ASSERT_EQUAL(get_alice_fails(&fx, &code, &description), 503);
		CU_ASSERT_STRING_EQUAL(description,
		                       "the portal's store is unavailable: try again shortly");
	}
	CU_ASSERT_EQUAL(notices->len, 3);

	/* Working again. */
	store_fail_message = NULL;
	get_profile(&fx, "Account", "alice", 1);
	fx.store->klass = working_class;
	fx_clear(&fx);
}

/* The memory store with use_nonces failing (Io), its vtable copied. */
static gboolean
failing_use_nonces(MeshPortalStore *store, MeshPortalNonceUse *uses, guint n, GError **error)
{
	g_set_error_literal(error, MESH_ERROR, MESH_ERROR_IO, "portal database: disk I/O error");
	return FALSE;
}

/* Writing nonces fails: no signed request is accepted, on the ordinary path (ConnectPending) or
 * answered at once (a signed Get: its answer made, then replaced by the failure); the same
 * requests succeed once the store works again (their nonces were not recorded). */
static void
test_nonce_failure(void)
{
	g_autofree char *pending = NULL, *get = NULL;
	g_autoptr(GBytes) get_request = NULL;
	gpointer later = NULL;
	GBytes *answer = NULL;
	guint status = 0;
	const char *transaction = NULL;
	Fx fx;

	fx_init(&fx);
	CU_ASSERT_EQUAL_FATAL(create(&fx, "alice", fx.signed_personal), 201);
	pending = signed_by("ConnectPendingRequest", obj1("AccountID", "alice"), fx.m.online[1]);
	get = signed_by("GetRequest", obj1("Account", "alice"), fx.m.online[1]);
	get_request = g_bytes_new(get, strlen(get));
	working_class = fx.store->klass;
	failing_class = *working_class;
	failing_class.use_nonces = failing_use_nonces;
	fx.store->klass = &failing_class;

	CU_ASSERT_EQUAL(send_text(&fx, "ConnectPendingResponse", g_strdup(pending), NULL), 500);
	CU_ASSERT_PTR_NULL(mesh_portal_handler_now(fx.portal, NULL, get_request, &status,
	                                           &transaction, &later));
	CU_ASSERT_PTR_NOT_NULL_FATAL(later);
	mesh_portal_finish(fx.portal, &later, 1, &answer, &status);
	CU_ASSERT_EQUAL(status, 500);
	CU_ASSERT_PTR_NULL(strstr(g_bytes_get_data(answer, NULL), "Entries"));
	g_bytes_unref(answer);

	fx.store->klass = working_class;
	CU_ASSERT_EQUAL(send_text(&fx, "ConnectPendingResponse", g_strdup(pending), NULL), 200);
	CU_ASSERT_EQUAL(send_text(&fx, "GetResponse", g_strdup(get), NULL), 200);
	fx_clear(&fx);
}

static CU_TestInfo tests[] = {
        {"writing nonces fails: no signed request accepted, at once or not", test_nonce_failure},
        {"Publish SignedSSHDeviceKey: by its device only", test_publish_ssh_key},
        {"Hello", test_hello},
        {"which requests are answered at once (HTTP main loop)", test_answers_at_once},
        {"Validate", test_validate},
        {"Create and Get", test_create_get},
        {"Delete", test_delete},
        {"Delete of an escrow entry by Identifier: the account's own only", test_delete_escrow_entry},
        {"Publish a personal profile: serials, signers, replay", test_publish_personal},
        {"signed transactions: Issued window, nonces", test_issued_window},
        {"Publish: recovery re-binding", test_rebind},
        {"Publish: application profiles and escrow entries", test_publish_application_escrow},
        {"Publish: a profile without an application deletes it", test_publish_drops_unlisted_apps},
        {"Connect: start, pending, status, complete", test_connect},
        {"Connect: expiry", test_connect_expiry},
        {"Connect: at most 100 pending", test_connect_limit},
        {"limits: pending requests per client", test_limit_pending},
        {"limits: creations per client, entries per account", test_limit_creations_entries},
        {"envelopes: malformed, unknown, oversize", test_envelope},
        {"store failures: a fixed answer, the reason to the operator", test_store_failure},
        {"client: reading answers", test_client_answers},
        {"client: HTTP", test_http_client},
        {"client: HTTP, asynchronous", test_http_client_async},
        CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("portal-transactions", tests);
}
