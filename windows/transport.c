/* SPDX-License-Identifier: MIT */
/*
 * What the connecting and listening sides of core/transport.h share on Windows: the agent's
 * addresses (named pipes), overlapped reads and writes that a timeout or another thread can
 * break, and the question "does this token belong to this user?".
 */
#include <string.h>

#include "error.h"
#include "platform.h"
#include "platform-private.h"
#include "transport-private.h"

/* The account name in a pipe name: at most this many characters of it. */
#define USER_PART_MAX 64
/* What Windows' own ssh.exe (OpenSSH for Windows) connects to when SSH_AUTH_SOCK is unset. */
#define OPENSSH_AGENT_PIPE TRANSPORT_PIPE_PREFIX "openssh-ssh-agent"

/* This user's account name with every character outside [A-Za-z0-9._-] made '_' (a pipe name
 * allows more, but the name is typed into SSH_AUTH_SOCK and shells), else the SID's text. */
static char *
user_part(void)
{
	wchar_t name[257];
	DWORD len = G_N_ELEMENTS(name);
	g_autofree char *utf8 = NULL;
	GString *out = g_string_new(NULL);

	if (GetUserNameW(name, &len))
		utf8 = mesh_win_utf8(name);
	if (utf8 == NULL || utf8[0] == '\0') {
		const char *sid = mesh_win_user_sid_string();

		g_free(utf8);
		utf8 = g_strdup(sid != NULL ? sid : "unknown");
	}
	for (const char *p = utf8; *p != '\0' && out->len < USER_PART_MAX;
	     p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		g_string_append_c(out, c < 0x80 && (g_ascii_isalnum((char)c) || c == '.' ||
		                                    c == '_' || c == '-')
		                               ? (char)c
		                               : '_');
	}
	return g_string_free(out, FALSE);
}

char *
mesh_platform_agent_socket(MeshHiveKind kind)
{
	const char *sock = g_getenv("MESH_AGENT_SOCK");
	g_autofree char *user = NULL;

	if (sock != NULL && *sock != '\0')
		return g_strdup(sock);
	/* Named pipes live in one flat namespace for the whole machine: the user's name keeps two
	 * users' agents apart, the hive's folder name the two hives of one user. */
	user = user_part();
	return g_strdup_printf(TRANSPORT_PIPE_PREFIX "meshagent-%s-%s", user,
	                       mesh_hive_kind_dirname(kind));
}

char *
mesh_platform_ssh_agent_address(MeshHiveKind kind, const char *agent_address)
{
	/* The production hive's agent serves where ssh.exe looks without being told; the test
	 * hive's beside its own pipe, so that both agents can run at once. */
	if (kind == MESH_HIVE_PRODUCTION)
		return g_strdup(OPENSSH_AGENT_PIPE);
	return g_strconcat(agent_address, "-ssh-agent", NULL);
}

wchar_t *
transport_pipe_name(const char *address, const char *what, const char *setting, GError **error)
{
	g_autofree wchar_t *name = NULL;

	if (!g_str_has_prefix(address, TRANSPORT_PIPE_PREFIX) ||
	    address[strlen(TRANSPORT_PIPE_PREFIX)] == '\0') {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "the %s address '%s' is not a local named pipe (" TRANSPORT_PIPE_PREFIX
		            "NAME): choose another with %s",
		            what, address, setting);
		return NULL;
	}
	name = mesh_win_wide(address, error);
	if (name == NULL)
		return NULL;
	if (wcslen(name) > TRANSPORT_PIPE_NAME_MAX) {
		g_set_error(
		        error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		        "the %s address '%s' is longer than a pipe name may be (%d characters): "
		        "choose a shorter one with %s",
		        what, address, TRANSPORT_PIPE_NAME_MAX, setting);
		return NULL;
	}
	return g_steal_pointer(&name);
}

static void
close_event(HANDLE event)
{
	if (event != NULL)
		CloseHandle(event);
}

MeshTransportConnection *
transport_connection_new(HANDLE pipe, gboolean server, GError **error)
{
	MeshTransportConnection *conn = g_new0(MeshTransportConnection, 1);

	conn->pipe = pipe;
	conn->server = server;
	/* Manual-reset: ReadFile and WriteFile reset them when they start. */
	conn->read_done = CreateEventW(NULL, TRUE, FALSE, NULL);
	conn->write_done = CreateEventW(NULL, TRUE, FALSE, NULL);
	conn->stop_read = CreateEventW(NULL, TRUE, FALSE, NULL);
	conn->stop_all = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (conn->read_done == NULL || conn->write_done == NULL || conn->stop_read == NULL ||
	    conn->stop_all == NULL) {
		mesh_win_set_error(error, GetLastError(), MESH_ERROR_IO,
		                   "cannot make the events of a pipe connection");
		mesh_transport_connection_free(conn);
		return NULL;
	}
	return conn;
}

void
mesh_transport_connection_free(MeshTransportConnection *conn)
{
	if (conn == NULL)
		return;
	/* No DisconnectNamedPipe on the agent's end: it would throw away an answer the client
	 * has not read yet. Closing leaves it readable; the client sees the end after it. */
	CloseHandle(conn->pipe);
	if (conn->client != NULL)
		CloseHandle(conn->client);
	close_event(conn->read_done);
	close_event(conn->write_done);
	close_event(conn->stop_read);
	close_event(conn->stop_all);
	g_free(conn);
}

static gboolean
is_end_of_stream(DWORD err)
{
	return err == ERROR_BROKEN_PIPE || err == ERROR_PIPE_NOT_CONNECTED || err == ERROR_NO_DATA;
}

/*
 * Wait for the overlapped operation @ov on @conn, or @stop, or @timeout_ms. TRUE with the count
 * when it completed (even when it was cancelled too late to stop it); FALSE with the Win32
 * error, WAIT_TIMEOUT for the time, ERROR_OPERATION_ABORTED for @stop.
 */
static gboolean
finish(MeshTransportConnection *conn, OVERLAPPED *ov, HANDLE stop, DWORD timeout_ms, DWORD *ret_n,
       DWORD *ret_err)
{
	HANDLE waits[2] = {ov->hEvent, stop};
	DWORD w = WaitForMultipleObjects(2, waits, FALSE, timeout_ms);

	if (w == WAIT_OBJECT_0) {
		if (GetOverlappedResult(conn->pipe, ov, ret_n, FALSE))
			return TRUE;
		*ret_err = GetLastError();
		return FALSE;
	}
	/* Stop waiting: cancel, and wait for the cancel to land (the buffer is ours again only
	 * then). What completed meanwhile counts. */
	CancelIoEx(conn->pipe, ov);
	if (GetOverlappedResult(conn->pipe, ov, ret_n, TRUE))
		return TRUE;
	*ret_err = w == WAIT_OBJECT_0 + 1 ? ERROR_OPERATION_ABORTED
	           : w == WAIT_TIMEOUT    ? WAIT_TIMEOUT
	                                  : GetLastError();
	return FALSE;
}

gssize
transport_read(MeshTransportConnection *conn, guint8 *buf, gsize len, DWORD timeout_ms,
               DWORD *ret_err)
{
	DWORD want = (DWORD)MIN(len, (gsize)G_MAXINT32);

	*ret_err = 0;
	for (;;) {
		OVERLAPPED ov = {.hEvent = conn->read_done};
		DWORD n = 0, err = 0;
		gboolean done;

		if (g_atomic_int_get(&conn->stopped) != 0)
			return 0;
		if (ReadFile(conn->pipe, buf, want, NULL, &ov)) {
			done = GetOverlappedResult(conn->pipe, &ov, &n, FALSE);
			err = done ? 0 : GetLastError();
		} else if ((err = GetLastError()) == ERROR_IO_PENDING) {
			done = finish(conn, &ov, conn->stop_read, timeout_ms, &n, &err);
		} else {
			done = FALSE;
		}
		if (g_atomic_int_get(&conn->stopped) != 0)
			return 0; /* what came with the stop is dropped: reading has ended */
		if (done && n > 0)
			return (gssize)n;
		if (done)
			continue; /* an empty write by the peer: nothing to report */
		if (is_end_of_stream(err)) {
			*ret_err = err;
			return 0;
		}
		*ret_err = err;
		return -1;
	}
}

gboolean
transport_write(MeshTransportConnection *conn, const guint8 *data, gsize len, DWORD timeout_ms,
                DWORD *ret_err)
{
	while (len > 0) {
		OVERLAPPED ov = {.hEvent = conn->write_done};
		DWORD want = (DWORD)MIN(len, (gsize)G_MAXINT32);
		DWORD n = 0, err = 0;
		gboolean done;

		if (g_atomic_int_get(&conn->stopped) == 2) {
			*ret_err = ERROR_OPERATION_ABORTED;
			return FALSE;
		}
		if (WriteFile(conn->pipe, data, want, NULL, &ov)) {
			done = GetOverlappedResult(conn->pipe, &ov, &n, FALSE);
			err = done ? 0 : GetLastError();
		} else if ((err = GetLastError()) == ERROR_IO_PENDING) {
			done = finish(conn, &ov, conn->stop_all, timeout_ms, &n, &err);
		} else {
			done = FALSE;
		}
		if (!done || n == 0) {
			*ret_err = done ? ERROR_NO_DATA : err;
			return FALSE;
		}
		data += n;
		len -= n;
	}
	return TRUE;
}

gssize
mesh_transport_connection_read(MeshTransportConnection *conn, guint8 *buf, gsize len)
{
	DWORD err = 0;

	return transport_read(conn, buf, len, INFINITE, &err);
}

gboolean
mesh_transport_connection_write(MeshTransportConnection *conn, const guint8 *data, gsize len)
{
	DWORD err = 0;

	return transport_write(conn, data, len, INFINITE, &err);
}

void
mesh_transport_connection_stop_reading(MeshTransportConnection *conn)
{
	/* The reader wakes on the event, cancels its own read and returns 0. */
	g_atomic_int_compare_and_exchange(&conn->stopped, 0, 1);
	SetEvent(conn->stop_read);
}

void
mesh_transport_connection_shutdown(MeshTransportConnection *conn)
{
	g_atomic_int_set(&conn->stopped, 2);
	SetEvent(conn->stop_read);
	SetEvent(conn->stop_all);
}

/* How often a wait for the peer to hang up looks at the pipe: a pipe has no event for it. */
#define HUNG_UP_POLL_MS 50

gboolean
mesh_transport_connection_hung_up(MeshTransportConnection *conn, gint timeout_ms,
                                  GCancellable *cancel)
{
	gint64 deadline =
	        timeout_ms < 0 ? G_MAXINT64 : g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	TransportCancelWatch watch;
	gboolean hung_up = FALSE;

	if (!transport_cancel_watch(&watch, cancel))
		return FALSE;
	for (;;) {
		HANDLE waits[2] = {conn->stop_all, watch.event};
		gint64 left = deadline - g_get_monotonic_time();
		DWORD w;

		/* Closed at the other end: peeking fails (even with bytes still unread, the
		 * broken pipe is what a peek reports once the other end is gone). */
		if (g_atomic_int_get(&conn->stopped) == 2 ||
		    (!PeekNamedPipe(conn->pipe, NULL, 0, NULL, NULL, NULL) &&
		     is_end_of_stream(GetLastError()))) {
			hung_up = TRUE;
			break;
		}
		if (left <= 0)
			break;
		w = WaitForMultipleObjects(2, waits, FALSE,
		                           (DWORD)MIN(left / 1000 + 1, HUNG_UP_POLL_MS));
		if (w == WAIT_OBJECT_0) {
			hung_up = TRUE;
			break;
		}
		if (w != WAIT_TIMEOUT)
			break; /* cancelled (or the wait failed: say what we know) */
	}
	transport_cancel_unwatch(&watch);
	return hung_up;
}

/* ---- Cancellation ----------------------------------------------------------------------- */

static void
on_cancelled(GCancellable *cancel, gpointer data)
{
	SetEvent((HANDLE)data);
}

gboolean
transport_cancel_watch(TransportCancelWatch *w, GCancellable *cancel)
{
	w->cancel = cancel;
	w->id = 0;
	w->event = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (w->event == NULL)
		return FALSE;
	/* Already cancelled: the handler runs at once (and 0 comes back). */
	if (cancel != NULL)
		w->id = g_cancellable_connect(cancel, G_CALLBACK(on_cancelled), w->event, NULL);
	return TRUE;
}

void
transport_cancel_unwatch(TransportCancelWatch *w)
{
	/* Waits for a handler running in another thread, so the event outlives it. */
	if (w->id != 0)
		g_cancellable_disconnect(w->cancel, w->id);
	CloseHandle(w->event);
	w->event = NULL;
}

/* ---- Who is at the other end ------------------------------------------------------------ */

gboolean
transport_token_is_user(HANDLE token, gboolean *ret_is_user, char **ret_other, DWORD *ret_err)
{
	PSID me = mesh_win_user_sid();
	TOKEN_USER *user;

	if (me == NULL) {
		*ret_err = ERROR_NO_TOKEN;
		return FALSE;
	}
	user = mesh_win_token_user(token, ret_err);
	if (user == NULL)
		return FALSE;
	*ret_is_user = EqualSid(user->User.Sid, me);
	if (!*ret_is_user && ret_other != NULL) {
		*ret_other = mesh_win_sid_text(user->User.Sid);
		if (*ret_other == NULL)
			*ret_other = g_strdup("another user");
	}
	g_free(user);
	return TRUE;
}

gboolean
transport_process_handle_is_user(HANDLE process, gboolean *ret_is_user, char **ret_other,
                                 DWORD *ret_err)
{
	HANDLE token = NULL;
	gboolean ok;

	if (!OpenProcessToken(process, TOKEN_QUERY, &token)) {
		*ret_err = GetLastError();
		return FALSE;
	}
	ok = transport_token_is_user(token, ret_is_user, ret_other, ret_err);
	CloseHandle(token);
	return ok;
}

gboolean
transport_process_is_user(DWORD pid, gboolean *ret_is_user, char **ret_other, DWORD *ret_err)
{
	HANDLE process = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
	gboolean ok;

	if (process == NULL) {
		*ret_err = GetLastError();
		return FALSE;
	}
	ok = transport_process_handle_is_user(process, ret_is_user, ret_other, ret_err);
	CloseHandle(process);
	return ok;
}
