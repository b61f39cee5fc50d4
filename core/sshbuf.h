/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * SSH wire encoding (RFC 4251 §5) over fixed buffers, after OpenSSH's sshbuf: a reader whose
 * every read is checked against the bytes left, and a writer into a buffer whose capacity is
 * fixed when it is set up (so that secret bytes are never reallocated and left behind: put the
 * buffer in a MeshSecret). Neither allocates.
 *
 * Reader errors are MESH_ERROR_MALFORMED and name the @what given to mesh_sshbuf_reader_init
 * ("OpenSSH private key"); writer errors are MESH_ERROR_TOO_LARGE.
 */

typedef struct {
	const guint8 *data;
	gsize len;
	gsize pos;
	const char *what; /* for messages */
} MeshSshReader;

typedef struct {
	guint8 *data;
	gsize cap;
	gsize len;
} MeshSshWriter;

/* Largest mpint mesh_sshbuf_get_mpint32 returns: the 32-byte scalars of P-256. */
#define MESH_SSHBUF_MPINT_LEN 32

void mesh_sshbuf_reader_init(MeshSshReader *r, const guint8 *data, gsize len, const char *what);
/* Bytes not read yet. */
gsize mesh_sshbuf_remaining(const MeshSshReader *r);

gboolean mesh_sshbuf_get_u32(MeshSshReader *r, guint32 *ret_value, GError **error);
/* mesh_sshbuf_get_bytes: the next @n bytes (a pointer into the reader's buffer). */
gboolean mesh_sshbuf_get_bytes(MeshSshReader *r, gsize n, const guint8 **ret_data,
			       GError **error);
/* mesh_sshbuf_get_string: a uint32 length and that many bytes (a pointer into the buffer). */
gboolean mesh_sshbuf_get_string(MeshSshReader *r, const guint8 **ret_data, gsize *ret_len,
				GError **error);
/*
 * mesh_sshbuf_get_string_fixed: a string that must be exactly @len bytes long
 * (MESH_ERROR_MALFORMED naming @field otherwise).
 */
gboolean mesh_sshbuf_get_string_fixed(MeshSshReader *r, gsize len, const char *field,
				      const guint8 **ret_data, GError **error);
/*
 * mesh_sshbuf_get_cstring: a string that holds text: no NUL byte, valid UTF-8, at most
 * @max_len bytes (MESH_ERROR_MALFORMED otherwise). Returns a new NUL-terminated copy.
 */
gboolean mesh_sshbuf_get_cstring(MeshSshReader *r, gsize max_len, char **ret_text,
				 GError **error);
/* mesh_sshbuf_string_is: TRUE when the @len bytes at @data are the text @want. */
gboolean mesh_sshbuf_string_is(const guint8 *data, gsize len, const char *want);
/* mesh_sshbuf_quote: a printable rendering of at most the first 40 of the @len outside bytes at
 * @data, for an error message (a key type or cipher name that is refused). */
char *mesh_sshbuf_quote(const guint8 *data, gsize len);
/*
 * mesh_sshbuf_get_mpint32: a non-negative mpint of at most 32 significant bytes, written
 * big-endian and left-padded with zeros into @out (which may be secret: the reader does not
 * copy it anywhere else). Leading zero bytes are skipped, as OpenSSH does. Errors:
 * MESH_ERROR_MALFORMED for a negative or longer value.
 */
gboolean mesh_sshbuf_get_mpint32(MeshSshReader *r, guint8 out[static MESH_SSHBUF_MPINT_LEN],
				 GError **error);
/* mesh_sshbuf_expect_end: MESH_ERROR_MALFORMED when bytes are left. */
gboolean mesh_sshbuf_expect_end(const MeshSshReader *r, GError **error);

void mesh_sshbuf_writer_init(MeshSshWriter *w, guint8 *buf, gsize cap);
gboolean mesh_sshbuf_put_u8(MeshSshWriter *w, guint8 value, GError **error);
gboolean mesh_sshbuf_put_u32(MeshSshWriter *w, guint32 value, GError **error);
gboolean mesh_sshbuf_put_bytes(MeshSshWriter *w, const void *data, gsize len, GError **error);
gboolean mesh_sshbuf_put_string(MeshSshWriter *w, const void *data, gsize len,
				GError **error);
/* mesh_sshbuf_put_cstring: a string holding the text @s (without its NUL). */
gboolean mesh_sshbuf_put_cstring(MeshSshWriter *w, const char *s, GError **error);
/* mesh_sshbuf_put_mpint: the minimal mpint of the unsigned big-endian number at @data. */
gboolean mesh_sshbuf_put_mpint(MeshSshWriter *w, const guint8 *data, gsize len,
			       GError **error);

G_END_DECLS
