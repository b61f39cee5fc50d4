/* SPDX-License-Identifier: MIT */
#include "client-http.h"

#include <libsoup/soup.h>
#include <string.h>

#include "error.h"

#define READ_CHUNK (64 * 1024)

typedef struct {
	MeshPortalClient parent;
	SoupSession *session;
	GUri *uri;
	char *url;
} HttpClient;

char *
mesh_portal_client_http_url(const char *domain)
{
	return g_strdup_printf("https://%s/.well-known/mmm/", domain);
}

static gboolean
network_error(HttpClient *self, GError **error, const char *reason)
{
	g_set_error(error, MESH_ERROR, MESH_ERROR_NETWORK, "the portal at %s: %s", self->url,
		    reason);
	return FALSE;
}

/* Read all of @in into a new GBytes of at most MESH_PORTAL_MESSAGE_MAX bytes. */
static gboolean
read_bounded(HttpClient *self, GInputStream *in, GBytes **ret_body, GError **error)
{
	g_autoptr(GByteArray) body = g_byte_array_new();
	g_autoptr(GError) local = NULL;

	for (;;) {
		gsize room = MESH_PORTAL_MESSAGE_MAX + 1 - body->len;
		guint old = body->len;
		gssize n;

		g_byte_array_set_size(body, old + MIN(room, READ_CHUNK));
		n = g_input_stream_read(in, body->data + old, MIN(room, READ_CHUNK), NULL, &local);
		if (n < 0)
			return network_error(self, error, local->message);
		g_byte_array_set_size(body, old + n);
		if (n == 0)
			break;
		if (body->len > MESH_PORTAL_MESSAGE_MAX) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
				    "the portal at %s answered more than %d bytes", self->url,
				    MESH_PORTAL_MESSAGE_MAX);
			return FALSE;
		}
	}
	*ret_body = g_byte_array_free_to_bytes(g_steal_pointer(&body));
	return TRUE;
}

static gboolean
http_transact(MeshPortalClient *client, const char *request, GBytes **ret_answer,
	      guint *ret_status, GError **error)
{
	HttpClient *self = (HttpClient *)client;
	g_autoptr(SoupMessage) msg = soup_message_new_from_uri(SOUP_METHOD_POST, self->uri);
	g_autoptr(GBytes) body = g_bytes_new(request, strlen(request));
	g_autoptr(GInputStream) in = NULL;
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GError) local = NULL;

	soup_message_set_flags(msg, SOUP_MESSAGE_NO_REDIRECT);
	soup_message_headers_replace(soup_message_get_request_headers(msg), "Accept",
				     "application/json");
	soup_message_set_request_body_from_bytes(msg, "application/json", body);
	in = soup_session_send(self->session, msg, NULL, &local);
	if (in == NULL)
		return network_error(self, error, local->message);
	if (!read_bounded(self, in, &answer, error))
		return FALSE;
	(void)g_input_stream_close(in, NULL, NULL);
	*ret_answer = g_steal_pointer(&answer);
	*ret_status = soup_message_get_status(msg);
	return TRUE;
}

static void
http_close(MeshPortalClient *client)
{
	HttpClient *self = (HttpClient *)client;

	g_clear_object(&self->session);
	g_clear_pointer(&self->uri, g_uri_unref);
	g_free(self->url);
	g_free(self);
}

static const MeshPortalClientClass http_class = {
	.name = "http",
	.transact = http_transact,
	.close = http_close,
};

static gboolean
is_loopback(const char *host)
{
	g_autoptr(GInetAddress) address = NULL;

	if (g_ascii_strcasecmp(host, "localhost") == 0)
		return TRUE;
	address = g_inet_address_new_from_string(host);
	return address != NULL && g_inet_address_get_is_loopback(address);
}

static gboolean
check_url(const char *url, GUri **ret_uri, GError **error)
{
	g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
	g_autofree char *quoted = mesh_error_quote(url);
	const char *scheme, *host;

	if (uri == NULL || g_uri_get_host(uri) == NULL || *g_uri_get_host(uri) == '\0' ||
	    g_uri_get_userinfo(uri) != NULL || g_uri_get_query(uri) != NULL ||
	    g_uri_get_fragment(uri) != NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "'%s' is not a portal URL such as https://example.com/.well-known/mmm/",
			    quoted);
		return FALSE;
	}
	scheme = g_uri_get_scheme(uri);
	host = g_uri_get_host(uri);
	if (g_ascii_strcasecmp(scheme, "https") != 0 &&
	    !(g_ascii_strcasecmp(scheme, "http") == 0 && is_loopback(host))) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "'%s': a portal is reached over https (plain http only on loopback)",
			    quoted);
		return FALSE;
	}
	*ret_uri = g_steal_pointer(&uri);
	return TRUE;
}

MeshPortalClient *
mesh_portal_client_http_new(const char *url, const char *ca_file, GError **error)
{
	g_autoptr(GUri) uri = NULL;
	g_autoptr(GTlsDatabase) database = NULL;
	g_autoptr(GError) local = NULL;
	HttpClient *self;

	if (!check_url(url, &uri, error))
		return NULL;
	if (ca_file != NULL) {
		database = g_tls_file_database_new(ca_file, &local);
		if (database == NULL) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO,
				    "cannot use the CA file %s: %s", ca_file, local->message);
			return NULL;
		}
	}
	self = g_new0(HttpClient, 1);
	self->parent.klass = &http_class;
	self->uri = g_steal_pointer(&uri);
	self->url = g_uri_to_string(self->uri);
	self->session = soup_session_new_with_options(
		"timeout", MESH_PORTAL_HTTP_TIMEOUT_SECONDS, "idle-timeout",
		MESH_PORTAL_HTTP_TIMEOUT_SECONDS, "user-agent", "meshagent/" "0.1", NULL);
	/* Direct connections only: the system proxy resolver (libproxy) may run PAC scripts and
	 * throws C++ exceptions through C frames; TLS to the portal is verified end to end. */
	soup_session_set_proxy_resolver(self->session, NULL);
	if (database != NULL)
		soup_session_set_tls_database(self->session, database);
	return &self->parent;
}
