/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "dispatch.h"

G_BEGIN_DECLS

/*
 * The agent's server: a GLib main loop serving frames (frame.h) to mesh_agent_handle over a Unix
 * socket, as OpenSSH's ssh-agent does: the peer's uid is checked before a byte is read, frames
 * are capped at MESH_FRAME_MAX, a bad frame closes only its own connection.
 */

/* At most this many connections at once; more wait in the listen backlog. */
#define MESH_SERVER_MAX_CONNECTIONS 256
/* A connection whose unsent answers exceed this is not read from until they drain. */
#define MESH_SERVER_QUEUE_MAX (4 * 1024 * 1024)

typedef struct MeshServer MeshServer;

/* The names of the sockets in LISTEN_FDNAMES (systemd's FileDescriptorName=), and the file
 * name that marks the ssh-agent socket when they are not named so. */
#define MESH_SERVER_FDNAME_AGENT    "agent"
#define MESH_SERVER_FDNAME_SSH      "ssh-agent"
#define MESH_SERVER_SSH_SOCKET_NAME "ssh-agent.sock"

/*
 * mesh_server_activation: the listening sockets passed by socket activation (LISTEN_PID is this
 * process; LISTEN_FDS 1 or 2, from descriptor 3), in @ret_agent_fd (the agent's socket) and
 * @ret_ssh_fd (the ssh-agent socket), each -1 when not passed. Each is told by its name in
 * LISTEN_FDNAMES when that is MESH_SERVER_FDNAME_AGENT or MESH_SERVER_FDNAME_SSH, else by its
 * path: the ssh-agent socket is the one named MESH_SERVER_SSH_SOCKET_NAME. The variables are
 * unset so that child processes do not take them for their own, and the sockets made
 * close-on-exec. Errors: MESH_ERROR_INVALID_ARGUMENT when a passed descriptor is not a
 * listening Unix stream socket with a path, there are more than two, two of one kind, or only
 * an ssh-agent socket.
 */
gboolean mesh_server_activation(int *ret_agent_fd, int *ret_ssh_fd, GError **error);

/*
 * mesh_server_fd_path: the path a listening Unix stream socket @fd is bound to. Errors:
 * MESH_ERROR_INVALID_ARGUMENT when @fd is not a listening Unix stream socket with a path.
 */
gboolean mesh_server_fd_path(int fd, char **ret_path, GError **error);

/*
 * mesh_server_lock_file: lock the file @path (created 0600) for this process and write "PID
 * @socket_path" into it. flock() locks die with their holder, so a killed agent leaves nothing
 * that blocks the next one. Errors: MESH_ERROR_EXISTS naming the agent (of the @kind hive) that
 * holds it, MESH_ERROR_IO.
 */
gboolean mesh_server_lock_file(const char *path, const char *socket_path, MeshHiveKind kind,
			       int *ret_fd, GError **error);

/* mesh_server_remove_stale: with the socket's lock held, whatever socket is at @path belongs to
 * a dead agent: remove it. Errors: MESH_ERROR_INVALID_ARGUMENT (not a socket), MESH_ERROR_IO. */
gboolean mesh_server_remove_stale(const char *path, GError **error);

/*
 * mesh_server_new: a server for @agent (borrowed: it must outlive the server), whose Shutdown
 * method is wired to mesh_server_shutdown. One agent per socket: the lock file PATH.lock is
 * flock()ed, and held until mesh_server_free; when another process holds it, the error is
 * MESH_ERROR_EXISTS naming its pid. When @fd is -1 the socket's folder is made private
 * (mesh_platform_private_dir, 0700), a stale socket left by a dead agent is removed, and a new
 * socket is bound at @path with mode 0600. When @fd is a listening socket (socket activation),
 * it is used as is and never unlinked. Errors: MESH_ERROR_EXISTS, MESH_ERROR_PERMISSION (an
 * unsafe folder), MESH_ERROR_INVALID_ARGUMENT (a path too long for a Unix socket, or one that is
 * not a socket), MESH_ERROR_IO.
 */
MeshServer *mesh_server_new(MeshAgent *agent, const char *path, int fd, GError **error);

/*
 * mesh_server_run: accept and serve connections until mesh_server_shutdown has run and every
 * connection has sent its answers (or a few seconds have passed).
 */
void mesh_server_run(MeshServer *server);

/*
 * mesh_server_shutdown: stop accepting, stop reading, let each connection send the answers it
 * owes, then make mesh_server_run return. Safe to call more than once and from a handler.
 */
void mesh_server_shutdown(MeshServer *server);

/* mesh_server_free: close every connection, remove the socket (unless it was passed by
 * socket activation) and the lock file; accepts NULL. */
void mesh_server_free(MeshServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshServer, mesh_server_free)

G_END_DECLS
