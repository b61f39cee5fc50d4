/* SPDX-License-Identifier: MIT */
#include "sshbuf.h"

#include <string.h>

#include "error.h"

void
mesh_sshbuf_reader_init(MeshSshReader *r, const guint8 *data, gsize len, const char *what)
{
	r->data = data;
	r->len = len;
	r->pos = 0;
	r->what = what;
}

gsize
mesh_sshbuf_remaining(const MeshSshReader *r)
{
	return r->len - r->pos;
}

gboolean
mesh_sshbuf_get_bytes(MeshSshReader *r, gsize n, const guint8 **ret_data, GError **error)
{
	if (n > mesh_sshbuf_remaining(r)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "%s is truncated: %" G_GSIZE_FORMAT " bytes wanted at offset "
			    "%" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT " left",
			    r->what, n, r->pos, mesh_sshbuf_remaining(r));
		return FALSE;
	}
	*ret_data = r->data + r->pos;
	r->pos += n;
	return TRUE;
}

gboolean
mesh_sshbuf_get_u32(MeshSshReader *r, guint32 *ret_value, GError **error)
{
	const guint8 *p;

	if (!mesh_sshbuf_get_bytes(r, 4, &p, error))
		return FALSE;
	*ret_value = (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
	return TRUE;
}

gboolean
mesh_sshbuf_get_string(MeshSshReader *r, const guint8 **ret_data, gsize *ret_len,
		       GError **error)
{
	gsize start = r->pos;
	guint32 len;
	const guint8 *p;

	if (!mesh_sshbuf_get_u32(r, &len, error))
		return FALSE;
	if (!mesh_sshbuf_get_bytes(r, len, &p, error)) {
		r->pos = start;
		return FALSE;
	}
	*ret_data = p;
	*ret_len = len;
	return TRUE;
}

gboolean
mesh_sshbuf_get_string_fixed(MeshSshReader *r, gsize len, const char *field,
			     const guint8 **ret_data, GError **error)
{
	const guint8 *p;
	gsize n;

	if (!mesh_sshbuf_get_string(r, &p, &n, error))
		return FALSE;
	if (n != len) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "%s: the %s is %" G_GSIZE_FORMAT " bytes, not %" G_GSIZE_FORMAT,
			    r->what, field, n, len);
		return FALSE;
	}
	*ret_data = p;
	return TRUE;
}

gboolean
mesh_sshbuf_get_cstring(MeshSshReader *r, gsize max_len, char **ret_text, GError **error)
{
	const guint8 *p;
	gsize n;

	if (!mesh_sshbuf_get_string(r, &p, &n, error))
		return FALSE;
	if (n > max_len || memchr(p, '\0', n) != NULL ||
	    !g_utf8_validate((const char *)p, (gssize)n, NULL)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "%s: a text field is not UTF-8 without NULs of at most %" G_GSIZE_FORMAT
			    " bytes",
			    r->what, max_len);
		return FALSE;
	}
	*ret_text = g_strndup((const char *)p, n);
	return TRUE;
}

gboolean
mesh_sshbuf_string_is(const guint8 *data, gsize len, const char *want)
{
	return len == strlen(want) && memcmp(data, want, len) == 0;
}

char *
mesh_sshbuf_quote(const guint8 *data, gsize len)
{
	g_autofree char *cut = g_strndup((const char *)data, MIN(len, 40));

	return g_strescape(cut, NULL);
}

gboolean
mesh_sshbuf_get_mpint32(MeshSshReader *r, guint8 out[static MESH_SSHBUF_MPINT_LEN],
			GError **error)
{
	const guint8 *p;
	gsize n;

	if (!mesh_sshbuf_get_string(r, &p, &n, error))
		return FALSE;
	if (n > 0 && (p[0] & 0x80) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "%s: negative mpint",
			    r->what);
		return FALSE;
	}
	while (n > 0 && p[0] == 0) {
		p++;
		n--;
	}
	if (n > MESH_SSHBUF_MPINT_LEN) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "%s: an mpint is longer than %d bytes", r->what,
			    MESH_SSHBUF_MPINT_LEN);
		return FALSE;
	}
	memset(out, 0, MESH_SSHBUF_MPINT_LEN - n);
	memcpy(out + MESH_SSHBUF_MPINT_LEN - n, p, n);
	return TRUE;
}

gboolean
mesh_sshbuf_expect_end(const MeshSshReader *r, GError **error)
{
	if (mesh_sshbuf_remaining(r) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "%s has %" G_GSIZE_FORMAT " unexpected trailing bytes", r->what,
			    mesh_sshbuf_remaining(r));
		return FALSE;
	}
	return TRUE;
}

void
mesh_sshbuf_writer_init(MeshSshWriter *w, guint8 *buf, gsize cap)
{
	w->data = buf;
	w->cap = cap;
	w->len = 0;
}

gboolean
mesh_sshbuf_put_bytes(MeshSshWriter *w, const void *data, gsize len, GError **error)
{
	if (len > w->cap - w->len) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "SSH encoding needs more than %" G_GSIZE_FORMAT " bytes", w->cap);
		return FALSE;
	}
	if (len > 0)
		memcpy(w->data + w->len, data, len);
	w->len += len;
	return TRUE;
}

gboolean
mesh_sshbuf_put_u8(MeshSshWriter *w, guint8 value, GError **error)
{
	return mesh_sshbuf_put_bytes(w, &value, 1, error);
}

gboolean
mesh_sshbuf_put_u32(MeshSshWriter *w, guint32 value, GError **error)
{
	guint8 b[4] = { (guint8)(value >> 24), (guint8)(value >> 16), (guint8)(value >> 8),
			(guint8)value };

	return mesh_sshbuf_put_bytes(w, b, sizeof b, error);
}

gboolean
mesh_sshbuf_put_string(MeshSshWriter *w, const void *data, gsize len, GError **error)
{
	if (len > G_MAXUINT32) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "an SSH string cannot hold %" G_GSIZE_FORMAT " bytes", len);
		return FALSE;
	}
	return mesh_sshbuf_put_u32(w, (guint32)len, error) &&
	       mesh_sshbuf_put_bytes(w, data, len, error);
}

gboolean
mesh_sshbuf_put_cstring(MeshSshWriter *w, const char *s, GError **error)
{
	return mesh_sshbuf_put_string(w, s, strlen(s), error);
}

gboolean
mesh_sshbuf_put_mpint(MeshSshWriter *w, const guint8 *data, gsize len, GError **error)
{
	gboolean pad;

	while (len > 0 && data[0] == 0) {
		data++;
		len--;
	}
	/* A set top bit would read as negative: prefix a zero byte. */
	pad = len > 0 && (data[0] & 0x80) != 0;
	if (len + pad > G_MAXUINT32) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE, "mpint too long");
		return FALSE;
	}
	return mesh_sshbuf_put_u32(w, (guint32)(len + pad), error) &&
	       (!pad || mesh_sshbuf_put_u8(w, 0, error)) &&
	       mesh_sshbuf_put_bytes(w, data, len, error);
}
