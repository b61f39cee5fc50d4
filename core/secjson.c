/* SPDX-License-Identifier: MIT */
#include "secjson.h"

#include <openssl/crypto.h>
#include <string.h>

#include "json.h"

struct MeshSecjson {
	MeshSecret *buf; /* capacity = mesh_secret_len(buf) */
	gsize len;
};

MeshSecjson *
mesh_secjson_new(void)
{
	MeshSecjson *writer = g_new0(MeshSecjson, 1);

	writer->buf = mesh_secret_new(256);
	return writer;
}

void
mesh_secjson_free(MeshSecjson *writer)
{
	if (writer == NULL)
		return;
	mesh_secret_free(writer->buf);
	g_free(writer);
}

/* Room for @more bytes and a NUL; the old buffer is wiped when it is replaced. */
static void
reserve(MeshSecjson *writer, gsize more)
{
	gsize cap = mesh_secret_len(writer->buf);
	MeshSecret *bigger;

	if (more > G_MAXSIZE / 4 - writer->len)
		g_error("mesh_secjson: size overflow");
	if (writer->len + more + 1 <= cap)
		return;
	while (cap < writer->len + more + 1)
		cap *= 2;
	bigger = mesh_secret_new(cap);
	memcpy(mesh_secret_data(bigger), mesh_secret_get(writer->buf), writer->len);
	mesh_secret_free(writer->buf);
	writer->buf = bigger;
}

void
mesh_secjson_raw(MeshSecjson *writer, const char *text, gsize len)
{
	reserve(writer, len);
	memcpy(mesh_secret_data(writer->buf) + writer->len, text, len);
	writer->len += len;
}

void
mesh_secjson_literal(MeshSecjson *writer, const char *text)
{
	mesh_secjson_raw(writer, text, strlen(text));
}

void
mesh_secjson_secret_text(MeshSecjson *writer, const MeshSecret *text)
{
	const char *data = (const char *)mesh_secret_get(text);

	mesh_secjson_raw(writer, data, strnlen(data, mesh_secret_len(text)));
}

void
mesh_secjson_string(MeshSecjson *writer, const char *text, gssize len)
{
	static const char hex[] = "0123456789abcdef";
	gsize n = len < 0 ? strlen(text) : (gsize)len;
	guint8 *out;

	/* At most 6 bytes per input byte (\u00XX), and the quotes. */
	reserve(writer, 6 * n + 2);
	out = mesh_secret_data(writer->buf) + writer->len;
	*out++ = '"';
	for (gsize i = 0; i < n; i++) {
		guint8 c = (guint8)text[i];

		if (c == '"' || c == '\\') {
			*out++ = '\\';
			*out++ = c;
		} else if (c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f') {
			*out++ = '\\';
			*out++ = c == '\n' ? 'n' :
				 c == '\r' ? 'r' :
				 c == '\t' ? 't' :
				 c == '\b' ? 'b' :
					     'f';
		} else if (c < 0x20 || c == 0x7f) {
			*out++ = '\\';
			*out++ = 'u';
			*out++ = '0';
			*out++ = '0';
			*out++ = hex[c >> 4];
			*out++ = hex[c & 15];
		} else {
			*out++ = c;
		}
	}
	*out++ = '"';
	writer->len = (gsize)(out - mesh_secret_data(writer->buf));
}

void
mesh_secjson_node(MeshSecjson *writer, JsonNode *node)
{
	g_autofree char *text = mesh_json_to_string(node);

	mesh_secjson_literal(writer, text);
}

MeshSecret *
mesh_secjson_finish(MeshSecjson *writer)
{
	MeshSecret *text = mesh_secret_new(writer->len + 1);

	memcpy(mesh_secret_data(text), mesh_secret_get(writer->buf), writer->len);
	return text;
}

JsonNode *
mesh_secjson_parse(const MeshSecret *text, gsize max_len, GError **error)
{
	const char *data = (const char *)mesh_secret_get(text);
	gsize len = mesh_secret_len(text);

	if (len > 0 && data[len - 1] == '\0')
		len--;
	return mesh_json_parse(data, len, max_len, error);
}

void
mesh_secjson_wipe(JsonNode *node)
{
	if (node == NULL)
		return;
	if (JSON_NODE_HOLDS_OBJECT(node)) {
		g_autoptr(GList) values = json_object_get_values(json_node_get_object(node));

		for (GList *l = values; l != NULL; l = l->next)
			mesh_secjson_wipe(l->data);
	} else if (JSON_NODE_HOLDS_ARRAY(node)) {
		JsonArray *array = json_node_get_array(node);

		for (guint i = 0; i < json_array_get_length(array); i++)
			mesh_secjson_wipe(json_array_get_element(array, i));
	} else if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING) {
		char *s = (char *)json_node_get_string(node);

		if (s != NULL)
			OPENSSL_cleanse(s, strlen(s));
	}
}

void
mesh_secjson_unref(JsonNode *node)
{
	if (node == NULL)
		return;
	mesh_secjson_wipe(node);
	json_node_unref(node);
}
