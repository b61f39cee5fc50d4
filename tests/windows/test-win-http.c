/* SPDX-License-Identifier: MIT */
/*
 * test-win-http PORTAL-URL SIDE-URL: the portal's HTTP client over WinHTTP (windows/portal-http.c,
 * core/portal-http.h) against a Linux servermesh on loopback (PORTAL-URL) and a loopback server
 * of http.sh (SIDE-URL) that answers POST /big with one byte more than MESH_PORTAL_MESSAGE_MAX
 * and POST /redirect with a 302 to /big. Checks print "ok   - ..." or "FAIL - ..."; the exit
 * status is 1 when one failed.
 */
#include <stdio.h>
#include <string.h>

#include "../check.h"
#include "error.h"
#include "portal-http.h"

#define HELLO "{\"HelloRequest\": {}}"

static gboolean
is_hello(GBytes *answer, guint status)
{
	gsize len = 0;
	const char *text = answer != NULL ? g_bytes_get_data(answer, &len) : NULL;
	g_autofree char *copy = text != NULL ? g_strndup(text, len) : NULL;

	return status == 200 && copy != NULL && strstr(copy, "\"HelloResponse\"") != NULL &&
	       strstr(copy, "\"Status\"") != NULL;
}

typedef struct {
	GMainLoop *loop;
	gboolean ok;
	GBytes *answer;
	guint status;
	GError *error;
} Async;

static void
on_answer(GObject *source, GAsyncResult *result, gpointer data)
{
	Async *out = data;

	(void)source;
	out->ok = mesh_portal_client_http_transact_finish(result, &out->answer, &out->status,
	                                                  &out->error);
	g_main_loop_quit(out->loop);
}

/* An asynchronous HelloRequest; @close_first closes the client before the answer comes. */
static void
check_async(const char *url, gboolean close_first, const char *what)
{
	g_autoptr(GError) error = NULL;
	MeshPortalClient *client = mesh_portal_client_http_new(url, NULL, &error);
	Async out = {g_main_loop_new(NULL, FALSE), FALSE, NULL, 0, NULL};

	if (client == NULL) {
		check(FALSE, what, error);
		return;
	}
	mesh_portal_client_http_transact_async(client, HELLO, NULL, on_answer, &out);
	if (close_first)
		g_clear_pointer(&client, mesh_portal_client_close);
	g_main_loop_run(out.loop);
	check(out.ok && is_hello(out.answer, out.status), what, out.error);
	mesh_portal_client_close(client);
	g_clear_pointer(&out.answer, g_bytes_unref);
	g_clear_error(&out.error);
	g_main_loop_unref(out.loop);
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MeshPortalClient) client = NULL;
	g_autoptr(MeshPortalClient) side = NULL;
	g_autoptr(GBytes) answer = NULL;
	g_autofree char *big = NULL;
	g_autofree char *redirect = NULL;
	guint status = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: test-win-http PORTAL-URL SIDE-URL\n");
		return 2;
	}

	/* A transaction servermesh answers without an account. */
	client = mesh_portal_client_http_new(argv[1], NULL, &error);
	check(client != NULL && g_str_equal(mesh_portal_client_name(client), "http"),
	      "a WinHTTP client for the servermesh on loopback", error);
	check(client != NULL &&
	              mesh_portal_client_transact(client, HELLO, &answer, &status, &error) &&
	              is_hello(answer, status),
	      "HelloRequest is answered: 200 and a HelloResponse", error);
	g_clear_pointer(&answer, g_bytes_unref);
	g_clear_error(&error);
	check(client != NULL &&
	              mesh_portal_client_transact(client, HELLO, &answer, &status, &error) &&
	              is_hello(answer, status),
	      "... and again on the same client", error);
	g_clear_pointer(&answer, g_bytes_unref);
	g_clear_error(&error);
	check_async(argv[1], FALSE, "asynchronously too (a GTask thread)");
	check_async(argv[1], TRUE, "... also when the client is closed before the answer comes");

	/* Refusals. */
	check(mesh_portal_client_http_new("http://example.com/", NULL, &error) == NULL,
	      "http:// to a host that is not loopback is refused", NULL);
	check_code(&error, MESH_ERROR_INVALID_ARGUMENT, "plain http to another machine");
	check(mesh_portal_client_http_new(argv[1], "ca.pem", &error) == NULL,
	      "a CA file is refused on Windows", NULL);
	check_code(&error, MESH_ERROR_UNSUPPORTED, "a CA file");

	big = g_strconcat(argv[2], "big", NULL);
	side = mesh_portal_client_http_new(big, NULL, &error);
	check(side != NULL && !mesh_portal_client_transact(side, HELLO, &answer, &status, &error),
	      "an answer over MESH_PORTAL_MESSAGE_MAX is refused", NULL);
	check_code(&error, MESH_ERROR_TOO_LARGE, "an answer over the bound");
	g_clear_pointer(&side, mesh_portal_client_close);

	redirect = g_strconcat(argv[2], "redirect", NULL);
	side = mesh_portal_client_http_new(redirect, NULL, &error);
	check(side != NULL && mesh_portal_client_transact(side, HELLO, &answer, &status, &error) &&
	              status == 302 && g_bytes_get_size(answer) < 100,
	      "a redirect is not followed: the 302 itself is the answer", error);
	g_clear_pointer(&answer, g_bytes_unref);
	g_clear_error(&error);
	g_clear_pointer(&side, mesh_portal_client_close);

	side = mesh_portal_client_http_new("http://127.0.0.1:1/", NULL, &error);
	check(side != NULL && !mesh_portal_client_transact(side, HELLO, &answer, &status, &error),
	      "nothing listening is a failure", NULL);
	check_code(&error, MESH_ERROR_NETWORK, "nothing listening");

	printf("win-http: %d failed\n", check_failed);
	return check_failed > 0 ? 1 : 0;
}
