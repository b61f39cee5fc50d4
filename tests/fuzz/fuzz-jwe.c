/* SPDX-License-Identifier: MIT */
/* JWE (general JSON) parsing and decryption with fixed X25519 and P-256 keys and a fixed CEK. */
#include "fuzz.h"
#include "jose.h"
#include "key.h"
#include "secret.h"

#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(MeshJwe) jwe = mesh_jwe_parse((const char *)data, size, 1 << 20, NULL);
	g_autoptr(MeshSecret) cek = NULL;
	g_autoptr(MeshSecret) plain = NULL;
	guint8 fixed[32];

	if (jwe == NULL)
		return 0;
	(void)mesh_jwe_cty(jwe);
	for (guint i = 0; i < mesh_jwe_n_recipients(jwe); i++) {
		(void)mesh_jwe_recipient_alg(jwe, i);
		(void)mesh_jwe_recipient_kid(jwe, i);
	}
	for (int alg = MESH_KEY_X25519; alg <= MESH_KEY_P256; alg++) {
		g_autoptr(MeshSecret) p = mesh_jwe_decrypt(jwe, mesh_fuzz_key(alg), NULL);

		(void)p;
	}
	memset(fixed, 0x5a, sizeof fixed);
	cek = mesh_secret_new_from_data(fixed, sizeof fixed);
	plain = mesh_jwe_decrypt_dir(jwe, cek, NULL);
	return 0;
}
