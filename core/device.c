/* SPDX-License-Identifier: MIT */
#include "device.h"

#include <string.h>

#include "error.h"
#include "json.h"

#define PROFILE_SUFFIX ".json"

gboolean
mesh_device_create(MeshHive *hive, MeshKeyStore *store, const char *description,
		   const MeshSecret *passphrase, MeshDeviceProfile **ret_profile, GError **error)
{
	unsigned caps = mesh_keystore_caps(store);
	gboolean edwards = (caps & MESH_KEYSTORE_CAP_ED25519) && (caps & MESH_KEYSTORE_CAP_X25519);
	MeshKeyAlg sign_alg = edwards ? MESH_KEY_ED25519 : MESH_KEY_P256;
	MeshKeyAlg enc_alg = edwards ? MESH_KEY_X25519 : MESH_KEY_P256;
	static const MeshKeyUse uses[3] = { MESH_KEY_USE_SIGNATURE, MESH_KEY_USE_AUTHENTICATION,
					    MESH_KEY_USE_ENCRYPTION };
	MeshKey *keys[3] = { NULL, NULL, NULL };
	g_autoptr(MeshDeviceProfile) profile = NULL;
	g_autoptr(JsonNode) signed_node = NULL;
	g_autofree char *text = NULL;
	g_autofree char *name = NULL;
	g_autofree char *current = NULL;
	MeshKeyStoreSigner signer = { store, NULL };
	gboolean ok = FALSE;

	if (!edwards && !(caps & MESH_KEYSTORE_CAP_P256)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "the %s key store holds neither Ed25519/X25519 nor P-256 keys",
			    mesh_keystore_name(store));
		return FALSE;
	}
	for (int i = 0; i < 3; i++) {
		if (!mesh_keystore_generate(store, i == 2 ? enc_alg : sign_alg, uses[i], passphrase,
					    &keys[i], error))
			goto out;
	}
	profile = mesh_device_profile_new(description, keys[0], keys[1], keys[2], error);
	if (profile == NULL)
		goto out;
	signer.udf = profile->identifier;
	signed_node = mesh_device_profile_sign(profile, mesh_keystore_jws_sign, &signer, error);
	if (signed_node == NULL)
		goto out;
	text = mesh_json_to_string(signed_node);
	name = g_strconcat(profile->identifier, PROFILE_SUFFIX, NULL);
	if (!mesh_hive_write(hive, MESH_HIVE_THIS_DEVICE, name, (const guint8 *)text, strlen(text),
			     error))
		goto out;
	if (!mesh_hive_get_default(hive, MESH_HIVE_THIS_DEVICE, &current, NULL) &&
	    !mesh_hive_set_default(hive, MESH_HIVE_THIS_DEVICE, profile->identifier, error))
		goto out;
	ok = TRUE;
	*ret_profile = g_steal_pointer(&profile);
out:
	for (int i = 0; i < 3; i++) {
		/* Keys of a device that was never stored would be orphans: remove them. */
		if (!ok && keys[i] != NULL)
			mesh_keystore_remove(store, mesh_key_udf(keys[i]), NULL);
		mesh_key_unref(keys[i]);
	}
	if (!ok && name != NULL)
		mesh_hive_remove(hive, MESH_HIVE_THIS_DEVICE, name, NULL);
	return ok;
}

gboolean
mesh_device_load(MeshHive *hive, const char *udf, MeshDeviceProfile **ret_profile,
		 JsonNode **ret_signed, GError **error)
{
	g_autofree char *default_udf = NULL;
	g_autofree char *name = NULL;
	g_autoptr(GBytes) data = NULL;
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(MeshDeviceProfile) profile = NULL;
	g_autoptr(GError) local = NULL;
	const char *text;
	gsize len = 0;

	if (udf == NULL) {
		if (!mesh_hive_get_default(hive, MESH_HIVE_THIS_DEVICE, &default_udf, &local)) {
			if (g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND))
				g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
					    "this machine has no device in the %s hive: run 'mesh "
					    "device create'",
					    mesh_hive_kind_name(hive->kind));
			else
				g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		udf = default_udf;
	}
	name = g_strconcat(udf, PROFILE_SUFFIX, NULL);
	if (!mesh_hive_read(hive, MESH_HIVE_THIS_DEVICE, name, MESH_PROFILE_MAX, &data, &local)) {
		if (g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND))
			g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
				    "no device %s in the %s hive", udf,
				    mesh_hive_kind_name(hive->kind));
		else
			g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	text = g_bytes_get_data(data, &len);
	root = mesh_json_parse(text != NULL ? text : "", len, MESH_PROFILE_MAX, error);
	if (root != NULL)
		profile = mesh_device_profile_verify(root, error);
	if (profile == NULL || g_strcmp0(profile->identifier, udf) != 0) {
		if (profile != NULL)
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
				    "the profile is for another device");
		g_prefix_error(error, "%s/%s/%s is damaged or was tampered with, and is not used: ",
			       mesh_hive_location(hive), mesh_hive_folder_name(MESH_HIVE_THIS_DEVICE),
			       name);
		return FALSE;
	}
	*ret_profile = g_steal_pointer(&profile);
	if (ret_signed != NULL)
		*ret_signed = g_steal_pointer(&root);
	return TRUE;
}

gboolean
mesh_device_list(MeshHive *hive, GPtrArray **ret_udfs, char **ret_default, GError **error)
{
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GPtrArray) udfs = g_ptr_array_new_with_free_func(g_free);

	if (!mesh_hive_list(hive, MESH_HIVE_THIS_DEVICE, &names, error))
		return FALSE;
	for (guint i = 0; i < names->len; i++) {
		const char *n = names->pdata[i];

		if (g_str_has_suffix(n, PROFILE_SUFFIX))
			g_ptr_array_add(udfs, g_strndup(n, strlen(n) - strlen(PROFILE_SUFFIX)));
	}
	if (ret_default != NULL && !mesh_hive_get_default(hive, MESH_HIVE_THIS_DEVICE, ret_default,
							  NULL))
		*ret_default = NULL;
	*ret_udfs = g_steal_pointer(&udfs);
	return TRUE;
}
