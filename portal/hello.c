/* SPDX-License-Identifier: MIT */
/* The stand-in transaction handler: Hello only. Replaced by the transaction layer. */
#include "hello.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "error.h"
#include "http.h"
#include "json.h"

#define HELLO_ANSWER                                                                           \
	"{\"HelloResponse\":{\"Status\":200,\"StatusDescription\":\"OK\","                     \
	"\"Version\":{\"Major\":1,\"Minor\":0},\"Encodings\":[\"application/json\"]}}"

GBytes *
mesh_portal_hello_handler(gpointer data, const char *client, GBytes *request, guint *ret_status,
			  const char **ret_transaction)
{
	gsize len = 0;
	const char *body = g_bytes_get_data(request, &len);
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GError) error = NULL;
	JsonObject *object;
	JsonNode *value;
	GList *members;
	const char *tag;

	root = mesh_json_parse(body ? body : "", len, MESH_PORTAL_HTTP_MAX_BODY, &error);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root) ||
	    json_object_get_size(object = json_node_get_object(root)) != 1) {
		*ret_status = 400;
		return mesh_portal_status_answer(
			400, error ? error->message : "a request is one tagged JSON object");
	}
	members = json_object_get_members(object);
	tag = members->data;
	g_list_free(members);
	value = json_object_get_member(object, tag);
	if (strcmp(tag, "HelloRequest") != 0) {
		g_autofree char *quoted = mesh_error_quote(tag);
		g_autofree char *message =
			g_strdup_printf("this portal does not implement '%s' yet", quoted);

		*ret_status = 501;
		return mesh_portal_status_answer(501, message);
	}
	*ret_transaction = "Hello";
	if (!JSON_NODE_HOLDS_OBJECT(value)) {
		*ret_status = 400;
		return mesh_portal_status_answer(400, "HelloRequest is an object");
	}
	*ret_status = 200;
	return g_bytes_new_static(HELLO_ANSWER, strlen(HELLO_ANSWER));
}
