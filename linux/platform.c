/* SPDX-License-Identifier: MIT */
/* struct ucred and SO_PEERCRED are GNU extensions of <sys/socket.h>. */
#define _GNU_SOURCE
#include "platform.h"
#include "platform-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "error.h"

char *
mesh_platform_mmm_home(void)
{
	const char *home = g_getenv("MMM_HOME");

	if (home != NULL && *home != '\0')
		return g_strdup(home);
	return g_build_filename(g_get_home_dir(), ".mmm", NULL);
}

char *
mesh_platform_agent_socket(MeshHiveKind kind)
{
	const char *sock = g_getenv("MESH_AGENT_SOCK");
	const char *runtime = g_getenv("XDG_RUNTIME_DIR");
	const char *hive = mesh_hive_kind_dirname(kind);
	g_autofree char *tmp = NULL;

	if (sock != NULL && *sock != '\0')
		return g_strdup(sock);
	/* The XDG Base Directory spec says to ignore a relative XDG_RUNTIME_DIR. */
	if (runtime != NULL && g_path_is_absolute(runtime))
		return g_build_filename(runtime, "mesh", hive, "agent.sock", NULL);
	/* Not g_get_tmp_dir(): the path must not depend on TMPDIR, or client and agent disagree.
	 * mesh_platform_private_dir() refuses a /tmp/mesh-<uid> that another user made first. */
	tmp = g_strdup_printf("mesh-%" G_GUINT64_FORMAT, mesh_platform_uid());
	return g_build_filename("/tmp", tmp, hive, "agent.sock", NULL);
}

char *
mesh_platform_ssh_agent_address(MeshHiveKind kind, const char *agent_address)
{
	g_autofree char *dir = g_path_get_dirname(agent_address);

	return g_build_filename(dir, "ssh-agent.sock", NULL);
}

gboolean
mesh_platform_harden(GError **error)
{
	/* Soft and hard limit: a process cannot raise the hard limit back without privileges. */
	struct rlimit no_core = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &no_core) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_FAILED,
			    "cannot turn core dumps off (setrlimit RLIMIT_CORE 0): %s; keys are "
			    "not loaded into a process that could dump them to disk",
			    g_strerror(errno));
		return FALSE;
	}
#ifdef __linux__
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_FAILED,
			    "cannot make the process undumpable (prctl PR_SET_DUMPABLE 0): %s; "
			    "keys are not loaded into a process other processes could read",
			    g_strerror(errno));
		return FALSE;
	}
#endif
	umask(077);
	return TRUE;
}

gint64
mesh_platform_boottime(void)
{
	struct timespec ts;

#ifdef CLOCK_BOOTTIME
	if (clock_gettime(CLOCK_BOOTTIME, &ts) == 0)
		return (gint64)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
#endif
	/* Without CLOCK_BOOTTIME (macOS: CLOCK_MONOTONIC goes on counting in sleep there). */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0)
		return (gint64)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
	return g_get_monotonic_time();
}

guint64
mesh_platform_uid(void)
{
	return (guint64)getuid();
}

guint64
mesh_platform_pid(void)
{
	return (guint64)getpid();
}

gboolean
mesh_platform_peer_uid(int fd, guint64 *ret_uid, GError **error)
{
#ifdef __linux__
	struct ucred cred = { 0 };
	socklen_t len = sizeof cred;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && len == sizeof cred) {
		*ret_uid = (guint64)cred.uid;
		return TRUE;
	}
#else
	uid_t uid;
	gid_t gid;

	if (getpeereid(fd, &uid, &gid) == 0) {
		*ret_uid = (guint64)uid;
		return TRUE;
	}
#endif
	g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
		    "cannot tell which user is at the other end of the connection: %s; only local "
		    "(Unix domain) stream sockets are accepted",
		    g_strerror(errno));
	return FALSE;
}

/*
 * check_folder: @path is a folder of ours that nobody else can write to. A private folder
 * (@ancestor FALSE) is not followed if it is a symbolic link. An @ancestor, a folder on the way
 * to a private one, is followed; whoever can rename entries in it could swap the private folder
 * for their own, so like OpenSSH's StrictModes it must belong to us or to root, and may be
 * writable by others only with the sticky bit (/tmp).
 */
static gboolean
check_folder(const char *path, gboolean ancestor, GError **error)
{
	guint64 uid = mesh_platform_uid();
	struct stat st;

	if ((ancestor ? stat(path, &st) : lstat(path, &st)) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot inspect %s: %s", path,
			    g_strerror(errno));
		return FALSE;
	}
	if (S_ISLNK(st.st_mode)) {
		/* Never "rm" advice alone: the link may lead to the user's data. */
		g_autofree char *link = g_file_read_link(path, NULL);
		g_autofree char *dir = g_path_get_dirname(path);
		g_autofree char *target =
			link != NULL ? g_canonicalize_filename(link, dir) : NULL;

		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
			    "%s is a symbolic link (to %s), not a folder, and the Mesh keeps nothing "
			    "behind a link: name the real folder instead (for the hives, "
			    "MMM_HOME=%s), or move it here ('rm %s && mv %s %s')",
			    path, target != NULL ? target : "?", target != NULL ? target : "FOLDER",
			    path, target != NULL ? target : "FOLDER", path);
		return FALSE;
	}
	if (!S_ISDIR(st.st_mode)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
			    "%s is not a folder: move it away and try again", path);
		return FALSE;
	}
	if ((guint64)st.st_uid != uid && !(ancestor && st.st_uid == 0)) {
		g_autofree char *fix = NULL;

		if (ancestor)
			fix = g_strdup("its owner could replace what is inside: remove it or "
				       "choose another location");
		else
			fix = g_strdup_printf("run 'chown %" G_GUINT64_FORMAT " %s' as root, or "
					      "remove it",
					      uid, path);
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
			    "%s belongs to uid %u, not to you (uid %" G_GUINT64_FORMAT "); %s",
			    path, (unsigned)st.st_uid, uid, fix);
		return FALSE;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && !(ancestor && (st.st_mode & S_ISVTX))) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
			    "%s is writable by group or others: run 'chmod %s %s'", path,
			    ancestor ? "go-w" : "700", path);
		return FALSE;
	}
	return TRUE;
}

/*
 * check_ancestor: @path, on the way to a private folder, as check_folder judges ancestors, and
 * looked at with lstat first: a symbolic link is followed only when it belongs to us or to root,
 * since its owner can point it anywhere at any time (a link /tmp/mesh-<uid> that another user
 * made would send our sockets wherever they like). *@ret_link is set when it is a link, so that
 * the caller checks the real path too.
 */
static gboolean
check_ancestor(const char *path, gboolean *ret_link, GError **error)
{
	guint64 uid = mesh_platform_uid();
	struct stat st;

	if (lstat(path, &st) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot inspect %s: %s", path,
			    g_strerror(errno));
		return FALSE;
	}
	if (S_ISLNK(st.st_mode)) {
		if ((guint64)st.st_uid != uid && st.st_uid != 0) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
				    "%s is a symbolic link that belongs to uid %u, not to you (uid "
				    "%" G_GUINT64_FORMAT ") or root: its owner could point it "
				    "anywhere; remove it or choose another location",
				    path, (unsigned)st.st_uid, uid);
			return FALSE;
		}
		*ret_link = TRUE;
	}
	return check_folder(path, TRUE, error);
}

/* mkdir 0700 whatever the umask; an existing entry is left for the checks to judge. */
static gboolean
make_dir(const char *path, gboolean create_parents, GError **error)
{
	int saved;

	if (mkdir(path, 0700) == 0) {
		/* Only a umask that strips owner bits makes this differ; the folder is new and
		 * ours, in a parent that was checked. */
		if (chmod(path, 0700) != 0)
			goto fail;
		return TRUE;
	}
	if (errno == EEXIST)
		return TRUE;
fail:
	saved = errno;
	g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot create the folder %s: %s%s", path,
		    g_strerror(saved),
		    saved == ENOENT && !create_parents ? ": create its parent folder first" : "");
	return FALSE;
}

/* check_ancestors: every folder above @abs (an absolute, canonical path) but "/", from the top,
 * made first when @create_parents. */
static gboolean
check_ancestors(const char *abs, gboolean create_parents, gboolean *ret_link, GError **error)
{
	/* Each folder on the way is checked before anything is made inside it. "/" is not: an
	 * owner of "/" owns everything anyway, and some sandboxes map it to an unknown uid. */
	for (const char *p = strchr(abs + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		g_autofree char *ancestor = g_strndup(abs, (gsize)(p - abs));

		if (create_parents && !make_dir(ancestor, TRUE, error))
			return FALSE;
		if (!check_ancestor(ancestor, ret_link, error))
			return FALSE;
	}
	return TRUE;
}

gboolean
mesh_platform_private_dir(const char *path, gboolean create_parents, GError **error)
{
	g_autofree char *abs = g_canonicalize_filename(path, NULL);
	g_autofree char *parent = g_path_get_dirname(abs);
	gboolean link = FALSE;

	if (!check_ancestors(abs, create_parents, &link, error))
		return FALSE;
	if (link) {
		/* A link on the way (ours or root's) leads elsewhere: the folders of the real path
		 * must be as safe as those of the path given. */
		char *real = realpath(parent, NULL);
		g_autofree char *real_child = NULL;
		gboolean ok;

		if (real == NULL) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot resolve %s: %s",
				    parent, g_strerror(errno));
			return FALSE;
		}
		real_child = g_build_filename(real, "x", NULL);
		free(real);
		link = FALSE;
		ok = check_ancestors(real_child, FALSE, &link, error);
		if (!ok) {
			g_prefix_error(error, "%s leads through a symbolic link: ", path);
			return FALSE;
		}
	}
	if (!make_dir(abs, create_parents, error))
		return FALSE;
	return check_folder(abs, FALSE, error);
}

gboolean
mesh_platform_write_all(int fd, const guint8 *data, gsize len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return FALSE;
		}
		data += n;
		len -= (gsize)n;
	}
	return TRUE;
}

gboolean
mesh_platform_sync_folder(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int saved;
	gboolean ok;

	if (fd < 0)
		return FALSE;
	ok = fsync(fd) == 0 || errno == EINVAL;
	saved = errno;
	close(fd);
	errno = saved;
	return ok;
}

char *
mesh_platform_file_temp(const char *path, GError **error)
{
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *base = g_path_get_basename(path);
	g_autofree char *tmp = NULL;
	struct stat st;
	int fd, saved;

	if (stat(dir, &st) != 0) {
		saved = errno;
		g_set_error(error, MESH_ERROR,
			    saved == ENOENT ? MESH_ERROR_NOT_FOUND : MESH_ERROR_IO,
			    "cannot use the folder %s: %s%s", dir, g_strerror(saved),
			    saved == ENOENT ? ": create it first (mkdir -m 700)" : "");
		return NULL;
	}
	if (!S_ISDIR(st.st_mode) || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
			    S_ISDIR(st.st_mode)
				    ? "%s is writable by group or others, who could read or replace "
				      "what is written there: choose a folder of yours (or chmod go-w %s)"
				    : "%s is not a folder%.0s",
			    dir, dir);
		return NULL;
	}
	tmp = g_strdup_printf("%s/.%s.tmp-XXXXXX", dir, base);
	fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0600);
	/* Exactly 0600 whatever the umask. */
	if (fd < 0 || fchmod(fd, 0600) != 0) {
		saved = errno;
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot create a file in %s: %s%s",
			    dir, g_strerror(saved),
			    saved == EACCES || saved == EPERM || saved == EROFS
				    ? ": choose a folder this user may write to"
				    : "");
		return NULL;
	}
	close(fd);
	return g_steal_pointer(&tmp);
}

/* rename(2) that never replaces @to: renameat2's RENAME_NOREPLACE, or where the file system has
 * no such thing, link(2) (which never replaces either) and unlink. */
static int
rename_noreplace(const char *from, const char *to)
{
#ifdef RENAME_NOREPLACE
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
#endif
	if (link(from, to) != 0)
		return -1;
	unlink(from);
	return 0;
}

gboolean
mesh_platform_file_commit(const char *tmp, const char *path, gboolean replace, GError **error)
{
	g_autofree char *dir = g_path_get_dirname(path);
	int fd = open(tmp, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	const char *step = "flush the file made for";
	gboolean ok = fd >= 0 && fsync(fd) == 0;
	int saved = errno;

	if (fd >= 0)
		close(fd);
	if (ok) {
		step = "rename the file made to";
		ok = (replace ? rename(tmp, path) : rename_noreplace(tmp, path)) == 0;
		saved = errno;
	}
	if (ok) {
		step = "flush the folder of";
		ok = mesh_platform_sync_folder(dir);
		saved = errno;
	}
	if (!ok && saved == EEXIST && !replace) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
			    "%s exists already: choose another name, or remove it first", path);
		return FALSE;
	}
	if (!ok)
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
			    "cannot %s %s: %s; check that the disk is not full", step, path,
			    g_strerror(saved));
	return ok;
}

gboolean
mesh_platform_write_atomic(const char *path, const guint8 *data, gsize len, GError **error)
{
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *base = g_path_get_basename(path);
	g_autofree char *tmp = g_strdup_printf("%s/.%s.tmp-XXXXXX", dir, base);
	const char *step = "create a temporary file for";
	gboolean created = FALSE, ok = FALSE;
	int fd, saved;

	fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		goto out;
	created = TRUE;
	/* Exactly 0600 whatever the umask. */
	step = "write";
	if (fchmod(fd, 0600) != 0 || !mesh_platform_write_all(fd, data, len))
		goto out;
	step = "flush";
	if (fsync(fd) != 0)
		goto out;
	step = "close";
	ok = close(fd) == 0;
	fd = -1;
	if (!ok)
		goto out;
	step = "replace";
	ok = rename(tmp, path) == 0;
	if (!ok)
		goto out;
	created = FALSE;
	step = "flush the folder of";
	ok = mesh_platform_sync_folder(dir);
out:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (created)
		unlink(tmp);
	if (!ok)
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
			    "cannot %s %s: %s; check that its folder exists and is writable and "
			    "that the disk is not full",
			    step, path, g_strerror(saved));
	return ok;
}
