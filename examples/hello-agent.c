/* SPDX-License-Identifier: MIT */
/*
 * hello-agent: the smallest program that talks to the Mathematical Mesh agent through
 * libmeshclient. Build it with
 *     cc hello-agent.c $(pkg-config --cflags --libs meshclient) -o hello-agent
 * and run it as ./hello-agent [test|production].
 */
#include <inttypes.h>
#include <stdio.h>

#include <mesh/client.h>

int
main(int argc, char **argv)
{
	const char *hive = argc > 1 ? argv[1] : NULL; /* NULL: $MESH_HIVE, else production */
	MeshClient *client = NULL;
	MeshClientHello *hello = NULL;
	MeshClientStatus *status = NULL;
	MeshClientDevice *device = NULL;
	MeshError err;

	err = mesh_client_open(hive, &client);
	if (err != MESH_ERROR_OK) {
		fprintf(stderr, "hello-agent: no agent (error %d): run 'mesh agent start'\n", err);
		return err;
	}
	err = mesh_client_hello(client, &hello);
	if (err == MESH_ERROR_OK) {
		printf("Agent protocol %d.%d, hive %s, %zu methods\n", hello->major, hello->minor,
		       hello->hive, hello->n_methods);
		err = mesh_client_status(client, &status);
	}
	if (err == MESH_ERROR_OK) {
		printf("Agent pid %" PRId64 ", %" PRId64 " device(s), %" PRId64 " key(s)%s\n",
		       status->pid, status->devices, status->keys,
		       status->locked ? ", locked" : "");
		err = mesh_client_device_get(client, NULL, &device);
	}
	if (err == MESH_ERROR_OK)
		printf("Device %s\n", device->identifier);
	else if (err == MESH_ERROR_NOT_FOUND)
		printf("No device yet: run 'mesh device create'\n");
	else
		fprintf(stderr, "hello-agent: %s (error %d)\n", mesh_client_last_error(client),
			err);

	mesh_client_device_free(device);
	mesh_client_status_free(status);
	mesh_client_hello_free(hello);
	mesh_client_close(client);
	return err == MESH_ERROR_NOT_FOUND ? 0 : err;
}
