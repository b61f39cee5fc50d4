/* SPDX-License-Identifier: MIT */
#include "http.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <math.h>
#include <string.h>
#include <sys/socket.h>

#include "error.h"
#include "json.h"

struct MeshPortalHttp {
	SoupServer *server;
	MeshPortalHandler handler;
	gpointer handler_data;
	MeshPortalLogFunc log;
	gpointer log_data;
	gsize max_body;
	gboolean limited; /* rate limit on */
	double rate, burst;
	GHashTable *buckets; /* client key -> Bucket */
	guint16 port;
	char *url;
};

/* A client's token bucket: @tokens requests may be made now; refilled at rate a second. */
typedef struct {
	double tokens;
	gint64 last_us; /* monotonic time of the last refill */
} Bucket;

/* One request, from its first header to its last byte out (qdata of the message). */
typedef struct {
	gint64 start_real, start_us;
	gsize received;
	const char *transaction;
	gboolean dropped; /* oversize beyond MESH_PORTAL_HTTP_DISCARD_MAX: connection shut */
} Request;

static GQuark
request_quark(void)
{
	return g_quark_from_static_string("mesh-portal-request");
}

static Request *
request_of(SoupServerMessage *msg)
{
	return g_object_get_qdata(G_OBJECT(msg), request_quark());
}

/* libsoup 3.2 has no name for 429 (RFC 6585). */
#define STATUS_TOO_MANY_REQUESTS 429

static const char *
phrase(guint status)
{
	return status == STATUS_TOO_MANY_REQUESTS ? "Too Many Requests"
						  : soup_status_get_phrase(status);
}

/* ---- Answers ----------------------------------------------------------------------------- */

GBytes *
mesh_portal_status_answer(guint status, const char *description)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	char *text;

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "Status");
	json_builder_add_int_value(builder, status);
	json_builder_set_member_name(builder, "StatusDescription");
	json_builder_add_string_value(builder,
				      description ? description : phrase(status));
	json_builder_end_object(builder);
	root = json_builder_get_root(builder);
	text = mesh_json_to_string(root);
	return g_bytes_new_take(text, strlen(text));
}

static void
answer(SoupServerMessage *msg, guint status, GBytes *body)
{
	SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);

	soup_server_message_set_status(msg, status, phrase(status));
	soup_message_headers_set_content_type(headers, "application/json", NULL);
	soup_message_headers_replace(headers, "Cache-Control", "no-store");
	soup_message_headers_replace(headers, "X-Content-Type-Options", "nosniff");
	/* libsoup 3.2 never notices a client closing an idle keep-alive connection: each such
	 * connection would stay in CLOSE_WAIT, holding a descriptor, for the process's life. One
	 * request per connection until that is fixed (tests/integration/portal-http.sh checks). */
	soup_message_headers_replace(headers, "Connection", "close");
	soup_message_body_truncate(soup_server_message_get_response_body(msg));
	soup_message_body_append_bytes(soup_server_message_get_response_body(msg), body);
}

/* Refuse @msg before the transaction layer sees it; its body, if any, is not kept. */
static void
refuse(SoupServerMessage *msg, guint status, const char *description)
{
	g_autoptr(GBytes) body = mesh_portal_status_answer(status, description);
	SoupMessageBody *request_body = soup_server_message_get_request_body(msg);

	soup_message_body_set_accumulate(request_body, FALSE);
	soup_message_body_truncate(request_body);
	answer(msg, status, body);
}

/*
 * Stop reading from a client that sends far too much: close its socket (the client gets a
 * reset); libsoup's next read fails and it ends the connection. (A shutdown() alone leaves the
 * connection open, and the client blocked on a full window.)
 */
static void
drop(SoupServerMessage *msg)
{
	GSocket *socket = soup_server_message_get_socket(msg);

	request_of(msg)->dropped = TRUE;
	if (socket != NULL)
		g_socket_close(socket, NULL);
}

/* ---- Rate limit -------------------------------------------------------------------------- */

/* The bucket key of a client: its address, or its /64 for IPv6 (one host holds a /64). */
static char *
client_key(SoupServerMessage *msg)
{
	GSocketAddress *address = soup_server_message_get_remote_address(msg);
	GInetAddress *inet;

	if (address == NULL || !G_IS_INET_SOCKET_ADDRESS(address))
		return g_strdup("?");
	inet = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(address));
	if (g_inet_address_get_family(inet) == G_SOCKET_FAMILY_IPV6 &&
	    !g_inet_address_get_is_loopback(inet)) {
		guint8 bytes[16];
		g_autoptr(GInetAddress) prefix = NULL;

		memcpy(bytes, g_inet_address_to_bytes(inet), sizeof bytes);
		memset(bytes + 8, 0, 8);
		prefix = g_inet_address_new_from_bytes(bytes, G_SOCKET_FAMILY_IPV6);
		return g_inet_address_to_string(prefix);
	}
	return g_inet_address_to_string(inet);
}

static void
refill(MeshPortalHttp *http, Bucket *bucket, gint64 now_us)
{
	double elapsed = (double)(now_us - bucket->last_us) / G_USEC_PER_SEC;

	bucket->tokens = MIN(http->burst, bucket->tokens + elapsed * http->rate);
	bucket->last_us = now_us;
}

/* Forget clients whose bucket is full again: they are indistinguishable from new ones. */
static void
sweep(MeshPortalHttp *http, gint64 now_us)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, http->buckets);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		refill(http, value, now_us);
		if (((Bucket *)value)->tokens >= http->burst)
			g_hash_table_iter_remove(&iter);
	}
}

/* Take a token for @msg's client. Returns 0 when allowed, else the seconds to wait. */
static guint
rate_limit(MeshPortalHttp *http, SoupServerMessage *msg)
{
	g_autofree char *key = NULL;
	gint64 now_us = g_get_monotonic_time();
	Bucket *bucket;

	if (!http->limited)
		return 0;
	key = client_key(msg);
	bucket = g_hash_table_lookup(http->buckets, key);
	if (bucket == NULL) {
		if (g_hash_table_size(http->buckets) >= MESH_PORTAL_HTTP_MAX_CLIENTS)
			sweep(http, now_us);
		if (g_hash_table_size(http->buckets) >= MESH_PORTAL_HTTP_MAX_CLIENTS) {
			/* Still full: new clients share the bucket of the empty key. */
			g_free(key);
			key = g_strdup("");
			bucket = g_hash_table_lookup(http->buckets, key);
		}
	}
	if (bucket == NULL) {
		bucket = g_new(Bucket, 1);
		bucket->tokens = http->burst;
		bucket->last_us = now_us;
		g_hash_table_insert(http->buckets, g_steal_pointer(&key), bucket);
	}
	refill(http, bucket, now_us);
	if (bucket->tokens >= 1.0) {
		bucket->tokens -= 1.0;
		return 0;
	}
	return (guint)MAX(1.0, ceil((1.0 - bucket->tokens) / http->rate));
}

/* ---- Request handling -------------------------------------------------------------------- */

static gboolean
is_json(SoupMessageHeaders *headers)
{
	GHashTable *params = NULL;
	const char *type = soup_message_headers_get_content_type(headers, &params);
	const char *charset = params ? g_hash_table_lookup(params, "charset") : NULL;
	gboolean ok = type != NULL && g_ascii_strcasecmp(type, "application/json") == 0 &&
		      (charset == NULL || g_ascii_strcasecmp(charset, "utf-8") == 0);

	if (params != NULL)
		g_hash_table_destroy(params);
	return ok;
}

/* After the headers, before the body: everything that can be refused without reading it. */
static void
on_headers(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
	   gpointer data)
{
	MeshPortalHttp *http = data;
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	guint wait = rate_limit(http, msg);
	goffset length;

	if (wait > 0) {
		g_autofree char *seconds = g_strdup_printf("%u", wait);

		refuse(msg, STATUS_TOO_MANY_REQUESTS,
		       "too many requests from this address: try again later");
		soup_message_headers_replace(soup_server_message_get_response_headers(msg),
					     "Retry-After", seconds);
	} else if (strcmp(path, MESH_PORTAL_HTTP_PATH) != 0) {
		refuse(msg, SOUP_STATUS_NOT_FOUND, "the Mesh portal is at " MESH_PORTAL_HTTP_PATH);
	} else if (soup_server_message_get_method(msg) != SOUP_METHOD_POST) {
		refuse(msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
		       "portal transactions are POST requests");
		soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow",
					     "POST");
	} else if (!is_json(headers)) {
		refuse(msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
		       "portal requests are Content-Type: application/json");
	} else if (soup_message_headers_get_encoding(headers) == SOUP_ENCODING_CONTENT_LENGTH &&
		   (length = soup_message_headers_get_content_length(headers)) >
			   (goffset)http->max_body) {
		refuse(msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
		       "the request is larger than the portal accepts");
		/* Unless the client waits for "100 Continue" (it gets the 413 instead), libsoup
		 * reads the body before answering: fine up to a point. */
		if (length > MESH_PORTAL_HTTP_DISCARD_MAX &&
		    !(soup_message_headers_get_expectations(headers) & SOUP_EXPECTATION_CONTINUE))
			drop(msg);
	}
}

/* Each piece of body as it arrives: a chunked body has no length to check up front. */
static void
on_chunk(SoupServerMessage *msg, GBytes *chunk, gpointer data)
{
	MeshPortalHttp *http = data;
	Request *request = request_of(msg);

	request->received += g_bytes_get_size(chunk);
	if (request->received > http->max_body &&
	    soup_server_message_get_status(msg) == SOUP_STATUS_NONE)
		refuse(msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
		       "the request is larger than the portal accepts");
	if (request->received > MESH_PORTAL_HTTP_DISCARD_MAX && !request->dropped)
		drop(msg);
}

/* The whole body is in and nothing refused it: the transaction layer answers. */
static void
on_request(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
	   gpointer data)
{
	MeshPortalHttp *http = data;
	SoupMessageBody *body = soup_server_message_get_request_body(msg);
	g_autoptr(GBytes) request = soup_message_body_flatten(body);
	g_autoptr(GBytes) response = NULL;
	const char *client = soup_server_message_get_remote_host(msg);
	const char *transaction = NULL;
	guint status = SOUP_STATUS_INTERNAL_SERVER_ERROR;

	response = http->handler(http->handler_data, client ? client : "?", request, &status,
				 &transaction);
	request_of(msg)->transaction = transaction;
	if (response == NULL || status < 100 || status > 599) {
		g_clear_pointer(&response, g_bytes_unref);
		status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
		response = mesh_portal_status_answer(status, NULL);
	}
	answer(msg, status, response);
}

static void
on_started(SoupServer *server, SoupServerMessage *msg, gpointer data)
{
	Request *request = g_new0(Request, 1);

	request->start_real = g_get_real_time();
	request->start_us = g_get_monotonic_time();
	g_object_set_qdata_full(G_OBJECT(msg), request_quark(), request, g_free);
	g_signal_connect(msg, "got-chunk", G_CALLBACK(on_chunk), data);
}

static void
report(MeshPortalHttp *http, SoupServerMessage *msg, gboolean aborted)
{
	Request *request = request_of(msg);
	GUri *uri = soup_server_message_get_uri(msg);
	g_autofree char *method = mesh_error_quote(soup_server_message_get_method(msg));
	g_autofree char *path = mesh_error_quote(uri ? g_uri_get_path(uri) : "");
	const char *client = soup_server_message_get_remote_host(msg);
	guint status = soup_server_message_get_status(msg);
	MeshPortalHttpLogEntry entry = { 0 };

	if (http->log == NULL || request == NULL)
		return;
	/* "Aborted" is a 500 answer or a client gone before its answer was out. */
	if (request->dropped)
		status = SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE;
	else if (aborted && status != SOUP_STATUS_INTERNAL_SERVER_ERROR)
		status = 0;
	entry.time = request->start_real;
	entry.client = client ? client : "?";
	entry.method = method;
	entry.path = path;
	entry.transaction = request->transaction;
	entry.status = status;
	entry.request_bytes = request->received;
	entry.response_bytes = (gsize)soup_server_message_get_response_body(msg)->length;
	entry.duration_us = g_get_monotonic_time() - request->start_us;
	http->log(http->log_data, &entry);
}

static void
on_finished(SoupServer *server, SoupServerMessage *msg, gpointer data)
{
	report(data, msg, FALSE);
}

static void
on_aborted(SoupServer *server, SoupServerMessage *msg, gpointer data)
{
	report(data, msg, TRUE);
}

/* ---- Set-up ------------------------------------------------------------------------------ */

/* "ADDR:PORT" → a socket address; the address must be numeric. */
static GSocketAddress *
parse_listen(const char *listen, GError **error)
{
	g_autofree char *host = NULL;
	g_autoptr(GInetAddress) address = NULL;
	const char *colon = strrchr(listen, ':');
	guint64 port = 0;

	if (colon != NULL && listen[0] == '[' && colon > listen && colon[-1] == ']')
		host = g_strndup(listen + 1, (gsize)(colon - listen - 2));
	else if (colon != NULL && memchr(listen, ':', (gsize)(colon - listen)) == NULL)
		host = g_strndup(listen, (gsize)(colon - listen));
	if (host != NULL)
		address = g_inet_address_new_from_string(host);
	if (address == NULL || !g_ascii_string_to_unsigned(colon + 1, 10, 0, 65535, &port, NULL)) {
		g_autofree char *quoted = mesh_error_quote(listen);

		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "cannot listen on '%s': give ADDRESS:PORT with a numeric address, "
			    "e.g. 127.0.0.1:9080 or [::1]:9080",
			    quoted);
		return NULL;
	}
	return g_inet_socket_address_new(address, (guint16)port);
}

static gboolean
set_tls(SoupServer *server, const MeshPortalHttpConfig *config, GError **error)
{
	g_autoptr(GTlsCertificate) certificate = NULL;
	g_autoptr(GError) tls_error = NULL;

	if ((config->tls_cert_file == NULL) != (config->tls_key_file == NULL)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "TLS needs both a certificate and its key (--tls-cert and --tls-key)");
		return FALSE;
	}
	if (!g_tls_backend_supports_tls(g_tls_backend_get_default())) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO,
			    "GLib has no TLS backend: install glib-networking");
		return FALSE;
	}
	certificate = g_tls_certificate_new_from_files(config->tls_cert_file,
						       config->tls_key_file, &tls_error);
	if (certificate == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO,
			    "cannot load the TLS certificate %s and key %s: %s",
			    config->tls_cert_file, config->tls_key_file, tls_error->message);
		return FALSE;
	}
	soup_server_set_tls_certificate(server, certificate);
	return TRUE;
}

static gboolean
start(MeshPortalHttp *http, const MeshPortalHttpConfig *config, GError **error)
{
	const char *listen = config->listen ? config->listen : MESH_PORTAL_HTTP_DEFAULT_LISTEN;
	gboolean tls = config->tls_cert_file != NULL || config->tls_key_file != NULL;
	g_autoptr(GSocketAddress) address = parse_listen(listen, error);
	g_autoptr(GError) listen_error = NULL;
	g_autoptr(GSocket) socket = NULL;
	g_autofree char *host = NULL;
	GSList *listeners;
	GInetAddress *inet;

	if (address == NULL || (tls && !set_tls(http->server, config, error)))
		return FALSE;
	/* Our own socket: soup_server_listen() keeps GSocket's backlog of 10, and under load the
	 * kernel then drops connection attempts that the client retries a second later. */
	socket = g_socket_new(g_socket_address_get_family(address), G_SOCKET_TYPE_STREAM,
			      G_SOCKET_PROTOCOL_TCP, &listen_error);
	if (socket != NULL) {
		g_socket_set_listen_backlog(socket, SOMAXCONN);
		if (!g_socket_bind(socket, address, TRUE, &listen_error) ||
		    !g_socket_listen(socket, &listen_error))
			g_clear_object(&socket);
	}
	if (socket == NULL ||
	    !soup_server_listen_socket(http->server, socket, tls ? SOUP_SERVER_LISTEN_HTTPS : 0,
				       &listen_error)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot listen on %s: %s%s", listen,
			    listen_error->message,
			    g_error_matches(listen_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE)
				    ? " (another program has this port: choose another)"
				    : "");
		return FALSE;
	}
	listeners = soup_server_get_listeners(http->server);
	if (listeners != NULL) {
		g_autoptr(GSocketAddress) local =
			g_socket_get_local_address(listeners->data, NULL);

		if (local != NULL)
			http->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
	}
	g_slist_free(listeners);
	inet = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(address));
	host = g_inet_address_to_string(inet);
	http->url = g_strdup_printf(
		g_inet_address_get_family(inet) == G_SOCKET_FAMILY_IPV6 ? "%s://[%s]:%u%s"
									: "%s://%s:%u%s",
		tls ? "https" : "http", host, http->port, MESH_PORTAL_HTTP_PATH);
	return TRUE;
}

MeshPortalHttp *
mesh_portal_http_new(const MeshPortalHttpConfig *config, MeshPortalHandler handler,
		     gpointer handler_data, GError **error)
{
	g_autoptr(MeshPortalHttp) http = g_new0(MeshPortalHttp, 1);

	http->handler = handler;
	http->handler_data = handler_data;
	http->log = config->log;
	http->log_data = config->log_data;
	http->max_body = config->max_body ? config->max_body : MESH_PORTAL_HTTP_MAX_BODY;
	http->limited = config->rate >= 0;
	http->rate = config->rate > 0 ? config->rate : MESH_PORTAL_HTTP_DEFAULT_RATE;
	http->burst = config->burst > 0 ? config->burst : MESH_PORTAL_HTTP_DEFAULT_BURST;
	http->buckets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	http->server = soup_server_new("server-header", "servermesh", NULL);
	soup_server_add_early_handler(http->server, NULL, on_headers, http, NULL);
	soup_server_add_handler(http->server, NULL, on_request, http, NULL);
	g_signal_connect(http->server, "request-started", G_CALLBACK(on_started), http);
	g_signal_connect(http->server, "request-finished", G_CALLBACK(on_finished), http);
	g_signal_connect(http->server, "request-aborted", G_CALLBACK(on_aborted), http);
	if (!start(http, config, error))
		return NULL;
	return g_steal_pointer(&http);
}

guint16
mesh_portal_http_port(MeshPortalHttp *http)
{
	return http->port;
}

const char *
mesh_portal_http_url(MeshPortalHttp *http)
{
	return http->url;
}

void
mesh_portal_http_free(MeshPortalHttp *http)
{
	if (http == NULL)
		return;
	if (http->server != NULL) {
		/* Requests still in flight must not call back into a freed server. */
		g_signal_handlers_disconnect_by_data(http->server, http);
		soup_server_disconnect(http->server);
		g_object_unref(http->server);
	}
	g_clear_pointer(&http->buckets, g_hash_table_unref);
	g_free(http->url);
	g_free(http);
}
