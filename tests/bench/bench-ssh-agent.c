/* SPDX-License-Identifier: MIT */
/*
 * bench-ssh-agent: Ed25519 sign requests per second over the OpenSSH agent protocol, for one or
 * two agents (stock ssh-agent and meshagent's ssh-agent.sock: tests/bench/ssh-agent.sh), and
 * the ratio B/A.
 * Usage: bench-ssh-agent [--seconds S | --rounds N] SOCK_A LABEL_A [SOCK_B LABEL_B]
 * For each socket one client connects, asks for the identities, takes the first ssh-ed25519
 * one, and sends SIGN_REQUEST (64 bytes, flags 0) after SIGN_REQUEST, each answer read before
 * the next request is written. Every answer must be a SIGN_RESPONSE holding a 64-byte
 * ssh-ed25519 signature; the first ones are verified with OpenSSL, and since Ed25519 is
 * deterministic (RFC 8032) every later one must be the same bytes. The client is kept lean
 * (blocking reads and writes, one buffer reused) so that it is not what gets measured.
 * It prints figures; it asserts nothing about speed.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bench-common.h"

#define MESSAGE_MAX (256 * 1024) /* MESH_SSH_AGENT_MESSAGE_MAX, and OpenSSH's own cap */
#define REQUEST_IDENTITIES 11
#define IDENTITIES_ANSWER 12
#define SIGN_REQUEST 13
#define SIGN_RESPONSE 14
#define DATA_LEN 64
#define VERIFIED 8 /* answers checked with OpenSSL; the rest are compared with the first */

static const char ed25519_name[] = "ssh-ed25519";

/* One agent connection: its socket and the buffer every answer is read into. */
typedef struct {
	const char *path;
	int fd;
	guint8 *buf;
} Conn;

static G_NORETURN void
die(const Conn *conn, const char *what)
{
	g_autofree char *msg = g_strdup_printf("%s: %s", conn->path, what);

	bench_die("bench-ssh-agent", msg, NULL, 0);
}

static void
write_all(const Conn *conn, const guint8 *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(conn->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die(conn, w == 0 ? "write failed" : g_strerror(errno));
		p += w;
		n -= (size_t)w;
	}
}

static void
read_all(const Conn *conn, guint8 *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(conn->fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die(conn, r == 0 ? "the agent closed the connection" : g_strerror(errno));
		p += r;
		n -= (size_t)r;
	}
}

/* Send the framed request @req (@len bytes, its length prefix included); the answer's body is
 * read into conn->buf and its length returned. */
static size_t
transact(const Conn *conn, const guint8 *req, size_t len)
{
	guint32 n;

	write_all(conn, req, len);
	read_all(conn, conn->buf, 4);
	n = bench_get_u32(conn->buf);
	if (n == 0 || n > MESSAGE_MAX)
		die(conn, "answer length out of bounds");
	read_all(conn, conn->buf, n);
	return n;
}

/* A string at *@p within @end: its bytes and length, *@p moved past it; FALSE when it does not
 * fit. */
static gboolean
get_string(const guint8 **p, const guint8 *end, const guint8 **ret_s, guint32 *ret_len)
{
	guint32 n;

	if (end - *p < 4)
		return FALSE;
	n = bench_get_u32(*p);
	if ((size_t)(end - *p - 4) < n)
		return FALSE;
	*ret_s = *p + 4;
	*ret_len = n;
	*p += 4 + n;
	return TRUE;
}

/* Is @blob (@len bytes) an ssh-ed25519 public key? Its raw key in *@ret_raw when it is. */
static gboolean
is_ed25519(const guint8 *blob, guint32 len, const guint8 **ret_raw)
{
	const guint8 *p = blob, *end = blob + len, *name, *raw;
	guint32 name_len, raw_len;

	if (!get_string(&p, end, &name, &name_len) || !get_string(&p, end, &raw, &raw_len) ||
	    p != end || name_len != strlen(ed25519_name) ||
	    memcmp(name, ed25519_name, name_len) != 0 || raw_len != 32)
		return FALSE;
	*ret_raw = raw;
	return TRUE;
}

/* The framed sign request (a new buffer, its length in *@ret_len) of @data for the first
 * ssh-ed25519 identity the agent lists; that identity's public key in *@ret_pkey. */
static guint8 *
sign_request_for_first_ed25519(const Conn *conn, const guint8 *data, size_t *ret_len,
			       EVP_PKEY **ret_pkey)
{
	static const guint8 list[] = { 0, 0, 0, 1, REQUEST_IDENTITIES };
	size_t n = transact(conn, list, sizeof list);
	const guint8 *p = conn->buf + 1, *end = conn->buf + n;
	guint32 count;

	if (conn->buf[0] != IDENTITIES_ANSWER || end - p < 4)
		die(conn, "REQUEST_IDENTITIES was not answered with an identities list");
	count = bench_get_u32(p);
	p += 4;
	for (guint32 i = 0; i < count; i++) {
		const guint8 *blob, *comment, *raw;
		guint32 blob_len, comment_len;
		guint8 *req, *q;

		if (!get_string(&p, end, &blob, &blob_len) ||
		    !get_string(&p, end, &comment, &comment_len))
			die(conn, "malformed identities answer");
		if (!is_ed25519(blob, blob_len, &raw))
			continue;
		*ret_pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, 32);
		if (*ret_pkey == NULL)
			die(conn, "OpenSSL does not take the identity's Ed25519 key");
		/* length, type, string key blob, string data, uint32 flags */
		*ret_len = 4 + 1 + 4 + blob_len + 4 + DATA_LEN + 4;
		req = q = g_malloc(*ret_len);
		bench_put_u32(q, (guint32)*ret_len - 4);
		q[4] = SIGN_REQUEST;
		bench_put_u32(q + 5, blob_len);
		memcpy(q + 9, blob, blob_len);
		q += 9 + blob_len;
		bench_put_u32(q, DATA_LEN);
		memcpy(q + 4, data, DATA_LEN);
		bench_put_u32(q + 4 + DATA_LEN, 0);
		return req;
	}
	die(conn, "no ssh-ed25519 identity (ssh-add one first)");
}

/* The 64-byte signature in a SIGN_RESPONSE of @n bytes in conn->buf, or die. */
static const guint8 *
signature_of(const Conn *conn, size_t n)
{
	const guint8 *p = conn->buf + 1, *end = conn->buf + n, *sig, *name, *raw;
	guint32 sig_len, name_len, raw_len;

	if (conn->buf[0] != SIGN_RESPONSE)
		die(conn, conn->buf[0] == 5 ? "the agent refused to sign (SSH_AGENT_FAILURE)"
					    : "SIGN_REQUEST was not answered with SIGN_RESPONSE");
	if (!get_string(&p, end, &sig, &sig_len) || p != end)
		die(conn, "malformed SIGN_RESPONSE");
	p = sig;
	end = sig + sig_len;
	if (!get_string(&p, end, &name, &name_len) || !get_string(&p, end, &raw, &raw_len) ||
	    p != end || name_len != strlen(ed25519_name) ||
	    memcmp(name, ed25519_name, name_len) != 0 || raw_len != 64)
		die(conn, "the signature is not a 64-byte ssh-ed25519 signature");
	return raw;
}

/* Sign requests per second over @path: @rounds of them, or as many as fit in @seconds. */
static double
bench_agent(const char *path, long rounds, double seconds, long *ret_done)
{
	static guint8 data[DATA_LEN];
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	Conn conn = { .path = path, .fd = -1 };
	g_autofree guint8 *req = NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY *pkey = NULL;
	guint8 first[64];
	size_t req_len = 0;
	double t0, elapsed;
	long done = 0;

	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (guint8)i;
	if (strlen(path) >= sizeof addr.sun_path)
		die(&conn, "socket path too long");
	strcpy(addr.sun_path, path);
	conn.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (conn.fd < 0 || connect(conn.fd, (struct sockaddr *)&addr, sizeof addr) < 0)
		die(&conn, g_strerror(errno));
	conn.buf = g_malloc(MESSAGE_MAX);
	req = sign_request_for_first_ed25519(&conn, data, &req_len, &pkey);

	t0 = bench_now();
	for (;;) {
		const guint8 *sig = signature_of(&conn, transact(&conn, req, req_len));

		if (done < VERIFIED) {
			if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) != 1 ||
			    EVP_DigestVerify(ctx, sig, 64, data, DATA_LEN) != 1)
				die(&conn, "a signature does not verify");
			memcpy(first, sig, sizeof first);
		} else if (memcmp(sig, first, sizeof first) != 0) {
			die(&conn, "a signature differs from the first (Ed25519 is deterministic)");
		}
		done++;
		elapsed = bench_now() - t0;
		if (rounds > 0 ? done >= rounds : elapsed >= seconds)
			break;
	}
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	g_free(conn.buf);
	close(conn.fd);
	*ret_done = done;
	return done / elapsed;
}

int
main(int argc, char **argv)
{
	long rounds = 0;
	double seconds = 5, rate[2] = { 0, 0 };
	int i = 1, n;

	for (; i + 1 < argc && g_str_has_prefix(argv[i], "--"); i += 2) {
		if (g_str_equal(argv[i], "--seconds"))
			seconds = g_ascii_strtod(argv[i + 1], NULL);
		else if (g_str_equal(argv[i], "--rounds"))
			rounds = atol(argv[i + 1]);
		else
			break;
	}
	n = (argc - i) / 2;
	if ((argc - i) % 2 != 0 || n < 1 || n > 2 || seconds <= 0 || rounds < 0) {
		fprintf(stderr, "Usage: bench-ssh-agent [--seconds S | --rounds N] SOCK_A LABEL_A "
				"[SOCK_B LABEL_B]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	for (int k = 0; k < n; k++) {
		long done = 0;

		rate[k] = bench_agent(argv[i + 2 * k], rounds, seconds, &done);
		printf("%-12s %9.0f sign/s  (%ld requests)\n", argv[i + 2 * k + 1], rate[k], done);
	}
	if (n == 2)
		printf("%s/%s: %.2f\n", argv[i + 3], argv[i + 1], rate[1] / rate[0]);
	return 0;
}
