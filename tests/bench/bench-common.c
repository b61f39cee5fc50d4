/* SPDX-License-Identifier: MIT */
#include "bench-common.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* The agent this run started (0: none), stopped by pid when the run fails. */
static GPid agent_pid;

double
bench_now(void)
{
	return (double)g_get_monotonic_time() / 1e6;
}

void
bench_die(const char *prog, const char *what, MeshClient *client, int code)
{
	if (client != NULL)
		fprintf(stderr, "%s: %s: %s (%d)\n", prog, what, mesh_client_last_error(client),
			code);
	else if (code != 0)
		fprintf(stderr, "%s: %s (%d)\n", prog, what, code);
	else
		fprintf(stderr, "%s: %s\n", prog, what);
	if (agent_pid != 0)
		kill(agent_pid, SIGTERM);
	exit(1);
}

void
bench_start_agent(const char *prog, const char *agent, const char *dir, const char *sock)
{
	g_autofree char *home = g_build_filename(dir, "mmm", NULL);
	char *argv[] = { (char *)agent, (char *)"--foreground", (char *)"--hive", (char *)"test",
			 (char *)"--socket", (char *)sock, NULL };
	g_autoptr(GError) error = NULL;

	g_setenv("MMM_HOME", home, TRUE);
	if (!g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
			   NULL, NULL, &agent_pid, &error)) {
		fprintf(stderr, "%s: cannot start %s: %s\n", prog, agent, error->message);
		exit(1);
	}
	for (int i = 0; i < 250 && !g_file_test(sock, G_FILE_TEST_EXISTS); i++)
		g_usleep(20000);
}

void
bench_stop_agent(MeshClient *client, const char *dir)
{
	if (agent_pid != 0) {
		mesh_client_shutdown(client);
		waitpid(agent_pid, NULL, 0);
		agent_pid = 0;
	}
	if (dir != NULL) {
		char *rm_argv[] = { (char *)"rm", (char *)"-rf", (char *)dir, NULL };

		g_spawn_sync(NULL, rm_argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
			     NULL);
	}
}

void
bench_put_u32(guint8 *p, guint32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

guint32
bench_get_u32(const guint8 *p)
{
	return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

gboolean
bench_transfer(int fd, guint8 *buf, gsize len, gboolean out)
{
	for (gsize done = 0; done < len;) {
		ssize_t n =
		        out ? write(fd, buf + done, len - done) : read(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		done += (gsize)n;
	}
	return TRUE;
}

double
bench_socket_floor(const char *prog, long rounds)
{
	guint8 buf[100] = { 0 };
	int sv[2];
	pid_t pid;
	double t0, t;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		bench_die(prog, "socketpair", NULL, 0);
	pid = fork();
	if (pid < 0)
		bench_die(prog, "fork", NULL, 0);
	if (pid == 0) {
		close(sv[0]);
		while (bench_transfer(sv[1], buf, sizeof buf, FALSE) &&
		       bench_transfer(sv[1], buf, sizeof buf, TRUE))
			;
		_exit(0);
	}
	close(sv[1]);
	t0 = bench_now();
	for (long r = 0; r < rounds; r++) {
		if (!bench_transfer(sv[0], buf, sizeof buf, TRUE) ||
		    !bench_transfer(sv[0], buf, sizeof buf, FALSE))
			bench_die(prog, "socketpair round trip", NULL, 0);
	}
	t = bench_now() - t0;
	close(sv[0]);
	waitpid(pid, NULL, 0);
	return rounds / t;
}

