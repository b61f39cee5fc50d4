/* SPDX-License-Identifier: MIT */
/* Session: what a device does by itself, without a command (the agent's background task):
 * publish the changes queued while the portal could not be reached, and answer the connection
 * requests made with its PINs. */
#include "session-private.h"

gboolean
mesh_session_background(MeshSession *session, const char *account, GPtrArray **ret_notes,
                        GError **error)
{
	g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(MeshSessionFlush) flush = NULL;

	/* What was changed while the portal could not be reached, first: it is older. */
	if (session_queue_pending(session, account)) {
		if (!session_flush_queue(session, account, &flush, error))
			return FALSE;
		if (flush->published->len > 0)
			g_ptr_array_add(notes, g_strdup_printf("published %u queued change%s",
			                                       flush->published->len,
			                                       flush->published->len == 1 ? ""
			                                                                  : "s"));
		for (guint i = 0; i < flush->conflicts->len; i++) {
			const MeshSessionQueued *q = flush->conflicts->pdata[i];

			g_ptr_array_add(notes,
			                g_strdup_printf("conflict: %s of %s was %s (changed on "
			                                "another device too): 'mesh profile status' "
			                                "shows it",
			                                q->operation, q->application, q->conflict));
		}
	}
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

		if (a->witness == NULL &&
		    (account_has_pins(a) || session_queue_pending(session, a->account)))
			g_ptr_array_add(out, g_strdup(a->account));
	}
	*ret_accounts = g_steal_pointer(&out);
	return TRUE;
}
