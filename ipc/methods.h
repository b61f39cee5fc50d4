/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "dispatch.h"
#include "approval.h"
#include "audit.h"
#include "methods-session.h"
#include "passgate.h"
#include "policy.h"
#include "portal-bridge.h"
#include "secret.h"

G_BEGIN_DECLS

/*
 * Inside the agent's request handling (docs/protocol.md "Agent methods (§9)"): the one table of
 * every agent method (ipc/methods.c), the agent's state its handlers share, and the handlers
 * of the agent's own methods (ipc/methods-agent.c). The session methods' handlers are in
 * ipc/methods-session.c; ipc/dispatch.c finds a request's method here and runs it. Nothing
 * outside ipc/dispatch.c and ipc/methods*.c includes this header.
 */

struct MeshAgent {
	MeshHiveKind kind;
	char *root; /* NULL: $MMM_HOME, else ~/.mmm */
	MeshHive *hive;
	MeshKeyStore *store;
	/* Verified profiles read from the hive (core/hive-cache.h), for the session methods that
	 * only read; cleared by every other session method, and on Lock. */
	MeshHiveCache *cache;
	char *socket_path;
	char *ssh_socket_path; /* the ssh-agent socket, when served (Status reports it) */
	MeshAgentLockFunc lock_func; /* told when unwrapped keys are wiped */
	gpointer lock_data;
	gint64 pid;
	gboolean restricted;
	/* Unlock's lifetime: the mesh_platform_boottime() at which unwrapped keys are wiped (0:
	 * until Lock), and the timeout that does it while the main loop runs (it looks at the clock
	 * at least every MESH_PLATFORM_SLEEP_CHECK_MS, since GLib's clock stops while the machine
	 * sleeps). Requests check the time too, so no key is served past its lifetime. */
	gint64 unlock_expiry;
	guint lock_timer;
	/* The hive's passphrase while its protected keys are unlocked (Unlock, or keys just made
	 * under it), wiped with them: the keys the hive makes meanwhile are protected by it
	 * (mesh_agent_new_key_passphrase). NULL while locked, and in a hive that is not protected. */
	MeshSecret *passphrase;
	/* Every passphrase check (Unlock here, UNLOCK on the ssh-agent socket) passes it. */
	MeshPassGate *gate;
	GPtrArray *gated; /* MeshAgentJob * waiting at the gate (main context only) */
	MeshAgentShutdownFunc shutdown;
	gpointer shutdown_data;
	/* The session methods' portal factory (ipc/methods-session.h); NULL: HTTP. */
	MeshSessionPortalOpen open_portal;
	gpointer portal_data;
	/*
	 * Remote session methods from mesh_agent_handle_async run on one worker thread, one at a
	 * time, in the order they came (made on first use). @lock guards the hive, the key store
	 * and the members above: every method holds it while it runs, and a worker releases it
	 * only while it waits for the portal (ipc/portal-bridge.h). @jobs and @context belong to
	 * the main context's thread.
	 */
	GMutex lock;
	GMainContext *context;
	GThreadPool *workers;
	MeshPortalBridge *bridge;
	guint jobs;    /* handed to the worker and not yet answered on the main context */
	gint stopping; /* atomic: mesh_agent_cancel has run */
	/* The background task (mesh_agent_start_background): its timeout on @context, and whether
	 * a run of it is on the worker (main context only). */
	guint background_timer;
	gboolean background_running;
	/* Which program may use which key (ipc/policy.h), the questions to the user
	 * (ipc/approval.h: main context), and the audit log (NULL until mesh_agent_start_audit)
	 * with the timer that signs its head (ipc/guard.c). */
	MeshPolicy *policy;
	MeshApprovals *approvals;
	MeshAudit *audit;
	guint audit_timer;
};

/* Each handler of the agent's own methods reads @params (an object, empty when the request had
 * none, members already checked against the method's list) and fills the empty @result. */
typedef gboolean (*MeshAgentHandler)(MeshAgent *agent, JsonObject *params, JsonObject *result,
				     GError **error);

/* How the dispatcher runs a method. */
typedef enum {
	/* Reaches the portal: mesh_agent_handle_async runs it on the worker thread. */
	MESH_METHOD_REMOTE = 1 << 0,
	/* Refused (MESH_ERROR_PERMISSION) by a restricted agent once its params are read: it
	 * changes the hive, reaches the network or stops the agent (mesh_agent_set_restricted). */
	MESH_METHOD_RESTRICTED = 1 << 1,
	/* A session method that may make keys: the dispatcher decides their passphrase from the
	 * hive's protection and the request's "Passphrase" (mesh_agent_new_key_passphrase). */
	MESH_METHOD_MAKES_KEYS = 1 << 2,
	/* Checks a passphrase: runs only behind the passphrase gate (Unlock). */
	MESH_METHOD_GATED = 1 << 3,
	/* A session method that never changes the hive: it may use the verified profiles the
	 * agent keeps (core/hive-cache.h); every other session method drops them before and
	 * after it runs. */
	MESH_METHOD_READS_ONLY = 1 << 4,
	/* Signs with the key its "UDF" names: the policy decides per program (ipc/policy.h). */
	MESH_METHOD_USES_KEY = 1 << 5,
	/* Reads a password ("Site": the application Passwords) or an application's data
	 * ("Name"): the policy decides per program, and the read is recorded. */
	MESH_METHOD_READS_SECRET = 1 << 6,
	/* Changes the hive, its keys, the policy, a device or a profile: recorded in the audit
	 * log with its outcome. */
	MESH_METHOD_CHANGES = 1 << 7,
} MeshAgentMethodFlags;

typedef struct {
	const char *name;
	MeshAgentHandler handler;   /* one of the agent's own methods, or */
	MeshSessionHandler session; /* a session method (ipc/methods-session.h) */
	const char *const *params;  /* the members Params may have */
	unsigned flags;             /* MeshAgentMethodFlags */
} MeshAgentMethod;

/* mesh_agent_method_find: the method @name, or NULL. */
const MeshAgentMethod *mesh_agent_method_find(const char *name);

/* mesh_agent_method_at: the @i-th method of the table, NULL past the last one (for Hello). */
const MeshAgentMethod *mesh_agent_method_at(gsize i);

/* ---- Shared by the dispatcher and the agent's own methods ---------------------------------- */

/* mesh_agent_lock_now: with the lock held: wipe the unwrapped keys and the hive's passphrase,
 * stop Unlock's lifetime, tell the lock func (ipc/dispatch.c). */
void mesh_agent_lock_now(MeshAgent *agent);

/* mesh_agent_refuse_restricted: FALSE with MESH_ERROR_PERMISSION when @agent is restricted and
 * the table marks @method MESH_METHOD_RESTRICTED; called once the method has read its params,
 * before it acts (ipc/dispatch.c). */
gboolean mesh_agent_refuse_restricted(MeshAgent *agent, const char *method, GError **error);

/* mesh_agent_get_passphrase: the "Passphrase" of @params, as a MeshSecret at once (NULL when
 * absent and not @required). Errors: MESH_ERROR_MALFORMED. */
gboolean mesh_agent_get_passphrase(JsonObject *params, gboolean required,
				   MeshSecret **ret_secret, GError **error);

/* mesh_agent_gate_wait_error: a check told to wait @wait_us at the gate: MESH_ERROR_RATE_LIMITED
 * with the time to wait. */
void mesh_agent_gate_wait_error(GError **error, gint64 wait_us);

/*
 * mesh_agent_new_key_passphrase: the passphrase that protects the keys a request makes, in
 * *@ret_passphrase (a new secret, or NULL for none), from @given (its "Passphrase") and the
 * hive's protection; *@ret_locked: the hive's keys are locked, so the request may make none;
 * *@ret_protected: whether the hive is protected. Errors: MESH_ERROR_BAD_PASSPHRASE,
 * MESH_ERROR_RATE_LIMITED, those of the hive and the store.
 */
gboolean mesh_agent_new_key_passphrase(MeshAgent *agent, const MeshSecret *given,
				       MeshSecret **ret_passphrase, gboolean *ret_locked,
				       gboolean *ret_protected, GError **error);

/* mesh_agent_adopt_passphrase: after a request made keys under @passphrase in a hive that was
 * not protected (@was_protected FALSE) and is now: the agent holds the passphrase. */
void mesh_agent_adopt_passphrase(MeshAgent *agent, gboolean was_protected,
				 const MeshSecret *passphrase);

/* mesh_agent_unlock_params: Unlock's params (checked before the gate is entered: a malformed
 * request is no guess). Errors: MESH_ERROR_MALFORMED, MESH_ERROR_INVALID_ARGUMENT. */
gboolean mesh_agent_unlock_params(JsonObject *params, MeshSecret **ret_passphrase,
				  gint64 *ret_lifetime, GError **error);

/* ---- Policy and audit (ipc/guard.c) ---------------------------------------------------------- */

/* The request a thread is running, for the records the key store's observer makes. */
typedef struct MeshAgentContext {
	MeshCaller *caller; /* NULL: the agent's own work */
	const char *method;
	const char *decision; /* the policy's, or the user's ("ask-once") */
	gboolean silent;      /* the audit log's own signature: not recorded */
	struct MeshAgentContext *outer;
} MeshAgentContext;

void mesh_agent_context_push(MeshAgentContext *ctx);
void mesh_agent_context_pop(MeshAgentContext *ctx);
/* mesh_agent_current_caller: the caller of the request this thread runs (NULL: none). */
MeshCaller *mesh_agent_current_caller(void);

/* What a request uses, for the policy and the record: "Sign" with a key, "Read" of an
 * application (passwords: the application "Passwords", @item the site), "Change". */
typedef struct {
	const char *op;
	MeshTargetKind kind;
	const char *value;  /* a key's UDF or an application's name (NULL: neither) */
	const char *item;   /* the site, for passwords */
	const char *detail; /* for changes: the account, the program of a rule */
} MeshAgentUse;

/* mesh_agent_use_of: what @method (MESH_METHOD_USES_KEY or MESH_METHOD_READS_SECRET) uses, read
 * from its @params (borrowed). Errors: MESH_ERROR_MALFORMED. */
gboolean mesh_agent_use_of(const MeshAgentMethod *method, JsonObject *params, MeshAgentUse *ret,
                           GError **error);

/* mesh_agent_record: one record of @use in the audit log (nothing when it is not started); a
 * record that cannot be written is logged. With the state lock held. */
void mesh_agent_record(MeshAgent *agent, const MeshAgentUse *use, MeshCaller *caller,
                       const char *method, const char *decision, const GError *error);

/* mesh_agent_allow_always: the user allowed @caller @kind/@value from now on: a rule allowing it,
 * pinned to the SHA-256 of its executable. Errors: MESH_ERROR_NOT_FOUND when the program or
 * its digest cannot be told (then it was allowed once only), the policy's. State lock held. */
gboolean mesh_agent_allow_always(MeshAgent *agent, MeshCaller *caller, MeshTargetKind kind,
                                 const char *value, GError **error);

/* mesh_agent_approval_error: the error for a question answered @answer (not ONCE/ALWAYS). */
void mesh_agent_approval_error(MeshApprovalAnswer answer, GError **error);

/* mesh_agent_audit_verify: mesh_audit_verify of the agent's hive, heads checked with the key
 * store's public keys. */
gboolean mesh_agent_audit_verify(MeshAgent *agent, MeshAuditReport *ret, GError **error);

/* mesh_agent_stop_audit: sign what waits, stop the timer, close the log. State lock held. */
void mesh_agent_stop_audit(MeshAgent *agent);

/* mesh_agent_require_owner: for a change that loosens the policy: in a protected hive,
 * "Passphrase" of @params must be the hive's (checked behind the gate). Errors:
 * MESH_ERROR_BAD_PASSPHRASE, MESH_ERROR_LOCKED, MESH_ERROR_RATE_LIMITED. */
gboolean mesh_agent_require_owner(MeshAgent *agent, JsonObject *params, GError **error);

/* ---- The handlers (ipc/methods-agent.c, ipc/methods-session.c) ----------------------------- */

#define MESH_AGENT_HANDLER(name)                                                                  \
	gboolean name(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
MESH_AGENT_HANDLER(mesh_method_hello);
MESH_AGENT_HANDLER(mesh_method_status);
MESH_AGENT_HANDLER(mesh_method_device_create);
MESH_AGENT_HANDLER(mesh_method_device_get);
MESH_AGENT_HANDLER(mesh_method_device_list);
MESH_AGENT_HANDLER(mesh_method_key_list);
MESH_AGENT_HANDLER(mesh_method_key_public);
MESH_AGENT_HANDLER(mesh_method_key_sign);
MESH_AGENT_HANDLER(mesh_method_key_generate);
MESH_AGENT_HANDLER(mesh_method_key_import);
MESH_AGENT_HANDLER(mesh_method_key_move);
MESH_AGENT_HANDLER(mesh_method_key_remove);
MESH_AGENT_HANDLER(mesh_method_hive_set_keystore);
MESH_AGENT_HANDLER(mesh_method_hive_migrate);
MESH_AGENT_HANDLER(mesh_method_lock);
MESH_AGENT_HANDLER(mesh_method_unlock);
MESH_AGENT_HANDLER(mesh_method_shutdown);
/* ipc/methods-policy.c */
MESH_AGENT_HANDLER(mesh_method_policy_list);
MESH_AGENT_HANDLER(mesh_method_policy_set);
MESH_AGENT_HANDLER(mesh_method_policy_default);
MESH_AGENT_HANDLER(mesh_method_policy_reset);
MESH_AGENT_HANDLER(mesh_method_approve_list);
MESH_AGENT_HANDLER(mesh_method_approve);
MESH_AGENT_HANDLER(mesh_method_deny);
MESH_AGENT_HANDLER(mesh_method_audit_list);
MESH_AGENT_HANDLER(mesh_method_audit_verify);
#undef MESH_AGENT_HANDLER

G_END_DECLS
