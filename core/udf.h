/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * UDF — Uniform Data Fingerprint (docs/protocol.md §2, draft-hallambaker-mesh-udf).
 *
 * A UDF is the binary `type byte || value`, presented as the first ceil(bits / 5) Base32
 * characters of that binary in groups of four. `bits` counts the type byte's 8 bits.
 */

#define MESH_UDF_BITS_DEFAULT 140
#define MESH_UDF_BITS_MIN     100
#define MESH_UDF_BITS_MAX     440
/* Largest binary UDF produced here: the type byte and a 64-byte digest or MAC. */
#define MESH_UDF_DIGEST_BINARY_LEN 65
/* Longest UDF text accepted by the parser, in Base32 characters (dashes not counted); enough for
 * a share of a 64-byte secret presented at full length (66 bytes, 106 characters). */
#define MESH_UDF_TEXT_MAX 128

typedef enum {
	MESH_UDF_TYPE_AUTHENTICATOR = 0, /* 'A': HMAC-SHA-512 keyed digest */
	MESH_UDF_TYPE_SHA3_512 = 80,     /* 'K': content digest, SHA3-512 (+ compression 0..4) */
	MESH_UDF_TYPE_SHA2_512 = 96,     /* 'M': content digest, SHA-512 (+ compression 0..4) */
	MESH_UDF_TYPE_NONCE = 104,       /* 'N': random nonce */
	MESH_UDF_TYPE_SHARE = 144,       /* 'S': Shamir share */
} MeshUdfType;

typedef enum {
	MESH_UDF_ALG_SHA512,
	MESH_UDF_ALG_SHA3_512,
} MeshUdfAlg;

#define MESH_UDF_CT_OCTET_STREAM "application/octet-stream"
#define MESH_UDF_CT_KEYINFO      "application/pkix-keyinfo"

/*
 * mesh_udf_alg_from_name: "sha512" / "sha3-512" (also "sha-512", "sha2-512", "sha3512").
 * Returns FALSE with MESH_ERROR_INVALID_ARGUMENT for any other name.
 */
gboolean mesh_udf_alg_from_name(const char *name, MeshUdfAlg *ret_alg, GError **error);

/* mesh_udf_check_bits: MESH_ERROR_INVALID_ARGUMENT unless MIN <= bits <= MAX. */
gboolean mesh_udf_check_bits(guint bits, GError **error);

/*
 * mesh_udf_compression: the compression level (0..4) that a 64-byte TCDV earns by its trailing
 * zero bits: below 20 → 0, below 30 → 1, below 40 → 2, below 50 → 3, else 4.
 */
guint mesh_udf_compression(const guint8 tcdv[static 64]);

/* Incremental content digest, for files and streams. */
typedef struct MeshUdfDigest MeshUdfDigest;

/* mesh_udf_digest_new: a digest of the content that follows. Free with mesh_udf_digest_free. */
MeshUdfDigest *mesh_udf_digest_new(MeshUdfAlg alg);
void mesh_udf_digest_update(MeshUdfDigest *digest, const void *data, gsize len);
/*
 * mesh_udf_digest_finish: the binary content-digest UDF (type byte with compression, then TCDV)
 * for media type @content_type. The digest cannot be updated afterwards.
 */
gboolean mesh_udf_digest_finish(MeshUdfDigest *digest, const char *content_type,
				guint8 ret_binary[static MESH_UDF_DIGEST_BINARY_LEN], GError **error);
/*
 * mesh_udf_digest_finish_authenticator: the authenticator UDF (docs/protocol.md §2) of the content fed
 * to @digest, which must have been made with MESH_UDF_ALG_SHA512 (else
 * MESH_ERROR_INVALID_ARGUMENT), under the key string @key, at @bits. Returns a new string or NULL.
 */
char *mesh_udf_digest_finish_authenticator(MeshUdfDigest *digest, const char *key,
					   const char *content_type, guint bits, GError **error);
void mesh_udf_digest_free(MeshUdfDigest *digest);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshUdfDigest, mesh_udf_digest_free)

/*
 * mesh_udf_present: the presentation of the binary UDF @binary (@len bytes) at @bits precision:
 * ceil(bits / 5) Base32 characters, dashed. @bits = 0 presents the whole binary. Errors:
 * MESH_ERROR_INVALID_ARGUMENT when @bits is out of range or beyond the binary's length.
 */
char *mesh_udf_present(const guint8 *binary, gsize len, guint bits, GError **error);

/*
 * mesh_udf_content_digest: the content-digest UDF of @len bytes at @data with media type
 * @content_type, at @bits precision. Returns a new string, or NULL with an error.
 */
char *mesh_udf_content_digest(MeshUdfAlg alg, const char *content_type, const guint8 *data,
			      gsize len, guint bits, GError **error);

/*
 * mesh_udf_authenticator: the keyed UDF (type 0, never compressed) of @data with
 * @content_type under the key string @key (docs/protocol.md §2). Returns a new string or NULL.
 */
char *mesh_udf_authenticator(const char *key, const char *content_type, const guint8 *data,
			     gsize len, guint bits, GError **error);

/* mesh_udf_nonce: a fresh random nonce UDF (type 104) at @bits precision. */
char *mesh_udf_nonce(guint bits, GError **error);

/*
 * mesh_udf_key_fingerprint: the UDF of a public key: the SHA-512 content digest of its DER
 * SubjectPublicKeyInfo with media type application/pkix-keyinfo, at @bits (0 = default 140).
 */
char *mesh_udf_key_fingerprint(const guint8 *spki_der, gsize len, guint bits, GError **error);

/*
 * mesh_udf_parse: parse UDF text (dashes optional, any case). Returns the type byte, the decoded
 * binary (type byte first; a trailing partial byte dropped) and the precision in bits (5 per
 * character). Errors: MESH_ERROR_MALFORMED for non-Base32 text or fewer than 100 bits,
 * MESH_ERROR_TOO_LARGE above MESH_UDF_TEXT_MAX characters.
 */
gboolean mesh_udf_parse(const char *text, guint8 *ret_type, GBytes **ret_binary, guint *ret_bits,
			GError **error);

/*
 * mesh_udf_normalize: @text upper-cased, without dashes, after the same checks as
 * mesh_udf_parse. Returns a new string or NULL with an error.
 */
char *mesh_udf_normalize(const char *text, GError **error);

/*
 * mesh_udf_match: TRUE when both parse as UDFs, have the same type and the shorter is a prefix
 * of the longer (at least 100 bits of it, always the case for parsable UDFs).
 */
gboolean mesh_udf_match(const char *a, const char *b);

G_END_DECLS
