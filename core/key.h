/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>
#include <openssl/evp.h>

#include "secret.h"

G_BEGIN_DECLS

/*
 * MeshKey: an Ed25519, X25519 or P-256 key pair or public key (docs/protocol.md §3), wrapping an
 * OpenSSL EVP_PKEY. Keys are immutable and reference counted; the UDF (docs/protocol.md §2: the
 * SHA-512 content digest of the DER SubjectPublicKeyInfo, 140 bits) is computed once when the
 * key is made.
 *
 * Private key material leaves a MeshKey only as a MeshSecret (raw bytes or private JWK text).
 */
typedef struct MeshKey MeshKey;

typedef enum {
	MESH_KEY_ED25519 = 1, /* signatures (JWS EdDSA, RFC 8037), SSH */
	MESH_KEY_X25519 = 2,  /* agreement (JWE ECDH-ES, RFC 8037) */
	MESH_KEY_P256 = 3,    /* signatures (ES256) and agreement (ECDH-ES) */
} MeshKeyAlg;

/* Raw sizes: Ed25519/X25519 public and every private key are 32 bytes; a P-256 public key is
 * the 65-byte uncompressed point 04 || x || y. Signatures are 64 bytes (ES256 as JOSE r || s). */
#define MESH_KEY_RAW_LEN        32
#define MESH_KEY_P256_POINT_LEN 65
#define MESH_KEY_SIGNATURE_LEN  64
#define MESH_KEY_AGREEMENT_LEN  32

/* Largest JWK text mesh_key_from_jwk_text() (jwk.h) accepts. */
#define MESH_KEY_JWK_MAX (8 * 1024)

/* mesh_key_alg_name: "Ed25519", "X25519" or "P-256"; NULL for a value that is not a MeshKeyAlg. */
const char *mesh_key_alg_name(MeshKeyAlg alg);

/*
 * mesh_key_alg_from_name: the algorithm named @name (any case; "P256" and "EC" are also
 * accepted for P-256). Errors: MESH_ERROR_INVALID_ARGUMENT naming the accepted names.
 */
gboolean mesh_key_alg_from_name(const char *name, MeshKeyAlg *ret_alg, GError **error);

/* mesh_key_generate: a fresh key pair. Errors: MESH_ERROR_INVALID_ARGUMENT, MESH_ERROR_CRYPTO. */
MeshKey *mesh_key_generate(MeshKeyAlg alg, GError **error);

/*
 * mesh_key_new_from_pkey: wrap @pkey (a reference is taken; the caller keeps its own). The key
 * is private when OpenSSL can read its private part. Errors: MESH_ERROR_UNSUPPORTED for any
 * other key type or curve, MESH_ERROR_CRYPTO.
 */
MeshKey *mesh_key_new_from_pkey(EVP_PKEY *pkey, GError **error);

MeshKey *mesh_key_ref(MeshKey *key);
/* mesh_key_unref: drop a reference; accepts NULL. */
void mesh_key_unref(MeshKey *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshKey, mesh_key_unref)

MeshKeyAlg mesh_key_alg(const MeshKey *key);
gboolean mesh_key_is_private(const MeshKey *key);

/* mesh_key_udf: the key's UDF at 140 bits, dashed ("MXXX-XXXX-..."). Owned by @key. */
const char *mesh_key_udf(const MeshKey *key);

/*
 * mesh_key_udf_matches: TRUE when @udf (any case, dashes optional, 100 to 440 bits) is this
 * key's UDF at the precision it is given in. FALSE for NULL or text that is not a UDF.
 */
gboolean mesh_key_udf_matches(const MeshKey *key, const char *udf);

/* mesh_key_borrow_pkey: the EVP_PKEY inside @key, owned by @key; do not modify it. */
EVP_PKEY *mesh_key_borrow_pkey(const MeshKey *key);

/* mesh_key_get_public: a public-only key with the same public key (a new reference). */
MeshKey *mesh_key_get_public(const MeshKey *key, GError **error);

/* mesh_key_equal_public: TRUE when both keys have the same algorithm and public key. */
gboolean mesh_key_equal_public(const MeshKey *a, const MeshKey *b);

/* ---- SubjectPublicKeyInfo (DER) -------------------------------------------------------- */

/* mesh_key_get_spki: the canonical DER SubjectPublicKeyInfo (a new reference). */
GBytes *mesh_key_get_spki(const MeshKey *key);

/*
 * mesh_key_from_spki: a public key from DER. Only the canonical encoding is accepted: no
 * trailing bytes, a named curve, an uncompressed point. Errors: MESH_ERROR_MALFORMED,
 * MESH_ERROR_UNSUPPORTED (another key type or curve), MESH_ERROR_TOO_LARGE.
 */
MeshKey *mesh_key_from_spki(const guint8 *der, gsize len, GError **error);

/* ---- Raw keys ---------------------------------------------------------------------------- */

/*
 * mesh_key_from_raw_public: 32 bytes for Ed25519/X25519, the 65-byte uncompressed point for
 * P-256 (which must be on the curve). Errors: MESH_ERROR_MALFORMED, MESH_ERROR_INVALID_ARGUMENT.
 */
MeshKey *mesh_key_from_raw_public(MeshKeyAlg alg, const guint8 *data, gsize len, GError **error);

/*
 * mesh_key_from_raw_private: a key pair from its 32-byte private key (the Ed25519 seed, the
 * X25519 scalar, or the big-endian P-256 scalar, which must be in [1, n-1]). Errors:
 * MESH_ERROR_MALFORMED, MESH_ERROR_INVALID_ARGUMENT, MESH_ERROR_CRYPTO.
 */
MeshKey *mesh_key_from_raw_private(MeshKeyAlg alg, const MeshSecret *secret, GError **error);

/* mesh_key_get_raw_public: the raw public key as above (a new GBytes). */
GBytes *mesh_key_get_raw_public(const MeshKey *key);

/* mesh_key_to_raw_private: the 32-byte private key. Errors: MESH_ERROR_INVALID_ARGUMENT for a
 * public key, MESH_ERROR_CRYPTO. */
MeshSecret *mesh_key_to_raw_private(const MeshKey *key, GError **error);

/* ---- JWK (RFC 7517, RFC 8037 OKP, RFC 7518 EC): the part that needs no JSON parser -------- */
/* The JWK objects themselves (from and to JSON, the public key object) are in jwk.h. */

/* mesh_key_alg_jwk_kty: the JWK "kty" of @alg ("OKP" or "EC"); NULL for another value. */
const char *mesh_key_alg_jwk_kty(MeshKeyAlg alg);

/* mesh_key_jwk_coordinates: the JWK "x" and, for P-256, "y" of @key's public key as new
 * base64url strings (*@ret_y is NULL for an OKP key). */
void mesh_key_jwk_coordinates(const MeshKey *key, char **ret_x, char **ret_y);

/*
 * mesh_key_to_jwk_private: the private JWK {"kty","crv","x",("y"),"kid","d"} as NUL-terminated
 * compact JSON text in a MeshSecret; mesh_secret_len() counts the NUL. Nothing secret is left
 * behind in ordinary memory. Errors: MESH_ERROR_INVALID_ARGUMENT for a public key,
 * MESH_ERROR_CRYPTO.
 */
MeshSecret *mesh_key_to_jwk_private(const MeshKey *key, GError **error);

/* mesh_key_jwk_thumbprint: the RFC 7638 SHA-256 thumbprint, base64url. Returns a new string. */
char *mesh_key_jwk_thumbprint(const MeshKey *key);

/* ---- Signatures --------------------------------------------------------------------------- */

/*
 * mesh_key_sign: a 64-byte signature of @len bytes at @data: pure Ed25519, or ECDSA P-256 with
 * SHA-256 in the JOSE r || s form. Errors: MESH_ERROR_INVALID_ARGUMENT for a public key,
 * MESH_ERROR_UNSUPPORTED for an X25519 key, MESH_ERROR_CRYPTO.
 */
GBytes *mesh_key_sign(const MeshKey *key, const guint8 *data, gsize len, GError **error);

/*
 * mesh_key_verify: TRUE when @sig is a valid signature of @data under @key (its public part).
 * Errors: MESH_ERROR_BAD_SIGNATURE (does not verify, or is not 64 bytes),
 * MESH_ERROR_UNSUPPORTED for an X25519 key, MESH_ERROR_CRYPTO.
 */
gboolean mesh_key_verify(const MeshKey *key, const guint8 *data, gsize len, const guint8 *sig,
			 gsize sig_len, GError **error);

/* ---- Agreement ---------------------------------------------------------------------------- */

/*
 * mesh_key_agree: the 32-byte ECDH shared secret of the private @key and the public @peer
 * (X25519, or the P-256 x coordinate). Errors: MESH_ERROR_INVALID_ARGUMENT (public @key, or
 * @peer of another algorithm), MESH_ERROR_UNSUPPORTED (Ed25519), MESH_ERROR_MALFORMED (@peer is
 * a low-order point: the X25519 result would be all zero), MESH_ERROR_CRYPTO.
 */
MeshSecret *mesh_key_agree(const MeshKey *key, const MeshKey *peer, GError **error);

G_END_DECLS
