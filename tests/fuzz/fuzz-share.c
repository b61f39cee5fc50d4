/* SPDX-License-Identifier: MIT */
/* Share parsing and combination: the input is a list of share texts, one per line. */
#include "fuzz.h"
#include "secret.h"
#include "shamir.h"

#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *text = mesh_fuzz_strndup(data, size);
	g_auto(GStrv) lines = NULL;
	g_autoptr(MeshSecret) secret = NULL;
	g_autoptr(MeshSecret) value = NULL;
	guint quorum = 0, index = 0;

	if (size > 4096)
		return 0;
	lines = g_strsplit(text, "\n", 32);
	if (lines[0] != NULL && mesh_shamir_parse_share(lines[0], &quorum, &index, &value, NULL)) {
		if (quorum < 2 || quorum > 15 || index < 1 || index > 15)
			__builtin_trap();
	}
	secret = mesh_shamir_combine((const char *const *)lines, g_strv_length(lines), NULL);
	if (secret != NULL && (mesh_secret_len(secret) < 1 || mesh_secret_len(secret) > 64))
		__builtin_trap();
	return 0;
}
