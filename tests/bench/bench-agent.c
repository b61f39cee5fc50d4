/* SPDX-License-Identifier: MIT */
/*
 * bench-agent: KeySign round trips per second over the agent's socket through libmeshclient,
 * beside mesh_key_sign in this process with the same key (read from the hive's file store), and
 * their ratio: what talking to the agent costs over signing in place.
 * Usage: bench-agent [--socket PATH | --agent MESHAGENT] [--rounds N] [--bytes B]
 * With --socket it uses that running agent (the signing key must not be passphrase-protected);
 * with --agent it starts that meshagent on a temporary test hive and stops it afterwards.
 * It prints figures; it asserts nothing about speed.
 */
#include <mesh/client.h>

#include <stdio.h>
#include <stdlib.h>

#include "bench-common.h"
#include "error.h"
#include "key.h"
#include "openssh.h"

static G_NORETURN void
die(const char *what, MeshClient *client, int code)
{
	bench_die("bench-agent", what, client, code);
}

/* The private key @udf of the hive at @location, from its file store (OpenSSH format). */
static MeshKey *
load_key(const char *location, const char *udf)
{
	g_autofree char *path = g_build_filename(location, "Keys", udf, NULL);
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;
	MeshKey *key = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &text, &len, &error) ||
	    !mesh_openssh_private_decode(text, len, NULL, 0, &key, NULL, &error)) {
		g_autofree char *what = g_strdup_printf("cannot load %s: %s", path, error->message);

		die(what, NULL, 0);
	}
	return key;
}

int
main(int argc, char **argv)
{
	const char *sock = NULL, *agent = NULL;
	g_autofree char *dir = NULL, *own_sock = NULL;
	g_autofree guint8 *data = NULL;
	MeshClientStatus *status = NULL;
	MeshClientDevice *device = NULL;
	g_autoptr(MeshKey) key = NULL;
	MeshClient *client = NULL;
	double t0, over_socket, in_process;
	long rounds = 2000, bytes = 64;
	int code;

	for (int i = 1; i < argc; i++) {
		if (g_str_equal(argv[i], "--socket") && i + 1 < argc)
			sock = argv[++i];
		else if (g_str_equal(argv[i], "--agent") && i + 1 < argc)
			agent = argv[++i];
		else if (g_str_equal(argv[i], "--rounds") && i + 1 < argc)
			rounds = atol(argv[++i]);
		else if (g_str_equal(argv[i], "--bytes") && i + 1 < argc)
			bytes = atol(argv[++i]);
		else {
			fprintf(stderr, "Usage: bench-agent [--socket PATH | --agent MESHAGENT] "
					"[--rounds N] [--bytes B]\n");
			return 2;
		}
	}
	if ((sock == NULL) == (agent == NULL) || rounds < 1 || bytes < 0 ||
	    bytes > MESH_CLIENT_SIGN_MAX) {
		fprintf(stderr, "bench-agent: give --socket or --agent, rounds >= 1, 0 <= bytes <= "
				"%d\n",
			MESH_CLIENT_SIGN_MAX);
		return 2;
	}
	if (agent != NULL) {
		dir = g_dir_make_tmp("bench-agent-XXXXXX", NULL);
		own_sock = g_build_filename(dir, "agent.sock", NULL);
		sock = own_sock;
		bench_start_agent("bench-agent", agent, dir, sock);
	}

	code = mesh_client_open_socket(sock, &client);
	if (code != MESH_ERROR_OK)
		die(sock, NULL, code);
	code = mesh_client_device_get(client, NULL, &device);
	if (code == MESH_ERROR_NOT_FOUND)
		code = mesh_client_device_create(client, "bench-agent", NULL, &device);
	if (code != MESH_ERROR_OK)
		die("no device", client, code);
	code = mesh_client_status(client, &status);
	if (code != MESH_ERROR_OK)
		die("Status", client, code);
	key = load_key(status->location, device->signature_key);
	data = g_malloc0((gsize)bytes + 1);
	for (long i = 0; i < bytes; i++)
		data[i] = (guint8)i;

	t0 = bench_now();
	for (long r = 0; r < rounds; r++) {
		uint8_t *sig = NULL;

		code = mesh_client_key_sign(client, device->signature_key, data, (size_t)bytes,
					    &sig, NULL);
		if (code != MESH_ERROR_OK)
			die("KeySign", client, code);
		mesh_client_free(sig);
	}
	over_socket = bench_now() - t0;

	t0 = bench_now();
	for (long r = 0; r < rounds; r++) {
		g_autoptr(GError) error = NULL;
		GBytes *sig = mesh_key_sign(key, data, (gsize)bytes, &error);

		if (sig == NULL) {
			die("mesh_key_sign", NULL, mesh_error_code(error));
		}
		g_bytes_unref(sig);
	}
	in_process = bench_now() - t0;

	printf("KeySign, %s key, %ld bytes, %ld rounds\n", mesh_key_alg_name(mesh_key_alg(key)),
	       bytes, rounds);
	printf("  over the socket (libmeshclient): %10.0f signatures/s (%.1f us each)\n",
	       rounds / over_socket, over_socket * 1e6 / rounds);
	printf("  in process (mesh_key_sign):      %10.0f signatures/s (%.1f us each)\n",
	       rounds / in_process, in_process * 1e6 / rounds);
	printf("  ratio in-process / socket:       %10.1f\n", over_socket / in_process);

	bench_stop_agent(client, dir);
	mesh_client_status_free(status);
	mesh_client_device_free(device);
	mesh_client_close(client);
	return 0;
}
