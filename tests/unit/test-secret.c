/* SPDX-License-Identifier: MIT */
#include "cutest.h"
#include "error.h"
#include "secret.h"

#include <openssl/crypto.h>
#include <string.h>

static void
test_heap_init(void)
{
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_secret_heap_init(65536, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(CRYPTO_secure_malloc_initialized());
	/* A second call is harmless. */
	CU_ASSERT_TRUE(mesh_secret_heap_init(0, &error));
}

static void
test_new_is_zeroed_and_secure(void)
{
	g_autoptr(MeshSecret) s = mesh_secret_new(48);

	CU_ASSERT_EQUAL(mesh_secret_len(s), 48);
	for (gsize i = 0; i < 48; i++)
		CU_ASSERT_EQUAL(mesh_secret_get(s)[i], 0);
	CU_ASSERT_TRUE(CRYPTO_secure_allocated(s));
}

static void
test_copy_and_compare(void)
{
	static const guint8 a[] = { 1, 2, 3, 4, 5 };
	static const guint8 b[] = { 1, 2, 3, 4, 6 };
	g_autoptr(MeshSecret) sa = mesh_secret_new_from_data(a, sizeof a);
	g_autoptr(MeshSecret) sb = mesh_secret_new_from_data(b, sizeof b);
	g_autoptr(MeshSecret) sa2 = mesh_secret_dup(sa);
	g_autoptr(MeshSecret) shorter = mesh_secret_new_from_data(a, 4);

	CU_ASSERT_EQUAL(memcmp(mesh_secret_get(sa), a, sizeof a), 0);
	CU_ASSERT_TRUE(mesh_secret_equal(sa, sa2));
	CU_ASSERT_FALSE(mesh_secret_equal(sa, sb));
	CU_ASSERT_FALSE(mesh_secret_equal(sa, shorter));
	CU_ASSERT_PTR_NULL(mesh_secret_dup(NULL));
	mesh_secret_free(NULL);
}

static void
test_random(void)
{
	GError *error = NULL;
	g_autoptr(MeshSecret) r1 = mesh_secret_new_random(32, &error);
	g_autoptr(MeshSecret) r2 = mesh_secret_new_random(32, &error);
	g_autoptr(MeshSecret) empty = mesh_secret_new_random(0, &error);

	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(mesh_secret_equal(r1, r2));
	CU_ASSERT_EQUAL(mesh_secret_len(empty), 0);
}

static CU_TestInfo tests[] = {
	{ "secure heap init", test_heap_init },
	{ "new is zeroed, on the secure heap", test_new_is_zeroed_and_secure },
	{ "copy and constant-time compare", test_copy_and_compare },
	{ "random", test_random },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("secret", tests);
}
