/* SPDX-License-Identifier: MIT */
/* The file key store, over an in-memory MeshHive (defined here) and over the real directory
 * hive in a temporary folder. */
#include "cutest.h"
#include "error.h"
#include "file.h"
#include "hive.h"
#include "keystore.h"
#include "openssh.h"

#include <glib/gstdio.h>
#include <string.h>

/* ---- An in-memory hive: one table of name -> GBytes per folder -------------------------- */

typedef struct {
	MeshHive base;
	GHashTable *folders[MESH_HIVE_N_FOLDERS];
	int fail_writes_after; /* < 0: never; else writes succeed this many more times */
} MemHive;

static gboolean
mem_read(MeshHive *hive, MeshHiveFolder folder, const char *name, gsize max_len,
	 GBytes **ret_data, GError **error)
{
	GBytes *data = g_hash_table_lookup(((MemHive *)hive)->folders[folder], name);

	if (data == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND, "no entry %s", name);
		return FALSE;
	}
	if (g_bytes_get_size(data) > max_len) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE, "entry %s too large", name);
		return FALSE;
	}
	*ret_data = g_bytes_ref(data);
	return TRUE;
}

static gboolean
mem_write(MeshHive *hive, MeshHiveFolder folder, const char *name, const guint8 *data,
	  gsize len, GError **error)
{
	MemHive *mem = (MemHive *)hive;

	if (mem->fail_writes_after == 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "disk full");
		return FALSE;
	}
	if (mem->fail_writes_after > 0)
		mem->fail_writes_after--;
	g_hash_table_replace(mem->folders[folder], g_strdup(name), g_bytes_new(data, len));
	return TRUE;
}

static gboolean
mem_remove(MeshHive *hive, MeshHiveFolder folder, const char *name, GError **error)
{
	if (!g_hash_table_remove(((MemHive *)hive)->folders[folder], name)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND, "no entry %s", name);
		return FALSE;
	}
	return TRUE;
}

static gboolean
mem_list(MeshHive *hive, MeshHiveFolder folder, GPtrArray **ret_names, GError **error)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter iter;
	gpointer name;

	g_hash_table_iter_init(&iter, ((MemHive *)hive)->folders[folder]);
	while (g_hash_table_iter_next(&iter, &name, NULL))
		g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
	*ret_names = names;
	return TRUE;
}

static const char *
mem_location(MeshHive *hive)
{
	return "(memory)";
}

static void
mem_close(MeshHive *hive)
{
	MemHive *mem = (MemHive *)hive;

	for (int f = 0; f < MESH_HIVE_N_FOLDERS; f++)
		g_hash_table_destroy(mem->folders[f]);
	g_free(mem);
}

static const MeshHiveClass mem_hive_class = {
	.read = mem_read,
	.write = mem_write,
	.remove = mem_remove,
	.list = mem_list,
	.location = mem_location,
	.close = mem_close,
};

static MeshHive *
mem_hive_new(void)
{
	MemHive *mem = g_new0(MemHive, 1);

	mem->base.klass = &mem_hive_class;
	mem->base.kind = MESH_HIVE_TEST;
	mem->fail_writes_after = -1;
	for (int f = 0; f < MESH_HIVE_N_FOLDERS; f++)
		mem->folders[f] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
							(GDestroyNotify)g_bytes_unref);
	return &mem->base;
}

/* The text of Keys/@name (a new string), or NULL. */
static char *
entry_text(MeshHive *hive, const char *name, const char *suffix)
{
	g_autofree char *full = g_strconcat(name, suffix, NULL);
	g_autoptr(GBytes) data = NULL;

	if (!mesh_hive_read(hive, MESH_HIVE_KEYS, full, 1 << 20, &data, NULL))
		return NULL;
	return g_strndup(g_bytes_get_data(data, NULL), g_bytes_get_size(data));
}

static void
put_entry(MeshHive *hive, const char *name, const char *suffix, const char *text)
{
	g_autofree char *full = g_strconcat(name, suffix, NULL);

	CU_ASSERT_TRUE(mesh_hive_write(hive, MESH_HIVE_KEYS, full, (const guint8 *)text,
				       strlen(text), NULL));
}

static MeshSecret *
pass(const char *s)
{
	return mesh_secret_new_from_data(s, strlen(s));
}

static MeshKeyInfo *
find_info(GPtrArray *infos, const char *udf)
{
	for (guint i = 0; i < infos->len; i++) {
		MeshKeyInfo *info = g_ptr_array_index(infos, i);

		if (strcmp(info->udf, udf) == 0)
			return info;
	}
	return NULL;
}

static gboolean
is_locked(MeshKeyStore *store, const char *udf)
{
	g_autoptr(GPtrArray) infos = NULL;
	MeshKeyInfo *info;

	CU_ASSERT_TRUE_FATAL(mesh_keystore_list(store, &infos, NULL));
	info = find_info(infos, udf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(info);
	return info->locked;
}

/* The key works: signatures verify under its public key, or agreement matches the peer's. */
static void
assert_usable(MeshKeyStore *store, const MeshKey *pub)
{
	GError *error = NULL;
	static const guint8 msg[] = "file store";
	const char *udf = mesh_key_udf(pub);

	if (mesh_key_alg(pub) != MESH_KEY_X25519) {
		g_autoptr(GBytes) sig = NULL;

		CU_ASSERT_TRUE(mesh_keystore_sign(store, udf, msg, sizeof msg, &sig, &error));
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_EQUAL(g_bytes_get_size(sig), MESH_KEY_SIGNATURE_LEN);
		CU_ASSERT_TRUE(mesh_key_verify(pub, msg, sizeof msg, g_bytes_get_data(sig, NULL),
					       g_bytes_get_size(sig), &error));
		MESH_ASSERT_NO_ERROR(error);
	}
	if (mesh_key_alg(pub) != MESH_KEY_ED25519) {
		g_autoptr(MeshKey) peer = mesh_key_generate(mesh_key_alg(pub), &error);
		g_autoptr(MeshSecret) ours = NULL;
		g_autoptr(MeshSecret) theirs = mesh_key_agree(peer, pub, &error);
		g_autoptr(MeshKey) peer_pub = mesh_key_get_public(peer, &error);

		CU_ASSERT_TRUE(mesh_keystore_agree(store, udf, peer_pub, &ours, &error));
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_TRUE(mesh_secret_equal(ours, theirs));
	}
}

static void
test_caps(void)
{
	GError *error = NULL;
	g_autoptr(MeshHive) hive = mem_hive_new();
	g_autoptr(MeshKeyStore) store = mesh_keystore_file_new(hive, &error);
	unsigned caps = mesh_keystore_caps(store);

	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(mesh_keystore_name(store), "file");
	CU_ASSERT_TRUE(caps & MESH_KEYSTORE_CAP_ED25519);
	CU_ASSERT_TRUE(caps & MESH_KEYSTORE_CAP_X25519);
	CU_ASSERT_TRUE(caps & MESH_KEYSTORE_CAP_P256);
	CU_ASSERT_TRUE(caps & MESH_KEYSTORE_CAP_NEEDS_UNLOCK);
	CU_ASSERT_FALSE(caps & MESH_KEYSTORE_CAP_NONEXPORTABLE);
	CU_ASSERT_FALSE(caps & MESH_KEYSTORE_CAP_HARDWARE);
	CU_ASSERT_PTR_NULL(mesh_keystore_file_new(NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	mesh_keystore_close(NULL);
}

static void
test_generate_unprotected(void)
{
	GError *error = NULL;
	g_autoptr(MeshHive) hive = mem_hive_new();
	g_autoptr(MeshKeyStore) store = mesh_keystore_file_new(hive, &error);
	const struct {
		MeshKeyAlg alg;
		MeshKeyUse use;
		const char *priv_begin, *pub_begin, *meta;
	} cases[] = {
		{ MESH_KEY_ED25519, MESH_KEY_USE_SIGNATURE, "-----BEGIN OPENSSH PRIVATE KEY-----\n",
		  "---- BEGIN SSH2 PUBLIC KEY ----\n",
		  "{\"Use\":\"Signature\",\"Algorithm\":\"Ed25519\",\"Protected\":false}" },
		{ MESH_KEY_P256, MESH_KEY_USE_AUTHENTICATION,
		  "-----BEGIN OPENSSH PRIVATE KEY-----\n",
		  "---- BEGIN SSH2 PUBLIC KEY ----\n",
		  "{\"Use\":\"Authentication\",\"Algorithm\":\"P-256\",\"Protected\":false}" },
		{ MESH_KEY_X25519, MESH_KEY_USE_ENCRYPTION, "-----BEGIN PRIVATE KEY-----\n",
		  "-----BEGIN PUBLIC KEY-----\n",
		  "{\"Use\":\"Encryption\",\"Algorithm\":\"X25519\",\"Protected\":false}" },
	};
	g_autoptr(GPtrArray) infos = NULL;

	for (gsize c = 0; c < G_N_ELEMENTS(cases); c++) {
		g_autoptr(MeshKey) pub = NULL;
		g_autoptr(MeshKey) again = NULL;
		g_autoptr(MeshKey) priv = NULL;
		g_autofree char *priv_text = NULL;
		g_autofree char *pub_text = NULL;
		g_autofree char *meta_text = NULL;
		const char *udf;

		CU_ASSERT_TRUE(mesh_keystore_generate(store, cases[c].alg, cases[c].use, NULL, &pub,
						      &error));
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_FALSE(mesh_key_is_private(pub));
		CU_ASSERT_EQUAL(mesh_key_alg(pub), cases[c].alg);
		udf = mesh_key_udf(pub);
		priv_text = entry_text(hive, udf, "");
		pub_text = entry_text(hive, udf, ".pub");
		meta_text = entry_text(hive, udf, ".meta");
		CU_ASSERT_TRUE(g_str_has_prefix(priv_text, cases[c].priv_begin));
		CU_ASSERT_TRUE(g_str_has_prefix(pub_text, cases[c].pub_begin));
		CU_ASSERT_STRING_EQUAL(meta_text, cases[c].meta);
		CU_ASSERT_TRUE(mesh_keystore_get_public(store, udf, &again, &error));
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_TRUE(mesh_key_equal_public(pub, again));
		CU_ASSERT_TRUE(mesh_keystore_export_private(store, udf, &priv, &error));
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_TRUE(mesh_key_is_private(priv));
		CU_ASSERT_TRUE(mesh_key_equal_public(pub, priv));
		assert_usable(store, pub);
		CU_ASSERT_FALSE(is_locked(store, udf));
		/* OpenSSH keys carry the UDF as comment and decode with the codec */
		if (cases[c].alg != MESH_KEY_X25519) {
			g_autofree char *comment = NULL;
			g_autoptr(MeshKey) decoded = NULL;

			CU_ASSERT_TRUE(mesh_openssh_private_decode(priv_text, strlen(priv_text),
								   NULL, 0, &decoded, &comment,
								   &error));
			CU_ASSERT_STRING_EQUAL(comment, udf);
			CU_ASSERT_PTR_NOT_NULL(strstr(pub_text, udf));
		}
	}
	CU_ASSERT_TRUE(mesh_keystore_list(store, &infos, &error));
	CU_ASSERT_EQUAL(infos->len, 3);
	for (guint i = 0; i < infos->len; i++) {
		MeshKeyInfo *info = g_ptr_array_index(infos, i);

		for (gsize c = 0; c < G_N_ELEMENTS(cases); c++) {
			if (info->alg == cases[c].alg)
				CU_ASSERT_EQUAL(info->use, cases[c].use);
		}
		CU_ASSERT_FALSE(info->locked);
	}
}

static void
test_protected(void)
{
	GError *error = NULL;
	g_autoptr(MeshHive) hive = mem_hive_new();
	g_autoptr(MeshKeyStore) store = mesh_keystore_file_new(hive, &error);
	g_autoptr(MeshSecret) good = pass("open sesame");
	g_autoptr(MeshSecret) bad = pass("open says me");
	const MeshKeyAlg algs[] = { MESH_KEY_ED25519, MESH_KEY_P256, MESH_KEY_X25519 };
	MeshKey *pubs[3] = { NULL };
	static const guint8 msg[] = "m";

	for (gsize a = 0; a < G_N_ELEMENTS(algs); a++) {
		g_autofree char *priv_text = NULL;
		g_autofree char *meta_text = NULL;
		MeshKeyUse use = algs[a] == MESH_KEY_X25519 ? MESH_KEY_USE_ENCRYPTION
							    : MESH_KEY_USE_SIGNATURE;

		CU_ASSERT_TRUE(mesh_keystore_generate(store, algs[a], use, good, &pubs[a], &error));
		MESH_ASSERT_NO_ERROR(error);
		priv_text = entry_text(hive, mesh_key_udf(pubs[a]), "");
		meta_text = entry_text(hive, mesh_key_udf(pubs[a]), ".meta");
		CU_ASSERT_PTR_NOT_NULL(strstr(meta_text, "\"Protected\":true"));
		if (algs[a] == MESH_KEY_X25519) {
			CU_ASSERT_TRUE(g_str_has_prefix(priv_text,
							"-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
		} else {
			g_autoptr(MeshKey) k = NULL;

			/* really encrypted: the codec wants the passphrase */
			CU_ASSERT_FALSE(mesh_openssh_private_decode(priv_text, strlen(priv_text),
								    NULL, 0, &k, NULL, &error));
			MESH_ASSERT_ERROR(error, MESH_ERROR_LOCKED);
		}
		/* usable right away: the caller just gave the passphrase */
		CU_ASSERT_FALSE(is_locked(store, mesh_key_udf(pubs[a])));
		assert_usable(store, pubs[a]);
	}
	mesh_keystore_lock(store);
	for (gsize a = 0; a < G_N_ELEMENTS(algs); a++) {
		g_autoptr(GBytes) sig = NULL;
		g_autoptr(MeshKey) pub = NULL;
		g_autoptr(MeshKey) priv = NULL;

		CU_ASSERT_TRUE(is_locked(store, mesh_key_udf(pubs[a])));
		CU_ASSERT_FALSE(mesh_keystore_sign(store, mesh_key_udf(pubs[a]), msg, sizeof msg,
						   &sig, &error));
		CU_ASSERT_PTR_NOT_NULL_FATAL(error);
		CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "mesh unlock"));
		MESH_ASSERT_ERROR(error, MESH_ERROR_LOCKED);
		CU_ASSERT_FALSE(mesh_keystore_export_private(store, mesh_key_udf(pubs[a]), &priv,
							     &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_LOCKED);
		/* the public key needs no passphrase */
		CU_ASSERT_TRUE(
			mesh_keystore_get_public(store, mesh_key_udf(pubs[a]), &pub, &error));
		MESH_ASSERT_NO_ERROR(error);
	}
	CU_ASSERT_FALSE(mesh_keystore_unlock(store, bad, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_BAD_PASSPHRASE);
	CU_ASSERT_FALSE(mesh_keystore_unlock(store, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	for (gsize a = 0; a < G_N_ELEMENTS(algs); a++)
		CU_ASSERT_TRUE(is_locked(store, mesh_key_udf(pubs[a])));
	CU_ASSERT_TRUE(mesh_keystore_unlock(store, good, &error));
	MESH_ASSERT_NO_ERROR(error);
	for (gsize a = 0; a < G_N_ELEMENTS(algs); a++) {
		CU_ASSERT_FALSE(is_locked(store, mesh_key_udf(pubs[a])));
		assert_usable(store, pubs[a]);
		mesh_key_unref(pubs[a]);
	}
}

static void
test_unlock_all_or_nothing(void)
{
	GError *error = NULL;
	g_autoptr(MeshHive) hive = mem_hive_new();
	g_autoptr(MeshKeyStore) store = mesh_keystore_file_new(hive, &error);
	g_autoptr(MeshSecret) a = pass("first");
	g_autoptr(MeshSecret) b = pass("second");
	g_autoptr(MeshKey) ka = NULL;
	g_autoptr(MeshKey) kb = NULL;
	g_autoptr(MeshKey) plain = NULL;

	CU_ASSERT_TRUE(mesh_keystore_generate(store, MESH_KEY_ED25519, MESH_KEY_USE_SIGNATURE, a,
					      &ka, &error));
	CU_ASSERT_TRUE(mesh_keystore_generate(store, MESH_KEY_X25519, MESH_KEY_USE_ENCRYPTION, b,
					      &kb, &error));
	CU_ASSERT_TRUE(mesh_keystore_generate(store, MESH_KEY_P256, MESH_KEY_USE_SIGNATURE, NULL,
					      &plain, &error));
	MESH_ASSERT_NO_ERROR(error);
	mesh_keystore_lock(store);
	/* "first" opens one key but not the other: nothing is unlocked */
	CU_ASSERT_FALSE(mesh_keystore_unlock(store, a, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_BAD_PASSPHRASE);
	CU_ASSERT_TRUE(is_locked(store, mesh_key_udf(ka)));
	CU_ASSERT_TRUE(is_locked(store, mesh_key_udf(kb)));
	/* unprotected keys work throughout */
	CU_ASSERT_FALSE(is_locked(store, mesh_key_udf(plain)));
	assert_usable(store, plain);
}

static void
test_import_remove(void)
{
	GError *error = NULL;
	g_autoptr(MeshHive) hive = mem_hive_new();
	g_autoptr(MeshKeyStore) store = mesh_keystore_file_new(hive, &error);
	g_autoptr(MeshKey) key = mesh_key_generate(MESH_KEY_P256, &error);
	g_autoptr(MeshKey) pub = mesh_key_get_public(key, &error);
	g_autoptr(MeshKey) back = NULL;
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GPtrArray) infos = NULL;
	g_autoptr(GBytes) sig = NULL;
	const char *udf = mesh_key_udf(key);

	CU_ASSERT_TRUE(mesh_keystore_import(store, key, MESH_KEY_USE_AUTHENTICATION, NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(
		mesh_keystore_import(store, key, MESH_KEY_USE_AUTHENTICATION, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_EXISTS);
	CU_ASSERT_FALSE(mesh_keystore_import(store, pub, MESH_KEY_USE_SIGNATURE, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_keystore_import(store, key, (MeshKeyUse)9, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_TRUE(mesh_keystore_export_private(store, udf, &back, &error));
	CU_ASSERT_TRUE(mesh_key_equal_public(key, back));
	CU_ASSERT_TRUE(mesh_keystore_remove(store, udf, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_hive_list(hive, MESH_HIVE_KEYS, &names, &error));
	CU_ASSERT_EQUAL(names->len, 0);
	CU_ASSERT_TRUE(mesh_keystore_list(store, &infos, &error));
	CU_ASSERT_EQUAL(infos->len, 0);
	CU_ASSERT_FALSE(mesh_keystore_remove(store, udf, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_FALSE(mesh_keystore_sign(store, udf, (const guint8 *)"x", 1, &sig, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	/* a protected import is usable until lock, then needs unlock */
	{
		g_autoptr(MeshSecret) p = pass("pw");

		CU_ASSERT_TRUE(mesh_keystore_import(store, key, MESH_KEY_USE_SIGNATURE, p, &error));
		assert_usable(store, pub);
		mesh_keystore_lock(store);
		CU_ASSERT_TRUE(is_locked(store, udf));
		CU_ASSERT_TRUE(mesh_keystore_remove(store, udf, &error));
		MESH_ASSERT_NO_ERROR(error);
	}
}

static void
test_failed_write_leaves_nothing(void)
{
	GError *error = NULL;
	g_autoptr(MeshHive) hive = mem_hive_new();
	g_autoptr(MeshKeyStore) store = mesh_keystore_file_new(hive, &error);
	g_autoptr(MeshKey) pub = NULL;
	g_autoptr(GPtrArray) names = NULL;

	for (int n = 0; n < 3; n++) {
		((MemHive *)hive)->fail_writes_after = n;
		CU_ASSERT_FALSE(mesh_keystore_generate(store, MESH_KEY_ED25519,
						       MESH_KEY_USE_SIGNATURE, NULL, &pub, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_IO);
		CU_ASSERT_PTR_NULL(pub);
	}
	CU_ASSERT_TRUE(mesh_hive_list(hive, MESH_HIVE_KEYS, &names, &error));
	CU_ASSERT_EQUAL(names->len, 0);
}

static void
test_bad_entries(void)
{
	GError *error = NULL;
	g_autoptr(MeshHive) hive = mem_hive_new();
	g_autoptr(MeshKeyStore) store = mesh_keystore_file_new(hive, &error);
	g_autoptr(MeshKey) a = NULL;
	g_autoptr(MeshKey) b = NULL;
	g_autoptr(MeshKey) out = NULL;
	g_autoptr(GBytes) sig = NULL;
	g_autoptr(GPtrArray) infos = NULL;
	g_autofree char *b_priv = NULL;
	g_autofree char *b_pub = NULL;
	const char *bad_names[] = { "../x", "a.pub", "", ".meta", "a/b" };

	CU_ASSERT_TRUE(mesh_keystore_generate(store, MESH_KEY_ED25519, MESH_KEY_USE_SIGNATURE, NULL,
					      &a, &error));
	CU_ASSERT_TRUE(mesh_keystore_generate(store, MESH_KEY_ED25519, MESH_KEY_USE_SIGNATURE, NULL,
					      &b, &error));
	MESH_ASSERT_NO_ERROR(error);
	for (gsize i = 0; i < G_N_ELEMENTS(bad_names); i++) {
		CU_ASSERT_FALSE(mesh_keystore_sign(store, bad_names[i], (const guint8 *)"x", 1,
						   &sig, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	}
	CU_ASSERT_FALSE(mesh_keystore_get_public(store, NULL, &out, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	/* b's files under a's name: refused, not used */
	b_priv = entry_text(hive, mesh_key_udf(b), "");
	b_pub = entry_text(hive, mesh_key_udf(b), ".pub");
	put_entry(hive, mesh_key_udf(a), "", b_priv);
	put_entry(hive, mesh_key_udf(a), ".pub", b_pub);
	CU_ASSERT_FALSE(mesh_keystore_sign(store, mesh_key_udf(a), (const guint8 *)"x", 1, &sig,
					   &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	CU_ASSERT_FALSE(mesh_keystore_get_public(store, mesh_key_udf(a), &out, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	/* damaged files */
	put_entry(hive, mesh_key_udf(a), "", "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n");
	CU_ASSERT_FALSE(mesh_keystore_sign(store, mesh_key_udf(a), (const guint8 *)"x", 1, &sig,
					   &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	put_entry(hive, mesh_key_udf(a), ".meta", "{\"Use\":\"Signature\"}");
	CU_ASSERT_FALSE(mesh_keystore_list(store, &infos, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	put_entry(hive, mesh_key_udf(a), ".meta",
		  "{\"Use\":\"Signature\",\"Algorithm\":\"Ed25519\",\"Protected\":\"no\"}");
	CU_ASSERT_FALSE(mesh_keystore_get_public(store, mesh_key_udf(a), &out, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	put_entry(hive, mesh_key_udf(a), ".meta", "not json");
	CU_ASSERT_FALSE(mesh_keystore_get_public(store, mesh_key_udf(a), &out, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	/* the X25519 PKCS#8 file damaged */
	{
		g_autoptr(MeshKey) x = NULL;
		g_autoptr(MeshKey) peer = mesh_key_generate(MESH_KEY_X25519, &error);
		g_autoptr(MeshSecret) z = NULL;

		CU_ASSERT_TRUE(mesh_keystore_generate(store, MESH_KEY_X25519,
						      MESH_KEY_USE_ENCRYPTION, NULL, &x, &error));
		put_entry(hive, mesh_key_udf(x), "", "-----BEGIN PRIVATE KEY-----\nAAAA\n");
		CU_ASSERT_FALSE(mesh_keystore_agree(store, mesh_key_udf(x), peer, &z, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
		put_entry(hive, mesh_key_udf(x), ".pub", "-----BEGIN PUBLIC KEY-----\nAAAA\n");
		CU_ASSERT_FALSE(mesh_keystore_get_public(store, mesh_key_udf(x), &out, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	}
}

static void
test_reopen(void)
{
	GError *error = NULL;
	g_autoptr(MeshHive) hive = mem_hive_new();
	g_autoptr(MeshSecret) p = pass("pw");
	g_autoptr(MeshKey) prot = NULL;
	g_autoptr(MeshKey) plain = NULL;

	{
		g_autoptr(MeshKeyStore) store = mesh_keystore_file_new(hive, &error);

		CU_ASSERT_TRUE(mesh_keystore_generate(store, MESH_KEY_ED25519,
						      MESH_KEY_USE_SIGNATURE, p, &prot, &error));
		CU_ASSERT_TRUE(mesh_keystore_generate(store, MESH_KEY_X25519,
						      MESH_KEY_USE_ENCRYPTION, NULL, &plain,
						      &error));
		MESH_ASSERT_NO_ERROR(error);
	}
	{
		g_autoptr(MeshKeyStore) store = mesh_keystore_file_new(hive, &error);

		CU_ASSERT_TRUE(is_locked(store, mesh_key_udf(prot)));
		assert_usable(store, plain);
		CU_ASSERT_TRUE(mesh_keystore_unlock(store, p, &error));
		MESH_ASSERT_NO_ERROR(error);
		assert_usable(store, prot);
	}
}

/* ---- The real directory hive ------------------------------------------------------------ */

static void
test_directory_hive(void)
{
	GError *error = NULL;
	g_autofree char *root = g_dir_make_tmp("mesh-keystore-XXXXXX", &error);
	g_autoptr(MeshHive) hive = NULL;
	g_autoptr(MeshKeyStore) store = NULL;
	g_autoptr(MeshKey) pub = NULL;
	g_autofree char *path = NULL;
	g_autofree char *text = NULL;
	GStatBuf st;

	MESH_ASSERT_NO_ERROR(error);
	g_chmod(root, 0700);
	hive = mesh_hive_open(MESH_HIVE_TEST, root, &error);
	MESH_ASSERT_NO_ERROR(error);
	store = mesh_keystore_file_new(hive, &error);
	CU_ASSERT_TRUE(mesh_keystore_generate(store, MESH_KEY_ED25519, MESH_KEY_USE_AUTHENTICATION,
					      NULL, &pub, &error));
	MESH_ASSERT_NO_ERROR(error);
	path = g_build_filename(root, "CryptoMesh", "Keys", mesh_key_udf(pub), NULL);
	CU_ASSERT_TRUE(g_file_get_contents(path, &text, NULL, NULL));
	CU_ASSERT_TRUE(g_str_has_prefix(text, "-----BEGIN OPENSSH PRIVATE KEY-----\n"));
	CU_ASSERT_EQUAL(g_stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	assert_usable(store, pub);
	CU_ASSERT_TRUE(mesh_keystore_remove(store, mesh_key_udf(pub), &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(g_file_test(path, G_FILE_TEST_EXISTS));
	g_clear_pointer(&store, mesh_keystore_close);
	g_clear_pointer(&hive, mesh_hive_close);
	/* the hive's folders are empty now: remove the tree */
	for (int f = 0; f < MESH_HIVE_N_FOLDERS; f++) {
		g_autofree char *dir = g_build_filename(root, "CryptoMesh",
							mesh_hive_folder_name((MeshHiveFolder)f),
							NULL);
		g_rmdir(dir);
	}
	{
		g_autofree char *dir = g_build_filename(root, "CryptoMesh", NULL);

		g_rmdir(dir);
	}
	CU_ASSERT_EQUAL(g_rmdir(root), 0);
}

/* An algorithm that cannot serve the use is refused by generate and import, and nothing is
 * stored. */
static void
test_alg_fits_use(void)
{
	GError *error = NULL;
	g_autoptr(MeshHive) hive = mem_hive_new();
	g_autoptr(MeshKeyStore) store = mesh_keystore_file_new(hive, &error);
	g_autoptr(MeshKey) pub = NULL;
	g_autoptr(MeshKey) ed = mesh_key_generate(MESH_KEY_ED25519, NULL);
	g_autoptr(MeshKey) x = mesh_key_generate(MESH_KEY_X25519, NULL);
	g_autoptr(GPtrArray) infos = NULL;

	CU_ASSERT_FALSE(mesh_keystore_generate(store, MESH_KEY_ED25519, MESH_KEY_USE_ENCRYPTION,
					       NULL, &pub, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_keystore_generate(store, MESH_KEY_X25519, MESH_KEY_USE_SIGNATURE, NULL,
					       &pub, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_keystore_import(store, ed, MESH_KEY_USE_ENCRYPTION, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_keystore_import(store, x, MESH_KEY_USE_AUTHENTICATION, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(pub);
	CU_ASSERT_TRUE(mesh_keystore_list(store, &infos, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(infos->len, 0);
	/* P-256 serves both. */
	CU_ASSERT_TRUE(mesh_keystore_generate(store, MESH_KEY_P256, MESH_KEY_USE_ENCRYPTION, NULL,
					      &pub, &error));
	MESH_ASSERT_NO_ERROR(error);
}

static CU_TestInfo tests[] = {
	{ "an algorithm that cannot serve the use is refused", test_alg_fits_use },
	{ "name and capabilities", test_caps },
	{ "generate, files, use, list: Ed25519, P-256, X25519", test_generate_unprotected },
	{ "protected keys: locked, unlock, wrong passphrase", test_protected },
	{ "unlock is all or nothing", test_unlock_all_or_nothing },
	{ "import, exists, remove", test_import_remove },
	{ "a failed write leaves no entries", test_failed_write_leaves_nothing },
	{ "bad names, swapped and damaged entries", test_bad_entries },
	{ "keys survive closing the store", test_reopen },
	{ "over the real directory hive", test_directory_hive },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("keystore-file", tests);
}
