/* SPDX-License-Identifier: MIT */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <openssl/crypto.h>
#include <stddef.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "error.h"
#include "frame.h"
#include "platform.h"

/* Bytes read from a connection at a time. */
#define READ_CHUNK (16 * 1024)
/* How long a shutdown waits for connections to take their last answers. */
#define SHUTDOWN_GRACE_SECONDS 5
/* systemd's first passed descriptor (sd_listen_fds(3)). */
#define LISTEN_FDS_START 3

typedef struct Connection Connection;

struct MeshServer {
	MeshAgent *agent;
	char *path;
	int lock_fd;
	char *lock_path;
	int hive_lock_fd; /* the hive's .agent.lock, held for the agent's lifetime */
	gboolean bound; /* we made the socket file, so we remove it */
	GSocketService *service;
	gboolean accepting;
	GHashTable *connections; /* Connection * */
	GMainLoop *loop;
	gboolean stopping;
	guint grace_timer;
};

struct Connection {
	MeshServer *server;
	GSocketConnection *stream;
	GCancellable *cancel_read;
	MeshFrameReader *reader;
	guint8 buf[READ_CHUNK];
	gsize buf_len, buf_off; /* read but not yet fed bytes: buf[buf_off..buf_len) */
	GQueue answers;         /* framed GBytes, oldest first */
	gsize queued;           /* their total size */
	gboolean reading, writing, closing;
	/* A request being answered later (by the agent's worker, or once the passphrase gate
	 * lets it through): the frames after it wait, so that answers keep the order of the
	 * requests. Meanwhile @hangup watches for the client going away. */
	MeshAgentJob *job;
	GSource *hangup;
};

static void read_more(Connection *conn);
static void write_more(Connection *conn);

/* ---- Start-up ---------------------------------------------------------------------------- */

/* Which of the agent's sockets @fd is: by its LISTEN_FDNAMES @name when that is one of ours,
 * else by its path (the ssh-agent socket is the one named MESH_SERVER_SSH_SOCKET_NAME). */
static gboolean
passed_is_ssh(int fd, const char *name, gboolean *ret_ssh, GError **error)
{
	g_autofree char *path = NULL;
	g_autofree char *base = NULL;

	if (!mesh_server_fd_path(fd, &path, error))
		return FALSE;
	if (name != NULL && (g_str_equal(name, MESH_SERVER_FDNAME_AGENT) ||
			     g_str_equal(name, MESH_SERVER_FDNAME_SSH))) {
		*ret_ssh = g_str_equal(name, MESH_SERVER_FDNAME_SSH);
		return TRUE;
	}
	base = g_path_get_basename(path);
	*ret_ssh = g_str_equal(base, MESH_SERVER_SSH_SOCKET_NAME);
	return TRUE;
}

gboolean
mesh_server_activation(int *ret_agent_fd, int *ret_ssh_fd, GError **error)
{
	const char *pid = g_getenv("LISTEN_PID");
	const char *fds = g_getenv("LISTEN_FDS");
	const char *fdnames = g_getenv("LISTEN_FDNAMES");
	g_auto(GStrv) names = g_strsplit(fdnames != NULL ? fdnames : "", ":", -1);
	int found[2] = { -1, -1 }; /* agent, ssh-agent */
	guint64 n = 0;

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
		gboolean ssh = FALSE;

		/* systemd leaves close-on-exec off; nothing we start should inherit a socket. */
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		if (!passed_is_ssh(fd, i < (int)g_strv_length(names) ? names[i] : NULL, &ssh,
				   error))
			return FALSE;
		if (found[ssh] >= 0) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
				    "socket activation passed two %s sockets: name them %s and %s "
				    "(FileDescriptorName=), or call the ssh-agent one %s",
				    ssh ? "ssh-agent" : "agent", MESH_SERVER_FDNAME_AGENT,
				    MESH_SERVER_FDNAME_SSH, MESH_SERVER_SSH_SOCKET_NAME);
			return FALSE;
		}
		found[ssh] = fd;
	}
	if (n > 0 && found[0] < 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "socket activation passed the ssh-agent socket only: pass the agent's "
			    "socket too (ListenStream=.../agent.sock)");
		return FALSE;
	}
	*ret_agent_fd = found[0];
	*ret_ssh_fd = found[1];
	return TRUE;
}

gboolean
mesh_server_fd_path(int fd, char **ret_path, GError **error)
{
	struct sockaddr_un addr = { 0 };
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

/* The pid recorded in a lock file, for the message that names the running agent. */
/* "pid N, socket PATH" from a lock file's note ("N PATH\n"), for the message of a second start. */
static char *
lock_owner(int fd)
{
	char text[4200] = { 0 };
	ssize_t n = pread(fd, text, sizeof text - 1, 0);
	char *end = NULL;
	guint64 pid = n > 0 ? g_ascii_strtoull(text, &end, 10) : 0;

	if (pid == 0)
		return g_strdup("pid unknown");
	if (end != NULL && *end == ' ' && end[1] == '/') {
		g_strchomp(end + 1);
		return g_strdup_printf("pid %" G_GUINT64_FORMAT ", socket %s", pid, end + 1);
	}
	return g_strdup_printf("pid %" G_GUINT64_FORMAT, pid);
}

/*
 * Lock @path for this process and write "PID SOCKET" into it. flock() locks die with their
 * holder, so a killed agent leaves nothing that blocks the next one. A file that was unlinked
 * and replaced while we waited for it is locked again, on the new one. MESH_ERROR_EXISTS names
 * the agent that holds it.
 */
gboolean
mesh_server_lock_file(const char *path, const char *socket_path, MeshHiveKind kind, int *ret_fd,
		      GError **error)
{
	g_autofree char *note = NULL;
	int locked = -1;

	for (int attempt = 0; attempt < 8 && locked < 0; attempt++) {
		struct stat held, now;
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

		if (fd < 0) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
				    "cannot open the lock file %s: %s", path, g_strerror(errno));
			return FALSE;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
			g_autofree char *owner = lock_owner(fd);

			close(fd);
			g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
				    "an agent for the %s hive is already running (%s)",
				    mesh_hive_kind_name(kind), owner);
			return FALSE;
		}
		if (fstat(fd, &held) == 0 && stat(path, &now) == 0 && held.st_dev == now.st_dev &&
		    held.st_ino == now.st_ino)
			locked = fd;
		else
			close(fd);
	}
	if (locked < 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
			    "cannot take the lock file %s: it keeps being replaced", path);
		return FALSE;
	}
	note = g_strdup_printf("%" G_GINT64_FORMAT " %s\n", (gint64)getpid(), socket_path);
	if (ftruncate(locked, 0) != 0 ||
	    pwrite(locked, note, strlen(note), 0) != (ssize_t)strlen(note)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot write the lock file %s: %s",
			    path, g_strerror(errno));
		close(locked);
		return FALSE;
	}
	*ret_fd = locked;
	return TRUE;
}

/*
 * One agent per hive and one per socket: the hive's own .agent.lock (whatever socket the agent
 * serves) and PATH.lock beside the socket (so that no second agent takes a live socket's path).
 */
static gboolean
take_lock(MeshServer *server, MeshHiveKind kind, GError **error)
{
	MeshHive *hive = mesh_agent_hive(server->agent);
	g_autofree char *hive_lock = g_build_filename(mesh_hive_location(hive), ".agent.lock", NULL);

	if (server->hive_lock_fd < 0 &&
	    !mesh_server_lock_file(hive_lock, server->path, kind, &server->hive_lock_fd, error))
		return FALSE;
	server->lock_path = g_strconcat(server->path, ".lock", NULL);
	return mesh_server_lock_file(server->lock_path, server->path, kind, &server->lock_fd, error);
}

gboolean
mesh_server_remove_stale(const char *path, GError **error)
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
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot remove the stale socket %s: %s",
			    path, g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

static GSocket *
bind_socket(MeshServer *server, GError **error)
{
	g_autofree char *dir = g_path_get_dirname(server->path);
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GSocketAddress) address = NULL;
	g_autoptr(GError) local = NULL;
	gsize max = sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1;

	if (strlen(server->path) > max) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the socket path %s is too long for a Unix socket (at most %zu bytes): "
			    "choose a shorter one with --socket or MESH_AGENT_SOCK",
			    server->path, max);
		return NULL;
	}
	if (!mesh_platform_private_dir(dir, TRUE, error) ||
	    !take_lock(server, mesh_agent_hive(server->agent)->kind, error) ||
	    !mesh_server_remove_stale(server->path, error))
		return NULL;
	socket = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
			      G_SOCKET_PROTOCOL_DEFAULT, &local);
	address = g_unix_socket_address_new(server->path);
	if (socket == NULL || !g_socket_bind(socket, address, FALSE, &local))
		goto fail;
	server->bound = TRUE;
	/* bind() applies the umask; make the mode exact (the folder is 0700 anyway). */
	if (chmod(server->path, 0600) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot make %s private: %s",
			    server->path, g_strerror(errno));
		return NULL;
	}
	g_socket_set_listen_backlog(socket, 128);
	if (!g_socket_listen(socket, &local))
		goto fail;
	return g_steal_pointer(&socket);
fail:
	g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot listen on %s: %s", server->path,
		    local->message);
	return NULL;
}

/* ---- Connections ------------------------------------------------------------------------- */

static void
update_accepting(MeshServer *server)
{
	gboolean want = !server->stopping &&
			g_hash_table_size(server->connections) < MESH_SERVER_MAX_CONNECTIONS;

	if (want == server->accepting)
		return;
	server->accepting = want;
	if (want)
		g_socket_service_start(server->service);
	else
		g_socket_service_stop(server->service);
}

static void
unwatch_hangup(Connection *conn)
{
	if (conn->hangup == NULL)
		return;
	g_source_destroy(conn->hangup);
	g_clear_pointer(&conn->hangup, g_source_unref);
}

static void
connection_free(Connection *conn)
{
	GBytes *answer;

	unwatch_hangup(conn);
	if (conn->job != NULL)
		mesh_agent_job_abandon(conn->job);
	while ((answer = g_queue_pop_head(&conn->answers)) != NULL)
		g_bytes_unref(answer);
	OPENSSL_cleanse(conn->buf, sizeof conn->buf);
	mesh_frame_reader_free(conn->reader);
	g_io_stream_close(G_IO_STREAM(conn->stream), NULL, NULL);
	g_object_unref(conn->stream);
	g_object_unref(conn->cancel_read);
	g_free(conn);
}

/* Drop a connection once nothing is in flight on it. */
static void
maybe_finish(Connection *conn)
{
	MeshServer *server = conn->server;

	if (!conn->closing || conn->reading || conn->writing || conn->job != NULL)
		return;
	g_hash_table_remove(server->connections, conn);
	if (server->stopping && g_hash_table_size(server->connections) == 0)
		g_main_loop_quit(server->loop);
	else
		update_accepting(server);
}

static void
enqueue(Connection *conn, GBytes *answer)
{
	GBytes *frame = NULL;
	gsize len = 0;
	const guint8 *body = g_bytes_get_data(answer, &len);

	/* mesh_agent_handle keeps answers within a frame; anything else is a bug: drop the
	 * connection rather than send a frame the client must refuse. */
	if (mesh_frame_encode(body, len, MESH_FRAME_MAX, &frame) != MESH_ERROR_OK) {
		conn->closing = TRUE;
		return;
	}
	conn->queued += g_bytes_get_size(frame);
	g_queue_push_tail(&conn->answers, frame);
	write_more(conn);
}

static void process(Connection *conn);

/*
 * The client hung up (closed, not merely done writing) while its request waited: the answer
 * would go nowhere, and a passphrase check still waiting at the gate must not run for nobody
 * (guesses that left would otherwise hold up whoever comes next). The job goes on unanswered.
 */
static gboolean
on_hangup(GSocket *socket, GIOCondition condition, gpointer user_data)
{
	Connection *conn = user_data;
	GSource *source = g_steal_pointer(&conn->hangup);

	if (conn->job != NULL)
		mesh_agent_job_abandon(conn->job);
	conn->job = NULL;
	conn->closing = TRUE;
	maybe_finish(conn); /* may free @conn */
	g_source_unref(source);
	return G_SOURCE_REMOVE;
}

static void
watch_hangup(Connection *conn)
{
	GSocket *socket = g_socket_connection_get_socket(conn->stream);

	conn->hangup = g_socket_create_source(socket, G_IO_HUP | G_IO_ERR, NULL);
	g_source_set_callback(conn->hangup, G_SOURCE_FUNC(on_hangup), conn, NULL);
	g_source_attach(conn->hangup, g_main_context_get_thread_default());
}

/* The worker's answer to the connection's pending request. */
static void
on_answer(GBytes *answer, gpointer user_data)
{
	Connection *conn = user_data;

	unwatch_hangup(conn);
	conn->job = NULL;
	enqueue(conn, answer);
	process(conn);
	read_more(conn);
	maybe_finish(conn);
}

/* Feed the buffered bytes to the reader and answer each complete frame, in order, until the
 * buffer is empty, the connection must close, a request waits for the worker, or too many
 * answers wait to be sent. */
static void
process(Connection *conn)
{
	while (conn->buf_off < conn->buf_len && !conn->closing && conn->job == NULL &&
	       conn->queued < MESH_SERVER_QUEUE_MAX) {
		g_autoptr(GBytes) answer = NULL;
		const guint8 *frame;
		gboolean close_after = FALSE;
		gsize used = 0, len = 0;

		if (mesh_frame_reader_feed(conn->reader, conn->buf + conn->buf_off,
					   conn->buf_len - conn->buf_off, &used) != MESH_ERROR_OK) {
			/* A zero or oversize length: the framing is lost, and no Id was read. */
			conn->closing = TRUE;
			break;
		}
		conn->buf_off += used;
		frame = mesh_frame_reader_frame(conn->reader, &len);
		if (frame == NULL)
			continue;
		conn->job = mesh_agent_handle_async(conn->server->agent, frame, len, &answer,
						    &close_after, on_answer, conn);
		if (conn->job != NULL)
			watch_hangup(conn);
		mesh_frame_reader_next(conn->reader);
		if (answer != NULL)
			enqueue(conn, answer);
		if (close_after)
			conn->closing = TRUE;
	}
	if (conn->buf_off == conn->buf_len) {
		OPENSSL_cleanse(conn->buf, conn->buf_len);
		conn->buf_off = conn->buf_len = 0;
	}
}

static void
on_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Connection *conn = user_data;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, NULL);

	conn->reading = FALSE;
	if (n <= 0) {
		/* End of stream (a truncated frame is simply dropped), an error, or a shutdown:
		 * send what is owed, then close. */
		conn->closing = TRUE;
	} else {
		conn->buf_len = (gsize)n;
		conn->buf_off = 0;
		process(conn);
	}
	read_more(conn);
	maybe_finish(conn);
}

static void
read_more(Connection *conn)
{
	if (conn->reading || conn->closing || conn->server->stopping || conn->job != NULL ||
	    conn->buf_off < conn->buf_len || conn->queued >= MESH_SERVER_QUEUE_MAX)
		return;
	conn->reading = TRUE;
	g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(conn->stream)),
				  conn->buf, sizeof conn->buf, G_PRIORITY_DEFAULT, conn->cancel_read,
				  on_read, conn);
}

static void
on_written(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Connection *conn = user_data;
	g_autoptr(GBytes) frame = g_queue_pop_head(&conn->answers);
	gboolean ok = g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, NULL, NULL);

	conn->writing = FALSE;
	conn->queued -= g_bytes_get_size(frame);
	if (!ok) {
		/* The client went away: nothing more can be delivered. */
		conn->closing = TRUE;
		g_cancellable_cancel(conn->cancel_read);
	} else {
		write_more(conn);
		/* Room in the queue again: go on with what was read, then read more. */
		process(conn);
		read_more(conn);
	}
	maybe_finish(conn);
}

static void
write_more(Connection *conn)
{
	GBytes *frame = g_queue_peek_head(&conn->answers);
	gsize len = 0;
	const guint8 *data;

	if (conn->writing || frame == NULL)
		return;
	data = g_bytes_get_data(frame, &len);
	conn->writing = TRUE;
	g_output_stream_write_all_async(g_io_stream_get_output_stream(G_IO_STREAM(conn->stream)),
					data, len, G_PRIORITY_DEFAULT, NULL, on_written, conn);
}

static gboolean
on_incoming(GSocketService *service, GSocketConnection *stream, GObject *source,
	    gpointer user_data)
{
	MeshServer *server = user_data;
	int fd = g_socket_get_fd(g_socket_connection_get_socket(stream));
	guint64 uid = G_MAXUINT64;
	Connection *conn;

	/* Who is at the other end is settled before a byte is read (ssh-agent.c): another user
	 * is closed on without a word. */
	if (!mesh_platform_peer_uid(fd, &uid, NULL) || uid != mesh_platform_uid() ||
	    server->stopping) {
		g_io_stream_close(G_IO_STREAM(stream), NULL, NULL);
		return TRUE;
	}
	conn = g_new0(Connection, 1);
	conn->server = server;
	conn->stream = g_object_ref(stream);
	conn->cancel_read = g_cancellable_new();
	conn->reader = mesh_frame_reader_new(MESH_FRAME_MAX);
	g_queue_init(&conn->answers);
	g_hash_table_add(server->connections, conn);
	update_accepting(server);
	read_more(conn);
	return TRUE;
}

/* ---- The server ---------------------------------------------------------------------------- */

static void
on_shutdown_request(gpointer user_data)
{
	mesh_server_shutdown(user_data);
}

MeshServer *
mesh_server_new(MeshAgent *agent, const char *path, int fd, GError **error)
{
	g_autoptr(MeshServer) server = g_new0(MeshServer, 1);
	g_autoptr(GSocket) socket = NULL;

	server->agent = agent;
	server->path = g_strdup(path);
	server->lock_fd = -1;
	server->hive_lock_fd = -1;
	server->connections =
		g_hash_table_new_full(NULL, NULL, (GDestroyNotify)connection_free, NULL);
	server->loop = g_main_loop_new(NULL, FALSE);
	server->service = g_socket_service_new();
	/* Started by mesh_server_run. */
	g_socket_service_stop(server->service);
	if (fd >= 0) {
		g_autoptr(GError) local = NULL;

		/* The socket belongs to whoever passed it; the lock still keeps a second agent
		 * from taking its path over, where the folder lets us make one. */
		if (!take_lock(server, mesh_agent_hive(agent)->kind, &local) &&
		    !g_error_matches(local, MESH_ERROR, MESH_ERROR_IO)) {
			g_propagate_error(error, g_steal_pointer(&local));
			return NULL;
		}
		socket = g_socket_new_from_fd(fd, error);
	} else {
		socket = bind_socket(server, error);
	}
	if (socket == NULL ||
	    !g_socket_listener_add_socket(G_SOCKET_LISTENER(server->service), socket, NULL, error))
		return NULL;
	g_signal_connect(server->service, "incoming", G_CALLBACK(on_incoming), server);
	mesh_agent_set_shutdown_func(agent, on_shutdown_request, server);
	return g_steal_pointer(&server);
}

static gboolean
on_grace_over(gpointer user_data)
{
	MeshServer *server = user_data;

	server->grace_timer = 0;
	g_main_loop_quit(server->loop);
	return G_SOURCE_REMOVE;
}

void
mesh_server_shutdown(MeshServer *server)
{
	GHashTableIter iter;
	gpointer key;

	if (server->stopping)
		return;
	server->stopping = TRUE;
	/* Portal work in flight ends now (Cancelled), so that its clients get their answers
	 * within the grace period. */
	mesh_agent_cancel(server->agent);
	update_accepting(server);
	g_socket_listener_close(G_SOCKET_LISTENER(server->service));
	g_hash_table_iter_init(&iter, server->connections);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		Connection *conn = key;

		/* A connection being read is idle between requests: stop waiting for it. One
		 * that is writing closes once its answers are out. */
		conn->closing = TRUE;
		g_cancellable_cancel(conn->cancel_read);
	}
	if (g_hash_table_size(server->connections) == 0)
		g_main_loop_quit(server->loop);
	else
		server->grace_timer =
			g_timeout_add_seconds(SHUTDOWN_GRACE_SECONDS, on_grace_over, server);
}

void
mesh_server_run(MeshServer *server)
{
	if (server->stopping)
		return;
	update_accepting(server);
	g_main_loop_run(server->loop);
}

void
mesh_server_free(MeshServer *server)
{
	if (server == NULL)
		return;
	if (server->agent != NULL)
		mesh_agent_set_shutdown_func(server->agent, NULL, NULL);
	if (server->grace_timer != 0)
		g_source_remove(server->grace_timer);
	if (server->service != NULL) {
		g_socket_service_stop(server->service);
		g_socket_listener_close(G_SOCKET_LISTENER(server->service));
		g_object_unref(server->service);
	}
	/* Connections with an operation in flight are freed with the table: their callbacks
	 * never run, since the loop is not iterated again. */
	g_hash_table_destroy(server->connections);
	if (server->bound)
		unlink(server->path);
	if (server->lock_fd >= 0) {
		/* Unlink while still holding the lock: see take_lock. */
		unlink(server->lock_path);
		close(server->lock_fd);
	}
	/* The hive's lock file stays (unlinking it could let two agents lock two files). */
	if (server->hive_lock_fd >= 0)
		close(server->hive_lock_fd);
	g_main_loop_unref(server->loop);
	g_free(server->lock_path);
	g_free(server->path);
	g_free(server);
}
