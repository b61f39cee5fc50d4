/* SPDX-License-Identifier: MIT */
#pragma once

#include "portal-client.h"
#include "transactions.h"

G_BEGIN_DECLS

/*
 * mesh_portal_client_direct_new: a MeshPortalClient that hands each request text to
 * mesh_portal_handle in this process: exactly the bytes an HTTP client would send and the body
 * and status it would receive, without a network (docs/design.md: for tests of the session layer).
 * @portal is borrowed and must outlive the client. Never fails.
 */
MeshPortalClient *mesh_portal_client_direct_new(MeshPortal *portal);

G_END_DECLS
