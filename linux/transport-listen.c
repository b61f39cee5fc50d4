/* SPDX-License-Identifier: MIT */
/* The listening side of core/transport.h: Unix stream sockets, systemd socket activation. */
/* accept4() */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "error.h"
#include "lockfile.h"
#include "platform.h"
#include "platform-private.h"
#include "transport-private.h"

/* The names of the sockets in LISTEN_FDNAMES (systemd's FileDescriptorName=), and the file name
 * that marks the ssh-agent socket when they are not named so. */
#define FDNAME_AGENT    "agent"
#define FDNAME_SSH      "ssh-agent"
#define SSH_SOCKET_NAME "ssh-agent.sock"
/* systemd's first passed descriptor (sd_listen_fds(3)). */
#define LISTEN_FDS_START 3
#define LISTEN_BACKLOG   128

struct MeshTransportListener {
	int fd;
	char *address;
	gboolean bound;          /* we made the socket file, so we remove it */
	MeshTransportLock *lock; /* ADDRESS.lock */
};

/* ---- Socket activation -------------------------------------------------------------------- */

/* The path a listening Unix stream socket @fd is bound to. Errors: MESH_ERROR_INVALID_ARGUMENT
 * when @fd is not a listening Unix stream socket with a path. */
static gboolean
fd_path(int fd, char **ret_path, GError **error)
{
	struct sockaddr_un addr = {0};
	socklen_t len = sizeof addr, type_len = sizeof(int), listening_len = sizeof(int);
	int type = 0, listening = 0;

	if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0 || addr.sun_family != AF_UNIX ||
	    len <= offsetof(struct sockaddr_un, sun_path) || addr.sun_path[0] == '\0' ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0 || type != SOCK_STREAM ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &listening_len) != 0 ||
	    !listening) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "descriptor %d is not a listening Unix stream socket with a path: "
		            "configure the socket unit with ListenStream=PATH",
		            fd);
		return FALSE;
	}
	*ret_path = g_strndup(addr.sun_path, sizeof addr.sun_path);
	return TRUE;
}

/* Which of the agent's sockets @path is: by its LISTEN_FDNAMES @name when that is one of ours,
 * else by its path (the ssh-agent socket is the one named SSH_SOCKET_NAME). */
static gboolean
passed_is_ssh(const char *path, const char *name)
{
	g_autofree char *base = NULL;

	if (name != NULL && (g_str_equal(name, FDNAME_AGENT) || g_str_equal(name, FDNAME_SSH)))
		return g_str_equal(name, FDNAME_SSH);
	base = g_path_get_basename(path);
	return g_str_equal(base, SSH_SOCKET_NAME);
}

static MeshTransportListener *
listener_new(int fd, char *address)
{
	MeshTransportListener *listener = g_new0(MeshTransportListener, 1);

	listener->fd = fd;
	listener->address = address;
	/* Accepting after poll() must not block when the client has gone meanwhile. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return listener;
}

gboolean
mesh_transport_activation(MeshTransportListener **ret_agent, MeshTransportListener **ret_ssh,
                          GError **error)
{
	const char *pid = g_getenv("LISTEN_PID");
	const char *fds = g_getenv("LISTEN_FDS");
	const char *fdnames = g_getenv("LISTEN_FDNAMES");
	g_auto(GStrv) names = g_strsplit(fdnames != NULL ? fdnames : "", ":", -1);
	MeshTransportListener *found[2] = {NULL, NULL}; /* agent, ssh-agent */
	guint64 n = 0;
	gboolean ok = FALSE;

	if (pid != NULL && fds != NULL && g_ascii_strtoull(pid, NULL, 10) == (guint64)getpid())
		n = g_ascii_strtoull(fds, NULL, 10);
	g_unsetenv("LISTEN_PID");
	g_unsetenv("LISTEN_FDS");
	g_unsetenv("LISTEN_FDNAMES");
	if (n > 2) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "socket activation passed %" G_GUINT64_FORMAT " sockets: give the "
		            "agent at most two (ListenStream= agent.sock and ssh-agent.sock)",
		            n);
		return FALSE;
	}
	for (int i = 0; i < (int)n; i++) {
		int fd = LISTEN_FDS_START + i;
		char *path = NULL;
		gboolean ssh;

		/* systemd leaves close-on-exec off; nothing we start should inherit a socket. */
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		if (!fd_path(fd, &path, error))
			goto out;
		ssh = passed_is_ssh(path, i < (int)g_strv_length(names) ? names[i] : NULL);
		if (found[ssh] != NULL) {
			g_free(path);
			g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			            "socket activation passed two %s sockets: name them %s and %s "
			            "(FileDescriptorName=), or call the ssh-agent one %s",
			            ssh ? "ssh-agent" : "agent", FDNAME_AGENT, FDNAME_SSH,
			            SSH_SOCKET_NAME);
			goto out;
		}
		found[ssh] = listener_new(fd, path);
	}
	if (n > 0 && found[0] == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "socket activation passed the ssh-agent socket only: pass the agent's "
		            "socket too (ListenStream=.../agent.sock)");
		goto out;
	}
	*ret_agent = g_steal_pointer(&found[0]);
	*ret_ssh = g_steal_pointer(&found[1]);
	ok = TRUE;
out:
	mesh_transport_listener_free(found[0]);
	mesh_transport_listener_free(found[1]);
	return ok;
}

/* ---- Listening --------------------------------------------------------------------------------
 */

static gboolean
lock_address(MeshTransportListener *listener, MeshHiveKind kind, GError **error)
{
	g_autofree char *path = g_strconcat(listener->address, ".lock", NULL);

	listener->lock = mesh_lockfile_take(path, listener->address, kind, TRUE, error);
	return listener->lock != NULL;
}

gboolean
mesh_transport_listener_lock(MeshTransportListener *listener, MeshHiveKind kind, GError **error)
{
	g_autoptr(GError) local = NULL;

	/* The socket belongs to whoever passed it; the lock still keeps a second agent from
	 * taking its path over, where the folder lets us make one. */
	if (lock_address(listener, kind, &local) ||
	    g_error_matches(local, MESH_ERROR, MESH_ERROR_IO))
		return TRUE;
	g_propagate_error(error, g_steal_pointer(&local));
	return FALSE;
}

/* With the socket's lock held, whatever socket is at @path belongs to a dead agent: remove it.
 * Errors: MESH_ERROR_INVALID_ARGUMENT (not a socket), MESH_ERROR_IO. */
static gboolean
remove_stale(const char *path, GError **error)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return TRUE;
	if (!S_ISSOCK(st.st_mode)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "%s exists and is not a socket: move it away or choose another socket "
		            "path",
		            path);
		return FALSE;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
		            "cannot remove the stale socket %s: %s", path, g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

MeshTransportListener *
mesh_transport_listen(const char *address, MeshHiveKind kind, const char *name, const char *setting,
                      GError **error)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	g_autofree char *dir = g_path_get_dirname(address);
	g_autoptr(MeshTransportListener) listener = NULL;
	int fd;

	if (strlen(address) >= sizeof addr.sun_path) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "the %s path %s is too long for a Unix socket (at most %zu bytes): "
		            "choose a shorter one with %s",
		            name, address, sizeof addr.sun_path - 1, setting);
		return NULL;
	}
	memcpy(addr.sun_path, address, strlen(address) + 1);
	if (!mesh_platform_private_dir(dir, TRUE, error))
		return NULL;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot listen on %s: %s", address,
		            g_strerror(errno));
		return NULL;
	}
	listener = listener_new(fd, g_strdup(address));
	if (!lock_address(listener, kind, error) || !remove_stale(address, error))
		return NULL;
	if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot listen on %s: %s", address,
		            g_strerror(errno));
		return NULL;
	}
	listener->bound = TRUE;
	/* bind() applies the umask; make the mode exact (the folder is 0700 anyway). */
	if (chmod(address, 0600) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot make %s private: %s", address,
		            g_strerror(errno));
		return NULL;
	}
	if (listen(fd, LISTEN_BACKLOG) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot listen on %s: %s", address,
		            g_strerror(errno));
		return NULL;
	}
	return g_steal_pointer(&listener);
}

const char *
mesh_transport_listener_address(const MeshTransportListener *listener)
{
	return listener->address;
}

/* poll() @fd for @events and @cancel's descriptor (when not NULL): the events @fd got, or 0 on a
 * timeout, a cancellation or an error. */
static short
wait_for(int fd, short events, gint timeout_ms, GCancellable *cancel)
{
	struct pollfd p[2] = {{fd, events, 0}, {-1, POLLIN, 0}};
	GPollFD cancel_fd = {-1, 0, 0};
	int n;

	if (cancel != NULL && g_cancellable_make_pollfd(cancel, &cancel_fd))
		p[1].fd = cancel_fd.fd;
	do
		n = poll(p, p[1].fd >= 0 ? 2 : 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (p[1].fd >= 0)
		g_cancellable_release_fd(cancel);
	return n > 0 ? p[0].revents : 0;
}

MeshTransportConnection *
mesh_transport_accept(MeshTransportListener *listener, gint timeout_ms, GCancellable *cancel,
                      GError **error)
{
	int fd;

	if ((wait_for(listener->fd, POLLIN, timeout_ms, cancel) & POLLIN) == 0 ||
	    g_cancellable_is_cancelled(cancel))
		return NULL;
	fd = accept4(listener->fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
		    errno == ECONNABORTED)
			return NULL;
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot accept on %s: %s",
		            listener->address, g_strerror(errno));
		return NULL;
	}
	return transport_connection_new(fd);
}

void
mesh_transport_listener_free(MeshTransportListener *listener)
{
	if (listener == NULL)
		return;
	close(listener->fd);
	if (listener->bound)
		unlink(listener->address);
	mesh_transport_lock_free(listener->lock);
	g_free(listener->address);
	g_free(listener);
}

/* ---- Connections ---------------------------------------------------------------------------- */

gboolean
mesh_transport_peer_is_user(MeshTransportConnection *conn, GError **error)
{
	guint64 uid = G_MAXUINT64;

	if (!mesh_platform_peer_uid(conn->fd, &uid, error))
		return FALSE;
	if (uid != mesh_platform_uid()) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
		            "the process at the other end of the connection runs as uid "
		            "%" G_GUINT64_FORMAT ", not as this user",
		            uid);
		return FALSE;
	}
	return TRUE;
}

gssize
mesh_transport_connection_read(MeshTransportConnection *conn, guint8 *buf, gsize len)
{
	ssize_t n;

	do
		n = read(conn->fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

gboolean
mesh_transport_connection_write(MeshTransportConnection *conn, const guint8 *data, gsize len)
{
	int err = 0;

	return transport_send_all(conn->fd, data, len, &err);
}

gboolean
mesh_transport_connection_hung_up(MeshTransportConnection *conn, gint timeout_ms,
                                  GCancellable *cancel)
{
	/* POLLHUP: closed, not merely done writing (that is POLLRDHUP). */
	return (wait_for(conn->fd, 0, timeout_ms, cancel) & (POLLHUP | POLLERR | POLLNVAL)) != 0;
}

void
mesh_transport_connection_stop_reading(MeshTransportConnection *conn)
{
	shutdown(conn->fd, SHUT_RD);
}

void
mesh_transport_connection_shutdown(MeshTransportConnection *conn)
{
	shutdown(conn->fd, SHUT_RDWR);
}
