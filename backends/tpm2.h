/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "hive.h"
#include "keystore.h"

G_BEGIN_DECLS

/*
 * The "tpm2" key store: P-256 keys made by and kept inside a TPM 2.0 (docs/design.md "Key stores":
 * TPMs do not do the Edwards curves). The private keys never leave the TPM in the clear; the
 * hive holds only their blobs, wrapped by the TPM under a primary key of the owner hierarchy.
 *
 * Entries in the hive's Keys folder, named by the key's dashed UDF (mesh_key_udf()):
 *
 *   Keys/<udf>.tpm       the TPM 2.0 Key File ("-----BEGIN TSS2 PRIVATE KEY-----",
 *                        tss2key.h), parent 0x40000001 (owner): the format tpm2-openssl and
 *                        tpm2-tss-engine use, so that e.g.
 *                        `openssl pkeyutl -provider tpm2 -provider base -sign -inkey <udf>.tpm`
 *                        works on it.
 *   Keys/<udf>.tpm-meta  {"Use": "Signature"|"Authentication"|"Encryption",
 *                         "Algorithm": "P-256", "PIN": true|false,
 *                         "Primary"?: the TPM name of the primary the key was made or adopted
 *                         under, upper-case hex (absent in keys stored before it was recorded)}
 *
 * The .tpm-meta entry is written last and removed first, so a key is listed only when complete;
 * the store lists and touches no other names (other stores share the folder). Every read
 * checks that the public key in the key file is the one its name says.
 *
 * The primary key (the parent) is re-created from the template tpm2-openssl 1.1.1 uses for a
 * parent of 0x40000001 (ECC P-256 storage key, see tss2key.c); it is made once per store and
 * flushed on close. Keys are loaded for one operation and flushed right after it.
 *
 * The bus: nothing secret crosses it in the clear. One HMAC session per store, salted with the
 * primary, AES-128-CFB parameter encryption, kept for the store's life and flushed on close or
 * after a command in it fails, authorizes Sign with a PIN key (the PIN only keys the HMAC),
 * ECDH_ZGen (its answer encrypted) and Create (its inSensitive, with the new PIN, encrypted);
 * Load (the primary's empty auth) and Sign with a key without PIN use password sessions. Before
 * the session is salted with it, the primary is checked against its template
 * (mesh_tss2key_check_primary()) and against the primary recorded in the key's .tpm-meta, or in
 * any key's for a key without a record or one about to be made; a mismatch is
 * MESH_ERROR_CRYPTO and nothing is sent under it. A store whose keys recorded none (its first
 * use) trusts the primary it gets (docs/protocol.md: what this does and does not defend).
 *
 * PINs: a key generated with a passphrase has it as its TPM userAuth and is subject to the
 * TPM's dictionary-attack protection; keys without one have an empty auth and are exempt
 * (noDA), since there is nothing to guess. unlock() checks the PIN against every PIN-protected
 * key (one TPM authorization each) and keeps it in secure memory until lock() or close(). A
 * PIN is at most 32 bytes (the SHA-256 name algorithm's digest size). Errors: using a PIN key
 * before unlock is MESH_ERROR_LOCKED; a wrong PIN MESH_ERROR_BAD_PASSPHRASE; the TPM's
 * lockout MESH_ERROR_LOCKOUT (the message says how to recover); another primary than the
 * recorded one, an authorization failure that is not the key's, or an answer whose HMAC fails
 * MESH_ERROR_CRYPTO.
 *
 * Caps: P256 | NONEXPORTABLE | HARDWARE | NEEDS_UNLOCK. No import or export_private: key files
 * made elsewhere are adopted with mesh_keystore_tpm2_import_file().
 */

/*
 * mesh_keystore_tpm2_new: connect to the TPM through the TCTI @tcti (e.g.
 * "swtpm:path=/run/swtpm.sock", "device:/dev/tpmrm0"); NULL means the environment variable
 * MESH_TPM2_TCTI, and when that is unset or empty the tss2 default. The store keeps a pointer to
 * @hive; the caller keeps the hive open until the store is closed. Returns a new store (close
 * with mesh_keystore_close()). Errors: MESH_ERROR_INVALID_ARGUMENT (@hive NULL),
 * MESH_ERROR_UNSUPPORTED (no TPM answers at the TCTI; the message names it).
 */
MeshKeyStore *mesh_keystore_tpm2_new(MeshHive *hive, const char *tcti, GError **error);

/*
 * mesh_keystore_tpm2_import_file: adopt the TSS2 PRIVATE KEY in @len bytes of PEM at @pem (made
 * elsewhere, e.g. by `openssl genpkey -provider tpm2 -algorithm EC -pkeyopt group:P-256`) for
 * @use. The key must be a P-256 key with parent 0x40000001, usable for @use (signing or
 * decryption), and must load under this store's primary key. @pin, when the key file has a
 * userAuth, is checked with one TPM operation and then kept as by unlock(); NULL imports the key
 * locked. On success the store writes <udf>.tpm and <udf>.tpm-meta and returns the public key in
 * @ret_public. Errors: as mesh_tss2key_decode(), MESH_ERROR_EXISTS, MESH_ERROR_UNSUPPORTED
 * (another curve or parent, wrong key type for @use), MESH_ERROR_INVALID_ARGUMENT (a @pin for a
 * key without one), MESH_ERROR_BAD_PASSPHRASE, MESH_ERROR_LOCKOUT, MESH_ERROR_CRYPTO (the TPM
 * refuses to load it: made under another primary or another TPM).
 */
gboolean mesh_keystore_tpm2_import_file(MeshKeyStore *store, const char *pem, gsize len,
					MeshKeyUse use, const MeshSecret *pin, MeshKey **ret_public,
					GError **error);

G_END_DECLS
