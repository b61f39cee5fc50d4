/* SPDX-License-Identifier: MIT */
#include "server.h"

#include <gio/gio.h>

#include "error.h"
#include "frame.h"

/* How long a shutdown waits for connections to take their last answers. */
#define SHUTDOWN_GRACE_SECONDS 5

struct MeshServer {
	MeshAgent *agent;
	MeshTransportLock *hive_lock; /* the hive's agent lock, held for the agent's lifetime */
	MeshService *service;
	GMainContext *context; /* the agent's: every frame is handled there */
	GMainLoop *loop;
	GSource *ended; /* made ready when a connection ends: see on_ended */
	GMutex lock;    /* guards every Call's fields */
	gboolean stopping;
	guint grace_timer;
};

/*
 * One request, handed from its connection's thread to the main context. It lives on the
 * thread's stack: the thread waits until the main context is done with it (@done, and
 * @abandoning once queued).
 */
typedef struct {
	MeshServer *server;
	MeshCaller *caller;
	const guint8 *frame;
	gsize len;
	GCond cond;
	GBytes *answer;
	gboolean close;
	gboolean handled;       /* mesh_agent_handle_async has returned */
	MeshAgentJob *job;      /* answered later, by on_answer */
	GCancellable *answered; /* cancelled once the job has answered: the hang-up watch ends */
	gboolean done;          /* the answer (or its absence) is final */
	gboolean abandoning;    /* abandon_call is queued and has not run yet */
} Call;

/* Run @func(@data) on the server's main context (never in the calling thread, even when nobody
 * iterates the context at the moment). */
static void
on_main(MeshServer *server, GSourceFunc func, gpointer data)
{
	GSource *source = g_idle_source_new();

	g_source_set_priority(source, G_PRIORITY_DEFAULT);
	g_source_set_callback(source, func, data, NULL);
	g_source_attach(source, server->context);
	g_source_unref(source);
}

/* The worker's answer to a pending request. */
static void
on_answer(GBytes *answer, gpointer user_data)
{
	Call *call = user_data;

	g_mutex_lock(&call->server->lock);
	call->answer = g_bytes_ref(answer);
	call->job = NULL;
	g_cancellable_cancel(call->answered);
	call->done = TRUE;
	g_cond_signal(&call->cond);
	g_mutex_unlock(&call->server->lock);
}

static gboolean
run_call(gpointer data)
{
	Call *call = data;
	GBytes *answer = NULL;
	gboolean close = FALSE;
	MeshAgentJob *job = mesh_agent_handle_async(call->server->agent, call->caller, call->frame,
	                                            call->len, &answer, &close, on_answer, call);

	g_mutex_lock(&call->server->lock);
	call->job = job;
	call->answer = answer;
	call->close = close;
	call->handled = TRUE;
	call->done = job == NULL;
	g_cond_signal(&call->cond);
	g_mutex_unlock(&call->server->lock);
	return G_SOURCE_REMOVE;
}

/*
 * The client hung up (closed, not merely done writing) while its request waited: the answer
 * would go nowhere, and a passphrase check still waiting at the gate must not run for nobody
 * (guesses that left would otherwise hold up whoever comes next). The job goes on unanswered.
 */
static gboolean
abandon_call(gpointer data)
{
	Call *call = data;

	g_mutex_lock(&call->server->lock);
	if (!call->done) {
		mesh_agent_job_abandon(call->job);
		call->job = NULL;
		call->close = TRUE;
		call->done = TRUE;
	}
	call->abandoning = FALSE;
	g_cond_signal(&call->cond);
	g_mutex_unlock(&call->server->lock);
	return G_SOURCE_REMOVE;
}

static GBytes *
handle(gpointer data, MeshTransportConnection *conn, MeshCaller *caller, const guint8 *frame,
       gsize len, gboolean *ret_close)
{
	MeshServer *server = data;
	Call call = {.server = server, .caller = caller, .frame = frame, .len = len};
	gboolean pending;

	g_cond_init(&call.cond);
	call.answered = g_cancellable_new();
	on_main(server, run_call, &call);
	g_mutex_lock(&server->lock);
	while (!call.handled)
		g_cond_wait(&call.cond, &server->lock);
	pending = !call.done;
	g_mutex_unlock(&server->lock);
	if (pending && mesh_transport_connection_hung_up(conn, -1, call.answered)) {
		g_mutex_lock(&server->lock);
		call.abandoning = !call.done;
		g_mutex_unlock(&server->lock);
		if (call.abandoning)
			on_main(server, abandon_call, &call);
	}
	g_mutex_lock(&server->lock);
	while (!call.done || call.abandoning)
		g_cond_wait(&call.cond, &server->lock);
	g_mutex_unlock(&server->lock);
	g_object_unref(call.answered);
	g_cond_clear(&call.cond);
	*ret_close = call.close;
	return call.answer;
}

/* A connection has ended (on its thread): the main context looks whether the server is done. */
static void
on_closed(gpointer data)
{
	MeshServer *server = data;

	g_source_set_ready_time(server->ended, 0);
}

static gboolean
on_ended(gpointer data)
{
	MeshServer *server = data;

	g_source_set_ready_time(server->ended, -1);
	if (server->stopping && mesh_service_connections(server->service) == 0)
		g_main_loop_quit(server->loop);
	return G_SOURCE_CONTINUE;
}

static gboolean
dispatch_ended(GSource *source, GSourceFunc callback, gpointer data)
{
	return callback(data);
}

static GSourceFuncs ended_funcs = {.dispatch = dispatch_ended};

static const MeshServiceProtocol protocol = {
        .name = "agent",
        .request_max = MESH_FRAME_MAX,
        .answer_max = MESH_FRAME_MAX,
        .handle = handle,
        .closed = on_closed,
};

static void
on_shutdown_request(gpointer user_data)
{
	mesh_server_shutdown(user_data);
}

MeshServer *
mesh_server_new(MeshAgent *agent, const char *path, MeshTransportListener *passed, GError **error)
{
	g_autoptr(MeshTransportListener) listener = passed;
	g_autoptr(MeshServer) server = g_new0(MeshServer, 1);
	MeshHiveKind kind = mesh_agent_hive(agent)->kind;
	g_autoptr(GError) local = NULL;

	server->agent = agent;
	server->context = g_main_context_ref_thread_default();
	server->loop = g_main_loop_new(server->context, FALSE);
	g_mutex_init(&server->lock);
	server->ended = g_source_new(&ended_funcs, sizeof(GSource));
	g_source_set_callback(server->ended, on_ended, server, NULL);
	g_source_attach(server->ended, server->context);
	server->hive_lock = mesh_transport_lock_hive(mesh_agent_hive(agent), path, &local);
	/* A passed socket is served where the hive's folder allows no lock file. */
	if (server->hive_lock == NULL &&
	    (listener == NULL || !g_error_matches(local, MESH_ERROR, MESH_ERROR_IO))) {
		g_propagate_error(error, g_steal_pointer(&local));
		return NULL;
	}
	if (listener != NULL
	            ? !mesh_transport_listener_lock(listener, kind, error)
	            : (listener = mesh_transport_listen(
	                       path, kind, "socket", "--socket or MESH_AGENT_SOCK", error)) == NULL)
		return NULL;
	server->service = mesh_service_new(g_steal_pointer(&listener), &protocol, server);
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
	if (server->stopping)
		return;
	server->stopping = TRUE;
	/* Portal work in flight ends now (Cancelled), so that its clients get their answers
	 * within the grace period. */
	mesh_agent_cancel(server->agent);
	mesh_service_stop(server->service);
	if (mesh_service_connections(server->service) == 0)
		g_main_loop_quit(server->loop);
	else
		server->grace_timer =
		        g_timeout_add_seconds(SHUTDOWN_GRACE_SECONDS, on_grace_over, server);
}

void
mesh_server_run(MeshServer *server)
{
	g_autoptr(GError) error = NULL;

	if (server->stopping)
		return;
	if (!mesh_service_start(server->service, &error)) {
		g_warning("%s", error->message);
		return;
	}
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
		/* Requests still waiting for the main context are handled (their clients are gone
		 * now: jobs are abandoned) so that every connection's thread can end. */
		mesh_service_close(server->service);
		while (mesh_service_connections(server->service) > 0)
			g_main_context_iteration(server->context, TRUE);
		mesh_service_free(server->service);
	}
	g_source_destroy(server->ended);
	g_source_unref(server->ended);
	mesh_transport_lock_free(server->hive_lock);
	g_main_loop_unref(server->loop);
	g_main_context_unref(server->context);
	g_mutex_clear(&server->lock);
	g_free(server);
}
