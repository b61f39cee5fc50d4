/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The key stores this OS folder provides, as rows of the table of stores compiled in
 * (backends/backends.c, MeshKeyStoreBackend in backends/router.h): every OS folder has a
 * platform-keystores.h defining MESH_PLATFORM_KEYSTORES (empty when it has none); windows/ lists
 * dpapi there, macos/ keychain.
 */

#include "secretservice.h"

#define MESH_PLATFORM_KEYSTORES                                                                    \
	{"secret", ".secret", mesh_keystore_secret_new,                                            \
	 "the desktop keyring through the Secret Service (Ed25519, X25519, P-256)"},
