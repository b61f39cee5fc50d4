/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "caller.h"
#include "hive.h"

G_BEGIN_DECLS

/*
 * The local transport between a program and its agent, behind one interface: a Unix socket on
 * Linux and macOS, a named pipe on Windows. One implementation per OS folder (linux/ today).
 * Nothing outside the OS folders knows which it is: no descriptors, no socket addresses, no
 * numeric user ids. The peer check asks one question, "is the peer this user?", because Windows
 * answers it with a SID, not a uid.
 */

/* A connection between a program and its agent, as either end sees it: one byte stream, read and
 * written by one thread at a time. */
typedef struct MeshTransportConnection MeshTransportConnection;

/* mesh_transport_connection_free: close @conn; accepts NULL. */
void mesh_transport_connection_free(MeshTransportConnection *conn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshTransportConnection, mesh_transport_connection_free)

/* ==== Connecting (programs: libmeshclient, mesh) ============================================ */

/*
 * A program's connection to its agent: one byte stream, blocking, every wait bounded. The
 * address is the agent's socket path (mesh_platform_agent_socket; a pipe name on Windows). Who
 * is at the other end is checked before any byte is sent: the endpoint must belong to this user
 * and the process serving it must run as this user. Errors are MeshError codes; their messages
 * are whole sentences for connecting, the OS's reason alone for sending and receiving (the
 * caller knows what it was doing). mesh_transport_connection_free closes it.
 */

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

/*
 * mesh_transport_agent_pid: the process id of the agent serving @address, from the lock file
 * the agent keeps beside it (on Linux "<address>.lock", a regular file of this user holding
 * "<pid> <path>"), or 0 when it cannot be told. For messages only.
 */
gint64 mesh_transport_agent_pid(const char *address);

/* ==== Listening (the agent: both of its sockets) ============================================ */

/*
 * The agent listens at its address (a socket path on Linux and macOS) for programs of this user
 * only: one agent per address, made private before anyone can connect, and every connection's
 * peer checked before a byte is read. A listener is accepted from on one thread at a time; a
 * connection is read and written by one thread, and may be stopped or closed from any.
 */
typedef struct MeshTransportListener MeshTransportListener;
typedef struct MeshTransportLock MeshTransportLock;
/* GIO's (gio/gio.h), named here so that this header needs only GLib. */
typedef struct _GCancellable GCancellable;

/*
 * mesh_transport_activation: the listeners the service manager passed (Linux: systemd socket
 * activation, LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES; at most two): @ret_agent the agent's,
 * @ret_ssh the ssh-agent's, each NULL when not passed. They are told apart by their names
 * ("agent", "ssh-agent"), else by their addresses (the ssh-agent's ends in "ssh-agent.sock").
 * What was passed is forgotten, so that child processes do not take it for theirs. Errors:
 * MESH_ERROR_INVALID_ARGUMENT when a passed one is not a listening local stream socket with an
 * address, there are more than two, two of one kind, or only an ssh-agent one.
 */
gboolean mesh_transport_activation(MeshTransportListener **ret_agent,
                                   MeshTransportListener **ret_ssh, GError **error);

/*
 * mesh_transport_listen: listen at @address for this user's programs. Its folder is made private
 * (mesh_platform_private_dir), the lock ADDRESS.lock taken (as mesh_transport_listener_lock), a
 * stale socket left by a dead agent removed, and the socket bound with mode 0600. @name ("socket",
 * "ssh-agent socket") and @setting (how the user chooses another address) are for the messages.
 * Errors: MESH_ERROR_EXISTS (another agent of the @kind hive holds the lock),
 * MESH_ERROR_PERMISSION (an unsafe folder), MESH_ERROR_INVALID_ARGUMENT (an address too long, or
 * something that is not a socket in the way), MESH_ERROR_IO.
 */
MeshTransportListener *mesh_transport_listen(const char *address, MeshHiveKind kind,
                                             const char *name, const char *setting, GError **error);

/*
 * mesh_transport_listener_lock: for a listener that was passed (mesh_transport_activation): take
 * the lock ADDRESS.lock, so that no second agent takes its address over, where the folder allows
 * one (when it does not, nothing is locked and TRUE returned). The listener holds the lock until
 * it is freed. Errors: MESH_ERROR_EXISTS naming the agent of the @kind hive that holds it.
 */
gboolean mesh_transport_listener_lock(MeshTransportListener *listener, MeshHiveKind kind,
                                      GError **error);

/* mesh_transport_listener_address: where @listener listens (owned by it). */
const char *mesh_transport_listener_address(const MeshTransportListener *listener);

/*
 * mesh_transport_accept: the next connection, waiting at most @timeout_ms (-1: no limit) or until
 * @cancel (may be NULL) is cancelled; NULL without an error when none came. Its peer is not
 * checked yet: see mesh_transport_peer_is_user. Errors: MESH_ERROR_IO.
 */
MeshTransportConnection *mesh_transport_accept(MeshTransportListener *listener, gint timeout_ms,
                                               GCancellable *cancel, GError **error);

/* mesh_transport_listener_free: stop listening, remove the socket (unless it was passed) and the
 * lock; accepts NULL. */
void mesh_transport_listener_free(MeshTransportListener *listener);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshTransportListener, mesh_transport_listener_free)

/*
 * mesh_transport_peer_is_user: whether the process at the other end of @conn runs as this user
 * (Linux: SO_PEERCRED; macOS: getpeereid; Windows: the client's SID). Errors:
 * MESH_ERROR_PERMISSION when it is another user or cannot be told.
 */
gboolean mesh_transport_peer_is_user(MeshTransportConnection *conn, GError **error);

/*
 * mesh_transport_peer_caller: who is at the other end of an accepted @conn: pid and executable
 * path, read once, now (Linux: the SO_PEERCRED pid; the process pinned with SO_PEERPIDFD, else
 * pidfd_open(pid), before /proc/PID/exe is read, and the pidfd checked to still name a live
 * process after, so that a recycled pid cannot answer for another process; the digest hashes
 * the file the process runs, opened through /proc/PID/exe. Windows:
 * GetNamedPipeClientProcessId, OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION) then
 * QueryFullProcessImageNameW, the handle kept in the caller so that the pid is not reused while
 * it lives; the digest hashes the file at that path). Never fails: what cannot be told is
 * unknown (pid 0, program NULL). Returns a new reference (mesh_caller_unref).
 */
MeshCaller *mesh_transport_peer_caller(MeshTransportConnection *conn);

/* mesh_transport_connection_read: at most @len bytes into @buf, waiting for at least one; 0 at
 * the end of the stream (or once reading is stopped), -1 on an error. */
gssize mesh_transport_connection_read(MeshTransportConnection *conn, guint8 *buf, gsize len);

/* mesh_transport_connection_write: all @len bytes of @data; FALSE when the peer has gone. */
gboolean mesh_transport_connection_write(MeshTransportConnection *conn, const guint8 *data,
                                         gsize len);

/*
 * mesh_transport_connection_hung_up: wait at most @timeout_ms (-1: no limit; 0: just look) for
 * the peer to hang up (close, not merely finish writing) or @cancel (may be NULL) to be
 * cancelled. TRUE when it has hung up.
 */
gboolean mesh_transport_connection_hung_up(MeshTransportConnection *conn, gint timeout_ms,
                                           GCancellable *cancel);

/* mesh_transport_connection_stop_reading: a read waiting on @conn (in another thread) returns
 * 0, and so does every later one; writing goes on. */
void mesh_transport_connection_stop_reading(MeshTransportConnection *conn);

/* mesh_transport_connection_shutdown: reads and writes on @conn (in any thread) fail from now
 * on, and it counts as hung up; it stays valid until freed. */
void mesh_transport_connection_shutdown(MeshTransportConnection *conn);

/*
 * mesh_transport_lock_hive: one agent per hive, whatever address it serves: lock the hive's
 * agent lock for this process (Linux: the file .agent.lock in the hive's folder, flock()ed, with
 * "PID ADDRESS" in it: a killed agent's lock dies with it) until mesh_transport_lock_free; the
 * lock file stays. Errors: MESH_ERROR_EXISTS naming the agent that holds it ("an agent for the
 * test hive is already running (pid N, socket P)"), MESH_ERROR_IO.
 */
MeshTransportLock *mesh_transport_lock_hive(MeshHive *hive, const char *address, GError **error);

/* mesh_transport_lock_free: release the lock; accepts NULL. */
void mesh_transport_lock_free(MeshTransportLock *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshTransportLock, mesh_transport_lock_free)

G_END_DECLS
