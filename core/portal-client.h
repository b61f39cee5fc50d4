/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "error.h"
#include "jose.h"
#include "key.h"

G_BEGIN_DECLS

/*
 * The portal client interface (docs/protocol.md §8, docs/design.md "core/"): how the session logic talks to
 * a portal without knowing whether the portal is across the network (portal/client-http.h) or in
 * the same process (portal/client-direct.h, for tests). A client moves one request text and one
 * answer; everything else here is OS-free: building requests, signing restricted ones, reading
 * answers into values or MeshErrors.
 *
 * Wire rules this module fixes (docs/protocol.md, "Portal transactions"):
 *
 * - A request is {"<Name>Request": {...}}; its answer {"<Name>Response": {..., "Status",
 *   "StatusDescription"}}. An answer to a request the portal could not read far enough to know
 *   its transaction (bad JSON, unknown tag, oversize) is untagged: {"Status",
 *   "StatusDescription", "Code"}.
 * - Every error answer (Status 400 and above) carries "Code": the MeshError name
 *   (mesh_error_name: "Stale", "Exists", ...), so that a client can tell the cases one status
 *   covers (409: Exists or Stale). The HTTP status mirrors Status.
 * - A restricted request travels as {"SignedTransaction": <JWS>}: a flattened JWS, "cty" the
 *   request's tag, whose payload is the tagged request with "Issued" (RFC 3339, now) and
 *   "Nonce" (16 random bytes, base64url) added.
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

/* ---- Requests ------------------------------------------------------------------------------ */

/*
 * mesh_portal_response_tag: the tag of the answer to @request_tag ("GetRequest" →
 * "GetResponse"). Returns a new string, or NULL when @request_tag does not end in "Request".
 */
char *mesh_portal_response_tag(const char *request_tag);

/*
 * mesh_portal_request_text: the text of the plain request {@tag: @request}. Takes ownership of
 * @request (NULL: an empty object). Returns a new string.
 */
char *mesh_portal_request_text(const char *tag, JsonObject *request);

/*
 * mesh_portal_request_sign: the text of {"SignedTransaction": JWS} for the restricted request
 * {@tag: @request} with "Issued" = now and a fresh "Nonce" added, signed by @key (public; @sign
 * makes the signature: an administration key, or the device key for ConnectStatus). Takes
 * ownership of @request (NULL: an empty object). Errors: those of mesh_jws_sign_with and @sign,
 * MESH_ERROR_TOO_LARGE, MESH_ERROR_CRYPTO.
 */
char *mesh_portal_request_sign(const char *tag, JsonObject *request, const MeshKey *key,
			       MeshJwsSignFunc sign, gpointer user_data, GError **error);

/*
 * mesh_portal_request_sign_at: as mesh_portal_request_sign with the given @issued time (RFC 3339
 * UTC) and @nonce (MESH_PORTAL_NONCE_LEN bytes; NULL: fresh random bytes): for tests of the
 * portal's checks, and for a caller that must control both.
 */
char *mesh_portal_request_sign_at(const char *tag, JsonObject *request, const char *issued,
				  const guint8 *nonce, const MeshKey *key, MeshJwsSignFunc sign,
				  gpointer user_data, GError **error);

/* ---- Answers ------------------------------------------------------------------------------- */

/*
 * mesh_portal_answer_read: read the @answer a portal gave with the HTTP status @status to a
 * request whose answer is tagged @response_tag. Returns the response object (a new reference;
 * its members include Status and StatusDescription) when Status is 2xx. Errors:
 * MESH_ERROR_PROTOCOL (not JSON, another tag, no integer Status, a Status the HTTP status does
 * not mirror), MESH_ERROR_TOO_LARGE; for an error answer the MeshError of its "Code" when that
 * is a known name whose status is Status, else mesh_portal_error_for_status(Status), with the
 * StatusDescription (cut and made printable) as the message.
 */
JsonObject *mesh_portal_answer_read(GBytes *answer, guint status, const char *response_tag,
				    GError **error);

/*
 * mesh_portal_client_call: send @request (text from mesh_portal_request_text or
 * mesh_portal_request_sign, whose tag is @request_tag) and read the answer as
 * mesh_portal_answer_read does. Returns the response object (a new reference). Errors: those of
 * mesh_portal_client_transact and mesh_portal_answer_read.
 */
JsonObject *mesh_portal_client_call(MeshPortalClient *client, const char *request_tag,
				    const char *request, GError **error);

G_END_DECLS
