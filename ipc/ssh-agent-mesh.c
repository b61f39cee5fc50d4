/* SPDX-License-Identifier: MIT */
#include "ssh-agent-mesh.h"

#include "session.h"
#include "ssh-agent.h"

gboolean
mesh_ssh_agent_session_keys(gpointer data, MeshHive *hive, GPtrArray **ret_keys, GError **error)
{
	g_autoptr(GPtrArray) keys = NULL;
	GPtrArray *out;

	if (!mesh_session_ssh_keys(hive, &keys, error))
		return FALSE;
	out = g_ptr_array_new_with_free_func((GDestroyNotify)mesh_ssh_agent_mesh_key_free);
	for (guint i = 0; i < keys->len; i++) {
		const MeshSessionSshKey *k = g_ptr_array_index(keys, i);
		MeshSshAgentMeshKey *key = g_new0(MeshSshAgentMeshKey, 1);

		key->label = g_strdup(k->account);
		key->udf = g_strdup(k->udf);
		key->public_line = g_strdup(k->public_line);
		g_ptr_array_add(out, key);
	}
	*ret_keys = out;
	return TRUE;
}
