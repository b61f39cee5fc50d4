/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What linux/ shares among its files and nobody else sees: user ids are a POSIX notion, so the
 * rest of the tree asks core/transport.h's question instead ("is the peer this user?").
 */

#include <glib.h>

/* mesh_platform_uid: the real user id of this process. */
guint64 mesh_platform_uid(void);

/*
 * mesh_platform_peer_uid: the user id of the process at the other end of the connected local
 * socket @fd (SO_PEERCRED / getpeereid). Errors: MESH_ERROR_PERMISSION when it cannot be
 * determined.
 */
gboolean mesh_platform_peer_uid(int fd, guint64 *ret_uid, GError **error);

/* mesh_platform_write_all: write(2) all of @data, through short writes and signals; FALSE with
 * errno set when it cannot (EIO for a write that wrote nothing). */
gboolean mesh_platform_write_all(int fd, const guint8 *data, gsize len);

/* mesh_platform_sync_folder: fsync the folder @dir, so that a file created, renamed or removed
 * in it survives a crash. Some file systems cannot sync a folder (EINVAL): there is nothing more
 * to do on those, and that is success. FALSE with errno set otherwise. */
gboolean mesh_platform_sync_folder(const char *dir);
