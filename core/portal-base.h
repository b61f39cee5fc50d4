/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "error.h"

G_BEGIN_DECLS

/*
 * The part of the portal client interface (core/portal-client.h) that needs no JSON: the size
 * bound, the status table, portal URLs and the MeshPortalClient vtable that moves one request
 * text and one answer. The OS folders' HTTP clients (core/portal-http.h) are written against
 * this alone, so that they build where json-glib is not at hand.
 */

/* §10: largest request body and largest answer a client reads. */
#define MESH_PORTAL_MESSAGE_MAX (1024 * 1024)
/* Bytes of randomness in a SignedTransaction's Nonce. */
#define MESH_PORTAL_NONCE_LEN 16
/* The tag of a signed request. */
#define MESH_PORTAL_SIGNED_TAG "SignedTransaction"

/* ---- Status codes -------------------------------------------------------------------------- */

/*
 * mesh_portal_status_for_error: the Status (and HTTP status) a portal answers for a failure
 * @code (MESH_ERROR_OK: 200). One table for both sides; see docs/protocol.md for it.
 */
guint mesh_portal_status_for_error(MeshError code);

/*
 * mesh_portal_error_for_status: the MeshError a client reports for an error @status that came
 * without a usable "Code": 401 Unauthorized, 404 NotFound, 409 Exists, 410 Expired, 413
 * TooLarge, 429 RateLimited, 500 Failed, other 5xx Network, other 4xx Protocol.
 */
MeshError mesh_portal_error_for_status(guint status);

/* mesh_portal_status_text: the reason phrase of @status ("Not Found"); a static string. */
const char *mesh_portal_status_text(guint status);

/* ---- Portal URLs --------------------------------------------------------------------------- */

/* The path a portal answers on (docs/protocol.md §8), and so the path of a URL that gives none. */
#define MESH_PORTAL_WELL_KNOWN_PATH "/.well-known/mmm/"

/*
 * mesh_portal_url_for_domain: the portal URL of the account domain @domain,
 * "https://DOMAIN/.well-known/mmm/". Returns a new string.
 */
char *mesh_portal_url_for_domain(const char *domain);

/*
 * mesh_portal_url_normalize: the one form of the portal URL @url that devices remember and
 * compare (docs/protocol.md, "Portal URLs"): the scheme and host in lower case; the port left
 * out when it is the scheme's own (443, 80); no path, or "/", becomes MESH_PORTAL_WELL_KNOWN_PATH
 * and any other path is kept as given. Accepted: https://HOST[:PORT][/PATH], and http:// only
 * for a host on this machine (localhost, 127.0.0.0/8, ::1: a test portal). Two URLs name the
 * same portal exactly when their normal forms are equal. Returns a new string. Errors:
 * MESH_ERROR_INVALID_ARGUMENT (not such a URL: a user name, query or fragment, another
 * scheme, http:// to another host, no host, port 0; the message gives the accepted forms).
 */
char *mesh_portal_url_normalize(const char *url, GError **error);

/* ---- Clients ------------------------------------------------------------------------------- */

typedef struct MeshPortalClient MeshPortalClient;

typedef struct {
	const char *name; /* "http", "direct" */
	/* Send @request (NUL-terminated JSON text) and hand back the answer body and its status.
	 * An answer of any status is a success here: only a transport failure is an error. */
	gboolean (*transact)(MeshPortalClient *client, const char *request, GBytes **ret_answer,
	                     guint *ret_status, GError **error);
	/* Free the instance; tolerates a half-opened one. */
	void (*close)(MeshPortalClient *client);
} MeshPortalClientClass;

struct MeshPortalClient {
	const MeshPortalClientClass *klass;
};

const char *mesh_portal_client_name(const MeshPortalClient *client);

/*
 * mesh_portal_client_transact: send the request text @request; *@ret_answer gets the answer body
 * (at most MESH_PORTAL_MESSAGE_MAX bytes) and *@ret_status its status. Errors:
 * MESH_ERROR_TOO_LARGE (request or answer over MESH_PORTAL_MESSAGE_MAX), MESH_ERROR_NETWORK (the
 * portal could not be reached: the message names it and says why), MESH_ERROR_TIMEOUT.
 */
gboolean mesh_portal_client_transact(MeshPortalClient *client, const char *request,
                                     GBytes **ret_answer, guint *ret_status, GError **error);

/* mesh_portal_client_close: accepts NULL. */
void mesh_portal_client_close(MeshPortalClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshPortalClient, mesh_portal_client_close)

G_END_DECLS
