/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "key.h"
#include "secret.h"

G_BEGIN_DECLS

/*
 * JOSE as docs/protocol.md §4 uses it:
 *
 * - JWS, flattened JSON serialization (RFC 7515 §7.2.2), "alg" EdDSA (RFC 8037) or ES256,
 *   protected header {"alg", "kid": <signer UDF>, "cty"}.
 * - JWE, general JSON serialization (RFC 7516 §7.2.1), "enc" A256GCM, per recipient
 *   "alg" ECDH-ES+A256KW (X25519 or P-256, header {"alg", "kid", "epk"}) or "dir".
 *
 * Readers take the JSON text (strict parser, bounded by @max_len; 0 means MESH_JOSE_MAX_SIZE) or
 * an already-parsed node, and refuse: wrong JSON types, unknown top-level members, malformed
 * base64url, "crit", "zip", JWS "b64", alg "none", header parameters repeated between the
 * protected and unprotected headers. Writers refuse a payload or plaintext that would make the
 * object larger than MESH_JOSE_MAX_SIZE, so they never write what the readers would refuse.
 */
#define MESH_JOSE_MAX_SIZE (1024 * 1024)

/* Most recipients a JWE may have (docs/protocol.md §10 allows 1,000 devices per profile; an
 * application profile is encrypted to those in its DecryptID plus the escrow key). */
#define MESH_JOSE_RECIPIENTS_MAX 1024

/* AES-256-GCM: 32-byte key, 12-byte IV, 16-byte tag. */
#define MESH_JOSE_CEK_LEN 32
#define MESH_JOSE_IV_LEN  12
#define MESH_JOSE_TAG_LEN 16

/* ---- JWS -------------------------------------------------------------------------------- */

typedef struct MeshJws MeshJws;

/*
 * mesh_jws_sign: sign @len bytes of @payload with the private @key (Ed25519 → EdDSA,
 * P-256 → ES256). @cty (may be NULL) goes into the protected header with "alg" and "kid".
 * Returns the flattened JWS {"protected", "payload", "signature"} (caller unrefs). Errors:
 * MESH_ERROR_INVALID_ARGUMENT (public key), MESH_ERROR_UNSUPPORTED (X25519 key),
 * MESH_ERROR_TOO_LARGE, MESH_ERROR_CRYPTO.
 */
JsonNode *mesh_jws_sign(const MeshKey *key, const char *cty, const guint8 *payload, gsize len,
			GError **error);

/*
 * MeshJwsSignFunc: make the 64-byte signature (Ed25519, or ES256 r || s) of @len bytes of
 * @input, for keys whose private part is elsewhere (a key store, a TPM).
 */
typedef gboolean (*MeshJwsSignFunc)(gpointer user_data, const guint8 *input, gsize len,
				    GBytes **ret_signature, GError **error);

/*
 * mesh_jws_sign_with: as mesh_jws_sign, for the public @key whose signatures @sign makes. "alg"
 * and "kid" come from @key. Errors: as mesh_jws_sign, those of @sign, and MESH_ERROR_CRYPTO
 * when @sign returns a signature of the wrong length.
 */
JsonNode *mesh_jws_sign_with(const MeshKey *key, MeshJwsSignFunc sign, gpointer user_data,
			     const char *cty, const guint8 *payload, gsize len, GError **error);

/*
 * mesh_jws_parse: parse a flattened JWS from @len bytes of text (not necessarily
 * NUL-terminated), at most @max_len (0: MESH_JOSE_MAX_SIZE). The signature is not checked yet:
 * use mesh_jws_kid() to pick the key, then mesh_jws_verify(). Errors: MESH_ERROR_TOO_LARGE,
 * MESH_ERROR_MALFORMED, MESH_ERROR_UNSUPPORTED (alg other than EdDSA/ES256, "none", "crit",
 * "b64").
 */
MeshJws *mesh_jws_parse(const char *text, gsize len, gsize max_len, GError **error);

/* mesh_jws_from_json: as mesh_jws_parse, from a node already read by the strict parser. */
MeshJws *mesh_jws_from_json(JsonNode *node, GError **error);

/* Protected-header values of a parsed JWS, owned by @jws. "kid" falls back to the unprotected
 * header (it only picks the key); "cty" and "alg" are read from the protected header only.
 * kid and cty may be NULL. */
const char *mesh_jws_alg(const MeshJws *jws);
const char *mesh_jws_kid(const MeshJws *jws);
const char *mesh_jws_cty(const MeshJws *jws);

/*
 * mesh_jws_peek_payload: the payload BEFORE any signature check (a new reference), for
 * self-signed objects whose payload names the key that must verify them. Trust nothing in it
 * until mesh_jws_verify() has succeeded with that key.
 */
GBytes *mesh_jws_peek_payload(const MeshJws *jws);

/*
 * mesh_jws_verify: check the signature of @jws with @key's public part and return the payload
 * (a new reference). Errors: MESH_ERROR_BAD_SIGNATURE (does not verify, or "alg" does not
 * fit the key), MESH_ERROR_UNSUPPORTED (an X25519 key), MESH_ERROR_CRYPTO.
 */
GBytes *mesh_jws_verify(const MeshJws *jws, const MeshKey *key, GError **error);

/* mesh_jws_free: accepts NULL. */
void mesh_jws_free(MeshJws *jws);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshJws, mesh_jws_free)

/* ---- JWE -------------------------------------------------------------------------------- */

typedef struct MeshJwe MeshJwe;

/*
 * mesh_jwe_encrypt: encrypt @len bytes of @plaintext to @n_recipients public keys (X25519
 * and/or P-256, each once) with ECDH-ES+A256KW and A256GCM. The protected header is
 * {"enc":"A256GCM"} plus "cty" when @cty is not NULL; each recipient has the header
 * {"alg", "kid": <UDF>, "epk"} and its own ephemeral key. Returns the general JSON JWE (caller
 * unrefs). Errors: MESH_ERROR_INVALID_ARGUMENT (no recipient, a key twice),
 * MESH_ERROR_UNSUPPORTED (an Ed25519 key), MESH_ERROR_TOO_LARGE, MESH_ERROR_CRYPTO.
 */
JsonNode *mesh_jwe_encrypt(const guint8 *plaintext, gsize len, const char *cty,
			   MeshKey *const *recipients, guint n_recipients, GError **error);

/*
 * mesh_jwe_encrypt_dir: encrypt with the given 32-byte content key @cek ("alg":"dir", for
 * escrow). One recipient whose header is {"alg":"dir"} plus "kid" when @kid is not NULL.
 * Errors: MESH_ERROR_INVALID_ARGUMENT (@cek not 32 bytes), MESH_ERROR_TOO_LARGE,
 * MESH_ERROR_CRYPTO.
 */
JsonNode *mesh_jwe_encrypt_dir(const guint8 *plaintext, gsize len, const char *cty,
			       const MeshSecret *cek, const char *kid, GError **error);

/*
 * mesh_jwe_parse: parse a JWE in general or flattened JSON serialization from @len bytes of
 * text, at most @max_len (0: MESH_JOSE_MAX_SIZE). The protected header is required; "enc"
 * (protected or shared unprotected header) must be A256GCM, the IV 12 bytes, the tag 16 bytes;
 * an ECDH-ES+A256KW recipient needs a valid public X25519/P-256 "epk" and a 40-byte
 * encrypted key; "dir" has no encrypted key. Recipients with another "alg" are kept (they may
 * be for other readers) as long as one recipient is usable. An "aad" member is supported.
 * Errors: MESH_ERROR_TOO_LARGE, MESH_ERROR_MALFORMED, MESH_ERROR_UNSUPPORTED (enc, zip, crit,
 * or no recipient with a supported alg).
 */
MeshJwe *mesh_jwe_parse(const char *text, gsize len, gsize max_len, GError **error);

/* mesh_jwe_from_json: as mesh_jwe_parse, from a node already read by the strict parser. */
MeshJwe *mesh_jwe_from_json(JsonNode *node, GError **error);

/* The protected "cty" (may be NULL), and per recipient its "alg" and "kid" (may be NULL). */
const char *mesh_jwe_cty(const MeshJwe *jwe);
guint mesh_jwe_n_recipients(const MeshJwe *jwe);
const char *mesh_jwe_recipient_alg(const MeshJwe *jwe, guint index);
const char *mesh_jwe_recipient_kid(const MeshJwe *jwe, guint index);

/*
 * mesh_jwe_decrypt: decrypt with the private X25519 or P-256 @key. The ECDH-ES+A256KW
 * recipients whose "kid" is @key's UDF are tried first, then every other one whose epk has
 * @key's curve. Returns the plaintext. Errors: MESH_ERROR_NOT_FOUND when no recipient could be
 * for @key (no such kid and no epk on its curve); MESH_ERROR_DECRYPT when recipients were tried
 * and none opened (wrong key, a tampered encrypted key or epk, a low-order X25519 epk), or when
 * the content does not authenticate (tampered protected header, aad, IV, ciphertext or tag);
 * MESH_ERROR_INVALID_ARGUMENT (public key), MESH_ERROR_UNSUPPORTED (Ed25519 key).
 */
MeshSecret *mesh_jwe_decrypt(const MeshJwe *jwe, const MeshKey *key, GError **error);

/*
 * MeshJweAgreeFunc: the ECDH shared secret Z of the recipient's private key (held elsewhere: a
 * key store, a TPM) with @peer, the JWE's ephemeral key.
 */
typedef MeshSecret *(*MeshJweAgreeFunc)(gpointer user_data, const MeshKey *peer, GError **error);

/*
 * mesh_jwe_decrypt_with: as mesh_jwe_decrypt for the recipient @key (public is enough), whose
 * key agreement @agree makes: for keys that never leave their store. An error of @agree that a
 * recipient's ephemeral key can cause (MESH_ERROR_MALFORMED, MESH_ERROR_CRYPTO,
 * MESH_ERROR_INVALID_ARGUMENT) counts as that recipient not opening; any other (the key is
 * locked: MESH_ERROR_LOCKED; its store is unavailable or refuses) is returned as it is, since no
 * recipient can open then and "does not open" would read as tampering.
 */
MeshSecret *mesh_jwe_decrypt_with(const MeshJwe *jwe, const MeshKey *key, MeshJweAgreeFunc agree,
				  gpointer user_data, GError **error);

/*
 * mesh_jwe_decrypt_dir: decrypt a "dir" JWE with the 32-byte content key @cek. Errors:
 * MESH_ERROR_NOT_FOUND (no "dir" recipient), MESH_ERROR_INVALID_ARGUMENT (@cek not 32 bytes),
 * MESH_ERROR_DECRYPT (wrong key or tampered), MESH_ERROR_CRYPTO.
 */
MeshSecret *mesh_jwe_decrypt_dir(const MeshJwe *jwe, const MeshSecret *cek, GError **error);

/* mesh_jwe_free: accepts NULL. */
void mesh_jwe_free(MeshJwe *jwe);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshJwe, mesh_jwe_free)

/* ---- Key derivation --------------------------------------------------------------------- */

/*
 * mesh_jose_concat_kdf: the Concat KDF of RFC 7518 §4.6.2 (NIST SP 800-56A single-step KDF
 * with SHA-256): @keydatalen_bits (a multiple of 8, at most 8192) of key from the shared
 * secret @z, with OtherInfo = AlgorithmID || PartyUInfo || PartyVInfo (each prefixed with its
 * 32-bit big-endian length) || keydatalen (32-bit big-endian); SuppPrivInfo empty. @apu/@apv
 * may be NULL when their length is 0. For ECDH-ES+A256KW the AlgorithmID is the "alg" value
 * and keydatalen 256; for direct ECDH-ES it is the "enc" value. Errors:
 * MESH_ERROR_INVALID_ARGUMENT, MESH_ERROR_CRYPTO.
 */
MeshSecret *mesh_jose_concat_kdf(const MeshSecret *z, const char *algorithm_id,
				 const guint8 *apu, gsize apu_len, const guint8 *apv,
				 gsize apv_len, guint keydatalen_bits, GError **error);

G_END_DECLS
