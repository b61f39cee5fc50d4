/* SPDX-License-Identifier: MIT */
#include "escrow.h"
#include "model-test.h"
#include "shamir.h"

typedef struct {
	MtMaster m;
	JsonNode *entry_node;
	MeshEscrowEntry *entry;
	GPtrArray *shares; /* MeshSecret * */
} Fixture;

static void
fixture_make(Fixture *f, MeshKeyAlg sig, MeshKeyAlg enc, guint quorum, guint n)
{
	GError *error = NULL;

	mt_master_make(&f->m, sig, enc);
	CU_ASSERT_TRUE(mesh_escrow_create(f->m.sig, f->m.escrow, 2, quorum, n, &f->entry_node,
					  &f->shares, &error));
	MESH_ASSERT_NO_ERROR(error);
	f->entry = mesh_escrow_entry_from_json(f->entry_node, &error);
	MESH_ASSERT_NO_ERROR(error);
}

static void
fixture_clear(Fixture *f)
{
	mt_master_clear(&f->m);
	g_clear_pointer(&f->entry_node, json_node_unref);
	g_clear_pointer(&f->entry, mesh_escrow_entry_free);
	g_clear_pointer(&f->shares, g_ptr_array_unref);
}

static const char *
share(Fixture *f, guint i)
{
	return (const char *)mesh_secret_get(f->shares->pdata[i]);
}

static void
assert_keys(const MeshEscrowedKeys *keys, const MtMaster *m)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(keys);
	CU_ASSERT_TRUE(mesh_key_is_private(keys->signature_key));
	CU_ASSERT_TRUE(mesh_key_equal_public(keys->signature_key, m->sig));
	CU_ASSERT_EQUAL_FATAL(keys->escrow_keys->len, 2);
	for (guint i = 0; i < 2; i++) {
		g_autoptr(MeshSecret) a = mesh_key_to_raw_private(keys->escrow_keys->pdata[i],
								  NULL);
		g_autoptr(MeshSecret) b = mesh_key_to_raw_private(m->escrow[i], NULL);

		CU_ASSERT_TRUE(mesh_secret_equal(a, b));
	}
	{
		g_autoptr(MeshSecret) a = mesh_key_to_raw_private(keys->signature_key, NULL);
		g_autoptr(MeshSecret) b = mesh_key_to_raw_private(m->sig, NULL);

		CU_ASSERT_TRUE(mesh_secret_equal(a, b));
	}
}

static void
test_recover_every_pair(void)
{
	static const MeshKeyAlg algs[][2] = { { MESH_KEY_ED25519, MESH_KEY_X25519 },
					      { MESH_KEY_P256, MESH_KEY_P256 } };

	for (gsize a = 0; a < G_N_ELEMENTS(algs); a++) {
		Fixture f = { 0 };
		GError *error = NULL;

		fixture_make(&f, algs[a][0], algs[a][1], 2, 4);
		CU_ASSERT_EQUAL(f.shares->len, 4);
		CU_ASSERT_EQUAL(strlen(f.entry->identifier), 34);
		CU_ASSERT_EQUAL(f.entry->identifier[0], 'M');
		for (guint i = 0; i < 4; i++) {
			for (guint j = 0; j < 4; j++) {
				const char *pair[] = { share(&f, i), share(&f, j) };
				g_autoptr(MeshEscrowedKeys) keys = NULL;

				if (i == j)
					continue;
				keys = mesh_escrow_recover(f.entry, pair, 2, &error);
				MESH_ASSERT_NO_ERROR(error);
				assert_keys(keys, &f.m);
				CU_ASSERT_TRUE(mesh_escrow_verify(f.entry, pair, 2, f.m.profile,
								  &error));
				MESH_ASSERT_NO_ERROR(error);
			}
		}
		fixture_clear(&f);
	}
}

static void
test_share_failures(void)
{
	Fixture f = { 0 }, g = { 0 };
	GError *error = NULL;
	g_autofree char *corrupt = NULL;

	fixture_make(&f, MESH_KEY_ED25519, MESH_KEY_X25519, 2, 4);
	fixture_make(&g, MESH_KEY_ED25519, MESH_KEY_X25519, 2, 4);
	{
		const char *one[] = { share(&f, 0) };

		CU_ASSERT_PTR_NULL(mesh_escrow_recover(f.entry, one, 1, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_SHARE_QUORUM);
		CU_ASSERT_FALSE(mesh_escrow_verify(f.entry, one, 1, NULL, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_SHARE_QUORUM);
	}
	{
		const char *same[] = { share(&f, 1), share(&f, 1) };

		CU_ASSERT_PTR_NULL(mesh_escrow_recover(f.entry, same, 2, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_SHARE_DUPLICATE);
	}
	{
		/* A share with a character changed in its type byte. */
		corrupt = g_strdup(share(&f, 2));
		corrupt[0] = corrupt[0] == 'A' ? 'B' : 'A';
		const char *bad[] = { share(&f, 0), corrupt };

		CU_ASSERT_PTR_NULL(mesh_escrow_recover(f.entry, bad, 2, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_SHARE_CORRUPT);
		CU_ASSERT_PTR_NULL(mesh_escrow_recover(f.entry, (const char *[]){ "garbage", "x" },
						       2, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_SHARE_CORRUPT);
	}
	{
		/* Another escrow's shares, both of them or mixed with ours. */
		const char *theirs[] = { share(&g, 0), share(&g, 3) };
		const char *mixed[] = { share(&f, 0), share(&g, 3) };

		CU_ASSERT_PTR_NULL(mesh_escrow_recover(f.entry, theirs, 2, &error));
		CU_ASSERT_PTR_NOT_NULL_FATAL(error);
		CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "belong to another escrow"));
		MESH_ASSERT_ERROR(error, MESH_ERROR_SHARE_MISMATCH);
		CU_ASSERT_PTR_NULL(mesh_escrow_recover(f.entry, mixed, 2, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_SHARE_MISMATCH);
		/* The drill says the same, and also whether an escrow fits a master profile. */
		CU_ASSERT_FALSE(mesh_escrow_verify(f.entry, theirs, 2, NULL, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_SHARE_MISMATCH);
		CU_ASSERT_TRUE(mesh_escrow_verify(g.entry, theirs, 2, g.m.profile, &error));
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_FALSE(mesh_escrow_verify(g.entry, theirs, 2, f.m.profile, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_SHARE_MISMATCH);
	}
	{
		/* Shares of a secret of another length. */
		g_autoptr(MeshSecret) other = mesh_secret_new_random(16, NULL);
		g_autoptr(GPtrArray) s = NULL;

		CU_ASSERT_TRUE(mesh_shamir_split(other, 2, 2, &s, NULL));
		CU_ASSERT_PTR_NULL(mesh_escrow_recover(
			f.entry,
			(const char *[]){ (const char *)mesh_secret_get(s->pdata[0]),
					  (const char *)mesh_secret_get(s->pdata[1]) },
			2, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_SHARE_MISMATCH);
	}
	fixture_clear(&f);
	fixture_clear(&g);
}

/* Flip one bit of the base64url member @name of the JWE's first level (or its recipient). */
static char *
tamper_entry(Fixture *f, const char *member)
{
	g_autoptr(JsonNode) copy = json_node_copy(f->entry_node);
	JsonObject *jwe = json_object_get_object_member(
		json_object_get_object_member(json_node_get_object(copy), "OfflineEscrowEntry"),
		"EncryptedData");
	g_autoptr(GBytes) raw = mesh_b64u_decode_bytes(json_object_get_string_member(jwe, member),
						       1 << 20, NULL);
	g_autofree guint8 *bytes = g_memdup2(g_bytes_get_data(raw, NULL), g_bytes_get_size(raw));
	g_autofree char *b64 = NULL;

	bytes[0] ^= 1;
	b64 = mesh_b64u_encode(bytes, g_bytes_get_size(raw));
	json_object_set_string_member(jwe, member, b64);
	return mt_text(copy);
}

static void
test_entry_failures(void)
{
	Fixture f = { 0 }, g = { 0 };
	const char *pair[2];
	GError *error = NULL;
	static const char *const members[] = { "ciphertext", "tag", "iv", "protected" };

	fixture_make(&f, MESH_KEY_ED25519, MESH_KEY_X25519, 2, 3);
	fixture_make(&g, MESH_KEY_ED25519, MESH_KEY_X25519, 2, 3);
	pair[0] = share(&f, 0);
	pair[1] = share(&f, 2);
	{
		/* The entry written back reads the same and still opens. */
		g_autoptr(JsonNode) again = mesh_escrow_entry_to_json(f.entry);
		g_autofree char *text = mt_text(again);
		g_autoptr(MeshEscrowEntry) e = mesh_escrow_entry_parse(text, strlen(text), &error);
		g_autoptr(MeshEscrowedKeys) keys = NULL;

		MESH_ASSERT_NO_ERROR(error);
		keys = mesh_escrow_recover(e, pair, 2, &error);
		MESH_ASSERT_NO_ERROR(error);
		assert_keys(keys, &f.m);
		/* No private key is visible in the entry. */
		CU_ASSERT_PTR_NULL(strstr(text, "\"d\""));
	}
	for (gsize i = 0; i < G_N_ELEMENTS(members); i++) {
		g_autofree char *text = tamper_entry(&f, members[i]);
		g_autoptr(MeshEscrowEntry) e = mesh_escrow_entry_parse(text, strlen(text), &error);

		if (e == NULL) {
			/* A protected header that no longer parses. */
			CU_ASSERT_NOT_EQUAL(mt_code(&error), 0);
			continue;
		}
		CU_ASSERT_PTR_NULL(mesh_escrow_recover(e, pair, 2, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_DECRYPT);
	}
	{
		/* Another escrow's EncryptedData under this Identifier. */
		g_autoptr(JsonNode) copy = json_node_copy(f.entry_node);
		JsonObject *obj = json_object_get_object_member(json_node_get_object(copy),
								"OfflineEscrowEntry");
		g_autofree char *text = NULL;
		g_autoptr(MeshEscrowEntry) e = NULL;

		json_object_set_member(obj, "EncryptedData",
				       json_node_copy(g.entry->encrypted_node));
		text = mt_text(copy);
		e = mesh_escrow_entry_parse(text, strlen(text), &error);
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_PTR_NULL(mesh_escrow_recover(e, pair, 2, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_DECRYPT);
	}
	{
		static const char *const bad[] = {
			"[]",
			"{\"OfflineEscrowEntry\":{}}",
			"{\"OfflineEscrowEntry\":{\"Identifier\":\"MAAA\",\"EncryptedData\":{}}}",
			"{\"EscrowEntry\":{}}",
		};

		for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
			CU_ASSERT_PTR_NULL(mesh_escrow_entry_parse(bad[i], strlen(bad[i]), &error));
			MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
		}
	}
	{
		/* Bad arguments to create. */
		JsonNode *entry = NULL;
		GPtrArray *shares = NULL;
		g_autoptr(MeshKey) pub = mesh_key_get_public(f.m.sig, NULL);

		CU_ASSERT_FALSE(mesh_escrow_create(f.m.sig, f.m.escrow, 2, 1, 3, &entry, &shares,
						   &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
		CU_ASSERT_FALSE(mesh_escrow_create(f.m.sig, f.m.escrow, 0, 2, 3, &entry, &shares,
						   &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
		CU_ASSERT_FALSE(mesh_escrow_create(f.m.escrow[0], f.m.escrow, 2, 2, 3, &entry,
						   &shares, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
		CU_ASSERT_FALSE(mesh_escrow_create(pub, f.m.escrow, 2, 2, 3, &entry, &shares,
						   &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
		CU_ASSERT_PTR_NULL(entry);
		CU_ASSERT_PTR_NULL(shares);
	}
	fixture_clear(&f);
	fixture_clear(&g);
}

static CU_TestInfo tests[] = {
	{ "2 of 4: every pair recovers the same keys", test_recover_every_pair },
	{ "too few, duplicate, corrupt, another escrow's shares", test_share_failures },
	{ "tampered and malformed entries", test_entry_failures },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("escrow", tests);
}
