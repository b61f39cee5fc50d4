/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "hive.h"
#include "keystore.h"

G_BEGIN_DECLS

/*
 * The "secret" key store: private keys as items of the Secret Service (freedesktop.org; GNOME
 * Keyring, KWallet, KeePassXC) through libsecret, public parts in the hive.
 *
 *   Secret Service item  in the default collection (the "default" alias, usually "login"),
 *                        schema "org.mathematicalmesh.Key", string attributes
 *                          udf   the key's UDF (mesh_key_udf())
 *                          hive  mesh_hive_location() of the store's hive, so that two hives
 *                                (test and production, or two MMM_HOMEs) never see each
 *                                other's keys
 *                          use   "Signature" | "Authentication" | "Encryption"
 *                        label "Mesh key <udf>", secret: the private key as its JWK text
 *                        (mesh_key_to_jwk_private()), content type text/plain.
 *   Keys/<udf>.secret    the public part, as JSON:
 *                          {"Use": "Signature", "Algorithm": "Ed25519", "Public": <JWK>}
 *                        ("Algorithm": Ed25519 | X25519 | P-256; "Public": the public JWK of
 *                        mesh_key_to_jwk()), so that list() and get_public() work while the
 *                        keyring is locked or absent.
 *
 * The .secret entry is written after the item is stored and removed before the item is
 * deleted, so a key is listed only when its item exists. The store lists and touches only
 * names ending in ".secret": other stores share the Keys folder. Every read checks that the
 * key in the item and in the .secret entry is the one the UDF names.
 *
 * Opening does not touch D-Bus: the store connects to the Secret Service on the session bus on
 * first use, so an agent without one still starts (and serves list and get_public). An
 * operation that needs the Secret Service and cannot reach it fails with MESH_ERROR_UNSUPPORTED
 * ("there is no Secret Service on the session bus"); other D-Bus failures are MESH_ERROR_IO.
 *
 * Locking. The keyring is locked and unlocked by its owner (the desktop, gnome-keyring's PAM
 * module); the store never asks the Secret Service to unlock, because its prompter needs a
 * display. While the default collection or the item is locked, sign, agree, export_private,
 * generate, import and remove fail with MESH_ERROR_LOCKED ("the keyring is locked — unlock it
 * and retry"), never with NOT_FOUND.
 *
 * Private keys fetched from the keyring are kept in secure memory (UDF -> private MeshKey)
 * until lock() or close(), so that signing does not cost a D-Bus round trip each time. The
 * cache does not follow the keyring: a key fetched before the keyring was locked stays usable
 * until the store's own lock(). unlock() ignores the passphrase (the keyring has its own): it
 * checks that the default collection can be reached and is unlocked (MESH_ERROR_LOCKED
 * otherwise) and fetches nothing.
 *
 * Caps: ED25519 | X25519 | P256 | NEEDS_UNLOCK. import and export_private are supported.
 */

/*
 * mesh_keystore_secret_new: the secret store over @hive. The store keeps a pointer to @hive;
 * the caller keeps the hive open until the store is closed. Does not connect to D-Bus. Returns
 * a new store (close with mesh_keystore_close()). Errors: MESH_ERROR_INVALID_ARGUMENT when
 * @hive is NULL.
 */
MeshKeyStore *mesh_keystore_secret_new(MeshHive *hive, GError **error);

G_END_DECLS
