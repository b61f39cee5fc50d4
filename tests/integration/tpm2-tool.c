/* SPDX-License-Identifier: MIT */
/*
 * tpm2-tool: drives the tpm2 key store for tpm2-keystore.sh. The TPM is the one named by
 * MESH_TPM2_TCTI (tpm-lib.sh's swtpm); ROOT is the hive root (the test hive under it is used).
 *
 *   tpm2-tool generate ROOT sign|auth|enc [PIN]    new P-256 key; prints its UDF
 *   tpm2-tool generate-ed25519 ROOT                (refused: a TPM makes P-256 keys)
 *   tpm2-tool public ROOT UDF                      the public key as PEM SubjectPublicKeyInfo
 *   tpm2-tool sign ROOT UDF MSG OUT [PIN]          sign the file MSG; OUT gets the signature as
 *                                                  DER ECDSA-Sig-Value (what openssl verifies);
 *                                                  with PIN the store is unlocked first
 *   tpm2-tool verify ROOT UDF MSG SIG              a DER ECDSA signature of MSG (from openssl)
 *                                                  verifies with the store's public key: "ok"
 *   tpm2-tool agree ROOT UDF                       ECDH with a fresh software key equals the
 *                                                  software side's result: "ok"
 *   tpm2-tool agree-with ROOT UDF PEER [PIN]       ECDH with the P-256 public key in the file
 *                                                  PEER (DER SubjectPublicKeyInfo); prints the
 *                                                  shared secret (x) in hex, for tests that
 *                                                  look for it on the TPM bus
 *   tpm2-tool loop ROOT UDF N [PIN]                N signatures, each verified: "ok"; with PIN
 *                                                  the store is unlocked first
 *   tpm2-tool unlock ROOT PIN                      unlock only: "ok"
 *   tpm2-tool list ROOT                            "<udf> <use> locked|unlocked" per key
 *   tpm2-tool remove ROOT UDF                      remove the key: "ok"
 *   tpm2-tool import ROOT FILE sign|auth|enc [PIN] adopt a TSS2 PRIVATE KEY file, sign and
 *                                                  verify through the store; prints the UDF
 *
 * Exit status: 0, or the MeshError code with its message on stderr.
 */
#include <openssl/bio.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "error.h"
#include "hive.h"
#include "keystore.h"
#include "tpm2.h"

static MeshSecret *
pin_arg(int argc, char **argv, int index)
{
	if (argc <= index)
		return NULL;
	return mesh_secret_new_from_data(argv[index], strlen(argv[index]));
}

static gboolean
use_arg(const char *text, MeshKeyUse *ret_use, GError **error)
{
	if (strcmp(text, "sign") == 0)
		*ret_use = MESH_KEY_USE_SIGNATURE;
	else if (strcmp(text, "auth") == 0)
		*ret_use = MESH_KEY_USE_AUTHENTICATION;
	else if (strcmp(text, "enc") == 0)
		*ret_use = MESH_KEY_USE_ENCRYPTION;
	else {
		g_set_error(error, MESH_ERROR, MESH_ERROR_USAGE, "use is sign, auth or enc");
		return FALSE;
	}
	return TRUE;
}

static GBytes *
read_file(const char *path, GError **error)
{
	char *data = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &data, &len, NULL)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot read %s", path);
		return NULL;
	}
	return g_bytes_new_take(data, len);
}

/* r || s (64 bytes) as DER ECDSA-Sig-Value, and back. */
static GBytes *
sig_to_der(GBytes *raw, GError **error)
{
	const guint8 *p = g_bytes_get_data(raw, NULL);
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(p, 32, NULL), *s = BN_bin2bn(p + 32, 32, NULL);
	unsigned char *der = NULL;
	int len;
	GBytes *out = NULL;

	if (sig != NULL && r != NULL && s != NULL && ECDSA_SIG_set0(sig, r, s) == 1) {
		r = s = NULL;
		len = i2d_ECDSA_SIG(sig, &der);
		if (len > 0)
			out = g_bytes_new(der, (gsize)len);
	}
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	OPENSSL_free(der);
	if (out == NULL)
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO, "cannot encode the signature");
	return out;
}

static gboolean
der_to_sig(GBytes *der, guint8 out[64], GError **error)
{
	gsize len;
	const unsigned char *p = g_bytes_get_data(der, &len);
	const unsigned char *start = p;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *r, *s;
	gboolean ok = FALSE;

	if (sig != NULL && (gsize)(p - start) == len) {
		ECDSA_SIG_get0(sig, &r, &s);
		ok = BN_bn2binpad(r, out, 32) == 32 && BN_bn2binpad(s, out + 32, 32) == 32;
	}
	ECDSA_SIG_free(sig);
	if (!ok)
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "the signature is not a DER P-256 ECDSA-Sig-Value");
	return ok;
}

static char *
public_pem(const MeshKey *key, GError **error)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *out = NULL;
	long len;

	if (bio != NULL && PEM_write_bio_PUBKEY(bio, mesh_key_borrow_pkey(key)) == 1) {
		len = BIO_get_mem_data(bio, &data);
		out = g_strndup(data, (gsize)len);
	}
	BIO_free(bio);
	if (out == NULL)
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO, "cannot encode the public key");
	else
		g_strchomp(out);
	return out;
}

static gboolean
sign_verify(MeshKeyStore *store, const char *udf, GError **error)
{
	static const guint8 msg[] = "tpm2-keystore";
	g_autoptr(GBytes) sig = NULL;
	g_autoptr(MeshKey) pub = NULL;

	return mesh_keystore_get_public(store, udf, &pub, error) &&
	       mesh_keystore_sign(store, udf, msg, sizeof msg, &sig, error) &&
	       mesh_key_verify(pub, msg, sizeof msg, g_bytes_get_data(sig, NULL),
			       g_bytes_get_size(sig), error);
}

static gboolean
run(int argc, char **argv, GError **error)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	g_autoptr(MeshHive) hive = NULL;
	g_autoptr(MeshKeyStore) store = NULL;
	g_autoptr(MeshKey) pub = NULL;
	g_autofree char *out = NULL;
	MeshKeyUse use;

	if (argc < 3) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_USAGE,
			    "usage: tpm2-tool generate|public|sign|verify|agree|agree-with|loop|"
			    "unlock|list|remove|import ROOT ...");
		return FALSE;
	}
	hive = mesh_hive_open(MESH_HIVE_TEST, argv[2], error);
	if (hive == NULL)
		return FALSE;
	store = mesh_keystore_tpm2_new(hive, NULL, error);
	if (store == NULL)
		return FALSE;

	if (strcmp(cmd, "generate") == 0 && argc >= 4) {
		g_autoptr(MeshSecret) pin = pin_arg(argc, argv, 4);

		if (!use_arg(argv[3], &use, error) ||
		    !mesh_keystore_generate(store, MESH_KEY_P256, use, pin, &pub, error))
			return FALSE;
		out = g_strdup(mesh_key_udf(pub));
	} else if (strcmp(cmd, "generate-ed25519") == 0) {
		if (!mesh_keystore_generate(store, MESH_KEY_ED25519, MESH_KEY_USE_SIGNATURE, NULL,
					    &pub, error))
			return FALSE;
		out = g_strdup(mesh_key_udf(pub));
	} else if (strcmp(cmd, "public") == 0 && argc == 4) {
		if (!mesh_keystore_get_public(store, argv[3], &pub, error))
			return FALSE;
		out = public_pem(pub, error);
	} else if (strcmp(cmd, "sign") == 0 && argc >= 6) {
		g_autoptr(MeshSecret) pin = pin_arg(argc, argv, 6);
		g_autoptr(GBytes) msg = read_file(argv[4], error);
		g_autoptr(GBytes) sig = NULL;
		g_autoptr(GBytes) der = NULL;

		if (msg == NULL || (pin != NULL && !mesh_keystore_unlock(store, pin, error)) ||
		    !mesh_keystore_sign(store, argv[3], g_bytes_get_data(msg, NULL),
					g_bytes_get_size(msg), &sig, error))
			return FALSE;
		if (g_bytes_get_size(sig) != MESH_KEY_SIGNATURE_LEN) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_FAILED, "signature is not 64 bytes");
			return FALSE;
		}
		der = sig_to_der(sig, error);
		if (der == NULL || !g_file_set_contents(argv[5], g_bytes_get_data(der, NULL),
							(gssize)g_bytes_get_size(der), NULL)) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot write %s", argv[5]);
			return FALSE;
		}
		out = g_strdup("ok");
	} else if (strcmp(cmd, "verify") == 0 && argc == 6) {
		g_autoptr(GBytes) msg = read_file(argv[4], error);
		g_autoptr(GBytes) der = msg != NULL ? read_file(argv[5], error) : NULL;
		guint8 raw[64];

		if (der == NULL || !der_to_sig(der, raw, error) ||
		    !mesh_keystore_get_public(store, argv[3], &pub, error) ||
		    !mesh_key_verify(pub, g_bytes_get_data(msg, NULL), g_bytes_get_size(msg), raw,
				     sizeof raw, error))
			return FALSE;
		out = g_strdup("ok");
	} else if (strcmp(cmd, "agree") == 0 && argc == 4) {
		g_autoptr(MeshKey) peer = mesh_key_generate(MESH_KEY_P256, error);
		g_autoptr(MeshSecret) ours = NULL;
		g_autoptr(MeshSecret) theirs = NULL;

		if (peer == NULL || !mesh_keystore_get_public(store, argv[3], &pub, error) ||
		    !mesh_keystore_agree(store, argv[3], peer, &ours, error))
			return FALSE;
		theirs = mesh_key_agree(peer, pub, error);
		if (theirs == NULL)
			return FALSE;
		if (mesh_secret_len(ours) != MESH_KEY_AGREEMENT_LEN ||
		    !mesh_secret_equal(ours, theirs)) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_FAILED,
				    "the TPM's ECDH result differs from the software peer's");
			return FALSE;
		}
		out = g_strdup("ok");
	} else if (strcmp(cmd, "agree-with") == 0 && argc >= 5) {
		g_autoptr(MeshSecret) pin = pin_arg(argc, argv, 5);
		g_autoptr(GBytes) der = read_file(argv[4], error);
		g_autoptr(MeshKey) peer = NULL;
		g_autoptr(MeshSecret) z = NULL;
		g_autofree char *hex = NULL;

		if (der == NULL ||
		    (peer = mesh_key_from_spki(g_bytes_get_data(der, NULL), g_bytes_get_size(der),
					       error)) == NULL ||
		    (pin != NULL && !mesh_keystore_unlock(store, pin, error)) ||
		    !mesh_keystore_agree(store, argv[3], peer, &z, error))
			return FALSE;
		hex = mesh_hex_encode(mesh_secret_data(z), mesh_secret_len(z));
		out = g_ascii_strdown(hex, -1);
	} else if (strcmp(cmd, "loop") == 0 && (argc == 5 || argc == 6)) {
		g_autoptr(MeshSecret) pin = pin_arg(argc, argv, 5);
		long n = strtol(argv[4], NULL, 10);

		if (pin != NULL && !mesh_keystore_unlock(store, pin, error))
			return FALSE;
		for (long i = 0; i < n; i++) {
			if (!sign_verify(store, argv[3], error)) {
				g_prefix_error(error, "signature %ld: ", i + 1);
				return FALSE;
			}
		}
		out = g_strdup("ok");
	} else if (strcmp(cmd, "unlock") == 0 && argc == 4) {
		g_autoptr(MeshSecret) pin = pin_arg(argc, argv, 3);

		if (!mesh_keystore_unlock(store, pin, error))
			return FALSE;
		out = g_strdup("ok");
	} else if (strcmp(cmd, "list") == 0 && argc == 3) {
		g_autoptr(GPtrArray) infos = NULL;
		GString *text = g_string_new(NULL);

		if (!mesh_keystore_list(store, &infos, error)) {
			g_string_free(text, TRUE);
			return FALSE;
		}
		for (guint i = 0; i < infos->len; i++) {
			const MeshKeyInfo *info = g_ptr_array_index(infos, i);

			g_string_append_printf(text, "%s%s %s %s", i > 0 ? "\n" : "", info->udf,
					       mesh_key_use_name(info->use),
					       info->locked ? "locked" : "unlocked");
		}
		out = g_string_free(text, FALSE);
	} else if (strcmp(cmd, "remove") == 0 && argc == 4) {
		if (!mesh_keystore_remove(store, argv[3], error))
			return FALSE;
		out = g_strdup("ok");
	} else if (strcmp(cmd, "import") == 0 && argc >= 5) {
		g_autoptr(MeshSecret) pin = pin_arg(argc, argv, 5);
		g_autoptr(GBytes) pem = read_file(argv[3], error);

		if (pem == NULL || !use_arg(argv[4], &use, error) ||
		    !mesh_keystore_tpm2_import_file(store, g_bytes_get_data(pem, NULL),
						    g_bytes_get_size(pem), use, pin, &pub, error))
			return FALSE;
		if (use != MESH_KEY_USE_ENCRYPTION && !sign_verify(store, mesh_key_udf(pub), error))
			return FALSE;
		out = g_strdup(mesh_key_udf(pub));
	} else {
		g_set_error(error, MESH_ERROR, MESH_ERROR_USAGE, "tpm2-tool: unknown command %s",
			    cmd);
		return FALSE;
	}
	if (out == NULL)
		return FALSE;
	printf("%s\n", out);
	return TRUE;
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;

	if (!run(argc, argv, &error)) {
		fprintf(stderr, "tpm2-tool: %s\n", error != NULL ? error->message : "failed");
		return error != NULL ? (int)mesh_error_code(error) : 1;
	}
	return 0;
}
