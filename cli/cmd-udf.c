/* SPDX-License-Identifier: MIT */
/* mesh udf: content digests, authenticators and nonces (docs/protocol.md §2). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "platform.h"
#include "udf.h"

#define READ_CHUNK (1 << 20)

/* Feed all of @path (NULL or '-': standard input) to @digest. */
static gboolean
digest_path(MeshUdfDigest *digest, const char *path, GError **error)
{
	gboolean from_stdin = path == NULL || g_str_equal(path, "-");
	g_autoptr(MeshPlatformInput) input = mesh_platform_input_open(path, FALSE, error);
	g_autofree guint8 *buf = NULL;

	if (input == NULL) {
		g_prefix_error(error, "cannot open '%s': ", path);
		return FALSE;
	}
	buf = g_malloc(READ_CHUNK);
	for (;;) {
		gssize n = mesh_platform_input_read(input, buf, READ_CHUNK, error);

		if (n < 0) {
			g_prefix_error(error, "cannot read %s: ", from_stdin ? "standard input" : path);
			return FALSE;
		}
		if (n == 0)
			return TRUE;
		mesh_udf_digest_update(digest, buf, (gsize)n);
	}
}

static void
print_result(const MeshCliGlobals *globals, const char *udf, const char *type, guint bits,
	     const char *content_type)
{
	g_autoptr(JsonBuilder) b = NULL;

	if (!globals->json) {
		printf("%s\n", udf);
		return;
	}
	b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "UDF");
	json_builder_add_string_value(b, udf);
	json_builder_set_member_name(b, "Type");
	json_builder_add_string_value(b, type);
	json_builder_set_member_name(b, "Bits");
	json_builder_add_int_value(b, bits);
	if (content_type != NULL) {
		json_builder_set_member_name(b, "ContentType");
		json_builder_add_string_value(b, content_type);
	}
	json_builder_end_object(b);
	mesh_cli_print_json(json_builder_get_root(b));
}

int
mesh_cmd_udf(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autofree char *alg_name = NULL, *content_type = NULL, *key = NULL, *udf = NULL;
	gboolean nonce = FALSE;
	gint bits = MESH_UDF_BITS_DEFAULT;
	const GOptionEntry entries[] = {
		{ "alg", 0, 0, G_OPTION_ARG_STRING, &alg_name,
		  "Digest algorithm: sha512 (default) or sha3-512", "ALG" },
		{ "content-type", 0, 0, G_OPTION_ARG_STRING, &content_type,
		  "Media type of the content (default application/octet-stream)", "CT" },
		{ "bits", 0, 0, G_OPTION_ARG_INT, &bits,
		  "Precision in bits, 100 to 440, type byte included (default 140)", "N" },
		{ "key", 0, 0, G_OPTION_ARG_STRING, &key,
		  "Print the authenticator (keyed UDF) under this key string", "KEYSTRING" },
		{ "nonce", 0, 0, G_OPTION_ARG_NONE, &nonce, "Print a fresh random nonce UDF",
		  NULL },
		G_OPTION_ENTRY_NULL,
	};
	g_autoptr(MeshUdfDigest) digest = NULL;
	g_autoptr(GError) error = NULL;
	MeshUdfAlg alg = MESH_UDF_ALG_SHA512;
	const char *path;
	int status = 0;

	if (!mesh_cli_parse(globals, "udf", "[FILE|-]",
			    "Prints the content-digest UDF of FILE (standard input when FILE is '-' "
			    "or absent).\n"
			    "With --key, prints the authenticator of the content under KEYSTRING "
			    "(HMAC-SHA-512);\n"
			    "with --nonce, a fresh nonce. UDFs are Base32 in groups of four: "
			    "MDDK-7N6A-727A-...",
			    entries, &argc, &argv, &status))
		return status;
	if (argc > 2)
		return mesh_cli_failf(globals, "udf", MESH_ERROR_USAGE,
				      "give at most one FILE (see 'mesh udf --help')");
	path = argc == 2 ? argv[1] : NULL;
	/* A negative --bits is reported as given, not as the unsigned value it would become. */
	if (bits < 0)
		return mesh_cli_failf(globals, "udf", MESH_ERROR_INVALID_ARGUMENT,
				      "--bits %d is out of range: use %d to %d", bits,
				      MESH_UDF_BITS_MIN, MESH_UDF_BITS_MAX);
	if (!mesh_udf_check_bits((guint)bits, &error))
		return mesh_cli_fail(globals, "udf", error);
	if (content_type == NULL)
		content_type = g_strdup(MESH_UDF_CT_OCTET_STREAM);

	if (nonce) {
		if (path != NULL || key != NULL || alg_name != NULL)
			return mesh_cli_failf(globals, "udf", MESH_ERROR_USAGE,
					      "--nonce takes only --bits (see 'mesh udf --help')");
		udf = mesh_udf_nonce((guint)bits, &error);
		if (udf == NULL)
			return mesh_cli_fail(globals, "udf", error);
		print_result(globals, udf, "Nonce", (guint)bits, NULL);
		return 0;
	}
	if (alg_name != NULL && !mesh_udf_alg_from_name(alg_name, &alg, &error))
		return mesh_cli_fail(globals, "udf", error);
	if (key != NULL && alg != MESH_UDF_ALG_SHA512)
		return mesh_cli_failf(globals, "udf", MESH_ERROR_USAGE,
				      "authenticators use SHA-512 only: drop --alg with --key");

	digest = mesh_udf_digest_new(alg);
	if (!digest_path(digest, path, &error))
		return mesh_cli_fail(globals, "udf", error);
	if (key != NULL) {
		udf = mesh_udf_digest_finish_authenticator(digest, key, content_type, (guint)bits,
							   &error);
		if (udf == NULL)
			return mesh_cli_fail(globals, "udf", error);
		print_result(globals, udf, "Authenticator", (guint)bits, content_type);
	} else {
		guint8 binary[MESH_UDF_DIGEST_BINARY_LEN];

		if (!mesh_udf_digest_finish(digest, content_type, binary, &error))
			return mesh_cli_fail(globals, "udf", error);
		udf = mesh_udf_present(binary, sizeof binary, (guint)bits, &error);
		if (udf == NULL)
			return mesh_cli_fail(globals, "udf", error);
		print_result(globals, udf, alg == MESH_UDF_ALG_SHA512 ? "SHA2-512" : "SHA3-512",
			     (guint)bits, content_type);
	}
	return 0;
}
