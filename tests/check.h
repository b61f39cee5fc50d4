/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The checks of the test programs that are not CUnit suites (tests/windows/, the key-store
 * conformance tool): each prints one line, "ok   - WHAT" or "FAIL - WHAT: the error", and
 * check_failed counts the failures for the program's exit status. A header of static functions:
 * each program has its own count.
 */

#include <glib.h>
#include <stdio.h>

#include "error.h"

static int check_failed;

static G_GNUC_UNUSED void
check(gboolean ok, const char *what, const GError *error)
{
	if (ok) {
		printf("ok   - %s\n", what);
	} else {
		printf("FAIL - %s%s%s\n", what, error != NULL ? ": " : "",
		       error != NULL ? error->message : "");
		check_failed++;
	}
	fflush(stdout);
}

/* check_code: *@error holds the MeshError @code; its message is shown, and it is cleared. */
static G_GNUC_UNUSED void
check_code(GError **error, MeshError code, const char *what)
{
	gboolean ok = g_error_matches(*error, MESH_ERROR, (int)code);
	g_autofree char *label = g_strdup_printf("%s (%s)", what, mesh_error_name(code));

	check(ok, label, ok ? NULL : *error);
	if (ok)
		printf("#      %s\n", (*error)->message);
	g_clear_error(error);
}
