/* SPDX-License-Identifier: MIT */
/*
 * Working offline (core/session-queue.c): changes made while the portal cannot be reached are
 * stored here, queued sealed to this device, and published by the next flush, merged with what
 * another administration device (a copy of the same hive: the same device and keys) published
 * meanwhile: a login only one side changed merged silently, one both changed reported, never
 * dropped; a replayed entry that was published changes nothing; a damaged entry is named, not
 * skipped; the queue of a deleted account goes with it.
 */
#include <string.h>

#include "client-direct.h"
#include "cutest.h"
#include "error.h"
#include "file.h"
#include "json.h"
#include "session.h"
#include "store.h"
#include "transactions.h"

#define ACCOUNT "alice@example.com"

/* ---- A portal that can be down ------------------------------------------------------------- */

typedef struct {
	MeshPortalClient base;
	MeshPortalClient *inner;
	const gboolean *down;
} DownClient;

static gboolean
down_transact(MeshPortalClient *client, const char *request, GBytes **ret_answer, guint *ret_status,
              GError **error)
{
	DownClient *d = (DownClient *)client;

	if (*d->down) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NETWORK,
		            "cannot connect to the portal (test: down)");
		return FALSE;
	}
	return mesh_portal_client_transact(d->inner, request, ret_answer, ret_status, error);
}

static void
down_close(MeshPortalClient *client)
{
	DownClient *d = (DownClient *)client;

	mesh_portal_client_close(d->inner);
	g_free(d);
}

static const MeshPortalClientClass down_class = {"down", down_transact, down_close};

typedef struct {
	char *dir;
	MeshHive *hive;
	MeshKeyStore *store;
	MeshSession s;
	MeshPortal *portal;
	gboolean down;
} Dev;

typedef struct {
	MeshPortalStore *store;
	MeshPortal *portal;
	Dev dev[2];
} Fx;

static MeshPortalClient *
open_portal(gpointer data, const char *domain, const char *url, GError **error)
{
	Dev *d = data;
	DownClient *c = g_new0(DownClient, 1);

	c->base.klass = &down_class;
	c->inner = mesh_portal_client_direct_new(d->portal);
	c->down = &d->down;
	return &c->base;
}

static void
dev_open(Dev *d)
{
	GError *error = NULL;

	d->hive = mesh_hive_open(MESH_HIVE_TEST, d->dir, &error);
	MESH_ASSERT_NO_ERROR(error);
	d->store = mesh_keystore_file_new(d->hive, &error);
	MESH_ASSERT_NO_ERROR(error);
	d->s.hive = d->hive;
	d->s.store = d->store;
	d->s.open_portal = open_portal;
	d->s.portal_data = d;
}

/* Device 0 makes the profile; device 1 is a copy of its hive: a second administration device
 * of the account (the same device, keys and profile). */
static void
fx_init(Fx *fx)
{
	GError *error = NULL;
	g_autoptr(MeshSessionProfile) info = NULL;

	memset(fx, 0, sizeof *fx);
	fx->store = mesh_portal_store_memory_new();
	fx->portal = mesh_portal_new("example.com", fx->store, &error);
	MESH_ASSERT_NO_ERROR(error);
	for (int i = 0; i < 2; i++) {
		fx->dev[i].dir = mesh_test_tmp_dir("queue");
		fx->dev[i].portal = fx->portal;
		dev_open(&fx->dev[i]);
	}
	CU_ASSERT_TRUE(mesh_session_profile_create(&fx->dev[0].s, ACCOUNT, NULL, &info, &error));
	MESH_ASSERT_NO_ERROR(error);
	for (int f = 0; f < MESH_HIVE_N_FOLDERS; f++) {
		g_autoptr(GPtrArray) names = NULL;

		CU_ASSERT_TRUE(mesh_hive_list(fx->dev[0].hive, (MeshHiveFolder)f, &names, NULL));
		g_ptr_array_add(names, g_strdup(MESH_HIVE_DEFAULT));
		for (guint i = 0; i < names->len; i++) {
			g_autoptr(GBytes) data = NULL;

			if (!mesh_hive_read(fx->dev[0].hive, (MeshHiveFolder)f, names->pdata[i],
			                    MESH_HIVE_ENTRY_MAX, &data, NULL))
				continue;
			CU_ASSERT_TRUE(mesh_hive_write(
			        fx->dev[1].hive, (MeshHiveFolder)f, names->pdata[i],
			        g_bytes_get_data(data, NULL), g_bytes_get_size(data), &error));
			MESH_ASSERT_NO_ERROR(error);
		}
	}
	/* The copy's key store reads the keys copied under it. */
	mesh_keystore_close(fx->dev[1].store);
	fx->dev[1].store = mesh_keystore_file_new(fx->dev[1].hive, &error);
	MESH_ASSERT_NO_ERROR(error);
	fx->dev[1].s.store = fx->dev[1].store;
}

static void
fx_clear(Fx *fx)
{
	for (int i = 0; i < 2; i++) {
		mesh_keystore_close(fx->dev[i].store);
		mesh_hive_close(fx->dev[i].hive);
		mesh_test_remove_tree(fx->dev[i].dir);
		g_free(fx->dev[i].dir);
	}
	mesh_portal_free(fx->portal);
	mesh_portal_store_close(fx->store);
}

static MeshSecret *
text(const char *s)
{
	return mesh_secret_new_from_data(s, strlen(s) + 1);
}

/* password add (@set: set) of @pw; whether it was queued. */
static gboolean
put(Dev *d, const char *site, const char *user, const char *pw, gboolean set)
{
	g_autoptr(MeshSecret) secret = text(pw);
	g_autofree char *queued = NULL;
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_session_password_add(&d->s, ACCOUNT, site, user, secret,
	                                         set ? MESH_SESSION_PASSWORD_SET
	                                             : MESH_SESSION_PASSWORD_ADD,
	                                         NULL, &queued, &error));
	MESH_ASSERT_NO_ERROR(error);
	return queued != NULL;
}

static void
assert_password(Dev *d, const char *site, const char *user, const char *want)
{
	g_autoptr(MeshSecret) got = NULL;
	GError *error = NULL;

	if (want == NULL) {
		CU_ASSERT_FALSE(
		        mesh_session_password_get(&d->s, ACCOUNT, site, user, NULL, &got, &error));
		MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
		return;
	}
	CU_ASSERT_TRUE(mesh_session_password_get(&d->s, ACCOUNT, site, user, NULL, &got, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL((const char *)mesh_secret_get(got), want);
}

static void
assert_app(Dev *d, const char *name, const char *want_data)
{
	g_autoptr(MeshSecret) got = NULL;
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_session_app_get(&d->s, ACCOUNT, name, &got, &error));
	MESH_ASSERT_NO_ERROR(error);
	if (got != NULL && strstr((const char *)mesh_secret_get(got), want_data) == NULL) {
		g_printerr("app %s: want %s in %s\n", name, want_data,
		           (const char *)mesh_secret_get(got));
		CU_FAIL("application data");
	}
}

static guint
outbox_len(Dev *d, gboolean changes_only)
{
	g_autoptr(GPtrArray) names = NULL;
	guint n = 0;

	CU_ASSERT_TRUE_FATAL(mesh_hive_list(d->hive, MESH_HIVE_OUTBOX, &names, NULL));
	for (guint i = 0; i < names->len; i++)
		n += !changes_only || !g_str_has_prefix(names->pdata[i], "Conflicts-");
	return n;
}

/* No entry of the Outbox holds @needle. */
static void
assert_outbox_lacks(Dev *d, const char *needle)
{
	g_autoptr(GPtrArray) names = NULL;

	CU_ASSERT_TRUE_FATAL(mesh_hive_list(d->hive, MESH_HIVE_OUTBOX, &names, NULL));
	CU_ASSERT_TRUE(names->len > 0);
	for (guint i = 0; i < names->len; i++) {
		g_autoptr(GBytes) data = NULL;

		CU_ASSERT_TRUE_FATAL(mesh_hive_read(d->hive, MESH_HIVE_OUTBOX, names->pdata[i],
		                                    MESH_HIVE_ENTRY_MAX, &data, NULL));
		CU_ASSERT_PTR_NULL(g_strstr_len(g_bytes_get_data(data, NULL),
		                                (gssize)g_bytes_get_size(data), needle));
	}
}

static MeshSessionFlush *
sync_flush(Dev *d)
{
	MeshSessionFlush *flush = NULL;
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_session_profile_sync_flush(&d->s, ACCOUNT, NULL, &flush, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(flush);
	return flush;
}

static const MeshSessionQueued *
find(GPtrArray *list, const char *operation, const char *site)
{
	for (guint i = 0; i < list->len; i++) {
		const MeshSessionQueued *q = list->pdata[i];

		if (g_str_equal(q->operation, operation) && g_strcmp0(q->site, site) == 0)
			return q;
	}
	return NULL;
}

/* The serial of the account's one application profile on the portal. */
static gint64
portal_app_serial(Fx *fx)
{
	g_autoptr(GPtrArray) list = NULL;
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_portal_store_entry_list(fx->store, "alice",
	                                            MESH_PORTAL_TYPE_APPLICATION, &list, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL_FATAL(list->len, 1);
	return ((MeshPortalEntry *)list->pdata[0])->serial;
}

/* ---- Tests --------------------------------------------------------------------------------- */

/* Offline: queued, seen here at once, listed, nothing in clear; back online: published, and
 * the other device sees it. */
static void
test_queue_and_flush(void)
{
	Fx fx;
	Dev *a, *b;
	GError *error = NULL;
	g_autoptr(GPtrArray) queued = NULL;
	g_autoptr(GPtrArray) conflicts = NULL;
	g_autoptr(MeshSessionFlush) flush = NULL;
	g_autoptr(MeshSecret) data = text("{\"Server\":\"imap.offline.example\"}");
	g_autofree char *q = NULL;

	fx_init(&fx);
	a = &fx.dev[0];
	b = &fx.dev[1];
	CU_ASSERT_FALSE(put(a, "old.example.com", "alice", "old-secret", FALSE));
	CU_ASSERT_TRUE(mesh_session_app_add_generic(&a->s, ACCOUNT, "mail", NULL, &q, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NULL(q);
	flush = sync_flush(b);
	CU_ASSERT_EQUAL(flush->published->len, 0);
	g_clear_pointer(&flush, mesh_session_flush_free);

	a->down = TRUE;
	CU_ASSERT_TRUE(put(a, "new.example.com", "alice", "Offline-Pw-1", FALSE));
	CU_ASSERT_TRUE(put(a, "old.example.com", "alice", "Offline-Pw-2", TRUE));
	CU_ASSERT_TRUE(mesh_session_app_set(&a->s, ACCOUNT, "mail", data, &q, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL(q);
	g_clear_pointer(&q, g_free);
	CU_ASSERT_TRUE(mesh_session_app_add_generic(&a->s, ACCOUNT, "notes", NULL, &q, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL(q);
	g_clear_pointer(&q, g_free);
	/* Read here at once. */
	assert_password(a, "new.example.com", "alice", "Offline-Pw-1");
	assert_password(a, "old.example.com", "alice", "Offline-Pw-2");
	assert_app(a, "mail", "imap.offline.example");
	assert_app(a, "notes", "{}");
	CU_ASSERT_EQUAL(outbox_len(a, TRUE), 4);
	assert_outbox_lacks(a, "Offline-Pw-1");
	assert_outbox_lacks(a, "Offline-Pw-2");
	assert_outbox_lacks(a, "old-secret");
	assert_outbox_lacks(a, "imap.offline.example");
	assert_outbox_lacks(a, "new.example.com");
	CU_ASSERT_TRUE(mesh_session_profile_status(&a->s, ACCOUNT, &queued, &conflicts, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL_FATAL(queued->len, 4);
	CU_ASSERT_EQUAL(conflicts->len, 0);
	CU_ASSERT_STRING_EQUAL(((MeshSessionQueued *)queued->pdata[0])->operation, "PasswordAdd");
	CU_ASSERT_STRING_EQUAL(((MeshSessionQueued *)queued->pdata[0])->site, "new.example.com");
	CU_ASSERT_STRING_EQUAL(((MeshSessionQueued *)queued->pdata[0])->username, "alice");
	CU_ASSERT_STRING_EQUAL(((MeshSessionQueued *)queued->pdata[1])->operation, "PasswordSet");
	CU_ASSERT_STRING_EQUAL(((MeshSessionQueued *)queued->pdata[2])->operation, "AppSet");
	CU_ASSERT_STRING_EQUAL(((MeshSessionQueued *)queued->pdata[2])->application, "mail");
	CU_ASSERT_PTR_NULL(((MeshSessionQueued *)queued->pdata[2])->site);
	CU_ASSERT_STRING_EQUAL(((MeshSessionQueued *)queued->pdata[3])->operation, "AppAdd");
	/* Still down: the sync fails, nothing is lost. */
	CU_ASSERT_FALSE(mesh_session_profile_sync_flush(&a->s, ACCOUNT, NULL, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NETWORK);
	CU_ASSERT_EQUAL(outbox_len(a, TRUE), 4);
	/* The other device has seen nothing. */
	flush = sync_flush(b);
	g_clear_pointer(&flush, mesh_session_flush_free);
	assert_password(b, "new.example.com", "alice", NULL);
	assert_password(b, "old.example.com", "alice", "old-secret");

	/* Back: published in order, no conflict, the queue empty; the other device sees it. */
	a->down = FALSE;
	flush = sync_flush(a);
	CU_ASSERT_EQUAL(flush->published->len, 4);
	CU_ASSERT_EQUAL(flush->conflicts->len, 0);
	CU_ASSERT_EQUAL(outbox_len(a, TRUE), 0);
	assert_password(a, "new.example.com", "alice", "Offline-Pw-1");
	assert_app(a, "notes", "{}");
	g_clear_pointer(&flush, mesh_session_flush_free);
	flush = sync_flush(b);
	g_clear_pointer(&flush, mesh_session_flush_free);
	assert_password(b, "new.example.com", "alice", "Offline-Pw-1");
	assert_password(b, "old.example.com", "alice", "Offline-Pw-2");
	assert_app(b, "mail", "imap.offline.example");
	assert_app(b, "notes", "{}");
	/* Online again, a change is published at once. */
	CU_ASSERT_FALSE(put(a, "third.example.com", "al", "pw3", FALSE));
	fx_clear(&fx);
}

/* Both sides changed: the same login (reported, this device's value kept), other logins
 * (merged silently), an application changed and one deleted (reported). */
static void
test_conflicts(void)
{
	Fx fx;
	Dev *a, *b;
	GError *error = NULL;
	g_autoptr(MeshSessionFlush) flush = NULL;
	g_autoptr(GPtrArray) queued = NULL;
	g_autoptr(GPtrArray) conflicts = NULL;
	g_autoptr(MeshSecret) a_data = text("{\"v\":\"from-a\"}");
	g_autoptr(MeshSecret) b_data = text("{\"v\":\"from-b\"}");
	const MeshSessionQueued *c;

	fx_init(&fx);
	a = &fx.dev[0];
	b = &fx.dev[1];
	put(a, "both.example.com", "u", "base-both", FALSE);
	put(a, "only-a.example.com", "u", "base-a", FALSE);
	put(a, "only-b.example.com", "u", "base-b", FALSE);
	put(a, "gone.example.com", "u", "base-gone", FALSE);
	CU_ASSERT_TRUE(mesh_session_app_add_generic(&a->s, ACCOUNT, "shared", NULL, NULL, &error));
	CU_ASSERT_TRUE(mesh_session_app_add_generic(&a->s, ACCOUNT, "doomed", NULL, NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	flush = sync_flush(b);
	g_clear_pointer(&flush, mesh_session_flush_free);

	a->down = TRUE;
	CU_ASSERT_TRUE(put(a, "both.example.com", "u", "a-both", TRUE));
	CU_ASSERT_TRUE(put(a, "only-a.example.com", "u", "a-only", TRUE));
	CU_ASSERT_TRUE(put(a, "gone.example.com", "u", "a-gone", TRUE));
	CU_ASSERT_TRUE(mesh_session_app_set(&a->s, ACCOUNT, "shared", a_data, NULL, &error));
	CU_ASSERT_TRUE(mesh_session_app_set(&a->s, ACCOUNT, "doomed", a_data, NULL, &error));
	MESH_ASSERT_NO_ERROR(error);

	/* Meanwhile the other administration device publishes. */
	CU_ASSERT_FALSE(put(b, "both.example.com", "u", "b-both", TRUE));
	CU_ASSERT_FALSE(put(b, "only-b.example.com", "u", "b-only", TRUE));
	CU_ASSERT_FALSE(put(b, "b-new.example.com", "u", "b-new", FALSE));
	CU_ASSERT_TRUE(mesh_session_password_delete(&b->s, ACCOUNT, "gone.example.com", "u", NULL,
	                                            &error));
	CU_ASSERT_TRUE(mesh_session_app_set(&b->s, ACCOUNT, "shared", b_data, NULL, &error));
	CU_ASSERT_TRUE(mesh_session_app_delete(&b->s, ACCOUNT, "doomed", NULL, &error));
	MESH_ASSERT_NO_ERROR(error);

	/* A sync without the flush keeps this device's copy that holds queued changes (it is
	 * ahead of the portal's: not refused as stale). */
	a->down = FALSE;
	CU_ASSERT_TRUE(mesh_session_profile_sync(&a->s, ACCOUNT, NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	assert_password(a, "only-a.example.com", "u", "a-only");
	assert_app(a, "shared", "from-a");
	flush = sync_flush(a);
	CU_ASSERT_EQUAL(flush->published->len, 5);
	CU_ASSERT_EQUAL(flush->conflicts->len, 4);
	c = find(flush->conflicts, "PasswordSet", "both.example.com");
	CU_ASSERT_TRUE(c != NULL && g_str_equal(c->conflict, "Replaced"));
	c = find(flush->conflicts, "PasswordSet", "gone.example.com");
	CU_ASSERT_TRUE(c != NULL && g_str_equal(c->conflict, "Restored"));
	CU_ASSERT_PTR_NULL(find(flush->conflicts, "PasswordSet", "only-a.example.com"));
	c = find(flush->conflicts, "AppSet", NULL);
	CU_ASSERT_PTR_NOT_NULL(c);
	CU_ASSERT_TRUE(mesh_session_profile_status(&a->s, ACCOUNT, &queued, &conflicts, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(queued->len, 0);
	CU_ASSERT_EQUAL(conflicts->len, 4);
	/* The result, on both devices: nothing dropped. */
	for (int i = 0; i < 2; i++) {
		g_autoptr(MeshSessionFlush) f = sync_flush(&fx.dev[i]);

		CU_ASSERT_PTR_NOT_NULL(f);
		assert_password(&fx.dev[i], "both.example.com", "u", "a-both");
		assert_password(&fx.dev[i], "only-a.example.com", "u", "a-only");
		assert_password(&fx.dev[i], "only-b.example.com", "u", "b-only");
		assert_password(&fx.dev[i], "b-new.example.com", "u", "b-new");
		assert_password(&fx.dev[i], "gone.example.com", "u", "a-gone");
		assert_app(&fx.dev[i], "shared", "from-a");
		assert_app(&fx.dev[i], "doomed", "from-a");
	}
	fx_clear(&fx);
}

/* Deletes: of a login the other device changed (reported), of one it did not (silent); of an
 * application it changed (reported). */
static void
test_delete_conflicts(void)
{
	Fx fx;
	Dev *a, *b;
	GError *error = NULL;
	g_autoptr(MeshSessionFlush) flush = NULL;
	g_autoptr(MeshSecret) b_data = text("{\"v\":\"from-b\"}");
	const MeshSessionQueued *c;
	g_autofree char *q = NULL;

	fx_init(&fx);
	a = &fx.dev[0];
	b = &fx.dev[1];
	put(a, "changed.example.com", "u", "base1", FALSE);
	put(a, "quiet.example.com", "u", "base2", FALSE);
	CU_ASSERT_TRUE(mesh_session_app_add_generic(&a->s, ACCOUNT, "app", NULL, NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	flush = sync_flush(b);
	g_clear_pointer(&flush, mesh_session_flush_free);

	a->down = TRUE;
	CU_ASSERT_TRUE(mesh_session_password_delete(&a->s, ACCOUNT, "changed.example.com", NULL, &q,
	                                            &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL(q);
	CU_ASSERT_TRUE(mesh_session_password_delete(&a->s, ACCOUNT, "quiet.example.com", NULL, NULL,
	                                            &error));
	CU_ASSERT_TRUE(mesh_session_app_delete(&a->s, ACCOUNT, "app", NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	assert_password(a, "changed.example.com", "u", NULL);
	/* Refusals stay refusals offline: nothing is queued for them. */
	CU_ASSERT_FALSE(mesh_session_password_delete(&a->s, ACCOUNT, "none.example.com", NULL, NULL,
	                                             &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_EQUAL(outbox_len(a, TRUE), 3);

	CU_ASSERT_FALSE(put(b, "changed.example.com", "u", "b-changed", TRUE));
	CU_ASSERT_TRUE(mesh_session_app_set(&b->s, ACCOUNT, "app", b_data, NULL, &error));
	MESH_ASSERT_NO_ERROR(error);

	a->down = FALSE;
	flush = sync_flush(a);
	CU_ASSERT_EQUAL(flush->published->len, 3);
	CU_ASSERT_EQUAL(flush->conflicts->len, 2);
	c = find(flush->conflicts, "PasswordDelete", "changed.example.com");
	CU_ASSERT_TRUE(c != NULL && g_str_equal(c->conflict, "Deleted"));
	c = find(flush->conflicts, "AppDelete", NULL);
	CU_ASSERT_TRUE(c != NULL && g_str_equal(c->conflict, "Deleted"));
	g_clear_pointer(&flush, mesh_session_flush_free);
	flush = sync_flush(b);
	assert_password(b, "changed.example.com", "u", NULL);
	assert_password(b, "quiet.example.com", "u", NULL);
	fx_clear(&fx);
}

/* A flush killed after publishing, before taking the entry out: replayed, it changes nothing.
 * A damaged entry is named and stays; the queue of a deleted account goes with it. */
static void
test_replay_damage_delete(void)
{
	Fx fx;
	Dev *a, *b;
	GError *error = NULL;
	g_autoptr(MeshSessionFlush) flush = NULL;
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GBytes) saved = NULL;
	g_autoptr(GPtrArray) queued = NULL;
	g_autoptr(GPtrArray) conflicts = NULL;
	g_autofree char *name = NULL;
	g_autofree char *damaged = NULL;
	gint64 serial;

	fx_init(&fx);
	a = &fx.dev[0];
	b = &fx.dev[1];
	put(a, "x.example.com", "u", "base", FALSE);
	a->down = TRUE;
	CU_ASSERT_TRUE(put(a, "x.example.com", "u", "queued-value", TRUE));
	CU_ASSERT_TRUE(mesh_hive_list(a->hive, MESH_HIVE_OUTBOX, &names, NULL));
	CU_ASSERT_EQUAL_FATAL(names->len, 1);
	name = g_strdup(names->pdata[0]);
	CU_ASSERT_TRUE(
	        mesh_hive_read(a->hive, MESH_HIVE_OUTBOX, name, MESH_HIVE_ENTRY_MAX, &saved, NULL));
	a->down = FALSE;
	flush = sync_flush(a);
	CU_ASSERT_EQUAL(flush->published->len, 1);
	g_clear_pointer(&flush, mesh_session_flush_free);
	/* The entry back, as if the flush had been killed before it removed it. */
	CU_ASSERT_TRUE(mesh_hive_write(a->hive, MESH_HIVE_OUTBOX, name,
	                               g_bytes_get_data(saved, NULL), g_bytes_get_size(saved),
	                               &error));
	MESH_ASSERT_NO_ERROR(error);
	serial = portal_app_serial(&fx);
	flush = sync_flush(a);
	CU_ASSERT_EQUAL(flush->published->len, 1);
	CU_ASSERT_EQUAL(flush->conflicts->len, 0);
	g_clear_pointer(&flush, mesh_session_flush_free);
	/* Nothing was published again. */
	CU_ASSERT_EQUAL(portal_app_serial(&fx), serial);
	flush = sync_flush(b);
	assert_password(b, "x.example.com", "u", "queued-value");
	g_clear_pointer(&flush, mesh_session_flush_free);

	/* A damaged entry: status and the flush name it; it stays. */
	a->down = TRUE;
	CU_ASSERT_TRUE(put(a, "x.example.com", "u", "second", TRUE));
	g_clear_pointer(&names, g_ptr_array_unref);
	CU_ASSERT_TRUE(mesh_hive_list(a->hive, MESH_HIVE_OUTBOX, &names, NULL));
	g_free(name);
	name = NULL;
	for (guint i = 0; i < names->len; i++) {
		if (!g_str_has_prefix(names->pdata[i], "Conflicts-"))
			name = g_strdup(names->pdata[i]);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(name);
	g_clear_pointer(&saved, g_bytes_unref);
	CU_ASSERT_TRUE(
	        mesh_hive_read(a->hive, MESH_HIVE_OUTBOX, name, MESH_HIVE_ENTRY_MAX, &saved, NULL));
	damaged = g_strndup(g_bytes_get_data(saved, NULL), g_bytes_get_size(saved));
	{
		/* One character of the ciphertext changed. */
		char *ct = strstr(damaged, "\"ciphertext\":\"");

		CU_ASSERT_PTR_NOT_NULL_FATAL(ct);
		ct += 14;
		*ct = *ct == 'A' ? 'B' : 'A';
	}
	CU_ASSERT_TRUE(mesh_hive_write(a->hive, MESH_HIVE_OUTBOX, name, (const guint8 *)damaged,
	                               strlen(damaged), &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(mesh_session_profile_status(&a->s, ACCOUNT, &queued, &conflicts, &error));
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, name));
	MESH_ASSERT_ERROR(error, MESH_ERROR_DECRYPT);
	a->down = FALSE;
	CU_ASSERT_FALSE(mesh_session_profile_sync_flush(&a->s, ACCOUNT, NULL, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_DECRYPT);
	CU_ASSERT_EQUAL(outbox_len(a, TRUE), 1);
	/* Not JSON at all. */
	CU_ASSERT_TRUE(mesh_hive_write(a->hive, MESH_HIVE_OUTBOX, name, (const guint8 *)"{\"Q\":1}",
	                               7, &error));
	CU_ASSERT_FALSE(mesh_session_profile_sync_flush(&a->s, ACCOUNT, NULL, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);
	CU_ASSERT_EQUAL(outbox_len(a, TRUE), 1);

	/* The account deleted: its queue (and its conflicts) go with it. */
	CU_ASSERT_TRUE(mesh_hive_write(a->hive, MESH_HIVE_OUTBOX, name,
	                               g_bytes_get_data(saved, NULL), g_bytes_get_size(saved),
	                               &error));
	CU_ASSERT_EQUAL(outbox_len(a, FALSE), 2);
	CU_ASSERT_TRUE(mesh_session_profile_delete(&a->s, ACCOUNT, TRUE, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(outbox_len(a, FALSE), 0);
	fx_clear(&fx);
}

static CU_TestInfo tests[] = {
        {"offline: queued, read here, listed, sealed; flushed; seen elsewhere",
         test_queue_and_flush},
        {"conflicts: same login reported, others merged, applications", test_conflicts},
        {"deletes of changed logins and applications reported", test_delete_conflicts},
        {"replay changes nothing; damaged entry named and kept; profile delete",
         test_replay_damage_delete},
        CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("session-queue", tests);
}
