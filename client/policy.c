/* SPDX-License-Identifier: MIT */
/*
 * libmeshclient: which program may use which key — the policy methods of <mesh/client.h>
 * (PolicyList, PolicySet, PolicyDefault, PolicyReset), the approval queue (ApproveList, Approve,
 * Deny) and the audit log (AuditList, AuditVerify). Passphrases go in the request text, which
 * client_call wipes.
 */
#include "client-private.h"

#include <string.h>

#include "base64.h"
#include "json.h"

/* The "Passphrase" member of a change that can loosen the policy (left out when NULL). */
#define LOOSENING_PASSPHRASE(p)                                                                    \
	{                                                                                          \
		(p) != NULL ? "Passphrase" : NULL, 's', (p), 0                                     \
	}

/* TRUE when @decision is one the policy knows. */
static gboolean
is_decision(const char *decision)
{
	return decision != NULL && (g_str_equal(decision, "allow") ||
	                            g_str_equal(decision, "ask") || g_str_equal(decision, "deny"));
}

/* The time @member of @obj (optional unless @required) in *@ret: RFC 3339 with its zone. */
static void
take_time(MeshClient *client, JsonObject *obj, const char *member, gboolean required, char **ret,
          MeshError *code)
{
	g_autofree char *text = NULL;
	g_autoptr(GDateTime) t = NULL;

	client_take_string(client, obj, member, required, &text, code);
	if (*code != MESH_ERROR_OK || text == NULL)
		return;
	t = g_date_time_new_from_iso8601(text, NULL);
	if (t == NULL) {
		*code = client_fail(client, MESH_ERROR_PROTOCOL,
		                    "the agent's answer: \"%s\" is not an RFC 3339 time", member);
		return;
	}
	*ret = g_steal_pointer(&text);
}

/* The decision @member of @obj in *@ret: "allow", "ask" or "deny". */
static void
take_decision(MeshClient *client, JsonObject *obj, const char *member, char **ret, MeshError *code)
{
	g_autofree char *decision = NULL;

	client_take_string(client, obj, member, TRUE, &decision, code);
	if (*code != MESH_ERROR_OK)
		return;
	if (!is_decision(decision)) {
		*code = client_fail(client, MESH_ERROR_PROTOCOL,
		                    "the agent's answer: \"%s\" is not allow, ask or deny", member);
		return;
	}
	*ret = g_steal_pointer(&decision);
}

void
mesh_client_policy_rules_free(MeshClientPolicyRule *rules, size_t n)
{
	if (rules == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		g_free(rules[i].program);
		g_free(rules[i].sha256);
		g_free(rules[i].value);
		g_free(rules[i].decision);
		g_free(rules[i].expires);
	}
	g_free(rules);
}

/* One rule of PolicyList: Program, SHA256?, exactly one of Key, App, Ssh (true), Decision,
 * Expires?. */
static void
read_rule(MeshClient *client, JsonObject *obj, gpointer element, MeshError *code)
{
	MeshClientPolicyRule *rule = element;
	gboolean key = json_object_has_member(obj, "Key"), app = json_object_has_member(obj, "App"),
	         ssh = json_object_has_member(obj, "Ssh");
	int ssh_value = 0;

	client_take_string(client, obj, "Program", TRUE, &rule->program, code);
	client_take_string(client, obj, "SHA256", FALSE, &rule->sha256, code);
	if (*code == MESH_ERROR_OK && rule->sha256 != NULL && !mesh_hex_is_digest(rule->sha256, 32))
		*code = client_fail(client, MESH_ERROR_PROTOCOL,
		                    "the agent's answer: a rule's SHA256 is not 64 hex digits");
	if (*code == MESH_ERROR_OK && key + app + ssh != 1)
		*code = client_fail(client, MESH_ERROR_PROTOCOL,
		                    "the agent's answer: a rule names %s of Key, App and Ssh",
		                    key + app + ssh == 0 ? "none" : "more than one");
	if (key) {
		rule->target = MESH_CLIENT_TARGET_KEY;
		client_take_string(client, obj, "Key", TRUE, &rule->value, code);
	} else if (app) {
		rule->target = MESH_CLIENT_TARGET_APP;
		client_take_string(client, obj, "App", TRUE, &rule->value, code);
	} else {
		rule->target = MESH_CLIENT_TARGET_SSH;
		client_take_bool(client, obj, "Ssh", &ssh_value, code);
		if (*code == MESH_ERROR_OK && !ssh_value)
			*code = client_fail(client, MESH_ERROR_PROTOCOL,
			                    "the agent's answer: a rule's Ssh is not true");
	}
	take_decision(client, obj, "Decision", &rule->decision, code);
	take_time(client, obj, "Expires", FALSE, &rule->expires, code);
}

MeshError
mesh_client_policy_list(MeshClient *client, char **ret_default, MeshClientPolicyRule **ret_rules,
                        size_t *ret_n)
{
	g_autoptr(JsonNode) result = NULL;
	g_autofree char *def = NULL;
	MeshClientPolicyRule *rules;
	size_t n = 0;
	MeshError code;

	if (client == NULL || ret_rules == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call(client, "PolicyList", NULL, 0, &result);
	if (code != MESH_ERROR_OK)
		return code;
	take_decision(client, json_node_get_object(result), "Default", &def, &code);
	rules = client_take_list(client, json_node_get_object(result), "Rules",
	                         sizeof(MeshClientPolicyRule), read_rule, &n, &code);
	if (code != MESH_ERROR_OK) {
		mesh_client_policy_rules_free(rules, n);
		return code;
	}
	if (ret_default != NULL)
		*ret_default = g_steal_pointer(&def);
	*ret_rules = rules;
	if (ret_n != NULL)
		*ret_n = n;
	return MESH_ERROR_OK;
}

MeshError
mesh_client_policy_set(MeshClient *client, const MeshClientPolicyRule *rule, const char *passphrase)
{
	static const char *const targets[] = {
	        [MESH_CLIENT_TARGET_KEY] = "Key",
	        [MESH_CLIENT_TARGET_APP] = "App",
	        [MESH_CLIENT_TARGET_SSH] = "Ssh",
	};
	static const MeshClientPolicyRule none = {0};
	const MeshClientPolicyRule *r = rule != NULL ? rule : &none;
	gboolean known = r->target >= MESH_CLIENT_TARGET_KEY && r->target <= MESH_CLIENT_TARGET_SSH;
	gboolean ssh = r->target == MESH_CLIENT_TARGET_SSH;
	const Member params[] = {
	        {"Program", 's', r->program, 0},
	        {r->sha256 != NULL ? "SHA256" : NULL, 's', r->sha256, 0},
	        {known ? targets[r->target] : NULL, ssh ? 'b' : 's', r->value, 1},
	        {"Decision", 's', r->decision, 0},
	        {r->expires != NULL ? "Expires" : NULL, 's', r->expires, 0},
	        LOOSENING_PASSPHRASE(passphrase),
	};

	if (client == NULL || r->program == NULL || !is_decision(r->decision) || !known)
		return MESH_ERROR_INVALID_ARGUMENT;
	if (ssh != (r->value == NULL))
		return client_fail(client, MESH_ERROR_INVALID_ARGUMENT,
		                   ssh ? "an SSH rule names no key or application"
		                       : "a key or application rule needs its UDF or name");
	return client_call(client, "PolicySet", params, G_N_ELEMENTS(params), NULL);
}

MeshError
mesh_client_policy_default(MeshClient *client, const char *decision, const char *passphrase)
{
	const Member params[] = {{"Decision", 's', decision, 0}, LOOSENING_PASSPHRASE(passphrase)};

	if (client == NULL || !is_decision(decision))
		return MESH_ERROR_INVALID_ARGUMENT;
	return client_call(client, "PolicyDefault", params, G_N_ELEMENTS(params), NULL);
}

MeshError
mesh_client_policy_reset(MeshClient *client, const char *program, const char *passphrase,
                         int64_t *ret_removed)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = {{program != NULL ? "Program" : NULL, 's', program, 0},
	                         LOOSENING_PASSPHRASE(passphrase)};
	gint64 removed = 0;
	MeshError code;

	if (client == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call(client, "PolicyReset", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	client_take_int(client, json_node_get_object(result), "Removed", &removed, &code);
	if (code == MESH_ERROR_OK && removed < 0)
		code = client_fail(client, MESH_ERROR_PROTOCOL,
		                   "the agent's answer: \"Removed\" is negative");
	if (code == MESH_ERROR_OK && ret_removed != NULL)
		*ret_removed = removed;
	return code;
}

void
mesh_client_approvals_free(MeshClientApproval *requests, size_t n)
{
	if (requests == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		g_free(requests[i].program);
		g_free(requests[i].operation);
		g_free(requests[i].key);
		g_free(requests[i].app);
		g_free(requests[i].expires);
	}
	g_free(requests);
}

/* One request of ApproveList: Id, Program?, Pid, Operation, Key?, App?, Expires. */
static void
read_approval(MeshClient *client, JsonObject *obj, gpointer element, MeshError *code)
{
	MeshClientApproval *request = element;

	client_take_int(client, obj, "Id", &request->id, code);
	client_take_string(client, obj, "Program", FALSE, &request->program, code);
	client_take_int(client, obj, "Pid", &request->pid, code);
	client_take_string(client, obj, "Operation", TRUE, &request->operation, code);
	client_take_string(client, obj, "Key", FALSE, &request->key, code);
	client_take_string(client, obj, "App", FALSE, &request->app, code);
	take_time(client, obj, "Expires", TRUE, &request->expires, code);
	if (*code == MESH_ERROR_OK && (request->id < 1 || request->pid < 0))
		*code = client_fail(client, MESH_ERROR_PROTOCOL,
		                    "the agent's answer: a request's Id or Pid is out of range");
}

MeshError
mesh_client_approve_list(MeshClient *client, MeshClientApproval **ret_requests, size_t *ret_n)
{
	gpointer requests = NULL;
	size_t n = 0;
	MeshError code;

	if (client == NULL || ret_requests == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call_list(client, "ApproveList", "Requests", sizeof(MeshClientApproval),
	                        read_approval, &requests, &n);
	if (code != MESH_ERROR_OK) {
		mesh_client_approvals_free(requests, n);
		return code;
	}
	*ret_requests = requests;
	if (ret_n != NULL)
		*ret_n = n;
	return MESH_ERROR_OK;
}

MeshError
mesh_client_approve(MeshClient *client, int64_t id, int always, const char *passphrase)
{
	const Member params[] = {{"Id", 'i', NULL, id},
	                         {always ? "Always" : NULL, 'b', NULL, 1},
	                         LOOSENING_PASSPHRASE(passphrase)};

	if (client == NULL || id < 1)
		return MESH_ERROR_INVALID_ARGUMENT;
	return client_call(client, "Approve", params, G_N_ELEMENTS(params), NULL);
}

MeshError
mesh_client_deny(MeshClient *client, int64_t id)
{
	const Member params[] = {{"Id", 'i', NULL, id}};

	if (client == NULL || id < 1)
		return MESH_ERROR_INVALID_ARGUMENT;
	return client_call(client, "Deny", params, G_N_ELEMENTS(params), NULL);
}

/* The Records of an AuditList answer @obj, each object as its JSON text. */
static char **
take_records(MeshClient *client, JsonObject *obj, size_t *ret_n, MeshError *code)
{
	JsonArray *array = client_take_array(client, obj, "Records", code);
	guint n = *code == MESH_ERROR_OK ? json_array_get_length(array) : 0;
	char **records = g_new0(char *, n + 1);

	*ret_n = 0;
	for (guint i = 0; i < n; i++) {
		JsonNode *node = json_array_get_element(array, i);

		if (!JSON_NODE_HOLDS_OBJECT(node)) {
			*code = client_fail(client, MESH_ERROR_PROTOCOL,
			                    "the agent's answer: a record is not an object");
			break;
		}
		records[i] = mesh_json_to_string(node);
		*ret_n = i + 1;
	}
	return records;
}

MeshError
mesh_client_audit_list(MeshClient *client, const MeshClientAuditFilter *filter, char ***ret_records,
                       size_t *ret_n)
{
	static const MeshClientAuditFilter none = {0};
	const MeshClientAuditFilter *f = filter != NULL ? filter : &none;
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = {{f->since != NULL ? "Since" : NULL, 's', f->since, 0},
	                         {f->key != NULL ? "Key" : NULL, 's', f->key, 0},
	                         {f->program != NULL ? "Program" : NULL, 's', f->program, 0},
	                         {f->limit != 0 ? "Limit" : NULL, 'i', NULL, f->limit}};
	char **records;
	size_t n = 0;
	MeshError code;

	if (client == NULL || ret_records == NULL || f->limit < 0)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call(client, "AuditList", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	records = take_records(client, json_node_get_object(result), &n, &code);
	if (code != MESH_ERROR_OK) {
		mesh_client_strings_free(records, n);
		return code;
	}
	*ret_records = records;
	if (ret_n != NULL)
		*ret_n = n;
	return MESH_ERROR_OK;
}

MeshError
mesh_client_audit_verify(MeshClient *client, MeshClientAuditVerify *ret_verify)
{
	g_autoptr(JsonNode) result = NULL;
	MeshClientAuditVerify verify = {0};
	JsonObject *obj;
	MeshError code;

	if (client == NULL || ret_verify == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call(client, "AuditVerify", NULL, 0, &result);
	if (code != MESH_ERROR_OK)
		return code;
	obj = json_node_get_object(result);
	client_take_int(client, obj, "Records", &verify.records, &code);
	client_take_int(client, obj, "Files", &verify.files, &code);
	client_take_int(client, obj, "SignedThrough", &verify.signed_through, &code);
	client_take_int(client, obj, "Unsigned", &verify.unsigned_records, &code);
	if (code == MESH_ERROR_OK && (verify.records < 0 || verify.files < 0 ||
	                              verify.signed_through < 0 || verify.unsigned_records < 0))
		code = client_fail(client, MESH_ERROR_PROTOCOL,
		                   "the agent's answer: a count of AuditVerify is negative");
	if (code != MESH_ERROR_OK)
		return code;
	*ret_verify = verify;
	return MESH_ERROR_OK;
}
