/* SPDX-License-Identifier: MIT */
#include "transactions.h"

#include <openssl/rand.h>
#include <string.h>

#include "application.h"
#include "base64.h"
#include "connect.h"
#include "error.h"
#include "escrow.h"
#include "http.h"
#include "json.h"
#include "master.h"
#include "ossl.h"
#include "personal.h"
#include "portal-client.h"
#include "signed.h"
#include "ssh-device-key.h"
#include "sshkey.h"

struct MeshPortal {
	char *domain;
	MeshPortalStore *store; /* borrowed */
	MeshPortalClock now;
	gpointer now_data;
	gint64 pending_expiry;
	MeshPortalNotice notice;
	gpointer notice_data;
	/* The store failure told last, when, and how many repeats were left out since
	 * (requests may be answered on several threads). */
	GMutex notice_lock;
	char *notice_last;
	gint64 notice_time;
	guint notice_repeats;
	/* What was read of stored texts before, by the SHA-256 of the exact text (a text that
	 * changes is another key): the device key of a verified connection request (MeshKey, a
	 * reference), and the Removed devices of an account's profile (GHashTable, a reference).
	 * Under cache_lock; emptied when CACHE_MAX entries are reached. */
	GMutex cache_lock;
	GHashTable *device_keys;
	GHashTable *removed_sets;
};

/* Entries of each cache of MeshPortal at most (each a few hundred bytes). */
#define CACHE_MAX 4096

/* One request being answered. */
typedef struct {
	MeshPortal *portal;
	const char *client; /* the client key (http.h), or NULL: in process */
	gint64 now;
	JsonObject *request;     /* the tagged request's members */
	MeshSignedObject *jws;   /* the SignedTransaction; NULL for a plain request */
	const char *nonce;       /* its Nonce (base64url, 16 bytes) */
	gint64 issued;           /* its Issued */
	JsonObject *response;    /* the answer's members */
	guint status;            /* 200 or 201; another status when the answer is not an error */
	MeshError code;          /* the MeshError of such a status */
	const char *description; /* and its StatusDescription */
	/* The devices the account's current personal profile lists as Removed (UDF -> when),
	 * once an account is loaded (load_account_master): whatever they sign is refused. */
	GHashTable *removed;
	/* Answered at once (mesh_portal_handler_now): the nonce is checked, not yet used; the
	 * answer waits for mesh_portal_finish to use it. */
	gboolean defer;
	gboolean deferred; /* a nonce waits */
} Txn;

static void
txn_clear(Txn *txn)
{
	g_clear_pointer(&txn->removed, g_hash_table_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Txn, txn_clear)

typedef gboolean (*TxnHandler)(Txn *txn, GError **error);

/* How a transaction is sent. */
typedef enum {
	TXN_OPEN,   /* a plain tagged request */
	TXN_SIGNED, /* a SignedTransaction */
	TXN_EITHER, /* either: signed, it is also checked (Get) */
} TxnSigning;

typedef struct {
	const char *name; /* for logs: "Get" */
	const char *tag;
	const char *response_tag;
	TxnSigning signing;
	const char *members[3];
	TxnHandler handler;
	/* It reads, and writes nothing but its nonce: answered at once (mesh_portal_handler_now),
	 * its nonce written by mesh_portal_finish before the answer goes. */
	gboolean reads;
} Transaction;

/* ---- The portal ---------------------------------------------------------------------------- */

static gint64
system_clock(gpointer data)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

MeshPortal *
mesh_portal_new(const char *domain, MeshPortalStore *store, GError **error)
{
	g_autofree char *probe = g_strconcat("x@", domain != NULL ? domain : "", NULL);
	MeshPortal *portal;

	if (domain == NULL || !mesh_personal_check_account(probe, NULL)) {
		g_autofree char *quoted = mesh_error_quote(domain);

		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "'%s' is not a domain a portal can serve: a lower-case DNS name with "
			    "at least two labels",
			    quoted);
		return NULL;
	}
	portal = g_new0(MeshPortal, 1);
	portal->domain = g_strdup(domain);
	portal->store = store;
	portal->now = system_clock;
	portal->pending_expiry = MESH_PORTAL_PENDING_EXPIRY_SECONDS;
	g_mutex_init(&portal->notice_lock);
	g_mutex_init(&portal->cache_lock);
	portal->device_keys =
	        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)mesh_key_unref);
	portal->removed_sets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	                                             (GDestroyNotify)g_hash_table_unref);
	return portal;
}

void
mesh_portal_free(MeshPortal *portal)
{
	if (portal == NULL)
		return;
	g_free(portal->domain);
	g_free(portal->notice_last);
	g_mutex_clear(&portal->notice_lock);
	g_hash_table_unref(portal->device_keys);
	g_hash_table_unref(portal->removed_sets);
	g_mutex_clear(&portal->cache_lock);
	g_free(portal);
}

void
mesh_portal_set_clock(MeshPortal *portal, MeshPortalClock now, gpointer data)
{
	portal->now = now != NULL ? now : system_clock;
	portal->now_data = now != NULL ? data : NULL;
}

void
mesh_portal_set_pending_expiry(MeshPortal *portal, gint64 seconds)
{
	portal->pending_expiry = MAX(seconds, 1);
}

void
mesh_portal_set_notice(MeshPortal *portal, MeshPortalNotice notice, gpointer data)
{
	portal->notice = notice;
	portal->notice_data = notice != NULL ? data : NULL;
}

const char *
mesh_portal_domain(const MeshPortal *portal)
{
	return portal->domain;
}

/* ---- Reading requests ---------------------------------------------------------------------- */

/* The member @name of the request, which must be a JSON object. */
static JsonNode *
get_object_node(JsonObject *obj, const char *name, GError **error)
{
	JsonObject *inner = NULL;

	if (!mesh_json_get_object(obj, name, &inner, error))
		return NULL;
	return json_object_get_member(obj, name);
}

/* Unix seconds of a time mesh_json_get_time accepted. */
static gint64
time_to_unix(const char *text)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_iso8601(text, NULL);

	return t != NULL ? g_date_time_to_unix(t) : G_MININT64;
}

static char *
unix_to_time(gint64 seconds)
{
	char *text = mesh_json_time_from_unix(seconds);

	return text != NULL ? text : g_strdup("");
}

/* Parse a stored text (written by this layer; a failure is the portal's own fault). */
static JsonNode *
stored_parse(const char *text, const char *what, GError **error)
{
	JsonNode *node = mesh_json_parse(text, strlen(text), MESH_PORTAL_STORE_TEXT_MAX, error);

	if (node == NULL) {
		mesh_signed_recode(error, MESH_ERROR_FAILED);
		g_prefix_error(error, "the stored %s does not read: ", what);
	}
	return node;
}

/*
 * The text to store for @node: what a reader gets back byte for byte, so it must read again.
 * (A string the JSON reader let through as bytes that are not UTF-8 would not.)
 */
static char *
stored_text(JsonNode *node, GError **error)
{
	g_autofree char *text = mesh_json_to_string(node);

	if (!g_utf8_validate(text, -1, NULL)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "the request holds a string that is not UTF-8");
		return NULL;
	}
	return g_steal_pointer(&text);
}

/*
 * The store's name of the account @given: folded to lower case, a valid account name, and
 * "local@domain" only for this portal's domain.
 */
static char *
account_name(MeshPortal *portal, const char *given, GError **error)
{
	g_autofree char *folded = g_ascii_strdown(given, -1);
	char *at;

	if (!mesh_personal_check_account(folded, error))
		return NULL;
	at = strchr(folded, '@');
	if (at != NULL) {
		if (strcmp(at + 1, portal->domain) != 0) {
			g_autofree char *quoted = mesh_error_quote(at + 1);

			g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
				    "this portal serves accounts @%s, not @%s", portal->domain,
				    quoted);
			return NULL;
		}
		*at = '\0';
	}
	return g_steal_pointer(&folded);
}

/* The account named by the request's member @member. */
static gboolean
load_account(Txn *txn, const char *member, MeshPortalAccount **ret_account, GError **error)
{
	const char *given = NULL;
	g_autofree char *name = NULL;

	if (!mesh_json_get_string(txn->request, member, &given, error))
		return FALSE;
	name = account_name(txn->portal, given, error);
	if (name == NULL)
		return FALSE;
	return mesh_portal_store_account_get(txn->portal->store, name, ret_account, error);
}

/* The Removed devices of the stored personal profile @obj (verified when it was published). */
static GHashTable *
removed_devices(JsonObject *obj)
{
	GHashTable *removed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	JsonNode *node = json_object_get_member(obj, "Removed");
	JsonArray *array = node != NULL && JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node)
								      : NULL;

	for (guint i = 0; array != NULL && i < json_array_get_length(array); i++) {
		JsonNode *e = json_array_get_element(array, i);
		const char *device = NULL, *when = NULL;

		if (JSON_NODE_HOLDS_OBJECT(e) &&
		    mesh_json_get_string(json_node_get_object(e), "Device", &device, NULL) &&
		    mesh_json_get_string(json_node_get_object(e), "Removed", &when, NULL))
			g_hash_table_insert(removed, g_strdup(device), g_strdup(when));
	}
	return removed;
}

/* ---- What stored texts said, kept ------------------------------------------------------- */

/* The cache key of @text: its SHA-256, hex. */
static char *
text_digest(const char *text)
{
	return g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
}

/* A new reference to what @cache holds for @digest, or NULL. */
static gpointer
cache_get(MeshPortal *portal, GHashTable *cache, const char *digest, gpointer (*ref)(gpointer))
{
	gpointer value;

	g_mutex_lock(&portal->cache_lock);
	value = g_hash_table_lookup(cache, digest);
	if (value != NULL)
		value = ref(value);
	g_mutex_unlock(&portal->cache_lock);
	return value;
}

/* Keep a reference to @value for @digest (the cache is emptied first when full). */
static void
cache_put(MeshPortal *portal, GHashTable *cache, const char *digest, gpointer value,
          gpointer (*ref)(gpointer))
{
	g_mutex_lock(&portal->cache_lock);
	if (g_hash_table_size(cache) >= CACHE_MAX)
		g_hash_table_remove_all(cache);
	g_hash_table_replace(cache, g_strdup(digest), ref(value));
	g_mutex_unlock(&portal->cache_lock);
}

static gpointer
key_ref(gpointer key)
{
	return mesh_key_ref(key);
}

static gpointer
set_ref(gpointer set)
{
	return g_hash_table_ref(set);
}

/*
 * What the transactions read of @account's current personal profile (stored after it verified):
 * its master profile into *@ret_master (verified again: it is one signature; NULL: not wanted,
 * nor checked) and its Removed devices into *@ret_removed.
 */
static gboolean
account_profile(const MeshPortalAccount *account, MeshMasterProfile **ret_master,
		GHashTable **ret_removed, GError **error)
{
	g_autoptr(JsonNode) root = stored_parse(account->profile, "profile", error);
	g_autoptr(MeshSignedObject) object = NULL;
	MeshMasterProfile *master = NULL;
	JsonObject *obj;

	if (root != NULL)
		object = mesh_signed_open(root, "PersonalProfile", MESH_PROFILE_MAX, error);
	obj = object != NULL ? mesh_signed_untag(object->payload, "PersonalProfile", error) : NULL;
	if (obj != NULL && ret_master != NULL)
		master = mesh_master_profile_verify(json_object_get_member(obj,
									   "SignedMasterProfile"),
						    error);
	if (obj == NULL || (ret_master != NULL && master == NULL)) {
		if (error != NULL && *error != NULL && mesh_error_code(*error) != MESH_ERROR_FAILED) {
			mesh_signed_recode(error, MESH_ERROR_FAILED);
			g_prefix_error(error, "the stored profile does not read: ");
		}
		return FALSE;
	}
	*ret_removed = removed_devices(obj);
	if (ret_master != NULL)
		*ret_master = master;
	return TRUE;
}

/* Refused when the device @udf was removed from the account's profile (txn->removed). */
static gboolean
not_removed(Txn *txn, const char *udf, GError **error)
{
	const char *when = txn->removed != NULL && udf != NULL
				   ? g_hash_table_lookup(txn->removed, udf)
				   : NULL;

	if (when == NULL)
		return TRUE;
	g_set_error(error, MESH_ERROR, MESH_ERROR_REMOVED,
		    "the device %s was removed from the account's profile on %s: it can no longer "
		    "act for the account",
		    udf, when);
	return FALSE;
}

/* The account the request's @member names, its Removed devices (txn->removed: a removed
 * device's signed request is refused here) and, unless @ret_master is NULL, its master profile. */
static gboolean
load_account_master(Txn *txn, const char *member, MeshPortalAccount **ret_account,
		    MeshMasterProfile **ret_master, GError **error)
{
	g_autoptr(MeshPortalAccount) account = NULL;
	MeshMasterProfile *master = NULL;

	if (!load_account(txn, member, &account, error))
		return FALSE;
	g_clear_pointer(&txn->removed, g_hash_table_unref);
	if (ret_master != NULL) {
		if (!account_profile(account, &master, &txn->removed, error))
			return FALSE;
	} else {
		/* Only the Removed list: as read before from the same text, when it was. */
		g_autofree char *digest = text_digest(account->profile);

		txn->removed = cache_get(txn->portal, txn->portal->removed_sets, digest, set_ref);
		if (txn->removed == NULL) {
			if (!account_profile(account, NULL, &txn->removed, error))
				return FALSE;
			cache_put(txn->portal, txn->portal->removed_sets, digest, txn->removed,
			          set_ref);
		}
	}
	/* A removed device's signed request is refused before anything else is read of it. */
	if (txn->jws != NULL && !not_removed(txn, mesh_jws_kid(txn->jws->jws), error)) {
		mesh_master_profile_free(master);
		return FALSE;
	}
	*ret_account = g_steal_pointer(&account);
	if (ret_master != NULL)
		*ret_master = master;
	return TRUE;
}

/* ---- Authentication ------------------------------------------------------------------------ */

static gboolean
issued_check(MeshPortal *portal, gint64 issued, gint64 now, GError **error)
{
	if (issued >= now - MESH_PORTAL_ISSUED_WINDOW_SECONDS &&
	    issued <= now + MESH_PORTAL_ISSUED_WINDOW_SECONDS)
		return TRUE;
	g_set_error(error, MESH_ERROR, MESH_ERROR_UNAUTHORIZED,
		    "the request was issued more than %d minutes from the portal's time: check the "
		    "clock",
		    MESH_PORTAL_ISSUED_WINDOW_SECONDS / 60);
	return FALSE;
}

/* The request is signed by @key (whose UDF it names), and its nonce is new. */
static gboolean
authorize(Txn *txn, const MeshKey *key, GError **error)
{
	if (!not_removed(txn, mesh_key_udf(key), error) || !mesh_signed_verify(txn->jws, key, error))
		return FALSE;
	/* Only now: an unauthenticated request must not fill the replay cache. */
	if (txn->defer) {
		txn->deferred = mesh_portal_store_check_nonce(txn->nonce, txn->issued, txn->now, error);
		return txn->deferred;
	}
	return mesh_portal_store_use_nonce(txn->portal->store, txn->nonce, txn->issued, txn->now,
					   error);
}

static gboolean
not_admin(const MeshPortalAccount *account, GError **error)
{
	g_autofree char *quoted = mesh_error_quote(account->name);

	g_set_error(error, MESH_ERROR, MESH_ERROR_UNAUTHORIZED,
		    "the request is not signed by an administration key of account '%s'", quoted);
	return FALSE;
}

/* The request is signed by an OnlineSignatureKey of @master, the account's current one. */
static gboolean
authorize_admin(Txn *txn, const MeshPortalAccount *account, const MeshMasterProfile *master,
		GError **error)
{
	MeshKey *key = mesh_master_profile_online_key(master, mesh_jws_kid(txn->jws->jws));

	if (!not_removed(txn, mesh_jws_kid(txn->jws->jws), error))
		return FALSE;
	if (key == NULL)
		return not_admin(account, error);
	return authorize(txn, key, error);
}

/*
 * The request is signed by a member of @account: a device its current personal profile lists
 * (by its DeviceSignatureKey) or one of its administration keys.
 */
static gboolean
authorize_member(Txn *txn, const MeshPortalAccount *account, GError **error)
{
	g_autoptr(JsonNode) root = stored_parse(account->profile, "profile", error);
	g_autoptr(MeshPersonalProfile) personal = NULL;
	const char *kid = mesh_jws_kid(txn->jws->jws);
	MeshPersonalDevice *device;
	MeshKey *key;

	if (root == NULL)
		return FALSE;
	personal = mesh_personal_profile_verify(root, error);
	if (personal == NULL) {
		mesh_signed_recode(error, MESH_ERROR_FAILED);
		g_prefix_error(error, "the stored profile does not verify: ");
		return FALSE;
	}
	g_clear_pointer(&txn->removed, g_hash_table_unref);
	txn->removed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	for (guint i = 0; i < personal->removed->len; i++) {
		const MeshPersonalRemoved *r = personal->removed->pdata[i];

		g_hash_table_insert(txn->removed, g_strdup(r->device), g_strdup(r->removed));
	}
	if (!not_removed(txn, kid, error))
		return FALSE;
	key = mesh_master_profile_online_key(personal->master, kid);
	device = mesh_personal_profile_device(personal, kid);
	if (key == NULL && device == NULL) {
		g_autofree char *quoted = mesh_error_quote(account->name);

		g_set_error(error, MESH_ERROR, MESH_ERROR_UNAUTHORIZED,
			    "the request is not signed by a device or an administration key of "
			    "account '%s'",
			    quoted);
		return FALSE;
	}
	return authorize(txn, key != NULL ? key : device->profile->signature_key, error);
}

/* ---- Hello, Validate ----------------------------------------------------------------------- */

static gboolean
handle_hello(Txn *txn, GError **error)
{
	JsonObject *version = json_object_new();
	JsonArray *encodings = json_array_new();

	json_object_set_int_member(version, "Major", MESH_PORTAL_VERSION_MAJOR);
	json_object_set_int_member(version, "Minor", MESH_PORTAL_VERSION_MINOR);
	json_object_set_object_member(txn->response, "Version", version);
	json_array_add_string_element(encodings, "JSON");
	json_object_set_array_member(txn->response, "Encodings", encodings);
	return TRUE;
}

/* The distinct characters of the local part of @folded that account names may not hold. */
static char *
invalid_characters(const char *folded)
{
	g_autoptr(GString) out = g_string_new(NULL);
	/* Walk characters of valid UTF-8 only (each invalid byte becomes U+FFFD). */
	g_autofree char *valid = g_utf8_make_valid(folded, -1);

	for (const char *s = valid; *s != '\0' && *s != '@'; s = g_utf8_next_char(s)) {
		g_autofree char *c = g_strndup(s, g_utf8_next_char(s) - s);

		if (!g_ascii_islower(*s) && !g_ascii_isdigit(*s) && *s != '.' && *s != '_' &&
		    *s != '-' && out->len < 64 && strstr(out->str, c) == NULL)
			g_string_append(out, c);
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static gboolean
handle_validate(Txn *txn, GError **error)
{
	const char *given = NULL;
	JsonNode *reserve = json_object_get_member(txn->request, "Reserve");
	g_autofree char *folded = NULL;
	g_autofree char *name = NULL;
	g_autofree char *invalid = NULL;
	g_autoptr(MeshPortalAccount) account = NULL;
	g_autoptr(GError) local = NULL;

	if (!mesh_json_get_string(txn->request, "Account", &given, error))
		return FALSE;
	if (reserve != NULL && (!JSON_NODE_HOLDS_VALUE(reserve) ||
				json_node_get_value_type(reserve) != G_TYPE_BOOLEAN)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "member \"Reserve\" must be a boolean");
		return FALSE;
	}
	folded = g_ascii_strdown(given, -1);
	invalid = invalid_characters(folded);
	name = account_name(txn->portal, given, &local);
	if (name != NULL &&
	    mesh_portal_store_account_get(txn->portal->store, name, &account, &local)) {
		g_set_error(&local, MESH_ERROR, MESH_ERROR_EXISTS, "the account exists already");
	} else if (name != NULL && mesh_error_code(local) == MESH_ERROR_NOT_FOUND) {
		g_clear_error(&local);
	} else if (name != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	json_object_set_boolean_member(txn->response, "Valid", local == NULL);
	json_object_set_int_member(txn->response, "Minimum", 1);
	json_object_set_int_member(txn->response, "Maximum", MESH_ACCOUNT_LOCAL_MAX);
	json_object_set_string_member(txn->response, "InvalidCharacters", invalid);
	if (local != NULL) {
		g_autofree char *reason = g_utf8_make_valid(local->message, -1);

		json_object_set_string_member(txn->response, "Reason", reason);
	}
	return TRUE;
}

/* ---- Accounts and entries ------------------------------------------------------------------ */

static gboolean
handle_create(Txn *txn, GError **error)
{
	const char *given = NULL;
	JsonNode *node;
	g_autofree char *name = NULL;
	g_autofree char *profile_name = NULL;
	g_autofree char *text = NULL;
	g_autoptr(MeshPersonalProfile) profile = NULL;

	if (!mesh_json_get_string(txn->request, "Account", &given, error))
		return FALSE;
	name = account_name(txn->portal, given, error);
	node = name != NULL ? get_object_node(txn->request, "Profile", error) : NULL;
	if (node == NULL)
		return FALSE;
	profile = mesh_personal_profile_verify(node, error);
	if (profile == NULL) {
		g_prefix_error(error, "Profile: ");
		return FALSE;
	}
	profile_name = account_name(txn->portal, profile->account, error);
	if (profile_name == NULL)
		return FALSE;
	if (strcmp(profile_name, name) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the profile is for another account than the one to create");
		return FALSE;
	}
	text = stored_text(node, error);
	if (text == NULL ||
	    !mesh_portal_store_account_create(txn->portal->store, name, profile->identifier, text,
	                                      profile->serial, txn->client, txn->now, error))
		return FALSE;
	txn->status = 201;
	return TRUE;
}

/*
 * DeleteRequest {Account, Identifier}: one escrow entry of the account (an escrow revoked).
 * Another account's entry is NotFound, as an identifier nobody published: the request learns
 * nothing Get would not tell. Any other entry is refused: application profiles go when the
 * personal profile stops listing them, SSH device keys are replaced, the profile goes with the
 * account.
 */
static gboolean
delete_entry(Txn *txn, const MeshPortalAccount *account, const char *identifier, GError **error)
{
	g_autoptr(MeshPortalEntry) entry = NULL;
	g_autoptr(GError) local = NULL;
	g_autofree char *quoted = mesh_error_quote(identifier);
	g_autofree char *name = mesh_error_quote(account->name);

	if ((!mesh_portal_store_entry_get(txn->portal->store, identifier, &entry, &local) &&
	     g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND)) ||
	    (entry != NULL && strcmp(entry->account, account->name) != 0)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
			    "account '%s' has no entry '%s'", name, quoted);
		return FALSE;
	}
	if (entry == NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (strcmp(entry->type, MESH_PORTAL_TYPE_ESCROW) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the entry '%s' is not an escrow entry: only escrow entries are deleted "
			    "by Identifier",
			    quoted);
		return FALSE;
	}
	return mesh_portal_store_entry_delete(txn->portal->store, identifier, error);
}

static gboolean
handle_delete(Txn *txn, GError **error)
{
	g_autoptr(MeshPortalAccount) account = NULL;
	g_autoptr(MeshMasterProfile) master = NULL;
	const char *identifier = NULL;

	if (!mesh_json_get_string_opt(txn->request, "Identifier", &identifier, error) ||
	    !load_account_master(txn, "Account", &account, &master, error) ||
	    !authorize_admin(txn, account, master, error))
		return FALSE;
	if (identifier != NULL)
		return delete_entry(txn, account, identifier, error);
	return mesh_portal_store_account_delete(txn->portal->store, account->name, error);
}

static gboolean
add_entry(JsonArray *entries, const char *text, GError **error)
{
	JsonNode *node = stored_parse(text, "entry", error);

	if (node == NULL)
		return FALSE;
	json_array_add_element(entries, node);
	return TRUE;
}

static gboolean
handle_get(Txn *txn, GError **error)
{
	const char *identifier = NULL;
	gboolean by_account = json_object_has_member(txn->request, "Account");
	g_autoptr(JsonArray) entries = json_array_new();

	if (by_account == json_object_has_member(txn->request, "Identifier")) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "a GetRequest names either an Account or an Identifier");
		return FALSE;
	}
	if (by_account) {
		g_autoptr(MeshPortalAccount) account = NULL;

		if (!load_account(txn, "Account", &account, error) ||
		    (txn->jws != NULL && !authorize_member(txn, account, error)) ||
		    !add_entry(entries, account->profile, error))
			return FALSE;
	} else {
		g_autoptr(MeshPortalEntry) entry = NULL;
		g_autoptr(MeshPortalAccount) account = NULL;

		if (!mesh_json_get_string(txn->request, "Identifier", &identifier, error) ||
		    !mesh_portal_store_entry_get(txn->portal->store, identifier, &entry, error))
			return FALSE;
		/* Signed: by a member of the account the entry belongs to. */
		if (txn->jws != NULL &&
		    (!mesh_portal_store_account_get(txn->portal->store, entry->account, &account,
						    error) ||
		     !authorize_member(txn, account, error)))
			return FALSE;
		if (!add_entry(entries, entry->text, error))
			return FALSE;
	}
	json_object_set_array_member(txn->response, "Entries", g_steal_pointer(&entries));
	return TRUE;
}

static gboolean
publish(Txn *txn, const MeshPortalAccount *account, const char *type, const char *identifier,
	gint64 serial, JsonNode *node, GError **error)
{
	g_autofree char *text = stored_text(node, error);
	MeshPortalEntry entry = { (char *)identifier, account->name, (char *)type, serial, text,
				  0 };

	return text != NULL &&
	       mesh_portal_store_entry_publish(txn->portal->store, &entry, txn->now, error);
}

/*
 * After a personal profile is published: delete the account's application profiles it no
 * longer lists (AppDelete), so that what a user deleted is no longer served to anyone who asks
 * by its Identifier, nor counts against the account's quota. The publication stands whatever
 * happens here; an entry that could not be deleted goes with the next one.
 */
static void
drop_unlisted_apps(Txn *txn, const MeshPortalAccount *account, const MeshPersonalProfile *profile)
{
	g_autoptr(GPtrArray) entries = NULL;

	if (!mesh_portal_store_entry_list(txn->portal->store, account->name,
	                                  MESH_PORTAL_TYPE_APPLICATION, &entries, NULL))
		return;
	for (guint i = 0; i < entries->len; i++) {
		const MeshPortalEntry *e = entries->pdata[i];

		if (mesh_personal_profile_application(profile, e->identifier) == NULL)
			mesh_portal_store_entry_delete(txn->portal->store, e->identifier, NULL);
	}
}

/*
 * A personal profile: signed (the transaction) by an administration key of the current master
 * profile, or — recovery re-binding the account to new administration keys (§8) — by one of a
 * newer master profile signed by the master key the account was created with.
 */
static gboolean
publish_personal(Txn *txn, const MeshPortalAccount *account, const MeshMasterProfile *master,
		 JsonNode *node, GError **error)
{
	const char *kid = mesh_jws_kid(txn->jws->jws);
	MeshKey *signer = mesh_master_profile_online_key(master, kid);
	g_autoptr(MeshPersonalProfile) profile = NULL;
	g_autofree char *profile_name = NULL;

	if (signer != NULL && !authorize(txn, signer, error))
		return FALSE;
	profile = mesh_personal_profile_verify(node, error);
	if (profile == NULL) {
		g_prefix_error(error, "Entry: ");
		return FALSE;
	}
	if (signer == NULL) {
		/* The embedded master profile verified: its Identifier is its signer's UDF. */
		if (!g_str_equal(profile->master->identifier, account->identifier) ||
		    profile->master->serial <= master->serial)
			return not_admin(account, error);
		signer = mesh_master_profile_online_key(profile->master, kid);
		if (signer == NULL)
			return not_admin(account, error);
		if (!authorize(txn, signer, error))
			return FALSE;
	}
	if (!g_str_equal(profile->identifier, account->identifier)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the profile %s is not the one this account was created with",
			    profile->identifier);
		return FALSE;
	}
	if (profile->master->serial < master->serial) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_STALE,
			    "the profile's master profile has Serial %" G_GINT64_FORMAT
			    "; the portal holds Serial %" G_GINT64_FORMAT,
			    profile->master->serial, master->serial);
		return FALSE;
	}
	profile_name = account_name(txn->portal, profile->account, error);
	if (profile_name == NULL)
		return FALSE;
	if (!g_str_equal(profile_name, account->name)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the profile is for another account");
		return FALSE;
	}
	if (!publish(txn, account, MESH_PORTAL_TYPE_PERSONAL, profile->identifier, profile->serial,
	             node, error))
		return FALSE;
	drop_unlisted_apps(txn, account, profile);
	return TRUE;
}

static gboolean
publish_application(Txn *txn, const MeshPortalAccount *account, const MeshMasterProfile *master,
		    JsonNode *node, GError **error)
{
	g_autoptr(MeshApplicationProfile) profile = NULL;

	if (!authorize_admin(txn, account, master, error))
		return FALSE;
	profile = mesh_application_profile_verify(node, master, error);
	if (profile == NULL) {
		g_prefix_error(error, "Entry: ");
		return FALSE;
	}
	return publish(txn, account, MESH_PORTAL_TYPE_APPLICATION, profile->identifier,
		       profile->serial, node, error);
}

static gboolean
publish_escrow(Txn *txn, const MeshPortalAccount *account, const MeshMasterProfile *master,
	       JsonNode *node, GError **error)
{
	g_autofree char *text = NULL;
	g_autoptr(MeshEscrowEntry) entry = NULL;

	if (!authorize_admin(txn, account, master, error))
		return FALSE;
	text = stored_text(node, error);
	if (text == NULL)
		return FALSE;
	if (strlen(text) > MESH_ESCROW_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "an escrow entry is at most %d bytes", MESH_ESCROW_MAX);
		return FALSE;
	}
	entry = mesh_escrow_entry_from_json(node, error);
	if (entry == NULL) {
		g_prefix_error(error, "Entry: ");
		return FALSE;
	}
	/* Serial 0: an escrow entry is published once and never replaced. */
	return publish(txn, account, MESH_PORTAL_TYPE_ESCROW, entry->identifier, 0, node, error);
}

/*
 * A device's SSH key: the transaction and the entry are signed by the DeviceSignatureKey of a
 * device that the account's current personal profile lists, and the entry is that device's,
 * for this account and profile. Any device may publish its own key; none may publish another's.
 */
static gboolean
publish_ssh_key(Txn *txn, const MeshPortalAccount *account, JsonNode *node, GError **error)
{
	g_autoptr(JsonNode) root = stored_parse(account->profile, "profile", error);
	g_autoptr(MeshPersonalProfile) personal = NULL;
	g_autoptr(MeshSshDeviceKey) key = NULL;
	g_autofree char *key_account = NULL;
	g_autofree char *identifier = NULL;
	MeshPersonalDevice *device;

	if (root == NULL)
		return FALSE;
	personal = mesh_personal_profile_verify(root, error);
	if (personal == NULL) {
		mesh_signed_recode(error, MESH_ERROR_FAILED);
		g_prefix_error(error, "the stored profile does not read: ");
		return FALSE;
	}
	device = mesh_personal_profile_device(personal, mesh_jws_kid(txn->jws->jws));
	if (device == NULL) {
		g_autofree char *quoted = mesh_error_quote(account->name);

		g_set_error(error, MESH_ERROR, MESH_ERROR_UNAUTHORIZED,
			    "the request is not signed by a device of account '%s'", quoted);
		return FALSE;
	}
	if (!authorize(txn, device->profile->signature_key, error))
		return FALSE;
	key = mesh_ssh_device_key_verify(node, device->profile->signature_key, error);
	if (key == NULL) {
		g_prefix_error(error, "Entry: ");
		return FALSE;
	}
	key_account = account_name(txn->portal, key->account, error);
	if (key_account == NULL)
		return FALSE;
	if (!g_str_equal(key_account, account->name) ||
	    !g_str_equal(key->profile, account->identifier)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the SSH key is for another account or profile");
		return FALSE;
	}
	identifier = mesh_ssh_device_key_identifier(key->profile, key->device_udf, error);
	return identifier != NULL && publish(txn, account, MESH_PORTAL_TYPE_SSH_KEY, identifier,
					     key->serial, node, error);
}

static gboolean
handle_publish(Txn *txn, GError **error)
{
	g_autoptr(MeshPortalAccount) account = NULL;
	g_autoptr(MeshMasterProfile) master = NULL;
	JsonNode *node;
	JsonObject *obj;

	if (!load_account_master(txn, "Account", &account, &master, error))
		return FALSE;
	node = get_object_node(txn->request, "Entry", error);
	if (node == NULL)
		return FALSE;
	obj = json_node_get_object(node);
	if (json_object_get_size(obj) == 1) {
		if (json_object_has_member(obj, MESH_PORTAL_TYPE_PERSONAL))
			return publish_personal(txn, account, master, node, error);
		if (json_object_has_member(obj, MESH_PORTAL_TYPE_APPLICATION))
			return publish_application(txn, account, master, node, error);
		if (json_object_has_member(obj, MESH_PORTAL_TYPE_ESCROW))
			return publish_escrow(txn, account, master, node, error);
		if (json_object_has_member(obj, MESH_PORTAL_TYPE_SSH_KEY))
			return publish_ssh_key(txn, account, node, error);
	}
	g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		    "Entry must be a " MESH_PORTAL_TYPE_PERSONAL ", a " MESH_PORTAL_TYPE_APPLICATION
		    ", an " MESH_PORTAL_TYPE_ESCROW " or a " MESH_PORTAL_TYPE_SSH_KEY);
	return FALSE;
}

/* ---- Connections --------------------------------------------------------------------------- */

static gboolean
handle_connect_start(Txn *txn, GError **error)
{
	g_autoptr(MeshPortalAccount) account = NULL;
	g_autoptr(MeshMasterProfile) master = NULL;
	g_autoptr(MeshConnectionRequest) request = NULL;
	guint8 server_nonce[MESH_CONNECT_NONCE_LEN];
	g_autofree char *server_text = NULL;
	g_autofree char *client_text = NULL;
	g_autofree char *witness = NULL;
	g_autofree char *text = NULL;
	MeshPortalConnection connection = { 0 };
	JsonNode *node;
	gint64 issued;

	if (!load_account_master(txn, "AccountID", &account, &master, error))
		return FALSE;
	node = get_object_node(txn->request, "SignedRequest", error);
	if (node == NULL)
		return FALSE;
	request = mesh_connection_request_verify(node, error);
	if (request == NULL) {
		g_prefix_error(error, "SignedRequest: ");
		return FALSE;
	}
	if (!not_removed(txn, request->device->identifier, error))
		return FALSE;
	/* The device's request is its authentication: fresh, and never seen before. */
	issued = time_to_unix(request->issued);
	client_text = mesh_b64u_encode(request->client_nonce, sizeof request->client_nonce);
	if (!issued_check(txn->portal, issued, txn->now, error) ||
	    !mesh_portal_store_use_nonce(txn->portal->store, client_text, issued, txn->now, error))
		return FALSE;
	if (RAND_bytes(server_nonce, sizeof server_nonce) != 1) {
		mesh_ossl_error(error, MESH_ERROR_CRYPTO, "no random bytes for the nonce");
		return FALSE;
	}
	witness = mesh_connection_request_witness(request, master, server_nonce, error);
	text = witness != NULL ? stored_text(node, error) : NULL;
	if (text == NULL)
		return FALSE;
	server_text = mesh_b64u_encode(server_nonce, sizeof server_nonce);
	connection.account = account->name;
	connection.device = request->device->identifier;
	connection.request = text;
	connection.server_nonce = server_text;
	connection.witness = witness;
	connection.expires = txn->now + txn->portal->pending_expiry;
	connection.client = (char *)txn->client;
	if (!mesh_portal_store_connection_add(txn->portal->store, &connection, txn->now, error))
		return FALSE;
	json_object_set_string_member(txn->response, "ServerNonce", server_text);
	json_object_set_string_member(txn->response, "Witness", witness);
	txn->status = 201;
	return TRUE;
}

/* The device signature key of the stored ConnectionRequest @text, verified (its signature, its
 * device profile's): once per text, then as kept. */
static MeshKey *
stored_request_key(MeshPortal *portal, const char *text, GError **error)
{
	g_autofree char *digest = text_digest(text);
	g_autoptr(MeshConnectionRequest) request = NULL;
	MeshKey *key = cache_get(portal, portal->device_keys, digest, key_ref);

	if (key != NULL)
		return key;
	request = mesh_connection_request_parse(text, strlen(text), error);
	if (request == NULL) {
		mesh_signed_recode(error, MESH_ERROR_FAILED);
		return NULL;
	}
	key = mesh_key_ref(request->device->signature_key);
	cache_put(portal, portal->device_keys, digest, key, key_ref);
	return key;
}

static gboolean
handle_connect_status(Txn *txn, GError **error)
{
	const char *device = NULL;
	g_autoptr(MeshPortalAccount) account = NULL;
	g_autoptr(MeshPortalConnection) connection = NULL;
	g_autoptr(MeshKey) key = NULL;
	MeshPortalConnectState state;

	/* The account's Removed devices (its master profile is not needed: a request is
	 * authorised here by the device's own key): a removed device learns nothing here. */
	if (!load_account_master(txn, "AccountID", &account, NULL, error) ||
	    !mesh_json_get_string(txn->request, "DeviceID", &device, error) ||
	    !mesh_portal_store_connection_get(txn->portal->store, account->name, device, txn->now,
					      &connection, error))
		return FALSE;
	key = stored_request_key(txn->portal, connection->request, error);
	if (key == NULL || !authorize(txn, key, error))
		return FALSE;
	state = mesh_portal_connection_state_at(connection, txn->now);
	json_object_set_string_member(txn->response, "State",
				      mesh_portal_connect_state_name(state));
	if (connection->result != NULL) {
		JsonNode *result = stored_parse(connection->result, "connection result", error);

		if (result == NULL)
			return FALSE;
		json_object_set_member(txn->response, "Result", result);
	}
	if (state == MESH_PORTAL_CONNECT_EXPIRED) {
		txn->code = MESH_ERROR_EXPIRED;
		txn->description = "the connection request expired: the device must ask again";
		txn->status = mesh_portal_status_for_error(MESH_ERROR_EXPIRED);
	}
	return TRUE;
}

static gboolean
handle_connect_pending(Txn *txn, GError **error)
{
	g_autoptr(MeshPortalAccount) account = NULL;
	g_autoptr(MeshMasterProfile) master = NULL;
	g_autoptr(GPtrArray) connections = NULL;
	g_autoptr(JsonArray) pending = json_array_new();

	if (!load_account_master(txn, "AccountID", &account, &master, error) ||
	    !authorize_admin(txn, account, master, error) ||
	    !mesh_portal_store_connection_list(txn->portal->store, account->name, txn->now,
					       &connections, error))
		return FALSE;
	for (guint i = 0; i < connections->len; i++) {
		const MeshPortalConnection *c = g_ptr_array_index(connections, i);
		JsonNode *request = stored_parse(c->request, "connection request", error);
		g_autofree char *expires = unix_to_time(c->expires);
		JsonObject *item;

		if (request == NULL)
			return FALSE;
		item = json_object_new();
		json_object_set_member(item, "SignedRequest", request);
		json_object_set_string_member(item, "ServerNonce", c->server_nonce);
		json_object_set_string_member(item, "Witness", c->witness);
		json_object_set_string_member(item, "Expires", expires);
		json_array_add_object_element(pending, item);
	}
	json_object_set_array_member(txn->response, "Pending", g_steal_pointer(&pending));
	return TRUE;
}

static gboolean
handle_connect_complete(Txn *txn, GError **error)
{
	g_autoptr(MeshPortalAccount) account = NULL;
	g_autoptr(MeshMasterProfile) master = NULL;
	g_autoptr(MeshConnectionResult) result = NULL;
	g_autoptr(MeshPortalConnection) connection = NULL;
	g_autofree char *text = NULL;
	JsonNode *node;

	if (!load_account_master(txn, "AccountID", &account, &master, error) ||
	    !authorize_admin(txn, account, master, error))
		return FALSE;
	node = get_object_node(txn->request, "Result", error);
	if (node == NULL)
		return FALSE;
	result = mesh_connection_result_verify(node, master, error);
	if (result == NULL) {
		g_prefix_error(error, "Result: ");
		return FALSE;
	}
	if (!mesh_portal_store_connection_get(txn->portal->store, account->name,
					      result->device_udf, txn->now, &connection, error))
		return FALSE;
	if (!mesh_connect_witness_equal(result->witness, connection->witness)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_WITNESS_MISMATCH,
			    "the result carries the witness %s, not the request's",
			    result->witness);
		return FALSE;
	}
	text = stored_text(node, error);
	return text != NULL &&
	       mesh_portal_store_connection_complete(
		txn->portal->store, account->name, result->device_udf,
		result->result == MESH_CONNECTION_ACCEPTED ? MESH_PORTAL_CONNECT_ACCEPTED
							   : MESH_PORTAL_CONNECT_REJECTED,
		text, txn->now, error);
}

/* ---- Dispatch ------------------------------------------------------------------------------ */

static const Transaction transactions[] = {
	{ "Hello", "HelloRequest", "HelloResponse", TXN_OPEN, { NULL }, handle_hello, TRUE },
	{ "Validate", "ValidateRequest", "ValidateResponse", TXN_OPEN, { "Account", "Reserve" },
	  handle_validate, TRUE },
	{ "Create", "CreateRequest", "CreateResponse", TXN_OPEN, { "Account", "Profile" },
	  handle_create, FALSE },
	{ "Delete", "DeleteRequest", "DeleteResponse", TXN_SIGNED, { "Account", "Identifier" },
	  handle_delete, FALSE },
	{ "Get", "GetRequest", "GetResponse", TXN_EITHER, { "Account", "Identifier" },
	  handle_get, TRUE },
	{ "Publish", "PublishRequest", "PublishResponse", TXN_SIGNED, { "Account", "Entry" },
	  handle_publish, FALSE },
	{ "ConnectStart", "ConnectStartRequest", "ConnectStartResponse", TXN_OPEN,
	  { "AccountID", "SignedRequest" }, handle_connect_start, FALSE },
	{ "ConnectStatus", "ConnectStatusRequest", "ConnectStatusResponse", TXN_SIGNED,
	  { "AccountID", "DeviceID" }, handle_connect_status, TRUE },
	{ "ConnectPending", "ConnectPendingRequest", "ConnectPendingResponse", TXN_SIGNED,
	  { "AccountID" }, handle_connect_pending, FALSE },
	{ "ConnectComplete", "ConnectCompleteRequest", "ConnectCompleteResponse", TXN_SIGNED,
	  { "AccountID", "Result" }, handle_connect_complete, FALSE },
};

static const Transaction *
find_transaction(const char *tag)
{
	for (gsize i = 0; tag != NULL && i < G_N_ELEMENTS(transactions); i++) {
		if (strcmp(transactions[i].tag, tag) == 0)
			return &transactions[i];
	}
	return NULL;
}

/* The answer body: {@tag: members} (untagged when @tag is NULL) with Status and
 * StatusDescription, and Code for an error status. Takes @members (NULL: none). */
static GBytes *
answer_bytes(const char *tag, JsonObject *members, guint status, MeshError code,
	     const char *description)
{
	JsonObject *obj = members != NULL ? members : json_object_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *valid = g_utf8_make_valid(
		description != NULL ? description : mesh_portal_status_text(status), -1);
	char *text;

	json_object_set_int_member(obj, "Status", status);
	/* Messages quote outside text safely; this keeps the answer UTF-8 whatever reached one. */
	json_object_set_string_member(obj, "StatusDescription", valid);
	if (status >= 400)
		json_object_set_string_member(obj, "Code", mesh_error_name(code));
	if (tag != NULL) {
		root = mesh_signed_tag(tag, obj);
	} else {
		root = json_node_new(JSON_NODE_OBJECT);
		json_node_take_object(root, obj);
	}
	text = mesh_json_to_string(root);
	return g_bytes_new_take(text, strlen(text));
}

/* Tell the operator of the store's failure @message at @now: once, then not again for the same
 * message until MESH_PORTAL_NOTICE_QUIET_SECONDS have passed (a database that is down fails
 * every request the same way). */
static void
store_notice(MeshPortal *portal, gint64 now, const char *message)
{
	g_autofree char *line = NULL;

	if (portal->notice == NULL)
		return;
	g_mutex_lock(&portal->notice_lock);
	if (g_strcmp0(message, portal->notice_last) == 0 && now >= portal->notice_time &&
	    now - portal->notice_time < MESH_PORTAL_NOTICE_QUIET_SECONDS) {
		portal->notice_repeats++;
	} else {
		if (portal->notice_repeats == 0)
			line = g_strconcat("store: ", message, NULL);
		else if (g_strcmp0(message, portal->notice_last) == 0)
			line = g_strdup_printf("store: %s (%u more since it was last logged)",
			                       message, portal->notice_repeats);
		else
			line = g_strdup_printf("store: %s (and %u more of the one before)", message,
			                       portal->notice_repeats);
		g_free(portal->notice_last);
		portal->notice_last = g_strdup(message);
		portal->notice_time = now;
		portal->notice_repeats = 0;
	}
	g_mutex_unlock(&portal->notice_lock);
	if (line != NULL)
		portal->notice(portal->notice_data, line);
}

/*
 * The answer to a failed request. The store's own failures (Network: unreachable; Io: it
 * failed) get a fixed description with their Code, and their message goes to the operator: it
 * may name hosts, sockets and files, and says nothing the client can act on but "try again".
 */
static GBytes *
error_bytes(MeshPortal *portal, gint64 now, const char *tag, const GError *error, guint *ret_status)
{
	MeshError code = mesh_error_code(error);
	const char *description = error->message;

	*ret_status = mesh_portal_status_for_error(code);
	if (code == MESH_ERROR_NETWORK || code == MESH_ERROR_IO) {
		store_notice(portal, now, error->message);
		description = code == MESH_ERROR_NETWORK
		                      ? "the portal's store is unavailable: try again shortly"
		                      : "the portal's store failed: try again later";
	}
	return answer_bytes(tag, NULL, *ret_status, code, description);
}

/*
 * Read the envelope: a plain tagged request, or a SignedTransaction whose JWS "cty" names the
 * request. Sets *@ret_transaction as soon as it is known (the answer is then tagged) and fills
 * @txn's request, signature, Issued and Nonce.
 */
static gboolean
read_request(Txn *txn, JsonNode *root, const Transaction **ret_transaction, GError **error)
{
	const char *members[G_N_ELEMENTS(transactions[0].members) + 3] = { NULL };
	const Transaction *transaction;
	JsonNode *payload = root;
	GList *names = NULL;
	g_autofree char *cty = NULL;
	const char *tag, *issued = NULL;
	gsize n = 0, len = 0;
	guint8 nonce[MESH_PORTAL_NONCE_LEN];

	if (!JSON_NODE_HOLDS_OBJECT(root) ||
	    json_object_get_size(json_node_get_object(root)) != 1) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "a request is one tagged object: {\"<Name>Request\": {...}}");
		return FALSE;
	}
	names = json_object_get_members(json_node_get_object(root));
	tag = names->data;
	g_list_free(names);
	if (strcmp(tag, MESH_PORTAL_SIGNED_TAG) == 0) {
		JsonNode *node = json_object_get_member(json_node_get_object(root), tag);
		g_autoptr(MeshJws) jws = mesh_jws_from_json(node, error);

		if (jws == NULL)
			return FALSE;
		cty = g_strdup(mesh_jws_cty(jws) != NULL ? mesh_jws_cty(jws) : "");
		tag = cty;
		transaction = find_transaction(cty);
		if (transaction != NULL) {
			*ret_transaction = transaction;
			txn->jws = mesh_signed_open_jws(node, transaction->tag,
							MESH_PORTAL_MESSAGE_MAX, error);
			if (txn->jws == NULL)
				return FALSE;
			payload = txn->jws->payload;
		}
	} else {
		transaction = find_transaction(tag);
		*ret_transaction = transaction;
	}
	if (transaction == NULL) {
		g_autofree char *quoted = mesh_error_quote(tag);

		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "'%s' is not a portal transaction", quoted);
		return FALSE;
	}
	if (transaction->signing == TXN_SIGNED && txn->jws == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNAUTHORIZED,
			    "a %s must be a signed transaction", transaction->tag);
		return FALSE;
	}
	if (transaction->signing == TXN_OPEN && txn->jws != NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "a %s is sent unsigned",
			    transaction->tag);
		return FALSE;
	}
	txn->request = mesh_signed_untag(payload, transaction->tag, error);
	if (txn->request == NULL)
		return FALSE;
	for (; n < G_N_ELEMENTS(transaction->members) && transaction->members[n] != NULL; n++)
		members[n] = transaction->members[n];
	if (txn->jws != NULL) {
		members[n++] = "Issued";
		members[n++] = "Nonce";
	}
	if (!mesh_json_check_members(txn->request, members, error))
		return FALSE;
	if (txn->jws == NULL)
		return TRUE;
	if (!mesh_json_get_time(txn->request, "Issued", &issued, error) ||
	    !mesh_json_get_string(txn->request, "Nonce", &txn->nonce, error))
		return FALSE;
	if (!mesh_b64u_decode(txn->nonce, strlen(txn->nonce), nonce, sizeof nonce, &len, NULL) ||
	    len != MESH_PORTAL_NONCE_LEN) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "Nonce must be %d bytes of base64url", MESH_PORTAL_NONCE_LEN);
		return FALSE;
	}
	txn->issued = time_to_unix(issued);
	return issued_check(txn->portal, txn->issued, txn->now, error);
}

/* A request answered at once whose nonce is still to be used (mesh_portal_handler_now). */
typedef struct {
	const Transaction *transaction;
	gint64 now;
	char *nonce;
	gint64 issued;
	GBytes *answer; /* when the nonce is new */
	guint status;
} Later;

static void
later_free(Later *later)
{
	g_free(later->nonce);
	g_bytes_unref(later->answer);
	g_free(later);
}

/*
 * Answer the request in @body. With @ret_later (answered at once), a transaction that does more
 * than read is not answered (NULL, *@ret_later NULL: a worker answers it), and one whose nonce
 * is to be used returns NULL and *@ret_later, to be finished by mesh_portal_finish.
 */
static GBytes *
handle(MeshPortal *portal, const char *client, const guint8 *body, gsize len, guint *ret_status,
       const char **ret_transaction, Later **ret_later)
{
	g_auto(Txn) txn = {.portal = portal,
	           .client = client,
	           .now = portal->now(portal->now_data),
	           .status = 200,
	           .defer = ret_later != NULL};
	GBytes *answer;
	Later *later;
	const Transaction *transaction = NULL;
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(MeshSignedObject) jws = NULL;
	gboolean ok;

	/* The strict reader refuses a body over the limit before it reads a byte of it. */
	root = mesh_json_parse((const char *)body, len, MESH_PORTAL_MESSAGE_MAX, &error);
	if (root == NULL)
		return error_bytes(portal, txn.now, NULL, error, ret_status);
	ok = read_request(&txn, root, &transaction, &error);
	jws = txn.jws;
	if (!ok) {
		if (transaction != NULL)
			*ret_transaction = transaction->name;
		return error_bytes(portal, txn.now,
		                   transaction != NULL ? transaction->response_tag : NULL, error,
		                   ret_status);
	}
	*ret_transaction = transaction->name;
	if (txn.defer && !transaction->reads)
		return NULL;
	txn.response = json_object_new();
	if (!transaction->handler(&txn, &error)) {
		json_object_unref(txn.response);
		answer = error_bytes(portal, txn.now, transaction->response_tag, error, ret_status);
	} else {
		*ret_status = txn.status;
		answer = answer_bytes(transaction->response_tag, txn.response, txn.status,
		                      txn.code, txn.description);
	}
	if (!txn.deferred)
		return answer;
	/* Whatever the answer, it goes once the nonce is used, as it would have been. */
	later = g_new0(Later, 1);
	later->transaction = transaction;
	later->now = txn.now;
	later->nonce = g_strdup(txn.nonce);
	later->issued = txn.issued;
	later->answer = answer;
	later->status = *ret_status;
	*ret_later = later;
	return NULL;
}

void
mesh_portal_handle_from(MeshPortal *portal, const char *client, const guint8 *body, gsize len,
                        GBytes **ret_answer, guint *ret_http_status)
{
	const char *transaction = NULL;

	*ret_answer = handle(portal, client, body, len, ret_http_status, &transaction, NULL);
}

void
mesh_portal_handle(MeshPortal *portal, const guint8 *body, gsize len, GBytes **ret_answer,
                   guint *ret_http_status)
{
	mesh_portal_handle_from(portal, NULL, body, len, ret_answer, ret_http_status);
}

/* Whether [@p, @end) starts with @tag in quotes. */
static gboolean
quoted_tag_at(const char *p, const char *end, const char *tag)
{
	gsize n = strlen(tag);

	return (gsize)(end - p) >= n + 2 && p[0] == '"' && memcmp(p + 1, tag, n) == 0 &&
	       p[n + 1] == '"';
}

gboolean
mesh_portal_answers_at_once(gpointer data, GBytes *request)
{
	MeshPortal *portal = data;
	const char *name = mesh_portal_store_name(portal->store);
	gsize len = 0;
	const char *p = g_bytes_get_data(request, &len), *end = p + len;

	if (strcmp(name, "sqlite") != 0 && strcmp(name, "memory") != 0)
		return FALSE;
	while (p < end && g_ascii_isspace(*p))
		p++;
	if (p == end || *p++ != '{')
		return FALSE;
	while (p < end && g_ascii_isspace(*p))
		p++;
	/* A read sent plain, or any SignedTransaction (mesh_portal_handler_now leaves one that
	 * writes to a worker; one that must be signed is refused there as here). */
	if (quoted_tag_at(p, end, MESH_PORTAL_SIGNED_TAG))
		return TRUE;
	for (gsize i = 0; i < G_N_ELEMENTS(transactions); i++)
		if (transactions[i].reads && transactions[i].signing != TXN_SIGNED &&
		    quoted_tag_at(p, end, transactions[i].tag))
			return TRUE;
	return FALSE;
}

/* handle() for the HTTP binding's bytes (an empty body has no data). */
static GBytes *
handle_bytes(gpointer data, const char *client, GBytes *request, guint *ret_status,
             const char **ret_transaction, Later **ret_later)
{
	gsize len = 0;
	const guint8 *body = g_bytes_get_data(request, &len);

	return handle(data, client, body != NULL ? body : (const guint8 *)"", len, ret_status,
	              ret_transaction, ret_later);
}

GBytes *
mesh_portal_handler(gpointer data, const char *client, GBytes *request, guint *ret_status,
		    const char **ret_transaction)
{
	return handle_bytes(data, client, request, ret_status, ret_transaction, NULL);
}

GBytes *
mesh_portal_handler_now(gpointer data, const char *client, GBytes *request, guint *ret_status,
                        const char **ret_transaction, gpointer *ret_later)
{
	*ret_later = NULL;
	return handle_bytes(data, client, request, ret_status, ret_transaction,
	                    (Later **)ret_later);
}

void
mesh_portal_finish(gpointer data, gpointer *laters, guint n, GBytes **ret_answers,
                   guint *ret_statuses)
{
	MeshPortal *portal = data;
	g_autofree MeshPortalNonceUse *uses = g_new0(MeshPortalNonceUse, n);
	g_autoptr(GError) error = NULL;
	gboolean ok;

	for (guint i = 0; i < n; i++) {
		const Later *later = laters[i];

		uses[i].nonce = later->nonce;
		uses[i].issued = later->issued;
	}
	ok = mesh_portal_store_use_nonces(portal->store, uses, n, &error);
	for (guint i = 0; i < n; i++) {
		Later *later = laters[i];
		g_autoptr(GError) replay = NULL;

		if (ok && !uses[i].replay) {
			ret_answers[i] = g_bytes_ref(later->answer);
			ret_statuses[i] = later->status;
		} else {
			if (ok)
				mesh_portal_store_replay(&replay);
			ret_answers[i] = error_bytes(portal, later->now,
			                             later->transaction->response_tag,
			                             ok ? replay : error, &ret_statuses[i]);
		}
		later_free(later);
	}
}

/* The compiler checks that mesh_portal_handler is a MeshPortalHandler. */
static const MeshPortalHandler handler_type_check G_GNUC_UNUSED = mesh_portal_handler;
