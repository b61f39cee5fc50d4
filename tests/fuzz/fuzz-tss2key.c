/* SPDX-License-Identifier: MIT */
/* The TPM 2.0 key file codec (backends/tss2key.c): PEM and DER decoding of hostile bytes, the
 * public key extraction, and re-encoding of whatever decodes. */
#include "error.h"
#include "fuzz.h"
#include "tss2key.h"

#include <string.h>

static void
check_decoded(const MeshTss2Key *key)
{
	g_autoptr(GBytes) der = mesh_tss2key_encode_der(key, NULL);
	g_autofree char *pem = mesh_tss2key_encode(key, NULL);
	g_autoptr(MeshKey) pub = mesh_tss2key_public_key(&key->pub, NULL);
	MeshTss2Key again;

	/* Whatever decodes re-encodes, and the encoding decodes to the same key. */
	if (der == NULL || pem == NULL)
		__builtin_trap();
	if (!mesh_tss2key_decode(pem, strlen(pem), &again, NULL) ||
	    again.empty_auth != key->empty_auth || again.parent != key->parent ||
	    memcmp(&again.pub, &key->pub, sizeof again.pub) != 0 ||
	    memcmp(&again.priv, &key->priv, sizeof again.priv) != 0)
		__builtin_trap();
	(void)pub;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	MeshTss2Key key;

	if (mesh_tss2key_decode((const char *)data, size, &key, NULL))
		check_decoded(&key);
	if (mesh_tss2key_decode_der(data, size, &key, NULL))
		check_decoded(&key);
	return 0;
}
