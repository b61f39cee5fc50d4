/* SPDX-License-Identifier: MIT */
#include "escrow.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <string.h>

#include "error.h"
#include "json.h"
#include "jwk.h"
#include "ossl.h"
#include "secjson.h"
#include "shamir.h"
#include "signed.h"
#include "udf.h"

#define ENTRY_TAG  "OfflineEscrowEntry"
#define KEYSET_TAG "EscrowedKeySet"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EVP_KDF, EVP_KDF_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EVP_KDF_CTX, EVP_KDF_CTX_free)

void
mesh_escrow_entry_free(MeshEscrowEntry *entry)
{
	if (entry == NULL)
		return;
	g_free(entry->identifier);
	mesh_jwe_free(entry->encrypted_data);
	if (entry->encrypted_node != NULL)
		json_node_unref(entry->encrypted_node);
	g_free(entry);
}

void
mesh_escrowed_keys_free(MeshEscrowedKeys *keys)
{
	if (keys == NULL)
		return;
	mesh_key_unref(keys->signature_key);
	if (keys->escrow_keys != NULL)
		g_ptr_array_unref(keys->escrow_keys);
	g_free(keys);
}

/* CEK = HKDF-SHA-512(secret, salt empty, info "mesh escrow", 32 bytes). */
static MeshSecret *
derive_cek(const MeshSecret *secret, GError **error)
{
	g_autoptr(EVP_KDF) kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	g_autoptr(EVP_KDF_CTX) ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	g_autoptr(MeshSecret) cek = mesh_secret_new(MESH_JOSE_CEK_LEN);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA512", 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						  (void *)mesh_secret_get(secret),
						  mesh_secret_len(secret)),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)MESH_ESCROW_INFO,
						  strlen(MESH_ESCROW_INFO)),
		OSSL_PARAM_construct_end(),
	};

	if (ctx == NULL ||
	    EVP_KDF_derive(ctx, mesh_secret_data(cek), mesh_secret_len(cek), params) != 1) {
		mesh_ossl_error(error, MESH_ERROR_CRYPTO, "HKDF-SHA-512 failed");
		return NULL;
	}
	return g_steal_pointer(&cek);
}

static char *
secret_identifier(const MeshSecret *secret, GError **error)
{
	return mesh_udf_content_digest(MESH_UDF_ALG_SHA512, MESH_ESCROW_CT, mesh_secret_get(secret),
				       mesh_secret_len(secret), MESH_UDF_BITS_DEFAULT, error);
}

/* The EscrowedKeySet JSON of the private keys, written in secure memory. */
static MeshSecret *
keyset_text(const MeshKey *signature_key, MeshKey *const *escrow_keys, guint n_escrow_keys,
	    GError **error)
{
	g_autoptr(MeshSecjson) writer = mesh_secjson_new();
	g_autoptr(MeshSecret) jwk = mesh_key_to_jwk_private(signature_key, error);

	if (jwk == NULL)
		return NULL;
	mesh_secjson_literal(writer, "{\"" KEYSET_TAG "\":{\"MasterSignatureKey\":");
	mesh_secjson_secret_text(writer, jwk);
	mesh_secjson_literal(writer, ",\"MasterEscrowKeys\":[");
	for (guint i = 0; i < n_escrow_keys; i++) {
		g_autoptr(MeshSecret) escrow_jwk = mesh_key_to_jwk_private(escrow_keys[i], error);

		if (escrow_jwk == NULL)
			return NULL;
		if (i > 0)
			mesh_secjson_literal(writer, ",");
		mesh_secjson_secret_text(writer, escrow_jwk);
	}
	mesh_secjson_literal(writer, "]}}");
	return mesh_secjson_finish(writer);
}

static gboolean
check_escrow_keys(const MeshKey *signature_key, MeshKey *const *escrow_keys, guint n,
		  GError **error)
{
	if (n == 0 || n > MESH_MASTER_ESCROW_KEYS_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "an escrow holds 1 to %d escrow keys", MESH_MASTER_ESCROW_KEYS_MAX);
		return FALSE;
	}
	if (!mesh_signed_check_key("MasterSignatureKey", signature_key, FALSE, error))
		return FALSE;
	for (guint i = 0; i < n; i++) {
		if (!mesh_signed_check_key("MasterEscrowKeys", escrow_keys[i], TRUE, error))
			return FALSE;
	}
	return TRUE;
}

gboolean
mesh_escrow_create(const MeshKey *signature_key, MeshKey *const *escrow_keys, guint n_escrow_keys,
		   guint quorum, guint shares, JsonNode **ret_entry, GPtrArray **ret_shares,
		   GError **error)
{
	g_autoptr(MeshSecret) secret = NULL;
	g_autoptr(MeshSecret) cek = NULL;
	g_autoptr(MeshSecret) plaintext = NULL;
	g_autoptr(GPtrArray) share_texts = NULL;
	g_autofree char *identifier = NULL;
	JsonNode *jwe;
	JsonObject *obj;

	if (!check_escrow_keys(signature_key, escrow_keys, n_escrow_keys, error))
		return FALSE;
	plaintext = keyset_text(signature_key, escrow_keys, n_escrow_keys, error);
	if (plaintext == NULL)
		return FALSE;
	secret = mesh_secret_new_random(MESH_ESCROW_SECRET_LEN, error);
	if (secret == NULL || !mesh_shamir_split(secret, quorum, shares, &share_texts, error))
		return FALSE;
	identifier = secret_identifier(secret, error);
	cek = identifier != NULL ? derive_cek(secret, error) : NULL;
	if (cek == NULL)
		return FALSE;
	/* The NUL that ends the text is not part of the JSON. */
	jwe = mesh_jwe_encrypt_dir(mesh_secret_get(plaintext), mesh_secret_len(plaintext) - 1,
				   KEYSET_TAG, cek, identifier, error);
	if (jwe == NULL)
		return FALSE;
	obj = json_object_new();
	json_object_set_string_member(obj, "Identifier", identifier);
	json_object_set_member(obj, "EncryptedData", jwe);
	*ret_entry = mesh_signed_tag(ENTRY_TAG, obj);
	*ret_shares = g_steal_pointer(&share_texts);
	return TRUE;
}

MeshEscrowEntry *
mesh_escrow_entry_from_json(JsonNode *node, GError **error)
{
	static const char *const members[] = { "Identifier", "EncryptedData", NULL };
	g_autoptr(MeshEscrowEntry) entry = g_new0(MeshEscrowEntry, 1);
	JsonObject *obj = mesh_signed_untag(node, ENTRY_TAG, error);
	const char *identifier = NULL;
	gboolean dir = FALSE;

	if (obj == NULL || !mesh_json_check_members(obj, members, error) ||
	    !mesh_signed_get_udf(obj, "Identifier", MESH_UDF_TYPE_SHA2_512, &identifier, error))
		return NULL;
	entry->encrypted_node = json_node_ref(json_object_get_member(obj, "EncryptedData"));
	entry->encrypted_data = mesh_jwe_from_json(entry->encrypted_node, error);
	if (entry->encrypted_data == NULL) {
		g_prefix_error(error, "EncryptedData: ");
		return NULL;
	}
	for (guint i = 0; i < mesh_jwe_n_recipients(entry->encrypted_data); i++)
		dir |= g_strcmp0(mesh_jwe_recipient_alg(entry->encrypted_data, i), "dir") == 0;
	if (!dir) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "EncryptedData has no \"dir\" recipient: it is not an escrow");
		return NULL;
	}
	entry->identifier = g_strdup(identifier);
	return g_steal_pointer(&entry);
}

MeshEscrowEntry *
mesh_escrow_entry_parse(const char *text, gsize len, GError **error)
{
	g_autoptr(JsonNode) root = mesh_json_parse(text, len, MESH_ESCROW_MAX, error);

	if (root == NULL)
		return NULL;
	return mesh_escrow_entry_from_json(root, error);
}

JsonNode *
mesh_escrow_entry_to_json(const MeshEscrowEntry *entry)
{
	JsonObject *obj = json_object_new();

	json_object_set_string_member(obj, "Identifier", entry->identifier);
	json_object_set_member(obj, "EncryptedData", json_node_copy(entry->encrypted_node));
	return mesh_signed_tag(ENTRY_TAG, obj);
}

/* A private key of the right use from a JWK in the key set. */
static MeshKey *
read_private_key(JsonNode *node, const char *member, gboolean agreement, GError **error)
{
	g_autoptr(MeshKey) key = NULL;

	if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "%s must be a JWK", member);
		return NULL;
	}
	key = mesh_key_from_jwk(json_node_get_object(node), error);
	if (key == NULL) {
		g_prefix_error(error, "%s: ", member);
		return NULL;
	}
	if (!mesh_key_is_private(key)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "%s holds no private key", member);
		return NULL;
	}
	if (!mesh_signed_check_key(member, key, agreement, error)) {
		mesh_signed_recode(error, MESH_ERROR_MALFORMED);
		return NULL;
	}
	return g_steal_pointer(&key);
}

static MeshEscrowedKeys *
read_keyset(JsonNode *root, GError **error)
{
	static const char *const members[] = { "MasterSignatureKey", "MasterEscrowKeys", NULL };
	g_autoptr(MeshEscrowedKeys) keys = g_new0(MeshEscrowedKeys, 1);
	JsonObject *obj = mesh_signed_untag(root, KEYSET_TAG, error);
	JsonArray *array = NULL;

	if (obj == NULL || !mesh_json_check_members(obj, members, error) ||
	    !mesh_json_get_array(obj, "MasterEscrowKeys", &array, error))
		return NULL;
	keys->signature_key = read_private_key(json_object_get_member(obj, "MasterSignatureKey"),
					       "MasterSignatureKey", FALSE, error);
	if (keys->signature_key == NULL)
		return NULL;
	if (json_array_get_length(array) == 0 ||
	    json_array_get_length(array) > MESH_MASTER_ESCROW_KEYS_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "MasterEscrowKeys must hold 1 to %d keys", MESH_MASTER_ESCROW_KEYS_MAX);
		return NULL;
	}
	keys->escrow_keys = g_ptr_array_new_with_free_func((GDestroyNotify)mesh_key_unref);
	for (guint i = 0; i < json_array_get_length(array); i++) {
		MeshKey *key = read_private_key(json_array_get_element(array, i),
						"MasterEscrowKeys", TRUE, error);

		if (key == NULL)
			return NULL;
		g_ptr_array_add(keys->escrow_keys, key);
	}
	return g_steal_pointer(&keys);
}

MeshEscrowedKeys *
mesh_escrow_recover(const MeshEscrowEntry *entry, const char *const *shares, gsize n_shares,
		    GError **error)
{
	g_autoptr(MeshSecret) secret = mesh_shamir_combine(shares, n_shares, error);
	g_autoptr(MeshSecret) cek = NULL;
	g_autoptr(MeshSecret) plaintext = NULL;
	g_autoptr(MeshSecjsonTree) root = NULL;
	g_autofree char *identifier = NULL;

	if (secret == NULL)
		return NULL;
	if (mesh_secret_len(secret) == MESH_ESCROW_SECRET_LEN)
		identifier = secret_identifier(secret, NULL);
	if (identifier == NULL || !mesh_udf_match(identifier, entry->identifier)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_SHARE_MISMATCH,
			    "these shares belong to another escrow, not to %s",
			    entry->identifier);
		return NULL;
	}
	cek = derive_cek(secret, error);
	if (cek == NULL)
		return NULL;
	plaintext = mesh_jwe_decrypt_dir(entry->encrypted_data, cek, error);
	if (plaintext == NULL) {
		g_prefix_error(error, "the escrow entry does not open with its own secret "
				      "(was it altered?): ");
		return NULL;
	}
	root = mesh_secjson_parse(plaintext, MESH_ESCROW_MAX, error);
	if (root == NULL)
		return NULL;
	return read_keyset(root, error);
}

static gboolean
same_keys(GPtrArray *keys, GPtrArray *expected)
{
	if (keys->len != expected->len)
		return FALSE;
	for (guint i = 0; i < keys->len; i++) {
		if (!mesh_key_equal_public(keys->pdata[i], expected->pdata[i]))
			return FALSE;
	}
	return TRUE;
}

gboolean
mesh_escrow_verify(const MeshEscrowEntry *entry, const char *const *shares, gsize n_shares,
		   const MeshMasterProfile *master, GError **error)
{
	g_autoptr(MeshEscrowedKeys) keys = mesh_escrow_recover(entry, shares, n_shares, error);

	if (keys == NULL)
		return FALSE;
	if (master != NULL && (!mesh_key_equal_public(keys->signature_key, master->signature_key) ||
			       !same_keys(keys->escrow_keys, master->escrow_keys))) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_SHARE_MISMATCH,
			    "the escrow %s holds other keys than the master profile %s",
			    entry->identifier, master->identifier);
		return FALSE;
	}
	return TRUE;
}
