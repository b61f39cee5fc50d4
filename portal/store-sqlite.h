/* SPDX-License-Identifier: MIT */
#pragma once

#include "store.h"

G_BEGIN_DECLS

/* The schema this build writes; a database with a higher version is refused. */
#define MESH_PORTAL_SQLITE_SCHEMA_VERSION 2

/*
 * mesh_portal_store_sqlite_open: the SQLite store in the file @path, made if missing (its
 * folder 0700 through mesh_platform_private_dir, the file 0600; SQLite gives the -wal and -shm
 * files the same mode). The database runs with journal_mode=WAL, synchronous=FULL (a
 * transaction that returned survives a power cut), foreign_keys=ON and a busy timeout, and is
 * migrated to MESH_PORTAL_SQLITE_SCHEMA_VERSION in one transaction. Calls are serialised by a
 * mutex: one store may be shared by threads; several processes may open the same file.
 * Returns the store (close with mesh_portal_store_close). Errors: MESH_ERROR_PERMISSION when
 * the file or its folder is open to other users, not a regular file, or a link;
 * MESH_ERROR_UNSUPPORTED when the database was written by a newer servermesh (higher schema
 * version) or is not a servermesh database; MESH_ERROR_IO when SQLite fails.
 */
MeshPortalStore *mesh_portal_store_sqlite_open(const char *path, GError **error);

/*
 * mesh_portal_store_sqlite_pragma: the value of PRAGMA @name (letters and '_' only) on the
 * store's own connection, e.g. "synchronous" → "2" (FULL): for tests and diagnostics. Returns
 * a new string in *@ret_value. Errors: MESH_ERROR_INVALID_ARGUMENT for another name or a store
 * that is not an SQLite store, MESH_ERROR_IO.
 */
gboolean mesh_portal_store_sqlite_pragma(MeshPortalStore *store, const char *name,
					 char **ret_value, GError **error);

/*
 * mesh_portal_store_sqlite_backup: copy the portal database @path, which servermesh may be
 * serving meanwhile, into @copy, an empty file the caller made (mesh_platform_file_temp): the
 * whole database as of one moment, through SQLite's online backup API in a single step (one read
 * transaction: servermesh goes on writing, and nothing it writes meanwhile is half in the copy);
 * then the copy must pass PRAGMA integrity_check. @path is opened without creating it and must be
 * a portal database of a schema this build knows. The copy is not flushed to the disk here
 * (mesh_platform_file_commit does it). Errors: MESH_ERROR_NOT_FOUND when @path does not exist;
 * MESH_ERROR_UNSUPPORTED when it is not a portal database or of a newer schema; MESH_ERROR_IO
 * when SQLite fails or the copy does not pass the check.
 */
gboolean mesh_portal_store_sqlite_backup(const char *path, const char *copy, GError **error);

G_END_DECLS
