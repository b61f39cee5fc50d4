/* SPDX-License-Identifier: MIT */
#pragma once

#include "store.h"

G_BEGIN_DECLS

/* The schema this build writes; a database with a higher version is refused. */
#define MESH_PORTAL_PG_SCHEMA_VERSION 1

/* Serialization failures and deadlocks are retried this many times before the call fails. */
#define MESH_PORTAL_PG_RETRIES 20

/*
 * mesh_portal_store_pg_is_uri: whether @db names a PostgreSQL database (a libpq URI:
 * "postgresql://..." or "postgres://...") rather than an SQLite file.
 */
gboolean mesh_portal_store_pg_is_uri(const char *db);

/*
 * mesh_portal_store_pg_open: the PostgreSQL store in the database @conninfo names: any libpq
 * connection URI or "key=value" string, several hosts with target_session_attrs=read-write
 * included (libpq picks the writable one, and again on each reconnection). The schema is
 * created, or migrated to MESH_PORTAL_PG_SCHEMA_VERSION, in one transaction; several
 * servermesh starting at once migrate it once. Every call that writes runs in one SERIALIZABLE
 * transaction, retried up to MESH_PORTAL_PG_RETRIES times on SQLSTATE 40001 or 40P01, so that
 * the checks of store.h hold across every process sharing the database (several nodes).
 * Thread safety: one connection, calls serialised by a mutex (one store may be shared by the
 * threads of one process; a pool of connections would let them run side by side).
 * @conninfo may hold a password: it is never put in a message (prefer ~/.pgpass or
 * PGPASSFILE: a command line is visible to other users).
 * Returns the store (close with mesh_portal_store_close). Errors: MESH_ERROR_USAGE when libpq
 * cannot parse @conninfo; MESH_ERROR_NETWORK when no server can be reached, or none accepts the
 * connection (retryable: the database may come back); MESH_ERROR_UNSUPPORTED when the database
 * was written by a newer servermesh, holds tables that are not a portal's, or is not UTF-8;
 * MESH_ERROR_IO when a statement fails.
 * Later calls fail with MESH_ERROR_NETWORK ("the database at HOST cannot be reached: ...") when
 * the connection is lost, and the next call connects again.
 */
MeshPortalStore *mesh_portal_store_pg_open(const char *conninfo, GError **error);

G_END_DECLS
