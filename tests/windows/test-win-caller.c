/* SPDX-License-Identifier: MIT */
/*
 * test-win-caller: who is calling on a named pipe (windows/caller.c, mesh_transport_peer_caller),
 * under Wine or on Windows. A client connecting from a thread of this program, then from another
 * process (this program again, "test-win-caller connect ADDRESS"), is named with its pid and its
 * .exe path, and the digest is the SHA-256 of that file; the caller outlives the connection.
 * Checks print "ok   - ..." or "FAIL - ..."; the exit status is 1 when one failed.
 */
#include <stdio.h>
#include <string.h>

#include "../check.h"
#include "caller.h"
#include "error.h"
#include "hive.h"
#include "platform-private.h"
#include "text.h"
#include "transport-private.h"
#include "transport.h"

static char *
pipe_address(const char *tag)
{
	return g_strdup_printf(TRANSPORT_PIPE_PREFIX "meshagent-test-%lu-%s",
	                       (unsigned long)GetCurrentProcessId(), tag);
}

/* Connect to @address and hold the connection until the agent closes it (or 10 s pass). */
static int
connect_and_wait(const char *address)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MeshTransportConnection) conn = mesh_transport_connect(address, &error);
	guint8 byte;

	if (conn == NULL) {
		printf("#      connect: %s\n", error->message);
		return 1;
	}
	mesh_transport_receive(conn, &byte, 1, NULL, NULL, NULL);
	return 0;
}

static gpointer
client_thread(gpointer address)
{
	return GINT_TO_POINTER(connect_and_wait(address));
}

/* This program's path, as Windows names it. */
static char *
own_path(void)
{
	wchar_t path[MAX_PATH + 1];
	DWORD len = GetModuleFileNameW(NULL, path, G_N_ELEMENTS(path));

	return len > 0 && len < G_N_ELEMENTS(path) ? mesh_win_utf8(path) : NULL;
}

/* The SHA-256 of @path in hex, by GLib's own code (not OpenSSL's, which the agent uses). */
static char *
file_sha256(const char *path)
{
	g_autofree char *bytes = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &bytes, &len, NULL))
		return NULL;
	return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)bytes, len);
}

static char *
caller_sha256(MeshCaller *c, GError **error)
{
	guint8 d[32];
	GString *hex;

	if (!mesh_caller_digest(c, d, error))
		return NULL;
	hex = g_string_new(NULL);
	for (gsize i = 0; i < sizeof d; i++)
		g_string_append_printf(hex, "%02x", d[i]);
	return g_string_free(hex, FALSE);
}

/* check() with the label "@what: @about". */
static void
check_about(gboolean ok, const char *what, const char *about, const GError *error)
{
	g_autofree char *label = g_strdup_printf("%s: %s", what, about);

	check(ok, label, error);
}

/* Accept the next client of @listener and check that the caller is process @pid running this
 * program (@what names the client in the checks). */
static void
check_client(MeshTransportListener *listener, DWORD pid, const char *what)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MeshTransportConnection) conn =
	        mesh_transport_accept(listener, 10 * 1000, NULL, &error);
	g_autoptr(MeshCaller) c = NULL;
	g_autofree char *self = own_path();
	g_autofree char *want = self != NULL ? file_sha256(self) : NULL;
	g_autofree char *lower = NULL;
	g_autofree char *got = NULL;
	g_autofree char *text = NULL;
	g_autofree char *escaped = NULL;
	g_autofree char *expect = NULL;
	const char *program;

	check_about(conn != NULL, what, "accepted", error);
	if (conn == NULL)
		return;
	check_about(mesh_transport_peer_is_user(conn, &error), what, "the peer check passes",
	            error);
	g_clear_error(&error);
	c = mesh_transport_peer_caller(conn);
	program = mesh_caller_program(c);
	printf("#      %s: pid %" G_GINT64_FORMAT ", program %s\n", what, mesh_caller_pid(c),
	       program != NULL ? program : "(unknown)");
	check_about(mesh_caller_pid(c) == (gint64)pid, what, "its pid", NULL);
	lower = program != NULL ? g_ascii_strdown(program, -1) : NULL;
	check_about(lower != NULL && self != NULL && g_ascii_strcasecmp(program, self) == 0 &&
	                    g_str_has_suffix(lower, "test-win-caller.exe"),
	            what, "its program is this .exe", NULL);
	/* The caller outlives its connection: the process handle is its own. */
	g_clear_pointer(&conn, mesh_transport_connection_free);
	got = caller_sha256(c, &error);
	check_about(got != NULL && want != NULL && g_str_equal(got, want), what,
	            "the digest is the file's SHA-256", error);
	text = mesh_caller_describe(c);
	escaped = mesh_text_escape(program);
	expect = g_strdup_printf("%s (pid %lu)", escaped, (unsigned long)pid);
	printf("#      %s: described as %s\n", what, text);
	check_about(g_str_equal(text, expect), what, "described with its path escaped", NULL);
}

static void
test_thread_client(void)
{
	g_autofree char *address = pipe_address("caller-thread");
	g_autoptr(GError) error = NULL;
	g_autoptr(MeshTransportListener) listener =
	        mesh_transport_listen(address, MESH_HIVE_TEST, "socket", "MESH_AGENT_SOCK", &error);
	GThread *thread;

	check(listener != NULL, "listen", error);
	if (listener == NULL)
		return;
	thread = g_thread_new("client", client_thread, address);
	check_client(listener, GetCurrentProcessId(), "a client in a thread");
	check(GPOINTER_TO_INT(g_thread_join(thread)) == 0, "the thread's client connected", NULL);
}

static void
test_process_client(const char *self)
{
	g_autofree char *address = pipe_address("caller-process");
	g_autoptr(GError) error = NULL;
	g_autoptr(MeshTransportListener) listener =
	        mesh_transport_listen(address, MESH_HIVE_TEST, "socket", "MESH_AGENT_SOCK", &error);
	g_autofree char *cmd = g_strdup_printf("\"%s\" connect \"%s\"", self, address);
	g_autofree wchar_t *cmd_wide = mesh_win_wide(cmd, NULL);
	STARTUPINFOW si = { .cb = sizeof si };
	PROCESS_INFORMATION pi = { 0 };
	DWORD status = 1;

	check(listener != NULL, "listen", error);
	if (listener == NULL)
		return;
	if (cmd_wide == NULL ||
	    !CreateProcessW(NULL, cmd_wide, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) {
		check(FALSE, "start a client process", NULL);
		return;
	}
	CloseHandle(pi.hThread);
	check_client(listener, pi.dwProcessId, "a client process");
	WaitForSingleObject(pi.hProcess, 30 * 1000);
	GetExitCodeProcess(pi.hProcess, &status);
	check(status == 0, "the client process connected", NULL);
	CloseHandle(pi.hProcess);
}

int
main(int argc, char **argv)
{
	if (argc == 3 && g_str_equal(argv[1], "connect"))
		return connect_and_wait(argv[2]);
	test_thread_client();
	test_process_client(argv[0]);
	printf("%s\n", check_failed == 0 ? "all passed" : "FAILED");
	return check_failed == 0 ? 0 : 1;
}
