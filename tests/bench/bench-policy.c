/* SPDX-License-Identifier: MIT */
/*
 * bench-policy: what the per-program policy and the audit log cost (issue 17). Two agents on
 * two temporary test hives, started by this program:
 *   plain   meshagent --no-audit, no policy (default allow): nothing decided, nothing recorded
 *   policy  meshagent with its audit log, default deny and 50 rules: 48 for other programs
 *           (keys, applications, SSH), one that allows this very program its device key and one
 *           that allows it the SSH keys, both pinned to the SHA-256 of this executable
 * and, for each, requests one after another:
 *   KeySign over the agent's socket (libmeshclient): one client, then @clients clients at once
 *           (one connection and one thread each; the figure is all of them together)
 *   SIGN_REQUEST over the ssh-agent socket (Ed25519, 64 bytes), one client, for a key added
 *           to both agents with SSH2_AGENTC_ADD_IDENTITY
 * in alternating rounds (plain first in even rounds, policy first in odd ones, so that a machine
 * that slows down or speeds up meanwhile weighs on both), and prints the median of each and the
 * ratio policy/plain, with PASS when the policy agent is within 20 % of the plain one.
 *
 * The floor beside them, measured in the same run: round trips per second of 100 bytes between
 * two processes over a socketpair, mesh_key_sign in this process with the device's key, and
 * 1 / (1/round_trips + 1/raw): what an agent that added nothing but one round trip to the raw
 * signature would do.
 *
 * After the run it checks that the configuration was what it says: the plain agent's audit log
 * holds no record, the policy agent's log verifies and holds at least one record per request,
 * and the policy agent refuses a key its rules do not give this program.
 *
 * Usage: bench-policy --agent MESHAGENT [--rounds N] [--requests R] [--clients C] [--rules N]
 *                     [--policy-no-audit] [--strict]
 * --rules N gives the policy agent N rules instead of 50 (0: no policy at all), and
 * --policy-no-audit starts it with --no-audit too: the two costs apart. --strict exits 1 when a
 * ratio is below 0.8 (the smoke run times too little to judge).
 */
#include <mesh/client.h>

#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-common.h"
#include "error.h"
#include "key.h"
#include "openssh.h"

#define PROG                   "bench-policy"
#define WITHIN                 0.80 /* the policy agent's rate over the plain one's, at least */
#define DATA_LEN               64
#define SSH_MESSAGE_MAX        (256 * 1024)
#define SSH_AGENT_SUCCESS      6
#define SSH_REQUEST_IDENTITIES 11
#define SSH_IDENTITIES_ANSWER  12
#define SSH_SIGN_REQUEST       13
#define SSH_SIGN_RESPONSE      14
#define SSH_ADD_IDENTITY       17

static const guint8 data[DATA_LEN] =
        "bench-policy: the same 64 bytes signed every time.............";
static const char ed25519_name[] = "ssh-ed25519";

/* One of the two agents. */
typedef struct {
	const char *label;
	char *dir; /* its temporary folder: mmm/ (the hive), agent.sock, ssh-agent.sock */
	char *sock;
	char *ssh_sock;
	GPid pid;
	MeshClient *client; /* for setting up, and for stopping it */
	char *udf;          /* the device's signature key */
} Agent;

static Agent agents[2];

static G_NORETURN void
die(const char *what, MeshClient *client, int code)
{
	if (client != NULL)
		fprintf(stderr, PROG ": %s: %s (%d)\n", what, mesh_client_last_error(client), code);
	else if (code != 0)
		fprintf(stderr, PROG ": %s (%d)\n", what, code);
	else
		fprintf(stderr, PROG ": %s\n", what);
	for (int i = 0; i < 2; i++)
		if (agents[i].pid != 0)
			kill(agents[i].pid, SIGTERM);
	exit(1);
}

/* ---- Starting and stopping the agents ---------------------------------------------------- */

static void
start_agent(Agent *a, const char *meshagent, gboolean audit)
{
	g_autofree char *home = g_build_filename(a->dir, "mmm", NULL);
	const char *argv[] = {meshagent,
	                      "--foreground",
	                      "--hive",
	                      "test",
	                      "--socket",
	                      a->sock,
	                      audit ? NULL : "--no-audit",
	                      NULL};
	g_auto(GStrv) env = g_get_environ();
	g_autoptr(GError) error = NULL;

	env = g_environ_setenv(env, "MMM_HOME", home, TRUE);
	env = g_environ_unsetenv(env, "MESH_SSH_AGENT_SOCK");
	env = g_environ_unsetenv(env, "MESH_AGENT_SOCK");
	env = g_environ_unsetenv(env, "MESH_AUDIT_ROTATE_BYTES");
	if (!g_spawn_async(NULL, (char **)argv, env,
	                   G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
	                   &a->pid, &error)) {
		g_autofree char *what =
		        g_strdup_printf("cannot start %s: %s", meshagent, error->message);

		die(what, NULL, 0);
	}
	for (int i = 0; i < 250 && !(g_file_test(a->sock, G_FILE_TEST_EXISTS) &&
	                             g_file_test(a->ssh_sock, G_FILE_TEST_EXISTS));
	     i++)
		g_usleep(20000);
}

static void
stop_agent(Agent *a)
{
	char *rm_argv[] = {(char *)"rm", (char *)"-rf", a->dir, NULL};

	if (a->pid != 0) {
		mesh_client_shutdown(a->client);
		waitpid(a->pid, NULL, 0);
		a->pid = 0;
	}
	mesh_client_close(a->client);
	g_spawn_sync(NULL, rm_argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
}

/* A device on @a's hive; its signature key's UDF in a->udf. */
static void
make_device(Agent *a)
{
	MeshClientDevice *device = NULL;
	int code = mesh_client_open_socket(a->sock, &a->client);

	if (code != MESH_ERROR_OK)
		die(a->sock, NULL, code);
	code = mesh_client_device_create(a->client, PROG, NULL, &device);
	if (code != MESH_ERROR_OK)
		die("DeviceCreate", a->client, code);
	a->udf = g_strdup(device->signature_key);
	mesh_client_device_free(device);
}

/* ---- The policy ---------------------------------------------------------------------------- */

/* The SHA-256 (hex) of this program's executable, whose path is @self. */
static char *
self_digest(const char *self)
{
	g_autofree char *bytes = NULL;
	gsize len = 0;

	if (!g_file_get_contents(self, &bytes, &len, NULL))
		die("cannot read /proc/self/exe", NULL, 0);
	return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)bytes, len);
}

static void
set_rule(Agent *a, const char *program, const char *sha256, MeshClientTarget target,
         const char *value, const char *decision)
{
	MeshClientPolicyRule rule = {(char *)program, (char *)sha256,   target,
	                             (char *)value,   (char *)decision, NULL};
	int code = mesh_client_policy_set(a->client, &rule, NULL);

	if (code != MESH_ERROR_OK)
		die("PolicySet", a->client, code);
}

/* Default deny and @n_rules rules, two of them this program's (its key, the SSH keys), pinned. */
static void
set_policy(Agent *a, const char *self, const char *digest, int n_rules)
{
	MeshClientPolicyRule *rules = NULL;
	size_t n = 0;
	int code;

	for (int i = 0; i < n_rules - 2; i++) {
		g_autofree char *program = g_strdup_printf("/usr/local/bin/bench-other-%02d", i);
		g_autofree char *app = g_strdup_printf("app-%02d", i);

		switch (i % 3) {
		case 0:
			set_rule(a, program, NULL, MESH_CLIENT_TARGET_KEY, a->udf,
			         i % 2 ? "allow" : "deny");
			break;
		case 1:
			set_rule(a, program, digest, MESH_CLIENT_TARGET_APP, app, "allow");
			break;
		default:
			set_rule(a, program, NULL, MESH_CLIENT_TARGET_SSH, NULL, "ask");
			break;
		}
	}
	set_rule(a, self, digest, MESH_CLIENT_TARGET_KEY, a->udf, "allow");
	set_rule(a, self, digest, MESH_CLIENT_TARGET_SSH, NULL, "allow");
	code = mesh_client_policy_default(a->client, "deny", NULL);
	if (code != MESH_ERROR_OK)
		die("PolicyDefault", a->client, code);
	code = mesh_client_policy_list(a->client, NULL, &rules, &n);
	if (code != MESH_ERROR_OK)
		die("PolicyList", a->client, code);
	mesh_client_policy_rules_free(rules, n);
	if (n != (size_t)n_rules)
		die("PolicyList does not list the rules set", NULL, 0);
}

/* ---- KeySign over the agent's socket ------------------------------------------------------- */

typedef struct {
	MeshClient *client;
	const char *udf;
	long requests;
	int code;
} Worker;

static gpointer
keysign_worker(gpointer p)
{
	Worker *w = p;

	for (long r = 0; r < w->requests && w->code == MESH_ERROR_OK; r++) {
		uint8_t *sig = NULL;

		w->code = mesh_client_key_sign(w->client, w->udf, data, sizeof data, &sig, NULL);
		mesh_client_free(sig);
	}
	return NULL;
}

/* KeySign/s of @n clients (connections open already, in @clients) with @requests each. */
static double
keysign_rate(Agent *a, MeshClient **clients, int n, long requests)
{
	g_autofree Worker *workers = g_new0(Worker, n);
	g_autofree GThread **threads = g_new0(GThread *, n);
	double t0, t;

	for (int i = 0; i < n; i++)
		workers[i] = (Worker){clients[i], a->udf, requests, MESH_ERROR_OK};
	t0 = bench_now();
	if (n == 1) {
		keysign_worker(&workers[0]);
	} else {
		for (int i = 0; i < n; i++)
			threads[i] = g_thread_new("keysign", keysign_worker, &workers[i]);
		for (int i = 0; i < n; i++)
			g_thread_join(threads[i]);
	}
	t = bench_now() - t0;
	for (int i = 0; i < n; i++)
		if (workers[i].code != MESH_ERROR_OK)
			die(a->label, clients[i], workers[i].code);
	return n * requests / t;
}

/* ---- The ssh-agent socket ------------------------------------------------------------------ */

static void
put_string(GByteArray *b, const void *s, guint32 len)
{
	guint8 n[4];

	bench_put_u32(n, len);
	g_byte_array_append(b, n, 4);
	g_byte_array_append(b, s, len);
}

/* Send the framed @req (@len bytes, prefix included); the answer's body into @buf, its length
 * returned. */
static size_t
ssh_transact(int fd, const guint8 *req, size_t len, guint8 *buf)
{
	guint32 n;

	if (!bench_transfer(fd, (guint8 *)req, len, TRUE) || !bench_transfer(fd, buf, 4, FALSE))
		die("the ssh-agent socket closed", NULL, 0);
	n = bench_get_u32(buf);
	if (n == 0 || n > SSH_MESSAGE_MAX || !bench_transfer(fd, buf, n, FALSE))
		die("a bad answer on the ssh-agent socket", NULL, 0);
	return n;
}

static int
ssh_connect(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof addr.sun_path)
		die("socket path too long", NULL, 0);
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
		die(path, NULL, 0);
	return fd;
}

/* A framed message: the body @b with its length in front. */
static GByteArray *
framed(GByteArray *b)
{
	guint8 n[4];

	bench_put_u32(n, b->len);
	return g_byte_array_prepend(b, n, 4);
}

/* SSH2_AGENTC_ADD_IDENTITY of the Ed25519 key @seed/@pub to the agent at @path. */
static void
ssh_add(const char *path, const guint8 seed[32], const guint8 pub[32])
{
	g_autoptr(GByteArray) b = g_byte_array_new();
	guint8 secret[64], type = SSH_ADD_IDENTITY;
	g_autofree guint8 *buf = g_malloc(SSH_MESSAGE_MAX);
	int fd = ssh_connect(path);

	memcpy(secret, seed, 32);
	memcpy(secret + 32, pub, 32);
	g_byte_array_append(b, &type, 1);
	put_string(b, ed25519_name, strlen(ed25519_name));
	put_string(b, pub, 32);
	put_string(b, secret, 64);
	put_string(b, PROG, strlen(PROG));
	framed(b);
	if (ssh_transact(fd, b->data, b->len, buf) != 1 || buf[0] != SSH_AGENT_SUCCESS)
		die("the ssh-agent socket refused the key", NULL, 0);
	OPENSSL_cleanse(secret, sizeof secret);
	OPENSSL_cleanse(b->data, b->len);
	close(fd);
}

/* The framed SIGN_REQUEST of data with the key @pub. */
static GByteArray *
ssh_sign_request(const guint8 pub[32])
{
	GByteArray *b = g_byte_array_new();
	g_autoptr(GByteArray) blob = g_byte_array_new();
	guint8 type = SSH_SIGN_REQUEST, flags[4] = {0};

	put_string(blob, ed25519_name, strlen(ed25519_name));
	put_string(blob, pub, 32);
	g_byte_array_append(b, &type, 1);
	put_string(b, blob->data, blob->len);
	put_string(b, data, sizeof data);
	g_byte_array_append(b, flags, 4);
	return framed(b);
}

/* Does the agent at @path list the key @pub? (the policy agent offers only what it allows) */
static gboolean
ssh_lists(const char *path, const guint8 pub[32])
{
	static const guint8 list[] = {0, 0, 0, 1, SSH_REQUEST_IDENTITIES};
	g_autofree guint8 *buf = g_malloc(SSH_MESSAGE_MAX);
	int fd = ssh_connect(path);
	size_t n = ssh_transact(fd, list, sizeof list, buf);
	gboolean found = FALSE;

	close(fd);
	if (n < 5 || buf[0] != SSH_IDENTITIES_ANSWER)
		die("REQUEST_IDENTITIES was not answered with a list", NULL, 0);
	/* The key blob is string "ssh-ed25519" string pub: look for it whole. */
	for (size_t i = 5; i + 4 + 11 + 4 + 32 <= n && !found; i++)
		found = bench_get_u32(buf + i) == 11 && memcmp(buf + i + 4, ed25519_name, 11) == 0 &&
		        bench_get_u32(buf + i + 15) == 32 && memcmp(buf + i + 19, pub, 32) == 0;
	return found;
}

/* SIGN_REQUEST/s of one client on @path, @requests of them; each answer must be a 64-byte
 * Ed25519 signature, the first verified with OpenSSL and the others the same bytes. */
static double
ssh_rate(const char *path, GByteArray *req, EVP_PKEY *pkey, long requests)
{
	g_autofree guint8 *buf = g_malloc(SSH_MESSAGE_MAX);
	guint8 first[64];
	int fd = ssh_connect(path);
	double t0 = bench_now(), t;

	for (long r = 0; r < requests; r++) {
		size_t n = ssh_transact(fd, req->data, req->len, buf);
		const guint8 *sig = buf + n - 64;

		/* SIGN_RESPONSE, string (string "ssh-ed25519", string sig[64]) */
		if (buf[0] != SSH_SIGN_RESPONSE || n != 1 + 4 + 4 + 11 + 4 + 64)
			die(buf[0] == 5 ? "the ssh-agent socket refused to sign"
			                : "a bad SIGN_RESPONSE",
			    NULL, 0);
		if (r == 0) {
			EVP_MD_CTX *ctx = EVP_MD_CTX_new();

			if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) != 1 ||
			    EVP_DigestVerify(ctx, sig, 64, data, sizeof data) != 1)
				die("a signature does not verify", NULL, 0);
			EVP_MD_CTX_free(ctx);
			memcpy(first, sig, 64);
		} else if (memcmp(first, sig, 64) != 0) {
			die("a signature differs from the first (Ed25519 is deterministic)", NULL,
			    0);
		}
	}
	t = bench_now() - t0;
	close(fd);
	return requests / t;
}

/* ---- The floor ----------------------------------------------------------------------------- */

/* mesh_key_sign/s in this process with the key @udf of the hive under @dir (file store). */
static double
raw_sign(const char *dir, const char *udf, long rounds)
{
	g_autofree char *path = g_build_filename(dir, "mmm", "CryptoMesh", "Keys", udf, NULL);
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(MeshKey) key = NULL;
	gsize len = 0;
	double t0;

	if (!g_file_get_contents(path, &text, &len, &error) ||
	    !mesh_openssh_private_decode(text, len, NULL, 0, &key, NULL, &error)) {
		g_autofree char *what = g_strdup_printf("cannot load %s: %s", path, error->message);

		die(what, NULL, 0);
	}
	t0 = bench_now();
	for (long r = 0; r < rounds; r++) {
		GBytes *sig = mesh_key_sign(key, data, sizeof data, &error);

		if (sig == NULL)
			die("mesh_key_sign", NULL, mesh_error_code(error));
		g_bytes_unref(sig);
	}
	return rounds / (bench_now() - t0);
}

/* ---- Checks after the run ------------------------------------------------------------------ */

static void
check_configuration(long min_records, int n_rules, gboolean audit)
{
	MeshClientAuditVerify v = {0};
	MeshClient *c = NULL;
	uint8_t *sig = NULL;
	MeshClientKey *other = NULL;
	int code;

	code = mesh_client_audit_verify(agents[0].client, &v);
	if (code != MESH_ERROR_OK || v.records != 0)
		die("the plain agent (--no-audit) recorded something", agents[0].client, code);
	code = mesh_client_audit_verify(agents[1].client, &v);
	if (code != MESH_ERROR_OK)
		die("the policy agent's audit log does not verify", agents[1].client, code);
	if (!audit && v.records != 0)
		die("the policy agent (--no-audit) recorded something", NULL, 0);
	if (audit && v.records < min_records) {
		g_autofree char *what =
		        g_strdup_printf("the policy agent's audit log holds %" PRId64
		                        " records, fewer than the %ld requests",
		                        v.records, min_records);

		die(what, NULL, 0);
	}
	printf("checked: plain agent recorded 0 records; policy agent's log verifies: %" PRId64
	       " records in %" PRId64 " files, signed through Seq %" PRId64 "\n",
	       v.records, v.files, v.signed_through);
	if (n_rules == 0)
		return;
	/* A key no rule gives this program: the default (deny) decides. */
	code = mesh_client_key_generate(agents[1].client, NULL, "Signature", NULL, &other);
	if (code != MESH_ERROR_OK)
		die("KeyGenerate", agents[1].client, code);
	code = mesh_client_open_socket(agents[1].sock, &c);
	if (code != MESH_ERROR_OK)
		die(agents[1].sock, NULL, code);
	code = mesh_client_key_sign(c, other->udf, data, sizeof data, &sig, NULL);
	mesh_client_free(sig);
	if (code != MESH_ERROR_DENIED)
		die("the policy agent did not refuse a key its rules leave to the default deny", c,
		    code);
	printf("checked: the policy agent refuses this program a key no rule gives it (Denied)\n");
	mesh_client_close(c);
	mesh_client_keys_free(other, 1);
}

/* ---- main ---------------------------------------------------------------------------------- */

static int
compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, compare_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

enum { KEYSIGN_1, KEYSIGN_N, SSH_1, MEASURES };

int
main(int argc, char **argv)
{
	const char *meshagent = NULL;
	long requests = 2000, rounds = 7;
	int n_clients = 4, n_rules = 50;
	gboolean strict = FALSE, pass = TRUE, policy_audit = TRUE;
	g_autofree char *self = NULL, *digest = NULL, *load = NULL;
	double *rate[2][MEASURES] = {{NULL}};
	MeshClient **clients[2] = {NULL, NULL};
	g_autoptr(GByteArray) ssh_req = NULL;
	EVP_PKEY *pkey = NULL;
	guint8 seed[32], pub[32];
	size_t seed_len = sizeof seed, pub_len = sizeof pub;
	double floor_rt, raw, floor_rate;
	static const char *const names[MEASURES] = {"KeySign, 1 client", "KeySign, N clients",
	                                            "ssh-agent SIGN_REQUEST, 1 client"};

	for (int i = 1; i < argc; i++) {
		if (g_str_equal(argv[i], "--agent") && i + 1 < argc)
			meshagent = argv[++i];
		else if (g_str_equal(argv[i], "--rounds") && i + 1 < argc)
			rounds = atol(argv[++i]);
		else if (g_str_equal(argv[i], "--requests") && i + 1 < argc)
			requests = atol(argv[++i]);
		else if (g_str_equal(argv[i], "--clients") && i + 1 < argc)
			n_clients = atoi(argv[++i]);
		else if (g_str_equal(argv[i], "--rules") && i + 1 < argc)
			n_rules = atoi(argv[++i]);
		else if (g_str_equal(argv[i], "--policy-no-audit"))
			policy_audit = FALSE;
		else if (g_str_equal(argv[i], "--strict"))
			strict = TRUE;
		else
			meshagent = NULL, i = argc;
	}
	if (meshagent == NULL || rounds < 1 || requests < 1 || n_clients < 2 || n_clients > 64 ||
	    n_rules < 0 || n_rules == 1 || n_rules > 4096) {
		fprintf(stderr, "Usage: " PROG " --agent MESHAGENT [--rounds N] [--requests R] "
		                "[--clients C (2..64)] [--rules N (0, 2..4096)] "
		                "[--policy-no-audit] [--strict]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	self = g_file_read_link("/proc/self/exe", NULL);
	if (self == NULL)
		die("cannot read /proc/self/exe", NULL, 0);
	digest = self_digest(self);

	agents[0].label = "plain";
	agents[1].label = "policy";
	for (int k = 0; k < 2; k++) {
		Agent *a = &agents[k];

		a->dir = g_dir_make_tmp(PROG "-XXXXXX", NULL);
		if (a->dir == NULL)
			die("cannot make a temporary folder", NULL, 0);
		a->sock = g_build_filename(a->dir, "agent.sock", NULL);
		a->ssh_sock = g_build_filename(a->dir, "ssh-agent.sock", NULL);
		start_agent(a, meshagent, k == 1 && policy_audit);
		make_device(a);
	}
	if (n_rules > 0)
		set_policy(&agents[1], self, digest, n_rules);

	/* One Ed25519 key for the ssh-agent sockets, added to both. */
	{
		EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);

		if (kctx == NULL || EVP_PKEY_keygen_init(kctx) != 1 ||
		    EVP_PKEY_keygen(kctx, &pkey) != 1 ||
		    EVP_PKEY_get_raw_private_key(pkey, seed, &seed_len) != 1 ||
		    EVP_PKEY_get_raw_public_key(pkey, pub, &pub_len) != 1)
			die("OpenSSL cannot make an Ed25519 key", NULL, 0);
		EVP_PKEY_CTX_free(kctx);
	}
	for (int k = 0; k < 2; k++) {
		ssh_add(agents[k].ssh_sock, seed, pub);
		if (!ssh_lists(agents[k].ssh_sock, pub))
			die("an ssh-agent socket does not offer the key added", NULL, 0);
	}
	OPENSSL_cleanse(seed, sizeof seed);
	ssh_req = ssh_sign_request(pub);

	for (int k = 0; k < 2; k++) {
		clients[k] = g_new0(MeshClient *, n_clients);
		for (int i = 0; i < n_clients; i++) {
			int code = mesh_client_open_socket(agents[k].sock, &clients[k][i]);

			if (code != MESH_ERROR_OK)
				die(agents[k].sock, NULL, code);
		}
		for (int m = 0; m < MEASURES; m++)
			rate[k][m] = g_new0(double, rounds);
	}

	floor_rt = bench_socket_floor(PROG, requests * 5);
	raw = raw_sign(agents[0].dir, agents[0].udf, requests * 5);
	floor_rate = 1.0 / (1.0 / floor_rt + 1.0 / raw);

	for (long r = 0; r < rounds; r++) {
		for (int j = 0; j < 2; j++) {
			int k = (int)(r % 2 == 0 ? j : 1 - j);

			rate[k][KEYSIGN_1][r] = keysign_rate(&agents[k], clients[k], 1, requests);
			rate[k][KEYSIGN_N][r] = keysign_rate(&agents[k], clients[k], n_clients,
			                                     requests / n_clients + 1);
			rate[k][SSH_1][r] = ssh_rate(agents[k].ssh_sock, ssh_req, pkey, requests);
		}
	}

	load = NULL;
	g_file_get_contents("/proc/loadavg", &load, NULL, NULL);
	printf("Policy and audit: Ed25519, %d bytes signed, median of %ld alternating rounds of "
	       "%ld requests, %d clients for N\n",
	       DATA_LEN, rounds, requests, n_clients);
	printf("  plain:  meshagent --no-audit, no policy\n");
	if (n_rules > 0)
		printf("  policy: audit log %s, default deny, %d rules (this program's key and SSH "
		       "rules pinned to SHA-256)\n",
		       policy_audit ? "on" : "off (--no-audit)", n_rules);
	else
		printf("  policy: audit log %s, no policy\n",
		       policy_audit ? "on" : "off (--no-audit)");
	printf("load average: %s", load != NULL ? load : "?\n");
	printf("floor: %.0f round trips/s (socketpair, 100 bytes), raw mesh_key_sign %.0f/s, "
	       "1/(1/rt + 1/raw) = %.0f/s\n",
	       floor_rt, raw, floor_rate);
	printf("  %-34s %10s %10s %7s %11s %6s\n", "", "plain/s", "policy/s", "ratio",
	       "plain/floor", "");
	for (int m = 0; m < MEASURES; m++) {
		double p = median(rate[0][m], (int)rounds), q = median(rate[1][m], (int)rounds);
		gboolean ok = q >= WITHIN * p;
		g_autofree char *name = m == KEYSIGN_N
		                                ? g_strdup_printf("KeySign, %d clients", n_clients)
		                                : g_strdup(names[m]);

		pass = pass && ok;
		printf("  %-34s %10.0f %10.0f %7.2f %11.2f %6s\n", name, p, q, q / p,
		       p / floor_rate, ok ? "PASS" : "FAIL");
	}
	printf("%s: the policy agent within 20 %% of the plain one (ratio >= %.2f) in every "
	       "measure\n",
	       pass ? "PASS" : "FAIL", WITHIN);

	check_configuration(rounds * (requests + n_clients * (requests / n_clients + 1)), n_rules,
	                    policy_audit);

	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < n_clients; i++)
			mesh_client_close(clients[k][i]);
		for (int m = 0; m < MEASURES; m++)
			g_free(rate[k][m]);
		g_free(clients[k]);
		stop_agent(&agents[k]);
		g_free(agents[k].dir);
		g_free(agents[k].sock);
		g_free(agents[k].ssh_sock);
		g_free(agents[k].udf);
	}
	EVP_PKEY_free(pkey);
	return strict && !pass ? 1 : 0;
}
