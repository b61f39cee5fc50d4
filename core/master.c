/* SPDX-License-Identifier: MIT */
#include "master.h"

#include <string.h>

#include "error.h"
#include "json.h"
#include "device-profile.h"
#include "jwk.h"
#include "signed.h"

#define MASTER_TAG "MasterProfile"

static MeshKey *
find_key(GPtrArray *keys, const char *udf)
{
	for (guint i = 0; udf != NULL && i < keys->len; i++) {
		if (g_str_equal(mesh_key_udf(keys->pdata[i]), udf))
			return keys->pdata[i];
	}
	return NULL;
}

/* Append the public part of @key to @keys, checking its use, the count and uniqueness. */
static gboolean
add_key(GPtrArray *keys, const char *member, const MeshKey *key, gboolean agreement, guint max,
	GError **error)
{
	MeshKey *pub;

	if (!mesh_signed_check_key(member, key, agreement, error))
		return FALSE;
	if (find_key(keys, mesh_key_udf(key)) != NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS, "%s already holds the key %s",
			    member, mesh_key_udf(key));
		return FALSE;
	}
	if (keys->len >= max) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE, "%s holds at most %u keys",
			    member, max);
		return FALSE;
	}
	pub = mesh_key_get_public(key, error);
	if (pub == NULL)
		return FALSE;
	g_ptr_array_add(keys, pub);
	return TRUE;
}

static GPtrArray *
key_list_new(const char *member, MeshKey *const *keys, guint n, gboolean agreement, guint max,
	     GError **error)
{
	g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func((GDestroyNotify)mesh_key_unref);

	if (n == 0 || n > max) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "%s must hold 1 to %u keys", member, max);
		return NULL;
	}
	for (guint i = 0; i < n; i++) {
		if (!add_key(list, member, keys[i], agreement, max, error)) {
			mesh_signed_recode(error, MESH_ERROR_INVALID_ARGUMENT);
			return NULL;
		}
	}
	return g_steal_pointer(&list);
}

void
mesh_master_profile_free(MeshMasterProfile *profile)
{
	if (profile == NULL)
		return;
	g_free(profile->identifier);
	mesh_key_unref(profile->signature_key);
	if (profile->escrow_keys != NULL)
		g_ptr_array_unref(profile->escrow_keys);
	if (profile->online_keys != NULL)
		g_ptr_array_unref(profile->online_keys);
	g_free(profile->created);
	g_free(profile);
}

MeshMasterProfile *
mesh_master_profile_new(const MeshKey *signature_key, MeshKey *const *escrow_keys,
			guint n_escrow_keys, MeshKey *const *online_keys, guint n_online_keys,
			GError **error)
{
	g_autoptr(MeshMasterProfile) profile = g_new0(MeshMasterProfile, 1);

	if (!mesh_signed_check_key("MasterSignatureKey", signature_key, FALSE, error))
		return NULL;
	profile->escrow_keys = key_list_new("MasterEscrowKeys", escrow_keys, n_escrow_keys, TRUE,
					    MESH_MASTER_ESCROW_KEYS_MAX, error);
	if (profile->escrow_keys == NULL)
		return NULL;
	profile->online_keys = key_list_new("OnlineSignatureKeys", online_keys, n_online_keys,
					    FALSE, MESH_MASTER_ONLINE_KEYS_MAX, error);
	if (profile->online_keys == NULL)
		return NULL;
	profile->signature_key = mesh_key_get_public(signature_key, error);
	if (profile->signature_key == NULL)
		return NULL;
	profile->identifier = g_strdup(mesh_key_udf(signature_key));
	profile->serial = 1;
	profile->created = mesh_json_time_now();
	return g_steal_pointer(&profile);
}

static JsonArray *
key_array(GPtrArray *keys)
{
	JsonArray *array = json_array_new();

	for (guint i = 0; i < keys->len; i++)
		json_array_add_element(array, mesh_key_to_public_object(keys->pdata[i]));
	return array;
}

JsonNode *
mesh_master_profile_to_json(const MeshMasterProfile *profile)
{
	JsonObject *obj = json_object_new();

	json_object_set_string_member(obj, "Identifier", profile->identifier);
	json_object_set_member(obj, "MasterSignatureKey",
			       mesh_key_to_public_object(profile->signature_key));
	json_object_set_array_member(obj, "MasterEscrowKeys", key_array(profile->escrow_keys));
	json_object_set_array_member(obj, "OnlineSignatureKeys", key_array(profile->online_keys));
	json_object_set_int_member(obj, "Serial", profile->serial);
	json_object_set_string_member(obj, "Created", profile->created);
	return mesh_signed_tag(MASTER_TAG, obj);
}

static GPtrArray *
read_key_list(JsonObject *obj, const char *member, gboolean agreement, guint max, GError **error)
{
	g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func((GDestroyNotify)mesh_key_unref);
	JsonArray *array = NULL;
	guint n;

	if (!mesh_json_get_array(obj, member, &array, error))
		return NULL;
	n = json_array_get_length(array);
	if (n == 0 || n > max) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "%s must hold 1 to %u keys",
			    member, max);
		return NULL;
	}
	for (guint i = 0; i < n; i++) {
		MeshKey *key = mesh_signed_read_key(json_array_get_element(array, i), member,
						    agreement, error);

		if (key == NULL)
			return NULL;
		if (find_key(list, mesh_key_udf(key)) != NULL) {
			mesh_key_unref(key);
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
				    "%s lists a key twice", member);
			return NULL;
		}
		g_ptr_array_add(list, key);
	}
	return g_steal_pointer(&list);
}

MeshMasterProfile *
mesh_master_profile_from_json(JsonNode *node, GError **error)
{
	static const char *const members[] = { "Identifier",          "MasterSignatureKey",
					       "MasterEscrowKeys",    "OnlineSignatureKeys",
					       "Serial",              "Created",
					       NULL };
	g_autoptr(MeshMasterProfile) profile = g_new0(MeshMasterProfile, 1);
	JsonObject *obj = mesh_signed_untag(node, MASTER_TAG, error);
	const char *identifier = NULL, *created = NULL;

	if (obj == NULL || !mesh_json_check_members(obj, members, error) ||
	    !mesh_json_get_string(obj, "Identifier", &identifier, error) ||
	    !mesh_signed_get_serial(obj, "Serial", &profile->serial, error) ||
	    !mesh_json_get_time(obj, "Created", &created, error))
		return NULL;
	profile->signature_key = mesh_signed_read_key(
		json_object_get_member(obj, "MasterSignatureKey"), "MasterSignatureKey", FALSE,
		error);
	if (profile->signature_key == NULL)
		return NULL;
	profile->escrow_keys = read_key_list(obj, "MasterEscrowKeys", TRUE,
					     MESH_MASTER_ESCROW_KEYS_MAX, error);
	if (profile->escrow_keys == NULL)
		return NULL;
	profile->online_keys = read_key_list(obj, "OnlineSignatureKeys", FALSE,
					     MESH_MASTER_ONLINE_KEYS_MAX, error);
	if (profile->online_keys == NULL)
		return NULL;
	if (!g_str_equal(identifier, mesh_key_udf(profile->signature_key))) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "the master profile's Identifier is not the UDF of its signature key");
		return NULL;
	}
	profile->identifier = g_strdup(identifier);
	profile->created = g_strdup(created);
	return g_steal_pointer(&profile);
}

JsonNode *
mesh_master_profile_sign(const MeshMasterProfile *profile, MeshJwsSignFunc sign,
			 gpointer user_data, GError **error)
{
	g_autoptr(JsonNode) payload = mesh_master_profile_to_json(profile);

	return mesh_signed_wrap(payload, MASTER_TAG, profile->identifier, profile->signature_key,
				sign, user_data, MESH_PROFILE_MAX, error);
}

MeshMasterProfile *
mesh_master_profile_verify(JsonNode *node, GError **error)
{
	g_autoptr(MeshSignedObject) object = mesh_signed_open(node, MASTER_TAG, MESH_PROFILE_MAX,
							      error);
	g_autoptr(MeshMasterProfile) profile = NULL;

	if (object == NULL)
		return NULL;
	/* Self-signed: the payload names its key; it must also be the key the wrapper and the
	 * JWS name, and the signature must verify under it, before anything in it is used. */
	profile = mesh_master_profile_from_json(object->payload, error);
	if (profile == NULL)
		return NULL;
	if (!g_str_equal(object->identifier, profile->identifier) ||
	    g_strcmp0(mesh_jws_kid(object->jws), profile->identifier) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "the SignedMasterProfile is not signed by its own master key");
		return NULL;
	}
	if (!mesh_signed_verify(object, profile->signature_key, error))
		return NULL;
	return g_steal_pointer(&profile);
}

MeshMasterProfile *
mesh_master_profile_parse(const char *text, gsize len, GError **error)
{
	g_autoptr(JsonNode) root = mesh_json_parse(text, len, MESH_PROFILE_MAX, error);

	if (root == NULL)
		return NULL;
	return mesh_master_profile_verify(root, error);
}

MeshKey *
mesh_master_profile_online_key(const MeshMasterProfile *profile, const char *udf)
{
	return find_key(profile->online_keys, udf);
}

gboolean
mesh_master_profile_check_online_key(const MeshMasterProfile *profile, const MeshKey *key,
				     const char *what, GError **error)
{
	if (find_key(profile->online_keys, mesh_key_udf(key)) == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNAUTHORIZED,
			    "the key %s is not an administration key of the profile %s: it cannot "
			    "sign %s",
			    mesh_key_udf(key), profile->identifier, what);
		return FALSE;
	}
	return TRUE;
}

MeshKey *
mesh_master_profile_verify_signed(const MeshMasterProfile *profile,
				  const MeshSignedObject *object, const char *what, GError **error)
{
	MeshKey *key = find_key(profile->online_keys, mesh_jws_kid(object->jws));

	if (key == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNAUTHORIZED,
			    "the %s is not signed by an administration key of the profile %s", what,
			    profile->identifier);
		return NULL;
	}
	if (!mesh_signed_verify(object, key, error))
		return NULL;
	return key;
}

gboolean
mesh_master_profile_add_online_key(MeshMasterProfile *profile, const MeshKey *key,
				   GError **error)
{
	return add_key(profile->online_keys, "OnlineSignatureKeys", key, FALSE,
		       MESH_MASTER_ONLINE_KEYS_MAX, error);
}

gboolean
mesh_master_profile_remove_online_key(MeshMasterProfile *profile, const char *udf,
				      GError **error)
{
	MeshKey *key = find_key(profile->online_keys, udf);

	if (key == NULL) {
		g_autofree char *quoted = mesh_error_quote(udf);

		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
			    "%s is not an administration key of this profile", quoted);
		return FALSE;
	}
	if (profile->online_keys->len == 1) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "cannot remove the last administration key: add another first");
		return FALSE;
	}
	g_ptr_array_remove(profile->online_keys, key);
	return TRUE;
}

gboolean
mesh_master_profile_touch(MeshMasterProfile *profile, GError **error)
{
	return mesh_signed_next_serial(&profile->serial, error);
}
