/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "transport.h"

G_BEGIN_DECLS

/*
 * mesh_lockfile_take: lock the file @path (created 0600) for this process and write "PID
 * @address" into it. flock() locks die with their holder, so a killed agent leaves nothing that
 * blocks the next one. With @remove, mesh_transport_lock_free unlinks the file (while still
 * holding the lock). Errors: MESH_ERROR_EXISTS naming the agent (of the @kind hive) that holds
 * it, MESH_ERROR_IO. For linux/ only: the rest of the agent sees core/transport.h.
 */
MeshTransportLock *mesh_lockfile_take(const char *path, const char *address, MeshHiveKind kind,
                                      gboolean remove, GError **error);

G_END_DECLS
