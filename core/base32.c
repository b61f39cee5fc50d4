/* SPDX-License-Identifier: MIT */
#include "base32.h"

#include <openssl/crypto.h>
#include <string.h>

#include "error.h"

/*
 * Branch-free maps between 5-bit values and characters, after WireGuard's encoding.c: no
 * table is indexed by a secret value and no branch depends on one.
 * Encode: 0..25 -> 'A'..'Z', 26..31 -> '2'..'7'.
 */
static char
enc5(unsigned v)
{
	int x = (int)v;

	/* ((25 - x) >> 8) is all ones when x > 25. */
	return (char)('A' + x + (((25 - x) >> 8) & ('2' - 'A' - 26)));
}

/*
 * Decode one character; returns 0..31, or -1 when the character is not Base32. Lower case is
 * folded. Every range test is arithmetic so that the time does not depend on the value.
 */
static int
dec5(unsigned char ch)
{
	int c = ch;
	int ret = -1;

	/* Fold 'a'..'z' to 'A'..'Z'. */
	c -= ((('a' - 1 - c) & (c - ('z' + 1))) >> 8) & 32;
	/* 'A'..'Z' -> 0..25 */
	ret += (((('A' - 1) - c) & (c - ('Z' + 1))) >> 8) & (c - 'A' + 1);
	/* '2'..'7' -> 26..31 */
	ret += (((('2' - 1) - c) & (c - ('7' + 1))) >> 8) & (c - '2' + 26 + 1);
	return ret;
}

gsize
mesh_base32_encoded_len(gsize len)
{
	return (len / 5) * 8 + ((len % 5) * 8 + 4) / 5;
}

char *
mesh_base32_encode(const guint8 *data, gsize len, gsize nchars)
{
	gsize total = mesh_base32_encoded_len(len);
	char *out;
	guint64 acc = 0;
	unsigned bits = 0;
	gsize o = 0;

	if (nchars == 0 || nchars > total)
		nchars = total;
	out = g_malloc(nchars + 1);
	for (gsize i = 0; i < len && o < nchars; i++) {
		acc = (acc << 8) | data[i];
		bits += 8;
		while (bits >= 5 && o < nchars) {
			bits -= 5;
			out[o++] = enc5((unsigned)(acc >> bits) & 31);
		}
	}
	if (bits > 0 && o < nchars)
		out[o++] = enc5((unsigned)(acc << (5 - bits)) & 31);
	out[o] = '\0';
	acc = 0;
	return out;
}

char *
mesh_base32_dashed(const char *b32)
{
	gsize n = strlen(b32);
	/* Sized once, so that no reallocation leaves a copy of the text behind. */
	GString *s = g_string_sized_new(n + n / 4 + 1);

	for (gsize i = 0; i < n; i++) {
		if (i > 0 && i % 4 == 0)
			g_string_append_c(s, '-');
		g_string_append_c(s, b32[i]);
	}
	return g_string_free(s, FALSE);
}

gboolean
mesh_base32_decode(const char *text, guint8 *out, gsize out_size, gsize *ret_len,
		   GError **error)
{
	guint32 acc = 0;
	unsigned bits = 0;
	gsize o = 0;

	for (gsize i = 0; text[i] != '\0'; i++) {
		int v;

		if (text[i] == '-')
			continue;
		v = dec5((unsigned char)text[i]);
		if (v < 0) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
				    "character %" G_GSIZE_FORMAT " is not Base32 (A-Z, 2-7 or '-')",
				    i + 1);
			goto fail;
		}
		acc = (acc << 5) | (guint32)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o >= out_size) {
				g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
					    "Base32 text too long: more than %" G_GSIZE_FORMAT
					    " bytes",
					    out_size);
				goto fail;
			}
			out[o++] = (guint8)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* The bits of a trailing partial byte are dropped, as docs/protocol.md §2 says. */
	acc = 0;
	*ret_len = o;
	return TRUE;
fail:
	acc = 0;
	if (out_size > 0)
		OPENSSL_cleanse(out, out_size);
	return FALSE;
}

GBytes *
mesh_base32_decode_bytes(const char *text, gsize max_len, GError **error)
{
	g_autofree guint8 *buf = g_malloc(max_len > 0 ? max_len : 1);
	gsize n = 0;

	if (!mesh_base32_decode(text, buf, max_len, &n, error))
		return NULL;
	return g_bytes_new(buf, n);
}
