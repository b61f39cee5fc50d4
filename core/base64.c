/* SPDX-License-Identifier: MIT */
#include "base64.h"

#include <openssl/crypto.h>
#include <string.h>

#include "error.h"

/* Branch-free character maps (see base32.c). The range masks rely on 0 <= c <= 255. */
#define IN_RANGE(c, lo, hi) (((((lo)-1) - (c)) & ((c) - ((hi) + 1))) >> 8)
#define URL_62 '-'
#define URL_63 '_'
#define STD_62 '+'
#define STD_63 '/'

/* The alphabets differ only in values 62 and 63: '-' '_' (url) or '+' '/' (standard). */
static char
enc6(unsigned v, char c62, char c63)
{
	int x = (int)v;
	int d = 'A' + x;

	d += ((25 - x) >> 8) & ('a' - 'A' - 26);  /* 26..51 -> a..z */
	d += ((51 - x) >> 8) & ('0' - 'a' - 26);  /* 52..61 -> 0..9 */
	d += ((61 - x) >> 8) & (c62 - '0' - 10);  /* 62 */
	d += ((62 - x) >> 8) & (c63 - c62 - 1);   /* 63 */
	return (char)d;
}

static int
dec6(unsigned char ch, char c62, char c63)
{
	int c = ch;
	int ret = -1;

	ret += IN_RANGE(c, 'A', 'Z') & (c - 'A' + 1);
	ret += IN_RANGE(c, 'a', 'z') & (c - 'a' + 26 + 1);
	ret += IN_RANGE(c, '0', '9') & (c - '0' + 52 + 1);
	ret += IN_RANGE(c, c62, c62) & (62 + 1);
	ret += IN_RANGE(c, c63, c63) & (63 + 1);
	return ret;
}

static int
dechex(unsigned char ch)
{
	int c = ch;
	int ret = -1;

	ret += IN_RANGE(c, '0', '9') & (c - '0' + 1);
	ret += IN_RANGE(c, 'A', 'F') & (c - 'A' + 10 + 1);
	ret += IN_RANGE(c, 'a', 'f') & (c - 'a' + 10 + 1);
	return ret;
}

static char
enchex(unsigned v)
{
	int x = (int)v;

	return (char)('0' + x + (((9 - x) >> 8) & ('A' - '0' - 10)));
}

char *
mesh_b64u_encode(const guint8 *data, gsize len)
{
	char *out = g_malloc((len / 3) * 4 + 4 + 1);
	gsize o = 0, i = 0;

	for (; i + 3 <= len; i += 3) {
		guint32 v = (guint32)data[i] << 16 | (guint32)data[i + 1] << 8 | data[i + 2];

		out[o++] = enc6(v >> 18, URL_62, URL_63);
		out[o++] = enc6((v >> 12) & 63, URL_62, URL_63);
		out[o++] = enc6((v >> 6) & 63, URL_62, URL_63);
		out[o++] = enc6(v & 63, URL_62, URL_63);
	}
	if (len - i == 1) {
		guint32 v = (guint32)data[i] << 16;

		out[o++] = enc6(v >> 18, URL_62, URL_63);
		out[o++] = enc6((v >> 12) & 63, URL_62, URL_63);
	} else if (len - i == 2) {
		guint32 v = (guint32)data[i] << 16 | (guint32)data[i + 1] << 8;

		out[o++] = enc6(v >> 18, URL_62, URL_63);
		out[o++] = enc6((v >> 12) & 63, URL_62, URL_63);
		out[o++] = enc6((v >> 6) & 63, URL_62, URL_63);
	}
	out[o] = '\0';
	return out;
}

gsize
mesh_b64u_decoded_max(gsize text_len)
{
	return text_len / 4 * 3 + (text_len % 4 * 3) / 4;
}

gboolean
mesh_b64u_decode(const char *text, gsize text_len, guint8 *out, gsize out_size, gsize *ret_len,
		 GError **error)
{
	guint32 acc = 0;
	unsigned bits = 0;
	gsize o = 0;

	if (text_len % 4 == 1) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "base64url text has an impossible length (%" G_GSIZE_FORMAT ")",
			    text_len);
		goto fail;
	}
	if (mesh_b64u_decoded_max(text_len) > out_size) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "base64url value too long: more than %" G_GSIZE_FORMAT " bytes",
			    out_size);
		goto fail;
	}
	for (gsize i = 0; i < text_len; i++) {
		int v = dec6((unsigned char)text[i], URL_62, URL_63);

		if (v < 0) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
				    "character %" G_GSIZE_FORMAT " is not base64url", i + 1);
			goto fail;
		}
		acc = (acc << 6) | (guint32)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (guint8)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "base64url value is not canonical (non-zero trailing bits)");
		goto fail;
	}
	*ret_len = o;
	return TRUE;
fail:
	acc = 0;
	if (out_size > 0)
		OPENSSL_cleanse(out, out_size);
	return FALSE;
}

GBytes *
mesh_b64u_decode_bytes(const char *text, gsize max_len, GError **error)
{
	gsize text_len = strlen(text);
	gsize cap = MIN(max_len, mesh_b64u_decoded_max(text_len));
	g_autofree guint8 *buf = g_malloc(cap > 0 ? cap : 1);
	gsize n = 0;

	if (!mesh_b64u_decode(text, text_len, buf, cap, &n, error))
		return NULL;
	return g_bytes_new(buf, n);
}

char *
mesh_hex_encode(const guint8 *data, gsize len)
{
	char *out = g_malloc(len * 2 + 1);

	for (gsize i = 0; i < len; i++) {
		out[2 * i] = enchex(data[i] >> 4);
		out[2 * i + 1] = enchex(data[i] & 15);
	}
	out[len * 2] = '\0';
	return out;
}

void
mesh_hex_encode_lower(const guint8 *data, gsize len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (gsize i = 0; i < len; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 15];
	}
	out[len * 2] = '\0';
}

gboolean
mesh_hex_is_digest(const char *text, gsize len)
{
	gsize i;

	for (i = 0; text[i] != '\0'; i++) {
		if (!g_ascii_isdigit(text[i]) && !(text[i] >= 'a' && text[i] <= 'f'))
			return FALSE;
	}
	return i == 2 * len;
}

gboolean
mesh_hex_decode(const char *text, guint8 *out, gsize out_size, gsize *ret_len, GError **error)
{
	gsize n = strlen(text);

	if (n % 2 != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "hex value has an odd number of digits (%" G_GSIZE_FORMAT ")", n);
		goto fail;
	}
	if (n / 2 > out_size) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "hex value too long: more than %" G_GSIZE_FORMAT " bytes", out_size);
		goto fail;
	}
	for (gsize i = 0; i < n; i += 2) {
		int hi = dechex((unsigned char)text[i]);
		int lo = dechex((unsigned char)text[i + 1]);

		if (hi < 0 || lo < 0) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
				    "character %" G_GSIZE_FORMAT " is not a hex digit",
				    hi < 0 ? i + 1 : i + 2);
			goto fail;
		}
		out[i / 2] = (guint8)(hi << 4 | lo);
	}
	*ret_len = n / 2;
	return TRUE;
fail:
	if (out_size > 0)
		OPENSSL_cleanse(out, out_size);
	return FALSE;
}

/* ---- Standard base64 (RFC 4648 §4), padded, optionally in lines, as PEM and OpenSSH use it - */

gsize
mesh_b64_encoded_len(gsize len, gsize wrap)
{
	gsize chars = (len + 2) / 3 * 4;

	return wrap == 0 ? chars : chars + (chars + wrap - 1) / wrap;
}

void
mesh_b64_encode_wrapped(const guint8 *data, gsize len, gsize wrap, char *out)
{
	gsize o = 0, col = 0;

	for (gsize i = 0; i < len; i += 3) {
		guint32 v = (guint32)data[i] << 16;
		gsize n = MIN(len - i, 3);
		char quad[4];

		if (n > 1)
			v |= (guint32)data[i + 1] << 8;
		if (n > 2)
			v |= data[i + 2];
		quad[0] = enc6(v >> 18, STD_62, STD_63);
		quad[1] = enc6((v >> 12) & 63, STD_62, STD_63);
		quad[2] = n > 1 ? enc6((v >> 6) & 63, STD_62, STD_63) : '=';
		quad[3] = n > 2 ? enc6(v & 63, STD_62, STD_63) : '=';
		for (int k = 0; k < 4; k++) {
			out[o++] = quad[k];
			if (wrap != 0 && ++col == wrap) {
				out[o++] = '\n';
				col = 0;
			}
		}
	}
	if (wrap != 0 && col != 0)
		out[o++] = '\n';
}

static gboolean
is_newline(char c)
{
	return c == '\n' || c == '\r';
}

gboolean
mesh_b64_decode_lines(const char *text, gsize len, gboolean lines, guint8 *out, gsize cap, gsize *ret_len,
	   const char *what, GError **error)
{
	gsize n = 0, pad = 0, k = 0, o = 0;
	guint32 acc = 0;
	unsigned bits = 0;

	for (gsize i = 0; i < len; i++)
		n += !(lines && is_newline(text[i]));
	for (gsize i = len; i > 0 && pad < 2; i--) {
		if (lines && is_newline(text[i - 1]))
			continue;
		if (text[i - 1] != '=')
			break;
		pad++;
	}
	if (n == 0 || n % 4 != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "%s: the base64 text has a bad length", what);
		goto fail;
	}
	if (n / 4 * 3 - pad > cap) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "%s: more than %" G_GSIZE_FORMAT " bytes of base64", what, cap);
		goto fail;
	}
	for (gsize i = 0; i < len; i++) {
		int v;

		if (lines && is_newline(text[i]))
			continue;
		if (k++ >= n - pad) {
			if (text[i] != '=')
				goto bad;
			continue;
		}
		v = dec6((unsigned char)text[i], STD_62, STD_63);
		if (v < 0)
			goto bad;
		acc = (acc << 6) | (guint32)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (guint8)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)
		goto bad;
	*ret_len = o;
	return TRUE;
bad:
	g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "%s: bad base64 text", what);
fail:
	acc = 0;
	if (cap > 0)
		OPENSSL_cleanse(out, cap);
	return FALSE;
}
