/* SPDX-License-Identifier: MIT */
/*
 * test-dpapi-tamper ROOT: the dpapi key store (windows/dpapistore.h) refuses what was changed in
 * the hive: a blob with one bit flipped, a blob moved to another key's entry (the entropy names the
 * UDF), a marker whose public key is another key's; and the blob does not hold the private key
 * in the clear. Checks print "ok   - ..." or "FAIL - ..."; the exit status is 1 when one failed.
 */
#include <stdio.h>
#include <string.h>

#include "../check.h"
#include "dpapistore.h"
#include "error.h"
#include "hive.h"
#include "keystore.h"

/* Signing with @udf fails with @code and a message naming @entry; prints the message. */
static void
check_refused(MeshKeyStore *store, const char *udf, MeshError code, const char *entry,
              const char *what)
{
	static const guint8 msg[] = "tampered";
	g_autoptr(GBytes) sig = NULL;
	g_autoptr(GError) error = NULL;
	gboolean refused = !mesh_keystore_sign(store, udf, msg, sizeof msg, &sig, &error);
	gboolean ok = refused && g_error_matches(error, MESH_ERROR, (int)code) &&
	              strstr(error->message, entry) != NULL;

	check(ok, what, ok ? NULL : error);
	if (ok)
		printf("#      %s\n", error->message);
}

static gboolean
signs(MeshKeyStore *store, const MeshKey *pub, GError **error)
{
	static const guint8 msg[] = "intact";
	g_autoptr(GBytes) sig = NULL;

	return mesh_keystore_sign(store, mesh_key_udf(pub), msg, sizeof msg, &sig, error) &&
	       mesh_key_verify(pub, msg, sizeof msg, g_bytes_get_data(sig, NULL),
	                       g_bytes_get_size(sig), error);
}

static GBytes *
read_entry(MeshHive *hive, const char *udf, const char *suffix)
{
	g_autofree char *name = g_strconcat(udf, suffix, NULL);
	GBytes *data = NULL;

	if (!mesh_hive_read(hive, MESH_HIVE_KEYS, name, 64 * 1024, &data, NULL))
		return NULL;
	return data;
}

static gboolean
write_entry(MeshHive *hive, const char *udf, const char *suffix, GBytes *data)
{
	g_autofree char *name = g_strconcat(udf, suffix, NULL);

	return mesh_hive_write(hive, MESH_HIVE_KEYS, name, g_bytes_get_data(data, NULL),
	                       g_bytes_get_size(data), NULL);
}

static gboolean
contains(GBytes *haystack, const guint8 *needle, gsize len)
{
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(haystack, &size);

	for (gsize i = 0; i + len <= size; i++) {
		if (memcmp(data + i, needle, len) == 0)
			return TRUE;
	}
	return FALSE;
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MeshHive) hive = NULL;
	g_autoptr(MeshKeyStore) store = NULL;
	g_autoptr(MeshKey) a = NULL, b = NULL, priv = NULL;
	g_autoptr(MeshSecret) raw = NULL;
	g_autoptr(GBytes) blob_a = NULL, blob_b = NULL, meta_a = NULL, meta_b = NULL;
	g_autofree char *entry_a = NULL, *entry_b = NULL;
	guint8 *flipped;
	gsize len;

	if (argc != 2) {
		fprintf(stderr, "usage: test-dpapi-tamper ROOT\n");
		return 2;
	}
	hive = mesh_hive_open(MESH_HIVE_TEST, argv[1], &error);
	store = hive != NULL ? mesh_keystore_dpapi_new(hive, &error) : NULL;
	check(store != NULL &&
	              mesh_keystore_generate(store, MESH_KEY_ED25519, MESH_KEY_USE_SIGNATURE, NULL,
	                                     &a, &error) &&
	              mesh_keystore_generate(store, MESH_KEY_ED25519, MESH_KEY_USE_SIGNATURE, NULL,
	                                     &b, &error),
	      "dpapi: two Ed25519 keys", error);
	if (b == NULL)
		return 1;
	entry_a = g_strconcat(mesh_key_udf(a), ".dpapi", NULL);
	entry_b = g_strconcat(mesh_key_udf(b), ".dpapi", NULL);
	blob_a = read_entry(hive, mesh_key_udf(a), ".dpapi");
	blob_b = read_entry(hive, mesh_key_udf(b), ".dpapi");
	meta_a = read_entry(hive, mesh_key_udf(a), ".dpapi-meta");
	meta_b = read_entry(hive, mesh_key_udf(b), ".dpapi-meta");
	check(blob_a != NULL && blob_b != NULL && meta_a != NULL && meta_b != NULL,
	      "each key has its .dpapi blob and .dpapi-meta marker in Keys", NULL);
	if (meta_b == NULL)
		return 1;

	/* The blob is DPAPI's, not the key. */
	check(mesh_keystore_export_private(store, mesh_key_udf(a), &priv, &error) &&
	              (raw = mesh_key_to_raw_private(priv, &error)) != NULL &&
	              !contains(blob_a, mesh_secret_get(raw), mesh_secret_len(raw)),
	      "the blob does not hold the private key in the clear", error);

	/* One bit flipped in the ciphertext: 32 bytes before the end is inside it on Wine (SHA-1
	 * HMAC) and inside the HMAC on Windows (SHA-512): either way the blob must not open. */
	len = g_bytes_get_size(blob_a);
	flipped = g_memdup2(g_bytes_get_data(blob_a, NULL), len);
	flipped[len - 32] ^= 0x01;
	{
		g_autoptr(GBytes) bad = g_bytes_new_take(flipped, len);

		check(write_entry(hive, mesh_key_udf(a), ".dpapi", bad),
		      "a bit of A's blob flipped", NULL);
	}
	check_refused(store, mesh_key_udf(a), MESH_ERROR_DECRYPT, entry_a,
	              "a flipped blob does not load: DecryptFailed naming the entry");
	/* Every byte in turn: the blob does not open (or opens to bytes the store refuses), or
	 * opens to the same key (Wine's DPAPI leaves some header bytes outside its HMAC): a
	 * signature made is always one of A's. */
	{
		guint opened = 0, refused = 0, other = 0;

		for (gsize i = 0; i < len; i++) {
			guint8 *copy = g_memdup2(g_bytes_get_data(blob_a, NULL), len);
			g_autoptr(GBytes) bad = NULL;
			g_autoptr(GError) local = NULL;

			copy[i] ^= 0x80;
			bad = g_bytes_new_take(copy, len);
			if (!write_entry(hive, mesh_key_udf(a), ".dpapi", bad))
				other++;
			else if (signs(store, a, &local))
				opened++;
			else if (g_error_matches(local, MESH_ERROR, MESH_ERROR_DECRYPT) ||
			         g_error_matches(local, MESH_ERROR, MESH_ERROR_MALFORMED))
				refused++; /* MALFORMED: opened to bytes that are not A's key */
			else
				other++;
		}
		printf("#      %u bytes flipped one by one: %u refused, %u opened to the same "
		       "key, %u other\n",
		       (guint)len, refused, opened, other);
		check(other == 0 && refused > len / 2,
		      "a blob with any byte changed never loads another key", NULL);
	}
	check(write_entry(hive, mesh_key_udf(a), ".dpapi", blob_a) && signs(store, a, &error),
	      "the blob put back, A signs again", error);

	/* A's blob in B's entry: DPAPI refuses it, the entropy names B. */
	check(write_entry(hive, mesh_key_udf(b), ".dpapi", blob_a), "A's blob moved to B's entry",
	      NULL);
	check_refused(store, mesh_key_udf(b), MESH_ERROR_DECRYPT, entry_b,
	              "a blob moved to another key's entry is refused: DecryptFailed");
	check(write_entry(hive, mesh_key_udf(b), ".dpapi", blob_b) && signs(store, b, &error),
	      "B's own blob back, B signs", error);

	/* A's marker under B's name: its public key is not B's. */
	check(write_entry(hive, mesh_key_udf(b), ".dpapi-meta", meta_a),
	      "A's marker under B's name", NULL);
	check_refused(store, mesh_key_udf(b), MESH_ERROR_MALFORMED, mesh_key_udf(b),
	              "a marker naming another key is refused: Malformed");
	check(write_entry(hive, mesh_key_udf(b), ".dpapi-meta", meta_b) && signs(store, b, &error),
	      "B's marker back, B signs", error);

	printf("dpapi-tamper: %d failed\n", check_failed);
	return check_failed > 0 ? 1 : 0;
}
