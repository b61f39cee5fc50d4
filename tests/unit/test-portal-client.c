/* SPDX-License-Identifier: MIT */
/*
 * The portal client's URLs (core/portal-client.h: one normal form, the one devices remember and
 * compare) and the HTTP client's TLS handshake with a peer that does not speak TLS
 * (core/portal-http.h): a loopback server in a thread that reads the ClientHello and says
 * nothing, as a plain-HTTP portal waiting for request headers does, and one that answers plain
 * HTTP at once. Both must fail within seconds, saying that the portal does not speak TLS.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "portal-http.h"
#include "cutest.h"
#include "error.h"
#include "portal-client.h"

/* LeakSanitizer (glibc 2.36) crashes at exit on the dynamic TLS of the GIO TLS module
 * (glib-networking) that the handshake tests load, unless ASan leaves __tls_get_addr alone, as
 * the integration scripts ask in ASAN_OPTIONS; leak checking still runs. Read by ASan only. */
const char *__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "intercept_tls_get_addr=0";
}

/* ---- URLs ---------------------------------------------------------------------------------- */

static void
test_url_normalize(void)
{
	static const char *const good[][2] = {
	        /* No path, or "/": the well-known path. */
	        {"http://127.0.0.1:9080", "http://127.0.0.1:9080/.well-known/mmm/"},
	        {"http://127.0.0.1:9080/", "http://127.0.0.1:9080/.well-known/mmm/"},
	        {"https://example.com", "https://example.com/.well-known/mmm/"},
	        /* A path is kept as it is. */
	        {"https://example.com/.well-known/mmm/", "https://example.com/.well-known/mmm/"},
	        {"https://example.com/mesh/portal", "https://example.com/mesh/portal"},
	        {"https://example.com/.well-known/mmm", "https://example.com/.well-known/mmm"},
	        /* Scheme and host in lower case; the scheme's own port left out. */
	        {"HTTPS://Portal.Example.COM:443", "https://portal.example.com/.well-known/mmm/"},
	        {"https://example.com:8443/", "https://example.com:8443/.well-known/mmm/"},
	        {"http://LOCALHOST:80", "http://localhost/.well-known/mmm/"},
	        {"http://127.1.2.3:1", "http://127.1.2.3:1/.well-known/mmm/"},
	        {"http://[::1]:9080", "http://[::1]:9080/.well-known/mmm/"},
	        {"https://[2001:DB8::1]:8443/x/", "https://[2001:db8::1]:8443/x/"},
	};
	static const char *const bad[] = {
	        "",
	        "example.com",
	        "127.0.0.1:9080",
	        "localhost:9080",
	        "ftp://127.0.0.1/",
	        "file:///etc/passwd",
	        "http://example.com/",
	        "http://10.0.0.1:9080/",
	        "http://[::2]:9080/",
	        "https://user:secret@example.com/",
	        "https://example.com/?x=1",
	        "https://example.com/#x",
	        "https:///.well-known/mmm/",
	        "https://exa_mple.com/",
	        "https://example.com:0/",
	        "https://example.com/a b",
	        "not a url",
	        "https://example.com:99999/",
	        "https://[fe80::1%25eth0]/",
	        "https://a..b/",
	        "https://-a.example/",
	        "https://a-.example/",
	        "https://./",
	};
	GError *error = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
		g_autofree char *normal = mesh_portal_url_normalize(good[i][0], &error);
		g_autofree char *again = NULL;

		MESH_ASSERT_NO_ERROR(error);
		if (g_strcmp0(normal, good[i][1]) != 0)
			g_printerr("%s: got %s, want %s\n", good[i][0], normal, good[i][1]);
		CU_ASSERT_STRING_EQUAL(normal, good[i][1]);
		/* The normal form is its own normal form. */
		again = mesh_portal_url_normalize(normal, &error);
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_STRING_EQUAL(again, normal);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		CU_ASSERT_PTR_NULL(mesh_portal_url_normalize(bad[i], &error));
		CU_ASSERT_PTR_NOT_NULL_FATAL(error);
		/* One line that gives the accepted forms. */
		CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "https://HOST[:PORT][/PATH]"));
		CU_ASSERT_PTR_NULL(strchr(error->message, '\n'));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	}
	{
		g_autofree char *url = mesh_portal_url_for_domain("example.com");
		g_autofree char *http = mesh_portal_client_http_url("example.com");

		CU_ASSERT_STRING_EQUAL(url, "https://example.com/.well-known/mmm/");
		CU_ASSERT_STRING_EQUAL(http, url);
	}
	/* The HTTP client takes the same forms: no path is the well-known path. */
	{
		g_autoptr(MeshPortalClient) client =
		        mesh_portal_client_http_new("http://127.0.0.1:9", NULL, &error);

		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_PTR_NOT_NULL(client);
		CU_ASSERT_PTR_NULL(mesh_portal_client_http_new("127.0.0.1:9", NULL, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	}
}

/* ---- A peer that does not speak TLS -------------------------------------------------------- */

typedef struct {
	int listener;
	guint16 port;
	gboolean answer; /* answer plain HTTP at once; else read and say nothing */
	GThread *thread;
} PlainPeer;

/* Accept one connection; read until the client hangs up (answering plain HTTP first when asked),
 * as a plain-HTTP server that waits for the end of the request headers does. */
static gpointer
plain_main(gpointer data)
{
	static const char reply[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
	                            "Connection: close\r\n\r\n";
	PlainPeer *p = data;
	char buf[4096];
	int fd = accept(p->listener, NULL, NULL);

	if (fd < 0)
		return NULL;
	if (p->answer) {
		if (read(fd, buf, sizeof buf) > 0 && write(fd, reply, sizeof reply - 1) < 0)
			g_printerr("plain peer: write failed\n");
	} else {
		while (read(fd, buf, sizeof buf) > 0)
			;
	}
	close(fd);
	return NULL;
}

static void
plain_start(PlainPeer *p, gboolean answer)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof sa;

	memset(p, 0, sizeof *p);
	p->answer = answer;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CU_ASSERT_FATAL(p->listener >= 0);
	CU_ASSERT_FATAL(bind(p->listener, (struct sockaddr *)&sa, sizeof sa) == 0);
	CU_ASSERT_FATAL(listen(p->listener, 4) == 0);
	CU_ASSERT_FATAL(getsockname(p->listener, (struct sockaddr *)&sa, &len) == 0);
	p->port = ntohs(sa.sin_port);
	p->thread = g_thread_new("plain-peer", plain_main, p);
}

static void
plain_stop(PlainPeer *p)
{
	g_thread_join(p->thread);
	close(p->listener);
}

/* One transaction with https:// to @p: the error, and the seconds it took in *@ret_seconds. */
static GError *
transact_tls(PlainPeer *p, double *ret_seconds)
{
	g_autofree char *url = g_strdup_printf("https://127.0.0.1:%u", p->port);
	g_autoptr(MeshPortalClient) client = NULL;
	g_autoptr(GBytes) answer = NULL;
	GError *error = NULL;
	guint status = 0;
	gint64 start;

	client = mesh_portal_client_http_new(url, NULL, &error);
	MESH_ASSERT_NO_ERROR(error);
	start = g_get_monotonic_time();
	CU_ASSERT_FALSE(mesh_portal_client_transact(client, "{\"HelloRequest\":{}}", &answer,
	                                            &status, &error));
	*ret_seconds = (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
	return error;
}

static void
test_tls_to_plain(void)
{
	PlainPeer silent, talking;
	GError *error;
	double seconds = 0;

	/* A plain-HTTP portal that waits for request headers: the handshake's own time-out. */
	plain_start(&silent, FALSE);
	error = transact_tls(&silent, &seconds);
	plain_stop(&silent);
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	g_printerr("silent peer: %.1f s: %s\n", seconds, error->message);
	CU_ASSERT_TRUE(seconds >= MESH_PORTAL_TLS_HANDSHAKE_SECONDS - 1);
	/* Without the handshake's own time-out the transaction would wait for the HTTP one; the
	 * margin below it is for valgrind on a busy machine. */
	CU_ASSERT_TRUE(seconds < MESH_PORTAL_HTTP_TIMEOUT_SECONDS - 5);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "does not speak TLS"));
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "use http://"));
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "/.well-known/mmm/"));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NETWORK);

	/* A plain-HTTP server that answers at once: at once. */
	plain_start(&talking, TRUE);
	error = transact_tls(&talking, &seconds);
	plain_stop(&talking);
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	g_printerr("answering peer: %.1f s: %s\n", seconds, error->message);
	CU_ASSERT_TRUE(seconds < MESH_PORTAL_TLS_HANDSHAKE_SECONDS);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "does not speak TLS"));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NETWORK);
}

static CU_TestInfo tests[] = {
        {"URLs: one normal form; bad ones refused with the accepted forms", test_url_normalize},
        {"TLS to a peer that does not speak it: fails within seconds, says so", test_tls_to_plain},
        CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("portal-client", tests);
}
