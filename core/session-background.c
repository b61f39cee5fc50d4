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
	g_autoptr(GPtrArray) accounts = NULL;
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);

	if (!accounts_read_all(session, &accounts, error))
		return FALSE;
	for (guint i = 0; i < accounts->len; i++) {
		const Account *a = g_ptr_array_index(accounts, i);

		if (a->witness == NULL && account_has_pins(a))
			g_ptr_array_add(out, g_strdup(a->account));
	}
	*ret_accounts = g_steal_pointer(&out);
	return TRUE;
}
