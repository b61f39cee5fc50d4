/* SPDX-License-Identifier: MIT */
/* MeshPortalStore: one conformance suite, run on the memory store, the SQLite store and the
 * PostgreSQL store; then what only a shared database can show (two stores, two "nodes", on one
 * SQLite file or one PostgreSQL database); then what only SQLite has (persistence, schema
 * versions, pragmas, file modes) and what only PostgreSQL has (schema versions, a lost or
 * unreachable server, several hosts).
 * PostgreSQL: MESH_TEST_PG_URI names a database on a cluster where the role may create
 * databases (ctest's pg fixture starts one: tests/pg-cluster.sh); each case gets a new database.
 * Without it the PostgreSQL cases fail. */
#include "cutest.h"
#include "error.h"
#include "store-pg.h"
#include "store-sqlite.h"
#include "store.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define T0 1800000000 /* the clock the tests start at: 2027-01-15 */
#define ID_ALICE "MB2G-ALICE-PROFILE"
#define ID_BOB "MB2G-BOB-PROFILE"

/* ---- PostgreSQL: a new schema per case, in a database of this process --------------------- */

/* The cluster's URI, or a failed case. */
static const char *
pg_base_uri(void)
{
	const char *uri = g_getenv("MESH_TEST_PG_URI");

	if (uri == NULL || *uri == '\0')
		g_printerr("MESH_TEST_PG_URI is not set: run the suite with ctest (its pg fixture "
		           "starts a cluster) or start one with tests/pg-cluster.sh\n");
	return uri;
}

/* MESH_TEST_PG_URI as a key=value string, its dbname replaced by @dbname (NULL: kept), with
 * search_path @schema (NULL: the default). */
static char *
pg_conninfo(const char *dbname, const char *schema)
{
	const char *base = pg_base_uri();
	PQconninfoOption *options = NULL;
	GString *out = g_string_new(NULL);

	if (base == NULL || (options = PQconninfoParse(base, NULL)) == NULL)
		return NULL;
	for (PQconninfoOption *o = options; o->keyword != NULL; o++) {
		const char *value = strcmp(o->keyword, "dbname") == 0 && dbname ? dbname : o->val;

		if (value == NULL || strcmp(o->keyword, "options") == 0)
			continue;
		g_string_append_printf(out, "%s='", o->keyword);
		for (const char *c = value; *c; c++) {
			if (*c == '\'' || *c == '\\')
				g_string_append_c(out, '\\');
			g_string_append_c(out, *c);
		}
		g_string_append(out, "' ");
	}
	if (dbname != NULL && strstr(out->str, "dbname=") == NULL)
		g_string_append_printf(out, "dbname='%s' ", dbname);
	if (schema != NULL)
		g_string_append_printf(out, "options='-c search_path=%s'", schema);
	PQconninfoFree(options);
	return g_string_free(out, FALSE);
}

static void
ignore_notice(void *data, const char *message)
{
}

/* Run @sql on database @dbname (NULL: the cluster's maintenance database), in @schema;
 * whether it worked (what failed is printed). */
static gboolean
pg_run(const char *dbname, const char *schema, const char *sql)
{
	g_autofree char *conninfo = pg_conninfo(dbname, schema);
	PGconn *conn = NULL;
	PGresult *res = NULL;
	gboolean ok;

	if (conninfo == NULL)
		return FALSE;
	conn = PQconnectdb(conninfo);
	/* Not the server's notices ("drop cascades to table ...") on stderr. */
	PQsetNoticeProcessor(conn, ignore_notice, NULL);
	if (PQstatus(conn) == CONNECTION_OK)
		res = PQexec(conn, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
	if (!ok)
		g_printerr("%s: %s\n", sql, PQerrorMessage(conn));
	PQclear(res);
	PQfinish(conn);
	return ok;
}

static void
pg_admin_in(const char *dbname, const char *schema, const char *sql)
{
	CU_ASSERT_TRUE(pg_run(dbname, schema, sql));
}

static void
pg_admin(const char *sql)
{
	pg_admin_in(NULL, NULL, sql);
}

/* This process's database, made at the first PostgreSQL case (CREATE DATABASE takes about a
 * second; a schema, nothing) and dropped at the end. */
static char *pg_database;

static const char *
pg_process_database(void)
{
	if (pg_database == NULL && pg_base_uri() != NULL) {
		g_autofree char *sql = NULL;

		pg_database = g_strdup_printf("store_%d", (int)getpid());
		sql = g_strdup_printf("CREATE DATABASE %s", pg_database);
		pg_admin(sql);
	}
	return pg_database;
}

/* A new, empty schema in this process's database; returns the connection string of a store
 * that works in it. */
static char *
pg_new_schema(char **ret_name)
{
	static int counter;
	const char *database = pg_process_database();
	char *name = g_strdup_printf("case_%d", ++counter);
	g_autofree char *sql = g_strdup_printf("CREATE SCHEMA %s", name);
	char *conninfo;

	CU_ASSERT_PTR_NOT_NULL_FATAL(database);
	pg_admin_in(database, NULL, sql);
	conninfo = pg_conninfo(database, name);
	CU_ASSERT_PTR_NOT_NULL_FATAL(conninfo);
	*ret_name = name;
	return conninfo;
}

static void
pg_drop_schema(const char *name)
{
	g_autofree char *sql = g_strdup_printf("DROP SCHEMA %s CASCADE", name);

	pg_admin_in(pg_database, NULL, sql);
}

/* ---- Fixture: the store under test, on a clock the tests move ---------------------------- */

typedef enum {
	STORE_MEMORY,
	STORE_SQLITE,
	STORE_PG,
} StoreKind;

typedef struct {
	StoreKind kind;
	char *dir;      /* sqlite: the temporary folder */
	char *path;     /* sqlite: the database file, in a folder the store makes */
	char *pg_name;  /* pg: the case's schema */
	char *pg_conn;  /* pg: its connection string */
	MeshPortalStore *store;
} Fixture;

static StoreKind use_kind;

/* Another store on the fixture's database (another servermesh); memory has none. */
static MeshPortalStore *
open_store(Fixture *f, GError **error)
{
	switch (f->kind) {
	case STORE_SQLITE:
		return mesh_portal_store_sqlite_open(f->path, error);
	case STORE_PG:
		return mesh_portal_store_pg_open(f->pg_conn, error);
	default:
		return mesh_portal_store_memory_new();
	}
}

static void
reopen(Fixture *f)
{
	GError *error = NULL;

	mesh_portal_store_close(f->store);
	f->store = open_store(f, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->store);
}

static Fixture *
fixture_new(void)
{
	Fixture *f = g_new0(Fixture, 1);

	f->kind = use_kind;
	if (f->kind == STORE_SQLITE) {
		f->dir = mesh_test_tmp_dir("portal-store");
		f->path = g_build_filename(f->dir, "servermesh", "example.com.db", NULL);
	} else if (f->kind == STORE_PG) {
		f->pg_conn = pg_new_schema(&f->pg_name);
	}
	reopen(f);
	return f;
}

static void
fixture_free(Fixture *f)
{
	mesh_portal_store_close(f->store);
	if (f->dir != NULL)
		mesh_test_remove_tree(f->dir);
	if (f->pg_name != NULL)
		pg_drop_schema(f->pg_name);
	g_free(f->dir);
	g_free(f->path);
	g_free(f->pg_name);
	g_free(f->pg_conn);
	g_free(f);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Fixture, fixture_free)

static void
create_ok(Fixture *f, const char *name, const char *identifier, gint64 serial)
{
	GError *error = NULL;
	g_autofree char *profile = g_strdup_printf(
		"{\"SignedPersonalProfile\":\"%s/%" G_GINT64_FORMAT "\"}", identifier, serial);

	CU_ASSERT_TRUE(mesh_portal_store_account_create(f->store, name, identifier, profile, serial,
	                                                NULL, T0, &error));
	MESH_ASSERT_NO_ERROR(error);
}

static gboolean
publish(Fixture *f, const char *account, const char *identifier, const char *type,
	gint64 serial, const char *text, GError **error)
{
	MeshPortalEntry entry = { (char *)identifier, (char *)account, (char *)type, serial,
				  (char *)text, 0 };

	return mesh_portal_store_entry_publish(f->store, &entry, T0 + serial, error);
}

static void
publish_ok(Fixture *f, const char *account, const char *identifier, const char *type,
	   gint64 serial, const char *text)
{
	GError *error = NULL;

	CU_ASSERT_TRUE(publish(f, account, identifier, type, serial, text, &error));
	MESH_ASSERT_NO_ERROR(error);
}

static void
publish_refused(Fixture *f, const char *account, const char *identifier, const char *type,
		gint64 serial, MeshError want)
{
	GError *error = NULL;

	CU_ASSERT_FALSE(publish(f, account, identifier, type, serial, "{}", &error));
	MESH_ASSERT_ERROR(error, want);
}

static void
assert_entry_text(Fixture *f, const char *identifier, const char *want, gint64 want_serial)
{
	g_autoptr(MeshPortalEntry) entry = NULL;
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_portal_store_entry_get(f->store, identifier, &entry, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(entry->text, want);
	CU_ASSERT_EQUAL(entry->serial, want_serial);
}

static guint64
account_count(Fixture *f)
{
	GError *error = NULL;
	guint64 count = 99;

	CU_ASSERT_TRUE(mesh_portal_store_account_count(f->store, &count, &error));
	MESH_ASSERT_NO_ERROR(error);
	return count;
}

/* A pending request of @device, made by @client (NULL: in process). */
static gboolean
connect_add_from(Fixture *f, const char *account, const char *device, const char *client,
                 gint64 now, gint64 expires, GError **error)
{
	g_autofree char *request = g_strdup_printf("{\"request of\":\"%s\"}", device);
	MeshPortalConnection c = {(char *)account, (char *)device,
	                          request,         "c2VydmVy",
	                          "WITN-ESS0",     0,
	                          expires,         MESH_PORTAL_CONNECT_ACCEPTED,
	                          "ignored",       (char *)client};

	return mesh_portal_store_connection_add(f->store, &c, now, error);
}

static gboolean
connect_add(Fixture *f, const char *account, const char *device, gint64 now, gint64 expires,
            GError **error)
{
	return connect_add_from(f, account, device, NULL, now, expires, error);
}

static MeshPortalConnection *
connect_get(Fixture *f, const char *account, const char *device, gint64 now)
{
	MeshPortalConnection *c = NULL;
	GError *error = NULL;

	CU_ASSERT_TRUE(
		mesh_portal_store_connection_get(f->store, account, device, now, &c, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	return c;
}

static guint
pending_count(Fixture *f, const char *account, gint64 now)
{
	g_autoptr(GPtrArray) list = NULL;
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_portal_store_connection_list(f->store, account, now, &list, &error));
	MESH_ASSERT_NO_ERROR(error);
	return list ? list->len : 0;
}

/* ---- Conformance cases ------------------------------------------------------------------- */

static void
case_accounts(void)
{
	g_autoptr(Fixture) f = fixture_new();
	g_autoptr(MeshPortalAccount) a = NULL;
	g_autoptr(MeshPortalAccount) b = NULL;
	GError *error = NULL;

	CU_ASSERT_EQUAL(account_count(f), 0);
	create_ok(f, "alice", ID_ALICE, 1);
	create_ok(f, "bob", ID_BOB, 7);
	CU_ASSERT_EQUAL(account_count(f), 2);

	CU_ASSERT_TRUE(mesh_portal_store_account_get(f->store, "alice", &a, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(a->name, "alice");
	CU_ASSERT_STRING_EQUAL(a->identifier, ID_ALICE);
	CU_ASSERT_STRING_EQUAL(a->profile, "{\"SignedPersonalProfile\":\"" ID_ALICE "/1\"}");
	CU_ASSERT_EQUAL(a->serial, 1);
	CU_ASSERT_EQUAL(a->created, T0);
	CU_ASSERT_TRUE(mesh_portal_store_account_get_by_identifier(f->store, ID_BOB, &b, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(b->name, "bob");
	CU_ASSERT_EQUAL(b->serial, 7);
	/* The profile is an entry too: Get by Identifier finds it. */
	assert_entry_text(f, ID_BOB, "{\"SignedPersonalProfile\":\"" ID_BOB "/7\"}", 7);

	/* A taken name, or a profile already registered, is refused and changes nothing. */
	CU_ASSERT_FALSE(mesh_portal_store_account_create(f->store, "alice", "MB2G-OTHER", "{}", 1,
	                                                 NULL, T0, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_EXISTS);
	CU_ASSERT_FALSE(mesh_portal_store_account_create(f->store, "carol", ID_ALICE, "{}", 1, NULL,
	                                                 T0, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_EXISTS);
	CU_ASSERT_EQUAL(account_count(f), 2);
	CU_ASSERT_FALSE(mesh_portal_store_account_get(f->store, "carol", &a, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_FALSE(mesh_portal_store_account_get_by_identifier(f->store, "MB2G-OTHER", &a,
								    &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);

	/* Arguments are checked before any store sees them. */
	CU_ASSERT_FALSE(
	        mesh_portal_store_account_create(f->store, "", "X", "{}", 1, NULL, T0, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_portal_store_account_create(f->store, "dave", "X", "{}", -1, NULL, T0,
	                                                 &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	{
		g_autofree char *huge = g_strnfill(MESH_PORTAL_STORE_TEXT_MAX + 1, 'x');
		g_autofree char *long_name = g_strnfill(MESH_PORTAL_STORE_NAME_MAX + 1, 'n');

		CU_ASSERT_FALSE(mesh_portal_store_account_create(f->store, "dave", "X", huge, 1,
		                                                 NULL, T0, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
		CU_ASSERT_FALSE(mesh_portal_store_account_create(f->store, long_name, "X", "{}", 1,
		                                                 NULL, T0, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	}

	/* Delete takes the account's entries and requests with it. */
	publish_ok(f, "alice", "ESCROW-1", MESH_PORTAL_TYPE_ESCROW, 0, "{\"e\":1}");
	CU_ASSERT_TRUE(connect_add(f, "alice", "DEVICE-1", T0, T0 + 600, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_portal_store_account_delete(f->store, "alice", &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(account_count(f), 1);
	CU_ASSERT_FALSE(mesh_portal_store_account_get(f->store, "alice", &a, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_FALSE(mesh_portal_store_entry_get(f->store, "ESCROW-1", NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_FALSE(mesh_portal_store_entry_get(f->store, ID_ALICE, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_FALSE(mesh_portal_store_connection_get(f->store, "alice", "DEVICE-1", T0, NULL,
							 &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_FALSE(mesh_portal_store_account_delete(f->store, "alice", &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	/* The name and the profile are free again. */
	create_ok(f, "alice", ID_ALICE, 1);
}

static void
case_entries(void)
{
	g_autoptr(Fixture) f = fixture_new();
	g_autoptr(MeshPortalAccount) a = NULL;
	g_autoptr(GPtrArray) list = NULL;
	GError *error = NULL;

	create_ok(f, "alice", ID_ALICE, 3);
	create_ok(f, "bob", ID_BOB, 1);
	publish_ok(f, "alice", "APP-1", MESH_PORTAL_TYPE_APPLICATION, 5, "{\"app\":5}");
	assert_entry_text(f, "APP-1", "{\"app\":5}", 5);

	/* Rollback protection: a lower or equal serial is stale, a higher one replaces. */
	publish_refused(f, "alice", "APP-1", MESH_PORTAL_TYPE_APPLICATION, 4, MESH_ERROR_STALE);
	publish_refused(f, "alice", "APP-1", MESH_PORTAL_TYPE_APPLICATION, 5, MESH_ERROR_STALE);
	assert_entry_text(f, "APP-1", "{\"app\":5}", 5);
	publish_ok(f, "alice", "APP-1", MESH_PORTAL_TYPE_APPLICATION, 6, "{\"app\":6}");
	assert_entry_text(f, "APP-1", "{\"app\":6}", 6);

	/* The personal profile follows the same rule and is what the account shows. */
	publish_refused(f, "alice", ID_ALICE, MESH_PORTAL_TYPE_PERSONAL, 3, MESH_ERROR_STALE);
	publish_ok(f, "alice", ID_ALICE, MESH_PORTAL_TYPE_PERSONAL, 4, "{\"profile\":4}");
	CU_ASSERT_TRUE(mesh_portal_store_account_get(f->store, "alice", &a, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(a->profile, "{\"profile\":4}");
	CU_ASSERT_EQUAL(a->serial, 4);
	CU_ASSERT_EQUAL(a->updated, T0 + 4);
	/* An account's profile identifier never changes. */
	publish_refused(f, "alice", "MB2G-NEW-PROFILE", MESH_PORTAL_TYPE_PERSONAL, 9,
			MESH_ERROR_INVALID_ARGUMENT);
	/* Another account's entries are out of reach; types do not change; no account, no entry. */
	publish_refused(f, "bob", "APP-1", MESH_PORTAL_TYPE_APPLICATION, 9, MESH_ERROR_PERMISSION);
	publish_refused(f, "bob", ID_ALICE, MESH_PORTAL_TYPE_APPLICATION, 9, MESH_ERROR_PERMISSION);
	publish_refused(f, "alice", "APP-1", MESH_PORTAL_TYPE_ESCROW, 9,
			MESH_ERROR_INVALID_ARGUMENT);
	publish_refused(f, "nobody", "APP-9", MESH_PORTAL_TYPE_APPLICATION, 1,
			MESH_ERROR_NOT_FOUND);
	assert_entry_text(f, "APP-1", "{\"app\":6}", 6);

	/* Escrow entries have no serial: stored once, never replaced. */
	publish_ok(f, "alice", "ESCROW-1", MESH_PORTAL_TYPE_ESCROW, 0, "{\"escrow\":1}");
	publish_refused(f, "alice", "ESCROW-1", MESH_PORTAL_TYPE_ESCROW, 0, MESH_ERROR_STALE);
	publish_ok(f, "alice", "APP-0", MESH_PORTAL_TYPE_APPLICATION, 1, "{\"app\":0}");
	publish_ok(f, "bob", "APP-B", MESH_PORTAL_TYPE_APPLICATION, 1, "{\"app\":\"b\"}");

	CU_ASSERT_TRUE(mesh_portal_store_entry_list(f->store, "alice", MESH_PORTAL_TYPE_APPLICATION,
						    &list, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL_FATAL(list->len, 2);
	CU_ASSERT_STRING_EQUAL(((MeshPortalEntry *)list->pdata[0])->identifier, "APP-0");
	CU_ASSERT_STRING_EQUAL(((MeshPortalEntry *)list->pdata[1])->identifier, "APP-1");
	CU_ASSERT_STRING_EQUAL(((MeshPortalEntry *)list->pdata[1])->account, "alice");
	g_clear_pointer(&list, g_ptr_array_unref);
	CU_ASSERT_TRUE(mesh_portal_store_entry_list(f->store, "alice", NULL, &list, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL_FATAL(list->len, 4); /* ordered by type: escrow, application, personal */
	CU_ASSERT_STRING_EQUAL(((MeshPortalEntry *)list->pdata[0])->type, MESH_PORTAL_TYPE_ESCROW);
	CU_ASSERT_STRING_EQUAL(((MeshPortalEntry *)list->pdata[3])->type,
			       MESH_PORTAL_TYPE_PERSONAL);
	g_clear_pointer(&list, g_ptr_array_unref);
	CU_ASSERT_TRUE(mesh_portal_store_entry_list(f->store, "bob", MESH_PORTAL_TYPE_ESCROW, &list,
						    &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(list->len, 0);
	CU_ASSERT_FALSE(mesh_portal_store_entry_list(f->store, "nobody", NULL, &list, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);

	/* Deleting: an entry yes, an account's profile no. */
	CU_ASSERT_TRUE(mesh_portal_store_entry_delete(f->store, "APP-0", &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(mesh_portal_store_entry_delete(f->store, "APP-0", &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_FALSE(mesh_portal_store_entry_delete(f->store, ID_ALICE, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_portal_store_entry_get(f->store, "APP-0", NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
}

static void
case_connections(void)
{
	g_autoptr(Fixture) f = fixture_new();
	g_autoptr(MeshPortalConnection) c = NULL;
	g_autoptr(GPtrArray) list = NULL;
	GError *error = NULL;
	guint removed = 0;

	create_ok(f, "alice", ID_ALICE, 1);
	create_ok(f, "bob", ID_BOB, 1);
	/* 100 pending requests for one account, made one second apart, expiring at T0 + 1000. */
	for (int i = 0; i < MESH_PORTAL_MAX_PENDING; i++) {
		g_autofree char *device = g_strdup_printf("DEVICE-%03d", i);

		CU_ASSERT_TRUE(connect_add(f, "alice", device, T0 + i, T0 + 1000, &error));
		MESH_ASSERT_NO_ERROR(error);
	}
	/* The 101st is refused; other accounts are not affected. */
	CU_ASSERT_FALSE(connect_add(f, "alice", "DEVICE-100", T0 + 100, T0 + 1000, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_RATE_LIMITED);
	CU_ASSERT_TRUE(connect_add(f, "bob", "DEVICE-B", T0 + 100, T0 + 200, &error));
	MESH_ASSERT_NO_ERROR(error);
	/* A device with a pending request cannot make another. */
	CU_ASSERT_FALSE(connect_add(f, "bob", "DEVICE-B", T0 + 101, T0 + 700, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_EXISTS);
	CU_ASSERT_FALSE(connect_add(f, "nobody", "DEVICE-X", T0, T0 + 10, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_FALSE(connect_add(f, "bob", "DEVICE-X", T0 + 10, T0 + 10, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);

	CU_ASSERT_TRUE(mesh_portal_store_connection_list(f->store, "alice", T0 + 100, &list,
							 &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL_FATAL(list->len, MESH_PORTAL_MAX_PENDING);
	c = g_ptr_array_steal_index(list, 0);
	CU_ASSERT_STRING_EQUAL(c->device, "DEVICE-000"); /* oldest first */
	CU_ASSERT_STRING_EQUAL(c->request, "{\"request of\":\"DEVICE-000\"}");
	CU_ASSERT_STRING_EQUAL(c->server_nonce, "c2VydmVy");
	CU_ASSERT_STRING_EQUAL(c->witness, "WITN-ESS0");
	CU_ASSERT_EQUAL(c->created, T0);
	CU_ASSERT_EQUAL(c->expires, T0 + 1000);
	CU_ASSERT_EQUAL(c->state, MESH_PORTAL_CONNECT_PENDING); /* not what the caller passed */
	CU_ASSERT_PTR_NULL(c->result);
	g_clear_pointer(&c, mesh_portal_connection_free);
	g_clear_pointer(&list, g_ptr_array_unref);
	CU_ASSERT_FALSE(mesh_portal_store_connection_list(f->store, "nobody", T0, &list, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);

	/* Complete: accepted once, then it is answered; it no longer counts as pending. */
	CU_ASSERT_FALSE(mesh_portal_store_connection_complete(f->store, "alice", "DEVICE-001",
							      MESH_PORTAL_CONNECT_PENDING, "{}",
							      T0 + 200, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_TRUE(mesh_portal_store_connection_complete(f->store, "alice", "DEVICE-001",
							     MESH_PORTAL_CONNECT_ACCEPTED,
							     "{\"result\":\"yes\"}", T0 + 200,
							     &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(mesh_portal_store_connection_complete(f->store, "alice", "DEVICE-001",
							      MESH_PORTAL_CONNECT_REJECTED, "{}",
							      T0 + 201, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_EXISTS);
	CU_ASSERT_FALSE(mesh_portal_store_connection_complete(f->store, "alice", "DEVICE-999",
							      MESH_PORTAL_CONNECT_REJECTED, "{}",
							      T0 + 201, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	c = connect_get(f, "alice", "DEVICE-001", T0 + 5000); /* answered: never "Expired" */
	CU_ASSERT_EQUAL(c->state, MESH_PORTAL_CONNECT_ACCEPTED);
	CU_ASSERT_STRING_EQUAL(c->result, "{\"result\":\"yes\"}");
	g_clear_pointer(&c, mesh_portal_connection_free);
	CU_ASSERT_EQUAL(pending_count(f, "alice", T0 + 200), MESH_PORTAL_MAX_PENDING - 1);
	CU_ASSERT_TRUE(connect_add(f, "alice", "DEVICE-100", T0 + 202, T0 + 1000, &error));
	MESH_ASSERT_NO_ERROR(error);

	/* Expiry: at T0 + 1000 nothing of alice's is pending; a request reads as Expired and can
	 * no longer be completed; the device may ask again. */
	CU_ASSERT_EQUAL(pending_count(f, "alice", T0 + 999), MESH_PORTAL_MAX_PENDING);
	CU_ASSERT_EQUAL(pending_count(f, "alice", T0 + 1000), 0);
	c = connect_get(f, "alice", "DEVICE-002", T0 + 1000);
	CU_ASSERT_EQUAL(c->state, MESH_PORTAL_CONNECT_EXPIRED);
	g_clear_pointer(&c, mesh_portal_connection_free);
	c = connect_get(f, "alice", "DEVICE-002", T0 + 999);
	CU_ASSERT_EQUAL(c->state, MESH_PORTAL_CONNECT_PENDING);
	g_clear_pointer(&c, mesh_portal_connection_free);
	CU_ASSERT_FALSE(mesh_portal_store_connection_complete(f->store, "alice", "DEVICE-002",
							      MESH_PORTAL_CONNECT_ACCEPTED, "{}",
							      T0 + 1000, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_EXPIRED);
	CU_ASSERT_TRUE(connect_add(f, "alice", "DEVICE-002", T0 + 1001, T0 + 1600, &error));
	MESH_ASSERT_NO_ERROR(error);
	c = connect_get(f, "alice", "DEVICE-002", T0 + 1001);
	CU_ASSERT_EQUAL(c->state, MESH_PORTAL_CONNECT_PENDING);
	CU_ASSERT_EQUAL(c->created, T0 + 1001);
	g_clear_pointer(&c, mesh_portal_connection_free);

	/* Purge: kept MESH_PORTAL_CONNECTION_KEEP_SECONDS past expiry, then gone. */
	CU_ASSERT_TRUE(mesh_portal_store_purge(f->store,
					       T0 + 999 + MESH_PORTAL_CONNECTION_KEEP_SECONDS,
					       &removed, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(removed, 1); /* bob's, expired at T0 + 200 */
	CU_ASSERT_TRUE(mesh_portal_store_purge(f->store,
					       T0 + 1000 + MESH_PORTAL_CONNECTION_KEEP_SECONDS,
					       &removed, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(removed, MESH_PORTAL_MAX_PENDING); /* all of alice's but DEVICE-002 */
	CU_ASSERT_FALSE(mesh_portal_store_connection_get(f->store, "alice", "DEVICE-001", T0, NULL,
							 &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	c = connect_get(f, "alice", "DEVICE-002", T0 + 1001);
	g_clear_pointer(&c, mesh_portal_connection_free);
}

static void
case_nonces(void)
{
	g_autoptr(Fixture) f = fixture_new();
	GError *error = NULL;
	guint removed = 99;
	const gint64 window = MESH_PORTAL_ISSUED_WINDOW_SECONDS;

	CU_ASSERT_TRUE(mesh_portal_store_use_nonce(f->store, "bm9uY2Ux", T0, T0, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(mesh_portal_store_use_nonce(f->store, "bm9uY2Ux", T0, T0 + 1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNAUTHORIZED);
	/* Issued at the edges of the window: accepted; one second beyond: refused. */
	CU_ASSERT_TRUE(mesh_portal_store_use_nonce(f->store, "bm9uY2Uy", T0 - window, T0, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_portal_store_use_nonce(f->store, "bm9uY2Uz", T0 + window, T0, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(mesh_portal_store_use_nonce(f->store, "bm9uY2U0", T0 - window - 1, T0,
						    &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNAUTHORIZED);
	CU_ASSERT_FALSE(mesh_portal_store_use_nonce(f->store, "bm9uY2U1", T0 + window + 1, T0,
						    &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNAUTHORIZED);

	/* Purged only once outside the window plus the margin. */
	CU_ASSERT_TRUE(mesh_portal_store_purge(f->store, T0 + MESH_PORTAL_NONCE_MARGIN_SECONDS,
					       &removed, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(removed, 0);
	CU_ASSERT_TRUE(mesh_portal_store_purge(f->store, T0 + MESH_PORTAL_NONCE_MARGIN_SECONDS + 1,
					       &removed, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(removed, 1); /* bm9uY2Uy, issued at T0 - window */
	CU_ASSERT_FALSE(mesh_portal_store_use_nonce(f->store, "bm9uY2Ux", T0, T0 + 61, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNAUTHORIZED);
}

/* ---- Limits (MeshPortalStoreLimits) ------------------------------------------------------ */

static void
set_limits(Fixture *f, guint pending, guint entries, guint64 bytes, guint creations)
{
	MeshPortalStoreLimits limits = {pending, entries, bytes, creations};

	mesh_portal_store_set_limits(f->store, &limits);
}

/* The defaults every store starts with. */
static void
case_limit_defaults(void)
{
	g_autoptr(Fixture) f = fixture_new();

	CU_ASSERT_EQUAL(f->store->limits.pending_per_client,
	                MESH_PORTAL_DEFAULT_PENDING_PER_CLIENT);
	CU_ASSERT_EQUAL(f->store->limits.entries_per_account,
	                MESH_PORTAL_DEFAULT_ENTRIES_PER_ACCOUNT);
	CU_ASSERT_EQUAL(f->store->limits.bytes_per_account, MESH_PORTAL_DEFAULT_BYTES_PER_ACCOUNT);
	CU_ASSERT_EQUAL(f->store->limits.creations_per_client,
	                MESH_PORTAL_DEFAULT_CREATIONS_PER_CLIENT);
}

/* One client fills only its share of an account's queue; the others still get in. */
static void
case_pending_per_client(void)
{
	g_autoptr(Fixture) f = fixture_new();
	GError *error = NULL;

	set_limits(f, 3, 0, 0, 0);
	create_ok(f, "alice", ID_ALICE, 1);
	create_ok(f, "bob", ID_BOB, 1);
	for (int i = 0; i < 3; i++) {
		g_autofree char *device = g_strdup_printf("JUNK-%d", i);

		CU_ASSERT_TRUE(connect_add_from(f, "alice", device, "192.0.2.1", T0 + i, T0 + 600,
		                                &error));
		MESH_ASSERT_NO_ERROR(error);
	}
	/* The attack: the client's fourth is refused, and says why. */
	CU_ASSERT_FALSE(
	        connect_add_from(f, "alice", "JUNK-3", "192.0.2.1", T0 + 3, T0 + 600, &error));
	CU_ASSERT_TRUE(error != NULL && strstr(error->message, "this address") != NULL);
	MESH_ASSERT_ERROR(error, MESH_ERROR_RATE_LIMITED);
	/* Another client, an in-process caller and another account are not affected. */
	CU_ASSERT_TRUE(
	        connect_add_from(f, "alice", "REAL-1", "198.51.100.7", T0 + 4, T0 + 600, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(connect_add(f, "alice", "LOCAL-1", T0 + 4, T0 + 600, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(connect_add_from(f, "bob", "JUNK-B", "192.0.2.1", T0 + 4, T0 + 600, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(pending_count(f, "alice", T0 + 5), 5);
	{
		g_autoptr(MeshPortalConnection) c = connect_get(f, "alice", "REAL-1", T0 + 5);

		CU_ASSERT_STRING_EQUAL(c->client, "198.51.100.7");
	}
	/* A request answered no longer counts; nor does one expired. */
	CU_ASSERT_TRUE(mesh_portal_store_connection_complete(
	        f->store, "alice", "JUNK-0", MESH_PORTAL_CONNECT_REJECTED, "{}", T0 + 5, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(
	        connect_add_from(f, "alice", "JUNK-3", "192.0.2.1", T0 + 6, T0 + 10, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(
	        connect_add_from(f, "alice", "JUNK-4", "192.0.2.1", T0 + 7, T0 + 600, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_RATE_LIMITED);
	CU_ASSERT_TRUE(
	        connect_add_from(f, "alice", "JUNK-4", "192.0.2.1", T0 + 10, T0 + 600, &error));
	MESH_ASSERT_NO_ERROR(error);
	/* 0 turns the limit off; the account's 100 still hold. */
	set_limits(f, 0, 0, 0, 0);
	for (int i = 5; i < 100; i++) {
		g_autofree char *device = g_strdup_printf("JUNK-%d", i);

		CU_ASSERT_TRUE(connect_add_from(f, "alice", device, "192.0.2.1", T0 + 10, T0 + 600,
		                                &error));
		MESH_ASSERT_NO_ERROR(error);
	}
	CU_ASSERT_FALSE(
	        connect_add_from(f, "alice", "REAL-2", "198.51.100.7", T0 + 10, T0 + 600, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_RATE_LIMITED);
}

/* Entries and bytes per account: new entries count, replacements count once. */
static void
case_quota(void)
{
	g_autoptr(Fixture) f = fixture_new();
	g_autofree char *profile =
	        g_strdup_printf("{\"SignedPersonalProfile\":\"%s/%d\"}", ID_ALICE, 1);
	guint64 base = strlen(profile);
	GError *error = NULL;

	/* Three entries: the profile and two more. */
	set_limits(f, 0, 3, 0, 0);
	create_ok(f, "alice", ID_ALICE, 1);
	publish_ok(f, "alice", "APP-1", MESH_PORTAL_TYPE_APPLICATION, 1, "{\"a\":1}");
	publish_ok(f, "alice", "ESCROW-1", MESH_PORTAL_TYPE_ESCROW, 0, "{\"e\":1}");
	CU_ASSERT_FALSE(
	        publish(f, "alice", "APP-2", MESH_PORTAL_TYPE_APPLICATION, 1, "{}", &error));
	CU_ASSERT_TRUE(error != NULL && strstr(error->message, "3 entries") != NULL);
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	CU_ASSERT_FALSE(mesh_portal_store_entry_get(f->store, "APP-2", NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	/* Re-publishing is not a new entry, the profile included. */
	publish_ok(f, "alice", "APP-1", MESH_PORTAL_TYPE_APPLICATION, 2, "{\"a\":2}");
	publish_ok(f, "alice", ID_ALICE, MESH_PORTAL_TYPE_PERSONAL, 2, profile);
	/* Deleting makes room; another account has its own quota. */
	CU_ASSERT_TRUE(mesh_portal_store_entry_delete(f->store, "APP-1", &error));
	MESH_ASSERT_NO_ERROR(error);
	publish_ok(f, "alice", "APP-2", MESH_PORTAL_TYPE_APPLICATION, 1, "{}");
	create_ok(f, "bob", ID_BOB, 1);
	publish_ok(f, "bob", "APP-B", MESH_PORTAL_TYPE_APPLICATION, 1, "{}");

	/* Bytes: the profile and ten bytes more. */
	set_limits(f, 0, 0, base + 10, 0);
	CU_ASSERT_TRUE(mesh_portal_store_account_delete(f->store, "alice", &error));
	MESH_ASSERT_NO_ERROR(error);
	create_ok(f, "alice", ID_ALICE, 1);
	CU_ASSERT_FALSE(publish(f, "alice", "APP-1", MESH_PORTAL_TYPE_APPLICATION, 1, "0123456789A",
	                        &error)); /* 11 bytes */
	CU_ASSERT_TRUE(error != NULL && strstr(error->message, "quota") != NULL);
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	publish_ok(f, "alice", "APP-1", MESH_PORTAL_TYPE_APPLICATION, 1, "0123456789");
	/* A replacement counts at its new size only: 10 bytes again fit, 11 do not. */
	publish_ok(f, "alice", "APP-1", MESH_PORTAL_TYPE_APPLICATION, 2, "abcdefghij");
	CU_ASSERT_FALSE(publish(f, "alice", "APP-1", MESH_PORTAL_TYPE_APPLICATION, 3, "abcdefghijk",
	                        &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	assert_entry_text(f, "APP-1", "abcdefghij", 2);
	/* A profile alone over the quota cannot make an account. */
	set_limits(f, 0, 0, 4, 0);
	CU_ASSERT_FALSE(mesh_portal_store_account_create(f->store, "carol", "MB2G-CAROL",
	                                                 "{\"p\":1}", 1, NULL, T0, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	CU_ASSERT_EQUAL(account_count(f), 2);
}

/* Accounts created per client and hour. */
static void
case_creations(void)
{
	g_autoptr(Fixture) f = fixture_new();
	GError *error = NULL;
	guint removed = 0;

	set_limits(f, 0, 0, 0, 2);
	CU_ASSERT_TRUE(mesh_portal_store_account_create(f->store, "a1", "ID-A1", "{}", 1,
	                                                "192.0.2.1", T0, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_portal_store_account_create(f->store, "a2", "ID-A2", "{}", 1,
	                                                "192.0.2.1", T0 + 10, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(mesh_portal_store_account_create(f->store, "a3", "ID-A3", "{}", 1,
	                                                 "192.0.2.1", T0 + 20, &error));
	CU_ASSERT_TRUE(error != NULL && strstr(error->message, "try again later") != NULL);
	MESH_ASSERT_ERROR(error, MESH_ERROR_RATE_LIMITED);
	/* A refused creation is not counted; a name taken is not a creation either. */
	CU_ASSERT_FALSE(mesh_portal_store_account_create(f->store, "a1", "ID-X", "{}", 1,
	                                                 "198.51.100.7", T0 + 20, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_EXISTS);
	/* Others, and in-process callers, are not affected. */
	CU_ASSERT_TRUE(mesh_portal_store_account_create(f->store, "b1", "ID-B1", "{}", 1,
	                                                "198.51.100.7", T0 + 20, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_portal_store_account_create(f->store, "c1", "ID-C1", "{}", 1, NULL,
	                                                T0 + 20, &error));
	MESH_ASSERT_NO_ERROR(error);
	/* Deleting an account does not give a creation back. */
	CU_ASSERT_TRUE(mesh_portal_store_account_delete(f->store, "a2", &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(mesh_portal_store_account_create(f->store, "a3", "ID-A3", "{}", 1,
	                                                 "192.0.2.1", T0 + 30, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_RATE_LIMITED);
	/* An hour after the first, one more; purge forgets what is older than the hour. */
	CU_ASSERT_TRUE(
	        mesh_portal_store_account_create(f->store, "a3", "ID-A3", "{}", 1, "192.0.2.1",
	                                         T0 + MESH_PORTAL_CREATION_WINDOW_SECONDS, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(mesh_portal_store_account_create(
	        f->store, "a4", "ID-A4", "{}", 1, "192.0.2.1",
	        T0 + MESH_PORTAL_CREATION_WINDOW_SECONDS + 9, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_RATE_LIMITED);
	CU_ASSERT_TRUE(mesh_portal_store_purge(
	        f->store, T0 + MESH_PORTAL_CREATION_WINDOW_SECONDS + 10, &removed, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(removed, 2); /* a1's and a2's */
	CU_ASSERT_TRUE(mesh_portal_store_account_create(
	        f->store, "a4", "ID-A4", "{}", 1, "192.0.2.1",
	        T0 + MESH_PORTAL_CREATION_WINDOW_SECONDS + 11, &error));
	MESH_ASSERT_NO_ERROR(error);
}

/*
 * Group commit (mesh_portal_store_use_nonce): 16 threads start together, each with 25 nonces of
 * its own and then the same 5 shared ones. Every nonce of its own is accepted, each shared one
 * exactly once in all, and every refusal is a replay; on a store whose commits take time
 * (SQLite, PostgreSQL) some batch held several nonces — without group commit there would be
 * one batch per nonce.
 */
#define BATCH_THREADS 16
#define BATCH_OWN     25
#define BATCH_SHARED  5

typedef struct {
	MeshPortalStore *store;
	int index;
	GMutex *lock;
	GCond *go;
	gboolean *started;
	int own_ok, shared_ok, wrong;
} BatchWorker;

static gpointer
use_nonces_together(gpointer data)
{
	BatchWorker *w = data;

	g_mutex_lock(w->lock);
	while (!*w->started)
		g_cond_wait(w->go, w->lock);
	g_mutex_unlock(w->lock);
	for (int i = 0; i < BATCH_OWN + BATCH_SHARED; i++) {
		g_autofree char *nonce = i < BATCH_OWN ? g_strdup_printf("own-%d-%d", w->index, i)
		                                       : g_strdup_printf("shared-%d", i - BATCH_OWN);
		GError *error = NULL;

		if (mesh_portal_store_use_nonce(w->store, nonce, T0, T0, &error))
			*(i < BATCH_OWN ? &w->own_ok : &w->shared_ok) += 1;
		else if (i < BATCH_OWN || !g_error_matches(error, MESH_ERROR, MESH_ERROR_UNAUTHORIZED))
			w->wrong++;
		g_clear_error(&error);
	}
	return NULL;
}

/* The threads use @f's store, and every other one @other (a second node) when not NULL. */
static void
nonce_batches(Fixture *f, MeshPortalStore *other)
{
	BatchWorker workers[BATCH_THREADS];
	GThread *threads[BATCH_THREADS];
	GMutex lock;
	GCond go;
	gboolean started = FALSE;
	guint64 batches = 0, nonces = 0;
	int own = 0, shared = 0, wrong = 0;

	g_mutex_init(&lock);
	g_cond_init(&go);
	for (int t = 0; t < BATCH_THREADS; t++) {
		MeshPortalStore *store = other != NULL && t % 2 == 1 ? other : f->store;

		workers[t] = (BatchWorker){store, t, &lock, &go, &started, 0, 0, 0};
		threads[t] = g_thread_new("nonces", use_nonces_together, &workers[t]);
	}
	g_mutex_lock(&lock);
	started = TRUE;
	g_cond_broadcast(&go);
	g_mutex_unlock(&lock);
	for (int t = 0; t < BATCH_THREADS; t++) {
		g_thread_join(threads[t]);
		own += workers[t].own_ok;
		shared += workers[t].shared_ok;
		wrong += workers[t].wrong;
	}
	CU_ASSERT_EQUAL(own, BATCH_THREADS * BATCH_OWN);
	CU_ASSERT_EQUAL(shared, BATCH_SHARED);
	CU_ASSERT_EQUAL(wrong, 0);
	mesh_portal_store_nonce_batches(f->store, &batches, &nonces);
	if (other == NULL) {
		CU_ASSERT_EQUAL(nonces, BATCH_THREADS * (BATCH_OWN + BATCH_SHARED));
		CU_ASSERT_TRUE(batches >= 1 && batches <= nonces);
		if (use_kind != STORE_MEMORY)
			CU_ASSERT_TRUE(batches < nonces);
	}
	/* Written, not only answered: asked again, on either node, each is a replay. */
	for (int t = 0; t < BATCH_THREADS; t += 5) {
		g_autofree char *nonce = g_strdup_printf("own-%d-%d", t, BATCH_OWN - 1);
		GError *error = NULL;

		CU_ASSERT_FALSE(mesh_portal_store_use_nonce(other ? other : f->store, nonce, T0, T0,
		                                            &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_UNAUTHORIZED);
	}
	g_mutex_clear(&lock);
	g_cond_clear(&go);
}

static void
case_nonce_batches(void)
{
	g_autoptr(Fixture) f = fixture_new();

	nonce_batches(f, NULL);
}

/* Four threads create accounts on one store at once; every one is there at the end. */
static gpointer
create_many(gpointer data)
{
	MeshPortalStore *store = ((gpointer *)data)[0];
	int base = GPOINTER_TO_INT(((gpointer *)data)[1]);
	gboolean ok = TRUE;

	for (int i = 0; i < 50; i++) {
		g_autofree char *name = g_strdup_printf("user%d-%d", base, i);
		g_autofree char *id = g_strdup_printf("ID-%d-%d", base, i);

		ok = ok &&
		     mesh_portal_store_account_create(store, name, id, "{}", 1, NULL, T0, NULL);
	}
	return GINT_TO_POINTER(ok);
}

static void
case_threads(void)
{
	g_autoptr(Fixture) f = fixture_new();
	GThread *threads[4];
	gpointer args[4][2];

	for (int t = 0; t < 4; t++) {
		args[t][0] = f->store;
		args[t][1] = GINT_TO_POINTER(t);
		threads[t] = g_thread_new("create", create_many, args[t]);
	}
	for (int t = 0; t < 4; t++)
		CU_ASSERT_TRUE(GPOINTER_TO_INT(g_thread_join(threads[t])));
	CU_ASSERT_EQUAL(account_count(f), 200);
}

/* ---- SQLite only ------------------------------------------------------------------------- */

static char *
pragma(MeshPortalStore *store, const char *name)
{
	GError *error = NULL;
	char *value = NULL;

	CU_ASSERT_TRUE(mesh_portal_store_sqlite_pragma(store, name, &value, &error));
	MESH_ASSERT_NO_ERROR(error);
	return value;
}

static void
sqlite_settings_and_modes(void)
{
	g_autoptr(Fixture) f = (use_kind = STORE_SQLITE, fixture_new());
	g_autofree char *folder = g_path_get_dirname(f->path);
	g_autofree char *wal = g_strconcat(f->path, "-wal", NULL);
	g_autofree char *journal = pragma(f->store, "journal_mode");
	g_autofree char *synchronous = pragma(f->store, "synchronous");
	g_autofree char *foreign = pragma(f->store, "foreign_keys");
	g_autofree char *busy = pragma(f->store, "busy_timeout");
	GError *error = NULL;
	char *value = NULL;

	CU_ASSERT_STRING_EQUAL(journal, "wal");
	CU_ASSERT_STRING_EQUAL(synchronous, "2"); /* FULL */
	CU_ASSERT_STRING_EQUAL(foreign, "1");
	CU_ASSERT_NOT_EQUAL(g_ascii_strtoll(busy, NULL, 10), 0);
	CU_ASSERT_FALSE(mesh_portal_store_sqlite_pragma(f->store, "x; DROP TABLE accounts", &value,
							&error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	{
		g_autoptr(MeshPortalStore) memory = mesh_portal_store_memory_new();

		CU_ASSERT_FALSE(mesh_portal_store_sqlite_pragma(memory, "synchronous", &value,
								&error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	}
	/* The folder was made 0700, the file 0600, the WAL too, whatever the umask. */
	create_ok(f, "alice", ID_ALICE, 1);
	CU_ASSERT_EQUAL(mesh_test_mode(folder), 0700);
	CU_ASSERT_EQUAL(mesh_test_mode(f->path), 0600);
	CU_ASSERT_EQUAL(mesh_test_mode(wal), 0600);

	/* A database others may read is refused until fixed; so is a link. */
	mesh_portal_store_close(g_steal_pointer(&f->store));
	CU_ASSERT_EQUAL(chmod(f->path, 0644), 0);
	CU_ASSERT_PTR_NULL(mesh_portal_store_sqlite_open(f->path, &error));
	CU_ASSERT_TRUE(error != NULL && strstr(error->message, "chmod 600") != NULL);
	MESH_ASSERT_ERROR(error, MESH_ERROR_PERMISSION);
	CU_ASSERT_EQUAL(chmod(f->path, 0600), 0);
	{
		g_autofree char *link = g_build_filename(f->dir, "link.db", NULL);

		CU_ASSERT_EQUAL(symlink(f->path, link), 0);
		CU_ASSERT_PTR_NULL(mesh_portal_store_sqlite_open(link, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_PERMISSION);
	}
	reopen(f);
}

static void
sqlite_survives_reopen(void)
{
	g_autoptr(Fixture) f = (use_kind = STORE_SQLITE, fixture_new());
	g_autoptr(MeshPortalAccount) a = NULL;
	g_autoptr(MeshPortalConnection) c = NULL;
	GError *error = NULL;
	MeshPortalStore *second;

	create_ok(f, "alice", ID_ALICE, 1);
	publish_ok(f, "alice", ID_ALICE, MESH_PORTAL_TYPE_PERSONAL, 2, "{\"profile\":2}");
	publish_ok(f, "alice", "APP-1", MESH_PORTAL_TYPE_APPLICATION, 1, "{\"app\":1}");
	publish_ok(f, "alice", "ESCROW-1", MESH_PORTAL_TYPE_ESCROW, 0, "{\"escrow\":1}");
	CU_ASSERT_TRUE(connect_add(f, "alice", "DEVICE-1", T0, T0 + 600, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_portal_store_connection_complete(f->store, "alice", "DEVICE-1",
							     MESH_PORTAL_CONNECT_REJECTED,
							     "{\"no\":1}", T0 + 1, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_portal_store_use_nonce(f->store, "bm9uY2Ux", T0, T0, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_portal_store_account_create(f->store, "bob", ID_BOB, "{}", 1,
	                                                "192.0.2.1", T0, &error));
	MESH_ASSERT_NO_ERROR(error);

	/* A second store on the same file sees the writes at once (another servermesh). */
	second = mesh_portal_store_sqlite_open(f->path, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_portal_store_account_get(second, "alice", &a, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(mesh_portal_store_use_nonce(second, "bm9uY2Ux", T0, T0, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNAUTHORIZED);
	mesh_portal_store_close(second);
	g_clear_pointer(&a, mesh_portal_account_free);

	reopen(f);
	CU_ASSERT_TRUE(mesh_portal_store_account_get(f->store, "alice", &a, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(a->profile, "{\"profile\":2}");
	CU_ASSERT_EQUAL(a->serial, 2);
	assert_entry_text(f, "APP-1", "{\"app\":1}", 1);
	assert_entry_text(f, "ESCROW-1", "{\"escrow\":1}", 0);
	c = connect_get(f, "alice", "DEVICE-1", T0 + 2);
	CU_ASSERT_EQUAL(c->state, MESH_PORTAL_CONNECT_REJECTED);
	CU_ASSERT_STRING_EQUAL(c->result, "{\"no\":1}");
	/* The replay cache survives the restart; so do the creations counted per client. */
	CU_ASSERT_FALSE(mesh_portal_store_use_nonce(f->store, "bm9uY2Ux", T0, T0 + 2, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNAUTHORIZED);
	CU_ASSERT_EQUAL(account_count(f), 2);
	set_limits(f, 0, 0, 0, 1);
	CU_ASSERT_FALSE(mesh_portal_store_account_create(f->store, "carol", "MB2G-CAROL", "{}", 1,
	                                                 "192.0.2.1", T0 + 2, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_RATE_LIMITED);
}

static void
sql(const char *path, const char *statements)
{
	sqlite3 *db = NULL;

	CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(db, statements, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void
sqlite_schema_version(void)
{
	g_autoptr(Fixture) f = (use_kind = STORE_SQLITE, fixture_new());
	g_autofree char *other = g_build_filename(f->dir, "other.db", NULL);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	GError *error = NULL;

	mesh_portal_store_close(g_steal_pointer(&f->store));
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(f->path, &db), SQLITE_OK);
	CU_ASSERT_EQUAL_FATAL(sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &st,
						 NULL),
			      SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_step(st), SQLITE_ROW);
	CU_ASSERT_EQUAL(sqlite3_column_int(st, 0), MESH_PORTAL_SQLITE_SCHEMA_VERSION);
	CU_ASSERT_EQUAL(sqlite3_step(st), SQLITE_DONE); /* one row */
	sqlite3_finalize(st);
	sqlite3_close(db);

	/* Reopening a current database leaves it as it is. */
	reopen(f);
	create_ok(f, "alice", ID_ALICE, 1);
	mesh_portal_store_close(g_steal_pointer(&f->store));

	/* A newer servermesh's database is refused, and left alone. */
	{
		g_autofree char *newer = g_strdup_printf("UPDATE schema_version SET version = %d",
		                                         MESH_PORTAL_SQLITE_SCHEMA_VERSION + 1);
		g_autofree char *current = g_strdup_printf("UPDATE schema_version SET version = %d",
		                                           MESH_PORTAL_SQLITE_SCHEMA_VERSION);
		g_autofree char *said =
		        g_strdup_printf("schema version %d", MESH_PORTAL_SQLITE_SCHEMA_VERSION + 1);

		sql(f->path, newer);
		CU_ASSERT_PTR_NULL(mesh_portal_store_sqlite_open(f->path, &error));
		CU_ASSERT_TRUE(error != NULL && strstr(error->message, said) != NULL);
		MESH_ASSERT_ERROR(error, MESH_ERROR_UNSUPPORTED);
		sql(f->path, current);
	}
	reopen(f);
	CU_ASSERT_EQUAL(account_count(f), 1);

	/* Someone else's SQLite database is not taken over. */
	CU_ASSERT_EQUAL(close(g_open(other, O_CREAT | O_WRONLY, 0600)), 0);
	sql(other, "CREATE TABLE notes (text TEXT)");
	CU_ASSERT_PTR_NULL(mesh_portal_store_sqlite_open(other, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNSUPPORTED);
}

/* A database as schema version 1 wrote it: entries, a pending request. */
static const char schema_v1[] =
        "CREATE TABLE schema_version (version INTEGER NOT NULL);"
        "INSERT INTO schema_version VALUES (1);"
        "CREATE TABLE accounts (name TEXT PRIMARY KEY NOT NULL, identifier TEXT NOT NULL UNIQUE,"
        "  created INTEGER NOT NULL);"
        "CREATE TABLE entries (identifier TEXT PRIMARY KEY NOT NULL,"
        "  account TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,"
        "  type TEXT NOT NULL, serial INTEGER NOT NULL, body TEXT NOT NULL,"
        "  updated INTEGER NOT NULL);"
        "CREATE INDEX entries_account ON entries(account, type);"
        "CREATE TABLE connections ("
        "  account TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,"
        "  device TEXT NOT NULL, request TEXT NOT NULL, server_nonce TEXT NOT NULL,"
        "  witness TEXT NOT NULL, created INTEGER NOT NULL, expires INTEGER NOT NULL,"
        "  state INTEGER NOT NULL, result TEXT, PRIMARY KEY (account, device));"
        "CREATE INDEX connections_expires ON connections(expires);"
        "CREATE TABLE nonces (nonce TEXT PRIMARY KEY NOT NULL, issued INTEGER NOT NULL);"
        "CREATE INDEX nonces_issued ON nonces(issued);"
        "INSERT INTO accounts VALUES ('alice', 'MB2G-ALICE-PROFILE', 1800000000);"
        "INSERT INTO entries VALUES ('MB2G-ALICE-PROFILE', 'alice', 'SignedPersonalProfile', 1,"
        "  '{\"p\":\"\u00e9\"}', 1800000000);" /* 10 bytes, 9 characters */
        "INSERT INTO entries VALUES ('APP-1', 'alice', 'SignedApplicationProfile', 1,"
        "  '0123456789', 1800000000);"
        "INSERT INTO connections VALUES ('alice', 'DEVICE-1', '{}', 'c2VydmVy', 'WITN-ESS0',"
        "  1800000000, 1800000600, 0, NULL);";

/* Opening it migrates it to the current version: sizes in bytes, old requests from nobody. */
static void
sqlite_migrate_v1(void)
{
	g_autoptr(Fixture) f = (use_kind = STORE_SQLITE, fixture_new());
	g_autoptr(MeshPortalConnection) c = NULL;
	GError *error = NULL;

	mesh_portal_store_close(g_steal_pointer(&f->store));
	CU_ASSERT_EQUAL(g_unlink(f->path), 0);
	CU_ASSERT_EQUAL(close(g_open(f->path, O_CREAT | O_WRONLY, 0600)), 0);
	sql(f->path, schema_v1);
	reopen(f);
	{
		sqlite3 *db = NULL;
		sqlite3_stmt *st = NULL;

		CU_ASSERT_EQUAL_FATAL(sqlite3_open(f->path, &db), SQLITE_OK);
		CU_ASSERT_EQUAL_FATAL(
		        sqlite3_prepare_v2(db,
		                           "SELECT (SELECT version FROM schema_version),"
		                           " sum(size) FROM entries",
		                           -1, &st, NULL),
		        SQLITE_OK);
		CU_ASSERT_EQUAL(sqlite3_step(st), SQLITE_ROW);
		CU_ASSERT_EQUAL(sqlite3_column_int(st, 0), MESH_PORTAL_SQLITE_SCHEMA_VERSION);
		CU_ASSERT_EQUAL(sqlite3_column_int(st, 1), 20);
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
	assert_entry_text(f, "APP-1", "0123456789", 1);
	c = connect_get(f, "alice", "DEVICE-1", T0 + 1);
	CU_ASSERT_PTR_NULL(c->client);
	/* The migrated sizes count: 20 bytes held, 21 allowed. */
	set_limits(f, 1, 0, 21, 0);
	CU_ASSERT_FALSE(
	        publish(f, "alice", "APP-2", MESH_PORTAL_TYPE_APPLICATION, 1, "ab", &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	publish_ok(f, "alice", "APP-2", MESH_PORTAL_TYPE_APPLICATION, 1, "a");
	/* The old request is nobody's: it does not count against a client. */
	CU_ASSERT_TRUE(
	        connect_add_from(f, "alice", "DEVICE-2", "192.0.2.1", T0 + 2, T0 + 600, &error));
	MESH_ASSERT_NO_ERROR(error);
}

/* ---- Health and backups -------------------------------------------------------------------- */

static void
ping_ok(Fixture *f)
{
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_portal_store_ping(f->store, &error));
	MESH_ASSERT_NO_ERROR(error);
}

/* A store answers its ping, fresh and with data, and the ping changes nothing. */
static void
case_ping(void)
{
	g_autoptr(Fixture) f = fixture_new();

	ping_ok(f);
	create_ok(f, "alice", ID_ALICE, 1);
	ping_ok(f);
	ping_ok(f);
	CU_ASSERT_EQUAL(account_count(f), 1);
}

/* SQLite's ping fails, within about its wait, while another connection holds the write lock,
 * and answers again once it lets go; it fails for good once the file is renamed away. */
static void
sqlite_ping_failures(void)
{
	g_autoptr(Fixture) f = (use_kind = STORE_SQLITE, fixture_new());
	g_autofree char *moved = g_build_filename(f->dir, "moved.db", NULL);
	sqlite3 *other = NULL;
	GError *error = NULL;
	gint64 start;

	create_ok(f, "alice", ID_ALICE, 1);
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(f->path, &other), SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	start = g_get_monotonic_time();
	CU_ASSERT_FALSE(mesh_portal_store_ping(f->store, &error));
	CU_ASSERT_TRUE(g_get_monotonic_time() - start < 3 * G_USEC_PER_SEC);
	CU_ASSERT_TRUE(error != NULL && strstr(error->message, "locked") != NULL);
	MESH_ASSERT_ERROR(error, MESH_ERROR_IO);
	CU_ASSERT_EQUAL(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	ping_ok(f);
	/* The ping rolled back: the store still writes. */
	create_ok(f, "bob", ID_BOB, 1);

	CU_ASSERT_EQUAL(g_rename(f->path, moved), 0);
	CU_ASSERT_FALSE(mesh_portal_store_ping(f->store, &error));
	CU_ASSERT_TRUE(error != NULL && strstr(error->message, "removed or replaced") != NULL);
	MESH_ASSERT_ERROR(error, MESH_ERROR_IO);
	CU_ASSERT_EQUAL(g_rename(moved, f->path), 0);
}

/* An empty file of mode 0600 at @path, as mesh_platform_file_temp makes it. */
static void
empty_file(const char *path)
{
	CU_ASSERT_EQUAL(close(g_open(path, O_CREAT | O_EXCL | O_WRONLY, 0600)), 0);
}

/* A backup holds what the store held, opens as a store, and writes go on in the source; a
 * missing, empty or foreign source is refused. */
static void
sqlite_backup(void)
{
	g_autoptr(Fixture) f = (use_kind = STORE_SQLITE, fixture_new());
	g_autofree char *copy = g_build_filename(f->dir, "copy.db", NULL);
	g_autofree char *empty = g_build_filename(f->dir, "empty.db", NULL);
	g_autofree char *foreign = g_build_filename(f->dir, "foreign.db", NULL);
	g_autofree char *missing = g_build_filename(f->dir, "missing.db", NULL);
	g_autofree char *copy2 = g_build_filename(f->dir, "copy2.db", NULL);
	g_autoptr(MeshPortalStore) restored = NULL;
	g_autoptr(MeshPortalAccount) account = NULL;
	GError *error = NULL;
	guint64 count = 0;

	create_ok(f, "alice", ID_ALICE, 1);
	publish_ok(f, "alice", "APP-1", MESH_PORTAL_TYPE_APPLICATION, 1, "application");
	empty_file(copy);
	/* The store stays open and in use, as servermesh's would. */
	CU_ASSERT_TRUE(mesh_portal_store_sqlite_backup(f->path, copy, &error));
	MESH_ASSERT_NO_ERROR(error);
	create_ok(f, "bob", ID_BOB, 1);
	restored = mesh_portal_store_sqlite_open(copy, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(restored);
	CU_ASSERT_TRUE(mesh_portal_store_account_count(restored, &count, &error));
	CU_ASSERT_EQUAL(count, 1);
	CU_ASSERT_TRUE(mesh_portal_store_account_get(restored, "alice", &account, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(account->identifier, ID_ALICE);
	{
		g_autoptr(MeshPortalEntry) entry = NULL;

		CU_ASSERT_TRUE(mesh_portal_store_entry_get(restored, "APP-1", &entry, &error));
		CU_ASSERT_TRUE(entry != NULL && strcmp(entry->text, "application") == 0);
	}
	CU_ASSERT_EQUAL(account_count(f), 2);

	empty_file(copy2);
	CU_ASSERT_FALSE(mesh_portal_store_sqlite_backup(missing, copy2, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_FALSE(g_file_test(missing, G_FILE_TEST_EXISTS)); /* not made by trying */
	empty_file(empty);
	CU_ASSERT_FALSE(mesh_portal_store_sqlite_backup(empty, copy2, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNSUPPORTED);
	empty_file(foreign);
	sql(foreign, "CREATE TABLE notes (text TEXT)");
	CU_ASSERT_FALSE(mesh_portal_store_sqlite_backup(foreign, copy2, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNSUPPORTED);
}

/* ---- Two stores on one database: two nodes ----------------------------------------------- */

/* The fixture's store and a second one on the same database, with the same limits. */
static MeshPortalStore *
second_node(Fixture *f)
{
	GError *error = NULL;
	MeshPortalStore *other = open_store(f, &error);

	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(other);
	mesh_portal_store_set_limits(other, &f->store->limits);
	return other;
}

/* A nonce used on one node is a replay on the other, both ways. */
static void
case_shared_nonce(void)
{
	g_autoptr(Fixture) f = fixture_new();
	g_autoptr(MeshPortalStore) b = second_node(f);
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_portal_store_use_nonce(f->store, "bm9uY2Ux", T0, T0, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(mesh_portal_store_use_nonce(b, "bm9uY2Ux", T0, T0 + 1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNAUTHORIZED);
	CU_ASSERT_TRUE(mesh_portal_store_use_nonce(b, "bm9uY2Uy", T0, T0, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(mesh_portal_store_use_nonce(f->store, "bm9uY2Uy", T0, T0 + 1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNAUTHORIZED);
}

/* Two nodes batching at once: each shared nonce is accepted by one node, once. */
static void
case_shared_nonce_batches(void)
{
	g_autoptr(Fixture) f = fixture_new();
	g_autoptr(MeshPortalStore) b = second_node(f);

	nonce_batches(f, b);
}

/* A request made on one node is listed, completed and read on the other. */
static void
case_shared_connect(void)
{
	g_autoptr(Fixture) f = fixture_new();
	g_autoptr(MeshPortalStore) b = second_node(f);
	g_autoptr(GPtrArray) list = NULL;
	MeshPortalConnection *c = NULL;
	GError *error = NULL;

	create_ok(f, "alice", ID_ALICE, 1);
	CU_ASSERT_TRUE(connect_add(f, "alice", "DEVICE-1", T0, T0 + 600, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_portal_store_connection_list(b, "alice", T0 + 1, &list, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL_FATAL(list->len, 1);
	CU_ASSERT_STRING_EQUAL(((MeshPortalConnection *)list->pdata[0])->device, "DEVICE-1");
	CU_ASSERT_TRUE(mesh_portal_store_connection_complete(b, "alice", "DEVICE-1",
	                                                     MESH_PORTAL_CONNECT_ACCEPTED,
	                                                     "{\"result\":\"yes\"}", T0 + 2, &error));
	MESH_ASSERT_NO_ERROR(error);
	c = connect_get(f, "alice", "DEVICE-1", T0 + 3);
	CU_ASSERT_EQUAL(c->state, MESH_PORTAL_CONNECT_ACCEPTED);
	CU_ASSERT_STRING_EQUAL(c->result, "{\"result\":\"yes\"}");
	mesh_portal_connection_free(c);
	/* Answered on one node: answered on both. */
	CU_ASSERT_FALSE(mesh_portal_store_connection_complete(f->store, "alice", "DEVICE-1",
	                                                      MESH_PORTAL_CONNECT_REJECTED, "{}",
	                                                      T0 + 4, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_EXISTS);
	/* A device pending on one node cannot ask again on the other. */
	CU_ASSERT_TRUE(connect_add(f, "alice", "DEVICE-2", T0, T0 + 600, &error));
	MESH_ASSERT_NO_ERROR(error);
	{
		Fixture other = {.kind = f->kind, .store = b};

		CU_ASSERT_FALSE(connect_add(&other, "alice", "DEVICE-2", T0 + 1, T0 + 600, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_EXISTS);
	}
}

/* Limits count what both nodes hold: pending requests per client and per account, entries,
 * account creations per client. */
static void
case_shared_limits(void)
{
	g_autoptr(Fixture) f = fixture_new();
	g_autoptr(MeshPortalStore) b = NULL;
	Fixture other = {0};
	GError *error = NULL;

	set_limits(f, 3, 3, 0, 2);
	b = second_node(f);
	other.kind = f->kind;
	other.store = b;
	create_ok(f, "alice", ID_ALICE, 1);
	/* Pending per client: two on one node, one on the other; the fourth refused on both. */
	CU_ASSERT_TRUE(connect_add_from(f, "alice", "JUNK-0", "192.0.2.1", T0, T0 + 600, &error));
	CU_ASSERT_TRUE(connect_add_from(f, "alice", "JUNK-1", "192.0.2.1", T0, T0 + 600, &error));
	CU_ASSERT_TRUE(
	        connect_add_from(&other, "alice", "JUNK-2", "192.0.2.1", T0, T0 + 600, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(
	        connect_add_from(&other, "alice", "JUNK-3", "192.0.2.1", T0, T0 + 600, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_RATE_LIMITED);
	CU_ASSERT_FALSE(connect_add_from(f, "alice", "JUNK-3", "192.0.2.1", T0, T0 + 600, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_RATE_LIMITED);
	/* The account's 100: half on each node, the 101st refused. */
	for (int i = 3; i < MESH_PORTAL_MAX_PENDING; i++) {
		g_autofree char *device = g_strdup_printf("DEVICE-%03d", i);

		CU_ASSERT_TRUE(connect_add(i % 2 ? f : &other, "alice", device, T0, T0 + 600, &error));
		MESH_ASSERT_NO_ERROR(error);
	}
	CU_ASSERT_FALSE(connect_add(&other, "alice", "DEVICE-100", T0, T0 + 600, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_RATE_LIMITED);
	CU_ASSERT_EQUAL(pending_count(f, "alice", T0 + 1), MESH_PORTAL_MAX_PENDING);
	/* Entries: the profile, one on each node; the fourth refused. */
	publish_ok(f, "alice", "APP-1", MESH_PORTAL_TYPE_APPLICATION, 1, "{}");
	publish_ok(&other, "alice", "APP-2", MESH_PORTAL_TYPE_APPLICATION, 1, "{}");
	CU_ASSERT_FALSE(publish(f, "alice", "APP-3", MESH_PORTAL_TYPE_APPLICATION, 1, "{}", &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_TOO_LARGE);
	/* A serial published on one node is stale on the other. */
	publish_refused(&other, "alice", "APP-1", MESH_PORTAL_TYPE_APPLICATION, 1, MESH_ERROR_STALE);
	/* Creations per client: one on each node; the third refused on either. */
	CU_ASSERT_TRUE(mesh_portal_store_account_create(f->store, "a1", "ID-A1", "{}", 1,
	                                                "192.0.2.9", T0, &error));
	CU_ASSERT_TRUE(
	        mesh_portal_store_account_create(b, "a2", "ID-A2", "{}", 1, "192.0.2.9", T0, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(mesh_portal_store_account_create(f->store, "a3", "ID-A3", "{}", 1,
	                                                 "192.0.2.9", T0 + 1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_RATE_LIMITED);
	CU_ASSERT_FALSE(
	        mesh_portal_store_account_create(b, "a3", "ID-A3", "{}", 1, "192.0.2.9", T0 + 1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_RATE_LIMITED);
}

/* The race the checks must survive: threads on two nodes add requests from one client at the
 * same moment, and create the same account. Exactly the limit gets in; every other call is
 * refused for that reason, never with a storage error. */
typedef struct {
	MeshPortalStore *store;
	int thread;
	int added, limited, created, exists, other;
} Racer;

static gpointer
race(gpointer data)
{
	Racer *r = data;

	for (int i = 0; i < 5; i++) {
		g_autofree char *device = g_strdup_printf("RACE-%d-%d", r->thread, i);
		g_autofree char *request = g_strdup_printf("{\"r\":\"%s\"}", device);
		MeshPortalConnection c = {"alice", device, request, "c2VydmVy", "WITN-ESS0", 0,
		                          T0 + 600, 0, NULL, "192.0.2.1"};
		GError *error = NULL;

		if (mesh_portal_store_connection_add(r->store, &c, T0, &error))
			r->added++;
		else if (g_error_matches(error, MESH_ERROR, MESH_ERROR_RATE_LIMITED))
			r->limited++;
		else {
			g_printerr("race: %s\n", error->message);
			r->other++;
		}
		g_clear_error(&error);
	}
	{
		GError *error = NULL;

		if (mesh_portal_store_account_create(r->store, "carol", "MB2G-CAROL", "{}", 1, NULL,
		                                     T0, &error))
			r->created++;
		else if (g_error_matches(error, MESH_ERROR, MESH_ERROR_EXISTS))
			r->exists++;
		else {
			g_printerr("race: %s\n", error->message);
			r->other++;
		}
		g_clear_error(&error);
	}
	return NULL;
}

static void
case_shared_race(void)
{
	g_autoptr(Fixture) f = fixture_new();
	MeshPortalStore *stores[4];
	Racer racers[4] = {{0}};
	GThread *threads[4];
	int added = 0, limited = 0, created = 0, exists = 0, other = 0;

	set_limits(f, 7, 0, 0, 0);
	create_ok(f, "alice", ID_ALICE, 1);
	/* Four nodes, one thread each (a store serialises its own threads). */
	stores[0] = f->store;
	for (int t = 1; t < 4; t++)
		stores[t] = second_node(f);
	for (int t = 0; t < 4; t++) {
		racers[t].store = stores[t];
		racers[t].thread = t;
		threads[t] = g_thread_new("race", race, &racers[t]);
	}
	for (int t = 0; t < 4; t++) {
		g_thread_join(threads[t]);
		added += racers[t].added;
		limited += racers[t].limited;
		created += racers[t].created;
		exists += racers[t].exists;
		other += racers[t].other;
	}
	for (int t = 1; t < 4; t++)
		mesh_portal_store_close(stores[t]);
	CU_ASSERT_EQUAL(added, 7);
	CU_ASSERT_EQUAL(limited, 20 - 7);
	CU_ASSERT_EQUAL(created, 1);
	CU_ASSERT_EQUAL(exists, 3);
	CU_ASSERT_EQUAL(other, 0);
	CU_ASSERT_EQUAL(pending_count(f, "alice", T0 + 1), 7);
}

/* ---- PostgreSQL only --------------------------------------------------------------------- */

/* Run @sql in the fixture's schema. */
static void
pg_sql(Fixture *f, const char *sql)
{
	pg_admin_in(pg_database, f->pg_name, sql);
}

static void
pg_schema_version(void)
{
	g_autoptr(Fixture) f = (use_kind = STORE_PG, fixture_new());
	g_autofree char *said =
	        g_strdup_printf("schema version %d", MESH_PORTAL_PG_SCHEMA_VERSION + 1);
	g_autofree char *newer = g_strdup_printf("UPDATE schema_version SET version = %d",
	                                         MESH_PORTAL_PG_SCHEMA_VERSION + 1);
	g_autofree char *current = g_strdup_printf("UPDATE schema_version SET version = %d",
	                                           MESH_PORTAL_PG_SCHEMA_VERSION);
	char *other_name = NULL;
	g_autofree char *other = NULL;
	GError *error = NULL;

	CU_ASSERT_STRING_EQUAL(mesh_portal_store_name(f->store), "postgresql");
	create_ok(f, "alice", ID_ALICE, 1);
	/* Reopening a current database leaves it as it is. */
	reopen(f);
	CU_ASSERT_EQUAL(account_count(f), 1);
	/* A newer servermesh's database is refused, and left alone. */
	pg_sql(f, newer);
	CU_ASSERT_PTR_NULL(mesh_portal_store_pg_open(f->pg_conn, &error));
	CU_ASSERT_TRUE(error != NULL && strstr(error->message, said) != NULL);
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNSUPPORTED);
	pg_sql(f, current);
	reopen(f);
	CU_ASSERT_EQUAL(account_count(f), 1);
	/* Someone else's tables are not taken over. */
	other = pg_new_schema(&other_name);
	pg_admin_in(pg_database, other_name, "CREATE TABLE notes (text TEXT)");
	CU_ASSERT_PTR_NULL(mesh_portal_store_pg_open(other, &error));
	CU_ASSERT_TRUE(error != NULL && strstr(error->message, "not a portal's") != NULL);
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNSUPPORTED);
	pg_drop_schema(other_name);
	g_free(other_name);
}

/* No server: Network (retryable), naming the host, never the password; a URI libpq cannot
 * parse: Usage, without repeating it. */
static void
pg_unreachable(void)
{
	g_autofree char *dir = mesh_test_tmp_dir("portal-store-pg");
	g_autofree char *uri = g_strdup_printf("postgresql://mesh:S3CRET-PW@/portal?host=%s", dir);
	GError *error = NULL;

	CU_ASSERT_PTR_NULL(mesh_portal_store_pg_open(uri, &error));
	CU_ASSERT_TRUE(error != NULL && strstr(error->message, "cannot be reached") != NULL);
	CU_ASSERT_TRUE(error != NULL && strstr(error->message, dir) != NULL);
	CU_ASSERT_TRUE(error != NULL && strstr(error->message, "S3CRET-PW") == NULL);
	MESH_ASSERT_ERROR(error, MESH_ERROR_NETWORK);
	CU_ASSERT_PTR_NULL(
	        mesh_portal_store_pg_open("postgresql://mesh:S3CRET-PW@[::1/portal", &error));
	CU_ASSERT_TRUE(error != NULL && strstr(error->message, "S3CRET-PW") == NULL);
	MESH_ASSERT_ERROR(error, MESH_ERROR_USAGE);
	mesh_test_remove_tree(dir);
	CU_ASSERT_TRUE(mesh_portal_store_pg_is_uri("postgresql://h/db"));
	CU_ASSERT_TRUE(mesh_portal_store_pg_is_uri("postgres://h/db"));
	CU_ASSERT_FALSE(mesh_portal_store_pg_is_uri("/var/lib/servermesh/example.com.db"));
	CU_ASSERT_FALSE(mesh_portal_store_pg_is_uri("postgresql.db"));
}

/* The server closes the store's connection: the next call connects again. While the database
 * refuses connections, calls fail with Network and say so; once it accepts them, they work. */
static void
pg_reconnect(void)
{
	g_autoptr(Fixture) f = (use_kind = STORE_PG, fixture_new());
	/* The store's connections: servermesh is their application name. */
	g_autofree char *terminate = g_strdup_printf(
	        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s' AND "
	        "application_name = 'servermesh'",
	        pg_database);
	g_autofree char *refuse =
	        g_strdup_printf("ALTER DATABASE %s ALLOW_CONNECTIONS false", pg_database);
	g_autofree char *accept =
	        g_strdup_printf("ALTER DATABASE %s ALLOW_CONNECTIONS true", pg_database);
	g_autoptr(MeshPortalAccount) a = NULL;
	GError *error = NULL;

	create_ok(f, "alice", ID_ALICE, 1);
	pg_admin(terminate);
	CU_ASSERT_EQUAL(account_count(f), 1);
	CU_ASSERT_TRUE(mesh_portal_store_use_nonce(f->store, "bm9uY2Ux", T0, T0, &error));
	MESH_ASSERT_NO_ERROR(error);
	pg_admin(terminate);
	create_ok(f, "bob", ID_BOB, 1);

	pg_admin(refuse);
	pg_admin(terminate);
	CU_ASSERT_FALSE(mesh_portal_store_account_get(f->store, "alice", &a, &error));
	CU_ASSERT_TRUE(error != NULL && strstr(error->message, "cannot be reached") != NULL);
	MESH_ASSERT_ERROR(error, MESH_ERROR_NETWORK);
	CU_ASSERT_FALSE(mesh_portal_store_account_create(f->store, "carol", "MB2G-CAROL", "{}", 1,
	                                                 NULL, T0, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NETWORK);
	pg_admin(accept);
	CU_ASSERT_TRUE(mesh_portal_store_account_get(f->store, "alice", &a, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(mesh_portal_store_use_nonce(f->store, "bm9uY2Ux", T0, T0, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNAUTHORIZED);
	CU_ASSERT_EQUAL(account_count(f), 2);
}

/* Several hosts: libpq skips the one that does not answer and uses the next
 * (target_session_attrs=read-write: the one that takes writes). */
static void
pg_several_hosts(void)
{
	g_autoptr(Fixture) f = (use_kind = STORE_PG, fixture_new());
	g_autofree char *dir = mesh_test_tmp_dir("portal-store-pg");
	PQconninfoOption *options = PQconninfoParse(f->pg_conn, NULL);
	g_autofree char *host = NULL;
	g_autofree char *conninfo = NULL;
	g_autoptr(MeshPortalStore) store = NULL;
	GError *error = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(options);
	for (PQconninfoOption *o = options; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "host") == 0)
			host = g_strdup(o->val);
	}
	PQconninfoFree(options);
	CU_ASSERT_PTR_NOT_NULL_FATAL(host);
	conninfo = g_strdup_printf("%s host='%s,%s' target_session_attrs=read-write", f->pg_conn,
	                           dir, host);
	create_ok(f, "alice", ID_ALICE, 1);
	store = mesh_portal_store_pg_open(conninfo, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(store);
	CU_ASSERT_TRUE(mesh_portal_store_account_create(store, "bob", ID_BOB, "{}", 1, NULL, T0,
	                                                &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(account_count(f), 2);
	mesh_test_remove_tree(dir);
}

/* Four servermesh start at once on a new database: each opens it, the schema is made once. */
static gpointer
open_concurrently(gpointer conninfo)
{
	GError *error = NULL;
	MeshPortalStore *store = mesh_portal_store_pg_open(conninfo, &error);

	if (error != NULL)
		g_printerr("open: %s\n", error->message);
	g_clear_error(&error);
	mesh_portal_store_close(store);
	return GINT_TO_POINTER(store != NULL);
}

static void
pg_concurrent_migration(void)
{
	char *name = NULL;
	g_autofree char *conninfo = pg_new_schema(&name);
	GThread *threads[4];
	g_autoptr(MeshPortalStore) store = NULL;
	GError *error = NULL;

	for (int t = 0; t < 4; t++)
		threads[t] = g_thread_new("open", open_concurrently, conninfo);
	for (int t = 0; t < 4; t++)
		CU_ASSERT_TRUE(GPOINTER_TO_INT(g_thread_join(threads[t])));
	store = mesh_portal_store_pg_open(conninfo, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(pg_run(pg_database, name,
	                      "DO $$ BEGIN IF (SELECT count(*) FROM schema_version) <> 1 THEN "
	                      "RAISE 'schema_version has several rows'; END IF; END $$"));
	g_clear_pointer(&store, mesh_portal_store_close);
	pg_drop_schema(name);
	g_free(name);
}

/* Text that is not UTF-8 is refused as such (SQLite would keep it; the transaction layer
 * never passes it: JSON is UTF-8). */
static void
pg_not_utf8(void)
{
	g_autoptr(Fixture) f = (use_kind = STORE_PG, fixture_new());
	GError *error = NULL;

	create_ok(f, "alice", ID_ALICE, 1);
	CU_ASSERT_FALSE(publish(f, "alice", "APP-1", MESH_PORTAL_TYPE_APPLICATION, 1,
	                        "{\"x\":\"\xff\"}", &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	publish_ok(f, "alice", "APP-1", MESH_PORTAL_TYPE_APPLICATION, 1, "{\"x\":\"\xc3\xa9\"}");
	assert_entry_text(f, "APP-1", "{\"x\":\"\xc3\xa9\"}", 1);
}

/* ---- Registration: every conformance case on every store --------------------------------- */

#define ON(kind, prefix, name)                                                                 \
	static void prefix##_##name(void)                                                      \
	{                                                                                      \
		use_kind = kind;                                                               \
		case_##name();                                                                 \
	}
#define ON_ALL(name)                                                                           \
	ON(STORE_MEMORY, memory, name) ON(STORE_SQLITE, sqlite, name) ON(STORE_PG, pg, name)
#define ON_SHARED(name) ON(STORE_SQLITE, sqlite, name) ON(STORE_PG, pg, name)

ON_ALL(accounts)
ON_ALL(entries)
ON_ALL(connections)
ON_ALL(nonces)
ON_ALL(threads)
ON_ALL(nonce_batches)
ON_ALL(limit_defaults)
ON_ALL(pending_per_client)
ON_ALL(quota)
ON_ALL(creations)
ON_ALL(ping)
ON_SHARED(shared_nonce)
ON_SHARED(shared_nonce_batches)
ON_SHARED(shared_connect)
ON_SHARED(shared_limits)
ON_SHARED(shared_race)

#define ALL(name)                                                                              \
	{"memory: " #name, memory_##name}, {"sqlite: " #name, sqlite_##name},                  \
	        {"postgresql: " #name, pg_##name}
#define SHARED(name) {"sqlite: " #name, sqlite_##name}, {"postgresql: " #name, pg_##name}

int
main(void)
{
	CU_TestInfo tests[] = {
	        ALL(accounts),
	        ALL(entries),
	        ALL(connections),
	        ALL(nonces),
	        ALL(threads),
	        ALL(nonce_batches),
	        ALL(limit_defaults),
	        ALL(pending_per_client),
	        ALL(quota),
	        ALL(creations),
	        ALL(ping),
	        SHARED(shared_nonce),
	        SHARED(shared_nonce_batches),
	        SHARED(shared_connect),
	        SHARED(shared_limits),
	        SHARED(shared_race),
	        {"sqlite: pragmas, file modes, permissions", sqlite_settings_and_modes},
	        {"sqlite: everything survives close and reopen", sqlite_survives_reopen},
	        {"sqlite: schema version, newer and foreign databases", sqlite_schema_version},
	        {"sqlite: a version 1 database is migrated", sqlite_migrate_v1},
	        {"sqlite: ping fails while locked, and once the file is moved", sqlite_ping_failures},
	        {"sqlite: an online backup opens as the same store", sqlite_backup},
	        {"postgresql: schema version, newer and foreign databases", pg_schema_version},
	        {"postgresql: no server, a bad URI; never the password", pg_unreachable},
	        {"postgresql: a lost connection, a database that refuses them", pg_reconnect},
	        {"postgresql: several hosts, the first down", pg_several_hosts},
	        {"postgresql: text that is not UTF-8", pg_not_utf8},
	        {"postgresql: four servermesh migrate a new database at once", pg_concurrent_migration},
	        CU_TEST_INFO_NULL,
	};

	int status = mesh_test_main("portal-store", tests);

	if (pg_database != NULL) {
		g_autofree char *sql =
		        g_strdup_printf("DROP DATABASE IF EXISTS %s WITH (FORCE)", pg_database);

		if (!pg_run(NULL, NULL, sql))
			status = 1;
	}
	return status;
}
