/* SPDX-License-Identifier: MIT */
/*
 * An LD_PRELOAD library for cli-secrets.sh: does a secret the CLI prints stay behind in memory
 * it frees? Once the process starts building output (its first json_builder_new(), the way the
 * CLI builds every --json answer), each block given to free() is searched for the bytes of
 * $MESH_TEST_SECRET; a block that holds them is reported, with a backtrace, in the file named by
 * $MESH_TEST_FREESCAN_LOG. What happens before (the client library parsing the agent's answer,
 * whose JSON scanner keeps copies out of our reach) is not judged.
 *
 * Built with MESH_FREESCAN_SANITIZER (AddressSanitizer builds, whose allocator must not be
 * interposed), the scan is the sanitizer's free hook instead of an interposed free().
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef void (*FreeFunc)(void *);
typedef void *(*BuilderNewFunc)(void);

#ifndef MESH_FREESCAN_SANITIZER
static FreeFunc real_free;
#endif
static BuilderNewFunc real_builder_new;
static const char *secret;
static size_t secret_len;
static int log_fd = -1;
static int armed;
static __thread int inside;

/* Interposed on json-glib's (a shared library, called through the PLT). */
void *json_builder_new(void);

__attribute__((constructor)) static void
freescan_init(void)
{
	const char *log = getenv("MESH_TEST_FREESCAN_LOG");

	secret = getenv("MESH_TEST_SECRET");
	secret_len = secret != NULL ? strlen(secret) : 0;
	if (log != NULL)
		log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

void *
json_builder_new(void)
{
	if (real_builder_new == NULL)
		real_builder_new = (BuilderNewFunc)dlsym(RTLD_NEXT, "json_builder_new");
	armed = 1;
	return real_builder_new();
}

/* Report @ptr (@size usable bytes, about to be freed) when it holds the secret. */
static void
scan(const void *ptr, size_t size)
{
	static const char line[] = "a freed block held the secret, freed at:\n";
	void *frames[32];
	int n;
	ssize_t w;

	if (ptr == NULL || !armed || secret_len == 0 || log_fd < 0 || inside || size < secret_len ||
	    memmem(ptr, size, secret, secret_len) == NULL)
		return;
	inside = 1;
	n = backtrace(frames, 32);
	w = write(log_fd, line, sizeof line - 1);
	(void)w;
	backtrace_symbols_fd(frames, n, log_fd);
	inside = 0;
}

#ifdef MESH_FREESCAN_SANITIZER
int __sanitizer_install_malloc_and_free_hooks(void (*)(const volatile void *, size_t),
					      void (*)(const volatile void *));
size_t __sanitizer_get_allocated_size(const volatile void *ptr);

static void
free_hook(const volatile void *ptr)
{
	scan((const void *)ptr, __sanitizer_get_allocated_size(ptr));
}

/* The sanitizer takes both hooks or none. */
static void
malloc_hook(const volatile void *ptr, size_t size)
{
	(void)ptr;
	(void)size;
}

__attribute__((constructor)) static void
freescan_hook(void)
{
	__sanitizer_install_malloc_and_free_hooks(malloc_hook, free_hook);
}
#else
void
free(void *ptr)
{
	if (real_free == NULL) {
		/* dlsym may allocate and free: those frees are let go (the pointer is leaked). */
		if (inside)
			return;
		inside = 1;
		real_free = (FreeFunc)dlsym(RTLD_NEXT, "free");
		inside = 0;
	}
	if (ptr != NULL)
		scan(ptr, malloc_usable_size(ptr));
	real_free(ptr);
}
#endif
