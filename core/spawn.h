/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A helper program run in the background (the agent started on demand, an askpass program),
 * waited for with a timeout: GIO's portable GSubprocess, so no OS folder needs its own.
 *
 * mesh_spawn_new: start @argv (argv[0] a path or a name looked up in PATH) with @envp (NULL:
 * this process's environment); its standard input and output are the null device, its standard
 * error is this process's. Errors: GSpawnError's messages, under MESH_ERROR_FAILED.
 * mesh_spawn_wait: wait at most @timeout_us (0: only look) for it to exit; TRUE once it has.
 * mesh_spawn_succeeded: it exited with status 0 (only after mesh_spawn_wait returned TRUE).
 * mesh_spawn_describe: how it ended, "exit status N" or "signal N" (after mesh_spawn_wait).
 * mesh_spawn_kill: end it at once and wait for it.
 */
typedef struct MeshSpawn MeshSpawn;

MeshSpawn *mesh_spawn_new(const char *const *argv, const char *const *envp, GError **error);
gboolean mesh_spawn_wait(MeshSpawn *child, gint64 timeout_us);
gboolean mesh_spawn_succeeded(MeshSpawn *child);
char *mesh_spawn_describe(MeshSpawn *child);
void mesh_spawn_kill(MeshSpawn *child);
void mesh_spawn_free(MeshSpawn *child);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshSpawn, mesh_spawn_free)

G_END_DECLS
