/* SPDX-License-Identifier: MIT */
/* bench-keystore's raw TPM path: ESAPI directly, the key loaded once, Esys_Sign in a loop in a
 * password session (the key's PIN, if any, in the clear). */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include "bench-keystore.h"
#include "tss2key.h"

static G_NORETURN void
fail(const char *what, TSS2_RC rc)
{
	fprintf(stderr, "bench-keystore: tpm2: %s (0x%x)\n", what, rc);
	exit(1);
}

double
bench_raw_tpm2(MeshHive *hive, const char *udf, const char *pin, const guint8 *data, gsize len,
	       long rounds)
{
	g_autofree char *name = g_strconcat(udf, ".tpm", NULL);
	g_autoptr(GBytes) pem = NULL;
	g_autoptr(GError) error = NULL;
	const TPM2B_SENSITIVE_CREATE sensitive = { 0 };
	const TPM2B_DATA outside = { 0 };
	const TPML_PCR_SELECTION pcrs = { 0 };
	const TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_ECDSA,
					 .details.ecdsa.hashAlg = TPM2_ALG_SHA256 };
	const TPMT_TK_HASHCHECK ticket = { .tag = TPM2_ST_HASHCHECK,
					   .hierarchy = TPM2_RH_NULL };
	TSS2_TCTI_CONTEXT *tcti = NULL;
	ESYS_CONTEXT *esys = NULL;
	ESYS_TR primary = ESYS_TR_NONE, key = ESYS_TR_NONE;
	MeshTss2Key file;
	TPM2B_DIGEST digest = { .size = 32 };
	TPM2B_AUTH auth = { .size = 0 };
	unsigned int dlen = 32;
	double t0, t;
	TSS2_RC rc;

	if (!mesh_hive_read(hive, MESH_HIVE_KEYS, name, MESH_TSS2KEY_PEM_MAX, &pem, &error) ||
	    !mesh_tss2key_decode(g_bytes_get_data(pem, NULL), g_bytes_get_size(pem), &file,
				 &error)) {
		fprintf(stderr, "bench-keystore: tpm2: %s\n", error->message);
		exit(1);
	}
	if ((rc = Tss2_TctiLdr_Initialize(g_getenv("MESH_TPM2_TCTI"), &tcti)) != TSS2_RC_SUCCESS)
		fail("Tss2_TctiLdr_Initialize", rc);
	if ((rc = Esys_Initialize(&esys, tcti, NULL)) != TSS2_RC_SUCCESS)
		fail("Esys_Initialize", rc);
	rc = Esys_CreatePrimary(esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
				&sensitive, mesh_tss2key_primary_template(), &outside, &pcrs,
				&primary, NULL, NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS)
		fail("Esys_CreatePrimary", rc);
	rc = Esys_Load(esys, primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &file.priv,
		       &file.pub, &key);
	if (rc != TSS2_RC_SUCCESS)
		fail("Esys_Load", rc);
	if (pin != NULL) {
		auth.size = (UINT16)strlen(pin);
		memcpy(auth.buffer, pin, auth.size);
		if ((rc = Esys_TR_SetAuth(esys, key, &auth)) != TSS2_RC_SUCCESS)
			fail("Esys_TR_SetAuth", rc);
	}
	EVP_Digest(data, len, digest.buffer, &dlen, EVP_sha256(), NULL);
	t0 = (double)g_get_monotonic_time() / 1e6;
	for (long r = 0; r < rounds; r++) {
		TPMT_SIGNATURE *sig = NULL;

		rc = Esys_Sign(esys, key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &digest,
			       &scheme, &ticket, &sig);
		if (rc != TSS2_RC_SUCCESS)
			fail("Esys_Sign", rc);
		Esys_Free(sig);
	}
	t = (double)g_get_monotonic_time() / 1e6 - t0;
	Esys_FlushContext(esys, key);
	Esys_FlushContext(esys, primary);
	Esys_Finalize(&esys);
	Tss2_TctiLdr_Finalize(&tcti);
	return t;
}
