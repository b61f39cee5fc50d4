/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "jose.h"
#include "key.h"
#include "signed.h"

G_BEGIN_DECLS

/*
 * MeshMasterProfile (docs/protocol.md §6): the root of a personal Mesh.
 * {"MasterProfile": {Identifier, MasterSignatureKey, MasterEscrowKeys[], OnlineSignatureKeys[],
 * Serial, Created}}, signed by the master signature key →
 * {"SignedMasterProfile": {"Identifier", "SignedData": JWS}}.
 *
 * Identifier = the UDF of MasterSignatureKey: the profile's fingerprint, the one value a user
 * compares. MasterSignatureKey and OnlineSignatureKeys (the administration keys, one per
 * administration device) are Ed25519 or P-256; MasterEscrowKeys (which can read every
 * application profile, for recovery) are X25519 or P-256. Every key here is public. Each list
 * holds at least one key and no key twice.
 */

#define MESH_MASTER_ESCROW_KEYS_MAX 16
/* One administration key per administration device, so at most one per device. */
#define MESH_MASTER_ONLINE_KEYS_MAX 1000

typedef struct {
	char *identifier;
	MeshKey *signature_key;
	GPtrArray *escrow_keys; /* MeshKey *, public */
	GPtrArray *online_keys; /* MeshKey *, public */
	gint64 serial;          /* 1..MESH_SERIAL_MAX */
	char *created;          /* RFC 3339 UTC */
} MeshMasterProfile;

/*
 * mesh_master_profile_new: a master profile (serial 1, created now) for the public parts of the
 * given keys. Errors: MESH_ERROR_INVALID_ARGUMENT (a key of the wrong algorithm for its use, no
 * escrow or no online key, too many, or a key twice in a list).
 */
MeshMasterProfile *mesh_master_profile_new(const MeshKey *signature_key,
					   MeshKey *const *escrow_keys, guint n_escrow_keys,
					   MeshKey *const *online_keys, guint n_online_keys,
					   GError **error);
void mesh_master_profile_free(MeshMasterProfile *profile);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshMasterProfile, mesh_master_profile_free)

/* mesh_master_profile_to_json: {"MasterProfile": {...}} (a new node). */
JsonNode *mesh_master_profile_to_json(const MeshMasterProfile *profile);

/*
 * mesh_master_profile_from_json: read {"MasterProfile": {...}} — no signature check. Errors:
 * MESH_ERROR_MALFORMED (wrong tag, wrong types, unknown members, a bad key list, Serial not an
 * integer in range, Identifier not the signature key's UDF), key errors.
 */
MeshMasterProfile *mesh_master_profile_from_json(JsonNode *node, GError **error);

/*
 * mesh_master_profile_sign: {"SignedMasterProfile": {"Identifier", "SignedData": JWS}}, signed
 * by the master signature key through @sign. Returns a new node. Errors: MESH_ERROR_TOO_LARGE
 * (above MESH_PROFILE_MAX), those of @sign and of mesh_jws_sign_with.
 */
JsonNode *mesh_master_profile_sign(const MeshMasterProfile *profile, MeshJwsSignFunc sign,
				   gpointer user_data, GError **error);

/*
 * mesh_master_profile_verify: read a SignedMasterProfile and check it: it is self-signed (the
 * JWS "kid", the wrapper's Identifier and the profile's Identifier are the UDF of its
 * MasterSignatureKey; "cty" is "MasterProfile") and the signature verifies. Errors:
 * MESH_ERROR_MALFORMED, MESH_ERROR_TOO_LARGE, MESH_ERROR_BAD_SIGNATURE.
 */
MeshMasterProfile *mesh_master_profile_verify(JsonNode *node, GError **error);

/* mesh_master_profile_parse: strict parse of @len bytes (at most MESH_PROFILE_MAX), then
 * mesh_master_profile_verify. */
MeshMasterProfile *mesh_master_profile_parse(const char *text, gsize len, GError **error);

/* mesh_master_profile_online_key: the OnlineSignatureKey whose UDF is @udf (owned by
 * @profile), or NULL. */
MeshKey *mesh_master_profile_online_key(const MeshMasterProfile *profile, const char *udf);

/*
 * mesh_master_profile_check_online_key: for writers of objects an administration key signs.
 * Errors: MESH_ERROR_UNAUTHORIZED (naming @what) unless @key is one of @profile's
 * OnlineSignatureKeys.
 */
gboolean mesh_master_profile_check_online_key(const MeshMasterProfile *profile, const MeshKey *key,
					      const char *what, GError **error);

/*
 * mesh_master_profile_verify_signed: check that @object (from mesh_signed_open or
 * mesh_signed_open_jws) is signed by one of @profile's OnlineSignatureKeys. Returns that key
 * (owned by @profile). Errors: MESH_ERROR_UNAUTHORIZED (its "kid" is not an OnlineSignatureKey:
 * signed by a key the master never authorised), MESH_ERROR_BAD_SIGNATURE, MESH_ERROR_CRYPTO.
 */
MeshKey *mesh_master_profile_verify_signed(const MeshMasterProfile *profile,
					   const MeshSignedObject *object, const char *what,
					   GError **error);

/*
 * mesh_master_profile_add_online_key / _remove_online_key: change the administration keys.
 * The caller then calls mesh_master_profile_touch and signs again with the master key.
 * Errors: MESH_ERROR_INVALID_ARGUMENT (wrong algorithm), MESH_ERROR_EXISTS,
 * MESH_ERROR_TOO_LARGE (MESH_MASTER_ONLINE_KEYS_MAX), MESH_ERROR_NOT_FOUND, and
 * MESH_ERROR_INVALID_ARGUMENT when removing the last key.
 */
gboolean mesh_master_profile_add_online_key(MeshMasterProfile *profile, const MeshKey *key,
					    GError **error);
gboolean mesh_master_profile_remove_online_key(MeshMasterProfile *profile, const char *udf,
					       GError **error);

/* mesh_master_profile_touch: Serial + 1, for a re-publication. Errors: MESH_ERROR_INVALID_ARGUMENT
 * at MESH_SERIAL_MAX. */
gboolean mesh_master_profile_touch(MeshMasterProfile *profile, GError **error);

G_END_DECLS
