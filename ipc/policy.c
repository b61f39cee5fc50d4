/* SPDX-License-Identifier: MIT */
/* Which program may use which key or application (ipc/policy.h). */
#include "policy.h"

#include <string.h>

#include "base64.h"
#include "error.h"
#include "json.h"
#include "text.h"

#define RULES_ENTRY "rules.json"
/* The rules entry: MESH_POLICY_RULES_MAX rules of at most a path and a few members each. */
#define RULES_MAX_BYTES (MESH_POLICY_RULES_MAX * (MESH_POLICY_PROGRAM_MAX + 512))

static const char *const decision_names[] = {
        [MESH_DECISION_ALLOW] = "allow",
        [MESH_DECISION_ASK] = "ask",
        [MESH_DECISION_DENY] = "deny",
};

typedef struct {
	char *program;
	char *sha256; /* NULL: not pinned */
	MeshTargetKind kind;
	char *value; /* NULL for MESH_TARGET_SSH */
	MeshDecision decision;
	gint64 expires;
} Rule;

struct MeshPolicy {
	MeshHive *hive;
	GMutex lock;
	/* What was read, and the stamp of the entry it was read from: read again when it
	 * changes. */
	gboolean loaded;
	gboolean unreadable; /* the entry does not read: everything is denied */
	MeshHiveStamp stamp;
	gboolean stamped;
	gboolean missing; /* there was no entry: allow, no rules */
	MeshDecision fallback;
	GPtrArray *rules; /* Rule * */
};

const char *
mesh_decision_name(MeshDecision decision)
{
	return decision_names[decision];
}

gboolean
mesh_decision_from_name(const char *name, MeshDecision *ret, GError **error)
{
	for (guint i = 0; i < G_N_ELEMENTS(decision_names); i++) {
		if (name != NULL && g_str_equal(name, decision_names[i])) {
			*ret = (MeshDecision)i;
			return TRUE;
		}
	}
	g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
	            "a decision is allow, ask or deny");
	return FALSE;
}

/* A rule as the policy keeps it: @r's strings copied. */
static Rule *
rule_new(const MeshPolicyRule *r)
{
	Rule *rule = g_new0(Rule, 1);

	rule->program = g_strdup(r->program);
	rule->sha256 = g_strdup(r->sha256);
	rule->kind = r->kind;
	rule->value = g_strdup(r->value);
	rule->decision = r->decision;
	rule->expires = r->expires;
	return rule;
}

static void
rule_free(Rule *rule)
{
	g_free(rule->program);
	g_free(rule->sha256);
	g_free(rule->value);
	g_free(rule);
}

MeshPolicy *
mesh_policy_new(MeshHive *hive)
{
	MeshPolicy *policy = g_new0(MeshPolicy, 1);

	policy->hive = hive;
	g_mutex_init(&policy->lock);
	policy->rules = g_ptr_array_new_with_free_func((GDestroyNotify)rule_free);
	return policy;
}

void
mesh_policy_free(MeshPolicy *policy)
{
	if (policy == NULL)
		return;
	g_ptr_array_unref(policy->rules);
	g_mutex_clear(&policy->lock);
	g_free(policy);
}

/* ---- Rules as the entry holds them ------------------------------------------------------- */

gboolean
mesh_policy_check_rule(const MeshPolicyRule *rule, GError **error)
{
	if (rule->program == NULL || !g_utf8_validate(rule->program, -1, NULL) ||
	    !g_path_is_absolute(rule->program) || strlen(rule->program) > MESH_POLICY_PROGRAM_MAX ||
	    !mesh_text_check_path_controls("the program", rule->program, NULL)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "a rule's program is the absolute path of an executable (at most %d "
		            "bytes, no control characters)",
		            MESH_POLICY_PROGRAM_MAX);
		return FALSE;
	}
	if (rule->sha256 != NULL && !mesh_hex_is_digest(rule->sha256, 32)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "a rule's SHA256 is 64 lowercase hexadecimal digits");
		return FALSE;
	}
	if ((rule->kind == MESH_TARGET_SSH) != (rule->value == NULL) ||
	    (rule->value != NULL && !g_utf8_validate(rule->value, -1, NULL)) ||
	    (rule->value != NULL &&
	     !mesh_text_check_display("the key or application", rule->value, 1024, 256, NULL))) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "a rule is for one key (Key), one application (App) or the ssh-agent "
		            "socket's keys (Ssh)");
		return FALSE;
	}
	return TRUE;
}

static const char *
kind_member(MeshTargetKind kind)
{
	return kind == MESH_TARGET_KEY ? "Key" : kind == MESH_TARGET_APP ? "App" : "Ssh";
}

static gboolean
rule_read(JsonObject *obj, Rule **ret, GError **error)
{
	static const char *const members[] = {"Program", "SHA256",   "Key",     "App",
	                                      "Ssh",     "Decision", "Expires", NULL};
	const char *program = NULL, *sha = NULL, *key = NULL, *app = NULL, *decision = NULL;
	const char *expires = NULL;
	gboolean ssh = FALSE;
	MeshPolicyRule r = {0};
	g_autoptr(GDateTime) when = NULL;

	if (!mesh_json_check_members(obj, members, error) ||
	    !mesh_json_get_string(obj, "Program", &program, error) ||
	    !mesh_json_get_string_opt(obj, "SHA256", &sha, error) ||
	    !mesh_json_get_string_opt(obj, "Key", &key, error) ||
	    !mesh_json_get_string_opt(obj, "App", &app, error) ||
	    !mesh_json_get_bool_opt(obj, "Ssh", &ssh, error) ||
	    !mesh_json_get_string(obj, "Decision", &decision, error) ||
	    !mesh_decision_from_name(decision, &r.decision, error))
		return FALSE;
	if (json_object_has_member(obj, "Expires")) {
		if (!mesh_json_get_time(obj, "Expires", &expires, error))
			return FALSE;
		when = g_date_time_new_from_iso8601(expires, NULL);
		/* 0 means "never": a time at or before the epoch would read as that. */
		if (when == NULL || g_date_time_to_unix(when) <= 0) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "a bad Expires time");
			return FALSE;
		}
		r.expires = g_date_time_to_unix(when);
	}
	if ((key != NULL) + (app != NULL) + (ssh ? 1 : 0) != 1) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		            "a rule has exactly one of Key, App and Ssh");
		return FALSE;
	}
	r.program = program;
	r.sha256 = sha;
	r.kind = key != NULL ? MESH_TARGET_KEY : app != NULL ? MESH_TARGET_APP : MESH_TARGET_SSH;
	r.value = key != NULL ? key : app;
	if (!mesh_policy_check_rule(&r, error))
		return FALSE;
	*ret = rule_new(&r);
	return TRUE;
}

static JsonObject *
rule_to_json(const Rule *rule)
{
	JsonObject *obj = json_object_new();

	json_object_set_string_member(obj, "Program", rule->program);
	if (rule->sha256 != NULL)
		json_object_set_string_member(obj, "SHA256", rule->sha256);
	if (rule->kind == MESH_TARGET_SSH)
		json_object_set_boolean_member(obj, "Ssh", TRUE);
	else
		json_object_set_string_member(obj, kind_member(rule->kind), rule->value);
	json_object_set_string_member(obj, "Decision", mesh_decision_name(rule->decision));
	if (rule->expires != 0) {
		g_autofree char *text = mesh_json_time_from_unix(rule->expires);

		json_object_set_string_member(obj, "Expires", text);
	}
	return obj;
}

/* Parse the entry's bytes into @rules and *@ret_fallback. */
static gboolean
parse_rules(GBytes *data, MeshDecision *ret_fallback, GPtrArray *rules, GError **error)
{
	static const char *const members[] = {"Default", "Rules", NULL};
	gsize len = 0;
	const char *text = g_bytes_get_data(data, &len);
	g_autoptr(JsonNode) root = mesh_json_parse_object(text, len, RULES_MAX_BYTES, error);
	const char *fallback = NULL;
	JsonObject *obj;
	JsonArray *array = NULL;

	if (root == NULL)
		return FALSE;
	obj = json_node_get_object(root);
	if (!mesh_json_check_members(obj, members, error) ||
	    !mesh_json_get_string(obj, "Default", &fallback, error) ||
	    !mesh_decision_from_name(fallback, ret_fallback, error) ||
	    !mesh_json_get_array(obj, "Rules", &array, error))
		return FALSE;
	if (json_array_get_length(array) > MESH_POLICY_RULES_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE, "more than %d rules",
		            MESH_POLICY_RULES_MAX);
		return FALSE;
	}
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonNode *node = json_array_get_element(array, i);
		Rule *rule = NULL;

		if (!JSON_NODE_HOLDS_OBJECT(node)) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			            "rule %u is not an object", i + 1);
			return FALSE;
		}
		if (!rule_read(json_node_get_object(node), &rule, error)) {
			g_prefix_error(error, "rule %u: ", i + 1);
			return FALSE;
		}
		g_ptr_array_add(rules, rule);
	}
	return TRUE;
}

/* With the lock held: bring the rules in line with the entry when it changed (or was never
 * read). An entry that does not read leaves the policy "unreadable" (everything denied) until it
 * is replaced. Errors: MESH_ERROR_MALFORMED while unreadable. */
static gboolean
refresh(MeshPolicy *policy, GError **error)
{
	MeshHiveStamp stamp = {{0}};
	g_autoptr(GError) local = NULL;
	g_autoptr(GBytes) data = NULL;
	g_autoptr(GPtrArray) rules = NULL;
	MeshDecision fallback = MESH_DECISION_ALLOW;
	gboolean stamped =
	        mesh_hive_stamp(policy->hive, MESH_HIVE_POLICY, RULES_ENTRY, &stamp, &local);
	gboolean missing = !stamped && g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND);

	g_clear_error(&local);
	/* Unchanged since it was read (a hive without stamps is read every time). */
	if (policy->loaded &&
	    ((stamped && policy->stamped && memcmp(&stamp, &policy->stamp, sizeof stamp) == 0) ||
	     (missing && policy->missing)))
		goto done;
	rules = g_ptr_array_new_with_free_func((GDestroyNotify)rule_free);
	if (!mesh_hive_read(policy->hive, MESH_HIVE_POLICY, RULES_ENTRY, RULES_MAX_BYTES, &data,
	                    &local)) {
		missing = g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND);
		if (!missing)
			goto unreadable;
		g_clear_error(&local);
	} else if (!parse_rules(data, &fallback, rules, &local)) {
		goto unreadable;
	}
	g_ptr_array_unref(policy->rules);
	policy->rules = g_steal_pointer(&rules);
	policy->fallback = fallback;
	policy->unreadable = FALSE;
	goto read;
unreadable:
	if (!policy->unreadable)
		g_printerr("meshagent: the policy (%s, Policy/" RULES_ENTRY ") does not read, so "
		           "every use is refused until it is fixed or 'mesh policy reset' is run: "
		           "%s\n",
		           mesh_hive_location(policy->hive), local->message);
	policy->unreadable = TRUE;
read:
	policy->loaded = TRUE;
	policy->missing = missing;
	policy->stamped = stamped;
	policy->stamp = stamp;
done:
	if (policy->unreadable) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		            "the policy (Policy/" RULES_ENTRY ") does not read: fix it or run "
		            "'mesh policy reset'");
		return FALSE;
	}
	return TRUE;
}

/* With the lock held: write the rules as they are now (expired ones dropped). */
static gboolean
save(MeshPolicy *policy, GError **error)
{
	g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
	JsonObject *obj = json_object_new();
	JsonArray *array = json_array_new();
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	g_autofree char *text = NULL;

	json_object_set_string_member(obj, "Default", mesh_decision_name(policy->fallback));
	for (guint i = 0; i < policy->rules->len; i++) {
		const Rule *rule = g_ptr_array_index(policy->rules, i);

		if (rule->expires == 0 || rule->expires > now)
			json_array_add_object_element(array, rule_to_json(rule));
	}
	json_object_set_array_member(obj, "Rules", array);
	json_node_take_object(root, obj);
	text = mesh_json_to_string(root);
	if (!mesh_hive_write(policy->hive, MESH_HIVE_POLICY, RULES_ENTRY, (const guint8 *)text,
	                     strlen(text), error))
		return FALSE;
	/* Read back at the next decision, so that the stamp is the new entry's. */
	policy->loaded = FALSE;
	policy->unreadable = FALSE;
	return TRUE;
}

/* ---- Deciding ------------------------------------------------------------------------------ */

static gboolean
rule_applies(const Rule *rule, MeshCaller *caller, const char *program, gint64 now)
{
	char hex[65];

	if (rule->expires != 0 && rule->expires <= now)
		return FALSE;
	if (!g_str_equal(rule->program, program))
		return FALSE;
	return rule->sha256 == NULL || (mesh_caller_digest_hex(caller, hex, NULL) &&
	                                g_str_equal(hex, rule->sha256));
}

static const Rule *
find_rule(MeshPolicy *policy, MeshCaller *caller, const char *program, MeshTargetKind kind,
          const char *value, gint64 now)
{
	for (guint i = 0; i < policy->rules->len; i++) {
		const Rule *rule = g_ptr_array_index(policy->rules, i);

		if (rule->kind == kind && g_strcmp0(rule->value, value) == 0 &&
		    rule_applies(rule, caller, program, now))
			return rule;
	}
	return NULL;
}

MeshDecision
mesh_policy_decide(MeshPolicy *policy, MeshCaller *caller, MeshTargetKind kind, const char *value,
                   gboolean ssh, const char **ret_rule)
{
	const char *program = caller != NULL ? mesh_caller_program(caller) : NULL;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	const Rule *rule = NULL;
	MeshDecision decision;
	const char *why = "default";

	if (caller == NULL) {
		if (ret_rule != NULL)
			*ret_rule = "agent";
		return MESH_DECISION_ALLOW;
	}
	g_mutex_lock(&policy->lock);
	if (!refresh(policy, NULL)) {
		g_mutex_unlock(&policy->lock);
		if (ret_rule != NULL)
			*ret_rule = "unreadable";
		return MESH_DECISION_DENY;
	}
	if (program != NULL) {
		rule = find_rule(policy, caller, program, kind, value, now);
		if (rule == NULL && ssh)
			rule = find_rule(policy, caller, program, MESH_TARGET_SSH, NULL, now);
	}
	if (rule != NULL) {
		decision = rule->decision;
		why = "rule";
	} else {
		decision = policy->fallback;
	}
	g_mutex_unlock(&policy->lock);
	if (ret_rule != NULL)
		*ret_rule = why;
	return decision;
}

gboolean
mesh_policy_is_open(MeshPolicy *policy)
{
	gboolean open;

	g_mutex_lock(&policy->lock);
	open = refresh(policy, NULL) && policy->rules->len == 0 &&
	       policy->fallback == MESH_DECISION_ALLOW;
	g_mutex_unlock(&policy->lock);
	return open;
}

/* ---- Changing ------------------------------------------------------------------------------ */

gboolean
mesh_policy_set(MeshPolicy *policy, const MeshPolicyRule *r, GError **error)
{
	gboolean ok;

	if (!mesh_policy_check_rule(r, error))
		return FALSE;
	g_mutex_lock(&policy->lock);
	if (!refresh(policy, error)) {
		g_mutex_unlock(&policy->lock);
		return FALSE;
	}
	for (guint i = policy->rules->len; i-- > 0;) {
		const Rule *old = g_ptr_array_index(policy->rules, i);

		if (old->kind == r->kind && g_strcmp0(old->value, r->value) == 0 &&
		    g_str_equal(old->program, r->program))
			g_ptr_array_remove_index(policy->rules, i);
	}
	if (policy->rules->len >= MESH_POLICY_RULES_MAX) {
		g_mutex_unlock(&policy->lock);
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
		            "the policy holds %d rules already: remove some with 'mesh policy "
		            "reset --program PATH'",
		            MESH_POLICY_RULES_MAX);
		return FALSE;
	}
	g_ptr_array_add(policy->rules, rule_new(r));
	ok = save(policy, error);
	g_mutex_unlock(&policy->lock);
	return ok;
}

gboolean
mesh_policy_set_default(MeshPolicy *policy, MeshDecision decision, GError **error)
{
	gboolean ok;

	g_mutex_lock(&policy->lock);
	ok = refresh(policy, error);
	if (ok) {
		policy->fallback = decision;
		ok = save(policy, error);
	}
	g_mutex_unlock(&policy->lock);
	return ok;
}

gboolean
mesh_policy_reset(MeshPolicy *policy, const char *program, guint *ret_removed, GError **error)
{
	guint removed = 0;
	gboolean ok;

	g_mutex_lock(&policy->lock);
	if (program == NULL) {
		/* Also the way out of a rules entry that does not read. */
		(void)refresh(policy, NULL);
		removed = policy->unreadable ? 0 : policy->rules->len;
		g_ptr_array_set_size(policy->rules, 0);
		policy->fallback = MESH_DECISION_ALLOW;
		ok = save(policy, error);
	} else {
		ok = refresh(policy, error);
		for (guint i = ok ? policy->rules->len : 0; i-- > 0;) {
			const Rule *rule = g_ptr_array_index(policy->rules, i);

			if (g_str_equal(rule->program, program)) {
				g_ptr_array_remove_index(policy->rules, i);
				removed++;
			}
		}
		if (ok)
			ok = save(policy, error);
	}
	g_mutex_unlock(&policy->lock);
	if (ok && ret_removed != NULL)
		*ret_removed = removed;
	return ok;
}

JsonObject *
mesh_policy_list(MeshPolicy *policy, GError **error)
{
	JsonObject *obj;
	JsonArray *array;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;

	g_mutex_lock(&policy->lock);
	if (!refresh(policy, error)) {
		g_mutex_unlock(&policy->lock);
		return NULL;
	}
	obj = json_object_new();
	array = json_array_new();
	json_object_set_string_member(obj, "Default", mesh_decision_name(policy->fallback));
	for (guint i = 0; i < policy->rules->len; i++) {
		const Rule *rule = g_ptr_array_index(policy->rules, i);

		if (rule->expires == 0 || rule->expires > now)
			json_array_add_object_element(array, rule_to_json(rule));
	}
	json_object_set_array_member(obj, "Rules", array);
	g_mutex_unlock(&policy->lock);
	return obj;
}
