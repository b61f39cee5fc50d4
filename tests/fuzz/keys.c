/* SPDX-License-Identifier: MIT */
/* Fixed keys for the JOSE fuzz targets, made once from constant private bytes (as OpenSSH's
 * agent fuzzer uses fixed keys), so that verification and decryption paths are reachable. */
#include <string.h>

#include "fuzz.h"
#include "key.h"
#include "secret.h"

static MeshKey *
fixed_key(MeshKeyAlg alg, guint8 fill)
{
	guint8 raw[32];
	g_autoptr(MeshSecret) secret = NULL;
	MeshKey *key;

	memset(raw, fill, sizeof raw);
	secret = mesh_secret_new_from_data(raw, sizeof raw);
	key = mesh_key_from_raw_private(alg, secret, NULL);
	if (key == NULL)
		__builtin_trap();
	return key;
}

MeshKey *
mesh_fuzz_key(int alg)
{
	static MeshKey *keys[4];

	g_assert(alg > 0 && alg < 4);
	if (keys[alg] == NULL)
		keys[alg] = fixed_key(alg, (guint8)(0x40 + alg));
	return keys[alg];
}
