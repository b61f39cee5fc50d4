/* SPDX-License-Identifier: MIT */
/*
 * MeshHive on the registry, in the seeds' layout (docs/design.md "The hive on Windows"):
 *
 *   HKCU\SOFTWARE\<MathematicalMesh|CryptoMesh>[-<8 hex>]\<Folder>
 *     (default)   REG_SZ  the folder's "default" entry: the default entry's name
 *     Accounts:   REG_SZ  <entry name> = the UDF of the account's profile: the record's
 *                         top-level "Profile" string, "" when it has none
 *     the others: REG_SZ  <entry name less ".json"> = the full path of the data file
 *
 * Every entry's bytes are in the data file <root>\<hive>\<Folder>\<entry name>, which is written
 * (owner-only, atomically) before the entry's registry value and removed after the value is
 * gone, so a crash leaves at most a file without a value, never a value without a whole file.
 * Keys and folders are created owner-only and checked when opened, as linux/hive.c refuses
 * folders others may change.
 */
#include "hive.h"

#include <string.h>

#include "error.h"
#include "json-peek.h"
#include "platform.h"
#include "platform-private.h"

/* An Accounts value holds a string of the record, which is read only up to this size. */
#define PROFILE_MAX MESH_JSON_PEEK_MAX
/* The account record's member that names its profile (core/session.c account_write). */
#define PROFILE_MEMBER "Profile"
/* Profiles are "<udf>.json": the registry value is named by the UDF, as in the seeds. */
#define JSON_SUFFIX ".json"

typedef struct {
	MeshHive base;
	char *location;                     /* "HKEY_CURRENT_USER\SOFTWARE\<key>", for messages */
	char *data;                         /* <root>\<hive folder> */
	char *folders[MESH_HIVE_N_FOLDERS]; /* data\<Folder> */
	HKEY keys[MESH_HIVE_N_FOLDERS];     /* <key>\<Folder>, KEY_ALL_ACCESS */
} RegHive;

static RegHive *
reg(MeshHive *hive)
{
	return (RegHive *)hive;
}

/* Whether the folder's values name their data files; an Accounts value holds the profile UDF
 * (the seeds' layout) and its data file is found by the entry's name alone. */
static gboolean
names_file(MeshHiveFolder folder)
{
	return folder != MESH_HIVE_ACCOUNTS;
}

static gboolean
is_default(const char *name)
{
	return strcmp(name, MESH_HIVE_DEFAULT) == 0;
}

/* "<key>\<Folder>\<value>" for messages; "(default)" as reg.exe shows the unnamed value. */
static char *
value_label(MeshHive *hive, MeshHiveFolder folder, const char *value)
{
	return g_strdup_printf("%s\\%s\\%s", reg(hive)->location, mesh_hive_folder_name(folder),
			       *value != '\0' ? value : "(default)");
}

/*
 * The registry value of the entry @name: "" (the key's default value) for MESH_HIVE_DEFAULT; in
 * a file folder @name less ".json"; else @name.
 */
static char *
value_name(MeshHiveFolder folder, const char *name)
{
	if (is_default(name))
		return g_strdup("");
	if (names_file(folder) && g_str_has_suffix(name, JSON_SUFFIX))
		return g_strndup(name, strlen(name) - strlen(JSON_SUFFIX));
	return g_strdup(name);
}

/* The data file of the entry @name (not the default). */
static char *
file_path(MeshHive *hive, MeshHiveFolder folder, const char *name)
{
	return g_build_filename(reg(hive)->folders[folder], name, NULL);
}

/*
 * read_value: the REG_SZ value @value of @folder's key as UTF-8 (at most @max_len bytes of it;
 * else MESH_ERROR_TOO_LARGE). MESH_ERROR_NOT_FOUND when there is none; MESH_ERROR_IO for a value
 * of another type or text that is not well-formed.
 */
static gboolean
read_value(MeshHive *hive, MeshHiveFolder folder, const char *value, gsize max_len,
	   char **ret_text, gsize *ret_len, GError **error)
{
	g_autofree wchar_t *wvalue = mesh_win_wide(value, error);
	g_autofree char *label = NULL;
	g_autofree wchar_t *buf = NULL;
	g_autofree char *text = NULL;
	DWORD type = 0, size = 0;
	LSTATUS st;
	gsize len;

	if (wvalue == NULL)
		return FALSE;
	label = value_label(hive, folder, value);
	/* Size first, then the data; a value that changes in between is asked again. */
	for (int tries = 0;; tries++) {
		st = RegQueryValueExW(reg(hive)->keys[folder], wvalue, NULL, &type, NULL, &size);
		if (st != ERROR_SUCCESS)
			break;
		if (type != REG_SZ) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
				    "%s is not a REG_SZ value (type %lu): the Mesh did not write it; "
				    "remove it",
				    label, (unsigned long)type);
			return FALSE;
		}
		/* UTF-16 takes at most 2 bytes per UTF-8 byte and a terminator: a value larger
		 * than that cannot fit in @max_len bytes of UTF-8 (3 bytes per unit at worst),
		 * and is refused before anything is allocated for it. */
		if (size / 2 > (DWORD)MIN(max_len, (gsize)MESH_HIVE_ENTRY_MAX) + 1) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
				    "%s holds %lu bytes, more than the %" G_GSIZE_FORMAT
				    " expected: it is damaged or was not written by the Mesh; "
				    "remove it",
				    label, (unsigned long)size, max_len);
			return FALSE;
		}
		g_clear_pointer(&buf, g_free);
		buf = g_malloc0(size + 2 * sizeof(wchar_t));
		st = RegQueryValueExW(reg(hive)->keys[folder], wvalue, NULL, &type, (BYTE *)buf,
				      &size);
		if (st != ERROR_MORE_DATA || tries > 4)
			break;
	}
	if (st != ERROR_SUCCESS) {
		if (mesh_win_error_code((DWORD)st, MESH_ERROR_IO) == MESH_ERROR_NOT_FOUND)
			g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
				    "no %s entry in the %s hive: %s does not exist",
				    mesh_hive_folder_name(folder), mesh_hive_kind_name(hive->kind),
				    label);
		else
			mesh_win_set_error(error, (DWORD)st, MESH_ERROR_IO, "cannot read %s", label);
		return FALSE;
	}
	/* REG_SZ data need not end with its terminator (the buffer has two spare zeros), and
	 * may end with more than one. Text with a NUL inside is not text the Mesh wrote. */
	{
		gsize units = size / 2;

		while (units > 0 && buf[units - 1] == L'\0')
			units--;
		if (size % 2 != 0 || wcslen(buf) != units) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
				    "%s holds a NUL inside its text: it was not written by the "
				    "Mesh; remove it",
				    label);
			return FALSE;
		}
	}
	text = mesh_win_utf8(buf);
	if (text == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
			    "%s is not well-formed UTF-16: it was not written by the Mesh; remove it",
			    label);
		return FALSE;
	}
	len = strlen(text);
	if (len > max_len) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "%s holds %" G_GSIZE_FORMAT " bytes, more than the %" G_GSIZE_FORMAT
			    " expected: it is damaged or was not written by the Mesh; remove it",
			    label, len, max_len);
		return FALSE;
	}
	*ret_text = g_steal_pointer(&text);
	*ret_len = len;
	return TRUE;
}

/* write_value: @text (UTF-8, no NUL) as the REG_SZ value @value of @folder's key. */
static gboolean
write_value(MeshHive *hive, MeshHiveFolder folder, const char *value, const char *text,
	    GError **error)
{
	g_autofree wchar_t *wvalue = mesh_win_wide(value, error);
	g_autofree wchar_t *wtext = NULL;
	g_autofree char *label = NULL;
	LSTATUS st;

	if (wvalue == NULL)
		return FALSE;
	wtext = mesh_win_wide(text, error);
	if (wtext == NULL)
		return FALSE;
	st = RegSetValueExW(reg(hive)->keys[folder], wvalue, 0, REG_SZ, (const BYTE *)wtext,
			    (DWORD)((wcslen(wtext) + 1) * sizeof(wchar_t)));
	if (st != ERROR_SUCCESS) {
		label = value_label(hive, folder, value);
		mesh_win_set_error(error, (DWORD)st, MESH_ERROR_IO, "cannot write %s", label);
		return FALSE;
	}
	/* Made durable before the caller goes on (removing the file of an older value, say). */
	RegFlushKey(reg(hive)->keys[folder]);
	return TRUE;
}

/*
 * entry_file: the data file the value of @name names, checked: it must be @name's own file in
 * this hive's data folder (a value pointing elsewhere is not followed: the hive reads only the
 * files it wrote). MESH_ERROR_NOT_FOUND when the value belongs to another entry ("X" and
 * "X.json" share the value X).
 */
static gboolean
entry_file(MeshHive *hive, MeshHiveFolder folder, const char *name, char **ret_path,
	   char **ret_other, GError **error)
{
	g_autofree char *value = value_name(folder, name);
	g_autofree char *want = file_path(hive, folder, name);
	g_autofree char *path = NULL, *base = NULL, *dir = NULL, *label = NULL;
	gsize len = 0;

	/* MAX_PATH is no limit for the W functions; 32767 UTF-16 units is. */
	if (!read_value(hive, folder, value, 3 * 32767, &path, &len, error))
		return FALSE;
	base = g_path_get_basename(path);
	dir = g_path_get_dirname(path);
	if (g_ascii_strcasecmp(dir, reg(hive)->folders[folder]) == 0 &&
	    g_ascii_strcasecmp(base, name) == 0 && g_ascii_strcasecmp(path, want) == 0) {
		*ret_path = g_steal_pointer(&want);
		return TRUE;
	}
	label = value_label(hive, folder, value);
	if (g_ascii_strcasecmp(dir, reg(hive)->folders[folder]) == 0 &&
	    mesh_hive_check_name(base, NULL)) {
		if (ret_other != NULL)
			*ret_other = g_strdup(base);
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
			    "no %s entry '%s' in the %s hive (%s names the entry '%s')",
			    mesh_hive_folder_name(folder), name, mesh_hive_kind_name(hive->kind),
			    label, base);
		return FALSE;
	}
	g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
		    "%s names %s, not the hive's own file %s: it is not followed; write the "
		    "entry again or remove the value",
		    label, path, want);
	return FALSE;
}

/*
 * entry_path: the data file of the entry @name (not the default), when the registry has the
 * entry's value. In Accounts the value holds the profile UDF, and the file is
 * <data>\Accounts\<name>; elsewhere the value names the file, checked by entry_file.
 */
static gboolean
entry_path(MeshHive *hive, MeshHiveFolder folder, const char *name, char **ret_path,
	   char **ret_other, GError **error)
{
	g_autofree char *value = NULL;
	g_autofree char *udf = NULL;
	gsize len = 0;

	if (names_file(folder))
		return entry_file(hive, folder, name, ret_path, ret_other, error);
	value = value_name(folder, name);
	if (!read_value(hive, folder, value, PROFILE_MAX, &udf, &len, error))
		return FALSE;
	*ret_path = file_path(hive, folder, name);
	return TRUE;
}

/* The error for a data file that cannot be opened although the registry has its entry: a
 * missing file is damage to the hive, not a missing entry. */
static void
set_open_error(GError **error, DWORD err, const char *path)
{
	if (mesh_win_error_code(err, MESH_ERROR_IO) == MESH_ERROR_NOT_FOUND)
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
			    "the registry has the entry whose data file is %s, which is "
			    "missing: remove the entry and write it again",
			    path);
	else
		mesh_win_set_error(error, err, MESH_ERROR_IO, "cannot open %s", path);
}

/* inspect_file: the open data file @h is a regular file (not a folder, not a reparse point) of
 * this user alone, as linux/hive.c refuses an entry of another user or with an open mode. */
static gboolean
inspect_file(HANDLE h, const char *path, BY_HANDLE_FILE_INFORMATION *ret_info, GError **error)
{
	if (!GetFileInformationByHandle(h, ret_info)) {
		mesh_win_set_error(error, GetLastError(), MESH_ERROR_IO, "cannot inspect %s", path);
		return FALSE;
	}
	if (ret_info->dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
			    "%s is a junction or symbolic link, not a hive entry: remove it", path);
		return FALSE;
	}
	if (ret_info->dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
			    "%s is not a regular file: remove it, a hive entry is a plain file",
			    path);
		return FALSE;
	}
	return mesh_win_check_owner_only(h, SE_FILE_OBJECT, path, error);
}

/* read_file: @path whole, opened as itself (never through a reparse point), a regular file of
 * this user alone, at most @max_len bytes. */
static gboolean
read_file(const char *path, gsize max_len, GBytes **ret_data, GError **error)
{
	g_autofree wchar_t *wpath = mesh_win_wide(path, error);
	g_autofree guint8 *buf = NULL;
	BY_HANDLE_FILE_INFORMATION info;
	HANDLE h = INVALID_HANDLE_VALUE;
	gboolean ok = FALSE;
	guint64 size;
	gsize got = 0;

	if (wpath == NULL)
		return FALSE;
	/* Every sharing mode: a reader never stops a writer from replacing the file. */
	h = CreateFileW(wpath, GENERIC_READ | READ_CONTROL,
			FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
			FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		set_open_error(error, GetLastError(), path);
		return FALSE;
	}
	if (!inspect_file(h, path, &info, error))
		goto out;
	size = ((guint64)info.nFileSizeHigh << 32) | info.nFileSizeLow;
	/* Before allocating: the size on disk is not trusted. */
	if (size > max_len) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "%s holds %" G_GUINT64_FORMAT " bytes, more than the %" G_GSIZE_FORMAT
			    " expected: it is damaged or was not written by the Mesh; move it away",
			    path, size, max_len);
		goto out;
	}
	buf = g_malloc(MAX((gsize)size, 1));
	while (got < size) {
		DWORD n = 0;

		if (!ReadFile(h, buf + got, (DWORD)MIN(size - got, (guint64)1 << 30), &n, NULL)) {
			mesh_win_set_error(error, GetLastError(), MESH_ERROR_IO, "cannot read %s",
					   path);
			goto out;
		}
		if (n == 0)
			break;
		got += n;
	}
	*ret_data = g_bytes_new_take(g_steal_pointer(&buf), got);
	ok = TRUE;
out:
	CloseHandle(h);
	return ok;
}

static gboolean
reg_read(MeshHive *hive, MeshHiveFolder folder, const char *name, gsize max_len,
	 GBytes **ret_data, GError **error)
{
	g_autofree char *path = NULL;
	g_autofree char *text = NULL;
	gsize len = 0;

	if (is_default(name)) {
		/* The default value holds the name alone; the entry is that name and a newline,
		 * as mesh_hive_set_default writes it and linux/hive.c keeps it. */
		if (!read_value(hive, folder, "", max_len - MIN(max_len, 1), &text, &len, error))
			return FALSE;
		*ret_data = g_bytes_new_take(g_strconcat(text, "\n", NULL), len + 1);
		return TRUE;
	}
	if (!entry_path(hive, folder, name, &path, NULL, error))
		return FALSE;
	return read_file(path, max_len, ret_data, error);
}

/* The text of @data for a registry value: UTF-8 without a NUL, at most @max bytes. */
static char *
value_text(MeshHive *hive, MeshHiveFolder folder, const char *name, const guint8 *data,
	   gsize len, gsize max, GError **error)
{
	if (len > max) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "%s entry %s too large: %" G_GSIZE_FORMAT " bytes; the registry keeps "
			    "at most %" G_GSIZE_FORMAT,
			    mesh_hive_folder_name(folder), name, len, max);
		return NULL;
	}
	if (memchr(data, '\0', len) != NULL || !g_utf8_validate((const char *)data, len, NULL)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "%s entry %s is not text (UTF-8 without NUL), and %s keeps its entries "
			    "as registry text",
			    mesh_hive_folder_name(folder), name, mesh_hive_location(hive));
		return NULL;
	}
	return g_strndup((const char *)data, len);
}

static gboolean
reg_write(MeshHive *hive, MeshHiveFolder folder, const char *name, const guint8 *data,
	  gsize len, GError **error)
{
	g_autofree char *value = value_name(folder, name);
	g_autofree char *path = NULL;
	g_autofree char *text = NULL;
	g_autofree char *other = NULL;
	g_autoptr(GError) local = NULL;

	if (is_default(name)) {
		/* One trailing newline is the entry's, not the name's (see reg_read). */
		if (len > 0 && data[len - 1] == '\n')
			len--;
		text = value_text(hive, folder, name, data, len, 1024, error);
		return text != NULL && write_value(hive, folder, value, text, error);
	}
	if (!names_file(folder)) {
		/* The record's profile UDF, if it has one: any other bytes are an entry too (the
		 * hive keeps bytes; only core gives them a meaning), with an empty value. */
		g_autofree char *udf = NULL;

		if (!mesh_json_peek_string((const char *)data, len, PROFILE_MEMBER, &udf, NULL) ||
		    udf == NULL) {
			g_free(udf);
			udf = g_strdup("");
		}
		path = file_path(hive, folder, name);
		/* The file first: the value never stands for a file that is not whole. */
		if (!mesh_platform_write_atomic(path, data, len, error))
			return FALSE;
		return write_value(hive, folder, value, udf, error);
	}
	/* The value X may be taken by X.json, or the other way round: never overwrite another
	 * entry's value. A value that names anything else is the hive's to repair. */
	if (!entry_file(hive, folder, name, &path, &other, &local) && other != NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
			    "%s: '%s' would share the registry value '%s' with the entry '%s'; "
			    "remove that one first",
			    local->message, name, value, other);
		return FALSE;
	}
	g_clear_pointer(&path, g_free);
	path = file_path(hive, folder, name);
	/* The file first: the value never names a file that is not whole. */
	if (!mesh_platform_write_atomic(path, data, len, error))
		return FALSE;
	return write_value(hive, folder, value, path, error);
}

/*
 * open_append: @path opened to append (FILE_APPEND_DATA alone: every write lands at the end,
 * whatever another handle does), as itself (never through a reparse point), a regular file of
 * this user alone; created owner-only with CREATE_NEW when @create. Every sharing mode, as for
 * reading: a reader or an atomic replace is never held up.
 */
static HANDLE
open_append(const char *path, gboolean create, GError **error)
{
	g_autofree wchar_t *wpath = mesh_win_wide(path, error);
	BY_HANDLE_FILE_INFORMATION info;
	MeshWinPrivate priv = { 0 };
	HANDLE h;
	DWORD err;

	if (wpath == NULL)
		return INVALID_HANDLE_VALUE;
	if (create && !mesh_win_private_init(&priv, FILE_ALL_ACCESS, FALSE, error))
		return INVALID_HANDLE_VALUE;
	h = CreateFileW(wpath, FILE_APPEND_DATA | READ_CONTROL,
			FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
			create ? &priv.sa : NULL, create ? CREATE_NEW : OPEN_EXISTING,
			FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	err = GetLastError();
	if (create)
		mesh_win_private_clear(&priv);
	if (h == INVALID_HANDLE_VALUE) {
		if (create)
			mesh_win_set_error(error, err, MESH_ERROR_IO, "cannot create %s", path);
		else
			set_open_error(error, err, path);
		return INVALID_HANDLE_VALUE;
	}
	if (!inspect_file(h, path, &info, error)) {
		CloseHandle(h);
		return INVALID_HANDLE_VALUE;
	}
	return h;
}

/*
 * reg_append: a new entry's data file is made first (owner-only, empty, flushed), then its
 * value, then the bytes are appended as to an existing one: a crash leaves a file without a
 * value (no entry: removed here the next time) or an entry with what was appended whole, never
 * a value without its file. A file without a value is nobody's, and is not appended to.
 */
static gboolean
reg_append(MeshHive *hive, MeshHiveFolder folder, const char *name, const guint8 *data,
	   gsize len, gboolean sync, GError **error)
{
	g_autofree char *value = value_name(folder, name);
	g_autofree char *path = NULL;
	g_autofree char *other = NULL;
	g_autoptr(GError) local = NULL;
	HANDLE h = INVALID_HANDLE_VALUE;
	gboolean ok = FALSE;

	/* mesh_hive_append refused the default entry and Accounts: the value names the file. */
	if (entry_file(hive, folder, name, &path, &other, &local)) {
		h = open_append(path, FALSE, error);
	} else if (other != NULL) {
		/* As reg_write: never take another entry's value. */
		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
			    "%s: '%s' would share the registry value '%s' with the entry '%s'; "
			    "remove that one first",
			    local->message, name, value, other);
		return FALSE;
	} else if (local->code != MESH_ERROR_NOT_FOUND) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	} else {
		g_autofree wchar_t *wpath = NULL;

		path = file_path(hive, folder, name);
		wpath = mesh_win_wide(path, error);
		if (wpath == NULL)
			return FALSE;
		/* A file left without its value by a crash is nobody's entry: started again. */
		DeleteFileW(wpath);
		h = open_append(path, TRUE, error);
		if (h != INVALID_HANDLE_VALUE &&
		    ((sync && !FlushFileBuffers(h)) || !write_value(hive, folder, value, path, error))) {
			if (error != NULL && *error == NULL)
				mesh_win_set_error(error, GetLastError(), MESH_ERROR_IO,
						   "cannot flush %s", path);
			CloseHandle(h);
			DeleteFileW(wpath);
			return FALSE;
		}
	}
	if (h == INVALID_HANDLE_VALUE)
		return FALSE;
	if (!mesh_win_write_all(h, data, len))
		mesh_win_set_error(error, GetLastError(), MESH_ERROR_IO,
				   "cannot append to %s; check that the disk is not full", path);
	else if (sync && !FlushFileBuffers(h))
		mesh_win_set_error(error, GetLastError(), MESH_ERROR_IO, "cannot flush %s", path);
	else
		ok = TRUE;
	CloseHandle(h);
	return ok;
}

static gboolean
delete_value(MeshHive *hive, MeshHiveFolder folder, const char *value, GError **error)
{
	g_autofree wchar_t *wvalue = mesh_win_wide(value, error);
	g_autofree char *label = NULL;
	LSTATUS st;

	if (wvalue == NULL)
		return FALSE;
	st = RegDeleteValueW(reg(hive)->keys[folder], wvalue);
	if (st != ERROR_SUCCESS) {
		label = value_label(hive, folder, value);
		mesh_win_set_error(error, (DWORD)st, MESH_ERROR_IO, "cannot remove %s", label);
		return FALSE;
	}
	RegFlushKey(reg(hive)->keys[folder]);
	return TRUE;
}

static gboolean
reg_remove(MeshHive *hive, MeshHiveFolder folder, const char *name, GError **error)
{
	g_autofree char *value = value_name(folder, name);
	g_autofree char *path = NULL;
	g_autofree wchar_t *wpath = NULL;
	DWORD err;

	if (is_default(name))
		return delete_value(hive, folder, value, error);
	if (!entry_path(hive, folder, name, &path, NULL, error))
		return FALSE;
	wpath = mesh_win_wide(path, error);
	if (wpath == NULL || !delete_value(hive, folder, value, error))
		return FALSE;
	/* The value is gone: the file is nobody's now. One that cannot be removed is left for
	 * the next write of the entry to replace, and said. */
	if (!DeleteFileW(wpath) && (err = GetLastError()) != ERROR_FILE_NOT_FOUND) {
		mesh_win_set_error(error, err, MESH_ERROR_IO,
				   "removed the entry %s but not its data file %s", name, path);
		return FALSE;
	}
	return TRUE;
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static gboolean
reg_list(MeshHive *hive, MeshHiveFolder folder, GPtrArray **ret_names, GError **error)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	HKEY key = reg(hive)->keys[folder];
	DWORD count = 0, longest = 0;
	g_autofree wchar_t *wname = NULL;
	LSTATUS st;

	st = RegQueryInfoKeyW(key, NULL, NULL, NULL, NULL, NULL, NULL, &count, &longest, NULL,
			      NULL, NULL);
	if (st != ERROR_SUCCESS) {
		mesh_win_set_error(error, (DWORD)st, MESH_ERROR_IO, "cannot list %s\\%s",
				   reg(hive)->location, mesh_hive_folder_name(folder));
		return FALSE;
	}
	wname = g_new0(wchar_t, longest + 2);
	for (DWORD i = 0;; i++) {
		DWORD len = longest + 1, type = 0;
		g_autofree char *name = NULL;
		g_autofree char *path = NULL;

		st = RegEnumValueW(key, i, wname, &len, NULL, &type, NULL, NULL);
		if (st == ERROR_NO_MORE_ITEMS)
			break;
		if (st == ERROR_MORE_DATA) {
			/* A longer name was added while listing: start again, larger. */
			g_free(wname);
			longest = MAX(longest * 2, 256);
			wname = g_new0(wchar_t, longest + 2);
			g_ptr_array_set_size(names, 0);
			i = (DWORD)-1;
			continue;
		}
		if (st != ERROR_SUCCESS) {
			mesh_win_set_error(error, (DWORD)st, MESH_ERROR_IO, "cannot list %s\\%s",
					   reg(hive)->location, mesh_hive_folder_name(folder));
			return FALSE;
		}
		name = mesh_win_utf8(wname);
		/* The unnamed value is the default; anything the Mesh could not have written (a
		 * name that fails the check, another type) is not an entry. */
		if (type != REG_SZ || name == NULL || *name == '\0' ||
		    !mesh_hive_check_name(name, NULL))
			continue;
		if (names_file(folder)) {
			gsize len8 = 0;
			g_autofree char *base = NULL;

			/* The entry is named by its file: "X" is "X.json" or "X". */
			if (!read_value(hive, folder, name, 3 * 32767, &path, &len8, NULL))
				continue;
			base = g_path_get_basename(path);
			if (!mesh_hive_check_name(base, NULL) || is_default(base))
				continue;
			g_free(name);
			name = g_steal_pointer(&base);
			g_clear_pointer(&path, g_free);
			if (!entry_file(hive, folder, name, &path, NULL, NULL))
				continue;
		}
		if (!is_default(name))
			g_ptr_array_add(names, g_steal_pointer(&name));
	}
	g_ptr_array_sort(names, compare_names);
	*ret_names = g_steal_pointer(&names);
	return TRUE;
}

/* Up to 24 bytes of SHA-256(@data) into three stamp words. */
static void
stamp_digest(const guint8 *data, gsize len, guint64 *words)
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	guint8 digest[32];
	gsize n = sizeof digest;

	g_checksum_update(sum, data, (gssize)len);
	g_checksum_get_digest(sum, digest, &n);
	for (int w = 0; w < 3; w++) {
		words[w] = 0;
		for (int b = 0; b < 8; b++)
			words[w] = (words[w] << 8) | digest[w * 8 + b];
	}
}

/*
 * Stamps. A registry value: its length, 192 bits of the SHA-256 of its text and the key's
 * last-write time. A data file: the volume serial number, the file index (a replaced file is a
 * new one), its size, last-write and change times (the change time moves with its DACL too),
 * and a digest of its path.
 */
static gboolean
reg_stamp(MeshHive *hive, MeshHiveFolder folder, const char *name, MeshHiveStamp *ret_stamp,
	  GError **error)
{
	g_autofree char *path = NULL;
	g_autofree char *text = NULL;
	g_autofree wchar_t *wpath = NULL;
	FILE_BASIC_INFO basic;
	BY_HANDLE_FILE_INFORMATION info;
	FILETIME written;
	guint64 words[3];
	gsize len = 0;
	HANDLE h;
	gboolean ok;

	if (is_default(name)) {
		LSTATUS st;

		if (!read_value(hive, folder, "", MESH_HIVE_ENTRY_MAX, &text, &len, error))
			return FALSE;
		st = RegQueryInfoKeyW(reg(hive)->keys[folder], NULL, NULL, NULL, NULL, NULL, NULL,
				      NULL, NULL, NULL, NULL, &written);
		if (st != ERROR_SUCCESS) {
			mesh_win_set_error(error, (DWORD)st, MESH_ERROR_IO, "cannot inspect %s\\%s",
					   reg(hive)->location, mesh_hive_folder_name(folder));
			return FALSE;
		}
		stamp_digest((const guint8 *)text, len, words);
		ret_stamp->v[0] = 1; /* a value, not a file */
		ret_stamp->v[1] = words[0];
		ret_stamp->v[2] = words[1];
		ret_stamp->v[3] = words[2];
		ret_stamp->v[4] = len;
		ret_stamp->v[5] = ((guint64)written.dwHighDateTime << 32) | written.dwLowDateTime;
		return TRUE;
	}
	if (!entry_path(hive, folder, name, &path, NULL, error))
		return FALSE;
	wpath = mesh_win_wide(path, error);
	if (wpath == NULL)
		return FALSE;
	h = CreateFileW(wpath, FILE_READ_ATTRIBUTES,
			FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
			FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		g_autofree char *reason = mesh_win_reason(GetLastError());

		/* As in read_file: the value is there, so a missing file is damage. */
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot inspect %s: %s", path,
			    reason);
		return FALSE;
	}
	ok = GetFileInformationByHandle(h, &info) &&
	     GetFileInformationByHandleEx(h, FileBasicInfo, &basic, sizeof basic);
	if (!ok)
		mesh_win_set_error(error, GetLastError(), MESH_ERROR_IO, "cannot inspect %s", path);
	CloseHandle(h);
	if (!ok)
		return FALSE;
	stamp_digest((const guint8 *)path, strlen(path), words);
	ret_stamp->v[0] = ((guint64)info.dwVolumeSerialNumber << 1) | 0; /* a file */
	ret_stamp->v[1] = ((guint64)info.nFileIndexHigh << 32) | info.nFileIndexLow;
	ret_stamp->v[2] = ((guint64)info.nFileSizeHigh << 32) | info.nFileSizeLow;
	ret_stamp->v[3] = (guint64)basic.LastWriteTime.QuadPart;
	ret_stamp->v[4] = (guint64)basic.ChangeTime.QuadPart;
	ret_stamp->v[5] = words[0] ^ ((guint64)info.dwFileAttributes << 48);
	return TRUE;
}

static const char *
reg_location(MeshHive *hive)
{
	return reg(hive)->location;
}

static void
reg_close(MeshHive *hive)
{
	RegHive *r = reg(hive);

	/* Also called on a half-opened hive. */
	for (int f = 0; f < MESH_HIVE_N_FOLDERS; f++) {
		if (r->keys[f] != NULL)
			RegCloseKey(r->keys[f]);
		g_free(r->folders[f]);
	}
	g_free(r->data);
	g_free(r->location);
	g_free(r);
}

static const MeshHiveClass reg_hive_class = {
	.read = reg_read,
	.write = reg_write,
	.append = reg_append,
	.remove = reg_remove,
	.list = reg_list,
	.stamp = reg_stamp,
	.location = reg_location,
	.close = reg_close,
};

/*
 * open_key: @parent\@sub with KEY_ALL_ACCESS, created with the owner-only descriptor when
 * missing; one that existed must belong to this user alone.
 */
static HKEY
open_key(HKEY parent, const char *parent_label, const char *sub, GError **error)
{
	g_autofree wchar_t *wsub = mesh_win_wide(sub, error);
	g_autofree char *label = NULL;
	MeshWinPrivate priv = { 0 };
	HKEY key = NULL;
	DWORD disposition = 0;
	LSTATUS st;

	if (wsub == NULL)
		return NULL;
	label = g_strdup_printf("%s\\%s", parent_label, sub);
	if (!mesh_win_private_init(&priv, KEY_ALL_ACCESS, TRUE, error))
		return NULL;
	st = RegCreateKeyExW(parent, wsub, 0, NULL, REG_OPTION_NON_VOLATILE, KEY_ALL_ACCESS,
			     &priv.sa, &key, &disposition);
	/* Set once more on a new key: Wine (and so this suite) does not apply the descriptor
	 * RegCreateKeyExW is given, and a key must never be left with the inherited DACL. */
	if (st == ERROR_SUCCESS && disposition == REG_CREATED_NEW_KEY)
		st = RegSetKeySecurity(key,
				       OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION |
					       PROTECTED_DACL_SECURITY_INFORMATION,
				       priv.sd);
	mesh_win_private_clear(&priv);
	if (st != ERROR_SUCCESS) {
		g_autofree char *reason = mesh_win_reason((DWORD)st);

		g_set_error(error, MESH_ERROR,
			    st == ERROR_ACCESS_DENIED ? MESH_ERROR_PERMISSION : MESH_ERROR_IO,
			    "cannot open the registry key %s: %s", label, reason);
		return NULL;
	}
	if (disposition == REG_OPENED_EXISTING_KEY &&
	    !mesh_win_check_owner_only((HANDLE)key, SE_REGISTRY_KEY, label, error)) {
		RegCloseKey(key);
		return NULL;
	}
	return key;
}

/*
 * The registry key of a hive: SOFTWARE\<hive folder> for the user's own hives; for any other
 * root (tests, MMM_HOME) SOFTWARE\<hive folder>-<the first 8 hex digits of the SHA-256 of the
 * root folder's canonical path, case-folded>, so that such a hive never touches the user's
 * real one and two roots never share a key.
 */
static char *
key_name(MeshHiveKind kind, const char *base, gboolean own)
{
	g_autofree char *folded = NULL;
	g_autofree char *digest = NULL;

	if (own)
		return g_strdup_printf("SOFTWARE\\%s", mesh_hive_kind_dirname(kind));
	folded = g_utf8_casefold(base, -1);
	digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256, folded, -1);
	return g_strdup_printf("SOFTWARE\\%s-%.8s", mesh_hive_kind_dirname(kind), digest);
}

MeshHive *
mesh_hive_open(MeshHiveKind kind, const char *root, GError **error)
{
	const char *env = g_getenv("MMM_HOME");
	gboolean own = (root == NULL || *root == '\0') && (env == NULL || *env == '\0');
	g_autofree char *home = root != NULL && *root != '\0' ? g_strdup(root)
							       : mesh_platform_mmm_home();
	g_autofree char *base = g_canonicalize_filename(home, NULL);
	g_autofree char *name = key_name(kind, base, own);
	RegHive *r = g_new0(RegHive, 1);
	g_autoptr(MeshHive) hive = &r->base;
	HKEY top = NULL;

	hive->klass = &reg_hive_class;
	hive->kind = kind;
	r->location = g_strdup_printf("HKEY_CURRENT_USER\\%s", name);
	/* The data folders, outside in, so that nothing is made inside one that failed. */
	if (!mesh_platform_private_dir(base, TRUE, error))
		return NULL;
	r->data = g_build_filename(base, mesh_hive_kind_dirname(kind), NULL);
	if (!mesh_platform_private_dir(r->data, FALSE, error))
		return NULL;
	for (int f = 0; f < MESH_HIVE_N_FOLDERS; f++) {
		r->folders[f] = g_build_filename(r->data, mesh_hive_folder_name((MeshHiveFolder)f),
						 NULL);
		if (!mesh_platform_private_dir(r->folders[f], FALSE, error))
			return NULL;
	}
	/* Then the keys: the hive's, and one per folder in it. */
	top = open_key(HKEY_CURRENT_USER, "HKEY_CURRENT_USER", name, error);
	if (top == NULL)
		return NULL;
	for (int f = 0; f < MESH_HIVE_N_FOLDERS; f++) {
		r->keys[f] = open_key(top, r->location, mesh_hive_folder_name((MeshHiveFolder)f),
				      error);
		if (r->keys[f] == NULL) {
			RegCloseKey(top);
			return NULL;
		}
	}
	RegCloseKey(top);
	return g_steal_pointer(&hive);
}
