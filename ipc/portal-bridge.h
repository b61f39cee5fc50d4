/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

#include "portal-client.h"

G_BEGIN_DECLS

/*
 * The agent's portal bridge. The agent's session methods run on a worker thread (dispatch.c),
 * since core/session is written as straight-line calls; their HTTP transactions do not: the
 * worker's portal client (mesh_portal_bridge_open) hands each one to the agent's main loop,
 * where the SoupSession lives and the transaction runs asynchronously
 * (mesh_portal_client_http_transact_async), and waits for the answer. While it waits it
 * releases the agent's state lock (@release), so the main loop goes on serving every other
 * client: Hello, KeySign, Lock, local session methods.
 *
 * Everything that touches a SoupSession (make, send, close) happens on the main context, as
 * libsoup requires; operations are handed over with idle sources, which the context runs in the
 * order they were attached, so a client's close always comes after its transactions.
 */

typedef struct MeshPortalBridge MeshPortalBridge;

/* mesh_portal_bridge_new: a bridge to @context (the agent's main context; a reference is
 * taken). */
MeshPortalBridge *mesh_portal_bridge_new(GMainContext *context);

/*
 * mesh_portal_bridge_cancel: the agent is stopping: transactions in flight end with
 * MESH_ERROR_CANCELLED, waiting workers wake at once, and later opens and transactions fail with
 * MESH_ERROR_CANCELLED without reaching the network. Any thread; idempotent.
 */
void mesh_portal_bridge_cancel(MeshPortalBridge *bridge);

/*
 * mesh_portal_bridge_free: cancel, then run @context until every operation handed to it has
 * finished (so no SoupSession outlives the bridge), and free. On the main context's thread,
 * after every worker that used the bridge has returned. Accepts NULL.
 */
void mesh_portal_bridge_free(MeshPortalBridge *bridge);

/*
 * mesh_portal_bridge_open: from a worker thread holding @release: an HTTP portal client for
 * @url trusting @ca_file (NULL: the system's store), as mesh_portal_client_http_new makes it,
 * whose transactions run on the bridge's context. @release is unlocked while the worker waits
 * for the main context and locked again before returning, here and in every transaction.
 * Errors: those of mesh_portal_client_http_new, MESH_ERROR_CANCELLED.
 */
MeshPortalClient *mesh_portal_bridge_open(MeshPortalBridge *bridge, const char *url,
					  const char *ca_file, GMutex *release, GError **error);

G_END_DECLS
