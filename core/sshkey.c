/* SPDX-License-Identifier: MIT */
#include "sshkey.h"

#include <openssl/crypto.h>
#include <string.h>

#include "base64.h"
#include "error.h"

/* The largest blob: ecdsa-sha2-nistp256 (4 + 19 + 4 + 8 + 4 + 65 = 104 bytes). A strict line
 * decodes its base64 into this much; a key file line into twice as much. */
#define BLOB_MAX 128

typedef struct {
	MeshKeyAlg alg;
	const char *name;  /* SSH key type */
	const char *curve; /* ECDSA curve identifier, NULL for Ed25519 */
	gsize raw_len;
} SshType;

static const SshType ssh_types[] = {
        {MESH_KEY_ED25519, "ssh-ed25519", NULL, MESH_KEY_RAW_LEN},
        {MESH_KEY_P256, "ecdsa-sha2-nistp256", "nistp256", MESH_KEY_P256_POINT_LEN},
};

/* ---- Key types and blobs ------------------------------------------------------------------ */

static const SshType *
type_by_alg(MeshKeyAlg alg)
{
	for (gsize i = 0; i < G_N_ELEMENTS(ssh_types); i++) {
		if (ssh_types[i].alg == alg)
			return &ssh_types[i];
	}
	return NULL;
}

/* The type of @alg, or MESH_ERROR_UNSUPPORTED as key files and the agent say it. */
static const SshType *
type_of(MeshKeyAlg alg, GError **error)
{
	const SshType *type = type_by_alg(alg);

	if (type == NULL)
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
		            "%s keys have no OpenSSH key type: use Ed25519 or P-256",
		            mesh_key_alg_name(alg) ? mesh_key_alg_name(alg) : "these");
	return type;
}

/* The type named by the @len bytes at @name, or NULL. */
static const SshType *
type_by_name(const guint8 *name, gsize len)
{
	for (gsize i = 0; i < G_N_ELEMENTS(ssh_types); i++) {
		if (mesh_sshbuf_string_is(name, len, ssh_types[i].name))
			return &ssh_types[i];
	}
	return NULL;
}

gboolean
mesh_ssh_check_text_len(gsize len, GError **error)
{
	if (len > MESH_SSH_TEXT_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
		            "an OpenSSH key file is at most %d bytes, this is %" G_GSIZE_FORMAT,
		            MESH_SSH_TEXT_MAX, len);
		return FALSE;
	}
	return TRUE;
}

gboolean
mesh_ssh_check_comment(const char *comment, GError **error)
{
	gsize n = strlen(comment);

	if (n > MESH_SSH_COMMENT_MAX || strpbrk(comment, "\r\n") != NULL ||
	    !g_utf8_validate(comment, (gssize)n, NULL)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "a key comment is one line of UTF-8 of at most %d bytes",
		            MESH_SSH_COMMENT_MAX);
		return FALSE;
	}
	return TRUE;
}

/* Put the blob of @key, of @type. */
static gboolean
put_public(MeshSshWriter *w, const SshType *type, const MeshKey *key, GError **error)
{
	g_autoptr(GBytes) raw = mesh_key_get_raw_public(key);

	if (raw == NULL || g_bytes_get_size(raw) != type->raw_len) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO,
		            "the key's public part is missing");
		return FALSE;
	}
	return mesh_sshbuf_put_cstring(w, type->name, error) &&
	       (type->curve == NULL || mesh_sshbuf_put_cstring(w, type->curve, error)) &&
	       mesh_sshbuf_put_string(w, g_bytes_get_data(raw, NULL), type->raw_len, error);
}

gboolean
mesh_ssh_put_public(MeshSshWriter *w, const MeshKey *key, GError **error)
{
	const SshType *type = type_of(mesh_key_alg(key), error);

	return type != NULL && put_public(w, type, key, error);
}

/* The type, curve and key string of a blob, unchecked as a point: the key bytes (@ret_raw,
 * type->raw_len of them) point into @r's buffer. */
static const SshType *
get_public_raw(MeshSshReader *r, const guint8 **ret_raw, GError **error)
{
	const guint8 *p;
	gsize n;
	const SshType *type;

	if (!mesh_sshbuf_get_string(r, &p, &n, error))
		return NULL;
	type = type_by_name(p, n);
	if (type == NULL) {
		g_autofree char *shown = mesh_sshbuf_quote(p, n);

		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
		            "unsupported SSH key type '%s': only ssh-ed25519 and "
		            "ecdsa-sha2-nistp256",
		            shown);
		return NULL;
	}
	if (type->curve != NULL) {
		if (!mesh_sshbuf_get_string(r, &p, &n, error))
			return NULL;
		if (!mesh_sshbuf_string_is(p, n, type->curve)) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			            "%s: the curve does not match the key type %s", r->what,
			            type->name);
			return NULL;
		}
	}
	if (!mesh_sshbuf_get_string_fixed(r, type->raw_len, "public key", ret_raw, error))
		return NULL;
	return type;
}

/* A blob's key; its type in @ret_type. */
static MeshKey *
get_public(MeshSshReader *r, const SshType **ret_type, GError **error)
{
	const guint8 *raw;
	const SshType *type = get_public_raw(r, &raw, error);

	if (type == NULL)
		return NULL;
	*ret_type = type;
	return mesh_key_from_raw_public(type->alg, raw, type->raw_len, error);
}

MeshKey *
mesh_ssh_get_public(MeshSshReader *r, GError **error)
{
	const SshType *type;

	return get_public(r, &type, error);
}

GBytes *
mesh_ssh_public_blob(const MeshKey *key, GError **error)
{
	guint8 buf[BLOB_MAX];
	MeshSshWriter w;

	mesh_sshbuf_writer_init(&w, buf, sizeof buf);
	if (!mesh_ssh_put_public(&w, key, error))
		return NULL;
	return g_bytes_new(buf, w.len);
}

MeshKey *
mesh_ssh_public_blob_decode(const guint8 *blob, gsize len, GError **error)
{
	MeshSshReader r;
	g_autoptr(MeshKey) key = NULL;

	mesh_sshbuf_reader_init(&r, blob, len, "SSH public key");
	key = mesh_ssh_get_public(&r, error);
	if (key == NULL || !mesh_sshbuf_expect_end(&r, error))
		return NULL;
	return g_steal_pointer(&key);
}

/* ---- Private keys and signatures ---------------------------------------------------------- */

gboolean
mesh_ssh_put_private(MeshSshWriter *w, const MeshKey *key, const char *comment, GError **error)
{
	const SshType *type = type_of(mesh_key_alg(key), error);
	g_autoptr(MeshSecret) priv = NULL;
	g_autoptr(GBytes) raw = NULL;

	if (type == NULL || !mesh_ssh_check_comment(comment, error) ||
	    (priv = mesh_key_to_raw_private(key, error)) == NULL ||
	    !put_public(w, type, key, error))
		return FALSE;
	raw = mesh_key_get_raw_public(key);
	/* Ed25519: the 32-byte seed || public key; ECDSA: the scalar as an mpint. */
	if (type->curve == NULL) {
		if (!mesh_sshbuf_put_u32(w, MESH_KEY_RAW_LEN + type->raw_len, error) ||
		    !mesh_sshbuf_put_bytes(w, mesh_secret_get(priv), MESH_KEY_RAW_LEN, error) ||
		    !mesh_sshbuf_put_bytes(w, g_bytes_get_data(raw, NULL), type->raw_len, error))
			return FALSE;
	} else if (!mesh_sshbuf_put_mpint(w, mesh_secret_get(priv), MESH_KEY_RAW_LEN, error)) {
		return FALSE;
	}
	return mesh_sshbuf_put_cstring(w, comment, error);
}

/* MESH_ERROR_MALFORMED: the private key of @r is not the public key given with it. */
static void
mismatch(const MeshSshReader *r, const char *what, GError **error)
{
	g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "%s: %s", r->what, what);
}

MeshKey *
mesh_ssh_get_private(MeshSshReader *r, char **ret_comment, GError **error)
{
	const guint8 *pub, *priv;
	const SshType *type = get_public_raw(r, &pub, error);
	g_autoptr(MeshSecret) scalar = NULL;
	g_autoptr(MeshKey) key = NULL;
	g_autoptr(GBytes) derived = NULL;
	g_autofree char *comment = NULL;

	if (type == NULL)
		return NULL;
	scalar = mesh_secret_new(MESH_KEY_RAW_LEN);
	if (type->curve == NULL) {
		if (!mesh_sshbuf_get_string_fixed(r, MESH_KEY_RAW_LEN + type->raw_len,
		                                  "Ed25519 private key", &priv, error))
			return NULL;
		/* seed || public key: the second half must be the public key given before. */
		if (CRYPTO_memcmp(priv + MESH_KEY_RAW_LEN, pub, type->raw_len) != 0) {
			mismatch(r, "the Ed25519 key halves do not match", error);
			return NULL;
		}
		memcpy(mesh_secret_data(scalar), priv, MESH_KEY_RAW_LEN);
	} else if (!mesh_sshbuf_get_mpint32(r, mesh_secret_data(scalar), error)) {
		return NULL;
	}
	if (!mesh_sshbuf_get_cstring(r, MESH_SSH_COMMENT_MAX, &comment, error))
		return NULL;
	key = mesh_key_from_raw_private(type->alg, scalar, error);
	if (key == NULL)
		return NULL;
	derived = mesh_key_get_raw_public(key);
	if (derived == NULL || g_bytes_get_size(derived) != type->raw_len ||
	    CRYPTO_memcmp(g_bytes_get_data(derived, NULL), pub, type->raw_len) != 0) {
		mismatch(r, "the private key does not match the public key", error);
		return NULL;
	}
	if (ret_comment != NULL)
		*ret_comment = g_steal_pointer(&comment);
	return g_steal_pointer(&key);
}

gboolean
mesh_ssh_put_signature(MeshSshWriter *w, const MeshKey *key, GBytes *sig, GError **error)
{
	const SshType *type = type_of(mesh_key_alg(key), error);
	gsize len = 0;
	const guint8 *raw = sig != NULL ? g_bytes_get_data(sig, &len) : NULL;
	guint8 blob[MESH_SSH_SIGNATURE_MAX], inner[2 * (4 + 1 + MESH_KEY_RAW_LEN)];
	MeshSshWriter b, iw;

	if (type == NULL)
		return FALSE;
	if (len != MESH_KEY_SIGNATURE_LEN) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "an SSH signature is made of %d bytes, not %" G_GSIZE_FORMAT,
		            MESH_KEY_SIGNATURE_LEN, len);
		return FALSE;
	}
	mesh_sshbuf_writer_init(&b, blob, sizeof blob);
	mesh_sshbuf_writer_init(&iw, inner, sizeof inner);
	/* Ed25519: the 64 bytes; ECDSA: the string of R and S as mpints. */
	if (type->curve == NULL) {
		if (!mesh_sshbuf_put_bytes(&iw, raw, len, error))
			return FALSE;
	} else if (!mesh_sshbuf_put_mpint(&iw, raw, MESH_KEY_RAW_LEN, error) ||
	           !mesh_sshbuf_put_mpint(&iw, raw + MESH_KEY_RAW_LEN, MESH_KEY_RAW_LEN, error)) {
		return FALSE;
	}
	return mesh_sshbuf_put_cstring(&b, type->name, error) &&
	       mesh_sshbuf_put_string(&b, inner, iw.len, error) &&
	       mesh_sshbuf_put_string(w, blob, b.len, error);
}

/* ---- OpenSSH public key lines: one codec, two policies ------------------------------------ */

static gboolean
printable(const char *s, gsize len)
{
	for (gsize i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e)
			return FALSE;
	}
	return TRUE;
}

/* "<type> <base64>[ <comment>]", "\n" after it in a key file; @strict: the strict policy. */
static char *
line_encode(const MeshKey *key, const char *comment, gboolean strict, GError **error)
{
	const SshType *type =
	        strict ? type_by_alg(mesh_key_alg(key)) : type_of(mesh_key_alg(key), error);
	const char *end = strict ? "" : "\n";
	guint8 blob[BLOB_MAX];
	MeshSshWriter w;
	gsize n;
	g_autofree char *b64 = NULL;
	char *line;

	if (type == NULL) {
		if (strict)
			g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			            "an SSH key is Ed25519 or P-256");
		return NULL;
	}
	if (comment != NULL && strict && !printable(comment, strlen(comment))) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "an SSH key comment here is printable ASCII");
		return NULL;
	}
	if (comment != NULL && !strict && !mesh_ssh_check_comment(comment, error))
		return NULL;
	mesh_sshbuf_writer_init(&w, blob, sizeof blob);
	if (!put_public(&w, type, key, error))
		return NULL;
	n = mesh_b64_encoded_len(w.len, 0);
	b64 = g_malloc(n + 1);
	mesh_b64_encode_wrapped(blob, w.len, 0, b64);
	b64[n] = '\0';
	if (comment == NULL || *comment == '\0')
		line = g_strconcat(type->name, " ", b64, end, NULL);
	else
		line = g_strconcat(type->name, " ", b64, " ", comment, end, NULL);
	if (strict && strlen(line) > MESH_SSH_LINE_MAX) {
		g_free(line);
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "an SSH public key line is at most %d bytes: shorten the comment",
		            MESH_SSH_LINE_MAX);
		return NULL;
	}
	return line;
}

char *
mesh_ssh_public_line(const MeshKey *key, const char *comment, GError **error)
{
	return line_encode(key, comment, TRUE, error);
}

char *
mesh_ssh_public_file_line(const MeshKey *key, const char *comment, GError **error)
{
	return line_encode(key, comment, FALSE, error);
}

/* Where the line of the @len bytes at @text ends: before a key file's final line break. NULL
 * when anything else breaks the line, or (@strict) when it is not printable ASCII. */
static const char *
line_end(const char *text, gsize len, gboolean strict)
{
	const char *end = text + len;

	if (strict)
		return printable(text, len) ? end : NULL;
	if (end > text && end[-1] == '\n')
		end--;
	if (end > text && end[-1] == '\r')
		end--;
	if (memchr(text, '\n', (gsize)(end - text)) != NULL ||
	    memchr(text, '\r', (gsize)(end - text)) != NULL ||
	    memchr(text, '\0', (gsize)(end - text)) != NULL)
		return NULL;
	return end;
}

/* The key of the line at @text (@len bytes) under the strict or the key file policy. */
static MeshKey *
line_decode(const char *text, gsize len, gboolean strict, char **ret_comment, GError **error)
{
	const char *end = NULL, *sp, *b64, *rest;
	const SshType *word = NULL, *type;
	const guint8 *raw;
	guint8 blob[2 * BLOB_MAX];
	gsize n = 0;
	MeshSshReader r;
	g_autoptr(MeshKey) key = NULL;
	g_autofree char *comment = NULL;

	if (strict && len > MESH_SSH_LINE_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
		            "an SSH public key line is at most %d bytes",
		            MESH_SSH_LINE_MAX);
		return NULL;
	}
	if (!strict && !mesh_ssh_check_text_len(len, error))
		return NULL;
	end = line_end(text, len, strict);
	if (end == NULL || (sp = memchr(text, ' ', (gsize)(end - text))) == NULL)
		goto bad;
	/* Strict: the type word first, and nothing but a blob of that type. */
	if (strict && (word = type_by_name((const guint8 *)text, (gsize)(sp - text))) == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
		            "an SSH key here is ssh-ed25519 or ecdsa-sha2-nistp256");
		return NULL;
	}
	b64 = sp + 1;
	rest = memchr(b64, ' ', (gsize)(end - b64));
	if (rest == NULL)
		rest = end;
	if (!mesh_b64_decode_lines(b64, (gsize)(rest - b64), FALSE, blob,
	                           strict ? BLOB_MAX : sizeof blob, &n, "SSH public key", error))
		return NULL;
	mesh_sshbuf_reader_init(&r, blob, n, "SSH public key");
	if (strict) {
		type = get_public_raw(&r, &raw, NULL);
		if (type != word || !mesh_sshbuf_expect_end(&r, NULL)) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			            "the SSH public key blob is not a %s key", word->name);
			return NULL;
		}
		return mesh_key_from_raw_public(type->alg, raw, type->raw_len, error);
	}
	key = get_public(&r, &type, error);
	if (key == NULL || !mesh_sshbuf_expect_end(&r, error))
		return NULL;
	if (!mesh_sshbuf_string_is((const guint8 *)text, (gsize)(sp - text), type->name)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		            "the key type word does not match the key, which is %s", type->name);
		return NULL;
	}
	while (rest < end && *rest == ' ')
		rest++;
	if ((gsize)(end - rest) > MESH_SSH_COMMENT_MAX)
		goto bad;
	comment = g_strndup(rest, (gsize)(end - rest));
	if (!g_utf8_validate(comment, -1, NULL))
		goto bad;
	if (ret_comment != NULL)
		*ret_comment = g_steal_pointer(&comment);
	return g_steal_pointer(&key);
bad:
	if (strict)
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		            "an SSH public key line is '<type> <base64> [comment]', printable "
		            "ASCII");
	else
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		            "an SSH public key line is '<type> <base64> [comment]' on one line");
	return NULL;
}

MeshKey *
mesh_ssh_public_line_decode(const char *line, GError **error)
{
	gsize len = line != NULL ? strnlen(line, MESH_SSH_LINE_MAX + 1) : 0;

	return line_decode(line != NULL ? line : "", len, TRUE, NULL, error);
}

MeshKey *
mesh_ssh_public_file_line_decode(const char *text, gsize len, char **ret_comment, GError **error)
{
	return line_decode(text, len, FALSE, ret_comment, error);
}
