/* SPDX-License-Identifier: MIT */
#include "portal-bridge.h"

#include "portal-http.h"
#include "error.h"

/* How long mesh_portal_bridge_free runs the context for operations still handed over, at most
 * (they were cancelled: they end at their next main-loop turn). */
#define DRAIN_SECONDS 10

struct MeshPortalBridge {
	GMainContext *context;
	GCancellable *cancel;
	GMutex mutex; /* guards what follows, and every Op's outputs */
	GCond cond;   /* an Op finished, or the bridge was cancelled */
	gboolean cancelled;
	guint outstanding; /* operations handed to the context and not yet finished there */
};

/* The worker's client. @http is made, used and closed on the context only. */
typedef struct {
	MeshPortalClient parent;
	MeshPortalBridge *bridge;
	GMutex *release;
	char *url;
	char *ca_file;
	MeshPortalClient *http;
} Proxy;

typedef enum { OP_OPEN, OP_TRANSACT, OP_CLOSE } OpKind;

/* One operation handed from a worker to the context: a reference each. */
typedef struct {
	gint refs;
	OpKind kind;
	MeshPortalBridge *bridge;
	Proxy *proxy; /* used in run() only: a close may free it while a transaction is read */
	char *request;
	/* Outputs, under the bridge's mutex. */
	gboolean done;
	GBytes *answer;
	guint status;
	GError *error;
} Op;

static void
op_unref(Op *op)
{
	if (!g_atomic_int_dec_and_test(&op->refs))
		return;
	g_free(op->request);
	g_clear_pointer(&op->answer, g_bytes_unref);
	g_clear_error(&op->error);
	g_free(op);
}

static void
proxy_free(Proxy *proxy)
{
	mesh_portal_client_close(proxy->http);
	g_free(proxy->url);
	g_free(proxy->ca_file);
	g_free(proxy);
}

/* On the context: record what the operation gave and wake its worker. */
static void
finish(Op *op, GBytes *answer, guint status, GError *error)
{
	MeshPortalBridge *bridge = op->bridge;

	g_mutex_lock(&bridge->mutex);
	op->answer = answer;
	op->status = status;
	op->error = error;
	op->done = TRUE;
	bridge->outstanding--;
	g_cond_broadcast(&bridge->cond);
	g_mutex_unlock(&bridge->mutex);
	op_unref(op);
}

static GError *
cancelled_error(const Proxy *proxy)
{
	return g_error_new(MESH_ERROR, MESH_ERROR_CANCELLED,
			   "the agent is stopping: nothing was sent to the portal at %s (run the "
			   "command again)",
			   proxy->url);
}

static void
on_transacted(GObject *source, GAsyncResult *result, gpointer user_data)
{
	GBytes *answer = NULL;
	GError *error = NULL;
	guint status = 0;

	if (!mesh_portal_client_http_transact_finish(result, &answer, &status, &error))
		g_clear_pointer(&answer, g_bytes_unref);
	finish(user_data, answer, status, error);
}

/* On the context. */
static gboolean
run(gpointer user_data)
{
	Op *op = user_data;
	Proxy *proxy = op->proxy;
	MeshPortalBridge *bridge = proxy->bridge;
	GError *error = NULL;

	switch (op->kind) {
	case OP_CLOSE:
		proxy_free(proxy);
		op->proxy = NULL;
		g_mutex_lock(&bridge->mutex);
		bridge->outstanding--;
		g_mutex_unlock(&bridge->mutex);
		op_unref(op);
		break;
	case OP_OPEN:
		if (g_cancellable_is_cancelled(bridge->cancel))
			error = cancelled_error(proxy);
		else
			proxy->http = mesh_portal_client_http_new(proxy->url, proxy->ca_file, &error);
		finish(op, NULL, 0, error);
		break;
	case OP_TRANSACT:
		if (g_cancellable_is_cancelled(bridge->cancel)) {
			finish(op, NULL, 0, cancelled_error(proxy));
			break;
		}
		mesh_portal_client_http_transact_async(proxy->http, op->request, bridge->cancel,
						       on_transacted, op);
		break;
	}
	return G_SOURCE_REMOVE;
}

/* Hand @op to the context (with a reference of its own). */
static void
post(MeshPortalBridge *bridge, Op *op)
{
	g_autoptr(GSource) source = g_idle_source_new();

	g_mutex_lock(&bridge->mutex);
	bridge->outstanding++;
	g_mutex_unlock(&bridge->mutex);
	g_atomic_int_inc(&op->refs);
	g_source_set_priority(source, G_PRIORITY_DEFAULT);
	g_source_set_callback(source, run, op, NULL);
	g_source_attach(source, bridge->context);
}

static Op *
op_new(Proxy *proxy, OpKind kind, const char *request)
{
	Op *op = g_new0(Op, 1);

	op->refs = 1;
	op->kind = kind;
	op->bridge = proxy->bridge;
	op->proxy = proxy;
	op->request = g_strdup(request);
	return op;
}

/* On the worker: run @op on the context and wait for it, with the agent's lock released. */
static gboolean
forward(Proxy *proxy, Op *op, GBytes **ret_answer, guint *ret_status, GError **error)
{
	MeshPortalBridge *bridge = proxy->bridge;
	gboolean ok;

	g_mutex_unlock(proxy->release);
	post(bridge, op);
	g_mutex_lock(&bridge->mutex);
	while (!op->done && !bridge->cancelled)
		g_cond_wait(&bridge->cond, &bridge->mutex);
	if (!op->done) {
		/* The context may never run again: do not wait for it. */
		g_set_error(error, MESH_ERROR, MESH_ERROR_CANCELLED,
			    "the agent is stopping: the request to the portal at %s was cancelled "
			    "(run the command again; the portal may have done it: check with 'mesh "
			    "profile sync')",
			    proxy->url);
		ok = FALSE;
	} else if (op->error != NULL) {
		g_propagate_error(error, g_steal_pointer(&op->error));
		ok = FALSE;
	} else {
		if (ret_answer != NULL)
			*ret_answer = g_steal_pointer(&op->answer);
		if (ret_status != NULL)
			*ret_status = op->status;
		ok = TRUE;
	}
	g_mutex_unlock(&bridge->mutex);
	op_unref(op);
	g_mutex_lock(proxy->release);
	return ok;
}

static gboolean
proxy_transact(MeshPortalClient *client, const char *request, GBytes **ret_answer,
	       guint *ret_status, GError **error)
{
	Proxy *proxy = (Proxy *)client;

	return forward(proxy, op_new(proxy, OP_TRANSACT, request), ret_answer, ret_status, error);
}

/* The SoupSession is closed on the context; the worker does not wait for that. */
static void
proxy_close(MeshPortalClient *client)
{
	Proxy *proxy = (Proxy *)client;
	Op *op = op_new(proxy, OP_CLOSE, NULL);

	post(proxy->bridge, op);
	op_unref(op);
}

static const MeshPortalClientClass proxy_class = {
	.name = "http",
	.transact = proxy_transact,
	.close = proxy_close,
};

MeshPortalClient *
mesh_portal_bridge_open(MeshPortalBridge *bridge, const char *url, const char *ca_file,
			GMutex *release, GError **error)
{
	Proxy *proxy = g_new0(Proxy, 1);

	proxy->parent.klass = &proxy_class;
	proxy->bridge = bridge;
	proxy->release = release;
	proxy->url = g_strdup(url);
	proxy->ca_file = g_strdup(ca_file);
	if (!forward(proxy, op_new(proxy, OP_OPEN, NULL), NULL, NULL, error)) {
		/* Nothing was made on the context (or, cancelled, it is closed there). */
		proxy_close(&proxy->parent);
		return NULL;
	}
	return &proxy->parent;
}

MeshPortalBridge *
mesh_portal_bridge_new(GMainContext *context)
{
	MeshPortalBridge *bridge = g_new0(MeshPortalBridge, 1);

	bridge->context = g_main_context_ref(context);
	bridge->cancel = g_cancellable_new();
	g_mutex_init(&bridge->mutex);
	g_cond_init(&bridge->cond);
	return bridge;
}

void
mesh_portal_bridge_cancel(MeshPortalBridge *bridge)
{
	g_mutex_lock(&bridge->mutex);
	bridge->cancelled = TRUE;
	g_cond_broadcast(&bridge->cond);
	g_mutex_unlock(&bridge->mutex);
	g_cancellable_cancel(bridge->cancel);
}

static gboolean
on_tick(gpointer user_data)
{
	return G_SOURCE_CONTINUE;
}

void
mesh_portal_bridge_free(MeshPortalBridge *bridge)
{
	gint64 deadline;
	GSource *tick;

	if (bridge == NULL)
		return;
	mesh_portal_bridge_cancel(bridge);
	/* A tick keeps the loop below from sleeping past the deadline. */
	tick = g_timeout_source_new(100);
	g_source_set_callback(tick, on_tick, NULL, NULL);
	g_source_attach(tick, bridge->context);
	deadline = g_get_monotonic_time() + DRAIN_SECONDS * G_USEC_PER_SEC;
	g_mutex_lock(&bridge->mutex);
	while (bridge->outstanding > 0 && g_get_monotonic_time() < deadline) {
		g_mutex_unlock(&bridge->mutex);
		g_main_context_iteration(bridge->context, TRUE);
		g_mutex_lock(&bridge->mutex);
	}
	g_source_destroy(tick);
	g_source_unref(tick);
	if (bridge->outstanding > 0) {
		/* Something still refers to the bridge; the process is ending: leave it. */
		g_mutex_unlock(&bridge->mutex);
		return;
	}
	g_mutex_unlock(&bridge->mutex);
	g_object_unref(bridge->cancel);
	g_main_context_unref(bridge->context);
	g_mutex_clear(&bridge->mutex);
	g_cond_clear(&bridge->cond);
	g_free(bridge);
}
