/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "dispatch.h"
#include "service.h"
#include "transport.h"

G_BEGIN_DECLS

/*
 * The agent's server: frames (frame.h) served to mesh_agent_handle_async on the agent's socket,
 * by the server both of the agent's sockets run on (service.h): the peer is checked before a
 * byte is read, frames are capped at MESH_FRAME_MAX, a bad frame closes only its own connection,
 * answers go out in request order. Each frame is handled on the main context (the agent's)
 * while the connection's thread waits; a request answered later (by the agent's worker, or once
 * the passphrase gate lets it through) holds up only its own connection, and is abandoned
 * (mesh_agent_job_abandon) when the client hangs up meanwhile.
 */

/* At most this many connections at once; more wait in the listen backlog. */
#define MESH_SERVER_MAX_CONNECTIONS MESH_SERVICE_MAX_CONNECTIONS

typedef struct MeshServer MeshServer;

/*
 * mesh_server_new: a server for @agent (borrowed: it must outlive the server) at @path, whose
 * Shutdown method is wired to mesh_server_shutdown, on the thread-default main context (the
 * agent's). One agent per hive and per socket: the hive's agent lock (mesh_transport_lock_hive)
 * is held until mesh_server_free. When @passed is NULL, the server listens at @path
 * (mesh_transport_listen); else it serves @passed (socket activation: owned from the call on),
 * which is never removed, locking its address where the folder allows. Errors:
 * MESH_ERROR_EXISTS naming the running agent's pid, those of mesh_transport_listen.
 */
MeshServer *mesh_server_new(MeshAgent *agent, const char *path, MeshTransportListener *passed,
                            GError **error);

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
 * socket activation) and the locks; accepts NULL. */
void mesh_server_free(MeshServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshServer, mesh_server_free)

G_END_DECLS
