/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The key stores this OS folder provides, as rows of the table of stores compiled in
 * (backends/backends.c, MeshKeyStoreBackend in backends/router.h): dpapi (windows/dpapistore.h).
 */

#include "dpapistore.h"

#define MESH_PLATFORM_KEYSTORES                                                                    \
	{"dpapi", ".dpapi-meta", mesh_keystore_dpapi_new,                                          \
	 "the user's keys protected by Windows DPAPI, in the hive (Ed25519, X25519, P-256)"},
