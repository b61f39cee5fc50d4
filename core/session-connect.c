/* SPDX-License-Identifier: MIT */
/* Session: connecting a device (request, status, pending, accept, reject). */
#include "session-private.h"

#include <string.h>

#include "base64.h"
#include "connect.h"

void
mesh_session_connect_free(MeshSessionConnect *connect)
{
	if (connect == NULL)
		return;
	g_free(connect->profile_udf);
	g_free(connect->device_udf);
	g_free(connect->witness);
	g_free(connect);
}

void
mesh_session_pending_free(MeshSessionPending *pending)
{
	if (pending == NULL)
		return;
	g_free(pending->device_udf);
	g_free(pending->description);
	g_free(pending->witness);
	g_free(pending->expires);
	g_free(pending);
}

const char *
mesh_session_connect_state_name(MeshSessionConnectState state)
{
	switch (state) {
	case MESH_SESSION_CONNECT_PENDING:
		return "Pending";
	case MESH_SESSION_CONNECT_ACCEPTED:
		return "Accepted";
	case MESH_SESSION_CONNECT_REJECTED:
		return "Rejected";
	case MESH_SESSION_CONNECT_EXPIRED:
		return "Expired";
	}
	return NULL;
}

/* ---- Connecting a device ------------------------------------------------------------------- */

static gboolean
decode_nonce(const char *text, guint8 out[static MESH_CONNECT_NONCE_LEN], GError **error)
{
	gsize len = 0;

	if (text == NULL ||
	    !mesh_b64u_decode(text, strlen(text), out, MESH_CONNECT_NONCE_LEN, &len, error) ||
	    len != MESH_CONNECT_NONCE_LEN) {
		g_clear_error(error);
		g_set_error(error, MESH_ERROR, MESH_ERROR_PROTOCOL,
		            "a nonce is not %d bytes of base64url", MESH_CONNECT_NONCE_LEN);
		return FALSE;
	}
	return TRUE;
}

gboolean
mesh_session_connect_request(MeshSession *session, const char *account, const char *portal_url,
                             MeshSessionConnect **ret_connect, GError **error)
{
	g_autoptr(MeshDeviceProfile) device = NULL;
	g_autoptr(JsonNode) signed_device = NULL;
	g_autoptr(MeshPortalClient) client = NULL;
	g_autoptr(MeshPersonalProfile) personal = NULL;
	g_autoptr(JsonNode) signed_personal = NULL;
	g_autoptr(MeshConnectionRequest) request = NULL;
	g_autoptr(JsonNode) signed_request = NULL;
	g_autoptr(JsonObject) response = NULL;
	g_autofree char *witness = NULL;
	g_autoptr(Account) a = NULL;
	MeshKeyStoreSigner signer = {session->store, NULL};
	guint8 server_nonce[MESH_CONNECT_NONCE_LEN];
	const char *server_text = NULL, *portal_witness = NULL;
	JsonObject *obj;
	MeshSessionConnect *connect;

	if (!mesh_personal_check_account(account, error) || !may_make_keys(session, error) ||
	    !account_absent(session, account, error) ||
	    !this_device(session, &device, &signed_device, error))
		return FALSE;
	client = portal_open(session, account, portal_url, error);
	if (client == NULL)
		return FALSE;
	personal = portal_get_personal(client, account, &signed_personal, error);
	if (personal == NULL)
		return FALSE;
	request = mesh_connection_request_new(personal->identifier, signed_device, error);
	if (request == NULL)
		return FALSE;
	g_free(request->issued);
	request->issued = session_time(session);
	signer.udf = device->identifier;
	signed_request =
	        mesh_connection_request_sign(request, mesh_keystore_jws_sign, &signer, error);
	if (signed_request == NULL)
		return FALSE;
	obj = obj_string("AccountID", account);
	json_object_set_member(obj, "SignedRequest", json_node_copy(signed_request));
	response = portal_plain(client, "ConnectStartRequest", obj, error);
	if (response == NULL ||
	    !mesh_json_get_string(response, "ServerNonce", &server_text, error) ||
	    !mesh_json_get_string(response, "Witness", &portal_witness, error) ||
	    !decode_nonce(server_text, server_nonce, error))
		return FALSE;
	witness = mesh_connection_request_witness(request, personal->master, server_nonce, error);
	if (witness == NULL)
		return FALSE;
	if (!mesh_connect_witness_equal(witness, portal_witness)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_WITNESS_MISMATCH,
		            "the portal's witness differs from the one this device computed: the "
		            "portal changed the request or a nonce; do not connect through it");
		return FALSE;
	}
	a = g_new0(Account, 1);
	a->account = g_strdup(account);
	a->profile = g_strdup(personal->identifier);
	a->device = g_strdup(device->identifier);
	a->portal = portal_remember(portal_url);
	a->client_nonce = mesh_b64u_encode(request->client_nonce, MESH_CONNECT_NONCE_LEN);
	a->server_nonce = g_strdup(server_text);
	a->witness = g_strdup(witness);
	if (!account_write(session, a, error))
		return FALSE;
	connect = g_new0(MeshSessionConnect, 1);
	connect->profile_udf = g_strdup(personal->identifier);
	connect->device_udf = g_strdup(device->identifier);
	connect->witness = g_steal_pointer(&witness);
	*ret_connect = connect;
	return TRUE;
}

/* The account with a pending request: @account, else the default, else the only one. */
static gboolean
pending_account(MeshSession *session, const char *account, Account **ret, GError **error)
{
	g_autoptr(GPtrArray) names = NULL;
	Account *found = NULL;

	if (account != NULL) {
		if (!account_read(session, account, ret, error))
			return FALSE;
		if ((*ret)->witness == NULL) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
			            "this device has no pending connection request to %s",
			            (*ret)->account);
			g_clear_pointer(ret, account_free);
			return FALSE;
		}
		return TRUE;
	}
	if (!mesh_hive_list(session->hive, MESH_HIVE_ACCOUNTS, &names, error))
		return FALSE;
	for (guint i = 0; i < names->len; i++) {
		g_autoptr(JsonNode) node = NULL;
		g_autoptr(Account) a = NULL;

		if (!read_json(session->hive, MESH_HIVE_ACCOUNTS, names->pdata[i], ACCOUNT_MAX,
		               &node, NULL) ||
		    !account_parse(node, &a, NULL) || a->witness == NULL)
			continue;
		if (found != NULL) {
			account_free(found);
			g_set_error(
			        error, MESH_ERROR, MESH_ERROR_USAGE,
			        "connection requests to several accounts are pending: name one");
			return FALSE;
		}
		found = g_steal_pointer(&a);
	}
	if (found == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
		            "this device has no pending connection request");
		return FALSE;
	}
	*ret = found;
	return TRUE;
}

static void
forget_request(MeshSession *session, const Account *a)
{
	g_autofree char *name = account_entry(a->account);

	mesh_hive_remove(session->hive, MESH_HIVE_ACCOUNTS, name, NULL);
}

gboolean
mesh_session_connect_status(MeshSession *session, const char *account,
                            MeshSessionConnectState *ret_state, GError **error)
{
	g_autoptr(Account) a = NULL;
	g_autoptr(MeshPortalClient) client = NULL;
	g_autoptr(JsonObject) response = NULL;
	g_autoptr(GError) local = NULL;
	g_autoptr(MeshPersonalProfile) personal = NULL;
	g_autoptr(JsonNode) signed_personal = NULL;
	g_autoptr(MeshConnectionResult) result = NULL;
	g_autofree char *name = NULL;
	const char *state = NULL;
	JsonObject *obj;

	if (!pending_account(session, account, &a, error))
		return FALSE;
	client = account_portal_open(session, a, NULL, error);
	if (client == NULL)
		return FALSE;
	obj = obj_string("AccountID", a->account);
	json_object_set_string_member(obj, "DeviceID", a->device);
	response = portal_signed(session, client, "ConnectStatusRequest", obj, a->device, &local);
	if (response == NULL) {
		if (g_error_matches(local, MESH_ERROR, MESH_ERROR_EXPIRED)) {
			forget_request(session, a);
			*ret_state = MESH_SESSION_CONNECT_EXPIRED;
			return TRUE;
		}
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (!mesh_json_get_string(response, "State", &state, error))
		return FALSE;
	if (g_str_equal(state, "Pending")) {
		*ret_state = MESH_SESSION_CONNECT_PENDING;
		return TRUE;
	}
	if (g_str_equal(state, "Expired")) {
		forget_request(session, a);
		*ret_state = MESH_SESSION_CONNECT_EXPIRED;
		return TRUE;
	}
	if (!g_str_equal(state, "Accepted") && !g_str_equal(state, "Rejected")) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_PROTOCOL,
		            "the portal answered an unknown connection state");
		return FALSE;
	}
	if (!json_object_has_member(response, "Result")) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_PROTOCOL,
		            "the portal answered a connection state without its result");
		return FALSE;
	}
	/* The result is trusted only under the profile's administration keys: fetch it. */
	personal = portal_get_personal(client, a->account, &signed_personal, error);
	if (personal == NULL)
		return FALSE;
	if (!g_str_equal(personal->identifier, a->profile)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_WITNESS_MISMATCH,
		            "the portal now offers another profile (%s) than the one this device "
		            "asked to join (%s)",
		            personal->identifier, a->profile);
		return FALSE;
	}
	result = mesh_connection_result_verify(json_object_get_member(response, "Result"),
	                                       personal->master, error);
	if (result == NULL)
		return FALSE;
	if (result->result == MESH_CONNECTION_REJECTED) {
		if (!g_str_equal(result->device_udf, a->device) ||
		    !mesh_connect_witness_equal(result->witness, a->witness)) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_WITNESS_MISMATCH,
			            "the result is for another request");
			return FALSE;
		}
		forget_request(session, a);
		*ret_state = MESH_SESSION_CONNECT_REJECTED;
		return TRUE;
	}
	if (!mesh_connection_result_check(result, a->device, a->witness, error))
		return FALSE;
	if (mesh_personal_profile_device(personal, a->device) == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_WITNESS_MISMATCH,
		            "the request was accepted but the profile does not list this device");
		return FALSE;
	}
	if (!sync_apps(session, client, personal, error))
		return FALSE;
	name = json_name(personal->identifier);
	if (!write_json(session->hive, MESH_HIVE_PERSONAL_PROFILES, name, signed_personal, error))
		return FALSE;
	account_note(a, personal);
	g_clear_pointer(&a->witness, g_free);
	g_clear_pointer(&a->client_nonce, g_free);
	g_clear_pointer(&a->server_nonce, g_free);
	if (!account_write(session, a, error))
		return FALSE;
	*ret_state = MESH_SESSION_CONNECT_ACCEPTED;
	return TRUE;
}

typedef struct {
	MeshConnectionRequest *request;
	char *witness;
	char *expires;
} Pending;

static void
pending_free(Pending *p)
{
	mesh_connection_request_free(p->request);
	g_free(p->witness);
	g_free(p->expires);
	g_free(p);
}

/* The verified pending requests of the account, witnesses computed here. */
static gboolean
ctx_pending(Ctx *ctx, GPtrArray **ret, GError **error)
{
	g_autoptr(JsonObject) response = NULL;
	g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func((GDestroyNotify)pending_free);
	JsonArray *items = NULL;

	response = portal_signed(ctx->session, ctx->client, "ConnectPendingRequest",
	                         obj_string("AccountID", ctx->account->account),
	                         ctx->admin_udf, error);
	if (response == NULL || !mesh_json_get_array(response, "Pending", &items, error))
		return FALSE;
	for (guint i = 0; i < json_array_get_length(items); i++) {
		JsonNode *item = json_array_get_element(items, i);
		JsonObject *obj;
		const char *nonce_text = NULL, *witness = NULL, *expires = NULL;
		guint8 nonce[MESH_CONNECT_NONCE_LEN];
		g_autoptr(MeshConnectionRequest) request = NULL;
		g_autofree char *mine = NULL;
		Pending *p;

		/* A request that does not hold together is left out, never shown. */
		if (!JSON_NODE_HOLDS_OBJECT(item))
			continue;
		obj = json_node_get_object(item);
		if (!json_object_has_member(obj, "SignedRequest") ||
		    !mesh_json_get_string(obj, "ServerNonce", &nonce_text, NULL) ||
		    !mesh_json_get_string(obj, "Witness", &witness, NULL) ||
		    !mesh_json_get_time(obj, "Expires", &expires, NULL) ||
		    !decode_nonce(nonce_text, nonce, NULL))
			continue;
		request = mesh_connection_request_verify(
		        json_object_get_member(obj, "SignedRequest"), NULL);
		if (request == NULL)
			continue;
		mine = mesh_connection_request_witness(request, ctx->personal->master, nonce, NULL);
		if (mine == NULL || !mesh_connect_witness_equal(mine, witness))
			continue;
		p = g_new0(Pending, 1);
		p->request = g_steal_pointer(&request);
		p->witness = g_steal_pointer(&mine);
		p->expires = g_strdup(expires);
		g_ptr_array_add(list, p);
	}
	*ret = g_steal_pointer(&list);
	return TRUE;
}

gboolean
mesh_session_connect_pending(MeshSession *session, const char *account, GPtrArray **ret_pending,
                             GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(GPtrArray) list = NULL;
	g_autoptr(GPtrArray) out =
	        g_ptr_array_new_with_free_func((GDestroyNotify)mesh_session_pending_free);

	if (!ctx_open(&ctx, session, account, TRUE, TRUE, error) ||
	    !ctx_pending(&ctx, &list, error))
		return FALSE;
	for (guint i = 0; i < list->len; i++) {
		const Pending *p = g_ptr_array_index(list, i);
		MeshSessionPending *item = g_new0(MeshSessionPending, 1);

		item->device_udf = g_strdup(p->request->device->identifier);
		item->description = g_strdup(p->request->device->description);
		item->witness = g_strdup(p->witness);
		item->expires = g_strdup(p->expires);
		g_ptr_array_add(out, item);
	}
	*ret_pending = g_steal_pointer(&out);
	return TRUE;
}

static gboolean
ctx_complete(Ctx *ctx, const Pending *p, MeshConnectionStatus status, GError **error)
{
	MeshKeyStoreSigner signer = {ctx->session->store, ctx->admin_udf};
	g_autoptr(JsonNode) result = NULL;
	g_autoptr(JsonObject) response = NULL;
	JsonObject *obj;

	result = mesh_connection_result_sign(p->request->device->identifier, p->witness, status,
	                                     ctx->personal->master, ctx->admin,
	                                     mesh_keystore_jws_sign, &signer, error);
	if (result == NULL)
		return FALSE;
	obj = obj_string("AccountID", ctx->account->account);
	json_object_set_member(obj, "Result", g_steal_pointer(&result));
	response = portal_signed(ctx->session, ctx->client, "ConnectCompleteRequest", obj,
	                         ctx->admin_udf, error);
	return response != NULL;
}

static gboolean
connect_answer(MeshSession *session, const char *account, const char *witness, gboolean accept,
               GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(GPtrArray) list = NULL;
	g_autoptr(GPtrArray) witnesses = g_ptr_array_new();
	g_autoptr(GPtrArray) apps =
	        g_ptr_array_new_with_free_func((GDestroyNotify)recovered_app_free);
	gsize index = 0;
	const Pending *p;

	if (!ctx_open(&ctx, session, account, TRUE, TRUE, error) ||
	    !ctx_pending(&ctx, &list, error))
		return FALSE;
	for (guint i = 0; i < list->len; i++)
		g_ptr_array_add(witnesses, ((Pending *)list->pdata[i])->witness);
	if (!mesh_connect_witness_find((const char *const *)witnesses->pdata, witnesses->len,
	                               witness, &index, error))
		return FALSE;
	p = g_ptr_array_index(list, index);
	if (!accept)
		return ctx_complete(&ctx, p, MESH_CONNECTION_REJECTED, error);
	/* Open every application before changing anything. */
	for (guint i = 0; i < ctx.personal->applications->len; i++) {
		const MeshApplicationEntry *e = g_ptr_array_index(ctx.personal->applications, i);
		RecoveredApp *r = g_new0(RecoveredApp, 1);

		g_ptr_array_add(apps, r);
		if (!ctx_load_app(&ctx, e->identifier, &r->app, error))
			return FALSE;
		r->plaintext = ctx_open_app(&ctx, r->app, error);
		if (r->plaintext == NULL)
			return FALSE;
	}
	if ((mesh_personal_profile_device(ctx.personal, p->request->device->identifier) == NULL &&
	     !mesh_personal_profile_add_device(ctx.personal, p->request->signed_device, error)) ||
	    !note_added(session, ctx.personal, p->request->device->identifier, NULL, error))
		return FALSE;
	entries_add_device(ctx.personal, p->request->device->identifier);
	for (guint i = 0; i < apps->len; i++) {
		RecoveredApp *r = g_ptr_array_index(apps, i);

		if (!mesh_application_profile_touch(r->app, error) ||
		    !ctx_save_app(&ctx, r->app, r->plaintext, error))
			return FALSE;
	}
	return mesh_personal_profile_touch(ctx.personal, error) &&
	       ctx_publish_personal(&ctx, error) &&
	       ctx_complete(&ctx, p, MESH_CONNECTION_ACCEPTED, error);
}

gboolean
mesh_session_connect_accept(MeshSession *session, const char *account, const char *witness,
                            GError **error)
{
	return connect_answer(session, account, witness, TRUE, error);
}

gboolean
mesh_session_connect_reject(MeshSession *session, const char *account, const char *witness,
                            GError **error)
{
	return connect_answer(session, account, witness, FALSE, error);
}
