/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * base64url without padding (RFC 4648 §5, as JOSE uses it) and upper-case hex. Encoders and
 * decoders do not branch on or index by data values, since private JWK members travel this way.
 */

/* mesh_b64u_encode: returns a newly allocated string. */
char *mesh_b64u_encode(const guint8 *data, gsize len);

/* Bytes that @text_len characters of base64url decode to at most. */
gsize mesh_b64u_decoded_max(gsize text_len);

/*
 * mesh_b64u_decode: strict decoding of @text_len characters at @text: only "A-Za-z0-9-_", no
 * padding, no whitespace, a length that is not 1 mod 4, and zero unused trailing bits (so there
 * is exactly one encoding of each value). Writes at most @out_size bytes and the count to
 * @ret_len. Errors: MESH_ERROR_MALFORMED, MESH_ERROR_TOO_LARGE. On error @out is wiped.
 */
gboolean mesh_b64u_decode(const char *text, gsize text_len, guint8 *out, gsize out_size,
			  gsize *ret_len, GError **error);

/* mesh_b64u_decode_bytes: as mesh_b64u_decode of a NUL-terminated string into a new GBytes of at
 * most @max_len bytes. */
GBytes *mesh_b64u_decode_bytes(const char *text, gsize max_len, GError **error);

/*
 * Standard base64 (RFC 4648 §4, "+/", '=' padding), as PEM and OpenSSH files use it.
 * mesh_b64_encoded_len: the characters mesh_b64_encode_wrapped writes for @len bytes, with a
 * newline after every @wrap characters and at the end (@wrap 0: no newlines).
 * mesh_b64_encode_wrapped: write them to @out (no NUL).
 * mesh_b64_decode_lines: decode @len characters at @text, skipping line breaks ("\n", "\r") when
 * @lines, into at most @cap bytes at @out. Only the canonical encoding is accepted: a multiple
 * of four characters, padding only at the end, zero unused bits. Errors (MESH_ERROR_MALFORMED,
 * MESH_ERROR_TOO_LARGE) start with @what; on error @out is wiped.
 */
gsize mesh_b64_encoded_len(gsize len, gsize wrap);
void mesh_b64_encode_wrapped(const guint8 *data, gsize len, gsize wrap, char *out);
gboolean mesh_b64_decode_lines(const char *text, gsize len, gboolean lines, guint8 *out, gsize cap,
			       gsize *ret_len, const char *what, GError **error);

/* mesh_hex_encode: upper-case hex; returns a newly allocated string. */
char *mesh_hex_encode(const guint8 *data, gsize len);

/* mesh_hex_encode_lower: @len bytes as lower-case hex into @out (2 * @len + 1 bytes, ended by
 * NUL): how a digest is written in the policy's rules and on the wire (as sha256sum prints it). */
void mesh_hex_encode_lower(const guint8 *data, gsize len, char *out);

/* mesh_hex_is_digest: whether @text is exactly 2 * @len lower-case hex digits, a digest of @len
 * bytes as mesh_hex_encode_lower writes it. */
gboolean mesh_hex_is_digest(const char *text, gsize len);

/*
 * mesh_hex_decode: hex digits of either case (an even count, nothing else) into at most
 * @out_size bytes. Errors: MESH_ERROR_MALFORMED, MESH_ERROR_TOO_LARGE. On error @out is wiped.
 */
gboolean mesh_hex_decode(const char *text, guint8 *out, gsize out_size, gsize *ret_len,
			 GError **error);

G_END_DECLS
