/* SPDX-License-Identifier: MIT */
#include "router.h"

#include "error.h"
#include "file.h"
#include "platform-keystores.h"
#ifdef MESH_HAVE_TPM2
#include "tpm2.h"

/* The TCTI from MESH_TPM2_TCTI, else the system's. */
static MeshKeyStore *
open_tpm2(MeshHive *hive, GError **error)
{
	return mesh_keystore_tpm2_new(hive, NULL, error);
}
#endif

static const MeshKeyStoreBackend backends[] = {
	{ "file", ".meta", mesh_keystore_file_new,
	  "OpenSSH key files in the hive (Ed25519, X25519, P-256; optional passphrase)" },
	/* The OS folder's stores (its platform-keystores.h). */
	MESH_PLATFORM_KEYSTORES
#ifdef MESH_HAVE_TPM2
	{ "tpm2", ".tpm-meta", open_tpm2,
	  "a TPM 2.0 (P-256 keys made inside it, never exportable; optional PIN)" },
#endif
};

const MeshKeyStoreBackend *
mesh_keystore_backends(guint *ret_n)
{
	*ret_n = G_N_ELEMENTS(backends);
	return backends;
}

const MeshKeyStoreBackend *
mesh_keystore_backend_find(const char *name, GError **error)
{
	g_autoptr(GString) names = g_string_new(NULL);

	for (gsize i = 0; i < G_N_ELEMENTS(backends); i++) {
		if (g_strcmp0(backends[i].name, name) == 0)
			return &backends[i];
		g_string_append_printf(names, "%s%s", i > 0 ? ", " : "", backends[i].name);
	}
	g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		    "there is no key store '%.40s': choose one of %s", name != NULL ? name : "",
		    names->str);
	return NULL;
}
