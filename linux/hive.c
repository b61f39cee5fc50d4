/* SPDX-License-Identifier: MIT */
#include "hive.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "platform.h"
#include "platform-private.h"

/*
 * The directory-tree hive (docs/design.md "Hives"): root/<MathematicalMesh|CryptoMesh>/<Folder>/<name>,
 * one file per entry. Folders are checked once, at open; entries are written through
 * mesh_platform_write_atomic() and read without following symbolic links.
 */

typedef struct {
	MeshHive base;
	char *location;                     /* root/<hive folder> */
	char *folders[MESH_HIVE_N_FOLDERS]; /* location/<folder> */
} DirHive;

static char *
entry_path(MeshHive *hive, MeshHiveFolder folder, const char *name)
{
	/* Only the dispatchers in core/hive.c call the class, after mesh_hive_check_name(). */
	return g_build_filename(((DirHive *)hive)->folders[folder], name, NULL);
}

/* check_entry: the open entry @fd is a regular file of this user that nobody else may read or
 * change; its status in @ret_st. */
static gboolean
check_entry(int fd, const char *path, struct stat *ret_st, GError **error)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot inspect %s: %s", path,
			    g_strerror(errno));
		return FALSE;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
			    "%s is not a regular file: remove it, a hive entry is a plain file",
			    path);
		return FALSE;
	}
	/* As for the folders (and as OpenSSH does for private keys): an entry someone else owns,
	 * or that others may read or change, is not used; the Mesh writes every entry 0600. */
	if ((guint64)st.st_uid != mesh_platform_uid()) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
			    "%s belongs to uid %u, not to you (uid %" G_GUINT64_FORMAT
			    "): it is not used; if it is yours, run 'chown %" G_GUINT64_FORMAT
			    " %s' as root, else remove it",
			    path, (unsigned)st.st_uid, mesh_platform_uid(), mesh_platform_uid(),
			    path);
		return FALSE;
	}
	if ((st.st_mode & 077) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
			    "%s may be read or changed by others (mode %04o): it is not used; run "
			    "'chmod 600 %s' (if it holds a private key that others could read, "
			    "consider that key exposed)",
			    path, (unsigned)(st.st_mode & 07777), path);
		return FALSE;
	}
	*ret_st = st;
	return TRUE;
}

static gboolean
read_all(int fd, const char *path, gsize max_len, GBytes **ret_data, GError **error)
{
	g_autofree guint8 *buf = NULL;
	struct stat st;
	gsize size, got = 0;

	if (!check_entry(fd, path, &st, error))
		return FALSE;
	/* Before allocating: the size on disk is not trusted. */
	if (st.st_size < 0 || (guint64)st.st_size > max_len) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "%s holds %" G_GUINT64_FORMAT " bytes, more than the %" G_GSIZE_FORMAT
			    " expected: it is damaged or was not written by the Mesh; move it away",
			    path, (guint64)st.st_size, max_len);
		return FALSE;
	}
	size = (gsize)st.st_size;
	buf = g_malloc(MAX(size, 1));
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot read %s: %s", path,
				    g_strerror(errno));
			return FALSE;
		}
		if (n == 0)
			break;
		got += (gsize)n;
	}
	*ret_data = g_bytes_new_take(g_steal_pointer(&buf), got);
	return TRUE;
}

static gboolean
dir_read(MeshHive *hive, MeshHiveFolder folder, const char *name, gsize max_len,
	 GBytes **ret_data, GError **error)
{
	g_autofree char *path = entry_path(hive, folder, name);
	gboolean ok;
	int fd;

	/* O_NONBLOCK: a FIFO planted in the folder must not hang the reader (read_all refuses
	 * anything but a regular file). */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int saved = errno;

		if (saved == ENOENT)
			g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
				    "%s does not exist: no %s entry '%s' in the %s hive", path,
				    mesh_hive_folder_name(folder), name,
				    mesh_hive_kind_name(hive->kind));
		else if (saved == ELOOP)
			g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
				    "%s is a symbolic link, not a hive entry: remove it", path);
		else
			g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
				    "cannot open %s: %s; check that %s is a folder of yours", path,
				    g_strerror(saved), ((DirHive *)hive)->folders[folder]);
		return FALSE;
	}
	ok = read_all(fd, path, max_len, ret_data, error);
	close(fd);
	return ok;
}

static gboolean
dir_write(MeshHive *hive, MeshHiveFolder folder, const char *name, const guint8 *data,
	  gsize len, GError **error)
{
	g_autofree char *path = entry_path(hive, folder, name);

	return mesh_platform_write_atomic(path, data, len, error);
}

static gboolean
dir_remove(MeshHive *hive, MeshHiveFolder folder, const char *name, GError **error)
{
	const char *dir = ((DirHive *)hive)->folders[folder];
	g_autofree char *path = entry_path(hive, folder, name);

	if (unlink(path) != 0) {
		int saved = errno;

		g_set_error(error, MESH_ERROR,
			    saved == ENOENT ? MESH_ERROR_NOT_FOUND : MESH_ERROR_IO,
			    "cannot remove %s: %s", path, g_strerror(saved));
		return FALSE;
	}
	/* Make the removal durable. */
	if (!mesh_platform_sync_folder(dir)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
			    "removed %s but cannot flush %s: %s; check the disk", path, dir,
			    g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

/*
 * One write(2) of the whole record on a descriptor opened O_APPEND: the kernel places it at the
 * end at once, so appends of concurrent writers never interleave, and a process killed after
 * the call returned has lost nothing. An entry is created only by O_EXCL, so that it is known
 * to be new (the folder is then synced too, at the first sync) and made exactly 0600 whatever
 * the umask. The open entry, for dir_append and the appender (append_open) alike:
 */
typedef struct {
	int fd;
	char *path;
	const char *dir;
	gboolean created; /* and its folder not synced since */
} Appending;

static void
appending_free(Appending *ap)
{
	if (ap == NULL)
		return;
	if (ap->fd >= 0)
		close(ap->fd);
	g_free(ap->path);
	g_free(ap);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Appending, appending_free)

static Appending *
appending_open(MeshHive *hive, MeshHiveFolder folder, const char *name, GError **error)
{
	g_autoptr(Appending) ap = g_new0(Appending, 1);
	const int flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
	struct stat st;
	int saved;

	ap->dir = ((DirHive *)hive)->folders[folder];
	ap->path = entry_path(hive, folder, name);
	/* O_NONBLOCK, as for reading: a FIFO planted there must not hang the writer. */
	ap->fd = open(ap->path, flags);
	if (ap->fd < 0 && errno == ENOENT) {
		ap->fd = open(ap->path, flags | O_CREAT | O_EXCL, 0600);
		ap->created = ap->fd >= 0;
		/* Another writer made it in between: append to theirs. */
		if (ap->fd < 0 && errno == EEXIST)
			ap->fd = open(ap->path, flags);
	}
	if (ap->fd < 0) {
		saved = errno;
		if (saved == ELOOP)
			g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
				    "%s is a symbolic link, not a hive entry: remove it", ap->path);
		else
			g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
				    "cannot open %s: %s; check that %s is a folder of yours",
				    ap->path, g_strerror(saved), ap->dir);
		return NULL;
	}
	if (ap->created && fchmod(ap->fd, 0600) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot make %s private: %s", ap->path,
			    g_strerror(errno));
		return NULL;
	}
	if (!check_entry(ap->fd, ap->path, &st, error))
		return NULL;
	return g_steal_pointer(&ap);
}

static gboolean
appending_write(Appending *ap, const guint8 *data, gsize len, gboolean sync, GError **error)
{
	const char *step = "append to";

	if (!mesh_platform_write_all(ap->fd, data, len))
		goto fail;
	step = "flush";
	if (sync && fdatasync(ap->fd) != 0)
		goto fail;
	step = "flush the folder of";
	if (sync && ap->created && !mesh_platform_sync_folder(ap->dir))
		goto fail;
	if (sync)
		ap->created = FALSE;
	return TRUE;
fail:
	g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
		    "cannot %s %s: %s; check that the disk is not full", step, ap->path,
		    g_strerror(errno));
	return FALSE;
}

static gboolean
dir_append(MeshHive *hive, MeshHiveFolder folder, const char *name, const guint8 *data,
	   gsize len, gboolean sync, GError **error)
{
	g_autoptr(Appending) ap = appending_open(hive, folder, name, error);

	return ap != NULL && appending_write(ap, data, len, sync, error);
}

static gpointer
dir_append_open(MeshHive *hive, MeshHiveFolder folder, const char *name, GError **error)
{
	return appending_open(hive, folder, name, error);
}

static gboolean
dir_append_handle(MeshHive *hive, gpointer handle, const guint8 *data, gsize len, gboolean sync,
		  GError **error)
{
	(void)hive;
	return appending_write(handle, data, len, sync, error);
}

static void
dir_append_release(MeshHive *hive, gpointer handle)
{
	(void)hive;
	appending_free(handle);
}

/* lstat: a symbolic link is stamped as itself (and refused when read). The change time moves on
 * every write, rename onto, chmod and chown, and cannot be set back by the user. */
static gboolean
dir_stamp(MeshHive *hive, MeshHiveFolder folder, const char *name, MeshHiveStamp *ret_stamp,
	  GError **error)
{
	g_autofree char *path = entry_path(hive, folder, name);
	struct stat st;

	if (lstat(path, &st) != 0) {
		int saved = errno;

		g_set_error(error, MESH_ERROR,
			    saved == ENOENT ? MESH_ERROR_NOT_FOUND : MESH_ERROR_IO,
			    "cannot inspect %s: %s", path, g_strerror(saved));
		return FALSE;
	}
	ret_stamp->v[0] = (guint64)st.st_dev;
	ret_stamp->v[1] = (guint64)st.st_ino;
	ret_stamp->v[2] = (guint64)st.st_size;
	ret_stamp->v[3] = ((guint64)st.st_mode << 32) | (guint64)st.st_uid;
	ret_stamp->v[4] = (guint64)st.st_mtim.tv_sec * G_GUINT64_CONSTANT(1000000000) +
			  (guint64)st.st_mtim.tv_nsec;
	ret_stamp->v[5] = (guint64)st.st_ctim.tv_sec * G_GUINT64_CONSTANT(1000000000) +
			  (guint64)st.st_ctim.tv_nsec;
	return TRUE;
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static gboolean
dir_list(MeshHive *hive, MeshHiveFolder folder, GPtrArray **ret_names, GError **error)
{
	const char *path = ((DirHive *)hive)->folders[folder];
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) local = NULL;
	g_autoptr(GDir) dir = g_dir_open(path, 0, &local);
	const char *name;

	if (dir == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
			    "cannot list %s: %s; check that the folder exists and is yours",
			    path, local->message);
		return FALSE;
	}
	/* Temporary files of unfinished writes start with '.'; no other name that fails the
	 * check could have been written through the hive, and none could be read back. */
	while ((name = g_dir_read_name(dir)) != NULL) {
		if (strcmp(name, MESH_HIVE_DEFAULT) != 0 && mesh_hive_check_name(name, NULL))
			g_ptr_array_add(names, g_strdup(name));
	}
	g_ptr_array_sort(names, compare_names);
	*ret_names = g_steal_pointer(&names);
	return TRUE;
}

static const char *
dir_location(MeshHive *hive)
{
	return ((DirHive *)hive)->location;
}

static void
dir_close(MeshHive *hive)
{
	DirHive *dir = (DirHive *)hive;

	/* Also called on a half-opened hive. */
	for (int f = 0; f < MESH_HIVE_N_FOLDERS; f++)
		g_free(dir->folders[f]);
	g_free(dir->location);
	g_free(dir);
}

static const MeshHiveClass dir_hive_class = {
	.read = dir_read,
	.write = dir_write,
	.append = dir_append,
	.append_open = dir_append_open,
	.append_handle = dir_append_handle,
	.append_release = dir_append_release,
	.remove = dir_remove,
	.list = dir_list,
	.stamp = dir_stamp,
	.location = dir_location,
	.close = dir_close,
};

MeshHive *
mesh_hive_open(MeshHiveKind kind, const char *root, GError **error)
{
	g_autofree char *home = root != NULL && *root != '\0' ? g_strdup(root)
							       : mesh_platform_mmm_home();
	g_autofree char *base = g_canonicalize_filename(home, NULL);
	DirHive *dir = g_new0(DirHive, 1);
	g_autoptr(MeshHive) hive = &dir->base;

	hive->klass = &dir_hive_class;
	hive->kind = kind;
	/* Outside in, so that nothing is created inside a folder that failed its check. */
	if (!mesh_platform_private_dir(base, TRUE, error))
		return NULL;
	dir->location = g_build_filename(base, mesh_hive_kind_dirname(kind), NULL);
	if (!mesh_platform_private_dir(dir->location, FALSE, error))
		return NULL;
	for (int f = 0; f < MESH_HIVE_N_FOLDERS; f++) {
		dir->folders[f] = g_build_filename(dir->location,
						   mesh_hive_folder_name((MeshHiveFolder)f), NULL);
		if (!mesh_platform_private_dir(dir->folders[f], FALSE, error))
			return NULL;
	}
	return g_steal_pointer(&hive);
}
