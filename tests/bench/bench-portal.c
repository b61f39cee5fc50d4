/* SPDX-License-Identifier: MIT */
/*
 * bench-portal: servermesh over HTTP on 127.0.0.1. Requests/s of Get (by account) and of signed
 * ConnectStatus at 1, 16 and 64 concurrent client threads, and Get latency (p50/p99/max) with a
 * small and a large database; the Hello transaction (no database access) measured the same way
 * in the same run is the reference: what HTTP, a new TCP connection and the JSON envelope cost.
 *
 * Usage: bench-portal --servermesh PATH [--seconds S] [--accounts-small N] [--accounts-large N]
 *                     [--latency-requests N] [--smoke]
 *
 * It fills a database in a temporary directory, starts its own servermesh on it (127.0.0.1:0,
 * --rate 0: no rate limit), measures, stops that servermesh by pid and removes the directory.
 * The client is built in: blocking HTTP/1.1 POSTs over raw sockets, every figure measured two
 * ways. "close": one request per TCP connection (it asks for "Connection: close"). "keep-alive":
 * each client thread keeps its connection and sends the next request on it; the answer's body is
 * read by its Content-Length (or chunked); when the server ends the connection ("Connection:
 * close", or the socket closed), the thread opens a new one and counts a reconnect, not an error
 * (a servermesh that closes every connection shows one connection per request: keep-alive was
 * not in effect). Only 200 answers count as successes; everything else is reported as an error.
 *
 * The database: a sample of accounts (at most REAL_ACCOUNTS) get real, distinct master and
 * personal profiles, created through mesh_portal_store_account_create (one transaction each,
 * synchronous=FULL, so this is also timed). The bulk reuses the text of those signed profiles
 * round robin under their own names with a synthetic unique identifier, inserted with plain
 * SQL in one transaction (the store has no batch call; one fsync per account would take
 * minutes for 100,000). Get never verifies what it returns (the profile was verified when it
 * was created), so a bulk account costs the portal what a real one does; its answer is a valid
 * SignedPersonalProfile, of another account. The bulk insert writes schema version 2 and
 * refuses any other.
 *
 * It prints figures; it asserts nothing about speed.
 */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "connect.h"
#include "error.h"
#include "json.h"
#include "key.h"
#include "master.h"
#include "personal.h"
#include "portal-client.h"
#include "device-profile.h"
#include "signed.h"
#include "store-sqlite.h"

#define DOMAIN "bench.example"
/* Accounts with real, distinct profiles in each database (the rest reuse their texts). */
#define REAL_ACCOUNTS 100
/* Distinct Get requests, spread over every account of the database. */
#define GET_POOL 4096
/* Most signed ConnectStatus requests built for one measurement (each nonce works once). */
#define STATUS_POOL_MAX 400000
/* Signed ConnectStatus requests for the calibration of the pools' sizes. */
#define CALIBRATION_POOL 3000
/* A request that takes longer than this is an error. */
#define SOCKET_TIMEOUT_SECONDS 10

static const int concurrency[] = { 1, 16, 64 };
#define N_LEVELS G_N_ELEMENTS(concurrency)

static double
now(void)
{
	return (double)g_get_monotonic_time() / 1e6;
}

/* ---- The servermesh this run started ------------------------------------------------------ */

static GPid server_pid;

static void
server_stop(void)
{
	int status = 0;

	if (server_pid == 0)
		return;
	kill(server_pid, SIGTERM);
	for (int i = 0; i < 500; i++) {
		if (waitpid(server_pid, &status, WNOHANG) == server_pid) {
			server_pid = 0;
			return;
		}
		g_usleep(10000);
	}
	kill(server_pid, SIGKILL);
	waitpid(server_pid, &status, 0);
	server_pid = 0;
}

static char *work_dir;

static void
remove_work_dir(void)
{
	if (work_dir != NULL) {
		char *argv[] = { (char *)"rm", (char *)"-rf", work_dir, NULL };

		g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
			     NULL);
		g_clear_pointer(&work_dir, g_free);
	}
}

static G_NORETURN void
die(const char *format, ...) G_GNUC_PRINTF(1, 2);

static G_NORETURN void
die(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	fprintf(stderr, "bench-portal: ");
	vfprintf(stderr, format, args);
	fprintf(stderr, "\n");
	va_end(args);
	server_stop();
	remove_work_dir();
	exit(1);
}

static void
on_signal(int sig)
{
	if (server_pid != 0)
		kill(server_pid, SIGTERM);
	_exit(128 + sig);
}

/* Start @servermesh on @db, its log in @log; wait for its "serving" line; return the port. */
static guint16
server_start(const char *servermesh, const char *db, const char *log)
{
	/* 64 client threads on one address: above the default 32 connections per address. */
	char *argv[] = {(char *)servermesh,
	                (char *)DOMAIN,
	                (char *)"--listen",
	                (char *)"127.0.0.1:0",
	                (char *)"--db",
	                (char *)db,
	                (char *)"--rate",
	                (char *)"0",
	                (char *)"--max-connections-per-address",
	                (char *)"128",
	                NULL};
	g_autoptr(GError) error = NULL;
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int status;

	if (fd < 0)
		die("%s: %s", log, g_strerror(errno));
	if (!g_spawn_async_with_fds(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
				    &server_pid, -1, fd, fd, &error))
		die("cannot start %s: %s", servermesh, error->message);
	close(fd);
	for (int i = 0; i < 1000; i++) {
		g_autofree char *text = NULL;
		const char *at;

		if (g_file_get_contents(log, &text, NULL, NULL) &&
		    (at = strstr(text, "servermesh: serving ")) != NULL &&
		    (at = strstr(at, " on http://127.0.0.1:")) != NULL && strchr(at, '\n') != NULL) {
			long port = strtol(at + strlen(" on http://127.0.0.1:"), NULL, 10);

			if (port <= 0 || port > 65535)
				die("servermesh printed no port: %s", text);
			return (guint16)port;
		}
		if (waitpid(server_pid, &status, WNOHANG) == server_pid) {
			server_pid = 0;
			die("servermesh exited before serving: %s", text != NULL ? text : "");
		}
		g_usleep(10000);
	}
	die("servermesh did not say it was serving within 10 s");
}

/* Requests this client sent in all (atomic). */
static gint posts_total;

/* ---- A minimal HTTP/1.1 client ------------------------------------------------------------ */

/* Connection modes: one request per connection, or each client thread keeps its connection. */
enum { MODE_CLOSE, MODE_KEEP, N_MODES };
static const char *const mode_names[N_MODES] = { "close", "keep-alive" };

/* An answer's head beyond this, or a body beyond BODY_MAX, is a failure. */
#define HEAD_MAX 65536
#define BODY_MAX (16 * 1024 * 1024)

/* A request body; the head is written when it is sent (it depends on the mode only). */
typedef struct {
	char *body;
	gsize len;
} Req;

static void
req_clear(Req *r)
{
	g_clear_pointer(&r->body, g_free);
	r->len = 0;
}

static Req
req_make(const char *body)
{
	Req r = { g_strdup(body), strlen(body) };

	return r;
}

/* One client connection to 127.0.0.1; fd -1 when none is open. */
typedef struct {
	int fd;
	guint16 port;
	guint64 connects; /* connections opened */
	GByteArray *in;   /* bytes received and not yet consumed */
} Conn;

static void
conn_init(Conn *c, guint16 port)
{
	c->fd = -1;
	c->port = port;
	c->connects = 0;
	c->in = g_byte_array_new();
}

static void
conn_close(Conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	g_byte_array_set_size(c->in, 0);
}

static void
conn_clear(Conn *c)
{
	conn_close(c);
	g_clear_pointer(&c->in, g_byte_array_unref);
}

static gboolean
conn_open(Conn *c)
{
	struct sockaddr_in addr = { 0 };
	struct timeval tv = { SOCKET_TIMEOUT_SECONDS, 0 };
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return FALSE;
	c->connects++;
	addr.sin_family = AF_INET;
	addr.sin_port = htons(c->port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
		conn_close(c);
		return FALSE;
	}
	return TRUE;
}

static gboolean
send_all(int fd, const char *data, gsize len, int flags)
{
	for (gsize sent = 0; sent < len;) {
		ssize_t n = send(fd, data + sent, len - sent, flags | MSG_NOSIGNAL);

		if (n <= 0)
			return FALSE;
		sent += (gsize)n;
	}
	return TRUE;
}

/* More bytes into c->in: how many, 0 at the end of the stream, -1 on an error or timeout. */
static gssize
conn_read(Conn *c)
{
	guint old = c->in->len;
	ssize_t n;

	g_byte_array_set_size(c->in, old + 16384);
	n = recv(c->fd, c->in->data + old, 16384, 0);
	g_byte_array_set_size(c->in, old + (guint)MAX(n, 0));
	return n;
}

/* Where @needle starts in c->in from @from, or -1. */
static gssize
conn_find(const Conn *c, gsize from, const char *needle)
{
	const guint8 *at;

	if (from >= c->in->len)
		return -1;
	at = memmem(c->in->data + from, c->in->len - from, needle, strlen(needle));
	return at != NULL ? at - c->in->data : -1;
}

/* Read until c->in holds at least @len bytes. */
static gboolean
conn_need(Conn *c, gsize len)
{
	while (c->in->len < len)
		if (conn_read(c) <= 0)
			return FALSE;
	return TRUE;
}

/* Whether the comma-separated header value @value names @token (case-insensitive). */
static gboolean
header_has(const char *value, const char *token)
{
	g_auto(GStrv) parts = g_strsplit(value, ",", -1);

	for (char **p = parts; *p != NULL; p++)
		if (g_ascii_strcasecmp(g_strstrip(*p), token) == 0)
			return TRUE;
	return FALSE;
}

/*
 * One answer from @c: its status (0: none, or not one this client reads), its body appended to
 * @body (may be NULL). The body is delimited as HTTP/1.1 says: Content-Length, chunked, or the
 * end of the stream. *@ret_close: the connection ends with this answer ("Connection: close",
 * HTTP/1.0 without keep-alive, or a body ended by the stream). *@ret_started: a byte of it came.
 */
static guint
read_answer(Conn *c, GString *body, gboolean *ret_close, gboolean *ret_started)
{
	g_autofree char *head = NULL;
	gint64 length = -1;
	gboolean chunked = FALSE, close_after;
	gssize end;
	gsize pos;
	guint status;
	char *line;

	*ret_close = TRUE;
	*ret_started = c->in->len > 0;
	while ((end = conn_find(c, 0, "\r\n\r\n")) < 0) {
		if (c->in->len > HEAD_MAX || conn_read(c) <= 0)
			return 0;
		*ret_started = TRUE;
	}
	pos = (gsize)end + 4;
	head = g_strndup((const char *)c->in->data, pos);
	if (!g_str_has_prefix(head, "HTTP/1.1 ") && !g_str_has_prefix(head, "HTTP/1.0 "))
		return 0;
	close_after = head[7] == '0';
	status = (guint)strtoul(head + 9, NULL, 10);
	for (line = strstr(head, "\r\n") + 2; *line != '\r';) {
		char *next = strstr(line, "\r\n");
		char *value = strchr(line, ':');

		*next = '\0';
		if (value != NULL) {
			*value++ = '\0';
			value = g_strstrip(value);
			if (g_ascii_strcasecmp(line, "Content-Length") == 0)
				length = g_ascii_strtoll(value, NULL, 10);
			else if (g_ascii_strcasecmp(line, "Transfer-Encoding") == 0)
				chunked = header_has(value, "chunked");
			else if (g_ascii_strcasecmp(line, "Connection") == 0 &&
				 header_has(value, "close"))
				close_after = TRUE;
			else if (g_ascii_strcasecmp(line, "Connection") == 0 &&
				 header_has(value, "keep-alive"))
				close_after = FALSE;
		}
		line = next + 2;
	}
	if (chunked) {
		for (;;) {
			gssize eol;
			gsize size;

			while ((eol = conn_find(c, pos, "\r\n")) < 0)
				if (c->in->len - pos > 1024 || conn_read(c) <= 0)
					return 0;
			size = (gsize)strtoul((const char *)c->in->data + pos, NULL, 16);
			pos = (gsize)eol + 2;
			if (size > BODY_MAX || !conn_need(c, pos + size + 2))
				return 0;
			if (size == 0) {
				pos += 2; /* no trailers: the empty line */
				break;
			}
			if (body != NULL)
				g_string_append_len(body, (const char *)c->in->data + pos,
						    (gssize)size);
			pos += size + 2;
		}
	} else if (length >= 0) {
		if (length > BODY_MAX || !conn_need(c, pos + (gsize)length))
			return 0;
		if (body != NULL)
			g_string_append_len(body, (const char *)c->in->data + pos, length);
		pos += (gsize)length;
	} else {
		gssize n;

		while ((n = conn_read(c)) > 0)
			if (c->in->len > BODY_MAX)
				return 0;
		if (n < 0)
			return 0;
		if (body != NULL)
			g_string_append_len(body, (const char *)c->in->data + pos,
					    (gssize)(c->in->len - pos));
		pos = c->in->len;
		close_after = TRUE;
	}
	g_byte_array_remove_range(c->in, 0, (guint)pos);
	*ret_close = close_after;
	return status;
}

/*
 * One POST of @req on @c, in @mode. MODE_CLOSE: a new connection that asks to be closed after
 * the answer (one request per connection). MODE_KEEP: the connection @c holds when it has one;
 * when the server has ended it (it answered "Connection: close" or closed the socket while
 * idle), a new one: c->connects counts them. A request that met a connection the server had
 * already closed (nothing sent back) is sent once more on a new one. Returns the HTTP status
 * (0: a socket error, a timeout or no answer). @ret_body (may be NULL) gets the body.
 */
static guint
conn_post(Conn *c, int mode, const Req *req, char **ret_body)
{
	g_autoptr(GString) answer = ret_body != NULL ? g_string_new(NULL) : NULL;

	g_atomic_int_inc(&posts_total);
	if (mode == MODE_CLOSE)
		conn_close(c);
	for (int attempt = 0; attempt < 2; attempt++) {
		char head[192];
		gboolean fresh = c->fd < 0, ends, started;
		guint status;
		int n;

		if (fresh && !conn_open(c))
			return 0;
		n = snprintf(head, sizeof head,
			     "POST /.well-known/mmm/ HTTP/1.1\r\n"
			     "Host: 127.0.0.1:%u\r\n"
			     "Content-Type: application/json\r\n"
			     "Content-Length: %zu\r\n%s\r\n",
			     c->port, req->len, mode == MODE_CLOSE ? "Connection: close\r\n" : "");
		if (!send_all(c->fd, head, (gsize)n, MSG_MORE) ||
		    !send_all(c->fd, req->body, req->len, 0)) {
			conn_close(c);
			if (fresh)
				return 0;
			continue;
		}
		status = read_answer(c, answer, &ends, &started);
		if (status == 0) {
			conn_close(c);
			if (fresh || started)
				return 0;
			continue;
		}
		if (ends || mode == MODE_CLOSE)
			conn_close(c);
		if (ret_body != NULL)
			*ret_body = g_string_free(g_steal_pointer(&answer), FALSE);
		return status;
	}
	return 0;
}

/* One POST on a connection of its own (setup and checks). */
static guint
http_post(guint16 port, const Req *req, char **ret_body)
{
	Conn c;
	guint status;

	conn_init(&c, port);
	status = conn_post(&c, MODE_CLOSE, req, ret_body);
	conn_clear(&c);
	return status;
}

/* ---- Measurements ------------------------------------------------------------------------- */

typedef struct {
	guint16 port;
	int mode;
	const Req *pool;
	gsize n_pool;
	gboolean reuse; /* cycle through the pool (unsigned requests) or use each once */
	gint next;      /* atomic: the next request of the pool */
	double deadline;
	gint exhausted; /* atomic: a use-once pool ran out */
} Run;

typedef struct {
	Run *run;
	guint64 ok, refused, failed; /* 200; another status; no answer (socket error, timeout) */
	guint64 late;                /* answered after the deadline: not counted */
	guint64 slow;                /* counted, but took more than a second */
	guint64 connects;            /* connections opened */
	guint64 reconnects;          /* keep-alive: connections opened after the first */
	double last;                 /* when the last counted request was answered */
} Worker;

static gpointer
worker_main(gpointer data)
{
	Worker *w = data;
	Run *run = w->run;
	double t0;
	Conn c;

	conn_init(&c, run->port);
	while ((t0 = now()) < run->deadline) {
		gint i = g_atomic_int_add(&run->next, 1);
		guint status;
		double t1;

		if (!run->reuse && (gsize)i >= run->n_pool) {
			g_atomic_int_set(&run->exhausted, 1);
			break;
		}
		status = conn_post(&c, run->mode, &run->pool[(gsize)i % run->n_pool], NULL);
		t1 = now();
		if (t1 > run->deadline) {
			w->late++;
			break;
		}
		w->last = t1;
		if (t1 - t0 > 1.0)
			w->slow++;
		if (status == 200)
			w->ok++;
		else if (status == 0)
			w->failed++;
		else
			w->refused++;
	}
	w->connects = c.connects;
	if (run->mode == MODE_KEEP && c.connects > 1)
		w->reconnects = c.connects - 1;
	conn_clear(&c);
	return NULL;
}

typedef struct {
	double rate; /* 200 answers a second */
	guint64 ok, refused, failed, late, slow, connects, reconnects;
	double seconds;
	gboolean exhausted;
} Throughput;

/* Requests the client sent in the measurements, for the check against the server's log. */
static guint64 sent_total;

static Throughput
throughput(guint16 port, int mode, const Req *pool, gsize n_pool, gboolean reuse, int threads,
	   double seconds)
{
	Run run = { port, mode, pool, n_pool, reuse, 0, 0, 0 };
	g_autofree Worker *workers = g_new0(Worker, threads);
	g_autofree GThread **ids = g_new0(GThread *, threads);
	Throughput t = { 0 };
	double start = now(), last = start;

	run.deadline = start + seconds;
	for (int i = 0; i < threads; i++) {
		workers[i].run = &run;
		ids[i] = g_thread_new("bench-portal", worker_main, &workers[i]);
	}
	for (int i = 0; i < threads; i++) {
		g_thread_join(ids[i]);
		t.ok += workers[i].ok;
		t.refused += workers[i].refused;
		t.failed += workers[i].failed;
		t.late += workers[i].late;
		t.slow += workers[i].slow;
		t.connects += workers[i].connects;
		t.reconnects += workers[i].reconnects;
		last = MAX(last, workers[i].last);
	}
	t.exhausted = g_atomic_int_get(&run.exhausted) != 0;
	/* A use-once pool that ran out ends the measurement at its last answer. */
	t.seconds = t.exhausted ? last - start : seconds;
	t.rate = t.seconds > 0 ? t.ok / t.seconds : 0;
	sent_total += t.ok + t.refused + t.failed + t.late;
	return t;
}

typedef struct {
	double p50, p99, max; /* ms */
	guint errors;
	guint n;
} Latency;

static int
compare_double(gconstpointer a, gconstpointer b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* @n sequential requests in @mode cycling through @pool; percentiles over the 200 answers. */
static Latency
latency(guint16 port, int mode, const Req *pool, gsize n_pool, guint n)
{
	g_autofree double *ms = g_new(double, n);
	Latency l = { 0 };
	guint ok = 0;
	Conn c;

	conn_init(&c, port);
	for (guint i = 0; i < n; i++) {
		double t0 = now();
		guint status = conn_post(&c, mode, &pool[i % n_pool], NULL);
		double t = (now() - t0) * 1e3;

		if (status == 200)
			ms[ok++] = t;
		else
			l.errors++;
	}
	conn_clear(&c);
	sent_total += n;
	l.n = ok;
	if (ok == 0)
		return l;
	qsort(ms, ok, sizeof *ms, compare_double);
	l.p50 = ms[(ok - 1) / 2];
	l.p99 = ms[(gsize)ceil(ok * 0.99) - 1];
	l.max = ms[ok - 1];
	return l;
}

/* ---- Accounts ----------------------------------------------------------------------------- */

typedef struct {
	char *name;
	MeshKey *sig, *escrow[1], *online[1];
	MeshMasterProfile *master;
	char *identifier;
	char *text; /* the SignedPersonalProfile */
	gint64 serial;
} RealAccount;

static void
real_account_clear(RealAccount *a)
{
	g_free(a->name);
	g_clear_pointer(&a->sig, mesh_key_unref);
	g_clear_pointer(&a->escrow[0], mesh_key_unref);
	g_clear_pointer(&a->online[0], mesh_key_unref);
	g_clear_pointer(&a->master, mesh_master_profile_free);
	g_free(a->identifier);
	g_free(a->text);
}

static char *
account_name(guint i)
{
	return g_strdup_printf("user%07u", i);
}

static void
real_account_make(RealAccount *a, const char *name)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) signed_master = NULL;
	g_autoptr(MeshPersonalProfile) personal = NULL;
	g_autoptr(JsonNode) signed_personal = NULL;
	g_autofree char *full = g_strconcat(name, "@" DOMAIN, NULL);

	memset(a, 0, sizeof *a);
	a->name = g_strdup(name);
	a->sig = mesh_key_generate(MESH_KEY_ED25519, &error);
	a->escrow[0] = a->sig ? mesh_key_generate(MESH_KEY_X25519, &error) : NULL;
	a->online[0] = a->escrow[0] ? mesh_key_generate(MESH_KEY_ED25519, &error) : NULL;
	a->master = a->online[0] ? mesh_master_profile_new(a->sig, a->escrow, 1, a->online, 1,
							   &error)
				 : NULL;
	signed_master = a->master ? mesh_master_profile_sign(a->master, mesh_signed_sign_with_key,
							     a->sig, &error)
				  : NULL;
	personal = signed_master ? mesh_personal_profile_new(full, signed_master, &error) : NULL;
	signed_personal = personal ? mesh_personal_profile_sign(personal, a->online[0],
								mesh_signed_sign_with_key,
								a->online[0], &error)
				   : NULL;
	if (signed_personal == NULL)
		die("cannot make a profile for %s: %s", name, error->message);
	a->identifier = g_strdup(personal->identifier);
	a->serial = personal->serial;
	a->text = mesh_json_to_string(signed_personal);
}

typedef struct {
	double real_seconds; /* the real accounts through the store API */
	guint n_real;
	double bulk_seconds; /* the rest in one SQL transaction */
	guint n_bulk;
} Fill;

static void
sql_check(sqlite3 *db, int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
		die("bulk insert: %s: %s", what, sqlite3_errmsg(db));
}

/*
 * A database @path with @n accounts: every (n / real)-th one a RealAccount made into @real
 * (through the store API), the others in one SQL transaction reusing their texts.
 */
static Fill
fill(const char *path, guint n, GArray *real)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MeshPortalStore) store = mesh_portal_store_sqlite_open(path, &error);
	guint n_real = MIN(n, REAL_ACCOUNTS);
	guint stride = n / n_real;
	gint64 when = g_get_real_time() / G_USEC_PER_SEC;
	guint64 count = 0;
	sqlite3 *db = NULL;
	sqlite3_stmt *version = NULL, *account = NULL, *entry = NULL;
	Fill f = { 0 };
	double t0;

	if (store == NULL)
		die("%s: %s", path, error->message);
	for (guint k = 0; k < n_real; k++) {
		g_autofree char *name = account_name(k * stride);
		RealAccount a;

		real_account_make(&a, name);
		g_array_append_val(real, a);
	}
	t0 = now();
	for (guint k = 0; k < n_real; k++) {
		RealAccount *a = &g_array_index(real, RealAccount, k);

		if (!mesh_portal_store_account_create(store, a->name, a->identifier, a->text,
		                                      a->serial, NULL, when, &error))
			die("account_create %s: %s", a->name, error->message);
	}
	f.real_seconds = now() - t0;
	f.n_real = n_real;
	g_clear_pointer(&store, mesh_portal_store_close);

	t0 = now();
	sql_check(db, sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), "open");
	sql_check(db, sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &version,
					 NULL),
		  "schema_version");
	if (sqlite3_step(version) != SQLITE_ROW ||
	    sqlite3_column_int(version, 0) != MESH_PORTAL_SQLITE_SCHEMA_VERSION ||
	    MESH_PORTAL_SQLITE_SCHEMA_VERSION != 2)
		die("bulk insert: the database is not at schema version 2: update fill()");
	sqlite3_finalize(version);
	sql_check(db, sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), "begin");
	sql_check(db, sqlite3_prepare_v2(db, "INSERT INTO accounts (name, identifier, created) "
					     "VALUES (?1, ?2, ?3)",
					 -1, &account, NULL),
		  "prepare");
	sql_check(db,
	          sqlite3_prepare_v2(db,
	                             "INSERT INTO entries (identifier, account, type, "
	                             "serial, body, updated, size) "
	                             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	                             -1, &entry, NULL),
	          "prepare");
	for (guint i = 0; i < n; i++) {
		const RealAccount *a = &g_array_index(real, RealAccount, (i / stride) % n_real);
		g_autofree char *name = NULL;
		g_autofree char *identifier = NULL;

		if (i % stride == 0 && i / stride < n_real)
			continue; /* a real one */
		name = account_name(i);
		identifier = g_strdup_printf("BENCH-%s", name);
		sqlite3_bind_text(account, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(account, 2, identifier, -1, SQLITE_STATIC);
		sqlite3_bind_int64(account, 3, when);
		sql_check(db, sqlite3_step(account), "insert account");
		sqlite3_reset(account);
		sqlite3_bind_text(entry, 1, identifier, -1, SQLITE_STATIC);
		sqlite3_bind_text(entry, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(entry, 3, MESH_PORTAL_TYPE_PERSONAL, -1, SQLITE_STATIC);
		sqlite3_bind_int64(entry, 4, a->serial);
		sqlite3_bind_text(entry, 5, a->text, -1, SQLITE_STATIC);
		sqlite3_bind_int64(entry, 6, when);
		sqlite3_bind_int64(entry, 7, (sqlite3_int64)strlen(a->text));
		sql_check(db, sqlite3_step(entry), "insert entry");
		sqlite3_reset(entry);
		f.n_bulk++;
	}
	sqlite3_finalize(account);
	sqlite3_finalize(entry);
	sql_check(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "commit");
	sql_check(db, sqlite3_close(db), "close");
	f.bulk_seconds = now() - t0;

	/* What the store sees: every account, and a bulk one reads back. */
	store = mesh_portal_store_sqlite_open(path, &error);
	if (store == NULL || !mesh_portal_store_account_count(store, &count, &error))
		die("%s: %s", path, error->message);
	if (count != n)
		die("%s holds %" G_GUINT64_FORMAT " accounts, not %u", path, count, n);
	if (n > n_real) {
		g_autofree char *name = account_name(n - 1);
		g_autoptr(MeshPortalAccount) got = NULL;

		if (!mesh_portal_store_account_get(store, name, &got, &error))
			die("%s: %s", name, error->message);
	}
	return f;
}

/* ---- Requests ----------------------------------------------------------------------------- */

static Req *
get_pool(guint n_accounts, gsize *ret_n)
{
	Req *pool = g_new0(Req, GET_POOL);
	g_autoptr(GRand) rand = g_rand_new_with_seed(1);

	for (gsize i = 0; i < GET_POOL; i++) {
		g_autofree char *name = account_name((guint)g_rand_int_range(rand, 0, n_accounts));
		JsonObject *r = json_object_new();
		g_autofree char *body = NULL;

		json_object_set_string_member(r, "Account", name);
		body = mesh_portal_request_text("GetRequest", r);
		pool[i] = req_make(body);
	}
	*ret_n = GET_POOL;
	return pool;
}

static void
pool_free(Req *pool, gsize n)
{
	for (gsize i = 0; i < n; i++)
		req_clear(&pool[i]);
	g_free(pool);
}

typedef struct {
	MeshKey *sig, *auth, *enc;
	char *account;
} Device;

/* A device of @a with a pending connection request (ConnectStart over HTTP). */
static void
device_connect(Device *d, guint16 port, const RealAccount *a)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MeshDeviceProfile) profile = NULL;
	g_autoptr(JsonNode) signed_profile = NULL;
	g_autoptr(MeshConnectionRequest) request = NULL;
	g_autoptr(JsonNode) signed_request = NULL;
	g_autofree char *body = NULL;
	g_autofree char *answer = NULL;
	Req req;
	JsonObject *r;
	guint status;

	d->sig = mesh_key_generate(MESH_KEY_ED25519, &error);
	d->auth = d->sig ? mesh_key_generate(MESH_KEY_ED25519, &error) : NULL;
	d->enc = d->auth ? mesh_key_generate(MESH_KEY_X25519, &error) : NULL;
	profile = d->enc ? mesh_device_profile_new("bench-portal", d->sig, d->auth, d->enc, &error)
			 : NULL;
	signed_profile = profile ? mesh_device_profile_sign(profile, mesh_signed_sign_with_key,
							    d->sig, &error)
				 : NULL;
	request = signed_profile ? mesh_connection_request_new(a->identifier, signed_profile,
							       &error)
				 : NULL;
	signed_request = request ? mesh_connection_request_sign(request, mesh_signed_sign_with_key,
								d->sig, &error)
				 : NULL;
	if (signed_request == NULL)
		die("cannot make a connection request: %s", error->message);
	d->account = g_strdup(a->name);
	r = json_object_new();
	json_object_set_member(r, "SignedRequest", json_node_copy(signed_request));
	json_object_set_string_member(r, "AccountID", a->name);
	body = mesh_portal_request_text("ConnectStartRequest", r);
	req = req_make(body);
	status = http_post(port, &req, &answer);
	req_clear(&req);
	if (status != 201)
		die("ConnectStart answered %u: %s", status, answer != NULL ? answer : "");
}

static void
device_clear(Device *d)
{
	g_clear_pointer(&d->sig, mesh_key_unref);
	g_clear_pointer(&d->auth, mesh_key_unref);
	g_clear_pointer(&d->enc, mesh_key_unref);
	g_clear_pointer(&d->account, g_free);
}

/* @n signed ConnectStatus requests of @d, each with its own Nonce, issued now. */
static Req *
status_pool(const Device *d, gsize n)
{
	Req *pool = g_new0(Req, n);

	for (gsize i = 0; i < n; i++) {
		g_autoptr(GError) error = NULL;
		JsonObject *r = json_object_new();
		g_autofree char *body = NULL;

		json_object_set_string_member(r, "AccountID", d->account);
		json_object_set_string_member(r, "DeviceID", mesh_key_udf(d->sig));
		body = mesh_portal_request_sign("ConnectStatusRequest", r, d->sig,
						mesh_signed_sign_with_key, d->sig, &error);
		if (body == NULL)
			die("cannot sign ConnectStatus: %s", error->message);
		pool[i] = req_make(body);
	}
	return pool;
}

/*
 * Signed ConnectStatus requests for @seconds at the calibrated rate @rate: twice that (rates
 * at 64 connections, or with keep-alive, may be above the calibration's), at least 2,000/s.
 */
static gsize
status_pool_size(double rate, double seconds)
{
	return (gsize)MIN(STATUS_POOL_MAX, MAX(rate * 2, 2000) * seconds + 1000);
}

/*
 * Check one answer of each kind before timing anything, on one connection in @mode (in
 * keep-alive mode the three go on the connection the first opened, when the server keeps it).
 */
static void
check_answers(guint16 port, int mode, const RealAccount *real, guint n_accounts,
	      const Device *d)
{
	g_autoptr(GError) error = NULL;
	const char *names[2] = { real->name, NULL };
	g_autofree char *bulk = account_name(n_accounts - 1);
	g_autofree char *hello = mesh_portal_request_text("HelloRequest", NULL);
	Req req = req_make(hello);
	g_autofree char *answer = NULL;
	guint status;
	Conn c;

	conn_init(&c, port);
	status = conn_post(&c, mode, &req, &answer);
	req_clear(&req);
	if (status != 200)
		die("Hello (%s) answered %u: %s", mode_names[mode], status,
		    answer != NULL ? answer : "");
	names[1] = bulk;
	for (int k = 0; k < 2; k++) {
		JsonObject *r = json_object_new();
		g_autofree char *body = NULL;
		g_autofree char *text = NULL;
		g_autoptr(GBytes) bytes = NULL;
		g_autoptr(JsonObject) got = NULL;
		g_autoptr(MeshPersonalProfile) profile = NULL;
		JsonArray *entries;

		json_object_set_string_member(r, "Account", names[k]);
		body = mesh_portal_request_text("GetRequest", r);
		req = req_make(body);
		status = conn_post(&c, mode, &req, &text);
		req_clear(&req);
		if (text == NULL)
			die("Get %s (%s): no answer", names[k], mode_names[mode]);
		bytes = g_bytes_new(text, strlen(text));
		got = mesh_portal_answer_read(bytes, status, "GetResponse", &error);
		entries = got && json_object_has_member(got, "Entries")
				  ? json_object_get_array_member(got, "Entries")
				  : NULL;
		if (entries == NULL || json_array_get_length(entries) != 1)
			die("Get %s answered %u: %s", names[k], status,
			    error ? error->message : text);
		profile = mesh_personal_profile_verify(json_array_get_element(entries, 0), &error);
		if (profile == NULL)
			die("Get %s: the profile does not verify: %s", names[k], error->message);
		if (k == 0 && !g_str_has_prefix(profile->account, real->name))
			die("Get %s returned the profile of %s", names[k], profile->account);
	}
	{
		Req *one = status_pool(d, 1);

		g_clear_pointer(&answer, g_free);
		status = conn_post(&c, mode, &one[0], &answer);
		pool_free(one, 1);
		if (status != 200 || strstr(answer, "\"Pending\"") == NULL)
			die("ConnectStatus (%s) answered %u: %s", mode_names[mode], status,
			    answer != NULL ? answer : "");
	}
	conn_clear(&c);
}

/* How many requests servermesh logged in @log (one line each). */
static guint64
count_logged(const char *log)
{
	g_autofree char *text = NULL;
	guint64 n = 0;

	if (!g_file_get_contents(log, &text, NULL, NULL))
		return 0;
	for (const char *at = text; (at = strstr(at, " POST /")) != NULL; at++)
		n++;
	return n;
}

/* ---- Output ------------------------------------------------------------------------------- */

static void
print_latency(const char *what, guint n_accounts, int mode, Latency l)
{
	printf("  %-14s %-10s %9u accounts  %8.3f  %8.3f  %8.3f  %6u  %6u\n", what, mode_names[mode],
	       n_accounts, l.p50, l.p99, l.max, l.n, l.errors);
}

static void
print_throughput_row(const char *what, int mode, const Throughput *t)
{
	guint64 reconnects = 0, connects = 0, sent = 0;

	printf("  %-14s %-10s", what, mode_names[mode]);
	for (gsize k = 0; k < N_LEVELS; k++)
		printf("  %10.0f%s", t[k].rate, t[k].exhausted ? "*" : " ");
	printf("   ");
	for (gsize k = 0; k < N_LEVELS; k++)
		printf(" %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT "%s",
		       t[k].refused, t[k].failed, t[k].slow, k + 1 < N_LEVELS ? "," : "");
	for (gsize k = 0; k < N_LEVELS; k++) {
		reconnects += t[k].reconnects;
		connects += t[k].connects;
		sent += t[k].ok + t[k].refused + t[k].failed + t[k].late;
	}
	printf("   %" G_GUINT64_FORMAT " (%.2f)", reconnects, sent > 0 ? (double)connects / sent : 0);
	printf("\n");
}

/* ---- main --------------------------------------------------------------------------------- */

int
main(int argc, char **argv)
{
	g_autofree char *servermesh = NULL;
	double seconds = 5;
	gint small = 1000, large = 100000, n_latency = 2000;
	gboolean smoke = FALSE;
	const GOptionEntry entries[] = {
		{ "servermesh", 0, 0, G_OPTION_ARG_FILENAME, &servermesh,
		  "the servermesh to start (required)", "PATH" },
		{ "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds,
		  "length of each requests/s measurement (default 5)", "S" },
		{ "accounts-small", 0, 0, G_OPTION_ARG_INT, &small,
		  "accounts in the small database (default 1000)", "N" },
		{ "accounts-large", 0, 0, G_OPTION_ARG_INT, &large,
		  "accounts in the large database (default 100000)", "N" },
		{ "latency-requests", 0, 0, G_OPTION_ARG_INT, &n_latency,
		  "sequential requests per latency figure (default 2000)", "N" },
		{ "smoke", 0, 0, G_OPTION_ARG_NONE, &smoke,
		  "tiny sizes and short runs: checks that it works (CTest)", NULL },
		G_OPTION_ENTRY_NULL,
	};
	g_autoptr(GOptionContext) context = g_option_context_new(NULL);
	g_autoptr(GError) error = NULL;
	guint sizes[2];
	Latency hello_lat[2][N_MODES], get_lat[2][N_MODES];
	Fill fills[2];
	Throughput hello_t[N_MODES][N_LEVELS], get_t[N_MODES][N_LEVELS],
		status_t[N_MODES][N_LEVELS];
	double calibration[N_MODES] = { 0 };
	guint64 logged = 0;
	gsize status_n[N_MODES][N_LEVELS] = { { 0 } };

	g_option_context_set_summary(context,
				     "Requests/s and latency of servermesh on 127.0.0.1 (Hello, Get, "
				     "ConnectStatus). It starts\nits own servermesh on a temporary "
				     "database and stops it at the end.");
	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error) || argc != 1 ||
	    servermesh == NULL) {
		fprintf(stderr, "bench-portal: %s (see --help)\n",
			error ? error->message : "give --servermesh PATH");
		return 2;
	}
	if (smoke) {
		seconds = 0.3;
		small = 20;
		large = 200;
		n_latency = 50;
	}
	if (seconds <= 0 || seconds > 120 || small < 1 || large < 1 || large > 10000000 ||
	    small > 10000000 || n_latency < 1 || n_latency > 1000000) {
		fprintf(stderr, "bench-portal: 0 < seconds <= 120, 1 <= accounts <= 10,000,000, "
				"1 <= latency-requests <= 1,000,000\n");
		return 2;
	}
	sizes[0] = (guint)small;
	sizes[1] = (guint)large;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	work_dir = g_dir_make_tmp("bench-portal-XXXXXX", &error);
	if (work_dir == NULL)
		die("no temporary directory: %s", error->message);

	printf("bench-portal: servermesh on 127.0.0.1, rate limit off, one TCP connection per "
	       "request\n");
	for (int s = 0; s < 2; s++) {
		g_autofree char *db = g_strdup_printf("%s/portal-%u.db", work_dir, sizes[s]);
		g_autofree char *log = g_strdup_printf("%s/servermesh-%u.log", work_dir, sizes[s]);
		g_autoptr(GArray) real = g_array_new(FALSE, TRUE, sizeof(RealAccount));
		g_autofree char *hello_body = mesh_portal_request_text("HelloRequest", NULL);
		Req hello;
		Req *gets;
		gsize n_gets = 0;
		Device d = { 0 };
		guint16 port;

		g_array_set_clear_func(real, (GDestroyNotify)real_account_clear);
		fills[s] = fill(db, sizes[s], real);
		printf("filled %u accounts: %u real through the store API in %.2f s (%.0f/s, one "
		       "transaction each), %u bulk in one SQL transaction in %.2f s\n",
		       sizes[s], fills[s].n_real, fills[s].real_seconds,
		       fills[s].n_real / fills[s].real_seconds, fills[s].n_bulk,
		       fills[s].bulk_seconds);
		fflush(stdout);
		port = server_start(servermesh, db, log);
		hello = req_make(hello_body);
		gets = get_pool(sizes[s], &n_gets);
		device_connect(&d, port, &g_array_index(real, RealAccount, 0));
		for (int m = 0; m < N_MODES; m++)
			check_answers(port, m, &g_array_index(real, RealAccount, 0), sizes[s], &d);

		for (int m = 0; m < N_MODES; m++) {
			hello_lat[s][m] = latency(port, m, &hello, 1, (guint)n_latency);
			get_lat[s][m] = latency(port, m, gets, n_gets, (guint)n_latency);
		}

		for (int m = 0; s == 1 && m < N_MODES; m++) {
			/* Requests/s on the large database. */
			Req *cal = status_pool(&d, CALIBRATION_POOL);
			Throughput c = throughput(port, m, cal, CALIBRATION_POOL, FALSE, 16, 1.0);

			pool_free(cal, CALIBRATION_POOL);
			calibration[m] = c.rate;
			for (gsize k = 0; k < N_LEVELS; k++) {
				Req *pool;

				hello_t[m][k] = throughput(port, m, &hello, 1, TRUE, concurrency[k],
							   seconds);
				get_t[m][k] = throughput(port, m, gets, n_gets, TRUE,
							 concurrency[k], seconds);
				status_n[m][k] = status_pool_size(calibration[m], seconds);
				pool = status_pool(&d, status_n[m][k]);
				status_t[m][k] = throughput(port, m, pool, status_n[m][k], FALSE,
							    concurrency[k], seconds);
				pool_free(pool, status_n[m][k]);
			}
		}
		server_stop();
		logged += count_logged(log);
		device_clear(&d);
		pool_free(gets, n_gets);
		req_clear(&hello);
	}

	printf("\nLatency: %d sequential requests each (ms; Get: random accounts)\n", n_latency);
	printf("  %-14s %-10s %18s  %8s  %8s  %8s  %6s  %6s\n", "transaction", "connection",
	       "database", "p50", "p99", "max", "ok", "errors");
	for (int s = 0; s < 2; s++)
		for (int m = 0; m < N_MODES; m++) {
			print_latency("Hello", sizes[s], m, hello_lat[s][m]);
			print_latency("Get Account", sizes[s], m, get_lat[s][m]);
		}
	for (int m = 0; m < N_MODES; m++)
		printf("  Get - Hello at p50, %s: %.3f ms (%u accounts), %.3f ms (%u accounts)\n",
		       mode_names[m], get_lat[0][m].p50 - hello_lat[0][m].p50, sizes[0],
		       get_lat[1][m].p50 - hello_lat[1][m].p50, sizes[1]);

	printf("\nRequests/s (200 answers), %u accounts, %.1f s each\n", sizes[1], seconds);
	printf("  %-14s %-10s", "transaction", "connection");
	for (gsize k = 0; k < N_LEVELS; k++)
		printf("  %7d conn", concurrency[k]);
	printf("    non-200/no answer/over 1 s   reconnects (connections/request)\n");
	for (int m = 0; m < N_MODES; m++) {
		print_throughput_row("Hello", m, hello_t[m]);
		print_throughput_row("Get Account", m, get_t[m]);
		print_throughput_row("ConnectStatus", m, status_t[m]);
	}
	for (int m = 0; m < N_MODES; m++) {
		printf("  ConnectStatus, %s: signed by the device, a fresh Nonce each; pools of",
		       mode_names[m]);
		for (gsize k = 0; k < N_LEVELS; k++)
			printf(" %zu", status_n[m][k]);
		printf(" requests (calibrated at %.0f/s)%s\n", calibration[m],
		       status_t[m][0].exhausted || status_t[m][1].exhausted ||
				       status_t[m][2].exhausted
			       ? "; * = the pool ran out before the time did"
			       : "");
	}
	printf("  Keep-alive: a new connection for each request (connections/request 1.00, "
	       "reconnects = requests - threads)\n  means the server ended every connection "
	       "(\"Connection: close\"): keep-alive was not in effect.\n");
	printf("\nservermesh logged %" G_GUINT64_FORMAT " requests; this client sent %d (%" G_GUINT64_FORMAT
	       " in the measurements, the rest for setup and checks)\n",
	       logged, g_atomic_int_get(&posts_total), sent_total);

	remove_work_dir();
	/* The smoke run fails on any answer but 200 (connections the kernel dropped under load are
	 * only reported); a full run reports everything in the tables. */
	if (smoke) {
		for (int s = 0; s < 2; s++)
			for (int m = 0; m < N_MODES; m++)
				if (hello_lat[s][m].errors + get_lat[s][m].errors > 0)
					return 1;
		for (int m = 0; m < N_MODES; m++)
			for (gsize k = 0; k < N_LEVELS; k++)
				if (hello_t[m][k].refused + get_t[m][k].refused +
				    status_t[m][k].refused > 0)
					return 1;
	}
	return 0;
}
