/* SPDX-License-Identifier: MIT */
#include "hive.h"

#include <string.h>

#include "error.h"

static const char *const kind_names[] = { "production", "test" };
static const char *const kind_dirnames[] = { "MathematicalMesh", "CryptoMesh" };
static const char *const folder_names[MESH_HIVE_N_FOLDERS] = {
	"Accounts", "PersonalProfiles", "ThisDevice", "ApplicationProfiles", "Keys", "Escrow",
	"Outbox", "Policy", "Audit",
};

#define NAME_MAX_LEN 200

const char *
mesh_hive_kind_name(MeshHiveKind kind)
{
	return kind == MESH_HIVE_TEST ? kind_names[1] : kind_names[0];
}

const char *
mesh_hive_kind_dirname(MeshHiveKind kind)
{
	return kind == MESH_HIVE_TEST ? kind_dirnames[1] : kind_dirnames[0];
}

gboolean
mesh_hive_kind_from_name(const char *name, MeshHiveKind *ret_kind, GError **error)
{
	if (name == NULL)
		name = g_getenv("MESH_HIVE");
	if (name == NULL || *name == '\0') {
		*ret_kind = MESH_HIVE_PRODUCTION;
		return TRUE;
	}
	for (int k = MESH_HIVE_PRODUCTION; k <= MESH_HIVE_TEST; k++) {
		if (g_ascii_strcasecmp(name, kind_names[k]) == 0 ||
		    g_ascii_strcasecmp(name, kind_dirnames[k]) == 0) {
			*ret_kind = (MeshHiveKind)k;
			return TRUE;
		}
	}
	g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		    "unknown hive '%s': use 'test' or 'production'", name);
	return FALSE;
}

const char *
mesh_hive_folder_name(MeshHiveFolder folder)
{
	if ((int)folder < 0 || folder >= MESH_HIVE_N_FOLDERS)
		return NULL;
	return folder_names[folder];
}

gboolean
mesh_hive_check_name(const char *name, GError **error)
{
	gsize n = name != NULL ? strnlen(name, NAME_MAX_LEN + 1) : 0;

	if (n == 0 || n > NAME_MAX_LEN || name[0] == '.')
		goto bad;
	for (gsize i = 0; i < n; i++) {
		char c = name[i];

		if (!g_ascii_isalnum(c) && c != '.' && c != '_' && c != '-')
			goto bad;
	}
	return TRUE;
bad:
	g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		    "'%.40s' cannot name a hive entry: use 1 to %d of A-Z a-z 0-9 . _ -, not "
		    "starting with '.'",
		    name != NULL ? name : "", NAME_MAX_LEN);
	return FALSE;
}

static gboolean
check_folder(MeshHiveFolder folder, GError **error)
{
	if (mesh_hive_folder_name(folder) == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT, "no such hive folder");
		return FALSE;
	}
	return TRUE;
}

gboolean
mesh_hive_read(MeshHive *hive, MeshHiveFolder folder, const char *name, gsize max_len,
	       GBytes **ret_data, GError **error)
{
	if (!check_folder(folder, error) || !mesh_hive_check_name(name, error))
		return FALSE;
	return hive->klass->read(hive, folder, name, MIN(max_len, MESH_HIVE_ENTRY_MAX), ret_data,
				 error);
}

gboolean
mesh_hive_write(MeshHive *hive, MeshHiveFolder folder, const char *name, const guint8 *data,
		gsize len, GError **error)
{
	if (!check_folder(folder, error) || !mesh_hive_check_name(name, error))
		return FALSE;
	if (len > MESH_HIVE_ENTRY_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "hive entry %s too large: %" G_GSIZE_FORMAT " bytes", name, len);
		return FALSE;
	}
	return hive->klass->write(hive, folder, name, data, len, error);
}

/* Whether @name of @folder is an entry that may grow by appends. */
static gboolean
check_append(MeshHive *hive, MeshHiveFolder folder, const char *name, GError **error)
{
	if (!check_folder(folder, error) || !mesh_hive_check_name(name, error))
		return FALSE;
	/* The default entry is one name; an account record is read whole for its profile (the
	 * registry hive keeps a member of it beside the file). Neither is a file that grows. */
	if (folder == MESH_HIVE_ACCOUNTS || strcmp(name, MESH_HIVE_DEFAULT) == 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "the %s entry %s cannot be appended to: write it whole",
			    mesh_hive_folder_name(folder), name);
		return FALSE;
	}
	if (hive->klass->append == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "this hive cannot append to an entry");
		return FALSE;
	}
	return TRUE;
}

static gboolean
check_append_len(const char *name, gsize len, GError **error)
{
	if (len <= MESH_HIVE_ENTRY_MAX)
		return TRUE;
	g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
		    "cannot append %" G_GSIZE_FORMAT " bytes to hive entry %s at once", len, name);
	return FALSE;
}

gboolean
mesh_hive_append(MeshHive *hive, MeshHiveFolder folder, const char *name, const guint8 *data,
		 gsize len, gboolean sync, GError **error)
{
	return check_append_len(name, len, error) && check_append(hive, folder, name, error) &&
	       hive->klass->append(hive, folder, name, data, len, sync, error);
}

struct MeshHiveAppender {
	MeshHive *hive;
	MeshHiveFolder folder;
	char *name;
	gpointer handle; /* the OS's, or NULL: append each time */
};

MeshHiveAppender *
mesh_hive_appender_open(MeshHive *hive, MeshHiveFolder folder, const char *name, GError **error)
{
	MeshHiveAppender *appender;
	gpointer handle = NULL;

	if (!check_append(hive, folder, name, error))
		return NULL;
	if (hive->klass->append_open != NULL) {
		handle = hive->klass->append_open(hive, folder, name, error);
		if (handle == NULL)
			return NULL;
	}
	appender = g_new0(MeshHiveAppender, 1);
	appender->hive = hive;
	appender->folder = folder;
	appender->name = g_strdup(name);
	appender->handle = handle;
	return appender;
}

gboolean
mesh_hive_appender_write(MeshHiveAppender *appender, const guint8 *data, gsize len,
			 gboolean sync, GError **error)
{
	MeshHive *hive = appender->hive;

	if (!check_append_len(appender->name, len, error))
		return FALSE;
	if (appender->handle == NULL)
		return hive->klass->append(hive, appender->folder, appender->name, data, len, sync,
					   error);
	return hive->klass->append_handle(hive, appender->handle, data, len, sync, error);
}

void
mesh_hive_appender_close(MeshHiveAppender *appender)
{
	if (appender == NULL)
		return;
	if (appender->handle != NULL)
		appender->hive->klass->append_release(appender->hive, appender->handle);
	g_free(appender->name);
	g_free(appender);
}

gboolean
mesh_hive_remove(MeshHive *hive, MeshHiveFolder folder, const char *name, GError **error)
{
	if (!check_folder(folder, error) || !mesh_hive_check_name(name, error))
		return FALSE;
	return hive->klass->remove(hive, folder, name, error);
}

gboolean
mesh_hive_list(MeshHive *hive, MeshHiveFolder folder, GPtrArray **ret_names, GError **error)
{
	if (!check_folder(folder, error))
		return FALSE;
	return hive->klass->list(hive, folder, ret_names, error);
}

gboolean
mesh_hive_stamp(MeshHive *hive, MeshHiveFolder folder, const char *name, MeshHiveStamp *ret_stamp,
		GError **error)
{
	if (!check_folder(folder, error) || !mesh_hive_check_name(name, error))
		return FALSE;
	if (hive->klass->stamp == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED, "this hive has no stamps");
		return FALSE;
	}
	memset(ret_stamp, 0, sizeof *ret_stamp);
	return hive->klass->stamp(hive, folder, name, ret_stamp, error);
}

const char *
mesh_hive_location(MeshHive *hive)
{
	return hive->klass->location(hive);
}

void
mesh_hive_close(MeshHive *hive)
{
	if (hive == NULL)
		return;
	hive->klass->close(hive);
}

gboolean
mesh_hive_get_default(MeshHive *hive, MeshHiveFolder folder, char **ret_name, GError **error)
{
	g_autoptr(GBytes) data = NULL;
	g_autofree char *name = NULL;
	gsize len = 0;
	const char *p;

	if (!mesh_hive_read(hive, folder, MESH_HIVE_DEFAULT, NAME_MAX_LEN + 1, &data, error))
		return FALSE;
	p = g_bytes_get_data(data, &len);
	name = g_strndup(p, len);
	g_strchomp(name);
	if (!mesh_hive_check_name(name, error)) {
		g_prefix_error(error, "%s/%s/%s is corrupt: ", mesh_hive_location(hive),
			       mesh_hive_folder_name(folder), MESH_HIVE_DEFAULT);
		return FALSE;
	}
	*ret_name = g_steal_pointer(&name);
	return TRUE;
}

gboolean
mesh_hive_set_default(MeshHive *hive, MeshHiveFolder folder, const char *name, GError **error)
{
	g_autofree char *line = NULL;

	if (!mesh_hive_check_name(name, error))
		return FALSE;
	line = g_strconcat(name, "\n", NULL);
	return mesh_hive_write(hive, folder, MESH_HIVE_DEFAULT, (const guint8 *)line, strlen(line),
			       error);
}

/* Copy one entry; the caller has decided that it may overwrite. */
static gboolean
copy_entry(MeshHive *from, MeshHive *to, MeshHiveFolder folder, const char *name, GError **error)
{
	g_autoptr(GBytes) data = NULL;
	gsize len = 0;
	const guint8 *p;

	if (!mesh_hive_read(from, folder, name, MESH_HIVE_ENTRY_MAX, &data, error))
		return FALSE;
	p = g_bytes_get_data(data, &len);
	return mesh_hive_write(to, folder, name, p != NULL ? p : (const guint8 *)"", len, error);
}

static gboolean
entry_exists(MeshHive *hive, MeshHiveFolder folder, const char *name)
{
	g_autoptr(GBytes) data = NULL;

	return mesh_hive_read(hive, folder, name, MESH_HIVE_ENTRY_MAX, &data, NULL);
}

gboolean
mesh_hive_migrate(MeshHive *from, MeshHive *to, gboolean force, guint *ret_copied,
		  GError **error)
{
	GPtrArray *names[MESH_HIVE_N_FOLDERS] = { NULL };
	guint copied = 0;
	gboolean ok = FALSE;

	if (from->kind == to->kind) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "cannot migrate the %s hive onto itself", mesh_hive_kind_name(from->kind));
		return FALSE;
	}
	/* First look, then copy: a refused migration changes nothing. The Audit folder stays
	 * behind (see hive.h): its list is left NULL, and so copies nothing. */
	for (int f = 0; f < MESH_HIVE_N_FOLDERS; f++) {
		if (f == MESH_HIVE_AUDIT)
			continue;
		if (!mesh_hive_list(from, (MeshHiveFolder)f, &names[f], error))
			goto out;
		for (guint i = 0; !force && i < names[f]->len; i++) {
			if (entry_exists(to, (MeshHiveFolder)f, names[f]->pdata[i])) {
				g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
					    "%s/%s/%s already exists: nothing was copied (use "
					    "--force to overwrite)",
					    mesh_hive_location(to),
					    mesh_hive_folder_name((MeshHiveFolder)f),
					    (const char *)names[f]->pdata[i]);
				goto out;
			}
		}
	}
	for (int f = 0; f < MESH_HIVE_N_FOLDERS; f++) {
		if (names[f] == NULL)
			continue;
		for (guint i = 0; i < names[f]->len; i++) {
			if (!copy_entry(from, to, (MeshHiveFolder)f, names[f]->pdata[i], error))
				goto out;
			copied++;
		}
		/* The default follows when the destination has none (or when forced). */
		if (entry_exists(from, (MeshHiveFolder)f, MESH_HIVE_DEFAULT) &&
		    (force || !entry_exists(to, (MeshHiveFolder)f, MESH_HIVE_DEFAULT)) &&
		    !copy_entry(from, to, (MeshHiveFolder)f, MESH_HIVE_DEFAULT, error))
			goto out;
	}
	if (ret_copied != NULL)
		*ret_copied = copied;
	ok = TRUE;
out:
	for (int f = 0; f < MESH_HIVE_N_FOLDERS; f++) {
		if (names[f] != NULL)
			g_ptr_array_unref(names[f]);
	}
	return ok;
}
