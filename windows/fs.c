/* SPDX-License-Identifier: MIT */
/*
 * The file-system half of core/platform.h on Windows: the Mesh's home folder, private folders
 * and files (owner-only DACLs instead of modes 0700/0600), and atomic replacement. The contracts
 * are linux/platform.c's and linux/io.c's; docs/design.md "The hive on Windows".
 */
#include "platform.h"
#include "platform-private.h"

#include <shlobj.h>
#include <knownfolders.h>
#include <string.h>

#include "error.h"

/* Under the LocalAppData known folder: the hives' data folders (MathematicalMesh, CryptoMesh)
 * go inside, as they go inside ~/.mmm on Linux. Local, not Roaming: the keys of this device
 * must not travel with a roaming profile. */
#define HOME_NAME "Mesh"

/* How often, and how long apart, a replace is tried again while a reader holds the file open
 * (Windows refuses to rename over a file that is open, even with FILE_SHARE_DELETE, until it
 * is closed). */
#define REPLACE_TRIES 200
#define REPLACE_PAUSE_MS 10

char *
mesh_platform_mmm_home(void)
{
	const char *home = g_getenv("MMM_HOME");
	PWSTR local = NULL;
	g_autofree char *utf8 = NULL;

	if (home != NULL && *home != '\0')
		return g_strdup(home);
	if (SHGetKnownFolderPath(&FOLDERID_LocalAppData, KF_FLAG_DEFAULT, NULL, &local) == S_OK)
		utf8 = mesh_win_utf8(local);
	CoTaskMemFree(local);
	/* Without the known folder (a service account without a profile, say), GLib's answer,
	 * which reads the same folder through other means. */
	if (utf8 == NULL)
		utf8 = g_strdup(g_get_user_data_dir());
	return g_build_filename(utf8, HOME_NAME, NULL);
}

/*
 * Open @wpath itself (never what a reparse point at it leads to) for reading its attributes and
 * security descriptor. INVALID_HANDLE_VALUE with GetLastError() set when it cannot be opened.
 */
static HANDLE
open_inspect(const wchar_t *wpath)
{
	return CreateFileW(wpath, FILE_READ_ATTRIBUTES | READ_CONTROL,
			   FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
			   FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
}

/* The reparse point message: a junction or symbolic link is never followed to a private
 * folder or file (its target can be changed under us), the counterpart of linux's refusal of
 * symbolic links. */
static void
set_reparse_error(GError **error, const char *path)
{
	g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
		    "%s is a junction or symbolic link (a reparse point), and the Mesh keeps "
		    "nothing behind one: name the real folder instead (for the hives, "
		    "MMM_HOME=FOLDER), or move the folder here",
		    path);
}

/* check_folder: @path (open handle @h) is a folder, not a reparse point, of this user alone. */
static gboolean
check_folder(HANDLE h, const char *path, GError **error)
{
	BY_HANDLE_FILE_INFORMATION info;

	if (!GetFileInformationByHandle(h, &info)) {
		mesh_win_set_error(error, GetLastError(), MESH_ERROR_IO, "cannot inspect %s", path);
		return FALSE;
	}
	if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
		set_reparse_error(error, path);
		return FALSE;
	}
	if (!(info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
			    "%s is not a folder: move it away and try again", path);
		return FALSE;
	}
	return mesh_win_check_owner_only(h, SE_FILE_OBJECT, path, error);
}

/* make_dir: create @path with the owner-only descriptor; an existing one is left for the
 * checks to judge. */
static gboolean
make_dir(const char *path, gboolean create_parents, GError **error)
{
	g_autofree wchar_t *wpath = mesh_win_wide(path, error);
	g_autofree char *reason = NULL;
	MeshWinPrivate priv = { 0 };
	DWORD err;
	gboolean made;

	if (wpath == NULL)
		return FALSE;
	/* Inherited by what is made inside, so that a file another program drops in the folder
	 * is still this user's alone. */
	if (!mesh_win_private_init(&priv, FILE_ALL_ACCESS, TRUE, error))
		return FALSE;
	made = CreateDirectoryW(wpath, &priv.sa);
	err = made ? ERROR_SUCCESS : GetLastError();
	mesh_win_private_clear(&priv);
	if (made || err == ERROR_ALREADY_EXISTS)
		return TRUE;
	reason = mesh_win_reason(err);
	g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot create the folder %s: %s%s", path,
		    reason,
		    err == ERROR_PATH_NOT_FOUND && !create_parents
			    ? ": create its parent folder first"
			    : "");
	return FALSE;
}

/* make_parents: the missing folders above @abs, from the top, owner-only like the folder
 * itself (linux/platform.c makes them 0700). Existing ones are left as they are: they are the
 * user's profile folders, whose DACLs Windows manages. */
static gboolean
make_parents(const char *abs, GError **error)
{
	g_autoptr(GPtrArray) missing = g_ptr_array_new_with_free_func(g_free);
	char *dir = g_path_get_dirname(abs);

	for (;;) {
		g_autofree wchar_t *wdir = mesh_win_wide(dir, NULL);
		char *up;

		if (wdir == NULL || GetFileAttributesW(wdir) != INVALID_FILE_ATTRIBUTES)
			break;
		up = g_path_get_dirname(dir);
		g_ptr_array_add(missing, dir);
		/* The top ("C:\\", "\\\\server\\share\\") is its own parent. */
		if (strcmp(up, dir) == 0) {
			g_free(up);
			dir = NULL;
			break;
		}
		dir = up;
	}
	g_free(dir);
	for (guint i = missing->len; i > 0; i--) {
		if (!make_dir(missing->pdata[i - 1], TRUE, error))
			return FALSE;
	}
	return TRUE;
}

gboolean
mesh_platform_private_dir(const char *path, gboolean create_parents, GError **error)
{
	g_autofree char *abs = g_canonicalize_filename(path, NULL);
	g_autofree wchar_t *wpath = NULL;
	HANDLE h;
	gboolean ok;

	if (create_parents && !make_parents(abs, error))
		return FALSE;
	if (!make_dir(abs, create_parents, error))
		return FALSE;
	wpath = mesh_win_wide(abs, error);
	if (wpath == NULL)
		return FALSE;
	h = open_inspect(wpath);
	if (h == INVALID_HANDLE_VALUE) {
		mesh_win_set_error(error, GetLastError(), MESH_ERROR_IO, "cannot inspect %s", abs);
		return FALSE;
	}
	ok = check_folder(h, abs, error);
	CloseHandle(h);
	return ok;
}

/* A temporary name beside @path that no hive entry can have (entries never start with '.'). */
static char *
temp_name(const char *path)
{
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *base = g_path_get_basename(path);
	g_autofree char *leaf = g_strdup_printf(".%s.tmp-%08x%08x", base, g_random_int(),
						g_random_int());

	return g_build_filename(dir, leaf, NULL);
}

gboolean
mesh_win_write_all(HANDLE h, const guint8 *data, gsize len)
{
	while (len > 0) {
		DWORD chunk = (DWORD)MIN(len, (gsize)1 << 30), done = 0;

		if (!WriteFile(h, data, chunk, &done, NULL) || done == 0)
			return FALSE;
		data += done;
		len -= done;
	}
	return TRUE;
}

gboolean
mesh_platform_write_atomic(const char *path, const guint8 *data, gsize len, GError **error)
{
	g_autofree char *tmp = temp_name(path);
	g_autofree wchar_t *wpath = mesh_win_wide(path, error);
	g_autofree wchar_t *wtmp = NULL;
	g_autofree char *reason = NULL;
	MeshWinPrivate priv = { 0 };
	const char *step = "create a temporary file for";
	HANDLE h = INVALID_HANDLE_VALUE;
	gboolean created = FALSE, ok = FALSE;
	DWORD err = ERROR_SUCCESS;

	if (wpath == NULL)
		return FALSE;
	wtmp = mesh_win_wide(tmp, error);
	if (wtmp == NULL)
		return FALSE;
	/* Owner-only from its first byte; not inherited by anything (a file has no children).
	 * CREATE_NEW: never into a file someone put there under the temporary name. */
	if (!mesh_win_private_init(&priv, FILE_ALL_ACCESS, FALSE, error))
		return FALSE;
	h = CreateFileW(wtmp, GENERIC_WRITE, 0, &priv.sa, CREATE_NEW,
			FILE_ATTRIBUTE_NORMAL | FILE_FLAG_WRITE_THROUGH, NULL);
	mesh_win_private_clear(&priv);
	if (h == INVALID_HANDLE_VALUE)
		goto out;
	created = TRUE;
	step = "write";
	if (!mesh_win_write_all(h, data, len))
		goto out;
	step = "flush";
	if (!FlushFileBuffers(h))
		goto out;
	step = "close";
	ok = CloseHandle(h);
	h = INVALID_HANDLE_VALUE;
	if (!ok)
		goto out;
	step = "replace";
	/* A reader that has the file open makes the rename fail for as long as it keeps it: such
	 * reads are short (the hive reads an entry whole and closes it), so try again a while. */
	for (int i = 0; i < REPLACE_TRIES; i++) {
		ok = MoveFileExW(wtmp, wpath, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH);
		if (ok)
			break;
		err = GetLastError();
		if (err != ERROR_ACCESS_DENIED && err != ERROR_SHARING_VIOLATION)
			break;
		Sleep(REPLACE_PAUSE_MS);
	}
	if (ok)
		created = FALSE;
out:
	if (!ok && err == ERROR_SUCCESS)
		err = GetLastError();
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	if (created)
		DeleteFileW(wtmp);
	if (!ok) {
		reason = mesh_win_reason(err);
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
			    "cannot %s %s: %s; check that its folder exists and is writable and "
			    "that the disk is not full",
			    step, path, reason);
	}
	return ok;
}

gboolean
mesh_platform_private_file(const char *path, const char *what, GError **error)
{
	g_autofree wchar_t *wpath = mesh_win_wide(path, error);
	g_autofree char *reason = NULL;
	g_autofree char *label = NULL;
	BY_HANDLE_FILE_INFORMATION info;
	MeshWinPrivate priv = { 0 };
	HANDLE h;
	DWORD err;
	gboolean ok;

	if (wpath == NULL)
		return FALSE;
	if (!mesh_win_private_init(&priv, FILE_ALL_ACCESS, FALSE, error))
		return FALSE;
	/* OPEN_ALWAYS: created empty and owner-only when missing. FILE_FLAG_OPEN_REPARSE_POINT:
	 * a link in place of the file is opened as itself, and refused below. */
	h = CreateFileW(wpath, GENERIC_READ | GENERIC_WRITE | READ_CONTROL,
			FILE_SHARE_READ | FILE_SHARE_WRITE, &priv.sa, OPEN_ALWAYS,
			FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	err = GetLastError();
	mesh_win_private_clear(&priv);
	if (h == INVALID_HANDLE_VALUE) {
		reason = mesh_win_reason(err);
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot open %s %s: %s", what, path,
			    reason);
		return FALSE;
	}
	if (!GetFileInformationByHandle(h, &info)) {
		mesh_win_set_error(error, GetLastError(), MESH_ERROR_IO, "cannot inspect %s %s",
				   what, path);
		CloseHandle(h);
		return FALSE;
	}
	if (info.dwFileAttributes & (FILE_ATTRIBUTE_REPARSE_POINT | FILE_ATTRIBUTE_DIRECTORY)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
			    "%s %s is not a regular file of this user (a link or a folder): move "
			    "it away",
			    what, path);
		CloseHandle(h);
		return FALSE;
	}
	label = g_strdup_printf("%s %s", what, path);
	ok = mesh_win_check_owner_only(h, SE_FILE_OBJECT, label, error);
	CloseHandle(h);
	return ok;
}

char *
mesh_platform_file_temp(const char *path, GError **error)
{
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree wchar_t *wdir = mesh_win_wide(dir, error);
	g_autofree char *tmp = temp_name(path);
	g_autofree wchar_t *wtmp = NULL;
	MeshWinPrivate priv = { 0 };
	HANDLE h;
	DWORD err;
	gboolean ok;

	if (wdir == NULL || (wtmp = mesh_win_wide(tmp, error)) == NULL)
		return NULL;
	h = open_inspect(wdir);
	if (h == INVALID_HANDLE_VALUE) {
		err = GetLastError();
		mesh_win_set_error(error, err,
				   err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND
					   ? MESH_ERROR_NOT_FOUND
					   : MESH_ERROR_IO,
				   "cannot use the folder %s", dir);
		return NULL;
	}
	/* The counterpart of linux's "writable by group or others": a folder others may change
	 * is refused, since they could swap the file or take its name first. */
	ok = check_folder(h, dir, error);
	CloseHandle(h);
	if (!ok)
		return NULL;
	/* Owner-only from its first byte; CREATE_NEW: never a file someone put there. */
	if (!mesh_win_private_init(&priv, FILE_ALL_ACCESS, FALSE, error))
		return NULL;
	h = CreateFileW(wtmp, GENERIC_WRITE, 0, &priv.sa, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
	err = GetLastError();
	mesh_win_private_clear(&priv);
	if (h == INVALID_HANDLE_VALUE) {
		mesh_win_set_error(error, err, MESH_ERROR_IO,
				   "cannot create a file in %s (choose a folder this user may write "
				   "to)",
				   dir);
		return NULL;
	}
	CloseHandle(h);
	return g_steal_pointer(&tmp);
}

gboolean
mesh_platform_file_commit(const char *tmp, const char *path, gboolean replace, GError **error)
{
	g_autofree wchar_t *wtmp = mesh_win_wide(tmp, error);
	g_autofree wchar_t *wpath = NULL;
	const char *step = "flush the file made for";
	HANDLE h;
	DWORD err = ERROR_SUCCESS;
	gboolean ok;

	if (wtmp == NULL || (wpath = mesh_win_wide(path, error)) == NULL)
		return FALSE;
	h = CreateFileW(wtmp, GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
			FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	ok = h != INVALID_HANDLE_VALUE && FlushFileBuffers(h);
	if (!ok)
		err = GetLastError();
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	if (ok) {
		/* WRITE_THROUGH: the rename is on the disk when it returns (no folder to flush);
		 * without REPLACE_EXISTING an existing @path is refused, atomically. */
		step = "rename the file made to";
		ok = MoveFileExW(wtmp, wpath,
				 MOVEFILE_WRITE_THROUGH | (replace ? MOVEFILE_REPLACE_EXISTING : 0));
		if (!ok)
			err = GetLastError();
	}
	if (!ok && !replace && (err == ERROR_ALREADY_EXISTS || err == ERROR_FILE_EXISTS)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
			    "%s exists already: choose another name, or remove it first", path);
		return FALSE;
	}
	if (!ok)
		mesh_win_set_error(error, err, MESH_ERROR_IO,
				   "cannot %s %s; check that the disk is not full", step, path);
	return ok;
}
