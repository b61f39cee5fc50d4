/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The portal's HTTP binding (docs/protocol.md §8): an HTTP/1.1 server of its own on GIO sockets
 * (requests read by portal/http-parse.h), one resource, POST /.well-known/mmm/ with
 * Content-Type application/json (and the health endpoint, below). Everything HTTP is settled
 * here before the transaction layer sees a byte: the request's syntax (400, 431 for a head over
 * 16 KiB, 501 for a transfer coding other than chunked, 505 for a version other than 1.0 and
 * 1.1, 417 for an expectation other than 100-continue: each then closes the connection), the
 * path (404), the method (405, with Allow: POST), the per-client rate limit (429, with
 * Retry-After), the media type (415) and the body size (413: from Content-Length before the
 * body is read, and by counting while a chunked body streams; an oversize body is never kept,
 * and one more than MESH_PORTAL_HTTP_DISCARD_MAX long, or one the client waits to send (Expect:
 * 100-continue), is not read: the answer goes out and the connection closes). Those answers
 * have the untagged body {"Status": n, "StatusDescription": "..."}.
 *
 * Connections: it accepts them on its listening socket, counts them per client and in all, and
 * closes at once a connection over either cap (the descriptor is freed and the kernel's backlog
 * keeps moving), except that a new connection over the total cap takes the place of the oldest
 * one that has not sent complete headers yet. A connection must deliver its complete request
 * headers (TLS handshake included) within the header timeout of being accepted; after that it
 * may stay idle (nothing received, nothing sent) at most the idle timeout. A failing accept (out
 * of descriptors or memory) is logged and retried after a short pause: the listener never
 * stops. A connection stays open after each answer for the client's next request (HTTP/1.1
 * keep-alive; HTTP/1.0 only when asked) until the client closes it, asks to, or is timed out or
 * evicted: after an answer a connection waits at most the idle timeout, counts as one without
 * complete headers, and is the first to make room for its own client's new one. Requests sent
 * before their predecessor's answer (pipelining) are answered in order.
 *
 * Threads. Connections are accepted on the thread-default GMainContext of the thread that calls
 * mesh_portal_http_new() and shared among I/O loops (config.loops: that context and threads of
 * their own), each connection read, answered and closed by one loop. Requests config.at_once
 * picks are answered on the loop by config.now, which may leave a step that waits (a nonce to
 * commit): the loop gathers those while a worker finishes the previous ones together
 * (config.finish), and each answer goes once finished. The other requests, and the health
 * function, are answered in worker threads (config.workers of them), the connection waiting
 * meanwhile. So the handlers, the health function and the log and notice callbacks are called
 * from several threads at once: each must be safe for that.
 */

/* Where servermesh listens unless told otherwise: loopback only, so that exposing a portal
 * is a decision (--listen 0.0.0.0:443 --tls-cert ... --tls-key ...). */
#define MESH_PORTAL_HTTP_DEFAULT_LISTEN "127.0.0.1:9080"
/* The one path the portal answers. */
#define MESH_PORTAL_HTTP_PATH "/.well-known/mmm/"
/*
 * The health endpoint for load balancers (docs/protocol.md "Health endpoint"), served when the
 * configuration has a health function: GET or HEAD answers 200 {"Status":"ok"} when the function
 * says the store answers, else 503 {"Status":"unavailable"} (why goes to the notice callback,
 * once per change, never to the client); another method is 405 with Allow: GET, HEAD. It is
 * never rate-limited (a load balancer behind which every client shares one address, or a
 * flood from others that fills the shared bucket, would otherwise get 429 and take the node
 * out); instead the function is called at most once per MESH_PORTAL_HTTP_HEALTH_INTERVAL_MS
 * and requests in between get its last answer, so a flood of health checks costs no more store
 * work than one a second. The connection caps apply to it as to everything.
 */
#define MESH_PORTAL_HTTP_HEALTH_PATH        "/.well-known/mmm/health"
#define MESH_PORTAL_HTTP_HEALTH_INTERVAL_MS 1000
/* §10: largest request body. */
#define MESH_PORTAL_HTTP_MAX_BODY (1024 * 1024)
/* An oversize body is read and dropped (so the client can read its 413) up to this size; a
 * longer one closes the connection. */
#define MESH_PORTAL_HTTP_DISCARD_MAX (8 * 1024 * 1024)
/* Default per-client rate limit: a bucket of BURST requests refilled at RATE a second. */
#define MESH_PORTAL_HTTP_DEFAULT_RATE 20.0
#define MESH_PORTAL_HTTP_DEFAULT_BURST 100
/* Clients tracked by the rate limiter at most; beyond, new clients share one bucket. */
#define MESH_PORTAL_HTTP_MAX_CLIENTS 65536
/* Descriptors kept free of connections: standard streams, the listening socket, the database
 * and its journal files, GLib's wake-up and signal descriptors, TLS, and the connections closed
 * but not yet released. The connection caps may use the rest of RLIMIT_NOFILE. */
#define MESH_PORTAL_HTTP_FD_RESERVE 64
/* Threads that answer requests: enough that the requests of many clients waiting for one
 * commit (a batch of nonces, docs/design.md "Scale") fill the next batch together. */
#define MESH_PORTAL_HTTP_DEFAULT_WORKERS 64
/* Default caps on connections at once: in all (lowered to what RLIMIT_NOFILE allows) and per
 * client. */
#define MESH_PORTAL_HTTP_DEFAULT_MAX_CONNECTIONS 4096
#define MESH_PORTAL_HTTP_DEFAULT_MAX_PER_CLIENT  32
/* Default seconds to deliver complete request headers, and to stay idle after that. */
#define MESH_PORTAL_HTTP_DEFAULT_HEADER_TIMEOUT 20
#define MESH_PORTAL_HTTP_DEFAULT_IDLE_TIMEOUT   30

/*
 * MeshPortalHandler: answer one request. @client is the client's key, the unit every
 * per-client limit counts: the peer's IP address as text, or for IPv6 its /64 ("2001:db8::"),
 * since one host holds a whole /64; loopback ::1 stays itself. @request
 * the body (at most the configured limit; not checked as JSON: that is the handler's job).
 * Returns the answer body (JSON, UTF-8; never NULL) and sets *@ret_status to the HTTP status,
 * which mirrors the answer's Status (§8). *@ret_transaction may be set to a static string that
 * names the transaction for the log ("Hello", "Get"); it is NULL on entry.
 *
 * Decision: bytes in, bytes out rather than JsonNode. The binding then knows nothing of JSON
 * beyond error answers, the transaction layer parses with its own strict reader (core/json:
 * duplicate members, depth, UTF-8) and stays testable without HTTP, and the direct portal
 * client of core/ calls the same function with the same bytes.
 */
typedef GBytes *(*MeshPortalHandler)(gpointer data, const char *client, GBytes *request,
				     guint *ret_status, const char **ret_transaction);
/* Whether @request may be answered at once by the MeshPortalHandlerNow, on the connection's
 * I/O loop, which spares two thread switches. @data is the handler's. */
typedef gboolean (*MeshPortalAtOnce)(gpointer data, GBytes *request);
/*
 * MeshPortalHandlerNow: answer @request at once, without waiting (no commit, no network), as
 * MeshPortalHandler does; or leave one step that waits: NULL and *@ret_later (the handler's, to
 * give to MeshPortalFinish); or do nothing: NULL and no later (a worker then calls the
 * MeshPortalHandler). *@ret_later is NULL on entry.
 */
typedef GBytes *(*MeshPortalHandlerNow)(gpointer data, const char *client, GBytes *request,
                                        guint *ret_status, const char **ret_transaction,
                                        gpointer *ret_later);
/* MeshPortalFinish: in a worker, end the @n laters (all of one I/O loop that were left since
 * its last call, together: a group commit) and give each its answer and HTTP status. */
typedef void (*MeshPortalFinish)(gpointer data, gpointer *laters, guint n, GBytes **ret_answers,
                                 guint *ret_statuses);

/* What the binding reports about each request, once it is answered (or abandoned). */
typedef struct {
	gint64 time;             /* when it started, g_get_real_time() microseconds */
	const char *client;      /* peer IP address */
	const char *method;      /* "POST"; untrusted text made safe (mesh_error_quote) */
	const char *path;        /* untrusted text made safe */
	const char *transaction; /* as the handler reported it, or NULL */
	guint status;            /* HTTP status sent; 0 when the client went away first */
	gsize request_bytes;     /* body bytes received */
	gsize response_bytes;    /* body bytes of the answer */
	gint64 duration_us;
} MeshPortalHttpLogEntry;

/* One call per request; never given a body or a header value, so it can log all of it. */
typedef void (*MeshPortalLogFunc)(gpointer data, const MeshPortalHttpLogEntry *entry);

/* What the binding reports about its connections (accept failures, connections refused or
 * closed by a timeout), one line of text, at most one line a second or so. */
typedef void (*MeshPortalNoticeFunc)(gpointer data, const char *message);

/* Whether the store answers now (the health endpoint): TRUE, or FALSE with the reason. */
typedef gboolean (*MeshPortalHealthFunc)(gpointer data, GError **error);

typedef struct {
	/* "ADDR:PORT" with a numeric address ("127.0.0.1:9080", "[::1]:9080", "0.0.0.0:443");
	 * port 0 picks a free port (see mesh_portal_http_port). NULL: the default. */
	const char *listen;
	/* TLS: both PEM files, or neither (plain HTTP). */
	const char *tls_cert_file;
	const char *tls_key_file;
	/* 0: MESH_PORTAL_HTTP_MAX_BODY. */
	gsize max_body;
	/* Requests a second per client IP (IPv6: per /64), and the burst allowed above it.
	 * rate < 0 turns the limit off (benchmarks); 0 and burst 0 take the defaults. */
	double rate;
	guint burst;
	/* Connections at once, in all and per client key. 0: the defaults, the total lowered to
	 * what RLIMIT_NOFILE allows (mesh_portal_http_connection_limit). */
	guint max_connections;
	guint max_connections_per_client;
	/* Seconds; 0: the defaults. */
	guint header_timeout;
	guint idle_timeout;
	MeshPortalLogFunc log;       /* may be NULL */
	MeshPortalNoticeFunc notice; /* may be NULL */
	gpointer log_data;           /* for both */
	/* NULL: no health endpoint (its path is 404 as any other). */
	MeshPortalHealthFunc health;
	gpointer health_data;
	/* Threads answering requests (0: MESH_PORTAL_HTTP_DEFAULT_WORKERS). */
	guint workers;
	/* I/O loops (0: one per processor, at most 16): the caller's main context and threads. */
	guint loops;
	/* All three, or none: every request goes to a worker. */
	MeshPortalAtOnce at_once;
	MeshPortalHandlerNow now;
	MeshPortalFinish finish;
} MeshPortalHttpConfig;

/*
 * mesh_portal_http_connection_limit: the most connections this process can hold at once: its
 * soft RLIMIT_NOFILE (read now) less MESH_PORTAL_HTTP_FD_RESERVE, or 0 when the limit leaves
 * less than that. *@ret_nofile (may be NULL) gets the limit itself (G_MAXUINT64: unlimited).
 */
guint mesh_portal_http_connection_limit(guint64 *ret_nofile);

typedef struct MeshPortalHttp MeshPortalHttp;

/*
 * mesh_portal_http_new: listen as @config says and answer requests with @handler. Returns the
 * server (free with mesh_portal_http_free). Errors: MESH_ERROR_INVALID_ARGUMENT for a bad
 * listen address, only one of the TLS files, a connection cap above what RLIMIT_NOFILE allows or
 * a per-client cap above the total; MESH_ERROR_CRYPTO when the certificate or key
 * cannot be loaded or no TLS backend is installed (glib-networking); MESH_ERROR_IO when the
 * address cannot be bound (in use: the message says so).
 */
MeshPortalHttp *mesh_portal_http_new(const MeshPortalHttpConfig *config, MeshPortalHandler handler,
				     gpointer handler_data, GError **error);

/* The port it listens on (the one chosen when the configuration said 0). */
guint16 mesh_portal_http_port(MeshPortalHttp *http);

/* "http://127.0.0.1:9080/.well-known/mmm/" (https with TLS). Static for the server's life. */
const char *mesh_portal_http_url(MeshPortalHttp *http);

/*
 * mesh_portal_http_client_key: the client key of a peer at @address (see MeshPortalHandler):
 * its IP address as text, IPv6 by /64, an IPv4-mapped IPv6 address as its IPv4 address; "?"
 * for an address that is not an IP address. Returns a new string.
 */
char *mesh_portal_http_client_key(GSocketAddress *address);

/* mesh_portal_http_free: stop listening, drop connections. Accepts NULL. */
void mesh_portal_http_free(MeshPortalHttp *http);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshPortalHttp, mesh_portal_http_free)

/*
 * mesh_portal_status_answer: the body {"Status": @status, "StatusDescription": @description}
 * (the reason phrase of @status when @description is NULL), for answers that are not a
 * transaction's response. Returns new bytes.
 */
GBytes *mesh_portal_status_answer(guint status, const char *description);

G_END_DECLS
