/* SPDX-License-Identifier: MIT */
/*
 * The audit log's reader, verifier and writer (core/audit.c) on a hostile Audit folder: anyone
 * running as the user can write it. The input is up to four log files and Audit/head, split at
 * SEPARATOR:
 *
 *   FILE [SEP FILE [SEP FILE [SEP FILE]]] [SEP "head:" HEAD]
 *
 * The first file is Audit/000000000001.log; each next one is named by the Seq its first line
 * starts with ({"Seq":N), else the name after the one before. A last part starting "head:" is
 * Audit/head (without the prefix). On an in-memory hive (memhive.h) the target runs
 * mesh_audit_verify (a head's signature verifies when it is 64 bytes of 0x01), mesh_audit_list
 * (all, and filtered), then opens the log, appends a record, closes it, and opens it again to
 * append with a file size of 1 byte (so a head is signed and a file started) and sign a head:
 * torn-line recovery and Seq continuation on hostile input.
 *
 * Invariants (abort): a log that verifies lists exactly its records; after the appends it still
 * verifies, one record more at least, listing them all: the writer never breaks a log that
 * verified.
 */
/* memmem() */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "error.h"
#include "fuzz.h"
#include "memhive.h"

#define SEPARATOR "\n--file--\n"
#define HEAD_PREFIX "head:"
#define MAX_FILES 4
#define SIGNER "MCF2-2NZ4-KL4B-2AND-AJRD-4ACA-KSKZ"
#define SIG_LEN 64
#define SIG_BYTE 0x01
/* 2026-12-08T00:31:02.123Z, the known answer's first Time */
#define CLOCK_START G_GINT64_CONSTANT(1796689862123)

static gboolean
verify_sig(gpointer data, const char *signer_udf, const guint8 *msg, gsize len,
	   GBytes *signature, GError **error)
{
	gsize n = 0;
	const guint8 *p = g_bytes_get_data(signature, &n);

	if (n == SIG_LEN) {
		gsize i = 0;

		while (i < n && p[i] == SIG_BYTE)
			i++;
		if (i == n)
			return TRUE;
	}
	g_set_error(error, MESH_ERROR, MESH_ERROR_BAD_SIGNATURE, "not the fuzz signature");
	return FALSE;
}

static gboolean
sign(gpointer data, const guint8 *msg, gsize len, char **ret_signer_udf, GBytes **ret_signature,
     GError **error)
{
	guint8 sig[SIG_LEN];

	memset(sig, SIG_BYTE, sizeof sig);
	*ret_signer_udf = g_strdup(SIGNER);
	*ret_signature = g_bytes_new(sig, sizeof sig);
	return TRUE;
}

static gint64
fixed_clock(gpointer data)
{
	gint64 *now = data;

	*now += 1000;
	return *now;
}

/* The Seq a part starts with ({"Seq":N, N of 1 to 12 digits, not 0), or 0. */
static guint64
leading_seq(const guint8 *p, gsize len)
{
	static const char prefix[] = "{\"Seq\":";
	const gsize plen = sizeof prefix - 1;
	guint64 seq = 0;
	gsize i;

	if (len < plen || memcmp(p, prefix, plen) != 0)
		return 0;
	for (i = plen; i < len && i < plen + 12 && g_ascii_isdigit(p[i]); i++)
		seq = seq * 10 + (guint64)(p[i] - '0');
	return i > plen ? seq : 0;
}

static char *
log_name(guint64 seq)
{
	return g_strdup_printf("%012" G_GUINT64_FORMAT ".log", seq);
}

/* The input as the Audit folder of @hive. */
static void
load_input(MeshHive *hive, const uint8_t *data, size_t size)
{
	const guint8 *start[MAX_FILES + 1];
	gsize len[MAX_FILES + 1];
	const gsize slen = sizeof SEPARATOR - 1;
	guint parts = 0, files;
	const guint8 *p = data, *end = data + size;
	guint64 seq = 0;

	/* At most MAX_FILES separators: MAX_FILES + 1 parts. */
	while (parts < MAX_FILES) {
		const guint8 *sep = memmem(p, (gsize)(end - p), SEPARATOR, slen);

		if (sep == NULL)
			break;
		start[parts] = p;
		len[parts] = (gsize)(sep - p);
		parts++;
		p = sep + slen;
	}
	start[parts] = p;
	len[parts] = (gsize)(end - p);
	parts++;
	files = parts;
	if (len[parts - 1] >= sizeof HEAD_PREFIX - 1 &&
	    memcmp(start[parts - 1], HEAD_PREFIX, sizeof HEAD_PREFIX - 1) == 0) {
		mesh_fuzz_memhive_put(hive, MESH_HIVE_AUDIT, MESH_AUDIT_HEAD,
				      start[parts - 1] + sizeof HEAD_PREFIX - 1,
				      len[parts - 1] - (sizeof HEAD_PREFIX - 1));
		files--;
	} else if (files > MAX_FILES) {
		/* No head: the last file is the rest of the input, separators and all. */
		files = MAX_FILES;
		len[files - 1] = (gsize)(end - start[files - 1]);
	}
	for (guint i = 0; i < files; i++) {
		g_autofree char *name = NULL;
		guint64 named = i == 0 ? 1 : leading_seq(start[i], len[i]);

		seq = named != 0 ? named : seq + 1;
		name = log_name(seq);
		mesh_fuzz_memhive_put(hive, MESH_HIVE_AUDIT, name, start[i], len[i]);
	}
}

/* The number of records mesh_audit_list gives with @f (G_MAXUINT when it fails). */
static guint
list_count(MeshHive *hive, const MeshAuditFilter *f)
{
	g_autoptr(GPtrArray) lines = NULL;

	if (!mesh_audit_list(hive, f, &lines, NULL))
		return G_MAXUINT;
	for (guint i = 0; i < lines->len; i++) {
		const char *line = lines->pdata[i];

		/* The stored lines, newline left out. */
		if (line == NULL || strchr(line, '\n') != NULL || strlen(line) > MESH_AUDIT_LINE_MAX)
			abort();
	}
	return lines->len;
}

/* Open the log, append one record (after starting a new file when the current holds at least
 * @rotate bytes; 0: the default), optionally sign a head, close it. */
static void
write_one(MeshHive *hive, gsize rotate, gboolean sign_head, gint64 *now, gboolean must_work)
{
	static const MeshAuditRecord r = {
		.op = "Sign",
		.key = "MDXV-4B2Q-TNBQ-6V2G-YRTX-GR2A-4MBZ",
		.method = "KeySign",
		.program = "/usr/bin/ssh",
		.pid = 1234,
		.decision = "allow",
		.result = "Ok",
	};
	g_autoptr(MeshAudit) a = mesh_audit_open(hive, NULL);

	if (a == NULL) {
		if (must_work)
			abort();
		return;
	}
	mesh_audit_set_signer(a, sign, NULL);
	mesh_audit_set_clock(a, fixed_clock, now);
	if (rotate != 0)
		mesh_audit_set_rotate_bytes(a, rotate);
	if (!mesh_audit_append(a, &r, NULL) && must_work)
		abort();
	if (sign_head && !mesh_audit_sign_head(a, NULL) && must_work)
		abort();
	if (sign_head && mesh_audit_pending(a) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const MeshAuditFilter filters[] = {
		{ .key = "MDXV-4B2Q-TNBQ-6V2G-YRTX-GR2A-4MBZ" },
		{ .program = "/usr/bin/ssh", .limit = 2 },
		{ .since = "2026-12-08T00:31:05Z", .limit = 1 },
		{ .since = "2026-12-08T00:31:05.007+00:00" },
	};
	g_autoptr(MeshHive) hive = mesh_fuzz_memhive_new();
	MeshAuditReport before = { 0 }, after = { 0 };
	gboolean verified;
	gint64 now = CLOCK_START;
	guint all;

	load_input(hive, data, size);
	verified = mesh_audit_verify(hive, verify_sig, NULL, &before, NULL);
	all = list_count(hive, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(filters); i++) {
		guint n = list_count(hive, &filters[i]);

		if (n == G_MAXUINT || n > all || (filters[i].limit != 0 && n > filters[i].limit))
			abort();
	}
	if (verified && (all != before.records || before.signed_through > before.records ||
			 before.unsigned_records != before.records - before.signed_through))
		abort();

	write_one(hive, 0, FALSE, &now, verified);
	write_one(hive, 1, TRUE, &now, verified);
	if (!verified) {
		/* Whatever the writer made of it still reads without harm. */
		(void)mesh_audit_verify(hive, verify_sig, NULL, NULL, NULL);
		(void)list_count(hive, NULL);
		return 0;
	}
	if (!mesh_audit_verify(hive, verify_sig, NULL, &after, NULL) ||
	    after.records < before.records + 2 || after.signed_through != after.records ||
	    after.unsigned_records != 0 || list_count(hive, NULL) != after.records)
		abort();
	return 0;
}
