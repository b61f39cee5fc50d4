/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "error.h"
#include "jose.h"
#include "key.h"
#include "portal-base.h"

G_BEGIN_DECLS

/*
 * The portal client interface (docs/protocol.md §8, docs/design.md "core/"): how the session logic talks to
 * a portal without knowing whether the portal is across the network (core/portal-http.h) or in
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
