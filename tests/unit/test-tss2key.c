/* SPDX-License-Identifier: MIT */
/* The TPM 2.0 key file codec (backends/tss2key.c), without a TPM: key files made by the tpm2
 * store and by tpm2-openssl 1.1.1 (openssl genpkey -provider tpm2, Debian 12), round trips, and
 * truncated, trailing, wrong-type, oversize and badly marshalled input. */
#include "cutest.h"
#include "error.h"
#include "key.h"
#include "tss2key.h"

#include <string.h>
#include <tss2/tss2_mu.h>

/* Written by the tpm2 store on swtpm 0.7.1: a signing key without PIN (its UDF below), and one
 * with a PIN (emptyAuth FALSE). */
static const char agent_plain[] =
	"-----BEGIN TSS2 PRIVATE KEY-----\n"
	"MIHyBgZngQUKAQOgAwEB/wIEQAAAAQRaAFgAIwALAAQEcgAAABAAGAALAAMAEAAg\n"
	"r8Be4HUPrsQE2q7sftXUpitBj6foSbDNh+vCvIqLHYIAIOI4FVbfksPZbi/71jvV\n"
	"QmSvU1/vooZKwpH7RMM17C8cBIGAAH4AIDvfKH7qTUbCU69S/zQmkilBV7UJZ6fC\n"
	"BNiDSOQuUwwaABCYLfdXo9b0xgGjjZG0XNzdBqzDYKACD5Swj0aSB3umfAjIElB6\n"
	"Zqe9JzRHQWTNM4U8JZwamWFZFbYbzxe0qPtwtA1WtWHBxRdIOg24okffw7yeE8NZ\n"
	"5pWxFEY=\n"
	"-----END TSS2 PRIVATE KEY-----\n";
static const char agent_plain_udf[] = "MDU7-I3UX-4K7L-FM4B-UCZN-6VMM-ESU5";
static const char agent_pin[] =
	"-----BEGIN TSS2 PRIVATE KEY-----\n"
	"MIHyBgZngQUKAQOgAwEBAAIEQAAAAQRaAFgAIwALAAQAcgAAABAAGAALAAMAEAAg\n"
	"IRoyctLx8DQbO8MWyARXby9j2e7q1gXGn9qk9dB/hAIAIGHfW1Y6zb5ehqX6IJgZ\n"
	"k75kxp6JL5sspMt5UqpxJMnABIGAAH4AILOPaBrXBzKO8YLV75PuLi7Ej5hJPkcD\n"
	"BWOH3qzZjcgyABCaH+zNY23QKKXsnpv71FgvYdBtuu0ihp1cMqS/+n1+0rreBRmh\n"
	"JNdWj62+OwNaAa/kL5J/FmGMy8WrwbbPw0mWqm8xKG1pfZxdBXW0vVnY3Ply8WNu\n"
	"PaNNZfM=\n"
	"-----END TSS2 PRIVATE KEY-----\n";
/* openssl genpkey -provider tpm2 -algorithm EC -pkeyopt group:P-256 (emptyAuth TRUE as 0x01),
 * and openssl pkey -provider tpm2 -pubout of it. */
static const char ossl_key[] =
	"-----BEGIN TSS2 PRIVATE KEY-----\n"
	"MIHwBgZngQUKAQOgAwEBAQIEQAAAAQRYAFYAIwALAAYAcgAAABAAEAADABAAILwL\n"
	"Ag90XmXqZO0ns6dpLJ3vonbDNbejgnyBtfxYrkqAACDUfpsqeI/GAKnjT8mbL8lQ\n"
	"WCSkmdV5jpo+sZQKSO/DxwSBgAB+ACDEurXqMhl28iYe+N9njcYp1i36vvbnvTeG\n"
	"tAJlcUEw8wAQjswPuRtez4WwqcXKvtQe8c3h9fdHn9FJQB4h/QPL5THwvj7mdWyP\n"
	"7xbUxfXKmgGExBXCaRPwySEk+MnX3ergsVfgJHEmSKwCktNkJacB63EGj2jw/71/\n"
	"DQAu\n"
	"-----END TSS2 PRIVATE KEY-----\n";
static const char ossl_pub[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEvAsCD3ReZepk7Sezp2ksne+idsM1\n"
	"t6OCfIG1/FiuSoDUfpsqeI/GAKnjT8mbL8lQWCSkmdV5jpo+sZQKSO/Dxw==\n"
	"-----END PUBLIC KEY-----\n";

static const guint8 oid_loadable[] = { 0x67, 0x81, 0x05, 0x0a, 0x01, 0x03 };
static const guint8 oid_importable[] = { 0x67, 0x81, 0x05, 0x0a, 0x01, 0x04 };
static const guint8 parent_owner[] = { 0x40, 0x00, 0x00, 0x01 };

/* The DER inside a PEM text (the test's own, lenient reading). */
static GBytes *
pem_der(const char *pem)
{
	g_auto(GStrv) lines = g_strsplit(pem, "\n", -1);
	g_autoptr(GString) b64 = g_string_new(NULL);
	guchar *der;
	gsize len = 0;

	for (guint i = 0; lines[i] != NULL; i++)
		if (lines[i][0] != '-')
			g_string_append(b64, lines[i]);
	der = g_base64_decode(b64->str, &len);
	return g_bytes_new_take(der, len);
}

static void
der_put(GByteArray *a, guint8 tag, const guint8 *body, gsize n)
{
	guint8 h[4] = { tag, 0, 0, 0 };
	guint hl = 2;

	if (n < 0x80) {
		h[1] = (guint8)n;
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
	g_byte_array_append(a, h, hl);
	g_byte_array_append(a, body, (guint)n);
}

/* The marshalled pubkey and privkey of a real key file. */
typedef struct {
	guint8 pub[sizeof(TPM2B_PUBLIC)], priv[sizeof(TPM2B_PRIVATE)];
	size_t pub_len, priv_len;
} Parts;

static void
real_parts(Parts *p)
{
	MeshTss2Key key;
	g_autoptr(GError) error = NULL;

	CU_ASSERT_TRUE_FATAL(mesh_tss2key_decode(agent_plain, strlen(agent_plain), &key, &error));
	p->pub_len = p->priv_len = 0;
	CU_ASSERT_EQUAL_FATAL(
		Tss2_MU_TPM2B_PUBLIC_Marshal(&key.pub, p->pub, sizeof p->pub, &p->pub_len), 0);
	CU_ASSERT_EQUAL_FATAL(
		Tss2_MU_TPM2B_PRIVATE_Marshal(&key.priv, p->priv, sizeof p->priv, &p->priv_len), 0);
}

/* A TPMKey DER from parts; @bool_byte < 0 leaves emptyAuth out; @extra is appended inside the
 * SEQUENCE (e.g. an optional field). */
static GBytes *
craft(const guint8 *oid, gsize oid_len, int bool_byte, const guint8 *parent, gsize parent_len,
      const guint8 *pub, gsize pub_len, const guint8 *priv, gsize priv_len, const guint8 *extra,
      gsize extra_len)
{
	g_autoptr(GByteArray) body = g_byte_array_new();
	GByteArray *out = g_byte_array_new();

	der_put(body, 0x06, oid, oid_len);
	if (bool_byte >= 0) {
		guint8 b[3] = { 0x01, 0x01, (guint8)bool_byte };

		der_put(body, 0xa0, b, sizeof b);
	}
	der_put(body, 0x02, parent, parent_len);
	der_put(body, 0x04, pub, pub_len);
	der_put(body, 0x04, priv, priv_len);
	if (extra_len > 0)
		g_byte_array_append(body, extra, (guint)extra_len);
	der_put(out, 0x30, body->data, body->len);
	return g_byte_array_free_to_bytes(out);
}

static int
decode_der_code(GBytes *der)
{
	g_autoptr(GError) error = NULL;
	MeshTss2Key key;

	if (mesh_tss2key_decode_der(g_bytes_get_data(der, NULL), g_bytes_get_size(der), &key,
				    &error))
		return 0;
	CU_ASSERT_EQUAL(error->domain, MESH_ERROR);
	return error->code;
}

static void
test_real_files(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MeshKey) pub = NULL;
	g_autoptr(MeshKey) want = NULL;
	g_autoptr(GBytes) want_der = pem_der(ossl_pub);
	MeshTss2Key key;

	CU_ASSERT_TRUE_FATAL(mesh_tss2key_decode(agent_plain, strlen(agent_plain), &key, &error));
	CU_ASSERT_TRUE(key.empty_auth);
	CU_ASSERT_EQUAL(key.parent, MESH_TSS2KEY_PARENT_OWNER);
	CU_ASSERT_EQUAL(key.pub.publicArea.type, TPM2_ALG_ECC);
	pub = mesh_tss2key_public_key(&key.pub, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(mesh_key_udf(pub), agent_plain_udf);
	g_clear_pointer(&pub, mesh_key_unref);

	CU_ASSERT_TRUE_FATAL(mesh_tss2key_decode(agent_pin, strlen(agent_pin), &key, &error));
	CU_ASSERT_FALSE(key.empty_auth);
	/* A PIN key is subject to dictionary-attack protection: noDA clear. */
	CU_ASSERT_EQUAL(key.pub.publicArea.objectAttributes & TPMA_OBJECT_NODA, 0);

	CU_ASSERT_TRUE_FATAL(mesh_tss2key_decode(ossl_key, strlen(ossl_key), &key, &error));
	CU_ASSERT_TRUE(key.empty_auth); /* written as 0x01 */
	CU_ASSERT_EQUAL(key.parent, MESH_TSS2KEY_PARENT_OWNER);
	pub = mesh_tss2key_public_key(&key.pub, &error);
	MESH_ASSERT_NO_ERROR(error);
	want = mesh_key_from_spki(g_bytes_get_data(want_der, NULL), g_bytes_get_size(want_der),
				  &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_key_equal_public(pub, want));
}

static void
test_round_trip(void)
{
	const char *files[] = { agent_plain, agent_pin, ossl_key };
	g_autoptr(GError) error = NULL;

	for (guint f = 0; f < G_N_ELEMENTS(files); f++) {
		MeshTss2Key key, again;
		g_autofree char *pem = NULL;

		CU_ASSERT_TRUE_FATAL(mesh_tss2key_decode(files[f], strlen(files[f]), &key, &error));
		pem = mesh_tss2key_encode(&key, &error);
		MESH_ASSERT_NO_ERROR(error);
		/* Our own files come back byte for byte; tpm2-openssl's differs in its BOOLEAN. */
		if (f < 2)
			CU_ASSERT_STRING_EQUAL(pem, files[f]);
		CU_ASSERT_TRUE_FATAL(mesh_tss2key_decode(pem, strlen(pem), &again, &error));
		CU_ASSERT_EQUAL(again.empty_auth, key.empty_auth);
		CU_ASSERT_EQUAL(again.parent, key.parent);
		CU_ASSERT_EQUAL(memcmp(&again.pub, &key.pub, sizeof key.pub), 0);
		CU_ASSERT_EQUAL(memcmp(&again.priv, &key.priv, sizeof key.priv), 0);
	}
}

/* Parents that need 1 to 5 INTEGER bytes round-trip in minimal form. */
static void
test_parent_integer(void)
{
	const guint32 parents[] = { 0, 1, 0x7f, 0x80, 0x81000001, 0x40000001, 0xffffffff };
	g_autoptr(GError) error = NULL;
	MeshTss2Key key, again;

	CU_ASSERT_TRUE_FATAL(mesh_tss2key_decode(agent_plain, strlen(agent_plain), &key, &error));
	for (guint i = 0; i < G_N_ELEMENTS(parents); i++) {
		g_autoptr(GBytes) der = NULL;

		key.parent = parents[i];
		der = mesh_tss2key_encode_der(&key, &error);
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_TRUE(mesh_tss2key_decode_der(g_bytes_get_data(der, NULL),
						       g_bytes_get_size(der), &again, &error));
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_EQUAL(again.parent, parents[i]);
	}
}

static void
test_truncated(void)
{
	g_autoptr(GBytes) der = pem_der(agent_plain);
	gsize len, der_len;
	const guint8 *d = g_bytes_get_data(der, &der_len);
	g_autoptr(GError) error = NULL;
	MeshTss2Key key;

	len = strlen(agent_plain);
	for (gsize n = 0; n < len - 1; n++) {
		CU_ASSERT_FALSE(mesh_tss2key_decode(agent_plain, n, &key, &error));
		CU_ASSERT_PTR_NOT_NULL(error);
		g_clear_error(&error);
	}
	for (gsize n = 0; n < der_len; n++) {
		CU_ASSERT_FALSE(mesh_tss2key_decode_der(d, n, &key, &error));
		CU_ASSERT_PTR_NOT_NULL(error);
		g_clear_error(&error);
	}
	/* Without the final newline it is still the whole file. */
	CU_ASSERT_TRUE(mesh_tss2key_decode(agent_plain, len - 1, &key, &error));
	MESH_ASSERT_NO_ERROR(error);
}

static void
test_trailing(void)
{
	g_autofree char *pem = g_strconcat(agent_plain, "x", NULL);
	g_autofree char *pem2 = g_strconcat(agent_plain, agent_plain, NULL);
	g_autofree char *lead = g_strconcat("x", agent_plain, NULL);
	g_autoptr(GBytes) der = pem_der(agent_plain);
	g_autoptr(GByteArray) longer = g_byte_array_new();
	g_autoptr(GError) error = NULL;
	MeshTss2Key key;

	CU_ASSERT_FALSE(mesh_tss2key_decode(pem, strlen(pem), &key, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	CU_ASSERT_FALSE(mesh_tss2key_decode(pem2, strlen(pem2), &key, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	CU_ASSERT_FALSE(mesh_tss2key_decode(lead, strlen(lead), &key, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	g_byte_array_append(longer, g_bytes_get_data(der, NULL), (guint)g_bytes_get_size(der));
	g_byte_array_append(longer, (const guint8 *)"\0", 1);
	CU_ASSERT_FALSE(mesh_tss2key_decode_der(longer->data, longer->len, &key, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
}

static void
test_wrong_type(void)
{
	static const guint8 oid_other[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
	static const guint8 policy[] = { 0xa1, 0x02, 0x30, 0x00 };
	g_autoptr(GError) error = NULL;
	g_autofree char *other = g_strdup(agent_plain);
	Parts p;
	MeshTss2Key key;

	real_parts(&p);
	{
		g_autoptr(GBytes) ok = craft(oid_loadable, 6, 0xff, parent_owner, 4, p.pub, p.pub_len,
					     p.priv, p.priv_len, NULL, 0);
		g_autoptr(GBytes) absent = craft(oid_loadable, 6, -1, parent_owner, 4, p.pub,
						 p.pub_len, p.priv, p.priv_len, NULL, 0);
		g_autoptr(GBytes) imp = craft(oid_importable, 6, 0xff, parent_owner, 4, p.pub,
					      p.pub_len, p.priv, p.priv_len, NULL, 0);
		g_autoptr(GBytes) ec = craft(oid_other, sizeof oid_other, 0xff, parent_owner, 4,
					     p.pub, p.pub_len, p.priv, p.priv_len, NULL, 0);
		g_autoptr(GBytes) pol = craft(oid_loadable, 6, 0xff, parent_owner, 4, p.pub,
					      p.pub_len, p.priv, p.priv_len, policy, sizeof policy);

		/* The crafted original decodes: the refusals below are for their one change. */
		CU_ASSERT_EQUAL(decode_der_code(ok), 0);
		CU_ASSERT_EQUAL(decode_der_code(absent), 0);
		CU_ASSERT_EQUAL(decode_der_code(imp), MESH_ERROR_UNSUPPORTED);
		CU_ASSERT_EQUAL(decode_der_code(ec), MESH_ERROR_UNSUPPORTED);
		CU_ASSERT_EQUAL(decode_der_code(pol), MESH_ERROR_UNSUPPORTED);
	}
	/* Another PEM label. */
	memcpy(strstr(other, "TSS2"), "XSS2", 4);
	CU_ASSERT_FALSE(mesh_tss2key_decode(other, strlen(other), &key, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
}

static void
test_bad_der(void)
{
	static const guint8 parent_neg[] = { 0xc0, 0x00, 0x00, 0x01 };
	static const guint8 parent_pad[] = { 0x00, 0x40, 0x00, 0x00, 0x01 };
	static const guint8 parent_big[] = { 0x01, 0x40, 0x00, 0x00, 0x01 };
	Parts p;
	g_autoptr(GBytes) neg = NULL;
	g_autoptr(GBytes) pad = NULL;
	g_autoptr(GBytes) big = NULL;
	g_autoptr(GBytes) der = pem_der(agent_plain);
	g_autoptr(GByteArray) longform = g_byte_array_new();
	const guint8 *d;
	gsize len;

	real_parts(&p);
	neg = craft(oid_loadable, 6, 0xff, parent_neg, 4, p.pub, p.pub_len, p.priv, p.priv_len,
		    NULL, 0);
	pad = craft(oid_loadable, 6, 0xff, parent_pad, 5, p.pub, p.pub_len, p.priv, p.priv_len,
		    NULL, 0);
	big = craft(oid_loadable, 6, 0xff, parent_big, 5, p.pub, p.pub_len, p.priv, p.priv_len,
		    NULL, 0);
	CU_ASSERT_EQUAL(decode_der_code(neg), MESH_ERROR_MALFORMED);
	CU_ASSERT_EQUAL(decode_der_code(pad), MESH_ERROR_MALFORMED);
	CU_ASSERT_EQUAL(decode_der_code(big), MESH_ERROR_MALFORMED);
	/* A non-minimal length: the outer SEQUENCE (0x81 0xf2) as 0x82 0x00 0xf2. */
	d = g_bytes_get_data(der, &len);
	CU_ASSERT_EQUAL_FATAL(d[1], 0x81);
	g_byte_array_append(longform, (const guint8 *)"\x30\x82\x00", 3);
	g_byte_array_append(longform, d + 2, (guint)(len - 2));
	{
		g_autoptr(GBytes) b = g_bytes_new(longform->data, longform->len);

		CU_ASSERT_EQUAL(decode_der_code(b), MESH_ERROR_MALFORMED);
	}
}

static void
test_oversize(void)
{
	g_autoptr(GError) error = NULL;
	gsize big = MESH_TSS2KEY_PEM_MAX + 1;
	g_autofree char *pem = g_malloc(big);
	g_autofree guint8 *der = g_malloc0(MESH_TSS2KEY_DER_MAX + 1);
	MeshTss2Key key;

	memset(pem, 'A', big);
	memcpy(pem, agent_plain, strlen(agent_plain));
	CU_ASSERT_FALSE(mesh_tss2key_decode(pem, big, &key, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	der[0] = 0x30;
	CU_ASSERT_FALSE(mesh_tss2key_decode_der(der, MESH_TSS2KEY_DER_MAX + 1, &key, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	/* A length that claims more than there is. */
	der[1] = 0x82;
	der[2] = 0x0f;
	der[3] = 0xff;
	CU_ASSERT_FALSE(mesh_tss2key_decode_der(der, 64, &key, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
}

static void
test_bad_marshalling(void)
{
	Parts p;
	guint8 pub[sizeof(TPM2B_PUBLIC) + 1], priv[sizeof(TPM2B_PRIVATE) + 1];

	real_parts(&p);
	/* One byte more inside the pubkey OCTET STRING than the TPM2B_PUBLIC holds. */
	memcpy(pub, p.pub, p.pub_len);
	pub[p.pub_len] = 0;
	{
		g_autoptr(GBytes) b = craft(oid_loadable, 6, 0xff, parent_owner, 4, pub,
					    p.pub_len + 1, p.priv, p.priv_len, NULL, 0);

		CU_ASSERT_EQUAL(decode_der_code(b), MESH_ERROR_MALFORMED);
	}
	/* A TPM2B_PUBLIC whose size field says more than there is. */
	memcpy(pub, p.pub, p.pub_len);
	pub[1]++;
	{
		g_autoptr(GBytes) b = craft(oid_loadable, 6, 0xff, parent_owner, 4, pub, p.pub_len,
					    p.priv, p.priv_len, NULL, 0);

		CU_ASSERT_EQUAL(decode_der_code(b), MESH_ERROR_MALFORMED);
	}
	/* A TPM2B_PUBLIC whose size field says less than its public area takes (tss2's
	 * unmarshaller accepts it; found by fuzz-tss2key). */
	memcpy(pub, p.pub, p.pub_len);
	pub[1] = (guint8)(pub[1] - 0x40);
	{
		g_autoptr(GBytes) b = craft(oid_loadable, 6, 0xff, parent_owner, 4, pub, p.pub_len,
					    p.priv, p.priv_len, NULL, 0);

		CU_ASSERT_EQUAL(decode_der_code(b), MESH_ERROR_MALFORMED);
	}
	/* A TPM2B_PRIVATE larger than the type allows. */
	memcpy(priv, p.priv, p.priv_len);
	priv[0] = 0xff;
	priv[1] = 0xff;
	{
		g_autoptr(GBytes) b = craft(oid_loadable, 6, 0xff, parent_owner, 4, p.pub,
					    p.pub_len, priv, p.priv_len, NULL, 0);

		CU_ASSERT_EQUAL(decode_der_code(b), MESH_ERROR_MALFORMED);
	}
	/* Empty structures. */
	{
		g_autoptr(GBytes) b = craft(oid_loadable, 6, 0xff, parent_owner, 4, p.pub,
					    p.pub_len, (const guint8 *)"\0\0", 2, NULL, 0);

		CU_ASSERT_EQUAL(decode_der_code(b), MESH_ERROR_MALFORMED);
	}
	/* An unknown object type inside the public area (bytes 2-3: type). */
	memcpy(pub, p.pub, p.pub_len);
	pub[2] = 0x7f;
	{
		g_autoptr(GBytes) b = craft(oid_loadable, 6, 0xff, parent_owner, 4, pub, p.pub_len,
					    p.priv, p.priv_len, NULL, 0);

		CU_ASSERT_EQUAL(decode_der_code(b), MESH_ERROR_MALFORMED);
	}
}

static void
test_public_key(void)
{
	g_autoptr(GError) error = NULL;
	MeshTss2Key key;
	TPM2B_PUBLIC pub;

	CU_ASSERT_TRUE_FATAL(mesh_tss2key_decode(agent_plain, strlen(agent_plain), &key, &error));
	pub = key.pub;
	pub.publicArea.type = TPM2_ALG_RSA;
	CU_ASSERT_PTR_NULL(mesh_tss2key_public_key(&pub, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNSUPPORTED);
	pub = key.pub;
	pub.publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P384;
	CU_ASSERT_PTR_NULL(mesh_tss2key_public_key(&pub, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNSUPPORTED);
	pub = key.pub;
	pub.publicArea.unique.ecc.x.size = 31;
	CU_ASSERT_PTR_NULL(mesh_tss2key_public_key(&pub, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	/* A point that is not on the curve. */
	pub = key.pub;
	pub.publicArea.unique.ecc.y.buffer[31] ^= 1;
	CU_ASSERT_PTR_NULL(mesh_tss2key_public_key(&pub, &error));
	CU_ASSERT_PTR_NOT_NULL(error);
	g_clear_error(&error);
}

/* check_primary refuses @pub with MESH_ERROR_CRYPTO. */
static void
assert_not_primary(const TPM2B_PUBLIC *pub)
{
	g_autoptr(GError) error = NULL;

	CU_ASSERT_FALSE(mesh_tss2key_check_primary(pub, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_CRYPTO);
}

/* What a TPM answers to CreatePrimary with the template: the template with a point in it (here
 * the point of a key file), accepted; anything else that differs from it, refused. */
static void
test_check_primary(void)
{
	g_autoptr(GError) error = NULL;
	MeshTss2Key key;
	TPM2B_PUBLIC good = *mesh_tss2key_primary_template(), pub;

	CU_ASSERT_TRUE_FATAL(mesh_tss2key_decode(agent_plain, strlen(agent_plain), &key, &error));
	good.publicArea.unique.ecc = key.pub.publicArea.unique.ecc;
	CU_ASSERT_TRUE(mesh_tss2key_check_primary(&good, &error));
	CU_ASSERT_PTR_NULL(error);
	/* The key file's own public area: a signing key, not a storage key. */
	assert_not_primary(&key.pub);
	/* The template without a point. */
	assert_not_primary(mesh_tss2key_primary_template());
	pub = good;
	pub.publicArea.objectAttributes &= ~TPMA_OBJECT_FIXEDTPM;
	assert_not_primary(&pub);
	pub = good;
	pub.publicArea.objectAttributes |= TPMA_OBJECT_ADMINWITHPOLICY;
	assert_not_primary(&pub);
	pub = good;
	pub.publicArea.nameAlg = TPM2_ALG_SHA384;
	assert_not_primary(&pub);
	pub = good;
	pub.publicArea.authPolicy.size = 32;
	assert_not_primary(&pub);
	pub = good;
	pub.publicArea.parameters.eccDetail.symmetric.keyBits.aes = 256;
	assert_not_primary(&pub);
	pub = good;
	pub.publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P384;
	assert_not_primary(&pub);
	pub = good;
	pub.publicArea.type = TPM2_ALG_RSA;
	assert_not_primary(&pub);
	/* The template's parameters with a point off the curve, or not 32 bytes. */
	pub = good;
	pub.publicArea.unique.ecc.y.buffer[31] ^= 1;
	assert_not_primary(&pub);
	pub = good;
	pub.publicArea.unique.ecc.x.size = 31;
	assert_not_primary(&pub);
}

static CU_TestInfo tests[] = {
	{ "key files from the store and tpm2-openssl", test_real_files },
	{ "round trip", test_round_trip },
	{ "parent INTEGER forms", test_parent_integer },
	{ "truncated input", test_truncated },
	{ "trailing data", test_trailing },
	{ "wrong type, optional fields, PEM label", test_wrong_type },
	{ "non-DER lengths and INTEGERs", test_bad_der },
	{ "oversize input", test_oversize },
	{ "bad marshalling", test_bad_marshalling },
	{ "public key extraction", test_public_key },
	{ "primary key against its template", test_check_primary },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("tss2key", tests);
}
