/* SPDX-License-Identifier: MIT */
/* Session: what a device does by itself, without a command (the agent's background task). */
#include "session-private.h"

gboolean
mesh_session_background(MeshSession *session, const char *account, GPtrArray **ret_notes,
                        GError **error)
{
	g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func(g_free);

	if (!session_accept_pins(session, account, notes, error))
		return FALSE;
	if (ret_notes != NULL)
		*ret_notes = g_steal_pointer(&notes);
	return TRUE;
}

gboolean
mesh_session_background_accounts(MeshSession *session, GPtrArray **ret_accounts, GError **error)
{
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);

	if (!mesh_hive_list(session->hive, MESH_HIVE_ACCOUNTS, &names, error))
		return FALSE;
	for (guint i = 0; i < names->len; i++) {
		g_autoptr(JsonNode) node = NULL;
		g_autoptr(Account) a = NULL;

		/* An entry that does not read has no work anyone could do: 'mesh profile list'
		 * reports it. */
		if (!read_json(session->hive, MESH_HIVE_ACCOUNTS, names->pdata[i], ACCOUNT_MAX,
		               &node, NULL) ||
		    !account_parse(node, &a, NULL))
			continue;
		if (a->witness == NULL && account_has_pins(a))
			g_ptr_array_add(out, g_strdup(a->account));
	}
	*ret_accounts = g_steal_pointer(&out);
	return TRUE;
}
