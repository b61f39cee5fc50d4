/* SPDX-License-Identifier: MIT */
/*
 * libmeshclient: the flat client API of <mesh/client.h> over the agent protocol
 * (docs/protocol.md "Agent methods"): blocking I/O on one connection to the agent (the
 * transport of core/transport.h), one request and one answer at a time, framed by the agent's
 * own codec (ipc/frame.h). Requests are written as JSON text by hand into one buffer of the
 * exact size, so a passphrase exists only there and in its frame, both wiped after sending;
 * answers go through the strict JSON reader, at most MESH_FRAME_MAX bytes.
 *
 * This file: opening and closing a connection, its errors, and requests.
 */
#include "client-private.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <string.h>

#include "error.h"
#include "frame.h"
#include "hive.h"
#include "json.h"
#include "platform.h"

/*
 * How long a request may go unanswered: after MESH_TRANSPORT_IO_TIMEOUT_SECONDS the client
 * asks, on a connection of its own, whether the agent answers Hello within as long again. An
 * agent that does not is reported at once (Timeout): it is stopped or stuck. One that does is
 * busy with the request (a portal method waits on the network, 30 s at most per transaction,
 * and behind the other portal methods), and is given up to ANSWER_MAX_SECONDS in all.
 */
#define IO_TIMEOUT_SECONDS MESH_TRANSPORT_IO_TIMEOUT_SECONDS
#define ANSWER_MAX_SECONDS 600

MeshError
client_fail(MeshClient *client, MeshError code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_free(client->last_error);
	client->last_error = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	return code;
}

MeshError
client_fail_error(MeshClient *client, GError *error)
{
	MeshError code = mesh_error_code(error);

	client_fail(client, code, "%s", error->message);
	g_error_free(error);
	return code;
}

/* A failure that leaves the stream in an unknown state: no further call may use it. @reason
 * (may be NULL) is appended to @what. */
static MeshError
fail_broken(MeshClient *client, MeshError code, const char *what, const char *reason)
{
	g_clear_pointer(&client->conn, mesh_transport_connection_free);
	if (reason != NULL)
		return client_fail(client, code, "%s: %s", what, reason);
	return client_fail(client, code, "%s", what);
}

/* ---- Connecting ------------------------------------------------------------------------- */

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

/* Connect to the agent at @path; an agent that takes no connection is named, with what to do
 * about it. */
static MeshTransportConnection *
connect_agent(const char *path, GError **error)
{
	g_autoptr(GError) local = NULL;
	MeshTransportConnection *conn = mesh_transport_connect(path, &local);

	if (conn == NULL && g_error_matches(local, MESH_ERROR, MESH_ERROR_TIMEOUT)) {
		gint64 pid = mesh_transport_agent_pid(path);
		g_autofree char *name = agent_name(path, pid);
		g_autofree char *advice = stuck_advice(pid);

		g_set_error(error, MESH_ERROR, MESH_ERROR_TIMEOUT,
			    "%s took no connection in %d s: every one of its connections is held "
			    "(end the programs that hold them), or %s",
			    name, IO_TIMEOUT_SECONDS, advice);
	} else if (conn == NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
	}
	return conn;
}

MeshError
mesh_client_open_socket_message(const char *path, MeshClient **ret_client, char **message)
{
	g_autoptr(GError) error = NULL;
	MeshTransportConnection *conn;
	MeshClient *client;

	if (path == NULL || ret_client == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	conn = connect_agent(path, &error);
	if (conn == NULL) {
		if (message != NULL)
			*message = g_strdup(error->message);
		return mesh_error_code(error);
	}
	client = g_new0(MeshClient, 1);
	client->conn = conn;
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
	mesh_transport_connection_free(client->conn);
	g_free(client->path);
	g_free(client->last_error);
	g_free(client->last_queued);
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

const char *
mesh_client_last_queued(const MeshClient *client)
{
	return client != NULL ? client->last_queued : NULL;
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
mesh_client_set_keystore(MeshClient *client, const char *name)
{
	if (client == NULL)
		return;
	g_free(client->keystore);
	client->keystore = g_strdup(name);
}

void
mesh_client_set_passphrase(MeshClient *client, const char *passphrase)
{
	if (client == NULL)
		return;
	mesh_client_secret_free(client->passphrase);
	client->passphrase = g_strdup(passphrase);
}

/* ---- Requests --------------------------------------------------------------------------- */

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
			return client_fail(client, MESH_ERROR_INVALID_ARGUMENT,
				    "%s is not valid UTF-8 text", members[i].name);

	}
	return MESH_ERROR_OK;
}

char *
client_string_array(const char *const *strings, size_t n)
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

void
client_wipe_text(char *text)
{
	if (text != NULL)
		OPENSSL_cleanse(text, strlen(text));
	g_free(text);
}

/*
 * Whether the agent answers Hello within IO_TIMEOUT_SECONDS on a connection of its own: then it
 * is alive, and only busy with the request another connection waits on.
 */
static gboolean
agent_alive(const char *path)
{
	static const char hello[] = "{\"Id\":1,\"Method\":\"Hello\"}";
	g_autoptr(MeshTransportConnection) conn = connect_agent(path, NULL);
	g_autoptr(GBytes) frame = NULL;
	guint8 head[MESH_FRAME_HEADER_LEN];

	if (conn == NULL ||
	    mesh_frame_encode((const guint8 *)hello, sizeof hello - 1, MESH_FRAME_MAX, &frame) !=
		    MESH_ERROR_OK ||
	    !mesh_transport_send(conn, g_bytes_get_data(frame, NULL), g_bytes_get_size(frame),
				 NULL))
		return FALSE;
	return mesh_transport_receive(conn, head, sizeof head, NULL, NULL, NULL);
}

/* An answer awaited since @started (monotonic) on the agent at @path. */
typedef struct {
	const char *path;
	gint64 started;
} Awaited;

/* While an answer is awaited: wait on while the agent is alive (agent_alive) and the wait began
 * at most ANSWER_MAX_SECONDS ago. */
static gboolean
keep_waiting(gpointer user_data)
{
	const Awaited *awaited = user_data;

	return g_get_monotonic_time() - awaited->started < ANSWER_MAX_SECONDS * G_USEC_PER_SEC &&
	       agent_alive(awaited->path);
}

/*
 * A failure (@error, from the transport) to send @method or to read its answer, awaited since
 * @started (0: while sending): the agent went away (AgentUnavailable), does not answer
 * (Timeout), or something else broke (Io). The message names the agent's pid and says what to
 * do.
 */
static MeshError
io_failure(MeshClient *client, const char *method, gint64 started, const GError *error)
{
	gint64 pid = mesh_transport_agent_pid(client->path);
	gint64 waited = started > 0 ? (g_get_monotonic_time() - started) / G_USEC_PER_SEC : 0;
	g_autofree char *name = agent_name(client->path, pid);
	g_autofree char *advice = stuck_advice(pid);
	g_autofree char *message = NULL;
	gboolean timeout = g_error_matches(error, MESH_ERROR, MESH_ERROR_TIMEOUT);
	MeshError code = MESH_ERROR_TIMEOUT;

	if (timeout && waited >= ANSWER_MAX_SECONDS)
		message = g_strdup_printf("%s has not answered %s in %" G_GINT64_FORMAT
					  " s, though it answers other requests: stop it ('mesh "
					  "agent stop') and try again",
					  name, method, waited);
	else if (timeout && started > 0)
		message = g_strdup_printf("%s has not answered %s in %" G_GINT64_FORMAT " s, nor "
					  "Hello on another connection: %s",
					  name, method, waited, advice);
	else if (timeout)
		message = g_strdup_printf("%s has not read the request %s in %d s: %s", name,
					  method, IO_TIMEOUT_SECONDS, advice);
	if (message != NULL)
		return fail_broken(client, code, message, NULL);
	if (g_error_matches(error, MESH_ERROR, MESH_ERROR_AGENT_UNAVAILABLE)) {
		message = g_strdup_printf("%s went away before it answered %s (it was stopped or "
					  "crashed); the next mesh command starts a new agent",
					  name, method);
		return fail_broken(client, MESH_ERROR_AGENT_UNAVAILABLE, message, NULL);
	}
	message = g_strdup_printf("talking to %s (%s)", name, method);
	return fail_broken(client, MESH_ERROR_IO, message, error->message);
}

/* Send the request: one body of exactly the right size in its frame, both wiped once sent. */
static MeshError
send_request(MeshClient *client, gint64 id, const char *method, const char *params,
	     gsize params_len)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) frame = NULL;
	char head[64];
	gsize head_len, method_len = strlen(method), body_len, off = 0;
	guint8 *body;
	MeshError code;

	head_len = (gsize)g_snprintf(head, sizeof head,
				     "{\"Id\":%" G_GINT64_FORMAT ",\"Method\":\"", id);
	body_len = head_len + method_len + 1 + (params != NULL ? 10 + params_len : 0) + 1;
	if (body_len > MESH_FRAME_MAX)
		return client_fail(client, MESH_ERROR_TOO_LARGE,
				   "the request to %s is %zu bytes, above the limit of %d", method,
				   body_len, MESH_FRAME_MAX);
	body = g_malloc(body_len);
	memcpy(body + off, head, head_len);
	off += head_len;
	memcpy(body + off, method, method_len);
	off += method_len;
	body[off++] = '"';
	if (params != NULL) {
		memcpy(body + off, ",\"Params\":", 10);
		off += 10;
		memcpy(body + off, params, params_len);
		off += params_len;
	}
	body[off++] = '}';
	/* The frame's copy is wiped when it is freed (mesh_frame_encode). */
	code = mesh_frame_encode(body, body_len, MESH_FRAME_MAX, &frame);
	OPENSSL_cleanse(body, body_len);
	g_free(body);
	if (code != MESH_ERROR_OK)
		return client_fail(client, code, "the request to %s cannot be framed", method);
	if (!mesh_transport_send(client->conn, g_bytes_get_data(frame, NULL),
				 g_bytes_get_size(frame), &error))
		return io_failure(client, method, 0, error);
	return MESH_ERROR_OK;
}

/*
 * Read one frame of the answer to @method, awaited since @started, into @reader: the header
 * first (the reader checks its length), then the body in pieces. A stack buffer carries each
 * piece and is wiped at the end (answers may carry shares and passwords).
 */
static MeshError
receive_frame(MeshClient *client, const char *method, gint64 started, MeshFrameReader *reader)
{
	Awaited awaited = { client->path, started };
	g_autoptr(GError) error = NULL;
	guint8 buf[4096];
	gsize remaining, want = MESH_FRAME_HEADER_LEN, used = 0;
	MeshError code = MESH_ERROR_OK;

	if (!mesh_transport_receive(client->conn, buf, want, keep_waiting, &awaited, &error))
		return io_failure(client, method, started, error);
	if (mesh_frame_reader_feed(reader, buf, want, &used) != MESH_ERROR_OK)
		return fail_broken(client, MESH_ERROR_PROTOCOL,
				   "the agent sent a frame of a length out of range", NULL);
	remaining = mesh_frame_length(buf);
	while (remaining > 0 && code == MESH_ERROR_OK) {
		want = MIN(sizeof buf, remaining);
		if (!mesh_transport_receive(client->conn, buf, want, keep_waiting, &awaited,
					    &error))
			code = io_failure(client, method, started, error);
		else if (mesh_frame_reader_feed(reader, buf, want, &used) != MESH_ERROR_OK ||
			 used != want)
			code = fail_broken(client, MESH_ERROR_PROTOCOL,
					   "the agent's frame could not be read", NULL);
		remaining -= want;
	}
	OPENSSL_cleanse(buf, sizeof buf);
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
		return fail_broken(client, MESH_ERROR_PROTOCOL, error->message, NULL);
	/* Codes are exit statuses too: anything outside 1..255 is not a MeshError. */
	if (code <= 0 || code > 255)
		return fail_broken(client, MESH_ERROR_PROTOCOL,
				   "the agent answered with an error code out of range", NULL);
	client_fail(client, (MeshError)code, "%s", message);
	return (MeshError)code;
}

/* A change the portal could not take, queued by the agent: {"Queued": true, "Portal"}. */
static void
note_queued(MeshClient *client, JsonObject *result)
{
	JsonNode *queued = json_object_get_member(result, "Queued");
	JsonNode *portal = json_object_get_member(result, "Portal");

	if (queued == NULL || !JSON_NODE_HOLDS_VALUE(queued) ||
	    json_node_get_value_type(queued) != G_TYPE_BOOLEAN || !json_node_get_boolean(queued))
		return;
	client->last_queued = g_strdup(portal != NULL && JSON_NODE_HOLDS_VALUE(portal) &&
	                                               json_node_get_value_type(portal) ==
	                                                       G_TYPE_STRING
	                                       ? json_node_get_string(portal)
	                                       : "");
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
	g_autoptr(MeshFrameReader) reader = mesh_frame_reader_new(MESH_FRAME_MAX);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) root = NULL;
	const guint8 *body;
	JsonObject *obj;
	JsonNode *result;
	gint64 id = 0, want;
	gsize len = 0;
	MeshError code;

	g_clear_pointer(&client->last_queued, g_free);
	if (client->conn == NULL)
		return client_fail(client, MESH_ERROR_IO,
				   "the connection to the agent broke earlier; open a new one");
	want = client->next_id++;
	code = send_request(client, want, method, params, params_len);
	if (code != MESH_ERROR_OK)
		return code;
	code = receive_frame(client, method, g_get_monotonic_time(), reader);
	if (code != MESH_ERROR_OK)
		return code;
	body = mesh_frame_reader_frame(reader, &len);
	root = mesh_json_parse((const char *)body, len, MESH_FRAME_MAX, &error);
	/* Answers may carry shares and passwords: the reader wipes the frame. */
	g_clear_pointer(&reader, mesh_frame_reader_free);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		return fail_broken(client, MESH_ERROR_PROTOCOL,
				   root == NULL ? error->message : "the answer is no object", NULL);
	obj = json_node_get_object(root);
	if (!mesh_json_check_members(obj, allowed, &error) ||
	    !mesh_json_get_int(obj, "Id", &id, &error))
		return fail_broken(client, MESH_ERROR_PROTOCOL, error->message, NULL);
	if (id != want)
		return fail_broken(client, MESH_ERROR_PROTOCOL,
				   "the agent answered another request than the one sent", NULL);
	if (json_object_has_member(obj, "Error") == json_object_has_member(obj, "Result"))
		return fail_broken(client, MESH_ERROR_PROTOCOL,
				   "the answer has neither or both of Result and Error", NULL);
	if (json_object_has_member(obj, "Error"))
		return answer_error(client, obj);
	result = json_object_get_member(obj, "Result");
	if (!JSON_NODE_HOLDS_OBJECT(result))
		return fail_broken(client, MESH_ERROR_PROTOCOL, "the Result is not an object", NULL);
	note_queued(client, json_node_get_object(result));
	if (ret_result != NULL)
		*ret_result = json_node_ref(result);
	g_free(client->last_error);
	client->last_error = NULL;
	return MESH_ERROR_OK;
}

/* Call @method with the Params @members (NULL: no Params); the request text is wiped. */
MeshError
client_call(MeshClient *client, const char *method, const Member *members, gsize n_members,
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
			return client_fail(client, MESH_ERROR_INVALID_ARGUMENT,
				    "a method name is letters and digits ('%s')", method);
	}
	if (*method == '\0')
		return client_fail(client, MESH_ERROR_INVALID_ARGUMENT, "the method name is empty");
	if (params_json != NULL) {
		params = mesh_json_parse(params_json, strlen(params_json), MESH_FRAME_MAX,
					 &error);
		if (params == NULL)
			return client_fail_error(client, g_steal_pointer(&error));
		if (!JSON_NODE_HOLDS_OBJECT(params))
			return client_fail(client, MESH_ERROR_MALFORMED, "the Params must be an object");
	}
	code = call_text(client, method, params_json, params_json ? strlen(params_json) : 0,
			 &result);
	if (code == MESH_ERROR_OK && ret_result_json != NULL)
		*ret_result_json = mesh_json_to_string(result);
	return code;
}
