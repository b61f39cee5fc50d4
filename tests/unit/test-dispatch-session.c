/* SPDX-License-Identifier: MIT */
/* The agent's session methods (ipc/methods-session.c) through mesh_agent_handle: three agents,
 * each over its own temporary hive and file key store, and one in-process portal (memory store,
 * direct client) handed in with mesh_agent_set_portal_factory. */
#include "cutest.h"
#include "client-direct.h"
#include "dispatch.h"
#include "error.h"
#include "json.h"
#include "methods.h"
#include "store.h"
#include "transactions.h"

#include <string.h>

#define N_AGENTS 3

typedef struct {
	MeshPortalStore *store;
	MeshPortal *portal;
	char *root[N_AGENTS];
	MeshAgent *agent[N_AGENTS];
} Fixture;

static MeshPortalClient *
open_direct(gpointer data, const char *domain, const char *url, GError **error)
{
	return mesh_portal_client_direct_new(data);
}

static void
setup(Fixture *fx)
{
	GError *error = NULL;

	memset(fx, 0, sizeof *fx);
	fx->store = mesh_portal_store_memory_new();
	fx->portal = mesh_portal_new("example.com", fx->store, &error);
	MESH_ASSERT_NO_ERROR(error);
	for (int i = 0; i < N_AGENTS; i++) {
		fx->root[i] = mesh_test_tmp_dir("dispatch-session");
		fx->agent[i] = mesh_agent_new(MESH_HIVE_TEST, fx->root[i], NULL, &error);
		MESH_ASSERT_NO_ERROR(error);
		mesh_agent_set_portal_factory(fx->agent[i], open_direct, fx->portal);
	}
}

static void
teardown(Fixture *fx)
{
	for (int i = 0; i < N_AGENTS; i++) {
		mesh_agent_free(fx->agent[i]);
		mesh_test_remove_tree(fx->root[i]);
		g_free(fx->root[i]);
	}
	mesh_portal_free(fx->portal);
	mesh_portal_store_close(fx->store);
}

/* The answer to @method with @params (JSON object text, NULL: none) on agent @i. */
static JsonNode *
ask(Fixture *fx, int i, const char *method, const char *params)
{
	g_autofree char *text = NULL;
	g_autoptr(GBytes) answer = NULL;
	GError *error = NULL;
	gboolean close = TRUE;
	JsonNode *root;
	const char *p;
	gsize len = 0;

	text = params != NULL ? g_strdup_printf("{\"Id\":7,\"Method\":\"%s\",\"Params\":%s}",
						method, params)
			      : g_strdup_printf("{\"Id\":7,\"Method\":\"%s\"}", method);
	mesh_agent_handle(fx->agent[i], (const guint8 *)text, strlen(text), &answer, &close);
	CU_ASSERT_PTR_NOT_NULL_FATAL(answer);
	CU_ASSERT_FALSE(close);
	p = g_bytes_get_data(answer, &len);
	root = mesh_json_parse(p, len, 1024 * 1024, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE_FATAL(JSON_NODE_HOLDS_OBJECT(root));
	return root;
}

/* The Result of a request that must succeed; its tree is kept in *@ret_root. */
static JsonObject *
ok(Fixture *fx, JsonNode **ret_root, int i, const char *method, const char *params)
{
	JsonObject *answer, *result = NULL;

	if (*ret_root != NULL)
		json_node_unref(*ret_root);
	*ret_root = ask(fx, i, method, params);
	answer = json_node_get_object(*ret_root);
	if (!json_object_has_member(answer, "Result")) {
		g_autofree char *text = mesh_json_to_string(*ret_root);

		g_printerr("%s %s -> %s\n", method, params ? params : "", text);
	}
	CU_ASSERT_TRUE_FATAL(mesh_json_get_object(answer, "Result", &result, NULL));
	return result;
}

/* A request that must fail with @code and a message that says @says. */
static void
fails_saying(Fixture *fx, int i, const char *method, const char *params, MeshError code,
             const char *says)
{
	g_autoptr(JsonNode) root = ask(fx, i, method, params);
	JsonObject *err = NULL;
	const char *message = "";
	gint64 got = -1;

	CU_ASSERT_TRUE_FATAL(mesh_json_get_object(json_node_get_object(root), "Error", &err, NULL));
	CU_ASSERT_TRUE(mesh_json_get_int(err, "Code", &got, NULL));
	CU_ASSERT_TRUE(mesh_json_get_string(err, "Message", &message, NULL));
	if (got != (gint64)code)
		g_printerr("%s %s: want %d, got %" G_GINT64_FORMAT " (%s)\n", method,
			   params ? params : "", code, got, message);
	CU_ASSERT_EQUAL(got, code);
	if (strstr(message, says) == NULL)
		g_printerr("%s: \"%s\" does not say \"%s\"\n", method, message, says);
	CU_ASSERT_PTR_NOT_NULL(strstr(message, says));
}

/* A request that must fail with @code. */
static void
fails(Fixture *fx, int i, const char *method, const char *params, MeshError code)
{
	fails_saying(fx, i, method, params, code, "");
}

static const char *
str(JsonObject *obj, const char *member)
{
	const char *s = NULL;

	CU_ASSERT_TRUE_FATAL(mesh_json_get_string(obj, member, &s, NULL));
	return s;
}

/* Create alice@example.com on agent 0; the profile's fingerprint. */
static char *
create_alice(Fixture *fx)
{
	g_autoptr(JsonNode) root = NULL;
	JsonObject *r = ok(fx, &root, 0, "ProfileCreate", "{\"Account\":\"alice@example.com\"}");

	return g_strdup(str(r, "Identifier"));
}

static void
test_hello_lists_session_methods(void)
{
	g_autoptr(JsonNode) root = NULL;
	Fixture fx;
	JsonObject *r;
	JsonArray *methods = NULL;
	gboolean found = FALSE;

	setup(&fx);
	r = ok(&fx, &root, 0, "Hello", NULL);
	CU_ASSERT_TRUE_FATAL(mesh_json_get_array(r, "Methods", &methods, NULL));
	for (gsize i = 0; mesh_agent_method_at(i) != NULL; i++) {
		if (mesh_agent_method_at(i)->session == NULL)
			continue;
		found = FALSE;
		for (guint k = 0; k < json_array_get_length(methods); k++)
			found |= g_str_equal(json_array_get_string_element(methods, k),
					     mesh_agent_method_at(i)->name);
		CU_ASSERT_TRUE(found);
	}
	CU_ASSERT_PTR_NULL(mesh_agent_method_find("NoSuchMethod"));
	CU_ASSERT_PTR_NOT_NULL(mesh_agent_method_find("PasswordDelete"));
	/* Restricted (the fuzzer's agent): every session method is refused. */
	mesh_agent_set_restricted(fx.agent[0], TRUE);
	fails(&fx, 0, "ProfileList", NULL, MESH_ERROR_PERMISSION);
	fails(&fx, 0, "ProfileCreate", "{\"Account\":\"alice@example.com\"}",
	      MESH_ERROR_PERMISSION);
	teardown(&fx);
}

static void
test_profiles(void)
{
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *fingerprint = NULL;
	Fixture fx;
	JsonObject *r;
	JsonArray *array = NULL;
	gboolean valid = FALSE;
	gint64 serial = 0;

	setup(&fx);
	r = ok(&fx, &root, 0, "AccountValidate", "{\"Account\":\"alice@example.com\"}");
	valid = json_object_get_boolean_member(r, "Valid");
	CU_ASSERT_TRUE(valid);
	fails(&fx, 0, "AccountValidate", "{\"Account\":\"Alice!@example.com\"}",
	      MESH_ERROR_INVALID_ARGUMENT);
	fails(&fx, 0, "AccountValidate", "{}", MESH_ERROR_MALFORMED);
	fails(&fx, 0, "AccountValidate", "{\"Account\":\"a@example.com\",\"Extra\":1}",
	      MESH_ERROR_MALFORMED);
	fails(&fx, 0, "ProfileGet", NULL, MESH_ERROR_NOT_FOUND);

	fingerprint = create_alice(&fx);
	fails(&fx, 0, "ProfileCreate", "{\"Account\":\"alice@example.com\"}", MESH_ERROR_EXISTS);
	fails(&fx, 1, "ProfileCreate", "{\"Account\":\"alice@example.com\"}", MESH_ERROR_EXISTS);
	r = ok(&fx, &root, 0, "AccountValidate", "{\"Account\":\"alice@example.com\"}");
	CU_ASSERT_FALSE(json_object_get_boolean_member(r, "Valid"));
	CU_ASSERT_TRUE(json_object_has_member(r, "Reason"));

	r = ok(&fx, &root, 0, "ProfileGet", NULL);
	CU_ASSERT_STRING_EQUAL(str(r, "Identifier"), fingerprint);
	CU_ASSERT_STRING_EQUAL(str(r, "Account"), "alice@example.com");
	CU_ASSERT_TRUE(mesh_json_get_int(r, "Serial", &serial, NULL) && serial >= 1);
	CU_ASSERT_TRUE(mesh_json_get_array(r, "Devices", &array, NULL) &&
		       json_array_get_length(array) == 1);
	CU_ASSERT_TRUE(mesh_json_get_array(r, "Applications", &array, NULL));
	CU_ASSERT_TRUE(json_object_has_member(r, "AdministrationKey"));

	r = ok(&fx, &root, 0, "ProfileList", NULL);
	CU_ASSERT_TRUE(mesh_json_get_array(r, "Accounts", &array, NULL) &&
		       json_array_get_length(array) == 1);
	CU_ASSERT_STRING_EQUAL(str(r, "Default"), "alice@example.com");
	r = ok(&fx, &root, 0, "ProfileSync", "{\"Account\":\"alice@example.com\"}");
	CU_ASSERT_STRING_EQUAL(str(r, "Identifier"), fingerprint);
	fails(&fx, 1, "ProfileSync", "{\"Account\":\"alice@example.com\"}", MESH_ERROR_NOT_FOUND);

	fails(&fx, 0, "ProfileDelete", "{}", MESH_ERROR_MALFORMED);
	fails(&fx, 0, "ProfileDelete", "{\"Account\":\"bob@example.com\"}", MESH_ERROR_NOT_FOUND);
	fails(&fx, 0, "ProfileDelete", "{\"Account\":\"alice@example.com\",\"Force\":1}",
	      MESH_ERROR_MALFORMED);
	/* The only administration device, holding the master keys, no escrow: refused. */
	fails(&fx, 0, "ProfileDelete", "{\"Account\":\"alice@example.com\"}",
	      MESH_ERROR_PERMISSION);
	fails(&fx, 0, "ProfileDelete", "{\"Account\":\"alice@example.com\",\"Force\":false}",
	      MESH_ERROR_PERMISSION);
	r = ok(&fx, &root, 0, "ProfileGet", "{\"Account\":\"alice@example.com\"}");
	CU_ASSERT_STRING_EQUAL(str(r, "Identifier"), fingerprint);
	ok(&fx, &root, 0, "ProfileDelete", "{\"Account\":\"alice@example.com\",\"Force\":true}");
	fails(&fx, 0, "ProfileGet", "{\"Account\":\"alice@example.com\"}", MESH_ERROR_NOT_FOUND);
	r = ok(&fx, &root, 0, "ProfileList", NULL);
	CU_ASSERT_TRUE(mesh_json_get_array(r, "Accounts", &array, NULL) &&
		       json_array_get_length(array) == 0);
	CU_ASSERT_FALSE(json_object_has_member(r, "Default"));
	teardown(&fx);
}

static void
test_escrow_recover(void)
{
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *fingerprint = NULL, *params = NULL, *s0 = NULL, *s1 = NULL, *s2 = NULL;
	g_autofree char *escrow_id = NULL;
	Fixture fx;
	JsonObject *r;
	JsonArray *shares = NULL;

	setup(&fx);
	fingerprint = create_alice(&fx);
	/* Not escrowed yet: the device holds the master keys and knows no escrow of them. */
	r = ok(&fx, &root, 0, "ProfileGet", NULL);
	CU_ASSERT_TRUE(json_object_get_boolean_member(r, "MasterKeys"));
	CU_ASSERT_TRUE(mesh_json_get_array(r, "Escrows", &shares, NULL) &&
	               json_array_get_length(shares) == 0);
	fails(&fx, 0, "EscrowCreate", "{\"Quorum\":3,\"Shares\":2}", MESH_ERROR_INVALID_ARGUMENT);
	fails(&fx, 0, "EscrowCreate", "{\"Quorum\":0,\"Shares\":2}", MESH_ERROR_INVALID_ARGUMENT);
	fails(&fx, 0, "EscrowCreate", "{\"Quorum\":\"2\",\"Shares\":2}", MESH_ERROR_MALFORMED);
	fails(&fx, 1, "EscrowCreate", "{\"Quorum\":2,\"Shares\":3}", MESH_ERROR_NOT_FOUND);
	r = ok(&fx, &root, 0, "EscrowCreate", "{\"Quorum\":2,\"Shares\":3}");
	CU_ASSERT_TRUE(json_object_has_member(r, "Identifier"));
	CU_ASSERT_TRUE_FATAL(mesh_json_get_array(r, "Shares", &shares, NULL) &&
			     json_array_get_length(shares) == 3);
	s0 = g_strdup(json_array_get_string_element(shares, 0));
	s1 = g_strdup(json_array_get_string_element(shares, 1));
	s2 = g_strdup(json_array_get_string_element(shares, 2));
	escrow_id = g_strdup(str(r, "Identifier"));
	/* Escrowed: ProfileGet says which entry. */
	r = ok(&fx, &root, 0, "ProfileGet", NULL);
	CU_ASSERT_TRUE(mesh_json_get_array(r, "Escrows", &shares, NULL) &&
	               json_array_get_length(shares) == 1 &&
	               g_str_equal(json_array_get_string_element(shares, 0), escrow_id));

	params = g_strdup_printf("{\"Shares\":[\"%s\",\"%s\"]}", s0, s2);
	ok(&fx, &root, 0, "EscrowVerify", params);
	g_free(params);
	params = g_strdup_printf("{\"Shares\":[\"%s\"]}", s0);
	fails(&fx, 0, "EscrowVerify", params, MESH_ERROR_SHARE_QUORUM);
	fails(&fx, 0, "EscrowVerify", "{\"Shares\":[]}", MESH_ERROR_INVALID_ARGUMENT);
	fails(&fx, 0, "EscrowVerify", "{\"Shares\":[1,2]}", MESH_ERROR_MALFORMED);
	fails(&fx, 0, "EscrowVerify", "{\"Shares\":\"S\"}", MESH_ERROR_MALFORMED);
	fails(&fx, 0, "EscrowVerify", "{\"Shares\":[\"S1\",\"S2\"]}", MESH_ERROR_SHARE_CORRUPT);

	ok(&fx, &root, 0, "ProfileDelete", "{\"Account\":\"alice@example.com\"}");
	g_free(params);
	params = g_strdup_printf("{\"Account\":\"alice@example.com\",\"Shares\":[\"%s\"]}", s1);
	fails(&fx, 0, "ProfileRecover", params, MESH_ERROR_SHARE_QUORUM);
	fails(&fx, 0, "ProfileGet", NULL, MESH_ERROR_NOT_FOUND);
	g_free(params);
	params = g_strdup_printf("{\"Shares\":[\"%s\",\"%s\"]}", s1, s2);
	fails(&fx, 0, "ProfileRecover", params, MESH_ERROR_MALFORMED);
	g_free(params);
	params = g_strdup_printf("{\"Account\":\"alice@example.com\",\"Shares\":[\"%s\",\"%s\"]}",
				 s1, s2);
	r = ok(&fx, &root, 0, "ProfileRecover", params);
	CU_ASSERT_STRING_EQUAL(str(r, "Identifier"), fingerprint);
	/* The shares that recovered it are an escrow of it. */
	CU_ASSERT_TRUE(json_object_get_boolean_member(r, "MasterKeys"));
	CU_ASSERT_TRUE(mesh_json_get_array(r, "Escrows", &shares, NULL) &&
	               json_array_get_length(shares) == 1 &&
	               g_str_equal(json_array_get_string_element(shares, 0), escrow_id));
	fails(&fx, 0, "ProfileRecover", params, MESH_ERROR_EXISTS);
	r = ok(&fx, &root, 0, "ProfileGet", NULL);
	CU_ASSERT_STRING_EQUAL(str(r, "Identifier"), fingerprint);
	teardown(&fx);
}

static void
test_connect(void)
{
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *fingerprint = NULL, *witness = NULL, *device = NULL, *params = NULL;
	g_autofree char *prefix = NULL;
	Fixture fx;
	JsonObject *r, *p;
	JsonArray *pending = NULL, *devices = NULL;

	setup(&fx);
	fails(&fx, 1, "ConnectRequest", "{\"Account\":\"alice@example.com\"}",
	      MESH_ERROR_NOT_FOUND);
	fingerprint = create_alice(&fx);
	fails(&fx, 0, "ConnectRequest", "{\"Account\":\"alice@example.com\"}", MESH_ERROR_EXISTS);
	fails(&fx, 1, "ConnectStatus", NULL, MESH_ERROR_NOT_FOUND);
	fails(&fx, 1, "ConnectPending", NULL, MESH_ERROR_NOT_FOUND);

	r = ok(&fx, &root, 1, "ConnectRequest", "{\"Account\":\"alice@example.com\"}");
	CU_ASSERT_STRING_EQUAL(str(r, "ProfileUDF"), fingerprint);
	witness = g_strdup(str(r, "Witness"));
	device = g_strdup(str(r, "DeviceUDF"));
	r = ok(&fx, &root, 1, "ConnectStatus", NULL);
	CU_ASSERT_STRING_EQUAL(str(r, "State"), "Pending");

	r = ok(&fx, &root, 0, "ConnectPending", NULL);
	CU_ASSERT_TRUE_FATAL(mesh_json_get_array(r, "Pending", &pending, NULL) &&
			     json_array_get_length(pending) == 1);
	p = json_array_get_object_element(pending, 0);
	CU_ASSERT_STRING_EQUAL(str(p, "DeviceUDF"), device);
	CU_ASSERT_STRING_EQUAL(str(p, "Witness"), witness);
	CU_ASSERT_TRUE(json_object_has_member(p, "Expires"));

	fails(&fx, 0, "ConnectAccept", "{\"Witness\":\"ABCD\"}", MESH_ERROR_INVALID_ARGUMENT);
	fails(&fx, 0, "ConnectAccept", "{\"Witness\":\"AAAAAAAAAA\"}", MESH_ERROR_INVALID_ARGUMENT);
	fails(&fx, 0, "ConnectAccept", "{\"Witness\":\"AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA\"}",
	      MESH_ERROR_NOT_FOUND);
	fails(&fx, 0, "ConnectAccept", "{}", MESH_ERROR_MALFORMED);
	fails(&fx, 1, "ConnectAccept", "{\"Witness\":\"AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA\"}",
	      MESH_ERROR_NOT_FOUND);
	/* A prefix is refused, on accept and on reject: the whole witness is needed. */
	prefix = g_strndup(witness, 9); /* 8 characters and a dash */
	params = g_strdup_printf("{\"Witness\":\"%s\"}", prefix);
	fails(&fx, 0, "ConnectAccept", params, MESH_ERROR_INVALID_ARGUMENT);
	fails(&fx, 0, "ConnectReject", params, MESH_ERROR_INVALID_ARGUMENT);
	g_free(params);
	params = g_strdup_printf("{\"Witness\":\"%s\"}", witness);
	ok(&fx, &root, 0, "ConnectAccept", params);
	r = ok(&fx, &root, 1, "ConnectStatus", NULL);
	CU_ASSERT_STRING_EQUAL(str(r, "State"), "Accepted");
	fails(&fx, 1, "ConnectStatus", NULL, MESH_ERROR_NOT_FOUND);
	r = ok(&fx, &root, 1, "ProfileGet", NULL);
	CU_ASSERT_TRUE(mesh_json_get_array(r, "Devices", &devices, NULL) &&
		       json_array_get_length(devices) == 2);

	/* Agent 2 is rejected. */
	g_clear_pointer(&witness, g_free);
	r = ok(&fx, &root, 2, "ConnectRequest", "{\"Account\":\"alice@example.com\"}");
	witness = g_strdup(str(r, "Witness"));
	g_free(params);
	params = g_strdup_printf("{\"Witness\":\"%s\"}", witness);
	ok(&fx, &root, 0, "ConnectReject", params);
	r = ok(&fx, &root, 2, "ConnectStatus", NULL);
	CU_ASSERT_STRING_EQUAL(str(r, "State"), "Rejected");
	fails(&fx, 2, "ProfileGet", NULL, MESH_ERROR_NOT_FOUND);
	teardown(&fx);
}

static void
test_apps_passwords(void)
{
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *fingerprint = NULL;
	Fixture fx;
	JsonObject *r;
	JsonArray *array = NULL;

	setup(&fx);
	fails(&fx, 0, "AppList", NULL, MESH_ERROR_NOT_FOUND);
	fingerprint = create_alice(&fx);
	r = ok(&fx, &root, 0, "AppAdd", "{\"Type\":\"Generic\",\"Name\":\"notes\"}");
	CU_ASSERT_TRUE(json_object_has_member(r, "Identifier"));
	fails(&fx, 0, "AppAdd", "{\"Type\":\"Generic\",\"Name\":\"notes\"}", MESH_ERROR_EXISTS);
	fails(&fx, 0, "AppAdd", "{\"Type\":\"SSH\",\"Name\":\"x\"}", MESH_ERROR_UNSUPPORTED);
	fails(&fx, 0, "AppAdd", "{\"Name\":\"x\"}", MESH_ERROR_MALFORMED);
	ok(&fx, &root, 0, "AppSet", "{\"Name\":\"notes\",\"Data\":\"{\\\"colour\\\":\\\"blue\\\"}\"}");
	fails(&fx, 0, "AppSet", "{\"Name\":\"notes\",\"Data\":\"{not json\"}", MESH_ERROR_MALFORMED);
	fails(&fx, 0, "AppSet", "{\"Name\":\"none\",\"Data\":\"{}\"}", MESH_ERROR_NOT_FOUND);
	r = ok(&fx, &root, 0, "AppGet", "{\"Name\":\"notes\"}");
	CU_ASSERT_PTR_NOT_NULL(strstr(str(r, "Data"), "blue"));
	fails(&fx, 0, "AppGet", "{\"Name\":\"none\"}", MESH_ERROR_NOT_FOUND);
	r = ok(&fx, &root, 0, "AppList", NULL);
	CU_ASSERT_TRUE(mesh_json_get_array(r, "Applications", &array, NULL) &&
		       json_array_get_length(array) == 1);

	r = ok(&fx, &root, 0, "PasswordAdd",
	       "{\"Site\":\"example.net\",\"Username\":\"alice\",\"Password\":\"hunter2\"}");
	CU_ASSERT_FALSE(json_object_has_member(r, "Password"));
	r = ok(&fx, &root, 0, "PasswordAdd", "{\"Site\":\"example.org\",\"Username\":\"al\"}");
	CU_ASSERT_EQUAL(strlen(str(r, "Password")), 20);
	fails(&fx, 0, "PasswordAdd", "{\"Site\":\"example.org\"}", MESH_ERROR_MALFORMED);
	r = ok(&fx, &root, 0, "PasswordGet", "{\"Site\":\"example.net\"}");
	CU_ASSERT_STRING_EQUAL(str(r, "Username"), "alice");
	CU_ASSERT_STRING_EQUAL(str(r, "Password"), "hunter2");
	r = ok(&fx, &root, 0, "PasswordList", NULL);
	CU_ASSERT_TRUE(mesh_json_get_array(r, "Sites", &array, NULL) &&
		       json_array_get_length(array) == 2);
	ok(&fx, &root, 0, "PasswordDelete", "{\"Site\":\"example.net\"}");
	fails(&fx, 0, "PasswordDelete", "{\"Site\":\"example.net\"}", MESH_ERROR_NOT_FOUND);
	fails(&fx, 0, "PasswordGet", "{\"Site\":\"example.net\"}", MESH_ERROR_NOT_FOUND);
	r = ok(&fx, &root, 0, "AppList", NULL);
	CU_ASSERT_TRUE(mesh_json_get_array(r, "Applications", &array, NULL) &&
		       json_array_get_length(array) == 2);
	/* Another machine without the account. */
	fails(&fx, 1, "PasswordGet", "{\"Site\":\"example.org\"}", MESH_ERROR_NOT_FOUND);

	/* SSH: no SSHProfile yet, then this (administration) device's key, listed at once. */
	r = ok(&fx, &root, 0, "SshAuthorizedKeys", NULL);
	CU_ASSERT_TRUE(mesh_json_get_array(r, "Keys", &array, NULL) &&
		       json_array_get_length(array) == 0);
	r = ok(&fx, &root, 0, "SshCreate", NULL);
	CU_ASSERT_TRUE(g_str_has_prefix(str(r, "PublicKey"), "ssh-ed25519 "));
	CU_ASSERT_PTR_NOT_NULL(str(r, "UDF"));
	fails(&fx, 0, "SshCreate", NULL, MESH_ERROR_EXISTS);
	fails(&fx, 0, "SshCreate", "{\"Extra\":1}", MESH_ERROR_MALFORMED);
	r = ok(&fx, &root, 0, "SshAuthorizedKeys", NULL);
	CU_ASSERT_TRUE(mesh_json_get_array(r, "Keys", &array, NULL) &&
		       json_array_get_length(array) == 1);
	fails(&fx, 1, "SshAuthorizedKeys", NULL, MESH_ERROR_NOT_FOUND);
	teardown(&fx);
}

/* The length of the array @member of @obj. */
static guint
array_len(JsonObject *obj, const char *member)
{
	JsonArray *array = NULL;

	CU_ASSERT_TRUE_FATAL(mesh_json_get_array(obj, member, &array, NULL));
	return json_array_get_length(array);
}

/* Logins on the wire: PasswordSet, Username in PasswordGet/Delete, Logins in PasswordList;
 * AppDelete. */
static void
test_logins_app_delete(void)
{
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *fingerprint = NULL;
	Fixture fx;
	JsonObject *r, *login;
	JsonArray *array = NULL;

	setup(&fx);
	fingerprint = create_alice(&fx);
	ok(&fx, &root, 0, "PasswordAdd",
	   "{\"Site\":\"example.net\",\"Username\":\"alice\",\"Password\":\"a1\"}");
	ok(&fx, &root, 0, "PasswordAdd",
	   "{\"Site\":\"example.net\",\"Username\":\"bob\",\"Password\":\"b1\"}");
	fails(&fx, 0, "PasswordAdd",
	      "{\"Site\":\"example.net\",\"Username\":\"bob\",\"Password\":\"b2\"}",
	      MESH_ERROR_EXISTS);
	fails(&fx, 0, "PasswordAdd", "{\"Site\":\"\",\"Username\":\"bob\",\"Password\":\"b2\"}",
	      MESH_ERROR_INVALID_ARGUMENT);
	fails(&fx, 0, "PasswordSet",
	      "{\"Site\":\"example.net\",\"Username\":\"carol\",\"Password\":\"c1\"}",
	      MESH_ERROR_NOT_FOUND);
	fails(&fx, 0, "PasswordSet",
	      "{\"Site\":\"example.net\",\"Username\":\"bob\",\"Replace\":1}",
	      MESH_ERROR_MALFORMED);
	r = ok(&fx, &root, 0, "PasswordSet", "{\"Site\":\"example.net\",\"Username\":\"bob\"}");
	CU_ASSERT_EQUAL(strlen(str(r, "Password")), 20);
	r = ok(&fx, &root, 0, "PasswordSet",
	       "{\"Site\":\"example.net\",\"Username\":\"bob\",\"Password\":\"b2\"}");
	CU_ASSERT_FALSE(json_object_has_member(r, "Password"));
	fails(&fx, 0, "PasswordGet", "{\"Site\":\"example.net\"}", MESH_ERROR_INVALID_ARGUMENT);
	r = ok(&fx, &root, 0, "PasswordGet", "{\"Site\":\"example.net\",\"Username\":\"bob\"}");
	CU_ASSERT_STRING_EQUAL(str(r, "Username"), "bob");
	CU_ASSERT_STRING_EQUAL(str(r, "Password"), "b2");
	r = ok(&fx, &root, 0, "PasswordList", NULL);
	CU_ASSERT_EQUAL(array_len(r, "Sites"), 1);
	CU_ASSERT_EQUAL_FATAL(array_len(r, "Logins"), 2);
	mesh_json_get_array(r, "Logins", &array, NULL);
	login = json_array_get_object_element(array, 1);
	CU_ASSERT_STRING_EQUAL(str(login, "Site"), "example.net");
	CU_ASSERT_STRING_EQUAL(str(login, "Username"), "bob");
	fails(&fx, 0, "PasswordDelete", "{\"Site\":\"example.net\"}", MESH_ERROR_INVALID_ARGUMENT);
	ok(&fx, &root, 0, "PasswordDelete", "{\"Site\":\"example.net\",\"Username\":\"alice\"}");
	r = ok(&fx, &root, 0, "PasswordGet", "{\"Site\":\"example.net\"}");
	CU_ASSERT_STRING_EQUAL(str(r, "Username"), "bob");

	fails(&fx, 0, "AppAdd", "{\"Type\":\"Generic\",\"Name\":\" \"}",
	      MESH_ERROR_INVALID_ARGUMENT);
	ok(&fx, &root, 0, "AppAdd", "{\"Type\":\"Generic\",\"Name\":\"notes\"}");
	r = ok(&fx, &root, 0, "AppList", NULL);
	CU_ASSERT_EQUAL(array_len(r, "Applications"), 2);
	fails(&fx, 0, "AppDelete", "{}", MESH_ERROR_MALFORMED);
	fails(&fx, 0, "AppDelete", "{\"Name\":\"Passwords\"}", MESH_ERROR_PERMISSION);
	ok(&fx, &root, 0, "AppDelete", "{\"Name\":\"notes\"}");
	fails(&fx, 0, "AppDelete", "{\"Name\":\"notes\"}", MESH_ERROR_NOT_FOUND);
	fails(&fx, 0, "AppGet", "{\"Name\":\"notes\"}", MESH_ERROR_NOT_FOUND);
	r = ok(&fx, &root, 0, "AppList", NULL);
	CU_ASSERT_EQUAL(array_len(r, "Applications"), 1);
	teardown(&fx);
}

/* The KeyList entries of agent @i by UDF (borrowing from *@ret_root). */
static GHashTable *
key_list(Fixture *fx, JsonNode **ret_root, int i)
{
	GHashTable *keys = g_hash_table_new(g_str_hash, g_str_equal);
	JsonArray *array = NULL;
	JsonObject *r = ok(fx, ret_root, i, "KeyList", NULL);

	CU_ASSERT_TRUE_FATAL(mesh_json_get_array(r, "Keys", &array, NULL));
	for (guint k = 0; k < json_array_get_length(array); k++) {
		JsonObject *entry = json_array_get_object_element(array, k);

		g_hash_table_insert(keys, (gpointer)str(entry, "UDF"), entry);
	}
	return keys;
}

/* KeyRemove of @udf on agent @i is refused with Permission, and the message says @says. */
static void
remove_refused(Fixture *fx, int i, const char *udf, const char *says)
{
	g_autofree char *params = g_strdup_printf("{\"UDF\":\"%s\"}", udf);

	fails_saying(fx, i, "KeyRemove", params, MESH_ERROR_PERMISSION, says);
}

/*
 * What each key is for (KeyList's Role), and KeyRemove refusing every key a profile depends on;
 * the keys of a profile made on a protected hive are protected, and none is made while it is
 * locked; a profile made with a passphrase on a new hive protects the device too.
 */
static void
test_key_roles_protection(void)
{
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(JsonNode) list_root = NULL;
	g_autoptr(GHashTable) keys = NULL;
	g_autofree char *fingerprint = NULL, *admin = NULL, *ssh = NULL;
	Fixture fx;
	JsonObject *r, *entry;
	GHashTableIter iter;
	gpointer udf, value;
	guint device = 0, escrow = 0;

	setup(&fx);
	ok(&fx, &root, 0, "DeviceCreate", "{\"Passphrase\":\"hive pass\"}");
	fingerprint = create_alice(&fx);
	r = ok(&fx, &root, 0, "ProfileGet", NULL);
	admin = g_strdup(str(r, "AdministrationKey"));
	r = ok(&fx, &root, 0, "SshCreate", "{}");
	ssh = g_strdup(str(r, "UDF"));

	keys = key_list(&fx, &list_root, 0);
	CU_ASSERT_EQUAL(g_hash_table_size(keys), 7);
	g_hash_table_iter_init(&iter, keys);
	while (g_hash_table_iter_next(&iter, &udf, &value)) {
		const char *role = str(value, "Role");

		entry = value;
		/* The hive is protected: every key it made is, with its passphrase. */
		CU_ASSERT_TRUE(json_object_get_boolean_member(entry, "Protected"));
		CU_ASSERT_FALSE(json_object_get_boolean_member(entry, "Locked"));
		if (g_str_equal(role, "Device")) {
			device++;
			CU_ASSERT_FALSE(json_object_has_member(entry, "Account"));
			remove_refused(&fx, 0, udf, "this hive's device");
			continue;
		}
		CU_ASSERT_STRING_EQUAL(str(entry, "Account"), "alice@example.com");
		if (g_str_equal(udf, fingerprint)) {
			CU_ASSERT_STRING_EQUAL(role, "Master");
			remove_refused(&fx, 0, udf, "master signature key of alice@example.com's");
		} else if (g_str_equal(udf, admin)) {
			CU_ASSERT_STRING_EQUAL(role, "Administration");
			remove_refused(&fx, 0, udf, "administration key for alice@example.com");
		} else if (g_str_equal(udf, ssh)) {
			CU_ASSERT_STRING_EQUAL(role, "SSH");
			remove_refused(&fx, 0, udf, "SSH key for alice@example.com");
		} else {
			CU_ASSERT_STRING_EQUAL(role, "Escrow");
			escrow++;
			remove_refused(&fx, 0, udf,
			               "'mesh profile delete alice@example.com' instead");
		}
	}
	CU_ASSERT_EQUAL(device, 3);
	CU_ASSERT_EQUAL(escrow, 1);

	/* Locked: no profile is made or recovered, with the hive's passphrase or without; the
	 * profiles held are still read. */
	ok(&fx, &root, 0, "Lock", NULL);
	fails(&fx, 0, "ProfileCreate", "{\"Account\":\"bob@example.com\"}", MESH_ERROR_LOCKED);
	fails(&fx, 0, "ProfileCreate",
	      "{\"Account\":\"bob@example.com\",\"Passphrase\":"
	      "\"hive pass\"}",
	      MESH_ERROR_LOCKED);
	fails(&fx, 0, "ProfileRecover", "{\"Account\":\"bob@example.com\",\"Shares\":[\"S\"]}",
	      MESH_ERROR_LOCKED);
	ok(&fx, &root, 0, "ProfileGet", NULL);
	r = ok(&fx, &root, 0, "AccountValidate", "{\"Account\":\"bob@example.com\"}");
	CU_ASSERT_TRUE(json_object_get_boolean_member(r, "Valid"));
	/* Unlocked: another passphrase is refused, none or the hive's is taken. */
	ok(&fx, &root, 0, "Unlock", "{\"Passphrase\":\"hive pass\"}");
	fails(&fx, 0, "ProfileCreate",
	      "{\"Account\":\"bob@example.com\",\"Passphrase\":"
	      "\"other\"}",
	      MESH_ERROR_BAD_PASSPHRASE);
	g_usleep((100 + 20) * 1000);
	r = ok(&fx, &root, 0, "ProfileCreate", "{\"Account\":\"bob@example.com\"}");
	g_clear_pointer(&keys, g_hash_table_unref);
	keys = key_list(&fx, &list_root, 0);
	entry = g_hash_table_lookup(keys, str(r, "Identifier"));
	CU_ASSERT_TRUE(entry != NULL && json_object_get_boolean_member(entry, "Protected"));

	/* A new hive: a profile made with a passphrase protects the device it makes too. */
	r = ok(&fx, &root, 1, "ProfileCreate",
	       "{\"Account\":\"carol@example.com\","
	       "\"Passphrase\":\"carol pass\"}");
	g_clear_pointer(&keys, g_hash_table_unref);
	keys = key_list(&fx, &list_root, 1);
	CU_ASSERT_EQUAL(g_hash_table_size(keys), 6);
	g_hash_table_iter_init(&iter, keys);
	while (g_hash_table_iter_next(&iter, &udf, &value))
		CU_ASSERT_TRUE(json_object_get_boolean_member(value, "Protected"));
	/* ... and the agent keeps its passphrase: an SSH key made now is protected by it. */
	r = ok(&fx, &root, 1, "SshCreate", "{}");
	g_clear_pointer(&keys, g_hash_table_unref);
	keys = key_list(&fx, &list_root, 1);
	entry = g_hash_table_lookup(keys, str(r, "UDF"));
	CU_ASSERT_TRUE(entry != NULL && json_object_get_boolean_member(entry, "Protected"));
	ok(&fx, &root, 1, "Lock", NULL);
	g_clear_pointer(&keys, g_hash_table_unref);
	keys = key_list(&fx, &list_root, 1);
	g_hash_table_iter_init(&iter, keys);
	while (g_hash_table_iter_next(&iter, &udf, &value))
		CU_ASSERT_TRUE(json_object_get_boolean_member(value, "Locked"));
	teardown(&fx);
}

/* Agent @i joins alice@example.com, accepted by agent 0. */
static void
join_alice(Fixture *fx, int i)
{
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *params = NULL;
	JsonObject *r = ok(fx, &root, i, "ConnectRequest", "{\"Account\":\"alice@example.com\"}");

	params = g_strdup_printf("{\"Witness\":\"%s\"}", str(r, "Witness"));
	ok(fx, &root, 0, "ConnectAccept", params);
	r = ok(fx, &root, i, "ConnectStatus", NULL);
	CU_ASSERT_STRING_EQUAL(str(r, "State"), "Accepted");
}

/* Agent @i's SshAuthorizedKeys lists the key line @line. */
static gboolean
authorizes(Fixture *fx, int i, const char *line)
{
	g_autoptr(JsonNode) root = NULL;
	JsonObject *r = ok(fx, &root, i, "SshAuthorizedKeys", NULL);
	JsonArray *array = NULL;
	gboolean found = FALSE;

	CU_ASSERT_TRUE_FATAL(mesh_json_get_array(r, "Keys", &array, NULL));
	for (guint k = 0; k < json_array_get_length(array); k++)
		found |= g_str_equal(str(json_array_get_object_element(array, k), "PublicKey"),
		                     line);
	return found;
}

/*
 * SshRotate: on the administration device the SSHProfile trades the old key for the new one at
 * once, the key store holds the new key (an SSH key, protected as the hive's keys) and not the
 * old; on another device the new key reaches the SSHProfile at the administration device's
 * next sync. Refused without a key, while locked, and with a passphrase of its own.
 */
static void
test_ssh_rotate(void)
{
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(JsonNode) list_root = NULL;
	g_autoptr(GHashTable) keys = NULL;
	g_autofree char *fingerprint = NULL, *old = NULL, *old_line = NULL, *new_udf = NULL;
	g_autofree char *new_line = NULL, *old1_line = NULL, *new1_line = NULL, *params = NULL;
	Fixture fx;
	JsonObject *r, *entry;

	setup(&fx);
	ok(&fx, &root, 0, "DeviceCreate", "{\"Passphrase\":\"hive pass\"}");
	fingerprint = create_alice(&fx);
	fails_saying(&fx, 0, "SshRotate", NULL, MESH_ERROR_NOT_FOUND, "mesh ssh create");
	r = ok(&fx, &root, 0, "SshCreate", "{}");
	old = g_strdup(str(r, "UDF"));
	old_line = g_strdup(str(r, "PublicKey"));
	fails_saying(&fx, 0, "SshCreate", "{}", MESH_ERROR_EXISTS, "mesh ssh rotate");
	join_alice(&fx, 1);
	r = ok(&fx, &root, 1, "SshCreate", "{}");
	old1_line = g_strdup(str(r, "PublicKey"));
	ok(&fx, &root, 0, "ProfileSync", NULL);
	CU_ASSERT_TRUE(authorizes(&fx, 0, old_line) && authorizes(&fx, 0, old1_line));

	/* The administration device. */
	r = ok(&fx, &root, 0, "SshRotate", NULL);
	new_udf = g_strdup(str(r, "UDF"));
	new_line = g_strdup(str(r, "PublicKey"));
	CU_ASSERT_STRING_EQUAL(str(r, "OldUDF"), old);
	CU_ASSERT_STRING_EQUAL(str(r, "Account"), "alice@example.com");
	CU_ASSERT_STRING_NOT_EQUAL(new_udf, old);
	CU_ASSERT_TRUE(g_str_has_prefix(new_line, "ssh-ed25519 "));
	CU_ASSERT_STRING_NOT_EQUAL(new_line, old_line);
	CU_ASSERT_TRUE(authorizes(&fx, 0, new_line));
	CU_ASSERT_FALSE(authorizes(&fx, 0, old_line));
	CU_ASSERT_TRUE(authorizes(&fx, 0, old1_line));
	keys = key_list(&fx, &list_root, 0);
	CU_ASSERT_FALSE(g_hash_table_contains(keys, old));
	entry = g_hash_table_lookup(keys, new_udf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(entry);
	CU_ASSERT_STRING_EQUAL(str(entry, "Role"), "SSH");
	CU_ASSERT_TRUE(json_object_get_boolean_member(entry, "Protected"));
	params = g_strdup_printf("{\"UDF\":\"%s\"}", old);
	fails(&fx, 0, "KeyPublic", params, MESH_ERROR_NOT_FOUND);
	/* Device 1 sees it after its sync. */
	ok(&fx, &root, 1, "ProfileSync", NULL);
	CU_ASSERT_TRUE(authorizes(&fx, 1, new_line));
	CU_ASSERT_FALSE(authorizes(&fx, 1, old_line));

	/* Not an administration device: published now, folded by the administration device's
	 * sync. */
	r = ok(&fx, &root, 1, "SshRotate", NULL);
	new1_line = g_strdup(str(r, "PublicKey"));
	CU_ASSERT_FALSE(authorizes(&fx, 0, new1_line));
	ok(&fx, &root, 0, "ProfileSync", NULL);
	CU_ASSERT_TRUE(authorizes(&fx, 0, new1_line));
	CU_ASSERT_FALSE(authorizes(&fx, 0, old1_line));
	CU_ASSERT_TRUE(authorizes(&fx, 0, new_line));

	/* Locked: nothing is made and the key stays. */
	ok(&fx, &root, 0, "Lock", NULL);
	fails(&fx, 0, "SshRotate", NULL, MESH_ERROR_LOCKED);
	fails(&fx, 0, "SshRotate", "{\"Passphrase\":\"hive pass\"}", MESH_ERROR_MALFORMED);
	g_clear_pointer(&keys, g_hash_table_unref);
	keys = key_list(&fx, &list_root, 0);
	CU_ASSERT_TRUE(g_hash_table_contains(keys, new_udf));
	CU_ASSERT_TRUE(authorizes(&fx, 0, new_line));
	fails(&fx, 2, "SshRotate", NULL, MESH_ERROR_NOT_FOUND);
	teardown(&fx);
}

/* The default account of ProfileGet: AccountDefault shows and sets it. */
static void
test_account_default(void)
{
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *fingerprint = NULL;
	Fixture fx;
	JsonObject *r;

	setup(&fx);
	r = ok(&fx, &root, 0, "AccountDefault", NULL);
	CU_ASSERT_FALSE(json_object_has_member(r, "Default"));
	fails_saying(&fx, 0, "AccountDefault", "{\"Account\":\"alice@example.com\"}",
	             MESH_ERROR_NOT_FOUND, "nor any other");
	fingerprint = create_alice(&fx);
	r = ok(&fx, &root, 0, "AccountDefault", NULL);
	CU_ASSERT_STRING_EQUAL(str(r, "Default"), "alice@example.com");
	ok(&fx, &root, 0, "ProfileCreate", "{\"Account\":\"bob@example.com\"}");
	r = ok(&fx, &root, 0, "AccountDefault", NULL);
	CU_ASSERT_STRING_EQUAL(str(r, "Default"), "alice@example.com");
	r = ok(&fx, &root, 0, "AccountDefault", "{\"Account\":\"bob@example.com\"}");
	CU_ASSERT_STRING_EQUAL(str(r, "Default"), "bob@example.com");
	r = ok(&fx, &root, 0, "ProfileGet", NULL);
	CU_ASSERT_STRING_EQUAL(str(r, "Account"), "bob@example.com");
	fails_saying(&fx, 0, "AccountDefault", "{\"Account\":\"carol@example.com\"}",
	             MESH_ERROR_NOT_FOUND,
	             "no account 'carol@example.com': it holds 'alice@example.com', "
	             "'bob@example.com'");
	fails(&fx, 0, "AccountDefault", "{\"Account\":\"Not An Account\"}",
	      MESH_ERROR_INVALID_ARGUMENT);
	fails(&fx, 0, "AccountDefault", "{\"Account\":7}", MESH_ERROR_MALFORMED);
	r = ok(&fx, &root, 0, "AccountDefault", NULL);
	CU_ASSERT_STRING_EQUAL(str(r, "Default"), "bob@example.com");
	/* A pending connection cannot be the default. */
	ok(&fx, &root, 1, "ConnectRequest", "{\"Account\":\"alice@example.com\"}");
	fails_saying(&fx, 1, "AccountDefault", "{\"Account\":\"alice@example.com\"}",
	             MESH_ERROR_NOT_FOUND, "still pending");
	r = ok(&fx, &root, 1, "AccountDefault", NULL);
	CU_ASSERT_FALSE(json_object_has_member(r, "Default"));
	teardown(&fx);
}

/* The Escrows ProfileGet lists on agent @i, joined with ",". */
static char *
escrows_of(Fixture *fx, int i)
{
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GString) out = g_string_new(NULL);
	JsonObject *r = ok(fx, &root, i, "ProfileGet", NULL);
	JsonArray *array = NULL;

	CU_ASSERT_TRUE_FATAL(mesh_json_get_array(r, "Escrows", &array, NULL));
	for (guint k = 0; k < json_array_get_length(array); k++)
		g_string_append_printf(out, "%s%s", k > 0 ? "," : "",
		                       json_array_get_string_element(array, k));
	return g_string_free(g_steal_pointer(&out), FALSE);
}

/* EscrowCreate on agent 0; the entry's identifier, its shares' params in *@ret_verify. */
static char *
make_escrow(Fixture *fx, char **ret_verify)
{
	g_autoptr(JsonNode) root = NULL;
	JsonObject *r = ok(fx, &root, 0, "EscrowCreate", "{\"Quorum\":2,\"Shares\":2}");
	JsonArray *shares = json_object_get_array_member(r, "Shares");

	*ret_verify = g_strdup_printf("{\"Shares\":[\"%s\",\"%s\"]}",
	                              json_array_get_string_element(shares, 0),
	                              json_array_get_string_element(shares, 1));
	return g_strdup(str(r, "Identifier"));
}

/*
 * EscrowRevoke: the portal's entry and this device's copy go (the shares then match no escrow),
 * and the account entry's record; one known escrow needs no identifier, several do; not on a
 * device that is not an administration device; an escrow the portal lost is forgotten all the
 * same.
 */
static void
test_escrow_revoke(void)
{
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *fingerprint = NULL, *id1 = NULL, *id2 = NULL, *id3 = NULL;
	g_autofree char *verify1 = NULL, *verify2 = NULL, *verify3 = NULL, *params = NULL;
	g_autofree char *escrows = NULL;
	g_autoptr(MeshPortalEntry) entry = NULL;
	Fixture fx;
	JsonObject *r;

	setup(&fx);
	fingerprint = create_alice(&fx);
	fails_saying(&fx, 0, "EscrowRevoke", NULL, MESH_ERROR_NOT_FOUND, "no escrow of");
	id1 = make_escrow(&fx, &verify1);
	id2 = make_escrow(&fx, &verify2);
	fails_saying(&fx, 0, "EscrowRevoke", NULL, MESH_ERROR_INVALID_ARGUMENT, id2);
	join_alice(&fx, 1);
	params = g_strdup_printf("{\"Identifier\":\"%s\"}", id1);
	fails(&fx, 1, "EscrowRevoke", params, MESH_ERROR_UNAUTHORIZED);
	fails(&fx, 0, "EscrowRevoke", "{\"Identifier\":\"not.a.udf\"}",
	      MESH_ERROR_INVALID_ARGUMENT);
	fails(&fx, 0, "EscrowRevoke", "{\"Identifier\":\"MAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA\"}",
	      MESH_ERROR_NOT_FOUND);
	/* Named: the portal's and this device's copies go, the shares match nothing any more. */
	ok(&fx, &root, 0, "EscrowVerify", verify1);
	r = ok(&fx, &root, 0, "EscrowRevoke", params);
	CU_ASSERT_STRING_EQUAL(str(r, "Identifier"), id1);
	CU_ASSERT_STRING_EQUAL(str(r, "Account"), "alice@example.com");
	CU_ASSERT_FALSE(mesh_portal_store_entry_get(fx.store, id1, &entry, NULL));
	escrows = escrows_of(&fx, 0);
	CU_ASSERT_STRING_EQUAL(escrows, id2);
	fails(&fx, 0, "EscrowVerify", verify1, MESH_ERROR_SHARE_MISMATCH);
	fails(&fx, 0, "EscrowRevoke", params, MESH_ERROR_NOT_FOUND);
	/* The only one known: no identifier needed. */
	r = ok(&fx, &root, 0, "EscrowRevoke", NULL);
	CU_ASSERT_STRING_EQUAL(str(r, "Identifier"), id2);
	g_free(escrows);
	escrows = escrows_of(&fx, 0);
	CU_ASSERT_STRING_EQUAL(escrows, "");
	fails(&fx, 0, "EscrowVerify", verify2, MESH_ERROR_SHARE_MISMATCH);
	/* The portal lost it: forgotten here all the same. */
	id3 = make_escrow(&fx, &verify3);
	CU_ASSERT_TRUE(mesh_portal_store_entry_delete(fx.store, id3, NULL));
	r = ok(&fx, &root, 0, "EscrowRevoke", NULL);
	CU_ASSERT_STRING_EQUAL(str(r, "Identifier"), id3);
	g_free(escrows);
	escrows = escrows_of(&fx, 0);
	CU_ASSERT_STRING_EQUAL(escrows, "");
	fails(&fx, 0, "EscrowVerify", verify3, MESH_ERROR_SHARE_MISMATCH);
	teardown(&fx);
}

static CU_TestInfo tests[] = {
        {"Hello lists the session methods; restricted mode refuses them",
         test_hello_lists_session_methods},
        {"AccountValidate, ProfileCreate/Get/List/Sync/Delete", test_profiles},
        {"EscrowCreate, EscrowVerify, ProfileRecover", test_escrow_recover},
        {"ConnectRequest/Status/Pending/Accept/Reject", test_connect},
        {"AppList/Add/Set/Get, PasswordAdd/Get/List/Delete, SshCreate/AuthorizedKeys",
         test_apps_passwords},
        {"PasswordSet, logins by Username, PasswordList's Logins, AppDelete",
         test_logins_app_delete},
        {"KeyList roles, KeyRemove refusals, the hive's protection of profile keys",
         test_key_roles_protection},
        {"SshRotate: administration device, another device, locked", test_ssh_rotate},
        {"AccountDefault: show, set, unknown and pending accounts", test_account_default},
        {"EscrowRevoke: portal and local copies, by identifier or the only one, refusals",
         test_escrow_revoke},
        CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("dispatch-session", tests);
}
