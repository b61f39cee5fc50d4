/* SPDX-License-Identifier: MIT */
/*
 * The agent's methods for its policy, the questions it asks and its audit log (docs/protocol.md
 * "Agent methods (§9)": PolicyList to AuditVerify). Each change is recorded by the dispatcher
 * (MESH_METHOD_CHANGES); what loosens the policy needs the hive's passphrase in a protected hive
 * (mesh_agent_require_owner), so that a program of the user cannot allow itself what the user
 * did not.
 */
#include <string.h>

#include "error.h"
#include "json.h"
#include "methods.h"

/* AuditList: the records given at most, and when Limit is left out. */
#define AUDIT_LIMIT_MAX     10000
#define AUDIT_LIMIT_DEFAULT 1000

gboolean
mesh_agent_require_owner(MeshAgent *agent, JsonObject *params, GError **error)
{
	g_autoptr(MeshSecret) given = NULL;
	g_autoptr(MeshSecret) held = NULL;
	gboolean locked = FALSE, protected_hive = FALSE;

	if (!mesh_agent_get_passphrase(params, FALSE, &given, error) ||
	    !mesh_agent_new_key_passphrase(agent, given, &held, &locked, &protected_hive, error))
		return FALSE;
	if (!protected_hive)
		return TRUE;
	if (locked) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_LOCKED,
		            "this hive's keys are locked: run 'mesh unlock', then give the hive's "
		            "passphrase again to change what programs may do");
		return FALSE;
	}
	/* new_key_passphrase checked a given passphrase against the hive's, behind the gate. */
	if (given == NULL || mesh_secret_len(given) == 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_BAD_PASSPHRASE,
		            "this hive is protected: allowing a program more needs its passphrase "
		            "(give it when asked, or with --passphrase-file FILE)");
		return FALSE;
	}
	return TRUE;
}

gboolean
mesh_method_policy_list(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(JsonObject) list = mesh_policy_list(agent->policy, error);

	(void)params;
	if (list == NULL)
		return FALSE;
	json_object_set_string_member(result, "Default",
	                              json_object_get_string_member(list, "Default"));
	json_object_set_array_member(result, "Rules",
	                             json_array_ref(json_object_get_array_member(list, "Rules")));
	return TRUE;
}

/* An RFC 3339 UTC time of @params' @member, as Unix seconds (0 when absent). */
static gboolean
get_time_opt(JsonObject *params, const char *member, gint64 *ret, GError **error)
{
	const char *text = NULL;
	g_autoptr(GDateTime) when = NULL;

	*ret = 0;
	if (!json_object_has_member(params, member))
		return TRUE;
	if (!mesh_json_get_time(params, member, &text, error))
		return FALSE;
	when = g_date_time_new_from_iso8601(text, NULL);
	/* 0 means "none": a time at or before the epoch would read as that. */
	if (when == NULL || g_date_time_to_unix(when) <= 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "\"%s\" is not a time",
		            member);
		return FALSE;
	}
	*ret = g_date_time_to_unix(when);
	return TRUE;
}

gboolean
mesh_method_policy_set(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	MeshPolicyRule rule = {0};
	const char *key = NULL, *app = NULL, *decision = NULL;
	gboolean ssh = FALSE;

	(void)result;
	if (!mesh_json_get_string(params, "Program", &rule.program, error) ||
	    !mesh_json_get_string_opt(params, "SHA256", &rule.sha256, error) ||
	    !mesh_json_get_string_opt(params, "Key", &key, error) ||
	    !mesh_json_get_string_opt(params, "App", &app, error) ||
	    !mesh_json_get_bool_opt(params, "Ssh", &ssh, error) ||
	    !mesh_json_get_string(params, "Decision", &decision, error) ||
	    !mesh_decision_from_name(decision, &rule.decision, error) ||
	    !get_time_opt(params, "Expires", &rule.expires, error))
		return FALSE;
	if ((key != NULL) + (app != NULL) + (ssh ? 1 : 0) != 1) {
		g_set_error(
		        error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		        "a rule is for exactly one of a key (Key), an application (App) and the "
		        "ssh-agent socket's keys (Ssh)");
		return FALSE;
	}
	rule.kind = key != NULL ? MESH_TARGET_KEY : app != NULL ? MESH_TARGET_APP : MESH_TARGET_SSH;
	rule.value = key != NULL ? key : app;
	if (rule.expires != 0 && rule.expires <= g_get_real_time() / G_USEC_PER_SEC) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "the rule would have expired already");
		return FALSE;
	}
	if (!mesh_agent_refuse_restricted(agent, "PolicySet", error) ||
	    !mesh_policy_check_rule(&rule, error) ||
	    (rule.decision != MESH_DECISION_DENY &&
	     !mesh_agent_require_owner(agent, params, error)))
		return FALSE;
	return mesh_policy_set(agent->policy, &rule, error);
}

gboolean
mesh_method_policy_default(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	const char *name = NULL;
	MeshDecision decision;

	(void)result;
	if (!mesh_json_get_string(params, "Decision", &name, error) ||
	    !mesh_decision_from_name(name, &decision, error) ||
	    !mesh_agent_refuse_restricted(agent, "PolicyDefault", error) ||
	    (decision != MESH_DECISION_DENY && !mesh_agent_require_owner(agent, params, error)))
		return FALSE;
	return mesh_policy_set_default(agent->policy, decision, error);
}

gboolean
mesh_method_policy_reset(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	const char *program = NULL;
	guint removed = 0;

	if (!mesh_json_get_string_opt(params, "Program", &program, error) ||
	    !mesh_agent_refuse_restricted(agent, "PolicyReset", error) ||
	    !mesh_agent_require_owner(agent, params, error) ||
	    !mesh_policy_reset(agent->policy, program, &removed, error))
		return FALSE;
	json_object_set_int_member(result, "Removed", removed);
	return TRUE;
}

gboolean
mesh_method_approve_list(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	(void)params;
	(void)error;
	json_object_set_array_member(result, "Requests", mesh_approvals_list(agent->approvals));
	return TRUE;
}

static gboolean
get_id(JsonObject *params, guint64 *ret, GError **error)
{
	gint64 id = 0;

	if (!mesh_json_get_int(params, "Id", &id, error))
		return FALSE;
	if (id < 1) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "\"Id\" is a request's number ('mesh approve --list' shows them)");
		return FALSE;
	}
	*ret = (guint64)id;
	return TRUE;
}

gboolean
mesh_method_approve(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	guint64 id = 0;
	gboolean always = FALSE;

	(void)result;
	return get_id(params, &id, error) &&
	       mesh_json_get_bool_opt(params, "Always", &always, error) &&
	       mesh_agent_refuse_restricted(agent, "Approve", error) &&
	       mesh_agent_require_owner(agent, params, error) &&
	       mesh_approvals_answer(agent->approvals, id,
	                             always ? MESH_APPROVAL_ALWAYS : MESH_APPROVAL_ONCE, error);
}

gboolean
mesh_method_deny(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	guint64 id = 0;

	(void)result;
	return get_id(params, &id, error) && mesh_agent_refuse_restricted(agent, "Deny", error) &&
	       mesh_approvals_answer(agent->approvals, id, MESH_APPROVAL_DENIED, error);
}

gboolean
mesh_method_audit_list(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	MeshAuditFilter filter = {0};
	g_autoptr(GPtrArray) lines = NULL;
	JsonArray *records;
	gint64 limit = AUDIT_LIMIT_DEFAULT;

	if ((json_object_has_member(params, "Since") &&
	     !mesh_json_get_time(params, "Since", &filter.since, error)) ||
	    !mesh_json_get_string_opt(params, "Key", &filter.key, error) ||
	    !mesh_json_get_string_opt(params, "Program", &filter.program, error))
		return FALSE;
	if (json_object_has_member(params, "Limit") &&
	    !mesh_json_get_int(params, "Limit", &limit, error))
		return FALSE;
	if (limit < 1 || limit > AUDIT_LIMIT_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "\"Limit\" is 1 to %d records", AUDIT_LIMIT_MAX);
		return FALSE;
	}
	filter.limit = (guint)limit;
	if (!mesh_audit_list(agent->hive, &filter, &lines, error))
		return FALSE;
	records = json_array_new();
	for (guint i = 0; i < lines->len; i++) {
		const char *line = g_ptr_array_index(lines, i);
		JsonNode *node = mesh_json_parse(line, strlen(line), strlen(line) + 1, error);

		if (node == NULL) {
			json_array_unref(records);
			return FALSE;
		}
		json_array_add_element(records, node);
	}
	json_object_set_array_member(result, "Records", records);
	return TRUE;
}

gboolean
mesh_method_audit_verify(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	MeshAuditReport report = {0};

	(void)params;
	if (!mesh_agent_audit_verify(agent, &report, error))
		return FALSE;
	json_object_set_int_member(result, "Records", (gint64)report.records);
	json_object_set_int_member(result, "Files", (gint64)report.files);
	json_object_set_int_member(result, "SignedThrough", (gint64)report.signed_through);
	json_object_set_int_member(result, "Unsigned", (gint64)report.unsigned_records);
	return TRUE;
}
