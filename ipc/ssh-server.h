/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "hive.h"
#include "service.h"
#include "ssh-agent.h"
#include "transport.h"

G_BEGIN_DECLS

/*
 * The ssh-agent socket: the OpenSSH agent protocol (messages of at most
 * MESH_SSH_AGENT_MESSAGE_MAX bytes, handed to mesh_ssh_agent_handle_from) on the server both of
 * the agent's sockets run on (service.h): the peer is checked before a byte is read, at most
 * MESH_SSH_SERVER_MAX_CONNECTIONS are served at once, a bad message closes only its own
 * connection, and a confirmation waiting for its askpass program holds up no other connection.
 * Keys' lifetimes end on time even when nobody asks.
 */

#define MESH_SSH_SERVER_MAX_CONNECTIONS MESH_SERVICE_MAX_CONNECTIONS

typedef struct MeshSshServer MeshSshServer;

/*
 * mesh_ssh_server_new: serve @agent (borrowed) at @path, serving from now on. When @passed is
 * NULL, the server listens at @path (mesh_transport_listen: MESH_ERROR_EXISTS when another agent
 * of the @kind hive holds its lock). Else it serves @passed (socket activation: owned from the
 * call on, whether it succeeds or not), which is never removed, locking its address where the
 * folder allows. Errors: those, MESH_ERROR_FAILED.
 */
MeshSshServer *mesh_ssh_server_new(MeshSshAgent *agent, const char *path,
                                   MeshTransportListener *passed, MeshHiveKind kind,
                                   GError **error);

/* mesh_ssh_server_free: stop accepting, close every connection, wait for their threads, remove
 * the socket and its lock; accepts NULL. */
void mesh_ssh_server_free(MeshSshServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshSshServer, mesh_ssh_server_free)

G_END_DECLS
