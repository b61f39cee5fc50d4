/* SPDX-License-Identifier: MIT */
#include "audit.h"
#include "base64.h"
#include "cutest.h"
#include "error.h"
#include "hive.h"
#include "key.h"
#include "secret.h"

#include <string.h>

/*
 * The audit log (core/audit.h): records written, listed and filtered; heads signed with a real
 * Ed25519 key; the whole log verified; and every attack on the files the log claims to detect
 * is made on them and must be reported, naming the Seq where the chain breaks. What it cannot
 * detect (records after the last signed head cut away) is shown too.
 */

#define FILE1 "000000000001.log"

typedef struct {
	char *root;
	MeshHive *hive;
	MeshAudit *audit;
	MeshKey *key;
	gint64 now; /* the fixed clock, ms; +1 s on every reading */
	gboolean locked;
} Fixture;

static gint64
fixed_clock(gpointer data)
{
	Fixture *fx = data;
	gint64 t = fx->now;

	fx->now += 1000;
	return t;
}

/* The agent's signer, on a key in memory; a "locked" key cannot sign. */
static gboolean
sign_with_key(gpointer data, const guint8 *msg, gsize len, char **ret_signer_udf,
	      GBytes **ret_signature, GError **error)
{
	Fixture *fx = data;
	GBytes *sig;

	if (fx->locked) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_LOCKED, "the device key is locked");
		return FALSE;
	}
	sig = mesh_key_sign(fx->key, msg, len, error);
	if (sig == NULL)
		return FALSE;
	*ret_signer_udf = g_strdup(mesh_key_udf(fx->key));
	*ret_signature = sig;
	return TRUE;
}

/* The agent's check: the key the head names must be the device's, and sign. */
static gboolean
verify_with_key(gpointer data, const char *signer_udf, const guint8 *msg, gsize len,
		GBytes *signature, GError **error)
{
	MeshKey *key = data;

	if (!mesh_key_udf_matches(key, signer_udf)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND, "no key %s", signer_udf);
		return FALSE;
	}
	return mesh_key_verify(key, msg, len, g_bytes_get_data(signature, NULL),
			       g_bytes_get_size(signature), error);
}

static void
fixture_open(Fixture *fx)
{
	GError *error = NULL;

	fx->audit = mesh_audit_open(fx->hive, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fx->audit);
	mesh_audit_set_clock(fx->audit, fixed_clock, fx);
	mesh_audit_set_signer(fx->audit, sign_with_key, fx);
}

static void
fixture_init(Fixture *fx)
{
	GError *error = NULL;

	memset(fx, 0, sizeof *fx);
	fx->root = mesh_test_tmp_dir("audit");
	fx->hive = mesh_hive_open(MESH_HIVE_TEST, fx->root, &error);
	MESH_ASSERT_NO_ERROR(error);
	fx->key = mesh_key_generate(MESH_KEY_ED25519, &error);
	MESH_ASSERT_NO_ERROR(error);
	fx->now = G_GINT64_CONSTANT(1796689862123); /* 2026-12-08T00:31:02.123Z */
	fixture_open(fx);
}

static void
fixture_clear(Fixture *fx)
{
	mesh_audit_close(fx->audit);
	mesh_hive_close(fx->hive);
	mesh_key_unref(fx->key);
	mesh_test_remove_tree(fx->root);
	g_free(fx->root);
}

/* A Sign record by @program of @key. */
static void
append_ok(Fixture *fx, const char *key, const char *program)
{
	MeshAuditRecord r = { .op = "Sign", .key = key, .method = "KeySign",
			      .program = program, .pid = 4242, .decision = "allow", .result = "Ok" };
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_audit_append(fx->audit, &r, &error));
	MESH_ASSERT_NO_ERROR(error);
}

static void
sign_head_ok(Fixture *fx)
{
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_audit_sign_head(fx->audit, &error));
	MESH_ASSERT_NO_ERROR(error);
}

static MeshAuditReport
verify_ok(Fixture *fx)
{
	MeshAuditReport rep = { 0 };
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_audit_verify(fx->hive, verify_with_key, fx->key, &rep, &error));
	MESH_ASSERT_NO_ERROR(error);
	return rep;
}

/* Verify fails as tampered, with a message that holds each of the NULL-ended @want. */
static void
verify_fails(Fixture *fx, ...)
{
	MeshAuditReport rep = { 0 };
	GError *error = NULL;
	const char *want;
	va_list ap;

	CU_ASSERT_FALSE(mesh_audit_verify(fx->hive, verify_with_key, fx->key, &rep, &error));
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	va_start(ap, fx);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (strstr(error->message, want) == NULL)
			g_printerr("'%s' does not say '%s'\n", error->message, want);
		CU_ASSERT_PTR_NOT_NULL(strstr(error->message, want));
	}
	va_end(ap);
	MESH_ASSERT_ERROR(error, MESH_ERROR_TAMPERED);
}

/* The lines of an Audit entry (newlines left out; a last piece without one kept). */
static GPtrArray *
file_lines(Fixture *fx, const char *name)
{
	g_autoptr(GBytes) data = NULL;
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) parts = NULL;
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_hive_read(fx->hive, MESH_HIVE_AUDIT, name, MESH_HIVE_ENTRY_MAX, &data,
				      &error));
	MESH_ASSERT_NO_ERROR(error);
	{
		g_autofree char *text = g_strndup(g_bytes_get_data(data, NULL),
						  g_bytes_get_size(data));

		parts = g_strsplit(text, "\n", -1);
	}
	for (int i = 0; parts[i] != NULL; i++) {
		if (parts[i + 1] == NULL && *parts[i] == '\0')
			break;
		g_ptr_array_add(lines, g_strdup(parts[i]));
	}
	return lines;
}

/* Write @lines back as @name, each with its newline. */
static void
write_lines(Fixture *fx, const char *name, GPtrArray *lines)
{
	g_autoptr(GString) text = g_string_new(NULL);
	GError *error = NULL;

	for (guint i = 0; i < lines->len; i++)
		g_string_append_printf(text, "%s\n", (const char *)lines->pdata[i]);
	CU_ASSERT_TRUE(mesh_hive_write(fx->hive, MESH_HIVE_AUDIT, name, (const guint8 *)text->str,
				       text->len, &error));
	MESH_ASSERT_NO_ERROR(error);
}

static GPtrArray *
list_ok(Fixture *fx, const MeshAuditFilter *f)
{
	GPtrArray *lines = NULL;
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_audit_list(fx->hive, f, &lines, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lines);
	return lines;
}

/* A member of a listed line, parsed back (g_free). */
static char *
member(const char *line, const char *name)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *obj;

	CU_ASSERT_TRUE_FATAL(json_parser_load_from_data(parser, line, -1, NULL));
	obj = json_node_get_object(json_parser_get_root(parser));
	if (!json_object_has_member(obj, name))
		return NULL;
	if (json_node_get_value_type(json_object_get_member(obj, name)) == G_TYPE_INT64)
		return g_strdup_printf("%" G_GINT64_FORMAT,
				       json_object_get_int_member(obj, name));
	return g_strdup(json_object_get_string_member(obj, name));
}

/* ---- The record ------------------------------------------------------------------------- */

/* The record has its ten members and nothing else: no member could carry a secret, a password,
 * application data or the data signed (a member added changes the size or an offset). */
static void
test_record_has_no_data_member(void)
{
	typedef struct {
		const char *op, *key, *app, *item, *method, *program;
		gint64 pid;
		const char *decision, *result, *detail;
	} Known;

	CU_ASSERT_EQUAL(sizeof(MeshAuditRecord), sizeof(Known));
	CU_ASSERT_EQUAL(G_STRUCT_OFFSET(MeshAuditRecord, op), G_STRUCT_OFFSET(Known, op));
	CU_ASSERT_EQUAL(G_STRUCT_OFFSET(MeshAuditRecord, program), G_STRUCT_OFFSET(Known, program));
	CU_ASSERT_EQUAL(G_STRUCT_OFFSET(MeshAuditRecord, pid), G_STRUCT_OFFSET(Known, pid));
	CU_ASSERT_EQUAL(G_STRUCT_OFFSET(MeshAuditRecord, detail), G_STRUCT_OFFSET(Known, detail));
}

/* ---- Writing and listing ---------------------------------------------------------------- */

static void
test_append_and_list(void)
{
	Fixture fx;
	g_autoptr(GPtrArray) all = NULL, by_key = NULL, by_program = NULL, last2 = NULL;
	g_autoptr(GPtrArray) since = NULL, none = NULL;
	g_autofree char *v = NULL;
	MeshAuditFilter f = { 0 };
	const char *odd = "/opt/\"quoted\"\\dir/\x01\t\n\x7f/caf\xc3\xa9 \xe2\x82\xac";
	MeshAuditRecord bad = { .op = "Read", .app = "Passwords", .item = "caf\xc3" };
	GError *error = NULL;

	fixture_init(&fx);
	append_ok(&fx, "MAAA-KEY1", "/usr/bin/ssh");
	append_ok(&fx, "MBBB-KEY2", "/usr/bin/git");
	append_ok(&fx, "MAAA-KEY1", odd);
	append_ok(&fx, "MAAA-KEY1", "/usr/bin/git");
	CU_ASSERT_EQUAL(mesh_audit_pending(fx.audit), 4);

	all = list_ok(&fx, NULL);
	CU_ASSERT_EQUAL_FATAL(all->len, 4);
	CU_ASSERT_STRING_EQUAL(all->pdata[0],
			       "{\"Seq\":1,\"Time\":\"2026-12-08T00:31:02.123Z\",\"Op\":\"Sign\","
			       "\"Key\":\"MAAA-KEY1\",\"Method\":\"KeySign\",\"Program\":"
			       "\"/usr/bin/ssh\",\"Pid\":4242,\"Decision\":\"allow\",\"Result\":"
			       "\"Ok\",\"Prev\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}");
	/* Every control character escaped, quotes and backslashes too, UTF-8 kept. */
	CU_ASSERT_PTR_NOT_NULL(strstr(all->pdata[2],
				      "\"Program\":\"/opt/\\\"quoted\\\"\\\\dir/\\u0001\\t\\n"
				      "\\u007f/caf\xc3\xa9 \xe2\x82\xac\""));
	v = member(all->pdata[2], "Program");
	CU_ASSERT_STRING_EQUAL(v, odd);
	g_clear_pointer(&v, g_free);
	v = member(all->pdata[3], "Seq");
	CU_ASSERT_STRING_EQUAL(v, "4");
	g_clear_pointer(&v, g_free);

	f.key = "MAAA-KEY1";
	by_key = list_ok(&fx, &f);
	CU_ASSERT_EQUAL(by_key->len, 3);
	f.program = "/usr/bin/git";
	by_program = list_ok(&fx, &f);
	CU_ASSERT_EQUAL_FATAL(by_program->len, 1);
	v = member(by_program->pdata[0], "Seq");
	CU_ASSERT_STRING_EQUAL(v, "4");
	g_clear_pointer(&v, g_free);
	/* The last N that match, oldest first. */
	memset(&f, 0, sizeof f);
	f.limit = 2;
	last2 = list_ok(&fx, &f);
	CU_ASSERT_EQUAL_FATAL(last2->len, 2);
	CU_ASSERT_STRING_EQUAL(last2->pdata[0], all->pdata[2]);
	CU_ASSERT_STRING_EQUAL(last2->pdata[1], all->pdata[3]);
	/* Since: at or after, in any RFC 3339 form; the records are a second apart. */
	f.limit = 0;
	f.since = "2026-12-08T01:31:04.123+01:00";
	since = list_ok(&fx, &f);
	CU_ASSERT_EQUAL(since->len, 2);
	f.since = "2027-01-01T00:00:00Z";
	none = list_ok(&fx, &f);
	CU_ASSERT_EQUAL(none->len, 0);
	f.since = "yesterday";
	CU_ASSERT_FALSE(mesh_audit_list(fx.hive, &f, &none, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);

	/* Refused, and nothing written: text that is not UTF-8, no Op, the writer's own Ops. */
	CU_ASSERT_FALSE(mesh_audit_append(fx.audit, &bad, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	bad.item = "example.com";
	bad.op = NULL;
	CU_ASSERT_FALSE(mesh_audit_append(fx.audit, &bad, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	bad.op = "Head";
	CU_ASSERT_FALSE(mesh_audit_append(fx.audit, &bad, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	bad.op = "Recovered";
	CU_ASSERT_FALSE(mesh_audit_append(fx.audit, &bad, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	{
		g_autofree char *long_detail = g_strnfill(MESH_AUDIT_LINE_MAX, 'x');
		MeshAuditRecord big = { .op = "Change", .detail = long_detail };

		CU_ASSERT_FALSE(mesh_audit_append(fx.audit, &big, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	}
	CU_ASSERT_EQUAL(mesh_audit_pending(fx.audit), 4);

	/* Another writer (the agent started again) goes on from the last line. */
	g_clear_pointer(&fx.audit, mesh_audit_close);
	fixture_open(&fx);
	CU_ASSERT_EQUAL(mesh_audit_pending(fx.audit), 4);
	append_ok(&fx, "MCCC-KEY3", "/usr/bin/ssh");
	{
		g_autoptr(GPtrArray) again = list_ok(&fx, NULL);

		CU_ASSERT_EQUAL_FATAL(again->len, 5);
		v = member(again->pdata[4], "Seq");
		CU_ASSERT_STRING_EQUAL(v, "5");
	}
	CU_ASSERT_EQUAL(verify_ok(&fx).records, 5);
	fixture_clear(&fx);
}

/* Writers on several threads: every record once, Seq without a gap, the chain whole. */
typedef struct {
	Fixture *fx;
	int n;
} Writer;

static gpointer
write_many(gpointer data)
{
	Writer *w = data;

	for (int i = 0; i < w->n; i++)
		append_ok(w->fx, "MAAA-KEY1", "/usr/bin/ssh");
	return NULL;
}

static void
test_threads(void)
{
	Fixture fx;
	Writer w;
	GThread *threads[4];
	MeshAuditReport rep;

	fixture_init(&fx);
	mesh_audit_set_clock(fx.audit, NULL, NULL);
	mesh_audit_set_rotate_bytes(fx.audit, 4096);
	w.fx = &fx;
	w.n = 50;
	for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
		threads[i] = g_thread_new("writer", write_many, &w);
	for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
		g_thread_join(threads[i]);
	sign_head_ok(&fx);
	rep = verify_ok(&fx);
	/* 200 records and the heads that closed the full files and the last one. */
	CU_ASSERT_EQUAL(rep.records - (rep.files - 1) - 1, 200);
	CU_ASSERT_EQUAL(rep.signed_through, rep.records);
	CU_ASSERT_EQUAL(rep.unsigned_records, 0);
	fixture_clear(&fx);
}

/* ---- Heads -------------------------------------------------------------------------------- */

static void
test_heads(void)
{
	Fixture fx;
	g_autoptr(GPtrArray) lines = NULL;
	g_autoptr(GBytes) head = NULL;
	g_autofree char *want = NULL, *v = NULL;
	MeshAuditReport rep;
	GError *error = NULL;

	fixture_init(&fx);
	rep = verify_ok(&fx);
	CU_ASSERT_EQUAL(rep.records, 0);
	CU_ASSERT_EQUAL(rep.files, 0);
	/* Nothing pending: no head. */
	sign_head_ok(&fx);
	{
		g_autoptr(GPtrArray) empty = list_ok(&fx, NULL);

		CU_ASSERT_EQUAL(empty->len, 0);
	}
	for (int i = 0; i < 5; i++)
		append_ok(&fx, "MAAA-KEY1", "/usr/bin/ssh");
	sign_head_ok(&fx);
	CU_ASSERT_EQUAL(mesh_audit_pending(fx.audit), 0);
	sign_head_ok(&fx); /* nothing since: no second head */
	append_ok(&fx, "MAAA-KEY1", "/usr/bin/ssh");
	append_ok(&fx, "MAAA-KEY1", "/usr/bin/ssh");
	CU_ASSERT_EQUAL(mesh_audit_pending(fx.audit), 2);
	rep = verify_ok(&fx);
	CU_ASSERT_EQUAL(rep.records, 8);
	CU_ASSERT_EQUAL(rep.files, 1);
	CU_ASSERT_EQUAL(rep.signed_through, 6);
	CU_ASSERT_EQUAL(rep.unsigned_records, 2);

	/* The head: Signer, Signature, the same line in Audit/head. */
	lines = file_lines(&fx, FILE1);
	CU_ASSERT_EQUAL_FATAL(lines->len, 8);
	v = member(lines->pdata[5], "Op");
	CU_ASSERT_STRING_EQUAL(v, "Head");
	g_clear_pointer(&v, g_free);
	v = member(lines->pdata[5], "Signer");
	CU_ASSERT_STRING_EQUAL(v, mesh_key_udf(fx.key));
	CU_ASSERT_TRUE(mesh_hive_read(fx.hive, MESH_HIVE_AUDIT, MESH_AUDIT_HEAD, 65536, &head,
				      &error));
	MESH_ASSERT_NO_ERROR(error);
	want = g_strdup_printf("%s\n", (const char *)lines->pdata[5]);
	CU_ASSERT_EQUAL_FATAL(g_bytes_get_size(head), strlen(want));
	CU_ASSERT_EQUAL(memcmp(g_bytes_get_data(head, NULL), want, strlen(want)), 0);

	/* A locked key: no head, an error for the timer, the records stay pending; appending
	 * goes on. */
	fx.locked = TRUE;
	CU_ASSERT_FALSE(mesh_audit_sign_head(fx.audit, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_LOCKED);
	CU_ASSERT_EQUAL(mesh_audit_pending(fx.audit), 2);
	append_ok(&fx, "MAAA-KEY1", "/usr/bin/ssh");
	CU_ASSERT_EQUAL(mesh_audit_pending(fx.audit), 3);
	fx.locked = FALSE;
	sign_head_ok(&fx);
	rep = verify_ok(&fx);
	CU_ASSERT_EQUAL(rep.signed_through, 10);
	CU_ASSERT_EQUAL(rep.unsigned_records, 0);
	/* No signer at all. */
	mesh_audit_set_signer(fx.audit, NULL, NULL);
	append_ok(&fx, "MAAA-KEY1", "/usr/bin/ssh");
	CU_ASSERT_FALSE(mesh_audit_sign_head(fx.audit, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNSUPPORTED);
	/* A reopened writer knows the last head from Audit/head. */
	g_clear_pointer(&fx.audit, mesh_audit_close);
	fixture_open(&fx);
	CU_ASSERT_EQUAL(mesh_audit_pending(fx.audit), 1);
	fixture_clear(&fx);
}

/* Files of a few records each: every full file ends with its head, and the log verifies across
 * them; without a signer a full file ends with an unsigned head that says why. */
static void
test_rotation(void)
{
	Fixture fx;
	g_autoptr(GPtrArray) files = NULL;
	g_autoptr(GPtrArray) all = NULL;
	MeshAuditReport rep;
	GError *error = NULL;

	fixture_init(&fx);
	mesh_audit_set_rotate_bytes(fx.audit, 700);
	for (int i = 0; i < 20; i++)
		append_ok(&fx, "MAAA-KEY1", "/usr/bin/ssh");
	CU_ASSERT_TRUE(mesh_hive_list(fx.hive, MESH_HIVE_AUDIT, &files, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(files->len >= 4); /* three log files at least, and head */
	for (guint i = 0; i + 2 < files->len; i++) {
		g_autoptr(GPtrArray) lines = file_lines(&fx, files->pdata[i]);
		g_autofree char *op = member(lines->pdata[lines->len - 1], "Op");
		g_autofree char *seq = member(lines->pdata[0], "Seq");
		g_autofree char *name = g_strdup_printf("%012d.log", atoi(seq));

		CU_ASSERT_STRING_EQUAL(op, "Head");
		CU_ASSERT_STRING_EQUAL(files->pdata[i], name);
	}
	rep = verify_ok(&fx);
	CU_ASSERT_EQUAL(rep.files, files->len - 1);
	CU_ASSERT_EQUAL(rep.records, 20 + rep.files - 1);
	all = list_ok(&fx, NULL);
	CU_ASSERT_EQUAL(all->len, rep.records);

	/* No signer: the full file ends with {"Op":"Head","Result":"Unsupported"}, unsigned. */
	mesh_audit_set_signer(fx.audit, NULL, NULL);
	for (int i = 0; i < 10; i++)
		append_ok(&fx, "MAAA-KEY1", "/usr/bin/ssh");
	{
		MeshAuditFilter f = { .limit = 40 };
		g_autoptr(GPtrArray) lines = list_ok(&fx, &f);
		gboolean marker = FALSE;

		for (guint i = 0; i < lines->len; i++)
			marker |= strstr(lines->pdata[i], "\"Op\":\"Head\",\"Result\":"
							  "\"Unsupported\"") != NULL;
		CU_ASSERT_TRUE(marker);
	}
	rep = verify_ok(&fx);
	CU_ASSERT_TRUE(rep.unsigned_records >= 10);
	fixture_clear(&fx);
}

/* ---- Attacks ------------------------------------------------------------------------------ */

/* A log of records 1-10, a head at 11, and 12-13 unsigned, in one file. */
static void
attack_log(Fixture *fx)
{
	fixture_init(fx);
	for (int i = 0; i < 10; i++)
		append_ok(fx, "MAAA-KEY1", "/usr/bin/ssh");
	sign_head_ok(fx);
	append_ok(fx, "MAAA-KEY1", "/usr/bin/ssh");
	append_ok(fx, "MAAA-KEY1", "/usr/bin/ssh");
	CU_ASSERT_EQUAL(verify_ok(fx).records, 13);
}

static void
test_deleted_line(void)
{
	Fixture fx;
	g_autoptr(GPtrArray) lines = NULL;

	attack_log(&fx);
	lines = file_lines(&fx, FILE1);
	g_ptr_array_remove_index(lines, 3); /* Seq 4 */
	write_lines(&fx, FILE1, lines);
	verify_fails(&fx, "Seq 5 in Audit/" FILE1 " line 4", "Seq 4 was expected", NULL);
	fixture_clear(&fx);
}

static void
test_edited_line(void)
{
	Fixture fx;
	g_autoptr(GPtrArray) lines = NULL;
	char *p;

	attack_log(&fx);
	lines = file_lines(&fx, FILE1);
	/* One character of Seq 3's Program: the line is still a record; the next one's Prev
	 * is what no longer matches. */
	p = strstr(lines->pdata[2], "/usr/bin/ssh");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	p[9] = 'S';
	write_lines(&fx, FILE1, lines);
	verify_fails(&fx, "Seq 4 in Audit/" FILE1 " line 4", "Prev does not match", NULL);
	fixture_clear(&fx);
}

static void
test_reordered_pair(void)
{
	Fixture fx;
	g_autoptr(GPtrArray) lines = NULL;
	gpointer t;

	attack_log(&fx);
	lines = file_lines(&fx, FILE1);
	t = lines->pdata[5];
	lines->pdata[5] = lines->pdata[6];
	lines->pdata[6] = t;
	write_lines(&fx, FILE1, lines);
	verify_fails(&fx, "Seq 7 in Audit/" FILE1 " line 6", "Seq 6 was expected", NULL);
	fixture_clear(&fx);
}

/* Records cut up to or past the signed head: Audit/head names a Seq the log no longer has. */
static void
test_cut_through_head(void)
{
	Fixture fx;
	g_autoptr(GPtrArray) lines = NULL;

	attack_log(&fx);
	lines = file_lines(&fx, FILE1);
	g_ptr_array_set_size(lines, 8);
	write_lines(&fx, FILE1, lines);
	verify_fails(&fx, "Audit/head is signed at Seq 11 but the log ends at Seq 8",
		     "cut at or before the signed head", NULL);
	/* And no writer goes on from the cut: its next head would sign over it and hide it. */
	{
		GError *error = NULL;
		MeshAudit *a = mesh_audit_open(fx.hive, &error);

		CU_ASSERT_PTR_NULL(a);
		MESH_ASSERT_ERROR(error, MESH_ERROR_TAMPERED);
		mesh_audit_close(a);
	}
	/* Audit/head removed as well: the heads left in the log say it was there. */
	fixture_clear(&fx);
	attack_log(&fx);
	{
		GError *error = NULL;

		CU_ASSERT_TRUE(mesh_hive_remove(fx.hive, MESH_HIVE_AUDIT, MESH_AUDIT_HEAD, &error));
		MESH_ASSERT_NO_ERROR(error);
		verify_fails(&fx, "Audit/head is missing", "Seq 11", NULL);
	}
	fixture_clear(&fx);
}

/* What the log cannot show: the records after the last signed head (12 and 13) cut away. The
 * log verifies, with fewer records; only a head signed after them would have kept them. */
static void
test_cut_after_head_not_detected(void)
{
	Fixture fx;
	g_autoptr(GPtrArray) lines = NULL;
	MeshAuditReport rep;

	attack_log(&fx);
	lines = file_lines(&fx, FILE1);
	g_ptr_array_set_size(lines, 11);
	write_lines(&fx, FILE1, lines);
	rep = verify_ok(&fx);
	CU_ASSERT_EQUAL(rep.records, 11);
	CU_ASSERT_EQUAL(rep.signed_through, 11);
	CU_ASSERT_EQUAL(rep.unsigned_records, 0);
	fixture_clear(&fx);
}

/* A head signed by another key, in the log and in Audit/head alike. */
static void
test_forged_head(void)
{
	Fixture fx;
	g_autoptr(GPtrArray) lines = NULL;
	g_autoptr(MeshKey) other = NULL;
	g_autoptr(GBytes) sig = NULL;
	g_autofree char *old_sig = NULL, *new_sig = NULL, *msg = NULL, *prev = NULL;
	GString *head;
	GError *error = NULL;

	attack_log(&fx);
	lines = file_lines(&fx, FILE1);
	old_sig = member(lines->pdata[10], "Signature");
	prev = member(lines->pdata[10], "Prev");
	other = mesh_key_generate(MESH_KEY_ED25519, &error);
	MESH_ASSERT_NO_ERROR(error);
	msg = g_strdup_printf("MeshAuditHead:11:%s", prev);
	sig = mesh_key_sign(other, (const guint8 *)msg, strlen(msg), &error);
	MESH_ASSERT_NO_ERROR(error);
	new_sig = mesh_b64u_encode(g_bytes_get_data(sig, NULL), g_bytes_get_size(sig));
	head = g_string_new(lines->pdata[10]);
	g_string_replace(head, old_sig, new_sig, 1);
	g_free(lines->pdata[10]);
	lines->pdata[10] = g_string_free(head, FALSE);
	write_lines(&fx, FILE1, lines);
	{
		g_autoptr(GPtrArray) one = g_ptr_array_new();

		g_ptr_array_add(one, lines->pdata[10]);
		write_lines(&fx, MESH_AUDIT_HEAD, one);
	}
	verify_fails(&fx, "Seq 11 in Audit/" FILE1 " line 11", "signature", "does not verify",
		     NULL);
	fixture_clear(&fx);
}

/* Three files and more; the middle one removed. */
static void
test_file_removed(void)
{
	Fixture fx;
	g_autoptr(GPtrArray) files = NULL;
	g_autofree char *want = NULL;
	GError *error = NULL;
	guint64 first = 0, next = 0;

	fixture_init(&fx);
	mesh_audit_set_rotate_bytes(fx.audit, 700);
	for (int i = 0; i < 20; i++)
		append_ok(&fx, "MAAA-KEY1", "/usr/bin/ssh");
	CU_ASSERT_TRUE(mesh_hive_list(fx.hive, MESH_HIVE_AUDIT, &files, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE_FATAL(files->len >= 4);
	first = g_ascii_strtoull(files->pdata[1], NULL, 10);
	next = g_ascii_strtoull(files->pdata[2], NULL, 10);
	CU_ASSERT_TRUE(mesh_hive_remove(fx.hive, MESH_HIVE_AUDIT, files->pdata[1], &error));
	MESH_ASSERT_NO_ERROR(error);
	want = g_strdup_printf("Seq %" G_GUINT64_FORMAT " in Audit/%s line 1: Seq %" G_GUINT64_FORMAT
			       " was expected",
			       next, (const char *)files->pdata[2], first);
	verify_fails(&fx, want, "missing", NULL);
	fixture_clear(&fx);
}

/* Other damage: a line that is not a record, a line too long, a renamed file. */
static void
test_other_damage(void)
{
	Fixture fx;
	g_autoptr(GPtrArray) lines = NULL;
	g_autofree char *spaced = NULL;

	attack_log(&fx);
	lines = file_lines(&fx, FILE1);
	/* The same record with a space: JSON still, but not the writer's bytes. */
	spaced = g_strdup_printf("{ %s", (const char *)lines->pdata[1] + 1);
	g_free(lines->pdata[1]);
	lines->pdata[1] = g_steal_pointer(&spaced);
	write_lines(&fx, FILE1, lines);
	verify_fails(&fx, "Seq 2 in Audit/" FILE1 " line 2", "not a record", NULL);
	g_free(lines->pdata[1]);
	lines->pdata[1] = g_strnfill(MESH_AUDIT_LINE_MAX + 1, 'x');
	write_lines(&fx, FILE1, lines);
	verify_fails(&fx, "Seq 2 in Audit/" FILE1 " line 2", "longer than 64 KiB", NULL);
	fixture_clear(&fx);

	/* The file renamed: its first record is not the Seq its name says. */
	attack_log(&fx);
	g_clear_pointer(&lines, g_ptr_array_unref);
	lines = file_lines(&fx, FILE1);
	write_lines(&fx, "000000000002.log", lines);
	{
		GError *error = NULL;

		CU_ASSERT_TRUE(mesh_hive_remove(fx.hive, MESH_HIVE_AUDIT, FILE1, &error));
		MESH_ASSERT_NO_ERROR(error);
	}
	verify_fails(&fx, "Seq 1 in Audit/000000000002.log line 1", "named for another Seq",
		     NULL);
	fixture_clear(&fx);
}

/* ---- A crash inside a write -------------------------------------------------------------- */

static void
append_raw(Fixture *fx, const char *name, const char *bytes)
{
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_hive_append(fx->hive, MESH_HIVE_AUDIT, name, (const guint8 *)bytes,
					strlen(bytes), FALSE, &error));
	MESH_ASSERT_NO_ERROR(error);
}

/*
 * The agent killed in the middle of writing Seq 14: the file ends in a torn line. Until the
 * agent starts again verify says so; the writer then starts a new file with a Recovered record
 * naming the torn bytes, and the log verifies again, forever. The torn bytes cannot be changed
 * afterwards, nor can a torn line be made in an older file, without verify noticing.
 */
static void
test_torn_line(void)
{
	Fixture fx;
	g_autoptr(GPtrArray) lines = NULL;
	g_autofree char *recovered = NULL;
	MeshAuditReport rep;

	attack_log(&fx);
	g_clear_pointer(&fx.audit, mesh_audit_close);
	append_raw(&fx, FILE1, "{\"Seq\":14,\"Time\":\"2026-12-08T00:3");
	verify_fails(&fx, "Seq 14 in Audit/" FILE1 " line 14", "torn line", "start it again",
		     NULL);
	fixture_open(&fx);
	/* The Recovered record: Seq 14, in a file of its own, chained to Seq 13. */
	lines = file_lines(&fx, "000000000014.log");
	CU_ASSERT_EQUAL_FATAL(lines->len, 1);
	recovered = member(lines->pdata[0], "Op");
	CU_ASSERT_STRING_EQUAL(recovered, "Recovered");
	g_clear_pointer(&recovered, g_free);
	recovered = member(lines->pdata[0], "Detail");
	CU_ASSERT_PTR_NOT_NULL(strstr(recovered, "torn line at the end of Audit/" FILE1
						 ": 33 bytes, SHA-256 "));
	append_ok(&fx, "MAAA-KEY1", "/usr/bin/ssh");
	rep = verify_ok(&fx);
	CU_ASSERT_EQUAL(rep.records, 15);
	CU_ASSERT_EQUAL(rep.files, 2);
	CU_ASSERT_EQUAL(rep.signed_through, 11);
	/* Opened again: nothing more to recover. */
	g_clear_pointer(&fx.audit, mesh_audit_close);
	fixture_open(&fx);
	CU_ASSERT_EQUAL(verify_ok(&fx).records, 15);
	/* The torn bytes changed afterwards. */
	{
		g_autoptr(GBytes) data = NULL;
		g_autofree char *text = NULL;
		GError *error = NULL;

		CU_ASSERT_TRUE(mesh_hive_read(fx.hive, MESH_HIVE_AUDIT, FILE1, MESH_HIVE_ENTRY_MAX,
					      &data, &error));
		MESH_ASSERT_NO_ERROR(error);
		text = g_strndup(g_bytes_get_data(data, NULL), g_bytes_get_size(data));
		text[strlen(text) - 1] = '4';
		CU_ASSERT_TRUE(mesh_hive_write(fx.hive, MESH_HIVE_AUDIT, FILE1,
					       (const guint8 *)text, strlen(text), &error));
		MESH_ASSERT_NO_ERROR(error);
		verify_fails(&fx, "Seq 14 in Audit/000000000014.log line 1", "torn line",
			     "does not recover", NULL);
	}
	fixture_clear(&fx);

	/* A torn line made in a file that a next file follows, without a Recovered record: a cut
	 * record disguised as a crash. */
	fixture_init(&fx);
	mesh_audit_set_rotate_bytes(fx.audit, 700);
	for (int i = 0; i < 12; i++)
		append_ok(&fx, "MAAA-KEY1", "/usr/bin/ssh");
	{
		g_autoptr(GPtrArray) one = file_lines(&fx, FILE1);
		g_autofree char *cut = g_strndup(one->pdata[one->len - 1], 30);

		g_ptr_array_set_size(one, one->len - 1);
		write_lines(&fx, FILE1, one);
		append_raw(&fx, FILE1, cut);
		verify_fails(&fx, "line 1", "ends in a torn line", NULL);
	}
	fixture_clear(&fx);

	/* Killed while starting a file: the newest holds a torn first record alone. It is
	 * replaced by the Recovered record, which keeps its Seq and name. */
	fixture_init(&fx);
	for (int i = 0; i < 3; i++)
		append_ok(&fx, "MAAA-KEY1", "/usr/bin/ssh");
	g_clear_pointer(&fx.audit, mesh_audit_close);
	append_raw(&fx, "000000000004.log", "{\"Seq\":4,\"Ti");
	fixture_open(&fx);
	g_clear_pointer(&lines, g_ptr_array_unref);
	lines = file_lines(&fx, "000000000004.log");
	CU_ASSERT_EQUAL_FATAL(lines->len, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(lines->pdata[0], "\"Seq\":4,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(lines->pdata[0], "\"Op\":\"Recovered\""));
	append_ok(&fx, "MAAA-KEY1", "/usr/bin/ssh");
	CU_ASSERT_EQUAL(verify_ok(&fx).records, 5);
	fixture_clear(&fx);
}

/* ---- The known answer --------------------------------------------------------------------- */

typedef struct {
	JsonArray *times;
	guint next;
} VectorClock;

static gint64
vector_clock(gpointer data)
{
	VectorClock *c = data;
	return json_array_get_int_element(c->times, c->next++);
}

static const char *
opt(JsonObject *o, const char *name)
{
	return json_object_has_member(o, name) ? json_object_get_string_member(o, name) : NULL;
}

/* tests/vectors/audit.json: the lines, hashes, head and signature this code makes of its
 * records with its key and times are the ones recorded there, byte for byte (an independent
 * Python check recomputes them: tests/integration/audit-kat.py). */
static void
test_known_answer(void)
{
	g_autoptr(JsonNode) root = NULL;
	JsonObject *v = mesh_test_vectors(&root, "audit.json", "Audit");
	JsonArray *records = json_object_get_array_member(v, "Records");
	JsonArray *want = json_object_get_array_member(v, "Lines");
	VectorClock clock = { json_object_get_array_member(v, "Times"), 0 };
	g_autoptr(GPtrArray) lines = NULL;
	g_autoptr(MeshSecret) seed = NULL;
	g_autoptr(GBytes) head = NULL;
	g_autofree char *head_line = NULL;
	guint8 raw[32];
	gsize len = 0;
	Fixture fx;
	GError *error = NULL;

	fixture_init(&fx);
	CU_ASSERT_TRUE_FATAL(mesh_hex_decode(json_object_get_string_member(v, "PrivateKey"), raw,
					     sizeof raw, &len, &error));
	seed = mesh_secret_new_from_data(raw, len);
	mesh_key_unref(fx.key);
	fx.key = mesh_key_from_raw_private(MESH_KEY_ED25519, seed, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(mesh_key_udf(fx.key), json_object_get_string_member(v, "Signer"));
	mesh_audit_set_clock(fx.audit, vector_clock, &clock);
	for (guint i = 0; i < json_array_get_length(records); i++) {
		JsonObject *o = json_array_get_object_element(records, i);
		MeshAuditRecord r = {
			.op = opt(o, "Op"),
			.key = opt(o, "Key"),
			.app = opt(o, "App"),
			.item = opt(o, "Item"),
			.method = opt(o, "Method"),
			.program = opt(o, "Program"),
			.pid = json_object_has_member(o, "Pid") ? json_object_get_int_member(o, "Pid")
								: 0,
			.decision = opt(o, "Decision"),
			.result = opt(o, "Result"),
			.detail = opt(o, "Detail"),
		};

		CU_ASSERT_TRUE(mesh_audit_append(fx.audit, &r, &error));
		MESH_ASSERT_NO_ERROR(error);
	}
	sign_head_ok(&fx);
	lines = file_lines(&fx, FILE1);
	CU_ASSERT_EQUAL_FATAL(lines->len, json_array_get_length(want));
	for (guint i = 0; i < lines->len; i++) {
		const char *w = json_array_get_string_element(want, i);
		g_autofree char *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256,
								     lines->pdata[i], -1);

		if (strcmp(lines->pdata[i], w) != 0)
			g_printerr("line %u:\n  got  %s\n  want %s\n", i + 1,
				   (const char *)lines->pdata[i], w);
		CU_ASSERT_STRING_EQUAL(lines->pdata[i], w);
		CU_ASSERT_STRING_EQUAL(hash, json_array_get_string_element(
						     json_object_get_array_member(v, "SHA256"), i));
	}
	{
		g_autofree char *sig = member(lines->pdata[2], "Signature");

		CU_ASSERT_STRING_EQUAL(sig, json_object_get_string_member(v, "Signature"));
	}
	CU_ASSERT_TRUE(mesh_hive_read(fx.hive, MESH_HIVE_AUDIT, MESH_AUDIT_HEAD, 65536, &head,
				      &error));
	MESH_ASSERT_NO_ERROR(error);
	head_line = g_strndup(g_bytes_get_data(head, NULL), g_bytes_get_size(head));
	CU_ASSERT_STRING_EQUAL(head_line, json_object_get_string_member(v, "HeadEntry"));
	CU_ASSERT_EQUAL(verify_ok(&fx).signed_through, 3);
	fixture_clear(&fx);
}

static CU_TestInfo tests[] = {
	{ "the record has no member for data", test_record_has_no_data_member },
	{ "append, list, filters, escaping, refusals, reopen", test_append_and_list },
	{ "four threads append: one chain", test_threads },
	{ "heads: signed, Audit/head, locked key, no signer", test_heads },
	{ "rotation: three files and more verify; unsigned head", test_rotation },
	{ "attack: a deleted line", test_deleted_line },
	{ "attack: an edited line", test_edited_line },
	{ "attack: a reordered pair", test_reordered_pair },
	{ "attack: cut through the signed head; Audit/head removed", test_cut_through_head },
	{ "limit: a cut after the last head is not detected", test_cut_after_head_not_detected },
	{ "attack: a forged head signature", test_forged_head },
	{ "attack: a file removed in the middle", test_file_removed },
	{ "attack: not the writer's bytes, too long, renamed", test_other_damage },
	{ "a torn final line after a crash", test_torn_line },
	{ "known answer: tests/vectors/audit.json", test_known_answer },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("audit", tests);
}
