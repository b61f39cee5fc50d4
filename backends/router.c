/* SPDX-License-Identifier: MIT */
#include "router.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "error.h"
#include "openssh.h"
#include "ossl.h"
#ifdef MESH_HAVE_TPM2
#include "tpm2.h"
#endif

/* Longest marker entry read to see whether it is there. */
#define MARKER_MAX (64 * 1024)

typedef struct {
	MeshKeyStore base;
	MeshHive *hive;
	guint n;
	const MeshKeyStoreBackend *backends;
	MeshKeyStore **stores; /* open stores, by backend index; NULL until first used */
	/* UDF -> backend index + 1: where locate() last found the key; trusted only while the
	 * store's marker is still there (mesh_hive_stamp: no read). */
	GHashTable *where;
	/* Told of every signature and agreement (mesh_keystore_router_set_observer). */
	MeshKeyStoreObserver observer;
	gpointer observer_data;
} Router;

/* A router with its own store for new keys. */
typedef struct {
	MeshKeyStore base;
	Router *router;
	guint target;
} View;

static const MeshKeyStoreClass router_class;
static const MeshKeyStoreClass view_class;

static Router *
router_of(MeshKeyStore *store)
{
	return store->klass == &view_class ? ((View *)store)->router : (Router *)store;
}

/* The open store @i, opened now if need be. */
static MeshKeyStore *
open_store(Router *r, guint i, GError **error)
{
	if (r->stores[i] == NULL)
		r->stores[i] = r->backends[i].open(r->hive, error);
	return r->stores[i];
}

static gboolean
find_backend(Router *r, const char *name, guint *ret_index, GError **error)
{
	const MeshKeyStoreBackend *b = mesh_keystore_backend_find(name, error);

	if (b == NULL)
		return FALSE;
	*ret_index = (guint)(b - r->backends);
	return TRUE;
}

/* The index of the store new keys go to: the view's, else the hive's default. */
static guint
target_of(const MeshKeyStore *store)
{
	Router *r = router_of((MeshKeyStore *)store);
	g_autofree char *name = NULL;
	guint i = 0;

	if (store->klass == &view_class)
		return ((View *)store)->target;
	/* An unknown name in the hive (written by a newer version) falls back to file. */
	if (mesh_hive_get_default(r->hive, MESH_HIVE_KEYS, &name, NULL))
		(void)find_backend(r, name, &i, NULL);
	return i;
}

/* The index of the store that holds @udf: the one found last time while its marker is there,
 * else the first whose marker can be read. */
static gboolean
locate(Router *r, const char *udf, guint *ret_index, GError **error)
{
	guint known = GPOINTER_TO_UINT(g_hash_table_lookup(r->where, udf != NULL ? udf : ""));

	if (known > 0) {
		g_autofree char *name = g_strconcat(udf, r->backends[known - 1].marker, NULL);
		MeshHiveStamp stamp;

		if (mesh_hive_stamp(r->hive, MESH_HIVE_KEYS, name, &stamp, NULL)) {
			*ret_index = known - 1;
			return TRUE;
		}
		g_hash_table_remove(r->where, udf);
	}
	for (guint i = 0; i < r->n; i++) {
		g_autofree char *name = g_strconcat(udf != NULL ? udf : "", r->backends[i].marker,
						    NULL);
		g_autoptr(GBytes) data = NULL;
		g_autoptr(GError) local = NULL;

		if (mesh_hive_read(r->hive, MESH_HIVE_KEYS, name, MARKER_MAX, &data, &local)) {
			g_hash_table_replace(r->where, g_strdup(udf), GUINT_TO_POINTER(i + 1));
			*ret_index = i;
			return TRUE;
		}
		if (!g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND)) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
	}
	g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND, "no key %.80s in the key stores of %s",
		    udf != NULL ? udf : "", mesh_hive_location(r->hive));
	return FALSE;
}

/* The open store that holds @udf. */
static MeshKeyStore *
holder(Router *r, const char *udf, GError **error)
{
	guint i;

	if (!locate(r, udf, &i, error))
		return NULL;
	return open_store(r, i, error);
}

/* ---- The vtable ---------------------------------------------------------------------------- */

static gboolean
router_generate(MeshKeyStore *store, MeshKeyAlg alg, MeshKeyUse use, const MeshSecret *passphrase,
		MeshKey **ret_public, GError **error)
{
	MeshKeyStore *target = open_store(router_of(store), target_of(store), error);

	return target != NULL &&
	       mesh_keystore_generate(target, alg, use, passphrase, ret_public, error);
}

static gboolean
router_import(MeshKeyStore *store, const MeshKey *priv, MeshKeyUse use,
	      const MeshSecret *passphrase, GError **error)
{
	Router *r = router_of(store);
	MeshKeyStore *target = open_store(r, target_of(store), error);

	if (target == NULL)
		return FALSE;
	/* A store that makes its own keys (a TPM) cannot take one: software keys stay in the
	 * file store. */
	if (target->klass->import == NULL)
		target = r->stores[0];
	return mesh_keystore_import(target, priv, use, passphrase, error);
}

static gboolean
router_get_public(MeshKeyStore *store, const char *udf, MeshKey **ret_public, GError **error)
{
	MeshKeyStore *s = holder(router_of(store), udf, error);

	return s != NULL && mesh_keystore_get_public(s, udf, ret_public, error);
}

static gboolean
router_sign(MeshKeyStore *store, const char *udf, const guint8 *data, gsize len,
	    GBytes **ret_signature, GError **error)
{
	Router *r = router_of(store);
	GError *local = NULL;
	MeshKeyStore *s = holder(r, udf, &local);
	gboolean ok = s != NULL && mesh_keystore_sign(s, udf, data, len, ret_signature, &local);

	if (r->observer != NULL)
		r->observer(r->observer_data, MESH_KEYSTORE_OP_SIGN, udf, local);
	if (local != NULL)
		g_propagate_error(error, local);
	return ok;
}

static gboolean
router_agree(MeshKeyStore *store, const char *udf, const MeshKey *peer, MeshSecret **ret_secret,
	     GError **error)
{
	Router *r = router_of(store);
	GError *local = NULL;
	MeshKeyStore *s = holder(r, udf, &local);
	gboolean ok = s != NULL && mesh_keystore_agree(s, udf, peer, ret_secret, &local);

	if (r->observer != NULL)
		r->observer(r->observer_data, MESH_KEYSTORE_OP_AGREE, udf, local);
	if (local != NULL)
		g_propagate_error(error, local);
	return ok;
}

static gboolean
router_export_private(MeshKeyStore *store, const char *udf, MeshKey **ret_private,
		      GError **error)
{
	MeshKeyStore *s = holder(router_of(store), udf, error);

	return s != NULL && mesh_keystore_export_private(s, udf, ret_private, error);
}

static gboolean
router_remove(MeshKeyStore *store, const char *udf, GError **error)
{
	Router *r = router_of(store);
	MeshKeyStore *s = holder(r, udf, error);

	if (s == NULL)
		return FALSE;
	g_hash_table_remove(r->where, udf);
	return mesh_keystore_remove(s, udf, error);
}

/* Whether the hive holds keys of store @i (its markers in @names). */
static gboolean
has_keys(Router *r, guint i, GPtrArray *names)
{
	for (guint k = 0; k < names->len; k++) {
		if (g_str_has_suffix(names->pdata[k], r->backends[i].marker))
			return TRUE;
	}
	return FALSE;
}

static gboolean
router_list(MeshKeyStore *store, GPtrArray **ret_infos, GError **error)
{
	Router *r = router_of(store);
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GPtrArray) all = NULL;

	if (!mesh_hive_list(r->hive, MESH_HIVE_KEYS, &names, error))
		return FALSE;
	all = g_ptr_array_new_with_free_func((GDestroyNotify)mesh_key_info_free);
	for (guint i = 0; i < r->n; i++) {
		g_autoptr(GPtrArray) infos = NULL;

		if (r->stores[i] == NULL && !has_keys(r, i, names))
			continue;
		if (open_store(r, i, error) == NULL ||
		    !mesh_keystore_list(r->stores[i], &infos, error))
			return FALSE;
		for (guint k = 0; k < infos->len; k++) {
			MeshKeyInfo *info = g_steal_pointer(&infos->pdata[k]);

			g_free(info->store);
			info->store = g_strdup(r->backends[i].name);
			g_ptr_array_add(all, info);
		}
	}
	*ret_infos = g_steal_pointer(&all);
	return TRUE;
}

/* Every store that holds keys is asked: one passphrase protects this device's keys, whatever
 * store they are in (file passphrase, TPM PIN). A store that holds none is not asked, even when
 * it is open (a key made or moved there failed, or was moved away): a store that cannot work
 * here (no Secret Service) must not make unlock fail for keys it does not hold. The first
 * failure is reported after all were tried, so that one store's keys do not stay locked because
 * of another's. */
static gboolean
router_unlock(MeshKeyStore *store, const MeshSecret *passphrase, GError **error)
{
	Router *r = router_of(store);
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GError) first = NULL;

	if (!mesh_hive_list(r->hive, MESH_HIVE_KEYS, &names, error))
		return FALSE;
	for (guint i = 0; i < r->n; i++) {
		g_autoptr(GError) local = NULL;

		if (!has_keys(r, i, names))
			continue;
		if (open_store(r, i, &local) == NULL ||
		    (r->stores[i]->klass->unlock != NULL &&
		     !mesh_keystore_unlock(r->stores[i], passphrase, &local))) {
			if (first == NULL)
				first = g_steal_pointer(&local);
		}
	}
	if (first != NULL) {
		g_propagate_error(error, g_steal_pointer(&first));
		return FALSE;
	}
	return TRUE;
}

static void
router_lock(MeshKeyStore *store)
{
	Router *r = router_of(store);

	g_hash_table_remove_all(r->where);
	for (guint i = 0; i < r->n; i++) {
		if (r->stores[i] != NULL)
			mesh_keystore_lock(r->stores[i]);
	}
}

static void
router_close(MeshKeyStore *store)
{
	Router *r = (Router *)store;

	for (guint i = 0; i < r->n; i++)
		mesh_keystore_close(r->stores[i]);
	g_free(r->stores);
	g_hash_table_destroy(r->where);
	g_free(r);
}

static void
view_close(MeshKeyStore *store)
{
	g_free(store);
}

/* The target store, for its name and caps; the file store when it cannot be opened here (the
 * error comes when a key is made). */
static const MeshKeyStore *
router_target(const MeshKeyStore *store)
{
	Router *r = router_of((MeshKeyStore *)store);
	MeshKeyStore *target = open_store(r, target_of(store), NULL);

	return target != NULL ? target : r->stores[0];
}

#define ROUTER_MEMBERS                                                                          \
	.generate = router_generate, .import = router_import, .get_public = router_get_public,  \
	.sign = router_sign, .agree = router_agree, .export_private = router_export_private,    \
	.remove = router_remove, .list = router_list, .unlock = router_unlock,                  \
	.lock = router_lock, .target = router_target

/* Their names and caps are the target store's (mesh_keystore_name, mesh_keystore_caps). */
static const MeshKeyStoreClass router_class = { .name = "router", ROUTER_MEMBERS,
						.close = router_close };
static const MeshKeyStoreClass view_class = { .name = "router", ROUTER_MEMBERS,
					      .close = view_close };

/* ---- The router's own functions ------------------------------------------------------------ */

static gboolean
is_router(MeshKeyStore *store)
{
	return store != NULL && (store->klass == &router_class || store->klass == &view_class);
}

MeshKeyStore *
mesh_keystore_router_new(MeshHive *hive, GError **error)
{
	Router *r = g_new0(Router, 1);

	r->base.klass = &router_class;
	r->hive = hive;
	r->backends = mesh_keystore_backends(&r->n);
	r->stores = g_new0(MeshKeyStore *, r->n);
	r->where = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (open_store(r, 0, error) == NULL) {
		router_close(&r->base);
		return NULL;
	}
	return &r->base;
}

MeshKeyStore *
mesh_keystore_router_view(MeshKeyStore *router, const char *target, GError **error)
{
	Router *r = router_of(router);
	View *view;
	guint i;

	g_return_val_if_fail(is_router(router), NULL);
	if (target == NULL)
		i = target_of(router);
	else if (!find_backend(r, target, &i, error))
		return NULL;
	if (open_store(r, i, error) == NULL)
		return NULL;
	view = g_new0(View, 1);
	view->base.klass = &view_class;
	view->router = r;
	view->target = i;
	return &view->base;
}

void
mesh_keystore_router_set_observer(MeshKeyStore *router, MeshKeyStoreObserver func,
                                  gpointer data)
{
	Router *r = router_of(router);

	g_return_if_fail(is_router(router));
	r->observer = func;
	r->observer_data = data;
}

char *
mesh_keystore_router_get_default(MeshKeyStore *router)
{
	g_return_val_if_fail(is_router(router), NULL);
	return g_strdup(router_of(router)->backends[target_of(router)].name);
}

gboolean
mesh_keystore_router_set_default(MeshKeyStore *router, const char *name, GError **error)
{
	Router *r = router_of(router);
	guint i;

	g_return_val_if_fail(is_router(router), FALSE);
	g_hash_table_remove_all(r->where);
	return find_backend(r, name, &i, error) && open_store(r, i, error) != NULL &&
	       mesh_hive_set_default(r->hive, MESH_HIVE_KEYS, r->backends[i].name, error);
}

const char *
mesh_keystore_router_store_of(MeshKeyStore *router, const char *udf, GError **error)
{
	Router *r = router_of(router);
	guint i;

	g_return_val_if_fail(is_router(router), NULL);
	return locate(r, udf, &i, error) ? r->backends[i].name : NULL;
}

/* The use of @udf, from the list of @store, which holds it. */
static gboolean
use_of(MeshKeyStore *store, const char *name, const char *udf, MeshKeyUse *ret_use, GError **error)
{
	g_autoptr(GPtrArray) infos = NULL;

	if (!mesh_keystore_list(store, &infos, error))
		return FALSE;
	for (guint k = 0; k < infos->len; k++) {
		const MeshKeyInfo *info = infos->pdata[k];

		if (g_strcmp0(info->udf, udf) == 0) {
			*ret_use = info->use;
			return TRUE;
		}
	}
	g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND, "the %s store does not list %s", name,
	            udf);
	return FALSE;
}

/* Move @udf from store @from to store @dest, both open; on failure the key is where it was. */
static gboolean
move_key(Router *r, const char *udf, guint from, guint dest, const MeshSecret *passphrase,
         GError **error)
{
	MeshKeyStore *from_store = r->stores[from], *to_store = r->stores[dest];
	g_autoptr(MeshKey) priv = NULL;
	MeshKeyUse use = 0;

	if (from_store->klass->export_private == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "the key %s cannot leave the %s store: it was made there and never "
			    "exists outside it",
			    udf, r->backends[from].name);
		return FALSE;
	}
	if (to_store->klass->import == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "the %s store makes its own keys and cannot take one made elsewhere",
			    r->backends[dest].name);
		return FALSE;
	}
	if (!use_of(from_store, r->backends[from].name, udf, &use, error) ||
	    !mesh_keystore_export_private(from_store, udf, &priv, error) ||
	    !mesh_keystore_import(to_store, priv, use, passphrase, error))
		return FALSE;
	if (!mesh_keystore_remove(from_store, udf, error)) {
		/* Not in two stores at once: the new copy goes, the key stays where it was. */
		(void)mesh_keystore_remove(to_store, udf, NULL);
		return FALSE;
	}
	return TRUE;
}

gboolean
mesh_keystore_router_move(MeshKeyStore *router, const char *udf, const char *to,
                          const MeshSecret *passphrase, GError **error)
{
	Router *r = router_of(router);
	gboolean opened = FALSE, ok;
	guint from, dest;

	g_return_val_if_fail(is_router(router), FALSE);
	if (!find_backend(r, to, &dest, error) || !locate(r, udf, &from, error))
		return FALSE;
	if (from == dest) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
		            "the key %s is in the %s store already", udf, r->backends[from].name);
		return FALSE;
	}
	opened = r->stores[dest] == NULL;
	g_hash_table_remove(r->where, udf);
	ok = open_store(r, from, error) != NULL && open_store(r, dest, error) != NULL &&
	     move_key(r, udf, from, dest, passphrase, error);
	/* A failed move leaves the router as it found it: a store opened for it is closed again
	 * (it holds none of the hive's keys), so that nothing asks it afterwards. */
	if (!ok && opened && r->stores[dest] != NULL) {
		mesh_keystore_close(r->stores[dest]);
		r->stores[dest] = NULL;
	}
	return ok;
}

/* No passphrase: an encrypted PKCS#8 key is refused rather than prompted for. */
static int
no_passphrase(char *buf, int size, int rwflag, void *user)
{
	return -1;
}

/* A PKCS#8 key, never an encrypted one. */
static MeshKey *
read_pkcs8(const char *pem, gsize len, GError **error)
{
	g_autoptr(BIO) bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pkey = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL)
				     : NULL;
	MeshKey *key;

	if (pkey == NULL) {
		ERR_clear_error();
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "not a readable private key (PKCS#8 PEM, unencrypted)");
		return NULL;
	}
	key = mesh_key_new_from_pkey(pkey, error);
	EVP_PKEY_free(pkey);
	return key;
}

gboolean
mesh_keystore_router_import_pem(MeshKeyStore *store, const char *pem, gsize len, MeshKeyUse use,
				const MeshSecret *file_passphrase, const MeshSecret *passphrase,
				MeshKey **ret_public, GError **error)
{
	g_autoptr(MeshKey) priv = NULL;

	g_return_val_if_fail(is_router(store), FALSE);
	if (len > MESH_KEYSTORE_IMPORT_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "a key file is at most %d bytes", MESH_KEYSTORE_IMPORT_MAX);
		return FALSE;
	}
	if (g_strstr_len(pem, (gssize)len, "-----BEGIN TSS2 PRIVATE KEY-----") != NULL) {
		/* A TPM key file (tpm2-openssl's, say): it can only live in the TPM it was made
		 * in, whatever store the request names. */
		Router *r = router_of(store);
		MeshKeyStore *tpm;
		guint i;

		if (!find_backend(r, "tpm2", &i, error) || (tpm = open_store(r, i, error)) == NULL)
			return FALSE;
#ifdef MESH_HAVE_TPM2
		return mesh_keystore_tpm2_import_file(tpm, pem, len, use, passphrase, ret_public,
						      error);
#else
		/* Not reached: without a tpm2 store, find_backend has failed. */
		g_return_val_if_reached(FALSE);
#endif
	}
	if (g_strstr_len(pem, (gssize)len, "-----BEGIN OPENSSH PRIVATE KEY-----") != NULL) {
		if (!mesh_openssh_private_decode(pem, len, file_passphrase, 0, &priv, NULL, error))
			return FALSE;
	} else if (g_strstr_len(pem, (gssize)len, "-----BEGIN PRIVATE KEY-----") != NULL) {
		priv = read_pkcs8(pem, len, error);
		if (priv == NULL)
			return FALSE;
	} else {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "not a key file this agent reads: an OpenSSH private key, PKCS#8 PEM or "
			    "a TPM 2.0 key file");
		return FALSE;
	}
	if (!router_import(store, priv, use, passphrase, error))
		return FALSE;
	*ret_public = mesh_key_get_public(priv, error);
	return *ret_public != NULL;
}
