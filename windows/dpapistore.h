/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "hive.h"
#include "keystore.h"

G_BEGIN_DECLS

/*
 * The "dpapi" key store (this header is not named dpapi.h: that is the system's, which
 * wincrypt.h includes): private keys protected by the Windows Data Protection API for the
 * current user, kept in the hive's Keys folder beside a marker with their public part.
 *
 *   Keys/<udf>.dpapi       the DPAPI blob (CryptProtectData, current user,
 *                          CRYPTPROTECT_UI_FORBIDDEN) of the key's 32 raw private bytes
 *                          (mesh_key_to_raw_private(): the Ed25519 seed, the X25519 scalar, the
 *                          big-endian P-256 scalar), with as entropy the fixed string
 *                          "org.mathematicalmesh.dpapi.v1", a NUL, the key's UDF, a NUL and its
 *                          algorithm name: a blob moved to another key's entry does not open.
 *   Keys/<udf>.dpapi-meta  the marker (core/marker.h):
 *                            {"Use":"Signature","Algorithm":"Ed25519","Public":"<SPKI>"}
 *                          ("Public": the DER SubjectPublicKeyInfo, base64url), so that list()
 *                          and get_public() never unprotect anything.
 *
 * The blob is written before the marker and removed after it, so a key is listed only when its
 * blob exists. The protected bytes are unprotected for each sign, agree or export and live only
 * in a MeshSecret and the MeshKey made from it; DPAPI's output buffer is wiped
 * (SecureZeroMemory) before LocalFree. Every load checks that the key is the one the UDF and
 * the marker name. A blob that does not unprotect (changed, moved from another entry, made by
 * another Windows user or on another machine) is MESH_ERROR_DECRYPT naming the entry.
 *
 * What DPAPI gives: the blob opens only for the Windows user who made it (its key derives from
 * the user's logon secret), and only on that machine unless the profile roams. Nothing to
 * unlock: caps ED25519 | X25519 | P256; import and export_private are supported.
 */

/*
 * mesh_keystore_dpapi_new: the dpapi store over @hive. The store keeps a pointer to @hive; the
 * caller keeps the hive open until the store is closed. Returns a new store (close with
 * mesh_keystore_close()). Errors: MESH_ERROR_INVALID_ARGUMENT when @hive is NULL.
 */
MeshKeyStore *mesh_keystore_dpapi_new(MeshHive *hive, GError **error);

G_END_DECLS
