/* SPDX-License-Identifier: MIT */
#include "http-server.h"

#include <gio/gio.h>
#include <string.h>

#include "cutest.h"
#include "portal-client.h"

struct MeshTestHttp {
	MeshPortal *portal;
	GSocket *listener;
	GThread *thread;
	guint16 port;
	gint stopping;
	GMutex mutex;
	GCond cond;
	gboolean released;
	guint held;
};

static void
respond(GSocket *conn, guint status, const char *extra, const guint8 *body, gsize len)
{
	g_autofree char *head = g_strdup_printf(
		"HTTP/1.1 %u X\r\nContent-Type: application/json\r\nContent-Length: %" G_GSIZE_FORMAT
		"\r\nConnection: close\r\n%s\r\n",
		status, len, extra);
	const char *parts[] = { head, (const char *)body };
	gsize lens[] = { strlen(head), len };

	for (int i = 0; i < 2; i++) {
		for (gsize done = 0; done < lens[i];) {
			gssize n = g_socket_send(conn, parts[i] + done, lens[i] - done, NULL, NULL);

			if (n <= 0)
				return;
			done += n;
		}
	}
}

static gboolean
request_line_is(GByteArray *in, const char *prefix)
{
	gsize n = strlen(prefix);

	return in->len >= n && memcmp(in->data, prefix, n) == 0;
}

static void
hold(MeshTestHttp *self)
{
	g_mutex_lock(&self->mutex);
	self->held++;
	while (!self->released)
		g_cond_wait(&self->cond, &self->mutex);
	g_mutex_unlock(&self->mutex);
}

static void
serve_one(MeshTestHttp *self, GSocket *conn)
{
	g_autoptr(GByteArray) in = g_byte_array_new();
	g_autoptr(GBytes) answer = NULL;
	const char *end = NULL;
	const char *length;
	gsize head = 0, want = 0, len = 0;
	const guint8 *data;
	guint status = 0;
	char buf[4096];

	g_socket_set_timeout(conn, 10);
	while (end == NULL || in->len < head + want) {
		gssize n = g_socket_receive(conn, buf, sizeof buf, NULL, NULL);

		if (n <= 0)
			return;
		g_byte_array_append(in, (const guint8 *)buf, n);
		if (end == NULL && (end = g_strstr_len((const char *)in->data, in->len,
						       "\r\n\r\n")) != NULL) {
			head = end + 4 - (const char *)in->data;
			length = g_strstr_len((const char *)in->data, head, "Content-Length: ");
			want = length != NULL ? g_ascii_strtoull(length + 16, NULL, 10) : 0;
			CU_ASSERT_PTR_NOT_NULL(g_strstr_len((const char *)in->data, head,
							    "Content-Type: application/json"));
		}
	}
	if (request_line_is(in, "POST /big/ ")) {
		g_autofree guint8 *big = g_malloc(MESH_PORTAL_MESSAGE_MAX + 1);

		memset(big, ' ', MESH_PORTAL_MESSAGE_MAX + 1);
		respond(conn, 200, "", big, MESH_PORTAL_MESSAGE_MAX + 1);
		return;
	}
	if (request_line_is(in, "POST /moved/ ")) {
		respond(conn, 307, "Location: /.well-known/mmm/\r\n", (const guint8 *)"", 0);
		return;
	}
	if (request_line_is(in, "POST /hold/ "))
		hold(self);
	mesh_portal_handle(self->portal, in->data + head, want, &answer, &status);
	data = g_bytes_get_data(answer, &len);
	respond(conn, status, "", data, len);
}

static gpointer
server_thread(gpointer data)
{
	MeshTestHttp *self = data;

	for (;;) {
		g_autoptr(GSocket) conn = g_socket_accept(self->listener, NULL, NULL);

		if (conn == NULL || g_atomic_int_get(&self->stopping))
			break;
		serve_one(self, conn);
		(void)g_socket_close(conn, NULL);
	}
	return NULL;
}

MeshTestHttp *
mesh_test_http_start(MeshPortal *portal)
{
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new(loopback, 0);
	g_autoptr(GSocketAddress) bound = NULL;
	MeshTestHttp *self = g_new0(MeshTestHttp, 1);

	self->portal = portal;
	self->released = TRUE;
	g_mutex_init(&self->mutex);
	g_cond_init(&self->cond);
	self->listener = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
				      G_SOCKET_PROTOCOL_TCP, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(self->listener);
	CU_ASSERT_TRUE_FATAL(g_socket_bind(self->listener, any, TRUE, NULL));
	CU_ASSERT_TRUE_FATAL(g_socket_listen(self->listener, NULL));
	bound = g_socket_get_local_address(self->listener, NULL);
	self->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	self->thread = g_thread_new("portal", server_thread, self);
	return self;
}

char *
mesh_test_http_url(MeshTestHttp *server, const char *path)
{
	return g_strdup_printf("http://127.0.0.1:%u%s", server->port, path);
}

guint
mesh_test_http_held(MeshTestHttp *server)
{
	guint held;

	g_mutex_lock(&server->mutex);
	held = server->held;
	g_mutex_unlock(&server->mutex);
	return held;
}

void
mesh_test_http_hold(MeshTestHttp *server)
{
	g_mutex_lock(&server->mutex);
	server->released = FALSE;
	g_mutex_unlock(&server->mutex);
}

void
mesh_test_http_release(MeshTestHttp *server)
{
	g_mutex_lock(&server->mutex);
	server->released = TRUE;
	g_cond_broadcast(&server->cond);
	g_mutex_unlock(&server->mutex);
}

void
mesh_test_http_stop(MeshTestHttp *server)
{
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) address = g_inet_socket_address_new(loopback, server->port);
	g_autoptr(GSocket) wake = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
					       G_SOCKET_PROTOCOL_TCP, NULL);

	/* accept() returns for one more connection, and the thread sees it must stop. */
	mesh_test_http_release(server);
	g_atomic_int_set(&server->stopping, 1);
	(void)g_socket_connect(wake, address, NULL, NULL);
	g_thread_join(server->thread);
	g_clear_object(&server->listener);
	g_mutex_clear(&server->mutex);
	g_cond_clear(&server->cond);
	g_free(server);
}
