/* SPDX-License-Identifier: MIT */
/*
 * The OpenSSH agent protocol handler (ipc/ssh-agent.c) as a client's stream reaches it, as
 * OpenSSH's agent fuzzer feeds its dispatcher. An input is what a client writes to
 * ssh-agent.sock: messages, each a 4-byte big-endian length and the body (the corpus,
 * tests/fuzz/corpus/ssh-agent/, is recorded that way by record-ssh-agent.sh). It is read as the
 * server reads it: a length over MESH_SSH_AGENT_MESSAGE_MAX ends the input (the server closes
 * the connection), and so does a last message shorter than its length (the server would wait
 * for the rest). Whole sessions in one input let an add reach a sign, a lock an unlock.
 *
 * Each input gets a new handler, so the keys it added and its lock do not leak into the next
 * one; added keys live in memory only, so nothing is written to the hive (an empty test hive in
 * one temporary folder per process, removed at exit) or its key store. No askpass is configured:
 * the confirm constraint is refused rather than a program started per signature.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "hive.h"
#include "router.h"
#include "ssh-agent-mesh.h"
#include "ssh-agent.h"

static MeshHive *hive;
static MeshKeyStore *store;
static GMutex state_lock;

static void
close_fixture(void)
{
	mesh_keystore_close(store);
	store = NULL;
	mesh_hive_close(hive);
	hive = NULL;
}

static void
fixture(void)
{
	if (store != NULL)
		return;
	hive = mesh_hive_open(MESH_HIVE_TEST, mesh_fuzz_temp_dir(), NULL);
	store = hive != NULL ? mesh_keystore_router_new(hive, NULL) : NULL;
	if (store == NULL)
		__builtin_trap();
	atexit(close_fixture);
}

/* Every answer is one of the agent's answer types; SUCCESS and FAILURE are that byte alone. */
static void
check_answer(GBytes *answer)
{
	gsize len = 0;
	const guint8 *p = answer != NULL ? g_bytes_get_data(answer, &len) : NULL;

	if (len == 0)
		__builtin_trap();
	switch (p[0]) {
	case MESH_SSH_AGENT_FAILURE:
	case MESH_SSH_AGENT_SUCCESS:
		if (len != 1)
			__builtin_trap();
		break;
	case MESH_SSH_AGENT_IDENTITIES_ANSWER:
	case MESH_SSH_AGENT_SIGN_RESPONSE:
	case MESH_SSH_AGENT_EXTENSION_FAILURE:
	case MESH_SSH_AGENT_EXTENSION_RESPONSE:
		break;
	default:
		__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(MeshSshAgent) agent = NULL;

	fixture();
	agent = mesh_ssh_agent_new(hive, store, &state_lock);
	mesh_ssh_agent_set_mesh_keys(agent, mesh_ssh_agent_session_keys, NULL);
	if (agent == NULL)
		__builtin_trap();
	while (size >= 4) {
		g_autoptr(GBytes) answer = NULL;
		guint32 len = (guint32)data[0] << 24 | (guint32)data[1] << 16 |
			      (guint32)data[2] << 8 | data[3];
		guint8 *body;

		if (len > MESH_SSH_AGENT_MESSAGE_MAX || len > size - 4)
			break;
		/* A copy of exactly @len bytes (none for an empty body), so that AddressSanitizer
		 * sees a read past this message's end rather than letting it run on into the
		 * next one. */
		body = malloc(len);
		if (body == NULL && len > 0)
			__builtin_trap();
		if (len > 0)
			memcpy(body, data + 4, len);
		answer = mesh_ssh_agent_handle(agent, body, len);
		free(body);
		check_answer(answer);
		/* What the server's timer does between messages: a lifetime of 0 ends here. */
		mesh_ssh_agent_expire(agent);
		data += 4 + len;
		size -= 4 + len;
	}
	return 0;
}
