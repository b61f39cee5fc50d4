/* SPDX-License-Identifier: MIT */
/* servermesh: the Mesh portal for one domain: accounts, profiles, escrow entries, connections. */
#include <glib/gstdio.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "http.h"
#include "platform.h"
#include "store-pg.h"
#include "store-sqlite.h"
#include "transactions.h"

#ifndef MESH_VERSION
#error "MESH_VERSION must be defined by the build"
#endif

/* How often expired connection requests and old nonces are purged. */
#define PURGE_INTERVAL_SECONDS 60

static int
fail(GError *error)
{
	g_printerr("servermesh: %s\n", error->message);
	return mesh_error_code(error);
}

/* A domain name: 1-253 characters of letters, digits, '-' and '.', in non-empty labels that do
 * not start or end with '-'. It names the database file, so nothing else may pass. */
static gboolean
check_domain(const char *domain, GError **error)
{
	g_auto(GStrv) labels = g_strsplit(domain, ".", -1);
	gsize len = strlen(domain);
	gboolean ok = len >= 1 && len <= 253 &&
		      strspn(domain, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "0123456789-.") == len;

	for (int i = 0; ok && labels[i] != NULL; i++) {
		gsize n = strlen(labels[i]);

		ok = n >= 1 && n <= 63 && labels[i][0] != '-' && labels[i][n - 1] != '-';
	}
	if (!ok) {
		g_autofree char *quoted = mesh_error_quote(domain);

		g_set_error(error, MESH_ERROR, MESH_ERROR_USAGE,
			    "'%s' is not a domain name (e.g. example.com)", quoted);
	}
	return ok;
}

/* One line per request on stderr: never a body, never a header value. Called from the I/O and
 * worker threads: each keeps the text of the last second it wrote (formatting a date costs more
 * than the rest of the line). */
static void
log_request(gpointer data, const MeshPortalHttpLogEntry *entry)
{
	static _Thread_local gint64 second = -1;
	static _Thread_local char stamp[32];
	gint64 now = entry->time / G_USEC_PER_SEC;

	if (now != second) {
		g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc(now);
		g_autofree char *text = g_date_time_format(time, "%Y-%m-%dT%H:%M:%S");

		g_strlcpy(stamp, text != NULL ? text : "?", sizeof stamp);
		second = now;
	}
	g_printerr("servermesh: %s.%03dZ %s %s %s %s %u %zu %zu %.1fms\n", stamp,
		   (int)(entry->time % G_USEC_PER_SEC / 1000), entry->client, entry->method,
		   entry->path, entry->transaction ? entry->transaction : "-", entry->status,
		   entry->request_bytes, entry->response_bytes, entry->duration_us / 1000.0);
}

/* The binding's notices about connections and the portal's about its store (the reason a
 * client was told only "try again"), each already at most one every few seconds. */
static void
log_notice(gpointer data, const char *message)
{
	g_printerr("servermesh: %s\n", message);
}

static gboolean
purge(gpointer data)
{
	g_autoptr(GError) error = NULL;

	if (!mesh_portal_store_purge(data, g_get_real_time() / G_USEC_PER_SEC, NULL, &error))
		g_printerr("servermesh: %s\n", error->message);
	return G_SOURCE_CONTINUE;
}

/* The health endpoint's question (http.h): does the store answer? */
static gboolean
health(gpointer store, GError **error)
{
	return mesh_portal_store_ping(store, error);
}

/* The suffix of a file beside @path that SQLite would take as part of a database there (the
 * copy put in its place would get another database's journal applied to it), or NULL. */
static const char *
journal_beside(const char *path)
{
	static const char *const suffixes[] = {"-wal", "-journal"};

	for (gsize i = 0; i < G_N_ELEMENTS(suffixes); i++) {
		g_autofree char *name = g_strconcat(path, suffixes[i], NULL);

		if (g_file_test(name, G_FILE_TEST_EXISTS))
			return suffixes[i];
	}
	return NULL;
}

/*
 * servermesh backup PATH: an online, consistent copy of the SQLite database @db in PATH
 * (mesh_portal_store_sqlite_backup), written beside it, flushed and renamed into place
 * (0600, in a folder only its owner may write to). An existing PATH is replaced only with
 * @force.
 */
static int
backup(const char *db, const char *path, gboolean force)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *quoted = mesh_error_quote(path);
	const char *journal;
	g_autofree char *source = NULL, *target = NULL;
	g_autofree char *tmp = NULL;

	if (mesh_portal_store_pg_is_uri(db)) {
		g_printerr("servermesh: backup copies an SQLite database; back up a PostgreSQL store "
			   "with pg_dump (e.g. pg_dump --format=custom --file=PATH, with the --db "
			   "URI as its --dbname)\n");
		return MESH_ERROR_UNSUPPORTED;
	}
	source = g_canonicalize_filename(db, NULL);
	target = g_canonicalize_filename(path, NULL);
	if (strcmp(source, target) == 0) {
		g_printerr("servermesh: '%s' is the database itself: back it up to another file\n",
			   quoted);
		return MESH_ERROR_INVALID_ARGUMENT;
	}
	if (!force && g_file_test(path, G_FILE_TEST_EXISTS)) {
		g_printerr("servermesh: '%s' exists already: give --force to replace it\n", quoted);
		return MESH_ERROR_EXISTS;
	}
	journal = journal_beside(path);
	if (journal != NULL) {
		g_printerr("servermesh: '%s' has a %s file beside it: a database there is in use or "
			   "was not closed cleanly, and SQLite would apply that journal to the copy; "
			   "stop what uses it, or choose another PATH\n",
			   quoted, journal);
		return MESH_ERROR_EXISTS;
	}
	tmp = mesh_platform_file_temp(path, &error);
	if (tmp == NULL)
		return fail(error);
	if (!mesh_portal_store_sqlite_backup(db, tmp, &error) ||
	    !mesh_platform_file_commit(tmp, path, force, &error)) {
		g_unlink(tmp);
		return fail(error);
	}
	printf("Backed up %s to %s\n", db, path);
	return 0;
}

static gboolean
on_signal(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_CONTINUE;
}

int
main(int argc, char **argv)
{
	g_autofree char *listen = NULL;
	g_autofree char *db = NULL;
	g_autofree char *tls_cert = NULL;
	g_autofree char *tls_key = NULL;
	double rate = MESH_PORTAL_HTTP_DEFAULT_RATE;
	int burst = MESH_PORTAL_HTTP_DEFAULT_BURST;
	int pending_expiry = 600;
	int max_connections = 0, max_per_address = MESH_PORTAL_HTTP_DEFAULT_MAX_PER_CLIENT;
	int header_timeout = MESH_PORTAL_HTTP_DEFAULT_HEADER_TIMEOUT;
	int idle_timeout = MESH_PORTAL_HTTP_DEFAULT_IDLE_TIMEOUT;
	int pending_per_address = MESH_PORTAL_DEFAULT_PENDING_PER_CLIENT;
	int max_entries = MESH_PORTAL_DEFAULT_ENTRIES_PER_ACCOUNT;
	gint64 max_account_bytes = (gint64)MESH_PORTAL_DEFAULT_BYTES_PER_ACCOUNT;
	int creations_per_address = MESH_PORTAL_DEFAULT_CREATIONS_PER_CLIENT;
	int workers = MESH_PORTAL_HTTP_DEFAULT_WORKERS;
	int io_threads = 0;
	MeshPortalStoreLimits limits = {0};
	gboolean foreground = FALSE, version = FALSE, force = FALSE, parsed, backing_up;
	const char *domain_arg, *usage = NULL;
	const GOptionEntry entries[] = {
	        {"listen", 'l', 0, G_OPTION_ARG_STRING, &listen,
	         "listen on ADDRESS:PORT (default " MESH_PORTAL_HTTP_DEFAULT_LISTEN
	         "; port 0 picks a free one)",
	         "ADDR:PORT"},
	        {"db", 0, 0, G_OPTION_ARG_FILENAME, &db,
	         "the database: an SQLite file (default $XDG_DATA_HOME/servermesh/DOMAIN.db), or "
	         "a PostgreSQL database that several servermesh may share, as a libpq URI "
	         "postgresql://USER@HOST:PORT/DATABASE (several hosts: "
	         "postgresql://USER@HOST1,HOST2/DATABASE?target_session_attrs=read-write; the "
	         "password from ~/.pgpass or PGPASSFILE)",
	         "PATH|URI"},
	        {"tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert,
	         "serve HTTPS with this PEM certificate (chain)", "FILE"},
	        {"tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key,
	         "the PEM private key of --tls-cert", "FILE"},
	        {"rate", 0, 0, G_OPTION_ARG_DOUBLE, &rate,
	         "requests a second allowed per client address (0: no limit; default 20)", "R"},
	        {"burst", 0, 0, G_OPTION_ARG_INT, &burst,
	         "requests a client may make at once above the rate (default 100)", "N"},
	        {"pending-expiry", 0, 0, G_OPTION_ARG_INT, &pending_expiry,
	         "seconds a device's connection request stays pending (default 600)", "S"},
	        {"max-connections", 0, 0, G_OPTION_ARG_INT, &max_connections,
	         "connections held at once (default 4096, or ulimit -n less 64 if that is lower; "
	         "never more)",
	         "N"},
	        {"max-connections-per-address", 0, 0, G_OPTION_ARG_INT, &max_per_address,
	         "connections held at once from one client address, IPv6 by /64 (default 32)", "N"},
	        {"header-timeout", 0, 0, G_OPTION_ARG_INT, &header_timeout,
	         "seconds a connection has to send its complete request headers, TLS handshake "
	         "included (default 20)",
	         "S"},
	        {"idle-timeout", 0, 0, G_OPTION_ARG_INT, &idle_timeout,
	         "seconds a connection may then stay idle, receiving and sending nothing "
	         "(default 30)",
	         "S"},
	        {"pending-per-address", 0, 0, G_OPTION_ARG_INT, &pending_per_address,
	         "an account's pending connection requests from one address, IPv6 by /64, of the "
	         "100 it may have (default 10; 0: no limit)",
	         "N"},
	        {"max-entries", 0, 0, G_OPTION_ARG_INT, &max_entries,
	         "entries one account may hold, its profile included (default 2048; 0: no limit)",
	         "N"},
	        {"max-account-bytes", 0, 0, G_OPTION_ARG_INT64, &max_account_bytes,
	         "bytes of entries one account may hold (default 335544320, 320 MiB; 0: no limit)",
	         "BYTES"},
	        {"creations-per-address", 0, 0, G_OPTION_ARG_INT, &creations_per_address,
	         "accounts one address, IPv6 by /64, may create in an hour (default 10; 0: no "
	         "limit)",
	         "N"},
	        {"workers", 0, 0, G_OPTION_ARG_INT, &workers,
	         "threads answering requests at once (default 64; 1 to 1024): requests waiting "
	         "for one commit share it, up to this many",
	         "N"},
	        {"io-threads", 0, 0, G_OPTION_ARG_INT, &io_threads,
	         "threads reading and writing connections (default one per processor; 1 to 16)",
	         "N"},
	        {"foreground", 'f', 0, G_OPTION_ARG_NONE, &foreground,
	         "stay in the foreground (servermesh always does)", NULL},
	        {"force", 0, 0, G_OPTION_ARG_NONE, &force,
	         "backup: replace PATH when it exists", NULL},
	        {"version", 0, 0, G_OPTION_ARG_NONE, &version, "print the version", NULL},
	        G_OPTION_ENTRY_NULL,
	};
	g_autoptr(GOptionContext) context = g_option_context_new("DOMAIN | backup PATH [DOMAIN]");
	g_autoptr(GError) error = NULL;
	g_autoptr(MeshPortalStore) store = NULL;
	g_autoptr(MeshPortal) portal = NULL; /* after the store, before the binding that calls it */
	g_autoptr(MeshPortalHttp) http = NULL;
	g_autoptr(GMainLoop) loop = NULL;
	g_autofree char *domain = NULL;
	MeshPortalHttpConfig config = { 0 };
	guint purge_source;

	setlocale(LC_ALL, "");
	g_option_context_set_summary(context,
				     "The Mathematical Mesh portal for DOMAIN: keeps accounts, "
				     "published profiles, escrow entries\nand pending device "
				     "connections, and answers POST " MESH_PORTAL_HTTP_PATH
				     " (and GET\n" MESH_PORTAL_HTTP_HEALTH_PATH
				     " for load balancers). It stays in the foreground and logs\n"
				     "one line per request on stderr; SIGTERM or SIGINT stop it.\n\n"
				     "servermesh backup PATH copies the database (--db, or DOMAIN's "
				     "default one) to PATH\nwhile servermesh may be serving it.");
	g_option_context_add_main_entries(context, entries, NULL);
	parsed = g_option_context_parse(context, &argc, &argv, &error);
	/* "backup" is never a domain a portal serves (one label), so it can name the command. */
	backing_up = parsed && argc >= 2 && strcmp(argv[1], "backup") == 0;
	if (!parsed)
		usage = error->message;
	else if (backing_up ? argc < 3 || argc > 4 || (argc == 3 && db == NULL) : argc != 2)
		usage = backing_up ? "give 'backup PATH' and --db, or 'backup PATH DOMAIN'"
		                   : "give exactly one DOMAIN";
	else if (force && !backing_up)
		usage = "--force is for 'backup'";
	else if (rate < 0 || burst < 0 || pending_expiry < 1 || max_connections < 0 ||
	         max_per_address < 1 || header_timeout < 1 || idle_timeout < 1 ||
	         pending_per_address < 0 || max_entries < 0 || max_account_bytes < 0 ||
	         creations_per_address < 0)
		usage = "limits are never negative; --pending-expiry, "
		        "--max-connections-per-address and the timeouts are at least 1";
	else if (workers < 1 || workers > 1024)
		usage = "--workers is 1 to 1024";
	else if (io_threads < 0 || io_threads > 16)
		usage = "--io-threads is 1 to 16";
	if (usage != NULL) {
		g_printerr("servermesh: %s (see 'servermesh --help')\n", usage);
		return MESH_ERROR_USAGE;
	}
	if (version) {
		printf("servermesh %s\n", MESH_VERSION);
		return 0;
	}
	/* The domain: serving's one word, or backup's optional second (with --db, none). */
	domain_arg = !backing_up ? argv[1] : argc == 4 ? argv[3] : NULL;
	if (domain_arg != NULL && !check_domain(domain_arg, &error))
		return fail(error);
	domain = domain_arg != NULL ? g_ascii_strdown(domain_arg, -1) : NULL;
	if (!mesh_platform_harden(&error))
		return fail(error);
	mesh_platform_ignore_broken_pipe();

	if (db == NULL) {
		g_autofree char *file = g_strconcat(domain, ".db", NULL);

		db = g_build_filename(g_get_user_data_dir(), "servermesh", file, NULL);
	}
	if (backing_up)
		return backup(db, argv[2], force);
	store = mesh_portal_store_pg_is_uri(db) ? mesh_portal_store_pg_open(db, &error)
	                                        : mesh_portal_store_sqlite_open(db, &error);
	if (store == NULL)
		return fail(error);
	limits.pending_per_client = (guint)pending_per_address;
	limits.entries_per_account = (guint)max_entries;
	limits.bytes_per_account = (guint64)max_account_bytes;
	limits.creations_per_client = (guint)creations_per_address;
	mesh_portal_store_set_limits(store, &limits);
	purge(store);

	config.listen = listen;
	config.tls_cert_file = tls_cert;
	config.tls_key_file = tls_key;
	config.rate = rate > 0 ? rate : -1;
	config.burst = (guint)burst;
	config.max_connections = (guint)max_connections;
	config.max_connections_per_client = (guint)max_per_address;
	config.header_timeout = (guint)header_timeout;
	config.idle_timeout = (guint)idle_timeout;
	config.workers = (guint)workers;
	config.loops = (guint)io_threads;
	config.at_once = mesh_portal_answers_at_once;
	config.now = mesh_portal_handler_now;
	config.finish = mesh_portal_finish;
	config.log = log_request;
	config.notice = log_notice;
	config.health = health;
	config.health_data = store;
	portal = mesh_portal_new(domain, store, &error);
	if (portal == NULL)
		return fail(error);
	mesh_portal_set_pending_expiry(portal, pending_expiry);
	mesh_portal_set_notice(portal, log_notice, NULL);
	http = mesh_portal_http_new(&config, mesh_portal_handler, portal, &error);
	if (http == NULL)
		return fail(error);

	loop = g_main_loop_new(NULL, FALSE);
	mesh_platform_on_terminate(on_signal, loop);
	purge_source = g_timeout_add_seconds(PURGE_INTERVAL_SECONDS, purge, store);
	g_printerr("servermesh: serving %s on %s\n", domain, mesh_portal_http_url(http));
	g_main_loop_run(loop);
	g_source_remove(purge_source);
	g_printerr("servermesh: stopped\n");
	return 0;
}
