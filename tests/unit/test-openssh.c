/* SPDX-License-Identifier: MIT */
/* The OpenSSH key codec: keys made by ssh-keygen (OpenSSH 9.2, Debian 12), round trips, and
 * damaged, hostile and unsupported input. */
#include "cutest.h"
#include "error.h"
#include "key.h"
#include "openssh.h"
#include "sshbuf.h"

#include <string.h>

/* ssh-keygen -t ed25519 -N '' -C plain@ed25519 */
static const char ed_plain[] =
	"-----BEGIN OPENSSH PRIVATE KEY-----\n"
	"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
	"QyNTUxOQAAACCK9WycmjwvhcIHgEtsZMYtaiit/qlY2I/6DPKT61JImgAAAJDsEsJ37BLC\n"
	"dwAAAAtzc2gtZWQyNTUxOQAAACCK9WycmjwvhcIHgEtsZMYtaiit/qlY2I/6DPKT61JImg\n"
	"AAAEABUY8MCJ28pxPy3v3vIBF/xphF+k+l1ZQM0mgPMlZ8wIr1bJyaPC+FwgeAS2xkxi1q\n"
	"KK3+qVjYj/oM8pPrUkiaAAAADXBsYWluQGVkMjU1MTk=\n"
	"-----END OPENSSH PRIVATE KEY-----\n";
static const char ed_plain_pub[] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIr1bJyaPC+FwgeAS2xkxi1q"
				   "KK3+qVjYj/oM8pPrUkia plain@ed25519\n";
/* ssh-keygen -e -f ed_plain.pub */
static const char ed_plain_rfc4716[] =
	"---- BEGIN SSH2 PUBLIC KEY ----\n"
	"Comment: \"256-bit ED25519, converted by root@vm from OpenSSH\"\n"
	"AAAAC3NzaC1lZDI1NTE5AAAAIIr1bJyaPC+FwgeAS2xkxi1qKK3+qVjYj/oM8pPrUkia\n"
	"---- END SSH2 PUBLIC KEY ----\n";

/* ssh-keygen -t ed25519 -N 'correct horse' -a 4 -C enc@ed25519 */
static const char ed_enc[] =
	"-----BEGIN OPENSSH PRIVATE KEY-----\n"
	"b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABD4tb/PI2\n"
	"j61CSR7ggT0DeFAAAABAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIAOM8Ip8TZzfoxEq\n"
	"BjTf8/rFYbTtB8d00LXZGjoaChexAAAAkOcqhqSgVuntH9iNLh7NxkPG3zg2RUjbOzpbnd\n"
	"iAJ4e6p8Jnl2AJDSvDONtcw9SFWlDbbUuek+feObymPXgvb2cLynzIhAqYoV8zQLjf2Q7B\n"
	"A/CsGa/k4G4AOzgqHer8F0qE5w6bKZdbpV7ln0B+5WZN2u/adU1LhlnGie7muWZuqh/tNo\n"
	"kCf1A/SWmV6mX+hw==\n"
	"-----END OPENSSH PRIVATE KEY-----\n";
static const char ed_enc_pub[] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAOM8Ip8TZzfoxEqBjTf8/rF"
				 "YbTtB8d00LXZGjoaChex enc@ed25519";

/* ssh-keygen -t ecdsa -b 256 -N '' -C plain@p256 */
static const char ec_plain[] =
	"-----BEGIN OPENSSH PRIVATE KEY-----\n"
	"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAaAAAABNlY2RzYS\n"
	"1zaGEyLW5pc3RwMjU2AAAACG5pc3RwMjU2AAAAQQTGEhB9N87s3IHLMPkbsHaRoNW64plZ\n"
	"YepG6XknsM/NPQcDTfmjIIMz8A/4ANTnrKNYS3FcF3fBqtaj3CzzZcseAAAAqMGihS3Boo\n"
	"UtAAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBMYSEH03zuzcgcsw\n"
	"+RuwdpGg1brimVlh6kbpeSewz809BwNN+aMggzPwD/gA1Oeso1hLcVwXd8Gq1qPcLPNlyx\n"
	"4AAAAgLhrEyOfWXf9VGEnKf2UNBvNWJzyU+WsXdSG8Dea19w0AAAAKcGxhaW5AcDI1NgEC\n"
	"AwQFBg==\n"
	"-----END OPENSSH PRIVATE KEY-----\n";
static const char ec_plain_pub[] =
	"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBMYSEH03zuzcgcsw"
	"+RuwdpGg1brimVlh6kbpeSewz809BwNN+aMggzPwD/gA1Oeso1hLcVwXd8Gq1qPcLPNlyx4= plain@p256\n";
static const char ec_plain_rfc4716[] =
	"---- BEGIN SSH2 PUBLIC KEY ----\n"
	"Comment: \"256-bit ECDSA, converted by root@vm from OpenSSH\"\n"
	"AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBMYSEH03zuzcgcsw+R\n"
	"uwdpGg1brimVlh6kbpeSewz809BwNN+aMggzPwD/gA1Oeso1hLcVwXd8Gq1qPcLPNlyx4=\n"
	"---- END SSH2 PUBLIC KEY ----\n";

/* ssh-keygen -t ecdsa -b 256 -N 'correct horse' -a 4 -C enc@p256 */
static const char ec_enc[] =
	"-----BEGIN OPENSSH PRIVATE KEY-----\n"
	"b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABCdm6rJsD\n"
	"MZEYhprGzdhr+FAAAABAAAAAEAAABoAAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlz\n"
	"dHAyNTYAAABBBOrHFi3t4voOIONYT4d5bdDZGrg9toBu5KlYKwuGx/2pP+Ewc2H9pnfiNj\n"
	"Oo9qpFePxgPYQOsGZcNRgVJ/8//QMAAACwPZYFjn9EAxeAOGjK77eb9sepG1QUV0oGv3uc\n"
	"HVe/b11msWP8W9WJH64NtmA37qUJSks4YQKi8nECPFpzHPg4nprKM33citNI8h3XfSr/k8\n"
	"pW9W6bd4U+yp485Fh1/vUW5tyC9+nGv0dgNdJqxZHXEvXi9JTSXg54cQ7Tg3h/eXebabE1\n"
	"jDSl6xt6EArapTUkl8E2Yxn8M9jyK9pCzwTyPn7eYXpqw0waCEMLPJHvAOk=\n"
	"-----END OPENSSH PRIVATE KEY-----\n";
static const char ec_enc_pub[] =
	"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBOrHFi3t4voOIONY"
	"T4d5bdDZGrg9toBu5KlYKwuGx/2pP+Ewc2H9pnfiNjOo9qpFePxgPYQOsGZcNRgVJ/8//QM= enc@p256";

static MeshSecret *
pass(const char *s)
{
	return mesh_secret_new_from_data(s, strlen(s));
}

static MeshKey *
decode_ok(const char *text, const MeshSecret *passphrase, char **ret_comment)
{
	GError *error = NULL;
	MeshKey *key = NULL;

	CU_ASSERT_TRUE(mesh_openssh_private_decode(text, strlen(text), passphrase, 0, &key,
						   ret_comment, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(key);
	CU_ASSERT_TRUE(mesh_key_is_private(key));
	return key;
}

static void
decode_fails(const char *text, gsize len, const MeshSecret *passphrase, unsigned max_rounds,
	     MeshError code)
{
	GError *error = NULL;
	MeshKey *key = NULL;

	CU_ASSERT_FALSE(mesh_openssh_private_decode(text, len, passphrase, max_rounds, &key, NULL,
						    &error));
	CU_ASSERT_PTR_NULL(key);
	MESH_ASSERT_ERROR(error, code);
}

/* The key signs, and the public key given verifies the signature. */
static void
assert_signs(const MeshKey *key, const MeshKey *pub)
{
	GError *error = NULL;
	static const guint8 msg[] = "meshagent";
	g_autoptr(GBytes) sig = mesh_key_sign(key, msg, sizeof msg, &error);

	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_key_verify(pub, msg, sizeof msg, g_bytes_get_data(sig, NULL),
				       g_bytes_get_size(sig), &error));
	MESH_ASSERT_NO_ERROR(error);
}

static void
check_ssh_keygen_key(const char *priv, const char *pub_line, const MeshSecret *passphrase,
		     const char *want_comment, MeshKeyAlg alg)
{
	GError *error = NULL;
	g_autofree char *comment = NULL;
	g_autofree char *pub_comment = NULL;
	g_autoptr(MeshKey) key = decode_ok(priv, passphrase, &comment);
	g_autoptr(MeshKey) pub =
	        mesh_ssh_public_file_line_decode(pub_line, strlen(pub_line), &pub_comment, &error);
	g_autoptr(MeshKey) peeked = NULL;
	gboolean encrypted = FALSE;

	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(mesh_key_alg(key), alg);
	CU_ASSERT_TRUE(mesh_key_equal_public(key, pub));
	CU_ASSERT_STRING_EQUAL(comment, want_comment);
	CU_ASSERT_STRING_EQUAL(pub_comment, want_comment);
	assert_signs(key, pub);
	CU_ASSERT_TRUE(mesh_openssh_private_peek(priv, strlen(priv), &peeked, &encrypted, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_key_equal_public(peeked, pub));
	CU_ASSERT_FALSE(mesh_key_is_private(peeked));
	CU_ASSERT_EQUAL(encrypted, passphrase != NULL);
}

static void
test_ssh_keygen_unencrypted(void)
{
	check_ssh_keygen_key(ed_plain, ed_plain_pub, NULL, "plain@ed25519", MESH_KEY_ED25519);
	check_ssh_keygen_key(ec_plain, ec_plain_pub, NULL, "plain@p256", MESH_KEY_P256);
}

static void
test_ssh_keygen_encrypted(void)
{
	/* Known answers for bcrypt_pbkdf + aes256-ctr: keys encrypted by ssh-keygen. */
	g_autoptr(MeshSecret) good = pass("correct horse");
	g_autoptr(MeshSecret) good_nul = mesh_secret_new_from_data("correct horse", 14);
	g_autoptr(MeshSecret) bad = pass("correct horsf");

	check_ssh_keygen_key(ed_enc, ed_enc_pub, good, "enc@ed25519", MESH_KEY_ED25519);
	check_ssh_keygen_key(ec_enc, ec_enc_pub, good, "enc@p256", MESH_KEY_P256);
	/* A NUL-terminated passphrase is the same passphrase. */
	check_ssh_keygen_key(ed_enc, ed_enc_pub, good_nul, "enc@ed25519", MESH_KEY_ED25519);
	decode_fails(ed_enc, strlen(ed_enc), bad, 0, MESH_ERROR_BAD_PASSPHRASE);
	decode_fails(ec_enc, strlen(ec_enc), bad, 0, MESH_ERROR_BAD_PASSPHRASE);
	decode_fails(ed_enc, strlen(ed_enc), NULL, 0, MESH_ERROR_LOCKED);
	{
		g_autoptr(MeshSecret) empty = mesh_secret_new(0);

		decode_fails(ec_enc, strlen(ec_enc), empty, 0, MESH_ERROR_LOCKED);
	}
	/* ssh-keygen used 4 rounds: a limit of 3 refuses the key before any work. */
	decode_fails(ed_enc, strlen(ed_enc), good, 3, MESH_ERROR_TOO_LARGE);
}

static void
round_trip(MeshKeyAlg alg, const char *passphrase, unsigned rounds, const char *comment)
{
	GError *error = NULL;
	g_autoptr(MeshKey) key = mesh_key_generate(alg, &error);
	g_autoptr(MeshSecret) p = passphrase ? pass(passphrase) : NULL;
	g_autoptr(MeshSecret) text = mesh_openssh_private_encode(key, comment, p, rounds, &error);
	g_autoptr(MeshKey) back = NULL;
	g_autofree char *got_comment = NULL;
	const char *t;
	gsize len;

	MESH_ASSERT_NO_ERROR(error);
	t = (const char *)mesh_secret_get(text);
	len = mesh_secret_len(text) - 1;
	CU_ASSERT_EQUAL(strlen(t), len);
	CU_ASSERT_TRUE(g_str_has_prefix(t, "-----BEGIN OPENSSH PRIVATE KEY-----\n"));
	CU_ASSERT_TRUE(g_str_has_suffix(t, "\n-----END OPENSSH PRIVATE KEY-----\n"));
	/* 70-column lines */
	{
		g_auto(GStrv) lines = g_strsplit(t, "\n", -1);
		guint n = g_strv_length(lines);

		/* BEGIN, full lines, the last base64 line, END, "" */
		for (guint i = 1; i + 3 < n; i++)
			CU_ASSERT_EQUAL(strlen(lines[i]), 70);
		CU_ASSERT_TRUE(strlen(lines[n - 3]) <= 70);
	}
	back = decode_ok(t, p, &got_comment);
	CU_ASSERT_TRUE(mesh_key_equal_public(key, back));
	CU_ASSERT_STRING_EQUAL(mesh_key_udf(key), mesh_key_udf(back));
	CU_ASSERT_STRING_EQUAL(got_comment, comment ? comment : "");
	assert_signs(back, key);
	if (passphrase != NULL) {
		g_autoptr(MeshSecret) wrong = pass("not the passphrase");

		decode_fails(t, len, wrong, 0, MESH_ERROR_BAD_PASSPHRASE);
		decode_fails(t, len, NULL, 0, MESH_ERROR_LOCKED);
	}
}

static void
test_round_trip(void)
{
	round_trip(MESH_KEY_ED25519, NULL, 0, "alice@example");
	round_trip(MESH_KEY_P256, NULL, 0, NULL);
	round_trip(MESH_KEY_ED25519, "pass phrase", 2, "");
	round_trip(MESH_KEY_P256, "pass phrase", 2, "a comment with spaces, and ünïcode");
	if (g_getenv("MESH_TEST_QUICK") == NULL)
		round_trip(MESH_KEY_ED25519, "pass phrase", 0, "default rounds");
}

static void
test_encode_refuses(void)
{
	GError *error = NULL;
	g_autoptr(MeshKey) x = mesh_key_generate(MESH_KEY_X25519, &error);
	g_autoptr(MeshKey) ed = mesh_key_generate(MESH_KEY_ED25519, &error);
	g_autoptr(MeshKey) pub = mesh_key_get_public(ed, &error);
	g_autofree char *long_comment = g_strnfill(MESH_SSH_COMMENT_MAX + 1, 'c');

	CU_ASSERT_PTR_NULL(mesh_openssh_private_encode(x, NULL, NULL, 0, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNSUPPORTED);
	CU_ASSERT_PTR_NULL(mesh_ssh_public_file_line(x, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNSUPPORTED);
	CU_ASSERT_PTR_NULL(mesh_openssh_rfc4716_encode(x, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNSUPPORTED);
	CU_ASSERT_PTR_NULL(mesh_openssh_private_encode(pub, NULL, NULL, 0, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(mesh_openssh_private_encode(ed, "two\nlines", NULL, 0, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(mesh_openssh_private_encode(ed, long_comment, NULL, 0, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(mesh_openssh_private_encode(ed, "\xff", NULL, 0, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_PTR_NULL(mesh_ssh_public_file_line(ed, "a\nb", &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	{
		g_autoptr(MeshSecret) p = pass("p");

		unsigned too_many = MESH_OPENSSH_ROUNDS_MAX + 1;

		CU_ASSERT_PTR_NULL(mesh_openssh_private_encode(ed, NULL, p, too_many, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	}
}

/* ---- Damaged keys: take the binary apart, change it, and armour it again -------------------- */

static GBytes *
unarmour(const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autoptr(GString) b64 = g_string_new(NULL);
	gsize n;
	guint8 *data;

	for (gsize i = 1; lines[i] != NULL && !g_str_has_prefix(lines[i], "-----END"); i++)
		g_string_append(b64, lines[i]);
	data = g_base64_decode(b64->str, &n);
	return g_bytes_new_take(data, n);
}

static char *
armour(const guint8 *data, gsize len)
{
	g_autofree char *b64 = g_base64_encode(data, len);
	GString *out = g_string_new("-----BEGIN OPENSSH PRIVATE KEY-----\n");

	for (gsize i = 0; i < strlen(b64); i += 70) {
		g_string_append_len(out, b64 + i, (gssize)MIN(70, strlen(b64) - i));
		g_string_append_c(out, '\n');
	}
	g_string_append(out, "-----END OPENSSH PRIVATE KEY-----\n");
	return g_string_free(out, FALSE);
}

static void
damaged_fails(const guint8 *data, gsize len, const MeshSecret *passphrase, MeshError code)
{
	g_autofree char *text = armour(data, len);

	decode_fails(text, strlen(text), passphrase, 0, code);
}

/* Offset of the private section (after its length) in an openssh-key-v1 blob. */
static gsize
private_offset(const guint8 *data, gsize len)
{
	MeshSshReader r;
	const guint8 *p;
	gsize n;
	guint32 nkeys;

	mesh_sshbuf_reader_init(&r, data, len, "test");
	CU_ASSERT_TRUE_FATAL(mesh_sshbuf_get_bytes(&r, 15, &p, NULL));
	for (int i = 0; i < 3; i++)
		CU_ASSERT_TRUE_FATAL(mesh_sshbuf_get_string(&r, &p, &n, NULL));
	CU_ASSERT_TRUE_FATAL(mesh_sshbuf_get_u32(&r, &nkeys, NULL));
	CU_ASSERT_TRUE_FATAL(mesh_sshbuf_get_string(&r, &p, &n, NULL));
	CU_ASSERT_TRUE_FATAL(mesh_sshbuf_get_string(&r, &p, &n, NULL));
	return (gsize)(p - data);
}

static void
replace_all(guint8 *data, gsize len, const char *from, const char *to)
{
	gsize n = strlen(from);

	g_assert(strlen(to) == n);
	for (gsize i = 0; i + n <= len; i++) {
		if (memcmp(data + i, from, n) == 0)
			memcpy(data + i, to, n);
	}
}

static void
test_truncated_everywhere(void)
{
	const char *texts[] = { ed_plain, ec_plain, ed_enc };
	g_autoptr(MeshSecret) p = pass("correct horse");

	for (gsize t = 0; t < G_N_ELEMENTS(texts); t++) {
		g_autoptr(GBytes) blob = unarmour(texts[t]);
		gsize len;
		const guint8 *data = g_bytes_get_data(blob, &len);

		/* Every shorter blob, and every shorter text. */
		for (gsize cut = 0; cut < len; cut++)
			damaged_fails(data, cut, p, MESH_ERROR_MALFORMED);
		for (gsize cut = 0; cut + 1 < strlen(texts[t]); cut++) {
			GError *error = NULL;
			MeshKey *key = NULL;

			CU_ASSERT_FALSE(mesh_openssh_private_decode(texts[t], cut, p, 0, &key, NULL,
								    &error));
			CU_ASSERT_PTR_NOT_NULL(error);
			g_clear_error(&error);
		}
		/* Without its final newline the text is still a key. */
		{
			g_autoptr(MeshKey) key = NULL;

			gsize chomped = strlen(texts[t]) - 1;

			CU_ASSERT_TRUE(mesh_openssh_private_decode(texts[t], chomped, p, 0, &key,
								   NULL, NULL));
		}
	}
}

static void
test_damaged(void)
{
	g_autoptr(GBytes) blob = unarmour(ed_plain);
	gsize len = g_bytes_get_size(blob), off;
	g_autofree guint8 *d = g_memdup2(g_bytes_get_data(blob, NULL), len);
	g_autofree guint8 *longer = g_malloc(len + 8);

	off = private_offset(d, len);
	/* check-ints differ */
	d[off] ^= 1;
	damaged_fails(d, len, NULL, MESH_ERROR_MALFORMED);
	d[off] ^= 1;
	/* private key half does not match the public key */
	d[len - 30] ^= 1;
	damaged_fails(d, len, NULL, MESH_ERROR_MALFORMED);
	d[len - 30] ^= 1;
	/* trailing bytes after the private section */
	memcpy(longer, d, len);
	memset(longer + len, 0, 8);
	damaged_fails(longer, len + 8, NULL, MESH_ERROR_MALFORMED);
	/* bad magic */
	d[3] ^= 0x20;
	damaged_fails(d, len, NULL, MESH_ERROR_MALFORMED);
	d[3] ^= 0x20;
	/* unknown key type, everywhere it is named */
	replace_all(d, len, "ssh-ed25519", "ssh-ed25518");
	damaged_fails(d, len, NULL, MESH_ERROR_UNSUPPORTED);
	replace_all(d, len, "ssh-ed25518", "ssh-ed25519");
	/* padding: ec_plain's private section ends in 1 2 3 4 5 6 */
	{
		g_autoptr(GBytes) ec = unarmour(ec_plain);
		gsize n = g_bytes_get_size(ec);
		g_autofree guint8 *e = g_memdup2(g_bytes_get_data(ec, NULL), n);

		CU_ASSERT_EQUAL(e[n - 1], 6);
		e[n - 1] = 7;
		damaged_fails(e, n, NULL, MESH_ERROR_MALFORMED);
		e[n - 1] = 6;
		e[n - 6] = 0;
		damaged_fails(e, n, NULL, MESH_ERROR_MALFORMED);
	}
	/* and the untouched copy still decodes */
	{
		g_autofree char *text = armour(d, len);
		g_autoptr(MeshKey) key = decode_ok(text, NULL, NULL);

		CU_ASSERT_EQUAL(mesh_key_alg(key), MESH_KEY_ED25519);
	}
}

static void
test_damaged_encrypted(void)
{
	g_autoptr(MeshSecret) p = pass("correct horse");
	g_autoptr(GBytes) blob = unarmour(ed_enc);
	gsize len = g_bytes_get_size(blob);
	g_autofree guint8 *d = g_memdup2(g_bytes_get_data(blob, NULL), len);
	guint8 *rounds;

	/* another cipher, another kdf */
	replace_all(d, len, "aes256-ctr", "aes256-cbc");
	damaged_fails(d, len, p, MESH_ERROR_UNSUPPORTED);
	replace_all(d, len, "aes256-cbc", "aes256-ctr");
	replace_all(d, len, "bcrypt", "scrypt");
	damaged_fails(d, len, p, MESH_ERROR_UNSUPPORTED);
	replace_all(d, len, "scrypt", "bcrypt");
	/* rounds: 4 at offset magic(15) + cipher(4+10) + kdf(4+6) + opts len(4) + salt(4+16) */
	rounds = d + 15 + 14 + 10 + 4 + 20;
	CU_ASSERT_EQUAL(rounds[3], 4);
	memset(rounds, 0xff, 4);
	damaged_fails(d, len, p, MESH_ERROR_TOO_LARGE);
	memset(rounds, 0, 4);
	damaged_fails(d, len, p, MESH_ERROR_MALFORMED);
	rounds[3] = 4;
	/* tampered ciphertext in the check-ints reads as a wrong passphrase */
	d[private_offset(d, len)] ^= 1;
	damaged_fails(d, len, p, MESH_ERROR_BAD_PASSPHRASE);
}

static void
test_armour(void)
{
	g_autofree char *big = g_strnfill(MESH_SSH_TEXT_MAX + 1, 'A');
	g_autofree char *junk_before = g_strconcat("x", ed_plain, NULL);
	g_autofree char *junk_after = g_strconcat(ed_plain, "x\n", NULL);
	g_autofree char *ws_after = g_strconcat(ed_plain, "\n \n", NULL);
	g_autofree char *crlf = NULL;
	g_autofree char *bad_char = g_strdup(ed_plain);
	g_autofree char *pad_mid = g_strdup(ed_plain);

	decode_fails(big, strlen(big), NULL, 0, MESH_ERROR_TOO_LARGE);
	decode_fails(junk_before, strlen(junk_before), NULL, 0, MESH_ERROR_MALFORMED);
	decode_fails(junk_after, strlen(junk_after), NULL, 0, MESH_ERROR_MALFORMED);
	decode_fails("", 0, NULL, 0, MESH_ERROR_MALFORMED);
	bad_char[40] = '*';
	decode_fails(bad_char, strlen(bad_char), NULL, 0, MESH_ERROR_MALFORMED);
	pad_mid[40] = '=';
	decode_fails(pad_mid, strlen(pad_mid), NULL, 0, MESH_ERROR_MALFORMED);
	{
		g_autoptr(MeshKey) key = decode_ok(ws_after, NULL, NULL);

		CU_ASSERT_EQUAL(mesh_key_alg(key), MESH_KEY_ED25519);
	}
	{
		g_auto(GStrv) lines = g_strsplit(ed_plain, "\n", -1);
		g_autoptr(MeshKey) key = NULL;

		crlf = g_strjoinv("\r\n", lines);
		key = decode_ok(crlf, NULL, NULL);
	}
}

/* ---- Public keys ------------------------------------------------------------------------- */

static void
test_public_line(void)
{
	GError *error = NULL;
	const MeshKeyAlg algs[] = { MESH_KEY_ED25519, MESH_KEY_P256 };

	for (gsize a = 0; a < G_N_ELEMENTS(algs); a++) {
		g_autoptr(MeshKey) key = mesh_key_generate(algs[a], &error);
		g_autofree char *line = mesh_ssh_public_file_line(key, "me@host", &error);
		g_autofree char *bare = mesh_ssh_public_file_line(key, NULL, &error);
		g_autofree char *comment = NULL;
		g_autoptr(MeshKey) back = NULL;
		g_autoptr(MeshKey) back2 = NULL;

		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_TRUE(g_str_has_suffix(line, " me@host\n"));
		back = mesh_ssh_public_file_line_decode(line, strlen(line), &comment, &error);
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_TRUE(mesh_key_equal_public(key, back));
		CU_ASSERT_STRING_EQUAL(comment, "me@host");
		g_clear_pointer(&comment, g_free);
		back2 = mesh_ssh_public_file_line_decode(bare, strlen(bare), &comment, &error);
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_TRUE(mesh_key_equal_public(key, back2));
		CU_ASSERT_STRING_EQUAL(comment, "");
	}
}

static void
line_fails(const char *line, gsize len, MeshError code)
{
	GError *error = NULL;

	CU_ASSERT_PTR_NULL(mesh_ssh_public_file_line_decode(line, len, NULL, &error));
	MESH_ASSERT_ERROR(error, code);
}

static void
test_public_line_bad(void)
{
	/* the ecdsa blob under the ssh-ed25519 word */
	g_autofree char *swapped = g_strconcat("ssh-ed25519", strchr(ec_plain_pub, ' '), NULL);
	g_autofree char *two = g_strconcat(ed_plain_pub, ed_plain_pub, NULL);
	gsize b64_end = (gsize)(strrchr(ed_plain_pub, ' ') - ed_plain_pub);

	line_fails(swapped, strlen(swapped), MESH_ERROR_MALFORMED);
	line_fails(two, strlen(two), MESH_ERROR_MALFORMED);
	line_fails("ssh-ed25519", 11, MESH_ERROR_MALFORMED);
	line_fails("ssh-ed25519 AAAA*AAA", 20, MESH_ERROR_MALFORMED);
	line_fails("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAAQC=", 40, MESH_ERROR_MALFORMED);
	line_fails("ssh-rsa AAAAB3NzaC1yc2E=", 24, MESH_ERROR_UNSUPPORTED);
	/* cut anywhere in the type or base64 */
	for (gsize cut = 0; cut < b64_end; cut++) {
		GError *error = NULL;

		CU_ASSERT_PTR_NULL(
		        mesh_ssh_public_file_line_decode(ed_plain_pub, cut, NULL, &error));
		CU_ASSERT_PTR_NOT_NULL(error);
		g_clear_error(&error);
	}
}

static void
test_rfc4716(void)
{
	GError *error = NULL;
	const char *files[] = { ed_plain_rfc4716, ec_plain_rfc4716 };
	const char *lines[] = { ed_plain_pub, ec_plain_pub };

	for (gsize f = 0; f < G_N_ELEMENTS(files); f++) {
		g_autofree char *comment = NULL;
		g_autoptr(MeshKey) key = mesh_openssh_rfc4716_decode(files[f], strlen(files[f]),
								     &comment, &error);
		g_autoptr(MeshKey) want =
		        mesh_ssh_public_file_line_decode(lines[f], strlen(lines[f]), NULL, &error);
		g_autofree char *again = NULL;

		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_TRUE(mesh_key_equal_public(key, want));
		CU_ASSERT_TRUE(g_str_has_suffix(comment, "converted by root@vm from OpenSSH"));
		CU_ASSERT_TRUE(g_str_has_prefix(comment, "256-bit "));
		/* our encoder writes what ssh-keygen -e writes */
		again = mesh_openssh_rfc4716_encode(key, comment, &error);
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_STRING_EQUAL(again, files[f]);
		/* cut anywhere before the final newline */
		for (gsize cut = 0; cut + 1 < strlen(files[f]); cut++) {
			CU_ASSERT_PTR_NULL(
				mesh_openssh_rfc4716_decode(files[f], cut, NULL, &error));
			CU_ASSERT_PTR_NOT_NULL(error);
			g_clear_error(&error);
		}
	}
}

static void
test_rfc4716_long_comment(void)
{
	GError *error = NULL;
	g_autoptr(MeshKey) key = mesh_key_generate(MESH_KEY_P256, &error);
	g_autofree char *comment = g_strnfill(200, 'x');
	g_autofree char *text = NULL;
	g_autofree char *back_comment = NULL;
	g_autoptr(MeshKey) back = NULL;
	g_auto(GStrv) lines = NULL;

	memcpy(comment + 70, "ü", strlen("ü")); /* a two-byte character across a cut */
	text = mesh_openssh_rfc4716_encode(key, comment, &error);
	MESH_ASSERT_NO_ERROR(error);
	lines = g_strsplit(text, "\n", -1);
	for (gsize i = 0; lines[i] != NULL; i++)
		CU_ASSERT_TRUE(strlen(lines[i]) <= 72);
	back = mesh_openssh_rfc4716_decode(text, strlen(text), &back_comment, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_key_equal_public(key, back));
	CU_ASSERT_STRING_EQUAL(back_comment, comment);
	/* no comment: no header */
	g_free(text);
	text = mesh_openssh_rfc4716_encode(key, NULL, &error);
	CU_ASSERT_PTR_NULL(strstr(text, "Comment"));
	/* other headers are skipped */
	{
		g_autofree char *with_subject = g_strdup_printf(
			"---- BEGIN SSH2 PUBLIC KEY ----\nSubject: me\nx-tag: one\\\n two\n%s",
			strchr(ed_plain_rfc4716, '\n') + 1 + strlen("Comment: \"256-bit ED25519, "
								    "converted by root@vm from "
								    "OpenSSH\"\n"));
		g_autofree char *c = NULL;
		gsize n = strlen(with_subject);
		g_autoptr(MeshKey) k = mesh_openssh_rfc4716_decode(with_subject, n, &c, &error);

		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_PTR_NOT_NULL(k);
		CU_ASSERT_STRING_EQUAL(c, "");
	}
	CU_ASSERT_PTR_NULL(mesh_openssh_rfc4716_decode(ed_plain, strlen(ed_plain), NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
}

static CU_TestInfo tests[] = {
	{ "ssh-keygen keys, unencrypted", test_ssh_keygen_unencrypted },
	{ "ssh-keygen keys, encrypted (bcrypt_pbkdf, aes256-ctr)", test_ssh_keygen_encrypted },
	{ "round trips, both algorithms, with and without passphrase", test_round_trip },
	{ "encoder refuses X25519, public keys, bad comments", test_encode_refuses },
	{ "truncated at every offset", test_truncated_everywhere },
	{ "check-ints, padding, key mismatch, trailing bytes, type", test_damaged },
	{ "cipher, kdf, rounds, tampered ciphertext", test_damaged_encrypted },
	{ "armour: oversize, junk, bad base64, CRLF", test_armour },
	{ "public key lines", test_public_line },
	{ "public key lines: negatives", test_public_line_bad },
	{ "RFC 4716 files from ssh-keygen -e", test_rfc4716 },
	{ "RFC 4716: long comment, other headers", test_rfc4716_long_comment },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("openssh", tests);
}
