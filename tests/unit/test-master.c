/* SPDX-License-Identifier: MIT */
#include "jwk.h"
#include "master.h"
#include "model-test.h"

static int
parse_code(const char *text)
{
	GError *error = NULL;
	g_autoptr(MeshMasterProfile) p = mesh_master_profile_parse(text, strlen(text), &error);

	if (p != NULL)
		CU_ASSERT_PTR_NULL(error);
	return mt_code(&error);
}

static void
test_round_trip(void)
{
	static const MeshKeyAlg algs[][2] = { { MESH_KEY_ED25519, MESH_KEY_X25519 },
					      { MESH_KEY_P256, MESH_KEY_P256 } };

	for (gsize i = 0; i < G_N_ELEMENTS(algs); i++) {
		MtMaster m = { 0 };
		g_autofree char *text = NULL;
		g_autoptr(MeshMasterProfile) p = NULL;
		GError *error = NULL;

		mt_master_make(&m, algs[i][0], algs[i][1]);
		text = mt_text(m.signed_profile);
		p = mesh_master_profile_parse(text, strlen(text), &error);
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_STRING_EQUAL(p->identifier, mesh_key_udf(m.sig));
		CU_ASSERT_TRUE(mesh_key_equal_public(p->signature_key, m.sig));
		CU_ASSERT_FALSE(mesh_key_is_private(p->signature_key));
		CU_ASSERT_EQUAL(p->escrow_keys->len, 2);
		CU_ASSERT_EQUAL(p->online_keys->len, 2);
		CU_ASSERT_TRUE(mesh_key_equal_public(p->escrow_keys->pdata[1], m.escrow[1]));
		CU_ASSERT_TRUE(mesh_key_equal_public(p->online_keys->pdata[0], m.online[0]));
		CU_ASSERT_PTR_NOT_NULL(
			mesh_master_profile_online_key(p, mesh_key_udf(m.online[1])));
		CU_ASSERT_PTR_NULL(mesh_master_profile_online_key(p, mesh_key_udf(m.sig)));
		CU_ASSERT_EQUAL(p->serial, 1);
		CU_ASSERT_STRING_EQUAL(p->created, m.profile->created);
		CU_ASSERT_PTR_NOT_NULL(strstr(text, "{\"SignedMasterProfile\":{\"Identifier\":"));
		mt_master_clear(&m);
	}
}

static void
test_new_refused(void)
{
	g_autoptr(MeshKey) ed = mesh_key_generate(MESH_KEY_ED25519, NULL);
	g_autoptr(MeshKey) x = mesh_key_generate(MESH_KEY_X25519, NULL);
	MeshKey *two_x[] = { x, x };
	GError *error = NULL;

	/* Agreement keys cannot sign; signature keys cannot be escrow keys. */
	CU_ASSERT_PTR_NULL(mesh_master_profile_new(x, &x, 1, &ed, 1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(mesh_master_profile_new(ed, &ed, 1, &ed, 1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(mesh_master_profile_new(ed, &x, 1, &x, 1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	/* Empty lists and a key twice. */
	CU_ASSERT_PTR_NULL(mesh_master_profile_new(ed, NULL, 0, &ed, 1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(mesh_master_profile_new(ed, &x, 1, NULL, 0, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(mesh_master_profile_new(ed, two_x, 2, &ed, 1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	/* The master key may also be an administration key. */
	{
		g_autoptr(MeshMasterProfile) p = mesh_master_profile_new(ed, &x, 1, &ed, 1, &error);

		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_PTR_NOT_NULL(p);
	}
}

static void
swap_online_key(JsonObject *inner, gpointer data)
{
	JsonArray *keys = json_array_new();

	json_array_add_element(keys, mesh_key_to_public_object(data));
	json_object_set_array_member(inner, "OnlineSignatureKeys", keys);
}

static void
duplicate_online_key(JsonObject *inner, gpointer data)
{
	JsonArray *keys = json_object_get_array_member(inner, "OnlineSignatureKeys");

	json_array_add_element(keys, json_node_copy(json_array_get_element(keys, 0)));
}

static void
set_identity(JsonObject *inner, gpointer data)
{
	json_object_set_member(inner, "MasterSignatureKey", mesh_key_to_public_object(data));
	json_object_set_string_member(inner, "Identifier", mesh_key_udf(data));
}

static void
test_verification_failures(void)
{
	MtMaster m = { 0 };
	g_autoptr(MeshKey) mallory = mesh_key_generate(MESH_KEY_ED25519, NULL);
	g_autofree char *text = NULL;
	const char *const tag = "MasterProfile";

	mt_master_make(&m, MESH_KEY_ED25519, MESH_KEY_X25519);
	text = mt_text(m.signed_profile);
	/* The positive case, then each failure beside it. */
	CU_ASSERT_EQUAL(parse_code(text), 0);
	{
		/* A new administration key slipped in, not re-signed. */
		g_autofree char *t = mt_tamper(text, tag, TRUE, swap_online_key, mallory, NULL,
					       NULL);

		CU_ASSERT_EQUAL(parse_code(t), MESH_ERROR_BAD_SIGNATURE);
	}
	{
		/* The same, re-signed by an outsider. */
		g_autofree char *t = mt_tamper(text, tag, TRUE, swap_online_key, mallory, mallory,
					       NULL);

		CU_ASSERT_EQUAL(parse_code(t), MESH_ERROR_MALFORMED);
	}
	{
		/* A whole new identity under the old wrapper Identifier. */
		g_autofree char *t = mt_tamper(text, tag, TRUE, set_identity, mallory, mallory,
					       NULL);

		CU_ASSERT_EQUAL(parse_code(t), MESH_ERROR_MALFORMED);
	}
	{
		g_autofree char *t = mt_tamper(text, tag, TRUE, NULL, NULL, NULL,
					       mesh_key_udf(mallory));

		CU_ASSERT_EQUAL(parse_code(t), MESH_ERROR_MALFORMED);
	}
	{
		/* Properly re-signed edits that are still invalid. */
		MtEdit edits[] = { mt_set_serial_text, mt_set_serial_double, mt_set_serial_zero,
				   mt_add_member, duplicate_online_key };

		for (gsize i = 0; i < G_N_ELEMENTS(edits); i++) {
			g_autofree char *t = mt_tamper(text, tag, TRUE, edits[i], NULL, m.sig,
						       NULL);

			CU_ASSERT_EQUAL(parse_code(t), MESH_ERROR_MALFORMED);
		}
	}
	{
		/* A valid edit re-signed by the master key verifies. */
		g_autofree char *t = mt_tamper(text, tag, TRUE, swap_online_key, mallory, m.sig,
					       NULL);

		CU_ASSERT_EQUAL(parse_code(t), 0);
	}
	{
		/* A payload with a duplicate member, signed by the master key. */
		g_autoptr(JsonNode) payload = mesh_master_profile_to_json(m.profile);
		g_autofree char *inner = mt_text(json_object_get_member(
			json_node_get_object(payload), tag));
		g_autofree char *dup = g_strdup_printf("{\"%s\":%s,\"%s\":%s}", tag, inner, tag,
						       inner);
		g_autofree char *t = mt_sign_raw(dup, tag, m.sig, m.profile->identifier);
		g_autofree char *ok_payload = mt_text(payload);
		g_autofree char *ok = mt_sign_raw(ok_payload, tag, m.sig, m.profile->identifier);

		CU_ASSERT_EQUAL(parse_code(ok), 0);
		CU_ASSERT_EQUAL(parse_code(t), MESH_ERROR_MALFORMED);
	}
	{
		/* Wrong tags: a device profile's wrapper, a payload of another type. */
		g_autoptr(JsonNode) payload = mesh_master_profile_to_json(m.profile);
		g_autofree char *ptext = mt_text(payload);
		g_autofree char *t = mt_sign_raw(ptext, "DeviceProfile", m.sig,
						 m.profile->identifier);

		CU_ASSERT_EQUAL(parse_code(t), MESH_ERROR_MALFORMED);
	}
	mt_master_clear(&m);
}

static void
test_malformed_input(void)
{
	MtMaster m = { 0 };
	g_autofree char *text = NULL;
	g_autofree char *huge = g_strnfill(MESH_PROFILE_MAX + 1, ' ');

	mt_master_make(&m, MESH_KEY_P256, MESH_KEY_P256);
	text = mt_text(m.signed_profile);
	for (gsize n = 0; n < strlen(text); n += 11) {
		g_autofree char *cut = g_strndup(text, n);

		CU_ASSERT_NOT_EQUAL(parse_code(cut), 0);
	}
	CU_ASSERT_EQUAL(parse_code(huge), MESH_ERROR_TOO_LARGE);
	CU_ASSERT_EQUAL(parse_code("{\"SignedMasterProfile\": {}}"), MESH_ERROR_MALFORMED);
	CU_ASSERT_EQUAL(parse_code("{\"SignedDeviceProfile\": {}}"), MESH_ERROR_MALFORMED);
	CU_ASSERT_EQUAL(parse_code("{\"MasterProfile\": {}}"), MESH_ERROR_MALFORMED);
	CU_ASSERT_EQUAL(parse_code("[]"), MESH_ERROR_MALFORMED);
	CU_ASSERT_PTR_NULL(mesh_master_profile_verify(NULL, NULL));
	mt_master_clear(&m);
}

static void
test_online_keys(void)
{
	MtMaster m = { 0 };
	g_autoptr(MeshKey) extra = mesh_key_generate(MESH_KEY_ED25519, NULL);
	g_autoptr(MeshKey) x = mesh_key_generate(MESH_KEY_X25519, NULL);
	g_autoptr(JsonNode) resigned = NULL;
	g_autoptr(MeshMasterProfile) p = NULL;
	GError *error = NULL;

	mt_master_make(&m, MESH_KEY_ED25519, MESH_KEY_X25519);
	CU_ASSERT_TRUE(mesh_master_profile_add_online_key(m.profile, extra, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(mesh_master_profile_add_online_key(m.profile, extra, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_EXISTS);
	CU_ASSERT_FALSE(mesh_master_profile_add_online_key(m.profile, x, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_TRUE(mesh_master_profile_remove_online_key(m.profile, mesh_key_udf(m.online[0]),
							     &error));
	CU_ASSERT_FALSE(mesh_master_profile_remove_online_key(m.profile, mesh_key_udf(m.online[0]),
							      &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_TRUE(mesh_master_profile_remove_online_key(m.profile, mesh_key_udf(m.online[1]),
							     &error));
	CU_ASSERT_FALSE(mesh_master_profile_remove_online_key(m.profile, mesh_key_udf(extra),
							      &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_TRUE(mesh_master_profile_touch(m.profile, &error));
	resigned = mesh_master_profile_sign(m.profile, mesh_signed_sign_with_key, m.sig, &error);
	MESH_ASSERT_NO_ERROR(error);
	p = mesh_master_profile_verify(resigned, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(p->serial, 2);
	CU_ASSERT_EQUAL(p->online_keys->len, 1);
	CU_ASSERT_TRUE(mesh_key_equal_public(p->online_keys->pdata[0], extra));
	/* Signing needs the master key itself. */
	CU_ASSERT_PTR_NULL(mesh_master_profile_sign(m.profile, mesh_signed_sign_with_key, extra,
						    &error));
	CU_ASSERT_NOT_EQUAL(mt_code(&error), 0);
	m.profile->serial = MESH_SERIAL_MAX;
	CU_ASSERT_FALSE(mesh_master_profile_touch(m.profile, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	mt_master_clear(&m);
}

static CU_TestInfo tests[] = {
	{ "sign, parse, verify (Ed25519/X25519 and P-256)", test_round_trip },
	{ "bad keys refused", test_new_refused },
	{ "verification failures beside the positive case", test_verification_failures },
	{ "malformed, truncated, oversize", test_malformed_input },
	{ "administration keys added and removed", test_online_keys },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("master", tests);
}
