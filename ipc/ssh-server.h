/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "hive.h"
#include "ssh-agent.h"

G_BEGIN_DECLS

/*
 * The ssh-agent socket: a listening Unix socket whose connections each get a thread that reads
 * a message (4-byte big-endian length, at most MESH_SSH_AGENT_MESSAGE_MAX), hands it to
 * mesh_ssh_agent_handle and writes the answer, until the client closes. As on the agent's own
 * socket, the peer's uid is checked before a byte is read, at most MESH_SSH_SERVER_MAX_CONNECTIONS
 * are served at once, and a bad message closes only its own connection. A thread per connection
 * keeps each one's latency to one system call each way, and lets a confirmation wait for its
 * askpass program without holding up the others.
 */

#define MESH_SSH_SERVER_MAX_CONNECTIONS 256

typedef struct MeshSshServer MeshSshServer;

/*
 * mesh_ssh_server_new: serve @agent (borrowed) on @path. When @fd is -1, the folder of @path is
 * made private (0700), the lock PATH.lock taken (MESH_ERROR_EXISTS when another agent of the
 * @kind hive holds it), a stale socket removed, and the socket bound with mode 0600. When @fd is
 * a listening socket bound to @path (passed by socket activation), it is served as it is and
 * never unlinked; PATH.lock is taken where the folder allows. The server owns @fd from the call
 * on, whether it succeeds or not. Errors: those, MESH_ERROR_INVALID_ARGUMENT (a path too long
 * for a Unix socket), MESH_ERROR_IO.
 */
MeshSshServer *mesh_ssh_server_new(MeshSshAgent *agent, const char *path, int fd,
				   MeshHiveKind kind, GError **error);

/* mesh_ssh_server_free: stop accepting, close every connection, wait for their threads, remove
 * the socket and its lock; accepts NULL. */
void mesh_ssh_server_free(MeshSshServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshSshServer, mesh_ssh_server_free)

G_END_DECLS
