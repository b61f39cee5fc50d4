/* SPDX-License-Identifier: MIT */
#include "jose.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

#include "base64.h"
#include "error.h"
#include "jwk.h"
#include "ossl.h"
#include "json.h"


#define ALG_ECDH_KW "ECDH-ES+A256KW"
#define ALG_DIR     "dir"
#define ENC_A256GCM "A256GCM"
/* AES key wrap of a 32-byte CEK: the key and one 8-byte integrity block. */
#define WRAPPED_CEK_LEN (MESH_JOSE_CEK_LEN + 8)
/* Bounds for small binary members, checked again for their exact lengths. */
#define SMALL_MEMBER_MAX 1024
/* Largest KDF output mesh_jose_concat_kdf() gives. */
#define CONCAT_KDF_MAX_BITS 8192

/* ---- Shared helpers ---------------------------------------------------------------------- */

/* A node for @obj, taking over the caller's reference. */
static JsonNode *
object_node(JsonObject *obj)
{
	JsonNode *node = json_node_alloc();

	json_node_init_object(node, obj);
	json_object_unref(obj);
	return node;
}

/* base64url of the compact JSON text of @obj (the caller's reference is dropped). */
static char *
encode_header(JsonObject *obj)
{
	g_autoptr(JsonNode) node = object_node(obj);
	g_autofree char *text = mesh_json_to_string(node);

	return mesh_b64u_encode((const guint8 *)text, strlen(text));
}

/* Parse outside text of @len bytes, refusing more than @max_len (0: MESH_JOSE_MAX_SIZE). */
static JsonObject *
parse_text(const char *text, gsize len, gsize max_len, const char *what, JsonNode **ret_root,
	   GError **error)
{
	g_autoptr(JsonNode) root = NULL;

	if (max_len == 0)
		max_len = MESH_JOSE_MAX_SIZE;
	if (len > max_len) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "%s of %" G_GSIZE_FORMAT " bytes is larger than the limit of "
			    "%" G_GSIZE_FORMAT,
			    what, len, max_len);
		return NULL;
	}
	root = mesh_json_parse(text, len, max_len, error);
	if (root == NULL)
		return NULL;
	if (!JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "a %s must be a JSON object",
			    what);
		return NULL;
	}
	*ret_root = g_steal_pointer(&root);
	return json_node_get_object(*ret_root);
}

/* Decode the base64url string member @member of @obj into at most @max bytes. */
static GBytes *
decode_member(JsonObject *obj, const char *member, gsize max, GError **error)
{
	const char *text = NULL;
	GBytes *bytes;

	if (!mesh_json_get_string(obj, member, &text, error))
		return NULL;
	bytes = mesh_b64u_decode_bytes(text, max, error);
	if (bytes == NULL)
		g_prefix_error(error, "member \"%s\": ", member);
	return bytes;
}

/* Decode and parse a base64url protected header; it must be a JSON object. */
static JsonNode *
parse_protected(const char *b64, GError **error)
{
	g_autoptr(GBytes) raw = mesh_b64u_decode_bytes(b64, MESH_JOSE_MAX_SIZE, error);
	g_autoptr(JsonNode) node = NULL;

	if (raw == NULL) {
		g_prefix_error(error, "protected header: ");
		return NULL;
	}
	node = mesh_json_parse(g_bytes_get_data(raw, NULL), g_bytes_get_size(raw),
			       MESH_JOSE_MAX_SIZE, error);
	if (node == NULL) {
		g_prefix_error(error, "protected header: ");
		return NULL;
	}
	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "the protected header is not a JSON object");
		return NULL;
	}
	return g_steal_pointer(&node);
}

/* Refuse header parameters this implementation does not process (RFC 7515 §4.1.11). */
static gboolean
refuse_params(JsonObject *header, const char *const *names, GError **error)
{
	for (gsize i = 0; header != NULL && names[i] != NULL; i++) {
		if (json_object_has_member(header, names[i])) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
				    "header parameter \"%s\" is not supported", names[i]);
			return FALSE;
		}
	}
	return TRUE;
}

/* RFC 7515 §7.2.1 / RFC 7516 §7.2.1: the header parameter names must be disjoint. */
static gboolean
check_disjoint(JsonObject *a, JsonObject *b, GError **error)
{
	g_autoptr(GList) names = NULL;

	if (a == NULL || b == NULL)
		return TRUE;
	names = json_object_get_members(b);
	for (GList *l = names; l != NULL; l = l->next) {
		if (json_object_has_member(a, l->data)) {
			g_autofree char *quoted = mesh_error_quote(l->data);

			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
				    "header parameter \"%s\" appears in more than one header",
				    quoted);
			return FALSE;
		}
	}
	return TRUE;
}

/* The string @name from the first of @n headers (which may be NULL) that has it, or NULL. */
static gboolean
headers_get_string(JsonObject *const *headers, gsize n, const char *name, const char **ret,
		   GError **error)
{
	*ret = NULL;
	for (gsize i = 0; i < n; i++) {
		if (headers[i] != NULL && json_object_has_member(headers[i], name))
			return mesh_json_get_string(headers[i], name, ret, error);
	}
	return TRUE;
}

/* ---- Concat KDF ---------------------------------------------------------------------------- */

static void
digest_be32(EVP_MD_CTX *ctx, guint32 value, gboolean *ok)
{
	guint8 be[4] = { value >> 24, value >> 16, value >> 8, value };

	*ok = *ok && EVP_DigestUpdate(ctx, be, sizeof be) == 1;
}

/* A 32-bit length prefix, then the data (RFC 7518 §4.6.2, "Datalen || Data"). */
static void
digest_prefixed(EVP_MD_CTX *ctx, const guint8 *data, gsize len, gboolean *ok)
{
	digest_be32(ctx, (guint32)len, ok);
	*ok = *ok && (len == 0 || EVP_DigestUpdate(ctx, data, len) == 1);
}

MeshSecret *
mesh_jose_concat_kdf(const MeshSecret *z, const char *algorithm_id, const guint8 *apu,
		     gsize apu_len, const guint8 *apv, gsize apv_len, guint keydatalen_bits,
		     GError **error)
{
	g_autoptr(EVP_MD_CTX) ctx = NULL;
	g_autoptr(MeshSecret) out = NULL;
	guint8 digest[32];
	gsize done = 0;
	gboolean ok = TRUE;

	if (algorithm_id == NULL || keydatalen_bits == 0 || keydatalen_bits % 8 != 0 ||
	    keydatalen_bits > CONCAT_KDF_MAX_BITS || apu_len > G_MAXUINT32 ||
	    apv_len > G_MAXUINT32 || (apu == NULL && apu_len > 0) || (apv == NULL && apv_len > 0)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "bad Concat KDF parameters (key length %u bits)", keydatalen_bits);
		return NULL;
	}
	ctx = EVP_MD_CTX_new();
	out = mesh_secret_new(keydatalen_bits / 8);
	for (guint32 counter = 1; ok && done < mesh_secret_len(out); counter++) {
		gsize n = MIN(sizeof digest, mesh_secret_len(out) - done);

		ok = ctx != NULL && EVP_DigestInit_ex2(ctx, EVP_sha256(), NULL) == 1;
		digest_be32(ctx, counter, &ok);
		ok = ok && EVP_DigestUpdate(ctx, mesh_secret_get(z), mesh_secret_len(z)) == 1;
		digest_prefixed(ctx, (const guint8 *)algorithm_id, strlen(algorithm_id), &ok);
		digest_prefixed(ctx, apu, apu_len, &ok);
		digest_prefixed(ctx, apv, apv_len, &ok);
		digest_be32(ctx, keydatalen_bits, &ok);
		ok = ok && EVP_DigestFinal_ex(ctx, digest, NULL) == 1;
		if (ok)
			memcpy(mesh_secret_data(out) + done, digest, n);
		done += n;
	}
	OPENSSL_cleanse(digest, sizeof digest);
	if (!ok) {
		ERR_clear_error();
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO, "the Concat KDF failed");
		return NULL;
	}
	return g_steal_pointer(&out);
}

/* ---- Ciphers ------------------------------------------------------------------------------- */

/*
 * AES-256 key wrap (RFC 3394) of @in with @kek into @out (room for @in_len + 8 bytes when
 * wrapping, @in_len when unwrapping). FALSE when OpenSSL fails or the unwrap integrity check
 * does not pass.
 */
static gboolean
aes_kw(const MeshSecret *kek, gboolean wrap, const guint8 *in, gsize in_len, guint8 *out,
       gsize *ret_len)
{
	g_autoptr(EVP_CIPHER_CTX) ctx = EVP_CIPHER_CTX_new();
	int len = 0;
	int fin = 0;
	gboolean ok;

	if (ctx == NULL || mesh_secret_len(kek) != 32)
		return FALSE;
	EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	ok = EVP_CipherInit_ex2(ctx, EVP_aes_256_wrap(), mesh_secret_get(kek), NULL, wrap ? 1 : 0,
				NULL) == 1 &&
	     EVP_CipherUpdate(ctx, out, &len, in, (int)in_len) == 1 &&
	     EVP_CipherFinal_ex(ctx, out + len, &fin) == 1;
	ERR_clear_error();
	if (ok)
		*ret_len = (gsize)len + (gsize)fin;
	return ok;
}

/*
 * AES-256-GCM over @len bytes of @in into @out, with the ASCII @aad. Encrypting writes @tag;
 * decrypting checks it and returns FALSE when the content does not authenticate.
 */
static gboolean
aes_gcm(gboolean encrypt, const MeshSecret *cek, const guint8 iv[static MESH_JOSE_IV_LEN],
	const char *aad, const guint8 *in, gsize len, guint8 *out,
	guint8 tag[static MESH_JOSE_TAG_LEN])
{
	g_autoptr(EVP_CIPHER_CTX) ctx = EVP_CIPHER_CTX_new();
	int n = 0;
	int fin = 0;
	gboolean ok;

	ok = ctx != NULL && len <= G_MAXINT &&
	     EVP_CipherInit_ex2(ctx, EVP_aes_256_gcm(), mesh_secret_get(cek), iv, encrypt ? 1 : 0,
				NULL) == 1 &&
	     EVP_CipherUpdate(ctx, NULL, &n, (const guint8 *)aad, (int)strlen(aad)) == 1;
	n = 0;
	ok = ok && (len == 0 || EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1);
	ok = ok && (encrypt || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, MESH_JOSE_TAG_LEN,
						   tag) == 1);
	ok = ok && EVP_CipherFinal_ex(ctx, out + n, &fin) == 1;
	ok = ok && (!encrypt || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, MESH_JOSE_TAG_LEN,
						    tag) == 1);
	ERR_clear_error();
	return ok;
}

/* ---- JWS ----------------------------------------------------------------------------------- */

struct MeshJws {
	char *signing_input; /* ASCII(b64u(protected) "." b64u(payload)) */
	JsonNode *protected_header;
	JsonNode *unprotected_header;
	const char *alg; /* these point into the two headers above */
	const char *kid;
	const char *cty;
	GBytes *payload;
	GBytes *signature;
};

/* The JWS "alg" for @key: EdDSA or ES256. */
static const char *
jws_alg_for(const MeshKey *key, GError **error)
{
	switch (mesh_key_alg(key)) {
	case MESH_KEY_ED25519:
		return "EdDSA";
	case MESH_KEY_P256:
		return "ES256";
	default:
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "an %s key cannot sign: use Ed25519 or P-256",
			    mesh_key_alg_name(mesh_key_alg(key)));
		return NULL;
	}
}

/* Refuse a serialization longer than MESH_JOSE_MAX_SIZE: readers would refuse it. */
static gboolean
check_written_size(JsonNode *node, const char *what, GError **error)
{
	g_autofree char *text = mesh_json_to_string(node);

	if (strlen(text) > MESH_JOSE_MAX_SIZE) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "the %s would be larger than %d bytes", what, MESH_JOSE_MAX_SIZE);
		return FALSE;
	}
	return TRUE;
}

JsonNode *
mesh_jws_sign_with(const MeshKey *key, MeshJwsSignFunc sign, gpointer user_data, const char *cty,
		   const guint8 *payload, gsize len, GError **error)
{
	const char *alg = jws_alg_for(key, error);
	JsonObject *header;
	JsonObject *obj;
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(GBytes) sig = NULL;
	g_autofree char *protected_b64 = NULL;
	g_autofree char *payload_b64 = NULL;
	g_autofree char *input = NULL;
	g_autofree char *sig_b64 = NULL;

	if (alg == NULL)
		return NULL;
	if (len > MESH_JOSE_MAX_SIZE) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "a JWS payload of %" G_GSIZE_FORMAT " bytes is too large", len);
		return NULL;
	}
	header = json_object_new();
	json_object_set_string_member(header, "alg", alg);
	json_object_set_string_member(header, "kid", mesh_key_udf(key));
	if (cty != NULL)
		json_object_set_string_member(header, "cty", cty);
	protected_b64 = encode_header(header);
	payload_b64 = mesh_b64u_encode(payload, len);
	input = g_strconcat(protected_b64, ".", payload_b64, NULL);
	if (!sign(user_data, (const guint8 *)input, strlen(input), &sig, error))
		return NULL;
	if (g_bytes_get_size(sig) != MESH_KEY_SIGNATURE_LEN) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO,
			    "the signer returned %" G_GSIZE_FORMAT " bytes, not a %s signature",
			    g_bytes_get_size(sig), alg);
		return NULL;
	}
	sig_b64 = mesh_b64u_encode(g_bytes_get_data(sig, NULL), g_bytes_get_size(sig));
	obj = json_object_new();
	json_object_set_string_member(obj, "protected", protected_b64);
	json_object_set_string_member(obj, "payload", payload_b64);
	json_object_set_string_member(obj, "signature", sig_b64);
	node = object_node(obj);
	if (!check_written_size(node, "JWS", error))
		return NULL;
	return g_steal_pointer(&node);
}

static gboolean
sign_with_key(gpointer user_data, const guint8 *input, gsize len, GBytes **ret_signature,
	      GError **error)
{
	GBytes *sig = mesh_key_sign(user_data, input, len, error);

	if (sig == NULL)
		return FALSE;
	*ret_signature = sig;
	return TRUE;
}

JsonNode *
mesh_jws_sign(const MeshKey *key, const char *cty, const guint8 *payload, gsize len,
	      GError **error)
{
	return mesh_jws_sign_with(key, sign_with_key, (gpointer)key, cty, payload, len, error);
}

MeshJws *
mesh_jws_from_json(JsonNode *node, GError **error)
{
	static const char *const members[] = { "protected", "payload", "signature", "header",
					       NULL };
	static const char *const refused[] = { "crit", "b64", NULL };
	g_autoptr(MeshJws) jws = g_new0(MeshJws, 1);
	JsonObject *obj;
	JsonObject *header;
	JsonObject *unprotected = NULL;
	const char *protected_b64 = NULL;
	const char *payload_b64 = NULL;
	const char *typ = NULL;

	if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "a JWS must be a JSON object");
		return NULL;
	}
	obj = json_node_get_object(node);
	if (!mesh_json_check_members(obj, members, error) ||
	    !mesh_json_get_string(obj, "protected", &protected_b64, error) ||
	    !mesh_json_get_string(obj, "payload", &payload_b64, error))
		return NULL;
	if (json_object_has_member(obj, "header")) {
		if (!mesh_json_get_object(obj, "header", &unprotected, error))
			return NULL;
		jws->unprotected_header = json_node_copy(json_object_get_member(obj, "header"));
		unprotected = json_node_get_object(jws->unprotected_header);
	}
	jws->protected_header = parse_protected(protected_b64, error);
	if (jws->protected_header == NULL)
		return NULL;
	header = json_node_get_object(jws->protected_header);
	if (!refuse_params(header, refused, error) || !refuse_params(unprotected, refused, error) ||
	    !check_disjoint(header, unprotected, error))
		return NULL;
	/* "alg" must be integrity protected, so that it cannot be swapped. */
	if (!mesh_json_get_string(header, "alg", &jws->alg, error) ||
	    !mesh_json_get_string_opt(header, "kid", &jws->kid, error) ||
	    !mesh_json_get_string_opt(header, "cty", &jws->cty, error) ||
	    !mesh_json_get_string_opt(header, "typ", &typ, error))
		return NULL;
	if (jws->kid == NULL && unprotected != NULL &&
	    !mesh_json_get_string_opt(unprotected, "kid", &jws->kid, error))
		return NULL;
	if (strcmp(jws->alg, "EdDSA") != 0 && strcmp(jws->alg, "ES256") != 0) {
		g_autofree char *quoted = mesh_error_quote(jws->alg);

		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "JWS alg \"%s\" is not accepted: use EdDSA or ES256", quoted);
		return NULL;
	}
	jws->payload = decode_member(obj, "payload", MESH_JOSE_MAX_SIZE, error);
	if (jws->payload == NULL)
		return NULL;
	jws->signature = decode_member(obj, "signature", SMALL_MEMBER_MAX, error);
	if (jws->signature == NULL)
		return NULL;
	jws->signing_input = g_strconcat(protected_b64, ".", payload_b64, NULL);
	return g_steal_pointer(&jws);
}

MeshJws *
mesh_jws_parse(const char *text, gsize len, gsize max_len, GError **error)
{
	g_autoptr(JsonNode) root = NULL;

	if (parse_text(text, len, max_len, "JWS", &root, error) == NULL)
		return NULL;
	return mesh_jws_from_json(root, error);
}

const char *
mesh_jws_alg(const MeshJws *jws)
{
	return jws->alg;
}

const char *
mesh_jws_kid(const MeshJws *jws)
{
	return jws->kid;
}

GBytes *
mesh_jws_peek_payload(const MeshJws *jws)
{
	return g_bytes_ref(jws->payload);
}

const char *
mesh_jws_cty(const MeshJws *jws)
{
	return jws->cty;
}

GBytes *
mesh_jws_verify(const MeshJws *jws, const MeshKey *key, GError **error)
{
	const char *alg = jws_alg_for(key, error);

	if (alg == NULL)
		return NULL;
	if (strcmp(alg, jws->alg) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_BAD_SIGNATURE,
			    "the JWS is signed with %s, which does not fit the %s key %s", jws->alg,
			    mesh_key_alg_name(mesh_key_alg(key)), mesh_key_udf(key));
		return NULL;
	}
	if (!mesh_key_verify(key, (const guint8 *)jws->signing_input, strlen(jws->signing_input),
			     g_bytes_get_data(jws->signature, NULL),
			     g_bytes_get_size(jws->signature), error))
		return NULL;
	return g_bytes_ref(jws->payload);
}

void
mesh_jws_free(MeshJws *jws)
{
	if (jws == NULL)
		return;
	g_free(jws->signing_input);
	if (jws->protected_header != NULL)
		json_node_unref(jws->protected_header);
	if (jws->unprotected_header != NULL)
		json_node_unref(jws->unprotected_header);
	if (jws->payload != NULL)
		g_bytes_unref(jws->payload);
	if (jws->signature != NULL)
		g_bytes_unref(jws->signature);
	g_free(jws);
}

/* ---- JWE ----------------------------------------------------------------------------------- */

typedef struct {
	char *alg;
	char *kid;
	MeshKey *epk;          /* ECDH-ES+A256KW only */
	GBytes *apu;           /* may be NULL */
	GBytes *apv;           /* may be NULL */
	GBytes *encrypted_key; /* ECDH-ES+A256KW only */
} JweRecipient;

struct MeshJwe {
	char *aad;                  /* ASCII(b64u(protected)) [ "." b64u(aad) ] */
	JsonNode *protected_header; /* "cty" points into it */
	const char *cty;
	GBytes *iv;
	GBytes *ciphertext;
	GBytes *tag;
	GPtrArray *recipients; /* of JweRecipient */
};

static void
recipient_free(JweRecipient *rec)
{
	if (rec == NULL)
		return;
	g_free(rec->alg);
	g_free(rec->kid);
	mesh_key_unref(rec->epk);
	if (rec->apu != NULL)
		g_bytes_unref(rec->apu);
	if (rec->apv != NULL)
		g_bytes_unref(rec->apv);
	if (rec->encrypted_key != NULL)
		g_bytes_unref(rec->encrypted_key);
	g_free(rec);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(JweRecipient, recipient_free)

static gboolean
rec_is_usable(const JweRecipient *rec)
{
	return strcmp(rec->alg, ALG_ECDH_KW) == 0 || strcmp(rec->alg, ALG_DIR) == 0;
}

/* Optional base64url parameter @name of the joint header into *@ret. */
static gboolean
headers_get_bytes(JsonObject *const *headers, gsize n, const char *name, GBytes **ret,
		  GError **error)
{
	const char *text = NULL;

	if (!headers_get_string(headers, n, name, &text, error))
		return FALSE;
	if (text == NULL)
		return TRUE;
	*ret = mesh_b64u_decode_bytes(text, SMALL_MEMBER_MAX, error);
	if (*ret == NULL)
		g_prefix_error(error, "header parameter \"%s\": ", name);
	return *ret != NULL;
}

/* The ephemeral key of an ECDH-ES recipient: a public X25519 or P-256 JWK. */
static MeshKey *
parse_epk(JsonObject *const *headers, gsize n, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(MeshKey) epk = NULL;
	JsonObject *jwk = NULL;

	for (gsize i = 0; jwk == NULL && i < n; i++) {
		if (headers[i] != NULL && json_object_has_member(headers[i], "epk") &&
		    !mesh_json_get_object(headers[i], "epk", &jwk, error))
			return NULL;
	}
	if (jwk == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "no \"epk\" header parameter");
		return NULL;
	}
	if (json_object_has_member(jwk, "d")) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "the \"epk\" carries a private key");
		return NULL;
	}
	epk = mesh_key_from_jwk(jwk, &local);
	if (epk != NULL && mesh_key_alg(epk) == MESH_KEY_ED25519)
		g_set_error(&local, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "an Ed25519 key cannot agree a secret");
	if (local != NULL) {
		/* Whatever is wrong with it, an epk that cannot be used makes the JWE malformed. */
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "invalid \"epk\": %s",
			    local->message);
		return NULL;
	}
	return g_steal_pointer(&epk);
}

/* One recipient: @r is an element of "recipients", or the flattened JWE itself. */
static JweRecipient *
parse_recipient(JsonObject *r, gboolean general, JsonObject *protected_header,
		JsonObject *shared, GError **error)
{
	static const char *const members[] = { "header", "encrypted_key", NULL };
	static const char *const refused[] = { "crit", "zip", NULL };
	JsonObject *header = NULL;
	JsonObject *headers[3] = { protected_header, shared, NULL };
	const char *alg = NULL;
	const char *kid = NULL;
	const char *encrypted_key = NULL;
	g_autoptr(JweRecipient) rec = NULL;

	if ((general && !mesh_json_check_members(r, members, error)) ||
	    (json_object_has_member(r, "header") &&
	     !mesh_json_get_object(r, "header", &header, error)) ||
	    !mesh_json_get_string_opt(r, "encrypted_key", &encrypted_key, error))
		return NULL;
	headers[2] = header;
	if (!refuse_params(header, refused, error) ||
	    !check_disjoint(protected_header, header, error) ||
	    !check_disjoint(shared, header, error) ||
	    !headers_get_string(headers, G_N_ELEMENTS(headers), "alg", &alg, error) ||
	    !headers_get_string(headers, G_N_ELEMENTS(headers), "kid", &kid, error))
		return NULL;
	if (alg == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "no \"alg\" header parameter");
		return NULL;
	}
	rec = g_new0(JweRecipient, 1);
	rec->alg = g_strdup(alg);
	rec->kid = g_strdup(kid);
	if (strcmp(alg, ALG_ECDH_KW) == 0) {
		rec->epk = parse_epk(headers, G_N_ELEMENTS(headers), error);
		if (rec->epk == NULL ||
		    !headers_get_bytes(headers, G_N_ELEMENTS(headers), "apu", &rec->apu, error) ||
		    !headers_get_bytes(headers, G_N_ELEMENTS(headers), "apv", &rec->apv, error))
			return NULL;
		rec->encrypted_key = decode_member(r, "encrypted_key", SMALL_MEMBER_MAX, error);
		if (rec->encrypted_key == NULL)
			return NULL;
		if (g_bytes_get_size(rec->encrypted_key) != WRAPPED_CEK_LEN) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
				    "the encrypted key is %" G_GSIZE_FORMAT " bytes, not %d",
				    g_bytes_get_size(rec->encrypted_key), WRAPPED_CEK_LEN);
			return NULL;
		}
	} else if (strcmp(alg, ALG_DIR) == 0 && encrypted_key != NULL && *encrypted_key != '\0') {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "a \"dir\" recipient has no encrypted key");
		return NULL;
	}
	return g_steal_pointer(&rec);
}

/* "recipients" of a general JWE, or the one recipient of a flattened JWE. */
static gboolean
parse_recipients(MeshJwe *jwe, JsonObject *obj, JsonObject *protected_header, JsonObject *shared,
		 GError **error)
{
	JsonArray *array = NULL;
	guint n = 1;
	gboolean usable = FALSE;

	if (json_object_has_member(obj, "recipients")) {
		if (!mesh_json_get_array(obj, "recipients", &array, error))
			return FALSE;
		n = json_array_get_length(array);
		if (n == 0) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
				    "the JWE has no recipients");
			return FALSE;
		}
		/* Each recipient may cost a key agreement when decrypting: bound the work. */
		if (n > MESH_JOSE_RECIPIENTS_MAX) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
				    "the JWE has %u recipients, more than %d", n,
				    MESH_JOSE_RECIPIENTS_MAX);
			return FALSE;
		}
	}
	for (guint i = 0; i < n; i++) {
		JsonObject *r = obj;
		JweRecipient *rec;

		if (array != NULL) {
			JsonNode *element = json_array_get_element(array, i);

			if (!JSON_NODE_HOLDS_OBJECT(element)) {
				g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
					    "recipient %u is not a JSON object", i + 1);
				return FALSE;
			}
			r = json_node_get_object(element);
		}
		rec = parse_recipient(r, array != NULL, protected_header, shared, error);
		if (rec == NULL) {
			g_prefix_error(error, "recipient %u: ", i + 1);
			return FALSE;
		}
		usable = usable || rec_is_usable(rec);
		g_ptr_array_add(jwe->recipients, rec);
	}
	if (!usable) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "no recipient of the JWE uses alg " ALG_ECDH_KW " or " ALG_DIR);
		return FALSE;
	}
	return TRUE;
}

/* Decode the base64url member @member, which must be exactly @len bytes. */
static GBytes *
decode_fixed(JsonObject *obj, const char *member, gsize len, GError **error)
{
	g_autoptr(GBytes) bytes = decode_member(obj, member, SMALL_MEMBER_MAX, error);

	if (bytes != NULL && g_bytes_get_size(bytes) != len) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "the JWE %s is %" G_GSIZE_FORMAT " bytes, not %" G_GSIZE_FORMAT, member,
			    g_bytes_get_size(bytes), len);
		return NULL;
	}
	return g_steal_pointer(&bytes);
}

MeshJwe *
mesh_jwe_from_json(JsonNode *node, GError **error)
{
	static const char *const general[] = { "protected",  "unprotected", "recipients", "iv",
					       "ciphertext", "tag",         "aad",        NULL };
	static const char *const flattened[] = { "protected", "unprotected", "header",
						 "encrypted_key", "iv", "ciphertext", "tag",
						 "aad", NULL };
	static const char *const refused[] = { "crit", "zip", NULL };
	g_autoptr(MeshJwe) jwe = g_new0(MeshJwe, 1);
	JsonObject *obj;
	JsonObject *header;
	JsonObject *shared = NULL;
	JsonObject *headers[2] = { NULL, NULL };
	const char *protected_b64 = NULL;
	const char *aad_b64 = NULL;
	const char *enc = NULL;
	g_autoptr(GBytes) aad = NULL;

	jwe->recipients = g_ptr_array_new_with_free_func((GDestroyNotify)recipient_free);
	if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "a JWE must be a JSON object");
		return NULL;
	}
	obj = json_node_get_object(node);
	if (!mesh_json_check_members(
		    obj, json_object_has_member(obj, "recipients") ? general : flattened, error) ||
	    !mesh_json_get_string(obj, "protected", &protected_b64, error) ||
	    !mesh_json_get_string_opt(obj, "aad", &aad_b64, error) ||
	    (json_object_has_member(obj, "unprotected") &&
	     !mesh_json_get_object(obj, "unprotected", &shared, error)))
		return NULL;
	jwe->protected_header = parse_protected(protected_b64, error);
	if (jwe->protected_header == NULL)
		return NULL;
	header = json_node_get_object(jwe->protected_header);
	headers[0] = header;
	headers[1] = shared;
	if (!refuse_params(header, refused, error) || !refuse_params(shared, refused, error) ||
	    !check_disjoint(header, shared, error) ||
	    !headers_get_string(headers, G_N_ELEMENTS(headers), "enc", &enc, error) ||
	    !mesh_json_get_string_opt(header, "cty", &jwe->cty, error))
		return NULL;
	if (enc == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "the JWE has no \"enc\"");
		return NULL;
	}
	if (strcmp(enc, ENC_A256GCM) != 0) {
		g_autofree char *quoted = mesh_error_quote(enc);

		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "JWE enc \"%s\" is not supported: use " ENC_A256GCM, quoted);
		return NULL;
	}
	if (aad_b64 != NULL) {
		aad = decode_member(obj, "aad", MESH_JOSE_MAX_SIZE, error);
		if (aad == NULL)
			return NULL;
	}
	jwe->aad = aad_b64 != NULL ? g_strconcat(protected_b64, ".", aad_b64, NULL)
				   : g_strdup(protected_b64);
	jwe->iv = decode_fixed(obj, "iv", MESH_JOSE_IV_LEN, error);
	if (jwe->iv == NULL)
		return NULL;
	jwe->tag = decode_fixed(obj, "tag", MESH_JOSE_TAG_LEN, error);
	if (jwe->tag == NULL)
		return NULL;
	jwe->ciphertext = decode_member(obj, "ciphertext", MESH_JOSE_MAX_SIZE, error);
	if (jwe->ciphertext == NULL)
		return NULL;
	if (!parse_recipients(jwe, obj, header, shared, error))
		return NULL;
	return g_steal_pointer(&jwe);
}

MeshJwe *
mesh_jwe_parse(const char *text, gsize len, gsize max_len, GError **error)
{
	g_autoptr(JsonNode) root = NULL;

	if (parse_text(text, len, max_len, "JWE", &root, error) == NULL)
		return NULL;
	return mesh_jwe_from_json(root, error);
}

const char *
mesh_jwe_cty(const MeshJwe *jwe)
{
	return jwe->cty;
}

guint
mesh_jwe_n_recipients(const MeshJwe *jwe)
{
	return jwe->recipients->len;
}

const char *
mesh_jwe_recipient_alg(const MeshJwe *jwe, guint index)
{
	g_return_val_if_fail(index < jwe->recipients->len, NULL);
	return ((const JweRecipient *)g_ptr_array_index(jwe->recipients, index))->alg;
}

const char *
mesh_jwe_recipient_kid(const MeshJwe *jwe, guint index)
{
	g_return_val_if_fail(index < jwe->recipients->len, NULL);
	return ((const JweRecipient *)g_ptr_array_index(jwe->recipients, index))->kid;
}

void
mesh_jwe_free(MeshJwe *jwe)
{
	if (jwe == NULL)
		return;
	g_free(jwe->aad);
	if (jwe->protected_header != NULL)
		json_node_unref(jwe->protected_header);
	if (jwe->iv != NULL)
		g_bytes_unref(jwe->iv);
	if (jwe->ciphertext != NULL)
		g_bytes_unref(jwe->ciphertext);
	if (jwe->tag != NULL)
		g_bytes_unref(jwe->tag);
	if (jwe->recipients != NULL)
		g_ptr_array_unref(jwe->recipients);
	g_free(jwe);
}

/* The key-encryption key of an ECDH-ES+A256KW recipient (RFC 7518 §4.6.2: the AlgorithmID is
 * the "alg" value, keydatalen 256). */
static MeshSecret *
agree_private(gpointer user_data, const MeshKey *peer, GError **error)
{
	return mesh_key_agree(user_data, peer, error);
}

static MeshSecret *
derive_kek_with(MeshJweAgreeFunc agree, gpointer user_data, const MeshKey *pub, GBytes *apu,
		GBytes *apv, GError **error)
{
	g_autoptr(MeshSecret) z = agree(user_data, pub, error);

	if (z == NULL)
		return NULL;
	return mesh_jose_concat_kdf(z, ALG_ECDH_KW, apu ? g_bytes_get_data(apu, NULL) : NULL,
				    apu ? g_bytes_get_size(apu) : 0,
				    apv ? g_bytes_get_data(apv, NULL) : NULL,
				    apv ? g_bytes_get_size(apv) : 0, 256, error);
}

/* An error of the key agreement that the recipient's ephemeral key (outside data) can cause,
 * rather than the state of the key: a locked key or an unavailable store says nothing about the
 * message. */
static gboolean
agree_error_from_message(const GError *error)
{
	return error->domain == MESH_ERROR &&
	       (error->code == MESH_ERROR_MALFORMED || error->code == MESH_ERROR_CRYPTO ||
	        error->code == MESH_ERROR_INVALID_ARGUMENT);
}

/* Unwrap the CEK of @rec with the key behind @agree; NULL when it does not open, with *@error
 * set only when the key itself could not be used (agree_error_from_message). */
static MeshSecret *
unwrap_cek(const JweRecipient *rec, MeshJweAgreeFunc agree, gpointer user_data, GError **error)
{
	g_autoptr(GError) agree_error = NULL;
	g_autoptr(MeshSecret) kek =
	        derive_kek_with(agree, user_data, rec->epk, rec->apu, rec->apv, &agree_error);
	g_autoptr(MeshSecret) out = mesh_secret_new(WRAPPED_CEK_LEN);
	gsize len = 0;

	if (kek == NULL && agree_error != NULL && !agree_error_from_message(agree_error)) {
		g_propagate_error(error, g_steal_pointer(&agree_error));
		return NULL;
	}
	if (kek == NULL || !aes_kw(kek, FALSE, g_bytes_get_data(rec->encrypted_key, NULL),
				   g_bytes_get_size(rec->encrypted_key), mesh_secret_data(out),
				   &len) ||
	    len != MESH_JOSE_CEK_LEN)
		return NULL;
	return mesh_secret_new_from_data(mesh_secret_get(out), MESH_JOSE_CEK_LEN);
}

static MeshSecret *
decrypt_content(const MeshJwe *jwe, const MeshSecret *cek, GError **error)
{
	g_autoptr(MeshSecret) plaintext = mesh_secret_new(g_bytes_get_size(jwe->ciphertext));
	guint8 tag[MESH_JOSE_TAG_LEN];

	memcpy(tag, g_bytes_get_data(jwe->tag, NULL), sizeof tag);
	if (!aes_gcm(FALSE, cek, g_bytes_get_data(jwe->iv, NULL), jwe->aad,
		     g_bytes_get_data(jwe->ciphertext, NULL), g_bytes_get_size(jwe->ciphertext),
		     mesh_secret_data(plaintext), tag)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_DECRYPT,
			    "the JWE content does not authenticate: wrong key, or tampered with");
		return NULL;
	}
	return g_steal_pointer(&plaintext);
}

MeshSecret *
mesh_jwe_decrypt(const MeshJwe *jwe, const MeshKey *key, GError **error)
{
	if (mesh_key_alg(key) != MESH_KEY_ED25519 && !mesh_key_is_private(key)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "decrypting needs a private key");
		return NULL;
	}
	return mesh_jwe_decrypt_with(jwe, key, agree_private, (gpointer)key, error);
}

MeshSecret *
mesh_jwe_decrypt_with(const MeshJwe *jwe, const MeshKey *key, MeshJweAgreeFunc agree,
		      gpointer user_data, GError **error)
{
	g_autoptr(GError) key_error = NULL;
	gboolean tried = FALSE;

	if (mesh_key_alg(key) == MESH_KEY_ED25519) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "an Ed25519 key cannot decrypt: use X25519 or P-256");
		return NULL;
	}
	/* First the recipients named by kid, then any other on the key's curve: a kid is only
	 * a hint, and other tools may use other kids. */
	for (int pass = 0; pass < 2; pass++) {
		for (guint i = 0; i < jwe->recipients->len; i++) {
			const JweRecipient *rec = g_ptr_array_index(jwe->recipients, i);
			g_autoptr(MeshSecret) cek = NULL;
			gboolean named;

			if (strcmp(rec->alg, ALG_ECDH_KW) != 0 ||
			    mesh_key_alg(rec->epk) != mesh_key_alg(key))
				continue;
			named = rec->kid != NULL && mesh_key_udf_matches(key, rec->kid);
			if (named != (pass == 0))
				continue;
			tried = TRUE;
			cek = unwrap_cek(rec, agree, user_data, &key_error);
			if (cek != NULL)
				return decrypt_content(jwe, cek, error);
			if (key_error != NULL) {
				g_propagate_error(error, g_steal_pointer(&key_error));
				return NULL;
			}
		}
	}
	if (!tried) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
			    "no recipient of the JWE is for the %s key %s",
			    mesh_key_alg_name(mesh_key_alg(key)), mesh_key_udf(key));
		return NULL;
	}
	g_set_error(error, MESH_ERROR, MESH_ERROR_DECRYPT,
		    "the JWE does not open with the key %s: not a recipient, or tampered with",
		    mesh_key_udf(key));
	return NULL;
}

MeshSecret *
mesh_jwe_decrypt_dir(const MeshJwe *jwe, const MeshSecret *cek, GError **error)
{
	if (mesh_secret_len(cek) != MESH_JOSE_CEK_LEN) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "a content key is %d bytes, not %" G_GSIZE_FORMAT, MESH_JOSE_CEK_LEN,
			    mesh_secret_len(cek));
		return NULL;
	}
	for (guint i = 0; i < jwe->recipients->len; i++) {
		const JweRecipient *rec = g_ptr_array_index(jwe->recipients, i);

		if (strcmp(rec->alg, ALG_DIR) == 0)
			return decrypt_content(jwe, cek, error);
	}
	g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND, "the JWE has no \"dir\" recipient");
	return NULL;
}

/* A recipient entry {"header": {"alg", "kid", "epk"}, "encrypted_key"} for @to. */
static JsonNode *
wrap_for(const MeshKey *to, const MeshSecret *cek, GError **error)
{
	g_autoptr(MeshKey) eph = mesh_key_generate(mesh_key_alg(to), error);
	g_autoptr(MeshSecret) kek = NULL;
	g_autoptr(JsonNode) epk = NULL;
	g_autofree char *wrapped_b64 = NULL;
	guint8 wrapped[WRAPPED_CEK_LEN];
	gsize len = 0;
	JsonObject *header;
	JsonObject *rec;

	if (eph == NULL)
		return NULL;
	kek = derive_kek_with(agree_private, eph, to, NULL, NULL, error);
	if (kek == NULL)
		return NULL;
	if (!aes_kw(kek, TRUE, mesh_secret_get(cek), mesh_secret_len(cek), wrapped, &len) ||
	    len != sizeof wrapped) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO, "AES key wrap failed");
		return NULL;
	}
	epk = mesh_key_to_jwk(eph);
	json_object_remove_member(json_node_get_object(epk), "kid");
	header = json_object_new();
	json_object_set_string_member(header, "alg", ALG_ECDH_KW);
	json_object_set_string_member(header, "kid", mesh_key_udf(to));
	json_object_set_member(header, "epk", g_steal_pointer(&epk));
	wrapped_b64 = mesh_b64u_encode(wrapped, sizeof wrapped);
	rec = json_object_new();
	json_object_set_object_member(rec, "header", header);
	json_object_set_string_member(rec, "encrypted_key", wrapped_b64);
	return object_node(rec);
}

/* Encrypt @plaintext under @cek and assemble the general JWE around @recipients (taken). */
static JsonNode *
seal(const guint8 *plaintext, gsize len, const char *cty, const MeshSecret *cek,
     JsonArray *recipients, GError **error)
{
	g_autoptr(JsonArray) owned = recipients;
	g_autoptr(JsonNode) node = NULL;
	g_autofree guint8 *ciphertext = g_malloc(len > 0 ? len : 1);
	g_autofree char *protected_b64 = NULL;
	g_autofree char *iv_b64 = NULL;
	g_autofree char *ct_b64 = NULL;
	g_autofree char *tag_b64 = NULL;
	guint8 iv[MESH_JOSE_IV_LEN];
	guint8 tag[MESH_JOSE_TAG_LEN];
	JsonObject *header = json_object_new();
	JsonObject *obj;

	json_object_set_string_member(header, "enc", ENC_A256GCM);
	if (cty != NULL)
		json_object_set_string_member(header, "cty", cty);
	protected_b64 = encode_header(header);
	if (RAND_bytes(iv, sizeof iv) != 1 ||
	    !aes_gcm(TRUE, cek, iv, protected_b64, plaintext, len, ciphertext, tag)) {
		ERR_clear_error();
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO, "AES-GCM encryption failed");
		return NULL;
	}
	iv_b64 = mesh_b64u_encode(iv, sizeof iv);
	ct_b64 = mesh_b64u_encode(ciphertext, len);
	tag_b64 = mesh_b64u_encode(tag, sizeof tag);
	obj = json_object_new();
	json_object_set_string_member(obj, "protected", protected_b64);
	json_object_set_array_member(obj, "recipients", g_steal_pointer(&owned));
	json_object_set_string_member(obj, "iv", iv_b64);
	json_object_set_string_member(obj, "ciphertext", ct_b64);
	json_object_set_string_member(obj, "tag", tag_b64);
	node = object_node(obj);
	if (!check_written_size(node, "JWE", error))
		return NULL;
	return g_steal_pointer(&node);
}

static gboolean
check_plaintext_size(gsize len, GError **error)
{
	if (len > MESH_JOSE_MAX_SIZE) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "a JWE plaintext of %" G_GSIZE_FORMAT " bytes is too large", len);
		return FALSE;
	}
	return TRUE;
}

JsonNode *
mesh_jwe_encrypt(const guint8 *plaintext, gsize len, const char *cty, MeshKey *const *recipients,
		 guint n_recipients, GError **error)
{
	g_autoptr(MeshSecret) cek = NULL;
	g_autoptr(JsonArray) array = NULL;

	if (!check_plaintext_size(len, error))
		return NULL;
	if (n_recipients == 0 || n_recipients > MESH_JOSE_RECIPIENTS_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "a JWE needs 1 to %d recipients", MESH_JOSE_RECIPIENTS_MAX);
		return NULL;
	}
	for (guint i = 0; i < n_recipients; i++) {
		if (mesh_key_alg(recipients[i]) == MESH_KEY_ED25519) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
				    "recipient %u: an Ed25519 key cannot receive a JWE: use X25519 "
				    "or P-256",
				    i + 1);
			return NULL;
		}
		for (guint j = 0; j < i; j++) {
			if (mesh_key_equal_public(recipients[i], recipients[j])) {
				g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
					    "recipient %u is the same key as recipient %u", i + 1,
					    j + 1);
				return NULL;
			}
		}
	}
	cek = mesh_secret_new_random(MESH_JOSE_CEK_LEN, error);
	if (cek == NULL)
		return NULL;
	array = json_array_new();
	for (guint i = 0; i < n_recipients; i++) {
		JsonNode *rec = wrap_for(recipients[i], cek, error);

		if (rec == NULL)
			return NULL;
		json_array_add_element(array, rec);
	}
	return seal(plaintext, len, cty, cek, g_steal_pointer(&array), error);
}

JsonNode *
mesh_jwe_encrypt_dir(const guint8 *plaintext, gsize len, const char *cty, const MeshSecret *cek,
		     const char *kid, GError **error)
{
	JsonArray *array;
	JsonObject *header;
	JsonObject *rec;

	if (!check_plaintext_size(len, error))
		return NULL;
	if (mesh_secret_len(cek) != MESH_JOSE_CEK_LEN) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "a content key is %d bytes, not %" G_GSIZE_FORMAT, MESH_JOSE_CEK_LEN,
			    mesh_secret_len(cek));
		return NULL;
	}
	header = json_object_new();
	json_object_set_string_member(header, "alg", ALG_DIR);
	if (kid != NULL)
		json_object_set_string_member(header, "kid", kid);
	rec = json_object_new();
	json_object_set_object_member(rec, "header", header);
	array = json_array_new();
	json_array_add_object_element(array, rec);
	return seal(plaintext, len, cty, cek, array, error);
}
