/* SPDX-License-Identifier: MIT */
#include "cutest.h"
#include "base64.h"
#include "error.h"
#include "json.h"
#include "jwk.h"
#include "key.h"
#include "secret.h"
#include "udf.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <string.h>

static const MeshKeyAlg all_algs[] = { MESH_KEY_ED25519, MESH_KEY_X25519, MESH_KEY_P256 };

/* The object @name of tests/vectors/jose-rfc.json; *@ret_root keeps it alive. */
static const char *
vstr(JsonObject *obj, const char *member)
{
	return json_object_get_string_member(obj, member);
}

static MeshSecret *
hex_secret(const char *hex)
{
	g_autoptr(MeshSecret) s = mesh_secret_new(strlen(hex) / 2);
	GError *error = NULL;
	gsize n = 0;

	CU_ASSERT_TRUE(mesh_hex_decode(hex, mesh_secret_data(s), mesh_secret_len(s), &n, &error));
	MESH_ASSERT_NO_ERROR(error);
	return g_steal_pointer(&s);
}

static gboolean
bytes_equal_hex(GBytes *bytes, const char *hex)
{
	g_autofree char *got = mesh_hex_encode(g_bytes_get_data(bytes, NULL),
					       g_bytes_get_size(bytes));

	return g_ascii_strcasecmp(got, hex) == 0;
}

static gboolean
secret_equal_hex(const MeshSecret *secret, const char *hex)
{
	g_autofree char *got = mesh_hex_encode(mesh_secret_get(secret), mesh_secret_len(secret));

	return g_ascii_strcasecmp(got, hex) == 0;
}

/* The MeshError code of importing JWK @text (0 on success). */
static int
jwk_text_code(const char *text)
{
	GError *error = NULL;
	g_autoptr(MeshKey) key = mesh_key_from_jwk_text(text, strlen(text), &error);
	int code = error != NULL ? error->code : 0;

	CU_ASSERT_EQUAL(key == NULL, error != NULL);
	if (error != NULL)
		CU_ASSERT_EQUAL(error->domain, MESH_ERROR);
	g_clear_error(&error);
	return code;
}

/* The (public or private) JWK text of @key with @member set to the JSON @value, or removed
 * when @value is NULL. */
static char *
jwk_with(const MeshKey *key, gboolean private, const char *member, const char *value)
{
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(MeshSecret) text = NULL;
	GError *error = NULL;

	if (private) {
		text = mesh_key_to_jwk_private(key, &error);
		MESH_ASSERT_NO_ERROR(error);
		node = mesh_json_parse((const char *)mesh_secret_get(text),
				       mesh_secret_len(text) - 1, 65536, &error);
	} else {
		node = mesh_key_to_jwk(key);
	}
	MESH_ASSERT_NO_ERROR(error);
	if (value == NULL) {
		json_object_remove_member(json_node_get_object(node), member);
	} else {
		g_autoptr(JsonNode) v = mesh_json_parse(value, strlen(value), 65536, &error);

		MESH_ASSERT_NO_ERROR(error);
		json_object_set_member(json_node_get_object(node), member, g_steal_pointer(&v));
	}
	return mesh_json_to_string(node);
}

static void
test_alg_names(void)
{
	GError *error = NULL;
	MeshKeyAlg alg = 0;

	CU_ASSERT_STRING_EQUAL(mesh_key_alg_name(MESH_KEY_ED25519), "Ed25519");
	CU_ASSERT_STRING_EQUAL(mesh_key_alg_name(MESH_KEY_X25519), "X25519");
	CU_ASSERT_STRING_EQUAL(mesh_key_alg_name(MESH_KEY_P256), "P-256");
	CU_ASSERT_PTR_NULL(mesh_key_alg_name(0));
	CU_ASSERT_TRUE(mesh_key_alg_from_name("p-256", &alg, &error));
	CU_ASSERT_EQUAL(alg, MESH_KEY_P256);
	CU_ASSERT_TRUE(mesh_key_alg_from_name("ed25519", &alg, &error));
	CU_ASSERT_EQUAL(alg, MESH_KEY_ED25519);
	CU_ASSERT_FALSE(mesh_key_alg_from_name("RSA", &alg, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_EQUAL(alg, MESH_KEY_ED25519); /* untouched on error */
	CU_ASSERT_PTR_NULL(mesh_key_generate(7, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
}

static void
round_trip(MeshKeyAlg alg)
{
	GError *error = NULL;
	g_autoptr(MeshKey) key = mesh_key_generate(alg, &error);
	g_autoptr(JsonNode) jwk = NULL;
	g_autoptr(MeshKey) pub = NULL;
	g_autoptr(MeshSecret) priv_text = NULL;
	g_autoptr(MeshKey) priv = NULL;
	g_autoptr(GBytes) spki = NULL;
	g_autoptr(MeshKey) from_spki = NULL;
	g_autoptr(GBytes) raw = NULL;
	g_autoptr(MeshKey) from_raw = NULL;
	g_autoptr(MeshSecret) raw_priv = NULL;
	g_autoptr(MeshSecret) raw_priv2 = NULL;
	g_autoptr(MeshKey) from_raw_priv = NULL;
	g_autoptr(MeshKey) from_pkey = NULL;
	g_autoptr(MeshKey) pub_from_pkey = NULL;
	unsigned char *der = NULL;
	const char *udf;
	int der_len;

	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_key_is_private(key));
	CU_ASSERT_EQUAL(mesh_key_alg(key), alg);
	udf = mesh_key_udf(key);
	CU_ASSERT_EQUAL(udf[0], 'M');
	CU_ASSERT_EQUAL(strlen(udf), 28 + 6); /* 140 bits, dashed */

	/* JWK, public. */
	jwk = mesh_key_to_jwk(key);
	CU_ASSERT_STRING_EQUAL(json_object_get_string_member(json_node_get_object(jwk), "kid"),
			       udf);
	CU_ASSERT_FALSE(json_object_has_member(json_node_get_object(jwk), "d"));
	pub = mesh_key_from_jwk(json_node_get_object(jwk), &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(mesh_key_is_private(pub));
	CU_ASSERT_TRUE(mesh_key_equal_public(key, pub));
	CU_ASSERT_STRING_EQUAL(mesh_key_udf(pub), udf);

	/* JWK, private, as NUL-terminated text in a secret. */
	priv_text = mesh_key_to_jwk_private(key, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(strlen((const char *)mesh_secret_get(priv_text)) + 1,
			mesh_secret_len(priv_text));
	CU_ASSERT_PTR_NOT_NULL(strstr((const char *)mesh_secret_get(priv_text), "\"d\":\""));
	priv = mesh_key_from_jwk_text((const char *)mesh_secret_get(priv_text),
				      mesh_secret_len(priv_text) - 1, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_key_is_private(priv));
	CU_ASSERT_STRING_EQUAL(mesh_key_udf(priv), udf);
	raw_priv = mesh_key_to_raw_private(key, &error);
	raw_priv2 = mesh_key_to_raw_private(priv, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(mesh_secret_len(raw_priv), MESH_KEY_RAW_LEN);
	CU_ASSERT_TRUE(mesh_secret_equal(raw_priv, raw_priv2));

	/* SPKI: ours is byte-identical to OpenSSL's encoding. */
	spki = mesh_key_get_spki(key);
	der_len = i2d_PUBKEY(mesh_key_borrow_pkey(key), &der);
	CU_ASSERT_EQUAL_FATAL((gsize)der_len, g_bytes_get_size(spki));
	CU_ASSERT_EQUAL(memcmp(der, g_bytes_get_data(spki, NULL), der_len), 0);
	OPENSSL_free(der);
	from_spki = mesh_key_from_spki(g_bytes_get_data(spki, NULL), g_bytes_get_size(spki),
				       &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_key_equal_public(key, from_spki));
	CU_ASSERT_STRING_EQUAL(mesh_key_udf(from_spki), udf);
	{
		g_autofree char *expect = mesh_udf_key_fingerprint(
			g_bytes_get_data(spki, NULL), g_bytes_get_size(spki), 0, &error);

		CU_ASSERT_STRING_EQUAL(expect, udf);
	}

	/* Raw. */
	raw = mesh_key_get_raw_public(key);
	CU_ASSERT_EQUAL(g_bytes_get_size(raw),
			alg == MESH_KEY_P256 ? MESH_KEY_P256_POINT_LEN : MESH_KEY_RAW_LEN);
	from_raw = mesh_key_from_raw_public(alg, g_bytes_get_data(raw, NULL), g_bytes_get_size(raw),
					    &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(mesh_key_udf(from_raw), udf);
	from_raw_priv = mesh_key_from_raw_private(alg, raw_priv, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_key_is_private(from_raw_priv));
	CU_ASSERT_STRING_EQUAL(mesh_key_udf(from_raw_priv), udf);

	/* A public key has no private part to give. */
	CU_ASSERT_PTR_NULL(mesh_key_to_raw_private(pub, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(mesh_key_to_jwk_private(pub, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);

	/* Wrapping an EVP_PKEY tells private from public. */
	from_pkey = mesh_key_new_from_pkey(mesh_key_borrow_pkey(key), &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_key_is_private(from_pkey));
	pub_from_pkey = mesh_key_new_from_pkey(mesh_key_borrow_pkey(pub), &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(mesh_key_is_private(pub_from_pkey));
	CU_ASSERT_STRING_EQUAL(mesh_key_udf(pub_from_pkey), udf);
}

static void
test_round_trips(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(all_algs); i++)
		round_trip(all_algs[i]);
}

static void
test_udf_matches(void)
{
	GError *error = NULL;
	g_autoptr(MeshKey) key = mesh_key_generate(MESH_KEY_ED25519, &error);
	g_autoptr(MeshKey) other = mesh_key_generate(MESH_KEY_ED25519, &error);
	g_autoptr(GBytes) spki = mesh_key_get_spki(key);
	g_autofree char *lower = g_ascii_strdown(mesh_key_udf(key), -1);
	g_autofree char *longer = mesh_udf_key_fingerprint(g_bytes_get_data(spki, NULL),
							   g_bytes_get_size(spki), 200, &error);
	g_autofree char *shorter = g_strndup(mesh_key_udf(key), 24); /* 20 chars = 100 bits */
	g_autofree char *bad_long = g_strdup(longer);

	MESH_ASSERT_NO_ERROR(error);
	bad_long[strlen(bad_long) - 1] = bad_long[strlen(bad_long) - 1] == 'A' ? 'B' : 'A';
	CU_ASSERT_TRUE(mesh_key_udf_matches(key, mesh_key_udf(key)));
	CU_ASSERT_TRUE(mesh_key_udf_matches(key, lower));
	CU_ASSERT_TRUE(mesh_key_udf_matches(key, longer));
	CU_ASSERT_TRUE(mesh_key_udf_matches(key, shorter));
	CU_ASSERT_FALSE(mesh_key_udf_matches(key, bad_long));
	CU_ASSERT_FALSE(mesh_key_udf_matches(key, mesh_key_udf(other)));
	CU_ASSERT_FALSE(mesh_key_udf_matches(key, "MDDK-7N6A"));
	CU_ASSERT_FALSE(mesh_key_udf_matches(key, "not a udf"));
	CU_ASSERT_FALSE(mesh_key_udf_matches(key, NULL));
}

/* RFC 8037 A.1-A.4: key, thumbprint, and the deterministic Ed25519 JWS signature. */
static void
test_rfc8037_ed25519(void)
{
	g_autoptr(JsonNode) root = NULL;
	JsonObject *v = mesh_test_vectors(&root, "jose-rfc.json", "rfc8037_a");
	JsonObject *jwk = json_object_get_object_member(v, "jwk");
	GError *error = NULL;
	g_autoptr(MeshKey) key = mesh_key_from_jwk(jwk, &error);
	g_autoptr(JsonNode) pub_jwk = NULL;
	g_autoptr(MeshKey) pub = NULL;
	g_autofree char *thumb = NULL;
	g_autofree char *input = g_strconcat(vstr(v, "protected"), ".", vstr(v, "payload"), NULL);
	g_autofree char *sig_b64 = NULL;
	g_autoptr(GBytes) sig = NULL;
	g_autoptr(GBytes) payload = NULL;

	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_key_is_private(key));
	/* A.2: the public key derived from d is the x given. */
	pub_jwk = mesh_key_to_jwk(key);
	CU_ASSERT_STRING_EQUAL(json_object_get_string_member(json_node_get_object(pub_jwk), "x"),
			       vstr(jwk, "x"));
	json_object_remove_member(json_node_get_object(pub_jwk), "kid");
	pub = mesh_key_from_jwk(json_node_get_object(pub_jwk), &error);
	MESH_ASSERT_NO_ERROR(error);
	/* A.3 */
	thumb = mesh_key_jwk_thumbprint(key);
	CU_ASSERT_STRING_EQUAL(thumb, vstr(v, "thumbprint"));
	/* A.4: the payload, then our signature is byte-identical and verifies. */
	payload = mesh_b64u_decode_bytes(vstr(v, "payload"), 1024, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(g_bytes_get_size(payload), strlen(vstr(v, "payload_text")));
	CU_ASSERT_EQUAL(memcmp(g_bytes_get_data(payload, NULL), vstr(v, "payload_text"),
			       g_bytes_get_size(payload)),
			0);
	sig = mesh_key_sign(key, (const guint8 *)input, strlen(input), &error);
	MESH_ASSERT_NO_ERROR(error);
	sig_b64 = mesh_b64u_encode(g_bytes_get_data(sig, NULL), g_bytes_get_size(sig));
	CU_ASSERT_STRING_EQUAL(sig_b64, vstr(v, "signature"));
	CU_ASSERT_TRUE(mesh_key_verify(pub, (const guint8 *)input, strlen(input),
				       g_bytes_get_data(sig, NULL), g_bytes_get_size(sig), &error));
	MESH_ASSERT_NO_ERROR(error);
	/* The same signature does not verify for a changed input. */
	input[strlen(input) - 1] ^= 1;
	CU_ASSERT_FALSE(mesh_key_verify(pub, (const guint8 *)input, strlen(input),
					g_bytes_get_data(sig, NULL), g_bytes_get_size(sig),
					&error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_BAD_SIGNATURE);
}

/* RFC 7515 A.3: the ES256 example signature verifies with the example key. */
static void
test_rfc7515_es256(void)
{
	g_autoptr(JsonNode) root = NULL;
	JsonObject *v = mesh_test_vectors(&root, "jose-rfc.json", "rfc7515_a3");
	JsonObject *jwk = json_object_get_object_member(v, "jwk");
	GError *error = NULL;
	g_autoptr(MeshKey) priv = mesh_key_from_jwk(jwk, &error);
	g_autoptr(MeshKey) pub = NULL;
	g_autoptr(GBytes) sig = mesh_b64u_decode_bytes(vstr(v, "signature"), 1024, &error);
	g_autofree char *input = g_strconcat(vstr(v, "protected"), ".", vstr(v, "payload"), NULL);
	g_autofree guint8 *bad = g_memdup2(g_bytes_get_data(sig, NULL), g_bytes_get_size(sig));

	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_key_is_private(priv)); /* d belongs to x, y */
	pub = mesh_key_get_public(priv, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL_FATAL(g_bytes_get_size(sig), 64);
	CU_ASSERT_TRUE(mesh_key_verify(pub, (const guint8 *)input, strlen(input),
				       g_bytes_get_data(sig, NULL), 64, &error));
	MESH_ASSERT_NO_ERROR(error);
	bad[63] ^= 1;
	CU_ASSERT_FALSE(
		mesh_key_verify(pub, (const guint8 *)input, strlen(input), bad, 64, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_BAD_SIGNATURE);
}

/* RFC 7748 §6.1 X25519 and RFC 8037 A.6 (the same keys as JWKs). */
static void
test_rfc7748_x25519(void)
{
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(JsonNode) root6 = NULL;
	JsonObject *v = mesh_test_vectors(&root, "jose-rfc.json", "rfc7748_6_1");
	JsonObject *a6 = mesh_test_vectors(&root6, "jose-rfc.json", "rfc8037_a6");
	GError *error = NULL;
	g_autoptr(MeshSecret) alice_priv = hex_secret(vstr(v, "alice_private"));
	g_autoptr(MeshSecret) bob_priv = hex_secret(vstr(v, "bob_private"));
	g_autoptr(MeshKey) alice = mesh_key_from_raw_private(MESH_KEY_X25519, alice_priv, &error);
	g_autoptr(MeshKey) bob = mesh_key_from_raw_private(MESH_KEY_X25519, bob_priv, &error);
	g_autoptr(GBytes) alice_pub = NULL;
	g_autoptr(GBytes) bob_pub = NULL;
	g_autoptr(MeshSecret) ab = NULL;
	g_autoptr(MeshSecret) ba = NULL;
	g_autoptr(JsonNode) bob_jwk = NULL;
	g_autoptr(JsonNode) eph_jwk = NULL;
	g_autoptr(MeshKey) epk = NULL;
	g_autoptr(MeshSecret) z = NULL;

	MESH_ASSERT_NO_ERROR(error);
	alice_pub = mesh_key_get_raw_public(alice);
	bob_pub = mesh_key_get_raw_public(bob);
	CU_ASSERT_TRUE(bytes_equal_hex(alice_pub, vstr(v, "alice_public")));
	CU_ASSERT_TRUE(bytes_equal_hex(bob_pub, vstr(v, "bob_public")));
	ab = mesh_key_agree(alice, bob, &error);
	ba = mesh_key_agree(bob, alice, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(secret_equal_hex(ab, vstr(v, "shared")));
	CU_ASSERT_TRUE(secret_equal_hex(ba, vstr(v, "shared")));

	/* RFC 8037 A.6: Bob's JWK "x", the epk, and Z from the recipient's side. */
	CU_ASSERT_STRING_EQUAL(vstr(a6, "bob_private_hex"), vstr(v, "bob_private"));
	bob_jwk = mesh_key_to_jwk(bob);
	CU_ASSERT_STRING_EQUAL(json_object_get_string_member(json_node_get_object(bob_jwk), "x"),
			       vstr(a6, "bob_x"));
	eph_jwk = mesh_key_to_jwk(alice);
	CU_ASSERT_STRING_EQUAL(json_object_get_string_member(json_node_get_object(eph_jwk), "x"),
			       json_object_get_string_member(
				       json_object_get_object_member(a6, "epk"), "x"));
	epk = mesh_key_from_jwk(json_object_get_object_member(a6, "epk"), &error);
	MESH_ASSERT_NO_ERROR(error);
	z = mesh_key_agree(bob, epk, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(secret_equal_hex(z, vstr(a6, "z_hex")));
}

static void
test_jwk_negatives(void)
{
	static const char zeros_b64[] = "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"";
	static const struct {
		gboolean p256;    /* start from the P-256 key, else from the Ed25519 key */
		gboolean private; /* start from its private JWK */
		const char *member;
		const char *value; /* JSON text; NULL removes the member */
		int code;
	} cases[] = {
		/* Optional members that are accepted. */
		{ FALSE, FALSE, "use", "\"sig\"", 0 },
		{ TRUE, TRUE, "key_ops", "[\"sign\"]", 0 },
		/* Wrong kty / crv. */
		{ FALSE, FALSE, "crv", "\"P-256\"", MESH_ERROR_UNSUPPORTED },
		{ FALSE, FALSE, "crv", "\"Ed448\"", MESH_ERROR_UNSUPPORTED },
		{ TRUE, FALSE, "crv", "\"P-384\"", MESH_ERROR_UNSUPPORTED },
		{ FALSE, FALSE, "kty", "\"RSA\"", MESH_ERROR_UNSUPPORTED },
		/* Not canonical base64url (non-zero trailing bits); a point not on the curve. */
		{ FALSE, FALSE, "x", "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB\"",
		  MESH_ERROR_MALFORMED },
		{ TRUE, FALSE, "y", "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE\"",
		  MESH_ERROR_MALFORMED },
		/* d of the wrong length; a P-256 d out of range (0, and the group order n). */
		{ FALSE, TRUE, "d", "\"AAAA\"", MESH_ERROR_MALFORMED },
		{ TRUE, TRUE, "d", zeros_b64, MESH_ERROR_MALFORMED },
		{ TRUE, TRUE, "d", "\"_____wAAAAD__________7zm-q2nF56E87nKwvxjJVE\"",
		  MESH_ERROR_MALFORMED },
		/* Wrong JSON types, missing and extra members. */
		{ FALSE, FALSE, "x", "5", MESH_ERROR_MALFORMED },
		{ FALSE, FALSE, "kid", "[]", MESH_ERROR_MALFORMED },
		{ FALSE, FALSE, "key_ops", "\"sign\"", MESH_ERROR_MALFORMED },
		{ FALSE, FALSE, "crv", "null", MESH_ERROR_MALFORMED },
		{ FALSE, FALSE, "x", NULL, MESH_ERROR_MALFORMED },
		{ TRUE, FALSE, "y", NULL, MESH_ERROR_MALFORMED },
		{ FALSE, FALSE, "kty", NULL, MESH_ERROR_MALFORMED },
		{ FALSE, FALSE, "y", zeros_b64, MESH_ERROR_MALFORMED },
		{ FALSE, FALSE, "extra", "1", MESH_ERROR_MALFORMED },
	};
	GError *error = NULL;
	g_autoptr(MeshKey) ed = mesh_key_generate(MESH_KEY_ED25519, &error);
	g_autoptr(MeshKey) p256 = mesh_key_generate(MESH_KEY_P256, &error);
	g_autoptr(JsonNode) ed_jwk = mesh_key_to_jwk(ed);
	const char *x = json_object_get_string_member(json_node_get_object(ed_jwk), "x");
	g_autofree char *x_plus = g_strdup_printf("\"%.5s+%s\"", x, x + 6);
	g_autofree char *x_long = g_strdup_printf("\"%sAA\"", x);
	g_autofree char *x_short = g_strdup_printf("\"%.42s\"", x);
	const char *bad_x[] = { x_plus, x_long, x_short };
	g_autofree char *dup = g_strdup_printf(
		"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"x\":\"%s\"}", x, x);
	g_autofree char *big_kid = g_strnfill(9000, 'k');
	g_autofree char *oversize = g_strdup_printf(
		"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"%s\"}", x, big_kid);
	g_autofree char *truncated = NULL;

	MESH_ASSERT_NO_ERROR(error);
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = jwk_with(cases[i].p256 ? p256 : ed, cases[i].private,
						 cases[i].member, cases[i].value);
		int code = jwk_text_code(text);

		if (code != cases[i].code)
			g_printerr("%s = %s: code %d, expected %d\n", cases[i].member,
				   cases[i].value ? cases[i].value : "(removed)", code,
				   cases[i].code);
		CU_ASSERT_EQUAL(code, cases[i].code);
	}
	/* x with a character that is not base64url, too long, too short. */
	for (gsize i = 0; i < G_N_ELEMENTS(bad_x); i++) {
		g_autofree char *text = jwk_with(ed, FALSE, "x", bad_x[i]);

		CU_ASSERT_EQUAL(jwk_text_code(text), MESH_ERROR_MALFORMED);
	}
	/* d that belongs to another key, for each algorithm. */
	for (gsize i = 0; i < G_N_ELEMENTS(all_algs); i++) {
		g_autoptr(MeshKey) a = mesh_key_generate(all_algs[i], &error);
		g_autoptr(MeshKey) b = mesh_key_generate(all_algs[i], &error);
		g_autoptr(MeshSecret) d = mesh_key_to_raw_private(b, &error);
		g_autofree char *d_b64 = NULL;
		g_autofree char *d_json = NULL;
		g_autofree char *text = NULL;

		MESH_ASSERT_NO_ERROR(error);
		d_b64 = mesh_b64u_encode(mesh_secret_get(d), mesh_secret_len(d));
		d_json = g_strdup_printf("\"%s\"", d_b64);
		text = jwk_with(a, TRUE, "d", d_json);
		CU_ASSERT_EQUAL(jwk_text_code(text), MESH_ERROR_MALFORMED);
	}
	/* Not an object, empty, a duplicate member, truncated, oversize. */
	CU_ASSERT_EQUAL(jwk_text_code("[]"), MESH_ERROR_MALFORMED);
	CU_ASSERT_EQUAL(jwk_text_code(""), MESH_ERROR_MALFORMED);
	CU_ASSERT_EQUAL(jwk_text_code(dup), MESH_ERROR_MALFORMED);
	truncated = g_strndup(dup, strlen(dup) - 3);
	CU_ASSERT_EQUAL(jwk_text_code(truncated), MESH_ERROR_MALFORMED);
	CU_ASSERT_EQUAL(jwk_text_code(oversize), MESH_ERROR_TOO_LARGE);
}

static void
test_public_object(void)
{
	GError *error = NULL;
	g_autoptr(MeshKey) key = mesh_key_generate(MESH_KEY_X25519, &error);
	g_autoptr(MeshKey) other = mesh_key_generate(MESH_KEY_X25519, &error);
	g_autoptr(JsonNode) node = mesh_key_to_public_object(key);
	JsonObject *obj = json_node_get_object(node);
	JsonObject *jwk = json_object_get_object_member(obj, "PublicParameters");
	g_autoptr(MeshKey) back = mesh_key_from_public_object(obj, &error);
	g_autofree char *lower = g_ascii_strdown(mesh_key_udf(key), -1);

	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(json_object_get_string_member(obj, "UDF"), mesh_key_udf(key));
	CU_ASSERT_FALSE(mesh_key_is_private(back));
	CU_ASSERT_TRUE(mesh_key_equal_public(key, back));
	g_clear_pointer(&back, mesh_key_unref);

	/* Another spelling of the same UDF is fine. */
	json_object_set_string_member(obj, "UDF", lower);
	back = mesh_key_from_public_object(obj, &error);
	MESH_ASSERT_NO_ERROR(error);
	g_clear_pointer(&back, mesh_key_unref);

	/* Another key's UDF, as UDF or as kid. */
	json_object_set_string_member(obj, "UDF", mesh_key_udf(other));
	CU_ASSERT_PTR_NULL(mesh_key_from_public_object(obj, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	json_object_set_string_member(obj, "UDF", mesh_key_udf(key));
	json_object_set_string_member(jwk, "kid", mesh_key_udf(other));
	CU_ASSERT_PTR_NULL(mesh_key_from_public_object(obj, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	json_object_set_string_member(jwk, "kid", mesh_key_udf(key));

	/* A private key, an extra member, a missing member. */
	json_object_set_string_member(jwk, "d", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	CU_ASSERT_PTR_NULL(mesh_key_from_public_object(obj, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	json_object_remove_member(jwk, "d");
	json_object_set_int_member(obj, "Extra", 1);
	CU_ASSERT_PTR_NULL(mesh_key_from_public_object(obj, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	json_object_remove_member(obj, "Extra");
	json_object_remove_member(obj, "UDF");
	CU_ASSERT_PTR_NULL(mesh_key_from_public_object(obj, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
}

static void
test_spki_negatives(void)
{
	GError *error = NULL;
	g_autoptr(MeshKey) key = mesh_key_generate(MESH_KEY_P256, &error);
	g_autoptr(GBytes) spki = mesh_key_get_spki(key);
	const guint8 *der = g_bytes_get_data(spki, NULL);
	gsize len = g_bytes_get_size(spki);
	g_autofree guint8 *longer = g_malloc0(len + 1);
	g_autofree guint8 *big = g_malloc0(4096);
	EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	EVP_PKEY *compressed = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	unsigned char *cder = NULL;
	unsigned char *p384_der = NULL;
	int n;

	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NULL(mesh_key_from_spki(der, len - 1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	memcpy(longer, der, len);
	CU_ASSERT_PTR_NULL(mesh_key_from_spki(longer, len + 1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	CU_ASSERT_PTR_NULL(mesh_key_from_spki(big, 4096, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);

	/* Another curve. */
	CU_ASSERT_PTR_NOT_NULL_FATAL(p384);
	n = i2d_PUBKEY(p384, &p384_der);
	CU_ASSERT_PTR_NULL(mesh_key_from_spki(p384_der, (gsize)n, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNSUPPORTED);
	CU_ASSERT_PTR_NULL(mesh_key_new_from_pkey(p384, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNSUPPORTED);

	/* A compressed point is refused as SPKI, but a key that prefers that form still gets
	 * the canonical SPKI and UDF. */
	CU_ASSERT_PTR_NOT_NULL_FATAL(compressed);
	CU_ASSERT_EQUAL(EVP_PKEY_set_utf8_string_param(compressed,
						       OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
						       "compressed"),
			1);
	n = i2d_PUBKEY(compressed, &cder);
	CU_ASSERT_EQUAL(n, 59);
	CU_ASSERT_PTR_NULL(mesh_key_from_spki(cder, (gsize)n, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	{
		g_autoptr(MeshKey) wrapped = mesh_key_new_from_pkey(compressed, &error);
		g_autoptr(GBytes) raw = NULL;
		g_autoptr(MeshKey) canonical = NULL;

		MESH_ASSERT_NO_ERROR(error);
		raw = mesh_key_get_raw_public(wrapped);
		canonical = mesh_key_from_raw_public(MESH_KEY_P256, g_bytes_get_data(raw, NULL),
						     g_bytes_get_size(raw), &error);
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_STRING_EQUAL(mesh_key_udf(wrapped), mesh_key_udf(canonical));
	}
	OPENSSL_free(cder);
	OPENSSL_free(p384_der);
	EVP_PKEY_free(compressed);
	EVP_PKEY_free(p384);
}

static void
test_raw_negatives(void)
{
	GError *error = NULL;
	g_autoptr(MeshKey) key = mesh_key_generate(MESH_KEY_P256, &error);
	g_autoptr(GBytes) raw = mesh_key_get_raw_public(key);
	g_autofree guint8 *point = g_memdup2(g_bytes_get_data(raw, NULL), 65);
	g_autoptr(MeshSecret) zero = mesh_secret_new(32);
	g_autoptr(MeshSecret) short_secret = mesh_secret_new(31);
	guint8 zeros[65] = { 0 };

	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NULL(mesh_key_from_raw_public(MESH_KEY_ED25519, zeros, 31, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	CU_ASSERT_PTR_NULL(mesh_key_from_raw_public(MESH_KEY_P256, point, 64, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	point[0] = 0x02;
	CU_ASSERT_PTR_NULL(mesh_key_from_raw_public(MESH_KEY_P256, point, 65, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	point[0] = 0x04;
	point[64] ^= 1; /* off the curve */
	CU_ASSERT_PTR_NULL(mesh_key_from_raw_public(MESH_KEY_P256, point, 65, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	zeros[0] = 0x04; /* (0, 0) is not on the curve either */
	CU_ASSERT_PTR_NULL(mesh_key_from_raw_public(MESH_KEY_P256, zeros, 65, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	CU_ASSERT_PTR_NULL(mesh_key_from_raw_private(MESH_KEY_P256, zero, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	CU_ASSERT_PTR_NULL(mesh_key_from_raw_private(MESH_KEY_X25519, short_secret, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	CU_ASSERT_PTR_NULL(mesh_key_from_raw_public(9, zeros, 32, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
}

static void
sign_verify(MeshKeyAlg alg)
{
	static const guint8 msg[] = "message to sign";
	GError *error = NULL;
	g_autoptr(MeshKey) key = mesh_key_generate(alg, &error);
	g_autoptr(MeshKey) other = mesh_key_generate(alg, &error);
	g_autoptr(MeshKey) pub = mesh_key_get_public(key, &error);
	g_autoptr(GBytes) sig = mesh_key_sign(key, msg, sizeof msg, &error);
	g_autoptr(GBytes) sig2 = mesh_key_sign(key, msg, sizeof msg, &error);
	g_autofree guint8 *bad = NULL;
	guint8 tampered[sizeof msg];
	guint8 zero[65] = { 0 };

	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL_FATAL(g_bytes_get_size(sig), MESH_KEY_SIGNATURE_LEN);
	/* Ed25519 is deterministic, ECDSA is not; both verify. */
	CU_ASSERT_EQUAL(g_bytes_equal(sig, sig2), alg == MESH_KEY_ED25519);
	CU_ASSERT_TRUE(
		mesh_key_verify(pub, msg, sizeof msg, g_bytes_get_data(sig, NULL), 64, &error));
	CU_ASSERT_TRUE(mesh_key_verify(key, msg, sizeof msg, g_bytes_get_data(sig2, NULL), 64,
				       &error));
	MESH_ASSERT_NO_ERROR(error);

	/* Tampered message, tampered signature (r and s halves), other key. */
	memcpy(tampered, msg, sizeof msg);
	tampered[0] ^= 1;
	CU_ASSERT_FALSE(mesh_key_verify(pub, tampered, sizeof tampered, g_bytes_get_data(sig, NULL),
					64, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_BAD_SIGNATURE);
	for (gsize i = 0; i < 64; i += 40) {
		bad = g_memdup2(g_bytes_get_data(sig, NULL), 64);
		bad[i] ^= 0x10;
		CU_ASSERT_FALSE(mesh_key_verify(pub, msg, sizeof msg, bad, 64, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_BAD_SIGNATURE);
		g_clear_pointer(&bad, g_free);
	}
	CU_ASSERT_FALSE(mesh_key_verify(other, msg, sizeof msg, g_bytes_get_data(sig, NULL), 64,
					&error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_BAD_SIGNATURE);
	CU_ASSERT_FALSE(mesh_key_verify(pub, msg, sizeof msg, zero, 64, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_BAD_SIGNATURE);

	/* Wrong lengths. */
	CU_ASSERT_FALSE(mesh_key_verify(pub, msg, sizeof msg, g_bytes_get_data(sig, NULL), 63,
					&error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_BAD_SIGNATURE);
	CU_ASSERT_FALSE(mesh_key_verify(pub, msg, sizeof msg, zero, 65, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_BAD_SIGNATURE);
	CU_ASSERT_FALSE(mesh_key_verify(pub, msg, sizeof msg, zero, 0, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_BAD_SIGNATURE);

	/* A public key cannot sign. */
	CU_ASSERT_PTR_NULL(mesh_key_sign(pub, msg, sizeof msg, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
}

static void
test_sign_verify(void)
{
	GError *error = NULL;
	g_autoptr(MeshKey) x = mesh_key_generate(MESH_KEY_X25519, &error);
	guint8 sig[64] = { 0 };

	sign_verify(MESH_KEY_ED25519);
	sign_verify(MESH_KEY_P256);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NULL(mesh_key_sign(x, sig, 1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNSUPPORTED);
	CU_ASSERT_FALSE(mesh_key_verify(x, sig, 1, sig, 64, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNSUPPORTED);
}

static void
test_agree(void)
{
	GError *error = NULL;
	g_autoptr(MeshKey) ed = mesh_key_generate(MESH_KEY_ED25519, &error);
	g_autoptr(MeshKey) x_pub = NULL;
	g_autoptr(MeshKey) low = NULL;
	g_autoptr(MeshKey) one = NULL;
	guint8 u[32] = { 0 };

	MESH_ASSERT_NO_ERROR(error);
	for (gsize i = 1; i < G_N_ELEMENTS(all_algs); i++) {
		g_autoptr(MeshKey) a = mesh_key_generate(all_algs[i], &error);
		g_autoptr(MeshKey) b = mesh_key_generate(all_algs[i], &error);
		g_autoptr(MeshKey) b_pub = mesh_key_get_public(b, &error);
		g_autoptr(MeshKey) a_pub = mesh_key_get_public(a, &error);
		g_autoptr(MeshSecret) ab = mesh_key_agree(a, b_pub, &error);
		g_autoptr(MeshSecret) ba = mesh_key_agree(b, a_pub, &error);

		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_EQUAL(mesh_secret_len(ab), MESH_KEY_AGREEMENT_LEN);
		CU_ASSERT_TRUE(mesh_secret_equal(ab, ba));
		/* A public key cannot agree; Ed25519 cannot at all. */
		CU_ASSERT_PTR_NULL(mesh_key_agree(a_pub, b_pub, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
		CU_ASSERT_PTR_NULL(mesh_key_agree(ed, a_pub, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_UNSUPPORTED);
		CU_ASSERT_PTR_NULL(mesh_key_agree(a, ed, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
		if (all_algs[i] == MESH_KEY_X25519)
			x_pub = g_steal_pointer(&a_pub);
	}
	/* Mismatched curves. */
	{
		g_autoptr(MeshKey) p = mesh_key_generate(MESH_KEY_P256, &error);

		CU_ASSERT_PTR_NULL(mesh_key_agree(p, x_pub, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	}
	/* Low-order X25519 points (u = 0, u = 1) give an all-zero secret: refused. */
	low = mesh_key_from_raw_public(MESH_KEY_X25519, u, sizeof u, &error);
	u[0] = 1;
	one = mesh_key_from_raw_public(MESH_KEY_X25519, u, sizeof u, &error);
	MESH_ASSERT_NO_ERROR(error);
	{
		g_autoptr(MeshKey) me = mesh_key_generate(MESH_KEY_X25519, &error);

		CU_ASSERT_PTR_NULL(mesh_key_agree(me, low, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
		CU_ASSERT_PTR_NULL(mesh_key_agree(me, one, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	}
}

static void
test_private_jwk_in_secure_heap(void)
{
	GError *error = NULL;
	g_autoptr(MeshKey) key = NULL;
	g_autoptr(MeshSecret) text = NULL;

	CU_ASSERT_TRUE(mesh_secret_heap_init(65536, &error));
	MESH_ASSERT_NO_ERROR(error);
	key = mesh_key_generate(MESH_KEY_ED25519, &error);
	text = mesh_key_to_jwk_private(key, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(CRYPTO_secure_allocated(text));
}

static CU_TestInfo tests[] = {
	{ "algorithm names", test_alg_names },
	{ "JWK, SPKI and raw round trips, all algorithms", test_round_trips },
	{ "UDF matching", test_udf_matches },
	{ "RFC 8037 A.1-A.4 Ed25519 known answers", test_rfc8037_ed25519 },
	{ "RFC 7515 A.3 ES256 known answer", test_rfc7515_es256 },
	{ "RFC 7748 6.1 / RFC 8037 A.6 X25519 known answers", test_rfc7748_x25519 },
	{ "JWK import rejects bad input", test_jwk_negatives },
	{ "public key object", test_public_object },
	{ "SPKI import rejects bad input", test_spki_negatives },
	{ "raw import rejects bad input", test_raw_negatives },
	{ "sign and verify, tampering rejected", test_sign_verify },
	{ "ECDH agreement", test_agree },
	{ "private JWK text lives in the secure heap", test_private_jwk_in_secure_heap },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("key", tests);
}
