/* SPDX-License-Identifier: MIT */
/*
 * The portal's HTTP binding (portal/http.h) in process, its server in a thread of its own, driven
 * by raw loopback sockets: client keys, the connection caps and the eviction of connections
 * without headers, the header timeout, configurations refused, a listener that keeps
 * accepting after accept failed for want of descriptors, and the health endpoint. (servermesh under floods:
 * tests/integration/portal-flood.sh.)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <gio/gio.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cutest.h"
#include "error.h"
#include "http.h"

#define ANSWER "{\"HelloResponse\":{\"Status\":200,\"StatusDescription\":\"OK\"}}"

/* ---- The server, in its own thread and main context ---------------------------------------- */

typedef struct {
	MeshPortalHttpConfig config;
	GThread *thread;
	GMainContext *context;
	GMainLoop *loop;
	MeshPortalHttp *http;
	GError *error;
	guint16 port;
	GMutex mutex;
	GCond cond;
	gboolean ready;
	int held;           /* 1: the server's main loop is held (server_hold), 2: it may go on */
	GPtrArray *clients; /* client keys the handler saw */
	GPtrArray *notices;
	gboolean healthy;   /* what health() answers */
	guint health_calls; /* how often it was asked */
} Server;

static GBytes *
handler(gpointer data, const char *client, GBytes *request, guint *ret_status,
        const char **ret_transaction)
{
	Server *s = data;

	g_mutex_lock(&s->mutex);
	g_ptr_array_add(s->clients, g_strdup(client));
	g_mutex_unlock(&s->mutex);
	*ret_status = 200;
	*ret_transaction = "Hello";
	return g_bytes_new_static(ANSWER, strlen(ANSWER));
}

static void
on_notice(gpointer data, const char *message)
{
	Server *s = data;

	g_mutex_lock(&s->mutex);
	g_ptr_array_add(s->notices, g_strdup(message));
	g_mutex_unlock(&s->mutex);
}

/* The health function of servers started with next_health: counts its calls, answers as
 * s->healthy says. */
static gboolean
health(gpointer data, GError **error)
{
	Server *s = data;
	gboolean ok;

	g_mutex_lock(&s->mutex);
	s->health_calls++;
	ok = s->healthy;
	g_mutex_unlock(&s->mutex);
	if (!ok)
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "database /SECRET/PATH is gone");
	return ok;
}

/* For the next server_start only: a health function, and a rate limit (0: none). */
static gboolean next_health;
static double next_rate;

static gpointer
server_main(gpointer data)
{
	Server *s = data;

	g_main_context_push_thread_default(s->context);
	s->http = mesh_portal_http_new(&s->config, handler, s, &s->error);
	g_mutex_lock(&s->mutex);
	s->port = s->http != NULL ? mesh_portal_http_port(s->http) : 0;
	s->ready = TRUE;
	g_cond_signal(&s->cond);
	g_mutex_unlock(&s->mutex);
	if (s->http != NULL)
		g_main_loop_run(s->loop);
	g_clear_pointer(&s->http, mesh_portal_http_free);
	g_main_context_pop_thread_default(s->context);
	return NULL;
}

static Server *
server_start(guint max, guint per_client, guint header_timeout)
{
	Server *s = g_new0(Server, 1);

	s->config.listen = "127.0.0.1:0";
	s->config.rate = next_rate > 0 ? next_rate : -1;
	s->config.burst = next_rate > 0 ? 1 : 0;
	if (next_health) {
		s->config.health = health;
		s->config.health_data = s;
		s->healthy = TRUE;
	}
	next_health = FALSE;
	next_rate = 0;
	s->config.max_connections = max;
	s->config.max_connections_per_client = per_client;
	s->config.header_timeout = header_timeout;
	s->config.notice = on_notice;
	s->config.log_data = s;
	s->context = g_main_context_new();
	s->loop = g_main_loop_new(s->context, FALSE);
	s->clients = g_ptr_array_new_with_free_func(g_free);
	s->notices = g_ptr_array_new_with_free_func(g_free);
	g_mutex_init(&s->mutex);
	g_cond_init(&s->cond);
	s->thread = g_thread_new("portal-http", server_main, s);
	g_mutex_lock(&s->mutex);
	while (!s->ready)
		g_cond_wait(&s->cond, &s->mutex);
	g_mutex_unlock(&s->mutex);
	MESH_ASSERT_NO_ERROR(s->error);
	CU_ASSERT_NOT_EQUAL_FATAL(s->port, 0);
	return s;
}

static gboolean
quit(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_REMOVE;
}

static void
server_stop(Server *s)
{
	g_main_context_invoke(s->context, quit, s->loop);
	g_thread_join(s->thread);
	g_main_loop_unref(s->loop);
	g_main_context_unref(s->context);
	g_ptr_array_unref(s->clients);
	g_ptr_array_unref(s->notices);
	g_mutex_clear(&s->mutex);
	g_cond_clear(&s->cond);
	g_clear_error(&s->error);
	g_free(s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Server, server_stop)

static gboolean
hold_loop(gpointer data)
{
	Server *s = data;

	g_mutex_lock(&s->mutex);
	s->held = 1;
	g_cond_broadcast(&s->cond);
	while (s->held != 2)
		g_cond_wait(&s->cond, &s->mutex);
	s->held = 0;
	g_mutex_unlock(&s->mutex);
	return G_SOURCE_REMOVE;
}

/* Hold the server's main loop: what connects meanwhile waits in the backlog, all of it there
 * when the loop goes on (server_release). */
static void
server_hold(Server *s)
{
	g_main_context_invoke(s->context, hold_loop, s);
	g_mutex_lock(&s->mutex);
	while (s->held != 1)
		g_cond_wait(&s->cond, &s->mutex);
	g_mutex_unlock(&s->mutex);
}

static void
server_release(Server *s)
{
	g_mutex_lock(&s->mutex);
	s->held = 2;
	g_cond_broadcast(&s->cond);
	g_mutex_unlock(&s->mutex);
}

/* Whether a notice containing @text was given. */
static gboolean
noticed(Server *s, const char *text)
{
	gboolean found = FALSE;

	g_mutex_lock(&s->mutex);
	for (guint i = 0; i < s->notices->len && !found; i++)
		found = strstr(s->notices->pdata[i], text) != NULL;
	g_mutex_unlock(&s->mutex);
	return found;
}

/* ---- Clients: raw sockets from a chosen loopback address ----------------------------------- */

/* An unconnected TCP socket bound to @from (127.0.0.x). */
static int
client_socket(const char *from)
{
	struct sockaddr_in local = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(inet_pton(AF_INET, from, &local.sin_addr), 1);
	CU_ASSERT_EQUAL(bind(fd, (struct sockaddr *)&local, sizeof local), 0);
	return fd;
}

static void
client_connect(int fd, guint16 port)
{
	struct sockaddr_in server = {.sin_family = AF_INET, .sin_port = htons(port)};

	server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_EQUAL(connect(fd, (struct sockaddr *)&server, sizeof server), 0);
}

static int
client_open(Server *s, const char *from)
{
	int fd = client_socket(from);

	client_connect(fd, s->port);
	return fd;
}

/* Whether the server closed @fd within @ms: end of stream or reset, no answer. */
static gboolean
closed_within(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char byte;

	if (poll(&p, 1, ms) != 1)
		return FALSE;
	return recv(fd, &byte, 1, MSG_DONTWAIT) <= 0;
}

/* Send @request on @fd and read the answer until the server closes: its status, or 0; the
 * answer's body in @ret_body (may be NULL). */
/* Whether @in holds a whole answer: headers, and as many body bytes as Content-Length says. */
static gboolean
answer_complete(const GString *in)
{
	const char *end = strstr(in->str, "\r\n\r\n");
	const char *length = end != NULL ? strstr(in->str, "\r\nContent-Length:") /* libsoup writes it so */ : NULL;

	if (length == NULL || length > end)
		return FALSE;
	return (gsize)(in->str + in->len - (end + 4)) >=
	       (gsize)g_ascii_strtoull(length + strlen("\r\nContent-Length:"), NULL, 10);
}

static guint
request_on(int fd, const char *request, char **ret_body)
{
	g_autoptr(GString) in = g_string_new(NULL);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	const char *body;
	guint status = 0;
	char buf[4096];
	ssize_t n;

	if (send(fd, request, strlen(request), MSG_NOSIGNAL) != (ssize_t)strlen(request))
		return 0;
	/* Until the server closes, or the answer is complete (it keeps connections open). */
	while (!answer_complete(in) && poll(&p, 1, 5000) == 1 &&
	       (n = recv(fd, buf, sizeof buf, 0)) > 0)
		g_string_append_len(in, buf, n);
	if (sscanf(in->str, "HTTP/1.1 %u", &status) != 1)
		return 0;
	body = strstr(in->str, "\r\n\r\n");
	if (ret_body != NULL)
		*ret_body = g_strdup(body != NULL ? body + 4 : "");
	return status;
}

/* Send a Hello on @fd: the answer's status, or 0. */
static guint
hello_on(int fd)
{
	return request_on(fd,
	                  "POST /.well-known/mmm/ HTTP/1.1\r\nHost: x\r\n"
	                  "Content-Type: application/json\r\nContent-Length: 20\r\n\r\n"
	                  "{\"HelloRequest\":{}}\n",
	                  NULL);
}

/* GET the health endpoint from @from: the status, the body in @ret_body. */
static guint
health_from(Server *s, const char *from, char **ret_body)
{
	int fd = client_open(s, from);
	guint status = request_on(
	        fd, "GET " MESH_PORTAL_HTTP_HEALTH_PATH " HTTP/1.1\r\nHost: x\r\n\r\n", ret_body);

	close(fd);
	return status;
}

static guint
hello_from(Server *s, const char *from)
{
	int fd = client_open(s, from);
	guint status = hello_on(fd);

	close(fd);
	return status;
}

/* ---- Cases --------------------------------------------------------------------------------- */

static char *
key_of(const char *address)
{
	g_autoptr(GInetAddress) inet = g_inet_address_new_from_string(address);
	g_autoptr(GSocketAddress) socket_address = g_inet_socket_address_new(inet, 443);

	return mesh_portal_http_client_key(socket_address);
}

static void
test_client_key(void)
{
	static const char *const cases[][2] = {
	        {"192.0.2.1", "192.0.2.1"},
	        {"127.0.0.2", "127.0.0.2"},
	        {"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::"},
	        {"2001:db8:1:2:ffff::1", "2001:db8:1:2::"},
	        {"2001:db8:1:3::1", "2001:db8:1:3::"},
	        {"::1", "::1"},
	        /* A dual-stack listener's IPv4 clients: each its own key, not one /64 for all. */
	        {"::ffff:192.0.2.1", "192.0.2.1"},
	        {"::ffff:198.51.100.7", "198.51.100.7"},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *key = key_of(cases[i][0]);

		CU_ASSERT_STRING_EQUAL(key, cases[i][1]);
	}
}

static void
test_config(void)
{
	guint64 nofile = 0;
	guint limit = mesh_portal_http_connection_limit(&nofile);
	MeshPortalHttpConfig config = {.listen = "127.0.0.1:0"};
	g_autoptr(MeshPortalHttp) http = NULL;
	GError *error = NULL;

	CU_ASSERT_TRUE(limit > 0 &&
	               (nofile == G_MAXUINT64 || limit == nofile - MESH_PORTAL_HTTP_FD_RESERVE));
	if (limit < G_MAXUINT) {
		/* More connections than the descriptors allow. */
		config.max_connections = limit + 1;
		CU_ASSERT_PTR_NULL(mesh_portal_http_new(&config, handler, NULL, &error));
		CU_ASSERT_TRUE(error != NULL && strstr(error->message, "ulimit -n") != NULL);
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	}
	/* More per client than in all. */
	config.max_connections = 10;
	config.max_connections_per_client = 11;
	CU_ASSERT_PTR_NULL(mesh_portal_http_new(&config, handler, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	/* Within both. */
	config.max_connections_per_client = 10;
	http = mesh_portal_http_new(&config, handler, NULL, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL(http);
}

/* Per-client and total caps; over the total, the oldest connection without headers goes. */
static void
test_caps(void)
{
	g_autoptr(Server) s = server_start(4, 2, 60);
	int a1 = client_open(s, "127.0.0.2");
	int a2 = client_open(s, "127.0.0.2");
	int a3 = -1, b1, b2;

	/* The client's third is closed at once; the first two stay. */
	g_usleep(100000);
	a3 = client_open(s, "127.0.0.2");
	CU_ASSERT_TRUE(closed_within(a3, 2000));
	CU_ASSERT_FALSE(closed_within(a1, 100));
	CU_ASSERT_FALSE(closed_within(a2, 100));
	/* Another client fills the total; a third client still gets an answer, in place of the
	 * oldest connection that never sent a request. */
	b1 = client_open(s, "127.0.0.3");
	b2 = client_open(s, "127.0.0.3");
	g_usleep(100000);
	CU_ASSERT_EQUAL(hello_from(s, "127.0.0.4"), 200);
	CU_ASSERT_TRUE(closed_within(a1, 2000));
	CU_ASSERT_FALSE(closed_within(b2, 100));
	/* A client at its cap that sent its request keeps its connections. */
	CU_ASSERT_EQUAL(hello_on(a2), 200);
	g_mutex_lock(&s->mutex);
	CU_ASSERT_EQUAL_FATAL(s->clients->len, 2);
	CU_ASSERT_STRING_EQUAL(s->clients->pdata[0], "127.0.0.4");
	CU_ASSERT_STRING_EQUAL(s->clients->pdata[1], "127.0.0.2");
	g_mutex_unlock(&s->mutex);
	/* Once they are gone, the client may connect again. */
	close(a1);
	close(a2);
	close(a3);
	close(b1);
	close(b2);
	g_usleep(300000);
	CU_ASSERT_EQUAL(hello_from(s, "127.0.0.2"), 200);
	CU_ASSERT_EQUAL(hello_from(s, "127.0.0.2"), 200);
	CU_ASSERT_EQUAL(hello_from(s, "127.0.0.2"), 200);
}

/* A connection that sends no complete headers is closed after the header timeout. */
static void
test_header_timeout(void)
{
	g_autoptr(Server) s = server_start(8, 4, 1);
	int idle = client_open(s, "127.0.0.2");
	int partial = client_open(s, "127.0.0.2");
	gint64 start = g_get_monotonic_time();
	static const char line[] = "POST /.well-known/mmm/ HTTP/1.1\r\nHost: x";

	CU_ASSERT_EQUAL(send(partial, line, strlen(line), 0), (ssize_t)strlen(line));
	CU_ASSERT_FALSE(closed_within(idle, 500));
	CU_ASSERT_TRUE(closed_within(idle, 8000));
	CU_ASSERT_TRUE(closed_within(partial, 8000));
	CU_ASSERT_TRUE(g_get_monotonic_time() - start >= 900000);
	CU_ASSERT_EQUAL(hello_from(s, "127.0.0.2"), 200);
	close(idle);
	close(partial);
}

/* The lowest descriptor number free now: with RLIMIT_NOFILE at it, nothing more opens. */
static int
lowest_free_fd(void)
{
	int fd = dup(0);

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	return fd;
}

/*
 * No descriptor left for accept (EMFILE): the listener pauses and tries again, and answers once
 * descriptors are back. (libsoup 3.2.3's own listener stops for good at the first failure.)
 */
static void
test_accept_errors(void)
{
	g_autoptr(Server) s = server_start(8, 8, 60);
	struct rlimit saved, low;
	int waiting[2], late;

	CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_NOFILE, &saved), 0);
	waiting[0] = client_socket("127.0.0.2");
	waiting[1] = client_socket("127.0.0.2");
	late = client_socket("127.0.0.3");
	/* From here on no descriptor can be opened in this process. */
	low = saved;
	low.rlim_cur = (rlim_t)lowest_free_fd();
	server_hold(s);
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_NOFILE, &low), 0);
	client_connect(waiting[0], s->port);
	client_connect(waiting[1], s->port);
	server_release(s);
	for (int i = 0; i < 100 && !noticed(s, "cannot accept connections"); i++)
		g_usleep(20000);
	CU_ASSERT_EQUAL(setrlimit(RLIMIT_NOFILE, &saved), 0);
	CU_ASSERT_TRUE(noticed(s, "cannot accept connections"));
	/* Descriptors are back: a new connection is answered. */
	client_connect(late, s->port);
	CU_ASSERT_EQUAL(hello_on(late), 200);
	CU_ASSERT_TRUE(noticed(s, "accepting connections again"));
	close(waiting[0]);
	close(waiting[1]);
	close(late);
}

/*
 * The health endpoint: the function is asked at most once a second, whatever the number of
 * checks; its answer goes out as 200 or 503 with nothing of its reason, which is noticed once;
 * the rate limit never applies to it; a server without a function has no such path (404).
 */
static void
test_health(void)
{
	g_autoptr(Server) s = (next_health = TRUE, next_rate = 1, server_start(16, 16, 5));
	g_autoptr(Server) plain = server_start(16, 16, 5);
	guint ok = 0, calls;

	for (int i = 0; i < 20; i++) {
		g_autofree char *body = NULL;

		ok += health_from(s, "127.0.0.2", &body) == 200 &&
		      strcmp(body, "{\"Status\":\"ok\"}") == 0;
	}
	CU_ASSERT_EQUAL(ok, 20); /* 20 checks at 1 a second, burst 1: never 429 */
	g_mutex_lock(&s->mutex);
	calls = s->health_calls;
	s->healthy = FALSE;
	g_mutex_unlock(&s->mutex);
	CU_ASSERT_EQUAL(calls, 1);
	/* The Hellos of that address are limited meanwhile: the limit is on. */
	CU_ASSERT_EQUAL(hello_from(s, "127.0.0.2"), 200);
	CU_ASSERT_EQUAL(hello_from(s, "127.0.0.2"), 429);
	/* Within the second: the last answer still. */
	CU_ASSERT_EQUAL(health_from(s, "127.0.0.2", NULL), 200);
	g_usleep((MESH_PORTAL_HTTP_HEALTH_INTERVAL_MS + 100) * 1000);
	for (int i = 0; i < 5; i++) {
		g_autofree char *body = NULL;

		CU_ASSERT_EQUAL(health_from(s, "127.0.0.3", &body), 503);
		CU_ASSERT_STRING_EQUAL(body, "{\"Status\":\"unavailable\"}");
	}
	g_mutex_lock(&s->mutex);
	CU_ASSERT_EQUAL(s->health_calls, 2);
	g_mutex_unlock(&s->mutex);
	CU_ASSERT_TRUE(noticed(s, "health: unavailable: database /SECRET/PATH is gone"));
	g_mutex_lock(&s->mutex);
	s->healthy = TRUE;
	g_mutex_unlock(&s->mutex);
	g_usleep((MESH_PORTAL_HTTP_HEALTH_INTERVAL_MS + 100) * 1000);
	CU_ASSERT_EQUAL(health_from(s, "127.0.0.3", NULL), 200);
	CU_ASSERT_TRUE(noticed(s, "health: ok again"));

	CU_ASSERT_EQUAL(health_from(plain, "127.0.0.2", NULL), 404);
}

int
main(void)
{
	CU_TestInfo tests[] = {
	        {"client keys: IPv4, IPv6 by /64, IPv4-mapped", test_client_key},
	        {"configurations beyond the descriptor limit refused", test_config},
	        {"per-client and total caps, eviction of idle connections", test_caps},
	        {"header timeout", test_header_timeout},
	        {"accept fails (EMFILE): paused, then accepting again", test_accept_errors},
	        {"health: asked once a second, never rate-limited, 503 without the reason", test_health},
	        CU_TEST_INFO_NULL,
	};

	return mesh_test_main("portal-http", tests);
}
