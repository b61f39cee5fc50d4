/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "hive.h"

G_BEGIN_DECLS

/*
 * What differs between operating systems, behind one interface: one implementation per OS
 * folder (linux/ serves Linux and macOS; windows/ later). Nothing in core/ calls the OS
 * directly.
 */

/* mesh_platform_mmm_home: $MMM_HOME, else ~/.mmm. Returns a new string. */
char *mesh_platform_mmm_home(void);

/*
 * mesh_platform_agent_socket: the agent's socket for @kind: $MESH_AGENT_SOCK when set, else
 * $XDG_RUNTIME_DIR/mesh/<hive folder>/agent.sock, else /tmp/mesh-<uid>/<hive folder>/agent.sock.
 * Returns a new string.
 */
char *mesh_platform_agent_socket(MeshHiveKind kind);

/*
 * mesh_platform_ssh_agent_address: where the agent of @kind, listening at @agent_address, serves
 * the OpenSSH agent protocol when MESH_SSH_AGENT_SOCK does not say (ipc/ssh-agent.h): Linux and
 * macOS "ssh-agent.sock" in the folder of @agent_address; Windows \\.\pipe\openssh-ssh-agent
 * (where Windows' own ssh.exe looks) for the production hive, "@agent_address-ssh-agent" for the
 * test hive. Returns a new string.
 */
char *mesh_platform_ssh_agent_address(MeshHiveKind kind, const char *agent_address);

/*
 * mesh_platform_harden: for daemons and tools that hold keys: no core dumps (RLIMIT_CORE 0),
 * not dumpable or traceable by other processes of the user, umask 077. Errors: MESH_ERROR_FAILED
 * naming the step that failed.
 */
gboolean mesh_platform_harden(GError **error);

/*
 * mesh_platform_boottime: microseconds on a clock that never goes back and goes on counting while
 * the machine is suspended (Linux: CLOCK_BOOTTIME, as OpenSSH's agent uses). Lifetimes (ssh-add
 * -t, mesh unlock --lifetime) run on it: an hour's lifetime must not last a night of sleep.
 */
gint64 mesh_platform_boottime(void);

/* GLib's timeouts and poll() count on a clock that stops while the machine sleeps: whatever waits
 * for a mesh_platform_boottime deadline wakes at least this often to look at the clock again. */
#define MESH_PLATFORM_SLEEP_CHECK_MS 5000

/* mesh_platform_pid: this process's id, for messages and lock files. */
guint64 mesh_platform_pid(void);

/*
 * mesh_platform_private_dir: make sure @path is a folder (created 0700, with missing parents
 * when @create_parents) that belongs to this user and that neither group nor others can write
 * to. Every folder above it must belong to this user or to root and be writable by others only
 * when sticky (as /tmp), so that nobody else can swap the folder away (OpenSSH's StrictModes). A
 * symbolic link on the way is followed only when it belongs to this user or to root (anyone else
 * could point it elsewhere at any time), and the folders of the path it leads to must pass the
 * same checks; @path itself must not be a link. Errors: MESH_ERROR_PERMISSION naming the path and
 * the fix ("chmod 700 PATH"), MESH_ERROR_IO.
 */
gboolean mesh_platform_private_dir(const char *path, gboolean create_parents, GError **error);

/*
 * mesh_platform_write_atomic: replace the file @path with @len bytes: write a temporary file in
 * the same folder (mode 0600), fsync it, rename it over @path, fsync the folder. After a crash
 * @path holds either its old or its new content. Errors: MESH_ERROR_IO.
 */
gboolean mesh_platform_write_atomic(const char *path, const guint8 *data, gsize len,
				    GError **error);

/*
 * mesh_platform_file_temp: an empty file, mode 0600, made beside @path (".NAME.tmp-XXXXXX" in
 * its folder) for a program that writes it and then makes it @path (mesh_platform_file_commit).
 * The folder must exist and be writable by its owner only: where group or others can write,
 * they could swap the file or take its name first. Returns the new file's path. Errors:
 * MESH_ERROR_NOT_FOUND (no such folder), MESH_ERROR_PERMISSION (a folder open to others, or not
 * a folder), MESH_ERROR_IO (cannot create the file: the message says why). (servermesh backup.)
 */
char *mesh_platform_file_temp(const char *path, GError **error);

/*
 * mesh_platform_file_commit: make the written file @tmp (from mesh_platform_file_temp) @path:
 * flush it to the disk, rename it to @path and flush the folder, so that after a crash @path is
 * either absent (or its old content) or complete. An existing @path is replaced only when
 * @replace; otherwise the rename is refused atomically. Errors: MESH_ERROR_EXISTS, MESH_ERROR_IO.
 * @tmp is left in place on failure (the caller removes it).
 */
gboolean mesh_platform_file_commit(const char *tmp, const char *path, gboolean replace,
				   GError **error);

/* ---- Processes, signals, terminals and start-up ----------------------------------------- */

/*
 * mesh_platform_daemonise: go on in the background, detached from the terminal and session, in
 * the root folder. The process that started stays until the background one reports
 * (mesh_platform_daemon_started, or mesh_platform_daemon_failed) and then exits with that
 * status, printing "@prog: message" for a failure, so that "meshagent && mesh ..." never races
 * the socket. Returns in the background process only; a failure to go to the background is
 * printed and exits. (Linux: fork, setsid and a pipe; Windows re-spawns itself detached.)
 */
void mesh_platform_daemonise(const char *prog);

/* mesh_platform_daemon_waiting: whether a process started by mesh_platform_daemonise waits for
 * this one's report (then stderr goes to nobody once it has started). */
gboolean mesh_platform_daemon_waiting(void);

/* mesh_platform_daemon_failed: tell the waiting process that start-up failed, with the MeshError
 * @code (its exit status) and @message. Nothing when nobody waits. */
void mesh_platform_daemon_failed(int code, const char *message);

/* mesh_platform_daemon_started: tell the waiting process that the daemon serves (exit status 0);
 * standard input, output and error then go to the null device. Nothing when nobody waits. */
void mesh_platform_daemon_started(void);

/* mesh_platform_on_terminate: call @func(@data) in the default main context each time the
 * process is asked to stop (SIGTERM, SIGINT; Windows: the console's close and Ctrl-C events). */
void mesh_platform_on_terminate(GSourceFunc func, gpointer data);

/* mesh_platform_ignore_broken_pipe: writing to a connection the peer closed fails with an error
 * instead of ending the process (SIGPIPE ignored). */
void mesh_platform_ignore_broken_pipe(void);

/* mesh_platform_no_core_dumps: this process leaves no core file (RLIMIT_CORE 0), for tools that
 * handle secrets but are not hardened as mesh_platform_harden does. */
void mesh_platform_no_core_dumps(void);

/* mesh_platform_descriptor_limit: how many descriptors (sockets, files) this process may hold
 * open at once; G_MAXUINT64 when there is no limit. */
guint64 mesh_platform_descriptor_limit(void);

/* mesh_platform_program_dir: the folder of the running program (where its companion programs are
 * installed), or NULL when it cannot be told. A new string. */
char *mesh_platform_program_dir(void);

/*
 * mesh_platform_catch_interrupt: from now on Ctrl-C (SIGINT) does not end the process: it sets
 * the flag mesh_platform_interrupted returns and wakes a read of an interruptible input (below).
 */
void mesh_platform_catch_interrupt(void);
gboolean mesh_platform_interrupted(void);

/* The standard streams, for mesh_platform_is_terminal. */
typedef enum {
	MESH_PLATFORM_STDIN,
	MESH_PLATFORM_STDOUT,
	MESH_PLATFORM_STDERR,
} MeshPlatformStream;

/* mesh_platform_is_terminal: whether @stream is a terminal (a console). */
gboolean mesh_platform_is_terminal(MeshPlatformStream stream);

/*
 * mesh_platform_write_stdout: all @len bytes at @data to standard output past the C library's
 * buffers (whose copies nobody wipes; what they hold is flushed first). FALSE, errno set, when
 * standard output cannot be written.
 */
gboolean mesh_platform_write_stdout(const guint8 *data, gsize len);

/*
 * MeshPlatformInput: a file, standard input or the terminal, read as it comes: no buffer of the
 * C library or GLib holds a copy of what is read (a passphrase, a private key). Errors of these
 * calls carry the system's reason alone as their message: the caller prefixes what it did
 * ("cannot open '%s': ", "cannot read %s: ").
 *
 * mesh_platform_input_open: @path for reading, or standard input when @path is NULL or "-".
 * With @interruptible, a read fails with MESH_ERROR_CANCELLED once mesh_platform_interrupted is
 * TRUE instead of going on. Errors: MESH_ERROR_NOT_FOUND, MESH_ERROR_PERMISSION, MESH_ERROR_IO.
 * mesh_platform_input_terminal: the controlling terminal, as ssh-keygen and gpg ask even when
 * standard output is redirected (else standard input); its errors come with the first use.
 * mesh_platform_input_read: up to @len bytes into @buf; the count, 0 at the end of the input, -1
 * on failure (MESH_ERROR_IO, MESH_ERROR_CANCELLED).
 * mesh_platform_input_wait: wait at most @timeout_ms for something to read (or the end of the
 * input): 1 when there is, 0 when the time passed or a signal came, -1 when the input cannot be
 * waited on.
 * mesh_platform_input_echo: a terminal's echo off or back on (what it was before). Errors:
 * MESH_ERROR_IO.
 */
typedef struct MeshPlatformInput MeshPlatformInput;

MeshPlatformInput *mesh_platform_input_open(const char *path, gboolean interruptible,
					    GError **error);
MeshPlatformInput *mesh_platform_input_terminal(void);
gssize mesh_platform_input_read(MeshPlatformInput *input, void *buf, gsize len, GError **error);
int mesh_platform_input_wait(MeshPlatformInput *input, int timeout_ms);
gboolean mesh_platform_input_echo(MeshPlatformInput *input, gboolean echo, GError **error);
void mesh_platform_input_close(MeshPlatformInput *input);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshPlatformInput, mesh_platform_input_close)

/*
 * mesh_platform_private_file: open @path, creating it empty (mode 0600) when missing, and make
 * sure it is a regular file of this user that neither group nor others may read or write, and
 * not a link. @what names it in messages ("portal database"). Errors: MESH_ERROR_PERMISSION (a
 * link, another owner, not a file, an open mode: with the fix, "chmod 600 PATH"),
 * MESH_ERROR_IO.
 */
gboolean mesh_platform_private_file(const char *path, const char *what, GError **error);

/*
 * The files that start the agent of a hive at login (Linux: systemd user units for both of its
 * sockets and an XDG autostart entry; Windows: the Run key; macOS: a launchd agent), for the
 * meshagent beside this program and this MMM_HOME.
 *
 * mesh_platform_login_install writes them, mesh_platform_login_uninstall removes them; both fill
 * @ret (cleared with mesh_platform_login_clear): the name they go by, the files written or
 * removed, and the line that tells the user what to do next. Errors: MESH_ERROR_INVALID_ARGUMENT
 * (a setting the files cannot carry, or still enabled), MESH_ERROR_IO, MESH_ERROR_FAILED.
 */
typedef struct {
	char *name;       /* the unit, Run value or launchd label */
	GPtrArray *paths; /* of the files written or removed */
	char *next;       /* one line for the user, without a newline */
} MeshPlatformLogin;

gboolean mesh_platform_login_install(MeshHiveKind kind, MeshPlatformLogin *ret, GError **error);
gboolean mesh_platform_login_uninstall(MeshHiveKind kind, MeshPlatformLogin *ret,
				       GError **error);
void mesh_platform_login_clear(MeshPlatformLogin *login);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(MeshPlatformLogin, mesh_platform_login_clear)

G_END_DECLS
