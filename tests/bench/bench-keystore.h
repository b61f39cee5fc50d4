/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "hive.h"

/* bench-keystore's raw TPM path (bench-keystore-tpm2.c): load the key file of @udf in @hive
 * under the SRK once, then Esys_Sign @rounds SHA-256 digests of @data in a password session
 * with @pin (NULL: none) as the key's auth; the seconds taken. */
double bench_raw_tpm2(MeshHive *hive, const char *udf, const char *pin, const guint8 *data,
		      gsize len, long rounds);
