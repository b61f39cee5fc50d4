/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "key.h"
#include "sshbuf.h"

G_BEGIN_DECLS

/*
 * SSH public keys, the one home of their codec: the key types (ssh-ed25519 and
 * ecdsa-sha2-nistp256, that is MeshKey Ed25519 and P-256; X25519 has no SSH type), the public
 * key blob (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709 §4) and the one-line public key
 * "<type> <base64 blob>[ <comment>]". backends/openssh.c builds the key files on these, and
 * ipc/ssh-agent.c the agent protocol.
 *
 * A line is read and written under one of two policies, by one codec:
 * - strict (mesh_ssh_public_line, mesh_ssh_public_line_decode), for lines that come from
 *   outside and are stored (SSHProfile, SSHDeviceKey): printable ASCII, no line break, at most
 *   MESH_SSH_LINE_MAX bytes, the type word read before the blob;
 * - key file (mesh_ssh_public_file_line, mesh_ssh_public_file_line_decode), as in
 *   id_ed25519.pub and authorized_keys: a UTF-8 comment of at most MESH_SSH_COMMENT_MAX bytes,
 *   a trailing newline (written; allowed when read), the comment returned.
 * In both, the type word must name the blob's type, the base64 is canonical and the blob holds
 * nothing else, and the point is on the curve.
 */

/* Longest strict line (an SSHProfile's and an SSHDeviceKey's PublicKey). */
#define MESH_SSH_LINE_MAX 1024
/* Largest key file text any decoder looks at (here and in backends/openssh.c). */
#define MESH_SSH_TEXT_MAX (64 * 1024)
/* Longest comment in a key file, written or read (bytes of UTF-8). */
#define MESH_SSH_COMMENT_MAX 1024

/* mesh_ssh_check_text_len: MESH_ERROR_TOO_LARGE when @len is above MESH_SSH_TEXT_MAX. */
gboolean mesh_ssh_check_text_len(gsize len, GError **error);

/* mesh_ssh_check_comment: MESH_ERROR_INVALID_ARGUMENT unless @comment is one line of UTF-8 of
 * at most MESH_SSH_COMMENT_MAX bytes. */
gboolean mesh_ssh_check_comment(const char *comment, GError **error);

/* mesh_ssh_put_public: the blob of the public part of @key (type, [curve,] key) into @w.
 * Errors: MESH_ERROR_UNSUPPORTED (X25519), MESH_ERROR_CRYPTO, those of the writer. */
gboolean mesh_ssh_put_public(MeshSshWriter *w, const MeshKey *key, GError **error);

/* mesh_ssh_get_public: read such a blob from @r; bytes may follow it. Errors:
 * MESH_ERROR_MALFORMED, MESH_ERROR_UNSUPPORTED (another key type, named). */
MeshKey *mesh_ssh_get_public(MeshSshReader *r, GError **error);

/*
 * The private key of an OpenSSH private key file's private section (after the check-ints) and
 * of an agent's ADD_IDENTITY (RFC 9987 §5.2.2-3), one format: the public blob's fields (type,
 * [curve,] public key), then the private key (Ed25519: string seed || public key; P-256: the
 * scalar as an mpint), then the comment.
 *
 * mesh_ssh_put_private: that of the private @key, with @comment (one line of UTF-8, as
 * mesh_ssh_check_comment), into @w (which the caller keeps in a MeshSecret). Errors:
 * MESH_ERROR_UNSUPPORTED (X25519), MESH_ERROR_INVALID_ARGUMENT (@comment), those of
 * mesh_key_to_raw_private and of the writer.
 */
gboolean mesh_ssh_put_private(MeshSshWriter *w, const MeshKey *key, const char *comment,
                              GError **error);

/*
 * mesh_ssh_get_private: read that from @r; bytes may follow. The public key given must be the
 * private key's (and, Ed25519, the copy inside the private string too). @ret_comment (may be
 * NULL) gets the comment (at most MESH_SSH_COMMENT_MAX bytes of UTF-8). Every copy of private
 * bytes made here is wiped; those in @r's buffer are the caller's. Errors: MESH_ERROR_MALFORMED
 * (naming @r's what), MESH_ERROR_UNSUPPORTED (another key type), those of
 * mesh_key_from_raw_private.
 */
MeshKey *mesh_ssh_get_private(MeshSshReader *r, char **ret_comment, GError **error);

/* Largest signature blob mesh_ssh_put_signature writes (without its length). */
#define MESH_SSH_SIGNATURE_MAX 128

/*
 * mesh_ssh_put_signature: the SSH signature blob (RFC 8709 §6, RFC 5656 §3.1.2) of @sig, the
 * MESH_KEY_SIGNATURE_LEN bytes of a signature by @key (R || S for P-256), as one string into
 * @w. Errors: MESH_ERROR_UNSUPPORTED (X25519), MESH_ERROR_INVALID_ARGUMENT (another length),
 * those of the writer.
 */
gboolean mesh_ssh_put_signature(MeshSshWriter *w, const MeshKey *key, GBytes *sig, GError **error);

/* mesh_ssh_public_blob: the blob of @key as bytes. Errors as mesh_ssh_put_public. */
GBytes *mesh_ssh_public_blob(const MeshKey *key, GError **error);

/* mesh_ssh_public_blob_decode: a public key from its blob, with nothing after it. Errors:
 * MESH_ERROR_MALFORMED, MESH_ERROR_UNSUPPORTED. */
MeshKey *mesh_ssh_public_blob_decode(const guint8 *blob, gsize len, GError **error);

/*
 * mesh_ssh_public_line: the strict line (no line break) for an Ed25519 or P-256 public @key.
 * Errors: MESH_ERROR_UNSUPPORTED (another algorithm), MESH_ERROR_INVALID_ARGUMENT (@comment not
 * printable ASCII, or the line too long).
 */
char *mesh_ssh_public_line(const MeshKey *key, const char *comment, GError **error);

/*
 * mesh_ssh_public_line_decode: the public key of a strict line. Errors: MESH_ERROR_MALFORMED,
 * MESH_ERROR_TOO_LARGE, MESH_ERROR_UNSUPPORTED (another key type).
 */
MeshKey *mesh_ssh_public_line_decode(const char *line, GError **error);

/*
 * mesh_ssh_public_file_line: the key file line, with its "\n". Errors: MESH_ERROR_UNSUPPORTED
 * (X25519), MESH_ERROR_INVALID_ARGUMENT (@comment, as mesh_ssh_check_comment).
 */
char *mesh_ssh_public_file_line(const MeshKey *key, const char *comment, GError **error);

/*
 * mesh_ssh_public_file_line_decode: the key of the @len bytes of one key file line at @text (a
 * trailing newline is allowed; no options prefix). @ret_comment (may be NULL) gets the comment,
 * or "" when there is none. Errors: MESH_ERROR_MALFORMED, MESH_ERROR_TOO_LARGE (above
 * MESH_SSH_TEXT_MAX), MESH_ERROR_UNSUPPORTED.
 */
MeshKey *mesh_ssh_public_file_line_decode(const char *text, gsize len, char **ret_comment,
                                          GError **error);

G_END_DECLS
