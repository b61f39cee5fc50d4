/* SPDX-License-Identifier: MIT */
#include "cutest.h"
#include "base64.h"
#include "error.h"
#include "ossl.h"
#include "secret.h"
#include "shamir.h"
#include "udf.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <string.h>

/* The known answer of docs/protocol.md §5 (draft-hallambaker-mesh-udf-13 §4.5.2). */
static const char kat_secret[] = "8EFE6610A594817555E409BEEBA2F916";
static const char *const kat_coefficients[] = {
	"14009151250881526762711026105093241258",
	"192504880386395685081784875462483055914",
};
static const char *const kat_shares[] = {
	"SAYC-UW4N-56UI-VTTZ-62UN-J6FP-ETD3-O", "SAY6-OXXE-SUNL-KUMX-3ZG6-TRDW-UDAK-Y",
	"SAZM-MCDK-AD6B-ICWP-BTJU-QISC-C3RY-6", "SAZ4-MWA6-GNGK-N6Q7-QI4P-AEQR-Q4YJ-G",
	"SA2O-QTQB-FQGG-4H4J-HZ7O-DE7E-6GT3-Q",
};
/* f(1) of the known answer, after the two header bytes 90 30 (type 144, k = 3, x - 1 = 0). */
static const char kat_f1[] = "2A5B8DEFA88ACE79F6A8D4F8AF24C7B7";

static gboolean
quick(void)
{
	return g_getenv("MESH_TEST_QUICK") != NULL;
}

static MeshSecret *
secret_from_hex(const char *hex)
{
	guint8 buf[2 * MESH_SHAMIR_SECRET_MAX];
	gsize len = 0;
	MeshSecret *s;

	g_assert(mesh_hex_decode(hex, buf, sizeof buf, &len, NULL));
	s = mesh_secret_new_from_data(buf, len);
	OPENSSL_cleanse(buf, sizeof buf);
	return s;
}

static const char *
share_text(GPtrArray *shares, guint i)
{
	return (const char *)mesh_secret_get(g_ptr_array_index(shares, i));
}

static MeshSecret *
kat_secret_new(void)
{
	return secret_from_hex(kat_secret);
}

/* The five shares of the known answer, made by the code under test. */
static GPtrArray *
kat_split(void)
{
	g_autoptr(MeshSecret) secret = kat_secret_new();
	GPtrArray *shares = NULL;
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_shamir_split_with_coefficients(secret, 3, 5, kat_coefficients, &shares,
							   &error));
	MESH_ASSERT_NO_ERROR(error);
	return shares;
}

/*
 * quotes_share: TRUE when @message contains six consecutive characters of the value part of any
 * of the @n share texts, ignoring case and dashes. Error messages must never do that.
 */
static gboolean
quotes_share(const char *message, const char *const *texts, gsize n)
{
	g_autofree char *upper = g_ascii_strup(message, -1);
	g_autoptr(GString) m = g_string_new(NULL);

	for (const char *c = upper; *c != '\0'; c++) {
		if (*c != '-')
			g_string_append_c(m, *c);
	}
	for (gsize i = 0; i < n; i++) {
		g_autoptr(GString) t = g_string_new(NULL);

		if (texts[i] == NULL)
			continue;
		for (const char *c = texts[i]; *c != '\0'; c++) {
			if (*c != '-')
				g_string_append_c(t, g_ascii_toupper(*c));
		}
		/* Skip the first three characters: type and header, not share contents. */
		for (gsize j = 3; j + 6 <= t->len; j++) {
			g_autofree char *window = g_strndup(t->str + j, 6);

			if (strstr(m->str, window) != NULL)
				return TRUE;
		}
	}
	return FALSE;
}

/*
 * Assert that @error has @code in MESH_ERROR, that its message contains @needle (e.g. "share 3")
 * and quotes none of the @n shares at @texts; then clear it.
 */
#define ASSERT_SHARE_ERROR(error, code_, needle, texts, n)                                       \
	do {                                                                                     \
		CU_ASSERT_PTR_NOT_NULL_FATAL(error);                                             \
		CU_ASSERT_EQUAL((error)->domain, MESH_ERROR);                                    \
		CU_ASSERT_EQUAL((error)->code, (code_));                                         \
		if ((error)->code != (int)(code_) || strstr((error)->message, (needle)) == NULL) \
			g_printerr("\n  line %d: got %s: %s\n", __LINE__,                        \
				   mesh_error_name((error)->code), (error)->message);            \
		CU_ASSERT_PTR_NOT_NULL(strstr((error)->message, (needle)));                      \
		CU_ASSERT_FALSE(quotes_share((error)->message, (texts), (n)));                   \
		g_clear_error(&(error));                                                         \
	} while (0)

/* Combine @n texts and expect failure with @code and @needle in the message. */
#define ASSERT_COMBINE_FAILS(texts, n, code_, needle)                                            \
	do {                                                                                     \
		GError *e_ = NULL;                                                               \
		MeshSecret *s_ = mesh_shamir_combine((texts), (n), &e_);                         \
		CU_ASSERT_PTR_NULL(s_);                                                          \
		mesh_secret_free(s_);                                                            \
		ASSERT_SHARE_ERROR(e_, (code_), (needle), (texts), (n));                         \
	} while (0)

/* combine_equals: TRUE when the @n texts combine, without error, to @expect. */
static gboolean
combine_equals(const char *const *texts, gsize n, const MeshSecret *expect)
{
	GError *error = NULL;
	g_autoptr(MeshSecret) got = mesh_shamir_combine(texts, n, &error);

	if (got == NULL) {
		g_printerr("\n  combine failed: %s\n", error ? error->message : "(no error)");
		g_clear_error(&error);
		return FALSE;
	}
	return mesh_secret_equal(got, expect);
}

static void
test_prime_offsets(void)
{
	g_autoptr(BN_CTX) ctx = BN_CTX_new();
	g_autoptr(BIGNUM) base = BN_new();
	g_autoptr(BIGNUM) c = BN_new();

	CU_ASSERT_EQUAL(mesh_shamir_prime_offset(0), 0);
	CU_ASSERT_EQUAL(mesh_shamir_prime_offset(MESH_SHAMIR_SECRET_MAX + 1), 0);
	CU_ASSERT_EQUAL(mesh_shamir_prime_offset(16), 51); /* the known answer's p = 2^128 + 51 */
	for (gsize len = 1; len <= MESH_SHAMIR_SECRET_MAX; len++) {
		guint offset = mesh_shamir_prime_offset(len);
		guint composites = 0, tested = 0;

		CU_ASSERT_TRUE_FATAL(offset > 0 && offset % 2 == 1);
		BN_zero(base);
		CU_ASSERT_EQUAL_FATAL(BN_set_bit(base, (int)(8 * len)), 1);
		BN_copy(c, base);
		BN_add_word(c, offset);
		if (BN_check_prime(c, ctx, NULL) != 1) {
			g_printerr("\n  2^%" G_GSIZE_FORMAT " + %u is not prime\n", 8 * len,
				   offset);
			CU_FAIL("table entry is not prime");
		}
		/* 2^(8L) + even is even: only odd candidates below the offset can be prime. */
		for (guint o = 1; o < offset; o += 2) {
			BN_copy(c, base);
			BN_add_word(c, o);
			tested++;
			if (BN_check_prime(c, ctx, NULL) == 0)
				composites++;
			else
				g_printerr("\n  2^%" G_GSIZE_FORMAT " + %u is a smaller prime\n",
					   8 * len, o);
		}
		CU_ASSERT_EQUAL(composites, tested);
	}
}

static void
test_known_answer(void)
{
	g_autoptr(GPtrArray) shares = kat_split();
	g_autoptr(MeshSecret) secret = kat_secret_new();
	static const guint perms[6][3] = { { 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
					   { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 } };
	guint subsets = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(shares);
	CU_ASSERT_EQUAL_FATAL(shares->len, 5);
	for (guint i = 0; i < 5; i++) {
		CU_ASSERT_STRING_EQUAL(share_text(shares, i), kat_shares[i]);
		CU_ASSERT_EQUAL(mesh_secret_len(g_ptr_array_index(shares, i)),
				strlen(kat_shares[i]) + 1);
	}

	/* Every 3 of the 5, in every order. */
	for (guint a = 0; a < 5; a++) {
		for (guint b = a + 1; b < 5; b++) {
			for (guint c = b + 1; c < 5; c++) {
				const guint pick[3] = { a, b, c };

				for (guint p = 0; p < 6; p++) {
					const char *t[3];

					for (guint i = 0; i < 3; i++)
						t[i] = kat_shares[pick[perms[p][i]]];
					CU_ASSERT_TRUE(combine_equals(t, 3, secret));
				}
				subsets++;
			}
		}
	}
	CU_ASSERT_EQUAL(subsets, 10);

	/* Every 4 of the 5, forwards and backwards, and all 5 both ways. */
	for (guint skip = 0; skip < 5; skip++) {
		const char *fwd[4], *back[4];
		guint n = 0;

		for (guint i = 0; i < 5; i++) {
			if (i != skip)
				fwd[n++] = kat_shares[i];
		}
		for (guint i = 0; i < 4; i++)
			back[i] = fwd[3 - i];
		CU_ASSERT_TRUE(combine_equals(fwd, 4, secret));
		CU_ASSERT_TRUE(combine_equals(back, 4, secret));
	}
	{
		const char *back[5];

		for (guint i = 0; i < 5; i++)
			back[i] = kat_shares[4 - i];
		CU_ASSERT_TRUE(combine_equals(kat_shares, 5, secret));
		CU_ASSERT_TRUE(combine_equals(back, 5, secret));
	}
}

/* One case of tests/vectors/shamir-kat.txt. */
typedef struct {
	char *secret;
	guint quorum, shares;
	GPtrArray *coefficients;
	GPtrArray *texts;
} KatCase;

static void
kat_case_clear(KatCase *kc)
{
	g_clear_pointer(&kc->secret, g_free);
	g_clear_pointer(&kc->coefficients, g_ptr_array_unref);
	g_clear_pointer(&kc->texts, g_ptr_array_unref);
	kc->quorum = kc->shares = 0;
}

static void
kat_case_run(KatCase *kc)
{
	g_autoptr(MeshSecret) secret = secret_from_hex(kc->secret);
	g_autoptr(GPtrArray) shares = NULL;
	g_autofree const char **rev = NULL;
	GError *error = NULL;
	guint n = kc->texts->len, k = kc->quorum;

	CU_ASSERT_EQUAL_FATAL(kc->coefficients->len, k - 1);
	CU_ASSERT_EQUAL_FATAL(n, kc->shares);
	CU_ASSERT_TRUE(mesh_shamir_split_with_coefficients(
		secret, k, n, (const char *const *)kc->coefficients->pdata, &shares, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL_FATAL(shares->len, n);
	for (guint i = 0; i < n; i++)
		CU_ASSERT_STRING_EQUAL(share_text(shares, i), kc->texts->pdata[i]);

	rev = g_new(const char *, n);
	for (guint i = 0; i < n; i++)
		rev[i] = kc->texts->pdata[n - 1 - i];
	/* The first k, the last k backwards, and all of them. */
	CU_ASSERT_TRUE(combine_equals((const char *const *)kc->texts->pdata, k, secret));
	CU_ASSERT_TRUE(combine_equals(rev, k, secret));
	CU_ASSERT_TRUE(combine_equals((const char *const *)kc->texts->pdata, n, secret));
}

static void
test_vector_file(void)
{
	g_autofree char *path = mesh_test_vector_path("shamir-kat.txt");
	g_autofree char *contents = NULL;
	g_auto(GStrv) lines = NULL;
	KatCase kc = { 0 };
	guint cases = 0;

	CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &contents, NULL, NULL));
	lines = g_strsplit(contents, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) kv = NULL;
		char *line = g_strstrip(lines[i]);

		if (*line == '#')
			continue;
		if (*line == '\0') {
			if (kc.secret != NULL) {
				kat_case_run(&kc);
				cases++;
			}
			kat_case_clear(&kc);
			continue;
		}
		kv = g_strsplit(line, "=", 2);
		CU_ASSERT_PTR_NOT_NULL_FATAL(kv[1]);
		g_strstrip(kv[0]);
		g_strstrip(kv[1]);
		if (kc.coefficients == NULL) {
			kc.coefficients = g_ptr_array_new_with_free_func(g_free);
			kc.texts = g_ptr_array_new_with_free_func(g_free);
		}
		if (strcmp(kv[0], "Secret") == 0)
			kc.secret = g_strdup(kv[1]);
		else if (strcmp(kv[0], "Quorum") == 0)
			kc.quorum = (guint)g_ascii_strtoull(kv[1], NULL, 10);
		else if (strcmp(kv[0], "Shares") == 0)
			kc.shares = (guint)g_ascii_strtoull(kv[1], NULL, 10);
		else if (strcmp(kv[0], "Coefficient") == 0)
			g_ptr_array_add(kc.coefficients, g_strdup(kv[1]));
		else if (strcmp(kv[0], "Share") == 0)
			g_ptr_array_add(kc.texts, g_strdup(kv[1]));
		else
			CU_FAIL("unknown key in shamir-kat.txt");
	}
	if (kc.secret != NULL) {
		kat_case_run(&kc);
		cases++;
	}
	kat_case_clear(&kc);
	CU_ASSERT_EQUAL(cases, 10);
}

static void
test_parse_share(void)
{
	g_autoptr(MeshSecret) value = NULL;
	g_autoptr(MeshSecret) expect = secret_from_hex(kat_f1);
	GError *error = NULL;
	guint k = 0, x = 0;

	CU_ASSERT_TRUE(mesh_shamir_parse_share(kat_shares[0], &k, &x, &value, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(k, 3);
	CU_ASSERT_EQUAL(x, 1);
	CU_ASSERT_TRUE(mesh_secret_equal(value, expect));
	g_clear_pointer(&value, mesh_secret_free);

	CU_ASSERT_TRUE(
		mesh_shamir_parse_share("sa2oqtqbfqgg4h4jhz7ode7e6gt3q", &k, &x, NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(k, 3);
	CU_ASSERT_EQUAL(x, 5);

	/* Header nibbles: the largest legal ones, then each illegal one. */
	CU_ASSERT_TRUE(mesh_shamir_parse_share("SDYC-UW4N-56UI-VTTZ-62UN-J6FP-ETD3-O", &k, NULL,
					       NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(k, 15);
	CU_ASSERT_TRUE(mesh_shamir_parse_share("SAXC-UW4N-56UI-VTTZ-62UN-J6FP-ETD3-O", &k, &x, NULL,
					       &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(k, 2);
	CU_ASSERT_EQUAL(x, 15);

	{
		static const struct {
			const char *text;
			const char *says;
		} bad[] = {
			{ "SAAC-UW4N-56UI-VTTZ-62UN-J6FP-ETD3-O", "quorum is 0" },
			{ "SAIC-UW4N-56UI-VTTZ-62UN-J6FP-ETD3-O", "quorum is 1" },
			{ "SA7S-UW4N-56UI-VTTZ-62UN-J6FP-ETD3-O", "index is 16" },
			{ "SEYC-UW4N-56UI-VTTZ-62UN-J6FP-ETD3-O", "type is 145" },
			{ "SAYC-UW4N-56UI-VTTZ-62UN-J6FP-ETD3", "not a whole share" },
			{ "SAYC-UW4N-56UI-VTTZ-62UN-J6FP-ETD3-OA", "not a whole share" },
			{ "SAYC-UW4N-56UI-VTTZ-62UN-J6FP-ETD3-P", "not a whole share" },
			{ "SAYC-UW4N-56UI-VTTZ-62UN-J6FP-ETD1-O", "character 34" },
			{ "SAYC", "too short" },
			{ "SAY", "too short" },
			{ "", "empty" },
		};

		for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
			guint k2 = 99, x2 = 99;
			MeshSecret *v2 = NULL;

			CU_ASSERT_FALSE(
				mesh_shamir_parse_share(bad[i].text, &k2, &x2, &v2, &error));
			ASSERT_SHARE_ERROR(error, MESH_ERROR_SHARE_CORRUPT, bad[i].says,
					   &bad[i].text, 1);
			/* ret_ parameters are written only on success. */
			CU_ASSERT_EQUAL(k2, 99);
			CU_ASSERT_EQUAL(x2, 99);
			CU_ASSERT_PTR_NULL(v2);
		}
	}

	/* A UDF of another type at full length, and far too long a text. */
	{
		g_autofree char *nonce = mesh_udf_nonce(MESH_UDF_BITS_MAX, &error);
		g_autofree char *longtext = g_strnfill(1000, 'A');

		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_FALSE(mesh_shamir_parse_share(nonce, NULL, NULL, NULL, &error));
		ASSERT_SHARE_ERROR(error, MESH_ERROR_SHARE_CORRUPT, "type is 104",
				   (const char *const *)&nonce, 1);
		longtext[0] = 'S';
		CU_ASSERT_FALSE(mesh_shamir_parse_share(longtext, NULL, NULL, NULL, &error));
		ASSERT_SHARE_ERROR(error, MESH_ERROR_SHARE_CORRUPT, "too long", NULL, 0);
		/* 108 characters: 67 bytes, one more than a 64-byte secret's share. */
		longtext[108] = '\0';
		CU_ASSERT_FALSE(mesh_shamir_parse_share(longtext, NULL, NULL, NULL, &error));
		ASSERT_SHARE_ERROR(error, MESH_ERROR_SHARE_CORRUPT, "too long", NULL, 0);
	}
}

/* shuffle: a random permutation of 0..n-1 in @perm. */
static void
shuffle(GRand *rng, guint *perm, guint n)
{
	for (guint i = 0; i < n; i++)
		perm[i] = i;
	for (guint i = n; i > 1; i--) {
		guint j = (guint)g_rand_int_range(rng, 0, (gint32)i);
		guint t = perm[i - 1];

		perm[i - 1] = perm[j];
		perm[j] = t;
	}
}

/* Check one random split: the shares' form, then a random k of them in random order and
 * (when @all) every share in random order recover the secret. */
static void
round_trip(GRand *rng, gsize len, guint k, guint n, gboolean all)
{
	g_autoptr(MeshSecret) secret = NULL;
	g_autoptr(GPtrArray) shares = NULL;
	const char *pick[MESH_SHAMIR_SHARES_MAX];
	guint perm[MESH_SHAMIR_SHARES_MAX];
	GError *error = NULL;
	gsize chars = (8 * (len + 2) + 4) / 5;

	secret = mesh_secret_new_random(len, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_shamir_split(secret, k, n, &shares, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL_FATAL(shares->len, n);
	for (guint i = 0; i < n; i++) {
		MeshSecret *s = g_ptr_array_index(shares, i);
		const char *t = share_text(shares, i);
		guint qk = 0, qx = 0;
		g_autoptr(MeshSecret) v = NULL;

		/* Upper case, full length, a dash after every fourth character. */
		CU_ASSERT_EQUAL(strlen(t), chars + (chars - 1) / 4);
		CU_ASSERT_EQUAL(mesh_secret_len(s), strlen(t) + 1);
		CU_ASSERT_EQUAL(t[0], 'S');
		for (gsize j = 0; t[j] != '\0'; j++)
			CU_ASSERT(j % 5 == 4 ? t[j] == '-' : (g_ascii_isupper(t[j]) ||
							       (t[j] >= '2' && t[j] <= '7')));
		if (CRYPTO_secure_malloc_initialized())
			CU_ASSERT_TRUE(CRYPTO_secure_allocated(s));
		CU_ASSERT_TRUE(mesh_shamir_parse_share(t, &qk, &qx, &v, &error));
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_EQUAL(qk, k);
		CU_ASSERT_EQUAL(qx, i + 1);
		CU_ASSERT_EQUAL(mesh_secret_len(v), len);
	}

	shuffle(rng, perm, n);
	for (guint i = 0; i < n; i++)
		pick[i] = share_text(shares, perm[i]);
	CU_ASSERT_TRUE(combine_equals(pick, k, secret));
	if (all)
		CU_ASSERT_TRUE(combine_equals(pick, n, secret));
	/* One share fewer than the quorum never recovers anything. */
	{
		MeshSecret *none = mesh_shamir_combine(pick, k - 1, &error);

		CU_ASSERT_PTR_NULL(none);
		mesh_secret_free(none);
		MESH_ASSERT_ERROR(error, MESH_ERROR_SHARE_QUORUM);
	}
}

static GRand *
test_rng(void)
{
	const char *env = g_getenv("MESH_TEST_SEED");
	guint32 seed = env != NULL ? (guint32)g_ascii_strtoull(env, NULL, 10) : g_random_int();

	/* Printed so that a failure can be replayed with MESH_TEST_SEED. */
	g_print("(seed %u) ", seed);
	return g_rand_new_with_seed(seed);
}

static void
test_round_trips(void)
{
	static const gsize quick_lens[] = { 1, 2, 16, 32, 63, 64 };
	g_autoptr(GRand) rng = test_rng();
	guint pairs[105][2];
	guint hits[105] = { 0 };
	guint npairs = 0, next = 0, per_len = quick() ? 2 : 5;
	gsize nlens = quick() ? G_N_ELEMENTS(quick_lens) : MESH_SHAMIR_SECRET_MAX;

	for (guint n = 2; n <= MESH_SHAMIR_SHARES_MAX; n++) {
		for (guint k = 2; k <= n; k++) {
			pairs[npairs][0] = k;
			pairs[npairs][1] = n;
			npairs++;
		}
	}
	CU_ASSERT_EQUAL_FATAL(npairs, G_N_ELEMENTS(pairs));

	for (gsize li = 0; li < nlens; li++) {
		gsize len = quick() ? quick_lens[li] : li + 1;

		/* The extremes for every length, then the next pairs round-robin. */
		round_trip(rng, len, 2, 2, TRUE);
		round_trip(rng, len, MESH_SHAMIR_SHARES_MAX, MESH_SHAMIR_SHARES_MAX, TRUE);
		for (guint r = 0; r < per_len; r++) {
			guint i = next++ % npairs;

			round_trip(rng, len, pairs[i][0], pairs[i][1], r % 2 == 0);
			hits[i]++;
		}
	}
	/* 64 lengths x 5 = 320 splits cover each of the 105 (k, n) pairs at least 3 times. */
	for (guint i = 0; !quick() && i < npairs; i++)
		CU_ASSERT(hits[i] >= 3);
}

/*
 * With L = 1, p = 257 and f(x) = 256 has probability 1/257 per share: about one split in 18 of
 * 15 shares must draw its coefficients again. Every share must still fit and combine.
 */
static void
test_redraw_out_of_range(void)
{
	g_autoptr(GRand) rng = test_rng();
	guint rounds = quick() ? 40 : 400;
	GError *error = NULL;

	for (guint r = 0; r < rounds; r++)
		round_trip(rng, 1, 2 + r % 14, MESH_SHAMIR_SHARES_MAX, TRUE);

	/* Fixed coefficients cannot be drawn again: f(1) = 0 + 256 * 1 does not fit in a byte. */
	{
		static const char *const c256[] = { "256" };
		static const char *const c255[] = { "255" };
		static const char *const expect[] = { "SAQP-6", "SAQ7-2" };
		g_autoptr(MeshSecret) zero = mesh_secret_new(1);
		g_autoptr(GPtrArray) shares = NULL;
		GPtrArray *untouched = (GPtrArray *)&error;

		CU_ASSERT_FALSE(
			mesh_shamir_split_with_coefficients(zero, 2, 2, c256, &untouched, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
		CU_ASSERT_PTR_EQUAL(untouched, (GPtrArray *)&error);
		/* f(1) = 255 and f(2) = 510 mod 257 = 253 both fit. */
		CU_ASSERT_TRUE(
			mesh_shamir_split_with_coefficients(zero, 2, 2, c255, &shares, &error));
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_STRING_EQUAL(share_text(shares, 0), expect[0]);
		CU_ASSERT_STRING_EQUAL(share_text(shares, 1), expect[1]);
		CU_ASSERT_TRUE(combine_equals(expect, 2, zero));
	}
}

static void
test_split_is_random(void)
{
	g_autoptr(MeshSecret) secret = kat_secret_new();
	g_autoptr(GPtrArray) a = NULL;
	g_autoptr(GPtrArray) b = NULL;
	GError *error = NULL;
	guint same = 0;

	CU_ASSERT_TRUE(mesh_shamir_split(secret, 3, 5, &a, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_shamir_split(secret, 3, 5, &b, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FATAL(a != NULL && b != NULL);
	for (guint i = 0; i < 5; i++) {
		g_autoptr(MeshSecret) v = NULL;

		/* Fresh coefficients every time... */
		CU_ASSERT_STRING_NOT_EQUAL(share_text(a, i), share_text(b, i));
		/* ...and not the zero polynomial, whose every share holds the secret itself. */
		CU_ASSERT_TRUE(mesh_shamir_parse_share(share_text(a, i), NULL, NULL, &v, &error));
		MESH_ASSERT_NO_ERROR(error);
		same += mesh_secret_equal(v, secret);
	}
	CU_ASSERT_EQUAL(same, 0);
}

static void
test_split_invalid(void)
{
	static const struct {
		gsize len;
		guint k, n;
	} bad[] = {
		{ 16, 4, 3 }, { 16, 1, 3 },  { 16, 0, 3 },  { 16, 2, 16 }, { 16, 16, 16 },
		{ 16, 1, 1 }, { 16, 0, 0 },  { 0, 2, 3 },   { 65, 2, 3 },  { 65, 16, 16 },
	};
	static const char *const coefficients[15] = { "1", "2", "3", "4", "5", "6", "7", "8",
						      "9", "10", "11", "12", "13", "14", "15" };
	GError *error = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(MeshSecret) secret = mesh_secret_new(bad[i].len);
		GPtrArray *untouched = (GPtrArray *)&error;

		CU_ASSERT_FALSE(mesh_shamir_split(secret, bad[i].k, bad[i].n, &untouched, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
		CU_ASSERT_FALSE(mesh_shamir_split_with_coefficients(secret, bad[i].k, bad[i].n,
								    coefficients, &untouched,
								    &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
		CU_ASSERT_PTR_EQUAL(untouched, (GPtrArray *)&error);
	}

	/* The boundaries themselves are accepted. */
	{
		g_autoptr(MeshSecret) one = mesh_secret_new(1);
		g_autoptr(MeshSecret) max = mesh_secret_new(MESH_SHAMIR_SECRET_MAX);
		g_autoptr(GPtrArray) s1 = NULL;
		g_autoptr(GPtrArray) s2 = NULL;

		CU_ASSERT_TRUE(mesh_shamir_split(one, 2, 2, &s1, &error));
		MESH_ASSERT_NO_ERROR(error);
		CU_ASSERT_TRUE(mesh_shamir_split(max, 15, 15, &s2, &error));
		MESH_ASSERT_NO_ERROR(error);
	}

	/* Malformed coefficients: the value is never echoed. */
	{
		g_autoptr(MeshSecret) secret = kat_secret_new();
		static const char *const bad_coefficients[][2] = {
			{ "12x", "1" },
			{ "-5", "1" },
			{ "", "1" },
			{ " 1", "1" },
			{ "1", NULL },
			{ "1", "340282366920938463463374607431768211507" }, /* p = 2^128 + 51 */
		};

		for (gsize i = 0; i < G_N_ELEMENTS(bad_coefficients); i++) {
			GPtrArray *untouched = (GPtrArray *)&error;

			CU_ASSERT_FALSE(mesh_shamir_split_with_coefficients(
				secret, 3, 5, bad_coefficients[i], &untouched, &error));
			CU_ASSERT_PTR_NOT_NULL_FATAL(error);
			CU_ASSERT_PTR_NULL(strstr(error->message, "3402823669"));
			MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
			CU_ASSERT_PTR_EQUAL(untouched, (GPtrArray *)&error);
		}
	}
}

/* A copy of @text with the character at @pos replaced by @c. */
static char *
with_char(const char *text, gsize pos, char c)
{
	char *s = g_strdup(text);

	s[pos] = c;
	return s;
}

static void
test_combine_errors(void)
{
	g_autoptr(MeshSecret) secret = kat_secret_new();
	g_autoptr(MeshSecret) secret32 = mesh_secret_new_random(32, NULL);
	g_autoptr(GPtrArray) q2 = NULL;     /* 2 of 3, same secret */
	g_autoptr(GPtrArray) other = NULL;  /* another 3 of 5 split of the same secret */
	g_autoptr(GPtrArray) len32 = NULL;  /* 3 of 5 of a 32-byte secret */
	static const char *const other_coefficients[] = { "1", "2" };
	const char *const *f = kat_shares;
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_shamir_split(secret, 2, 3, &q2, &error));
	CU_ASSERT_TRUE(mesh_shamir_split_with_coefficients(secret, 3, 5, other_coefficients, &other,
							   &error));
	CU_ASSERT_TRUE(mesh_shamir_split(secret32, 3, 5, &len32, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FATAL(q2 != NULL && other != NULL && len32 != NULL);

	/* Below the quorum. */
	{
		const char *t[] = { f[3], f[0] };
		MeshSecret *none = mesh_shamir_combine(t, 0, &error);

		CU_ASSERT_PTR_NULL(none);
		MESH_ASSERT_ERROR(error, MESH_ERROR_SHARE_QUORUM);
		ASSERT_COMBINE_FAILS(t, 1, MESH_ERROR_SHARE_QUORUM, "need 3 shares, got 1");
		ASSERT_COMBINE_FAILS(t, 2, MESH_ERROR_SHARE_QUORUM, "share 1");
		ASSERT_COMBINE_FAILS(t, 2, MESH_ERROR_SHARE_QUORUM, "need 3 shares, got 2");
	}

	/* Corrupt shares, each named by position. */
	{
		g_autofree char *type = with_char(f[1], 0, 'T');
		g_autofree char *bad_char = with_char(f[2], 7, '1');
		g_autofree char *punct = with_char(f[2], 10, '!');
		g_autofree char *k1 = with_char(f[0], 2, 'I');
		g_autofree char *truncated = g_strndup(f[2], strlen(f[2]) - 1);
		/* 16 characters are a whole share of an 8-byte secret; 17 are not a whole share. */
		g_autofree char *short_share = g_strndup(f[2], 21);
		g_autofree char *short8 = g_strndup(f[2], 20);
		g_autofree char *extended = g_strconcat(f[2], "A", NULL);
		g_autofree char *nonce = mesh_udf_nonce(MESH_UDF_BITS_MAX, NULL);
		g_autofree char *digest = mesh_udf_content_digest(
			MESH_UDF_ALG_SHA512, "text/plain", (const guint8 *)"x", 1, 150, NULL);
		const char *t[4];

		t[0] = f[0], t[1] = type, t[2] = f[2];
		ASSERT_COMBINE_FAILS(t, 3, MESH_ERROR_SHARE_CORRUPT, "share 2");
		t[0] = f[0], t[1] = f[1], t[2] = bad_char;
		ASSERT_COMBINE_FAILS(t, 3, MESH_ERROR_SHARE_CORRUPT, "share 3");
		t[2] = punct;
		ASSERT_COMBINE_FAILS(t, 3, MESH_ERROR_SHARE_CORRUPT, "share 3");
		t[2] = truncated;
		ASSERT_COMBINE_FAILS(t, 3, MESH_ERROR_SHARE_CORRUPT, "share 3");
		t[2] = short_share;
		ASSERT_COMBINE_FAILS(t, 3, MESH_ERROR_SHARE_CORRUPT, "share 3");
		t[2] = short8;
		ASSERT_COMBINE_FAILS(t, 3, MESH_ERROR_SHARE_MISMATCH, "share 3");
		t[2] = extended;
		ASSERT_COMBINE_FAILS(t, 3, MESH_ERROR_SHARE_CORRUPT, "share 3");
		t[2] = "";
		ASSERT_COMBINE_FAILS(t, 3, MESH_ERROR_SHARE_CORRUPT, "share 3");
		t[2] = NULL;
		ASSERT_COMBINE_FAILS(t, 3, MESH_ERROR_SHARE_CORRUPT, "share 3");
		t[0] = nonce, t[1] = f[1], t[2] = f[2];
		ASSERT_COMBINE_FAILS(t, 3, MESH_ERROR_SHARE_CORRUPT, "share 1");
		t[0] = f[0], t[1] = digest;
		ASSERT_COMBINE_FAILS(t, 3, MESH_ERROR_SHARE_CORRUPT, "share 2");
		t[0] = f[1], t[1] = f[2], t[2] = f[3], t[3] = k1;
		ASSERT_COMBINE_FAILS(t, 4, MESH_ERROR_SHARE_CORRUPT, "share 4");
	}

	/* A share whose value was changed: with more than k shares, the extra ones show it. */
	{
		g_autofree char *flipped = with_char(f[3], 12, f[3][12] == 'A' ? 'B' : 'A');
		const char *t[] = { f[0], f[1], f[2], flipped, f[4] };

		ASSERT_COMBINE_FAILS(t, 4, MESH_ERROR_SHARE_MISMATCH, "share 4");
		t[3] = f[4];
		t[4] = flipped;
		ASSERT_COMBINE_FAILS(t, 5, MESH_ERROR_SHARE_MISMATCH, "share 5");
	}

	/* Mixed quorums: a 2-of-3 and a 3-of-5 split. */
	{
		const char *t[] = { f[0], share_text(q2, 1), f[2] };
		const char *u[] = { share_text(q2, 0), share_text(q2, 1), f[2] };

		ASSERT_COMBINE_FAILS(t, 3, MESH_ERROR_SHARE_MISMATCH, "share 2");
		ASSERT_COMBINE_FAILS(u, 3, MESH_ERROR_SHARE_MISMATCH, "share 3");
	}

	/* Secrets of different lengths, same quorum. */
	{
		const char *t[] = { f[0], f[1], share_text(len32, 2) };
		const char *u[] = { share_text(len32, 0), f[1], f[2] };

		ASSERT_COMBINE_FAILS(t, 3, MESH_ERROR_SHARE_MISMATCH, "share 3");
		ASSERT_COMBINE_FAILS(u, 3, MESH_ERROR_SHARE_MISMATCH, "share 2");
	}

	/* The same index twice: the very same share, in another case, or from another split. */
	{
		g_autofree char *lower = g_ascii_strdown(f[1], -1);
		const char *t[] = { f[0], f[1], f[0] };
		const char *u[] = { f[0], f[1], lower, f[3] };
		const char *v[] = { f[0], f[1], share_text(other, 1) };

		ASSERT_COMBINE_FAILS(t, 3, MESH_ERROR_SHARE_DUPLICATE, "share 3");
		ASSERT_COMBINE_FAILS(u, 4, MESH_ERROR_SHARE_DUPLICATE, "share 3");
		ASSERT_COMBINE_FAILS(v, 3, MESH_ERROR_SHARE_DUPLICATE, "share 3");
	}

	/* Another split with the same quorum and length: only an extra share can reveal it. */
	{
		const char *t[] = { f[0], f[1], f[2], share_text(other, 3) };
		const char *u[] = { f[4], f[1], f[2], f[3], share_text(other, 0) };

		ASSERT_COMBINE_FAILS(t, 4, MESH_ERROR_SHARE_MISMATCH, "share 4");
		ASSERT_COMBINE_FAILS(u, 5, MESH_ERROR_SHARE_MISMATCH, "share 5");
	}

	/* More than 15 shares must repeat an index. */
	{
		const char *t[16];

		for (guint i = 0; i < 16; i++)
			t[i] = f[i % 5];
		ASSERT_COMBINE_FAILS(t, 16, MESH_ERROR_SHARE_DUPLICATE, "share 6");
	}

	/*
	 * Well-formed shares that genuine splits never produce: (1, 0) and (2, 1) with L = 1 lie
	 * on f(x) = 256 + x mod 257, whose secret 256 does not fit in a byte.
	 */
	{
		const char *t[] = { "SAQA-A", "SAQQ-C" };

		ASSERT_COMBINE_FAILS(t, 2, MESH_ERROR_SHARE_CORRUPT, "share 1 to share 2");
	}
}

static void
test_case_and_dashes(void)
{
	g_autoptr(MeshSecret) secret = kat_secret_new();
	g_autofree char *lower = g_ascii_strdown(kat_shares[4], -1);
	g_autoptr(GString) undashed = g_string_new(NULL);
	g_autoptr(GString) mixed = g_string_new(NULL);
	const char *t[3];

	for (const char *c = kat_shares[0]; *c != '\0'; c++) {
		if (*c != '-')
			g_string_append_c(undashed, *c);
	}
	/* Odd dash placement and mixed case in one share. */
	for (gsize i = 0; kat_shares[3][i] != '\0'; i++) {
		char c = kat_shares[3][i];

		if (c == '-')
			continue;
		g_string_append_c(mixed, i % 2 ? g_ascii_tolower(c) : c);
		if (i % 3 == 0)
			g_string_append(mixed, "--");
	}

	t[0] = lower, t[1] = undashed->str, t[2] = mixed->str;
	CU_ASSERT_TRUE(combine_equals(t, 3, secret));
	t[0] = mixed->str, t[1] = lower, t[2] = undashed->str;
	CU_ASSERT_TRUE(combine_equals(t, 3, secret));
}

/* Shares copied from paper: spaces (and tabs) between groups, as dashes are. */
static void
test_spaces(void)
{
	g_autoptr(MeshSecret) secret = kat_secret_new();
	g_auto(GStrv) spaced = g_new0(char *, 4);
	const char *t[3];
	GError *error = NULL;
	guint k = 0, x = 0;

	for (guint i = 0; i < 3; i++)
		spaced[i] = g_strdelimit(g_strdup(kat_shares[i]), "-", i == 1 ? '\t' : ' ');
	t[0] = spaced[0], t[1] = spaced[1], t[2] = spaced[2];
	CU_ASSERT_TRUE(combine_equals(t, 3, secret));
	CU_ASSERT_TRUE(mesh_shamir_parse_share("  SAYC UW4N 56UI VTTZ 62UN J6FP ETD3 O  ", &k, &x,
					       NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(k, 3);
	CU_ASSERT_EQUAL(x, 1);
	/* A bad character is placed where it stands in the text as given. */
	CU_ASSERT_FALSE(mesh_shamir_parse_share("SAYC UW4N 56UI V*TZ 62UN J6FP ETD3 O", &k, &x,
						NULL, &error));
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "character 17 "));
	MESH_ASSERT_ERROR(error, MESH_ERROR_SHARE_CORRUPT);
	/* Spaces alone are no share; a line break inside is still refused. */
	CU_ASSERT_FALSE(mesh_shamir_parse_share("   ", &k, &x, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_SHARE_CORRUPT);
	CU_ASSERT_FALSE(mesh_shamir_parse_share("SAYC UW4N\n56UI VTTZ 62UN J6FP ETD3 O", &k, &x,
						NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_SHARE_CORRUPT);
}

static void
test_result_on_secure_heap(void)
{
	GError *error = NULL;
	g_autoptr(MeshSecret) got = mesh_shamir_combine(kat_shares, 3, &error);

	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(mesh_secret_len(got), 16);
	if (CRYPTO_secure_malloc_initialized())
		CU_ASSERT_TRUE(CRYPTO_secure_allocated(got));
}

static CU_TestInfo tests[] = {
	{ "prime table: each p is the smallest prime above 2^(8L)", test_prime_offsets },
	{ "known answer of udf-13 §4.5.2, every subset and order", test_known_answer },
	{ "known answers in tests/vectors/shamir-kat.txt", test_vector_file },
	{ "parse one share, good and bad", test_parse_share },
	{ "round trips for L = 1..64 and every (k, n)", test_round_trips },
	{ "out-of-range share values are drawn again", test_redraw_out_of_range },
	{ "coefficients are random", test_split_is_random },
	{ "split rejects bad arguments", test_split_invalid },
	{ "combine names the wrong share", test_combine_errors },
	{ "lower case and missing dashes", test_case_and_dashes },
	{ "spaces and tabs between groups, as on paper", test_spaces },
	{ "the result is on the secure heap", test_result_on_secure_heap },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	GError *error = NULL;

	/* Share texts and values then live on the secure heap, as they would in the tools. */
	if (!mesh_secret_heap_init(0, &error)) {
		g_printerr("note: %s; testing on the ordinary heap\n", error->message);
		g_clear_error(&error);
	}
	return mesh_test_main("shamir", tests);
}
