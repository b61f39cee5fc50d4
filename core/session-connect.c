/* SPDX-License-Identifier: MIT */
/* Session: connecting a device (request, status, pending, accept, reject). */
#include "session-private.h"

#include <stdarg.h>
#include <string.h>

#include "base64.h"
#include "connect.h"
#include "jose.h"
#include "signed.h"
#include "text.h"

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

/* A description for the device made here: a display string (the device profile's rules); with
 * a device already made, it must be that device's. */
static gboolean
check_description(MeshSession *session, const char *description, GError **error)
{
	g_autoptr(MeshDeviceProfile) device = NULL;
	g_autofree char *quoted = NULL;

	if (description == NULL)
		return TRUE;
	if (!mesh_signed_check_text("the description", description,
	                            MESH_TEXT_DESCRIPTION_MAX, error))
		return FALSE;
	if (!mesh_device_load(session->hive, NULL, &device, NULL, NULL) ||
	    g_strcmp0(device->description, description) == 0)
		return TRUE;
	quoted = mesh_error_quote(device->description != NULL ? device->description : "");
	g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
	            "this machine's device exists already, described as '%s': leave out "
	            "--description (an administration device can rename it with 'mesh device "
	            "rename' once it joined)",
	            quoted);
	return FALSE;
}

gboolean
mesh_session_connect_request(MeshSession *session, const char *account, const char *portal_url,
                             const MeshSecret *pin_text, const char *description,
                             MeshSessionConnect **ret_connect, GError **error)
{
	g_autoptr(MeshSecret) pin = NULL;
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

	if (pin_text != NULL &&
	    !mesh_connect_pin_canonical((const char *)mesh_secret_get(pin_text), &pin, error))
		return FALSE;
	if (!mesh_personal_check_account(account, error) || !may_make_keys(session, error) ||
	    !account_absent(session, account, error) ||
	    !check_description(session, description, error) ||
	    !this_device_described(session, description, &device, &signed_device, error))
		return FALSE;
	client = portal_open(session, account, portal_url, error);
	if (client == NULL)
		return FALSE;
	personal = portal_get_personal(client, account, &signed_personal, error);
	if (personal == NULL)
		return FALSE;
	/* This machine's device was removed from the profile (a lost device found again): it can
	 * never join again, so a new device of this machine asks, for this account alone. */
	if (mesh_personal_profile_removed(personal, device->identifier) != NULL) {
		g_autoptr(MeshDeviceProfile) made = NULL;

		if (!mesh_device_create(session->hive, session->store,
		                        description != NULL ? description : device->description,
		                        session->passphrase, &made, error))
			return FALSE;
		g_clear_pointer(&device, mesh_device_profile_free);
		g_clear_pointer(&signed_device, json_node_unref);
		if (!mesh_device_load(session->hive, made->identifier, &device, &signed_device,
		                      error))
			return FALSE;
	}
	request = mesh_connection_request_new(personal->identifier, signed_device, error);
	if (request == NULL)
		return FALSE;
	g_free(request->issued);
	request->issued = session_time(session);
	if (pin != NULL && !mesh_connection_request_set_pin(request, pin, error))
		return FALSE;
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
	g_autoptr(GPtrArray) accounts = NULL;
	guint found = G_MAXUINT;

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
	if (!accounts_read_all(session, &accounts, error))
		return FALSE;
	for (guint i = 0; i < accounts->len; i++) {
		if (((Account *)g_ptr_array_index(accounts, i))->witness == NULL)
			continue;
		if (found != G_MAXUINT) {
			g_set_error(
			        error, MESH_ERROR, MESH_ERROR_USAGE,
			        "connection requests to several accounts are pending: name one");
			return FALSE;
		}
		found = i;
	}
	if (found == G_MAXUINT) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
		            "this device has no pending connection request");
		return FALSE;
	}
	*ret = g_ptr_array_steal_index(accounts, found);
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

static void
note_add(GPtrArray *notes, const char *format, ...) G_GNUC_PRINTF(2, 3);

/* One line for the caller's notes (@notes NULL: none kept). */
static void
note_add(GPtrArray *notes, const char *format, ...)
{
	va_list args;

	if (notes == NULL)
		return;
	va_start(args, format);
	g_ptr_array_add(notes, g_strdup_vprintf(format, args));
	va_end(args);
}

/*
 * Accept the request @p: add the device to the profile and to every application's DecryptID,
 * re-seal and publish them, then send the signed result. With @admin the device is also made an
 * administration device when this device holds the master keys; otherwise it joins as a plain
 * device and a note says so.
 */
static gboolean
ctx_accept(Ctx *ctx, const Pending *p, gboolean admin, GPtrArray *notes, GError **error)
{
	g_autoptr(GPtrArray) apps =
	        g_ptr_array_new_with_free_func((GDestroyNotify)recovered_app_free);
	g_autoptr(MeshKey) master = NULL;
	const char *device = p->request->device->identifier;

	/* Open every application before changing anything. */
	for (guint i = 0; i < ctx->personal->applications->len; i++) {
		const MeshApplicationEntry *e = g_ptr_array_index(ctx->personal->applications, i);
		RecoveredApp *r = g_new0(RecoveredApp, 1);

		g_ptr_array_add(apps, r);
		if (!ctx_load_app(ctx, e->identifier, &r->app, error))
			return FALSE;
		r->plaintext = ctx_open_app(ctx, r->app, error);
		if (r->plaintext == NULL)
			return FALSE;
	}
	if ((mesh_personal_profile_device(ctx->personal, device) == NULL &&
	     !mesh_personal_profile_add_device(ctx->personal, p->request->signed_device, error)) ||
	    !note_added(ctx->session, ctx->personal, device, NULL, error))
		return FALSE;
	entries_add_device(ctx->personal, device);
	if (admin) {
		g_autoptr(GError) local = NULL;

		if (!mesh_keystore_get_public(ctx->session->store, ctx->account->profile, &master,
		                              NULL))
			note_add(notes,
			         "the device %s joins as a plain device: making it an administration "
			         "device needs the master keys, which this device does not hold "
			         "(run 'mesh device promote' where they are)",
			         device);
		else if (!session_promote(ctx, device, &local))
			note_add(notes, "the device %s joins as a plain device: %s", device,
			         local->message);
	}
	for (guint i = 0; i < apps->len; i++) {
		RecoveredApp *r = g_ptr_array_index(apps, i);

		if (!mesh_application_profile_touch(r->app, error) ||
		    !ctx_save_app(ctx, r->app, r->plaintext, error))
			return FALSE;
	}
	return mesh_personal_profile_touch(ctx->personal, error) &&
	       ctx_publish_personal(ctx, error) &&
	       ctx_complete(ctx, p, MESH_CONNECTION_ACCEPTED, error);
}

static gboolean
connect_answer(MeshSession *session, const char *account, const char *witness, gboolean accept,
               GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(GPtrArray) list = NULL;
	g_autoptr(GPtrArray) witnesses = g_ptr_array_new();
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
	return ctx_accept(&ctx, p, FALSE, NULL, error);
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

/* ---- PINs in the account entry (docs/protocol.md "Connecting by PIN") ---------------------- */

void
account_pin_free(AccountPin *pin)
{
	if (pin == NULL)
		return;
	g_free(pin->pin_id);
	g_free(pin->expires);
	if (pin->sealed != NULL)
		json_node_unref(pin->sealed);
	g_free(pin);
}

static gint64
time_seconds(const char *rfc3339)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_iso8601(rfc3339, NULL);

	return t != NULL ? g_date_time_to_unix(t) : 0;
}

/* "Pins": at most ACCOUNT_PINS_MAX {"PinId", "Expires", "Admin", "Sealed": JWE, "Used"?}. */
gboolean
account_parse_pins(JsonObject *obj, Account *a, GError **error)
{
	static const char *const members[] = {"PinId", "Expires", "Admin", "Sealed", "Used", NULL};
	JsonArray *items = NULL;
	guint n;

	if (!mesh_json_get_array(obj, "Pins", &items, error))
		return FALSE;
	n = json_array_get_length(items);
	if (n > ACCOUNT_PINS_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "Pins: more than %d entries",
		            ACCOUNT_PINS_MAX);
		return FALSE;
	}
	a->pins = g_ptr_array_new_with_free_func((GDestroyNotify)account_pin_free);
	for (guint i = 0; i < n; i++) {
		JsonNode *item = json_array_get_element(items, i);
		g_autoptr(MeshJwe) jwe = NULL;
		const char *id = NULL, *expires = NULL;
		AccountPin *pin;
		JsonObject *p;

		if (!JSON_NODE_HOLDS_OBJECT(item)) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			            "Pins: entry %u is not an object", i + 1);
			return FALSE;
		}
		p = json_node_get_object(item);
		pin = g_new0(AccountPin, 1);
		g_ptr_array_add(a->pins, pin);
		if (!mesh_json_check_members(p, members, error) ||
		    !mesh_signed_get_udf(p, "PinId", MESH_UDF_TYPE_SHA2_512, &id, error) ||
		    !mesh_json_get_time(p, "Expires", &expires, error) ||
		    !mesh_json_get_bool_opt(p, "Admin", &pin->admin, error) ||
		    !mesh_json_get_bool_opt(p, "Used", &pin->used, error) ||
		    (jwe = mesh_jwe_from_json(json_object_get_member(p, "Sealed"), error)) == NULL) {
			g_prefix_error(error, "Pins: entry %u: ", i + 1);
			return FALSE;
		}
		pin->pin_id = g_strdup(id);
		pin->expires = g_strdup(expires);
		pin->expires_at = time_seconds(expires);
		pin->sealed = json_node_copy(json_object_get_member(p, "Sealed"));
	}
	return TRUE;
}

static gboolean
pin_expired(MeshSession *session, const AccountPin *pin)
{
	return pin->expires_at <= session_now(session);
}

/* The PINs of @a into @obj, leaving out those that have expired. */
void
account_write_pins(MeshSession *session, const Account *a, JsonObject *obj)
{
	JsonArray *items = NULL;

	for (guint i = 0; a->pins != NULL && i < a->pins->len; i++) {
		const AccountPin *pin = g_ptr_array_index(a->pins, i);
		JsonObject *p;

		if (pin_expired(session, pin))
			continue;
		p = json_object_new();
		json_object_set_string_member(p, "PinId", pin->pin_id);
		json_object_set_string_member(p, "Expires", pin->expires);
		json_object_set_boolean_member(p, "Admin", pin->admin);
		json_object_set_member(p, "Sealed", json_node_copy(pin->sealed));
		if (pin->used)
			json_object_set_boolean_member(p, "Used", TRUE);
		if (items == NULL)
			items = json_array_new();
		json_array_add_object_element(items, p);
	}
	if (items != NULL)
		json_object_set_array_member(obj, "Pins", items);
}

/* Whether @a holds PINs: work for the background task (a request with a used or expired PIN
 * is rejected while the PIN is kept, until it is dropped at the first write past its expiry). */
gboolean
account_has_pins(const Account *a)
{
	return a->pins != NULL && a->pins->len > 0;
}

/* Drop the expired PINs of @account's stored entry (account_write leaves them out), so that
 * an account whose PINs are all gone is no more work. */
static gboolean
prune_pins(MeshSession *session, const char *account, GError **error)
{
	g_autoptr(Account) now = NULL;
	gboolean expired = FALSE;

	if (!account_read(session, account, &now, error))
		return FALSE;
	for (guint i = 0; now->pins != NULL && i < now->pins->len; i++)
		expired |= pin_expired(session, g_ptr_array_index(now->pins, i));
	return !expired || account_write(session, now, error);
}

/* The PIN of @a whose PinId is @pin_id (every character, dashes and case aside), or NULL. */
static AccountPin *
account_find_pin(const Account *a, const char *pin_id)
{
	g_autofree char *want = mesh_udf_normalize(pin_id, NULL);

	for (guint i = 0; want != NULL && a->pins != NULL && i < a->pins->len; i++) {
		AccountPin *pin = g_ptr_array_index(a->pins, i);
		g_autofree char *have = mesh_udf_normalize(pin->pin_id, NULL);

		if (have != NULL && g_str_equal(have, want))
			return pin;
	}
	return NULL;
}

/* ---- Making, listing and revoking PINs ----------------------------------------------------- */

void
mesh_session_pin_free(MeshSessionPin *pin)
{
	if (pin == NULL)
		return;
	g_free(pin->pin_id);
	g_free(pin->expires);
	g_free(pin);
}

static MeshSessionPin *
pin_info(MeshSession *session, const AccountPin *pin)
{
	MeshSessionPin *info = g_new0(MeshSessionPin, 1);

	info->pin_id = g_strdup(pin->pin_id);
	info->expires = g_strdup(pin->expires);
	info->admin = pin->admin;
	info->used = pin->used;
	info->expired = pin_expired(session, pin);
	return info;
}

/* The canonical PIN sealed in @pin, opened with this device's encryption key (in the store). */
static MeshSecret *
pin_unseal(Ctx *ctx, const AccountPin *pin, GError **error)
{
	MeshKeyStoreSigner key = {ctx->session->store, mesh_key_udf(ctx->device->encryption_key)};
	g_autoptr(MeshJwe) jwe = mesh_jwe_from_json(pin->sealed, error);
	g_autoptr(MeshSecret) plain = NULL;
	g_autoptr(MeshSecret) text = NULL;
	MeshSecret *canonical = NULL;

	if (jwe == NULL)
		return NULL;
	plain = mesh_jwe_decrypt_with(jwe, ctx->device->encryption_key, mesh_keystore_jwe_agree,
	                              &key, error);
	if (plain == NULL)
		return NULL;
	text = mesh_secret_new(mesh_secret_len(plain) + 1);
	memcpy(mesh_secret_data(text), mesh_secret_get(plain), mesh_secret_len(plain));
	if (memchr(mesh_secret_get(plain), '\0', mesh_secret_len(plain)) != NULL ||
	    !mesh_connect_pin_canonical((const char *)mesh_secret_get(text), &canonical, NULL)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		            "the PIN %s sealed here does not hold a PIN", pin->pin_id);
		return NULL;
	}
	return canonical;
}

/* The PIN lifetime @seconds, checked. */
static gboolean
check_pin_lifetime(gint64 seconds, GError **error)
{
	if (seconds >= MESH_SESSION_PIN_EXPIRE_MIN && seconds <= MESH_SESSION_PIN_EXPIRE_MAX)
		return TRUE;
	g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
	            "a PIN lives 1 minute to 30 days (%d to %d seconds), not %" G_GINT64_FORMAT
	            " seconds",
	            MESH_SESSION_PIN_EXPIRE_MIN, MESH_SESSION_PIN_EXPIRE_MAX, seconds);
	return FALSE;
}

gboolean
mesh_session_connect_pin_create(MeshSession *session, const char *account, gint64 expire_seconds,
                                gboolean admin, MeshSecret **ret_pin, MeshSecret **ret_uri,
                                MeshSessionPin **ret_info, GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(MeshSecret) pin = NULL;
	g_autoptr(MeshSecret) uri = NULL;
	g_autoptr(JsonNode) sealed = NULL;
	g_autoptr(GDateTime) expires = NULL;
	g_autofree char *portal = NULL;
	AccountPin *entry;
	guint live = 0;

	if (expire_seconds == 0)
		expire_seconds = MESH_SESSION_PIN_EXPIRE_DEFAULT;
	if (!check_pin_lifetime(expire_seconds, error) ||
	    !ctx_open(&ctx, session, account, TRUE, FALSE, error))
		return FALSE;
	for (guint i = 0; ctx.account->pins != NULL && i < ctx.account->pins->len; i++)
		live += !pin_expired(session, g_ptr_array_index(ctx.account->pins, i));
	if (live >= ACCOUNT_PINS_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "%s holds %d PINs already: revoke one ('mesh connect pin --revoke ID', "
		            "IDs from 'mesh connect pin --list') or wait until one expires",
		            ctx.account->account, ACCOUNT_PINS_MAX);
		return FALSE;
	}
	if (!mesh_connect_pin_new(&pin, error))
		return FALSE;
	/* The URI names the portal the account uses when it is not the domain's own. */
	if (ctx.account->portal != NULL)
		portal = mesh_portal_url_normalize(ctx.account->portal, NULL);
	uri = mesh_connect_uri_format(ctx.account->account, pin, portal, error);
	sealed = uri == NULL ? NULL
	                     : mesh_jwe_encrypt(mesh_secret_get(pin), MESH_CONNECT_PIN_CHARS,
	                                        MESH_CONNECT_PIN_CT, &ctx.device->encryption_key,
	                                        1, error);
	if (sealed == NULL)
		return FALSE;
	entry = g_new0(AccountPin, 1);
	entry->pin_id = mesh_connect_pin_id(pin, error);
	if (entry->pin_id == NULL) {
		account_pin_free(entry);
		return FALSE;
	}
	expires = g_date_time_new_from_unix_utc(session_now(session) + expire_seconds);
	entry->expires = g_date_time_format(expires, "%Y-%m-%dT%H:%M:%SZ");
	entry->expires_at = g_date_time_to_unix(expires);
	entry->admin = admin;
	entry->sealed = g_steal_pointer(&sealed);
	if (ctx.account->pins == NULL)
		ctx.account->pins = g_ptr_array_new_with_free_func((GDestroyNotify)account_pin_free);
	g_ptr_array_add(ctx.account->pins, entry);
	if (!account_write(session, ctx.account, error))
		return FALSE;
	if (ret_info != NULL)
		*ret_info = pin_info(session, entry);
	*ret_pin = g_steal_pointer(&pin);
	if (ret_uri != NULL)
		*ret_uri = g_steal_pointer(&uri);
	return TRUE;
}

gboolean
mesh_session_connect_pin_list(MeshSession *session, const char *account, GPtrArray **ret_pins,
                              GError **error)
{
	g_autoptr(Account) a = NULL;
	g_autoptr(GPtrArray) out =
	        g_ptr_array_new_with_free_func((GDestroyNotify)mesh_session_pin_free);

	if (!account_read(session, account, &a, error))
		return FALSE;
	for (guint i = 0; a->pins != NULL && i < a->pins->len; i++)
		g_ptr_array_add(out, pin_info(session, g_ptr_array_index(a->pins, i)));
	*ret_pins = g_steal_pointer(&out);
	return TRUE;
}

gboolean
mesh_session_connect_pin_revoke(MeshSession *session, const char *account, const char *pin_id,
                                char **ret_pin_id, GError **error)
{
	g_autoptr(Account) a = NULL;
	g_autofree char *want = NULL;
	g_autofree char *quoted = mesh_error_quote(pin_id != NULL ? pin_id : "");
	guint found = 0, index = 0;

	if (!account_read(session, account, &a, error))
		return FALSE;
	/* A PinId is Base32: dashes and case aside, a prefix of at least 4 characters. */
	want = pin_id != NULL ? g_ascii_strup(pin_id, -1) : NULL;
	if (want != NULL) {
		char *w = want;

		for (const char *s = want; *s != '\0'; s++)
			if (*s != '-')
				*w++ = *s;
		*w = '\0';
	}
	if (want == NULL || strlen(want) < 4) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "name the PIN by its PinId or at least its first 4 characters ('%s' is "
		            "not): 'mesh connect pin --list' shows them",
		            quoted);
		return FALSE;
	}
	for (guint i = 0; a->pins != NULL && i < a->pins->len; i++) {
		const AccountPin *pin = g_ptr_array_index(a->pins, i);
		g_autofree char *have = mesh_udf_normalize(pin->pin_id, NULL);

		if (have != NULL && g_str_has_prefix(have, want)) {
			found++;
			index = i;
		}
	}
	if (found != 1) {
		g_set_error(error, MESH_ERROR,
		            found == 0 ? MESH_ERROR_NOT_FOUND : MESH_ERROR_INVALID_ARGUMENT,
		            found == 0 ? "%s holds no PIN '%s': 'mesh connect pin --list' shows them"
		                       : "several PINs of %s start with '%s': give more of the PinId",
		            a->account, quoted);
		return FALSE;
	}
	if (ret_pin_id != NULL)
		*ret_pin_id = g_strdup(((AccountPin *)a->pins->pdata[index])->pin_id);
	g_ptr_array_remove_index(a->pins, index);
	return account_write(session, a, error);
}

/* ---- Accepting by PIN ---------------------------------------------------------------------- */

/* Set the PIN @pin_id of the stored entry of @account Used (@used), as the entry is now: other
 * requests may have changed it while this one waited for the portal. */
static gboolean
pin_mark_used(MeshSession *session, const char *account, const char *pin_id, gboolean used,
              GError **error)
{
	g_autoptr(Account) now = NULL;
	AccountPin *pin;

	if (!account_read(session, account, &now, error))
		return FALSE;
	pin = account_find_pin(now, pin_id);
	if (pin == NULL)
		return TRUE; /* revoked meanwhile: nothing to mark */
	pin->used = used;
	return account_write(session, now, error);
}

/* Answer the request @p, which carries the PinId of @pin (of ctx->account). */
static gboolean
answer_pin_request(Ctx *ctx, const Pending *p, AccountPin *pin, GPtrArray *notes,
                   GError **error)
{
	const char *device = p->request->device->identifier;
	g_autoptr(MeshSecret) canonical = NULL;
	g_autoptr(GError) local = NULL;
	gboolean valid, listed;

	canonical = pin_unseal(ctx, pin, error);
	if (canonical == NULL)
		return FALSE;
	valid = mesh_connection_request_pin_valid(p->request, canonical);
	listed = mesh_personal_profile_device(ctx->personal, device) != NULL;
	if (valid && pin->used && listed) {
		/* Accepted before, and the result did not reach the portal: send it again. */
		note_add(notes, "sent again the acceptance of the device %s (PIN %s)", device,
		         pin->pin_id);
		return ctx_complete(ctx, p, MESH_CONNECTION_ACCEPTED, error);
	}
	if (!valid || pin->used || pin_expired(ctx->session, pin)) {
		note_add(notes, "rejected the device %s: %s (PIN %s)", device,
		         !valid      ? "its request does not prove the PIN (wrong PIN, or changed "
		                       "on the way)"
		         : pin->used ? "the PIN was used already"
		                     : "the PIN has expired",
		         pin->pin_id);
		return ctx_complete(ctx, p, MESH_CONNECTION_REJECTED, error);
	}
	/* Single use: the PIN is spent before the device is added. */
	pin->used = TRUE;
	if (!pin_mark_used(ctx->session, ctx->account->account, pin->pin_id, TRUE, error))
		return FALSE;
	if (!ctx_accept(ctx, p, pin->admin, notes, &local)) {
		/* Not published: the PIN stays good for the device's next try. */
		if (mesh_personal_profile_device(ctx->personal, device) == NULL) {
			pin->used = FALSE;
			pin_mark_used(ctx->session, ctx->account->account, pin->pin_id, FALSE, NULL);
		}
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	note_add(notes, "accepted the device %s%s%s by its PIN %s", device,
	         p->request->device->description != NULL ? ", described as " : "",
	         p->request->device->description != NULL ? p->request->device->description : "",
	         pin->pin_id);
	return TRUE;
}

gboolean
session_accept_pins(MeshSession *session, const char *account, GPtrArray *notes, GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(Account) a = NULL;
	g_autoptr(GPtrArray) list = NULL;
	gboolean ok = TRUE;

	/* Only an entry with live PINs goes to the portal. */
	if (!account_read(session, account, &a, error))
		return FALSE;
	if (a->witness != NULL || !account_has_pins(a))
		return TRUE;
	if (!ctx_open(&ctx, session, a->account, TRUE, TRUE, error) ||
	    !ctx_pending(&ctx, &list, error))
		return FALSE;
	for (guint i = 0; i < list->len; i++) {
		const Pending *p = g_ptr_array_index(list, i);
		g_autoptr(GError) local = NULL;
		AccountPin *pin;

		/* A request without a PinId is never accepted here; one of another
		 * administration device's PINs is that device's to answer. */
		if (p->request->pin_id == NULL ||
		    (pin = account_find_pin(ctx.account, p->request->pin_id)) == NULL)
			continue;
		if (!answer_pin_request(&ctx, p, pin, notes, &local)) {
			g_autofree char *quoted = mesh_error_quote(local->message);

			note_add(notes, "the request of the device %s (PIN %s) was not answered: %s",
			         p->request->device->identifier, pin->pin_id, quoted);
			if (ok)
				g_propagate_error(error, g_steal_pointer(&local));
			ok = FALSE;
		}
	}
	return ok && prune_pins(session, ctx.account->account, error);
}
