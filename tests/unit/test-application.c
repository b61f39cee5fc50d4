/* SPDX-License-Identifier: MIT */
#include "application.h"
#include "model-test.h"
#include "personal.h"

typedef struct {
	MtMaster m;
	MtDevice d[3]; /* d[2] is in the profile but not in DecryptID */
	MeshPersonalProfile *personal;
	MeshApplicationProfile *app;
} Fixture;

static void
fixture_make(Fixture *f, MeshApplicationType type, MeshKeyAlg sig, MeshKeyAlg enc)
{
	const char *readers[3];
	g_autoptr(MeshApplicationEntry) entry = NULL;
	GError *error = NULL;

	mt_master_make(&f->m, sig, enc);
	f->personal = mesh_personal_profile_new("alice", f->m.signed_profile, &error);
	MESH_ASSERT_NO_ERROR(error);
	for (int i = 0; i < 3; i++) {
		mt_device_make(&f->d[i], sig, enc);
		CU_ASSERT_TRUE(mesh_personal_profile_add_device(f->personal, f->d[i].signed_profile,
								NULL));
	}
	f->app = mesh_application_profile_new(type, "my app", &error);
	MESH_ASSERT_NO_ERROR(error);
	readers[0] = mesh_key_udf(f->d[0].sig);
	readers[1] = mesh_key_udf(f->d[1].sig);
	readers[2] = NULL;
	entry = mesh_application_entry_new(f->app->identifier, type, "my app", readers, readers,
					   &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_personal_profile_add_application(f->personal, entry, &error));
	g_steal_pointer(&entry);
}

static void
fixture_clear(Fixture *f)
{
	mt_master_clear(&f->m);
	for (int i = 0; i < 3; i++)
		mt_device_clear(&f->d[i]);
	g_clear_pointer(&f->personal, mesh_personal_profile_free);
	g_clear_pointer(&f->app, mesh_application_profile_free);
}

static MeshSecret *
text_secret(const char *text)
{
	return mesh_secret_new_from_data(text, strlen(text) + 1);
}

static MeshPasswordSet *
sample_passwords(void)
{
	static const char *const sites1[] = { "*.example.com", "example.com", NULL };
	static const char *const sites2[] = { "bank.example.net", NULL };
	g_autoptr(MeshSecret) p1 = text_secret("s3cr\"et\\\n\x01 pässwörd");
	g_autoptr(MeshSecret) p2 = text_secret("hunter2");
	MeshPasswordSet *set = mesh_password_set_new();
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_password_set_add(set, sites1, "alice", p1, &error));
	CU_ASSERT_TRUE(mesh_password_set_add(set, sites2, "alice@bank", p2, &error));
	MESH_ASSERT_NO_ERROR(error);
	g_ptr_array_add(set->never_ask, g_strdup("ads.example.org"));
	set->auto_generate = TRUE;
	return set;
}

static void
test_encrypted_to_readers(void)
{
	static const MeshKeyAlg algs[][2] = { { MESH_KEY_ED25519, MESH_KEY_X25519 },
					      { MESH_KEY_P256, MESH_KEY_P256 } };

	for (gsize a = 0; a < G_N_ELEMENTS(algs); a++) {
		Fixture f = { 0 };
		g_autoptr(MeshPasswordSet) set = sample_passwords();
		g_autoptr(MeshSecret) plaintext = mesh_password_set_to_text(set);
		g_autoptr(JsonNode) signed_app = NULL;
		g_autoptr(MeshApplicationProfile) read = NULL;
		g_autofree char *text = NULL;
		MeshKey *readers[] = { NULL, NULL, NULL, NULL };
		GError *error = NULL;

		fixture_make(&f, MESH_APPLICATION_PASSWORD, algs[a][0], algs[a][1]);
		readers[0] = f.d[0].enc;
		readers[1] = f.d[1].enc;
		readers[2] = f.m.escrow[0];
		readers[3] = f.m.escrow[1];
		CU_ASSERT_TRUE(mesh_application_profile_seal(f.app, plaintext, f.personal, &error));
		MESH_ASSERT_NO_ERROR(error);
		signed_app = mesh_application_profile_sign(f.app, f.m.profile, f.m.online[0],
							   mesh_signed_sign_with_key, f.m.online[0],
							   &error);
		MESH_ASSERT_NO_ERROR(error);
		text = mt_text(signed_app);
		/* Nothing private in clear. */
		CU_ASSERT_PTR_NULL(strstr(text, "hunter2"));
		read = mesh_application_profile_parse(text, strlen(text), f.m.profile, &error);
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_STRING_EQUAL(read->identifier, f.app->identifier);
		CU_ASSERT_EQUAL(read->type, MESH_APPLICATION_PASSWORD);
		CU_ASSERT_STRING_EQUAL(read->friendly, "my app");
		for (gsize i = 0; i < G_N_ELEMENTS(readers); i++) {
			g_autoptr(MeshSecret) opened =
				mesh_application_profile_open(read, readers[i], &error);

			MESH_ASSERT_NO_ERROR(error);
			CU_ASSERT_TRUE(mesh_secret_equal(opened, plaintext));
		}
		{
			/* The third device is not a reader, nor is a signature key. */
			g_autoptr(MeshSecret) none = mesh_application_profile_open(read, f.d[2].enc,
										   &error);

			CU_ASSERT_PTR_NULL(none);
			MESH_ASSERT_ERROR(error, MESH_ERROR_DECRYPT);
			CU_ASSERT_PTR_NULL(mesh_application_profile_open(read, f.d[0].sig, &error));
			CU_ASSERT_NOT_EQUAL(mt_code(&error), 0);
		}
		fixture_clear(&f);
	}
}

static void
test_passwords(void)
{
	g_autoptr(MeshPasswordSet) set = sample_passwords();
	g_autoptr(MeshSecret) text = mesh_password_set_to_text(set);
	g_autoptr(MeshPasswordSet) read = NULL;
	MeshPasswordEntry *entry;
	GError *error = NULL;

	read = mesh_password_set_parse(text, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL_FATAL(read->entries->len, 2);
	CU_ASSERT_TRUE(read->auto_generate);
	CU_ASSERT_EQUAL(read->never_ask->len, 1);
	CU_ASSERT_STRING_EQUAL(read->never_ask->pdata[0], "ads.example.org");
	for (guint i = 0; i < 2; i++) {
		MeshPasswordEntry *a = set->entries->pdata[i], *b = read->entries->pdata[i];

		CU_ASSERT_STRING_EQUAL(a->username, b->username);
		CU_ASSERT_TRUE(mesh_secret_equal(a->password, b->password));
		CU_ASSERT_EQUAL(a->sites->len, b->sites->len);
	}
	entry = mesh_password_set_find(read, "www.EXAMPLE.com");
	CU_ASSERT_PTR_NOT_NULL_FATAL(entry);
	CU_ASSERT_STRING_EQUAL(entry->username, "alice");
	CU_ASSERT_PTR_EQUAL(mesh_password_set_find(read, "example.com"), entry);
	CU_ASSERT_STRING_EQUAL(((MeshPasswordEntry *)mesh_password_set_find(read,
									    "bank.example.net"))
				       ->username,
			       "alice@bank");
	CU_ASSERT_PTR_NULL(mesh_password_set_find(read, "badexample.com"));
	CU_ASSERT_PTR_NULL(mesh_password_set_find(read, "example.net"));
	{
		/* Shapes refused. */
		static const char *const bad[] = {
			"{\"PasswordProfile\":{}}",
			"{\"PasswordProfile\":{\"Entries\":[{\"Sites\":[],\"Username\":\"a\"}]}}",
			"{\"PasswordProfile\":{\"Entries\":[{\"Sites\":[1],\"Username\":\"a\","
			"\"Password\":\"b\"}]}}",
			"{\"PasswordProfile\":{\"Entries\":[{\"Sites\":[],\"Username\":\"a\","
			"\"Password\":5}]}}",
			"{\"PasswordProfile\":{\"Entries\":[],\"AutoGenerate\":\"yes\"}}",
			"{\"PasswordProfile\":{\"Entries\":[],\"Extra\":1}}",
			"{\"GenericProfile\":{\"Name\":\"x\",\"Data\":1}}",
			"{\"PasswordProfile\":{\"Entries\":[]},"
			"\"PasswordProfile\":{\"Entries\":[]}}",
			"not json",
		};

		for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
			g_autoptr(MeshSecret) s = text_secret(bad[i]);

			CU_ASSERT_PTR_NULL(mesh_password_set_parse(s, &error));
			MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
		}
	}
	{
		g_autoptr(MeshSecret) minimal =
			text_secret("{\"PasswordProfile\":{\"Entries\":[]}}");
		g_autoptr(MeshPasswordSet) s = mesh_password_set_parse(minimal, &error);

		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_FALSE(s->auto_generate);
	}
	{
		g_autoptr(MeshSecret) pw = text_secret("x");
		g_autoptr(MeshSecret) long_pw = mesh_secret_new(MESH_PASSWORD_MAX + 2);
		const char *none[] = { NULL };
		const char *sites[] = { "a", NULL };

		memset(mesh_secret_data(long_pw), 'a', MESH_PASSWORD_MAX + 1);
		CU_ASSERT_FALSE(mesh_password_set_add(set, none, "u", pw, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
		CU_ASSERT_FALSE(mesh_password_set_add(set, sites, NULL, pw, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
		CU_ASSERT_FALSE(mesh_password_set_add(set, sites, "u", long_pw, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	}
}

/* Names: empty and blank ones are refused where they are made, still read where stored. */
static void
test_names(void)
{
	/* Names that can be seen; among them an emoji joined by a ZWJ (U+1F468 U+200D U+1F4BB). */
	static const char *const good[] = {"mail", "a b", "\xc3\xa9",
	                                   "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x92\xbb",
	                                   "*.example.com"};
	/* "", spaces, NBSP, ideographic space, ZWJ alone, a Hangul filler, braille blank; a TAB
	 * is not display text at all. */
	static const char *const blank[] = {"",
	                                    " ",
	                                    "   ",
	                                    "\xc2\xa0",
	                                    "\xe3\x80\x80",
	                                    "\xe2\x80\x8d",
	                                    " \xe3\x85\xa4 ",
	                                    "\xe2\xa0\x80",
	                                    "\t"};
	g_autoptr(MeshSecret) data = text_secret("{}");
	g_autoptr(MeshSecret) pw = text_secret("x");
	GError *error = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
		CU_ASSERT_TRUE(mesh_application_check_name("site", good[i], &error));
		MESH_ASSERT_NO_ERROR(error);
	}
	CU_ASSERT_FALSE(mesh_application_check_name("site", NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	for (gsize i = 0; i < G_N_ELEMENTS(blank); i++) {
		g_autoptr(MeshPasswordSet) set = mesh_password_set_new();
		g_autoptr(MeshApplicationProfile) app = NULL;
		g_autoptr(MeshSecret) generic = NULL;
		const char *sites[] = {"example.com", blank[i], NULL};

		CU_ASSERT_FALSE(mesh_application_check_name("application name", blank[i], &error));
		CU_ASSERT_PTR_NOT_NULL_FATAL(error);
		/* One line naming what is wrong, never quoting it. */
		CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "application name"));
		CU_ASSERT_PTR_NULL(strchr(error->message, '\n'));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
		CU_ASSERT_FALSE(mesh_password_set_add(set, sites, "u", pw, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
		CU_ASSERT_EQUAL(set->entries->len, 0);
		generic = mesh_application_generic_text(blank[i], data, &error);
		CU_ASSERT_PTR_NULL(generic);
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
		app = mesh_application_profile_new(MESH_APPLICATION_GENERIC, blank[i], &error);
		CU_ASSERT_PTR_NULL(app);
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	}
	{
		/* No friendly name is no blank one. */
		g_autoptr(MeshApplicationProfile) app =
		        mesh_application_profile_new(MESH_APPLICATION_GENERIC, NULL, &error);

		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_PTR_NOT_NULL(app);
	}
	{
		/* What was stored before the rule still reads. */
		g_autoptr(MeshSecret) old = text_secret(
		        "{\"PasswordProfile\":{\"Entries\":[{\"Sites\":[\" \"],\"Username\":\"a\","
		        "\"Password\":\"b\"}]}}");
		g_autoptr(MeshPasswordSet) set = mesh_password_set_parse(old, &error);

		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_PTR_NOT_NULL_FATAL(set);
		CU_ASSERT_EQUAL(set->entries->len, 1);
	}
}

static MeshPasswordEntry *
add_login(MeshPasswordSet *set, const char *site, const char *site2, const char *user,
          const char *password)
{
	g_autoptr(MeshSecret) pw = text_secret(password);
	const char *sites[] = {site, site2, NULL};
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_password_set_add(set, sites, user, pw, &error));
	MESH_ASSERT_NO_ERROR(error);
	return set->entries->pdata[set->entries->len - 1];
}

/* Logins: several user names at one site, each found, changed and removed on its own. */
static void
test_logins(void)
{
	g_autoptr(MeshPasswordSet) set = mesh_password_set_new();
	g_autoptr(MeshSecret) long_pw = mesh_secret_new(MESH_PASSWORD_MAX + 2);
	g_autoptr(MeshSecret) new_pw = text_secret("n3w");
	g_autoptr(GPtrArray) found = NULL;
	MeshPasswordEntry *alice, *bob, *wild, *carol, *dave;
	GError *error = NULL;

	alice = add_login(set, "github.com", NULL, "alice", "a1");
	bob = add_login(set, "github.com", NULL, "bob", "b1");
	wild = add_login(set, "*.example.com", NULL, "carol", "c1");
	carol = add_login(set, "www.example.com", NULL, "carol", "c2");
	dave = add_login(set, "a.org", "b.org", "dave", "d1");

	CU_ASSERT_PTR_EQUAL(mesh_password_set_login(set, "GitHub.COM", "bob"), bob);
	CU_ASSERT_PTR_EQUAL(mesh_password_set_login(set, "github.com", "alice"), alice);
	/* User names are exact; sites are listed exactly, a wildcard is no login of its host. */
	CU_ASSERT_PTR_NULL(mesh_password_set_login(set, "github.com", "Bob"));
	CU_ASSERT_PTR_NULL(mesh_password_set_login(set, "github.com", NULL));
	CU_ASSERT_PTR_EQUAL(mesh_password_set_login(set, "www.example.com", "carol"), carol);
	CU_ASSERT_PTR_NULL(mesh_password_set_login(set, "mail.example.com", "carol"));
	CU_ASSERT_PTR_EQUAL(mesh_password_set_login(set, "b.org", "dave"), dave);

	found = mesh_password_set_match(set, "github.com", NULL, FALSE);
	CU_ASSERT_EQUAL(found->len, 2);
	g_clear_pointer(&found, g_ptr_array_unref);
	found = mesh_password_set_match(set, "github.com", "bob", FALSE);
	CU_ASSERT_EQUAL_FATAL(found->len, 1);
	CU_ASSERT_PTR_EQUAL(found->pdata[0], bob);
	g_clear_pointer(&found, g_ptr_array_unref);
	found = mesh_password_set_match(set, "www.example.com", NULL, FALSE);
	CU_ASSERT_EQUAL_FATAL(found->len, 2);
	CU_ASSERT_PTR_EQUAL(found->pdata[0], wild);
	g_clear_pointer(&found, g_ptr_array_unref);
	found = mesh_password_set_match(set, "www.example.com", NULL, TRUE);
	CU_ASSERT_EQUAL_FATAL(found->len, 1);
	CU_ASSERT_PTR_EQUAL(found->pdata[0], carol);
	g_clear_pointer(&found, g_ptr_array_unref);
	found = mesh_password_set_match(set, "gitlab.com", NULL, FALSE);
	CU_ASSERT_EQUAL(found->len, 0);
	g_clear_pointer(&found, g_ptr_array_unref);

	/* A new password for one login; the other's stays. A bad one changes nothing. */
	memset(mesh_secret_data(long_pw), 'a', MESH_PASSWORD_MAX + 1);
	CU_ASSERT_FALSE(mesh_password_entry_set_password(bob, long_pw, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_STRING_EQUAL((const char *)mesh_secret_get(bob->password), "b1");
	CU_ASSERT_TRUE(mesh_password_entry_set_password(bob, new_pw, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL((const char *)mesh_secret_get(bob->password), "n3w");
	CU_ASSERT_STRING_EQUAL((const char *)mesh_secret_get(alice->password), "a1");

	/* Removing one site of an entry keeps its other; the last one takes the entry. */
	CU_ASSERT_EQUAL(mesh_password_set_remove(set, "A.org", "dave"), 1);
	CU_ASSERT_EQUAL(set->entries->len, 5);
	CU_ASSERT_EQUAL_FATAL(dave->sites->len, 1);
	CU_ASSERT_STRING_EQUAL(dave->sites->pdata[0], "b.org");
	CU_ASSERT_EQUAL(mesh_password_set_remove(set, "b.org", NULL), 1);
	CU_ASSERT_EQUAL(set->entries->len, 4);
	CU_ASSERT_EQUAL(mesh_password_set_remove(set, "github.com", "carol"), 0);
	CU_ASSERT_EQUAL(mesh_password_set_remove(set, "github.com", "alice"), 1);
	CU_ASSERT_EQUAL_FATAL(set->entries->len, 3);
	CU_ASSERT_PTR_EQUAL(mesh_password_set_login(set, "github.com", "bob"), bob);
	CU_ASSERT_PTR_NULL(mesh_password_set_login(set, "github.com", "alice"));
}

static int
parse_code(const char *text, const MeshMasterProfile *master)
{
	GError *error = NULL;
	g_autoptr(MeshApplicationProfile) p = mesh_application_profile_parse(text, strlen(text),
									     master, &error);

	if (p != NULL)
		CU_ASSERT_PTR_NULL(error);
	return mt_code(&error);
}

static void
test_signature_failures(void)
{
	Fixture f = { 0 };
	g_autoptr(MeshSecret) plaintext = text_secret(
		"{\"GenericProfile\":{\"Name\":\"wifi\",\"Data\":{\"PSK\":\"x\",\"N\":[1,2]}}}");
	g_autoptr(JsonNode) node = NULL;
	g_autofree char *text = NULL;
	GError *error = NULL;
	const char *const tag = "ApplicationProfile";

	fixture_make(&f, MESH_APPLICATION_GENERIC, MESH_KEY_ED25519, MESH_KEY_X25519);
	/* Not sealed yet; then sealed; a signer that is not an administration key. */
	CU_ASSERT_PTR_NULL(mesh_application_profile_sign(f.app, f.m.profile, f.m.online[0],
							 mesh_signed_sign_with_key, f.m.online[0],
							 &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_TRUE(mesh_application_profile_seal(f.app, plaintext, f.personal, &error));
	CU_ASSERT_PTR_NULL(mesh_application_profile_sign(f.app, f.m.profile, f.d[0].sig,
							 mesh_signed_sign_with_key, f.d[0].sig,
							 &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNAUTHORIZED);
	node = mesh_application_profile_sign(f.app, f.m.profile, f.m.online[1],
					     mesh_signed_sign_with_key, f.m.online[1], &error);
	MESH_ASSERT_NO_ERROR(error);
	text = mt_text(node);
	CU_ASSERT_EQUAL(parse_code(text, f.m.profile), 0);
	{
		const char *kv[] = { "Friendly", "evil" };
		const char *type[] = { "Type", "PasswordProfile" };
		const char *unknown[] = { "Type", "BankProfile" };
		g_autofree char *t1 = mt_tamper(text, tag, TRUE, mt_set_string, kv, NULL, NULL);
		g_autofree char *t2 = mt_tamper(text, tag, TRUE, mt_set_string, kv, f.d[0].sig,
						NULL);
		g_autofree char *t3 = mt_tamper(text, tag, TRUE, mt_set_string, kv, f.m.sig, NULL);
		g_autofree char *ok = mt_tamper(text, tag, TRUE, mt_set_string, kv, f.m.online[0],
						NULL);
		g_autofree char *t4 = mt_tamper(text, tag, TRUE, mt_set_string, type,
						f.m.online[0], NULL);
		g_autofree char *t5 = mt_tamper(text, tag, TRUE, mt_set_serial_text, NULL,
						f.m.online[0], NULL);
		g_autofree char *t6 = mt_tamper(text, tag, TRUE, NULL, NULL, NULL,
						mesh_key_udf(f.m.sig));
		g_autofree char *t7 = mt_tamper(text, tag, TRUE, mt_set_string, unknown,
						f.m.online[0], NULL);

		CU_ASSERT_EQUAL(parse_code(t1, f.m.profile), MESH_ERROR_BAD_SIGNATURE);
		CU_ASSERT_EQUAL(parse_code(t2, f.m.profile), MESH_ERROR_UNAUTHORIZED);
		CU_ASSERT_EQUAL(parse_code(t3, f.m.profile), MESH_ERROR_UNAUTHORIZED);
		CU_ASSERT_EQUAL(parse_code(ok, f.m.profile), 0);
		/* The JWE's cty must be the Type. */
		CU_ASSERT_EQUAL(parse_code(t4, f.m.profile), MESH_ERROR_MALFORMED);
		CU_ASSERT_EQUAL(parse_code(t5, f.m.profile), MESH_ERROR_MALFORMED);
		CU_ASSERT_EQUAL(parse_code(t6, f.m.profile), MESH_ERROR_MALFORMED);
		CU_ASSERT_EQUAL(parse_code(t7, f.m.profile), MESH_ERROR_UNSUPPORTED);
	}
	{
		/* Private data of another type is not sealed. */
		g_autoptr(MeshSecret) wrong = text_secret("{\"PasswordProfile\":{\"Entries\":[]}}");
		g_autoptr(MeshSecret) data = text_secret("[1,{\"a\":\"b\"}]");
		g_autoptr(MeshSecret) generic = mesh_application_generic_text("n\"ame", data,
									      &error);
		g_autoptr(MeshSecret) opened = NULL;

		CU_ASSERT_FALSE(mesh_application_profile_seal(f.app, wrong, f.personal, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
		CU_ASSERT_TRUE(mesh_application_profile_seal(f.app, generic, f.personal, &error));
		opened = mesh_application_profile_open(f.app, f.d[1].enc, &error);
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_STRING_EQUAL((const char *)mesh_secret_get(opened),
				       "{\"GenericProfile\":{\"Name\":\"n\\\"ame\","
				       "\"Data\":[1,{\"a\":\"b\"}]}}");
	}
	fixture_clear(&f);
}

static void
test_ssh_profile(void)
{
	Fixture f = { 0 };
	g_autoptr(MeshSecret) plaintext = text_secret(
		"{\"SSHProfile\":{\"HostEntries\":[{\"Host\":\"git.example.com\",\"HostKeys\":"
		"[\"ssh-ed25519 AAAAC3Nza\"]}]}}");
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(MeshApplicationProfile) read = NULL;
	GError *error = NULL;

	fixture_make(&f, MESH_APPLICATION_SSH, MESH_KEY_P256, MESH_KEY_P256);
	CU_ASSERT_TRUE(mesh_application_profile_add_ssh_device(f.app, mesh_key_udf(f.d[0].sig),
							       "ssh-ed25519 AAAAC3Nza alice@laptop",
							       &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(mesh_application_profile_add_ssh_device(f.app, mesh_key_udf(f.d[0].sig),
								"ssh-ed25519 AAAAC3Nzb", &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_EXISTS);
	CU_ASSERT_FALSE(mesh_application_profile_add_ssh_device(f.app, mesh_key_udf(f.d[1].sig),
								"ssh-rsa AAAA", &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_application_profile_add_ssh_device(f.app, mesh_key_udf(f.d[1].sig),
								"ssh-ed25519 A\nB", &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_TRUE(mesh_application_profile_seal(f.app, plaintext, f.personal, &error));
	CU_ASSERT_TRUE(mesh_application_profile_touch(f.app, &error));
	node = mesh_application_profile_sign(f.app, f.m.profile, f.m.online[0],
					     mesh_signed_sign_with_key, f.m.online[0], &error);
	MESH_ASSERT_NO_ERROR(error);
	read = mesh_application_profile_verify(node, f.m.profile, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(read->serial, 2);
	CU_ASSERT_EQUAL_FATAL(read->ssh_devices->len, 1);
	CU_ASSERT_STRING_EQUAL(((MeshSshDevice *)read->ssh_devices->pdata[0])->public_key,
			       "ssh-ed25519 AAAAC3Nza alice@laptop");
	{
		g_autoptr(MeshSecret) opened = mesh_application_profile_open(read, f.m.escrow[1],
									     &error);

		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_TRUE(mesh_secret_equal(opened, plaintext));
	}
	{
		/* Only an SSHProfile lists devices. */
		g_autoptr(MeshApplicationProfile) g = mesh_application_profile_new(
			MESH_APPLICATION_GENERIC, NULL, NULL);

		CU_ASSERT_FALSE(mesh_application_profile_add_ssh_device(
			g, mesh_key_udf(f.d[0].sig), "ssh-ed25519 AAAA", &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
		CU_ASSERT_FALSE(mesh_application_profile_seal(g, plaintext, f.personal, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	}
	fixture_clear(&f);
}

static CU_TestInfo tests[] = {
        {"sealed to 2 devices and the escrow keys, not a third", test_encrypted_to_readers},
        {"password entries", test_passwords},
        {"names: empty and blank refused when made, read when stored", test_names},
        {"logins: several user names at a site", test_logins},
        {"signature failures; private data of the right type", test_signature_failures},
        {"SSH profile", test_ssh_profile},
        CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("application", tests);
}
