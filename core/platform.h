/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "hive.h"

G_BEGIN_DECLS

/*
 * What differs between operating systems, behind one interface: one implementation per OS
 * folder (linux/ serves Linux and macOS; windows/ later). Nothing in core/ calls the OS
 * directly.
 */

/* mesh_platform_mmm_home: $MMM_HOME, else ~/.mmm. Returns a new string. */
char *mesh_platform_mmm_home(void);

/*
 * mesh_platform_agent_socket: the agent's socket for @kind: $MESH_AGENT_SOCK when set, else
 * $XDG_RUNTIME_DIR/mesh/<hive folder>/agent.sock, else /tmp/mesh-<uid>/<hive folder>/agent.sock.
 * Returns a new string.
 */
char *mesh_platform_agent_socket(MeshHiveKind kind);

/*
 * mesh_platform_harden: for daemons and tools that hold keys: no core dumps (RLIMIT_CORE 0),
 * not dumpable or traceable by other processes of the user, umask 077. Errors: MESH_ERROR_FAILED
 * naming the step that failed.
 */
gboolean mesh_platform_harden(GError **error);

/*
 * mesh_platform_boottime: microseconds on a clock that never goes back and goes on counting while
 * the machine is suspended (Linux: CLOCK_BOOTTIME, as OpenSSH's agent uses). Lifetimes (ssh-add
 * -t, mesh unlock --lifetime) run on it: an hour's lifetime must not last a night of sleep.
 */
gint64 mesh_platform_boottime(void);

/* GLib's timeouts and poll() count on a clock that stops while the machine sleeps: whatever waits
 * for a mesh_platform_boottime deadline wakes at least this often to look at the clock again. */
#define MESH_PLATFORM_SLEEP_CHECK_MS 5000

/* mesh_platform_uid: the real user id of this process. */
guint64 mesh_platform_uid(void);

/* mesh_platform_pid: this process's id, for messages and lock files. */
guint64 mesh_platform_pid(void);

/*
 * mesh_platform_peer_uid: the user id of the process at the other end of the connected local
 * socket @fd (SO_PEERCRED / getpeereid). Errors: MESH_ERROR_PERMISSION when it cannot be
 * determined.
 */
gboolean mesh_platform_peer_uid(int fd, guint64 *ret_uid, GError **error);

/*
 * mesh_platform_private_dir: make sure @path is a folder (created 0700, with missing parents
 * when @create_parents) that belongs to this user and that neither group nor others can write
 * to. Every folder above it must belong to this user or to root and be writable by others only
 * when sticky (as /tmp), so that nobody else can swap the folder away (OpenSSH's StrictModes). A
 * symbolic link on the way is followed only when it belongs to this user or to root (anyone else
 * could point it elsewhere at any time), and the folders of the path it leads to must pass the
 * same checks; @path itself must not be a link. Errors: MESH_ERROR_PERMISSION naming the path and
 * the fix ("chmod 700 PATH"), MESH_ERROR_IO.
 */
gboolean mesh_platform_private_dir(const char *path, gboolean create_parents, GError **error);

/*
 * mesh_platform_write_atomic: replace the file @path with @len bytes: write a temporary file in
 * the same folder (mode 0600), fsync it, rename it over @path, fsync the folder. After a crash
 * @path holds either its old or its new content. Errors: MESH_ERROR_IO.
 */
gboolean mesh_platform_write_atomic(const char *path, const guint8 *data, gsize len,
				    GError **error);

G_END_DECLS
