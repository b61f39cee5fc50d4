/* SPDX-License-Identifier: MIT */
/* Helper programs run and waited for with a timeout (spawn.h), on GIO's GSubprocess. */
#include "spawn.h"

#include <gio/gio.h>

#include "error.h"

struct MeshSpawn {
	GSubprocess *process;
	GMainContext *context; /* where the wait's completion is delivered */
	GCancellable *cancel;  /* of the wait, when @child goes first */
	gboolean waiting;      /* g_subprocess_wait_async is pending */
	gboolean exited;
};

MeshSpawn *
mesh_spawn_new(const char *const *argv, const char *const *envp, GError **error)
{
	g_autoptr(GSubprocessLauncher) launcher =
	        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
	GSubprocess *process;
	MeshSpawn *child;

	/* Standard input is the null device unless a flag says otherwise. */
	if (envp != NULL)
		g_subprocess_launcher_set_environ(launcher, (char **)envp);
	process = g_subprocess_launcher_spawnv(launcher, argv, error);
	if (process == NULL) {
		(*error)->domain = MESH_ERROR;
		(*error)->code = MESH_ERROR_FAILED;
		return NULL;
	}
	child = g_new0(MeshSpawn, 1);
	child->process = process;
	child->context = g_main_context_new();
	child->cancel = g_cancellable_new();
	return child;
}

static void
on_waited(GObject *source, GAsyncResult *result, gpointer data)
{
	MeshSpawn *child = data;

	/* The exit status is the process's own; the wait fails only when it is cancelled. */
	child->exited = g_subprocess_wait_finish(G_SUBPROCESS(source), result, NULL);
	child->waiting = FALSE;
}

static gboolean
on_timeout(gpointer data)
{
	*(gboolean *)data = TRUE;
	return G_SOURCE_REMOVE;
}

gboolean
mesh_spawn_wait(MeshSpawn *child, gint64 timeout_us)
{
	gboolean expired = FALSE;
	GSource *timer = NULL;

	if (child->exited)
		return TRUE;
	g_main_context_push_thread_default(child->context);
	if (!child->waiting) {
		g_subprocess_wait_async(child->process, child->cancel, on_waited, child);
		child->waiting = TRUE;
	}
	if (timeout_us > 0) {
		timer = g_timeout_source_new((guint)MIN(timeout_us / 1000, G_MAXUINT));
		g_source_set_callback(timer, on_timeout, &expired, NULL);
		g_source_attach(timer, child->context);
	}
	while (!child->exited && timer != NULL && !expired)
		g_main_context_iteration(child->context, TRUE);
	while (!child->exited && g_main_context_iteration(child->context, FALSE))
		;
	if (timer != NULL) {
		g_source_destroy(timer);
		g_source_unref(timer);
	}
	g_main_context_pop_thread_default(child->context);
	return child->exited;
}

gboolean
mesh_spawn_succeeded(MeshSpawn *child)
{
	return child->exited && g_subprocess_get_successful(child->process);
}

char *
mesh_spawn_describe(MeshSpawn *child)
{
	if (g_subprocess_get_if_exited(child->process))
		return g_strdup_printf("exit status %d",
		                       g_subprocess_get_exit_status(child->process));
	if (g_subprocess_get_if_signaled(child->process))
		return g_strdup_printf("signal %d", g_subprocess_get_term_sig(child->process));
	return g_strdup("unknown status");
}

void
mesh_spawn_kill(MeshSpawn *child)
{
	g_subprocess_force_exit(child->process);
	while (!mesh_spawn_wait(child, G_USEC_PER_SEC))
		;
}

void
mesh_spawn_free(MeshSpawn *child)
{
	if (child == NULL)
		return;
	/* A child still running is left to run (an agent that stays in the foreground); the
	 * pending wait, which points at @child, ends first. */
	g_cancellable_cancel(child->cancel);
	while (child->waiting)
		g_main_context_iteration(child->context, TRUE);
	g_object_unref(child->cancel);
	g_object_unref(child->process);
	g_main_context_unref(child->context);
	g_free(child);
}
