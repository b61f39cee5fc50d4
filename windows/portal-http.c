/* SPDX-License-Identifier: MIT */
/*
 * The portal's HTTP client (core/portal-http.h) over WinHTTP, Windows' own HTTP stack, with TLS
 * by SChannel against the system's certificate store. Synchronous WinHTTP handles; the
 * asynchronous form runs a transaction in a GTask thread. Each transaction opens its own
 * connection and request handles on the client's session handle (WinHTTP handles may be used
 * from any thread); the session is reference counted, so a client closed while a transaction
 * runs stays open until it ends.
 */
#include "portal-http.h"

#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <winhttp.h>
#include <string.h>

#include "error.h"

#define READ_CHUNK (64 * 1024)
#define TIMEOUT_MS (MESH_PORTAL_HTTP_TIMEOUT_SECONDS * 1000)

/* What a client needs to reach its portal; shared by the client and its transactions. */
typedef struct {
	HINTERNET session;
	gunichar2 *host;
	gunichar2 *path;
	INTERNET_PORT port;
	gboolean tls;
	char *url;
} Target;

typedef struct {
	MeshPortalClient parent;
	Target *target;
} HttpClient;

static void
target_clear(Target *t)
{
	if (t->session != NULL)
		WinHttpCloseHandle(t->session);
	g_free(t->host);
	g_free(t->path);
	g_free(t->url);
}

static void
target_unref(Target *t)
{
	g_atomic_rc_box_release_full(t, (GDestroyNotify)target_clear);
}

/* ---- Errors -----------------------------------------------------------------------------------
 */

/* What a WinHTTP error code means, in the words of the Linux client's messages. */
static const char *
winhttp_reason(DWORD code)
{
	switch (code) {
	case ERROR_WINHTTP_CANNOT_CONNECT:
		return "cannot connect";
	case ERROR_WINHTTP_NAME_NOT_RESOLVED:
		return "the host name does not resolve";
	case ERROR_WINHTTP_CONNECTION_ERROR:
		return "the connection was reset";
	case ERROR_WINHTTP_SECURE_FAILURE:
	case ERROR_WINHTTP_SECURE_CERT_CN_INVALID:
	case ERROR_WINHTTP_SECURE_CERT_DATE_INVALID:
	case ERROR_WINHTTP_SECURE_INVALID_CA:
	case ERROR_WINHTTP_SECURE_CERT_REVOKED:
	case ERROR_WINHTTP_SECURE_INVALID_CERT:
		return "the TLS certificate is not trusted, or the portal does not speak TLS";
	case ERROR_WINHTTP_INVALID_SERVER_RESPONSE:
		return "the answer is not HTTP";
	case ERROR_WINHTTP_REDIRECT_FAILED:
		return "the portal redirected the request (redirects are not followed)";
	default:
		return "the network request failed";
	}
}

/* The MeshError of the WinHTTP call that just failed (GetLastError()). */
static gboolean
network_error(const char *url, GError **error)
{
	DWORD code = GetLastError();

	if (code == ERROR_WINHTTP_TIMEOUT)
		g_set_error(error, MESH_ERROR, MESH_ERROR_TIMEOUT,
		            "the portal at %s did not answer within %d seconds", url,
		            MESH_PORTAL_HTTP_TIMEOUT_SECONDS);
	else if (code == ERROR_WINHTTP_OPERATION_CANCELLED)
		g_set_error(error, MESH_ERROR, MESH_ERROR_CANCELLED,
		            "the request to the portal at %s was cancelled", url);
	else
		g_set_error(error, MESH_ERROR, MESH_ERROR_NETWORK,
		            "the portal at %s: %s (WinHTTP error %lu)", url, winhttp_reason(code),
		            (unsigned long)code);
	return FALSE;
}

static gboolean
cancelled(const Target *t, GCancellable *cancellable, GError **error)
{
	if (!g_cancellable_is_cancelled(cancellable))
		return FALSE;
	g_set_error(error, MESH_ERROR, MESH_ERROR_CANCELLED,
	            "the request to the portal at %s was cancelled", t->url);
	return TRUE;
}

/* ---- One transaction --------------------------------------------------------------------------
 */

static gboolean
set_dword(HINTERNET handle, DWORD option, DWORD value)
{
	return WinHttpSetOption(handle, option, &value, sizeof value);
}

/* No redirects, no cookies, never the user's Windows credentials. */
static gboolean
harden_request(HINTERNET request)
{
	return set_dword(request, WINHTTP_OPTION_DISABLE_FEATURE,
	                 WINHTTP_DISABLE_REDIRECTS | WINHTTP_DISABLE_COOKIES) &&
	       set_dword(request, WINHTTP_OPTION_AUTOLOGON_POLICY,
	                 WINHTTP_AUTOLOGON_SECURITY_LEVEL_HIGH);
}

/* Read the answer into a new GBytes of at most MESH_PORTAL_MESSAGE_MAX bytes: one byte more
 * than the limit is asked for, so that an answer over it is seen without reading all of it. */
static gboolean
read_bounded(const Target *t, HINTERNET request, GCancellable *cancellable, GBytes **ret_body,
             GError **error)
{
	g_autoptr(GByteArray) body = g_byte_array_new();

	for (;;) {
		DWORD want = MIN(MESH_PORTAL_MESSAGE_MAX + 1 - body->len, READ_CHUNK);
		DWORD got = 0;
		guint old = body->len;

		if (cancelled(t, cancellable, error))
			return FALSE;
		g_byte_array_set_size(body, old + want);
		if (!WinHttpReadData(request, body->data + old, want, &got))
			return network_error(t->url, error);
		g_byte_array_set_size(body, old + got);
		if (got == 0)
			break;
		if (body->len > MESH_PORTAL_MESSAGE_MAX) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			            "the portal at %s answered more than %d bytes", t->url,
			            MESH_PORTAL_MESSAGE_MAX);
			return FALSE;
		}
	}
	*ret_body = g_byte_array_free_to_bytes(g_steal_pointer(&body));
	return TRUE;
}

static gboolean
transact(Target *t, const char *request_text, GCancellable *cancellable, GBytes **ret_answer,
         guint *ret_status, GError **error)
{
	static const gunichar2 post[] = {'P', 'O', 'S', 'T', 0};
	static const gunichar2 json[] = {'a', 'p', 'p', 'l', 'i', 'c', 'a', 't', 'i',
	                                 'o', 'n', '/', 'j', 's', 'o', 'n', 0};
	static const gunichar2 headers[] = {'C', 'o', 'n', 't', 'e', 'n', 't', '-', 'T', 'y', 'p',
	                                    'e', ':', ' ', 'a', 'p', 'p', 'l', 'i', 'c', 'a', 't',
	                                    'i', 'o', 'n', '/', 'j', 's', 'o', 'n', 0};
	LPCWSTR accept[] = {(LPCWSTR)json, NULL};
	gsize len = strnlen(request_text, MESH_PORTAL_MESSAGE_MAX + 1);
	HINTERNET connect = NULL, request = NULL;
	DWORD status = 0, size = sizeof status;
	g_autoptr(GBytes) answer = NULL;
	gboolean ok = FALSE;

	if (len > MESH_PORTAL_MESSAGE_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
		            "a portal request is at most %d bytes", MESH_PORTAL_MESSAGE_MAX);
		return FALSE;
	}
	if (cancelled(t, cancellable, error))
		return FALSE;
	connect = WinHttpConnect(t->session, (LPCWSTR)t->host, t->port, 0);
	if (connect != NULL)
		request = WinHttpOpenRequest(connect, (LPCWSTR)post, (LPCWSTR)t->path, NULL,
		                             WINHTTP_NO_REFERER, accept,
		                             t->tls ? WINHTTP_FLAG_SECURE : 0);
	if (request == NULL || !harden_request(request) ||
	    !WinHttpSendRequest(request, (LPCWSTR)headers, (DWORD)-1L, (LPVOID)request_text,
	                        (DWORD)len, (DWORD)len, 0) ||
	    !WinHttpReceiveResponse(request, NULL)) {
		network_error(t->url, error);
		goto out;
	}
	if (!WinHttpQueryHeaders(request, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
	                         WINHTTP_HEADER_NAME_BY_INDEX, &status, &size,
	                         WINHTTP_NO_HEADER_INDEX)) {
		network_error(t->url, error);
		goto out;
	}
	if (!read_bounded(t, request, cancellable, &answer, error) ||
	    cancelled(t, cancellable, error))
		goto out;
	*ret_answer = g_steal_pointer(&answer);
	*ret_status = status;
	ok = TRUE;
out:
	if (request != NULL)
		WinHttpCloseHandle(request);
	if (connect != NULL)
		WinHttpCloseHandle(connect);
	return ok;
}

static gboolean
http_transact(MeshPortalClient *client, const char *request, GBytes **ret_answer, guint *ret_status,
              GError **error)
{
	return transact(((HttpClient *)client)->target, request, NULL, ret_answer, ret_status,
	                error);
}

static void
http_close(MeshPortalClient *client)
{
	HttpClient *self = (HttpClient *)client;

	if (self->target != NULL)
		target_unref(self->target);
	g_free(self);
}

static const MeshPortalClientClass http_class = {
        .name = "http",
        .transact = http_transact,
        .close = http_close,
};

/* ---- Asynchronous transactions ----------------------------------------------------------------
 */

typedef struct {
	Target *target; /* a reference: the client may be closed before the answer comes */
	char *request;
} Transaction;

static void
transaction_free(Transaction *t)
{
	target_unref(t->target);
	g_free(t->request);
	g_free(t);
}

static void
run_transaction(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
	Transaction *t = data;
	GBytes *answer = NULL;
	guint status = 0;
	GError *error = NULL;

	(void)source;
	if (!transact(t->target, t->request, cancellable, &answer, &status, &error))
		g_task_return_error(task, error);
	else
		mesh_portal_http_task_return(task, answer, status);
}

void
mesh_portal_client_http_transact_async(MeshPortalClient *client, const char *request,
                                       GCancellable *cancellable, GAsyncReadyCallback callback,
                                       gpointer user_data)
{
	HttpClient *self = (HttpClient *)client;
	g_autoptr(GTask) task = NULL;
	Transaction *t;

	g_return_if_fail(client->klass == &http_class);
	task = g_task_new(NULL, cancellable, callback, user_data);
	g_task_set_source_tag(task, mesh_portal_client_http_transact_async);
	/* Our own errors, the cancel included (MESH_ERROR_CANCELLED), come through. */
	g_task_set_check_cancellable(task, FALSE);
	if (strnlen(request, MESH_PORTAL_MESSAGE_MAX + 1) > MESH_PORTAL_MESSAGE_MAX) {
		g_task_return_new_error(task, MESH_ERROR, MESH_ERROR_TOO_LARGE,
		                        "a portal request is at most %d bytes",
		                        MESH_PORTAL_MESSAGE_MAX);
		return;
	}
	t = g_new0(Transaction, 1);
	t->target = g_atomic_rc_box_acquire(self->target);
	t->request = g_strdup(request);
	g_task_set_task_data(task, t, (GDestroyNotify)transaction_free);
	g_task_run_in_thread(task, run_transaction);
}

/* ---- Opening ----------------------------------------------------------------------------------
 */

/* The session: no proxy, the time-outs, TLS 1.2 or later. */
static HINTERNET
open_session(void)
{
	static const gunichar2 agent[] = {'m', 'e', 's', 'h', 'a', 'g', 'e',
	                                  'n', 't', '/', '0', '.', '1', 0};
	HINTERNET session = WinHttpOpen((LPCWSTR)agent, WINHTTP_ACCESS_TYPE_NO_PROXY,
	                                WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);

	if (session == NULL)
		return NULL;
	/* Windows before 10 (and Wine) may not know TLS 1.3: then TLS 1.2 alone. */
	if (!WinHttpSetTimeouts(session, TIMEOUT_MS, TIMEOUT_MS, TIMEOUT_MS, TIMEOUT_MS) ||
	    (!set_dword(session, WINHTTP_OPTION_SECURE_PROTOCOLS,
	                WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_2 |
	                        WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_3) &&
	     !set_dword(session, WINHTTP_OPTION_SECURE_PROTOCOLS,
	                WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_2))) {
		WinHttpCloseHandle(session);
		return NULL;
	}
	return session;
}

MeshPortalClient *
mesh_portal_client_http_new(const char *url, const char *ca_file, GError **error)
{
	g_autofree char *normal = mesh_portal_url_normalize(url, error);
	g_autoptr(GUri) uri = NULL;
	Target *t;
	HttpClient *self;

	if (normal == NULL)
		return NULL;
	if (ca_file != NULL) {
		/* WinHTTP verifies against the system's store only; a CA file would need a
		 * verification of our own beside SChannel's. */
		g_set_error(
		        error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
		        "a CA file is not used on Windows: add the portal's CA to the user's "
		        "trusted roots (certutil -user -addstore Root CA.pem) and give no CA file");
		return NULL;
	}
	uri = g_uri_parse(normal, G_URI_FLAGS_ENCODED, error);
	if (uri == NULL)
		return NULL;
	t = g_atomic_rc_box_new0(Target);
	t->tls = g_str_equal(g_uri_get_scheme(uri), "https");
	t->port = g_uri_get_port(uri) > 0
	                  ? (INTERNET_PORT)g_uri_get_port(uri)
	                  : (t->tls ? INTERNET_DEFAULT_HTTPS_PORT : INTERNET_DEFAULT_HTTP_PORT);
	t->host = g_utf8_to_utf16(g_uri_get_host(uri), -1, NULL, NULL, NULL);
	t->path = g_utf8_to_utf16(g_uri_get_path(uri), -1, NULL, NULL, NULL);
	t->url = g_steal_pointer(&normal);
	t->session = open_session();
	if (t->host == NULL || t->path == NULL || t->session == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NETWORK,
		            "WinHTTP cannot open a session for %s (Windows error %lu)", t->url,
		            (unsigned long)GetLastError());
		target_unref(t);
		return NULL;
	}
	self = g_new0(HttpClient, 1);
	self->parent.klass = &http_class;
	self->target = t;
	return &self->parent;
}
