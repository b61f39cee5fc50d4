/* SPDX-License-Identifier: MIT */
/*
 * test-win-platform: core/platform.h's processes, terminals, hardening and Run key on Windows
 * (windows/platform.c, process.c, io.c, login.c). Run without arguments it checks everything,
 * starting itself again in the helper modes below where a check needs a process of its own
 * (hardening is for good, daemonising exits, a console event reaches a whole console). Checks
 * print "ok   - ..." or "FAIL - ..."; the exit status is 1 when one failed.
 *
 * Helper modes: harden | crash | stdout | console | daemon started FILE | daemon fail CODE MSG |
 * daemon die | login install|uninstall test|production | logintest (the Run key checks) | --hive H
 * (stands in for meshagent.exe when a Run command line is run: writes "hive=H home=$MMM_HOME" to
 * $MESH_TEST_RUN_OUT).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include "../check.h"
#include "error.h"
#include "platform-private.h"
#include "platform.h"

static void G_GNUC_PRINTF(2, 3) checkf(gboolean ok, const char *format, ...)
{
	va_list args;
	g_autofree char *what = NULL;

	va_start(args, format);
	what = g_strdup_vprintf(format, args);
	va_end(args);
	check(ok, what, NULL);
}

/* Whether this runs under Wine (which says so through ntdll). */
static gboolean
under_wine(void)
{
	HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");

	return ntdll != NULL && GetProcAddress(ntdll, "wine_get_version") != NULL;
}

static char *
self_path(void)
{
	wchar_t exe[MAX_PATH * 4];
	DWORD n = GetModuleFileNameW(NULL, exe, G_N_ELEMENTS(exe));

	return n > 0 && n < G_N_ELEMENTS(exe) ? mesh_win_utf8(exe) : NULL;
}

/* ---- Running a helper mode ------------------------------------------------------------------ */

typedef struct {
	DWORD status;
	char *out; /* standard output */
	char *err; /* standard error */
} Run;

static void
run_clear(Run *r)
{
	g_clear_pointer(&r->out, g_free);
	g_clear_pointer(&r->err, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Run, run_clear)

static char *
read_file_text(const char *path)
{
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return g_strdup("");
	return text;
}

/* Run this program with @args (already quoted), its output and error in files, and wait at
 * most @timeout_ms. FALSE when it could not be started or did not end in time. */
static gboolean
run_self(const char *args, DWORD timeout_ms, Run *ret)
{
	g_autofree char *self = self_path();
	g_autofree char *dir = g_dir_make_tmp("wplat-XXXXXX", NULL);
	g_autofree char *out_path = g_build_filename(dir, "out", NULL);
	g_autofree char *err_path = g_build_filename(dir, "err", NULL);
	g_autofree char *cmdline = g_strdup_printf("\"%s\" %s", self, args);
	g_autofree wchar_t *wcmd = mesh_win_wide(cmdline, NULL);
	g_autofree wchar_t *wout = mesh_win_wide(out_path, NULL);
	g_autofree wchar_t *werr = mesh_win_wide(err_path, NULL);
	SECURITY_ATTRIBUTES inherit = {sizeof inherit, NULL, TRUE};
	STARTUPINFOW si = {.cb = sizeof si};
	PROCESS_INFORMATION pi = {0};
	HANDLE out, err;
	gboolean ok;

	out = CreateFileW(wout, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit,
	                  CREATE_ALWAYS, 0, NULL);
	err = CreateFileW(werr, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit,
	                  CREATE_ALWAYS, 0, NULL);
	si.dwFlags = STARTF_USESTDHANDLES;
	si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
	si.hStdOutput = out;
	si.hStdError = err;
	ok = CreateProcessW(NULL, wcmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi);
	CloseHandle(out);
	CloseHandle(err);
	if (!ok)
		return FALSE;
	ok = WaitForSingleObject(pi.hProcess, timeout_ms) == WAIT_OBJECT_0;
	if (!ok)
		TerminateProcess(pi.hProcess, 99);
	GetExitCodeProcess(pi.hProcess, &ret->status);
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	ret->out = read_file_text(out_path);
	ret->err = read_file_text(err_path);
	/* The C library writes stderr in text mode: "\r\n" is its line end on Windows. */
	{
		char *w = ret->err;

		for (const char *p = ret->err; *p != '\0'; p++)
			if (*p != '\r')
				*w++ = *p;
		*w = '\0';
	}
	g_unlink(out_path);
	g_unlink(err_path);
	g_rmdir(dir);
	return ok;
}

/* ---- Clock, ids, folders -------------------------------------------------------------------- */

static void
test_clock_and_ids(void)
{
	gint64 t0 = mesh_platform_boottime(), t1, prev = t0;
	gboolean monotonic = TRUE;
	g_autofree char *self = self_path();
	g_autofree char *self_dir = self != NULL ? g_path_get_dirname(self) : NULL;
	g_autofree char *dir = mesh_platform_program_dir();
	g_autofree char *exe_there =
	        dir != NULL ? g_build_filename(dir, "test-win-platform.exe", NULL) : NULL;

	for (int i = 0; i < 10000; i++) {
		gint64 t = mesh_platform_boottime();

		monotonic = monotonic && t >= prev;
		prev = t;
	}
	check(monotonic, "boottime never goes back (10000 readings)", NULL);
	Sleep(300);
	t1 = mesh_platform_boottime();
	checkf(t1 - t0 >= 250 * 1000 && t1 - t0 < 5 * G_USEC_PER_SEC,
	       "boottime advances with Sleep(300): %" G_GINT64_FORMAT " us", t1 - t0);
	checkf(t0 > 0, "boottime counts from the boot (%" G_GINT64_FORMAT " us)", t0);
	checkf(mesh_platform_pid() == GetCurrentProcessId(),
	       "pid is GetCurrentProcessId (%" G_GUINT64_FORMAT ")", mesh_platform_pid());
	checkf(dir != NULL && self_dir != NULL && g_str_equal(dir, self_dir) &&
	               g_file_test(exe_there, G_FILE_TEST_IS_REGULAR),
	       "program_dir is the test's folder (%s)", dir != NULL ? dir : "NULL");
	check(mesh_platform_descriptor_limit() == G_MAXUINT64, "no descriptor limit", NULL);
}

/* ---- Hardening ------------------------------------------------------------------------------ */

/* Read a mitigation policy back. Wine's GetProcessMitigationPolicy is a stub that succeeds and
 * leaves the buffer as it was: a sentinel tells that apart from a real answer. Returns 1 when
 * read (into @buf), 0 when the call is such a stub, -1 when it failed. */
static int
read_policy(PROCESS_MITIGATION_POLICY policy, DWORD *buf)
{
	*buf = 0xa5a5a5a5;
	if (!GetProcessMitigationPolicy(GetCurrentProcess(), policy, buf, sizeof *buf))
		return -1;
	return *buf == 0xa5a5a5a5 ? 0 : 1;
}

static void
check_policy(PROCESS_MITIGATION_POLICY policy, DWORD want, const char *what)
{
	DWORD flags;
	int r = read_policy(policy, &flags);

	if (r == 0) {
		/* Not a skip: on Windows this is a failure. */
		checkf(under_wine(), "%s: not shown, GetProcessMitigationPolicy is a stub (Wine)",
		       what);
		return;
	}
	checkf(r == 1 && (flags & want) == want, "%s policy read back (flags 0x%lx)", what,
	       (unsigned long)flags);
}

/* The process's DACL: protected, one ACE allowing our SID the owner rights, no memory access. */
static void
check_process_dacl(void)
{
	PSECURITY_DESCRIPTOR sd = NULL;
	PACL dacl = NULL;
	DWORD err;
	ACCESS_ALLOWED_ACE *ace = NULL;
	gboolean ok;

	err = GetSecurityInfo(GetCurrentProcess(), SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION,
	                      NULL, NULL, &dacl, NULL, &sd);
	if (err != ERROR_SUCCESS) {
		checkf(FALSE, "process DACL read back (GetSecurityInfo: %lu)", (unsigned long)err);
		return;
	}
	ok = dacl != NULL && dacl->AceCount == 1 && GetAce(dacl, 0, (void **)&ace) &&
	     ace->Header.AceType == ACCESS_ALLOWED_ACE_TYPE &&
	     EqualSid((PSID)&ace->SidStart, mesh_win_user_sid());
	checkf(ok, "process DACL: one ACE, allowing this user (%s) alone",
	       mesh_win_user_sid_string());
	checkf(ok &&
	               (ace->Mask & (PROCESS_VM_READ | PROCESS_VM_WRITE | PROCESS_VM_OPERATION |
	                             PROCESS_CREATE_THREAD | PROCESS_DUP_HANDLE |
	                             PROCESS_QUERY_INFORMATION)) == 0 &&
	               (ace->Mask & PROCESS_QUERY_LIMITED_INFORMATION) != 0,
	       "process DACL: no memory, thread or handle access, only query-limited, "
	       "synchronize, terminate (mask 0x%lx)",
	       ok ? (unsigned long)ace->Mask : 0ul);
	LocalFree(sd);
}

/* Whether WER excludes this program for this user: the value WerAddExcludedApplication writes
 * under @key. */
static gboolean
wer_excluded(const wchar_t *key)
{
	DWORD value = 0, size = sizeof value;

	return RegGetValueW(HKEY_CURRENT_USER, key, L"test-win-platform.exe", RRF_RT_REG_DWORD,
	                    NULL, &value, &size) == ERROR_SUCCESS &&
	       value == 1;
}

/* Helper mode "harden": harden this process and read everything back; prints its own checks. */
static int
mode_harden(void)
{
	g_autoptr(GError) error = NULL;
	gboolean ok = mesh_platform_harden(&error);
	UINT mode = GetErrorMode();

	check(ok, "harden succeeds", error);
	checkf((mode & (SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX)) ==
	               (SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX),
	       "error mode without fault boxes (0x%x)", mode);
	if (under_wine())
		/* Wine's wer.dll writes one level up from where Windows keeps the list. */
		check(wer_excluded(L"Software\\Microsoft\\Windows Error Reporting\\"
		                   L"ExcludedApplications"),
		      "excluded from error reporting (Wine's HKCU\\Software\\Microsoft\\"
		      "Windows Error Reporting\\ExcludedApplications)",
		      NULL);
	else
		check(wer_excluded(L"Software\\Microsoft\\Windows\\Windows Error Reporting\\"
		                   L"ExcludedApplications"),
		      "excluded from Windows Error Reporting (HKCU ExcludedApplications)", NULL);
	check_policy(ProcessStrictHandleCheckPolicy, 0x3, "strict handle check");
	check_policy(ProcessExtensionPointDisablePolicy, 0x1, "extension point");
	check_policy(ProcessImageLoadPolicy, 0x3, "image load (no remote, no low label)");
	check_policy(ProcessDEPPolicy, 0x1, "DEP");
	check_process_dacl();
	/* Stay a moment, so that the parent can try to open this process. */
	printf("pid %lu\n", (unsigned long)GetCurrentProcessId());
	fflush(stdout);
	Sleep(1500);
	return check_failed != 0;
}

static void
test_harden(void)
{
	g_autofree char *self = self_path();
	g_autofree char *cmdline = g_strdup_printf("\"%s\" harden", self);
	g_autofree wchar_t *wcmd = mesh_win_wide(cmdline, NULL);
	SECURITY_ATTRIBUTES inherit = {sizeof inherit, NULL, TRUE};
	STARTUPINFOW si = {.cb = sizeof si};
	PROCESS_INFORMATION pi = {0};
	HANDLE rd, wr, peek;
	GString *out = g_string_new(NULL);
	char buf[256];
	DWORD n, status = 99, err = 0;

	CreatePipe(&rd, &wr, &inherit, 0);
	SetHandleInformation(rd, HANDLE_FLAG_INHERIT, 0);
	si.dwFlags = STARTF_USESTDHANDLES;
	si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
	si.hStdOutput = wr;
	si.hStdError = wr;
	if (!CreateProcessW(NULL, wcmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) {
		check(FALSE, "harden: the helper starts", NULL);
		return;
	}
	CloseHandle(wr);
	/* Once the helper has hardened itself ("pid" printed), another process of the same user
	 * must not get PROCESS_VM_READ on it. */
	while (strstr(out->str, "pid ") == NULL && ReadFile(rd, buf, sizeof buf, &n, NULL) && n > 0)
		g_string_append_len(out, buf, n);
	peek = OpenProcess(PROCESS_VM_READ, FALSE, pi.dwProcessId);
	if (peek == NULL)
		err = GetLastError();
	else
		CloseHandle(peek);
	while (ReadFile(rd, buf, sizeof buf, &n, NULL) && n > 0)
		g_string_append_len(out, buf, n);
	WaitForSingleObject(pi.hProcess, 20000);
	GetExitCodeProcess(pi.hProcess, &status);
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	CloseHandle(rd);
	printf("%s", out->str);
	checkf(status == 0, "harden: every check of the hardened helper passed (exit %lu)",
	       (unsigned long)status);
	if (peek != NULL && under_wine())
		check(TRUE,
		      "harden: Wine grants PROCESS_VM_READ despite the DACL (its server "
		      "does not check process DACLs): shown on Windows only",
		      NULL);
	else
		checkf(peek == NULL && err == ERROR_ACCESS_DENIED,
		       "harden: PROCESS_VM_READ on the hardened process refused (error %lu)",
		       (unsigned long)err);
	g_string_free(out, TRUE);
}

/* Helper mode "crash": no dumps, then a crash: the filter ends the process with the code. */
static int
mode_crash(void)
{
	int *volatile nowhere = NULL;

	mesh_platform_no_core_dumps();
	*nowhere = 1;
	return 0;
}

static void
test_crash(void)
{
	g_auto(Run) r = {0};
	gboolean ended = run_self("crash", 30000, &r);

	checkf(ended && r.status == (DWORD)EXCEPTION_ACCESS_VIOLATION,
	       "a crash after no_core_dumps ends the process at once with its code, no error "
	       "reporting or debugger (exit 0x%lx)",
	       (unsigned long)r.status);
}

/* ---- Standard output ------------------------------------------------------------------------ */

static const char stdout_secret[] = "-----BEGIN SECRET-----\nAAAA\r\n\xc3\xa9\n";

static int
mode_stdout(void)
{
	/* What the C library holds goes first. */
	printf("buffered:");
	return mesh_platform_write_stdout((const guint8 *)stdout_secret, strlen(stdout_secret)) ? 0
	                                                                                        : 1;
}

static void
test_write_stdout(void)
{
	g_auto(Run) r = {0};
	g_autofree char *want = g_strconcat("buffered:", stdout_secret, NULL);
	HANDLE saved = GetStdHandle(STD_OUTPUT_HANDLE), rd, wr;
	gboolean ok;
	int saved_errno;

	ok = run_self("stdout", 30000, &r);
	checkf(ok && r.status == 0 && g_str_equal(r.out, want),
	       "write_stdout: bytes exact (no CRLF), after what stdio held (got %zu bytes)",
	       r.out != NULL ? strlen(r.out) : 0);
	check(!mesh_platform_is_terminal(MESH_PLATFORM_STDOUT) || under_wine(),
	      "is_terminal: a redirected stdout is no console", NULL);
	/* A pipe whose reader is gone: FALSE with EPIPE, and the process lives. */
	CreatePipe(&rd, &wr, NULL, 0);
	CloseHandle(rd);
	SetStdHandle(STD_OUTPUT_HANDLE, wr);
	errno = 0;
	ok = mesh_platform_write_stdout((const guint8 *)"x", 1);
	saved_errno = errno;
	SetStdHandle(STD_OUTPUT_HANDLE, saved);
	CloseHandle(wr);
	checkf(!ok && saved_errno == EPIPE,
	       "write_stdout to a closed pipe: FALSE, errno EPIPE (%d)", saved_errno);
	SetStdHandle(STD_OUTPUT_HANDLE, INVALID_HANDLE_VALUE);
	errno = 0;
	ok = mesh_platform_write_stdout((const guint8 *)"x", 1);
	saved_errno = errno;
	SetStdHandle(STD_OUTPUT_HANDLE, saved);
	checkf(!ok && saved_errno != 0, "write_stdout without stdout: FALSE, errno %d",
	       saved_errno);
}

/* ---- Inputs --------------------------------------------------------------------------------- */

static void
test_input_file(void)
{
	static const char content[] = "line one\r\nline two\n\xc3\xa9nd";
	g_autofree char *dir = g_dir_make_tmp("wplat-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "input", NULL);
	g_autofree char *missing = g_build_filename(dir, "missing", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(MeshPlatformInput) in = NULL;
	g_autoptr(MeshPlatformInput) none = NULL;
	GString *got = g_string_new(NULL);
	char buf[5];
	gssize n;

	g_file_set_contents(path, content, sizeof content - 1, NULL);
	in = mesh_platform_input_open(path, FALSE, &error);
	check(in != NULL, "input_open of a file", error);
	if (in != NULL) {
		checkf(mesh_platform_input_wait(in, 0) == 1, "input_wait on a file: ready");
		while ((n = mesh_platform_input_read(in, buf, sizeof buf, &error)) > 0)
			g_string_append_len(got, buf, n);
		checkf(n == 0 && got->len == sizeof content - 1 &&
		               memcmp(got->str, content, got->len) == 0,
		       "input_read: the file's bytes exact, as they are (%zu), then 0", got->len);
		g_clear_error(&error);
		check(!mesh_platform_input_echo(in, FALSE, &error) &&
		              g_error_matches(error, MESH_ERROR, MESH_ERROR_IO),
		      "input_echo on a file: MESH_ERROR_IO", NULL);
	}
	g_clear_error(&error);
	none = mesh_platform_input_open(missing, FALSE, &error);
	checkf(none == NULL && g_error_matches(error, MESH_ERROR, MESH_ERROR_NOT_FOUND) &&
	               strstr(error->message, "missing") == NULL,
	       "input_open of a missing file: MESH_ERROR_NOT_FOUND, the reason alone (%s)",
	       error != NULL ? error->message : "no error");
	g_string_free(got, TRUE);
	g_unlink(path);
	g_rmdir(dir);
}

/* Standard input as a pipe: wait times out while empty, then data, then the end. */
static void
test_input_pipe(void)
{
	HANDLE saved = GetStdHandle(STD_INPUT_HANDLE), rd, wr;
	g_autoptr(GError) error = NULL;
	MeshPlatformInput *in;
	gint64 t0;
	int w;
	char buf[16];
	gssize n;
	DWORD written;

	CreatePipe(&rd, &wr, NULL, 0);
	SetStdHandle(STD_INPUT_HANDLE, rd);
	in = mesh_platform_input_open("-", FALSE, &error);
	t0 = g_get_monotonic_time();
	w = mesh_platform_input_wait(in, 200);
	checkf(w == 0 && g_get_monotonic_time() - t0 >= 150 * 1000,
	       "input_wait on an empty pipe: 0 after the timeout (%d)", w);
	WriteFile(wr, "abc\n", 4, &written, NULL);
	checkf(mesh_platform_input_wait(in, 2000) == 1, "input_wait on a pipe with data: 1");
	n = mesh_platform_input_read(in, buf, sizeof buf, &error);
	checkf(n == 4 && memcmp(buf, "abc\n", 4) == 0, "input_read from a pipe: %zd bytes", n);
	CloseHandle(wr);
	checkf(mesh_platform_input_wait(in, 2000) == 1, "input_wait on a closed pipe: 1 (the end)");
	n = mesh_platform_input_read(in, buf, sizeof buf, &error);
	checkf(n == 0, "input_read of a closed pipe: 0 (%zd)", n);
	mesh_platform_input_close(in);
	SetStdHandle(STD_INPUT_HANDLE, saved);
	CloseHandle(rd);
}

/* ---- A console: Ctrl-C, echo, stop events ---------------------------------------------------- */

static volatile LONG terminate_calls;

static gboolean
on_terminate(gpointer data)
{
	(void)data;
	InterlockedIncrement(&terminate_calls);
	return G_SOURCE_CONTINUE; /* as meshagent's does: must still run once per event */
}

static gboolean
quit_loop(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

static DWORD WINAPI
send_ctrl_c(void *arg)
{
	Sleep(GPOINTER_TO_UINT(arg));
	GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0);
	return 0;
}

/* Helper mode "console": a console of its own, so that Ctrl-C can be sent to it. */
static int
mode_console(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	g_autoptr(MeshPlatformInput) tty = NULL;
	HANDLE rd, wr, saved = GetStdHandle(STD_INPUT_HANDLE);
	MeshPlatformInput *in;
	DWORD before = 0, during = 0, after = 0;
	char buf[8];
	gssize n;
	gint64 t0;

	FreeConsole();
	if (!AllocConsole()) {
		check(FALSE, "console: AllocConsole", NULL);
		return 1;
	}
	SetConsoleCtrlHandler(NULL, FALSE); /* Ctrl-C on, whatever we inherited */

	/* Stop events: on_terminate's function runs in the main loop once per event. */
	mesh_platform_on_terminate(on_terminate, NULL);
	CloseHandle(CreateThread(NULL, 0, send_ctrl_c, GUINT_TO_POINTER(100), 0, NULL));
	g_timeout_add(1500, quit_loop, loop);
	g_main_loop_run(loop);
	checkf(terminate_calls == 1,
	       "on_terminate: Ctrl-C runs the function once in the main "
	       "loop (%ld)",
	       terminate_calls);

	/* The console as the terminal: echo off and back on. */
	tty = mesh_platform_input_terminal();
	{
		HANDLE conin = CreateFileW(L"CONIN$", GENERIC_READ | GENERIC_WRITE,
		                           FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING,
		                           0, NULL);

		if (!GetConsoleMode(conin, &before) && under_wine()) {
			/* Wine's console of a process without a terminal has no modes. */
			checkf(TRUE,
			       "console echo: not shown, Wine's CONIN$ has no mode here "
			       "(GetConsoleMode: error %lu)",
			       (unsigned long)GetLastError());
		} else {
			check(mesh_platform_input_echo(tty, FALSE, &error),
			      "input_echo off on the console", error);
			g_clear_error(&error);
			GetConsoleMode(conin, &during);
			check(mesh_platform_input_echo(tty, TRUE, &error), "input_echo back on",
			      error);
			g_clear_error(&error);
			GetConsoleMode(conin, &after);
			checkf((during & ENABLE_ECHO_INPUT) == 0 &&
			               (during & ENABLE_LINE_INPUT) != 0 &&
			               (during & ENABLE_PROCESSED_INPUT) != 0 && after == before,
			       "console mode: echo off, lines and Ctrl-C kept (0x%lx), then as "
			       "before (0x%lx -> 0x%lx)",
			       (unsigned long)during, (unsigned long)before, (unsigned long)after);
		}
		CloseHandle(conin);
	}

	/* Ctrl-C wakes an interruptible read of a pipe, and every read after fails at once. */
	mesh_platform_catch_interrupt();
	check(!mesh_platform_interrupted(), "not interrupted before Ctrl-C", NULL);
	CreatePipe(&rd, &wr, NULL, 0);
	SetStdHandle(STD_INPUT_HANDLE, rd);
	in = mesh_platform_input_open(NULL, TRUE, &error);
	CloseHandle(CreateThread(NULL, 0, send_ctrl_c, GUINT_TO_POINTER(300), 0, NULL));
	t0 = g_get_monotonic_time();
	n = mesh_platform_input_read(in, buf, sizeof buf, &error);
	t0 = g_get_monotonic_time() - t0;
	checkf(n == -1 && g_error_matches(error, MESH_ERROR, MESH_ERROR_CANCELLED) &&
	               t0 < 10 * G_USEC_PER_SEC,
	       "Ctrl-C ends a blocked interruptible read: MESH_ERROR_CANCELLED (%zd, %s, "
	       "%" G_GINT64_FORMAT " us)",
	       n, error != NULL ? error->message : "no error", t0);
	check(mesh_platform_interrupted(), "interrupted after Ctrl-C", NULL);
	g_clear_error(&error);
	g_clear_error(&error);
	WriteFile(wr, "x", 1, &before, NULL);
	n = mesh_platform_input_read(in, buf, sizeof buf, &error);
	checkf(n == -1 && g_error_matches(error, MESH_ERROR, MESH_ERROR_CANCELLED),
	       "an interruptible read after Ctrl-C fails at once, data or not (%zd)", n);
	mesh_platform_input_close(in);
	in = mesh_platform_input_open(NULL, FALSE, NULL);
	n = mesh_platform_input_read(in, buf, sizeof buf, NULL);
	checkf(n == 1 && buf[0] == 'x', "a read that is not interruptible goes on (%zd)", n);
	mesh_platform_input_close(in);
	checkf(terminate_calls == 1 || terminate_calls == 2,
	       "catch_interrupt takes Ctrl-C from on_terminate (%ld calls)", terminate_calls);
	SetStdHandle(STD_INPUT_HANDLE, saved);
	CloseHandle(rd);
	CloseHandle(wr);
	return check_failed != 0;
}

static void
test_console(void)
{
	g_auto(Run) r = {0};
	gboolean ended = run_self("console", 60000, &r);

	printf("%s", r.out != NULL ? r.out : "");
	checkf(ended && r.status == 0, "console: every check of the helper passed (exit %lu)",
	       (unsigned long)r.status);
}

/* ---- Daemonising ---------------------------------------------------------------------------- */

static int
mode_daemon(int argc, char **argv)
{
	const char *how = argc > 2 ? argv[2] : "";

	mesh_platform_daemonise("helper");
	/* The background process from here on. */
	if (g_str_equal(how, "started") && argc > 3) {
		wchar_t cwd[MAX_PATH];
		wchar_t var[8];
		g_autofree char *cwd_utf8 = NULL;
		g_autofree char *text = NULL;
		DWORD type;

		GetCurrentDirectoryW(G_N_ELEMENTS(cwd), cwd);
		cwd_utf8 = mesh_win_utf8(cwd);
		text = g_strdup_printf("waiting=%d cwd=%s console=%d env=%d\n",
		                       mesh_platform_daemon_waiting(), cwd_utf8,
		                       GetConsoleWindow() != NULL,
		                       GetEnvironmentVariableW(L"MESH_DAEMON_REPORT", var, 8) != 0);
		fprintf(stderr, "before started\n");
		mesh_platform_daemon_started();
		fprintf(stderr, "after started: nobody sees this\n");
		type = GetFileType(GetStdHandle(STD_ERROR_HANDLE));
		text = g_strdup_printf("%swaiting=%d stderr-type=%lu\n", text,
		                       mesh_platform_daemon_waiting(), (unsigned long)type);
		g_file_set_contents(argv[3], text, -1, NULL);
		return 0;
	}
	if (g_str_equal(how, "fail") && argc > 4) {
		mesh_platform_daemon_failed(atoi(argv[3]), argv[4]);
		return atoi(argv[3]);
	}
	return 3; /* "die": exit without a word */
}

static void
test_daemonise(void)
{
	g_autofree char *dir = g_dir_make_tmp("wplat-XXXXXX", NULL);
	g_autofree char *result = g_build_filename(dir, "daemon", NULL);
	g_autofree char *args = g_strdup_printf("daemon started \"%s\"", result);
	g_autofree char *text = NULL;
	g_auto(Run) started = {0};
	g_auto(Run) fail = {0};
	g_auto(Run) die = {0};
	g_auto(Run) stale = {0};
	gboolean ok;

	ok = run_self(args, 30000, &started);
	/* The background process writes to our stderr until it has started, then to NUL. */
	checkf(ok && started.status == 0 && g_str_equal(started.err, "before started\n"),
	       "daemonise, started: the first process exits 0 and says nothing; the background "
	       "one's stderr is ours until it started (exit %lu, stderr '%s')",
	       (unsigned long)started.status, started.err != NULL ? started.err : "");
	for (int i = 0; i < 100 && !g_file_get_contents(result, &text, NULL, NULL); i++)
		Sleep(100);
	printf("# the background process said: %s", text != NULL ? text : "nothing\n");
	check(text != NULL && strstr(text, "waiting=1 ") != NULL,
	      "daemonise: the background process knows it is waited for", NULL);
	check(text != NULL && g_regex_match_simple("cwd=[A-Za-z]:\\\\ ", text, 0, 0),
	      "daemonise: the background process runs in the drive's root folder", NULL);
	check(text != NULL && strstr(text, "console=0 ") != NULL,
	      "daemonise: the background process has no console", NULL);
	check(text != NULL && strstr(text, "env=0") != NULL,
	      "daemonise: the report variable is gone from its environment", NULL);
	checkf(text != NULL && strstr(text, "waiting=0 stderr-type=2") != NULL,
	       "daemonise: after started nobody waits and stderr is NUL (a character device)");

	ok = run_self("daemon fail 13 \"the pipe is taken\"", 30000, &fail);
	checkf(ok && fail.status == 13 && g_str_equal(fail.err, "helper: the pipe is taken\n"),
	       "daemonise, failed: exit 13 and 'helper: the pipe is taken' (exit %lu, '%s')",
	       (unsigned long)fail.status, fail.err != NULL ? fail.err : "");
	ok = run_self("daemon die", 30000, &die);
	checkf(ok && die.status == MESH_ERROR_FAILED &&
	               g_str_equal(die.err, "helper: the agent exited while starting\n"),
	       "daemonise, died without a word: exit 1 and 'the agent exited while starting' "
	       "(exit %lu, '%s')",
	       (unsigned long)die.status, die.err != NULL ? die.err : "");
	/* A report variable that names nothing of ours is not taken for one. */
	g_unlink(result);
	g_clear_pointer(&text, g_free);
	g_setenv("MESH_DAEMON_REPORT", "12", TRUE);
	ok = run_self(args, 30000, &stale);
	g_unsetenv("MESH_DAEMON_REPORT");
	for (int i = 0; i < 100 && !g_file_get_contents(result, &text, NULL, NULL); i++)
		Sleep(100);
	checkf(ok && stale.status == 0 && text != NULL && strstr(text, "waiting=1 ") != NULL,
	       "daemonise: a stale MESH_DAEMON_REPORT is ignored, the process still detaches "
	       "(exit %lu)",
	       (unsigned long)stale.status);
	g_unlink(result);
	g_rmdir(dir);
}

/* ---- The Run key ---------------------------------------------------------------------------- */

#define RUN_KEY L"Software\\Microsoft\\Windows\\CurrentVersion\\Run"

/* The Run value @name's data (UTF-8), or NULL when there is none. */
static char *
run_value(const char *name)
{
	g_autofree wchar_t *wname = mesh_win_wide(name, NULL);
	wchar_t data[2048];
	DWORD size = sizeof data;

	if (RegGetValueW(HKEY_CURRENT_USER, RUN_KEY, wname, RRF_RT_REG_SZ, NULL, data, &size) !=
	    ERROR_SUCCESS)
		return NULL;
	return mesh_win_utf8(data);
}

static int
mode_login(int argc, char **argv)
{
	g_auto(MeshPlatformLogin) login = {0};
	g_autoptr(GError) error = NULL;
	MeshHiveKind kind = argc > 3 && g_str_equal(argv[3], "production") ? MESH_HIVE_PRODUCTION
	                                                                   : MESH_HIVE_TEST;
	gboolean install = argc > 2 && g_str_equal(argv[2], "install");
	gboolean ok = install ? mesh_platform_login_install(kind, &login, &error)
	                      : mesh_platform_login_uninstall(kind, &login, &error);

	if (!ok) {
		fprintf(stderr, "%s\n", error->message);
		return error->code;
	}
	printf("name %s\n", login.name);
	for (guint i = 0; i < login.paths->len; i++)
		printf("path %s\n", (char *)login.paths->pdata[i]);
	printf("next %s\n", login.next);
	return 0;
}

/* Stands in for meshagent.exe when a Run command line is run. */
static int
mode_agent(int argc, char **argv)
{
	const char *out = g_getenv("MESH_TEST_RUN_OUT");
	g_autofree char *text =
	        g_strdup_printf("hive=%s home=%s args=%d\n", argv[2],
	                        g_getenv("MMM_HOME") ? g_getenv("MMM_HOME") : "", argc);

	return out != NULL && g_file_set_contents(out, text, -1, NULL) ? 0 : 1;
}

/* Run the command line @command as Explorer runs a Run value, and return what the stand-in
 * agent wrote. */
static char *
run_command(const char *command, const char *out)
{
	g_autofree wchar_t *wcmd = mesh_win_wide(command, NULL);
	STARTUPINFOW si = {.cb = sizeof si};
	PROCESS_INFORMATION pi = {0};
	char *text = NULL;

	g_unlink(out);
	g_setenv("MESH_TEST_RUN_OUT", out, TRUE);
	if (CreateProcessW(NULL, wcmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) {
		WaitForSingleObject(pi.hProcess, 30000);
		CloseHandle(pi.hThread);
		CloseHandle(pi.hProcess);
	}
	g_unsetenv("MESH_TEST_RUN_OUT");
	if (!g_file_get_contents(out, &text, NULL, NULL))
		return NULL;
	return text;
}

static void
test_login(void)
{
	g_auto(MeshPlatformLogin) test = {0};
	g_auto(MeshPlatformLogin) prod = {0};
	g_auto(MeshPlatformLogin) homed = {0};
	g_auto(MeshPlatformLogin) gone = {0};
	g_auto(MeshPlatformLogin) again = {0};
	g_auto(MeshPlatformLogin) refused = {0};
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = mesh_platform_program_dir();
	g_autofree char *agent = g_build_filename(dir, "meshagent.exe", NULL);
	g_autofree char *self = self_path();
	g_autofree char *want_test = g_strdup_printf("\"%s\" --hive test", agent);
	g_autofree char *want_prod = g_strdup_printf("\"%s\" --hive production", agent);
	g_autofree char *data_test = NULL, *data_prod = NULL, *data_homed = NULL, *ran = NULL;
	g_autofree char *tmp = g_dir_make_tmp("wplat-XXXXXX", NULL);
	g_autofree char *home = g_build_filename(tmp, "mesh home & co", NULL);
	g_autofree char *out = g_build_filename(tmp, "ran", NULL);
	gboolean stand_in = FALSE, ok;

	g_unsetenv("MMM_HOME");
	g_unsetenv("MESH_AGENT_SOCK");
	g_unsetenv("MESH_SSH_AGENT_SOCK");
	check(mesh_platform_login_install(MESH_HIVE_TEST, &test, &error),
	      "login install (test hive)", error);
	check(mesh_platform_login_install(MESH_HIVE_PRODUCTION, &prod, &error),
	      "login install (production hive)", error);
	data_test = run_value("meshagent-test");
	data_prod = run_value("meshagent");
	checkf(test.name != NULL && g_str_equal(test.name, "meshagent-test") && prod.name != NULL &&
	               g_str_equal(prod.name, "meshagent"),
	       "Run values are named meshagent-test and meshagent (%s, %s)", test.name, prod.name);
	checkf(data_test != NULL && g_str_equal(data_test, want_test),
	       "RegGetValueW: the test value quotes meshagent.exe beside this program (%s)",
	       data_test != NULL ? data_test : "absent");
	checkf(data_prod != NULL && g_str_equal(data_prod, want_prod),
	       "RegGetValueW: the production value, distinct (%s)",
	       data_prod != NULL ? data_prod : "absent");
	checkf(test.paths != NULL && test.paths->len == 1 &&
	               g_str_equal(test.paths->pdata[0], "HKCU\\Software\\Microsoft\\Windows\\"
	                                                 "CurrentVersion\\Run\\meshagent-test"),
	       "install names the registry value written (%s)",
	       test.paths != NULL && test.paths->len > 0 ? (char *)test.paths->pdata[0] : "none");
	check(test.next != NULL && strstr(test.next, want_test) != NULL,
	      "install says how to start it now", NULL);

	/* With an MMM_HOME: a value of its own, and a command line that sets it. */
	g_setenv("MMM_HOME", home, TRUE);
	check(mesh_platform_login_install(MESH_HIVE_TEST, &homed, &error),
	      "login install with MMM_HOME", error);
	data_homed = homed.name != NULL ? run_value(homed.name) : NULL;
	checkf(homed.name != NULL &&
	               g_regex_match_simple("^meshagent-test-[0-9a-f]{8}$", homed.name, 0, 0),
	       "with MMM_HOME the value is meshagent-test-<8 hex> (%s)", homed.name);
	checkf(data_homed != NULL && strstr(data_homed, "cmd.exe\" /d /v:off /c set \"MMM_HOME=") &&
	               strstr(data_homed, home) && g_str_has_suffix(data_homed, want_test),
	       "with MMM_HOME the command sets it through cmd.exe (%s)",
	       data_homed != NULL ? data_homed : "absent");
	g_free(data_test);
	data_test = run_value("meshagent-test");
	check(data_test != NULL && g_str_equal(data_test, want_test),
	      "the default home's value is left as it was", NULL);
	/* Run the command lines as Explorer would, with this program as meshagent.exe. */
	if (!g_file_test(agent, G_FILE_TEST_EXISTS)) {
		g_autofree wchar_t *wself = mesh_win_wide(self, NULL);
		g_autofree wchar_t *wagent = mesh_win_wide(agent, NULL);

		stand_in = CopyFileW(wself, wagent, TRUE);
	}
	ran = run_command(data_homed, out);
	if (ran != NULL)
		g_strchomp(ran);
	checkf(ran != NULL && g_str_has_prefix(ran, "hive=test home=") && strstr(ran, home) &&
	               g_str_has_suffix(ran, " args=3"),
	       "the MMM_HOME command line runs meshagent.exe with the hive and MMM_HOME (%s)",
	       ran != NULL ? ran : "nothing ran");
	g_clear_pointer(&ran, g_free);
	g_unsetenv("MMM_HOME");
	ran = run_command(data_test, out);
	if (ran != NULL)
		g_strchomp(ran);
	checkf(ran != NULL && g_str_equal(ran, "hive=test home= args=3"),
	       "the plain command line runs meshagent.exe --hive test (%s)",
	       ran != NULL ? ran : "nothing ran");
	if (stand_in) {
		g_autofree wchar_t *wagent = mesh_win_wide(agent, NULL);

		DeleteFileW(wagent);
	}

	/* Refused settings write nothing. */
	g_setenv("MMM_HOME", "C:\\100%\\mesh", TRUE);
	ok = mesh_platform_login_install(MESH_HIVE_TEST, &refused, &error);
	checkf(!ok && g_error_matches(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT),
	       "an MMM_HOME with '%%' is refused: %s", error != NULL ? error->message : "accepted");
	g_clear_error(&error);
	g_unsetenv("MMM_HOME");
	g_setenv("MESH_AGENT_SOCK", "\\\\.\\pipe\\elsewhere", TRUE);
	ok = mesh_platform_login_install(MESH_HIVE_TEST, &refused, &error);
	checkf(!ok && g_error_matches(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT),
	       "MESH_AGENT_SOCK set is refused: %s", error != NULL ? error->message : "accepted");
	g_clear_error(&error);
	g_unsetenv("MESH_AGENT_SOCK");

	/* Uninstall removes the value of its hive alone; again, it is no error. */
	check(mesh_platform_login_uninstall(MESH_HIVE_TEST, &gone, &error),
	      "login uninstall (test hive)", error);
	g_free(data_test);
	data_test = run_value("meshagent-test");
	checkf(data_test == NULL && gone.paths->len == 1,
	       "uninstall removes meshagent-test and names it");
	g_free(data_prod);
	data_prod = run_value("meshagent");
	check(data_prod != NULL, "the production value stays", NULL);
	check(mesh_platform_login_uninstall(MESH_HIVE_TEST, &again, &error) &&
	              again.paths->len == 0 && strstr(again.next, "No start-at-login") != NULL,
	      "uninstall when absent: nothing removed, no error (as on Linux)", error);
	g_clear_error(&error);
	mesh_platform_login_clear(&gone);
	g_free(data_prod);
	data_prod = NULL;
	check(mesh_platform_login_uninstall(MESH_HIVE_PRODUCTION, &gone, &error) &&
	              (data_prod = run_value("meshagent")) == NULL,
	      "uninstall of the production value", error);
	g_setenv("MMM_HOME", home, TRUE);
	mesh_platform_login_clear(&gone);
	g_free(data_homed);
	data_homed = NULL;
	check(mesh_platform_login_uninstall(MESH_HIVE_TEST, &gone, &error) &&
	              (data_homed = run_value(homed.name)) == NULL,
	      "uninstall of the MMM_HOME value", error);
	g_unsetenv("MMM_HOME");
	g_unlink(out);
	g_rmdir(tmp);
}

/* mesh_platform_file_temp and _commit (servermesh backup's): made owner-only beside the path,
 * renamed into place; an existing file refused unless replaced; a folder open to others refused;
 * a missing folder NotFound. */
static void
test_file_commit(void)
{
	g_autofree char *leaf = g_strdup_printf("mesh-commit-%08x", g_random_int());
	g_autofree char *dir = g_build_filename(g_get_tmp_dir(), leaf, NULL);
	g_autofree char *path = g_build_filename(dir, "copy.db", NULL);
	g_autofree char *text = NULL;
	g_autofree char *open_dir = g_build_filename(g_get_tmp_dir(), "mesh-open-XXXXXX", NULL);
	char *tmp;
	GError *error = NULL;

	check(mesh_platform_private_dir(dir, FALSE, &error), "commit: a private folder", error);
	g_clear_error(&error);
	tmp = mesh_platform_file_temp(path, &error);
	check(tmp != NULL && g_str_has_prefix(tmp, dir), "file_temp makes a file beside the path",
	      error);
	g_clear_error(&error);
	if (tmp == NULL)
		return;
	check(g_file_set_contents(tmp, "first", -1, NULL), "... which is written", NULL);
	check(mesh_platform_file_commit(tmp, path, FALSE, &error), "file_commit renames it", error);
	g_clear_error(&error);
	g_free(tmp);
	check(g_file_get_contents(path, &text, NULL, NULL) && g_str_equal(text, "first"),
	      "... into place, whole", NULL);
	tmp = mesh_platform_file_temp(path, &error);
	check(tmp != NULL, "a second file_temp", error);
	g_clear_error(&error);
	if (tmp == NULL)
		return;
	check(g_file_set_contents(tmp, "second", -1, NULL), "... written", NULL);
	check(!mesh_platform_file_commit(tmp, path, FALSE, &error) &&
		      g_error_matches(error, MESH_ERROR, MESH_ERROR_EXISTS),
	      "file_commit refuses an existing path (Exists) unless told to replace", NULL);
	g_clear_error(&error);
	g_clear_pointer(&text, g_free);
	check(g_file_get_contents(path, &text, NULL, NULL) && g_str_equal(text, "first"),
	      "... and leaves it as it was", NULL);
	check(mesh_platform_file_commit(tmp, path, TRUE, &error), "file_commit --force replaces",
	      error);
	g_clear_error(&error);
	g_free(tmp);
	g_clear_pointer(&text, g_free);
	check(g_file_get_contents(path, &text, NULL, NULL) && g_str_equal(text, "second"),
	      "... with the new content", NULL);
	{
		g_autofree char *missing = g_build_filename(dir, "none", "copy.db", NULL);
		g_autofree char *none = mesh_platform_file_temp(missing, &error);

		check(none == NULL && g_error_matches(error, MESH_ERROR, MESH_ERROR_NOT_FOUND),
		      "file_temp in a missing folder: NotFound", NULL);
		g_clear_error(&error);
	}
	/* A folder with the inherited access list (Everyone, here): others could swap the file. */
	if (g_mkdtemp(open_dir) != NULL) {
		g_autofree char *in_open = g_build_filename(open_dir, "copy.db", NULL);
		g_autofree char *refused = mesh_platform_file_temp(in_open, &error);

		check(refused == NULL && g_error_matches(error, MESH_ERROR, MESH_ERROR_PERMISSION),
		      "file_temp in a folder others may change: Permission", NULL);
		g_clear_error(&error);
		g_rmdir(open_dir);
	}
	g_unlink(path);
	g_rmdir(dir);
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "all";

	if (g_str_equal(mode, "harden"))
		return mode_harden();
	if (g_str_equal(mode, "crash"))
		return mode_crash();
	if (g_str_equal(mode, "stdout"))
		return mode_stdout();
	if (g_str_equal(mode, "console"))
		return mode_console();
	if (g_str_equal(mode, "daemon"))
		return mode_daemon(argc, argv);
	if (g_str_equal(mode, "login"))
		return mode_login(argc, argv);
	if (g_str_equal(mode, "--hive") && argc > 2)
		return mode_agent(argc, argv);
	if (g_str_equal(mode, "logintest")) {
		test_login();
		printf("%s: %d failed\n", check_failed ? "FAIL" : "PASS", check_failed);
		return check_failed != 0;
	}
	if (!g_str_equal(mode, "all") && !g_str_equal(mode, "nologin")) {
		fprintf(stderr, "test-win-platform: unknown mode %s\n", mode);
		return 2;
	}
	test_clock_and_ids();
	test_file_commit();
	test_write_stdout();
	test_input_file();
	test_input_pipe();
	test_harden();
	test_crash();
	test_console();
	test_daemonise();
	if (g_str_equal(mode, "all"))
		test_login();
	printf("%s: %d failed\n", check_failed ? "FAIL" : "PASS", check_failed);
	return check_failed != 0;
}
