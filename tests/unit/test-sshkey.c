/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "application.h"
#include "model-test.h"
#include "ssh-device-key.h"
#include "sshkey.h"
#include "udf.h"

#define ACCOUNT "alice@example.com"

/* The strict line is the key file line without its "\n", and each policy reads the other's. */
static void
test_line_matches_openssh(void)
{
	const MeshKeyAlg algs[] = {MESH_KEY_ED25519, MESH_KEY_P256};

	for (gsize i = 0; i < G_N_ELEMENTS(algs); i++) {
		g_autoptr(MeshKey) key = mesh_key_generate(algs[i], NULL);
		g_autofree char *mine = NULL;
		g_autofree char *theirs = NULL;
		g_autoptr(MeshKey) back = NULL;
		g_autoptr(MeshKey) back2 = NULL;
		GError *error = NULL;

		mine = mesh_ssh_public_line(key, "mesh:alice:MAAA", &error);
		MESH_ASSERT_NO_ERROR(error);
		theirs = mesh_ssh_public_file_line(key, "mesh:alice:MAAA", &error);
		MESH_ASSERT_NO_ERROR(error);
		g_strchomp(theirs);
		CU_ASSERT_STRING_EQUAL(mine, theirs);
		back = mesh_ssh_public_line_decode(mine, &error);
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_TRUE(mesh_key_equal_public(back, key));
		back2 = mesh_ssh_public_file_line_decode(mine, strlen(mine), NULL, &error);
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_TRUE(mesh_key_equal_public(back2, key));
	}
}

/* The public blob, the private key and the signature blob, written and read back. */
static void
test_blob_round_trip(void)
{
	const MeshKeyAlg algs[] = {MESH_KEY_ED25519, MESH_KEY_P256};

	for (gsize i = 0; i < G_N_ELEMENTS(algs); i++) {
		g_autoptr(MeshKey) key = mesh_key_generate(algs[i], NULL);
		g_autoptr(GBytes) blob = NULL;
		g_autoptr(GBytes) sig = NULL;
		g_autoptr(MeshKey) from_blob = NULL;
		g_autoptr(MeshKey) priv = NULL;
		g_autofree char *comment = NULL;
		guint8 buf[512];
		MeshSshWriter w;
		MeshSshReader r;
		const guint8 *name;
		gsize name_len;
		GError *error = NULL;

		blob = mesh_ssh_public_blob(key, &error);
		MESH_ASSERT_NO_ERROR(error);
		from_blob = mesh_ssh_public_blob_decode(g_bytes_get_data(blob, NULL),
		                                        g_bytes_get_size(blob), &error);
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_TRUE(mesh_key_equal_public(key, from_blob));

		mesh_sshbuf_writer_init(&w, buf, sizeof buf);
		CU_ASSERT_TRUE(mesh_ssh_put_private(&w, key, "me@host", &error));
		MESH_ASSERT_NO_ERROR(error);
		mesh_sshbuf_reader_init(&r, buf, w.len, "test");
		priv = mesh_ssh_get_private(&r, &comment, &error);
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_TRUE(mesh_key_is_private(priv) && mesh_key_equal_public(key, priv));
		CU_ASSERT_STRING_EQUAL(comment, "me@host");
		CU_ASSERT_EQUAL(mesh_sshbuf_remaining(&r), 0);
		/* The public blob is the private key's first fields. */
		CU_ASSERT_EQUAL(memcmp(buf, g_bytes_get_data(blob, NULL), g_bytes_get_size(blob)),
		                0);
		/* Every shorter text is refused. */
		for (gsize cut = 0; cut < w.len; cut++) {
			g_autoptr(MeshKey) none = NULL;

			mesh_sshbuf_reader_init(&r, buf, cut, "test");
			none = mesh_ssh_get_private(&r, NULL, &error);
			CU_ASSERT_PTR_NULL(none);
			CU_ASSERT_EQUAL(mt_code(&error), MESH_ERROR_MALFORMED);
		}
		/* The private key of another public key. */
		buf[g_bytes_get_size(blob) - 1] ^= 1;
		mesh_sshbuf_reader_init(&r, buf, w.len, "test");
		CU_ASSERT_PTR_NULL(mesh_ssh_get_private(&r, NULL, &error));
		CU_ASSERT_EQUAL(mt_code(&error), MESH_ERROR_MALFORMED);

		sig = mesh_key_sign(key, (const guint8 *)"data", 4, &error);
		MESH_ASSERT_NO_ERROR(error);
		mesh_sshbuf_writer_init(&w, buf, sizeof buf);
		CU_ASSERT_TRUE(mesh_ssh_put_signature(&w, key, sig, &error));
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT(w.len <= 4 + MESH_SSH_SIGNATURE_MAX);
		mesh_sshbuf_reader_init(&r, buf + 4, w.len - 4, "test");
		CU_ASSERT_TRUE(mesh_sshbuf_get_string(&r, &name, &name_len, NULL));
		CU_ASSERT_EQUAL(
		        memcmp((const guint8 *)g_bytes_get_data(blob, NULL) + 4, name, name_len),
		        0);
	}
}

/* The private key format refuses a mismatched Ed25519 inner copy and X25519. */
static void
test_private_refused(void)
{
	g_autoptr(MeshKey) ed = mesh_key_generate(MESH_KEY_ED25519, NULL);
	g_autoptr(MeshKey) x = mesh_key_generate(MESH_KEY_X25519, NULL);
	g_autoptr(GBytes) blob = mesh_ssh_public_blob(ed, NULL);
	g_autoptr(GBytes) sig = g_bytes_new_static("short", 5);
	gsize at = g_bytes_get_size(blob) + 4 + 32;
	guint8 buf[512];
	MeshSshWriter w;
	MeshSshReader r;
	GError *error = NULL;

	mesh_sshbuf_writer_init(&w, buf, sizeof buf);
	CU_ASSERT_TRUE_FATAL(mesh_ssh_put_private(&w, ed, "", NULL));
	buf[at] ^= 1; /* the first byte of the public key inside the private string */
	mesh_sshbuf_reader_init(&r, buf, w.len, "test");
	CU_ASSERT_PTR_NULL(mesh_ssh_get_private(&r, NULL, &error));
	CU_ASSERT_EQUAL(mt_code(&error), MESH_ERROR_MALFORMED);
	mesh_sshbuf_writer_init(&w, buf, sizeof buf);
	CU_ASSERT_FALSE(mesh_ssh_put_private(&w, x, "", &error));
	CU_ASSERT_EQUAL(mt_code(&error), MESH_ERROR_UNSUPPORTED);
	CU_ASSERT_FALSE(mesh_ssh_put_private(&w, ed, "two\nlines", &error));
	CU_ASSERT_EQUAL(mt_code(&error), MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_ssh_put_signature(&w, ed, sig, &error));
	CU_ASSERT_EQUAL(mt_code(&error), MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_ssh_put_signature(&w, x, sig, &error));
	CU_ASSERT_EQUAL(mt_code(&error), MESH_ERROR_UNSUPPORTED);
}

static int
decode_code(const char *line)
{
	g_autoptr(MeshKey) key = NULL;
	GError *error = NULL;

	key = mesh_ssh_public_line_decode(line, &error);
	CU_ASSERT_PTR_NULL(key);
	return mt_code(&error);
}

static void
test_line_refused(void)
{
	g_autoptr(MeshKey) ed = mesh_key_generate(MESH_KEY_ED25519, NULL);
	g_autoptr(MeshKey) p256 = mesh_key_generate(MESH_KEY_P256, NULL);
	g_autoptr(MeshKey) x = mesh_key_generate(MESH_KEY_X25519, NULL);
	g_autofree char *line = mesh_ssh_public_line(ed, NULL, NULL);
	g_autofree char *pline = mesh_ssh_public_line(p256, "c", NULL);
	g_autofree char *swapped = NULL;
	g_autofree char *newline = g_strconcat(line, "\n", NULL);
	g_autofree char *cut = g_strndup(line, strlen(line) - 4);
	g_autofree char *long_comment = g_strnfill(MESH_APPLICATION_SSH_KEY_MAX, 'c');
	g_autofree char *oversize = g_strconcat(line, " ", long_comment, NULL);
	g_autofree char *x_line = NULL;
	GError *error = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pline);
	/* The type word of one key over the blob of the other. */
	swapped = g_strconcat("ecdsa-sha2-nistp256", strchr(line, ' '), NULL);
	CU_ASSERT_EQUAL(decode_code(swapped), MESH_ERROR_MALFORMED);
	CU_ASSERT_EQUAL(decode_code(newline), MESH_ERROR_MALFORMED);
	CU_ASSERT_EQUAL(decode_code(cut), MESH_ERROR_MALFORMED);
	CU_ASSERT_EQUAL(decode_code(oversize), MESH_ERROR_TOO_LARGE);
	CU_ASSERT_EQUAL(decode_code(""), MESH_ERROR_MALFORMED);
	CU_ASSERT_EQUAL(decode_code("ssh-ed25519"), MESH_ERROR_MALFORMED);
	CU_ASSERT_EQUAL(decode_code("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== x"),
	                MESH_ERROR_UNSUPPORTED);
	CU_ASSERT_EQUAL(decode_code("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== x"),
	                MESH_ERROR_MALFORMED);
	x_line = mesh_ssh_public_line(x, NULL, &error);
	CU_ASSERT_PTR_NULL(x_line);
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNSUPPORTED);
	CU_ASSERT_PTR_NULL(mesh_ssh_public_line(ed, "tab\there", &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(mesh_ssh_public_line(ed, long_comment, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
}

typedef struct {
	MtDevice device, other;
	char *profile;
	char *line;
} Fixture;

static void
fixture_make(Fixture *f)
{
	g_autoptr(MeshKey) master = mesh_key_generate(MESH_KEY_ED25519, NULL);
	g_autoptr(MeshKey) ssh = mesh_key_generate(MESH_KEY_ED25519, NULL);

	mt_device_make(&f->device, MESH_KEY_ED25519, MESH_KEY_X25519);
	mt_device_make(&f->other, MESH_KEY_P256, MESH_KEY_P256);
	f->profile = g_strdup(mesh_key_udf(master));
	f->line = mesh_ssh_public_line(ssh, "mesh:alice:test", NULL);
}

static void
fixture_clear(Fixture *f)
{
	mt_device_clear(&f->device);
	mt_device_clear(&f->other);
	g_free(f->profile);
	g_free(f->line);
}

static char *
sign_text(Fixture *f, const char *account, MeshKey *signer)
{
	g_autoptr(MeshSshDeviceKey) key = NULL;
	g_autoptr(JsonNode) node = NULL;
	GError *error = NULL;

	key = mesh_ssh_device_key_new(account, f->profile, mesh_key_udf(f->device.sig), f->line, 1,
	                              &error);
	MESH_ASSERT_NO_ERROR(error);
	node = mesh_ssh_device_key_sign(key, signer, mesh_signed_sign_with_key, signer, &error);
	MESH_ASSERT_NO_ERROR(error);
	return mt_text(node);
}

static int
verify_code(const char *text, MeshKey *key)
{
	g_autoptr(MeshSshDeviceKey) parsed = NULL;
	GError *error = NULL;

	parsed = mesh_ssh_device_key_parse(text, strlen(text), key, &error);
	CU_ASSERT_EQUAL(parsed == NULL, error != NULL);
	return mt_code(&error);
}

static void
test_round_trip(void)
{
	Fixture f = {0};
	g_autofree char *text = NULL;
	g_autoptr(MeshSshDeviceKey) parsed = NULL;
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *kid = NULL;
	g_autofree char *id = NULL;
	g_autofree char *id_other = NULL;
	GError *error = NULL;

	fixture_make(&f);
	text = sign_text(&f, ACCOUNT, f.device.sig);
	parsed = mesh_ssh_device_key_parse(text, strlen(text), f.device.sig, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(parsed->account, ACCOUNT);
	CU_ASSERT_STRING_EQUAL(parsed->profile, f.profile);
	CU_ASSERT_STRING_EQUAL(parsed->device_udf, mesh_key_udf(f.device.sig));
	CU_ASSERT_STRING_EQUAL(parsed->public_key, f.line);
	CU_ASSERT_EQUAL(parsed->serial, 1);
	/* Opened without a key: the kid names the device. */
	root = mesh_json_parse(text, strlen(text), MESH_SSH_DEVICE_KEY_MAX, NULL);
	g_clear_pointer(&parsed, mesh_ssh_device_key_free);
	parsed = mesh_ssh_device_key_open(root, &kid, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(kid, mesh_key_udf(f.device.sig));
	/* The identifier: the same for the same profile and device, another for another device,
	 * a short SHA-512 content digest. */
	id = mesh_ssh_device_key_identifier(f.profile, mesh_key_udf(f.device.sig), &error);
	MESH_ASSERT_NO_ERROR(error);
	id_other = mesh_ssh_device_key_identifier(f.profile, mesh_key_udf(f.other.sig), &error);
	CU_ASSERT_STRING_NOT_EQUAL(id, id_other);
	CU_ASSERT_TRUE(id[0] == 'M' && strlen(id) < 64);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, id));
	fixture_clear(&f);
}

static void
test_refused(void)
{
	Fixture f = {0};
	g_autofree char *text = NULL;
	const char *bad_line[] = {"PublicKey", "ssh-ed25519 AAAA x"};
	const char *rsa_line[] = {"PublicKey", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== x"};
	const char *bad_account[] = {"Account", "Alice Example"};
	const char *other_device[] = {"DeviceUDF", NULL};
	g_autofree char *long_line = NULL;
	const char *oversize[] = {"PublicKey", NULL};
	g_autoptr(MeshSshDeviceKey) key = NULL;
	GError *error = NULL;

	fixture_make(&f);
	text = sign_text(&f, ACCOUNT, f.device.sig);
	/* Another key than the device's. */
	CU_ASSERT_EQUAL(verify_code(text, f.other.sig), MESH_ERROR_BAD_SIGNATURE);
	/* Tampered without re-signing. */
	{
		g_autofree char *t = mt_tamper(text, MESH_SSH_DEVICE_KEY_TAG, TRUE, mt_set_string,
		                               (gpointer)bad_account, NULL, NULL);
		g_autofree char *t2 = mt_tamper(text, MESH_SSH_DEVICE_KEY_TAG, TRUE,
		                                mt_set_serial_zero, NULL, NULL, NULL);
		const char *line2[] = {"PublicKey", NULL};
		g_autoptr(MeshKey) ssh2 = mesh_key_generate(MESH_KEY_P256, NULL);
		g_autofree char *l2 = mesh_ssh_public_line(ssh2, NULL, NULL);
		g_autofree char *t3 = NULL;

		line2[1] = l2;
		t3 = mt_tamper(text, MESH_SSH_DEVICE_KEY_TAG, TRUE, mt_set_string, line2, NULL,
		               NULL);
		CU_ASSERT_EQUAL(verify_code(t, f.device.sig), MESH_ERROR_MALFORMED);
		CU_ASSERT_EQUAL(verify_code(t2, f.device.sig), MESH_ERROR_MALFORMED);
		/* A well-formed key swapped in: the signature no longer verifies. */
		CU_ASSERT_EQUAL(verify_code(t3, f.device.sig), MESH_ERROR_BAD_SIGNATURE);
	}
	/* Re-signed by another device, for the first device: that signer's key refuses it as
	 * not its own, the first device's as not its signature. */
	{
		g_autofree char *t = mt_tamper(text, MESH_SSH_DEVICE_KEY_TAG, TRUE, NULL, NULL,
		                               f.other.sig, NULL);

		CU_ASSERT_EQUAL(verify_code(t, f.other.sig), MESH_ERROR_UNAUTHORIZED);
		CU_ASSERT_EQUAL(verify_code(t, f.device.sig), MESH_ERROR_BAD_SIGNATURE);
	}
	/* Bad key lines and fields, re-signed so that only the content is wrong. */
	{
		g_autofree char *t = mt_tamper(text, MESH_SSH_DEVICE_KEY_TAG, TRUE, mt_set_string,
		                               (gpointer)bad_line, f.device.sig, NULL);
		g_autofree char *t2 = mt_tamper(text, MESH_SSH_DEVICE_KEY_TAG, TRUE, mt_set_string,
		                                (gpointer)rsa_line, f.device.sig, NULL);
		g_autofree char *t3 = mt_tamper(text, MESH_SSH_DEVICE_KEY_TAG, TRUE, mt_add_member,
		                                NULL, f.device.sig, NULL);
		g_autofree char *t4 = NULL;
		g_autofree char *t5 = NULL;
		g_autofree char *t6 = NULL;

		other_device[1] = mesh_key_udf(f.other.sig);
		t4 = mt_tamper(text, MESH_SSH_DEVICE_KEY_TAG, TRUE, mt_set_string, other_device,
		               f.device.sig, NULL);
		g_autofree char *xs = g_strnfill(MESH_APPLICATION_SSH_KEY_MAX, 'x');

		long_line = g_strconcat(f.line, " ", xs, NULL);
		oversize[1] = long_line;
		t5 = mt_tamper(text, MESH_SSH_DEVICE_KEY_TAG, TRUE, mt_set_string, oversize,
		               f.device.sig, NULL);
		/* The wrapper names another entry. */
		t6 = mt_tamper(text, MESH_SSH_DEVICE_KEY_TAG, TRUE, NULL, NULL, f.device.sig,
		               f.profile);
		CU_ASSERT_EQUAL(verify_code(t, f.device.sig), MESH_ERROR_MALFORMED);
		CU_ASSERT_EQUAL(verify_code(t2, f.device.sig), MESH_ERROR_UNSUPPORTED);
		CU_ASSERT_EQUAL(verify_code(t3, f.device.sig), MESH_ERROR_MALFORMED);
		/* DeviceUDF of another device (and so another Identifier). */
		CU_ASSERT_NOT_EQUAL(verify_code(t4, f.device.sig), 0);
		CU_ASSERT_EQUAL(verify_code(t5, f.device.sig), MESH_ERROR_TOO_LARGE);
		CU_ASSERT_EQUAL(verify_code(t6, f.device.sig), MESH_ERROR_MALFORMED);
	}
	/* Writers refuse what readers refuse. */
	key = mesh_ssh_device_key_new("Alice Example", f.profile, mesh_key_udf(f.device.sig),
	                              f.line, 1, &error);
	CU_ASSERT_PTR_NULL(key);
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	key = mesh_ssh_device_key_new(ACCOUNT, f.profile, mesh_key_udf(f.device.sig),
	                              "ssh-ed25519 AAAA", 1, &error);
	CU_ASSERT_PTR_NULL(key);
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	key = mesh_ssh_device_key_new(ACCOUNT, f.profile, mesh_key_udf(f.device.sig), f.line, 1,
	                              &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NULL(mesh_ssh_device_key_sign(key, f.other.sig, mesh_signed_sign_with_key,
	                                            f.other.sig, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	/* Truncated and oversize texts. */
	CU_ASSERT_EQUAL(verify_code("{\"SignedSSHDeviceKey\":", f.device.sig),
	                MESH_ERROR_MALFORMED);
	{
		g_autofree char *big = g_strnfill(MESH_SSH_DEVICE_KEY_MAX + 1, ' ');

		CU_ASSERT_EQUAL(verify_code(big, f.device.sig), MESH_ERROR_TOO_LARGE);
	}
	fixture_clear(&f);
}

static CU_TestInfo tests[] = {
        {"public key lines: the same as backends/openssh.c", test_line_matches_openssh},
        {"public key lines: refused", test_line_refused},
        {"blobs: public, private, signature round trips", test_blob_round_trip},
        {"private keys and signatures: refused", test_private_refused},
        {"SSHDeviceKey: sign, verify, open, identifier", test_round_trip},
        {"SSHDeviceKey: tampered, wrong signer, bad key, oversize, wrong account", test_refused},
        CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("sshkey", tests);
}
