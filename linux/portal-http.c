/* SPDX-License-Identifier: MIT */
#include "portal-http.h"

#include <libsoup/soup.h>
#include <string.h>

#include "error.h"

#define READ_CHUNK (64 * 1024)

typedef struct {
	MeshPortalClient parent;
	SoupSession *session;
	GUri *uri;
	char *url;
} HttpClient;

/* Message data: set while the message's connection is in its TLS handshake. */
#define HANDSHAKING "mesh-tls-handshaking"

/*
 * A client that speaks TLS to a plain-HTTP server sends its ClientHello and waits for an answer
 * the server never gives: the server waits for the end of request headers that never comes (a
 * TLS record holds no blank line). So the handshake gets a short time of its own: the socket's
 * time-out is MESH_PORTAL_TLS_HANDSHAKE_SECONDS from the start of the handshake to its end, then
 * the usual one again. libsoup announces both ends on the message.
 */
static void
on_network_event(SoupMessage *msg, GSocketClientEvent event, GIOStream *stream, gpointer data)
{
	g_autoptr(GIOStream) base = NULL;
	gboolean start = event == G_SOCKET_CLIENT_TLS_HANDSHAKING;

	if (!start && event != G_SOCKET_CLIENT_TLS_HANDSHAKED)
		return;
	g_object_set_data(G_OBJECT(msg), HANDSHAKING, GINT_TO_POINTER(start));
	if (G_IS_TLS_CONNECTION(stream))
		g_object_get(stream, "base-io-stream", &base, NULL);
	if (G_IS_SOCKET_CONNECTION(base))
		g_socket_set_timeout(g_socket_connection_get_socket(G_SOCKET_CONNECTION(base)),
				     start ? MESH_PORTAL_TLS_HANDSHAKE_SECONDS
					   : MESH_PORTAL_HTTP_TIMEOUT_SECONDS);
}

/* A failure in the TLS handshake that a peer which does not speak TLS causes. */
static gboolean
not_tls(SoupMessage *msg, const GError *cause)
{
	if (msg == NULL || g_object_get_data(G_OBJECT(msg), HANDSHAKING) == NULL)
		return FALSE;
	return g_error_matches(cause, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
	       g_error_matches(cause, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS) ||
	       g_error_matches(cause, G_TLS_ERROR, G_TLS_ERROR_EOF) ||
	       g_error_matches(cause, G_TLS_ERROR, G_TLS_ERROR_MISC);
}

#define NOT_TLS_FIX "use http:// for a test portal on this machine, or check the port"

/* The MeshError of a failed network wait for @msg (NULL: reading the answer): the caller's
 * cancel, a TLS handshake with a peer that does not speak TLS, a timeout, or anything else. */
static gboolean
network_error(const char *url, SoupMessage *msg, GError **error, const GError *cause)
{
	if (not_tls(msg, cause) && g_error_matches(cause, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
		g_set_error(error, MESH_ERROR, MESH_ERROR_NETWORK,
			    "the portal at %s does not speak TLS (no answer to the TLS handshake "
			    "within %d seconds): " NOT_TLS_FIX,
			    url, MESH_PORTAL_TLS_HANDSHAKE_SECONDS);
	else if (not_tls(msg, cause))
		g_set_error(error, MESH_ERROR, MESH_ERROR_NETWORK,
			    "the portal at %s does not speak TLS (%s): " NOT_TLS_FIX, url,
			    cause->message);
	else if (g_error_matches(cause, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		g_set_error(error, MESH_ERROR, MESH_ERROR_CANCELLED,
			    "the request to the portal at %s was cancelled", url);
	else if (g_error_matches(cause, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
		g_set_error(error, MESH_ERROR, MESH_ERROR_TIMEOUT,
			    "the portal at %s did not answer within %d seconds", url,
			    MESH_PORTAL_HTTP_TIMEOUT_SECONDS);
	else
		g_set_error(error, MESH_ERROR, MESH_ERROR_NETWORK, "the portal at %s: %s", url,
			    cause->message);
	return FALSE;
}

/* How many bytes to read next into @body: one more than the limit allows, so that an answer
 * over MESH_PORTAL_MESSAGE_MAX is seen without reading all of it. */
static gsize
next_read_size(const GByteArray *body)
{
	return MIN(MESH_PORTAL_MESSAGE_MAX + 1 - body->len, READ_CHUNK);
}

static gboolean
check_body_size(const char *url, const GByteArray *body, GError **error)
{
	if (body->len <= MESH_PORTAL_MESSAGE_MAX)
		return TRUE;
	g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
		    "the portal at %s answered more than %d bytes", url, MESH_PORTAL_MESSAGE_MAX);
	return FALSE;
}

/* Read all of @in into a new GBytes of at most MESH_PORTAL_MESSAGE_MAX bytes. */
static gboolean
read_bounded(HttpClient *self, GInputStream *in, GBytes **ret_body, GError **error)
{
	g_autoptr(GByteArray) body = g_byte_array_new();
	g_autoptr(GError) local = NULL;

	for (;;) {
		gsize want = next_read_size(body);
		guint old = body->len;
		gssize n;

		g_byte_array_set_size(body, old + want);
		n = g_input_stream_read(in, body->data + old, want, NULL, &local);
		if (n < 0)
			return network_error(self->url, NULL, error, local);
		g_byte_array_set_size(body, old + n);
		if (n == 0)
			break;
		if (!check_body_size(self->url, body, error))
			return FALSE;
	}
	*ret_body = g_byte_array_free_to_bytes(g_steal_pointer(&body));
	return TRUE;
}

/* A POST of @request to the client's URL. */
static SoupMessage *
new_message(HttpClient *self, const char *request)
{
	SoupMessage *msg = soup_message_new_from_uri(SOUP_METHOD_POST, self->uri);
	g_autoptr(GBytes) body = g_bytes_new(request, strlen(request));

	soup_message_set_flags(msg, SOUP_MESSAGE_NO_REDIRECT);
	soup_message_headers_replace(soup_message_get_request_headers(msg), "Accept",
				     "application/json");
	soup_message_set_request_body_from_bytes(msg, "application/json", body);
	if (g_str_equal(g_uri_get_scheme(self->uri), "https"))
		g_signal_connect(msg, "network-event", G_CALLBACK(on_network_event), NULL);
	return msg;
}

static gboolean
http_transact(MeshPortalClient *client, const char *request, GBytes **ret_answer,
	      guint *ret_status, GError **error)
{
	HttpClient *self = (HttpClient *)client;
	g_autoptr(SoupMessage) msg = new_message(self, request);
	g_autoptr(GInputStream) in = NULL;
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GError) local = NULL;

	in = soup_session_send(self->session, msg, NULL, &local);
	if (in == NULL)
		return network_error(self->url, msg, error, local);
	if (!read_bounded(self, in, &answer, error))
		return FALSE;
	(void)g_input_stream_close(in, NULL, NULL);
	*ret_answer = g_steal_pointer(&answer);
	*ret_status = soup_message_get_status(msg);
	return TRUE;
}

static void
http_close(MeshPortalClient *client)
{
	HttpClient *self = (HttpClient *)client;

	g_clear_object(&self->session);
	g_clear_pointer(&self->uri, g_uri_unref);
	g_free(self->url);
	g_free(self);
}

static const MeshPortalClientClass http_class = {
	.name = "http",
	.transact = http_transact,
	.close = http_close,
};

/* ---- Asynchronous transactions ------------------------------------------------------------- */

typedef struct {
	SoupSession *session; /* a reference: the client may be closed before the answer comes */
	SoupMessage *msg;
	GInputStream *in;
	GByteArray *body;
	char *url;
} Transaction;

static void
transaction_free(Transaction *t)
{
	g_clear_object(&t->in);
	g_clear_object(&t->msg);
	g_clear_object(&t->session);
	g_byte_array_unref(t->body);
	g_free(t->url);
	g_free(t);
}

static void
fail_task(GTask *task, const GError *cause)
{
	Transaction *t = g_task_get_task_data(task);
	GError *error = NULL;

	/* Once the answer's headers came, the handshake is long over. */
	network_error(t->url, t->in == NULL ? t->msg : NULL, &error, cause);
	g_task_return_error(task, error);
	g_object_unref(task);
}

static void on_read(GObject *source, GAsyncResult *result, gpointer user_data);

static void
read_next(GTask *task)
{
	Transaction *t = g_task_get_task_data(task);

	g_input_stream_read_bytes_async(t->in, next_read_size(t->body), G_PRIORITY_DEFAULT,
					g_task_get_cancellable(task), on_read, task);
}

static void
on_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
	GTask *task = user_data;
	Transaction *t = g_task_get_task_data(task);
	g_autoptr(GError) local = NULL;
	g_autoptr(GBytes) chunk = g_input_stream_read_bytes_finish(t->in, result, &local);
	GError *error = NULL;

	if (chunk == NULL) {
		fail_task(task, local);
		return;
	}
	if (g_bytes_get_size(chunk) > 0) {
		g_byte_array_append(t->body, g_bytes_get_data(chunk, NULL),
				    (guint)g_bytes_get_size(chunk));
		if (!check_body_size(t->url, t->body, &error)) {
			g_task_return_error(task, error);
			g_object_unref(task);
			return;
		}
		read_next(task);
		return;
	}
	mesh_portal_http_task_return(task, g_byte_array_free_to_bytes(g_steal_pointer(&t->body)),
	                             soup_message_get_status(t->msg));
	t->body = g_byte_array_new();
	g_object_unref(task);
}

static void
on_sent(GObject *source, GAsyncResult *result, gpointer user_data)
{
	GTask *task = user_data;
	Transaction *t = g_task_get_task_data(task);
	g_autoptr(GError) local = NULL;

	t->in = soup_session_send_finish(SOUP_SESSION(source), result, &local);
	if (t->in == NULL) {
		fail_task(task, local);
		return;
	}
	read_next(task);
}

void
mesh_portal_client_http_transact_async(MeshPortalClient *client, const char *request,
				       GCancellable *cancellable, GAsyncReadyCallback callback,
				       gpointer user_data)
{
	HttpClient *self = (HttpClient *)client;
	GTask *task;
	Transaction *t;

	g_return_if_fail(client->klass == &http_class);
	task = g_task_new(NULL, cancellable, callback, user_data);
	t = g_new0(Transaction, 1);
	g_task_set_source_tag(task, mesh_portal_client_http_transact_async);
	/* Our own errors, the cancel included (mapped to MESH_ERROR_CANCELLED), come through. */
	g_task_set_check_cancellable(task, FALSE);
	t->session = g_object_ref(self->session);
	t->msg = new_message(self, request);
	t->body = g_byte_array_new();
	t->url = g_strdup(self->url);
	g_task_set_task_data(task, t, (GDestroyNotify)transaction_free);
	if (strnlen(request, MESH_PORTAL_MESSAGE_MAX + 1) > MESH_PORTAL_MESSAGE_MAX) {
		g_task_return_new_error(task, MESH_ERROR, MESH_ERROR_TOO_LARGE,
					"a portal request is at most %d bytes",
					MESH_PORTAL_MESSAGE_MAX);
		g_object_unref(task);
		return;
	}
	soup_session_send_async(t->session, t->msg, G_PRIORITY_DEFAULT, cancellable, on_sent, task);
}

MeshPortalClient *
mesh_portal_client_http_new(const char *url, const char *ca_file, GError **error)
{
	g_autofree char *normal = mesh_portal_url_normalize(url, error);
	g_autoptr(GUri) uri = NULL;
	g_autoptr(GTlsDatabase) database = NULL;
	g_autoptr(GError) local = NULL;
	HttpClient *self;

	if (normal == NULL)
		return NULL;
	uri = g_uri_parse(normal, G_URI_FLAGS_ENCODED, error);
	if (uri == NULL)
		return NULL;
	if (ca_file != NULL) {
		database = g_tls_file_database_new(ca_file, &local);
		if (database == NULL) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO,
				    "cannot use the CA file %s: %s", ca_file, local->message);
			return NULL;
		}
	}
	self = g_new0(HttpClient, 1);
	self->parent.klass = &http_class;
	self->uri = g_steal_pointer(&uri);
	self->url = g_uri_to_string(self->uri);
	self->session = soup_session_new_with_options(
		"timeout", MESH_PORTAL_HTTP_TIMEOUT_SECONDS, "idle-timeout",
		MESH_PORTAL_HTTP_IDLE_SECONDS, "user-agent", "meshagent/" "0.1", NULL);
	/* Direct connections only: the system proxy resolver (libproxy) may run PAC scripts and
	 * throws C++ exceptions through C frames; TLS to the portal is verified end to end. */
	soup_session_set_proxy_resolver(self->session, NULL);
	if (database != NULL)
		soup_session_set_tls_database(self->session, database);
	return &self->parent;
}
