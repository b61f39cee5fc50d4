/* SPDX-License-Identifier: MIT */
/*
 * The agent as a client sees it: raw bytes through the frame reader into mesh_agent_handle, as
 * OpenSSH's agent fuzzer feeds its dispatcher. The hive (in one temporary folder per process,
 * removed at exit) holds a device and the harness's fixed Ed25519 and P-256 keys, so the seeds
 * reach signing; the agent is restricted, so DeviceCreate, HiveMigrate and Shutdown check their
 * parameters but change nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "error.h"
#include "file.h"
#include "frame.h"
#include "fuzz.h"
#include "json.h"

static MeshAgent *agent;

static void
free_agent(void)
{
	mesh_agent_free(agent);
	agent = NULL;
}

static MeshAgent *
fixture(void)
{
	static const char create[] = "{\"Id\":1,\"Method\":\"DeviceCreate\",\"Params\":{}}";
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(MeshKeyStore) store = NULL;
	gboolean close = FALSE;

	if (agent != NULL)
		return agent;
	agent = mesh_agent_new(MESH_HIVE_TEST, mesh_fuzz_temp_dir(), "/fuzz/agent.sock", NULL);
	if (agent == NULL)
		__builtin_trap();
	atexit(free_agent);
	mesh_agent_handle(agent, (const guint8 *)create, strlen(create), &answer, &close);
	store = mesh_keystore_file_new(mesh_agent_hive(agent), NULL);
	if (answer == NULL || store == NULL ||
	    !mesh_keystore_import(store, mesh_fuzz_key(MESH_KEY_ED25519), MESH_KEY_USE_SIGNATURE,
				  NULL, NULL) ||
	    !mesh_keystore_import(store, mesh_fuzz_key(MESH_KEY_P256),
				  MESH_KEY_USE_AUTHENTICATION, NULL, NULL))
		__builtin_trap();
	mesh_agent_set_restricted(agent, TRUE);
	return agent;
}

/* Every answer is one JSON object within a frame. */
static void
check_answer(GBytes *answer)
{
	g_autoptr(JsonNode) node = NULL;
	gsize len = 0;
	const char *text = g_bytes_get_data(answer, &len);

	if (len == 0 || len > MESH_FRAME_MAX)
		__builtin_trap();
	node = mesh_json_parse(text, len, MESH_FRAME_MAX, NULL);
	if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node) ||
	    !json_object_has_member(json_node_get_object(node), "Id"))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	MeshAgent *a = fixture();
	g_autoptr(MeshFrameReader) reader = mesh_frame_reader_new(MESH_FRAME_MAX);
	gboolean close = FALSE;

	while (size > 0 && !close) {
		g_autoptr(GBytes) answer = NULL;
		const guint8 *frame;
		gsize used = 0, len = 0;

		if (mesh_frame_reader_feed(reader, data, size, &used) != MESH_ERROR_OK)
			break;
		data += used;
		size -= used;
		frame = mesh_frame_reader_frame(reader, &len);
		if (frame == NULL)
			continue;
		mesh_agent_handle(a, frame, len, &answer, &close);
		mesh_frame_reader_next(reader);
		if (answer != NULL)
			check_answer(answer);
	}
	return 0;
}
