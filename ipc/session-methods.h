/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "dispatch.h"
#include "session.h"

G_BEGIN_DECLS

/*
 * The agent's session methods (docs/protocol.md "Agent methods (§9)", AccountValidate to
 * PasswordDelete): each builds a MeshSession over the agent's hive and key store for the one
 * request and calls core/session. The portal is reached through the agent's portal factory: by
 * default an HTTP client (portal/client-http.h) for the account's domain, the request's
 * "Portal" URL or the URL the account remembers, trusting the CA file in "PortalCA" (a path on
 * the agent's machine) when given. The HTTP transactions are synchronous: the agent's main loop
 * waits for them (each network wait is bounded by MESH_PORTAL_HTTP_TIMEOUT_SECONDS).
 *
 * Secrets in answers (shares, passwords, application data) are copied into the result object
 * only; the MeshSecrets they come from are wiped here, and the dispatcher wipes the answer's
 * strings after framing it.
 */

typedef gboolean (*MeshSessionHandler)(MeshSession *session, JsonObject *params,
				       JsonObject *result, GError **error);

typedef struct {
	const char *name;
	MeshSessionHandler handler;
	const char *const *params; /* the members Params may have */
} MeshSessionMethod;

/* mesh_session_method_find: the session method @name, or NULL. */
const MeshSessionMethod *mesh_session_method_find(const char *name);

/* mesh_session_method_name: the name of the @i-th session method, NULL past the last one (for
 * Hello). */
const char *mesh_session_method_name(gsize i);

/*
 * mesh_session_method_call: run @method for one request: @params (already checked against
 * @method->params) in, @result filled. @open_portal NULL: the HTTP factory. With @restricted,
 * every session method answers MESH_ERROR_PERMISSION (they change the hive or reach the
 * network: not for the fuzzer). Errors: those of core/session, MESH_ERROR_MALFORMED (params).
 */
gboolean mesh_session_method_call(const MeshSessionMethod *method, MeshHive *hive,
				  MeshKeyStore *store, MeshSessionPortalOpen open_portal,
				  gpointer portal_data, gboolean restricted, JsonObject *params,
				  JsonObject *result, GError **error);

/*
 * mesh_agent_set_portal_factory: how @agent's session methods open a portal client (NULL: the
 * HTTP client). For tests, which hand in an in-process portal (portal/client-direct.h).
 * Implemented in dispatch.c (it owns MeshAgent).
 */
void mesh_agent_set_portal_factory(MeshAgent *agent, MeshSessionPortalOpen open_portal,
				   gpointer portal_data);

G_END_DECLS
