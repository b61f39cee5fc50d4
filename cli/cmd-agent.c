/* SPDX-License-Identifier: MIT */
/* mesh agent: start, stop and query the per-user agent; connect to it (starting it on demand,
 * as gpg starts gpg-agent); install the start-at-login files. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hive.h"
#include "login-files.h"
#include "platform.h"
#include "verbs.h"

/* How long a started agent has to answer, and how long 'agent stop' waits for it to go. */
#define START_TIMEOUT_US (5 * G_USEC_PER_SEC)
#define POLL_US          (20 * 1000)

int
mesh_cli_client_fail(const MeshCliGlobals *globals, const char *verb, MeshClient *client,
		     MeshError code)
{
	const char *message = mesh_client_last_error(client);

	return mesh_cli_failf(globals, verb, code, "%s",
			      *message != '\0' ? message : mesh_error_str(code));
}

int
mesh_cli_dispatch(int argc, char **argv, const MeshCliGlobals *globals, const char *verb,
		  const MeshCliSub *subs, const char *usage)
{
	for (const MeshCliSub *sub = subs; argc >= 2 && sub->name != NULL; sub++) {
		if (g_str_equal(argv[1], sub->name))
			return sub->run(argc - 1, argv + 1, globals);
	}
	if (argc >= 2 && (g_str_equal(argv[1], "--help") || g_str_equal(argv[1], "-h"))) {
		fputs(usage, stdout);
		return 0;
	}
	return mesh_cli_failf(globals, verb, MESH_ERROR_USAGE, "%s%s (see 'mesh %s --help')",
			      argc >= 2 ? "unknown subcommand " : "missing subcommand",
			      argc >= 2 ? argv[1] : "", verb);
}

const GOptionEntry mesh_cli_no_options[] = { G_OPTION_ENTRY_NULL };

gboolean
mesh_cli_parse_verb(const MeshCliGlobals *globals, const char *verb, const char *params,
		    const char *description, const GOptionEntry *entries, int max_args, int *argc,
		    char ***argv, int *ret_exit)
{
	if (!mesh_cli_parse(globals, verb, params, description, entries, argc, argv, ret_exit))
		return FALSE;
	if (*argc > max_args + 1) {
		*ret_exit = mesh_cli_failf(globals, verb, MESH_ERROR_USAGE,
					   "unexpected argument '%s' (see 'mesh %s --help')",
					   (*argv)[max_args + 1], verb);
		return FALSE;
	}
	return TRUE;
}

void
mesh_cli_json_string(JsonBuilder *b, const char *name, const char *value)
{
	/* Optional members are omitted, never null (docs/protocol.md §1). */
	if (value == NULL)
		return;
	json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, value);
}

void
mesh_cli_json_int(JsonBuilder *b, const char *name, gint64 value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, value);
}

void
mesh_cli_json_bool(JsonBuilder *b, const char *name, gboolean value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_boolean_value(b, value);
}

/* The folder of the running mesh binary (where meshagent is installed beside it). */
static char *
self_dir(void)
{
	g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);

	return exe != NULL ? g_path_get_dirname(exe) : NULL;
}

static char *
find_meshagent(void)
{
	g_autofree char *dir = self_dir();
	g_autofree char *beside = dir ? g_build_filename(dir, "meshagent", NULL) : NULL;

	if (beside != NULL && g_file_test(beside, G_FILE_TEST_IS_EXECUTABLE))
		return g_steal_pointer(&beside);
	return g_find_program_in_path("meshagent");
}

/*
 * Start `meshagent --hive @hive`, which daemonises and exits once it listens, and try @path
 * until it answers or START_TIMEOUT_US passes. A meshagent that stays in the foreground is
 * fine too: it is left running.
 */
static gboolean
start_agent(const char *hive, const char *path, MeshClient **ret_client, GError **error)
{
	g_autofree char *program = find_meshagent();
	char *argv[] = { program, (char *)"--hive", (char *)hive, NULL };
	gint64 deadline = g_get_monotonic_time() + START_TIMEOUT_US;
	gboolean reaped = FALSE;
	MeshError code;
	GPid pid;

	if (program == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_AGENT_UNAVAILABLE,
			    "no agent is running for the %s hive and meshagent is neither beside "
			    "mesh nor in PATH",
			    hive);
		return FALSE;
	}
	/* Its stdout would mix with ours (--json); its stderr carries its start-up errors. */
	if (!g_spawn_async(NULL, argv, NULL,
			   G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
				   G_SPAWN_STDIN_FROM_DEV_NULL,
			   NULL, NULL, &pid, error)) {
		g_prefix_error(error, "cannot start %s: ", program);
		(*error)->domain = MESH_ERROR;
		(*error)->code = MESH_ERROR_AGENT_UNAVAILABLE;
		return FALSE;
	}
	for (;;) {
		int status = 0;

		if (!reaped && waitpid(pid, &status, WNOHANG) == pid) {
			reaped = TRUE;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				g_set_error(error, MESH_ERROR, MESH_ERROR_AGENT_UNAVAILABLE,
					    "%s --hive %s failed (%s %d); no agent is running",
					    program, hive,
					    WIFEXITED(status) ? "exit status" : "signal",
					    WIFEXITED(status) ? WEXITSTATUS(status) :
								WTERMSIG(status));
				return FALSE;
			}
		}
		code = mesh_client_open_socket(path, ret_client);
		if (code == MESH_ERROR_OK)
			return TRUE;
		if (code != MESH_ERROR_AGENT_UNAVAILABLE || g_get_monotonic_time() > deadline)
			break;
		g_usleep(POLL_US);
	}
	g_set_error(error, MESH_ERROR, code,
		    code == MESH_ERROR_AGENT_UNAVAILABLE ?
			    "%s was started but does not answer on %s (%s)" :
			    "%s was started but %s cannot be used: %s",
		    program, path, mesh_error_str(code));
	return FALSE;
}

/* The hive named by @hive or the globals, checked, and its agent's socket path. */
static gboolean
agent_socket(const MeshCliGlobals *globals, const char *hive, const char **ret_name,
	     char **ret_path, GError **error)
{
	MeshHiveKind kind;

	if (!mesh_hive_kind_from_name(hive != NULL ? hive : globals->hive, &kind, error))
		return FALSE;
	*ret_name = mesh_hive_kind_name(kind);
	*ret_path = mesh_platform_agent_socket(kind);
	return TRUE;
}

/* Connect to @path; on failure report it in @error with a message that says what to do. */
static gboolean
open_agent(const char *name, const char *path, MeshClient **ret_client, GError **error)
{
	g_autofree char *message = NULL;
	MeshError code = mesh_client_open_socket_message(path, ret_client, &message);

	if (code == MESH_ERROR_OK)
		return TRUE;
	if (code == MESH_ERROR_AGENT_UNAVAILABLE)
		g_set_error(error, MESH_ERROR, code,
			    "no agent is running for the %s hive (%s): start one with 'mesh agent "
			    "start'",
			    name, path);
	else if (code == MESH_ERROR_PERMISSION)
		g_set_error(error, MESH_ERROR, code,
			    "%s is not a socket of this user, or the agent runs as another user: "
			    "refusing to use it",
			    path);
	else
		g_set_error(error, MESH_ERROR, code, "%s",
			    message != NULL ? message : mesh_error_str(code));
	return FALSE;
}

int
mesh_cli_connect(const MeshCliGlobals *globals, const char *verb, const char *hive,
		 gboolean autostart, MeshClient **ret_client)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = NULL;
	const char *name = NULL;

	if (!agent_socket(globals, hive, &name, &path, &error))
		return mesh_cli_fail(globals, verb, error);
	if (open_agent(name, path, ret_client, &error))
		return 0;
	if (!autostart || error->code != MESH_ERROR_AGENT_UNAVAILABLE)
		return mesh_cli_fail(globals, verb, error);
	g_clear_error(&error);
	if (!start_agent(name, path, ret_client, &error))
		return mesh_cli_fail(globals, verb, error);
	return 0;
}

/* ---- mesh agent start | stop | status ----------------------------------------------------- */

static void
print_status(const MeshCliGlobals *globals, const MeshClientStatus *st, gboolean started)
{
	g_autoptr(JsonBuilder) b = NULL;
	g_auto(MeshCliEscapes) esc = { 0 };

	if (!globals->json) {
		printf("%s agent for the %s hive: pid %" G_GINT64_FORMAT "\n",
		       started ? "Started the" : "The", mesh_cli_escape(&esc, st->hive), st->pid);
		printf("  Socket:   %s\n  Hive:     %s\n  Keys:     %" G_GINT64_FORMAT
		       " (%s store%s)\n  Devices:  %" G_GINT64_FORMAT "\n",
		       mesh_cli_escape(&esc, st->socket), mesh_cli_escape(&esc, st->location),
		       st->keys, mesh_cli_escape(&esc, st->key_store), st->locked ? ", locked" : "",
		       st->devices);
		if (st->default_device != NULL)
			printf("  Default device: %s\n", mesh_cli_escape(&esc, st->default_device));
		return;
	}
	b = json_builder_new();
	json_builder_begin_object(b);
	mesh_cli_json_string(b, "Hive", st->hive);
	mesh_cli_json_string(b, "Location", st->location);
	mesh_cli_json_string(b, "Socket", st->socket);
	mesh_cli_json_int(b, "Pid", st->pid);
	mesh_cli_json_bool(b, "Locked", st->locked);
	mesh_cli_json_string(b, "KeyStore", st->key_store);
	mesh_cli_json_string(b, "DefaultDevice", st->default_device);
	mesh_cli_json_int(b, "Devices", st->devices);
	mesh_cli_json_int(b, "Keys", st->keys);
	mesh_cli_json_bool(b, "Started", started);
	json_builder_end_object(b);
	mesh_cli_print_json(json_builder_get_root(b));
}

static int
agent_status_or_start(int argc, char **argv, const MeshCliGlobals *globals, gboolean start)
{
	const char *verb = start ? "agent start" : "agent status";
	g_autoptr(GError) error = NULL;
	g_autofree char *path = NULL;
	MeshClientStatus *st = NULL;
	MeshClient *client = NULL;
	gboolean started = FALSE;
	const char *name = NULL;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, verb, "",
				 start ? "Starts the agent of the hive (--hive), unless one is "
					 "running." :
					 "Shows the running agent of the hive (--hive); exits with "
					 "26 (AgentUnavailable) when none is running.",
				 mesh_cli_no_options, 0, &argc, &argv, &status))
		return status;
	if (!agent_socket(globals, NULL, &name, &path, &error))
		return mesh_cli_fail(globals, verb, error);
	if (!open_agent(name, path, &client, &error)) {
		if (!start || error->code != MESH_ERROR_AGENT_UNAVAILABLE)
			return mesh_cli_fail(globals, verb, error);
		g_clear_error(&error);
		if (!start_agent(name, path, &client, &error))
			return mesh_cli_fail(globals, verb, error);
		started = TRUE;
	}
	code = mesh_client_status(client, &st);
	if (code != MESH_ERROR_OK)
		status = mesh_cli_client_fail(globals, verb, client, code);
	else
		print_status(globals, st, started);
	mesh_client_status_free(st);
	mesh_client_close(client);
	return status;
}

static int
agent_start(int argc, char **argv, const MeshCliGlobals *globals)
{
	return agent_status_or_start(argc, argv, globals, TRUE);
}

static int
agent_status(int argc, char **argv, const MeshCliGlobals *globals)
{
	return agent_status_or_start(argc, argv, globals, FALSE);
}

static void
print_stopped(const MeshCliGlobals *globals, gboolean stopped, const char *hive)
{
	g_autoptr(JsonBuilder) b = NULL;

	if (!globals->json) {
		printf(stopped ? "Stopped the agent for the %s hive\n" :
				 "No agent is running for the %s hive\n",
		       hive);
		return;
	}
	b = json_builder_new();
	json_builder_begin_object(b);
	mesh_cli_json_bool(b, "Stopped", stopped);
	json_builder_end_object(b);
	mesh_cli_print_json(json_builder_get_root(b));
}

static int
agent_stop(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = NULL;
	MeshClient *client = NULL;
	const char *name = NULL;
	gint64 deadline;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "agent stop", "",
				 "Asks the agent of the hive (--hive) to wipe its keys and exit, "
				 "and waits until it has.",
				 mesh_cli_no_options, 0, &argc, &argv, &status))
		return status;
	if (!agent_socket(globals, NULL, &name, &path, &error))
		return mesh_cli_fail(globals, "agent stop", error);
	if (!open_agent(name, path, &client, &error)) {
		if (error->code != MESH_ERROR_AGENT_UNAVAILABLE)
			return mesh_cli_fail(globals, "agent stop", error);
		print_stopped(globals, FALSE, name);
		return 0;
	}
	code = mesh_client_shutdown(client);
	if (code != MESH_ERROR_OK)
		status = mesh_cli_client_fail(globals, "agent stop", client, code);
	mesh_client_close(client);
	if (status != 0)
		return status;
	/* Done when nobody answers on the socket any more. */
	deadline = g_get_monotonic_time() + START_TIMEOUT_US;
	while ((code = mesh_client_open_socket(path, &client)) == MESH_ERROR_OK) {
		mesh_client_close(client);
		if (g_get_monotonic_time() > deadline)
			return mesh_cli_failf(globals, "agent stop", MESH_ERROR_TIMEOUT,
					      "the agent on %s accepted Shutdown but still answers",
					      path);
		g_usleep(POLL_US);
	}
	print_stopped(globals, TRUE, name);
	return 0;
}

/* ---- mesh agent install-login | uninstall-login ------------------------------------------ */

/*
 * The start-at-login files of one hive and home: dist/'s templates (login-files.h) with their
 * placeholders filled. Their names are per hive, and per MMM_HOME when it is not ~/.mmm, so that
 * installing for one never overwrites another's: meshagent (the production hive, the name the
 * packaged units have), meshagent-test, meshagent-<hive>-<8 hex digits of the home's digest>.
 */
typedef struct {
	char *unit;
	GPtrArray *fills; /* placeholder, value, placeholder, value ... */
} LoginSet;

static void
login_set_clear(LoginSet *set)
{
	g_clear_pointer(&set->unit, g_free);
	g_clear_pointer(&set->fills, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(LoginSet, login_set_clear)

typedef struct {
	const char *folder; /* under the user's configuration folder */
	const char *suffix;
	const char *text;
} LoginFile;

static const LoginFile login_files[] = {
	{ "systemd/user", ".socket", mesh_login_socket },
	{ "systemd/user", ".service", mesh_login_service },
	{ "autostart", ".desktop", mesh_login_desktop },
};

/*
 * @text for a unit file and an autostart entry: '%' doubled (both expand specifiers) and, with
 * @quote, in double quotes when it holds a space, as one word of a command line or a list.
 * Characters that would need more than that (controls, quotes, '\', '$', '`') are refused.
 */
static gboolean
login_word(const char *what, const char *text, gboolean quote, char **ret_word, GError **error)
{
	g_autoptr(GString) word = g_string_new(NULL);

	if (!g_utf8_validate(text, -1, NULL) || strpbrk(text, "\"'\\$`") != NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "%s holds a character that a unit file cannot carry as it is (a quote, "
			    "'\\', '$', '`' or invalid UTF-8): use a plainer path",
			    what);
		return FALSE;
	}
	for (const char *p = text; *p != '\0'; p++) {
		if ((guchar)*p < 0x20 || *p == 0x7f) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
				    "%s holds a control character: use a plainer path", what);
			return FALSE;
		}
		if (*p == '%')
			g_string_append_c(word, '%');
		g_string_append_c(word, *p);
	}
	if (quote && strchr(text, ' ') != NULL) {
		g_string_prepend_c(word, '"');
		g_string_append_c(word, '"');
	}
	*ret_word = g_string_free(g_steal_pointer(&word), FALSE);
	return TRUE;
}

static void
fill(LoginSet *set, const char *placeholder, char *value)
{
	g_ptr_array_add(set->fills, g_strdup(placeholder));
	g_ptr_array_add(set->fills, value);
}

/* The files of the hive named by the globals, in the home of this environment. */
static gboolean
login_set(const MeshCliGlobals *globals, LoginSet *ret_set, GError **error)
{
	g_auto(LoginSet) set = { 0 };
	g_autofree char *bindir = self_dir();
	g_autofree char *agent = NULL;
	g_autofree char *home_setting = mesh_platform_mmm_home();
	g_autofree char *home = g_canonicalize_filename(home_setting, NULL);
	g_autofree char *default_setting = g_build_filename(g_get_home_dir(), ".mmm", NULL);
	g_autofree char *default_home = g_canonicalize_filename(default_setting, NULL);
	g_autofree char *agent_word = NULL;
	MeshHiveKind kind;
	const char *name;

	if (!mesh_hive_kind_from_name(globals->hive, &kind, error))
		return FALSE;
	name = mesh_hive_kind_name(kind);
	/* The units listen where mesh looks by default; an override would not be seen there. */
	for (const char *const *var = (const char *const[]){ "MESH_AGENT_SOCK",
							     "MESH_SSH_AGENT_SOCK", NULL };
	     *var != NULL; var++) {
		const char *value = g_getenv(*var);

		if (value != NULL && *value != '\0') {
			g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
				    "%s is set, but the login files serve the agent's usual "
				    "sockets in $XDG_RUNTIME_DIR/mesh/%s/: unset it first",
				    *var, mesh_hive_kind_dirname(kind));
			return FALSE;
		}
	}
	if (bindir == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_FAILED,
			    "cannot tell where this mesh binary is (/proc/self/exe)");
		return FALSE;
	}
	agent = g_build_filename(bindir, "meshagent", NULL);
	set.fills = g_ptr_array_new_with_free_func(g_free);
	fill(&set, "@hive@", g_strdup(name));
	fill(&set, "@hivedir@", g_strdup(mesh_hive_kind_dirname(kind)));
	if (!login_word("the folder of mesh", agent, TRUE, &agent_word, error))
		return FALSE;
	fill(&set, "@agent@", g_steal_pointer(&agent_word));
	if (g_str_equal(home, default_home)) {
		set.unit = kind == MESH_HIVE_PRODUCTION ? g_strdup("meshagent") :
							  g_strconcat("meshagent-", name, NULL);
		fill(&set, "@label@", g_strdup_printf("%s hive", name));
		fill(&set, "@home_rw@", g_strdup("-%h/.mmm"));
		fill(&set, "@environment@\n", g_strdup(""));
		fill(&set, "@env@", g_strdup(""));
	} else {
		g_autofree char *digest =
			g_compute_checksum_for_string(G_CHECKSUM_SHA256, home, -1);
		g_autofree char *setting = g_strconcat("MMM_HOME=", home, NULL);
		g_autofree char *rw = g_strconcat("-", home, NULL);
		g_autofree char *setting_word = NULL, *rw_word = NULL, *label = NULL;

		digest[8] = '\0';
		set.unit = g_strdup_printf("meshagent-%s-%s", name, digest);
		if (!login_word("MMM_HOME", setting, TRUE, &setting_word, error) ||
		    !login_word("MMM_HOME", rw, TRUE, &rw_word, error) ||
		    !login_word("MMM_HOME", home, FALSE, &label, error))
			return FALSE;
		fill(&set, "@label@", g_strdup_printf("%s hive in %s", name, label));
		fill(&set, "@home_rw@", g_steal_pointer(&rw_word));
		fill(&set, "@environment@\n", g_strdup_printf("Environment=%s\n", setting_word));
		fill(&set, "@env@", g_strdup_printf("env %s ", setting_word));
	}
	fill(&set, "@unit@", g_strdup(set.unit));
	*ret_set = set;
	memset(&set, 0, sizeof set);
	return TRUE;
}

/* @template with every placeholder of @set filled, in one pass (a value is never read again). */
static char *
login_text(const LoginSet *set, const char *template)
{
	GString *text = g_string_new(NULL);

	for (const char *p = template; *p != '\0';) {
		guint i;

		for (i = 0; *p == '@' && i < set->fills->len; i += 2) {
			const char *placeholder = set->fills->pdata[i];

			if (g_str_has_prefix(p, placeholder)) {
				g_string_append(text, set->fills->pdata[i + 1]);
				p += strlen(placeholder);
				break;
			}
		}
		if (*p != '@' || i >= set->fills->len)
			g_string_append_c(text, *p++);
	}
	return g_string_free(text, FALSE);
}

static char *
login_path(const LoginSet *set, const LoginFile *file)
{
	g_autofree char *name = g_strconcat(set->unit, file->suffix, NULL);

	return g_build_filename(g_get_user_config_dir(), file->folder, name, NULL);
}

static gboolean
write_login_file(const LoginSet *set, const LoginFile *file, char **ret_path, GError **error)
{
	g_autofree char *path = login_path(set, file);
	g_autofree char *folder = g_path_get_dirname(path);
	g_autofree char *text = login_text(set, file->text);

	if (g_mkdir_with_parents(folder, 0700) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot create %s: %s", folder,
			    g_strerror(errno));
		return FALSE;
	}
	/* Not secret, and systemd and the session read them: 0644 like any unit file. */
	if (!g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644,
				      error)) {
		(*error)->domain = MESH_ERROR;
		(*error)->code = MESH_ERROR_IO;
		return FALSE;
	}
	*ret_path = g_steal_pointer(&path);
	return TRUE;
}

/* The files written or removed ("@done PATH" lines), or {"Unit", "Files"}. */
static void
print_login_files(const MeshCliGlobals *globals, const LoginSet *set, GPtrArray *paths,
		  const char *done)
{
	g_autoptr(JsonBuilder) b = NULL;

	if (!globals->json) {
		g_auto(MeshCliEscapes) esc = { 0 };

		for (guint i = 0; i < paths->len; i++)
			printf("%s %s\n", done, mesh_cli_escape(&esc, paths->pdata[i]));
		return;
	}
	b = json_builder_new();
	json_builder_begin_object(b);
	mesh_cli_json_string(b, "Unit", set->unit);
	json_builder_set_member_name(b, "Files");
	json_builder_begin_array(b);
	for (guint i = 0; i < paths->len; i++)
		json_builder_add_string_value(b, paths->pdata[i]);
	json_builder_end_array(b);
	json_builder_end_object(b);
	mesh_cli_print_json(json_builder_get_root(b));
}

static int
agent_install_login(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autoptr(GPtrArray) written = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	g_auto(LoginSet) set = { 0 };
	int status = 0;

	if (!mesh_cli_parse_verb(
		    globals, "agent install-login", "",
		    "Writes the files that start the agent of the hive (--hive) at login, with the "
		    "meshagent\nbeside this mesh and this MMM_HOME (when set). They are named after "
		    "the hive (meshagent\nfor production, meshagent-test) and, for an MMM_HOME "
		    "other than ~/.mmm, a digest of it\n(meshagent-test-1a2b3c4d):\n"
		    "  ~/.config/systemd/user/NAME.socket and NAME.service (both of the agent's "
		    "sockets activated)\n"
		    "  ~/.config/autostart/NAME.desktop (XDG autostart, for sessions without "
		    "systemd)\n"
		    "Then: systemctl --user daemon-reload && systemctl --user enable --now "
		    "NAME.socket",
		    mesh_cli_no_options, 0, &argc, &argv, &status))
		return status;
	if (!login_set(globals, &set, &error))
		return mesh_cli_fail(globals, "agent install-login", error);
	for (gsize i = 0; i < G_N_ELEMENTS(login_files); i++) {
		char *path = NULL;

		if (!write_login_file(&set, &login_files[i], &path, &error))
			return mesh_cli_fail(globals, "agent install-login", error);
		g_ptr_array_add(written, path);
	}
	print_login_files(globals, &set, written, "Wrote");
	if (!globals->json)
		printf("Enable with: systemctl --user daemon-reload && systemctl --user enable "
		       "--now %s.socket\n",
		       set.unit);
	return 0;
}

static int
agent_uninstall_login(int argc, char **argv, const MeshCliGlobals *globals)
{
	g_autoptr(GPtrArray) removed = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	g_autofree char *wants = NULL;
	g_autofree char *link = NULL;
	g_auto(LoginSet) set = { 0 };
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "agent uninstall-login", "",
				 "Removes the files that 'mesh agent install-login' wrote for the "
				 "hive (--hive) and this MMM_HOME.\nDisable the socket unit first "
				 "(systemctl --user disable --now NAME.socket).",
				 mesh_cli_no_options, 0, &argc, &argv, &status))
		return status;
	if (!login_set(globals, &set, &error))
		return mesh_cli_fail(globals, "agent uninstall-login", error);
	/* An enabled unit whose file is gone leaves systemd a dangling link to trip over. */
	wants = g_strconcat(set.unit, ".socket", NULL);
	link = g_build_filename(g_get_user_config_dir(), "systemd/user/sockets.target.wants",
				wants, NULL);
	if (g_file_test(link, G_FILE_TEST_IS_SYMLINK))
		return mesh_cli_failf(globals, "agent uninstall-login", MESH_ERROR_INVALID_ARGUMENT,
				      "%s is enabled: run 'systemctl --user disable --now %s' "
				      "first",
				      wants, wants);
	for (gsize i = 0; i < G_N_ELEMENTS(login_files); i++) {
		g_autofree char *path = login_path(&set, &login_files[i]);

		if (unlink(path) == 0)
			g_ptr_array_add(removed, g_steal_pointer(&path));
		else if (errno != ENOENT)
			return mesh_cli_failf(globals, "agent uninstall-login", MESH_ERROR_IO,
					      "cannot remove %s: %s", path, g_strerror(errno));
	}
	print_login_files(globals, &set, removed, "Removed");
	if (!globals->json && removed->len == 0)
		printf("No start-at-login files of %s to remove\n", set.unit);
	else if (!globals->json)
		printf("Then: systemctl --user daemon-reload\n");
	return 0;
}

int
mesh_cmd_agent(int argc, char **argv, const MeshCliGlobals *globals)
{
	static const MeshCliSub subs[] = {
		{ "start", agent_start },
		{ "stop", agent_stop },
		{ "status", agent_status },
		{ "install-login", agent_install_login },
		{ "uninstall-login", agent_uninstall_login },
		{ NULL, NULL },
	};

	return mesh_cli_dispatch(
		argc, argv, globals, "agent", subs,
		"Usage: mesh [--hive H] agent start|stop|status|install-login|uninstall-login\n"
		"\n"
		"The per-user agent holds the hive's keys and answers mesh and other programs\n"
		"on a local socket. Other commands start it when none is running.\n"
		"  start            start the agent, unless one is running\n"
		"  stop             ask the agent to wipe its keys and exit\n"
		"  status           show the running agent (exit status 26 when none)\n"
		"  install-login    start the hive's agent at login (systemd user units for both\n"
		"                   of its sockets, XDG autostart)\n"
		"  uninstall-login  remove what install-login wrote\n");
}
