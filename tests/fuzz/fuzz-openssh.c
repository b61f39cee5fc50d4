/* SPDX-License-Identifier: MIT */
/* The OpenSSH key codec on raw bytes: the private key decoder (without a passphrase and with the
 * fixed passphrase "fuzz", bcrypt capped at 4 rounds), the header-only peek, the public key
 * line under both policies of core/sshkey.h (key file, and strict on the text up to a NUL), the
 * RFC 4716 file and the wire blob. Whatever decodes must encode and decode again to
 * the same key. The seeds in corpus/openssh/ are keys from ssh-keygen and from the encoder,
 * the encrypted ones under "fuzz" with 2 rounds. */
#include "fuzz.h"
#include "key.h"
#include "openssh.h"
#include "secret.h"
#include "sshkey.h"

#include <string.h>

#define FUZZ_ROUNDS 4

static void
check_private_round_trip(MeshKey *key)
{
	g_autoptr(MeshSecret) text = mesh_openssh_private_encode(key, "fuzz", NULL, 0, NULL);
	g_autoptr(MeshKey) back = NULL;

	if (text == NULL ||
	    !mesh_openssh_private_decode((const char *)mesh_secret_get(text),
					 mesh_secret_len(text) - 1, NULL, 0, &back, NULL, NULL) ||
	    !mesh_key_equal_public(key, back))
		__builtin_trap();
}

static void
check_public_round_trip(MeshKey *key)
{
	g_autofree char *line = mesh_ssh_public_file_line(key, "c", NULL);
	g_autofree char *file = mesh_openssh_rfc4716_encode(key, "c", NULL);
	g_autoptr(MeshKey) a = NULL;
	g_autoptr(MeshKey) b = NULL;

	if (line == NULL || file == NULL)
		__builtin_trap();
	a = mesh_ssh_public_file_line_decode(line, strlen(line), NULL, NULL);
	b = mesh_openssh_rfc4716_decode(file, strlen(file), NULL, NULL);
	if (a == NULL || b == NULL || !mesh_key_equal_public(key, a) ||
	    !mesh_key_equal_public(key, b))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	g_autoptr(MeshSecret) pass = mesh_secret_new_from_data("fuzz", 4);
	g_autoptr(MeshKey) plain = NULL;
	g_autoptr(MeshKey) opened = NULL;
	g_autoptr(MeshKey) peeked = NULL;
	g_autoptr(MeshKey) line = NULL;
	g_autoptr(MeshKey) strict = NULL;
	g_autofree char *prefix = mesh_fuzz_strndup(data, size);
	g_autoptr(MeshKey) file = NULL;
	g_autoptr(MeshKey) blob = NULL;
	g_autofree char *comment = NULL;
	gboolean encrypted = FALSE;

	if (mesh_openssh_private_decode(text, size, NULL, FUZZ_ROUNDS, &plain, &comment, NULL))
		check_private_round_trip(plain);
	if (mesh_openssh_private_decode(text, size, pass, FUZZ_ROUNDS, &opened, NULL, NULL))
		check_private_round_trip(opened);
	if (mesh_openssh_private_peek(text, size, &peeked, &encrypted, NULL)) {
		if (mesh_key_is_private(peeked))
			__builtin_trap();
		check_public_round_trip(peeked);
	}
	line = mesh_ssh_public_file_line_decode(text, size, NULL, NULL);
	if (line != NULL)
		check_public_round_trip(line);
	strict = mesh_ssh_public_line_decode(prefix, NULL);
	if (strict != NULL)
		check_public_round_trip(strict);
	file = mesh_openssh_rfc4716_decode(text, size, NULL, NULL);
	if (file != NULL)
		check_public_round_trip(file);
	blob = mesh_ssh_public_blob_decode(data, size, NULL);
	if (blob != NULL)
		check_public_round_trip(blob);
	return 0;
}
