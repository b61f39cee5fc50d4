/* SPDX-License-Identifier: MIT */
#pragma once

#include "portal-client.h"

G_BEGIN_DECLS

/* How long one transaction may wait on the network (connect, send, each read), in seconds. */
#define MESH_PORTAL_HTTP_TIMEOUT_SECONDS 30

/*
 * mesh_portal_client_http_url: the portal URL of @domain, "https://DOMAIN/.well-known/mmm/"
 * (PROTOCOL.md §8). Returns a new string.
 */
char *mesh_portal_client_http_url(const char *domain);

/*
 * mesh_portal_client_http_new: a MeshPortalClient that POSTs each request to @url with libsoup 3
 * (Content-Type application/json; redirects are not followed; answers over
 * MESH_PORTAL_MESSAGE_MAX are refused while they are read; MESH_PORTAL_HTTP_TIMEOUT_SECONDS per
 * network wait). @url is https://, or http:// to a loopback address only (127.0.0.0/8, ::1,
 * localhost: a test portal); no user name, query or fragment. TLS certificates are verified
 * against @ca_file (PEM; NULL: the system's trust store). Connections are direct: no proxy is
 * looked up (the system resolver, libproxy, may run PAC scripts). The transactions are
 * synchronous: call them from the thread that made the client, and never with the portal's
 * server running on that thread's main context (ENVIRONMENT.md). Errors:
 * MESH_ERROR_INVALID_ARGUMENT (the URL), MESH_ERROR_CRYPTO (the CA file cannot be read, or no
 * TLS backend: glib-networking).
 * Transactions fail with MESH_ERROR_NETWORK naming the URL and the reason.
 */
MeshPortalClient *mesh_portal_client_http_new(const char *url, const char *ca_file,
					      GError **error);

G_END_DECLS
