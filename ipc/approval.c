/* SPDX-License-Identifier: MIT */
/* Asking the user whether a program may use a key or an application (ipc/approval.h). */
#include "approval.h"

#include <gio/gio.h>
#include <string.h>

#include "error.h"
#include "text.h"

/* Bytes of the askpass program's answer read: "always" and a newline, with room to spare. */
#define ASKPASS_OUTPUT_MAX 64

typedef struct Question Question;

struct MeshApprovals {
	GMainContext *context;
	char *askpass;
	guint timeout; /* seconds */
	guint64 next_id;
	GPtrArray *open; /* Question *, oldest first (main context only) */
	gint cancelled;  /* atomic */
};

struct Question {
	gint ref;
	MeshApprovals *owner;
	guint64 id;
	MeshCaller *caller;
	char *operation, *key, *app, *item;
	gint64 expires; /* g_get_real_time() µs */
	MeshApprovalFunc func;
	gpointer user_data;
	gboolean answered;
	MeshApprovalAnswer answer;
	GSource *timer;
	/* The askpass program, while it runs. */
	GSubprocess *askpass;
	GCancellable *cancel;
	char out[ASKPASS_OUTPUT_MAX + 1];
	gsize out_len;
};

static const char *const decisions[] = {
        [MESH_APPROVAL_ONCE] = "ask-once",           [MESH_APPROVAL_ALWAYS] = "ask-always",
        [MESH_APPROVAL_DENIED] = "ask-deny",         [MESH_APPROVAL_TIMEOUT] = "ask-timeout",
        [MESH_APPROVAL_CANCELLED] = "ask-cancelled",
};

const char *
mesh_approval_decision(MeshApprovalAnswer answer)
{
	return decisions[answer];
}

static Question *
question_ref(Question *q)
{
	g_atomic_int_inc(&q->ref);
	return q;
}

static void
question_unref(Question *q)
{
	if (q == NULL || !g_atomic_int_dec_and_test(&q->ref))
		return;
	mesh_caller_unref(q->caller);
	g_free(q->operation);
	g_free(q->key);
	g_free(q->app);
	g_free(q->item);
	g_clear_object(&q->askpass);
	g_clear_object(&q->cancel);
	g_free(q);
}

MeshApprovals *
mesh_approvals_new(GMainContext *context, const char *askpass)
{
	MeshApprovals *approvals = g_new0(MeshApprovals, 1);
	const char *env = g_getenv("MESH_AGENT_APPROVAL_SECONDS");
	guint64 seconds = 0;

	approvals->context = g_main_context_ref(context);
	approvals->askpass = askpass != NULL && *askpass != '\0' ? g_strdup(askpass) : NULL;
	approvals->timeout = MESH_APPROVAL_TIMEOUT_DEFAULT;
	if (env != NULL && g_ascii_string_to_unsigned(env, 10, 1, 3600, &seconds, NULL))
		approvals->timeout = (guint)seconds;
	approvals->open = g_ptr_array_new();
	return approvals;
}

static gboolean
deliver(gpointer data)
{
	Question *q = data;

	q->func(q->answer, q->user_data);
	return G_SOURCE_REMOVE;
}

/* The question's end, once: out of the queue, its timer and askpass stopped, and its func told
 * from the main context's next iteration: the caller may hold the locks the func takes (Approve
 * runs with the agent's state lock held). */
static void
answer(Question *q, MeshApprovalAnswer a)
{
	GSource *source;

	if (q->answered)
		return;
	q->answered = TRUE;
	q->answer = a;
	g_ptr_array_remove(q->owner->open, q);
	if (q->timer != NULL) {
		g_source_destroy(q->timer);
		g_clear_pointer(&q->timer, g_source_unref);
	}
	if (q->askpass != NULL) {
		g_cancellable_cancel(q->cancel);
		g_subprocess_force_exit(q->askpass);
	}
	source = g_idle_source_new();
	g_source_set_priority(source, G_PRIORITY_DEFAULT);
	/* The queue's reference goes with it. */
	g_source_set_callback(source, deliver, q, (GDestroyNotify)question_unref);
	g_source_attach(source, q->owner->context);
	g_source_unref(source);
}

/* Every question still waiting is answered CANCELLED. */
static void
cancel_open(MeshApprovals *approvals)
{
	while (approvals->open->len > 0)
		answer(g_ptr_array_index(approvals->open, 0), MESH_APPROVAL_CANCELLED);
}

void
mesh_approvals_free(MeshApprovals *approvals)
{
	if (approvals == NULL)
		return;
	cancel_open(approvals);
	g_ptr_array_unref(approvals->open);
	g_main_context_unref(approvals->context);
	g_free(approvals->askpass);
	g_free(approvals);
}

static gboolean
on_timeout(gpointer data)
{
	Question *q = data;

	g_clear_pointer(&q->timer, g_source_unref);
	answer(q, MESH_APPROVAL_TIMEOUT);
	return G_SOURCE_REMOVE;
}

/* ---- The askpass program ------------------------------------------------------------------- */

static void
on_askpass_exit(GObject *source, GAsyncResult *result, gpointer data)
{
	Question *q = data;
	g_autoptr(GError) error = NULL;

	if (!g_subprocess_wait_finish(G_SUBPROCESS(source), result, &error) || q->answered) {
		question_unref(q);
		return;
	}
	if (g_subprocess_get_if_exited(q->askpass) &&
	    g_subprocess_get_exit_status(q->askpass) == 0) {
		char *nl = strchr(q->out, '\n');

		if (nl != NULL)
			*nl = '\0';
		answer(q, g_str_equal(g_strstrip(q->out), "always") ? MESH_APPROVAL_ALWAYS
		                                                    : MESH_APPROVAL_ONCE);
	} else {
		answer(q, MESH_APPROVAL_DENIED);
	}
	question_unref(q);
}

static void
on_askpass_read(GObject *source, GAsyncResult *result, gpointer data)
{
	Question *q = data;
	g_autoptr(GError) error = NULL;

	if (!g_input_stream_read_all_finish(G_INPUT_STREAM(source), result, &q->out_len, &error) &&
	    g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		question_unref(q);
		return;
	}
	q->out[MIN(q->out_len, ASKPASS_OUTPUT_MAX)] = '\0';
	/* The answer is its exit status (and what it printed before it): wait for it. */
	g_subprocess_wait_async(q->askpass, q->cancel, on_askpass_exit, q);
}

static char *
question_text(const Question *q)
{
	g_autofree char *who =
	        q->caller != NULL ? mesh_caller_describe(q->caller) : g_strdup("the agent");
	g_autofree char *what = mesh_text_escape(q->key != NULL ? q->key : q->app);
	g_autofree char *item = q->item != NULL ? mesh_text_escape(q->item) : NULL;

	return g_strdup_printf("%s wants to %s %s%s%s%s.\n\nAllow it? (Request %" G_GUINT64_FORMAT
	                       "; 'mesh approve %" G_GUINT64_FORMAT
	                       "' or 'mesh deny %" G_GUINT64_FORMAT "' answer it too.)",
	                       who, q->operation, q->key != NULL ? "the key " : "", what,
	                       item != NULL ? ": " : "", item != NULL ? item : "", q->id, q->id,
	                       q->id);
}

/* Put @q to the askpass program, when there is one; a program that cannot be run leaves the
 * question to the queue (logged). */
static void
start_askpass(Question *q)
{
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;

	if (q->owner->askpass == NULL)
		return;
	text = question_text(q);
	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
	g_subprocess_launcher_setenv(launcher, "SSH_ASKPASS_PROMPT", "confirm", TRUE);
	q->askpass = g_subprocess_launcher_spawn(launcher, &error, q->owner->askpass, text, NULL);
	if (q->askpass == NULL) {
		g_autofree char *why = mesh_text_escape(error->message);

		g_printerr("meshagent: the askpass program cannot be run (%s): request "
		           "%" G_GUINT64_FORMAT " waits for 'mesh approve'\n",
		           why, q->id);
		return;
	}
	q->cancel = g_cancellable_new();
	g_input_stream_read_all_async(g_subprocess_get_stdout_pipe(q->askpass), q->out,
	                              ASKPASS_OUTPUT_MAX, G_PRIORITY_DEFAULT, q->cancel,
	                              on_askpass_read, question_ref(q));
}

/* ---- Questions ----------------------------------------------------------------------------- */

guint64
mesh_approvals_ask(MeshApprovals *approvals, MeshCaller *caller, const MeshApprovalWhat *what,
                   MeshApprovalFunc func, gpointer user_data)
{
	Question *q = g_new0(Question, 1);

	q->ref = 1; /* the queue's */
	q->owner = approvals;
	q->id = ++approvals->next_id;
	q->caller = caller != NULL ? mesh_caller_ref(caller) : NULL;
	q->operation = g_strdup(what->operation);
	q->key = g_strdup(what->key);
	q->app = g_strdup(what->app);
	q->item = g_strdup(what->item);
	q->func = func;
	q->user_data = user_data;
	q->expires = g_get_real_time() + (gint64)approvals->timeout * G_USEC_PER_SEC;
	g_ptr_array_add(approvals->open, q);
	if (g_atomic_int_get(&approvals->cancelled)) {
		answer(q, MESH_APPROVAL_CANCELLED);
		return q->id;
	}
	q->timer = g_timeout_source_new_seconds(approvals->timeout);
	g_source_set_callback(q->timer, on_timeout, q, NULL);
	g_source_attach(q->timer, approvals->context);
	start_askpass(q);
	return q->id;
}

static Question *
find(MeshApprovals *approvals, guint64 id)
{
	for (guint i = 0; i < approvals->open->len; i++) {
		Question *q = g_ptr_array_index(approvals->open, i);

		if (q->id == id)
			return q;
	}
	return NULL;
}

void
mesh_approvals_withdraw(MeshApprovals *approvals, guint64 id)
{
	Question *q = find(approvals, id);

	if (q != NULL)
		answer(q, MESH_APPROVAL_CANCELLED);
}

gboolean
mesh_approvals_answer(MeshApprovals *approvals, guint64 id, MeshApprovalAnswer a, GError **error)
{
	Question *q = find(approvals, id);

	g_return_val_if_fail(a == MESH_APPROVAL_ONCE || a == MESH_APPROVAL_ALWAYS ||
	                             a == MESH_APPROVAL_DENIED,
	                     FALSE);
	if (q == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
		            "no request %" G_GUINT64_FORMAT " waits: it was answered or timed out "
		            "already ('mesh approve --list' shows those that wait)",
		            id);
		return FALSE;
	}
	answer(q, a);
	return TRUE;
}

JsonArray *
mesh_approvals_list(MeshApprovals *approvals)
{
	JsonArray *array = json_array_new();

	for (guint i = 0; i < approvals->open->len; i++) {
		const Question *q = g_ptr_array_index(approvals->open, i);
		JsonObject *obj = json_object_new();
		const char *program = q->caller != NULL ? mesh_caller_program(q->caller) : NULL;
		g_autoptr(GDateTime) when =
		        g_date_time_new_from_unix_utc(q->expires / G_USEC_PER_SEC);
		g_autofree char *expires = g_date_time_format(when, "%Y-%m-%dT%H:%M:%SZ");

		json_object_set_int_member(obj, "Id", (gint64)q->id);
		if (program != NULL)
			json_object_set_string_member(obj, "Program", program);
		json_object_set_int_member(obj, "Pid",
		                           q->caller != NULL ? mesh_caller_pid(q->caller) : 0);
		json_object_set_string_member(obj, "Operation", q->operation);
		if (q->key != NULL)
			json_object_set_string_member(obj, "Key", q->key);
		if (q->app != NULL)
			json_object_set_string_member(obj, "App", q->app);
		if (q->item != NULL)
			json_object_set_string_member(obj, "Item", q->item);
		json_object_set_string_member(obj, "Expires", expires);
		json_array_add_object_element(array, obj);
	}
	return array;
}

/* ---- Waiting from another thread ----------------------------------------------------------- */

typedef struct {
	gint ref;
	GMutex lock;
	GCond cond;
	gboolean done;
	MeshApprovalAnswer answer;
	MeshApprovals *approvals;
	MeshCaller *caller;
	char *operation, *key, *app, *item; /* the question, copied: the waiting thread may give
	                                     * up before the main context gets to it */
	guint64 id; /* once asked (under @lock) */
} Wait;

static void
wait_unref(Wait *w)
{
	if (!g_atomic_int_dec_and_test(&w->ref))
		return;
	mesh_caller_unref(w->caller);
	g_free(w->operation);
	g_free(w->key);
	g_free(w->app);
	g_free(w->item);
	g_mutex_clear(&w->lock);
	g_cond_clear(&w->cond);
	g_free(w);
}

static void
on_wait_answer(MeshApprovalAnswer a, gpointer data)
{
	Wait *w = data;

	g_mutex_lock(&w->lock);
	w->answer = a;
	w->done = TRUE;
	g_cond_signal(&w->cond);
	g_mutex_unlock(&w->lock);
	wait_unref(w);
}

static gboolean
ask_on_main(gpointer data)
{
	Wait *w = data;
	MeshApprovalWhat what = {w->operation, w->key, w->app, w->item};

	guint64 id = mesh_approvals_ask(w->approvals, w->caller, &what, on_wait_answer, w);

	g_mutex_lock(&w->lock);
	w->id = id;
	g_mutex_unlock(&w->lock);
	return G_SOURCE_REMOVE;
}

typedef struct {
	MeshApprovals *approvals;
	guint64 id;
} Withdraw;

static gboolean
withdraw_on_main(gpointer data)
{
	Withdraw *w = data;

	mesh_approvals_withdraw(w->approvals, w->id);
	g_free(w);
	return G_SOURCE_REMOVE;
}

/* How often a waiting thread looks whether its client is still there. */
#define STILL_THERE_US (200 * 1000)

MeshApprovalAnswer
mesh_approvals_ask_wait(MeshApprovals *approvals, MeshCaller *caller, const MeshApprovalWhat *what,
                        gboolean (*still_there)(gpointer data), gpointer data)
{
	Wait *w = g_new0(Wait, 1);
	/* The main context answers within the timeout; a little more covers a busy one, and a
	 * main loop that has stopped turning cannot hold this thread for ever. */
	gint64 deadline =
	        g_get_monotonic_time() + ((gint64)approvals->timeout + 10) * G_USEC_PER_SEC;
	MeshApprovalAnswer a = MESH_APPROVAL_TIMEOUT;

	w->ref = 2; /* this thread's, and the answer's */
	g_mutex_init(&w->lock);
	g_cond_init(&w->cond);
	w->approvals = approvals;
	w->caller = caller != NULL ? mesh_caller_ref(caller) : NULL;
	w->operation = g_strdup(what->operation);
	w->key = g_strdup(what->key);
	w->app = g_strdup(what->app);
	w->item = g_strdup(what->item);
	g_main_context_invoke(approvals->context, ask_on_main, w);
	g_mutex_lock(&w->lock);
	while (!w->done) {
		gint64 now = g_get_monotonic_time();

		if (now >= deadline)
			break;
		if (still_there != NULL && w->id != 0 && !still_there(data)) {
			/* The client hung up: nothing is signed for nobody, and the question leaves
			 * the queue (its answer, CANCELLED, comes back here). */
			Withdraw *gone = g_new0(Withdraw, 1);

			gone->approvals = approvals;
			gone->id = w->id;
			g_main_context_invoke(approvals->context, withdraw_on_main, gone);
			still_there = NULL;
		}
		(void)g_cond_wait_until(&w->cond, &w->lock, MIN(deadline, now + STILL_THERE_US));
	}
	if (w->done)
		a = w->answer;
	g_mutex_unlock(&w->lock);
	wait_unref(w);
	return a;
}

static gboolean
cancel_on_main(gpointer data)
{
	cancel_open(data);
	return G_SOURCE_REMOVE;
}

void
mesh_approvals_cancel(MeshApprovals *approvals)
{
	g_atomic_int_set(&approvals->cancelled, 1);
	g_main_context_invoke(approvals->context, cancel_on_main, approvals);
}
