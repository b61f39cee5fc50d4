/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The report a daemon's background process sends the process that started it and waits
 * (mesh_platform_daemonise, one implementation per OS folder): one status byte, 0 when it
 * serves, else the MeshError code of why it could not start, then a message. The waiting process
 * feeds what it reads to a MeshDaemonReport and ends with mesh_daemon_report_finish; a pipe that
 * ended without a byte means the daemon died before it could say anything.
 */
typedef struct {
	GString *message;
	guint8 status;
	gboolean have_status;
} MeshDaemonReport;

void mesh_daemon_report_init(MeshDaemonReport *report);
/* mesh_daemon_report_feed: the next @len bytes read from the pipe. */
void mesh_daemon_report_feed(MeshDaemonReport *report, const char *data, gsize len);
/* mesh_daemon_report_finish: the exit status to end with; for a failure, "@prog: message" is
 * printed to standard error first. Frees what @report holds. */
int mesh_daemon_report_finish(MeshDaemonReport *report, const char *prog);

G_END_DECLS
