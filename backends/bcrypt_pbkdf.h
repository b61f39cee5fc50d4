/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

/*
 * bcrypt_pbkdf as OpenSSH uses it to turn a passphrase into the key and IV that encrypt an
 * "openssh-key-v1" private key (OpenBSD bcrypt_pbkdf(3)): PBKDF2's structure with SHA-512 and
 * a bcrypt-like core (Blowfish with the Eksblowfish expensive key schedule, 64 encryptions of
 * "OxychromaticBlowfishSwatDynamite"), its output bytes strided across the key. OpenSSL's
 * Blowfish has no expensive key schedule, so Blowfish lives here too.
 */

/* A Blowfish key schedule. It is derived from a secret: clear it with mesh_blowfish_clear(). */
typedef struct {
	uint32_t p[18];
	uint32_t s[4][256];
} MeshBlowfish;

/* Longest Blowfish key mesh_blowfish_init() takes (OpenSSL's limit: 18 words of P-array). */
#define MESH_BLOWFISH_KEY_MAX 72
#define MESH_BLOWFISH_BLOCK   8

/*
 * mesh_blowfish_init: the standard Blowfish key schedule of 1..MESH_BLOWFISH_KEY_MAX bytes.
 * Returns FALSE (MESH_ERROR_INVALID_ARGUMENT) for any other length.
 */
gboolean mesh_blowfish_init(MeshBlowfish *bf, const guint8 *key, gsize key_len, GError **error);

/* mesh_blowfish_encrypt: encrypt one big-endian 8-byte block in place (ECB). */
void mesh_blowfish_encrypt(const MeshBlowfish *bf, guint8 block[static MESH_BLOWFISH_BLOCK]);

/* mesh_blowfish_clear: wipe a key schedule. */
void mesh_blowfish_clear(MeshBlowfish *bf);

/* Largest output and salt mesh_bcrypt_pbkdf() accepts (OpenSSH's limits). */
#define MESH_BCRYPT_PBKDF_KEY_MAX  1024
#define MESH_BCRYPT_PBKDF_SALT_MAX (1 << 20)

/*
 * mesh_bcrypt_pbkdf: derive @key_len bytes into @key from @pass_len bytes of passphrase and
 * @salt_len bytes of salt with @rounds rounds. Time is linear in @rounds times
 * ceil(@key_len / 32); callers that take @rounds from outside bytes must cap it first.
 * Errors: MESH_ERROR_INVALID_ARGUMENT when a length is 0 or above its limit, or @rounds is 0
 * (the same inputs OpenSSH refuses; nothing is written to @key), MESH_ERROR_CRYPTO when SHA-512
 * fails (@key is wiped).
 */
gboolean mesh_bcrypt_pbkdf(const guint8 *pass, gsize pass_len, const guint8 *salt,
			   gsize salt_len, guint8 *key, gsize key_len, unsigned rounds,
			   GError **error);

G_END_DECLS
