/* SPDX-License-Identifier: MIT */
#include "cutest.h"
#include "error.h"

#include <gio/gio.h>

static void
test_names_round_trip(void)
{
	for (int i = 0; i < MESH_ERROR_N_CODES; i++) {
		const char *name = mesh_error_name(i);

		CU_ASSERT_STRING_NOT_EQUAL(name, "Unknown");
		CU_ASSERT_EQUAL(mesh_error_from_name(name), i);
		CU_ASSERT_STRING_NOT_EQUAL(mesh_error_str(i), "unknown error");
	}
}

static void
test_wire_values_are_stable(void)
{
	/* These are wire codes and exit statuses: a change here breaks every client. */
	CU_ASSERT_EQUAL(MESH_ERROR_OK, 0);
	CU_ASSERT_EQUAL(MESH_ERROR_USAGE, 2);
	CU_ASSERT_EQUAL(MESH_ERROR_NOT_FOUND, 12);
	CU_ASSERT_STRING_EQUAL(mesh_error_name(12), "NotFound");
	CU_ASSERT_EQUAL(MESH_ERROR_SHARE_QUORUM, 15);
	CU_ASSERT_EQUAL(MESH_ERROR_SHARE_CORRUPT, 18);
	CU_ASSERT_EQUAL(MESH_ERROR_TIMEOUT, 31);
	CU_ASSERT_EQUAL(MESH_ERROR_REMOVED, 32);
	CU_ASSERT_EQUAL(MESH_ERROR_DENIED, 33);
	CU_ASSERT_STRING_EQUAL(mesh_error_name(MESH_ERROR_TAMPERED), "Tampered");
	/* Exit statuses must stay clear of the shell's 126+ range. */
	CU_ASSERT(MESH_ERROR_N_CODES < 126);
}

static void
test_unknown_codes(void)
{
	CU_ASSERT_STRING_EQUAL(mesh_error_name(-1), "Unknown");
	CU_ASSERT_STRING_EQUAL(mesh_error_name(MESH_ERROR_N_CODES), "Unknown");
	CU_ASSERT_STRING_EQUAL(mesh_error_str(1000), "unknown error");
	CU_ASSERT_EQUAL(mesh_error_from_name("NoSuchError"), -1);
	CU_ASSERT_EQUAL(mesh_error_from_name(NULL), -1);
	CU_ASSERT_EQUAL(mesh_error_from_name("notfound"), -1);
}

static void
test_error_code_of_gerror(void)
{
	GError *e = NULL;

	CU_ASSERT_EQUAL(mesh_error_code(NULL), MESH_ERROR_OK);
	g_set_error(&e, MESH_ERROR, MESH_ERROR_LOCKED, "locked");
	CU_ASSERT_EQUAL(mesh_error_code(e), MESH_ERROR_LOCKED);
	g_clear_error(&e);
	g_set_error(&e, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "other domain");
	CU_ASSERT_EQUAL(mesh_error_code(e), MESH_ERROR_FAILED);
	g_clear_error(&e);
	g_set_error(&e, MESH_ERROR, 5000, "out of range");
	CU_ASSERT_EQUAL(mesh_error_code(e), MESH_ERROR_FAILED);
	g_clear_error(&e);
}

static CU_TestInfo tests[] = {
	{ "names round trip", test_names_round_trip },
	{ "wire values are stable", test_wire_values_are_stable },
	{ "unknown codes", test_unknown_codes },
	{ "error code of a GError", test_error_code_of_gerror },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("error", tests);
}
