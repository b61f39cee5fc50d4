/* SPDX-License-Identifier: MIT */
#include "openssh.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

#include "bcrypt_pbkdf.h"
#include "base64.h"
#include "error.h"
#include "ossl.h"
#include "sshbuf.h"

#define PRIV_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define PRIV_END   "-----END OPENSSH PRIVATE KEY-----"
#define PUB_BEGIN  "---- BEGIN SSH2 PUBLIC KEY ----"
#define PUB_END    "---- END SSH2 PUBLIC KEY ----"
#define AUTH_MAGIC "openssh-key-v1" /* followed by its NUL on the wire */

#define CIPHER_AES  "aes256-ctr"
#define KDF_BCRYPT  "bcrypt"
#define NONE        "none"
#define AES_KEY_LEN 32
#define AES_IV_LEN  16
#define BLOCK_AES   16
#define BLOCK_NONE  8
#define WRAP_COLS   70
/* RFC 4716 §3: no line longer than 72 bytes. We read up to this many. */
#define RFC4716_LINE_MAX 1024
/* Most salt an encrypted key may carry (OpenSSH writes 16). */
#define SALT_MAX 64
/* Room for everything but the comment in an encoded key, public blob or private section. */
#define ENCODE_SLACK 1024

/* ---- Small helpers ------------------------------------------------------------------------ */

const guint8 *
mesh_openssh_passphrase(const MeshSecret *secret, gsize *ret_len)
{
	gsize n;

	*ret_len = 0;
	if (secret == NULL)
		return NULL;
	n = mesh_secret_len(secret);
	if (n > 0 && mesh_secret_get(secret)[n - 1] == '\0')
		n--;
	*ret_len = n;
	return n > 0 ? mesh_secret_get(secret) : NULL;
}

/* ---- Lines and armour ----------------------------------------------------------------------- */

typedef struct {
	const char *p;
	gsize left;
} Lines;

/* The next line (without its "\n" or "\r\n"); FALSE at the end of the text. */
static gboolean
next_line(Lines *it, const char **ret_line, gsize *ret_len)
{
	const char *nl;
	gsize n;

	if (it->left == 0)
		return FALSE;
	nl = memchr(it->p, '\n', it->left);
	n = nl != NULL ? (gsize)(nl - it->p) : it->left;
	*ret_line = it->p;
	*ret_len = n > 0 && it->p[n - 1] == '\r' ? n - 1 : n;
	it->p += nl != NULL ? n + 1 : n;
	it->left -= nl != NULL ? n + 1 : n;
	return TRUE;
}

static gboolean
line_is(const char *line, gsize len, const char *want)
{
	return len == strlen(want) && memcmp(line, want, len) == 0;
}

static gboolean
blank(const char *s, gsize len)
{
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isspace(s[i]))
			return FALSE;
	}
	return TRUE;
}

/*
 * Find the body between the BEGIN and END lines of an armoured file: the first line must be
 * @begin, and only white space may follow the @end line. With @headers, RFC 4716 header lines
 * ("Tag: value", continued by a final backslash) come first; the Comment header is returned in
 * @ret_comment when that is not NULL.
 */
static gboolean
unarmour(const char *text, gsize len, const char *begin, const char *end, gboolean headers,
	 const char **ret_body, gsize *ret_body_len, char **ret_comment, GError **error)
{
	Lines it = { text, len };
	const char *line, *body = NULL;
	gsize n;
	g_autoptr(GString) comment = NULL;
	gboolean continued = FALSE, in_comment = FALSE;

	if (!next_line(&it, &line, &n) || !line_is(line, n, begin)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "the text does not start with %s", begin);
		return FALSE;
	}
	while (next_line(&it, &line, &n)) {
		if (line_is(line, n, end)) {
			if (!blank(it.p, it.left))
				break;
			if (body == NULL)
				break;
			*ret_body = body;
			*ret_body_len = (gsize)(line - body);
			if (ret_comment != NULL && comment == NULL)
				*ret_comment = g_strdup("");
			else if (ret_comment != NULL)
				*ret_comment = g_string_free(g_steal_pointer(&comment), FALSE);
			return TRUE;
		}
		if (headers && body == NULL && n > RFC4716_LINE_MAX)
			break;
		if (headers && body == NULL && (continued || memchr(line, ':', n) != NULL)) {
			const char *value = line;
			gsize vlen = n;

			if (!continued) {
				const char *colon = memchr(line, ':', n);

				/* the colon is inside the line, so is "Comment" before it */
				in_comment = colon == line + 7 &&
					     g_ascii_strncasecmp(line, "Comment", 7) == 0;
				value = colon + 1;
				vlen = n - (gsize)(value - line);
				while (vlen > 0 && *value == ' ') {
					value++;
					vlen--;
				}
			}
			continued = vlen > 0 && value[vlen - 1] == '\\';
			if (continued)
				vlen--;
			if (in_comment) {
				if (comment == NULL)
					comment = g_string_new(NULL);
				g_string_append_len(comment, value, (gssize)vlen);
				if (comment->len > MESH_SSH_COMMENT_MAX + 2)
					break;
			}
			continue;
		}
		if (body == NULL)
			body = line;
	}
	g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		    "the text does not have the form %s, base64 lines, %s", begin, end);
	return FALSE;
}

/* ---- RFC 4716 public key files ------------------------------------------------------------ */

char *
mesh_openssh_rfc4716_encode(const MeshKey *key, const char *comment, GError **error)
{
	g_autoptr(GBytes) blob = mesh_ssh_public_blob(key, error);
	g_autofree char *b64 = NULL;
	g_autoptr(GString) out = NULL;
	gsize n;

	if (blob == NULL || (comment != NULL && !mesh_ssh_check_comment(comment, error)))
		return NULL;
	n = mesh_b64_encoded_len(g_bytes_get_size(blob), WRAP_COLS);
	b64 = g_malloc(n + 1);
	mesh_b64_encode_wrapped(g_bytes_get_data(blob, NULL), g_bytes_get_size(blob), WRAP_COLS,
	                        b64);
	b64[n] = '\0';
	out = g_string_new(PUB_BEGIN "\n");
	if (comment != NULL && *comment != '\0') {
		g_autofree char *header = g_strdup_printf("Comment: \"%s\"", comment);
		const char *p = header;
		gsize left = strlen(header);

		/* Lines of at most 72 bytes: 71 and a backslash, never splitting a character. */
		while (left > 72) {
			gsize cut = 71;

			while (cut > 1 && ((guchar)p[cut] & 0xc0) == 0x80)
				cut--;
			g_string_append_len(out, p, (gssize)cut);
			g_string_append(out, "\\\n");
			p += cut;
			left -= cut;
		}
		g_string_append_len(out, p, (gssize)left);
		g_string_append_c(out, '\n');
	}
	g_string_append(out, b64);
	g_string_append(out, PUB_END "\n");
	return g_string_free(g_steal_pointer(&out), FALSE);
}

MeshKey *
mesh_openssh_rfc4716_decode(const char *text, gsize len, char **ret_comment, GError **error)
{
	const char *body;
	gsize body_len, n;
	guint8 blob[256];
	g_autofree char *comment = NULL;
	g_autoptr(MeshKey) key = NULL;

	if (!mesh_ssh_check_text_len(len, error) ||
	    !unarmour(text, len, PUB_BEGIN, PUB_END, TRUE, &body, &body_len, &comment, error) ||
	    !mesh_b64_decode_lines(body, body_len, TRUE, blob, sizeof blob, &n, "SSH public key",
	                           error))
		return NULL;
	key = mesh_ssh_public_blob_decode(blob, n, error);
	if (key == NULL)
		return NULL;
	n = strlen(comment);
	if (n >= 2 && comment[0] == '"' && comment[n - 1] == '"') {
		memmove(comment, comment + 1, n - 2);
		comment[n - 2] = '\0';
	}
	if (!g_utf8_validate(comment, -1, NULL) || strlen(comment) > MESH_SSH_COMMENT_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		            "the Comment header is not UTF-8 of at most %d bytes",
		            MESH_SSH_COMMENT_MAX);
		return NULL;
	}
	if (ret_comment != NULL)
		*ret_comment = g_steal_pointer(&comment);
	return g_steal_pointer(&key);
}

/* ---- Private keys ---------------------------------------------------------------------------- */

/* AES-256-CTR over @len bytes in place, keyed by the 48 bytes of key and IV at @kiv. */
static gboolean
aes_ctr(const guint8 kiv[static AES_KEY_LEN + AES_IV_LEN], guint8 *buf, gsize len,
	GError **error)
{
	g_autoptr(EVP_CIPHER_CTX) ctx = EVP_CIPHER_CTX_new();
	int outl = 0;

	if (ctx == NULL || len > G_MAXINT ||
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_ctr(), NULL, kiv, kiv + AES_KEY_LEN) != 1 ||
	    EVP_EncryptUpdate(ctx, buf, &outl, buf, (int)len) != 1 || (gsize)outl != len) {
		ERR_clear_error();
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO, "AES-256-CTR failed");
		return FALSE;
	}
	return TRUE;
}

/* Key and IV from the passphrase, as OpenSSH derives them for aes256-ctr. */
static MeshSecret *
derive_kiv(const guint8 *pass, gsize pass_len, const guint8 *salt, gsize salt_len,
	   unsigned rounds, GError **error)
{
	g_autoptr(MeshSecret) kiv = mesh_secret_new(AES_KEY_LEN + AES_IV_LEN);

	if (!mesh_bcrypt_pbkdf(pass, pass_len, salt, salt_len, mesh_secret_data(kiv),
			       mesh_secret_len(kiv), rounds, error))
		return NULL;
	return g_steal_pointer(&kiv);
}

/* The private section: check-ints, the key, the comment, padding to @block bytes. */
static gboolean
put_private(MeshSshWriter *w, const MeshKey *key, const char *comment, gsize block, GError **error)
{
	guint32 check;
	gboolean ok;

	if (RAND_bytes((unsigned char *)&check, sizeof check) != 1) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO, "the random generator failed");
		return FALSE;
	}
	ok = mesh_sshbuf_put_u32(w, check, error) && mesh_sshbuf_put_u32(w, check, error) &&
	     mesh_ssh_put_private(w, key, comment, error);
	for (guint8 i = 1; ok && w->len % block != 0; i++)
		ok = mesh_sshbuf_put_u8(w, i, error);
	return ok;
}

/* PEM armour around @len bytes: BEGIN line, 70-column base64, END line; NUL-terminated. */
static MeshSecret *
armour_private(const guint8 *data, gsize len)
{
	gsize head = strlen(PRIV_BEGIN "\n"), tail = strlen(PRIV_END "\n");
	gsize body = mesh_b64_encoded_len(len, WRAP_COLS);
	MeshSecret *text = mesh_secret_new(head + body + tail + 1);
	char *t = (char *)mesh_secret_data(text);

	memcpy(t, PRIV_BEGIN "\n", head);
	mesh_b64_encode_wrapped(data, len, WRAP_COLS, t + head);
	memcpy(t + head + body, PRIV_END "\n", tail);
	return text;
}

/* Encrypt the @len bytes at @inner in place under @pass with a fresh salt; the kdf options
 * (salt, rounds) go to @opts. */
static gboolean
encrypt_private(guint8 *inner, gsize len, const guint8 *pass, gsize pass_len, unsigned rounds,
		MeshSshWriter *opts, GError **error)
{
	guint8 salt[MESH_OPENSSH_SALT_LEN];
	g_autoptr(MeshSecret) kiv = NULL;

	if (RAND_bytes(salt, sizeof salt) != 1) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO, "the random generator failed");
		return FALSE;
	}
	kiv = derive_kiv(pass, pass_len, salt, sizeof salt, rounds, error);
	return kiv != NULL && aes_ctr(mesh_secret_get(kiv), inner, len, error) &&
	       mesh_sshbuf_put_string(opts, salt, sizeof salt, error) &&
	       mesh_sshbuf_put_u32(opts, rounds, error);
}

MeshSecret *
mesh_openssh_private_encode(const MeshKey *key, const char *comment, const MeshSecret *passphrase,
			    unsigned rounds, GError **error)
{
	gsize pass_len = 0, cap;
	const guint8 *pass = mesh_openssh_passphrase(passphrase, &pass_len);
	guint8 kdfopts[4 + MESH_OPENSSH_SALT_LEN + 4];
	g_autoptr(MeshSecret) inner = NULL;
	g_autoptr(MeshSecret) outer = NULL;
	g_autoptr(GBytes) pub = mesh_ssh_public_blob(key, error);
	MeshSshWriter in, out, opts;

	if (comment == NULL)
		comment = "";
	if (pub == NULL || !mesh_ssh_check_comment(comment, error))
		return NULL;
	if (!mesh_key_is_private(key) || rounds > MESH_OPENSSH_ROUNDS_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "an OpenSSH private key needs a private key and at most %d bcrypt "
			    "rounds",
			    MESH_OPENSSH_ROUNDS_MAX);
		return NULL;
	}
	cap = ENCODE_SLACK + strlen(comment);
	inner = mesh_secret_new(cap);
	outer = mesh_secret_new(cap + ENCODE_SLACK);
	mesh_sshbuf_writer_init(&in, mesh_secret_data(inner), cap);
	mesh_sshbuf_writer_init(&out, mesh_secret_data(outer), cap + ENCODE_SLACK);
	mesh_sshbuf_writer_init(&opts, kdfopts, sizeof kdfopts);
	if (!put_private(&in, key, comment, pass != NULL ? BLOCK_AES : BLOCK_NONE, error) ||
	    (pass != NULL &&
	     !encrypt_private(in.data, in.len, pass, pass_len,
	                      rounds != 0 ? rounds : MESH_OPENSSH_ROUNDS_DEFAULT, &opts, error)))
		return NULL;
	if (!mesh_sshbuf_put_bytes(&out, AUTH_MAGIC, sizeof AUTH_MAGIC, error) ||
	    !mesh_sshbuf_put_cstring(&out, pass != NULL ? CIPHER_AES : NONE, error) ||
	    !mesh_sshbuf_put_cstring(&out, pass != NULL ? KDF_BCRYPT : NONE, error) ||
	    !mesh_sshbuf_put_string(&out, kdfopts, opts.len, error) ||
	    !mesh_sshbuf_put_u32(&out, 1, error) ||
	    !mesh_sshbuf_put_string(&out, g_bytes_get_data(pub, NULL), g_bytes_get_size(pub),
				    error) ||
	    !mesh_sshbuf_put_string(&out, in.data, in.len, error))
		return NULL;
	return armour_private(out.data, out.len);
}

/* What the clear part of an openssh-key-v1 file says; pointers into the decoded bytes. */
typedef struct {
	MeshKey *pub;
	gboolean encrypted;
	const guint8 *salt;
	gsize salt_len;
	guint32 rounds;
	const guint8 *priv; /* the private section, encrypted or not */
	gsize priv_len;
} Outer;

static void
outer_clear(Outer *o)
{
	g_clear_pointer(&o->pub, mesh_key_unref);
}

/* The armour and base64 of a private key file, decoded into a new secret. */
static MeshSecret *
decode_armour(const char *text, gsize len, gsize *ret_len, GError **error)
{
	const char *body;
	gsize body_len;
	g_autoptr(MeshSecret) blob = NULL;

	if (!mesh_ssh_check_text_len(len, error) ||
	    !unarmour(text, len, PRIV_BEGIN, PRIV_END, FALSE, &body, &body_len, NULL, error))
		return NULL;
	blob = mesh_secret_new(body_len / 4 * 3 + 3);
	if (!mesh_b64_decode_lines(body, body_len, TRUE, mesh_secret_data(blob), mesh_secret_len(blob),
			ret_len, "OpenSSH private key", error))
		return NULL;
	return g_steal_pointer(&blob);
}

static gboolean
parse_kdf(Outer *o, const guint8 *cipher, gsize cipher_len, const guint8 *kdf, gsize kdf_len,
	  const guint8 *opts, gsize opts_len, unsigned max_rounds, GError **error)
{
	MeshSshReader r;
	gboolean cipher_none = mesh_sshbuf_string_is(cipher, cipher_len, NONE);
	gboolean kdf_none = mesh_sshbuf_string_is(kdf, kdf_len, NONE);
	g_autofree char *shown = NULL;

	if (!cipher_none && !mesh_sshbuf_string_is(cipher, cipher_len, CIPHER_AES)) {
		shown = mesh_sshbuf_quote(cipher, cipher_len);
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "the key is encrypted with '%s': only %s is supported (convert it with "
			    "ssh-keygen -p -Z %s)",
			    shown, CIPHER_AES, CIPHER_AES);
		return FALSE;
	}
	if (!kdf_none && !mesh_sshbuf_string_is(kdf, kdf_len, KDF_BCRYPT)) {
		shown = mesh_sshbuf_quote(kdf, kdf_len);
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "unsupported key derivation '%s': only bcrypt", shown);
		return FALSE;
	}
	if (cipher_none != kdf_none || (kdf_none && opts_len != 0)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "OpenSSH private key: the cipher and the key derivation do not go "
			    "together");
		return FALSE;
	}
	o->encrypted = !cipher_none;
	if (kdf_none)
		return TRUE;
	mesh_sshbuf_reader_init(&r, opts, opts_len, "OpenSSH private key bcrypt options");
	if (!mesh_sshbuf_get_string(&r, &o->salt, &o->salt_len, error) ||
	    !mesh_sshbuf_get_u32(&r, &o->rounds, error) || !mesh_sshbuf_expect_end(&r, error))
		return FALSE;
	if (o->salt_len == 0 || o->salt_len > SALT_MAX || o->rounds == 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "OpenSSH private key: bad bcrypt salt length or round count");
		return FALSE;
	}
	if (o->rounds > max_rounds) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "the key asks for %u bcrypt rounds, more than the limit of %u",
			    o->rounds, max_rounds);
		return FALSE;
	}
	return TRUE;
}

static gboolean
parse_outer(const guint8 *blob, gsize len, unsigned max_rounds, Outer *o, GError **error)
{
	MeshSshReader r, pr;
	const guint8 *magic, *cipher, *kdf, *opts, *pub;
	gsize cipher_len, kdf_len, opts_len, pub_len;
	guint32 nkeys;

	mesh_sshbuf_reader_init(&r, blob, len, "OpenSSH private key");
	if (!mesh_sshbuf_get_bytes(&r, sizeof AUTH_MAGIC, &magic, error))
		return FALSE;
	if (memcmp(magic, AUTH_MAGIC, sizeof AUTH_MAGIC) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "not an openssh-key-v1 private key");
		return FALSE;
	}
	if (!mesh_sshbuf_get_string(&r, &cipher, &cipher_len, error) ||
	    !mesh_sshbuf_get_string(&r, &kdf, &kdf_len, error) ||
	    !mesh_sshbuf_get_string(&r, &opts, &opts_len, error) ||
	    !parse_kdf(o, cipher, cipher_len, kdf, kdf_len, opts, opts_len, max_rounds, error) ||
	    !mesh_sshbuf_get_u32(&r, &nkeys, error))
		return FALSE;
	if (nkeys != 1) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "the file holds %u keys: only files with one key are supported", nkeys);
		return FALSE;
	}
	if (!mesh_sshbuf_get_string(&r, &pub, &pub_len, error) ||
	    !mesh_sshbuf_get_string(&r, &o->priv, &o->priv_len, error) ||
	    !mesh_sshbuf_expect_end(&r, error))
		return FALSE;
	mesh_sshbuf_reader_init(&pr, pub, pub_len, "OpenSSH private key's public key");
	o->pub = mesh_ssh_get_public(&pr, error);
	if (o->pub == NULL || !mesh_sshbuf_expect_end(&pr, error))
		return FALSE;
	if (o->priv_len == 0 || o->priv_len % (o->encrypted ? BLOCK_AES : BLOCK_NONE) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "OpenSSH private key: the private section is not a whole number of "
			    "blocks");
		return FALSE;
	}
	return TRUE;
}

/* The key in the (decrypted) private section @data; checks everything around it. */
static MeshKey *
parse_private(const Outer *o, const guint8 *data, gsize len, char **ret_comment, GError **error)
{
	MeshSshReader r;
	guint32 check1, check2;
	g_autoptr(MeshKey) key = NULL;
	g_autofree char *comment = NULL;
	const guint8 *pad;
	gsize pad_len, block;

	mesh_sshbuf_reader_init(&r, data, len, "OpenSSH private key");
	if (!mesh_sshbuf_get_u32(&r, &check1, error) || !mesh_sshbuf_get_u32(&r, &check2, error))
		return NULL;
	if (check1 != check2) {
		if (o->encrypted)
			g_set_error(error, MESH_ERROR, MESH_ERROR_BAD_PASSPHRASE,
				    "wrong passphrase for the OpenSSH private key");
		else
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
				    "OpenSSH private key: the check-ints differ");
		return NULL;
	}
	key = mesh_ssh_get_private(&r, &comment, error);
	if (key == NULL)
		return NULL;
	/* mesh_key_equal_public compares the algorithms too */
	if (!mesh_key_equal_public(key, o->pub)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "OpenSSH private key: the private key does not match the public key");
		return NULL;
	}
	/* Padding: 1, 2, 3 ... up to less than one block, and then the end. */
	pad_len = mesh_sshbuf_remaining(&r);
	block = o->encrypted ? BLOCK_AES : BLOCK_NONE;
	if (!mesh_sshbuf_get_bytes(&r, pad_len, &pad, error))
		return NULL;
	for (gsize i = 0; i < pad_len; i++) {
		if (pad[i] != (guint8)(i + 1) || pad_len >= block) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
				    "OpenSSH private key: bad padding");
			return NULL;
		}
	}
	if (ret_comment != NULL)
		*ret_comment = g_steal_pointer(&comment);
	return g_steal_pointer(&key);
}

gboolean
mesh_openssh_private_decode(const char *text, gsize len, const MeshSecret *passphrase,
			    unsigned max_rounds, MeshKey **ret_key, char **ret_comment,
			    GError **error)
{
	gsize blob_len = 0, pass_len = 0;
	const guint8 *pass = mesh_openssh_passphrase(passphrase, &pass_len);
	g_autoptr(MeshSecret) blob = decode_armour(text, len, &blob_len, error);
	g_autoptr(MeshSecret) plain = NULL;
	g_autoptr(MeshSecret) kiv = NULL;
	Outer o = { 0 };
	MeshKey *key = NULL;

	if (max_rounds == 0 || max_rounds > MESH_OPENSSH_ROUNDS_MAX)
		max_rounds = MESH_OPENSSH_ROUNDS_MAX;
	if (blob == NULL || !parse_outer(mesh_secret_get(blob), blob_len, max_rounds, &o, error))
		goto out;
	plain = mesh_secret_new_from_data(o.priv, o.priv_len);
	if (o.encrypted) {
		if (pass == NULL) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_LOCKED,
				    "the OpenSSH private key is protected: a passphrase is needed");
			goto out;
		}
		kiv = derive_kiv(pass, pass_len, o.salt, o.salt_len, o.rounds, error);
		if (kiv == NULL ||
		    !aes_ctr(mesh_secret_get(kiv), mesh_secret_data(plain), o.priv_len, error))
			goto out;
	}
	key = parse_private(&o, mesh_secret_get(plain), o.priv_len, ret_comment, error);
	if (key != NULL)
		*ret_key = key;
out:
	outer_clear(&o);
	return key != NULL;
}

gboolean
mesh_openssh_private_peek(const char *text, gsize len, MeshKey **ret_public,
			  gboolean *ret_encrypted, GError **error)
{
	gsize blob_len = 0;
	g_autoptr(MeshSecret) blob = decode_armour(text, len, &blob_len, error);
	Outer o = { 0 };
	gboolean ok = FALSE;

	if (blob == NULL ||
	    !parse_outer(mesh_secret_get(blob), blob_len, MESH_OPENSSH_ROUNDS_MAX, &o, error))
		goto out;
	*ret_public = g_steal_pointer(&o.pub);
	*ret_encrypted = o.encrypted;
	ok = TRUE;
out:
	outer_clear(&o);
	return ok;
}
