/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "hive.h"

G_BEGIN_DECLS

/*
 * The Mesh side of the ssh-agent handler (ssh-agent.h), which itself knows no Mesh model: the
 * lister of the hive's Mesh SSH keys that meshagent gives it with mesh_ssh_agent_set_mesh_keys.
 */

/*
 * mesh_ssh_agent_session_keys: a MeshSshAgentKeysFunc (@data unused): this device's own SSH
 * keys, as mesh_session_ssh_keys reads them from @hive's Accounts. Errors: those of
 * mesh_session_ssh_keys.
 */
gboolean mesh_ssh_agent_session_keys(gpointer data, MeshHive *hive, GPtrArray **ret_keys,
                                     GError **error);

G_END_DECLS
