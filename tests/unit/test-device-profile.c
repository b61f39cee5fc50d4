/* SPDX-License-Identifier: MIT */
#include "base64.h"
#include "cutest.h"
#include "error.h"
#include "json.h"
#include "device-profile.h"
#include "jwk.h"

#include <string.h>

typedef struct {
	MeshKey *sig, *auth, *enc;
} Keys;

static gboolean
sign_cb(gpointer user_data, const guint8 *input, gsize len, GBytes **ret, GError **error)
{
	GBytes *sig = mesh_key_sign(user_data, input, len, error);

	if (sig == NULL)
		return FALSE;
	*ret = sig;
	return TRUE;
}

static void
keys_make(Keys *k, MeshKeyAlg sig, MeshKeyAlg enc)
{
	k->sig = mesh_key_generate(sig, NULL);
	k->auth = mesh_key_generate(sig, NULL);
	k->enc = mesh_key_generate(enc, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(k->enc);
}

static void
keys_clear(Keys *k)
{
	g_clear_pointer(&k->sig, mesh_key_unref);
	g_clear_pointer(&k->auth, mesh_key_unref);
	g_clear_pointer(&k->enc, mesh_key_unref);
}

/* A signed profile as text. */
static char *
signed_text(const Keys *k, const char *description)
{
	GError *error = NULL;
	g_autoptr(MeshDeviceProfile) p = mesh_device_profile_new(description, k->sig, k->auth,
								 k->enc, &error);
	g_autoptr(JsonNode) node = NULL;

	MESH_ASSERT_NO_ERROR(error);
	node = mesh_device_profile_sign(p, sign_cb, k->sig, &error);
	MESH_ASSERT_NO_ERROR(error);
	return mesh_json_to_string(node);
}

static int
parse_code(const char *text)
{
	GError *error = NULL;
	g_autoptr(MeshDeviceProfile) p = mesh_device_profile_parse(text, strlen(text), &error);
	int code = error ? error->code : 0;

	if (p != NULL)
		CU_ASSERT_PTR_NULL(error);
	g_clear_error(&error);
	return p != NULL ? 0 : code;
}

static void
test_round_trip(void)
{
	static const MeshKeyAlg algs[][2] = { { MESH_KEY_ED25519, MESH_KEY_X25519 },
					      { MESH_KEY_P256, MESH_KEY_P256 } };

	for (gsize i = 0; i < G_N_ELEMENTS(algs); i++) {
		Keys k = { 0 };
		g_autofree char *text = NULL;
		g_autoptr(MeshDeviceProfile) p = NULL;
		GError *error = NULL;

		keys_make(&k, algs[i][0], algs[i][1]);
		text = signed_text(&k, "Alice's laptop");
		p = mesh_device_profile_parse(text, strlen(text), &error);
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_STRING_EQUAL(p->identifier, mesh_key_udf(k.sig));
		CU_ASSERT_STRING_EQUAL(p->description, "Alice's laptop");
		CU_ASSERT_TRUE(mesh_key_equal_public(p->signature_key, k.sig));
		CU_ASSERT_TRUE(mesh_key_equal_public(p->authentication_key, k.auth));
		CU_ASSERT_TRUE(mesh_key_equal_public(p->encryption_key, k.enc));
		CU_ASSERT_FALSE(mesh_key_is_private(p->signature_key));
		CU_ASSERT_EQUAL(strlen(p->created), 20);
		/* The wrapper is tagged and carries the identifier. */
		CU_ASSERT_PTR_NOT_NULL(strstr(text, "{\"SignedDeviceProfile\":{\"Identifier\":"));
		keys_clear(&k);
	}
}

static void
test_no_description(void)
{
	Keys k = { 0 };
	g_autofree char *text = NULL;
	g_autoptr(MeshDeviceProfile) p = NULL;

	keys_make(&k, MESH_KEY_ED25519, MESH_KEY_X25519);
	text = signed_text(&k, NULL);
	p = mesh_device_profile_parse(text, strlen(text), NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_NULL(p->description);
	keys_clear(&k);
}

static void
test_wrong_algorithms_refused(void)
{
	Keys k = { 0 };
	GError *error = NULL;
	g_autofree char *long_text = g_strnfill(MESH_PROFILE_TEXT_MAX + 1, 'x');

	keys_make(&k, MESH_KEY_ED25519, MESH_KEY_X25519);
	/* X25519 cannot sign; Ed25519 cannot agree. */
	CU_ASSERT_PTR_NULL(mesh_device_profile_new(NULL, k.enc, k.auth, k.enc, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(mesh_device_profile_new(NULL, k.sig, k.auth, k.sig, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(mesh_device_profile_new(long_text, k.sig, k.auth, k.enc, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(mesh_device_profile_new("\xff", k.sig, k.auth, k.enc, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	keys_clear(&k);
}

/*
 * Re-sign @text's payload after @edit changed it, with @signer (NULL: keep the original
 * signature, i.e. tamper without re-signing). Returns the new SignedDeviceProfile text.
 */
static char *
tamper(const char *text, void (*edit)(JsonObject *profile, gpointer), gpointer data,
       MeshKey *signer, const char *wrapper_identifier)
{
	g_autoptr(JsonNode) root = mesh_json_parse(text, strlen(text), 1 << 20, NULL);
	JsonObject *wrapper = json_object_get_object_member(json_node_get_object(root),
							   "SignedDeviceProfile");
	JsonObject *jws = json_object_get_object_member(wrapper, "SignedData");
	g_autoptr(GBytes) payload = mesh_b64u_decode_bytes(
		json_object_get_string_member(jws, "payload"), 1 << 20, NULL);
	g_autofree char *ptext = g_strndup(g_bytes_get_data(payload, NULL),
					   g_bytes_get_size(payload));
	g_autoptr(JsonNode) proot = mesh_json_parse(ptext, strlen(ptext), 1 << 20, NULL);
	JsonObject *profile = json_object_get_object_member(json_node_get_object(proot),
							    "DeviceProfile");
	g_autofree char *new_payload = NULL;

	if (edit != NULL)
		edit(profile, data);
	new_payload = mesh_json_to_string(proot);
	if (signer != NULL) {
		JsonNode *signed_jws = mesh_jws_sign(signer, "DeviceProfile",
						     (const guint8 *)new_payload,
						     strlen(new_payload), NULL);

		json_object_set_member(wrapper, "SignedData", signed_jws);
	} else {
		g_autofree char *b64 = mesh_b64u_encode((const guint8 *)new_payload,
							strlen(new_payload));

		json_object_set_string_member(jws, "payload", b64);
	}
	if (wrapper_identifier != NULL)
		json_object_set_string_member(wrapper, "Identifier", wrapper_identifier);
	return mesh_json_to_string(root);
}

static void
set_description(JsonObject *profile, gpointer data)
{
	json_object_set_string_member(profile, "Description", data);
}

static void
set_key(JsonObject *profile, gpointer data)
{
	json_object_set_member(profile, "DeviceEncryptionKey", mesh_key_to_public_object(data));
}

static void
set_signature_key(JsonObject *profile, gpointer data)
{
	json_object_set_member(profile, "DeviceSignatureKey", mesh_key_to_public_object(data));
	json_object_set_string_member(profile, "Identifier", mesh_key_udf(data));
}

static void
set_names(JsonObject *profile, gpointer data)
{
	json_object_set_array_member(profile, "Names", json_array_ref(data));
}

static void
add_member(JsonObject *profile, gpointer data)
{
	json_object_set_string_member(profile, "Extra", "x");
}

static void
set_created(JsonObject *profile, gpointer data)
{
	json_object_set_string_member(profile, "Created", data);
}

static void
test_tampering_detected(void)
{
	Keys k = { 0 };
	g_autoptr(MeshKey) mallory = mesh_key_generate(MESH_KEY_ED25519, NULL);
	g_autoptr(MeshKey) mallory_enc = mesh_key_generate(MESH_KEY_X25519, NULL);
	g_autofree char *text = NULL;

	keys_make(&k, MESH_KEY_ED25519, MESH_KEY_X25519);
	text = signed_text(&k, "phone");
	CU_ASSERT_EQUAL(parse_code(text), 0);
	{
		/* Payload changed, signature kept */
		g_autofree char *t = tamper(text, set_description, "evil", NULL, NULL);

		CU_ASSERT_EQUAL(parse_code(t), MESH_ERROR_BAD_SIGNATURE);
	}
	{
		/* Encryption key swapped, payload not re-signed */
		g_autofree char *t = tamper(text, set_key, mallory_enc, NULL, NULL);

		CU_ASSERT_EQUAL(parse_code(t), MESH_ERROR_BAD_SIGNATURE);
	}
	{
		/* Encryption key swapped and re-signed by another key */
		g_autofree char *t = tamper(text, set_key, mallory_enc, mallory, NULL);

		CU_ASSERT_NOT_EQUAL(parse_code(t), 0);
	}
	{
		/* A whole new identity under the old wrapper Identifier */
		g_autofree char *t = tamper(text, set_signature_key, mallory, mallory, NULL);

		CU_ASSERT_EQUAL(parse_code(t), MESH_ERROR_MALFORMED);
	}
	{
		/* Wrapper Identifier changed */
		g_autofree char *t = tamper(text, NULL, NULL, NULL, mesh_key_udf(mallory));

		CU_ASSERT_EQUAL(parse_code(t), MESH_ERROR_MALFORMED);
	}
	{
		g_autofree char *t = tamper(text, add_member, NULL, k.sig, NULL);

		CU_ASSERT_EQUAL(parse_code(t), MESH_ERROR_MALFORMED);
	}
	{
		g_autofree char *t = tamper(text, set_created, "yesterday", k.sig, NULL);

		CU_ASSERT_EQUAL(parse_code(t), MESH_ERROR_MALFORMED);
	}
	{
		/* An over-long description, checked before the signature, with no error wanted:
		 * refused, and no NULL GError is written through. */
		g_autofree char *long_text = g_strnfill(300, 'd');
		g_autofree char *t = tamper(text, set_description, long_text, NULL, NULL);

		CU_ASSERT_EQUAL(parse_code(t), MESH_ERROR_MALFORMED);
		CU_ASSERT_PTR_NULL(mesh_device_profile_parse(t, strlen(t), NULL));
	}
	{
		/* A valid edit, properly re-signed by the device itself, is accepted. */
		g_autofree char *t = tamper(text, set_description, "renamed", k.sig, NULL);

		CU_ASSERT_EQUAL(parse_code(t), 0);
	}
	keys_clear(&k);
}

/* Descriptions reach the administrator's terminal: controls, bidirectional overrides and more
 * than 64 characters are refused by the writer, and by the reader even when the device itself
 * signed them (a hostile requester). */
static void
test_description_display(void)
{
	static const char *const bad[] = {
		"laptop\rFAKE-WITNESS", "laptop\x1b[K", "\342\200\256potpal", "two\nlines",
		"ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd", /* 65 */
	};
	Keys k = { 0 };
	g_autofree char *text = NULL;
	GError *error = NULL;

	keys_make(&k, MESH_KEY_ED25519, MESH_KEY_X25519);
	text = signed_text(&k, "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd");
	CU_ASSERT_EQUAL(parse_code(text), 0); /* 64 characters */
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *t = tamper(text, set_description, (gpointer)bad[i], k.sig, NULL);

		CU_ASSERT_PTR_NULL(mesh_device_profile_new(bad[i], k.sig, k.auth, k.enc, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
		CU_ASSERT_EQUAL(parse_code(t), MESH_ERROR_MALFORMED);
	}
	{
		/* Names are display strings too. */
		g_autoptr(JsonArray) names = json_array_new();
		g_autofree char *t = NULL;

		json_array_add_string_element(names, "ok\x1b]0;x\x07");
		t = tamper(text, set_names, names, k.sig, NULL);
		CU_ASSERT_EQUAL(parse_code(t), MESH_ERROR_MALFORMED);
	}
	keys_clear(&k);
}

static void
test_malformed_input(void)
{
	Keys k = { 0 };
	g_autofree char *text = NULL;
	g_autofree char *huge = g_strnfill(MESH_PROFILE_MAX + 1, ' ');

	keys_make(&k, MESH_KEY_ED25519, MESH_KEY_X25519);
	text = signed_text(&k, "x");
	/* Truncated at many points */
	for (gsize n = 0; n < strlen(text); n += 7) {
		g_autofree char *cut = g_strndup(text, n);

		CU_ASSERT_NOT_EQUAL(parse_code(cut), 0);
	}
	CU_ASSERT_EQUAL(parse_code(huge), MESH_ERROR_TOO_LARGE);
	CU_ASSERT_EQUAL(parse_code("{\"DeviceProfile\": {}}"), MESH_ERROR_MALFORMED);
	CU_ASSERT_EQUAL(parse_code("{\"SignedDeviceProfile\": []}"), MESH_ERROR_MALFORMED);
	CU_ASSERT_EQUAL(parse_code("{\"SignedDeviceProfile\": {\"Identifier\": 5}}"),
			MESH_ERROR_MALFORMED);
	CU_ASSERT_EQUAL(parse_code("[]"), MESH_ERROR_MALFORMED);
	keys_clear(&k);
}

static CU_TestInfo tests[] = {
	{ "sign, parse, verify (Ed25519/X25519 and P-256)", test_round_trip },
	{ "description is optional", test_no_description },
	{ "wrong algorithms refused", test_wrong_algorithms_refused },
	{ "tampering detected", test_tampering_detected },
	{ "descriptions and names are display text", test_description_display },
	{ "malformed, truncated, oversize", test_malformed_input },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("profile", tests);
}
