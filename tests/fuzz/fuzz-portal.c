/* SPDX-License-Identifier: MIT */
/*
 * The portal's transaction layer on raw bytes: mesh_portal_handle_from, as the HTTP binding
 * calls it (with a client key, so that the per-client limits count), at a fixed time, with a
 * fresh memory store per input holding the account "alice" (made from the harness's fixed keys,
 * by that client) and a pending connection request of a fixed device, so that signed
 * transactions in the seeds verify and reach the store.
 *
 * Seeds: tests/fuzz/corpus/portal/, one valid request of every transaction. They are written by
 * this harness: MESH_FUZZ_PORTAL_SEEDS=tests/fuzz/corpus/portal replay-portal /dev/null
 */
#include <string.h>

#include "application.h"
#include "connect.h"
#include "escrow.h"
#include "fuzz.h"
#include "json.h"
#include "master.h"
#include "personal.h"
#include "portal-client.h"
#include "signed.h"
#include "transactions.h"

/* 2026-01-01T00:00:00Z: the portal's clock, and Issued in every seed. */
#define FUZZ_NOW    G_GINT64_CONSTANT(1767225600)
#define FUZZ_ISSUED "2026-01-01T00:00:00Z"
/* The client key every input comes from. */
#define FUZZ_CLIENT "192.0.2.1"

typedef struct {
	MeshMasterProfile *master; /* alice's */
	JsonNode *signed_master;
	MeshPersonalProfile *personal;
	JsonNode *signed_personal;
	char *profile_text;
	MeshPortalConnection connection; /* the pending request */
} Fixture;

static gint64
fixed_clock(gpointer data)
{
	return FUZZ_NOW;
}

static void
check(gboolean ok)
{
	if (!ok)
		__builtin_trap();
}

/* A master profile of the fixed keys: @sig signs, @online administers. */
static MeshMasterProfile *
make_master(int sig, int online, JsonNode **ret_signed)
{
	MeshKey *escrow = mesh_fuzz_key(MESH_KEY_X25519);
	MeshKey *admin = mesh_fuzz_key(online);
	MeshMasterProfile *master = mesh_master_profile_new(mesh_fuzz_key(sig), &escrow, 1,
							    &admin, 1, NULL);

	check(master != NULL);
	*ret_signed = mesh_master_profile_sign(master, mesh_signed_sign_with_key,
					       mesh_fuzz_key(sig), NULL);
	check(*ret_signed != NULL);
	return master;
}

/* The SignedRequest of a device whose signature key is the fixed key @sig. */
static JsonNode *
make_request(const char *parent, int sig, MeshConnectionRequest **ret_request)
{
	g_autoptr(MeshDeviceProfile) device = mesh_device_profile_new(
		"fuzz", mesh_fuzz_key(sig), mesh_fuzz_key(sig), mesh_fuzz_key(MESH_KEY_X25519),
		NULL);
	g_autoptr(JsonNode) signed_device = NULL;
	g_autoptr(MeshConnectionRequest) request = NULL;
	JsonNode *node;

	check(device != NULL);
	signed_device = mesh_device_profile_sign(device, mesh_signed_sign_with_key,
						 mesh_fuzz_key(sig), NULL);
	request = mesh_connection_request_new(parent, signed_device, NULL);
	check(request != NULL);
	/* Fixed Issued and ClientNonce: the witness of the pending request is the same in every
	 * run, so that the seed completing it stays valid. */
	g_free(request->issued);
	request->issued = g_strdup(FUZZ_ISSUED);
	memset(request->client_nonce, sig, sizeof request->client_nonce);
	node = mesh_connection_request_sign(request, mesh_signed_sign_with_key, mesh_fuzz_key(sig),
					    NULL);
	check(node != NULL);
	*ret_request = g_steal_pointer(&request);
	return node;
}

static const Fixture *
fixture(void)
{
	static Fixture f;
	static const guint8 server_nonce[MESH_CONNECT_NONCE_LEN] = { 1, 2, 3 };
	g_autoptr(MeshConnectionRequest) request = NULL;
	g_autoptr(JsonNode) signed_request = NULL;

	if (f.master != NULL)
		return &f;
	f.master = make_master(MESH_KEY_ED25519, MESH_KEY_P256, &f.signed_master);
	f.personal = mesh_personal_profile_new("alice", f.signed_master, NULL);
	check(f.personal != NULL);
	f.signed_personal = mesh_personal_profile_sign(f.personal, mesh_fuzz_key(MESH_KEY_P256),
						       mesh_signed_sign_with_key,
						       mesh_fuzz_key(MESH_KEY_P256), NULL);
	check(f.signed_personal != NULL);
	f.profile_text = mesh_json_to_string(f.signed_personal);
	/* The pending device signs with the P-256 key (also alice's administration key). */
	signed_request = make_request(f.master->identifier, MESH_KEY_P256, &request);
	f.connection.account = g_strdup("alice");
	f.connection.device = g_strdup(request->device->identifier);
	f.connection.request = mesh_json_to_string(signed_request);
	f.connection.server_nonce = g_strdup("AQIDAAAAAAAAAAAAAAAAAA");
	f.connection.witness = mesh_connection_request_witness(request, f.master, server_nonce,
								NULL);
	f.connection.expires = FUZZ_NOW + MESH_PORTAL_PENDING_EXPIRY_SECONDS;
	f.connection.client = g_strdup(FUZZ_CLIENT);
	check(f.connection.witness != NULL);
	return &f;
}

/* ---- Seeds --------------------------------------------------------------------------------- */

static void
write_seed(const char *dir, const char *name, char *text)
{
	g_autofree char *owned = text;
	g_autofree char *file = g_strconcat(name, ".json", NULL);
	g_autofree char *path = g_build_filename(dir, file, NULL);

	check(owned != NULL && g_file_set_contents(path, owned, -1, NULL));
}

static char *
signed_seed(const char *tag, JsonObject *request, int key)
{
	return mesh_portal_request_sign_at(tag, request, FUZZ_ISSUED, NULL, mesh_fuzz_key(key),
					   mesh_signed_sign_with_key, mesh_fuzz_key(key), NULL);
}

static JsonObject *
request_of(const char *member, const char *value, const char *member2, JsonNode *node)
{
	JsonObject *obj = json_object_new();

	json_object_set_string_member(obj, member, value);
	if (member2 != NULL)
		json_object_set_member(obj, member2, node);
	return obj;
}

static void
write_seeds(const char *dir)
{
	const Fixture *f = fixture();
	MeshKey *admin = mesh_fuzz_key(MESH_KEY_P256);
	g_autoptr(MeshMasterProfile) carol_master = NULL;
	g_autoptr(JsonNode) carol_signed_master = NULL;
	g_autoptr(MeshPersonalProfile) carol = NULL;
	g_autoptr(MeshPersonalProfile) alice2 = NULL;
	g_autoptr(MeshApplicationProfile) app = NULL;
	g_autoptr(MeshSecret) data = mesh_secret_new_from_data("{}", 3);
	g_autoptr(MeshSecret) plaintext = mesh_application_generic_text("fuzz", data, NULL);
	g_autoptr(MeshConnectionRequest) request = NULL;
	g_autoptr(GPtrArray) shares = NULL;
	MeshKey *escrow = mesh_fuzz_key(MESH_KEY_X25519);
	JsonNode *node = NULL;
	JsonObject *status;

	write_seed(dir, "hello", mesh_portal_request_text("HelloRequest", NULL));
	write_seed(dir, "validate",
		   mesh_portal_request_text("ValidateRequest",
					    request_of("Account", "Bob@example.com", "Reserve",
						       json_node_init_boolean(
							       json_node_alloc(), TRUE))));
	carol_master = make_master(MESH_KEY_P256, MESH_KEY_ED25519, &carol_signed_master);
	carol = mesh_personal_profile_new("carol", carol_signed_master, NULL);
	check(carol != NULL);
	node = mesh_personal_profile_sign(carol, mesh_fuzz_key(MESH_KEY_ED25519),
					  mesh_signed_sign_with_key,
					  mesh_fuzz_key(MESH_KEY_ED25519), NULL);
	write_seed(dir, "create",
		   mesh_portal_request_text("CreateRequest",
					    request_of("Account", "carol", "Profile", node)));
	write_seed(dir, "get-account",
		   mesh_portal_request_text("GetRequest",
					    request_of("Account", "alice", NULL, NULL)));
	write_seed(dir, "get-identifier",
		   mesh_portal_request_text("GetRequest", request_of("Identifier",
								     f->master->identifier,
								     NULL, NULL)));
	write_seed(dir, "delete", signed_seed("DeleteRequest",
					      request_of("Account", "alice", NULL, NULL),
					      MESH_KEY_P256));
	/* Publish: the personal profile at Serial 2, an application profile, an escrow entry. */
	alice2 = mesh_personal_profile_new("alice", f->signed_master, NULL);
	check(alice2 != NULL && mesh_personal_profile_touch(alice2, NULL));
	node = mesh_personal_profile_sign(alice2, admin, mesh_signed_sign_with_key, admin, NULL);
	write_seed(dir, "publish-personal",
		   signed_seed("PublishRequest", request_of("Account", "alice", "Entry", node),
			       MESH_KEY_P256));
	app = mesh_application_profile_new(MESH_APPLICATION_GENERIC, "fuzz", NULL);
	check(app != NULL && mesh_application_profile_seal_to(app, plaintext, &escrow, 1, NULL));
	node = mesh_application_profile_sign(app, f->master, admin, mesh_signed_sign_with_key,
					     admin, NULL);
	write_seed(dir, "publish-application",
		   signed_seed("PublishRequest", request_of("Account", "alice", "Entry", node),
			       MESH_KEY_P256));
	check(mesh_escrow_create(mesh_fuzz_key(MESH_KEY_ED25519), &escrow, 1, 2, 3, &node, &shares,
				 NULL));
	{
		g_autoptr(MeshEscrowEntry) entry = mesh_escrow_entry_from_json(node, NULL);
		JsonObject *revoke;

		check(entry != NULL);
		revoke = request_of("Account", "alice", NULL, NULL);
		json_object_set_string_member(revoke, "Identifier", entry->identifier);
		write_seed(dir, "delete-escrow",
			   signed_seed("DeleteRequest", revoke, MESH_KEY_P256));
	}
	write_seed(dir, "publish-escrow",
		   signed_seed("PublishRequest", request_of("Account", "alice", "Entry", node),
			       MESH_KEY_P256));
	/* Connections: a new device (Ed25519), and the pending one. */
	node = make_request(f->master->identifier, MESH_KEY_ED25519, &request);
	write_seed(dir, "connect-start",
		   mesh_portal_request_text("ConnectStartRequest",
					    request_of("AccountID", "alice", "SignedRequest",
						       node)));
	status = request_of("AccountID", "alice", NULL, NULL);
	json_object_set_string_member(status, "DeviceID", f->connection.device);
	write_seed(dir, "connect-status", signed_seed("ConnectStatusRequest", status,
						      MESH_KEY_P256));
	write_seed(dir, "connect-pending", signed_seed("ConnectPendingRequest",
						       request_of("AccountID", "alice", NULL, NULL),
						       MESH_KEY_P256));
	node = mesh_connection_result_sign(f->connection.device, f->connection.witness,
					   MESH_CONNECTION_ACCEPTED, f->master, admin,
					   mesh_signed_sign_with_key, admin, NULL);
	write_seed(dir, "connect-complete",
		   signed_seed("ConnectCompleteRequest",
			       request_of("AccountID", "alice", "Result", node), MESH_KEY_P256));
}

/* ---- The target ---------------------------------------------------------------------------- */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static gboolean seeded;
	const Fixture *f = fixture();
	g_autoptr(MeshPortalStore) store = mesh_portal_store_memory_new();
	g_autoptr(MeshPortal) portal = mesh_portal_new("example.com", store, NULL);
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(JsonNode) root = NULL;
	JsonObject *obj;
	JsonNode *inner;
	guint status = 0;
	gsize len = 0;
	const char *text;

	if (!seeded && g_getenv("MESH_FUZZ_PORTAL_SEEDS") != NULL)
		write_seeds(g_getenv("MESH_FUZZ_PORTAL_SEEDS"));
	seeded = TRUE;
	check(portal != NULL);
	mesh_portal_set_clock(portal, fixed_clock, NULL);
	check(mesh_portal_store_account_create(store, "alice", f->master->identifier,
	                                       f->profile_text, 1, FUZZ_CLIENT, FUZZ_NOW, NULL));
	check(mesh_portal_store_connection_add(store, &f->connection, FUZZ_NOW, NULL));
	mesh_portal_handle_from(portal, FUZZ_CLIENT, data, size, &answer, &status);

	/* Every answer is strict JSON with a Status the HTTP status mirrors, and no input makes
	 * the portal fail on its own account (500). */
	text = g_bytes_get_data(answer, &len);
	root = mesh_json_parse(text, len, MESH_PORTAL_MESSAGE_MAX, NULL);
	check(root != NULL && JSON_NODE_HOLDS_OBJECT(root));
	obj = json_node_get_object(root);
	if (json_object_get_size(obj) == 1) {
		GList *names = json_object_get_members(obj);

		inner = json_object_get_member(obj, names->data);
		g_list_free(names);
		if (JSON_NODE_HOLDS_OBJECT(inner))
			obj = json_node_get_object(inner);
	}
	check(json_object_has_member(obj, "Status") &&
	      json_object_get_int_member(obj, "Status") == (gint64)status);
	check(status >= 200 && status < 500);
	return 0;
}
