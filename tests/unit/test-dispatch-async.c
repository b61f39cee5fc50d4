/* SPDX-License-Identifier: MIT */
/*
 * The agent's worker (mesh_agent_handle_async) and portal bridge (ipc/portal-bridge.c): an agent
 * with the default HTTP factory, whose portal is an in-process one behind a loopback HTTP server
 * (http-server.h) that can hold requests. While a session method waits on the held portal, the
 * agent answers every other request at once; remote session methods queue and answer in order;
 * a cancel ends the one waiting and those queued; an abandoned job's answer is dropped.
 */
#include "cutest.h"
#include "dispatch.h"
#include "error.h"
#include "http-server.h"
#include "json.h"
#include "store.h"

#include <string.h>

/* How long a test waits for something the agent must do, at most. */
#define WAIT_SECONDS 60

typedef struct {
	MeshPortalStore *store;
	MeshPortal *portal;
	MeshTestHttp *http;
	char *hold_url;
	char *root;
	MeshAgent *agent;
	char *sign_key;
	MeshCaller *caller; /* who sends (NULL: not known) */
	GPtrArray *answers; /* JsonNode *, in the order the worker's answers came */
} Fixture;

static void
on_answer(GBytes *answer, gpointer user_data)
{
	Fixture *fx = user_data;
	gsize len = 0;
	const char *p = g_bytes_get_data(answer, &len);
	GError *error = NULL;
	JsonNode *root = mesh_json_parse(p, len, 1024 * 1024, &error);

	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	g_ptr_array_add(fx->answers, root);
}

/* Send one request; *@ret_job the worker's job, or NULL and the answer parsed now. */
static JsonNode *
send(Fixture *fx, gint64 id, const char *method, const char *params, MeshAgentJob **ret_job)
{
	g_autofree char *text = NULL;
	g_autoptr(GBytes) answer = NULL;
	gboolean close = TRUE;
	MeshAgentJob *job;
	const char *p;
	gsize len = 0;

	text = g_strdup_printf("{\"Id\":%" G_GINT64_FORMAT ",\"Method\":\"%s\",\"Params\":%s}", id,
			       method, params != NULL ? params : "{}");
	job = mesh_agent_handle_async(fx->agent, fx->caller, (const guint8 *)text, strlen(text), &answer,
				      &close, on_answer, fx);
	CU_ASSERT_FALSE(close);
	if (ret_job != NULL)
		*ret_job = job;
	if (job != NULL) {
		CU_ASSERT_PTR_NULL(answer);
		return NULL;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(answer);
	p = g_bytes_get_data(answer, &len);
	return mesh_json_parse(p, len, 1024 * 1024, NULL);
}

/* The Result of a request answered at once. */
static JsonObject *
now_ok(Fixture *fx, JsonNode **ret_root, const char *method, const char *params)
{
	MeshAgentJob *job = NULL;
	JsonObject *result = NULL;

	g_clear_pointer(ret_root, json_node_unref);
	*ret_root = send(fx, 1, method, params, &job);
	CU_ASSERT_PTR_NULL_FATAL(job);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*ret_root);
	CU_ASSERT_TRUE_FATAL(
		mesh_json_get_object(json_node_get_object(*ret_root), "Result", &result, NULL));
	return result;
}

static gint64
error_code(JsonNode *root)
{
	JsonObject *err = NULL;
	gint64 code = -1;

	if (!mesh_json_get_object(json_node_get_object(root), "Error", &err, NULL) ||
	    !mesh_json_get_int(err, "Code", &code, NULL))
		return -1;
	return code;
}

static gint64
answer_id(JsonNode *root)
{
	return json_object_get_int_member(json_node_get_object(root), "Id");
}

typedef gboolean (*Condition)(Fixture *fx, guint n);

static gboolean
held_at_least(Fixture *fx, guint n)
{
	return mesh_test_http_held(fx->http) >= n;
}

static gboolean
answers_at_least(Fixture *fx, guint n)
{
	return fx->answers->len >= n;
}

/* Run the main context (where the bridge's HTTP transactions and the answers run) until @cond. */
static void
spin_until(Fixture *fx, Condition cond, guint n)
{
	gint64 deadline = g_get_monotonic_time() + WAIT_SECONDS * G_USEC_PER_SEC;

	while (!cond(fx, n) && g_get_monotonic_time() < deadline) {
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(1000);
	}
	CU_ASSERT_TRUE_FATAL(cond(fx, n));
}

static void
setup(Fixture *fx)
{
	g_autoptr(JsonNode) root = NULL;
	GError *error = NULL;
	JsonObject *r, *keys = NULL;
	const char *udf = NULL;

	memset(fx, 0, sizeof *fx);
	fx->store = mesh_portal_store_memory_new();
	fx->portal = mesh_portal_new("example.com", fx->store, &error);
	MESH_ASSERT_NO_ERROR(error);
	fx->http = mesh_test_http_start(fx->portal);
	fx->hold_url = mesh_test_http_url(fx->http, "/hold/");
	fx->root = mesh_test_tmp_dir("dispatch-async");
	fx->agent = mesh_agent_new(MESH_HIVE_TEST, fx->root, NULL, &error);
	MESH_ASSERT_NO_ERROR(error);
	fx->answers = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
	r = now_ok(fx, &root, "DeviceCreate", "{\"Description\":\"laptop\"}");
	CU_ASSERT_TRUE_FATAL(mesh_json_get_object(r, "Keys", &keys, NULL));
	CU_ASSERT_TRUE_FATAL(mesh_json_get_string(keys, "Signature", &udf, NULL));
	fx->sign_key = g_strdup(udf);
}

static void
teardown(Fixture *fx)
{
	mesh_test_http_release(fx->http);
	mesh_agent_free(fx->agent);
	mesh_test_http_stop(fx->http);
	mesh_portal_free(fx->portal);
	mesh_portal_store_close(fx->store);
	mesh_test_remove_tree(fx->root);
	g_free(fx->root);
	g_free(fx->hold_url);
	g_free(fx->sign_key);
	mesh_caller_unref(fx->caller);
	g_ptr_array_unref(fx->answers);
}

/* While ProfileCreate waits on the portal, other requests are answered at once. */
static void
test_serves_while_portal_waits(void)
{
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *create = NULL;
	g_autofree char *sign = NULL;
	g_autofree char *validate = NULL;
	MeshAgentJob *job1 = NULL, *job2 = NULL;
	JsonObject *r, *result = NULL;
	Fixture fx;

	setup(&fx);
	mesh_test_http_hold(fx.http);
	create = g_strdup_printf("{\"Account\":\"alice@example.com\",\"Portal\":\"%s\"}",
				 fx.hold_url);
	CU_ASSERT_PTR_NULL(send(&fx, 10, "ProfileCreate", create, &job1));
	CU_ASSERT_PTR_NOT_NULL_FATAL(job1);
	spin_until(&fx, held_at_least, 1);

	/* The portal holds the request: the agent's own methods, key signatures and the local
	 * session methods are answered now. */
	r = now_ok(&fx, &root, "Hello", NULL);
	CU_ASSERT_TRUE(json_object_has_member(r, "Methods"));
	sign = g_strdup_printf("{\"UDF\":\"%s\",\"Data\":\"aGVsbG8\"}", fx.sign_key);
	r = now_ok(&fx, &root, "KeySign", sign);
	CU_ASSERT_TRUE(json_object_has_member(r, "Signature"));
	r = now_ok(&fx, &root, "Status", NULL);
	CU_ASSERT_EQUAL(json_object_get_int_member(r, "Devices"), 1);
	now_ok(&fx, &root, "ProfileList", NULL);
	/* Malformed and unknown requests are refused at once, not queued. */
	g_clear_pointer(&root, json_node_unref);
	root = send(&fx, 11, "ProfileSync", "{\"Extra\":1}", &job2);
	CU_ASSERT_PTR_NULL(job2);
	CU_ASSERT_EQUAL(error_code(root), MESH_ERROR_MALFORMED);
	g_clear_pointer(&root, json_node_unref);
	root = send(&fx, 12, "NoSuchMethod", NULL, &job2);
	CU_ASSERT_EQUAL(error_code(root), MESH_ERROR_UNSUPPORTED);

	/* A second remote method queues behind the first. */
	validate = g_strdup_printf("{\"Account\":\"bob@example.com\",\"Portal\":\"%s\"}",
				   fx.hold_url);
	CU_ASSERT_PTR_NULL(send(&fx, 13, "AccountValidate", validate, &job2));
	CU_ASSERT_PTR_NOT_NULL(job2);
	CU_ASSERT_EQUAL(fx.answers->len, 0);

	mesh_test_http_release(fx.http);
	spin_until(&fx, answers_at_least, 2);
	CU_ASSERT_EQUAL(answer_id(fx.answers->pdata[0]), 10);
	CU_ASSERT_EQUAL(answer_id(fx.answers->pdata[1]), 13);
	CU_ASSERT_TRUE(mesh_json_get_object(json_node_get_object(fx.answers->pdata[0]), "Result",
					    &result, NULL));
	CU_ASSERT_TRUE(mesh_json_get_object(json_node_get_object(fx.answers->pdata[1]), "Result",
					    &result, NULL));
	CU_ASSERT_TRUE(json_object_get_boolean_member(result, "Valid"));
	/* What the worker made is there for everyone. */
	r = now_ok(&fx, &root, "ProfileGet", NULL);
	CU_ASSERT_STRING_EQUAL(json_object_get_string_member(r, "Account"), "alice@example.com");
	teardown(&fx);
}

/* A cancel (the agent stopping) ends the waiting method and those queued with Cancelled; an
 * abandoned job's answer is dropped. */
static void
test_cancel_and_abandon(void)
{
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *validate = NULL;
	MeshAgentJob *waiting = NULL, *queued = NULL, *abandoned = NULL, *late = NULL;
	Fixture fx;

	setup(&fx);
	mesh_test_http_hold(fx.http);
	validate = g_strdup_printf("{\"Account\":\"bob@example.com\",\"Portal\":\"%s\"}",
				   fx.hold_url);
	send(&fx, 20, "AccountValidate", validate, &waiting);
	send(&fx, 21, "AccountValidate", validate, &abandoned);
	send(&fx, 22, "AccountValidate", validate, &queued);
	CU_ASSERT_TRUE_FATAL(waiting != NULL && abandoned != NULL && queued != NULL);
	spin_until(&fx, held_at_least, 1);
	mesh_agent_job_abandon(abandoned);
	mesh_agent_cancel(fx.agent);
	spin_until(&fx, answers_at_least, 2);
	CU_ASSERT_EQUAL(answer_id(fx.answers->pdata[0]), 20);
	CU_ASSERT_EQUAL(error_code(fx.answers->pdata[0]), MESH_ERROR_CANCELLED);
	CU_ASSERT_EQUAL(answer_id(fx.answers->pdata[1]), 22);
	CU_ASSERT_EQUAL(error_code(fx.answers->pdata[1]), MESH_ERROR_CANCELLED);
	/* After the cancel: remote methods answer Cancelled without reaching the portal; the
	 * others still work. */
	send(&fx, 23, "AccountValidate", validate, &late);
	CU_ASSERT_PTR_NOT_NULL(late);
	now_ok(&fx, &root, "Hello", NULL);
	mesh_agent_stop(fx.agent);
	CU_ASSERT_EQUAL(fx.answers->len, 3);
	CU_ASSERT_EQUAL(answer_id(fx.answers->pdata[2]), 23);
	CU_ASSERT_EQUAL(error_code(fx.answers->pdata[2]), MESH_ERROR_CANCELLED);
	CU_ASSERT_EQUAL(mesh_test_http_held(fx.http), 1);
	teardown(&fx);
}

/* Restricted: remote methods are refused at once, never queued. */
static void
test_restricted(void)
{
	g_autoptr(JsonNode) root = NULL;
	MeshAgentJob *job = NULL;
	Fixture fx;

	setup(&fx);
	mesh_agent_set_restricted(fx.agent, TRUE);
	root = send(&fx, 30, "AccountValidate", "{\"Account\":\"bob@example.com\"}", &job);
	CU_ASSERT_PTR_NULL(job);
	CU_ASSERT_EQUAL(error_code(root), MESH_ERROR_PERMISSION);
	teardown(&fx);
}

/* The policy asks about a program the agent cannot tell (no path, no digest): "allow always"
 * cannot pin a rule to it, so the request is allowed once and no rule is made. */
static void
test_always_for_unknown_program(void)
{
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *sign = NULL;
	MeshAgentJob *job = NULL;
	JsonObject *r, *result = NULL;
	Fixture fx;

	setup(&fx);
	now_ok(&fx, &root, "PolicyDefault", "{\"Decision\":\"ask\"}");
	fx.caller = mesh_caller_new(4242, NULL, NULL, NULL, NULL);
	sign = g_strdup_printf("{\"UDF\":\"%s\",\"Data\":\"aGVsbG8\"}", fx.sign_key);
	CU_ASSERT_PTR_NULL(send(&fx, 20, "KeySign", sign, &job));
	CU_ASSERT_PTR_NOT_NULL_FATAL(job);
	r = now_ok(&fx, &root, "ApproveList", NULL);
	CU_ASSERT_EQUAL(json_array_get_length(json_object_get_array_member(r, "Requests")), 1);
	now_ok(&fx, &root, "Approve", "{\"Id\":1,\"Always\":true}");
	spin_until(&fx, answers_at_least, 1);
	CU_ASSERT_EQUAL(answer_id(fx.answers->pdata[0]), 20);
	CU_ASSERT_TRUE(mesh_json_get_object(json_node_get_object(fx.answers->pdata[0]), "Result",
					    &result, NULL));
	CU_ASSERT_TRUE(result != NULL && json_object_has_member(result, "Signature"));
	r = now_ok(&fx, &root, "PolicyList", NULL);
	CU_ASSERT_EQUAL(json_array_get_length(json_object_get_array_member(r, "Rules")), 0);
	teardown(&fx);
}

static CU_TestInfo tests[] = {
	{ "the agent serves while a session method waits on the portal",
	  test_serves_while_portal_waits },
	{ "cancel and abandon", test_cancel_and_abandon },
	{ "restricted", test_restricted },
	{ "allow always for a program that cannot be told: once, no rule",
	  test_always_for_unknown_program },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("dispatch-async", tests);
}
