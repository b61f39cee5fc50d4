/* SPDX-License-Identifier: MIT */
#include "http.h"

#include <gio/gnetworking.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <math.h>
#include <string.h>

#include "error.h"
#include "json.h"
#include "platform.h"

/* Connections accepted in one go before the main loop serves others. */
#define ACCEPT_BATCH 32
/* Pause after accept failed twice in a row (descriptors, memory), before trying again. */
#define ACCEPT_BACKOFF_MS 100
/* How often connections are checked against their deadlines. */
#define SWEEP_MS 250
/* A connection shut down (timeout, eviction) that libsoup has not closed after this long is
 * closed here. */
#define SHUT_GRACE_US (2 * G_USEC_PER_SEC)
/* Connections shut down but not yet closed, at most (each still holds a descriptor): beyond,
 * while at the total cap, new connections wait in the kernel's backlog for SHUT_WAIT_MS rather
 * than take the place of another. */
#define SHUT_SLACK 16
#define SHUT_WAIT_MS 20
/* At most one notice about connections this often. */
#define NOTICE_INTERVAL_US (10 * G_USEC_PER_SEC)
/* Peeked at, to tell a closed idle connection from one that sends its next request. */
#define PEEK_BYTES 1

/* What happened to connections since the last notice. */
typedef struct {
	guint refused_client;  /* over the per-client cap */
	guint refused_total;   /* over the total cap, nothing to evict */
	guint evicted;         /* closed before their headers to make room */
	guint header_timeouts; /* no complete headers in time */
	guint idle_timeouts;   /* idle too long after them */
	guint failed;          /* could not be set up (addresses, TLS, libsoup) */
} Counts;

struct MeshPortalHttp {
	SoupServer *server;
	MeshPortalHandler handler;
	MeshPortalAtOnce at_once;
	gpointer handler_data;
	MeshPortalLogFunc log;
	MeshPortalNoticeFunc notice;
	gpointer log_data;
	gsize max_body;
	gboolean limited; /* rate limit on */
	double rate, burst;
	GHashTable *buckets; /* client key -> Bucket */
	/* Connections. */
	GSocket *listener;
	GTlsCertificate *certificate; /* NULL: plain HTTP */
	GSource *accept_source;       /* NULL while paused */
	GSource *resume_source;       /* the pause's timeout */
	guint accept_errors;          /* failures since the last accepted connection */
	guint max_connections, max_per_client;
	gint64 header_timeout_us, idle_timeout_us;
	GQueue connections;     /* Conn, oldest first */
	guint shut;             /* of them shut down, waiting for libsoup to close them */
	GHashTable *per_client; /* client key -> number of connections (GUINT_TO_POINTER) */
	GSource *sweep_source;  /* while there are connections */
	Counts counts;
	gint64 last_notice_us;
	/* The health endpoint: the function, and its last answer and when it was asked (under
	 * health_lock: workers ask it). */
	MeshPortalHealthFunc health;
	gpointer health_data;
	GMutex health_lock;
	gboolean health_known, health_ok;
	gint64 health_checked_us;
	/* Requests are answered by workers (see the top of http.h); the main loop gets each
	 * answer back in job_done. */
	GMainContext *context;
	GThreadPool *workers;
	guint in_flight; /* jobs whose answer has not come back yet */
	/* libsoup keeps a connection open after an answer only while the server has a listener:
	 * this one, on a socket closed at once and watched on a context never run (start()). */
	GMainContext *dead_context;
	guint16 port;
	char *url;
};

/*
 * One accepted connection, from accept until libsoup is done with its socket. Found from a
 * message through the remote address given to libsoup (qdata), which libsoup keeps for the
 * connection's life.
 */
typedef struct {
	MeshPortalHttp *http;
	GSocket *socket;        /* weak reference: the connection is released when it goes */
	GSocketAddress *remote; /* holds the qdata */
	char *key;              /* client key */
	gint64 deadline_us;     /* monotonic: shut down once past it */
	gboolean waiting;       /* answered, kept open, its next request not started yet */
	gboolean headers;       /* the current request's complete headers arrived */
	gboolean shut;          /* shut down (then deadline_us is the grace before close) */
	GList link;             /* in http->connections */
} Conn;

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
	gboolean ended;   /* finished or aborted: no answer can go out any more */
} Request;

/* A request handed to a worker, and its answer on the way back. */
typedef struct {
	MeshPortalHttp *http;
	SoupServerMessage *msg; /* a reference: paused until job_done */
	GBytes *request;        /* NULL: a health check */
	char *client;
	GBytes *response;
	guint status;
	const char *transaction;
	gboolean paused; /* handed to a worker */
} Job;

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

static GQuark
conn_quark(void)
{
	return g_quark_from_static_string("mesh-portal-connection");
}

/* The connection of @msg, or NULL when it is released already. */
static Conn *
conn_of(SoupServerMessage *msg)
{
	GSocketAddress *remote = soup_server_message_get_remote_address(msg);

	return remote != NULL ? g_object_get_qdata(G_OBJECT(remote), conn_quark()) : NULL;
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
	Conn *conn = conn_of(msg);

	request_of(msg)->dropped = TRUE;
	if (conn != NULL)
		g_socket_close(conn->socket, NULL);
}

/* ---- Client keys ------------------------------------------------------------------------- */

/* An IPv4 client of a dual-stack socket ("::ffff:192.0.2.1") is its IPv4 address, not the one
 * /64 that every IPv4 client would share. */
char *
mesh_portal_http_client_key(GSocketAddress *address)
{
	static const guint8 v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	GInetAddress *inet;
	const guint8 *bytes;
	guint8 prefix[16] = {0};
	g_autoptr(GInetAddress) key = NULL;

	if (address == NULL || !G_IS_INET_SOCKET_ADDRESS(address))
		return g_strdup("?");
	inet = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(address));
	if (g_inet_address_get_family(inet) != G_SOCKET_FAMILY_IPV6 ||
	    g_inet_address_get_is_loopback(inet))
		return g_inet_address_to_string(inet);
	bytes = g_inet_address_to_bytes(inet);
	if (memcmp(bytes, v4_mapped, sizeof v4_mapped) == 0) {
		key = g_inet_address_new_from_bytes(bytes + 12, G_SOCKET_FAMILY_IPV4);
	} else {
		memcpy(prefix, bytes, 8);
		key = g_inet_address_new_from_bytes(prefix, G_SOCKET_FAMILY_IPV6);
	}
	return g_inet_address_to_string(key);
}

static char *
client_key(SoupServerMessage *msg)
{
	return mesh_portal_http_client_key(soup_server_message_get_remote_address(msg));
}

/* ---- Rate limit -------------------------------------------------------------------------- */

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

/* ---- Connections ------------------------------------------------------------------------- */

/* A timeout on the thread-default main context, the server's (g_timeout_add would attach it to
 * the global default one). */
static GSource *
timeout_source(guint ms, GSourceFunc func, gpointer data)
{
	GSource *source = g_timeout_source_new(ms);

	g_source_set_callback(source, func, data, NULL);
	g_source_attach(source, g_main_context_get_thread_default());
	return source;
}

static void
source_clear(GSource **source)
{
	if (*source != NULL) {
		g_source_destroy(*source);
		g_clear_pointer(source, g_source_unref);
	}
}

static void notice(MeshPortalHttp *http, const char *format, ...) G_GNUC_PRINTF(2, 3);

static void
notice(MeshPortalHttp *http, const char *format, ...)
{
	g_autofree char *message = NULL;
	va_list args;

	if (http->notice == NULL)
		return;
	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	http->notice(http->log_data, message);
}

static gboolean
counts_zero(const Counts *c)
{
	return c->refused_client == 0 && c->refused_total == 0 && c->evicted == 0 &&
	       c->header_timeouts == 0 && c->idle_timeouts == 0 && c->failed == 0;
}

static void
count_part(GString *line, guint n, const char *what)
{
	if (n > 0)
		g_string_append_printf(line, "%s%u %s", line->len > 0 ? "; " : "", n, what);
}

/* One line for what happened to connections since the last one: at most one a
 * NOTICE_INTERVAL_US, so that a flood cannot flood the log, unless @force (the server stops). */
static void
report_counts(MeshPortalHttp *http, gboolean force)
{
	const Counts *c = &http->counts;
	gint64 now = g_get_monotonic_time();
	g_autoptr(GString) line = NULL;
	g_autofree char *per_client = NULL, *total = NULL, *header = NULL, *idle = NULL;

	if (counts_zero(c) || (!force && now - http->last_notice_us < NOTICE_INTERVAL_US))
		return;
	line = g_string_new(NULL);
	per_client =
	        g_strdup_printf("refused (more than %u from one client)", http->max_per_client);
	total = g_strdup_printf("refused (%u in all)", http->max_connections);
	header = g_strdup_printf("closed (no complete headers within %u s)",
	                         (guint)(http->header_timeout_us / G_USEC_PER_SEC));
	idle = g_strdup_printf("closed (idle for %u s)",
	                       (guint)(http->idle_timeout_us / G_USEC_PER_SEC));
	count_part(line, c->refused_client, per_client);
	count_part(line, c->refused_total, total);
	count_part(line, c->evicted, "closed to make room (idle, or no complete headers yet)");
	count_part(line, c->header_timeouts, header);
	count_part(line, c->idle_timeouts, idle);
	count_part(line, c->failed, "failed to set up");
	notice(http, "connections: %s", line->str);
	memset(&http->counts, 0, sizeof http->counts);
	http->last_notice_us = now;
}

/* @conn no longer counts against its client's cap: it is shut down, or gone. */
static void
conn_uncount(Conn *conn)
{
	MeshPortalHttp *http = conn->http;
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(http->per_client, conn->key));

	if (n > 1)
		g_hash_table_replace(http->per_client, g_strdup(conn->key),
		                     GUINT_TO_POINTER(n - 1));
	else
		g_hash_table_remove(http->per_client, conn->key);
}

static void
conn_release(Conn *conn)
{
	MeshPortalHttp *http = conn->http;

	g_queue_unlink(&http->connections, &conn->link);
	if (conn->shut)
		http->shut--;
	else
		conn_uncount(conn);
	g_object_set_qdata(G_OBJECT(conn->remote), conn_quark(), NULL);
	g_object_unref(conn->remote);
	g_free(conn->key);
	g_free(conn);
}

/* libsoup let go of the connection: its socket is finalized. */
static void
on_socket_gone(gpointer data, GObject *socket)
{
	conn_release(data);
}

/* Release @conn now: its socket is closed (the descriptor is free) or the server goes. */
static void
conn_forget(Conn *conn)
{
	g_object_weak_unref(G_OBJECT(conn->socket), on_socket_gone, conn);
	conn_release(conn);
}

/*
 * End @conn: shutdown(), not close(). The descriptor stays the connection's until libsoup (or a
 * TLS handshake in a worker thread) reads the end of the stream and closes it; closed here, its
 * number could go to the next accepted connection while they still use it.
 */
static void
conn_shut(Conn *conn)
{
	conn->shut = TRUE;
	conn->http->shut++;
	conn_uncount(conn);
	conn->deadline_us = g_get_monotonic_time() + SHUT_GRACE_US;
	g_socket_shutdown(conn->socket, TRUE, TRUE, NULL);
}

/* Complete headers arrived, or bytes moved after them: the idle timeout starts again. */
static void
conn_touch(Conn *conn)
{
	if (conn != NULL && conn->headers && !conn->shut)
		conn->deadline_us = g_get_monotonic_time() + conn->http->idle_timeout_us;
}

/*
 * Whether the client closed @conn while it waited for its next request (keep-alive): it is
 * readable and a peek finds the end of the stream (or an error). libsoup 3.2 does not notice
 * that on an idle connection, which would hold its descriptor until the idle timeout.
 */
static gboolean
peer_closed(Conn *conn)
{
	guint8 byte[PEEK_BYTES];
	GInputVector vector = {byte, sizeof byte};
	gint flags = G_SOCKET_MSG_PEEK;

	if (!conn->waiting || conn->shut ||
	    g_socket_condition_check(conn->socket, G_IO_IN | G_IO_HUP | G_IO_ERR) == 0)
		return FALSE;
	return g_socket_receive_message(conn->socket, NULL, &vector, 1, NULL, NULL, &flags, NULL,
	                                NULL) <= 0;
}

/* Every SWEEP_MS while there are connections: shut down those past their deadline. */
static gboolean
sweep_connections(gpointer data)
{
	MeshPortalHttp *http = data;
	gint64 now = g_get_monotonic_time();
	GList *next;

	for (GList *l = http->connections.head; l != NULL; l = next) {
		Conn *conn = l->data;

		next = l->next;
		if (g_socket_is_closed(conn->socket)) {
			conn_forget(conn);
		} else if (peer_closed(conn)) {
			/* No read or write of libsoup's is under way (it waits for the next
			 * request): the descriptor can go now. */
			g_socket_close(conn->socket, NULL);
			conn_forget(conn);
		} else if (now < conn->deadline_us) {
			continue;
		} else if (conn->shut) {
			/* libsoup did not notice within the grace: free the descriptor anyway. */
			g_socket_close(conn->socket, NULL);
			conn_forget(conn);
		} else {
			if (conn->headers)
				http->counts.idle_timeouts++;
			else
				http->counts.header_timeouts++;
			conn_shut(conn);
		}
	}
	report_counts(http, FALSE);
	if (http->connections.length > 0 || !counts_zero(&http->counts))
		return G_SOURCE_CONTINUE;
	g_clear_pointer(&http->sweep_source, g_source_unref);
	return G_SOURCE_REMOVE;
}

static void
sweep_start(MeshPortalHttp *http)
{
	if (http->sweep_source == NULL)
		http->sweep_source = timeout_source(SWEEP_MS, sweep_connections, http);
}

static gboolean
at_cap(const MeshPortalHttp *http)
{
	return http->connections.length - http->shut >= http->max_connections;
}

/*
 * Over the total cap: shut down the oldest connection that has not sent complete headers, to
 * make room. A client that sends its request at once is never the one; one that holds
 * connections open without a request is.
 */
/* (An idle keep-alive connection, waiting for its next request, has no complete headers.) */
static gboolean
evict(MeshPortalHttp *http)
{
	for (GList *l = http->connections.head; l != NULL; l = l->next) {
		Conn *conn = l->data;

		if (!conn->headers && !conn->shut) {
			conn_shut(conn);
			http->counts.evicted++;
			return TRUE;
		}
	}
	return FALSE;
}

/* Over the per-client cap: shut down the client's oldest connection that waits for its next
 * request (keep-alive), to make room; a client's idle connections never lock it out. */
static gboolean
evict_idle_of(MeshPortalHttp *http, const char *key)
{
	for (GList *l = http->connections.head; l != NULL; l = l->next) {
		Conn *conn = l->data;

		if (conn->waiting && !conn->shut && strcmp(conn->key, key) == 0) {
			conn_shut(conn);
			http->counts.evicted++;
			return TRUE;
		}
	}
	return FALSE;
}

static void
refuse_connection(MeshPortalHttp *http, GSocket *socket, guint *count)
{
	(*count)++;
	g_socket_close(socket, NULL);
	sweep_start(http); /* reports the count */
}

/* The stream libsoup reads: the TCP connection, or TLS over it (handshake on the first read). */
static GIOStream *
connection_stream(MeshPortalHttp *http, GSocket *socket, GError **error)
{
	static const char *const protocols[] = {"http/1.1", "http/1.0", NULL};
	g_autoptr(GIOStream) tcp = NULL;
	GIOStream *tls;

	g_socket_set_option(socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
	tcp = G_IO_STREAM(g_socket_connection_factory_create_connection(socket));
	if (http->certificate == NULL)
		return g_steal_pointer(&tcp);
	tls = G_IO_STREAM(g_tls_server_connection_new(tcp, http->certificate, error));
	if (tls == NULL)
		return NULL;
	g_tls_connection_set_require_close_notify(G_TLS_CONNECTION(tls), FALSE);
	g_tls_connection_set_advertised_protocols(G_TLS_CONNECTION(tls), protocols);
	return tls;
}

/* A newly accepted @socket: counted, refused, or handed to libsoup. */
static void
admit(MeshPortalHttp *http, GSocket *socket)
{
	g_autoptr(GSocketAddress) remote = g_socket_get_remote_address(socket, NULL);
	g_autoptr(GSocketAddress) local = g_socket_get_local_address(socket, NULL);
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *key = NULL;
	Conn *conn;
	guint n;

	if (remote == NULL || local == NULL) { /* reset already */
		refuse_connection(http, socket, &http->counts.failed);
		return;
	}
	key = mesh_portal_http_client_key(remote);
	n = GPOINTER_TO_UINT(g_hash_table_lookup(http->per_client, key));
	if (n >= http->max_per_client && !evict_idle_of(http, key)) {
		refuse_connection(http, socket, &http->counts.refused_client);
		return;
	}
	n = GPOINTER_TO_UINT(g_hash_table_lookup(http->per_client, key));
	if (at_cap(http) && !evict(http)) {
		refuse_connection(http, socket, &http->counts.refused_total);
		return;
	}
	stream = connection_stream(http, socket, &error);
	if (stream == NULL) {
		refuse_connection(http, socket, &http->counts.failed);
		return;
	}
	conn = g_new0(Conn, 1);
	conn->http = http;
	conn->socket = socket;
	conn->remote = g_object_ref(remote);
	conn->key = g_steal_pointer(&key);
	conn->deadline_us = g_get_monotonic_time() + http->header_timeout_us;
	conn->link.data = conn;
	g_queue_push_tail_link(&http->connections, &conn->link);
	g_hash_table_replace(http->per_client, g_strdup(conn->key), GUINT_TO_POINTER(n + 1));
	g_object_set_qdata(G_OBJECT(remote), conn_quark(), conn);
	g_object_weak_ref(G_OBJECT(socket), on_socket_gone, conn);
	sweep_start(http);
	/* libsoup 3.2.3 takes every stream; it serves requests on it until one of them, or the
	 * client, asks to close (keep_alive_listener), or we shut it down. */
	if (!soup_server_accept_iostream(http->server, stream, local, remote, &error)) {
		http->counts.failed++;
		g_socket_close(socket, NULL);
	}
}

static void accept_start(MeshPortalHttp *http);

static gboolean
accept_resume(gpointer data)
{
	MeshPortalHttp *http = data;

	g_clear_pointer(&http->resume_source, g_source_unref);
	accept_start(http);
	return G_SOURCE_REMOVE;
}

/* Stop watching the listener for @ms: what connects meanwhile waits in the kernel's backlog. */
static void
accept_pause(MeshPortalHttp *http, guint ms)
{
	g_clear_pointer(&http->accept_source, g_source_unref);
	http->resume_source = timeout_source(ms, accept_resume, http);
}

static gboolean
on_incoming(GSocket *listener, GIOCondition condition, gpointer data)
{
	MeshPortalHttp *http = data;

	for (int i = 0; i < ACCEPT_BATCH; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GSocket) socket = NULL;

		/* Full, and the connections made room for still closing (libsoup closes them as the
		 * main loop turns): wait rather than refuse, or push out one more. */
		if (at_cap(http) && http->shut >= SHUT_SLACK) {
			accept_pause(http, SHUT_WAIT_MS);
			return G_SOURCE_REMOVE;
		}
		socket = g_socket_accept(listener, NULL, &error);
		if (socket != NULL) {
			if (http->accept_errors >= 2)
				notice(http, "accepting connections again (%u attempts failed)",
				       http->accept_errors);
			http->accept_errors = 0;
			admit(http, socket);
			continue;
		}
		if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
			/* The queue is empty: a single failure before was a connection's own. */
			if (http->accept_errors < 2)
				http->accept_errors = 0;
			break;
		}
		/* Linux reports a connection's own network error on accept (accept(2)): try once
		 * more at once. Twice in a row is the process's trouble or the system's (no
		 * descriptors, no memory): pause rather than spin, and never stop listening. */
		if (++http->accept_errors < 2)
			continue;
		if (http->accept_errors == 2)
			notice(http, "cannot accept connections: %s; trying again every %d ms",
			       error->message, ACCEPT_BACKOFF_MS);
		accept_pause(http, ACCEPT_BACKOFF_MS);
		return G_SOURCE_REMOVE;
	}
	report_counts(http, FALSE);
	return G_SOURCE_CONTINUE;
}

static void
accept_start(MeshPortalHttp *http)
{
	http->accept_source = g_socket_create_source(http->listener, G_IO_IN, NULL);
	g_source_set_callback(http->accept_source, G_SOURCE_FUNC(on_incoming), http, NULL);
	g_source_attach(http->accept_source, g_main_context_get_thread_default());
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

/* ---- Health ------------------------------------------------------------------------------ */

static gboolean
is_health(const MeshPortalHttp *http, const char *path)
{
	return http->health != NULL && strcmp(path, MESH_PORTAL_HTTP_HEALTH_PATH) == 0;
}

/* The store's state, asked at most once per interval; a change is noticed once. In a worker:
 * the others wait for the answer rather than ask too. */
static gboolean
health_now(MeshPortalHttp *http)
{
	g_autoptr(GError) error = NULL;
	gboolean ok;

	g_mutex_lock(&http->health_lock);
	if (http->health_known && g_get_monotonic_time() - http->health_checked_us <
	                                  MESH_PORTAL_HTTP_HEALTH_INTERVAL_MS * 1000) {
		ok = http->health_ok;
		g_mutex_unlock(&http->health_lock);
		return ok;
	}
	ok = http->health(http->health_data, &error);
	if (!ok && (!http->health_known || http->health_ok))
		notice(http, "health: unavailable: %s", error ? error->message : "no reason given");
	else if (ok && http->health_known && !http->health_ok)
		notice(http, "health: ok again");
	http->health_known = TRUE;
	http->health_ok = ok;
	http->health_checked_us = g_get_monotonic_time();
	g_mutex_unlock(&http->health_lock);
	return ok;
}

/* 200 {"Status":"ok"} or 503 {"Status":"unavailable"}: nothing else, whatever went wrong. */
static void
health_job(Job *job)
{
	static const char ok_text[] = "{\"Status\":\"ok\"}";
	static const char down_text[] = "{\"Status\":\"unavailable\"}";
	gboolean ok = health_now(job->http);

	job->response = ok ? g_bytes_new_static(ok_text, sizeof ok_text - 1)
	                   : g_bytes_new_static(down_text, sizeof down_text - 1);
	job->status = ok ? SOUP_STATUS_OK : SOUP_STATUS_SERVICE_UNAVAILABLE;
	job->transaction = "Health";
}

/* After the headers, before the body: everything that can be refused without reading it. */
static void
on_headers(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
	   gpointer data)
{
	MeshPortalHttp *http = data;
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	const char *method = soup_server_message_get_method(msg);
	guint wait;
	goffset length;

	if (is_health(http, path)) {
		/* Never rate-limited (http.h); answered by on_request. */
		if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
			refuse(msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
			       "the health endpoint answers GET and HEAD");
			soup_message_headers_replace(soup_server_message_get_response_headers(msg),
			                             "Allow", "GET, HEAD");
		}
		return;
	}
	wait = rate_limit(http, msg);
	if (wait > 0) {
		g_autofree char *seconds = g_strdup_printf("%u", wait);

		refuse(msg, STATUS_TOO_MANY_REQUESTS,
		       "too many requests from this address: try again later");
		soup_message_headers_replace(soup_server_message_get_response_headers(msg),
					     "Retry-After", seconds);
	} else if (strcmp(path, MESH_PORTAL_HTTP_PATH) != 0) {
		refuse(msg, SOUP_STATUS_NOT_FOUND, "the Mesh portal is at " MESH_PORTAL_HTTP_PATH);
	} else if (method != SOUP_METHOD_POST) {
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

	conn_touch(conn_of(msg));
	request->received += g_bytes_get_size(chunk);
	if (request->received > http->max_body &&
	    soup_server_message_get_status(msg) == SOUP_STATUS_NONE)
		refuse(msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
		       "the request is larger than the portal accepts");
	if (request->received > MESH_PORTAL_HTTP_DISCARD_MAX && !request->dropped)
		drop(msg);
}

/* ---- Workers ----------------------------------------------------------------------------- */

static void
job_free(Job *job)
{
	g_object_unref(job->msg);
	g_clear_pointer(&job->request, g_bytes_unref);
	g_clear_pointer(&job->response, g_bytes_unref);
	g_free(job->client);
	g_free(job);
}

/* On the main loop: the answer goes out, unless libsoup ended the request meanwhile. */
static void
job_answer(Job *job)
{
	Request *request = request_of(job->msg);

	if (request != NULL && !request->ended) {
		request->transaction = job->transaction;
		if (job->response == NULL || job->status < 100 || job->status > 599) {
			g_clear_pointer(&job->response, g_bytes_unref);
			job->status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
			job->response = mesh_portal_status_answer(job->status, NULL);
		}
		answer(job->msg, job->status, job->response);
		if (job->paused)
			soup_server_message_unpause(job->msg);
	}
}

/* A worker's job is back on the main loop. */
static gboolean
job_done(gpointer data)
{
	Job *job = data;

	job_answer(job);
	job->http->in_flight--;
	job_free(job);
	return G_SOURCE_REMOVE;
}

/* In a worker: the transaction layer (or the health function) answers. */
static void
work(gpointer data, gpointer user_data)
{
	Job *job = data;
	MeshPortalHttp *http = job->http;

	if (job->request == NULL)
		health_job(job);
	else
		job->response = http->handler(http->handler_data, job->client, job->request,
		                              &job->status, &job->transaction);
	g_main_context_invoke(http->context, job_done, job);
}

/* The whole body is in and nothing refused it: a worker answers; the message waits. */
static void
on_request(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
	   gpointer data)
{
	MeshPortalHttp *http = data;
	Job *job = g_new0(Job, 1);

	job->http = http;
	job->msg = g_object_ref(msg);
	job->status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
	if (!is_health(http, path)) {
		job->request = soup_message_body_flatten(soup_server_message_get_request_body(msg));
		job->client = client_key(msg);
	}
	if (job->request != NULL && http->at_once != NULL &&
	    http->at_once(http->handler_data, job->request)) {
		job->response = http->handler(http->handler_data, job->client, job->request,
		                              &job->status, &job->transaction);
		job_answer(job); /* not paused: answered as the handler returns */
		job_free(job);
		return;
	}
	soup_server_message_pause(msg);
	job->paused = TRUE;
	http->in_flight++;
	g_thread_pool_push(http->workers, job, NULL);
}

/* The request's headers are complete: from now on the idle timeout applies. */
static void
on_got_headers(SoupServerMessage *msg, gpointer data)
{
	Conn *conn = conn_of(msg);

	if (conn != NULL)
		conn->headers = TRUE;
	conn_touch(conn);
}

/* Bytes of the answer went out. */
static void
on_wrote(SoupServerMessage *msg, gpointer data)
{
	conn_touch(conn_of(msg));
}

static void
on_wrote_body_data(SoupServerMessage *msg, guint size, gpointer data)
{
	conn_touch(conn_of(msg));
}

/* A connection's message: libsoup makes it as it accepts the connection, before any byte, and
 * on a connection it kept open, when the next request's first bytes arrive: from then on its
 * headers must be complete within the header timeout. */
static void
on_started(SoupServer *server, SoupServerMessage *msg, gpointer data)
{
	Request *request = g_new0(Request, 1);
	Conn *conn = conn_of(msg);

	if (conn != NULL && conn->waiting && !conn->shut) {
		conn->waiting = FALSE;
		conn->deadline_us = g_get_monotonic_time() + conn->http->header_timeout_us;
	}

	request->start_real = g_get_real_time();
	request->start_us = g_get_monotonic_time();
	g_object_set_qdata_full(G_OBJECT(msg), request_quark(), request, g_free);
	g_signal_connect(msg, "got-headers", G_CALLBACK(on_got_headers), data);
	g_signal_connect(msg, "got-chunk", G_CALLBACK(on_chunk), data);
	g_signal_connect(msg, "wrote-informational", G_CALLBACK(on_wrote), data);
	g_signal_connect(msg, "wrote-headers", G_CALLBACK(on_wrote), data);
	g_signal_connect(msg, "wrote-body-data", G_CALLBACK(on_wrote_body_data), data);
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
request_ended(SoupServerMessage *msg)
{
	Request *request = request_of(msg);

	if (request != NULL)
		request->ended = TRUE;
}

/* Answered. A connection libsoup keeps open now waits for its next request at most the idle
 * timeout, and counts as one without complete headers (evict() may close it). */
static void
on_finished(SoupServer *server, SoupServerMessage *msg, gpointer data)
{
	Conn *conn = conn_of(msg);

	request_ended(msg);
	if (conn != NULL && !conn->shut) {
		conn->waiting = TRUE;
		conn->headers = FALSE;
		conn->deadline_us = g_get_monotonic_time() + conn->http->idle_timeout_us;
	}
	report(data, msg, FALSE);
}

static void
on_aborted(SoupServer *server, SoupServerMessage *msg, gpointer data)
{
	request_ended(msg);
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
set_tls(MeshPortalHttp *http, const MeshPortalHttpConfig *config, GError **error)
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
	http->certificate = g_steal_pointer(&certificate);
	return TRUE;
}

guint
mesh_portal_http_connection_limit(guint64 *ret_nofile)
{
	guint64 nofile = mesh_platform_descriptor_limit();

	if (ret_nofile != NULL)
		*ret_nofile = nofile;
	if (nofile <= MESH_PORTAL_HTTP_FD_RESERVE)
		return 0;
	return (guint)MIN(nofile - MESH_PORTAL_HTTP_FD_RESERVE, G_MAXUINT);
}

/* The connection caps and timeouts: the defaults, or what @config says within the descriptor
 * limit. */
static gboolean
set_caps(MeshPortalHttp *http, const MeshPortalHttpConfig *config, GError **error)
{
	guint64 nofile = 0;
	guint limit = mesh_portal_http_connection_limit(&nofile);

	if (limit == 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "the descriptor limit (ulimit -n) is %" G_GUINT64_FORMAT
		            ": the portal needs more than %d; raise it",
		            nofile, MESH_PORTAL_HTTP_FD_RESERVE);
		return FALSE;
	}
	http->max_connections = config->max_connections != 0
	                                ? config->max_connections
	                                : MIN(MESH_PORTAL_HTTP_DEFAULT_MAX_CONNECTIONS, limit);
	if (http->max_connections > limit) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "%u connections at once need more descriptors than the limit allows "
		            "(ulimit -n %" G_GUINT64_FORMAT " leaves %u, %d are kept for the "
		            "database, TLS and logs): raise ulimit -n or lower --max-connections",
		            http->max_connections, nofile, limit, MESH_PORTAL_HTTP_FD_RESERVE);
		return FALSE;
	}
	http->max_per_client =
	        config->max_connections_per_client != 0
	                ? config->max_connections_per_client
	                : MIN(MESH_PORTAL_HTTP_DEFAULT_MAX_PER_CLIENT, http->max_connections);
	if (http->max_per_client > http->max_connections) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "one client may not have more connections (%u) than the portal holds "
		            "in all (%u): lower --max-connections-per-address",
		            http->max_per_client, http->max_connections);
		return FALSE;
	}
	http->header_timeout_us =
	        (gint64)(config->header_timeout != 0 ? config->header_timeout
	                                             : MESH_PORTAL_HTTP_DEFAULT_HEADER_TIMEOUT) *
	        G_USEC_PER_SEC;
	http->idle_timeout_us =
	        (gint64)(config->idle_timeout != 0 ? config->idle_timeout
	                                           : MESH_PORTAL_HTTP_DEFAULT_IDLE_TIMEOUT) *
	        G_USEC_PER_SEC;
	return TRUE;
}

/*
 * libsoup 3.2 keeps a connection open after an answer (HTTP/1.1 keep-alive) only while the
 * server has a listener of its own, and ours is not one (see the top of http.h). So it gets
 * one that can never accept: a loopback socket, watched (if at all) on a main context that
 * nothing runs, and closed as soon as libsoup holds it. tests/integration/portal-http.sh checks
 * that connections are kept, and that only the configured port listens.
 */
static gboolean
keep_alive_listener(MeshPortalHttp *http, GError **error)
{
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) address = g_inet_socket_address_new(loopback, 0);
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GError) local = NULL;
	gboolean ok;

	socket = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
	                      &local);
	ok = socket != NULL && g_socket_bind(socket, address, FALSE, &local) &&
	     g_socket_listen(socket, &local);
	if (ok) {
		http->dead_context = g_main_context_new();
		g_main_context_push_thread_default(http->dead_context);
		ok = soup_server_listen_socket(http->server, socket, 0, &local);
		g_main_context_pop_thread_default(http->dead_context);
	}
	if (socket != NULL)
		g_socket_close(socket, NULL);
	if (!ok)
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
		            "cannot set up keep-alive connections: %s", local->message);
	return ok;
}

static gboolean
start(MeshPortalHttp *http, const MeshPortalHttpConfig *config, GError **error)
{
	const char *listen = config->listen ? config->listen : MESH_PORTAL_HTTP_DEFAULT_LISTEN;
	gboolean tls = config->tls_cert_file != NULL || config->tls_key_file != NULL;
	g_autoptr(GSocketAddress) address = parse_listen(listen, error);
	g_autoptr(GError) listen_error = NULL;
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GSocketAddress) local = NULL;
	g_autofree char *host = NULL;
	GInetAddress *inet;

	if (address == NULL || (tls && !set_tls(http, config, error)) ||
	    !keep_alive_listener(http, error))
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
	if (socket != NULL)
		local = g_socket_get_local_address(socket, &listen_error);
	if (local == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot listen on %s: %s%s", listen,
			    listen_error->message,
			    g_error_matches(listen_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE)
				    ? " (another program has this port: choose another)"
				    : "");
		return FALSE;
	}
	/* Accepting is ours, not libsoup's (see the top of http.h): its listener stops for good
	 * at the first failed accept. */
	g_socket_set_blocking(socket, FALSE);
	http->listener = g_steal_pointer(&socket);
	http->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
	accept_start(http);
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
	http->at_once = config->at_once;
	http->handler_data = handler_data;
	http->log = config->log;
	http->notice = config->notice;
	http->log_data = config->log_data;
	http->health = config->health;
	http->health_data = config->health_data;
	g_mutex_init(&http->health_lock);
	http->context = g_main_context_ref_thread_default();
	http->workers = g_thread_pool_new(work, http,
	                                  config->workers != 0 ? (gint)config->workers
	                                                       : MESH_PORTAL_HTTP_DEFAULT_WORKERS,
	                                  FALSE, NULL);
	http->max_body = config->max_body ? config->max_body : MESH_PORTAL_HTTP_MAX_BODY;
	http->limited = config->rate >= 0;
	http->rate = config->rate > 0 ? config->rate : MESH_PORTAL_HTTP_DEFAULT_RATE;
	http->burst = config->burst > 0 ? config->burst : MESH_PORTAL_HTTP_DEFAULT_BURST;
	http->buckets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	http->per_client = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_queue_init(&http->connections);
	http->server = soup_server_new("server-header", "servermesh", NULL);
	soup_server_add_early_handler(http->server, NULL, on_headers, http, NULL);
	soup_server_add_handler(http->server, NULL, on_request, http, NULL);
	g_signal_connect(http->server, "request-started", G_CALLBACK(on_started), http);
	g_signal_connect(http->server, "request-finished", G_CALLBACK(on_finished), http);
	g_signal_connect(http->server, "request-aborted", G_CALLBACK(on_aborted), http);
	if (!set_caps(http, config, error) || !start(http, config, error))
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
	/* Every request handed to a worker is answered (or dropped, if its client went) before
	 * anything it refers to goes. */
	if (http->workers != NULL)
		g_thread_pool_free(http->workers, FALSE, TRUE);
	while (http->in_flight > 0)
		g_main_context_iteration(http->context, TRUE);
	report_counts(http, TRUE);
	source_clear(&http->accept_source);
	source_clear(&http->resume_source);
	source_clear(&http->sweep_source);
	if (http->server != NULL) {
		/* Requests still in flight must not call back into a freed server. */
		g_signal_handlers_disconnect_by_data(http->server, http);
		soup_server_disconnect(http->server);
		g_object_unref(http->server);
	}
	while (http->connections.head != NULL)
		conn_forget(http->connections.head->data);
	g_clear_pointer(&http->per_client, g_hash_table_unref);
	g_clear_object(&http->listener);
	g_clear_object(&http->certificate);
	g_clear_pointer(&http->buckets, g_hash_table_unref);
	g_clear_pointer(&http->dead_context, g_main_context_unref);
	g_clear_pointer(&http->context, g_main_context_unref);
	g_mutex_clear(&http->health_lock);
	g_free(http->url);
	g_free(http);
}
