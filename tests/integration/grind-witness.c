/* SPDX-License-Identifier: MIT */
/*
 * grind-witness: what a hostile portal computes to get a device of its own accepted in place of
 * the real new device (tests/integration/witness-grind.sh). The portal chooses the server nonce
 * of each side; the witness of a side is
 *   W(N) = SHA-512( SHA-512(P || N) || SHA-512(D || ClientNonce) )
 * (core/connect.h), so a birthday search over both sides' nonces finds two witnesses whose
 * first 40 bits — the first 8 Base32 characters — agree: 2^20 nonces of the real device B in a
 * table, then nonces of the portal's device E until one hits, about 2^21 witnesses in all.
 *
 *   grind-witness grind PROFILE REQUEST_B REQUEST_E
 *       PROFILE: the account's SignedPersonalProfile (as the portal stores it); REQUEST_B/E: the
 *       two devices' SignedRequest JWS. Prints {"ServerNonceB", "WitnessB", "ServerNonceE",
 *       "WitnessE", "Witnesses", "Seconds"} (nonces base64url): the witnesses agree in their
 *       first 8 characters and differ after them.
 *   grind-witness devices PROFILE
 *       The UDFs of the devices of the SignedPersonalProfile PROFILE (verified), one a line.
 *
 * The exit status is 0 or the MeshError code, with one line on standard error.
 */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "connect.h"
#include "error.h"
#include "json.h"
#include "personal.h"

#define TABLE_BITS  21 /* slots; the table holds 2^20 nonces of B, half full */
#define B_NONCES    (1u << 20)
#define E_TRIES_MAX (1u << 27) /* about 2^7 times the expected work: then give up */

typedef struct {
	guint64 prefix; /* the first 40 bits of B's witness, + 1 (0: empty) */
	guint32 index;  /* the nonce of B that gave it */
} Slot;

typedef struct {
	guint8 p[MESH_UDF_DIGEST_BINARY_LEN]; /* the profile's binary UDF */
	guint8 hd[64];                        /* SHA-512(D || ClientNonce) of the side */
	EVP_MD_CTX *ctx;
	EVP_MD *md; /* fetched once: an implicit fetch per digest costs more than the digest */
} Side;

static void
sha512_2(const Side *side, const guint8 *a, gsize a_len, const guint8 *b, gsize b_len,
	 guint8 out[static 64])
{
	EVP_MD_CTX *ctx = side->ctx;

	if (EVP_DigestInit_ex(ctx, side->md, NULL) != 1 || EVP_DigestUpdate(ctx, a, a_len) != 1 ||
	    EVP_DigestUpdate(ctx, b, b_len) != 1 || EVP_DigestFinal_ex(ctx, out, NULL) != 1)
		g_error("SHA-512 failed");
}

/* The first 40 bits of the witness of @side under the server nonce @nonce. */
static guint64
prefix40(Side *side, const guint8 nonce[static MESH_CONNECT_NONCE_LEN])
{
	guint8 hp[64], w[64];

	sha512_2(side, side->p, sizeof side->p, nonce, MESH_CONNECT_NONCE_LEN, hp);
	sha512_2(side, hp, sizeof hp, side->hd, sizeof side->hd, w);
	return ((guint64)w[0] << 32) | ((guint64)w[1] << 24) | ((guint64)w[2] << 16) |
	       ((guint64)w[3] << 8) | w[4];
}

/* Nonce number @i of a run: 8 random bytes then @i, big-endian. */
static void
nonce_at(const guint8 base[static 8], guint64 i, guint8 out[static MESH_CONNECT_NONCE_LEN])
{
	memcpy(out, base, 8);
	for (int k = 0; k < 8; k++)
		out[15 - k] = (guint8)(i >> (8 * k));
}

static gboolean
side_init(Side *side, const MeshPersonalProfile *personal, const MeshConnectionRequest *request,
	  GError **error)
{
	guint8 d[MESH_UDF_DIGEST_BINARY_LEN];

	side->ctx = EVP_MD_CTX_new();
	side->md = EVP_MD_fetch(NULL, "SHA512", NULL);
	if (side->ctx == NULL || side->md == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO, "no SHA-512");
		return FALSE;
	}
	if (!mesh_connect_key_binary(personal->master->signature_key, side->p, error) ||
	    !mesh_connect_key_binary(request->device->signature_key, d, error))
		return FALSE;
	sha512_2(side, d, sizeof d, request->client_nonce, MESH_CONNECT_NONCE_LEN, side->hd);
	return TRUE;
}

/* The contents of the file @path (a new string), its length in *@ret_len. */
static char *
slurp(const char *path, gsize *ret_len, GError **error)
{
	char *text = NULL;

	return g_file_get_contents(path, &text, ret_len, error) ? text : NULL;
}

static MeshPersonalProfile *
read_profile(const char *path, GError **error)
{
	gsize len = 0;
	g_autofree char *text = slurp(path, &len, error);

	return text != NULL ? mesh_personal_profile_parse(text, len, error) : NULL;
}

static MeshConnectionRequest *
read_request(const char *path, GError **error)
{
	gsize len = 0;
	g_autofree char *text = slurp(path, &len, error);

	return text != NULL ? mesh_connection_request_parse(text, len, error) : NULL;
}

static gboolean
grind(const char *profile_path, const char *b_path, const char *e_path, GError **error)
{
	g_autoptr(MeshPersonalProfile) personal = read_profile(profile_path, error);
	g_autoptr(MeshConnectionRequest) b = NULL;
	g_autoptr(MeshConnectionRequest) e = NULL;
	g_autofree Slot *table = NULL;
	g_autofree char *wb = NULL, *we = NULL, *nb_text = NULL, *ne_text = NULL;
	guint8 base_b[8], base_e[8], nb[MESH_CONNECT_NONCE_LEN], ne[MESH_CONNECT_NONCE_LEN];
	const gsize mask = ((gsize)1 << TABLE_BITS) - 1;
	Side sb = { 0 }, se = { 0 };
	gint64 start = g_get_monotonic_time();
	guint64 tries = 0;
	gboolean found = FALSE, ok = FALSE;

	if (personal == NULL || (b = read_request(b_path, error)) == NULL ||
	    (e = read_request(e_path, error)) == NULL || !side_init(&sb, personal, b, error) ||
	    !side_init(&se, personal, e, error))
		goto out;
	if (RAND_bytes(base_b, sizeof base_b) != 1 || RAND_bytes(base_e, sizeof base_e) != 1) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO, "no random bytes");
		goto out;
	}
	table = g_new0(Slot, (gsize)1 << TABLE_BITS);
	for (guint32 i = 0; i < B_NONCES; i++) {
		guint64 key;
		gsize at;

		nonce_at(base_b, i, nb);
		key = prefix40(&sb, nb);
		for (at = (gsize)key & mask; table[at].prefix != 0; at = (at + 1) & mask)
			;
		table[at].prefix = key + 1;
		table[at].index = i;
	}
	for (tries = 0; tries < E_TRIES_MAX && !found; tries++) {
		guint64 key;

		nonce_at(base_e, tries, ne);
		key = prefix40(&se, ne);
		for (gsize at = (gsize)key & mask; table[at].prefix != 0; at = (at + 1) & mask) {
			if (table[at].prefix == key + 1) {
				nonce_at(base_b, table[at].index, nb);
				found = TRUE;
				break;
			}
		}
	}
	if (!found) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
			    "no collision in %" G_GUINT64_FORMAT " tries", tries);
		goto out;
	}
	/* What the devices and the administration device will compute, through core. */
	wb = mesh_connection_request_witness(b, personal->master, nb, error);
	we = wb != NULL ? mesh_connection_request_witness(e, personal->master, ne, error) : NULL;
	if (we == NULL)
		goto out;
	if (strncmp(wb, we, 9) != 0 || strcmp(wb, we) == 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_FAILED, "%s and %s: not a collision", wb,
			    we);
		goto out;
	}
	nb_text = mesh_b64u_encode(nb, sizeof nb);
	ne_text = mesh_b64u_encode(ne, sizeof ne);
	printf("{\"ServerNonceB\": \"%s\", \"WitnessB\": \"%s\", \"ServerNonceE\": \"%s\", "
	       "\"WitnessE\": \"%s\", \"Witnesses\": %" G_GUINT64_FORMAT ", \"Seconds\": %.3f}\n",
	       nb_text, wb, ne_text, we, (guint64)B_NONCES + tries,
	       (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC);
	ok = TRUE;
out:
	EVP_MD_CTX_free(sb.ctx);
	EVP_MD_CTX_free(se.ctx);
	EVP_MD_free(sb.md);
	EVP_MD_free(se.md);
	return ok;
}

static gboolean
devices(const char *profile_path, GError **error)
{
	g_autoptr(MeshPersonalProfile) personal = read_profile(profile_path, error);

	if (personal == NULL)
		return FALSE;
	for (guint i = 0; i < personal->devices->len; i++) {
		const MeshPersonalDevice *d = g_ptr_array_index(personal->devices, i);

		printf("%s\n", d->profile->identifier);
	}
	return TRUE;
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	gboolean ok;

	if (argc == 5 && g_str_equal(argv[1], "grind")) {
		ok = grind(argv[2], argv[3], argv[4], &error);
	} else if (argc == 3 && g_str_equal(argv[1], "devices")) {
		ok = devices(argv[2], &error);
	} else {
		fprintf(stderr, "usage: grind-witness grind PROFILE REQUEST_B REQUEST_E | "
				"devices PROFILE\n");
		return MESH_ERROR_USAGE;
	}
	if (!ok) {
		fprintf(stderr, "grind-witness: %s\n", error != NULL ? error->message : "failed");
		return mesh_error_code(error);
	}
	return 0;
}
