/* SPDX-License-Identifier: MIT */
#include "udf.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>

#include "base32.h"
#include "error.h"

struct MeshUdfDigest {
	MeshUdfAlg alg;
	EVP_MD_CTX *ctx;
	gboolean finished;
	gboolean failed; /* an update failed: finishing reports it */
};

static const EVP_MD *
alg_md(MeshUdfAlg alg)
{
	return alg == MESH_UDF_ALG_SHA3_512 ? EVP_sha3_512() : EVP_sha512();
}

static guint8
alg_base(MeshUdfAlg alg)
{
	return alg == MESH_UDF_ALG_SHA3_512 ? MESH_UDF_TYPE_SHA3_512 : MESH_UDF_TYPE_SHA2_512;
}

gboolean
mesh_udf_alg_from_name(const char *name, MeshUdfAlg *ret_alg, GError **error)
{
	static const char *const sha2[] = { "sha512", "sha-512", "sha2-512", "sha2_512" };
	static const char *const sha3[] = { "sha3-512", "sha3_512", "sha3512" };

	for (gsize i = 0; name != NULL && i < G_N_ELEMENTS(sha2); i++) {
		if (g_ascii_strcasecmp(name, sha2[i]) == 0) {
			*ret_alg = MESH_UDF_ALG_SHA512;
			return TRUE;
		}
	}
	for (gsize i = 0; name != NULL && i < G_N_ELEMENTS(sha3); i++) {
		if (g_ascii_strcasecmp(name, sha3[i]) == 0) {
			*ret_alg = MESH_UDF_ALG_SHA3_512;
			return TRUE;
		}
	}
	g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		    "unknown digest algorithm '%s': use sha512 or sha3-512", name ? name : "");
	return FALSE;
}

gboolean
mesh_udf_check_bits(guint bits, GError **error)
{
	if (bits < MESH_UDF_BITS_MIN || bits > MESH_UDF_BITS_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "UDF precision %u bits is out of range: use %d to %d", bits,
			    MESH_UDF_BITS_MIN, MESH_UDF_BITS_MAX);
		return FALSE;
	}
	return TRUE;
}

guint
mesh_udf_compression(const guint8 tcdv[static 64])
{
	guint z = 0;

	/* Count trailing zero bits: last byte first, least significant bit first. */
	for (int i = 63; i >= 0; i--) {
		guint8 b = tcdv[i];

		if (b == 0) {
			z += 8;
			continue;
		}
		while ((b & 1) == 0) {
			z++;
			b >>= 1;
		}
		break;
	}
	if (z < 20)
		return 0;
	if (z < 30)
		return 1;
	if (z < 40)
		return 2;
	if (z < 50)
		return 3;
	return 4;
}

MeshUdfDigest *
mesh_udf_digest_new(MeshUdfAlg alg)
{
	MeshUdfDigest *digest = g_new0(MeshUdfDigest, 1);

	digest->alg = alg;
	digest->ctx = EVP_MD_CTX_new();
	if (digest->ctx == NULL || EVP_DigestInit_ex(digest->ctx, alg_md(alg), NULL) != 1)
		g_error("mesh_udf_digest_new: OpenSSL cannot initialise %s",
			alg == MESH_UDF_ALG_SHA3_512 ? "SHA3-512" : "SHA-512");
	return digest;
}

void
mesh_udf_digest_update(MeshUdfDigest *digest, const void *data, gsize len)
{
	g_return_if_fail(!digest->finished);
	if (len > 0 && EVP_DigestUpdate(digest->ctx, data, len) != 1)
		digest->failed = TRUE;
}

/* tcdv_of: TCDV = H(UTF8(ct) || ":" || cdv). */
static gboolean
tcdv_of(MeshUdfAlg alg, const char *content_type, const guint8 cdv[static 64],
	guint8 ret[static 64], GError **error)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	gboolean ok;

	ok = ctx != NULL && EVP_DigestInit_ex(ctx, alg_md(alg), NULL) == 1 &&
	     EVP_DigestUpdate(ctx, content_type, strlen(content_type)) == 1 &&
	     EVP_DigestUpdate(ctx, ":", 1) == 1 && EVP_DigestUpdate(ctx, cdv, 64) == 1 &&
	     EVP_DigestFinal_ex(ctx, ret, &n) == 1 && n == 64;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO, "digest failed");
	return ok;
}

static gboolean
check_content_type(const char *content_type, GError **error)
{
	if (content_type == NULL || !g_utf8_validate(content_type, -1, NULL)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the content type must be UTF-8 text");
		return FALSE;
	}
	return TRUE;
}

gboolean
mesh_udf_digest_finish(MeshUdfDigest *digest, const char *content_type,
		       guint8 ret_binary[static MESH_UDF_DIGEST_BINARY_LEN], GError **error)
{
	guint8 cdv[64], tcdv[64];
	unsigned int n = 0;

	g_return_val_if_fail(!digest->finished, FALSE);
	if (!check_content_type(content_type, error))
		return FALSE;
	digest->finished = TRUE;
	if (digest->failed || EVP_DigestFinal_ex(digest->ctx, cdv, &n) != 1 || n != 64) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO, "digest failed");
		return FALSE;
	}
	if (!tcdv_of(digest->alg, content_type, cdv, tcdv, error))
		return FALSE;
	ret_binary[0] = (guint8)(alg_base(digest->alg) + mesh_udf_compression(tcdv));
	memcpy(ret_binary + 1, tcdv, 64);
	return TRUE;
}

void
mesh_udf_digest_free(MeshUdfDigest *digest)
{
	if (digest == NULL)
		return;
	EVP_MD_CTX_free(digest->ctx);
	g_free(digest);
}

char *
mesh_udf_present(const guint8 *binary, gsize len, guint bits, GError **error)
{
	g_autofree char *b32 = NULL;
	char *ret;
	gsize nchars;

	if (bits == 0) {
		nchars = 0;
	} else {
		if (!mesh_udf_check_bits(bits, error))
			return NULL;
		nchars = (bits + 4) / 5;
		if ((gsize)bits > len * 8) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
				    "UDF precision %u bits is more than the value holds (%" G_GSIZE_FORMAT " bits)",
				    bits, len * 8);
			return NULL;
		}
	}
	b32 = mesh_base32_encode(binary, len, nchars);
	ret = mesh_base32_dashed(b32);
	/* Shares and nonces are presented here too: leave no copy behind. */
	OPENSSL_cleanse(b32, strlen(b32));
	return ret;
}

char *
mesh_udf_content_digest(MeshUdfAlg alg, const char *content_type, const guint8 *data, gsize len,
			guint bits, GError **error)
{
	g_autoptr(MeshUdfDigest) digest = NULL;
	guint8 binary[MESH_UDF_DIGEST_BINARY_LEN];

	if (!mesh_udf_check_bits(bits, error))
		return NULL;
	digest = mesh_udf_digest_new(alg);
	mesh_udf_digest_update(digest, data, len);
	if (!mesh_udf_digest_finish(digest, content_type, binary, error))
		return NULL;
	return mesh_udf_present(binary, sizeof binary, bits, error);
}

char *
mesh_udf_digest_finish_authenticator(MeshUdfDigest *digest, const char *key,
				     const char *content_type, guint bits, GError **error)
{
	static const char master[] = "KeyedUDFMaster";
	static const char expand[] = "KeyedUDFExpand";
	guint8 prk[64], okm[64], data_digest[64], block[sizeof expand], binary[65];
	g_autofree guint8 *msg = NULL;
	unsigned int n = 0;
	gsize ctlen;
	gboolean ok;

	g_return_val_if_fail(!digest->finished, NULL);
	if (digest->alg != MESH_UDF_ALG_SHA512) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "authenticator UDFs are defined over SHA-512 only");
		return NULL;
	}
	if (key == NULL || *key == '\0' || !g_utf8_validate(key, -1, NULL)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the authenticator key must be non-empty UTF-8 text");
		return NULL;
	}
	if (!check_content_type(content_type, error) || !mesh_udf_check_bits(bits, error))
		return NULL;
	digest->finished = TRUE;
	if (digest->failed || EVP_DigestFinal_ex(digest->ctx, data_digest, &n) != 1 || n != 64) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO, "digest failed");
		return NULL;
	}

	/* PRK = HMAC-SHA-512(key = "KeyedUDFMaster", k): HKDF-Extract with that salt. */
	ok = HMAC(EVP_sha512(), master, sizeof master - 1, (const guint8 *)key, strlen(key), prk,
		  &n) != NULL && n == 64;
	/* OKM = HKDF-Expand(PRK, "KeyedUDFExpand", 64): one block, T(1) = HMAC(PRK, info || 1). */
	memcpy(block, expand, sizeof expand - 1);
	block[sizeof expand - 1] = 1;
	ok = ok && HMAC(EVP_sha512(), prk, sizeof prk, block, sizeof block, okm, &n) != NULL &&
	     n == 64;
	/* MAC = HMAC-SHA-512(OKM, ct || ":" || SHA-512(data)) */
	ctlen = strlen(content_type);
	msg = g_malloc(ctlen + 1 + 64);
	memcpy(msg, content_type, ctlen);
	msg[ctlen] = ':';
	memcpy(msg + ctlen + 1, data_digest, 64);
	ok = ok && HMAC(EVP_sha512(), okm, sizeof okm, msg, ctlen + 65, binary + 1, &n) != NULL &&
	     n == 64;
	OPENSSL_cleanse(prk, sizeof prk);
	OPENSSL_cleanse(okm, sizeof okm);
	if (!ok) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO, "HMAC failed");
		return NULL;
	}
	/* Authenticators are never compressed. */
	binary[0] = MESH_UDF_TYPE_AUTHENTICATOR;
	return mesh_udf_present(binary, sizeof binary, bits, error);
}

char *
mesh_udf_authenticator(const char *key, const char *content_type, const guint8 *data, gsize len,
		       guint bits, GError **error)
{
	g_autoptr(MeshUdfDigest) digest = mesh_udf_digest_new(MESH_UDF_ALG_SHA512);

	mesh_udf_digest_update(digest, data, len);
	return mesh_udf_digest_finish_authenticator(digest, key, content_type, bits, error);
}

char *
mesh_udf_nonce(guint bits, GError **error)
{
	guint8 binary[MESH_UDF_DIGEST_BINARY_LEN];
	gsize len;

	if (!mesh_udf_check_bits(bits, error))
		return NULL;
	/* Enough whole bytes to fill ceil(bits / 5) characters. */
	len = ((bits + 4) / 5 * 5 + 7) / 8;
	binary[0] = MESH_UDF_TYPE_NONCE;
	if (RAND_bytes(binary + 1, (int)(len - 1)) != 1) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO, "the random generator failed");
		return NULL;
	}
	return mesh_udf_present(binary, len, bits, error);
}

char *
mesh_udf_key_fingerprint(const guint8 *spki_der, gsize len, guint bits, GError **error)
{
	return mesh_udf_content_digest(MESH_UDF_ALG_SHA512, MESH_UDF_CT_KEYINFO, spki_der, len,
				       bits == 0 ? MESH_UDF_BITS_DEFAULT : bits, error);
}

/* Strip dashes, upper-case and check the character set and length. */
char *
mesh_udf_normalize(const char *text, GError **error)
{
	g_autoptr(GString) s = NULL;
	gsize n;

	if (text == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "no UDF given");
		return NULL;
	}
	n = strnlen(text, 4 * MESH_UDF_TEXT_MAX + 1);
	if (n > 4 * MESH_UDF_TEXT_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE, "UDF text too long");
		return NULL;
	}
	s = g_string_sized_new(n);
	for (gsize i = 0; i < n; i++) {
		char c = g_ascii_toupper(text[i]);

		if (c == '-')
			continue;
		if (!((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'))) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
				    "character %" G_GSIZE_FORMAT " of the UDF is not Base32", i + 1);
			return NULL;
		}
		g_string_append_c(s, c);
	}
	if (s->len > MESH_UDF_TEXT_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "UDF too long: %" G_GSIZE_FORMAT " characters, at most %d", s->len,
			    MESH_UDF_TEXT_MAX);
		return NULL;
	}
	if (s->len * 5 < MESH_UDF_BITS_MIN) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "UDF too short: %" G_GSIZE_FORMAT " bits, at least %d", s->len * 5,
			    MESH_UDF_BITS_MIN);
		return NULL;
	}
	return g_string_free(g_steal_pointer(&s), FALSE);
}

gboolean
mesh_udf_parse(const char *text, guint8 *ret_type, GBytes **ret_binary, guint *ret_bits,
	       GError **error)
{
	g_autofree char *norm = mesh_udf_normalize(text, error);
	g_autoptr(GBytes) binary = NULL;
	gsize nchars;

	if (norm == NULL)
		return FALSE;
	nchars = strlen(norm);
	binary = mesh_base32_decode_bytes(norm, MESH_UDF_TEXT_MAX * 5 / 8 + 1, error);
	if (binary == NULL)
		return FALSE;
	if (ret_type != NULL)
		*ret_type = ((const guint8 *)g_bytes_get_data(binary, NULL))[0];
	if (ret_bits != NULL)
		*ret_bits = (guint)(nchars * 5);
	if (ret_binary != NULL)
		*ret_binary = g_steal_pointer(&binary);
	return TRUE;
}

gboolean
mesh_udf_match(const char *a, const char *b)
{
	g_autofree char *na = mesh_udf_normalize(a, NULL);
	g_autofree char *nb = mesh_udf_normalize(b, NULL);
	gsize la, lb;

	if (na == NULL || nb == NULL)
		return FALSE;
	la = strlen(na);
	lb = strlen(nb);
	/* Both hold at least 100 bits, so the prefix covers the type byte. */
	return strncmp(na, nb, MIN(la, lb)) == 0;
}
