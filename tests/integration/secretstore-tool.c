/* SPDX-License-Identifier: MIT */
/*
 * secretstore-tool: drives the secret (libsecret) key store for secret-keystore.sh. ROOT is an
 * MMM root; the store uses its test hive. (Not "secret-tool": that is libsecret's own.)
 *
 *   secretstore-tool generate ROOT ed25519|x25519|p256   new key; prints its UDF
 *   secretstore-tool public ROOT UDF                     the public key as PEM (SPKI)
 *   secretstore-tool sign ROOT UDF MSGFILE SIGFILE       signs MSGFILE through the store; writes
 *                                                        the signature as openssl pkeyutl reads
 *                                                        it (Ed25519 raw, P-256 DER: the store's
 *                                                        r || s converted here)
 *   secretstore-tool agree ROOT UDF                      ECDH through the store with a fresh
 *                                                        software peer, compared with the
 *                                                        peer's side computed in software: "ok"
 *   secretstore-tool list ROOT                           "<udf> <alg> <use> locked|unlocked"
 *   secretstore-tool export ROOT UDF FILE                the private JWK into FILE (0600)
 *   secretstore-tool import ROOT FILE                    a private JWK file into the store as
 *                                                        a Signature key (X25519: an
 *                                                        Encryption key); prints its UDF
 *   secretstore-tool remove ROOT UDF
 *   secretstore-tool unlock ROOT                         the store's unlock (checks the keyring)
 *
 * Exit status: 0, or the MeshError code with its message on stderr.
 */
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>

#include "jwk.h"
#include "error.h"
#include "hive.h"
#include "keystore.h"
#include "secretservice.h"

static gboolean
parse_alg(const char *name, MeshKeyAlg *ret_alg, GError **error)
{
	if (strcmp(name, "ed25519") == 0)
		*ret_alg = MESH_KEY_ED25519;
	else if (strcmp(name, "x25519") == 0)
		*ret_alg = MESH_KEY_X25519;
	else if (strcmp(name, "p256") == 0)
		*ret_alg = MESH_KEY_P256;
	else {
		g_set_error(error, MESH_ERROR, MESH_ERROR_USAGE, "ed25519, x25519 or p256");
		return FALSE;
	}
	return TRUE;
}

static MeshKeyStore *
open_store(const char *root, MeshHive **ret_hive, GError **error)
{
	MeshHive *hive = mesh_hive_open(MESH_HIVE_TEST, root, error);
	MeshKeyStore *store;

	if (hive == NULL)
		return NULL;
	store = mesh_keystore_secret_new(hive, error);
	if (store == NULL) {
		mesh_hive_close(hive);
		return NULL;
	}
	*ret_hive = hive;
	return store;
}

static char *
public_pem(const MeshKey *key, GError **error)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	char *out = NULL;
	long len;

	if (bio == NULL || PEM_write_bio_PUBKEY(bio, mesh_key_borrow_pkey(key)) != 1) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO, "cannot encode the public key");
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	out = g_strchomp(g_strndup(data, (gsize)len));
out:
	BIO_free(bio);
	return out;
}

/* ES256's r || s as the DER ECDSA-Sig-Value that openssl pkeyutl verifies. */
static GBytes *
p256_der(GBytes *sig, GError **error)
{
	const guint8 *rs = g_bytes_get_data(sig, NULL);
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(rs, 32, NULL), *s = BN_bin2bn(rs + 32, 32, NULL);
	unsigned char *der = NULL;
	GBytes *out = NULL;
	int len;

	if (g_bytes_get_size(sig) != MESH_KEY_SIGNATURE_LEN || es == NULL || r == NULL ||
	    s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO, "not a 64-byte r || s signature");
		goto out;
	}
	len = i2d_ECDSA_SIG(es, &der);
	if (len > 0)
		out = g_bytes_new(der, (gsize)len);
	else
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO, "cannot encode the signature");
out:
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	return out;
}

static gboolean
cmd_sign(MeshKeyStore *store, const char *udf, const char *msgfile, const char *sigfile,
         GError **error)
{
	g_autofree char *msg = NULL;
	g_autoptr(GBytes) sig = NULL;
	g_autoptr(GBytes) der = NULL;
	g_autoptr(MeshKey) pub = NULL;
	GBytes *out;
	gsize len;

	if (!g_file_get_contents(msgfile, &msg, &len, NULL)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot read %s", msgfile);
		return FALSE;
	}
	if (!mesh_keystore_sign(store, udf, (const guint8 *)msg, len, &sig, error) ||
	    !mesh_keystore_get_public(store, udf, &pub, error))
		return FALSE;
	out = sig;
	if (mesh_key_alg(pub) == MESH_KEY_P256) {
		der = p256_der(sig, error);
		if (der == NULL)
			return FALSE;
		out = der;
	}
	if (!g_file_set_contents(sigfile, g_bytes_get_data(out, NULL),
	                         (gssize)g_bytes_get_size(out), NULL)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot write %s", sigfile);
		return FALSE;
	}
	return TRUE;
}

static gboolean
cmd_agree(MeshKeyStore *store, const char *udf, GError **error)
{
	g_autoptr(MeshKey) pub = NULL;
	g_autoptr(MeshKey) peer = NULL;
	g_autoptr(MeshKey) peer_pub = NULL;
	g_autoptr(MeshSecret) ours = NULL;
	g_autoptr(MeshSecret) theirs = NULL;

	if (!mesh_keystore_get_public(store, udf, &pub, error))
		return FALSE;
	/* An Ed25519 key still goes to the store, which must refuse it. */
	peer = mesh_key_generate(
	        mesh_key_alg(pub) == MESH_KEY_P256 ? MESH_KEY_P256 : MESH_KEY_X25519, error);
	peer_pub = peer != NULL ? mesh_key_get_public(peer, error) : NULL;
	if (peer_pub == NULL || !mesh_keystore_agree(store, udf, peer_pub, &ours, error))
		return FALSE;
	theirs = mesh_key_agree(peer, pub, error);
	if (theirs == NULL)
		return FALSE;
	if (!mesh_secret_equal(ours, theirs)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO,
		            "the store's shared secret differs from the software one");
		return FALSE;
	}
	return TRUE;
}

static gboolean
cmd_list(MeshKeyStore *store, GString *out, GError **error)
{
	g_autoptr(GPtrArray) infos = NULL;

	if (!mesh_keystore_list(store, &infos, error))
		return FALSE;
	for (guint i = 0; i < infos->len; i++) {
		const MeshKeyInfo *info = g_ptr_array_index(infos, i);

		g_string_append_printf(out, "%s%s %s %s %s", i > 0 ? "\n" : "", info->udf,
		                       mesh_key_alg_name(info->alg), mesh_key_use_name(info->use),
		                       info->locked ? "locked" : "unlocked");
	}
	return TRUE;
}

static gboolean
cmd_export(MeshKeyStore *store, const char *udf, const char *path, GError **error)
{
	g_autoptr(MeshKey) key = NULL;
	g_autoptr(MeshSecret) jwk = NULL;
	FILE *f;
	gboolean ok;

	if (!mesh_keystore_export_private(store, udf, &key, error))
		return FALSE;
	jwk = mesh_key_to_jwk_private(key, error);
	if (jwk == NULL)
		return FALSE;
	f = fopen(path, "wx"); /* umask 077 from the script */
	if (f == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot create %s", path);
		return FALSE;
	}
	ok = fwrite(mesh_secret_get(jwk), 1, mesh_secret_len(jwk) - 1, f) ==
	     mesh_secret_len(jwk) - 1;
	if (fclose(f) != 0 || !ok) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot write %s", path);
		return FALSE;
	}
	return TRUE;
}

static MeshKey *
read_jwk_file(const char *path, GError **error)
{
	g_autofree char *text = NULL;
	gsize len;
	MeshKey *key;

	if (!g_file_get_contents(path, &text, &len, NULL)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot read %s", path);
		return NULL;
	}
	key = mesh_key_from_jwk_text(text, len, error);
	OPENSSL_cleanse(text, len);
	return key;
}

/* The use a test key of @alg takes: X25519 keys only agree, the others sign. */
static MeshKeyUse
use_of(MeshKeyAlg alg)
{
	return alg == MESH_KEY_X25519 ? MESH_KEY_USE_ENCRYPTION : MESH_KEY_USE_SIGNATURE;
}

static gboolean
run(int argc, char **argv, GString *out, GError **error)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	g_autoptr(MeshHive) hive = NULL;
	g_autoptr(MeshKeyStore) store = NULL;
	g_autoptr(MeshKey) key = NULL;
	g_autoptr(MeshKey) pub = NULL;
	g_autofree char *pem = NULL;
	MeshKeyAlg alg;

	if (argc >= 3) {
		store = open_store(argv[2], &hive, error);
		if (store == NULL)
			return FALSE;
	}
	if (strcmp(cmd, "generate") == 0 && argc == 4) {
		if (!parse_alg(argv[3], &alg, error) ||
		    !mesh_keystore_generate(store, alg, use_of(alg), NULL, &pub, error))
			return FALSE;
		g_string_append(out, mesh_key_udf(pub));
	} else if (strcmp(cmd, "public") == 0 && argc == 4) {
		if (!mesh_keystore_get_public(store, argv[3], &pub, error) ||
		    (pem = public_pem(pub, error)) == NULL)
			return FALSE;
		g_string_append(out, pem);
	} else if (strcmp(cmd, "sign") == 0 && argc == 6) {
		return cmd_sign(store, argv[3], argv[4], argv[5], error);
	} else if (strcmp(cmd, "agree") == 0 && argc == 4) {
		if (!cmd_agree(store, argv[3], error))
			return FALSE;
		g_string_append(out, "ok");
	} else if (strcmp(cmd, "list") == 0 && argc == 3) {
		return cmd_list(store, out, error);
	} else if (strcmp(cmd, "export") == 0 && argc == 5) {
		return cmd_export(store, argv[3], argv[4], error);
	} else if (strcmp(cmd, "import") == 0 && argc == 4) {
		key = read_jwk_file(argv[3], error);
		if (key == NULL ||
		    !mesh_keystore_import(store, key, use_of(mesh_key_alg(key)), NULL, error))
			return FALSE;
		g_string_append(out, mesh_key_udf(key));
	} else if (strcmp(cmd, "remove") == 0 && argc == 4) {
		return mesh_keystore_remove(store, argv[3], error);
	} else if (strcmp(cmd, "unlock") == 0 && argc == 3) {
		return mesh_keystore_unlock(store, NULL, error);
	} else {
		g_set_error(error, MESH_ERROR, MESH_ERROR_USAGE,
		            "usage: secretstore-tool "
		            "generate|public|sign|agree|list|export|import|remove|unlock ROOT ...");
		return FALSE;
	}
	return TRUE;
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) out = g_string_new(NULL);

	if (!run(argc, argv, out, &error)) {
		fprintf(stderr, "secretstore-tool: %s\n",
		        error != NULL ? error->message : "failed");
		return error != NULL ? (int)mesh_error_code(error) : 1;
	}
	if (out->len > 0)
		printf("%s\n", out->str);
	return 0;
}
