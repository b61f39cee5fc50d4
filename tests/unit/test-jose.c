/* SPDX-License-Identifier: MIT */
#include "cutest.h"
#include "base64.h"
#include "error.h"
#include "jose.h"
#include "json.h"
#include "jwk.h"
#include "key.h"
#include "secret.h"

#include <string.h>

static const char plaintext[] = "{\"GenericProfile\":{\"Name\":\"test\"}}";

/* The object @name of tests/vectors/jose-rfc.json; *@ret_root keeps it alive. */
static const char *
vstr(JsonObject *obj, const char *member)
{
	return json_object_get_string_member(obj, member);
}

static MeshKey *
vkey(JsonObject *obj, const char *member)
{
	GError *error = NULL;
	MeshKey *key = mesh_key_from_jwk(json_object_get_object_member(obj, member), &error);

	MESH_ASSERT_NO_ERROR(error);
	return key;
}

static MeshKey *
gen(MeshKeyAlg alg)
{
	GError *error = NULL;
	MeshKey *key = mesh_key_generate(alg, &error);

	MESH_ASSERT_NO_ERROR(error);
	return key;
}

/* A mutable copy of JOSE JSON text. */
static JsonNode *
tree(const char *text)
{
	GError *error = NULL;
	JsonNode *node = mesh_json_parse(text, strlen(text), MESH_JOSE_MAX_SIZE, &error);

	MESH_ASSERT_NO_ERROR(error);
	return node;
}

static char *
text_of(JsonNode *node)
{
	return mesh_json_to_string(node);
}

/* Flip bit 0 of byte @index of the base64url member @member of @obj. */
static void
flip_b64(JsonObject *obj, const char *member, gsize index)
{
	GError *error = NULL;
	g_autoptr(GBytes) raw = mesh_b64u_decode_bytes(json_object_get_string_member(obj, member),
						       MESH_JOSE_MAX_SIZE, &error);
	g_autofree guint8 *copy = NULL;
	g_autofree char *b64 = NULL;

	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE_FATAL(index < g_bytes_get_size(raw));
	copy = g_memdup2(g_bytes_get_data(raw, NULL), g_bytes_get_size(raw));
	copy[index] ^= 1;
	b64 = mesh_b64u_encode(copy, g_bytes_get_size(raw));
	json_object_set_string_member(obj, member, b64);
}

/* Replace the base64url member @member of @obj with the encoding of @len bytes at @data. */
static void
set_b64(JsonObject *obj, const char *member, const void *data, gsize len)
{
	g_autofree char *b64 = mesh_b64u_encode(data, len);

	json_object_set_string_member(obj, member, b64);
}

static void
set_b64_text(JsonObject *obj, const char *member, const char *text)
{
	set_b64(obj, member, text, strlen(text));
}

/* The MeshError code in *@error (0 when unset), after checking that an error is set exactly
 * when there is no result; clears it. */
static int
take_code(GError **error, gboolean have_result)
{
	int code = *error != NULL ? (*error)->code : 0;

	CU_ASSERT_EQUAL(!have_result, *error != NULL);
	if (*error != NULL)
		CU_ASSERT_EQUAL((*error)->domain, MESH_ERROR);
	g_clear_error(error);
	return code;
}

/* ---- JWS helpers ------------------------------------------------------------------------- */

/* Parse @text and verify it with @key: the MeshError code (0 when it verifies), and the payload
 * is checked against @expect when it does. */
static int
jws_code(const char *text, const MeshKey *key, const char *expect)
{
	GError *error = NULL;
	g_autoptr(MeshJws) jws = mesh_jws_parse(text, strlen(text), 0, &error);
	g_autoptr(GBytes) payload = NULL;

	if (jws != NULL)
		payload = mesh_jws_verify(jws, key, &error);
	if (payload != NULL && expect != NULL) {
		CU_ASSERT_EQUAL(g_bytes_get_size(payload), strlen(expect));
		/* An empty GBytes has no data pointer at all. */
		if (g_bytes_get_size(payload) > 0)
			CU_ASSERT_EQUAL(memcmp(g_bytes_get_data(payload, NULL), expect,
					       strlen(expect)),
					0);
	}
	return take_code(&error, payload != NULL);
}

/* A JWS of @payload by @key whose protected header is @header_json (any JSON text). */
static char *
jws_with_header(const MeshKey *key, const char *header_json, const char *payload)
{
	GError *error = NULL;
	g_autofree char *protected_b64 = mesh_b64u_encode((const guint8 *)header_json,
							  strlen(header_json));
	g_autofree char *payload_b64 = mesh_b64u_encode((const guint8 *)payload, strlen(payload));
	g_autofree char *input = g_strconcat(protected_b64, ".", payload_b64, NULL);
	g_autoptr(GBytes) sig = mesh_key_sign(key, (const guint8 *)input, strlen(input), &error);
	g_autofree char *sig_b64 = NULL;

	MESH_ASSERT_NO_ERROR(error);
	sig_b64 = mesh_b64u_encode(g_bytes_get_data(sig, NULL), g_bytes_get_size(sig));
	return g_strdup_printf("{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}",
			       protected_b64, payload_b64, sig_b64);
}

static char *
jws_sign_text(const MeshKey *key, const char *cty, const char *payload)
{
	GError *error = NULL;
	g_autoptr(JsonNode) node = mesh_jws_sign(key, cty, (const guint8 *)payload,
						 strlen(payload), &error);

	MESH_ASSERT_NO_ERROR(error);
	return text_of(node);
}

/* ---- JWE helpers ------------------------------------------------------------------------- */

/* Parse @text and decrypt it with @key (or with @cek for "dir" when @key is NULL): the
 * MeshError code, 0 when it opens to @plaintext. */
static int
jwe_code(const char *text, const MeshKey *key, const MeshSecret *cek)
{
	GError *error = NULL;
	g_autoptr(MeshJwe) jwe = mesh_jwe_parse(text, strlen(text), 0, &error);
	g_autoptr(MeshSecret) out = NULL;

	if (jwe != NULL)
		out = key != NULL ? mesh_jwe_decrypt(jwe, key, &error)
				  : mesh_jwe_decrypt_dir(jwe, cek, &error);
	if (out != NULL) {
		CU_ASSERT_EQUAL(mesh_secret_len(out), strlen(plaintext));
		CU_ASSERT_EQUAL(memcmp(mesh_secret_get(out), plaintext, strlen(plaintext)), 0);
	}
	return take_code(&error, out != NULL);
}

static char *
jwe_encrypt_text(MeshKey *const *keys, guint n)
{
	GError *error = NULL;
	g_autoptr(JsonNode) node = mesh_jwe_encrypt((const guint8 *)plaintext, strlen(plaintext),
						    "GenericProfile", keys, n, &error);

	MESH_ASSERT_NO_ERROR(error);
	return text_of(node);
}

static JsonObject *
recipient(JsonNode *jwe, guint index)
{
	JsonArray *array = json_object_get_array_member(json_node_get_object(jwe), "recipients");

	return json_array_get_object_element(array, index);
}

static JsonObject *
recipient_header(JsonNode *jwe, guint index)
{
	return json_object_get_object_member(recipient(jwe, index), "header");
}

/* ---- Concat KDF ---------------------------------------------------------------------------- */

/* The Concat KDF of @z with the AlgorithmID and keydatalen of vector @v (and @apu, @apv, which
 * may be NULL) is the base64url member @expect of @v. */
static void
assert_kdf(JsonObject *v, const MeshSecret *z, GBytes *apu, GBytes *apv, const char *expect)
{
	GError *error = NULL;
	g_autoptr(MeshSecret) out = mesh_jose_concat_kdf(
		z, vstr(v, "algorithm_id"), apu ? g_bytes_get_data(apu, NULL) : NULL,
		apu ? g_bytes_get_size(apu) : 0, apv ? g_bytes_get_data(apv, NULL) : NULL,
		apv ? g_bytes_get_size(apv) : 0, (guint)json_object_get_int_member(v, "keydatalen"),
		&error);
	g_autofree char *b64 = NULL;

	MESH_ASSERT_NO_ERROR(error);
	b64 = mesh_b64u_encode(mesh_secret_get(out), mesh_secret_len(out));
	CU_ASSERT_STRING_EQUAL(b64, vstr(v, expect));
}

/* RFC 7518 Appendix C: the ECDH-ES example with P-256. */
static void
test_rfc7518_concat_kdf(void)
{
	g_autoptr(JsonNode) root = NULL;
	JsonObject *v = mesh_test_vectors(&root, "jose-rfc.json", "rfc7518_c");
	JsonArray *z_expect = json_object_get_array_member(v, "z");
	g_autoptr(MeshKey) alice = vkey(v, "alice_ephemeral");
	g_autoptr(MeshKey) bob = vkey(v, "bob");
	GError *error = NULL;
	g_autoptr(MeshSecret) z = mesh_key_agree(alice, bob, &error);
	g_autoptr(MeshSecret) z2 = mesh_key_agree(bob, alice, &error);
	g_autoptr(GBytes) apu = mesh_b64u_decode_bytes(vstr(v, "apu"), 64, &error);
	g_autoptr(GBytes) apv = mesh_b64u_decode_bytes(vstr(v, "apv"), 64, &error);

	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL_FATAL(mesh_secret_len(z), json_array_get_length(z_expect));
	for (guint i = 0; i < json_array_get_length(z_expect); i++)
		CU_ASSERT_EQUAL(mesh_secret_get(z)[i], json_array_get_int_element(z_expect, i));
	CU_ASSERT_TRUE(mesh_secret_equal(z, z2));
	CU_ASSERT_EQUAL(g_bytes_get_size(apu), 5); /* "Alice" */
	assert_kdf(v, z, apu, apv, "derived");
}

/* RFC 7520 §5.5: agreement with the P-256 recipient key, then the Concat KDF output is the CEK
 * of that example (ECDH-ES direct; its A128CBC-HS256 content encryption does not apply). */
static void
test_rfc7520_ecdh_es(void)
{
	g_autoptr(JsonNode) root = NULL;
	JsonObject *v = mesh_test_vectors(&root, "jose-rfc.json", "rfc7520_5_5");
	g_autoptr(MeshKey) key = vkey(v, "key"); /* with "kid" and "use", which are accepted */
	g_autoptr(MeshKey) eph = vkey(v, "epk");
	GError *error = NULL;
	g_autoptr(MeshSecret) z = mesh_key_agree(key, eph, &error);
	g_autoptr(MeshSecret) z2 = mesh_key_agree(eph, key, &error);

	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_secret_equal(z, z2));
	assert_kdf(v, z, NULL, NULL, "cek");
}

static void
test_concat_kdf_arguments(void)
{
	GError *error = NULL;
	g_autoptr(MeshSecret) z = mesh_secret_new(32);
	g_autoptr(MeshSecret) long_key =
		mesh_jose_concat_kdf(z, "X", NULL, 0, NULL, 0, 520, &error);
	g_autoptr(MeshSecret) k256 = mesh_jose_concat_kdf(z, "X", NULL, 0, NULL, 0, 256, &error);

	MESH_ASSERT_NO_ERROR(error);
	/* Several rounds; keydatalen is part of OtherInfo, so the prefix differs. */
	CU_ASSERT_EQUAL(mesh_secret_len(long_key), 65);
	CU_ASSERT_NOT_EQUAL(memcmp(mesh_secret_get(long_key), mesh_secret_get(k256), 32), 0);
	CU_ASSERT_PTR_NULL(mesh_jose_concat_kdf(z, "X", NULL, 0, NULL, 0, 0, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(mesh_jose_concat_kdf(z, "X", NULL, 0, NULL, 0, 127, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(mesh_jose_concat_kdf(z, "X", NULL, 0, NULL, 0, 8200, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(mesh_jose_concat_kdf(z, NULL, NULL, 0, NULL, 0, 256, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
}

/* ---- JWS ----------------------------------------------------------------------------------- */

/* RFC 8037 A.4 and RFC 7515 A.3, as flattened JWS through the parser. */
static void
test_jws_known_answers(void)
{
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(JsonNode) root3 = NULL;
	JsonObject *ed = mesh_test_vectors(&root, "jose-rfc.json", "rfc8037_a");
	JsonObject *es = mesh_test_vectors(&root3, "jose-rfc.json", "rfc7515_a3");
	g_autoptr(MeshKey) ed_key = vkey(ed, "jwk");
	g_autoptr(MeshKey) es_key = vkey(es, "jwk");
	g_autofree char *ed_jws = g_strdup_printf(
		"{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}",
		vstr(ed, "protected"), vstr(ed, "payload"), vstr(ed, "signature"));
	g_autofree char *es_jws = g_strdup_printf(
		"{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}",
		vstr(es, "protected"), vstr(es, "payload"), vstr(es, "signature"));
	g_autoptr(JsonNode) tampered = tree(es_jws);
	g_autofree char *tampered_text = NULL;
	GError *error = NULL;
	g_autoptr(MeshJws) jws = mesh_jws_parse(ed_jws, strlen(ed_jws), 0, &error);

	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(mesh_jws_alg(jws), "EdDSA");
	CU_ASSERT_PTR_NULL(mesh_jws_kid(jws));
	CU_ASSERT_PTR_NULL(mesh_jws_cty(jws));
	CU_ASSERT_EQUAL(jws_code(ed_jws, ed_key, vstr(ed, "payload_text")), 0);
	CU_ASSERT_EQUAL(jws_code(es_jws, es_key,
				 "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n "
				 "\"http://example.com/is_root\":true}"),
			0);
	flip_b64(json_node_get_object(tampered), "signature", 10);
	tampered_text = text_of(tampered);
	CU_ASSERT_EQUAL(jws_code(tampered_text, es_key, NULL), MESH_ERROR_BAD_SIGNATURE);
	/* Each key for the other's JWS: alg does not fit. */
	CU_ASSERT_EQUAL(jws_code(ed_jws, es_key, NULL), MESH_ERROR_BAD_SIGNATURE);
	CU_ASSERT_EQUAL(jws_code(es_jws, ed_key, NULL), MESH_ERROR_BAD_SIGNATURE);
}

static void
test_jws_round_trip(void)
{
	static const MeshKeyAlg algs[] = { MESH_KEY_ED25519, MESH_KEY_P256 };

	for (gsize i = 0; i < G_N_ELEMENTS(algs); i++) {
		g_autoptr(MeshKey) key = gen(algs[i]);
		g_autoptr(MeshKey) pub = NULL;
		g_autofree char *text = jws_sign_text(key, "GenericProfile", plaintext);
		g_autofree char *no_cty = jws_sign_text(key, NULL, "");
		GError *error = NULL;
		g_autoptr(MeshJws) jws = mesh_jws_parse(text, strlen(text), 0, &error);
		g_autoptr(MeshJws) jws2 = mesh_jws_parse(no_cty, strlen(no_cty), 0, &error);

		MESH_ASSERT_NO_ERROR(error);
		pub = mesh_key_get_public(key, &error);
		CU_ASSERT_STRING_EQUAL(mesh_jws_alg(jws),
				       algs[i] == MESH_KEY_P256 ? "ES256" : "EdDSA");
		CU_ASSERT_STRING_EQUAL(mesh_jws_kid(jws), mesh_key_udf(key));
		CU_ASSERT_STRING_EQUAL(mesh_jws_cty(jws), "GenericProfile");
		CU_ASSERT_PTR_NULL(mesh_jws_cty(jws2));
		CU_ASSERT_EQUAL(jws_code(text, pub, plaintext), 0);
		CU_ASSERT_EQUAL(jws_code(no_cty, pub, ""), 0);
	}
}

static void
test_jws_tampered(void)
{
	g_autoptr(MeshKey) key = gen(MESH_KEY_ED25519);
	g_autoptr(MeshKey) other = gen(MESH_KEY_ED25519);
	g_autoptr(MeshKey) p256 = gen(MESH_KEY_P256);
	g_autoptr(MeshKey) x25519 = gen(MESH_KEY_X25519);
	g_autofree char *text = jws_sign_text(key, "GenericProfile", plaintext);
	g_autofree char *header = g_strdup_printf(
		"{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"cty\":\"Other\"}", mesh_key_udf(key));
	g_autofree char *t = NULL;
	g_autoptr(JsonNode) node = NULL;
	guint8 short_sig[63] = { 0 };

	/* Signature, payload, protected header. */
	node = tree(text);
	flip_b64(json_node_get_object(node), "signature", 0);
	t = text_of(node);
	CU_ASSERT_EQUAL(jws_code(t, key, NULL), MESH_ERROR_BAD_SIGNATURE);
	g_clear_pointer(&t, g_free);
	g_clear_pointer(&node, json_node_unref);
	node = tree(text);
	set_b64_text(json_node_get_object(node), "payload", "{\"GenericProfile\":{}}");
	t = text_of(node);
	CU_ASSERT_EQUAL(jws_code(t, key, NULL), MESH_ERROR_BAD_SIGNATURE);
	g_clear_pointer(&t, g_free);
	g_clear_pointer(&node, json_node_unref);
	node = tree(text);
	set_b64_text(json_node_get_object(node), "protected", header);
	t = text_of(node);
	CU_ASSERT_EQUAL(jws_code(t, key, NULL), MESH_ERROR_BAD_SIGNATURE);
	g_clear_pointer(&t, g_free);
	g_clear_pointer(&node, json_node_unref);
	/* A signature of the wrong length. */
	node = tree(text);
	set_b64(json_node_get_object(node), "signature", short_sig, sizeof short_sig);
	t = text_of(node);
	CU_ASSERT_EQUAL(jws_code(t, key, NULL), MESH_ERROR_BAD_SIGNATURE);
	g_clear_pointer(&t, g_free);
	g_clear_pointer(&node, json_node_unref);

	/* Wrong keys. */
	CU_ASSERT_EQUAL(jws_code(text, other, NULL), MESH_ERROR_BAD_SIGNATURE);
	CU_ASSERT_EQUAL(jws_code(text, p256, NULL), MESH_ERROR_BAD_SIGNATURE);
	CU_ASSERT_EQUAL(jws_code(text, x25519, NULL), MESH_ERROR_UNSUPPORTED);
}

static void
test_jws_header_checks(void)
{
	g_autoptr(MeshKey) key = gen(MESH_KEY_ED25519);
	static const struct {
		const char *header;
		int code;
	} cases[] = {
		{ "{\"alg\":\"EdDSA\"}", 0 },
		{ "{\"alg\":\"EdDSA\",\"typ\":\"JOSE\",\"unknown\":1}", 0 },
		{ "{\"alg\":\"none\"}", MESH_ERROR_UNSUPPORTED },
		{ "{\"alg\":\"HS256\"}", MESH_ERROR_UNSUPPORTED },
		{ "{\"alg\":\"EdDSA\",\"crit\":[\"exp\"],\"exp\":1}", MESH_ERROR_UNSUPPORTED },
		{ "{\"alg\":\"EdDSA\",\"b64\":false,\"crit\":[\"b64\"]}", MESH_ERROR_UNSUPPORTED },
		{ "{\"kid\":\"x\"}", MESH_ERROR_MALFORMED },
		{ "{\"alg\":5}", MESH_ERROR_MALFORMED },
		{ "{\"alg\":\"EdDSA\",\"kid\":5}", MESH_ERROR_MALFORMED },
		{ "{\"alg\":\"EdDSA\",\"cty\":[]}", MESH_ERROR_MALFORMED },
		{ "{\"alg\":\"EdDSA\",\"alg\":\"EdDSA\"}", MESH_ERROR_MALFORMED },
		{ "[\"alg\",\"EdDSA\"]", MESH_ERROR_MALFORMED },
		{ "{\"alg\":\"EdDSA\"", MESH_ERROR_MALFORMED },
		{ "not json", MESH_ERROR_MALFORMED },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *t = jws_with_header(key, cases[i].header, plaintext);

		if (jws_code(t, key, plaintext) != cases[i].code)
			g_printerr("header %s: expected code %d\n", cases[i].header, cases[i].code);
		CU_ASSERT_EQUAL(jws_code(t, key, plaintext), cases[i].code);
	}
}

static void
test_jws_structure(void)
{
	g_autoptr(MeshKey) key = gen(MESH_KEY_P256);
	g_autofree char *text = jws_sign_text(key, "GenericProfile", plaintext);
	g_autofree char *t = NULL;
	g_autofree char *big = NULL;
	g_autoptr(JsonNode) node = NULL;
	GError *error = NULL;
	JsonObject *obj;

	/* An unprotected header may carry a kid, and is then the kid's fallback. */
	{
		g_autofree char *signed_text =
			jws_with_header(key, "{\"alg\":\"ES256\"}", plaintext);
		g_autoptr(JsonNode) n2 = tree(signed_text);
		JsonObject *h = json_object_new();
		g_autoptr(MeshJws) jws = NULL;

		json_object_set_string_member(h, "kid", "hint");
		json_object_set_object_member(json_node_get_object(n2), "header", h);
		t = text_of(n2);
		jws = mesh_jws_parse(t, strlen(t), 0, &error);
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_STRING_EQUAL(mesh_jws_kid(jws), "hint");
		CU_ASSERT_EQUAL(jws_code(t, key, plaintext), 0);
		g_clear_pointer(&t, g_free);
		/* ...but a parameter may not be in both headers. */
		json_object_set_string_member(h, "alg", "ES256");
		t = text_of(n2);
		CU_ASSERT_EQUAL(jws_code(t, key, NULL), MESH_ERROR_MALFORMED);
		g_clear_pointer(&t, g_free);
		json_object_remove_member(h, "alg");
		json_object_set_string_member(h, "crit", "x");
		t = text_of(n2);
		CU_ASSERT_EQUAL(jws_code(t, key, NULL), MESH_ERROR_UNSUPPORTED);
		g_clear_pointer(&t, g_free);
		json_object_set_string_member(json_node_get_object(n2), "header", "not an object");
		t = text_of(n2);
		CU_ASSERT_EQUAL(jws_code(t, key, NULL), MESH_ERROR_MALFORMED);
		g_clear_pointer(&t, g_free);
	}

	/* Members: extra, missing, wrong type, bad base64url. */
	node = tree(text);
	obj = json_node_get_object(node);
	json_object_set_string_member(obj, "signatures", "x");
	t = text_of(node);
	CU_ASSERT_EQUAL(jws_code(t, key, NULL), MESH_ERROR_MALFORMED);
	g_clear_pointer(&t, g_free);
	json_object_remove_member(obj, "signatures");
	json_object_remove_member(obj, "signature");
	t = text_of(node);
	CU_ASSERT_EQUAL(jws_code(t, key, NULL), MESH_ERROR_MALFORMED);
	g_clear_pointer(&t, g_free);
	g_clear_pointer(&node, json_node_unref);
	node = tree(text);
	obj = json_node_get_object(node);
	json_object_set_int_member(obj, "payload", 5);
	t = text_of(node);
	CU_ASSERT_EQUAL(jws_code(t, key, NULL), MESH_ERROR_MALFORMED);
	g_clear_pointer(&t, g_free);
	json_object_set_string_member(obj, "payload", "eyJ+");
	t = text_of(node);
	CU_ASSERT_EQUAL(jws_code(t, key, NULL), MESH_ERROR_MALFORMED);
	g_clear_pointer(&t, g_free);
	json_object_set_string_member(obj, "payload", "eyJ=");
	t = text_of(node);
	CU_ASSERT_EQUAL(jws_code(t, key, NULL), MESH_ERROR_MALFORMED);
	g_clear_pointer(&t, g_free);
	json_object_set_string_member(obj, "protected", "eyJhbGciOiJFUzI1NiJ9.");
	t = text_of(node);
	CU_ASSERT_EQUAL(jws_code(t, key, NULL), MESH_ERROR_MALFORMED);
	g_clear_pointer(&t, g_free);
	g_clear_pointer(&node, json_node_unref);

	/* Truncated, not an object, a duplicate member. */
	t = g_strndup(text, strlen(text) / 2);
	CU_ASSERT_EQUAL(jws_code(t, key, NULL), MESH_ERROR_MALFORMED);
	g_clear_pointer(&t, g_free);
	CU_ASSERT_EQUAL(jws_code("[]", key, NULL), MESH_ERROR_MALFORMED);
	t = g_strdup_printf("{\"payload\":\"e30\",%s", text + 1);
	CU_ASSERT_EQUAL(jws_code(t, key, NULL), MESH_ERROR_MALFORMED);
	g_clear_pointer(&t, g_free);

	/* Oversize: the caller's limit and the default one. */
	CU_ASSERT_PTR_NULL(mesh_jws_parse(text, strlen(text), 100, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	big = g_strnfill(MESH_JOSE_MAX_SIZE + 1, ' ');
	memcpy(big, text, strlen(text));
	CU_ASSERT_PTR_NULL(mesh_jws_parse(big, MESH_JOSE_MAX_SIZE + 1, 0, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
}

static void
test_jws_sign_errors(void)
{
	g_autoptr(MeshKey) key = gen(MESH_KEY_ED25519);
	g_autoptr(MeshKey) x25519 = gen(MESH_KEY_X25519);
	g_autoptr(MeshKey) pub = NULL;
	g_autofree guint8 *big = g_malloc0(MESH_JOSE_MAX_SIZE);
	GError *error = NULL;

	pub = mesh_key_get_public(key, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NULL(mesh_jws_sign(pub, NULL, (const guint8 *)"x", 1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(mesh_jws_sign(x25519, NULL, (const guint8 *)"x", 1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNSUPPORTED);
	/* 1 MiB of payload is 1.33 MiB of base64url: more than a reader takes. */
	CU_ASSERT_PTR_NULL(mesh_jws_sign(key, NULL, big, MESH_JOSE_MAX_SIZE, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	CU_ASSERT_PTR_NULL(mesh_jws_from_json(NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
}

/* ---- JWE ----------------------------------------------------------------------------------- */

static void
test_jwe_recipients(void)
{
	/* 1, 2 and 3 recipients, mixing X25519 and P-256. */
	MeshKey *keys[3] = { gen(MESH_KEY_X25519), gen(MESH_KEY_P256), gen(MESH_KEY_X25519) };
	GError *error = NULL;

	for (guint n = 1; n <= 3; n++) {
		g_autofree char *text = jwe_encrypt_text(keys, n);
		g_autoptr(MeshJwe) jwe = mesh_jwe_parse(text, strlen(text), 0, &error);
		g_autoptr(JsonNode) node = tree(text);

		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_EQUAL(mesh_jwe_n_recipients(jwe), n);
		CU_ASSERT_STRING_EQUAL(mesh_jwe_cty(jwe), "GenericProfile");
		CU_ASSERT_PTR_NULL(strstr(text, "GenericProfile\\\":")); /* not in clear */
		for (guint i = 0; i < n; i++) {
			JsonObject *epk = json_object_get_object_member(recipient_header(node, i),
									"epk");

			CU_ASSERT_STRING_EQUAL(mesh_jwe_recipient_alg(jwe, i), "ECDH-ES+A256KW");
			CU_ASSERT_STRING_EQUAL(mesh_jwe_recipient_kid(jwe, i),
					       mesh_key_udf(keys[i]));
			CU_ASSERT_FALSE(json_object_has_member(epk, "d"));
			CU_ASSERT_FALSE(json_object_has_member(epk, "kid"));
			CU_ASSERT_EQUAL(jwe_code(text, keys[i], NULL), 0);
		}
		/* An X25519 key that is not a recipient. */
		if (n < 3)
			CU_ASSERT_EQUAL(jwe_code(text, keys[2], NULL), MESH_ERROR_DECRYPT);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
		mesh_key_unref(keys[i]);
}

static void
test_jwe_wrong_keys(void)
{
	g_autoptr(MeshKey) x = gen(MESH_KEY_X25519);
	g_autoptr(MeshKey) x_other = gen(MESH_KEY_X25519);
	g_autoptr(MeshKey) p = gen(MESH_KEY_P256);
	g_autoptr(MeshKey) ed = gen(MESH_KEY_ED25519);
	g_autoptr(MeshKey) x_pub = NULL;
	MeshKey *to[] = { x };
	g_autofree char *text = jwe_encrypt_text(to, 1);
	GError *error = NULL;

	x_pub = mesh_key_get_public(x, &error);
	MESH_ASSERT_NO_ERROR(error);
	/* Same curve, not a recipient: tried and refused. Another curve: nothing to try. */
	CU_ASSERT_EQUAL(jwe_code(text, x_other, NULL), MESH_ERROR_DECRYPT);
	CU_ASSERT_EQUAL(jwe_code(text, p, NULL), MESH_ERROR_NOT_FOUND);
	CU_ASSERT_EQUAL(jwe_code(text, ed, NULL), MESH_ERROR_UNSUPPORTED);
	CU_ASSERT_EQUAL(jwe_code(text, x_pub, NULL), MESH_ERROR_INVALID_ARGUMENT);
	{
		g_autoptr(MeshSecret) cek = mesh_secret_new(32);

		CU_ASSERT_EQUAL(jwe_code(text, NULL, cek), MESH_ERROR_NOT_FOUND);
	}
}

/* The agreement made elsewhere (a key store): counts its calls. */
typedef struct {
	const MeshKey *priv;
	guint calls;
} Agreement;

static MeshSecret *
agree_elsewhere(gpointer user_data, const MeshKey *peer, GError **error)
{
	Agreement *a = user_data;

	a->calls++;
	return mesh_key_agree(a->priv, peer, error);
}

/* Decrypting with the public key and an agreement function (a key that stays in its store). */
static void
test_jwe_decrypt_with(void)
{
	MeshKeyAlg algs[] = { MESH_KEY_X25519, MESH_KEY_P256 };

	for (gsize i = 0; i < G_N_ELEMENTS(algs); i++) {
		g_autoptr(MeshKey) key = gen(algs[i]);
		g_autoptr(MeshKey) other = gen(algs[i]);
		g_autoptr(MeshKey) pub = NULL;
		MeshKey *to[] = { key };
		g_autofree char *text = jwe_encrypt_text(to, 1);
		g_autoptr(MeshJwe) jwe = mesh_jwe_parse(text, strlen(text), 0, NULL);
		g_autoptr(MeshSecret) out = NULL;
		Agreement right = { key, 0 }, wrong = { other, 0 };
		GError *error = NULL;

		pub = mesh_key_get_public(key, &error);
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_PTR_NOT_NULL_FATAL(jwe);
		out = mesh_jwe_decrypt_with(jwe, pub, agree_elsewhere, &right, &error);
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_PTR_NOT_NULL_FATAL(out);
		CU_ASSERT_EQUAL(mesh_secret_len(out), strlen(plaintext));
		CU_ASSERT_EQUAL(memcmp(mesh_secret_get(out), plaintext, strlen(plaintext)), 0);
		CU_ASSERT_EQUAL(right.calls, 1);
		/* Another key's agreement does not open it. */
		CU_ASSERT_PTR_NULL(mesh_jwe_decrypt_with(jwe, pub, agree_elsewhere, &wrong, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_DECRYPT);
		CU_ASSERT_EQUAL(wrong.calls, 1);
	}
}

/* An agreement that fails as a key store does when its key cannot be used, or when the peer
 * key is bad; counts its calls. */
typedef struct {
	MeshError code;
	guint calls;
} FailingAgreement;

static MeshSecret *
agree_fails(gpointer user_data, const MeshKey *peer, GError **error)
{
	FailingAgreement *a = user_data;

	a->calls++;
	g_set_error(error, MESH_ERROR, a->code, "agreement refused (%d)", a->code);
	return NULL;
}

/* @text with the first character of the value of @member changed (a tampered JWE). */
static char *
tamper_member(const char *text, const char *member)
{
	g_autofree char *key = g_strdup_printf("\"%s\":\"", member);
	char *copy = g_strdup(text);
	char *p = strstr(copy, key);

	g_assert(p != NULL);
	p += strlen(key);
	*p = *p == 'A' ? 'B' : 'A';
	return copy;
}

/*
 * A key that cannot be used (locked, its store refusing) is reported as such, once, not as a JWE
 * that does not open; an agreement the peer key breaks (MALFORMED, CRYPTO) and a tampered JWE
 * still do not open (DecryptFailed).
 */
static void
test_jwe_decrypt_with_locked_key(void)
{
	static const MeshError passed_on[] = {MESH_ERROR_LOCKED, MESH_ERROR_BAD_PASSPHRASE,
	                                      MESH_ERROR_NOT_FOUND, MESH_ERROR_UNSUPPORTED};
	static const MeshError from_message[] = {MESH_ERROR_MALFORMED, MESH_ERROR_CRYPTO,
	                                         MESH_ERROR_INVALID_ARGUMENT};
	g_autoptr(MeshKey) key = gen(MESH_KEY_X25519);
	g_autoptr(MeshKey) other = gen(MESH_KEY_X25519);
	g_autoptr(MeshKey) pub = mesh_key_get_public(key, NULL);
	MeshKey *to[] = {key, other};
	g_autofree char *text = jwe_encrypt_text(to, 2);
	g_autofree char *tampered = tamper_member(text, "ciphertext");
	g_autoptr(MeshJwe) jwe = mesh_jwe_parse(text, strlen(text), 0, NULL);
	g_autoptr(MeshJwe) bad = mesh_jwe_parse(tampered, strlen(tampered), 0, NULL);
	Agreement right = {key, 0};
	GError *error = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(jwe);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pub);
	for (gsize i = 0; i < G_N_ELEMENTS(passed_on); i++) {
		FailingAgreement a = {passed_on[i], 0};

		CU_ASSERT_PTR_NULL(mesh_jwe_decrypt_with(jwe, pub, agree_fails, &a, &error));
		MESH_ASSERT_ERROR(error, passed_on[i]);
		/* Asked once: no other recipient can open with a key that cannot be used. */
		CU_ASSERT_EQUAL(a.calls, 1);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(from_message); i++) {
		FailingAgreement a = {from_message[i], 0};

		CU_ASSERT_PTR_NULL(mesh_jwe_decrypt_with(jwe, pub, agree_fails, &a, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_DECRYPT);
		/* Each recipient on the key's curve was tried. */
		CU_ASSERT_EQUAL(a.calls, 2);
	}
	/* Tampered content with the right key: tampering is still reported. */
	CU_ASSERT_PTR_NULL(mesh_jwe_decrypt_with(bad, pub, agree_elsewhere, &right, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_DECRYPT);
}

static void
test_jwe_kid_is_a_hint(void)
{
	MeshKey *keys[2] = { gen(MESH_KEY_P256), gen(MESH_KEY_P256) };
	g_autofree char *text = jwe_encrypt_text(keys, 2);
	g_autoptr(JsonNode) node = tree(text);
	g_autofree char *t = NULL;

	/* Without kids, or with kids from another naming scheme, each key still finds its entry. */
	json_object_remove_member(recipient_header(node, 0), "kid");
	json_object_set_string_member(recipient_header(node, 1), "kid", "bob");
	t = text_of(node);
	CU_ASSERT_EQUAL(jwe_code(t, keys[0], NULL), 0);
	CU_ASSERT_EQUAL(jwe_code(t, keys[1], NULL), 0);
	g_clear_pointer(&t, g_free);
	/* Swapped kids: the named entry fails, the other one is then tried. */
	json_object_set_string_member(recipient_header(node, 0), "kid", mesh_key_udf(keys[1]));
	json_object_set_string_member(recipient_header(node, 1), "kid", mesh_key_udf(keys[0]));
	t = text_of(node);
	CU_ASSERT_EQUAL(jwe_code(t, keys[0], NULL), 0);
	CU_ASSERT_EQUAL(jwe_code(t, keys[1], NULL), 0);
	mesh_key_unref(keys[0]);
	mesh_key_unref(keys[1]);
}

static void
test_jwe_dir(void)
{
	GError *error = NULL;
	g_autoptr(MeshSecret) cek = mesh_secret_new_random(32, &error);
	g_autoptr(MeshSecret) wrong = mesh_secret_new_random(32, &error);
	g_autoptr(MeshSecret) short_cek = mesh_secret_new(16);
	g_autoptr(MeshKey) x = gen(MESH_KEY_X25519);
	g_autoptr(JsonNode) node = mesh_jwe_encrypt_dir((const guint8 *)plaintext,
							strlen(plaintext), NULL, cek, "escrow",
							&error);
	g_autofree char *text = NULL;
	g_autoptr(MeshJwe) jwe = NULL;
	g_autoptr(JsonNode) empty = NULL;
	g_autofree char *empty_text = NULL;

	MESH_ASSERT_NO_ERROR(error);
	text = text_of(node);
	jwe = mesh_jwe_parse(text, strlen(text), 0, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(mesh_jwe_n_recipients(jwe), 1);
	CU_ASSERT_STRING_EQUAL(mesh_jwe_recipient_alg(jwe, 0), "dir");
	CU_ASSERT_STRING_EQUAL(mesh_jwe_recipient_kid(jwe, 0), "escrow");
	CU_ASSERT_PTR_NULL(mesh_jwe_cty(jwe));
	CU_ASSERT_FALSE(json_object_has_member(recipient(node, 0), "encrypted_key"));
	CU_ASSERT_EQUAL(jwe_code(text, NULL, cek), 0);
	CU_ASSERT_EQUAL(jwe_code(text, NULL, wrong), MESH_ERROR_DECRYPT);
	CU_ASSERT_EQUAL(jwe_code(text, NULL, short_cek), MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_EQUAL(jwe_code(text, x, NULL), MESH_ERROR_NOT_FOUND);
	/* A dir recipient with an encrypted key is malformed. */
	json_object_set_string_member(recipient(node, 0), "encrypted_key", "AAAA");
	g_free(text);
	text = text_of(node);
	CU_ASSERT_EQUAL(jwe_code(text, NULL, cek), MESH_ERROR_MALFORMED);
	CU_ASSERT_PTR_NULL(mesh_jwe_encrypt_dir((const guint8 *)"x", 1, NULL, short_cek, NULL,
						&error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	/* An empty plaintext round-trips. */
	empty = mesh_jwe_encrypt_dir((const guint8 *)"", 0, "Empty", cek, NULL, &error);
	MESH_ASSERT_NO_ERROR(error);
	empty_text = text_of(empty);
	{
		g_autoptr(MeshJwe) e = mesh_jwe_parse(empty_text, strlen(empty_text), 0, &error);
		g_autoptr(MeshSecret) out = NULL;

		MESH_ASSERT_NO_ERROR(error);
		out = mesh_jwe_decrypt_dir(e, cek, &error);
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_EQUAL(mesh_secret_len(out), 0);
	}
}

typedef void (*Tamper)(JsonNode *jwe, const MeshKey *other);

static void
tamper_protected(JsonNode *jwe, const MeshKey *other)
{
	set_b64_text(json_node_get_object(jwe), "protected",
		     "{\"enc\":\"A256GCM\",\"cty\":\"Other\"}");
}

static void
tamper_iv(JsonNode *jwe, const MeshKey *other)
{
	flip_b64(json_node_get_object(jwe), "iv", 11);
}

static void
tamper_ciphertext(JsonNode *jwe, const MeshKey *other)
{
	flip_b64(json_node_get_object(jwe), "ciphertext", 3);
}

static void
tamper_tag(JsonNode *jwe, const MeshKey *other)
{
	flip_b64(json_node_get_object(jwe), "tag", 15);
}

static void
tamper_encrypted_key(JsonNode *jwe, const MeshKey *other)
{
	flip_b64(recipient(jwe, 0), "encrypted_key", 20);
}

static void
tamper_aad(JsonNode *jwe, const MeshKey *other)
{
	json_object_set_string_member(json_node_get_object(jwe), "aad", "YWRkZWQ");
}

static void
tamper_epk(JsonNode *jwe, const MeshKey *other)
{
	JsonNode *epk = mesh_key_to_jwk(other);

	json_object_remove_member(json_node_get_object(epk), "kid");
	json_object_set_member(recipient_header(jwe, 0), "epk", epk);
}

static void
tamper_low_order_epk(JsonNode *jwe, const MeshKey *other)
{
	JsonObject *epk = json_object_get_object_member(recipient_header(jwe, 0), "epk");

	json_object_set_string_member(epk, "x", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
}

static void
test_jwe_tampered(void)
{
	static const struct {
		const char *what;
		Tamper tamper;
	} cases[] = {
		{ "protected header", tamper_protected },
		{ "iv", tamper_iv },
		{ "ciphertext", tamper_ciphertext },
		{ "tag", tamper_tag },
		{ "encrypted_key", tamper_encrypted_key },
		{ "aad", tamper_aad },
		{ "epk", tamper_epk },
		{ "low-order epk", tamper_low_order_epk },
	};
	MeshKey *keys[2] = { gen(MESH_KEY_X25519), gen(MESH_KEY_P256) };
	g_autoptr(MeshKey) other = gen(MESH_KEY_X25519);
	g_autofree char *text = jwe_encrypt_text(keys, 2);

	CU_ASSERT_EQUAL(jwe_code(text, keys[0], NULL), 0);
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(JsonNode) node = tree(text);
		g_autofree char *t = NULL;

		cases[i].tamper(node, other);
		t = text_of(node);
		if (jwe_code(t, keys[0], NULL) != MESH_ERROR_DECRYPT)
			g_printerr("tampered %s: not refused with DecryptFailed\n", cases[i].what);
		CU_ASSERT_EQUAL(jwe_code(t, keys[0], NULL), MESH_ERROR_DECRYPT);
	}
	mesh_key_unref(keys[0]);
	mesh_key_unref(keys[1]);
}

/* Set the JSON @value (text) as @member of the object at @path ("", "r0", "h0", "epk0"). */
static char *
jwe_edit(const char *text, const char *where, const char *member, const char *value)
{
	g_autoptr(JsonNode) node = tree(text);
	JsonObject *obj = json_node_get_object(node);

	if (strcmp(where, "r0") == 0)
		obj = recipient(node, 0);
	else if (strcmp(where, "h0") == 0)
		obj = recipient_header(node, 0);
	else if (strcmp(where, "epk0") == 0)
		obj = json_object_get_object_member(recipient_header(node, 0), "epk");
	if (value == NULL) {
		json_object_remove_member(obj, member);
	} else {
		GError *error = NULL;
		JsonNode *v = mesh_json_parse(value, strlen(value), 65536, &error);

		MESH_ASSERT_NO_ERROR(error);
		json_object_set_member(obj, member, v);
	}
	return text_of(node);
}

static void
test_jwe_malformed(void)
{
	static const struct {
		const char *where;
		const char *member;
		const char *value;
		int code;
	} cases[] = {
		/* Lengths. */
		{ "", "iv", "\"AAAAAAAAAAAAAAA\"", MESH_ERROR_MALFORMED },        /* 11 bytes */
		{ "", "tag", "\"AAAAAAAAAAAAAAAAAAAA\"", MESH_ERROR_MALFORMED },  /* 15 bytes */
		{ "r0", "encrypted_key", "\"AAAA\"", MESH_ERROR_MALFORMED },
		/* Algorithms and refused parameters. */
		{ "", "protected", "\"eyJlbmMiOiJBMTI4R0NNIn0\"", MESH_ERROR_UNSUPPORTED },
		{ "", "protected", "\"eyJlbmMiOiJBMjU2R0NNIiwiemlwIjoiREVGIn0\"",
		  MESH_ERROR_UNSUPPORTED },
		{ "", "protected", "\"e30\"", MESH_ERROR_MALFORMED }, /* no enc */
		{ "", "unprotected", "{\"crit\":[\"x\"]}", MESH_ERROR_UNSUPPORTED },
		{ "", "unprotected", "{\"enc\":\"A256GCM\"}", MESH_ERROR_MALFORMED }, /* twice */
		/* Recipient 0 (for P-256) gets an unknown alg: the other one stays usable. */
		{ "h0", "alg", "\"RSA-OAEP\"", MESH_ERROR_NOT_FOUND },
		{ "h0", "alg", NULL, MESH_ERROR_MALFORMED },
		{ "h0", "enc", "\"A256GCM\"", MESH_ERROR_MALFORMED },
		/* epk: missing, private, off the curve, wrong curve, wrong type. */
		{ "h0", "epk", NULL, MESH_ERROR_MALFORMED },
		{ "epk0", "d", "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"",
		  MESH_ERROR_MALFORMED },
		{ "epk0", "y", "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE\"",
		  MESH_ERROR_MALFORMED },
		{ "epk0", "crv", "\"P-384\"", MESH_ERROR_MALFORMED },
		{ "epk0", "crv", "\"X25519\"", MESH_ERROR_MALFORMED },
		{ "h0", "epk", "\"key\"", MESH_ERROR_MALFORMED },
		/* Structure. */
		{ "", "recipients", "[]", MESH_ERROR_MALFORMED },
		{ "", "recipients", "[1]", MESH_ERROR_MALFORMED },
		{ "", "recipients", "{}", MESH_ERROR_MALFORMED },
		{ "", "extra", "1", MESH_ERROR_MALFORMED },
		{ "", "encrypted_key", "\"AAAA\"", MESH_ERROR_MALFORMED },
		{ "r0", "extra", "1", MESH_ERROR_MALFORMED },
		{ "", "ciphertext", "5", MESH_ERROR_MALFORMED },
		{ "", "ciphertext", "\"a+b\"", MESH_ERROR_MALFORMED },
		{ "", "protected", "\"bm90IGpzb24\"", MESH_ERROR_MALFORMED }, /* "not json" */
		{ "", "protected", NULL, MESH_ERROR_MALFORMED },
		{ "", "tag", NULL, MESH_ERROR_MALFORMED },
		{ "", "aad", "\"a=\"", MESH_ERROR_MALFORMED },
	};
	g_autoptr(MeshKey) p = gen(MESH_KEY_P256);
	g_autoptr(MeshKey) x = gen(MESH_KEY_X25519);
	MeshKey *to[] = { p, x };
	g_autofree char *text = jwe_encrypt_text(to, 2);
	g_autofree char *t = NULL;
	g_autofree char *big = NULL;
	GError *error = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		int code;

		t = jwe_edit(text, cases[i].where, cases[i].member, cases[i].value);
		code = jwe_code(t, p, NULL);
		if (code != cases[i].code)
			g_printerr("%s.%s = %s: code %d, expected %d\n", cases[i].where,
				   cases[i].member, cases[i].value, code, cases[i].code);
		CU_ASSERT_EQUAL(code, cases[i].code);
		g_clear_pointer(&t, g_free);
	}
	/* A recipient with an unknown alg is skipped when another one is usable. */
	{
		g_autoptr(JsonNode) node = tree(text);

		json_object_set_string_member(recipient_header(node, 1), "alg", "RSA-OAEP");
		t = text_of(node);
		CU_ASSERT_EQUAL(jwe_code(t, p, NULL), 0);
		CU_ASSERT_EQUAL(jwe_code(t, x, NULL), MESH_ERROR_NOT_FOUND);
		g_clear_pointer(&t, g_free);
	}
	/* With no usable recipient left, the JWE is refused as unsupported. */
	{
		g_autofree char *one = jwe_encrypt_text(to, 1);

		t = jwe_edit(one, "h0", "alg", "\"RSA-OAEP\"");
		CU_ASSERT_EQUAL(jwe_code(t, p, NULL), MESH_ERROR_UNSUPPORTED);
		g_clear_pointer(&t, g_free);
	}
	/* Truncated, not an object, oversize. */
	t = g_strndup(text, strlen(text) - 10);
	CU_ASSERT_EQUAL(jwe_code(t, p, NULL), MESH_ERROR_MALFORMED);
	g_clear_pointer(&t, g_free);
	CU_ASSERT_EQUAL(jwe_code("\"jwe\"", p, NULL), MESH_ERROR_MALFORMED);
	CU_ASSERT_PTR_NULL(mesh_jwe_parse(text, strlen(text), 512, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	big = g_strnfill(MESH_JOSE_MAX_SIZE + 1, ' ');
	memcpy(big, text, strlen(text));
	CU_ASSERT_PTR_NULL(mesh_jwe_parse(big, MESH_JOSE_MAX_SIZE + 1, 0, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	CU_ASSERT_PTR_NULL(mesh_jwe_from_json(NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
}

/* The flattened serialization (RFC 7516 §7.2.2) of a one-recipient JWE reads the same. */
static void
test_jwe_flattened(void)
{
	g_autoptr(MeshKey) x = gen(MESH_KEY_X25519);
	MeshKey *to[] = { x };
	g_autofree char *text = jwe_encrypt_text(to, 1);
	g_autoptr(JsonNode) node = tree(text);
	JsonObject *obj = json_node_get_object(node);
	JsonObject *rec = recipient(node, 0);
	g_autofree char *t = NULL;

	json_object_set_member(obj, "header", json_object_dup_member(rec, "header"));
	json_object_set_member(obj, "encrypted_key", json_object_dup_member(rec, "encrypted_key"));
	json_object_remove_member(obj, "recipients");
	t = text_of(node);
	CU_ASSERT_EQUAL(jwe_code(t, x, NULL), 0);
}

static void
test_jwe_encrypt_errors(void)
{
	g_autoptr(MeshKey) x = gen(MESH_KEY_X25519);
	g_autoptr(MeshKey) ed = gen(MESH_KEY_ED25519);
	g_autoptr(MeshKey) x_pub = NULL;
	MeshKey *twice[2] = { x, NULL };
	MeshKey *signing[] = { ed };
	g_autofree guint8 *big = g_malloc0(MESH_JOSE_MAX_SIZE + 1);
	GError *error = NULL;

	x_pub = mesh_key_get_public(x, &error);
	twice[1] = x_pub;
	CU_ASSERT_PTR_NULL(mesh_jwe_encrypt((const guint8 *)"x", 1, NULL, twice, 0, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(mesh_jwe_encrypt((const guint8 *)"x", 1, NULL, twice, 2, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(mesh_jwe_encrypt((const guint8 *)"x", 1, NULL, signing, 1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNSUPPORTED);
	CU_ASSERT_PTR_NULL(mesh_jwe_encrypt(big, MESH_JOSE_MAX_SIZE + 1, NULL, twice, 1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	/* 1 MiB of plaintext makes more than 1 MiB of JWE. */
	CU_ASSERT_PTR_NULL(mesh_jwe_encrypt(big, MESH_JOSE_MAX_SIZE, NULL, twice, 1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	/* A public key is enough to encrypt to. */
	{
		g_autoptr(JsonNode) node = mesh_jwe_encrypt((const guint8 *)plaintext,
							    strlen(plaintext), NULL, &twice[1], 1,
							    &error);
		g_autofree char *t = NULL;

		MESH_ASSERT_NO_ERROR(error);
		t = text_of(node);
		CU_ASSERT_EQUAL(jwe_code(t, x, NULL), 0);
	}
}

static CU_TestInfo tests[] = {
        {"RFC 7518 C Concat KDF known answer", test_rfc7518_concat_kdf},
        {"RFC 7520 5.5 ECDH-ES P-256 known answer", test_rfc7520_ecdh_es},
        {"Concat KDF arguments", test_concat_kdf_arguments},
        {"JWS known answers (RFC 8037 A.4, RFC 7515 A.3)", test_jws_known_answers},
        {"JWS sign and verify, EdDSA and ES256", test_jws_round_trip},
        {"JWS tampered or wrong key rejected", test_jws_tampered},
        {"JWS protected header checks", test_jws_header_checks},
        {"JWS structure checks", test_jws_structure},
        {"JWS signing errors", test_jws_sign_errors},
        {"JWE to 1, 2, 3 recipients, X25519 and P-256", test_jwe_recipients},
        {"JWE wrong recipient keys", test_jwe_wrong_keys},
        {"JWE: decrypt with a key agreement made elsewhere", test_jwe_decrypt_with},
        {"JWE: a locked key is Locked, a tampered JWE DecryptFailed",
         test_jwe_decrypt_with_locked_key},
        {"JWE kid is only a hint", test_jwe_kid_is_a_hint},
        {"JWE dir", test_jwe_dir},
        {"JWE tampering rejected", test_jwe_tampered},
        {"JWE malformed input rejected", test_jwe_malformed},
        {"JWE flattened serialization", test_jwe_flattened},
        {"JWE encryption errors", test_jwe_encrypt_errors},
        CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("jose", tests);
}
