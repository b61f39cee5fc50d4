/* SPDX-License-Identifier: MIT */
/* mesh agent: start, stop and query the per-user agent; connect to it (starting it on demand,
 * as gpg starts gpg-agent); install the start-at-login files. */
#include <stdio.h>
#include <string.h>

#include "hive.h"
#include "platform.h"
#include "spawn.h"
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

void
mesh_cli_json_begin_array(JsonBuilder *b, const char *name)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_array(b);
}

/* meshagent, installed beside mesh, else in PATH. */
static char *
find_meshagent(void)
{
	g_autofree char *dir = mesh_platform_program_dir();
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
	const char *argv[] = { program, "--hive", hive, NULL };
	gint64 deadline = g_get_monotonic_time() + START_TIMEOUT_US;
	g_autoptr(MeshSpawn) child = NULL;
	gboolean reaped = FALSE;
	MeshError code;

	if (program == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_AGENT_UNAVAILABLE,
			    "no agent is running for the %s hive and meshagent is neither beside "
			    "mesh nor in PATH",
			    hive);
		return FALSE;
	}
	/* Its stdout would mix with ours (--json); its stderr carries its start-up errors. */
	child = mesh_spawn_new(argv, NULL, error);
	if (child == NULL) {
		g_prefix_error(error, "cannot start %s: ", program);
		(*error)->code = MESH_ERROR_AGENT_UNAVAILABLE;
		return FALSE;
	}
	for (;;) {
		if (!reaped && mesh_spawn_wait(child, 0)) {
			reaped = TRUE;
			if (!mesh_spawn_succeeded(child)) {
				g_autofree char *how = mesh_spawn_describe(child);

				g_set_error(error, MESH_ERROR, MESH_ERROR_AGENT_UNAVAILABLE,
					    "%s --hive %s failed (%s); no agent is running", program,
					    hive, how);
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

/* The files written or removed ("@done PATH" lines), or {"Unit", "Files"}. */
static void
print_login_files(const MeshCliGlobals *globals, const MeshPlatformLogin *login,
		  const char *done)
{
	g_autoptr(JsonBuilder) b = NULL;
	GPtrArray *paths = login->paths;

	if (!globals->json) {
		g_auto(MeshCliEscapes) esc = { 0 };

		for (guint i = 0; i < paths->len; i++)
			printf("%s %s\n", done, mesh_cli_escape(&esc, paths->pdata[i]));
		return;
	}
	b = json_builder_new();
	json_builder_begin_object(b);
	mesh_cli_json_string(b, "Unit", login->name);
	json_builder_set_member_name(b, "Files");
	json_builder_begin_array(b);
	for (guint i = 0; i < paths->len; i++)
		json_builder_add_string_value(b, paths->pdata[i]);
	json_builder_end_array(b);
	json_builder_end_object(b);
	mesh_cli_print_json(json_builder_get_root(b));
}

/* Install (@install) or remove the start-at-login files of the hive named by the globals. */
static int
agent_login(const MeshCliGlobals *globals, const char *verb, gboolean install)
{
	g_autoptr(GError) error = NULL;
	g_auto(MeshPlatformLogin) login = { 0 };
	MeshHiveKind kind;
	gboolean ok;

	if (!mesh_hive_kind_from_name(globals->hive, &kind, &error))
		return mesh_cli_fail(globals, verb, error);
	ok = install ? mesh_platform_login_install(kind, &login, &error) :
		       mesh_platform_login_uninstall(kind, &login, &error);
	if (!ok)
		return mesh_cli_fail(globals, verb, error);
	print_login_files(globals, &login, install ? "Wrote" : "Removed");
	if (!globals->json)
		printf("%s\n", login.next);
	return 0;
}

static int
agent_install_login(int argc, char **argv, const MeshCliGlobals *globals)
{
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
	return agent_login(globals, "agent install-login", TRUE);
}

static int
agent_uninstall_login(int argc, char **argv, const MeshCliGlobals *globals)
{
	int status = 0;

	if (!mesh_cli_parse_verb(globals, "agent uninstall-login", "",
				 "Removes the files that 'mesh agent install-login' wrote for the "
				 "hive (--hive) and this MMM_HOME.\nDisable the socket unit first "
				 "(systemctl --user disable --now NAME.socket).",
				 mesh_cli_no_options, 0, &argc, &argv, &status))
		return status;
	return agent_login(globals, "agent uninstall-login", FALSE);
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
