/* SPDX-License-Identifier: MIT */
/*
 * keystore-tool: drives the file key store and the OpenSSH codec for keys-openssh.sh.
 *
 *   keystore-tool generate ROOT ed25519|p256 [PASSPHRASE]   new key in ROOT's test hive; prints
 *                                                           its UDF
 *   keystore-tool public ROOT UDF                           the store's public key as
 *                                                           "<type> <base64>"
 *   keystore-tool decode FILE [PASSPHRASE]                  an OpenSSH private key file through
 *                                                           the codec: "<type> <base64>"
 *   keystore-tool sign-verify FILE PUBFILE [PASSPHRASE]     sign with FILE's key, verify with
 *                                                           the key line in PUBFILE: "ok"
 *   keystore-tool import ROOT FILE [PASSPHRASE]             FILE's key into the store, protected
 *                                                           by PASSPHRASE; signs through the
 *                                                           store; prints the UDF
 *
 * Exit status: 0, or the MeshError code with its message on stderr.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "file.h"
#include "hive.h"
#include "keystore.h"
#include "openssh.h"

static MeshSecret *
passphrase_arg(int argc, char **argv, int index)
{
	if (argc <= index)
		return NULL;
	return mesh_secret_new_from_data(argv[index], strlen(argv[index]));
}

/* "<type> <base64>" without the comment or newline. */
static char *
key_words(const MeshKey *key, GError **error)
{
	char *line = mesh_ssh_public_file_line(key, NULL, error);

	if (line != NULL)
		g_strchomp(line);
	return line;
}

static MeshKey *
read_private_file(const char *path, const MeshSecret *passphrase, GError **error)
{
	g_autofree char *text = NULL;
	gsize len;
	MeshKey *key = NULL;

	if (!g_file_get_contents(path, &text, &len, NULL)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot read %s", path);
		return NULL;
	}
	if (!mesh_openssh_private_decode(text, len, passphrase, 0, &key, NULL, error))
		key = NULL;
	OPENSSL_cleanse(text, len);
	return key;
}

static gboolean
sign_and_verify(MeshKeyStore *store, const MeshKey *key, const MeshKey *pub, GError **error)
{
	static const guint8 msg[] = "keys-openssh";
	g_autoptr(GBytes) sig = NULL;

	if (store != NULL) {
		if (!mesh_keystore_sign(store, mesh_key_udf(pub), msg, sizeof msg, &sig, error))
			return FALSE;
	} else {
		sig = mesh_key_sign(key, msg, sizeof msg, error);
		if (sig == NULL)
			return FALSE;
	}
	return mesh_key_verify(pub, msg, sizeof msg, g_bytes_get_data(sig, NULL),
			       g_bytes_get_size(sig), error);
}

static MeshKeyStore *
open_store(const char *root, MeshHive **ret_hive, GError **error)
{
	MeshHive *hive = mesh_hive_open(MESH_HIVE_TEST, root, error);
	MeshKeyStore *store;

	if (hive == NULL)
		return NULL;
	store = mesh_keystore_file_new(hive, error);
	if (store == NULL) {
		mesh_hive_close(hive);
		return NULL;
	}
	*ret_hive = hive;
	return store;
}

static gboolean
run(int argc, char **argv, GError **error)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	g_autoptr(MeshHive) hive = NULL;
	g_autoptr(MeshKeyStore) store = NULL;
	g_autoptr(MeshKey) key = NULL;
	g_autoptr(MeshKey) pub = NULL;
	g_autofree char *out = NULL;

	if (strcmp(cmd, "generate") == 0 && argc >= 4) {
		g_autoptr(MeshSecret) pass = passphrase_arg(argc, argv, 4);
		MeshKeyAlg alg = strcmp(argv[3], "p256") == 0 ? MESH_KEY_P256 : MESH_KEY_ED25519;

		store = open_store(argv[2], &hive, error);
		if (store == NULL ||
		    !mesh_keystore_generate(store, alg, MESH_KEY_USE_AUTHENTICATION, pass, &pub,
					    error))
			return FALSE;
		out = g_strdup(mesh_key_udf(pub));
	} else if (strcmp(cmd, "public") == 0 && argc == 4) {
		store = open_store(argv[2], &hive, error);
		if (store == NULL || !mesh_keystore_get_public(store, argv[3], &pub, error))
			return FALSE;
		out = key_words(pub, error);
	} else if (strcmp(cmd, "decode") == 0 && argc >= 3) {
		g_autoptr(MeshSecret) pass = passphrase_arg(argc, argv, 3);

		key = read_private_file(argv[2], pass, error);
		out = key != NULL ? key_words(key, error) : NULL;
	} else if (strcmp(cmd, "sign-verify") == 0 && argc >= 4) {
		g_autoptr(MeshSecret) pass = passphrase_arg(argc, argv, 4);
		g_autofree char *line = NULL;
		gsize len;

		key = read_private_file(argv[2], pass, error);
		if (key == NULL)
			return FALSE;
		if (!g_file_get_contents(argv[3], &line, &len, NULL)) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot read %s", argv[3]);
			return FALSE;
		}
		pub = mesh_ssh_public_file_line_decode(line, len, NULL, error);
		if (pub == NULL || !sign_and_verify(NULL, key, pub, error))
			return FALSE;
		out = g_strdup("ok");
	} else if (strcmp(cmd, "import") == 0 && argc >= 4) {
		g_autoptr(MeshSecret) pass = passphrase_arg(argc, argv, 4);

		key = read_private_file(argv[3], pass, error);
		store = key != NULL ? open_store(argv[2], &hive, error) : NULL;
		if (store == NULL ||
		    !mesh_keystore_import(store, key, MESH_KEY_USE_AUTHENTICATION, pass, error))
			return FALSE;
		/* A fresh store: protected keys need unlock() before they sign. */
		g_clear_pointer(&store, mesh_keystore_close);
		store = mesh_keystore_file_new(hive, error);
		if (pass != NULL && !mesh_keystore_unlock(store, pass, error))
			return FALSE;
		if (!mesh_keystore_get_public(store, mesh_key_udf(key), &pub, error) ||
		    !sign_and_verify(store, NULL, pub, error))
			return FALSE;
		out = g_strdup(mesh_key_udf(pub));
	} else {
		g_set_error(error, MESH_ERROR, MESH_ERROR_USAGE,
			    "usage: keystore-tool generate|public|decode|sign-verify|import ...");
		return FALSE;
	}
	if (out == NULL)
		return FALSE;
	printf("%s\n", out);
	return TRUE;
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;

	if (!run(argc, argv, &error)) {
		fprintf(stderr, "keystore-tool: %s\n", error != NULL ? error->message : "failed");
		return error != NULL ? (int)mesh_error_code(error) : 1;
	}
	return 0;
}
