/* SPDX-License-Identifier: MIT */
/*
 * mesh audit: the agent's audit log — what each program did with which key or application,
 * what was decided and how it ended — and its check: the hash chain and the signed heads.
 */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "verbs.h"

/* Largest record taken from the library (a record is one short line). */
#define RECORD_MAX (64 * 1024)

/* audit: its options, as given and as sent. */
typedef struct {
	char *since, *key, *program, *limit;
	char *since_utc;
	gint64 n;
} Audit;

static int
audit_check(MeshCliCall *c)
{
	g_autoptr(GError) error = NULL;
	Audit *o = c->data;
	guint64 n = 0;
	int status;

	if ((status = mesh_cli_check_program(c, o->program)) != 0)
		return status;
	if (o->limit != NULL && !g_ascii_string_to_unsigned(o->limit, 10, 1, 10000, &n, NULL))
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE,
		                      "--limit %s: give a number of records from 1 to 10000 (the "
		                      "last ones; default 1000)",
		                      o->limit);
	o->n = (gint64)n;
	if (o->since != NULL &&
	    (o->since_utc = mesh_cli_parse_when(o->since, TRUE, &error)) == NULL)
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE, "--since %s",
		                      error->message);
	return 0;
}

/* The string @member of @obj, or NULL when it is absent or not a string. */
static const char *
text(JsonObject *obj, const char *member)
{
	JsonNode *node = json_object_get_member(obj, member);

	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

/* The integer @member of @obj, or 0 when it is absent or not an integer. */
static gint64
number(JsonObject *obj, const char *member)
{
	JsonNode *node = json_object_get_member(obj, member);

	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_INT64)
		return 0;
	return json_node_get_int(node);
}

/*
 * One record as a line: local time, operation (and method), key or application (and item; a
 * head: its signer; then its Detail, what a change did), program (pid), decision, result; "-" for
 * what the record does not say. Every text from the log is escaped.
 */
static void
print_record(JsonObject *obj)
{
	g_auto(MeshCliEscapes) esc = {0};
	g_autofree char *when = mesh_cli_local_time(text(obj, "Time"));
	g_autofree char *op = NULL, *target = NULL, *program = NULL;
	const char *method = text(obj, "Method"), *item = text(obj, "Item");
	gint64 pid = number(obj, "Pid");

	op = g_strdup_printf("%s%s%s%s", text(obj, "Op") != NULL ? text(obj, "Op") : "-",
	                     method != NULL ? " (" : "", method != NULL ? method : "",
	                     method != NULL ? ")" : "");
	if (text(obj, "Key") != NULL)
		target = g_strdup(text(obj, "Key"));
	else if (text(obj, "App") != NULL)
		target = g_strdup_printf("%s%s%s", text(obj, "App"), item != NULL ? " " : "",
		                         item != NULL ? item : "");
	else if (text(obj, "Signer") != NULL)
		target = g_strdup_printf("signed by %s", text(obj, "Signer"));
	/* What a change did ("deny for /usr/bin/x", "request 3 allowed once"), after the target. */
	if (text(obj, "Detail") != NULL) {
		char *both = g_strdup_printf("%s%s%s", target != NULL ? target : "",
		                             target != NULL ? ": " : "", text(obj, "Detail"));

		g_free(target);
		target = both;
	}
	if (text(obj, "Program") != NULL)
		program =
		        g_strdup_printf("%s (pid %" G_GINT64_FORMAT ")", text(obj, "Program"), pid);
	else if (pid > 0)
		program = g_strdup_printf("an unknown program (pid %" G_GINT64_FORMAT ")", pid);
	printf("%s  %s  %s  %s  %s  %s\n",
	       when != NULL ? when
	                    : mesh_cli_escape(&esc, text(obj, "Time") ? text(obj, "Time") : "-"),
	       mesh_cli_escape(&esc, op), target != NULL ? mesh_cli_escape(&esc, target) : "-",
	       program != NULL ? mesh_cli_escape(&esc, program) : "-",
	       text(obj, "Decision") != NULL ? mesh_cli_escape(&esc, text(obj, "Decision")) : "-",
	       text(obj, "Result") != NULL ? mesh_cli_escape(&esc, text(obj, "Result")) : "-");
}

static MeshError
audit_call(MeshCliCall *c)
{
	const Audit *o = c->data;
	const MeshClientAuditFilter filter = {
	        .since = o->since_utc, .key = o->key, .program = o->program, .limit = o->n};
	g_autoptr(JsonArray) array = json_array_new();
	g_autoptr(GError) error = NULL;
	char **records = NULL;
	size_t n = 0;
	MeshError code = mesh_client_audit_list(c->client, &filter, &records, &n);

	for (size_t i = 0; code == MESH_ERROR_OK && i < n; i++) {
		g_autoptr(JsonNode) node =
		        mesh_json_parse(records[i], strlen(records[i]), RECORD_MAX, &error);

		if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node)) {
			c->status =
			        mesh_cli_failf(c->globals, c->verb, MESH_ERROR_PROTOCOL,
			                       "the agent's record %zu does not read: %s", i + 1,
			                       error != NULL ? error->message : "not an object");
			code = MESH_ERROR_PROTOCOL;
			break;
		}
		if (c->globals->json)
			json_array_add_element(array, g_steal_pointer(&node));
		else
			print_record(json_node_get_object(node));
	}
	if (code == MESH_ERROR_OK && c->globals->json) {
		JsonNode *root = json_node_new(JSON_NODE_ARRAY);

		json_node_set_array(root, array);
		mesh_cli_print_json(root);
	} else if (code == MESH_ERROR_OK && n == 0) {
		printf("No records\n");
	}
	mesh_client_strings_free(records, n);
	return code;
}

static int
audit_list(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "audit",
	        .params = "[--since WHEN] [--key UDF] [--program PATH] [--limit N] | verify",
	        .description =
	                "Prints the agent's audit log, a record a line: local time, operation "
	                "(Sign, Agree, Read, Change, Policy, Approval; Head: a signature over the "
	                "log), key or application (and item), program (pid), decision and result. "
	                "--since: the records from that time on (a duration back from now: 30m, "
	                "8h, 7d; or an RFC 3339 time); --key, --program: only theirs; --limit: the "
	                "last N records (1 to 10000; default 1000). --json: the records as a JSON "
	                "array of the objects stored. 'mesh audit verify' checks the whole log.",
	        .out = MESH_CLI_OUT_OWN,
	        .check = audit_check,
	        .call = audit_call,
	};
	Audit o = {0};
	MeshCliCall c = {.data = &o};
	const GOptionEntry entries[] = {
	        {"since", 0, 0, G_OPTION_ARG_STRING, &o.since,
	         "Records from this time on: a duration back (30m, 8h, 7d) or an RFC 3339 time",
	         "WHEN"},
	        {"key", 0, 0, G_OPTION_ARG_STRING, &o.key, "Only the records about this key",
	         "UDF"},
	        {"program", 0, 0, G_OPTION_ARG_FILENAME, &o.program,
	         "Only the records of this program (its absolute path)", "PATH"},
	        {"limit", 0, 0, G_OPTION_ARG_STRING, &o.limit,
	         "The last N records (1 to 10000; default 1000)", "N"},
	        G_OPTION_ENTRY_NULL,
	};
	int status = mesh_cli_run(globals, &spec, &c, entries, argc, argv);

	g_free(o.since_utc);
	return status;
}

static MeshError
audit_verify_call(MeshCliCall *c)
{
	MeshClientAuditVerify v = {0};
	MeshError code = mesh_client_audit_verify(c->client, &v);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL) {
		mesh_cli_json_int(c->json, "Records", v.records);
		mesh_cli_json_int(c->json, "Files", v.files);
		mesh_cli_json_int(c->json, "SignedThrough", v.signed_through);
		mesh_cli_json_int(c->json, "Unsigned", v.unsigned_records);
	} else if (code == MESH_ERROR_OK) {
		printf("The audit log is intact: %" G_GINT64_FORMAT " record%s in %" G_GINT64_FORMAT
		       " file%s, ",
		       v.records, v.records == 1 ? "" : "s", v.files, v.files == 1 ? "" : "s");
		if (v.signed_through == 0)
			printf("none signed yet\n");
		else if (v.unsigned_records == 0)
			printf("signed through Seq %" G_GINT64_FORMAT "\n", v.signed_through);
		else
			printf("signed through Seq %" G_GINT64_FORMAT " (%" G_GINT64_FORMAT
			       " record%s after it %s not signed yet)\n",
			       v.signed_through, v.unsigned_records,
			       v.unsigned_records == 1 ? "" : "s",
			       v.unsigned_records == 1 ? "is" : "are");
	}
	return code;
}

static int
audit_verify(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "audit verify",
	        .params = "",
	        .description =
	                "Has the agent check the whole audit log: each record's hash of the "
	                "one before it, and each signed head. Prints how many records and "
	                "files it read and through which Seq the log is signed. A record "
	                "changed, removed, reordered or cut is Tampered (34), with the file, "
	                "line and Seq of the first one and why.",
	        .call = audit_verify_call,
	};
	return mesh_cli_run_simple(globals, &spec, NULL, argc, argv);
}

int
mesh_cmd_audit(int argc, char **argv, const MeshCliGlobals *globals)
{
	if (argc >= 2 && g_str_equal(argv[1], "verify"))
		return audit_verify(argc - 1, argv + 1, globals);
	return audit_list(argc, argv, globals);
}
