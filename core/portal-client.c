/* SPDX-License-Identifier: MIT */
#include "portal-client.h"

#include <gio/gio.h>
#include <openssl/rand.h>
#include <string.h>

#include "base64.h"
#include "json.h"
#include "ossl.h"
#include "signed.h"

/* Longest StatusDescription a client repeats in its own error message. */
#define DESCRIPTION_MAX 300

/* ---- Requests ------------------------------------------------------------------------------ */

char *
mesh_portal_response_tag(const char *request_tag)
{
	static const char suffix[] = "Request";
	gsize len = strlen(request_tag), n = sizeof suffix - 1;

	if (len <= n || strcmp(request_tag + len - n, suffix) != 0)
		return NULL;
	return g_strdup_printf("%.*sResponse", (int)(len - n), request_tag);
}

char *
mesh_portal_request_text(const char *tag, JsonObject *request)
{
	g_autoptr(JsonNode) node = mesh_signed_tag(tag, request != NULL ? request
									 : json_object_new());

	return mesh_json_to_string(node);
}

char *
mesh_portal_request_sign_at(const char *tag, JsonObject *request, const char *issued,
			    const guint8 *nonce, const MeshKey *key, MeshJwsSignFunc sign,
			    gpointer user_data, GError **error)
{
	JsonObject *inner = request != NULL ? request : json_object_new();
	g_autoptr(JsonNode) payload = mesh_signed_tag(tag, inner);
	guint8 fresh[MESH_PORTAL_NONCE_LEN];
	g_autofree char *nonce_text = NULL;
	g_autoptr(JsonNode) jws = NULL;
	g_autoptr(JsonNode) wrapped = NULL;

	if (nonce == NULL) {
		if (RAND_bytes(fresh, sizeof fresh) != 1) {
			mesh_ossl_error(error, MESH_ERROR_CRYPTO, "no random bytes for the nonce");
			return NULL;
		}
		nonce = fresh;
	}
	nonce_text = mesh_b64u_encode(nonce, MESH_PORTAL_NONCE_LEN);
	json_object_set_string_member(inner, "Issued", issued);
	json_object_set_string_member(inner, "Nonce", nonce_text);
	jws = mesh_signed_jws(payload, tag, key, sign, user_data, MESH_PORTAL_MESSAGE_MAX, error);
	if (jws == NULL)
		return NULL;
	wrapped = mesh_signed_tag(MESH_PORTAL_SIGNED_TAG, json_node_dup_object(jws));
	return mesh_json_to_string(wrapped);
}

char *
mesh_portal_request_sign(const char *tag, JsonObject *request, const MeshKey *key,
			 MeshJwsSignFunc sign, gpointer user_data, GError **error)
{
	g_autofree char *now = mesh_json_time_now();

	return mesh_portal_request_sign_at(tag, request, now, NULL, key, sign, user_data, error);
}

/* ---- Answers ------------------------------------------------------------------------------- */

/* @text (from the portal) cut and escaped for an error message. */
static char *
description_safe(const char *text)
{
	g_autofree char *cut = NULL;
	gsize n;

	if (text == NULL)
		return NULL;
	n = strnlen(text, DESCRIPTION_MAX + 1);
	cut = g_strndup(text, MIN(n, DESCRIPTION_MAX));
	return g_strescape(cut, NULL);
}

static gpointer
protocol_error(GError **error, const char *what)
{
	g_set_error(error, MESH_ERROR, MESH_ERROR_PROTOCOL, "the portal's answer %s", what);
	return NULL;
}

/* Set the error an answer with the error @status reports. */
static void
answer_error(JsonObject *obj, guint status, GError **error)
{
	const char *code_name = NULL, *description = NULL;
	g_autofree char *safe = NULL;
	int code = -1;

	(void)mesh_json_get_string_opt(obj, "Code", &code_name, NULL);
	(void)mesh_json_get_string_opt(obj, "StatusDescription", &description, NULL);
	if (code_name != NULL)
		code = mesh_error_from_name(code_name);
	/* A Code is believed only where it agrees with the Status. */
	if (code <= MESH_ERROR_OK || mesh_portal_status_for_error(code) != status)
		code = mesh_portal_error_for_status(status);
	safe = description_safe(description);
	g_set_error(error, MESH_ERROR, code, "the portal answered %u (%s)%s%s", status,
		    mesh_portal_status_text(status), safe != NULL ? ": " : "",
		    safe != NULL ? safe : "");
}

JsonObject *
mesh_portal_answer_read(GBytes *answer, guint status, const char *response_tag, GError **error)
{
	gsize len = 0;
	const char *data = g_bytes_get_data(answer, &len);
	g_autoptr(JsonNode) root = NULL;
	JsonObject *obj;
	JsonNode *inner;
	gint64 answer_status = 0;

	root = mesh_json_parse(data != NULL ? data : "", len, MESH_PORTAL_MESSAGE_MAX, error);
	if (root == NULL) {
		mesh_signed_recode(error, mesh_error_code(*error) == MESH_ERROR_TOO_LARGE
						  ? MESH_ERROR_TOO_LARGE
						  : MESH_ERROR_PROTOCOL);
		g_prefix_error(error, "the portal's answer (status %u): ", status);
		return NULL;
	}
	if (!JSON_NODE_HOLDS_OBJECT(root))
		return protocol_error(error, "is not a JSON object");
	obj = json_node_get_object(root);
	/* An answer to a request the portal could not read is untagged. */
	inner = json_object_get_member(obj, response_tag);
	if (inner != NULL) {
		if (json_object_get_size(obj) != 1 || !JSON_NODE_HOLDS_OBJECT(inner))
			return protocol_error(error, "is not a tagged object");
		obj = json_node_get_object(inner);
	} else if (!json_object_has_member(obj, "Status")) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_PROTOCOL,
			    "the portal's answer is not a %s", response_tag);
		return NULL;
	}
	if (!mesh_json_get_int(obj, "Status", &answer_status, NULL) ||
	    answer_status != (gint64)status)
		return protocol_error(error,
				      "has no Status, or one its HTTP status does not mirror");
	if (status < 200 || status >= 300) {
		answer_error(obj, status, error);
		return NULL;
	}
	if (inner == NULL)
		return protocol_error(error, "to a successful request is untagged");
	return json_object_ref(obj);
}

JsonObject *
mesh_portal_client_call(MeshPortalClient *client, const char *request_tag, const char *request,
			GError **error)
{
	g_autofree char *response_tag = mesh_portal_response_tag(request_tag);
	g_autoptr(GBytes) answer = NULL;
	guint status = 0;

	if (response_tag == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "a portal request's tag ends in \"Request\"");
		return NULL;
	}
	if (!mesh_portal_client_transact(client, request, &answer, &status, error))
		return NULL;
	return mesh_portal_answer_read(answer, status, response_tag, error);
}
