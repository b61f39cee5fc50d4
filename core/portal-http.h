/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

#include "portal-base.h"

G_BEGIN_DECLS

/* How long one transaction may wait on the network (connect, send, each read), in seconds. */
#define MESH_PORTAL_HTTP_TIMEOUT_SECONDS 30
/* How long a connection to the portal is kept open for the next transaction: well below the
 * portal's own idle timeout (servermesh: 30 s), so that the client, not the portal, closes it
 * and no request is sent on a connection the portal is closing at that moment. */
#define MESH_PORTAL_HTTP_IDLE_SECONDS 10
/* How long the TLS handshake with a portal reached over https:// may wait on the network: a
 * TLS server answers the ClientHello at once, a plain-HTTP server never (it waits for request
 * headers). A handshake that fails so is reported as a portal that does not speak TLS. */
#define MESH_PORTAL_TLS_HANDSHAKE_SECONDS 5

/*
 * mesh_portal_client_http_url: the portal URL of @domain, "https://DOMAIN/.well-known/mmm/"
 * (docs/protocol.md §8). Returns a new string.
 */
char *mesh_portal_client_http_url(const char *domain);

/*
 * The portal client over HTTP: one interface, one implementation per OS folder, on the OS's
 * own HTTP and TLS stack: linux/portal-http.c (libsoup 3, TLS by glib-networking),
 * windows/portal-http.c (WinHTTP, TLS by SChannel). Both keep the contract below.
 *
 * mesh_portal_client_http_new: a MeshPortalClient that POSTs each request to @url
 * (Content-Type application/json; redirects are not followed; answers over
 * MESH_PORTAL_MESSAGE_MAX are refused while they are read; MESH_PORTAL_HTTP_TIMEOUT_SECONDS per
 * network wait). @url is https://, or http:// to a loopback address only (127.0.0.0/8, ::1,
 * localhost: a test portal); no user name, query or fragment (mesh_portal_url_normalize).
 * TLS certificates are verified against @ca_file (PEM; NULL: the system's trust store; on
 * Windows the server's chain must then end in a certificate of @ca_file, checked with
 * CertGetCertificateChain, besides WinHTTP's own check of the name). Connections are direct:
 * no proxy is looked up (libproxy may run PAC scripts; WinHTTP: WINHTTP_ACCESS_TYPE_NO_PROXY).
 * The client belongs to the thread that made it (libsoup's rule for everything but sending):
 * create, use and close it there. mesh_portal_client_transact is synchronous: never call it
 * with the portal's server running on that thread's main context: the transaction would wait
 * for a reply that only that main context can produce; the agent uses the asynchronous form
 * below. Errors: MESH_ERROR_INVALID_ARGUMENT (the URL), MESH_ERROR_CRYPTO (the CA file cannot
 * be read, or no TLS backend: glib-networking). Transactions fail with MESH_ERROR_NETWORK
 * naming the URL and the reason, MESH_ERROR_TIMEOUT, or MESH_ERROR_TOO_LARGE.
 */
MeshPortalClient *mesh_portal_client_http_new(const char *url, const char *ca_file,
					      GError **error);

/*
 * mesh_portal_client_http_transact_async: mesh_portal_client_transact without blocking: the
 * request is sent and the answer read (bounded as above) on the thread-default main context,
 * which must be the one of the thread that made @client; @callback runs there. @client (an HTTP
 * client) may be closed before the callback runs. @cancellable: a cancel ends the transaction
 * with MESH_ERROR_CANCELLED.
 */
void mesh_portal_client_http_transact_async(MeshPortalClient *client, const char *request,
					    GCancellable *cancellable,
					    GAsyncReadyCallback callback, gpointer user_data);

/* mesh_portal_client_http_transact_finish: the answer and its status, as
 * mesh_portal_client_transact gives them. */
gboolean mesh_portal_client_http_transact_finish(GAsyncResult *result, GBytes **ret_answer,
						 guint *ret_status, GError **error);

/*
 * mesh_portal_http_task_return: for the OS folders' clients: end @task, made by
 * mesh_portal_client_http_transact_async, with @answer (ownership taken) and its HTTP @status,
 * as mesh_portal_client_http_transact_finish reads them.
 */
void mesh_portal_http_task_return(GTask *task, GBytes *answer, guint status);

G_END_DECLS
