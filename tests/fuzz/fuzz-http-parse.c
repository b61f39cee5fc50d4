/* SPDX-License-Identifier: MIT */
/*
 * The portal's HTTP request reader (portal/http-parse.h) on bytes from anyone: a head it takes
 * points only into what it was given and reads the same under any limit that holds it; a chunked
 * body reads the same whole or in two pieces, which is how the network delivers it.
 *
 * The input: the head parser sees the bytes before the first 0x00 (all of them when there is
 * none), so that a NUL marks "what has arrived" while a body may still hold any byte. The body is
 * everything after the head (or the whole input when no head was read, so that the chunk reader
 * is fuzzed on its own too); it is split in two at a place chosen by the input's last byte.
 */
#include <string.h>

#include "fuzz.h"
#include "http-parse.h"

/* The server's own limit on a head is of this order. */
#define MAX_HEAD 8192

/* Whether [@p, @p + @len) lies within [@data, @data + @size); as integers, since @p may be
 * another object altogether (the static "/"). */
static gboolean
within(const guint8 *data, gsize size, const char *p, gsize len)
{
	guintptr start = (guintptr)data, at = (guintptr)p;

	return at >= start && at - start <= size && len <= size - (at - start);
}

/* What a head read as OK must satisfy; @size is what the parser was given. */
static void
check_head(const guint8 *data, gsize size, gsize max_head, const MeshHttpHead *head, gsize used)
{
	if (used == 0 || used > size || used > max_head)
		__builtin_trap();
	/* Method and target are in the head itself, before its empty line. */
	if (head->method_len == 0 || !within(data, used, head->method, head->method_len) ||
	    head->target_len == 0 || !within(data, used, head->target, head->target_len))
		__builtin_trap();
	/* The path is part of the target, or the "/" of an absolute-form target without one. */
	if (!within((const guint8 *)head->target, head->target_len, head->path, head->path_len) &&
	    !(head->path_len == 1 && head->path[0] == '/'))
		__builtin_trap();
	if (head->content_type != NULL &&
	    !within(data, used, head->content_type, head->content_type_len))
		__builtin_trap();
	if (head->minor > 1 || head->content_length < -1)
		__builtin_trap();
	/* One framing at most, and none but Content-Length from HTTP/1.0. */
	if (head->chunked && (head->content_length >= 0 || head->minor == 0))
		__builtin_trap();
	if (head->minor == 0 && head->expect_continue)
		__builtin_trap();
}

/* Two reads of the same head, under two limits that both hold it, agree field by field. */
static void
check_same(const MeshHttpHead *a, const MeshHttpHead *b)
{
	if (a->method != b->method || a->method_len != b->method_len || a->target != b->target ||
	    a->target_len != b->target_len || a->path_len != b->path_len || a->minor != b->minor ||
	    a->content_length != b->content_length || a->chunked != b->chunked ||
	    a->keep_alive != b->keep_alive || a->expect_continue != b->expect_continue ||
	    a->content_type != b->content_type || a->content_type_len != b->content_type_len ||
	    memcmp(a->path, b->path, a->path_len) != 0)
		__builtin_trap();
}

/* Read @body as a chunked body whole, and in two pieces split at @at: the same result, the same
 * data, the same bytes used. */
static void
check_chunks(const guint8 *body, gsize len, gsize at)
{
	MeshHttpChunks whole_state = {0}, split_state = {0}, dropped_state = {0};
	g_autoptr(GByteArray) whole = g_byte_array_new();
	g_autoptr(GByteArray) split = g_byte_array_new();
	gsize whole_used = 0, split_used = 0, more = 0, dropped_used = 0;
	MeshHttpParse r_whole, r_split, r_dropped;

	r_whole = mesh_http_chunks_feed(&whole_state, body, len, whole, &whole_used);
	r_split = mesh_http_chunks_feed(&split_state, body, at, split, &split_used);
	if (r_split == MESH_HTTP_MORE) {
		if (split_used != at)
			__builtin_trap();
		r_split = mesh_http_chunks_feed(&split_state, body + at, len - at, split, &more);
		split_used += more;
	}
	/* No output: the same reading, nothing kept. */
	r_dropped = mesh_http_chunks_feed(&dropped_state, body, len, NULL, &dropped_used);

	if (r_whole != r_split || r_whole != r_dropped)
		__builtin_trap();
	if (r_whole != MESH_HTTP_OK && r_whole != MESH_HTTP_MORE && r_whole != MESH_HTTP_BAD)
		__builtin_trap();
	/* The data given out is the same up to a refusal too: both stop at the same byte. */
	if (whole->len != split->len ||
	    (whole->len > 0 && memcmp(whole->data, split->data, whole->len) != 0))
		__builtin_trap();
	if (whole->len > len)
		__builtin_trap();
	if (r_whole == MESH_HTTP_BAD)
		return;
	if (whole_used != split_used || whole_used != dropped_used || whole_used > len ||
	    (r_whole == MESH_HTTP_MORE && whole_used != len))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const guint8 *nul = memchr(data, 0, size);
	gsize len = nul != NULL ? (gsize)(nul - data) : size;
	gsize limits[2] = {MIN(len, MAX_HEAD), len / 2};
	MeshHttpHead heads[2];
	gsize used[2] = {0, 0};
	MeshHttpParse r[2];
	const MeshHttpHead *head = NULL;
	gsize head_used = 0, body_len;
	guint8 pick;

	for (int i = 0; i < 2; i++) {
		r[i] = mesh_http_parse_head(data, len, limits[i], &heads[i], &used[i]);
		if (r[i] > MESH_HTTP_EXPECTATION)
			__builtin_trap();
		if (r[i] != MESH_HTTP_OK)
			continue;
		check_head(data, len, limits[i], &heads[i], used[i]);
		head = &heads[i];
		head_used = used[i];
		/* One byte short of its empty line, the head is incomplete (room left: MORE). */
		{
			MeshHttpHead part;
			gsize part_used = 1;

			if (mesh_http_parse_head(data, used[i] - 1, used[i], &part, &part_used) !=
			            MESH_HTTP_MORE ||
			    part_used != 0)
				__builtin_trap();
		}
		if (head->content_type != NULL)
			(void)mesh_http_is_json(head->content_type, head->content_type_len);
	}
	/* A head read under one limit reads the same under any other that holds it. */
	for (int i = 0; i < 2; i++) {
		int j = 1 - i;

		if (r[i] != MESH_HTTP_OK || used[i] > limits[j])
			continue;
		if (r[j] != MESH_HTTP_OK || used[j] != used[i])
			__builtin_trap();
		check_same(&heads[i], &heads[j]);
	}

	/* The body: after the head, or the whole input when there is none. */
	if (head == NULL)
		head_used = 0;
	body_len = size - head_used;
	pick = size > 0 ? data[size - 1] : 0;
	check_chunks(data + head_used, body_len, (gsize)((guint64)body_len * pick / 255));
	return 0;
}
