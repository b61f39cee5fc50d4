/* SPDX-License-Identifier: MIT */
#include "connect.h"
#include "model-test.h"

static MeshKey *
seed_key(const char *hex)
{
	guint8 raw[32];
	gsize len = 0;
	g_autoptr(MeshSecret) secret = NULL;

	CU_ASSERT_TRUE_FATAL(mesh_hex_decode(hex, raw, sizeof raw, &len, NULL));
	secret = mesh_secret_new_from_data(raw, len);
	return mesh_key_from_raw_private(MESH_KEY_ED25519, secret, NULL);
}

static void
hex16(JsonObject *v, const char *member, guint8 out[static 16])
{
	gsize len = 0;

	CU_ASSERT_TRUE_FATAL(mesh_hex_decode(json_object_get_string_member(v, member), out, 16,
					     &len, NULL));
	CU_ASSERT_EQUAL_FATAL(len, 16);
}

static void
test_witness_known_answer(void)
{
	JsonNode *root = NULL;
	JsonObject *v = mesh_test_vectors(&root, "witness.json", "Witness");
	g_autoptr(MeshKey) master = seed_key(json_object_get_string_member(v, "MasterSeed"));
	g_autoptr(MeshKey) device = seed_key(json_object_get_string_member(v, "DeviceSeed"));
	guint8 sn[16], cn[16], p[65], d[65];
	gsize len = 0;
	g_autofree char *w = NULL;
	g_autofree char *raw = NULL;
	const char *want = json_object_get_string_member(v, "Witness");
	GError *error = NULL;

	CU_ASSERT_STRING_EQUAL(mesh_key_udf(master),
			       json_object_get_string_member(v, "ProfileUDF"));
	CU_ASSERT_STRING_EQUAL(mesh_key_udf(device),
			       json_object_get_string_member(v, "DeviceUDF"));
	hex16(v, "ServerNonce", sn);
	hex16(v, "ClientNonce", cn);
	w = mesh_connect_witness(master, sn, device, cn, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(w, want);
	CU_ASSERT_EQUAL(strlen(w), 34);
	CU_ASSERT_TRUE(mesh_hex_decode(json_object_get_string_member(v, "P"), p, 65, &len, NULL));
	CU_ASSERT_TRUE(mesh_hex_decode(json_object_get_string_member(v, "D"), d, 65, &len, NULL));
	raw = mesh_connect_witness_raw(p, 65, sn, d, 65, cn);
	CU_ASSERT_STRING_EQUAL(raw, want);
	{
		/* Swapping the nonces or the roles changes it. */
		g_autofree char *swapped = mesh_connect_witness(master, cn, device, sn, NULL);
		g_autofree char *roles = mesh_connect_witness(device, sn, master, cn, NULL);

		CU_ASSERT_STRING_NOT_EQUAL(swapped, want);
		CU_ASSERT_STRING_NOT_EQUAL(roles, want);
	}
	json_node_unref(root);
}

static void
test_witness_whole(void)
{
	const char *ws[] = { "FWRX-36U7-HBEV-L5BV-BQ6F-5KUT-Y6CK",
			     "FWRX-36U7-AAAA-L5BV-BQ6F-5KUT-Y6CK",
			     "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23" };
	gsize index = 99;
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_connect_witness_equal(ws[0], "fwrx36u7hbevl5bvbq6f5kuty6ck"));
	CU_ASSERT_TRUE(mesh_connect_witness_equal(ws[0], ws[0]));
	CU_ASSERT_FALSE(mesh_connect_witness_equal(ws[0], "FWRX-36U7"));
	CU_ASSERT_FALSE(mesh_connect_witness_equal(ws[0], ws[1]));
	CU_ASSERT_FALSE(mesh_connect_witness_equal(ws[0], "FWRX-36U7-HBEV-L5BV-BQ6F-5KUT-Y6CL"));
	CU_ASSERT_FALSE(mesh_connect_witness_equal(ws[0], "FWRX36U7HBEVL5BVBQ6F5KUTY6CKA"));
	/* Wire witnesses have no spaces: only what a user types may. */
	CU_ASSERT_FALSE(mesh_connect_witness_equal(ws[0], "FWRX 36U7 HBEV L5BV BQ6F 5KUT Y6CK"));
	CU_ASSERT_FALSE(mesh_connect_witness_equal(ws[0], NULL));

	/* The whole witness, in any case, with or without dashes and spaces. */
	CU_ASSERT_TRUE(mesh_connect_witness_find(ws, 3, "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23",
						 &index, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(index, 2);
	CU_ASSERT_TRUE(mesh_connect_witness_find(ws, 3, "fwrx36u7hbevl5bvbq6f5kuty6ck", &index,
						 &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(index, 0);
	CU_ASSERT_TRUE(mesh_connect_witness_find(ws, 3, "fwrx 36u7 AAAA-l5bv bq6f-5kut  y6ck",
						 &index, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(index, 1);
	index = 99;
	/* Prefixes are refused, however long: 8 characters (what a grinding portal matches), 27,
	 * and the prefix that would have been ambiguous. */
	CU_ASSERT_FALSE(mesh_connect_witness_find(ws, 3, "ABCD-EFGH", &index, &error));
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "give the whole witness (28 characters"));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_connect_witness_find(ws, 3, "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ2",
						  &index, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_connect_witness_find(ws, 3, "FWRX-36U7", &index, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_connect_witness_find(ws, 3, "", &index, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_connect_witness_find(ws, 3, NULL, &index, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	/* Too long, not Base32, other separators. */
	CU_ASSERT_FALSE(mesh_connect_witness_find(ws, 3, "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23A",
						  &index, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_connect_witness_find(ws, 3, "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ21",
						  &index, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_connect_witness_find(ws, 3, "ABCD_EFGH_IJKL_MNOP_QRST_UVWX_YZ23",
						  &index, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	/* A whole witness that differs from every pending one, in its last character only. */
	CU_ASSERT_FALSE(mesh_connect_witness_find(ws, 3, "FWRX-36U7-HBEV-L5BV-BQ6F-5KUT-Y6CL",
						  &index, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_FALSE(mesh_connect_witness_find(ws, 3, "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ24",
						  &index, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_FALSE(mesh_connect_witness_find(ws, 0, ws[0], &index, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_EQUAL(index, 99);
	{
		/* The same request listed twice answers neither. */
		const char *twice[] = { ws[0], ws[1], ws[0] };

		CU_ASSERT_FALSE(mesh_connect_witness_find(twice, 3, ws[0], &index, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
		CU_ASSERT_EQUAL(index, 99);
	}
}

static int
request_code(const char *text)
{
	GError *error = NULL;
	g_autoptr(MeshConnectionRequest) r = mesh_connection_request_parse(text, strlen(text),
									   &error);

	if (r != NULL)
		CU_ASSERT_PTR_NULL(error);
	return mt_code(&error);
}

static void
set_nonce(JsonObject *inner, gpointer data)
{
	json_object_set_string_member(inner, "ClientNonce", data);
}

static void
test_request(void)
{
	MtMaster m = { 0 }, other = { 0 };
	MtDevice d = { 0 }, e = { 0 };
	g_autoptr(MeshConnectionRequest) request = NULL;
	g_autoptr(MeshConnectionRequest) read = NULL;
	g_autoptr(JsonNode) node = NULL;
	g_autofree char *text = NULL;
	g_autofree char *w1 = NULL;
	g_autofree char *w2 = NULL;
	guint8 server_nonce[16] = { 1, 2, 3 };
	GError *error = NULL;
	const char *const tag = "ConnectionRequest";

	mt_master_make(&m, MESH_KEY_ED25519, MESH_KEY_X25519);
	mt_master_make(&other, MESH_KEY_P256, MESH_KEY_P256);
	mt_device_make(&d, MESH_KEY_ED25519, MESH_KEY_X25519);
	mt_device_make(&e, MESH_KEY_P256, MESH_KEY_P256);
	request = mesh_connection_request_new(m.profile->identifier, d.signed_profile, &error);
	MESH_ASSERT_NO_ERROR(error);
	node = mesh_connection_request_sign(request, mesh_signed_sign_with_key, d.sig, &error);
	MESH_ASSERT_NO_ERROR(error);
	text = mt_text(node);
	read = mesh_connection_request_parse(text, strlen(text), &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(read->parent_udf, m.profile->identifier);
	CU_ASSERT_STRING_EQUAL(read->device->identifier, mesh_key_udf(d.sig));
	CU_ASSERT_EQUAL(memcmp(read->client_nonce, request->client_nonce, 16), 0);
	CU_ASSERT_STRING_EQUAL(read->issued, request->issued);
	/* Both sides compute the same witness. */
	w1 = mesh_connection_request_witness(request, m.profile, server_nonce, &error);
	w2 = mesh_connect_witness(m.sig, server_nonce, d.sig, read->client_nonce, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(w1, w2);
	CU_ASSERT_PTR_NULL(mesh_connection_request_witness(read, other.profile, server_nonce,
							   &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_WITNESS_MISMATCH);
	/* Failures beside the positive case. */
	CU_ASSERT_EQUAL(request_code(text), 0);
	{
		const char *kv[] = { "ParentUDF", other.profile->identifier };
		g_autofree char *t = mt_tamper(text, tag, FALSE, mt_set_string, kv, NULL, NULL);
		g_autofree char *ok = mt_tamper(text, tag, FALSE, mt_set_string, kv, d.sig, NULL);
		g_autofree char *t2 = mt_tamper(text, tag, FALSE, mt_set_string, kv, e.sig, NULL);

		CU_ASSERT_EQUAL(request_code(t), MESH_ERROR_BAD_SIGNATURE);
		CU_ASSERT_EQUAL(request_code(ok), 0);
		CU_ASSERT_EQUAL(request_code(t2), MESH_ERROR_BAD_SIGNATURE); /* another device */
	}
	{
		/* Unchanged, but signed by another key than the device's. */
		g_autofree char *t = mt_tamper(text, tag, FALSE, NULL, NULL, m.sig, NULL);

		CU_ASSERT_EQUAL(request_code(t), MESH_ERROR_BAD_SIGNATURE);
	}
	{
		const char *issued[] = { "Issued", "yesterday" };
		g_autofree char *t1 = mt_tamper(text, tag, FALSE, set_nonce, "AAEC", d.sig, NULL);
		g_autofree char *t2 = mt_tamper(text, tag, FALSE, set_nonce, "!!", d.sig, NULL);
		g_autofree char *t3 = mt_tamper(text, tag, FALSE, mt_set_string, issued, d.sig,
						NULL);
		g_autofree char *t4 = mt_tamper(text, tag, FALSE, mt_add_member, NULL, d.sig, NULL);

		CU_ASSERT_EQUAL(request_code(t1), MESH_ERROR_MALFORMED);
		CU_ASSERT_EQUAL(request_code(t2), MESH_ERROR_MALFORMED);
		CU_ASSERT_EQUAL(request_code(t3), MESH_ERROR_MALFORMED);
		CU_ASSERT_EQUAL(request_code(t4), MESH_ERROR_MALFORMED);
	}
	{
		/* A payload of another type under the request's cty, and the reverse. */
		g_autofree char *t = mt_sign_raw("{\"ConnectionResult\":{}}", tag, d.sig, NULL);
		g_autofree char *t2 = mt_sign_raw("{\"ConnectionRequest\":{}}", "ConnectionResult",
						  d.sig, NULL);

		CU_ASSERT_EQUAL(request_code(t), MESH_ERROR_MALFORMED);
		CU_ASSERT_EQUAL(request_code(t2), MESH_ERROR_MALFORMED);
		CU_ASSERT_EQUAL(request_code("[]"), MESH_ERROR_MALFORMED);
	}
	CU_ASSERT_PTR_NULL(mesh_connection_request_new("not a udf", d.signed_profile, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(mesh_connection_request_new(m.profile->identifier, m.signed_profile,
						       &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	mt_master_clear(&m);
	mt_master_clear(&other);
	mt_device_clear(&d);
	mt_device_clear(&e);
}

static int
result_code(const char *text, const MeshMasterProfile *master)
{
	GError *error = NULL;
	g_autoptr(MeshConnectionResult) r = mesh_connection_result_parse(text, strlen(text), master,
									 &error);

	if (r != NULL)
		CU_ASSERT_PTR_NULL(error);
	return mt_code(&error);
}

static void
test_result(void)
{
	MtMaster m = { 0 };
	MtDevice d = { 0 };
	g_autoptr(JsonNode) accepted = NULL;
	g_autoptr(JsonNode) rejected = NULL;
	g_autoptr(MeshConnectionResult) r = NULL;
	g_autofree char *text = NULL;
	const char *witness = "FWRX-36U7-HBEV-L5BV-BQ6F-5KUT-Y6CK";
	GError *error = NULL;
	const char *const tag = "ConnectionResult";

	mt_master_make(&m, MESH_KEY_ED25519, MESH_KEY_X25519);
	mt_device_make(&d, MESH_KEY_ED25519, MESH_KEY_X25519);
	accepted = mesh_connection_result_sign(mesh_key_udf(d.sig), "fwrx36u7hbevl5bvbq6f5kuty6ck",
					       MESH_CONNECTION_ACCEPTED, m.profile, m.online[1],
					       mesh_signed_sign_with_key, m.online[1], &error);
	MESH_ASSERT_NO_ERROR(error);
	r = mesh_connection_result_verify(accepted, m.profile, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(r->witness, witness);
	CU_ASSERT_STRING_EQUAL(r->device_udf, mesh_key_udf(d.sig));
	CU_ASSERT_STRING_EQUAL(r->signer, mesh_key_udf(m.online[1]));
	CU_ASSERT_EQUAL(r->result, MESH_CONNECTION_ACCEPTED);
	CU_ASSERT_TRUE(mesh_connection_result_check(r, mesh_key_udf(d.sig), witness, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(mesh_connection_result_check(r, mesh_key_udf(m.sig), witness, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_WITNESS_MISMATCH);
	CU_ASSERT_FALSE(mesh_connection_result_check(r, mesh_key_udf(d.sig),
						     "FWRX-36U7-HBEV-L5BV-BQ6F-5KUT-Y6CL", &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_WITNESS_MISMATCH);
	rejected = mesh_connection_result_sign(mesh_key_udf(d.sig), witness,
					       MESH_CONNECTION_REJECTED, m.profile, m.online[0],
					       mesh_signed_sign_with_key, m.online[0], &error);
	g_clear_pointer(&r, mesh_connection_result_free);
	r = mesh_connection_result_verify(rejected, m.profile, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(mesh_connection_result_check(r, mesh_key_udf(d.sig), witness, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_REJECTED);
	/* Signers: the device, the master key itself are not administration keys. */
	CU_ASSERT_PTR_NULL(mesh_connection_result_sign(mesh_key_udf(d.sig), witness,
						       MESH_CONNECTION_ACCEPTED, m.profile, d.sig,
						       mesh_signed_sign_with_key, d.sig, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNAUTHORIZED);
	CU_ASSERT_PTR_NULL(mesh_connection_result_sign(mesh_key_udf(d.sig), "FWRX", 1, m.profile,
						       m.online[0], mesh_signed_sign_with_key,
						       m.online[0], &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(mesh_connection_result_sign(mesh_key_udf(d.sig), witness, 3, m.profile,
						       m.online[0], mesh_signed_sign_with_key,
						       m.online[0], &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	text = mt_text(accepted);
	CU_ASSERT_EQUAL(result_code(text, m.profile), 0);
	{
		const char *kv[] = { "Result", "Accepted" };
		const char *bad[] = { "Result", "Maybe" };
		const char *bad_w[] = { "Witness", "FWRX-36U7" };
		g_autofree char *t = mt_tamper(text, tag, FALSE, mt_set_string, kv, d.sig, NULL);
		g_autofree char *t2 = mt_tamper(text, tag, FALSE, mt_set_string, kv, m.sig, NULL);
		g_autofree char *t3 = mt_tamper(text, tag, FALSE, mt_set_string, bad, m.online[0],
						NULL);
		g_autofree char *t4 = mt_tamper(text, tag, FALSE, mt_set_string, bad_w,
						m.online[0], NULL);
		g_autofree char *t5 = mt_tamper(text, tag, FALSE, mt_add_member, NULL, m.online[0],
						NULL);
		g_autofree char *rej = mt_text(rejected);
		const char *acc[] = { "Result", "Accepted" };
		g_autofree char *t6 = mt_tamper(rej, tag, FALSE, mt_set_string, acc, NULL, NULL);

		CU_ASSERT_EQUAL(result_code(t, m.profile), MESH_ERROR_UNAUTHORIZED);
		CU_ASSERT_EQUAL(result_code(t2, m.profile), MESH_ERROR_UNAUTHORIZED);
		CU_ASSERT_EQUAL(result_code(t3, m.profile), MESH_ERROR_MALFORMED);
		CU_ASSERT_EQUAL(result_code(t4, m.profile), MESH_ERROR_MALFORMED);
		CU_ASSERT_EQUAL(result_code(t5, m.profile), MESH_ERROR_MALFORMED);
		/* A rejection turned into an acceptance without the key. */
		CU_ASSERT_EQUAL(result_code(t6, m.profile), MESH_ERROR_BAD_SIGNATURE);
	}
	mt_master_clear(&m);
	mt_device_clear(&d);
}

/* ---- Connecting by PIN ---------------------------------------------------------------------- */

static MeshSecret *
canonical(const char *text)
{
	MeshSecret *pin = NULL;
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_connect_pin_canonical(text, &pin, &error));
	MESH_ASSERT_NO_ERROR(error);
	return pin;
}

static void
test_pin_known_answer(void)
{
	JsonNode *root = NULL;
	JsonObject *v = mesh_test_vectors(&root, "pin.json", "Pin");
	g_autoptr(MeshSecret) pin = canonical(json_object_get_string_member(v, "Pin"));
	g_autoptr(MeshSecret) lower = NULL;
	g_autoptr(MeshSecret) grouped = NULL;
	g_autofree char *id = NULL;
	g_autofree char *mac = NULL;
	g_autofree char *other = NULL;
	g_autofree char *lowered = g_ascii_strdown(json_object_get_string_member(v, "Pin"), -1);
	GError *error = NULL;

	CU_ASSERT_STRING_EQUAL((const char *)mesh_secret_get(pin),
			       json_object_get_string_member(v, "Canonical"));
	/* Typed in lower case, with spaces: the same PIN. */
	g_strdelimit(lowered, "-", ' ');
	lower = canonical(lowered);
	CU_ASSERT_TRUE(mesh_secret_equal(pin, lower));
	grouped = mesh_connect_pin_grouped(pin);
	CU_ASSERT_STRING_EQUAL((const char *)mesh_secret_get(grouped),
			       json_object_get_string_member(v, "Pin"));
	id = mesh_connect_pin_id(pin, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(id, json_object_get_string_member(v, "PinId"));
	mac = mesh_connect_pin_mac(pin, json_object_get_string_member(v, "ParentUDF"),
				   json_object_get_string_member(v, "DeviceUDF"),
				   json_object_get_string_member(v, "ClientNonce"),
				   json_object_get_string_member(v, "Issued"), &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(mac, json_object_get_string_member(v, "PinMac"));
	/* Another Issued time gives another MAC. */
	other = mesh_connect_pin_mac(pin, json_object_get_string_member(v, "ParentUDF"),
				     json_object_get_string_member(v, "DeviceUDF"),
				     json_object_get_string_member(v, "ClientNonce"),
				     "2026-01-02T03:04:06Z", &error);
	CU_ASSERT_STRING_NOT_EQUAL(other, mac);
	json_node_unref(root);
}

static void
test_pin_text(void)
{
	g_autoptr(MeshSecret) a = NULL;
	g_autoptr(MeshSecret) b = NULL;
	MeshSecret *bad = NULL;
	GError *error = NULL;
	const char *refused[] = {
		"",
		"NBXW-Q33U-MFXG-S2LP-NZXW-E3DB-MVQ",   /* 27 */
		"NBXW-Q33U-MFXG-S2LP-NZXW-E3DB-MVQQA", /* 29 */
		"MBXW-Q33U-MFXG-S2LP-NZXW-E3DB-MVQQ",  /* not a nonce */
		"NBXW-Q33U-MFXG-S2LP-NZXW-E3DB-MVQ1",  /* not Base32 */
		"NBXW_Q33U_MFXG_S2LP_NZXW_E3DB_MVQQ",
		"NBXW-Q33U-MFXG-S2LP-NZXW-E3DB-MVQ\xc3\xa9",
	};

	CU_ASSERT_TRUE(mesh_connect_pin_new(&a, &error));
	CU_ASSERT_TRUE(mesh_connect_pin_new(&b, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(strlen((const char *)mesh_secret_get(a)), MESH_CONNECT_PIN_CHARS);
	CU_ASSERT_EQUAL(((const char *)mesh_secret_get(a))[0], 'N');
	CU_ASSERT_FALSE(mesh_secret_equal(a, b));
	for (gsize i = 0; i < G_N_ELEMENTS(refused); i++) {
		CU_ASSERT_FALSE(mesh_connect_pin_canonical(refused[i], &bad, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
		CU_ASSERT_PTR_NULL(bad);
	}
	CU_ASSERT_FALSE(mesh_connect_pin_canonical(NULL, &bad, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
}

static void
set_pin_member(JsonObject *inner, gpointer data)
{
	const char *const *kv = data;

	if (kv[1] == NULL)
		json_object_remove_member(inner, kv[0]);
	else
		json_object_set_string_member(inner, kv[0], kv[1]);
}

static void
set_device(JsonObject *inner, gpointer data)
{
	json_object_set_member(inner, "Device", json_node_copy(data));
}

static void
test_request_pin(void)
{
	MtMaster m = { 0 };
	MtDevice d = { 0 }, e = { 0 };
	g_autoptr(MeshSecret) pin = NULL;
	g_autoptr(MeshSecret) wrong = NULL;
	g_autoptr(MeshConnectionRequest) request = NULL;
	g_autoptr(MeshConnectionRequest) read = NULL;
	g_autoptr(MeshConnectionRequest) plain = NULL;
	g_autoptr(JsonNode) node = NULL;
	g_autofree char *text = NULL;
	g_autofree char *id = NULL;
	GError *error = NULL;
	const char *const tag = "ConnectionRequest";

	mt_master_make(&m, MESH_KEY_ED25519, MESH_KEY_X25519);
	mt_device_make(&d, MESH_KEY_ED25519, MESH_KEY_X25519);
	mt_device_make(&e, MESH_KEY_P256, MESH_KEY_P256);
	CU_ASSERT_TRUE(mesh_connect_pin_new(&pin, NULL));
	CU_ASSERT_TRUE(mesh_connect_pin_new(&wrong, NULL));
	request = mesh_connection_request_new(m.profile->identifier, d.signed_profile, &error);
	MESH_ASSERT_NO_ERROR(error);
	/* Without a PIN: no PinId, and no PIN is valid for it. */
	CU_ASSERT_PTR_NULL(request->pin_id);
	CU_ASSERT_FALSE(mesh_connection_request_pin_valid(request, pin));
	CU_ASSERT_TRUE(mesh_connection_request_set_pin(request, pin, &error));
	MESH_ASSERT_NO_ERROR(error);
	id = mesh_connect_pin_id(pin, NULL);
	CU_ASSERT_STRING_EQUAL(request->pin_id, id);
	node = mesh_connection_request_sign(request, mesh_signed_sign_with_key, d.sig, &error);
	MESH_ASSERT_NO_ERROR(error);
	text = mt_text(node);
	read = mesh_connection_request_parse(text, strlen(text), &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(read->pin_id, request->pin_id);
	CU_ASSERT_STRING_EQUAL(read->pin_mac, request->pin_mac);
	CU_ASSERT_TRUE(mesh_connection_request_pin_valid(read, pin));
	CU_ASSERT_FALSE(mesh_connection_request_pin_valid(read, wrong));
	{
		/* A portal that swaps the device (re-signing with its own device key, keeping the
		 * genuine PinId and PinMac) gets a request that verifies, whose PinMac fails. */
		g_autofree char *swapped = mt_tamper(text, tag, FALSE, set_device,
						     e.signed_profile, e.sig, NULL);
		g_autoptr(MeshConnectionRequest) forged =
			mesh_connection_request_parse(swapped, strlen(swapped), &error);

		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_PTR_NOT_NULL_FATAL(forged);
		CU_ASSERT_STRING_EQUAL(forged->pin_id, id);
		CU_ASSERT_FALSE(mesh_connection_request_pin_valid(forged, pin));
	}
	{
		/* Issued or nonce changed and re-signed by the device: the MAC no longer fits. */
		const char *issued[] = { "Issued", "2030-01-01T00:00:00Z" };
		g_autofree char *t = mt_tamper(text, tag, FALSE, mt_set_string, issued, d.sig, NULL);
		g_autoptr(MeshConnectionRequest) r = mesh_connection_request_parse(t, strlen(t),
										   &error);

		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_FALSE(mesh_connection_request_pin_valid(r, pin));
	}
	{
		/* Unsigned changes do not verify at all. */
		const char *mac[] = { "PinMac", request->pin_mac };
		const char *other_mac[] = { "PinMac", "ADIT-62MH-LXOD-KS4K-4RKO-HWXX-7KJC" };
		g_autofree char *t = mt_tamper(text, tag, FALSE, set_pin_member, other_mac, NULL,
					       NULL);
		g_autofree char *ok = mt_tamper(text, tag, FALSE, set_pin_member, mac, d.sig, NULL);

		CU_ASSERT_EQUAL(request_code(t), MESH_ERROR_BAD_SIGNATURE);
		CU_ASSERT_EQUAL(request_code(ok), 0);
	}
	{
		/* Malformed: one without the other, wrong types, a short MAC. */
		const char *no_mac[] = { "PinMac", NULL };
		const char *no_id[] = { "PinId", NULL };
		const char *id_nonce[] = { "PinId", "NBXW-Q33U-MFXG-S2LP-NZXW-E3DB-MVQQ" };
		const char *mac_digest[] = { "PinMac", id };
		const char *mac_short[] = { "PinMac", "ADIT-62MH-LXOD-KS4K-4RKO" };
		const char *mac_long[] = { "PinMac", "ADIT-62MH-LXOD-KS4K-4RKO-HWXX-7KJC-AAAA" };
		const char *const *cases[] = { no_mac, no_id, id_nonce, mac_digest, mac_short,
					       mac_long };

		for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
			g_autofree char *t = mt_tamper(text, tag, FALSE, set_pin_member,
						       (gpointer)cases[i], d.sig, NULL);

			CU_ASSERT_EQUAL(request_code(t), MESH_ERROR_MALFORMED);
		}
	}
	/* A request without a PIN still reads, and has none. */
	plain = mesh_connection_request_new(m.profile->identifier, d.signed_profile, &error);
	{
		g_autoptr(JsonNode) n = mesh_connection_request_sign(plain, mesh_signed_sign_with_key,
								     d.sig, &error);
		g_autofree char *t = mt_text(n);
		g_autoptr(MeshConnectionRequest) r = mesh_connection_request_parse(t, strlen(t),
										   &error);

		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_PTR_NULL(r->pin_id);
		CU_ASSERT_PTR_NULL(strstr(t, "PinId"));
	}
	mt_master_clear(&m);
	mt_device_clear(&d);
	mt_device_clear(&e);
}

static void
test_uri(void)
{
	JsonNode *root = NULL;
	JsonObject *v = mesh_test_vectors(&root, "pin.json", "Pin");
	g_autoptr(MeshSecret) pin = canonical(json_object_get_string_member(v, "Pin"));
	g_autoptr(MeshSecret) uri = NULL;
	g_autoptr(MeshSecret) bare = NULL;
	g_autoptr(MeshSecret) read_pin = NULL;
	g_autofree char *account = NULL;
	g_autofree char *portal = NULL;
	GError *error = NULL;
	g_autofree char *huge = NULL;
	const char *refused[] = {
		"",
		"https://alice@example.com/NBXWQ33UMFXGS2LPNZXWE3DBMVQQ",
		"mcu://",
		"mcu://alice@example.com",
		"mcu://alice@example.com/",
		"mcu:///NBXWQ33UMFXGS2LPNZXWE3DBMVQQ",
		"mcu://Alice@example.com/NBXWQ33UMFXGS2LPNZXWE3DBMVQQ",
		"mcu://alice@example.com/NBXWQ33UMFXGS2LPNZXWE3DBMVQ",
		"mcu://alice@example.com/NBXWQ33UMFXGS2LPNZXWE3DBMVQQ/",
		"mcu://alice@example.com/NBXWQ33UMFXGS2LPNZXWE3DBMVQQ#x",
		"mcu://alice@example.com/NBXWQ33UMFXGS2LPNZXWE3DBMVQQ?",
		"mcu://alice@example.com/NBXWQ33UMFXGS2LPNZXWE3DBMVQQ?portal=",
		"mcu://alice@example.com/NBXWQ33UMFXGS2LPNZXWE3DBMVQQ?x=1",
		"mcu://alice@example.com/NBXWQ33UMFXGS2LPNZXWE3DBMVQQ?portal=ftp%3A%2F%2Fx",
		"mcu://alice@example.com/NBXWQ33UMFXGS2LPNZXWE3DBMVQQ?portal=http%3A%2F%2Fevil.example",
		"mcu://alice@example.com/NBXWQ33UMFXGS2LPNZXWE3DBMVQQ?portal=https%3A%2F%2Fa%00b",
		"mcu://alice@example.com/NBXWQ33UMFXGS2LPNZXWE3DBMVQQ?portal=https%3A%2F%2Fa%2",
		"mcu://alice@example.com/NBXWQ33UMFXGS2LPNZXWE3DBMVQQ?portal=https%3A%2F%2Fa&x=1",
		"mcu://alice%00@example.com/NBXWQ33UMFXGS2LPNZXWE3DBMVQQ",
		"mcu://alice@example.com/NBXW%51Q33UMFXGS2LPNZXWE3DBMVQQ",
	};

	uri = mesh_connect_uri_format("alice@example.com", pin, "https://mesh.example.com",
				      &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL((const char *)mesh_secret_get(uri),
			       json_object_get_string_member(v, "Uri"));
	CU_ASSERT_TRUE(mesh_connect_uri_parse((const char *)mesh_secret_get(uri), &account,
					      &read_pin, &portal, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(account, "alice@example.com");
	CU_ASSERT_STRING_EQUAL(portal, "https://mesh.example.com/.well-known/mmm/");
	CU_ASSERT_TRUE(mesh_secret_equal(read_pin, pin));
	g_clear_pointer(&account, g_free);
	g_clear_pointer(&portal, g_free);
	g_clear_pointer(&read_pin, mesh_secret_free);
	/* Without a portal; the scheme in upper case, the PIN dashed, the account encoded. */
	bare = mesh_connect_uri_format("alice", pin, NULL, &error);
	CU_ASSERT_STRING_EQUAL((const char *)mesh_secret_get(bare),
			       "mcu://alice/NBXWQ33UMFXGS2LPNZXWE3DBMVQQ");
	CU_ASSERT_TRUE(mesh_connect_uri_parse("MCU://alice%40example.com/nbxw-q33u-mfxg-s2lp-nzxw-"
					      "e3db-mvqq",
					      &account, &read_pin, &portal, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(account, "alice@example.com");
	CU_ASSERT_PTR_NULL(portal);
	CU_ASSERT_TRUE(mesh_secret_equal(read_pin, pin));
	g_clear_pointer(&account, g_free);
	g_clear_pointer(&read_pin, mesh_secret_free);
	CU_ASSERT_TRUE(mesh_connect_uri_is("mcu://x"));
	CU_ASSERT_FALSE(mesh_connect_uri_is("alice@example.com"));
	for (gsize i = 0; i < G_N_ELEMENTS(refused); i++) {
		CU_ASSERT_FALSE(mesh_connect_uri_parse(refused[i], &account, &read_pin, &portal,
						       &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
		CU_ASSERT_PTR_NULL(account);
		CU_ASSERT_PTR_NULL(read_pin);
	}
	/* Over the bound, and messages that never hold the PIN. */
	huge = g_strdup_printf("mcu://alice/NBXWQ33UMFXGS2LPNZXWE3DBMVQQ?portal=https%%3A%%2F%%2F%"
			       "0*d",
			       MESH_CONNECT_URI_MAX, 0);
	CU_ASSERT_FALSE(mesh_connect_uri_parse(huge, &account, &read_pin, &portal, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	CU_ASSERT_FALSE(mesh_connect_uri_parse("mcu://Alice/NBXWQ33UMFXGS2LPNZXWE3DBMVQQ", &account,
					       &read_pin, &portal, &error));
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_PTR_NULL(strstr(error->message, "NBXW"));
	g_clear_error(&error);
	CU_ASSERT_PTR_NULL(mesh_connect_uri_format("Alice", pin, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(mesh_connect_uri_format("alice", pin, "ftp://x", &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	/* A portal whose path fits raw but not percent-encoded (each '}' becomes %7D). */
	{
		g_autofree char *braces = g_strnfill(1000, '}');
		g_autofree char *url = g_strconcat("https://mesh.example.com/", braces, NULL);

		CU_ASSERT_PTR_NULL(mesh_connect_uri_format("alice", pin, url, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	}
	json_node_unref(root);
}

static CU_TestInfo tests[] = {
	{ "witness: known answer (Python hashlib)", test_witness_known_answer },
	{ "witness: whole witnesses only, prefixes refused", test_witness_whole },
	{ "connection request: sign, verify, failures", test_request },
	{ "connection result: sign, verify, check, failures", test_result },
	{ "PIN: known answer (Python hashlib, hmac)", test_pin_known_answer },
	{ "PIN: new, canonical form, refusals", test_pin_text },
	{ "PIN: request's PinId and PinMac, forgeries", test_request_pin },
	{ "PIN: connection URI, format and strict parse", test_uri },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("connect", tests);
}
