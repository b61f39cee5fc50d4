/* SPDX-License-Identifier: MIT */
#include "file.h"

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <string.h>

#include "error.h"
#include "openssh.h"
#include "ossl.h"

#define PUB_SUFFIX  ".pub"
#define META_SUFFIX ".meta"
/* scrypt for PKCS#8 (X25519) keys: N = 2^14, r = 8, p = 1 (16 MiB), as OpenSSL's own default
 * for scrypt PBES2. */
#define SCRYPT_N 16384
#define SCRYPT_R 8
#define SCRYPT_P 1

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(X509_SIG, X509_SIG_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(X509_ALGOR, X509_ALGOR_free)

typedef struct {
	MeshKeyStore base;
	MeshHive *hive;
	GHashTable *unlocked; /* UDF -> private MeshKey, for protected keys only */
} FileStore;

typedef struct {
	MeshKeyAlg alg;
	MeshKeyUse use;
	gboolean is_protected;
} Meta;

static FileStore *
file_store(MeshKeyStore *store)
{
	return (FileStore *)store;
}

/* ---- Entries and their contents ---------------------------------------------------------- */

static gboolean
is_ssh_alg(MeshKeyAlg alg)
{
	return alg == MESH_KEY_ED25519 || alg == MESH_KEY_P256;
}

/* The bytes in a secure-memory BIO as a NUL-terminated MeshSecret. */
static MeshSecret *
bio_to_secret(BIO *bio)
{
	BUF_MEM *mem = NULL;
	MeshSecret *out;

	BIO_get_mem_ptr(bio, &mem);
	out = mesh_secret_new(mem->length + 1);
	memcpy(mesh_secret_data(out), mem->data, mem->length);
	return out;
}

/* X25519 private key as PKCS#8 PEM; encrypted (PBES2, scrypt, AES-256-CBC) with @pass. */
static MeshSecret *
pkcs8_encode(const MeshKey *key, const guint8 *pass, gsize pass_len, GError **error)
{
	g_autoptr(BIO) bio = BIO_new(BIO_s_secmem());
	g_autoptr(PKCS8_PRIV_KEY_INFO) p8 = NULL;
	g_autoptr(X509_ALGOR) pbe = NULL;
	g_autoptr(X509_SIG) sig = NULL;

	if (bio == NULL)
		goto fail;
	if (pass == NULL) {
		if (PEM_write_bio_PrivateKey(bio, mesh_key_borrow_pkey(key), NULL, NULL, 0, NULL,
					     NULL) != 1)
			goto fail;
		return bio_to_secret(bio);
	}
	p8 = EVP_PKEY2PKCS8(mesh_key_borrow_pkey(key));
	pbe = PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), NULL, 0, NULL, SCRYPT_N, SCRYPT_R,
				    SCRYPT_P);
	if (p8 == NULL || pbe == NULL || pass_len > G_MAXINT)
		goto fail;
	sig = PKCS8_set0_pbe((const char *)pass, (int)pass_len, p8, pbe);
	if (sig == NULL)
		goto fail;
	pbe = NULL; /* now owned by sig */
	if (PEM_write_bio_PKCS8(bio, sig) != 1)
		goto fail;
	return bio_to_secret(bio);
fail:
	mesh_ossl_error(error, MESH_ERROR_CRYPTO, "cannot encode the X25519 private key");
	return NULL;
}

typedef struct {
	const guint8 *pass;
	gsize len;
} PassArg;

/* OpenSSL's passphrase callback: never prompts, only hands over what we were given. */
static int
pass_cb(char *buf, int size, int rwflag, void *user)
{
	const PassArg *arg = user;

	if (arg->pass == NULL || arg->len > (gsize)size)
		return -1;
	memcpy(buf, arg->pass, arg->len);
	return (int)arg->len;
}

static MeshKey *
pkcs8_decode(const char *text, gsize len, const guint8 *pass, gsize pass_len, GError **error)
{
	g_autoptr(BIO) bio = NULL;
	g_autoptr(EVP_PKEY) pkey = NULL;
	PassArg arg = { pass, pass_len };

	if (len > G_MAXINT || (bio = BIO_new_mem_buf(text, (int)len)) == NULL) {
		mesh_ossl_error(error, MESH_ERROR_CRYPTO, "cannot read the X25519 private key");
		return NULL;
	}
	pkey = PEM_read_bio_PrivateKey_ex(bio, NULL, pass_cb, &arg, NULL, NULL);
	if (pkey == NULL) {
		if (pass != NULL)
			mesh_ossl_error(error, MESH_ERROR_BAD_PASSPHRASE,
					 "wrong passphrase for the X25519 private key");
		else
			mesh_ossl_error(error, MESH_ERROR_MALFORMED,
					 "the X25519 private key file is not PKCS#8 PEM");
		return NULL;
	}
	return mesh_key_new_from_pkey(pkey, error);
}

static char *
spki_pem_encode(const MeshKey *key, GError **error)
{
	g_autoptr(BIO) bio = BIO_new(BIO_s_mem());
	BUF_MEM *mem = NULL;

	if (bio == NULL || PEM_write_bio_PUBKEY(bio, mesh_key_borrow_pkey(key)) != 1) {
		mesh_ossl_error(error, MESH_ERROR_CRYPTO, "cannot encode the public key");
		return NULL;
	}
	BIO_get_mem_ptr(bio, &mem);
	return g_strndup(mem->data, mem->length);
}

static MeshKey *
spki_pem_decode(const char *text, gsize len, GError **error)
{
	g_autoptr(BIO) bio = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	long der_len = 0;
	MeshKey *key = NULL;

	if (len > G_MAXINT || (bio = BIO_new_mem_buf(text, (int)len)) == NULL ||
	    PEM_read_bio(bio, &name, &header, &der, &der_len) != 1 ||
	    strcmp(name, PEM_STRING_PUBLIC) != 0 || header[0] != '\0') {
		mesh_ossl_error(error, MESH_ERROR_MALFORMED, "not a PEM public key");
		goto out;
	}
	key = mesh_key_from_spki(der, (gsize)der_len, error);
out:
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	return key;
}

/* The key in an entry must be the one its name and .meta say. */
static MeshKey *
check_entry_key(MeshKey *key, const char *udf, const Meta *meta, GError **error)
{
	g_autoptr(MeshKey) owned = key;

	if (owned == NULL)
		return NULL;
	if (mesh_key_alg(owned) != meta->alg || strcmp(mesh_key_udf(owned), udf) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "it does not hold the %s key %s", mesh_key_alg_name(meta->alg), udf);
		return NULL;
	}
	return g_steal_pointer(&owned);
}

static gboolean
read_entry(FileStore *fs, const char *name, gsize max, GBytes **ret_data, GError **error)
{
	return mesh_hive_read(fs->hive, MESH_HIVE_KEYS, name, max, ret_data, error);
}

/* A key entry that does not decode: the error names the file and says what to do. A wrong
 * passphrase is no damage and is left as it is. */
static void
damaged(FileStore *fs, const char *name, GError **error)
{
	g_autofree char *udf = NULL;
	char *message;

	if (error == NULL || *error == NULL ||
	    g_error_matches(*error, MESH_ERROR, MESH_ERROR_BAD_PASSPHRASE))
		return;
	udf = g_strndup(name, strcspn(name, "."));
	message = g_strdup_printf("%s/%s/%s is damaged (%s): restore it from a backup, or remove "
				  "the key ('mesh key remove %s --yes') and import it again",
				  mesh_hive_location(fs->hive),
				  mesh_hive_folder_name(MESH_HIVE_KEYS), name, (*error)->message,
				  udf);
	g_free((*error)->message);
	(*error)->message = message;
}

static gboolean
read_meta(FileStore *fs, const char *udf, Meta *ret_meta, GError **error)
{
	g_autofree char *name = NULL;
	g_autoptr(MeshMarker) marker = NULL;
	static const char *const members[] = { "Use", "Algorithm", "Protected", NULL };
	const char *use, *alg;
	Meta meta;

	if (!mesh_keystore_read_marker(fs->hive, "file", udf, META_SUFFIX, &marker, &name,
				       error)) {
		if (name != NULL)
			damaged(fs, name, error);
		return FALSE;
	}
	if (!mesh_marker_check_members(marker, members, NULL) ||
	    !mesh_marker_get_string(marker, "Use", &use, NULL) ||
	    !mesh_marker_get_string(marker, "Algorithm", &alg, NULL) ||
	    !mesh_key_use_from_name(use, &meta.use, NULL) ||
	    !mesh_key_alg_from_name(alg, &meta.alg, NULL) ||
	    !mesh_marker_get_boolean(marker, "Protected", &meta.is_protected, NULL))
		goto bad;
	*ret_meta = meta;
	return TRUE;
bad:
	g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		    "it is not {\"Use\", \"Algorithm\", \"Protected\"}");
	damaged(fs, name, error);
	return FALSE;
}

static char *
meta_json(const Meta *meta)
{
	g_autoptr(MeshMarker) marker = mesh_marker_new();

	mesh_marker_set_string(marker, "Use", mesh_key_use_name(meta->use));
	mesh_marker_set_string(marker, "Algorithm", mesh_key_alg_name(meta->alg));
	mesh_marker_set_boolean(marker, "Protected", meta->is_protected);
	return mesh_marker_to_text(marker);
}

/* The private key of @udf from its file; @pass NULL for an unprotected key. */
static MeshKey *
read_private(FileStore *fs, const char *udf, const Meta *meta, const MeshSecret *passphrase,
	     GError **error)
{
	g_autoptr(GBytes) data = NULL;
	gsize pass_len = 0, len;
	const guint8 *pass = mesh_openssh_passphrase(passphrase, &pass_len);
	const char *text;
	MeshKey *key = NULL;

	if (meta->is_protected && pass == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_LOCKED,
			    "the key %s is protected by a passphrase: run 'mesh unlock' first",
			    udf);
		return NULL;
	}
	if (!read_entry(fs, udf, MESH_SSH_TEXT_MAX, &data, error))
		return NULL;
	text = g_bytes_get_data(data, &len);
	if (!meta->is_protected)
		passphrase = NULL;
	if (is_ssh_alg(meta->alg)) {
		if (!mesh_openssh_private_decode(text, len, passphrase, 0, &key, NULL, error))
			key = NULL;
	} else {
		key = pkcs8_decode(text, len, passphrase != NULL ? pass : NULL, pass_len, error);
	}
	key = check_entry_key(key, udf, meta, error);
	if (key == NULL)
		damaged(fs, udf, error);
	return key;
}

static MeshKey *
read_public(FileStore *fs, const char *udf, const Meta *meta, GError **error)
{
	g_autofree char *name = g_strconcat(udf, PUB_SUFFIX, NULL);
	g_autoptr(GBytes) data = NULL;
	gsize len;
	const char *text;
	MeshKey *key;

	if (!read_entry(fs, name, MESH_SSH_TEXT_MAX, &data, error))
		return NULL;
	text = g_bytes_get_data(data, &len);
	if (is_ssh_alg(meta->alg))
		key = mesh_openssh_rfc4716_decode(text, len, NULL, error);
	else
		key = spki_pem_decode(text, len, error);
	key = check_entry_key(key, udf, meta, error);
	if (key == NULL)
		damaged(fs, name, error);
	return key;
}

/* A usable private key: from the unlocked set, or read when it is not protected. */
static MeshKey *
load_private(FileStore *fs, const char *udf, GError **error)
{
	Meta meta;
	MeshKey *cached;

	if (!read_meta(fs, udf, &meta, error))
		return NULL;
	cached = g_hash_table_lookup(fs->unlocked, udf);
	if (cached != NULL)
		return mesh_key_ref(cached);
	return read_private(fs, udf, &meta, NULL, error);
}

static void
remove_quietly(FileStore *fs, const char *name)
{
	mesh_hive_remove(fs->hive, MESH_HIVE_KEYS, name, NULL);
}

/* Write the three entries of @key (the .meta last); on failure remove what was written. */
static gboolean
store_key(FileStore *fs, const MeshKey *key, MeshKeyUse use, const MeshSecret *passphrase,
	  GError **error)
{
	const char *udf = mesh_key_udf(key);
	g_autofree char *pub_name = g_strconcat(udf, PUB_SUFFIX, NULL);
	g_autofree char *meta_name = g_strconcat(udf, META_SUFFIX, NULL);
	g_autoptr(MeshSecret) priv = NULL;
	g_autofree char *pub = NULL;
	g_autofree char *meta_text = NULL;
	g_autoptr(GError) local = NULL;
	gsize pass_len = 0;
	const guint8 *pass = mesh_openssh_passphrase(passphrase, &pass_len);
	Meta meta = { mesh_key_alg(key), use, pass != NULL };
	Meta existing;

	if (mesh_key_use_name(use) == NULL || !mesh_key_is_private(key)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the file key store needs a private key and a key use");
		return FALSE;
	}
	if (read_meta(fs, udf, &existing, &local)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
			    "the key %s is already in the file key store", udf);
		return FALSE;
	}
	if (!g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND)) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (is_ssh_alg(meta.alg)) {
		priv = mesh_openssh_private_encode(key, udf, passphrase, 0, error);
		pub = priv != NULL ? mesh_openssh_rfc4716_encode(key, udf, error) : NULL;
	} else {
		priv = pkcs8_encode(key, pass, pass_len, error);
		pub = priv != NULL ? spki_pem_encode(key, error) : NULL;
	}
	if (pub == NULL)
		return FALSE;
	meta_text = meta_json(&meta);
	if (!mesh_hive_write(fs->hive, MESH_HIVE_KEYS, udf, mesh_secret_get(priv),
			     mesh_secret_len(priv) - 1, error))
		return FALSE;
	if (!mesh_hive_write(fs->hive, MESH_HIVE_KEYS, pub_name, (const guint8 *)pub, strlen(pub),
			     error) ||
	    !mesh_hive_write(fs->hive, MESH_HIVE_KEYS, meta_name, (const guint8 *)meta_text,
			     strlen(meta_text), error)) {
		remove_quietly(fs, pub_name);
		remove_quietly(fs, udf);
		return FALSE;
	}
	/* The caller has just given the passphrase: keep the key usable until lock(). */
	if (meta.is_protected)
		g_hash_table_replace(fs->unlocked, g_strdup(udf), mesh_key_ref((MeshKey *)key));
	return TRUE;
}

/* ---- The vtable ---------------------------------------------------------------------------- */

static gboolean
file_generate(MeshKeyStore *store, MeshKeyAlg alg, MeshKeyUse use, const MeshSecret *passphrase,
	      MeshKey **ret_public, GError **error)
{
	g_autoptr(MeshKey) key = mesh_key_generate(alg, error);
	MeshKey *pub;

	if (key == NULL || !store_key(file_store(store), key, use, passphrase, error))
		return FALSE;
	pub = mesh_key_get_public(key, error);
	if (pub == NULL)
		return FALSE;
	*ret_public = pub;
	return TRUE;
}

static gboolean
file_import(MeshKeyStore *store, const MeshKey *priv, MeshKeyUse use,
	    const MeshSecret *passphrase, GError **error)
{
	return store_key(file_store(store), priv, use, passphrase, error);
}

static gboolean
file_get_public(MeshKeyStore *store, const char *udf, MeshKey **ret_public, GError **error)
{
	FileStore *fs = file_store(store);
	Meta meta;
	MeshKey *key;

	if (!read_meta(fs, udf, &meta, error))
		return FALSE;
	key = read_public(fs, udf, &meta, error);
	if (key == NULL)
		return FALSE;
	*ret_public = key;
	return TRUE;
}

/* load_private for the shared software-store members. */
static MeshKey *
load_key(MeshKeyStore *store, const char *udf, GError **error)
{
	return load_private(file_store(store), udf, error);
}

static gboolean
file_sign(MeshKeyStore *store, const char *udf, const guint8 *data, gsize len,
	GBytes **ret_signature, GError **error)
{
	return mesh_keystore_soft_sign(store, load_key, udf, data, len, ret_signature, error);
}

static gboolean
file_agree(MeshKeyStore *store, const char *udf, const MeshKey *peer, MeshSecret **ret_secret,
	GError **error)
{
	return mesh_keystore_soft_agree(store, load_key, udf, peer, ret_secret, error);
}

static gboolean
file_export_private(MeshKeyStore *store, const char *udf, MeshKey **ret_private, GError **error)
{
	return mesh_keystore_soft_export(store, load_key, udf, ret_private, error);
}

static gboolean
file_remove(MeshKeyStore *store, const char *udf, GError **error)
{
	FileStore *fs = file_store(store);
	g_autofree char *pub_name = NULL;
	g_autofree char *meta_name = NULL;
	Meta meta;

	if (!read_meta(fs, udf, &meta, error))
		return FALSE;
	pub_name = g_strconcat(udf, PUB_SUFFIX, NULL);
	meta_name = g_strconcat(udf, META_SUFFIX, NULL);
	if (!mesh_hive_remove(fs->hive, MESH_HIVE_KEYS, meta_name, error))
		return FALSE;
	g_hash_table_remove(fs->unlocked, udf);
	/* Without its .meta the key is gone; leftovers of a crash are not an error. */
	remove_quietly(fs, udf);
	remove_quietly(fs, pub_name);
	return TRUE;
}

static gboolean
file_list(MeshKeyStore *store, GPtrArray **ret_infos, GError **error)
{
	FileStore *fs = file_store(store);
	g_autoptr(GPtrArray) udfs = mesh_keystore_list_marked(fs->hive, META_SUFFIX, error);
	g_autoptr(GPtrArray) infos = NULL;

	if (udfs == NULL)
		return FALSE;
	infos = g_ptr_array_new_with_free_func((GDestroyNotify)mesh_key_info_free);
	for (guint i = 0; i < udfs->len; i++) {
		const char *udf = g_ptr_array_index(udfs, i);
		MeshKeyInfo *info;
		Meta meta;

		if (!read_meta(fs, udf, &meta, error))
			return FALSE;
		info = g_new0(MeshKeyInfo, 1);
		info->udf = g_strdup(udf);
		info->alg = meta.alg;
		info->use = meta.use;
		info->locked = meta.is_protected && !g_hash_table_contains(fs->unlocked, udf);
		info->is_protected = meta.is_protected;
		g_ptr_array_add(infos, info);
	}
	*ret_infos = g_steal_pointer(&infos);
	return TRUE;
}

static gboolean
file_unlock(MeshKeyStore *store, const MeshSecret *passphrase, GError **error)
{
	FileStore *fs = file_store(store);
	g_autoptr(GPtrArray) udfs = mesh_keystore_list_marked(fs->hive, META_SUFFIX, error);
	g_autoptr(GHashTable) fresh = NULL;
	gsize pass_len = 0;
	GHashTableIter iter;
	gpointer udf, key;

	if (udfs == NULL)
		return FALSE;
	if (mesh_openssh_passphrase(passphrase, &pass_len) == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "unlocking the file key store needs a passphrase");
		return FALSE;
	}
	/* All or nothing: decrypt every locked key first, then keep them. */
	fresh = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
				      (GDestroyNotify)mesh_key_unref);
	for (guint i = 0; i < udfs->len; i++) {
		const char *u = g_ptr_array_index(udfs, i);
		Meta meta;
		MeshKey *k;

		if (!read_meta(fs, u, &meta, error))
			return FALSE;
		if (!meta.is_protected || g_hash_table_contains(fs->unlocked, u))
			continue;
		k = read_private(fs, u, &meta, passphrase, error);
		if (k == NULL)
			return FALSE;
		g_hash_table_replace(fresh, g_strdup(u), k);
	}
	g_hash_table_iter_init(&iter, fresh);
	while (g_hash_table_iter_next(&iter, &udf, &key)) {
		g_hash_table_iter_steal(&iter);
		g_hash_table_replace(fs->unlocked, udf, key);
	}
	return TRUE;
}

static void
file_lock(MeshKeyStore *store)
{
	g_hash_table_remove_all(file_store(store)->unlocked);
}

static void
file_close(MeshKeyStore *store)
{
	FileStore *fs = file_store(store);

	if (fs->unlocked != NULL)
		g_hash_table_destroy(fs->unlocked);
	g_free(fs);
}

static const MeshKeyStoreClass file_class = {
	.name = "file",
	.caps = MESH_KEYSTORE_CAP_ED25519 | MESH_KEYSTORE_CAP_X25519 | MESH_KEYSTORE_CAP_P256 |
		MESH_KEYSTORE_CAP_NEEDS_UNLOCK,
	.generate = file_generate,
	.import = file_import,
	.get_public = file_get_public,
	.sign = file_sign,
	.agree = file_agree,
	.export_private = file_export_private,
	.remove = file_remove,
	.list = file_list,
	.unlock = file_unlock,
	.lock = file_lock,
	.close = file_close,
};

MeshKeyStore *
mesh_keystore_file_new(MeshHive *hive, GError **error)
{
	FileStore *fs;

	if (hive == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the file key store needs a hive");
		return NULL;
	}
	fs = g_new0(FileStore, 1);
	fs->base.klass = &file_class;
	fs->hive = hive;
	fs->unlocked = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					     (GDestroyNotify)mesh_key_unref);
	return &fs->base;
}
