/* SPDX-License-Identifier: MIT */
/*
 * bench-keystore: signatures per second through the agent (KeySign over its socket) for a key
 * in each store, beside the raw backend in the same run, and their ratio:
 *   file    the file store in this process (reads the OpenSSH key file and signs, as the agent's
 *           store does)
 *   secret  a direct libsecret lookup of the item plus an OpenSSL signature, each time
 *   tpm2    a direct Esys_Sign loop with the key loaded once (bench-keystore-tpm2.c)
 *   tpm2-pin  the same with a key that has a PIN: the agent's store signs in its salted HMAC
 *           session, the raw loop in a password session that sends the PIN in the clear (what
 *           the store did before it had sessions)
 * Usage: bench-keystore --agent MESHAGENT [--rounds N] STORE...
 * It starts MESHAGENT on a temporary test hive; the peers (a session bus with an unlocked
 * keyring for secret, MESH_TPM2_TCTI for tpm2) come from the environment: tests/bench/keystore.sh
 * sets them up. It prints figures; it asserts nothing about speed.
 *
 * The floor beside them: round trips per second of a 100-byte message between two processes
 * over a socketpair, measured in the same run (it moves a lot with the machine's load), and
 * per store 1 / (1/round_trips + 1/raw), what an agent that added nothing but one round trip
 * to the raw operation would do; agent/floor is how close the agent comes to it.
 */
#include <libsecret/secret.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-common.h"
#include "bench-keystore.h"
#include "error.h"
#include "file.h"
#include "hive.h"
#include "json.h"
#include "jwk.h"
#include "key.h"

#define PROG "bench-keystore"

static const guint8 data[64] = "bench-keystore: the same 64 bytes signed every time.........";
/* The PIN of the tpm2-pin key (the agent keeps it after KeyGenerate). */
#define BENCH_PIN "bench PIN 0042"

static G_NORETURN void
die(const char *what, MeshClient *client, int code)
{
	bench_die(PROG, what, client, code);
}

static G_NORETURN void
die_error(const char *what, const GError *error)
{
	g_autofree char *text = g_strdup_printf("%s: %s", what, error->message);

	die(text, NULL, mesh_error_code(error));
}

/* A new signature key in @store through the agent; its UDF. */
static char *
generate(MeshClient *client, const char *store)
{
	g_autofree char *params = NULL;
	g_autofree char *result = NULL;
	g_autoptr(JsonNode) root = NULL;
	const char *udf = NULL;
	int code;

	if (g_str_equal(store, "tpm2-pin"))
		params = g_strdup("{\"Use\":\"Signature\",\"KeyStore\":\"tpm2\","
				  "\"Passphrase\":\"" BENCH_PIN "\"}");
	else
		params = g_strdup_printf("{\"Use\":\"Signature\",\"KeyStore\":\"%s\"}", store);
	code = mesh_client_call(client, "KeyGenerate", params, &result);
	if (code != MESH_ERROR_OK)
		die("KeyGenerate", client, code);
	root = mesh_json_parse(result, strlen(result), 65536, NULL);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root) ||
	    !mesh_json_get_string(json_node_get_object(root), "UDF", &udf, NULL))
		die("KeyGenerate answered no UDF", NULL, 0);
	mesh_client_free(result);
	result = NULL;
	return g_strdup(udf);
}

static double
through_agent(MeshClient *client, const char *udf, long rounds)
{
	double t0 = bench_now();

	for (long r = 0; r < rounds; r++) {
		uint8_t *sig = NULL;
		int code = mesh_client_key_sign(client, udf, data, sizeof data, &sig, NULL);

		if (code != MESH_ERROR_OK)
			die("KeySign", client, code);
		mesh_client_free(sig);
	}
	return bench_now() - t0;
}

static double
raw_file(MeshHive *hive, const char *udf, long rounds)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MeshKeyStore) store = mesh_keystore_file_new(hive, &error);
	double t0;

	if (store == NULL)
		die_error("the file store", error);
	t0 = bench_now();
	for (long r = 0; r < rounds; r++) {
		g_autoptr(GBytes) sig = NULL;

		if (!mesh_keystore_sign(store, udf, data, sizeof data, &sig, &error))
			die_error("file store sign", error);
	}
	return bench_now() - t0;
}

/* The schema of linux/secretservice.c, written out again: the raw path must not go through
 * the backend it is compared with. */
static const SecretSchema schema = {
	.name = "org.mathematicalmesh.Key",
	.flags = SECRET_SCHEMA_NONE,
	.attributes = {
		{ "udf", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "hive", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "use", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ NULL, 0 },
	},
};

static double
raw_secret(MeshHive *hive, const char *udf, long rounds)
{
	double t0 = bench_now();

	for (long r = 0; r < rounds; r++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(MeshKey) key = NULL;
		g_autoptr(GBytes) sig = NULL;
		char *jwk = secret_password_lookup_sync(&schema, NULL, &error, "udf", udf, "hive",
							mesh_hive_location(hive), "use",
							"Signature", NULL);

		if (jwk == NULL)
			die(error != NULL ? error->message : "no item (locked keyring?)", NULL, 0);
		key = mesh_key_from_jwk_text(jwk, strlen(jwk), &error);
		secret_password_free(jwk);
		if (key == NULL || (sig = mesh_key_sign(key, data, sizeof data, &error)) == NULL)
			die_error("secret: key or signature", error);
	}
	return bench_now() - t0;
}

static double
raw(const char *store, MeshHive *hive, const char *udf, long rounds)
{
	if (g_str_equal(store, "file"))
		return raw_file(hive, udf, rounds);
	if (g_str_equal(store, "secret"))
		return raw_secret(hive, udf, rounds);
	if (g_str_equal(store, "tpm2"))
		return bench_raw_tpm2(hive, udf, NULL, data, sizeof data, rounds);
	if (g_str_equal(store, "tpm2-pin"))
		return bench_raw_tpm2(hive, udf, BENCH_PIN, data, sizeof data, rounds);
	die("no raw path for this store", NULL, 0);
}

int
main(int argc, char **argv)
{
	const char *agent = NULL;
	g_autofree char *dir = NULL, *sock = NULL, *home = NULL;
	g_autoptr(GPtrArray) stores = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(MeshHive) hive = NULL;
	MeshClient *client = NULL;
	long rounds = 500;
	double floor_rt;
	int code;

	for (int i = 1; i < argc; i++) {
		if (g_str_equal(argv[i], "--agent") && i + 1 < argc)
			agent = argv[++i];
		else if (g_str_equal(argv[i], "--rounds") && i + 1 < argc)
			rounds = atol(argv[++i]);
		else if (argv[i][0] != '-')
			g_ptr_array_add(stores, argv[i]);
		else
			break;
	}
	if (agent == NULL || rounds < 1 || stores->len == 0) {
		fprintf(stderr, "Usage: " PROG " --agent MESHAGENT [--rounds N] STORE...\n");
		return 2;
	}
	dir = g_dir_make_tmp(PROG "-XXXXXX", NULL);
	sock = g_build_filename(dir, "agent.sock", NULL);
	bench_start_agent(PROG, agent, dir, sock);
	code = mesh_client_open_socket(sock, &client);
	if (code != MESH_ERROR_OK)
		die(sock, NULL, code);
	home = g_build_filename(dir, "mmm", NULL);
	hive = mesh_hive_open(MESH_HIVE_TEST, home, &error);
	if (hive == NULL)
		die_error("the hive", error);

	floor_rt = bench_socket_floor(PROG, rounds * 10);
	printf("Signatures per second, %ld rounds of %zu bytes, agent (KeySign over its socket) "
	       "and raw backend in the same run\n",
	       rounds, sizeof data);
	printf("floor: %.0f round trips/s between two processes (socketpair, 100 bytes)\n",
	       floor_rt);
	printf("  %-8s %-8s %12s %12s %9s %12s %11s\n", "store", "key", "agent/s", "raw/s",
	       "raw/agent", "floor/s", "agent/floor");
	for (guint i = 0; i < stores->len; i++) {
		const char *store = stores->pdata[i];
		g_autofree char *udf = generate(client, store);
		double a, r, f;
		int c;

		a = through_agent(client, udf, rounds);
		r = raw(store, hive, udf, rounds);
		{
			MeshClientPublicKey *k = NULL;

			c = mesh_client_key_public(client, udf, &k);
			f = 1.0 / (1.0 / floor_rt + r / rounds);
			printf("  %-8s %-8s %12.0f %12.0f %9.2f %12.0f %11.2f\n", store,
			       c == MESH_ERROR_OK ? k->algorithm : "?", rounds / a, rounds / r,
			       a / r, f, rounds / a / f);
			mesh_client_public_key_free(k);
		}
	}
	bench_stop_agent(client, dir);
	mesh_client_close(client);
	return 0;
}
