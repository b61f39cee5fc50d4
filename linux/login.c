/* SPDX-License-Identifier: MIT */
/* core/platform.h on Linux: the files that start the agent at login, systemd user units for both
 * of its sockets and an XDG autostart entry (dist/'s templates, embedded as login-files.h). */
#include "platform.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "login-files.h"
#include "text.h"

/*
 * The start-at-login files of one hive and home: dist/'s templates (login-files.h) with their
 * placeholders filled. Their names are per hive, and per MMM_HOME when it is not ~/.mmm, so that
 * installing for one never overwrites another's: meshagent (the production hive, the name the
 * packaged units have), meshagent-test, meshagent-<hive>-<8 hex digits of the home's digest>.
 */
typedef struct {
	char *unit;
	GPtrArray *fills; /* placeholder, value, placeholder, value ... */
} LoginSet;

static void
login_set_clear(LoginSet *set)
{
	g_clear_pointer(&set->unit, g_free);
	g_clear_pointer(&set->fills, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(LoginSet, login_set_clear)

typedef struct {
	const char *folder; /* under the user's configuration folder */
	const char *suffix;
	const char *text;
} LoginFile;

static const LoginFile login_files[] = {
	{ "systemd/user", ".socket", mesh_login_socket },
	{ "systemd/user", ".service", mesh_login_service },
	{ "autostart", ".desktop", mesh_login_desktop },
};

/*
 * @text for a unit file and an autostart entry: '%' doubled (both expand specifiers) and, with
 * @quote, in double quotes when it holds a space, as one word of a command line or a list.
 * Characters that would need more than that (controls, quotes, '\', '$', '`') are refused.
 */
static gboolean
login_word(const char *what, const char *text, gboolean quote, char **ret_word, GError **error)
{
	g_autoptr(GString) word = g_string_new(NULL);

	if (!g_utf8_validate(text, -1, NULL) || strpbrk(text, "\"'\\$`") != NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "%s holds a character that a unit file cannot carry as it is (a quote, "
			    "'\\', '$', '`' or invalid UTF-8): use a plainer path",
			    what);
		return FALSE;
	}
	if (!mesh_text_check_path_controls(what, text, error))
		return FALSE;
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '%')
			g_string_append_c(word, '%');
		g_string_append_c(word, *p);
	}
	if (quote && strchr(text, ' ') != NULL) {
		g_string_prepend_c(word, '"');
		g_string_append_c(word, '"');
	}
	*ret_word = g_string_free(g_steal_pointer(&word), FALSE);
	return TRUE;
}

static void
fill(LoginSet *set, const char *placeholder, char *value)
{
	g_ptr_array_add(set->fills, g_strdup(placeholder));
	g_ptr_array_add(set->fills, value);
}

/* The files of the hive @kind, in the home of this environment. */
static gboolean
login_set(MeshHiveKind kind, LoginSet *ret_set, GError **error)
{
	g_auto(LoginSet) set = { 0 };
	g_autofree char *bindir = mesh_platform_program_dir();
	g_autofree char *agent = NULL;
	g_autofree char *home_setting = mesh_platform_mmm_home();
	g_autofree char *home = g_canonicalize_filename(home_setting, NULL);
	g_autofree char *default_setting = g_build_filename(g_get_home_dir(), ".mmm", NULL);
	g_autofree char *default_home = g_canonicalize_filename(default_setting, NULL);
	g_autofree char *agent_word = NULL;
	const char *name = mesh_hive_kind_name(kind);

	/* The units listen where mesh looks by default; an override would not be seen there. */
	for (const char *const *var = (const char *const[]){ "MESH_AGENT_SOCK",
							     "MESH_SSH_AGENT_SOCK", NULL };
	     *var != NULL; var++) {
		const char *value = g_getenv(*var);

		if (value != NULL && *value != '\0') {
			g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
				    "%s is set, but the login files serve the agent's usual "
				    "sockets in $XDG_RUNTIME_DIR/mesh/%s/: unset it first",
				    *var, mesh_hive_kind_dirname(kind));
			return FALSE;
		}
	}
	if (bindir == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_FAILED,
			    "cannot tell where this mesh binary is (/proc/self/exe)");
		return FALSE;
	}
	agent = g_build_filename(bindir, "meshagent", NULL);
	set.fills = g_ptr_array_new_with_free_func(g_free);
	fill(&set, "@hive@", g_strdup(name));
	fill(&set, "@hivedir@", g_strdup(mesh_hive_kind_dirname(kind)));
	if (!login_word("the folder of mesh", agent, TRUE, &agent_word, error))
		return FALSE;
	fill(&set, "@agent@", g_steal_pointer(&agent_word));
	if (g_str_equal(home, default_home)) {
		set.unit = kind == MESH_HIVE_PRODUCTION ? g_strdup("meshagent") :
							  g_strconcat("meshagent-", name, NULL);
		fill(&set, "@label@", g_strdup_printf("%s hive", name));
		fill(&set, "@home_rw@", g_strdup("-%h/.mmm"));
		fill(&set, "@environment@\n", g_strdup(""));
		fill(&set, "@env@", g_strdup(""));
	} else {
		g_autofree char *digest =
			g_compute_checksum_for_string(G_CHECKSUM_SHA256, home, -1);
		g_autofree char *setting = g_strconcat("MMM_HOME=", home, NULL);
		g_autofree char *rw = g_strconcat("-", home, NULL);
		g_autofree char *setting_word = NULL, *rw_word = NULL, *label = NULL;

		digest[8] = '\0';
		set.unit = g_strdup_printf("meshagent-%s-%s", name, digest);
		if (!login_word("MMM_HOME", setting, TRUE, &setting_word, error) ||
		    !login_word("MMM_HOME", rw, TRUE, &rw_word, error) ||
		    !login_word("MMM_HOME", home, FALSE, &label, error))
			return FALSE;
		fill(&set, "@label@", g_strdup_printf("%s hive in %s", name, label));
		fill(&set, "@home_rw@", g_steal_pointer(&rw_word));
		fill(&set, "@environment@\n", g_strdup_printf("Environment=%s\n", setting_word));
		fill(&set, "@env@", g_strdup_printf("env %s ", setting_word));
	}
	fill(&set, "@unit@", g_strdup(set.unit));
	*ret_set = set;
	memset(&set, 0, sizeof set);
	return TRUE;
}

/* @template with every placeholder of @set filled, in one pass (a value is never read again). */
static char *
login_text(const LoginSet *set, const char *template)
{
	GString *text = g_string_new(NULL);

	for (const char *p = template; *p != '\0';) {
		guint i;

		for (i = 0; *p == '@' && i < set->fills->len; i += 2) {
			const char *placeholder = set->fills->pdata[i];

			if (g_str_has_prefix(p, placeholder)) {
				g_string_append(text, set->fills->pdata[i + 1]);
				p += strlen(placeholder);
				break;
			}
		}
		if (*p != '@' || i >= set->fills->len)
			g_string_append_c(text, *p++);
	}
	return g_string_free(text, FALSE);
}

static char *
login_path(const LoginSet *set, const LoginFile *file)
{
	g_autofree char *name = g_strconcat(set->unit, file->suffix, NULL);

	return g_build_filename(g_get_user_config_dir(), file->folder, name, NULL);
}

static gboolean
write_login_file(const LoginSet *set, const LoginFile *file, char **ret_path, GError **error)
{
	g_autofree char *path = login_path(set, file);
	g_autofree char *folder = g_path_get_dirname(path);
	g_autofree char *text = login_text(set, file->text);

	if (g_mkdir_with_parents(folder, 0700) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot create %s: %s", folder,
			    g_strerror(errno));
		return FALSE;
	}
	/* Not secret, and systemd and the session read them: 0644 like any unit file. */
	if (!g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644,
				      error)) {
		(*error)->domain = MESH_ERROR;
		(*error)->code = MESH_ERROR_IO;
		return FALSE;
	}
	*ret_path = g_steal_pointer(&path);
	return TRUE;
}

void
mesh_platform_login_clear(MeshPlatformLogin *login)
{
	g_clear_pointer(&login->name, g_free);
	g_clear_pointer(&login->paths, g_ptr_array_unref);
	g_clear_pointer(&login->next, g_free);
}

gboolean
mesh_platform_login_install(MeshHiveKind kind, MeshPlatformLogin *ret, GError **error)
{
	g_autoptr(GPtrArray) written = g_ptr_array_new_with_free_func(g_free);
	g_auto(LoginSet) set = { 0 };

	if (!login_set(kind, &set, error))
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(login_files); i++) {
		char *path = NULL;

		if (!write_login_file(&set, &login_files[i], &path, error))
			return FALSE;
		g_ptr_array_add(written, path);
	}
	ret->next = g_strdup_printf("Enable with: systemctl --user daemon-reload && systemctl "
				    "--user enable --now %s.socket",
				    set.unit);
	ret->name = g_steal_pointer(&set.unit);
	ret->paths = g_steal_pointer(&written);
	return TRUE;
}

gboolean
mesh_platform_login_uninstall(MeshHiveKind kind, MeshPlatformLogin *ret, GError **error)
{
	g_autoptr(GPtrArray) removed = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *wants = NULL;
	g_autofree char *link = NULL;
	g_auto(LoginSet) set = { 0 };

	if (!login_set(kind, &set, error))
		return FALSE;
	/* An enabled unit whose file is gone leaves systemd a dangling link to trip over. */
	wants = g_strconcat(set.unit, ".socket", NULL);
	link = g_build_filename(g_get_user_config_dir(), "systemd/user/sockets.target.wants",
				wants, NULL);
	if (g_file_test(link, G_FILE_TEST_IS_SYMLINK)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "%s is enabled: run 'systemctl --user disable --now %s' first", wants,
			    wants);
		return FALSE;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(login_files); i++) {
		g_autofree char *path = login_path(&set, &login_files[i]);

		if (unlink(path) == 0) {
			g_ptr_array_add(removed, g_steal_pointer(&path));
		} else if (errno != ENOENT) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot remove %s: %s", path,
				    g_strerror(errno));
			return FALSE;
		}
	}
	ret->next = removed->len == 0 ?
			    g_strdup_printf("No start-at-login files of %s to remove", set.unit) :
			    g_strdup("Then: systemctl --user daemon-reload");
	ret->name = g_steal_pointer(&set.unit);
	ret->paths = g_steal_pointer(&removed);
	return TRUE;
}
