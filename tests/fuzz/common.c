/* SPDX-License-Identifier: MIT */
/* nftw() */
#define _GNU_SOURCE
#include <ftw.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static char *temp_dir;

char *
mesh_fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = g_malloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
remove_temp_dir(void)
{
	if (temp_dir != NULL)
		nftw(temp_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	g_free(temp_dir);
	temp_dir = NULL;
}

const char *
mesh_fuzz_temp_dir(void)
{
	if (temp_dir != NULL)
		return temp_dir;
	temp_dir = g_dir_make_tmp("mesh-fuzz-XXXXXX", NULL);
	if (temp_dir == NULL)
		__builtin_trap();
	atexit(remove_temp_dir);
	return temp_dir;
}
