/* SPDX-License-Identifier: MIT */
#include "methods-session.h"

#include <openssl/crypto.h>
#include <string.h>

#include "portal-http.h"
#include "portal-bridge.h"
#include "router.h"
#include "error.h"
#include "json.h"
#include "personal.h"
#include "secret.h"
#include "shamir.h"

/* Most shares an escrow has, so the most EscrowVerify and ProfileRecover take: a share's index
 * is 4 bits (docs/protocol.md §5). */
#define SHARES_MAX MESH_SHAMIR_SHARES_MAX

/* ---- The HTTP portal factory ------------------------------------------------------------- */

typedef struct {
	const char *ca_file; /* the PEM CA file to trust; NULL: the system's trust store */
	const MeshSessionMethodEnv *env;
} HttpOpen;

static MeshPortalClient *
open_http(gpointer data, const char *account_domain, const char *url_override, GError **error)
{
	const HttpOpen *open = data;
	g_autofree char *url = NULL;

	if (url_override != NULL) {
		url = g_strdup(url_override);
	} else if (account_domain != NULL) {
		url = mesh_portal_client_http_url(account_domain);
	} else {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the account has no domain, so its portal is unknown: give the portal's "
			    "URL (--portal URL or MESH_PORTAL_URL)");
		return NULL;
	}
	if (open->env->bridge != NULL)
		return mesh_portal_bridge_open(open->env->bridge, url, open->ca_file,
					       open->env->release, error);
	return mesh_portal_client_http_new(url, open->ca_file, error);
}

/* ---- Parameters --------------------------------------------------------------------------- */

static gboolean
get_account(JsonObject *params, gboolean required, const char **ret, GError **error)
{
	return required ? mesh_json_get_string(params, "Account", ret, error)
			: mesh_json_get_string_opt(params, "Account", ret, error);
}

/* The "Shares" array: 1 to SHARES_MAX strings, as a NULL-terminated vector borrowing them. */
static gboolean
get_shares(JsonObject *params, GPtrArray **ret_shares, GError **error)
{
	g_autoptr(GPtrArray) shares = g_ptr_array_new();
	JsonArray *array = NULL;
	guint n;

	if (!mesh_json_get_array(params, "Shares", &array, error))
		return FALSE;
	n = json_array_get_length(array);
	if (n == 0 || n > SHARES_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "\"Shares\" must hold 1 to %d shares", SHARES_MAX);
		return FALSE;
	}
	for (guint i = 0; i < n; i++) {
		JsonNode *node = json_array_get_element(array, i);

		if (!JSON_NODE_HOLDS_VALUE(node) ||
		    json_node_get_value_type(node) != G_TYPE_STRING) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
				    "\"Shares\" must be an array of strings");
			return FALSE;
		}
		g_ptr_array_add(shares, (gpointer)json_node_get_string(node));
	}
	g_ptr_array_add(shares, NULL);
	*ret_shares = g_steal_pointer(&shares);
	return TRUE;
}

static gboolean
get_count(JsonObject *params, const char *member, guint *ret, GError **error)
{
	gint64 value = 0;

	if (!mesh_json_get_int(params, member, &value, error))
		return FALSE;
	if (value < 1 || value > SHARES_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "\"%s\" must be 1 to %d", member, SHARES_MAX);
		return FALSE;
	}
	*ret = (guint)value;
	return TRUE;
}

/* A text param as a MeshSecret with its NUL (core/application.h); NULL when absent and
 * optional. The request's copy is wiped by the dispatcher. */
static gboolean
get_secret(JsonObject *params, const char *member, gboolean required, MeshSecret **ret,
	   GError **error)
{
	const char *text = NULL;

	if (!(required ? mesh_json_get_string(params, member, &text, error)
		       : mesh_json_get_string_opt(params, member, &text, error)))
		return FALSE;
	*ret = text != NULL ? mesh_secret_new_from_data(text, strlen(text) + 1) : NULL;
	return TRUE;
}

/* Copy the NUL-terminated text of @secret into @result's @member (the answer's strings are
 * wiped once framed). */
static void
set_secret_member(JsonObject *result, const char *member, const MeshSecret *secret)
{
	gsize len = mesh_secret_len(secret);
	const char *text = (const char *)mesh_secret_get(secret);

	if (len > 0 && text[len - 1] == '\0') {
		json_object_set_string_member(result, member, text);
		return;
	}
	/* Not NUL-terminated: copy through a wiped buffer. */
	{
		char *copy = g_malloc(len + 1);

		memcpy(copy, text, len);
		copy[len] = '\0';
		json_object_set_string_member(result, member, copy);
		OPENSSL_cleanse(copy, len);
		g_free(copy);
	}
}

/* ---- Results ----------------------------------------------------------------------------- */

static void
set_app(JsonObject *obj, const MeshSessionApp *app)
{
	const char *type = mesh_application_type_name(app->type);

	json_object_set_string_member(obj, "Identifier", app->identifier);
	json_object_set_string_member(obj, "Type", type != NULL ? type : "Unknown");
	if (app->friendly != NULL)
		json_object_set_string_member(obj, "Friendly", app->friendly);
}

static JsonArray *
apps_array(const GPtrArray *apps)
{
	JsonArray *array = json_array_new();

	for (guint i = 0; apps != NULL && i < apps->len; i++) {
		JsonObject *obj = json_object_new();

		set_app(obj, apps->pdata[i]);
		json_array_add_object_element(array, obj);
	}
	return array;
}

static JsonArray *
strings_array(const GPtrArray *strings)
{
	JsonArray *array = json_array_new();

	for (guint i = 0; strings != NULL && i < strings->len; i++)
		json_array_add_string_element(array, strings->pdata[i]);
	return array;
}

/* {"Identifier", "Account", "Serial", "Devices": [UDF], "Applications": [...], "Portal"?,
 * "AdministrationKey"?, "MasterKeys": bool, "Escrows": [UDF]} */
static void
set_profile(JsonObject *result, const MeshSessionProfile *profile)
{
	json_object_set_string_member(result, "Identifier", profile->identifier);
	json_object_set_string_member(result, "Account", profile->account);
	json_object_set_int_member(result, "Serial", profile->serial);
	json_object_set_array_member(result, "Devices", strings_array(profile->devices));
	json_object_set_array_member(result, "Applications", apps_array(profile->applications));
	if (profile->portal != NULL)
		json_object_set_string_member(result, "Portal", profile->portal);
	if (profile->admin_key != NULL)
		json_object_set_string_member(result, "AdministrationKey", profile->admin_key);
	/* What the escrow nudge and a careful delete look at. */
	json_object_set_boolean_member(result, "MasterKeys", profile->master_keys);
	json_object_set_array_member(result, "Escrows", strings_array(profile->escrows));
	if (profile->demoted != NULL)
		json_object_set_array_member(result, "Demoted",
		                             mesh_method_devices_array(profile->demoted));
	/* What a sync did besides (the requests it answered by PIN), one line each. */
	if (profile->notes != NULL && profile->notes->len > 0)
		json_object_set_array_member(result, "Notes", strings_array(profile->notes));
}

/* ---- Methods ----------------------------------------------------------------------------- */

gboolean
mesh_method_account_validate(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	g_autofree char *reason = NULL;
	const char *account = NULL, *portal = NULL;
	gboolean valid = FALSE;

	if (!get_account(params, TRUE, &account, error) ||
	    !mesh_json_get_string_opt(params, "Portal", &portal, error) ||
	    !mesh_session_account_validate(s, account, portal, &valid, &reason, error))
		return FALSE;
	json_object_set_boolean_member(result, "Valid", valid);
	if (reason != NULL)
		json_object_set_string_member(result, "Reason", reason);
	return TRUE;
}

/* {Account?}: make it the default first; answers {"Default"?: the default account}. */
gboolean
mesh_method_account_default(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(GPtrArray) accounts = NULL;
	g_autofree char *def = NULL;
	const char *account = NULL;

	if (!get_account(params, FALSE, &account, error) ||
	    (account != NULL && !mesh_session_account_set_default(s, account, error)) ||
	    !mesh_session_profile_list(s, &accounts, &def, error))
		return FALSE;
	if (def != NULL)
		json_object_set_string_member(result, "Default", def);
	return TRUE;
}

gboolean
mesh_method_profile_create(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(MeshSessionProfile) profile = NULL;
	const char *account = NULL, *portal = NULL;

	if (!get_account(params, TRUE, &account, error) ||
	    !mesh_json_get_string_opt(params, "Portal", &portal, error) ||
	    !mesh_session_profile_create(s, account, portal, &profile, error))
		return FALSE;
	set_profile(result, profile);
	return TRUE;
}

gboolean
mesh_method_profile_get(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(MeshSessionProfile) profile = NULL;
	const char *account = NULL;

	if (!get_account(params, FALSE, &account, error) ||
	    !mesh_session_profile_get(s, account, &profile, error))
		return FALSE;
	set_profile(result, profile);
	return TRUE;
}

gboolean
mesh_method_profile_list(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(GPtrArray) accounts = NULL;
	g_autofree char *default_account = NULL;

	g_autoptr(GPtrArray) damaged = NULL;
	JsonArray *array;

	if (!mesh_session_profile_list(s, &accounts, &default_account, error) ||
	    !mesh_session_profile_list_damaged(s, &damaged, error))
		return FALSE;
	json_object_set_array_member(result, "Accounts", strings_array(accounts));
	if (default_account != NULL)
		json_object_set_string_member(result, "Default", default_account);
	array = json_array_new();
	for (guint i = 0; i < damaged->len; i++) {
		const MeshSessionDamage *d = damaged->pdata[i];
		JsonObject *obj = json_object_new();

		json_object_set_string_member(obj, "Entry", d->entry);
		if (d->account != NULL)
			json_object_set_string_member(obj, "Account", d->account);
		json_object_set_int_member(obj, "Code", d->code);
		json_object_set_string_member(obj, "Name", mesh_error_name(d->code));
		json_object_set_string_member(obj, "Message", d->message);
		json_object_set_string_member(obj, "Fix", d->fix);
		json_array_add_object_element(array, obj);
	}
	json_object_set_array_member(result, "Damaged", array);
	return TRUE;
}

/* [{"Operation", "Application", "Site"?, "Username"?, "Queued", "Conflict"?}] */
static JsonArray *
queued_array(const GPtrArray *list)
{
	JsonArray *array = json_array_new();

	for (guint i = 0; i < list->len; i++) {
		const MeshSessionQueued *q = list->pdata[i];
		JsonObject *obj = json_object_new();

		json_object_set_string_member(obj, "Operation", q->operation);
		json_object_set_string_member(obj, "Application", q->application);
		if (q->site != NULL)
			json_object_set_string_member(obj, "Site", q->site);
		if (q->username != NULL)
			json_object_set_string_member(obj, "Username", q->username);
		json_object_set_string_member(obj, "Queued", q->queued);
		if (q->conflict != NULL)
			json_object_set_string_member(obj, "Conflict", q->conflict);
		json_array_add_object_element(array, obj);
	}
	return array;
}

/* The profile, and what the flush before the sync published: "Published", "Conflicts". */
gboolean
mesh_method_profile_sync(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(MeshSessionProfile) profile = NULL;
	g_autoptr(MeshSessionFlush) flush = NULL;
	const char *account = NULL;

	if (!get_account(params, FALSE, &account, error) ||
	    !mesh_session_profile_sync_flush(s, account, &profile, &flush, error))
		return FALSE;
	set_profile(result, profile);
	json_object_set_array_member(result, "Published", queued_array(flush->published));
	json_object_set_array_member(result, "Conflicts", queued_array(flush->conflicts));
	return TRUE;
}

/* {"Account", "Queued": [...], "Conflicts": [...]} */
gboolean
mesh_method_profile_status(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(GPtrArray) queued = NULL;
	g_autoptr(GPtrArray) conflicts = NULL;
	g_autoptr(MeshSessionProfile) profile = NULL;
	const char *account = NULL;

	if (!get_account(params, FALSE, &account, error) ||
	    !mesh_session_profile_get(s, account, &profile, error) ||
	    !mesh_session_profile_status(s, profile->account, &queued, &conflicts, error))
		return FALSE;
	json_object_set_string_member(result, "Account", profile->account);
	json_object_set_array_member(result, "Queued", queued_array(queued));
	json_object_set_array_member(result, "Conflicts", queued_array(conflicts));
	return TRUE;
}

gboolean
mesh_method_profile_set_portal(MeshSession *s, JsonObject *params, JsonObject *result,
                               GError **error)
{
	g_autoptr(MeshSessionProfile) profile = NULL;
	const char *account = NULL, *portal = NULL;

	if (!get_account(params, FALSE, &account, error) ||
	    !mesh_json_get_string(params, "Portal", &portal, error) ||
	    !mesh_session_profile_set_portal(s, account, portal, &profile, error))
		return FALSE;
	set_profile(result, profile);
	return TRUE;
}

gboolean
mesh_method_profile_delete(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	const char *account = NULL;
	gboolean force = FALSE;

	if (!get_account(params, TRUE, &account, error) ||
	    !mesh_json_get_bool_opt(params, "Force", &force, error))
		return FALSE;
	return mesh_session_profile_delete(s, account, force, error);
}

gboolean
mesh_method_escrow_create(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(GPtrArray) shares = NULL;
	g_autofree char *identifier = NULL;
	const char *account = NULL;
	guint quorum = 0, n = 0;
	JsonArray *array;

	if (!get_account(params, FALSE, &account, error) ||
	    !get_count(params, "Quorum", &quorum, error) ||
	    !get_count(params, "Shares", &n, error))
		return FALSE;
	if (quorum < 2 || quorum > n) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "\"Quorum\" (%u) must be 2 to \"Shares\" (%u), and \"Shares\" at most %d",
			    quorum, n, SHARES_MAX);
		return FALSE;
	}
	if (!mesh_session_escrow_create(s, account, quorum, n, &shares, &identifier, error))
		return FALSE;
	/* The shares' MeshSecrets are wiped when the array goes; the copies in the answer are
	 * wiped by the dispatcher after framing. */
	g_ptr_array_set_free_func(shares, (GDestroyNotify)mesh_secret_free);
	array = json_array_new();
	for (guint i = 0; i < shares->len; i++)
		json_array_add_string_element(array, (const char *)mesh_secret_get(shares->pdata[i]));
	if (identifier != NULL)
		json_object_set_string_member(result, "Identifier", identifier);
	json_object_set_array_member(result, "Shares", array);
	return TRUE;
}

gboolean
mesh_method_escrow_verify(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(GPtrArray) shares = NULL;
	const char *account = NULL, *portal = NULL;

	return get_account(params, FALSE, &account, error) &&
	       mesh_json_get_string_opt(params, "Portal", &portal, error) &&
	       get_shares(params, &shares, error) &&
	       mesh_session_escrow_verify(s, account, portal, (const char *const *)shares->pdata,
					  shares->len - 1, error);
}

gboolean
mesh_method_escrow_revoke(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	g_autofree char *revoked = NULL;
	g_autofree char *of = NULL;
	const char *account = NULL, *identifier = NULL;

	if (!get_account(params, FALSE, &account, error) ||
	    !mesh_json_get_string_opt(params, "Identifier", &identifier, error) ||
	    !mesh_session_escrow_revoke(s, account, identifier, &revoked, &of, error))
		return FALSE;
	json_object_set_string_member(result, "Identifier", revoked);
	json_object_set_string_member(result, "Account", of);
	return TRUE;
}

gboolean
mesh_method_profile_recover(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(MeshSessionProfile) profile = NULL;
	g_autoptr(GPtrArray) shares = NULL;
	const char *account = NULL, *portal = NULL;

	if (!get_account(params, TRUE, &account, error) ||
	    !mesh_json_get_string_opt(params, "Portal", &portal, error) ||
	    !get_shares(params, &shares, error) ||
	    !mesh_session_profile_recover(s, account, (const char *const *)shares->pdata,
					  shares->len - 1, portal, &profile, error))
		return FALSE;
	set_profile(result, profile);
	return TRUE;
}

gboolean
mesh_method_connect_request(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(MeshSessionConnect) connect = NULL;
	g_autoptr(MeshSecret) pin = NULL;
	const char *account = NULL, *portal = NULL, *description = NULL;

	if (!get_account(params, TRUE, &account, error) ||
	    !mesh_json_get_string_opt(params, "Portal", &portal, error) ||
	    !get_secret(params, "Pin", FALSE, &pin, error) ||
	    !mesh_json_get_string_opt(params, "Description", &description, error) ||
	    !mesh_session_connect_request(s, account, portal, pin, description, &connect, error))
		return FALSE;
	json_object_set_string_member(result, "ProfileUDF", connect->profile_udf);
	json_object_set_string_member(result, "DeviceUDF", connect->device_udf);
	json_object_set_string_member(result, "Witness", connect->witness);
	return TRUE;
}

gboolean
mesh_method_connect_status(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	MeshSessionConnectState state = MESH_SESSION_CONNECT_PENDING;
	const char *account = NULL;

	if (!get_account(params, FALSE, &account, error) ||
	    !mesh_session_connect_status(s, account, &state, error))
		return FALSE;
	json_object_set_string_member(result, "State", mesh_session_connect_state_name(state));
	return TRUE;
}

gboolean
mesh_method_connect_pending(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(GPtrArray) pending = NULL;
	const char *account = NULL;
	JsonArray *array;

	if (!get_account(params, FALSE, &account, error) ||
	    !mesh_session_connect_pending(s, account, &pending, error))
		return FALSE;
	g_ptr_array_set_free_func(pending, (GDestroyNotify)mesh_session_pending_free);
	array = json_array_new();
	for (guint i = 0; i < pending->len; i++) {
		const MeshSessionPending *p = pending->pdata[i];
		JsonObject *obj = json_object_new();

		json_object_set_string_member(obj, "DeviceUDF", p->device_udf);
		if (p->description != NULL)
			json_object_set_string_member(obj, "Description", p->description);
		json_object_set_string_member(obj, "Witness", p->witness);
		json_object_set_string_member(obj, "Expires", p->expires);
		json_array_add_object_element(array, obj);
	}
	json_object_set_array_member(result, "Pending", array);
	return TRUE;
}

/* {"PinId", "Expires", "Admin", "Used", "Expired"} */
static void
set_pin(JsonObject *obj, const MeshSessionPin *pin)
{
	json_object_set_string_member(obj, "PinId", pin->pin_id);
	json_object_set_string_member(obj, "Expires", pin->expires);
	json_object_set_boolean_member(obj, "Admin", pin->admin);
	json_object_set_boolean_member(obj, "Used", pin->used);
	json_object_set_boolean_member(obj, "Expired", pin->expired);
}

gboolean
mesh_method_connect_pin(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(MeshSecret) pin = NULL;
	g_autoptr(MeshSecret) uri = NULL;
	g_autoptr(MeshSessionPin) info = NULL;
	const char *account = NULL;
	gint64 expire = 0;
	gboolean admin = FALSE;

	if (!get_account(params, FALSE, &account, error) ||
	    (json_object_has_member(params, "Expire") &&
	     !mesh_json_get_int(params, "Expire", &expire, error)) ||
	    !mesh_json_get_bool_opt(params, "Admin", &admin, error))
		return FALSE;
	if (json_object_has_member(params, "Expire") && expire == 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "\"Expire\" must be %d to %d seconds", MESH_SESSION_PIN_EXPIRE_MIN,
			    MESH_SESSION_PIN_EXPIRE_MAX);
		return FALSE;
	}
	if (!mesh_session_connect_pin_create(s, account, expire, admin, &pin, &uri, &info, error))
		return FALSE;
	/* The PIN and the URI are secrets: the answer's copies are wiped once framed. */
	set_secret_member(result, "Pin", pin);
	set_secret_member(result, "Uri", uri);
	json_object_set_string_member(result, "PinId", info->pin_id);
	json_object_set_string_member(result, "Expires", info->expires);
	json_object_set_boolean_member(result, "Admin", info->admin);
	return TRUE;
}

gboolean
mesh_method_connect_pin_list(MeshSession *s, JsonObject *params, JsonObject *result,
			     GError **error)
{
	g_autoptr(GPtrArray) pins = NULL;
	const char *account = NULL;
	JsonArray *array;

	if (!get_account(params, FALSE, &account, error) ||
	    !mesh_session_connect_pin_list(s, account, &pins, error))
		return FALSE;
	array = json_array_new();
	for (guint i = 0; i < pins->len; i++) {
		JsonObject *obj = json_object_new();

		set_pin(obj, pins->pdata[i]);
		json_array_add_object_element(array, obj);
	}
	json_object_set_array_member(result, "Pins", array);
	return TRUE;
}

gboolean
mesh_method_connect_pin_revoke(MeshSession *s, JsonObject *params, JsonObject *result,
			       GError **error)
{
	g_autofree char *revoked = NULL;
	const char *account = NULL, *id = NULL;

	if (!get_account(params, FALSE, &account, error) ||
	    !mesh_json_get_string(params, "PinId", &id, error) ||
	    !mesh_session_connect_pin_revoke(s, account, id, &revoked, error))
		return FALSE;
	json_object_set_string_member(result, "PinId", revoked);
	return TRUE;
}

gboolean
mesh_method_background(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(GPtrArray) notes = NULL;
	const char *account = NULL;

	if (!get_account(params, TRUE, &account, error) ||
	    !mesh_session_background(s, account, &notes, error))
		return FALSE;
	if (notes->len > 0)
		json_object_set_array_member(result, "Notes", strings_array(notes));
	return TRUE;
}

static gboolean
connect_answer(MeshSession *s, JsonObject *params, gboolean accept, GError **error)
{
	const char *account = NULL, *witness = NULL;

	if (!get_account(params, FALSE, &account, error) ||
	    !mesh_json_get_string(params, "Witness", &witness, error))
		return FALSE;
	return accept ? mesh_session_connect_accept(s, account, witness, error)
		      : mesh_session_connect_reject(s, account, witness, error);
}

gboolean
mesh_method_connect_accept(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	return connect_answer(s, params, TRUE, error);
}

gboolean
mesh_method_connect_reject(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	return connect_answer(s, params, FALSE, error);
}

gboolean
mesh_method_app_list(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(GPtrArray) apps = NULL;
	const char *account = NULL;

	if (!get_account(params, FALSE, &account, error) ||
	    !mesh_session_app_list(s, account, &apps, error))
		return FALSE;
	g_ptr_array_set_free_func(apps, (GDestroyNotify)mesh_session_app_free);
	json_object_set_array_member(result, "Applications", apps_array(apps));
	return TRUE;
}

/* A change the portal could not take, queued: {"Queued": true, "Portal": URL}. */
static void
set_queued(JsonObject *result, const char *portal)
{
	if (portal == NULL)
		return;
	json_object_set_boolean_member(result, "Queued", TRUE);
	json_object_set_string_member(result, "Portal", portal);
}

gboolean
mesh_method_app_add(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	g_autofree char *identifier = NULL;
	g_autofree char *queued = NULL;
	const char *account = NULL, *type = NULL, *name = NULL;

	if (!get_account(params, FALSE, &account, error) ||
	    !mesh_json_get_string(params, "Type", &type, error) ||
	    !mesh_json_get_string(params, "Name", &name, error))
		return FALSE;
	if (!g_str_equal(type, "Generic")) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "applications of type \"%s\" cannot be added here: only \"Generic\" "
			    "(passwords have their own methods)",
			    type);
		return FALSE;
	}
	if (!mesh_session_app_add_generic(s, account, name, &identifier, &queued, error))
		return FALSE;
	json_object_set_string_member(result, "Identifier", identifier);
	set_queued(result, queued);
	return TRUE;
}

gboolean
mesh_method_app_set(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(MeshSecret) data = NULL;
	g_autofree char *queued = NULL;
	const char *account = NULL, *name = NULL;

	if (!get_account(params, FALSE, &account, error) ||
	    !mesh_json_get_string(params, "Name", &name, error) ||
	    !get_secret(params, "Data", TRUE, &data, error) ||
	    !mesh_session_app_set(s, account, name, data, &queued, error))
		return FALSE;
	set_queued(result, queued);
	return TRUE;
}

gboolean
mesh_method_app_get(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(MeshSecret) plaintext = NULL;
	const char *account = NULL, *name = NULL;

	if (!get_account(params, FALSE, &account, error) ||
	    !mesh_json_get_string(params, "Name", &name, error) ||
	    !mesh_session_app_get(s, account, name, &plaintext, error))
		return FALSE;
	set_secret_member(result, "Data", plaintext);
	return TRUE;
}

gboolean
mesh_method_app_delete(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	g_autofree char *queued = NULL;
	const char *account = NULL, *name = NULL;

	if (!get_account(params, FALSE, &account, error) ||
	    !mesh_json_get_string(params, "Name", &name, error) ||
	    !mesh_session_app_delete(s, account, name, &queued, error))
		return FALSE;
	set_queued(result, queued);
	return TRUE;
}

/* PasswordAdd and PasswordSet: {Account?, Site, Username, Password?} as @mode says. */
static gboolean
password_store(MeshSession *s, JsonObject *params, JsonObject *result, MeshSessionPasswordMode mode,
               GError **error)
{
	g_autoptr(MeshSecret) password = NULL;
	g_autoptr(MeshSecret) stored = NULL;
	g_autofree char *queued = NULL;
	const char *account = NULL, *site = NULL, *username = NULL;

	if (!get_account(params, FALSE, &account, error) ||
	    !mesh_json_get_string(params, "Site", &site, error) ||
	    !mesh_json_get_string(params, "Username", &username, error) ||
	    !get_secret(params, "Password", FALSE, &password, error) ||
	    !mesh_session_password_add(s, account, site, username, password, mode, &stored,
	                               &queued, error))
		return FALSE;
	set_queued(result, queued);
	/* Only a generated password goes back: the caller knows the one it gave. */
	if (password == NULL)
		set_secret_member(result, "Password", stored);
	return TRUE;
}

gboolean
mesh_method_password_add(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	return password_store(s, params, result, MESH_SESSION_PASSWORD_ADD, error);
}

gboolean
mesh_method_password_set(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	return password_store(s, params, result, MESH_SESSION_PASSWORD_SET, error);
}

gboolean
mesh_method_password_get(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(MeshSecret) password = NULL;
	g_autofree char *username = NULL;
	const char *account = NULL, *site = NULL, *user = NULL;

	if (!get_account(params, FALSE, &account, error) ||
	    !mesh_json_get_string(params, "Site", &site, error) ||
	    !mesh_json_get_string_opt(params, "Username", &user, error) ||
	    !mesh_session_password_get(s, account, site, user, &username, &password, error))
		return FALSE;
	json_object_set_string_member(result, "Username", username);
	set_secret_member(result, "Password", password);
	return TRUE;
}

/* {"Logins": [{"Site", "Username"}], "Sites": [each site once]} */
gboolean
mesh_method_password_list(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(GPtrArray) logins = NULL;
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	const char *account = NULL;
	JsonArray *array, *sites;

	if (!get_account(params, FALSE, &account, error) ||
	    !mesh_session_password_list(s, account, &logins, error))
		return FALSE;
	array = json_array_new();
	sites = json_array_new();
	json_object_set_array_member(result, "Logins", array);
	json_object_set_array_member(result, "Sites", sites);
	for (guint i = 0; i < logins->len; i++) {
		const MeshSessionLogin *login = logins->pdata[i];
		JsonObject *obj = json_object_new();

		json_object_set_string_member(obj, "Site", login->site);
		json_object_set_string_member(obj, "Username", login->username);
		json_array_add_object_element(array, obj);
		if (g_hash_table_add(seen, login->site))
			json_array_add_string_element(sites, login->site);
	}
	return TRUE;
}

gboolean
mesh_method_password_delete(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	g_autofree char *queued = NULL;
	const char *account = NULL, *site = NULL, *user = NULL;

	if (!get_account(params, FALSE, &account, error) ||
	    !mesh_json_get_string(params, "Site", &site, error) ||
	    !mesh_json_get_string_opt(params, "Username", &user, error) ||
	    !mesh_session_password_delete(s, account, site, user, &queued, error))
		return FALSE;
	set_queued(result, queued);
	return TRUE;
}

gboolean
mesh_method_ssh_create(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	g_autofree char *udf = NULL;
	g_autofree char *line = NULL;
	const char *account = NULL;

	/* Its "Passphrase" is the env's: the hive's protection decides it (dispatch.c). */
	if (!get_account(params, FALSE, &account, error) ||
	    !mesh_session_ssh_create(s, account, &udf, &line, error))
		return FALSE;
	json_object_set_string_member(result, "UDF", udf);
	json_object_set_string_member(result, "PublicKey", line);
	return TRUE;
}

gboolean
mesh_method_ssh_authorized_keys(MeshSession *s, JsonObject *params, JsonObject *result,
                                GError **error)
{
	g_autoptr(GPtrArray) keys = NULL;
	const char *account = NULL;
	JsonArray *array;

	if (!get_account(params, FALSE, &account, error) ||
	    !mesh_session_ssh_authorized_keys(s, account, &keys, error))
		return FALSE;
	array = json_array_new();
	for (guint i = 0; i < keys->len; i++) {
		const MeshSessionSshKey *k = keys->pdata[i];
		JsonObject *obj = json_object_new();

		json_object_set_string_member(obj, "DeviceUDF", k->device_udf);
		json_object_set_string_member(obj, "PublicKey", k->public_line);
		json_array_add_object_element(array, obj);
	}
	json_object_set_array_member(result, "Keys", array);
	return TRUE;
}

/* The new key of a rotation goes to the store that holds the old one (backends/router.h). */
static MeshKeyStore *
store_holding(MeshKeyStore *store, const char *udf, GError **error)
{
	const char *name = mesh_keystore_router_store_of(store, udf, error);

	return name != NULL ? mesh_keystore_router_view(store, name, error) : NULL;
}

gboolean
mesh_method_ssh_rotate(MeshSession *s, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(MeshSessionSshKey) key = NULL;
	g_autofree char *old = NULL;
	const char *account = NULL;

	/* No "Passphrase" nor "KeyStore": the new key is protected as the hive's keys are
	 * (dispatch.c) and made where the old one is. */
	if (!get_account(params, FALSE, &account, error) ||
	    !mesh_session_ssh_rotate(s, account, store_holding, &key, &old, error))
		return FALSE;
	json_object_set_string_member(result, "Account", key->account);
	json_object_set_string_member(result, "UDF", key->udf);
	json_object_set_string_member(result, "PublicKey", key->public_line);
	json_object_set_string_member(result, "OldUDF", old);
	return TRUE;
}

gboolean
mesh_session_method_call(const char *name, MeshSessionHandler handler,
			 const MeshSessionMethodEnv *env, JsonObject *params, JsonObject *result,
			 GError **error)
{
	MeshSession session = {.hive = env->hive,
	                       .store = env->store,
	                       .passphrase = env->passphrase,
	                       .keys_locked = env->keys_locked};
	gboolean ok;
	HttpOpen http = { .env = env };
	g_autoptr(MeshKeyStore) view = NULL;
	const char *keystore = NULL;

	/* "Portal": the portal the caller named; an account this machine holds must use it. */
	if (!mesh_json_get_string_opt(params, "PortalCA", &http.ca_file, error) ||
	    !mesh_json_get_string_opt(params, "Portal", &session.portal_url, error) ||
	    !mesh_json_get_string_opt(params, "KeyStore", &keystore, error))
		return FALSE;
	if (env->restricted) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
			    "%s is disabled in this agent (restricted mode)", name);
		return FALSE;
	}
	/* "KeyStore": where this device's new keys go (the hive's default otherwise). */
	if (keystore != NULL) {
		view = mesh_keystore_router_view(env->store, keystore, error);
		if (view == NULL)
			return FALSE;
		session.store = view;
	}
	if (env->open_portal != NULL) {
		session.open_portal = env->open_portal;
		session.portal_data = env->portal_data;
	} else {
		session.open_portal = open_http;
		session.portal_data = &http;
	}
	/* The methods that only read may use the verified profiles kept from earlier reads; any
	 * other may write the hive: what was kept goes, before and after (a write it makes is
	 * never served from memory). */
	if (env->reads_only) {
		session.cache = env->cache;
		return handler(&session, params, result, error);
	}
	mesh_hive_cache_clear(env->cache);
	ok = handler(&session, params, result, error);
	mesh_hive_cache_clear(env->cache);
	return ok;
}
