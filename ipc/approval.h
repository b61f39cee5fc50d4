/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "caller.h"

G_BEGIN_DECLS

/*
 * Asking the user whether a program may use a key or an application (the policy's "ask":
 * ipc/policy.h). Every question waits in the agent's queue (ApproveList, Approve, Deny: "mesh
 * approve" from another terminal) and, when an askpass program is set, is put to it at the same
 * time; the first answer counts. No answer within the timeout is a refusal.
 *
 * The askpass program is run as `PROGRAM "QUESTION"` with SSH_ASKPASS_PROMPT=confirm in its
 * environment, as OpenSSH's ssh-agent runs it to confirm a key's use: exit status 0 allows the
 * use once, and when the first line it prints is "always", from now on; any other status denies
 * it. Only the first 64 bytes of its output are read.
 *
 * Everything runs on the agent's main context, except mesh_approvals_ask_wait, which a
 * connection's thread (the ssh-agent socket's) calls and which waits for the main context.
 */

typedef enum {
	MESH_APPROVAL_ONCE,      /* allowed this time */
	MESH_APPROVAL_ALWAYS,    /* allowed, and from now on */
	MESH_APPROVAL_DENIED,    /* the user said no */
	MESH_APPROVAL_TIMEOUT,   /* nobody answered in time */
	MESH_APPROVAL_CANCELLED, /* the agent is stopping, or the client went away */
} MeshApprovalAnswer;

/* The audit log's word for @answer: "ask-once", "ask-always", "ask-deny", "ask-timeout",
 * "ask-cancelled". */
const char *mesh_approval_decision(MeshApprovalAnswer answer);

/* Default seconds a question waits; MESH_AGENT_APPROVAL_SECONDS overrides (1 to 3600). */
#define MESH_APPROVAL_TIMEOUT_DEFAULT 60

typedef struct MeshApprovals MeshApprovals;

/* What a question is about, for the queue and the prompt (borrowed by the calls below). */
typedef struct {
	const char *operation; /* "sign with", "read" */
	const char *key;       /* a key's UDF, or NULL */
	const char *app;       /* an application's name, or NULL */
	const char *item;      /* a site of the passwords, a key's comment (may be NULL) */
} MeshApprovalWhat;

/* Called once with the answer, on the main context, from an iteration of its own (never from
 * inside a call of this module). */
typedef void (*MeshApprovalFunc)(MeshApprovalAnswer answer, gpointer user_data);

/* mesh_approvals_new: questions are answered on @context (the agent's); @askpass (may be NULL)
 * is put each question too. */
MeshApprovals *mesh_approvals_new(GMainContext *context, const char *askpass);
/* mesh_approvals_free: every open question is answered CANCELLED first (told at the main
 * context's next iteration: call it when nothing waits any more); accepts NULL. */
void mesh_approvals_free(MeshApprovals *approvals);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshApprovals, mesh_approvals_free)

/* mesh_approvals_ask: queue a question about @caller's use of @what; @func gets the answer
 * (never from inside this call). Returns its Id (1, 2, ...). On the main context. */
guint64 mesh_approvals_ask(MeshApprovals *approvals, MeshCaller *caller,
                           const MeshApprovalWhat *what, MeshApprovalFunc func, gpointer user_data);

/* mesh_approvals_withdraw: the question @id is no longer asked (its client has gone): its
 * func is called with CANCELLED. On the main context. */
void mesh_approvals_withdraw(MeshApprovals *approvals, guint64 id);

/* mesh_approvals_ask_wait: as mesh_approvals_ask, from another thread, waiting for the answer;
 * @still_there (may be NULL) is asked a few times a second whether the client is still there,
 * and when it is not the question is withdrawn (CANCELLED). */
MeshApprovalAnswer mesh_approvals_ask_wait(MeshApprovals *approvals, MeshCaller *caller,
                                           const MeshApprovalWhat *what,
                                           gboolean (*still_there)(gpointer data),
                                           gpointer data);

/* mesh_approvals_answer: the user's answer to @id (ONCE, ALWAYS or DENIED). Errors:
 * MESH_ERROR_NOT_FOUND (no such question waits: answered or timed out already). */
gboolean mesh_approvals_answer(MeshApprovals *approvals, guint64 id, MeshApprovalAnswer answer,
                               GError **error);

/* mesh_approvals_list: [{"Id", "Program"?, "Pid", "Operation", "Key"?, "App"?, "Item"?,
 * "Expires"}] of the questions waiting, oldest first. */
JsonArray *mesh_approvals_list(MeshApprovals *approvals);

/* mesh_approvals_cancel: the agent is stopping: every waiting question is answered CANCELLED,
 * and new ones at once too. From any thread. */
void mesh_approvals_cancel(MeshApprovals *approvals);

G_END_DECLS
