/* SPDX-License-Identifier: MIT */
#include "base32.h"
#include "cutest.h"
#include "error.h"

#include <openssl/rand.h>
#include <string.h>

/* RFC 4648 §10 test vectors, without padding. */
static const struct {
	const char *in, *out;
} rfc4648[] = {
	{ "", "" },	       { "f", "MY" },		{ "fo", "MZXQ" },
	{ "foo", "MZXW6" },    { "foob", "MZXW6YQ" },	{ "fooba", "MZXW6YTB" },
	{ "foobar", "MZXW6YTBOI" },
};

static void
test_rfc4648_encode(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(rfc4648); i++) {
		g_autofree char *s = mesh_base32_encode((const guint8 *)rfc4648[i].in,
							strlen(rfc4648[i].in), 0);

		CU_ASSERT_STRING_EQUAL(s, rfc4648[i].out);
		CU_ASSERT_EQUAL(mesh_base32_encoded_len(strlen(rfc4648[i].in)), strlen(s));
	}
}

static void
test_rfc4648_decode(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(rfc4648); i++) {
		GError *error = NULL;
		g_autoptr(GBytes) b = mesh_base32_decode_bytes(rfc4648[i].out, 16, &error);
		gsize n = 0;
		const char *d;

		MESH_ASSERT_NO_ERROR(error);
		d = g_bytes_get_data(b, &n);
		CU_ASSERT_EQUAL(n, strlen(rfc4648[i].in));
		CU_ASSERT(n == 0 || memcmp(d, rfc4648[i].in, n) == 0);
	}
}

static void
test_all_characters(void)
{
	/* Every 5-bit value in order: 00000 00001 ... 11111 is 20 bytes of known pattern. */
	guint8 bytes[20] = { 0 };
	g_autofree char *s = NULL;
	guint8 back[20];
	gsize n = 0;

	for (unsigned v = 0; v < 32; v++) {
		for (unsigned b = 0; b < 5; b++) {
			unsigned bit = v * 5 + b;

			if (v & (16u >> b))
				bytes[bit / 8] |= (guint8)(0x80u >> (bit % 8));
		}
	}
	s = mesh_base32_encode(bytes, sizeof bytes, 0);
	CU_ASSERT_STRING_EQUAL(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
	CU_ASSERT_TRUE(mesh_base32_decode("abcdefghijklmnopqrstuvwxyz234567", back, sizeof back, &n,
					  NULL));
	CU_ASSERT_EQUAL(n, 20);
	CU_ASSERT_EQUAL(memcmp(back, bytes, 20), 0);
}

static void
test_truncated_encoding(void)
{
	static const guint8 data[] = { 0xff, 0xff, 0xff };
	g_autofree char *s3 = mesh_base32_encode(data, sizeof data, 3);
	g_autofree char *s99 = mesh_base32_encode(data, sizeof data, 99);

	CU_ASSERT_STRING_EQUAL(s3, "777");
	CU_ASSERT_STRING_EQUAL(s99, "77776");
}

static void
test_dashed(void)
{
	g_autofree char *a = mesh_base32_dashed("ABCDEFGHIJ");
	g_autofree char *b = mesh_base32_dashed("ABCDEFGH");
	g_autofree char *c = mesh_base32_dashed("");
	g_autofree char *d = mesh_base32_dashed("ABC");

	CU_ASSERT_STRING_EQUAL(a, "ABCD-EFGH-IJ");
	CU_ASSERT_STRING_EQUAL(b, "ABCD-EFGH");
	CU_ASSERT_STRING_EQUAL(c, "");
	CU_ASSERT_STRING_EQUAL(d, "ABC");
}

static void
test_tolerant_parsing(void)
{
	guint8 out[16];
	gsize n = 0;

	/* Dashes anywhere, lower case, and a trailing partial byte (the 'Q' of MZXQ). */
	CU_ASSERT_TRUE(mesh_base32_decode("mz-xw-6ytboi", out, sizeof out, &n, NULL));
	CU_ASSERT_EQUAL(n, 6);
	CU_ASSERT_EQUAL(memcmp(out, "foobar", 6), 0);
	CU_ASSERT_TRUE(mesh_base32_decode("MZXW6YTBOIA", out, sizeof out, &n, NULL));
	CU_ASSERT_EQUAL(n, 6);
	CU_ASSERT_TRUE(mesh_base32_decode("-", out, sizeof out, &n, NULL));
	CU_ASSERT_EQUAL(n, 0);
}

static void
test_rejects(void)
{
	static const char *const bad[] = { "MZXW1", "MZXW8", "MZ XW", "MZXW=", "MZ\tX", "MZ_X",
					   "M\xc3\xa9", "0", "9", "@", "[", "`", "{" };
	guint8 out[16] = { 0xaa };
	gsize n = 12345;

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		GError *error = NULL;

		CU_ASSERT_FALSE(mesh_base32_decode(bad[i], out, sizeof out, &n, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
		CU_ASSERT_EQUAL(n, 12345);
	}
	/* Position of the bad character is reported. */
	{
		GError *error = NULL;

		CU_ASSERT_FALSE(mesh_base32_decode("ABC!", out, sizeof out, &n, &error));
		CU_ASSERT_PTR_NOT_NULL_FATAL(error);
		CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "character 4"));
		g_clear_error(&error);
	}
}

static void
test_oversize(void)
{
	GError *error = NULL;
	guint8 out[5];
	gsize n = 0;

	/* 8 characters = 5 bytes fit exactly; 10 do not. */
	CU_ASSERT_TRUE(mesh_base32_decode("MZXW6YTB", out, sizeof out, &n, &error));
	CU_ASSERT_EQUAL(n, 5);
	CU_ASSERT_FALSE(mesh_base32_decode("MZXW6YTBOI", out, sizeof out, &n, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	/* The partial output was wiped. */
	for (gsize i = 0; i < sizeof out; i++)
		CU_ASSERT_EQUAL(out[i], 0);
}

static void
test_random_round_trips(void)
{
	for (int iter = 0; iter < 500; iter++) {
		guint8 data[64], back[64];
		gsize len = (gsize)(iter % 65), n = 0;
		g_autofree char *s = NULL, *dashed = NULL;

		RAND_bytes(data, sizeof data);
		s = mesh_base32_encode(data, len, 0);
		dashed = mesh_base32_dashed(s);
		CU_ASSERT_TRUE(mesh_base32_decode(dashed, back, sizeof back, &n, NULL));
		CU_ASSERT_EQUAL(n, len);
		CU_ASSERT(len == 0 || memcmp(data, back, len) == 0);
	}
}

static CU_TestInfo tests[] = {
	{ "RFC 4648 encode", test_rfc4648_encode },
	{ "RFC 4648 decode", test_rfc4648_decode },
	{ "every character", test_all_characters },
	{ "encode a prefix", test_truncated_encoding },
	{ "dashed presentation", test_dashed },
	{ "tolerant parsing", test_tolerant_parsing },
	{ "rejects bad characters", test_rejects },
	{ "rejects oversize", test_oversize },
	{ "random round trips", test_random_round_trips },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("base32", tests);
}
