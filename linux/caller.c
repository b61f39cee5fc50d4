/* SPDX-License-Identifier: MIT */
/*
 * Who is calling (core/transport.h, mesh_transport_peer_caller) on Linux: the SO_PEERCRED pid,
 * the process pinned by a pidfd while /proc/PID/exe is read, and the digest of the file it runs.
 * Elsewhere (macOS until macos/ exists) the caller is unknown.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.h"
#include "transport-private.h"

#ifdef __linux__

/* Linux 6.5's; older headers lack it, and an older kernel answers ENOPROTOOPT. */
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

/* The OS part of a MeshCaller. */
typedef struct {
	gint64 pid;
	int pidfd; /* -1: the process could not be pinned (no pidfd on this kernel) */
	dev_t dev; /* the executable's file when the caller was made: an exec since changes it */
	ino_t ino;
} Caller;

static void
caller_free(gpointer data)
{
	Caller *caller = data;

	if (caller->pidfd >= 0)
		close(caller->pidfd);
	g_free(caller);
}

/* The pid of the process that connected @fd, 0 when it cannot be told. */
static gint64
peer_pid(int fd)
{
	struct ucred cred = { 0 };
	socklen_t len = sizeof cred;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred)
		return 0;
	return cred.pid > 0 ? cred.pid : 0;
}

/*
 * A pidfd for the process @pid that connected @fd into *@ret_pidfd (-1: none can be had on this
 * kernel, the process goes unpinned). FALSE when the process is gone. SO_PEERPIDFD names the
 * very process that connected; pidfd_open(pid), for kernels before 6.5, names whoever has the
 * pid now, so it is asked only when the socket option does not exist: when it exists and fails,
 * the connecting process has gone and its pid may be another's already.
 */
static gboolean
peer_pidfd(int fd, gint64 pid, int *ret_pidfd)
{
	int pidfd = -1;
	socklen_t len = sizeof pidfd;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0) {
		if (len != sizeof pidfd || pidfd < 0)
			return FALSE;
		*ret_pidfd = pidfd;
		return TRUE;
	}
	if (errno != ENOPROTOOPT)
		return FALSE;
#ifdef SYS_pidfd_open
	pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (pidfd >= 0) {
		*ret_pidfd = pidfd;
		return TRUE;
	}
	if (errno != ENOSYS)
		return FALSE;
#else
	(void)pid;
#endif
	*ret_pidfd = -1;
	return TRUE;
}

/* Whether the process of @pidfd has not exited (a pidfd polls readable once it has: a zombie
 * too, which pidfd_send_signal would still reach). An unpinned process (-1) is taken as it is. */
static gboolean
still_running(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	int n;

	if (pidfd < 0)
		return TRUE;
	do
		n = poll(&p, 1, 0);
	while (n < 0 && errno == EINTR);
	return n == 0;
}

/* /proc/PID/exe's target as the kernel gives it (a replaced or removed file ends in
 * " (deleted)", and is still the program), or NULL when it cannot be read whole. */
static char *
read_exe_link(const char *link)
{
	g_autofree char *target = g_malloc(PATH_MAX);
	ssize_t n = readlink(link, target, PATH_MAX);

	if (n <= 0 || n >= PATH_MAX)
		return NULL;
	target[n] = '\0';
	return g_steal_pointer(&target);
}

/* The digest's reader: read(2) on the descriptor @file points to. */
static gboolean
read_fd(gpointer file, guint8 *buf, gsize len, gsize *ret_n, GError **error)
{
	ssize_t n;

	do
		n = read(*(int *)file, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot read the calling program: %s",
		            g_strerror(errno));
		return FALSE;
	}
	*ret_n = (gsize)n;
	return TRUE;
}

/* The digest hook: the file the process runs, opened through /proc/PID/exe (the file it runs
 * even when its path was replaced since), hashed, and the process then checked to be running
 * still, so that the bytes were its executable and not a successor's at a recycled pid. */
static gboolean
exe_digest(gpointer os, guint8 ret[32], GError **error)
{
	Caller *caller = os;
	g_autofree char *link = g_strdup_printf("/proc/%" G_GINT64_FORMAT "/exe", caller->pid);
	guint8 digest[32];
	gboolean ok = FALSE;
	struct stat st;
	int fd;

	fd = open(link, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
		            "cannot open the program of pid %" G_GINT64_FORMAT ": %s", caller->pid,
		            g_strerror(errno));
		return FALSE;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_dev != caller->dev ||
	    st.st_ino != caller->ino) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
		            "pid %" G_GINT64_FORMAT " runs another program than when it connected",
		            caller->pid);
		goto out;
	}
	if (st.st_size > MESH_CALLER_EXE_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
		            "the program of pid %" G_GINT64_FORMAT " is larger than 1 GiB",
		            caller->pid);
		goto out;
	}
	if (!mesh_caller_hash_file(read_fd, &fd, caller->pid, digest, error))
		goto out;
	if (!still_running(caller->pidfd)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
		            "pid %" G_GINT64_FORMAT " has exited", caller->pid);
		goto out;
	}
	memcpy(ret, digest, sizeof digest);
	ok = TRUE;
out:
	close(fd);
	return ok;
}

MeshCaller *
mesh_transport_peer_caller(MeshTransportConnection *conn)
{
	gint64 pid = peer_pid(conn->fd);
	g_autofree char *link = NULL;
	g_autofree char *program = NULL;
	Caller *caller;
	struct stat before, after;
	int pidfd = -1;

	if (pid == 0)
		return mesh_caller_new(0, NULL, NULL, NULL, NULL);
	if (!peer_pidfd(conn->fd, pid, &pidfd))
		return mesh_caller_new(pid, NULL, NULL, NULL, NULL);
	caller = g_new0(Caller, 1);
	caller->pid = pid;
	caller->pidfd = pidfd;
	/*
	 * The file is looked at on both sides of reading its path, so that an exec in between
	 * cannot pair one program's path with another's file. A process that made itself
	 * non-dumpable keeps /proc/PID/exe from processes without CAP_SYS_PTRACE: unknown.
	 */
	link = g_strdup_printf("/proc/%" G_GINT64_FORMAT "/exe", pid);
	if (stat(link, &before) != 0)
		goto unknown;
	program = read_exe_link(link);
	if (program == NULL || stat(link, &after) != 0 || before.st_dev != after.st_dev ||
	    before.st_ino != after.st_ino)
		goto unknown;
	/* Read while pinned; if the process has exited since, the pid may be another's now, and
	 * what was read may be the successor's. */
	if (!still_running(pidfd) || !g_utf8_validate(program, -1, NULL) ||
	    !g_path_is_absolute(program))
		goto unknown;
	caller->dev = after.st_dev;
	caller->ino = after.st_ino;
	return mesh_caller_new(pid, program, exe_digest, caller, caller_free);
unknown:
	caller_free(caller);
	return mesh_caller_new(pid, NULL, NULL, NULL, NULL);
}

#else /* !__linux__ */

MeshCaller *
mesh_transport_peer_caller(MeshTransportConnection *conn)
{
	/* macos/ will have LOCAL_PEERPID and proc_pidpath (docs/design.md). */
	(void)conn;
	return mesh_caller_new(0, NULL, NULL, NULL, NULL);
}

#endif
