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
