/* SPDX-License-Identifier: MIT */
/* core/platform.h on Linux: daemonising, signals, resource limits, the program's folder. */
/* pipe2() */
#define _GNU_SOURCE
#include "platform.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "daemon-report.h"
#include "error.h"

/* The write end of the pipe to the waiting parent, while a daemon starts (-1 otherwise). */
static int ready_fd = -1;

gboolean
mesh_platform_daemon_waiting(void)
{
	return ready_fd >= 0;
}

void
mesh_platform_daemon_failed(int code, const char *message)
{
	guint8 status = (guint8)code;
	gboolean ok;

	if (ready_fd < 0)
		return;
	ok = write(ready_fd, &status, 1) == 1 &&
	     write(ready_fd, message, strlen(message)) == (ssize_t)strlen(message);
	(void)ok; /* the parent reports a child that died without a word */
	close(ready_fd);
	ready_fd = -1;
}

/*
 * The parent waits on a pipe until the child listens (a zero byte) or reports why it could not
 * (a MeshError code and a message), then exits with that status.
 */
void
mesh_platform_daemonise(const char *prog)
{
	int fds[2];
	pid_t pid;
	MeshDaemonReport report;
	char buf[512];
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) != 0 || (pid = fork()) < 0) {
		g_printerr("%s: cannot start in the background: %s; try --foreground\n", prog,
		           g_strerror(errno));
		_exit(MESH_ERROR_FAILED);
	}
	if (pid == 0) {
		close(fds[0]);
		ready_fd = fds[1];
		if (setsid() < 0 || chdir("/") != 0) {
			mesh_platform_daemon_failed(MESH_ERROR_FAILED,
			                            "cannot detach from the terminal");
			_exit(MESH_ERROR_FAILED);
		}
		return;
	}
	close(fds[1]);
	mesh_daemon_report_init(&report);
	while ((n = read(fds[0], buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		mesh_daemon_report_feed(&report, buf, (gsize)n);
	}
	/* The daemon owns everything else now: nothing here to clean up. */
	_exit(mesh_daemon_report_finish(&report, prog));
}

void
mesh_platform_daemon_started(void)
{
	guint8 ok = 0;
	int null;

	if (ready_fd < 0)
		return;
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (write(ready_fd, &ok, 1) != 1) {
		/* The parent is gone: nobody waits, the daemon serves anyway. */
	}
	close(ready_fd);
	ready_fd = -1;
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		close(null);
	}
}

void
mesh_platform_on_terminate(GSourceFunc func, gpointer data)
{
	g_unix_signal_add(SIGTERM, func, data);
	g_unix_signal_add(SIGINT, func, data);
}

void
mesh_platform_ignore_broken_pipe(void)
{
	signal(SIGPIPE, SIG_IGN);
}

void
mesh_platform_no_core_dumps(void)
{
	const struct rlimit no_core = {0, 0};

	setrlimit(RLIMIT_CORE, &no_core);
}

guint64
mesh_platform_descriptor_limit(void)
{
	struct rlimit limit;

	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
		return limit.rlim_cur;
	return G_MAXUINT64;
}

char *
mesh_platform_program_dir(void)
{
	g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);

	return exe != NULL ? g_path_get_dirname(exe) : NULL;
}

static volatile sig_atomic_t interrupted;

static void
on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

void
mesh_platform_catch_interrupt(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: a blocked read returns EINTR */
	sigaction(SIGINT, &sa, NULL);
}

gboolean
mesh_platform_interrupted(void)
{
	return interrupted != 0;
}
