/* SPDX-License-Identifier: MIT */
/* Base32 and UDF parsing: decode, parse, normalise, match, and re-present what parsed. */
#include "base32.h"
#include "fuzz.h"
#include "udf.h"

#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *text = mesh_fuzz_strndup(data, size);
	g_autoptr(GBytes) binary = NULL;
	guint8 out[128];
	gsize n = 0;
	guint8 type = 0;
	guint bits = 0;

	if (mesh_base32_decode(text, out, sizeof out, &n, NULL)) {
		g_autofree char *again = mesh_base32_encode(out, n, 0);
		g_autofree char *dashed = mesh_base32_dashed(again);
		guint8 back[128];
		gsize m = 0;

		/* Whatever decodes must re-encode to something that decodes to the same bytes. */
		if (!mesh_base32_decode(dashed, back, sizeof back, &m, NULL) || m != n ||
		    memcmp(back, out, n) != 0)
			__builtin_trap();
	}
	if (mesh_udf_parse(text, &type, &binary, &bits, NULL)) {
		gsize len = 0;
		const guint8 *p = g_bytes_get_data(binary, &len);
		g_autofree char *shown = mesh_udf_present(p, len, 0, NULL);

		if (p[0] != type || bits < MESH_UDF_BITS_MIN || !mesh_udf_match(text, text))
			__builtin_trap();
		(void)shown;
	}
	/* Split the input in two and match the halves against each other. */
	if (size > 1) {
		g_autofree char *a = mesh_fuzz_strndup(data, size / 2);
		g_autofree char *b = mesh_fuzz_strndup(data + size / 2, size - size / 2);

		(void)mesh_udf_match(a, b);
	}
	return 0;
}
