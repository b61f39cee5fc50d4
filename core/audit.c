/* SPDX-License-Identifier: MIT */
#include "audit.h"

#include <string.h>

#include "base64.h"
#include "error.h"
#include "json.h"

/*
 * The audit log (audit.h; docs/protocol.md "Audit log"). Lines are made by a writer of their
 * own (format_line), not by json-glib, so that the bytes, which the chain hashes, are fixed by
 * this file alone; the verifier parses each line strictly and then formats it again, and a line
 * that does not come out byte for byte the same was not written here.
 */

#define FILE_NAME_DIGITS 12
#define FILE_SUFFIX ".log"
/* "2026-12-08T00:31:02.123Z" */
#define TIME_LEN 24
#define OP_HEAD "Head"
#define OP_RECOVERED "Recovered"
#define SHA256_LEN 32

/* A record as it is on a line: the caller's members and the writer's. */
typedef struct {
	guint64 seq;
	const char *time;
	MeshAuditRecord r;
	const char *signer;    /* Head */
	const char *signature; /* Head, base64url */
	const char *prev;
} Line;

struct MeshAudit {
	GMutex lock;
	MeshHive *hive;
	MeshAuditSignFunc sign;
	gpointer sign_data;
	MeshAuditClockFunc clock;
	gpointer clock_data;
	gsize rotate_bytes;
	guint64 next_seq;
	char *prev;      /* base64url SHA-256 of the last whole line */
	char *file;      /* the file written to; NULL: the next line starts one */
	gsize file_size; /* its bytes */
	/* @file kept open while records go to it: one write per record, not an open, a check
	 * and a close as well. */
	MeshHiveAppender *out;
	guint64 head_seq; /* the last signed head's Seq; 0: none */
	/* An append failed, perhaps half-written: the state is read again from the files (which
	 * recovers a torn line) before the next write. */
	gboolean broken;
};

/* ---- Lines ----------------------------------------------------------------------------- */

/* base64url of the SHA-256 of @len bytes at @data (g_free). */
static char *
hash_b64(const char *data, gsize len)
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	guint8 digest[SHA256_LEN];
	gsize n = sizeof digest;

	g_checksum_update(sum, (const guchar *)data, (gssize)len);
	g_checksum_get_digest(sum, digest, &n);
	return mesh_b64u_encode(digest, n);
}

/* The Prev of Seq 1: 32 zero bytes. */
static char *
first_prev(void)
{
	const guint8 zero[SHA256_LEN] = { 0 };

	return mesh_b64u_encode(zero, sizeof zero);
}

/* A JSON string member: quote, backslash and control characters escaped (DEL too, so that no
 * line carries a byte a terminal acts on), everything else, UTF-8 included, as it is. */
static void
put_string(GString *out, const char *name, const char *value)
{
	const guchar *run;

	if (value == NULL)
		return;
	g_string_append_c(out, ',');
	g_string_append_c(out, '"');
	g_string_append(out, name);
	g_string_append(out, "\":\"");
	/* Runs of characters kept as they are go out whole: a record is written for every use of
	 * a key, and most of it needs no escape. */
	run = (const guchar *)value;
	for (const guchar *p = run;; p++) {
		const char *esc = NULL;
		char hex[8];

		if (*p != '\0' && *p != '"' && *p != '\\' && *p >= 0x20 && *p != 0x7f)
			continue;
		g_string_append_len(out, (const char *)run, p - run);
		if (*p == '\0')
			break;
		switch (*p) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\b':
			esc = "\\b";
			break;
		case '\f':
			esc = "\\f";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		default:
			g_snprintf(hex, sizeof hex, "\\u%04x", *p);
			esc = hex;
		}
		g_string_append(out, esc);
		run = p + 1;
	}
	g_string_append_c(out, '"');
}

/* The line of @l, without its newline, members in the order of docs/protocol.md. */
static GString *
format_line(const Line *l)
{
	GString *out = g_string_sized_new(256);

	g_string_append_printf(out, "{\"Seq\":%" G_GUINT64_FORMAT, l->seq);
	put_string(out, "Time", l->time);
	put_string(out, "Op", l->r.op);
	put_string(out, "Key", l->r.key);
	put_string(out, "App", l->r.app);
	put_string(out, "Item", l->r.item);
	put_string(out, "Method", l->r.method);
	put_string(out, "Program", l->r.program);
	if (l->r.pid != 0)
		g_string_append_printf(out, ",\"Pid\":%" G_GINT64_FORMAT, l->r.pid);
	put_string(out, "Decision", l->r.decision);
	put_string(out, "Result", l->r.result);
	put_string(out, "Detail", l->r.detail);
	put_string(out, "Signer", l->signer);
	put_string(out, "Signature", l->signature);
	put_string(out, "Prev", l->prev);
	g_string_append_c(out, '}');
	return out;
}

/* @ms since the epoch as "2026-12-08T00:31:02.123Z" (civil from days: the proleptic
 * Gregorian calendar, as RFC 3339 has it; no time zone data is read). */
static char *
format_time(gint64 ms)
{
	gint64 secs, days, z, era, doe, yoe, doy, mp, y, m, d;

	ms = CLAMP(ms, 0, G_GINT64_CONSTANT(253402300799999)); /* up to 9999-12-31 */
	secs = ms / 1000;
	days = secs / 86400;
	z = days + 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = yoe + era * 400 + (m <= 2);
	return g_strdup_printf("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (int)y, (int)m, (int)d,
			       (int)(secs % 86400 / 3600), (int)(secs % 3600 / 60),
			       (int)(secs % 60), (int)(ms % 1000));
}

/* An RFC 3339 time in ms since the epoch; FALSE when @text is not one. */
static gboolean
parse_time(const char *text, gint64 *ret_ms)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_iso8601(text, NULL);

	if (t == NULL)
		return FALSE;
	*ret_ms = g_date_time_to_unix(t) * 1000 + g_date_time_get_microsecond(t) / 1000;
	return TRUE;
}

/* A record's Time, exactly the writer's form "YYYY-MM-DDTHH:MM:SS.mmmZ" (so that it compares
 * as text does), in ms since the epoch. Read digit by digit: a fraction through a double could
 * come back a millisecond short. */
static gboolean
parse_record_time(const char *text, gint64 *ret_ms)
{
	static const char form[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	g_autoptr(GDateTime) t = NULL;
	int v[7] = { 0 }, field = 0;

	if (strlen(text) != TIME_LEN)
		return FALSE;
	for (int i = 0; i < TIME_LEN; i++) {
		if (form[i] != 'd') {
			if (text[i] != form[i])
				return FALSE;
			field += i + 1 < TIME_LEN && form[i + 1] == 'd';
			continue;
		}
		if (!g_ascii_isdigit(text[i]))
			return FALSE;
		v[field] = v[field] * 10 + (text[i] - '0');
	}
	t = g_date_time_new_utc(v[0], v[1], v[2], v[3], v[4], v[5]);
	if (t == NULL)
		return FALSE;
	*ret_ms = g_date_time_to_unix(t) * 1000 + v[6];
	return TRUE;
}

static const char *const line_members[] = {
	"Seq",	  "Time",     "Op",	"Key",	  "App",       "Item", "Method", "Program",
	"Pid",	  "Decision", "Result", "Detail", "Signer", "Signature", "Prev",   NULL,
};

static gboolean
get_count(JsonObject *obj, const char *name, gboolean required, gint64 *ret, GError **error)
{
	JsonNode *node = json_object_get_member(obj, name);

	*ret = 0;
	if (node == NULL && !required)
		return TRUE;
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_INT64 || json_node_get_int(node) < 1)
		return mesh_error_member(error, name, "a whole number above 0");
	*ret = json_node_get_int(node);
	return TRUE;
}

/*
 * parse_line: the record on the @len bytes at @text (no newline) into @ret, whose strings
 * @ret_root holds. Strict: one JSON object of the known members with their types, a Seq, Time,
 * Op and Prev, a signature only on a head and on a head either a signature or a Result, and the
 * very bytes format_line makes of it. Errors: MESH_ERROR_MALFORMED saying what is wrong.
 */
static gboolean
parse_line(const char *text, gsize len, Line *ret, JsonNode **ret_root, GError **error)
{
	g_autoptr(JsonNode) root = mesh_json_parse_object(text, len, MESH_AUDIT_LINE_MAX, error);
	g_autoptr(GString) again = NULL;
	JsonObject *obj;
	Line l = { 0 };
	gint64 seq = 0, ms = 0;

	if (root == NULL)
		return FALSE;
	obj = json_node_get_object(root);
	if (!mesh_json_check_members(obj, line_members, error) ||
	    !get_count(obj, "Seq", TRUE, &seq, error) ||
	    !mesh_json_get_string(obj, "Time", &l.time, error) ||
	    !mesh_json_get_string(obj, "Op", &l.r.op, error) ||
	    !mesh_json_get_string_opt(obj, "Key", &l.r.key, error) || !mesh_json_get_string_opt(obj, "App", &l.r.app, error) ||
	    !mesh_json_get_string_opt(obj, "Item", &l.r.item, error) ||
	    !mesh_json_get_string_opt(obj, "Method", &l.r.method, error) ||
	    !mesh_json_get_string_opt(obj, "Program", &l.r.program, error) ||
	    !get_count(obj, "Pid", FALSE, &l.r.pid, error) ||
	    !mesh_json_get_string_opt(obj, "Decision", &l.r.decision, error) ||
	    !mesh_json_get_string_opt(obj, "Result", &l.r.result, error) ||
	    !mesh_json_get_string_opt(obj, "Detail", &l.r.detail, error) ||
	    !mesh_json_get_string_opt(obj, "Signer", &l.signer, error) ||
	    !mesh_json_get_string_opt(obj, "Signature", &l.signature, error) ||
	    !mesh_json_get_string(obj, "Prev", &l.prev, error))
		return FALSE;
	l.seq = (guint64)seq;
	if (!parse_record_time(l.time, &ms))
		return mesh_error_member(error, "Time", "a UTC time like 2026-12-08T00:31:02.123Z");
	if ((l.signer == NULL) != (l.signature == NULL) ||
	    (l.signer != NULL && strcmp(l.r.op, OP_HEAD) != 0) ||
	    (strcmp(l.r.op, OP_HEAD) == 0 && l.signer == NULL && l.r.result == NULL)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "a Signer and a Signature belong together, on a head only, and a head "
			    "has them or a Result saying why not");
		return FALSE;
	}
	again = format_line(&l);
	if (again->len != len || memcmp(again->str, text, len) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "not written as the log writes its records (member order, escapes, "
			    "spaces)");
		return FALSE;
	}
	*ret = l;
	*ret_root = g_steal_pointer(&root);
	return TRUE;
}

/* What a Recovered record says of the torn bytes it leaves behind: checked by the verifier
 * against the bytes it finds. */
static char *
recovered_detail(const char *file, const char *torn, gsize len)
{
	g_autofree char *hash = hash_b64(torn, len);

	return g_strdup_printf("torn line at the end of Audit/%s: %" G_GSIZE_FORMAT
			       " bytes, SHA-256 %s",
			       file, len, hash);
}

/* The message signed in a head over its own Seq and Prev. */
static char *
head_message(guint64 seq, const char *prev)
{
	return g_strdup_printf("MeshAuditHead:%" G_GUINT64_FORMAT ":%s", seq, prev);
}

/* ---- Files --------------------------------------------------------------------------------- */

static char *
file_name(guint64 seq)
{
	return g_strdup_printf("%0" G_STRINGIFY(FILE_NAME_DIGITS) G_GUINT64_FORMAT FILE_SUFFIX,
			       seq);
}

/* The Seq a log file's name gives; FALSE for any other name in the folder. */
static gboolean
file_seq(const char *name, guint64 *ret_seq)
{
	if (strlen(name) != FILE_NAME_DIGITS + strlen(FILE_SUFFIX) ||
	    strcmp(name + FILE_NAME_DIGITS, FILE_SUFFIX) != 0)
		return FALSE;
	for (int i = 0; i < FILE_NAME_DIGITS; i++) {
		if (!g_ascii_isdigit(name[i]))
			return FALSE;
	}
	*ret_seq = g_ascii_strtoull(name, NULL, 10);
	return TRUE;
}

/* The log's files, oldest first (twelve digits sort as numbers do). */
static gboolean
list_files(MeshHive *hive, GPtrArray **ret_files, GError **error)
{
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
	guint64 seq;

	if (!mesh_hive_list(hive, MESH_HIVE_AUDIT, &names, error))
		return FALSE;
	for (guint i = 0; i < names->len; i++) {
		if (file_seq(names->pdata[i], &seq))
			g_ptr_array_add(files, g_strdup(names->pdata[i]));
	}
	*ret_files = g_steal_pointer(&files);
	return TRUE;
}

static GBytes *
read_file(MeshHive *hive, const char *name, GError **error)
{
	GBytes *data = NULL;

	if (!mesh_hive_read(hive, MESH_HIVE_AUDIT, name, MESH_HIVE_ENTRY_MAX, &data, error))
		return NULL;
	return data;
}

/* A bounded reader of a file's lines. */
typedef struct {
	const char *p;
	gsize len, off;
	guint number; /* of the line last returned, from 1 */
} LineReader;

static void
line_reader_init(LineReader *lr, GBytes *data)
{
	lr->p = g_bytes_get_data(data, &lr->len);
	lr->off = 0;
	lr->number = 0;
}

/*
 * line_reader_next: the next line, without its newline, in *@ret_line / *@ret_len; *@ret_torn
 * when it is the end of the file without a newline. FALSE at the end. The caller bounds the
 * length (MESH_AUDIT_LINE_MAX): nothing here is copied.
 */
static gboolean
line_reader_next(LineReader *lr, const char **ret_line, gsize *ret_len, gboolean *ret_torn)
{
	const char *nl;

	if (lr->off >= lr->len)
		return FALSE;
	nl = memchr(lr->p + lr->off, '\n', lr->len - lr->off);
	*ret_line = lr->p + lr->off;
	*ret_torn = nl == NULL;
	*ret_len = nl != NULL ? (gsize)(nl - *ret_line) : lr->len - lr->off;
	lr->off += *ret_len + (nl != NULL ? 1 : 0);
	lr->number++;
	return TRUE;
}

/* ---- The writer -------------------------------------------------------------------------- */

static guint64
pending(const MeshAudit *a)
{
	guint64 last = a->next_seq - 1;

	return last > a->head_seq ? last - a->head_seq : 0;
}

static gint64
clock_now(MeshAudit *a)
{
	return a->clock != NULL ? a->clock(a->clock_data) : g_get_real_time() / 1000;
}

/* No file is being written: the next record starts one. */
static void
forget_file(MeshAudit *a)
{
	g_clear_pointer(&a->out, mesh_hive_appender_close);
	g_clear_pointer(&a->file, g_free);
	a->file_size = 0;
}

/*
 * emit: @l as the next record (Seq, Time and Prev filled here) at the end of the current file,
 * or as a new file when there is none; @replace: as the whole of the current file instead (a
 * file that held only a torn line). Synced when @sync or when it starts a file. The line, with
 * no newline, in *@ret_line (may be NULL).
 */
static gboolean
emit(MeshAudit *a, Line *l, gboolean sync, gboolean replace, GString **ret_line, GError **error)
{
	g_autofree char *time = format_time(clock_now(a));
	g_autoptr(GString) line = NULL;
	gboolean ok;

	l->seq = a->next_seq;
	l->time = time;
	l->prev = a->prev;
	line = format_line(l);
	if (line->len > MESH_AUDIT_LINE_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "an audit record of %" G_GSIZE_FORMAT " bytes is more than the %d a "
			    "line may hold: shorten its Detail",
			    line->len, MESH_AUDIT_LINE_MAX);
		return FALSE;
	}
	if (a->file == NULL) {
		a->file = file_name(a->next_seq);
		a->file_size = 0;
		sync = TRUE;
	}
	g_string_append_c(line, '\n');
	if (replace) {
		g_clear_pointer(&a->out, mesh_hive_appender_close);
		ok = mesh_hive_write(a->hive, MESH_HIVE_AUDIT, a->file, (const guint8 *)line->str,
				     line->len, error);
	} else {
		if (a->out == NULL)
			a->out = mesh_hive_appender_open(a->hive, MESH_HIVE_AUDIT, a->file, error);
		ok = a->out != NULL && mesh_hive_appender_write(a->out, (const guint8 *)line->str,
								line->len, sync, error);
	}
	if (!ok) {
		g_clear_pointer(&a->out, mesh_hive_appender_close);
		a->broken = TRUE;
		return FALSE;
	}
	g_string_truncate(line, line->len - 1);
	g_free(a->prev);
	a->prev = hash_b64(line->str, line->len);
	a->next_seq++;
	a->file_size = replace ? line->len + 1 : a->file_size + line->len + 1;
	if (ret_line != NULL)
		*ret_line = g_steal_pointer(&line);
	return TRUE;
}

/* The Seq of Audit/head's line (0 when there is none, or it is no signed head: the verifier
 * says so). */
static guint64
read_head_seq(MeshHive *hive)
{
	g_autoptr(GBytes) data = NULL;
	g_autoptr(JsonNode) root = NULL;
	const char *text;
	gsize len = 0;
	Line l;

	if (!mesh_hive_read(hive, MESH_HIVE_AUDIT, MESH_AUDIT_HEAD, MESH_AUDIT_LINE_MAX + 1, &data,
			    NULL))
		return 0;
	text = g_bytes_get_data(data, &len);
	if (len == 0 || text[len - 1] != '\n' ||
	    !parse_line(text, len - 1, &l, &root, NULL) || l.signature == NULL)
		return 0;
	return l.seq;
}

/* The log was changed so that no record can follow it (@why): the agent does not start, and
 * says how to begin a new log while keeping the old one. Always FALSE. */
static gboolean
cannot_continue(MeshAudit *a, const char *why, GError **error)
{
	g_set_error(error, MESH_ERROR, MESH_ERROR_TAMPERED,
		    "%s, and no record can follow; move the Audit folder of %s aside (keep it: it is "
		    "the evidence) to start a new log",
		    why, mesh_hive_location(a->hive));
	return FALSE;
}

/*
 * load: Seq, Prev and the file to write from the newest file's last whole line (the files
 * before it only when it holds none). A torn line is not appended to: the next record starts a
 * new file, and is a Recovered record naming it; a newest file that holds nothing but a torn
 * line is replaced by that record. A last whole line that is no record (changed by hand) still
 * gives Prev; its Seq is then counted from the file's name: the verifier reports the line.
 */
static gboolean
load(MeshAudit *a, GError **error)
{
	g_autoptr(GPtrArray) files = NULL;
	g_autoptr(GBytes) newest = NULL;
	const char *torn = NULL;
	gsize torn_len = 0;
	gboolean found = FALSE;

	if (!list_files(a->hive, &files, error))
		return FALSE;
	a->next_seq = 1;
	g_free(a->prev);
	a->prev = first_prev();
	forget_file(a);
	for (guint i = files->len; i > 0 && !found; i--) {
		g_autoptr(GBytes) data = read_file(a->hive, files->pdata[i - 1], error);
		const char *line = NULL, *last = NULL;
		gsize len = 0, last_len = 0;
		gboolean is_torn = FALSE;
		guint lines = 0;
		guint64 first = 0;
		LineReader lr;

		if (data == NULL)
			return FALSE;
		line_reader_init(&lr, data);
		while (line_reader_next(&lr, &line, &len, &is_torn)) {
			if (is_torn)
				break;
			last = line;
			last_len = len;
			lines++;
		}
		if (i == files->len) {
			newest = g_bytes_ref(data);
			torn = is_torn ? line : NULL;
			torn_len = is_torn ? len : 0;
		}
		if (last != NULL) {
			g_autoptr(JsonNode) root = NULL;
			Line l;

			found = TRUE;
			if (parse_line(last, last_len, &l, &root, NULL))
				a->next_seq = l.seq + 1;
			else if (file_seq(files->pdata[i - 1], &first))
				a->next_seq = first + lines;
			g_free(a->prev);
			a->prev = hash_b64(last, last_len);
			if (i == files->len && torn == NULL) {
				a->file = g_strdup(files->pdata[i - 1]);
				a->file_size = g_bytes_get_size(data);
			}
		}
	}
	a->head_seq = read_head_seq(a->hive);
	/* A head is written to Audit/head only once its line is in the log: a log that ends
	 * before it was cut. Going on from the cut would sign over it and hide it for good. */
	if (a->head_seq >= a->next_seq) {
		g_autofree char *why = g_strdup_printf(
			"Audit/head is signed at Seq %" G_GUINT64_FORMAT " but the log ends at "
			"Seq %" G_GUINT64_FORMAT ": records were cut",
			a->head_seq, a->next_seq - 1);

		return cannot_continue(a, why, error);
	}
	if (files->len == 0 || a->file != NULL)
		return TRUE;
	if (g_bytes_get_size(newest) == torn_len) {
		/* The newest file has no whole line: it must be the next file, which the crash
		 * cut short (empty, or a torn first record). */
		g_autofree char *want = file_name(a->next_seq);
		const char *name = g_ptr_array_index(files, files->len - 1);

		if (strcmp(name, want) != 0) {
			g_autofree char *why = g_strdup_printf(
				"Audit/%s holds no whole record and is not the next file (%s): the "
				"log was changed",
				name, want);

			return cannot_continue(a, why, error);
		}
		a->file = g_strdup(name);
		if (torn == NULL)
			return TRUE;
	}
	{
		g_autofree char *detail = recovered_detail(files->pdata[files->len - 1], torn,
							   torn_len);
		Line l = { .r = { .op = OP_RECOVERED, .detail = detail } };

		return emit(a, &l, TRUE, a->file != NULL, NULL, error);
	}
}

MeshAudit *
mesh_audit_open(MeshHive *hive, GError **error)
{
	g_autoptr(MeshAudit) a = g_new0(MeshAudit, 1);

	g_mutex_init(&a->lock);
	a->hive = hive;
	a->rotate_bytes = MESH_AUDIT_FILE_MAX;
	if (!load(a, error))
		return NULL;
	return g_steal_pointer(&a);
}

void
mesh_audit_close(MeshAudit *a)
{
	if (a == NULL)
		return;
	g_mutex_clear(&a->lock);
	g_free(a->prev);
	forget_file(a);
	g_free(a);
}

void
mesh_audit_set_signer(MeshAudit *a, MeshAuditSignFunc func, gpointer data)
{
	g_mutex_lock(&a->lock);
	a->sign = func;
	a->sign_data = data;
	g_mutex_unlock(&a->lock);
}

void
mesh_audit_set_rotate_bytes(MeshAudit *a, gsize bytes)
{
	g_mutex_lock(&a->lock);
	a->rotate_bytes = CLAMP(bytes, 1, MESH_AUDIT_FILE_MAX);
	g_mutex_unlock(&a->lock);
}

void
mesh_audit_set_clock(MeshAudit *a, MeshAuditClockFunc func, gpointer data)
{
	g_mutex_lock(&a->lock);
	a->clock = func;
	a->clock_data = data;
	g_mutex_unlock(&a->lock);
}

guint64
mesh_audit_pending(MeshAudit *a)
{
	guint64 n;

	g_mutex_lock(&a->lock);
	n = pending(a);
	g_mutex_unlock(&a->lock);
	return n;
}

/*
 * head: sign and append a head, synced, and write it to Audit/head. *@ret_signer_failed when
 * the signer (or its absence) is why nothing was written.
 */
static gboolean
head(MeshAudit *a, gboolean *ret_signer_failed, GError **error)
{
	g_autofree char *msg = head_message(a->next_seq, a->prev);
	g_autofree char *signer = NULL;
	g_autofree char *signature = NULL;
	g_autoptr(GBytes) sig = NULL;
	g_autoptr(GString) line = NULL;
	Line l = { .r = { .op = OP_HEAD } };

	*ret_signer_failed = TRUE;
	if (a->sign == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "no signature key is set for the audit log: its heads are not signed");
		return FALSE;
	}
	if (!a->sign(a->sign_data, (const guint8 *)msg, strlen(msg), &signer, &sig, error))
		return FALSE;
	*ret_signer_failed = FALSE;
	signature = mesh_b64u_encode(g_bytes_get_data(sig, NULL), g_bytes_get_size(sig));
	l.signer = signer;
	l.signature = signature;
	if (!emit(a, &l, TRUE, FALSE, &line, error))
		return FALSE;
	a->head_seq = l.seq;
	g_string_append_c(line, '\n');
	return mesh_hive_write(a->hive, MESH_HIVE_AUDIT, MESH_AUDIT_HEAD,
			       (const guint8 *)line->str, line->len, error);
}

/* Before a write: the state read again after a failed append. */
static gboolean
ready(MeshAudit *a, GError **error)
{
	if (!a->broken)
		return TRUE;
	if (!load(a, error))
		return FALSE;
	a->broken = FALSE;
	return TRUE;
}

/*
 * rotate: close the full current file with a signed head as its last record, or, when none can
 * be signed, an unsigned head whose Result and Detail say why (the log goes on either way; the
 * records stay pending until a head is signed). The next record starts a new file.
 */
static gboolean
rotate(MeshAudit *a, GError **error)
{
	g_autoptr(GError) local = NULL;
	gboolean signer_failed = FALSE;

	if (pending(a) > 0 && !head(a, &signer_failed, &local)) {
		Line l = { .r = { .op = OP_HEAD } };

		if (!signer_failed) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		l.r.result = mesh_error_name(local->code);
		l.r.detail = local->message;
		if (!emit(a, &l, TRUE, FALSE, NULL, error))
			return FALSE;
	}
	forget_file(a);
	return TRUE;
}

static gboolean
check_text(const char *name, const char *value, GError **error)
{
	if (value == NULL || g_utf8_validate(value, -1, NULL))
		return TRUE;
	g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		    "the audit record's %s is not UTF-8 text: pass it through mesh_text first",
		    name);
	return FALSE;
}

gboolean
mesh_audit_append(MeshAudit *a, const MeshAuditRecord *r, GError **error)
{
	Line l = { .r = *r };
	gboolean ok = FALSE;

	if (r->op == NULL || *r->op == '\0' || strcmp(r->op, OP_HEAD) == 0 ||
	    strcmp(r->op, OP_RECOVERED) == 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "an audit record needs an Op other than Head and Recovered, which the "
			    "log writes itself");
		return FALSE;
	}
	if (r->pid < 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "an audit record's Pid is 0 (unknown) or above");
		return FALSE;
	}
	if (!check_text("Op", r->op, error) || !check_text("Key", r->key, error) ||
	    !check_text("App", r->app, error) || !check_text("Item", r->item, error) ||
	    !check_text("Method", r->method, error) || !check_text("Program", r->program, error) ||
	    !check_text("Decision", r->decision, error) ||
	    !check_text("Result", r->result, error) || !check_text("Detail", r->detail, error))
		return FALSE;
	g_mutex_lock(&a->lock);
	if (!ready(a, error))
		goto out;
	if (a->file != NULL && a->file_size >= a->rotate_bytes && !rotate(a, error))
		goto out;
	ok = emit(a, &l, FALSE, FALSE, NULL, error);
out:
	g_mutex_unlock(&a->lock);
	return ok;
}

gboolean
mesh_audit_sign_head(MeshAudit *a, GError **error)
{
	gboolean signer_failed = FALSE;
	gboolean ok = FALSE;

	g_mutex_lock(&a->lock);
	if (ready(a, error))
		ok = pending(a) == 0 || head(a, &signer_failed, error);
	g_mutex_unlock(&a->lock);
	return ok;
}

/* ---- Reading ----------------------------------------------------------------------------- */

static gboolean
matches(const Line *l, const MeshAuditFilter *f, gint64 since_ms)
{
	gint64 ms = 0;

	if (f->key != NULL && g_strcmp0(l->r.key, f->key) != 0)
		return FALSE;
	if (f->program != NULL && g_strcmp0(l->r.program, f->program) != 0)
		return FALSE;
	return f->since == NULL || (parse_record_time(l->time, &ms) && ms >= since_ms);
}

gboolean
mesh_audit_list(MeshHive *hive, const MeshAuditFilter *f, GPtrArray **ret_lines,
		GError **error)
{
	const MeshAuditFilter all = { 0 };
	g_autoptr(GPtrArray) files = NULL;
	g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
	gint64 since_ms = 0;

	if (f == NULL)
		f = &all;
	if (f->since != NULL && !parse_time(f->since, &since_ms)) {
		g_autofree char *quoted = mesh_error_quote(f->since);

		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "%s is not an RFC 3339 time: write it like 2026-12-08T00:31:02Z",
			    quoted);
		return FALSE;
	}
	if (!list_files(hive, &files, error))
		return FALSE;
	/* Newest first, so that a limit reads only the files it needs; reversed at the end. */
	for (guint i = files->len; i > 0; i--) {
		g_autoptr(GBytes) data = read_file(hive, files->pdata[i - 1], error);
		g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func(g_free);
		const char *line = NULL;
		gsize len = 0;
		gboolean torn = FALSE;
		LineReader lr;

		if (data == NULL)
			return FALSE;
		line_reader_init(&lr, data);
		while (line_reader_next(&lr, &line, &len, &torn)) {
			g_autoptr(JsonNode) root = NULL;
			Line l;

			if (!torn && len <= MESH_AUDIT_LINE_MAX &&
			    parse_line(line, len, &l, &root, NULL) && matches(&l, f, since_ms))
				g_ptr_array_add(found, g_strndup(line, len));
		}
		for (guint j = found->len; j > 0; j--) {
			if (f->limit != 0 && lines->len >= f->limit)
				break;
			g_ptr_array_add(lines, g_steal_pointer(&found->pdata[j - 1]));
		}
		if (f->limit != 0 && lines->len >= f->limit)
			break;
	}
	for (guint i = 0, j = lines->len; i + 1 < j; i++, j--) {
		gpointer t = lines->pdata[i];

		lines->pdata[i] = lines->pdata[j - 1];
		lines->pdata[j - 1] = t;
	}
	*ret_lines = g_steal_pointer(&lines);
	return TRUE;
}

/* ---- Verifying ----------------------------------------------------------------------------- */

typedef struct {
	MeshAuditVerifyFunc verify_sig;
	gpointer data;
	guint64 expected;  /* the next Seq */
	char *prev;        /* the hash of the last whole line */
	guint64 signed_through;
	guint64 files;
	/* A torn line at the end of the last file read, for the next file to recover. */
	char *torn_file;
	char *torn_detail;
	guint torn_line;
	/* Audit/head */
	GBytes *head;
	guint64 head_seq;
	gboolean head_found;
} Verifier;

static void
verifier_clear(Verifier *v)
{
	g_free(v->prev);
	g_free(v->torn_file);
	g_free(v->torn_detail);
	if (v->head != NULL)
		g_bytes_unref(v->head);
}

static gboolean
broken(GError **error, guint64 seq, const char *file, guint line, const char *why)
{
	g_set_error(error, MESH_ERROR, MESH_ERROR_TAMPERED, "Seq %" G_GUINT64_FORMAT
		    " in Audit/%s line %u: %s", seq, file, line, why);
	return FALSE;
}

/* The signature of a signed head, through the caller's key lookup. */
static gboolean
check_head_signature(Verifier *v, const Line *l, const char *file, guint number, GError **error)
{
	g_autofree char *msg = head_message(l->seq, l->prev);
	g_autofree char *why = NULL;
	g_autoptr(GBytes) sig = mesh_b64u_decode_bytes(l->signature, 1024, NULL);
	g_autoptr(GError) local = NULL;

	if (sig != NULL && v->verify_sig != NULL &&
	    v->verify_sig(v->data, l->signer, (const guint8 *)msg, strlen(msg), sig, &local))
		return TRUE;
	why = g_strdup_printf("the head's signature by %s does not verify (%s): the head was "
			      "forged or changed",
			      l->signer,
			      local != NULL ? local->message
					    : sig == NULL ? "not base64url" : "nothing to verify with");
	return broken(error, l->seq, file, number, why);
}

/* One whole line, the @number-th of @file (the first when @number is 1). */
static gboolean
verify_line(Verifier *v, const char *file, guint64 first_seq, guint number, const char *text,
	    gsize len, GError **error)
{
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GError) local = NULL;
	g_autofree char *why = NULL;
	Line l;

	if (len > MESH_AUDIT_LINE_MAX)
		return broken(error, v->expected, file, number,
			      "the line is longer than 64 KiB: no record is");
	if (!parse_line(text, len, &l, &root, &local)) {
		why = g_strdup_printf("not a record of the log (%s): it was changed",
				      local->message);
		return broken(error, v->expected, file, number, why);
	}
	if (v->torn_file != NULL) {
		/* The torn end of the file before is accepted only as this record names it. */
		if (number != 1 || strcmp(l.r.op, OP_RECOVERED) != 0 ||
		    g_strcmp0(l.r.detail, v->torn_detail) != 0) {
			why = g_strdup_printf("Audit/%s ends in a torn line (line %u, no newline) "
					      "that this record does not recover: the file was "
					      "cut or changed",
					      v->torn_file, v->torn_line);
			return broken(error, l.seq, file, number, why);
		}
		g_clear_pointer(&v->torn_file, g_free);
		g_clear_pointer(&v->torn_detail, g_free);
	}
	if (l.seq != v->expected) {
		why = l.seq > v->expected
			      ? g_strdup_printf("Seq %" G_GUINT64_FORMAT " was expected: the records "
						"from it to this one are missing (removed, or a "
						"file removed) or were reordered",
						v->expected)
			      : g_strdup_printf("Seq %" G_GUINT64_FORMAT " was expected: a record "
						"was repeated or records were reordered",
						v->expected);
		return broken(error, l.seq, file, number, why);
	}
	if (number == 1 && l.seq != first_seq)
		return broken(error, l.seq, file, number,
			      "the file is named for another Seq than its first record's: files "
			      "were renamed or records moved");
	if (strcmp(l.prev, v->prev) != 0)
		return broken(error, l.seq, file, number,
			      "Prev does not match the previous record: a record was removed, "
			      "changed or reordered before it");
	if (l.signature != NULL) {
		if (!check_head_signature(v, &l, file, number, error))
			return FALSE;
		v->signed_through = l.seq;
	}
	if (v->head != NULL && l.seq == v->head_seq) {
		gsize head_len = g_bytes_get_size(v->head);

		if (head_len != len + 1 || memcmp(g_bytes_get_data(v->head, NULL), text, len) != 0)
			return broken(error, l.seq, file, number,
				      "Audit/head is not this record, which has its Seq: one of "
				      "them was replaced");
		v->head_found = TRUE;
	}
	g_free(v->prev);
	v->prev = hash_b64(text, len);
	v->expected++;
	return TRUE;
}

static gboolean
verify_file(Verifier *v, MeshHive *hive, const char *file, GError **error)
{
	g_autoptr(GBytes) data = read_file(hive, file, error);
	const char *line = NULL;
	gsize len = 0;
	gboolean torn = FALSE;
	guint64 first_seq = 0;
	LineReader lr;

	if (data == NULL)
		return FALSE;
	file_seq(file, &first_seq);
	/* A file with no whole line is only ever the newest, cut short when it was started. */
	if (first_seq != v->expected && (g_bytes_get_size(data) == 0 ||
					 memchr(g_bytes_get_data(data, NULL), '\n',
						g_bytes_get_size(data)) == NULL))
		return broken(error, v->expected, file, 1,
			      "the file holds no whole record and is not named for the next Seq");
	line_reader_init(&lr, data);
	while (line_reader_next(&lr, &line, &len, &torn)) {
		if (torn) {
			if (v->torn_file != NULL)
				return broken(error, v->expected, file, lr.number,
					      "a torn line follows a torn line");
			v->torn_file = g_strdup(file);
			v->torn_detail = recovered_detail(file, line, len);
			v->torn_line = lr.number;
			break;
		}
		if (!verify_line(v, file, first_seq, lr.number, line, len, error))
			return FALSE;
	}
	v->files++;
	return TRUE;
}

/* Audit/head, when there is one: a signed head's line and its newline, nothing more. */
static gboolean
read_head_entry(Verifier *v, MeshHive *hive, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(JsonNode) root = NULL;
	const char *text;
	gsize len = 0;
	Line l;

	if (!mesh_hive_read(hive, MESH_HIVE_AUDIT, MESH_AUDIT_HEAD, MESH_AUDIT_LINE_MAX + 1,
			    &v->head, &local)) {
		if (local->code == MESH_ERROR_NOT_FOUND)
			return TRUE;
		/* One too large is no head line: said below. */
		if (local->code != MESH_ERROR_TOO_LARGE) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
	}
	text = v->head != NULL ? g_bytes_get_data(v->head, &len) : NULL;
	if (text == NULL || len == 0 || text[len - 1] != '\n' ||
	    memchr(text, '\n', len - 1) != NULL || !parse_line(text, len - 1, &l, &root, NULL) ||
	    l.signature == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TAMPERED,
			    "Audit/head is not one signed head record: it was changed");
		return FALSE;
	}
	v->head_seq = l.seq;
	return TRUE;
}

gboolean
mesh_audit_verify(MeshHive *hive, MeshAuditVerifyFunc verify_sig, gpointer data,
		  MeshAuditReport *ret, GError **error)
{
	g_autoptr(GPtrArray) files = NULL;
	Verifier v = { .verify_sig = verify_sig, .data = data, .expected = 1 };
	gboolean ok = FALSE;

	v.prev = first_prev();
	if (!list_files(hive, &files, error) || !read_head_entry(&v, hive, error))
		goto out;
	for (guint i = 0; i < files->len; i++) {
		if (!verify_file(&v, hive, files->pdata[i], error))
			goto out;
	}
	if (v.torn_file != NULL) {
		broken(error, v.expected, v.torn_file, v.torn_line,
		       "the log ends in a torn line (no newline) that no record recovers: if the "
		       "agent was killed, start it again (it recovers the log), then verify again");
		goto out;
	}
	if (v.head != NULL && !v.head_found) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TAMPERED,
			    "Audit/head is signed at Seq %" G_GUINT64_FORMAT
			    " but the log ends at Seq %" G_GUINT64_FORMAT
			    "%s%s: records were cut at or before the signed head",
			    v.head_seq, v.expected - 1,
			    files->len > 0 ? " in Audit/" : "",
			    files->len > 0 ? (const char *)files->pdata[files->len - 1] : "");
		goto out;
	}
	if (v.head == NULL && v.signed_through > 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TAMPERED,
			    "Audit/head is missing, yet the log has signed heads up to Seq %"
			    G_GUINT64_FORMAT ": it was removed, and the records after a head could "
			    "have been cut",
			    v.signed_through);
		goto out;
	}
	if (ret != NULL) {
		ret->records = v.expected - 1;
		ret->files = v.files;
		ret->signed_through = v.signed_through;
		ret->unsigned_records = v.expected - 1 - v.signed_through;
	}
	ok = TRUE;
out:
	verifier_clear(&v);
	return ok;
}
