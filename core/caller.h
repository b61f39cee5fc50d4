/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * MeshCaller: who is at the other end of an agent's connection, as far as the OS can tell: the
 * process id and the path of the program it runs (docs/design.md, "Who is calling"). The OS
 * folder makes one when a connection is accepted (mesh_transport_peer_caller, core/transport.h);
 * the policy and the audit log read it. Portable: the OS part is behind the digest hook and its
 * data.
 *
 * Refcounted, immutable after creation but for the digest, which is computed once, on first use,
 * and kept; safe to share between threads.
 */
typedef struct MeshCaller MeshCaller;

/* The SHA-256 of the caller's executable as it runs (the OS's hook, given @os): into @ret on
 * success; FALSE with a MESH_ERROR otherwise (MESH_ERROR_NOT_FOUND when the process is gone). */
typedef gboolean (*MeshCallerDigestFunc)(gpointer os, guint8 ret[32], GError **error);

/*
 * mesh_caller_new: a caller of process @pid (0 or less: unknown) running @program (an absolute
 * path in valid UTF-8, copied; NULL, or anything else, is an unknown program). @digest (may be
 * NULL: no digest can be had) is called with @os the first time the digest is asked for;
 * @os_free (may be NULL) frees @os with the last reference (the OS folder may keep the process
 * pinned in it meanwhile). Returns a new reference.
 */
MeshCaller *mesh_caller_new(gint64 pid, const char *program, MeshCallerDigestFunc digest,
                            gpointer os, GDestroyNotify os_free);

/* mesh_caller_ref: another reference to @c; returns @c. */
MeshCaller *mesh_caller_ref(MeshCaller *c);

/* mesh_caller_unref: drop a reference; accepts NULL. */
void mesh_caller_unref(MeshCaller *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshCaller, mesh_caller_unref)

/* mesh_caller_pid: the caller's process id, 0 when unknown. */
gint64 mesh_caller_pid(const MeshCaller *c);

/* mesh_caller_program: the absolute path of the caller's program, valid UTF-8 (owned by @c), or
 * NULL when unknown. An unknown program matches no program's rule. */
const char *mesh_caller_program(const MeshCaller *c);

/*
 * mesh_caller_digest: the SHA-256 of the caller's executable into @ret, computed on first use
 * and kept (thread-safe: callers asking at once wait for the one computing it). Errors:
 * MESH_ERROR_NOT_FOUND when it cannot be had (an unknown program, no hook, the process gone),
 * else the hook's (MESH_ERROR_IO, MESH_ERROR_TOO_LARGE ...). @ret is written only on success.
 */
gboolean mesh_caller_digest(MeshCaller *c, guint8 ret[32], GError **error);

/* mesh_caller_digest_hex: mesh_caller_digest as 64 lower-case hex digits and a NUL into @ret, as
 * the policy's rules pin a program. */
gboolean mesh_caller_digest_hex(MeshCaller *c, char ret[65], GError **error);

/*
 * mesh_caller_describe: "PROGRAM (pid N)", or "an unknown program (pid N)", with "pid unknown"
 * for pid 0: for prompts and logs. The path is escaped for display (mesh_text_escape): never raw
 * bytes or terminal controls. Returns a new string (g_free).
 */
char *mesh_caller_describe(const MeshCaller *c);

/* ==== For the OS folders' digest hooks ===================================================== */

/* The largest executable a digest hook reads: a program is far smaller, and this bounds the time
 * a digest may take. */
#define MESH_CALLER_EXE_MAX ((gint64)1 << 30)

/* How a hook's file is read: at most @len bytes into @buf, the count in *@ret_n (0 at its end);
 * FALSE with a MESH_ERROR when reading failed. */
typedef gboolean (*MeshCallerReadFunc)(gpointer file, guint8 *buf, gsize len, gsize *ret_n,
                                       GError **error);

/*
 * mesh_caller_hash_file: the SHA-256 of all that @read_func gives from @file, read in 64 KiB
 * blocks, into @ret. @pid names the process in messages. Errors: MESH_ERROR_TOO_LARGE past
 * MESH_CALLER_EXE_MAX bytes, MESH_ERROR_CRYPTO, and @read_func's. @ret is written only on
 * success.
 */
gboolean mesh_caller_hash_file(MeshCallerReadFunc read_func, gpointer file, gint64 pid,
                               guint8 ret[32], GError **error);

G_END_DECLS
