/* SPDX-License-Identifier: MIT */
#include "daemon-report.h"

#include <stdio.h>

#include "error.h"

void
mesh_daemon_report_init(MeshDaemonReport *report)
{
	report->message = g_string_new(NULL);
	report->status = MESH_ERROR_FAILED;
	report->have_status = FALSE;
}

void
mesh_daemon_report_feed(MeshDaemonReport *report, const char *data, gsize len)
{
	if (len > 0 && !report->have_status) {
		report->status = (guint8)data[0];
		report->have_status = TRUE;
		data++, len--;
	}
	/* A message is one line of the daemon's: bounded, so that a runaway daemon cannot fill
	 * this process. */
	if (report->message->len < 4096)
		g_string_append_len(report->message, data, (gssize)MIN(len, 4096));
}

int
mesh_daemon_report_finish(MeshDaemonReport *report, const char *prog)
{
	int status = report->status;

	if (!report->have_status)
		g_string_assign(report->message, "the agent exited while starting");
	/* The message is the daemon's own, this program's: no text from outside. */
	if (status != 0)
		g_printerr("%s: %s\n", prog, report->message->str);
	g_string_free(report->message, TRUE);
	report->message = NULL;
	fflush(stderr);
	return status;
}
