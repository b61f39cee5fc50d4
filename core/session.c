/* SPDX-License-Identifier: MIT */
#include "session.h"

#include <string.h>

#include "base64.h"
#include "connect.h"
#include "device.h"
#include "error.h"
#include "escrow.h"
#include "json.h"
#include "personal.h"
#include "shamir.h"
#include "signed.h"
#include "sshkey.h"
#include "udf.h"

#define JSON_SUFFIX   ".json"
#define ACCOUNT_MAX   (64 * 1024)
#define AT_ESCAPE     "_AT_"
#define PASSWORD_GEN  20
#define PASSWORDS_APP "Passwords"
/* Escrow entries an account entry remembers (each is 28 characters). */
#define ACCOUNT_ESCROWS_MAX 64

/* ---- Small helpers ------------------------------------------------------------------------- */

static gint64
session_now(MeshSession *session)
{
	if (session->clock != NULL)
		return session->clock(session->clock_data);
	return g_get_real_time() / G_USEC_PER_SEC;
}

static char *
session_time(MeshSession *session)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(session_now(session));

	return g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ");
}

static gboolean
edwards_store(MeshKeyStore *store)
{
	unsigned caps = mesh_keystore_caps(store);

	return (caps & MESH_KEYSTORE_CAP_ED25519) && (caps & MESH_KEYSTORE_CAP_X25519);
}

/* The Accounts/ entry name of @account: '@' written as "_AT_" (accounts are lower case); an
 * account too long for a hive name is named by its digest. */
static char *
account_entry(const char *account)
{
	g_auto(GStrv) parts = g_strsplit(account, "@", 2);
	g_autofree char *name = g_strjoinv(AT_ESCAPE, parts);

	if (strlen(name) <= 200)
		return g_steal_pointer(&name);
	return mesh_udf_content_digest(MESH_UDF_ALG_SHA512, "text/plain", (const guint8 *)account,
	                               strlen(account), MESH_UDF_BITS_DEFAULT, NULL);
}

static const char *
account_domain(const char *account)
{
	const char *at = strchr(account, '@');

	return at != NULL ? at + 1 : NULL;
}

static gboolean
read_json(MeshHive *hive, MeshHiveFolder folder, const char *name, gsize max, JsonNode **ret,
          GError **error)
{
	g_autoptr(GBytes) data = NULL;
	const char *text;
	gsize len = 0;
	JsonNode *node;

	if (!mesh_hive_read(hive, folder, name, max, &data, error))
		return FALSE;
	text = g_bytes_get_data(data, &len);
	node = mesh_json_parse(text != NULL ? text : "", len, max, error);
	if (node == NULL) {
		g_prefix_error(error, "%s/%s/%s: ", mesh_hive_location(hive),
		               mesh_hive_folder_name(folder), name);
		return FALSE;
	}
	*ret = node;
	return TRUE;
}

static gboolean
write_json(MeshHive *hive, MeshHiveFolder folder, const char *name, JsonNode *node, GError **error)
{
	g_autofree char *text = mesh_json_to_string(node);

	return mesh_hive_write(hive, folder, name, (const guint8 *)text, strlen(text), error);
}

static char *
json_name(const char *udf)
{
	return g_strconcat(udf, JSON_SUFFIX, NULL);
}

/* ---- Account entries ----------------------------------------------------------------------- */

typedef struct {
	char *account;
	char *profile;
	char *device;
	char *portal;
	char *admin_key;
	/* the highest serials of the personal and master profiles stored here (0: not recorded,
	 * an entry older than the record) */
	gint64 serial;
	gint64 master_serial;
	/* this device's SSH key for the account: its UDF in the key store and its line */
	char *ssh_udf;
	char *ssh_public;
	/* a pending connection request */
	char *client_nonce;
	char *server_nonce;
	char *witness;
	/* char *: the escrow entries of the profile's master keys known here; NULL when none */
	GPtrArray *escrows;
} Account;

static void
account_free(Account *a)
{
	if (a == NULL)
		return;
	g_free(a->account);
	g_free(a->profile);
	g_free(a->device);
	g_free(a->portal);
	g_free(a->admin_key);
	g_free(a->ssh_udf);
	g_free(a->ssh_public);
	g_free(a->client_nonce);
	g_free(a->server_nonce);
	g_free(a->witness);
	g_clear_pointer(&a->escrows, g_ptr_array_unref);
	g_free(a);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Account, account_free)

static gboolean
account_write(MeshSession *session, const Account *a, GError **error)
{
	g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
	JsonObject *obj = json_object_new();
	g_autofree char *name = account_entry(a->account);
	g_autofree char *current = NULL;

	json_node_take_object(node, obj);
	json_object_set_string_member(obj, "Account", a->account);
	json_object_set_string_member(obj, "Profile", a->profile);
	json_object_set_string_member(obj, "Device", a->device);
	if (a->portal != NULL)
		json_object_set_string_member(obj, "Portal", a->portal);
	if (a->admin_key != NULL)
		json_object_set_string_member(obj, "AdministrationKey", a->admin_key);
	if (a->serial > 0)
		json_object_set_int_member(obj, "Serial", a->serial);
	if (a->master_serial > 0)
		json_object_set_int_member(obj, "MasterSerial", a->master_serial);
	if (a->ssh_udf != NULL) {
		JsonObject *k = json_object_new();

		json_object_set_string_member(k, "UDF", a->ssh_udf);
		json_object_set_string_member(k, "PublicKey", a->ssh_public);
		json_object_set_object_member(obj, "SSHKey", k);
	}
	if (a->witness != NULL) {
		JsonObject *c = json_object_new();

		json_object_set_string_member(c, "ClientNonce", a->client_nonce);
		json_object_set_string_member(c, "ServerNonce", a->server_nonce);
		json_object_set_string_member(c, "Witness", a->witness);
		json_object_set_object_member(obj, "Connection", c);
	}
	if (a->escrows != NULL && a->escrows->len > 0) {
		JsonArray *ids = json_array_new();

		for (guint i = 0; i < a->escrows->len; i++)
			json_array_add_string_element(ids, a->escrows->pdata[i]);
		json_object_set_array_member(obj, "Escrows", ids);
	}
	if (name == NULL || !write_json(session->hive, MESH_HIVE_ACCOUNTS, name, node, error))
		return FALSE;
	if (a->witness == NULL &&
	    !mesh_hive_get_default(session->hive, MESH_HIVE_ACCOUNTS, &current, NULL))
		return mesh_hive_set_default(session->hive, MESH_HIVE_ACCOUNTS, name, error);
	return TRUE;
}

/* "Escrows": at most ACCOUNT_ESCROWS_MAX escrow entry UDFs. */
static gboolean
account_parse_escrows(JsonObject *obj, Account *a, GError **error)
{
	JsonArray *ids = NULL;
	guint n;

	if (!mesh_json_get_array(obj, "Escrows", &ids, error))
		return FALSE;
	n = json_array_get_length(ids);
	if (n > ACCOUNT_ESCROWS_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		            "Escrows: more than %d entries", ACCOUNT_ESCROWS_MAX);
		return FALSE;
	}
	a->escrows = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < n; i++) {
		JsonNode *id = json_array_get_element(ids, i);

		if (!JSON_NODE_HOLDS_VALUE(id) || json_node_get_value_type(id) != G_TYPE_STRING ||
		    !mesh_keystore_check_udf(json_node_get_string(id), NULL)) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			            "Escrows: entry %u is not a UDF", i + 1);
			return FALSE;
		}
		g_ptr_array_add(a->escrows, g_strdup(json_node_get_string(id)));
	}
	return TRUE;
}

/* Add the escrow entry @id to @a (once; the oldest is dropped past ACCOUNT_ESCROWS_MAX). */
static void
account_add_escrow(Account *a, const char *id)
{
	if (a->escrows == NULL)
		a->escrows = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < a->escrows->len; i++) {
		if (g_str_equal(a->escrows->pdata[i], id))
			return;
	}
	if (a->escrows->len >= ACCOUNT_ESCROWS_MAX)
		g_ptr_array_remove_index(a->escrows, 0);
	g_ptr_array_add(a->escrows, g_strdup(id));
}

/* An optional serial (1..MESH_SERIAL_MAX) into *@ret; absent: 0. */
static gboolean
get_serial_opt(JsonObject *obj, const char *member, gint64 *ret, GError **error)
{
	if (!json_object_has_member(obj, member))
		return TRUE;
	if (!mesh_json_get_int(obj, member, ret, error))
		return FALSE;
	if (*ret < 1 || *ret > MESH_SERIAL_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "%s is out of range", member);
		return FALSE;
	}
	return TRUE;
}

static gboolean
account_parse(JsonNode *node, Account **ret, GError **error)
{
	static const char *const members[] = {"Account",           "Profile",    "Device",
	                                      "Portal",            "Connection", "SSHKey",
	                                      "AdministrationKey", "Escrows",    "Serial",
	                                      "MasterSerial",      NULL};
	static const char *const ssh_members[] = {"UDF", "PublicKey", NULL};
	g_autoptr(Account) a = g_new0(Account, 1);
	const char *account = NULL, *profile = NULL, *device = NULL, *portal = NULL, *admin = NULL;
	JsonObject *obj, *c = NULL, *k = NULL;

	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "not a JSON object");
		return FALSE;
	}
	obj = json_node_get_object(node);
	if (!mesh_json_check_members(obj, members, error) ||
	    !mesh_json_get_string(obj, "Account", &account, error) ||
	    !mesh_json_get_string(obj, "Profile", &profile, error) ||
	    !mesh_json_get_string(obj, "Device", &device, error) ||
	    !mesh_json_get_string_opt(obj, "Portal", &portal, error) ||
	    !mesh_json_get_string_opt(obj, "AdministrationKey", &admin, error) ||
	    !get_serial_opt(obj, "Serial", &a->serial, error) ||
	    !get_serial_opt(obj, "MasterSerial", &a->master_serial, error))
		return FALSE;
	if (json_object_has_member(obj, "Connection")) {
		const char *cn = NULL, *sn = NULL, *w = NULL;

		if (!mesh_json_get_object(obj, "Connection", &c, error) ||
		    !mesh_json_get_string(c, "ClientNonce", &cn, error) ||
		    !mesh_json_get_string(c, "ServerNonce", &sn, error) ||
		    !mesh_json_get_string(c, "Witness", &w, error))
			return FALSE;
		a->client_nonce = g_strdup(cn);
		a->server_nonce = g_strdup(sn);
		a->witness = g_strdup(w);
	}
	if (json_object_has_member(obj, "SSHKey")) {
		const char *udf = NULL, *line = NULL;
		g_autoptr(MeshKey) parsed = NULL;

		if (!mesh_json_get_object(obj, "SSHKey", &k, error) ||
		    !mesh_json_check_members(k, ssh_members, error) ||
		    !mesh_json_get_string(k, "UDF", &udf, error) ||
		    !mesh_json_get_string(k, "PublicKey", &line, error) ||
		    !mesh_keystore_check_udf(udf, error))
			return mesh_signed_recode(error, MESH_ERROR_MALFORMED);
		parsed = mesh_ssh_public_line_decode(line, error);
		if (parsed == NULL) {
			g_prefix_error(error, "SSHKey: ");
			return FALSE;
		}
		a->ssh_udf = g_strdup(udf);
		a->ssh_public = g_strdup(line);
	}
	if (json_object_has_member(obj, "Escrows") && !account_parse_escrows(obj, a, error))
		return FALSE;
	a->account = g_strdup(account);
	a->profile = g_strdup(profile);
	a->device = g_strdup(device);
	a->portal = g_strdup(portal);
	a->admin_key = g_strdup(admin);
	*ret = g_steal_pointer(&a);
	return TRUE;
}

/* The account entry of @account (NULL: the default account). */
static gboolean
account_read(MeshSession *session, const char *account, Account **ret, GError **error)
{
	g_autofree char *name = NULL;
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(GError) local = NULL;

	if (account == NULL) {
		if (!mesh_hive_get_default(session->hive, MESH_HIVE_ACCOUNTS, &name, &local)) {
			if (g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND))
				g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
				            "this machine holds no account: run 'mesh profile "
				            "create', 'mesh profile recover' or 'mesh connect "
				            "request'");
			else
				g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
	} else {
		if (!mesh_personal_check_account(account, error))
			return FALSE;
		name = account_entry(account);
	}
	if (!read_json(session->hive, MESH_HIVE_ACCOUNTS, name, ACCOUNT_MAX, &node, &local)) {
		if (g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND)) {
			g_autofree char *quoted =
			        mesh_error_quote(account != NULL ? account : name);

			g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
			            "this machine holds no account '%s'", quoted);
		} else {
			g_propagate_error(error, g_steal_pointer(&local));
		}
		return FALSE;
	}
	if (!account_parse(node, ret, error)) {
		g_prefix_error(error, "%s/%s/%s: ", mesh_hive_location(session->hive),
		               mesh_hive_folder_name(MESH_HIVE_ACCOUNTS), name);
		return FALSE;
	}
	return TRUE;
}

static gboolean
account_absent(MeshSession *session, const char *account, GError **error)
{
	g_autoptr(Account) a = NULL;
	g_autoptr(GError) local = NULL;

	if (account_read(session, account, &a, &local) && a->witness == NULL) {
		g_autofree char *quoted = mesh_error_quote(account);

		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
		            "this machine holds the account '%s' already", quoted);
		return FALSE;
	}
	if (local != NULL && !g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND)) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	return TRUE;
}

/* Raise the serials @a records to those of @personal (in memory only). */
static void
account_note(Account *a, const MeshPersonalProfile *personal)
{
	a->serial = MAX(a->serial, personal->serial);
	a->master_serial = MAX(a->master_serial, personal->master->serial);
}

/*
 * Store the signed personal profile @node (@personal, verified) of the account @a, and raise
 * the serials the account entry records: the floor a repair from the portal must reach
 * (mesh_session_profile_sync). The entry is read again: another request may have changed or
 * removed it while this one waited for the portal; an entry not written yet (recovery writes
 * it last) gets the serials from @a.
 */
static gboolean
store_personal(MeshSession *session, Account *a, JsonNode *node,
               const MeshPersonalProfile *personal, GError **error)
{
	g_autofree char *name = json_name(personal->identifier);
	g_autoptr(Account) stored = NULL;

	account_note(a, personal);
	if (!write_json(session->hive, MESH_HIVE_PERSONAL_PROFILES, name, node, error))
		return FALSE;
	if (!account_read(session, a->account, &stored, NULL) ||
	    (stored->serial >= a->serial && stored->master_serial >= a->master_serial))
		return TRUE;
	account_note(stored, personal);
	return account_write(session, stored, error);
}

/* ---- Portal -------------------------------------------------------------------------------- */

/* The portal of an account this machine does not hold (yet): @url when given (normalised),
 * else the account domain's. */
static MeshPortalClient *
portal_open(MeshSession *session, const char *account, const char *url, GError **error)
{
	g_autofree char *normal = NULL;

	if (session->open_portal == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
		            "this session has no portal");
		return NULL;
	}
	if (url != NULL && (normal = mesh_portal_url_normalize(url, error)) == NULL)
		return NULL;
	return session->open_portal(session->portal_data, account_domain(account), normal, error);
}

/* The URL to remember for a portal given as @url (checked by portal_open), or NULL. */
static char *
portal_remember(const char *url)
{
	return url != NULL ? mesh_portal_url_normalize(url, NULL) : NULL;
}

/* The normal form of the portal the stored account @a uses. */
static char *
account_portal_url(const Account *a, GError **error)
{
	const char *domain = account_domain(a->account);

	if (a->portal != NULL)
		return mesh_portal_url_normalize(a->portal, error);
	if (domain != NULL)
		return mesh_portal_url_for_domain(domain);
	g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
	            "the account %s has no domain and remembers no portal", a->account);
	return NULL;
}

/*
 * The portal of the stored account @a: the one it remembers (or its domain's). A portal the
 * caller named (@named, else the session's) must be that one: an account is moved to another
 * portal on purpose only (mesh_session_profile_set_portal), never by a stray --portal or
 * MESH_PORTAL_URL.
 */
static MeshPortalClient *
account_portal_open(MeshSession *session, const Account *a, const char *named, GError **error)
{
	g_autofree char *url = account_portal_url(a, error);
	g_autofree char *given = NULL;

	if (url == NULL)
		return NULL;
	if (named == NULL)
		named = session->portal_url;
	if (named != NULL) {
		given = mesh_portal_url_normalize(named, error);
		if (given == NULL)
			return NULL;
		if (!g_str_equal(given, url)) {
			g_set_error(
			        error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			        "the portal given (%s: --portal or MESH_PORTAL_URL) is not the "
			        "one %s uses (%s): leave it out, or move the account with 'mesh "
			        "profile set-portal %s %s'",
			        given, a->account, url, a->account, given);
			return NULL;
		}
	}
	return portal_open(session, a->account, a->portal != NULL ? url : NULL, error);
}

static JsonObject *
portal_plain(MeshPortalClient *client, const char *tag, JsonObject *request, GError **error)
{
	g_autofree char *text = mesh_portal_request_text(tag, request);

	return mesh_portal_client_call(client, tag, text, error);
}

/* A SignedTransaction by the key @udf of the key store. */
static JsonObject *
portal_signed(MeshSession *session, MeshPortalClient *client, const char *tag, JsonObject *request,
              const char *udf, GError **error)
{
	g_autoptr(MeshKey) key = NULL;
	g_autofree char *issued = session_time(session);
	g_autofree char *text = NULL;
	MeshKeyStoreSigner signer = {session->store, udf};

	if (!mesh_keystore_get_public(session->store, udf, &key, error)) {
		json_object_unref(request);
		return NULL;
	}
	text = mesh_portal_request_sign_at(tag, request, issued, NULL, key, mesh_keystore_jws_sign,
	                                   &signer, error);
	if (text == NULL)
		return NULL;
	return mesh_portal_client_call(client, tag, text, error);
}

static JsonObject *
obj_string(const char *member, const char *value)
{
	JsonObject *obj = json_object_new();

	json_object_set_string_member(obj, member, value);
	return obj;
}

/* The first entry of a GetResponse (a new reference). */
static JsonNode *
portal_get(MeshPortalClient *client, const char *member, const char *value, GError **error)
{
	g_autoptr(JsonObject) response = NULL;
	JsonArray *entries = NULL;

	response = portal_plain(client, "GetRequest", obj_string(member, value), error);
	if (response == NULL || !mesh_json_get_array(response, "Entries", &entries, error))
		return NULL;
	if (json_array_get_length(entries) != 1) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_PROTOCOL,
		            "the portal answered %u entries to a Get of one",
		            json_array_get_length(entries));
		return NULL;
	}
	return json_node_copy(json_array_get_element(entries, 0));
}

static MeshPersonalProfile *
portal_get_personal(MeshPortalClient *client, const char *account, JsonNode **ret_signed,
                    GError **error)
{
	g_autoptr(JsonNode) node = portal_get(client, "Account", account, error);
	MeshPersonalProfile *profile;

	if (node == NULL)
		return NULL;
	profile = mesh_personal_profile_verify(node, error);
	if (profile == NULL) {
		g_prefix_error(error, "the portal's profile of %s: ", account);
		return NULL;
	}
	if (!g_str_equal(profile->account, account)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_WITNESS_MISMATCH,
		            "the portal answered with the profile of another account");
		mesh_personal_profile_free(profile);
		return NULL;
	}
	*ret_signed = g_steal_pointer(&node);
	return profile;
}

/* ---- Context of an operation on a stored account ------------------------------------------- */

typedef struct {
	MeshSession *session;
	Account *account;
	MeshPersonalProfile *personal;
	MeshDeviceProfile *device;
	MeshKey *admin; /* public; NULL unless an administration device */
	MeshPortalClient *client;
} Ctx;

static void
ctx_clear(Ctx *ctx)
{
	account_free(ctx->account);
	mesh_personal_profile_free(ctx->personal);
	mesh_device_profile_free(ctx->device);
	mesh_key_unref(ctx->admin);
	mesh_portal_client_close(ctx->client);
	memset(ctx, 0, sizeof *ctx);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Ctx, ctx_clear)

static gboolean
load_personal(MeshSession *session, const char *udf, MeshPersonalProfile **ret, GError **error)
{
	g_autofree char *name = json_name(udf);
	g_autoptr(JsonNode) node = NULL;
	MeshPersonalProfile *profile;

	if (!read_json(session->hive, MESH_HIVE_PERSONAL_PROFILES, name, MESH_PROFILE_MAX, &node,
	               error))
		return FALSE;
	profile = mesh_personal_profile_verify(node, error);
	if (profile == NULL || !g_str_equal(profile->identifier, udf)) {
		if (profile != NULL)
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			            "it holds another profile");
		mesh_personal_profile_free(profile);
		g_prefix_error(error, "%s/%s/%s is damaged or was tampered with, and is not used: ",
		               mesh_hive_location(session->hive),
		               mesh_hive_folder_name(MESH_HIVE_PERSONAL_PROFILES), name);
		return FALSE;
	}
	*ret = profile;
	return TRUE;
}

/* The account entry of @account (not a pending connection) and this device into @ctx. */
static gboolean
ctx_open_entry(Ctx *ctx, MeshSession *session, const char *account, GError **error)
{
	ctx->session = session;
	if (!account_read(session, account, &ctx->account, error))
		return FALSE;
	if (ctx->account->witness != NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
		            "the connection of this device to %s is still pending: run 'mesh "
		            "connect status'",
		            ctx->account->account);
		return FALSE;
	}
	return mesh_device_load(session->hive, ctx->account->device, &ctx->device, NULL, error);
}

/* The stored personal profile into @ctx; one that does not verify is reported with its fix. */
static gboolean
ctx_load_personal(Ctx *ctx, GError **error)
{
	if (!load_personal(ctx->session, ctx->account->profile, &ctx->personal, error)) {
		if (error != NULL && *error != NULL) {
			g_autofree char *what = (*error)->message;

			(*error)->message = g_strdup_printf(
			        "%s; to repair it from the portal, run 'mesh profile sync %s'",
			        what, ctx->account->account);
		}
		return FALSE;
	}
	/* An entry written before the serials were recorded gets them from the first profile
	 * that verifies (the floor of a repair: mesh_session_profile_sync). */
	if (ctx->account->serial == 0) {
		account_note(ctx->account, ctx->personal);
		return account_write(ctx->session, ctx->account, error);
	}
	return TRUE;
}

static gboolean
ctx_open(Ctx *ctx, MeshSession *session, const char *account, gboolean admin, gboolean portal,
         GError **error)
{
	if (!ctx_open_entry(ctx, session, account, error) || !ctx_load_personal(ctx, error))
		return FALSE;
	if (admin) {
		if (ctx->account->admin_key == NULL ||
		    mesh_master_profile_online_key(ctx->personal->master,
		                                   ctx->account->admin_key) == NULL) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_UNAUTHORIZED,
			            "this device is not an administration device of %s",
			            ctx->account->account);
			return FALSE;
		}
		if (!mesh_keystore_get_public(session->store, ctx->account->admin_key, &ctx->admin,
		                              error))
			return FALSE;
	}
	if (portal) {
		ctx->client = account_portal_open(session, ctx->account, NULL, error);
		if (ctx->client == NULL)
			return FALSE;
	}
	return TRUE;
}

static gboolean
ctx_publish(Ctx *ctx, JsonNode *entry, GError **error)
{
	JsonObject *request = obj_string("Account", ctx->account->account);
	g_autoptr(JsonObject) response = NULL;

	json_object_set_member(request, "Entry", json_node_copy(entry));
	response = portal_signed(ctx->session, ctx->client, "PublishRequest", request,
	                         ctx->account->admin_key, error);
	return response != NULL;
}

/* Sign, publish and store the personal profile (already changed and touched). */
static gboolean
ctx_publish_personal(Ctx *ctx, GError **error)
{
	MeshKeyStoreSigner signer = {ctx->session->store, ctx->account->admin_key};
	g_autoptr(JsonNode) node = NULL;

	node = mesh_personal_profile_sign(ctx->personal, ctx->admin, mesh_keystore_jws_sign,
	                                  &signer, error);
	return node != NULL && ctx_publish(ctx, node, error) &&
	       store_personal(ctx->session, ctx->account, node, ctx->personal, error);
}

static gboolean
ctx_load_app(Ctx *ctx, const char *identifier, MeshApplicationProfile **ret, GError **error)
{
	g_autofree char *name = json_name(identifier);
	g_autoptr(JsonNode) node = NULL;
	MeshApplicationProfile *app;

	if (!read_json(ctx->session->hive, MESH_HIVE_APPLICATION_PROFILES, name, MESH_PROFILE_MAX,
	               &node, error))
		return FALSE;
	app = mesh_application_profile_verify(node, ctx->personal->master, error);
	if (app == NULL || !g_str_equal(app->identifier, identifier)) {
		if (app != NULL)
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			            "it holds another application profile");
		mesh_application_profile_free(app);
		g_prefix_error(error, "%s/%s/%s is damaged or was tampered with, and is not used: ",
		               mesh_hive_location(ctx->session->hive),
		               mesh_hive_folder_name(MESH_HIVE_APPLICATION_PROFILES), name);
		return FALSE;
	}
	*ret = app;
	return TRUE;
}

/* Decrypt @app with this device's encryption key. */
static MeshSecret *
ctx_open_app(Ctx *ctx, const MeshApplicationProfile *app, GError **error)
{
	/* The key agreement happens in the store: a TPM's key never leaves it. */
	MeshKeyStoreSigner key = {ctx->session->store, mesh_key_udf(ctx->device->encryption_key)};

	return mesh_application_profile_open_with(app, ctx->device->encryption_key,
	                                          mesh_keystore_jwe_agree, &key, error);
}

/* Seal @plaintext into @app (whose entry is in the personal profile), sign, publish, store. */
static gboolean
ctx_save_app(Ctx *ctx, MeshApplicationProfile *app, const MeshSecret *plaintext, GError **error)
{
	MeshKeyStoreSigner signer = {ctx->session->store, ctx->account->admin_key};
	g_autoptr(JsonNode) node = NULL;
	g_autofree char *name = json_name(app->identifier);

	if (!mesh_application_profile_seal(app, plaintext, ctx->personal, error))
		return FALSE;
	node = mesh_application_profile_sign(app, ctx->personal->master, ctx->admin,
	                                     mesh_keystore_jws_sign, &signer, error);
	return node != NULL && ctx_publish(ctx, node, error) &&
	       write_json(ctx->session->hive, MESH_HIVE_APPLICATION_PROFILES, name, node, error);
}

static GPtrArray *
device_udfs(const MeshPersonalProfile *personal)
{
	GPtrArray *udfs = g_ptr_array_new();

	for (guint i = 0; i < personal->devices->len; i++) {
		const MeshPersonalDevice *d = g_ptr_array_index(personal->devices, i);

		g_ptr_array_add(udfs, d->profile->identifier);
	}
	g_ptr_array_add(udfs, NULL);
	return udfs;
}

/* Add the new application profile @app holding @plaintext, readable by every device of the
 * profile; the personal profile is published with it. */
static gboolean
ctx_app_add(Ctx *ctx, MeshApplicationProfile *app, const MeshSecret *plaintext,
            char **ret_identifier, GError **error)
{
	g_autoptr(MeshApplicationEntry) entry = NULL;
	g_autoptr(GPtrArray) devices = device_udfs(ctx->personal);
	const char *sign_id[] = {ctx->device->identifier, NULL};

	entry = mesh_application_entry_new(app->identifier, app->type, app->friendly, sign_id,
	                                   (const char *const *)devices->pdata, error);
	if (entry == NULL || !mesh_personal_profile_add_application(ctx->personal, entry, error))
		return FALSE;
	g_steal_pointer(&entry);
	if (!ctx_save_app(ctx, app, plaintext, error) ||
	    !mesh_personal_profile_touch(ctx->personal, error) || !ctx_publish_personal(ctx, error))
		return FALSE;
	if (ret_identifier != NULL)
		*ret_identifier = g_strdup(app->identifier);
	return TRUE;
}

/* A new application profile of @type named @friendly holding @plaintext (as ctx_app_add). */
static gboolean
ctx_app_create(Ctx *ctx, MeshApplicationType type, const char *friendly,
               const MeshSecret *plaintext, char **ret_identifier, GError **error)
{
	g_autoptr(MeshApplicationProfile) app = mesh_application_profile_new(type, friendly, error);

	return app != NULL && ctx_app_add(ctx, app, plaintext, ret_identifier, error);
}

static MeshApplicationEntry *
find_app(const MeshPersonalProfile *personal, MeshApplicationType type, const char *friendly)
{
	for (guint i = 0; i < personal->applications->len; i++) {
		MeshApplicationEntry *e = g_ptr_array_index(personal->applications, i);

		if (e->type == type && (friendly == NULL || g_strcmp0(e->friendly, friendly) == 0))
			return e;
	}
	return NULL;
}

/* ---- Results ------------------------------------------------------------------------------- */

void
mesh_session_app_free(MeshSessionApp *app)
{
	if (app == NULL)
		return;
	g_free(app->identifier);
	g_free(app->friendly);
	g_free(app);
}

void
mesh_session_profile_free(MeshSessionProfile *profile)
{
	if (profile == NULL)
		return;
	g_free(profile->identifier);
	g_free(profile->account);
	g_clear_pointer(&profile->devices, g_ptr_array_unref);
	g_clear_pointer(&profile->applications, g_ptr_array_unref);
	g_free(profile->portal);
	g_free(profile->admin_key);
	g_clear_pointer(&profile->escrows, g_ptr_array_unref);
	g_free(profile);
}

static GPtrArray *
app_infos(const MeshPersonalProfile *personal)
{
	GPtrArray *apps = g_ptr_array_new_with_free_func((GDestroyNotify)mesh_session_app_free);

	for (guint i = 0; i < personal->applications->len; i++) {
		const MeshApplicationEntry *e = g_ptr_array_index(personal->applications, i);
		MeshSessionApp *app = g_new0(MeshSessionApp, 1);

		app->identifier = g_strdup(e->identifier);
		app->type = e->type;
		app->friendly = g_strdup(e->friendly);
		g_ptr_array_add(apps, app);
	}
	return apps;
}

/* Whether this device's key store holds the key @udf. */
static gboolean
holds_key(MeshSession *session, const char *udf)
{
	g_autoptr(MeshKey) key = NULL;

	return mesh_keystore_get_public(session->store, udf, &key, NULL);
}

static MeshSessionProfile *
profile_info(MeshSession *session, const Account *a, const MeshPersonalProfile *personal)
{
	MeshSessionProfile *info = g_new0(MeshSessionProfile, 1);

	info->identifier = g_strdup(personal->identifier);
	info->account = g_strdup(personal->account);
	info->serial = personal->serial;
	info->devices = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < personal->devices->len; i++) {
		const MeshPersonalDevice *d = g_ptr_array_index(personal->devices, i);

		g_ptr_array_add(info->devices, g_strdup(d->profile->identifier));
	}
	info->applications = app_infos(personal);
	info->portal = g_strdup(a->portal);
	info->admin_key = g_strdup(a->admin_key);
	info->escrows = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; a->escrows != NULL && i < a->escrows->len; i++)
		g_ptr_array_add(info->escrows, g_strdup(a->escrows->pdata[i]));
	info->master_keys = holds_key(session, personal->identifier);
	return info;
}

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

/* ---- Accounts and profiles ----------------------------------------------------------------- */

gboolean
mesh_session_account_validate(MeshSession *session, const char *account, const char *portal_url,
                              gboolean *ret_valid, char **ret_reason, GError **error)
{
	g_autoptr(MeshPortalClient) client = NULL;
	g_autoptr(JsonObject) response = NULL;
	const char *reason = NULL;

	if (!mesh_personal_check_account(account, error))
		return FALSE;
	client = portal_open(session, account, portal_url, error);
	if (client == NULL)
		return FALSE;
	response = portal_plain(client, "ValidateRequest", obj_string("Account", account), error);
	if (response == NULL)
		return FALSE;
	if (!json_object_has_member(response, "Valid") ||
	    json_node_get_value_type(json_object_get_member(response, "Valid")) != G_TYPE_BOOLEAN ||
	    !mesh_json_get_string_opt(response, "Reason", &reason, error)) {
		g_clear_error(error);
		g_set_error(error, MESH_ERROR, MESH_ERROR_PROTOCOL,
		            "the portal's ValidateResponse has no boolean Valid");
		return FALSE;
	}
	/* The reason is shown to the user: the portal's text must be printable (1 KiB at most). */
	if (!mesh_signed_check_text("portal's Reason", reason, 1024, error)) {
		mesh_signed_recode(error, MESH_ERROR_PROTOCOL);
		return FALSE;
	}
	*ret_valid = json_object_get_boolean_member(response, "Valid");
	if (ret_reason != NULL)
		*ret_reason = *ret_valid ? NULL : g_strdup(reason);
	return TRUE;
}

void
mesh_session_keys_locked_error(GError **error)
{
	g_set_error(error, MESH_ERROR, MESH_ERROR_LOCKED,
	            "this hive's keys are protected by a passphrase and locked, and new keys must "
	            "be protected by it too: run 'mesh unlock', then try again");
}

/* Refuse to make keys while the hive's protected keys are locked (MeshSession.keys_locked). */
static gboolean
may_make_keys(MeshSession *session, GError **error)
{
	if (!session->keys_locked)
		return TRUE;
	mesh_session_keys_locked_error(error);
	return FALSE;
}

/* The default device, made when there is none. */
static gboolean
this_device(MeshSession *session, MeshDeviceProfile **ret, JsonNode **ret_signed, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(MeshDeviceProfile) made = NULL;

	if (mesh_device_load(session->hive, NULL, ret, ret_signed, &local))
		return TRUE;
	if (!g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND)) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (!may_make_keys(session, error) ||
	    !mesh_device_create(session->hive, session->store, NULL, session->passphrase, &made,
	                        error))
		return FALSE;
	return mesh_device_load(session->hive, made->identifier, ret, ret_signed, error);
}

static void
remove_keys(MeshSession *session, MeshKey **keys, guint n)
{
	for (guint i = 0; i < n; i++) {
		if (keys[i] != NULL)
			mesh_keystore_remove(session->store, mesh_key_udf(keys[i]), NULL);
	}
}

/*
 * A master key: made in software and imported, since escrow must export it (a store that cannot
 * import, such as a TPM, hands it to a software store: see backends/router.h). The public key
 * in *@ret_public.
 */
static gboolean
generate_exportable(MeshSession *session, MeshKeyAlg alg, MeshKeyUse use, MeshKey **ret_public,
                    GError **error)
{
	g_autoptr(MeshKey) priv = mesh_key_generate(alg, error);

	if (priv == NULL ||
	    !mesh_keystore_import(session->store, priv, use, session->passphrase, error))
		return FALSE;
	*ret_public = mesh_key_get_public(priv, error);
	return *ret_public != NULL;
}

gboolean
mesh_session_profile_create(MeshSession *session, const char *account, const char *portal_url,
                            MeshSessionProfile **ret_profile, GError **error)
{
	gboolean edwards = edwards_store(session->store);
	MeshKeyAlg sign_alg = edwards ? MESH_KEY_ED25519 : MESH_KEY_P256;
	MeshKey *keys[3] = {NULL, NULL, NULL}; /* master signature, escrow, administration */
	g_autoptr(MeshDeviceProfile) device = NULL;
	g_autoptr(JsonNode) signed_device = NULL;
	g_autoptr(MeshMasterProfile) master = NULL;
	g_autoptr(JsonNode) signed_master = NULL;
	g_autoptr(MeshPersonalProfile) personal = NULL;
	g_autoptr(JsonNode) signed_personal = NULL;
	g_autoptr(MeshPortalClient) client = NULL;
	g_autoptr(JsonObject) response = NULL;
	g_autoptr(Account) a = NULL;
	g_autofree char *name = NULL;
	MeshKeyStoreSigner signer = {session->store, NULL};
	JsonObject *request;
	gboolean ok = FALSE;

	if (!mesh_personal_check_account(account, error) || !may_make_keys(session, error) ||
	    !account_absent(session, account, error) ||
	    !this_device(session, &device, &signed_device, error))
		return FALSE;
	client = portal_open(session, account, portal_url, error);
	if (client == NULL)
		return FALSE;
	if (!generate_exportable(session, MESH_KEY_ED25519, MESH_KEY_USE_SIGNATURE, &keys[0],
	                         error) ||
	    !generate_exportable(session, MESH_KEY_X25519, MESH_KEY_USE_ENCRYPTION, &keys[1],
	                         error) ||
	    !mesh_keystore_generate(session->store, sign_alg, MESH_KEY_USE_SIGNATURE,
	                            session->passphrase, &keys[2], error))
		goto out;
	master = mesh_master_profile_new(keys[0], &keys[1], 1, &keys[2], 1, error);
	if (master == NULL)
		goto out;
	signer.udf = master->identifier;
	signed_master = mesh_master_profile_sign(master, mesh_keystore_jws_sign, &signer, error);
	if (signed_master == NULL)
		goto out;
	personal = mesh_personal_profile_new(account, signed_master, error);
	if (personal == NULL || !mesh_personal_profile_add_device(personal, signed_device, error))
		goto out;
	signer.udf = mesh_key_udf(keys[2]);
	signed_personal = mesh_personal_profile_sign(personal, keys[2], mesh_keystore_jws_sign,
	                                             &signer, error);
	if (signed_personal == NULL)
		goto out;
	request = obj_string("Account", account);
	json_object_set_member(request, "Profile", json_node_copy(signed_personal));
	response = portal_plain(client, "CreateRequest", request, error);
	if (response == NULL)
		goto out;
	name = json_name(personal->identifier);
	a = g_new0(Account, 1);
	a->account = g_strdup(account);
	a->profile = g_strdup(personal->identifier);
	a->device = g_strdup(device->identifier);
	a->portal = portal_remember(portal_url);
	a->admin_key = g_strdup(mesh_key_udf(keys[2]));
	account_note(a, personal);
	if (!write_json(session->hive, MESH_HIVE_PERSONAL_PROFILES, name, signed_personal, error) ||
	    !account_write(session, a, error))
		goto out;
	if (ret_profile != NULL)
		*ret_profile = profile_info(session, a, personal);
	ok = TRUE;
out:
	if (!ok) {
		/* The portal may hold the account now; without its keys it could never be changed
		 * again, but neither could a half-made local copy. Remove what was made here. */
		remove_keys(session, keys, 3);
		if (name != NULL)
			mesh_hive_remove(session->hive, MESH_HIVE_PERSONAL_PROFILES, name, NULL);
	}
	for (int i = 0; i < 3; i++)
		mesh_key_unref(keys[i]);
	return ok;
}

gboolean
mesh_session_profile_get(MeshSession *session, const char *account,
                         MeshSessionProfile **ret_profile, GError **error)
{
	g_auto(Ctx) ctx = {0};

	if (!ctx_open(&ctx, session, account, FALSE, FALSE, error))
		return FALSE;
	*ret_profile = profile_info(session, ctx.account, ctx.personal);
	return TRUE;
}

gboolean
mesh_session_profile_list(MeshSession *session, GPtrArray **ret_accounts, char **ret_default,
                          GError **error)
{
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GPtrArray) accounts = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *def = NULL;
	char *def_account = NULL;

	if (!mesh_hive_list(session->hive, MESH_HIVE_ACCOUNTS, &names, error))
		return FALSE;
	if (!mesh_hive_get_default(session->hive, MESH_HIVE_ACCOUNTS, &def, NULL))
		def = NULL;
	for (guint i = 0; i < names->len; i++) {
		g_autoptr(JsonNode) node = NULL;
		g_autoptr(Account) a = NULL;

		/* An entry that does not read is skipped here; profile get reports it. */
		if (!read_json(session->hive, MESH_HIVE_ACCOUNTS, names->pdata[i], ACCOUNT_MAX,
		               &node, NULL) ||
		    !account_parse(node, &a, NULL))
			continue;
		if (def != NULL && g_str_equal(def, names->pdata[i]))
			def_account = a->account;
		g_ptr_array_add(accounts, g_steal_pointer(&a->account));
	}
	if (ret_default != NULL)
		*ret_default = g_strdup(def_account);
	*ret_accounts = g_steal_pointer(&accounts);
	return TRUE;
}

void
mesh_session_damage_free(MeshSessionDamage *damage)
{
	if (damage == NULL)
		return;
	g_free(damage->entry);
	g_free(damage->account);
	g_free(damage->message);
	g_free(damage->fix);
	g_free(damage);
}

/* The account the Accounts/ entry @name is for ("_AT_" back to '@'), or NULL when the name is
 * not an account's (a digest, for a long account). */
static char *
entry_account(const char *name)
{
	g_auto(GStrv) parts = g_strsplit(name, AT_ESCAPE, 2);
	g_autofree char *account = g_strjoinv("@", parts);

	return mesh_personal_check_account(account, NULL) ? g_steal_pointer(&account) : NULL;
}

static void
add_damage(GPtrArray *list, MeshHiveFolder folder, const char *name, const char *account,
           const GError *cause, char *fix)
{
	MeshSessionDamage *d = g_new0(MeshSessionDamage, 1);

	d->entry = g_strdup_printf("%s/%s", mesh_hive_folder_name(folder), name);
	d->account = g_strdup(account);
	d->code = cause->domain == MESH_ERROR ? cause->code : MESH_ERROR_FAILED;
	d->message = g_strdup(cause->message);
	d->fix = fix;
	g_ptr_array_add(list, d);
}

gboolean
mesh_session_profile_list_damaged(MeshSession *session, GPtrArray **ret_damaged, GError **error)
{
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GPtrArray) list =
	        g_ptr_array_new_with_free_func((GDestroyNotify)mesh_session_damage_free);

	if (!mesh_hive_list(session->hive, MESH_HIVE_ACCOUNTS, &names, error))
		return FALSE;
	for (guint i = 0; i < names->len; i++) {
		const char *name = names->pdata[i];
		g_autoptr(JsonNode) node = NULL;
		g_autoptr(Account) a = NULL;
		g_autoptr(MeshPersonalProfile) personal = NULL;
		g_autoptr(GError) local = NULL;
		g_autofree char *account = NULL;
		g_autofree char *profile_name = NULL;

		if (!read_json(session->hive, MESH_HIVE_ACCOUNTS, name, ACCOUNT_MAX, &node,
		               &local) ||
		    !account_parse(node, &a, &local)) {
			/* Gone since it was listed: nothing wrong. */
			if (g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND))
				continue;
			account = entry_account(name);
			add_damage(
			        list, MESH_HIVE_ACCOUNTS, name, account, local,
			        account != NULL
			                ? g_strdup_printf(
			                          "remove it with 'mesh profile delete %s --yes', "
			                          "then join the account again ('mesh connect "
			                          "request %s', or 'mesh profile recover %s "
			                          "SHARE...')",
			                          account, account, account)
			                : g_strdup_printf("remove the file %s/%s/%s, then join the "
			                                  "account again",
			                                  mesh_hive_location(session->hive),
			                                  mesh_hive_folder_name(MESH_HIVE_ACCOUNTS),
			                                  name));
			continue;
		}
		/* A pending connection has no profile yet. */
		if (a->witness != NULL || load_personal(session, a->profile, &personal, &local))
			continue;
		profile_name = json_name(a->profile);
		add_damage(list, MESH_HIVE_PERSONAL_PROFILES, profile_name, a->account, local,
		           g_strdup_printf("run 'mesh profile sync %s' to fetch it from the portal "
		                           "again",
		                           a->account));
	}
	*ret_damaged = g_steal_pointer(&list);
	return TRUE;
}

static gboolean ctx_load_admin(Ctx *ctx, gboolean *ret_admin, GError **error);
static gboolean ctx_fold_ssh(Ctx *ctx, GError **error);

/* Fetch, verify and store the application profiles @personal lists. */
static gboolean
sync_apps(MeshSession *session, MeshPortalClient *client, const MeshPersonalProfile *personal,
          GError **error)
{
	for (guint i = 0; i < personal->applications->len; i++) {
		const MeshApplicationEntry *e = g_ptr_array_index(personal->applications, i);
		g_autoptr(JsonNode) node = portal_get(client, "Identifier", e->identifier, error);
		g_autoptr(MeshApplicationProfile) app = NULL;
		g_autoptr(JsonNode) old_node = NULL;
		g_autoptr(MeshApplicationProfile) old = NULL;
		g_autofree char *name = json_name(e->identifier);

		if (node == NULL)
			return FALSE;
		app = mesh_application_profile_verify(node, personal->master, error);
		if (app == NULL || !g_str_equal(app->identifier, e->identifier)) {
			if (app != NULL)
				g_set_error(error, MESH_ERROR, MESH_ERROR_PROTOCOL,
				            "the portal answered with another application profile");
			g_prefix_error(error, "application %s: ", e->identifier);
			return FALSE;
		}
		if (read_json(session->hive, MESH_HIVE_APPLICATION_PROFILES, name, MESH_PROFILE_MAX,
		              &old_node, NULL))
			old = mesh_application_profile_verify(old_node, personal->master, NULL);
		if (old != NULL && old->serial > app->serial) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_STALE,
			            "application %s: the portal offers Serial %" G_GINT64_FORMAT
			            ", this device holds %" G_GINT64_FORMAT,
			            e->identifier, app->serial, old->serial);
			return FALSE;
		}
		if (!write_json(session->hive, MESH_HIVE_APPLICATION_PROFILES, name, node, error))
			return FALSE;
	}
	return TRUE;
}

/* Forget the application profiles that @old listed and @fresh no longer does (deleted). */
static void
drop_apps(MeshSession *session, const MeshPersonalProfile *old, const MeshPersonalProfile *fresh)
{
	for (guint i = 0; old != NULL && i < old->applications->len; i++) {
		const MeshApplicationEntry *e = g_ptr_array_index(old->applications, i);
		g_autofree char *name = NULL;

		if (mesh_personal_profile_application(fresh, e->identifier) != NULL)
			continue;
		name = json_name(e->identifier);
		mesh_hive_remove(session->hive, MESH_HIVE_APPLICATION_PROFILES, name, NULL);
	}
}

/*
 * Whether the portal's profile @fresh may take the place of the one the stored account @a
 * holds: the Identifier the entry names (the master key's UDF: that key signed the master
 * profile, and an administration key of that master profile the whole), serials not below the
 * ones this device stored, this device still listed. What the portal cannot fake: a profile of
 * another master key, an older one (a removed device or key back), or one without this device.
 */
static gboolean
check_portal_profile(const Account *a, const MeshPersonalProfile *fresh, GError **error)
{
	if (!g_str_equal(fresh->identifier, a->profile)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_WITNESS_MISMATCH,
		            "the portal holds the profile %s for %s, not %s: nothing was changed",
		            fresh->identifier, a->account, a->profile);
		return FALSE;
	}
	if (fresh->serial < a->serial || fresh->master->serial < a->master_serial) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_STALE,
		            "the portal offers an older profile of %s (Serial %" G_GINT64_FORMAT
		            ", master Serial %" G_GINT64_FORMAT
		            ") than this device has stored (%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
		            "): nothing was changed",
		            a->account, fresh->serial, fresh->master->serial, a->serial,
		            a->master_serial);
		return FALSE;
	}
	if (mesh_personal_profile_device(fresh, a->device) == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
		            "the portal's profile of %s (Serial %" G_GINT64_FORMAT
		            ") does not list this device (%s): an administration device removed "
		            "it, or the portal is not honest; nothing was changed",
		            a->account, fresh->serial, a->device);
		return FALSE;
	}
	return TRUE;
}

gboolean
mesh_session_profile_sync(MeshSession *session, const char *account,
                          MeshSessionProfile **ret_profile, GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(MeshPersonalProfile) fresh = NULL;
	g_autoptr(JsonNode) node = NULL;
	gboolean admin = FALSE;

	if (!ctx_open_entry(&ctx, session, account, error))
		return FALSE;
	/* A stored profile that is missing or does not verify is repaired: the account entry
	 * says which profile the portal must offer, and the serials it must reach. */
	if (load_personal(session, ctx.account->profile, &ctx.personal, NULL))
		account_note(ctx.account, ctx.personal);
	ctx.client = account_portal_open(session, ctx.account, NULL, error);
	if (ctx.client == NULL)
		return FALSE;
	fresh = portal_get_personal(ctx.client, ctx.account->account, &node, error);
	if (fresh == NULL || !check_portal_profile(ctx.account, fresh, error) ||
	    !sync_apps(session, ctx.client, fresh, error) ||
	    !store_personal(session, ctx.account, node, fresh, error))
		return FALSE;
	drop_apps(session, ctx.personal, fresh);
	/* An administration device lists the SSH keys the devices published since. */
	mesh_personal_profile_free(ctx.personal);
	ctx.personal = g_steal_pointer(&fresh);
	if (!ctx_load_admin(&ctx, &admin, error) || (admin && !ctx_fold_ssh(&ctx, error)))
		return FALSE;
	if (ret_profile != NULL)
		*ret_profile = profile_info(session, ctx.account, ctx.personal);
	return TRUE;
}

/*
 * Whether deleting @a here (its personal profile @personal, NULL when it does not read) would
 * lose the profile for good: this device holds its master keys, or is its only administration
 * device, and no escrow of them is known here. Then MESH_ERROR_PERMISSION saying so.
 */
static gboolean
delete_loses_nothing(MeshSession *session, const Account *a, const MeshPersonalProfile *personal,
                     GError **error)
{
	gboolean master = holds_key(session, a->profile);
	gboolean only_admin = FALSE;
	g_autofree char *quoted = mesh_error_quote(a->account);

	if (a->escrows != NULL && a->escrows->len > 0)
		return TRUE;
	/* A profile that does not read might list no other administration key: assume so. */
	if (a->admin_key != NULL)
		only_admin =
		        personal == NULL ||
		        (personal->master->online_keys->len == 1 &&
		         mesh_master_profile_online_key(personal->master, a->admin_key) != NULL);
	if (!master && !only_admin)
		return TRUE;
	g_set_error(
	        error, MESH_ERROR, MESH_ERROR_PERMISSION,
	        "%s: this device %s, and no escrow of the master keys is known here: deleting "
	        "the profile here would lose %s for good (no device could change the profile "
	        "again; the account stays on its portal, its name taken). Make an escrow first "
	        "('mesh escrow create --quorum 2 --shares 3 --account %s') and keep the shares, "
	        "or give --force to delete it anyway",
	        quoted,
	        master && only_admin ? "holds the master keys and is the only administration "
	                               "device"
	        : master             ? "holds the master keys"
	                             : "is the only administration device",
	        master && only_admin ? "the master keys and the only administration key"
	        : master             ? "the master keys"
	                             : "the only administration key",
	        quoted);
	return FALSE;
}

gboolean
mesh_session_profile_set_portal(MeshSession *session, const char *account, const char *url,
                                MeshSessionProfile **ret_profile, GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(MeshPersonalProfile) fresh = NULL;
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(Account) now = NULL;
	g_autofree char *normal = mesh_portal_url_normalize(url, error);

	if (normal == NULL || !ctx_open_entry(&ctx, session, account, error))
		return FALSE;
	if (load_personal(session, ctx.account->profile, &ctx.personal, NULL))
		account_note(ctx.account, ctx.personal);
	ctx.client = portal_open(session, ctx.account->account, normal, error);
	if (ctx.client == NULL)
		return FALSE;
	fresh = portal_get_personal(ctx.client, ctx.account->account, &node, error);
	if (fresh == NULL || !check_portal_profile(ctx.account, fresh, error)) {
		g_prefix_error(error, "%s was not moved to %s: ", ctx.account->account, normal);
		return FALSE;
	}
	/* The entry as it is now: other requests ran while this one waited for the portal. */
	if (!account_read(session, ctx.account->account, &now, error))
		return FALSE;
	g_free(now->portal);
	now->portal = g_steal_pointer(&normal);
	if (!account_write(session, now, error))
		return FALSE;
	if (ret_profile != NULL)
		*ret_profile = profile_info(session, now, fresh);
	return TRUE;
}

/* Remove the Accounts/ entry @name, and the default when it names it. */
static gboolean
remove_entry(MeshSession *session, const char *name, GError **error)
{
	g_autofree char *def = NULL;

	if (!mesh_hive_remove(session->hive, MESH_HIVE_ACCOUNTS, name, error))
		return FALSE;
	if (mesh_hive_get_default(session->hive, MESH_HIVE_ACCOUNTS, &def, NULL) &&
	    g_str_equal(def, name))
		mesh_hive_remove(session->hive, MESH_HIVE_ACCOUNTS, MESH_HIVE_DEFAULT, NULL);
	return TRUE;
}

/* Whether account_read of the valid account name @account failed on what its entry holds (it
 * is there, but damaged): not on a missing entry or one the hive cannot read. */
static gboolean
entry_damaged(const char *account, const GError *cause)
{
	return account != NULL && mesh_personal_check_account(account, NULL) &&
	       !g_error_matches(cause, MESH_ERROR, MESH_ERROR_NOT_FOUND) &&
	       !g_error_matches(cause, MESH_ERROR, MESH_ERROR_IO) &&
	       !g_error_matches(cause, MESH_ERROR, MESH_ERROR_PERMISSION);
}

/*
 * What the unreadable Accounts/ entry of @account named, from the stored personal profile of
 * @account that verifies: the profile, and the administration key when the key store holds one
 * of its master profile's (this device's SSH key cannot be told). NULL when there is none.
 */
static Account *
damaged_account(MeshSession *session, const char *account)
{
	g_autoptr(GPtrArray) names = NULL;

	if (!mesh_hive_list(session->hive, MESH_HIVE_PERSONAL_PROFILES, &names, NULL))
		return NULL;
	for (guint i = 0; i < names->len; i++) {
		const char *name = names->pdata[i];
		g_autofree char *udf = NULL;
		g_autoptr(MeshPersonalProfile) p = NULL;
		Account *a;

		if (!g_str_has_suffix(name, JSON_SUFFIX))
			continue;
		udf = g_strndup(name, strlen(name) - strlen(JSON_SUFFIX));
		if (!load_personal(session, udf, &p, NULL) || !g_str_equal(p->account, account))
			continue;
		a = g_new0(Account, 1);
		a->account = g_strdup(account);
		a->profile = g_steal_pointer(&udf);
		for (guint k = 0; k < p->master->online_keys->len && a->admin_key == NULL; k++) {
			const char *key = mesh_key_udf(p->master->online_keys->pdata[k]);

			if (holds_key(session, key))
				a->admin_key = g_strdup(key);
		}
		return a;
	}
	return NULL;
}

gboolean
mesh_session_profile_delete(MeshSession *session, const char *account, gboolean force,
                            GError **error)
{
	g_autoptr(Account) a = NULL;
	g_autoptr(MeshPersonalProfile) personal = NULL;
	g_autoptr(GError) local = NULL;
	g_autofree char *name = NULL;
	g_autofree char *profile_name = NULL;

	if (!account_read(session, account, &a, &local)) {
		if (!entry_damaged(account, local)) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		/* An entry that does not read: the stored profile of the account tells what it
		 * named, and all of that goes, so that the account can be joined or recovered
		 * again; without one, the entry goes alone. */
		a = damaged_account(session, account);
		if (a == NULL) {
			name = account_entry(account);
			return remove_entry(session, name, error);
		}
	}
	name = account_entry(a->account);
	profile_name = json_name(a->profile);
	if (a->witness == NULL)
		(void)load_personal(session, a->profile, &personal, NULL);
	/* A pending connection holds no key of the profile. */
	if (!force && a->witness == NULL && !delete_loses_nothing(session, a, personal, error))
		return FALSE;
	if (personal != NULL) {
		for (guint i = 0; i < personal->applications->len; i++) {
			const MeshApplicationEntry *e =
			        g_ptr_array_index(personal->applications, i);
			g_autofree char *app_name = json_name(e->identifier);

			mesh_hive_remove(session->hive, MESH_HIVE_APPLICATION_PROFILES, app_name,
			                 NULL);
		}
		for (guint i = 0; i < personal->master->escrow_keys->len; i++)
			mesh_keystore_remove(session->store,
			                     mesh_key_udf(personal->master->escrow_keys->pdata[i]),
			                     NULL);
	}
	/* Keys that are not there (a device that never held them) are no error. */
	mesh_keystore_remove(session->store, a->profile, NULL);
	if (a->admin_key != NULL)
		mesh_keystore_remove(session->store, a->admin_key, NULL);
	if (a->ssh_udf != NULL)
		mesh_keystore_remove(session->store, a->ssh_udf, NULL);
	mesh_hive_remove(session->hive, MESH_HIVE_PERSONAL_PROFILES, profile_name, NULL);
	return remove_entry(session, name, error);
}

/* ---- Escrow and recovery ------------------------------------------------------------------- */

/*
 * Record the escrow entry @id of the profile @profile in the entry of @account as it is now:
 * the portal waits before let other requests change it (a profile deleted meanwhile is not
 * brought back).
 */
static gboolean
record_escrow(MeshSession *session, const char *account, const char *profile, const char *id,
              GError **error)
{
	g_autoptr(Account) a = NULL;
	g_autoptr(GError) local = NULL;

	if (!account_read(session, account, &a, &local)) {
		if (g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND))
			return TRUE;
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (a->witness != NULL || !g_str_equal(a->profile, profile))
		return TRUE;
	account_add_escrow(a, id);
	return account_write(session, a, error);
}

gboolean
mesh_session_escrow_create(MeshSession *session, const char *account, guint quorum, guint shares,
                           GPtrArray **ret_shares, char **ret_identifier, GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(MeshKey) sig = NULL;
	g_autoptr(GPtrArray) escrow =
	        g_ptr_array_new_with_free_func((GDestroyNotify)mesh_key_unref);
	g_autoptr(JsonNode) entry = NULL;
	g_autoptr(GPtrArray) texts = NULL;
	g_autoptr(MeshEscrowEntry) parsed = NULL;
	g_autofree char *name = NULL;

	if (!ctx_open(&ctx, session, account, TRUE, TRUE, error))
		return FALSE;
	if (!mesh_keystore_export_private(session->store, ctx.personal->identifier, &sig, error)) {
		g_prefix_error(error, "this device does not hold the master keys of %s: ",
		               ctx.account->account);
		return FALSE;
	}
	for (guint i = 0; i < ctx.personal->master->escrow_keys->len; i++) {
		MeshKey *key = NULL;

		if (!mesh_keystore_export_private(
		            session->store,
		            mesh_key_udf(ctx.personal->master->escrow_keys->pdata[i]), &key, error))
			return FALSE;
		g_ptr_array_add(escrow, key);
	}
	if (!mesh_escrow_create(sig, (MeshKey *const *)escrow->pdata, escrow->len, quorum, shares,
	                        &entry, &texts, error))
		return FALSE;
	parsed = mesh_escrow_entry_from_json(entry, error);
	if (parsed == NULL)
		return FALSE;
	name = json_name(parsed->identifier);
	if (!ctx_publish(&ctx, entry, error) ||
	    !write_json(session->hive, MESH_HIVE_ESCROW, name, entry, error))
		return FALSE;
	/* The profile is escrowed now: profile delete may go on, the nudge stops. */
	if (!record_escrow(session, ctx.account->account, ctx.personal->identifier,
	                   parsed->identifier, error))
		return FALSE;
	if (ret_identifier != NULL)
		*ret_identifier = g_strdup(parsed->identifier);
	*ret_shares = g_steal_pointer(&texts);
	return TRUE;
}

/* The escrow entry the shares open: its identifier from the combined secret, then the local
 * copy or the portal's. NotFound becomes ShareMismatch: shares of no escrow known here. */
static MeshEscrowEntry *
find_escrow(MeshSession *session, MeshPortalClient *client, const char *const *shares,
            gsize n_shares, GError **error)
{
	g_autoptr(MeshSecret) secret = mesh_shamir_combine(shares, n_shares, error);
	g_autofree char *id = NULL;
	g_autofree char *name = NULL;
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(GError) local = NULL;

	if (secret == NULL)
		return NULL;
	id = mesh_udf_content_digest(MESH_UDF_ALG_SHA512, MESH_ESCROW_CT, mesh_secret_get(secret),
	                             mesh_secret_len(secret), MESH_UDF_BITS_DEFAULT, error);
	if (id == NULL)
		return NULL;
	name = json_name(id);
	if (!read_json(session->hive, MESH_HIVE_ESCROW, name, MESH_ESCROW_MAX, &node, NULL)) {
		if (client != NULL)
			node = portal_get(client, "Identifier", id, &local);
		if (node == NULL) {
			if (local == NULL ||
			    g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND)) {
				g_set_error(error, MESH_ERROR, MESH_ERROR_SHARE_MISMATCH,
				            "no escrow entry matches these shares: they belong to "
				            "another escrow, or one of them is mistyped");
			} else {
				g_propagate_error(error, g_steal_pointer(&local));
			}
			return NULL;
		}
	}
	return mesh_escrow_entry_from_json(node, error);
}

gboolean
mesh_session_escrow_verify(MeshSession *session, const char *account, const char *portal_url,
                           const char *const *shares, gsize n_shares, GError **error)
{
	g_autoptr(Account) a = NULL;
	g_autoptr(MeshPersonalProfile) personal = NULL;
	g_autoptr(MeshPortalClient) client = NULL;
	g_autoptr(MeshEscrowEntry) entry = NULL;

	if (account != NULL && !mesh_personal_check_account(account, error))
		return FALSE;
	if (account_read(session, account, &a, NULL) && a->witness == NULL &&
	    !load_personal(session, a->profile, &personal, error))
		return FALSE;
	if (a != NULL)
		client = account_portal_open(session, a, portal_url, error);
	else if (account != NULL)
		client = portal_open(session, account, portal_url, error);
	if ((account != NULL || a != NULL) && client == NULL)
		return FALSE;
	entry = find_escrow(session, client, shares, n_shares, error);
	if (entry == NULL || !mesh_escrow_verify(entry, shares, n_shares,
	                                         personal != NULL ? personal->master : NULL, error))
		return FALSE;
	/* The entry holds the master keys of a profile held here: it is escrowed. */
	return personal == NULL ||
	       record_escrow(session, a->account, personal->identifier, entry->identifier, error);
}

typedef struct {
	MeshApplicationProfile *app;
	MeshSecret *plaintext;
} RecoveredApp;

static void
recovered_app_free(RecoveredApp *r)
{
	mesh_application_profile_free(r->app);
	mesh_secret_free(r->plaintext);
	g_free(r);
}

/* Open every application profile of @personal with one of the master escrow keys. */
static gboolean
recover_apps(MeshPortalClient *client, const MeshPersonalProfile *personal,
             const MeshEscrowedKeys *keys, GPtrArray *ret_apps, GError **error)
{
	for (guint i = 0; i < personal->applications->len; i++) {
		const MeshApplicationEntry *e = g_ptr_array_index(personal->applications, i);
		g_autoptr(JsonNode) node = portal_get(client, "Identifier", e->identifier, error);
		RecoveredApp *r;
		MeshApplicationProfile *app;
		MeshSecret *plaintext = NULL;

		if (node == NULL)
			return FALSE;
		app = mesh_application_profile_verify(node, personal->master, error);
		if (app == NULL)
			return FALSE;
		for (guint k = 0; plaintext == NULL && k < keys->escrow_keys->len; k++) {
			g_clear_error(error);
			plaintext = mesh_application_profile_open(app, keys->escrow_keys->pdata[k],
			                                          error);
		}
		if (plaintext == NULL) {
			mesh_application_profile_free(app);
			g_prefix_error(error, "application %s: ", e->identifier);
			return FALSE;
		}
		r = g_new0(RecoveredApp, 1);
		r->app = app;
		r->plaintext = plaintext;
		g_ptr_array_add(ret_apps, r);
	}
	return TRUE;
}

static gboolean
strv_has(GPtrArray *list, const char *s)
{
	for (guint i = 0; i < list->len; i++) {
		if (g_str_equal(list->pdata[i], s))
			return TRUE;
	}
	return FALSE;
}

/* Every application entry lists every device in DecryptID. */
static void
entries_add_device(MeshPersonalProfile *personal, const char *device)
{
	for (guint i = 0; i < personal->applications->len; i++) {
		MeshApplicationEntry *e = g_ptr_array_index(personal->applications, i);

		if (!strv_has(e->decrypt_id, device))
			g_ptr_array_add(e->decrypt_id, g_strdup(device));
	}
}

gboolean
mesh_session_profile_recover(MeshSession *session, const char *account, const char *const *shares,
                             gsize n_shares, const char *portal_url,
                             MeshSessionProfile **ret_profile, GError **error)
{
	g_autoptr(MeshPortalClient) client = NULL;
	g_autoptr(MeshEscrowEntry) entry = NULL;
	g_autoptr(MeshPersonalProfile) personal = NULL;
	g_autoptr(JsonNode) signed_personal = NULL;
	g_autoptr(MeshEscrowedKeys) keys = NULL;
	g_autoptr(GPtrArray) apps =
	        g_ptr_array_new_with_free_func((GDestroyNotify)recovered_app_free);
	g_autoptr(MeshDeviceProfile) device = NULL;
	g_autoptr(JsonNode) signed_device = NULL;
	g_autoptr(GPtrArray) imported = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(MeshKey) admin = NULL;
	g_autoptr(MeshMasterProfile) master = NULL;
	g_autoptr(JsonNode) signed_master = NULL;
	g_autoptr(GPtrArray) old_online = g_ptr_array_new_with_free_func(g_free);
	g_auto(Ctx) ctx = {0};
	gboolean ok = FALSE;

	if (!mesh_personal_check_account(account, error) || !may_make_keys(session, error) ||
	    !account_absent(session, account, error))
		return FALSE;
	client = portal_open(session, account, portal_url, error);
	if (client == NULL)
		return FALSE;
	/* Every check first: a refused recovery changes nothing. */
	entry = find_escrow(session, client, shares, n_shares, error);
	if (entry == NULL)
		return FALSE;
	personal = portal_get_personal(client, account, &signed_personal, error);
	if (personal == NULL ||
	    !mesh_escrow_verify(entry, shares, n_shares, personal->master, error))
		return FALSE;
	keys = mesh_escrow_recover(entry, shares, n_shares, error);
	if (keys == NULL || !recover_apps(client, personal, keys, apps, error))
		return FALSE;

	if (!this_device(session, &device, &signed_device, error))
		return FALSE;
	if (!mesh_keystore_import(session->store, keys->signature_key, MESH_KEY_USE_SIGNATURE,
	                          session->passphrase, error))
		goto out;
	g_ptr_array_add(imported, g_strdup(mesh_key_udf(keys->signature_key)));
	for (guint i = 0; i < keys->escrow_keys->len; i++) {
		if (!mesh_keystore_import(session->store, keys->escrow_keys->pdata[i],
		                          MESH_KEY_USE_ENCRYPTION, session->passphrase, error))
			goto out;
		g_ptr_array_add(imported, g_strdup(mesh_key_udf(keys->escrow_keys->pdata[i])));
	}
	/* The administration key is this device's: the algorithm its store makes. */
	if (!mesh_keystore_generate(session->store,
	                            edwards_store(session->store) ? MESH_KEY_ED25519 : MESH_KEY_P256,
	                            MESH_KEY_USE_SIGNATURE, session->passphrase, &admin, error))
		goto out;
	g_ptr_array_add(imported, g_strdup(mesh_key_udf(admin)));

	/* The new administration key replaces every old one: those devices may be lost. */
	master = mesh_master_profile_verify(personal->signed_master, error);
	if (master == NULL || !mesh_master_profile_add_online_key(master, admin, error))
		goto out;
	for (guint i = 0; i < master->online_keys->len; i++) {
		const char *udf = mesh_key_udf(master->online_keys->pdata[i]);

		if (!g_str_equal(udf, mesh_key_udf(admin)))
			g_ptr_array_add(old_online, g_strdup(udf));
	}
	for (guint i = 0; i < old_online->len; i++) {
		if (!mesh_master_profile_remove_online_key(master, old_online->pdata[i], error))
			goto out;
	}
	if (!mesh_master_profile_touch(master, error))
		goto out;
	signed_master = mesh_master_profile_sign(master, mesh_signed_sign_with_key,
	                                         keys->signature_key, error);
	if (signed_master == NULL ||
	    !mesh_personal_profile_set_master(personal, signed_master, error))
		goto out;
	if (mesh_personal_profile_device(personal, device->identifier) == NULL &&
	    !mesh_personal_profile_add_device(personal, signed_device, error))
		goto out;
	entries_add_device(personal, device->identifier);
	if (!mesh_personal_profile_touch(personal, error))
		goto out;

	ctx.session = session;
	ctx.account = g_new0(Account, 1);
	ctx.account->account = g_strdup(account);
	ctx.account->profile = g_strdup(personal->identifier);
	ctx.account->device = g_strdup(device->identifier);
	ctx.account->portal = portal_remember(portal_url);
	ctx.account->admin_key = g_strdup(mesh_key_udf(admin));
	ctx.personal = g_steal_pointer(&personal);
	ctx.device = g_steal_pointer(&device);
	ctx.admin = mesh_key_ref(admin);
	ctx.client = g_steal_pointer(&client);
	/* The personal profile first: it re-binds the account to the new administration key,
	 * which the application profiles are then signed with. */
	if (!ctx_publish_personal(&ctx, error))
		goto out;
	for (guint i = 0; i < apps->len; i++) {
		RecoveredApp *r = g_ptr_array_index(apps, i);

		if (!mesh_application_profile_touch(r->app, error) ||
		    !ctx_save_app(&ctx, r->app, r->plaintext, error))
			goto out;
	}
	/* The shares just used are an escrow of the master keys. */
	account_add_escrow(ctx.account, entry->identifier);
	if (!account_write(session, ctx.account, error))
		goto out;
	if (ret_profile != NULL)
		*ret_profile = profile_info(session, ctx.account, ctx.personal);
	ok = TRUE;
out:
	if (!ok) {
		for (guint i = 0; i < imported->len; i++)
			mesh_keystore_remove(session->store, imported->pdata[i], NULL);
	}
	return ok;
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
	                         ctx->account->admin_key, error);
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
	MeshKeyStoreSigner signer = {ctx->session->store, ctx->account->admin_key};
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
	                         ctx->account->admin_key, error);
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
	if (mesh_personal_profile_device(ctx.personal, p->request->device->identifier) == NULL &&
	    !mesh_personal_profile_add_device(ctx.personal, p->request->signed_device, error))
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

/* ---- Applications -------------------------------------------------------------------------- */

gboolean
mesh_session_app_list(MeshSession *session, const char *account, GPtrArray **ret_apps,
                      GError **error)
{
	g_auto(Ctx) ctx = {0};

	if (!ctx_open(&ctx, session, account, FALSE, FALSE, error))
		return FALSE;
	*ret_apps = app_infos(ctx.personal);
	return TRUE;
}

static gboolean
not_found_app(const char *name, GError **error)
{
	g_autofree char *quoted = mesh_error_quote(name);

	g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND, "no application '%s'", quoted);
	return FALSE;
}

gboolean
mesh_session_app_add_generic(MeshSession *session, const char *account, const char *name,
                             char **ret_identifier, GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(MeshSecret) empty = mesh_secret_new_from_data("{}", 3);
	g_autoptr(MeshSecret) plaintext = NULL;

	if (!mesh_application_check_name("application name", name, error) ||
	    !ctx_open(&ctx, session, account, TRUE, TRUE, error))
		return FALSE;
	if (find_app(ctx.personal, MESH_APPLICATION_GENERIC, name) != NULL) {
		g_autofree char *quoted = mesh_error_quote(name);

		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS, "the application '%s' exists",
		            quoted);
		return FALSE;
	}
	plaintext = mesh_application_generic_text(name, empty, error);
	return plaintext != NULL && ctx_app_create(&ctx, MESH_APPLICATION_GENERIC, name, plaintext,
	                                           ret_identifier, error);
}

gboolean
mesh_session_app_set(MeshSession *session, const char *account, const char *name,
                     const MeshSecret *data, GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(MeshApplicationProfile) app = NULL;
	g_autoptr(MeshSecret) plaintext = NULL;
	MeshApplicationEntry *e;

	if (!ctx_open(&ctx, session, account, TRUE, TRUE, error))
		return FALSE;
	e = find_app(ctx.personal, MESH_APPLICATION_GENERIC, name);
	if (e == NULL)
		return not_found_app(name, error);
	plaintext = mesh_application_generic_text(name, data, error);
	return plaintext != NULL && ctx_load_app(&ctx, e->identifier, &app, error) &&
	       mesh_application_profile_touch(app, error) &&
	       ctx_save_app(&ctx, app, plaintext, error);
}

gboolean
mesh_session_app_get(MeshSession *session, const char *account, const char *name,
                     MeshSecret **ret_plaintext, GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(MeshApplicationProfile) app = NULL;
	MeshApplicationEntry *e;
	MeshSecret *plaintext;

	if (!ctx_open(&ctx, session, account, FALSE, FALSE, error))
		return FALSE;
	e = find_app(ctx.personal, MESH_APPLICATION_GENERIC, name);
	if (e == NULL)
		return not_found_app(name, error);
	if (!ctx_load_app(&ctx, e->identifier, &app, error))
		return FALSE;
	plaintext = ctx_open_app(&ctx, app, error);
	if (plaintext == NULL)
		return FALSE;
	*ret_plaintext = plaintext;
	return TRUE;
}

/* @e is one of the Mesh's own applications (named by its Friendly name, no generic one having it):
 * refused, saying why. */
static gboolean
refuse_own_app(const MeshApplicationEntry *e, GError **error)
{
	g_autofree char *quoted = mesh_error_quote(e->friendly);

	if (e->type == MESH_APPLICATION_PASSWORD)
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
		            "'%s' is the account's PasswordProfile, which the Mesh keeps: remove "
		            "logins with 'mesh password delete'",
		            quoted);
	else
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
		            "'%s' is the account's %s, which lists the devices' SSH keys and which "
		            "administration devices rebuild on every sync: it is not deleted",
		            quoted, mesh_application_type_name(e->type));
	return FALSE;
}

gboolean
mesh_session_app_delete(MeshSession *session, const char *account, const char *name, GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autofree char *identifier = NULL;
	g_autofree char *file = NULL;
	MeshApplicationEntry *e;

	if (!ctx_open(&ctx, session, account, TRUE, TRUE, error))
		return FALSE;
	e = find_app(ctx.personal, MESH_APPLICATION_GENERIC, name);
	if (e == NULL) {
		for (guint i = 0; i < ctx.personal->applications->len; i++) {
			e = g_ptr_array_index(ctx.personal->applications, i);
			if (g_strcmp0(e->friendly, name) == 0)
				return refuse_own_app(e, error);
		}
		return not_found_app(name, error);
	}
	identifier = g_strdup(e->identifier);
	file = json_name(identifier);
	if (!mesh_personal_profile_remove_application(ctx.personal, identifier, error) ||
	    !mesh_personal_profile_touch(ctx.personal, error) || !ctx_publish_personal(&ctx, error))
		return FALSE;
	/* The profile no longer lists it: a copy left here would only be unused. */
	mesh_hive_remove(session->hive, MESH_HIVE_APPLICATION_PROFILES, file, NULL);
	return TRUE;
}

/* ---- Passwords ----------------------------------------------------------------------------- */

/* The account's password set (empty when it has no PasswordProfile yet: *ret_app NULL). */
static gboolean
ctx_passwords(Ctx *ctx, MeshApplicationProfile **ret_app, MeshPasswordSet **ret_set, GError **error)
{
	MeshApplicationEntry *e = find_app(ctx->personal, MESH_APPLICATION_PASSWORD, NULL);
	g_autoptr(MeshApplicationProfile) app = NULL;
	g_autoptr(MeshSecret) plaintext = NULL;

	if (e == NULL) {
		*ret_app = NULL;
		*ret_set = mesh_password_set_new();
		return TRUE;
	}
	if (!ctx_load_app(ctx, e->identifier, &app, error))
		return FALSE;
	plaintext = ctx_open_app(ctx, app, error);
	if (plaintext == NULL)
		return FALSE;
	*ret_set = mesh_password_set_parse(plaintext, error);
	if (*ret_set == NULL)
		return FALSE;
	*ret_app = g_steal_pointer(&app);
	return TRUE;
}

static gboolean
ctx_save_passwords(Ctx *ctx, MeshApplicationProfile *app, const MeshPasswordSet *set,
                   GError **error)
{
	g_autoptr(MeshSecret) plaintext = mesh_password_set_to_text(set);

	if (app == NULL)
		return ctx_app_create(ctx, MESH_APPLICATION_PASSWORD, PASSWORDS_APP, plaintext,
		                      NULL, error);
	return mesh_application_profile_touch(app, error) &&
	       ctx_save_app(ctx, app, plaintext, error);
}

/* @n random characters from an alphabet of 64 (each byte's low six bits: unbiased). */
static MeshSecret *
generate_password(guint n, GError **error)
{
	static const char alphabet[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	g_autoptr(MeshSecret) random = mesh_secret_new_random(n, error);
	MeshSecret *password;

	if (random == NULL)
		return NULL;
	password = mesh_secret_new(n + 1);
	for (guint i = 0; i < n; i++)
		mesh_secret_data(password)[i] = alphabet[mesh_secret_get(random)[i] & 63];
	return password;
}

void
mesh_session_login_free(MeshSessionLogin *login)
{
	if (login == NULL)
		return;
	g_free(login->site);
	g_free(login->username);
	g_free(login);
}

static gboolean
no_login(const char *site, const char *username, GError **error)
{
	g_autofree char *quoted_site = mesh_error_quote(site);
	g_autofree char *quoted_user = username != NULL ? mesh_error_quote(username) : NULL;

	if (username == NULL)
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND, "no password for '%s'",
		            quoted_site);
	else
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND, "no password for '%s' at '%s'",
		            quoted_user, quoted_site);
	return FALSE;
}

/* Most user names an error about several logins quotes. */
#define LOGINS_QUOTED 8

/*
 * The one login among @entries (those for @site, of @username when not NULL): an entry listing
 * @site exactly before one that matches it by a wildcard. Errors: MESH_ERROR_NOT_FOUND (none),
 * MESH_ERROR_INVALID_ARGUMENT (several user names: the message lists them and asks for one).
 */
static MeshPasswordEntry *
one_login(GPtrArray *entries, const char *site, const char *username, GError **error)
{
	g_autoptr(GString) names = g_string_new(NULL);
	g_autofree char *quoted_site = NULL;
	guint distinct = 0;

	if (entries->len == 0) {
		no_login(site, username, error);
		return NULL;
	}
	for (guint i = 0; i < entries->len; i++) {
		const MeshPasswordEntry *e = entries->pdata[i];
		gboolean seen = FALSE;

		for (guint j = 0; j < i && !seen; j++)
			seen = g_str_equal(((MeshPasswordEntry *)entries->pdata[j])->username,
			                   e->username);
		if (seen)
			continue;
		if (++distinct <= LOGINS_QUOTED) {
			g_autofree char *quoted = mesh_error_quote(e->username);

			g_string_append_printf(names, "%s'%s'", distinct > 1 ? ", " : "", quoted);
		} else if (distinct == LOGINS_QUOTED + 1) {
			g_string_append(names, ", ...");
		}
	}
	if (distinct > 1) {
		quoted_site = mesh_error_quote(site);
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "'%s' has logins for %u user names (%s): say which with --user",
		            quoted_site, distinct, names->str);
		return NULL;
	}
	for (guint i = 0; i < entries->len; i++) {
		if (mesh_password_entry_lists(entries->pdata[i], site))
			return entries->pdata[i];
	}
	return entries->pdata[0];
}

gboolean
mesh_session_password_add(MeshSession *session, const char *account, const char *site,
                          const char *username, const MeshSecret *password,
                          MeshSessionPasswordMode mode, MeshSecret **ret_password, GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(MeshApplicationProfile) app = NULL;
	g_autoptr(MeshPasswordSet) set = NULL;
	g_autoptr(MeshSecret) made = NULL;
	const char *sites[] = {site, NULL};
	MeshPasswordEntry *login;

	if (!mesh_application_check_name("site", site, error) ||
	    !ctx_open(&ctx, session, account, TRUE, TRUE, error) ||
	    !ctx_passwords(&ctx, &app, &set, error))
		return FALSE;
	login = mesh_password_set_login(set, site, username);
	if (login != NULL && mode == MESH_SESSION_PASSWORD_ADD) {
		g_autofree char *quoted_site = mesh_error_quote(site);
		g_autofree char *quoted_user = mesh_error_quote(username);

		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
		            "'%s' at '%s' has a password already: change it with 'mesh password "
		            "set' (or 'password add --replace')",
		            quoted_user, quoted_site);
		return FALSE;
	}
	if (login == NULL && mode == MESH_SESSION_PASSWORD_SET)
		return no_login(site, username, error);
	if (password == NULL) {
		made = generate_password(PASSWORD_GEN, error);
		if (made == NULL)
			return FALSE;
		password = made;
	}
	if (!(login != NULL ? mesh_password_entry_set_password(login, password, error)
	                    : mesh_password_set_add(set, sites, username, password, error)) ||
	    !ctx_save_passwords(&ctx, app, set, error))
		return FALSE;
	if (ret_password != NULL)
		*ret_password = mesh_secret_dup(password);
	return TRUE;
}

gboolean
mesh_session_password_get(MeshSession *session, const char *account, const char *site,
                          const char *username, char **ret_username, MeshSecret **ret_password,
                          GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(MeshApplicationProfile) app = NULL;
	g_autoptr(MeshPasswordSet) set = NULL;
	g_autoptr(GPtrArray) entries = NULL;
	MeshPasswordEntry *e;

	if (!ctx_open(&ctx, session, account, FALSE, FALSE, error) ||
	    !ctx_passwords(&ctx, &app, &set, error))
		return FALSE;
	entries = mesh_password_set_match(set, site, username, FALSE);
	e = one_login(entries, site, username, error);
	if (e == NULL)
		return FALSE;
	if (ret_username != NULL)
		*ret_username = g_strdup(e->username);
	*ret_password = mesh_secret_dup(e->password);
	return TRUE;
}

gboolean
mesh_session_password_list(MeshSession *session, const char *account, GPtrArray **ret_logins,
                           GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(MeshApplicationProfile) app = NULL;
	g_autoptr(MeshPasswordSet) set = NULL;
	GPtrArray *logins;

	if (!ctx_open(&ctx, session, account, FALSE, FALSE, error) ||
	    !ctx_passwords(&ctx, &app, &set, error))
		return FALSE;
	logins = g_ptr_array_new_with_free_func((GDestroyNotify)mesh_session_login_free);
	for (guint i = 0; i < set->entries->len; i++) {
		const MeshPasswordEntry *e = g_ptr_array_index(set->entries, i);

		for (guint j = 0; j < e->sites->len; j++) {
			MeshSessionLogin *login = g_new0(MeshSessionLogin, 1);

			login->site = g_strdup(e->sites->pdata[j]);
			login->username = g_strdup(e->username);
			g_ptr_array_add(logins, login);
		}
	}
	*ret_logins = logins;
	return TRUE;
}

gboolean
mesh_session_password_delete(MeshSession *session, const char *account, const char *site,
                             const char *username, GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(MeshApplicationProfile) app = NULL;
	g_autoptr(MeshPasswordSet) set = NULL;
	g_autoptr(GPtrArray) entries = NULL;
	g_autofree char *user = NULL;
	MeshPasswordEntry *e;

	if (!ctx_open(&ctx, session, account, TRUE, TRUE, error) ||
	    !ctx_passwords(&ctx, &app, &set, error))
		return FALSE;
	entries = mesh_password_set_match(set, site, username, TRUE);
	e = one_login(entries, site, username, error);
	if (e == NULL)
		return FALSE;
	user = g_strdup(e->username);
	mesh_password_set_remove(set, site, user);
	return ctx_save_passwords(&ctx, app, set, error);
}

/* ---- SSH ----------------------------------------------------------------------------------- */

#define SSH_APP         "SSH"
#define SSH_PRIVATE     "{\"SSHProfile\":{\"HostEntries\":[]}}"
#define SSH_COMMENT_UDF 14

void
mesh_session_ssh_key_free(MeshSessionSshKey *key)
{
	if (key == NULL)
		return;
	g_free(key->account);
	g_free(key->device_udf);
	g_free(key->udf);
	g_free(key->public_line);
	g_free(key);
}

static MeshSessionSshKey *
ssh_key_info(const char *account, const char *device_udf, const char *udf, const char *line)
{
	MeshSessionSshKey *key = g_new0(MeshSessionSshKey, 1);

	key->account = g_strdup(account);
	key->device_udf = g_strdup(device_udf);
	key->udf = g_strdup(udf);
	key->public_line = g_strdup(line);
	return key;
}

/* This device is an administration device of the account: ctx->admin is set. */
static gboolean
ctx_load_admin(Ctx *ctx, gboolean *ret_admin, GError **error)
{
	*ret_admin = ctx->account->admin_key != NULL &&
	             mesh_master_profile_online_key(ctx->personal->master,
	                                            ctx->account->admin_key) != NULL;
	if (!*ret_admin || ctx->admin != NULL)
		return TRUE;
	return mesh_keystore_get_public(ctx->session->store, ctx->account->admin_key, &ctx->admin,
	                                error);
}

/* The verified SSH key the device @d published for this profile, or NULL (*@ret_found FALSE)
 * when it has none or what the portal holds does not verify (it is left out, never folded). */
static gboolean
ctx_device_ssh_key(Ctx *ctx, const MeshPersonalDevice *d, MeshSshDeviceKey **ret,
                   GError **error)
{
	g_autofree char *id = NULL;
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(GError) local = NULL;
	MeshSshDeviceKey *key;

	*ret = NULL;
	id = mesh_ssh_device_key_identifier(ctx->personal->identifier, d->profile->identifier,
	                                    error);
	if (id == NULL)
		return FALSE;
	node = portal_get(ctx->client, "Identifier", id, &local);
	if (node == NULL) {
		if (g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND))
			return TRUE;
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	key = mesh_ssh_device_key_verify(node, d->profile->signature_key, NULL);
	if (key != NULL && (!g_str_equal(key->profile, ctx->personal->identifier) ||
	                    g_ascii_strcasecmp(key->account, ctx->account->account) != 0))
		g_clear_pointer(&key, mesh_ssh_device_key_free);
	*ret = key;
	return TRUE;
}

/*
 * On an administration device: make the SSHProfile list exactly the SSH keys the devices of the
 * personal profile published (each checked against that device's signature key in the
 * administration-signed personal profile), creating it when there is none; re-seal, sign,
 * publish and store it only when that changes it.
 */
static gboolean
ctx_fold_ssh(Ctx *ctx, GError **error)
{
	MeshApplicationEntry *e = find_app(ctx->personal, MESH_APPLICATION_SSH, NULL);
	g_autoptr(MeshApplicationProfile) app = NULL;
	g_autoptr(MeshApplicationProfile) want = NULL;
	g_autoptr(MeshSecret) plaintext = NULL;
	gboolean same;

	want = mesh_application_profile_new(MESH_APPLICATION_SSH, SSH_APP, error);
	if (want == NULL)
		return FALSE;
	for (guint i = 0; i < ctx->personal->devices->len; i++) {
		const MeshPersonalDevice *d = g_ptr_array_index(ctx->personal->devices, i);
		g_autoptr(MeshSshDeviceKey) key = NULL;

		if (!ctx_device_ssh_key(ctx, d, &key, error))
			return FALSE;
		if (key != NULL && !mesh_application_profile_add_ssh_device(
		                           want, key->device_udf, key->public_key, error))
			return FALSE;
	}
	if (e == NULL) {
		if (want->ssh_devices->len == 0)
			return TRUE;
		plaintext = mesh_secret_new_from_data(SSH_PRIVATE, sizeof SSH_PRIVATE);
		return ctx_app_add(ctx, want, plaintext, NULL, error);
	}
	if (!ctx_load_app(ctx, e->identifier, &app, error))
		return FALSE;
	same = app->ssh_devices->len == want->ssh_devices->len;
	for (guint i = 0; same && i < app->ssh_devices->len; i++) {
		const MeshSshDevice *a = g_ptr_array_index(app->ssh_devices, i);
		const MeshSshDevice *b = g_ptr_array_index(want->ssh_devices, i);

		same = g_str_equal(a->device_udf, b->device_udf) &&
		       g_str_equal(a->public_key, b->public_key);
	}
	if (same)
		return TRUE;
	/* The private part (host keys) is kept: open it to seal it again. */
	plaintext = ctx_open_app(ctx, app, error);
	if (plaintext == NULL)
		return FALSE;
	{
		GPtrArray *devices = app->ssh_devices;

		app->ssh_devices = want->ssh_devices;
		want->ssh_devices = devices;
	}
	return mesh_application_profile_touch(app, error) &&
	       ctx_save_app(ctx, app, plaintext, error);
}

/* Publish this device's SSH key @line: a serial above the one the portal holds, if any. */
static gboolean
ctx_publish_ssh_key(Ctx *ctx, const char *line, GError **error)
{
	const MeshPersonalDevice *d = mesh_personal_profile_device(ctx->personal,
	                                                           ctx->device->identifier);
	MeshKeyStoreSigner signer = {ctx->session->store, ctx->device->identifier};
	g_autoptr(MeshSshDeviceKey) old = NULL;
	g_autoptr(MeshSshDeviceKey) key = NULL;
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(JsonObject) response = NULL;
	JsonObject *request;
	gint64 serial = 1;

	if (d == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
		            "the profile of %s does not list this device: run 'mesh profile sync'",
		            ctx->account->account);
		return FALSE;
	}
	if (!ctx_device_ssh_key(ctx, d, &old, error))
		return FALSE;
	if (old != NULL) {
		serial = old->serial;
		if (!mesh_signed_next_serial(&serial, error))
			return FALSE;
	}
	key = mesh_ssh_device_key_new(ctx->account->account, ctx->personal->identifier,
	                              ctx->device->identifier, line, serial, error);
	if (key == NULL)
		return FALSE;
	node = mesh_ssh_device_key_sign(key, ctx->device->signature_key, mesh_keystore_jws_sign,
	                                &signer, error);
	if (node == NULL)
		return FALSE;
	request = obj_string("Account", ctx->account->account);
	json_object_set_member(request, "Entry", g_steal_pointer(&node));
	response = portal_signed(ctx->session, ctx->client, "PublishRequest", request,
	                         ctx->device->identifier, error);
	return response != NULL;
}

gboolean
mesh_session_ssh_create(MeshSession *session, const char *account, char **ret_udf,
                        char **ret_public_line, GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(MeshKey) key = NULL;
	g_autofree char *comment = NULL;
	g_autofree char *line = NULL;
	gboolean admin = FALSE, ok = FALSE;

	if (!ctx_open(&ctx, session, account, FALSE, TRUE, error) ||
	    !ctx_load_admin(&ctx, &admin, error))
		return FALSE;
	if (ctx.account->ssh_udf == NULL && !may_make_keys(session, error))
		return FALSE;
	if (ctx.account->ssh_udf != NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
		            "this device has an SSH key for %s already (%s): 'mesh ssh "
		            "authorized-keys' lists it; delete the account on this device to make "
		            "another",
		            ctx.account->account, ctx.account->ssh_udf);
		return FALSE;
	}
	if (!mesh_keystore_generate(session->store,
	                            edwards_store(session->store) ? MESH_KEY_ED25519 : MESH_KEY_P256,
	                            MESH_KEY_USE_AUTHENTICATION, session->passphrase, &key, error))
		return FALSE;
	comment = g_strdup_printf("mesh:%s:%.*s", ctx.account->account, SSH_COMMENT_UDF,
	                          ctx.device->identifier);
	line = mesh_ssh_public_line(key, comment, error);
	if (line == NULL || !ctx_publish_ssh_key(&ctx, line, error) ||
	    (admin && !ctx_fold_ssh(&ctx, error)))
		goto out;
	ctx.account->ssh_udf = g_strdup(mesh_key_udf(key));
	ctx.account->ssh_public = g_strdup(line);
	if (!account_write(session, ctx.account, error))
		goto out;
	ok = TRUE;
	if (ret_udf != NULL)
		*ret_udf = g_strdup(mesh_key_udf(key));
	if (ret_public_line != NULL)
		*ret_public_line = g_steal_pointer(&line);
out:
	/* No key without its account entry: a later create starts afresh (and publishes a
	 * higher serial over what this one may have left on the portal). */
	if (!ok)
		mesh_keystore_remove(session->store, mesh_key_udf(key), NULL);
	return ok;
}

gboolean
mesh_session_ssh_authorized_keys(MeshSession *session, const char *account, GPtrArray **ret_keys,
                                 GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(MeshApplicationProfile) app = NULL;
	g_autoptr(GPtrArray) keys =
	        g_ptr_array_new_with_free_func((GDestroyNotify)mesh_session_ssh_key_free);
	MeshApplicationEntry *e;

	if (!ctx_open(&ctx, session, account, FALSE, FALSE, error))
		return FALSE;
	e = find_app(ctx.personal, MESH_APPLICATION_SSH, NULL);
	if (e != NULL && !ctx_load_app(&ctx, e->identifier, &app, error))
		return FALSE;
	for (guint i = 0; app != NULL && i < app->ssh_devices->len; i++) {
		const MeshSshDevice *d = g_ptr_array_index(app->ssh_devices, i);
		/* The profile's reader checked the line's form; this gives the key's UDF. */
		g_autoptr(MeshKey) key = mesh_ssh_public_line_decode(d->public_key, NULL);

		g_ptr_array_add(keys, ssh_key_info(ctx.account->account, d->device_udf,
		                                   key != NULL ? mesh_key_udf(key) : NULL,
		                                   d->public_key));
	}
	*ret_keys = g_steal_pointer(&keys);
	return TRUE;
}

gboolean
mesh_session_ssh_keys(MeshHive *hive, GPtrArray **ret_keys, GError **error)
{
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GPtrArray) keys =
	        g_ptr_array_new_with_free_func((GDestroyNotify)mesh_session_ssh_key_free);

	if (!mesh_hive_list(hive, MESH_HIVE_ACCOUNTS, &names, error))
		return FALSE;
	for (guint i = 0; i < names->len; i++) {
		g_autoptr(JsonNode) node = NULL;
		g_autoptr(Account) a = NULL;

		if (g_str_equal(names->pdata[i], MESH_HIVE_DEFAULT))
			continue;
		if (!read_json(hive, MESH_HIVE_ACCOUNTS, names->pdata[i], ACCOUNT_MAX, &node,
		               error))
			return FALSE;
		if (!account_parse(node, &a, error)) {
			g_prefix_error(error, "%s/%s/%s: ", mesh_hive_location(hive),
			               mesh_hive_folder_name(MESH_HIVE_ACCOUNTS),
			               (const char *)names->pdata[i]);
			return FALSE;
		}
		if (a->ssh_udf != NULL)
			g_ptr_array_add(keys, ssh_key_info(a->account, a->device, a->ssh_udf,
			                                   a->ssh_public));
	}
	*ret_keys = g_steal_pointer(&keys);
	return TRUE;
}

/* ---- What the keys in the store are for ---------------------------------------------------- */

void
mesh_session_key_owner_free(MeshSessionKeyOwner *owner)
{
	if (owner == NULL)
		return;
	g_free(owner->owner);
	g_free(owner);
}

const char *
mesh_session_key_role_name(MeshSessionKeyRole role)
{
	switch (role) {
	case MESH_SESSION_KEY_IMPORTED:
		return "Imported";
	case MESH_SESSION_KEY_DEVICE:
		return "Device";
	case MESH_SESSION_KEY_MASTER:
		return "Master";
	case MESH_SESSION_KEY_ESCROW:
		return "Escrow";
	case MESH_SESSION_KEY_ADMINISTRATION:
		return "Administration";
	case MESH_SESSION_KEY_SSH:
		return "SSH";
	}
	return NULL;
}

/* @udf has @role for @owner, unless an earlier entry gave it one. */
static void
add_role(GHashTable *roles, const char *udf, MeshSessionKeyRole role, const char *owner,
         MeshKeyUse use)
{
	MeshSessionKeyOwner *o;

	if (udf == NULL || g_hash_table_contains(roles, udf))
		return;
	o = g_new0(MeshSessionKeyOwner, 1);
	o->role = role;
	o->owner = g_strdup(owner);
	o->use = use;
	g_hash_table_insert(roles, g_strdup(udf), o);
}

/* Keep @local in @error when @strict, else drop it; FALSE when it was kept. */
static gboolean
roles_skip(gboolean strict, GError *local, GError **error)
{
	if (!strict) {
		g_error_free(local);
		return TRUE;
	}
	g_propagate_error(error, local);
	return FALSE;
}

static gboolean
device_roles(MeshHive *hive, gboolean strict, GHashTable *roles, GError **error)
{
	g_autoptr(GPtrArray) udfs = NULL;

	if (!mesh_device_list(hive, &udfs, NULL, error))
		return FALSE;
	for (guint i = 0; i < udfs->len; i++) {
		g_autoptr(MeshDeviceProfile) d = NULL;
		GError *local = NULL;

		if (!mesh_device_load(hive, udfs->pdata[i], &d, NULL, &local)) {
			if (!roles_skip(strict, local, error))
				return FALSE;
			continue;
		}
		add_role(roles, mesh_key_udf(d->signature_key), MESH_SESSION_KEY_DEVICE,
		         d->identifier, MESH_KEY_USE_SIGNATURE);
		add_role(roles, mesh_key_udf(d->authentication_key), MESH_SESSION_KEY_DEVICE,
		         d->identifier, MESH_KEY_USE_AUTHENTICATION);
		add_role(roles, mesh_key_udf(d->encryption_key), MESH_SESSION_KEY_DEVICE,
		         d->identifier, MESH_KEY_USE_ENCRYPTION);
	}
	return TRUE;
}

/* The roles the account entry @name gives: master, escrow, administration and SSH keys. */
static gboolean
account_roles(MeshSession *session, const char *name, gboolean strict, GHashTable *roles,
              GError **error)
{
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(Account) a = NULL;
	g_autoptr(MeshPersonalProfile) personal = NULL;
	GError *local = NULL;

	if (!read_json(session->hive, MESH_HIVE_ACCOUNTS, name, ACCOUNT_MAX, &node, &local))
		return roles_skip(strict, local, error);
	if (!account_parse(node, &a, &local)) {
		g_prefix_error(&local, "%s/%s/%s: ", mesh_hive_location(session->hive),
		               mesh_hive_folder_name(MESH_HIVE_ACCOUNTS), name);
		return roles_skip(strict, local, error);
	}
	/* A pending connection: nothing of the profile is held yet. */
	if (a->witness != NULL)
		return TRUE;
	add_role(roles, a->profile, MESH_SESSION_KEY_MASTER, a->account, MESH_KEY_USE_SIGNATURE);
	if (!load_personal(session, a->profile, &personal, &local)) {
		if (!roles_skip(strict, local, error))
			return FALSE;
	} else {
		for (guint i = 0; i < personal->master->escrow_keys->len; i++)
			add_role(roles, mesh_key_udf(personal->master->escrow_keys->pdata[i]),
			         MESH_SESSION_KEY_ESCROW, a->account, MESH_KEY_USE_ENCRYPTION);
	}
	add_role(roles, a->admin_key, MESH_SESSION_KEY_ADMINISTRATION, a->account,
	         MESH_KEY_USE_SIGNATURE);
	add_role(roles, a->ssh_udf, MESH_SESSION_KEY_SSH, a->account, MESH_KEY_USE_AUTHENTICATION);
	return TRUE;
}

gboolean
mesh_session_key_roles(MeshHive *hive, gboolean strict, GHashTable **ret_roles, GError **error)
{
	MeshSession session = {.hive = hive};
	g_autoptr(GHashTable) roles = g_hash_table_new_full(
	        g_str_hash, g_str_equal, g_free, (GDestroyNotify)mesh_session_key_owner_free);
	g_autoptr(GPtrArray) names = NULL;

	if (!device_roles(hive, strict, roles, error) ||
	    !mesh_hive_list(hive, MESH_HIVE_ACCOUNTS, &names, error))
		return FALSE;
	for (guint i = 0; i < names->len; i++) {
		if (!account_roles(&session, names->pdata[i], strict, roles, error))
			return FALSE;
	}
	*ret_roles = g_steal_pointer(&roles);
	return TRUE;
}

char *
mesh_session_key_owner_text(const MeshSessionKeyOwner *owner)
{
	const char *use = owner->use == MESH_KEY_USE_SIGNATURE        ? "signature"
	                  : owner->use == MESH_KEY_USE_AUTHENTICATION ? "authentication"
	                                                              : "encryption";

	switch (owner->role) {
	case MESH_SESSION_KEY_DEVICE:
		return g_strdup_printf("the %s key of this hive's device %s", use, owner->owner);
	case MESH_SESSION_KEY_MASTER:
		return g_strdup_printf("the master signature key of %s's profile", owner->owner);
	case MESH_SESSION_KEY_ESCROW:
		return g_strdup_printf("a master escrow key of %s's profile", owner->owner);
	case MESH_SESSION_KEY_ADMINISTRATION:
		return g_strdup_printf("this device's administration key for %s", owner->owner);
	case MESH_SESSION_KEY_SSH:
		return g_strdup_printf("this device's SSH key for %s", owner->owner);
	case MESH_SESSION_KEY_IMPORTED:
		break;
	}
	return g_strdup("a key made or imported by the user");
}
