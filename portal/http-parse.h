/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The portal's reader of HTTP/1.1 requests (RFC 9112), for its own server (http.c): pure
 * functions over bytes from the network, bounded, with no I/O, so that they are tested and
 * fuzzed alone (tests/unit/test-http-parse.c, tests/fuzz/fuzz-http-parse.c).
 *
 * It reads what the portal needs and refuses what it cannot read safely:
 * - the request line "METHOD SP request-target SP HTTP/1.x" (1.0 and 1.1; another version is
 *   MESH_HTTP_VERSION), lines ended by CRLF or a bare LF;
 * - header fields "name: value" with a token name (no space before the colon) and no obsolete
 *   line folding;
 * - framing: Content-Length (digits only; several fields must agree) or Transfer-Encoding
 *   "chunked" (chunked not last is MESH_HTTP_BAD, another coding before it or chunked twice
 *   MESH_HTTP_NOT_IMPLEMENTED); both at once is MESH_HTTP_BAD (request smuggling, RFC 9112
 *   §6.3);
 * - Connection (close, keep-alive), Expect (100-continue; another expectation is
 *   MESH_HTTP_EXPECTATION), Content-Type, Host (required in HTTP/1.1, at most once, a valid
 *   uri-host [":" port]).
 * A head longer than its limit is MESH_HTTP_TOO_LARGE.
 */

typedef enum {
	MESH_HTTP_OK,              /* complete */
	MESH_HTTP_MORE,            /* incomplete: read more and call again with all of it */
	MESH_HTTP_BAD,             /* malformed: 400, then close */
	MESH_HTTP_TOO_LARGE,       /* the head is over its limit: 431, then close */
	MESH_HTTP_NOT_IMPLEMENTED, /* a transfer coding other than chunked: 501, then close */
	MESH_HTTP_VERSION,         /* not HTTP/1.0 or 1.1: 505, then close */
	MESH_HTTP_EXPECTATION,     /* an Expect other than 100-continue: 417 */
} MeshHttpParse;

/* Header fields at most in one request. */
#define MESH_HTTP_MAX_FIELDS 100

/* A request's head. The pointers point into the bytes given to mesh_http_parse_head(), which
 * must outlive their use; none is NUL-terminated. */
typedef struct {
	const char *method;
	gsize method_len;
	const char *target; /* the request-target as sent */
	gsize target_len;
	const char *path; /* its path: origin-form up to '?', or the path of absolute-form */
	gsize path_len;
	guint minor;            /* HTTP/1.minor: 0 or 1 */
	gint64 content_length;  /* -1: no Content-Length */
	gboolean chunked;       /* Transfer-Encoding: chunked */
	gboolean keep_alive;    /* the connection may stay open after the answer */
	gboolean expect_continue;
	const char *content_type; /* NULL: none */
	gsize content_type_len;
} MeshHttpHead;

/*
 * mesh_http_parse_head: read the head at the start of @data (@len bytes, all that has arrived).
 * Returns MESH_HTTP_OK with *@head filled and *@ret_used the bytes of the head (its empty line
 * included; the body follows), MESH_HTTP_MORE when the head is not complete within @len and
 * @len is below @max_head, or the reason it cannot be read. Empty lines before the request line
 * are skipped (RFC 9112 §2.2) and counted in *@ret_used.
 */
MeshHttpParse mesh_http_parse_head(const guint8 *data, gsize len, gsize max_head,
                                   MeshHttpHead *head, gsize *ret_used);

/* Whether a Content-Type value is application/json with no charset or charset utf-8 (case
 * insensitive, parameters otherwise ignored). */
gboolean mesh_http_is_json(const char *value, gsize len);

/* The state of a chunked body being read (RFC 9112 §7.1); zero it to start. */
typedef struct {
	int state;
	guint64 remaining; /* bytes of the current chunk's data still to come */
	gsize line;        /* bytes of the current size or trailer line so far */
} MeshHttpChunks;

/* Longest chunk-size line (extensions included) and trailer line. */
#define MESH_HTTP_MAX_CHUNK_LINE 1024

/*
 * mesh_http_chunks_feed: read the chunked body's bytes in @data (@len bytes). Each piece of
 * chunk data is appended to @out, or dropped when @out is NULL. *@ret_used gets the bytes read:
 * all of @len, unless the body ended before it (then what follows is the next request's).
 * Returns MESH_HTTP_OK when the body is complete (last chunk and trailers read),
 * MESH_HTTP_MORE when more is needed, MESH_HTTP_BAD when it is malformed (a size that is not
 * hex or over 2^60, a line over MESH_HTTP_MAX_CHUNK_LINE, data not followed by CRLF).
 */
MeshHttpParse mesh_http_chunks_feed(MeshHttpChunks *chunks, const guint8 *data, gsize len,
                                    GByteArray *out, gsize *ret_used);

G_END_DECLS
