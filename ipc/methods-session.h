/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "dispatch.h"
#include "portal-bridge.h"
#include "session.h"

G_BEGIN_DECLS

/*
 * The agent's session methods (docs/protocol.md "Agent methods (§9)", AccountValidate to
 * PasswordDelete): each builds a MeshSession over the agent's hive and key store for the one
 * request and calls core/session. The portal is reached through the agent's portal factory: by
 * default an HTTP client (core/portal-http.h) for the account's domain, the request's
 * "Portal" URL or the URL the account remembers, trusting the CA file in "PortalCA" (a path on
 * the agent's machine) when given. In the agent's server the methods that reach the portal
 * ("remote") run on a worker thread and their HTTP transactions on the main loop, through the
 * portal bridge (ipc/portal-bridge.h); without a bridge (unit tests, the fuzzer) they are
 * synchronous. Each network wait is bounded by MESH_PORTAL_HTTP_TIMEOUT_SECONDS.
 *
 * Secrets in answers (shares, passwords, application data) are copied into the result object
 * only; the MeshSecrets they come from are wiped here, and the dispatcher wipes the answer's
 * strings after framing it.
 */

typedef gboolean (*MeshSessionHandler)(MeshSession *session, JsonObject *params,
				       JsonObject *result, GError **error);

/* What a session method runs against. */
typedef struct {
	MeshHive *hive;
	MeshKeyStore *store;
	/* The agent's cache of verified profiles (NULL: none), used by the methods the table
	 * marks MESH_METHOD_READS_ONLY (@reads_only) and cleared by the others
	 * (mesh_session_method_call). */
	MeshHiveCache *cache;
	gboolean reads_only;
	/* How to open a portal client: NULL for HTTP (tests hand in a direct client). */
	MeshSessionPortalOpen open_portal;
	gpointer portal_data;
	/* HTTP through this bridge (on a worker thread holding @release, the agent's state lock);
	 * NULL: synchronous HTTP. */
	MeshPortalBridge *bridge;
	GMutex *release;
	/* The method answers MESH_ERROR_PERMISSION (session methods change the hive or reach the
	 * network: not for the fuzzer; the table marks them MESH_METHOD_RESTRICTED). */
	gboolean restricted;
	/* The passphrase that protects the keys the method makes (may be NULL), and whether the
	 * hive's protected keys are locked so that it may make none (MeshSession): the agent
	 * decides them from the hive's protection and the request's "Passphrase" (ipc/dispatch.c). */
	const MeshSecret *passphrase;
	gboolean keys_locked;
} MeshSessionMethodEnv;

/* The session methods' handlers, for the agent's method table (ipc/methods.c). */
#define MESH_SESSION_HANDLER(name)                                                                \
	gboolean name(MeshSession *session, JsonObject *params, JsonObject *result, GError **error)
MESH_SESSION_HANDLER(mesh_method_account_validate);
MESH_SESSION_HANDLER(mesh_method_account_default);
MESH_SESSION_HANDLER(mesh_method_profile_create);
MESH_SESSION_HANDLER(mesh_method_profile_get);
MESH_SESSION_HANDLER(mesh_method_profile_list);
MESH_SESSION_HANDLER(mesh_method_profile_sync);
MESH_SESSION_HANDLER(mesh_method_profile_status);
MESH_SESSION_HANDLER(mesh_method_profile_set_portal);
MESH_SESSION_HANDLER(mesh_method_profile_delete);
MESH_SESSION_HANDLER(mesh_method_escrow_create);
MESH_SESSION_HANDLER(mesh_method_escrow_verify);
MESH_SESSION_HANDLER(mesh_method_escrow_revoke);
MESH_SESSION_HANDLER(mesh_method_profile_recover);
MESH_SESSION_HANDLER(mesh_method_connect_request);
MESH_SESSION_HANDLER(mesh_method_connect_status);
MESH_SESSION_HANDLER(mesh_method_connect_pending);
MESH_SESSION_HANDLER(mesh_method_connect_accept);
MESH_SESSION_HANDLER(mesh_method_connect_reject);
MESH_SESSION_HANDLER(mesh_method_connect_pin);
MESH_SESSION_HANDLER(mesh_method_connect_pin_list);
MESH_SESSION_HANDLER(mesh_method_connect_pin_revoke);
/* Not a method clients call: the agent's background task (mesh_agent_start_background). */
MESH_SESSION_HANDLER(mesh_method_background);
MESH_SESSION_HANDLER(mesh_method_app_list);
MESH_SESSION_HANDLER(mesh_method_app_add);
MESH_SESSION_HANDLER(mesh_method_app_set);
MESH_SESSION_HANDLER(mesh_method_app_get);
MESH_SESSION_HANDLER(mesh_method_app_delete);
MESH_SESSION_HANDLER(mesh_method_password_add);
MESH_SESSION_HANDLER(mesh_method_password_set);
MESH_SESSION_HANDLER(mesh_method_password_get);
MESH_SESSION_HANDLER(mesh_method_password_list);
MESH_SESSION_HANDLER(mesh_method_password_delete);
MESH_SESSION_HANDLER(mesh_method_ssh_create);
MESH_SESSION_HANDLER(mesh_method_ssh_authorized_keys);
/* ipc/methods-devices.c */
MESH_SESSION_HANDLER(mesh_method_device_profile_list);
MESH_SESSION_HANDLER(mesh_method_device_rename);
MESH_SESSION_HANDLER(mesh_method_device_promote);
MESH_SESSION_HANDLER(mesh_method_device_demote);
MESH_SESSION_HANDLER(mesh_method_device_remove);
MESH_SESSION_HANDLER(mesh_method_ssh_rotate);
#undef MESH_SESSION_HANDLER

/* mesh_method_devices_array: [{"Identifier", "Description"?, "Added"?, "Administration",
 * "ThisDevice"}] of MeshSessionDevice *. */
JsonArray *mesh_method_devices_array(const GPtrArray *devices);

/*
 * mesh_session_method_call: run the session method @name (@handler) for one request against
 * @env: @params (already checked against the method's params) in, @result filled. Errors:
 * those of core/session,
 * MESH_ERROR_MALFORMED (params), MESH_ERROR_PERMISSION (restricted), MESH_ERROR_CANCELLED (the
 * bridge was cancelled).
 */
gboolean mesh_session_method_call(const char *name, MeshSessionHandler handler,
				  const MeshSessionMethodEnv *env, JsonObject *params,
				  JsonObject *result, GError **error);

/*
 * mesh_agent_set_portal_factory: how @agent's session methods open a portal client (NULL: the
 * HTTP client). For tests, which hand in an in-process portal (portal/client-direct.h).
 * Implemented in ipc/dispatch.c (it owns MeshAgent).
 */
void mesh_agent_set_portal_factory(MeshAgent *agent, MeshSessionPortalOpen open_portal,
				   gpointer portal_data);

G_END_DECLS
