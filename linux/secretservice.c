/* SPDX-License-Identifier: MIT */
#include "secretservice.h"

#include <libsecret/secret.h>
#include <openssl/crypto.h>
#include <string.h>

#include "error.h"
#include "json.h"
#include "jwk.h"

#define META_SUFFIX ".secret"
#define LOCKED_TEXT "the keyring is locked — unlock it and retry"

/* The hive and use attributes keep hives and uses apart; libsecret adds xdg:schema itself. */
static const SecretSchema key_schema = {
        .name = "org.mathematicalmesh.Key",
        .flags = SECRET_SCHEMA_NONE,
        .attributes =
                {
                        {"udf", SECRET_SCHEMA_ATTRIBUTE_STRING},
                        {"hive", SECRET_SCHEMA_ATTRIBUTE_STRING},
                        {"use", SECRET_SCHEMA_ATTRIBUTE_STRING},
                        {NULL, 0},
                },
};

typedef struct {
	MeshKeyStore base;
	MeshHive *hive;
	SecretService *service; /* NULL until the first operation that needs it */
	GHashTable *cache;      /* UDF -> private MeshKey fetched from the keyring, until lock() */
} SecretStore;

typedef struct {
	MeshKeyAlg alg;
	MeshKeyUse use;
	MeshKey *pub;
} Meta;

static void
meta_clear(Meta *meta)
{
	g_clear_pointer(&meta->pub, mesh_key_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Meta, meta_clear)

static SecretStore *
secret_store(MeshKeyStore *store)
{
	return (SecretStore *)store;
}

/* ---- Errors ---------------------------------------------------------------------------------- */

static void
set_locked(GError **error, const char *doing, const char *udf)
{
	g_set_error(error, MESH_ERROR, MESH_ERROR_LOCKED, LOCKED_TEXT " (could not %s %s)", doing,
	            udf);
}

static void
set_no_service(GError **error, const GError *cause)
{
	g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
	            "there is no Secret Service on the session bus: start gnome-keyring or another "
	            "Secret Service in this session (%s)",
	            cause != NULL ? cause->message : "no answer");
}

static gboolean
is_no_service(const GError *e)
{
	return g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
	       g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER) ||
	       g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_EXEC_FAILED) ||
	       g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_FAILED) ||
	       g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_CHILD_EXITED) ||
	       g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND) ||
	       g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_SERVICE_INVALID);
}

/*
 * A libsecret/D-Bus failure as a MeshError. The daemon's message is kept: it names what failed
 * and never carries the secret (that travels only in the call's arguments).
 */
static void
set_dbus_error(GError **error, const GError *cause, const char *doing, const char *udf)
{
	if (g_error_matches(cause, SECRET_ERROR, SECRET_ERROR_IS_LOCKED))
		set_locked(error, doing, udf);
	else if (is_no_service(cause))
		set_no_service(error, cause);
	else
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
		            "the Secret Service failed to %s %s: %s", doing, udf,
		            cause != NULL ? cause->message : "no reason given");
}

/* ---- The Secret Service ---------------------------------------------------------------------- */

/* Connect on first use, so that opening the store works without a session bus. A failure is
 * not remembered: the next operation tries again (the user may start a keyring meanwhile). */
static SecretService *
get_service(SecretStore *ss, GError **error)
{
	g_autoptr(GError) local = NULL;

	if (ss->service == NULL) {
		ss->service = secret_service_get_sync(SECRET_SERVICE_NONE, NULL, &local);
		if (ss->service == NULL) {
			set_no_service(error, local);
			return NULL;
		}
	}
	return ss->service;
}

/* Forget the connection (libsecret's shared one too), so the next use connects afresh. */
static void
reset_service(SecretStore *ss)
{
	g_clear_object(&ss->service);
	secret_service_disconnect();
}

/*
 * Whether the default collection is locked. A lookup in a locked collection answers "nothing"
 * without an error, so every "not found" from the keyring is checked against this before it
 * is reported. Errors: MESH_ERROR_NOT_FOUND when there is no default collection.
 */
static gboolean
default_locked(SecretStore *ss, gboolean *ret_locked, GError **error)
{
	SecretService *service = get_service(ss, error);
	g_autoptr(SecretCollection) coll = NULL;
	g_autoptr(GError) local = NULL;

	if (service == NULL)
		return FALSE;
	coll = secret_collection_for_alias_sync(service, SECRET_COLLECTION_DEFAULT,
	                                        SECRET_COLLECTION_NONE, NULL, &local);
	if (coll == NULL) {
		if (local != NULL)
			set_dbus_error(error, local, "find the default collection for", "the keys");
		else
			g_set_error(
			        error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
			        "the Secret Service has no default collection (keyring): create "
			        "one, e.g. by logging in to the desktop once");
		return FALSE;
	}
	*ret_locked = secret_collection_get_locked(coll);
	return TRUE;
}

static GHashTable *
item_attributes(SecretStore *ss, const char *udf, MeshKeyUse use)
{
	return secret_attributes_build(&key_schema, "udf", udf, "hive",
	                               mesh_hive_location(ss->hive), "use", mesh_key_use_name(use),
	                               NULL);
}

/* libsecret's destroy notify for the value we hand it: wipe the JWK text before freeing. */
static void
wipe_text_free(gpointer text)
{
	OPENSSL_secure_clear_free(text, strlen(text) + 1);
}

/* ---- The .secret entry ----------------------------------------------------------------------- */

static gboolean
read_meta(SecretStore *ss, const char *udf, Meta *ret_meta, GError **error)
{
	static const char *const members[] = {"Use", "Algorithm", "Public", NULL};
	g_autofree char *name = NULL;
	g_autoptr(GBytes) data = NULL;
	g_autoptr(JsonNode) root = NULL;
	g_auto(Meta) meta = {0};
	JsonObject *obj, *jwk;
	const char *use, *alg;

	/* Not a flat marker (core/marker.h): "Public" is a JWK object, read with the JSON parser. */
	if (!mesh_keystore_read_marker_data(ss->hive, "secret", udf, META_SUFFIX, &data, &name,
	                                    error))
		return FALSE;
	root = mesh_json_parse(g_bytes_get_data(data, NULL), g_bytes_get_size(data),
	                       MESH_KEYSTORE_MARKER_MAX, error);
	if (root == NULL)
		return FALSE;
	if (!JSON_NODE_HOLDS_OBJECT(root))
		goto bad;
	obj = json_node_get_object(root);
	if (!mesh_json_check_members(obj, members, NULL) ||
	    !mesh_json_get_string(obj, "Use", &use, NULL) ||
	    !mesh_json_get_string(obj, "Algorithm", &alg, NULL) ||
	    !mesh_json_get_object(obj, "Public", &jwk, NULL) ||
	    !mesh_key_use_from_name(use, &meta.use, NULL) ||
	    !mesh_key_alg_from_name(alg, &meta.alg, NULL))
		goto bad;
	meta.pub = mesh_key_from_jwk(jwk, NULL);
	/* The entry must hold the public key its name says, and never a private one. */
	if (meta.pub == NULL || mesh_key_is_private(meta.pub) ||
	    mesh_key_alg(meta.pub) != meta.alg || strcmp(mesh_key_udf(meta.pub), udf) != 0) {
		g_set_error(
		        error, MESH_ERROR, MESH_ERROR_MALFORMED,
		        "%s/%s does not hold the public %s key %s: remove the key and import it "
		        "again",
		        mesh_hive_folder_name(MESH_HIVE_KEYS), name, alg, udf);
		return FALSE;
	}
	*ret_meta = meta;
	meta.pub = NULL;
	return TRUE;
bad:
	g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
	            "%s/%s is not {\"Use\", \"Algorithm\", \"Public\"}",
	            mesh_hive_folder_name(MESH_HIVE_KEYS), name);
	return FALSE;
}

static char *
meta_json(const MeshKey *key, MeshKeyUse use)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "Use");
	json_builder_add_string_value(b, mesh_key_use_name(use));
	json_builder_set_member_name(b, "Algorithm");
	json_builder_add_string_value(b, mesh_key_alg_name(mesh_key_alg(key)));
	json_builder_set_member_name(b, "Public");
	json_builder_add_value(b, mesh_key_to_jwk(key)); /* public members only */
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	return mesh_json_to_string(root);
}

/* ---- Items ------------------------------------------------------------------------------------
 */

/* The private key in an item's secret, checked against the .secret entry. Wipes the text. */
static MeshKey *
item_key(SecretItem *item, const char *udf, const Meta *meta, GError **error)
{
	g_autoptr(SecretValue) value = secret_item_get_secret(item);
	g_autoptr(MeshKey) key = NULL;
	const char *text;
	gsize len = 0;

	if (value == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
		            "the Secret Service gave no secret for the key %s", udf);
		return NULL;
	}
	text = secret_value_get(value, &len);
	key = mesh_key_from_jwk_text(text, len, NULL);
	if (key == NULL || !mesh_key_is_private(key) || mesh_key_alg(key) != meta->alg ||
	    strcmp(mesh_key_udf(key), udf) != 0 || !mesh_key_equal_public(key, meta->pub)) {
		g_set_error(
		        error, MESH_ERROR, MESH_ERROR_MALFORMED,
		        "the keyring item for %s does not hold that private key: remove the key "
		        "and import it again",
		        udf);
		return NULL;
	}
	return g_steal_pointer(&key);
}

/* libsecret keeps secrets in its own secure memory; wipe them anyway before they are freed,
 * since whether its free clears the bytes is not part of its API. */
static void
wipe_items(GList *items)
{
	for (GList *l = items; l != NULL; l = l->next) {
		g_autoptr(SecretValue) value = secret_item_get_secret(l->data);
		const char *text;
		gsize len = 0;

		if (value == NULL)
			continue;
		text = secret_value_get(value, &len);
		OPENSSL_cleanse((void *)text, len);
	}
	g_list_free_full(items, g_object_unref);
}

/*
 * The private key of @udf from its item. Searches with SECRET_SEARCH_ALL (locked items too)
 * and never SECRET_SEARCH_UNLOCK, whose prompter fails without a display.
 */
static MeshKey *
fetch_private(SecretStore *ss, const char *udf, const Meta *meta, GError **error)
{
	SecretService *service = get_service(ss, error);
	g_autoptr(GHashTable) attrs = NULL;
	g_autoptr(GError) local = NULL;
	GList *items;
	MeshKey *key = NULL;
	gboolean locked = FALSE;

	if (service == NULL)
		return NULL;
	attrs = item_attributes(ss, udf, meta->use);
	items = secret_service_search_sync(service, &key_schema, attrs,
	                                   SECRET_SEARCH_ALL | SECRET_SEARCH_LOAD_SECRETS, NULL,
	                                   &local);
	if (local != NULL) {
		set_dbus_error(error, local, "find the key", udf);
		goto out;
	}
	for (GList *l = items; l != NULL && key == NULL; l = l->next) {
		if (secret_item_get_locked(l->data)) {
			locked = TRUE;
			continue;
		}
		key = item_key(l->data, udf, meta, error);
		if (key == NULL)
			goto out;
	}
	if (key != NULL)
		goto out;
	if (locked) {
		set_locked(error, "use the key", udf);
		goto out;
	}
	/* Nothing found: a locked collection may hide its items from a search. */
	if (!default_locked(ss, &locked, &local) || !locked)
		g_set_error(
		        error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
		        "the keyring has no item for the key %s of %s: remove the key and import "
		        "it again",
		        udf, mesh_hive_location(ss->hive));
	else
		set_locked(error, "use the key", udf);
out:
	wipe_items(items);
	return key;
}

/* A usable private key: from the cache, or fetched from the keyring and cached. */
static MeshKey *
load_private(SecretStore *ss, const char *udf, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_auto(Meta) meta = {0};
	MeshKey *cached;
	MeshKey *key;

	/* The .secret entry first, so a key removed by another process is gone here too. */
	if (!read_meta(ss, udf, &meta, error))
		return NULL;
	cached = g_hash_table_lookup(ss->cache, udf);
	if (cached != NULL)
		return mesh_key_ref(cached);
	key = fetch_private(ss, udf, &meta, &local);
	if (key == NULL && g_error_matches(local, MESH_ERROR, MESH_ERROR_IO)) {
		/* The keyring daemon may have restarted under us (the secret session libsecret
		 * keeps is then gone): connect again, once. */
		reset_service(ss);
		g_clear_error(&local);
		key = fetch_private(ss, udf, &meta, &local);
	}
	if (key == NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return NULL;
	}
	g_hash_table_replace(ss->cache, g_strdup(udf), mesh_key_ref(key));
	return key;
}

static void
clear_item_quietly(SecretStore *ss, const char *udf, MeshKeyUse use)
{
	g_autoptr(GHashTable) attrs = item_attributes(ss, udf, use);

	secret_service_clear_sync(ss->service, &key_schema, attrs, NULL, NULL);
}

/* Store the item, then write the .secret entry; on failure remove the item again. */
static gboolean
store_key(SecretStore *ss, const MeshKey *key, MeshKeyUse use, GError **error)
{
	const char *udf = mesh_key_udf(key);
	g_autofree char *meta_name = g_strconcat(udf, META_SUFFIX, NULL);
	g_autofree char *label = NULL;
	g_autofree char *meta_text = NULL;
	g_autoptr(GHashTable) attrs = NULL;
	g_autoptr(MeshSecret) jwk = NULL;
	g_autoptr(SecretValue) value = NULL;
	g_autoptr(GError) local = NULL;
	g_auto(Meta) existing = {0};
	SecretService *service;
	char *copy;
	gsize len;
	gboolean locked = FALSE;

	if (mesh_key_use_name(use) == NULL || !mesh_key_is_private(key)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "the secret key store needs a private key and a key use");
		return FALSE;
	}
	if (read_meta(ss, udf, &existing, &local)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
		            "the key %s is already in the secret key store", udf);
		return FALSE;
	}
	if (!g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND)) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	g_clear_error(&local);
	service = get_service(ss, error);
	if (service == NULL)
		return FALSE;
	/* Ask first: gnome-keyring answers a store into a locked collection by starting its
	 * unlock prompter (which fails without a display, and would pop up on a desktop). */
	if (!default_locked(ss, &locked, error))
		return FALSE;
	if (locked) {
		set_locked(error, "store the key", udf);
		return FALSE;
	}
	jwk = mesh_key_to_jwk_private(key, error);
	if (jwk == NULL)
		return FALSE;
	/* libsecret frees the value with our function, which wipes it; the copy lives on
	 * OpenSSL's secure heap like the MeshSecret it comes from. */
	len = mesh_secret_len(jwk) - 1;
	copy = OPENSSL_secure_malloc(len + 1);
	if (copy == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_FAILED, "out of secure memory");
		return FALSE;
	}
	memcpy(copy, mesh_secret_get(jwk), len);
	copy[len] = '\0';
	value = secret_value_new_full(copy, (gssize)len, "text/plain", wipe_text_free);
	attrs = item_attributes(ss, udf, use);
	label = g_strdup_printf("Mesh key %s", udf);
	if (!secret_service_store_sync(service, &key_schema, attrs, SECRET_COLLECTION_DEFAULT,
	                               label, value, NULL, &local)) {
		/* gnome-keyring says "Cannot create an item in a locked collection"; other
		 * services may word it differently, so ask the collection. */
		if (!g_error_matches(local, SECRET_ERROR, SECRET_ERROR_IS_LOCKED) &&
		    default_locked(ss, &locked, NULL) && locked)
			set_locked(error, "store the key", udf);
		else
			set_dbus_error(error, local, "store the key", udf);
		return FALSE;
	}
	meta_text = meta_json(key, use);
	if (!mesh_hive_write(ss->hive, MESH_HIVE_KEYS, meta_name, (const guint8 *)meta_text,
	                     strlen(meta_text), error)) {
		clear_item_quietly(ss, udf, use);
		return FALSE;
	}
	return TRUE;
}

/* ---- The vtable --------------------------------------------------------------------------------
 */

static gboolean
secret_generate(MeshKeyStore *store, MeshKeyAlg alg, MeshKeyUse use, const MeshSecret *passphrase,
                MeshKey **ret_public, GError **error)
{
	g_autoptr(MeshKey) key = NULL;
	MeshKey *pub;

	(void)passphrase; /* the keyring protects the item */
	key = mesh_key_generate(alg, error);
	if (key == NULL || !store_key(secret_store(store), key, use, error))
		return FALSE;
	pub = mesh_key_get_public(key, error);
	if (pub == NULL)
		return FALSE;
	*ret_public = pub;
	return TRUE;
}

static gboolean
secret_import(MeshKeyStore *store, const MeshKey *priv, MeshKeyUse use,
              const MeshSecret *passphrase, GError **error)
{
	(void)passphrase;
	return store_key(secret_store(store), priv, use, error);
}

static gboolean
secret_get_public(MeshKeyStore *store, const char *udf, MeshKey **ret_public, GError **error)
{
	g_auto(Meta) meta = {0};

	if (!read_meta(secret_store(store), udf, &meta, error))
		return FALSE;
	*ret_public = g_steal_pointer(&meta.pub);
	return TRUE;
}

/* load_private for the shared software-store members. */
static MeshKey *
load_key(MeshKeyStore *store, const char *udf, GError **error)
{
	return load_private(secret_store(store), udf, error);
}

static gboolean
secret_sign(MeshKeyStore *store, const char *udf, const guint8 *data, gsize len,
	GBytes **ret_signature, GError **error)
{
	return mesh_keystore_soft_sign(store, load_key, udf, data, len, ret_signature, error);
}

static gboolean
secret_agree(MeshKeyStore *store, const char *udf, const MeshKey *peer, MeshSecret **ret_secret,
	GError **error)
{
	return mesh_keystore_soft_agree(store, load_key, udf, peer, ret_secret, error);
}

static gboolean
secret_export_private(MeshKeyStore *store, const char *udf, MeshKey **ret_private, GError **error)
{
	return mesh_keystore_soft_export(store, load_key, udf, ret_private, error);
}

static gboolean
secret_remove(MeshKeyStore *store, const char *udf, GError **error)
{
	SecretStore *ss = secret_store(store);
	g_autofree char *meta_name = NULL;
	g_autofree char *meta_text = NULL;
	g_autoptr(GHashTable) attrs = NULL;
	g_autoptr(GError) local = NULL;
	g_auto(Meta) meta = {0};
	SecretService *service;
	gboolean locked = FALSE;

	if (!read_meta(ss, udf, &meta, error))
		return FALSE;
	service = get_service(ss, error);
	if (service == NULL)
		return FALSE;
	/* Refuse before touching anything: a locked item cannot be deleted, and a .secret entry
	 * removed without its item would leave an item nobody lists. */
	if (!default_locked(ss, &locked, error))
		return FALSE;
	if (locked) {
		set_locked(error, "remove the key", udf);
		return FALSE;
	}
	meta_name = g_strconcat(udf, META_SUFFIX, NULL);
	meta_text = meta_json(meta.pub, meta.use);
	if (!mesh_hive_remove(ss->hive, MESH_HIVE_KEYS, meta_name, error))
		return FALSE;
	g_hash_table_remove(ss->cache, udf);
	attrs = item_attributes(ss, udf, meta.use);
	/* FALSE without an error means there was no item: the key is gone all the same. */
	if (!secret_service_clear_sync(service, &key_schema, attrs, NULL, &local) &&
	    local != NULL) {
		/* Put the public part back, so the key is still listed and remove can be
		 * retried. */
		mesh_hive_write(ss->hive, MESH_HIVE_KEYS, meta_name, (const guint8 *)meta_text,
		                strlen(meta_text), NULL);
		set_dbus_error(error, local, "delete the key", udf);
		return FALSE;
	}
	return TRUE;
}

static gboolean
secret_list(MeshKeyStore *store, GPtrArray **ret_infos, GError **error)
{
	SecretStore *ss = secret_store(store);
	g_autoptr(GPtrArray) udfs = mesh_keystore_list_marked(ss->hive, META_SUFFIX, error);
	g_autoptr(GPtrArray) infos = NULL;
	gboolean checked = FALSE, coll_locked = FALSE;

	if (udfs == NULL)
		return FALSE;
	infos = g_ptr_array_new_with_free_func((GDestroyNotify)mesh_key_info_free);
	for (guint i = 0; i < udfs->len; i++) {
		const char *udf = g_ptr_array_index(udfs, i);
		g_auto(Meta) meta = {0};
		MeshKeyInfo *info;

		if (!read_meta(ss, udf, &meta, error))
			return FALSE;
		/* Listing works without the Secret Service: a keyring that cannot be asked is
		 * not reported as locked (unlock() would not help). */
		if (!checked && !g_hash_table_contains(ss->cache, udf)) {
			if (!default_locked(ss, &coll_locked, NULL))
				coll_locked = FALSE;
			checked = TRUE;
		}
		info = g_new0(MeshKeyInfo, 1);
		info->udf = g_strdup(udf);
		info->alg = meta.alg;
		info->use = meta.use;
		info->locked = coll_locked && !g_hash_table_contains(ss->cache, udf);
		g_ptr_array_add(infos, info);
	}
	*ret_infos = g_steal_pointer(&infos);
	return TRUE;
}

/* The keyring has its own unlock (login, the desktop's prompt): the passphrase is ignored. */
static gboolean
secret_unlock(MeshKeyStore *store, const MeshSecret *passphrase, GError **error)
{
	gboolean locked = FALSE;

	(void)passphrase;
	if (!default_locked(secret_store(store), &locked, error))
		return FALSE;
	if (locked) {
		set_locked(error, "unlock", "the secret key store");
		return FALSE;
	}
	return TRUE;
}

static void
secret_lock(MeshKeyStore *store)
{
	g_hash_table_remove_all(secret_store(store)->cache);
	/* The next use asks the keyring again, over a fresh connection and session. */
	reset_service(secret_store(store));
}

static void
secret_close(MeshKeyStore *store)
{
	SecretStore *ss = secret_store(store);

	if (ss == NULL)
		return;
	if (ss->cache != NULL)
		g_hash_table_destroy(ss->cache);
	g_clear_object(&ss->service);
	g_free(ss);
}

static const MeshKeyStoreClass secret_class = {
        .name = "secret",
        .caps = MESH_KEYSTORE_CAP_ED25519 | MESH_KEYSTORE_CAP_X25519 | MESH_KEYSTORE_CAP_P256 |
                MESH_KEYSTORE_CAP_NEEDS_UNLOCK,
        .generate = secret_generate,
        .import = secret_import,
        .get_public = secret_get_public,
        .sign = secret_sign,
        .agree = secret_agree,
        .export_private = secret_export_private,
        .remove = secret_remove,
        .list = secret_list,
        .unlock = secret_unlock,
        .lock = secret_lock,
        .close = secret_close,
};

MeshKeyStore *
mesh_keystore_secret_new(MeshHive *hive, GError **error)
{
	SecretStore *ss;

	if (hive == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "the secret key store needs a hive");
		return NULL;
	}
	ss = g_new0(SecretStore, 1);
	ss->base.klass = &secret_class;
	ss->hive = hive;
	ss->cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	                                  (GDestroyNotify)mesh_key_unref);
	return &ss->base;
}
