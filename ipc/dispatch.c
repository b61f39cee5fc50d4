/* SPDX-License-Identifier: MIT */
/*
 * The agent's request handling (ipc/dispatch.h): a frame's request is read, its method found in
 * the one method table (ipc/methods.h) and run: at once, on the worker thread (remote session
 * methods), or behind the passphrase gate (Unlock).
 */
#include "dispatch.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "error.h"
#include "frame.h"
#include "json.h"
#include "methods.h"
#include "passgate.h"
#include "platform.h"
#include "portal-bridge.h"
#include "router.h"
#include "secjson.h"
#include "secret.h"
#include "text.h"

struct MeshAgentJob {
	MeshAgent *agent;
	const MeshAgentMethod *method; /* a worker job, or a request that waits at the gate */
	GSource *gate_source;            /* its timeout, while it waits */
	JsonNode *root; /* the request, which holds the params */
	JsonObject *params;
	gint64 id;
	GBytes *answer;
	/* On the main context only: NULL once the connection has gone. */
	MeshAgentAnswerFunc func;
	gpointer user_data;
	/* A run of the background task (mesh_agent_start_background): these accounts (char *)
	 * instead of a method. */
	GPtrArray *background;
	/* Who asked (may be NULL), and, for a request waiting for the user's approval, the
	 * question's Id and what it uses. */
	MeshCaller *caller;
	guint64 approval;
	MeshAgentUse use;
	char *use_value, *use_item; /* what @use points to */
};

MeshAgent *
mesh_agent_new(MeshHiveKind kind, const char *root, const char *socket_path, GError **error)
{
	g_autoptr(MeshAgent) agent = g_new0(MeshAgent, 1);

	agent->kind = kind;
	agent->root = g_strdup(root);
	agent->socket_path = g_strdup(socket_path);
	agent->pid = (gint64)mesh_platform_pid();
	agent->gate = mesh_pass_gate_new();
	agent->gated = g_ptr_array_new();
	g_mutex_init(&agent->lock);
	agent->context = g_main_context_ref_thread_default();
	agent->approvals = mesh_approvals_new(agent->context, NULL);
	agent->hive = mesh_hive_open(kind, root, error);
	if (agent->hive == NULL)
		return NULL;
	agent->store = mesh_keystore_router_new(agent->hive, error);
	if (agent->store == NULL)
		return NULL;
	agent->cache = mesh_hive_cache_new();
	agent->policy = mesh_policy_new(agent->hive);
	return g_steal_pointer(&agent);
}

/* With the lock held: wipe the unwrapped keys when Unlock's lifetime is over (every request
 * looks before it is served, so no key outlives its lifetime, timer or not). */
static void
lock_if_expired(MeshAgent *agent)
{
	if (agent->unlock_expiry != 0 && mesh_platform_boottime() >= agent->unlock_expiry)
		mesh_agent_lock_now(agent);
}

void
mesh_agent_lock_now(MeshAgent *agent)
{
	if (agent->lock_timer != 0)
		g_source_remove(agent->lock_timer);
	agent->lock_timer = 0;
	agent->unlock_expiry = 0;
	g_clear_pointer(&agent->passphrase, mesh_secret_free);
	if (agent->store != NULL)
		mesh_keystore_lock(agent->store);
	mesh_hive_cache_clear(agent->cache);
	if (agent->lock_func != NULL)
		agent->lock_func(agent->lock_data);
}

void
mesh_agent_free(MeshAgent *agent)
{
	if (agent == NULL)
		return;
	mesh_agent_stop(agent);
	if (agent->hive != NULL) {
		g_mutex_lock(&agent->lock);
		mesh_agent_stop_audit(agent);
		g_mutex_unlock(&agent->lock);
	}
	mesh_agent_lock_now(agent);
	mesh_approvals_free(agent->approvals);
	mesh_policy_free(agent->policy);
	mesh_hive_cache_free(agent->cache);
	mesh_keystore_close(agent->store);
	mesh_hive_close(agent->hive);
	g_main_context_unref(agent->context);
	mesh_pass_gate_unref(agent->gate);
	g_ptr_array_unref(agent->gated);
	g_mutex_clear(&agent->lock);
	g_free(agent->root);
	g_free(agent->socket_path);
	g_free(agent->ssh_socket_path);
	g_free(agent);
}

void
mesh_agent_set_askpass(MeshAgent *agent, const char *program)
{
	mesh_approvals_free(agent->approvals);
	agent->approvals = mesh_approvals_new(agent->context, program);
}

void
mesh_agent_set_shutdown_func(MeshAgent *agent, MeshAgentShutdownFunc func, gpointer user_data)
{
	agent->shutdown = func;
	agent->shutdown_data = user_data;
}

void
mesh_agent_set_ssh_socket(MeshAgent *agent, const char *path)
{
	g_free(agent->ssh_socket_path);
	agent->ssh_socket_path = g_strdup(path);
}

void
mesh_agent_set_lock_func(MeshAgent *agent, MeshAgentLockFunc func, gpointer user_data)
{
	agent->lock_func = func;
	agent->lock_data = user_data;
}

MeshKeyStore *
mesh_agent_store(MeshAgent *agent)
{
	return agent->store;
}

GMutex *
mesh_agent_state_lock(MeshAgent *agent)
{
	return &agent->lock;
}

MeshPassGate *
mesh_agent_pass_gate(MeshAgent *agent)
{
	return agent->gate;
}

void
mesh_agent_set_restricted(MeshAgent *agent, gboolean restricted)
{
	agent->restricted = restricted;
}

void
mesh_agent_set_portal_factory(MeshAgent *agent, MeshSessionPortalOpen open_portal,
			      gpointer portal_data)
{
	agent->open_portal = open_portal;
	agent->portal_data = portal_data;
}

MeshHive *
mesh_agent_hive(MeshAgent *agent)
{
	return agent->hive;
}

gboolean
mesh_agent_refuse_restricted(MeshAgent *agent, const char *method, GError **error)
{
	const MeshAgentMethod *entry = mesh_agent_method_find(method);

	if (!agent->restricted || entry == NULL || !(entry->flags & MESH_METHOD_RESTRICTED))
		return TRUE;
	g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
	            "%s is disabled in this agent (restricted mode)", method);
	return FALSE;
}

/* ---- Requests and answers ------------------------------------------------------------------ */

static GBytes *
build_answer(gint64 id, const char *member, JsonObject *body)
{
	g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
	JsonObject *obj = json_object_new();
	char *text;

	json_object_set_int_member(obj, "Id", id);
	json_object_set_object_member(obj, member, body);
	json_node_take_object(root, obj);
	text = mesh_json_to_string(root);
	/* Answers carry shares and passwords: wipe the tree's copies too, and the text when it
	 * goes. */
	mesh_secjson_wipe(root);
	return mesh_bytes_new_wiped(text, strlen(text));
}

static GBytes *
error_answer(gint64 id, const GError *error)
{
	JsonObject *body = json_object_new();
	MeshError code = mesh_error_code(error);

	json_object_set_int_member(body, "Code", code);
	json_object_set_string_member(body, "Name", mesh_error_name(code));
	json_object_set_string_member(body, "Message", error->message);
	return build_answer(id, "Error", body);
}

static const MeshAgentMethod *
find_method(const char *name, GError **error)
{
	const MeshAgentMethod *method = mesh_agent_method_find(name);

	if (method != NULL)
		return method;
	g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
		    "this agent has no method \"%s\": Hello lists the methods it has", name);
	return NULL;
}

/* Read the request's members; FALSE (and @ret_close) when the request itself is malformed. */
static gboolean
read_request(JsonObject *request, const char **ret_method, JsonObject **ret_params,
	     gboolean *ret_close, GError **error)
{
	static const char *const members[] = { "Id", "Method", "Params", NULL };

	*ret_close = TRUE;
	if (!mesh_json_check_members(request, members, error) ||
	    !mesh_json_get_string(request, "Method", ret_method, error))
		goto fail;
	if (json_object_has_member(request, "Params") &&
	    !mesh_json_get_object(request, "Params", ret_params, error))
		goto fail;
	*ret_close = FALSE;
	return TRUE;
fail:
	g_prefix_error(error, "not an agent request: ");
	return FALSE;
}

/* Read @request and find its method. *@ret_params: the request's Params, added (empty) when it
 * had none. */
static gboolean
resolve(JsonObject *request, const MeshAgentMethod **ret_method, JsonObject **ret_params,
        gboolean *ret_close, GError **error)
{
	const char *name = NULL;
	JsonObject *params = NULL;

	*ret_method = NULL;
	if (!read_request(request, &name, &params, ret_close, error))
		return FALSE;
	if (params == NULL) {
		params = json_object_new();
		json_object_set_object_member(request, "Params", params);
	}
	if ((*ret_method = find_method(name, error)) == NULL)
		return FALSE;
	if (!mesh_json_check_members(params, (*ret_method)->params, error)) {
		g_prefix_error(error, "%s: ", name);
		return FALSE;
	}
	*ret_params = params;
	return TRUE;
}

/* What a change of the policy or an answer to a question did, for its record: "deny
 * /usr/bin/x (pinned)", "default ask", "reset /usr/bin/x", "request 3 always" (NULL: nothing
 * to say). Only these params are copied: no other method's params ever enter the log
 * (KeyImport's "Key" is a private key). */
static char *
change_detail(const MeshAgentMethod *method, JsonObject *params)
{
	const char *program = NULL, *decision = NULL, *sha = NULL;
	gboolean ssh = FALSE, always = FALSE;
	gint64 id = 0;

	(void)mesh_json_get_string_opt(params, "Program", &program, NULL);
	(void)mesh_json_get_string_opt(params, "Decision", &decision, NULL);
	if (g_str_equal(method->name, "PolicySet")) {
		(void)mesh_json_get_string_opt(params, "SHA256", &sha, NULL);
		(void)mesh_json_get_bool_opt(params, "Ssh", &ssh, NULL);
		return g_strdup_printf("%s for %s%s%s", decision != NULL ? decision : "?",
		                       program != NULL ? program : "?", sha != NULL ? " (pinned)" : "",
		                       ssh ? ": the ssh-agent socket's keys" : "");
	}
	if (g_str_equal(method->name, "PolicyDefault"))
		return g_strdup_printf("default %s", decision != NULL ? decision : "?");
	if (g_str_equal(method->name, "PolicyReset"))
		return g_strdup_printf("reset %s", program != NULL ? program : "every rule");
	if (g_str_equal(method->name, "Approve") || g_str_equal(method->name, "Deny")) {
		(void)mesh_json_get_int(params, "Id", &id, NULL);
		(void)mesh_json_get_bool_opt(params, "Always", &always, NULL);
		return g_strdup_printf("request %" G_GINT64_FORMAT "%s", id,
		                       g_str_equal(method->name, "Deny") ? " denied"
		                       : always                          ? " allowed always"
		                                                         : " allowed once");
	}
	return NULL;
}

/* The audit log's record of a request that read a secret or changed something (a use of a key
 * is recorded by the key store's observer, ipc/guard.c). */
static void
record(MeshAgent *agent, const MeshAgentMethod *method, JsonObject *params, MeshCaller *caller,
       const char *decision, const GError *error)
{
	MeshAgentUse use = {.op = "Change", .kind = MESH_TARGET_KEY};
	g_autofree char *detail = NULL;

	if (agent->audit == NULL)
		return;
	if (method->flags & MESH_METHOD_READS_SECRET) {
		if (!mesh_agent_use_of(method, params, &use, NULL))
			return;
	} else if (!(method->flags & MESH_METHOD_CHANGES)) {
		return;
	} else if (g_str_has_prefix(method->name, "Policy")) {
		const char *app = NULL;

		use.op = "Policy";
		(void)mesh_json_get_string_opt(params, "Key", &use.value, NULL);
		if (use.value == NULL && mesh_json_get_string_opt(params, "App", &app, NULL) &&
		    app != NULL) {
			use.kind = MESH_TARGET_APP;
			use.value = app;
		}
		use.detail = detail = change_detail(method, params);
	} else if (g_str_equal(method->name, "Approve") || g_str_equal(method->name, "Deny")) {
		use.op = "Approval";
		use.detail = detail = change_detail(method, params);
	} else {
		/* The account it changed, when it names one. */
		(void)mesh_json_get_string_opt(params, "Account", &use.detail, NULL);
	}
	mesh_agent_record(agent, &use, caller, method->name, decision, error);
}

/* Run a session method, on the main context (@bridge NULL: synchronous HTTP) or a worker. */
static gboolean
call_session(MeshAgent *agent, const MeshAgentMethod *method, MeshPortalBridge *bridge,
             JsonObject *params, JsonObject *result, GError **error)
{
	MeshSessionMethodEnv env = {
	        .hive = agent->hive,
	        .store = agent->store,
	        .cache = agent->cache,
	        .reads_only = (method->flags & MESH_METHOD_READS_ONLY) != 0,
	        .open_portal = agent->open_portal,
	        .portal_data = agent->portal_data,
	        .bridge = bridge,
	        .release = &agent->lock,
	        .restricted = agent->restricted && (method->flags & MESH_METHOD_RESTRICTED),
	};
	g_autoptr(MeshSecret) given = NULL;
	/* The method's own copy: the lock is released while it waits for the portal, and a Lock
	 * meanwhile wipes the agent's. */
	g_autoptr(MeshSecret) passphrase = NULL;
	gboolean was_protected = FALSE;

	if ((method->flags & MESH_METHOD_MAKES_KEYS) && !agent->restricted &&
	    (!mesh_agent_get_passphrase(params, FALSE, &given, error) ||
	     !mesh_agent_new_key_passphrase(agent, given, &passphrase, &env.keys_locked,
					    &was_protected, error)))
		return FALSE;
	env.passphrase = passphrase;
	if (!mesh_session_method_call(method->name, method->session, &env, params, result, error))
		return FALSE;
	mesh_agent_adopt_passphrase(agent, was_protected, passphrase);
	return TRUE;
}

/*
 * Run @method for @caller with the lock held (not the gated one: call_gated), @decision being
 * what let it run (recorded with the key store's work), and record it when it changes something
 * or reads a secret.
 */
static gboolean
run_method(MeshAgent *agent, const MeshAgentMethod *method, MeshPortalBridge *bridge,
           MeshCaller *caller, const char *decision, JsonObject *params, JsonObject *result,
           GError **error)
{
	MeshAgentContext ctx = {.caller = caller, .method = method->name, .decision = decision};
	GError *local = NULL;
	gboolean ok;

	mesh_agent_context_push(&ctx);
	if (method->session != NULL)
		ok = call_session(agent, method, bridge, params, result, &local);
	else
		ok = method->handler(agent, params, result, &local);
	mesh_agent_context_pop(&ctx);
	record(agent, method, params, caller, decision, local);
	if (local != NULL)
		g_propagate_error(error, local);
	return ok;
}

/* The answer to request @id: its @result (taken) when @ok, else @error. */
static GBytes *
answer_for(gint64 id, gboolean ok, JsonObject *result, const GError *error)
{
	g_autoptr(GError) too_large = NULL;
	GBytes *answer;

	if (ok) {
		answer = build_answer(id, "Result", result);
	} else {
		json_object_unref(result);
		answer = error_answer(id, error);
	}
	if (g_bytes_get_size(answer) <= MESH_FRAME_MAX)
		return answer;
	g_bytes_unref(answer);
	g_set_error(&too_large, MESH_ERROR, MESH_ERROR_TOO_LARGE,
		    "the answer would be larger than a frame (%d bytes)", MESH_FRAME_MAX);
	return error_answer(id, too_large);
}

/* The request object of a frame, and its Id; NULL when the frame gets no answer (not a JSON
 * object, or no Id a client could match): the connection just closes. */
static JsonNode *
read_frame(const guint8 *frame, gsize len, gint64 *ret_id)
{
	g_autoptr(JsonNode) root = mesh_json_parse((const char *)frame, len, MESH_FRAME_MAX, NULL);
	JsonNode *id_node;
	gint64 id;

	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		goto fail;
	id_node = json_object_get_member(json_node_get_object(root), "Id");
	if (id_node == NULL || !JSON_NODE_HOLDS_VALUE(id_node) ||
	    json_node_get_value_type(id_node) != G_TYPE_INT64)
		goto fail;
	id = json_node_get_int(id_node);
	if (id < 0 || id > MESH_AGENT_ID_MAX)
		goto fail;
	*ret_id = id;
	return g_steal_pointer(&root);
fail:
	if (root != NULL)
		mesh_secjson_wipe(root);
	return NULL;
}

static void
free_request(JsonNode *root)
{
	mesh_secjson_wipe(root);
	json_node_unref(root);
}

/* A request node: its strings (passphrases, passwords) are wiped when it goes. */
typedef JsonNode Request;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Request, free_request)

/* ---- Worker jobs --------------------------------------------------------------------------- */

static void
set_cancelled(GError **error, const char *method)
{
	g_set_error(error, MESH_ERROR, MESH_ERROR_CANCELLED,
		    "the agent is stopping: %s was not run (run the command again)", method);
}

static void
job_free(MeshAgentJob *job)
{
	if (job->root != NULL)
		free_request(job->root);
	g_clear_pointer(&job->answer, g_bytes_unref);
	g_clear_pointer(&job->background, g_ptr_array_unref);
	mesh_caller_unref(job->caller);
	g_free(job->use_value);
	g_free(job->use_item);
	g_free(job);
}

/* On the main context: hand the answer over. */
static gboolean
job_done(gpointer user_data)
{
	MeshAgentJob *job = user_data;

	job->agent->jobs--;
	if (job->background != NULL)
		job->agent->background_running = FALSE;
	if (job->func != NULL)
		job->func(job->answer, job->user_data);
	job_free(job);
	return G_SOURCE_REMOVE;
}

/* On the worker, with the lock held: the background task for each account of @job. */
static void
background_run(MeshAgent *agent, MeshAgentJob *job)
{
	static const MeshAgentMethod method = {"Background", NULL, mesh_method_background, NULL,
	                                       MESH_METHOD_REMOTE | MESH_METHOD_CHANGES};

	for (guint i = 0; i < job->background->len && !g_atomic_int_get(&agent->stopping); i++) {
		const char *account = job->background->pdata[i];
		g_autoptr(JsonObject) params = json_object_new();
		g_autoptr(JsonObject) result = json_object_new();
		g_autoptr(GError) error = NULL;
		JsonArray *notes = NULL;

		json_object_set_string_member(params, "Account", account);
		/* The lines may carry a portal's words: escaped, like every line for a terminal. */
		if (!run_method(agent, &method, agent->bridge, NULL, NULL, params, result, &error)) {
			g_autofree char *text = mesh_text_escape(error->message);

			g_printerr("meshagent: background task for %s: %s\n", account, text);
			continue;
		}
		if (json_object_has_member(result, "Notes"))
			notes = json_object_get_array_member(result, "Notes");
		for (guint j = 0; notes != NULL && j < json_array_get_length(notes); j++) {
			g_autofree char *text =
			        mesh_text_escape(json_array_get_string_element(notes, j));

			g_printerr("meshagent: %s: %s\n", account, text);
		}
	}
}

/* On the worker. */
static void
job_run(gpointer data, gpointer user_data)
{
	MeshAgentJob *job = data;
	MeshAgent *agent = job->agent;
	JsonObject *result = json_object_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(GSource) source = g_idle_source_new();
	gboolean ok;

	if (job->background != NULL) {
		json_object_unref(result);
		g_mutex_lock(&agent->lock);
		background_run(agent, job);
		g_mutex_unlock(&agent->lock);
		g_source_set_priority(source, G_PRIORITY_DEFAULT);
		g_source_set_callback(source, job_done, job, NULL);
		g_source_attach(source, agent->context);
		return;
	}
	if (g_atomic_int_get(&agent->stopping)) {
		set_cancelled(&error, job->method->name);
		ok = FALSE;
	} else {
		g_mutex_lock(&agent->lock);
		ok = run_method(agent, job->method, agent->bridge, job->caller, "allow", job->params,
		                result, &error);
		g_mutex_unlock(&agent->lock);
	}
	job->answer = answer_for(job->id, ok, result, error);
	free_request(g_steal_pointer(&job->root));
	g_source_set_priority(source, G_PRIORITY_DEFAULT);
	g_source_set_callback(source, job_done, job, NULL);
	g_source_attach(source, agent->context);
}

/* A job for @caller's request @root (taken), answered later to @func; counted until it
 * answers. */
static MeshAgentJob *
job_new(MeshAgent *agent, MeshCaller *caller, JsonNode *root, JsonObject *params, gint64 id,
	MeshAgentAnswerFunc func, gpointer user_data)
{
	MeshAgentJob *job = g_new0(MeshAgentJob, 1);

	job->caller = caller != NULL ? mesh_caller_ref(caller) : NULL;

	job->agent = agent;
	job->root = root;
	job->params = params;
	job->id = id;
	job->func = func;
	job->user_data = user_data;
	agent->jobs++;
	return job;
}

static void
job_push(MeshAgent *agent, MeshAgentJob *job)
{
	if (agent->workers == NULL) {
		agent->bridge = mesh_portal_bridge_new(agent->context);
		/* One thread: session methods change the hive, one after the other. */
		agent->workers = g_thread_pool_new(job_run, NULL, 1, FALSE, NULL);
	}
	g_thread_pool_push(agent->workers, job, NULL);
}

static MeshAgentJob *
job_start(MeshAgent *agent, const MeshAgentMethod *method, MeshCaller *caller, JsonNode *root,
	  JsonObject *params, gint64 id, MeshAgentAnswerFunc func, gpointer user_data)
{
	MeshAgentJob *job = job_new(agent, caller, root, params, id, func, user_data);

	job->method = method;
	job_push(agent, job);
	return job;
}

/* ---- Asking the user ------------------------------------------------------------------------- */

/* On the main context: the user's answer (or its absence) to a request the policy asks about. */
static void
on_approval(MeshApprovalAnswer answer, gpointer user_data)
{
	MeshAgentJob *job = user_data;
	MeshAgent *agent = job->agent;
	JsonObject *result = json_object_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) always = NULL;
	gboolean ok = FALSE;

	job->approval = 0;
	if (job->func == NULL) {
		/* The client has gone: nothing runs for nobody. */
		set_cancelled(&error, job->method->name);
	} else if (answer == MESH_APPROVAL_ONCE || answer == MESH_APPROVAL_ALWAYS) {
		g_mutex_lock(&agent->lock);
		lock_if_expired(agent);
		if (answer == MESH_APPROVAL_ALWAYS &&
		    !mesh_agent_allow_always(agent, job->caller, job->use.kind, job->use.value,
		                             &always))
			g_printerr("meshagent: %s\n", always->message);
		ok = run_method(agent, job->method, NULL, job->caller,
		                mesh_approval_decision(answer), job->params, result, &error);
		g_mutex_unlock(&agent->lock);
	} else {
		mesh_agent_approval_error(answer, &error);
		g_mutex_lock(&agent->lock);
		mesh_agent_record(agent, &job->use, job->caller, job->method->name,
		                  mesh_approval_decision(answer), error);
		g_mutex_unlock(&agent->lock);
	}
	job->answer = answer_for(job->id, ok, result, error);
	free_request(g_steal_pointer(&job->root));
	job_done(job);
}

/* A job that waits for the user's answer about @use before it runs. */
static MeshAgentJob *
ask_job_start(MeshAgent *agent, const MeshAgentMethod *method, MeshCaller *caller, JsonNode *root,
              JsonObject *params, gint64 id, const MeshAgentUse *use, MeshAgentAnswerFunc func,
              gpointer user_data)
{
	MeshAgentJob *job = job_new(agent, caller, root, params, id, func, user_data);
	MeshApprovalWhat what = {use->kind == MESH_TARGET_KEY ? "sign with" : "read",
	                         use->kind == MESH_TARGET_KEY ? use->value : NULL,
	                         use->kind == MESH_TARGET_APP ? use->value : NULL, use->item};

	job->method = method;
	job->use = *use;
	job->use_value = g_strdup(use->value);
	job->use_item = g_strdup(use->item);
	job->use.value = job->use_value;
	job->use.item = job->use_item;
	job->approval = mesh_approvals_ask(agent->approvals, caller, &what, on_approval, job);
	return job;
}

/*
 * The policy's decision about @caller's request for @method: TRUE to run it now (*@ret_decision
 * says why), FALSE with @error when it is refused, or FALSE with *@ret_ask when the user is to
 * be asked first (@use then says what about).
 */
static gboolean
decide(MeshAgent *agent, const MeshAgentMethod *method, MeshCaller *caller, JsonObject *params,
       MeshAgentUse *use, const char **ret_decision, gboolean *ret_ask, GError **error)
{
	g_autofree char *who = NULL;

	*ret_decision = "allow";
	*ret_ask = FALSE;
	if (!(method->flags & (MESH_METHOD_USES_KEY | MESH_METHOD_READS_SECRET)))
		return TRUE;
	if (!mesh_agent_use_of(method, params, use, error))
		return FALSE;
	switch (mesh_policy_decide(agent->policy, caller, use->kind, use->value, FALSE, NULL)) {
	case MESH_DECISION_ALLOW:
		return TRUE;
	case MESH_DECISION_ASK:
		*ret_decision = "ask";
		*ret_ask = TRUE;
		return FALSE;
	case MESH_DECISION_DENY:
		break;
	}
	*ret_decision = "deny";
	who = caller != NULL ? mesh_caller_describe(caller) : g_strdup("this program");
	g_set_error(error, MESH_ERROR, MESH_ERROR_DENIED,
	            "the policy refuses %s the %s %s ('mesh policy list' shows the rules)", who,
	            use->kind == MESH_TARGET_KEY ? "key" : "application", use->value);
	mesh_agent_record(agent, use, caller, method->name, "deny", *error);
	return FALSE;
}

/* ---- The background task ------------------------------------------------------------------- */

/* With the lock held: the accounts with work now, or NULL when there is nothing to do or the
 * hive's keys are locked (the PINs are sealed to a key that may be protected). */
static GPtrArray *
background_accounts(MeshAgent *agent)
{
	MeshSession session = {.hive = agent->hive, .store = agent->store};
	g_autoptr(MeshSecret) passphrase = NULL;
	g_autoptr(GPtrArray) accounts = NULL;
	g_autoptr(GError) error = NULL;
	gboolean locked = FALSE, protected_hive = FALSE;

	lock_if_expired(agent);
	if (!mesh_agent_new_key_passphrase(agent, NULL, &passphrase, &locked, &protected_hive,
					   &error) ||
	    locked)
		return NULL;
	if (!mesh_session_background_accounts(&session, &accounts, &error)) {
		g_printerr("meshagent: background task: %s\n", error->message);
		return NULL;
	}
	return accounts->len > 0 ? g_steal_pointer(&accounts) : NULL;
}

/* On the main context: one tick of the background task. */
static gboolean
on_background(gpointer user_data)
{
	MeshAgent *agent = user_data;
	GPtrArray *accounts;
	MeshAgentJob *job;

	/* Clients first: a tick while their requests wait for the worker is skipped. */
	if (g_atomic_int_get(&agent->stopping) || agent->background_running || agent->jobs > 0)
		return G_SOURCE_CONTINUE;
	g_mutex_lock(&agent->lock);
	accounts = background_accounts(agent);
	g_mutex_unlock(&agent->lock);
	if (accounts == NULL)
		return G_SOURCE_CONTINUE;
	job = job_new(agent, NULL, NULL, NULL, 0, NULL, NULL);
	job->background = accounts;
	agent->background_running = TRUE;
	job_push(agent, job);
	return G_SOURCE_CONTINUE;
}

void
mesh_agent_start_background(MeshAgent *agent, guint seconds)
{
	GSource *source;

	if (agent->background_timer != 0 || agent->restricted)
		return;
	source = g_timeout_source_new_seconds(MAX(seconds, 1));
	g_source_set_callback(source, on_background, agent, NULL);
	agent->background_timer = g_source_attach(source, agent->context);
	g_source_unref(source);
}

/* ---- The passphrase gate ------------------------------------------------------------------ */

/*
 * For Unlock: its params are checked first (a malformed request is no guess: -1 and @error), then
 * 0 when the gate was entered (call_gated runs it), else the µs to wait before trying again.
 */
static gint64
gate_enter(MeshAgent *agent, JsonObject *params, GError **error)
{
	g_autoptr(MeshSecret) passphrase = NULL;
	gint64 lifetime = 0;

	if (!mesh_agent_unlock_params(params, &passphrase, &lifetime, error))
		return -1;
	return mesh_pass_gate_try_enter(agent->gate);
}

/* Run a gated @method for @caller, the gate entered, and leave it with the outcome. With the lock
 * held. */
static gboolean
call_gated(MeshAgent *agent, const MeshAgentMethod *method, MeshCaller *caller, JsonObject *params,
           JsonObject *result, GError **error)
{
	gboolean ok = run_method(agent, method, NULL, caller, "allow", params, result, error);

	mesh_pass_gate_leave(agent->gate,
			     ok ? MESH_PASS_GATE_RIGHT
			     : g_error_matches(*error, MESH_ERROR, MESH_ERROR_BAD_PASSPHRASE)
				     ? MESH_PASS_GATE_WRONG
				     : MESH_PASS_GATE_UNDECIDED);
	return ok;
}

static gboolean on_gate_open(gpointer user_data);

static void
gate_job_arm(MeshAgentJob *job, gint64 wait_us)
{
	if (job->gate_source != NULL) {
		g_source_destroy(job->gate_source);
		g_source_unref(job->gate_source);
	}
	job->gate_source = g_timeout_source_new((guint)CLAMP((wait_us + 999) / 1000, 0,
							     MESH_PASS_GATE_MAX_MS));
	g_source_set_callback(job->gate_source, on_gate_open, job, NULL);
	g_source_attach(job->gate_source, job->agent->context);
}

/* On the main context: a request waiting at the gate tries again; it is answered once it got
 * through (or the agent stops, or dropped unchecked when its connection has gone). */
static gboolean
on_gate_open(gpointer user_data)
{
	MeshAgentJob *job = user_data;
	MeshAgent *agent = job->agent;
	JsonObject *result = json_object_new();
	g_autoptr(GError) error = NULL;
	gboolean ok = FALSE;

	g_clear_pointer(&job->gate_source, g_source_unref);
	if (job->func != NULL && !g_atomic_int_get(&agent->stopping)) {
		gint64 wait = mesh_pass_gate_try_enter(agent->gate);

		if (wait > 0) {
			json_object_unref(result);
			gate_job_arm(job, wait);
			return G_SOURCE_REMOVE;
		}
		g_mutex_lock(&agent->lock);
		lock_if_expired(agent);
		ok = call_gated(agent, job->method, job->caller, job->params, result, &error);
		g_mutex_unlock(&agent->lock);
	} else {
		set_cancelled(&error, job->method->name);
	}
	job->answer = answer_for(job->id, ok, result, error);
	free_request(g_steal_pointer(&job->root));
	g_ptr_array_remove_fast(agent->gated, job);
	job_done(job);
	return G_SOURCE_REMOVE;
}

static MeshAgentJob *
gate_job_start(MeshAgent *agent, const MeshAgentMethod *method, MeshCaller *caller, JsonNode *root,
               JsonObject *params, gint64 id, gint64 wait_us, MeshAgentAnswerFunc func,
               gpointer user_data)
{
	MeshAgentJob *job = job_new(agent, caller, root, params, id, func, user_data);

	job->method = method;
	g_ptr_array_add(agent->gated, job);
	gate_job_arm(job, wait_us);
	return job;
}

/* ---- Handling ------------------------------------------------------------------------------ */

/*
 * Answer the request in @root (taken) now, or (@func not NULL) start a worker job for a remote
 * session method and return it. With @agent->lock held.
 */
static MeshAgentJob *
handle_locked(MeshAgent *agent, MeshCaller *caller, JsonNode *root, gint64 id, GBytes **ret_answer,
              gboolean *ret_close, MeshAgentAnswerFunc func, gpointer user_data)
{
	g_autoptr(Request) request = root;
	g_autoptr(GError) error = NULL;
	JsonObject *result = json_object_new();
	JsonObject *params = NULL;
	const MeshAgentMethod *method = NULL;
	const char *decision = "allow";
	MeshAgentUse use = {0};
	gboolean ok, gated, ask = FALSE;
	gint64 wait = 0;

	lock_if_expired(agent);
	ok = resolve(json_node_get_object(request), &method, &params, ret_close, &error);
	if (ok && (method->flags & MESH_METHOD_REMOTE) && func != NULL && !agent->restricted) {
		json_object_unref(result);
		*ret_answer = NULL;
		return job_start(agent, method, caller, g_steal_pointer(&request), params, id, func,
		                 user_data);
	}
	/* Which program may use which key or application. */
	if (ok)
		ok = decide(agent, method, caller, params, &use, &decision, &ask, &error);
	if (ask && func != NULL) {
		json_object_unref(result);
		*ret_answer = NULL;
		return ask_job_start(agent, method, caller, g_steal_pointer(&request), params, id,
		                     &use, func, user_data);
	}
	if (ask) {
		/* mesh_agent_handle does not wait: a request the user must approve is refused. */
		g_set_error(&error, MESH_ERROR, MESH_ERROR_DENIED,
		            "%s needs the user's approval, which this request cannot wait for",
		            method->name);
	}
	/* The one method that checks a passphrase runs only behind the gate. */
	gated = ok && (method->flags & MESH_METHOD_GATED);
	if (gated) {
		wait = gate_enter(agent, params, &error);
		ok = wait >= 0;
	}
	if (ok && wait > 0 && func != NULL) {
		json_object_unref(result);
		*ret_answer = NULL;
		return gate_job_start(agent, method, caller, g_steal_pointer(&request), params, id,
		                      wait, func, user_data);
	}
	if (ok && wait > 0) {
		/* mesh_agent_handle does not block: a caller that must wait is told to. */
		mesh_agent_gate_wait_error(&error, wait);
		ok = FALSE;
	} else if (ok && gated) {
		ok = call_gated(agent, method, caller, params, result, &error);
	} else if (ok) {
		ok = run_method(agent, method, NULL, caller, decision, params, result, &error);
	}
	*ret_answer = answer_for(id, ok, result, error);
	return NULL;
}

static MeshAgentJob *
handle(MeshAgent *agent, MeshCaller *caller, const guint8 *frame, gsize len, GBytes **ret_answer,
       gboolean *ret_close, MeshAgentAnswerFunc func, gpointer user_data)
{
	MeshAgentJob *job;
	JsonNode *root;
	gint64 id = 0;

	*ret_answer = NULL;
	*ret_close = TRUE;
	root = read_frame(frame, len, &id);
	if (root == NULL)
		return NULL;
	g_mutex_lock(&agent->lock);
	job = handle_locked(agent, caller, root, id, ret_answer, ret_close, func, user_data);
	g_mutex_unlock(&agent->lock);
	return job;
}

void
mesh_agent_handle(MeshAgent *agent, const guint8 *frame, gsize len, GBytes **ret_answer,
		  gboolean *ret_close)
{
	(void)handle(agent, NULL, frame, len, ret_answer, ret_close, NULL, NULL);
}

MeshAgentJob *
mesh_agent_handle_async(MeshAgent *agent, MeshCaller *caller, const guint8 *frame, gsize len,
			GBytes **ret_answer, gboolean *ret_close, MeshAgentAnswerFunc func,
			gpointer user_data)
{
	g_return_val_if_fail(func != NULL, NULL);
	return handle(agent, caller, frame, len, ret_answer, ret_close, func, user_data);
}

void
mesh_agent_job_abandon(MeshAgentJob *job)
{
	job->func = NULL;
	job->user_data = NULL;
	/* A question nobody waits for any more leaves the queue (and its askpass window). */
	if (job->approval != 0)
		mesh_approvals_withdraw(job->agent->approvals, job->approval);
}

void
mesh_agent_cancel(MeshAgent *agent)
{
	g_atomic_int_set(&agent->stopping, 1);
	if (agent->background_timer != 0) {
		GSource *source = g_main_context_find_source_by_id(agent->context,
								   agent->background_timer);

		if (source != NULL)
			g_source_destroy(source);
		agent->background_timer = 0;
	}
	/* Checks waiting at the gate give up: on other threads (the ssh-agent socket's), and
	 * here at once (answered Cancelled on the main context's next iteration). */
	mesh_pass_gate_close(agent->gate);
	mesh_approvals_cancel(agent->approvals);
	for (guint i = 0; i < agent->gated->len; i++)
		gate_job_arm(g_ptr_array_index(agent->gated, i), 0);
	if (agent->bridge != NULL)
		mesh_portal_bridge_cancel(agent->bridge);
}

void
mesh_agent_stop(MeshAgent *agent)
{
	mesh_agent_cancel(agent);
	if (agent->workers != NULL) {
		/* Queued jobs run and answer Cancelled; the one running ends at its next wait. */
		g_thread_pool_free(g_steal_pointer(&agent->workers), FALSE, TRUE);
	}
	while (agent->jobs > 0)
		g_main_context_iteration(agent->context, TRUE);
	g_clear_pointer(&agent->bridge, mesh_portal_bridge_free);
}

