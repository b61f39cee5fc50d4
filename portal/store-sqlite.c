/* SPDX-License-Identifier: MIT */
/* MeshPortalStore on SQLite: the embedded default (docs/design.md "Scale"). */
#include "store-sqlite.h"

#include <sqlite3.h>
#include <string.h>

#include "error.h"
#include "platform.h"

/* How long a statement waits for another process's write lock before failing. */
#define BUSY_TIMEOUT_MS 5000

/*
 * Schema migrations: migrations[v] takes a database from version v to v + 1, inside the
 * transaction that also records the new version. Never edit a released step; add one.
 */
static const char *const migrations[MESH_PORTAL_SQLITE_SCHEMA_VERSION] = {
	/* 0 -> 1 */
	"CREATE TABLE schema_version (version INTEGER NOT NULL);"
	"CREATE TABLE accounts ("
	"  name TEXT PRIMARY KEY NOT NULL,"
	"  identifier TEXT NOT NULL UNIQUE,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE entries ("
	"  identifier TEXT PRIMARY KEY NOT NULL,"
	"  account TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,"
	"  type TEXT NOT NULL,"
	"  serial INTEGER NOT NULL,"
	"  body TEXT NOT NULL,"
	"  updated INTEGER NOT NULL);"
	"CREATE INDEX entries_account ON entries(account, type);"
	"CREATE TABLE connections ("
	"  account TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,"
	"  device TEXT NOT NULL,"
	"  request TEXT NOT NULL,"
	"  server_nonce TEXT NOT NULL,"
	"  witness TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  state INTEGER NOT NULL,"
	"  result TEXT,"
	"  PRIMARY KEY (account, device));"
	"CREATE INDEX connections_expires ON connections(expires);"
	"CREATE TABLE nonces (nonce TEXT PRIMARY KEY NOT NULL, issued INTEGER NOT NULL);"
	"CREATE INDEX nonces_issued ON nonces(issued);",
	/* 1 -> 2: limits per client and per account. Who asked for a connection (NULL: before
	 * this version, or in process); each entry's size in bytes, so that an account's usage is
	 * read from an index; account creations per client, for their hourly limit. */
	"ALTER TABLE connections ADD COLUMN client TEXT;"
	"ALTER TABLE entries ADD COLUMN size INTEGER NOT NULL DEFAULT 0;"
	"UPDATE entries SET size = length(CAST(body AS BLOB));"
	"CREATE INDEX entries_usage ON entries(account, size);"
	"CREATE TABLE creations (client TEXT NOT NULL, created INTEGER NOT NULL);"
	"CREATE INDEX creations_client ON creations(client, created);",
};

typedef enum {
	STMT_BEGIN,
	STMT_BEGIN_READ,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_ACCOUNT_IDENTIFIER,
	STMT_ACCOUNT_INSERT,
	STMT_ACCOUNT_BY_NAME,
	STMT_ACCOUNT_BY_IDENTIFIER,
	STMT_ACCOUNT_DELETE,
	STMT_ACCOUNT_COUNT,
	STMT_ENTRY_GET,
	STMT_ENTRY_PUT,
	STMT_ENTRY_LIST,
	STMT_ENTRY_DELETE,
	STMT_ENTRY_USAGE,
	STMT_CONNECTION_GET,
	STMT_CONNECTION_PUT,
	STMT_CONNECTION_PENDING,
	STMT_CONNECTION_COUNT,
	STMT_CONNECTION_COUNT_CLIENT,
	STMT_CONNECTION_COMPLETE,
	STMT_NONCE_INSERT,
	STMT_CREATION_COUNT,
	STMT_CREATION_INSERT,
	STMT_PURGE_CONNECTIONS,
	STMT_PURGE_NONCES,
	STMT_PURGE_CREATIONS,
	N_STMTS,
} Stmt;

#define ACCOUNT_COLUMNS                                                                        \
	"SELECT a.name, a.identifier, e.body, e.serial, a.created, e.updated FROM accounts a "   \
	"JOIN entries e ON e.identifier = a.identifier "
#define ENTRY_COLUMNS "SELECT identifier, account, type, serial, body, updated FROM entries "
#define CONNECTION_COLUMNS                                                                     \
	"SELECT account, device, request, server_nonce, witness, created, expires, state, "      \
	"result, client FROM connections "
#define PENDING "state = 0 AND expires > ?2 " /* MESH_PORTAL_CONNECT_PENDING, unexpired */

static const char *const stmt_sql[N_STMTS] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_BEGIN_READ] = "BEGIN",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_ACCOUNT_IDENTIFIER] = "SELECT identifier FROM accounts WHERE name = ?1",
	[STMT_ACCOUNT_INSERT] = "INSERT INTO accounts (name, identifier, created) "
				"VALUES (?1, ?2, ?3)",
	[STMT_ACCOUNT_BY_NAME] = ACCOUNT_COLUMNS "WHERE a.name = ?1",
	[STMT_ACCOUNT_BY_IDENTIFIER] = ACCOUNT_COLUMNS "WHERE a.identifier = ?1",
	[STMT_ACCOUNT_DELETE] = "DELETE FROM accounts WHERE name = ?1",
	[STMT_ACCOUNT_COUNT] = "SELECT count(*) FROM accounts",
	[STMT_ENTRY_GET] = ENTRY_COLUMNS "WHERE identifier = ?1",
	[STMT_ENTRY_PUT] = "INSERT OR REPLACE INTO entries "
			   "(identifier, account, type, serial, body, updated, size) "
			   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[STMT_ENTRY_LIST] = ENTRY_COLUMNS "WHERE account = ?1 AND (?2 IS NULL OR type = ?2) "
					  "ORDER BY type, identifier",
	[STMT_ENTRY_DELETE] = "DELETE FROM entries WHERE identifier = ?1",
	/* From the index entries_usage alone. */
	[STMT_ENTRY_USAGE] = "SELECT count(*), coalesce(sum(size), 0) FROM entries "
			     "WHERE account = ?1",
	[STMT_CONNECTION_GET] = CONNECTION_COLUMNS "WHERE account = ?1 AND device = ?2",
	[STMT_CONNECTION_PUT] = "INSERT OR REPLACE INTO connections (account, device, request, "
				"server_nonce, witness, created, expires, state, result, client) "
				"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, NULL, ?8)",
	[STMT_CONNECTION_PENDING] = CONNECTION_COLUMNS "WHERE account = ?1 AND " PENDING
						       "ORDER BY created, device",
	[STMT_CONNECTION_COUNT] = "SELECT count(*) FROM connections "
				  "WHERE account = ?1 AND " PENDING,
	[STMT_CONNECTION_COUNT_CLIENT] = "SELECT count(*) FROM connections "
					 "WHERE account = ?1 AND client = ?3 AND " PENDING,
	[STMT_CONNECTION_COMPLETE] = "UPDATE connections SET state = ?3, result = ?4 "
				     "WHERE account = ?1 AND device = ?2",
	[STMT_NONCE_INSERT] = "INSERT INTO nonces (nonce, issued) VALUES (?1, ?2)",
	[STMT_CREATION_COUNT] = "SELECT count(*) FROM creations WHERE client = ?1 AND created > ?2",
	[STMT_CREATION_INSERT] = "INSERT INTO creations (client, created) VALUES (?1, ?2)",
	[STMT_PURGE_CONNECTIONS] = "DELETE FROM connections WHERE expires <= ?1",
	[STMT_PURGE_NONCES] = "DELETE FROM nonces WHERE issued < ?1",
	[STMT_PURGE_CREATIONS] = "DELETE FROM creations WHERE created <= ?1",
};

/*
 * A store is several connections to the file, each with its own lock: the writer, for every
 * transaction that writes, and READERS readers (query_only), for the calls that only read. In
 * WAL mode a reader sees the last commit and never waits for a writer, so Get and friends are
 * not held up while a batch of nonces is being synced, nor by each other: the I/O threads
 * answer Get at once, each on a reader of its own most of the time. All are this struct; a
 * reader's own readers are NULL.
 */
#define READERS 4

typedef struct SqliteStore SqliteStore;
struct SqliteStore {
	MeshPortalStore parent;
	GMutex lock;
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmts[N_STMTS];
	SqliteStore *readers[READERS];
	gint next_reader;   /* where a caller waits when every reader is busy */
	gboolean read_only; /* this is a reader */
};

/* ---- Plumbing ---------------------------------------------------------------------------- */

/* MESH_ERROR_IO naming the file, what failed and SQLite's reason (never a stored value). */
static gboolean
db_error(SqliteStore *self, const char *what, GError **error)
{
	g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "portal database %s: %s failed: %s",
		    self->path, what, self->db ? sqlite3_errmsg(self->db) : "out of memory");
	return FALSE;
}

/* Statement @id, prepared once, reset and ready for binding. */
static sqlite3_stmt *
stmt(SqliteStore *self, Stmt id, GError **error)
{
	sqlite3_stmt **st = &self->stmts[id];

	if (*st == NULL) {
		if (sqlite3_prepare_v3(self->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, st,
				       NULL) != SQLITE_OK) {
			db_error(self, "preparing a statement", error);
			return NULL;
		}
	}
	return *st;
}

/* Statement @id with @n text arguments bound as ?1..?n (NULL binds SQL NULL). */
static sqlite3_stmt *
stmt_text(SqliteStore *self, Stmt id, GError **error, int n, ...)
{
	sqlite3_stmt *st = stmt(self, id, error);
	va_list args;

	if (st == NULL)
		return NULL;
	va_start(args, n);
	for (int i = 1; i <= n; i++) {
		const char *value = va_arg(args, const char *);

		/* SQLITE_STATIC: every caller keeps @value alive until the statement is reset. */
		sqlite3_bind_text(st, i, value, -1, SQLITE_STATIC);
	}
	va_end(args);
	return st;
}

static void
bind_int(sqlite3_stmt *st, int index, gint64 value)
{
	sqlite3_bind_int64(st, index, value);
}

/* Run @st to completion. Returns the SQLite result (SQLITE_DONE on success). */
static int
run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static gboolean
run_ok(SqliteStore *self, sqlite3_stmt *st, const char *what, GError **error)
{
	if (st == NULL)
		return FALSE;
	if (run(st) != SQLITE_DONE)
		return db_error(self, what, error);
	return TRUE;
}

/*
 * Step @st once: TRUE with *@ret_row set when a row is there (the caller reads it and calls
 * done()), or not (the statement is reset).
 */
static gboolean
row(SqliteStore *self, sqlite3_stmt *st, gboolean *ret_row, GError **error)
{
	int rc;

	if (st == NULL)
		return FALSE;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*ret_row = TRUE;
		return TRUE;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return db_error(self, "reading", error);
	*ret_row = FALSE;
	return TRUE;
}

static void
done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static char *
column_text(sqlite3_stmt *st, int column)
{
	return g_strdup((const char *)sqlite3_column_text(st, column));
}

static gint64
column_int(sqlite3_stmt *st, int column)
{
	return sqlite3_column_int64(st, column);
}

/* The single integer a query such as count(*) returns. */
static gboolean
query_int(SqliteStore *self, sqlite3_stmt *st, gint64 *ret_value, GError **error)
{
	gboolean found = FALSE;

	if (!row(self, st, &found, error))
		return FALSE;
	if (!found)
		return db_error(self, "counting", error);
	*ret_value = column_int(st, 0);
	done(st);
	return TRUE;
}

static SqliteStore *
lock(MeshPortalStore *store)
{
	SqliteStore *self = (SqliteStore *)store;

	g_mutex_lock(&self->lock);
	return self;
}

/* A reader connection, locked: a free one, else one in turn. For calls that only read. */
static SqliteStore *
read_lock(MeshPortalStore *store)
{
	SqliteStore *self = (SqliteStore *)store;

	for (guint i = 0; i < READERS; i++)
		if (g_mutex_trylock(&self->readers[i]->lock))
			return self->readers[i];
	return lock(&self->readers[(guint)g_atomic_int_add(&self->next_reader, 1) % READERS]
	                     ->parent);
}

static gboolean
unlock(SqliteStore *self, gboolean ok)
{
	g_mutex_unlock(&self->lock);
	return ok;
}

static gboolean
begin(SqliteStore *self, GError **error)
{
	/* A reader's transaction is a snapshot, and takes no write lock. */
	return run_ok(self, stmt(self, self->read_only ? STMT_BEGIN_READ : STMT_BEGIN, error),
		      "starting a transaction", error);
}

/* End the transaction begun by begin(): commit when @ok, else roll back. Returns @ok and
 * whether the commit worked. */
static gboolean
end(SqliteStore *self, gboolean ok, GError **error)
{
	if (ok && run_ok(self, stmt(self, STMT_COMMIT, error), "committing", error))
		return TRUE;
	if (sqlite3_get_autocommit(self->db) == 0) {
		sqlite3_stmt *st = stmt(self, STMT_ROLLBACK, NULL);

		if (st != NULL)
			run(st);
	}
	return FALSE;
}

/* ---- Rows -------------------------------------------------------------------------------- */

static MeshPortalEntry *
read_entry(sqlite3_stmt *st)
{
	MeshPortalEntry *entry = g_new0(MeshPortalEntry, 1);

	entry->identifier = column_text(st, 0);
	entry->account = column_text(st, 1);
	entry->type = column_text(st, 2);
	entry->serial = column_int(st, 3);
	entry->text = column_text(st, 4);
	entry->updated = column_int(st, 5);
	return entry;
}

static MeshPortalConnection *
read_connection(sqlite3_stmt *st)
{
	MeshPortalConnection *connection = g_new0(MeshPortalConnection, 1);

	connection->account = column_text(st, 0);
	connection->device = column_text(st, 1);
	connection->request = column_text(st, 2);
	connection->server_nonce = column_text(st, 3);
	connection->witness = column_text(st, 4);
	connection->created = column_int(st, 5);
	connection->expires = column_int(st, 6);
	connection->state = (MeshPortalConnectState)column_int(st, 7);
	connection->result = column_text(st, 8);
	connection->client = column_text(st, 9);
	return connection;
}

static MeshPortalAccount *
read_account(sqlite3_stmt *st)
{
	MeshPortalAccount *account = g_new0(MeshPortalAccount, 1);

	account->name = column_text(st, 0);
	account->identifier = column_text(st, 1);
	account->profile = column_text(st, 2);
	account->serial = column_int(st, 3);
	account->created = column_int(st, 4);
	account->updated = column_int(st, 5);
	return account;
}

typedef gpointer (*ReadFunc)(sqlite3_stmt *st);

/* The one row @st (bound already) finds, read with @read_row, or NULL in *@ret when none. */
static gboolean
find_row(SqliteStore *self, sqlite3_stmt *st, ReadFunc read_row, gpointer *ret, GError **error)
{
	gboolean found = FALSE;

	if (!row(self, st, &found, error))
		return FALSE;
	*ret = found ? read_row(st) : NULL;
	if (found)
		done(st);
	return TRUE;
}

/* The entry @identifier, or NULL in *@ret_entry when there is none. */
static gboolean
find_entry(SqliteStore *self, const char *identifier, MeshPortalEntry **ret_entry,
	   GError **error)
{
	return find_row(self, stmt_text(self, STMT_ENTRY_GET, error, 1, identifier),
			(ReadFunc)read_entry, (gpointer *)ret_entry, error);
}

static gpointer
read_first_text(sqlite3_stmt *st)
{
	return column_text(st, 0);
}

/* The identifier of account @name, or NULL in *@ret_identifier when there is no such account. */
static gboolean
find_account(SqliteStore *self, const char *name, char **ret_identifier, GError **error)
{
	return find_row(self, stmt_text(self, STMT_ACCOUNT_IDENTIFIER, error, 1, name),
			read_first_text, (gpointer *)ret_identifier, error);
}

static gboolean
find_connection(SqliteStore *self, const char *account, const char *device,
		MeshPortalConnection **ret_connection, GError **error)
{
	return find_row(self, stmt_text(self, STMT_CONNECTION_GET, error, 2, account, device),
			(ReadFunc)read_connection, (gpointer *)ret_connection, error);
}

/* Every row of @st (bound already), read with @read_row, into a new array freed by @free_func. */
static gboolean
read_all(SqliteStore *self, sqlite3_stmt *st, ReadFunc read_row, GDestroyNotify free_func,
	 GPtrArray **ret_rows, GError **error)
{
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(free_func);
	gboolean found = TRUE;

	while (found) {
		if (!row(self, st, &found, error))
			return FALSE;
		if (found)
			g_ptr_array_add(rows, read_row(st));
	}
	*ret_rows = g_steal_pointer(&rows);
	return TRUE;
}

/* Store (or replace) @entry as of @now, with its size. */
static gboolean
put_entry(SqliteStore *self, const MeshPortalEntry *entry, gint64 now, GError **error)
{
	sqlite3_stmt *st = stmt_text(self, STMT_ENTRY_PUT, error, 3, entry->identifier,
	                             entry->account, entry->type);

	if (st == NULL)
		return FALSE;
	bind_int(st, 4, entry->serial);
	sqlite3_bind_text(st, 5, entry->text, -1, SQLITE_STATIC);
	bind_int(st, 6, now);
	bind_int(st, 7, (gint64)strlen(entry->text));
	return run_ok(self, st, "storing an entry", error);
}

/* The single integer of @st (bound already, with ?@index set to @value). */
static gboolean
count_with(SqliteStore *self, sqlite3_stmt *st, int index, gint64 value, guint64 *ret_count,
           GError **error)
{
	gint64 count = 0;

	if (st == NULL)
		return FALSE;
	bind_int(st, index, value);
	if (!query_int(self, st, &count, error))
		return FALSE;
	*ret_count = (guint64)count;
	return TRUE;
}

/* ---- Accounts ---------------------------------------------------------------------------- */

static gboolean
account_create_txn(SqliteStore *self, const char *name, const char *identifier, const char *profile,
                   gint64 serial, const char *client, gint64 now, GError **error)
{
	g_autofree char *existing = NULL;
	g_autoptr(MeshPortalEntry) entry = NULL;
	MeshPortalEntry profile_entry = {0};
	guint64 created = 0;
	sqlite3_stmt *st;

	if (!find_account(self, name, &existing, error) ||
	    !find_entry(self, identifier, &entry, error))
		return FALSE;
	if (existing != NULL || entry != NULL) {
		g_autofree char *quoted = mesh_error_quote(name);

		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
			    "account '%s' or its profile exists already", quoted);
		return FALSE;
	}
	if ((client != NULL &&
	     !count_with(self, stmt_text(self, STMT_CREATION_COUNT, error, 1, client), 2,
	                 now - MESH_PORTAL_CREATION_WINDOW_SECONDS, &created, error)) ||
	    !mesh_portal_store_check_account_create(&self->parent, name, profile, client, created,
	                                            error))
		return FALSE;
	st = stmt_text(self, STMT_ACCOUNT_INSERT, error, 2, name, identifier);
	if (st == NULL)
		return FALSE;
	bind_int(st, 3, now);
	profile_entry.identifier = (char *)identifier;
	profile_entry.account = (char *)name;
	profile_entry.type = (char *)MESH_PORTAL_TYPE_PERSONAL;
	profile_entry.serial = serial;
	profile_entry.text = (char *)profile;
	if (!run_ok(self, st, "creating an account", error) ||
	    !put_entry(self, &profile_entry, now, error))
		return FALSE;
	if (client == NULL)
		return TRUE;
	st = stmt_text(self, STMT_CREATION_INSERT, error, 1, client);
	if (st == NULL)
		return FALSE;
	bind_int(st, 2, now);
	return run_ok(self, st, "recording an account creation", error);
}

static gboolean
sqlite_account_create(MeshPortalStore *store, const char *name, const char *identifier,
                      const char *profile, gint64 serial, const char *client, gint64 now,
                      GError **error)
{
	SqliteStore *self = lock(store);
	gboolean ok = begin(self, error) && account_create_txn(self, name, identifier, profile,
	                                                       serial, client, now, error);

	return unlock(self, end(self, ok, error));
}

static gboolean
sqlite_account_get(MeshPortalStore *store, const char *name, const char *identifier,
		   MeshPortalAccount **ret_account, GError **error)
{
	SqliteStore *self = read_lock(store);
	sqlite3_stmt *st = name != NULL ? stmt_text(self, STMT_ACCOUNT_BY_NAME, error, 1, name)
					: stmt_text(self, STMT_ACCOUNT_BY_IDENTIFIER, error, 1,
						    identifier);
	MeshPortalAccount *account = NULL;

	if (!find_row(self, st, (ReadFunc)read_account, (gpointer *)&account, error))
		return unlock(self, FALSE);
	if (account == NULL)
		return unlock(self, mesh_portal_store_no_account(name ? name : identifier, error));
	*ret_account = account;
	return unlock(self, TRUE);
}

static gboolean
sqlite_account_delete(MeshPortalStore *store, const char *name, GError **error)
{
	SqliteStore *self = lock(store);

	/* One statement: its entries and connections go with it (ON DELETE CASCADE). */
	if (!run_ok(self, stmt_text(self, STMT_ACCOUNT_DELETE, error, 1, name),
		    "deleting an account", error))
		return unlock(self, FALSE);
	if (sqlite3_changes(self->db) == 0)
		return unlock(self, mesh_portal_store_no_account(name, error));
	return unlock(self, TRUE);
}

static gboolean
sqlite_account_count(MeshPortalStore *store, guint64 *ret_count, GError **error)
{
	SqliteStore *self = read_lock(store);
	gint64 count = 0;

	if (!query_int(self, stmt(self, STMT_ACCOUNT_COUNT, error), &count, error))
		return unlock(self, FALSE);
	*ret_count = (guint64)count;
	return unlock(self, TRUE);
}

/* ---- Entries ----------------------------------------------------------------------------- */

/* What @account holds (entries, bytes), from the index entries_usage. */
static gboolean
account_usage(SqliteStore *self, const char *account, MeshPortalUsage *ret_usage, GError **error)
{
	sqlite3_stmt *st = stmt_text(self, STMT_ENTRY_USAGE, error, 1, account);
	gboolean found = FALSE;

	if (!row(self, st, &found, error))
		return FALSE;
	if (!found)
		return db_error(self, "counting entries", error);
	ret_usage->entries = (guint64)column_int(st, 0);
	ret_usage->bytes = (guint64)column_int(st, 1);
	done(st);
	return TRUE;
}

static gboolean
entry_publish_txn(SqliteStore *self, const MeshPortalEntry *entry, gint64 now, GError **error)
{
	g_autofree char *account_identifier = NULL;
	g_autoptr(MeshPortalEntry) stored = NULL;
	MeshPortalUsage usage = {0};

	return find_account(self, entry->account, &account_identifier, error) &&
	       find_entry(self, entry->identifier, &stored, error) &&
	       account_usage(self, entry->account, &usage, error) &&
	       mesh_portal_store_check_publish(&self->parent, entry, account_identifier, stored,
	                                       &usage, error) &&
	       put_entry(self, entry, now, error);
}

static gboolean
sqlite_entry_publish(MeshPortalStore *store, const MeshPortalEntry *entry, gint64 now,
		     GError **error)
{
	SqliteStore *self = lock(store);
	gboolean ok = begin(self, error) && entry_publish_txn(self, entry, now, error);

	return unlock(self, end(self, ok, error));
}

static gboolean
sqlite_entry_get(MeshPortalStore *store, const char *identifier, MeshPortalEntry **ret_entry,
		 GError **error)
{
	SqliteStore *self = read_lock(store);
	MeshPortalEntry *entry = NULL;

	if (!find_entry(self, identifier, &entry, error))
		return unlock(self, FALSE);
	if (entry == NULL)
		return unlock(self, mesh_portal_store_no_entry(identifier, error));
	*ret_entry = entry;
	return unlock(self, TRUE);
}

static gboolean
sqlite_entry_list(MeshPortalStore *store, const char *account, const char *type,
		  GPtrArray **ret_entries, GError **error)
{
	SqliteStore *self = read_lock(store);
	g_autofree char *identifier = NULL;
	gboolean ok = begin(self, error) && find_account(self, account, &identifier, error);

	if (ok && identifier == NULL)
		ok = mesh_portal_store_no_account(account, error);
	if (ok)
		ok = read_all(self, stmt_text(self, STMT_ENTRY_LIST, error, 2, account, type),
			      (ReadFunc)read_entry,
			      (GDestroyNotify)mesh_portal_entry_free, ret_entries, error);
	/* Read-only: committing just releases the lock. */
	return unlock(self, end(self, ok, error));
}

static gboolean
entry_delete_txn(SqliteStore *self, const char *identifier, GError **error)
{
	g_autoptr(MeshPortalEntry) entry = NULL;

	if (!find_entry(self, identifier, &entry, error))
		return FALSE;
	if (entry == NULL)
		return mesh_portal_store_no_entry(identifier, error);
	if (strcmp(entry->type, MESH_PORTAL_TYPE_PERSONAL) == 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "an account's profile goes only with the account: delete the account");
		return FALSE;
	}
	return run_ok(self, stmt_text(self, STMT_ENTRY_DELETE, error, 1, identifier),
		      "deleting an entry", error);
}

static gboolean
sqlite_entry_delete(MeshPortalStore *store, const char *identifier, GError **error)
{
	SqliteStore *self = lock(store);
	gboolean ok = begin(self, error) && entry_delete_txn(self, identifier, error);

	return unlock(self, end(self, ok, error));
}

/* ---- Connections ------------------------------------------------------------------------- */

static gboolean
connection_add_txn(SqliteStore *self, const MeshPortalConnection *connection, gint64 now,
		   GError **error)
{
	g_autofree char *identifier = NULL;
	g_autoptr(MeshPortalConnection) stored = NULL;
	sqlite3_stmt *st;
	guint64 pending = 0, from_client = 0;

	if (!find_account(self, connection->account, &identifier, error) ||
	    !find_connection(self, connection->account, connection->device, &stored, error) ||
	    !count_with(self, stmt_text(self, STMT_CONNECTION_COUNT, error, 1, connection->account),
	                2, now, &pending, error))
		return FALSE;
	/* ?3 is the client: NULL when there is none, which counts nothing. */
	st = stmt_text(self, STMT_CONNECTION_COUNT_CLIENT, error, 1, connection->account);
	if (st != NULL)
		sqlite3_bind_text(st, 3, connection->client, -1, SQLITE_STATIC);
	if (!count_with(self, st, 2, now, &from_client, error) ||
	    !mesh_portal_store_check_connection_add(&self->parent, connection, identifier != NULL,
	                                            stored, pending, from_client, now, error))
		return FALSE;
	st = stmt_text(self, STMT_CONNECTION_PUT, error, 5, connection->account, connection->device,
		       connection->request, connection->server_nonce, connection->witness);
	if (st == NULL)
		return FALSE;
	bind_int(st, 6, now);
	bind_int(st, 7, connection->expires);
	sqlite3_bind_text(st, 8, connection->client, -1, SQLITE_STATIC);
	return run_ok(self, st, "storing a connection request", error);
}

static gboolean
sqlite_connection_add(MeshPortalStore *store, const MeshPortalConnection *connection, gint64 now,
		      GError **error)
{
	SqliteStore *self = lock(store);
	gboolean ok = begin(self, error) && connection_add_txn(self, connection, now, error);

	return unlock(self, end(self, ok, error));
}

static gboolean
sqlite_connection_get(MeshPortalStore *store, const char *account, const char *device,
		      gint64 now, MeshPortalConnection **ret_connection, GError **error)
{
	SqliteStore *self = read_lock(store);
	MeshPortalConnection *connection = NULL;

	if (!find_connection(self, account, device, &connection, error))
		return unlock(self, FALSE);
	if (connection == NULL)
		return unlock(self, mesh_portal_store_check_connection_complete(device, NULL,
										now, error));
	connection->state = mesh_portal_connection_state_at(connection, now);
	*ret_connection = connection;
	return unlock(self, TRUE);
}

static gboolean
sqlite_connection_list(MeshPortalStore *store, const char *account, gint64 now,
		       GPtrArray **ret_connections, GError **error)
{
	SqliteStore *self = read_lock(store);
	g_autofree char *identifier = NULL;
	sqlite3_stmt *st = NULL;
	gboolean ok = begin(self, error) && find_account(self, account, &identifier, error);

	if (ok && identifier == NULL)
		ok = mesh_portal_store_no_account(account, error);
	if (ok)
		ok = (st = stmt_text(self, STMT_CONNECTION_PENDING, error, 1, account)) != NULL;
	if (ok) {
		bind_int(st, 2, now);
		ok = read_all(self, st, (ReadFunc)read_connection,
			      (GDestroyNotify)mesh_portal_connection_free, ret_connections, error);
	}
	return unlock(self, end(self, ok, error));
}

static gboolean
connection_complete_txn(SqliteStore *self, const char *account, const char *device,
			MeshPortalConnectState state, const char *result, gint64 now,
			GError **error)
{
	g_autoptr(MeshPortalConnection) stored = NULL;
	sqlite3_stmt *st;

	if (!find_connection(self, account, device, &stored, error) ||
	    !mesh_portal_store_check_connection_complete(device, stored, now, error))
		return FALSE;
	st = stmt_text(self, STMT_CONNECTION_COMPLETE, error, 2, account, device);
	if (st == NULL)
		return FALSE;
	bind_int(st, 3, state);
	sqlite3_bind_text(st, 4, result, -1, SQLITE_STATIC);
	return run_ok(self, st, "completing a connection request", error);
}

static gboolean
sqlite_connection_complete(MeshPortalStore *store, const char *account, const char *device,
			   MeshPortalConnectState state, const char *result, gint64 now,
			   GError **error)
{
	SqliteStore *self = lock(store);
	gboolean ok = begin(self, error) &&
		      connection_complete_txn(self, account, device, state, result, now, error);

	return unlock(self, end(self, ok, error));
}

/* ---- Nonces and purging ------------------------------------------------------------------ */

/* One INSERT each in one transaction: a statement that breaks the key fails alone (a replay),
 * the others stand; the COMMIT (synchronous = FULL) makes them all durable at once. */
static gboolean
use_nonces_txn(SqliteStore *self, MeshPortalNonceUse *uses, guint n, GError **error)
{
	for (guint i = 0; i < n; i++) {
		sqlite3_stmt *st = stmt_text(self, STMT_NONCE_INSERT, error, 1, uses[i].nonce);
		int rc;

		if (st == NULL)
			return FALSE;
		bind_int(st, 2, uses[i].issued);
		rc = run(st);
		uses[i].replay = (rc & 0xff) == SQLITE_CONSTRAINT;
		if (rc != SQLITE_DONE && !uses[i].replay)
			return db_error(self, "recording a nonce", error);
	}
	return TRUE;
}

static gboolean
sqlite_use_nonces(MeshPortalStore *store, MeshPortalNonceUse *uses, guint n, GError **error)
{
	SqliteStore *self = lock(store);
	gboolean ok = begin(self, error) && use_nonces_txn(self, uses, n, error);

	return unlock(self, end(self, ok, error));
}

static gboolean
purge_txn(SqliteStore *self, gint64 now, guint *ret_removed, GError **error)
{
	sqlite3_stmt *st = stmt(self, STMT_PURGE_CONNECTIONS, error);
	guint removed;

	if (st == NULL)
		return FALSE;
	bind_int(st, 1, now - MESH_PORTAL_CONNECTION_KEEP_SECONDS);
	if (!run_ok(self, st, "purging connection requests", error))
		return FALSE;
	removed = (guint)sqlite3_changes(self->db);
	st = stmt(self, STMT_PURGE_NONCES, error);
	if (st == NULL)
		return FALSE;
	bind_int(st, 1, now - MESH_PORTAL_ISSUED_WINDOW_SECONDS - MESH_PORTAL_NONCE_MARGIN_SECONDS);
	if (!run_ok(self, st, "purging nonces", error))
		return FALSE;
	removed += (guint)sqlite3_changes(self->db);
	st = stmt(self, STMT_PURGE_CREATIONS, error);
	if (st == NULL)
		return FALSE;
	bind_int(st, 1, now - MESH_PORTAL_CREATION_WINDOW_SECONDS);
	if (!run_ok(self, st, "purging account creations", error))
		return FALSE;
	*ret_removed = removed + (guint)sqlite3_changes(self->db);
	return TRUE;
}

static gboolean
sqlite_purge(MeshPortalStore *store, gint64 now, guint *ret_removed, GError **error)
{
	SqliteStore *self = lock(store);
	gboolean ok = begin(self, error) && purge_txn(self, now, ret_removed, error);

	return unlock(self, end(self, ok, error));
}

/*
 * The file is still the one opened (SQLite notices an unlink or rename), the write lock can be
 * had (BEGIN IMMEDIATE, as every write takes it) and the schema version read, then nothing is
 * written (ROLLBACK): waiting at most MESH_PORTAL_STORE_PING_WAIT_MS for another process's lock,
 * not the busy timeout of requests.
 */
static gboolean
ping_locked(SqliteStore *self, GError **error)
{
	sqlite3_stmt *st = NULL;
	int moved = 0, rc = SQLITE_ERROR;
	gboolean ok;

	if (sqlite3_file_control(self->db, "main", SQLITE_FCNTL_HAS_MOVED, &moved) != SQLITE_OK)
		return db_error(self, "checking the file", error);
	if (moved) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
			    "portal database %s was removed or replaced while in use: restore it "
			    "and restart servermesh",
			    self->path);
		return FALSE;
	}
	if (sqlite3_prepare_v2(self->db, "SELECT version FROM schema_version", -1, &st, NULL) !=
	    SQLITE_OK)
		return db_error(self, "preparing the health check", error);
	sqlite3_busy_timeout(self->db, MESH_PORTAL_STORE_PING_WAIT_MS);
	ok = begin(self, error);
	sqlite3_busy_timeout(self->db, BUSY_TIMEOUT_MS);
	if (ok)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (ok && rc != SQLITE_ROW)
		ok = db_error(self, "the health check", error);
	end(self, FALSE, NULL);
	return ok;
}

static gboolean
sqlite_ping(MeshPortalStore *store, GError **error)
{
	SqliteStore *self = lock(store);

	return unlock(self, ping_locked(self, error));
}

static void
connection_close(SqliteStore *self)
{
	if (self == NULL)
		return;
	for (int i = 0; i < N_STMTS; i++)
		sqlite3_finalize(self->stmts[i]);
	/* The last connection to close checkpoints the WAL into the database file. */
	sqlite3_close_v2(self->db);
	g_mutex_clear(&self->lock);
	g_free(self->path);
	g_free(self);
}

static void
sqlite_close(MeshPortalStore *store)
{
	SqliteStore *self = (SqliteStore *)store;

	/* The readers first: the writer's close is then the last and checkpoints the WAL. */
	for (guint i = 0; i < READERS; i++)
		if (self->readers[i] != NULL)
			connection_close(self->readers[i]);
	connection_close(self);
}

static const MeshPortalStoreClass sqlite_class = {
	.name = "sqlite",
	.account_create = sqlite_account_create,
	.account_get = sqlite_account_get,
	.account_delete = sqlite_account_delete,
	.account_count = sqlite_account_count,
	.entry_publish = sqlite_entry_publish,
	.entry_get = sqlite_entry_get,
	.entry_list = sqlite_entry_list,
	.entry_delete = sqlite_entry_delete,
	.connection_add = sqlite_connection_add,
	.connection_get = sqlite_connection_get,
	.connection_list = sqlite_connection_list,
	.connection_complete = sqlite_connection_complete,
	.use_nonces = sqlite_use_nonces,
	.purge = sqlite_purge,
	.ping = sqlite_ping,
	.close = sqlite_close,
};

/* ---- Opening ----------------------------------------------------------------------------- */

static gboolean
exec(SqliteStore *self, const char *sql, const char *what, GError **error)
{
	if (sqlite3_exec(self->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_error(self, what, error);
	return TRUE;
}

/* The text a one-row query returns (a PRAGMA's setting). */
static gboolean
query_text(SqliteStore *self, const char *sql, char **ret_text, GError **error)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(self->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_error(self, "preparing a statement", error);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ret_text = column_text(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return db_error(self, "reading a setting", error);
	return TRUE;
}

/* Open the file self->path, which must exist (never made here), with extended result codes. */
static gboolean
open_existing(SqliteStore *self, const char *what, GError **error)
{
	if (sqlite3_open_v2(self->path, &self->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK)
		return db_error(self, what, error);
	sqlite3_extended_result_codes(self->db, 1);
	return TRUE;
}

static gboolean
configure(SqliteStore *self, GError **error)
{
	g_autofree char *mode = NULL;

	sqlite3_busy_timeout(self->db, BUSY_TIMEOUT_MS);
	if (!query_text(self, "PRAGMA journal_mode = WAL", &mode, error))
		return FALSE;
	if (g_ascii_strcasecmp(mode, "wal") != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
			    "portal database %s: cannot use write-ahead logging (journal mode %s)",
			    self->path, mode);
		return FALSE;
	}
	return exec(self,
		    "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; "
		    "PRAGMA trusted_schema = OFF;",
		    "configuring", error);
}

/* The schema version recorded in the database (0 for a new, empty one). */
static gboolean
schema_version(SqliteStore *self, gint64 *ret_version, GError **error)
{
	g_autofree char *has_table = NULL;
	g_autofree char *objects = NULL;
	g_autofree char *version = NULL;

	if (!query_text(self,
			"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
			"name = 'schema_version'",
			&has_table, error) ||
	    !query_text(self, "SELECT count(*) FROM sqlite_master", &objects, error))
		return FALSE;
	if (strcmp(has_table, "0") == 0) {
		if (strcmp(objects, "0") != 0) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
				    "%s is an SQLite database but not a portal's (no schema "
				    "version): give servermesh another --db",
				    self->path);
			return FALSE;
		}
		*ret_version = 0;
		return TRUE;
	}
	if (!query_text(self, "SELECT coalesce(max(version), 0) FROM schema_version", &version,
			error))
		return FALSE;
	*ret_version = g_ascii_strtoll(version, NULL, 10);
	return TRUE;
}

/* A schema version this build can read: none yet (0) up to its own. */
static gboolean
known_version(SqliteStore *self, gint64 version, GError **error)
{
	if (version >= 0 && version <= MESH_PORTAL_SQLITE_SCHEMA_VERSION)
		return TRUE;
	g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
		    "portal database %s has schema version %" G_GINT64_FORMAT
		    "; this servermesh knows versions up to %d: run a newer servermesh",
		    self->path, version, MESH_PORTAL_SQLITE_SCHEMA_VERSION);
	return FALSE;
}

static gboolean
migrate_txn(SqliteStore *self, GError **error)
{
	gint64 version = 0;

	if (!schema_version(self, &version, error) || !known_version(self, version, error))
		return FALSE;
	for (; version < MESH_PORTAL_SQLITE_SCHEMA_VERSION; version++) {
		g_autofree char *record = g_strdup_printf(
			"DELETE FROM schema_version; INSERT INTO schema_version VALUES (%d);",
			(int)version + 1);

		if (!exec(self, migrations[version], "upgrading the schema", error) ||
		    !exec(self, record, "recording the schema version", error))
			return FALSE;
	}
	return TRUE;
}

/* The readers of @self (see SqliteStore), once the schema is there: nothing they run can
 * write. */
static gboolean
open_readers(SqliteStore *self, GError **error)
{
	for (guint i = 0; i < READERS; i++) {
		SqliteStore *reader = g_new0(SqliteStore, 1);

		g_mutex_init(&reader->lock);
		reader->path = g_strdup(self->path);
		reader->read_only = TRUE;
		self->readers[i] = reader;
		if (!open_existing(reader, "opening", error) || !configure(reader, error) ||
		    !exec(reader, "PRAGMA query_only = ON", "configuring", error))
			return FALSE;
	}
	return TRUE;
}

MeshPortalStore *
mesh_portal_store_sqlite_open(const char *path, GError **error)
{
	g_autoptr(MeshPortalStore) store = NULL;
	g_autofree char *folder = g_path_get_dirname(path);
	SqliteStore *self;
	gboolean ok;

	if (!mesh_platform_private_dir(folder, TRUE, error) ||
	    !mesh_platform_private_file(path, "portal database", error))
		return NULL;
	self = g_new0(SqliteStore, 1);
	mesh_portal_store_init(&self->parent, &sqlite_class);
	g_mutex_init(&self->lock);
	self->path = g_strdup(path);
	store = &self->parent;
	if (!open_existing(self, "opening", error) || !configure(self, error))
		return NULL;
	/* BEGIN IMMEDIATE: two servermesh starting on one new file migrate it once. */
	ok = begin(self, error) && migrate_txn(self, error);
	if (!end(self, ok, error) || !open_readers(self, error))
		return NULL;
	return g_steal_pointer(&store);
}

/* The source of a backup: an existing database of a schema this build knows. */
static gboolean
backup_source(SqliteStore *self, GError **error)
{
	gint64 version = 0;

	if (!g_file_test(self->path, G_FILE_TEST_EXISTS)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
			    "there is no portal database %s: give the --db that servermesh serves",
			    self->path);
		return FALSE;
	}
	if (!open_existing(self, "opening", error))
		return FALSE;
	sqlite3_busy_timeout(self->db, BUSY_TIMEOUT_MS);
	if (!schema_version(self, &version, error) || !known_version(self, version, error))
		return FALSE;
	if (version < 1) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "%s is not a portal database (it is empty)", self->path);
		return FALSE;
	}
	return TRUE;
}

/* Copy @source's database into @copy's in one step, and check the result. */
static gboolean
backup_copy(SqliteStore *source, SqliteStore *copy, GError **error)
{
	g_autofree char *check = NULL;
	sqlite3_backup *backup;
	int rc;

	if (!open_existing(copy, "opening the copy", error))
		return FALSE;
	/* The copy is a new file that is discarded on any failure: no journal beside it. */
	if (!exec(copy, "PRAGMA journal_mode = OFF", "configuring the copy", error))
		return FALSE;
	backup = sqlite3_backup_init(copy->db, "main", source->db, "main");
	if (backup == NULL)
		return db_error(copy, "starting the copy", error);
	/* -1: every page in one step, so one read transaction sees the whole database. */
	rc = sqlite3_backup_step(backup, -1);
	sqlite3_backup_finish(backup);
	if (rc != SQLITE_DONE) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
			    "portal database %s: copying failed: %s%s", source->path,
			    sqlite3_errstr(rc),
			    rc == SQLITE_BUSY || rc == SQLITE_LOCKED
				    ? " (another process holds it locked: try again)"
				    : "");
		return FALSE;
	}
	if (!query_text(copy, "PRAGMA integrity_check", &check, error))
		return FALSE;
	if (strcmp(check, "ok") != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
			    "the copy of %s does not pass SQLite's integrity check; the database "
			    "itself may be damaged: run sqlite3 %s 'PRAGMA integrity_check'",
			    source->path, source->path);
		return FALSE;
	}
	return TRUE;
}

gboolean
mesh_portal_store_sqlite_backup(const char *path, const char *copy, GError **error)
{
	SqliteStore source = {.path = (char *)path}, target = {.path = (char *)copy};
	gboolean ok = backup_source(&source, error) && backup_copy(&source, &target, error);

	if (target.db != NULL && sqlite3_close(target.db) != SQLITE_OK && ok) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "cannot close the copy %s", copy);
		ok = FALSE;
	}
	sqlite3_close(source.db);
	return ok;
}

gboolean
mesh_portal_store_sqlite_pragma(MeshPortalStore *store, const char *name, char **ret_value,
				GError **error)
{
	g_autofree char *sql = NULL;
	SqliteStore *self;

	if (store == NULL || store->klass != &sqlite_class || name == NULL || *name == '\0' ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz_") != strlen(name)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "not an SQLite store, or not a pragma name");
		return FALSE;
	}
	sql = g_strdup_printf("PRAGMA %s", name);
	self = lock(store);
	return unlock(self, query_text(self, sql, ret_value, error));
}
