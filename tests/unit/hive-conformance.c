/* SPDX-License-Identifier: MIT */
#include "hive-conformance.h"

#include <string.h>

#include "hive.h"

#define ENTRY_1M (1024 * 1024)

static const MeshHiveConformance *conf;

MeshHive *
hive_open_ok(MeshHiveKind kind, const char *root)
{
	GError *error = NULL;
	MeshHive *hive = mesh_hive_open(kind, root, &error);

	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(hive);
	return hive;
}

void
hive_write_ok(MeshHive *hive, MeshHiveFolder folder, const char *name, const char *text)
{
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_hive_write(hive, folder, name, (const guint8 *)text, strlen(text),
				       &error));
	MESH_ASSERT_NO_ERROR(error);
}

void
hive_assert_bytes(MeshHive *hive, MeshHiveFolder folder, const char *name, const guint8 *want,
	     gsize len)
{
	g_autoptr(GBytes) data = NULL;
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_hive_read(hive, folder, name, MESH_HIVE_ENTRY_MAX, &data, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(data);
	CU_ASSERT_EQUAL_FATAL(g_bytes_get_size(data), len);
	CU_ASSERT_EQUAL(memcmp(g_bytes_get_data(data, NULL), want, len), 0);
}

void
hive_assert_entry(MeshHive *hive, MeshHiveFolder folder, const char *name, const char *want)
{
	hive_assert_bytes(hive, folder, name, (const guint8 *)want, strlen(want));
}

void
hive_assert_missing(MeshHive *hive, MeshHiveFolder folder, const char *name)
{
	g_autoptr(GBytes) data = NULL;
	GError *error = NULL;

	CU_ASSERT_FALSE(mesh_hive_read(hive, folder, name, 1024, &data, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_PTR_NULL(data);
}

/* The names of @folder, joined with ','. */
char *
hive_list_joined(MeshHive *hive, MeshHiveFolder folder)
{
	g_autoptr(GPtrArray) names = NULL;
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_hive_list(hive, folder, &names, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(names);
	g_ptr_array_add(names, NULL);
	return g_strjoinv(",", (char **)names->pdata);
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *
hive_dir_names(const char *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	while ((name = g_dir_read_name(dir)) != NULL)
		g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, compare_names);
	g_ptr_array_add(names, NULL);
	return g_strjoinv(",", (char **)names->pdata);
}

static void
assert_list(MeshHive *hive, MeshHiveFolder folder, const char *want)
{
	g_autofree char *got = hive_list_joined(hive, folder);

	if (strcmp(got, want) != 0)
		g_printerr("%s lists '%s', want '%s'\n", mesh_hive_folder_name(folder), got, want);
	CU_ASSERT_STRING_EQUAL(got, want);
}

static void
test_round_trip(void)
{
	g_autofree char *root = conf->make_root();
	MeshHive *hive = hive_open_ok(MESH_HIVE_TEST, root);
	g_autoptr(GBytes) empty = NULL;
	g_autofree char *def = NULL;
	GError *error = NULL;

	assert_list(hive, MESH_HIVE_ACCOUNTS, "");
	CU_ASSERT_FALSE(mesh_hive_get_default(hive, MESH_HIVE_ACCOUNTS, &def, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_PTR_NULL(def);

	hive_write_ok(hive, MESH_HIVE_ACCOUNTS, "carol", "C");
	hive_write_ok(hive, MESH_HIVE_ACCOUNTS, "alice.json", "{\"a\":1}");
	hive_write_ok(hive, MESH_HIVE_ACCOUNTS, "bob", "B");
	CU_ASSERT_TRUE(mesh_hive_set_default(hive, MESH_HIVE_ACCOUNTS, "bob", &error));
	MESH_ASSERT_NO_ERROR(error);
	/* "default" is not listed. */
	assert_list(hive, MESH_HIVE_ACCOUNTS, "alice.json,bob,carol");
	CU_ASSERT_TRUE(mesh_hive_get_default(hive, MESH_HIVE_ACCOUNTS, &def, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(def, "bob");
	hive_assert_entry(hive, MESH_HIVE_ACCOUNTS, "alice.json", "{\"a\":1}");
	/* The default entry is the name and a newline, as mesh_hive_set_default writes it. */
	hive_assert_entry(hive, MESH_HIVE_ACCOUNTS, MESH_HIVE_DEFAULT, "bob\n");

	/* Replace, remove, and an empty entry. */
	hive_write_ok(hive, MESH_HIVE_ACCOUNTS, "carol", "C2");
	hive_assert_entry(hive, MESH_HIVE_ACCOUNTS, "carol", "C2");
	CU_ASSERT_TRUE(mesh_hive_remove(hive, MESH_HIVE_ACCOUNTS, "bob", &error));
	MESH_ASSERT_NO_ERROR(error);
	hive_assert_missing(hive, MESH_HIVE_ACCOUNTS, "bob");
	assert_list(hive, MESH_HIVE_ACCOUNTS, "alice.json,carol");
	/* Sorted whatever order the store keeps. */
	for (int i = 15; i >= 0; i--) {
		g_autofree char *name = g_strdup_printf("n%02d", i * 7 % 16);

		hive_write_ok(hive, MESH_HIVE_PERSONAL_PROFILES, name, name);
	}
	assert_list(hive, MESH_HIVE_PERSONAL_PROFILES,
		    "n00,n01,n02,n03,n04,n05,n06,n07,n08,n09,n10,n11,n12,n13,n14,n15");
	hive_write_ok(hive, MESH_HIVE_ESCROW, "e", "");
	CU_ASSERT_TRUE(mesh_hive_read(hive, MESH_HIVE_ESCROW, "e", 0, &empty, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(g_bytes_get_size(empty), 0);

	/* What was written is there for the next one who opens the hive. */
	mesh_hive_close(hive);
	hive = hive_open_ok(MESH_HIVE_TEST, root);
	assert_list(hive, MESH_HIVE_ACCOUNTS, "alice.json,carol");
	hive_assert_entry(hive, MESH_HIVE_ACCOUNTS, "carol", "C2");
	g_clear_pointer(&def, g_free);
	CU_ASSERT_TRUE(mesh_hive_get_default(hive, MESH_HIVE_ACCOUNTS, &def, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(def, "bob");
	mesh_hive_close(hive);
	conf->remove_root(root);
}

/* Every folder: profile-like "<udf>.json" names and plain ones, defaults set, read and removed
 * (a default names an entry without its ".json", as core/device.c sets it). */
static void
test_every_folder(void)
{
	g_autofree char *root = conf->make_root();
	g_autoptr(MeshHive) hive = hive_open_ok(MESH_HIVE_TEST, root);
	GError *error = NULL;

	for (int f = 0; f < MESH_HIVE_N_FOLDERS; f++) {
		MeshHiveFolder folder = (MeshHiveFolder)f;
		g_autofree char *def = NULL;

		assert_list(hive, folder, "");
		hive_write_ok(hive, folder, "MBXQ-ABCD.json", "{\"Profile\":1}");
		hive_write_ok(hive, folder, "MCZZ-EFGH.json", "{\"Profile\":2}");
		hive_write_ok(hive, folder, "plain_name-1", "plain");
		CU_ASSERT_TRUE(mesh_hive_set_default(hive, folder, "MCZZ-EFGH", &error));
		MESH_ASSERT_NO_ERROR(error);
		assert_list(hive, folder, "MBXQ-ABCD.json,MCZZ-EFGH.json,plain_name-1");
		hive_assert_entry(hive, folder, "MBXQ-ABCD.json", "{\"Profile\":1}");
		hive_assert_entry(hive, folder, "MCZZ-EFGH.json", "{\"Profile\":2}");
		hive_assert_entry(hive, folder, "plain_name-1", "plain");
		/* The entry less its ".json" is another entry. */
		hive_assert_missing(hive, folder, "MBXQ-ABCD");
		CU_ASSERT_TRUE(mesh_hive_get_default(hive, folder, &def, &error));
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_STRING_EQUAL(def, "MCZZ-EFGH");
		CU_ASSERT_TRUE(mesh_hive_remove(hive, folder, MESH_HIVE_DEFAULT, &error));
		MESH_ASSERT_NO_ERROR(error);
		g_clear_pointer(&def, g_free);
		CU_ASSERT_FALSE(mesh_hive_get_default(hive, folder, &def, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
		CU_ASSERT_TRUE(mesh_hive_remove(hive, folder, "MBXQ-ABCD.json", &error));
		MESH_ASSERT_NO_ERROR(error);
		assert_list(hive, folder, "MCZZ-EFGH.json,plain_name-1");
	}
	conf->remove_root(root);
}

/* Every byte value, and a NUL first and last: binary entries (a DPAPI blob, a raw private
 * key) come back byte for byte where the hive keeps bytes: every folder but Accounts, whose
 * entries are text. */
static void
test_binary_entries(void)
{
	g_autofree char *root = conf->make_root();
	g_autoptr(MeshHive) hive = hive_open_ok(MESH_HIVE_TEST, root);
	guint8 bytes[512];
	g_autofree guint8 *big = g_malloc(ENTRY_1M + 3);

	for (gsize i = 0; i < sizeof bytes; i++)
		bytes[i] = (guint8)(i * 131 + 7);
	bytes[0] = 0;
	bytes[sizeof bytes - 1] = 0;
	for (gsize i = 0; i < ENTRY_1M + 3; i++)
		big[i] = (guint8)g_random_int();
	for (int f = MESH_HIVE_PERSONAL_PROFILES; f < MESH_HIVE_N_FOLDERS; f++) {
		GError *error = NULL;

		CU_ASSERT_TRUE(mesh_hive_write(hive, (MeshHiveFolder)f, "blob.dpapi", bytes,
					       sizeof bytes, &error));
		MESH_ASSERT_NO_ERROR(error);
		hive_assert_bytes(hive, (MeshHiveFolder)f, "blob.dpapi", bytes, sizeof bytes);
	}
	{
		GError *error = NULL;

		CU_ASSERT_TRUE(mesh_hive_write(hive, MESH_HIVE_KEYS, "big", big, ENTRY_1M + 3,
					       &error));
		MESH_ASSERT_NO_ERROR(error);
		hive_assert_bytes(hive, MESH_HIVE_KEYS, "big", big, ENTRY_1M + 3);
	}
	conf->remove_root(root);
}

static void
test_not_found_and_too_large(void)
{
	g_autofree char *root = conf->make_root();
	g_autoptr(MeshHive) hive = hive_open_ok(MESH_HIVE_TEST, root);
	g_autofree guint8 *huge = NULL;
	GError *error = NULL;

	for (int f = 0; f < MESH_HIVE_N_FOLDERS; f++) {
		MeshHiveFolder folder = (MeshHiveFolder)f;
		g_autoptr(GBytes) data = NULL;

		hive_assert_missing(hive, folder, "nope");
		hive_assert_missing(hive, folder, MESH_HIVE_DEFAULT);
		CU_ASSERT_FALSE(mesh_hive_remove(hive, folder, "nope", &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
		CU_ASSERT_FALSE(mesh_hive_remove(hive, folder, MESH_HIVE_DEFAULT, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);

		/* Exactly max_len bytes are fine; one more is refused. */
		hive_write_ok(hive, folder, "k", "0123456789");
		CU_ASSERT_FALSE(mesh_hive_read(hive, folder, "k", 9, &data, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
		CU_ASSERT_PTR_NULL(data);
		CU_ASSERT_TRUE(mesh_hive_read(hive, folder, "k", 10, &data, &error));
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_EQUAL(g_bytes_get_size(data), 10);
	}

	/* Writes above MESH_HIVE_ENTRY_MAX are refused, and leave nothing. */
	huge = g_malloc0(MESH_HIVE_ENTRY_MAX + 1);
	for (int f = 0; f < MESH_HIVE_N_FOLDERS; f++) {
		CU_ASSERT_FALSE(mesh_hive_write(hive, (MeshHiveFolder)f, "big", huge,
						MESH_HIVE_ENTRY_MAX + 1, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
		hive_assert_missing(hive, (MeshHiveFolder)f, "big");
	}
	conf->remove_root(root);
}

/* Names no entry may have: a path, hidden, a separator, empty, 201 characters (200 is the most),
 * a space, a newline, a drive, non-ASCII. */
#define A10 "aaaaaaaaaa"
#define A50 A10 A10 A10 A10 A10
static const char *const bad_names[] = { "../x", ".hidden", "a/b",  "a\\b", "",
					 A50 A50 A50 A50 "a", "a b", "x\n", "C:x", "\xc3\xa9" };

static void
test_invalid_names(void)
{
	g_autofree char *root = conf->make_root();
	g_autoptr(MeshHive) hive = hive_open_ok(MESH_HIVE_TEST, root);
	g_autofree char *long_name = g_strnfill(201, 'a');
	GError *error = NULL;

	for (int f = 0; f < MESH_HIVE_N_FOLDERS; f++) {
		for (gsize i = 0; i < G_N_ELEMENTS(bad_names); i++) {
			g_autoptr(GBytes) data = NULL;
			MeshHiveStamp stamp;

			CU_ASSERT_FALSE(mesh_hive_write(hive, (MeshHiveFolder)f, bad_names[i],
							(const guint8 *)"x", 1, &error));
			MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
			CU_ASSERT_FALSE(mesh_hive_read(hive, (MeshHiveFolder)f, bad_names[i], 10, &data,
						       &error));
			MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
			CU_ASSERT_FALSE(mesh_hive_remove(hive, (MeshHiveFolder)f, bad_names[i], &error));
			MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
			CU_ASSERT_FALSE(mesh_hive_stamp(hive, (MeshHiveFolder)f, bad_names[i], &stamp,
							&error));
			MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
		}
		assert_list(hive, (MeshHiveFolder)f, "");
	}
	CU_ASSERT_FALSE(mesh_hive_write(hive, MESH_HIVE_KEYS, NULL, NULL, 0, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_hive_write(hive, MESH_HIVE_N_FOLDERS, "x", (const guint8 *)"x", 1,
					&error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	/* 200 characters is the longest name. */
	long_name[200] = '\0';
	hive_write_ok(hive, MESH_HIVE_KEYS, long_name, "x");
	hive_assert_entry(hive, MESH_HIVE_KEYS, long_name, "x");
	hive_write_ok(hive, MESH_HIVE_ACCOUNTS, long_name, "y");
	hive_assert_entry(hive, MESH_HIVE_ACCOUNTS, long_name, "y");
	conf->remove_root(root);
}

typedef struct {
	MeshHive *hive;
	volatile gint stop;
	guint reads, torn;
} Reader;

/* Reads the entry over and over, through the hive, while it is being replaced: each read must
 * see one whole version, never a mix, a short entry or an error. */
static gpointer
read_loop(gpointer data)
{
	Reader *r = data;

	while (!g_atomic_int_get(&r->stop)) {
		g_autoptr(GBytes) bytes = NULL;
		const char *text;
		gsize len = 0;

		if (!mesh_hive_read(r->hive, MESH_HIVE_KEYS, "big", ENTRY_1M, &bytes, NULL)) {
			r->torn++;
			continue;
		}
		text = g_bytes_get_data(bytes, &len);
		if (len != ENTRY_1M || text[0] != text[len - 1] ||
		    memchr(text, text[0] == 'A' ? 'B' : 'A', len) != NULL)
			r->torn++;
		r->reads++;
	}
	return NULL;
}

static void
test_replace_is_atomic(void)
{
	g_autofree char *root = conf->make_root();
	g_autoptr(MeshHive) hive = hive_open_ok(MESH_HIVE_TEST, root);
	g_autofree guint8 *a = g_malloc(ENTRY_1M), *b = g_malloc(ENTRY_1M);
	int rounds = g_getenv("MESH_TEST_QUICK") != NULL ? 4 : 24;
	Reader r = { 0 };
	GThread *thread;
	GError *error = NULL;

	memset(a, 'A', ENTRY_1M);
	memset(b, 'B', ENTRY_1M);
	CU_ASSERT_TRUE_FATAL(mesh_hive_write(hive, MESH_HIVE_KEYS, "big", a, ENTRY_1M, &error));
	r.hive = hive;
	thread = g_thread_new("reader", read_loop, &r);
	for (int i = 0; i < rounds; i++) {
		CU_ASSERT_TRUE(mesh_hive_write(hive, MESH_HIVE_KEYS, "big", i % 2 ? a : b,
					       ENTRY_1M, &error));
		MESH_ASSERT_NO_ERROR(error);
	}
	g_atomic_int_set(&r.stop, 1);
	g_thread_join(thread);
	CU_ASSERT_TRUE(r.reads > 0);
	CU_ASSERT_EQUAL(r.torn, 0);
	/* The last write is what is there, and it is the only entry. */
	hive_assert_bytes(hive, MESH_HIVE_KEYS, "big", rounds % 2 ? b : a, ENTRY_1M);
	assert_list(hive, MESH_HIVE_KEYS, "big");
	conf->remove_root(root);
}

static void
test_hives_are_independent(void)
{
	g_autofree char *root = conf->make_root();
	g_autoptr(MeshHive) test = hive_open_ok(MESH_HIVE_TEST, root);
	g_autoptr(MeshHive) prod = hive_open_ok(MESH_HIVE_PRODUCTION, root);
	GError *error = NULL;

	CU_ASSERT_EQUAL(test->kind, MESH_HIVE_TEST);
	CU_ASSERT_EQUAL(prod->kind, MESH_HIVE_PRODUCTION);
	CU_ASSERT_STRING_NOT_EQUAL(mesh_hive_location(test), mesh_hive_location(prod));
	CU_ASSERT_PTR_NOT_NULL(strstr(mesh_hive_location(test), "CryptoMesh"));
	CU_ASSERT_PTR_NOT_NULL(strstr(mesh_hive_location(prod), "MathematicalMesh"));
	hive_write_ok(test, MESH_HIVE_THIS_DEVICE, "dev", "test device");
	hive_write_ok(prod, MESH_HIVE_THIS_DEVICE, "dev", "production device");
	hive_write_ok(test, MESH_HIVE_THIS_DEVICE, "t", "t");
	hive_write_ok(prod, MESH_HIVE_THIS_DEVICE, "p", "p");
	hive_write_ok(test, MESH_HIVE_ACCOUNTS, "a", "test account");
	hive_assert_entry(test, MESH_HIVE_THIS_DEVICE, "dev", "test device");
	hive_assert_entry(prod, MESH_HIVE_THIS_DEVICE, "dev", "production device");
	assert_list(test, MESH_HIVE_THIS_DEVICE, "dev,t");
	assert_list(prod, MESH_HIVE_THIS_DEVICE, "dev,p");
	assert_list(prod, MESH_HIVE_ACCOUNTS, "");
	CU_ASSERT_TRUE(mesh_hive_remove(test, MESH_HIVE_THIS_DEVICE, "dev", &error));
	MESH_ASSERT_NO_ERROR(error);
	hive_assert_missing(test, MESH_HIVE_THIS_DEVICE, "dev");
	hive_assert_entry(prod, MESH_HIVE_THIS_DEVICE, "dev", "production device");
	conf->remove_root(root);
}

/* Two roots are two hives of the same kind, and neither sees the other's entries. */
static void
test_roots_are_independent(void)
{
	g_autofree char *root1 = conf->make_root();
	g_autofree char *root2 = conf->make_root();
	g_autoptr(MeshHive) one = hive_open_ok(MESH_HIVE_TEST, root1);
	g_autoptr(MeshHive) two = hive_open_ok(MESH_HIVE_TEST, root2);

	CU_ASSERT_STRING_NOT_EQUAL(mesh_hive_location(one), mesh_hive_location(two));
	hive_write_ok(one, MESH_HIVE_ACCOUNTS, "a", "one");
	hive_write_ok(one, MESH_HIVE_KEYS, "k", "one");
	assert_list(two, MESH_HIVE_ACCOUNTS, "");
	assert_list(two, MESH_HIVE_KEYS, "");
	hive_assert_missing(two, MESH_HIVE_KEYS, "k");
	conf->remove_root(root1);
	conf->remove_root(root2);
}

static void
test_mmm_home(void)
{
	g_autofree char *saved = g_strdup(g_getenv("MMM_HOME"));
	g_autofree char *root = conf->make_root();
	g_autoptr(MeshHive) by_env = NULL;
	g_autoptr(MeshHive) by_root = NULL;

	g_setenv("MMM_HOME", root, TRUE);
	by_env = hive_open_ok(MESH_HIVE_PRODUCTION, NULL);
	if (saved != NULL)
		g_setenv("MMM_HOME", saved, TRUE);
	else
		g_unsetenv("MMM_HOME");
	hive_write_ok(by_env, MESH_HIVE_ACCOUNTS, "a", "x");
	hive_write_ok(by_env, MESH_HIVE_PERSONAL_PROFILES, "p.json", "y");
	/* The same hive as the one opened on that root. */
	by_root = hive_open_ok(MESH_HIVE_PRODUCTION, root);
	CU_ASSERT_STRING_EQUAL(mesh_hive_location(by_env), mesh_hive_location(by_root));
	hive_assert_entry(by_root, MESH_HIVE_ACCOUNTS, "a", "x");
	hive_assert_entry(by_root, MESH_HIVE_PERSONAL_PROFILES, "p.json", "y");
	conf->remove_root(root);
}

static gboolean
stamp_of(MeshHive *hive, MeshHiveFolder folder, const char *name, MeshHiveStamp *stamp)
{
	GError *error = NULL;
	gboolean ok = mesh_hive_stamp(hive, folder, name, stamp, &error);

	MESH_ASSERT_NO_ERROR(error);
	return ok;
}

/* Equal stamps for an entry left alone; another stamp once it holds other bytes, even of the
 * same length; none for a missing entry. */
static void
test_stamps(void)
{
	g_autofree char *root = conf->make_root();
	g_autoptr(MeshHive) hive = hive_open_ok(MESH_HIVE_TEST, root);
	GError *error = NULL;

	for (int f = 0; f < MESH_HIVE_N_FOLDERS; f++) {
		MeshHiveFolder folder = (MeshHiveFolder)f;
		const char *names[] = { "e.json", MESH_HIVE_DEFAULT };

		for (gsize n = 0; n < G_N_ELEMENTS(names); n++) {
			MeshHiveStamp s1, s2, s3, other;

			CU_ASSERT_FALSE(mesh_hive_stamp(hive, folder, names[n], &s1, &error));
			MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
			hive_write_ok(hive, folder, names[n], "AAAA\n");
			hive_write_ok(hive, folder, "other", "AAAA\n");
			CU_ASSERT_TRUE_FATAL(stamp_of(hive, folder, names[n], &s1));
			CU_ASSERT_TRUE_FATAL(stamp_of(hive, folder, names[n], &s2));
			CU_ASSERT_EQUAL(memcmp(&s1, &s2, sizeof s1), 0);
			CU_ASSERT_TRUE_FATAL(stamp_of(hive, folder, "other", &other));
			hive_write_ok(hive, folder, names[n], "BBBB\n");
			CU_ASSERT_TRUE_FATAL(stamp_of(hive, folder, names[n], &s3));
			CU_ASSERT_NOT_EQUAL(memcmp(&s1, &s3, sizeof s1), 0);
			CU_ASSERT_TRUE(mesh_hive_remove(hive, folder, names[n], &error));
			MESH_ASSERT_NO_ERROR(error);
			CU_ASSERT_FALSE(mesh_hive_stamp(hive, folder, names[n], &s1, &error));
			MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
		}
	}
	conf->remove_root(root);
}

/* Entries of every folder but Audit, the defaults with them, copied from the test to the
 * production hive; refused, changing nothing, when one exists, unless forced. The audit log
 * stays with the hive whose record it is. */
static void
test_migrate(void)
{
	g_autofree char *root = conf->make_root();
	g_autoptr(MeshHive) test = hive_open_ok(MESH_HIVE_TEST, root);
	g_autoptr(MeshHive) prod = hive_open_ok(MESH_HIVE_PRODUCTION, root);
	const guint8 blob[] = { 0, 1, 2, 0xff, 0xfe, 0, 0x80 };
	guint copied = 0;
	GError *error = NULL;

	for (int f = 0; f < MESH_HIVE_N_FOLDERS; f++) {
		hive_write_ok(test, (MeshHiveFolder)f, "MAAA.json", "first");
		hive_write_ok(test, (MeshHiveFolder)f, "MBBB", "second");
		CU_ASSERT_TRUE(mesh_hive_set_default(test, (MeshHiveFolder)f, "MAAA", &error));
		MESH_ASSERT_NO_ERROR(error);
	}
	CU_ASSERT_TRUE(mesh_hive_write(test, MESH_HIVE_KEYS, "k.dpapi", blob, sizeof blob,
				       &error));
	MESH_ASSERT_NO_ERROR(error);

	CU_ASSERT_FALSE(mesh_hive_migrate(test, test, FALSE, &copied, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_TRUE(mesh_hive_migrate(test, prod, FALSE, &copied, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(copied, 2 * (MESH_HIVE_N_FOLDERS - 1) + 1);
	hive_assert_missing(prod, MESH_HIVE_AUDIT, "MAAA.json");
	hive_assert_missing(prod, MESH_HIVE_AUDIT, MESH_HIVE_DEFAULT);
	assert_list(prod, MESH_HIVE_AUDIT, "");
	for (int f = 0; f < MESH_HIVE_N_FOLDERS; f++) {
		g_autofree char *def = NULL;

		if (f == MESH_HIVE_AUDIT)
			continue;
		hive_assert_entry(prod, (MeshHiveFolder)f, "MAAA.json", "first");
		hive_assert_entry(prod, (MeshHiveFolder)f, "MBBB", "second");
		CU_ASSERT_TRUE(mesh_hive_get_default(prod, (MeshHiveFolder)f, &def, &error));
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_STRING_EQUAL(def, "MAAA");
	}
	hive_assert_bytes(prod, MESH_HIVE_KEYS, "k.dpapi", blob, sizeof blob);

	/* Again: everything exists now, so a new entry is not copied either. */
	hive_write_ok(test, MESH_HIVE_ESCROW, "new", "n");
	hive_write_ok(test, MESH_HIVE_ACCOUNTS, "MBBB", "changed");
	CU_ASSERT_FALSE(mesh_hive_migrate(test, prod, FALSE, &copied, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_EXISTS);
	hive_assert_missing(prod, MESH_HIVE_ESCROW, "new");
	hive_assert_entry(prod, MESH_HIVE_ACCOUNTS, "MBBB", "second");
	/* Forced: copied over. */
	CU_ASSERT_TRUE(mesh_hive_migrate(test, prod, TRUE, &copied, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(copied, 2 * (MESH_HIVE_N_FOLDERS - 1) + 2);
	assert_list(prod, MESH_HIVE_AUDIT, "");
	hive_assert_entry(prod, MESH_HIVE_ESCROW, "new", "n");
	hive_assert_entry(prod, MESH_HIVE_ACCOUNTS, "MBBB", "changed");
	/* And back the other way, into an empty test hive under another root. */
	{
		g_autofree char *root2 = conf->make_root();
		g_autoptr(MeshHive) test2 = hive_open_ok(MESH_HIVE_TEST, root2);

		CU_ASSERT_TRUE(mesh_hive_migrate(prod, test2, FALSE, &copied, &error));
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_EQUAL(copied, 2 * (MESH_HIVE_N_FOLDERS - 1) + 2);
		hive_assert_bytes(test2, MESH_HIVE_KEYS, "k.dpapi", blob, sizeof blob);
		g_clear_pointer(&test2, mesh_hive_close);
		conf->remove_root(root2);
	}
	conf->remove_root(root);
}

/* The Outbox (core/session-queue.c): its folder name, and entries named by their place in the
 * queue list in that order, and follow a migration. */
static void
test_outbox(void)
{
	g_autofree char *root = conf->make_root();
	g_autoptr(MeshHive) test = hive_open_ok(MESH_HIVE_TEST, root);
	g_autoptr(MeshHive) prod = hive_open_ok(MESH_HIVE_PRODUCTION, root);
	guint copied = 0;
	GError *error = NULL;

	CU_ASSERT_STRING_EQUAL(mesh_hive_folder_name(MESH_HIVE_OUTBOX), "Outbox");
	assert_list(test, MESH_HIVE_OUTBOX, "");
	hive_write_ok(test, MESH_HIVE_OUTBOX, "0000000000000010-0a0b0c0d.json", "third");
	hive_write_ok(test, MESH_HIVE_OUTBOX, "0000000000000002-ffffffff.json", "second");
	hive_write_ok(test, MESH_HIVE_OUTBOX, "0000000000000001-00000000.json", "first");
	assert_list(test, MESH_HIVE_OUTBOX,
		    "0000000000000001-00000000.json,0000000000000002-ffffffff.json,"
		    "0000000000000010-0a0b0c0d.json");
	CU_ASSERT_TRUE(mesh_hive_migrate(test, prod, FALSE, &copied, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(copied, 3);
	hive_assert_entry(prod, MESH_HIVE_OUTBOX, "0000000000000002-ffffffff.json", "second");
	CU_ASSERT_TRUE(mesh_hive_remove(test, MESH_HIVE_OUTBOX, "0000000000000001-00000000.json",
					&error));
	MESH_ASSERT_NO_ERROR(error);
	assert_list(test, MESH_HIVE_OUTBOX,
		    "0000000000000002-ffffffff.json,0000000000000010-0a0b0c0d.json");
	conf->remove_root(root);
}

static void
append_ok(MeshHive *hive, MeshHiveFolder folder, const char *name, const char *text,
	  gboolean sync)
{
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_hive_append(hive, folder, name, (const guint8 *)text, strlen(text),
					sync, &error));
	MESH_ASSERT_NO_ERROR(error);
}

/* Append creates the entry, adds to its end, synced or not; a read gives everything appended,
 * after a write too; each append moves the stamp; it is listed like any entry. */
static void
test_append(void)
{
	g_autofree char *root = conf->make_root();
	g_autoptr(MeshHive) hive = hive_open_ok(MESH_HIVE_TEST, root);
	const MeshHiveFolder folders[] = { MESH_HIVE_AUDIT, MESH_HIVE_POLICY, MESH_HIVE_KEYS,
					   MESH_HIVE_PERSONAL_PROFILES };
	const guint8 bytes[] = { 0, '\n', 0xff, 0x80, 0 };
	GError *error = NULL;

	CU_ASSERT_STRING_EQUAL(mesh_hive_folder_name(MESH_HIVE_POLICY), "Policy");
	CU_ASSERT_STRING_EQUAL(mesh_hive_folder_name(MESH_HIVE_AUDIT), "Audit");
	for (gsize i = 0; i < G_N_ELEMENTS(folders); i++) {
		MeshHiveFolder folder = folders[i];
		MeshHiveStamp s1, s2, s3;

		hive_assert_missing(hive, folder, "000000000001.log");
		append_ok(hive, folder, "000000000001.log", "{\"Seq\":1}\n", TRUE);
		hive_assert_entry(hive, folder, "000000000001.log", "{\"Seq\":1}\n");
		CU_ASSERT_TRUE_FATAL(stamp_of(hive, folder, "000000000001.log", &s1));
		append_ok(hive, folder, "000000000001.log", "{\"Seq\":2}\n", FALSE);
		CU_ASSERT_TRUE_FATAL(stamp_of(hive, folder, "000000000001.log", &s2));
		CU_ASSERT_NOT_EQUAL(memcmp(&s1, &s2, sizeof s1), 0);
		append_ok(hive, folder, "000000000001.log", "", TRUE);
		CU_ASSERT_TRUE(mesh_hive_append(hive, folder, "000000000001.log", bytes,
						sizeof bytes, TRUE, &error));
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_TRUE_FATAL(stamp_of(hive, folder, "000000000001.log", &s3));
		CU_ASSERT_NOT_EQUAL(memcmp(&s2, &s3, sizeof s2), 0);
		{
			const char *lines = "{\"Seq\":1}\n{\"Seq\":2}\n";
			g_autofree guint8 *all = g_malloc(strlen(lines) + sizeof bytes);

			memcpy(all, lines, strlen(lines));
			memcpy(all + strlen(lines), bytes, sizeof bytes);
			hive_assert_bytes(hive, folder, "000000000001.log", all,
					  strlen(lines) + sizeof bytes);
		}
		/* After a write (an atomic replace), appends go on from what was written. */
		hive_write_ok(hive, folder, "head", "H1\n");
		append_ok(hive, folder, "head", "H2\n", FALSE);
		hive_assert_entry(hive, folder, "head", "H1\nH2\n");
		hive_write_ok(hive, folder, "head", "H3\n");
		hive_assert_entry(hive, folder, "head", "H3\n");
		append_ok(hive, folder, "head", "H4\n", TRUE);
		hive_assert_entry(hive, folder, "head", "H3\nH4\n");
		assert_list(hive, folder, "000000000001.log,head");
		/* Removed, then appended again: a new entry. */
		CU_ASSERT_TRUE(mesh_hive_remove(hive, folder, "head", &error));
		MESH_ASSERT_NO_ERROR(error);
		append_ok(hive, folder, "head", "H5\n", FALSE);
		hive_assert_entry(hive, folder, "head", "H5\n");
	}
	/* What was appended is there for the next one who opens the hive. */
	g_clear_pointer(&hive, mesh_hive_close);
	hive = hive_open_ok(MESH_HIVE_TEST, root);
	hive_assert_entry(hive, MESH_HIVE_AUDIT, "head", "H5\n");
	conf->remove_root(root);
}

/* An entry kept open for appends: created when missing, every write at the end (also after
 * another writer's append), readable meanwhile; refused where append is; the bytes stay. */
static void
test_appender(void)
{
	g_autofree char *root = conf->make_root();
	g_autoptr(MeshHive) hive = hive_open_ok(MESH_HIVE_TEST, root);
	g_autoptr(MeshHiveAppender) out = NULL;
	GError *error = NULL;

	out = mesh_hive_appender_open(hive, MESH_HIVE_AUDIT, "000000000001.log", &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_TRUE(mesh_hive_appender_write(out, (const guint8 *)"one\n", 4, FALSE, &error));
	MESH_ASSERT_NO_ERROR(error);
	hive_assert_entry(hive, MESH_HIVE_AUDIT, "000000000001.log", "one\n");
	append_ok(hive, MESH_HIVE_AUDIT, "000000000001.log", "two\n", FALSE);
	CU_ASSERT_TRUE(mesh_hive_appender_write(out, (const guint8 *)"three\n", 6, TRUE, &error));
	MESH_ASSERT_NO_ERROR(error);
	hive_assert_entry(hive, MESH_HIVE_AUDIT, "000000000001.log", "one\ntwo\nthree\n");
	g_clear_pointer(&out, mesh_hive_appender_close);
	CU_ASSERT_PTR_NULL(mesh_hive_appender_open(hive, MESH_HIVE_ACCOUNTS, "a", &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNSUPPORTED);
	CU_ASSERT_PTR_NULL(mesh_hive_appender_open(hive, MESH_HIVE_AUDIT, "../x", &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	g_clear_pointer(&hive, mesh_hive_close);
	hive = hive_open_ok(MESH_HIVE_TEST, root);
	hive_assert_entry(hive, MESH_HIVE_AUDIT, "000000000001.log", "one\ntwo\nthree\n");
	conf->remove_root(root);
}

/* Bad names, folders and sizes are refused as for write; so are the default entry and the
 * Accounts folder, whose entries are written whole. Nothing is left behind. */
static void
test_append_refused(void)
{
	g_autofree char *root = conf->make_root();
	g_autoptr(MeshHive) hive = hive_open_ok(MESH_HIVE_TEST, root);
	g_autofree guint8 *huge = g_malloc0(MESH_HIVE_ENTRY_MAX + 1);
	GError *error = NULL;

	for (int f = 0; f < MESH_HIVE_N_FOLDERS; f++) {
		for (gsize i = 0; i < G_N_ELEMENTS(bad_names); i++) {
			CU_ASSERT_FALSE(mesh_hive_append(hive, (MeshHiveFolder)f, bad_names[i],
							 (const guint8 *)"x", 1, TRUE, &error));
			MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
		}
		CU_ASSERT_FALSE(mesh_hive_append(hive, (MeshHiveFolder)f, MESH_HIVE_DEFAULT,
						 (const guint8 *)"x\n", 2, FALSE, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_UNSUPPORTED);
		hive_assert_missing(hive, (MeshHiveFolder)f, MESH_HIVE_DEFAULT);
		assert_list(hive, (MeshHiveFolder)f, "");
	}
	CU_ASSERT_FALSE(mesh_hive_append(hive, MESH_HIVE_ACCOUNTS, "a", (const guint8 *)"x", 1,
					 FALSE, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNSUPPORTED);
	hive_assert_missing(hive, MESH_HIVE_ACCOUNTS, "a");
	CU_ASSERT_FALSE(mesh_hive_append(hive, MESH_HIVE_N_FOLDERS, "x", (const guint8 *)"x", 1,
					 FALSE, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_hive_append(hive, MESH_HIVE_AUDIT, NULL, NULL, 0, FALSE, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_hive_append(hive, MESH_HIVE_AUDIT, "big", huge,
					 MESH_HIVE_ENTRY_MAX + 1, FALSE, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	hive_assert_missing(hive, MESH_HIVE_AUDIT, "big");
	conf->remove_root(root);
}

static CU_TestInfo tests[] = {
	{ "write, read, list, remove, defaults, reopen", test_round_trip },
	{ "every folder: .json names, defaults", test_every_folder },
	{ "the Outbox: queue order, migrated", test_outbox },
	{ "binary entries come back byte for byte", test_binary_entries },
	{ "not found and too large", test_not_found_and_too_large },
	{ "invalid names are rejected", test_invalid_names },
	{ "replacing a 1 MiB entry is atomic", test_replace_is_atomic },
	{ "test and production hives are independent", test_hives_are_independent },
	{ "two roots are two hives", test_roots_are_independent },
	{ "MMM_HOME is honoured", test_mmm_home },
	{ "stamps: equal when unchanged, not after a change", test_stamps },
	{ "migrate test -> production and back", test_migrate },
	{ "append: creates, appends, after a write, stamps", test_append },
	{ "append: bad names, the default, Accounts, too large", test_append_refused },
	{ "appender: kept open, at the end, refused where append is", test_appender },
	CU_TEST_INFO_NULL,
};

CU_TestInfo *
mesh_hive_conformance_tests(const MeshHiveConformance *ops)
{
	conf = ops;
	return tests;
}
