/* SPDX-License-Identifier: MIT */
/* accept4(), pipe2() */
#define _GNU_SOURCE
#include "ssh-server.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "error.h"
#include "platform.h"
#include "server.h"

struct MeshSshServer {
	MeshSshAgent *agent;
	char *path;
	char *lock_path;
	int lock_fd;
	int listen_fd;
	gboolean passed; /* listen_fd came by socket activation: not ours to unlink */
	int wake[2]; /* a byte on wake[1] makes the accept thread look again */
	GThread *acceptor;
	GMutex lock; /* guards the members below */
	GCond idle;
	GHashTable *connections; /* GINT_TO_POINTER(fd) of live connections */
	gboolean stopping;
};

typedef struct {
	MeshSshServer *server;
	int fd;
} Connection;

static void
wake(MeshSshServer *server)
{
	const char byte = 0;
	ssize_t n = write(server->wake[1], &byte, 1);

	(void)n; /* the pipe is non-blocking: a full pipe wakes the thread as well */
}

/*
 * A connection's input: bytes read ahead of the message being handled, so that a request
 * usually costs one read(). The buffer starts small and grows to the largest message seen (at
 * most the limit plus its length).
 */
#define READ_START (16 * 1024)

typedef struct {
	int fd;
	guint8 *buf; /* may hold a private key (ADD_IDENTITY): wiped as used and when replaced */
	gsize cap;
	gsize start, end; /* unread bytes: buf[start..end) */
} Input;

static void
input_grow(Input *in, gsize want)
{
	guint8 *bigger = g_malloc(want);

	memcpy(bigger, in->buf + in->start, in->end - in->start);
	OPENSSL_cleanse(in->buf, in->cap);
	g_free(in->buf);
	in->buf = bigger;
	in->cap = want;
	in->end -= in->start;
	in->start = 0;
}

/* Make @want bytes available at in->buf + in->start; FALSE on end of file, error or shutdown. */
static gboolean
fill(Input *in, gsize want)
{
	if (in->end - in->start >= want)
		return TRUE;
	if (want > in->cap)
		input_grow(in, want);
	if (in->start > 0) {
		gsize have = in->end - in->start;

		memmove(in->buf, in->buf + in->start, have);
		OPENSSL_cleanse(in->buf + have, in->end - have);
		in->start = 0;
		in->end = have;
	}
	while (in->end < want) {
		ssize_t n = read(in->fd, in->buf + in->end, in->cap - in->end);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		in->end += (gsize)n;
	}
	return TRUE;
}

static gboolean
write_full(int fd, const guint8 *buf, gsize len)
{
	gsize done = 0;

	while (done < len) {
		ssize_t n = send(fd, buf + done, len - done, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		done += (gsize)n;
	}
	return TRUE;
}

/* Whether the client is still connected: a request waiting at the passphrase gate gives up
 * when it has hung up (POLLHUP: closed, not merely done writing). */
static gboolean
client_present(gpointer data)
{
	struct pollfd p = { GPOINTER_TO_INT(data), 0, 0 };

	return poll(&p, 1, 0) == 0 || (p.revents & (POLLHUP | POLLERR | POLLNVAL)) == 0;
}

/* One client, until it closes or breaks the framing. Each answer goes out in one write. */
static gpointer
serve(gpointer data)
{
	Connection *conn = data;
	MeshSshServer *server = conn->server;
	Input in = { conn->fd, g_malloc(READ_START), READ_START, 0, 0 };
	GByteArray *out = g_byte_array_new();

	for (;;) {
		const guint8 *head;
		guint8 *msg;
		guint32 len;
		g_autoptr(GBytes) answer = NULL;
		gsize answer_len = 0;
		const guint8 *body;
		guint8 out_head[4];

		if (!fill(&in, 4))
			break;
		head = in.buf + in.start;
		len = (guint32)head[0] << 24 | (guint32)head[1] << 16 | (guint32)head[2] << 8 |
		      head[3];
		if (len == 0 || len > MESH_SSH_AGENT_MESSAGE_MAX) {
			g_debug("ssh-agent: a message of %u bytes: connection closed", len);
			break;
		}
		if (!fill(&in, 4 + (gsize)len))
			break;
		msg = in.buf + in.start + 4;
		answer = mesh_ssh_agent_handle_from(server->agent, msg, len, client_present,
						    GINT_TO_POINTER(conn->fd));
		/* A key with a lifetime: the acceptor's timer must learn of it. */
		if (msg[0] == MESH_SSH_AGENTC_ADD_ID_CONSTRAINED)
			wake(server);
		OPENSSL_cleanse(in.buf + in.start, 4 + (gsize)len);
		in.start += 4 + (gsize)len;
		body = g_bytes_get_data(answer, &answer_len);
		out_head[0] = (guint8)(answer_len >> 24);
		out_head[1] = (guint8)(answer_len >> 16);
		out_head[2] = (guint8)(answer_len >> 8);
		out_head[3] = (guint8)answer_len;
		g_byte_array_set_size(out, 0);
		g_byte_array_append(out, out_head, 4);
		g_byte_array_append(out, body, answer_len);
		if (!write_full(conn->fd, out->data, out->len))
			break;
	}
	OPENSSL_cleanse(in.buf, in.cap);
	g_free(in.buf);
	g_byte_array_unref(out);
	g_mutex_lock(&server->lock);
	g_hash_table_remove(server->connections, GINT_TO_POINTER(conn->fd));
	close(conn->fd);
	g_cond_broadcast(&server->idle);
	g_mutex_unlock(&server->lock);
	wake(server);
	g_free(conn);
	return NULL;
}

/* Take one connection: the peer's uid first, then a thread of its own. */
static void
accept_one(MeshSshServer *server)
{
	guint64 uid = G_MAXUINT64;
	Connection *conn;
	GThread *thread;
	g_autoptr(GError) error = NULL;
	int fd = accept4(server->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (!mesh_platform_peer_uid(fd, &uid, NULL) || uid != mesh_platform_uid()) {
		close(fd);
		return;
	}
	conn = g_new0(Connection, 1);
	conn->server = server;
	conn->fd = fd;
	g_mutex_lock(&server->lock);
	g_hash_table_add(server->connections, GINT_TO_POINTER(fd));
	g_mutex_unlock(&server->lock);
	thread = g_thread_try_new("ssh-agent-conn", serve, conn, &error);
	if (thread == NULL) {
		g_debug("ssh-agent: no thread for a connection: %s", error->message);
		g_mutex_lock(&server->lock);
		g_hash_table_remove(server->connections, GINT_TO_POINTER(fd));
		g_mutex_unlock(&server->lock);
		close(fd);
		g_free(conn);
		return;
	}
	g_thread_unref(thread); /* mesh_ssh_server_free waits on the connection table instead */
}

/* Accept while there is room, and end keys' lifetimes on time even when nobody asks. */
static gpointer
acceptor(gpointer data)
{
	MeshSshServer *server = data;

	for (;;) {
		struct pollfd fds[2] = { { server->wake[0], POLLIN, 0 }, { server->listen_fd, POLLIN, 0 } };
		gint64 next = mesh_ssh_agent_expire(server->agent);
		gboolean room, stopping;
		char drain[64];

		g_mutex_lock(&server->lock);
		stopping = server->stopping;
		room = g_hash_table_size(server->connections) < MESH_SSH_SERVER_MAX_CONNECTIONS;
		g_mutex_unlock(&server->lock);
		if (stopping)
			break;
		if (poll(fds, room ? 2 : 1, next < 0 ? -1 : (int)MIN(next, G_MAXINT)) < 0 &&
		    errno != EINTR)
			break;
		if (fds[0].revents & POLLIN)
			while (read(server->wake[0], drain, sizeof drain) > 0)
				;
		if (room && (fds[1].revents & POLLIN))
			accept_one(server);
	}
	return NULL;
}

static int
listen_on(const char *path, GError **error)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof addr.sun_path) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the ssh-agent socket path %s is too long for a Unix socket (at most %zu "
			    "bytes): choose a shorter one with MESH_SSH_AGENT_SOCK",
			    path, sizeof addr.sun_path - 1);
		return -1;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
	    chmod(path, 0600) != 0 || listen(fd, 128) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot listen on %s: %s", path,
			    g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

MeshSshServer *
mesh_ssh_server_new(MeshSshAgent *agent, const char *path, int fd, MeshHiveKind kind,
		    GError **error)
{
	g_autoptr(MeshSshServer) server = g_new0(MeshSshServer, 1);
	g_autofree char *dir = g_path_get_dirname(path);

	server->agent = agent;
	server->path = g_strdup(path);
	server->lock_fd = server->listen_fd = server->wake[0] = server->wake[1] = -1;
	g_mutex_init(&server->lock);
	g_cond_init(&server->idle);
	server->connections = g_hash_table_new(NULL, NULL);
	server->lock_path = g_strconcat(path, ".lock", NULL);
	if (fd >= 0) {
		g_autoptr(GError) local = NULL;

		/* Passed by socket activation: the socket is its owner's, never unlinked here;
		 * the lock still keeps a second agent off its path where the folder allows. */
		server->listen_fd = fd;
		server->passed = TRUE;
		if (!mesh_server_lock_file(server->lock_path, path, kind, &server->lock_fd,
					   &local) &&
		    !g_error_matches(local, MESH_ERROR, MESH_ERROR_IO)) {
			g_propagate_error(error, g_steal_pointer(&local));
			return NULL;
		}
	} else if (!mesh_platform_private_dir(dir, TRUE, error) ||
		   !mesh_server_lock_file(server->lock_path, path, kind, &server->lock_fd,
					  error) ||
		   !mesh_server_remove_stale(path, error) ||
		   (server->listen_fd = listen_on(path, error)) < 0) {
		return NULL;
	}
	if (pipe2(server->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot make a pipe: %s",
			    g_strerror(errno));
		return NULL;
	}
	fcntl(server->listen_fd, F_SETFL, O_NONBLOCK);
	server->acceptor = g_thread_try_new("ssh-agent", acceptor, server, error);
	if (server->acceptor == NULL)
		return NULL;
	return g_steal_pointer(&server);
}

void
mesh_ssh_server_free(MeshSshServer *server)
{
	GHashTableIter iter;
	gpointer key;

	if (server == NULL)
		return;
	g_mutex_lock(&server->lock);
	server->stopping = TRUE;
	g_mutex_unlock(&server->lock);
	if (server->acceptor != NULL) {
		wake(server);
		g_thread_join(server->acceptor);
	}
	/* Wake every connection's blocked read, then wait for the threads to let go. */
	g_mutex_lock(&server->lock);
	g_hash_table_iter_init(&iter, server->connections);
	while (g_hash_table_iter_next(&iter, &key, NULL))
		shutdown(GPOINTER_TO_INT(key), SHUT_RDWR);
	while (g_hash_table_size(server->connections) > 0)
		g_cond_wait(&server->idle, &server->lock);
	g_mutex_unlock(&server->lock);
	if (server->listen_fd >= 0) {
		close(server->listen_fd);
		if (!server->passed)
			unlink(server->path);
	}
	for (int i = 0; i < 2; i++)
		if (server->wake[i] >= 0)
			close(server->wake[i]);
	if (server->lock_fd >= 0) {
		unlink(server->lock_path);
		close(server->lock_fd);
	}
	g_hash_table_unref(server->connections);
	g_cond_clear(&server->idle);
	g_mutex_clear(&server->lock);
	g_free(server->lock_path);
	g_free(server->path);
	g_free(server);
}
