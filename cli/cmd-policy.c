/* SPDX-License-Identifier: MIT */
/*
 * mesh policy, mesh approve, mesh deny: which program may use which key or application — the
 * agent's rules and default, and the requests that wait for the user's answer. A change that
 * can loosen the policy needs the hive's passphrase in a protected hive: asked for only when
 * the agent says so.
 */
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "platform.h"
#include "verbs.h"

/* Bytes read at a time when --pin hashes a program. */
#define PIN_CHUNK (64 * 1024)

/* The --passphrase-file FILE option of the changes that can loosen the policy (one row). */
#define PASSPHRASE_FILE_OPTION(file)                                                               \
	{                                                                                          \
		"passphrase-file", 0, 0, G_OPTION_ARG_FILENAME, &(file),                           \
		        "In a protected hive, the hive's passphrase is on the first line of FILE " \
		        "(default: asked for on the terminal when the agent needs it)",            \
		        "FILE"                                                                     \
	}

static const char *const decisions[] = {"allow", "ask", "deny", NULL};

/* ---- Shared with mesh audit (verbs.h) --------------------------------------------------- */

int
mesh_cli_check_program(MeshCliCall *c, const char *path)
{
	if (path != NULL && !g_path_is_absolute(path))
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE,
		                      "--program %s is not an absolute path: the agent knows a "
		                      "program by its full path (for ssh: $(command -v ssh))",
		                      path);
	return 0;
}

/* @text as a duration (30m, 8h, 7d; also s and w) from @now (before it when @past), or NULL. */
static GDateTime *
parse_duration(GDateTime *now, const char *text, gboolean past)
{
	static const struct {
		char unit;
		gint64 seconds;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}};
	/* Durations up to a hundred years. */
	const gint64 most = G_GINT64_CONSTANT(100) * 366 * 86400;
	gsize len = strlen(text);
	g_autofree char *digits = len >= 2 ? g_strndup(text, len - 1) : NULL;
	guint64 n;

	for (gsize i = 0; digits != NULL && g_ascii_isdigit(*digits) && i < G_N_ELEMENTS(units);
	     i++) {
		if (text[len - 1] == units[i].unit &&
		    g_ascii_string_to_unsigned(digits, 10, 1, most / units[i].seconds, &n, NULL))
			return g_date_time_add_seconds(
			        now, (gdouble)((past ? -1 : 1) * (gint64)n * units[i].seconds));
	}
	return NULL;
}

char *
mesh_cli_parse_when(const char *text, gboolean past, GError **error)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autoptr(GDateTime) t = parse_duration(now, text, past);
	g_autoptr(GDateTime) utc = NULL;

	if (t == NULL)
		t = g_date_time_new_from_iso8601(text, NULL);
	if (t == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_USAGE,
		            "'%s' is neither a duration (30m, 8h, 7d) nor an RFC 3339 time "
		            "(2026-12-08T09:00:00Z)",
		            text);
		return NULL;
	}
	if (!past && g_date_time_compare(t, now) <= 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_USAGE,
		            "'%s' has passed: give a time to come or a duration (30m, 8h, 7d)",
		            text);
		return NULL;
	}
	utc = g_date_time_to_utc(t);
	return g_date_time_format(utc, "%Y-%m-%dT%H:%M:%SZ");
}

char *
mesh_cli_local_time(const char *text)
{
	g_autoptr(GDateTime) t = text != NULL ? g_date_time_new_from_iso8601(text, NULL) : NULL;
	g_autoptr(GDateTime) local = t != NULL ? g_date_time_to_local(t) : NULL;

	return local != NULL ? g_date_time_format(local, "%Y-%m-%d %H:%M:%S") : NULL;
}

/* ---- Loosening changes: the hive's passphrase when the agent asks for it ---------------- */

/* A change made with @passphrase (NULL: none). */
typedef MeshError (*Change)(MeshCliCall *c, const char *passphrase);

/*
 * Make @change without a passphrase; when the agent answers BadPassphrase (a protected hive
 * needs it), make it again with the hive's passphrase: the one read from --passphrase-file
 * (c->passphrase, read before connecting), else asked for on the terminal. Without either,
 * BadPassphrase and what to do.
 */
static MeshError
loosen(MeshCliCall *c, Change change)
{
	g_autoptr(GError) error = NULL;
	MeshError code = change(c, NULL);

	if (code != MESH_ERROR_BAD_PASSPHRASE)
		return code;
	if (c->passphrase == NULL && !mesh_platform_is_terminal(MESH_PLATFORM_STDIN)) {
		c->status =
		        mesh_cli_failf(c->globals, c->verb, MESH_ERROR_BAD_PASSPHRASE,
		                       "this hive's keys are protected by a passphrase, and this "
		                       "change needs it: give --passphrase-file FILE (there is "
		                       "no terminal to ask on)");
		return code;
	}
	if (c->passphrase == NULL) {
		c->passphrase = mesh_cli_read_passphrase("Passphrase of the hive: ", FALSE, &error);
		if (c->passphrase == NULL) {
			c->status = mesh_cli_fail(c->globals, c->verb, error);
			return (MeshError)c->status;
		}
	}
	return change(c, mesh_cli_secret_text(c->passphrase));
}

/* Read --passphrase-file before the agent is reached, so that a file that cannot be read is
 * said at once. Returns 0 or the exit status. */
static int
read_passphrase_file(MeshCliCall *c)
{
	g_autoptr(GError) error = NULL;

	if (c->passphrase_file == NULL)
		return 0;
	c->passphrase = mesh_cli_read_passphrase_file(c->passphrase_file, &error);
	return c->passphrase == NULL ? mesh_cli_fail(c->globals, c->verb, error) : 0;
}

/* The target of a rule as text: "key UDF", "app NAME" or "ssh" (escaped). */
static const char *
target_text(MeshCliEscapes *esc, MeshClientTarget target, const char *value)
{
	g_autofree char *text = NULL;

	if (target == MESH_CLIENT_TARGET_SSH)
		return "ssh";
	text = g_strdup_printf("%s %s", target == MESH_CLIENT_TARGET_KEY ? "key" : "app", value);
	return mesh_cli_escape(esc, text);
}

/* The members of @rule as the agent's PolicyList writes them. */
static void
rule_json(JsonBuilder *b, const MeshClientPolicyRule *rule)
{
	mesh_cli_json_string(b, "Program", rule->program);
	mesh_cli_json_string(b, "SHA256", rule->sha256);
	if (rule->target == MESH_CLIENT_TARGET_SSH)
		mesh_cli_json_bool(b, "Ssh", TRUE);
	else
		mesh_cli_json_string(b, rule->target == MESH_CLIENT_TARGET_KEY ? "Key" : "App",
		                     rule->value);
	mesh_cli_json_string(b, "Decision", rule->decision);
	mesh_cli_json_string(b, "Expires", rule->expires);
}

/* ---- mesh policy list --------------------------------------------------------------------- */

static MeshError
policy_list_call(MeshCliCall *c)
{
	g_auto(MeshCliEscapes) esc = {0};
	MeshClientPolicyRule *rules = NULL;
	char *def = NULL;
	size_t n = 0;
	MeshError code = mesh_client_policy_list(c->client, &def, &rules, &n);
	g_autoptr(GPtrArray) rows = g_ptr_array_new();
	int width[3] = {(int)strlen("PROGRAM"), (int)strlen("TARGET"), (int)strlen("DECISION")};

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL) {
		mesh_cli_json_string(c->json, "Default", def);
		mesh_cli_json_begin_array(c->json, "Rules");
		for (size_t i = 0; i < n; i++) {
			json_builder_begin_object(c->json);
			rule_json(c->json, &rules[i]);
			json_builder_end_object(c->json);
		}
		json_builder_end_array(c->json);
	} else if (code == MESH_ERROR_OK) {
		/* PROGRAM (pinned to the first hex digits of its SHA-256), TARGET, DECISION,
		 * EXPIRES: the columns as wide as their longest text. */
		for (size_t i = 0; i < n; i++) {
			g_autofree char *program =
			        rules[i].sha256 != NULL
			                ? g_strdup_printf("%s (SHA-256 %.12s...)", rules[i].program,
			                                  rules[i].sha256)
			                : g_strdup(rules[i].program);
			g_autofree char *until = mesh_cli_local_time(rules[i].expires);
			const char *row[4] = {
			        mesh_cli_escape(&esc, program),
			        target_text(&esc, rules[i].target, rules[i].value),
			        mesh_cli_escape(&esc, rules[i].decision),
			        rules[i].expires == NULL ? "never"
			        : until != NULL          ? mesh_cli_escape(&esc, until)
			                                 : mesh_cli_escape(&esc, rules[i].expires),
			};

			for (int k = 0; k < 4; k++)
				g_ptr_array_add(rows, (gpointer)row[k]);
			for (int k = 0; k < 3; k++)
				width[k] = MAX(width[k], (int)g_utf8_strlen(row[k], -1));
		}
		printf("Default: %s\n", mesh_cli_escape(&esc, def));
		if (n == 0)
			printf("No rules: every program gets the default\n");
		else
			printf("%-*s  %-*s  %-*s  EXPIRES\n", width[0], "PROGRAM", width[1],
			       "TARGET", width[2], "DECISION");
		for (guint i = 0; i < rows->len; i += 4) {
			const char **row = (const char **)rows->pdata + i;

			/* %-*s counts bytes: pad by characters. */
			for (int k = 0; k < 3; k++)
				printf("%s%*s  ", row[k], width[k] - (int)g_utf8_strlen(row[k], -1),
				       "");
			printf("%s\n", row[3]);
		}
	}
	mesh_client_policy_rules_free(rules, n);
	mesh_client_free(def);
	return code;
}

static int
policy_list(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "policy list",
	        .params = "",
	        .description = "Lists the rules that say which program may use which key or "
	                       "application: PROGRAM (with the start of its SHA-256 when the rule "
	                       "is pinned to one executable), TARGET (key UDF, app NAME, or ssh: "
	                       "every key of the ssh-agent socket), DECISION (allow, ask, deny) "
	                       "and EXPIRES; and the default, for programs no rule names.",
	        .call = policy_list_call,
	};
	return mesh_cli_run_simple(globals, &spec, NULL, argc, argv);
}

/* ---- mesh policy allow | ask | deny -------------------------------------------------------- */

typedef struct {
	const char *decision;
	char *program, *sha256, *key, *app, *expires;
	gboolean pin, ssh;
	char *digest, *until; /* computed by the check */
	MeshClientPolicyRule rule;
} PolicySet;

/* The SHA-256 of the file @path, as 64 lower-case hex digits. */
static char *
file_sha256(const char *path, GError **error)
{
	g_autoptr(MeshPlatformInput) input = mesh_platform_input_open(path, FALSE, error);
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autofree guint8 *buf = g_malloc(PIN_CHUNK);
	gssize n;

	if (input == NULL) {
		g_prefix_error(error, "cannot open %s to pin it: ", path);
		return NULL;
	}
	while ((n = mesh_platform_input_read(input, buf, PIN_CHUNK, error)) > 0)
		g_checksum_update(sum, buf, n);
	if (n < 0) {
		g_prefix_error(error, "cannot read %s to pin it: ", path);
		return NULL;
	}
	return g_strdup(g_checksum_get_string(sum));
}

/*
 * The path of a rule's program must be the one the agent sees: the executable's real path,
 * without "." or ".." and through no symbolic link, else the rule would never match. Returns 0
 * or the exit status.
 */
static int
check_real_path(MeshCliCall *c, const char *path)
{
	g_autofree char *canonical = g_canonicalize_filename(path, NULL);
	g_autoptr(GString) prefix = g_string_new(NULL);
	g_auto(GStrv) parts = NULL;

	if (!g_str_equal(canonical, path))
		goto fail;
	parts = g_strsplit(path + 1, "/", -1);
	for (gsize i = 0; parts[i] != NULL; i++) {
		g_string_append_printf(prefix, "/%s", parts[i]);
		if (g_file_test(prefix->str, G_FILE_TEST_IS_SYMLINK))
			goto fail;
	}
	return 0;
fail:
	return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE,
	                      "--program %s is not the program's real path, which the agent "
	                      "sees: give the one 'readlink -f %s' prints",
	                      path, path);
}

static int
policy_set_check(MeshCliCall *c)
{
	g_autoptr(GError) error = NULL;
	PolicySet *o = c->data;
	int status;

	if (o->program == NULL)
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE,
		                      "give --program PATH (see 'mesh %s --help')", c->verb);
	if ((status = mesh_cli_check_program(c, o->program)) != 0 ||
	    (status = check_real_path(c, o->program)) != 0)
		return status;
	if ((o->key != NULL) + (o->app != NULL) + (o->ssh != FALSE) != 1)
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE,
		                      "give one of --key UDF, --app NAME or --ssh: a rule is about "
		                      "one key, one application or the SSH keys");
	if ((o->key != NULL && *o->key == '\0') || (o->app != NULL && *o->app == '\0'))
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE,
		                      "--key and --app need a UDF or a name");
	if (o->pin && o->sha256 != NULL)
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE,
		                      "give --sha256 HEX or --pin, not both");
	/* Either case, as the user may have copied it; rules hold it in lower case. */
	if (o->sha256 != NULL)
		o->digest = g_ascii_strdown(o->sha256, -1);
	if (o->digest != NULL && !mesh_hex_is_digest(o->digest, 32))
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE,
		                      "--sha256 needs 64 hex digits, as 'sha256sum %s' prints them",
		                      o->program);
	if (o->expires != NULL &&
	    (o->until = mesh_cli_parse_when(o->expires, FALSE, &error)) == NULL)
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE, "--expires %s",
		                      error->message);
	if (o->pin && (o->digest = file_sha256(o->program, &error)) == NULL)
		return mesh_cli_fail(c->globals, c->verb, error);
	if ((status = read_passphrase_file(c)) != 0)
		return status;
	o->rule = (MeshClientPolicyRule){
	        .program = o->program,
	        .sha256 = o->digest,
	        .target = o->key != NULL   ? MESH_CLIENT_TARGET_KEY
	                  : o->app != NULL ? MESH_CLIENT_TARGET_APP
	                                   : MESH_CLIENT_TARGET_SSH,
	        .value = o->key != NULL ? o->key : o->app,
	        .decision = (char *)o->decision,
	        .expires = o->until,
	};
	return 0;
}

static MeshError
policy_set_change(MeshCliCall *c, const char *passphrase)
{
	const PolicySet *o = c->data;

	return mesh_client_policy_set(c->client, &o->rule, passphrase);
}

static MeshError
policy_set_call(MeshCliCall *c)
{
	g_auto(MeshCliEscapes) esc = {0};
	const PolicySet *o = c->data;
	/* Deny only tightens: no passphrase is ever needed. */
	MeshError code = g_str_equal(o->decision, "deny") ? policy_set_change(c, NULL)
	                                                  : loosen(c, policy_set_change);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL) {
		rule_json(c->json, &o->rule);
	} else if (code == MESH_ERROR_OK) {
		g_autofree char *until = mesh_cli_local_time(o->until);

		printf("%s: %s, %s%s%s%s%s\n", o->decision, mesh_cli_escape(&esc, o->program),
		       target_text(&esc, o->rule.target, o->rule.value),
		       o->digest != NULL ? ", pinned to SHA-256 " : "",
		       o->digest != NULL ? o->digest : "", until != NULL ? ", until " : "",
		       until != NULL ? until : "");
	}
	return code;
}

static int
policy_set(int argc, char **argv, const MeshCliGlobals *globals, int which)
{
	static const char params[] =
	        "--program PATH [--sha256 HEX | --pin] (--key UDF | --app NAME | --ssh) "
	        "[--expires WHEN]";
#define TARGETS                                                                                    \
	" the key UDF (--key), the application NAME (--app; Passwords: the passwords) or every "   \
	"key the ssh-agent socket serves (--ssh). PATH is the program's real absolute path "       \
	"(for ssh: $(command -v ssh)); --pin holds the rule to the executable there now (its "     \
	"SHA-256), --sha256 to another. --expires: a duration (30m, 8h, 7d) or an RFC 3339 time. " \
	"The rule replaces the program's rule for that target."
	static const MeshCliVerbSpec specs[] = {
	        {.name = "policy allow",
	         .params = params,
	         .description = "Lets the program PATH use" TARGETS
	                        " In a protected hive it needs the hive's passphrase.",
	         .check = policy_set_check,
	         .call = policy_set_call},
	        {.name = "policy ask",
	         .params = params,
	         .description =
	                 "Makes the agent ask the user each time the program PATH uses" TARGETS
	                 " In a protected hive it needs the hive's passphrase.",
	         .check = policy_set_check,
	         .call = policy_set_call},
	        {.name = "policy deny",
	         .params = params,
	         .description = "Refuses the program PATH" TARGETS,
	         .check = policy_set_check,
	         .call = policy_set_call},
	};
#undef TARGETS
	PolicySet o = {.decision = decisions[which]};
	MeshCliCall c = {.data = &o};
	const GOptionEntry entries[] = {
	        PASSPHRASE_FILE_OPTION(c.passphrase_file),
	        {"program", 0, 0, G_OPTION_ARG_FILENAME, &o.program,
	         "The program: its real absolute path", "PATH"},
	        {"sha256", 0, 0, G_OPTION_ARG_STRING, &o.sha256,
	         "Only the executable with this SHA-256 (64 hex digits)", "HEX"},
	        {"pin", 0, 0, G_OPTION_ARG_NONE, &o.pin,
	         "Only the executable at PATH now: its SHA-256 is computed here", NULL},
	        {"key", 0, 0, G_OPTION_ARG_STRING, &o.key, "The key", "UDF"},
	        {"app", 0, 0, G_OPTION_ARG_STRING, &o.app, "The application", "NAME"},
	        {"ssh", 0, 0, G_OPTION_ARG_NONE, &o.ssh, "Every key of the ssh-agent socket", NULL},
	        {"expires", 0, 0, G_OPTION_ARG_STRING, &o.expires,
	         "The rule ends after this duration (30m, 8h, 7d) or at this RFC 3339 time",
	         "WHEN"},
	        G_OPTION_ENTRY_NULL,
	};
	int status;

	/* deny never needs the passphrase: no --passphrase-file. */
	status = mesh_cli_run(globals, &specs[which], &c, which == 2 ? entries + 1 : entries, argc,
	                      argv);
	g_free(o.digest);
	g_free(o.until);
	return status;
}

static int
policy_allow(int argc, char **argv, const MeshCliGlobals *globals)
{
	return policy_set(argc, argv, globals, 0);
}

static int
policy_ask(int argc, char **argv, const MeshCliGlobals *globals)
{
	return policy_set(argc, argv, globals, 1);
}

static int
policy_deny(int argc, char **argv, const MeshCliGlobals *globals)
{
	return policy_set(argc, argv, globals, 2);
}

/* ---- mesh policy default ------------------------------------------------------------------- */

static int
policy_default_check(MeshCliCall *c)
{
	if (!g_strv_contains(decisions, c->argv[1]))
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE,
		                      "'%s' is no decision: give allow, ask or deny", c->argv[1]);
	return read_passphrase_file(c);
}

static MeshError
policy_default_change(MeshCliCall *c, const char *passphrase)
{
	return mesh_client_policy_default(c->client, c->argv[1], passphrase);
}

static MeshError
policy_default_call(MeshCliCall *c)
{
	MeshError code = g_str_equal(c->argv[1], "deny") ? policy_default_change(c, NULL)
	                                                 : loosen(c, policy_default_change);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL)
		mesh_cli_json_string(c->json, "Default", c->argv[1]);
	else if (code == MESH_ERROR_OK)
		printf("Default: %s\n", c->argv[1]);
	return code;
}

static int
policy_default(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "policy default",
	        .params = "allow|ask|deny",
	        .description = "Sets the decision for the programs no rule names (at first: "
	                       "allow). allow and ask need the hive's passphrase in a protected "
	                       "hive.",
	        .min_args = 1,
	        .max_args = 1,
	        .args_usage = "give the default decision: allow, ask or deny",
	        .check = policy_default_check,
	        .call = policy_default_call,
	};
	MeshCliCall c = {0};
	const GOptionEntry entries[] = {
	        PASSPHRASE_FILE_OPTION(c.passphrase_file),
	        G_OPTION_ENTRY_NULL,
	};

	return mesh_cli_run(globals, &spec, &c, entries, argc, argv);
}

/* ---- mesh policy reset --------------------------------------------------------------------- */

typedef struct {
	char *program;
	int64_t removed;
} PolicyReset;

static int
policy_reset_check(MeshCliCall *c)
{
	const PolicyReset *o = c->data;
	int status = mesh_cli_check_program(c, o->program);

	return status != 0 ? status : read_passphrase_file(c);
}

static MeshError
policy_reset_change(MeshCliCall *c, const char *passphrase)
{
	PolicyReset *o = c->data;

	return mesh_client_policy_reset(c->client, o->program, passphrase, &o->removed);
}

static MeshError
policy_reset_call(MeshCliCall *c)
{
	g_auto(MeshCliEscapes) esc = {0};
	const PolicyReset *o = c->data;
	MeshError code = loosen(c, policy_reset_change);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL) {
		mesh_cli_json_int(c->json, "Removed", o->removed);
	} else if (code == MESH_ERROR_OK) {
		printf("Removed %" G_GINT64_FORMAT " rule%s", o->removed,
		       o->removed == 1 ? "" : "s");
		if (o->program != NULL)
			printf(" of %s\n", mesh_cli_escape(&esc, o->program));
		else
			printf("; the default is allow again\n");
	}
	return code;
}

static int
policy_reset(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "policy reset",
	        .params = "[--program PATH]",
	        .description = "Removes the rules of the program PATH, or without --program every "
	                       "rule, and sets the default back to allow. Needs the hive's "
	                       "passphrase in a protected hive.",
	        .check = policy_reset_check,
	        .call = policy_reset_call,
	};
	PolicyReset o = {0};
	MeshCliCall c = {.data = &o};
	const GOptionEntry entries[] = {
	        {"program", 0, 0, G_OPTION_ARG_FILENAME, &o.program,
	         "Only the rules of this program (its absolute path)", "PATH"},
	        PASSPHRASE_FILE_OPTION(c.passphrase_file),
	        G_OPTION_ENTRY_NULL,
	};

	return mesh_cli_run(globals, &spec, &c, entries, argc, argv);
}

int
mesh_cmd_policy(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliSub subs[] = {
	        {"list", policy_list}, {"allow", policy_allow},     {"ask", policy_ask},
	        {"deny", policy_deny}, {"default", policy_default}, {"reset", policy_reset},
	        {NULL, NULL},
	};

	return mesh_cli_dispatch(
	        argc, argv, globals, "policy", subs,
	        "Usage: mesh policy list\n"
	        "       mesh policy allow|ask|deny --program PATH [--sha256 HEX | --pin]\n"
	        "                   (--key UDF | --app NAME | --ssh) [--expires WHEN]\n"
	        "       mesh policy default allow|ask|deny\n"
	        "       mesh policy reset [--program PATH]\n"
	        "\n"
	        "Which program may use which key or application of the agent. A request is\n"
	        "decided by the program's rule for that key or application, else (for the\n"
	        "ssh-agent socket) its rule for the SSH keys, else the default. ask: the user\n"
	        "answers ('mesh approve', 'mesh deny'); what was decided is in 'mesh audit'.\n"
	        "In a protected hive, allow, ask, reset and approve need the hive's passphrase\n"
	        "(asked for, or --passphrase-file FILE).\n");
}

/* ---- mesh approve, mesh deny --------------------------------------------------------------- */

typedef struct {
	gboolean list, always;
	gint64 id;
} Approve;

/* The request ID @text of @c (a positive integer). Returns 0 or the exit status. */
static int
request_id(MeshCliCall *c, const char *text, gint64 *ret_id)
{
	guint64 id;

	if (!g_ascii_string_to_unsigned(text, 10, 1, G_MAXINT64, &id, NULL))
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE,
		                      "'%s' is not a request ID: 'mesh approve --list' shows them",
		                      text);
	*ret_id = (gint64)id;
	return 0;
}

static int
approve_check(MeshCliCall *c)
{
	Approve *o = c->data;
	int status;

	if (o->list && (c->argc > 1 || o->always))
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE,
		                      "give --list alone, or a request ID");
	if (o->list)
		return 0;
	if (c->argc != 2)
		return mesh_cli_failf(c->globals, c->verb, MESH_ERROR_USAGE,
		                      "give the ID of the request to allow ('mesh approve --list' "
		                      "shows them), or --list");
	if ((status = request_id(c, c->argv[1], &o->id)) != 0)
		return status;
	return read_passphrase_file(c);
}

/* Seconds from now until the RFC 3339 time @text (0 when it has passed or does not parse). */
static gint64
seconds_until(const char *text)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_iso8601(text, NULL);
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();

	return t != NULL ? MAX(0, g_date_time_difference(t, now) / G_USEC_PER_SEC) : 0;
}

static MeshError
approve_list_call(MeshCliCall *c)
{
	g_auto(MeshCliEscapes) esc = {0};
	MeshClientApproval *requests = NULL;
	size_t n = 0;
	MeshError code = mesh_client_approve_list(c->client, &requests, &n);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL) {
		mesh_cli_json_begin_array(c->json, "Requests");
		for (size_t i = 0; i < n; i++) {
			json_builder_begin_object(c->json);
			mesh_cli_json_int(c->json, "Id", requests[i].id);
			mesh_cli_json_string(c->json, "Program", requests[i].program);
			mesh_cli_json_int(c->json, "Pid", requests[i].pid);
			mesh_cli_json_string(c->json, "Operation", requests[i].operation);
			mesh_cli_json_string(c->json, "Key", requests[i].key);
			mesh_cli_json_string(c->json, "App", requests[i].app);
			mesh_cli_json_string(c->json, "Expires", requests[i].expires);
			json_builder_end_object(c->json);
		}
		json_builder_end_array(c->json);
	} else if (code == MESH_ERROR_OK) {
		if (n == 0)
			printf("No request waits for an answer\n");
		for (size_t i = 0; i < n; i++)
			printf("%" G_GINT64_FORMAT "  %s (pid %" G_GINT64_FORMAT ") wants to %s "
			       "%s%s%s  (expires in %" G_GINT64_FORMAT "s)\n",
			       requests[i].id,
			       requests[i].program != NULL
			               ? mesh_cli_escape(&esc, requests[i].program)
			               : "an unknown program",
			       requests[i].pid, mesh_cli_escape(&esc, requests[i].operation),
			       requests[i].key != NULL ? mesh_cli_escape(&esc, requests[i].key)
			                               : "",
			       requests[i].key != NULL && requests[i].app != NULL ? " " : "",
			       requests[i].app != NULL ? mesh_cli_escape(&esc, requests[i].app)
			                               : "",
			       seconds_until(requests[i].expires));
	}
	mesh_client_approvals_free(requests, n);
	return code;
}

static MeshError
approve_change(MeshCliCall *c, const char *passphrase)
{
	const Approve *o = c->data;

	return mesh_client_approve(c->client, o->id, o->always, passphrase);
}

static MeshError
approve_call(MeshCliCall *c)
{
	const Approve *o = c->data;
	MeshError code;

	if (o->list)
		return approve_list_call(c);
	code = loosen(c, approve_change);
	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL) {
		mesh_cli_json_int(c->json, "Id", o->id);
		mesh_cli_json_bool(c->json, "Always", o->always);
	} else if (code == MESH_ERROR_OK) {
		printf("Allowed request %" G_GINT64_FORMAT "%s\n", o->id,
		       o->always ? ", and the program from now on" : " once");
	}
	return code;
}

int
mesh_cmd_approve(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "approve",
	        .params = "--list | ID [--always]",
	        .description = "--list: the requests that wait for the user's answer (a program "
	                       "whose decision is ask, when the agent has no askpass program): "
	                       "ID, the program and its pid, what it wants to do with which key "
	                       "or application, and how long the request waits. ID: allow that "
	                       "request once, or with --always from now on (a rule allow for the "
	                       "program, pinned to its SHA-256). Allowing needs the hive's "
	                       "passphrase in a protected hive. 'mesh deny ID' refuses one.",
	        .max_args = 1,
	        .check = approve_check,
	        .call = approve_call,
	};
	Approve o = {0};
	MeshCliCall c = {.data = &o};
	const GOptionEntry entries[] = {
	        {"list", 0, 0, G_OPTION_ARG_NONE, &o.list, "List the requests that wait", NULL},
	        {"always", 0, 0, G_OPTION_ARG_NONE, &o.always,
	         "Allow the program from now on, not only this once", NULL},
	        PASSPHRASE_FILE_OPTION(c.passphrase_file),
	        G_OPTION_ENTRY_NULL,
	};

	return mesh_cli_run(globals, &spec, &c, entries, argc, argv);
}

static int
deny_check(MeshCliCall *c)
{
	return request_id(c, c->argv[1], c->data);
}

static MeshError
deny_call(MeshCliCall *c)
{
	gint64 id = *(gint64 *)c->data;
	MeshError code = mesh_client_deny(c->client, id);

	if (code == MESH_ERROR_OK && mesh_cli_call_json(c) != NULL)
		mesh_cli_json_int(c->json, "Id", id);
	else if (code == MESH_ERROR_OK)
		printf("Refused request %" G_GINT64_FORMAT "\n", id);
	return code;
}

int
mesh_cmd_deny(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliVerbSpec spec = {
	        .name = "deny",
	        .params = "ID",
	        .description = "Refuses the request ID that waits for the user's answer ('mesh "
	                       "approve --list' shows them): the program gets Denied (33).",
	        .min_args = 1,
	        .max_args = 1,
	        .args_usage = "give the ID of the request to refuse ('mesh approve --list' shows "
	                      "them)",
	        .check = deny_check,
	        .call = deny_call,
	};
	gint64 id = 0;

	return mesh_cli_run_simple(globals, &spec, &id, argc, argv);
}
