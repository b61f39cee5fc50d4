/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "hive.h"

G_BEGIN_DECLS

/*
 * The local transport between a program and its agent, behind one interface: a Unix socket on
 * Linux and macOS, a named pipe on Windows. One implementation per OS folder (linux/ today).
 * Nothing outside the OS folders knows which it is: no descriptors, no socket addresses, no
 * numeric user ids. The peer check asks one question, "is the peer this user?", because Windows
 * answers it with a SID, not a uid.
 */

/* ==== Connecting (programs: libmeshclient, mesh) ============================================ */

/*
 * A program's connection to its agent: one byte stream, blocking, every wait bounded. The
 * address is the agent's socket path (mesh_platform_agent_socket; a pipe name on Windows). Who
 * is at the other end is checked before any byte is sent: the endpoint must belong to this user
 * and the process serving it must run as this user. Errors are MeshError codes; their messages
 * are whole sentences for connecting, the OS's reason alone for sending and receiving (the
 * caller knows what it was doing).
 */
typedef struct MeshTransportConnection MeshTransportConnection;

/* How long connecting may wait for the agent to take the connection, and one send or one
 * receive for the agent to move. */
#define MESH_TRANSPORT_IO_TIMEOUT_SECONDS 10

/*
 * mesh_transport_connect: connect to the agent at @address. Errors: MESH_ERROR_AGENT_UNAVAILABLE
 * (nobody there), MESH_ERROR_PERMISSION (the endpoint or its process is not this user's),
 * MESH_ERROR_TIMEOUT (the agent took no connection in MESH_TRANSPORT_IO_TIMEOUT_SECONDS: the
 * caller names the agent and says what to do), MESH_ERROR_INVALID_ARGUMENT (an address the OS
 * cannot use), MESH_ERROR_IO.
 */
MeshTransportConnection *mesh_transport_connect(const char *address, GError **error);

/*
 * mesh_transport_send: send all @len bytes at @data. Errors: MESH_ERROR_TIMEOUT (the agent
 * read nothing for MESH_TRANSPORT_IO_TIMEOUT_SECONDS), MESH_ERROR_AGENT_UNAVAILABLE (it closed
 * the connection), MESH_ERROR_IO. After an error the connection is of no further use.
 */
gboolean mesh_transport_send(MeshTransportConnection *conn, const guint8 *data, gsize len,
			     GError **error);

/* Asked each time a receive has waited MESH_TRANSPORT_IO_TIMEOUT_SECONDS for a byte: TRUE to
 * wait as long again. */
typedef gboolean (*MeshTransportWaitFunc)(gpointer user_data);

/*
 * mesh_transport_receive: receive exactly @len bytes into @data. Each time nothing has come
 * for MESH_TRANSPORT_IO_TIMEOUT_SECONDS, @keep_waiting (may be NULL: never) decides whether to
 * wait on. Errors: MESH_ERROR_TIMEOUT (waited, and @keep_waiting said no),
 * MESH_ERROR_AGENT_UNAVAILABLE (the stream ended or was reset), MESH_ERROR_IO. After an error
 * the connection is of no further use.
 */
gboolean mesh_transport_receive(MeshTransportConnection *conn, guint8 *data, gsize len,
				MeshTransportWaitFunc keep_waiting, gpointer user_data,
				GError **error);

/* mesh_transport_close: close and free @conn; accepts NULL. */
void mesh_transport_close(MeshTransportConnection *conn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshTransportConnection, mesh_transport_close)

/*
 * mesh_transport_agent_pid: the process id of the agent serving @address, from the lock file
 * the agent keeps beside it (on Linux "<address>.lock", a regular file of this user holding
 * "<pid> <path>"), or 0 when it cannot be told. For messages only.
 */
gint64 mesh_transport_agent_pid(const char *address);

/* ==== Listening (the agent: both of its sockets) ============================================ */

/* (declarations of the listening side: being written) */

G_END_DECLS
