/* SPDX-License-Identifier: MIT */
/*
 * core/platform.h on Windows: the agent started at login by the user's Run key,
 * HKCU\Software\Microsoft\Windows\CurrentVersion\Run. One REG_SZ value per hive and home, named
 * as linux/login.c names its units: meshagent (the production hive), meshagent-test, and
 * meshagent-<hive>-<8 hex digits of the SHA-256 of the canonical MMM_HOME> when MMM_HOME is set
 * (on Windows a set MMM_HOME always counts as another home). Its data is the command line:
 *
 *   "C:\...\meshagent.exe" --hive test
 *   "C:\Windows\system32\cmd.exe" /d /v:off /c set "MMM_HOME=D:\mesh"&& "C:\...\meshagent.exe"
 * --hive test
 *
 * the second when MMM_HOME is set: a Run value cannot set a variable, and meshagent takes its
 * home from the environment (as the XDG autostart entry does with env). meshagent then goes to
 * the background itself (mesh_platform_daemonise).
 */
#include "platform.h"
#include "platform-private.h"

#include <string.h>
#include <windows.h>

#include "error.h"
#include "text.h"

#define RUN_KEY      L"Software\\Microsoft\\Windows\\CurrentVersion\\Run"
#define RUN_KEY_TEXT "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run"

void
mesh_platform_login_clear(MeshPlatformLogin *login)
{
	g_clear_pointer(&login->name, g_free);
	g_clear_pointer(&login->paths, g_ptr_array_unref);
	g_clear_pointer(&login->next, g_free);
}

/*
 * @text as one double-quoted word of the command line: refused when it holds what no quoting
 * carries through both CreateProcess's parsing and cmd.exe's (a '"', '%' that cmd expands even
 * in quotes, '!', a control character), or ends in '\' (which would escape the closing quote).
 */
static gboolean
quoted(const char *what, const char *text, char **ret_word, GError **error)
{
	gsize len = strlen(text);

	if (!g_utf8_validate(text, -1, NULL) || strpbrk(text, "\"%!") != NULL ||
	    (len > 0 && text[len - 1] == '\\')) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "%s holds a character that the Run key's command line cannot carry as "
		            "it is ('\"', '%%', '!', a final '\\' or invalid UTF-8): use a plainer "
		            "path",
		            what);
		return FALSE;
	}
	if (!mesh_text_check_path_controls(what, text, error))
		return FALSE;
	*ret_word = g_strconcat("\"", text, "\"", NULL);
	return TRUE;
}

/* The Run value's name for the hive @kind in this environment's home, and, with @ret_command,
 * its command line. */
static gboolean
login_value(MeshHiveKind kind, char **ret_name, char **ret_command, GError **error)
{
	const char *hive = mesh_hive_kind_name(kind);
	const char *home = g_getenv("MMM_HOME");
	g_autofree char *bindir = NULL, *agent = NULL, *agent_word = NULL, *name = NULL;
	g_autofree char *command = NULL;

	/* The Run key starts the agent on its usual pipes: an override would not be seen there. */
	for (const char *const *var =
	             (const char *const[]){"MESH_AGENT_SOCK", "MESH_SSH_AGENT_SOCK", NULL};
	     *var != NULL; var++) {
		const char *value = g_getenv(*var);

		if (value != NULL && *value != '\0') {
			g_set_error(
			        error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			        "%s is set, but the Run key starts the agent on its usual pipes "
			        "(\\\\.\\pipe\\meshagent-<user>-%s): unset it first",
			        *var, mesh_hive_kind_dirname(kind));
			return FALSE;
		}
	}
	if (home != NULL && *home != '\0') {
		g_autofree char *canonical = g_canonicalize_filename(home, NULL);
		g_autofree char *digest =
		        g_compute_checksum_for_string(G_CHECKSUM_SHA256, canonical, -1);

		digest[8] = '\0';
		name = g_strdup_printf("meshagent-%s-%s", hive, digest);
	} else {
		name = kind == MESH_HIVE_PRODUCTION ? g_strdup("meshagent")
		                                    : g_strconcat("meshagent-", hive, NULL);
	}
	if (ret_command == NULL) {
		*ret_name = g_steal_pointer(&name);
		return TRUE;
	}
	bindir = mesh_platform_program_dir();
	if (bindir == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_FAILED,
		            "cannot tell where this mesh program is (GetModuleFileNameW)");
		return FALSE;
	}
	agent = g_build_filename(bindir, "meshagent.exe", NULL);
	if (!quoted("the folder of mesh", agent, &agent_word, error))
		return FALSE;
	if (home != NULL && *home != '\0') {
		g_autofree char *canonical = g_canonicalize_filename(home, NULL);
		g_autofree char *setting = g_strconcat("MMM_HOME=", canonical, NULL);
		g_autofree char *setting_word = NULL, *cmd_word = NULL, *cmd = NULL;
		wchar_t system[MAX_PATH];
		UINT n = GetSystemDirectoryW(system, G_N_ELEMENTS(system));
		g_autofree char *system_utf8 = NULL;

		if (n == 0 || n >= G_N_ELEMENTS(system) ||
		    (system_utf8 = mesh_win_utf8(system)) == NULL) {
			mesh_win_set_error(error,
			                   n == 0 ? GetLastError() : ERROR_INSUFFICIENT_BUFFER,
			                   MESH_ERROR_FAILED, "cannot find cmd.exe");
			return FALSE;
		}
		cmd = g_build_filename(system_utf8, "cmd.exe", NULL);
		if (!quoted("MMM_HOME", setting, &setting_word, error) ||
		    !quoted("the system folder", cmd, &cmd_word, error))
			return FALSE;
		/* No space before "&&": set would keep it in the value. */
		command = g_strdup_printf("%s /d /v:off /c set %s&& %s --hive %s", cmd_word,
		                          setting_word, agent_word, hive);
	} else {
		command = g_strdup_printf("%s --hive %s", agent_word, hive);
	}
	*ret_name = g_steal_pointer(&name);
	*ret_command = g_steal_pointer(&command);
	return TRUE;
}

/* The Run key, opened for @access (created when missing: a new profile may not have it). */
static HKEY
open_run_key(REGSAM access, GError **error)
{
	HKEY key = NULL;
	LSTATUS st =
	        RegCreateKeyExW(HKEY_CURRENT_USER, RUN_KEY, 0, NULL, 0, access, NULL, &key, NULL);

	if (st != ERROR_SUCCESS) {
		mesh_win_set_error(error, (DWORD)st, MESH_ERROR_IO, "cannot open %s", RUN_KEY_TEXT);
		if (error != NULL && *error != NULL)
			(*error)->code = MESH_ERROR_IO;
		return NULL;
	}
	return key;
}

gboolean
mesh_platform_login_install(MeshHiveKind kind, MeshPlatformLogin *ret, GError **error)
{
	g_autofree char *name = NULL, *command = NULL;
	g_autofree wchar_t *wname = NULL, *wcommand = NULL;
	g_autoptr(GPtrArray) written = g_ptr_array_new_with_free_func(g_free);
	HKEY key;
	LSTATUS st;

	if (!login_value(kind, &name, &command, error))
		return FALSE;
	wname = mesh_win_wide(name, error);
	wcommand = wname != NULL ? mesh_win_wide(command, error) : NULL;
	if (wcommand == NULL)
		return FALSE;
	key = open_run_key(KEY_SET_VALUE, error);
	if (key == NULL)
		return FALSE;
	st = RegSetValueExW(key, wname, 0, REG_SZ, (const BYTE *)wcommand,
	                    (DWORD)((wcslen(wcommand) + 1) * sizeof(wchar_t)));
	RegCloseKey(key);
	if (st != ERROR_SUCCESS) {
		mesh_win_set_error(error, (DWORD)st, MESH_ERROR_IO, "cannot write %s\\%s",
		                   RUN_KEY_TEXT, name);
		if (error != NULL && *error != NULL)
			(*error)->code = MESH_ERROR_IO;
		return FALSE;
	}
	g_ptr_array_add(written, g_strdup_printf("%s\\%s", RUN_KEY_TEXT, name));
	ret->next = g_strdup_printf("The agent starts at your next login; to start it now: %s",
	                            command);
	ret->name = g_steal_pointer(&name);
	ret->paths = g_steal_pointer(&written);
	return TRUE;
}

gboolean
mesh_platform_login_uninstall(MeshHiveKind kind, MeshPlatformLogin *ret, GError **error)
{
	g_autofree char *name = NULL;
	g_autofree wchar_t *wname = NULL;
	g_autoptr(GPtrArray) removed = g_ptr_array_new_with_free_func(g_free);
	HKEY key;
	LSTATUS st;

	if (!login_value(kind, &name, NULL, error))
		return FALSE;
	wname = mesh_win_wide(name, error);
	if (wname == NULL)
		return FALSE;
	key = open_run_key(KEY_SET_VALUE, error);
	if (key == NULL)
		return FALSE;
	st = RegDeleteValueW(key, wname);
	RegCloseKey(key);
	if (st == ERROR_SUCCESS) {
		g_ptr_array_add(removed, g_strdup_printf("%s\\%s", RUN_KEY_TEXT, name));
	} else if (st != ERROR_FILE_NOT_FOUND) {
		mesh_win_set_error(error, (DWORD)st, MESH_ERROR_IO, "cannot remove %s\\%s",
		                   RUN_KEY_TEXT, name);
		if (error != NULL && *error != NULL)
			(*error)->code = MESH_ERROR_IO;
		return FALSE;
	}
	/* As on Linux, nothing to remove is no error. */
	ret->next = removed->len == 0
	                    ? g_strdup_printf("No start-at-login entry of %s to remove", name)
	                    : g_strdup("An agent already running goes on until 'mesh agent stop' "
	                               "or the end of the session");
	ret->name = g_steal_pointer(&name);
	ret->paths = g_steal_pointer(&removed);
	return TRUE;
}
