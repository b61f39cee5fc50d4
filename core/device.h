/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "hive.h"
#include "keystore.h"
#include "device-profile.h"

G_BEGIN_DECLS

/*
 * This machine's devices: session operations over a MeshHive and a MeshKeyStore (docs/design.md:
 * core/ is written against these two interfaces, so tests can simulate several devices).
 */

/*
 * mesh_device_create: make the signature, authentication and encryption keys in @store (Ed25519,
 * Ed25519, X25519 when the store can; P-256 for all three otherwise), protected by @passphrase
 * when not NULL, and a self-signed SignedDeviceProfile; store it as ThisDevice/<udf>.json and
 * make it the default when there is none. Returns the profile. On failure, keys already made
 * are removed again. Errors: those of the store and the hive.
 */
gboolean mesh_device_create(MeshHive *hive, MeshKeyStore *store, const char *description,
			    const MeshSecret *passphrase, MeshDeviceProfile **ret_profile,
			    GError **error);

/*
 * mesh_device_load: the device profile @udf (NULL: the default device), read from
 * ThisDevice/<udf>.json and verified. A profile that does not verify is reported, not used:
 * MESH_ERROR_BAD_SIGNATURE or MESH_ERROR_MALFORMED with a message naming the file. Also
 * MESH_ERROR_NOT_FOUND ("no device: run 'mesh device create'"). @ret_signed (may be NULL)
 * receives the SignedDeviceProfile as stored.
 */
gboolean mesh_device_load(MeshHive *hive, const char *udf, MeshDeviceProfile **ret_profile,
			  JsonNode **ret_signed, GError **error);

/*
 * mesh_device_list: the identifiers of the device profiles in ThisDevice/ (GPtrArray of char *,
 * sorted), and the default one in @ret_default (NULL when none; may be NULL).
 */
gboolean mesh_device_list(MeshHive *hive, GPtrArray **ret_udfs, char **ret_default,
			  GError **error);

G_END_DECLS
