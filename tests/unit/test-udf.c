/* SPDX-License-Identifier: MIT */
#include "base32.h"
#include "cutest.h"
#include "error.h"
#include "json.h"
#include "udf.h"

#include <string.h>

static void
test_digest_known_answers(void)
{
	JsonNode *root = NULL;
	JsonArray *list = json_object_get_array_member(mesh_test_vectors(&root, "udf.json", NULL), "Digest");
	guint checked = 0;

	for (guint i = 0; i < json_array_get_length(list); i++) {
		JsonObject *v = json_array_get_object_element(list, i);
		const char *data = json_object_get_string_member(v, "Data");
		const char *want = json_object_get_string_member(v, "UDF");
		guint bits = (guint)json_object_get_int_member(v, "Bits");
		MeshUdfAlg alg;
		GError *error = NULL;
		g_autofree char *got = NULL;

		CU_ASSERT_TRUE(mesh_udf_alg_from_name(json_object_get_string_member(v, "Alg"), &alg,
						      NULL));
		got = mesh_udf_content_digest(alg, json_object_get_string_member(v, "ContentType"),
					      (const guint8 *)data, strlen(data), bits, &error);
		MESH_ASSERT_NO_ERROR(error);
		if (g_strcmp0(got, want) != 0)
			g_printerr("vector %u: got %s want %s\n", i, got, want);
		CU_ASSERT_STRING_EQUAL(got, want);
		checked++;
	}
	CU_ASSERT(checked >= 15);
	json_node_unref(root);
}

static void
test_authenticator_known_answers(void)
{
	JsonNode *root = NULL;
	JsonArray *list = json_object_get_array_member(mesh_test_vectors(&root, "udf.json", NULL), "Authenticator");

	CU_ASSERT(json_array_get_length(list) >= 3);
	for (guint i = 0; i < json_array_get_length(list); i++) {
		JsonObject *v = json_array_get_object_element(list, i);
		const char *data = json_object_get_string_member(v, "Data");
		GError *error = NULL;
		g_autofree char *got = mesh_udf_authenticator(
			json_object_get_string_member(v, "Key"),
			json_object_get_string_member(v, "ContentType"), (const guint8 *)data,
			strlen(data), (guint)json_object_get_int_member(v, "Bits"), &error);

		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_STRING_EQUAL(got, json_object_get_string_member(v, "UDF"));
	}
	json_node_unref(root);
}

static void
test_authenticator_depends_on_key_and_type(void)
{
	const guint8 data[] = "payload";
	g_autofree char *a = mesh_udf_authenticator("NDD7-6CMX-H2FW-ISAL-K4VB-DQ3E-PEDM",
						    "text/plain", data, 7, 140, NULL);
	g_autofree char *b = mesh_udf_authenticator("NDD7-6CMX-H2FW-ISAL-K4VB-DQ3E-PEDN",
						    "text/plain", data, 7, 140, NULL);
	g_autofree char *c = mesh_udf_authenticator("NDD7-6CMX-H2FW-ISAL-K4VB-DQ3E-PEDM",
						    "text/html", data, 7, 140, NULL);
	/* The key is used as text: the undashed form is a different key. */
	g_autofree char *d = mesh_udf_authenticator("NDD76CMXH2FWISALK4VBDQ3EPEDM", "text/plain",
						    data, 7, 140, NULL);
	GError *error = NULL;

	CU_ASSERT_EQUAL(a[0], 'A');
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	CU_ASSERT_STRING_NOT_EQUAL(a, c);
	CU_ASSERT_STRING_NOT_EQUAL(a, d);
	CU_ASSERT_PTR_NULL(mesh_udf_authenticator("", "text/plain", data, 7, 140, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(mesh_udf_authenticator("KEY", "text/plain", data, 7, 99, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
}

static void
test_prefix_property(void)
{
	static const guint bits[] = { 100, 101, 125, 140, 160, 200, 256, 300, 400, 440 };
	const guint8 data[] = "The prefix property";

	for (int alg = MESH_UDF_ALG_SHA512; alg <= MESH_UDF_ALG_SHA3_512; alg++) {
		g_autofree char *longest = mesh_udf_content_digest(
			alg, "text/plain", data, sizeof data - 1, MESH_UDF_BITS_MAX, NULL);
		g_autofree char *norm_long = mesh_udf_normalize(longest, NULL);

		CU_ASSERT_EQUAL(strlen(norm_long), 88);
		for (gsize i = 0; i < G_N_ELEMENTS(bits); i++) {
			g_autofree char *s = mesh_udf_content_digest(alg, "text/plain", data,
								     sizeof data - 1, bits[i], NULL);
			g_autofree char *norm = mesh_udf_normalize(s, NULL);

			/* ceil(bits / 5) characters, each a prefix of the longest */
			CU_ASSERT_EQUAL(strlen(norm), (bits[i] + 4) / 5);
			CU_ASSERT_EQUAL(strncmp(norm, norm_long, strlen(norm)), 0);
			/* dashed in groups of four */
			for (gsize c = 4; c < strlen(s); c += 5)
				CU_ASSERT_EQUAL(s[c], '-');
			CU_ASSERT_TRUE(mesh_udf_match(s, longest));
			CU_ASSERT_TRUE(mesh_udf_match(longest, s));
		}
	}
}

static void
test_precision_limits(void)
{
	GError *error = NULL;
	const guint8 d[] = "x";

	CU_ASSERT_PTR_NULL(mesh_udf_content_digest(MESH_UDF_ALG_SHA512, "text/plain", d, 1, 99,
						   &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(mesh_udf_content_digest(MESH_UDF_ALG_SHA512, "text/plain", d, 1, 441,
						   &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(mesh_udf_content_digest(MESH_UDF_ALG_SHA512, "\xff", d, 1, 140,
						   &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_udf_alg_from_name("md5", &(MeshUdfAlg){ 0 }, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
}

static void
set_trailing_zeros(guint8 tcdv[64], guint z)
{
	memset(tcdv, 0xff, 64);
	for (guint b = 0; b < z; b++)
		tcdv[63 - b / 8] &= (guint8)~(1u << (b % 8));
}

static void
test_compression_levels(void)
{
	static const struct {
		guint zeros, level;
	} cases[] = { { 0, 0 },	 { 19, 0 }, { 20, 1 }, { 29, 1 }, { 30, 2 }, { 39, 2 },
		      { 40, 3 }, { 49, 3 }, { 50, 4 }, { 64, 4 }, { 512, 4 } };
	guint8 tcdv[64];

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		set_trailing_zeros(tcdv, cases[i].zeros);
		CU_ASSERT_EQUAL(mesh_udf_compression(tcdv), cases[i].level);
	}
}

static void
test_compressed_type_bytes(void)
{
	/* The known compressed vectors carry type 97 (SHA-512, c = 1) and 81 (SHA3-512, c = 1). */
	static const struct {
		MeshUdfAlg alg;
		const char *data;
		guint8 type;
	} cases[] = {
		{ MESH_UDF_ALG_SHA512, "UDF Compressed Document 4187123", 97 },
		{ MESH_UDF_ALG_SHA3_512, "UDF Compressed Document 774665", 81 },
		{ MESH_UDF_ALG_SHA512, "UDF Data Value", 96 },
		{ MESH_UDF_ALG_SHA3_512, "UDF Data Value", 80 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(MeshUdfDigest) d = mesh_udf_digest_new(cases[i].alg);
		guint8 bin[MESH_UDF_DIGEST_BINARY_LEN];

		mesh_udf_digest_update(d, cases[i].data, strlen(cases[i].data));
		CU_ASSERT_TRUE(mesh_udf_digest_finish(d, "text/plain", bin, NULL));
		CU_ASSERT_EQUAL(bin[0], cases[i].type);
	}
}

static void
test_streaming_equals_one_shot(void)
{
	g_autofree guint8 *buf = g_malloc(100000);
	g_autoptr(MeshUdfDigest) d = mesh_udf_digest_new(MESH_UDF_ALG_SHA3_512);
	guint8 bin[MESH_UDF_DIGEST_BINARY_LEN];
	g_autofree char *one = NULL, *streamed = NULL;

	for (gsize i = 0; i < 100000; i++)
		buf[i] = (guint8)(i * 7 + i / 251);
	one = mesh_udf_content_digest(MESH_UDF_ALG_SHA3_512, MESH_UDF_CT_OCTET_STREAM, buf,
				      100000, 200, NULL);
	for (gsize off = 0; off < 100000; off += 333)
		mesh_udf_digest_update(d, buf + off, MIN(333, 100000 - off));
	CU_ASSERT_TRUE(mesh_udf_digest_finish(d, MESH_UDF_CT_OCTET_STREAM, bin, NULL));
	streamed = mesh_udf_present(bin, sizeof bin, 200, NULL);
	CU_ASSERT_STRING_EQUAL(one, streamed);
}

static void
test_parse(void)
{
	GError *error = NULL;
	g_autoptr(GBytes) bin = NULL;
	guint8 type = 0;
	guint bits = 0;
	const guint8 *p;
	gsize n = 0;

	CU_ASSERT_TRUE(mesh_udf_parse("mddk-7n6a-727a-jzno-strx-xks7-djaf", &type, &bin, &bits,
				      &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(type, MESH_UDF_TYPE_SHA2_512);
	CU_ASSERT_EQUAL(bits, 140);
	p = g_bytes_get_data(bin, &n);
	/* 140 bits -> 17 whole bytes: the type byte and the first 16 of the TCDV (C6 AF B7 ...). */
	CU_ASSERT_EQUAL(n, 17);
	CU_ASSERT_EQUAL(p[0], 0x60);
	CU_ASSERT_EQUAL(p[1], 0xC6);
	CU_ASSERT_EQUAL(p[2], 0xAF);
	CU_ASSERT_EQUAL(p[3], 0xB7);

	CU_ASSERT_TRUE(mesh_udf_parse("KCFINCQGDRKG47R7OVPTTCHZ7UXY", &type, NULL, NULL, NULL));
	CU_ASSERT_EQUAL(type, MESH_UDF_TYPE_SHA3_512);
}

static void
test_parse_rejects(void)
{
	static const struct {
		const char *text;
		MeshError code;
	} bad[] = {
		{ "MDDK-7N6A-727A-JZNO-STR", MESH_ERROR_MALFORMED }, /* 95 bits */
		{ "", MESH_ERROR_MALFORMED },
		{ "MDDK-7N6A-727A-JZNO-STR1", MESH_ERROR_MALFORMED },
		{ "MDDK 7N6A 727A JZNO STRX", MESH_ERROR_MALFORMED },
		{ "MDDK-7N6A-727A-JZNO-STRX-=", MESH_ERROR_MALFORMED },
	};
	g_autofree char *huge = g_strnfill(MESH_UDF_TEXT_MAX + 1, 'A');
	g_autofree char *enormous = g_strnfill(100000, 'A');
	GError *error = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		CU_ASSERT_FALSE(mesh_udf_parse(bad[i].text, NULL, NULL, NULL, &error));
		MESH_ASSERT_ERROR(error, bad[i].code);
	}
	CU_ASSERT_FALSE(mesh_udf_parse(huge, NULL, NULL, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	CU_ASSERT_FALSE(mesh_udf_parse(enormous, NULL, NULL, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	CU_ASSERT_FALSE(mesh_udf_parse(NULL, NULL, NULL, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
}

static void
test_match(void)
{
	const char *full = "MDDK-7N6A-727A-JZNO-STRX-XKS7-DJAF-XI6O-ZSLU-2VOA";

	CU_ASSERT_TRUE(mesh_udf_match("MDDK-7N6A-727A-JZNO-STRX", full));
	CU_ASSERT_TRUE(mesh_udf_match("mddk7n6a727ajznostrxxks7", full));
	/* One character different */
	CU_ASSERT_FALSE(mesh_udf_match("MDDK-7N6A-727A-JZNO-STRY", full));
	/* Another type: same digest bits under type K */
	CU_ASSERT_FALSE(mesh_udf_match("KDDK-7N6A-727A-JZNO-STRX", full));
	/* Too short to match (95 bits) */
	CU_ASSERT_FALSE(mesh_udf_match("MDDK-7N6A-727A-JZNO-STR", full));
	CU_ASSERT_FALSE(mesh_udf_match(NULL, full));
	CU_ASSERT_FALSE(mesh_udf_match("MDDK-7N6A-727A-JZNO-STR!", full));
}

static void
test_nonce(void)
{
	static const guint bits[] = { 100, 128, 140, 256, 440 };

	for (gsize i = 0; i < G_N_ELEMENTS(bits); i++) {
		GError *error = NULL;
		g_autofree char *a = mesh_udf_nonce(bits[i], &error);
		g_autofree char *b = mesh_udf_nonce(bits[i], &error);
		g_autofree char *na = NULL;
		guint8 type = 0;
		guint got_bits = 0;

		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_EQUAL(a[0], 'N');
		CU_ASSERT_STRING_NOT_EQUAL(a, b);
		na = mesh_udf_normalize(a, NULL);
		CU_ASSERT_EQUAL(strlen(na), (bits[i] + 4) / 5);
		CU_ASSERT_TRUE(mesh_udf_parse(a, &type, NULL, &got_bits, NULL));
		CU_ASSERT_EQUAL(type, MESH_UDF_TYPE_NONCE);
		CU_ASSERT(got_bits >= bits[i]);
	}
	{
		GError *error = NULL;

		CU_ASSERT_PTR_NULL(mesh_udf_nonce(50, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	}
}

static void
test_key_fingerprint(void)
{
	/* RFC 8037 A.2 Ed25519 public key as SPKI DER (302a300506032b6570032100 || x). */
	static const guint8 spki[] = {
		0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
		0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3,
		0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25,
		0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
	};
	g_autofree char *fp = mesh_udf_key_fingerprint(spki, sizeof spki, 0, NULL);
	g_autofree char *cd = mesh_udf_content_digest(MESH_UDF_ALG_SHA512, "application/pkix-keyinfo",
						      spki, sizeof spki, 140, NULL);
	g_autofree char *other = mesh_udf_content_digest(MESH_UDF_ALG_SHA512, "application/octet-stream",
							 spki, sizeof spki, 140, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	CU_ASSERT_EQUAL(fp[0], 'M');
	CU_ASSERT_EQUAL(strlen(fp), 34);
	CU_ASSERT_STRING_EQUAL(fp, cd);
	CU_ASSERT_STRING_NOT_EQUAL(fp, other);
}

static void
test_present_limits(void)
{
	guint8 bin[17] = { 0x60 };
	GError *error = NULL;
	g_autofree char *all = mesh_udf_present(bin, sizeof bin, 0, &error);

	CU_ASSERT_PTR_NOT_NULL(all);
	/* 17 bytes hold 136 bits: 140 bits of precision would invent data. */
	CU_ASSERT_PTR_NULL(mesh_udf_present(bin, sizeof bin, 140, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
}

static CU_TestInfo tests[] = {
	{ "content digest known answers", test_digest_known_answers },
	{ "authenticator known answers", test_authenticator_known_answers },
	{ "authenticator depends on key and type", test_authenticator_depends_on_key_and_type },
	{ "prefix property", test_prefix_property },
	{ "precision limits", test_precision_limits },
	{ "compression levels", test_compression_levels },
	{ "compressed type bytes", test_compressed_type_bytes },
	{ "streaming equals one shot", test_streaming_equals_one_shot },
	{ "parse", test_parse },
	{ "parse rejects", test_parse_rejects },
	{ "match", test_match },
	{ "nonce", test_nonce },
	{ "key fingerprint", test_key_fingerprint },
	{ "present limits", test_present_limits },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("udf", tests);
}
