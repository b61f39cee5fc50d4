/* SPDX-License-Identifier: MIT */
/* JWS (flattened JSON) parsing and verification against fixed Ed25519 and P-256 keys. */
#include "fuzz.h"
#include "jose.h"
#include "key.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(MeshJws) jws = mesh_jws_parse((const char *)data, size, 1 << 20, NULL);

	if (jws == NULL)
		return 0;
	(void)mesh_jws_alg(jws);
	(void)mesh_jws_kid(jws);
	(void)mesh_jws_cty(jws);
	for (int alg = MESH_KEY_ED25519; alg <= MESH_KEY_P256; alg++) {
		g_autoptr(GBytes) payload = mesh_jws_verify(jws, mesh_fuzz_key(alg), NULL);

		/* A forged signature under a fixed key would be a finding. */
		if (payload != NULL && alg == MESH_KEY_X25519)
			__builtin_trap();
	}
	return 0;
}
