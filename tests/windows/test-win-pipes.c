/* SPDX-License-Identifier: MIT */
/*
 * test-win-pipes: core/transport.h on named pipes (windows/transport*.c), under Wine or on
 * Windows. The agent's frame codec and its server loop (ipc/service.c) through listen, accept
 * and connect, many clients at once; the pipe's owner and DACL read back; squatters refused on
 * both sides; stop_reading, hung_up, timeouts and cancellation; the one-agent-per-hive lock,
 * also against another process and after that process died holding it.
 * Checks print "ok   - ..." or "FAIL - ..."; the exit status is 1 when one failed.
 * "test-win-pipes hold-lock LOCATION EVENT" is the other process: it locks the hive at LOCATION,
 * sets the named event EVENT, and waits to be killed.
 */
#include <stdio.h>
#include <string.h>

#include <gio/gio.h>

#include "../check.h"
#include "error.h"
#include "frame.h"
#include "hive.h"
#include "platform.h"
#include "platform-private.h"
#include "service.h"
#include "transport-private.h"
#include "transport.h"

/* After <windows.h> (platform-private.h). */
#include <sddl.h>

/* @error is @code; its message is shown. */
static void
check_error(const GError *error, MeshError code, const char *what)
{
	gboolean ok = g_error_matches(error, MESH_ERROR, (int)code);

	if (!ok)
		printf("#      expected %s, got %s\n", mesh_error_name(code),
		       error != NULL ? mesh_error_name((MeshError)error->code) : "no error");
	check(ok, what, ok ? NULL : error);
	if (ok)
		printf("#      %s\n", error->message);
}

static char *
pipe_address(const char *tag)
{
	return g_strdup_printf(TRANSPORT_PIPE_PREFIX "meshagent-test-%lu-%s",
	                       (unsigned long)GetCurrentProcessId(), tag);
}

/* ---- A hive for the lock: only its location and kind matter ------------------------------- */

typedef struct {
	MeshHive base;
	char *location;
} FakeHive;

static const char *
fake_location(MeshHive *hive)
{
	return ((FakeHive *)hive)->location;
}

static const MeshHiveClass fake_class = {.location = fake_location};

/* ---- Addresses ---------------------------------------------------------------------------- */

static void
test_addresses(void)
{
	g_autofree char *test = NULL, *prod = NULL, *ssh_prod = NULL, *ssh_test = NULL;
	g_autofree char *set = NULL;
	const char *saved = g_getenv("MESH_AGENT_SOCK");
	gboolean clean = TRUE;

	g_unsetenv("MESH_AGENT_SOCK");
	test = mesh_platform_agent_socket(MESH_HIVE_TEST);
	prod = mesh_platform_agent_socket(MESH_HIVE_PRODUCTION);
	printf("#      agent pipes: %s, %s\n", prod, test);
	for (const char *p = test + strlen(TRANSPORT_PIPE_PREFIX); *p != '\0'; p++)
		clean = clean && (g_ascii_isalnum(*p) || *p == '.' || *p == '_' || *p == '-');
	check(g_str_has_prefix(test, TRANSPORT_PIPE_PREFIX "meshagent-") &&
	              g_str_has_suffix(test, "-CryptoMesh") &&
	              g_str_has_suffix(prod, "-MathematicalMesh") && clean,
	      "the agent's pipe is \\\\.\\pipe\\meshagent-<user>-<hive folder>, [A-Za-z0-9._-]",
	      NULL);
	g_setenv("MESH_AGENT_SOCK", TRANSPORT_PIPE_PREFIX "elsewhere", TRUE);
	set = mesh_platform_agent_socket(MESH_HIVE_TEST);
	check(g_str_equal(set, TRANSPORT_PIPE_PREFIX "elsewhere"), "MESH_AGENT_SOCK overrides it",
	      NULL);
	if (saved != NULL)
		g_setenv("MESH_AGENT_SOCK", saved, TRUE);
	else
		g_unsetenv("MESH_AGENT_SOCK");
	ssh_prod = mesh_platform_ssh_agent_address(MESH_HIVE_PRODUCTION, prod);
	ssh_test = mesh_platform_ssh_agent_address(MESH_HIVE_TEST, test);
	printf("#      ssh-agent pipes: %s, %s\n", ssh_prod, ssh_test);
	check(g_str_equal(ssh_prod, "\\\\.\\pipe\\openssh-ssh-agent") &&
	              g_str_has_prefix(ssh_test, test) && !g_str_equal(ssh_test, test),
	      "the ssh-agent pipe: openssh-ssh-agent (production), beside the agent's (test)",
	      NULL);
}

static void
test_bad_addresses(void)
{
	g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;
	g_autofree char *none = pipe_address("nobody-here");
	g_autofree char *longname = g_strnfill(300, 'x');
	g_autofree char *toolong = g_strconcat(TRANSPORT_PIPE_PREFIX, longname, NULL);
	MeshTransportListener *l = mesh_transport_listen("C:\\mesh\\agent.sock", MESH_HIVE_TEST,
	                                                 "socket", "MESH_AGENT_SOCK", &e1);

	check_error(e1, MESH_ERROR_INVALID_ARGUMENT, "listening on a path that is no pipe refused");
	mesh_transport_listener_free(l);
	l = mesh_transport_listen(toolong, MESH_HIVE_TEST, "socket", "MESH_AGENT_SOCK", &e2);
	check_error(e2, MESH_ERROR_INVALID_ARGUMENT, "a pipe name over 256 characters refused");
	mesh_transport_listener_free(l);
	check(mesh_transport_connect(none, &e3) == NULL, "connecting to no agent fails", NULL);
	check_error(e3, MESH_ERROR_AGENT_UNAVAILABLE, "... with AGENT_UNAVAILABLE");
	check(mesh_transport_agent_pid(none) == 0, "no agent: pid 0", NULL);
}

/* ---- Request and answer through the agent's server loop ----------------------------------- */

#define CLIENTS  24
#define REQUESTS 20

/* The answer to "N:text" is "echo N:text", framed by the server loop. */
static GBytes *
echo(gpointer data, MeshTransportConnection *conn, MeshCaller *caller, const guint8 *msg,
     gsize len, gboolean *ret_close)
{
	GByteArray *out = g_byte_array_new();

	g_byte_array_append(out, (const guint8 *)"echo ", 5);
	g_byte_array_append(out, msg, (guint)len);
	g_atomic_int_inc((gint *)data);
	return g_byte_array_free_to_bytes(out);
}

static const MeshServiceProtocol echo_protocol = {
        .name = "pipe-test",
        .request_max = 64 * 1024,
        .answer_max = 64 * 1024 + 5,
        .handle = echo,
};

/* One request and its answer through @conn, read with the frame codec. */
static gboolean
round_trip(MeshTransportConnection *conn, const char *text, gsize pad, GError **error)
{
	g_autoptr(MeshFrameReader) reader = mesh_frame_reader_new(128 * 1024);
	g_autofree char *body = g_strdup(text);
	GByteArray *req = g_byte_array_new();
	guint8 header[MESH_FRAME_HEADER_LEN];
	g_autofree char *expect = NULL;
	const guint8 *frame = NULL;
	gsize len = strlen(body) + pad, got = 0, used = 0;
	g_autofree guint8 *answer = NULL;
	gboolean ok = FALSE;

	mesh_frame_put_header(header, (guint32)len);
	g_byte_array_append(req, header, sizeof header);
	g_byte_array_append(req, (const guint8 *)body, (guint)strlen(body));
	for (gsize i = 0; i < pad; i++)
		g_byte_array_append(req, (const guint8 *)"p", 1);
	if (!mesh_transport_send(conn, req->data, req->len, error))
		goto out;
	expect = g_strdup_printf("echo %s", body);
	/* The header, then exactly its body: no byte of a next answer is read ahead. */
	if (!mesh_transport_receive(conn, header, sizeof header, NULL, NULL, error))
		goto out;
	answer = g_malloc(sizeof header + mesh_frame_length(header));
	memcpy(answer, header, sizeof header);
	if (mesh_frame_length(header) > 128 * 1024 ||
	    !mesh_transport_receive(conn, answer + sizeof header, mesh_frame_length(header), NULL,
	                            NULL, error))
		goto out;
	if (mesh_frame_reader_feed(reader, answer, sizeof header + mesh_frame_length(header),
	                           &used) != MESH_ERROR_OK ||
	    (frame = mesh_frame_reader_frame(reader, &got)) == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "a bad answer frame");
		goto out;
	}
	ok = got == strlen(expect) + pad && memcmp(frame, expect, strlen(expect)) == 0;
	if (!ok)
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		            "the answer to '%s' is not its echo (%zu bytes)", body, got);
out:
	g_byte_array_unref(req);
	return ok;
}

typedef struct {
	const char *address;
	int index;
	gint *ok;
	char *error;
} Client;

static gpointer
client_thread(gpointer data)
{
	Client *c = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(MeshTransportConnection) conn = mesh_transport_connect(c->address, &error);

	for (int i = 0; conn != NULL && i < REQUESTS; i++) {
		g_autofree char *text = g_strdup_printf("%d:%d", c->index, i);

		if (!round_trip(conn, text, 0, &error))
			break;
	}
	if (error == NULL)
		g_atomic_int_inc(c->ok);
	else
		c->error = g_strdup(error->message);
	return NULL;
}

static void
test_service(void)
{
	g_autofree char *address = pipe_address("service");
	g_autoptr(GError) error = NULL;
	MeshTransportListener *listener =
	        mesh_transport_listen(address, MESH_HIVE_TEST, "socket", "MESH_AGENT_SOCK", &error);
	MeshService *service = NULL;
	g_autoptr(MeshTransportConnection) conn = NULL;
	Client clients[CLIENTS];
	GThread *threads[CLIENTS];
	gint handled = 0, ok = 0;
	gboolean all = TRUE;

	check(listener != NULL, "listen on a fresh pipe", error);
	if (listener == NULL)
		return;
	check(g_str_equal(mesh_transport_listener_address(listener), address),
	      "the listener's address is its pipe", NULL);
	service = mesh_service_new(listener, &echo_protocol, &handled);
	check(mesh_service_start(service, &error), "the agent's server loop starts", error);
	conn = mesh_transport_connect(address, &error);
	check(conn != NULL, "connect: the pipe's owner and server are this user", error);
	check(conn != NULL && round_trip(conn, "hello", 0, &error),
	      "one request, its answer (frame codec)", error);
	/* Larger than the pipe's buffer both ways: the writes wait for the reader. */
	check(conn != NULL && round_trip(conn, "big", 100 * 1024 - 3 - 64, &error) == FALSE &&
	              g_error_matches(error, MESH_ERROR, MESH_ERROR_AGENT_UNAVAILABLE),
	      "a request over the server's limit: the server hangs up", error);
	g_clear_error(&error);
	g_clear_pointer(&conn, mesh_transport_connection_free);
	conn = mesh_transport_connect(address, &error);
	check(conn != NULL && round_trip(conn, "big", 60 * 1024, &error),
	      "a 60 KiB request and answer (pipe buffers overrun)", error);
	g_clear_pointer(&conn, mesh_transport_connection_free);
	for (int i = 0; i < CLIENTS; i++) {
		clients[i] = (Client){address, i, &ok, NULL};
		threads[i] = g_thread_new("client", client_thread, &clients[i]);
	}
	for (int i = 0; i < CLIENTS; i++) {
		g_thread_join(threads[i]);
		if (clients[i].error != NULL) {
			printf("#      client %d: %s\n", i, clients[i].error);
			all = FALSE;
		}
		g_free(clients[i].error);
	}
	printf("#      %d clients x %d requests; %d handled\n", CLIENTS, REQUESTS,
	       g_atomic_int_get(&handled));
	check(all && ok == CLIENTS && g_atomic_int_get(&handled) >= CLIENTS * REQUESTS,
	      "many clients at once, every answer its own", NULL);
	/* A client idle between requests: the service's stop reaches its reading thread. */
	conn = mesh_transport_connect(address, &error);
	check(conn != NULL && round_trip(conn, "before stop", 0, &error),
	      "a client stays connected", error);
	mesh_service_stop(service);
	{
		guint8 b;
		gboolean ended =
		        conn != NULL && !mesh_transport_receive(conn, &b, 1, NULL, NULL, &error);

		check(ended && g_error_matches(error, MESH_ERROR, MESH_ERROR_AGENT_UNAVAILABLE),
		      "stopping the service ends an idle connection (stop_reading woke its thread)",
		      error);
		g_clear_error(&error);
	}
	mesh_service_free(service);
	g_clear_pointer(&conn, mesh_transport_connection_free);
	conn = mesh_transport_connect(address, &error);
	check(conn == NULL && g_error_matches(error, MESH_ERROR, MESH_ERROR_AGENT_UNAVAILABLE),
	      "the pipe is gone with its listener", error);
}

/* ---- The pipe's security ------------------------------------------------------------------ */

static void
test_security(void)
{
	g_autofree char *address = pipe_address("security");
	g_autofree wchar_t *name = mesh_win_wide(address, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(MeshTransportListener) listener =
	        mesh_transport_listen(address, MESH_HIVE_TEST, "socket", "MESH_AGENT_SOCK", &error);
	PSID owner = NULL;
	PACL dacl = NULL;
	PSECURITY_DESCRIPTOR sd = NULL;
	SECURITY_DESCRIPTOR_CONTROL control = 0;
	DWORD revision = 0, rc, flags = 0, out_size = 0, in_size = 0, instances = 0;
	gboolean only_us = FALSE;
	HANDLE pipe;

	check(listener != NULL, "listen", error);
	if (listener == NULL)
		return;
	pipe = CreateFileW(name, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
	check(pipe != INVALID_HANDLE_VALUE, "open the pipe to read its security", NULL);
	if (pipe == INVALID_HANDLE_VALUE)
		return;
	rc = GetSecurityInfo(pipe, SE_KERNEL_OBJECT,
	                     OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, &owner, NULL,
	                     &dacl, NULL, &sd);
	check(rc == ERROR_SUCCESS, "GetSecurityInfo on the pipe", NULL);
	if (rc == ERROR_SUCCESS) {
		ACCESS_ALLOWED_ACE *ace = NULL;

		check(owner != NULL && EqualSid(owner, mesh_win_user_sid()),
		      "the pipe's owner is this user", NULL);
		if (dacl != NULL && dacl->AceCount == 1 && GetAce(dacl, 0, (LPVOID *)&ace))
			only_us = ace->Header.AceType == ACCESS_ALLOWED_ACE_TYPE &&
			          EqualSid((PSID)&ace->SidStart, mesh_win_user_sid()) &&
			          (ace->Mask & FILE_CREATE_PIPE_INSTANCE) != 0;
		printf("#      DACL: %u entries%s\n", dacl != NULL ? (unsigned)dacl->AceCount : 0,
		       only_us ? ", this user's alone" : "");
		check(only_us, "the DACL: one entry, allowing this user (instances included)",
		      NULL);
		check(GetSecurityDescriptorControl(sd, &control, &revision) &&
		              (control & SE_DACL_PROTECTED) != 0,
		      "the DACL is protected (nothing inherited)", NULL);
		check(mesh_win_check_owner_only(pipe, SE_KERNEL_OBJECT, "the pipe", &error),
		      "the owner-only check passes it", error);
		LocalFree(sd);
	}
	/* PIPE_REJECT_REMOTE_CLIENTS: no documented query reads it back (GetNamedPipeInfo gives
	 * the end, the type and the sizes; GetNamedPipeHandleState the read mode): the mode the
	 * listener creates with is checked, and what the pipe reports of that mode. */
	check((TRANSPORT_PIPE_MODE & PIPE_REJECT_REMOTE_CLIENTS) != 0,
	      "the pipes are made with PIPE_REJECT_REMOTE_CLIENTS", NULL);
	check(GetNamedPipeInfo(pipe, &flags, &out_size, &in_size, &instances) &&
	              (flags & PIPE_TYPE_MESSAGE) == 0 && (flags & PIPE_SERVER_END) == 0 &&
	              out_size == TRANSPORT_PIPE_BUFFER && in_size == TRANSPORT_PIPE_BUFFER,
	      "GetNamedPipeInfo: a byte pipe, the client's end, the agent's buffer sizes", NULL);
	printf("#      GetNamedPipeInfo: flags %#lx, buffers %lu/%lu, instances %lu\n",
	       (unsigned long)flags, (unsigned long)out_size, (unsigned long)in_size,
	       (unsigned long)instances);
	CloseHandle(pipe);
}

/* A pipe made by someone else under @address, with the security descriptor @sddl (NULL: the
 * default one). */
static HANDLE
squat(const char *address, const wchar_t *sddl)
{
	g_autofree wchar_t *name = mesh_win_wide(address, NULL);
	SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, FALSE};
	HANDLE pipe;

	if (sddl != NULL && !ConvertStringSecurityDescriptorToSecurityDescriptorW(
	                            sddl, SDDL_REVISION_1, &sa.lpSecurityDescriptor, NULL))
		return INVALID_HANDLE_VALUE;
	pipe = CreateNamedPipeW(name, PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED,
	                        PIPE_TYPE_BYTE | PIPE_READMODE_BYTE, PIPE_UNLIMITED_INSTANCES, 4096,
	                        4096, 0, sddl != NULL ? &sa : NULL);
	LocalFree(sa.lpSecurityDescriptor);
	return pipe;
}

static void
test_squatters(void)
{
	g_autofree char *a1 = pipe_address("squat-default");
	g_autofree char *a2 = pipe_address("squat-everyone");
	g_autofree char *a3 = pipe_address("squat-system");
	g_autofree wchar_t *everyone = g_utf8_to_utf16("D:P(A;;GA;;;WD)", -1, NULL, NULL, NULL);
	g_autofree char *us =
	        g_strdup_printf("O:%sD:P(A;;GA;;;%s)(A;;GA;;;WD)", mesh_win_user_sid_string(),
	                        mesh_win_user_sid_string());
	g_autofree wchar_t *us_and_everyone = g_utf8_to_utf16(us, -1, NULL, NULL, NULL);
	g_autofree char *sys = g_strdup_printf("O:SYD:P(A;;GA;;;%s)", mesh_win_user_sid_string());
	g_autofree wchar_t *system_owner = g_utf8_to_utf16(sys, -1, NULL, NULL, NULL);
	HANDLE p1 = squat(a1, NULL), p2 = squat(a2, everyone), p3;
	g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;
	MeshTransportListener *l;
	MeshTransportConnection *c;

	check(p1 != INVALID_HANDLE_VALUE && p2 != INVALID_HANDLE_VALUE,
	      "squatters make pipes first", NULL);
	l = mesh_transport_listen(a1, MESH_HIVE_TEST, "socket", "MESH_AGENT_SOCK", &e1);
	check(l == NULL && e1 != NULL &&
	              (e1->code == MESH_ERROR_EXISTS || e1->code == MESH_ERROR_PERMISSION),
	      "listen refuses a pipe that exists already (a squatter of this user)", e1);
	if (e1 != NULL)
		printf("#      %s\n", e1->message);
	mesh_transport_listener_free(l);
	l = mesh_transport_listen(a2, MESH_HIVE_TEST, "socket", "MESH_AGENT_SOCK", &e2);
	check(l == NULL, "listen refuses a squatter's pipe open to everyone", NULL);
	check_error(e2, MESH_ERROR_PERMISSION, "... as not this agent's to share");
	mesh_transport_listener_free(l);

	/* The client side: a pipe that lets others in, or that someone else owns. */
	CloseHandle(p2);
	p2 = squat(a2, us_and_everyone);
	c = mesh_transport_connect(a2, &e3);
	check(c == NULL, "a client refuses a pipe whose DACL lets Everyone in", NULL);
	check_error(e3, MESH_ERROR_PERMISSION, "... with PERMISSION");
	mesh_transport_connection_free(c);
	p3 = squat(a3, system_owner);
	if (p3 == INVALID_HANDLE_VALUE) {
		/* Setting another owner takes SeRestorePrivilege, which a user does not have. */
		printf("#      a pipe owned by LocalSystem cannot be made here (error %lu)\n",
		       (unsigned long)GetLastError());
	} else {
		c = mesh_transport_connect(a3, &e4);
		check(c == NULL, "a client refuses a pipe owned by LocalSystem", NULL);
		check_error(e4, MESH_ERROR_PERMISSION, "... with PERMISSION");
		mesh_transport_connection_free(c);
		CloseHandle(p3);
	}
	CloseHandle(p1);
	CloseHandle(p2);
}

/* ---- One connection, from the server's side ----------------------------------------------- */

typedef struct {
	MeshTransportConnection *conn;
	gssize got;
	gint64 took_us;
} Reader;

static gpointer
reader_thread(gpointer data)
{
	Reader *r = data;
	guint8 buf[16];
	gint64 start = g_get_monotonic_time();

	r->got = mesh_transport_connection_read(r->conn, buf, sizeof buf);
	r->took_us = g_get_monotonic_time() - start;
	return NULL;
}

static gpointer
cancel_later(gpointer data)
{
	g_usleep(300 * 1000);
	g_cancellable_cancel(data);
	return NULL;
}

/* A handle that is no pipe: an event. */
static HANDLE
listener_pipe_none(void)
{
	static HANDLE event;

	if (event == NULL)
		event = CreateEventW(NULL, TRUE, FALSE, NULL);
	return event;
}

static gboolean
never(gpointer data)
{
	return FALSE;
}

static void
test_connection(void)
{
	g_autofree char *address = pipe_address("conn");
	g_autoptr(GError) error = NULL;
	g_autoptr(MeshTransportListener) listener =
	        mesh_transport_listen(address, MESH_HIVE_TEST, "socket", "MESH_AGENT_SOCK", &error);
	g_autoptr(GCancellable) cancel = g_cancellable_new();
	g_autoptr(MeshTransportConnection) client = NULL;
	g_autoptr(MeshTransportConnection) server = NULL;
	Reader r = {0};
	gint64 pid;
	GThread *t;
	gint64 start;
	guint8 buf[8];

	check(listener != NULL, "listen", error);
	if (listener == NULL)
		return;
	start = g_get_monotonic_time();
	server = mesh_transport_accept(listener, 200, NULL, &error);
	check(server == NULL && error == NULL && g_get_monotonic_time() - start >= 150 * 1000,
	      "accept with nobody there: NULL after its timeout", error);
	start = g_get_monotonic_time();
	t = g_thread_new("cancel", cancel_later, cancel);
	server = mesh_transport_accept(listener, -1, cancel, &error);
	g_thread_join(t);
	check(server == NULL && error == NULL &&
	              g_get_monotonic_time() - start < 5 * G_USEC_PER_SEC,
	      "accept without a limit returns when cancelled from another thread", error);
	server = mesh_transport_accept(listener, 0, cancel, &error);
	check(server == NULL && error == NULL, "accept with a cancelled cancellable: NULL", error);

	client = mesh_transport_connect(address, &error);
	check(client != NULL, "connect while the agent is not accepting", error);
	server = mesh_transport_accept(listener, 5000, NULL, &error);
	check(server != NULL, "accept takes the waiting client", error);
	if (client == NULL || server == NULL)
		return;
	{
		ULONG client_pid = 0;

		/* Which way the peer check went: the client's process, or impersonation. */
		if (!GetNamedPipeClientProcessId(server->pipe, &client_pid))
			client_pid = 0;
		printf("#      GetNamedPipeClientProcessId: %lu\n", (unsigned long)client_pid);
	}
	check(mesh_transport_peer_is_user(server, &error), "the client's token user is this user",
	      error);
	{
		gboolean is_user = FALSE;
		DWORD err = 0;

		check(transport_impersonated_is_user(server->pipe, &is_user, NULL, &err) && is_user,
		      "... and so through impersonation (the fallback without a process id)", NULL);
		check(!transport_impersonated_is_user(listener_pipe_none(), &is_user, NULL, &err),
		      "impersonating on a handle that is no pipe fails (the peer check then "
		      "refuses)",
		      NULL);
	}
	pid = mesh_transport_agent_pid(address);
	printf("#      mesh_transport_agent_pid: %" G_GINT64_FORMAT " (this process: %lu)\n", pid,
	       (unsigned long)GetCurrentProcessId());
	check(pid == 0 || pid == (gint64)GetCurrentProcessId(),
	      "mesh_transport_agent_pid: this process, or 0 where it cannot be told", NULL);
	/* The pid probe was a client that came and went: the agent takes no connection from it,
	 * and its instance listens again for the next client. */
	check(mesh_transport_accept(listener, 500, NULL, &error) == NULL && error == NULL,
	      "a client that came and went is no connection", error);

	check(!mesh_transport_connection_hung_up(server, 100, NULL),
	      "hung_up: a live client has not hung up", NULL);
	start = g_get_monotonic_time();
	g_cancellable_reset(cancel);
	t = g_thread_new("cancel", cancel_later, cancel);
	check(!mesh_transport_connection_hung_up(server, -1, cancel) &&
	              g_get_monotonic_time() - start < 5 * G_USEC_PER_SEC,
	      "hung_up without a limit returns when cancelled", NULL);
	g_thread_join(t);

	/* A reader blocked in another thread, woken by stop_reading; writing goes on. */
	r.conn = server;
	t = g_thread_new("reader", reader_thread, &r);
	g_usleep(300 * 1000);
	mesh_transport_connection_stop_reading(server);
	g_thread_join(t);
	check(r.got == 0 && r.took_us < 5 * G_USEC_PER_SEC,
	      "stop_reading: the blocked read in another thread returns 0", NULL);
	check(mesh_transport_connection_read(server, buf, sizeof buf) == 0,
	      "... and so does every later read", NULL);
	check(mesh_transport_connection_write(server, (const guint8 *)"still", 5) &&
	              mesh_transport_receive(client, buf, 5, NULL, NULL, &error) &&
	              memcmp(buf, "still", 5) == 0,
	      "... while writing goes on", error);

	/* Nothing comes: the client's receive times out and asks whether to wait on. */
	start = g_get_monotonic_time();
	check(!mesh_transport_receive(client, buf, 1, never, NULL, &error) &&
	              g_error_matches(error, MESH_ERROR, MESH_ERROR_TIMEOUT) &&
	              g_get_monotonic_time() - start >=
	                      (MESH_TRANSPORT_IO_TIMEOUT_SECONDS - 1) * G_USEC_PER_SEC,
	      "receive gives MESH_ERROR_TIMEOUT after MESH_TRANSPORT_IO_TIMEOUT_SECONDS", error);
	g_clear_error(&error);

	/* An answer written just before the agent's end closes is still read. */
	check(mesh_transport_connection_write(server, (const guint8 *)"last", 4), "write", NULL);
	g_clear_pointer(&server, mesh_transport_connection_free);
	check(mesh_transport_receive(client, buf, 4, NULL, NULL, &error) &&
	              memcmp(buf, "last", 4) == 0,
	      "what the agent wrote before closing is read after it closed", error);
	check(!mesh_transport_receive(client, buf, 1, NULL, NULL, &error) &&
	              g_error_matches(error, MESH_ERROR, MESH_ERROR_AGENT_UNAVAILABLE),
	      "then the end of the stream: AGENT_UNAVAILABLE", error);
	g_clear_error(&error);
	g_clear_pointer(&client, mesh_transport_connection_free);

	/* hung_up sees the client close; shutdown fails reads and writes and counts as hung up. */
	client = mesh_transport_connect(address, &error);
	server = mesh_transport_accept(listener, 5000, NULL, &error);
	check(client != NULL && server != NULL, "a second connection", error);
	if (client == NULL || server == NULL)
		return;
	g_clear_pointer(&client, mesh_transport_connection_free);
	check(mesh_transport_connection_hung_up(server, 2000, NULL), "hung_up: the client closed",
	      NULL);
	g_clear_pointer(&server, mesh_transport_connection_free);
	client = mesh_transport_connect(address, &error);
	server = mesh_transport_accept(listener, 5000, NULL, &error);
	if (client == NULL || server == NULL)
		return;
	mesh_transport_connection_shutdown(server);
	check(mesh_transport_connection_hung_up(server, 0, NULL) &&
	              mesh_transport_connection_read(server, buf, 1) <= 0 &&
	              !mesh_transport_connection_write(server, (const guint8 *)"x", 1),
	      "shutdown: hung up, reads and writes fail", NULL);
}

/* ---- The hive lock ------------------------------------------------------------------------ */

static int
hold_lock(const char *location, const char *event_name)
{
	FakeHive hive = {{&fake_class, MESH_HIVE_TEST}, (char *)location};
	g_autoptr(GError) error = NULL;
	g_autofree wchar_t *wide = mesh_win_wide(event_name, NULL);
	MeshTransportLock *lock =
	        mesh_transport_lock_hive(&hive.base, "\\\\.\\pipe\\held-by-child", &error);
	HANDLE event = OpenEventW(EVENT_MODIFY_STATE, FALSE, wide);

	if (lock == NULL || event == NULL) {
		fprintf(stderr, "hold-lock: %s\n", error != NULL ? error->message : "no event");
		return 1;
	}
	SetEvent(event);
	Sleep(60 * 1000); /* killed before: the mutex is left abandoned */
	return 0;
}

static void
test_lock(const char *self)
{
	g_autofree char *location = g_strdup_printf("C:\\users\\test\\mmm-%lu\\CryptoMesh",
	                                            (unsigned long)GetCurrentProcessId());
	FakeHive hive = {{&fake_class, MESH_HIVE_TEST}, location};
	FakeHive other = {{&fake_class, MESH_HIVE_TEST}, "C:\\elsewhere\\CryptoMesh"};
	g_autoptr(GError) error = NULL;
	g_autofree char *event_name = g_strdup_printf("Local\\meshagent-test-locked-%lu",
	                                              (unsigned long)GetCurrentProcessId());
	g_autofree wchar_t *event_wide = mesh_win_wide(event_name, NULL);
	g_autofree char *cmd = NULL;
	g_autofree wchar_t *cmd_wide = NULL;
	g_autofree char *pid_text = NULL;
	STARTUPINFOW si = {.cb = sizeof si};
	PROCESS_INFORMATION pi = {0};
	MeshTransportLock *lock, *second, *third;
	HANDLE event;

	lock = mesh_transport_lock_hive(&hive.base, "\\\\.\\pipe\\first", &error);
	check(lock != NULL, "lock a hive", error);
	second = mesh_transport_lock_hive(&hive.base, "\\\\.\\pipe\\second", &error);
	check(second == NULL && error != NULL && strstr(error->message, "\\\\.\\pipe\\first"),
	      "a second lock of the same hive is refused, naming the first", NULL);
	check_error(error, MESH_ERROR_EXISTS, "... with EXISTS");
	g_clear_error(&error);
	third = mesh_transport_lock_hive(&other.base, "\\\\.\\pipe\\third", &error);
	check(third != NULL, "another hive locks on its own", error);
	mesh_transport_lock_free(third);
	mesh_transport_lock_free(lock);
	lock = mesh_transport_lock_hive(&hive.base, "\\\\.\\pipe\\again", &error);
	check(lock != NULL, "a released lock can be taken again", error);
	mesh_transport_lock_free(lock);

	/* Another process holds it, then dies holding it. */
	event = CreateEventW(NULL, TRUE, FALSE, event_wide);
	cmd = g_strdup_printf("\"%s\" hold-lock \"%s\" %s", self, location, event_name);
	cmd_wide = mesh_win_wide(cmd, NULL);
	if (event == NULL ||
	    !CreateProcessW(NULL, cmd_wide, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) {
		check(FALSE, "start the process that holds the lock", NULL);
		return;
	}
	check(WaitForSingleObject(event, 20000) == WAIT_OBJECT_0, "another process takes the lock",
	      NULL);
	pid_text = g_strdup_printf("pid %lu, pipe \\\\.\\pipe\\held-by-child",
	                           (unsigned long)pi.dwProcessId);
	lock = mesh_transport_lock_hive(&hive.base, "\\\\.\\pipe\\mine", &error);
	check(lock == NULL && error != NULL && strstr(error->message, pid_text) != NULL,
	      "held by another process: refused, naming its pid and pipe", error);
	check_error(error, MESH_ERROR_EXISTS, "... with EXISTS");
	g_clear_error(&error);
	mesh_transport_lock_free(lock);
	TerminateProcess(pi.hProcess, 9);
	WaitForSingleObject(pi.hProcess, 20000);
	lock = mesh_transport_lock_hive(&hive.base, "\\\\.\\pipe\\mine", &error);
	check(lock != NULL, "the holder was killed: its abandoned lock is taken over", error);
	mesh_transport_lock_free(lock);
	CloseHandle(pi.hProcess);
	CloseHandle(pi.hThread);
	CloseHandle(event);
}

int
main(int argc, char **argv)
{
	if (argc == 4 && g_str_equal(argv[1], "hold-lock"))
		return hold_lock(argv[2], argv[3]);
	test_addresses();
	test_bad_addresses();
	test_service();
	test_security();
	test_squatters();
	test_connection();
	test_lock(argv[0]);
	printf("%s\n", check_failed == 0 ? "all passed" : "FAILED");
	return check_failed == 0 ? 0 : 1;
}
