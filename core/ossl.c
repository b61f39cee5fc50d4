/* SPDX-License-Identifier: MIT */
#include "ossl.h"

#include <openssl/err.h>

void
mesh_ossl_error(GError **error, MeshError code, const char *format, ...)
{
	va_list ap;
	g_autofree char *message = NULL;

	ERR_clear_error();
	va_start(ap, format);
	message = g_strdup_vprintf(format, ap);
	va_end(ap);
	g_set_error_literal(error, MESH_ERROR, code, message);
}
