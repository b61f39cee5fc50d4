/* SPDX-License-Identifier: MIT */
/*
 * Who is calling (core/transport.h, mesh_transport_peer_caller) on Windows: the pipe client's
 * process id, its process opened at accept and kept (the handle pins the pid: it cannot go to
 * another process while held), the image path from QueryFullProcessImageNameW, and the digest
 * of the file at that path.
 */
#include <string.h>

#include "error.h"
#include "platform-private.h"
#include "transport-private.h"

/* The longest path QueryFullProcessImageNameW gives, in UTF-16 units (a \\?\ long path). */
#define IMAGE_PATH_MAX 32768

/* The OS part of a MeshCaller. */
typedef struct {
	DWORD pid;
	HANDLE process; /* a duplicate of the connection's: the caller may outlive it */
	wchar_t *path;  /* the image path, as QueryFullProcessImageNameW gave it */
} Caller;

void
transport_open_client(MeshTransportConnection *conn)
{
	FILETIME connected, created, exited, kernel, user;
	ULONG pid = 0;
	HANDLE process;

	/* The client has connected by now: a process made later holds a pid it left. */
	GetSystemTimeAsFileTime(&connected);
	if (!GetNamedPipeClientProcessId(conn->pipe, &pid) || pid == 0)
		return;
	conn->client_pid = pid;
	process = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE, FALSE, pid);
	if (process == NULL)
		return;
	if (!GetProcessTimes(process, &created, &exited, &kernel, &user) ||
	    CompareFileTime(&created, &connected) > 0) {
		CloseHandle(process);
		return;
	}
	conn->client = process;
}

static void
caller_free(gpointer data)
{
	Caller *caller = data;

	CloseHandle(caller->process);
	g_free(caller->path);
	g_free(caller);
}

/* The digest's reader: ReadFile on the handle @file points to. */
static gboolean
read_handle(gpointer file, guint8 *buf, gsize len, gsize *ret_n, GError **error)
{
	DWORD n = 0;

	if (!ReadFile(*(HANDLE *)file, buf, (DWORD)MIN(len, G_MAXUINT32), &n, NULL)) {
		mesh_win_set_error(error, GetLastError(), MESH_ERROR_IO,
		                   "cannot read the calling program");
		return FALSE;
	}
	*ret_n = n;
	return TRUE;
}

/*
 * The digest hook: the file at the image path, opened sharing reads only (nobody writes it while
 * it is hashed) and hashed. Unlike Linux, this is the file at the path now, not necessarily the
 * image the process runs: Windows gives no handle to a process's image file, so a file renamed
 * into the path since the process started is what is hashed.
 */
static gboolean
exe_digest(gpointer os, guint8 ret[32], GError **error)
{
	Caller *caller = os;
	LARGE_INTEGER size;
	gboolean ok = FALSE;
	HANDLE file;

	file = CreateFileW(caller->path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
	                   FILE_FLAG_SEQUENTIAL_SCAN, NULL);
	if (file == INVALID_HANDLE_VALUE) {
		g_autofree char *reason = mesh_win_reason(GetLastError());

		/* Whatever the reason (gone, denied): the digest cannot be had. */
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
		            "cannot open the program of pid %lu: %s", (unsigned long)caller->pid,
		            reason);
		return FALSE;
	}
	if (!GetFileSizeEx(file, &size) || size.QuadPart > MESH_CALLER_EXE_MAX)
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
		            "the program of pid %lu is larger than 1 GiB",
		            (unsigned long)caller->pid);
	else
		ok = mesh_caller_hash_file(read_handle, &file, caller->pid, ret, error);
	CloseHandle(file);
	return ok;
}

MeshCaller *
mesh_transport_peer_caller(MeshTransportConnection *conn)
{
	g_autofree wchar_t *path = NULL;
	g_autofree char *program = NULL;
	DWORD len = IMAGE_PATH_MAX;
	HANDLE process = NULL;
	Caller *caller;

	if (conn->client == NULL ||
	    !DuplicateHandle(GetCurrentProcess(), conn->client, GetCurrentProcess(), &process, 0,
	                     FALSE, DUPLICATE_SAME_ACCESS))
		return mesh_caller_new(conn->client_pid, NULL, NULL, NULL, NULL);
	caller = g_new0(Caller, 1);
	caller->pid = conn->client_pid;
	caller->process = process;
	path = g_new0(wchar_t, IMAGE_PATH_MAX);
	/* Ill-formed UTF-16 (a lone surrogate) has no UTF-8: unknown. */
	if (QueryFullProcessImageNameW(process, 0, path, &len) && len > 0 && len < IMAGE_PATH_MAX)
		program = mesh_win_utf8(path);
	if (program == NULL)
		return mesh_caller_new(conn->client_pid, NULL, NULL, caller, caller_free);
	caller->path = g_steal_pointer(&path);
	return mesh_caller_new(conn->client_pid, program, exe_digest, caller, caller_free);
}
