/* SPDX-License-Identifier: MIT */
/*
 * core/platform.h on Windows: consoles, standard output for secrets, inputs read as they come,
 * Ctrl-C. A console is read with ReadConsoleW (UTF-16, whatever the code page) and handed on as
 * UTF-8, lines ending in "\n" as on Linux (a "\r\n" that a line longer than a read splits
 * keeps its '\r', which the passphrase reader drops too); a file or pipe with ReadFile. Every
 * buffer that held what was read is wiped.
 */
#include "platform.h"
#include "platform-private.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <windows.h>

#include "error.h"

/* UTF-16 units asked of ReadConsoleW at once; each gives at most 3 bytes of UTF-8. */
#define CONSOLE_CHUNK 256

struct MeshPlatformInput {
	HANDLE h;
	gboolean owned;         /* closed with the input (not standard input) */
	gboolean interruptible; /* a read stops once mesh_platform_interrupted() */
	gboolean console;       /* read with ReadConsoleW */
	gboolean quiet;         /* echo is off: mode holds the console's mode before */
	DWORD mode;
	wchar_t high; /* a high surrogate read last, waiting for its pair */
	/* UTF-8 converted from the console and not yet handed on */
	guint8 pending[CONSOLE_CHUNK * 3 + 8];
	gsize pending_start, pending_len;
};

/* ---- Ctrl-C ---------------------------------------------------------------------------------- */

static volatile LONG interrupted;
static GMutex reading_lock;
static HANDLE reading_thread; /* the thread in an interruptible ReadFile, or NULL */

static BOOL WINAPI
on_ctrl_c(DWORD event)
{
	if (event != CTRL_C_EVENT)
		return FALSE;
	InterlockedExchange(&interrupted, 1);
	/* A console read returns by itself on Ctrl-C; a pipe or file read is cancelled. */
	g_mutex_lock(&reading_lock);
	if (reading_thread != NULL)
		CancelSynchronousIo(reading_thread);
	g_mutex_unlock(&reading_lock);
	return TRUE;
}

void
mesh_platform_catch_interrupt(void)
{
	static gsize once;

	if (g_once_init_enter(&once)) {
		SetConsoleCtrlHandler(on_ctrl_c, TRUE);
		g_once_init_leave(&once, 1);
	}
}

gboolean
mesh_platform_interrupted(void)
{
	return InterlockedCompareExchange(&interrupted, 0, 0) != 0;
}

/* ---- Standard streams ------------------------------------------------------------------------ */

static HANDLE
std_handle(MeshPlatformStream stream)
{
	static const DWORD which[] = {
	        [MESH_PLATFORM_STDIN] = STD_INPUT_HANDLE,
	        [MESH_PLATFORM_STDOUT] = STD_OUTPUT_HANDLE,
	        [MESH_PLATFORM_STDERR] = STD_ERROR_HANDLE,
	};

	return GetStdHandle(which[stream]);
}

static gboolean
is_console(HANDLE h)
{
	DWORD mode;

	return h != NULL && h != INVALID_HANDLE_VALUE && GetConsoleMode(h, &mode);
}

gboolean
mesh_platform_is_terminal(MeshPlatformStream stream)
{
	return is_console(std_handle(stream));
}

/* errno for a failed write: EPIPE when the reader is gone, else EIO. */
static void
set_write_errno(DWORD err)
{
	errno = err == ERROR_BROKEN_PIPE || err == ERROR_NO_DATA ? EPIPE : EIO;
}

/* @data to the console @h as UTF-16 (the console's code page plays no part); the copy is
 * wiped. */
static gboolean
write_console(HANDLE h, const guint8 *data, gsize len)
{
	int wlen = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, (const char *)data, (int)len,
	                               NULL, 0);
	wchar_t *wide;
	gboolean ok = TRUE;
	DWORD done = 0;

	if (wlen <= 0)
		return FALSE;
	wide = g_new(wchar_t, wlen);
	MultiByteToWideChar(CP_UTF8, 0, (const char *)data, (int)len, wide, wlen);
	for (int at = 0; ok && at < wlen; at += (int)done) {
		ok = WriteConsoleW(h, wide + at, (DWORD)(wlen - at), &done, NULL) && done > 0;
		if (!ok)
			set_write_errno(GetLastError());
	}
	SecureZeroMemory(wide, (gsize)wlen * sizeof(wchar_t));
	g_free(wide);
	return ok;
}

gboolean
mesh_platform_write_stdout(const guint8 *data, gsize len)
{
	HANDLE h = std_handle(MESH_PLATFORM_STDOUT);

	fflush(stdout);
	if (h == NULL || h == INVALID_HANDLE_VALUE) {
		errno = EBADF;
		return FALSE;
	}
	/* Text that is UTF-8 goes to a console as characters; anything else as bytes. */
	if (len > 0 && len < G_MAXINT && is_console(h) &&
	    g_utf8_validate((const char *)data, (gssize)len, NULL))
		return write_console(h, data, len);
	while (len > 0) {
		DWORD n = 0, chunk = (DWORD)MIN(len, (gsize)(1u << 30));

		if (!WriteFile(h, data, chunk, &n, NULL) || n == 0) {
			set_write_errno(GetLastError());
			return FALSE;
		}
		data += n;
		len -= n;
	}
	return TRUE;
}

/* ---- Inputs ---------------------------------------------------------------------------------- */

static MeshPlatformInput *
input_new(HANDLE h, gboolean owned, gboolean interruptible)
{
	MeshPlatformInput *input = g_new0(MeshPlatformInput, 1);

	input->h = h;
	input->owned = owned;
	input->interruptible = interruptible;
	input->console = is_console(h);
	return input;
}

MeshPlatformInput *
mesh_platform_input_open(const char *path, gboolean interruptible, GError **error)
{
	g_autofree wchar_t *wide = NULL;
	HANDLE h;

	if (path == NULL || g_str_equal(path, "-"))
		return input_new(GetStdHandle(STD_INPUT_HANDLE), FALSE, interruptible);
	wide = mesh_win_wide(path, error);
	if (wide == NULL)
		return NULL;
	h = CreateFileW(wide, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING,
	                FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		DWORD err = GetLastError();
		g_autofree char *reason = mesh_win_reason(err);

		/* The reason alone: the caller says what it tried to open. */
		g_set_error(error, MESH_ERROR, mesh_win_error_code(err, MESH_ERROR_IO), "%s",
		            reason);
		return NULL;
	}
	return input_new(h, TRUE, interruptible);
}

MeshPlatformInput *
mesh_platform_input_terminal(void)
{
	/* The console even when standard input is redirected, as ssh-keygen asks on /dev/tty. */
	HANDLE h = CreateFileW(L"CONIN$", GENERIC_READ | GENERIC_WRITE,
	                       FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);

	if (h != INVALID_HANDLE_VALUE)
		return input_new(h, TRUE, FALSE);
	/* No console (a detached process): standard input; its errors come with the first use. */
	return input_new(GetStdHandle(STD_INPUT_HANDLE), FALSE, FALSE);
}

static gssize
fail_io(DWORD err, GError **error)
{
	g_autofree char *reason = mesh_win_reason(err);

	g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "%s", reason);
	return -1;
}

static gssize
cancelled(GError **error)
{
	g_set_error(error, MESH_ERROR, MESH_ERROR_CANCELLED, "interrupted");
	return -1;
}

/* Up to @len bytes of what the console gave and was not handed on yet. */
static gsize
take_pending(MeshPlatformInput *input, guint8 *buf, gsize len)
{
	gsize n = MIN(len, input->pending_len);

	memcpy(buf, input->pending + input->pending_start, n);
	input->pending_start += n;
	input->pending_len -= n;
	if (input->pending_len == 0) {
		SecureZeroMemory(input->pending, sizeof input->pending);
		input->pending_start = 0;
	}
	return n;
}

/*
 * One ReadConsoleW into pending, as UTF-8: "\r\n" becomes "\n", Ctrl-Z at the start of a read
 * is the end of the input (as the C library reads a console), a surrogate pair split between two
 * reads is joined. Returns the bytes now pending, 0 at the end, -1 on failure.
 */
static gssize
fill_from_console(MeshPlatformInput *input, GError **error)
{
	wchar_t wide[CONSOLE_CHUNK + 1];
	DWORD got = 0, start = 0;
	int n;

	for (;;) {
		if (input->interruptible && mesh_platform_interrupted())
			return cancelled(error);
		if (input->high != 0) {
			wide[0] = input->high;
			input->high = 0;
			start = 1;
		}
		got = 0;
		if (!ReadConsoleW(input->h, wide + start, CONSOLE_CHUNK - start, &got, NULL)) {
			DWORD err = GetLastError();

			SecureZeroMemory(wide, sizeof wide);
			/* Ctrl-C ends a console read with ERROR_OPERATION_ABORTED. */
			if (err == ERROR_OPERATION_ABORTED && input->interruptible)
				continue;
			return fail_io(err, error);
		}
		/* Ctrl-C can also end it with nothing read: look at the flag again. */
		if (got == 0 && input->interruptible && mesh_platform_interrupted())
			continue;
		break;
	}
	got += start;
	if (got == 0 || (wide[0] == 0x1a && start == 0)) {
		SecureZeroMemory(wide, sizeof wide);
		return 0;
	}
	if (IS_HIGH_SURROGATE(wide[got - 1])) {
		input->high = wide[--got];
		if (got == 0)
			return fill_from_console(input, error);
	}
	n = WideCharToMultiByte(CP_UTF8, 0, wide, (int)got, (char *)input->pending,
	                        (int)sizeof input->pending, NULL, NULL);
	SecureZeroMemory(wide, sizeof wide);
	if (n <= 0)
		return fail_io(GetLastError(), error);
	/* Lines end in "\n", as they do on Linux: a '\r' followed by '\n' goes. */
	{
		gsize out = 0;

		for (gsize i = 0; i < (gsize)n; i++) {
			if (input->pending[i] == '\r' && i + 1 < (gsize)n &&
			    input->pending[i + 1] == '\n')
				continue;
			input->pending[out++] = input->pending[i];
		}
		SecureZeroMemory(input->pending + out, (gsize)n - out);
		n = (int)out;
	}
	input->pending_start = 0;
	input->pending_len = (gsize)n;
	return n;
}

gssize
mesh_platform_input_read(MeshPlatformInput *input, void *buf, gsize len, GError **error)
{
	DWORD n = 0;
	BOOL ok;

	if (input->interruptible && mesh_platform_interrupted())
		return cancelled(error);
	if (len == 0)
		return 0;
	if (input->h == NULL || input->h == INVALID_HANDLE_VALUE)
		return fail_io(ERROR_INVALID_HANDLE, error);
	if (input->console) {
		if (input->pending_len == 0) {
			gssize got = fill_from_console(input, error);

			if (got <= 0)
				return got;
		}
		return (gssize)take_pending(input, buf, len);
	}
	for (;;) {
		if (input->interruptible) {
			g_mutex_lock(&reading_lock);
			DuplicateHandle(GetCurrentProcess(), GetCurrentThread(),
			                GetCurrentProcess(), &reading_thread, 0, FALSE,
			                DUPLICATE_SAME_ACCESS);
			g_mutex_unlock(&reading_lock);
			/* Ctrl-C between the flag's check and here: the read would not be
			 * cancelled. */
			if (mesh_platform_interrupted())
				ok = FALSE, SetLastError(ERROR_OPERATION_ABORTED);
			else
				ok = ReadFile(input->h, buf, (DWORD)MIN(len, (gsize)G_MAXINT32), &n,
				              NULL);
			g_mutex_lock(&reading_lock);
			if (reading_thread != NULL)
				CloseHandle(reading_thread);
			reading_thread = NULL;
			g_mutex_unlock(&reading_lock);
		} else {
			ok = ReadFile(input->h, buf, (DWORD)MIN(len, (gsize)G_MAXINT32), &n, NULL);
		}
		if (ok)
			return (gssize)n;
		switch (GetLastError()) {
		case ERROR_BROKEN_PIPE: /* the writer closed the pipe: the end */
		case ERROR_HANDLE_EOF:
			return 0;
		case ERROR_OPERATION_ABORTED:
			if (input->interruptible && mesh_platform_interrupted())
				return cancelled(error);
			continue;
		default:
			return fail_io(GetLastError(), error);
		}
	}
}

int
mesh_platform_input_wait(MeshPlatformInput *input, int timeout_ms)
{
	gint64 deadline = timeout_ms < 0 ? -1 : g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	if (input->h == NULL || input->h == INVALID_HANDLE_VALUE)
		return -1;
	if (input->pending_len > 0)
		return 1;
	switch (GetFileType(input->h)) {
	case FILE_TYPE_DISK:
		return 1; /* as poll() says of a file */
	case FILE_TYPE_CHAR:
		if (!input->console)
			return 1; /* NUL, a serial line: a read does not wait long */
		/* The console is signalled while input events are queued. A line is complete only
		 * with Enter, which the caller's read then waits for. */
		return WaitForSingleObject(input->h,
		                           timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms) ==
		                       WAIT_OBJECT_0
		               ? 1
		               : 0;
	case FILE_TYPE_PIPE:
		/* An anonymous pipe is not a waitable object: look at it every few ms. */
		for (;;) {
			DWORD avail = 0;

			if (!PeekNamedPipe(input->h, NULL, 0, NULL, &avail, NULL))
				return GetLastError() == ERROR_BROKEN_PIPE ? 1 : -1;
			if (avail > 0)
				return 1;
			if (mesh_platform_interrupted() ||
			    (deadline >= 0 && g_get_monotonic_time() >= deadline))
				return 0;
			Sleep(10);
		}
	default:
		return -1;
	}
}

gboolean
mesh_platform_input_echo(MeshPlatformInput *input, gboolean echo, GError **error)
{
	DWORD mode;

	if (echo) {
		if (input->quiet)
			SetConsoleMode(input->h, input->mode);
		input->quiet = FALSE;
		return TRUE;
	}
	if (!GetConsoleMode(input->h, &mode)) {
		g_autofree char *reason = mesh_win_reason(GetLastError());

		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "%s", reason);
		return FALSE;
	}
	if (!input->quiet)
		input->mode = mode;
	/* Lines as before, and Ctrl-C still processed (it interrupts the read). */
	mode = (mode & ~(DWORD)ENABLE_ECHO_INPUT) | ENABLE_LINE_INPUT | ENABLE_PROCESSED_INPUT;
	if (!SetConsoleMode(input->h, mode)) {
		g_autofree char *reason = mesh_win_reason(GetLastError());

		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "%s", reason);
		return FALSE;
	}
	input->quiet = TRUE;
	return TRUE;
}

void
mesh_platform_input_close(MeshPlatformInput *input)
{
	if (input == NULL)
		return;
	mesh_platform_input_echo(input, TRUE, NULL);
	if (input->owned)
		CloseHandle(input->h);
	SecureZeroMemory(input, sizeof *input);
	g_free(input);
}
