/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "cutest.h"
#include "error.h"
#include "json-peek.h"
#include "json.h"

/* An account record as core/session.c account_write makes it, every optional member set. */
static const char account[] =
        "{\"Account\":\"alice@example.com\",\"Profile\":\"MB2G-KZ3C-QX5N-7DVA-TTQR-6F4N-QPXY\","
        "\"Device\":\"MCE2-AAAA-BBBB\",\"Portal\":\"https://example.com/.well-known/mmm/\","
        "\"AdministrationKey\":\"MAAA-ADMIN\",\"Serial\":12,\"MasterSerial\":3,"
        "\"SSHKey\":{\"UDF\":\"MSSH-KEY\",\"PublicKey\":\"ssh-ed25519 AAAAC3Nz\"},"
        "\"Connection\":{\"ClientNonce\":\"cn\",\"ServerNonce\":\"sn\",\"Witness\":\"W-1\"},"
        "\"Escrows\":[\"MESC-ONE\",\"MESC-TWO\"]}";

/* Peek @name in @text (NUL-terminated): the value (NULL when absent); *@ret_code 0, or the
 * error's code when refused (and then the return is NULL too). */
static char *
peek_code(const char *text, gsize len, const char *name, int *ret_code)
{
	GError *error = NULL;
	char *value = (char *)"unset";

	*ret_code = 0;
	if (!mesh_json_peek_string(text, len, name, &value, &error)) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(error);
		CU_ASSERT_EQUAL(error->domain, MESH_ERROR);
		/* One line. */
		CU_ASSERT_PTR_NULL(strchr(error->message, '\n'));
		/* *ret_value is written only on success. */
		CU_ASSERT_STRING_EQUAL(value, "unset");
		*ret_code = error->code;
		g_clear_error(&error);
		return NULL;
	}
	CU_ASSERT_PTR_NULL(error);
	CU_ASSERT_TRUE(value == NULL || g_utf8_validate(value, -1, NULL));
	return value;
}

static char *
peek(const char *text, const char *name)
{
	int code;
	char *value = peek_code(text, strlen(text), name, &code);

	if (code != 0)
		g_printerr("\n    refused (%d): %s\n", code, text);
	CU_ASSERT_EQUAL(code, 0);
	return value;
}

static void
assert_value(const char *text, const char *name, const char *want)
{
	g_autofree char *value = peek(text, name);

	if (want == NULL) {
		CU_ASSERT_PTR_NULL(value);
		return;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(value);
	CU_ASSERT_STRING_EQUAL(value, want);
}

static void
test_accepts(void)
{
	/* The record's top-level members, after and before nested ones. */
	assert_value(account, "Profile", "MB2G-KZ3C-QX5N-7DVA-TTQR-6F4N-QPXY");
	assert_value(account, "Account", "alice@example.com");
	assert_value(account, "Portal", "https://example.com/.well-known/mmm/");
	/* Members of nested objects are not the top level's. */
	assert_value(account, "Witness", NULL);
	assert_value(account, "UDF", NULL);
	assert_value("{\"SSHKey\":{\"Profile\":\"inner\"},\"Escrows\":[{\"Profile\":\"x\"}]}",
	             "Profile", NULL);
	assert_value("{\"SSHKey\":{\"Profile\":\"inner\"},\"Profile\":\"outer\"}", "Profile",
	             "outer");
	/* Absent, empty object, empty string. */
	assert_value("{}", "Profile", NULL);
	assert_value(" \t\r\n{ } \n", "Profile", NULL);
	assert_value("{\"Profile\":\"\"}", "Profile", "");
	assert_value("{\"Profiles\":\"x\",\"Profil\":\"y\",\"profile\":\"z\"}", "Profile", NULL);
	/* Whitespace everywhere JSON allows it (json-glib's pretty output). */
	assert_value("{\n  \"Serial\" : 1 ,\n\t\"Profile\"\r\n:\n \"MX\"  \n}\n", "Profile", "MX");
	/* Escapes decoded in the value and the name; skipped elsewhere. */
	assert_value("{\"Profile\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\te\"}", "Profile",
	             "a\"b\\c/d\b\f\n\r\te");
	assert_value("{\"Profile\":\"\\u00e9\\u20AC\\ud83d\\ude00\"}", "Profile",
	             "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	assert_value("{\"Pro\\u0066ile\":\"escaped name\"}", "Profile", "escaped name");
	assert_value("{\"x\":\"\\\"\\u0041\\ud83d\\ude00\",\"Profile\":\"after\"}", "Profile",
	             "after");
	/* Raw UTF-8 and DEL are text. */
	assert_value("{\"Profile\":\"\xc3\xa9t\xc3\xa9\x7f\"}", "Profile", "\xc3\xa9t\xc3\xa9\x7f");
	/* Every value type skipped: numbers in every form, literals, nesting. */
	assert_value("{\"n\":[0,-0,1,-12,3.25,-0.5e10,1E+2,2e-3,1e0],\"t\":true,\"f\":false,"
	             "\"z\":null,\"o\":{\"a\":[[],{},[{}]]},\"Profile\":\"M\"}",
	             "Profile", "M");
	/* Duplicates of other members are not this reader's concern. */
	assert_value("{\"a\":1,\"a\":2,\"Profile\":\"M\"}", "Profile", "M");
}

static void
assert_refused(const char *text, gsize len, const char *name, int want)
{
	int code;
	g_autofree char *value = peek_code(text, len, name, &code);

	if (code != want)
		g_printerr("\n    code %d, want %d: %.*s\n", code, want, (int)MIN(len, 80), text);
	CU_ASSERT_EQUAL(code, want);
	CU_ASSERT_PTR_NULL(value);
}

static void
malformed(const char *text)
{
	assert_refused(text, strlen(text), "Profile", MESH_ERROR_MALFORMED);
}

static void
test_refuses(void)
{
	static const char *const bad[] = {
	        /* Not one object. */
	        "",
	        " ",
	        "[]",
	        "\"Profile\"",
	        "1",
	        "null",
	        "{",
	        "}",
	        "{}{}",
	        "{} x",
	        "x{}",
	        "{\"Profile\":\"M\"}}",
	        "[{\"Profile\":\"M\"}]",
	        /* Members. */
	        "{\"a\"}",
	        "{\"a\":}",
	        "{\"a\" 1}",
	        "{\"a\":1,}",
	        "{,}",
	        "{,\"a\":1}",
	        "{'a':1}",
	        "{a:1}",
	        "{\"a\":1 \"b\":2}",
	        "{\"a\"::1}",
	        "{1:2}",
	        /* Arrays and nesting. */
	        "{\"a\":[1,2}",
	        "{\"a\":[1,]}",
	        "{\"a\":[,1]}",
	        "{\"a\":{\"b\":1]}",
	        "{\"a\":[}",
	        "{\"a\":{\"b\":[1,{\"c\":}]}}",
	        /* Numbers. */
	        "{\"a\":01}",
	        "{\"a\":1.}",
	        "{\"a\":.5}",
	        "{\"a\":1e}",
	        "{\"a\":1e+}",
	        "{\"a\":-}",
	        "{\"a\":+1}",
	        "{\"a\":0x10}",
	        "{\"a\":NaN}",
	        "{\"a\":Infinity}",
	        "{\"a\":1.5.2}",
	        "{\"a\":--1}",
	        /* Literals. */
	        "{\"a\":tru}",
	        "{\"a\":True}",
	        "{\"a\":nul}",
	        "{\"a\":falsey}",
	        "{\"a\":undefined}",
	        /* Strings and escapes, in the value, in a name and elsewhere. */
	        "{\"a\":\"x}",
	        "{\"a\":\"x\\\"}",
	        "{\"a\":\"\\",
	        "{\"a\":\"\\x\"}",
	        "{\"a\":\"\\'\"}",
	        "{\"a\":\"\\u12\"}",
	        "{\"a\":\"\\u12G4\"}",
	        "{\"a\":\"\\u0000\"}",
	        "{\"Profile\":\"M\\u0000X\"}",
	        "{\"\\u0000\":1}",
	        "{\"a\":\"\\ud800\"}",
	        "{\"a\":\"\\udc00\"}",
	        "{\"a\":\"\\ud800\\u0041\"}",
	        "{\"Profile\":\"\\ud83d\"}",
	        "{\"Profile\":\"\\ude00\\ud83d\"}",
	        "{\"a\":\"tab\there\"}",
	        "{\"Profile\":\"new\nline\"}",
	        "{\"a\":\"\x1f\"}",
	        /* The wanted member twice, or not a string. */
	        "{\"Profile\":\"M1\",\"Profile\":\"M2\"}",
	        "{\"Profile\":\"M1\",\"x\":{},\"Pro\\u0066ile\":\"M2\"}",
	        "{\"Profile\":1}",
	        "{\"Profile\":null}",
	        "{\"Profile\":true}",
	        "{\"Profile\":{\"UDF\":\"M\"}}",
	        "{\"Profile\":[\"M\"]}",
	        /* Not UTF-8. */
	        "{\"Profile\":\"\xc3\x28\"}",
	        "{\"Profile\":\"\xc0\xaf\"}",
	        "{\"a\":\"\xed\xa0\x80\"}",
	        "\xef\xbb\xbf{}",
	};
	static const char with_nul[] = "{\"Profile\":\"M\"}\0";
	static const char nul_inside[] = "{\"Profile\":\"M\0X\"}";
	GString *deep = g_string_new("{\"a\":");
	g_autofree char *big = NULL;
	g_autofree char *value = NULL;
	GError *error = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
		malformed(bad[i]);
	/* A NUL byte after the object, or inside a string. */
	assert_refused(with_nul, sizeof with_nul - 1, "Profile", MESH_ERROR_MALFORMED);
	assert_refused(nul_inside, sizeof nul_inside - 1, "Profile", MESH_ERROR_MALFORMED);
	/* A prefix of a good record is refused at every length. */
	for (gsize n = 0; n < strlen(account); n++)
		assert_refused(account, n, "Profile", MESH_ERROR_MALFORMED);

	/* Depth: the top object and 31 more levels are read; 32 more are too deep. */
	for (int i = 2; i < MESH_JSON_PEEK_DEPTH; i++)
		g_string_append(deep, i % 2 ? "{\"b\":" : "[");
	g_string_append(deep, "[]");
	for (int i = MESH_JSON_PEEK_DEPTH - 1; i >= 2; i--)
		g_string_append(deep, i % 2 ? "}" : "]");
	g_string_append(deep, ",\"Profile\":\"deep\"}");
	assert_value(deep->str, "Profile", "deep");
	g_string_assign(deep, "{\"a\":");
	for (int i = 2; i <= MESH_JSON_PEEK_DEPTH; i++)
		g_string_append(deep, "[");
	g_string_append(deep, "[]");
	for (int i = 2; i <= MESH_JSON_PEEK_DEPTH; i++)
		g_string_append(deep, "]");
	g_string_append(deep, "}");
	assert_refused(deep->str, deep->len, "Profile", MESH_ERROR_TOO_LARGE);
	/* Far deeper (no stack to exhaust: refused at the bound). */
	g_string_assign(deep, "{\"a\":");
	for (int i = 0; i < 100000; i++)
		g_string_append_c(deep, '[');
	assert_refused(deep->str, deep->len, "Profile", MESH_ERROR_TOO_LARGE);
	g_string_free(deep, TRUE);

	/* Size: MESH_JSON_PEEK_MAX bytes are read, one more is refused before anything else. */
	big = g_malloc(MESH_JSON_PEEK_MAX + 2);
	memset(big, ' ', MESH_JSON_PEEK_MAX + 1);
	memcpy(big, "{\"Profile\":\"M\"}", 15);
	big[MESH_JSON_PEEK_MAX + 1] = '\0';
	CU_ASSERT_TRUE(mesh_json_peek_string(big, MESH_JSON_PEEK_MAX, "Profile", &value, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(value, "M");
	assert_refused(big, MESH_JSON_PEEK_MAX + 1, "Profile", MESH_ERROR_TOO_LARGE);
}

/* Messages say what and where, never the text. */
static void
test_messages(void)
{
	const char *text = "{\"Secret\":\"hunter2\",\"Profile\":\"hunter2\" x}";
	GError *error = NULL;
	char *value = NULL;

	CU_ASSERT_FALSE(mesh_json_peek_string(text, strlen(text), "Profile", &value, &error));
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_PTR_NULL(strstr(error->message, "hunter2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "at byte 40"));
	g_clear_error(&error);
	text = "{\"Profile\":7}";
	CU_ASSERT_FALSE(mesh_json_peek_string(text, strlen(text), "Profile", &value, &error));
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "\"Profile\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "string"));
	g_clear_error(&error);
}

/* What json-glib writes (compact and pretty), the peek reads back alike. (Not U+001F: this
 * json-glib writes it raw, which is not JSON, and the peek refuses it.) */
static void
test_json_glib(void)
{
	static const char *const profiles[] = {
	        "MB2G-KZ3C-QX5N-7DVA-TTQR-6F4N-QPXY",
	        "",
	        "quote\" back\\ slash/",
	        "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
	        "ctl\x01\t\n\x7f",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(profiles); i++) {
		for (int pretty = 0; pretty < 2; pretty++) {
			g_autoptr(JsonParser) parser = json_parser_new();
			g_autoptr(JsonGenerator) gen = json_generator_new();
			g_autoptr(JsonNode) root = NULL;
			g_autoptr(JsonNode) strict = NULL;
			g_autofree char *text = NULL;
			g_autofree char *value = NULL;
			JsonObject *obj;
			gsize len = 0;

			CU_ASSERT_TRUE_FATAL(json_parser_load_from_data(parser, account, -1, NULL));
			root = json_node_copy(json_parser_get_root(parser));
			obj = json_node_get_object(root);
			json_object_set_string_member(obj, "Profile", profiles[i]);
			json_generator_set_root(gen, root);
			json_generator_set_pretty(gen, pretty);
			text = json_generator_to_data(gen, &len);
			value = peek(text, "Profile");
			CU_ASSERT_PTR_NOT_NULL_FATAL(value);
			CU_ASSERT_STRING_EQUAL(value, profiles[i]);
			/* And the strict JSON reader agrees on the whole. */
			strict = mesh_json_parse(text, len, MESH_JSON_PEEK_MAX, NULL);
			CU_ASSERT_PTR_NOT_NULL(strict);
		}
	}
}

static CU_TestInfo tests[] = {
        {"peek: top-level strings of real records, escapes, nesting, whitespace", test_accepts},
        {"peek: every refusal (shape, members, numbers, literals, escapes, UTF-8, depth, size)",
         test_refuses},
        {"peek: messages say where, never what", test_messages},
        {"peek: json-glib's output read alike", test_json_glib},
        CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("json-peek", tests);
}
