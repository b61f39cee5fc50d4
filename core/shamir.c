/* SPDX-License-Identifier: MIT */
#include "shamir.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#include "base32.h"
#include "error.h"
#include "ossl.h"
#include "udf.h"


/* Binary share: type byte, header byte, then f(x) in L bytes. */
#define SHARE_BINARY_MAX (2 + MESH_SHAMIR_SECRET_MAX)
/* Longest share text looked at, dashes included: the full presentation of a 64-byte secret's
 * share is 106 characters (132 with dashes); anything much longer is not a share. */
#define SHARE_TEXT_MAX (4 * MESH_UDF_TEXT_MAX)
/* Rounds of coefficients drawn before giving up. One round fails with probability at most
 * 15/257 (L = 1); 64 failures in a row mean the random generator is broken. */
#define SPLIT_ATTEMPTS_MAX 64
/* Draws of one coefficient before giving up; each is accepted with probability above 1/2. */
#define RANDOM_ATTEMPTS_MAX 128

/*
 * offset[L - 1]: p = 2^(8L) + offset is the smallest prime above 2^(8L) (docs/protocol.md §5).
 * tests/unit/test-shamir.c proves every entry: that sum is prime and no smaller odd offset is.
 */
static const guint16 prime_offsets[MESH_SHAMIR_SECRET_MAX] = {
	/* L =  1.. */    1,    1,   43,   15,   15,   21,   81,   13,
	/* L =  9.. */   15,   13,    7,   61,  111,   25,  451,   51,
	/* L = 17.. */   85,  175,  253,    7,   87,  427,   27,  133,
	/* L = 25.. */  235,  375,  423,  735,  357,  115,   81,  297,
	/* L = 33.. */  175,   57,   45,  127,   61,   37,   91,   27,
	/* L = 41.. */   15,  241,  231,   55,  105,  127,  115,  231,
	/* L = 49.. */  207,  181,   37,  235,  163, 1093,  187,  211,
	/* L = 57.. */   21,  841,  445,  165,  777,  583,  133,   75,
};

guint
mesh_shamir_prime_offset(gsize len)
{
	if (len < 1 || len > MESH_SHAMIR_SECRET_MAX)
		return 0;
	return prime_offsets[len - 1];
}

static void
set_crypto_error(GError **error)
{
	g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO, "big-number arithmetic failed");
}

/* prime_new: p = 2^(8 len) + offset[len], for len in 1..64. Public, so not on the secure heap. */
static BIGNUM *
prime_new(gsize len)
{
	g_autoptr(BIGNUM) p = BN_new();

	if (p == NULL || BN_set_bit(p, (int)(8 * len)) != 1 ||
	    BN_add_word(p, mesh_shamir_prime_offset(len)) != 1)
		return NULL;
	return g_steal_pointer(&p);
}

/* set_small: @r = @v mod @p, for |v| < p. */
static gboolean
set_small(BIGNUM *r, long v, const BIGNUM *p)
{
	if (v >= 0)
		return BN_set_word(r, (BN_ULONG)v) == 1;
	return BN_set_word(r, (BN_ULONG)-v) == 1 && BN_sub(r, p, r) == 1;
}

/* bn_array_new_secure: @n new BIGNUMs on the secure heap; FALSE when any allocation fails (the
 * others are still freed by bn_array_clear). */
static gboolean
bn_array_new_secure(BIGNUM **a, gsize n)
{
	gboolean ok = TRUE;

	for (gsize i = 0; i < n; i++) {
		a[i] = BN_secure_new();
		if (a[i] == NULL)
			ok = FALSE;
	}
	return ok;
}

static void
bn_array_clear(BIGNUM **a, gsize n)
{
	for (gsize i = 0; i < n; i++) {
		BN_clear_free(a[i]);
		a[i] = NULL;
	}
}

/*
 * random_below: @r uniform in [0, p) for p = 2^(8 len) + offset. Since 2^(8 len) < p <
 * 2^(8 len + 1), draw 8 len + 1 bits from the private DRBG and reject values >= p: no modulo
 * bias, and more than half of the draws are accepted.
 */
static gboolean
random_below(BIGNUM *r, const BIGNUM *p, gsize len, GError **error)
{
	g_autoptr(MeshSecret) buf = mesh_secret_new(len + 1);
	guint8 *b = mesh_secret_data(buf);

	for (guint i = 0; i < RANDOM_ATTEMPTS_MAX; i++) {
		if (RAND_priv_bytes(b, (int)(len + 1)) != 1) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO,
				    "the random generator failed");
			return FALSE;
		}
		b[0] &= 1;
		if (BN_bin2bn(b, (int)(len + 1), r) == NULL) {
			set_crypto_error(error);
			return FALSE;
		}
		if (BN_cmp(r, p) < 0)
			return TRUE;
	}
	g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO,
		    "the random generator keeps returning values out of range");
	return FALSE;
}

/*
 * parse_coefficient: @r = the decimal string @text, which must be digits only and below @p.
 * Coefficients are secret: the messages give their position, never their value.
 */
static gboolean
parse_coefficient(BIGNUM *r, const char *text, guint position, const BIGNUM *p, GError **error)
{
	/* p < 2^513 has at most 155 decimal digits; leave room for leading zeros. */
	const gsize max_digits = 200;
	gsize n;

	if (text == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "coefficient %u is missing: give quorum - 1 coefficients", position);
		return FALSE;
	}
	n = strnlen(text, max_digits + 1);
	for (gsize i = 0; i < n; i++) {
		if (!g_ascii_isdigit(text[i]))
			n = 0;
	}
	if (n == 0 || n > max_digits) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "coefficient %u is not a decimal number", position);
		return FALSE;
	}
	/* BN_dec2bn reuses @r, so the value stays on the secure heap. */
	if (BN_dec2bn(&r, text) != (int)n) {
		set_crypto_error(error);
		return FALSE;
	}
	if (BN_cmp(r, p) >= 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "coefficient %u is not below the prime p = 2^(8L) + offset[L]",
			    position);
		return FALSE;
	}
	return TRUE;
}

/* eval_poly: @y = a[0] + a[1] x + ... + a[k-1] x^(k-1) mod p, by Horner's rule. */
static gboolean
eval_poly(BIGNUM *y, BIGNUM *const *a, guint k, guint x, const BIGNUM *p, BN_CTX *ctx)
{
	g_autoptr(BIGNUM) bx = BN_new();

	if (bx == NULL || BN_set_word(bx, x) != 1 || BN_copy(y, a[k - 1]) == NULL)
		return FALSE;
	for (guint i = k - 1; i-- > 0;) {
		if (BN_mod_mul(y, y, bx, p, ctx) != 1 || BN_mod_add(y, y, a[i], p, ctx) != 1)
			return FALSE;
	}
	return TRUE;
}

/*
 * share_present: share x of a quorum-k split with value @y (< 2^(8 len)): the full-length dashed
 * presentation of 144 || (k << 4 | x - 1) || y, NUL-terminated, in a MeshSecret.
 */
static MeshSecret *
share_present(guint quorum, guint x, const BIGNUM *y, gsize len, GError **error)
{
	g_autoptr(MeshSecret) bin = mesh_secret_new(2 + len);
	guint8 *b = mesh_secret_data(bin);
	MeshSecret *ret;
	char *text;

	b[0] = MESH_UDF_TYPE_SHARE;
	b[1] = (guint8)((quorum << 4) | (x - 1));
	if (BN_bn2binpad(y, b + 2, (int)len) != (int)len) {
		set_crypto_error(error);
		return NULL;
	}
	text = mesh_udf_present(b, 2 + len, 0, error);
	if (text == NULL)
		return NULL;
	ret = mesh_secret_new_from_data(text, strlen(text) + 1);
	OPENSSL_cleanse(text, strlen(text));
	g_free(text);
	return ret;
}

static gboolean
check_split_args(const MeshSecret *secret, guint quorum, guint shares, GError **error)
{
	gsize len = mesh_secret_len(secret);

	if (len < 1 || len > MESH_SHAMIR_SECRET_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "a secret of %" G_GSIZE_FORMAT " bytes cannot be split: use 1 to %d "
			    "bytes",
			    len, MESH_SHAMIR_SECRET_MAX);
		return FALSE;
	}
	if (shares < 2 || shares > MESH_SHAMIR_SHARES_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "cannot make %u shares: use 2 to %d", shares, MESH_SHAMIR_SHARES_MAX);
		return FALSE;
	}
	if (quorum < 2 || quorum > shares) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "a quorum of %u out of %u shares is out of range: use 2 to %u", quorum,
			    shares, shares);
		return FALSE;
	}
	return TRUE;
}

/*
 * split: the common body of both split functions. a[0] is the secret; a[1..k-1] come from
 * @coefficients when given, else from the DRBG, drawn again while some f(x) >= 2^(8L).
 */
static gboolean
split(const MeshSecret *secret, guint quorum, guint shares, const char *const *coefficients,
      GPtrArray **ret_shares, GError **error)
{
	BIGNUM *a[MESH_SHAMIR_SHARES_MAX] = { NULL };
	BIGNUM *y[MESH_SHAMIR_SHARES_MAX] = { NULL };
	g_autoptr(BN_CTX) ctx = NULL;
	g_autoptr(BIGNUM) p = NULL;
	g_autoptr(GPtrArray) list = NULL;
	gboolean ok = FALSE;
	gsize len;

	g_return_val_if_fail(secret != NULL, FALSE);
	g_return_val_if_fail(ret_shares != NULL, FALSE);
	if (!check_split_args(secret, quorum, shares, error))
		return FALSE;
	len = mesh_secret_len(secret);

	ctx = BN_CTX_secure_new();
	p = prime_new(len);
	if (ctx == NULL || p == NULL || !bn_array_new_secure(a, quorum) ||
	    !bn_array_new_secure(y, shares) ||
	    BN_bin2bn(mesh_secret_get(secret), (int)len, a[0]) == NULL) {
		set_crypto_error(error);
		goto out;
	}
	for (guint i = 1; coefficients != NULL && i < quorum; i++) {
		if (!parse_coefficient(a[i], coefficients[i - 1], i, p, error))
			goto out;
	}

	for (guint attempt = 0;; attempt++) {
		gboolean in_range = TRUE;

		if (attempt >= SPLIT_ATTEMPTS_MAX) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO,
				    "the random generator keeps giving shares out of range");
			goto out;
		}
		for (guint i = 1; coefficients == NULL && i < quorum; i++) {
			if (!random_below(a[i], p, len, error))
				goto out;
		}
		for (guint i = 0; i < shares; i++) {
			if (!eval_poly(y[i], a, quorum, i + 1, p, ctx)) {
				set_crypto_error(error);
				goto out;
			}
			/* A share holds f(x) in exactly L bytes: [2^(8L), p) does not fit. */
			if (BN_num_bits(y[i]) > (int)(8 * len))
				in_range = FALSE;
		}
		if (in_range)
			break;
		if (coefficients != NULL) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
				    "these coefficients give a share value that does not fit in %"
				    G_GSIZE_FORMAT " bytes: choose others",
				    len);
			goto out;
		}
	}

	list = g_ptr_array_new_full(shares, (GDestroyNotify)mesh_secret_free);
	for (guint i = 0; i < shares; i++) {
		MeshSecret *share = share_present(quorum, i + 1, y[i], len, error);

		if (share == NULL)
			goto out;
		g_ptr_array_add(list, share);
	}
	*ret_shares = g_steal_pointer(&list);
	ok = TRUE;
out:
	bn_array_clear(a, G_N_ELEMENTS(a));
	bn_array_clear(y, G_N_ELEMENTS(y));
	return ok;
}

gboolean
mesh_shamir_split(const MeshSecret *secret, guint quorum, guint shares, GPtrArray **ret_shares,
		  GError **error)
{
	return split(secret, quorum, shares, NULL, ret_shares, error);
}

gboolean
mesh_shamir_split_with_coefficients(const MeshSecret *secret, guint quorum, guint shares,
				    const char *const *coefficients, GPtrArray **ret_shares,
				    GError **error)
{
	g_return_val_if_fail(coefficients != NULL, FALSE);
	return split(secret, quorum, shares, coefficients, ret_shares, error);
}

/*
 * is_full_presentation: TRUE when @text (already decoded to the @len bytes at @bin, so only
 * Base32 characters and dashes) is exactly their full-length encoding: the right number of
 * characters and zero unused bits in the last one. This catches most truncated shares, which
 * would otherwise decode to a shorter but well-formed share. Case is folded with | 0x20, which
 * is exact for A-Z and 2-7; the comparison does not branch on the characters.
 */
static gboolean
is_full_presentation(const char *text, const guint8 *bin, gsize len)
{
	char *b32 = mesh_base32_encode(bin, len, 0);
	gsize n = strlen(b32);
	gsize j = 0;
	guint diff = 0;

	for (gsize i = 0; text[i] != '\0'; i++) {
		if (text[i] == '-')
			continue;
		if (j == n) {
			diff = 1;
			break;
		}
		diff |= (guint)(((unsigned char)text[i] | 0x20) ^ ((unsigned char)b32[j] | 0x20));
		j++;
	}
	if (j != n)
		diff = 1;
	OPENSSL_cleanse(b32, n);
	g_free(b32);
	return diff == 0;
}

gboolean
mesh_shamir_parse_share(const char *text, guint *ret_quorum, guint *ret_index,
			MeshSecret **ret_value, GError **error)
{
	g_autoptr(MeshSecret) bin = mesh_secret_new(SHARE_BINARY_MAX);
	g_autoptr(MeshSecret) compact = NULL;
	g_autoptr(GError) local = NULL;
	const guint8 *b = mesh_secret_get(bin);
	guint quorum, index;
	gsize n = 0, len = 0;

	if (text == NULL || *text == '\0') {
		g_set_error(error, MESH_ERROR, MESH_ERROR_SHARE_CORRUPT, "the share is empty");
		return FALSE;
	}
	if (strnlen(text, SHARE_TEXT_MAX + 1) > SHARE_TEXT_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_SHARE_CORRUPT,
			    "too long to be a share (more than %d characters)", SHARE_TEXT_MAX);
		return FALSE;
	}
	/* Shares are written down on paper in groups: spaces separate them as dashes do. The
	 * text is copied without them into secure memory (it is the share). */
	compact = mesh_secret_new(SHARE_TEXT_MAX + 1);
	for (const char *p = text; *p != '\0'; p++)
		if (*p != ' ' && *p != '\t')
			((char *)mesh_secret_data(compact))[len++] = *p;
	if (!mesh_base32_decode((const char *)mesh_secret_get(compact), mesh_secret_data(bin),
				SHARE_BINARY_MAX, &n, &local)) {
		gsize bad = strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz234567- \t");

		if (g_error_matches(local, MESH_ERROR, MESH_ERROR_TOO_LARGE))
			g_set_error(error, MESH_ERROR, MESH_ERROR_SHARE_CORRUPT,
				    "too long to be a share (more than %d bytes)",
				    SHARE_BINARY_MAX);
		else if (text[bad] != '\0')
			/* The position of the bad character in the text as given, not the text. */
			g_set_error(error, MESH_ERROR, MESH_ERROR_SHARE_CORRUPT,
				    "character %" G_GSIZE_FORMAT
				    " is not Base32 (A-Z, 2-7; dashes and spaces between groups "
				    "are ignored)",
				    bad + 1);
		else
			g_set_error(error, MESH_ERROR, MESH_ERROR_SHARE_CORRUPT, "%s",
				    local->message);
		return FALSE;
	}
	/* The type byte first: a UDF of another type is better reported as such than as a bad
	 * share. */
	if (n >= 1 && b[0] != MESH_UDF_TYPE_SHARE) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_SHARE_CORRUPT,
			    "not a share: its UDF type is %u, a share's is %u (starts with S)",
			    b[0], MESH_UDF_TYPE_SHARE);
		return FALSE;
	}
	if (n < 3) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_SHARE_CORRUPT,
			    "too short to be a share (%" G_GSIZE_FORMAT " bytes, at least 3)", n);
		return FALSE;
	}
	quorum = b[1] >> 4;
	index = (b[1] & 15u) + 1;
	if (quorum < 2) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_SHARE_CORRUPT,
			    "the share's quorum is %u, below the minimum of 2", quorum);
		return FALSE;
	}
	if (index > MESH_SHAMIR_SHARES_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_SHARE_CORRUPT,
			    "the share's index is %u, above the maximum of %d", index,
			    MESH_SHAMIR_SHARES_MAX);
		return FALSE;
	}
	if (!is_full_presentation((const char *)mesh_secret_get(compact), b, n)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_SHARE_CORRUPT,
			    "not a whole share: characters are missing or extra (truncated?)");
		return FALSE;
	}
	if (ret_quorum != NULL)
		*ret_quorum = quorum;
	if (ret_index != NULL)
		*ret_index = index;
	if (ret_value != NULL)
		*ret_value = mesh_secret_new_from_data(b + 2, n - 2);
	return TRUE;
}

/*
 * interpolate: @ret = f(at) mod p for the polynomial of degree < k through the k points
 * (xs[i], ys[i]) with distinct xs:
 *   f(at) = sum_i ys[i] * prod_{j != i} (at - xs[j]) / (xs[i] - xs[j]).
 * Only the products of the public xs are inverted.
 */
static gboolean
interpolate(BIGNUM *ret, const guint *xs, BIGNUM *const *ys, guint k, guint at, const BIGNUM *p,
	    BN_CTX *ctx)
{
	BIGNUM *num, *den, *t, *acc;
	gboolean ok = FALSE;

	BN_CTX_start(ctx);
	num = BN_CTX_get(ctx);
	den = BN_CTX_get(ctx);
	t = BN_CTX_get(ctx);
	acc = BN_CTX_get(ctx);
	if (acc == NULL)
		goto out;
	BN_zero(acc);
	for (guint i = 0; i < k; i++) {
		if (BN_one(num) != 1 || BN_one(den) != 1)
			goto out;
		for (guint j = 0; j < k; j++) {
			if (j == i)
				continue;
			if (!set_small(t, (long)at - (long)xs[j], p) ||
			    BN_mod_mul(num, num, t, p, ctx) != 1 ||
			    !set_small(t, (long)xs[i] - (long)xs[j], p) ||
			    BN_mod_mul(den, den, t, p, ctx) != 1)
				goto out;
		}
		if (BN_mod_inverse(den, den, p, ctx) == NULL ||
		    BN_mod_mul(t, num, den, p, ctx) != 1 || BN_mod_mul(t, t, ys[i], p, ctx) != 1 ||
		    BN_mod_add(acc, acc, t, p, ctx) != 1)
			goto out;
	}
	ok = BN_copy(ret, acc) != NULL;
out:
	BN_CTX_end(ctx);
	return ok;
}

MeshSecret *
mesh_shamir_combine(const char *const *shares, gsize n_shares, GError **error)
{
	/* Indices are distinct and in 1..15, so at most 15 shares are ever held. */
	BIGNUM *ys[MESH_SHAMIR_SHARES_MAX] = { NULL };
	guint xs[MESH_SHAMIR_SHARES_MAX] = { 0 };
	g_autoptr(BN_CTX) ctx = NULL;
	g_autoptr(BIGNUM) p = NULL;
	g_autoptr(BIGNUM) secret = NULL;
	g_autoptr(BIGNUM) check = NULL;
	g_autoptr(MeshSecret) result = NULL;
	guint quorum = 0;
	gsize len = 0, held = 0;

	g_return_val_if_fail(shares != NULL || n_shares == 0, NULL);
	if (n_shares == 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_SHARE_QUORUM,
			    "no shares given: give at least as many as the quorum");
		return NULL;
	}

	for (gsize i = 0; i < n_shares; i++) {
		g_autoptr(MeshSecret) value = NULL;
		guint k = 0, x = 0;

		if (!mesh_shamir_parse_share(shares[i], &k, &x, &value, error)) {
			g_prefix_error(error, "share %" G_GSIZE_FORMAT ": ", i + 1);
			goto out;
		}
		if (i == 0) {
			quorum = k;
			len = mesh_secret_len(value);
		} else if (k != quorum) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_SHARE_MISMATCH,
				    "share %" G_GSIZE_FORMAT
				    ": its quorum is %u but share 1's is %u: the shares come from "
				    "different splits",
				    i + 1, k, quorum);
			goto out;
		} else if (mesh_secret_len(value) != len) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_SHARE_MISMATCH,
				    "share %" G_GSIZE_FORMAT ": it is of a %" G_GSIZE_FORMAT
				    "-byte secret but share 1 is of a %" G_GSIZE_FORMAT
				    "-byte one: the shares come from different splits",
				    i + 1, mesh_secret_len(value), len);
			goto out;
		}
		for (gsize j = 0; j < held; j++) {
			if (xs[j] == x) {
				g_set_error(error, MESH_ERROR, MESH_ERROR_SHARE_DUPLICATE,
					    "share %" G_GSIZE_FORMAT
					    ": it has index %u, like share %" G_GSIZE_FORMAT
					    ": give each share once",
					    i + 1, x, j + 1);
				goto out;
			}
		}
		ys[held] = BN_secure_new();
		if (ys[held] == NULL ||
		    BN_bin2bn(mesh_secret_get(value), (int)len, ys[held]) == NULL) {
			set_crypto_error(error);
			goto out;
		}
		xs[held++] = x;
	}
	if (held < quorum) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_SHARE_QUORUM,
			    "share 1: its quorum is %u: need %u shares, got %" G_GSIZE_FORMAT,
			    quorum, quorum, held);
		goto out;
	}

	ctx = BN_CTX_secure_new();
	p = prime_new(len);
	secret = BN_secure_new();
	check = BN_secure_new();
	if (ctx == NULL || p == NULL || secret == NULL || check == NULL ||
	    !interpolate(secret, xs, ys, quorum, 0, p, ctx)) {
		set_crypto_error(error);
		goto out;
	}
	if (BN_num_bits(secret) > (int)(8 * len)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_SHARE_CORRUPT,
			    "share 1 to share %u: the value they recover does not fit in "
			    "%" G_GSIZE_FORMAT " bytes, so at least one of them is corrupt",
			    quorum, len);
		goto out;
	}
	for (guint e = quorum; e < held; e++) {
		if (!interpolate(check, xs, ys, quorum, xs[e], p, ctx)) {
			set_crypto_error(error);
			goto out;
		}
		if (BN_cmp(check, ys[e]) != 0) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_SHARE_MISMATCH,
				    "share %u: it does not belong with share 1 to share %u "
				    "(another split, or corrupt)",
				    e + 1, quorum);
			goto out;
		}
	}
	result = mesh_secret_new(len);
	if (BN_bn2binpad(secret, mesh_secret_data(result), (int)len) != (int)len) {
		g_clear_pointer(&result, mesh_secret_free);
		set_crypto_error(error);
	}
out:
	bn_array_clear(ys, G_N_ELEMENTS(ys));
	return g_steal_pointer(&result);
}
