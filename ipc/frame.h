/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>
#include <mesh/error.h>

G_BEGIN_DECLS

/*
 * Agent frames (docs/protocol.md "Agent methods"): a 4-byte big-endian length, then that many
 * bytes of UTF-8 JSON, 1 to MESH_FRAME_MAX bytes. Pure, bounded leaf code: it returns MeshError
 * and never touches a socket, so the fuzzer and the unit tests drive exactly what the agent and
 * the client run.
 */

#define MESH_FRAME_HEADER_LEN 4
#define MESH_FRAME_MAX        (1024 * 1024)

/*
 * MeshFrameReader: an incremental reader with a maximum frame size fixed at creation. Feed it
 * bytes as they arrive; it holds at most one frame (the header is checked before the body is
 * allocated), so a peer can never make it hold more than @max_len + 4 bytes.
 */
typedef struct MeshFrameReader MeshFrameReader;

/* mesh_frame_reader_new: a reader for frames of 1 to @max_len bytes (at most MESH_FRAME_MAX). */
MeshFrameReader *mesh_frame_reader_new(gsize max_len);

/* mesh_frame_reader_free: wipe whatever the reader holds and free it; accepts NULL. */
void mesh_frame_reader_free(MeshFrameReader *reader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshFrameReader, mesh_frame_reader_free)

/*
 * mesh_frame_reader_feed: take bytes from @data until the current frame is complete or @len
 * bytes are used; the count goes to @ret_used. Feeding stops at the end of a frame: take the
 * frame with mesh_frame_reader_frame(), release it with mesh_frame_reader_next(), then feed the
 * rest. Returns MESH_ERROR_OK, MESH_ERROR_MALFORMED for a length of 0, MESH_ERROR_TOO_LARGE for
 * a length above the maximum (both before anything is allocated; the reader then refuses all
 * further input), or MESH_ERROR_INVALID_ARGUMENT when called while a frame is waiting.
 */
MeshError mesh_frame_reader_feed(MeshFrameReader *reader, const guint8 *data, gsize len,
				 gsize *ret_used);

/*
 * mesh_frame_reader_frame: the complete frame's body (owned by the reader, valid until
 * mesh_frame_reader_next or _free) and its length, or NULL when no frame is complete.
 */
const guint8 *mesh_frame_reader_frame(MeshFrameReader *reader, gsize *ret_len);

/* mesh_frame_reader_next: wipe and drop the complete frame, ready for the next one. */
void mesh_frame_reader_next(MeshFrameReader *reader);

/*
 * mesh_frame_reader_pending: TRUE when part of a frame (header or body) has been fed but the
 * frame is not complete: a peer that stops here sent a truncated frame.
 */
gboolean mesh_frame_reader_pending(const MeshFrameReader *reader);

/* mesh_frame_put_header: write the 4-byte big-endian header of a @len-byte body to @header. */
void mesh_frame_put_header(guint8 header[MESH_FRAME_HEADER_LEN], guint32 len);

/*
 * mesh_frame_encode: @len bytes at @body behind their 4-byte header, in a new GBytes. Returns
 * MESH_ERROR_MALFORMED for an empty body and MESH_ERROR_TOO_LARGE above @max_len (at most
 * MESH_FRAME_MAX); @ret_frame is written only on success.
 */
MeshError mesh_frame_encode(const guint8 *body, gsize len, gsize max_len, GBytes **ret_frame);

/* mesh_frame_length: the length a 4-byte header announces. */
guint32 mesh_frame_length(const guint8 header[MESH_FRAME_HEADER_LEN]);

G_END_DECLS
