/* SPDX-License-Identifier: MIT */
/*
 * MeshPortalStore on PostgreSQL (libpq): one database shared by any number of servermesh
 * processes (docs/design.md "Scale"). The SQL is portable (no PL/pgSQL, no advisory locks, no
 * ON CONFLICT), so that PostgreSQL-compatible distributed engines remain possible.
 *
 * Why SERIALIZABLE: every write checks what it reads (a name is free, an account holds fewer
 * than N entries or pending requests, a client created fewer than N accounts this hour, a
 * request is still pending) and then writes. Under READ COMMITTED two nodes could both read
 * "9 of 10" and both insert. Explicit row locks (SELECT ... FOR UPDATE on the account) would
 * cover the per-account counts, but not the creations per client, which belong to no row that
 * exists yet. SERIALIZABLE makes every transaction behave as if it ran alone, whatever it
 * reads; the price is that one of two conflicting transactions fails with SQLSTATE 40001 (or a
 * deadlock, 40P01), and we run it again from the start, a bounded number of times. Reads of one
 * statement (Get, lists) run alone: one statement sees one snapshot.
 *
 * Uniqueness is the database's: names, identifiers and nonces are primary keys, so a nonce
 * used on one node is refused on every other (use_nonces inserts each in one transaction).
 */
#include "store-pg.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PGresult, PQclear)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PQconninfoOption, PQconninfoFree)

/*
 * Schema migrations: migrations[v] takes a database from version v to v + 1, inside the
 * transaction that also records the new version. Never edit a released step; add one. The
 * tables are those of the SQLite store at its version 2 (store-sqlite.c).
 */
static const char *const migrations[MESH_PORTAL_PG_SCHEMA_VERSION] = {
        /* 0 -> 1 */
        "CREATE TABLE schema_version (version INTEGER NOT NULL);"
        "CREATE TABLE accounts ("
        "  name TEXT PRIMARY KEY NOT NULL,"
        "  identifier TEXT NOT NULL UNIQUE,"
        "  created BIGINT NOT NULL);"
        "CREATE TABLE entries ("
        "  identifier TEXT PRIMARY KEY NOT NULL,"
        "  account TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,"
        "  type TEXT NOT NULL,"
        "  serial BIGINT NOT NULL,"
        "  body TEXT NOT NULL,"
        "  updated BIGINT NOT NULL,"
        "  size BIGINT NOT NULL);"
        "CREATE INDEX entries_account ON entries(account, type);"
        "CREATE TABLE connections ("
        "  account TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,"
        "  device TEXT NOT NULL,"
        "  request TEXT NOT NULL,"
        "  server_nonce TEXT NOT NULL,"
        "  witness TEXT NOT NULL,"
        "  created BIGINT NOT NULL,"
        "  expires BIGINT NOT NULL,"
        "  state INTEGER NOT NULL,"
        "  result TEXT,"
        "  client TEXT,"
        "  PRIMARY KEY (account, device));"
        "CREATE INDEX connections_expires ON connections(expires);"
        "CREATE TABLE nonces (nonce TEXT PRIMARY KEY NOT NULL, issued BIGINT NOT NULL);"
        "CREATE INDEX nonces_issued ON nonces(issued);"
        "CREATE TABLE creations (client TEXT NOT NULL, created BIGINT NOT NULL);"
        "CREATE INDEX creations_client ON creations(client, created);",
};

#define ACCOUNT_COLUMNS                                                                            \
	"SELECT a.name, a.identifier, e.body, e.serial, a.created, e.updated FROM accounts a "     \
	"JOIN entries e ON e.identifier = a.identifier "
#define ENTRY_FIELDS "identifier, account, type, serial, body, updated"
#define CONNECTION_FIELDS                                                                          \
	"account, device, request, server_nonce, witness, created, expires, state, result, "       \
	"client"
#define PENDING "state = 0 AND expires > $2 " /* MESH_PORTAL_CONNECT_PENDING, unexpired */

/*
 * A store holds two connections, each with its own lock: the writer, for every transaction,
 * and a reader (its sessions read-only), for the calls that only read, so that those are not
 * held up behind a commit. Both are this struct; the reader's own reader is NULL.
 */
typedef struct PgStore PgStore;
struct PgStore {
	MeshPortalStore parent;
	GMutex lock;
	PGconn *conn;
	char *where;      /* "HOST/DB" for messages: never the password */
	char sqlstate[6]; /* of the statement that failed last in this call, "" for none */
	gboolean lost;    /* that failure was the connection's */
	PgStore *reader;
};

/* A statement's parameters, as text (libpq's text format); NULL is SQL NULL. */
#define MAX_PARAMS 10
typedef struct {
	const char *values[MAX_PARAMS];
	char ints[MAX_PARAMS][24];
	int n;
} Params;

static void
p_text(Params *p, const char *value)
{
	g_assert(p->n < MAX_PARAMS);
	p->values[p->n++] = value;
}

static void
p_int(Params *p, gint64 value)
{
	g_assert(p->n < MAX_PARAMS);
	g_snprintf(p->ints[p->n], sizeof p->ints[p->n], "%" G_GINT64_FORMAT, value);
	p->values[p->n] = p->ints[p->n];
	p->n++;
}

/* ---- Plumbing ---------------------------------------------------------------------------- */

/* The first line of libpq's message (they run on with hints on later lines). */
static char *
first_line(const char *message)
{
	const char *nl = message != NULL ? strchr(message, '\n') : NULL;

	if (message == NULL || *message == '\0')
		return g_strdup("no reason given");
	return nl != NULL ? g_strndup(message, nl - message) : g_strdup(message);
}

/* MESH_ERROR_NETWORK: the connection is gone or cannot be made (retryable). */
static gboolean
unreachable(PgStore *self, GError **error)
{
	g_autofree char *reason = first_line(PQerrorMessage(self->conn));

	self->lost = TRUE;
	g_set_error(error, MESH_ERROR, MESH_ERROR_NETWORK,
	            "the database at %s cannot be reached: %s; try again when it is back",
	            self->where, reason);
	return FALSE;
}

/*
 * The error of a failed statement: the connection's (MESH_ERROR_NETWORK), text that is not
 * UTF-8 (MESH_ERROR_INVALID_ARGUMENT), or MESH_ERROR_IO naming what failed, the SQLSTATE and
 * the server's primary message (which names constraints, never the values: those are in the
 * DETAIL field, left out).
 */
static gboolean
db_error(PgStore *self, const PGresult *res, const char *what, GError **error)
{
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	g_autofree char *reason = NULL;

	if (PQstatus(self->conn) != CONNECTION_OK)
		return unreachable(self, error);
	g_strlcpy(self->sqlstate, state != NULL ? state : "", sizeof self->sqlstate);
	if (g_strcmp0(state, "22021") == 0) { /* character_not_in_repertoire */
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "%s failed: the text is not UTF-8", what);
		return FALSE;
	}
	reason = primary != NULL ? g_strdup(primary) : first_line(PQerrorMessage(self->conn));
	g_set_error(error, MESH_ERROR, MESH_ERROR_IO,
	            "portal database %s: %s failed: %s (SQLSTATE %s)", self->where, what, reason,
	            state != NULL ? state : "none");
	return FALSE;
}

/* Run @sql with @params (NULL: none); the result, or NULL and the error. */
static PGresult *
exec(PgStore *self, const char *sql, const Params *params, const char *what, GError **error)
{
	PGresult *res = PQexecParams(self->conn, sql, params ? params->n : 0, NULL,
	                             params ? params->values : NULL, NULL, NULL, 0);
	ExecStatusType status = PQresultStatus(res);

	if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
		return res;
	db_error(self, res, what, error);
	PQclear(res);
	return NULL;
}

static gboolean
exec_ok(PgStore *self, const char *sql, const Params *params, const char *what, GError **error)
{
	g_autoptr(PGresult) res = exec(self, sql, params, what, error);

	return res != NULL;
}

/* Connect again when the connection was lost (libpq tries every host of the URI again). */
static gboolean
connected(PgStore *self, GError **error)
{
	if (PQstatus(self->conn) == CONNECTION_OK)
		return TRUE;
	PQreset(self->conn);
	if (PQstatus(self->conn) != CONNECTION_OK)
		return unreachable(self, error);
	return TRUE;
}

static void
clear_failure(PgStore *self)
{
	self->sqlstate[0] = '\0';
	self->lost = FALSE;
}

/*
 * One statement on its own (a read, or one INSERT): once more on a new connection when the
 * old one turned out to be lost (a server restarted while we were idle). Safe: a read can be
 * repeated, and an INSERT repeated after it did land fails on its key.
 */
static PGresult *
exec_once(PgStore *self, const char *sql, const Params *params, const char *what, GError **error)
{
	for (int attempt = 0;; attempt++) {
		GError *local = NULL;
		PGresult *res;

		clear_failure(self);
		if (!connected(self, error))
			return NULL;
		res = exec(self, sql, params, what, &local);
		if (res != NULL)
			return res;
		if (!self->lost || attempt > 0) {
			g_propagate_error(error, local);
			return NULL;
		}
		g_error_free(local);
	}
}

static gboolean
retryable(const PgStore *self, gboolean migrating)
{
	/* serialization_failure, deadlock_detected; a unique_violation means a concurrent insert
	 * of the same key, which the check will now see (SERIALIZABLE reports most of them as
	 * 40001 already). Migrating, two servermesh may create the same table (duplicate_table). */
	return strcmp(self->sqlstate, "40001") == 0 || strcmp(self->sqlstate, "40P01") == 0 ||
	       strcmp(self->sqlstate, "23505") == 0 ||
	       (migrating && strcmp(self->sqlstate, "42P07") == 0);
}

typedef gboolean (*TxnFunc)(PgStore *self, gpointer data, GError **error);

/*
 * Run @fn in one SERIALIZABLE transaction, again from the start when the database says it
 * conflicted with another (at most MESH_PORTAL_PG_RETRIES times, after a short random pause).
 * A connection found lost at BEGIN is made again and the transaction run: nothing was done.
 * A connection lost later fails the call (MESH_ERROR_NETWORK): whether a COMMIT that got no
 * answer took effect is unknown, and the client's retry will find out.
 */
static gboolean
transact_as(PgStore *self, TxnFunc fn, gpointer data, gboolean migrating, GError **error)
{
	gboolean reconnected = FALSE;

	for (int attempt = 0;; attempt++) {
		GError *local = NULL;
		gboolean ok;

		clear_failure(self);
		if (!connected(self, error))
			return FALSE;
		if (!exec_ok(self, "BEGIN ISOLATION LEVEL SERIALIZABLE", NULL,
		             "starting a transaction", &local)) {
			if (self->lost && !reconnected) {
				reconnected = TRUE;
				g_error_free(local);
				continue;
			}
			g_propagate_error(error, local);
			return FALSE;
		}
		ok = fn(self, data, &local) && exec_ok(self, "COMMIT", NULL, "committing", &local);
		if (ok)
			return TRUE;
		/* A COMMIT refused with 40001 has ended the transaction already. */
		if (!self->lost && PQtransactionStatus(self->conn) != PQTRANS_IDLE) {
			PGresult *res = PQexec(self->conn, "ROLLBACK");

			PQclear(res);
		}
		if (self->lost || !retryable(self, migrating) ||
		    attempt >= MESH_PORTAL_PG_RETRIES) {
			g_propagate_error(error, local);
			return FALSE;
		}
		g_error_free(local);
		/* Conflicting transactions retried at once tend to conflict again. */
		g_usleep(g_random_int_range(100, 1000) * (attempt + 1));
	}
}

static gboolean
transact(PgStore *self, TxnFunc fn, gpointer data, GError **error)
{
	return transact_as(self, fn, data, FALSE, error);
}

static PgStore *
lock(MeshPortalStore *store)
{
	PgStore *self = (PgStore *)store;

	g_mutex_lock(&self->lock);
	return self;
}

/* The reader connection, locked: for calls that only read. */
static PgStore *
read_lock(MeshPortalStore *store)
{
	return lock(&((PgStore *)store)->reader->parent);
}

static gboolean
unlock(PgStore *self, gboolean ok)
{
	g_mutex_unlock(&self->lock);
	return ok;
}

/* ---- Rows -------------------------------------------------------------------------------- */

static char *
column_text(const PGresult *res, int row, int column)
{
	if (PQgetisnull(res, row, column))
		return NULL;
	return g_strdup(PQgetvalue(res, row, column));
}

static gint64
column_int(const PGresult *res, int row, int column)
{
	return g_ascii_strtoll(PQgetvalue(res, row, column), NULL, 10);
}

static MeshPortalEntry *
read_entry(const PGresult *res, int row, int first)
{
	MeshPortalEntry *entry = g_new0(MeshPortalEntry, 1);

	entry->identifier = column_text(res, row, first);
	entry->account = column_text(res, row, first + 1);
	entry->type = column_text(res, row, first + 2);
	entry->serial = column_int(res, row, first + 3);
	entry->text = column_text(res, row, first + 4);
	entry->updated = column_int(res, row, first + 5);
	return entry;
}

static MeshPortalConnection *
read_connection(const PGresult *res, int row, int first)
{
	MeshPortalConnection *connection = g_new0(MeshPortalConnection, 1);

	connection->account = column_text(res, row, first);
	connection->device = column_text(res, row, first + 1);
	connection->request = column_text(res, row, first + 2);
	connection->server_nonce = column_text(res, row, first + 3);
	connection->witness = column_text(res, row, first + 4);
	connection->created = column_int(res, row, first + 5);
	connection->expires = column_int(res, row, first + 6);
	connection->state = (MeshPortalConnectState)column_int(res, row, first + 7);
	connection->result = column_text(res, row, first + 8);
	connection->client = column_text(res, row, first + 9);
	return connection;
}

static MeshPortalAccount *
read_account(const PGresult *res)
{
	MeshPortalAccount *account = g_new0(MeshPortalAccount, 1);

	account->name = column_text(res, 0, 0);
	account->identifier = column_text(res, 0, 1);
	account->profile = column_text(res, 0, 2);
	account->serial = column_int(res, 0, 3);
	account->created = column_int(res, 0, 4);
	account->updated = column_int(res, 0, 5);
	return account;
}

/* The entry @identifier, or NULL in *@ret_entry when there is none. */
static gboolean
find_entry(PgStore *self, const char *identifier, MeshPortalEntry **ret_entry, GError **error)
{
	Params p = {0};
	g_autoptr(PGresult) res = NULL;

	p_text(&p, identifier);
	res = exec(self, "SELECT " ENTRY_FIELDS " FROM entries WHERE identifier = $1", &p,
	           "reading an entry", error);
	if (res == NULL)
		return FALSE;
	*ret_entry = PQntuples(res) > 0 ? read_entry(res, 0, 0) : NULL;
	return TRUE;
}

/* The identifier of account @name, or NULL in *@ret_identifier when there is no such account. */
static gboolean
find_account(PgStore *self, const char *name, char **ret_identifier, GError **error)
{
	Params p = {0};
	g_autoptr(PGresult) res = NULL;

	p_text(&p, name);
	res = exec(self, "SELECT identifier FROM accounts WHERE name = $1", &p,
	           "reading an account", error);
	if (res == NULL)
		return FALSE;
	*ret_identifier = PQntuples(res) > 0 ? column_text(res, 0, 0) : NULL;
	return TRUE;
}

static gboolean
find_connection(PgStore *self, const char *account, const char *device,
                MeshPortalConnection **ret_connection, GError **error)
{
	Params p = {0};
	g_autoptr(PGresult) res = NULL;

	p_text(&p, account);
	p_text(&p, device);
	res = exec(self,
	           "SELECT " CONNECTION_FIELDS
	           " FROM connections WHERE account = $1 AND device = $2",
	           &p, "reading a connection request", error);
	if (res == NULL)
		return FALSE;
	*ret_connection = PQntuples(res) > 0 ? read_connection(res, 0, 0) : NULL;
	return TRUE;
}

/* The integers of the one row @sql returns. */
static gboolean
query_ints(PgStore *self, const char *sql, const Params *params, const char *what,
           guint64 *ret_first, guint64 *ret_second, GError **error)
{
	g_autoptr(PGresult) res = exec(self, sql, params, what, error);

	if (res == NULL)
		return FALSE;
	if (PQntuples(res) != 1)
		return db_error(self, NULL, what, error);
	*ret_first = (guint64)column_int(res, 0, 0);
	if (ret_second != NULL)
		*ret_second = (guint64)column_int(res, 0, 1);
	return TRUE;
}

/* Store @entry as of @now, replacing the stored one (@replace) or as a new row. */
static gboolean
put_entry(PgStore *self, const MeshPortalEntry *entry, gboolean replace, gint64 now, GError **error)
{
	Params p = {0};

	p_text(&p, entry->identifier);
	p_text(&p, entry->account);
	p_text(&p, entry->type);
	p_int(&p, entry->serial);
	p_text(&p, entry->text);
	p_int(&p, now);
	p_int(&p, (gint64)strlen(entry->text));
	return exec_ok(
	        self,
	        replace ? "UPDATE entries SET account = $2, type = $3, serial = $4, body = $5, "
	                  "updated = $6, size = $7 WHERE identifier = $1"
	                : "INSERT INTO entries (" ENTRY_FIELDS ", size) "
	                  "VALUES ($1, $2, $3, $4, $5, $6, $7)",
	        &p, "storing an entry", error);
}

/* ---- Accounts ---------------------------------------------------------------------------- */

typedef struct {
	const char *name, *identifier, *profile, *client;
	gint64 serial, now;
} CreateArgs;

static gboolean
account_create_txn(PgStore *self, gpointer data, GError **error)
{
	const CreateArgs *a = data;
	g_autofree char *existing = NULL;
	g_autoptr(MeshPortalEntry) entry = NULL;
	MeshPortalEntry profile_entry = {0};
	guint64 created = 0;
	Params p = {0};

	if (!find_account(self, a->name, &existing, error) ||
	    !find_entry(self, a->identifier, &entry, error))
		return FALSE;
	if (existing != NULL || entry != NULL) {
		g_autofree char *quoted = mesh_error_quote(a->name);

		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
		            "account '%s' or its profile exists already", quoted);
		return FALSE;
	}
	if (a->client != NULL) {
		p_text(&p, a->client);
		p_int(&p, a->now - MESH_PORTAL_CREATION_WINDOW_SECONDS);
		if (!query_ints(self,
		                "SELECT count(*) FROM creations WHERE client = $1 AND created > $2",
		                &p, "counting account creations", &created, NULL, error))
			return FALSE;
	}
	if (!mesh_portal_store_check_account_create(&self->parent, a->name, a->profile, a->client,
	                                            created, error))
		return FALSE;
	p = (Params){0};
	p_text(&p, a->name);
	p_text(&p, a->identifier);
	p_int(&p, a->now);
	if (!exec_ok(self, "INSERT INTO accounts (name, identifier, created) VALUES ($1, $2, $3)",
	             &p, "creating an account", error))
		return FALSE;
	profile_entry.identifier = (char *)a->identifier;
	profile_entry.account = (char *)a->name;
	profile_entry.type = (char *)MESH_PORTAL_TYPE_PERSONAL;
	profile_entry.serial = a->serial;
	profile_entry.text = (char *)a->profile;
	if (!put_entry(self, &profile_entry, FALSE, a->now, error))
		return FALSE;
	if (a->client == NULL)
		return TRUE;
	p = (Params){0};
	p_text(&p, a->client);
	p_int(&p, a->now);
	return exec_ok(self, "INSERT INTO creations (client, created) VALUES ($1, $2)", &p,
	               "recording an account creation", error);
}

static gboolean
pg_account_create(MeshPortalStore *store, const char *name, const char *identifier,
                  const char *profile, gint64 serial, const char *client, gint64 now,
                  GError **error)
{
	PgStore *self = lock(store);
	CreateArgs args = {name, identifier, profile, client, serial, now};

	return unlock(self, transact(self, account_create_txn, &args, error));
}

static gboolean
pg_account_get(MeshPortalStore *store, const char *name, const char *identifier,
               MeshPortalAccount **ret_account, GError **error)
{
	PgStore *self = read_lock(store);
	Params p = {0};
	g_autoptr(PGresult) res = NULL;

	p_text(&p, name != NULL ? name : identifier);
	res = exec_once(self,
	                name != NULL ? ACCOUNT_COLUMNS "WHERE a.name = $1"
	                             : ACCOUNT_COLUMNS "WHERE a.identifier = $1",
	                &p, "reading an account", error);
	if (res == NULL)
		return unlock(self, FALSE);
	if (PQntuples(res) == 0)
		return unlock(self, mesh_portal_store_no_account(name ? name : identifier, error));
	*ret_account = read_account(res);
	return unlock(self, TRUE);
}

static gboolean
account_delete_txn(PgStore *self, gpointer data, GError **error)
{
	const char *name = data;
	Params p = {0};
	g_autoptr(PGresult) res = NULL;

	/* One statement: its entries and connections go with it (ON DELETE CASCADE). */
	p_text(&p, name);
	res = exec(self, "DELETE FROM accounts WHERE name = $1", &p, "deleting an account", error);
	if (res == NULL)
		return FALSE;
	if (strcmp(PQcmdTuples(res), "0") == 0)
		return mesh_portal_store_no_account(name, error);
	return TRUE;
}

static gboolean
pg_account_delete(MeshPortalStore *store, const char *name, GError **error)
{
	PgStore *self = lock(store);

	return unlock(self, transact(self, account_delete_txn, (gpointer)name, error));
}

static gboolean
pg_account_count(MeshPortalStore *store, guint64 *ret_count, GError **error)
{
	PgStore *self = read_lock(store);
	g_autoptr(PGresult) res =
	        exec_once(self, "SELECT count(*) FROM accounts", NULL, "counting accounts", error);

	if (res == NULL)
		return unlock(self, FALSE);
	*ret_count = (guint64)column_int(res, 0, 0);
	return unlock(self, TRUE);
}

/* The health check: the schema version reads (the database is there and is the portal's), on
 * a new connection when the old one was lost. */
static gboolean
pg_ping(MeshPortalStore *store, GError **error)
{
	PgStore *self = lock(store);
	g_autoptr(PGresult) res = exec_once(self, "SELECT version FROM schema_version", NULL,
	                                    "the health check", error);

	return unlock(self, res != NULL);
}

/* ---- Entries ----------------------------------------------------------------------------- */

typedef struct {
	const MeshPortalEntry *entry;
	gint64 now;
} PublishArgs;

static gboolean
entry_publish_txn(PgStore *self, gpointer data, GError **error)
{
	const PublishArgs *a = data;
	g_autofree char *account_identifier = NULL;
	g_autoptr(MeshPortalEntry) stored = NULL;
	MeshPortalUsage usage = {0};
	Params p = {0};

	p_text(&p, a->entry->account);
	return find_account(self, a->entry->account, &account_identifier, error) &&
	       find_entry(self, a->entry->identifier, &stored, error) &&
	       query_ints(self,
	                  "SELECT count(*), coalesce(sum(size), 0) FROM entries "
	                  "WHERE account = $1",
	                  &p, "counting entries", &usage.entries, &usage.bytes, error) &&
	       mesh_portal_store_check_publish(&self->parent, a->entry, account_identifier, stored,
	                                       &usage, error) &&
	       put_entry(self, a->entry, stored != NULL, a->now, error);
}

static gboolean
pg_entry_publish(MeshPortalStore *store, const MeshPortalEntry *entry, gint64 now, GError **error)
{
	PgStore *self = lock(store);
	PublishArgs args = {entry, now};

	return unlock(self, transact(self, entry_publish_txn, &args, error));
}

static gboolean
pg_entry_get(MeshPortalStore *store, const char *identifier, MeshPortalEntry **ret_entry,
             GError **error)
{
	PgStore *self = read_lock(store);
	Params p = {0};
	g_autoptr(PGresult) res = NULL;

	p_text(&p, identifier);
	res = exec_once(self, "SELECT " ENTRY_FIELDS " FROM entries WHERE identifier = $1", &p,
	                "reading an entry", error);
	if (res == NULL)
		return unlock(self, FALSE);
	if (PQntuples(res) == 0)
		return unlock(self, mesh_portal_store_no_entry(identifier, error));
	*ret_entry = read_entry(res, 0, 0);
	return unlock(self, TRUE);
}

typedef gpointer (*ReadFunc)(const PGresult *res, int row, int first);

/*
 * The list an account-then-rows query returns: one statement, one snapshot, whose rows are the
 * account's name then the listed row's columns (from 1), NULL when the account has none; no row
 * when there is no account. Sorted here, by bytes: the database's collation may order text
 * otherwise.
 */
static gboolean
list_of_account(PgStore *self, const char *sql, const Params *params, const char *what,
                ReadFunc read_row, GDestroyNotify free_row, GCompareFunc compare,
                GPtrArray **ret_rows, GError **error)
{
	g_autoptr(PGresult) res = exec_once(self, sql, params, what, error);
	g_autoptr(GPtrArray) rows = NULL;

	if (res == NULL)
		return FALSE;
	if (PQntuples(res) == 0)
		return mesh_portal_store_no_account(params->values[0], error);
	rows = g_ptr_array_new_with_free_func(free_row);
	for (int i = 0; i < PQntuples(res); i++) {
		if (!PQgetisnull(res, i, 1))
			g_ptr_array_add(rows, read_row(res, i, 1));
	}
	g_ptr_array_sort(rows, compare);
	*ret_rows = g_steal_pointer(&rows);
	return TRUE;
}

static gboolean
pg_entry_list(MeshPortalStore *store, const char *account, const char *type,
              GPtrArray **ret_entries, GError **error)
{
	PgStore *self = read_lock(store);
	Params p = {0};

	p_text(&p, account);
	p_text(&p, type);
	return unlock(self,
	              list_of_account(self,
	                              "SELECT a.name, e." ENTRY_FIELDS " FROM accounts a LEFT JOIN "
	                              "entries e ON e.account = a.name AND "
	                              "(CAST($2 AS TEXT) IS NULL OR e.type = $2) WHERE a.name = $1",
	                              &p, "listing entries", (ReadFunc)read_entry,
	                              (GDestroyNotify)mesh_portal_entry_free,
	                              mesh_portal_entry_compare, ret_entries, error));
}

static gboolean
entry_delete_txn(PgStore *self, gpointer data, GError **error)
{
	const char *identifier = data;
	g_autoptr(MeshPortalEntry) entry = NULL;
	Params p = {0};

	if (!find_entry(self, identifier, &entry, error))
		return FALSE;
	if (entry == NULL)
		return mesh_portal_store_no_entry(identifier, error);
	if (strcmp(entry->type, MESH_PORTAL_TYPE_PERSONAL) == 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "an account's profile goes only with the account: delete the account");
		return FALSE;
	}
	p_text(&p, identifier);
	return exec_ok(self, "DELETE FROM entries WHERE identifier = $1", &p, "deleting an entry",
	               error);
}

static gboolean
pg_entry_delete(MeshPortalStore *store, const char *identifier, GError **error)
{
	PgStore *self = lock(store);

	return unlock(self, transact(self, entry_delete_txn, (gpointer)identifier, error));
}

/* ---- Connections ------------------------------------------------------------------------- */

typedef struct {
	const MeshPortalConnection *connection;
	gint64 now;
} AddArgs;

static gboolean
connection_add_txn(PgStore *self, gpointer data, GError **error)
{
	const AddArgs *a = data;
	const MeshPortalConnection *c = a->connection;
	g_autofree char *identifier = NULL;
	g_autoptr(MeshPortalConnection) stored = NULL;
	guint64 pending = 0, from_client = 0;
	Params p = {0};

	/* $3 is the client: NULL when there is none, which counts nothing. */
	p_text(&p, c->account);
	p_int(&p, a->now);
	p_text(&p, c->client);
	if (!find_account(self, c->account, &identifier, error) ||
	    !find_connection(self, c->account, c->device, &stored, error) ||
	    !query_ints(self,
	                "SELECT count(*), count(CASE WHEN client = $3 THEN 1 END) FROM connections "
	                "WHERE account = $1 AND " PENDING,
	                &p, "counting connection requests", &pending, &from_client, error) ||
	    !mesh_portal_store_check_connection_add(&self->parent, c, identifier != NULL, stored,
	                                            pending, from_client, a->now, error))
		return FALSE;
	p = (Params){0};
	p_text(&p, c->account);
	p_text(&p, c->device);
	p_text(&p, c->request);
	p_text(&p, c->server_nonce);
	p_text(&p, c->witness);
	p_int(&p, a->now);
	p_int(&p, c->expires);
	p_text(&p, c->client);
	return exec_ok(self,
	               stored != NULL
	                       ? "UPDATE connections SET request = $3, server_nonce = $4, "
	                         "witness = $5, created = $6, expires = $7, state = 0, "
	                         "result = NULL, client = $8 WHERE account = $1 AND device = $2"
	                       : "INSERT INTO connections (" CONNECTION_FIELDS ") "
	                         "VALUES ($1, $2, $3, $4, $5, $6, $7, 0, NULL, $8)",
	               &p, "storing a connection request", error);
}

static gboolean
pg_connection_add(MeshPortalStore *store, const MeshPortalConnection *connection, gint64 now,
                  GError **error)
{
	PgStore *self = lock(store);
	AddArgs args = {connection, now};

	return unlock(self, transact(self, connection_add_txn, &args, error));
}

static gboolean
pg_connection_get(MeshPortalStore *store, const char *account, const char *device, gint64 now,
                  MeshPortalConnection **ret_connection, GError **error)
{
	PgStore *self = read_lock(store);
	Params p = {0};
	g_autoptr(PGresult) res = NULL;
	MeshPortalConnection *connection;

	p_text(&p, account);
	p_text(&p, device);
	res = exec_once(self,
	                "SELECT " CONNECTION_FIELDS
	                " FROM connections WHERE account = $1 AND device = $2",
	                &p, "reading a connection request", error);
	if (res == NULL)
		return unlock(self, FALSE);
	if (PQntuples(res) == 0)
		return unlock(self, mesh_portal_store_check_connection_complete(device, NULL, now,
		                                                                error));
	connection = read_connection(res, 0, 0);
	connection->state = mesh_portal_connection_state_at(connection, now);
	*ret_connection = connection;
	return unlock(self, TRUE);
}

static gboolean
pg_connection_list(MeshPortalStore *store, const char *account, gint64 now,
                   GPtrArray **ret_connections, GError **error)
{
	PgStore *self = read_lock(store);
	Params p = {0};

	p_text(&p, account);
	p_int(&p, now);
	return unlock(
	        self,
	        list_of_account(self,
	                        "SELECT a.name, c.account, c.device, c.request, c.server_nonce, "
	                        "c.witness, c.created, c.expires, c.state, c.result, c.client "
	                        "FROM accounts a LEFT JOIN connections c ON c.account = a.name "
	                        "AND c.state = 0 AND c.expires > $2 WHERE a.name = $1",
	                        &p, "listing connection requests", (ReadFunc)read_connection,
	                        (GDestroyNotify)mesh_portal_connection_free,
	                        mesh_portal_connection_compare, ret_connections, error));
}

typedef struct {
	const char *account, *device, *result;
	MeshPortalConnectState state;
	gint64 now;
} CompleteArgs;

static gboolean
connection_complete_txn(PgStore *self, gpointer data, GError **error)
{
	const CompleteArgs *a = data;
	g_autoptr(MeshPortalConnection) stored = NULL;
	Params p = {0};

	if (!find_connection(self, a->account, a->device, &stored, error) ||
	    !mesh_portal_store_check_connection_complete(a->device, stored, a->now, error))
		return FALSE;
	p_text(&p, a->account);
	p_text(&p, a->device);
	p_int(&p, a->state);
	p_text(&p, a->result);
	return exec_ok(self,
	               "UPDATE connections SET state = $3, result = $4 "
	               "WHERE account = $1 AND device = $2",
	               &p, "completing a connection request", error);
}

static gboolean
pg_connection_complete(MeshPortalStore *store, const char *account, const char *device,
                       MeshPortalConnectState state, const char *result, gint64 now, GError **error)
{
	PgStore *self = lock(store);
	CompleteArgs args = {account, device, result, state, now};

	return unlock(self, transact(self, connection_complete_txn, &args, error));
}

/* ---- Nonces and purging ------------------------------------------------------------------ */

typedef struct {
	MeshPortalNonceUse *uses;
	guint n;
} NonceArgs;

/* One INSERT each; a nonce already there (on any node: the primary key) inserts no row. */
static gboolean
use_nonces_txn(PgStore *self, gpointer data, GError **error)
{
	NonceArgs *a = data;

	for (guint i = 0; i < a->n; i++) {
		Params p = {0};
		g_autoptr(PGresult) res = NULL;

		p_text(&p, a->uses[i].nonce);
		p_int(&p, a->uses[i].issued);
		res = exec(self,
		           "INSERT INTO nonces (nonce, issued) VALUES ($1, $2) "
		           "ON CONFLICT (nonce) DO NOTHING",
		           &p, "recording a nonce", error);
		if (res == NULL)
			return FALSE;
		a->uses[i].replay = strcmp(PQcmdTuples(res), "1") != 0;
	}
	return TRUE;
}

/* The batch in one SERIALIZABLE transaction, retried whole when it conflicts with another
 * node's (whose nonces it may then find there: replays). */
static gboolean
pg_use_nonces(MeshPortalStore *store, MeshPortalNonceUse *uses, guint n, GError **error)
{
	PgStore *self = lock(store);
	NonceArgs args = {uses, n};

	return unlock(self, transact(self, use_nonces_txn, &args, error));
}

typedef struct {
	gint64 now;
	guint removed;
} PurgeArgs;

static gboolean
purge_txn(PgStore *self, gpointer data, GError **error)
{
	PurgeArgs *a = data;
	static const struct {
		const char *sql, *what;
		gint64 keep;
	} steps[] = {
	        {"DELETE FROM connections WHERE expires <= $1", "purging connection requests",
	         MESH_PORTAL_CONNECTION_KEEP_SECONDS},
	        {"DELETE FROM nonces WHERE issued < $1", "purging nonces",
	         MESH_PORTAL_ISSUED_WINDOW_SECONDS + MESH_PORTAL_NONCE_MARGIN_SECONDS},
	        {"DELETE FROM creations WHERE created <= $1", "purging account creations",
	         MESH_PORTAL_CREATION_WINDOW_SECONDS},
	};

	a->removed = 0;
	for (gsize i = 0; i < G_N_ELEMENTS(steps); i++) {
		Params p = {0};
		g_autoptr(PGresult) res = NULL;

		p_int(&p, a->now - steps[i].keep);
		res = exec(self, steps[i].sql, &p, steps[i].what, error);
		if (res == NULL)
			return FALSE;
		a->removed += (guint)strtoul(PQcmdTuples(res), NULL, 10);
	}
	return TRUE;
}

static gboolean
pg_purge(MeshPortalStore *store, gint64 now, guint *ret_removed, GError **error)
{
	PgStore *self = lock(store);
	PurgeArgs args = {now, 0};

	if (!transact(self, purge_txn, &args, error))
		return unlock(self, FALSE);
	*ret_removed = args.removed;
	return unlock(self, TRUE);
}

static void
connection_close(PgStore *self)
{
	if (self == NULL)
		return;
	PQfinish(self->conn);
	g_mutex_clear(&self->lock);
	g_free(self->where);
	g_free(self);
}

static void
pg_close(MeshPortalStore *store)
{
	PgStore *self = (PgStore *)store;

	connection_close(self->reader);
	connection_close(self);
}

static const MeshPortalStoreClass pg_class = {
        .name = "postgresql",
        .account_create = pg_account_create,
        .account_get = pg_account_get,
        .account_delete = pg_account_delete,
        .account_count = pg_account_count,
        .entry_publish = pg_entry_publish,
        .entry_get = pg_entry_get,
        .entry_list = pg_entry_list,
        .entry_delete = pg_entry_delete,
        .connection_add = pg_connection_add,
        .connection_get = pg_connection_get,
        .connection_list = pg_connection_list,
        .connection_complete = pg_connection_complete,
        .use_nonces = pg_use_nonces,
        .purge = pg_purge,
        .ping = pg_ping,
        .close = pg_close,
};

/* ---- Opening ----------------------------------------------------------------------------- */

gboolean
mesh_portal_store_pg_is_uri(const char *db)
{
	return db != NULL &&
	       (g_str_has_prefix(db, "postgresql://") || g_str_has_prefix(db, "postgres://"));
}

/* "HOST:PORT/DB" from the parsed @options, for messages: what the URI says, less the user
 * and password. */
static char *
describe(const PQconninfoOption *options)
{
	const char *host = NULL, *hostaddr = NULL, *port = NULL, *dbname = NULL;

	for (const PQconninfoOption *o = options; o->keyword != NULL; o++) {
		if (o->val == NULL || *o->val == '\0')
			continue;
		if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "hostaddr") == 0)
			hostaddr = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
		else if (strcmp(o->keyword, "dbname") == 0)
			dbname = o->val;
	}
	host = host != NULL ? host : hostaddr != NULL ? hostaddr : "the default host";
	return g_strdup_printf("%s%s%s/%s", host, port != NULL ? ":" : "", port != NULL ? port : "",
	                       dbname != NULL ? dbname : "(the user's database)");
}

/* The one text a one-row query returns. */
static gboolean
query_text(PgStore *self, const char *sql, const char *what, char **ret_text, GError **error)
{
	g_autoptr(PGresult) res = exec(self, sql, NULL, what, error);

	if (res == NULL)
		return FALSE;
	if (PQntuples(res) != 1 || PQnfields(res) != 1 || PQgetisnull(res, 0, 0))
		return db_error(self, NULL, what, error);
	*ret_text = column_text(res, 0, 0);
	return TRUE;
}

/* The schema version recorded in the database (0 for a new, empty one). */
static gboolean
schema_version(PgStore *self, gint64 *ret_version, GError **error)
{
	g_autofree char *has_table = NULL;
	g_autofree char *tables = NULL;
	g_autofree char *version = NULL;

	if (!query_text(self,
	                "SELECT count(*) FROM information_schema.tables WHERE "
	                "table_schema = current_schema() AND table_name = 'schema_version'",
	                "reading the schema", &has_table, error) ||
	    !query_text(self,
	                "SELECT count(*) FROM information_schema.tables WHERE "
	                "table_schema = current_schema()",
	                "reading the schema", &tables, error))
		return FALSE;
	if (strcmp(has_table, "0") == 0) {
		if (strcmp(tables, "0") != 0) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			            "the database %s holds tables but is not a portal's (no schema "
			            "version): give servermesh another --db",
			            self->where);
			return FALSE;
		}
		*ret_version = 0;
		return TRUE;
	}
	if (!query_text(self, "SELECT coalesce(max(version), 0) FROM schema_version",
	                "reading the schema version", &version, error))
		return FALSE;
	*ret_version = g_ascii_strtoll(version, NULL, 10);
	return TRUE;
}

static gboolean
migrate_txn(PgStore *self, gpointer data, GError **error)
{
	gint64 version = 0;

	if (!schema_version(self, &version, error))
		return FALSE;
	if (version > MESH_PORTAL_PG_SCHEMA_VERSION || version < 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
		            "the portal database %s has schema version %" G_GINT64_FORMAT
		            "; this servermesh knows versions up to %d: run a newer servermesh",
		            self->where, version, MESH_PORTAL_PG_SCHEMA_VERSION);
		return FALSE;
	}
	for (; version < MESH_PORTAL_PG_SCHEMA_VERSION; version++) {
		Params p = {0};
		g_autoptr(PGresult) res = PQexec(self->conn, migrations[version]);

		/* PQexec: several statements in one string (no parameters). */
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			return db_error(self, res, "upgrading the schema", error);
		p_int(&p, version + 1);
		if (!exec_ok(self, "DELETE FROM schema_version", NULL,
		             "recording the schema version", error) ||
		    !exec_ok(self, "INSERT INTO schema_version (version) VALUES ($1)", &p,
		             "recording the schema version", error))
			return FALSE;
	}
	return TRUE;
}

static void
ignore_notice(void *data, const char *message)
{
}

/* The database's encoding must be UTF-8: texts are stored and returned byte for byte. */
static gboolean
check_encoding(PgStore *self, GError **error)
{
	const char *encoding = PQparameterStatus(self->conn, "server_encoding");

	if (encoding != NULL && strcmp(encoding, "UTF8") == 0)
		return TRUE;
	g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
	            "the database %s is encoded in %s, not UTF-8: create it with ENCODING 'UTF8'",
	            self->where, encoding != NULL ? encoding : "an unknown encoding");
	return FALSE;
}

/* Connect @self with @keywords/@values (libpq's), UTF-8 both ways. */
static gboolean
connect_to(PgStore *self, const char *const *keywords, const char *const *values,
           GError **error)
{
	self->conn = PQconnectdbParams(keywords, values, 1);
	if (self->conn == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "libpq: out of memory");
		return FALSE;
	}
	if (PQstatus(self->conn) != CONNECTION_OK)
		return unreachable(self, error);
	/* The server's notices (WARNING, NOTICE) would go to stderr: nothing we act on. */
	PQsetNoticeProcessor(self->conn, ignore_notice, NULL);
	return check_encoding(self, error);
}

MeshPortalStore *
mesh_portal_store_pg_open(const char *conninfo, GError **error)
{
	g_autoptr(MeshPortalStore) store = NULL;
	g_autoptr(PQconninfoOption) options = NULL;
	char *parse_error = NULL;
	PgStore *self, *reader;
	/* Ours first, so that the URI may override them; client_encoding last: ours always.
	 * connect_timeout: libpq would otherwise wait for the OS's TCP timeout (minutes). The
	 * reader's sessions cannot write (options, which a URI's own options would replace:
	 * then it still only ever reads). */
	const char *const keywords[] = {"connect_timeout", "fallback_application_name", "options",
	                                "dbname", "client_encoding", NULL};
	const char *const values[] = {"10", "servermesh", "", conninfo, "UTF8", NULL};
	const char *const reader_values[] = {"10", "servermesh",
	                                     "-c default_transaction_read_only=on", conninfo,
	                                     "UTF8", NULL};

	options = PQconninfoParse(conninfo, &parse_error);
	if (options == NULL) {
		/* libpq's message may quote the URI, password and all: not repeated. */
		PQfreemem(parse_error);
		g_set_error(error, MESH_ERROR, MESH_ERROR_USAGE,
		            "the database URI is not one libpq accepts: write it as "
		            "postgresql://USER@HOST:PORT/DATABASE?PARAMETER=VALUE");
		return NULL;
	}
	self = g_new0(PgStore, 1);
	mesh_portal_store_init(&self->parent, &pg_class);
	g_mutex_init(&self->lock);
	self->where = describe(options);
	store = &self->parent;
	if (!connect_to(self, keywords, values, error) ||
	    !transact_as(self, migrate_txn, NULL, TRUE, error))
		return NULL;
	reader = g_new0(PgStore, 1);
	g_mutex_init(&reader->lock);
	reader->where = g_strdup(self->where);
	self->reader = reader;
	if (!connect_to(reader, keywords, reader_values, error))
		return NULL;
	return g_steal_pointer(&store);
}
