/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "caller.h"
#include "transport.h"

G_BEGIN_DECLS

/*
 * One server for both of the agent's sockets (server.h: the Mesh protocol; ssh-server.h: the
 * OpenSSH agent protocol), over the listening transport (core/transport.h), as OpenSSH's
 * ssh-agent serves: the peer is checked before a byte is read (another user is closed on without
 * a word), at most MESH_SERVICE_MAX_CONNECTIONS are served at once (more wait in the listen
 * backlog), and each connection gets a thread of its own that reads messages (a 4-byte
 * big-endian length, then 1 to the protocol's maximum bytes), hands each to the protocol's
 * handler and writes its answer in one write, in request order, until the client closes. A bad
 * length closes only its own connection. A thread per connection keeps each request's latency to
 * one system call each way, and lets a slow request (a confirmation, the passphrase gate, the
 * portal) wait without holding up the other connections; a client that does not read its
 * answers is not read from. Read-ahead buffers are wiped as they are used: requests may hold keys
 * and passphrases.
 */

#define MESH_SERVICE_MAX_CONNECTIONS 256

typedef struct MeshService MeshService;

typedef struct {
	/* For thread names and logs. */
	const char *name;
	/* Longest request and answer (the length excluded): a longer request closes the
	 * connection, as does an answer that would be longer (a bug in the handler). */
	gsize request_max, answer_max;
	/*
	 * handle: the answer body to the @len bytes at @msg (the caller wipes them afterwards),
	 * NULL when nothing is to be sent; *@ret_close (FALSE on entry) when the connection
	 * must close after it. On the connection's thread; @conn serves to watch the client
	 * (mesh_transport_connection_hung_up); @caller is who connected
	 * (mesh_transport_peer_caller, told once per connection).
	 */
	GBytes *(*handle)(gpointer data, MeshTransportConnection *conn, MeshCaller *caller,
	                  const guint8 *msg, gsize len, gboolean *ret_close);
	/* tick (may be NULL): run on the accepting thread now and then; returns the milliseconds
	 * until it wants to run again (-1: only when woken by mesh_service_wake). */
	gint64 (*tick)(gpointer data);
	/* closed (may be NULL): a connection has ended; on its thread, with the service's lock
	 * held (mesh_service_connections then already counts it out): do not call back. */
	void (*closed)(gpointer data);
} MeshServiceProtocol;

/*
 * mesh_service_new: a service of @protocol (static) for @data on @listener (owned from the call
 * on, whether it succeeds or not). Nothing is accepted before mesh_service_start.
 */
MeshService *mesh_service_new(MeshTransportListener *listener, const MeshServiceProtocol *protocol,
                              gpointer data);

/* mesh_service_start: accept and serve, on threads of its own. Errors: MESH_ERROR_FAILED when
 * no thread can be made. */
gboolean mesh_service_start(MeshService *service, GError **error);

/* mesh_service_wake: run the protocol's tick soon. From any thread. */
void mesh_service_wake(MeshService *service);

/* mesh_service_stop: stop accepting and reading; each connection sends the answer to the request
 * it is handling, then closes. From any thread; idempotent. */
void mesh_service_stop(MeshService *service);

/* mesh_service_close: mesh_service_stop, and every connection's reads and writes fail from now
 * on (a client that does not read cannot hold a thread); a handler watching for its client's
 * hang-up sees it. */
void mesh_service_close(MeshService *service);

/* mesh_service_connections: how many connections are being served. */
guint mesh_service_connections(MeshService *service);

/* mesh_service_free: close, wait for every connection's thread to end, free the listener;
 * accepts NULL. A handler must not be waiting for the caller's thread. */
void mesh_service_free(MeshService *service);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshService, mesh_service_free)

G_END_DECLS
