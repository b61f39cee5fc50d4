/* SPDX-License-Identifier: MIT */
#include "http.h"

#include <gio/gnetworking.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "error.h"
#include "http-parse.h"
#include "json.h"
#include "platform.h"
#include "portal-base.h"

/* Connections accepted in one go before the main loop serves others. */
#define ACCEPT_BATCH 32
/* Pause after accept failed twice in a row (descriptors, memory), before trying again. */
#define ACCEPT_BACKOFF_MS 100
/* How often connections are checked against their deadlines. */
#define SWEEP_MS 250
/* A connection shut down (timeout, eviction) that its loop has not closed after this long is
 * closed anyway (a TLS handshake that does not notice). */
#define SHUT_GRACE_US (2 * G_USEC_PER_SEC)
/* Connections shut down but not yet closed, at most (each still holds a descriptor): beyond,
 * while at the total cap, new connections wait in the kernel's backlog for SHUT_WAIT_MS rather
 * than take the place of another. */
#define SHUT_SLACK 16
#define SHUT_WAIT_MS 20
/* At most one notice about connections this often. */
#define NOTICE_INTERVAL_US (10 * G_USEC_PER_SEC)
/* Bytes read from a connection at once. */
#define READ_CHUNK 16384
/* Longest request head (request line and header fields). */
#define MAX_HEAD 16384
/* Most I/O loops. */
#define MAX_LOOPS 16

/* What happened to connections since the last notice. */
typedef struct {
	guint refused_client;  /* over the per-client cap */
	guint refused_total;   /* over the total cap, nothing to evict */
	guint evicted;         /* closed before their headers to make room */
	guint header_timeouts; /* no complete headers in time */
	guint idle_timeouts;   /* idle too long after them */
	guint failed;          /* could not be set up (addresses, TLS) */
	guint bad;             /* sent what is not an HTTP/1.x request */
} Counts;

typedef struct Loop Loop;

struct MeshPortalHttp {
	MeshPortalHandler handler;
	MeshPortalAtOnce at_once;
	MeshPortalHandlerNow now;
	MeshPortalFinish finish;
	gpointer handler_data;
	MeshPortalLogFunc log;
	MeshPortalNoticeFunc notice;
	gpointer log_data;
	gsize max_body;
	gboolean limited; /* rate limit on */
	double rate, burst;
	guint max_connections, max_per_client;
	gint64 header_timeout_us, idle_timeout_us;
	GTlsCertificate *certificate; /* NULL: plain HTTP */
	/* Accepting, on the main loop (loops[0]). */
	GSocket *listener;
	GSource *accept_source; /* NULL while paused */
	GSource *resume_source; /* the pause's timeout */
	guint accept_errors;    /* failures since the last accepted connection */
	guint next_loop;        /* round robin */
	/* Shared by the loops, under lock. */
	GMutex lock;
	GHashTable *buckets;    /* client key -> Bucket */
	GQueue connections;     /* Conn (by all_link), oldest first */
	guint shut;             /* of them shut down, waiting for their loop to close them */
	GHashTable *per_client; /* client key -> number of connections (GUINT_TO_POINTER) */
	Counts counts;
	gint64 last_notice_us;
	/* The health endpoint: the function, and its last answer and when it was asked (under
	 * health_lock: workers ask it). */
	MeshPortalHealthFunc health;
	gpointer health_data;
	GMutex health_lock;
	gboolean health_known, health_ok;
	gint64 health_checked_us;
	/* Requests that wait (commits, network) are answered by workers (see the top of http.h);
	 * each answer goes back to its connection's loop. */
	GThreadPool *workers;
	Loop *loops;
	guint n_loops;
	gint stopping; /* mesh_portal_http_free() under way (atomic): answers are dropped */
	guint16 port;
	char *url;
};

/* One I/O loop: loops[0] runs on the caller's main context; the others in threads of their own.
 * A connection belongs to one loop, which alone reads, writes and closes it. */
struct Loop {
	MeshPortalHttp *http;
	GMainContext *context;
	GThread *thread;      /* NULL for loops[0] */
	GQueue conns;         /* its Conn (by loop_link) */
	GSource *sweep_source;
	guint in_flight; /* jobs of its connections whose answer has not come back */
	/* Answers back from workers, under done_lock: the first one into an empty queue wakes
	 * the loop, which takes them all (a commit answers many requests at once). */
	GMutex done_lock;
	GQueue done;
	/* Requests answered at once whose last step waits (MeshPortalFinish): gathered while a
	 * worker finishes the previous ones, then finished together. */
	GPtrArray *laters; /* of Job */
	gboolean finishing;
};

/* A bucket of the per-client rate limit: @tokens requests may be made now. */
typedef struct {
	double tokens;
	gint64 last_us; /* monotonic time of the last refill */
} Bucket;

typedef enum {
	READ_HEAD, /* waiting for (the rest of) a request's head */
	READ_BODY, /* Content-Length bytes */
	READ_CHUNKS,
	WORKING, /* the answer is being made (a worker) */
	WRITING, /* the answer is going out */
} State;

/* What a request is, once its head is read. */
typedef enum {
	KIND_TRANSACTION,
	KIND_HEALTH,
	KIND_REFUSED, /* answered from the head: refusal below */
} Kind;

typedef struct Conn Conn;

/* One accepted connection, from accept until its loop closes it. */
struct Conn {
	MeshPortalHttp *http;
	Loop *loop;
	GSocket *socket;
	GIOStream *tls;                 /* NULL: plain TCP */
	gboolean handshaken;            /* TLS: bytes came through, no handshake under way */
	GSource *source;                /* what it waits for (NULL: nothing, a worker answers) */
	GIOCondition watching;          /* and its condition */
	char *key;                      /* client key */
	char *host;                     /* peer IP address, for the log */
	GByteArray *in;                 /* received, from in_pos on not yet read */
	gsize in_pos;
	GByteArray *out; /* the answer going out, from out_pos on */
	gsize out_pos;
	State state;
	/* The request being read or answered. */
	gboolean started;      /* a byte of it arrived */
	gint64 start_real, start_us;
	char *method, *path;   /* for the log (made safe when logged) */
	gboolean head_only;    /* HEAD: no body in the answer */
	gboolean http10;       /* an HTTP/1.0 request */
	gboolean keep_alive;   /* the client lets the connection stay open */
	gboolean close_after;  /* close once the answer is out */
	Kind kind;
	guint refusal;         /* KIND_REFUSED: its status, description and extra field */
	const char *refusal_text;
	const char *extra_name;
	char *extra_value;
	guint64 remaining;     /* READ_BODY */
	MeshHttpChunks chunks; /* READ_CHUNKS */
	GByteArray *body;      /* NULL: the body is dropped (refused) */
	gsize received;        /* body bytes */
	const char *transaction;
	guint status;          /* of the answer */
	gsize response_bytes;
	/* Under http->lock. */
	gint64 deadline_us; /* monotonic: shut down once past it */
	gboolean waiting;   /* answered, kept open, its next request not started yet */
	gboolean headers;   /* the current request's complete headers arrived */
	gboolean shut;      /* shut down: its loop closes it (deadline_us: the grace) */
	GList all_link;     /* in http->connections */
	GList loop_link;    /* in loop->conns */
};

/* A request handed to a worker, and its answer on the way back; or the laters of one loop
 * handed to a worker together (finish). */
typedef struct {
	Loop *loop;
	Conn *conn;      /* NULL: finish */
	GBytes *request; /* NULL: a health check */
	GBytes *response;
	guint status;
	const char *transaction;
	gpointer later;    /* the handler's step left to finish */
	GPtrArray *finish; /* of Job, each with a later */
} Job;

static gboolean on_socket_io(GSocket *socket, GIOCondition condition, gpointer data);
static gboolean on_stream_io(GObject *stream, gpointer data);

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
	                              description ? description : mesh_portal_status_text(status));
	json_builder_end_object(builder);
	root = json_builder_get_root(builder);
	text = mesh_json_to_string(root);
	return g_bytes_new_take(text, strlen(text));
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

/* ---- Rate limit (under http->lock) ------------------------------------------------------ */

static void
refill(MeshPortalHttp *http, Bucket *bucket, gint64 now_us)
{
	double elapsed = (double)(now_us - bucket->last_us) / G_USEC_PER_SEC;

	bucket->tokens = MIN(http->burst, bucket->tokens + elapsed * http->rate);
	bucket->last_us = now_us;
}

/* Forget clients whose bucket is full again: they are indistinguishable from new ones. */
static void
sweep_buckets(MeshPortalHttp *http, gint64 now_us)
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

/* Take a token for client @client_key. Returns 0 when allowed, else the seconds to wait. */
static guint
rate_limit(MeshPortalHttp *http, const char *client_key)
{
	g_autofree char *key = NULL;
	g_autoptr(GMutexLocker) locker = NULL;
	gint64 now_us = g_get_monotonic_time();
	Bucket *bucket;

	if (!http->limited)
		return 0;
	locker = g_mutex_locker_new(&http->lock);
	bucket = g_hash_table_lookup(http->buckets, client_key);
	if (bucket == NULL) {
		if (g_hash_table_size(http->buckets) >= MESH_PORTAL_HTTP_MAX_CLIENTS)
			sweep_buckets(http, now_us);
		/* Still full: new clients share the bucket of the empty key. */
		key = g_strdup(g_hash_table_size(http->buckets) >= MESH_PORTAL_HTTP_MAX_CLIENTS
		                       ? ""
		                       : client_key);
		bucket = g_hash_table_lookup(http->buckets, key);
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

/* ---- Notices ----------------------------------------------------------------------------- */

static GSource *
attach_timeout(GMainContext *context, guint ms, GSourceFunc func, gpointer data)
{
	GSource *source = g_timeout_source_new(ms);

	g_source_set_callback(source, func, data, NULL);
	g_source_attach(source, context);
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
	       c->header_timeouts == 0 && c->idle_timeouts == 0 && c->failed == 0 && c->bad == 0;
}

static void
count_part(GString *line, guint n, const char *what)
{
	if (n > 0)
		g_string_append_printf(line, "%s%u %s", line->len > 0 ? "; " : "", n, what);
}

/* One line for what happened to connections since the last one: at most one a
 * NOTICE_INTERVAL_US, so that a flood cannot flood the log, unless @force (the server stops).
 * Takes the lock; the notice goes out without it. */
static void
report_counts(MeshPortalHttp *http, gboolean force)
{
	gint64 now = g_get_monotonic_time();
	Counts c;
	g_autoptr(GString) line = NULL;
	g_autofree char *per_client = NULL, *total = NULL, *header = NULL, *idle = NULL;

	g_mutex_lock(&http->lock);
	c = http->counts;
	if (counts_zero(&c) || (!force && now - http->last_notice_us < NOTICE_INTERVAL_US)) {
		g_mutex_unlock(&http->lock);
		return;
	}
	memset(&http->counts, 0, sizeof http->counts);
	http->last_notice_us = now;
	g_mutex_unlock(&http->lock);
	line = g_string_new(NULL);
	per_client =
	        g_strdup_printf("refused (more than %u from one client)", http->max_per_client);
	total = g_strdup_printf("refused (%u in all)", http->max_connections);
	header = g_strdup_printf("closed (no complete headers within %u s)",
	                         (guint)(http->header_timeout_us / G_USEC_PER_SEC));
	idle = g_strdup_printf("closed (idle for %u s)",
	                       (guint)(http->idle_timeout_us / G_USEC_PER_SEC));
	count_part(line, c.refused_client, per_client);
	count_part(line, c.refused_total, total);
	count_part(line, c.evicted, "closed to make room (idle, or no complete headers yet)");
	count_part(line, c.header_timeouts, header);
	count_part(line, c.idle_timeouts, idle);
	count_part(line, c.failed, "failed to set up");
	count_part(line, c.bad, "closed after a malformed request");
	notice(http, "connections: %s", line->str);
}

/* ---- Connections: bookkeeping (under http->lock) ----------------------------------------- */

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

/*
 * Shut @conn down from any thread: shutdown(), not close(). Its loop sees the end of the stream
 * (or a failed handshake) and closes it; closed here, its descriptor's number could go to the
 * next accepted connection while its loop, or a TLS handshake in a thread, still uses it.
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

static gboolean
at_cap(const MeshPortalHttp *http)
{
	return http->connections.length - http->shut >= http->max_connections;
}

/*
 * Over the total cap: shut down the oldest connection that has not sent complete headers, to
 * make room. A client that sends its request at once is never the one; one that holds
 * connections open without a request is. (An idle keep-alive connection, waiting for its next
 * request, has no complete headers.)
 */
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

/* ---- Connections: their loop's side ------------------------------------------------------ */

static void
request_reset(Conn *conn)
{
	conn->started = FALSE;
	g_clear_pointer(&conn->method, g_free);
	g_clear_pointer(&conn->path, g_free);
	g_clear_pointer(&conn->extra_value, g_free);
	g_clear_pointer(&conn->body, g_byte_array_unref);
	conn->head_only = conn->http10 = conn->keep_alive = conn->close_after = FALSE;
	conn->kind = KIND_TRANSACTION;
	conn->refusal = 0;
	conn->refusal_text = conn->extra_name = NULL;
	conn->remaining = 0;
	memset(&conn->chunks, 0, sizeof conn->chunks);
	conn->received = 0;
	conn->transaction = NULL;
	conn->status = 0;
	conn->response_bytes = 0;
}

/* The request is over (answered, or its client gone): one log entry. */
static void
report(Conn *conn, guint status)
{
	MeshPortalHttp *http = conn->http;
	g_autofree char *method = NULL, *path = NULL;
	MeshPortalHttpLogEntry entry = {0};

	if (http->log == NULL || !conn->started || conn->method == NULL)
		return;
	method = mesh_error_quote(conn->method);
	path = mesh_error_quote(conn->path);
	entry.time = conn->start_real;
	entry.client = conn->host;
	entry.method = method;
	entry.path = path;
	entry.transaction = conn->transaction;
	entry.status = status;
	entry.request_bytes = conn->received;
	entry.response_bytes = conn->response_bytes;
	entry.duration_us = g_get_monotonic_time() - conn->start_us;
	http->log(http->log_data, &entry);
}

static void
unwatch(Conn *conn)
{
	source_clear(&conn->source);
	conn->watching = 0;
}

/* Wait for @condition (G_IO_IN or G_IO_OUT) on @conn; on_io is called when it holds. */
static void
watch(Conn *conn, GIOCondition condition)
{
	if (conn->source != NULL && conn->watching == condition)
		return;
	unwatch(conn);
	if (conn->tls == NULL)
		conn->source = g_socket_create_source(conn->socket, condition, NULL);
	else if (condition == G_IO_IN)
		conn->source = g_pollable_input_stream_create_source(
		        G_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(conn->tls)), NULL);
	else
		conn->source = g_pollable_output_stream_create_source(
		        G_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(conn->tls)), NULL);
	if (conn->tls == NULL)
		g_source_set_callback(conn->source, G_SOURCE_FUNC(on_socket_io), conn, NULL);
	else
		g_source_set_callback(conn->source, G_SOURCE_FUNC(on_stream_io), conn, NULL);
	g_source_attach(conn->source, conn->loop->context);
	conn->watching = condition;
}

/* Close @conn and free it (its loop only; never while a worker has its request). A request it
 * had started is logged as abandoned (status 0). */
static void
conn_close(Conn *conn)
{
	MeshPortalHttp *http = conn->http;

	g_mutex_lock(&http->lock);
	g_queue_unlink(&http->connections, &conn->all_link);
	if (conn->shut)
		http->shut--;
	else
		conn_uncount(conn);
	g_mutex_unlock(&http->lock);
	g_queue_unlink(&conn->loop->conns, &conn->loop_link);
	if (conn->state != WRITING || conn->out_pos < conn->out->len)
		report(conn, 0);
	unwatch(conn);
	g_socket_close(conn->socket, NULL);
	g_clear_object(&conn->tls);
	g_object_unref(conn->socket);
	request_reset(conn);
	g_byte_array_unref(conn->in);
	g_byte_array_unref(conn->out);
	g_free(conn->key);
	g_free(conn->host);
	g_free(conn);
}

/*
 * Close @conn now, or, when a TLS handshake may still be using its descriptor in a thread of
 * GIO's, shut it down and let the handshake fail first (on_io, or the sweep after the grace).
 */
static void
conn_end(Conn *conn)
{
	if (conn->tls != NULL && !conn->handshaken) {
		g_mutex_lock(&conn->http->lock);
		if (!conn->shut)
			conn_shut(conn);
		g_mutex_unlock(&conn->http->lock);
		watch(conn, G_IO_IN);
		return;
	}
	conn_close(conn);
}

/* The answer is out: log it, then wait for the next request (a caller outside advance() calls
 * it for bytes that came already) or close. FALSE: @conn is gone. */
static gboolean
answered(Conn *conn)
{
	MeshPortalHttp *http = conn->http;

	report(conn, conn->status);
	if (conn->close_after) {
		/* Our side ends: the client reads the answer, then the end of the stream. */
		g_socket_shutdown(conn->socket, FALSE, TRUE, NULL);
		conn_close(conn);
		return FALSE;
	}
	request_reset(conn);
	conn->state = READ_HEAD;
	g_byte_array_set_size(conn->out, 0);
	conn->out_pos = 0;
	g_mutex_lock(&http->lock);
	if (!conn->shut) {
		conn->waiting = TRUE;
		conn->headers = FALSE;
		conn->deadline_us = g_get_monotonic_time() + http->idle_timeout_us;
	}
	g_mutex_unlock(&http->lock);
	watch(conn, G_IO_IN);
	return TRUE;
}

/* Bytes moved after the headers: the idle timeout starts again. */
static void
conn_touch(Conn *conn)
{
	g_mutex_lock(&conn->http->lock);
	if (conn->headers && !conn->shut)
		conn->deadline_us = g_get_monotonic_time() + conn->http->idle_timeout_us;
	g_mutex_unlock(&conn->http->lock);
}

/* Write what is left of conn->out. FALSE: @conn is gone (answered and closed, or failed). */
static gboolean
flush(Conn *conn)
{
	gboolean moved = FALSE;

	while (conn->out_pos < conn->out->len) {
		g_autoptr(GError) error = NULL;
		const guint8 *data = conn->out->data + conn->out_pos;
		gsize size = conn->out->len - conn->out_pos;
		gssize n;

		if (conn->tls == NULL)
			n = g_socket_send_with_blocking(conn->socket, (const char *)data, size, FALSE,
			                                NULL, &error);
		else
			n = g_pollable_output_stream_write_nonblocking(
			        G_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(conn->tls)),
			        data, size, NULL, &error);
		if (n < 0 && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
			/* Waiting for the client to read: bytes that went out restart the idle
			 * timeout (an answer that goes out whole needs no touch: answered() sets
			 * the next deadline). */
			if (moved)
				conn_touch(conn);
			watch(conn, G_IO_OUT);
			return TRUE;
		}
		if (n <= 0) {
			conn_end(conn);
			return FALSE;
		}
		conn->out_pos += (gsize)n;
		moved = TRUE;
	}
	return conn->state == WRITING ? answered(conn) : TRUE;
}

/* Append the head of an answer with @status and a body of @length bytes. */
static void
write_head(Conn *conn, guint status, gsize length)
{
	g_autoptr(GString) head = g_string_sized_new(256);

	g_string_append_printf(head,
	                       "HTTP/1.1 %u %s\r\nServer: servermesh\r\n"
	                       "Content-Type: application/json\r\nCache-Control: no-store\r\n"
	                       "X-Content-Type-Options: nosniff\r\nContent-Length: %" G_GSIZE_FORMAT
	                       "\r\n",
	                       status, mesh_portal_status_text(status), length);
	if (conn->extra_name != NULL)
		g_string_append_printf(head, "%s: %s\r\n", conn->extra_name, conn->extra_value);
	if (conn->close_after)
		g_string_append(head, "Connection: close\r\n");
	else if (conn->keep_alive && conn->http10)
		g_string_append(head, "Connection: keep-alive\r\n");
	g_string_append(head, "\r\n");
	g_byte_array_append(conn->out, (const guint8 *)head->str, (guint)head->len);
}

/* Send the answer @status with @body (NULL: its status answer) and, once it is out, go on
 * (answered()). FALSE: @conn is gone. */
static gboolean
respond(Conn *conn, guint status, GBytes *body)
{
	g_autoptr(GBytes) fallback = NULL;
	gsize size;
	const guint8 *data;

	if (body == NULL || status < 100 || status > 599) {
		if (status < 100 || status > 599)
			status = 500;
		body = fallback = mesh_portal_status_answer(status, NULL);
	}
	data = g_bytes_get_data(body, &size);
	/* Also set when the request was not read to its end: what follows is not a request. */
	if (!conn->keep_alive)
		conn->close_after = TRUE;
	conn->status = status;
	conn->response_bytes = size;
	write_head(conn, status, size);
	if (!conn->head_only)
		g_byte_array_append(conn->out, data, (guint)size);
	conn->state = WRITING;
	return flush(conn);
}

/* Answer a refusal made from the head (its body, if any, read and dropped, or not read). */
static gboolean
respond_refusal(Conn *conn)
{
	g_autoptr(GBytes) body = mesh_portal_status_answer(conn->refusal, conn->refusal_text);

	return respond(conn, conn->refusal, body);
}

static void
refuse(Conn *conn, guint status, const char *text, const char *extra_name, char *extra_value)
{
	conn->kind = KIND_REFUSED;
	conn->refusal = status;
	conn->refusal_text = text;
	conn->extra_name = extra_name;
	g_free(conn->extra_value);
	conn->extra_value = extra_value;
}

/* ---- Health ------------------------------------------------------------------------------ */

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
	gboolean ok = health_now(job->conn->http);

	job->response = ok ? g_bytes_new_static(ok_text, sizeof ok_text - 1)
	                   : g_bytes_new_static(down_text, sizeof down_text - 1);
	job->status = ok ? 200 : 503;
	job->transaction = "Health";
}

/* ---- Requests ---------------------------------------------------------------------------- */

static gboolean
is_health(const MeshPortalHttp *http, const MeshHttpHead *head)
{
	return http->health != NULL &&
	       head->path_len == strlen(MESH_PORTAL_HTTP_HEALTH_PATH) &&
	       memcmp(head->path, MESH_PORTAL_HTTP_HEALTH_PATH, head->path_len) == 0;
}

static gboolean
is_method(const MeshHttpHead *head, const char *method)
{
	return head->method_len == strlen(method) &&
	       memcmp(head->method, method, head->method_len) == 0;
}

/* After the head, before the body: everything that can be refused without reading it. */
static void
judge(Conn *conn, const MeshHttpHead *head)
{
	MeshPortalHttp *http = conn->http;
	guint wait;

	if (is_health(http, head)) {
		/* Never rate-limited (http.h). */
		conn->kind = KIND_HEALTH;
		if (!is_method(head, "GET") && !is_method(head, "HEAD"))
			refuse(conn, 405, "the health endpoint answers GET and HEAD", "Allow",
			       g_strdup("GET, HEAD"));
		return;
	}
	wait = rate_limit(http, conn->key);
	if (wait > 0)
		refuse(conn, 429, "too many requests from this address: try again later",
		       "Retry-After", g_strdup_printf("%u", wait));
	else if (head->path_len != strlen(MESH_PORTAL_HTTP_PATH) ||
	         memcmp(head->path, MESH_PORTAL_HTTP_PATH, head->path_len) != 0)
		refuse(conn, 404, "the Mesh portal is at " MESH_PORTAL_HTTP_PATH, NULL, NULL);
	else if (!is_method(head, "POST"))
		refuse(conn, 405, "portal transactions are POST requests", "Allow", g_strdup("POST"));
	else if (head->content_type == NULL ||
	         !mesh_http_is_json(head->content_type, head->content_type_len))
		refuse(conn, 415, "portal requests are Content-Type: application/json", NULL, NULL);
	else if (head->content_length > (gint64)http->max_body)
		refuse(conn, 413, "the request is larger than the portal accepts", NULL, NULL);
}

static gboolean advance(Conn *conn);

static void
job_free(Job *job)
{
	g_clear_pointer(&job->request, g_bytes_unref);
	g_clear_pointer(&job->response, g_bytes_unref);
	g_free(job);
}

static void finish_start(Loop *loop);

/* On the connection's loop: a worker's answer goes out. */
static void
job_done(Job *job)
{
	Conn *conn = job->conn;

	if (conn == NULL) { /* a finish is over: the next may start */
		Loop *loop = job->loop;

		loop->finishing = FALSE;
		g_ptr_array_unref(job->finish);
		g_free(job);
		finish_start(loop);
		return;
	}
	conn->loop->in_flight--;
	if (g_atomic_int_get(&conn->http->stopping)) {
		job_free(job);
		return;
	}
	conn->transaction = job->transaction;
	/* A next request may have come with this one (pipelining). */
	if (respond(conn, job->status, job->response) && conn->state == READ_HEAD)
		advance(conn);
	job_free(job);
}

/* On a loop: the answers its workers handed back. */
static gboolean
jobs_done(gpointer data)
{
	Loop *loop = data;
	GQueue done = G_QUEUE_INIT;
	Job *job;

	g_mutex_lock(&loop->done_lock);
	done = loop->done;
	g_queue_init(&loop->done);
	g_mutex_unlock(&loop->done_lock);
	while ((job = g_queue_pop_head(&done)) != NULL)
		job_done(job);
	return G_SOURCE_REMOVE;
}

/* In a worker: the laters of @job->finish finished together, each answer in its own job. */
static void
finish_job(MeshPortalHttp *http, Job *job)
{
	guint n = job->finish->len;
	g_autofree gpointer *laters = g_new(gpointer, n);
	g_autofree GBytes **answers = g_new0(GBytes *, n);
	g_autofree guint *statuses = g_new0(guint, n);

	for (guint i = 0; i < n; i++) {
		Job *one = g_ptr_array_index(job->finish, i);

		laters[i] = g_steal_pointer(&one->later);
	}
	http->finish(http->handler_data, laters, n, answers, statuses);
	for (guint i = 0; i < n; i++) {
		Job *one = g_ptr_array_index(job->finish, i);

		one->response = answers[i];
		one->status = statuses[i];
	}
}

/* In a worker: the transaction layer (or the health function) answers. */
static void
work(gpointer data, gpointer user_data)
{
	Job *job = data;
	MeshPortalHttp *http = user_data;
	Loop *loop = job->loop;
	gboolean first;

	if (job->finish != NULL)
		finish_job(http, job);
	else if (job->request == NULL)
		health_job(job);
	else
		job->response = http->handler(http->handler_data, job->conn->key, job->request,
		                              &job->status, &job->transaction);
	g_mutex_lock(&loop->done_lock);
	/* A finish: each of its requests' answers, then the finish itself. */
	for (guint i = 0; job->finish != NULL && i < job->finish->len; i++)
		g_queue_push_tail(&loop->done, g_ptr_array_index(job->finish, i));
	g_queue_push_tail(&loop->done, job);
	first = loop->done.length == (job->finish != NULL ? job->finish->len + 1 : 1);
	g_mutex_unlock(&loop->done_lock);
	if (first)
		g_main_context_invoke(loop->context, jobs_done, loop);
}

/* On a loop: hand the laters gathered so far to a worker, unless one has some already. */
static void
finish_start(Loop *loop)
{
	Job *job;

	if (loop->finishing || loop->laters->len == 0)
		return;
	job = g_new0(Job, 1);
	job->loop = loop;
	job->finish = g_steal_pointer(&loop->laters);
	loop->laters = g_ptr_array_new();
	loop->finishing = TRUE;
	g_thread_pool_push(loop->http->workers, job, NULL);
}

/* The request is complete and nothing refused it: answered at once, or by a worker while the
 * connection waits. FALSE: @conn is gone. */
static gboolean
dispatch(Conn *conn)
{
	MeshPortalHttp *http = conn->http;
	Job *job;

	if (conn->kind == KIND_REFUSED)
		return respond_refusal(conn);
	job = g_new0(Job, 1);
	job->loop = conn->loop;
	job->conn = conn;
	job->status = 500;
	if (conn->kind == KIND_TRANSACTION)
		job->request = g_byte_array_free_to_bytes(g_steal_pointer(&conn->body));
	if (job->request != NULL && http->at_once != NULL &&
	    http->at_once(http->handler_data, job->request)) {
		gboolean alive;

		job->response = http->now(http->handler_data, conn->key, job->request, &job->status,
		                          &job->transaction, &job->later);
		conn->transaction = job->transaction;
		if (job->response != NULL) {
			alive = respond(conn, job->status, job->response);
			job_free(job);
			return alive;
		}
		if (job->later != NULL) {
			conn->state = WORKING;
			unwatch(conn);
			conn->loop->in_flight++;
			g_ptr_array_add(conn->loop->laters, job);
			finish_start(conn->loop);
			return TRUE;
		}
		/* Not a request to answer at once: a worker does it all. */
		job->transaction = NULL;
	}
	if (g_atomic_int_get(&http->stopping)) {
		job_free(job);
		conn_close(conn);
		return FALSE;
	}
	conn->state = WORKING;
	unwatch(conn);
	conn->loop->in_flight++;
	g_thread_pool_push(http->workers, job, NULL);
	return TRUE;
}

/* The status of a head that cannot be read, and why (for the client). */
static guint
head_error(MeshHttpParse r, const char **text)
{
	switch (r) {
	case MESH_HTTP_TOO_LARGE:
		*text = "the request's header fields are too large";
		return 431;
	case MESH_HTTP_NOT_IMPLEMENTED:
		*text = "the only transfer coding the portal reads is chunked";
		return 501;
	case MESH_HTTP_VERSION:
		*text = "the portal speaks HTTP/1.1";
		return 505;
	case MESH_HTTP_EXPECTATION:
		*text = "the only expectation the portal meets is 100-continue";
		return 417;
	default:
		*text = "not an HTTP/1.1 request";
		return 400;
	}
}

/* A complete head in conn->in: judge it and set up reading the body. FALSE: @conn is gone. */
static gboolean
begin(Conn *conn, const MeshHttpHead *head)
{
	MeshPortalHttp *http = conn->http;
	gboolean has_body = head->chunked || head->content_length > 0;

	conn->method = g_strndup(head->method, head->method_len);
	conn->path = g_strndup(head->path, head->path_len);
	conn->head_only = is_method(head, "HEAD");
	conn->keep_alive = head->keep_alive;
	conn->http10 = head->minor == 0;
	g_mutex_lock(&http->lock);
	if (!conn->shut) {
		conn->headers = TRUE;
		conn->deadline_us = g_get_monotonic_time() + http->idle_timeout_us;
	}
	g_mutex_unlock(&http->lock);
	judge(conn, head);
	if (conn->kind != KIND_TRANSACTION && head->content_length > MESH_PORTAL_HTTP_DISCARD_MAX)
		refuse(conn, 413, "the request is larger than the portal accepts", NULL, NULL);
	if (conn->kind == KIND_REFUSED && has_body &&
	    (head->expect_continue || head->content_length > MESH_PORTAL_HTTP_DISCARD_MAX)) {
		/* The client waits for "100 Continue", or sends far too much: answer now, read
		 * nothing more, close. */
		conn->keep_alive = FALSE;
		return respond_refusal(conn);
	}
	/* Only a transaction's body is kept (the limit is checked as it grows: a length
	 * announced is not memory taken before the bytes come). */
	if (conn->kind == KIND_TRANSACTION)
		conn->body = g_byte_array_sized_new(
		        (guint)MIN(MAX(head->content_length, 0), 4 * READ_CHUNK));
	if (head->chunked) {
		conn->state = READ_CHUNKS;
	} else if (head->content_length > 0) {
		conn->state = READ_BODY;
		conn->remaining = (guint64)head->content_length;
	} else {
		return dispatch(conn);
	}
	if (head->expect_continue) {
		static const char go_on[] = "HTTP/1.1 100 Continue\r\n\r\n";

		g_byte_array_append(conn->out, (const guint8 *)go_on, sizeof go_on - 1);
		return flush(conn);
	}
	return TRUE;
}

/* Read a chunked body's next bytes. FALSE: @conn is gone. */
static gboolean
read_chunks(Conn *conn, gboolean *ret_done)
{
	const guint8 *data = conn->in->data + conn->in_pos;
	gsize size = conn->in->len - conn->in_pos, used = 0;
	MeshHttpParse r = mesh_http_chunks_feed(&conn->chunks, data, size, conn->body, &used);

	*ret_done = r == MESH_HTTP_OK;
	conn->in_pos += used;
	if (conn->body != NULL)
		conn->received = conn->body->len;
	else
		conn->received += used;
	if (r == MESH_HTTP_BAD) {
		refuse(conn, 400, "a malformed chunked body", NULL, NULL);
		conn->keep_alive = FALSE;
		return respond_refusal(conn);
	}
	if (conn->body != NULL && conn->body->len > conn->http->max_body) {
		/* The rest is read and dropped. */
		g_clear_pointer(&conn->body, g_byte_array_unref);
		refuse(conn, 413, "the request is larger than the portal accepts", NULL, NULL);
	}
	if (conn->body == NULL && conn->received > MESH_PORTAL_HTTP_DISCARD_MAX) {
		conn->keep_alive = FALSE;
		return respond_refusal(conn);
	}
	return TRUE;
}

/* Read what conn->in holds as far as it goes. FALSE: @conn is gone. */
static gboolean
advance(Conn *conn)
{
	MeshPortalHttp *http = conn->http;

	while (conn->in_pos < conn->in->len) {
		MeshHttpHead head;
		MeshHttpParse r;
		gsize used = 0, size;
		gboolean done = FALSE;
		const char *text = NULL;

		switch (conn->state) {
		case READ_HEAD:
			if (!conn->started) {
				conn->started = TRUE;
				conn->start_real = g_get_real_time();
				conn->start_us = g_get_monotonic_time();
				g_mutex_lock(&http->lock);
				if (conn->waiting && !conn->shut) {
					conn->waiting = FALSE;
					conn->deadline_us = conn->start_us + http->header_timeout_us;
				}
				g_mutex_unlock(&http->lock);
			}
			r = mesh_http_parse_head(conn->in->data + conn->in_pos,
			                         conn->in->len - conn->in_pos, MAX_HEAD, &head, &used);
			if (r == MESH_HTTP_MORE)
				return TRUE;
			conn->in_pos += used;
			if (r != MESH_HTTP_OK) {
				/* Answered, then closed: what follows cannot be told apart. */
				if (r == MESH_HTTP_EXPECTATION) {
					conn->method = g_strndup(head.method, head.method_len);
					conn->path = g_strndup(head.path, head.path_len);
				} else {
					g_mutex_lock(&http->lock);
					http->counts.bad++;
					g_mutex_unlock(&http->lock);
					conn->method = g_strdup("-");
					conn->path = g_strdup("-");
				}
				refuse(conn, head_error(r, &text), text, NULL, NULL);
				if (!respond_refusal(conn))
					return FALSE;
				break;
			}
			if (!begin(conn, &head))
				return FALSE;
			break;
		case READ_BODY:
			size = (gsize)MIN((guint64)(conn->in->len - conn->in_pos), conn->remaining);
			if (conn->body != NULL)
				g_byte_array_append(conn->body, conn->in->data + conn->in_pos,
				                    (guint)size);
			conn->in_pos += size;
			conn->remaining -= size;
			conn->received += size;
			if (conn->remaining == 0 && !dispatch(conn))
				return FALSE;
			break;
		case READ_CHUNKS:
			if (!read_chunks(conn, &done))
				return FALSE;
			if (conn->state == READ_CHUNKS && done && !dispatch(conn))
				return FALSE;
			break;
		case WORKING:
		case WRITING:
			return TRUE; /* the rest waits for the answer */
		}
	}
	return TRUE;
}

/* Move the unread bytes of conn->in to its start (or empty it). */
static void
compact(Conn *conn)
{
	gsize rest = conn->in->len - conn->in_pos;

	if (conn->in_pos == 0)
		return;
	if (rest > 0)
		memmove(conn->in->data, conn->in->data + conn->in_pos, rest);
	g_byte_array_set_size(conn->in, (guint)rest);
	conn->in_pos = 0;
}

/*
 * Read what the connection has. Returns the bytes read (> 0), 0 at the end of the stream or on
 * an error, -1 when nothing is there now. Plain TCP reads once (the loop calls again while the
 * socket is readable); TLS reads until it would block (records may wait decrypted inside).
 */
static gssize
receive(Conn *conn)
{
	gssize total = 0;

	for (;;) {
		g_autoptr(GError) error = NULL;
		gsize old = conn->in->len;
		gssize n;

		g_byte_array_set_size(conn->in, (guint)(old + READ_CHUNK));
		if (conn->tls == NULL)
			n = g_socket_receive_with_blocking(conn->socket, (char *)conn->in->data + old,
			                                   READ_CHUNK, FALSE, NULL, &error);
		else
			n = g_pollable_input_stream_read_nonblocking(
			        G_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(conn->tls)),
			        conn->in->data + old, READ_CHUNK, NULL, &error);
		g_byte_array_set_size(conn->in, (guint)(old + MAX(n, 0)));
		if (n < 0 && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
			return total > 0 ? total : -1;
		if (n <= 0)
			return total;
		conn->handshaken = TRUE;
		total += n;
		if (conn->tls == NULL || conn->in->len - conn->in_pos >= MAX_HEAD + READ_CHUNK)
			return total;
	}
}

/* The connection can be read (or written: an answer waits to go out). Every path that no longer
 * wants this source destroys it (unwatch, watch, conn_close): it is never removed by returning. */
static gboolean
on_io(gpointer data)
{
	Conn *conn = data;
	gssize n;

	if (conn->watching == G_IO_OUT) {
		if (!flush(conn) || conn->out_pos < conn->out->len)
			return G_SOURCE_CONTINUE; /* gone, or not all out yet */
		/* An answer is out (a next request may have come with this one: pipelining), or
		 * a "100 Continue" (the body comes next). */
		if (conn->state == READ_HEAD)
			advance(conn);
		else
			watch(conn, G_IO_IN);
		return G_SOURCE_CONTINUE;
	}
	compact(conn);
	n = receive(conn);
	if (n < 0)
		return G_SOURCE_CONTINUE;
	if (n == 0) {
		conn->handshaken = TRUE; /* over, one way or the other */
		conn_close(conn);
		return G_SOURCE_CONTINUE;
	}
	if (conn->state != READ_HEAD)
		conn_touch(conn);
	/* While a worker answers, what comes meanwhile stays in conn->in or the kernel. */
	advance(conn);
	return G_SOURCE_CONTINUE;
}

/* ---- Loops ------------------------------------------------------------------------------- */

/* Every SWEEP_MS while the loop has connections: end those past their deadline, close those
 * shut down (from another thread, or a TLS handshake) whose grace is over. A connection whose
 * request a worker has is never timed out: its answer comes. */
static gboolean
sweep_connections(gpointer data)
{
	Loop *loop = data;
	MeshPortalHttp *http = loop->http;
	gint64 now = g_get_monotonic_time();
	gboolean more;
	GList *next;

	for (GList *l = loop->conns.head; l != NULL; l = next) {
		Conn *conn = l->data;
		gboolean grace_over = FALSE, late = FALSE;

		next = l->next;
		if (conn->state == WORKING)
			continue;
		g_mutex_lock(&http->lock);
		if (now >= conn->deadline_us) {
			grace_over = conn->shut;
			late = !conn->shut;
			if (late && conn->headers)
				http->counts.idle_timeouts++;
			else if (late)
				http->counts.header_timeouts++;
		}
		g_mutex_unlock(&http->lock);
		if (grace_over) {
			conn->handshaken = TRUE; /* whatever the handshake does, the descriptor goes */
			conn_close(conn);
		} else if (late) {
			conn_end(conn);
		}
	}
	report_counts(http, FALSE);
	g_mutex_lock(&http->lock);
	more = loop->conns.length > 0 || (loop == &http->loops[0] && !counts_zero(&http->counts));
	g_mutex_unlock(&http->lock);
	if (more)
		return G_SOURCE_CONTINUE;
	g_clear_pointer(&loop->sweep_source, g_source_unref);
	return G_SOURCE_REMOVE;
}

static void
sweep_start(Loop *loop)
{
	if (loop->sweep_source == NULL)
		loop->sweep_source = attach_timeout(loop->context, SWEEP_MS, sweep_connections, loop);
}

/* On its loop: a new connection starts being read. */
static gboolean
conn_start(gpointer data)
{
	Conn *conn = data;

	g_queue_push_tail_link(&conn->loop->conns, &conn->loop_link);
	sweep_start(conn->loop);
	watch(conn, G_IO_IN);
	return G_SOURCE_REMOVE;
}

static gpointer
loop_thread(gpointer data)
{
	Loop *loop = data;

	/* Not a GMainLoop: a quit before it ran would be lost, the wakeup is not. */
	g_main_context_push_thread_default(loop->context);
	while (!g_atomic_int_get(&loop->http->stopping))
		g_main_context_iteration(loop->context, TRUE);
	g_main_context_pop_thread_default(loop->context);
	return NULL;
}

/* The server stops: every request a worker has comes back (and is dropped), then every
 * connection of @loop is closed. On the loop's thread, or after it ended. */
static void
loop_end(Loop *loop)
{
	while (loop->in_flight > 0)
		g_main_context_iteration(loop->context, TRUE);
	while (loop->conns.head != NULL)
		conn_close(loop->conns.head->data);
	source_clear(&loop->sweep_source);
}

/* ---- Accepting (on the main loop) -------------------------------------------------------- */

static void
refuse_connection(MeshPortalHttp *http, GSocket *socket, guint *count)
{
	g_mutex_lock(&http->lock);
	(*count)++;
	g_mutex_unlock(&http->lock);
	g_socket_close(socket, NULL);
	sweep_start(&http->loops[0]); /* reports the count */
}

/* TLS over a new connection (handshake on the first read), or NULL with plain HTTP. */
static gboolean
connection_tls(MeshPortalHttp *http, GSocket *socket, GIOStream **ret_tls)
{
	static const char *const protocols[] = {"http/1.1", "http/1.0", NULL};
	g_autoptr(GIOStream) tcp = NULL;
	GIOStream *tls;

	*ret_tls = NULL;
	if (http->certificate == NULL)
		return TRUE;
	tcp = G_IO_STREAM(g_socket_connection_factory_create_connection(socket));
	tls = G_IO_STREAM(g_tls_server_connection_new(tcp, http->certificate, NULL));
	if (tls == NULL)
		return FALSE;
	g_tls_connection_set_require_close_notify(G_TLS_CONNECTION(tls), FALSE);
	g_tls_connection_set_advertised_protocols(G_TLS_CONNECTION(tls), protocols);
	*ret_tls = tls;
	return TRUE;
}

/* A newly accepted @socket: counted and handed to a loop, or refused. */
static void
admit(MeshPortalHttp *http, GSocket *socket)
{
	g_autoptr(GSocketAddress) remote = g_socket_get_remote_address(socket, NULL);
	g_autoptr(GIOStream) tls = NULL;
	g_autofree char *key = NULL;
	Conn *conn;
	Loop *loop;
	guint n;

	if (remote == NULL || !connection_tls(http, socket, &tls)) { /* reset already */
		refuse_connection(http, socket, &http->counts.failed);
		return;
	}
	key = mesh_portal_http_client_key(remote);
	g_mutex_lock(&http->lock);
	n = GPOINTER_TO_UINT(g_hash_table_lookup(http->per_client, key));
	if (n >= http->max_per_client && !evict_idle_of(http, key)) {
		g_mutex_unlock(&http->lock);
		refuse_connection(http, socket, &http->counts.refused_client);
		return;
	}
	n = GPOINTER_TO_UINT(g_hash_table_lookup(http->per_client, key));
	if (at_cap(http) && !evict(http)) {
		g_mutex_unlock(&http->lock);
		refuse_connection(http, socket, &http->counts.refused_total);
		return;
	}
	loop = &http->loops[http->next_loop++ % http->n_loops];
	conn = g_new0(Conn, 1);
	conn->http = http;
	conn->loop = loop;
	conn->socket = g_object_ref(socket);
	conn->tls = g_steal_pointer(&tls);
	conn->key = g_steal_pointer(&key);
	conn->host = g_inet_address_to_string(
	        g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(remote)));
	conn->in = g_byte_array_sized_new(READ_CHUNK);
	conn->out = g_byte_array_sized_new(1024);
	conn->state = READ_HEAD;
	conn->deadline_us = g_get_monotonic_time() + http->header_timeout_us;
	conn->all_link.data = conn;
	conn->loop_link.data = conn;
	g_queue_push_tail_link(&http->connections, &conn->all_link);
	g_hash_table_replace(http->per_client, g_strdup(conn->key), GUINT_TO_POINTER(n + 1));
	g_mutex_unlock(&http->lock);
	g_socket_set_option(socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
	if (loop == &http->loops[0])
		conn_start(conn);
	else
		g_main_context_invoke(loop->context, conn_start, conn);
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
	http->resume_source = attach_timeout(http->loops[0].context, ms, accept_resume, http);
}

static gboolean
on_incoming(GSocket *listener, GIOCondition condition, gpointer data)
{
	MeshPortalHttp *http = data;

	for (int i = 0; i < ACCEPT_BATCH; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GSocket) socket = NULL;
		gboolean wait;

		/* Full, and the connections made room for still closing (their loops close them
		 * as they turn): wait rather than refuse, or push out one more. */
		g_mutex_lock(&http->lock);
		wait = at_cap(http) && http->shut >= SHUT_SLACK;
		g_mutex_unlock(&http->lock);
		if (wait) {
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
	g_source_attach(http->accept_source, http->loops[0].context);
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

	if (address == NULL || (tls && !set_tls(http, config, error)))
		return FALSE;
	/* GSocket's default backlog is 10: under load the kernel would drop connection attempts
	 * that the client retries a second later. */
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

/* The I/O loops: loops[0] on the caller's thread-default context, the others in threads. */
static void
start_loops(MeshPortalHttp *http, guint n)
{
	http->n_loops = n;
	http->loops = g_new0(Loop, n);
	for (guint i = 0; i < n; i++) {
		Loop *loop = &http->loops[i];

		loop->http = http;
		g_queue_init(&loop->conns);
		g_mutex_init(&loop->done_lock);
		g_queue_init(&loop->done);
		loop->laters = g_ptr_array_new();
		if (i == 0) {
			loop->context = g_main_context_ref_thread_default();
			continue;
		}
		loop->context = g_main_context_new();
		loop->thread = g_thread_new("servermesh-io", loop_thread, loop);
	}
}

/* How many I/O loops by default: one per processor, within MAX_LOOPS. */
static guint
default_loops(void)
{
	return CLAMP(g_get_num_processors(), 1, MAX_LOOPS);
}

MeshPortalHttp *
mesh_portal_http_new(const MeshPortalHttpConfig *config, MeshPortalHandler handler,
		     gpointer handler_data, GError **error)
{
	g_autoptr(MeshPortalHttp) http = g_new0(MeshPortalHttp, 1);

	if (config->loops > MAX_LOOPS) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "at most %d I/O threads (--io-threads)", MAX_LOOPS);
		return NULL;
	}
	http->handler = handler;
	http->at_once = config->now != NULL && config->finish != NULL ? config->at_once : NULL;
	http->now = config->now;
	http->finish = config->finish;
	http->handler_data = handler_data;
	http->log = config->log;
	http->notice = config->notice;
	http->log_data = config->log_data;
	http->health = config->health;
	http->health_data = config->health_data;
	g_mutex_init(&http->lock);
	g_mutex_init(&http->health_lock);
	http->max_body = config->max_body ? config->max_body : MESH_PORTAL_HTTP_MAX_BODY;
	http->limited = config->rate >= 0;
	http->rate = config->rate > 0 ? config->rate : MESH_PORTAL_HTTP_DEFAULT_RATE;
	http->burst = config->burst > 0 ? config->burst : MESH_PORTAL_HTTP_DEFAULT_BURST;
	http->buckets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	http->per_client = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_queue_init(&http->connections);
	if (!set_caps(http, config, error))
		return NULL;
	http->workers = g_thread_pool_new(work, http,
	                                  config->workers != 0 ? (gint)config->workers
	                                                       : MESH_PORTAL_HTTP_DEFAULT_WORKERS,
	                                  FALSE, NULL);
	start_loops(http, config->loops != 0 ? config->loops : default_loops());
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
	source_clear(&http->accept_source);
	source_clear(&http->resume_source);
	/* No request goes to a worker any more; each one a worker has is answered (or dropped)
	 * on its loop, whose connections are then closed. */
	g_atomic_int_set(&http->stopping, TRUE);
	for (guint i = 1; i < http->n_loops; i++) {
		Loop *loop = &http->loops[i];

		g_main_context_wakeup(loop->context);
		g_thread_join(loop->thread);
		g_main_context_push_thread_default(loop->context);
		loop_end(loop);
		g_main_context_pop_thread_default(loop->context);
		g_main_context_unref(loop->context);
	}
	if (http->n_loops > 0) {
		loop_end(&http->loops[0]);
		g_main_context_unref(http->loops[0].context);
	}
	if (http->workers != NULL)
		g_thread_pool_free(http->workers, FALSE, TRUE);
	report_counts(http, TRUE);
	for (guint i = 0; i < http->n_loops; i++) {
		g_mutex_clear(&http->loops[i].done_lock);
		g_ptr_array_unref(http->loops[i].laters);
	}
	g_free(http->loops);
	g_clear_pointer(&http->per_client, g_hash_table_unref);
	g_clear_object(&http->listener);
	g_clear_object(&http->certificate);
	g_clear_pointer(&http->buckets, g_hash_table_unref);
	g_mutex_clear(&http->health_lock);
	g_mutex_clear(&http->lock);
	g_free(http->url);
	g_free(http);
}

static gboolean
on_socket_io(GSocket *socket, GIOCondition condition, gpointer data)
{
	return on_io(data);
}

static gboolean
on_stream_io(GObject *stream, gpointer data)
{
	return on_io(data);
}
