/* SPDX-License-Identifier: MIT */
#include "client-direct.h"

#include <string.h>

typedef struct {
	MeshPortalClient parent;
	MeshPortal *portal;
} DirectClient;

static gboolean
direct_transact(MeshPortalClient *client, const char *request, GBytes **ret_answer,
		guint *ret_status, GError **error)
{
	DirectClient *self = (DirectClient *)client;

	mesh_portal_handle(self->portal, (const guint8 *)request, strlen(request), ret_answer,
			   ret_status);
	return TRUE;
}

static void
direct_close(MeshPortalClient *client)
{
	g_free(client);
}

static const MeshPortalClientClass direct_class = {
	.name = "direct",
	.transact = direct_transact,
	.close = direct_close,
};

MeshPortalClient *
mesh_portal_client_direct_new(MeshPortal *portal)
{
	DirectClient *self = g_new0(DirectClient, 1);

	self->parent.klass = &direct_class;
	self->portal = portal;
	return &self->parent;
}
