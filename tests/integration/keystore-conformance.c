/* SPDX-License-Identifier: MIT */
/*
 * keystore-conformance: one suite for every key store (backends/router.h's table), run
 * unchanged against file, secret and tpm2 by keystore-conformance.sh, which provides the
 * store's peer (gnome-keyring under dbus-run-session, swtpm) and the agent-level checks.
 *
 *   keystore-conformance STORE ROOT OUT   the in-process checks against STORE over ROOT's test
 *                                         hive; leaves in OUT, for OpenSSL to check, one
 *                                         signature per algorithm: OUT/<alg>.pem (public key),
 *                                         OUT/<alg>.msg, OUT/<alg>.sig (DER for ECDSA)
 *   keystore-conformance STORE ROOT --reopen UDF
 *                                         the key UDF is still there and signs (after a restart
 *                                         of the store's peer)
 *
 * Checks print "ok   - ..." or "FAIL - ..."; the exit status is 1 when one failed.
 */
#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>

#include "../check.h"
#include "error.h"
#include "hive.h"
#include "keystore.h"
#include "ossl.h"
#include "router.h"

static MeshKeyStore *
open_store(const char *name, MeshHive *hive, GError **error)
{
	const MeshKeyStoreBackend *b = mesh_keystore_backend_find(name, error);

	return b != NULL ? b->open(hive, error) : NULL;
}

static const MeshKeyInfo *
find_info(GPtrArray *infos, const char *udf)
{
	for (guint i = 0; infos != NULL && i < infos->len; i++) {
		const MeshKeyInfo *info = infos->pdata[i];

		if (g_strcmp0(info->udf, udf) == 0)
			return info;
	}
	return NULL;
}

/* Write @key's public PEM, the message and its signature (DER for ECDSA) for openssl. */
static gboolean
write_for_openssl(const char *out, const MeshKey *key, const guint8 *msg, gsize len,
		  GBytes *sig, GError **error)
{
	const char *alg = mesh_key_alg_name(mesh_key_alg(key));
	g_autofree char *base = g_build_filename(out, alg, NULL);
	g_autofree char *pem_path = g_strconcat(base, ".pem", NULL);
	g_autofree char *msg_path = g_strconcat(base, ".msg", NULL);
	g_autofree char *sig_path = g_strconcat(base, ".sig", NULL);
	g_autoptr(BIO) bio = BIO_new(BIO_s_mem());
	g_autofree guint8 *der = NULL;
	const guint8 *raw = g_bytes_get_data(sig, NULL);
	char *text = NULL;
	long text_len;
	int der_len = 0;

	if (!PEM_write_bio_PUBKEY(bio, mesh_key_borrow_pkey(key)))
		return FALSE;
	text_len = BIO_get_mem_data(bio, &text);
	if (mesh_key_alg(key) == MESH_KEY_P256) {
		g_autoptr(ECDSA_SIG) es = ECDSA_SIG_new();
		BIGNUM *r = BN_bin2bn(raw, 32, NULL), *s = BN_bin2bn(raw + 32, 32, NULL);
		guint8 *p;

		ECDSA_SIG_set0(es, r, s);
		der_len = i2d_ECDSA_SIG(es, NULL);
		der = g_malloc(der_len);
		p = der;
		i2d_ECDSA_SIG(es, &p);
	} else {
		der_len = (int)g_bytes_get_size(sig);
		der = g_memdup2(raw, der_len);
	}
	return g_file_set_contents(pem_path, text, text_len, error) &&
	       g_file_set_contents(msg_path, (const char *)msg, len, error) &&
	       g_file_set_contents(sig_path, (const char *)der, der_len, error);
}

/* Generate, list, public, sign/verify, agree, for one algorithm; the key's UDF. */
static char *
exercise(MeshKeyStore *store, MeshKeyAlg alg, MeshKeyUse use, const char *out)
{
	static const guint8 msg[] = "the Mesh: one person's keys on all of their devices";
	const char *name = mesh_key_alg_name(alg);
	g_autoptr(MeshKey) pub = NULL;
	g_autoptr(MeshKey) again = NULL;
	g_autoptr(GPtrArray) infos = NULL;
	g_autoptr(GBytes) sig = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *what = NULL;
	const MeshKeyInfo *info;

	what = g_strdup_printf("%s: generate a %s key for %s", mesh_keystore_name(store), name,
			       mesh_key_use_name(use));
	check(mesh_keystore_generate(store, alg, use, NULL, &pub, &error), what, error);
	if (pub == NULL)
		return NULL;
	check(mesh_keystore_list(store, &infos, &error), "list", error);
	info = find_info(infos, mesh_key_udf(pub));
	check(info != NULL && info->alg == alg && info->use == use && !info->locked,
	      "the key is listed with its algorithm and use, unlocked", NULL);
	check(mesh_keystore_get_public(store, mesh_key_udf(pub), &again, &error) &&
		      mesh_key_equal_public(pub, again),
	      "its public key is the one generate gave", error);
	if (use != MESH_KEY_USE_ENCRYPTION) {
		check(mesh_keystore_sign(store, mesh_key_udf(pub), msg, sizeof msg - 1, &sig,
					 &error) &&
			      g_bytes_get_size(sig) == 64 &&
			      mesh_key_verify(pub, msg, sizeof msg - 1,
					      g_bytes_get_data(sig, NULL), 64, &error),
		      "a signature (64 bytes) verifies with the public key", error);
		if (sig != NULL) {
			/* One flipped bit of the message: the signature no longer verifies. */
			guint8 bad[sizeof msg];

			memcpy(bad, msg, sizeof msg);
			bad[0] ^= 1;
			check(!mesh_key_verify(pub, bad, sizeof msg - 1, g_bytes_get_data(sig, NULL),
					       64, NULL),
			      "... and not another message", NULL);
			check(write_for_openssl(out, pub, msg, sizeof msg - 1, sig, &error),
			      "the signature is written for openssl", error);
		}
	} else {
		g_autoptr(MeshKey) peer = mesh_key_generate(alg, &error);
		g_autoptr(MeshKey) peer_pub = peer != NULL ? mesh_key_get_public(peer, NULL) : NULL;
		g_autoptr(MeshSecret) ours = NULL;
		g_autoptr(MeshSecret) theirs = peer != NULL ? mesh_key_agree(peer, pub, NULL) : NULL;

		check(peer_pub != NULL && theirs != NULL &&
			      mesh_keystore_agree(store, mesh_key_udf(pub), peer_pub, &ours, &error) &&
			      mesh_secret_equal(ours, theirs),
		      "agree gives the shared secret the peer computes", error);
	}
	return g_strdup(mesh_key_udf(pub));
}

static int
suite(const char *name, const char *root, const char *out)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MeshHive) hive = mesh_hive_open(MESH_HIVE_TEST, root, &error);
	g_autoptr(MeshKeyStore) store = NULL;
	g_autoptr(GPtrArray) udfs = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) infos = NULL;
	g_autoptr(GBytes) sig = NULL;
	g_autoptr(MeshKey) none = NULL;
	const MeshKeyAlg algs[] = { MESH_KEY_ED25519, MESH_KEY_X25519, MESH_KEY_P256 };
	const unsigned caps_of[] = { MESH_KEYSTORE_CAP_ED25519, MESH_KEYSTORE_CAP_X25519,
				     MESH_KEYSTORE_CAP_P256 };
	const char *unknown = "MDTY-NOTA-KEYO-FTHI-SSTO-RE00";
	unsigned caps;

	check(hive != NULL, "the hive opens", error);
	if (hive == NULL)
		return 1;
	store = open_store(name, hive, &error);
	check(store != NULL, "the store opens", error);
	if (store == NULL)
		return 1;
	check(g_strcmp0(mesh_keystore_name(store), name) == 0, "the store has its name", NULL);
	caps = mesh_keystore_caps(store);
	for (gsize i = 0; i < G_N_ELEMENTS(algs); i++) {
		g_autofree char *what = NULL;

		if (!(caps & caps_of[i])) {
			/* A store refuses what it cannot make, saying so. */
			g_autoptr(MeshKey) k = NULL;

			what = g_strdup_printf("a %s key is refused", mesh_key_alg_name(algs[i]));
			check(!mesh_keystore_generate(store, algs[i],
						      algs[i] == MESH_KEY_X25519 ? MESH_KEY_USE_ENCRYPTION
									       : MESH_KEY_USE_SIGNATURE,
						      NULL, &k, &error),
			      what, NULL);
			check_code(&error, MESH_ERROR_UNSUPPORTED, what);
			continue;
		}
		if (algs[i] != MESH_KEY_X25519)
			g_ptr_array_add(udfs, exercise(store, algs[i], MESH_KEY_USE_SIGNATURE, out));
		if (algs[i] != MESH_KEY_ED25519)
			g_ptr_array_add(udfs, exercise(store, algs[i], MESH_KEY_USE_ENCRYPTION, out));
	}
	check(udfs->len >= 2, "the store made a signature and an encryption key", NULL);

	/* Keys it does not hold. */
	check(!mesh_keystore_sign(store, unknown, (const guint8 *)"x", 1, &sig, &error),
	      "signing with a key it does not hold fails", NULL);
	check_code(&error, MESH_ERROR_NOT_FOUND, "signing with a key it does not hold");
	check(!mesh_keystore_get_public(store, unknown, &none, &error), "no such public key", NULL);
	check_code(&error, MESH_ERROR_NOT_FOUND, "no such public key");
	check(!mesh_keystore_remove(store, unknown, &error), "removing a key it does not hold",
	      NULL);
	check_code(&error, MESH_ERROR_NOT_FOUND, "removing a key it does not hold");

	/* Persistence: a new instance over the same hive (and the same peer) has the keys. */
	g_clear_pointer(&store, mesh_keystore_close);
	store = open_store(name, hive, &error);
	check(store != NULL && mesh_keystore_list(store, &infos, &error), "the store reopens", error);
	for (guint i = 0; store != NULL && i < udfs->len; i++) {
		g_autoptr(MeshKey) pub = NULL;

		if (udfs->pdata[i] == NULL)
			continue;
		check(find_info(infos, udfs->pdata[i]) != NULL &&
			      mesh_keystore_get_public(store, udfs->pdata[i], &pub, &error),
		      "a key is still there after the store reopens", error);
	}

	/* Remove: gone from the list, its public key and its signatures. */
	if (store != NULL && udfs->len > 0 && udfs->pdata[0] != NULL) {
		const char *udf = udfs->pdata[0];
		g_autoptr(GPtrArray) after = NULL;
		g_autoptr(MeshKey) pub = NULL;

		check(mesh_keystore_remove(store, udf, &error), "remove", error);
		check(mesh_keystore_list(store, &after, &error) && find_info(after, udf) == NULL,
		      "a removed key is not listed", error);
		check(!mesh_keystore_get_public(store, udf, &pub, &error), "... nor found", NULL);
		check_code(&error, MESH_ERROR_NOT_FOUND, "a removed key");
		check(!mesh_keystore_remove(store, udf, &error), "... nor removed twice", NULL);
		check_code(&error, MESH_ERROR_NOT_FOUND, "removing it twice");
	}
	printf("%s: %d failed\n", name, check_failed);
	return check_failed > 0 ? 1 : 0;
}

static int
reopen(const char *name, const char *root, const char *udf)
{
	static const guint8 msg[] = "after a restart";
	g_autoptr(GError) error = NULL;
	g_autoptr(MeshHive) hive = mesh_hive_open(MESH_HIVE_TEST, root, &error);
	g_autoptr(MeshKeyStore) store = hive != NULL ? open_store(name, hive, &error) : NULL;
	g_autoptr(MeshKey) pub = NULL;
	g_autoptr(GBytes) sig = NULL;

	check(store != NULL && mesh_keystore_get_public(store, udf, &pub, &error) &&
		      mesh_keystore_sign(store, udf, msg, sizeof msg, &sig, &error) &&
		      mesh_key_verify(pub, msg, sizeof msg, g_bytes_get_data(sig, NULL),
				      g_bytes_get_size(sig), &error),
	      "the key is there and signs after a restart", error);
	return check_failed > 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[3], "--reopen") == 0)
		return reopen(argv[1], argv[2], argv[4]);
	if (argc != 4) {
		fprintf(stderr, "usage: keystore-conformance STORE ROOT OUT\n"
				"       keystore-conformance STORE ROOT --reopen UDF\n");
		return 2;
	}
	return suite(argv[1], argv[2], argv[3]);
}
