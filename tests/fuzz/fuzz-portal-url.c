/* SPDX-License-Identifier: MIT */
/* Portal URLs (core/portal-client.h): whatever normalises has a normal form that is its own,
 * starts with https:// or http:// and keeps within the length bound. */
#include <string.h>

#include "fuzz.h"
#include "portal-client.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *text = mesh_fuzz_strndup(data, size);
	g_autofree char *normal = mesh_portal_url_normalize(text, NULL);
	g_autofree char *again = NULL;

	if (normal == NULL)
		return 0;
	again = mesh_portal_url_normalize(normal, NULL);
	if (again == NULL || strcmp(again, normal) != 0 ||
	    !(g_str_has_prefix(normal, "https://") || g_str_has_prefix(normal, "http://")) ||
	    strlen(normal) > 2048 + 32)
		__builtin_trap();
	return 0;
}
