/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "caller.h"
#include "hive.h"
#include "keystore.h"
#include "passgate.h"

G_BEGIN_DECLS

/*
 * The agent's request handling (docs/protocol.md "Agent methods (§9)"): one frame's JSON in,
 * one answer out, against a hive and its key store. No sockets here: the server (server.h) and
 * the fuzzer (tests/fuzz/fuzz-agent.c) feed it frames.
 */

#define MESH_AGENT_VERSION_MAJOR 1
#define MESH_AGENT_VERSION_MINOR 0
/* Largest Id a request may carry: 2^53, the largest integer every JSON reader keeps exact. */
#define MESH_AGENT_ID_MAX (G_GINT64_CONSTANT(1) << 53)
/* KeySign: at most this many bytes of data. */
#define MESH_AGENT_SIGN_MAX (64 * 1024)
/* Unlock: the default lifetime and the longest one, in seconds. */
#define MESH_AGENT_LIFETIME_DEFAULT 3600
#define MESH_AGENT_LIFETIME_MAX     (366 * 24 * 3600)

typedef struct MeshAgent MeshAgent;
typedef struct MeshAgentJob MeshAgentJob;

/* The answer to a request handled by a worker (mesh_agent_handle_async), on the main context:
 * @answer is borrowed (the caller refs it to keep it). */
typedef void (*MeshAgentAnswerFunc)(GBytes *answer, gpointer user_data);

/* Called (once per Shutdown request) after the Shutdown answer is built, before it is sent. */
typedef void (*MeshAgentShutdownFunc)(gpointer user_data);

/*
 * mesh_agent_new: an agent over the @kind hive under @root (NULL: $MMM_HOME, else ~/.mmm),
 * opened (and created when missing) here, with the file key store over it. @socket_path (may be
 * NULL) is what Status reports. Errors: those of mesh_hive_open and the key store.
 */
MeshAgent *mesh_agent_new(MeshHiveKind kind, const char *root, const char *socket_path,
			  GError **error);

/* mesh_agent_free: lock the key store (wiping unwrapped keys), close it and the hive; accepts
 * NULL. */
void mesh_agent_free(MeshAgent *agent);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshAgent, mesh_agent_free)

/* mesh_agent_set_shutdown_func: what a Shutdown request calls (NULL: nothing). */
void mesh_agent_set_shutdown_func(MeshAgent *agent, MeshAgentShutdownFunc func,
				  gpointer user_data);

/*
 * mesh_agent_set_restricted: when TRUE, the methods marked MESH_METHOD_RESTRICTED in the method
 * table (ipc/methods.c: those that change the hive or the keys, reach the portal or stop the
 * agent) check their parameters and then answer Permission without acting. For the fuzzer,
 * which must stay fast and keep its fixed hive.
 */
void mesh_agent_set_restricted(MeshAgent *agent, gboolean restricted);

/* mesh_agent_hive: the agent's hive (owned by the agent). */
MeshHive *mesh_agent_hive(MeshAgent *agent);

/* mesh_agent_store: the agent's key store (the router over every store; owned by the agent). */
MeshKeyStore *mesh_agent_store(MeshAgent *agent);

/* mesh_agent_state_lock: the lock that guards the hive and the key store (see
 * mesh_agent_handle_async): hold it around every use of them from another thread. */
GMutex *mesh_agent_state_lock(MeshAgent *agent);

/*
 * mesh_agent_pass_gate: the gate every passphrase check of the agent passes before it hashes the
 * passphrase (core/passgate.h): Unlock here; hand it to the ssh-agent handler
 * (mesh_ssh_agent_set_gate) so that its UNLOCK shares it. Owned by the agent.
 *
 * Unlock waits at the gate: through mesh_agent_handle_async its answer comes later, once the
 * delay earned by wrong passphrases has passed (the connection's later requests wait behind it);
 * mesh_agent_handle, which never blocks, answers MESH_ERROR_RATE_LIMITED instead.
 */
MeshPassGate *mesh_agent_pass_gate(MeshAgent *agent);

/* mesh_agent_set_ssh_socket: the path of the ssh-agent socket served beside the agent's, which
 * Status reports as "SSHAgentSocket" (NULL: none). */
void mesh_agent_set_ssh_socket(MeshAgent *agent, const char *path);

/* Called, with the state lock held, whenever the agent wipes its unwrapped keys (Lock, the end
 * of an Unlock's lifetime, mesh_agent_free): whoever keeps keys it got from the store drops
 * them too. */
typedef void (*MeshAgentLockFunc)(gpointer user_data);
void mesh_agent_set_lock_func(MeshAgent *agent, MeshAgentLockFunc func, gpointer user_data);

/*
 * mesh_agent_handle: handle one frame body (@len bytes of JSON at @frame, not NUL-terminated;
 * the caller owns the buffer and wipes it afterwards, since an Unlock frame holds a
 * passphrase). @ret_answer receives the answer's JSON (to be framed by the caller), or NULL when
 * there is nothing to send: a frame whose Id cannot be read gets no answer. @ret_close is set
 * when the frame broke the protocol (not JSON, not a request object, unknown request members):
 * the caller closes the connection after sending the answer, if any. A request that is well
 * formed but fails (an unknown method, bad params, a missing key) is answered with an Error and
 * the connection stays open. Both outputs are always written.
 */
void mesh_agent_handle(MeshAgent *agent, const guint8 *frame, gsize len, GBytes **ret_answer,
		       gboolean *ret_close);

/*
 * mesh_agent_handle_async: as mesh_agent_handle, for @caller (who connected: the policy decides
 * for it, and the audit log names it; NULL: not known, which the policy treats as a program it
 * has no rule for), on the thread whose thread-default main context
 * was current at mesh_agent_new (the server's), except for the session methods that reach the
 * portal: those go to the agent's worker thread, which runs them one at a time in the order they
 * came, while the main context goes on serving (their HTTP transactions run on it: see
 * ipc/portal-bridge.h). For those, the job is returned, *@ret_answer is NULL and *@ret_close
 * FALSE, and @func is called on the main context with the answer (never with a close: a session
 * method's failure is an Error answer). Otherwise NULL is returned and the outputs are those of
 * mesh_agent_handle. A worker holds the agent's state lock except while it waits for the
 * portal, so every other method sees the hive and key store between two steps of a session
 * method, never in the middle of one.
 */
MeshAgentJob *mesh_agent_handle_async(MeshAgent *agent, MeshCaller *caller, const guint8 *frame,
				      gsize len, GBytes **ret_answer, gboolean *ret_close,
				      MeshAgentAnswerFunc func, gpointer user_data);

/*
 * Per-program policy and the audit log (docs/design.md "Which program may use which key"). A
 * request the policy says to ask about waits, as a job, for the user's answer (askpass, or
 * 'mesh approve' from another terminal); mesh_agent_handle, which never waits, refuses it.
 */

/* mesh_agent_set_askpass: put the policy's questions to @program too (NULL: the queue only).
 * Before the first request. */
void mesh_agent_set_askpass(MeshAgent *agent, const char *program);

/*
 * mesh_agent_start_audit: record every use of a private key, every read of a password or an
 * application's data, every policy decision and change and every change of the hive, its
 * devices and profiles in the hive's audit log (core/audit.h), and sign its head with this
 * device's signature key at least once a minute while records come (MESH_AUDIT_ROTATE_BYTES
 * sets the size at which a file is rotated, for tests). On the main context. Errors: those of
 * mesh_audit_open.
 */
gboolean mesh_agent_start_audit(MeshAgent *agent, GError **error);

typedef struct MeshSshAgent MeshSshAgent;
/* mesh_agent_guard_ssh: the ssh-agent handler @ssh offers, and signs with, only the keys the
 * policy lets each caller use, asking the user as the policy says, and records every use. */
void mesh_agent_guard_ssh(MeshAgent *agent, MeshSshAgent *ssh);

/* mesh_agent_job_abandon: the job's connection has gone: its answer is dropped. On the main
 * context, before the job's func has run. */
void mesh_agent_job_abandon(MeshAgentJob *job);

/*
 * mesh_agent_start_background: every @seconds (at least 1), on the main context, look for the
 * accounts that have work for mesh_session_background (core/session.h: requests made with this
 * device's PINs) and run it for each on the worker thread, as a remote method runs: holding the
 * state lock except while it waits for the portal. A tick is skipped while the hive's protected
 * keys are locked, while requests are queued for the worker (clients go first) and while the
 * previous run is not done. A failure is one line on stderr (the agent's log), never fatal.
 */
void mesh_agent_start_background(MeshAgent *agent, guint seconds);

/*
 * mesh_agent_cancel: the agent is stopping: portal transactions in flight end with
 * MESH_ERROR_CANCELLED, as do the jobs still queued (without running) and the passphrase checks
 * waiting at the gate (mesh_agent_pass_gate: also those of other threads). Jobs still answer, on
 * the main context. On the main context; idempotent.
 */
void mesh_agent_cancel(MeshAgent *agent);

/*
 * mesh_agent_stop: cancel, wait for the worker, and run the main context until every job has
 * delivered its answer (to its func, or dropped when abandoned) and every portal operation has
 * ended. Call it once the server's loop has returned and before the server is freed;
 * mesh_agent_free calls it too. Idempotent.
 */
void mesh_agent_stop(MeshAgent *agent);

G_END_DECLS
