/* SPDX-License-Identifier: MIT */
#include "portal-base.h"

#include <gio/gio.h>
#include <string.h>

/* ---- Status codes -------------------------------------------------------------------------- */

/* Every MeshError a portal may answer with, and its status (docs/protocol.md). Codes not
 * listed (none of them arise in the transaction layer) answer 500. */
static const guint error_status[MESH_ERROR_N_CODES] = {
        [MESH_ERROR_OK] = 200,
        [MESH_ERROR_USAGE] = 400,
        [MESH_ERROR_INVALID_ARGUMENT] = 400,
        [MESH_ERROR_MALFORMED] = 400,
        [MESH_ERROR_UNSUPPORTED] = 400,
        [MESH_ERROR_WITNESS_MISMATCH] = 400,
        [MESH_ERROR_PROTOCOL] = 400,
        [MESH_ERROR_BAD_SIGNATURE] = 401,
        [MESH_ERROR_UNAUTHORIZED] = 401,
        [MESH_ERROR_PERMISSION] = 401,
        [MESH_ERROR_REMOVED] = 401,
        [MESH_ERROR_NOT_FOUND] = 404,
        [MESH_ERROR_EXISTS] = 409,
        [MESH_ERROR_STALE] = 409,
        [MESH_ERROR_REJECTED] = 409,
        [MESH_ERROR_EXPIRED] = 410,
        [MESH_ERROR_TOO_LARGE] = 413,
        [MESH_ERROR_RATE_LIMITED] = 429,
        [MESH_ERROR_LOCKED] = 503,
        [MESH_ERROR_TIMEOUT] = 503,
        [MESH_ERROR_NETWORK] = 503,
};

guint
mesh_portal_status_for_error(MeshError code)
{
	if ((unsigned)code >= G_N_ELEMENTS(error_status) || error_status[code] == 0)
		return 500;
	return error_status[code];
}

MeshError
mesh_portal_error_for_status(guint status)
{
	switch (status) {
	case 401:
		return MESH_ERROR_UNAUTHORIZED;
	case 404:
		return MESH_ERROR_NOT_FOUND;
	case 409:
		return MESH_ERROR_EXISTS;
	case 410:
		return MESH_ERROR_EXPIRED;
	case 413:
		return MESH_ERROR_TOO_LARGE;
	case 429:
		return MESH_ERROR_RATE_LIMITED;
	case 500:
		return MESH_ERROR_FAILED;
	default:
		return status >= 500 ? MESH_ERROR_NETWORK : MESH_ERROR_PROTOCOL;
	}
}

const char *
mesh_portal_status_text(guint status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 404:
		return "Not Found";
	case 403:
		return "Forbidden";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 410:
		return "Gone";
	case 413:
		return "Payload Too Large";
	case 415:
		return "Unsupported Media Type";
	case 417:
		return "Expectation Failed";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return status >= 200 && status < 300 ? "OK" : "Internal Server Error";
	}
}

/* ---- Portal URLs --------------------------------------------------------------------------- */

/* Longest portal URL accepted: a host name (253) and a path fit many times over. */
#define URL_MAX 2048

char *
mesh_portal_url_for_domain(const char *domain)
{
	return g_strdup_printf("https://%s" MESH_PORTAL_WELL_KNOWN_PATH, domain);
}

static gboolean
is_loopback(const char *host)
{
	g_autoptr(GInetAddress) address = NULL;

	if (g_ascii_strcasecmp(host, "localhost") == 0)
		return TRUE;
	address = g_inet_address_new_from_string(host);
	return address != NULL && g_inet_address_get_is_loopback(address);
}

/* An IP address literal without a zone (a portal is not reached by link-local address), or a
 * DNS name: labels of letters, digits and '-', not starting or ending with '-'. */
static gboolean
host_ok(const char *host)
{
	gsize label = 0;

	if (*host == '\0' || strlen(host) > 253 || strchr(host, '%') != NULL)
		return FALSE;
	if (g_hostname_is_ip_address(host))
		return TRUE;
	for (const char *p = host;; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > 63 || p[-1] == '-')
				return FALSE;
			if (*p == '\0')
				return TRUE;
			label = 0;
		} else if (g_ascii_isalnum(*p) || (*p == '-' && label > 0)) {
			label++;
		} else {
			return FALSE;
		}
	}
}

/* Printable ASCII but the space: what a URL is written in (a host in punycode). */
static gboolean
chars_ok(const char *url)
{
	for (const char *p = url; *p != '\0'; p++) {
		if (*p <= ' ' || *p > '~')
			return FALSE;
	}
	return TRUE;
}

static char *
bad_url(const char *url, const char *why, GError **error)
{
	g_autofree char *quoted = mesh_error_quote(url);

	g_set_error(
	        error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
	        "'%s' is not a portal URL (%s): give https://HOST[:PORT][/PATH] (no path means "
	        "%s), or http://localhost, 127.0.0.1 or [::1] for a test portal on this machine",
	        quoted, why, MESH_PORTAL_WELL_KNOWN_PATH);
	return NULL;
}

char *
mesh_portal_url_normalize(const char *url, GError **error)
{
	g_autoptr(GUri) uri = NULL;
	g_autofree char *scheme = NULL;
	g_autofree char *host = NULL;
	g_autofree char *port = NULL;
	const char *path;
	gboolean tls;

	if (strnlen(url, URL_MAX + 1) > URL_MAX)
		return bad_url(url, "longer than 2048 bytes", error);
	if (!chars_ok(url))
		return bad_url(url, "spaces, controls or characters that are not ASCII", error);
	/* Encoded: the path is kept as given, percent escapes and all. */
	uri = g_uri_parse(url, G_URI_FLAGS_ENCODED, NULL);
	if (uri == NULL || g_uri_get_host(uri) == NULL)
		return bad_url(url, "no scheme and host", error);
	scheme = g_ascii_strdown(g_uri_get_scheme(uri), -1);
	host = g_ascii_strdown(g_uri_get_host(uri), -1);
	path = g_uri_get_path(uri);
	if (g_uri_get_userinfo(uri) != NULL || g_uri_get_query(uri) != NULL ||
	    g_uri_get_fragment(uri) != NULL)
		return bad_url(url, "a user name, query or fragment", error);
	if (!host_ok(host))
		return bad_url(url, "not a host name or address", error);
	tls = g_str_equal(scheme, "https");
	if (!tls && !g_str_equal(scheme, "http"))
		return bad_url(url, "neither https nor http", error);
	if (!tls && !is_loopback(host))
		return bad_url(url, "plain http to another machine", error);
	if (g_uri_get_port(uri) == 0)
		return bad_url(url, "port 0", error);
	if (g_uri_get_port(uri) > 0 && g_uri_get_port(uri) != (tls ? 443 : 80))
		port = g_strdup_printf(":%d", g_uri_get_port(uri));
	if (*path == '\0' || g_str_equal(path, "/"))
		path = MESH_PORTAL_WELL_KNOWN_PATH;
	return g_strdup_printf("%s://%s%s%s%s%s", scheme, strchr(host, ':') != NULL ? "[" : "",
	                       host, strchr(host, ':') != NULL ? "]" : "", port != NULL ? port : "",
	                       path);
}

/* ---- Clients ------------------------------------------------------------------------------- */

const char *
mesh_portal_client_name(const MeshPortalClient *client)
{
	return client->klass->name;
}

gboolean
mesh_portal_client_transact(MeshPortalClient *client, const char *request, GBytes **ret_answer,
                            guint *ret_status, GError **error)
{
	g_autoptr(GBytes) answer = NULL;
	guint status = 0;

	if (strnlen(request, MESH_PORTAL_MESSAGE_MAX + 1) > MESH_PORTAL_MESSAGE_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
		            "a portal request is at most %d bytes", MESH_PORTAL_MESSAGE_MAX);
		return FALSE;
	}
	if (!client->klass->transact(client, request, &answer, &status, error))
		return FALSE;
	if (g_bytes_get_size(answer) > MESH_PORTAL_MESSAGE_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
		            "the portal's answer is longer than %d bytes", MESH_PORTAL_MESSAGE_MAX);
		return FALSE;
	}
	*ret_answer = g_steal_pointer(&answer);
	*ret_status = status;
	return TRUE;
}

void
mesh_portal_client_close(MeshPortalClient *client)
{
	if (client == NULL)
		return;
	client->klass->close(client);
}
