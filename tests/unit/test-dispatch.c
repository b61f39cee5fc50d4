/* SPDX-License-Identifier: MIT */
#include "cutest.h"
#include "base64.h"
#include "device.h"
#include "dispatch.h"
#include "error.h"
#include "frame.h"
#include "json.h"
#include "jwk.h"
#include "key.h"
#include "openssh.h"

#include <string.h>

#define SOCKET_PATH "/run/user/1000/mesh/CryptoMesh/agent.sock"

typedef struct {
	char *root;
	MeshAgent *agent;
	guint shutdowns;
} Fixture;

static void
on_shutdown(gpointer user_data)
{
	Fixture *fx = user_data;

	fx->shutdowns++;
}

static void
setup(Fixture *fx)
{
	GError *error = NULL;

	fx->root = mesh_test_tmp_dir("dispatch");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fx->root);
	fx->agent = mesh_agent_new(MESH_HIVE_TEST, fx->root, SOCKET_PATH, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fx->agent);
	fx->shutdowns = 0;
	mesh_agent_set_shutdown_func(fx->agent, on_shutdown, fx);
}

static void
teardown(Fixture *fx)
{
	mesh_agent_free(fx->agent);
	mesh_test_remove_tree(fx->root);
	g_free(fx->root);
}

/* Hand @text to the agent; the parsed answer (NULL when none) and whether it closes. */
static JsonNode *
exchange(Fixture *fx, const char *text, gboolean *ret_close)
{
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GError) error = NULL;
	JsonNode *node;
	gsize len = 0;
	const char *p;

	mesh_agent_handle(fx->agent, (const guint8 *)text, strlen(text), &answer, ret_close);
	if (answer == NULL)
		return NULL;
	p = g_bytes_get_data(answer, &len);
	CU_ASSERT_TRUE(len > 0 && len <= MESH_FRAME_MAX);
	node = mesh_json_parse(p, len, MESH_FRAME_MAX, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE_FATAL(JSON_NODE_HOLDS_OBJECT(node));
	return node;
}

/* The answer's Result object for request @text (Id 7); stored in *@ret_root. */
static JsonObject *
expect_result(Fixture *fx, JsonNode **ret_root, const char *text)
{
	gboolean close = TRUE;
	JsonObject *answer, *result = NULL;
	gint64 id = -1;

	*ret_root = exchange(fx, text, &close);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*ret_root);
	answer = json_node_get_object(*ret_root);
	if (!json_object_has_member(answer, "Result"))
		g_printerr("%s -> %s\n", text, mesh_json_to_string(*ret_root));
	CU_ASSERT_FALSE(close);
	CU_ASSERT_TRUE(mesh_json_get_int(answer, "Id", &id, NULL));
	CU_ASSERT_EQUAL(id, 7);
	CU_ASSERT_EQUAL(json_object_get_size(answer), 2);
	CU_ASSERT_TRUE_FATAL(mesh_json_get_object(answer, "Result", &result, NULL));
	return result;
}

/* Request @text gets an Error with @code, with @id, and closes when @want_close. */
static void
expect_error_id(Fixture *fx, const char *text, MeshError code, gint64 want_id,
		gboolean want_close)
{
	g_autoptr(JsonNode) root = NULL;
	gboolean close = !want_close;
	JsonObject *answer, *err = NULL;
	const char *name = NULL, *message = NULL;
	gint64 id = -1, got = -1;

	root = exchange(fx, text, &close);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	answer = json_node_get_object(root);
	CU_ASSERT_EQUAL(close, want_close);
	CU_ASSERT_EQUAL(json_object_get_size(answer), 2);
	CU_ASSERT_TRUE(mesh_json_get_int(answer, "Id", &id, NULL));
	CU_ASSERT_EQUAL(id, want_id);
	CU_ASSERT_TRUE_FATAL(mesh_json_get_object(answer, "Error", &err, NULL));
	CU_ASSERT_TRUE(mesh_json_get_int(err, "Code", &got, NULL));
	CU_ASSERT_TRUE(mesh_json_get_string(err, "Name", &name, NULL));
	CU_ASSERT_TRUE(mesh_json_get_string(err, "Message", &message, NULL));
	CU_ASSERT_EQUAL(json_object_get_size(err), 3);
	if (got != (gint64)code)
		g_printerr("%s: want %d, got %" G_GINT64_FORMAT " (%s)\n", text, code, got, message);
	CU_ASSERT_EQUAL(got, code);
	CU_ASSERT_STRING_EQUAL(name, mesh_error_name(code));
	CU_ASSERT_TRUE(message != NULL && *message != '\0');
}

static void
expect_error(Fixture *fx, const char *text, MeshError code)
{
	expect_error_id(fx, text, code, 7, FALSE);
}

/* No answer, and the connection closes. */
static void
expect_silence(Fixture *fx, const char *text, gsize len)
{
	g_autoptr(GBytes) answer = NULL;
	gboolean close = FALSE;

	mesh_agent_handle(fx->agent, (const guint8 *)text, len, &answer, &close);
	CU_ASSERT_PTR_NULL(answer);
	CU_ASSERT_TRUE(close);
}

/* A new device; returns its identifier. */
static char *
create_device(Fixture *fx, const char *params)
{
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text =
		g_strdup_printf("{\"Id\":7,\"Method\":\"DeviceCreate\",\"Params\":%s}", params);
	JsonObject *result = expect_result(fx, &root, text);
	const char *udf = NULL;

	CU_ASSERT_TRUE_FATAL(mesh_json_get_string(result, "Identifier", &udf, NULL));
	return g_strdup(udf);
}

static const char *
get_string(JsonObject *obj, const char *member)
{
	const char *s = NULL;

	CU_ASSERT_TRUE(mesh_json_get_string(obj, member, &s, NULL));
	return s;
}

static gboolean
get_bool(JsonObject *obj, const char *member)
{
	JsonNode *node = json_object_get_member(obj, member);

	CU_ASSERT_TRUE_FATAL(node != NULL && json_node_get_value_type(node) == G_TYPE_BOOLEAN);
	return json_node_get_boolean(node);
}

static gint64
get_int(JsonObject *obj, const char *member)
{
	gint64 n = -1;

	CU_ASSERT_TRUE(mesh_json_get_int(obj, member, &n, NULL));
	return n;
}

static void
test_hello_status(void)
{
	Fixture fx;
	g_autoptr(JsonNode) r1 = NULL;
	g_autoptr(JsonNode) r2 = NULL;
	JsonObject *hello, *version = NULL, *status;
	JsonArray *methods = NULL;

	setup(&fx);
	hello = expect_result(&fx, &r1, "{\"Id\":7,\"Method\":\"Hello\"}");
	CU_ASSERT_TRUE_FATAL(mesh_json_get_object(hello, "Version", &version, NULL));
	CU_ASSERT_EQUAL(get_int(version, "Major"), 1);
	CU_ASSERT_EQUAL(get_int(version, "Minor"), 0);
	CU_ASSERT_STRING_EQUAL(get_string(hello, "Hive"), "test");
	CU_ASSERT_TRUE_FATAL(mesh_json_get_array(hello, "Methods", &methods, NULL));
	/* The agent's own methods and the session methods (ipc/methods.c). */
	CU_ASSERT_EQUAL(json_array_get_length(methods), 47);
	CU_ASSERT_STRING_EQUAL(json_array_get_string_element(methods, 0), "Hello");

	status = expect_result(&fx, &r2, "{\"Id\":7,\"Method\":\"Status\",\"Params\":{}}");
	CU_ASSERT_STRING_EQUAL(get_string(status, "Hive"), "test");
	CU_ASSERT_PTR_NOT_NULL(strstr(get_string(status, "Location"), fx.root));
	CU_ASSERT_STRING_EQUAL(get_string(status, "Socket"), SOCKET_PATH);
	CU_ASSERT_TRUE(get_int(status, "Pid") > 0);
	CU_ASSERT_FALSE(get_bool(status, "Locked"));
	CU_ASSERT_STRING_EQUAL(get_string(status, "KeyStore"), "file");
	CU_ASSERT_FALSE(json_object_has_member(status, "DefaultDevice"));
	CU_ASSERT_EQUAL(get_int(status, "Devices"), 0);
	CU_ASSERT_EQUAL(get_int(status, "Keys"), 0);
	/* Methods without parameters refuse any. */
	expect_error(&fx, "{\"Id\":7,\"Method\":\"Hello\",\"Params\":{\"X\":1}}",
		     MESH_ERROR_MALFORMED);
	expect_error(&fx, "{\"Id\":7,\"Method\":\"Status\",\"Params\":{\"Hive\":\"test\"}}",
		     MESH_ERROR_MALFORMED);
	teardown(&fx);
}

static void
test_devices(void)
{
	Fixture fx;
	g_autoptr(JsonNode) r1 = NULL;
	g_autoptr(JsonNode) r2 = NULL;
	g_autoptr(JsonNode) r3 = NULL;
	g_autoptr(JsonNode) r4 = NULL;
	g_autofree char *first = NULL;
	g_autofree char *second = NULL;
	g_autofree char *get_second = NULL;
	JsonObject *dev, *keys = NULL, *status, *list, *entry, *signed_profile = NULL;
	JsonArray *devices = NULL;

	setup(&fx);
	expect_error(&fx, "{\"Id\":7,\"Method\":\"DeviceGet\"}", MESH_ERROR_NOT_FOUND);
	first = create_device(&fx, "{\"Description\":\"laptop\"}");
	second = create_device(&fx, "{}");

	dev = expect_result(&fx, &r1, "{\"Id\":7,\"Method\":\"DeviceGet\"}");
	CU_ASSERT_STRING_EQUAL(get_string(dev, "Identifier"), first);
	CU_ASSERT_STRING_EQUAL(get_string(dev, "Description"), "laptop");
	CU_ASSERT_TRUE(get_bool(dev, "Default"));
	CU_ASSERT_TRUE(mesh_json_get_time(dev, "Created", &(const char *){ NULL }, NULL));
	CU_ASSERT_TRUE_FATAL(mesh_json_get_object(dev, "Keys", &keys, NULL));
	CU_ASSERT_STRING_EQUAL(get_string(keys, "Signature"), first);
	CU_ASSERT_PTR_NOT_NULL(get_string(keys, "Authentication"));
	CU_ASSERT_PTR_NOT_NULL(get_string(keys, "Encryption"));
	CU_ASSERT_TRUE(mesh_json_get_object(dev, "SignedProfile", &signed_profile, NULL));
	CU_ASSERT_TRUE(json_object_has_member(signed_profile, "SignedDeviceProfile"));
	{
		/* The signed profile verifies on its own. */
		g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
		g_autoptr(MeshDeviceProfile) profile = NULL;
		g_autoptr(GError) error = NULL;

		json_node_set_object(node, signed_profile);
		profile = mesh_device_profile_verify(node, &error);
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_STRING_EQUAL(profile->identifier, first);
	}

	get_second = g_strdup_printf("{\"Id\":7,\"Method\":\"DeviceGet\",\"Params\":"
				     "{\"Identifier\":\"%s\"}}",
				     second);
	dev = expect_result(&fx, &r2, get_second);
	CU_ASSERT_STRING_EQUAL(get_string(dev, "Identifier"), second);
	CU_ASSERT_FALSE(json_object_has_member(dev, "Description"));
	CU_ASSERT_FALSE(get_bool(dev, "Default"));

	list = expect_result(&fx, &r3, "{\"Id\":7,\"Method\":\"DeviceList\"}");
	CU_ASSERT_TRUE_FATAL(mesh_json_get_array(list, "Devices", &devices, NULL));
	CU_ASSERT_EQUAL_FATAL(json_array_get_length(devices), 2);
	for (guint i = 0; i < 2; i++) {
		entry = json_array_get_object_element(devices, i);
		CU_ASSERT_EQUAL(get_bool(entry, "Default"),
				g_str_equal(get_string(entry, "Identifier"), first));
	}
	status = expect_result(&fx, &r4, "{\"Id\":7,\"Method\":\"Status\"}");
	CU_ASSERT_STRING_EQUAL(get_string(status, "DefaultDevice"), first);
	CU_ASSERT_EQUAL(get_int(status, "Devices"), 2);
	CU_ASSERT_EQUAL(get_int(status, "Keys"), 6);

	expect_error(&fx,
		     "{\"Id\":7,\"Method\":\"DeviceGet\",\"Params\":{\"Identifier\":"
		     "\"MDDK-7N6A-727A-JZNO-STRX-XKS7-DJAF\"}}",
		     MESH_ERROR_NOT_FOUND);
	expect_error(&fx, "{\"Id\":7,\"Method\":\"DeviceGet\",\"Params\":{\"Identifier\":7}}",
		     MESH_ERROR_MALFORMED);
	expect_error(&fx,
		     "{\"Id\":7,\"Method\":\"DeviceGet\",\"Params\":{\"Identifier\":\"../x\"}}",
		     MESH_ERROR_INVALID_ARGUMENT);
	expect_error(&fx, "{\"Id\":7,\"Method\":\"DeviceGet\",\"Params\":{\"UDF\":\"x\"}}",
		     MESH_ERROR_MALFORMED);
	expect_error(&fx, "{\"Id\":7,\"Method\":\"DeviceCreate\",\"Params\":{\"Description\":1}}",
		     MESH_ERROR_MALFORMED);
	expect_error(&fx, "{\"Id\":7,\"Method\":\"DeviceCreate\",\"Params\":{\"Passphrase\":[]}}",
		     MESH_ERROR_MALFORMED);
	expect_error(&fx, "{\"Id\":7,\"Method\":\"DeviceCreate\",\"Params\":{\"Name\":\"x\"}}",
		     MESH_ERROR_MALFORMED);
	teardown(&fx);
}

/* Sign @data_len bytes with @udf through the agent and check the signature with @key. */
static void
sign_and_verify(Fixture *fx, const char *udf, const MeshKey *key, gsize data_len)
{
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GBytes) sig = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree guint8 *data = g_malloc(data_len + 1);
	g_autofree char *b64 = NULL;
	g_autofree char *text = NULL;
	JsonObject *result;

	for (gsize i = 0; i < data_len; i++)
		data[i] = (guint8)(i * 7);
	b64 = mesh_b64u_encode(data, data_len);
	text = g_strdup_printf("{\"Id\":7,\"Method\":\"KeySign\",\"Params\":{\"UDF\":\"%s\","
			       "\"Data\":\"%s\"}}",
			       udf, b64);
	result = expect_result(fx, &root, text);
	sig = mesh_b64u_decode_bytes(get_string(result, "Signature"), 128, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(g_bytes_get_size(sig), MESH_KEY_SIGNATURE_LEN);
	CU_ASSERT_TRUE(mesh_key_verify(key, data, data_len, g_bytes_get_data(sig, NULL),
				       g_bytes_get_size(sig), &error));
	MESH_ASSERT_NO_ERROR(error);
}

/* The public key of @udf, from KeyPublic's SPKI, checked against its JWK. */
static MeshKey *
key_public(Fixture *fx, const char *udf)
{
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GBytes) der = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *text = g_strdup_printf(
		"{\"Id\":7,\"Method\":\"KeyPublic\",\"Params\":{\"UDF\":\"%s\"}}", udf);
	JsonObject *result = expect_result(fx, &root, text), *jwk = NULL;
	g_autoptr(MeshKey) from_jwk = NULL;
	MeshKey *key;

	CU_ASSERT_STRING_EQUAL(get_string(result, "UDF"), udf);
	CU_ASSERT_STRING_EQUAL(get_string(result, "Algorithm"), "Ed25519");
	der = mesh_b64u_decode_bytes(get_string(result, "SPKI"), 1024, &error);
	MESH_ASSERT_NO_ERROR(error);
	key = mesh_key_from_spki(g_bytes_get_data(der, NULL), g_bytes_get_size(der), &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(mesh_key_udf(key), udf);
	CU_ASSERT_TRUE_FATAL(mesh_json_get_object(result, "PublicParameters", &jwk, NULL));
	from_jwk = mesh_key_from_jwk(jwk, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_key_equal_public(key, from_jwk));
	return key;
}

static void
test_keys(void)
{
	Fixture fx;
	g_autoptr(JsonNode) r1 = NULL;
	g_autoptr(JsonNode) r2 = NULL;
	g_autoptr(MeshKey) key = NULL;
	g_autofree char *udf = NULL;
	g_autofree char *big = NULL;
	g_autofree char *text = NULL;
	JsonObject *list, *dev, *keys = NULL;
	JsonArray *array = NULL;
	const char *enc;

	setup(&fx);
	list = expect_result(&fx, &r1, "{\"Id\":7,\"Method\":\"KeyList\"}");
	CU_ASSERT_TRUE(mesh_json_get_array(list, "Keys", &array, NULL));
	CU_ASSERT_EQUAL(json_array_get_length(array), 0);
	udf = create_device(&fx, "{}");
	g_clear_pointer(&r1, json_node_unref);
	list = expect_result(&fx, &r1, "{\"Id\":7,\"Method\":\"KeyList\"}");
	CU_ASSERT_TRUE_FATAL(mesh_json_get_array(list, "Keys", &array, NULL));
	CU_ASSERT_EQUAL_FATAL(json_array_get_length(array), 3);
	for (guint i = 0; i < 3; i++) {
		JsonObject *entry = json_array_get_object_element(array, i);

		CU_ASSERT_STRING_EQUAL(get_string(entry, "Store"), "file");
		CU_ASSERT_FALSE(get_bool(entry, "Locked"));
		CU_ASSERT_FALSE(get_bool(entry, "Protected"));
		/* A device's keys: their role and the device. */
		CU_ASSERT_STRING_EQUAL(get_string(entry, "Role"), "Device");
		CU_ASSERT_STRING_EQUAL(get_string(entry, "Device"), udf);
		CU_ASSERT_EQUAL(json_object_get_size(entry), 8);
		if (g_str_equal(get_string(entry, "UDF"), udf)) {
			CU_ASSERT_STRING_EQUAL(get_string(entry, "Use"), "Signature");
			CU_ASSERT_STRING_EQUAL(get_string(entry, "Algorithm"), "Ed25519");
		}
	}
	key = key_public(&fx, udf);
	sign_and_verify(&fx, udf, key, 0);
	sign_and_verify(&fx, udf, key, 1000);
	sign_and_verify(&fx, udf, key, MESH_AGENT_SIGN_MAX);

	/* 64 KiB + 1 bytes of data is too much. */
	{
		g_autofree guint8 *data = g_malloc0(MESH_AGENT_SIGN_MAX + 1);

		big = mesh_b64u_encode(data, MESH_AGENT_SIGN_MAX + 1);
	}
	text = g_strdup_printf("{\"Id\":7,\"Method\":\"KeySign\",\"Params\":{\"UDF\":\"%s\","
			       "\"Data\":\"%s\"}}",
			       udf, big);
	expect_error(&fx, text, MESH_ERROR_TOO_LARGE);
	g_free(text);
	text = g_strdup_printf("{\"Id\":7,\"Method\":\"KeySign\",\"Params\":{\"UDF\":\"%s\","
			       "\"Data\":\"a=b\"}}",
			       udf);
	expect_error(&fx, text, MESH_ERROR_MALFORMED);
	g_free(text);
	text = g_strdup_printf("{\"Id\":7,\"Method\":\"KeySign\",\"Params\":{\"UDF\":\"%s\"}}", udf);
	expect_error(&fx, text, MESH_ERROR_MALFORMED);
	expect_error(&fx, "{\"Id\":7,\"Method\":\"KeySign\",\"Params\":{\"Data\":\"AA\"}}",
		     MESH_ERROR_MALFORMED);
	expect_error(&fx,
		     "{\"Id\":7,\"Method\":\"KeySign\",\"Params\":{\"UDF\":"
		     "\"MDDK-7N6A-727A-JZNO-STRX-XKS7-DJAF\",\"Data\":\"AA\"}}",
		     MESH_ERROR_NOT_FOUND);
	expect_error(&fx, "{\"Id\":7,\"Method\":\"KeyPublic\",\"Params\":{\"UDF\":true}}",
		     MESH_ERROR_MALFORMED);
	expect_error(&fx, "{\"Id\":7,\"Method\":\"KeyPublic\"}", MESH_ERROR_MALFORMED);
	expect_error(&fx,
		     "{\"Id\":7,\"Method\":\"KeyPublic\",\"Params\":{\"UDF\":"
		     "\"MDDK-7N6A-727A-JZNO-STRX-XKS7-DJAF\"}}",
		     MESH_ERROR_NOT_FOUND);
	/* An encryption key does not sign. */
	dev = expect_result(&fx, &r2, "{\"Id\":7,\"Method\":\"DeviceGet\"}");
	CU_ASSERT_TRUE_FATAL(mesh_json_get_object(dev, "Keys", &keys, NULL));
	enc = get_string(keys, "Encryption");
	g_free(text);
	text = g_strdup_printf("{\"Id\":7,\"Method\":\"KeySign\",\"Params\":{\"UDF\":\"%s\","
			       "\"Data\":\"AA\"}}",
			       enc);
	expect_error(&fx, text, MESH_ERROR_UNSUPPORTED);
	teardown(&fx);
}

/* Whether KeySign with @udf answers (TRUE) or says Locked (FALSE). */
static gboolean
can_sign(Fixture *fx, const char *udf)
{
	g_autofree char *text = g_strdup_printf(
		"{\"Id\":7,\"Method\":\"KeySign\",\"Params\":{\"UDF\":\"%s\",\"Data\":\"AA\"}}",
		udf);
	g_autoptr(JsonNode) root = NULL;
	gboolean close = TRUE;
	JsonObject *err = NULL;

	root = exchange(fx, text, &close);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	if (json_object_has_member(json_node_get_object(root), "Result"))
		return TRUE;
	CU_ASSERT_TRUE_FATAL(mesh_json_get_object(json_node_get_object(root), "Error", &err, NULL));
	CU_ASSERT_EQUAL(get_int(err, "Code"), MESH_ERROR_LOCKED);
	return FALSE;
}

static gboolean
status_locked(Fixture *fx)
{
	g_autoptr(JsonNode) root = NULL;

	return get_bool(expect_result(fx, &root, "{\"Id\":7,\"Method\":\"Status\"}"), "Locked");
}

static gint64
unlock(Fixture *fx, const char *params)
{
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text =
		g_strdup_printf("{\"Id\":7,\"Method\":\"Unlock\",\"Params\":%s}", params);

	return get_int(expect_result(fx, &root, text), "Unlocked");
}

static void
test_lock_unlock(void)
{
	Fixture fx;
	g_autoptr(JsonNode) r1 = NULL;
	g_autofree char *udf = NULL;
	g_autofree char *plain = NULL;

	setup(&fx);
	plain = create_device(&fx, "{\"Passphrase\":\"\"}");
	udf = create_device(&fx, "{\"Passphrase\":\"correct horse\"}");
	/* Just made with its passphrase: usable until Lock. */
	CU_ASSERT_TRUE(can_sign(&fx, udf));
	CU_ASSERT_FALSE(status_locked(&fx));
	expect_result(&fx, &r1, "{\"Id\":7,\"Method\":\"Lock\"}");
	CU_ASSERT_TRUE(status_locked(&fx));
	CU_ASSERT_FALSE(can_sign(&fx, udf));
	/* An empty passphrase means none: that device's keys never lock. */
	CU_ASSERT_TRUE(can_sign(&fx, plain));

	expect_error(&fx, "{\"Id\":7,\"Method\":\"Unlock\",\"Params\":{\"Passphrase\":\"wrong\"}}",
		     MESH_ERROR_BAD_PASSPHRASE);
	CU_ASSERT_FALSE(can_sign(&fx, udf));
	/* The passphrase gate: after a wrong passphrase the next check waits; mesh_agent_handle,
	 * which does not block, says so without checking, even the right passphrase. */
	expect_error(&fx,
		     "{\"Id\":7,\"Method\":\"Unlock\",\"Params\":{\"Passphrase\":\"correct "
		     "horse\"}}",
		     MESH_ERROR_RATE_LIMITED);
	CU_ASSERT_FALSE(can_sign(&fx, udf));
	CU_ASSERT_EQUAL(mesh_pass_gate_failures(mesh_agent_pass_gate(fx.agent)), 1);
	expect_error(&fx, "{\"Id\":7,\"Method\":\"Unlock\"}", MESH_ERROR_MALFORMED);
	expect_error(&fx, "{\"Id\":7,\"Method\":\"Unlock\",\"Params\":{\"Passphrase\":1}}",
		     MESH_ERROR_MALFORMED);
	expect_error(&fx,
		     "{\"Id\":7,\"Method\":\"Unlock\",\"Params\":{\"Passphrase\":\"x\","
		     "\"Lifetime\":\"1\"}}",
		     MESH_ERROR_MALFORMED);
	expect_error(&fx,
		     "{\"Id\":7,\"Method\":\"Unlock\",\"Params\":{\"Passphrase\":\"x\","
		     "\"Lifetime\":-1}}",
		     MESH_ERROR_INVALID_ARGUMENT);
	expect_error(&fx,
		     "{\"Id\":7,\"Method\":\"Unlock\",\"Params\":{\"Passphrase\":\"x\","
		     "\"Lifetime\":99999999999}}",
		     MESH_ERROR_INVALID_ARGUMENT);
	expect_error(&fx, "{\"Id\":7,\"Method\":\"Lock\",\"Params\":{\"Now\":true}}",
		     MESH_ERROR_MALFORMED);

	/* Malformed requests were answered without the gate; once its delay is over, the right
	 * passphrase unlocks and clears it. */
	g_usleep((MESH_PASS_GATE_STEP_MS + 20) * 1000);
	CU_ASSERT_EQUAL(unlock(&fx, "{\"Passphrase\":\"correct horse\",\"Lifetime\":0}"), 3);
	CU_ASSERT_EQUAL(mesh_pass_gate_failures(mesh_agent_pass_gate(fx.agent)), 0);
	CU_ASSERT_TRUE(can_sign(&fx, udf));
	CU_ASSERT_FALSE(status_locked(&fx));
	/* A lifetime ends: the next request finds the keys wiped, main loop or not. */
	g_clear_pointer(&r1, json_node_unref);
	expect_result(&fx, &r1, "{\"Id\":7,\"Method\":\"Lock\"}");
	CU_ASSERT_EQUAL(unlock(&fx, "{\"Passphrase\":\"correct horse\",\"Lifetime\":1}"), 3);
	CU_ASSERT_TRUE(can_sign(&fx, udf));
	g_usleep(1100 * 1000);
	CU_ASSERT_FALSE(can_sign(&fx, udf));
	/* The GLib timeout does the same while the loop runs. */
	CU_ASSERT_EQUAL(unlock(&fx, "{\"Passphrase\":\"correct horse\",\"Lifetime\":1}"), 3);
	{
		gint64 end = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;

		while (!status_locked(&fx) && g_get_monotonic_time() < end)
			g_main_context_iteration(NULL, TRUE);
	}
	CU_ASSERT_TRUE(status_locked(&fx));
	teardown(&fx);
}

static void
test_hive_migrate(void)
{
	Fixture fx;
	g_autoptr(JsonNode) r1 = NULL;
	g_autoptr(JsonNode) r2 = NULL;
	g_autofree char *udf = NULL;

	setup(&fx);
	udf = create_device(&fx, "{}");
	/* A device: its profile, the default entry, and three keys of three entries each. */
	CU_ASSERT_TRUE(get_int(expect_result(&fx, &r1,
					     "{\"Id\":7,\"Method\":\"HiveMigrate\",\"Params\":"
					     "{\"From\":\"test\",\"To\":\"production\"}}"),
			       "Copied") >= 4);
	expect_error(&fx,
		     "{\"Id\":7,\"Method\":\"HiveMigrate\",\"Params\":{\"From\":\"test\",\"To\":"
		     "\"production\"}}",
		     MESH_ERROR_EXISTS);
	expect_result(&fx, &r2,
		      "{\"Id\":7,\"Method\":\"HiveMigrate\",\"Params\":{\"From\":\"test\",\"To\":"
		      "\"production\",\"Force\":true}}");
	expect_error(&fx,
		     "{\"Id\":7,\"Method\":\"HiveMigrate\",\"Params\":{\"From\":\"test\",\"To\":"
		     "\"production\",\"Force\":\"yes\"}}",
		     MESH_ERROR_MALFORMED);
	expect_error(&fx,
		     "{\"Id\":7,\"Method\":\"HiveMigrate\",\"Params\":{\"From\":\"test\",\"To\":"
		     "\"test\"}}",
		     MESH_ERROR_INVALID_ARGUMENT);
	expect_error(&fx,
		     "{\"Id\":7,\"Method\":\"HiveMigrate\",\"Params\":{\"From\":\"staging\",\"To\":"
		     "\"test\"}}",
		     MESH_ERROR_INVALID_ARGUMENT);
	expect_error(&fx, "{\"Id\":7,\"Method\":\"HiveMigrate\",\"Params\":{\"From\":\"test\"}}",
		     MESH_ERROR_MALFORMED);
	/* The production hive now holds the same device. */
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(MeshHive) production = mesh_hive_open(MESH_HIVE_PRODUCTION, fx.root,
							       &error);
		g_autoptr(MeshDeviceProfile) profile = NULL;

		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_TRUE(mesh_device_load(production, NULL, &profile, NULL, &error));
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_STRING_EQUAL(profile->identifier, udf);
	}
	teardown(&fx);
}

static void
test_shutdown_and_restricted(void)
{
	Fixture fx;
	g_autoptr(JsonNode) r1 = NULL;

	setup(&fx);
	expect_result(&fx, &r1, "{\"Id\":7,\"Method\":\"Shutdown\"}");
	CU_ASSERT_EQUAL(fx.shutdowns, 1);
	expect_error(&fx, "{\"Id\":7,\"Method\":\"Shutdown\",\"Params\":{\"Now\":1}}",
		     MESH_ERROR_MALFORMED);
	CU_ASSERT_EQUAL(fx.shutdowns, 1);

	mesh_agent_set_restricted(fx.agent, TRUE);
	expect_error(&fx, "{\"Id\":7,\"Method\":\"Shutdown\"}", MESH_ERROR_PERMISSION);
	expect_error(&fx, "{\"Id\":7,\"Method\":\"DeviceCreate\"}", MESH_ERROR_PERMISSION);
	expect_error(&fx,
		     "{\"Id\":7,\"Method\":\"HiveMigrate\",\"Params\":{\"From\":\"test\",\"To\":"
		     "\"production\"}}",
		     MESH_ERROR_PERMISSION);
	/* Parameters are still checked first. */
	expect_error(&fx, "{\"Id\":7,\"Method\":\"DeviceCreate\",\"Params\":{\"Description\":0}}",
		     MESH_ERROR_MALFORMED);
	CU_ASSERT_EQUAL(fx.shutdowns, 1);
	CU_ASSERT_PTR_NOT_NULL(mesh_agent_hive(fx.agent));
	teardown(&fx);
}

static void
test_request_shape(void)
{
	static const char *const silent[] = {
		"",
		"{",
		"[1,2]",
		"\"Id\"",
		"7",
		"{\"Method\":\"Hello\"}",
		"{\"Id\":\"7\",\"Method\":\"Hello\"}",
		"{\"Id\":7.0,\"Method\":\"Hello\"}",
		"{\"Id\":-1,\"Method\":\"Hello\"}",
		"{\"Id\":9007199254740993,\"Method\":\"Hello\"}",
		"{\"Id\":null,\"Method\":\"Hello\"}",
		"{\"Id\":7,\"Id\":8,\"Method\":\"Hello\"}",
		"{\"Id\":7,\"Method\":\"Hello\"} trailing",
		"{\"Id\":7,\"Method\":\"Hel\xff\"}",
	};
	static const char *const closing[] = {
		"{\"Id\":7}",
		"{\"Id\":7,\"Method\":1}",
		"{\"Id\":7,\"Method\":\"Hello\",\"Params\":[]}",
		"{\"Id\":7,\"Method\":\"Hello\",\"Params\":null}",
		"{\"Id\":7,\"Method\":\"Hello\",\"params\":{}}",
		"{\"Id\":7,\"Method\":\"Hello\",\"Extra\":true}",
	};
	Fixture fx;
	g_autoptr(JsonNode) r1 = NULL;
	g_autoptr(JsonNode) r2 = NULL;
	gsize big_len = MESH_FRAME_MAX + 1;
	g_autofree char *big = g_malloc(big_len);
	gboolean close = TRUE;

	setup(&fx);
	for (gsize i = 0; i < G_N_ELEMENTS(silent); i++)
		expect_silence(&fx, silent[i], strlen(silent[i]));
	/* A NUL inside the frame, and a frame above the limit. */
	expect_silence(&fx, "{\"Id\":7,\"Method\":\"Hello\"}\0", 26);
	memset(big, ' ', big_len);
	memcpy(big, "{\"Id\":7,\"Method\":\"Hello\"}", 25);
	expect_silence(&fx, big, big_len);
	for (gsize i = 0; i < G_N_ELEMENTS(closing); i++)
		expect_error_id(&fx, closing[i], MESH_ERROR_MALFORMED, 7, TRUE);
	expect_error(&fx, "{\"Id\":7,\"Method\":\"hello\"}", MESH_ERROR_UNSUPPORTED);
	expect_error(&fx, "{\"Id\":7,\"Method\":\"NoSuchMethod\",\"Params\":{}}",
		     MESH_ERROR_UNSUPPORTED);
	/* Ids from 0 to 2^53, echoed as they came. */
	expect_error_id(&fx, "{\"Id\":0,\"Method\":\"Nope\"}", MESH_ERROR_UNSUPPORTED, 0, FALSE);
	expect_error_id(&fx, "{\"Id\":9007199254740992,\"Method\":\"Nope\"}",
			MESH_ERROR_UNSUPPORTED, MESH_AGENT_ID_MAX, FALSE);
	/* Members in any order, white space around. */
	r1 = exchange(&fx, " { \"Params\" : { } , \"Method\" : \"Hello\" , \"Id\" : 7 } ", &close);
	CU_ASSERT_PTR_NOT_NULL(r1);
	CU_ASSERT_FALSE(close);
	expect_result(&fx, &r2, "{\"Id\":7,\"Method\":\"Hello\"}");
	teardown(&fx);
}

/* KeyGenerate, KeyImport, KeyMove, KeyRemove, HiveSetKeyStore over the file store (the other
 * stores have their own suites: tests/integration/keystore-*.sh). */
static void
test_key_management(void)
{
	Fixture fx;
	g_autoptr(JsonNode) r = NULL;
	g_autoptr(JsonNode) r2 = NULL;
	g_autoptr(JsonNode) r3 = NULL;
	g_autoptr(MeshKey) priv = NULL;
	g_autoptr(MeshSecret) pem = NULL;
	g_autofree char *text = NULL;
	g_autofree char *udf = NULL;
	GError *error = NULL;
	JsonObject *k, *status, *device, *keys = NULL;

	setup(&fx);
	/* Default algorithms: the Edwards curves in the file store. */
	k = expect_result(&fx, &r, "{\"Id\":7,\"Method\":\"KeyGenerate\",\"Params\":"
				   "{\"Use\":\"Encryption\"}}");
	CU_ASSERT_STRING_EQUAL(get_string(k, "Algorithm"), "X25519");
	CU_ASSERT_STRING_EQUAL(get_string(k, "Store"), "file");
	g_clear_pointer(&r, json_node_unref);
	k = expect_result(&fx, &r, "{\"Id\":7,\"Method\":\"KeyGenerate\",\"Params\":"
				   "{\"Use\":\"Signature\",\"Algorithm\":\"P-256\","
				   "\"KeyStore\":\"file\"}}");
	CU_ASSERT_STRING_EQUAL(get_string(k, "Algorithm"), "P-256");
	CU_ASSERT_STRING_EQUAL(get_string(k, "Use"), "Signature");
	udf = g_strdup(get_string(k, "UDF"));
	expect_error(&fx, "{\"Id\":7,\"Method\":\"KeyGenerate\",\"Params\":{\"Use\":\"Signature\","
			  "\"KeyStore\":\"floppy\"}}", MESH_ERROR_INVALID_ARGUMENT);
	expect_error(&fx, "{\"Id\":7,\"Method\":\"KeyGenerate\",\"Params\":{\"Use\":\"Sealing\"}}",
		     MESH_ERROR_INVALID_ARGUMENT);
	expect_error(&fx, "{\"Id\":7,\"Method\":\"KeyGenerate\",\"Params\":{}}",
		     MESH_ERROR_MALFORMED);

	/* Import: an OpenSSH private key file, as ssh-keygen writes it. */
	priv = mesh_key_generate(MESH_KEY_ED25519, &error);
	MESH_ASSERT_NO_ERROR(error);
	pem = mesh_openssh_private_encode(priv, "imported", NULL, 0, &error);
	MESH_ASSERT_NO_ERROR(error);
	{
		g_autoptr(JsonBuilder) b = json_builder_new();
		g_autoptr(JsonNode) req = NULL;
		g_autofree char *key_text = g_strndup((const char *)mesh_secret_get(pem),
						      mesh_secret_len(pem));

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "Id");
		json_builder_add_int_value(b, 7);
		json_builder_set_member_name(b, "Method");
		json_builder_add_string_value(b, "KeyImport");
		json_builder_set_member_name(b, "Params");
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "Key");
		json_builder_add_string_value(b, key_text);
		json_builder_set_member_name(b, "Use");
		json_builder_add_string_value(b, "Authentication");
		json_builder_end_object(b);
		json_builder_end_object(b);
		req = json_builder_get_root(b);
		text = mesh_json_to_string(req);
	}
	g_clear_pointer(&r, json_node_unref);
	k = expect_result(&fx, &r, text);
	CU_ASSERT_STRING_EQUAL(get_string(k, "UDF"), mesh_key_udf(priv));
	CU_ASSERT_STRING_EQUAL(get_string(k, "Use"), "Authentication");
	expect_error(&fx, "{\"Id\":7,\"Method\":\"KeyImport\",\"Params\":{\"Key\":\"not a key\","
			  "\"Use\":\"Signature\"}}", MESH_ERROR_MALFORMED);

	/* Move: to where it is already, and to a store that does not exist. */
	g_free(text);
	text = g_strdup_printf("{\"Id\":7,\"Method\":\"KeyMove\",\"Params\":{\"UDF\":\"%s\","
			       "\"To\":\"file\"}}", udf);
	expect_error(&fx, text, MESH_ERROR_EXISTS);
	g_free(text);
	text = g_strdup_printf("{\"Id\":7,\"Method\":\"KeyMove\",\"Params\":{\"UDF\":\"%s\","
			       "\"To\":\"floppy\"}}", udf);
	expect_error(&fx, text, MESH_ERROR_INVALID_ARGUMENT);

	/* Remove: a plain key goes; a device's key is refused. */
	g_free(text);
	text = g_strdup_printf("{\"Id\":7,\"Method\":\"KeyRemove\",\"Params\":{\"UDF\":\"%s\"}}",
			       udf);
	g_clear_pointer(&r, json_node_unref);
	expect_result(&fx, &r, text);
	expect_error(&fx, text, MESH_ERROR_NOT_FOUND);
	device = expect_result(&fx, &r2, "{\"Id\":7,\"Method\":\"DeviceCreate\","
					 "\"Params\":{\"KeyStore\":\"file\"}}");
	CU_ASSERT_TRUE_FATAL(mesh_json_get_object(device, "Keys", &keys, NULL));
	g_free(text);
	text = g_strdup_printf("{\"Id\":7,\"Method\":\"KeyRemove\",\"Params\":{\"UDF\":\"%s\"}}",
			       get_string(keys, "Signature"));
	expect_error(&fx, text, MESH_ERROR_PERMISSION);

	/* The hive's default store. */
	g_clear_pointer(&r, json_node_unref);
	k = expect_result(&fx, &r, "{\"Id\":7,\"Method\":\"HiveSetKeyStore\","
				   "\"Params\":{\"Store\":\"file\"}}");
	CU_ASSERT_STRING_EQUAL(get_string(k, "Store"), "file");
	expect_error(&fx, "{\"Id\":7,\"Method\":\"HiveSetKeyStore\",\"Params\":{\"Store\":\"x\"}}",
		     MESH_ERROR_INVALID_ARGUMENT);
	status = expect_result(&fx, &r3, "{\"Id\":7,\"Method\":\"Status\"}");
	CU_ASSERT_STRING_EQUAL(get_string(status, "KeyStore"), "file");
	teardown(&fx);
}

/* The KeyList entry of @udf in *@ret_root (NULL when the list does not have it). */
static JsonObject *
list_entry(Fixture *fx, JsonNode **ret_root, const char *udf)
{
	JsonObject *list;
	JsonArray *array = NULL;

	g_clear_pointer(ret_root, json_node_unref);
	list = expect_result(fx, ret_root, "{\"Id\":7,\"Method\":\"KeyList\"}");
	CU_ASSERT_TRUE_FATAL(mesh_json_get_array(list, "Keys", &array, NULL));
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonObject *entry = json_array_get_object_element(array, i);

		if (g_str_equal(get_string(entry, "UDF"), udf))
			return entry;
	}
	return NULL;
}

/* KeyGenerate with @params; the new key's UDF (NULL after a failure with @code). */
static char *
generate(Fixture *fx, const char *params, MeshError code)
{
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text =
	        g_strdup_printf("{\"Id\":7,\"Method\":\"KeyGenerate\",\"Params\":%s}", params);

	if (code != MESH_ERROR_OK) {
		expect_error(fx, text, code);
		return NULL;
	}
	return g_strdup(get_string(expect_result(fx, &root, text), "UDF"));
}

/*
 * The hive's protection: once the default device is protected, every key the agent makes is
 * protected by the same passphrase (another one is refused), and while it is locked none is
 * made; KeyList says Protected and Locked per key. A failed KeyMove (no Secret Service) leaves
 * the key where it was and Unlock working.
 */
static void
test_protection(void)
{
	Fixture fx;
	g_autoptr(JsonNode) r = NULL;
	g_autofree char *device = NULL, *sig = NULL, *plain = NULL, *later = NULL, *text = NULL;
	JsonObject *entry, *keys = NULL;

	/* No Secret Service: a session bus nobody listens on, and no X11 to start one. */
	g_setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mesh-test-bus", TRUE);
	g_unsetenv("DISPLAY");
	setup(&fx);
	/* Before any device the hive is not protected: a key without a passphrase is plain. */
	plain = generate(&fx, "{\"Use\":\"Signature\"}", MESH_ERROR_OK);
	entry = list_entry(&fx, &r, plain);
	CU_ASSERT_TRUE_FATAL(entry != NULL);
	CU_ASSERT_FALSE(get_bool(entry, "Protected"));
	CU_ASSERT_STRING_EQUAL(get_string(entry, "Role"), "Imported");
	CU_ASSERT_FALSE(json_object_has_member(entry, "Account"));

	device = create_device(&fx, "{\"Passphrase\":\"pass word\"}");
	g_clear_pointer(&r, json_node_unref);
	text = g_strdup_printf("{\"Id\":7,\"Method\":\"DeviceGet\",\"Params\":{\"Identifier\":"
	                       "\"%s\"}}",
	                       device);
	CU_ASSERT_TRUE_FATAL(
	        mesh_json_get_object(expect_result(&fx, &r, text), "Keys", &keys, NULL));
	sig = g_strdup(get_string(keys, "Signature"));
	entry = list_entry(&fx, &r, sig);
	CU_ASSERT_TRUE_FATAL(entry != NULL);
	CU_ASSERT_TRUE(get_bool(entry, "Protected"));
	CU_ASSERT_FALSE(get_bool(entry, "Locked"));

	/* Protected hive, unlocked: a key made without a passphrase gets the hive's. */
	later = generate(&fx, "{\"Use\":\"Authentication\"}", MESH_ERROR_OK);
	entry = list_entry(&fx, &r, later);
	CU_ASSERT_TRUE_FATAL(entry != NULL);
	CU_ASSERT_TRUE(get_bool(entry, "Protected"));
	/* Another passphrase is refused (behind the gate); the same one is taken. */
	CU_ASSERT_PTR_NULL(generate(&fx, "{\"Use\":\"Signature\",\"Passphrase\":\"other\"}",
	                            MESH_ERROR_BAD_PASSPHRASE));
	g_usleep((MESH_PASS_GATE_STEP_MS + 20) * 1000);
	g_free(generate(&fx, "{\"Use\":\"Signature\",\"Passphrase\":\"pass word\"}",
	                MESH_ERROR_OK));

	/* Locked: every key of the hive's protection is Locked, the plain one not; nothing that
	 * makes keys runs, with or without a passphrase. */
	g_clear_pointer(&r, json_node_unref);
	expect_result(&fx, &r, "{\"Id\":7,\"Method\":\"Lock\"}");
	entry = list_entry(&fx, &r, later);
	CU_ASSERT_TRUE(entry != NULL && get_bool(entry, "Locked"));
	entry = list_entry(&fx, &r, plain);
	CU_ASSERT_TRUE(entry != NULL && !get_bool(entry, "Locked"));
	CU_ASSERT_FALSE(can_sign(&fx, later));
	CU_ASSERT_PTR_NULL(generate(&fx, "{\"Use\":\"Signature\"}", MESH_ERROR_LOCKED));
	CU_ASSERT_PTR_NULL(generate(&fx, "{\"Use\":\"Signature\",\"Passphrase\":\"pass word\"}",
	                            MESH_ERROR_LOCKED));
	expect_error(&fx, "{\"Id\":7,\"Method\":\"DeviceCreate\",\"Params\":{}}",
	             MESH_ERROR_LOCKED);
	CU_ASSERT_EQUAL(unlock(&fx, "{\"Passphrase\":\"pass word\",\"Lifetime\":0}"), 5);
	g_free(later);
	later = generate(&fx, "{\"Use\":\"Encryption\"}", MESH_ERROR_OK);
	entry = list_entry(&fx, &r, later);
	CU_ASSERT_TRUE(entry != NULL && get_bool(entry, "Protected"));

	/* A move into the secret store with no Secret Service fails; the key stays in the file
	 * store, signs, and Unlock still works (it used to ask the secret store it had opened). */
	g_free(text);
	text = g_strdup_printf("{\"Id\":7,\"Method\":\"KeyMove\",\"Params\":{\"UDF\":\"%s\","
	                       "\"To\":\"secret\"}}",
	                       plain);
	expect_error(&fx, text, MESH_ERROR_UNSUPPORTED);
	entry = list_entry(&fx, &r, plain);
	CU_ASSERT_TRUE(entry != NULL && g_str_equal(get_string(entry, "Store"), "file"));
	CU_ASSERT_TRUE(can_sign(&fx, plain));
	g_clear_pointer(&r, json_node_unref);
	expect_result(&fx, &r, "{\"Id\":7,\"Method\":\"Lock\"}");
	CU_ASSERT_EQUAL(unlock(&fx, "{\"Passphrase\":\"pass word\",\"Lifetime\":0}"), 6);
	CU_ASSERT_TRUE(can_sign(&fx, sig));

	/* KeyRemove: the device's key is refused, naming the device; a plain key goes. */
	g_free(text);
	text = g_strdup_printf("{\"Id\":7,\"Method\":\"KeyRemove\",\"Params\":{\"UDF\":\"%s\"}}",
	                       sig);
	expect_error(&fx, text, MESH_ERROR_PERMISSION);
	CU_ASSERT_PTR_NOT_NULL(list_entry(&fx, &r, sig));
	g_free(text);
	text = g_strdup_printf("{\"Id\":7,\"Method\":\"KeyRemove\",\"Params\":{\"UDF\":\"%s\"}}",
	                       plain);
	g_clear_pointer(&r, json_node_unref);
	expect_result(&fx, &r, text);
	CU_ASSERT_PTR_NULL(list_entry(&fx, &r, plain));
	teardown(&fx);
	g_unsetenv("DBUS_SESSION_BUS_ADDRESS");
}

static CU_TestInfo tests[] = {
        {"Hello and Status", test_hello_status},
        {"DeviceCreate, DeviceGet, DeviceList", test_devices},
        {"KeyList, KeyPublic, KeySign", test_keys},
        {"Lock, Unlock and the unlock lifetime", test_lock_unlock},
        {"HiveMigrate refuses to overwrite unless forced", test_hive_migrate},
        {"Shutdown; restricted mode", test_shutdown_and_restricted},
        {"malformed requests: silence, errors, closes", test_request_shape},
        {"KeyGenerate, KeyImport, KeyMove, KeyRemove, HiveSetKeyStore", test_key_management},
        {"the hive's protection; KeyList Protected, Locked, Role; a failed KeyMove",
         test_protection},
        CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("dispatch", tests);
}
