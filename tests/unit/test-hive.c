/* SPDX-License-Identifier: MIT */
#include "cutest.h"
#include "error.h"
#include "hive-conformance.h"
#include "hive.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mesh_hive_open refuses with MESH_ERROR_PERMISSION and a message that contains @want. */
static void
assert_open_refused(const char *root, const char *want)
{
	GError *error = NULL;
	MeshHive *hive = mesh_hive_open(MESH_HIVE_TEST, root, &error);

	CU_ASSERT_PTR_NULL(hive);
	mesh_hive_close(hive);
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	if (strstr(error->message, want) == NULL)
		g_printerr("'%s' does not contain '%s'\n", error->message, want);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, want));
	MESH_ASSERT_ERROR(error, MESH_ERROR_PERMISSION);
}

/* Every name in @folder on disk, temporary files included, sorted and joined with ','. */
static char *
files_joined(MeshHive *hive, MeshHiveFolder folder)
{
	g_autofree char *path = g_build_filename(mesh_hive_location(hive),
						 mesh_hive_folder_name(folder), NULL);

	return hive_dir_names(path);
}

static void
test_open_creates_tree(void)
{
	g_autofree char *root = mesh_test_tmp_dir("hive");
	g_autofree char *base = g_build_filename(root, "home", ".mmm", NULL);
	g_autofree char *location = g_build_filename(base, "CryptoMesh", NULL);
	g_autoptr(MeshHive) hive = NULL;
	g_autofree char *entry = NULL;
	mode_t old;

	/* With umask 0, folders still come out 0700 and files 0600. */
	old = umask(0);
	hive = hive_open_ok(MESH_HIVE_TEST, base);
	hive_write_ok(hive, MESH_HIVE_KEYS, "k1", "key");
	umask(old);
	CU_ASSERT_STRING_EQUAL(mesh_hive_location(hive), location);
	CU_ASSERT_EQUAL(mesh_test_mode(base), 0700);
	CU_ASSERT_EQUAL(mesh_test_mode(location), 0700);
	for (int f = 0; f < MESH_HIVE_N_FOLDERS; f++) {
		g_autofree char *path = g_build_filename(location,
							 mesh_hive_folder_name((MeshHiveFolder)f),
							 NULL);

		CU_ASSERT_TRUE(g_file_test(path, G_FILE_TEST_IS_DIR));
		CU_ASSERT_EQUAL(mesh_test_mode(path), 0700);
	}
	entry = g_build_filename(location, "Keys", "k1", NULL);
	CU_ASSERT_EQUAL(mesh_test_mode(entry), 0600);
	g_clear_pointer(&hive, mesh_hive_close);

	/* An existing root and hive folder that only we can write (0755) are accepted as they
	 * are; the production hive was not created by opening the test hive. */
	CU_ASSERT_EQUAL_FATAL(chmod(base, 0755), 0);
	CU_ASSERT_EQUAL_FATAL(chmod(location, 0755), 0);
	hive = hive_open_ok(MESH_HIVE_TEST, base);
	CU_ASSERT_EQUAL(mesh_test_mode(location), 0755);
	g_free(entry);
	entry = g_build_filename(base, "MathematicalMesh", NULL);
	CU_ASSERT_FALSE(g_file_test(entry, G_FILE_TEST_EXISTS));
	mesh_test_remove_tree(root);
}

static void
test_failed_write_leaves_nothing(void)
{
	g_autofree char *root = mesh_test_tmp_dir("hive");
	g_autoptr(MeshHive) hive = hive_open_ok(MESH_HIVE_TEST, root);
	g_autofree char *blocker = g_build_filename(mesh_hive_location(hive), "Keys", "k", NULL);
	g_autofree char *inside = g_build_filename(blocker, "x", NULL);
	g_autofree char *escrow = g_build_filename(mesh_hive_location(hive), "Escrow", NULL);
	g_autofree char *files = NULL;
	g_autoptr(GPtrArray) list = NULL;
	g_autoptr(GBytes) data = NULL;
	GError *error = NULL;

	/* Tests run as root, where modes do not stop a write: a non-empty folder where the entry
	 * goes makes the final rename fail after the temporary file was written. */
	hive_write_ok(hive, MESH_HIVE_KEYS, "other", "o");
	CU_ASSERT_EQUAL_FATAL(mkdir(blocker, 0700), 0);
	CU_ASSERT_TRUE_FATAL(g_file_set_contents(inside, "x", 1, NULL));
	CU_ASSERT_FALSE(mesh_hive_write(hive, MESH_HIVE_KEYS, "k", (const guint8 *)"new", 3,
					&error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_IO);
	files = files_joined(hive, MESH_HIVE_KEYS);
	CU_ASSERT_STRING_EQUAL(files, "k,other");
	/* The same folder read as an entry is not a regular file. */
	CU_ASSERT_FALSE(mesh_hive_read(hive, MESH_HIVE_KEYS, "k", 1024, &data, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_IO);

	/* A folder replaced by a file after open: every operation fails cleanly. */
	CU_ASSERT_EQUAL_FATAL(rmdir(escrow), 0);
	CU_ASSERT_TRUE_FATAL(g_file_set_contents(escrow, "x", 1, NULL));
	CU_ASSERT_FALSE(mesh_hive_write(hive, MESH_HIVE_ESCROW, "e", (const guint8 *)"x", 1,
					&error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_IO);
	CU_ASSERT_FALSE(mesh_hive_read(hive, MESH_HIVE_ESCROW, "e", 1024, &data, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_IO);
	CU_ASSERT_FALSE(mesh_hive_list(hive, MESH_HIVE_ESCROW, &list, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_IO);
	CU_ASSERT_PTR_NULL(list);
	CU_ASSERT_FALSE(mesh_hive_remove(hive, MESH_HIVE_ESCROW, "e", &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_IO);
	/* ... and opening again refuses it. */
	assert_open_refused(root, "is not a folder");
	mesh_test_remove_tree(root);
}

static void
test_entry_files(void)
{
	g_autofree char *root = mesh_test_tmp_dir("hive");
	g_autoptr(MeshHive) hive = hive_open_ok(MESH_HIVE_TEST, root);
	g_autofree char *loose = g_build_filename(mesh_hive_location(hive), "Keys", "loose", NULL);
	g_autofree char *link = g_build_filename(mesh_hive_location(hive), "Keys", "link", NULL);
	g_autofree char *chmod_fix = g_strdup_printf("run 'chmod 600 %s'", loose);
	const mode_t loose_modes[] = { 0644, 0640, 0604, 0660, 0602 };
	g_autoptr(GBytes) data = NULL;
	GError *error = NULL;

	/* An entry others may read or change (a key file copied in with 0644, say) is not used,
	 * and the error says how to fix it; written again it is 0600 and read. */
	CU_ASSERT_TRUE_FATAL(g_file_set_contents(loose, "v1", 2, NULL));
	for (guint i = 0; i < G_N_ELEMENTS(loose_modes); i++) {
		CU_ASSERT_EQUAL_FATAL(chmod(loose, loose_modes[i]), 0);
		CU_ASSERT_FALSE(mesh_hive_read(hive, MESH_HIVE_KEYS, "loose", 1024, &data, &error));
		CU_ASSERT_PTR_NULL(data);
		CU_ASSERT_PTR_NOT_NULL_FATAL(error);
		CU_ASSERT_PTR_NOT_NULL(strstr(error->message, chmod_fix));
		MESH_ASSERT_ERROR(error, MESH_ERROR_PERMISSION);
	}
	hive_write_ok(hive, MESH_HIVE_KEYS, "loose", "v2");
	CU_ASSERT_EQUAL(mesh_test_mode(loose), 0600);
	hive_assert_entry(hive, MESH_HIVE_KEYS, "loose", "v2");
	/* One that belongs to another user is not used either. */
	if (getuid() == 0) {
		CU_ASSERT_EQUAL_FATAL(chown(loose, 65534, 65534), 0);
		CU_ASSERT_FALSE(mesh_hive_read(hive, MESH_HIVE_KEYS, "loose", 1024, &data, &error));
		CU_ASSERT_PTR_NOT_NULL_FATAL(error);
		CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "belongs to uid 65534"));
		MESH_ASSERT_ERROR(error, MESH_ERROR_PERMISSION);
		CU_ASSERT_EQUAL_FATAL(chown(loose, 0, 0), 0);
	} else {
		g_print("\n  (not root: skipping the entry of another user)\n");
	}

	/* A symbolic link is not followed, even to an entry of the same hive. */
	CU_ASSERT_EQUAL_FATAL(symlink(loose, link), 0);
	CU_ASSERT_FALSE(mesh_hive_read(hive, MESH_HIVE_KEYS, "link", 1024, &data, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_PERMISSION);
	mesh_test_remove_tree(root);
}

static void
test_refuses_unsafe_folders(void)
{
	g_autofree char *root = mesh_test_tmp_dir("hive");
	g_autofree char *location = g_build_filename(root, "CryptoMesh", NULL);
	g_autofree char *keys = g_build_filename(location, "Keys", NULL);
	g_autofree char *elsewhere = g_build_filename(root, "elsewhere", NULL);
	g_autofree char *fix_location = g_strdup_printf("%s is writable by group or others: run "
							"'chmod 700 %s'",
							location, location);
	g_autofree char *fix_keys = g_strdup_printf("run 'chmod 700 %s'", keys);
	MeshHive *hive = hive_open_ok(MESH_HIVE_TEST, root);

	mesh_hive_close(hive);
	/* Group-writable hive folder; fixed, it opens again. */
	CU_ASSERT_EQUAL_FATAL(chmod(location, 0770), 0);
	assert_open_refused(root, fix_location);
	CU_ASSERT_EQUAL_FATAL(chmod(location, 0700), 0);
	mesh_hive_close(hive_open_ok(MESH_HIVE_TEST, root));

	/* World-writable folder inside it. */
	CU_ASSERT_EQUAL_FATAL(chmod(keys, 0707), 0);
	assert_open_refused(root, fix_keys);
	CU_ASSERT_EQUAL_FATAL(chmod(keys, 0700), 0);
	mesh_hive_close(hive_open_ok(MESH_HIVE_TEST, root));

	/* Group-writable root. */
	CU_ASSERT_EQUAL_FATAL(chmod(root, 0730), 0);
	assert_open_refused(root, "writable by group or others");
	CU_ASSERT_EQUAL_FATAL(chmod(root, 0700), 0);

	/* Hive folder owned by another user. */
	if (getuid() == 0) {
		CU_ASSERT_EQUAL_FATAL(chown(location, 65534, 65534), 0);
		assert_open_refused(root, "belongs to uid 65534, not to you (uid 0)");
		CU_ASSERT_EQUAL_FATAL(chown(location, 0, 0), 0);
		mesh_hive_close(hive_open_ok(MESH_HIVE_TEST, root));
	} else {
		g_print("\n  (not root: skipping the check of a hive folder of another user)\n");
	}

	/* A symbolic link to a perfectly good hive folder elsewhere is refused. */
	CU_ASSERT_EQUAL_FATAL(rename(location, elsewhere), 0);
	CU_ASSERT_EQUAL_FATAL(symlink(elsewhere, location), 0);
	assert_open_refused(root, "symbolic link");
	mesh_test_remove_tree(root);
}

/* What the directory tree looks like: where each hive lives, temporary files of unfinished
 * writes not listed, a huge file refused by its size. */
static void
test_layout(void)
{
	g_autofree char *root = mesh_test_tmp_dir("hive");
	g_autoptr(MeshHive) test = hive_open_ok(MESH_HIVE_TEST, root);
	g_autoptr(MeshHive) prod = hive_open_ok(MESH_HIVE_PRODUCTION, root);
	g_autofree char *test_loc = g_build_filename(root, "CryptoMesh", NULL);
	g_autofree char *prod_loc = g_build_filename(root, "MathematicalMesh", NULL);
	g_autofree char *stray = g_build_filename(test_loc, "Accounts", ".bob.tmp-abcdef", NULL);
	g_autofree char *sparse = g_build_filename(test_loc, "Keys", "huge", NULL);
	g_autofree char *entry = g_build_filename(test_loc, "ThisDevice", "dev", NULL);
	g_autofree char *all = NULL, *files = NULL;
	g_autoptr(GBytes) data = NULL;
	GError *error = NULL;
	int fd;

	CU_ASSERT_STRING_EQUAL(mesh_hive_location(test), test_loc);
	CU_ASSERT_STRING_EQUAL(mesh_hive_location(prod), prod_loc);
	hive_write_ok(test, MESH_HIVE_THIS_DEVICE, "dev", "test device");
	CU_ASSERT_TRUE(g_file_test(entry, G_FILE_TEST_IS_REGULAR));
	CU_ASSERT_EQUAL(mesh_test_mode(entry), 0600);

	hive_write_ok(test, MESH_HIVE_ACCOUNTS, "bob", "B");
	CU_ASSERT_TRUE(g_file_set_contents(stray, "x", 1, NULL));
	all = hive_list_joined(test, MESH_HIVE_ACCOUNTS);
	CU_ASSERT_STRING_EQUAL(all, "bob");

	/* A 1 TiB sparse file is refused by its size, without reading or allocating it. */
	fd = open(sparse, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(ftruncate(fd, (off_t)1 << 40), 0);
	close(fd);
	CU_ASSERT_FALSE(mesh_hive_read(test, MESH_HIVE_KEYS, "huge", G_MAXSIZE, &data, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);

	/* Replacing an entry leaves no temporary file. */
	for (int i = 0; i < 4; i++)
		hive_write_ok(test, MESH_HIVE_KEYS, "k", i % 2 ? "one" : "two");
	files = files_joined(test, MESH_HIVE_KEYS);
	CU_ASSERT_STRING_EQUAL(files, "huge,k");
	mesh_test_remove_tree(root);
}

static void
test_mmm_home_location(void)
{
	g_autofree char *saved = g_strdup(g_getenv("MMM_HOME"));
	g_autofree char *root = mesh_test_tmp_dir("hive");
	g_autofree char *home = g_build_filename(root, "mmm", NULL);
	g_autofree char *location = g_build_filename(home, "MathematicalMesh", NULL);
	g_autofree char *entry = g_build_filename(location, "Accounts", "a", NULL);
	g_autoptr(MeshHive) hive = NULL;

	g_setenv("MMM_HOME", home, TRUE);
	hive = hive_open_ok(MESH_HIVE_PRODUCTION, NULL);
	if (saved != NULL)
		g_setenv("MMM_HOME", saved, TRUE);
	else
		g_unsetenv("MMM_HOME");
	CU_ASSERT_STRING_EQUAL(mesh_hive_location(hive), location);
	hive_write_ok(hive, MESH_HIVE_ACCOUNTS, "a", "x");
	CU_ASSERT_TRUE(g_file_test(entry, G_FILE_TEST_IS_REGULAR));
	mesh_test_remove_tree(root);
}

static char *
make_root(void)
{
	return mesh_test_tmp_dir("hive");
}

static const MeshHiveConformance conformance = {
	.make_root = make_root,
	.remove_root = mesh_test_remove_tree,
};

/* The directory tree's own cases; the conformance suite (tests/unit/hive-conformance.c) holds
 * what every OS's hive must do. */
/* Append checks the entry as read does: a loose mode, a symbolic link or a FIFO is refused and
 * left as it was; a new entry is 0600 whatever the umask. */
static void
test_append_files(void)
{
	g_autofree char *root = mesh_test_tmp_dir("hive");
	g_autoptr(MeshHive) hive = hive_open_ok(MESH_HIVE_TEST, root);
	g_autofree char *audit = g_build_filename(mesh_hive_location(hive), "Audit", NULL);
	g_autofree char *loose = g_build_filename(audit, "loose", NULL);
	g_autofree char *link = g_build_filename(audit, "link", NULL);
	g_autofree char *fifo = g_build_filename(audit, "fifo", NULL);
	g_autofree char *fresh = g_build_filename(audit, "fresh", NULL);
	g_autofree char *text = NULL;
	GError *error = NULL;
	mode_t old;

	CU_ASSERT_TRUE_FATAL(g_file_set_contents(loose, "v1", 2, NULL));
	CU_ASSERT_EQUAL_FATAL(chmod(loose, 0644), 0);
	CU_ASSERT_FALSE(mesh_hive_append(hive, MESH_HIVE_AUDIT, "loose", (const guint8 *)"x", 1,
					 TRUE, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_PERMISSION);
	CU_ASSERT_TRUE(g_file_get_contents(loose, &text, NULL, NULL));
	CU_ASSERT_STRING_EQUAL(text, "v1");
	CU_ASSERT_EQUAL_FATAL(symlink(loose, link), 0);
	CU_ASSERT_FALSE(mesh_hive_append(hive, MESH_HIVE_AUDIT, "link", (const guint8 *)"x", 1,
					 TRUE, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_PERMISSION);
	CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
	CU_ASSERT_FALSE(mesh_hive_append(hive, MESH_HIVE_AUDIT, "fifo", (const guint8 *)"x", 1,
					 TRUE, &error));
	CU_ASSERT_PTR_NOT_NULL(error);
	g_clear_error(&error);
	old = umask(0);
	CU_ASSERT_TRUE(mesh_hive_append(hive, MESH_HIVE_AUDIT, "fresh", (const guint8 *)"x", 1,
					TRUE, &error));
	umask(old);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(mesh_test_mode(fresh), 0600);
	mesh_test_remove_tree(root);
}

static CU_TestInfo tests[] = {
	{ "open creates the tree 0700, entries 0600", test_open_creates_tree },
	{ "a failed write leaves no temporary file", test_failed_write_leaves_nothing },
	{ "loose modes tightened, links not followed", test_entry_files },
	{ "append: loose modes, links and FIFOs refused, new entries 0600", test_append_files },
	{ "unsafe folders are refused", test_refuses_unsafe_folders },
	{ "layout: locations, temporary files, sparse files", test_layout },
	{ "MMM_HOME names the folder", test_mmm_home_location },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	CU_SuiteInfo suites[] = {
		{ "hive", NULL, NULL, NULL, NULL, tests },
		{ "hive-conformance", NULL, NULL, NULL, NULL,
		  mesh_hive_conformance_tests(&conformance) },
		CU_SUITE_INFO_NULL,
	};

	return mesh_test_main_suites(suites);
}
