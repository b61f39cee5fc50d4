/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "cutest.h"
#include "error.h"
#include "text.h"

/* The code of mesh_text_check_display(@text) with generous limits (0: accepted). */
static int
check_code(const char *text)
{
	GError *error = NULL;
	int code = 0;

	if (!mesh_text_check_display("description", text, 256, 64, &error)) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(error);
		code = error->code;
		/* One line, and the refused text is never quoted in it. */
		CU_ASSERT_PTR_NULL(strchr(error->message, '\n'));
		CU_ASSERT_PTR_NULL(strchr(error->message, '\x1b'));
		CU_ASSERT_PTR_NULL(strstr(error->message, "\xe2\x80\xae"));
		g_clear_error(&error);
	} else {
		CU_ASSERT_PTR_NULL(error);
	}
	return code;
}

static void
test_check_accepts(void)
{
	CU_ASSERT_EQUAL(check_code(NULL), 0);
	CU_ASSERT_EQUAL(check_code(""), 0);
	CU_ASSERT_EQUAL(check_code("laptop"), 0);
	CU_ASSERT_EQUAL(check_code("Alice's laptop (work) #2 \\ 100%"), 0);
	CU_ASSERT_EQUAL(check_code("Ordinateur d'Hélène"), 0);
	CU_ASSERT_EQUAL(check_code("ノートパソコン"), 0);
	CU_ASSERT_EQUAL(check_code("حاسوب"), 0); /* right to left, no controls */
	CU_ASSERT_EQUAL(check_code("\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb"), 0); /* ZWJ */
	CU_ASSERT_EQUAL(check_code("\xd9\x85\xe2\x80\x8c\xd9\x86"), 0);                 /* ZWNJ */
	/* 64 characters (128 bytes) is the most a description may have. */
	CU_ASSERT_EQUAL(
		check_code("éééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé"), 0);
}

static void
test_check_refuses(void)
{
	static const char *const bad[] = {
		"fake\rdevice",          /* CR: back to the start of the line */
		"laptop\033[K",          /* ESC [K: erase the line */
		"\033]0;title\007",      /* OSC, BEL */
		"line\nbreak",           /* LF */
		"tab\there",             /* TAB */
		"del\177",               /* DEL */
		"c1 \302\23331m",        /* U+009B CSI */
		"\342\200\256kcatta",    /* U+202E RIGHT-TO-LEFT OVERRIDE */
		"a\342\200\252b",        /* U+202A LRE */
		"a\342\201\246b",        /* U+2066 LRI */
		"a\342\201\251b",        /* U+2069 PDI */
		"a\342\200\216b",        /* U+200E LRM */
		"a\330\234b",            /* U+061C ALM */
		"a\342\200\250b",        /* U+2028 LINE SEPARATOR */
		"a\342\200\251b",        /* U+2029 PARAGRAPH SEPARATOR */
		"zero\342\200\213width", /* U+200B */
		"\357\273\277bom",       /* U+FEFF */
		"soft\302\255hyphen",    /* U+00AD */
		"tag\363\240\201\201",   /* U+E0041 TAG LATIN CAPITAL LETTER A */
		"bad \377 utf-8",        /* not UTF-8 */
		"\300\257",              /* overlong */
		"\355\240\200",          /* surrogate */
		/* 65 characters: one too many */
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		if (check_code(bad[i]) != MESH_ERROR_INVALID_ARGUMENT)
			g_printerr("accepted: bad[%" G_GSIZE_FORMAT "]\n", i);
		CU_ASSERT_EQUAL(check_code(bad[i]), MESH_ERROR_INVALID_ARGUMENT);
	}
	{
		/* The byte limit binds before the character limit. */
		g_autofree char *long_bytes = g_strnfill(257, 'a');
		GError *error = NULL;

		CU_ASSERT_FALSE(mesh_text_check_display("name", long_bytes, 256, 256, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
		long_bytes[256] = '\0';
		CU_ASSERT_TRUE(mesh_text_check_display("name", long_bytes, 256, 256, &error));
		MESH_ASSERT_NO_ERROR(error);
	}
	{
		/* The message names the character and its place. */
		GError *error = NULL;

		CU_ASSERT_FALSE(
			mesh_text_check_display("description", "ab\342\200\256c", 256, 64, &error));
		CU_ASSERT_PTR_NOT_NULL_FATAL(error);
		CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "U+202E"));
		CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "bidirectional"));
		CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "character 3"));
		g_clear_error(&error);
	}
}

/* Every control, format (but ZWNJ and ZWJ) and separator character of GLib's Unicode tables is
 * in the fixed table; letters, digits, marks and spaces are not. */
static void
test_table_against_unicode(void)
{
	gsize missing = 0, wrong = 0;

	for (gunichar c = 0; c <= 0x10FFFF; c++) {
		GUnicodeType t = g_unichar_type(c);
		gboolean must =
			(t == G_UNICODE_CONTROL || t == G_UNICODE_FORMAT ||
			 t == G_UNICODE_LINE_SEPARATOR || t == G_UNICODE_PARAGRAPH_SEPARATOR) &&
			c != 0x200C && c != 0x200D;
		gboolean may_not =
			t == G_UNICODE_LOWERCASE_LETTER || t == G_UNICODE_UPPERCASE_LETTER ||
			t == G_UNICODE_OTHER_LETTER || t == G_UNICODE_DECIMAL_NUMBER ||
			t == G_UNICODE_NON_SPACING_MARK || t == G_UNICODE_SPACE_SEPARATOR ||
			t == G_UNICODE_OTHER_PUNCTUATION;

		if (must && !mesh_text_char_unsafe(c)) {
			g_printerr("U+%04X (type %d) is not refused\n", (guint)c, (int)t);
			missing++;
		}
		if (may_not && mesh_text_char_unsafe(c)) {
			g_printerr("U+%04X (type %d) is refused\n", (guint)c, (int)t);
			wrong++;
		}
	}
	CU_ASSERT_EQUAL(missing, 0);
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_FALSE(mesh_text_char_unsafe(0x200C));
	CU_ASSERT_FALSE(mesh_text_char_unsafe(0x200D));
	CU_ASSERT_FALSE(mesh_text_char_unsafe(' '));
	CU_ASSERT_FALSE(mesh_text_char_unsafe('~'));
	CU_ASSERT_TRUE(mesh_text_char_unsafe(0x7F));
	CU_ASSERT_TRUE(mesh_text_char_unsafe(0));
}

static void
expect_escape(const char *in, const char *want)
{
	g_autofree char *got = mesh_text_escape(in);

	if (g_strcmp0(got, want) != 0)
		g_printerr("escape: got '%s', want '%s'\n", got, want);
	CU_ASSERT_STRING_EQUAL(got, want);
}

static void
test_escape(void)
{
	CU_ASSERT_PTR_NULL(mesh_text_escape(NULL));
	expect_escape("", "");
	expect_escape("laptop", "laptop");
	expect_escape("Ordinateur d'Hélène ノート", "Ordinateur d'Hélène ノート");
	expect_escape("fake\rdevice", "fake\\x0ddevice");
	expect_escape("laptop\x1b[K", "laptop\\x1b[K");
	expect_escape("a\nb\tc\x7f", "a\\x0ab\\x09c\\x7f");
	expect_escape("\342\200\256kcatta", "\\u202ekcatta");
	expect_escape("c1\xc2\x9b", "c1\\u009b");
	expect_escape("tag\xf3\xa0\x81\x81", "tag\\U000e0041");
	/* The backslash itself, so that what is shown is unambiguous. */
	expect_escape("a\\x1b", "a\\\\x1b");
	expect_escape("\\", "\\\\");
	/* Bytes that are not UTF-8, one at a time, and the text after them kept. */
	expect_escape("bad\xff\xfe ok é", "bad\\xff\\xfe ok é");
	expect_escape("cut\xe2\x80", "cut\\xe2\\x80");
	expect_escape("\xc0\xaf", "\\xc0\\xaf");
	expect_escape("\xed\xa0\x80x", "\\xed\\xa0\\x80x");
	/* ZWJ stays (it cannot move the cursor). */
	expect_escape("\xe2\x80\x8d", "\xe2\x80\x8d");
	{
		/* No byte of the output is a control, and no refused character is left: every
		 * byte string of length 1 and 2 over interesting bytes. */
		static const guchar bytes[] = { 0x00, 0x07, 0x0a, 0x0d, 0x1b, 0x5c, 0x41, 0x7f,
						0x80, 0x9b, 0xbf, 0xc2, 0xe2, 0xf0, 0xff };

		for (gsize i = 1; i < G_N_ELEMENTS(bytes); i++) {
			for (gsize j = 0; j < G_N_ELEMENTS(bytes); j++) {
				char in[3] = { (char)bytes[i], (char)bytes[j], '\0' };
				g_autofree char *out = mesh_text_escape(in);
				GError *error = NULL;

				CU_ASSERT_TRUE(
					mesh_text_check_display("escaped", out, 64, 64, &error));
				g_clear_error(&error);
			}
		}
	}
}

static void
test_path_controls(void)
{
	static const char *const refused[] = { "C:\\a\rb", "/home/a\nb", "tab\there",
					       "esc\x1b[K", "del\x7f", "\x01" };
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_text_check_path_controls("MMM_HOME", "", &error));
	CU_ASSERT_TRUE(mesh_text_check_path_controls("MMM_HOME", "/home/alice/.mmm", &error));
	CU_ASSERT_TRUE(mesh_text_check_path_controls("MMM_HOME", "C:\\Users\\Hélène\\Mesh ノート",
						     &error));
	MESH_ASSERT_NO_ERROR(error);
	for (gsize i = 0; i < G_N_ELEMENTS(refused); i++) {
		CU_ASSERT_FALSE(mesh_text_check_path_controls("MMM_HOME", refused[i], &error));
		CU_ASSERT_PTR_NOT_NULL(error != NULL ? strstr(error->message,
							      "MMM_HOME holds a control character")
						     : NULL);
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	}
}

static CU_TestInfo tests[] = {
	{ "display text: accepted", test_check_accepts },
	{ "display text: controls, bidi, invisible, bad UTF-8, too long refused",
	  test_check_refuses },
	{ "display text: the fixed table covers Unicode's controls and formats",
	  test_table_against_unicode },
	{ "escape: controls, bidi, backslash, bad UTF-8", test_escape },
	{ "a path for a start-up command line: controls refused", test_path_controls },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("text", tests);
}
