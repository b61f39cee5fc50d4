/* SPDX-License-Identifier: MIT */
/*
 * test-caller: core/caller.h on its own (a fake digest hook), then who is calling through the
 * transport on Linux (linux/caller.c): a real listener in a temporary folder, and a child
 * process (caller-child, MESH_CALLER_CHILD) that connects and waits, connects and exits, or
 * connects after making itself non-dumpable.
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caller.h"
#include "cutest.h"
#include "error.h"
#include "transport.h"

/* ---- core/caller.c with a fake hook --------------------------------------------------------- */

typedef struct {
	gint calls;    /* atomic: how often the hook ran */
	gint freed;    /* os_free ran */
	gboolean fail; /* the hook answers NOT_FOUND */
} Fake;

static gboolean
fake_digest(gpointer os, guint8 ret[32], GError **error)
{
	Fake *fake = os;

	g_atomic_int_inc(&fake->calls);
	/* Slow enough that threads asking at once overlap. */
	g_usleep(20 * 1000);
	if (fake->fail) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND, "gone");
		return FALSE;
	}
	memset(ret, 0xa5, 32);
	return TRUE;
}

static void
fake_free(gpointer os)
{
	Fake *fake = os;

	fake->freed++;
}

static void
test_new_and_describe(void)
{
	g_autoptr(MeshCaller) c = mesh_caller_new(1234, "/usr/bin/ssh", NULL, NULL, NULL);
	g_autoptr(MeshCaller) unknown = mesh_caller_new(77, NULL, NULL, NULL, NULL);
	g_autoptr(MeshCaller) nopid = mesh_caller_new(0, "/bin/true", NULL, NULL, NULL);
	g_autoptr(MeshCaller) nothing = mesh_caller_new(-5, NULL, NULL, NULL, NULL);
	g_autofree char *d1 = mesh_caller_describe(c);
	g_autofree char *d2 = mesh_caller_describe(unknown);
	g_autofree char *d3 = mesh_caller_describe(nopid);
	g_autofree char *d4 = mesh_caller_describe(nothing);

	CU_ASSERT_EQUAL(mesh_caller_pid(c), 1234);
	CU_ASSERT_STRING_EQUAL(mesh_caller_program(c), "/usr/bin/ssh");
	CU_ASSERT_STRING_EQUAL(d1, "/usr/bin/ssh (pid 1234)");
	CU_ASSERT_PTR_NULL(mesh_caller_program(unknown));
	CU_ASSERT_STRING_EQUAL(d2, "an unknown program (pid 77)");
	CU_ASSERT_EQUAL(mesh_caller_pid(nopid), 0);
	CU_ASSERT_STRING_EQUAL(d3, "/bin/true (pid unknown)");
	CU_ASSERT_EQUAL(mesh_caller_pid(nothing), 0);
	CU_ASSERT_STRING_EQUAL(d4, "an unknown program (pid unknown)");
	/* Shared: a reference more, then both dropped (ASan sees the rest). */
	mesh_caller_unref(mesh_caller_ref(c));
	mesh_caller_unref(NULL);
}

/* What the OS gives is taken as a program only when it is an absolute path in UTF-8; a path is
 * shown escaped, never as raw bytes or controls. */
static void
test_program_checked_and_escaped(void)
{
	g_autoptr(MeshCaller) relative = mesh_caller_new(5, "bin/ssh", NULL, NULL, NULL);
	g_autoptr(MeshCaller) latin1 = mesh_caller_new(5, "/usr/bin/h\xe9las", NULL, NULL, NULL);
	g_autoptr(MeshCaller) controls =
	        mesh_caller_new(6, "/tmp/\033[2Jssh\\\n (deleted)", NULL, NULL, NULL);
	g_autoptr(MeshCaller) rtl = mesh_caller_new(7, "/tmp/\342\200\256hss", NULL, NULL, NULL);
	g_autofree char *d1 = mesh_caller_describe(controls);
	g_autofree char *d2 = mesh_caller_describe(rtl);

	CU_ASSERT_PTR_NULL(mesh_caller_program(relative));
	CU_ASSERT_PTR_NULL(mesh_caller_program(latin1));
	/* The program itself keeps the kernel's bytes; only its description is escaped. */
	CU_ASSERT_STRING_EQUAL(mesh_caller_program(controls), "/tmp/\033[2Jssh\\\n (deleted)");
	CU_ASSERT_STRING_EQUAL(d1, "/tmp/\\x1b[2Jssh\\\\\\x0a (deleted) (pid 6)");
	CU_ASSERT_STRING_EQUAL(d2, "/tmp/\\u202ehss (pid 7)");
}

static void
test_digest_kept(void)
{
	Fake fake = { 0 };
	MeshCaller *c = mesh_caller_new(9, "/usr/bin/ssh", fake_digest, &fake, fake_free);
	guint8 d[32] = { 0 }, again[32] = { 0 }, want[32];
	GError *error = NULL;

	memset(want, 0xa5, sizeof want);
	CU_ASSERT_TRUE(mesh_caller_digest(c, d, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(memcmp(d, want, 32), 0);
	CU_ASSERT_TRUE(mesh_caller_digest(c, again, &error));
	CU_ASSERT_EQUAL(memcmp(again, want, 32), 0);
	CU_ASSERT_EQUAL(g_atomic_int_get(&fake.calls), 1);
	CU_ASSERT_EQUAL(fake.freed, 0);
	mesh_caller_unref(c);
	CU_ASSERT_EQUAL(fake.freed, 1);
}

static gpointer
digest_thread(gpointer data)
{
	guint8 d[32];

	return GINT_TO_POINTER(mesh_caller_digest(data, d, NULL) && d[0] == 0xa5 && d[31] == 0xa5);
}

/* Threads that ask at once: the hook runs once, every one gets its answer. */
static void
test_digest_once_across_threads(void)
{
	Fake fake = { 0 };
	g_autoptr(MeshCaller) c = mesh_caller_new(9, "/usr/bin/ssh", fake_digest, &fake, NULL);
	GThread *threads[8];

	for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
		threads[i] = g_thread_new("digest", digest_thread, c);
	for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
		CU_ASSERT_TRUE(GPOINTER_TO_INT(g_thread_join(threads[i])));
	CU_ASSERT_EQUAL(g_atomic_int_get(&fake.calls), 1);
}

/* No digest: no hook, an unknown program, or a hook that fails (asked again, not kept); @ret is
 * left alone. */
static void
test_digest_refused(void)
{
	Fake fake = { .fail = TRUE };
	Fake unused = { 0 };
	g_autoptr(MeshCaller) nohook = mesh_caller_new(9, "/usr/bin/ssh", NULL, NULL, NULL);
	g_autoptr(MeshCaller) unknown = mesh_caller_new(9, NULL, fake_digest, &unused, NULL);
	g_autoptr(MeshCaller) failing =
	        mesh_caller_new(9, "/usr/bin/ssh", fake_digest, &fake, NULL);
	guint8 d[32] = { 0 }, zero[32] = { 0 };
	GError *error = NULL;

	CU_ASSERT_FALSE(mesh_caller_digest(nohook, d, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_FALSE(mesh_caller_digest(unknown, d, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_EQUAL(unused.calls, 0);
	CU_ASSERT_FALSE(mesh_caller_digest(failing, d, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_FALSE(mesh_caller_digest(failing, d, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_EQUAL(fake.calls, 2);
	CU_ASSERT_EQUAL(memcmp(d, zero, 32), 0);
}

/* A reader for mesh_caller_hash_file: @text in pieces of at most 7 bytes, or without end (the
 * bytes 'x'), or failing. */
typedef struct {
	const char *text;
	gsize at;
	gboolean endless;
	gboolean fail;
} Reader;

static gboolean
read_fake(gpointer file, guint8 *buf, gsize len, gsize *ret_n, GError **error)
{
	Reader *r = file;
	gsize n;

	if (r->fail) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot read");
		return FALSE;
	}
	if (r->endless) {
		memset(buf, 'x', len);
		*ret_n = len;
		return TRUE;
	}
	n = MIN(MIN(len, 7), strlen(r->text) - r->at);
	memcpy(buf, r->text + r->at, n);
	r->at += n;
	*ret_n = n;
	return TRUE;
}

static void
test_hash_file(void)
{
	static const char text[] = "the quick brown fox jumps over the lazy dog, 64 KiB at a time";
	g_autofree char *want = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
	g_autoptr(GString) got = g_string_new(NULL);
	Reader r = { .text = text };
	Reader endless = { .endless = TRUE };
	Reader failing = { .fail = TRUE };
	guint8 d[32] = { 0 }, zero[32] = { 0 };
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_caller_hash_file(read_fake, &r, 1, d, &error));
	MESH_ASSERT_NO_ERROR(error);
	for (gsize i = 0; i < sizeof d; i++)
		g_string_append_printf(got, "%02x", d[i]);
	CU_ASSERT_STRING_EQUAL(got->str, want);
	memset(d, 0, sizeof d);
	CU_ASSERT_FALSE(mesh_caller_hash_file(read_fake, &failing, 1, d, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_IO);
	/* More than MESH_CALLER_EXE_MAX bytes: refused, not read to the end. */
	CU_ASSERT_FALSE(mesh_caller_hash_file(read_fake, &endless, 1, d, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	CU_ASSERT_EQUAL(memcmp(d, zero, 32), 0);
}

/* ---- Through the transport (linux/caller.c) -------------------------------------------------- */

typedef struct {
	char *dir;
	char *address;
	MeshTransportListener *listener;
} Agent;

static void
agent_start(Agent *agent)
{
	GError *error = NULL;

	agent->dir = mesh_test_tmp_dir("caller");
	agent->address = g_build_filename(agent->dir, "agent.sock", NULL);
	agent->listener = mesh_transport_listen(agent->address, MESH_HIVE_TEST, "socket",
	                                        "MESH_AGENT_SOCK", &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(agent->listener);
}

static void
agent_stop(Agent *agent)
{
	mesh_transport_listener_free(agent->listener);
	mesh_test_remove_tree(agent->dir);
	g_free(agent->address);
	g_free(agent->dir);
}

/* Start @program (caller-child or a copy of it) connecting to @agent in @mode; its pid. */
static GPid
child_start(Agent *agent, const char *program, const char *mode)
{
	const char *argv[] = { program, agent->address, mode, NULL };
	GError *error = NULL;
	GPid pid = 0;

	g_spawn_async(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid,
	              &error);
	MESH_ASSERT_NO_ERROR(error);
	return pid;
}

static MeshTransportConnection *
agent_accept(Agent *agent)
{
	GError *error = NULL;
	MeshTransportConnection *conn =
	        mesh_transport_accept(agent->listener, 10 * 1000, NULL, &error);

	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(conn);
	return conn;
}

/* Wait for @pid to end (reaped); its exit status. */
static int
child_wait(GPid pid)
{
	int status = -1;

	while (waitpid(pid, &status, 0) < 0)
		CU_ASSERT_EQUAL_FATAL(errno, EINTR);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The SHA-256 of the file @path in hex, by GLib's own code (not OpenSSL's, which the agent
 * uses). */
static char *
file_sha256(const char *path)
{
	g_autofree char *bytes = NULL;
	gsize len = 0;

	CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &bytes, &len, NULL));
	return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)bytes, len);
}

static char *
caller_sha256(MeshCaller *c)
{
	guint8 d[32];
	GError *error = NULL;
	GString *hex = g_string_new(NULL);

	CU_ASSERT_TRUE(mesh_caller_digest(c, d, &error));
	MESH_ASSERT_NO_ERROR(error);
	for (gsize i = 0; i < sizeof d; i++)
		g_string_append_printf(hex, "%02x", d[i]);
	return g_string_free(hex, FALSE);
}

/* Start @program connecting in mode "wait", accept it, and ask who it is: the caller, whose pid
 * is the child's (*@ret_pid), on *@ret_conn. */
static MeshCaller *
waiting_child(Agent *agent, const char *program, GPid *ret_pid, MeshTransportConnection **ret_conn)
{
	GPid pid = child_start(agent, program, "wait");
	MeshTransportConnection *conn = agent_accept(agent);
	MeshCaller *c = mesh_transport_peer_caller(conn);

	CU_ASSERT_EQUAL(mesh_caller_pid(c), pid);
	*ret_pid = pid;
	*ret_conn = conn;
	return c;
}

/* Close @conn, which ends the waiting child @pid, and drop @c, which outlived it. */
static void
waiting_child_end(GPid pid, MeshTransportConnection *conn, MeshCaller *c)
{
	mesh_transport_connection_free(conn);
	CU_ASSERT_EQUAL(child_wait(pid), 0);
	mesh_caller_unref(c);
}

/* A child that connects and waits: its pid, its program's real path, and that file's digest. */
static void
test_peer_is_child(void)
{
	g_autofree char *real = realpath(MESH_CALLER_CHILD, NULL);
	g_autofree char *want = file_sha256(real);
	g_autofree char *got = NULL;
	g_autofree char *text = NULL;
	g_autofree char *expect = NULL;
	Agent agent = { 0 };
	MeshTransportConnection *conn;
	MeshCaller *c;
	GPid pid;

	CU_ASSERT_PTR_NOT_NULL_FATAL(real);
	agent_start(&agent);
	c = waiting_child(&agent, MESH_CALLER_CHILD, &pid, &conn);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mesh_caller_program(c));
	CU_ASSERT_STRING_EQUAL(mesh_caller_program(c), real);
	got = caller_sha256(c);
	CU_ASSERT_STRING_EQUAL(got, want);
	text = mesh_caller_describe(c);
	expect = g_strdup_printf("%s (pid %d)", real, (int)pid);
	CU_ASSERT_STRING_EQUAL(text, expect);
	waiting_child_end(pid, conn, c);
	agent_stop(&agent);
}

/*
 * The digest is of the file the process runs, even once its path names another file: a copy of
 * the child runs, its path is replaced after the caller was made, and the digest is still the
 * first file's.
 */
static void
test_digest_of_replaced_program(void)
{
	g_autofree char *bytes = NULL;
	g_autofree char *copy = NULL;
	g_autofree char *other = NULL;
	g_autofree char *want = NULL;
	g_autofree char *got = NULL;
	Agent agent = { 0 };
	MeshTransportConnection *conn;
	MeshCaller *c;
	gsize len = 0;
	GPid pid;

	agent_start(&agent);
	copy = g_build_filename(agent.dir, "child", NULL);
	other = g_build_filename(agent.dir, "other", NULL);
	CU_ASSERT_TRUE_FATAL(g_file_get_contents(MESH_CALLER_CHILD, &bytes, &len, NULL));
	CU_ASSERT_TRUE_FATAL(g_file_set_contents(copy, bytes, (gssize)len, NULL));
	CU_ASSERT_EQUAL_FATAL(g_chmod(copy, 0700), 0);
	want = file_sha256(copy);
	c = waiting_child(&agent, copy, &pid, &conn);
	CU_ASSERT_STRING_EQUAL(mesh_caller_program(c), copy);
	CU_ASSERT_TRUE(g_file_set_contents(other, "#!/bin/sh\nexit 0\n", -1, NULL));
	CU_ASSERT_EQUAL(rename(other, copy), 0);
	got = caller_sha256(c);
	CU_ASSERT_STRING_EQUAL(got, want);
	waiting_child_end(pid, conn, c);
	agent_stop(&agent);
}

/* A child that connected and has exited by the time the agent asks: its pid, program unknown
 * (its pidfd says it is gone, or there is no pidfd to be had for it), no digest. @reap: waited
 * for and gone, else a zombie (exited, not yet waited for). */
static void
check_exited_child(gboolean reap)
{
	Agent agent = { 0 };
	g_autoptr(MeshTransportConnection) conn = NULL;
	g_autoptr(MeshCaller) c = NULL;
	g_autofree char *text = NULL;
	g_autofree char *expect = NULL;
	GError *error = NULL;
	guint8 d[32];
	siginfo_t info = { 0 };
	GPid pid;

	agent_start(&agent);
	pid = child_start(&agent, MESH_CALLER_CHILD, "exit");
	conn = agent_accept(&agent);
	if (reap) {
		CU_ASSERT_EQUAL(child_wait(pid), 0);
	} else {
		CU_ASSERT_EQUAL(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT), 0);
	}
	c = mesh_transport_peer_caller(conn);
	CU_ASSERT_EQUAL(mesh_caller_pid(c), pid);
	CU_ASSERT_PTR_NULL(mesh_caller_program(c));
	CU_ASSERT_FALSE(mesh_caller_digest(c, d, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	text = mesh_caller_describe(c);
	expect = g_strdup_printf("an unknown program (pid %d)", (int)pid);
	CU_ASSERT_STRING_EQUAL(text, expect);
	if (!reap) {
		CU_ASSERT_EQUAL(child_wait(pid), 0);
	}
	agent_stop(&agent);
}

static void
test_peer_exited(void)
{
	check_exited_child(TRUE);
}

static void
test_peer_zombie(void)
{
	check_exited_child(FALSE);
}

/* Write @text to /proc/sys/kernel/ns_last_pid: the next process made gets the pid after it. */
static gboolean
set_last_pid(const char *text)
{
	FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "w");
	gboolean ok;

	if (f == NULL)
		return FALSE;
	ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok;
}

/*
 * The pid of a child that connected and exited is given to another process (root only: through
 * /proc/sys/kernel/ns_last_pid) before the agent asks: /proc/PID/exe now names the successor's
 * program (sleep), but the connecting process is gone, so the program is unknown. This is what
 * the pidfd is for.
 */
static void
test_peer_pid_recycled(void)
{
	Agent agent = { 0 };
	g_autoptr(MeshTransportConnection) conn = NULL;
	g_autoptr(MeshCaller) c = NULL;
	g_autofree char *sleep_path = g_find_program_in_path("sleep");
	GPid pid, successor = 0;

	if (getuid() != 0 || sleep_path == NULL ||
	    !g_file_test("/proc/sys/kernel/ns_last_pid", G_FILE_TEST_EXISTS)) {
		printf("(skipped: needs root and ns_last_pid) ");
		return;
	}
	agent_start(&agent);
	pid = child_start(&agent, MESH_CALLER_CHILD, "exit");
	conn = agent_accept(&agent);
	CU_ASSERT_EQUAL(child_wait(pid), 0);
	/* Another process may take the pid first: try a few times. */
	for (int i = 0; i < 5 && successor != pid; i++) {
		const char *argv[] = { sleep_path, "30", NULL };
		g_autofree char *last = g_strdup_printf("%d", (int)pid - 1);

		if (successor > 0) {
			kill(successor, SIGKILL);
			child_wait(successor);
		}
		if (!set_last_pid(last))
			break;
		g_spawn_async(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
		              &successor, NULL);
	}
	if (successor != pid) {
		printf("(skipped: the pid went to another process) ");
	} else {
		g_autofree char *exe = g_strdup_printf("/proc/%d/exe", (int)pid);
		g_autofree char *now = NULL;

		/* The premise: the pid's exe names the successor's program now. */
		for (int i = 0; i < 100; i++) {
			g_free(now);
			now = g_file_read_link(exe, NULL);
			if (now != NULL && g_str_has_suffix(now, "sleep"))
				break;
			g_usleep(10 * 1000);
		}
		CU_ASSERT_TRUE(now != NULL && g_str_has_suffix(now, "sleep"));
		c = mesh_transport_peer_caller(conn);
		CU_ASSERT_EQUAL(mesh_caller_pid(c), pid);
		CU_ASSERT_PTR_NULL(mesh_caller_program(c));
	}
	if (successor > 0) {
		kill(successor, SIGKILL);
		child_wait(successor);
	}
	agent_stop(&agent);
}

/*
 * Set (@on) or clear CAP_SYS_PTRACE in this process's effective set; FALSE when it cannot be.
 * With it (root, as CI may run), /proc/PID/exe of a non-dumpable process can be read; the agent
 * runs as its user, without it.
 */
static gboolean
set_ptrace_capability(gboolean on)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof data);
	if (syscall(SYS_capget, &header, data) != 0)
		return FALSE;
	if (on)
		data[CAP_TO_INDEX(CAP_SYS_PTRACE)].effective |= CAP_TO_MASK(CAP_SYS_PTRACE);
	else
		data[CAP_TO_INDEX(CAP_SYS_PTRACE)].effective &= ~CAP_TO_MASK(CAP_SYS_PTRACE);
	return syscall(SYS_capset, &header, data) == 0;
}

static gboolean
has_ptrace_capability(void)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof data);
	return syscall(SYS_capget, &header, data) == 0 &&
	       (data[CAP_TO_INDEX(CAP_SYS_PTRACE)].effective & CAP_TO_MASK(CAP_SYS_PTRACE)) != 0;
}

/* A child that made itself non-dumpable before connecting: its pid, program unknown. */
static void
test_peer_not_dumpable(void)
{
	g_autofree char *real = realpath(MESH_CALLER_CHILD, NULL);
	gboolean privileged = has_ptrace_capability();
	Agent agent = { 0 };
	MeshTransportConnection *conn;
	MeshCaller *c;
	GPid pid;

	agent_start(&agent);
	pid = child_start(&agent, MESH_CALLER_CHILD, "nodump");
	conn = agent_accept(&agent);
	if (privileged) {
		/* The test's premise: with CAP_SYS_PTRACE the same child is seen. */
		c = mesh_transport_peer_caller(conn);
		CU_ASSERT_STRING_EQUAL(mesh_caller_program(c), real);
		mesh_caller_unref(c);
		CU_ASSERT_TRUE_FATAL(set_ptrace_capability(FALSE));
	}
	c = mesh_transport_peer_caller(conn);
	if (privileged) {
		CU_ASSERT_TRUE_FATAL(set_ptrace_capability(TRUE));
	}
	CU_ASSERT_EQUAL(mesh_caller_pid(c), pid);
	CU_ASSERT_PTR_NULL(mesh_caller_program(c));
	waiting_child_end(pid, conn, c);
	agent_stop(&agent);
}

int
main(void)
{
	CU_TestInfo tests[] = {
		{ "new and describe", test_new_and_describe },
		{ "program checked and escaped", test_program_checked_and_escaped },
		{ "digest computed once and kept", test_digest_kept },
		{ "digest once across threads", test_digest_once_across_threads },
		{ "digest refused", test_digest_refused },
		{ "hash a file for a hook", test_hash_file },
		{ "peer: the child, its program and digest", test_peer_is_child },
		{ "peer: digest of a program replaced since", test_digest_of_replaced_program },
		{ "peer: exited and waited for", test_peer_exited },
		{ "peer: exited, a zombie", test_peer_zombie },
		{ "peer: exited, its pid another's", test_peer_pid_recycled },
		{ "peer: not dumpable", test_peer_not_dumpable },
		CU_TEST_INFO_NULL,
	};

	return mesh_test_main("caller", tests);
}
