/* SPDX-License-Identifier: MIT */
/*
 * portal/http-parse.h: the portal's reader of request heads and chunked bodies, against its
 * header and RFC 9112. Bytes come from anyone on the network, so each refusal is pinned to its
 * exact result: a BAD turned MORE keeps a connection open on garbage, a NOT_IMPLEMENTED turned
 * OK frames a body wrongly (smuggling).
 *
 * The tests marked "Found by this test" pin cases the first reader got wrong.
 */
#include <string.h>

#include "cutest.h"
#include "http-parse.h"

/* A limit far above every head here, so that MORE means "incomplete", never "over". */
#define MAX_HEAD 8192

static const char *
result_name(MeshHttpParse r)
{
	switch (r) {
	case MESH_HTTP_OK:
		return "OK";
	case MESH_HTTP_MORE:
		return "MORE";
	case MESH_HTTP_BAD:
		return "BAD";
	case MESH_HTTP_TOO_LARGE:
		return "TOO_LARGE";
	case MESH_HTTP_NOT_IMPLEMENTED:
		return "NOT_IMPLEMENTED";
	case MESH_HTTP_VERSION:
		return "VERSION";
	case MESH_HTTP_EXPECTATION:
		return "EXPECTATION";
	}
	return "?";
}

/* @len bytes of @text printable on one line (NUL, CR, LF and the rest shown as escapes). */
static char *
shown(const char *text, gsize len)
{
	GString *s = g_string_new(NULL);

	for (gsize i = 0; i < len && s->len < 200; i++) {
		guint8 c = (guint8)text[i];

		if (c == '\r')
			g_string_append(s, "\\r");
		else if (c == '\n')
			g_string_append(s, "\\n");
		else if (c < 0x20 || c >= 0x7f || c == '\\')
			g_string_append_printf(s, "\\x%02x", c);
		else
			g_string_append_c(s, (char)c);
	}
	return g_string_free(s, FALSE);
}

/* Whether [@p, @p + @len) holds exactly @want. */
static gboolean
span_is(const char *p, gsize len, const char *want)
{
	return p != NULL && len == strlen(want) && memcmp(p, want, len) == 0;
}

#define ASSERT_SPAN(p, len, want) CU_ASSERT_TRUE(span_is((p), (len), (want)))

/*
 * Parse @len bytes of @text (max_head MAX_HEAD) into *@head (may be NULL) and assert @want; the
 * input and both results are printed when it is not, with the caller's @line, since CUnit names
 * this function's. On OK the whole of @text must be the head.
 */
static gboolean
expect_head_at(int line, const char *text, gsize len, MeshHttpParse want, MeshHttpHead *head)
{
	MeshHttpHead scratch;
	gsize used = G_MAXSIZE;
	MeshHttpParse got = mesh_http_parse_head((const guint8 *)text, len, MAX_HEAD,
	                                         head != NULL ? head : &scratch, &used);

	if (got != want) {
		g_autofree char *s = shown(text, len);

		g_printerr("\n    line %d: got %s, expected %s: \"%s\"\n", line, result_name(got),
		           result_name(want), s);
	}
	CU_ASSERT_EQUAL(got, want);
	if (got == MESH_HTTP_OK)
		CU_ASSERT_EQUAL(used, len);
	return got == want;
}

#define EXPECT_HEAD(text, want, head) expect_head_at(__LINE__, (text), strlen(text), (want), (head))
/* For literals holding a NUL. */
#define EXPECT_HEAD_LIT(lit, want) expect_head_at(__LINE__, (lit), sizeof(lit) - 1, (want), NULL)

/* An HTTP/1.1 request with a Host and then @fields (each ended by CRLF), and its empty line. */
static char *
with_host(const char *fields)
{
	return g_strconcat("POST /.well-known/mmm/ HTTP/1.1\r\nHost: h\r\n", fields, "\r\n", NULL);
}

/* An HTTP/1.0 request with @fields. */
static char *
http10(const char *fields)
{
	return g_strconcat("POST /.well-known/mmm/ HTTP/1.0\r\n", fields, "\r\n", NULL);
}

/* EXPECT_HEAD on with_host(@fields) / http10(@fields). */
/* The last request text made by EXPECT_11 / EXPECT_10: the head's pointers point into it, so it
 * is kept until the next one (reachable at exit, not a leak). */
static char *kept_text;
#define EXPECT_11(fields, want, head)                                                              \
	do {                                                                                       \
		g_free(kept_text);                                                                 \
		kept_text = with_host(fields);                                                     \
		EXPECT_HEAD(kept_text, (want), (head));                                            \
	} while (0)
#define EXPECT_10(fields, want, head)                                                              \
	do {                                                                                       \
		g_free(kept_text);                                                                 \
		kept_text = http10(fields);                                                        \
		EXPECT_HEAD(kept_text, (want), (head));                                            \
	} while (0)

static const char post_head[] = "POST /.well-known/mmm/ HTTP/1.1\r\n"
                                "Host: portal.example.com\r\n"
                                "Content-Type: application/json\r\n"
                                "Content-Length: 12\r\n"
                                "\r\n";
static const char post_body[] = "{\"Hello\":{}}";

static void
test_minimal_post(void)
{
	g_autofree char *request = g_strconcat(post_head, post_body, NULL);
	gsize head_len = strlen(post_head);
	MeshHttpHead head;
	MeshHttpHead exact;
	gsize used = 0;

	CU_ASSERT_EQUAL_FATAL(mesh_http_parse_head((const guint8 *)request, strlen(request),
	                                           MAX_HEAD, &head, &used),
	                      MESH_HTTP_OK);
	ASSERT_SPAN(head.method, head.method_len, "POST");
	ASSERT_SPAN(head.target, head.target_len, "/.well-known/mmm/");
	ASSERT_SPAN(head.path, head.path_len, "/.well-known/mmm/");
	CU_ASSERT_EQUAL(head.minor, 1);
	CU_ASSERT_EQUAL(head.content_length, 12);
	CU_ASSERT_FALSE(head.chunked);
	CU_ASSERT_TRUE(head.keep_alive);
	CU_ASSERT_FALSE(head.expect_continue);
	ASSERT_SPAN(head.content_type, head.content_type_len, "application/json");
	/* The pointers are into the request itself, not copies. */
	CU_ASSERT_PTR_EQUAL(head.method, request);
	CU_ASSERT_PTR_EQUAL(head.target, request + 5);
	/* The head ends at its empty line: the body is the caller's, byte for byte. */
	CU_ASSERT_EQUAL(used, head_len);
	CU_ASSERT_STRING_EQUAL(request + used, post_body);

	/* The head alone reads the same: nothing after it was needed. */
	CU_ASSERT_EQUAL_FATAL(
	        mesh_http_parse_head((const guint8 *)request, head_len, MAX_HEAD, &exact, &used),
	        MESH_HTTP_OK);
	CU_ASSERT_EQUAL(used, head_len);
	CU_ASSERT_EQUAL(exact.content_length, 12);
	CU_ASSERT_TRUE(exact.keep_alive);
	/* A limit of exactly the head's length is enough. */
	CU_ASSERT_EQUAL(mesh_http_parse_head((const guint8 *)request, strlen(request), head_len,
	                                     &exact, &used),
	                MESH_HTTP_OK);
	CU_ASSERT_EQUAL(used, head_len);
}

/* Every proper prefix of @text (a complete head) is MORE, with nothing used. */
static void
assert_prefixes_more(const char *text)
{
	gsize len = strlen(text);

	for (gsize n = 0; n < len; n++) {
		MeshHttpHead head;
		gsize used = 99;
		MeshHttpParse r =
		        mesh_http_parse_head((const guint8 *)text, n, MAX_HEAD, &head, &used);

		if (r != MESH_HTTP_MORE) {
			g_autofree char *s = shown(text, n);

			g_printerr("\n    prefix %" G_GSIZE_FORMAT ": %s: \"%s\"\n", n,
			           result_name(r), s);
		}
		CU_ASSERT_EQUAL(r, MESH_HTTP_MORE);
		CU_ASSERT_EQUAL(used, 0);
	}
	EXPECT_HEAD(text, MESH_HTTP_OK, NULL);
}

static void
test_prefixes(void)
{
	assert_prefixes_more(post_head);
	assert_prefixes_more("GET /x?y HTTP/1.1\nHost: h\nConnection: close\n\n");
	assert_prefixes_more("\r\n\nGET / HTTP/1.0\r\n\r\n");
	assert_prefixes_more("GET / HTTP/1.0\n\n");
}

static void
test_line_ends(void)
{
	static const char lf[] = "POST /a HTTP/1.1\nHost: h\nContent-Length: 3\n\nabc";
	static const char mixed[] = "POST /a HTTP/1.1\r\nHost: h\nContent-Length: 3\r\n\nabc";
	static const char leading[] = "\r\n\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n";
	MeshHttpHead head;
	gsize used;

	CU_ASSERT_EQUAL(
	        mesh_http_parse_head((const guint8 *)lf, strlen(lf), MAX_HEAD, &head, &used),
	        MESH_HTTP_OK);
	CU_ASSERT_EQUAL(used, strlen(lf) - 3);
	CU_ASSERT_EQUAL(head.content_length, 3);
	ASSERT_SPAN(head.path, head.path_len, "/a");

	CU_ASSERT_EQUAL(
	        mesh_http_parse_head((const guint8 *)mixed, strlen(mixed), MAX_HEAD, &head, &used),
	        MESH_HTTP_OK);
	CU_ASSERT_EQUAL(used, strlen(mixed) - 3);
	CU_ASSERT_EQUAL(head.content_length, 3);

	/* RFC 9112 §2.2: empty lines before the request line are skipped, and are part of what
	 * was used (the caller drops them with the head). */
	EXPECT_HEAD(leading, MESH_HTTP_OK, &head);
	ASSERT_SPAN(head.method, head.method_len, "GET");
	CU_ASSERT_PTR_EQUAL(head.method, leading + 5);
	ASSERT_SPAN(head.path, head.path_len, "/b");
}

static void
test_http10(void)
{
	MeshHttpHead head;

	/* No Host needed, and the connection closes after the answer unless asked otherwise. */
	EXPECT_10("", MESH_HTTP_OK, &head);
	CU_ASSERT_EQUAL(head.minor, 0);
	CU_ASSERT_FALSE(head.keep_alive);
	CU_ASSERT_EQUAL(head.content_length, -1);
	CU_ASSERT_PTR_NULL(head.content_type);
	EXPECT_10("Host: h\r\nContent-Length: 2\r\n", MESH_HTTP_OK, &head);
	CU_ASSERT_EQUAL(head.content_length, 2);
	CU_ASSERT_FALSE(head.keep_alive);

	EXPECT_10("Connection: keep-alive\r\n", MESH_HTTP_OK, &head);
	CU_ASSERT_TRUE(head.keep_alive);
	EXPECT_10("Connection: Keep-Alive\r\n", MESH_HTTP_OK, &head);
	CU_ASSERT_TRUE(head.keep_alive);
	EXPECT_10("Connection: keep-alive, close\r\n", MESH_HTTP_OK, &head);
	CU_ASSERT_FALSE(head.keep_alive);

	/* RFC 9110 §10.1.1: Expect from HTTP/1.0 is ignored, whatever it asks. */
	EXPECT_10("Expect: 100-continue\r\n", MESH_HTTP_OK, &head);
	CU_ASSERT_FALSE(head.expect_continue);
	EXPECT_10("Expect: something-else\r\n", MESH_HTTP_OK, &head);
	CU_ASSERT_FALSE(head.expect_continue);

	/* RFC 9112 §3.2: more than one Host is a 400 in any version. */
	EXPECT_10("Host: h\r\nHost: h\r\n", MESH_HTTP_BAD, NULL);
}

static void
test_connection(void)
{
	MeshHttpHead head;

	EXPECT_11("", MESH_HTTP_OK, &head);
	CU_ASSERT_TRUE(head.keep_alive);
	EXPECT_11("Connection: close\r\n", MESH_HTTP_OK, &head);
	CU_ASSERT_FALSE(head.keep_alive);
	EXPECT_11("Connection: CLOSE\r\n", MESH_HTTP_OK, &head);
	CU_ASSERT_FALSE(head.keep_alive);
	EXPECT_11("Connection: foo, close\r\n", MESH_HTTP_OK, &head);
	CU_ASSERT_FALSE(head.keep_alive);
	EXPECT_11("Connection: foo,close ,bar\r\n", MESH_HTTP_OK, &head);
	CU_ASSERT_FALSE(head.keep_alive);
	EXPECT_11("Connection: foo\r\nConnection: close\r\n", MESH_HTTP_OK, &head);
	CU_ASSERT_FALSE(head.keep_alive);
	/* Other options, and a token that only contains "close", leave 1.1's default. */
	EXPECT_11("Connection: keep-alive, upgrade\r\n", MESH_HTTP_OK, &head);
	CU_ASSERT_TRUE(head.keep_alive);
	EXPECT_11("Connection: closed\r\n", MESH_HTTP_OK, &head);
	CU_ASSERT_TRUE(head.keep_alive);
}

static void
test_request_line(void)
{
	MeshHttpHead head;

	/* Host: exactly one in HTTP/1.1 (RFC 9112 §3.2). */
	EXPECT_HEAD("GET / HTTP/1.1\r\n\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_HEAD("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_HEAD("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_HEAD("GET / HTTP/1.1\r\nhost: a\r\nHOST: b\r\n\r\n", MESH_HTTP_BAD, NULL);
	/* An empty Host is allowed (a target without an authority). */
	EXPECT_HEAD("GET / HTTP/1.1\r\nHost:\r\n\r\n", MESH_HTTP_OK, NULL);

	/* Versions: well-formed but not 1.0 or 1.1 is a 505, anything else a 400. */
	EXPECT_HEAD("GET / HTTP/2.0\r\nHost: h\r\n\r\n", MESH_HTTP_VERSION, NULL);
	EXPECT_HEAD("GET / HTTP/1.2\r\nHost: h\r\n\r\n", MESH_HTTP_VERSION, NULL);
	EXPECT_HEAD("GET / HTTP/0.9\r\n\r\n", MESH_HTTP_VERSION, NULL);
	EXPECT_HEAD("GET / HTTP/1.1x\r\nHost: h\r\n\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_HEAD("GET / HTTP/1.\r\nHost: h\r\n\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_HEAD("GET / HTTP/11\r\nHost: h\r\n\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_HEAD("GET / HTTP/1.10\r\nHost: h\r\n\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_HEAD("GET / http/1.1\r\nHost: h\r\n\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_HEAD("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", MESH_HTTP_BAD, NULL);

	/* Three parts, one space between each, a token method and a target of visible ASCII. */
	EXPECT_HEAD("GET HTTP/1.1\r\nHost: h\r\n\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_HEAD("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_HEAD("GET /  HTTP/1.1\r\nHost: h\r\n\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_HEAD(" GET / HTTP/1.1\r\nHost: h\r\n\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_HEAD("GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_HEAD("GET /\t HTTP/1.1\r\nHost: h\r\n\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_HEAD("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_HEAD("GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_HEAD("GET\r\nHost: h\r\n\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_HEAD("\r\n\r\n", MESH_HTTP_MORE, NULL);

	/* Any token is a method; the server decides which it answers. */
	EXPECT_HEAD("M-SEARCH * HTTP/1.1\r\nHost: h\r\n\r\n", MESH_HTTP_OK, &head);
	ASSERT_SPAN(head.method, head.method_len, "M-SEARCH");
	ASSERT_SPAN(head.target, head.target_len, "*");
	ASSERT_SPAN(head.path, head.path_len, "*");
}

static void
test_target(void)
{
	MeshHttpHead head;

	EXPECT_HEAD("POST http://h:1/.well-known/mmm/?q HTTP/1.1\r\nHost: h:1\r\n\r\n",
	            MESH_HTTP_OK, &head);
	ASSERT_SPAN(head.target, head.target_len, "http://h:1/.well-known/mmm/?q");
	ASSERT_SPAN(head.path, head.path_len, "/.well-known/mmm/");
	/* Inside the target, not a copy. */
	CU_ASSERT_TRUE(head.path > head.target && head.path < head.target + head.target_len);

	EXPECT_HEAD("GET HTTPS://H/a/b#f HTTP/1.1\r\nHost: H\r\n\r\n", MESH_HTTP_OK, &head);
	ASSERT_SPAN(head.path, head.path_len, "/a/b");

	/* No path: "/" (RFC 9112 §3.2.1). */
	EXPECT_HEAD("GET http://h HTTP/1.1\r\nHost: h\r\n\r\n", MESH_HTTP_OK, &head);
	ASSERT_SPAN(head.target, head.target_len, "http://h");
	ASSERT_SPAN(head.path, head.path_len, "/");

	/* Origin-form: the query and a fragment are not the path. */
	EXPECT_HEAD("GET /a/b?x=1&y=/z HTTP/1.1\r\nHost: h\r\n\r\n", MESH_HTTP_OK, &head);
	ASSERT_SPAN(head.target, head.target_len, "/a/b?x=1&y=/z");
	ASSERT_SPAN(head.path, head.path_len, "/a/b");
	CU_ASSERT_PTR_EQUAL(head.path, head.target);
	EXPECT_HEAD("GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n", MESH_HTTP_OK, &head);
	ASSERT_SPAN(head.path, head.path_len, "/a");
	EXPECT_HEAD("GET /?q HTTP/1.1\r\nHost: h\r\n\r\n", MESH_HTTP_OK, &head);
	ASSERT_SPAN(head.path, head.path_len, "/");
	EXPECT_HEAD("GET /%2F..%2F HTTP/1.1\r\nHost: h\r\n\r\n", MESH_HTTP_OK, &head);
	ASSERT_SPAN(head.path, head.path_len, "/%2F..%2F");
}

static void
test_content_length(void)
{
	MeshHttpHead head;

	EXPECT_11("Content-Length: 0\r\n", MESH_HTTP_OK, &head);
	CU_ASSERT_EQUAL(head.content_length, 0);
	EXPECT_11("content-length:  7 \t\r\n", MESH_HTTP_OK, &head);
	CU_ASSERT_EQUAL(head.content_length, 7);
	/* 18 digits is the most, and stays below 2^63. */
	EXPECT_11("Content-Length: 999999999999999999\r\n", MESH_HTTP_OK, &head);
	CU_ASSERT_EQUAL(head.content_length, G_GINT64_CONSTANT(999999999999999999));
	/* Several fields that agree are one length (RFC 9112 §6.3). */
	EXPECT_11("Content-Length: 5\r\nContent-Length: 5\r\n", MESH_HTTP_OK, &head);
	CU_ASSERT_EQUAL(head.content_length, 5);

	EXPECT_11("Content-Length: x1\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_11("Content-Length: 1x\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_11("Content-Length: -1\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_11("Content-Length: +1\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_11("Content-Length: 0x10\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_11("Content-Length: 1 2\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_11("Content-Length:\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_11("Content-Length:   \r\n", MESH_HTTP_BAD, NULL);
	EXPECT_11("Content-Length: 1000000000000000000\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_11("Content-Length: 9999999999999999999\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_11("Content-Length: 1, 1\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_11("Content-Length: 1\r\nContent-Length: 2\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_11("Content-Length: 2\r\nContent-Length: 02\r\nContent-Length: 3\r\n", MESH_HTTP_BAD,
	          NULL);
}

static void
test_transfer_encoding(void)
{
	MeshHttpHead head;

	EXPECT_11("Transfer-Encoding: chunked\r\n", MESH_HTTP_OK, &head);
	CU_ASSERT_TRUE(head.chunked);
	CU_ASSERT_EQUAL(head.content_length, -1);
	CU_ASSERT_TRUE(head.keep_alive);
	/* Coding names are case-insensitive (RFC 9112 §7). */
	EXPECT_11("transfer-encoding: Chunked \r\n", MESH_HTTP_OK, &head);
	CU_ASSERT_TRUE(head.chunked);
	EXPECT_11("", MESH_HTTP_OK, &head);
	CU_ASSERT_FALSE(head.chunked);

	/* chunked last, but another coding first: not implemented (RFC 9112 §6.1: 501). */
	EXPECT_11("Transfer-Encoding: gzip, chunked\r\n", MESH_HTTP_NOT_IMPLEMENTED, NULL);
	EXPECT_11("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",
	          MESH_HTTP_NOT_IMPLEMENTED, NULL);
	/* chunked twice is not chunked once. */
	EXPECT_11("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
	          MESH_HTTP_NOT_IMPLEMENTED, NULL);
	EXPECT_11("Transfer-Encoding:\r\n", MESH_HTTP_BAD, NULL);

	/* Both framings, in either order: smuggling (RFC 9112 §6.3). */
	EXPECT_11("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_11("Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_11("Content-Length: 3\r\nTransfer-Encoding: gzip, chunked\r\n", MESH_HTTP_BAD, NULL);
	/* A coding in HTTP/1.0 is faulty framing (RFC 9112 §6.1). */
	EXPECT_10("Transfer-Encoding: chunked\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_10("Transfer-Encoding: gzip\r\n", MESH_HTTP_BAD, NULL);
}

static void
test_expect(void)
{
	MeshHttpHead head;

	EXPECT_11("Content-Length: 3\r\nExpect: 100-continue\r\n", MESH_HTTP_OK, &head);
	CU_ASSERT_TRUE(head.expect_continue);
	CU_ASSERT_EQUAL(head.content_length, 3);
	/* Case-insensitive (RFC 9110 §10.1.1). */
	EXPECT_11("Expect: 100-Continue\r\n", MESH_HTTP_OK, &head);
	CU_ASSERT_TRUE(head.expect_continue);
	EXPECT_11("", MESH_HTTP_OK, &head);
	CU_ASSERT_FALSE(head.expect_continue);

	EXPECT_11("Expect: something-else\r\n", MESH_HTTP_EXPECTATION, NULL);
	EXPECT_11("Expect: 100-continue, foo\r\n", MESH_HTTP_EXPECTATION, NULL);
	EXPECT_11("Expect: 100-continue\r\nExpect: foo\r\n", MESH_HTTP_EXPECTATION, NULL);
}

static void
test_fields(void)
{
	MeshHttpHead head;

	/* What a field may hold: HTAB, obs-text, colons, an empty value; the name is any token. */
	EXPECT_11("X-A: a\tb\r\nX-B: \xe9t\xe9\r\nX-C: a:b\r\nX-D:\r\n!#$%&'*+-.^_`|~09:x\r\n",
	          MESH_HTTP_OK, NULL);

	/* Obsolete line folding, after a field or right after the request line. */
	EXPECT_11("X-A: a\r\n b\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_11("X-A: a\r\n\tb\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_HEAD("GET / HTTP/1.1\r\n Host: h\r\n\r\n", MESH_HTTP_BAD, NULL);
	/* Whitespace before the colon (RFC 9112 §5.1), in or after the name. */
	EXPECT_11("X-A : a\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_11("X-A\t: a\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_11("X A: a\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_HEAD("GET / HTTP/1.1\r\nHost : h\r\n\r\n", MESH_HTTP_BAD, NULL);
	/* No name, no colon, a name that is not a token. */
	EXPECT_11(": a\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_11("X-A\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_11("X(A): a\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_11("X-\xe9: a\r\n", MESH_HTTP_BAD, NULL);

	/* Control characters: NUL, a bare CR, DEL, others, in a field or in the request line. */
	EXPECT_HEAD_LIT("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\0b\r\n\r\n", MESH_HTTP_BAD);
	EXPECT_HEAD_LIT("GET / HTTP/1.1\r\nHost: h\r\nX-A\0: a\r\n\r\n", MESH_HTTP_BAD);
	EXPECT_HEAD_LIT("GET /\0 HTTP/1.1\r\nHost: h\r\n\r\n", MESH_HTTP_BAD);
	EXPECT_11("X-A: a\rb\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_11("X-A: a\r\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_11("X-A: a\x7f\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_11("X-A: \x1b[0m\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_HEAD("GET / HTTP/1.1\r\r\nHost: h\r\n\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_HEAD("GET / HTTP/1.1\r\nHost: h\r\n\r\r\n", MESH_HTTP_MORE, NULL);
	EXPECT_HEAD("GET / HTTP/1.1\r\nHost: h\r\n\r\r\n\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_HEAD("\rGET / HTTP/1.1\r\nHost: h\r\n\r\n", MESH_HTTP_BAD, NULL);

	/* Content-Type: once, kept as sent (whitespace around it trimmed). */
	EXPECT_11("Content-Type:  application/json; charset=utf-8 \r\n", MESH_HTTP_OK, &head);
	ASSERT_SPAN(head.content_type, head.content_type_len, "application/json; charset=utf-8");
	EXPECT_11("Content-Type: application/json\r\nContent-Type: application/json\r\n",
	          MESH_HTTP_BAD, NULL);
	EXPECT_11("Content-Type: application/json\r\ncontent-type: text/plain\r\n", MESH_HTTP_BAD,
	          NULL);
}

static void
test_limits(void)
{
	g_autoptr(GString) fields = g_string_new(NULL);
	g_autofree char *at_limit = NULL;
	g_autofree char *over = NULL;
	static const char partial[] = "GET / HTTP/1.1\r\nHost: h\r\n";
	gsize len = strlen(partial);
	MeshHttpHead head;
	gsize used;

	/* Host and MESH_HTTP_MAX_FIELDS - 1 more: the most; one more is a 431. */
	for (guint i = 1; i < MESH_HTTP_MAX_FIELDS; i++)
		g_string_append_printf(fields, "X-%u: %u\r\n", i, i);
	at_limit = with_host(fields->str);
	EXPECT_HEAD(at_limit, MESH_HTTP_OK, NULL);
	g_string_append(fields, "X-Last: 1\r\n");
	over = with_host(fields->str);
	EXPECT_HEAD(over, MESH_HTTP_TOO_LARGE, NULL);

	/* An incomplete head is MORE while there is room for the rest, TOO_LARGE once @len has
	 * reached the limit. */
	CU_ASSERT_EQUAL(mesh_http_parse_head((const guint8 *)partial, len, len + 1, &head, &used),
	                MESH_HTTP_MORE);
	CU_ASSERT_EQUAL(mesh_http_parse_head((const guint8 *)partial, len, len, &head, &used),
	                MESH_HTTP_TOO_LARGE);
	CU_ASSERT_EQUAL(mesh_http_parse_head((const guint8 *)partial, len, len - 1, &head, &used),
	                MESH_HTTP_TOO_LARGE);
	CU_ASSERT_EQUAL(mesh_http_parse_head((const guint8 *)partial, len, 0, &head, &used),
	                MESH_HTTP_TOO_LARGE);
	/* A complete head one byte over the limit is over it, with or without bytes after. */
	len = strlen(post_head);
	CU_ASSERT_EQUAL(mesh_http_parse_head((const guint8 *)post_head, len, len - 1, &head, &used),
	                MESH_HTTP_TOO_LARGE);
	{
		g_autofree char *request = g_strconcat(post_head, post_body, NULL);

		CU_ASSERT_EQUAL(mesh_http_parse_head((const guint8 *)request, strlen(request),
		                                     len - 1, &head, &used),
		                MESH_HTTP_TOO_LARGE);
	}
	/* Empty lines before the request line count against the limit: endless CRLFs end. */
	{
		g_autofree char *crlfs = g_strnfill(MAX_HEAD, '\n');

		CU_ASSERT_EQUAL(mesh_http_parse_head((const guint8 *)crlfs, MAX_HEAD, MAX_HEAD,
		                                     &head, &used),
		                MESH_HTTP_TOO_LARGE);
		CU_ASSERT_EQUAL(mesh_http_parse_head((const guint8 *)crlfs, MAX_HEAD - 1, MAX_HEAD,
		                                     &head, &used),
		                MESH_HTTP_MORE);
	}
}

static void
test_is_json(void)
{
	static const char *const json[] = {
	        "application/json",
	        "Application/JSON",
	        "application/json; charset=utf-8",
	        "application/json; charset=\"UTF-8\"",
	        "application/json;foo=bar",
	        "application/json;charset=UTF-8;foo=bar",
	        " application/json ",
	        "application/json ; CHARSET = utf-8",
	        "application/json;",
	        NULL,
	};
	static const char *const other[] = {
	        "application/json; charset=latin-1",
	        "application/json; charset=\"utf-16\"",
	        "application/json; foo=bar; charset=us-ascii",
	        "text/plain",
	        "application/jsonx",
	        "application/json+x",
	        "application/",
	        "application/jso",
	        "json",
	        "",
	        NULL,
	};

	for (guint i = 0; json[i] != NULL; i++) {
		if (!mesh_http_is_json(json[i], strlen(json[i])))
			g_printerr("\n    not JSON: \"%s\"\n", json[i]);
		CU_ASSERT_TRUE(mesh_http_is_json(json[i], strlen(json[i])));
	}
	for (guint i = 0; other[i] != NULL; i++) {
		if (mesh_http_is_json(other[i], strlen(other[i])))
			g_printerr("\n    JSON: \"%s\"\n", other[i]);
		CU_ASSERT_FALSE(mesh_http_is_json(other[i], strlen(other[i])));
	}
	/* The length bounds the value: what follows is not read. */
	CU_ASSERT_TRUE(mesh_http_is_json("application/json; charset=latin-1", 16));
	CU_ASSERT_FALSE(mesh_http_is_json("application/json", 15));
}

/* Feed @len bytes of @body to a fresh state in one call. */
static MeshHttpParse
chunks_whole(const char *body, gsize len, GByteArray *out, gsize *used)
{
	MeshHttpChunks chunks = {0};

	return mesh_http_chunks_feed(&chunks, (const guint8 *)body, len, out, used);
}

/* Feed @body in two calls, split at @at; *@used is what both used. */
static MeshHttpParse
chunks_split(const char *body, gsize len, gsize at, GByteArray *out, gsize *used)
{
	MeshHttpChunks chunks = {0};
	MeshHttpParse r = mesh_http_chunks_feed(&chunks, (const guint8 *)body, at, out, used);
	gsize more = 0;

	if (r != MESH_HTTP_MORE)
		return r;
	CU_ASSERT_EQUAL(*used, at);
	r = mesh_http_chunks_feed(&chunks, (const guint8 *)body + at, len - at, out, &more);
	*used += more;
	return r;
}

/* Feed @body a byte at a time until it is no longer MORE. */
static MeshHttpParse
chunks_bytewise(const char *body, gsize len, GByteArray *out, gsize *used)
{
	MeshHttpChunks chunks = {0};
	MeshHttpParse r = MESH_HTTP_MORE;

	*used = 0;
	for (gsize i = 0; i < len && r == MESH_HTTP_MORE; i++) {
		gsize n = 0;

		r = mesh_http_chunks_feed(&chunks, (const guint8 *)body + i, 1, out, &n);
		if (r != MESH_HTTP_BAD)
			CU_ASSERT_EQUAL(n, 1);
		*used += n;
	}
	return r;
}

/* Whether @out holds exactly @want (an empty GByteArray may have no data at all). */
static gboolean
bytes_are(const GByteArray *out, const char *want)
{
	return out->len == strlen(want) &&
	       (out->len == 0 || memcmp(out->data, want, out->len) == 0);
}

/*
 * Check one way of reading a chunked body against what is wanted: @got, the data in @out (when
 * not BAD) and @used (when not BAD). The first mismatch of a case is printed with the caller's
 * @line and how it was read, since CUnit names this function's line.
 */
static void
check_chunks(int line, const char *how, gboolean *printed, MeshHttpParse got, MeshHttpParse want,
             const GByteArray *out, const char *want_out, gsize used, gsize want_used)
{
	gboolean ok = got == want;

	if (ok && want != MESH_HTTP_BAD && out != NULL)
		ok = bytes_are(out, want_out);
	if (ok && want != MESH_HTTP_BAD)
		ok = used == want_used;
	if (!ok && !*printed) {
		g_printerr("\n    line %d (%s): got %s, expected %s; used %" G_GSIZE_FORMAT
		           ", expected %" G_GSIZE_FORMAT "\n",
		           line, how, result_name(got), result_name(want), used, want_used);
		*printed = TRUE;
	}
	CU_ASSERT_TRUE(ok);
}

/*
 * @len bytes of @body read whole, byte by byte, split in two at every place, and with no @out:
 * each gives @want, the data @want_out (when not BAD) and *@ret_used @want_used (when OK; all of
 * @len when MORE).
 */
static void
expect_chunks_at(int line, const char *body, gsize len, MeshHttpParse want, const char *want_out,
                 gsize want_used)
{
	g_autoptr(GByteArray) whole = g_byte_array_new();
	g_autoptr(GByteArray) bytewise = g_byte_array_new();
	gboolean printed = FALSE;
	gsize used = G_MAXSIZE;
	MeshHttpParse r;

	if (want == MESH_HTTP_MORE)
		want_used = len;
	r = chunks_whole(body, len, whole, &used);
	check_chunks(line, "whole", &printed, r, want, whole, want_out, used, want_used);
	r = chunks_bytewise(body, len, bytewise, &used);
	check_chunks(line, "by bytes", &printed, r, want, bytewise, want_out, used, want_used);
	for (gsize at = 0; at <= len; at++) {
		g_autoptr(GByteArray) split = g_byte_array_new();

		r = chunks_split(body, len, at, split, &used);
		check_chunks(line, "in two", &printed, r, want, split, want_out, used, want_used);
	}
	/* No @out: the same reading, the data dropped. */
	r = chunks_whole(body, len, NULL, &used);
	check_chunks(line, "no out", &printed, r, want, NULL, want_out, used, want_used);
	if (printed) {
		g_autofree char *s = shown(body, len);

		g_printerr("    \"%s\"\n", s);
	}
}

#define EXPECT_CHUNKS(body, want, out, used)                                                       \
	expect_chunks_at(__LINE__, (body), strlen(body), (want), (out), (used))

static void
test_chunks(void)
{
	static const char body[] = "4\r\nWiki\r\n"
	                           "7;name=value;x=\"q;d\"\r\npedia i\r\n"
	                           "C \t; ext\r\nn\r\n\r\nchunks.\r\n"
	                           "0\r\n"
	                           "X-Trailer: 1\r\n"
	                           "X-Other: 2\r\n"
	                           "\r\n";
	static const char data[] = "Wikipedia in\r\n\r\nchunks.";
	g_autofree char *pipelined = g_strconcat(body, "GET / HTTP/1.1\r\n", NULL);
	g_autoptr(GByteArray) out = g_byte_array_new();
	gsize used;

	/* Whole, by bytes, in two pieces: the same data, and the end found exactly. */
	EXPECT_CHUNKS(body, MESH_HTTP_OK, data, strlen(body));
	/* The next request's bytes are left for it. */
	EXPECT_CHUNKS(pipelined, MESH_HTTP_OK, data, strlen(body));
	/* No trailers, LF-only, hex either case, leading zeros. */
	EXPECT_CHUNKS("3\r\nabc\r\n0\r\n\r\n", MESH_HTTP_OK, "abc", 13);
	EXPECT_CHUNKS("3\nabc\n0\n\nX", MESH_HTTP_OK, "abc", 9);
	EXPECT_CHUNKS("3\nabc\r\n0\r\nT: 1\n\r\n", MESH_HTTP_OK, "abc", 17);
	EXPECT_CHUNKS("a\r\n0123456789\r\nA\r\n0123456789\r\n00\r\n\r\n", MESH_HTTP_OK,
	              "01234567890123456789", 36);
	EXPECT_CHUNKS("0\r\n\r\n", MESH_HTTP_OK, "", 5);
	/* Exactly 2^60 is not over it: the data is awaited. */
	EXPECT_CHUNKS("1000000000000000\r\nab", MESH_HTTP_MORE, "ab", 0);

	/* Incomplete anywhere: MORE, all used, the data so far given. */
	EXPECT_CHUNKS("", MESH_HTTP_MORE, "", 0);
	EXPECT_CHUNKS("3\r\nab", MESH_HTTP_MORE, "ab", 0);
	EXPECT_CHUNKS("3\r\nabc\r\n0\r\nX: 1\r\n", MESH_HTTP_MORE, "abc", 0);

	/* Once complete, more calls read nothing more. */
	{
		MeshHttpChunks chunks = {0};

		CU_ASSERT_EQUAL(
		        mesh_http_chunks_feed(&chunks, (const guint8 *)"0\n\n", 3, out, &used),
		        MESH_HTTP_OK);
		CU_ASSERT_EQUAL(used, 3);
		CU_ASSERT_EQUAL(
		        mesh_http_chunks_feed(&chunks, (const guint8 *)"1\n", 2, out, &used),
		        MESH_HTTP_OK);
		CU_ASSERT_EQUAL(used, 0);
		CU_ASSERT_EQUAL(out->len, 0);
	}
}

static void
test_chunks_bad(void)
{
	g_autoptr(GString) line = g_string_new(NULL);

	/* The size: hex, present, at most 2^60. */
	EXPECT_CHUNKS("x\r\n", MESH_HTTP_BAD, NULL, 0);
	EXPECT_CHUNKS("3x\r\nabc\r\n0\r\n\r\n", MESH_HTTP_BAD, NULL, 0);
	EXPECT_CHUNKS("-3\r\nabc\r\n0\r\n\r\n", MESH_HTTP_BAD, NULL, 0);
	EXPECT_CHUNKS("0x3\r\nabc\r\n0\r\n\r\n", MESH_HTTP_BAD, NULL, 0);
	EXPECT_CHUNKS("\r\n", MESH_HTTP_BAD, NULL, 0);
	EXPECT_CHUNKS(";ext\r\n", MESH_HTTP_BAD, NULL, 0);
	EXPECT_CHUNKS(" 3\r\nabc\r\n0\r\n\r\n", MESH_HTTP_BAD, NULL, 0);
	EXPECT_CHUNKS("3\r\nabc\r\n\r\n", MESH_HTTP_BAD, NULL, 0);
	EXPECT_CHUNKS("1000000000000001\r\n", MESH_HTTP_BAD, NULL, 0);
	EXPECT_CHUNKS("FFFFFFFFFFFFFFFF\r\n", MESH_HTTP_BAD, NULL, 0);
	EXPECT_CHUNKS("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0\r\n", MESH_HTTP_BAD, NULL, 0);

	/* Lines: a size line with its extensions of MESH_HTTP_MAX_CHUNK_LINE bytes is read, a
	 * longer one is not; the same for a trailer line and for leading zeros. */
	g_string_append(line, "1;");
	while (line->len < MESH_HTTP_MAX_CHUNK_LINE)
		g_string_append_c(line, 'e');
	g_string_append(line, "\r\nx\r\n0\r\n\r\n");
	EXPECT_CHUNKS(line->str, MESH_HTTP_OK, "x", line->len);
	g_string_truncate(line, 0);
	g_string_append(line, "1;");
	while (line->len < MESH_HTTP_MAX_CHUNK_LINE + 100)
		g_string_append_c(line, 'e');
	EXPECT_CHUNKS(line->str, MESH_HTTP_BAD, NULL, 0);

	g_string_truncate(line, 0);
	g_string_append(line, "0\r\n");
	while (line->len < 3 + MESH_HTTP_MAX_CHUNK_LINE)
		g_string_append_c(line, 't');
	g_string_append(line, "\r\n\r\n");
	EXPECT_CHUNKS(line->str, MESH_HTTP_OK, "", line->len);
	g_string_truncate(line, 0);
	g_string_append(line, "0\r\n");
	while (line->len < 3 + MESH_HTTP_MAX_CHUNK_LINE + 1)
		g_string_append_c(line, 't');
	g_string_append(line, "\r\n\r\n");
	EXPECT_CHUNKS(line->str, MESH_HTTP_BAD, NULL, 0);

	g_string_truncate(line, 0);
	while (line->len < MESH_HTTP_MAX_CHUNK_LINE - 1)
		g_string_append_c(line, '0');
	g_string_append(line, "1\r\nx\r\n0\r\n\r\n");
	EXPECT_CHUNKS(line->str, MESH_HTTP_OK, "x", line->len);
	g_string_prepend_c(line, '0');
	EXPECT_CHUNKS(line->str, MESH_HTTP_BAD, NULL, 0);

	/* The data must be followed by its line end, exactly after its size. */
	EXPECT_CHUNKS("3\r\nabcX\r\n0\r\n\r\n", MESH_HTTP_BAD, NULL, 0);
	EXPECT_CHUNKS("3\r\nabc\rX", MESH_HTTP_BAD, NULL, 0);
	EXPECT_CHUNKS("3\r\na\r\n0\r\n\r\n", MESH_HTTP_BAD, NULL, 0);
	/* With bare-LF line ends allowed, a CR may be the data's last byte. */
	EXPECT_CHUNKS("3\r\nab\r\n0\r\n\r\n", MESH_HTTP_OK, "ab\r", 12);
	/* Bare CRs and control characters in size lines and trailers. */
	EXPECT_CHUNKS("3\rabc\r\n0\r\n\r\n", MESH_HTTP_BAD, NULL, 0);
	EXPECT_CHUNKS("3;a\rb\r\nabc\r\n0\r\n\r\n", MESH_HTTP_BAD, NULL, 0);
	EXPECT_CHUNKS("3;a\x01\r\nabc\r\n0\r\n\r\n", MESH_HTTP_BAD, NULL, 0);
	EXPECT_CHUNKS("0\r\nX: a\rb\r\n\r\n", MESH_HTTP_BAD, NULL, 0);
	EXPECT_CHUNKS("0\r\nX: a\x7f\r\n\r\n", MESH_HTTP_BAD, NULL, 0);
	EXPECT_CHUNKS("0\r\n\r\r\n", MESH_HTTP_BAD, NULL, 0);
	{
		static const char nul[] = "0\r\nX: \0\r\n\r\n";

		expect_chunks_at(__LINE__, nul, sizeof nul - 1, MESH_HTTP_BAD, NULL, 0);
	}
}

/*
 * Found by this test (portal/http-parse.c, mesh_http_chunks_feed, CHUNK_SIZE): a size of exactly 2^60
 * passes the "over 2^60" check, and the next digit multiplies it by 16 past 2^64: the size wraps
 * to that digit. "10000000000000000" (2^64) reads as 0, the last chunk, and
 * "10000000000000005" as 5. The header says a size over 2^60 is BAD; a proxy that reads the
 * size right frames the body differently (smuggling).
 */
static void
test_disagreement_chunk_size_wraps(void)
{
	EXPECT_CHUNKS("10000000000000000\r\n\r\n", MESH_HTTP_BAD, NULL, 0);
	EXPECT_CHUNKS("10000000000000005\r\nhello\r\n0\r\n\r\n", MESH_HTTP_BAD, NULL, 0);
}

/*
 * Found by this test (portal/http-parse.c, mesh_http_chunks_feed, CHUNK_SIZE and CHUNK_EXT): the
 * separator after the size (';', SP or HTAB) is not counted against MESH_HTTP_MAX_CHUNK_LINE,
 * so a size line of MESH_HTTP_MAX_CHUNK_LINE + 1 bytes is read; the header says a line over it
 * is BAD (trailer lines are counted right).
 */
static void
test_disagreement_chunk_line_limit(void)
{
	g_autoptr(GString) line = g_string_new("1;");

	while (line->len < MESH_HTTP_MAX_CHUNK_LINE + 1)
		g_string_append_c(line, 'e');
	g_string_append(line, "\r\nx\r\n0\r\n\r\n");
	EXPECT_CHUNKS(line->str, MESH_HTTP_BAD, NULL, 0);
}

/*
 * Found by this test (portal/http-parse.c, target_path): the authority of an absolute-form target ends
 * at the first '/', '?' or '#' (RFC 3986 §3.2), but the reader looks for '/' alone, so a '/' in
 * the query becomes the path: "http://h?a=/b" reads as path "/b" where it has none (header:
 * "the path of absolute-form", "/" when it has none).
 */
static void
test_disagreement_absolute_query(void)
{
	MeshHttpHead head;

	static const char *const requests[] = {
	        "GET http://h?a=/b HTTP/1.1\r\nHost: h\r\n\r\n",
	        "GET http://h#/.well-known/mmm/ HTTP/1.1\r\nHost: h\r\n\r\n",
	        NULL,
	};

	for (guint i = 0; requests[i] != NULL; i++) {
		EXPECT_HEAD(requests[i], MESH_HTTP_OK, &head);
		if (!span_is(head.path, head.path_len, "/"))
			g_printerr("\n    path \"%.*s\", expected \"/\"\n", (int)head.path_len,
			           head.path);
		ASSERT_SPAN(head.path, head.path_len, "/");
	}
}

/*
 * Found by this test with RFC 9112 §3.2 (portal/http-parse.c, field): "A server MUST respond with a
 * 400 (Bad Request) status code to any HTTP/1.1 request message that lacks a Host header field
 * and to any request message that contains more than one Host header field line or a Host
 * header field with an invalid field value." The value (uri-host [":" port]) is not checked.
 * The header promises only that Host is required, so this is RFC against contract.
 */
static void
test_disagreement_host_value(void)
{
	EXPECT_11("", MESH_HTTP_OK, NULL);
	EXPECT_HEAD("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_HEAD("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_HEAD("GET / HTTP/1.1\r\nHost: h:port\r\n\r\n", MESH_HTTP_BAD, NULL);
}

/*
 * Found by this test with RFC 9112 §6.3 item 4 (portal/http-parse.c, settle): "If a Transfer-Encoding
 * header field is present in a request and the chunked transfer coding is not the final
 * encoding, ... the server MUST respond with the 400 (Bad Request) status code and then close
 * the connection." The reader gives NOT_IMPLEMENTED (501) as its header says ("another coding
 * is MESH_HTTP_NOT_IMPLEMENTED"): both close, only the status differs. RFC against contract.
 */
static void
test_disagreement_chunked_not_final(void)
{
	EXPECT_11("Transfer-Encoding: gzip\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_11("Transfer-Encoding: chunked, gzip\r\n", MESH_HTTP_BAD, NULL);
	EXPECT_11("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n", MESH_HTTP_BAD, NULL);
}

static CU_TestInfo tests[] = {
        {"head: a minimal HTTP/1.1 POST, its fields and where its body starts", test_minimal_post},
        {"head: every prefix of a head is MORE", test_prefixes},
        {"head: LF line ends, empty lines before the request line", test_line_ends},
        {"head: HTTP/1.0 keep-alive, Expect ignored, Host optional", test_http10},
        {"head: Connection close and keep-alive", test_connection},
        {"head: request line, versions and Host", test_request_line},
        {"head: origin-form and absolute-form paths", test_target},
        {"head: Content-Length", test_content_length},
        {"head: Transfer-Encoding, and with Content-Length", test_transfer_encoding},
        {"head: Expect", test_expect},
        {"head: malformed fields and control characters", test_fields},
        {"head: field count and head size limits", test_limits},
        {"is_json: media types and charsets", test_is_json},
        {"chunks: whole, by bytes, in two pieces, without out", test_chunks},
        {"chunks: malformed sizes, lines, data ends", test_chunks_bad},
        {"chunks: a size past 2^60 is BAD, never wrapped", test_disagreement_chunk_size_wraps},
        {"chunks: the size line limit counts the whole line", test_disagreement_chunk_line_limit},
        {"head: a '/' in an absolute-form query is not the path",
         test_disagreement_absolute_query},
        {"head: an invalid Host value is BAD (RFC 9112 3.2)",
         test_disagreement_host_value},
        {"head: chunked not final is BAD (RFC 9112 6.3)",
         test_disagreement_chunked_not_final},
        CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("http-parse", tests);
}
