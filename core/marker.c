/* SPDX-License-Identifier: MIT */
#include "marker.h"

#include <string.h>

#include "error.h"

typedef struct {
	char *name;
	char *string; /* NULL for a boolean */
	gboolean boolean;
} Member;

struct MeshMarker {
	Member members[MESH_MARKER_MEMBERS_MAX];
	guint n;
};

MeshMarker *
mesh_marker_new(void)
{
	return g_new0(MeshMarker, 1);
}

void
mesh_marker_free(MeshMarker *marker)
{
	if (marker == NULL)
		return;
	for (guint i = 0; i < marker->n; i++) {
		g_free(marker->members[i].name);
		g_free(marker->members[i].string);
	}
	g_free(marker);
}

guint
mesh_marker_size(const MeshMarker *marker)
{
	return marker->n;
}

static Member *
find(const MeshMarker *marker, const char *name, gsize name_len)
{
	for (guint i = 0; i < marker->n; i++) {
		const Member *m = &marker->members[i];

		if (strlen(m->name) == name_len && memcmp(m->name, name, name_len) == 0)
			return (Member *)m;
	}
	return NULL;
}

/* Text a marker may hold: UTF-8 without C0 controls or DEL. */
static gboolean
clean_text(const char *s)
{
	if (s == NULL || !g_utf8_validate(s, -1, NULL))
		return FALSE;
	for (; *s != '\0'; s++) {
		if ((guchar)*s < 0x20 || *s == 0x7f)
			return FALSE;
	}
	return TRUE;
}

/* The member @name to set: the existing one, or a new one at the end; NULL when full. */
static Member *
member_for_set(MeshMarker *marker, const char *name)
{
	Member *m = find(marker, name, strlen(name));

	if (m != NULL) {
		g_clear_pointer(&m->string, g_free);
		return m;
	}
	g_return_val_if_fail(marker->n < MESH_MARKER_MEMBERS_MAX, NULL);
	m = &marker->members[marker->n++];
	m->name = g_strdup(name);
	return m;
}

void
mesh_marker_set_string(MeshMarker *marker, const char *name, const char *value)
{
	Member *m;

	g_return_if_fail(clean_text(name) && clean_text(value));
	m = member_for_set(marker, name);
	if (m != NULL)
		m->string = g_strdup(value);
}

void
mesh_marker_set_boolean(MeshMarker *marker, const char *name, gboolean value)
{
	Member *m;

	g_return_if_fail(clean_text(name));
	m = member_for_set(marker, name);
	if (m != NULL)
		m->boolean = value;
}

/* A JSON string as json-glib's generator writes it: '"' and '\' escaped, UTF-8 as is (the
 * setters let no control character in). */
static void
put_string(GString *out, const char *s)
{
	g_string_append_c(out, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			g_string_append_c(out, '\\');
		g_string_append_c(out, *s);
	}
	g_string_append_c(out, '"');
}

char *
mesh_marker_to_text(const MeshMarker *marker)
{
	GString *out = g_string_new("{");

	for (guint i = 0; i < marker->n; i++) {
		const Member *m = &marker->members[i];

		if (i > 0)
			g_string_append_c(out, ',');
		put_string(out, m->name);
		g_string_append_c(out, ':');
		if (m->string != NULL)
			put_string(out, m->string);
		else
			g_string_append(out, m->boolean ? "true" : "false");
	}
	g_string_append_c(out, '}');
	return g_string_free(out, FALSE);
}

/* ---- Reading -------------------------------------------------------------------------------- */

typedef struct {
	const char *p;
	const char *end;
	const char *start;
} Reader;

static gboolean
fail(const Reader *r, GError **error, const char *what)
{
	g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
	            "not a key store marker: %s at byte %" G_GSIZE_FORMAT
	            " (a marker is one flat JSON object of string and boolean members)",
	            what, (gsize)(r->p - r->start));
	return FALSE;
}

static void
skip_space(Reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static gboolean
expect(Reader *r, char c)
{
	skip_space(r);
	if (r->p >= r->end || *r->p != c)
		return FALSE;
	r->p++;
	return TRUE;
}

/* Four hex digits of a \u escape. */
static gboolean
read_hex4(Reader *r, gunichar *ret)
{
	gunichar v = 0;

	if (r->end - r->p < 4)
		return FALSE;
	for (int i = 0; i < 4; i++) {
		int d = g_ascii_xdigit_value(r->p[i]);

		if (d < 0)
			return FALSE;
		v = v << 4 | (gunichar)d;
	}
	r->p += 4;
	*ret = v;
	return TRUE;
}

/* The character of a \u escape (r->p after the 'u'), joining a surrogate pair. */
static gboolean
read_unicode_escape(Reader *r, gunichar *ret, GError **error)
{
	gunichar c, low;

	if (!read_hex4(r, &c))
		return fail(r, error, "a \\u escape without four hex digits");
	if (c >= 0xdc00 && c <= 0xdfff)
		return fail(r, error, "a lone low surrogate");
	if (c >= 0xd800 && c <= 0xdbff) {
		if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u')
			return fail(r, error, "a high surrogate without its low surrogate");
		r->p += 2;
		if (!read_hex4(r, &low) || low < 0xdc00 || low > 0xdfff)
			return fail(r, error, "a high surrogate without its low surrogate");
		c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
	}
	*ret = c;
	return TRUE;
}

/* A JSON string (r->p at its '"') into a new NUL-terminated string. */
static char *
read_string(Reader *r, GError **error)
{
	g_autoptr(GString) out = g_string_new(NULL);

	if (!expect(r, '"')) {
		fail(r, error, "a string was expected");
		return NULL;
	}
	for (;;) {
		guchar c;
		gunichar u;

		if (r->p >= r->end) {
			fail(r, error, "an unterminated string");
			return NULL;
		}
		c = (guchar)*r->p;
		if (c == '"') {
			r->p++;
			return g_string_free(g_steal_pointer(&out), FALSE);
		}
		if (c < 0x20 || c == 0x7f) {
			fail(r, error, "a control character");
			return NULL;
		}
		if (c != '\\') {
			/* The whole text is valid UTF-8 already: copy the byte. */
			g_string_append_c(out, (char)c);
			r->p++;
			continue;
		}
		if (r->end - r->p < 2) {
			fail(r, error, "an unterminated escape");
			return NULL;
		}
		r->p += 2;
		switch (r->p[-1]) {
		case '"':
		case '\\':
		case '/':
			g_string_append_c(out, r->p[-1]);
			continue;
		case 'u':
			if (!read_unicode_escape(r, &u, error))
				return NULL;
			if (u < 0x20 || u == 0x7f) {
				fail(r, error, "an escaped control character");
				return NULL;
			}
			g_string_append_unichar(out, u);
			continue;
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			fail(r, error, "an escaped control character");
			return NULL;
		default:
			fail(r, error, "an unknown escape");
			return NULL;
		}
	}
}

/* The literal @word at r->p. */
static gboolean
read_word(Reader *r, const char *word)
{
	gsize n = strlen(word);

	if ((gsize)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
		return FALSE;
	r->p += n;
	return TRUE;
}

/* One member "name": value, added to @marker. */
static gboolean
read_member(Reader *r, MeshMarker *marker, GError **error)
{
	g_autofree char *name = NULL;
	Member *m;

	name = read_string(r, error);
	if (name == NULL)
		return FALSE;
	if (find(marker, name, strlen(name)) != NULL) {
		g_autofree char *quoted = mesh_error_quote(name);

		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		            "not a key store marker: member \"%s\" appears twice", quoted);
		return FALSE;
	}
	if (marker->n == MESH_MARKER_MEMBERS_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
		            "not a key store marker: more than %d members",
		            MESH_MARKER_MEMBERS_MAX);
		return FALSE;
	}
	if (!expect(r, ':'))
		return fail(r, error, "':' was expected");
	skip_space(r);
	m = &marker->members[marker->n];
	if (r->p < r->end && *r->p == '"') {
		m->string = read_string(r, error);
		if (m->string == NULL)
			return FALSE;
	} else if (read_word(r, "true")) {
		m->boolean = TRUE;
	} else if (!read_word(r, "false")) {
		return fail(r, error, "a value other than a string, true or false");
	}
	m->name = g_steal_pointer(&name);
	marker->n++;
	return TRUE;
}

MeshMarker *
mesh_marker_parse(const char *text, gsize len, GError **error)
{
	g_autoptr(MeshMarker) marker = NULL;
	Reader r = {text, text + len, text};

	if (len > MESH_MARKER_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
		            "a key store marker of %" G_GSIZE_FORMAT " bytes is larger than %d",
		            len, MESH_MARKER_MAX);
		return NULL;
	}
	if (!g_utf8_validate_len(text, len, NULL)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		            "not a key store marker: it is not valid UTF-8");
		return NULL;
	}
	marker = mesh_marker_new();
	if (!expect(&r, '{')) {
		fail(&r, error, "'{' was expected");
		return NULL;
	}
	skip_space(&r);
	if (r.p < r.end && *r.p == '}') {
		r.p++;
	} else {
		do {
			if (!read_member(&r, marker, error))
				return NULL;
		} while (expect(&r, ','));
		if (!expect(&r, '}')) {
			fail(&r, error, "',' or '}' was expected");
			return NULL;
		}
	}
	skip_space(&r);
	if (r.p != r.end) {
		fail(&r, error, "bytes after the object");
		return NULL;
	}
	return g_steal_pointer(&marker);
}

/* ---- Members ----------------------------------------------------------------------------------
 */

gboolean
mesh_marker_check_members(const MeshMarker *marker, const char *const *allowed, GError **error)
{
	for (guint i = 0; i < marker->n; i++) {
		const char *name = marker->members[i].name;

		if (!g_strv_contains(allowed, name)) {
			g_autofree char *quoted = mesh_error_quote(name);

			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			            "unexpected member \"%s\"", quoted);
			return FALSE;
		}
	}
	return TRUE;
}

static const Member *
get(const MeshMarker *marker, const char *name, gboolean optional, GError **error)
{
	const Member *m = find(marker, name, strlen(name));

	if (m == NULL && !optional)
		mesh_error_member(error, name, NULL);
	return m;
}

static gboolean
get_string(const MeshMarker *marker, const char *name, gboolean optional, const char **ret,
           GError **error)
{
	const Member *m = get(marker, name, optional, error);

	*ret = NULL;
	if (m == NULL)
		return optional;
	if (m->string == NULL)
		return mesh_error_member(error, name, "a string");
	*ret = m->string;
	return TRUE;
}

gboolean
mesh_marker_get_string(const MeshMarker *marker, const char *name, const char **ret, GError **error)
{
	return get_string(marker, name, FALSE, ret, error);
}

gboolean
mesh_marker_get_string_opt(const MeshMarker *marker, const char *name, const char **ret,
                           GError **error)
{
	return get_string(marker, name, TRUE, ret, error);
}

gboolean
mesh_marker_get_boolean(const MeshMarker *marker, const char *name, gboolean *ret, GError **error)
{
	const Member *m = get(marker, name, FALSE, error);

	if (m == NULL)
		return FALSE;
	if (m->string != NULL)
		return mesh_error_member(error, name, "true or false");
	*ret = m->boolean;
	return TRUE;
}
