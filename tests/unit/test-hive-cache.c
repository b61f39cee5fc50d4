/* SPDX-License-Identifier: MIT */
/* core/hive-cache: a kept object is given back only while its hive entry is unchanged on disk
 * and its context is the same; every other case is a miss that frees the stale object. */
#include "cutest.h"
#include "error.h"
#include "hive-cache.h"
#include "hive.h"

#include <stdio.h>
#include <string.h>

static guint freed;

static void
count_free(gpointer object)
{
	freed++;
	g_free(object);
}

typedef struct {
	char *root;
	MeshHive *hive;
	MeshHiveCache *cache;
} Fixture;

static void
fixture_open(Fixture *f)
{
	GError *error = NULL;

	f->root = mesh_test_tmp_dir("hive-cache");
	f->hive = mesh_hive_open(MESH_HIVE_TEST, f->root, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->hive);
	f->cache = mesh_hive_cache_new();
	freed = 0;
}

static void
fixture_close(Fixture *f)
{
	mesh_hive_cache_free(f->cache);
	mesh_hive_close(f->hive);
	mesh_test_remove_tree(f->root);
	g_free(f->root);
}

static void
write_entry(Fixture *f, const char *name, const char *text)
{
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_hive_write(f->hive, MESH_HIVE_PERSONAL_PROFILES, name,
				       (const guint8 *)text, strlen(text), &error));
	MESH_ASSERT_NO_ERROR(error);
}

/* Look up @name under @context; on a miss keep a new object for it and return NULL. */
static gpointer
get_or_put(Fixture *f, const char *name, const char *context)
{
	MeshHiveStamp stamp;
	gpointer hit = mesh_hive_cache_get(f->cache, f->hive, MESH_HIVE_PERSONAL_PROFILES, name,
					   context, &stamp);

	if (hit == NULL)
		mesh_hive_cache_put(f->cache, MESH_HIVE_PERSONAL_PROFILES, name, context, &stamp,
				    g_strdup(name), count_free);
	return hit;
}

/* Rewrite the entry's file in place, same size, same inode: what a tamperer behind the agent
 * does. */
static void
tamper_in_place(Fixture *f, const char *name, char with)
{
	g_autofree char *path = g_build_filename(mesh_hive_location(f->hive),
						 mesh_hive_folder_name(MESH_HIVE_PERSONAL_PROFILES),
						 name, NULL);
	FILE *file = fopen(path, "r+");

	CU_ASSERT_PTR_NOT_NULL_FATAL(file);
	/* Past the file system's clock tick, so that the change shows in the times. */
	g_usleep(20 * 1000);
	CU_ASSERT_EQUAL(fputc(with, file), with);
	CU_ASSERT_EQUAL(fclose(file), 0);
}

static void
test_hit_while_unchanged(void)
{
	Fixture f;
	gpointer first;

	fixture_open(&f);
	write_entry(&f, "a.json", "{\"a\":1}");
	CU_ASSERT_PTR_NULL(get_or_put(&f, "a.json", "ctx"));
	CU_ASSERT_EQUAL(mesh_hive_cache_size(f.cache), 1);
	first = get_or_put(&f, "a.json", "ctx");
	CU_ASSERT_PTR_NOT_NULL(first);
	CU_ASSERT_STRING_EQUAL(first, "a.json");
	CU_ASSERT_PTR_EQUAL(get_or_put(&f, "a.json", "ctx"), first);
	CU_ASSERT_EQUAL(freed, 0);
	fixture_close(&f);
	CU_ASSERT_EQUAL(freed, 1);
}

static void
test_miss_when_changed_on_disk(void)
{
	Fixture f;

	fixture_open(&f);
	write_entry(&f, "a.json", "{\"a\":1}");
	CU_ASSERT_PTR_NULL(get_or_put(&f, "a.json", NULL));
	CU_ASSERT_PTR_NOT_NULL(get_or_put(&f, "a.json", NULL));
	/* Changed in place behind the cache: a miss, and the stale object is gone. */
	tamper_in_place(&f, "a.json", 'X');
	CU_ASSERT_PTR_NULL(get_or_put(&f, "a.json", NULL));
	CU_ASSERT_EQUAL(freed, 1);
	CU_ASSERT_PTR_NOT_NULL(get_or_put(&f, "a.json", NULL));
	/* Replaced through the hive (a new file): a miss too. */
	write_entry(&f, "a.json", "{\"a\":2}");
	CU_ASSERT_PTR_NULL(get_or_put(&f, "a.json", NULL));
	CU_ASSERT_EQUAL(freed, 2);
	fixture_close(&f);
}

static void
test_miss_when_removed_or_absent(void)
{
	Fixture f;
	GError *error = NULL;
	MeshHiveStamp stamp;

	fixture_open(&f);
	/* No entry: never a hit, however often asked, and a zero stamp. */
	CU_ASSERT_PTR_NULL(get_or_put(&f, "none.json", NULL));
	CU_ASSERT_PTR_NULL(mesh_hive_cache_get(f.cache, f.hive, MESH_HIVE_PERSONAL_PROFILES,
					       "none.json", NULL, &stamp));
	CU_ASSERT_EQUAL(freed, 1);
	write_entry(&f, "a.json", "{}");
	CU_ASSERT_PTR_NULL(get_or_put(&f, "a.json", NULL));
	CU_ASSERT_TRUE(mesh_hive_remove(f.hive, MESH_HIVE_PERSONAL_PROFILES, "a.json", &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NULL(mesh_hive_cache_get(f.cache, f.hive, MESH_HIVE_PERSONAL_PROFILES,
					       "a.json", NULL, &stamp));
	CU_ASSERT_EQUAL(freed, 2);
	CU_ASSERT_EQUAL(mesh_hive_cache_size(f.cache), 0);
	fixture_close(&f);
}

static void
test_miss_when_context_differs(void)
{
	Fixture f;

	fixture_open(&f);
	write_entry(&f, "a.json", "{}");
	CU_ASSERT_PTR_NULL(get_or_put(&f, "a.json", "profile-1"));
	CU_ASSERT_PTR_NOT_NULL(get_or_put(&f, "a.json", "profile-1"));
	/* Verified under another profile's keys: not the same object any more. */
	CU_ASSERT_PTR_NULL(get_or_put(&f, "a.json", "profile-2"));
	CU_ASSERT_EQUAL(freed, 1);
	/* NULL and "" are the same context. */
	CU_ASSERT_PTR_NULL(get_or_put(&f, "a.json", NULL));
	CU_ASSERT_PTR_NOT_NULL(get_or_put(&f, "a.json", ""));
	fixture_close(&f);
}

static void
test_drop_clear_and_no_cache(void)
{
	Fixture f;
	MeshHiveStamp stamp;

	fixture_open(&f);
	write_entry(&f, "a.json", "{}");
	write_entry(&f, "b.json", "{}");
	get_or_put(&f, "a.json", NULL);
	get_or_put(&f, "b.json", NULL);
	mesh_hive_cache_drop(f.cache, MESH_HIVE_PERSONAL_PROFILES, "a.json");
	CU_ASSERT_EQUAL(freed, 1);
	CU_ASSERT_PTR_NULL(get_or_put(&f, "a.json", NULL));
	CU_ASSERT_PTR_NOT_NULL(get_or_put(&f, "b.json", NULL));
	mesh_hive_cache_clear(f.cache);
	CU_ASSERT_EQUAL(freed, 3);
	CU_ASSERT_EQUAL(mesh_hive_cache_size(f.cache), 0);
	/* Without a cache nothing is kept: put frees at once, get always misses. */
	mesh_hive_cache_put(NULL, MESH_HIVE_PERSONAL_PROFILES, "a.json", NULL, &stamp,
			    g_strdup("x"), count_free);
	CU_ASSERT_EQUAL(freed, 4);
	CU_ASSERT_PTR_NULL(mesh_hive_cache_get(NULL, f.hive, MESH_HIVE_PERSONAL_PROFILES, "a.json",
					       NULL, &stamp));
	fixture_close(&f);
}

static CU_TestInfo tests[] = {
	{ "a kept object is a hit while its entry is unchanged", test_hit_while_unchanged },
	{ "an entry changed in place or replaced is a miss", test_miss_when_changed_on_disk },
	{ "an entry removed or never written is a miss", test_miss_when_removed_or_absent },
	{ "another context is a miss", test_miss_when_context_differs },
	{ "drop, clear, and no cache at all", test_drop_clear_and_no_cache },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("hive-cache", tests);
}
