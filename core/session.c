/* SPDX-License-Identifier: MIT */
/*
 * The session logic (core/session.h), its shared part: small helpers, the account entries
 * in Accounts/, opening the portal of an account, and the context of an operation (Ctx).
 */
#include "session-private.h"

#include <string.h>

#include "base64.h"
#include "signed.h"
#include "sshkey.h"
#include "udf.h"

/* Escrow entries an account entry remembers (each is 28 characters). */
#define ACCOUNT_ESCROWS_MAX 64

/* ---- Small helpers ------------------------------------------------------------------------- */

gint64
session_now(MeshSession *session)
{
	if (session->clock != NULL)
		return session->clock(session->clock_data);
	return g_get_real_time() / G_USEC_PER_SEC;
}

char *
session_time(MeshSession *session)
{
	return mesh_json_time_from_unix(session_now(session));
}

gboolean
edwards_store(MeshKeyStore *store)
{
	unsigned caps = mesh_keystore_caps(store);

	return (caps & MESH_KEYSTORE_CAP_ED25519) && (caps & MESH_KEYSTORE_CAP_X25519);
}

/* The Accounts/ entry name of @account: '@' written as "_AT_" (accounts are lower case); an
 * account too long for a hive name is named by its digest. */
char *
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

gboolean
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

gboolean
write_json(MeshHive *hive, MeshHiveFolder folder, const char *name, JsonNode *node, GError **error)
{
	g_autofree char *text = mesh_json_to_string(node);

	return mesh_hive_write(hive, folder, name, (const guint8 *)text, strlen(text), error);
}

char *
json_name(const char *udf)
{
	return g_strconcat(udf, JSON_SUFFIX, NULL);
}

/* ---- Account entries ----------------------------------------------------------------------- */

void
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
	g_clear_pointer(&a->pins, g_ptr_array_unref);
	g_free(a);
}

gboolean
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
	account_write_pins(session, a, obj);
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
void
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

gboolean
account_parse(JsonNode *node, Account **ret, GError **error)
{
	static const char *const members[] = {"Account",           "Profile",    "Device",
	                                      "Portal",            "Connection", "SSHKey",
	                                      "AdministrationKey", "Escrows",    "Serial",
	                                      "MasterSerial",      "Pins",       NULL};
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
	if (json_object_has_member(obj, "Pins") && !account_parse_pins(obj, a, error))
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
gboolean
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

/* Every entry of Accounts/ that reads (GPtrArray of Account *); an entry that does not is left
 * out ('mesh profile list' reports it). */
gboolean
accounts_read_all(MeshSession *session, GPtrArray **ret, GError **error)
{
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)account_free);

	if (!mesh_hive_list(session->hive, MESH_HIVE_ACCOUNTS, &names, error))
		return FALSE;
	for (guint i = 0; i < names->len; i++) {
		g_autoptr(JsonNode) node = NULL;
		Account *a = NULL;

		if (read_json(session->hive, MESH_HIVE_ACCOUNTS, names->pdata[i], ACCOUNT_MAX, &node,
		              NULL) &&
		    account_parse(node, &a, NULL))
			g_ptr_array_add(out, a);
	}
	*ret = g_steal_pointer(&out);
	return TRUE;
}

gboolean
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
void
account_note(Account *a, const MeshPersonalProfile *personal)
{
	a->serial = MAX(a->serial, personal->serial);
	a->master_serial = MAX(a->master_serial, personal->master->serial);
}

/*
 * The key this device administers the account @a with, when it is an administration device of
 * @personal: the administration key the entry names, or else this device's own signature key
 * (a promoted device), whichever is one of the master profile's OnlineSignatureKeys; NULL
 * otherwise.
 */
const char *
account_admin_udf(const Account *a, const MeshPersonalProfile *personal)
{
	if (a->admin_key != NULL &&
	    mesh_master_profile_online_key(personal->master, a->admin_key) != NULL)
		return a->admin_key;
	if (mesh_master_profile_online_key(personal->master, a->device) != NULL)
		return a->device;
	return NULL;
}

/*
 * Store the signed personal profile @node (@personal, verified) of the account @a, and raise
 * the serials the account entry records: the floor a repair from the portal must reach
 * (mesh_session_profile_sync). The entry is read again: another request may have changed or
 * removed it while this one waited for the portal; an entry not written yet (recovery writes
 * it last) gets the serials from @a.
 */
gboolean
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
MeshPortalClient *
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
char *
portal_remember(const char *url)
{
	return url != NULL ? mesh_portal_url_normalize(url, NULL) : NULL;
}

/* The normal form of the portal the stored account @a uses. */
char *
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
MeshPortalClient *
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

JsonObject *
portal_plain(MeshPortalClient *client, const char *tag, JsonObject *request, GError **error)
{
	g_autofree char *text = mesh_portal_request_text(tag, request);

	return mesh_portal_client_call(client, tag, text, error);
}

/* A SignedTransaction by the key @udf of the key store. */
JsonObject *
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

JsonObject *
obj_string(const char *member, const char *value)
{
	JsonObject *obj = json_object_new();

	json_object_set_string_member(obj, member, value);
	return obj;
}

/* The first entry of a GetResponse (a new reference). */
JsonNode *
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

MeshPersonalProfile *
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

void
ctx_clear(Ctx *ctx)
{
	account_free(ctx->account);
	if (!ctx->borrowed) {
		mesh_personal_profile_free(ctx->personal);
		mesh_device_profile_free(ctx->device);
	}
	g_free(ctx->personal_stamp);
	g_free(ctx->admin_udf);
	mesh_key_unref(ctx->admin);
	mesh_portal_client_close(ctx->client);
	queue_op_free(ctx->queue_op);
	if (ctx->replay != NULL)
		g_hash_table_unref(ctx->replay);
	memset(ctx, 0, sizeof *ctx);
}

gboolean
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

/*
 * The verified object for @folder/@name from the session's cache (borrowed), else loaded with
 * @load (which reads and verifies it) and kept there. @ret_stamp (may be NULL) receives the
 * entry's stamp as it was verified.
 */
typedef gboolean (*LoadFunc)(MeshSession *session, const char *udf, gpointer *ret,
                             GError **error);

static gboolean
kept(MeshSession *session, MeshHiveFolder folder, const char *udf, const char *context,
     LoadFunc load, GDestroyNotify free, gpointer *ret, MeshHiveStamp *ret_stamp, GError **error)
{
	g_autofree char *name = json_name(udf);
	MeshHiveStamp stamp = {{0}};
	gpointer object;

	/* The stamp is taken before the read: a change while it is read shows next time. */
	object = mesh_hive_cache_get(session->cache, session->hive, folder, name, context, &stamp);
	if (object == NULL) {
		if (!load(session, udf, &object, error))
			return FALSE;
		mesh_hive_cache_put(session->cache, folder, name, context, &stamp, object, free);
	}
	if (ret_stamp != NULL)
		*ret_stamp = stamp;
	*ret = object;
	return TRUE;
}

static gboolean
load_device(MeshSession *session, const char *udf, gpointer *ret, GError **error)
{
	return mesh_device_load(session->hive, udf, (MeshDeviceProfile **)ret, NULL, error);
}

static gboolean
load_personal_any(MeshSession *session, const char *udf, gpointer *ret, GError **error)
{
	return load_personal(session, udf, (MeshPersonalProfile **)ret, error);
}

/* The account entry of @account (not a pending connection) and this device into @ctx. */
gboolean
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
	if (ctx->borrowed)
		return kept(session, MESH_HIVE_THIS_DEVICE, ctx->account->device, NULL, load_device,
		            (GDestroyNotify)mesh_device_profile_free, (gpointer *)&ctx->device, NULL,
		            error);
	return mesh_device_load(session->hive, ctx->account->device, &ctx->device, NULL, error);
}

/* The stored personal profile into @ctx; one that does not verify is reported with its fix. */
static gboolean
ctx_load_personal(Ctx *ctx, GError **error)
{
	MeshHiveStamp stamp;
	gboolean ok;

	if (ctx->borrowed) {
		ok = kept(ctx->session, MESH_HIVE_PERSONAL_PROFILES, ctx->account->profile, NULL,
		          load_personal_any, (GDestroyNotify)mesh_personal_profile_free,
		          (gpointer *)&ctx->personal, &stamp, error);
		if (ok)
			ctx->personal_stamp = mesh_hive_cache_stamp_text(&stamp);
	} else {
		ok = load_personal(ctx->session, ctx->account->profile, &ctx->personal, error);
	}
	if (!ok) {
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

gboolean
ctx_open(Ctx *ctx, MeshSession *session, const char *account, gboolean admin, gboolean portal,
         GError **error)
{
	if (!ctx_open_entry(ctx, session, account, error) || !ctx_load_personal(ctx, error))
		return FALSE;
	if (admin) {
		const char *udf = account_admin_udf(ctx->account, ctx->personal);

		if (udf == NULL) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_UNAUTHORIZED,
			            "this device is not an administration device of %s: run this "
			            "on one ('mesh device list' shows them), or have one promote "
			            "this device ('mesh device promote')",
			            ctx->account->account);
			return FALSE;
		}
		ctx->admin_udf = g_strdup(udf);
		if (!mesh_keystore_get_public(session->store, udf, &ctx->admin, error))
			return FALSE;
	}
	if (portal) {
		ctx->client = account_portal_open(session, ctx->account, NULL, error);
		if (ctx->client == NULL)
			return FALSE;
	}
	return TRUE;
}

/*
 * ctx_open for an operation that only reads: the device and personal profiles are those the
 * session's cache kept when their entries are unchanged on disk (borrowed: not to be changed).
 */
gboolean
ctx_open_read(Ctx *ctx, MeshSession *session, const char *account, GError **error)
{
	ctx->borrowed = session->cache != NULL;
	return ctx_open(ctx, session, account, FALSE, FALSE, error);
}

/*
 * Publish @entry. A change that may be queued (ctx->queue_op) and finds the portal unreachable
 * (or knows it is: ctx->offline) is queued instead, once: the rest of the operation stores its
 * changes here as it would after publishing them (session-queue.c).
 */
gboolean
ctx_publish(Ctx *ctx, JsonNode *entry, GError **error)
{
	JsonObject *request;
	g_autoptr(JsonObject) response = NULL;
	g_autoptr(GError) local = NULL;

	if (ctx->queued)
		return TRUE;
	if (!ctx->offline) {
		request = obj_string("Account", ctx->account->account);
		json_object_set_member(request, "Entry", json_node_copy(entry));
		response = portal_signed(ctx->session, ctx->client, "PublishRequest", request,
		                         ctx->admin_udf, &local);
		if (response != NULL)
			return TRUE;
		if (ctx->queue_op == NULL || !portal_unreachable(local)) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
	}
	if (ctx->queue_op == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NETWORK,
		            "the portal of %s cannot be reached", ctx->account->account);
		return FALSE;
	}
	if (!ctx_queue(ctx, error))
		return FALSE;
	ctx->queued = TRUE;
	return TRUE;
}

/*
 * Sign, publish and store the personal profile (already changed and touched). Queued, it is
 * stored without raising the serials the account entry records (the floor the portal's copy
 * must reach: only what the portal took raises it); replayed (a flush), it is kept in
 * ctx->replay, at a serial above the one stored here.
 */
gboolean
ctx_publish_personal(Ctx *ctx, GError **error)
{
	MeshKeyStoreSigner signer = {ctx->session->store, ctx->admin_udf};
	g_autoptr(JsonNode) node = NULL;
	g_autofree char *name = json_name(ctx->personal->identifier);
	g_autoptr(MeshPersonalProfile) stored = NULL;

	if (ctx->replay != NULL && load_personal(ctx->session, ctx->personal->identifier, &stored,
	                                         NULL))
		ctx->personal->serial = MAX(ctx->personal->serial, stored->serial + 1);
	node = mesh_personal_profile_sign(ctx->personal, ctx->admin, mesh_keystore_jws_sign,
	                                  &signer, error);
	if (node == NULL || !ctx_publish(ctx, node, error))
		return FALSE;
	if (ctx->replay != NULL) {
		g_hash_table_replace(ctx->replay, g_strdup(ctx->personal->identifier),
		                     g_steal_pointer(&node));
		return TRUE;
	}
	if (ctx->queued)
		return write_json(ctx->session->hive, MESH_HIVE_PERSONAL_PROFILES, name, node,
		                  error);
	return store_personal(ctx->session, ctx->account, node, ctx->personal, error);
}
