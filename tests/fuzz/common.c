/* SPDX-License-Identifier: MIT */
#include <glib.h>
#include <string.h>

#include "fuzz.h"

char *
mesh_fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = g_malloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}
