/* SPDX-License-Identifier: MIT */
/*
 * jose-tool: a small command-line front end to core/key and core/jose, so that other JOSE
 * implementations can be checked against ours (tests/integration/jose-interop.py).
 *
 *   jose-tool genkey ALG                       private JWK of a new key: Ed25519, X25519, P-256
 *   jose-tool pubkey JWKFILE                   the public JWK (with "kid" = UDF)
 *   jose-tool udf JWKFILE                      the key's UDF
 *   jose-tool sign JWKFILE PAYLOADFILE [CTY]   flattened JWS
 *   jose-tool verify JWKFILE JWSFILE           the payload, once the signature verifies
 *   jose-tool encrypt PAYLOADFILE JWKFILE...   general JWE, ECDH-ES+A256KW + A256GCM
 *   jose-tool decrypt JWKFILE JWEFILE          the plaintext
 *   jose-tool encrypt-dir HEXCEK PAYLOADFILE [KID]
 *   jose-tool decrypt-dir HEXCEK JWEFILE
 *
 * A FILE of "-" is standard input. The exit status is 0 or the MeshError code, with one line
 * on standard error.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "error.h"
#include "jose.h"
#include "json.h"
#include "jwk.h"
#include "key.h"
#include "secret.h"

/* Inputs are JOSE objects, keys and payloads: a little above the JOSE limit is plenty. */
#define INPUT_MAX (2 * MESH_JOSE_MAX_SIZE)

static GBytes *
read_input(const char *path, GError **error)
{
	g_autoptr(GByteArray) buf = g_byte_array_new();
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	guint8 chunk[4096];
	size_t n;

	if (f == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot open %s: %s", path,
			    g_strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (buf->len + n > INPUT_MAX) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE, "%s is too large",
				    path);
			break;
		}
		g_byte_array_append(buf, chunk, (guint)n);
	}
	OPENSSL_cleanse(chunk, sizeof chunk);
	if (f != stdin)
		fclose(f);
	if (error != NULL && *error != NULL) {
		OPENSSL_cleanse(buf->data, buf->len);
		return NULL;
	}
	return g_byte_array_free_to_bytes(g_steal_pointer(&buf));
}

/* A key from a JWK file; the text read is wiped, as it may hold a private key. */
static MeshKey *
load_key(const char *path, GError **error)
{
	g_autoptr(GBytes) text = read_input(path, error);
	MeshKey *key;
	gsize len = 0;
	const char *data;

	if (text == NULL)
		return NULL;
	data = g_bytes_get_data(text, &len);
	key = mesh_key_from_jwk_text(data, len, error);
	OPENSSL_cleanse((void *)data, len);
	if (key == NULL)
		g_prefix_error(error, "%s: ", path);
	return key;
}

static MeshSecret *
load_cek(const char *hex, GError **error)
{
	g_autoptr(MeshSecret) cek = mesh_secret_new(MESH_JOSE_CEK_LEN);
	gsize len = 0;

	if (!mesh_hex_decode(hex, mesh_secret_data(cek), mesh_secret_len(cek), &len, error))
		return NULL;
	if (len != MESH_JOSE_CEK_LEN) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the content key must be %d bytes of hex", MESH_JOSE_CEK_LEN);
		return NULL;
	}
	return g_steal_pointer(&cek);
}

static void
print_node(JsonNode *node)
{
	g_autofree char *text = mesh_json_to_string(node);

	printf("%s\n", text);
}

static void
write_out(const void *data, gsize len)
{
	if (len > 0)
		fwrite(data, 1, len, stdout);
}

static gboolean
cmd_genkey(char **argv, int argc, GError **error)
{
	MeshKeyAlg alg = 0;
	g_autoptr(MeshKey) key = NULL;
	g_autoptr(MeshSecret) text = NULL;

	if (!mesh_key_alg_from_name(argv[0], &alg, error))
		return FALSE;
	key = mesh_key_generate(alg, error);
	if (key == NULL)
		return FALSE;
	text = mesh_key_to_jwk_private(key, error);
	if (text == NULL)
		return FALSE;
	write_out(mesh_secret_get(text), mesh_secret_len(text) - 1);
	printf("\n");
	return TRUE;
}

static gboolean
cmd_pubkey(char **argv, int argc, GError **error)
{
	g_autoptr(MeshKey) key = load_key(argv[0], error);
	g_autoptr(JsonNode) jwk = NULL;

	if (key == NULL)
		return FALSE;
	jwk = mesh_key_to_jwk(key);
	print_node(jwk);
	return TRUE;
}

static gboolean
cmd_udf(char **argv, int argc, GError **error)
{
	g_autoptr(MeshKey) key = load_key(argv[0], error);

	if (key == NULL)
		return FALSE;
	printf("%s\n", mesh_key_udf(key));
	return TRUE;
}

static gboolean
cmd_sign(char **argv, int argc, GError **error)
{
	g_autoptr(MeshKey) key = load_key(argv[0], error);
	g_autoptr(GBytes) payload = NULL;
	g_autoptr(JsonNode) jws = NULL;

	if (key == NULL)
		return FALSE;
	payload = read_input(argv[1], error);
	if (payload == NULL)
		return FALSE;
	jws = mesh_jws_sign(key, argc > 2 ? argv[2] : NULL, g_bytes_get_data(payload, NULL),
			    g_bytes_get_size(payload), error);
	if (jws == NULL)
		return FALSE;
	print_node(jws);
	return TRUE;
}

static gboolean
cmd_verify(char **argv, int argc, GError **error)
{
	g_autoptr(MeshKey) key = load_key(argv[0], error);
	g_autoptr(GBytes) text = NULL;
	g_autoptr(MeshJws) jws = NULL;
	g_autoptr(GBytes) payload = NULL;

	if (key == NULL)
		return FALSE;
	text = read_input(argv[1], error);
	if (text == NULL)
		return FALSE;
	jws = mesh_jws_parse(g_bytes_get_data(text, NULL), g_bytes_get_size(text), 0, error);
	if (jws == NULL)
		return FALSE;
	payload = mesh_jws_verify(jws, key, error);
	if (payload == NULL)
		return FALSE;
	write_out(g_bytes_get_data(payload, NULL), g_bytes_get_size(payload));
	return TRUE;
}

static gboolean
cmd_encrypt(char **argv, int argc, GError **error)
{
	g_autoptr(GBytes) plaintext = read_input(argv[0], error);
	g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func((GDestroyNotify)mesh_key_unref);
	g_autoptr(JsonNode) jwe = NULL;

	if (plaintext == NULL)
		return FALSE;
	for (int i = 1; i < argc; i++) {
		MeshKey *key = load_key(argv[i], error);

		if (key == NULL)
			return FALSE;
		g_ptr_array_add(keys, key);
	}
	jwe = mesh_jwe_encrypt(g_bytes_get_data(plaintext, NULL), g_bytes_get_size(plaintext),
			       NULL, (MeshKey *const *)keys->pdata, keys->len, error);
	if (jwe == NULL)
		return FALSE;
	print_node(jwe);
	return TRUE;
}

/* Parse the JWE file @path and open it with @key, or with @cek when @key is NULL. */
static gboolean
open_jwe(const char *path, const MeshKey *key, const MeshSecret *cek, GError **error)
{
	g_autoptr(GBytes) text = read_input(path, error);
	g_autoptr(MeshJwe) jwe = NULL;
	g_autoptr(MeshSecret) plaintext = NULL;

	if (text == NULL)
		return FALSE;
	jwe = mesh_jwe_parse(g_bytes_get_data(text, NULL), g_bytes_get_size(text), 0, error);
	if (jwe == NULL)
		return FALSE;
	plaintext = key != NULL ? mesh_jwe_decrypt(jwe, key, error)
				: mesh_jwe_decrypt_dir(jwe, cek, error);
	if (plaintext == NULL)
		return FALSE;
	write_out(mesh_secret_get(plaintext), mesh_secret_len(plaintext));
	return TRUE;
}

static gboolean
cmd_decrypt(char **argv, int argc, GError **error)
{
	g_autoptr(MeshKey) key = load_key(argv[0], error);

	return key != NULL && open_jwe(argv[1], key, NULL, error);
}

static gboolean
cmd_encrypt_dir(char **argv, int argc, GError **error)
{
	g_autoptr(MeshSecret) cek = load_cek(argv[0], error);
	g_autoptr(GBytes) plaintext = NULL;
	g_autoptr(JsonNode) jwe = NULL;

	if (cek == NULL)
		return FALSE;
	plaintext = read_input(argv[1], error);
	if (plaintext == NULL)
		return FALSE;
	jwe = mesh_jwe_encrypt_dir(g_bytes_get_data(plaintext, NULL), g_bytes_get_size(plaintext),
				   NULL, cek, argc > 2 ? argv[2] : NULL, error);
	if (jwe == NULL)
		return FALSE;
	print_node(jwe);
	return TRUE;
}

static gboolean
cmd_decrypt_dir(char **argv, int argc, GError **error)
{
	g_autoptr(MeshSecret) cek = load_cek(argv[0], error);

	return cek != NULL && open_jwe(argv[1], NULL, cek, error);
}

static const struct {
	const char *name;
	int min_args;
	int max_args;
	gboolean (*run)(char **argv, int argc, GError **error);
	const char *usage;
} commands[] = {
	{ "genkey", 1, 1, cmd_genkey, "genkey Ed25519|X25519|P-256" },
	{ "pubkey", 1, 1, cmd_pubkey, "pubkey JWKFILE" },
	{ "udf", 1, 1, cmd_udf, "udf JWKFILE" },
	{ "sign", 2, 3, cmd_sign, "sign JWKFILE PAYLOADFILE [CTY]" },
	{ "verify", 2, 2, cmd_verify, "verify JWKFILE JWSFILE" },
	{ "encrypt", 2, 64, cmd_encrypt, "encrypt PAYLOADFILE JWKFILE..." },
	{ "decrypt", 2, 2, cmd_decrypt, "decrypt JWKFILE JWEFILE" },
	{ "encrypt-dir", 2, 3, cmd_encrypt_dir, "encrypt-dir HEXCEK PAYLOADFILE [KID]" },
	{ "decrypt-dir", 2, 2, cmd_decrypt_dir, "decrypt-dir HEXCEK JWEFILE" },
};

static int
usage(void)
{
	fprintf(stderr, "usage:\n");
	for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
		fprintf(stderr, "  jose-tool %s\n", commands[i].usage);
	return MESH_ERROR_USAGE;
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;

	/* Private keys pass through here: keep them on the secure heap when possible. */
	mesh_secret_heap_init(0, NULL);
	if (argc < 2)
		return usage();
	for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
		int n = argc - 2;

		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		if (n < commands[i].min_args || n > commands[i].max_args)
			return usage();
		if (!commands[i].run(argv + 2, n, &error)) {
			fprintf(stderr, "jose-tool %s: %s\n", argv[1], error->message);
			return mesh_error_code(error);
		}
		return fflush(stdout) == 0 ? 0 : MESH_ERROR_IO;
	}
	return usage();
}
