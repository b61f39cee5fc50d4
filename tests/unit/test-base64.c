/* SPDX-License-Identifier: MIT */
#include "base64.h"
#include "cutest.h"
#include "error.h"

#include <openssl/rand.h>
#include <string.h>

/* RFC 4648 §10, url alphabet, no padding; plus values that use '-' and '_'. */
static const struct {
	const char *in, *out;
} vectors[] = {
	{ "", "" },	      { "f", "Zg" },	     { "fo", "Zm8" },
	{ "foo", "Zm9v" },    { "foob", "Zm9vYg" },  { "fooba", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy" }, { "\xfb\xff", "-_8" }, { "\xff\xff\xff", "____" },
};

static void
test_vectors(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(vectors); i++) {
		gsize len = strlen(vectors[i].in), n = 0;
		g_autofree char *s = mesh_b64u_encode((const guint8 *)vectors[i].in, len);
		guint8 back[16];

		CU_ASSERT_STRING_EQUAL(s, vectors[i].out);
		CU_ASSERT_TRUE(mesh_b64u_decode(s, strlen(s), back, sizeof back, &n, NULL));
		CU_ASSERT_EQUAL(n, len);
		CU_ASSERT(n == 0 || memcmp(back, vectors[i].in, n) == 0);
	}
}

static void
test_every_character(void)
{
	const char *all = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	guint8 buf[48];
	gsize n = 0;
	g_autofree char *again = NULL;

	CU_ASSERT_TRUE(mesh_b64u_decode(all, 64, buf, sizeof buf, &n, NULL));
	CU_ASSERT_EQUAL(n, 48);
	again = mesh_b64u_encode(buf, n);
	CU_ASSERT_STRING_EQUAL(again, all);
}

static void
test_rejects(void)
{
	static const struct {
		const char *text;
		MeshError code;
	} bad[] = {
		{ "Zg==", MESH_ERROR_MALFORMED }, /* padding */
		{ "Zm9v+", MESH_ERROR_MALFORMED }, /* standard alphabet / bad length */
		{ "Zm+v", MESH_ERROR_MALFORMED },
		{ "Zm/v", MESH_ERROR_MALFORMED },
		{ "Zm v", MESH_ERROR_MALFORMED },
		{ "Z", MESH_ERROR_MALFORMED },    /* impossible length */
		{ "Zh", MESH_ERROR_MALFORMED },   /* non-zero trailing bits */
		{ "Zm9", MESH_ERROR_MALFORMED },  /* non-zero trailing bits */
	};
	guint8 out[8];
	gsize n = 777;

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		GError *error = NULL;

		CU_ASSERT_FALSE(mesh_b64u_decode(bad[i].text, strlen(bad[i].text), out, sizeof out,
						 &n, &error));
		MESH_ASSERT_ERROR(error, bad[i].code);
		CU_ASSERT_EQUAL(n, 777);
	}
	{
		GError *error = NULL;

		CU_ASSERT_FALSE(mesh_b64u_decode("Zm9vYmFyYmF6", 12, out, 8, &n, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
		CU_ASSERT_PTR_NULL(mesh_b64u_decode_bytes("Zm9vYmFy", 5, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	}
}

static void
test_round_trips(void)
{
	for (gsize len = 0; len < 200; len++) {
		guint8 data[200], back[200];
		gsize n = 0;
		g_autofree char *s = NULL;

		RAND_bytes(data, sizeof data);
		s = mesh_b64u_encode(data, len);
		CU_ASSERT_EQUAL(strlen(s), (len * 4 + 2) / 3);
		CU_ASSERT_TRUE(mesh_b64u_decode(s, strlen(s), back, sizeof back, &n, NULL));
		CU_ASSERT_EQUAL(n, len);
		CU_ASSERT(len == 0 || memcmp(data, back, len) == 0);
	}
}

static void
test_hex(void)
{
	static const guint8 data[] = { 0x00, 0x8e, 0xfe, 0x66, 0xff, 0x0a };
	g_autofree char *s = mesh_hex_encode(data, sizeof data);
	guint8 back[6];
	gsize n = 0;
	GError *error = NULL;

	CU_ASSERT_STRING_EQUAL(s, "008EFE66FF0A");
	CU_ASSERT_TRUE(mesh_hex_decode("008efe66FF0a", back, sizeof back, &n, &error));
	CU_ASSERT_EQUAL(n, 6);
	CU_ASSERT_EQUAL(memcmp(back, data, 6), 0);
	CU_ASSERT_FALSE(mesh_hex_decode("ABC", back, sizeof back, &n, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	CU_ASSERT_FALSE(mesh_hex_decode("0G", back, sizeof back, &n, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	CU_ASSERT_FALSE(mesh_hex_decode("0x00", back, sizeof back, &n, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	CU_ASSERT_FALSE(mesh_hex_decode("00112233445566", back, sizeof back, &n, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	CU_ASSERT_TRUE(mesh_hex_decode("", back, sizeof back, &n, &error));
	CU_ASSERT_EQUAL(n, 0);
}

static void
test_standard_base64(void)
{
	static const struct {
		const char *in, *out;
	} std[] = { { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" }, { "foobar", "Zm9vYmFy" },
		    { "\xfb\xff", "+/8=" } };
	GError *error = NULL;
	guint8 buf[64];
	gsize n = 0;
	char out[64];

	for (gsize i = 0; i < G_N_ELEMENTS(std); i++) {
		gsize len = strlen(std[i].in);
		gsize chars = mesh_b64_encoded_len(len, 0);

		CU_ASSERT_EQUAL(chars, strlen(std[i].out));
		mesh_b64_encode_wrapped((const guint8 *)std[i].in, len, 0, out);
		CU_ASSERT_EQUAL(memcmp(out, std[i].out, chars), 0);
		CU_ASSERT_TRUE(mesh_b64_decode_lines(std[i].out, chars, FALSE, buf, sizeof buf, &n,
						     "t", &error));
		CU_ASSERT_EQUAL(n, len);
		CU_ASSERT_EQUAL(memcmp(buf, std[i].in, len), 0);
	}
	/* Wrapped at 4 columns: a newline after each quad and at the end. */
	CU_ASSERT_EQUAL(mesh_b64_encoded_len(6, 4), 10);
	mesh_b64_encode_wrapped((const guint8 *)"foobar", 6, 4, out);
	CU_ASSERT_EQUAL(memcmp(out, "Zm9v\nYmFy\n", 10), 0);
	CU_ASSERT_TRUE(mesh_b64_decode_lines("Zm9v\r\nYmFy\n", 11, TRUE, buf, sizeof buf, &n, "t",
					     &error));
	CU_ASSERT_EQUAL(n, 6);
	/* Not canonical, misplaced padding, url alphabet, newlines when not allowed, too long. */
	CU_ASSERT_FALSE(mesh_b64_decode_lines("Zh==", 4, FALSE, buf, sizeof buf, &n, "t", &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	CU_ASSERT_FALSE(mesh_b64_decode_lines("Z=g=", 4, FALSE, buf, sizeof buf, &n, "t", &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	CU_ASSERT_FALSE(mesh_b64_decode_lines("-_8=", 4, FALSE, buf, sizeof buf, &n, "t", &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	CU_ASSERT_FALSE(mesh_b64_decode_lines("Zm9v\nYmFy", 9, FALSE, buf, sizeof buf, &n, "t",
					      &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	CU_ASSERT_FALSE(mesh_b64_decode_lines("Zm9vYmFy", 8, FALSE, buf, 5, &n, "t", &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
}

static CU_TestInfo tests[] = {
	{ "standard base64, padded and wrapped", test_standard_base64 },
	{ "RFC 4648 vectors (url alphabet)", test_vectors },
	{ "every character", test_every_character },
	{ "rejects non-canonical and bad input", test_rejects },
	{ "round trips", test_round_trips },
	{ "hex", test_hex },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("base64", tests);
}
