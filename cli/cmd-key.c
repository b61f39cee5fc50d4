/* SPDX-License-Identifier: MIT */
/* mesh key: list the agent's keys, sign with one, show a public key; generate, import, move
 * and remove keys. */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "platform.h"
#include "verbs.h"

static MeshError
key_list_call(MeshCliCall *c)
{
	g_auto(MeshCliEscapes) esc = { 0 };
	MeshClientKey *keys = NULL;
	size_t n = 0;
	MeshError code = mesh_client_key_list(c->client, &keys, &n);
	JsonBuilder *b = code == MESH_ERROR_OK ? mesh_cli_call_json(c) : NULL;

	if (code == MESH_ERROR_OK && b == NULL) {
		/* UDF, algorithm, use, store, role (and its account), then locked or protected. */
		for (size_t i = 0; i < n; i++)
			printf("%s  %-7s  %-14s  %-6s  %s%s%s%s\n",
			       mesh_cli_escape(&esc, keys[i].udf),
			       mesh_cli_escape(&esc, keys[i].algorithm),
			       mesh_cli_escape(&esc, keys[i].use),
			       mesh_cli_escape(&esc, keys[i].store),
			       mesh_cli_escape(&esc, keys[i].role),
			       keys[i].account != NULL ? " " : "",
			       keys[i].account != NULL ? mesh_cli_escape(&esc, keys[i].account)
			                               : "",
			       keys[i].locked         ? "  locked"
			       : keys[i].is_protected ? "  protected"
			                              : "");
	} else if (b != NULL) {
		mesh_cli_json_begin_array(b, "Keys");
		for (size_t i = 0; i < n; i++) {
			json_builder_begin_object(b);
			mesh_cli_json_string(b, "UDF", keys[i].udf);
			mesh_cli_json_string(b, "Algorithm", keys[i].algorithm);
			mesh_cli_json_string(b, "Use", keys[i].use);
			mesh_cli_json_string(b, "Store", keys[i].store);
			mesh_cli_json_string(b, "Role", keys[i].role);
			mesh_cli_json_string(b, "Account", keys[i].account);
			mesh_cli_json_string(b, "Device", keys[i].device);
			mesh_cli_json_bool(b, "Protected", keys[i].is_protected);
			mesh_cli_json_bool(b, "Locked", keys[i].locked);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
	}
	mesh_client_keys_free(keys, n);
	return code;
}

static int
key_list(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "key list",
	        .params = "",
	        .description = "Lists the keys the agent holds for the hive (--hive): UDF, "
	                       "algorithm, use, store, role — what depends on the key: Device, "
	                       "Master, Escrow, Administration or SSH (with its account), or "
	                       "Imported (nothing: made or imported with 'mesh key') — and "
	                       "'locked' (unlock first) or 'protected' (by the passphrase 'mesh "
	                       "unlock' takes).",
	        .call = key_list_call,
	};
	return mesh_cli_run_simple(globals, &spec, NULL, argc, argv);
}

/* All of @path ('-': standard input), at most @max bytes; @why says what the limit is when it
 * is passed. */
static GBytes *
read_input(const char *path, gsize max, const char *why, GError **error)
{
	g_autofree guint8 *buf = g_malloc(max + 1);
	const char *name = g_str_equal(path, "-") ? "standard input" : path;
	g_autoptr(MeshPlatformInput) input = mesh_platform_input_open(path, FALSE, error);
	gboolean failed = FALSE;
	gsize len = 0;

	if (input == NULL) {
		g_prefix_error(error, "cannot open '%s': ", path);
		return NULL;
	}
	/* One byte past the limit tells "too large" from "exactly at the limit". */
	while (len <= max) {
		gssize n = mesh_platform_input_read(input, buf + len, max + 1 - len, error);

		if (n < 0) {
			g_prefix_error(error, "cannot read %s: ", name);
			failed = TRUE;
			break;
		}
		if (n == 0)
			break;
		len += (gsize)n;
	}
	if (!failed && len > max) {
		failed = TRUE;
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE, "%s is larger than %zu bytes, %s",
			    name, max, why);
	}
	if (failed) {
		/* The input may be a private key. */
		OPENSSL_cleanse(buf, MIN(len, max + 1));
		return NULL;
	}
	return g_bytes_new_take(g_steal_pointer(&buf), len);
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
	data = read_input(argv[1], MESH_CLIENT_SIGN_MAX,
			  "the most the agent signs: sign a digest of it instead", &error);
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
print_public(MeshCliCall *c, const MeshClientPublicKey *key)
{
	g_autoptr(JsonParser) parser = NULL;
	g_autofree char *spki = NULL;
	JsonBuilder *b = mesh_cli_call_json(c);

	if (b == NULL) {
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
	mesh_cli_json_string(b, "UDF", key->udf);
	mesh_cli_json_string(b, "Algorithm", key->algorithm);
	if (key->jwk != NULL && json_parser_load_from_data(parser, key->jwk, -1, NULL)) {
		json_builder_set_member_name(b, "PublicParameters");
		json_builder_add_value(b, json_node_copy(json_parser_get_root(parser)));
	}
	mesh_cli_json_string(b, "SPKI", spki);
}

static int
key_public_check(MeshCliCall *c)
{
	if (*(char **)c->data == NULL || c->argc != 1)
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE,
		                      "give --key UDF (see 'mesh key public --help')");
	return 0;
}

static MeshError
key_public_call(MeshCliCall *c)
{
	MeshClientPublicKey *key = NULL;
	MeshError code = mesh_client_key_public(c->client, *(char **)c->data, &key);

	if (code == MESH_ERROR_OK)
		print_public(c, key);
	mesh_client_public_key_free(key);
	return code;
}

static int
key_public(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "key public",
	        .params = "--key UDF",
	        .description = "Prints the public key UDF as a PEM SubjectPublicKeyInfo (as "
	                       "openssl pkey -pubin reads it), or with --json as {\"UDF\", "
	                       "\"Algorithm\", \"PublicParameters\": JWK, \"SPKI\": base64url "
	                       "DER}.",
	        .check = key_public_check,
	        .call = key_public_call,
	};
	char *udf = NULL;
	MeshCliCall c = {.data = &udf};
	const GOptionEntry entries[] = {
	        {"key", 0, 0, G_OPTION_ARG_STRING, &udf, "The UDF of the key", "UDF"},
	        G_OPTION_ENTRY_NULL,
	};

	return mesh_cli_run(globals, &spec, &c, entries, argc, argv);
}

/* @name in lower case without dashes: how names given on the command line are compared. */
static char *
folded(const char *name)
{
	GString *out = g_string_new(NULL);

	for (const char *p = name; *p != '\0'; p++)
		if (*p != '-')
			g_string_append_c(out, g_ascii_tolower(*p));
	return g_string_free(out, FALSE);
}

/*
 * The canonical spelling of @given among @names, ignoring case and dashes (so "p256" is
 * "P-256"), or NULL after reporting a Usage failure that lists the names in @shown.
 */
static const char *
canonical_name(const MeshCliGlobals *globals, const char *verb, const char *option,
	       const char *given, const char *const *names, const char *shown, int *ret_exit)
{
	g_autofree char *want = folded(given);

	for (gsize i = 0; names[i] != NULL; i++) {
		g_autofree char *name = folded(names[i]);

		if (g_str_equal(name, want))
			return names[i];
	}
	*ret_exit = mesh_cli_failf(globals, verb, MESH_ERROR_USAGE, "%s '%s': choose %s", option,
				   given, shown);
	return NULL;
}

static const char *
use_name(const MeshCliGlobals *globals, const char *verb, const char *given, int *ret_exit)
{
	static const char *const uses[] = { "Signature", "Authentication", "Encryption", NULL };

	if (given == NULL) {
		*ret_exit = mesh_cli_failf(globals, verb, MESH_ERROR_USAGE,
					   "give --use signature, authentication or encryption");
		return NULL;
	}
	return canonical_name(globals, verb, "--use", given, uses,
			      "signature, authentication or encryption", ret_exit);
}

/* The key made or moved: its UDF, or with --json {"UDF", "Algorithm", "Use", "Store"}. */
static void
print_key(const MeshCliGlobals *globals, const MeshClientKey *key, const char *moved_to)
{
	g_autoptr(JsonBuilder) b = NULL;
	g_auto(MeshCliEscapes) esc = { 0 };

	if (!globals->json) {
		if (moved_to != NULL)
			printf("Moved %s to the %s store\n", mesh_cli_escape(&esc, key->udf),
			       mesh_cli_escape(&esc, key->store));
		else
			printf("%s\n", mesh_cli_escape(&esc, key->udf));
		return;
	}
	b = json_builder_new();
	json_builder_begin_object(b);
	mesh_cli_json_string(b, "UDF", key->udf);
	mesh_cli_json_string(b, "Algorithm", key->algorithm);
	mesh_cli_json_string(b, "Use", key->use);
	mesh_cli_json_string(b, "Store", key->store);
	json_builder_end_object(b);
	mesh_cli_print_json(json_builder_get_root(b));
}

/* Report the outcome of a call that made or moved @key; returns the exit status. */
static int
finish_key(const MeshCliGlobals *globals, const char *verb, MeshClient *client, MeshError code,
	   MeshClientKey *key, gboolean moved)
{
	int status = 0;

	if (code != MESH_ERROR_OK)
		status = mesh_cli_client_fail(globals, verb, client, code);
	else
		print_key(globals, key, moved ? key->store : NULL);
	mesh_client_keys_free(key, key != NULL ? 1 : 0);
	mesh_client_close(client);
	return status;
}

static int
key_generate(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const char *const algs[] = { "Ed25519", "X25519", "P-256", NULL };
	g_autofree char *use_arg = NULL, *alg_arg = NULL, *keystore = NULL, *passphrase_file = NULL;
	gboolean protect = FALSE;
	const GOptionEntry entries[] = {
		{ "use", 0, 0, G_OPTION_ARG_STRING, &use_arg,
		  "What the key is for: signature, authentication or encryption", "USE" },
		{ "alg", 0, 0, G_OPTION_ARG_STRING, &alg_arg,
		  "ed25519, x25519 or p256 (default: the store's choice)", "ALG" },
		MESH_CLI_KEYSTORE_OPTION(keystore),
		MESH_CLI_PROTECT_OPTIONS(protect, passphrase_file),
		G_OPTION_ENTRY_NULL,
	};
	g_autoptr(MeshSecret) passphrase = NULL;
	MeshClientKey *key = NULL;
	MeshClient *client = NULL;
	const char *use, *alg = NULL;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "key generate", "--use USE",
				 "Makes a new key in the agent's key store (--keystore, else the "
				 "hive's: 'mesh hive set-keystore') and prints its UDF. Without "
				 "--alg the store chooses: Ed25519 for signature and "
				 "authentication, X25519 for encryption in software, P-256 in a "
				 "TPM. With --json, prints {\"UDF\", \"Algorithm\", \"Use\", "
				 "\"Store\"}.",
				 entries, 0, &argc, &argv, &status) ||
	    (use = use_name(globals, "key generate", use_arg, &status)) == NULL ||
	    (alg_arg != NULL && (alg = canonical_name(globals, "key generate", "--alg", alg_arg,
						      algs, "ed25519, x25519 or p256",
						      &status)) == NULL) ||
	    !mesh_cli_new_key_passphrase(globals, "key generate", protect, passphrase_file,
					 &passphrase, &status))
		return status;
	status = mesh_cli_connect(globals, "key generate", NULL, TRUE, &client);
	if (status != 0)
		return status;
	mesh_client_set_keystore(client, keystore);
	code = mesh_client_key_generate(client, alg, use, mesh_cli_secret_text(passphrase), &key);
	return finish_key(globals, "key generate", client, code, key, FALSE);
}

/* The key file @path as text: a key file is PEM, so NUL bytes or invalid UTF-8 mean it is not
 * one (said here, where the file's name is known). */
static char *
read_key_file(const char *path, GError **error)
{
	g_autoptr(GBytes) data = read_input(path, MESH_CLIENT_KEY_FILE_MAX,
					    "the most a key file can be", error);
	gsize len = 0;
	const char *text;

	char *pem = NULL;

	if (data == NULL)
		return NULL;
	text = g_bytes_get_data(data, &len);
	if (len == 0 || memchr(text, '\0', len) != NULL || !g_utf8_validate(text, (gssize)len, NULL))
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "%s is not a key file: give an OpenSSH private key or PKCS#8 PEM",
			    g_str_equal(path, "-") ? "standard input" : path);
	else
		pem = g_strndup(text, len);
	/* read_input's own buffer, which nothing else refers to. */
	if (len > 0)
		OPENSSL_cleanse((void *)text, len);
	return pem;
}

static void
wipe_text(char *text)
{
	if (text != NULL)
		OPENSSL_cleanse(text, strlen(text));
	g_free(text);
}

static int
key_import(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autofree char *use_arg = NULL, *keystore = NULL, *passphrase_file = NULL,
		       *file_passphrase_file = NULL;
	gboolean protect = FALSE;
	const GOptionEntry entries[] = {
		{ "use", 0, 0, G_OPTION_ARG_STRING, &use_arg,
		  "What the key is for: signature, authentication or encryption", "USE" },
		MESH_CLI_KEYSTORE_OPTION(keystore),
		MESH_CLI_PROTECT_OPTIONS(protect, passphrase_file),
		{ "file-passphrase-file", 0, 0, G_OPTION_ARG_FILENAME, &file_passphrase_file,
		  "The passphrase of a protected OpenSSH key FILE, on the first line of this file "
		  "(default: asked for when needed)",
		  "F" },
		G_OPTION_ENTRY_NULL,
	};
	g_autoptr(MeshSecret) passphrase = NULL;
	g_autoptr(MeshSecret) file_passphrase = NULL;
	g_autoptr(GError) error = NULL;
	MeshClientKey *key = NULL;
	MeshClient *client = NULL;
	char *pem = NULL;
	const char *use;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "key import", "FILE --use USE",
				 "Takes the private key in FILE ('-': standard input; at most 64 "
				 "KiB) — an OpenSSH private key, as ssh-keygen writes it, or "
				 "PKCS#8 PEM — into the agent's key store and prints its UDF. The "
				 "passphrase of a protected OpenSSH key is asked for, or read from "
				 "--file-passphrase-file. --protect or --passphrase-file protect it "
				 "in the store.",
				 entries, 1, &argc, &argv, &status) ||
	    (use = use_name(globals, "key import", use_arg, &status)) == NULL)
		return status;
	if (argc != 2)
		return mesh_cli_failf(globals, "key import", MESH_ERROR_USAGE,
				      "give the key FILE (see 'mesh key import --help')");
	if (file_passphrase_file != NULL &&
	    (file_passphrase = mesh_cli_read_passphrase_file(file_passphrase_file, &error)) == NULL)
		return mesh_cli_fail(globals, "key import", error);
	if ((pem = read_key_file(argv[1], &error)) == NULL)
		return mesh_cli_fail(globals, "key import", error);
	if (!mesh_cli_new_key_passphrase(globals, "key import", protect, passphrase_file,
					 &passphrase, &status))
		goto out;
	status = mesh_cli_connect(globals, "key import", NULL, TRUE, &client);
	if (status != 0)
		goto out;
	mesh_client_set_keystore(client, keystore);
	code = mesh_client_key_import(client, pem, use, mesh_cli_secret_text(file_passphrase),
				      mesh_cli_secret_text(passphrase), &key);
	/* Only the agent reads the file: when it finds it protected, ask and try again. */
	if (code == MESH_ERROR_LOCKED && file_passphrase == NULL) {
		file_passphrase = mesh_cli_read_passphrase("Passphrase of the key file: ", FALSE,
							   &error);
		if (file_passphrase == NULL) {
			mesh_client_close(client);
			status = mesh_cli_fail(globals, "key import", error);
			goto out;
		}
		code = mesh_client_key_import(client, pem, use, mesh_cli_secret_text(file_passphrase),
					      mesh_cli_secret_text(passphrase), &key);
	}
	status = finish_key(globals, "key import", client, code, key, FALSE);
out:
	wipe_text(pem);
	return status;
}

static int
key_move(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autofree char *to = NULL, *passphrase_file = NULL;
	gboolean protect = FALSE;
	const GOptionEntry entries[] = {
		{ "to", 0, 0, G_OPTION_ARG_STRING, &to, "The store to move the key to: file or secret",
		  "STORE" },
		MESH_CLI_PROTECT_OPTIONS(protect, passphrase_file),
		G_OPTION_ENTRY_NULL,
	};
	g_autoptr(MeshSecret) passphrase = NULL;
	MeshClientKey *key = NULL;
	MeshClient *client = NULL;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "key move", "UDF --to STORE",
				 "Moves the key UDF into another key store (between file and "
				 "secret; a key made in a TPM cannot leave it). --protect or "
				 "--passphrase-file protect it in the new store.",
				 entries, 1, &argc, &argv, &status))
		return status;
	if (argc != 2 || to == NULL)
		return mesh_cli_failf(globals, "key move", MESH_ERROR_USAGE,
				      "give the key UDF and --to STORE");
	if (!mesh_cli_new_key_passphrase(globals, "key move", protect, passphrase_file,
					 &passphrase, &status))
		return status;
	status = mesh_cli_connect(globals, "key move", NULL, TRUE, &client);
	if (status != 0)
		return status;
	code = mesh_client_key_move(client, argv[1], to, mesh_cli_secret_text(passphrase), &key);
	return finish_key(globals, "key move", client, code, key, TRUE);
}

static int
key_remove(int argc, char **argv, const MeshCliGlobals *globals)
{
	gboolean yes = FALSE;
	const GOptionEntry entries[] = {
		{ "yes", 0, 0, G_OPTION_ARG_NONE, &yes, "Really remove the key (it cannot be undone)",
		  NULL },
		G_OPTION_ENTRY_NULL,
	};
	MeshClient *client = NULL;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(
	            globals, "key remove", "UDF --yes",
	            "Deletes the key UDF from its store. Only an Imported key ('mesh key "
	            "list') is removed: a key a device, a profile or an SSH key "
	            "depends on is refused (exit status 11, Permission) with what to "
	            "do instead.",
	            entries, 1, &argc, &argv, &status))
		return status;
	if (argc != 2)
		return mesh_cli_failf(globals, "key remove", MESH_ERROR_USAGE,
				      "give the UDF of the key to remove");
	if (!yes)
		return mesh_cli_failf(globals, "key remove", MESH_ERROR_USAGE,
				      "removing %s cannot be undone: give --yes to go on", argv[1]);
	status = mesh_cli_connect(globals, "key remove", NULL, TRUE, &client);
	if (status != 0)
		return status;
	code = mesh_client_key_remove(client, argv[1]);
	if (code != MESH_ERROR_OK) {
		status = mesh_cli_client_fail(globals, "key remove", client, code);
	} else if (globals->json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		mesh_cli_json_string(b, "Removed", argv[1]);
		json_builder_end_object(b);
		mesh_cli_print_json(json_builder_get_root(b));
	} else {
		printf("Removed %s\n", argv[1]);
	}
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
		{ "generate", key_generate },
		{ "import", key_import },
		{ "move", key_move },
		{ "remove", key_remove },
		{ NULL, NULL },
	};

	return mesh_cli_dispatch(argc, argv, globals, "key", subs,
				 "Usage: mesh [--hive H] key list\n"
				 "       mesh [--hive H] key sign --key UDF [--out FILE] FILE\n"
				 "       mesh [--hive H] key public --key UDF\n"
				 "       mesh [--hive H] key generate --use USE [--alg ALG] "
				 "[--keystore STORE]\n"
				 "                                    [--protect | "
				 "--passphrase-file FILE]\n"
				 "       mesh [--hive H] key import FILE --use USE [--keystore STORE]\n"
				 "                                  [--protect | --passphrase-file "
				 "FILE]\n"
				 "       mesh [--hive H] key move UDF --to STORE [--protect | "
				 "--passphrase-file FILE]\n"
				 "       mesh [--hive H] key remove UDF --yes\n"
				 "\n"
				 "The keys the agent holds. Private keys never leave the agent: it "
				 "signs for you.\n"
				 "'mesh key SUBCOMMAND --help' gives details.\n");
}
