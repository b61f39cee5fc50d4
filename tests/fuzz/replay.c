/* SPDX-License-Identifier: MIT */
/*
 * Replays a fuzz target's corpus without libFuzzer, so that the seeds and every past finding run
 * as ordinary tests in every build (gcc, sanitizers, valgrind).
 * Usage: replay-NAME FILE-OR-DIRECTORY...
 */
#include <glib.h>
#include <stdio.h>

#include "fuzz.h"

static int
run_file(const char *path)
{
	g_autofree char *data = NULL;
	g_autoptr(GError) error = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &data, &len, &error)) {
		fprintf(stderr, "replay: %s\n", error->message);
		return 1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	return 0;
}

int
main(int argc, char **argv)
{
	guint files = 0;
	int failed = 0;

	for (int i = 1; i < argc; i++) {
		g_autoptr(GDir) dir = NULL;
		const char *name;

		if (!g_file_test(argv[i], G_FILE_TEST_IS_DIR)) {
			failed |= run_file(argv[i]);
			files++;
			continue;
		}
		dir = g_dir_open(argv[i], 0, NULL);
		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
			g_autofree char *path = g_build_filename(argv[i], name, NULL);

			failed |= run_file(path);
			files++;
		}
	}
	if (files == 0) {
		fprintf(stderr, "replay: no corpus files found\n");
		return 1;
	}
	printf("replayed %u inputs\n", files);
	return failed;
}
