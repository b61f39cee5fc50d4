/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * MeshHive: one user's Mesh data on one machine (docs/design.md "Hives"). Two hives keep test data
 * and production data apart: "production" (folder/registry key MathematicalMesh) and "test"
 * (CryptoMesh). Each holds the folders below; a folder's "default" entry names its default
 * entry. Implemented per OS (linux/hive.c: a directory tree under $MMM_HOME or ~/.mmm, every
 * write atomic, folders 0700 and files 0600, unsafe ownership or modes refused).
 */

typedef enum {
	MESH_HIVE_PRODUCTION = 0,
	MESH_HIVE_TEST = 1,
} MeshHiveKind;

/* "production" / "test" */
const char *mesh_hive_kind_name(MeshHiveKind kind);
/* "MathematicalMesh" / "CryptoMesh" */
const char *mesh_hive_kind_dirname(MeshHiveKind kind);
/*
 * mesh_hive_kind_from_name: "test" or "production" (any case; the folder names are accepted
 * too). @name NULL means the MESH_HIVE environment variable, and when that is unset,
 * production. Errors: MESH_ERROR_INVALID_ARGUMENT naming the accepted values.
 */
gboolean mesh_hive_kind_from_name(const char *name, MeshHiveKind *ret_kind, GError **error);

typedef enum {
	MESH_HIVE_ACCOUNTS = 0,
	MESH_HIVE_PERSONAL_PROFILES,
	MESH_HIVE_THIS_DEVICE,
	MESH_HIVE_APPLICATION_PROFILES,
	MESH_HIVE_KEYS,
	MESH_HIVE_ESCROW,
	/* changes made while the portal could not be reached, waiting to be published
	 * (core/session-queue.c); each entry sealed to this device */
	MESH_HIVE_OUTBOX,
	/* the per-program policy (Policy/rules.json: ipc/policy.h) */
	MESH_HIVE_POLICY,
	/* the audit log (core/audit.h): this device's own record of what was done with this
	 * hive, so never migrated */
	MESH_HIVE_AUDIT,
	MESH_HIVE_N_FOLDERS,
} MeshHiveFolder;

/* "Accounts", "PersonalProfiles", "ThisDevice", "ApplicationProfiles", "Keys", "Escrow",
 * "Outbox", "Policy", "Audit" */
const char *mesh_hive_folder_name(MeshHiveFolder folder);

/* The entry that names a folder's default entry. */
#define MESH_HIVE_DEFAULT "default"
/* Largest entry the hive stores or reads. */
#define MESH_HIVE_ENTRY_MAX (4 * 1024 * 1024)

/*
 * mesh_hive_check_name: an entry name is 1-200 characters of A-Z a-z 0-9 . _ - and does not
 * start with '.' (so it can never name a parent folder, a hidden or a temporary file).
 * Errors: MESH_ERROR_INVALID_ARGUMENT.
 */
gboolean mesh_hive_check_name(const char *name, GError **error);

typedef struct MeshHive MeshHive;

/*
 * MeshHiveStamp: what an entry on disk is, cheaply, without reading it (on Linux: device, inode,
 * size, mode, owner, and the change and modification times in nanoseconds). Equal stamps mean the
 * entry was neither replaced nor changed, nor its owner or mode: a verified copy kept in memory
 * is still what the hive holds (core/hive-cache.h). Opaque: only compared.
 */
typedef struct {
	guint64 v[6];
} MeshHiveStamp;

typedef struct {
	/* The bytes of @name (at most @max_len, else MESH_ERROR_TOO_LARGE); MESH_ERROR_NOT_FOUND
	 * when there is no such entry. */
	gboolean (*read)(MeshHive *hive, MeshHiveFolder folder, const char *name, gsize max_len,
			 GBytes **ret_data, GError **error);
	/* Create or replace @name atomically: after a crash either the old or the new content is
	 * there, never a mix. */
	gboolean (*write)(MeshHive *hive, MeshHiveFolder folder, const char *name,
			  const guint8 *data, gsize len, GError **error);
	/* Append @len bytes to @name, creating it (private, like a written entry) when missing.
	 * The bytes go out whole in one write where the OS allows, so a process killed after the
	 * call returned loses nothing; @sync makes them durable before returning (and the entry's
	 * creation too). May be NULL: mesh_hive_append then fails with MESH_ERROR_UNSUPPORTED. */
	gboolean (*append)(MeshHive *hive, MeshHiveFolder folder, const char *name,
			   const guint8 *data, gsize len, gboolean sync, GError **error);
	/* Keep @name open for appends (optional: NULL, and mesh_hive_appender_write calls append
	 * each time): open it as append does (created when missing, checked) and return the
	 * OS's handle; append_handle then appends as append does, through it, and append_release
	 * closes it. For a writer that appends often (the audit log): one write per record. */
	gpointer (*append_open)(MeshHive *hive, MeshHiveFolder folder, const char *name,
				GError **error);
	gboolean (*append_handle)(MeshHive *hive, gpointer handle, const guint8 *data, gsize len,
				  gboolean sync, GError **error);
	void (*append_release)(MeshHive *hive, gpointer handle);
	/* MESH_ERROR_NOT_FOUND when there is no such entry. */
	gboolean (*remove)(MeshHive *hive, MeshHiveFolder folder, const char *name,
			   GError **error);
	/* The names in @folder, sorted, without MESH_HIVE_DEFAULT. */
	gboolean (*list)(MeshHive *hive, MeshHiveFolder folder, GPtrArray **ret_names,
			 GError **error);
	/* The stamp of @name; MESH_ERROR_NOT_FOUND when there is no such entry. May be NULL: the
	 * hive then keeps nothing in memory (mesh_hive_stamp fails, every read is a miss). */
	gboolean (*stamp)(MeshHive *hive, MeshHiveFolder folder, const char *name,
			  MeshHiveStamp *ret_stamp, GError **error);
	/* A human-readable location for messages ("/home/alice/.mmm/CryptoMesh"). */
	const char *(*location)(MeshHive *hive);
	void (*close)(MeshHive *hive);
} MeshHiveClass;

struct MeshHive {
	const MeshHiveClass *klass;
	MeshHiveKind kind;
};

/*
 * mesh_hive_open: the @kind hive under @root (NULL: $MMM_HOME, else ~/.mmm), created with its
 * folders when missing. Implemented per OS. Errors: MESH_ERROR_PERMISSION when the root, the
 * hive or one of its folders belongs to another user or is group- or world-writable (the
 * message names the path and says what to do), MESH_ERROR_IO.
 */
MeshHive *mesh_hive_open(MeshHiveKind kind, const char *root, GError **error);

/* Dispatchers; every name is checked with mesh_hive_check_name first. */
gboolean mesh_hive_read(MeshHive *hive, MeshHiveFolder folder, const char *name, gsize max_len,
			GBytes **ret_data, GError **error);
gboolean mesh_hive_write(MeshHive *hive, MeshHiveFolder folder, const char *name,
			 const guint8 *data, gsize len, GError **error);
/*
 * mesh_hive_append: add @len bytes (at most MESH_HIVE_ENTRY_MAX, else MESH_ERROR_TOO_LARGE) at
 * the end of @name, created when missing; see MeshHiveClass.append. The default entry and the
 * Accounts folder are written whole only (MESH_ERROR_UNSUPPORTED). Nothing bounds the entry's
 * total size: its writer rotates (core/audit.c), and mesh_hive_read refuses what is too large.
 * Errors: MESH_ERROR_INVALID_ARGUMENT, MESH_ERROR_PERMISSION (an entry of another user, open
 * to others, or not a plain file), MESH_ERROR_UNSUPPORTED, MESH_ERROR_IO.
 */
gboolean mesh_hive_append(MeshHive *hive, MeshHiveFolder folder, const char *name,
			  const guint8 *data, gsize len, gboolean sync, GError **error);

/*
 * An entry kept open for appends (MeshHiveClass.append_open): mesh_hive_appender_open checks as
 * mesh_hive_append does and opens it; mesh_hive_appender_write appends @len bytes as
 * mesh_hive_append would; mesh_hive_appender_close (accepts NULL) closes it. The entry is the
 * one that was open: one replaced or removed behind the writer's back since gets nothing more.
 */
typedef struct MeshHiveAppender MeshHiveAppender;
MeshHiveAppender *mesh_hive_appender_open(MeshHive *hive, MeshHiveFolder folder, const char *name,
					  GError **error);
gboolean mesh_hive_appender_write(MeshHiveAppender *appender, const guint8 *data, gsize len,
				  gboolean sync, GError **error);
void mesh_hive_appender_close(MeshHiveAppender *appender);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshHiveAppender, mesh_hive_appender_close)
gboolean mesh_hive_remove(MeshHive *hive, MeshHiveFolder folder, const char *name,
			  GError **error);
gboolean mesh_hive_list(MeshHive *hive, MeshHiveFolder folder, GPtrArray **ret_names,
			GError **error);
/* mesh_hive_stamp: @name's stamp (see MeshHiveStamp); FALSE when the hive has none for it. */
gboolean mesh_hive_stamp(MeshHive *hive, MeshHiveFolder folder, const char *name,
			 MeshHiveStamp *ret_stamp, GError **error);
const char *mesh_hive_location(MeshHive *hive);
/* mesh_hive_close: accepts NULL. */
void mesh_hive_close(MeshHive *hive);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshHive, mesh_hive_close)

/*
 * The default entry of a folder: mesh_hive_get_default gives the name stored in its "default"
 * entry (MESH_ERROR_NOT_FOUND when none is set); mesh_hive_set_default stores @name there.
 */
gboolean mesh_hive_get_default(MeshHive *hive, MeshHiveFolder folder, char **ret_name,
			       GError **error);
gboolean mesh_hive_set_default(MeshHive *hive, MeshHiveFolder folder, const char *name,
			       GError **error);

/*
 * mesh_hive_migrate: copy every entry of every folder of @from into @to (device, personal and
 * application profiles, accounts, escrow entries, file-store keys, the offline queue and the
 * policy), but the Audit folder: the audit log is this device's record of what was done with
 * @from, chained and signed there, and copying it would make @to's log claim a past it did not
 * have. When @force is FALSE
 * and any entry already exists in @to, nothing is copied: MESH_ERROR_EXISTS naming the first
 * one. @ret_copied (may be NULL) receives the number of entries copied.
 */
gboolean mesh_hive_migrate(MeshHive *from, MeshHive *to, gboolean force, guint *ret_copied,
			   GError **error);

G_END_DECLS
