/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * mesh_portal_hello_handler: a MeshPortalHandler (http.h) that knows one transaction, Hello
 * (PROTOCOL.md §8): {"HelloRequest": {}} → 200 {"HelloResponse": {"Status": 200,
 * "StatusDescription": "OK", "Version": {"Major": 1, "Minor": 0}, "Encodings":
 * ["application/json"]}}. Any other tagged request is answered 501; a body that is not one
 * tagged JSON object 400. @data is unused.
 *
 * A stand-in: servermesh uses it until the transaction layer (portal/transactions) replaces it.
 */
GBytes *mesh_portal_hello_handler(gpointer data, const char *client, GBytes *request,
				  guint *ret_status, const char **ret_transaction);

G_END_DECLS
