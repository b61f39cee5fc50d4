/* SPDX-License-Identifier: MIT */
#include "http-parse.h"

#include <string.h>

/* Longest Content-Length in digits: 18 stay below 2^63. */
#define MAX_LENGTH_DIGITS 18
/* Largest chunk size: far beyond any limit, and no overflow while reading one more digit. */
#define MAX_CHUNK ((guint64)1 << 60)

/* RFC 9110 §5.6.2 tchar. */
static gboolean
is_tchar(guint8 c)
{
	return g_ascii_isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static gboolean
is_token(const char *s, gsize len)
{
	if (len == 0)
		return FALSE;
	for (gsize i = 0; i < len; i++)
		if (!is_tchar((guint8)s[i]))
			return FALSE;
	return TRUE;
}

static gboolean
same(const char *s, gsize len, const char *lower)
{
	return strlen(lower) == len && g_ascii_strncasecmp(s, lower, len) == 0;
}

static void
trim(const char **s, gsize *len)
{
	while (*len > 0 && ((*s)[0] == ' ' || (*s)[0] == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

/*
 * The next line of [*@pos, @end) into @line/@len, its end (LF, or CRLF) not included; *@pos
 * moves past it. FALSE when the line holds a control character other than HTAB (a bare CR,
 * NUL, DEL...). The caller knows there is an LF before @end.
 */
static gboolean
next_line(const guint8 *data, gsize *pos, gsize end, const char **line, gsize *len)
{
	const guint8 *start = data + *pos;
	const guint8 *lf = memchr(start, '\n', end - *pos);
	gsize n = (gsize)(lf - start);

	*pos += n + 1;
	if (n > 0 && start[n - 1] == '\r')
		n--;
	for (gsize i = 0; i < n; i++)
		if ((start[i] < 0x20 && start[i] != '\t') || start[i] == 0x7f)
			return FALSE;
	*line = (const char *)start;
	*len = n;
	return TRUE;
}

/* The end of the head: the offset just past its empty line, or 0 when none is in [@pos, @len). */
static gsize
head_end(const guint8 *data, gsize pos, gsize len)
{
	for (gsize i = pos; i < len; i++) {
		if (data[i] != '\n')
			continue;
		if (i + 1 < len && data[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && data[i + 1] == '\r' && data[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* The path of a request-target: origin-form up to '?', the path of absolute-form ("/" when it
 * has none), anything else as it is (it matches no resource). */
static void
target_path(MeshHttpHead *head)
{
	const char *t = head->target;
	gsize n = head->target_len, skip = 0, end;
	const char *slash;

	if (n >= 7 && g_ascii_strncasecmp(t, "http://", 7) == 0)
		skip = 7;
	else if (n >= 8 && g_ascii_strncasecmp(t, "https://", 8) == 0)
		skip = 8;
	if (skip > 0) {
		/* The authority ends at the first '/', '?' or '#' (RFC 3986 §3.2). */
		for (slash = t + skip; slash < t + n && *slash != '/' && *slash != '?' && *slash != '#';
		     slash++)
			;
		if (slash == t + n || *slash != '/') {
			head->path = "/";
			head->path_len = 1;
			return;
		}
		n -= (gsize)(slash - t);
		t = slash;
	} else if (n == 0 || t[0] != '/') {
		head->path = t;
		head->path_len = n;
		return;
	}
	for (end = 0; end < n && t[end] != '?' && t[end] != '#'; end++)
		;
	head->path = t;
	head->path_len = end;
}

/* "METHOD SP target SP HTTP/1.x" */
static MeshHttpParse
request_line(const char *line, gsize len, MeshHttpHead *head)
{
	const char *sp1 = memchr(line, ' ', len);
	const char *sp2, *version;

	if (sp1 == NULL)
		return MESH_HTTP_BAD;
	head->method = line;
	head->method_len = (gsize)(sp1 - line);
	head->target = sp1 + 1;
	sp2 = memchr(head->target, ' ', len - head->method_len - 1);
	if (sp2 == NULL || !is_token(head->method, head->method_len))
		return MESH_HTTP_BAD;
	head->target_len = (gsize)(sp2 - head->target);
	if (head->target_len == 0)
		return MESH_HTTP_BAD;
	for (gsize i = 0; i < head->target_len; i++)
		if ((guint8)head->target[i] <= 0x20 || (guint8)head->target[i] >= 0x7f)
			return MESH_HTTP_BAD;
	version = sp2 + 1;
	if ((gsize)(line + len - version) != 8 || memcmp(version, "HTTP/", 5) != 0 ||
	    !g_ascii_isdigit(version[5]) || version[6] != '.' || !g_ascii_isdigit(version[7]))
		return MESH_HTTP_BAD;
	if (version[5] != '1' || (version[7] != '0' && version[7] != '1'))
		return MESH_HTTP_VERSION;
	head->minor = (guint)(version[7] - '0');
	target_path(head);
	return MESH_HTTP_OK;
}

/* What the fields said, before it is checked as a whole. */
typedef struct {
	guint hosts;
	gboolean bad_host;
	guint encodings;     /* Transfer-Encoding fields */
	guint chunked;       /* "chunked" in them */
	guint other_codings; /* anything else */
	gboolean last_chunked; /* the final coding is chunked */
	gboolean close, keep_alive, other_expectation;
} Seen;

static MeshHttpParse
content_length(const char *value, gsize len, MeshHttpHead *head)
{
	gint64 n = 0;

	if (len == 0 || len > MAX_LENGTH_DIGITS)
		return MESH_HTTP_BAD;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isdigit(value[i]))
			return MESH_HTTP_BAD;
		n = n * 10 + (value[i] - '0');
	}
	if (head->content_length >= 0 && head->content_length != n)
		return MESH_HTTP_BAD;
	head->content_length = n;
	return MESH_HTTP_OK;
}

/* Call @each on every item of a comma-separated list, trimmed (empty items too). */
static void
list_items(const char *value, gsize len, void (*each)(const char *, gsize, Seen *), Seen *seen)
{
	for (;;) {
		const char *comma = memchr(value, ',', len);
		gsize n = comma ? (gsize)(comma - value) : len;
		const char *item = value;
		gsize item_len = n;

		trim(&item, &item_len);
		each(item, item_len, seen);
		if (comma == NULL)
			return;
		value += n + 1;
		len -= n + 1;
	}
}

static void
connection_option(const char *item, gsize len, Seen *seen)
{
	if (same(item, len, "close"))
		seen->close = TRUE;
	else if (same(item, len, "keep-alive"))
		seen->keep_alive = TRUE;
}

static void
transfer_coding(const char *item, gsize len, Seen *seen)
{
	if (len == 0)
		return; /* empty list elements do not count (RFC 9110 §5.6.1) */
	seen->last_chunked = same(item, len, "chunked");
	if (seen->last_chunked)
		seen->chunked++;
	else
		seen->other_codings++;
}

/* A Host value: uri-host [":" port] (RFC 9112 §3.2, RFC 3986 §3.2.2), or empty. */
static gboolean
is_host(const char *value, gsize len)
{
	gsize i = 0;

	if (len > 0 && value[0] == '[') { /* IP-literal */
		const char *close = memchr(value, ']', len);

		if (close == NULL)
			return FALSE;
		for (i = 1; value + i < close; i++)
			if (!g_ascii_isxdigit(value[i]) && value[i] != ':' && value[i] != '.')
				return FALSE;
		i++;
	} else {
		for (; i < len && value[i] != ':'; i++)
			if (!g_ascii_isalnum(value[i]) && strchr("-._~!$&'()*+,;=%", value[i]) == NULL)
				return FALSE;
	}
	if (i == len)
		return TRUE;
	if (value[i] != ':')
		return FALSE;
	for (i++; i < len; i++)
		if (!g_ascii_isdigit(value[i]))
			return FALSE;
	return TRUE;
}

static MeshHttpParse
field(const char *line, gsize len, MeshHttpHead *head, Seen *seen)
{
	const char *colon = memchr(line, ':', len);
	const char *value;
	gsize name_len, value_len;

	if (colon == NULL)
		return MESH_HTTP_BAD;
	name_len = (gsize)(colon - line);
	if (!is_token(line, name_len))
		return MESH_HTTP_BAD; /* also a space before the colon */
	value = colon + 1;
	value_len = len - name_len - 1;
	trim(&value, &value_len);
	if (same(line, name_len, "content-length"))
		return content_length(value, value_len, head);
	if (same(line, name_len, "transfer-encoding")) {
		if (value_len == 0)
			return MESH_HTTP_BAD;
		seen->encodings++;
		list_items(value, value_len, transfer_coding, seen);
	} else if (same(line, name_len, "connection")) {
		list_items(value, value_len, connection_option, seen);
	} else if (same(line, name_len, "expect")) {
		if (same(value, value_len, "100-continue"))
			head->expect_continue = TRUE;
		else
			seen->other_expectation = TRUE;
	} else if (same(line, name_len, "host")) {
		seen->hosts++;
		seen->bad_host |= !is_host(value, value_len);
	} else if (same(line, name_len, "content-type")) {
		if (head->content_type != NULL)
			return MESH_HTTP_BAD;
		head->content_type = value;
		head->content_type_len = value_len;
	}
	return MESH_HTTP_OK;
}

/* The fields as a whole: framing, Host, keep-alive, expectations. */
static MeshHttpParse
settle(MeshHttpHead *head, const Seen *seen)
{
	if (seen->encodings > 0) {
		/* Both framings at once, or a coding in an HTTP/1.0 request: which one the body
		 * follows is a matter of opinion (smuggling). */
		if (head->content_length >= 0 || head->minor == 0)
			return MESH_HTTP_BAD;
		/* Without chunked last, the body's end is the connection's (RFC 9112 §6.3). */
		if (!seen->last_chunked)
			return MESH_HTTP_BAD;
		if (seen->chunked > 1 || seen->other_codings > 0)
			return MESH_HTTP_NOT_IMPLEMENTED;
		head->chunked = TRUE;
	}
	if ((head->minor == 1 && seen->hosts != 1) || seen->hosts > 1 || seen->bad_host)
		return MESH_HTTP_BAD;
	head->keep_alive = head->minor == 1 ? !seen->close : seen->keep_alive && !seen->close;
	if (head->minor == 0)
		head->expect_continue = FALSE; /* RFC 9110 §10.1.1: ignored from HTTP/1.0 */
	else if (seen->other_expectation)
		return MESH_HTTP_EXPECTATION;
	return MESH_HTTP_OK;
}

MeshHttpParse
mesh_http_parse_head(const guint8 *data, gsize len, gsize max_head, MeshHttpHead *head,
                     gsize *ret_used)
{
	gsize limit = MIN(len, max_head), pos = 0, end;
	const char *line;
	gsize line_len;
	guint fields = 0;
	Seen seen = {0};
	MeshHttpParse r;

	memset(head, 0, sizeof *head);
	head->content_length = -1;
	*ret_used = 0;
	/* Empty lines before the request line. */
	while (pos < limit && (data[pos] == '\n' ||
	                       (data[pos] == '\r' && pos + 1 < limit && data[pos + 1] == '\n')))
		pos += data[pos] == '\n' ? 1 : 2;
	/* The request line is the first of the head: an empty one right after it ends a head
	 * without fields. */
	end = head_end(data, pos, limit);
	if (end == 0)
		return len >= max_head ? MESH_HTTP_TOO_LARGE : MESH_HTTP_MORE;
	if (!next_line(data, &pos, end, &line, &line_len))
		return MESH_HTTP_BAD;
	r = request_line(line, line_len, head);
	if (r != MESH_HTTP_OK)
		return r;
	while (next_line(data, &pos, end, &line, &line_len)) {
		if (line_len == 0) { /* the empty line: pos == end */
			*ret_used = end;
			return settle(head, &seen);
		}
		if (line[0] == ' ' || line[0] == '\t')
			return MESH_HTTP_BAD; /* obsolete line folding */
		if (++fields > MESH_HTTP_MAX_FIELDS)
			return MESH_HTTP_TOO_LARGE;
		r = field(line, line_len, head, &seen);
		if (r != MESH_HTTP_OK)
			return r;
	}
	return MESH_HTTP_BAD;
}

gboolean
mesh_http_is_json(const char *value, gsize len)
{
	const char *semi = memchr(value, ';', len);
	const char *type = value;
	gsize type_len = semi ? (gsize)(semi - value) : len;
	gboolean json;

	trim(&type, &type_len);
	json = same(type, type_len, "application/json");
	/* Parameters: charset must be utf-8; others do not matter. */
	while (json && semi != NULL) {
		const char *param = semi + 1;
		gsize rest = len - (gsize)(param - value);
		const char *eq;
		const char *name, *pvalue;
		gsize name_len, pvalue_len;

		semi = memchr(param, ';', rest);
		rest = semi ? (gsize)(semi - param) : rest;
		eq = memchr(param, '=', rest);
		if (eq == NULL)
			continue;
		name = param;
		name_len = (gsize)(eq - param);
		pvalue = eq + 1;
		pvalue_len = rest - name_len - 1;
		trim(&name, &name_len);
		trim(&pvalue, &pvalue_len);
		if (pvalue_len >= 2 && pvalue[0] == '"' && pvalue[pvalue_len - 1] == '"') {
			pvalue++;
			pvalue_len -= 2;
		}
		if (same(name, name_len, "charset") && !same(pvalue, pvalue_len, "utf-8"))
			json = FALSE;
	}
	return json;
}

enum {
	CHUNK_SIZE,     /* hex digits of the size */
	CHUNK_EXT,      /* after them: extensions, skipped */
	CHUNK_SIZE_LF,  /* CR seen at the end of the size line */
	CHUNK_DATA,     /* remaining bytes of data */
	CHUNK_DATA_CR,  /* after the data: CRLF */
	CHUNK_DATA_LF,  /* its LF */
	CHUNK_TRAILER,  /* trailer lines, until an empty one */
	CHUNK_TRAILER_LF,
	CHUNK_DONE,
};

static int
hex_value(guint8 c)
{
	return g_ascii_isxdigit(c) ? g_ascii_xdigit_value((char)c) : -1;
}

/* The end of the size line: data follows, or the trailers after the last chunk. */
static void
size_line_done(MeshHttpChunks *c)
{
	c->state = c->remaining > 0 ? CHUNK_DATA : CHUNK_TRAILER;
	c->line = 0;
}

MeshHttpParse
mesh_http_chunks_feed(MeshHttpChunks *c, const guint8 *data, gsize len, GByteArray *out,
                      gsize *ret_used)
{
	gsize i = 0;

	*ret_used = 0;
	while (i < len && c->state != CHUNK_DONE) {
		guint8 b = data[i];

		if (c->state == CHUNK_DATA) {
			gsize n = (gsize)MIN((guint64)(len - i), c->remaining);

			if (out != NULL)
				g_byte_array_append(out, data + i, (guint)n);
			c->remaining -= n;
			i += n;
			if (c->remaining == 0)
				c->state = CHUNK_DATA_CR;
			continue;
		}
		i++;
		switch (c->state) {
		case CHUNK_SIZE:
			if (hex_value(b) >= 0) {
				/* Checked before it grows: one more digit after 2^60 would
				 * wrap past 2^64 (a smuggled framing). */
				if (c->remaining > (MAX_CHUNK - (guint)hex_value(b)) / 16 ||
				    ++c->line > MESH_HTTP_MAX_CHUNK_LINE)
					return MESH_HTTP_BAD;
				c->remaining = c->remaining * 16 + (guint)hex_value(b);
				break;
			}
			if (c->line == 0)
				return MESH_HTTP_BAD; /* no digits */
			if (b == ';' || b == ' ' || b == '\t') {
				c->state = CHUNK_EXT;
				c->line++; /* the limit counts the whole line */
			}
			else if (b == '\r')
				c->state = CHUNK_SIZE_LF;
			else if (b == '\n')
				size_line_done(c);
			else
				return MESH_HTTP_BAD;
			break;
		case CHUNK_EXT:
			if (b == '\r')
				c->state = CHUNK_SIZE_LF;
			else if (b == '\n')
				size_line_done(c);
			else if ((b < 0x20 && b != '\t') || b == 0x7f)
				return MESH_HTTP_BAD;
			else if (++c->line > MESH_HTTP_MAX_CHUNK_LINE)
				return MESH_HTTP_BAD;
			break;
		case CHUNK_SIZE_LF:
			if (b != '\n')
				return MESH_HTTP_BAD;
			size_line_done(c);
			break;
		case CHUNK_DATA_CR:
			if (b == '\r')
				c->state = CHUNK_DATA_LF;
			else if (b == '\n')
				c->state = CHUNK_SIZE;
			else
				return MESH_HTTP_BAD;
			break;
		case CHUNK_DATA_LF:
			if (b != '\n')
				return MESH_HTTP_BAD;
			c->state = CHUNK_SIZE;
			break;
		case CHUNK_TRAILER:
			if (b == '\r') {
				c->state = CHUNK_TRAILER_LF;
			} else if (b == '\n') {
				c->state = c->line == 0 ? CHUNK_DONE : CHUNK_TRAILER;
				c->line = 0;
			} else if ((b < 0x20 && b != '\t') || b == 0x7f ||
			           ++c->line > MESH_HTTP_MAX_CHUNK_LINE) {
				return MESH_HTTP_BAD;
			}
			break;
		case CHUNK_TRAILER_LF:
			if (b != '\n')
				return MESH_HTTP_BAD;
			c->state = c->line == 0 ? CHUNK_DONE : CHUNK_TRAILER;
			c->line = 0;
			break;
		default:
			return MESH_HTTP_BAD;
		}
	}
	*ret_used = i;
	return c->state == CHUNK_DONE ? MESH_HTTP_OK : MESH_HTTP_MORE;
}
