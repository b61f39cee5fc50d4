/* SPDX-License-Identifier: MIT */
#include "json-peek.h"

#include <string.h>

#include "error.h"

/* The text being read: every access goes through p < end. */
typedef struct {
	const char *p;
	const char *end;
	const char *start;
} Scan;

static gboolean
fail(const Scan *s, GError **error, const char *what)
{
	g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
	            "not a well-formed JSON object: %s at byte %" G_GSIZE_FORMAT, what,
	            (gsize)(s->p - s->start));
	return FALSE;
}

static void
skip_space(Scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* The next byte, or 0 at the end (the text holds no NUL: it was validated). */
static char
peek(const Scan *s)
{
	return s->p < s->end ? *s->p : '\0';
}

/* Four hex digits at s->p. */
static gboolean
read_hex4(Scan *s, gunichar *ret)
{
	gunichar v = 0;

	if (s->end - s->p < 4)
		return FALSE;
	for (int i = 0; i < 4; i++) {
		int d = g_ascii_xdigit_value(s->p[i]);

		if (d < 0)
			return FALSE;
		v = v << 4 | (gunichar)d;
	}
	s->p += 4;
	*ret = v;
	return TRUE;
}

/* The character of a \u escape (s->p after the 'u'), a surrogate pair joined. */
static gboolean
read_unicode_escape(Scan *s, gunichar *ret, GError **error)
{
	gunichar c, low;

	if (!read_hex4(s, &c))
		return fail(s, error, "a \\u escape without four hex digits");
	if (c == 0)
		return fail(s, error, "an escaped NUL");
	if (c >= 0xdc00 && c <= 0xdfff)
		return fail(s, error, "a lone low surrogate");
	if (c >= 0xd800 && c <= 0xdbff) {
		if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u')
			return fail(s, error, "a high surrogate without its low surrogate");
		s->p += 2;
		if (!read_hex4(s, &low) || low < 0xdc00 || low > 0xdfff)
			return fail(s, error, "a high surrogate without its low surrogate");
		c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
	}
	*ret = c;
	return TRUE;
}

/* A string (s->p at its '"'), decoded into @out when it is not NULL, else only checked. */
static gboolean
scan_string(Scan *s, GString *out, GError **error)
{
	const char *run;

	if (peek(s) != '"')
		return fail(s, error, "a string was expected");
	s->p++;
	for (;;) {
		gunichar u;
		char c;

		/* A run of plain bytes, copied whole (the text is valid UTF-8 already). */
		run = s->p;
		while (s->p < s->end && *s->p != '"' && *s->p != '\\' && (guchar)*s->p >= 0x20)
			s->p++;
		if (out != NULL)
			g_string_append_len(out, run, s->p - run);
		if (s->p >= s->end)
			return fail(s, error, "an unterminated string");
		c = *s->p;
		if (c == '"') {
			s->p++;
			return TRUE;
		}
		if (c != '\\')
			return fail(s, error, "a control character in a string");
		if (s->end - s->p < 2)
			return fail(s, error, "an unterminated escape");
		s->p += 2;
		switch (s->p[-1]) {
		case '"':
		case '\\':
		case '/':
			u = (gunichar)s->p[-1];
			break;
		case 'b':
			u = '\b';
			break;
		case 'f':
			u = '\f';
			break;
		case 'n':
			u = '\n';
			break;
		case 'r':
			u = '\r';
			break;
		case 't':
			u = '\t';
			break;
		case 'u':
			if (!read_unicode_escape(s, &u, error))
				return FALSE;
			break;
		default:
			s->p -= 1;
			return fail(s, error, "an unknown escape");
		}
		if (out != NULL)
			g_string_append_unichar(out, u);
	}
}

/* Digits, at least one. */
static gboolean
scan_digits(Scan *s)
{
	const char *from = s->p;

	while (g_ascii_isdigit(peek(s)))
		s->p++;
	return s->p > from;
}

/* A number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static gboolean
scan_number(Scan *s, GError **error)
{
	if (peek(s) == '-')
		s->p++;
	if (peek(s) == '0')
		s->p++;
	else if (!scan_digits(s))
		return fail(s, error, "a number without digits");
	if (peek(s) == '.') {
		s->p++;
		if (!scan_digits(s))
			return fail(s, error, "a number without digits after '.'");
	}
	if (peek(s) == 'e' || peek(s) == 'E') {
		s->p++;
		if (peek(s) == '+' || peek(s) == '-')
			s->p++;
		if (!scan_digits(s))
			return fail(s, error, "a number without digits in its exponent");
	}
	return TRUE;
}

static gboolean
scan_word(Scan *s, const char *word, GError **error)
{
	gsize n = strlen(word);

	if ((gsize)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return fail(s, error, "a value was expected");
	s->p += n;
	return TRUE;
}

static gboolean scan_value(Scan *s, guint depth, GError **error);

/* An object or array (s->p at its '{' or '['), at nesting level @depth (the top is 1). At the
 * top level, the string member @name is decoded into *@found (NULL below the top). */
static gboolean
scan_container(Scan *s, guint depth, const char *name, GString **found, GError **error)
{
	gboolean object = peek(s) == '{';
	char close = object ? '}' : ']';

	if (depth > MESH_JSON_PEEK_DEPTH) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
		            "JSON nested deeper than %d levels at byte %" G_GSIZE_FORMAT,
		            MESH_JSON_PEEK_DEPTH, (gsize)(s->p - s->start));
		return FALSE;
	}
	s->p++;
	skip_space(s);
	if (peek(s) == close) {
		s->p++;
		return TRUE;
	}
	for (;;) {
		if (object) {
			g_autoptr(GString) key = g_string_new(NULL);
			gboolean wanted;

			if (!scan_string(s, key, error))
				return FALSE;
			/* No key holds a NUL (refused above): strcmp sees all of it. */
			wanted = name != NULL && strcmp(key->str, name) == 0;
			skip_space(s);
			if (peek(s) != ':')
				return fail(s, error, "':' was expected");
			s->p++;
			skip_space(s);
			if (wanted) {
				if (*found != NULL) {
					g_autofree char *quoted = mesh_error_quote(name);

					g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
					            "not a well-formed JSON object: member \"%s\" "
					            "appears twice",
					            quoted);
					return FALSE;
				}
				if (peek(s) != '"')
					return mesh_error_member(error, name, "a string");
				*found = g_string_new(NULL);
				if (!scan_string(s, *found, error))
					return FALSE;
			} else if (!scan_value(s, depth, error)) {
				return FALSE;
			}
		} else if (!scan_value(s, depth, error)) {
			return FALSE;
		}
		skip_space(s);
		if (peek(s) == close) {
			s->p++;
			return TRUE;
		}
		if (peek(s) != ',')
			return fail(s, error,
			            object ? "',' or '}' was expected" : "',' or ']' was expected");
		s->p++;
		skip_space(s);
	}
}

/* Any value (s->p at its first byte), inside a container at level @depth. */
static gboolean
scan_value(Scan *s, guint depth, GError **error)
{
	switch (peek(s)) {
	case '{':
	case '[':
		return scan_container(s, depth + 1, NULL, NULL, error);
	case '"':
		return scan_string(s, NULL, error);
	case 't':
		return scan_word(s, "true", error);
	case 'f':
		return scan_word(s, "false", error);
	case 'n':
		return scan_word(s, "null", error);
	default:
		if (peek(s) == '-' || g_ascii_isdigit(peek(s)))
			return scan_number(s, error);
		return fail(s, error, "a value was expected");
	}
}

gboolean
mesh_json_peek_string(const char *text, gsize len, const char *name, char **ret_value,
                      GError **error)
{
	g_autoptr(GString) found = NULL;
	Scan s = {text, text + len, text};

	g_return_val_if_fail(name != NULL && g_utf8_validate(name, -1, NULL), FALSE);
	if (len > MESH_JSON_PEEK_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
		            "JSON text of %" G_GSIZE_FORMAT " bytes is larger than %d", len,
		            MESH_JSON_PEEK_MAX);
		return FALSE;
	}
	/* Also refuses a NUL byte: every string copied below is UTF-8 without NUL. */
	if (len == 0 || !g_utf8_validate_len(text, len, NULL)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		            len == 0
		                    ? "not a well-formed JSON object: empty text"
		                    : "not a well-formed JSON object: not valid UTF-8 without NUL");
		return FALSE;
	}
	skip_space(&s);
	if (peek(&s) != '{')
		return fail(&s, error, "'{' was expected");
	if (!scan_container(&s, 1, name, &found, error))
		return FALSE;
	skip_space(&s);
	if (s.p != s.end)
		return fail(&s, error, "bytes after the object");
	*ret_value = found != NULL ? g_string_free(g_steal_pointer(&found), FALSE) : NULL;
	return TRUE;
}
