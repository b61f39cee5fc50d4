/* SPDX-License-Identifier: MIT */
/*
 * The connecting side of core/transport.h on Windows: a named pipe opened for overlapped I/O,
 * whose owner and server process are checked before a byte is sent (as WireGuard's tools check
 * who owns the pipe: a pipe someone else made is not our agent, however it answers).
 */
#include "error.h"
#include "platform.h"
#include "platform-private.h"
#include "transport-private.h"

/* Open the pipe @name as a client: identification is all the server may do with our token
 * (it checks who we are; it cannot act as us). */
static HANDLE
open_client(const wchar_t *name, DWORD access, DWORD flags)
{
	return CreateFileW(name, access, 0, NULL, OPEN_EXISTING,
	                   flags | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, NULL);
}

gint64
mesh_transport_agent_pid(const char *address)
{
	g_autofree wchar_t *name = transport_pipe_name(address, "agent", "MESH_AGENT_SOCK", NULL);
	ULONG pid = 0;
	HANDLE pipe;

	/* Windows keeps no lock file beside a pipe: the pipe itself says who serves it. */
	if (name == NULL)
		return 0;
	pipe = open_client(name, GENERIC_READ, 0);
	if (pipe == INVALID_HANDLE_VALUE)
		return 0;
	if (!GetNamedPipeServerProcessId(pipe, &pid))
		pid = 0;
	CloseHandle(pipe);
	return pid;
}

/* The process serving @pipe must run as this user, where its id can be had (Wine gives 0). */
static gboolean
check_server(HANDLE pipe, const char *address, GError **error)
{
	g_autofree char *other = NULL;
	gboolean is_user = FALSE;
	ULONG pid = 0;
	DWORD err = 0;

	if (!GetNamedPipeServerProcessId(pipe, &pid) || pid == 0)
		return TRUE; /* the owner check stands alone: only this user can make such a pipe */
	if (!transport_process_is_user(pid, &is_user, &other, &err)) {
		g_autofree char *reason = mesh_win_reason(err);

		/* Whatever the reason, it is a refusal. */
		g_set_error(
		        error, MESH_ERROR, MESH_ERROR_PERMISSION,
		        "cannot tell who runs the process serving %s (pid %lu: %s), so refusing "
		        "to talk to it",
		        address, (unsigned long)pid, reason);
		return FALSE;
	}
	if (!is_user) {
		g_set_error(
		        error, MESH_ERROR, MESH_ERROR_PERMISSION,
		        "the process serving %s (pid %lu) runs as %s, not as this user: refusing "
		        "to talk to it",
		        address, (unsigned long)pid, other);
		return FALSE;
	}
	return TRUE;
}

MeshTransportConnection *
mesh_transport_connect(const char *address, GError **error)
{
	g_autofree wchar_t *name = transport_pipe_name(address, "agent", "MESH_AGENT_SOCK", error);
	gint64 deadline =
	        g_get_monotonic_time() + MESH_TRANSPORT_IO_TIMEOUT_SECONDS * G_USEC_PER_SEC;
	g_autofree char *what = NULL;
	HANDLE pipe = INVALID_HANDLE_VALUE;
	MeshTransportConnection *conn;

	if (name == NULL)
		return NULL;
	for (;;) {
		gint64 left;
		DWORD err;

		pipe = open_client(name, GENERIC_READ | GENERIC_WRITE, FILE_FLAG_OVERLAPPED);
		if (pipe != INVALID_HANDLE_VALUE)
			break;
		err = GetLastError();
		if (err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND) {
			g_autofree char *reason = mesh_win_reason(err);

			g_set_error(error, MESH_ERROR, MESH_ERROR_AGENT_UNAVAILABLE,
			            "no agent at %s (%s): start it with 'mesh agent start'",
			            address, reason);
			return NULL;
		}
		if (err != ERROR_PIPE_BUSY) {
			g_autofree char *reason = mesh_win_reason(err);

			g_set_error(error, MESH_ERROR,
			            err == ERROR_ACCESS_DENIED ? MESH_ERROR_PERMISSION
			                                       : MESH_ERROR_IO,
			            "cannot connect to the agent at %s: %s", address, reason);
			return NULL;
		}
		/* Every instance is taken: wait for the agent to offer the next, within the
		 * bound a connect has. */
		left = (deadline - g_get_monotonic_time()) / 1000;
		if (left <= 0) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_TIMEOUT,
			            "the agent at %s took no connection in %d s", address,
			            MESH_TRANSPORT_IO_TIMEOUT_SECONDS);
			return NULL;
		}
		if (!WaitNamedPipeW(name, (DWORD)left) && GetLastError() != ERROR_SEM_TIMEOUT)
			Sleep(10); /* gone or not yet there: the next open says which */
	}
	what = g_strdup_printf("the agent's pipe %s", address);
	if (!mesh_win_check_owner_only(pipe, SE_KERNEL_OBJECT, what, error)) {
		g_prefix_error(error, "refusing to talk to the agent: ");
		CloseHandle(pipe);
		return NULL;
	}
	if (!check_server(pipe, address, error)) {
		CloseHandle(pipe);
		return NULL;
	}
	conn = transport_connection_new(pipe, FALSE, error);
	return conn;
}

/* A failed send or receive (@err: a Win32 error, 0 at the end of the stream) as a MeshError,
 * the reason alone (the caller says what it did). */
static gboolean
io_error(DWORD err, GError **error)
{
	g_autofree char *reason = NULL;

	if (err == WAIT_TIMEOUT) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TIMEOUT, "Connection timed out");
		return FALSE;
	}
	if (err == 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_AGENT_UNAVAILABLE, "end of stream");
		return FALSE;
	}
	reason = mesh_win_reason(err);
	g_set_error(error, MESH_ERROR,
	            err == ERROR_BROKEN_PIPE || err == ERROR_NO_DATA ||
	                            err == ERROR_PIPE_NOT_CONNECTED
	                    ? MESH_ERROR_AGENT_UNAVAILABLE
	                    : MESH_ERROR_IO,
	            "%s", reason);
	return FALSE;
}

gboolean
mesh_transport_send(MeshTransportConnection *conn, const guint8 *data, gsize len, GError **error)
{
	DWORD err = 0;

	return transport_write(conn, data, len, MESH_TRANSPORT_IO_TIMEOUT_SECONDS * 1000, &err) ||
	       io_error(err, error);
}

gboolean
mesh_transport_receive(MeshTransportConnection *conn, guint8 *data, gsize len,
                       MeshTransportWaitFunc keep_waiting, gpointer user_data, GError **error)
{
	while (len > 0) {
		DWORD err = 0;
		gssize n = transport_read(conn, data, len, MESH_TRANSPORT_IO_TIMEOUT_SECONDS * 1000,
		                          &err);

		if (n < 0 && err == WAIT_TIMEOUT && keep_waiting != NULL && keep_waiting(user_data))
			continue;
		if (n <= 0)
			return io_error(n == 0 ? 0 : err, error);
		data += n;
		len -= (gsize)n;
	}
	return TRUE;
}
