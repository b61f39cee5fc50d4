/* SPDX-License-Identifier: MIT */
/*
 * core/platform.h on Windows: going to the background, the console's stop events, Ctrl-C, limits
 * and the program's folder.
 *
 * Windows has no fork: mesh_platform_daemonise starts this program again, with the same command
 * line, detached from the console (DETACHED_PROCESS, CREATE_NEW_PROCESS_GROUP) in the root folder
 * of the system drive, and hands it the write end of an anonymous pipe, the only handle it
 * inherits, whose value it names in the environment variable MESH_DAEMON_REPORT. The started
 * process finds the variable in its own call of mesh_platform_daemonise, takes the handle (no
 * longer inheritable, the variable removed, so its own children get neither) and returns; the
 * first process reads the report as on Linux (a status byte, then the message) and exits with
 * it.
 */
#include "platform.h"
#include "platform-private.h"

#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "daemon-report.h"
#include "error.h"

#define REPORT_VARIABLE L"MESH_DAEMON_REPORT"

/* The write end of the pipe to the waiting process, while a daemon starts (NULL otherwise). */
static HANDLE report;

gboolean
mesh_platform_daemon_waiting(void)
{
	return report != NULL;
}

static gboolean
write_all(HANDLE h, const void *data, DWORD len)
{
	const guint8 *p = data;

	while (len > 0) {
		DWORD n = 0;

		if (!WriteFile(h, p, len, &n, NULL) || n == 0)
			return FALSE;
		p += n;
		len -= n;
	}
	return TRUE;
}

void
mesh_platform_daemon_failed(int code, const char *message)
{
	guint8 status = (guint8)code;

	if (report == NULL)
		return;
	/* The waiting process reports a daemon that exited without a word. */
	if (write_all(report, &status, 1))
		write_all(report, message, (DWORD)strlen(message));
	CloseHandle(report);
	report = NULL;
}

/* Standard input, output and error of this process to @null_path (NUL), for the C library and
 * for the OS. */
static void
std_to(const char *null_path)
{
	int fd = _open(null_path, _O_RDWR | _O_BINARY);

	fflush(stdout);
	fflush(stderr);
	if (fd >= 0) {
		/* _dup2 closes what 0, 1 and 2 held and points the standard handles at NUL. */
		_dup2(fd, 0);
		_dup2(fd, 1);
		_dup2(fd, 2);
		_close(fd);
	}
	SetStdHandle(STD_INPUT_HANDLE, (HANDLE)_get_osfhandle(0));
	SetStdHandle(STD_OUTPUT_HANDLE, (HANDLE)_get_osfhandle(1));
	SetStdHandle(STD_ERROR_HANDLE, (HANDLE)_get_osfhandle(2));
}

void
mesh_platform_daemon_started(void)
{
	guint8 ok = 0;

	if (report == NULL)
		return;
	/* The waiting process may be gone: nobody waits then, the daemon serves anyway. */
	write_all(report, &ok, 1);
	CloseHandle(report);
	report = NULL;
	std_to("NUL");
}

/* The started process: take the report handle named in the environment. FALSE when there is
 * none (this is the first process). */
static gboolean
take_report(void)
{
	wchar_t value[32];
	DWORD n = GetEnvironmentVariableW(REPORT_VARIABLE, value, G_N_ELEMENTS(value));
	g_autofree char *text = NULL;
	guint64 h = 0;

	if (n == 0 || n >= G_N_ELEMENTS(value))
		return FALSE;
	SetEnvironmentVariableW(REPORT_VARIABLE, NULL);
	text = mesh_win_utf8(value);
	/* Only a pipe: a variable set by hand names nothing this process holds, or something
	 * that is no pipe. (Under strict handle checks, which meshagent turns on before it
	 * daemonises, a handle value that names nothing ends the process: closed, not open.) */
	if (text == NULL || !g_ascii_string_to_unsigned(text, 10, 1, G_MAXUINT64, &h, NULL) ||
	    GetFileType((HANDLE)(guintptr)h) != FILE_TYPE_PIPE)
		return FALSE;
	report = (HANDLE)(guintptr)h;
	SetHandleInformation(report, HANDLE_FLAG_INHERIT, 0);
	return TRUE;
}

/* The root folder of the system drive ("C:\"), the daemon's working folder: it keeps no
 * folder of the user's in use. */
static void
system_root(wchar_t root[static 4])
{
	wchar_t windir[MAX_PATH];
	UINT n = GetSystemWindowsDirectoryW(windir, G_N_ELEMENTS(windir));

	wcscpy(root, L"C:\\");
	if (n >= 2 && n < G_N_ELEMENTS(windir) && windir[1] == L':')
		root[0] = windir[0];
}

/* A handle for the started process's standard output or error: the first process's own when it
 * is a file or a pipe (startup messages go where ours go), else NUL (a console handle means
 * nothing in a process without a console). @null is the NUL handle. */
static HANDLE
std_for_child(DWORD which, HANDLE null)
{
	HANDLE h = GetStdHandle(which), dup = NULL;
	DWORD type;

	if (h == NULL || h == INVALID_HANDLE_VALUE)
		return null;
	type = GetFileType(h);
	if (type != FILE_TYPE_DISK && type != FILE_TYPE_PIPE)
		return null;
	if (!DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &dup, 0, TRUE,
	                     DUPLICATE_SAME_ACCESS))
		return null;
	return dup;
}

/* Start this program again, detached, with @write (inheritable) as its report handle. */
static gboolean
spawn_detached(HANDLE write, PROCESS_INFORMATION *ret_pi, GError **error)
{
	SECURITY_ATTRIBUTES inherit = {sizeof inherit, NULL, TRUE};
	STARTUPINFOEXW si = {0};
	HANDLE null, out, err, list[4];
	wchar_t exe[MAX_PATH * 4], root[4];
	g_autofree wchar_t *cmdline = NULL, *value = NULL;
	g_autofree char *value_utf8 = NULL;
	SIZE_T attr_size = 0;
	DWORD n = GetModuleFileNameW(NULL, exe, G_N_ELEMENTS(exe)), last = 0;
	gboolean ok = FALSE;
	guint count = 0;

	if (n == 0 || n >= G_N_ELEMENTS(exe)) {
		mesh_win_set_error(error, n == 0 ? GetLastError() : ERROR_INSUFFICIENT_BUFFER,
		                   MESH_ERROR_FAILED, "cannot tell which program this is");
		return FALSE;
	}
	null = CreateFileW(L"NUL", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
	                   &inherit, OPEN_EXISTING, 0, NULL);
	if (null == INVALID_HANDLE_VALUE) {
		mesh_win_set_error(error, GetLastError(), MESH_ERROR_FAILED, "cannot open NUL");
		return FALSE;
	}
	out = std_for_child(STD_OUTPUT_HANDLE, null);
	err = std_for_child(STD_ERROR_HANDLE, null);
	list[count++] = write;
	list[count++] = null;
	if (out != null)
		list[count++] = out;
	if (err != null)
		list[count++] = err;
	/* Only these handles are inherited, whatever else of ours is inheritable. */
	InitializeProcThreadAttributeList(NULL, 1, 0, &attr_size);
	si.lpAttributeList = g_malloc0(attr_size);
	if (!InitializeProcThreadAttributeList(si.lpAttributeList, 1, 0, &attr_size) ||
	    !UpdateProcThreadAttribute(si.lpAttributeList, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST,
	                               list, count * sizeof list[0], NULL, NULL)) {
		last = GetLastError();
		goto out;
	}
	si.StartupInfo.cb = sizeof si;
	si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
	si.StartupInfo.hStdInput = null;
	si.StartupInfo.hStdOutput = out;
	si.StartupInfo.hStdError = err;
	system_root(root);
	/* The child's command line is ours: CreateProcessW may write to it, so a copy. */
	cmdline = g_memdup2(GetCommandLineW(), (wcslen(GetCommandLineW()) + 1) * sizeof(wchar_t));
	value_utf8 = g_strdup_printf("%" G_GUINT64_FORMAT, (guint64)(guintptr)write);
	value = mesh_win_wide(value_utf8, NULL);
	/* The child inherits our environment block with the variable; we exit right after. */
	SetEnvironmentVariableW(REPORT_VARIABLE, value);
	ok = CreateProcessW(exe, cmdline, NULL, NULL, TRUE,
	                    DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP |
	                            EXTENDED_STARTUPINFO_PRESENT | CREATE_UNICODE_ENVIRONMENT,
	                    NULL, root, &si.StartupInfo, ret_pi);
	if (!ok)
		last = GetLastError();
	SetEnvironmentVariableW(REPORT_VARIABLE, NULL);
	DeleteProcThreadAttributeList(si.lpAttributeList);
out:
	g_free(si.lpAttributeList);
	if (out != null)
		CloseHandle(out);
	if (err != null)
		CloseHandle(err);
	CloseHandle(null);
	if (!ok)
		mesh_win_set_error(error, last, MESH_ERROR_FAILED,
		                   "cannot start the program again detached");
	return ok;
}

void
mesh_platform_daemonise(const char *prog)
{
	SECURITY_ATTRIBUTES inherit = {sizeof inherit, NULL, TRUE};
	PROCESS_INFORMATION pi = {0};
	g_autoptr(GError) error = NULL;
	MeshDaemonReport heard;
	HANDLE rd = NULL, wr = NULL;
	char buf[512];
	DWORD n;

	if (take_report())
		return;
	/* Only the write end is inheritable. */
	if (!CreatePipe(&rd, &wr, &inherit, 0)) {
		mesh_win_set_error(&error, GetLastError(), MESH_ERROR_FAILED, "cannot make a pipe");
	} else if (!SetHandleInformation(rd, HANDLE_FLAG_INHERIT, 0)) {
		mesh_win_set_error(&error, GetLastError(), MESH_ERROR_FAILED, "cannot make a pipe");
	} else {
		spawn_detached(wr, &pi, &error);
	}
	if (error != NULL) {
		g_printerr("%s: cannot start in the background: %s; try --foreground\n", prog,
		           error->message);
		ExitProcess(MESH_ERROR_FAILED);
	}
	/* The pipe ends when the daemon reports and closes it, or dies. */
	CloseHandle(wr);
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	mesh_daemon_report_init(&heard);
	while (ReadFile(rd, buf, sizeof buf, &n, NULL) && n > 0)
		mesh_daemon_report_feed(&heard, buf, n);
	/* The daemon owns everything else now: nothing here to clean up. */
	ExitProcess((UINT)mesh_daemon_report_finish(&heard, prog));
}

/* ---- Stop events, limits, the program's folder ---------------------------------------------- */

typedef struct {
	GSourceFunc func;
	gpointer data;
} Terminate;

static GMutex terminate_lock;
static GPtrArray *terminate_funcs; /* of Terminate, never freed: they live as long as the process */

static gboolean
run_terminate(gpointer user_data)
{
	Terminate *t = user_data;

	/* Once per event: a function that returns G_SOURCE_CONTINUE (kept as a signal source on
	 * Linux) runs again at the next event, not in a loop. */
	t->func(t->data);
	return G_SOURCE_REMOVE;
}

/*
 * Runs on a thread the system starts for each console event. Every stop event is handled:
 * Ctrl-C and Ctrl-Break (SIGINT's counterparts), the console window closed, log-off and shut
 * down (SIGTERM's). After the last three the system ends the process when this returns (or
 * after a few seconds): the main loop may not get to finish, which costs nothing on Windows,
 * where a named pipe goes with the process and no socket file is left behind.
 */
static BOOL WINAPI
on_console_event(DWORD event)
{
	gboolean handled = FALSE;

	(void)event;
	g_mutex_lock(&terminate_lock);
	for (guint i = 0; terminate_funcs != NULL && i < terminate_funcs->len; i++) {
		GSource *idle = g_idle_source_new();

		g_source_set_callback(idle, run_terminate, terminate_funcs->pdata[i], NULL);
		g_source_attach(idle, g_main_context_default());
		g_source_unref(idle);
		handled = TRUE;
	}
	g_mutex_unlock(&terminate_lock);
	return handled;
}

void
mesh_platform_on_terminate(GSourceFunc func, gpointer data)
{
	Terminate *t = g_new0(Terminate, 1);

	t->func = func;
	t->data = data;
	g_mutex_lock(&terminate_lock);
	if (terminate_funcs == NULL) {
		terminate_funcs = g_ptr_array_new();
		SetConsoleCtrlHandler(on_console_event, TRUE);
	}
	g_ptr_array_add(terminate_funcs, t);
	g_mutex_unlock(&terminate_lock);
}

void
mesh_platform_ignore_broken_pipe(void)
{
	/* Nothing to do: Windows has no SIGPIPE. Writing to a pipe or socket whose peer is gone
	 * fails with ERROR_NO_DATA / WSAECONNRESET, which the callers handle as any error. */
}

guint64
mesh_platform_descriptor_limit(void)
{
	/* No limit that matters: sockets and pipes are handles, of which a process may hold
	 * about 16 million, and GLib's poll waits on any number of them. _getmaxstdio (512 by
	 * default) counts the C library's FILE streams only, which serve no connection. */
	return G_MAXUINT64;
}

char *
mesh_platform_program_dir(void)
{
	DWORD size = MAX_PATH;

	/* GetModuleFileNameW truncates silently: grow until the name fits (32767 at most). */
	for (;;) {
		g_autofree wchar_t *exe = g_new(wchar_t, size);
		DWORD n = GetModuleFileNameW(NULL, exe, size);
		g_autofree char *utf8 = NULL;

		if (n == 0)
			return NULL;
		if (n >= size) {
			if (size >= 32768)
				return NULL;
			size *= 2;
			continue;
		}
		utf8 = mesh_win_utf8(exe);
		return utf8 != NULL ? g_path_get_dirname(utf8) : NULL;
	}
}
