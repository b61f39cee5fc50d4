/* SPDX-License-Identifier: MIT */
#include "model-test.h"
#include "personal.h"
#include "udf.h"

#define TAG "PersonalProfile"

typedef struct {
	MtMaster m;
	MtDevice d[2];
	MeshPersonalProfile *profile;
	char *app_id;
} Fixture;

static void
fixture_make(Fixture *f, MeshKeyAlg sig, MeshKeyAlg enc)
{
	GError *error = NULL;
	const char *decrypt[3];
	g_autoptr(MeshApplicationEntry) entry = NULL;

	mt_master_make(&f->m, sig, enc);
	f->profile = mesh_personal_profile_new("alice@example.com", f->m.signed_profile, &error);
	MESH_ASSERT_NO_ERROR(error);
	for (int i = 0; i < 2; i++) {
		mt_device_make(&f->d[i], sig, enc);
		CU_ASSERT_TRUE(mesh_personal_profile_add_device(f->profile, f->d[i].signed_profile,
								&error));
		MESH_ASSERT_NO_ERROR(error);
	}
	f->app_id = mesh_udf_nonce(MESH_UDF_BITS_DEFAULT, NULL);
	decrypt[0] = mesh_key_udf(f->d[0].sig);
	decrypt[1] = mesh_key_udf(f->d[1].sig);
	decrypt[2] = NULL;
	entry = mesh_application_entry_new(f->app_id, MESH_APPLICATION_PASSWORD, "passwords",
					   decrypt, decrypt, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_personal_profile_add_application(f->profile, entry, &error));
	MESH_ASSERT_NO_ERROR(error);
	g_steal_pointer(&entry);
}

static void
fixture_clear(Fixture *f)
{
	mt_master_clear(&f->m);
	mt_device_clear(&f->d[0]);
	mt_device_clear(&f->d[1]);
	g_clear_pointer(&f->profile, mesh_personal_profile_free);
	g_clear_pointer(&f->app_id, g_free);
}

static char *
signed_text(Fixture *f, MeshKey *key)
{
	GError *error = NULL;
	g_autoptr(JsonNode) node = mesh_personal_profile_sign(f->profile, key,
							      mesh_signed_sign_with_key, key,
							      &error);

	MESH_ASSERT_NO_ERROR(error);
	return mt_text(node);
}

static int
parse_code(const char *text)
{
	GError *error = NULL;
	g_autoptr(MeshPersonalProfile) p = mesh_personal_profile_parse(text, strlen(text), &error);

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
		Fixture f = { 0 };
		g_autofree char *text = NULL;
		g_autoptr(MeshPersonalProfile) p = NULL;
		MeshApplicationEntry *entry;
		GError *error = NULL;

		fixture_make(&f, algs[i][0], algs[i][1]);
		text = signed_text(&f, f.m.online[1]);
		p = mesh_personal_profile_parse(text, strlen(text), &error);
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_STRING_EQUAL(p->identifier, mesh_key_udf(f.m.sig));
		CU_ASSERT_STRING_EQUAL(p->account, "alice@example.com");
		CU_ASSERT_STRING_EQUAL(p->master->identifier, p->identifier);
		CU_ASSERT_EQUAL(p->devices->len, 2);
		CU_ASSERT_PTR_NOT_NULL(mesh_personal_profile_device(p, mesh_key_udf(f.d[1].sig)));
		CU_ASSERT_PTR_NULL(mesh_personal_profile_device(p, mesh_key_udf(f.m.sig)));
		entry = mesh_personal_profile_application(p, f.app_id);
		CU_ASSERT_PTR_NOT_NULL_FATAL(entry);
		CU_ASSERT_EQUAL(entry->type, MESH_APPLICATION_PASSWORD);
		CU_ASSERT_STRING_EQUAL(entry->friendly, "passwords");
		CU_ASSERT_EQUAL(entry->decrypt_id->len, 2);
		CU_ASSERT_EQUAL(entry->sign_id->len, 2);
		CU_ASSERT_EQUAL(p->serial, 1);
		CU_ASSERT_PTR_NOT_NULL(strstr(text, "{\"SignedPersonalProfile\":{\"Identifier\":"));
		/* Written back, the same JSON. */
		{
			g_autoptr(JsonNode) a = mesh_personal_profile_to_json(p);
			g_autoptr(JsonNode) b = mesh_personal_profile_to_json(f.profile);
			g_autofree char *ta = mt_text(a);
			g_autofree char *tb = mt_text(b);

			CU_ASSERT_STRING_EQUAL(ta, tb);
		}
		fixture_clear(&f);
	}
}

static void
test_account_names(void)
{
	static const char *const good[] = {
		"alice", "a", "alice@example.com", "al.ice_-9@mail.example.co.uk", "0@a-b.c",
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk",
	};
	static const char *const bad[] = {
		"", "@example.com", "Alice", "alice@Example.com", "al ice", "alice@", "alice@com",
		"alice@-a.com", "alice@a-.com", "alice@a..com", "alice@.a.com", "alice@a.com.",
		"a@b@c.com", ".alice", "al\xc3\xa9", "alice@exa_mple.com",
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl",
		"alice@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
	};
	GError *error = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
		if (!mesh_personal_check_account(good[i], &error))
			g_printerr("refused: %s\n", good[i]);
		MESH_ASSERT_NO_ERROR(error);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		if (mesh_personal_check_account(bad[i], &error))
			g_printerr("accepted: %s\n", bad[i]);
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	}
	CU_ASSERT_FALSE(mesh_personal_check_account(NULL, NULL));
	{
		/* A domain of more than 253 characters. */
		g_autoptr(GString) s = g_string_new("a@");

		while (s->len < 260)
			g_string_append(s, "abcdefghi.");
		g_string_append(s, "com");
		CU_ASSERT_FALSE(mesh_personal_check_account(s->str, NULL));
	}
}

/* Devices[0]'s device profile: change its payload and keep its signature. */
static void
tamper_device(JsonObject *inner, gpointer data)
{
	JsonArray *devices = json_object_get_array_member(inner, "Devices");
	g_autofree char *dev = mt_text(json_array_get_element(devices, 0));
	const char *kv[] = { "Description", "evil" };
	g_autofree char *t = mt_tamper(dev, "DeviceProfile", TRUE, mt_set_string, kv, NULL, NULL);

	json_array_remove_element(devices, 0);
	json_array_add_element(devices, mesh_json_parse(t, strlen(t), 1 << 20, NULL));
}

/* SignedMasterProfile: a new administration key, not signed by the master. */
static void
tamper_master(JsonObject *inner, gpointer data)
{
	g_autofree char *master = mt_text(json_object_get_member(inner, "SignedMasterProfile"));
	const char *kv[] = { "Created", "2020-01-01T00:00:00Z" };
	g_autofree char *t = mt_tamper(master, "MasterProfile", TRUE, mt_set_string, kv, NULL,
				       NULL);

	json_object_set_member(inner, "SignedMasterProfile",
			       mesh_json_parse(t, strlen(t), 1 << 20, NULL));
}

static void
duplicate_device(JsonObject *inner, gpointer data)
{
	JsonArray *devices = json_object_get_array_member(inner, "Devices");

	json_array_add_element(devices, json_node_copy(json_array_get_element(devices, 0)));
}

static void
drop_device(JsonObject *inner, gpointer data)
{
	json_array_remove_element(json_object_get_array_member(inner, "Devices"), 1);
}

static void
test_verification_failures(void)
{
	Fixture f = { 0 };
	g_autoptr(MeshKey) mallory = mesh_key_generate(MESH_KEY_ED25519, NULL);
	g_autofree char *text = NULL;
	MeshKey *admin;
	GError *error = NULL;

	fixture_make(&f, MESH_KEY_ED25519, MESH_KEY_X25519);
	admin = f.m.online[0];
	text = signed_text(&f, admin);
	CU_ASSERT_EQUAL(parse_code(text), 0);
	{
		/* Signing refuses a key that is not an administration key... */
		CU_ASSERT_PTR_NULL(mesh_personal_profile_sign(f.profile, mallory,
							      mesh_signed_sign_with_key, mallory,
							      &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_UNAUTHORIZED);
		/* ...and so does reading: the master key itself is not one either. */
		CU_ASSERT_PTR_NULL(mesh_personal_profile_sign(f.profile, f.m.sig,
							      mesh_signed_sign_with_key, f.m.sig,
							      &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_UNAUTHORIZED);
	}
	{
		g_autofree char *t = mt_tamper(text, TAG, TRUE, NULL, NULL, mallory, NULL);
		g_autofree char *t2 = mt_tamper(text, TAG, TRUE, NULL, NULL, f.m.sig, NULL);
		g_autofree char *ok = mt_tamper(text, TAG, TRUE, NULL, NULL, f.m.online[1], NULL);

		CU_ASSERT_EQUAL(parse_code(t), MESH_ERROR_UNAUTHORIZED);
		CU_ASSERT_EQUAL(parse_code(t2), MESH_ERROR_UNAUTHORIZED);
		CU_ASSERT_EQUAL(parse_code(ok), 0);
	}
	{
		/* Tampered payload under an administration key's signature. */
		const char *kv[] = { "Account", "mallory" };
		g_autofree char *t = mt_tamper(text, TAG, TRUE, mt_set_string, kv, NULL, NULL);
		g_autofree char *ok = mt_tamper(text, TAG, TRUE, mt_set_string, kv, admin, NULL);

		CU_ASSERT_EQUAL(parse_code(t), MESH_ERROR_BAD_SIGNATURE);
		CU_ASSERT_EQUAL(parse_code(ok), 0);
	}
	{
		/* Dropping a device needs a new signature too. */
		g_autofree char *t = mt_tamper(text, TAG, TRUE, drop_device, NULL, NULL, NULL);

		CU_ASSERT_EQUAL(parse_code(t), MESH_ERROR_BAD_SIGNATURE);
	}
	{
		/* Embedded objects tampered, the outer signature renewed. */
		g_autofree char *dev = mt_tamper(text, TAG, TRUE, tamper_device, NULL, admin, NULL);
		g_autofree char *mas = mt_tamper(text, TAG, TRUE, tamper_master, NULL, admin, NULL);

		CU_ASSERT_EQUAL(parse_code(dev), MESH_ERROR_BAD_SIGNATURE);
		CU_ASSERT_EQUAL(parse_code(mas), MESH_ERROR_BAD_SIGNATURE);
	}
	{
		/* Properly signed but invalid. */
		const char *id[] = { "Identifier", mesh_key_udf(admin) };
		const char *acct[] = { "Account", "Alice" };
		const char *upd[] = { "Updated", "now" };
		struct {
			MtEdit edit;
			gpointer data;
		} edits[] = {
			{ mt_set_serial_text, NULL }, { mt_set_serial_double, NULL },
			{ mt_set_serial_zero, NULL }, { mt_add_member, NULL },
			{ duplicate_device, NULL },   { mt_set_string, id },
			{ mt_set_string, acct },      { mt_set_string, upd },
		};

		for (gsize i = 0; i < G_N_ELEMENTS(edits); i++) {
			g_autofree char *t = mt_tamper(text, TAG, TRUE, edits[i].edit,
						       edits[i].data, admin, NULL);

			CU_ASSERT_EQUAL(parse_code(t), MESH_ERROR_MALFORMED);
		}
	}
	{
		/* The wrapper names another profile. */
		g_autofree char *t = mt_tamper(text, TAG, TRUE, NULL, NULL, NULL,
					       mesh_key_udf(mallory));

		CU_ASSERT_EQUAL(parse_code(t), MESH_ERROR_MALFORMED);
	}
	{
		/* Duplicate member in the signed payload; wrong tag. */
		g_autoptr(JsonNode) payload = mesh_personal_profile_to_json(f.profile);
		g_autofree char *inner = mt_text(
			json_object_get_member(json_node_get_object(payload), TAG));
		g_autofree char *dup = g_strdup_printf("{\"%s\":%s,\"%s\":%s}", TAG, inner, TAG,
						       inner);
		g_autofree char *t = mt_sign_raw(dup, TAG, admin, f.profile->identifier);
		g_autofree char *wrong = g_strdup_printf("{\"DeviceProfile\":%s}", inner);
		g_autofree char *t2 = mt_sign_raw(wrong, TAG, admin, f.profile->identifier);

		CU_ASSERT_EQUAL(parse_code(t), MESH_ERROR_MALFORMED);
		CU_ASSERT_EQUAL(parse_code(t2), MESH_ERROR_MALFORMED);
	}
	fixture_clear(&f);
}

static void
test_limits(void)
{
	Fixture f = { 0 };
	g_autoptr(JsonNode) payload = NULL;
	JsonArray *devices;
	g_autoptr(MeshPersonalProfile) p = NULL;
	g_autofree char *huge = g_strnfill(MESH_PROFILE_MAX + 1, ' ');
	GError *error = NULL;
	guint added = 0;

	fixture_make(&f, MESH_KEY_ED25519, MESH_KEY_X25519);
	/* 1001 devices: refused on the count, before any is verified. */
	payload = mesh_personal_profile_to_json(f.profile);
	devices = json_object_get_array_member(
		json_object_get_object_member(json_node_get_object(payload), TAG), "Devices");
	while (json_array_get_length(devices) <= MESH_PERSONAL_DEVICES_MAX)
		json_array_add_element(devices, json_node_copy(f.d[0].signed_profile));
	p = mesh_personal_profile_from_json(payload, &error);
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	CU_ASSERT_EQUAL(parse_code(huge), MESH_ERROR_TOO_LARGE);
	/* A profile that would not fit in MESH_PROFILE_MAX is not signed. */
	for (;;) {
		MtDevice d = { 0 };
		g_autoptr(JsonNode) node = NULL;

		mt_device_make(&d, MESH_KEY_ED25519, MESH_KEY_X25519);
		CU_ASSERT_TRUE(mesh_personal_profile_add_device(f.profile, d.signed_profile, NULL));
		mt_device_clear(&d);
		added++;
		node = mesh_personal_profile_sign(f.profile, f.m.online[0],
						  mesh_signed_sign_with_key, f.m.online[0], &error);
		if (node == NULL)
			break;
		if (added > MESH_PERSONAL_DEVICES_MAX) {
			CU_FAIL("never too large");
			break;
		}
	}
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	fixture_clear(&f);
}

static void
test_changes(void)
{
	Fixture f = { 0 };
	MtMaster other = { 0 };
	g_autoptr(MeshApplicationEntry) stranger = NULL;
	g_autoptr(MeshApplicationEntry) dup = NULL;
	const char *unknown[] = { NULL, NULL };
	MeshApplicationEntry *entry;
	GError *error = NULL;

	fixture_make(&f, MESH_KEY_ED25519, MESH_KEY_X25519);
	mt_master_make(&other, MESH_KEY_ED25519, MESH_KEY_X25519);
	/* A device twice; a device profile that does not verify. */
	CU_ASSERT_FALSE(mesh_personal_profile_add_device(f.profile, f.d[0].signed_profile, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_EXISTS);
	CU_ASSERT_FALSE(mesh_personal_profile_add_device(f.profile, f.m.signed_profile, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	/* An entry naming a device the profile does not hold; an entry twice. */
	unknown[0] = mesh_key_udf(other.sig);
	stranger = mesh_application_entry_new(f.app_id + 0, MESH_APPLICATION_GENERIC, NULL, NULL,
					      unknown, &error);
	MESH_ASSERT_NO_ERROR(error);
	g_free(stranger->identifier);
	stranger->identifier = mesh_udf_nonce(MESH_UDF_BITS_DEFAULT, NULL);
	CU_ASSERT_FALSE(mesh_personal_profile_add_application(f.profile, stranger, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	dup = mesh_application_entry_new(f.app_id, MESH_APPLICATION_GENERIC, NULL, NULL, NULL,
					 &error);
	CU_ASSERT_FALSE(mesh_personal_profile_add_application(f.profile, dup, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_EXISTS);
	/* Bad entries. */
	CU_ASSERT_PTR_NULL(mesh_application_entry_new(mesh_key_udf(f.m.sig),
						      MESH_APPLICATION_GENERIC, NULL, NULL, NULL,
						      &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(mesh_application_entry_new(f.app_id, 9, NULL, NULL, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	{
		const char *twice[] = { mesh_key_udf(f.d[0].sig), mesh_key_udf(f.d[0].sig), NULL };

		CU_ASSERT_PTR_NULL(mesh_application_entry_new(f.app_id, MESH_APPLICATION_SSH, NULL,
							      twice, NULL, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	}
	/* Removing a device takes it out of every entry. */
	CU_ASSERT_TRUE(mesh_personal_profile_remove_device(f.profile, mesh_key_udf(f.d[0].sig), NULL,
							   &error));
	entry = mesh_personal_profile_application(f.profile, f.app_id);
	CU_ASSERT_EQUAL(entry->decrypt_id->len, 1);
	CU_ASSERT_EQUAL(entry->sign_id->len, 1);
	CU_ASSERT_STRING_EQUAL(entry->decrypt_id->pdata[0], mesh_key_udf(f.d[1].sig));
	CU_ASSERT_FALSE(mesh_personal_profile_remove_device(f.profile, mesh_key_udf(f.d[0].sig), NULL,
							    &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_TRUE(mesh_personal_profile_remove_application(f.profile, f.app_id, &error));
	CU_ASSERT_FALSE(mesh_personal_profile_remove_application(f.profile, f.app_id, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	/* A new master profile: not another one, not an older one. */
	CU_ASSERT_FALSE(mesh_personal_profile_set_master(f.profile, other.signed_profile, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_personal_profile_set_master(f.profile, f.m.signed_profile, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_STALE);
	{
		g_autoptr(JsonNode) newer = NULL;
		g_autofree char *text = NULL;

		CU_ASSERT_TRUE(mesh_master_profile_remove_online_key(
			f.m.profile, mesh_key_udf(f.m.online[0]), NULL));
		CU_ASSERT_TRUE(mesh_master_profile_touch(f.m.profile, NULL));
		newer = mesh_master_profile_sign(f.m.profile, mesh_signed_sign_with_key, f.m.sig,
						 NULL);
		CU_ASSERT_TRUE(mesh_personal_profile_set_master(f.profile, newer, &error));
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_TRUE(mesh_personal_profile_touch(f.profile, &error));
		/* The removed administration key can no longer sign. */
		CU_ASSERT_PTR_NULL(mesh_personal_profile_sign(f.profile, f.m.online[0],
							      mesh_signed_sign_with_key,
							      f.m.online[0], &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_UNAUTHORIZED);
		text = signed_text(&f, f.m.online[1]);
		CU_ASSERT_EQUAL(parse_code(text), 0);
		CU_ASSERT_EQUAL(f.profile->serial, 2);
	}
	CU_ASSERT_PTR_NULL(mesh_personal_profile_new("Bad Name", f.m.signed_profile, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	mt_master_clear(&other);
	fixture_clear(&f);
}

/* The error code of reading the unsigned profile @f with @edit applied to its members. */
typedef void (*EditFunc)(JsonObject *obj, Fixture *f);

static int
edited_code(Fixture *f, EditFunc edit)
{
	g_autoptr(JsonNode) node = mesh_personal_profile_to_json(f->profile);
	JsonObject *obj = json_node_get_object(node);
	GError *error = NULL;
	g_autoptr(MeshPersonalProfile) p = NULL;

	edit(json_object_get_object_member(obj, TAG), f);
	p = mesh_personal_profile_from_json(node, &error);
	return mt_code(&error);
}

/* {"Device": @udf, @member: @value} appended to the array @array of @obj (made when absent). */
static void
add_record(JsonObject *obj, const char *array, const char *udf, const char *member,
	   const char *value)
{
	JsonObject *e = json_object_new();

	if (!json_object_has_member(obj, array))
		json_object_set_array_member(obj, array, json_array_new());
	json_object_set_string_member(e, "Device", udf);
	json_object_set_string_member(e, member, value);
	json_array_add_object_element(json_object_get_array_member(obj, array), e);
}

static void
edit_unknown_device(JsonObject *obj, Fixture *f)
{
	add_record(obj, "DeviceEntries", mesh_key_udf(f->m.sig), "Added", "2026-01-01T00:00:00Z");
}

static void
edit_twice(JsonObject *obj, Fixture *f)
{
	add_record(obj, "DeviceEntries", mesh_key_udf(f->d[1].sig), "Added", "2026-01-01T00:00:00Z");
	add_record(obj, "DeviceEntries", mesh_key_udf(f->d[1].sig), "Description", "x");
}

static void
edit_foreign_key(JsonObject *obj, Fixture *f)
{
	add_record(obj, "DeviceEntries", mesh_key_udf(f->d[1].sig), "AdministrationKey",
		   mesh_key_udf(f->d[0].sig));
}

static void
edit_control(JsonObject *obj, Fixture *f)
{
	add_record(obj, "DeviceEntries", mesh_key_udf(f->d[1].sig), "Description", "a\x1b[2Jb");
}

static void
edit_removed_listed(JsonObject *obj, Fixture *f)
{
	add_record(obj, "Removed", mesh_key_udf(f->d[0].sig), "Removed", "2026-01-01T00:00:00Z");
}

static void
edit_removed_twice(JsonObject *obj, Fixture *f)
{
	add_record(obj, "Removed", mesh_key_udf(f->m.sig), "Removed", "2026-01-01T00:00:00Z");
	add_record(obj, "Removed", mesh_key_udf(f->m.sig), "Removed", "2026-01-02T00:00:00Z");
}

static void
edit_removed_time(JsonObject *obj, Fixture *f)
{
	add_record(obj, "Removed", mesh_key_udf(f->m.sig), "Removed", "yesterday");
}

static void
edit_nothing(JsonObject *obj, Fixture *f)
{
}

static void
test_device_entries(void)
{
	Fixture f = { 0 };
	GError *error = NULL;
	MeshPersonalDevice *d0, *d1;
	g_autofree char *text = NULL;
	g_autoptr(MeshPersonalProfile) p = NULL;
	const char *u0, *u1;

	fixture_make(&f, MESH_KEY_ED25519, MESH_KEY_X25519);
	u0 = mesh_key_udf(f.d[0].sig);
	u1 = mesh_key_udf(f.d[1].sig);
	d0 = mesh_personal_profile_device(f.profile, u0);
	d1 = mesh_personal_profile_device(f.profile, u1);
	/* Nothing said of a device: its own description, no administration key. */
	CU_ASSERT_PTR_NULL(mesh_personal_device_admin_key(f.profile, d0));
	CU_ASSERT_STRING_EQUAL(mesh_personal_device_description(d0),
			       d0->profile->description);
	/* An administration key must be one of the master profile's. */
	CU_ASSERT_FALSE(mesh_personal_device_set_admin_key(f.profile, d0, u1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_TRUE(mesh_personal_device_set_admin_key(f.profile, d0,
							  mesh_key_udf(f.m.online[0]), &error));
	MESH_ASSERT_NO_ERROR(error);
	d0->added = g_strdup("2026-12-01T10:00:00Z");
	d1->description = g_strdup("old phone");
	CU_ASSERT_STRING_EQUAL(mesh_personal_device_admin_key(f.profile, d0),
			       mesh_key_udf(f.m.online[0]));
	CU_ASSERT_STRING_EQUAL(mesh_personal_device_description(d1), "old phone");
	CU_ASSERT_EQUAL(edited_code(&f, edit_nothing), 0);
	/* Signed, parsed and verified: the same entries. */
	text = signed_text(&f, f.m.online[1]);
	p = mesh_personal_profile_parse(text, strlen(text), &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_STRING_EQUAL(mesh_personal_profile_device(p, u0)->added, "2026-12-01T10:00:00Z");
	CU_ASSERT_STRING_EQUAL(mesh_personal_device_admin_key(p, mesh_personal_profile_device(p, u0)),
			       mesh_key_udf(f.m.online[0]));
	CU_ASSERT_STRING_EQUAL(mesh_personal_profile_device(p, u1)->description, "old phone");
	CU_ASSERT_PTR_NULL(mesh_personal_device_admin_key(p, mesh_personal_profile_device(p, u1)));
	/* What a reader refuses. */
	CU_ASSERT_EQUAL(edited_code(&f, edit_unknown_device), MESH_ERROR_MALFORMED);
	CU_ASSERT_EQUAL(edited_code(&f, edit_twice), MESH_ERROR_MALFORMED);
	CU_ASSERT_EQUAL(edited_code(&f, edit_foreign_key), MESH_ERROR_MALFORMED);
	CU_ASSERT_EQUAL(edited_code(&f, edit_control), MESH_ERROR_MALFORMED);
	CU_ASSERT_EQUAL(edited_code(&f, edit_removed_listed), MESH_ERROR_MALFORMED);
	CU_ASSERT_EQUAL(edited_code(&f, edit_removed_twice), MESH_ERROR_MALFORMED);
	CU_ASSERT_EQUAL(edited_code(&f, edit_removed_time), MESH_ERROR_MALFORMED);
	/* A removed device is listed in Removed, out of Devices, and cannot come back. */
	CU_ASSERT_TRUE(mesh_personal_profile_remove_device(f.profile, u1, "2026-12-02T10:00:00Z",
							   &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(mesh_personal_profile_removed(f.profile, u1), "2026-12-02T10:00:00Z");
	CU_ASSERT_PTR_NULL(mesh_personal_profile_removed(f.profile, u0));
	CU_ASSERT_FALSE(mesh_personal_profile_add_device(f.profile, f.d[1].signed_profile, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_REMOVED);
	CU_ASSERT_EQUAL(edited_code(&f, edit_nothing), 0);
	/* The administration key leaves the master profile: the entry forgets it. */
	{
		g_autoptr(JsonNode) newer = NULL;

		CU_ASSERT_TRUE(mesh_master_profile_remove_online_key(
			f.m.profile, mesh_key_udf(f.m.online[0]), NULL));
		CU_ASSERT_TRUE(mesh_master_profile_touch(f.m.profile, NULL));
		newer = mesh_master_profile_sign(f.m.profile, mesh_signed_sign_with_key, f.m.sig,
						 NULL);
		CU_ASSERT_TRUE(mesh_personal_profile_set_master(f.profile, newer, &error));
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_PTR_NULL(mesh_personal_device_admin_key(f.profile, d0));
		mesh_personal_profile_drop_admin_keys(f.profile);
		CU_ASSERT_PTR_NULL(d0->admin_key);
		CU_ASSERT_EQUAL(edited_code(&f, edit_nothing), 0);
	}
	fixture_clear(&f);
}

static CU_TestInfo tests[] = {
	{ "sign, parse, verify (Ed25519/X25519 and P-256)", test_round_trip },
	{ "account names", test_account_names },
	{ "verification failures beside the positive case", test_verification_failures },
	{ "limits: devices, size", test_limits },
	{ "devices, applications, master profile changed", test_changes },
	{ "DeviceEntries and Removed: what a reader refuses beside what it takes",
	  test_device_entries },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("personal", tests);
}
