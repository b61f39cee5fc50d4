/* SPDX-License-Identifier: MIT */
#include "bcrypt_pbkdf.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#include "blowfish-table.h"
#include "error.h"

/* bcrypt's core encrypts this 32-byte text 64 times (OpenBSD bcrypt_pbkdf.c). */
static const guint8 bcrypt_magic[32] = "OxychromaticBlowfishSwatDynamite";

#define BCRYPT_WORDS 8
#define BCRYPT_HASH  (BCRYPT_WORDS * 4)
#define SHA512_LEN   64

/* The Blowfish round function; the S-box index bytes are secret-dependent, as in every
 * Blowfish (and OpenSSH's). */
#define F(bf, x)                                                                          \
	((((bf)->s[0][(x) >> 24] + (bf)->s[1][((x) >> 16) & 0xff]) ^                      \
	  (bf)->s[2][((x) >> 8) & 0xff]) +                                                \
	 (bf)->s[3][(x)&0xff])

static void
encipher(const MeshBlowfish *bf, uint32_t *xl, uint32_t *xr)
{
	uint32_t l = *xl, r = *xr;

	l ^= bf->p[0];
	for (int i = 1; i <= 16; i += 2) {
		r ^= F(bf, l) ^ bf->p[i];
		l ^= F(bf, r) ^ bf->p[i + 1];
	}
	*xl = r ^ bf->p[17];
	*xr = l;
}

/* The next big-endian word of @data, cycling through its @len bytes from *@pos. */
static uint32_t
stream_word(const guint8 *data, gsize len, gsize *pos)
{
	uint32_t w = 0;
	gsize j = *pos;

	for (int i = 0; i < 4; i++, j++) {
		if (j >= len)
			j = 0;
		w = (w << 8) | data[j];
	}
	*pos = j;
	return w;
}

static void
init_state(MeshBlowfish *bf)
{
	memcpy(bf->p, blowfish_init_p, sizeof bf->p);
	memcpy(bf->s, blowfish_init_s, sizeof bf->s);
}

/*
 * Eksblowfish's ExpandKey(state, salt, key): XOR the key into the P-array, then re-encrypt the
 * whole state in place, mixing in the salt when there is one (@salt NULL: Blowfish's own key
 * schedule, "expand0state").
 */
static void
expand_state(MeshBlowfish *bf, const guint8 *salt, gsize salt_len, const guint8 *key,
	     gsize key_len)
{
	uint32_t l = 0, r = 0;
	gsize kpos = 0, spos = 0;
	uint32_t *words[1 + 4];

	for (int i = 0; i < 18; i++)
		bf->p[i] ^= stream_word(key, key_len, &kpos);
	/* The P-array and the four S-boxes are filled two words at a time, in this order. */
	words[0] = bf->p;
	for (int i = 0; i < 4; i++)
		words[i + 1] = bf->s[i];
	for (int t = 0; t < 5; t++) {
		int n = t == 0 ? 18 : 256;

		for (int k = 0; k < n; k += 2) {
			if (salt != NULL) {
				l ^= stream_word(salt, salt_len, &spos);
				r ^= stream_word(salt, salt_len, &spos);
			}
			encipher(bf, &l, &r);
			words[t][k] = l;
			words[t][k + 1] = r;
		}
	}
	OPENSSL_cleanse(&l, sizeof l);
	OPENSSL_cleanse(&r, sizeof r);
}

gboolean
mesh_blowfish_init(MeshBlowfish *bf, const guint8 *key, gsize key_len, GError **error)
{
	if (key_len == 0 || key_len > MESH_BLOWFISH_KEY_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "a Blowfish key is 1 to %d bytes, not %" G_GSIZE_FORMAT,
			    MESH_BLOWFISH_KEY_MAX, key_len);
		return FALSE;
	}
	init_state(bf);
	expand_state(bf, NULL, 0, key, key_len);
	return TRUE;
}

void
mesh_blowfish_encrypt(const MeshBlowfish *bf, guint8 block[static MESH_BLOWFISH_BLOCK])
{
	gsize pos = 0;
	uint32_t l = stream_word(block, MESH_BLOWFISH_BLOCK, &pos);
	uint32_t r = stream_word(block, MESH_BLOWFISH_BLOCK, &pos);

	encipher(bf, &l, &r);
	for (int i = 0; i < 4; i++) {
		block[i] = (guint8)(l >> (24 - 8 * i));
		block[4 + i] = (guint8)(r >> (24 - 8 * i));
	}
}

void
mesh_blowfish_clear(MeshBlowfish *bf)
{
	OPENSSL_cleanse(bf, sizeof *bf);
}

/* bcrypt_hash of OpenBSD's bcrypt_pbkdf.c: 32 bytes from the SHA-512 of the passphrase and of
 * the (counted) salt. */
static void
bcrypt_hash(const guint8 sha_pass[static SHA512_LEN], const guint8 sha_salt[static SHA512_LEN],
	    guint8 out[static BCRYPT_HASH])
{
	MeshBlowfish bf;
	uint32_t cdata[BCRYPT_WORDS];
	gsize pos = 0;

	init_state(&bf);
	expand_state(&bf, sha_salt, SHA512_LEN, sha_pass, SHA512_LEN);
	for (int i = 0; i < 64; i++) {
		expand_state(&bf, NULL, 0, sha_salt, SHA512_LEN);
		expand_state(&bf, NULL, 0, sha_pass, SHA512_LEN);
	}
	for (int i = 0; i < BCRYPT_WORDS; i++)
		cdata[i] = stream_word(bcrypt_magic, sizeof bcrypt_magic, &pos);
	for (int i = 0; i < 64; i++) {
		for (int k = 0; k < BCRYPT_WORDS; k += 2)
			encipher(&bf, &cdata[k], &cdata[k + 1]);
	}
	/* Out in little-endian word order, as OpenBSD writes it. */
	for (int i = 0; i < BCRYPT_WORDS; i++) {
		out[4 * i + 0] = (guint8)cdata[i];
		out[4 * i + 1] = (guint8)(cdata[i] >> 8);
		out[4 * i + 2] = (guint8)(cdata[i] >> 16);
		out[4 * i + 3] = (guint8)(cdata[i] >> 24);
	}
	OPENSSL_cleanse(cdata, sizeof cdata);
	mesh_blowfish_clear(&bf);
}

static gboolean
sha512(const guint8 *data, gsize len, guint8 out[static SHA512_LEN])
{
	return EVP_Digest(data, len, out, NULL, EVP_sha512(), NULL) == 1;
}

gboolean
mesh_bcrypt_pbkdf(const guint8 *pass, gsize pass_len, const guint8 *salt, gsize salt_len,
		  guint8 *key, gsize key_len, unsigned rounds, GError **error)
{
	guint8 sha_pass[SHA512_LEN], sha_salt[SHA512_LEN];
	guint8 out[BCRYPT_HASH], tmp[BCRYPT_HASH];
	g_autofree guint8 *countsalt = NULL;
	gsize stride, amt, remaining = key_len;
	gboolean ok = FALSE;

	if (rounds == 0 || pass_len == 0 || salt_len == 0 ||
	    salt_len > MESH_BCRYPT_PBKDF_SALT_MAX || key_len == 0 ||
	    key_len > MESH_BCRYPT_PBKDF_KEY_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "bcrypt_pbkdf needs a passphrase, a salt of 1 to %d bytes, 1 to %d "
			    "output bytes and at least one round",
			    MESH_BCRYPT_PBKDF_SALT_MAX, MESH_BCRYPT_PBKDF_KEY_MAX);
		return FALSE;
	}
	/* Each 32-byte block fills every stride-th byte of the key, so that all of the key
	 * depends on the last block computed (OpenSSH's "pbkdf2 deviation"). */
	stride = (key_len + BCRYPT_HASH - 1) / BCRYPT_HASH;
	amt = (key_len + stride - 1) / stride;
	countsalt = g_malloc(salt_len + 4);
	memcpy(countsalt, salt, salt_len);
	if (!sha512(pass, pass_len, sha_pass))
		goto out;
	for (guint32 count = 1; remaining > 0; count++) {
		gsize i;

		countsalt[salt_len + 0] = (guint8)(count >> 24);
		countsalt[salt_len + 1] = (guint8)(count >> 16);
		countsalt[salt_len + 2] = (guint8)(count >> 8);
		countsalt[salt_len + 3] = (guint8)count;
		if (!sha512(countsalt, salt_len + 4, sha_salt))
			goto out;
		bcrypt_hash(sha_pass, sha_salt, tmp);
		memcpy(out, tmp, sizeof out);
		for (unsigned r = 1; r < rounds; r++) {
			if (!sha512(tmp, sizeof tmp, sha_salt))
				goto out;
			bcrypt_hash(sha_pass, sha_salt, tmp);
			for (gsize j = 0; j < sizeof out; j++)
				out[j] ^= tmp[j];
		}
		amt = MIN(amt, remaining);
		for (i = 0; i < amt; i++) {
			gsize dest = i * stride + (count - 1);

			if (dest >= key_len)
				break;
			key[dest] = out[i];
		}
		remaining -= i;
	}
	ok = TRUE;
out:
	OPENSSL_cleanse(sha_pass, sizeof sha_pass);
	OPENSSL_cleanse(sha_salt, sizeof sha_salt);
	OPENSSL_cleanse(out, sizeof out);
	OPENSSL_cleanse(tmp, sizeof tmp);
	if (!ok) {
		OPENSSL_cleanse(key, key_len);
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO, "SHA-512 failed in bcrypt_pbkdf");
	}
	return ok;
}
