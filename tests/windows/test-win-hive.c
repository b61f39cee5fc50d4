/* SPDX-License-Identifier: MIT */
/*
 * The registry hive (windows/hive.c) under Wine.
 *
 *   test-win-hive            the hive conformance suite (tests/unit/hive-conformance.c) and the
 *                            Windows-only cases: owners and DACLs read back, unsafe DACLs
 *                            refused, no temporary files left, values that name other files,
 *                            Accounts values holding the profile UDF.
 *   test-win-hive layout R   writes, in the test hive on root R, an account record (as core
 *                            writes it), a personal profile and a device profile with their
 *                            defaults, and prints "key=<registry key under HKCU>" and
 *                            "data=<data folder>" for hive-layout.sh to check with reg.exe.
 *   test-win-hive cleanup R  removes the registry keys of both hives on root R.
 */
#include "hive-conformance.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include "hive.h"
#include "json-peek.h"
#include "platform.h"

#define KEY_PREFIX "HKEY_CURRENT_USER\\"

static wchar_t *
wide(const char *s)
{
	return (wchar_t *)g_utf8_to_utf16(s, -1, NULL, NULL, NULL);
}

/* The hive's key under HKCU ("SOFTWARE\\CryptoMesh-1a2b3c4d"), from its location. */
static const char *
hive_key(MeshHive *hive)
{
	const char *loc = mesh_hive_location(hive);

	CU_ASSERT_TRUE_FATAL(g_str_has_prefix(loc, KEY_PREFIX));
	return loc + strlen(KEY_PREFIX);
}

static gboolean
delete_keys(const char *root)
{
	gboolean ok = TRUE;

	for (int k = MESH_HIVE_PRODUCTION; k <= MESH_HIVE_TEST; k++) {
		g_autoptr(MeshHive) hive = mesh_hive_open((MeshHiveKind)k, root, NULL);
		g_autofree wchar_t *wkey = NULL;

		if (hive == NULL)
			continue;
		wkey = wide(mesh_hive_location(hive) + strlen(KEY_PREFIX));
		/* With a subkey named, RegDeleteTreeW removes that key too. */
		ok = RegDeleteTreeW(HKEY_CURRENT_USER, wkey) == ERROR_SUCCESS && ok;
	}
	return ok;
}

/* A root the hive makes itself, owner-only, in a new temporary folder (whose DACL is what
 * the temporary folder passes on: on a real Windows this user, SYSTEM and Administrators; under
 * Wine one from the Unix mode, which may let Everyone read). */
static char *
make_root(void)
{
	g_autofree char *tmp = mesh_test_tmp_dir("whive");

	return g_build_filename(tmp, "home", NULL);
}

static void
remove_root(const char *root)
{
	g_autofree char *tmp = g_path_get_dirname(root);

	CU_ASSERT_TRUE(delete_keys(root));
	mesh_test_remove_tree(tmp);
}

static const MeshHiveConformance conformance = {
	.make_root = make_root,
	.remove_root = remove_root,
};

/* ---- Windows-only cases ------------------------------------------------------------------ */

/* The REG_SZ value @value of @hive's @folder key, as UTF-8 ("" for the default value). */
static char *
reg_value(MeshHive *hive, MeshHiveFolder folder, const char *value)
{
	g_autofree char *sub = g_strdup_printf("%s\\%s", hive_key(hive),
					       mesh_hive_folder_name(folder));
	g_autofree wchar_t *wsub = wide(sub), *wvalue = wide(value);
	wchar_t buf[4096] = { 0 };
	DWORD size = sizeof buf - sizeof(wchar_t), type = 0;
	LSTATUS st = RegGetValueW(HKEY_CURRENT_USER, wsub, wvalue, RRF_RT_ANY, &type, buf, &size);

	if (st != ERROR_SUCCESS || type != REG_SZ)
		return NULL;
	return g_utf16_to_utf8((const gunichar2 *)buf, -1, NULL, NULL, NULL);
}

static void
set_reg_value(MeshHive *hive, MeshHiveFolder folder, const char *value, const char *text)
{
	g_autofree char *sub = g_strdup_printf("%s\\%s", hive_key(hive),
					       mesh_hive_folder_name(folder));
	g_autofree wchar_t *wsub = wide(sub), *wvalue = wide(value), *wtext = wide(text);

	CU_ASSERT_EQUAL(RegSetKeyValueW(HKEY_CURRENT_USER, wsub, wvalue, REG_SZ, wtext,
					(DWORD)((wcslen(wtext) + 1) * sizeof(wchar_t))),
			ERROR_SUCCESS);
}

/* Whether this runs under Wine (whose ntdll has wine_get_version). */
static gboolean
under_wine(void)
{
	HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");

	return ntdll != NULL && GetProcAddress(ntdll, "wine_get_version") != NULL;
}

/*
 * The object's owner is this user and its DACL is protected and holds exactly one ACE: allow,
 * to this user. Except for files under Wine, which keeps no file's security descriptor (vanilla
 * Wine derives one from the Unix mode: SYSTEM and the owner, for a mode 07x0 file): there every
 * ACE must still allow this user or SYSTEM alone, and the Unix mode shows the rest
 * (hive-layout.sh checks that no data file is open to others).
 */
static void
assert_owner_only(HANDLE h, SE_OBJECT_TYPE type, const char *what)
{
	PSID owner = NULL, me = NULL;
	PACL dacl = NULL;
	PSECURITY_DESCRIPTOR sd = NULL;
	SECURITY_DESCRIPTOR_CONTROL control = 0;
	DWORD revision = 0;
	HANDLE token = NULL;
	guint8 user[256];
	DWORD len = 0;
	gboolean exact = type != SE_FILE_OBJECT || !under_wine();

	CU_ASSERT_TRUE_FATAL(OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token));
	CU_ASSERT_TRUE_FATAL(GetTokenInformation(token, TokenUser, user, sizeof user, &len));
	CloseHandle(token);
	me = ((TOKEN_USER *)user)->User.Sid;
	CU_ASSERT_EQUAL_FATAL(GetSecurityInfo(h, type,
					      OWNER_SECURITY_INFORMATION |
						      DACL_SECURITY_INFORMATION,
					      &owner, NULL, &dacl, NULL, &sd),
			      ERROR_SUCCESS);
	CU_ASSERT_PTR_NOT_NULL_FATAL(owner);
	if (!EqualSid(owner, me))
		g_printerr("%s: another owner\n", what);
	CU_ASSERT_TRUE(EqualSid(owner, me));
	CU_ASSERT_PTR_NOT_NULL_FATAL(dacl);
	if (exact) {
		CU_ASSERT_EQUAL(dacl->AceCount, 1);
	}
	CU_ASSERT_TRUE(dacl->AceCount >= 1);
	for (DWORD i = 0; i < dacl->AceCount; i++) {
		ACCESS_ALLOWED_ACE *ace = NULL;
		PSID sid;

		CU_ASSERT_TRUE_FATAL(GetAce(dacl, i, (void **)&ace));
		CU_ASSERT_EQUAL(ace->Header.AceType, ACCESS_ALLOWED_ACE_TYPE);
		sid = (PSID)&ace->SidStart;
		if (exact || EqualSid(sid, me)) {
			CU_ASSERT_TRUE(EqualSid(sid, me));
		} else {
			CU_ASSERT_TRUE(IsWellKnownSid(sid, WinLocalSystemSid));
		}
	}
	if (!exact)
		g_print("\n    (Wine: %s has the DACL Wine derives from its Unix mode, %u ACEs)",
			what, dacl->AceCount);
	CU_ASSERT_TRUE(GetSecurityDescriptorControl(sd, &control, &revision));
	if (exact) {
		CU_ASSERT_TRUE((control & SE_DACL_PROTECTED) != 0);
	}
	LocalFree(sd);
}

static HANDLE
open_file_inspect(const char *path)
{
	g_autofree wchar_t *w = wide(path);

	return CreateFileW(w, READ_CONTROL | FILE_READ_ATTRIBUTES,
			   FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
			   FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
}

static void
test_security_read_back(void)
{
	g_autofree char *root = make_root();
	g_autoptr(MeshHive) hive = hive_open_ok(MESH_HIVE_TEST, root);
	g_autofree char *path = NULL;
	g_autofree char *folder = g_build_filename(root, "CryptoMesh", "PersonalProfiles", NULL);
	HANDLE h;

	hive_write_ok(hive, MESH_HIVE_PERSONAL_PROFILES, "MDXX-PROF.json", "{\"profile\":1}");
	path = reg_value(hive, MESH_HIVE_PERSONAL_PROFILES, "MDXX-PROF");
	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	/* The registry keys: the hive's and each folder's. */
	for (int f = -1; f < MESH_HIVE_N_FOLDERS; f++) {
		g_autofree char *sub = f < 0 ? g_strdup(hive_key(hive))
					     : g_strdup_printf("%s\\%s", hive_key(hive),
							       mesh_hive_folder_name(
								       (MeshHiveFolder)f));
		g_autofree wchar_t *wsub = wide(sub);
		HKEY key = NULL;

		CU_ASSERT_EQUAL_FATAL(RegOpenKeyExW(HKEY_CURRENT_USER, wsub, 0, READ_CONTROL, &key),
				      ERROR_SUCCESS);
		assert_owner_only((HANDLE)key, SE_REGISTRY_KEY, sub);
		RegCloseKey(key);
	}
	/* The data file the value names, and its folder. */
	h = open_file_inspect(path);
	CU_ASSERT_NOT_EQUAL_FATAL(h, INVALID_HANDLE_VALUE);
	assert_owner_only(h, SE_FILE_OBJECT, path);
	CloseHandle(h);
	h = open_file_inspect(folder);
	CU_ASSERT_NOT_EQUAL_FATAL(h, INVALID_HANDLE_VALUE);
	assert_owner_only(h, SE_FILE_OBJECT, folder);
	CloseHandle(h);
	g_clear_pointer(&hive, mesh_hive_close);
	remove_root(root);
}

/* A DACL with this user and Everyone (full access) on the object @path of @type. */
static void
grant_everyone(const char *path, SE_OBJECT_TYPE type)
{
	g_autofree wchar_t *w = wide(path);
	EXPLICIT_ACCESS_W ea = { 0 };
	PACL acl = NULL;
	PSID everyone = NULL;

	CU_ASSERT_TRUE_FATAL(ConvertStringSidToSidW(L"S-1-1-0", &everyone));
	ea.grfAccessPermissions = GENERIC_ALL;
	ea.grfAccessMode = GRANT_ACCESS;
	ea.grfInheritance = NO_INHERITANCE;
	ea.Trustee.TrusteeForm = TRUSTEE_IS_SID;
	ea.Trustee.TrusteeType = TRUSTEE_IS_WELL_KNOWN_GROUP;
	ea.Trustee.ptstrName = (LPWSTR)everyone;
	CU_ASSERT_EQUAL_FATAL(SetEntriesInAclW(1, &ea, NULL, &acl), ERROR_SUCCESS);
	CU_ASSERT_EQUAL_FATAL(SetNamedSecurityInfoW(w, type, DACL_SECURITY_INFORMATION, NULL, NULL,
						    acl, NULL),
			      ERROR_SUCCESS);
	LocalFree(acl);
	LocalFree(everyone);
}

static void
assert_open_refused(const char *root)
{
	GError *error = NULL;
	MeshHive *hive = mesh_hive_open(MESH_HIVE_TEST, root, &error);

	CU_ASSERT_PTR_NULL(hive);
	mesh_hive_close(hive);
	if (error != NULL)
		g_print("\n    refused: %s\n", error->message);
	MESH_ASSERT_ERROR(error, MESH_ERROR_PERMISSION);
}

static void
test_unsafe_dacls_refused(void)
{
	g_autofree char *root = make_root();
	g_autoptr(MeshHive) hive = hive_open_ok(MESH_HIVE_TEST, root);
	g_autofree char *keys = g_build_filename(root, "CryptoMesh", "Keys", NULL);
	g_autofree char *key_path = NULL, *reg_key = NULL;
	g_autoptr(GBytes) data = NULL;
	GError *error = NULL;

	/* A data file others may use is not read; written again it is owner-only. */
	hive_write_ok(hive, MESH_HIVE_KEYS, "k.dpapi", "blob");
	key_path = reg_value(hive, MESH_HIVE_KEYS, "k.dpapi");
	CU_ASSERT_PTR_NOT_NULL_FATAL(key_path);
	grant_everyone(key_path, SE_FILE_OBJECT);
	CU_ASSERT_FALSE(mesh_hive_read(hive, MESH_HIVE_KEYS, "k.dpapi", 64, &data, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_PERMISSION);
	hive_write_ok(hive, MESH_HIVE_KEYS, "k.dpapi", "blob2");
	CU_ASSERT_TRUE(mesh_hive_read(hive, MESH_HIVE_KEYS, "k.dpapi", 64, &data, &error));
	MESH_ASSERT_NO_ERROR(error);
	g_clear_pointer(&hive, mesh_hive_close);

	/* A data folder that lets Everyone in. */
	grant_everyone(keys, SE_FILE_OBJECT);
	assert_open_refused(root);
	mesh_test_remove_tree(keys);
	mesh_hive_close(hive_open_ok(MESH_HIVE_TEST, root));

	/* A registry key that lets Everyone in. */
	hive = hive_open_ok(MESH_HIVE_TEST, root);
	reg_key = g_strdup_printf("CURRENT_USER\\%s\\Accounts", hive_key(hive));
	g_clear_pointer(&hive, mesh_hive_close);
	grant_everyone(reg_key, SE_REGISTRY_KEY);
	assert_open_refused(root);
	remove_root(root);
}

/* Every name in the data folder of @folder, temporary files included, sorted and joined with
 * ','. */
static char *
files_sorted(const char *root, MeshHiveFolder folder)
{
	g_autofree char *path = g_build_filename(root, "CryptoMesh", mesh_hive_folder_name(folder),
						 NULL);

	return hive_dir_names(path);
}

static void
test_no_temporary_files(void)
{
	g_autofree char *root = make_root();
	g_autoptr(MeshHive) hive = hive_open_ok(MESH_HIVE_TEST, root);
	g_autofree char *files = NULL, *after = NULL;
	g_autofree char *blocker = g_build_filename(root, "CryptoMesh", "Keys", "b", NULL);
	g_autofree char *inside = g_build_filename(blocker, "x", NULL);
	GError *error = NULL;

	for (int i = 0; i < 6; i++) {
		hive_write_ok(hive, MESH_HIVE_THIS_DEVICE, "MDEV.json", i % 2 ? "one" : "two");
		hive_write_ok(hive, MESH_HIVE_KEYS, "k", i % 2 ? "1" : "2");
	}
	CU_ASSERT_TRUE(mesh_hive_remove(hive, MESH_HIVE_KEYS, "k", &error));
	MESH_ASSERT_NO_ERROR(error);
	files = files_sorted(root, MESH_HIVE_THIS_DEVICE);
	CU_ASSERT_STRING_EQUAL(files, "MDEV.json");
	g_free(files);
	files = files_sorted(root, MESH_HIVE_KEYS);
	CU_ASSERT_STRING_EQUAL(files, "");
	/* A replace that fails (a folder where the file goes) leaves no temporary file, and no
	 * registry value. */
	CU_ASSERT_EQUAL_FATAL(g_mkdir(blocker, 0700), 0);
	CU_ASSERT_TRUE_FATAL(g_file_set_contents(inside, "x", 1, NULL));
	CU_ASSERT_FALSE(mesh_hive_write(hive, MESH_HIVE_KEYS, "b", (const guint8 *)"new", 3,
					&error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_IO);
	after = files_sorted(root, MESH_HIVE_KEYS);
	CU_ASSERT_STRING_EQUAL(after, "b");
	CU_ASSERT_PTR_NULL(reg_value(hive, MESH_HIVE_KEYS, "b"));
	remove_root(root);
}

/* What the registry holds is checked, not trusted: a value naming a file elsewhere, "X" beside
 * "X.json". */
static void
test_registry_values_checked(void)
{
	g_autofree char *root = make_root();
	g_autoptr(MeshHive) hive = hive_open_ok(MESH_HIVE_TEST, root);
	g_autofree char *outside = g_build_filename(root, "outside.json", NULL);
	g_autofree char *def = NULL, *text = NULL;
	g_autoptr(GBytes) data = NULL;
	GError *error = NULL;

	CU_ASSERT_TRUE_FATAL(g_file_set_contents(outside, "x", 1, NULL));
	set_reg_value(hive, MESH_HIVE_PERSONAL_PROFILES, "MOUT", outside);
	CU_ASSERT_FALSE(mesh_hive_read(hive, MESH_HIVE_PERSONAL_PROFILES, "MOUT.json", 64, &data,
				       &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_PERMISSION);
	/* Written through the hive, the value is the hive's own again. */
	hive_write_ok(hive, MESH_HIVE_PERSONAL_PROFILES, "MOUT.json", "mine");
	text = reg_value(hive, MESH_HIVE_PERSONAL_PROFILES, "MOUT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_TRUE(g_str_has_suffix(text, "\\CryptoMesh\\PersonalProfiles\\MOUT.json"));

	/* "MOUT" would take the value "MOUT.json" has. */
	CU_ASSERT_FALSE(mesh_hive_write(hive, MESH_HIVE_PERSONAL_PROFILES, "MOUT",
					(const guint8 *)"x", 1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_EXISTS);

	/* The default is the key's default value, the name alone. */
	hive_write_ok(hive, MESH_HIVE_ACCOUNTS, "big", "x");
	CU_ASSERT_TRUE(mesh_hive_set_default(hive, MESH_HIVE_ACCOUNTS, "big", &error));
	MESH_ASSERT_NO_ERROR(error);
	def = reg_value(hive, MESH_HIVE_ACCOUNTS, "");
	CU_ASSERT_STRING_EQUAL(def, "big");
	remove_root(root);
}

/* The bytes of the data file @name of @folder in the hive on @root; NULL when there is none. */
static GBytes *
data_file(const char *root, MeshHiveFolder folder, const char *name)
{
	g_autofree char *path = g_build_filename(root, "CryptoMesh", mesh_hive_folder_name(folder),
						 name, NULL);
	char *bytes = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &bytes, &len, NULL))
		return NULL;
	return g_bytes_new_take(bytes, len);
}

/* @name of Accounts reads back as @data, byte for byte, from its data file, and its registry
 * value holds @udf. */
static void
assert_account(MeshHive *hive, const char *root, const char *name, const void *data, gsize len,
	       const char *udf)
{
	g_autoptr(GBytes) want = g_bytes_new(data, len);
	g_autoptr(GBytes) got = NULL;
	g_autoptr(GBytes) file = data_file(root, MESH_HIVE_ACCOUNTS, name);
	g_autofree char *value = reg_value(hive, MESH_HIVE_ACCOUNTS, name);
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_hive_read(hive, MESH_HIVE_ACCOUNTS, name, MESH_HIVE_ENTRY_MAX, &got,
				      &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(got != NULL && g_bytes_equal(got, want));
	CU_ASSERT_TRUE(file != NULL && g_bytes_equal(file, want));
	CU_ASSERT_PTR_NOT_NULL_FATAL(value);
	if (strcmp(value, udf) != 0)
		g_printerr("\n    %s: value '%.40s', want '%s'\n", name, value, udf);
	CU_ASSERT_STRING_EQUAL(value, udf);
}

static void
write_bytes_ok(MeshHive *hive, const char *name, const void *data, gsize len)
{
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_hive_write(hive, MESH_HIVE_ACCOUNTS, name, data, len, &error));
	MESH_ASSERT_NO_ERROR(error);
}

/*
 * Accounts as the seeds have them: the value is the record's top-level "Profile" string (the
 * profile UDF), "" for anything else; the record is in its data file, read back byte for byte,
 * whatever the value says; written before the value, removed after it.
 */
static void
test_accounts(void)
{
	static const char record[] =
		"{\"Account\":\"alice@example.com\",\"Profile\":\"MB2G-KZ3C-QX5N-7DVA\","
		"\"Device\":\"MCE2-DEV\",\"Serial\":2,\"SSHKey\":{\"UDF\":\"MSSH\",\"PublicKey\":"
		"\"ssh-ed25519 AAAA\"},\"Escrows\":[\"MESC-1\"]}";
	static const char again[] = "{\"Account\":\"alice@example.com\",\"Profile\":\"MNEW\"}";
	static const char escaped[] = "{\"Profile\":\"M\\u0041\\u00e9\"}";
	static const char nested[] = "{\"SSHKey\":{\"Profile\":\"MINNER\"}}";
	static const char number[] = "{\"Profile\":7}";
	static const char twice[] = "{\"Profile\":\"M1\",\"Profile\":\"M2\"}";
	static const char broken[] = "{\"Profile\":\"MB2G\",";
	const guint8 binary[] = { 0, 'a', 0, 0xff, 'b', 0 };
	const guint8 latin1[] = { 'c', 0xe9 };
	g_autofree char *root = make_root();
	g_autoptr(MeshHive) hive = hive_open_ok(MESH_HIVE_TEST, root);
	g_autofree char *big = NULL, *files = NULL;
	g_autofree char *orphan = g_build_filename(root, "CryptoMesh", "Accounts", "orphan", NULL);
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GBytes) data = NULL;
	GError *error = NULL;
	gsize big_len = MESH_JSON_PEEK_MAX + 100;

	hive_write_ok(hive, MESH_HIVE_ACCOUNTS, "alice_AT_example.com", record);
	assert_account(hive, root, "alice_AT_example.com", record, strlen(record),
		       "MB2G-KZ3C-QX5N-7DVA");
	/* Written again: the file replaced, the value follows. */
	hive_write_ok(hive, MESH_HIVE_ACCOUNTS, "alice_AT_example.com", again);
	assert_account(hive, root, "alice_AT_example.com", again, strlen(again), "MNEW");
	/* Escapes decoded; no top-level string "Profile": an empty value, the bytes kept. */
	hive_write_ok(hive, MESH_HIVE_ACCOUNTS, "escaped", escaped);
	assert_account(hive, root, "escaped", escaped, strlen(escaped), "MA\xc3\xa9");
	hive_write_ok(hive, MESH_HIVE_ACCOUNTS, "nested", nested);
	assert_account(hive, root, "nested", nested, strlen(nested), "");
	hive_write_ok(hive, MESH_HIVE_ACCOUNTS, "number", number);
	assert_account(hive, root, "number", number, strlen(number), "");
	hive_write_ok(hive, MESH_HIVE_ACCOUNTS, "twice", twice);
	assert_account(hive, root, "twice", twice, strlen(twice), "");
	hive_write_ok(hive, MESH_HIVE_ACCOUNTS, "broken", broken);
	assert_account(hive, root, "broken", broken, strlen(broken), "");
	write_bytes_ok(hive, "binary", binary, sizeof binary);
	assert_account(hive, root, "binary", binary, sizeof binary, "");
	write_bytes_ok(hive, "latin1", latin1, sizeof latin1);
	assert_account(hive, root, "latin1", latin1, sizeof latin1, "");
	write_bytes_ok(hive, "empty", "", 0);
	assert_account(hive, root, "empty", "", 0, "");
	/* Above the peek's bound: the bytes kept whole, the value empty. */
	big = g_malloc(big_len);
	memset(big, ' ', big_len);
	memcpy(big, "{\"Profile\":\"MBIG\"}", 18);
	write_bytes_ok(hive, "big", big, big_len);
	assert_account(hive, root, "big", big, big_len, "");
	/* ".json" is part of an account's value name, as of its file's. */
	hive_write_ok(hive, MESH_HIVE_ACCOUNTS, "carol.json", record);
	assert_account(hive, root, "carol.json", record, strlen(record), "MB2G-KZ3C-QX5N-7DVA");
	CU_ASSERT_PTR_NULL(reg_value(hive, MESH_HIVE_ACCOUNTS, "carol"));

	/* The value says nothing of the bytes: changed behind the hive's back, the entry still
	 * reads as its file. */
	set_reg_value(hive, MESH_HIVE_ACCOUNTS, "nested", "MFORGED");
	CU_ASSERT_TRUE(mesh_hive_read(hive, MESH_HIVE_ACCOUNTS, "nested", 1024, &data, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(data != NULL && g_bytes_get_size(data) == strlen(nested) &&
		       memcmp(g_bytes_get_data(data, NULL), nested, strlen(nested)) == 0);
	g_clear_pointer(&data, g_bytes_unref);

	/* Removed: the value and the file gone; a second remove finds nothing. */
	CU_ASSERT_TRUE(mesh_hive_remove(hive, MESH_HIVE_ACCOUNTS, "binary", &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NULL(reg_value(hive, MESH_HIVE_ACCOUNTS, "binary"));
	CU_ASSERT_PTR_NULL(data_file(root, MESH_HIVE_ACCOUNTS, "binary"));
	CU_ASSERT_FALSE(mesh_hive_remove(hive, MESH_HIVE_ACCOUNTS, "binary", &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_FALSE(mesh_hive_read(hive, MESH_HIVE_ACCOUNTS, "binary", 64, &data, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);

	/* A file without a value (a crash between the two) is no entry; a value without its
	 * file is damage, said as such, and can be removed. */
	CU_ASSERT_TRUE_FATAL(mesh_platform_write_atomic(orphan, (const guint8 *)"{}", 2, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(mesh_hive_read(hive, MESH_HIVE_ACCOUNTS, "orphan", 64, &data, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	set_reg_value(hive, MESH_HIVE_ACCOUNTS, "lost", "MLOST");
	CU_ASSERT_FALSE(mesh_hive_read(hive, MESH_HIVE_ACCOUNTS, "lost", 64, &data, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_IO);
	CU_ASSERT_TRUE(mesh_hive_remove(hive, MESH_HIVE_ACCOUNTS, "lost", &error));
	MESH_ASSERT_NO_ERROR(error);

	CU_ASSERT_TRUE(mesh_hive_list(hive, MESH_HIVE_ACCOUNTS, &names, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(names);
	g_ptr_array_add(names, NULL);
	{
		g_autofree char *joined = g_strjoinv(",", (char **)names->pdata);

		CU_ASSERT_STRING_EQUAL(joined, "alice_AT_example.com,big,broken,carol.json,empty,"
					       "escaped,latin1,nested,number,twice");
	}
	files = files_sorted(root, MESH_HIVE_ACCOUNTS);
	CU_ASSERT_STRING_EQUAL(files, "alice_AT_example.com,big,broken,carol.json,empty,escaped,"
				      "latin1,nested,number,orphan,twice");
	remove_root(root);
}

/* The file-system half of core/platform.h: the home folder, private files. */
static void
test_platform_files(void)
{
	g_autofree char *saved = g_strdup(g_getenv("MMM_HOME"));
	g_autofree char *tmp = mesh_test_tmp_dir("wfs");
	g_autofree char *dir = g_build_filename(tmp, "private", "inner", NULL);
	g_autofree char *file = g_build_filename(dir, "portal.db", NULL);
	g_autofree char *home = NULL;
	GError *error = NULL;
	HANDLE h;

	g_unsetenv("MMM_HOME");
	home = mesh_platform_mmm_home();
	if (saved != NULL)
		g_setenv("MMM_HOME", saved, TRUE);
	CU_ASSERT_TRUE(g_str_has_suffix(home, "\\Mesh"));
	CU_ASSERT_TRUE(g_path_is_absolute(home));

	/* A folder with its missing parents, owner-only; without create_parents a missing parent
	 * is an error. */
	CU_ASSERT_FALSE(mesh_platform_private_dir(dir, FALSE, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_IO);
	CU_ASSERT_TRUE(mesh_platform_private_dir(dir, TRUE, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_platform_private_file(file, "portal database", &error));
	MESH_ASSERT_NO_ERROR(error);
	h = open_file_inspect(file);
	CU_ASSERT_NOT_EQUAL_FATAL(h, INVALID_HANDLE_VALUE);
	assert_owner_only(h, SE_FILE_OBJECT, file);
	CloseHandle(h);
	CU_ASSERT_TRUE(mesh_platform_write_atomic(file, (const guint8 *)"db", 2, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_platform_private_file(file, "portal database", &error));
	MESH_ASSERT_NO_ERROR(error);
	/* Open to Everyone: refused, with what it is in the message. */
	grant_everyone(file, SE_FILE_OBJECT);
	CU_ASSERT_FALSE(mesh_platform_private_file(file, "portal database", &error));
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "portal database"));
	MESH_ASSERT_ERROR(error, MESH_ERROR_PERMISSION);
	/* A folder where the file should be. */
	CU_ASSERT_FALSE(mesh_platform_private_file(dir, "portal database", &error));
	CU_ASSERT_PTR_NOT_NULL(error);
	g_clear_error(&error);
	/* A folder open to Everyone is refused. */
	grant_everyone(dir, SE_FILE_OBJECT);
	CU_ASSERT_FALSE(mesh_platform_private_dir(dir, FALSE, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_PERMISSION);
	/* A file where the folder should be. */
	CU_ASSERT_FALSE(mesh_platform_private_dir(file, FALSE, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_PERMISSION);
	mesh_test_remove_tree(tmp);
}

static CU_TestInfo windows_tests[] = {
	{ "keys, data file and folder: owner and DACL read back", test_security_read_back },
	{ "a file, folder or key that lets Everyone in is refused", test_unsafe_dacls_refused },
	{ "replacing and removing leave no temporary file", test_no_temporary_files },
	{ "registry values are checked, not trusted", test_registry_values_checked },
	{ "Accounts: the value is the profile UDF, the record in its data file", test_accounts },
	{ "home folder, private folders and files", test_platform_files },
	CU_TEST_INFO_NULL,
};

/* ---- layout and cleanup, for hive-layout.sh ------------------------------------------------ */

static int
layout(const char *root)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MeshHive) hive = mesh_hive_open(MESH_HIVE_TEST, root, &error);
	/* As core/session.c account_write makes it (hive-layout.sh has the same bytes). */
	static const char account[] =
		"{\"Account\":\"alice@example.com\","
		"\"Profile\":\"MB2G-KZ3C-QX5N-7DVA-TTQR-6F4N-QPXY\","
		"\"Device\":\"MCE2-AAAA-BBBB-CCCC\","
		"\"Portal\":\"https://example.com/.well-known/mmm/\",\"Serial\":2,"
		"\"SSHKey\":{\"UDF\":\"MSSH-1111\",\"PublicKey\":\"ssh-ed25519 AAAAC3NzaC1lZDI1\"},"
		"\"Connection\":{\"ClientNonce\":\"Y2xp\",\"ServerNonce\":\"c2Vy\","
		"\"Witness\":\"WXYZ-1234\"},\"Escrows\":[\"MESC-1\",\"MESC-2\"]}";
	static const char personal[] = "{\"PersonalProfile\":\"MB2G-KZ3C-QX5N-7DVA-TTQR-6F4N-QPXY\"}";
	static const char device[] = "{\"DeviceProfile\":\"MDDD-DEV\"}";
	struct {
		MeshHiveFolder folder;
		const char *name, *text, *def;
	} entries[] = {
		{ MESH_HIVE_ACCOUNTS, "alice_AT_example.com", account, "alice_AT_example.com" },
		{ MESH_HIVE_PERSONAL_PROFILES, "MB2G-KZ3C-QX5N-7DVA-TTQR-6F4N-QPXY.json", personal,
		  "MB2G-KZ3C-QX5N-7DVA-TTQR-6F4N-QPXY" },
		{ MESH_HIVE_THIS_DEVICE, "MDDD-DEV.json", device, "MDDD-DEV" },
	};

	if (hive == NULL)
		goto fail;
	for (gsize i = 0; i < G_N_ELEMENTS(entries); i++) {
		if (!mesh_hive_write(hive, entries[i].folder, entries[i].name,
				     (const guint8 *)entries[i].text, strlen(entries[i].text),
				     &error) ||
		    !mesh_hive_set_default(hive, entries[i].folder, entries[i].def, &error))
			goto fail;
	}
	printf("key=%s\n", mesh_hive_location(hive) + strlen(KEY_PREFIX));
	printf("data=%s\\CryptoMesh\n", root);
	return 0;
fail:
	fprintf(stderr, "layout: %s\n", error != NULL ? error->message : "?");
	return 1;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "layout") == 0)
		return layout(argv[2]);
	if (argc == 3 && strcmp(argv[1], "cleanup") == 0) {
		return delete_keys(argv[2]) ? 0 : 1;
	}
	{
		CU_SuiteInfo suites[] = {
			{ "hive-conformance", NULL, NULL, NULL, NULL,
			  mesh_hive_conformance_tests(&conformance) },
			{ "hive-windows", NULL, NULL, NULL, NULL, windows_tests },
			CU_SUITE_INFO_NULL,
		};

		return mesh_test_main_suites(suites);
	}
}
