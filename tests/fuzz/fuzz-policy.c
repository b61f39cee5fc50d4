/* SPDX-License-Identifier: MIT */
/*
 * The policy's rules entry (ipc/policy.c): the input is Policy/rules.json of an in-memory hive
 * (memhive.h), which any program of the user can write. The target decides for a few callers
 * (a pinned-looking one whose digest is 32 bytes of 0x11, one whose digest cannot be had, one
 * with a non-ASCII path, an unknown program) and targets (two keys, with and without the
 * ssh-agent socket, two applications), lists the rules, writes the list back and reads it again,
 * then sets a rule and resets everything.
 *
 * Invariants (abort): a policy never fails open: when the entry does not read (the list fails),
 * every decision for a caller is deny, "unreadable", and the policy is not open. When it reads,
 * a decision is a listed rule's for that program and target (or Ssh) or the listed Default; an
 * unknown program gets the Default; an unpinned listed rule without Expires for the program and
 * target is never passed over for the Default; an open policy allows everything; the list
 * written back reads back the same; a rule just set decides; a reset leaves an open policy.
 */
#include <stdlib.h>
#include <string.h>

#include "caller.h"
#include "error.h"
#include "fuzz.h"
#include "json.h"
#include "memhive.h"
#include "policy.h"

#define KEY1 "MDXV-4B2Q-TNBQ-6V2G-YRTX-GR2A-4MBZ"
#define KEY2 "MCF2-2NZ4-KL4B-2AND-AJRD-4ACA-KSKZ"
#define DIGEST_BYTE 0x11

static gboolean
digest_fixed(gpointer os, guint8 ret[32], GError **error)
{
	memset(ret, DIGEST_BYTE, 32);
	return TRUE;
}

static gboolean
digest_gone(gpointer os, guint8 ret[32], GError **error)
{
	g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND, "the process is gone");
	return FALSE;
}

typedef struct {
	const char *program;
	MeshCallerDigestFunc digest;
} CallerSpec;

static const CallerSpec callers[] = {
	{ "/usr/bin/ssh", digest_fixed },
	{ "/usr/bin/git", digest_gone },
	{ "/opt/Café \"beta\"/bin/app", digest_fixed },
	{ NULL, digest_fixed },
};

typedef struct {
	MeshTargetKind kind;
	const char *value;
	gboolean ssh;
} Target;

static const Target targets[] = {
	{ MESH_TARGET_KEY, KEY1, FALSE },
	{ MESH_TARGET_KEY, KEY1, TRUE },
	{ MESH_TARGET_KEY, KEY2, TRUE },
	{ MESH_TARGET_APP, "Passwords", FALSE },
	{ MESH_TARGET_APP, "Café", FALSE },
};

static void
drop_message(const gchar *message)
{
}

static const char *
kind_member(MeshTargetKind kind)
{
	return kind == MESH_TARGET_KEY ? "Key" : kind == MESH_TARGET_APP ? "App" : "Ssh";
}

/* Whether listed rule @obj is for @program and @kind/@value. */
static gboolean
rule_for(JsonObject *obj, const char *program, MeshTargetKind kind, const char *value)
{
	const char *member = kind_member(kind);

	if (g_strcmp0(json_object_get_string_member_with_default(obj, "Program", NULL),
		      program) != 0 ||
	    !json_object_has_member(obj, member))
		return FALSE;
	if (kind == MESH_TARGET_SSH)
		return json_object_get_boolean_member_with_default(obj, member, FALSE);
	return g_strcmp0(json_object_get_string_member_with_default(obj, member, NULL), value) ==
	       0;
}

static const char *
pinned_hex(void)
{
	static char hex[65];

	if (hex[0] == '\0') {
		for (int i = 0; i < 32; i++)
			g_snprintf(hex + 2 * i, 3, "%02x", DIGEST_BYTE);
	}
	return hex;
}

/* Whether some listed rule for @program and the target could have given @decision; *@ret_must
 * set when one applies for certain (unpinned, or pinned to @digest, and no Expires). */
static gboolean
listed(JsonArray *rules, const char *program, MeshTargetKind kind, const char *value,
       const char *digest, MeshDecision decision, gboolean *ret_must)
{
	gboolean found = FALSE;

	for (guint i = 0; i < json_array_get_length(rules); i++) {
		JsonObject *obj = json_array_get_object_element(rules, i);
		const char *sha = json_object_get_string_member_with_default(obj, "SHA256", NULL);
		gboolean applies = sha == NULL || g_strcmp0(sha, digest) == 0;

		if (!rule_for(obj, program, kind, value) || !applies)
			continue;
		if (!json_object_has_member(obj, "Expires"))
			*ret_must = TRUE;
		if (g_strcmp0(json_object_get_string_member(obj, "Decision"),
			      mesh_decision_name(decision)) == 0)
			found = TRUE;
	}
	return found;
}

static void
check_decisions(MeshPolicy *policy, MeshCaller **cs, JsonObject *list)
{
	gboolean open = mesh_policy_is_open(policy);
	MeshDecision fallback = MESH_DECISION_DENY;
	JsonArray *rules = NULL;

	if (list != NULL) {
		if (!mesh_decision_from_name(json_object_get_string_member(list, "Default"),
					     &fallback, NULL))
			abort();
		rules = json_object_get_array_member(list, "Rules");
	} else if (open) {
		abort();
	}
	for (guint t = 0; t < G_N_ELEMENTS(targets); t++) {
		const Target *tg = &targets[t];
		const char *why = NULL;

		/* The agent's own work is never refused. */
		if (mesh_policy_decide(policy, NULL, tg->kind, tg->value, tg->ssh, &why) !=
		    MESH_DECISION_ALLOW || g_strcmp0(why, "agent") != 0)
			abort();
		for (guint c = 0; c < G_N_ELEMENTS(callers); c++) {
			const char *program = callers[c].program;
			const char *digest = callers[c].digest == digest_fixed ? pinned_hex() : NULL;
			MeshDecision d = mesh_policy_decide(policy, cs[c], tg->kind, tg->value,
							    tg->ssh, &why);
			gboolean must = FALSE, must_ssh = FALSE;
			gboolean by_target, by_ssh = FALSE;

			if (list == NULL) {
				if (d != MESH_DECISION_DENY || g_strcmp0(why, "unreadable") != 0)
					abort();
				continue;
			}
			if (open && d != MESH_DECISION_ALLOW)
				abort();
			if (program == NULL) {
				if (d != fallback || g_strcmp0(why, "default") != 0)
					abort();
				continue;
			}
			by_target = listed(rules, program, tg->kind, tg->value, digest, d, &must);
			if (tg->ssh)
				by_ssh = listed(rules, program, MESH_TARGET_SSH, NULL, digest, d,
						&must_ssh);
			if (g_strcmp0(why, "rule") == 0) {
				if (!by_target && !by_ssh)
					abort();
			} else if (g_strcmp0(why, "default") == 0) {
				if (d != fallback || must || must_ssh)
					abort();
			} else {
				abort();
			}
		}
	}
}

/* The list as an entry of a fresh hive reads back as the same list. */
static void
check_round_trip(JsonObject *list)
{
	g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
	g_autoptr(JsonNode) node2 = json_node_new(JSON_NODE_OBJECT);
	g_autoptr(MeshHive) hive = mesh_fuzz_memhive_new();
	g_autoptr(MeshPolicy) policy = mesh_policy_new(hive);
	g_autofree char *text = NULL;
	g_autofree char *text2 = NULL;
	JsonObject *again;

	json_node_set_object(node, list);
	text = mesh_json_to_string(node);
	mesh_fuzz_memhive_put(hive, MESH_HIVE_POLICY, "rules.json", text, strlen(text));
	again = mesh_policy_list(policy, NULL);
	if (again == NULL)
		abort();
	json_node_take_object(node2, again);
	text2 = mesh_json_to_string(node2);
	if (strcmp(text, text2) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static gboolean quiet;
	static const MeshPolicyRule deny_ssh = {
		.program = "/usr/bin/ssh",
		.kind = MESH_TARGET_KEY,
		.value = KEY1,
		.decision = MESH_DECISION_DENY,
	};
	g_autoptr(MeshHive) hive = mesh_fuzz_memhive_new();
	g_autoptr(MeshPolicy) policy = mesh_policy_new(hive);
	g_autoptr(GError) error = NULL;
	MeshCaller *cs[G_N_ELEMENTS(callers)];
	JsonObject *list;
	const char *why = NULL;
	guint removed = 0;

	/* An entry that does not read is logged on stderr: not for every input. */
	if (!quiet) {
		g_set_printerr_handler(drop_message);
		quiet = TRUE;
	}
	mesh_fuzz_memhive_put(hive, MESH_HIVE_POLICY, "rules.json", data, size);
	for (guint c = 0; c < G_N_ELEMENTS(callers); c++)
		cs[c] = mesh_caller_new(1000 + c, callers[c].program, callers[c].digest, NULL, NULL);

	list = mesh_policy_list(policy, &error);
	if (list == NULL && !g_error_matches(error, MESH_ERROR, MESH_ERROR_MALFORMED))
		abort();
	check_decisions(policy, cs, list);
	if (list != NULL) {
		check_round_trip(list);
		json_object_unref(list);
		/* A rule set on what was read decides at once. */
		g_clear_error(&error);
		if (mesh_policy_set(policy, &deny_ssh, &error)) {
			if (mesh_policy_decide(policy, cs[0], MESH_TARGET_KEY, KEY1, TRUE, &why) !=
			    MESH_DECISION_DENY || g_strcmp0(why, "rule") != 0)
				abort();
		} else if (!g_error_matches(error, MESH_ERROR, MESH_ERROR_TOO_LARGE)) {
			abort();
		}
	} else if (mesh_policy_set(policy, &deny_ssh, NULL)) {
		/* Only a reset of everything replaces an entry that does not read. */
		abort();
	}
	/* The way out of any entry: everything reset, open again. */
	if (!mesh_policy_reset(policy, NULL, &removed, NULL) || !mesh_policy_is_open(policy))
		abort();
	list = mesh_policy_list(policy, NULL);
	if (list == NULL || json_array_get_length(json_object_get_array_member(list, "Rules")) != 0)
		abort();
	json_object_unref(list);
	for (guint c = 0; c < G_N_ELEMENTS(callers); c++)
		mesh_caller_unref(cs[c]);
	return 0;
}
