/* SPDX-License-Identifier: MIT */
#include "cutest.h"
#include "error.h"
#include "json.h"

#include <string.h>

static JsonNode *
parse(const char *text, GError **error)
{
	return mesh_json_parse(text, strlen(text), 4096, error);
}

static void
test_valid(void)
{
	GError *error = NULL;
	JsonNode *root = parse("{\"A\": 1, \"B\": {\"A\": 2}, \"C\": [{\"A\": 3}, {\"A\": 4}]}", &error);
	JsonObject *obj;
	gint64 v = 0;
	const char *s = NULL;

	MESH_ASSERT_NO_ERROR(error);
	obj = json_node_get_object(root);
	CU_ASSERT_TRUE(mesh_json_get_int(obj, "A", &v, &error));
	CU_ASSERT_EQUAL(v, 1);
	CU_ASSERT_TRUE(mesh_json_get_string_opt(obj, "Missing", &s, &error));
	CU_ASSERT_PTR_NULL(s);
	json_node_unref(root);
}

static void
test_duplicates_rejected(void)
{
	static const char *const dups[] = {
		"{\"A\": 1, \"A\": 2}",
		"{\"A\": 1, \"B\": {\"X\": 1, \"Y\": 2, \"X\": 3}}",
		"[{\"A\": 1}, {\"B\": 1, \"B\": 1}]",
		"{\"A\": 1, \"\\u0041\": 2}",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(dups); i++) {
		GError *error = NULL;

		CU_ASSERT_PTR_NULL(parse(dups[i], &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	}
}

static void
test_malformed_and_oversize(void)
{
	static const char *const bad[] = { "", "{", "{\"A\": }", "[1,]", "{\"A\" 1}", "\xff\xfe",
					   /* several values: json-glib would keep the last and leak
					    * the others */
					   "{}{}", "{} {}", "[]{}", "{}1", "1 2", "\"a\"\"b\"", "true false",
					   "{\"A\":1}\n{\"B\":2}" };
	GError *error = NULL;
	g_autoptr(GString) deep = g_string_new(NULL);
	g_autofree char *big = g_strnfill(5000, ' ');

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		CU_ASSERT_PTR_NULL(parse(bad[i], &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	}
	/* Embedded NUL */
	CU_ASSERT_PTR_NULL(mesh_json_parse("{}\0{}", 5, 100, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	for (int i = 0; i < MESH_JSON_MAX_DEPTH + 1; i++)
		g_string_append_c(deep, '[');
	for (int i = 0; i < MESH_JSON_MAX_DEPTH + 1; i++)
		g_string_append_c(deep, ']');
	CU_ASSERT_PTR_NULL(parse(deep->str, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	/* Exactly the maximum depth parses; brackets inside strings do not count. */
	g_string_erase(deep, 0, 1);
	g_string_truncate(deep, deep->len - 1);
	{
		JsonNode *ok = parse(deep->str, &error);

		MESH_ASSERT_NO_ERROR(error);
		json_node_unref(ok);
		ok = parse("[\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[\"]", &error);
		MESH_ASSERT_NO_ERROR(error);
		json_node_unref(ok);
	}
	CU_ASSERT_PTR_NULL(parse(big, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
}

static void
test_typed_getters(void)
{
	GError *error = NULL;
	JsonNode *root = parse("{\"S\": \"x\", \"I\": 5, \"O\": {}, \"A\": [], \"F\": 1.5}", &error);
	JsonObject *obj = json_node_get_object(root);
	const char *s = NULL;
	gint64 i = 0;
	JsonObject *o = NULL;
	JsonArray *a = NULL;
	static const char *const allowed[] = { "S", "I", "O", "A", "F", NULL };
	static const char *const fewer[] = { "S", "I", NULL };

	CU_ASSERT_TRUE(mesh_json_get_string(obj, "S", &s, &error));
	CU_ASSERT_STRING_EQUAL(s, "x");
	CU_ASSERT_FALSE(mesh_json_get_string(obj, "I", &s, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	CU_ASSERT_FALSE(mesh_json_get_int(obj, "F", &i, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	CU_ASSERT_FALSE(mesh_json_get_int(obj, "S", &i, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	CU_ASSERT_FALSE(mesh_json_get_object(obj, "A", &o, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	CU_ASSERT_FALSE(mesh_json_get_array(obj, "O", &a, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	CU_ASSERT_FALSE(mesh_json_get_string(obj, "Nope", &s, &error));
	CU_ASSERT_PTR_NOT_NULL(error);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "Nope"));
	g_clear_error(&error);
	CU_ASSERT_TRUE(mesh_json_check_members(obj, allowed, &error));
	CU_ASSERT_FALSE(mesh_json_check_members(obj, fewer, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	json_node_unref(root);
}

static void
test_no_input_in_messages(void)
{
	/* A private JWK with a typo: json-glib's own message would quote the secret token. */
	static const char *const leaky[] = {
		"{\"kty\":\"OKP\",\"d\":SECRETSECRETSECRETSECRET}",
		"{\"kty\":\"OKP\",\"d\":\"SECRETSECRETSECRETSECRET\"]",
		"{\"kty\":\"OKP\",\"SECRETSECRETSECRETSECRET\" 1}",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(leaky); i++) {
		GError *error = NULL;

		CU_ASSERT_PTR_NULL(parse(leaky[i], &error));
		CU_ASSERT_PTR_NOT_NULL_FATAL(error);
		CU_ASSERT_PTR_NULL(strstr(error->message, "SECRET"));
		CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "line 1"));
		g_clear_error(&error);
	}
}

static void
test_nul_and_surrogate_escapes(void)
{
	static const char *const bad[] = {
		"{\"cty\": \"Profile\\u0000Evil\"}",
		"{\"kid\\u0000x\": 1}",
		"[\"A\\ud800B\"]",
		"[\"A\\udc00B\"]",
		"[\"\\ud800\\u0041\"]",
		"[\"\\ud800\"]",
		"[\"Bned\\222\"]",
		"[\"\\x41\"]",
		"[\"\\a\"]",
		/* Not four hex digits: json-glib would decode a lone surrogate, or cut at a NUL. */
		"[\"/a\\uDerhb\"]",
		"[\"/a\\u00rrb\"]",
		"[\"\\u12\"]",
	};
	static const char *const good[] = {
		"[\"\\ud83d\\ude00\"]",
		"[\"\\u0041\\u00e9\"]",
		"[\"\\\\u0000\"]",
		"[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]",
	};
	GError *error = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		CU_ASSERT_PTR_NULL(parse(bad[i], &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
		JsonNode *ok = parse(good[i], &error);

		MESH_ASSERT_NO_ERROR(error);
		json_node_unref(ok);
	}
}

static void
test_quote(void)
{
	g_autofree char *a = mesh_error_quote("plain");
	g_autofree char *b = mesh_error_quote("new\nline\x01");
	g_autofree char *c = mesh_error_quote("0123456789012345678901234567890123456789");
	g_autofree char *d = mesh_error_quote(NULL);

	CU_ASSERT_STRING_EQUAL(a, "plain");
	CU_ASSERT_PTR_NULL(strchr(b, '\n'));
	CU_ASSERT_PTR_NULL(strchr(b, '\x01'));
	CU_ASSERT_STRING_EQUAL(c, "01234567890123456789012345678901...");
	CU_ASSERT_STRING_EQUAL(d, "(none)");
}

static CU_TestInfo tests[] = {
	{ "no input text in parse errors", test_no_input_in_messages },
	{ "\\u0000, unpaired surrogates and short \\u escapes refused",
	  test_nul_and_surrogate_escapes },
	{ "quoting untrusted text for messages", test_quote },
	{ "valid", test_valid },
	{ "duplicate members rejected", test_duplicates_rejected },
	{ "malformed, too deep, oversize", test_malformed_and_oversize },
	{ "typed getters", test_typed_getters },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("json", tests);
}
