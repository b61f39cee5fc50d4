/* SPDX-License-Identifier: MIT */
#pragma once

#include "hive.h"

G_BEGIN_DECLS

/*
 * MeshHiveCache: verified objects read from one hive, kept in memory by the agent's session
 * (docs/design.md "A local read"). Each is kept under its entry (folder + name) with the entry's
 * stamp as it was read (MeshHiveStamp) and a context: what else its check depended on (the
 * profile whose keys verified it; "" when nothing). mesh_hive_cache_get gives it back only while
 * the entry's stamp is unchanged and the context is the same: an entry changed or replaced on
 * disk behind the agent is read and verified again the moment it is next read (and refused if
 * it does not verify). Writes and removals through the session drop the entry they touch. Not
 * thread-safe: the agent uses it under its state lock.
 */
typedef struct MeshHiveCache MeshHiveCache;

MeshHiveCache *mesh_hive_cache_new(void);
/* mesh_hive_cache_free: drops every object; accepts NULL. */
void mesh_hive_cache_free(MeshHiveCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshHiveCache, mesh_hive_cache_free)

/*
 * mesh_hive_cache_get: the object kept for @folder/@name of @hive, borrowed (valid until the
 * cache changes), when its stamp on disk and @context are as they were when it was put; else
 * NULL, and a stale object is dropped. @ret_stamp receives the entry's stamp now (all zero when
 * it has none): on a miss, the stamp to put the object read next with. @cache may be NULL (no
 * cache: always NULL).
 */
gpointer mesh_hive_cache_get(MeshHiveCache *cache, MeshHive *hive, MeshHiveFolder folder,
                             const char *name, const char *context, MeshHiveStamp *ret_stamp);
/*
 * mesh_hive_cache_put: keep @object (taken; freed with @free) for @folder/@name, as read when the
 * entry had @stamp (taken BEFORE the entry was read, so that a change during the read shows as a
 * changed stamp), verified under @context. Replaces what was kept. @cache NULL: @object is freed.
 */
void mesh_hive_cache_put(MeshHiveCache *cache, MeshHiveFolder folder, const char *name,
                         const char *context, const MeshHiveStamp *stamp, gpointer object,
                         GDestroyNotify free);
/* mesh_hive_cache_drop: forget @folder/@name (it is being written or removed). NULL is fine. */
void mesh_hive_cache_drop(MeshHiveCache *cache, MeshHiveFolder folder, const char *name);
/* mesh_hive_cache_clear: forget everything. NULL is fine. */
void mesh_hive_cache_clear(MeshHiveCache *cache);
/* mesh_hive_cache_size: how many objects are kept (tests). */
guint mesh_hive_cache_size(MeshHiveCache *cache);

/*
 * mesh_hive_cache_stamp_text: @stamp as text, to build the context of an object whose check
 * depended on this entry (a new string).
 */
char *mesh_hive_cache_stamp_text(const MeshHiveStamp *stamp);

G_END_DECLS
