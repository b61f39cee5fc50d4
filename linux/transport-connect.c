/* SPDX-License-Identifier: MIT */
/*
 * The connecting side of core/transport.h on Linux (and macOS): an AF_UNIX stream socket with
 * send and receive timeouts (SO_SNDTIMEO, SO_RCVTIMEO), its owner and its peer checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "error.h"
#include "platform.h"
#include "platform-private.h"
#include "transport-private.h"

gint64
mesh_transport_agent_pid(const char *address)
{
	g_autofree char *lock = g_strconcat(address, ".lock", NULL);
	char text[32] = {0};
	struct stat st;
	char *end = NULL;
	gint64 pid = 0;
	ssize_t n = -1;
	int fd = open(lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (guint64)st.st_uid == mesh_platform_uid())
		n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n > 0)
		pid = g_ascii_strtoll(text, &end, 10);
	return pid > 0 && pid <= G_MAXINT32 && end != NULL && *end == ' ' ? pid : 0;
}

static void
set_timeout(int fd, int option, gint64 seconds)
{
	struct timeval timeout = {.tv_sec = seconds};

	setsockopt(fd, SOL_SOCKET, option, &timeout, sizeof timeout);
}

/*
 * Check that @path is a socket of this user (as WireGuard's tools check who owns the pipe: a
 * socket someone else made is not our agent, however it answers), connect, then check the
 * peer's uid too.
 */
MeshTransportConnection *
mesh_transport_connect(const char *path, GError **error)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	gint64 deadline =
	        g_get_monotonic_time() + MESH_TRANSPORT_IO_TIMEOUT_SECONDS * G_USEC_PER_SEC;
	struct stat st;
	guint64 peer = 0;
	int fd = -1, err = 0;

	if (strlen(path) >= sizeof addr.sun_path) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "the agent socket path '%s' is longer than %zu bytes; use a shorter "
		            "XDG_RUNTIME_DIR or MESH_AGENT_SOCK",
		            path, sizeof addr.sun_path - 1);
		return NULL;
	}
	if (lstat(path, &st) != 0) {
		g_set_error(error, MESH_ERROR,
		            errno == ENOENT || errno == ENOTDIR ? MESH_ERROR_AGENT_UNAVAILABLE
		                                                : MESH_ERROR_IO,
		            "no agent at %s (%s): start it with 'mesh agent start'", path,
		            g_strerror(errno));
		return NULL;
	}
	if (!S_ISSOCK(st.st_mode) || (guint64)st.st_uid != mesh_platform_uid()) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
		            "%s is not a socket of this user (%s, owner uid %u): refusing to talk "
		            "to it; remove it and start the agent again",
		            path, S_ISSOCK(st.st_mode) ? "socket" : "not a socket",
		            (unsigned)st.st_uid);
		return NULL;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "socket: %s", g_strerror(errno));
		return NULL;
	}
	/* A blocking connect() to a Unix socket whose listen backlog is full waits for room, for
	 * as long as the send timeout allows (then EAGAIN): an agent that never accepts must not
	 * hold its clients for ever. */
	set_timeout(fd, SO_SNDTIMEO, MESH_TRANSPORT_IO_TIMEOUT_SECONDS);
	while (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
		err = errno;
		if (err != EINTR || g_get_monotonic_time() >= deadline)
			break;
		err = 0;
	}
	if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR) {
		close(fd);
		g_set_error(error, MESH_ERROR, MESH_ERROR_TIMEOUT,
		            "the agent at %s took no connection in %d s", path,
		            MESH_TRANSPORT_IO_TIMEOUT_SECONDS);
		return NULL;
	}
	if (err != 0) {
		close(fd);
		g_set_error(error, MESH_ERROR,
		            err == ECONNREFUSED || err == ENOENT ? MESH_ERROR_AGENT_UNAVAILABLE
		            : err == EACCES                      ? MESH_ERROR_PERMISSION
		                                                 : MESH_ERROR_IO,
		            "cannot connect to the agent at %s: %s", path, g_strerror(err));
		return NULL;
	}
	if (!mesh_platform_peer_uid(fd, &peer, error)) {
		close(fd);
		return NULL;
	}
	if (peer != mesh_platform_uid()) {
		close(fd);
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
		            "the process listening on %s runs as uid %" G_GUINT64_FORMAT
		            ", not as this user: refusing to talk to it",
		            path, peer);
		return NULL;
	}
	/* A stuck agent must not hang its clients: the caller decides how long a wait goes on. */
	set_timeout(fd, SO_RCVTIMEO, MESH_TRANSPORT_IO_TIMEOUT_SECONDS);
	return transport_connection_new(fd);
}

/* A failed send or receive (@err: an errno, 0 at the end of the stream) as a MeshError. */
static gboolean
io_error(int err, GError **error)
{
	if (err == EAGAIN || err == EWOULDBLOCK)
		g_set_error(error, MESH_ERROR, MESH_ERROR_TIMEOUT, "%s", g_strerror(ETIMEDOUT));
	else if (err == 0 || err == EPIPE || err == ECONNRESET)
		g_set_error(error, MESH_ERROR, MESH_ERROR_AGENT_UNAVAILABLE, "%s",
		            err == 0 ? "end of stream" : g_strerror(err));
	else
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "%s", g_strerror(err));
	return FALSE;
}

gboolean
mesh_transport_send(MeshTransportConnection *conn, const guint8 *data, gsize len, GError **error)
{
	int err = 0;

	return transport_send_all(conn->fd, data, len, &err) || io_error(err, error);
}

gboolean
mesh_transport_receive(MeshTransportConnection *conn, guint8 *data, gsize len,
                       MeshTransportWaitFunc keep_waiting, gpointer user_data, GError **error)
{
	while (len > 0) {
		ssize_t n = recv(conn->fd, data, len, 0);
		int err = n < 0 ? errno : 0;

		if (err == EINTR)
			continue;
		if ((err == EAGAIN || err == EWOULDBLOCK) && keep_waiting != NULL &&
		    keep_waiting(user_data))
			continue;
		if (n <= 0)
			return io_error(err, error);
		data += n;
		len -= (gsize)n;
	}
	return TRUE;
}
