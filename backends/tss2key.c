/* SPDX-License-Identifier: MIT */
#include "tss2key.h"

#include <string.h>
#include <tss2/tss2_mu.h>

#include "base64.h"
#include "error.h"

#define PEM_BEGIN "-----BEGIN TSS2 PRIVATE KEY-----"
#define PEM_END   "-----END TSS2 PRIVATE KEY-----"
#define PEM_WRAP  64

#define TAG_BOOLEAN  0x01
#define TAG_INTEGER  0x02
#define TAG_OCTETS   0x04
#define TAG_OID      0x06
#define TAG_SEQUENCE 0x30
#define TAG_CTX0     0xa0

/* DER contents of the OID 2.23.133.10.1.3 (TCG, TPM 2.0 key file, loadable key). */
static const guint8 oid_loadable[] = { 0x67, 0x81, 0x05, 0x0a, 0x01, 0x03 };
/* The TCG key-file arc 2.23.133.10.1: other types under it are known but not supported. */
static const guint8 oid_keyfile_arc[] = { 0x67, 0x81, 0x05, 0x0a, 0x01 };

/* A bounded reader over DER: every read stays inside [p, p + len). */
typedef struct {
	const guint8 *p;
	gsize len;
} Der;

static gboolean
malformed(GError **error, const char *what)
{
	g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "TSS2 private key: %s", what);
	return FALSE;
}

/* One TLV with tag @tag: its contents in @ret_body; @der moves past it. Only definite, minimal
 * lengths up to 0xffff (the caps are far below). */
static gboolean
der_take(Der *der, guint8 tag, Der *ret_body, GError **error)
{
	gsize n, hdr = 2;

	if (der->len < 2 || der->p[0] != tag)
		return malformed(error, "unexpected DER element");
	n = der->p[1];
	if (n == 0x81) {
		if (der->len < 3 || der->p[2] < 0x80)
			return malformed(error, "non-minimal DER length");
		n = der->p[2];
		hdr = 3;
	} else if (n == 0x82) {
		if (der->len < 4 || der->p[2] == 0 || ((gsize)der->p[2] << 8 | der->p[3]) < 0x100)
			return malformed(error, "non-minimal DER length");
		n = (gsize)der->p[2] << 8 | der->p[3];
		hdr = 4;
	} else if (n >= 0x80) {
		return malformed(error, "DER length out of range");
	}
	if (n > der->len - hdr)
		return malformed(error, "truncated DER");
	ret_body->p = der->p + hdr;
	ret_body->len = n;
	der->p += hdr + n;
	der->len -= hdr + n;
	return TRUE;
}

/* Unmarshal a TPM2B_PUBLIC or TPM2B_PRIVATE that must fill @body exactly. */
static gboolean
unmarshal_public(const Der *body, TPM2B_PUBLIC *out, GError **error)
{
	size_t off = 0;

	memset(out, 0, sizeof *out);
	/* tss2 3.2.1 does not check that the public area fills the TPM2B's size field exactly
	 * (found by fuzz-tss2key): a wrong size would be re-marshalled differently, so the bytes
	 * read would not be the bytes the TPM's name is computed over. Check it here. */
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(body->p, body->len, &off, out) != TSS2_RC_SUCCESS ||
	    off != body->len || out->size == 0 || (gsize)out->size + 2 != body->len)
		return malformed(error, "pubkey is not a marshalled TPM2B_PUBLIC");
	return TRUE;
}

static gboolean
unmarshal_private(const Der *body, TPM2B_PRIVATE *out, GError **error)
{
	size_t off = 0;

	memset(out, 0, sizeof *out);
	if (Tss2_MU_TPM2B_PRIVATE_Unmarshal(body->p, body->len, &off, out) != TSS2_RC_SUCCESS ||
	    off != body->len || out->size == 0)
		return malformed(error, "privkey is not a marshalled TPM2B_PRIVATE");
	return TRUE;
}

gboolean
mesh_tss2key_decode_der(const guint8 *der, gsize len, MeshTss2Key *ret_key, GError **error)
{
	Der in = { der, len }, seq, oid, ctx, b, num, pub, priv;
	MeshTss2Key key;
	guint64 parent = 0;

	memset(&key, 0, sizeof key);
	if (len > MESH_TSS2KEY_DER_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "TSS2 private key: more than %d bytes of DER", MESH_TSS2KEY_DER_MAX);
		return FALSE;
	}
	if (!der_take(&in, TAG_SEQUENCE, &seq, error))
		return FALSE;
	if (in.len != 0)
		return malformed(error, "data after the TPMKey sequence");
	if (!der_take(&seq, TAG_OID, &oid, error))
		return FALSE;
	if (oid.len != sizeof oid_loadable || memcmp(oid.p, oid_loadable, oid.len) != 0) {
		gboolean tcg = oid.len == sizeof oid_loadable &&
			       memcmp(oid.p, oid_keyfile_arc, sizeof oid_keyfile_arc) == 0;

		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "TSS2 private key: %s; only loadable keys (2.23.133.10.1.3) are "
			    "supported",
			    tcg ? "an importable or sealed TPM key" : "not a TPM key type");
		return FALSE;
	}
	/* emptyAuth is optional; absent means FALSE, as in tpm2-openssl. */
	key.empty_auth = FALSE;
	if (seq.len > 0 && seq.p[0] == TAG_CTX0) {
		if (!der_take(&seq, TAG_CTX0, &ctx, error) ||
		    !der_take(&ctx, TAG_BOOLEAN, &b, error))
			return FALSE;
		/* Any non-zero byte is TRUE: tpm2-openssl 1.1.1 writes TRUE as 0x01 (BER, not
		 * DER), and its files must be read. */
		if (ctx.len != 0 || b.len != 1)
			return malformed(error, "emptyAuth is not a BOOLEAN");
		key.empty_auth = b.p[0] != 0x00;
	}
	if (!der_take(&seq, TAG_INTEGER, &num, error))
		return FALSE;
	/* A non-negative INTEGER in minimal form that fits in 32 bits. */
	if (num.len == 0 || num.len > 5 || (num.p[0] & 0x80) != 0 ||
	    (num.len > 1 && num.p[0] == 0 && (num.p[1] & 0x80) == 0) ||
	    (num.len == 5 && num.p[0] != 0))
		return malformed(error, "parent is not a 32-bit handle");
	for (gsize i = 0; i < num.len; i++)
		parent = parent << 8 | num.p[i];
	key.parent = (guint32)parent;
	if (!der_take(&seq, TAG_OCTETS, &pub, error) ||
	    !der_take(&seq, TAG_OCTETS, &priv, error))
		return FALSE;
	if (seq.len != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "TSS2 private key: optional fields after privkey (policy, secret, "
			    "description ...) are not supported");
		return FALSE;
	}
	if (!unmarshal_public(&pub, &key.pub, error) ||
	    !unmarshal_private(&priv, &key.priv, error))
		return FALSE;
	*ret_key = key;
	return TRUE;
}

/* Skip the line break after position @i (one "\n" or "\r\n"); FALSE when there is none. */
static gboolean
skip_eol(const char *text, gsize len, gsize *i)
{
	if (*i < len && text[*i] == '\r')
		(*i)++;
	if (*i >= len || text[*i] != '\n')
		return FALSE;
	(*i)++;
	return TRUE;
}

gboolean
mesh_tss2key_decode(const char *pem, gsize len, MeshTss2Key *ret_key, GError **error)
{
	const gsize begin_len = strlen(PEM_BEGIN), end_len = strlen(PEM_END);
	g_autofree guint8 *der = NULL;
	gsize i, body_start, body_end, der_len = 0;

	if (len > MESH_TSS2KEY_PEM_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "TSS2 private key: more than %d bytes of PEM", MESH_TSS2KEY_PEM_MAX);
		return FALSE;
	}
	if (len < begin_len || memcmp(pem, PEM_BEGIN, begin_len) != 0)
		return malformed(error, "does not start with '" PEM_BEGIN "'");
	i = begin_len;
	if (!skip_eol(pem, len, &i))
		return malformed(error, "no line break after the PEM begin line");
	body_start = i;
	/* The end line: the first '-' after the body (base64 has none). */
	while (i < len && pem[i] != '-')
		i++;
	body_end = i;
	if (len - i < end_len || memcmp(pem + i, PEM_END, end_len) != 0)
		return malformed(error, "no '" PEM_END "' line");
	i += end_len;
	/* Nothing after the end line but one line break. */
	if (i < len && !skip_eol(pem, len, &i))
		return malformed(error, "data after the PEM end line");
	if (i != len)
		return malformed(error, "data after the PEM end line");
	der = g_malloc(MESH_TSS2KEY_DER_MAX);
	if (!mesh_b64_decode_lines(pem + body_start, body_end - body_start, TRUE, der,
				   MESH_TSS2KEY_DER_MAX, &der_len, "TSS2 private key", error))
		return FALSE;
	return mesh_tss2key_decode_der(der, der_len, ret_key, error);
}

/* ---- Encoding ------------------------------------------------------------------------------ */

static void
der_put_header(GByteArray *out, guint8 tag, gsize n)
{
	guint8 h[4] = { tag };
	guint hl;

	/* n is bounded by the marshalled structure sizes, well below 0x10000. */
	if (n < 0x80) {
		h[1] = (guint8)n;
		hl = 2;
	} else if (n < 0x100) {
		h[1] = 0x81;
		h[2] = (guint8)n;
		hl = 3;
	} else {
		h[1] = 0x82;
		h[2] = (guint8)(n >> 8);
		h[3] = (guint8)n;
		hl = 4;
	}
	g_byte_array_append(out, h, hl);
}

static void
der_put(GByteArray *out, guint8 tag, const guint8 *body, gsize n)
{
	der_put_header(out, tag, n);
	g_byte_array_append(out, body, (guint)n);
}

GBytes *
mesh_tss2key_encode_der(const MeshTss2Key *key, GError **error)
{
	guint8 pub[sizeof(TPM2B_PUBLIC)], priv[sizeof(TPM2B_PRIVATE)], num[5];
	size_t pub_len = 0, priv_len = 0;
	g_autoptr(GByteArray) body = g_byte_array_new();
	g_autoptr(GByteArray) out = g_byte_array_new();
	static const guint8 true_bool[] = { TAG_BOOLEAN, 1, 0xff };
	static const guint8 false_bool[] = { TAG_BOOLEAN, 1, 0x00 };
	guint skip = 0;

	if (Tss2_MU_TPM2B_PUBLIC_Marshal(&key->pub, pub, sizeof pub, &pub_len) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PRIVATE_Marshal(&key->priv, priv, sizeof priv, &priv_len) !=
		    TSS2_RC_SUCCESS) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "TSS2 private key: the TPM structures do not marshal");
		return NULL;
	}
	der_put(body, TAG_OID, oid_loadable, sizeof oid_loadable);
	/* Always written, as tpm2-openssl does: readers differ on what an absent one means. */
	der_put(body, TAG_CTX0, key->empty_auth ? true_bool : false_bool, sizeof true_bool);
	/* Minimal non-negative INTEGER: drop leading zero bytes while the next byte's top bit is
	 * clear (so 0x80000000 keeps its 0x00). */
	num[0] = 0;
	for (guint i = 0; i < 4; i++)
		num[1 + i] = (guint8)(key->parent >> (24 - 8 * i));
	while (skip < 4 && num[skip] == 0 && (num[skip + 1] & 0x80) == 0)
		skip++;
	der_put(body, TAG_INTEGER, num + skip, sizeof num - skip);
	der_put(body, TAG_OCTETS, pub, pub_len);
	der_put(body, TAG_OCTETS, priv, priv_len);
	der_put(out, TAG_SEQUENCE, body->data, body->len);
	return g_byte_array_free_to_bytes(g_steal_pointer(&out));
}

char *
mesh_tss2key_encode(const MeshTss2Key *key, GError **error)
{
	g_autoptr(GBytes) der = mesh_tss2key_encode_der(key, error);
	gsize der_len, b64_len;
	const guint8 *p;
	GString *out;

	if (der == NULL)
		return NULL;
	p = g_bytes_get_data(der, &der_len);
	b64_len = mesh_b64_encoded_len(der_len, PEM_WRAP);
	out = g_string_sized_new(b64_len + 80);
	g_string_append(out, PEM_BEGIN "\n");
	g_string_set_size(out, out->len + b64_len);
	mesh_b64_encode_wrapped(p, der_len, PEM_WRAP, out->str + out->len - b64_len);
	g_string_append(out, PEM_END "\n");
	return g_string_free(out, FALSE);
}

MeshKey *
mesh_tss2key_public_key(const TPM2B_PUBLIC *pub, GError **error)
{
	const TPMT_PUBLIC *area = &pub->publicArea;
	const TPMS_ECC_POINT *q = &area->unique.ecc;
	guint8 point[MESH_KEY_P256_POINT_LEN];

	if (area->type != TPM2_ALG_ECC || area->parameters.eccDetail.curveID != TPM2_ECC_NIST_P256) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "the TPM key is not a P-256 key (type 0x%04x)", area->type);
		return NULL;
	}
	if (q->x.size != 32 || q->y.size != 32) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "the TPM key's public point does not have 32-byte coordinates");
		return NULL;
	}
	point[0] = 0x04;
	memcpy(point + 1, q->x.buffer, 32);
	memcpy(point + 33, q->y.buffer, 32);
	return mesh_key_from_raw_public(MESH_KEY_P256, point, sizeof point, error);
}

/*
 * The primary key's template: tpm2-openssl 1.1.1's primaryEccTemplate (src/tpm2-provider-pkey.c,
 * tpm2_build_primary(), used for a parent of TPM2_RH_OWNER whenever the TPM supports ECC), so
 * that the provider re-creates the same primary and can load our key files. ECC P-256 restricted
 * decryption (storage) key, SHA-256 name, AES-128-CFB, no scheme, no KDF, noDA, empty auth and
 * unique. The TPM derives a primary deterministically from the hierarchy's seed and this
 * template, so every byte matters: do not change it.
 */
static const TPM2B_PUBLIC primary_template = {
	.publicArea = {
		.type = TPM2_ALG_ECC,
		.nameAlg = TPM2_ALG_SHA256,
		.objectAttributes = TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED |
				    TPMA_OBJECT_DECRYPT | TPMA_OBJECT_NODA | TPMA_OBJECT_FIXEDTPM |
				    TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN,
		.authPolicy = { .size = 0 },
		.parameters.eccDetail = {
			.symmetric = {
				.algorithm = TPM2_ALG_AES,
				.keyBits.aes = 128,
				.mode.aes = TPM2_ALG_CFB,
			},
			.scheme = { .scheme = TPM2_ALG_NULL },
			.curveID = TPM2_ECC_NIST_P256,
			.kdf = { .scheme = TPM2_ALG_NULL },
		},
		.unique.ecc = { .x.size = 0, .y.size = 0 },
	},
};

const TPM2B_PUBLIC *
mesh_tss2key_primary_template(void)
{
	return &primary_template;
}

gboolean
mesh_tss2key_check_primary(const TPM2B_PUBLIC *pub, GError **error)
{
	guint8 want[sizeof(TPMT_PUBLIC)], got[sizeof(TPMT_PUBLIC)];
	size_t want_len = 0, got_len = 0;
	TPMT_PUBLIC area = pub->publicArea;
	g_autoptr(MeshKey) point = NULL;
	g_autoptr(GError) local = NULL;

	/* Everything but the unique field must marshal to the template's bytes: marshalling
	 * writes only what the type and scheme selectors say is there. */
	memset(&area.unique, 0, sizeof area.unique);
	if (Tss2_MU_TPMT_PUBLIC_Marshal(&primary_template.publicArea, want, sizeof want,
					&want_len) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPMT_PUBLIC_Marshal(&area, got, sizeof got, &got_len) != TSS2_RC_SUCCESS ||
	    want_len != got_len || memcmp(want, got, want_len) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO,
			    "its public area is not the template's (type, attributes or "
			    "parameters differ)");
		return FALSE;
	}
	point = mesh_tss2key_public_key(pub, &local);
	if (point == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO, "its public key: %s",
			    local->message);
		return FALSE;
	}
	return TRUE;
}
