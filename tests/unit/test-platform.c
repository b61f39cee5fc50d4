/* SPDX-License-Identifier: MIT */
#include "cutest.h"
#include "error.h"
#include "platform.h"
#include "platform-private.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

/* A uid that is not ours when the tests run as root. */
#define OTHER_UID 65534

static gboolean
is_root(const char *why)
{
	if (getuid() == 0)
		return TRUE;
	g_print("\n  (not root: skipping the check of %s)\n", why);
	return FALSE;
}

/* Assert MESH_ERROR_PERMISSION with a message that contains @want. */
static void
assert_refused(GError **error, const char *want)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(*error);
	if (strstr((*error)->message, want) == NULL)
		g_printerr("'%s' does not contain '%s'\n", (*error)->message, want);
	CU_ASSERT_PTR_NOT_NULL(strstr((*error)->message, want));
	MESH_ASSERT_ERROR(*error, MESH_ERROR_PERMISSION);
}

/* Set or unset (@value NULL) an environment variable. */
static void
set_env(const char *name, const char *value)
{
	if (value != NULL)
		g_setenv(name, value, TRUE);
	else
		g_unsetenv(name);
}

static void
test_mmm_home(void)
{
	g_autofree char *saved = g_strdup(g_getenv("MMM_HOME"));
	g_autofree char *home = g_build_filename(g_get_home_dir(), ".mmm", NULL);
	g_autofree char *set = NULL, *unset = NULL, *empty = NULL;

	g_setenv("MMM_HOME", "/srv/mesh-home", TRUE);
	set = mesh_platform_mmm_home();
	g_unsetenv("MMM_HOME");
	unset = mesh_platform_mmm_home();
	g_setenv("MMM_HOME", "", TRUE);
	empty = mesh_platform_mmm_home();
	set_env("MMM_HOME", saved);

	CU_ASSERT_STRING_EQUAL(set, "/srv/mesh-home");
	CU_ASSERT_STRING_EQUAL(unset, home);
	CU_ASSERT_STRING_EQUAL(empty, home);
}

static void
test_agent_socket(void)
{
	g_autofree char *saved_sock = g_strdup(g_getenv("MESH_AGENT_SOCK"));
	g_autofree char *saved_xdg = g_strdup(g_getenv("XDG_RUNTIME_DIR"));
	g_autofree char *tmp_test = g_strdup_printf("/tmp/mesh-%u/CryptoMesh/agent.sock",
						    (unsigned)getuid());
	g_autofree char *tmp_prod = g_strdup_printf("/tmp/mesh-%u/MathematicalMesh/agent.sock",
						    (unsigned)getuid());
	struct {
		const char *sock, *xdg;
		MeshHiveKind kind;
		const char *want;
	} cases[] = {
		{ "/x/agent", "/run/user/7", MESH_HIVE_TEST, "/x/agent" },
		{ "/x/agent", NULL, MESH_HIVE_PRODUCTION, "/x/agent" },
		{ NULL, "/run/user/7", MESH_HIVE_TEST, "/run/user/7/mesh/CryptoMesh/agent.sock" },
		{ "", "/run/user/7", MESH_HIVE_PRODUCTION,
		  "/run/user/7/mesh/MathematicalMesh/agent.sock" },
		{ NULL, NULL, MESH_HIVE_TEST, tmp_test },
		{ NULL, "", MESH_HIVE_PRODUCTION, tmp_prod },
		/* A relative XDG_RUNTIME_DIR is ignored, as the XDG spec says. */
		{ NULL, "run/user/7", MESH_HIVE_TEST, tmp_test },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = NULL;

		set_env("MESH_AGENT_SOCK", cases[i].sock);
		set_env("XDG_RUNTIME_DIR", cases[i].xdg);
		got = mesh_platform_agent_socket(cases[i].kind);
		if (strcmp(got, cases[i].want) != 0)
			g_printerr("case %" G_GSIZE_FORMAT ": %s, want %s\n", i, got,
				   cases[i].want);
		CU_ASSERT_STRING_EQUAL(got, cases[i].want);
	}
	set_env("MESH_AGENT_SOCK", saved_sock);
	set_env("XDG_RUNTIME_DIR", saved_xdg);
}

static void
test_private_dir_creates(void)
{
	g_autofree char *root = mesh_test_tmp_dir("platform");
	g_autofree char *deep = g_build_filename(root, "a", "b", "c", NULL);
	g_autofree char *a = g_build_filename(root, "a", NULL);
	g_autofree char *ab = g_build_filename(root, "a", "b", NULL);
	g_autofree char *orphan = g_build_filename(root, "x", "y", NULL);
	g_autofree char *open = g_build_filename(root, "open", NULL);
	GError *error = NULL;
	mode_t old;

	/* A umask that strips owner bits still gives exactly 0700. */
	old = umask(0277);
	CU_ASSERT_TRUE(mesh_platform_private_dir(deep, TRUE, &error));
	umask(old);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(mesh_test_mode(a), 0700);
	CU_ASSERT_EQUAL(mesh_test_mode(ab), 0700);
	CU_ASSERT_EQUAL(mesh_test_mode(deep), 0700);
	/* Again: an existing private folder is fine. */
	CU_ASSERT_TRUE(mesh_platform_private_dir(deep, FALSE, &error));
	MESH_ASSERT_NO_ERROR(error);

	/* Without create_parents a missing parent is an error, and nothing is made. */
	CU_ASSERT_FALSE(mesh_platform_private_dir(orphan, FALSE, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_IO);
	CU_ASSERT_FALSE(g_file_test(orphan, G_FILE_TEST_EXISTS));

	/* 0755 is not writable by others: accepted and left as it is. */
	CU_ASSERT_EQUAL_FATAL(mkdir(open, 0755), 0);
	CU_ASSERT_EQUAL_FATAL(chmod(open, 0755), 0);
	CU_ASSERT_TRUE(mesh_platform_private_dir(open, FALSE, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(mesh_test_mode(open), 0755);
	mesh_test_remove_tree(root);
}

static void
test_private_dir_refuses(void)
{
	g_autofree char *root = mesh_test_tmp_dir("platform");
	g_autofree char *dir = g_build_filename(root, "dir", NULL);
	g_autofree char *link = g_build_filename(root, "link", NULL);
	g_autofree char *file = g_build_filename(root, "file", NULL);
	g_autofree char *chmod_fix = g_strdup_printf("run 'chmod 700 %s'", dir);
	GError *error = NULL;

	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
	CU_ASSERT_TRUE(mesh_platform_private_dir(dir, FALSE, &error));
	MESH_ASSERT_NO_ERROR(error);

	/* Group-writable, then world-writable; fixed, it is accepted again. */
	CU_ASSERT_EQUAL_FATAL(chmod(dir, 0770), 0);
	CU_ASSERT_FALSE(mesh_platform_private_dir(dir, FALSE, &error));
	assert_refused(&error, chmod_fix);
	CU_ASSERT_EQUAL_FATAL(chmod(dir, 0703), 0);
	CU_ASSERT_FALSE(mesh_platform_private_dir(dir, TRUE, &error));
	assert_refused(&error, "writable by group or others");
	CU_ASSERT_EQUAL_FATAL(chmod(dir, 0700), 0);
	CU_ASSERT_TRUE(mesh_platform_private_dir(dir, FALSE, &error));
	MESH_ASSERT_NO_ERROR(error);

	/* A symbolic link to a good folder is not followed. */
	CU_ASSERT_EQUAL_FATAL(symlink(dir, link), 0);
	CU_ASSERT_FALSE(mesh_platform_private_dir(link, TRUE, &error));
	assert_refused(&error, "symbolic link");
	CU_ASSERT_TRUE(g_file_set_contents(file, "x", 1, NULL));
	CU_ASSERT_FALSE(mesh_platform_private_dir(file, TRUE, &error));
	assert_refused(&error, "not a folder");

	if (is_root("a folder of another user")) {
		CU_ASSERT_EQUAL_FATAL(chown(dir, OTHER_UID, OTHER_UID), 0);
		CU_ASSERT_FALSE(mesh_platform_private_dir(dir, FALSE, &error));
		assert_refused(&error, "belongs to uid 65534, not to you (uid 0)");
	}
	mesh_test_remove_tree(root);
}

/* /tmp/mesh-<uid> made first by someone else: its owner could swap what we put inside. */
static void
test_private_dir_ancestors(void)
{
	g_autofree char *root = mesh_test_tmp_dir("platform");
	g_autofree char *shared = g_build_filename(root, "shared", NULL);
	g_autofree char *inside = g_build_filename(root, "shared", "mesh", "CryptoMesh", NULL);
	GError *error = NULL;

	/* Sticky and world-writable, like /tmp: accepted. */
	CU_ASSERT_EQUAL_FATAL(mkdir(shared, 0700), 0);
	CU_ASSERT_EQUAL_FATAL(chmod(shared, 01777), 0);
	CU_ASSERT_TRUE(mesh_platform_private_dir(inside, TRUE, &error));
	MESH_ASSERT_NO_ERROR(error);
	/* Without the sticky bit anyone could rename our folder away. */
	CU_ASSERT_EQUAL_FATAL(chmod(shared, 0777), 0);
	CU_ASSERT_FALSE(mesh_platform_private_dir(inside, TRUE, &error));
	assert_refused(&error, "chmod go-w");
	CU_ASSERT_EQUAL_FATAL(chmod(shared, 0755), 0);

	if (is_root("an ancestor folder of another user")) {
		CU_ASSERT_EQUAL_FATAL(chown(shared, OTHER_UID, OTHER_UID), 0);
		CU_ASSERT_FALSE(mesh_platform_private_dir(inside, TRUE, &error));
		assert_refused(&error, "belongs to uid 65534");
	}
	mesh_test_remove_tree(root);
}

/*
 * Symbolic links on the way to a private folder: /tmp/mesh-<uid> made first, as a link, by
 * another user would let its owner point our sockets anywhere, whenever they like; a link of our
 * own (or root's, as macOS's /tmp) is followed, but the real path must be as safe.
 */
static void
test_private_dir_linked_ancestors(void)
{
	g_autofree char *root = mesh_test_tmp_dir("platform");
	g_autofree char *target = g_build_filename(root, "target", NULL);
	g_autofree char *ours = g_build_filename(root, "ours", NULL);
	g_autofree char *via_ours = g_build_filename(root, "ours", "mesh", "CryptoMesh", NULL);
	g_autofree char *open = g_build_filename(root, "open", NULL);
	g_autofree char *open_target = g_build_filename(root, "open", "target", NULL);
	g_autofree char *to_open = g_build_filename(root, "to-open", NULL);
	g_autofree char *via_open = g_build_filename(root, "to-open", "mesh", NULL);
	g_autofree char *theirs = g_build_filename(root, "theirs", NULL);
	g_autofree char *via_theirs = g_build_filename(root, "theirs", "elsewhere", NULL);
	GError *error = NULL;

	CU_ASSERT_EQUAL_FATAL(mkdir(target, 0700), 0);
	if (is_root("a symbolic link of another user")) {
		/* Another user's link, to a folder that passes every check (ours): refused. */
		CU_ASSERT_EQUAL_FATAL(symlink(target, theirs), 0);
		CU_ASSERT_EQUAL_FATAL(lchown(theirs, OTHER_UID, OTHER_UID), 0);
		CU_ASSERT_FALSE(mesh_platform_private_dir(via_theirs, TRUE, &error));
		assert_refused(&error, "symbolic link that belongs to uid 65534");
		CU_ASSERT_FALSE(g_file_test(via_theirs, G_FILE_TEST_EXISTS));
	}
	/* Our own link to a safe folder: followed. */
	CU_ASSERT_EQUAL_FATAL(symlink(target, ours), 0);
	CU_ASSERT_TRUE(mesh_platform_private_dir(via_ours, TRUE, &error));
	MESH_ASSERT_NO_ERROR(error);
	/* Our own link into a folder anyone may rename things in: its real path is refused. */
	CU_ASSERT_EQUAL_FATAL(mkdir(open, 0700), 0);
	CU_ASSERT_EQUAL_FATAL(chmod(open, 0777), 0);
	CU_ASSERT_EQUAL_FATAL(mkdir(open_target, 0700), 0);
	CU_ASSERT_EQUAL_FATAL(symlink(open_target, to_open), 0);
	CU_ASSERT_FALSE(mesh_platform_private_dir(via_open, TRUE, &error));
	assert_refused(&error, "leads through a symbolic link");
	CU_ASSERT_FALSE(g_file_test(via_open, G_FILE_TEST_EXISTS));

	mesh_test_remove_tree(root);
}

/* The names in @dir other than @keep: leftovers of atomic writes. */
static guint
count_others(const char *dir, const char *keep)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;
	guint n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((name = g_dir_read_name(d)) != NULL) {
		if (g_strcmp0(name, keep) != 0) {
			g_printerr("left over: %s\n", name);
			n++;
		}
	}
	return n;
}

static void
assert_content(const char *path, const char *want)
{
	g_autofree char *got = NULL;

	CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &got, NULL, NULL));
	CU_ASSERT_STRING_EQUAL(got, want);
}

static void
test_write_atomic(void)
{
	g_autofree char *root = mesh_test_tmp_dir("platform");
	g_autofree char *path = g_build_filename(root, "entry", NULL);
	GError *error = NULL;
	mode_t old;

	old = umask(0);
	CU_ASSERT_TRUE(mesh_platform_write_atomic(path, (const guint8 *)"first", 5, &error));
	umask(old);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(mesh_test_mode(path), 0600);
	assert_content(path, "first");

	/* Replacing a file with looser permissions leaves 0600. */
	CU_ASSERT_EQUAL_FATAL(chmod(path, 0644), 0);
	CU_ASSERT_TRUE(mesh_platform_write_atomic(path, (const guint8 *)"second", 6, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(mesh_test_mode(path), 0600);
	assert_content(path, "second");
	/* A umask that strips owner bits changes nothing either. */
	old = umask(0277);
	CU_ASSERT_TRUE(mesh_platform_write_atomic(path, (const guint8 *)"third", 5, &error));
	umask(old);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(mesh_test_mode(path), 0600);
	CU_ASSERT_TRUE(mesh_platform_write_atomic(path, NULL, 0, &error));
	MESH_ASSERT_NO_ERROR(error);
	assert_content(path, "");
	CU_ASSERT_EQUAL(count_others(root, "entry"), 0);
	mesh_test_remove_tree(root);
}

static void
test_write_atomic_failures(void)
{
	g_autofree char *root = mesh_test_tmp_dir("platform");
	g_autofree char *missing = g_build_filename(root, "no", "entry", NULL);
	g_autofree char *entry = g_build_filename(root, "entry", NULL);
	g_autofree char *inside = g_build_filename(root, "entry", "x", NULL);
	static const guint8 big[64 * 1024];
	struct rlimit saved, small;
	void (*handler)(int);
	GError *error = NULL;
	gboolean ok;

	CU_ASSERT_FALSE(mesh_platform_write_atomic(missing, (const guint8 *)"x", 1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_IO);

	/* The rename fails (a non-empty folder of that name): the temporary file is removed. */
	CU_ASSERT_EQUAL_FATAL(mkdir(entry, 0700), 0);
	CU_ASSERT_TRUE_FATAL(g_file_set_contents(inside, "x", 1, NULL));
	CU_ASSERT_FALSE(mesh_platform_write_atomic(entry, (const guint8 *)"x", 1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_IO);
	CU_ASSERT_EQUAL(count_others(root, "entry"), 0);
	CU_ASSERT_EQUAL_FATAL(remove(inside), 0);
	CU_ASSERT_EQUAL_FATAL(remove(entry), 0);

	/* The write fails half-way (file size limit): old content stays, no temporary file. The
	 * soft limit can be raised again afterwards. */
	CU_ASSERT_TRUE(mesh_platform_write_atomic(entry, (const guint8 *)"old", 3, &error));
	CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_FSIZE, &saved), 0);
	small = saved;
	small.rlim_cur = 1000;
	handler = signal(SIGXFSZ, SIG_IGN);
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &small), 0);
	ok = mesh_platform_write_atomic(entry, big, sizeof big, &error);
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &saved), 0);
	signal(SIGXFSZ, handler);
	CU_ASSERT_FALSE(ok);
	MESH_ASSERT_ERROR(error, MESH_ERROR_IO);
	assert_content(entry, "old");
	CU_ASSERT_EQUAL(count_others(root, "entry"), 0);
	mesh_test_remove_tree(root);
}

static void
test_peer_uid(void)
{
	GError *error = NULL;
	guint64 uid = G_MAXUINT64;
	int sv[2], pv[2];

	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	CU_ASSERT_TRUE(mesh_platform_peer_uid(sv[0], &uid, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(uid, (guint64)getuid());
	CU_ASSERT_EQUAL(mesh_platform_uid(), (guint64)getuid());

	/* Not a socket, or no descriptor at all: refused, and uid untouched. */
	CU_ASSERT_EQUAL_FATAL(pipe(pv), 0);
	uid = 42;
	CU_ASSERT_FALSE(mesh_platform_peer_uid(pv[0], &uid, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_PERMISSION);
	CU_ASSERT_FALSE(mesh_platform_peer_uid(-1, &uid, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_PERMISSION);
	CU_ASSERT_EQUAL(uid, 42);
	close(sv[0]);
	close(sv[1]);
	close(pv[0]);
	close(pv[1]);
}

/* Bits of the child's exit status, one per property that harden() failed to set. */
#define HARDEN_FAILED 1
#define HARDEN_CORE   2
#define HARDEN_DUMP   4
#define HARDEN_UMASK  8

/* In a child: the hard core limit cannot be raised again, and the test runner stays dumpable. */
static void
test_harden(void)
{
	pid_t pid = fork();
	int status = -1;

	CU_ASSERT_NOT_EQUAL_FATAL(pid, -1);
	if (pid == 0) {
		struct rlimit core = { 0 };
		int bad = 0;

		/* Start from the opposite of each property, where the system lets us. */
		umask(022);
		if (getrlimit(RLIMIT_CORE, &core) == 0 && core.rlim_max != 0) {
			core.rlim_cur = core.rlim_max;
			setrlimit(RLIMIT_CORE, &core);
		}
		if (!mesh_platform_harden(NULL))
			bad |= HARDEN_FAILED;
		if (getrlimit(RLIMIT_CORE, &core) != 0 || core.rlim_cur != 0 || core.rlim_max != 0)
			bad |= HARDEN_CORE;
#ifdef __linux__
		if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
			bad |= HARDEN_DUMP;
#endif
		if (umask(0) != 077)
			bad |= HARDEN_UMASK;
		_exit(bad);
	}
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_TRUE_FATAL(WIFEXITED(status));
	if (WEXITSTATUS(status) != 0)
		g_printerr("harden left bits 0x%x\n", WEXITSTATUS(status));
	CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
#ifdef __linux__
	CU_ASSERT_EQUAL(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
#endif
}

static CU_TestInfo tests[] = {
	{ "MMM_HOME or ~/.mmm", test_mmm_home },
	{ "agent socket: MESH_AGENT_SOCK, XDG_RUNTIME_DIR, /tmp", test_agent_socket },
	{ "private_dir creates 0700, with parents", test_private_dir_creates },
	{ "private_dir refuses modes, links, files, owners", test_private_dir_refuses },
	{ "private_dir refuses unsafe ancestors", test_private_dir_ancestors },
	{ "private_dir follows only our links, to safe folders", test_private_dir_linked_ancestors },
	{ "write_atomic: 0600, replaces, no leftovers", test_write_atomic },
	{ "write_atomic failures keep the old content", test_write_atomic_failures },
	{ "peer uid of a socketpair", test_peer_uid },
	{ "harden: no core, not dumpable, umask 077", test_harden },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("platform", tests);
}
