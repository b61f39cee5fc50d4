/* SPDX-License-Identifier: MIT */
#include "bench-common.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

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
