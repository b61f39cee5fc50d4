/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "secret.h"

G_BEGIN_DECLS

/*
 * Shamir secret sharing over a prime field (docs/protocol.md §5, draft-hallambaker-mesh-udf-13 §4.5).
 *
 * A secret of L bytes (1..64) is a big-endian integer a0. Arithmetic is modulo
 * p = 2^(8L) + offset[L], the smallest prime above 2^(8L). A split with quorum k of n shares
 * (2 <= k <= n <= 15) evaluates f(x) = a0 + a1 x + ... + a(k-1) x^(k-1) at x = 1..n; share x is
 * the UDF (type 144, 'S') with binary `144 || ((k << 4) | (x - 1)) || f(x)`, f(x) big-endian in
 * exactly L bytes, presented at full length in dashed groups of four. Any k shares of one split
 * recover a0 by Lagrange interpolation at 0.
 *
 * Secret values (the secret, the coefficients, share values and share texts) live only in
 * MeshSecret and in OpenSSL BIGNUMs on the secure heap; error messages name shares by their
 * position and never quote their contents.
 */

#define MESH_SHAMIR_SECRET_MAX 64 /* L = 1..64 bytes */
#define MESH_SHAMIR_SHARES_MAX 15

/*
 * mesh_shamir_prime_offset: offset[L] for @len = L, so that p = 2^(8L) + offset is the smallest
 * prime above 2^(8L). Returns 0 when @len is not in 1..MESH_SHAMIR_SECRET_MAX.
 */
guint mesh_shamir_prime_offset(gsize len);

/*
 * mesh_shamir_split: split @secret (1..64 bytes) into @shares shares, any @quorum of which
 * recover it (2 <= quorum <= shares <= 15). The coefficients a1..a(k-1) are drawn uniformly from
 * [0, p) with RAND_priv_bytes and rejection sampling; when some f(x) does not fit in L bytes
 * (f(x) >= 2^(8L)), all of them are drawn again.
 *
 * On success sets @ret_shares to a new GPtrArray (free function set) of @shares MeshSecret*, in x
 * order 1..n, each holding one share's presentation: upper-case Base32 at full length, dashed in
 * groups of four, NUL-terminated (mesh_secret_len() counts the NUL).
 * Errors: MESH_ERROR_INVALID_ARGUMENT for an out-of-range length, quorum or share count;
 * MESH_ERROR_CRYPTO when the random generator or a BIGNUM operation fails.
 */
gboolean mesh_shamir_split(const MeshSecret *secret, guint quorum, guint shares,
			   GPtrArray **ret_shares, GError **error);

/*
 * mesh_shamir_split_with_coefficients: as mesh_shamir_split, with the coefficients a1..a(k-1)
 * given as @quorum - 1 decimal strings in @coefficients (for known-answer tests). Each must be
 * digits only and below p. Errors as mesh_shamir_split, and MESH_ERROR_INVALID_ARGUMENT for a
 * missing or malformed coefficient, or when these coefficients give some f(x) >= 2^(8L) (no
 * redraw is possible).
 */
gboolean mesh_shamir_split_with_coefficients(const MeshSecret *secret, guint quorum, guint shares,
					     const char *const *coefficients,
					     GPtrArray **ret_shares, GError **error);

/*
 * mesh_shamir_parse_share: parse one share's text (dashes and spaces between groups optional,
 * any case: shares are written down on paper). On success sets
 * @ret_quorum to k (2..15), @ret_index to x (1..15) and @ret_value to a new MeshSecret holding
 * f(x) (L bytes, L in 1..64). Any out-parameter may be NULL.
 * Errors: MESH_ERROR_SHARE_CORRUPT, with a message saying what is wrong (never the share's
 * contents): not Base32, too long, not the full-length presentation of 2 + L bytes with L in
 * 1..64 (which catches most truncations), a type byte other than 144, a quorum below 2, an
 * index nibble of 15 (x = 16).
 */
gboolean mesh_shamir_parse_share(const char *text, guint *ret_quorum, guint *ret_index,
				 MeshSecret **ret_value, GError **error);

/*
 * mesh_shamir_combine: recover the secret from the @n_shares share texts at @shares. With more
 * shares than the quorum k, the secret is recovered from the first k and every further share
 * must lie on the same polynomial.
 *
 * Returns a new MeshSecret of L bytes, or NULL with an error whose message names the offending
 * share by its 1-based position ("share 3: ...") and never quotes share contents:
 *  MESH_ERROR_SHARE_CORRUPT   a share does not parse (see mesh_shamir_parse_share), or the first
 *                             k shares recover a value >= 2^(8L), which genuine shares never do;
 *  MESH_ERROR_SHARE_MISMATCH  a share's quorum or secret length differs from share 1's, or a
 *                             share beyond the first k is not on their polynomial;
 *  MESH_ERROR_SHARE_DUPLICATE two shares have the same index x;
 *  MESH_ERROR_SHARE_QUORUM    fewer shares than the quorum (or none at all);
 *  MESH_ERROR_CRYPTO          a BIGNUM operation failed.
 */
MeshSecret *mesh_shamir_combine(const char *const *shares, gsize n_shares, GError **error);

G_END_DECLS
