/* SPDX-License-Identifier: MIT */
#include "key.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <string.h>

#include "base64.h"
#include "error.h"
#include "ossl.h"
#include "udf.h"

/* OpenSSL objects are file-local autoptrs here; BIGNUMs may hold secrets, so always clear them. */

/* Base64url of 32 bytes, without padding. */
#define B64U_32_LEN 43
/* Largest SubjectPublicKeyInfo looked at before refusing it as too large. */
#define SPKI_MAX 1024

struct MeshKey {
	gatomicrefcount ref;
	MeshKeyAlg alg;
	gboolean is_private;
	EVP_PKEY *pkey;
	guint8 pub[MESH_KEY_P256_POINT_LEN]; /* raw public key */
	gsize pub_len;
	GBytes *spki; /* canonical DER SubjectPublicKeyInfo */
	char *udf;
};

typedef struct {
	MeshKeyAlg alg;
	const char *name;     /* our name and the JWK "crv" */
	const char *kty;      /* JWK "kty" */
	const char *evp_name; /* OpenSSL key type */
	const char *jws_alg;  /* JWS "alg", NULL when the key does not sign */
	gsize pub_len;
	const guint8 *spki_prefix; /* DER of the SubjectPublicKeyInfo up to the raw public key */
	gsize spki_prefix_len;
} AlgInfo;

static const guint8 spki_ed25519[] = { 0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
				       0x2b, 0x65, 0x70, 0x03, 0x21, 0x00 };
static const guint8 spki_x25519[] = { 0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
				      0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00 };
static const guint8 spki_p256[] = { 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
				    0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
				    0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00 };

static const AlgInfo alg_table[] = {
	{ MESH_KEY_ED25519, "Ed25519", "OKP", "ED25519", "EdDSA", MESH_KEY_RAW_LEN, spki_ed25519,
	  sizeof spki_ed25519 },
	{ MESH_KEY_X25519, "X25519", "OKP", "X25519", NULL, MESH_KEY_RAW_LEN, spki_x25519,
	  sizeof spki_x25519 },
	{ MESH_KEY_P256, "P-256", "EC", "EC", "ES256", MESH_KEY_P256_POINT_LEN, spki_p256,
	  sizeof spki_p256 },
};

static const AlgInfo *
alg_info(MeshKeyAlg alg)
{
	for (gsize i = 0; i < G_N_ELEMENTS(alg_table); i++) {
		if (alg_table[i].alg == alg)
			return &alg_table[i];
	}
	return NULL;
}

/* alg_info of a value from the caller: NULL with MESH_ERROR_INVALID_ARGUMENT when unknown. */
static const AlgInfo *
alg_info_checked(MeshKeyAlg alg, GError **error)
{
	const AlgInfo *info = alg_info(alg);

	if (info == NULL)
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "unknown key algorithm %d", (int)alg);
	return info;
}

const char *
mesh_key_alg_name(MeshKeyAlg alg)
{
	const AlgInfo *info = alg_info(alg);

	return info != NULL ? info->name : NULL;
}

gboolean
mesh_key_alg_from_name(const char *name, MeshKeyAlg *ret_alg, GError **error)
{
	static const struct {
		const char *name;
		MeshKeyAlg alg;
	} names[] = {
		{ "Ed25519", MESH_KEY_ED25519 }, { "X25519", MESH_KEY_X25519 },
		{ "P-256", MESH_KEY_P256 },      { "P256", MESH_KEY_P256 },
		{ "EC", MESH_KEY_P256 },
	};

	for (gsize i = 0; name != NULL && i < G_N_ELEMENTS(names); i++) {
		if (g_ascii_strcasecmp(name, names[i].name) == 0) {
			*ret_alg = names[i].alg;
			return TRUE;
		}
	}
	g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		    "unknown key algorithm '%s': use Ed25519, X25519 or P-256", name ? name : "");
	return FALSE;
}

/* The raw public key of @pkey: 32 bytes, or the uncompressed P-256 point. */
static gboolean
pkey_raw_public(EVP_PKEY *pkey, MeshKeyAlg alg, guint8 out[static MESH_KEY_P256_POINT_LEN],
		gsize *ret_len, GError **error)
{
	g_autoptr(BIGNUM) x = NULL;
	g_autoptr(BIGNUM) y = NULL;
	size_t len = MESH_KEY_RAW_LEN;

	if (alg != MESH_KEY_P256) {
		if (EVP_PKEY_get_raw_public_key(pkey, out, &len) != 1 || len != MESH_KEY_RAW_LEN)
			goto fail;
		*ret_len = MESH_KEY_RAW_LEN;
		return TRUE;
	}
	/* The affine coordinates, whatever point conversion form the key was made with. */
	if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1)
		goto fail;
	out[0] = POINT_CONVERSION_UNCOMPRESSED;
	if (BN_bn2binpad(x, out + 1, 32) != 32 || BN_bn2binpad(y, out + 33, 32) != 32)
		goto fail;
	*ret_len = MESH_KEY_P256_POINT_LEN;
	return TRUE;
fail:
	mesh_ossl_error(error, MESH_ERROR_CRYPTO, "cannot read the %s public key",
		  mesh_key_alg_name(alg));
	return FALSE;
}

/* Wrap @pkey (taking ownership) after computing the raw public key, SPKI and UDF. */
static MeshKey *
key_new(EVP_PKEY *pkey, MeshKeyAlg alg, gboolean is_private, GError **error)
{
	const AlgInfo *info = alg_info(alg);
	g_autoptr(MeshKey) key = g_new0(MeshKey, 1);
	guint8 *der;

	g_atomic_ref_count_init(&key->ref);
	key->pkey = pkey;
	key->alg = alg;
	key->is_private = is_private;
	if (!pkey_raw_public(pkey, alg, key->pub, &key->pub_len, error))
		return NULL;
	/* The canonical SPKI is a fixed prefix and the raw key: named curve, uncompressed point. */
	der = g_malloc(info->spki_prefix_len + key->pub_len);
	memcpy(der, info->spki_prefix, info->spki_prefix_len);
	memcpy(der + info->spki_prefix_len, key->pub, key->pub_len);
	key->spki = g_bytes_new_take(der, info->spki_prefix_len + key->pub_len);
	key->udf = mesh_udf_key_fingerprint(der, info->spki_prefix_len + key->pub_len, 0, error);
	if (key->udf == NULL)
		return NULL;
	return g_steal_pointer(&key);
}

MeshKey *
mesh_key_ref(MeshKey *key)
{
	g_atomic_ref_count_inc(&key->ref);
	return key;
}

void
mesh_key_unref(MeshKey *key)
{
	if (key == NULL || !g_atomic_ref_count_dec(&key->ref))
		return;
	EVP_PKEY_free(key->pkey);
	g_bytes_unref(key->spki);
	g_free(key->udf);
	g_free(key);
}

MeshKeyAlg
mesh_key_alg(const MeshKey *key)
{
	return key->alg;
}

gboolean
mesh_key_is_private(const MeshKey *key)
{
	return key->is_private;
}

const char *
mesh_key_udf(const MeshKey *key)
{
	return key->udf;
}

EVP_PKEY *
mesh_key_borrow_pkey(const MeshKey *key)
{
	return key->pkey;
}

GBytes *
mesh_key_get_spki(const MeshKey *key)
{
	return g_bytes_ref(key->spki);
}

GBytes *
mesh_key_get_raw_public(const MeshKey *key)
{
	return g_bytes_new(key->pub, key->pub_len);
}

gboolean
mesh_key_equal_public(const MeshKey *a, const MeshKey *b)
{
	return a->alg == b->alg && g_bytes_equal(a->spki, b->spki);
}

gboolean
mesh_key_udf_matches(const MeshKey *key, const char *udf)
{
	g_autoptr(GBytes) binary = NULL;
	g_autofree char *given = NULL;
	g_autofree char *expect = NULL;
	g_autofree char *expect_norm = NULL;
	guint8 type = 0;
	guint bits = 0;

	if (udf == NULL || !mesh_udf_parse(udf, &type, &binary, &bits, NULL))
		return FALSE;
	/* A key's UDF is a SHA-512 content digest: type 96 plus its compression level (0-4). */
	if (type < MESH_UDF_TYPE_SHA2_512 || type > MESH_UDF_TYPE_SHA2_512 + 4 ||
	    bits > MESH_UDF_BITS_MAX)
		return FALSE;
	/* Recompute at the precision given, so a longer UDF is checked in full. */
	expect = mesh_udf_key_fingerprint(g_bytes_get_data(key->spki, NULL),
					  g_bytes_get_size(key->spki), bits, NULL);
	given = mesh_udf_normalize(udf, NULL);
	expect_norm = expect != NULL ? mesh_udf_normalize(expect, NULL) : NULL;
	return given != NULL && expect_norm != NULL && strcmp(given, expect_norm) == 0;
}

static gboolean
pkey_detect_alg(EVP_PKEY *pkey, MeshKeyAlg *ret_alg)
{
	char group[32];
	size_t len = 0;

	if (EVP_PKEY_is_a(pkey, "ED25519")) {
		*ret_alg = MESH_KEY_ED25519;
		return TRUE;
	}
	if (EVP_PKEY_is_a(pkey, "X25519")) {
		*ret_alg = MESH_KEY_X25519;
		return TRUE;
	}
	if (EVP_PKEY_is_a(pkey, "EC") &&
	    EVP_PKEY_get_group_name(pkey, group, sizeof group, &len) == 1 &&
	    (strcmp(group, SN_X9_62_prime256v1) == 0 || strcmp(group, "P-256") == 0)) {
		*ret_alg = MESH_KEY_P256;
		return TRUE;
	}
	ERR_clear_error();
	return FALSE;
}

MeshKey *
mesh_key_new_from_pkey(EVP_PKEY *pkey, GError **error)
{
	MeshKeyAlg alg = 0;
	gboolean has_private;

	if (pkey == NULL || !pkey_detect_alg(pkey, &alg)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "unsupported key type: use Ed25519, X25519 or P-256");
		return NULL;
	}
	if (alg == MESH_KEY_P256) {
		g_autoptr(BIGNUM) d = NULL;

		has_private = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1;
	} else {
		size_t len = 0;

		has_private = EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, NULL,
							      0, &len) == 1;
	}
	ERR_clear_error();
	if (EVP_PKEY_up_ref(pkey) != 1) {
		mesh_ossl_error(error, MESH_ERROR_CRYPTO, "cannot take a reference to the key");
		return NULL;
	}
	return key_new(pkey, alg, has_private, error);
}

MeshKey *
mesh_key_generate(MeshKeyAlg alg, GError **error)
{
	const AlgInfo *info = alg_info_checked(alg, error);
	EVP_PKEY *pkey;

	if (info == NULL)
		return NULL;
	if (alg == MESH_KEY_P256)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", SN_X9_62_prime256v1);
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, info->evp_name);
	if (pkey == NULL) {
		mesh_ossl_error(error, MESH_ERROR_CRYPTO, "cannot generate an %s key", info->name);
		return NULL;
	}
	return key_new(pkey, alg, TRUE, error);
}

MeshKey *
mesh_key_get_public(const MeshKey *key, GError **error)
{
	return mesh_key_from_raw_public(key->alg, key->pub, key->pub_len, error);
}

/* ---- P-256 from raw values ---------------------------------------------------------------- */

/* A P-256 EVP_PKEY from an uncompressed @point and, for a key pair, the scalar @d. */
static EVP_PKEY *
p256_from_data(const guint8 point[static MESH_KEY_P256_POINT_LEN], const BIGNUM *d,
	       GError **error)
{
	g_autoptr(OSSL_PARAM_BLD) bld = OSSL_PARAM_BLD_new();
	g_autoptr(OSSL_PARAM) params = NULL;
	g_autoptr(EVP_PKEY_CTX) ctx = NULL;
	g_autoptr(EVP_PKEY_CTX) check = NULL;
	g_autoptr(EVP_PKEY) pkey = NULL;

	if (bld == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					    SN_X9_62_prime256v1, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
					     MESH_KEY_P256_POINT_LEN) != 1 ||
	    (d != NULL && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1) {
		mesh_ossl_error(error, MESH_ERROR_CRYPTO, "cannot build a P-256 key");
		return NULL;
	}
	/* fromdata decodes the point and refuses one that is not on the curve; the explicit
	 * public check below also refuses the point at infinity and wrong-order points. */
	if (EVP_PKEY_fromdata(ctx, &pkey, d != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
			      params) != 1 ||
	    (check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
	    EVP_PKEY_public_check(check) != 1) {
		mesh_ossl_error(error, MESH_ERROR_MALFORMED, "the P-256 public key is not a valid point");
		return NULL;
	}
	return g_steal_pointer(&pkey);
}

/* A P-256 key pair from the 32-byte big-endian scalar @priv: the public point is d·G. */
static EVP_PKEY *
p256_from_private(const guint8 priv[static MESH_KEY_RAW_LEN], GError **error)
{
	g_autoptr(EC_GROUP) group = EC_GROUP_new_by_curve_name_ex(NULL, NULL,
								   NID_X9_62_prime256v1);
	g_autoptr(BN_CTX) bn_ctx = BN_CTX_secure_new();
	g_autoptr(BIGNUM) d = BN_secure_new();
	g_autoptr(EC_POINT) pub = NULL;
	guint8 point[MESH_KEY_P256_POINT_LEN];

	if (group == NULL || bn_ctx == NULL || d == NULL ||
	    BN_bin2bn(priv, MESH_KEY_RAW_LEN, d) == NULL) {
		mesh_ossl_error(error, MESH_ERROR_CRYPTO, "cannot load the P-256 private key");
		return NULL;
	}
	BN_set_flags(d, BN_FLG_CONSTTIME);
	if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(group)) >= 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "the P-256 private key is out of range");
		return NULL;
	}
	pub = EC_POINT_new(group);
	if (pub == NULL || EC_POINT_mul(group, pub, d, NULL, NULL, bn_ctx) != 1 ||
	    EC_POINT_point2oct(group, pub, POINT_CONVERSION_UNCOMPRESSED, point, sizeof point,
			       bn_ctx) != sizeof point) {
		mesh_ossl_error(error, MESH_ERROR_CRYPTO, "cannot compute the P-256 public key");
		return NULL;
	}
	return p256_from_data(point, d, error);
}

/* ---- Raw keys ------------------------------------------------------------------------------ */

MeshKey *
mesh_key_from_raw_public(MeshKeyAlg alg, const guint8 *data, gsize len, GError **error)
{
	const AlgInfo *info = alg_info_checked(alg, error);
	EVP_PKEY *pkey;

	if (info == NULL)
		return NULL;
	if (len != info->pub_len) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "an %s public key is %" G_GSIZE_FORMAT " bytes, not %" G_GSIZE_FORMAT,
			    info->name, info->pub_len, len);
		return NULL;
	}
	if (alg == MESH_KEY_P256) {
		if (data[0] != POINT_CONVERSION_UNCOMPRESSED) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
				    "the P-256 public key is not an uncompressed point");
			return NULL;
		}
		pkey = p256_from_data(data, NULL, error);
		if (pkey == NULL)
			return NULL;
	} else {
		pkey = EVP_PKEY_new_raw_public_key_ex(NULL, info->evp_name, NULL, data, len);
		if (pkey == NULL) {
			mesh_ossl_error(error, MESH_ERROR_CRYPTO, "cannot load the %s public key",
				  info->name);
			return NULL;
		}
	}
	return key_new(pkey, alg, FALSE, error);
}

MeshKey *
mesh_key_from_raw_private(MeshKeyAlg alg, const MeshSecret *secret, GError **error)
{
	const AlgInfo *info = alg_info_checked(alg, error);
	EVP_PKEY *pkey;

	if (info == NULL)
		return NULL;
	if (mesh_secret_len(secret) != MESH_KEY_RAW_LEN) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "an %s private key is %d bytes, not %" G_GSIZE_FORMAT, info->name,
			    MESH_KEY_RAW_LEN, mesh_secret_len(secret));
		return NULL;
	}
	if (alg == MESH_KEY_P256) {
		pkey = p256_from_private(mesh_secret_get(secret), error);
		if (pkey == NULL)
			return NULL;
	} else {
		pkey = EVP_PKEY_new_raw_private_key_ex(NULL, info->evp_name, NULL,
						       mesh_secret_get(secret), MESH_KEY_RAW_LEN);
		if (pkey == NULL) {
			mesh_ossl_error(error, MESH_ERROR_CRYPTO, "cannot load the %s private key",
				  info->name);
			return NULL;
		}
	}
	return key_new(pkey, alg, TRUE, error);
}

static gboolean
check_private(const MeshKey *key, GError **error)
{
	if (!key->is_private) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the %s key %s is a public key: this needs its private key",
			    mesh_key_alg_name(key->alg), key->udf);
		return FALSE;
	}
	return TRUE;
}

MeshSecret *
mesh_key_to_raw_private(const MeshKey *key, GError **error)
{
	g_autoptr(MeshSecret) secret = mesh_secret_new(MESH_KEY_RAW_LEN);
	size_t len = MESH_KEY_RAW_LEN;

	if (!check_private(key, error))
		return NULL;
	if (key->alg == MESH_KEY_P256) {
		g_autoptr(BIGNUM) d = NULL;

		if (EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1 ||
		    BN_bn2binpad(d, mesh_secret_data(secret), MESH_KEY_RAW_LEN) != MESH_KEY_RAW_LEN)
			goto fail;
	} else if (EVP_PKEY_get_raw_private_key(key->pkey, mesh_secret_data(secret), &len) != 1 ||
		   len != MESH_KEY_RAW_LEN) {
		goto fail;
	}
	return g_steal_pointer(&secret);
fail:
	mesh_ossl_error(error, MESH_ERROR_CRYPTO, "cannot read the %s private key",
		  mesh_key_alg_name(key->alg));
	return NULL;
}

/* ---- SPKI ---------------------------------------------------------------------------------- */

MeshKey *
mesh_key_from_spki(const guint8 *der, gsize len, GError **error)
{
	g_autoptr(EVP_PKEY) pkey = NULL;
	const unsigned char *p = der;
	MeshKeyAlg alg = 0;

	if (len > SPKI_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "SubjectPublicKeyInfo of %" G_GSIZE_FORMAT " bytes is too large", len);
		return NULL;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(alg_table); i++) {
		const AlgInfo *info = &alg_table[i];

		if (len == info->spki_prefix_len + info->pub_len &&
		    memcmp(der, info->spki_prefix, info->spki_prefix_len) == 0)
			return mesh_key_from_raw_public(info->alg, der + info->spki_prefix_len,
							info->pub_len, error);
	}
	/* Not canonical: tell a key of another type from a broken encoding. */
	pkey = d2i_PUBKEY_ex(NULL, &p, (long)len, NULL, NULL);
	ERR_clear_error();
	if (pkey != NULL && p == der + len && !pkey_detect_alg(pkey, &alg)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "unsupported key type in SubjectPublicKeyInfo: use Ed25519, X25519 or "
			    "P-256");
		return NULL;
	}
	g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		    "not a canonical DER SubjectPublicKeyInfo (P-256 keys need a named curve "
		    "and an uncompressed point)");
	return NULL;
}

/* ---- JWK: the json-free part (the JSON objects are core/jwk.c's) ------------------------------ */

const char *
mesh_key_alg_jwk_kty(MeshKeyAlg alg)
{
	const AlgInfo *info = alg_info(alg);

	return info != NULL ? info->kty : NULL;
}

void
mesh_key_jwk_coordinates(const MeshKey *key, char **ret_x, char **ret_y)
{
	if (key->alg == MESH_KEY_P256) {
		*ret_x = mesh_b64u_encode(key->pub + 1, 32);
		*ret_y = mesh_b64u_encode(key->pub + 33, 32);
	} else {
		*ret_x = mesh_b64u_encode(key->pub, 32);
		*ret_y = NULL;
	}
}

MeshSecret *
mesh_key_to_jwk_private(const MeshKey *key, GError **error)
{
	const AlgInfo *info;
	g_autoptr(MeshSecret) d = NULL;
	g_autofree char *x = NULL;
	g_autofree char *y = NULL;
	g_autofree char *pub_text = NULL;
	MeshSecret *out;
	char *d_b64;
	char *p;
	gsize pub_len;

	if (!check_private(key, error))
		return NULL;
	d = mesh_key_to_raw_private(key, error);
	if (d == NULL)
		return NULL;
	/*
	 * The public members as mesh_key_to_jwk() has them, in its order and as json-glib writes
	 * them compact (every value is base64url, a UDF or a fixed name: nothing to escape); "d"
	 * is spliced in inside the secret.
	 */
	info = alg_info(key->alg);
	mesh_key_jwk_coordinates(key, &x, &y);
	pub_text = g_strdup_printf("{\"kty\":\"%s\",\"crv\":\"%s\",\"x\":\"%s\"%s%s%s,\"kid\":\"%s\"",
				   info->kty, info->name, x, y != NULL ? ",\"y\":\"" : "",
				   y != NULL ? y : "", y != NULL ? "\"" : "", key->udf);
	pub_len = strlen(pub_text);
	out = mesh_secret_new(pub_len + strlen(",\"d\":\"") + B64U_32_LEN + 2 + 1);
	p = (char *)mesh_secret_data(out);
	memcpy(p, pub_text, pub_len);
	p += pub_len;
	memcpy(p, ",\"d\":\"", strlen(",\"d\":\""));
	p += strlen(",\"d\":\"");
	d_b64 = mesh_b64u_encode(mesh_secret_get(d), MESH_KEY_RAW_LEN);
	memcpy(p, d_b64, B64U_32_LEN);
	OPENSSL_cleanse(d_b64, B64U_32_LEN);
	g_free(d_b64);
	p += B64U_32_LEN;
	memcpy(p, "\"}", 3);
	return out;
}

char *
mesh_key_jwk_thumbprint(const MeshKey *key)
{
	const AlgInfo *info = alg_info(key->alg);
	g_autoptr(GChecksum) sha = g_checksum_new(G_CHECKSUM_SHA256);
	g_autofree char *x = NULL;
	g_autofree char *y = NULL;
	g_autofree char *canonical = NULL;
	guint8 digest[32];
	gsize digest_len = sizeof digest;

	/* RFC 7638 §3.2: the required members only, in lexicographic order, no whitespace. */
	mesh_key_jwk_coordinates(key, &x, &y);
	if (y != NULL)
		canonical = g_strdup_printf(
			"{\"crv\":\"%s\",\"kty\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"}", info->name,
			info->kty, x, y);
	else
		canonical = g_strdup_printf("{\"crv\":\"%s\",\"kty\":\"%s\",\"x\":\"%s\"}",
					    info->name, info->kty, x);
	g_checksum_update(sha, (const guchar *)canonical, (gssize)strlen(canonical));
	g_checksum_get_digest(sha, digest, &digest_len);
	return mesh_b64u_encode(digest, digest_len);
}

/* ---- Signatures ---------------------------------------------------------------------------- */

static gboolean
check_signing_key(const MeshKey *key, GError **error)
{
	if (alg_info(key->alg)->jws_alg == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "an %s key cannot sign or verify: use Ed25519 or P-256",
			    mesh_key_alg_name(key->alg));
		return FALSE;
	}
	return TRUE;
}

/* The digest for EVP_DigestSign/Verify: none for pure Ed25519. */
static const char *
signing_digest(const MeshKey *key)
{
	return key->alg == MESH_KEY_P256 ? "SHA256" : NULL;
}

GBytes *
mesh_key_sign(const MeshKey *key, const guint8 *data, gsize len, GError **error)
{
	g_autoptr(EVP_MD_CTX) ctx = NULL;
	g_autoptr(ECDSA_SIG) ecdsa = NULL;
	const BIGNUM *r = NULL;
	const BIGNUM *s = NULL;
	const unsigned char *p;
	guint8 sig[128];
	guint8 raw[MESH_KEY_SIGNATURE_LEN];
	size_t sig_len = sizeof sig;

	if (!check_signing_key(key, error) || !check_private(key, error))
		return NULL;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL ||
	    EVP_DigestSignInit_ex(ctx, NULL, signing_digest(key), NULL, NULL, key->pkey, NULL) !=
		    1 ||
	    EVP_DigestSign(ctx, sig, &sig_len, data != NULL ? data : (const guint8 *)"", len) != 1)
		goto fail;
	if (key->alg == MESH_KEY_ED25519) {
		if (sig_len != MESH_KEY_SIGNATURE_LEN)
			goto fail;
		return g_bytes_new(sig, sig_len);
	}
	/* OpenSSL writes ECDSA signatures in DER; JOSE wants r || s, 32 bytes each. */
	p = sig;
	ecdsa = d2i_ECDSA_SIG(NULL, &p, (long)sig_len);
	if (ecdsa == NULL)
		goto fail;
	ECDSA_SIG_get0(ecdsa, &r, &s);
	if (BN_bn2binpad(r, raw, 32) != 32 || BN_bn2binpad(s, raw + 32, 32) != 32)
		goto fail;
	return g_bytes_new(raw, sizeof raw);
fail:
	mesh_ossl_error(error, MESH_ERROR_CRYPTO, "%s signing failed", mesh_key_alg_name(key->alg));
	return NULL;
}

/* The DER form of a JOSE r || s ECDSA signature; free with OPENSSL_free. */
static int
ecdsa_raw_to_der(const guint8 raw[static MESH_KEY_SIGNATURE_LEN], unsigned char **ret_der)
{
	g_autoptr(ECDSA_SIG) ecdsa = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, 32, NULL);
	BIGNUM *s = BN_bin2bn(raw + 32, 32, NULL);

	if (ecdsa == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(ecdsa, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		return -1;
	}
	return i2d_ECDSA_SIG(ecdsa, ret_der);
}

gboolean
mesh_key_verify(const MeshKey *key, const guint8 *data, gsize len, const guint8 *sig,
		gsize sig_len, GError **error)
{
	g_autoptr(EVP_MD_CTX) ctx = NULL;
	unsigned char *der = NULL;
	int der_len = MESH_KEY_SIGNATURE_LEN;
	int rc;

	if (!check_signing_key(key, error))
		return FALSE;
	if (sig_len != MESH_KEY_SIGNATURE_LEN) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_BAD_SIGNATURE,
			    "an %s signature is %d bytes, not %" G_GSIZE_FORMAT,
			    mesh_key_alg_name(key->alg), MESH_KEY_SIGNATURE_LEN, sig_len);
		return FALSE;
	}
	if (key->alg == MESH_KEY_P256) {
		der_len = ecdsa_raw_to_der(sig, &der);
		if (der_len <= 0) {
			mesh_ossl_error(error, MESH_ERROR_CRYPTO, "cannot encode the ECDSA signature");
			return FALSE;
		}
	}
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestVerifyInit_ex(ctx, NULL, signing_digest(key), NULL, NULL,
						   key->pkey, NULL) != 1) {
		OPENSSL_free(der);
		mesh_ossl_error(error, MESH_ERROR_CRYPTO, "%s verification failed to start",
			  mesh_key_alg_name(key->alg));
		return FALSE;
	}
	rc = EVP_DigestVerify(ctx, der != NULL ? der : sig, (size_t)der_len,
			      data != NULL ? data : (const guint8 *)"", len);
	OPENSSL_free(der);
	if (rc != 1) {
		mesh_ossl_error(error, MESH_ERROR_BAD_SIGNATURE,
			  "the %s signature does not verify with key %s",
			  mesh_key_alg_name(key->alg), key->udf);
		return FALSE;
	}
	return TRUE;
}

/* ---- Agreement ----------------------------------------------------------------------------- */

MeshSecret *
mesh_key_agree(const MeshKey *key, const MeshKey *peer, GError **error)
{
	g_autoptr(EVP_PKEY_CTX) ctx = NULL;
	g_autoptr(MeshSecret) secret = NULL;
	size_t len = MESH_KEY_AGREEMENT_LEN;
	guint8 acc = 0;

	if (key->alg == MESH_KEY_ED25519) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "an Ed25519 key cannot agree a secret: use X25519 or P-256");
		return NULL;
	}
	if (!check_private(key, error))
		return NULL;
	if (peer->alg != key->alg) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "cannot agree between an %s key and an %s key",
			    mesh_key_alg_name(key->alg), mesh_key_alg_name(peer->alg));
		return NULL;
	}
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey, NULL);
	if (ctx == NULL || EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer_ex(ctx, peer->pkey, 1) != 1) {
		mesh_ossl_error(error, MESH_ERROR_CRYPTO, "%s agreement failed to start",
			  mesh_key_alg_name(key->alg));
		return NULL;
	}
	secret = mesh_secret_new(MESH_KEY_AGREEMENT_LEN);
	if (EVP_PKEY_derive(ctx, mesh_secret_data(secret), &len) != 1 ||
	    len != MESH_KEY_AGREEMENT_LEN) {
		/* OpenSSL refuses an all-zero X25519 result itself; that is the only way a valid
		 * X25519 key pair fails here. */
		mesh_ossl_error(error,
			  key->alg == MESH_KEY_X25519 ? MESH_ERROR_MALFORMED : MESH_ERROR_CRYPTO,
			  "%s agreement failed%s", mesh_key_alg_name(key->alg),
			  key->alg == MESH_KEY_X25519 ? ": the peer key is a low-order point" : "");
		return NULL;
	}
	/* RFC 7748 §6.1: check for the all-zero value, in constant time. */
	for (gsize i = 0; i < MESH_KEY_AGREEMENT_LEN; i++)
		acc |= mesh_secret_get(secret)[i];
	if (acc == 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "%s agreement gave zero: the peer key is a low-order point",
			    mesh_key_alg_name(key->alg));
		return NULL;
	}
	return g_steal_pointer(&secret);
}
