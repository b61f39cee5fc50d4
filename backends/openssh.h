/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "key.h"
#include "secret.h"
#include "sshkey.h"

G_BEGIN_DECLS

/*
 * OpenSSH key files, as a pure codec (no files): the "openssh-key-v1" private key
 * (PROTOCOL.key of OpenSSH: PEM armour "-----BEGIN OPENSSH PRIVATE KEY-----" around 70-column
 * base64) and the RFC 4716 public key file ("---- BEGIN SSH2 PUBLIC KEY ----"), built on the
 * SSH key types, public key blobs and comment rules of core/sshkey.h (where the one-line
 * public key "ssh-ed25519 AAAA... comment" of id_*.pub is: mesh_ssh_public_file_line). Key
 * types: ssh-ed25519 and ecdsa-sha2-nistp256 (MeshKey Ed25519 and P-256); X25519 has no
 * OpenSSH type.
 *
 * Private keys are unencrypted (cipher "none", kdf "none") or protected by a passphrase
 * (cipher "aes256-ctr", kdf "bcrypt" with a 16-byte salt), one key per file. On reading, the
 * check-ints, the padding 1, 2, 3 ..., the key type and the public key stored beside the
 * private one are all checked, and no trailing bytes are accepted.
 *
 * A passphrase is the bytes of its MeshSecret; one trailing NUL, if there is one, is not part
 * of it (so a NUL-terminated secret and a plain one give the same key, as ssh-keygen does with
 * strlen()). An empty passphrase means none.
 *
 * Errors of the decoders: MESH_ERROR_TOO_LARGE (input above MESH_SSH_TEXT_MAX, more bcrypt
 * rounds than allowed), MESH_ERROR_MALFORMED (armour, base64, structure, lengths, check-ints
 * of an unencrypted key, padding, a private key that does not match its public key),
 * MESH_ERROR_UNSUPPORTED (another key type, cipher or kdf), MESH_ERROR_LOCKED (encrypted and
 * no passphrase given), MESH_ERROR_BAD_PASSPHRASE (the check-ints do not match after
 * decryption: a wrong passphrase). Messages never contain key material.
 */

/*
 * mesh_openssh_passphrase: the passphrase bytes of @secret by the rule above (a pointer into
 * @secret and their count in @ret_len), or NULL when @secret is NULL or holds no passphrase.
 */
const guint8 *mesh_openssh_passphrase(const MeshSecret *secret, gsize *ret_len);

/* The largest text a decoder here looks at is MESH_SSH_TEXT_MAX, the longest comment written or
 * read MESH_SSH_COMMENT_MAX (core/sshkey.h). */

/* bcrypt rounds: what ssh-keygen uses by default, and the most that is accepted (on both
 * sides: decoding hostile input must not cost unbounded CPU). */
#define MESH_OPENSSH_ROUNDS_DEFAULT 16
#define MESH_OPENSSH_ROUNDS_MAX     1024
#define MESH_OPENSSH_SALT_LEN       16

/*
 * mesh_openssh_private_encode: the private @key (Ed25519 or P-256) as an openssh-key-v1 PEM
 * file, encrypted under @passphrase (NULL or empty: not encrypted) with @rounds bcrypt rounds
 * (0: MESH_OPENSSH_ROUNDS_DEFAULT). @comment may be NULL (empty). Returns the NUL-terminated
 * text in a new MeshSecret (mesh_secret_len() counts the NUL). Errors: MESH_ERROR_UNSUPPORTED
 * (X25519), MESH_ERROR_INVALID_ARGUMENT (a public key, a comment with a newline, not UTF-8 or
 * longer than MESH_SSH_COMMENT_MAX, @rounds above MESH_OPENSSH_ROUNDS_MAX),
 * MESH_ERROR_CRYPTO.
 */
MeshSecret *mesh_openssh_private_encode(const MeshKey *key, const char *comment,
					const MeshSecret *passphrase, unsigned rounds,
					GError **error);

/*
 * mesh_openssh_private_decode: the private key in the @len bytes of PEM text at @text (not
 * necessarily NUL-terminated), decrypted with @passphrase (may be NULL; ignored for an
 * unencrypted key). An encrypted key with more than @max_rounds bcrypt rounds (0:
 * MESH_OPENSSH_ROUNDS_MAX) is refused before any work. @ret_comment may be NULL. Errors: see
 * above.
 */
gboolean mesh_openssh_private_decode(const char *text, gsize len, const MeshSecret *passphrase,
				     unsigned max_rounds, MeshKey **ret_key, char **ret_comment,
				     GError **error);

/*
 * mesh_openssh_private_peek: the public key stored in the clear in an openssh-key-v1 file, and
 * whether its private part is encrypted, without a passphrase and without bcrypt. The private
 * part is not checked. Errors as mesh_openssh_private_decode (but never LOCKED or
 * BAD_PASSPHRASE).
 */
gboolean mesh_openssh_private_peek(const char *text, gsize len, MeshKey **ret_public,
				   gboolean *ret_encrypted, GError **error);

/*
 * mesh_openssh_rfc4716_encode: an RFC 4716 public key file: BEGIN line, a
 * Comment: "<comment>" header (omitted when @comment is NULL or empty; continued over lines of
 * at most 72 bytes), the blob in 70-column base64, END line. Errors as
 * mesh_ssh_public_file_line.
 */
char *mesh_openssh_rfc4716_encode(const MeshKey *key, const char *comment, GError **error);

/*
 * mesh_openssh_rfc4716_decode: the key in an RFC 4716 file. Headers other than Comment are
 * skipped; the Comment value loses one pair of enclosing quotes. @ret_comment may be NULL.
 */
MeshKey *mesh_openssh_rfc4716_decode(const char *text, gsize len, char **ret_comment,
				     GError **error);

G_END_DECLS
