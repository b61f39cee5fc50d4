/* SPDX-License-Identifier: MIT */
/*
 * libmeshclient: the flat client API of <mesh/client.h> over the agent protocol
 * (docs/protocol.md "Agent methods"): blocking I/O on one AF_UNIX stream socket, one request
 * and one answer at a time. Requests are written as JSON text by hand into one buffer of the
 * exact size, so a passphrase exists in exactly one copy that is wiped after sending; answers
 * go through the strict JSON reader, at most MESH_CLIENT_FRAME_MAX bytes.
 */
#include <mesh/client.h>

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "base64.h"
#include "error.h"
#include "hive.h"
#include "json.h"
#include "platform.h"

/* Largest frame either way (docs/protocol.md). */
#define MESH_CLIENT_FRAME_MAX (1024 * 1024)
/*
 * How long connect() may wait for the agent to take the connection (its listen backlog full: it
 * is stopped, or every one of its connections is held), one send may block, and a request may
 * go unanswered before the client asks, on a connection of its own, whether the agent answers
 * Hello within as long again. An agent that does not is reported at once (Timeout): it is
 * stopped or stuck. One that does is busy with the request (a portal method waits on the
 * network, 30 s at most per transaction, and behind the other portal methods), and is given up
 * to ANSWER_MAX_SECONDS in all.
 */
#define IO_TIMEOUT_SECONDS 10
#define ANSWER_MAX_SECONDS 600
/* Largest SubjectPublicKeyInfo taken from the agent (P-256: 91 bytes). */
#define SPKI_MAX 1024

struct MeshClient {
	int fd; /* -1 once the connection broke: the stream can no longer be trusted */
	char *path; /* the agent's socket */
	gint64 next_id;
	char *last_error;
	char *portal;    /* mesh_client_set_portal: "Portal" of the session methods that take it */
	char *portal_ca; /* "PortalCA" */
	char *keystore;  /* mesh_client_set_keystore: "KeyStore" of the methods that make keys */
	/* mesh_client_set_passphrase: "Passphrase" of the session methods that make keys; wiped */
	char *passphrase;
};

static MeshError
fail(MeshClient *client, MeshError code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static MeshError
fail(MeshClient *client, MeshError code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_free(client->last_error);
	client->last_error = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	return code;
}

/* The failure in @error (consumed) as this connection's last error. */
static MeshError
fail_error(MeshClient *client, GError *error)
{
	MeshError code = mesh_error_code(error);

	fail(client, code, "%s", error->message);
	g_error_free(error);
	return code;
}

/* A failure that leaves the stream in an unknown state: no further call may use it. */
static MeshError
fail_broken(MeshClient *client, MeshError code, const char *what, int err)
{
	if (client->fd >= 0)
		close(client->fd);
	client->fd = -1;
	if (err != 0)
		return fail(client, code, "%s: %s", what, g_strerror(err));
	return fail(client, code, "%s", what);
}

/* ---- Connecting ------------------------------------------------------------------------- */

/*
 * The pid of the agent listening on @path, from the lock file beside the socket (PATH.lock:
 * "<pid> <path>", written by the agent), or 0 when it cannot be read. For messages only: the
 * file must be a regular file of this user.
 */
static gint64
agent_pid(const char *path)
{
	g_autofree char *lock = g_strconcat(path, ".lock", NULL);
	char text[32] = { 0 };
	struct stat st;
	char *end = NULL;
	gint64 pid = 0;
	ssize_t n = -1;
	int fd = open(lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (guint64)st.st_uid == mesh_platform_uid())
		n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n > 0)
		pid = g_ascii_strtoll(text, &end, 10);
	return pid > 0 && pid <= G_MAXINT32 && end != NULL && *end == ' ' ? pid : 0;
}

/* "the agent (pid N)", or "the agent at PATH" when its pid is unknown. */
static char *
agent_name(const char *path, gint64 pid)
{
	if (pid > 0)
		return g_strdup_printf("the agent (pid %" G_GINT64_FORMAT ")", pid);
	return g_strdup_printf("the agent at %s", path);
}

/* What to do about an agent that does not answer. */
static char *
stuck_advice(gint64 pid)
{
	if (pid > 0)
		return g_strdup_printf("it may be stopped (resume it: kill -CONT %" G_GINT64_FORMAT
				       ") or stuck (end it: kill -KILL %" G_GINT64_FORMAT
				       "; the next mesh command starts a new agent)",
				       pid, pid);
	return g_strdup("it may be stopped or stuck: resume or end its process");
}

static void
set_timeout(int fd, int option, gint64 seconds)
{
	struct timeval timeout = { .tv_sec = seconds };

	setsockopt(fd, SOL_SOCKET, option, &timeout, sizeof timeout);
}

/*
 * Connect to @path after checking that it is a socket of this user (as WireGuard's tools check
 * who owns the pipe: a socket someone else made is not our agent, however it answers), then
 * check the peer's uid too. Sends and receives then block for IO_TIMEOUT_SECONDS at most.
 */
static gboolean
connect_socket(const char *path, int *ret_fd, GError **error)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	gint64 deadline = g_get_monotonic_time() + IO_TIMEOUT_SECONDS * G_USEC_PER_SEC;
	struct stat st;
	guint64 peer = 0;
	int fd = -1, err = 0;

	if (strlen(path) >= sizeof addr.sun_path) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the agent socket path '%s' is longer than %zu bytes; use a shorter "
			    "XDG_RUNTIME_DIR or MESH_AGENT_SOCK",
			    path, sizeof addr.sun_path - 1);
		return FALSE;
	}
	if (lstat(path, &st) != 0) {
		g_set_error(error, MESH_ERROR,
			    errno == ENOENT || errno == ENOTDIR ? MESH_ERROR_AGENT_UNAVAILABLE :
								  MESH_ERROR_IO,
			    "no agent at %s (%s): start it with 'mesh agent start'", path,
			    g_strerror(errno));
		return FALSE;
	}
	if (!S_ISSOCK(st.st_mode) || (guint64)st.st_uid != mesh_platform_uid()) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
			    "%s is not a socket of this user (%s, owner uid %u): refusing to talk "
			    "to it; remove it and start the agent again",
			    path, S_ISSOCK(st.st_mode) ? "socket" : "not a socket",
			    (unsigned)st.st_uid);
		return FALSE;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "socket: %s", g_strerror(errno));
		return FALSE;
	}
	/* A blocking connect() to a Unix socket whose listen backlog is full waits for room, for
	 * as long as the send timeout allows (then EAGAIN): an agent that never accepts must not
	 * hold its clients for ever. */
	set_timeout(fd, SO_SNDTIMEO, IO_TIMEOUT_SECONDS);
	while (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
		err = errno;
		if (err != EINTR || g_get_monotonic_time() >= deadline)
			break;
		err = 0;
	}
	if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR) {
		gint64 pid = agent_pid(path);
		g_autofree char *name = agent_name(path, pid);
		g_autofree char *advice = stuck_advice(pid);

		close(fd);
		g_set_error(error, MESH_ERROR, MESH_ERROR_TIMEOUT,
			    "%s took no connection in %d s: every one of its connections is held "
			    "(end the programs that hold them), or %s",
			    name, IO_TIMEOUT_SECONDS, advice);
		return FALSE;
	}
	if (err != 0) {
		close(fd);
		g_set_error(error, MESH_ERROR,
			    err == ECONNREFUSED || err == ENOENT ? MESH_ERROR_AGENT_UNAVAILABLE :
			    err == EACCES			 ? MESH_ERROR_PERMISSION :
								   MESH_ERROR_IO,
			    "cannot connect to the agent at %s: %s", path, g_strerror(err));
		return FALSE;
	}
	if (!mesh_platform_peer_uid(fd, &peer, error)) {
		close(fd);
		return FALSE;
	}
	if (peer != mesh_platform_uid()) {
		close(fd);
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
			    "the process listening on %s runs as uid %" G_GUINT64_FORMAT
			    ", not as this user: refusing to talk to it",
			    path, peer);
		return FALSE;
	}
	/* A stuck agent must not hang its clients: see call_text for how a wait goes on. */
	set_timeout(fd, SO_RCVTIMEO, IO_TIMEOUT_SECONDS);
	*ret_fd = fd;
	return TRUE;
}

MeshError
mesh_client_open_socket_message(const char *path, MeshClient **ret_client, char **message)
{
	g_autoptr(GError) error = NULL;
	MeshClient *client;
	int fd = -1;

	if (path == NULL || ret_client == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	if (!connect_socket(path, &fd, &error)) {
		if (message != NULL)
			*message = g_strdup(error->message);
		return mesh_error_code(error);
	}
	client = g_new0(MeshClient, 1);
	client->fd = fd;
	client->path = g_strdup(path);
	client->next_id = 1;
	*ret_client = client;
	return MESH_ERROR_OK;
}

MeshError
mesh_client_open_socket(const char *path, MeshClient **ret_client)
{
	return mesh_client_open_socket_message(path, ret_client, NULL);
}

MeshError
mesh_client_open(const char *hive, MeshClient **ret_client)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = NULL;
	MeshHiveKind kind;

	if (!mesh_hive_kind_from_name(hive, &kind, &error))
		return mesh_error_code(error);
	path = mesh_platform_agent_socket(kind);
	return mesh_client_open_socket(path, ret_client);
}

void
mesh_client_close(MeshClient *client)
{
	if (client == NULL)
		return;
	if (client->fd >= 0)
		close(client->fd);
	g_free(client->path);
	g_free(client->last_error);
	g_free(client->portal);
	g_free(client->portal_ca);
	g_free(client->keystore);
	mesh_client_secret_free(client->passphrase);
	g_free(client);
}

const char *
mesh_client_last_error(const MeshClient *client)
{
	if (client == NULL || client->last_error == NULL)
		return "";
	return client->last_error;
}

void
mesh_client_free(void *p)
{
	g_free(p);
}

/* ---- Requests --------------------------------------------------------------------------- */

/* One member of a request's Params: a string (@text), an integer or a boolean (@number), or
 * JSON text made by string_array() (@text). */
typedef struct {
	const char *name; /* NULL: left out */
	char type;        /* 's', 'i', 'b', 'j' */
	const char *text; /* 'j': JSON text, put in as it is */
	gint64 number;
} Member;

/* Write @s as a JSON string at @out (when not NULL); returns the bytes it takes. */
static gsize
put_string(char *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	gsize n = 0;

	if (out != NULL)
		out[n] = '"';
	n++;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		char esc[6] = { '\\', (char)*p, 0 };
		gsize len = 1;

		if (*p == '"' || *p == '\\') {
			len = 2;
		} else if (*p < 0x20) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 15];
			len = 6;
		} else {
			esc[0] = (char)*p;
		}
		if (out != NULL)
			memcpy(out + n, esc, len);
		n += len;
	}
	if (out != NULL)
		out[n] = '"';
	return n + 1;
}

/* Write the object of @members at @out (when not NULL); returns the bytes it takes. */
static gsize
put_object(char *out, const Member *members, gsize n_members)
{
	gsize n = 0;
	gboolean first = TRUE;

#define PUT(s, len)                                   \
	do {                                          \
		if (out != NULL)                      \
			memcpy(out + n, (s), (len));  \
		n += (len);                           \
	} while (0)
	PUT("{", 1);
	for (gsize i = 0; i < n_members; i++) {
		const Member *m = &members[i];
		char number[24];

		if (m->name == NULL)
			continue;
		if (!first)
			PUT(",", 1);
		first = FALSE;
		n += put_string(out != NULL ? out + n : NULL, m->name);
		PUT(":", 1);
		if (m->type == 's') {
			n += put_string(out != NULL ? out + n : NULL, m->text);
		} else if (m->type == 'j') {
			PUT(m->text, strlen(m->text));
		} else if (m->type == 'b') {
			PUT(m->number ? "true" : "false", m->number ? 4 : 5);
		} else {
			g_snprintf(number, sizeof number, "%" G_GINT64_FORMAT, m->number);
			PUT(number, strlen(number));
		}
	}
	PUT("}", 1);
#undef PUT
	return n;
}

/* Check that every string member is UTF-8 (the agent refuses anything else). */
static MeshError
check_members(MeshClient *client, const Member *members, gsize n_members)
{
	for (gsize i = 0; i < n_members; i++) {
		if (members[i].name != NULL && members[i].type == 's' &&
		    !g_utf8_validate(members[i].text, -1, NULL))
			return fail(client, MESH_ERROR_INVALID_ARGUMENT,
				    "%s is not valid UTF-8 text", members[i].name);

	}
	return MESH_ERROR_OK;
}

/*
 * Whether the agent answers Hello within IO_TIMEOUT_SECONDS on a connection of its own: then it
 * is alive, and only busy with the request another connection waits on.
 */
static gboolean
agent_alive(const char *path)
{
	static const char hello[] = "{\"Id\":1,\"Method\":\"Hello\"}";
	guint8 frame[4 + sizeof hello - 1] = { 0, 0, 0, sizeof hello - 1 };
	guint8 head[4];
	ssize_t n = 0;
	int fd = -1;

	if (!connect_socket(path, &fd, NULL))
		return FALSE;
	memcpy(frame + 4, hello, sizeof hello - 1);
	if (send(fd, frame, sizeof frame, MSG_NOSIGNAL) == (ssize_t)sizeof frame) {
		do
			n = recv(fd, head, sizeof head, MSG_WAITALL);
		while (n < 0 && errno == EINTR);
	}
	close(fd);
	return n == (ssize_t)sizeof head;
}

/*
 * Send (@sending) or receive exactly @len bytes; *ret_errno is 0 at the end of the stream. A
 * send that blocks IO_TIMEOUT_SECONDS fails (ETIMEDOUT). A receive that waits that long goes on
 * while the agent is alive (agent_alive) and @started (monotonic) was at most
 * ANSWER_MAX_SECONDS ago; else it fails (ETIMEDOUT).
 */
static gboolean
transfer(MeshClient *client, guint8 *data, gsize len, gboolean sending, gint64 started,
	 int *ret_errno)
{
	while (len > 0) {
		ssize_t n = sending ? send(client->fd, data, len, MSG_NOSIGNAL) :
				      recv(client->fd, data, len, 0);
		int err = n < 0 ? errno : 0;

		if (err == EINTR)
			continue;
		if ((err == EAGAIN || err == EWOULDBLOCK) && !sending &&
		    g_get_monotonic_time() - started < ANSWER_MAX_SECONDS * G_USEC_PER_SEC &&
		    agent_alive(client->path))
			continue;
		if (n <= 0) {
			*ret_errno = err == EAGAIN || err == EWOULDBLOCK ? ETIMEDOUT : err;
			return FALSE;
		}
		data += n;
		len -= (gsize)n;
	}
	return TRUE;
}

/*
 * A failure to send @method or to read its answer (@err: an errno, 0 at the end of the stream,
 * ETIMEDOUT when transfer gave up on an answer awaited since @started, or on a send when
 * @started is 0): the agent went away (AgentUnavailable), does not answer (Timeout), or
 * something else broke (Io). The message names the agent's pid and says what to do.
 */
static MeshError
io_failure(MeshClient *client, const char *method, gint64 started, int err)
{
	gint64 pid = agent_pid(client->path);
	gint64 waited = started > 0 ? (g_get_monotonic_time() - started) / G_USEC_PER_SEC : 0;
	g_autofree char *name = agent_name(client->path, pid);
	g_autofree char *advice = stuck_advice(pid);
	g_autofree char *message = NULL;
	MeshError code = MESH_ERROR_TIMEOUT;

	if (err == ETIMEDOUT && waited >= ANSWER_MAX_SECONDS)
		message = g_strdup_printf("%s has not answered %s in %" G_GINT64_FORMAT
					  " s, though it answers other requests: stop it ('mesh "
					  "agent stop') and try again",
					  name, method, waited);
	else if (err == ETIMEDOUT && started > 0)
		message = g_strdup_printf("%s has not answered %s in %" G_GINT64_FORMAT " s, nor "
					  "Hello on another connection: %s",
					  name, method, waited, advice);
	else if (err == ETIMEDOUT)
		message = g_strdup_printf("%s has not read the request %s in %d s: %s", name,
					  method, IO_TIMEOUT_SECONDS, advice);
	if (message != NULL)
		return fail_broken(client, code, message, 0);
	if (err == 0 || err == EPIPE || err == ECONNRESET) {
		message = g_strdup_printf("%s went away before it answered %s (it was stopped or "
					  "crashed); the next mesh command starts a new agent",
					  name, method);
		return fail_broken(client, MESH_ERROR_AGENT_UNAVAILABLE, message, 0);
	}
	message = g_strdup_printf("talking to %s (%s)", name, method);
	return fail_broken(client, MESH_ERROR_IO, message, err);
}

/* Send the request: one frame of exactly the right size, wiped once sent. */
static MeshError
send_request(MeshClient *client, gint64 id, const char *method, const char *params,
	     gsize params_len)
{
	char head[64];
	gsize head_len, method_len = strlen(method), body_len, off = 4;
	guint8 *frame;
	MeshError code = MESH_ERROR_OK;
	int err = 0;

	head_len = (gsize)g_snprintf(head, sizeof head,
				     "{\"Id\":%" G_GINT64_FORMAT ",\"Method\":\"", id);
	body_len = head_len + method_len + 1 + (params != NULL ? 10 + params_len : 0) + 1;
	if (body_len > MESH_CLIENT_FRAME_MAX)
		return fail(client, MESH_ERROR_TOO_LARGE,
			    "the request to %s is %zu bytes, above the limit of %d", method,
			    body_len, MESH_CLIENT_FRAME_MAX);
	frame = g_malloc(4 + body_len);
	frame[0] = (guint8)(body_len >> 24);
	frame[1] = (guint8)(body_len >> 16);
	frame[2] = (guint8)(body_len >> 8);
	frame[3] = (guint8)body_len;
	memcpy(frame + off, head, head_len);
	off += head_len;
	memcpy(frame + off, method, method_len);
	off += method_len;
	frame[off++] = '"';
	if (params != NULL) {
		memcpy(frame + off, ",\"Params\":", 10);
		off += 10;
		memcpy(frame + off, params, params_len);
		off += params_len;
	}
	frame[off++] = '}';
	if (!transfer(client, frame, 4 + body_len, TRUE, 0, &err))
		code = io_failure(client, method, 0, err);
	OPENSSL_cleanse(frame, 4 + body_len);
	g_free(frame);
	return code;
}

/* The "Error" member of an answer as this connection's last error; returns its code. */
static MeshError
answer_error(MeshClient *client, JsonObject *obj)
{
	static const char *const allowed[] = { "Code", "Name", "Message", NULL };
	g_autoptr(GError) error = NULL;
	const char *name = NULL, *message = NULL;
	JsonObject *err = NULL;
	gint64 code = 0;

	if (!mesh_json_get_object(obj, "Error", &err, &error) ||
	    !mesh_json_check_members(err, allowed, &error) ||
	    !mesh_json_get_int(err, "Code", &code, &error) ||
	    !mesh_json_get_string(err, "Name", &name, &error) ||
	    !mesh_json_get_string(err, "Message", &message, &error))
		return fail_broken(client, MESH_ERROR_PROTOCOL, error->message, 0);
	/* Codes are exit statuses too: anything outside 1..255 is not a MeshError. */
	if (code <= 0 || code > 255)
		return fail_broken(client, MESH_ERROR_PROTOCOL,
				   "the agent answered with an error code out of range", 0);
	fail(client, (MeshError)code, "%s", message);
	return (MeshError)code;
}

/*
 * Send @method with @params (JSON object text of @params_len bytes, or NULL) and read the answer:
 * its "Result" object in @ret_result (a new reference; may be NULL), or the agent's error.
 */
static MeshError
call_text(MeshClient *client, const char *method, const char *params, gsize params_len,
	  JsonNode **ret_result)
{
	static const char *const allowed[] = { "Id", "Result", "Error", NULL };
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) root = NULL;
	g_autofree guint8 *body = NULL;
	guint8 head[4];
	JsonObject *obj;
	JsonNode *result;
	gint64 id = 0, want, started;
	guint32 len;
	MeshError code;
	int err = 0;

	if (client->fd < 0)
		return fail(client, MESH_ERROR_IO,
			    "the connection to the agent broke earlier; open a new one");
	want = client->next_id++;
	code = send_request(client, want, method, params, params_len);
	if (code != MESH_ERROR_OK)
		return code;

	started = g_get_monotonic_time();
	if (!transfer(client, head, sizeof head, FALSE, started, &err))
		return io_failure(client, method, started, err);
	len = (guint32)head[0] << 24 | (guint32)head[1] << 16 | (guint32)head[2] << 8 | head[3];
	if (len == 0 || len > MESH_CLIENT_FRAME_MAX)
		return fail_broken(client, MESH_ERROR_PROTOCOL,
				   "the agent sent a frame of a length out of range", 0);
	body = g_malloc(len);
	if (!transfer(client, body, len, FALSE, started, &err))
		return io_failure(client, method, started, err);
	root = mesh_json_parse((const char *)body, len, MESH_CLIENT_FRAME_MAX, &error);
	/* Answers may carry shares and passwords. */
	OPENSSL_cleanse(body, len);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		return fail_broken(client, MESH_ERROR_PROTOCOL,
				   root == NULL ? error->message : "the answer is no object", 0);
	obj = json_node_get_object(root);
	if (!mesh_json_check_members(obj, allowed, &error) ||
	    !mesh_json_get_int(obj, "Id", &id, &error))
		return fail_broken(client, MESH_ERROR_PROTOCOL, error->message, 0);
	if (id != want)
		return fail_broken(client, MESH_ERROR_PROTOCOL,
				   "the agent answered another request than the one sent", 0);
	if (json_object_has_member(obj, "Error") == json_object_has_member(obj, "Result"))
		return fail_broken(client, MESH_ERROR_PROTOCOL,
				   "the answer has neither or both of Result and Error", 0);
	if (json_object_has_member(obj, "Error"))
		return answer_error(client, obj);
	result = json_object_get_member(obj, "Result");
	if (!JSON_NODE_HOLDS_OBJECT(result))
		return fail_broken(client, MESH_ERROR_PROTOCOL, "the Result is not an object", 0);
	if (ret_result != NULL)
		*ret_result = json_node_ref(result);
	g_free(client->last_error);
	client->last_error = NULL;
	return MESH_ERROR_OK;
}

/* Call @method with the Params @members (NULL: no Params); the request text is wiped. */
static MeshError
call(MeshClient *client, const char *method, const Member *members, gsize n_members,
     JsonNode **ret_result)
{
	g_autofree char *params = NULL;
	gsize len = 0;
	MeshError code;

	if (client == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	if (members != NULL) {
		code = check_members(client, members, n_members);
		if (code != MESH_ERROR_OK)
			return code;
		len = put_object(NULL, members, n_members);
		params = g_malloc(len);
		put_object(params, members, n_members);
	}
	code = call_text(client, method, params, len, ret_result);
	if (params != NULL)
		OPENSSL_cleanse(params, len);
	return code;
}

MeshError
mesh_client_call(MeshClient *client, const char *method, const char *params_json,
		 char **ret_result_json)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) params = NULL;
	g_autoptr(JsonNode) result = NULL;
	MeshError code;

	if (client == NULL || method == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	/* The method name goes into the frame as it is: letters and digits only. */
	for (const char *p = method; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p))
			return fail(client, MESH_ERROR_INVALID_ARGUMENT,
				    "a method name is letters and digits ('%s')", method);
	}
	if (*method == '\0')
		return fail(client, MESH_ERROR_INVALID_ARGUMENT, "the method name is empty");
	if (params_json != NULL) {
		params = mesh_json_parse(params_json, strlen(params_json), MESH_CLIENT_FRAME_MAX,
					 &error);
		if (params == NULL)
			return fail_error(client, g_steal_pointer(&error));
		if (!JSON_NODE_HOLDS_OBJECT(params))
			return fail(client, MESH_ERROR_MALFORMED, "the Params must be an object");
	}
	code = call_text(client, method, params_json, params_json ? strlen(params_json) : 0,
			 &result);
	if (code == MESH_ERROR_OK && ret_result_json != NULL)
		*ret_result_json = mesh_json_to_string(result);
	return code;
}

/* ---- Reading results -------------------------------------------------------------------- */

/*
 * A copy of the string @member of @obj in *@ret (NULL when absent and !@required). A wrong
 * answer is a protocol failure, reported once per call through *@code.
 */
static void
take_string(MeshClient *client, JsonObject *obj, const char *member, gboolean required,
	    char **ret, MeshError *code)
{
	g_autoptr(GError) error = NULL;
	const char *s = NULL;

	if (*code != MESH_ERROR_OK)
		return;
	if (required ? !mesh_json_get_string(obj, member, &s, &error) :
		       !mesh_json_get_string_opt(obj, member, &s, &error)) {
		*code = fail(client, MESH_ERROR_PROTOCOL, "the agent's answer: %s", error->message);
		return;
	}
	*ret = g_strdup(s);
}

static void
take_int(MeshClient *client, JsonObject *obj, const char *member, gint64 *ret, MeshError *code)
{
	g_autoptr(GError) error = NULL;

	if (*code != MESH_ERROR_OK)
		return;
	if (!mesh_json_get_int(obj, member, ret, &error))
		*code = fail(client, MESH_ERROR_PROTOCOL, "the agent's answer: %s", error->message);
}

static void
take_bool(MeshClient *client, JsonObject *obj, const char *member, int *ret, MeshError *code)
{
	JsonNode *node = json_object_get_member(obj, member);

	if (*code != MESH_ERROR_OK)
		return;
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_BOOLEAN) {
		*code = fail(client, MESH_ERROR_PROTOCOL,
			     "the agent's answer: \"%s\" is missing or not a boolean", member);
		return;
	}
	*ret = json_node_get_boolean(node) ? 1 : 0;
}

static JsonObject *
take_object(MeshClient *client, JsonObject *obj, const char *member, MeshError *code)
{
	g_autoptr(GError) error = NULL;
	JsonObject *ret = NULL;

	if (*code != MESH_ERROR_OK)
		return NULL;
	if (!mesh_json_get_object(obj, member, &ret, &error))
		*code = fail(client, MESH_ERROR_PROTOCOL, "the agent's answer: %s", error->message);
	return ret;
}

static JsonArray *
take_array(MeshClient *client, JsonObject *obj, const char *member, MeshError *code)
{
	g_autoptr(GError) error = NULL;
	JsonArray *ret = NULL;

	if (*code != MESH_ERROR_OK)
		return NULL;
	if (!mesh_json_get_array(obj, member, &ret, &error))
		*code = fail(client, MESH_ERROR_PROTOCOL, "the agent's answer: %s", error->message);
	return ret;
}

/* Reads one object of a list answer into the array element at @element. */
typedef void (*ReadElement)(MeshClient *client, JsonObject *obj, gpointer element,
			    MeshError *code);

/*
 * Call @method with the Params @params (NULL: none) and read the array @member of its answer,
 * an object per element, into a new zeroed array of elements of @size bytes. The array and its
 * length are written even on failure (so the caller frees what was read), except when the call
 * itself failed.
 */
static MeshError
call_list_with(MeshClient *client, const char *method, const Member *params, gsize n_params,
               const char *member, gsize size, ReadElement read, gpointer *ret_array, size_t *ret_n)
{
	g_autoptr(JsonNode) result = NULL;
	JsonArray *array;
	guint8 *elements;
	MeshError code;
	guint n = 0;

	code = call(client, method, params, n_params, &result);
	if (code != MESH_ERROR_OK)
		return code;
	array = take_array(client, json_node_get_object(result), member, &code);
	if (code == MESH_ERROR_OK)
		n = json_array_get_length(array);
	elements = g_malloc0_n(n + 1, size);
	for (guint i = 0; i < n && code == MESH_ERROR_OK; i++) {
		JsonNode *node = json_array_get_element(array, i);

		if (!JSON_NODE_HOLDS_OBJECT(node))
			code = fail(client, MESH_ERROR_PROTOCOL,
				    "the agent's answer: an entry of %s is not an object", member);
		else
			read(client, json_node_get_object(node), elements + i * size, &code);
	}
	*ret_array = elements;
	*ret_n = n;
	return code;
}

/* call_list_with, no Params. */
static MeshError
call_list(MeshClient *client, const char *method, const char *member, gsize size, ReadElement read,
          gpointer *ret_array, size_t *ret_n)
{
	return call_list_with(client, method, NULL, 0, member, size, read, ret_array, ret_n);
}

/* ---- Hello, Status ---------------------------------------------------------------------- */

void
mesh_client_hello_free(MeshClientHello *hello)
{
	if (hello == NULL)
		return;
	g_free(hello->hive);
	for (size_t i = 0; i < hello->n_methods; i++)
		g_free(hello->methods[i]);
	g_free(hello->methods);
	g_free(hello);
}

MeshError
mesh_client_hello(MeshClient *client, MeshClientHello **ret_hello)
{
	g_autoptr(JsonNode) result = NULL;
	MeshClientHello *hello;
	JsonObject *obj, *version;
	JsonArray *methods;
	gint64 major = 0, minor = 0;
	MeshError code;

	code = call(client, "Hello", NULL, 0, &result);
	if (code != MESH_ERROR_OK)
		return code;
	obj = json_node_get_object(result);
	hello = g_new0(MeshClientHello, 1);
	version = take_object(client, obj, "Version", &code);
	take_int(client, version, "Major", &major, &code);
	take_int(client, version, "Minor", &minor, &code);
	take_string(client, obj, "Hive", TRUE, &hello->hive, &code);
	methods = take_array(client, obj, "Methods", &code);
	if (code == MESH_ERROR_OK) {
		guint n = json_array_get_length(methods);

		hello->methods = g_new0(char *, n + 1);
		for (guint i = 0; i < n && code == MESH_ERROR_OK; i++) {
			JsonNode *node = json_array_get_element(methods, i);

			if (!JSON_NODE_HOLDS_VALUE(node) ||
			    json_node_get_value_type(node) != G_TYPE_STRING) {
				code = fail(client, MESH_ERROR_PROTOCOL,
					    "the agent's answer: a method name is not a string");
				break;
			}
			hello->methods[hello->n_methods++] = g_strdup(json_node_get_string(node));
		}
	}
	hello->major = (int)CLAMP(major, 0, G_MAXINT);
	hello->minor = (int)CLAMP(minor, 0, G_MAXINT);
	if (code != MESH_ERROR_OK) {
		mesh_client_hello_free(hello);
		return code;
	}
	*ret_hello = hello;
	return MESH_ERROR_OK;
}

void
mesh_client_status_free(MeshClientStatus *status)
{
	if (status == NULL)
		return;
	g_free(status->hive);
	g_free(status->location);
	g_free(status->socket);
	g_free(status->key_store);
	g_free(status->default_device);
	g_free(status);
}

MeshError
mesh_client_status(MeshClient *client, MeshClientStatus **ret_status)
{
	g_autoptr(JsonNode) result = NULL;
	MeshClientStatus *status;
	JsonObject *obj;
	MeshError code;

	code = call(client, "Status", NULL, 0, &result);
	if (code != MESH_ERROR_OK)
		return code;
	obj = json_node_get_object(result);
	status = g_new0(MeshClientStatus, 1);
	take_string(client, obj, "Hive", TRUE, &status->hive, &code);
	take_string(client, obj, "Location", TRUE, &status->location, &code);
	take_string(client, obj, "Socket", TRUE, &status->socket, &code);
	take_int(client, obj, "Pid", &status->pid, &code);
	take_bool(client, obj, "Locked", &status->locked, &code);
	take_string(client, obj, "KeyStore", TRUE, &status->key_store, &code);
	take_string(client, obj, "DefaultDevice", FALSE, &status->default_device, &code);
	take_int(client, obj, "Devices", &status->devices, &code);
	take_int(client, obj, "Keys", &status->keys, &code);
	if (code != MESH_ERROR_OK) {
		mesh_client_status_free(status);
		return code;
	}
	*ret_status = status;
	return MESH_ERROR_OK;
}

/* The "KeyStore" member of a request that makes keys (left out when not set). */
#define KEYSTORE(c) { (c) != NULL && (c)->keystore != NULL ? "KeyStore" : NULL, 's', \
		      (c) != NULL ? (c)->keystore : NULL, 0 }

void
mesh_client_set_keystore(MeshClient *client, const char *name)
{
	if (client == NULL)
		return;
	g_free(client->keystore);
	client->keystore = g_strdup(name);
}

/* The "Passphrase" member of a session method that makes keys (left out when not set). */
#define PASSPHRASE(c)                                                                              \
	{                                                                                          \
		(c) != NULL && (c)->passphrase != NULL ? "Passphrase" : NULL, 's',                 \
		        (c) != NULL ? (c)->passphrase : NULL, 0                                    \
	}

void
mesh_client_set_passphrase(MeshClient *client, const char *passphrase)
{
	if (client == NULL)
		return;
	mesh_client_secret_free(client->passphrase);
	client->passphrase = g_strdup(passphrase);
}

/* ---- Devices ---------------------------------------------------------------------------- */

static void
device_clear(MeshClientDevice *device)
{
	g_free(device->identifier);
	g_free(device->description);
	g_free(device->created);
	g_free(device->signature_key);
	g_free(device->authentication_key);
	g_free(device->encryption_key);
	g_free(device->signed_profile);
}

void
mesh_client_device_free(MeshClientDevice *device)
{
	if (device == NULL)
		return;
	device_clear(device);
	g_free(device);
}

void
mesh_client_devices_free(MeshClientDevice *devices, size_t n)
{
	if (devices == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		device_clear(&devices[i]);
	g_free(devices);
}

/* A DeviceGet result (also the answer to DeviceCreate). */
static MeshError
device_from_result(MeshClient *client, JsonNode *result, MeshClientDevice **ret_device)
{
	JsonObject *obj = json_node_get_object(result), *keys;
	MeshClientDevice *device = g_new0(MeshClientDevice, 1);
	MeshError code = MESH_ERROR_OK;
	JsonNode *signed_profile;

	take_string(client, obj, "Identifier", TRUE, &device->identifier, &code);
	take_string(client, obj, "Description", FALSE, &device->description, &code);
	take_string(client, obj, "Created", TRUE, &device->created, &code);
	take_bool(client, obj, "Default", &device->is_default, &code);
	keys = take_object(client, obj, "Keys", &code);
	take_string(client, keys, "Signature", TRUE, &device->signature_key, &code);
	take_string(client, keys, "Authentication", TRUE, &device->authentication_key, &code);
	take_string(client, keys, "Encryption", TRUE, &device->encryption_key, &code);
	signed_profile = json_object_get_member(obj, "SignedProfile");
	if (code == MESH_ERROR_OK && signed_profile != NULL)
		device->signed_profile = mesh_json_to_string(signed_profile);
	if (code != MESH_ERROR_OK) {
		mesh_client_device_free(device);
		return code;
	}
	*ret_device = device;
	return MESH_ERROR_OK;
}

MeshError
mesh_client_device_create(MeshClient *client, const char *description, const char *passphrase,
			  MeshClientDevice **ret_device)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = {
		{ description ? "Description" : NULL, 's', description, 0 },
		{ passphrase ? "Passphrase" : NULL, 's', passphrase, 0 },
		KEYSTORE(client),
	};
	MeshError code;

	code = call(client, "DeviceCreate", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	return device_from_result(client, result, ret_device);
}

MeshError
mesh_client_device_get(MeshClient *client, const char *identifier, MeshClientDevice **ret_device)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { { identifier ? "Identifier" : NULL, 's', identifier, 0 } };
	MeshError code;

	code = call(client, "DeviceGet", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	return device_from_result(client, result, ret_device);
}

static void
read_device(MeshClient *client, JsonObject *obj, gpointer element, MeshError *code)
{
	MeshClientDevice *device = element;

	take_string(client, obj, "Identifier", TRUE, &device->identifier, code);
	take_string(client, obj, "Description", FALSE, &device->description, code);
	take_bool(client, obj, "Default", &device->is_default, code);
}

MeshError
mesh_client_device_list(MeshClient *client, MeshClientDevice **ret_devices, size_t *ret_n)
{
	gpointer devices = NULL;
	size_t n = 0;
	MeshError code;

	code = call_list(client, "DeviceList", "Devices", sizeof(MeshClientDevice), read_device,
			 &devices, &n);
	if (code != MESH_ERROR_OK) {
		mesh_client_devices_free(devices, n);
		return code;
	}
	*ret_devices = devices;
	if (ret_n != NULL)
		*ret_n = n;
	return MESH_ERROR_OK;
}

/* ---- Keys ------------------------------------------------------------------------------- */

void
mesh_client_keys_free(MeshClientKey *keys, size_t n)
{
	if (keys == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		g_free(keys[i].udf);
		g_free(keys[i].algorithm);
		g_free(keys[i].use);
		g_free(keys[i].store);
		g_free(keys[i].role);
		g_free(keys[i].account);
		g_free(keys[i].device);
	}
	g_free(keys);
}

/* {"UDF", "Algorithm", "Use", "Store"}: a key made or moved, and the start of a KeyList entry. */
static void
read_key_made(MeshClient *client, JsonObject *obj, MeshClientKey *key, MeshError *code)
{
	take_string(client, obj, "UDF", TRUE, &key->udf, code);
	take_string(client, obj, "Algorithm", TRUE, &key->algorithm, code);
	take_string(client, obj, "Use", TRUE, &key->use, code);
	take_string(client, obj, "Store", TRUE, &key->store, code);
}

static void
read_key(MeshClient *client, JsonObject *obj, gpointer element, MeshError *code)
{
	MeshClientKey *key = element;

	read_key_made(client, obj, key, code);
	take_bool(client, obj, "Locked", &key->locked, code);
	take_bool(client, obj, "Protected", &key->is_protected, code);
	take_string(client, obj, "Role", TRUE, &key->role, code);
	take_string(client, obj, "Account", FALSE, &key->account, code);
	take_string(client, obj, "Device", FALSE, &key->device, code);
}

MeshError
mesh_client_key_list(MeshClient *client, MeshClientKey **ret_keys, size_t *ret_n)
{
	gpointer keys = NULL;
	size_t n = 0;
	MeshError code;

	code = call_list(client, "KeyList", "Keys", sizeof(MeshClientKey), read_key, &keys, &n);
	if (code != MESH_ERROR_OK) {
		mesh_client_keys_free(keys, n);
		return code;
	}
	*ret_keys = keys;
	if (ret_n != NULL)
		*ret_n = n;
	return MESH_ERROR_OK;
}

/* Call KeyGenerate, KeyImport or KeyMove and read the key it answers (locked 0). */
static MeshError
key_call(MeshClient *client, const char *method, const Member *params, gsize n_params,
	 MeshClientKey **ret_key)
{
	g_autoptr(JsonNode) result = NULL;
	MeshClientKey *key;
	MeshError code;

	code = call(client, method, params, n_params, &result);
	if (code != MESH_ERROR_OK)
		return code;
	key = g_new0(MeshClientKey, 1);
	read_key_made(client, json_node_get_object(result), key, &code);
	if (code != MESH_ERROR_OK || ret_key == NULL) {
		mesh_client_keys_free(key, 1);
		return code;
	}
	*ret_key = key;
	return MESH_ERROR_OK;
}

MeshError
mesh_client_key_generate(MeshClient *client, const char *algorithm, const char *use,
			 const char *passphrase, MeshClientKey **ret_key)
{
	const Member params[] = {
		{ "Use", 's', use, 0 },
		{ algorithm ? "Algorithm" : NULL, 's', algorithm, 0 },
		{ passphrase ? "Passphrase" : NULL, 's', passphrase, 0 },
		KEYSTORE(client),
	};

	if (client == NULL || ret_key == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	if (use == NULL)
		return fail(client, MESH_ERROR_INVALID_ARGUMENT, "no key use given");
	return key_call(client, "KeyGenerate", params, G_N_ELEMENTS(params), ret_key);
}

MeshError
mesh_client_key_import(MeshClient *client, const char *pem, const char *use,
		       const char *file_passphrase, const char *passphrase, MeshClientKey **ret_key)
{
	const Member params[] = {
		{ "Key", 's', pem, 0 },
		{ "Use", 's', use, 0 },
		{ file_passphrase ? "FilePassphrase" : NULL, 's', file_passphrase, 0 },
		{ passphrase ? "Passphrase" : NULL, 's', passphrase, 0 },
		KEYSTORE(client),
	};

	if (client == NULL || ret_key == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	if (pem == NULL || use == NULL)
		return fail(client, MESH_ERROR_INVALID_ARGUMENT, "give the key and its use");
	return key_call(client, "KeyImport", params, G_N_ELEMENTS(params), ret_key);
}

MeshError
mesh_client_key_move(MeshClient *client, const char *udf, const char *to,
		     const char *passphrase, MeshClientKey **ret_key)
{
	const Member params[] = {
		{ "UDF", 's', udf, 0 },
		{ "To", 's', to, 0 },
		{ passphrase ? "Passphrase" : NULL, 's', passphrase, 0 },
	};

	if (client == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	if (udf == NULL || to == NULL)
		return fail(client, MESH_ERROR_INVALID_ARGUMENT, "give the key UDF and the store");
	return key_call(client, "KeyMove", params, G_N_ELEMENTS(params), ret_key);
}

MeshError
mesh_client_key_remove(MeshClient *client, const char *udf)
{
	const Member params[] = { { "UDF", 's', udf, 0 } };

	if (client == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	if (udf == NULL)
		return fail(client, MESH_ERROR_INVALID_ARGUMENT, "no key UDF given");
	return call(client, "KeyRemove", params, G_N_ELEMENTS(params), NULL);
}

void
mesh_client_public_key_free(MeshClientPublicKey *key)
{
	if (key == NULL)
		return;
	g_free(key->udf);
	g_free(key->algorithm);
	g_free(key->jwk);
	g_free(key->spki);
	g_free(key);
}

/* The base64url member @member of @obj, decoded to at most @max bytes. */
static GBytes *
take_b64u(MeshClient *client, JsonObject *obj, const char *member, gsize max, MeshError *code)
{
	g_autoptr(GError) error = NULL;
	const char *text = NULL;
	GBytes *bytes;

	if (*code != MESH_ERROR_OK)
		return NULL;
	if (!mesh_json_get_string(obj, member, &text, &error) ||
	    (bytes = mesh_b64u_decode_bytes(text, max, &error)) == NULL) {
		*code = fail(client, MESH_ERROR_PROTOCOL, "the agent's answer: %s: %s", member,
			     error->message);
		return NULL;
	}
	return bytes;
}

MeshError
mesh_client_key_public(MeshClient *client, const char *udf, MeshClientPublicKey **ret_key)
{
	g_autoptr(JsonNode) result = NULL;
	g_autoptr(GBytes) spki = NULL;
	const Member params[] = { { "UDF", 's', udf, 0 } };
	MeshClientPublicKey *key;
	JsonObject *obj;
	MeshError code;

	if (udf == NULL)
		return client ? fail(client, MESH_ERROR_INVALID_ARGUMENT, "no key UDF given") :
				MESH_ERROR_INVALID_ARGUMENT;
	code = call(client, "KeyPublic", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	obj = json_node_get_object(result);
	key = g_new0(MeshClientPublicKey, 1);
	take_string(client, obj, "UDF", TRUE, &key->udf, &code);
	take_string(client, obj, "Algorithm", TRUE, &key->algorithm, &code);
	if (take_object(client, obj, "PublicParameters", &code) != NULL)
		key->jwk = mesh_json_to_string(json_object_get_member(obj, "PublicParameters"));
	spki = take_b64u(client, obj, "SPKI", SPKI_MAX, &code);
	if (code != MESH_ERROR_OK) {
		mesh_client_public_key_free(key);
		return code;
	}
	key->spki = g_bytes_unref_to_data(g_steal_pointer(&spki), &key->spki_len);
	*ret_key = key;
	return MESH_ERROR_OK;
}

MeshError
mesh_client_key_sign(MeshClient *client, const char *udf, const void *data, size_t len,
		     uint8_t **ret_signature, size_t *ret_len)
{
	g_autoptr(JsonNode) result = NULL;
	g_autoptr(GBytes) signature = NULL;
	g_autofree char *b64 = NULL;
	MeshError code = MESH_ERROR_OK;
	gsize sig_len = 0;

	if (client == NULL || ret_signature == NULL || (data == NULL && len > 0))
		return MESH_ERROR_INVALID_ARGUMENT;
	if (udf == NULL)
		return fail(client, MESH_ERROR_INVALID_ARGUMENT, "no key UDF given");
	if (len > MESH_CLIENT_SIGN_MAX)
		return fail(client, MESH_ERROR_TOO_LARGE,
			    "%zu bytes to sign: the agent signs at most %d bytes at a time; sign a "
			    "digest of larger data",
			    len, MESH_CLIENT_SIGN_MAX);
	b64 = mesh_b64u_encode(data, len);
	{
		const Member params[] = { { "UDF", 's', udf, 0 }, { "Data", 's', b64, 0 } };

		code = call(client, "KeySign", params, G_N_ELEMENTS(params), &result);
	}
	if (code != MESH_ERROR_OK)
		return code;
	signature = take_b64u(client, json_node_get_object(result), "Signature",
			      MESH_CLIENT_SIGNATURE_LEN, &code);
	if (code != MESH_ERROR_OK)
		return code;
	if (g_bytes_get_size(signature) != MESH_CLIENT_SIGNATURE_LEN)
		return fail(client, MESH_ERROR_PROTOCOL,
			    "the agent's signature is %zu bytes, not %d",
			    g_bytes_get_size(signature), MESH_CLIENT_SIGNATURE_LEN);
	*ret_signature = g_bytes_unref_to_data(g_steal_pointer(&signature), &sig_len);
	if (ret_len != NULL)
		*ret_len = sig_len;
	return MESH_ERROR_OK;
}

/* ---- Hives, locking, shutdown ------------------------------------------------------------ */

MeshError
mesh_client_hive_migrate(MeshClient *client, const char *from, const char *to, int force,
			 int64_t *ret_copied)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = {
		{ "From", 's', from, 0 },
		{ "To", 's', to, 0 },
		{ force ? "Force" : NULL, 'b', NULL, 1 },
	};
	gint64 copied = 0;
	MeshError code;

	if (client == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	if (from == NULL || to == NULL)
		return fail(client, MESH_ERROR_INVALID_ARGUMENT, "give both hives: from and to");
	code = call(client, "HiveMigrate", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	take_int(client, json_node_get_object(result), "Copied", &copied, &code);
	if (code == MESH_ERROR_OK && ret_copied != NULL)
		*ret_copied = copied;
	return code;
}

MeshError
mesh_client_hive_set_keystore(MeshClient *client, const char *name)
{
	const Member params[] = { { "Store", 's', name, 0 } };

	if (client == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	if (name == NULL)
		return fail(client, MESH_ERROR_INVALID_ARGUMENT, "no key store given");
	return call(client, "HiveSetKeyStore", params, G_N_ELEMENTS(params), NULL);
}

MeshError
mesh_client_lock(MeshClient *client)
{
	return call(client, "Lock", NULL, 0, NULL);
}

MeshError
mesh_client_unlock(MeshClient *client, const char *passphrase, int64_t lifetime,
		   int64_t *ret_unlocked)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = {
		{ "Passphrase", 's', passphrase, 0 },
		{ lifetime >= 0 ? "Lifetime" : NULL, 'i', NULL, lifetime },
	};
	gint64 unlocked = 0;
	MeshError code;

	if (client == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	if (passphrase == NULL)
		return fail(client, MESH_ERROR_INVALID_ARGUMENT, "no passphrase given");
	code = call(client, "Unlock", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	take_int(client, json_node_get_object(result), "Unlocked", &unlocked, &code);
	if (code == MESH_ERROR_OK && ret_unlocked != NULL)
		*ret_unlocked = unlocked;
	return code;
}

MeshError
mesh_client_shutdown(MeshClient *client)
{
	return call(client, "Shutdown", NULL, 0, NULL);
}

/* ---- Session ------------------------------------------------------------------------------ */

/* The portal members of a session request (left out when not set): every method that reaches
 * the portal takes both; for an account the agent holds, Portal must be the one it uses. */
#define PORTAL_URL(c) { (c) != NULL && (c)->portal != NULL ? "Portal" : NULL, 's', \
			(c) != NULL ? (c)->portal : NULL, 0 }
#define PORTAL_CA(c) { (c) != NULL && (c)->portal_ca != NULL ? "PortalCA" : NULL, 's', \
		       (c) != NULL ? (c)->portal_ca : NULL, 0 }
#define ACCOUNT(a) { (a) != NULL ? "Account" : NULL, 's', (a), 0 }

static void wipe_node(JsonNode *node);

/* @n strings as a JSON array's text (NULL when one is missing or not UTF-8); the caller wipes
 * it (shares are secrets). */
static char *
string_array(const char *const *strings, size_t n)
{
	gsize len = 2;
	char *text;

	for (size_t i = 0; i < n; i++) {
		if (strings[i] == NULL || !g_utf8_validate(strings[i], -1, NULL))
			return NULL;
		len += put_string(NULL, strings[i]) + 1;
	}
	text = g_malloc0(len + 1);
	len = 0;
	text[len++] = '[';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			text[len++] = ',';
		len += put_string(text + len, strings[i]);
	}
	text[len++] = ']';
	return text;
}

static void
wipe_text(char *text)
{
	if (text != NULL)
		OPENSSL_cleanse(text, strlen(text));
	g_free(text);
}

void
mesh_client_set_portal(MeshClient *client, const char *url, const char *ca_file)
{
	if (client == NULL)
		return;
	g_free(client->portal);
	g_free(client->portal_ca);
	client->portal = g_strdup(url);
	client->portal_ca = g_strdup(ca_file);
}

void
mesh_client_secret_free(char *secret)
{
	if (secret == NULL)
		return;
	OPENSSL_cleanse(secret, strlen(secret));
	g_free(secret);
}

void
mesh_client_secrets_free(char **secrets, size_t n)
{
	if (secrets == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		mesh_client_secret_free(secrets[i]);
	g_free(secrets);
}

void
mesh_client_strings_free(char **strings, size_t n)
{
	if (strings == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		g_free(strings[i]);
	g_free(strings);
}

/* The strings of the array @member of @obj (a new vector of *@ret_n strings). */
static char **
take_strings(MeshClient *client, JsonObject *obj, const char *member, size_t *ret_n,
	     MeshError *code)
{
	JsonArray *array = take_array(client, obj, member, code);
	char **strings;
	guint n;

	*ret_n = 0;
	if (array == NULL)
		return NULL;
	n = json_array_get_length(array);
	strings = g_new0(char *, n + 1);
	for (guint i = 0; i < n; i++) {
		JsonNode *node = json_array_get_element(array, i);

		if (!JSON_NODE_HOLDS_VALUE(node) ||
		    json_node_get_value_type(node) != G_TYPE_STRING) {
			*code = fail(client, MESH_ERROR_PROTOCOL,
				     "the agent's answer: an entry of %s is not a string", member);
			break;
		}
		strings[i] = g_strdup(json_node_get_string(node));
		*ret_n = i + 1;
	}
	return strings;
}

void
mesh_client_apps_free(MeshClientApp *apps, size_t n)
{
	if (apps == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		g_free(apps[i].identifier);
		g_free(apps[i].type);
		g_free(apps[i].friendly);
	}
	g_free(apps);
}

static MeshClientApp *
take_apps(MeshClient *client, JsonObject *obj, size_t *ret_n, MeshError *code)
{
	JsonArray *array = take_array(client, obj, "Applications", code);
	MeshClientApp *apps;
	guint n;

	*ret_n = 0;
	if (array == NULL)
		return NULL;
	n = json_array_get_length(array);
	apps = g_new0(MeshClientApp, n + 1);
	*ret_n = n;
	for (guint i = 0; i < n && *code == MESH_ERROR_OK; i++) {
		JsonNode *node = json_array_get_element(array, i);

		if (!JSON_NODE_HOLDS_OBJECT(node)) {
			*code = fail(client, MESH_ERROR_PROTOCOL,
				     "the agent's answer: an application is not an object");
			break;
		}
		take_string(client, json_node_get_object(node), "Identifier", TRUE,
			    &apps[i].identifier, code);
		take_string(client, json_node_get_object(node), "Type", TRUE, &apps[i].type, code);
		take_string(client, json_node_get_object(node), "Friendly", FALSE,
			    &apps[i].friendly, code);
	}
	return apps;
}

void
mesh_client_profile_free(MeshClientProfile *profile)
{
	if (profile == NULL)
		return;
	g_free(profile->identifier);
	g_free(profile->account);
	mesh_client_strings_free(profile->devices, profile->n_devices);
	mesh_client_apps_free(profile->applications, profile->n_applications);
	g_free(profile->portal);
	g_free(profile->admin_key);
	mesh_client_strings_free(profile->escrows, profile->n_escrows);
	g_free(profile);
}

/* A profile result (ProfileCreate, ProfileGet, ProfileSync, ProfileRecover). */
static MeshError
profile_call(MeshClient *client, const char *method, const Member *params, gsize n_params,
	     MeshClientProfile **ret_profile)
{
	g_autoptr(JsonNode) result = NULL;
	MeshClientProfile *profile;
	JsonObject *obj;
	MeshError code;

	code = call(client, method, params, n_params, &result);
	if (code != MESH_ERROR_OK)
		return code;
	obj = json_node_get_object(result);
	profile = g_new0(MeshClientProfile, 1);
	take_string(client, obj, "Identifier", TRUE, &profile->identifier, &code);
	take_string(client, obj, "Account", TRUE, &profile->account, &code);
	take_int(client, obj, "Serial", &profile->serial, &code);
	profile->devices = take_strings(client, obj, "Devices", &profile->n_devices, &code);
	profile->applications = take_apps(client, obj, &profile->n_applications, &code);
	take_string(client, obj, "Portal", FALSE, &profile->portal, &code);
	take_string(client, obj, "AdministrationKey", FALSE, &profile->admin_key, &code);
	take_bool(client, obj, "MasterKeys", &profile->master_keys, &code);
	profile->escrows = take_strings(client, obj, "Escrows", &profile->n_escrows, &code);
	if (code != MESH_ERROR_OK || ret_profile == NULL) {
		mesh_client_profile_free(profile);
		return code;
	}
	*ret_profile = profile;
	return MESH_ERROR_OK;
}

MeshError
mesh_client_account_validate(MeshClient *client, const char *account, int *ret_valid,
			     char **ret_reason)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { { "Account", 's', account, 0 }, PORTAL_URL(client),
				  PORTAL_CA(client) };
	g_autofree char *reason = NULL;
	MeshError code;
	int valid = 0;

	if (client == NULL || account == NULL || ret_valid == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = call(client, "AccountValidate", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	take_bool(client, json_node_get_object(result), "Valid", &valid, &code);
	take_string(client, json_node_get_object(result), "Reason", FALSE, &reason, &code);
	if (code != MESH_ERROR_OK)
		return code;
	*ret_valid = valid;
	if (ret_reason != NULL)
		*ret_reason = g_steal_pointer(&reason);
	return MESH_ERROR_OK;
}

MeshError
mesh_client_profile_create(MeshClient *client, const char *account,
			   MeshClientProfile **ret_profile)
{
	const Member params[] = {{"Account", 's', account, 0},
	                         PORTAL_URL(client),
	                         PORTAL_CA(client),
	                         KEYSTORE(client),
	                         PASSPHRASE(client)};

	if (client == NULL || account == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	return profile_call(client, "ProfileCreate", params, G_N_ELEMENTS(params), ret_profile);
}

MeshError
mesh_client_profile_get(MeshClient *client, const char *account, MeshClientProfile **ret_profile)
{
	const Member params[] = { ACCOUNT(account) };

	return profile_call(client, "ProfileGet", params, G_N_ELEMENTS(params), ret_profile);
}

MeshError
mesh_client_profile_list(MeshClient *client, char ***ret_accounts, size_t *ret_n,
			 char **ret_default)
{
	g_autoptr(JsonNode) result = NULL;
	g_autofree char *default_account = NULL;
	char **accounts;
	size_t n = 0;
	MeshError code;

	if (client == NULL || ret_accounts == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = call(client, "ProfileList", NULL, 0, &result);
	if (code != MESH_ERROR_OK)
		return code;
	accounts = take_strings(client, json_node_get_object(result), "Accounts", &n, &code);
	take_string(client, json_node_get_object(result), "Default", FALSE, &default_account,
		    &code);
	if (code != MESH_ERROR_OK) {
		mesh_client_strings_free(accounts, n);
		return code;
	}
	*ret_accounts = accounts;
	if (ret_n != NULL)
		*ret_n = n;
	if (ret_default != NULL)
		*ret_default = g_steal_pointer(&default_account);
	return MESH_ERROR_OK;
}

MeshError
mesh_client_profile_sync(MeshClient *client, const char *account,
			 MeshClientProfile **ret_profile)
{
	const Member params[] = { ACCOUNT(account), PORTAL_URL(client), PORTAL_CA(client) };

	return profile_call(client, "ProfileSync", params, G_N_ELEMENTS(params), ret_profile);
}

static void
read_damage(MeshClient *client, JsonObject *obj, gpointer element, MeshError *code)
{
	MeshClientDamage *damage = element;
	gint64 value = 0;

	take_string(client, obj, "Entry", TRUE, &damage->entry, code);
	take_string(client, obj, "Account", FALSE, &damage->account, code);
	take_int(client, obj, "Code", &value, code);
	take_string(client, obj, "Message", TRUE, &damage->message, code);
	take_string(client, obj, "Fix", TRUE, &damage->fix, code);
	if (*code == MESH_ERROR_OK && (value <= 0 || value > 255))
		*code = fail(client, MESH_ERROR_PROTOCOL,
			     "the agent's answer: a damaged entry's Code is out of range");
	damage->code = (MeshError)value;
}

void
mesh_client_damages_free(MeshClientDamage *damages, size_t n)
{
	if (damages == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		g_free(damages[i].entry);
		g_free(damages[i].account);
		g_free(damages[i].message);
		g_free(damages[i].fix);
	}
	g_free(damages);
}

MeshError
mesh_client_profile_list_damaged(MeshClient *client, MeshClientDamage **ret_damages,
				 size_t *ret_n)
{
	gpointer damages = NULL;
	size_t n = 0;
	MeshError code;

	if (client == NULL || ret_damages == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = call_list(client, "ProfileList", "Damaged", sizeof(MeshClientDamage), read_damage,
			 &damages, &n);
	if (code != MESH_ERROR_OK) {
		mesh_client_damages_free(damages, n);
		return code;
	}
	*ret_damages = damages;
	if (ret_n != NULL)
		*ret_n = n;
	return MESH_ERROR_OK;
}

MeshError
mesh_client_profile_set_portal(MeshClient *client, const char *account, const char *url,
			       MeshClientProfile **ret_profile)
{
	const Member params[] = { ACCOUNT(account), { "Portal", 's', url, 0 },
				  PORTAL_CA(client) };

	if (client == NULL || url == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	return profile_call(client, "ProfileSetPortal", params, G_N_ELEMENTS(params),
			    ret_profile);
}

static MeshError
profile_delete(MeshClient *client, const char *account, gboolean force)
{
	const Member params[] = {{"Account", 's', account, 0},
	                         {force ? "Force" : NULL, 'b', NULL, 1}};

	if (client == NULL || account == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	return call(client, "ProfileDelete", params, G_N_ELEMENTS(params), NULL);
}

MeshError
mesh_client_profile_delete(MeshClient *client, const char *account)
{
	return profile_delete(client, account, FALSE);
}

MeshError
mesh_client_profile_delete_force(MeshClient *client, const char *account)
{
	return profile_delete(client, account, TRUE);
}

MeshError
mesh_client_escrow_create(MeshClient *client, const char *account, int quorum, int shares,
			  char ***ret_shares, size_t *ret_n, char **ret_identifier)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { ACCOUNT(account), { "Quorum", 'i', NULL, quorum },
				  { "Shares", 'i', NULL, shares }, PORTAL_URL(client), PORTAL_CA(client) };
	g_autofree char *identifier = NULL;
	char **texts;
	size_t n = 0;
	MeshError code;

	if (client == NULL || ret_shares == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = call(client, "EscrowCreate", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	take_string(client, json_node_get_object(result), "Identifier", FALSE, &identifier, &code);
	texts = take_strings(client, json_node_get_object(result), "Shares", &n, &code);
	wipe_node(result);
	if (code != MESH_ERROR_OK) {
		mesh_client_secrets_free(texts, n);
		return code;
	}
	*ret_shares = texts;
	if (ret_n != NULL)
		*ret_n = n;
	if (ret_identifier != NULL)
		*ret_identifier = g_steal_pointer(&identifier);
	return MESH_ERROR_OK;
}

MeshError
mesh_client_escrow_verify(MeshClient *client, const char *account, const char *const *shares,
			  size_t n)
{
	char *list;
	MeshError code;

	if (client == NULL || (shares == NULL && n > 0))
		return MESH_ERROR_INVALID_ARGUMENT;
	list = string_array(shares, n);
	if (list == NULL)
		return fail(client, MESH_ERROR_INVALID_ARGUMENT,
			    "a share is missing or not valid UTF-8 text");
	{
		const Member params[] = { ACCOUNT(account), { "Shares", 'j', list, 0 },
					  PORTAL_URL(client), PORTAL_CA(client) };

		code = call(client, "EscrowVerify", params, G_N_ELEMENTS(params), NULL);
	}
	wipe_text(list);
	return code;
}

MeshError
mesh_client_profile_recover(MeshClient *client, const char *account, const char *const *shares,
			    size_t n, MeshClientProfile **ret_profile)
{
	char *list;
	MeshError code;

	if (client == NULL || account == NULL || (shares == NULL && n > 0))
		return MESH_ERROR_INVALID_ARGUMENT;
	list = string_array(shares, n);
	if (list == NULL)
		return fail(client, MESH_ERROR_INVALID_ARGUMENT,
			    "a share is missing or not valid UTF-8 text");
	{
		const Member params[] = {{"Account", 's', account, 0},
		                         {"Shares", 'j', list, 0},
		                         PORTAL_URL(client),
		                         PORTAL_CA(client),
		                         KEYSTORE(client),
		                         PASSPHRASE(client)};

		code = profile_call(client, "ProfileRecover", params, G_N_ELEMENTS(params),
				    ret_profile);
	}
	wipe_text(list);
	return code;
}

void
mesh_client_connect_free(MeshClientConnect *connect)
{
	if (connect == NULL)
		return;
	g_free(connect->profile_udf);
	g_free(connect->device_udf);
	g_free(connect->witness);
	g_free(connect);
}

MeshError
mesh_client_connect_request(MeshClient *client, const char *account,
			    MeshClientConnect **ret_connect)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = {{"Account", 's', account, 0},
	                         PORTAL_URL(client),
	                         PORTAL_CA(client),
	                         KEYSTORE(client),
	                         PASSPHRASE(client)};
	MeshClientConnect *connect;
	JsonObject *obj;
	MeshError code;

	if (client == NULL || account == NULL || ret_connect == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = call(client, "ConnectRequest", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	obj = json_node_get_object(result);
	connect = g_new0(MeshClientConnect, 1);
	take_string(client, obj, "ProfileUDF", TRUE, &connect->profile_udf, &code);
	take_string(client, obj, "DeviceUDF", TRUE, &connect->device_udf, &code);
	take_string(client, obj, "Witness", TRUE, &connect->witness, &code);
	if (code != MESH_ERROR_OK) {
		mesh_client_connect_free(connect);
		return code;
	}
	*ret_connect = connect;
	return MESH_ERROR_OK;
}

MeshError
mesh_client_connect_status(MeshClient *client, const char *account, char **ret_state)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { ACCOUNT(account), PORTAL_URL(client), PORTAL_CA(client) };
	g_autofree char *state = NULL;
	MeshError code;

	if (client == NULL || ret_state == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = call(client, "ConnectStatus", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	take_string(client, json_node_get_object(result), "State", TRUE, &state, &code);
	if (code != MESH_ERROR_OK)
		return code;
	*ret_state = g_steal_pointer(&state);
	return MESH_ERROR_OK;
}

void
mesh_client_pending_free(MeshClientPending *pending, size_t n)
{
	if (pending == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		g_free(pending[i].device_udf);
		g_free(pending[i].description);
		g_free(pending[i].witness);
		g_free(pending[i].expires);
	}
	g_free(pending);
}

MeshError
mesh_client_connect_pending(MeshClient *client, const char *account,
			    MeshClientPending **ret_pending, size_t *ret_n)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { ACCOUNT(account), PORTAL_URL(client), PORTAL_CA(client) };
	MeshClientPending *pending;
	JsonArray *array;
	MeshError code;
	guint n;

	if (client == NULL || ret_pending == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = call(client, "ConnectPending", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	array = take_array(client, json_node_get_object(result), "Pending", &code);
	if (code != MESH_ERROR_OK)
		return code;
	n = json_array_get_length(array);
	pending = g_new0(MeshClientPending, n + 1);
	for (guint i = 0; i < n && code == MESH_ERROR_OK; i++) {
		JsonNode *node = json_array_get_element(array, i);
		JsonObject *obj;

		if (!JSON_NODE_HOLDS_OBJECT(node)) {
			code = fail(client, MESH_ERROR_PROTOCOL,
				    "the agent's answer: a pending request is not an object");
			break;
		}
		obj = json_node_get_object(node);
		take_string(client, obj, "DeviceUDF", TRUE, &pending[i].device_udf, &code);
		take_string(client, obj, "Description", FALSE, &pending[i].description, &code);
		take_string(client, obj, "Witness", TRUE, &pending[i].witness, &code);
		take_string(client, obj, "Expires", TRUE, &pending[i].expires, &code);
	}
	if (code != MESH_ERROR_OK) {
		mesh_client_pending_free(pending, n);
		return code;
	}
	*ret_pending = pending;
	if (ret_n != NULL)
		*ret_n = n;
	return MESH_ERROR_OK;
}

static MeshError
connect_answer(MeshClient *client, const char *method, const char *account, const char *witness)
{
	const Member params[] = { ACCOUNT(account), { "Witness", 's', witness, 0 },
				  PORTAL_URL(client), PORTAL_CA(client) };

	if (client == NULL || witness == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	return call(client, method, params, G_N_ELEMENTS(params), NULL);
}

MeshError
mesh_client_connect_accept(MeshClient *client, const char *account, const char *witness)
{
	return connect_answer(client, "ConnectAccept", account, witness);
}

MeshError
mesh_client_connect_reject(MeshClient *client, const char *account, const char *witness)
{
	return connect_answer(client, "ConnectReject", account, witness);
}

MeshError
mesh_client_app_list(MeshClient *client, const char *account, MeshClientApp **ret_apps,
		     size_t *ret_n)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { ACCOUNT(account) };
	MeshClientApp *apps;
	size_t n = 0;
	MeshError code;

	if (client == NULL || ret_apps == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = call(client, "AppList", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	apps = take_apps(client, json_node_get_object(result), &n, &code);
	if (code != MESH_ERROR_OK) {
		mesh_client_apps_free(apps, n);
		return code;
	}
	*ret_apps = apps;
	if (ret_n != NULL)
		*ret_n = n;
	return MESH_ERROR_OK;
}

MeshError
mesh_client_app_add_generic(MeshClient *client, const char *account, const char *name,
			    char **ret_identifier)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { ACCOUNT(account), { "Type", 's', "Generic", 0 },
				  { "Name", 's', name, 0 }, PORTAL_URL(client), PORTAL_CA(client) };
	g_autofree char *identifier = NULL;
	MeshError code;

	if (client == NULL || name == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = call(client, "AppAdd", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	take_string(client, json_node_get_object(result), "Identifier", TRUE, &identifier, &code);
	if (code == MESH_ERROR_OK && ret_identifier != NULL)
		*ret_identifier = g_steal_pointer(&identifier);
	return code;
}

MeshError
mesh_client_app_set(MeshClient *client, const char *account, const char *name,
		    const char *data_json)
{
	const Member params[] = { ACCOUNT(account), { "Name", 's', name, 0 },
				  { "Data", 's', data_json, 0 }, PORTAL_URL(client), PORTAL_CA(client) };

	if (client == NULL || name == NULL || data_json == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	return call(client, "AppSet", params, G_N_ELEMENTS(params), NULL);
}

MeshError
mesh_client_app_delete(MeshClient *client, const char *account, const char *name)
{
	const Member params[] = {ACCOUNT(account), {"Name", 's', name, 0}, PORTAL_URL(client),
	                         PORTAL_CA(client)};

	if (client == NULL || name == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	return call(client, "AppDelete", params, G_N_ELEMENTS(params), NULL);
}

/* Wipe every string of @node (an answer that carried secrets), as the agent does. */
static void
wipe_node(JsonNode *node)
{
	if (node == NULL)
		return;
	if (JSON_NODE_HOLDS_OBJECT(node)) {
		g_autoptr(GList) values = json_object_get_values(json_node_get_object(node));

		for (GList *l = values; l != NULL; l = l->next)
			wipe_node(l->data);
	} else if (JSON_NODE_HOLDS_ARRAY(node)) {
		JsonArray *array = json_node_get_array(node);

		for (guint i = 0; i < json_array_get_length(array); i++)
			wipe_node(json_array_get_element(array, i));
	} else if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING) {
		char *text = (char *)json_node_get_string(node);

		OPENSSL_cleanse(text, strlen(text));
	}
}

/* The secret string @member of @obj, copied into a new buffer. */
static void
take_secret(MeshClient *client, JsonObject *obj, const char *member, char **ret, MeshError *code)
{
	take_string(client, obj, member, TRUE, ret, code);
}

MeshError
mesh_client_app_get(MeshClient *client, const char *account, const char *name, char **ret_json)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { ACCOUNT(account), { "Name", 's', name, 0 } };
	char *data = NULL;
	MeshError code;

	if (client == NULL || name == NULL || ret_json == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = call(client, "AppGet", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	take_secret(client, json_node_get_object(result), "Data", &data, &code);
	wipe_node(result);
	if (code != MESH_ERROR_OK)
		return code;
	*ret_json = data;
	return MESH_ERROR_OK;
}

/* PasswordAdd or PasswordSet (@method): *@ret_generated gets the password the agent made when
 * @password is NULL. */
static MeshError
password_store(MeshClient *client, const char *method, const char *account, const char *site,
               const char *username, const char *password, char **ret_generated)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { ACCOUNT(account), { "Site", 's', site, 0 },
				  { "Username", 's', username, 0 },
				  { password != NULL ? "Password" : NULL, 's', password, 0 },
				  PORTAL_URL(client), PORTAL_CA(client) };
	char *generated = NULL;
	MeshError code;

	if (client == NULL || site == NULL || username == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = call(client, method, params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	if (password == NULL)
		take_secret(client, json_node_get_object(result), "Password", &generated, &code);
	wipe_node(result);
	if (code != MESH_ERROR_OK)
		return code;
	if (ret_generated != NULL)
		*ret_generated = generated;
	else
		mesh_client_secret_free(generated);
	return MESH_ERROR_OK;
}

MeshError
mesh_client_password_add(MeshClient *client, const char *account, const char *site,
                         const char *username, const char *password, char **ret_generated)
{
	return password_store(client, "PasswordAdd", account, site, username, password,
	                      ret_generated);
}

MeshError
mesh_client_password_set(MeshClient *client, const char *account, const char *site,
                         const char *username, const char *password, char **ret_generated)
{
	return password_store(client, "PasswordSet", account, site, username, password,
	                      ret_generated);
}

MeshError
mesh_client_password_get_login(MeshClient *client, const char *account, const char *site,
                               const char *username, char **ret_username, char **ret_password)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = {ACCOUNT(account),
	                         {"Site", 's', site, 0},
	                         {username != NULL ? "Username" : NULL, 's', username, 0}};
	g_autofree char *user = NULL;
	char *password = NULL;
	MeshError code;

	if (client == NULL || site == NULL || ret_password == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = call(client, "PasswordGet", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	take_string(client, json_node_get_object(result), "Username", TRUE, &user, &code);
	take_secret(client, json_node_get_object(result), "Password", &password, &code);
	wipe_node(result);
	if (code != MESH_ERROR_OK) {
		mesh_client_secret_free(password);
		return code;
	}
	if (ret_username != NULL)
		*ret_username = g_steal_pointer(&user);
	*ret_password = password;
	return MESH_ERROR_OK;
}

MeshError
mesh_client_password_get(MeshClient *client, const char *account, const char *site,
                         char **ret_username, char **ret_password)
{
	return mesh_client_password_get_login(client, account, site, NULL, ret_username,
	                                      ret_password);
}

MeshError
mesh_client_password_list(MeshClient *client, const char *account, char ***ret_sites,
			  size_t *ret_n)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { ACCOUNT(account) };
	char **sites;
	size_t n = 0;
	MeshError code;

	if (client == NULL || ret_sites == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = call(client, "PasswordList", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	sites = take_strings(client, json_node_get_object(result), "Sites", &n, &code);
	if (code != MESH_ERROR_OK) {
		mesh_client_strings_free(sites, n);
		return code;
	}
	*ret_sites = sites;
	if (ret_n != NULL)
		*ret_n = n;
	return MESH_ERROR_OK;
}

void
mesh_client_logins_free(MeshClientLogin *logins, size_t n)
{
	if (logins == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		g_free(logins[i].site);
		g_free(logins[i].username);
	}
	g_free(logins);
}

static void
read_login(MeshClient *client, JsonObject *obj, gpointer element, MeshError *code)
{
	MeshClientLogin *login = element;

	take_string(client, obj, "Site", TRUE, &login->site, code);
	take_string(client, obj, "Username", TRUE, &login->username, code);
}

MeshError
mesh_client_password_logins(MeshClient *client, const char *account, MeshClientLogin **ret_logins,
                            size_t *ret_n)
{
	const Member params[] = {ACCOUNT(account)};
	gpointer logins = NULL;
	size_t n = 0;
	MeshError code;

	if (client == NULL || ret_logins == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = call_list_with(client, "PasswordList", params, G_N_ELEMENTS(params), "Logins",
	                      sizeof(MeshClientLogin), read_login, &logins, &n);
	if (code != MESH_ERROR_OK) {
		mesh_client_logins_free(logins, n);
		return code;
	}
	*ret_logins = logins;
	if (ret_n != NULL)
		*ret_n = n;
	return MESH_ERROR_OK;
}

MeshError
mesh_client_password_delete_login(MeshClient *client, const char *account, const char *site,
                                  const char *username)
{
	const Member params[] = {ACCOUNT(account),
	                         {"Site", 's', site, 0},
	                         {username != NULL ? "Username" : NULL, 's', username, 0},
	                         PORTAL_URL(client),
	                         PORTAL_CA(client)};

	if (client == NULL || site == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	return call(client, "PasswordDelete", params, G_N_ELEMENTS(params), NULL);
}

MeshError
mesh_client_password_delete(MeshClient *client, const char *account, const char *site)
{
	return mesh_client_password_delete_login(client, account, site, NULL);
}

/* ---- SSH -------------------------------------------------------------------------------- */

void
mesh_client_ssh_keys_free(MeshClientSshKey *keys, size_t n)
{
	if (keys == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		g_free(keys[i].device_udf);
		g_free(keys[i].public_key);
	}
	g_free(keys);
}

MeshError
mesh_client_ssh_create(MeshClient *client, const char *account, const char *passphrase,
		       char **ret_udf, char **ret_public_key)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { ACCOUNT(account),
				  { passphrase != NULL ? "Passphrase" : NULL, 's', passphrase, 0 },
				  PORTAL_URL(client), PORTAL_CA(client), KEYSTORE(client) };
	g_autofree char *udf = NULL;
	g_autofree char *line = NULL;
	MeshError code;

	if (client == NULL || ret_public_key == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = call(client, "SshCreate", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	take_string(client, json_node_get_object(result), "UDF", TRUE, &udf, &code);
	take_string(client, json_node_get_object(result), "PublicKey", TRUE, &line, &code);
	if (code != MESH_ERROR_OK)
		return code;
	if (ret_udf != NULL)
		*ret_udf = g_steal_pointer(&udf);
	*ret_public_key = g_steal_pointer(&line);
	return MESH_ERROR_OK;
}

MeshError
mesh_client_ssh_authorized_keys(MeshClient *client, const char *account,
				MeshClientSshKey **ret_keys, size_t *ret_n)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { ACCOUNT(account) };
	MeshClientSshKey *keys;
	JsonArray *array;
	MeshError code;
	guint n = 0;

	if (client == NULL || ret_keys == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = call(client, "SshAuthorizedKeys", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	array = take_array(client, json_node_get_object(result), "Keys", &code);
	if (code == MESH_ERROR_OK)
		n = json_array_get_length(array);
	keys = g_new0(MeshClientSshKey, n + 1);
	for (guint i = 0; i < n && code == MESH_ERROR_OK; i++) {
		JsonNode *node = json_array_get_element(array, i);

		if (!JSON_NODE_HOLDS_OBJECT(node)) {
			code = fail(client, MESH_ERROR_PROTOCOL,
				    "the agent's answer: an entry of Keys is not an object");
			break;
		}
		take_string(client, json_node_get_object(node), "DeviceUDF", TRUE,
			    &keys[i].device_udf, &code);
		take_string(client, json_node_get_object(node), "PublicKey", TRUE,
			    &keys[i].public_key, &code);
	}
	if (code != MESH_ERROR_OK) {
		mesh_client_ssh_keys_free(keys, n);
		return code;
	}
	*ret_keys = keys;
	if (ret_n != NULL)
		*ret_n = n;
	return MESH_ERROR_OK;
}

MeshError
mesh_client_ssh_socket(MeshClient *client, char **ret_path)
{
	g_autoptr(JsonNode) result = NULL;
	char *path = NULL;
	MeshError code;

	if (client == NULL || ret_path == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = call(client, "Status", NULL, 0, &result);
	if (code != MESH_ERROR_OK)
		return code;
	take_string(client, json_node_get_object(result), "SSHAgentSocket", FALSE, &path, &code);
	if (code != MESH_ERROR_OK)
		return code;
	if (path == NULL)
		return fail(client, MESH_ERROR_NOT_FOUND, "this agent serves no ssh-agent socket");
	*ret_path = path;
	return MESH_ERROR_OK;
}
