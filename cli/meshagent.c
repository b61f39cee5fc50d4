/* SPDX-License-Identifier: MIT */
/* meshagent: the per-user agent that owns a hive's keys and answers local programs. */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "dispatch.h"
#include "error.h"
#include "platform.h"
#include "secret.h"
#include "server.h"
#include "ssh-agent-mesh.h"
#include "ssh-server.h"
#include "transport.h"

/* Seconds between two runs of the background task (accepting requests made with PINs). */
#define MESH_AGENT_BACKGROUND_SECONDS 30

#ifndef MESH_VERSION
#error "MESH_VERSION must be defined by the build"
#endif

/* Report a failure to start: to the waiting parent, or on stderr. Returns the exit status. */
static int
fail(MeshError code, const char *message)
{
	if (mesh_platform_daemon_waiting())
		mesh_platform_daemon_failed(code, message);
	else
		g_printerr("meshagent: %s\n", message);
	return code;
}

static int
fail_error(GError *error)
{
	return fail(mesh_error_code(error), error->message);
}

static gboolean
on_signal(gpointer user_data)
{
	mesh_server_shutdown(user_data);
	return G_SOURCE_CONTINUE;
}

/* Seconds between two runs of the background task: MESH_AGENT_BACKGROUND_SECONDS (at least 1),
 * else the default. */
static guint
background_seconds(void)
{
	const char *text = g_getenv("MESH_AGENT_BACKGROUND_SECONDS");
	guint64 seconds = 0;

	if (text == NULL || !g_ascii_string_to_unsigned(text, 10, 1, 24 * 3600, &seconds, NULL))
		return MESH_AGENT_BACKGROUND_SECONDS;
	return (guint)seconds;
}

/* A path that stays right after chdir("/"). */
static char *
absolute(const char *path)
{
	return path != NULL && *path != '\0' ? g_canonicalize_filename(path, NULL) : NULL;
}

int
main(int argc, char **argv)
{
	g_autofree char *hive_name = NULL;
	g_autofree char *socket_opt = NULL;
	g_autofree char *askpass_opt = NULL;
	gboolean foreground = FALSE, version = FALSE, no_audit = FALSE;
	const GOptionEntry entries[] = {
		{ "hive", 0, 0, G_OPTION_ARG_STRING, &hive_name,
		  "the hive to serve: test or production (default: $MESH_HIVE, else production)",
		  "H" },
		{ "foreground", 'f', 0, G_OPTION_ARG_NONE, &foreground,
		  "stay in the foreground (do not daemonise)", NULL },
		{ "socket", 0, 0, G_OPTION_ARG_FILENAME, &socket_opt,
		  "listen on PATH (default: $MESH_AGENT_SOCK, else "
		  "$XDG_RUNTIME_DIR/mesh/<hive>/agent.sock)",
		  "PATH" },
		{ "askpass", 0, 0, G_OPTION_ARG_FILENAME, &askpass_opt,
		  "ask PROGRAM whether a program may use a key when the policy says to ask, and "
		  "to confirm each use of a key added with 'ssh-add -c' (default: $SSH_ASKPASS; "
		  "without one, questions wait for 'mesh approve' and 'ssh-add -c' keys are "
		  "refused)",
		  "PROGRAM" },
		{ "no-audit", 0, 0, G_OPTION_ARG_NONE, &no_audit,
		  "record nothing in the hive's audit log (for measuring its cost only: what this "
		  "agent does is then in no record)",
		  NULL },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &version, "print the version", NULL },
		G_OPTION_ENTRY_NULL,
	};
	g_autoptr(GOptionContext) context = g_option_context_new(NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(MeshAgent) agent = NULL;
	g_autoptr(MeshServer) server = NULL;
	g_autoptr(MeshSshAgent) ssh_agent = NULL;
	g_autoptr(MeshSshServer) ssh_server = NULL;
	g_autofree char *ssh_path = NULL;
	g_autofree char *socket_path = NULL;
	g_autofree char *root = NULL;
	g_autoptr(MeshTransportListener) listener = NULL;
	g_autoptr(MeshTransportListener) ssh_listener = NULL;
	MeshHiveKind kind;

	setlocale(LC_ALL, "");
	g_option_context_set_summary(context,
				     "The Mathematical Mesh agent: keeps this user's device keys and "
				     "profiles for one hive\nand answers local programs on a Unix "
				     "socket. Started by socket activation, it uses\nthe sockets "
				     "it is given: the agent's, and the ssh-agent socket (named\n"
				     "ssh-agent by LISTEN_FDNAMES, or by its path ssh-agent.sock) "
				     "when passed too.\nSIGTERM or SIGINT stop it and remove its "
				     "socket.");
	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error) || argc > 1) {
		g_printerr("meshagent: %s (see 'meshagent --help')\n",
			   error != NULL ? error->message : "unexpected arguments");
		return MESH_ERROR_USAGE;
	}
	if (version) {
		printf("meshagent %s\n", MESH_VERSION);
		return 0;
	}
	if (!mesh_hive_kind_from_name(hive_name, &kind, &error))
		return fail_error(error);
	/* No core dumps, not dumpable, umask 077: before anything secret exists. */
	if (!mesh_platform_harden(&error))
		return fail_error(error);
	mesh_platform_ignore_broken_pipe();

	/* Socket activation (LISTEN_PID is checked against this process, so before any fork);
	 * the service manager supervises the process, so it stays in the foreground. The agent's
	 * socket may come with the ssh-agent socket, so that either starts the agent. */
	if (!mesh_transport_activation(&listener, &ssh_listener, &error))
		return fail_error(error);
	if (socket_opt != NULL) {
		socket_path = absolute(socket_opt);
	} else if (listener != NULL) {
		socket_path = g_strdup(mesh_transport_listener_address(listener));
	} else {
		g_autofree char *path = mesh_platform_agent_socket(kind);

		socket_path = absolute(path);
	}
	root = absolute(g_getenv("MMM_HOME"));

	if (!foreground && listener == NULL)
		mesh_platform_daemonise("meshagent");
	if (!mesh_secret_heap_init(0, &error)) {
		/* Secrets still work, on the ordinary heap (wiped on free). */
		g_printerr("meshagent: %s\n", error->message);
		g_clear_error(&error);
	}
	agent = mesh_agent_new(kind, root, socket_path, &error);
	if (agent == NULL)
		return fail_error(error);
	mesh_agent_set_askpass(agent, askpass_opt != NULL ? askpass_opt : g_getenv("SSH_ASKPASS"));
	if (!no_audit && !mesh_agent_start_audit(agent, &error))
		return fail_error(error);
	if (no_audit)
		g_printerr("meshagent: --no-audit: nothing this agent does is recorded\n");
	server = mesh_server_new(agent, socket_path, g_steal_pointer(&listener), &error);
	if (server == NULL)
		return fail_error(error);
	/* The OpenSSH agent protocol, on a socket of its own beside the agent's (or the one
	 * passed). */
	if (ssh_listener != NULL)
		ssh_path = g_strdup(mesh_transport_listener_address(ssh_listener));
	else
		ssh_path = mesh_ssh_agent_socket_path(kind, socket_path);
	ssh_agent = mesh_ssh_agent_new(mesh_agent_hive(agent), mesh_agent_store(agent),
				       mesh_agent_state_lock(agent));
	mesh_ssh_agent_set_mesh_keys(ssh_agent, mesh_ssh_agent_session_keys, NULL);
	mesh_ssh_agent_set_askpass(ssh_agent, askpass_opt != NULL ? askpass_opt
								 : g_getenv("SSH_ASKPASS"));
	/* One failure delay for every passphrase check, whichever socket it comes through. */
	mesh_ssh_agent_set_gate(ssh_agent, mesh_agent_pass_gate(agent));
	/* The policy and the audit log see the ssh-agent socket's callers too. */
	mesh_agent_guard_ssh(agent, ssh_agent);
	ssh_server = mesh_ssh_server_new(ssh_agent, ssh_path, g_steal_pointer(&ssh_listener), kind,
					 &error);
	if (ssh_server == NULL)
		return fail_error(error);
	mesh_agent_set_ssh_socket(agent, ssh_path);
	mesh_agent_set_lock_func(agent, mesh_ssh_agent_forget_keys, ssh_agent);
	mesh_platform_on_terminate(on_signal, server);
	mesh_agent_start_background(agent, background_seconds());
	if (!mesh_platform_daemon_waiting())
		g_printerr("meshagent: serving the %s hive on %s (pid %" G_GUINT64_FORMAT ")\n",
			   mesh_hive_kind_name(kind), socket_path, mesh_platform_pid());
	mesh_platform_daemon_started();
	mesh_server_run(server);
	/* Before the server goes: the worker's last answers are delivered to live connections. */
	mesh_agent_stop(agent);
	/* The ssh-agent goes first (the autoptrs free it before the agent), so the agent must no
	 * longer tell it about locks. */
	mesh_agent_set_lock_func(agent, NULL, NULL);
	return 0;
}
