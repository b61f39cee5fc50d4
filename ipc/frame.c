/* SPDX-License-Identifier: MIT */
#include "frame.h"

#include <openssl/crypto.h>
#include <string.h>

#include "secret.h"

struct MeshFrameReader {
	gsize max_len;
	guint8 header[MESH_FRAME_HEADER_LEN];
	gsize have_header; /* header bytes read so far */
	guint8 *body;      /* allocated once the header is read and checked */
	gsize len;         /* the body's announced length */
	gsize have;        /* body bytes read so far */
	MeshError failed;  /* a refused header: the stream has lost its framing */
};

MeshFrameReader *
mesh_frame_reader_new(gsize max_len)
{
	MeshFrameReader *reader = g_new0(MeshFrameReader, 1);

	reader->max_len = MIN(max_len, (gsize)MESH_FRAME_MAX);
	return reader;
}

void
mesh_frame_reader_next(MeshFrameReader *reader)
{
	if (reader->body != NULL) {
		/* Frames carry passphrases (Unlock): no copy outlives its handling. */
		OPENSSL_cleanse(reader->body, reader->len);
		g_free(reader->body);
	}
	reader->body = NULL;
	reader->len = 0;
	reader->have = 0;
	reader->have_header = 0;
	OPENSSL_cleanse(reader->header, sizeof reader->header);
}

void
mesh_frame_reader_free(MeshFrameReader *reader)
{
	if (reader == NULL)
		return;
	mesh_frame_reader_next(reader);
	g_free(reader);
}

guint32
mesh_frame_length(const guint8 header[MESH_FRAME_HEADER_LEN])
{
	return ((guint32)header[0] << 24) | ((guint32)header[1] << 16) |
	       ((guint32)header[2] << 8) | (guint32)header[3];
}

static gboolean
complete(const MeshFrameReader *reader)
{
	return reader->body != NULL && reader->have == reader->len;
}

MeshError
mesh_frame_reader_feed(MeshFrameReader *reader, const guint8 *data, gsize len, gsize *ret_used)
{
	gsize used = 0;

	if (reader->failed != MESH_ERROR_OK)
		return reader->failed;
	if (complete(reader))
		return MESH_ERROR_INVALID_ARGUMENT;
	if (len == 0)
		goto out;
	if (reader->have_header < MESH_FRAME_HEADER_LEN) {
		gsize n = MIN(len, MESH_FRAME_HEADER_LEN - reader->have_header);

		memcpy(reader->header + reader->have_header, data, n);
		reader->have_header += n;
		used += n;
		if (reader->have_header < MESH_FRAME_HEADER_LEN)
			goto out;
		reader->len = mesh_frame_length(reader->header);
		/* Check the length before allocating for it. */
		if (reader->len == 0 || reader->len > reader->max_len) {
			reader->failed = reader->len == 0 ? MESH_ERROR_MALFORMED
							  : MESH_ERROR_TOO_LARGE;
			reader->len = 0;
			return reader->failed;
		}
		reader->body = g_malloc(reader->len);
	}
	if (used < len) {
		gsize n = MIN(len - used, reader->len - reader->have);

		memcpy(reader->body + reader->have, data + used, n);
		reader->have += n;
		used += n;
	}
out:
	*ret_used = used;
	return MESH_ERROR_OK;
}

const guint8 *
mesh_frame_reader_frame(MeshFrameReader *reader, gsize *ret_len)
{
	if (!complete(reader))
		return NULL;
	*ret_len = reader->len;
	return reader->body;
}

gboolean
mesh_frame_reader_pending(const MeshFrameReader *reader)
{
	return reader->have_header > 0 && !complete(reader);
}

void
mesh_frame_put_header(guint8 header[MESH_FRAME_HEADER_LEN], guint32 len)
{
	header[0] = (guint8)(len >> 24);
	header[1] = (guint8)(len >> 16);
	header[2] = (guint8)(len >> 8);
	header[3] = (guint8)len;
}

MeshError
mesh_frame_encode(const guint8 *body, gsize len, gsize max_len, GBytes **ret_frame)
{
	guint8 *frame;

	if (len == 0)
		return MESH_ERROR_MALFORMED;
	if (len > MIN(max_len, (gsize)MESH_FRAME_MAX))
		return MESH_ERROR_TOO_LARGE;
	frame = g_malloc(MESH_FRAME_HEADER_LEN + len);
	mesh_frame_put_header(frame, (guint32)len);
	memcpy(frame + MESH_FRAME_HEADER_LEN, body, len);
	/* Answers carry shares and passwords. */
	*ret_frame = mesh_bytes_new_wiped(frame, MESH_FRAME_HEADER_LEN + len);
	return MESH_ERROR_OK;
}
