/* SPDX-License-Identifier: MIT */
/* The agent's locks (core/transport.h): flock()ed files that name the agent holding them. */
#include "lockfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

struct MeshTransportLock {
	int fd;
	char *path;
	gboolean remove; /* unlink the file on release */
};

/* "pid N, socket PATH" from a lock file's note ("N PATH\n"), for the message of a second start. */
static char *
lock_owner(int fd)
{
	char text[4200] = {0};
	ssize_t n = pread(fd, text, sizeof text - 1, 0);
	char *end = NULL;
	guint64 pid = n > 0 ? g_ascii_strtoull(text, &end, 10) : 0;

	if (pid == 0)
		return g_strdup("pid unknown");
	if (end != NULL && *end == ' ' && end[1] == '/') {
		g_strchomp(end + 1);
		return g_strdup_printf("pid %" G_GUINT64_FORMAT ", socket %s", pid, end + 1);
	}
	return g_strdup_printf("pid %" G_GUINT64_FORMAT, pid);
}

/* A file that was unlinked and replaced while we waited for it is locked again, on the new one. */
MeshTransportLock *
mesh_lockfile_take(const char *path, const char *address, MeshHiveKind kind, gboolean remove,
                   GError **error)
{
	g_autofree char *note = NULL;
	MeshTransportLock *lock;
	int locked = -1;

	for (int attempt = 0; attempt < 8 && locked < 0; attempt++) {
		struct stat held, now;
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

		if (fd < 0) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
			            "cannot open the lock file %s: %s", path, g_strerror(errno));
			return NULL;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
			g_autofree char *owner = lock_owner(fd);

			close(fd);
			g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
			            "an agent for the %s hive is already running (%s)",
			            mesh_hive_kind_name(kind), owner);
			return NULL;
		}
		if (fstat(fd, &held) == 0 && stat(path, &now) == 0 && held.st_dev == now.st_dev &&
		    held.st_ino == now.st_ino)
			locked = fd;
		else
			close(fd);
	}
	if (locked < 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
		            "cannot take the lock file %s: it keeps being replaced", path);
		return NULL;
	}
	note = g_strdup_printf("%" G_GINT64_FORMAT " %s\n", (gint64)getpid(), address);
	if (ftruncate(locked, 0) != 0 ||
	    pwrite(locked, note, strlen(note), 0) != (ssize_t)strlen(note)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot write the lock file %s: %s",
		            path, g_strerror(errno));
		close(locked);
		return NULL;
	}
	lock = g_new0(MeshTransportLock, 1);
	lock->fd = locked;
	lock->path = g_strdup(path);
	lock->remove = remove;
	return lock;
}

MeshTransportLock *
mesh_transport_lock_hive(MeshHive *hive, const char *address, GError **error)
{
	g_autofree char *path = g_build_filename(mesh_hive_location(hive), ".agent.lock", NULL);

	/* The hive's lock file stays (unlinking it could let two agents lock two files). */
	return mesh_lockfile_take(path, address, hive->kind, FALSE, error);
}

void
mesh_transport_lock_free(MeshTransportLock *lock)
{
	if (lock == NULL)
		return;
	/* Unlink while still holding the lock: a second agent that opened the file before
	 * finds it replaced and locks the new one (mesh_lockfile_take). */
	if (lock->remove)
		unlink(lock->path);
	close(lock->fd);
	g_free(lock->path);
	g_free(lock);
}
