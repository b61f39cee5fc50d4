/* SPDX-License-Identifier: MIT */
/* The OS-free part of core/portal-http.h: the URL of a domain and the asynchronous result's
 * shape, one for every OS folder's client. */
#include "portal-http.h"

typedef struct {
	GBytes *answer;
	guint status;
} Outcome;

static void
outcome_free(Outcome *outcome)
{
	g_bytes_unref(outcome->answer);
	g_free(outcome);
}

char *
mesh_portal_client_http_url(const char *domain)
{
	return mesh_portal_url_for_domain(domain);
}

void
mesh_portal_http_task_return(GTask *task, GBytes *answer, guint status)
{
	Outcome *outcome = g_new0(Outcome, 1);

	outcome->answer = answer;
	outcome->status = status;
	g_task_return_pointer(task, outcome, (GDestroyNotify)outcome_free);
}

gboolean
mesh_portal_client_http_transact_finish(GAsyncResult *result, GBytes **ret_answer,
                                        guint *ret_status, GError **error)
{
	Outcome *outcome;

	g_return_val_if_fail(g_task_is_valid(result, NULL), FALSE);
	outcome = g_task_propagate_pointer(G_TASK(result), error);
	if (outcome == NULL)
		return FALSE;
	*ret_answer = g_steal_pointer(&outcome->answer);
	*ret_status = outcome->status;
	g_free(outcome);
	return TRUE;
}
