/* SPDX-License-Identifier: MIT */
#include "service.h"

#include <gio/gio.h>
#include <openssl/crypto.h>
#include <string.h>

#include "error.h"
#include "frame.h"

/* A connection's read-ahead buffer starts at this size and grows to the largest request seen
 * (at most the protocol's maximum plus its length). */
#define READ_START (16 * 1024)
/* After a failed accept (out of descriptors: EMFILE), wait this long before the next. */
#define ACCEPT_RETRY_MS 100

struct MeshService {
	const MeshServiceProtocol *protocol;
	gpointer data;
	MeshTransportListener *listener;
	GThread *acceptor;
	GCancellable *wake;      /* cancelled: the acceptor looks again */
	GMutex lock;             /* guards the members below */
	GCond changed;           /* a connection ended, or the service stops */
	GHashTable *connections; /* Connection * */
	GSList *ended;           /* GThread * of ended connections, to be joined */
	gboolean stopping, closing;
};

typedef struct {
	MeshService *service;
	MeshTransportConnection *transport;
	MeshCaller *caller; /* who connected, told once the connection's thread starts */
	GThread *thread;
} Connection;

/* A connection's input: bytes read ahead of the request being handled, so that a request
 * usually costs one read. */
typedef struct {
	MeshTransportConnection *transport;
	guint8 *buf; /* may hold keys and passphrases: wiped as used and when replaced */
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

/* Make @want bytes available at in->buf + in->start; FALSE on the end of the stream, an error or
 * a stop. */
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
		gssize n = mesh_transport_connection_read(in->transport, in->buf + in->end,
		                                          in->cap - in->end);

		if (n <= 0)
			return FALSE;
		in->end += (gsize)n;
	}
	return TRUE;
}

static gboolean
stopping(MeshService *service)
{
	gboolean stop;

	g_mutex_lock(&service->lock);
	stop = service->stopping;
	g_mutex_unlock(&service->lock);
	return stop;
}

/* Answer one request, the @len bytes at @msg; FALSE when the connection must close. The answer
 * may hold passwords and shares: its framed copy is wiped once sent, and made at its final size
 * so that no reallocation leaves a copy behind. */
static gboolean
answer(Connection *conn, const guint8 *msg, gsize len)
{
	const MeshServiceProtocol *protocol = conn->service->protocol;
	gboolean close = FALSE;
	g_autoptr(GBytes) answer =
	        protocol->handle(conn->service->data, conn->transport, conn->caller, msg, len,
	                         &close);
	gsize answer_len = 0;
	const guint8 *body;
	guint8 *out;
	gboolean sent;

	if (answer == NULL)
		return !close;
	body = g_bytes_get_data(answer, &answer_len);
	/* Anything longer (or empty) is a bug: drop the connection rather than send a message the
	 * client must refuse. */
	if (answer_len == 0 || answer_len > protocol->answer_max)
		return FALSE;
	out = g_malloc(MESH_FRAME_HEADER_LEN + answer_len);
	mesh_frame_put_header(out, (guint32)answer_len);
	memcpy(out + MESH_FRAME_HEADER_LEN, body, answer_len);
	sent = mesh_transport_connection_write(conn->transport, out,
	                                       MESH_FRAME_HEADER_LEN + answer_len);
	OPENSSL_cleanse(out, MESH_FRAME_HEADER_LEN + answer_len);
	g_free(out);
	return sent && !close;
}

/* One client, until it closes, breaks the framing or the service stops. */
static gpointer
serve(gpointer data)
{
	Connection *conn = data;
	MeshService *service = conn->service;
	Input in = {conn->transport, g_malloc(READ_START), READ_START, 0, 0};

	/* Here rather than where it was accepted: the accepting thread takes the next one. */
	conn->caller = mesh_transport_peer_caller(conn->transport);
	while (!stopping(service)) {
		guint32 len;
		gboolean more;

		if (!fill(&in, MESH_FRAME_HEADER_LEN))
			break;
		len = mesh_frame_length(in.buf + in.start);
		if (len == 0 || len > service->protocol->request_max) {
			g_debug("%s: a message of %u bytes: connection closed",
			        service->protocol->name, len);
			break;
		}
		if (!fill(&in, MESH_FRAME_HEADER_LEN + (gsize)len))
			break;
		more = answer(conn, in.buf + in.start + MESH_FRAME_HEADER_LEN, len);
		OPENSSL_cleanse(in.buf + in.start, MESH_FRAME_HEADER_LEN + (gsize)len);
		in.start += MESH_FRAME_HEADER_LEN + (gsize)len;
		if (!more)
			break;
	}
	OPENSSL_cleanse(in.buf, in.cap);
	g_free(in.buf);
	g_mutex_lock(&service->lock);
	g_hash_table_remove(service->connections, conn);
	mesh_transport_connection_free(conn->transport);
	mesh_caller_unref(conn->caller);
	service->ended = g_slist_prepend(service->ended, conn->thread);
	if (service->protocol->closed != NULL)
		service->protocol->closed(service->data);
	g_cond_broadcast(&service->changed);
	g_mutex_unlock(&service->lock);
	g_free(conn);
	return NULL;
}

/* Join the threads of the connections that have ended. */
static void
join_ended(MeshService *service)
{
	GSList *ended;

	g_mutex_lock(&service->lock);
	ended = g_steal_pointer(&service->ended);
	g_mutex_unlock(&service->lock);
	for (GSList *l = ended; l != NULL; l = l->next)
		g_thread_join(l->data);
	g_slist_free(ended);
}

/* Take one connection: the peer first, then a thread of its own. */
static void
take(MeshService *service, MeshTransportConnection *transport)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *name = NULL;
	Connection *conn;

	if (!mesh_transport_peer_is_user(transport, NULL)) {
		mesh_transport_connection_free(transport);
		return;
	}
	conn = g_new0(Connection, 1);
	conn->service = service;
	conn->transport = transport;
	name = g_strdup_printf("%s-conn", service->protocol->name);
	g_mutex_lock(&service->lock);
	if (service->stopping) {
		g_mutex_unlock(&service->lock);
		mesh_transport_connection_free(transport);
		g_free(conn);
		return;
	}
	/* Under the lock, so that the thread's end (which records conn->thread) waits for it. */
	conn->thread = g_thread_try_new(name, serve, conn, &error);
	if (conn->thread == NULL) {
		g_mutex_unlock(&service->lock);
		g_debug("%s: no thread for a connection: %s", service->protocol->name,
		        error->message);
		mesh_transport_connection_free(transport);
		g_free(conn);
		return;
	}
	g_hash_table_add(service->connections, conn);
	g_mutex_unlock(&service->lock);
}

/* Accept while there is room, and tick on time even when nobody connects. */
static gpointer
acceptor(gpointer data)
{
	MeshService *service = data;

	for (;;) {
		g_autoptr(GError) error = NULL;
		MeshTransportConnection *transport;
		gint64 next;
		gint timeout;

		/* Reset before the tick: a wake after this point is seen by the wait below. */
		g_cancellable_reset(service->wake);
		next = service->protocol->tick != NULL ? service->protocol->tick(service->data)
		                                       : -1;
		timeout = next < 0 ? -1 : (gint)MIN(next, G_MAXINT);
		join_ended(service);
		g_mutex_lock(&service->lock);
		if (service->stopping) {
			g_mutex_unlock(&service->lock);
			break;
		}
		if (g_hash_table_size(service->connections) >= MESH_SERVICE_MAX_CONNECTIONS) {
			/* Full: the next one waits in the backlog until a connection ends. */
			if (timeout < 0)
				g_cond_wait(&service->changed, &service->lock);
			else
				g_cond_wait_until(&service->changed, &service->lock,
				                  g_get_monotonic_time() +
				                          (gint64)timeout *
				                                  G_TIME_SPAN_MILLISECOND);
			g_mutex_unlock(&service->lock);
			continue;
		}
		g_mutex_unlock(&service->lock);
		transport =
		        mesh_transport_accept(service->listener, timeout, service->wake, &error);
		if (transport != NULL) {
			take(service, transport);
		} else if (error != NULL) {
			g_debug("%s: %s", service->protocol->name, error->message);
			g_usleep(ACCEPT_RETRY_MS * 1000);
		}
	}
	return NULL;
}

MeshService *
mesh_service_new(MeshTransportListener *listener, const MeshServiceProtocol *protocol,
                 gpointer data)
{
	MeshService *service = g_new0(MeshService, 1);

	service->protocol = protocol;
	service->data = data;
	service->listener = listener;
	service->wake = g_cancellable_new();
	g_mutex_init(&service->lock);
	g_cond_init(&service->changed);
	service->connections = g_hash_table_new(NULL, NULL);
	return service;
}

gboolean
mesh_service_start(MeshService *service, GError **error)
{
	g_autoptr(GError) local = NULL;

	if (service->acceptor != NULL)
		return TRUE;
	service->acceptor = g_thread_try_new(service->protocol->name, acceptor, service, &local);
	if (service->acceptor == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_FAILED, "cannot start the %s server: %s",
		            service->protocol->name, local->message);
		return FALSE;
	}
	return TRUE;
}

void
mesh_service_wake(MeshService *service)
{
	g_cancellable_cancel(service->wake);
}

/* Stop, and @how each connection (with the lock held). */
static void
stop(MeshService *service, void (*how)(MeshTransportConnection *))
{
	GHashTableIter iter;
	gpointer key;

	g_mutex_lock(&service->lock);
	service->stopping = TRUE;
	g_hash_table_iter_init(&iter, service->connections);
	while (g_hash_table_iter_next(&iter, &key, NULL))
		how(((Connection *)key)->transport);
	g_cond_broadcast(&service->changed);
	g_mutex_unlock(&service->lock);
	mesh_service_wake(service);
}

void
mesh_service_stop(MeshService *service)
{
	/* A connection being read is idle between requests: stop waiting for it. One that is
	 * answering closes once its answer is out. */
	stop(service, mesh_transport_connection_stop_reading);
}

void
mesh_service_close(MeshService *service)
{
	stop(service, mesh_transport_connection_shutdown);
}

guint
mesh_service_connections(MeshService *service)
{
	guint n;

	g_mutex_lock(&service->lock);
	n = g_hash_table_size(service->connections);
	g_mutex_unlock(&service->lock);
	return n;
}

void
mesh_service_free(MeshService *service)
{
	if (service == NULL)
		return;
	mesh_service_close(service);
	if (service->acceptor != NULL)
		g_thread_join(service->acceptor);
	g_mutex_lock(&service->lock);
	while (g_hash_table_size(service->connections) > 0)
		g_cond_wait(&service->changed, &service->lock);
	g_mutex_unlock(&service->lock);
	join_ended(service);
	mesh_transport_listener_free(service->listener);
	g_hash_table_unref(service->connections);
	g_object_unref(service->wake);
	g_cond_clear(&service->changed);
	g_mutex_clear(&service->lock);
	g_free(service);
}
