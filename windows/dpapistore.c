/* SPDX-License-Identifier: MIT */
#include "dpapistore.h"

#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <wincrypt.h>
#include <dpapi.h>
#include <string.h>

#include "base64.h"
#include "error.h"
#include "marker.h"

#define STORE_NAME  "dpapi"
#define BLOB_SUFFIX ".dpapi"
#define META_SUFFIX ".dpapi-meta"
/* The fixed part of the entropy: a blob of this store, version 1 of its layout. */
#define ENTROPY_LABEL "org.mathematicalmesh.dpapi.v1"
/* Largest blob read: DPAPI wraps 32 bytes in a few hundred. */
#define BLOB_MAX 4096
/* Largest "Public" text: the base64url of a P-256 SPKI (91 bytes) with room to spare. */
#define SPKI_MAX 256

typedef struct {
	MeshKeyStore base;
	MeshHive *hive;
} DpapiStore;

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

static DpapiStore *
dpapi_store(MeshKeyStore *store)
{
	return (DpapiStore *)store;
}

/* "<hive location>\Keys\<name>", for messages. */
static char *
entry_path(DpapiStore *ds, const char *name)
{
	return g_strdup_printf("%s\\%s\\%s", mesh_hive_location(ds->hive),
	                       mesh_hive_folder_name(MESH_HIVE_KEYS), name);
}

/* ---- DPAPI ------------------------------------------------------------------------------------
 */

/* The entropy that binds a blob to its entry: label, NUL, UDF, NUL, algorithm name. */
static GBytes *
entropy_for(const char *udf, MeshKeyAlg alg)
{
	GByteArray *e = g_byte_array_new();

	g_byte_array_append(e, (const guint8 *)ENTROPY_LABEL, sizeof ENTROPY_LABEL);
	g_byte_array_append(e, (const guint8 *)udf, (guint)strlen(udf) + 1);
	g_byte_array_append(e, (const guint8 *)mesh_key_alg_name(alg),
	                    (guint)strlen(mesh_key_alg_name(alg)));
	return g_byte_array_free_to_bytes(e);
}

static DATA_BLOB
data_blob(GBytes *bytes)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(bytes, &len);
	DATA_BLOB blob = {(DWORD)len, (BYTE *)data};

	return blob;
}

/* Wipe and free a buffer DPAPI allocated. */
static void
free_dpapi_output(DATA_BLOB *out)
{
	if (out->pbData == NULL)
		return;
	SecureZeroMemory(out->pbData, out->cbData);
	LocalFree(out->pbData);
	out->pbData = NULL;
	out->cbData = 0;
}

/* The blob of the 32 raw private bytes of @key, for the current user. */
static GBytes *
protect(const MeshKey *key, GError **error)
{
	const char *udf = mesh_key_udf(key);
	g_autoptr(MeshSecret) raw = mesh_key_to_raw_private(key, error);
	g_autoptr(GBytes) entropy = NULL;
	DATA_BLOB in, opt, out = {0, NULL};
	GBytes *blob;

	if (raw == NULL)
		return NULL;
	entropy = entropy_for(udf, mesh_key_alg(key));
	in.cbData = (DWORD)mesh_secret_len(raw);
	in.pbData = (BYTE *)mesh_secret_get(raw);
	opt = data_blob(entropy);
	if (!CryptProtectData(&in, L"Mesh private key", &opt, NULL, NULL, CRYPTPROTECT_UI_FORBIDDEN,
	                      &out)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO,
		            "DPAPI could not protect the key %s (Windows error %lu): check that "
		            "the user's profile is loaded",
		            udf, (unsigned long)GetLastError());
		return NULL;
	}
	blob = g_bytes_new(out.pbData, out.cbData);
	free_dpapi_output(&out);
	return blob;
}

/* The raw private bytes in the blob of entry @name, for @udf and @alg. */
static MeshSecret *
unprotect(DpapiStore *ds, const char *name, const char *udf, MeshKeyAlg alg, GBytes *blob,
          GError **error)
{
	g_autoptr(GBytes) entropy = entropy_for(udf, alg);
	g_autofree char *path = entry_path(ds, name);
	DATA_BLOB in = data_blob(blob), opt = data_blob(entropy), out = {0, NULL};
	MeshSecret *raw = NULL;

	if (!CryptUnprotectData(&in, NULL, &opt, NULL, NULL, CRYPTPROTECT_UI_FORBIDDEN, &out)) {
		g_set_error(
		        error, MESH_ERROR, MESH_ERROR_DECRYPT,
		        "%s does not open for this Windows user (Windows error %lu): it was "
		        "changed, moved from another key's entry, or made by another user or "
		        "on another machine: restore it from a backup, or remove the key ('mesh "
		        "key remove %s --yes') and import it again",
		        path, (unsigned long)GetLastError(), udf);
		return NULL;
	}
	if (out.cbData == MESH_KEY_RAW_LEN)
		raw = mesh_secret_new_from_data(out.pbData, out.cbData);
	else
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		            "%s does not hold a %s private key (%lu bytes, not %d): remove the key "
		            "and import it again",
		            path, mesh_key_alg_name(alg), (unsigned long)out.cbData,
		            MESH_KEY_RAW_LEN);
	free_dpapi_output(&out);
	return raw;
}

/* ---- The marker -------------------------------------------------------------------------------
 */

static gboolean
read_meta(DpapiStore *ds, const char *udf, Meta *ret_meta, GError **error)
{
	static const char *const members[] = {"Use", "Algorithm", "Public", NULL};
	g_autofree char *name = NULL;
	g_autoptr(MeshMarker) marker = NULL;
	g_autoptr(GBytes) spki = NULL;
	g_autofree char *path = NULL;
	g_auto(Meta) meta = {0};
	const char *use, *alg, *pub;

	if (!mesh_keystore_read_marker(ds->hive, STORE_NAME, udf, META_SUFFIX, &marker, &name,
	                               error))
		return FALSE;
	path = entry_path(ds, name);
	if (!mesh_marker_check_members(marker, members, NULL) ||
	    !mesh_marker_get_string(marker, "Use", &use, NULL) ||
	    !mesh_marker_get_string(marker, "Algorithm", &alg, NULL) ||
	    !mesh_marker_get_string(marker, "Public", &pub, NULL) ||
	    !mesh_key_use_from_name(use, &meta.use, NULL) ||
	    !mesh_key_alg_from_name(alg, &meta.alg, NULL)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		            "%s is not {\"Use\", \"Algorithm\", \"Public\"}: remove the key and "
		            "import it again",
		            path);
		return FALSE;
	}
	spki = mesh_b64u_decode_bytes(pub, SPKI_MAX, NULL);
	meta.pub = spki != NULL ? mesh_key_from_spki(g_bytes_get_data(spki, NULL),
	                                             g_bytes_get_size(spki), NULL)
	                        : NULL;
	if (meta.pub == NULL || mesh_key_alg(meta.pub) != meta.alg ||
	    strcmp(mesh_key_udf(meta.pub), udf) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		            "%s does not hold the public %s key %s: remove the key and import it "
		            "again",
		            path, mesh_key_alg_name(meta.alg), udf);
		return FALSE;
	}
	*ret_meta = meta;
	meta.pub = NULL;
	return TRUE;
}

static char *
meta_text(const MeshKey *key, MeshKeyUse use)
{
	g_autoptr(MeshMarker) marker = mesh_marker_new();
	g_autoptr(GBytes) spki = mesh_key_get_spki(key);
	g_autofree char *pub =
	        mesh_b64u_encode(g_bytes_get_data(spki, NULL), g_bytes_get_size(spki));

	mesh_marker_set_string(marker, "Use", mesh_key_use_name(use));
	mesh_marker_set_string(marker, "Algorithm", mesh_key_alg_name(mesh_key_alg(key)));
	mesh_marker_set_string(marker, "Public", pub);
	return mesh_marker_to_text(marker);
}

/* ---- Keys -------------------------------------------------------------------------------------
 */

/* The private key of @udf: its blob unprotected, checked against the marker. */
static MeshKey *
load_private(DpapiStore *ds, const char *udf, GError **error)
{
	g_autofree char *name = g_strconcat(udf, BLOB_SUFFIX, NULL);
	g_autofree char *path = NULL;
	g_autoptr(GBytes) blob = NULL;
	g_autoptr(MeshSecret) raw = NULL;
	g_autoptr(MeshKey) key = NULL;
	g_auto(Meta) meta = {0};

	/* The marker first: a key removed by another process is gone here too. */
	if (!read_meta(ds, udf, &meta, error))
		return NULL;
	if (!mesh_hive_read(ds->hive, MESH_HIVE_KEYS, name, BLOB_MAX, &blob, error))
		return NULL;
	raw = unprotect(ds, name, udf, meta.alg, blob, error);
	if (raw == NULL)
		return NULL;
	key = mesh_key_from_raw_private(meta.alg, raw, NULL);
	if (key == NULL || !mesh_key_equal_public(key, meta.pub)) {
		path = entry_path(ds, name);
		g_set_error(
		        error, MESH_ERROR, MESH_ERROR_MALFORMED,
		        "%s does not hold the private key %s: remove the key and import it again",
		        path, udf);
		return NULL;
	}
	return g_steal_pointer(&key);
}

/* Write the blob, then the marker; on failure remove the blob again. */
static gboolean
store_key(DpapiStore *ds, const MeshKey *key, MeshKeyUse use, GError **error)
{
	const char *udf = mesh_key_udf(key);
	g_autofree char *blob_name = g_strconcat(udf, BLOB_SUFFIX, NULL);
	g_autofree char *meta_name = g_strconcat(udf, META_SUFFIX, NULL);
	g_autofree char *text = NULL;
	g_autoptr(GBytes) blob = NULL;
	g_autoptr(GError) local = NULL;
	g_auto(Meta) existing = {0};

	if (mesh_key_use_name(use) == NULL || !mesh_key_is_private(key)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "the dpapi key store needs a private key and a key use");
		return FALSE;
	}
	if (read_meta(ds, udf, &existing, &local)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
		            "the key %s is already in the dpapi key store", udf);
		return FALSE;
	}
	if (!g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND)) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	blob = protect(key, error);
	if (blob == NULL)
		return FALSE;
	text = meta_text(key, use);
	if (!mesh_hive_write(ds->hive, MESH_HIVE_KEYS, blob_name, g_bytes_get_data(blob, NULL),
	                     g_bytes_get_size(blob), error))
		return FALSE;
	if (!mesh_hive_write(ds->hive, MESH_HIVE_KEYS, meta_name, (const guint8 *)text,
	                     strlen(text), error)) {
		mesh_hive_remove(ds->hive, MESH_HIVE_KEYS, blob_name, NULL);
		return FALSE;
	}
	return TRUE;
}

/* ---- The vtable -------------------------------------------------------------------------------
 */

static gboolean
dpapi_generate(MeshKeyStore *store, MeshKeyAlg alg, MeshKeyUse use, const MeshSecret *passphrase,
               MeshKey **ret_public, GError **error)
{
	g_autoptr(MeshKey) key = NULL;
	MeshKey *pub;

	(void)passphrase; /* DPAPI protects the key under the user's logon secret */
	key = mesh_key_generate(alg, error);
	if (key == NULL || !store_key(dpapi_store(store), key, use, error))
		return FALSE;
	pub = mesh_key_get_public(key, error);
	if (pub == NULL)
		return FALSE;
	*ret_public = pub;
	return TRUE;
}

static gboolean
dpapi_import(MeshKeyStore *store, const MeshKey *priv, MeshKeyUse use, const MeshSecret *passphrase,
             GError **error)
{
	(void)passphrase;
	return store_key(dpapi_store(store), priv, use, error);
}

static gboolean
dpapi_get_public(MeshKeyStore *store, const char *udf, MeshKey **ret_public, GError **error)
{
	g_auto(Meta) meta = {0};

	if (!read_meta(dpapi_store(store), udf, &meta, error))
		return FALSE;
	*ret_public = g_steal_pointer(&meta.pub);
	return TRUE;
}

/* load_private for the shared software-store members. */
static MeshKey *
load_key(MeshKeyStore *store, const char *udf, GError **error)
{
	return load_private(dpapi_store(store), udf, error);
}

static gboolean
dpapi_sign(MeshKeyStore *store, const char *udf, const guint8 *data, gsize len,
           GBytes **ret_signature, GError **error)
{
	return mesh_keystore_soft_sign(store, load_key, udf, data, len, ret_signature, error);
}

static gboolean
dpapi_agree(MeshKeyStore *store, const char *udf, const MeshKey *peer, MeshSecret **ret_secret,
            GError **error)
{
	return mesh_keystore_soft_agree(store, load_key, udf, peer, ret_secret, error);
}

static gboolean
dpapi_export_private(MeshKeyStore *store, const char *udf, MeshKey **ret_private, GError **error)
{
	return mesh_keystore_soft_export(store, load_key, udf, ret_private, error);
}

static gboolean
dpapi_remove(MeshKeyStore *store, const char *udf, GError **error)
{
	DpapiStore *ds = dpapi_store(store);
	g_autofree char *blob_name = NULL;
	g_autofree char *meta_name = NULL;
	g_auto(Meta) meta = {0};

	if (!read_meta(ds, udf, &meta, error))
		return FALSE;
	blob_name = g_strconcat(udf, BLOB_SUFFIX, NULL);
	meta_name = g_strconcat(udf, META_SUFFIX, NULL);
	if (!mesh_hive_remove(ds->hive, MESH_HIVE_KEYS, meta_name, error))
		return FALSE;
	/* Without its marker the key is gone; a blob left by a crash is not an error. */
	mesh_hive_remove(ds->hive, MESH_HIVE_KEYS, blob_name, NULL);
	return TRUE;
}

static gboolean
dpapi_list(MeshKeyStore *store, GPtrArray **ret_infos, GError **error)
{
	DpapiStore *ds = dpapi_store(store);
	g_autoptr(GPtrArray) udfs = mesh_keystore_list_marked(ds->hive, META_SUFFIX, error);
	g_autoptr(GPtrArray) infos = NULL;

	if (udfs == NULL)
		return FALSE;
	infos = g_ptr_array_new_with_free_func((GDestroyNotify)mesh_key_info_free);
	for (guint i = 0; i < udfs->len; i++) {
		const char *udf = g_ptr_array_index(udfs, i);
		g_auto(Meta) meta = {0};
		MeshKeyInfo *info;

		if (!read_meta(ds, udf, &meta, error))
			return FALSE;
		info = g_new0(MeshKeyInfo, 1);
		info->udf = g_strdup(udf);
		info->alg = meta.alg;
		info->use = meta.use;
		g_ptr_array_add(infos, info);
	}
	*ret_infos = g_steal_pointer(&infos);
	return TRUE;
}

static void
dpapi_close(MeshKeyStore *store)
{
	g_free(dpapi_store(store));
}

static const MeshKeyStoreClass dpapi_class = {
        .name = STORE_NAME,
        .caps = MESH_KEYSTORE_CAP_ED25519 | MESH_KEYSTORE_CAP_X25519 | MESH_KEYSTORE_CAP_P256,
        .generate = dpapi_generate,
        .import = dpapi_import,
        .get_public = dpapi_get_public,
        .sign = dpapi_sign,
        .agree = dpapi_agree,
        .export_private = dpapi_export_private,
        .remove = dpapi_remove,
        .list = dpapi_list,
        .close = dpapi_close,
};

MeshKeyStore *
mesh_keystore_dpapi_new(MeshHive *hive, GError **error)
{
	DpapiStore *ds;

	if (hive == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "the dpapi key store needs a hive");
		return NULL;
	}
	ds = g_new0(DpapiStore, 1);
	ds->base.klass = &dpapi_class;
	ds->hive = hive;
	return &ds->base;
}
