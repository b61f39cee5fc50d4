/* SPDX-License-Identifier: MIT */
#include "hive-cache.h"

#include <string.h>

struct MeshHiveCache {
	GHashTable *entries; /* "<folder>/<name>" -> Entry */
};

typedef struct {
	MeshHiveStamp stamp;
	char *context;
	gpointer object;
	GDestroyNotify free;
} Entry;

static void
entry_free(Entry *e)
{
	if (e->free != NULL)
		e->free(e->object);
	g_free(e->context);
	g_free(e);
}

static char *
entry_key(MeshHiveFolder folder, const char *name)
{
	return g_strdup_printf("%d/%s", (int)folder, name);
}

MeshHiveCache *
mesh_hive_cache_new(void)
{
	MeshHiveCache *cache = g_new0(MeshHiveCache, 1);

	cache->entries =
	        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)entry_free);
	return cache;
}

void
mesh_hive_cache_free(MeshHiveCache *cache)
{
	if (cache == NULL)
		return;
	g_hash_table_destroy(cache->entries);
	g_free(cache);
}

gpointer
mesh_hive_cache_get(MeshHiveCache *cache, MeshHive *hive, MeshHiveFolder folder, const char *name,
                    const char *context, MeshHiveStamp *ret_stamp)
{
	static const MeshHiveStamp none = {{0}};
	g_autofree char *key = NULL;
	gboolean stamped;
	Entry *e;

	memset(ret_stamp, 0, sizeof *ret_stamp);
	if (cache == NULL)
		return NULL;
	stamped = mesh_hive_stamp(hive, folder, name, ret_stamp, NULL);
	if (!stamped)
		memset(ret_stamp, 0, sizeof *ret_stamp);
	key = entry_key(folder, name);
	e = g_hash_table_lookup(cache->entries, key);
	if (e == NULL)
		return NULL;
	/* An entry without a stamp is never a hit. */
	if (stamped && memcmp(ret_stamp, &none, sizeof none) != 0 &&
	    g_strcmp0(e->context, context != NULL ? context : "") == 0 &&
	    memcmp(ret_stamp, &e->stamp, sizeof e->stamp) == 0)
		return e->object;
	g_hash_table_remove(cache->entries, key);
	return NULL;
}

void
mesh_hive_cache_put(MeshHiveCache *cache, MeshHiveFolder folder, const char *name,
                    const char *context, const MeshHiveStamp *stamp, gpointer object,
                    GDestroyNotify free)
{
	Entry *e;

	if (cache == NULL) {
		if (free != NULL)
			free(object);
		return;
	}
	e = g_new0(Entry, 1);
	e->stamp = *stamp;
	e->context = g_strdup(context != NULL ? context : "");
	e->object = object;
	e->free = free;
	g_hash_table_replace(cache->entries, entry_key(folder, name), e);
}

void
mesh_hive_cache_drop(MeshHiveCache *cache, MeshHiveFolder folder, const char *name)
{
	g_autofree char *key = NULL;

	if (cache == NULL)
		return;
	key = entry_key(folder, name);
	g_hash_table_remove(cache->entries, key);
}

void
mesh_hive_cache_clear(MeshHiveCache *cache)
{
	if (cache != NULL)
		g_hash_table_remove_all(cache->entries);
}

guint
mesh_hive_cache_size(MeshHiveCache *cache)
{
	return cache != NULL ? g_hash_table_size(cache->entries) : 0;
}

char *
mesh_hive_cache_stamp_text(const MeshHiveStamp *stamp)
{
	return g_strdup_printf(
	        "%" G_GINT64_MODIFIER "x.%" G_GINT64_MODIFIER "x.%" G_GINT64_MODIFIER
	        "x.%" G_GINT64_MODIFIER "x.%" G_GINT64_MODIFIER "x.%" G_GINT64_MODIFIER "x",
	        stamp->v[0], stamp->v[1], stamp->v[2], stamp->v[3], stamp->v[4], stamp->v[5]);
}
