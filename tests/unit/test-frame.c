/* SPDX-License-Identifier: MIT */
#include "cutest.h"
#include "frame.h"

#include <string.h>

/* Feed all of @data, taking each complete frame into @frames (GBytes). */
static MeshError
feed_all(MeshFrameReader *reader, const guint8 *data, gsize len, GPtrArray *frames)
{
	while (len > 0) {
		const guint8 *frame;
		gsize used = 0, flen = 0;
		MeshError err = mesh_frame_reader_feed(reader, data, len, &used);

		if (err != MESH_ERROR_OK)
			return err;
		CU_ASSERT_TRUE_FATAL(used > 0 && used <= len);
		data += used;
		len -= used;
		frame = mesh_frame_reader_frame(reader, &flen);
		if (frame != NULL) {
			g_ptr_array_add(frames, g_bytes_new(frame, flen));
			mesh_frame_reader_next(reader);
		}
	}
	return MESH_ERROR_OK;
}

static void
test_encode(void)
{
	g_autoptr(GBytes) frame = NULL;
	g_autoptr(GBytes) untouched = NULL;
	const guint8 *p;
	gsize len = 0;

	CU_ASSERT_EQUAL(mesh_frame_encode((const guint8 *)"{}", 2, MESH_FRAME_MAX, &frame),
			MESH_ERROR_OK);
	p = g_bytes_get_data(frame, &len);
	CU_ASSERT_EQUAL_FATAL(len, 6);
	CU_ASSERT_EQUAL(memcmp(p, "\0\0\0\2{}", 6), 0);
	CU_ASSERT_EQUAL(mesh_frame_length(p), 2);
	CU_ASSERT_EQUAL(mesh_frame_length((const guint8 *)"\x01\x02\x03\x04"), 0x01020304u);
	/* Empty and oversize bodies are refused, and the output is not written. */
	CU_ASSERT_EQUAL(mesh_frame_encode((const guint8 *)"", 0, MESH_FRAME_MAX, &untouched),
			MESH_ERROR_MALFORMED);
	CU_ASSERT_EQUAL(mesh_frame_encode((const guint8 *)"abcd", 4, 3, &untouched),
			MESH_ERROR_TOO_LARGE);
	CU_ASSERT_PTR_NULL(untouched);
}

static void
test_round_trip(void)
{
	static const char *const bodies[] = { "a", "{\"Id\":1}", "0123456789abcdef" };
	g_autoptr(GByteArray) stream = g_byte_array_new();
	g_autoptr(GPtrArray) frames = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);

	for (gsize i = 0; i < G_N_ELEMENTS(bodies); i++) {
		g_autoptr(GBytes) frame = NULL;

		CU_ASSERT_EQUAL_FATAL(mesh_frame_encode((const guint8 *)bodies[i],
							strlen(bodies[i]), 16, &frame),
				      MESH_ERROR_OK);
		g_byte_array_append(stream, g_bytes_get_data(frame, NULL),
				    g_bytes_get_size(frame));
	}
	/* All at once: feeding stops at each frame's end. */
	{
		g_autoptr(MeshFrameReader) reader = mesh_frame_reader_new(16);

		CU_ASSERT_EQUAL(feed_all(reader, stream->data, stream->len, frames),
				MESH_ERROR_OK);
		CU_ASSERT_FALSE(mesh_frame_reader_pending(reader));
	}
	/* One byte at a time. */
	{
		g_autoptr(MeshFrameReader) reader = mesh_frame_reader_new(16);

		for (guint i = 0; i < stream->len; i++) {
			CU_ASSERT_EQUAL(feed_all(reader, stream->data + i, 1, frames),
					MESH_ERROR_OK);
			if (i + 1 < stream->len && i > 0 && i < 4)
				CU_ASSERT_TRUE(mesh_frame_reader_pending(reader));
		}
	}
	CU_ASSERT_EQUAL_FATAL(frames->len, 2 * G_N_ELEMENTS(bodies));
	for (guint i = 0; i < frames->len; i++) {
		const char *want = bodies[i % G_N_ELEMENTS(bodies)];
		gsize len = 0;
		const guint8 *got = g_bytes_get_data(frames->pdata[i], &len);

		CU_ASSERT_EQUAL(len, strlen(want));
		CU_ASSERT_EQUAL(memcmp(got, want, len), 0);
	}
}

static void
test_bad_lengths(void)
{
	static const guint8 zero[] = { 0, 0, 0, 0, 'x' };
	static const guint8 over[] = { 0, 0, 0, 17, 'x' };
	static const guint8 huge[] = { 0xff, 0xff, 0xff, 0xff };
	static const guint8 max[] = { 0, 0x10, 0, 1 }; /* MESH_FRAME_MAX + 1 */
	g_autoptr(GPtrArray) frames = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	struct {
		const guint8 *data;
		gsize len;
		gsize max;
		MeshError want;
	} cases[] = {
		{ zero, sizeof zero, 16, MESH_ERROR_MALFORMED },
		{ over, sizeof over, 16, MESH_ERROR_TOO_LARGE },
		{ huge, sizeof huge, MESH_FRAME_MAX, MESH_ERROR_TOO_LARGE },
		/* A reader never takes more than MESH_FRAME_MAX, whatever it is asked for. */
		{ max, sizeof max, G_MAXSIZE, MESH_ERROR_TOO_LARGE },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(MeshFrameReader) reader = mesh_frame_reader_new(cases[i].max);
		gsize used = 0;

		CU_ASSERT_EQUAL(feed_all(reader, cases[i].data, cases[i].len, frames),
				cases[i].want);
		/* The framing is lost: everything after is refused. */
		CU_ASSERT_EQUAL(mesh_frame_reader_feed(reader, (const guint8 *)"{}", 2, &used),
				cases[i].want);
		CU_ASSERT_PTR_NULL(mesh_frame_reader_frame(reader, &used));
	}
	CU_ASSERT_EQUAL(frames->len, 0);
}

static void
test_exact_max_and_truncated(void)
{
	g_autoptr(MeshFrameReader) reader = mesh_frame_reader_new(16);
	guint8 frame[4 + 16] = { 0, 0, 0, 16 };
	const guint8 *body;
	gsize used = 0, len = 0;

	memset(frame + 4, 'z', 16);
	/* Header and part of the body: pending, no frame yet. */
	CU_ASSERT_EQUAL(mesh_frame_reader_feed(reader, frame, 10, &used), MESH_ERROR_OK);
	CU_ASSERT_EQUAL(used, 10);
	CU_ASSERT_TRUE(mesh_frame_reader_pending(reader));
	CU_ASSERT_PTR_NULL(mesh_frame_reader_frame(reader, &len));
	CU_ASSERT_EQUAL(mesh_frame_reader_feed(reader, NULL, 0, &used), MESH_ERROR_OK);
	CU_ASSERT_EQUAL(used, 0);
	CU_ASSERT_EQUAL(mesh_frame_reader_feed(reader, frame + 10, 10, &used), MESH_ERROR_OK);
	body = mesh_frame_reader_frame(reader, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(body);
	CU_ASSERT_EQUAL(len, 16);
	CU_ASSERT_EQUAL(memcmp(body, frame + 4, 16), 0);
	CU_ASSERT_FALSE(mesh_frame_reader_pending(reader));
	/* A waiting frame must be taken before more is fed. */
	CU_ASSERT_EQUAL(mesh_frame_reader_feed(reader, frame, 4, &used),
			MESH_ERROR_INVALID_ARGUMENT);
	mesh_frame_reader_next(reader);
	CU_ASSERT_PTR_NULL(mesh_frame_reader_frame(reader, &len));
	CU_ASSERT_EQUAL(mesh_frame_reader_feed(reader, frame, 2, &used), MESH_ERROR_OK);
	CU_ASSERT_TRUE(mesh_frame_reader_pending(reader));
	mesh_frame_reader_free(NULL);
}

static CU_TestInfo tests[] = {
	{ "encode: header, empty and oversize bodies", test_encode },
	{ "frames round trip, whole and byte by byte", test_round_trip },
	{ "zero and oversize lengths are refused for good", test_bad_lengths },
	{ "a frame of the maximum size; a truncated frame", test_exact_max_and_truncated },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("frame", tests);
}
