/* SPDX-License-Identifier: MIT */
#include "text.h"

#include <string.h>

#include "error.h"

typedef struct {
	gunichar first, last;
	const char *kind; /* for messages */
} Range;

#define CONTROL   "a control character"
#define BREAK     "a line or paragraph separator"
#define BIDI      "a bidirectional formatting character"
#define INVISIBLE "an invisible formatting character"

/* The code points a display string may not hold (text.h), in order. */
static const Range unsafe[] = {
	{ 0x0000, 0x001F, CONTROL },     /* C0, TAB, LF and CR included */
	{ 0x007F, 0x009F, CONTROL },     /* DEL, C1 */
	{ 0x00AD, 0x00AD, INVISIBLE },   /* soft hyphen */
	{ 0x0600, 0x0605, INVISIBLE },   /* Arabic number signs */
	{ 0x061C, 0x061C, BIDI },        /* ARABIC LETTER MARK */
	{ 0x06DD, 0x06DD, INVISIBLE },   /* Arabic end of ayah */
	{ 0x070F, 0x070F, INVISIBLE },   /* Syriac abbreviation mark */
	{ 0x0890, 0x0891, INVISIBLE },   /* Arabic pound and piastre marks */
	{ 0x08E2, 0x08E2, INVISIBLE },   /* Arabic disputed end of ayah */
	{ 0x180E, 0x180E, INVISIBLE },   /* Mongolian vowel separator */
	{ 0x200B, 0x200B, INVISIBLE },   /* zero width space */
	{ 0x200E, 0x200F, BIDI },        /* LRM, RLM */
	{ 0x2028, 0x2029, BREAK },       /* line and paragraph separators */
	{ 0x202A, 0x202E, BIDI },        /* LRE, RLE, PDF, LRO, RLO */
	{ 0x2060, 0x2064, INVISIBLE },   /* word joiner, invisible operators */
	{ 0x2066, 0x206F, BIDI },        /* LRI, RLI, FSI, PDI, deprecated formats */
	{ 0xFEFF, 0xFEFF, INVISIBLE },   /* zero width no-break space (BOM) */
	{ 0xFFF9, 0xFFFB, INVISIBLE },   /* interlinear annotation */
	{ 0x110BD, 0x110BD, INVISIBLE }, /* Kaithi number sign */
	{ 0x110CD, 0x110CD, INVISIBLE }, /* Kaithi number sign above */
	{ 0x13430, 0x1343F, INVISIBLE }, /* Egyptian hieroglyph format controls */
	{ 0x1BCA0, 0x1BCA3, INVISIBLE }, /* shorthand format controls */
	{ 0x1D173, 0x1D17A, INVISIBLE }, /* musical symbol format controls */
	{ 0xE0001, 0xE0001, INVISIBLE }, /* language tag */
	{ 0xE0020, 0xE007F, INVISIBLE }, /* tags */
};

/* The range that holds @c, or NULL. */
static const Range *
unsafe_range(gunichar c)
{
	gsize lo = 0, hi = G_N_ELEMENTS(unsafe);

	while (lo < hi) {
		gsize mid = lo + (hi - lo) / 2;

		if (c < unsafe[mid].first)
			hi = mid;
		else if (c > unsafe[mid].last)
			lo = mid + 1;
		else
			return &unsafe[mid];
	}
	return NULL;
}

gboolean
mesh_text_char_unsafe(gunichar c)
{
	return unsafe_range(c) != NULL;
}

gboolean
mesh_text_check_display(const char *what, const char *text, gsize max_bytes, gsize max_chars,
			GError **error)
{
	gsize len, chars = 0;

	if (text == NULL)
		return TRUE;
	len = strnlen(text, max_bytes + 1);
	if (len > max_bytes) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the %s is longer than %" G_GSIZE_FORMAT " bytes", what, max_bytes);
		return FALSE;
	}
	if (!g_utf8_validate(text, (gssize)len, NULL)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the %s is not UTF-8 text", what);
		return FALSE;
	}
	for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		const Range *r = unsafe_range(c);

		chars++;
		if (r != NULL) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
				    "the %s holds U+%04X, %s, at character %" G_GSIZE_FORMAT
				    ": only printable text is accepted",
				    what, (guint)c, r->kind, chars);
			return FALSE;
		}
	}
	if (chars > max_chars) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the %s is %" G_GSIZE_FORMAT
			    " characters long: at most %" G_GSIZE_FORMAT " are accepted",
			    what, chars, max_chars);
		return FALSE;
	}
	return TRUE;
}

char *
mesh_text_escape(const char *text)
{
	GString *out;
	const char *p;
	gsize left;

	if (text == NULL)
		return NULL;
	left = strlen(text);
	out = g_string_sized_new(left + 1);
	for (p = text; left > 0;) {
		guchar b = (guchar)*p;
		gunichar c;
		gsize n;

		if (b < 0x80) {
			if (b == '\\')
				g_string_append(out, "\\\\");
			else if (mesh_text_char_unsafe(b))
				g_string_append_printf(out, "\\x%02x", b);
			else
				g_string_append_c(out, (char)b);
			p++;
			left--;
			continue;
		}
		c = g_utf8_get_char_validated(p, (gssize)left);
		if (c == (gunichar)-1 || c == (gunichar)-2) {
			/* Not UTF-8: the byte alone, and go on with the next one. */
			g_string_append_printf(out, "\\x%02x", b);
			p++;
			left--;
			continue;
		}
		n = (gsize)(g_utf8_next_char(p) - p);
		if (mesh_text_char_unsafe(c))
			g_string_append_printf(out, c > 0xFFFF ? "\\U%08x" : "\\u%04x", (guint)c);
		else
			g_string_append_len(out, p, (gssize)n);
		p += n;
		left -= n;
	}
	return g_string_free(out, FALSE);
}

gboolean
mesh_text_check_path_controls(const char *what, const char *text, GError **error)
{
	for (const char *p = text; *p != '\0'; p++) {
		if ((guchar)*p < 0x20 || *p == 0x7f) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
				    "%s holds a control character: use a plainer path", what);
			return FALSE;
		}
	}
	return TRUE;
}
