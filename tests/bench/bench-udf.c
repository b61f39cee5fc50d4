/* SPDX-License-Identifier: MIT */
/*
 * bench-udf: throughput of mesh_udf content digests over one buffer (256 MiB by default) beside
 * a plain OpenSSL EVP digest of the same buffer, measured in the same run, and their ratio.
 * Usage: bench-udf [--mib N] [--rounds R]
 * It prints figures; it asserts nothing about speed.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "udf.h"

static double
now(void)
{
	return (double)g_get_monotonic_time() / 1e6;
}

/* Best (shortest) of @rounds timings, in seconds. */
static double
time_udf(MeshUdfAlg alg, const guint8 *buf, gsize len, int rounds, char **ret_udf)
{
	double best = 1e30;

	for (int r = 0; r < rounds; r++) {
		double t0 = now();
		char *udf = mesh_udf_content_digest(alg, MESH_UDF_CT_OCTET_STREAM, buf, len, 140,
						    NULL);
		double t = now() - t0;

		if (udf == NULL) {
			fprintf(stderr, "bench-udf: digest failed\n");
			exit(1);
		}
		best = MIN(best, t);
		g_free(*ret_udf);
		*ret_udf = udf;
	}
	return best;
}

static double
time_evp(const EVP_MD *md, const guint8 *buf, gsize len, int rounds)
{
	double best = 1e30;
	guint8 out[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	for (int r = 0; r < rounds; r++) {
		double t0 = now();

		if (EVP_Digest(buf, len, out, &n, md, NULL) != 1) {
			fprintf(stderr, "bench-udf: EVP_Digest failed\n");
			exit(1);
		}
		best = MIN(best, now() - t0);
	}
	return best;
}

int
main(int argc, char **argv)
{
	gsize mib = 256;
	int rounds = 3;
	g_autofree guint8 *buf = NULL;
	gsize len;
	static const struct {
		MeshUdfAlg alg;
		const char *name;
	} algs[] = { { MESH_UDF_ALG_SHA512, "SHA-512" }, { MESH_UDF_ALG_SHA3_512, "SHA3-512" } };

	for (int i = 1; i < argc; i++) {
		if (g_str_equal(argv[i], "--mib") && i + 1 < argc)
			mib = (gsize)g_ascii_strtoull(argv[++i], NULL, 10);
		else if (g_str_equal(argv[i], "--rounds") && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: bench-udf [--mib N] [--rounds R]\n");
			return 2;
		}
	}
	if (mib == 0 || mib > 4096 || rounds < 1) {
		fprintf(stderr, "bench-udf: --mib 1..4096, --rounds >= 1\n");
		return 2;
	}
	len = mib << 20;
	buf = g_malloc(len);
	for (gsize i = 0; i < len; i++)
		buf[i] = (guint8)(i * 2654435761u >> 13);

	printf("bench-udf: %zu MiB buffer, best of %d rounds\n", mib, rounds);
	printf("%-10s %14s %14s %8s  %s\n", "digest", "mesh_udf MiB/s", "EVP MiB/s", "ratio",
	       "UDF");
	for (gsize a = 0; a < G_N_ELEMENTS(algs); a++) {
		g_autofree char *udf = NULL;
		double t_udf = time_udf(algs[a].alg, buf, len, rounds, &udf);
		double t_evp = time_evp(algs[a].alg == MESH_UDF_ALG_SHA512 ? EVP_sha512() :
									    EVP_sha3_512(),
					buf, len, rounds);

		printf("%-10s %14.1f %14.1f %8.3f  %s\n", algs[a].name, (double)mib / t_udf,
		       (double)mib / t_evp, t_evp / t_udf, udf);
	}
	printf("ratio = EVP time / mesh_udf time (1.000 = no overhead)\n");
	return 0;
}
