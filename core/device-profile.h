/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "jose.h"
#include "key.h"

G_BEGIN_DECLS

/*
 * Profiles (docs/protocol.md §6). Every profile is tagged JSON signed as a JWS (§4) inside a wrapper
 * that carries the profile's identifier: {"SignedDeviceProfile": {"Identifier", "SignedData"}}.
 * Readers verify before they return anything: a profile that does not verify is an error,
 * never a value.
 */

/* Largest serialised profile accepted (docs/protocol.md §10). */
#define MESH_PROFILE_MAX (256 * 1024)
/* Names[] of a device: at most this many, each at most MESH_PROFILE_TEXT_MAX bytes. */
#define MESH_PROFILE_NAMES_MAX 16
#define MESH_PROFILE_TEXT_MAX  256

/*
 * MeshDeviceProfile: a device's public keys (docs/protocol.md §6). Identifier = UDF of the signature
 * key. Signature and authentication keys are Ed25519 or P-256; the encryption key X25519 or
 * P-256. Keys here are public.
 */
typedef struct {
	char *identifier;
	char *description; /* may be NULL */
	GPtrArray *names;  /* char *; may be empty */
	MeshKey *signature_key;
	MeshKey *authentication_key;
	MeshKey *encryption_key;
	char *created; /* RFC 3339 UTC */
} MeshDeviceProfile;

/*
 * mesh_device_profile_new: a profile for the public parts of three keys, created now.
 * Errors: MESH_ERROR_INVALID_ARGUMENT (a key of the wrong algorithm for its use, or a
 * description that is not a display string of at most MESH_TEXT_DESCRIPTION_MAX characters:
 * core/text.h).
 */
MeshDeviceProfile *mesh_device_profile_new(const char *description, const MeshKey *signature_key,
					   const MeshKey *authentication_key,
					   const MeshKey *encryption_key, GError **error);
void mesh_device_profile_free(MeshDeviceProfile *profile);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshDeviceProfile, mesh_device_profile_free)

/* mesh_device_profile_to_json: {"DeviceProfile": {...}} (a new node). */
JsonNode *mesh_device_profile_to_json(const MeshDeviceProfile *profile);

/*
 * mesh_device_profile_from_json: read {"DeviceProfile": {...}} — no signature check (use
 * mesh_device_profile_verify for anything from outside). Errors: MESH_ERROR_MALFORMED (wrong
 * tag, wrong types, unknown members, Identifier not the signature key's UDF), key errors.
 */
MeshDeviceProfile *mesh_device_profile_from_json(JsonNode *node, GError **error);

/*
 * mesh_device_profile_sign: the self-signed {"SignedDeviceProfile": {"Identifier",
 * "SignedData": JWS}}; @sign makes signatures with the profile's signature key (whose private
 * part may be in a key store). Returns a new node.
 */
JsonNode *mesh_device_profile_sign(const MeshDeviceProfile *profile, MeshJwsSignFunc sign,
				   gpointer user_data, GError **error);

/*
 * mesh_device_profile_verify: read a SignedDeviceProfile and check it: the wrapper's Identifier,
 * the JWS "kid" and the profile's Identifier are all the UDF of its DeviceSignatureKey, "cty" is
 * "DeviceProfile", and the signature verifies under that key. Errors: MESH_ERROR_MALFORMED,
 * MESH_ERROR_TOO_LARGE, MESH_ERROR_BAD_SIGNATURE (tampered or signed by another key).
 */
MeshDeviceProfile *mesh_device_profile_verify(JsonNode *node, GError **error);

/* mesh_device_profile_parse: strict JSON parse of @len bytes (at most MESH_PROFILE_MAX), then
 * mesh_device_profile_verify. */
MeshDeviceProfile *mesh_device_profile_parse(const char *text, gsize len, GError **error);

G_END_DECLS
