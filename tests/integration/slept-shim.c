/* SPDX-License-Identifier: MIT */
/*
 * An LD_PRELOAD library for agent-suspend.sh that makes a process believe the machine slept:
 * CLOCK_BOOTTIME, and only it, runs ahead of the real clock by the number of seconds held in the
 * file named by $MESH_TEST_SLEPT_FILE (a little-endian int64, read through a shared mapping, so
 * the test moves it while the process runs). CLOCK_MONOTONIC, which stops while a machine is
 * suspended, is left alone: exactly what a suspend does to the two clocks.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

typedef int (*ClockGettime)(clockid_t, struct timespec *);

static ClockGettime real_clock_gettime;
static volatile const int64_t *slept;

__attribute__((constructor)) static void
slept_init(void)
{
	const char *path = getenv("MESH_TEST_SLEPT_FILE");
	void *map;
	int fd;

	real_clock_gettime = (ClockGettime)dlsym(RTLD_NEXT, "clock_gettime");
	if (path == NULL || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	map = mmap(NULL, sizeof(int64_t), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map != MAP_FAILED)
		slept = map;
}

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	int r = real_clock_gettime != NULL ? real_clock_gettime(id, ts) : -1;

	if (r == 0 && id == CLOCK_BOOTTIME && slept != NULL)
		ts->tv_sec += (time_t)*slept;
	return r;
}
