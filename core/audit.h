/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "hive.h"

G_BEGIN_DECLS

/*
 * The audit log (docs/protocol.md "Audit log", docs/design.md "What the audit log can and cannot
 * show"): what the agent did with this hive's keys, secrets and policy, one JSON record per line
 * in the hive's Audit folder, each chained to the one before it by the SHA-256 of that line, and
 * now and then a Head record signed with the device's signature key, the latest also kept whole
 * in Audit/head. Files Audit/NNNNNNNNNNNN.log, named by the Seq of their first record, start a
 * new one after MESH_AUDIT_FILE_MAX bytes. Records hold names, UDFs and outcomes, never a
 * secret, passphrase, password, application data or signed data: MeshAuditRecord has no member
 * that could carry one.
 */

/* A file is closed (its head signed, if it can be) once it holds this many bytes. */
#define MESH_AUDIT_FILE_MAX (1024 * 1024)
/* The longest line, newline excluded, the writer makes and the reader and verifier accept. */
#define MESH_AUDIT_LINE_MAX (64 * 1024)
/* The entry holding the latest head line. */
#define MESH_AUDIT_HEAD "head"

/*
 * MeshAuditRecord: the members a caller gives, each NULL (or @pid 0) to leave it out; Seq, Time
 * and Prev are the writer's. Text must be valid UTF-8 (else MESH_ERROR_INVALID_ARGUMENT); it is
 * kept as it is (JSON escapes for quotes, backslashes and control characters only).
 */
typedef struct {
	const char *op;       /* required: "Sign", "Agree", "Read", "Change", "Policy", "Approval" */
	const char *key;      /* the UDF of the key used */
	const char *app;      /* the application ("Passwords", ...) */
	const char *item;     /* the item of the application (the site, for a password) */
	const char *method;   /* the agent method */
	const char *program;  /* the caller's executable, absolute */
	gint64 pid;           /* the caller's process; 0: unknown */
	const char *decision; /* "allow", "deny", "ask-once", "ask-always", "ask-deny", "ask-timeout" */
	const char *result;   /* the MeshError name of the outcome: "Ok", "Denied", ... */
	const char *detail;   /* anything else, as text (a policy change's fields) */
} MeshAuditRecord;

typedef struct MeshAudit MeshAudit;

/*
 * MeshAuditSignFunc: sign the @len bytes at @msg ("MeshAuditHead:<Seq>:<Prev>") with the
 * device's signature key: its UDF in *@ret_signer_udf (g_free) and the signature in
 * *@ret_signature (Ed25519, or ES256 as r || s). FALSE with @error when it cannot (a locked key:
 * MESH_ERROR_LOCKED).
 */
typedef gboolean (*MeshAuditSignFunc)(gpointer data, const guint8 *msg, gsize len,
				      char **ret_signer_udf, GBytes **ret_signature,
				      GError **error);

/*
 * MeshAuditVerifyFunc: whether @signature is the signature of the @len bytes at @msg by the key
 * @signer_udf. FALSE with @error when it is not, or the key is unknown (the agent looks it up in
 * its key store; MESH_ERROR_NOT_FOUND, MESH_ERROR_BAD_SIGNATURE).
 */
typedef gboolean (*MeshAuditVerifyFunc)(gpointer data, const char *signer_udf, const guint8 *msg,
					gsize len, GBytes *signature, GError **error);

/* MeshAuditClockFunc: now, in milliseconds since the Unix epoch (tests fix it). */
typedef gint64 (*MeshAuditClockFunc)(gpointer data);

/*
 * mesh_audit_open: the writer of @hive's log, which @hive must outlive. It reads the newest
 * file only (and Audit/head) to go on with Seq and Prev. A newest file that ends in a torn line
 * (bytes without their newline: the agent was killed inside a write) is not written to again:
 * a new file starts with a record {"Op":"Recovered","Detail":"torn ..."} that names the torn
 * bytes and chains to the last whole line, which the verifier accepts (docs/protocol.md "Audit
 * log"). Errors: MESH_ERROR_TAMPERED when the newest file holds no whole record and is not the
 * next one after its predecessor, MESH_ERROR_TOO_LARGE, MESH_ERROR_IO, MESH_ERROR_PERMISSION.
 */
MeshAudit *mesh_audit_open(MeshHive *hive, GError **error);
/* mesh_audit_close: accepts NULL. Signs nothing: sign the last head first. */
void mesh_audit_close(MeshAudit *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshAudit, mesh_audit_close)

/* mesh_audit_set_signer: how heads are signed (NULL @func: none, heads cannot be signed). */
void mesh_audit_set_signer(MeshAudit *a, MeshAuditSignFunc func, gpointer data);
/* mesh_audit_set_rotate_bytes: start a new file once one holds @bytes (1 to MESH_AUDIT_FILE_MAX;
 * others are clamped). For tests; the agent passes env MESH_AUDIT_ROTATE_BYTES. */
void mesh_audit_set_rotate_bytes(MeshAudit *a, gsize bytes);
/* mesh_audit_set_clock: where Time comes from (NULL: the system's clock). For tests. */
void mesh_audit_set_clock(MeshAudit *a, MeshAuditClockFunc func, gpointer data);

/*
 * mesh_audit_append: write @r as the next record, whole, in one write (not synced: heads are).
 * A file that is full is closed first with a signed head, or, when no head can be signed, with
 * an unsigned {"Op":"Head","Result":<the error's name>} that says why; that is no error of
 * append's. Thread-safe; the signer runs under the log's lock and must not append to it.
 * Errors: MESH_ERROR_INVALID_ARGUMENT (no op, op Head or Recovered, text not UTF-8),
 * MESH_ERROR_TOO_LARGE (a line above MESH_AUDIT_LINE_MAX), the hive's (MESH_ERROR_IO ...):
 * nothing was recorded, and the next append starts from what the files hold.
 */
gboolean mesh_audit_append(MeshAudit *a, const MeshAuditRecord *r, GError **error);

/* mesh_audit_pending: the records written since the last signed head (0: nothing to sign). */
guint64 mesh_audit_pending(MeshAudit *a);

/*
 * mesh_audit_sign_head: when records were written since the last signed head, sign a Head
 * record over the next Seq and Prev, append it and make the file durable, then write its line
 * to Audit/head (atomically). TRUE with nothing done when nothing is pending. Errors:
 * MESH_ERROR_UNSUPPORTED (no signer), the signer's (MESH_ERROR_LOCKED ...: nothing written, the
 * records stay pending), the hive's.
 */
gboolean mesh_audit_sign_head(MeshAudit *a, GError **error);

/* MeshAuditFilter: every member may be NULL / 0. */
typedef struct {
	const char *since;   /* RFC 3339 time: records at or after it */
	const char *key;     /* records whose Key is this UDF */
	const char *program; /* records whose Program is this path */
	guint limit;         /* the last @limit records that match; 0: all */
} MeshAuditFilter;

/*
 * mesh_audit_list: the records of @hive's log that match @f (NULL: all), oldest first, as the
 * JSON lines stored (char *, newline left out), in *@ret_lines. Lines that are not records are
 * left out (mesh_audit_verify reports them). Errors: MESH_ERROR_INVALID_ARGUMENT (@since is not
 * an RFC 3339 time), the hive's.
 */
gboolean mesh_audit_list(MeshHive *hive, const MeshAuditFilter *f, GPtrArray **ret_lines,
			 GError **error);

typedef struct {
	guint64 records;        /* records in the log, heads included */
	guint64 files;          /* files */
	guint64 signed_through; /* Seq of the last signed head (0: none) */
	guint64 unsigned_records; /* records after it */
} MeshAuditReport;

/*
 * mesh_audit_verify: check @hive's whole log: every line strict JSON, as the writer writes it
 * (at most MESH_AUDIT_LINE_MAX), Seq from 1 with no gap (each file named by its first Seq),
 * Prev the SHA-256 of the line before it across files, every signed head's signature through
 * @verify_sig, a torn last line of a file only where the next file's first record recovered
 * it, and Audit/head's line in the log at its Seq. *@ret (may be NULL) is filled only on
 * success. An empty or missing log is verified, with 0 records. Errors: MESH_ERROR_TAMPERED,
 * whose message names the file, line and Seq of the first broken record and why; the hive's.
 */
gboolean mesh_audit_verify(MeshHive *hive, MeshAuditVerifyFunc verify_sig, gpointer data,
			   MeshAuditReport *ret, GError **error);

G_END_DECLS
