/* SPDX-License-Identifier: MIT */
/* Blowfish (the generated pi table) and bcrypt_pbkdf: published known answers. */
#include "bcrypt_pbkdf.h"
#include "cutest.h"
#include "error.h"

#include <string.h>

static gsize
unhex(const char *hex, guint8 *out, gsize out_size)
{
	gsize n = strlen(hex) / 2;

	CU_ASSERT_FATAL(n <= out_size);
	for (gsize i = 0; i < n; i++) {
		char pair[3] = { hex[2 * i], hex[2 * i + 1], '\0' };

		out[i] = (guint8)strtoul(pair, NULL, 16);
	}
	return n;
}

/* Eric Young's Blowfish ECB vectors (key, plaintext, ciphertext), the last with a 24-byte key;
 * cross-checked against an independent Blowfish. */
static const char *const blowfish_vectors[][3] = {
	{ "0000000000000000", "0000000000000000", "4EF997456198DD78" },
	{ "FFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFF", "51866FD5B85ECB8A" },
	{ "3000000000000000", "1000000000000001", "7D856F9A613063F2" },
	{ "1111111111111111", "1111111111111111", "2466DD878B963C9D" },
	{ "0123456789ABCDEF", "1111111111111111", "61F9C3802281B096" },
	{ "1111111111111111", "0123456789ABCDEF", "7D0CC630AFDA1EC7" },
	{ "FEDCBA9876543210", "0123456789ABCDEF", "0ACEAB0FC6A0A28D" },
	{ "7CA110454A1A6E57", "01A1D6D039776742", "59C68245EB05282B" },
	{ "F0E1D2C3B4A5968778695A4B3C2D1E0F0011223344556677", "FEDCBA9876543210",
	  "05044B62FA52D080" },
};

static void
test_blowfish_vectors(void)
{
	for (gsize v = 0; v < G_N_ELEMENTS(blowfish_vectors); v++) {
		GError *error = NULL;
		MeshBlowfish bf;
		guint8 key[32], block[8], want[8];
		gsize key_len = unhex(blowfish_vectors[v][0], key, sizeof key);

		unhex(blowfish_vectors[v][1], block, sizeof block);
		unhex(blowfish_vectors[v][2], want, sizeof want);
		CU_ASSERT_TRUE_FATAL(mesh_blowfish_init(&bf, key, key_len, &error));
		mesh_blowfish_encrypt(&bf, block);
		if (memcmp(block, want, 8) != 0)
			g_printerr("Blowfish vector %" G_GSIZE_FORMAT " fails\n", v);
		CU_ASSERT_EQUAL(memcmp(block, want, 8), 0);
		mesh_blowfish_clear(&bf);
	}
}

static void
test_blowfish_table(void)
{
	/* The first P word and the last S-box word of the table (pi's hex digits 1-8 and
	 * 8329-8336), and the key schedule refuses lengths outside 1..72. */
	GError *error = NULL;
	MeshBlowfish bf;
	guint8 key[MESH_BLOWFISH_KEY_MAX + 1] = { 0 };

	CU_ASSERT_TRUE(mesh_blowfish_init(&bf, key, MESH_BLOWFISH_KEY_MAX, &error));
	CU_ASSERT_FALSE(mesh_blowfish_init(&bf, key, 0, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_blowfish_init(&bf, key, sizeof key, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	mesh_blowfish_clear(&bf);
}

/* OpenBSD's regress vectors for bcrypt_pbkdf(3) (lengths given because of embedded NULs). */
static const struct {
	const char *pass;
	gsize pass_len;
	const char *salt;
	gsize salt_len;
	unsigned rounds;
	const char *key;
} pbkdf_vectors[] = {
	{ "password", 8, "salt", 4, 4,
	  "5bbf0cc293587f1c3635555c27796598d47e579071bf427e9d8fbe842aba34d9" },
	{ "password", 8, "\0", 1, 4, "c12b566235eee04c212598970a579a67" },
	{ "\0", 1, "salt", 4, 4, "6051be18c2f4f82cbf0efee5471b4bb9" },
	{ "password\0", 9, "salt\0", 5, 4,
	  "7410e44cf4fa07bfaac8a928b1727fac001375e7bf7384370f48efd121743050" },
	{ "pass\0wor", 8, "sa\0l", 4, 4, "c2bffd9db38f6569efef4372f4de83c0" },
	{ "pass\0word", 9, "sa\0lt", 5, 4, "4ba4ac3925c0e8d7f0cdb6bb1684a56f" },
	/* 64 bytes: two blocks, strided */
	{ "password", 8, "salt", 4, 8,
	  "e1367ec5151a33faac4cc1c144cd23fa15d5548493ecc99b9b5d9c0d3b27bec7"
	  "6227ea66088b849b20ab7aa478010246e74bba51723fefa9f9474d6508845e8d" },
	{ "password", 8, "salt", 4, 42, "833cf0dcf56db65608e8f0dc0ce882bd" },
	{ "Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do eiusmod tempor "
	  "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud "
	  "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure "
	  "dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. "
	  "Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt "
	  "mollit anim id est laborum.",
	  0, "salis\0", 6, 8, "10978b07253df57f71a162eb0e8ad30a" },
};

static void
test_pbkdf_vectors(void)
{
	gboolean quick = g_getenv("MESH_TEST_QUICK") != NULL;

	for (gsize v = 0; v < G_N_ELEMENTS(pbkdf_vectors); v++) {
		GError *error = NULL;
		guint8 want[64], got[64];
		gsize pass_len = pbkdf_vectors[v].pass_len;
		gsize len = unhex(pbkdf_vectors[v].key, want, sizeof want);

		/* Under valgrind, skip the slow 42-round vector. */
		if (quick && pbkdf_vectors[v].rounds > 8)
			continue;
		if (pass_len == 0)
			pass_len = strlen(pbkdf_vectors[v].pass);
		CU_ASSERT_TRUE(mesh_bcrypt_pbkdf((const guint8 *)pbkdf_vectors[v].pass, pass_len,
						 (const guint8 *)pbkdf_vectors[v].salt,
						 pbkdf_vectors[v].salt_len, got, len,
						 pbkdf_vectors[v].rounds, &error));
		MESH_ASSERT_NO_ERROR(error);
		if (memcmp(got, want, len) != 0)
			g_printerr("bcrypt_pbkdf vector %" G_GSIZE_FORMAT " fails\n", v);
		CU_ASSERT_EQUAL(memcmp(got, want, len), 0);
	}
}

static void
test_pbkdf_limits(void)
{
	GError *error = NULL;
	guint8 key[48];
	static guint8 big[MESH_BCRYPT_PBKDF_KEY_MAX + 1];
	static const guint8 salt[16];

	memset(key, 0xaa, sizeof key);
	CU_ASSERT_FALSE(mesh_bcrypt_pbkdf((const guint8 *)"p", 1, salt, sizeof salt, key,
					  sizeof key, 0, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_EQUAL(key[0], 0xaa); /* nothing written */
	CU_ASSERT_FALSE(mesh_bcrypt_pbkdf((const guint8 *)"p", 0, salt, sizeof salt, key,
					  sizeof key, 1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_bcrypt_pbkdf((const guint8 *)"p", 1, salt, 0, key, sizeof key, 1,
					  &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_bcrypt_pbkdf((const guint8 *)"p", 1, salt, sizeof salt, key, 0, 1,
					  &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_bcrypt_pbkdf((const guint8 *)"p", 1, salt, sizeof salt, big,
					  sizeof big, 1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	/* The 48 bytes OpenSSH asks for (aes256-ctr key and IV) differ from a 32-byte request
	 * in every position: the output is strided, not truncated. */
	{
		guint8 k32[32];

		CU_ASSERT_TRUE(mesh_bcrypt_pbkdf((const guint8 *)"p", 1, salt, sizeof salt, key,
						 sizeof key, 1, &error));
		CU_ASSERT_TRUE(mesh_bcrypt_pbkdf((const guint8 *)"p", 1, salt, sizeof salt, k32,
						 sizeof k32, 1, &error));
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_NOT_EQUAL(memcmp(key, k32, sizeof k32), 0);
	}
}

static CU_TestInfo tests[] = {
	{ "Blowfish ECB known answers", test_blowfish_vectors },
	{ "Blowfish key lengths", test_blowfish_table },
	{ "bcrypt_pbkdf known answers", test_pbkdf_vectors },
	{ "bcrypt_pbkdf refuses bad arguments", test_pbkdf_limits },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("bcrypt", tests);
}
