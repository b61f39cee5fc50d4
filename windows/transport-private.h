/* SPDX-License-Identifier: MIT */
#pragma once

/* What the two sides of the local transport on Windows (transport-connect.c,
 * transport-listen.c) share: a connection is one end of a named pipe instance. */

#include <glib.h>

#include <windows.h>

#include "transport.h"

/* GIO's; transport.h names the type. */
#include <gio/gio.h>

/* Every pipe name starts so: local pipes only (\\server\pipe\ would be another machine's). */
#define TRANSPORT_PIPE_PREFIX "\\\\.\\pipe\\"
/* A pipe name is at most 256 characters, prefix included (CreateNamedPipeW). */
#define TRANSPORT_PIPE_NAME_MAX 256

/* The agent's pipes: byte streams, blocking mode (completion comes through overlapped I/O),
 * never a client from another machine. The test reads these back (test-win-pipes.c). */
#define TRANSPORT_PIPE_MODE                                                                        \
	(PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS)
#define TRANSPORT_PIPE_BUFFER (64 * 1024)

/*
 * Either end of a pipe, opened for overlapped I/O so that every wait is bounded and can be
 * broken from another thread: a read waits on its own event and on @stop_read, a write on its
 * own event and on @stop_all (both manual-reset, set once and never reset).
 */
struct MeshTransportConnection {
	HANDLE pipe;
	gboolean server;  /* the agent's end (an instance it made) */
	HANDLE read_done; /* the OVERLAPPED events of the read and the write in flight */
	HANDLE write_done;
	HANDLE stop_read; /* stop_reading or shutdown: reads return 0 / fail */
	HANDLE stop_all;  /* shutdown: writes fail too, and the connection counts as hung up */
	gint stopped;     /* atomic: 1 reading stopped, 2 shut down */
	/* The agent's end: the client's process id (0 unknown) and the process itself
	 * (PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE; NULL when it could not be opened),
	 * opened once at accept (transport_open_client) for the peer check and the caller: while
	 * the handle is held the pid cannot go to another process. */
	DWORD client_pid;
	HANDLE client;
};

/* transport_connection_new: a connection owning @pipe (opened with FILE_FLAG_OVERLAPPED), or
 * NULL with MESH_ERROR_IO (@pipe closed) when its events cannot be made. */
MeshTransportConnection *transport_connection_new(HANDLE pipe, gboolean server, GError **error);

/* transport_pipe_name: @address as the UTF-16 name the W functions take when it names a local
 * pipe (\\.\pipe\NAME, at most TRANSPORT_PIPE_NAME_MAX characters), else NULL with
 * MESH_ERROR_INVALID_ARGUMENT, the message saying @what and how to choose another (@setting). */
wchar_t *transport_pipe_name(const char *address, const char *what, const char *setting,
                             GError **error);

/*
 * transport_read: up to @len bytes into @buf, waiting at most @timeout_ms (INFINITE: no limit)
 * for the first. Returns the count, 0 at the end of the stream or once reading is stopped
 * (*@ret_err 0, or the Win32 error that ended the stream), -1 on an error or a timeout
 * (*@ret_err: the Win32 error, WAIT_TIMEOUT for the time).
 */
gssize transport_read(MeshTransportConnection *conn, guint8 *buf, gsize len, DWORD timeout_ms,
                      DWORD *ret_err);

/* transport_write: all @len bytes, each write waiting at most @timeout_ms for the peer to take
 * it; FALSE with the Win32 error in *@ret_err (WAIT_TIMEOUT for the time, ERROR_OPERATION_ABORTED
 * after a shutdown). */
gboolean transport_write(MeshTransportConnection *conn, const guint8 *data, gsize len,
                         DWORD timeout_ms, DWORD *ret_err);

/*
 * transport_token_is_user: whether @token's user is this process's (mesh_win_user_sid). When it
 * is not, *@ret_other (may be NULL) names the token's user as a SID string (g_free). FALSE with
 * the Win32 error in *@ret_err when the token cannot be read.
 */
gboolean transport_token_is_user(HANDLE token, gboolean *ret_is_user, char **ret_other,
                                 DWORD *ret_err);

/* transport_process_is_user: as transport_token_is_user, for the token of process @pid. */
gboolean transport_process_is_user(DWORD pid, gboolean *ret_is_user, char **ret_other,
                                   DWORD *ret_err);

/* transport_process_handle_is_user: the same for the process @process (opened with at least
 * PROCESS_QUERY_LIMITED_INFORMATION). */
gboolean transport_process_handle_is_user(HANDLE process, gboolean *ret_is_user, char **ret_other,
                                          DWORD *ret_err);

/*
 * transport_open_client: on the agent's end @conn, just connected, find the client's process id
 * and open its process (caller.c), into conn->client_pid and conn->client; each stays unknown
 * (0, NULL) when it cannot be had, and so does the process when it was made after the client
 * connected (the client has gone, and its pid is another's).
 */
void transport_open_client(MeshTransportConnection *conn);

/* transport_impersonated_is_user: as transport_token_is_user, for the token of the client of
 * the agent's end @pipe, through impersonation: the peer check's way when the client's process
 * cannot be opened (or its id is 0, as older Wine gives). */
gboolean transport_impersonated_is_user(HANDLE pipe, gboolean *ret_is_user, char **ret_other,
                                        DWORD *ret_err);

/* The wait on a GCancellable: an event set when @cancel (may be NULL: never) is cancelled.
 * transport_cancel_watch fills @w (its event already set when @cancel is cancelled);
 * transport_cancel_unwatch undoes it. */
typedef struct {
	GCancellable *cancel;
	gulong id;
	HANDLE event;
} TransportCancelWatch;

gboolean transport_cancel_watch(TransportCancelWatch *w, GCancellable *cancel);
void transport_cancel_unwatch(TransportCancelWatch *w);
