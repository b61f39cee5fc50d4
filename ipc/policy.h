/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "caller.h"
#include "hive.h"

G_BEGIN_DECLS

/*
 * Which program may use which key or application (docs/protocol.md "Policy"): rules of the form
 * (program, target) → allow, ask or deny, kept in the hive's entry Policy/rules.json and read
 * again whenever that entry changes on disk. A target is one key (its UDF), one application
 * profile (by name; the passwords are the application "Passwords"), or every key served on the
 * ssh-agent socket. A program is an absolute executable path, optionally pinned to the SHA-256
 * of its executable.
 *
 * The decision for a caller and a target is, in this order: the caller's rule for that key or
 * application; for a key used through the ssh-agent socket, the caller's "Ssh" rule; the
 * default (allow until the user sets one, so that nothing changes on upgrade). Expired rules
 * count as absent; a pinned rule counts only when the caller's executable has that digest; a
 * caller whose program cannot be told matches no rule. A rules entry that does not read (it was
 * edited behind the agent's back) denies everything until it is fixed or reset: a policy never
 * fails open.
 *
 * Thread safety: every call takes the policy's own lock (the ssh-agent's connection threads
 * decide while the main context changes rules).
 */

typedef enum {
	MESH_DECISION_ALLOW,
	MESH_DECISION_ASK,
	MESH_DECISION_DENY,
} MeshDecision;

/* "allow", "ask", "deny" */
const char *mesh_decision_name(MeshDecision decision);
/* Errors: MESH_ERROR_INVALID_ARGUMENT naming the three. */
gboolean mesh_decision_from_name(const char *name, MeshDecision *ret, GError **error);

typedef enum {
	MESH_TARGET_KEY, /* value: a key's UDF */
	MESH_TARGET_APP, /* value: an application profile's name */
	MESH_TARGET_SSH, /* every key on the ssh-agent socket; value NULL */
} MeshTargetKind;

/* One rule, as PolicySet gives it. */
typedef struct {
	const char *program; /* absolute path */
	const char *sha256;  /* 64 lowercase hex digits, or NULL */
	MeshTargetKind kind;
	const char *value; /* the UDF or application name; NULL for MESH_TARGET_SSH */
	MeshDecision decision;
	gint64 expires; /* Unix seconds; 0: never */
} MeshPolicyRule;

/* Longest program path and application name a rule may hold, and the most rules kept. */
#define MESH_POLICY_PROGRAM_MAX 4096
#define MESH_POLICY_RULES_MAX   4096

typedef struct MeshPolicy MeshPolicy;

/* mesh_policy_new: the policy of @hive (borrowed: it must outlive the policy), read at the first
 * decision. */
MeshPolicy *mesh_policy_new(MeshHive *hive);
/* mesh_policy_free: accepts NULL. */
void mesh_policy_free(MeshPolicy *policy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshPolicy, mesh_policy_free)

/*
 * mesh_policy_decide: the decision for @caller (may be NULL: the agent's own work, allowed) using
 * the target @kind/@value (MESH_TARGET_KEY or MESH_TARGET_APP); @ssh: the key is used through
 * the ssh-agent socket, so the caller's Ssh rule applies to it. @ret_rule (may be NULL) gets
 * what decided, for the record: "rule", "default" or "unreadable".
 */
MeshDecision mesh_policy_decide(MeshPolicy *policy, MeshCaller *caller, MeshTargetKind kind,
                                const char *value, gboolean ssh, const char **ret_rule);

/* mesh_policy_is_open: whether every decision is allow (no rule, and the default allow), so that
 * a caller may skip the work of deciding. */
gboolean mesh_policy_is_open(MeshPolicy *policy);

/*
 * mesh_policy_check_rule: @rule is well formed: an absolute program path of valid UTF-8 without
 * control characters, a digest of 64 hex digits, a value for a key or an application and none
 * for Ssh. Errors: MESH_ERROR_INVALID_ARGUMENT saying which.
 */
gboolean mesh_policy_check_rule(const MeshPolicyRule *rule, GError **error);

/* mesh_policy_set: add @rule, replacing the program's rule for the same target; saved at once.
 * Errors: those of mesh_policy_check_rule, MESH_ERROR_TOO_LARGE (too many rules), the hive's. */
gboolean mesh_policy_set(MeshPolicy *policy, const MeshPolicyRule *rule, GError **error);

/* mesh_policy_set_default: the decision for what no rule decides; saved at once. */
gboolean mesh_policy_set_default(MeshPolicy *policy, MeshDecision decision, GError **error);

/* mesh_policy_reset: remove @program's rules (NULL: every rule, and the default back to allow);
 * *@ret_removed gets how many. Saved at once. */
gboolean mesh_policy_reset(MeshPolicy *policy, const char *program, guint *ret_removed,
                           GError **error);

/* mesh_policy_list: {"Default", "Rules": [...]} as docs/protocol.md shows, expired rules left
 * out. Errors: the hive's, MESH_ERROR_MALFORMED for a rules entry that does not read. */
JsonObject *mesh_policy_list(MeshPolicy *policy, GError **error);

G_END_DECLS
