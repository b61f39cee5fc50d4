/* SPDX-License-Identifier: MIT */
/* Connection URIs (core/connect.h, "mcu://ACCOUNT/PIN[?portal=URL]"), as a QR code or a user
 * hands them to 'mesh connect request': whatever parses formats back to a URI that parses to the
 * same account, PIN and portal, within the length bound (or is refused as too long, TooLarge,
 * when encoding the portal lengthens it). */
#include <string.h>

#include "connect.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *text = mesh_fuzz_strndup(data, size);
	g_autofree char *account = NULL, *portal = NULL;
	g_autofree char *account2 = NULL, *portal2 = NULL;
	g_autoptr(MeshSecret) pin = NULL;
	g_autoptr(MeshSecret) pin2 = NULL;
	g_autoptr(MeshSecret) uri = NULL;

	g_autoptr(GError) error = NULL;

	if (!mesh_connect_uri_parse(text, &account, &pin, &portal, NULL))
		return 0;
	uri = mesh_connect_uri_format(account, pin, portal, &error);
	/* A portal given with characters raw that the writer encodes may no longer fit. */
	if (uri == NULL && g_error_matches(error, MESH_ERROR, MESH_ERROR_TOO_LARGE))
		return 0;
	if (uri == NULL || strlen((const char *)mesh_secret_get(uri)) > MESH_CONNECT_URI_MAX ||
	    !mesh_connect_uri_parse((const char *)mesh_secret_get(uri), &account2, &pin2, &portal2,
				    NULL) ||
	    strcmp(account, account2) != 0 || !mesh_secret_equal(pin, pin2) ||
	    g_strcmp0(portal, portal2) != 0 ||
	    strlen((const char *)mesh_secret_get(pin)) != MESH_CONNECT_PIN_CHARS)
		__builtin_trap();
	return 0;
}
