/* SPDX-License-Identifier: MIT */
#include "keystore.h"

#include <string.h>

#include "error.h"

static const char *const use_names[] = {
	[MESH_KEY_USE_SIGNATURE] = "Signature",
	[MESH_KEY_USE_AUTHENTICATION] = "Authentication",
	[MESH_KEY_USE_ENCRYPTION] = "Encryption",
};

const char *
mesh_key_use_name(MeshKeyUse use)
{
	if (use < MESH_KEY_USE_SIGNATURE || use > MESH_KEY_USE_ENCRYPTION)
		return NULL;
	return use_names[use];
}

gboolean
mesh_key_use_from_name(const char *name, MeshKeyUse *ret_use, GError **error)
{
	for (int u = MESH_KEY_USE_SIGNATURE; name != NULL && u <= MESH_KEY_USE_ENCRYPTION; u++) {
		if (g_ascii_strcasecmp(name, use_names[u]) == 0) {
			*ret_use = (MeshKeyUse)u;
			return TRUE;
		}
	}
	g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		    "unknown key use '%s': use Signature, Authentication or Encryption",
		    name ? name : "");
	return FALSE;
}

gboolean
mesh_key_use_check(MeshKeyAlg alg, MeshKeyUse use, GError **error)
{
	gboolean agrees = alg == MESH_KEY_X25519 || alg == MESH_KEY_P256;
	gboolean signs = alg == MESH_KEY_ED25519 || alg == MESH_KEY_P256;
	const char *name = mesh_key_alg_name(alg);

	if (name == NULL || mesh_key_use_name(use) == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "unknown key algorithm or use");
		return FALSE;
	}
	if (use == MESH_KEY_USE_ENCRYPTION ? agrees : signs)
		return TRUE;
	/* Only Ed25519 and X25519 get here: "an" fits both. */
	g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		    "an %s key cannot be used for %s: %s", name,
		    use == MESH_KEY_USE_ENCRYPTION       ? "encryption"
		    : use == MESH_KEY_USE_AUTHENTICATION ? "authentication"
							 : "signatures",
		    use == MESH_KEY_USE_ENCRYPTION
			    ? "encryption keys agree on shared secrets, which only X25519 and P-256 "
			      "keys do (use --alg x25519 or p256)"
			    : "signature and authentication keys sign, which only Ed25519 and P-256 "
			      "keys do (use --alg ed25519 or p256)");
	return FALSE;
}

void
mesh_key_info_free(MeshKeyInfo *info)
{
	if (info == NULL)
		return;
	g_free(info->udf);
	g_free(info->store);
	g_free(info);
}

static gboolean
unsupported(const MeshKeyStore *store, const char *what, GError **error)
{
	g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED, "the %s key store cannot %s",
		    store->klass->name, what);
	return FALSE;
}

const char *
mesh_keystore_name(const MeshKeyStore *store)
{
	return store->klass->target != NULL ? store->klass->target(store)->klass->name
					    : store->klass->name;
}

unsigned
mesh_keystore_caps(const MeshKeyStore *store)
{
	return store->klass->target != NULL ? store->klass->target(store)->klass->caps
					    : store->klass->caps;
}

gboolean
mesh_keystore_generate(MeshKeyStore *store, MeshKeyAlg alg, MeshKeyUse use,
		       const MeshSecret *passphrase, MeshKey **ret_public, GError **error)
{
	if (!mesh_key_use_check(alg, use, error))
		return FALSE;
	return store->klass->generate(store, alg, use, passphrase, ret_public, error);
}

gboolean
mesh_keystore_import(MeshKeyStore *store, const MeshKey *priv, MeshKeyUse use,
		     const MeshSecret *passphrase, GError **error)
{
	if (store->klass->import == NULL)
		return unsupported(store, "import keys", error);
	if (!mesh_key_use_check(mesh_key_alg(priv), use, error))
		return FALSE;
	return store->klass->import(store, priv, use, passphrase, error);
}

gboolean
mesh_keystore_get_public(MeshKeyStore *store, const char *udf, MeshKey **ret_public,
			 GError **error)
{
	return store->klass->get_public(store, udf, ret_public, error);
}

gboolean
mesh_keystore_sign(MeshKeyStore *store, const char *udf, const guint8 *data, gsize len,
		   GBytes **ret_signature, GError **error)
{
	return store->klass->sign(store, udf, data, len, ret_signature, error);
}

gboolean
mesh_keystore_agree(MeshKeyStore *store, const char *udf, const MeshKey *peer,
		    MeshSecret **ret_secret, GError **error)
{
	return store->klass->agree(store, udf, peer, ret_secret, error);
}

gboolean
mesh_keystore_export_private(MeshKeyStore *store, const char *udf, MeshKey **ret_private,
			     GError **error)
{
	if (store->klass->export_private == NULL)
		return unsupported(store, "export private keys (they never leave it)", error);
	return store->klass->export_private(store, udf, ret_private, error);
}

gboolean
mesh_keystore_remove(MeshKeyStore *store, const char *udf, GError **error)
{
	return store->klass->remove(store, udf, error);
}

gboolean
mesh_keystore_list(MeshKeyStore *store, GPtrArray **ret_infos, GError **error)
{
	return store->klass->list(store, ret_infos, error);
}

gboolean
mesh_keystore_unlock(MeshKeyStore *store, const MeshSecret *passphrase, GError **error)
{
	if (store->klass->unlock == NULL)
		return TRUE; /* nothing to unlock */
	return store->klass->unlock(store, passphrase, error);
}

void
mesh_keystore_lock(MeshKeyStore *store)
{
	if (store->klass->lock != NULL)
		store->klass->lock(store);
}

void
mesh_keystore_close(MeshKeyStore *store)
{
	if (store == NULL)
		return;
	store->klass->close(store);
}

gboolean
mesh_keystore_jws_sign(gpointer user_data, const guint8 *input, gsize len, GBytes **ret_signature,
		       GError **error)
{
	MeshKeyStoreSigner *signer = user_data;

	return mesh_keystore_sign(signer->store, signer->udf, input, len, ret_signature, error);
}

MeshSecret *
mesh_keystore_jwe_agree(gpointer user_data, const MeshKey *peer, GError **error)
{
	const MeshKeyStoreSigner *key = user_data;
	MeshSecret *secret = NULL;

	if (!mesh_keystore_agree(key->store, key->udf, peer, &secret, error))
		return NULL;
	return secret;
}

gboolean
mesh_keystore_soft_sign(MeshKeyStore *store, MeshKeyStoreLoadFunc load, const char *udf,
			const guint8 *data, gsize len, GBytes **ret_signature, GError **error)
{
	g_autoptr(MeshKey) key = load(store, udf, error);
	GBytes *sig = key != NULL ? mesh_key_sign(key, data, len, error) : NULL;

	if (sig == NULL)
		return FALSE;
	*ret_signature = sig;
	return TRUE;
}

gboolean
mesh_keystore_soft_agree(MeshKeyStore *store, MeshKeyStoreLoadFunc load, const char *udf,
			 const MeshKey *peer, MeshSecret **ret_secret, GError **error)
{
	g_autoptr(MeshKey) key = load(store, udf, error);
	MeshSecret *secret = key != NULL ? mesh_key_agree(key, peer, error) : NULL;

	if (secret == NULL)
		return FALSE;
	*ret_secret = secret;
	return TRUE;
}

gboolean
mesh_keystore_soft_export(MeshKeyStore *store, MeshKeyStoreLoadFunc load, const char *udf,
			  MeshKey **ret_private, GError **error)
{
	MeshKey *key = load(store, udf, error);

	if (key == NULL)
		return FALSE;
	*ret_private = key;
	return TRUE;
}

gboolean
mesh_keystore_check_udf(const char *udf, GError **error)
{
	if (udf == NULL || strchr(udf, '.') != NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "'%.60s' is not a key UDF", udf != NULL ? udf : "");
		return FALSE;
	}
	return mesh_hive_check_name(udf, error);
}

GPtrArray *
mesh_keystore_list_marked(MeshHive *hive, const char *suffix, GError **error)
{
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GPtrArray) udfs = g_ptr_array_new_with_free_func(g_free);

	if (!mesh_hive_list(hive, MESH_HIVE_KEYS, &names, error))
		return NULL;
	for (guint i = 0; i < names->len; i++) {
		const char *name = g_ptr_array_index(names, i);
		g_autofree char *udf = NULL;

		if (!g_str_has_suffix(name, suffix))
			continue;
		udf = g_strndup(name, strlen(name) - strlen(suffix));
		/* Only names a store could have written: anything else is not a key of its. */
		if (mesh_keystore_check_udf(udf, NULL))
			g_ptr_array_add(udfs, g_steal_pointer(&udf));
	}
	return g_steal_pointer(&udfs);
}

gboolean
mesh_keystore_read_marker_data(MeshHive *hive, const char *store, const char *udf,
                               const char *suffix, GBytes **ret_data, char **ret_name,
                               GError **error)
{
	g_autofree char *name = NULL;
	g_autoptr(GError) local = NULL;

	*ret_name = NULL;
	if (!mesh_keystore_check_udf(udf, error))
		return FALSE;
	name = g_strconcat(udf, suffix, NULL);
	if (!mesh_hive_read(hive, MESH_HIVE_KEYS, name, MESH_KEYSTORE_MARKER_MAX, ret_data,
	                    &local)) {
		if (g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND))
			g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
			            "no key %s in the %s key store at %s", udf, store,
			            mesh_hive_location(hive));
		else
			g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	*ret_name = g_steal_pointer(&name);
	return TRUE;
}

gboolean
mesh_keystore_read_marker(MeshHive *hive, const char *store, const char *udf, const char *suffix,
                          MeshMarker **ret_marker, char **ret_name, GError **error)
{
	g_autoptr(GBytes) data = NULL;

	if (!mesh_keystore_read_marker_data(hive, store, udf, suffix, &data, ret_name, error))
		return FALSE;
	*ret_marker = mesh_marker_parse(g_bytes_get_data(data, NULL), g_bytes_get_size(data),
	                                error);
	return *ret_marker != NULL;
}
