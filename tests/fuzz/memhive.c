/* SPDX-License-Identifier: MIT */
/* An in-memory MeshHive for fuzz targets (memhive.h). */
#include "memhive.h"

#include <string.h>

#include "error.h"

typedef struct {
	GBytes *data;
	guint64 stamp;
} Entry;

typedef struct {
	MeshHive base;
	GHashTable *folders[MESH_HIVE_N_FOLDERS]; /* name -> Entry */
	guint64 changes;                          /* bumped by every change: the stamps */
} MemHive;

static void
entry_free(Entry *e)
{
	g_bytes_unref(e->data);
	g_free(e);
}

static void
put(MemHive *mem, MeshHiveFolder folder, const char *name, GBytes *data)
{
	Entry *e = g_new0(Entry, 1);

	e->data = data;
	e->stamp = ++mem->changes;
	g_hash_table_replace(mem->folders[folder], g_strdup(name), e);
}

static gboolean
mem_read(MeshHive *hive, MeshHiveFolder folder, const char *name, gsize max_len,
	 GBytes **ret_data, GError **error)
{
	Entry *e = g_hash_table_lookup(((MemHive *)hive)->folders[folder], name);

	if (e == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND, "no entry %s", name);
		return FALSE;
	}
	if (g_bytes_get_size(e->data) > max_len) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE, "entry %s is too large", name);
		return FALSE;
	}
	*ret_data = g_bytes_ref(e->data);
	return TRUE;
}

static gboolean
mem_write(MeshHive *hive, MeshHiveFolder folder, const char *name, const guint8 *data,
	  gsize len, GError **error)
{
	put((MemHive *)hive, folder, name, g_bytes_new(data, len));
	return TRUE;
}

static gboolean
mem_append(MeshHive *hive, MeshHiveFolder folder, const char *name, const guint8 *data,
	   gsize len, gboolean sync, GError **error)
{
	MemHive *mem = (MemHive *)hive;
	Entry *e = g_hash_table_lookup(mem->folders[folder], name);
	gsize old_len = 0;
	const guint8 *old = e != NULL ? g_bytes_get_data(e->data, &old_len) : NULL;
	guint8 *both = g_malloc(old_len + len + 1);

	if (old_len > 0)
		memcpy(both, old, old_len);
	if (len > 0)
		memcpy(both + old_len, data, len);
	put(mem, folder, name, g_bytes_new_take(both, old_len + len));
	return TRUE;
}

static gboolean
mem_remove(MeshHive *hive, MeshHiveFolder folder, const char *name, GError **error)
{
	MemHive *mem = (MemHive *)hive;

	if (!g_hash_table_remove(mem->folders[folder], name)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND, "no entry %s", name);
		return FALSE;
	}
	mem->changes++;
	return TRUE;
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static gboolean
mem_list(MeshHive *hive, MeshHiveFolder folder, GPtrArray **ret_names, GError **error)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter iter;
	gpointer name;

	g_hash_table_iter_init(&iter, ((MemHive *)hive)->folders[folder]);
	while (g_hash_table_iter_next(&iter, &name, NULL)) {
		if (strcmp(name, MESH_HIVE_DEFAULT) != 0)
			g_ptr_array_add(names, g_strdup(name));
	}
	g_ptr_array_sort(names, compare_names);
	*ret_names = names;
	return TRUE;
}

static gboolean
mem_stamp(MeshHive *hive, MeshHiveFolder folder, const char *name, MeshHiveStamp *ret_stamp,
	  GError **error)
{
	Entry *e = g_hash_table_lookup(((MemHive *)hive)->folders[folder], name);

	if (e == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND, "no entry %s", name);
		return FALSE;
	}
	memset(ret_stamp, 0, sizeof *ret_stamp);
	ret_stamp->v[0] = e->stamp;
	ret_stamp->v[1] = g_bytes_get_size(e->data);
	return TRUE;
}

static const char *
mem_location(MeshHive *hive)
{
	return "(memory)";
}

static void
mem_close(MeshHive *hive)
{
	MemHive *mem = (MemHive *)hive;

	for (int f = 0; f < MESH_HIVE_N_FOLDERS; f++)
		g_hash_table_destroy(mem->folders[f]);
	g_free(mem);
}

static const MeshHiveClass mem_hive_class = {
	.read = mem_read,
	.write = mem_write,
	.append = mem_append,
	.remove = mem_remove,
	.list = mem_list,
	.stamp = mem_stamp,
	.location = mem_location,
	.close = mem_close,
};

MeshHive *
mesh_fuzz_memhive_new(void)
{
	MemHive *mem = g_new0(MemHive, 1);

	mem->base.klass = &mem_hive_class;
	mem->base.kind = MESH_HIVE_TEST;
	for (int f = 0; f < MESH_HIVE_N_FOLDERS; f++)
		mem->folders[f] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
							(GDestroyNotify)entry_free);
	return &mem->base;
}

void
mesh_fuzz_memhive_put(MeshHive *hive, MeshHiveFolder folder, const char *name,
		      const void *data, gsize len)
{
	put((MemHive *)hive, folder, name, g_bytes_new(data, len));
}
