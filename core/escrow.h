/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "jose.h"
#include "key.h"
#include "master.h"
#include "secret.h"

G_BEGIN_DECLS

/*
 * Offline escrow (docs/protocol.md §6): the master keys, encrypted under a random secret that is
 * split into Shamir shares (§5).
 *
 *   secret        = 32 random bytes
 *   Identifier    = content digest UDF (SHA-512, 140 bits) of the secret, ct
 *                   "application/mmm-escrowed"
 *   CEK           = HKDF-SHA-512(IKM = secret, salt = empty, info = "mesh escrow", 32 bytes)
 *   EncryptedData = JWE (general JSON, one recipient "alg":"dir" with "kid" = Identifier,
 *                   "enc":"A256GCM", protected "cty":"EscrowedKeySet") of
 *                   {"EscrowedKeySet": {"MasterSignatureKey": <private JWK>,
 *                                       "MasterEscrowKeys": [<private JWK>, ...]}}
 *   entry         = {"OfflineEscrowEntry": {"Identifier", "EncryptedData"}}
 *
 * The key set is written and read in secure memory only (core/secjson.h).
 */

#define MESH_ESCROW_SECRET_LEN 32
#define MESH_ESCROW_CT         "application/mmm-escrowed"
#define MESH_ESCROW_INFO       "mesh escrow"
/* Largest entry accepted (it holds at most 17 private keys; this is ample). */
#define MESH_ESCROW_MAX (64 * 1024)

typedef struct {
	char *identifier;
	MeshJwe *encrypted_data;
	JsonNode *encrypted_node; /* the JWE as read, for writing the entry back */
} MeshEscrowEntry;

void mesh_escrow_entry_free(MeshEscrowEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshEscrowEntry, mesh_escrow_entry_free)

/* The private master keys an escrow holds. */
typedef struct {
	MeshKey *signature_key; /* private */
	GPtrArray *escrow_keys; /* MeshKey *, private */
} MeshEscrowedKeys;

void mesh_escrowed_keys_free(MeshEscrowedKeys *keys);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshEscrowedKeys, mesh_escrowed_keys_free)

/*
 * mesh_escrow_create: escrow the PRIVATE @signature_key and @n_escrow_keys PRIVATE @escrow_keys
 * (1..MESH_MASTER_ESCROW_KEYS_MAX) under a fresh secret split into @shares shares, any @quorum
 * of which recover it (2 <= quorum <= shares <= 15). Sets @ret_entry to the new
 * {"OfflineEscrowEntry": ...} node and @ret_shares to the share texts (GPtrArray of MeshSecret *
 * as mesh_shamir_split returns them, in share order). Errors: MESH_ERROR_INVALID_ARGUMENT (a
 * public key, a key of the wrong algorithm, a bad count, quorum or share count),
 * MESH_ERROR_CRYPTO.
 */
gboolean mesh_escrow_create(const MeshKey *signature_key, MeshKey *const *escrow_keys,
			    guint n_escrow_keys, guint quorum, guint shares, JsonNode **ret_entry,
			    GPtrArray **ret_shares, GError **error);

/*
 * mesh_escrow_entry_from_json: read {"OfflineEscrowEntry": {...}}. Errors: MESH_ERROR_MALFORMED
 * (wrong tag or types, unknown members, Identifier not a SHA-512 content digest UDF, no "dir"
 * recipient), MESH_ERROR_UNSUPPORTED, MESH_ERROR_TOO_LARGE (from the JWE reader).
 */
MeshEscrowEntry *mesh_escrow_entry_from_json(JsonNode *node, GError **error);

/* mesh_escrow_entry_parse: strict parse of @len bytes (at most MESH_ESCROW_MAX), then
 * mesh_escrow_entry_from_json. */
MeshEscrowEntry *mesh_escrow_entry_parse(const char *text, gsize len, GError **error);

/* mesh_escrow_entry_to_json: the entry as a new {"OfflineEscrowEntry": ...} node. */
JsonNode *mesh_escrow_entry_to_json(const MeshEscrowEntry *entry);

/*
 * mesh_escrow_recover: the keys held by @entry, from @n_shares share texts. Errors: those of
 * mesh_shamir_combine (MESH_ERROR_SHARE_QUORUM too few, MESH_ERROR_SHARE_CORRUPT,
 * MESH_ERROR_SHARE_DUPLICATE, MESH_ERROR_SHARE_MISMATCH for mixed quorums or lengths);
 * MESH_ERROR_SHARE_MISMATCH "these shares belong to another escrow" when the shares combine to a
 * secret whose identifier is not the entry's; MESH_ERROR_DECRYPT when the entry does not open
 * with it (tampered); MESH_ERROR_MALFORMED when what it holds is not a valid key set.
 */
MeshEscrowedKeys *mesh_escrow_recover(const MeshEscrowEntry *entry, const char *const *shares,
				      gsize n_shares, GError **error);

/*
 * mesh_escrow_verify: a recovery drill. Everything mesh_escrow_recover checks, and, when
 * @master is not NULL, that the escrowed keys are its MasterSignatureKey and exactly its
 * MasterEscrowKeys (MESH_ERROR_SHARE_MISMATCH otherwise: this escrow is for another master
 * profile or an older set of escrow keys). Returns no key; every secret is wiped.
 */
gboolean mesh_escrow_verify(const MeshEscrowEntry *entry, const char *const *shares,
			    gsize n_shares, const MeshMasterProfile *master, GError **error);

G_END_DECLS
