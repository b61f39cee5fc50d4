/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "hive.h"
#include "keystore.h"

G_BEGIN_DECLS

/*
 * The "file" key store: software keys in files in the hive's Keys folder (docs/design.md "Hives"),
 * one set of entries per key, named by the key's dashed UDF (mesh_key_udf()):
 *
 *   Keys/<udf>       the private key. Ed25519 and P-256: an OpenSSH "openssh-key-v1" private
 *                    key (what ssh-keygen writes; readable by ssh-keygen -y and ssh-add),
 *                    unencrypted or, with a passphrase, aes256-ctr + bcrypt (16-byte salt,
 *                    16 rounds), with the UDF as its comment. X25519, which OpenSSH has no type
 *                    for: PKCS#8 PEM ("BEGIN PRIVATE KEY"), or with a passphrase "BEGIN
 *                    ENCRYPTED PRIVATE KEY" (PBES2: scrypt N=2^14 r=8 p=1 and AES-256-CBC).
 *   Keys/<udf>.pub   the public key. Ed25519 and P-256: RFC 4716 ("---- BEGIN SSH2 PUBLIC KEY
 *                    ----", Comment: the UDF); X25519: SubjectPublicKeyInfo PEM ("BEGIN PUBLIC
 *                    KEY").
 *   Keys/<udf>.meta  what the key is for, as JSON:
 *                    {"Use": "Signature", "Algorithm": "Ed25519", "Protected": true}
 *                    ("Use": Signature | Authentication | Encryption; "Algorithm": Ed25519 |
 *                    X25519 | P-256; "Protected": whether the private key is encrypted).
 *
 * The .meta entry is written last and removed first, so a key is listed only when complete.
 * Every read checks that the key in a file is the one its name says.
 *
 * Unprotected keys are read from the hive each time they are used. Protected keys are used only
 * after unlock(): it decrypts all of them into memory (private MeshKeys) until lock() or
 * close(). A protected key that is generated or imported is also kept unlocked until then,
 * since the caller has just given its passphrase. Using a protected key that is not unlocked
 * is MESH_ERROR_LOCKED.
 *
 * Caps: ED25519 | X25519 | P256 | NEEDS_UNLOCK. import and export_private are supported.
 */

/*
 * mesh_keystore_file_new: the file store over @hive. The store keeps a pointer to @hive; the
 * caller keeps the hive open until the store is closed. Returns a new store (close with
 * mesh_keystore_close()). Errors: MESH_ERROR_INVALID_ARGUMENT when @hive is NULL.
 */
MeshKeyStore *mesh_keystore_file_new(MeshHive *hive, GError **error);

G_END_DECLS
