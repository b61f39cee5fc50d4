/* SPDX-License-Identifier: MIT */
#include "ssh-server.h"

#include "error.h"

struct MeshSshServer {
	MeshSshAgent *agent;
	MeshService *service;
};

/* Whether the client is still connected: a request waiting at the passphrase gate gives up
 * when it has hung up. */
static gboolean
client_present(gpointer data)
{
	return !mesh_transport_connection_hung_up(data, 0, NULL);
}

static GBytes *
handle(gpointer data, MeshTransportConnection *conn, MeshCaller *caller, const guint8 *msg,
       gsize len, gboolean *ret_close)
{
	MeshSshServer *server = data;
	GBytes *answer = mesh_ssh_agent_handle_from(server->agent, caller, msg, len, client_present,
	                                            conn);

	/* A key with a lifetime: the accepting thread's timer must learn of it. */
	if (msg[0] == MESH_SSH_AGENTC_ADD_ID_CONSTRAINED)
		mesh_service_wake(server->service);
	return answer;
}

/* End keys' lifetimes on time even when nobody asks. */
static gint64
tick(gpointer data)
{
	MeshSshServer *server = data;

	return mesh_ssh_agent_expire(server->agent);
}

static const MeshServiceProtocol protocol = {
        .name = "ssh-agent",
        .request_max = MESH_SSH_AGENT_MESSAGE_MAX,
        .answer_max = G_MAXUINT32,
        .handle = handle,
        .tick = tick,
};

MeshSshServer *
mesh_ssh_server_new(MeshSshAgent *agent, const char *path, MeshTransportListener *passed,
                    MeshHiveKind kind, GError **error)
{
	g_autoptr(MeshTransportListener) listener = passed;
	g_autoptr(MeshSshServer) server = g_new0(MeshSshServer, 1);

	server->agent = agent;
	if (listener != NULL
	            ? !mesh_transport_listener_lock(listener, kind, error)
	            : (listener = mesh_transport_listen(path, kind, "ssh-agent socket",
	                                                "MESH_SSH_AGENT_SOCK", error)) == NULL)
		return NULL;
	server->service = mesh_service_new(g_steal_pointer(&listener), &protocol, server);
	if (!mesh_service_start(server->service, error))
		return NULL;
	return g_steal_pointer(&server);
}

void
mesh_ssh_server_free(MeshSshServer *server)
{
	if (server == NULL)
		return;
	mesh_service_free(server->service);
	g_free(server);
}
