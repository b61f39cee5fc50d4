/* SPDX-License-Identifier: MIT */
/*
 * ipc/policy.c and ipc/approval.c: which rule decides (a key's or application's over the Ssh
 * rule over the default), expiry, pinning to the executable's digest, unknown programs, a rules
 * entry that does not read (everything denied until reset), and the questions: answered, timed
 * out, withdrawn, cancelled, and put to an askpass program that answers each way.
 */
#include "approval.h"
#include "cutest.h"
#include "error.h"
#include "policy.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#define SSH     "/usr/bin/ssh"
#define PYTHON  "/usr/bin/python3"
#define KEY_A   "MAAA-AAAA-AAAA"
#define KEY_B   "MBBB-BBBB-BBBB"
#define DIGEST  "0101010101010101010101010101010101010101010101010101010101010101"
#define OTHER   "0201010101010101010101010101010101010101010101010101010101010101"

typedef struct {
	char *root;
	MeshHive *hive;
	MeshPolicy *policy;
} Fixture;

static void
fixture_open(Fixture *f)
{
	GError *error = NULL;

	f->root = mesh_test_tmp_dir("policy");
	f->hive = mesh_hive_open(MESH_HIVE_TEST, f->root, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->hive);
	f->policy = mesh_policy_new(f->hive);
}

static void
fixture_close(Fixture *f)
{
	mesh_policy_free(f->policy);
	mesh_hive_close(f->hive);
	mesh_test_remove_tree(f->root);
	g_free(f->root);
}

/* The digest hook of a test caller: every byte 0x01. */
static gboolean
fixed_digest(gpointer os, guint8 ret[32], GError **error)
{
	(void)os;
	(void)error;
	memset(ret, 1, 32);
	return TRUE;
}

static MeshCaller *
caller(const char *program)
{
	return mesh_caller_new(4242, program, fixed_digest, NULL, NULL);
}

static void
set(Fixture *f, const char *program, const char *sha, MeshTargetKind kind, const char *value,
    MeshDecision decision, gint64 expires)
{
	MeshPolicyRule rule = {program, sha, kind, value, decision, expires};
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_policy_set(f->policy, &rule, &error));
	MESH_ASSERT_NO_ERROR(error);
}

static MeshDecision
decide(Fixture *f, MeshCaller *c, MeshTargetKind kind, const char *value, gboolean ssh)
{
	return mesh_policy_decide(f->policy, c, kind, value, ssh, NULL);
}

static void
test_default_is_allow(void)
{
	Fixture f;
	g_autoptr(MeshCaller) py = caller(PYTHON);
	const char *why = NULL;

	fixture_open(&f);
	CU_ASSERT_TRUE(mesh_policy_is_open(f.policy));
	CU_ASSERT_EQUAL(mesh_policy_decide(f.policy, py, MESH_TARGET_KEY, KEY_A, FALSE, &why),
	                MESH_DECISION_ALLOW);
	CU_ASSERT_STRING_EQUAL(why, "default");
	/* The agent's own work (no caller) is never asked about. */
	set(&f, PYTHON, NULL, MESH_TARGET_KEY, KEY_A, MESH_DECISION_DENY, 0);
	CU_ASSERT_EQUAL(decide(&f, NULL, MESH_TARGET_KEY, KEY_A, FALSE), MESH_DECISION_ALLOW);
	CU_ASSERT_FALSE(mesh_policy_is_open(f.policy));
	fixture_close(&f);
}

static void
test_precedence(void)
{
	Fixture f;
	g_autoptr(MeshCaller) ssh = caller(SSH);
	g_autoptr(MeshCaller) py = caller(PYTHON);
	g_autoptr(MeshCaller) unknown = caller(NULL);
	GError *error = NULL;

	fixture_open(&f);
	CU_ASSERT_TRUE(mesh_policy_set_default(f.policy, MESH_DECISION_ASK, &error));
	MESH_ASSERT_NO_ERROR(error);
	set(&f, SSH, NULL, MESH_TARGET_SSH, NULL, MESH_DECISION_DENY, 0);
	set(&f, SSH, NULL, MESH_TARGET_KEY, KEY_A, MESH_DECISION_ALLOW, 0);
	set(&f, PYTHON, NULL, MESH_TARGET_APP, "Passwords", MESH_DECISION_DENY, 0);
	/* The key's own rule first, then the Ssh rule on the ssh-agent socket, then the default. */
	CU_ASSERT_EQUAL(decide(&f, ssh, MESH_TARGET_KEY, KEY_A, TRUE), MESH_DECISION_ALLOW);
	CU_ASSERT_EQUAL(decide(&f, ssh, MESH_TARGET_KEY, KEY_B, TRUE), MESH_DECISION_DENY);
	/* The Ssh rule is for the ssh-agent socket only. */
	CU_ASSERT_EQUAL(decide(&f, ssh, MESH_TARGET_KEY, KEY_B, FALSE), MESH_DECISION_ASK);
	CU_ASSERT_EQUAL(decide(&f, py, MESH_TARGET_APP, "Passwords", FALSE), MESH_DECISION_DENY);
	CU_ASSERT_EQUAL(decide(&f, py, MESH_TARGET_APP, "Other", FALSE), MESH_DECISION_ASK);
	/* A rule is one program's: another, or one that cannot be told, gets the default. */
	CU_ASSERT_EQUAL(decide(&f, py, MESH_TARGET_KEY, KEY_A, TRUE), MESH_DECISION_ASK);
	CU_ASSERT_EQUAL(decide(&f, unknown, MESH_TARGET_KEY, KEY_A, TRUE), MESH_DECISION_ASK);
	/* Setting a program's rule for a target again replaces it. */
	set(&f, SSH, NULL, MESH_TARGET_KEY, KEY_A, MESH_DECISION_DENY, 0);
	CU_ASSERT_EQUAL(decide(&f, ssh, MESH_TARGET_KEY, KEY_A, TRUE), MESH_DECISION_DENY);
	fixture_close(&f);
}

static void
test_expiry_and_pinning(void)
{
	Fixture f;
	g_autoptr(MeshCaller) py = caller(PYTHON);
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;

	fixture_open(&f);
	set(&f, PYTHON, NULL, MESH_TARGET_KEY, KEY_A, MESH_DECISION_DENY, now + 3600);
	CU_ASSERT_EQUAL(decide(&f, py, MESH_TARGET_KEY, KEY_A, FALSE), MESH_DECISION_DENY);
	set(&f, PYTHON, NULL, MESH_TARGET_KEY, KEY_A, MESH_DECISION_DENY, now - 1);
	CU_ASSERT_EQUAL(decide(&f, py, MESH_TARGET_KEY, KEY_A, FALSE), MESH_DECISION_ALLOW);
	/* Pinned: the rule counts only for an executable with that digest. */
	set(&f, PYTHON, DIGEST, MESH_TARGET_KEY, KEY_B, MESH_DECISION_DENY, 0);
	CU_ASSERT_EQUAL(decide(&f, py, MESH_TARGET_KEY, KEY_B, FALSE), MESH_DECISION_DENY);
	set(&f, PYTHON, OTHER, MESH_TARGET_KEY, KEY_B, MESH_DECISION_DENY, 0);
	CU_ASSERT_EQUAL(decide(&f, py, MESH_TARGET_KEY, KEY_B, FALSE), MESH_DECISION_ALLOW);
	fixture_close(&f);
}

static void
test_rules_checked(void)
{
	Fixture f;
	MeshPolicyRule relative = {"ssh", NULL, MESH_TARGET_SSH, NULL, MESH_DECISION_DENY, 0};
	MeshPolicyRule bad_sha = {SSH, "abc", MESH_TARGET_SSH, NULL, MESH_DECISION_DENY, 0};
	MeshPolicyRule no_value = {SSH, NULL, MESH_TARGET_KEY, NULL, MESH_DECISION_DENY, 0};
	MeshPolicyRule control = {"/usr/bin/a\nb", NULL, MESH_TARGET_SSH, NULL, MESH_DECISION_DENY,
	                          0};
	MeshPolicyRule not_utf8 = {"/usr/bin/\xed\xb8\x80", NULL, MESH_TARGET_SSH, NULL,
	                           MESH_DECISION_DENY, 0};
	GError *error = NULL;
	MeshDecision d;

	fixture_open(&f);
	CU_ASSERT_FALSE(mesh_policy_set(f.policy, &relative, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_policy_set(f.policy, &bad_sha, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_policy_set(f.policy, &no_value, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_policy_set(f.policy, &control, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_policy_set(f.policy, &not_utf8, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_decision_from_name("maybe", &d, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_TRUE(mesh_policy_is_open(f.policy));
	fixture_close(&f);
}

static void
write_rules(Fixture *f, const char *text)
{
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_hive_write(f->hive, MESH_HIVE_POLICY, "rules.json",
	                               (const guint8 *)text, strlen(text), &error));
	MESH_ASSERT_NO_ERROR(error);
}

static void
test_unreadable_denies_until_reset(void)
{
	Fixture f;
	g_autoptr(MeshCaller) py = caller(PYTHON);
	g_autoptr(JsonObject) list = NULL;
	GError *error = NULL;
	guint removed = 99;

	fixture_open(&f);
	set(&f, PYTHON, NULL, MESH_TARGET_KEY, KEY_A, MESH_DECISION_ALLOW, 0);
	/* Changed behind the agent's back: read again, and a rule it wrote counts. */
	write_rules(&f, "{\"Default\":\"deny\",\"Rules\":[]}");
	CU_ASSERT_EQUAL(decide(&f, py, MESH_TARGET_KEY, KEY_A, FALSE), MESH_DECISION_DENY);
	/* An entry that does not read (or holds what a rule may not) denies every use. */
	write_rules(&f, "{\"Default\":\"allow\",\"Rules\":[{\"Program\":\"x\"}]}");
	CU_ASSERT_EQUAL(decide(&f, py, MESH_TARGET_KEY, KEY_B, FALSE), MESH_DECISION_DENY);
	/* A program that is not UTF-8 (a \\u escape json-glib would decode half), and an expiry
	 * at the epoch, which would read as "never", are no rules either. */
	write_rules(&f, "{\"Default\":\"allow\",\"Rules\":[{\"Program\":\"/usr/bin/\\uDerh\","
	                "\"App\":\"Passwords\",\"Decision\":\"deny\"}]}");
	CU_ASSERT_EQUAL(decide(&f, py, MESH_TARGET_KEY, KEY_B, FALSE), MESH_DECISION_DENY);
	write_rules(&f, "{\"Default\":\"allow\",\"Rules\":[{\"Program\":\"/usr/bin/x\","
	                "\"App\":\"Passwords\",\"Decision\":\"deny\","
	                "\"Expires\":\"1970-01-01T00:00:00Z\"}]}");
	CU_ASSERT_EQUAL(decide(&f, py, MESH_TARGET_KEY, KEY_B, FALSE), MESH_DECISION_DENY);
	write_rules(&f, "not json");
	CU_ASSERT_EQUAL(decide(&f, NULL, MESH_TARGET_KEY, KEY_B, FALSE), MESH_DECISION_ALLOW);
	CU_ASSERT_EQUAL(decide(&f, py, MESH_TARGET_KEY, KEY_B, FALSE), MESH_DECISION_DENY);
	list = mesh_policy_list(f.policy, &error);
	CU_ASSERT_PTR_NULL(list);
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	/* A change of one rule does not paper over it; a reset of everything does. */
	CU_ASSERT_FALSE(mesh_policy_set_default(f.policy, MESH_DECISION_ALLOW, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	CU_ASSERT_TRUE(mesh_policy_reset(f.policy, NULL, &removed, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(removed, 0);
	CU_ASSERT_EQUAL(decide(&f, py, MESH_TARGET_KEY, KEY_B, FALSE), MESH_DECISION_ALLOW);
	fixture_close(&f);
}

static void
test_list_and_reset(void)
{
	Fixture f;
	g_autoptr(JsonObject) list = NULL;
	GError *error = NULL;
	guint removed = 0;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	JsonArray *rules;

	fixture_open(&f);
	set(&f, SSH, DIGEST, MESH_TARGET_SSH, NULL, MESH_DECISION_ASK, now + 60);
	set(&f, SSH, NULL, MESH_TARGET_KEY, KEY_A, MESH_DECISION_ALLOW, 0);
	set(&f, PYTHON, NULL, MESH_TARGET_APP, "Passwords", MESH_DECISION_DENY, 0);
	set(&f, PYTHON, NULL, MESH_TARGET_KEY, KEY_B, MESH_DECISION_DENY, now - 1);
	list = mesh_policy_list(f.policy, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(list);
	CU_ASSERT_STRING_EQUAL(json_object_get_string_member(list, "Default"), "allow");
	rules = json_object_get_array_member(list, "Rules");
	/* The expired rule is left out. */
	CU_ASSERT_EQUAL(json_array_get_length(rules), 3);
	CU_ASSERT_TRUE(json_object_get_boolean_member(json_array_get_object_element(rules, 0),
	                                              "Ssh"));
	CU_ASSERT_STRING_EQUAL(
	        json_object_get_string_member(json_array_get_object_element(rules, 0), "SHA256"),
	        DIGEST);
	CU_ASSERT_TRUE(json_object_has_member(json_array_get_object_element(rules, 0), "Expires"));
	CU_ASSERT_TRUE(mesh_policy_reset(f.policy, SSH, &removed, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(removed, 2);
	CU_ASSERT_FALSE(mesh_policy_is_open(f.policy));
	CU_ASSERT_TRUE(mesh_policy_reset(f.policy, NULL, &removed, &error));
	CU_ASSERT_TRUE(mesh_policy_is_open(f.policy));
	fixture_close(&f);
}

/* ---- Questions ------------------------------------------------------------------------------ */

typedef struct {
	gboolean told;
	MeshApprovalAnswer answer;
} Told;

static void
on_answer(MeshApprovalAnswer answer, gpointer data)
{
	Told *t = data;

	t->told = TRUE;
	t->answer = answer;
}

static void
run_until_told(GMainContext *context, Told *t, gint64 max_us)
{
	gint64 end = g_get_monotonic_time() + max_us;

	while (!t->told && g_get_monotonic_time() < end) {
		if (!g_main_context_iteration(context, FALSE))
			g_usleep(1000);
	}
}

static const MeshApprovalWhat what = {"sign with", KEY_A, NULL, NULL};

static void
test_queue(void)
{
	g_autoptr(GMainContext) context = g_main_context_new();
	g_autoptr(MeshCaller) py = caller(PYTHON);
	g_autoptr(MeshApprovals) approvals = NULL;
	g_autoptr(JsonArray) list = NULL;
	Told a = {0}, b = {0}, c = {0};
	GError *error = NULL;
	guint64 id_a, id_b, id_c;

	g_main_context_push_thread_default(context);
	approvals = mesh_approvals_new(context, NULL);
	id_a = mesh_approvals_ask(approvals, py, &what, on_answer, &a);
	id_b = mesh_approvals_ask(approvals, py, &what, on_answer, &b);
	id_c = mesh_approvals_ask(approvals, py, &what, on_answer, &c);
	CU_ASSERT_EQUAL(id_a, 1);
	CU_ASSERT_EQUAL(id_c, 3);
	list = mesh_approvals_list(approvals);
	CU_ASSERT_EQUAL(json_array_get_length(list), 3);
	CU_ASSERT_STRING_EQUAL(
	        json_object_get_string_member(json_array_get_object_element(list, 0), "Program"),
	        PYTHON);
	CU_ASSERT_EQUAL(
	        json_object_get_int_member(json_array_get_object_element(list, 0), "Pid"), 4242);
	/* Told from the main context, never from inside the call that answered. */
	CU_ASSERT_TRUE(mesh_approvals_answer(approvals, id_a, MESH_APPROVAL_ALWAYS, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(a.told);
	run_until_told(context, &a, G_USEC_PER_SEC);
	CU_ASSERT_EQUAL(a.answer, MESH_APPROVAL_ALWAYS);
	/* Answered once: a second answer finds nothing. */
	CU_ASSERT_FALSE(mesh_approvals_answer(approvals, id_a, MESH_APPROVAL_ONCE, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_TRUE(mesh_approvals_answer(approvals, id_b, MESH_APPROVAL_DENIED, NULL));
	run_until_told(context, &b, G_USEC_PER_SEC);
	CU_ASSERT_EQUAL(b.answer, MESH_APPROVAL_DENIED);
	mesh_approvals_withdraw(approvals, id_c);
	run_until_told(context, &c, G_USEC_PER_SEC);
	CU_ASSERT_EQUAL(c.answer, MESH_APPROVAL_CANCELLED);
	g_clear_pointer(&list, json_array_unref);
	list = mesh_approvals_list(approvals);
	CU_ASSERT_EQUAL(json_array_get_length(list), 0);
	g_clear_pointer(&approvals, mesh_approvals_free);
	g_main_context_pop_thread_default(context);
}

static void
test_timeout_and_cancel(void)
{
	g_autoptr(GMainContext) context = g_main_context_new();
	g_autoptr(MeshApprovals) approvals = NULL;
	g_autoptr(MeshCaller) py = caller(PYTHON);
	Told a = {0}, b = {0};

	g_setenv("MESH_AGENT_APPROVAL_SECONDS", "1", TRUE);
	approvals = mesh_approvals_new(context, NULL);
	g_unsetenv("MESH_AGENT_APPROVAL_SECONDS");
	(void)mesh_approvals_ask(approvals, py, &what, on_answer, &a);
	run_until_told(context, &a, 5 * G_USEC_PER_SEC);
	CU_ASSERT_TRUE(a.told);
	CU_ASSERT_EQUAL(a.answer, MESH_APPROVAL_TIMEOUT);
	/* Once cancelled (the agent stops), new questions are answered CANCELLED too. */
	mesh_approvals_cancel(approvals);
	(void)mesh_approvals_ask(approvals, py, &what, on_answer, &b);
	run_until_told(context, &b, G_USEC_PER_SEC);
	CU_ASSERT_EQUAL(b.answer, MESH_APPROVAL_CANCELLED);
	g_clear_pointer(&approvals, mesh_approvals_free);
	while (g_main_context_iteration(context, FALSE))
		;
}

/* An askpass that answers as the file @answer says, and writes its question and environment. */
static char *
askpass_script(const char *dir, const char *answer_file, const char *seen_file)
{
	char *path = g_build_filename(dir, "askpass.sh", NULL);
	g_autofree char *text = g_strdup_printf(
	        "#!/bin/sh\nprintf '%%s|%%s' \"$SSH_ASKPASS_PROMPT\" \"$1\" > '%s'\n"
	        "case $(cat '%s') in always) echo always;; once) ;; *) exit 1;; esac\n",
	        seen_file, answer_file);

	CU_ASSERT_TRUE(g_file_set_contents(path, text, -1, NULL));
	CU_ASSERT_EQUAL(g_chmod(path, 0700), 0);
	return path;
}

static void
test_askpass_each_way(void)
{
	static const struct {
		const char *says;
		MeshApprovalAnswer want;
	} cases[] = {
	        {"once", MESH_APPROVAL_ONCE},
	        {"always", MESH_APPROVAL_ALWAYS},
	        {"no", MESH_APPROVAL_DENIED},
	};
	g_autofree char *dir = mesh_test_tmp_dir("askpass");
	g_autofree char *answer = g_build_filename(dir, "answer", NULL);
	g_autofree char *seen = g_build_filename(dir, "seen", NULL);
	g_autofree char *script = askpass_script(dir, answer, seen);
	g_autoptr(GMainContext) context = g_main_context_new();
	g_autoptr(MeshCaller) py = caller(PYTHON);
	g_autoptr(MeshApprovals) approvals = NULL;

	g_main_context_push_thread_default(context);
	approvals = mesh_approvals_new(context, script);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		Told t = {0};
		g_autofree char *question = NULL;

		CU_ASSERT_TRUE(g_file_set_contents(answer, cases[i].says, -1, NULL));
		(void)mesh_approvals_ask(approvals, py, &what, on_answer, &t);
		run_until_told(context, &t, 20 * G_USEC_PER_SEC);
		CU_ASSERT_TRUE(t.told);
		CU_ASSERT_EQUAL(t.answer, cases[i].want);
		CU_ASSERT_TRUE(g_file_get_contents(seen, &question, NULL, NULL));
		CU_ASSERT_PTR_NOT_NULL(question);
		CU_ASSERT_TRUE(question != NULL && g_str_has_prefix(question, "confirm|" PYTHON
		                                                              " (pid 4242) wants "
		                                                              "to sign with the key "
		                                                              KEY_A));
	}
	g_clear_pointer(&approvals, mesh_approvals_free);
	g_main_context_pop_thread_default(context);
	mesh_test_remove_tree(dir);
}

static CU_TestInfo tests[] = {
        {"no policy: everything is allowed, the agent's own work always", test_default_is_allow},
        {"a key's rule, then the Ssh rule, then the default", test_precedence},
        {"expired rules count as absent; pinned ones need the digest", test_expiry_and_pinning},
        {"malformed rules are refused", test_rules_checked},
        {"a rules entry that does not read denies everything until reset",
         test_unreadable_denies_until_reset},
        {"list leaves out expired rules; reset per program and whole", test_list_and_reset},
        {"questions: answered, answered twice, denied, withdrawn", test_queue},
        {"questions time out; a stopping agent cancels them", test_timeout_and_cancel},
        {"an askpass answers once, always and no", test_askpass_each_way},
        CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("policy", tests);
}
