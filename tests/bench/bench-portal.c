/* SPDX-License-Identifier: MIT */
/*
 * bench-portal: servermesh over HTTP on 127.0.0.1. Requests/s of Hello, Get (by account) and
 * signed ConnectStatus at 1, 16 and 64 concurrent client threads, and Hello and Get latency
 * (p50/p99/max) with a small and a large database; Hello (no database access) measured the same
 * way in the same run is the reference: what HTTP, the TCP connection and the JSON envelope cost.
 *
 * Usage: bench-portal --servermesh PATH [--baseline PATH] [--db sqlite|pg] [--nodes 1|2]
 *                     [--rounds N] [--seconds S] [--accounts-small N] [--accounts-large N]
 *                     [--latency-requests N] [--pg-cluster PATH] [--pg-dir DIR] [--smoke]
 *
 * It fills a database in a temporary folder, starts its own servermesh on it (127.0.0.1:0,
 * --rate 0: no rate limit), measures, stops that servermesh by pid and removes the folder.
 *
 * Stores and nodes. --db sqlite (default): a file in the temporary folder. --db pg: a database
 * in a PostgreSQL cluster: its own, started with tests/pg-cluster.sh (--pg-cluster; the default
 * is the source tree's) in a short folder under /tmp and stopped by pid at the end, also on a
 * failure; or, with --pg-dir, the running cluster of that folder (the tests' fixture), in which
 * it makes its databases and drops them at the end. --nodes 2: two servermesh processes on the
 * same store (SQLite: the same file, in WAL mode; PostgreSQL: the same database); client thread
 * i talks to node i % 2 (one connection: node 0 only).
 *
 * Same-run baseline. --baseline names a second servermesh (today's, 242a3c4: see
 * portal-compare.sh). Each gets its own database, filled with the same accounts (the same
 * texts, names and identifiers); both run side by side, idle but for the one being measured.
 * Every figure is measured for the baseline and the candidate alternately, A B A B, for --rounds
 * rounds, and the median of the rounds is printed (the mean of the middle two for an even
 * count), with the ratio candidate / baseline. The baseline has no PostgreSQL store: with
 * --db pg it is not run and its columns say "-".
 *
 * The client is built in: blocking HTTP/1.1 POSTs over raw sockets, every figure measured two
 * ways. "close": one request per TCP connection (it asks for "Connection: close"). "keep-alive":
 * each client thread keeps its connection and sends the next request on it; the answer's body is
 * read by its Content-Length (or chunked); when the server ends the connection ("Connection:
 * close", or the socket closed), the thread opens a new one and counts a reconnect, not an error
 * (a servermesh that closes every connection shows one connection per request: keep-alive was
 * not in effect). Only 200 answers count as successes; everything else is reported as an error.
 *
 * The database: each servermesh makes its own schema (it is started once on the empty store and
 * stopped), then the accounts go in with SQL in one transaction (SQLite; COPY on PostgreSQL):
 * the store has no batch call, one fsync per account would take minutes for 100,000, and a
 * servermesh of another version may have another schema than this build's store library. A
 * sample of accounts (at most REAL_ACCOUNTS) have real, distinct master and personal profiles;
 * the bulk reuses the text of those signed profiles round robin under their own names with a
 * synthetic unique identifier. Get never verifies what it returns (the profile was verified
 * when it was created), so a bulk account costs the portal what a real one does; its answer is
 * a valid SignedPersonalProfile, of another account. The rows are those the store writes for
 * one account (accounts and entries); the fill knows SQLite schema versions 1 and 2 and
 * PostgreSQL version 1, and refuses any other.
 *
 * It prints figures, and a markdown table for docs/benchmarks.md; it asserts nothing about
 * speed. --smoke (CTest): tiny databases, 0.3 s measurements, one round; it fails on any answer
 * but 200, a figure without a single answer, or a keep-alive request without an answer.
 */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
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
#include <time.h>
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
#include "store.h"

#ifndef MESH_PG_CLUSTER
#define MESH_PG_CLUSTER "tests/pg-cluster.sh"
#endif

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
#define MAX_NODES              2
#define MAX_ROUNDS             15

static const int concurrency[] = {1, 16, 64};
#define N_LEVELS G_N_ELEMENTS(concurrency)

/* The servermesh measured: the baseline (when there is one) and the candidate. */
enum { SIDE_BASE, SIDE_CAND, N_SIDES };
/* The transactions measured. */
enum { TX_HELLO, TX_GET, TX_STATUS, N_TX };
static const char *const tx_names[N_TX] = {"Hello", "Get", "ConnectStatus"};

static double
now(void)
{
	return (double)g_get_monotonic_time() / 1e6;
}

/* ---- What this run started: servermesh processes, a PostgreSQL cluster, a folder ---------- */

/* Every servermesh this run started and has not stopped yet (0: a free slot). */
#define MAX_SERVERS 8
static GPid running[MAX_SERVERS];

typedef struct {
	GPid pid; /* 0: not running */
	guint16 port;
	char *log;
} Server;

static void
pid_stop(GPid pid)
{
	int status = 0;

	kill(pid, SIGTERM);
	for (int i = 0; i < 500; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return;
		g_usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

static void
server_stop(Server *s)
{
	if (s->pid == 0)
		return;
	pid_stop(s->pid);
	for (int i = 0; i < MAX_SERVERS; i++)
		if (running[i] == s->pid)
			running[i] = 0;
	s->pid = 0;
}

static char *work_dir;

/* rm -rf @dir */
static void
remove_tree(const char *dir)
{
	char *argv[] = {(char *)"rm", (char *)"-rf", (char *)dir, NULL};

	g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
}

/* The PostgreSQL cluster of --db pg. */
static struct {
	const char *script; /* tests/pg-cluster.sh */
	char *dir;          /* its folder */
	gboolean own;       /* started here: stopped and its folder removed at the end */
	pid_t pid;          /* the postmaster of our own cluster (for the signal handler) */
	GPtrArray *dbs;     /* the databases made here (dropped at the end from a shared one) */
} pg;

/*
 * sh pg-cluster.sh @cmd DIR [@arg]: its output, stripped; NULL on a failure, with what it
 * printed in *@ret_why.
 */
static char *
pg_cluster(const char *cmd, const char *arg, char **ret_why)
{
	char *argv[] = {(char *)"sh", (char *)pg.script, (char *)cmd, pg.dir, (char *)arg, NULL};
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	int status = 0;

	if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
	                  &error)) {
		*ret_why = g_strdup(error->message);
		return NULL;
	}
	if (!g_spawn_check_wait_status(status, NULL)) {
		*ret_why = g_strdup(g_strstrip(err));
		return NULL;
	}
	return g_strdup(g_strstrip(out));
}

/* Stop what this run started, once: on every exit, normal or not. */
static void
cleanup(void)
{
	static gboolean done;

	if (done)
		return;
	done = TRUE;
	for (int i = 0; i < MAX_SERVERS; i++)
		if (running[i] != 0) {
			pid_stop(running[i]);
			running[i] = 0;
		}
	if (pg.dir != NULL) {
		g_autofree char *why = NULL;
		g_autofree char *out = NULL;

		if (pg.own) {
			out = pg_cluster("stop", NULL, &why);
			if (out == NULL)
				fprintf(stderr, "bench-portal: stopping PostgreSQL: %s\n", why);
			remove_tree(pg.dir);
		} else {
			for (guint i = 0; pg.dbs != NULL && i < pg.dbs->len; i++) {
				g_clear_pointer(&out, g_free);
				out = pg_cluster("dropdb", g_ptr_array_index(pg.dbs, i), &why);
			}
		}
	}
	if (work_dir != NULL)
		remove_tree(work_dir);
}

static G_NORETURN void die(const char *format, ...) G_GNUC_PRINTF(1, 2);

static G_NORETURN void
die(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	fprintf(stderr, "bench-portal: ");
	vfprintf(stderr, format, args);
	fprintf(stderr, "\n");
	va_end(args);
	cleanup();
	exit(1);
}

/* rm -rf @dir from a signal handler (fork, execve and waitpid only). */
static void
remove_tree_now(const char *dir)
{
	char *const argv[] = {(char *)"rm", (char *)"-rf", (char *)dir, NULL};
	char *const envp[] = {NULL};
	pid_t pid;

	if (dir == NULL)
		return;
	pid = fork();
	if (pid == 0) {
		execve("/bin/rm", argv, envp);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

/*
 * Interrupted: stop the servermesh and our own PostgreSQL, and remove their folders (a database
 * of 100,000 accounts is large), with async-signal-safe calls only. Databases made in a shared
 * cluster (--pg-dir) stay: the fixture's cluster is made fresh on its next start.
 */
static void
on_signal(int sig)
{
	const struct timespec tenth = {0, 100000000};

	for (int i = 0; i < MAX_SERVERS; i++)
		if (running[i] != 0)
			kill(running[i], SIGTERM);
	for (int i = 0; i < MAX_SERVERS; i++)
		if (running[i] != 0)
			waitpid(running[i], NULL, 0);
	if (pg.own && pg.pid > 0) {
		kill(pg.pid, SIGINT);
		for (int i = 0; i < 200 && kill(pg.pid, 0) == 0; i++)
			nanosleep(&tenth, NULL);
		remove_tree_now(pg.dir);
	}
	remove_tree_now(work_dir);
	_exit(128 + sig);
}

/* Our own cluster in a short folder under /tmp (the socket's path must be short), or --pg-dir. */
static void
pg_start(const char *script, const char *dir)
{
	g_autofree char *why = NULL;
	g_autofree char *out = NULL;

	pg.script = script;
	pg.dbs = g_ptr_array_new_with_free_func(g_free);
	if (dir != NULL) {
		pg.dir = g_strdup(dir);
		return;
	}
	pg.dir = g_strdup("/tmp/bench-pg-XXXXXX");
	if (g_mkdtemp(pg.dir) == NULL)
		die("no folder for PostgreSQL: %s", g_strerror(errno));
	pg.own = TRUE;
	out = pg_cluster("start", NULL, &why);
	if (out == NULL)
		die("cannot start PostgreSQL with %s: %s", script, why);
	g_clear_pointer(&out, g_free);
	out = pg_cluster("pid", NULL, &why);
	if (out == NULL)
		die("PostgreSQL: %s", why);
	pg.pid = (pid_t)atoi(out);
}

/* A new, empty database: its libpq URI. */
static char *
pg_createdb(void)
{
	static guint count;
	char *name = g_strdup_printf("bench_portal_%d_%u", (int)getpid(), count++);
	g_autofree char *why = NULL;
	g_autofree char *out = NULL;
	char *uri;

	g_ptr_array_add(pg.dbs, name);
	out = pg_cluster("createdb", name, &why);
	if (out == NULL)
		die("PostgreSQL: %s", why);
	uri = pg_cluster("uri", name, &why);
	if (uri == NULL)
		die("PostgreSQL: %s", why);
	return uri;
}

/* Whether @servermesh has the option --max-connections-per-address (242a3c4 has not). */
static gboolean
knows_limit(const char *servermesh)
{
	char *argv[] = {(char *)servermesh, (char *)"--help", NULL};
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	g_autoptr(GError) error = NULL;

	if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, NULL, &error))
		die("cannot run %s: %s", servermesh, error->message);
	return strstr(out, "--max-connections-per-address") != NULL ||
	       strstr(err, "--max-connections-per-address") != NULL;
}

/*
 * Start @servermesh on @db, its log in @log; wait for its "serving" line. @limit: it knows
 * --max-connections-per-address (64 client threads on one address: above its default 32).
 */
static Server
server_start(const char *servermesh, gboolean limit, const char *db, const char *log)
{
	const char *argv[] = {servermesh, DOMAIN, "--listen", "127.0.0.1:0", "--db", db,
	                      "--rate",   "0",    NULL,       NULL,          NULL};
	g_autoptr(GError) error = NULL;
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	Server s = {0};
	int status, slot = -1;

	for (int i = 0; i < MAX_SERVERS && slot < 0; i++)
		if (running[i] == 0)
			slot = i;
	if (slot < 0)
		die("more than %d servermesh at once", MAX_SERVERS);
	if (limit) {
		argv[8] = "--max-connections-per-address";
		argv[9] = "128";
	}
	if (fd < 0)
		die("%s: %s", log, g_strerror(errno));
	if (!g_spawn_async_with_fds(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL,
	                            NULL, &s.pid, -1, fd, fd, &error))
		die("cannot start %s: %s", servermesh, error->message);
	running[slot] = s.pid;
	close(fd);
	s.log = g_strdup(log);
	for (int i = 0; i < 1000; i++) {
		g_autofree char *text = NULL;
		const char *at;

		if (g_file_get_contents(log, &text, NULL, NULL) &&
		    (at = strstr(text, "servermesh: serving ")) != NULL &&
		    (at = strstr(at, " on http://127.0.0.1:")) != NULL &&
		    strchr(at, '\n') != NULL) {
			long port = strtol(at + strlen(" on http://127.0.0.1:"), NULL, 10);

			if (port <= 0 || port > 65535)
				die("servermesh printed no port: %s", text);
			s.port = (guint16)port;
			return s;
		}
		if (waitpid(s.pid, &status, WNOHANG) == s.pid) {
			running[slot] = 0;
			die("%s exited before serving: %s", servermesh, text != NULL ? text : "");
		}
		g_usleep(10000);
	}
	die("%s did not say it was serving within 10 s", servermesh);
}

/* Requests this client sent in all (atomic). */
static gint posts_total;

/* ---- A minimal HTTP/1.1 client ------------------------------------------------------------ */

/* Connection modes: one request per connection, or each client thread keeps its connection. */
enum { MODE_CLOSE, MODE_KEEP, N_MODES };
static const char *const mode_names[N_MODES] = {"close", "keep-alive"};

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
	Req r = {g_strdup(body), strlen(body)};

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
	struct sockaddr_in addr = {0};
	struct timeval tv = {SOCKET_TIMEOUT_SECONDS, 0};
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
	const guint16 *ports; /* the nodes: client thread i talks to ports[i % n_ports] */
	guint n_ports;
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
	guint index;
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

	conn_init(&c, run->ports[w->index % run->n_ports]);
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

/* Requests the client sent in the measurements, for the check against the servers' logs. */
static guint64 sent_total;

static Throughput
throughput(const guint16 *ports, guint n_ports, int mode, const Req *pool, gsize n_pool,
           gboolean reuse, int threads, double seconds)
{
	Run run = {ports, n_ports, mode, pool, n_pool, reuse, 0, 0, 0};
	g_autofree Worker *workers = g_new0(Worker, threads);
	g_autofree GThread **ids = g_new0(GThread *, threads);
	Throughput t = {0};
	double start = now(), last = start;

	run.deadline = start + seconds;
	for (int i = 0; i < threads; i++) {
		workers[i].run = &run;
		workers[i].index = (guint)i;
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

/* The median of @n values (the mean of the middle two for an even @n); @v is sorted. */
static double
median(double *v, guint n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, compare_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* @n sequential requests in @mode cycling through @pool; percentiles over the 200 answers. */
static Latency
latency(guint16 port, int mode, const Req *pool, gsize n_pool, guint n)
{
	g_autofree double *ms = g_new(double, n);
	Latency l = {0};
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
	a->master = a->online[0]
	                    ? mesh_master_profile_new(a->sig, a->escrow, 1, a->online, 1, &error)
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

/*
 * Account @i of @n: its name and identifier, and the real account whose text it carries. Every
 * (n / real)-th account is a real one, under its own identifier; the others reuse the texts.
 */
static const RealAccount *
account_of(const GArray *real, guint n, guint i, char **ret_name, char **ret_identifier)
{
	guint stride = n / real->len;
	const RealAccount *a;

	if (i % stride == 0 && i / stride < real->len) {
		a = &g_array_index(real, RealAccount, i / stride);
		*ret_name = g_strdup(a->name);
		*ret_identifier = g_strdup(a->identifier);
		return a;
	}
	a = &g_array_index(real, RealAccount, (i / stride) % real->len);
	*ret_name = account_name(i);
	*ret_identifier = g_strdup_printf("BENCH-%s", *ret_name);
	return a;
}

/* The real accounts of a database of @n accounts, in @real. */
static void
real_accounts(GArray *real, guint n)
{
	guint n_real = MIN(n, REAL_ACCOUNTS);
	guint stride = n / n_real;

	for (guint k = 0; k < n_real; k++) {
		g_autofree char *name = account_name(k * stride);
		RealAccount a;

		real_account_make(&a, name);
		g_array_append_val(real, a);
	}
}

static void
sql_check(sqlite3 *db, int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
		die("filling the SQLite database: %s: %s", what, sqlite3_errmsg(db));
}

/* The SQLite database @path (its schema made by servermesh) gets @n accounts. */
static void
fill_sqlite(const char *path, guint n, const GArray *real)
{
	gint64 when = g_get_real_time() / G_USEC_PER_SEC;
	sqlite3 *db = NULL;
	sqlite3_stmt *version = NULL, *account = NULL, *entry = NULL, *count = NULL;
	int schema;

	sql_check(db, sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), "open");
	sql_check(db,
	          sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &version, NULL),
	          "schema_version");
	if (sqlite3_step(version) != SQLITE_ROW)
		die("%s has no schema version", path);
	schema = sqlite3_column_int(version, 0);
	sqlite3_finalize(version);
	/* Version 2 added entries.size (the bytes an account uses), nothing an account must have.
	 */
	if (schema != 1 && schema != 2)
		die("%s is at SQLite schema version %d; the fill knows 1 and 2: update "
		    "fill_sqlite()",
		    path, schema);
	sql_check(db, sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), "begin");
	sql_check(db,
	          sqlite3_prepare_v2(db,
	                             "INSERT INTO accounts (name, identifier, created) "
	                             "VALUES (?1, ?2, ?3)",
	                             -1, &account, NULL),
	          "prepare");
	sql_check(db,
	          sqlite3_prepare_v2(db,
	                             schema >= 2 ? "INSERT INTO entries (identifier, account, "
	                                           "type, serial, body, updated, size) VALUES "
	                                           "(?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	                                         : "INSERT INTO entries (identifier, account, "
	                                           "type, serial, body, updated) VALUES "
	                                           "(?1, ?2, ?3, ?4, ?5, ?6)",
	                             -1, &entry, NULL),
	          "prepare");
	for (guint i = 0; i < n; i++) {
		g_autofree char *name = NULL;
		g_autofree char *identifier = NULL;
		const RealAccount *a = account_of(real, n, i, &name, &identifier);

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
		if (schema >= 2)
			sqlite3_bind_int64(entry, 7, (sqlite3_int64)strlen(a->text));
		sql_check(db, sqlite3_step(entry), "insert entry");
		sqlite3_reset(entry);
	}
	sqlite3_finalize(account);
	sqlite3_finalize(entry);
	sql_check(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "commit");
	sql_check(db, sqlite3_prepare_v2(db, "SELECT count(*) FROM accounts", -1, &count, NULL),
	          "count");
	if (sqlite3_step(count) != SQLITE_ROW || sqlite3_column_int64(count, 0) != n)
		die("%s holds %lld accounts, not %u", path,
		    (long long)sqlite3_column_int64(count, 0), n);
	sqlite3_finalize(count);
	sql_check(db, sqlite3_close(db), "close");
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PGresult, PQclear)

/* @sql on @conn must answer @expect. */
static PGresult *
pg_exec(PGconn *conn, const char *sql, ExecStatusType expect)
{
	PGresult *res = PQexec(conn, sql);

	if (PQresultStatus(res) != expect)
		die("PostgreSQL: %s: %s", sql, PQerrorMessage(conn));
	return res;
}

/* @value into a COPY text-format line: backslash, tab, newline and return escaped. */
static void
copy_field(GString *line, const char *value, gboolean last)
{
	for (const char *p = value; *p != '\0'; p++) {
		const char *escaped = *p == '\\'   ? "\\\\"
		                      : *p == '\t' ? "\\t"
		                      : *p == '\n' ? "\\n"
		                      : *p == '\r' ? "\\r"
		                                   : NULL;

		if (escaped != NULL)
			g_string_append(line, escaped);
		else
			g_string_append_c(line, *p);
	}
	g_string_append_c(line, last ? '\n' : '\t');
}

/* Send one COPY ... FROM STDIN of every account: table @table (0: accounts, 1: entries). */
static void
pg_copy(PGconn *conn, int table, guint n, const GArray *real)
{
	gint64 when = g_get_real_time() / G_USEC_PER_SEC;
	g_autoptr(GString) line = g_string_new(NULL);
	g_autoptr(PGresult) res = NULL;
	g_autofree char *when_text = g_strdup_printf("%" G_GINT64_FORMAT, when);

	res = pg_exec(conn,
	              table == 0
	                      ? "COPY accounts (name, identifier, created) FROM STDIN"
	                      : "COPY entries (identifier, account, type, serial, body, updated, "
	                        "size) FROM STDIN",
	              PGRES_COPY_IN);
	for (guint i = 0; i < n; i++) {
		g_autofree char *name = NULL;
		g_autofree char *identifier = NULL;
		const RealAccount *a = account_of(real, n, i, &name, &identifier);

		g_string_truncate(line, 0);
		if (table == 0) {
			copy_field(line, name, FALSE);
			copy_field(line, identifier, FALSE);
			copy_field(line, when_text, TRUE);
		} else {
			g_autofree char *serial = g_strdup_printf("%" G_GINT64_FORMAT, a->serial);
			g_autofree char *size = g_strdup_printf("%zu", strlen(a->text));

			copy_field(line, identifier, FALSE);
			copy_field(line, name, FALSE);
			copy_field(line, MESH_PORTAL_TYPE_PERSONAL, FALSE);
			copy_field(line, serial, FALSE);
			copy_field(line, a->text, FALSE);
			copy_field(line, when_text, FALSE);
			copy_field(line, size, TRUE);
		}
		if (PQputCopyData(conn, line->str, (int)line->len) != 1)
			die("PostgreSQL: COPY: %s", PQerrorMessage(conn));
	}
	if (PQputCopyEnd(conn, NULL) != 1)
		die("PostgreSQL: COPY: %s", PQerrorMessage(conn));
	g_clear_pointer(&res, PQclear);
	res = PQgetResult(conn);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die("PostgreSQL: COPY: %s", PQerrorMessage(conn));
	g_clear_pointer(&res, PQclear);
	while ((res = PQgetResult(conn)) != NULL)
		g_clear_pointer(&res, PQclear);
}

/* The PostgreSQL database @uri (its schema made by servermesh) gets @n accounts. */
static void
fill_pg(const char *uri, guint n, const GArray *real)
{
	PGconn *conn = PQconnectdb(uri);
	g_autoptr(PGresult) res = NULL;
	long long count;

	if (PQstatus(conn) != CONNECTION_OK)
		die("PostgreSQL: %s", PQerrorMessage(conn));
	res = pg_exec(conn, "SELECT max(version) FROM schema_version", PGRES_TUPLES_OK);
	if (PQntuples(res) != 1 || atoi(PQgetvalue(res, 0, 0)) != 1)
		die("the PostgreSQL database is at schema version %s; the fill knows 1: update "
		    "fill_pg()",
		    PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "(none)");
	g_clear_pointer(&res, PQclear);
	res = pg_exec(conn, "BEGIN", PGRES_COMMAND_OK);
	pg_copy(conn, 0, n, real);
	pg_copy(conn, 1, n, real);
	g_clear_pointer(&res, PQclear);
	res = pg_exec(conn, "COMMIT", PGRES_COMMAND_OK);
	/* The planner's statistics, as a database that grew slowly would have them. */
	g_clear_pointer(&res, PQclear);
	res = pg_exec(conn, "ANALYZE", PGRES_COMMAND_OK);
	g_clear_pointer(&res, PQclear);
	res = pg_exec(conn, "SELECT count(*) FROM accounts", PGRES_TUPLES_OK);
	count = atoll(PQgetvalue(res, 0, 0));
	if (count != n)
		die("the PostgreSQL database holds %lld accounts, not %u", count, n);
	PQfinish(conn);
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
	Req start; /* its ConnectStart */
} Device;

/* A new device of @a and its signed connection request. */
static void
device_make(Device *d, const RealAccount *a)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MeshDeviceProfile) profile = NULL;
	g_autoptr(JsonNode) signed_profile = NULL;
	g_autoptr(MeshConnectionRequest) request = NULL;
	g_autoptr(JsonNode) signed_request = NULL;
	g_autofree char *body = NULL;
	JsonObject *r;

	d->sig = mesh_key_generate(MESH_KEY_ED25519, &error);
	d->auth = d->sig ? mesh_key_generate(MESH_KEY_ED25519, &error) : NULL;
	d->enc = d->auth ? mesh_key_generate(MESH_KEY_X25519, &error) : NULL;
	profile = d->enc ? mesh_device_profile_new("bench-portal", d->sig, d->auth, d->enc, &error)
	                 : NULL;
	signed_profile = profile ? mesh_device_profile_sign(profile, mesh_signed_sign_with_key,
	                                                    d->sig, &error)
	                         : NULL;
	request = signed_profile
	                  ? mesh_connection_request_new(a->identifier, signed_profile, &error)
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
	d->start = req_make(body);
}

/*
 * The device's connection request pending at the servermesh on @port (ConnectStart over HTTP).
 * Sent to the baseline's database and to the candidate's, the same request makes the same
 * signed ConnectStatus requests valid on both.
 */
static void
device_connect(const Device *d, guint16 port)
{
	g_autofree char *answer = NULL;
	guint status = http_post(port, &d->start, &answer);

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
	req_clear(&d->start);
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
check_answers(guint16 port, int mode, const RealAccount *real, guint n_accounts, const Device *d)
{
	g_autoptr(GError) error = NULL;
	const char *names[2] = {real->name, NULL};
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

/* ---- The servermesh measured -------------------------------------------------------------- */

typedef struct {
	const char *label; /* "baseline", "candidate" */
	const char *bin;
	gboolean present;
	gboolean limit; /* it knows --max-connections-per-address */
	char *db;       /* its store of the database being measured: --db */
	Server nodes[MAX_NODES];
	guint16 ports[MAX_NODES];
	guint64 logged; /* requests its logs show */
} Side;

static Side sides[N_SIDES];
static guint n_nodes = 1;
static guint n_rounds = 3;
static gboolean use_pg;

#define FOR_SIDES(i)                                                                               \
	for (int i = 0; i < N_SIDES; i++)                                                          \
		if (sides[i].present)

/* @side's database of @n accounts: servermesh makes its schema, the accounts go in by SQL. */
static double
side_fill(Side *side, guint n, const GArray *real)
{
	g_autofree char *log = g_strdup_printf("%s/%s-%u-schema.log", work_dir, side->label, n);
	Server s;
	double t0;

	side->db =
	        use_pg ? pg_createdb() : g_strdup_printf("%s/%s-%u.db", work_dir, side->label, n);
	s = server_start(side->bin, side->limit, side->db, log);
	server_stop(&s);
	g_free(s.log);
	t0 = now();
	if (use_pg)
		fill_pg(side->db, n, real);
	else
		fill_sqlite(side->db, n, real);
	return now() - t0;
}

static void
side_start(Side *side, guint n)
{
	for (guint i = 0; i < n_nodes; i++) {
		g_autofree char *log =
		        g_strdup_printf("%s/%s-%u-node%u.log", work_dir, side->label, n, i);

		side->nodes[i] = server_start(side->bin, side->limit, side->db, log);
		side->ports[i] = side->nodes[i].port;
	}
}

/* Stop @side's nodes and remove its SQLite file (a database of 100,000 accounts is large). */
static void
side_stop(Side *side)
{
	for (guint i = 0; i < n_nodes; i++) {
		server_stop(&side->nodes[i]);
		side->logged += count_logged(side->nodes[i].log);
		g_clear_pointer(&side->nodes[i].log, g_free);
	}
	if (!use_pg) {
		static const char *const suffixes[] = {"", "-wal", "-shm"};

		for (gsize i = 0; i < G_N_ELEMENTS(suffixes); i++) {
			g_autofree char *path = g_strconcat(side->db, suffixes[i], NULL);

			unlink(path);
		}
	}
	g_clear_pointer(&side->db, g_free);
}

/* ---- Results ------------------------------------------------------------------------------ */

/* Requests/s: [side][transaction][connections][mode][round], on the large database. */
static Throughput tput[N_SIDES][N_TX][N_LEVELS][N_MODES][MAX_ROUNDS];
/* Latency: [side][database][Hello, Get][mode][round]. */
static Latency lat[N_SIDES][2][2][N_MODES][MAX_ROUNDS];

typedef struct {
	double rate; /* the median of the rounds */
	guint64 refused, failed, slow, sent, connects, reconnects;
	gboolean exhausted;
} Summary;

static Summary
summary(const Throughput *r)
{
	double rates[MAX_ROUNDS];
	Summary s = {0};

	for (guint i = 0; i < n_rounds; i++) {
		rates[i] = r[i].rate;
		s.refused += r[i].refused;
		s.failed += r[i].failed;
		s.slow += r[i].slow;
		s.sent += r[i].ok + r[i].refused + r[i].failed + r[i].late;
		s.connects += r[i].connects;
		s.reconnects += r[i].reconnects;
		s.exhausted |= r[i].exhausted;
	}
	s.rate = median(rates, n_rounds);
	return s;
}

/* The median of each percentile over the rounds; errors and answers summed. */
static Latency
latency_summary(const Latency *r)
{
	double p50[MAX_ROUNDS], p99[MAX_ROUNDS], max[MAX_ROUNDS];
	Latency l = {0};

	for (guint i = 0; i < n_rounds; i++) {
		p50[i] = r[i].p50;
		p99[i] = r[i].p99;
		max[i] = r[i].max;
		l.errors += r[i].errors;
		l.n += r[i].n;
	}
	l.p50 = median(p50, n_rounds);
	l.p99 = median(p99, n_rounds);
	l.max = median(max, n_rounds);
	return l;
}

/* @v with thousands separators ("11,071"); "-" for a side that was not measured. */
static char *
thousands(double v, gboolean present)
{
	g_autofree char *digits = g_strdup_printf("%.0f", v);
	GString *out = g_string_new(NULL);
	gsize n = strlen(digits);

	if (!present) {
		g_string_append(out, "-");
		return g_string_free(out, FALSE);
	}
	for (gsize i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			g_string_append_c(out, ',');
		g_string_append_c(out, digits[i]);
	}
	return g_string_free(out, FALSE);
}

static char *
ratio_text(const Summary *base, const Summary *cand)
{
	if (!sides[SIDE_BASE].present || base->rate <= 0)
		return g_strdup("-");
	return g_strdup_printf("%.2f", cand->rate / base->rate);
}

/* Connections opened per request; @reconnects: and how many were reconnects (keep-alive). */
static char *
connections_text(int side, const Summary *s, gboolean reconnects)
{
	double per = s->sent > 0 ? (double)s->connects / s->sent : 0;

	if (!sides[side].present)
		return g_strdup("-");
	if (reconnects)
		return g_strdup_printf("%.2f (%" G_GUINT64_FORMAT " reconnects)", per,
		                       s->reconnects);
	return g_strdup_printf("%.2f", per);
}

/* One text per side (baseline, candidate), freed together (g_autofree on an array would free
 * only its first element). */
typedef struct {
	char *v[N_SIDES];
} SideTexts;

static void
side_texts_clear(SideTexts *t)
{
	for (int i = 0; i < N_SIDES; i++)
		g_clear_pointer(&t->v[i], g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(SideTexts, side_texts_clear)

static const char *
store_name(void)
{
	return use_pg ? "PostgreSQL" : "SQLite";
}

static void
print_latency(const guint sizes[2], guint n_latency)
{
	printf("\nLatency: %u sequential requests each on node 0 (ms; Get: random accounts), the "
	       "median of %u round(s)\n",
	       n_latency, n_rounds);
	printf("  %-12s %-10s %9s  %-26s  %-26s  %s\n", "transaction", "connection", "accounts",
	       "baseline p50 / p99 / max", "candidate p50 / p99 / max", "errors b / c");
	for (int s = 0; s < 2; s++)
		for (int t = 0; t < 2; t++)
			for (int m = 0; m < N_MODES; m++) {
				Latency l[N_SIDES] = {{0}};
				g_auto(SideTexts) text = {{NULL}};

				FOR_SIDES(i)
				{
					l[i] = latency_summary(lat[i][s][t][m]);
					text.v[i] = g_strdup_printf("%.3f / %.3f / %.3f", l[i].p50,
					                          l[i].p99, l[i].max);
				}
				printf("  %-12s %-10s %9u  %-26s  %-26s  %u / %u\n", tx_names[t],
				       mode_names[m], sizes[s], text.v[0] ? text.v[0] : "-", text.v[1],
				       l[0].errors, l[1].errors);
			}
}

static void
print_throughput(guint n_accounts, double seconds, gsize status_n[N_MODES][N_LEVELS],
                 double signing)
{
	printf("\nRequests/s (200 answers), %u accounts, %s, %u node(s); %.1f s each, the median "
	       "of %u round(s)%s\n",
	       n_accounts, store_name(), n_nodes, seconds, n_rounds,
	       sides[SIDE_BASE].present ? ", baseline and candidate alternately (A B A B)" : "");
	printf("  %-13s %-10s %4s  %10s %10s %6s   %-27s  %s\n", "transaction", "connection",
	       "conn", "baseline", "candidate", "ratio", "non-200/no answer/over 1 s",
	       "connections/request b / c");
	for (int t = 0; t < N_TX; t++)
		for (int m = 0; m < N_MODES; m++)
			for (gsize k = 0; k < N_LEVELS; k++) {
				Summary s[N_SIDES] = {{0}};
				g_auto(SideTexts) errors = {{NULL}};
				g_auto(SideTexts) conns = {{NULL}};
				g_auto(SideTexts) rates = {{NULL}};
				g_autofree char *ratio = NULL;

				for (int i = 0; i < N_SIDES; i++) {
					if (sides[i].present) {
						s[i] = summary(tput[i][t][k][m]);
						errors.v[i] = g_strdup_printf(
						        "%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
						        "/%" G_GUINT64_FORMAT,
						        s[i].refused, s[i].failed, s[i].slow);
						rates.v[i] =
						        g_strdup_printf("%.0f%s", s[i].rate,
						                        s[i].exhausted ? "*" : "");
					} else {
						errors.v[i] = g_strdup("-");
						rates.v[i] = g_strdup("-");
					}
					conns.v[i] = connections_text(i, &s[i], m == MODE_KEEP);
				}
				ratio = ratio_text(&s[0], &s[1]);
				printf("  %-13s %-10s %4d  %10s %10s %6s   %-12s %-14s  %s / %s\n",
				       tx_names[t], mode_names[m], concurrency[k], rates.v[0],
				       rates.v[1], ratio, errors.v[0], errors.v[1], conns.v[0], conns.v[1]);
			}
	for (int m = 0; m < N_MODES; m++) {
		printf("  ConnectStatus, %s: signed by the device, a fresh Nonce each; pools of up "
		       "to",
		       mode_names[m]);
		for (gsize k = 0; k < N_LEVELS; k++)
			printf(" %zu", status_n[m][k]);
		printf(" requests per round\n");
	}
	printf("  Signing the pools took %.1f s (between measurements). * = a pool ran out before "
	       "the time did.\n",
	       signing);
	printf("  Keep-alive with 1.00 connections/request: the server ended every connection "
	       "(\"Connection: close\"),\n  so keep-alive was not in effect (each was counted as a "
	       "reconnect, not an error).\n");
}

/* The tables to paste into docs/benchmarks.md. */
static void
print_markdown(const guint sizes[2])
{
	g_autofree char *large = thousands(sizes[1], TRUE);
	const char *nodes = n_nodes == 1 ? "1 node" : "2 nodes";

	printf("\nMarkdown (docs/benchmarks.md): median of %u round(s); ratio = candidate / "
	       "baseline\n\n",
	       n_rounds);
	printf("| requests/s, %s, %s, %s accounts |", store_name(), nodes, large);
	for (gsize k = 0; k < N_LEVELS; k++)
		printf(" %d conn: baseline | candidate | ratio |", concurrency[k]);
	printf(" connections/request (b / c) |\n|---|");
	for (gsize k = 0; k < N_LEVELS; k++)
		printf("---:|---:|---:|");
	printf("---:|\n");
	for (int t = 0; t < N_TX; t++)
		for (int m = 0; m < N_MODES; m++) {
			Summary all[N_SIDES] = {{0}};
			g_auto(SideTexts) conns = {{NULL}};

			printf("| %s, %s |", tx_names[t], mode_names[m]);
			for (gsize k = 0; k < N_LEVELS; k++) {
				Summary s[N_SIDES] = {{0}};
				g_auto(SideTexts) rate = {{NULL}};
				g_autofree char *ratio = NULL;

				for (int i = 0; i < N_SIDES; i++) {
					if (sides[i].present) {
						s[i] = summary(tput[i][t][k][m]);
						all[i].sent += s[i].sent;
						all[i].connects += s[i].connects;
					}
					rate.v[i] = thousands(s[i].rate, sides[i].present);
				}
				ratio = ratio_text(&s[0], &s[1]);
				printf(" %s | %s | %s |", rate.v[0], rate.v[1], ratio);
			}
			conns.v[0] = connections_text(0, &all[0], FALSE);
			conns.v[1] = connections_text(1, &all[1], FALSE);
			printf(" %s / %s |\n", conns.v[0], conns.v[1]);
		}
	printf("\n| latency (ms), p50 / p99, %s, %s | baseline, close | candidate, close | "
	       "baseline, keep-alive | candidate, keep-alive |\n|---|---:|---:|---:|---:|\n",
	       store_name(), nodes);
	for (int s = 0; s < 2; s++)
		for (int t = 0; t < 2; t++) {
			g_autofree char *accounts = thousands(sizes[s], TRUE);

			printf("| %s, %s accounts |", tx_names[t], accounts);
			for (int m = 0; m < N_MODES; m++)
				for (int i = 0; i < N_SIDES; i++) {
					Latency l = sides[i].present
					                    ? latency_summary(lat[i][s][t][m])
					                    : (Latency){0};

					if (sides[i].present)
						printf(" %.3f / %.3f |", l.p50, l.p99);
					else
						printf(" - |");
				}
			printf("\n");
		}
}

/* ---- The measurements --------------------------------------------------------------------- */

/*
 * Every requests/s figure, for each side in turn (A B A B), @n_rounds times. A ConnectStatus pool
 * is signed for each round and serves both sides (each has its own database, so a nonce is new
 * to each); its size comes from the rate seen so far (a calibration first: 16 connections).
 */
static void
measure_throughput(const Device *d, const Req *hello, const Req *gets, gsize n_gets, double seconds,
                   gsize status_n[N_MODES][N_LEVELS], double *ret_signing)
{
	double estimate[N_MODES] = {0};

	for (int m = 0; m < N_MODES; m++) {
		Req *cal = status_pool(d, CALIBRATION_POOL);

		FOR_SIDES(i)
		{
			Throughput t = throughput(sides[i].ports, n_nodes, m, cal, CALIBRATION_POOL,
			                          FALSE, 16, MIN(1.0, seconds));

			estimate[m] = MAX(estimate[m], t.rate);
		}
		pool_free(cal, CALIBRATION_POOL);
	}
	for (int t = 0; t < N_TX; t++)
		for (gsize k = 0; k < N_LEVELS; k++)
			for (int m = 0; m < N_MODES; m++)
				for (guint r = 0; r < n_rounds; r++) {
					const Req *pool = t == TX_HELLO ? hello : gets;
					gsize n = t == TX_HELLO ? 1 : n_gets;
					Req *signed_pool = NULL;

					if (t == TX_STATUS) {
						double t0 = now();

						n = status_pool_size(estimate[m], seconds);
						pool = signed_pool = status_pool(d, n);
						*ret_signing += now() - t0;
						status_n[m][k] = MAX(status_n[m][k], n);
					}
					FOR_SIDES(i)
					{
						Throughput *got = &tput[i][t][k][m][r];

						*got = throughput(sides[i].ports, n_nodes, m, pool,
						                  n, t != TX_STATUS, concurrency[k],
						                  seconds);
						if (t == TX_STATUS)
							estimate[m] = MAX(estimate[m], got->rate);
					}
					if (signed_pool != NULL)
						pool_free(signed_pool, n);
				}
}

/* The smoke run fails on any answer but 200, a figure without an answer, or a keep-alive
 * request without one (connections the kernel dropped under load in close mode are only
 * reported); a full run reports everything in the tables. */
static gboolean
smoke_passed(void)
{
	gboolean ok = TRUE;

	FOR_SIDES(i)
	{
		for (int s = 0; s < 2; s++)
			for (int t = 0; t < 2; t++)
				for (int m = 0; m < N_MODES; m++)
					for (guint r = 0; r < n_rounds; r++) {
						const Latency *l = &lat[i][s][t][m][r];

						if (l->errors > 0 || l->n == 0) {
							fprintf(stderr,
							        "bench-portal: smoke: %s latency "
							        "of %s, %s: %u errors\n",
							        sides[i].label, tx_names[t],
							        mode_names[m], l->errors);
							ok = FALSE;
						}
					}
		for (int t = 0; t < N_TX; t++)
			for (gsize k = 0; k < N_LEVELS; k++)
				for (int m = 0; m < N_MODES; m++)
					for (guint r = 0; r < n_rounds; r++) {
						const Throughput *p = &tput[i][t][k][m][r];

						if (p->refused > 0 || p->ok == 0 ||
						    (m == MODE_KEEP && p->failed > 0)) {
							fprintf(stderr,
							        "bench-portal: smoke: %s, %s at %d "
							        "connections, %s: "
							        "%" G_GUINT64_FORMAT
							        " ok, %" G_GUINT64_FORMAT
							        " non-200, %" G_GUINT64_FORMAT
							        " without an answer\n",
							        sides[i].label, tx_names[t],
							        concurrency[k], mode_names[m],
							        p->ok, p->refused, p->failed);
							ok = FALSE;
						}
					}
	}
	return ok;
}

static char *
load_average(void)
{
	char *text = NULL;

	if (!g_file_get_contents("/proc/loadavg", &text, NULL, NULL))
		return g_strdup("unknown");
	return g_strstrip(text);
}

/* ---- main --------------------------------------------------------------------------------- */

int
main(int argc, char **argv)
{
	g_autofree char *servermesh = NULL;
	g_autofree char *baseline = NULL;
	g_autofree char *db = NULL;
	g_autofree char *pg_script = NULL;
	g_autofree char *pg_dir = NULL;
	double seconds = 5, signing = 0;
	gint small = 1000, large = 100000, n_latency = 2000, nodes = 1, rounds = 3;
	gboolean smoke = FALSE;
	const GOptionEntry entries[] = {
	        {"servermesh", 0, 0, G_OPTION_ARG_FILENAME, &servermesh,
	         "the servermesh to measure (required)", "PATH"},
	        {"baseline", 0, 0, G_OPTION_ARG_FILENAME, &baseline,
	         "a second servermesh measured alternately in the same run (SQLite only)", "PATH"},
	        {"db", 0, 0, G_OPTION_ARG_STRING, &db, "the store: sqlite (default) or pg",
	         "sqlite|pg"},
	        {"nodes", 0, 0, G_OPTION_ARG_INT, &nodes,
	         "servermesh processes on the same store (1 or 2; default 1)", "N"},
	        {"rounds", 0, 0, G_OPTION_ARG_INT, &rounds,
	         "measurements of each figure; the median is printed (default 3)", "N"},
	        {"seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds,
	         "length of each requests/s measurement (default 5)", "S"},
	        {"accounts-small", 0, 0, G_OPTION_ARG_INT, &small,
	         "accounts in the small database (default 1000)", "N"},
	        {"accounts-large", 0, 0, G_OPTION_ARG_INT, &large,
	         "accounts in the large database (default 100000)", "N"},
	        {"latency-requests", 0, 0, G_OPTION_ARG_INT, &n_latency,
	         "sequential requests per latency figure (default 2000)", "N"},
	        {"pg-cluster", 0, 0, G_OPTION_ARG_FILENAME, &pg_script,
	         "tests/pg-cluster.sh (default: the source tree's)", "PATH"},
	        {"pg-dir", 0, 0, G_OPTION_ARG_FILENAME, &pg_dir,
	         "use the running cluster of pg-cluster.sh in DIR instead of starting one", "DIR"},
	        {"smoke", 0, 0, G_OPTION_ARG_NONE, &smoke,
	         "tiny sizes, short runs, one round: checks that it works (CTest)", NULL},
	        G_OPTION_ENTRY_NULL,
	};
	g_autoptr(GOptionContext) context = g_option_context_new(NULL);
	g_autoptr(GError) error = NULL;
	g_autofree char *hello_body = mesh_portal_request_text("HelloRequest", NULL);
	g_autofree char *load_start = NULL;
	g_autofree char *load_end = NULL;
	gsize status_n[N_MODES][N_LEVELS] = {{0}};
	guint64 logged = 0;
	guint sizes[2];
	int rc = 0;

	g_option_context_set_summary(
	        context, "Requests/s and latency of servermesh on 127.0.0.1 (Hello, Get, "
	                 "ConnectStatus), with and without\nkeep-alive, on SQLite or "
	                 "PostgreSQL, one node or two, beside a baseline servermesh. It\n"
	                 "starts its own servermesh on temporary databases and stops it "
	                 "at the end.");
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
		rounds = 1;
	}
	if (db != NULL && strcmp(db, "pg") != 0 && strcmp(db, "sqlite") != 0) {
		fprintf(stderr, "bench-portal: --db is sqlite or pg\n");
		return 2;
	}
	if (seconds <= 0 || seconds > 120 || small < 1 || large < 1 || large > 10000000 ||
	    small > 10000000 || n_latency < 1 || n_latency > 1000000 || nodes < 1 ||
	    nodes > MAX_NODES || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "bench-portal: 0 < seconds <= 120, 1 <= accounts <= 10,000,000, "
		                "1 <= latency-requests <= 1,000,000, 1 <= nodes <= 2, "
		                "1 <= rounds <= 15\n");
		return 2;
	}
	use_pg = db != NULL && strcmp(db, "pg") == 0;
	n_nodes = (guint)nodes;
	n_rounds = (guint)rounds;
	sizes[0] = (guint)small;
	sizes[1] = (guint)large;
	sides[SIDE_BASE] = (Side){
	        .label = "baseline", .bin = baseline, .present = baseline != NULL && !use_pg};
	sides[SIDE_CAND] = (Side){.label = "candidate", .bin = servermesh, .present = TRUE};
	FOR_SIDES(i)
	{
		sides[i].limit = knows_limit(sides[i].bin);
	}

	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	work_dir = g_dir_make_tmp("bench-portal-XXXXXX", &error);
	if (work_dir == NULL)
		die("no temporary directory: %s", error->message);
	if (use_pg)
		pg_start(pg_script != NULL ? pg_script : MESH_PG_CLUSTER, pg_dir);

	load_start = load_average();
	printf("bench-portal: servermesh on 127.0.0.1, rate limit off; %s, %u node(s)\n",
	       use_pg ? (pg_dir != NULL ? "PostgreSQL (the given cluster)"
	                                : "PostgreSQL (a cluster of its own)")
	              : "SQLite",
	       n_nodes);
	printf("  candidate: %s\n  baseline:  %s\n  load average at the start: %s\n", servermesh,
	       baseline == NULL ? "none"
	       : use_pg         ? "not run (242a3c4 has no PostgreSQL store)"
	                        : baseline,
	       load_start);
	fflush(stdout);
	for (int s = 0; s < 2; s++) {
		g_autoptr(GArray) real = g_array_new(FALSE, TRUE, sizeof(RealAccount));
		Req hello = req_make(hello_body);
		gsize n_gets = 0;
		Req *gets = get_pool(sizes[s], &n_gets);
		Device d = {0};

		g_array_set_clear_func(real, (GDestroyNotify)real_account_clear);
		real_accounts(real, sizes[s]);
		device_make(&d, &g_array_index(real, RealAccount, 0));
		FOR_SIDES(i)
		{
			double took = side_fill(&sides[i], sizes[s], real);

			printf("filled %u accounts (%u real) for the %s in %.2f s (%s in one "
			       "transaction)\n",
			       sizes[s], real->len, sides[i].label, took, use_pg ? "COPY" : "SQL");
			fflush(stdout);
		}
		FOR_SIDES(i)
		{
			side_start(&sides[i], sizes[s]);
			device_connect(&d, sides[i].ports[0]);
			for (guint node = 0; node < n_nodes; node++)
				for (int m = 0; m < N_MODES; m++)
					check_answers(sides[i].ports[node], m,
					              &g_array_index(real, RealAccount, 0),
					              sizes[s], &d);
		}
		/* Latency on each database, A B A B. */
		for (guint r = 0; r < n_rounds; r++) {
			FOR_SIDES(i)
			{
				for (int m = 0; m < N_MODES; m++) {
					lat[i][s][TX_HELLO][m][r] = latency(
					        sides[i].ports[0], m, &hello, 1, (guint)n_latency);
					lat[i][s][TX_GET][m][r] =
					        latency(sides[i].ports[0], m, gets, n_gets,
					                (guint)n_latency);
				}
			}
		}
		if (s == 1)
			measure_throughput(&d, &hello, gets, n_gets, seconds, status_n, &signing);
		FOR_SIDES(i)
		{
			side_stop(&sides[i]);
		}
		device_clear(&d);
		pool_free(gets, n_gets);
		req_clear(&hello);
	}
	load_end = load_average();

	print_latency(sizes, (guint)n_latency);
	print_throughput(sizes[1], seconds, status_n, signing);
	FOR_SIDES(i)
	{
		logged += sides[i].logged;
	}
	printf("\nservermesh logged %" G_GUINT64_FORMAT
	       " requests; this client sent %d (%" G_GUINT64_FORMAT
	       " in the measurements, the rest for setup and checks)\n",
	       logged, g_atomic_int_get(&posts_total), sent_total);
	printf("load average at the end: %s\n", load_end);
	print_markdown(sizes);
	if (smoke && !smoke_passed())
		rc = 1;
	cleanup();
	return rc;
}
