/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "cutest.h"
#include "error.h"
#include "json.h"
#include "marker.h"

/* Parse @text (NUL-terminated); NULL and the error code in *@ret_code when refused. */
static MeshMarker *
parse(const char *text, int *ret_code)
{
	GError *error = NULL;
	MeshMarker *marker = mesh_marker_parse(text, strlen(text), &error);

	*ret_code = 0;
	if (marker == NULL) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(error);
		CU_ASSERT_EQUAL(error->domain, MESH_ERROR);
		/* One line, and never the refused bytes themselves. */
		CU_ASSERT_PTR_NULL(strchr(error->message, '\n'));
		*ret_code = error->code;
		g_clear_error(&error);
	}
	return marker;
}

static void
test_accepts(void)
{
	static const char *const allowed[] = {"Use", "Algorithm", "Protected", NULL};
	const char *s = NULL;
	gboolean b = TRUE;
	int code;
	g_autoptr(MeshMarker) m = NULL;
	g_autoptr(MeshMarker) spaced = NULL;
	g_autoptr(MeshMarker) escaped = NULL;
	g_autoptr(MeshMarker) empty = NULL;
	GError *error = NULL;

	m = parse("{\"Use\":\"Signature\",\"Algorithm\":\"Ed25519\",\"Protected\":false}", &code);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(mesh_marker_size(m), 3);
	CU_ASSERT_TRUE(mesh_marker_check_members(m, allowed, NULL));
	CU_ASSERT_TRUE(mesh_marker_get_string(m, "Use", &s, NULL));
	CU_ASSERT_STRING_EQUAL(s, "Signature");
	CU_ASSERT_TRUE(mesh_marker_get_boolean(m, "Protected", &b, NULL));
	CU_ASSERT_FALSE(b);
	CU_ASSERT_TRUE(mesh_marker_get_string_opt(m, "Primary", &s, NULL));
	CU_ASSERT_PTR_NULL(s);

	/* Wrong types and missing members are named errors. */
	CU_ASSERT_FALSE(mesh_marker_get_boolean(m, "Use", &b, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	CU_ASSERT_FALSE(mesh_marker_get_string(m, "Protected", &s, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	CU_ASSERT_FALSE(mesh_marker_get_string(m, "Primary", &s, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	CU_ASSERT_FALSE(mesh_marker_check_members(m, allowed + 1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);

	/* JSON whitespace anywhere between tokens. */
	spaced = parse(" \r\n\t{ \"PIN\" :\ttrue ,\n\"Use\" : \"Encryption\" }\n", &code);
	CU_ASSERT_PTR_NOT_NULL_FATAL(spaced);
	CU_ASSERT_TRUE(mesh_marker_get_boolean(spaced, "PIN", &b, NULL));
	CU_ASSERT_TRUE(b);

	/* Escapes: the short ones, \u in the BMP, a surrogate pair, and raw UTF-8. */
	escaped = parse("{\"a\":\"q\\\"b\\\\s\\/\",\"b\":\"\\u00e9\\u20AC\",\"c\":"
	                "\"\\ud83d\\ude00\",\"d\":\"\xc3\xa9\"}",
	                &code);
	CU_ASSERT_PTR_NOT_NULL_FATAL(escaped);
	CU_ASSERT_TRUE(mesh_marker_get_string(escaped, "a", &s, NULL));
	CU_ASSERT_STRING_EQUAL(s, "q\"b\\s/");
	CU_ASSERT_TRUE(mesh_marker_get_string(escaped, "b", &s, NULL));
	CU_ASSERT_STRING_EQUAL(s, "\xc3\xa9\xe2\x82\xac");
	CU_ASSERT_TRUE(mesh_marker_get_string(escaped, "c", &s, NULL));
	CU_ASSERT_STRING_EQUAL(s, "\xf0\x9f\x98\x80");
	CU_ASSERT_TRUE(mesh_marker_get_string(escaped, "d", &s, NULL));
	CU_ASSERT_STRING_EQUAL(s, "\xc3\xa9");

	empty = parse("{}", &code);
	CU_ASSERT_PTR_NOT_NULL_FATAL(empty);
	CU_ASSERT_EQUAL(mesh_marker_size(empty), 0);
}

static void
test_refuses(void)
{
	static const struct {
		const char *text;
		int code;
	} cases[] = {
	        {"", MESH_ERROR_MALFORMED},
	        {"   ", MESH_ERROR_MALFORMED},
	        {"[]", MESH_ERROR_MALFORMED},
	        {"\"Use\"", MESH_ERROR_MALFORMED},
	        {"{", MESH_ERROR_MALFORMED},
	        {"{\"a\"}", MESH_ERROR_MALFORMED},
	        {"{\"a\":}", MESH_ERROR_MALFORMED},
	        {"{\"a\":\"b\",}", MESH_ERROR_MALFORMED},
	        {"{,\"a\":\"b\"}", MESH_ERROR_MALFORMED},
	        {"{\"a\":\"b\" \"c\":\"d\"}", MESH_ERROR_MALFORMED},
	        {"{\"a\":\"b\"}x", MESH_ERROR_MALFORMED},
	        {"{\"a\":\"b\"}{}", MESH_ERROR_MALFORMED},
	        {"{a:\"b\"}", MESH_ERROR_MALFORMED},
	        {"{'a':'b'}", MESH_ERROR_MALFORMED},
	        /* Other value types, and depth: only strings and booleans, one level. */
	        {"{\"a\":1}", MESH_ERROR_MALFORMED},
	        {"{\"a\":-1.5e3}", MESH_ERROR_MALFORMED},
	        {"{\"a\":null}", MESH_ERROR_MALFORMED},
	        {"{\"a\":[]}", MESH_ERROR_MALFORMED},
	        {"{\"a\":{}}", MESH_ERROR_MALFORMED},
	        {"{\"a\":{\"b\":\"c\"}}", MESH_ERROR_MALFORMED},
	        {"{\"a\":True}", MESH_ERROR_MALFORMED},
	        {"{\"a\":truex}", MESH_ERROR_MALFORMED},
	        {"{\"a\":tru}", MESH_ERROR_MALFORMED},
	        /* Duplicates, even when the escapes differ. */
	        {"{\"a\":\"b\",\"a\":\"c\"}", MESH_ERROR_MALFORMED},
	        {"{\"a\":true,\"\\u0061\":false}", MESH_ERROR_MALFORMED},
	        /* Strings: unterminated, controls raw and escaped, bad escapes, surrogates. */
	        {"{\"a\":\"b}", MESH_ERROR_MALFORMED},
	        {"{\"a\":\"b\\", MESH_ERROR_MALFORMED},
	        {"{\"a\":\"b\nc\"}", MESH_ERROR_MALFORMED},
	        {"{\"a\":\"b\tc\"}", MESH_ERROR_MALFORMED},
	        {"{\"a\":\"b\x7f\"}", MESH_ERROR_MALFORMED},
	        {"{\"a\":\"\\n\"}", MESH_ERROR_MALFORMED},
	        {"{\"a\":\"\\u0000\"}", MESH_ERROR_MALFORMED},
	        {"{\"a\":\"\\u001b\"}", MESH_ERROR_MALFORMED},
	        {"{\"a\":\"\\u007F\"}", MESH_ERROR_MALFORMED},
	        {"{\"a\":\"\\x41\"}", MESH_ERROR_MALFORMED},
	        {"{\"a\":\"\\u12\"}", MESH_ERROR_MALFORMED},
	        {"{\"a\":\"\\u12G4\"}", MESH_ERROR_MALFORMED},
	        {"{\"a\":\"\\ud83d\"}", MESH_ERROR_MALFORMED},
	        {"{\"a\":\"\\ud83dx\"}", MESH_ERROR_MALFORMED},
	        {"{\"a\":\"\\ud83d\\u0041\"}", MESH_ERROR_MALFORMED},
	        {"{\"a\":\"\\ude00\"}", MESH_ERROR_MALFORMED},
	        {"{\"a\":\"\\ud83d\\ud83d\"}", MESH_ERROR_MALFORMED},
	        /* Invalid UTF-8: a stray continuation byte, an overlong form, a UTF-8 surrogate. */
	        {"{\"a\":\"\x80\"}", MESH_ERROR_MALFORMED},
	        {"{\"a\":\"\xc0\xaf\"}", MESH_ERROR_MALFORMED},
	        {"{\"a\":\"\xed\xa0\x80\"}", MESH_ERROR_MALFORMED},
	        {"{\"\xff\":\"b\"}", MESH_ERROR_MALFORMED},
	};
	GError *error = NULL;
	g_autoptr(GString) many = g_string_new("{");
	g_autofree char *big = NULL;
	MeshMarker *m;
	int code;

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		m = parse(cases[i].text, &code);
		if (m != NULL || code != cases[i].code)
			g_printerr("case %" G_GSIZE_FORMAT " (%s): code %d\n", i, cases[i].text,
			           code);
		CU_ASSERT_PTR_NULL(m);
		CU_ASSERT_EQUAL(code, cases[i].code);
		mesh_marker_free(m);
	}

	/* A NUL byte inside the length given. */
	CU_ASSERT_PTR_NULL(mesh_marker_parse("{\"a\":\"b\0\"}", 10, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);

	/* More members than MESH_MARKER_MEMBERS_MAX. */
	for (int i = 0; i <= MESH_MARKER_MEMBERS_MAX; i++)
		g_string_append_printf(many, "%s\"m%d\":true", i > 0 ? "," : "", i);
	g_string_append_c(many, '}');
	m = parse(many->str, &code);
	CU_ASSERT_PTR_NULL(m);
	CU_ASSERT_EQUAL(code, MESH_ERROR_TOO_LARGE);

	/* Larger than MESH_MARKER_MAX (refused before it is looked at), and exactly that large. */
	big = g_strnfill(MESH_MARKER_MAX + 1, ' ');
	big[0] = '{';
	big[MESH_MARKER_MAX - 1] = '}';
	CU_ASSERT_PTR_NULL(mesh_marker_parse(big, MESH_MARKER_MAX + 1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	m = mesh_marker_parse(big, MESH_MARKER_MAX, &error);
	MESH_ASSERT_NO_ERROR(error);
	mesh_marker_free(m);
}

static void
test_round_trip(void)
{
	g_autoptr(MeshMarker) m = mesh_marker_new();
	g_autoptr(MeshMarker) back = NULL;
	g_autofree char *text = NULL;
	g_autofree char *again = NULL;
	const char *s = NULL;
	gboolean b = FALSE;

	mesh_marker_set_string(m, "Use", "Signature");
	mesh_marker_set_boolean(m, "PIN", FALSE);
	mesh_marker_set_string(m, "Odd", "q\"b\\s/\xc3\xa9\xf0\x9f\x98\x80");
	mesh_marker_set_boolean(m, "PIN", TRUE); /* replaced in its place */
	text = mesh_marker_to_text(m);
	CU_ASSERT_STRING_EQUAL(text, "{\"Use\":\"Signature\",\"PIN\":true,"
	                             "\"Odd\":\"q\\\"b\\\\s/\xc3\xa9\xf0\x9f\x98\x80\"}");
	back = mesh_marker_parse(text, strlen(text), NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	CU_ASSERT_TRUE(mesh_marker_get_string(back, "Odd", &s, NULL));
	CU_ASSERT_STRING_EQUAL(s, "q\"b\\s/\xc3\xa9\xf0\x9f\x98\x80");
	CU_ASSERT_TRUE(mesh_marker_get_boolean(back, "PIN", &b, NULL));
	CU_ASSERT_TRUE(b);
	again = mesh_marker_to_text(back);
	CU_ASSERT_STRING_EQUAL(again, text);
}

/* The bytes json-glib's generator wrote for the markers the stores made before this reader. */
static char *
json_glib_marker(const char *first, ...)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	va_list ap;

	json_builder_begin_object(b);
	va_start(ap, first);
	for (const char *name = first; name != NULL; name = va_arg(ap, const char *)) {
		const char *value = va_arg(ap, const char *);

		json_builder_set_member_name(b, name);
		if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0)
			json_builder_add_boolean_value(b, strcmp(value, "true") == 0);
		else
			json_builder_add_string_value(b, value);
	}
	va_end(ap);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	return mesh_json_to_string(root);
}

static void
test_json_glib(void)
{
	static const char odd[] = "q\"b\\s/\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
	g_autofree char *file = json_glib_marker("Use", "Signature", "Algorithm", "Ed25519",
	                                         "Protected", "false", NULL);
	g_autofree char *tpm = json_glib_marker("Use", "Authentication", "Algorithm", "P-256",
	                                        "PIN", "true", "Primary", "000B0123ABCD", NULL);
	g_autofree char *strange = json_glib_marker("Odd", odd, "Name \xc3\xa9", "x", NULL);
	g_autoptr(MeshMarker) m = mesh_marker_new();
	g_autoptr(MeshMarker) t = mesh_marker_new();
	g_autoptr(MeshMarker) o = mesh_marker_new();
	g_autofree char *mine = NULL;
	g_autofree char *mine_tpm = NULL;
	g_autofree char *mine_odd = NULL;
	g_autoptr(MeshMarker) read = NULL;
	g_autoptr(MeshMarker) read_tpm = NULL;
	g_autoptr(MeshMarker) read_odd = NULL;
	g_autoptr(JsonNode) old_reader = NULL;
	const char *s = NULL;
	gboolean b = TRUE;

	/* The writer: byte for byte what json-glib wrote. */
	mesh_marker_set_string(m, "Use", "Signature");
	mesh_marker_set_string(m, "Algorithm", "Ed25519");
	mesh_marker_set_boolean(m, "Protected", FALSE);
	mine = mesh_marker_to_text(m);
	CU_ASSERT_STRING_EQUAL(mine, file);
	mesh_marker_set_string(t, "Use", "Authentication");
	mesh_marker_set_string(t, "Algorithm", "P-256");
	mesh_marker_set_boolean(t, "PIN", TRUE);
	mesh_marker_set_string(t, "Primary", "000B0123ABCD");
	mine_tpm = mesh_marker_to_text(t);
	CU_ASSERT_STRING_EQUAL(mine_tpm, tpm);
	mesh_marker_set_string(o, "Odd", odd);
	mesh_marker_set_string(o, "Name \xc3\xa9", "x");
	mine_odd = mesh_marker_to_text(o);
	CU_ASSERT_STRING_EQUAL(mine_odd, strange);

	/* The reader: json-glib's markers read back. */
	read = mesh_marker_parse(file, strlen(file), NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(read);
	CU_ASSERT_TRUE(mesh_marker_get_string(read, "Algorithm", &s, NULL));
	CU_ASSERT_STRING_EQUAL(s, "Ed25519");
	CU_ASSERT_TRUE(mesh_marker_get_boolean(read, "Protected", &b, NULL));
	CU_ASSERT_FALSE(b);
	read_tpm = mesh_marker_parse(tpm, strlen(tpm), NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(read_tpm);
	CU_ASSERT_TRUE(mesh_marker_get_string(read_tpm, "Primary", &s, NULL));
	CU_ASSERT_STRING_EQUAL(s, "000B0123ABCD");
	read_odd = mesh_marker_parse(strange, strlen(strange), NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(read_odd);
	CU_ASSERT_TRUE(mesh_marker_get_string(read_odd, "Odd", &s, NULL));
	CU_ASSERT_STRING_EQUAL(s, odd);

	/* And what the writer makes, the strict JSON reader (an old build's) reads. */
	old_reader = mesh_json_parse(mine_odd, strlen(mine_odd), MESH_MARKER_MAX, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(old_reader);
	CU_ASSERT_STRING_EQUAL(
	        json_object_get_string_member(json_node_get_object(old_reader), "Odd"), odd);
}

static CU_TestInfo tests[] = {
        {"parse: flat objects, whitespace, escapes, surrogate pairs", test_accepts},
        {"parse: every refusal (shape, types, depth, duplicates, controls, UTF-8, size)",
         test_refuses},
        {"write then read: the same members and bytes", test_round_trip},
        {"json-glib: its markers read, and the same bytes written", test_json_glib},
        CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("marker", tests);
}
