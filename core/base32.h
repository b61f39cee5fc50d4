/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * RFC 4648 Base32 ("A-Z2-7"), upper case, without padding, and the Mesh's dashed presentation
 * (a '-' after every fourth character). Encoding and decoding run in time independent of the
 * byte values, because shares of secrets travel in this form.
 */

/* Characters needed for @len bytes: ceil(8 * len / 5). */
gsize mesh_base32_encoded_len(gsize len);

/*
 * mesh_base32_encode: the first @nchars characters of the Base32 encoding of @len bytes at
 * @data (@nchars = 0 means all of them; more than mesh_base32_encoded_len(len) is clamped).
 * Returns a newly allocated string.
 */
char *mesh_base32_encode(const guint8 *data, gsize len, gsize nchars);

/*
 * mesh_base32_dashed: @b32 with a '-' inserted after every 4 characters (none at the end).
 * Returns a newly allocated string.
 */
char *mesh_base32_dashed(const char *b32);

/*
 * mesh_base32_decode: decode @text leniently — '-' separators are skipped, lower case is
 * accepted, and the bits of a trailing partial byte are dropped. Writes at most @out_size bytes
 * to @out and the count to @ret_len. Errors: MESH_ERROR_MALFORMED for any other character (the
 * message gives its position), MESH_ERROR_TOO_LARGE when the result would not fit in @out_size.
 * On error nothing is written to @ret_len and @out is wiped.
 */
gboolean mesh_base32_decode(const char *text, guint8 *out, gsize out_size, gsize *ret_len,
			    GError **error);

/*
 * mesh_base32_decode_bytes: as mesh_base32_decode, into a new GBytes of at most @max_len bytes.
 * Not for secret values (use mesh_base32_decode into a MeshSecret).
 */
GBytes *mesh_base32_decode_bytes(const char *text, gsize max_len, GError **error);

G_END_DECLS
