/* SPDX-License-Identifier: MIT */
/* mesh key: list the agent's keys, sign with one, show a public key. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "verbs.h"

static void
print_keys(const MeshCliGlobals *globals, const MeshClientKey *keys, size_t n)
{
	g_autoptr(JsonBuilder) b = NULL;

	if (!globals->json) {
		for (size_t i = 0; i < n; i++)
			printf("%s  %-7s  %-14s  %s%s\n", keys[i].udf, keys[i].algorithm,
			       keys[i].use, keys[i].store, keys[i].locked ? "  locked" : "");
		return;
	}
	b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "Keys");
	json_builder_begin_array(b);
	for (size_t i = 0; i < n; i++) {
		json_builder_begin_object(b);
		mesh_cli_json_string(b, "UDF", keys[i].udf);
		mesh_cli_json_string(b, "Algorithm", keys[i].algorithm);
		mesh_cli_json_string(b, "Use", keys[i].use);
		mesh_cli_json_string(b, "Store", keys[i].store);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	mesh_cli_print_json(json_builder_get_root(b));
}

static int
key_list(int argc, char **argv, const MeshCliGlobals *globals)
{
	MeshClient *client = NULL;
	MeshClientKey *keys = NULL;
	MeshError code;
	size_t n = 0;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "key list", "",
				 "Lists the keys the agent holds for the hive (--hive): UDF, "
				 "algorithm, use, store, and whether the key is locked.",
				 mesh_cli_no_options, 0, &argc, &argv, &status))
		return status;
	status = mesh_cli_connect(globals, "key list", NULL, TRUE, &client);
	if (status != 0)
		return status;
	code = mesh_client_key_list(client, &keys, &n);
	if (code != MESH_ERROR_OK)
		status = mesh_cli_client_fail(globals, "key list", client, code);
	else
		print_keys(globals, keys, n);
	mesh_client_keys_free(keys, n);
	mesh_client_close(client);
	return status;
}

/* All of @path ('-': standard input), at most MESH_CLIENT_SIGN_MAX bytes. */
static GBytes *
read_input(const char *path, GError **error)
{
	g_autofree guint8 *buf = g_malloc(MESH_CLIENT_SIGN_MAX + 1);
	gboolean from_stdin = g_str_equal(path, "-");
	const char *name = from_stdin ? "standard input" : path;
	int fd = from_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	gsize len = 0;

	if (fd < 0) {
		g_set_error(error, MESH_ERROR,
			    errno == ENOENT ? MESH_ERROR_NOT_FOUND :
			    errno == EACCES ? MESH_ERROR_PERMISSION :
					      MESH_ERROR_IO,
			    "cannot open '%s': %s", path, g_strerror(errno));
		return NULL;
	}
	/* One byte past the limit tells "too large" from "exactly at the limit". */
	while (len <= MESH_CLIENT_SIGN_MAX) {
		ssize_t n = read(fd, buf + len, MESH_CLIENT_SIGN_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot read %s: %s", name,
				    g_strerror(errno));
			break;
		}
		if (n == 0)
			break;
		len += (gsize)n;
	}
	if (!from_stdin)
		close(fd);
	if (error != NULL && *error != NULL)
		return NULL;
	if (len > MESH_CLIENT_SIGN_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "%s is larger than %d bytes, the most the agent signs: sign a digest "
			    "of it instead",
			    name, MESH_CLIENT_SIGN_MAX);
		return NULL;
	}
	return g_bytes_new(buf, len);
}

static gboolean
write_output(const char *path, const guint8 *data, gsize len, GError **error)
{
	if (path == NULL || g_str_equal(path, "-")) {
		if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
				    "cannot write the signature to standard output: %s",
				    g_strerror(errno));
			return FALSE;
		}
		return TRUE;
	}
	if (!g_file_set_contents_full(path, (const char *)data, (gssize)len,
				      G_FILE_SET_CONTENTS_CONSISTENT, 0644, error)) {
		(*error)->domain = MESH_ERROR;
		(*error)->code = MESH_ERROR_IO;
		return FALSE;
	}
	return TRUE;
}

static void
print_signature(const MeshCliGlobals *globals, const char *udf, const guint8 *sig, gsize len)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autofree char *text = mesh_b64u_encode(sig, len);

	json_builder_begin_object(b);
	mesh_cli_json_string(b, "Key", udf);
	mesh_cli_json_string(b, "Signature", text);
	json_builder_end_object(b);
	mesh_cli_print_json(json_builder_get_root(b));
}

static int
key_sign(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autofree char *udf = NULL, *out = NULL;
	const GOptionEntry entries[] = {
		{ "key", 0, 0, G_OPTION_ARG_STRING, &udf, "The UDF of the signing key", "UDF" },
		{ "out", 'o', 0, G_OPTION_ARG_FILENAME, &out,
		  "Write the signature to FILE instead of standard output", "FILE" },
		G_OPTION_ENTRY_NULL,
	};
	g_autoptr(GBytes) data = NULL;
	g_autoptr(GError) error = NULL;
	MeshClient *client = NULL;
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "key sign", "--key UDF FILE",
				 "Signs FILE ('-': standard input; at most 64 KiB) with the key "
				 "UDF in the agent and writes the raw 64-byte signature (Ed25519, "
				 "or ECDSA P-256 r || s) to standard output or --out FILE. With "
				 "--json, prints {\"Key\", \"Signature\": base64url} instead.",
				 entries, 1, &argc, &argv, &status))
		return status;
	if (udf == NULL || argc != 2)
		return mesh_cli_failf(globals, "key sign", MESH_ERROR_USAGE,
				      "give --key UDF and one FILE (see 'mesh key sign --help')");
	data = read_input(argv[1], &error);
	if (data == NULL)
		return mesh_cli_fail(globals, "key sign", error);
	status = mesh_cli_connect(globals, "key sign", NULL, TRUE, &client);
	if (status != 0)
		return status;
	code = mesh_client_key_sign(client, udf, g_bytes_get_data(data, NULL),
				    g_bytes_get_size(data), &sig, &sig_len);
	if (code != MESH_ERROR_OK) {
		status = mesh_cli_client_fail(globals, "key sign", client, code);
		goto out;
	}
	if ((out != NULL || !globals->json) && !write_output(out, sig, sig_len, &error)) {
		status = mesh_cli_fail(globals, "key sign", error);
		goto out;
	}
	if (globals->json)
		print_signature(globals, udf, sig, sig_len);
out:
	mesh_client_free(sig);
	mesh_client_close(client);
	return status;
}

static void
print_public(const MeshCliGlobals *globals, const MeshClientPublicKey *key)
{
	g_autoptr(JsonBuilder) b = NULL;
	g_autoptr(JsonParser) parser = NULL;
	g_autofree char *spki = NULL;

	if (!globals->json) {
		g_autofree char *b64 = g_base64_encode(key->spki, key->spki_len);
		gsize len = strlen(b64);

		printf("-----BEGIN PUBLIC KEY-----\n");
		for (gsize i = 0; i < len; i += 64)
			printf("%.*s\n", (int)MIN(64, len - i), b64 + i);
		printf("-----END PUBLIC KEY-----\n");
		return;
	}
	spki = mesh_b64u_encode(key->spki, key->spki_len);
	parser = json_parser_new();
	b = json_builder_new();
	json_builder_begin_object(b);
	mesh_cli_json_string(b, "UDF", key->udf);
	mesh_cli_json_string(b, "Algorithm", key->algorithm);
	if (key->jwk != NULL && json_parser_load_from_data(parser, key->jwk, -1, NULL)) {
		json_builder_set_member_name(b, "PublicParameters");
		json_builder_add_value(b, json_node_copy(json_parser_get_root(parser)));
	}
	mesh_cli_json_string(b, "SPKI", spki);
	json_builder_end_object(b);
	mesh_cli_print_json(json_builder_get_root(b));
}

static int
key_public(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autofree char *udf = NULL;
	const GOptionEntry entries[] = {
		{ "key", 0, 0, G_OPTION_ARG_STRING, &udf, "The UDF of the key", "UDF" },
		G_OPTION_ENTRY_NULL,
	};
	MeshClientPublicKey *key = NULL;
	MeshClient *client = NULL;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "key public", "--key UDF",
				 "Prints the public key UDF as a PEM SubjectPublicKeyInfo (as "
				 "openssl pkey -pubin reads it), or with --json as {\"UDF\", "
				 "\"Algorithm\", \"PublicParameters\": JWK, \"SPKI\": base64url "
				 "DER}.",
				 entries, 0, &argc, &argv, &status))
		return status;
	if (udf == NULL || argc != 1)
		return mesh_cli_failf(globals, "key public", MESH_ERROR_USAGE,
				      "give --key UDF (see 'mesh key public --help')");
	status = mesh_cli_connect(globals, "key public", NULL, TRUE, &client);
	if (status != 0)
		return status;
	code = mesh_client_key_public(client, udf, &key);
	if (code != MESH_ERROR_OK)
		status = mesh_cli_client_fail(globals, "key public", client, code);
	else
		print_public(globals, key);
	mesh_client_public_key_free(key);
	mesh_client_close(client);
	return status;
}

int
mesh_cmd_key(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliSub subs[] = {
		{ "list", key_list },
		{ "sign", key_sign },
		{ "public", key_public },
		{ NULL, NULL },
	};

	return mesh_cli_dispatch(argc, argv, globals, "key", subs,
				 "Usage: mesh [--hive H] key list\n"
				 "       mesh [--hive H] key sign --key UDF [--out FILE] FILE\n"
				 "       mesh [--hive H] key public --key UDF\n"
				 "\n"
				 "The keys the agent holds. Private keys never leave the agent: it "
				 "signs for you.\n"
				 "'mesh key SUBCOMMAND --help' gives details.\n");
}
