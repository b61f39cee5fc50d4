/* SPDX-License-Identifier: MIT */
/*
 * The agent's guard (ipc/methods.h "Policy and audit"): which program may use which key or
 * application (ipc/policy.h), asking the user (ipc/approval.h), and the record of every use and
 * change in the hive's audit log (core/audit.h), for both of the agent's sockets.
 */
#include <string.h>

#include "audit.h"
#include "device.h"
#include "error.h"
#include "json.h"
#include "methods.h"
#include "router.h"
#include "ssh-agent.h"
#include "text.h"

/* A head is signed once records have waited this long unsigned (docs/protocol.md "Audit log"). */
#define HEAD_INTERVAL_SECONDS 60

/* ---- The request a thread is running ------------------------------------------------------ */

static GPrivate current_context = G_PRIVATE_INIT(NULL);

void
mesh_agent_context_push(MeshAgentContext *ctx)
{
	ctx->outer = g_private_get(&current_context);
	g_private_set(&current_context, ctx);
}

void
mesh_agent_context_pop(MeshAgentContext *ctx)
{
	g_private_set(&current_context, ctx->outer);
}

MeshCaller *
mesh_agent_current_caller(void)
{
	const MeshAgentContext *ctx = g_private_get(&current_context);

	return ctx != NULL ? ctx->caller : NULL;
}

/* ---- Records ------------------------------------------------------------------------------- */

void
mesh_agent_record(MeshAgent *agent, const MeshAgentUse *use, MeshCaller *caller, const char *method,
                  const char *decision, const GError *error)
{
	MeshAuditRecord record = {0};
	g_autoptr(GError) local = NULL;

	if (agent->audit == NULL)
		return;
	record.op = use->op;
	record.key = use->kind == MESH_TARGET_KEY ? use->value : NULL;
	record.app = use->kind == MESH_TARGET_APP ? use->value : NULL;
	record.item = use->item;
	record.detail = use->detail;
	record.method = method;
	record.program = caller != NULL ? mesh_caller_program(caller) : NULL;
	record.pid = caller != NULL ? mesh_caller_pid(caller) : 0;
	record.decision = decision;
	record.result = mesh_error_name(error != NULL ? mesh_error_code(error) : MESH_ERROR_OK);
	if (!mesh_audit_append(agent->audit, &record, &local)) {
		g_autofree char *why = mesh_text_escape(local->message);

		g_printerr("meshagent: the audit log cannot be written: %s\n", why);
	}
}

/* The router's observer: every signature and agreement made for a request (a thread with a
 * context: the agent's own head signatures run without one). */
static void
on_key_use(gpointer data, MeshKeyStoreOp op, const char *udf, const GError *error)
{
	MeshAgent *agent = data;
	const MeshAgentContext *ctx = g_private_get(&current_context);
	MeshAgentUse use = {.op = op == MESH_KEYSTORE_OP_SIGN ? "Sign" : "Agree",
	                    .kind = MESH_TARGET_KEY,
	                    .value = udf};

	if (ctx == NULL || ctx->silent)
		return;
	mesh_agent_record(agent, &use, ctx->caller, ctx->method,
	                  ctx->decision != NULL ? ctx->decision : "allow", error);
}

/* ---- What a method uses ---------------------------------------------------------------------- */

gboolean
mesh_agent_use_of(const MeshAgentMethod *method, JsonObject *params, MeshAgentUse *ret,
                  GError **error)
{
	memset(ret, 0, sizeof *ret);
	if (method->flags & MESH_METHOD_USES_KEY) {
		ret->op = "Sign";
		ret->kind = MESH_TARGET_KEY;
		return mesh_json_get_string(params, "UDF", &ret->value, error);
	}
	/* PasswordGet: the passwords are the application "Passwords"; AppGet: the named one. */
	ret->op = "Read";
	ret->kind = MESH_TARGET_APP;
	if (g_str_equal(method->name, "PasswordGet")) {
		ret->value = "Passwords";
		return mesh_json_get_string(params, "Site", &ret->item, error);
	}
	return mesh_json_get_string(params, "Name", &ret->value, error);
}

/* ---- The ssh-agent socket's guard ---------------------------------------------------------- */

static gboolean
ssh_offer(gpointer data, MeshCaller *caller, const char *udf)
{
	MeshAgent *agent = data;

	return mesh_policy_decide(agent->policy, caller, MESH_TARGET_KEY, udf, TRUE, NULL) !=
	       MESH_DECISION_DENY;
}

/* A record from a connection's thread: under the state lock, as every other record is made, so
 * that a head the log signs as it rotates uses the key store as the lock requires. */
static void
ssh_record(MeshAgent *agent, const char *udf, MeshCaller *caller, const char *decision,
           const GError *error)
{
	MeshAgentUse use = {.op = "Sign", .kind = MESH_TARGET_KEY, .value = udf};

	if (agent->audit == NULL)
		return;
	g_mutex_lock(&agent->lock);
	mesh_agent_record(agent, &use, caller, "ssh-agent", decision, error);
	g_mutex_unlock(&agent->lock);
}

static void
ssh_used(gpointer data, MeshCaller *caller, const char *udf, const char *decision,
         const GError *error)
{
	ssh_record(data, udf, caller, decision, error);
}

gboolean
mesh_agent_allow_always(MeshAgent *agent, MeshCaller *caller, MeshTargetKind kind,
                        const char *value, GError **error)
{
	MeshPolicyRule rule = {mesh_caller_program(caller), NULL, kind, value,
	                       MESH_DECISION_ALLOW, 0};
	char hex[65];

	/* Pinned to the executable that was allowed: a program replaced since is asked again. An
	 * unknown program has no digest (MESH_ERROR_NOT_FOUND). */
	if (!mesh_caller_digest_hex(caller, hex, error)) {
		g_prefix_error(error, "allowed this once only: ");
		return FALSE;
	}
	rule.sha256 = hex;
	return mesh_policy_set(agent->policy, &rule, error);
}

static gboolean
ssh_use(gpointer data, MeshCaller *caller, const char *udf, const char *comment,
        MeshPassGateWanted still_there, gpointer still_data, const char **ret_decision,
        GError **error)
{
	MeshAgent *agent = data;
	MeshApprovalWhat what = {"sign with", udf, NULL, comment};
	g_autofree char *who = NULL;
	MeshApprovalAnswer answer;
	g_autoptr(GError) local = NULL;

	switch (mesh_policy_decide(agent->policy, caller, MESH_TARGET_KEY, udf, TRUE, NULL)) {
	case MESH_DECISION_ALLOW:
		*ret_decision = "allow";
		return TRUE;
	case MESH_DECISION_DENY:
		who = caller != NULL ? mesh_caller_describe(caller) : g_strdup("this program");
		g_set_error(error, MESH_ERROR, MESH_ERROR_DENIED,
		            "the policy refuses %s the key %s", who, udf);
		ssh_record(agent, udf, caller, "deny", *error);
		return FALSE;
	case MESH_DECISION_ASK:
		break;
	}
	answer = mesh_approvals_ask_wait(agent->approvals, caller, &what, still_there, still_data);
	*ret_decision = mesh_approval_decision(answer);
	if (answer == MESH_APPROVAL_ALWAYS) {
		g_mutex_lock(&agent->lock);
		if (!mesh_agent_allow_always(agent, caller, MESH_TARGET_KEY, udf, &local))
			g_printerr("meshagent: %s\n", local->message);
		g_mutex_unlock(&agent->lock);
	}
	if (answer == MESH_APPROVAL_ONCE || answer == MESH_APPROVAL_ALWAYS)
		return TRUE;
	mesh_agent_approval_error(answer, error);
	ssh_record(agent, udf, caller, *ret_decision, *error);
	return FALSE;
}

static const MeshSshAgentGuard ssh_guard = {
        .offer = ssh_offer,
        .use = ssh_use,
        .used = ssh_used,
};

void
mesh_agent_guard_ssh(MeshAgent *agent, MeshSshAgent *ssh)
{
	mesh_ssh_agent_set_guard(ssh, &ssh_guard, agent);
}

void
mesh_agent_approval_error(MeshApprovalAnswer answer, GError **error)
{
	switch (answer) {
	case MESH_APPROVAL_DENIED:
		g_set_error(error, MESH_ERROR, MESH_ERROR_DENIED, "the user refused the request");
		break;
	case MESH_APPROVAL_TIMEOUT:
		g_set_error(error, MESH_ERROR, MESH_ERROR_TIMEOUT,
		            "nobody approved the request in time: answer with 'mesh approve ID' "
		            "from another terminal ('mesh approve --list' shows the waiting ones), "
		            "or start the agent with --askpass PROGRAM");
		break;
	default:
		g_set_error(error, MESH_ERROR, MESH_ERROR_CANCELLED,
		            "the request was not approved: the agent is stopping");
		break;
	}
}

/* ---- The audit log --------------------------------------------------------------------------- */

/* The audit log's signer: the default device's signature key, through the key store, on the
 * thread that appends (the state lock is held by whoever appends: a method, or the timer). */
static gboolean
sign_head(gpointer data, const guint8 *msg, gsize len, char **ret_signer, GBytes **ret_signature,
          GError **error)
{
	MeshAgent *agent = data;
	g_autoptr(MeshDeviceProfile) device = NULL;
	MeshAgentContext quiet = {.silent = TRUE};
	gboolean ok;

	if (!mesh_device_load(agent->hive, NULL, &device, NULL, error))
		return FALSE;
	mesh_agent_context_push(&quiet);
	ok = mesh_keystore_sign(agent->store, mesh_key_udf(device->signature_key), msg, len,
	                        ret_signature, error);
	mesh_agent_context_pop(&quiet);
	if (ok)
		*ret_signer = g_strdup(mesh_key_udf(device->signature_key));
	return ok;
}

static gboolean
verify_head(gpointer data, const char *signer, const guint8 *msg, gsize len, GBytes *signature,
            GError **error)
{
	MeshAgent *agent = data;
	g_autoptr(MeshKey) key = NULL;
	gsize sig_len = 0;
	const guint8 *sig = g_bytes_get_data(signature, &sig_len);

	return mesh_keystore_get_public(agent->store, signer, &key, error) &&
	       mesh_key_verify(key, msg, len, sig, sig_len, error);
}

gboolean
mesh_agent_audit_verify(MeshAgent *agent, MeshAuditReport *ret, GError **error)
{
	return mesh_audit_verify(agent->hive, verify_head, agent, ret, error);
}

/* Sign a head when records wait unsigned; with the state lock held. Quiet unless it fails for
 * another reason than locked keys (which sign again once unlocked). */
static void
head_now(MeshAgent *agent)
{
	g_autoptr(GError) error = NULL;

	if (agent->audit == NULL || mesh_audit_pending(agent->audit) == 0)
		return;
	if (!mesh_audit_sign_head(agent->audit, &error) &&
	    !g_error_matches(error, MESH_ERROR, MESH_ERROR_LOCKED) &&
	    !g_error_matches(error, MESH_ERROR, MESH_ERROR_NOT_FOUND)) {
		g_autofree char *why = mesh_text_escape(error->message);

		g_printerr("meshagent: the audit log's head cannot be signed: %s\n", why);
	}
}

static gboolean
on_head_timer(gpointer data)
{
	MeshAgent *agent = data;

	g_mutex_lock(&agent->lock);
	head_now(agent);
	g_mutex_unlock(&agent->lock);
	return G_SOURCE_CONTINUE;
}

gboolean
mesh_agent_start_audit(MeshAgent *agent, GError **error)
{
	const char *rotate = g_getenv("MESH_AUDIT_ROTATE_BYTES");
	guint64 bytes = 0;
	GSource *source;

	if (agent->audit != NULL)
		return TRUE;
	agent->audit = mesh_audit_open(agent->hive, error);
	if (agent->audit == NULL)
		return FALSE;
	if (rotate != NULL &&
	    g_ascii_string_to_unsigned(rotate, 10, 256, G_MAXUINT32, &bytes, NULL))
		mesh_audit_set_rotate_bytes(agent->audit, (gsize)bytes);
	mesh_audit_set_signer(agent->audit, sign_head, agent);
	mesh_keystore_router_set_observer(agent->store, on_key_use, agent);
	source = g_timeout_source_new_seconds(HEAD_INTERVAL_SECONDS);
	g_source_set_callback(source, on_head_timer, agent, NULL);
	agent->audit_timer = g_source_attach(source, agent->context);
	g_source_unref(source);
	return TRUE;
}

void
mesh_agent_stop_audit(MeshAgent *agent)
{
	if (agent->audit == NULL)
		return;
	if (agent->audit_timer != 0) {
		GSource *source =
		        g_main_context_find_source_by_id(agent->context, agent->audit_timer);

		if (source != NULL)
			g_source_destroy(source);
		agent->audit_timer = 0;
	}
	head_now(agent);
	mesh_keystore_router_set_observer(agent->store, NULL, NULL);
	g_clear_pointer(&agent->audit, mesh_audit_close);
}
