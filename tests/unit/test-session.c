/* SPDX-License-Identifier: MIT */
/*
 * Session operations (core/session.h): the seed documents' walk-through with two devices — two
 * hives in temporary folders, two file key stores — and one portal in this process (memory
 * store, direct client), beside the failures that must refuse: too few, corrupt or foreign
 * shares (nothing changed), a portal that alters a nonce, a rejected and an expired request,
 * witness prefixes (refused, however long) and a request listed twice.
 */
#include <string.h>

#include "base64.h"
#include "client-direct.h"
#include "cutest.h"
#include "device.h"
#include "error.h"
#include "file.h"
#include "json.h"
#include "personal.h"
#include "session.h"
#include "shamir.h"
#include "transactions.h"

#define ACCOUNT "alice@example.com"

static gint64 clock_now;

static gint64
test_clock(gpointer data)
{
	return clock_now;
}

/* ---- A portal client that tampers with answers (a dishonest portal) ------------------------ */

typedef struct {
	MeshPortalClient base;
	MeshPortalClient *inner;
	gboolean alter_nonce;    /* ConnectStart: another ServerNonce */
	gboolean double_pending; /* ConnectPending: every request listed twice */
	char **capture_start;    /* ConnectStart: keep the request here, send nothing */
	const char *swap_start;  /* ConnectStart: send this (another device's) request instead */
	/* Called with each request before it is sent (another request running meanwhile). */
	void (*before)(const char *request, gpointer data);
	gpointer before_data;
} TamperClient;

static gboolean
tamper_transact(MeshPortalClient *client, const char *request, GBytes **ret_answer,
                guint *ret_status, GError **error)
{
	TamperClient *t = (TamperClient *)client;
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(JsonNode) root = NULL;
	JsonObject *resp = NULL;
	const char *tag = NULL;
	guint status = 0;
	gsize len = 0;
	const char *data;
	char *text;

	if (t->before != NULL)
		t->before(request, t->before_data);
	if ((t->capture_start != NULL || t->swap_start != NULL) &&
	    strstr(request, "\"ConnectStartRequest\"") != NULL) {
		if (t->capture_start != NULL) {
			g_free(*t->capture_start);
			*t->capture_start = g_strdup(request);
			g_set_error(error, MESH_ERROR, MESH_ERROR_NETWORK, "captured, not sent");
			return FALSE;
		}
		/* A portal that puts another device profile in this device's place. */
		request = t->swap_start;
	}
	if (!mesh_portal_client_transact(t->inner, request, &answer, &status, error))
		return FALSE;
	data = g_bytes_get_data(answer, &len);
	root = mesh_json_parse(data, len, MESH_PORTAL_MESSAGE_MAX, NULL);
	if (root != NULL && JSON_NODE_HOLDS_OBJECT(root)) {
		if (t->alter_nonce && status == 201)
			tag = "ConnectStartResponse";
		else if (t->double_pending && status == 200)
			tag = "ConnectPendingResponse";
		if (tag != NULL && json_object_has_member(json_node_get_object(root), tag))
			resp = json_object_get_object_member(json_node_get_object(root), tag);
	}
	if (resp != NULL && t->alter_nonce) {
		guint8 nonce[16];
		g_autofree char *b64 = NULL;

		memset(nonce, 0x5a, sizeof nonce);
		b64 = mesh_b64u_encode(nonce, sizeof nonce);
		json_object_set_string_member(resp, "ServerNonce", b64);
	} else if (resp != NULL) {
		JsonArray *pending = json_object_get_array_member(resp, "Pending");
		guint n = json_array_get_length(pending);

		for (guint i = 0; i < n; i++)
			json_array_add_element(pending,
			                       json_node_copy(json_array_get_element(pending, i)));
	}
	if (resp == NULL) {
		*ret_answer = g_steal_pointer(&answer);
	} else {
		text = mesh_json_to_string(root);
		*ret_answer = g_bytes_new_take(text, strlen(text));
	}
	*ret_status = status;
	return TRUE;
}

static void
tamper_close(MeshPortalClient *client)
{
	TamperClient *t = (TamperClient *)client;

	mesh_portal_client_close(t->inner);
	g_free(t);
}

static const MeshPortalClientClass tamper_class = {"tamper", tamper_transact, tamper_close};

/* ---- Fixture: one portal, up to three devices ---------------------------------------------- */

typedef struct {
	char *dir;
	MeshHive *hive;
	MeshKeyStore *store;
	MeshSession s;
	MeshPortal *portal;
	gboolean alter_nonce;
	gboolean double_pending;
	char **capture_start;
	const char *swap_start;
	void (*before)(const char *request, gpointer data);
	gpointer before_data;
	char *last_domain;
} Dev;

typedef struct {
	MeshPortalStore *store;
	MeshPortal *portal;
	Dev dev[3];
} Fx;

static MeshPortalClient *
open_portal(gpointer data, const char *domain, const char *url, GError **error)
{
	Dev *d = data;
	TamperClient *t;

	g_free(d->last_domain);
	d->last_domain = g_strdup(domain);
	if (!d->alter_nonce && !d->double_pending && d->capture_start == NULL &&
	    d->swap_start == NULL && d->before == NULL)
		return mesh_portal_client_direct_new(d->portal);
	t = g_new0(TamperClient, 1);
	t->base.klass = &tamper_class;
	t->inner = mesh_portal_client_direct_new(d->portal);
	t->alter_nonce = d->alter_nonce;
	t->double_pending = d->double_pending;
	t->capture_start = d->capture_start;
	t->swap_start = d->swap_start;
	t->before = d->before;
	t->before_data = d->before_data;
	return &t->base;
}

static void
fx_init(Fx *fx)
{
	GError *error = NULL;

	memset(fx, 0, sizeof *fx);
	clock_now = g_get_real_time() / G_USEC_PER_SEC;
	fx->store = mesh_portal_store_memory_new();
	fx->portal = mesh_portal_new("example.com", fx->store, &error);
	MESH_ASSERT_NO_ERROR(error);
	mesh_portal_set_clock(fx->portal, test_clock, NULL);
	for (int i = 0; i < 3; i++) {
		Dev *d = &fx->dev[i];

		d->dir = mesh_test_tmp_dir("session");
		d->hive = mesh_hive_open(MESH_HIVE_TEST, d->dir, &error);
		MESH_ASSERT_NO_ERROR(error);
		d->store = mesh_keystore_file_new(d->hive, &error);
		MESH_ASSERT_NO_ERROR(error);
		d->portal = fx->portal;
		d->s.hive = d->hive;
		d->s.store = d->store;
		d->s.open_portal = open_portal;
		d->s.portal_data = d;
		d->s.clock = test_clock;
	}
}

static void
fx_clear(Fx *fx)
{
	for (int i = 0; i < 3; i++) {
		Dev *d = &fx->dev[i];

		mesh_keystore_close(d->store);
		mesh_hive_close(d->hive);
		mesh_test_remove_tree(d->dir);
		g_free(d->dir);
		g_free(d->last_domain);
	}
	mesh_portal_free(fx->portal);
	mesh_portal_store_close(fx->store);
}

/* Every entry of every folder of @d's hive, with its content: what "nothing changed" compares. */
static char *
snapshot(Dev *d)
{
	GString *s = g_string_new(NULL);

	for (int f = 0; f < MESH_HIVE_N_FOLDERS; f++) {
		g_autoptr(GPtrArray) names = NULL;
		GError *error = NULL;

		CU_ASSERT_TRUE(mesh_hive_list(d->hive, (MeshHiveFolder)f, &names, &error));
		MESH_ASSERT_NO_ERROR(error);
		g_ptr_array_add(names, g_strdup(MESH_HIVE_DEFAULT));
		for (guint i = 0; i < names->len; i++) {
			g_autoptr(GBytes) data = NULL;

			g_string_append_printf(s,
			                       "%s/%s=", mesh_hive_folder_name((MeshHiveFolder)f),
			                       (const char *)names->pdata[i]);
			if (mesh_hive_read(d->hive, (MeshHiveFolder)f, names->pdata[i],
			                   MESH_HIVE_ENTRY_MAX, &data, NULL))
				g_string_append_len(s, g_bytes_get_data(data, NULL),
				                    g_bytes_get_size(data));
			g_string_append_c(s, '\n');
		}
	}
	return g_string_free(s, FALSE);
}

static const char *
share(GPtrArray *shares, guint i)
{
	return (const char *)mesh_secret_get(shares->pdata[i]);
}

static MeshSessionProfile *
create(Dev *d, const char *account)
{
	MeshSessionProfile *info = NULL;
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_session_profile_create(&d->s, account, NULL, &info, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(info);
	return info;
}

static GPtrArray *
escrow(Dev *d, const char *account, guint k, guint n)
{
	GPtrArray *shares = NULL;
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_session_escrow_create(&d->s, account, k, n, &shares, NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(shares);
	CU_ASSERT_EQUAL(shares->len, n);
	return shares;
}

static MeshSessionConnect *
request(Dev *d)
{
	MeshSessionConnect *c = NULL;
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_session_connect_request(&d->s, ACCOUNT, NULL, NULL, NULL, &c, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	return c;
}

/* The first @n Base32 characters of a witness, dashes dropped. */
static char *
prefix(const char *witness, guint n)
{
	GString *s = g_string_new(NULL);

	for (const char *p = witness; *p != '\0' && s->len < n; p++) {
		if (*p != '-')
			g_string_append_c(s, *p);
	}
	return g_string_free(s, FALSE);
}

static gboolean
lists(GPtrArray *list, const char *s)
{
	for (guint i = 0; i < list->len; i++) {
		if (g_str_equal(list->pdata[i], s))
			return TRUE;
	}
	return FALSE;
}

/* ---- The walk-through ---------------------------------------------------------------------- */

static void
test_walkthrough(void)
{
	Fx fx;
	Dev *d1, *d2;
	GError *error = NULL;
	g_autoptr(MeshSessionProfile) created = NULL;
	g_autoptr(MeshSessionProfile) recovered = NULL;
	g_autoptr(MeshSessionProfile) got = NULL;
	g_autoptr(MeshSessionProfile) got2 = NULL;
	g_autoptr(MeshSessionProfile) synced = NULL;
	g_autoptr(GPtrArray) shares = NULL;
	g_autoptr(GPtrArray) accounts = NULL;
	g_autoptr(GPtrArray) pending = NULL;
	g_autoptr(GPtrArray) sites = NULL;
	g_autoptr(GPtrArray) apps = NULL;
	g_autoptr(MeshSessionConnect) c = NULL;
	g_autoptr(MeshSecret) password = mesh_secret_new_from_data("hunter2", 8);
	g_autoptr(MeshSecret) got_password = NULL;
	g_autoptr(MeshSecret) generated = NULL;
	g_autoptr(MeshSecret) data =
	        mesh_secret_new_from_data("{\"Server\":\"imap.example.com\"}", 29);
	g_autoptr(MeshSecret) plaintext = NULL;
	g_autofree char *def = NULL;
	g_autofree char *username = NULL;
	g_autofree char *p8 = NULL;
	g_autofree char *app_id = NULL;
	MeshSessionConnectState state = 0;
	const char *two[2];

	fx_init(&fx);
	d1 = &fx.dev[0];
	d2 = &fx.dev[1];

	/* Device 1 creates the profile. */
	created = create(d1, ACCOUNT);
	CU_ASSERT_STRING_EQUAL(created->account, ACCOUNT);
	CU_ASSERT_EQUAL(created->serial, 1);
	CU_ASSERT_EQUAL(created->devices->len, 1);
	CU_ASSERT_PTR_NOT_NULL(created->admin_key);
	CU_ASSERT_STRING_EQUAL(d1->last_domain, "example.com");
	CU_ASSERT_TRUE(mesh_session_profile_list(&d1->s, &accounts, &def, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(accounts->len, 1);
	CU_ASSERT_STRING_EQUAL(def, ACCOUNT);
	/* Twice: refused here. */
	CU_ASSERT_FALSE(mesh_session_profile_create(&d1->s, ACCOUNT, NULL, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_EXISTS);

	/* Escrow 2 of 4, then lose the profile on this machine. */
	shares = escrow(d1, ACCOUNT, 2, 4);
	two[0] = share(shares, 1);
	two[1] = share(shares, 3);
	CU_ASSERT_TRUE(mesh_session_escrow_verify(&d1->s, ACCOUNT, NULL, two, 2, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_session_profile_delete(&d1->s, ACCOUNT, FALSE, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(mesh_session_profile_get(&d1->s, ACCOUNT, &got, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);

	/* Recover from shares 1 and 3: a new administration key, the account re-bound. */
	two[0] = share(shares, 0);
	two[1] = share(shares, 2);
	CU_ASSERT_TRUE(
	        mesh_session_profile_recover(&d1->s, ACCOUNT, two, 2, NULL, &recovered, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(recovered);
	CU_ASSERT_STRING_EQUAL(recovered->identifier, created->identifier);
	CU_ASSERT_EQUAL(recovered->serial, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(recovered->admin_key);
	CU_ASSERT_STRING_NOT_EQUAL(recovered->admin_key, created->admin_key);
	/* What the portal holds now: the new serial. */
	CU_ASSERT_TRUE(mesh_session_profile_sync(&d1->s, ACCOUNT, &synced, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(synced->serial, 2);
	g_clear_pointer(&synced, mesh_session_profile_free);

	/* Device 2 asks to join; device 1 sees the same witness and accepts by 8 characters. */
	c = request(d2);
	CU_ASSERT_STRING_EQUAL(c->profile_udf, created->identifier);
	CU_ASSERT_TRUE(mesh_session_connect_status(&d2->s, NULL, &state, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(state, MESH_SESSION_CONNECT_PENDING);
	CU_ASSERT_FALSE(mesh_session_profile_get(&d2->s, ACCOUNT, &got2, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_TRUE(mesh_session_connect_pending(&d1->s, ACCOUNT, &pending, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL_FATAL(pending->len, 1);
	CU_ASSERT_STRING_EQUAL(((MeshSessionPending *)pending->pdata[0])->witness, c->witness);
	CU_ASSERT_STRING_EQUAL(((MeshSessionPending *)pending->pdata[0])->device_udf,
	                       c->device_udf);
	/* Device 2 is no administration device. */
	CU_ASSERT_FALSE(mesh_session_connect_pending(&d2->s, ACCOUNT, &pending, &error));
	CU_ASSERT_PTR_NOT_NULL(error);
	g_clear_error(&error);
	p8 = prefix(c->witness, 8);
	CU_ASSERT_FALSE(mesh_session_connect_accept(&d1->s, ACCOUNT, p8, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_TRUE(mesh_session_connect_accept(&d1->s, ACCOUNT, c->witness, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_session_connect_status(&d2->s, ACCOUNT, &state, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(state, MESH_SESSION_CONNECT_ACCEPTED);
	CU_ASSERT_TRUE(mesh_session_profile_get(&d2->s, ACCOUNT, &got2, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got2);
	CU_ASSERT_EQUAL(got2->devices->len, 2);
	CU_ASSERT_TRUE(lists(got2->devices, c->device_udf));
	CU_ASSERT_PTR_NULL(got2->admin_key);
	/* The request is answered: no more pending. */
	CU_ASSERT_FALSE(mesh_session_connect_status(&d2->s, ACCOUNT, &state, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);

	/* Device 1 adds a password; device 2 syncs and reads it. */
	CU_ASSERT_TRUE(mesh_session_password_add(&d1->s, ACCOUNT, "www.example.com", "alice",
	                                         password, MESH_SESSION_PASSWORD_ADD, NULL,
	                                         NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_session_password_add(&d1->s, ACCOUNT, "mail.example.net", "al", NULL,
	                                         MESH_SESSION_PASSWORD_ADD, &generated, NULL,
	                                         &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(strlen((const char *)mesh_secret_get(generated)), 20);
	CU_ASSERT_TRUE(mesh_session_profile_sync(&d2->s, ACCOUNT, &synced, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(synced->applications->len, 1);
	CU_ASSERT_TRUE(mesh_session_password_get(&d2->s, ACCOUNT, "www.example.com", NULL,
	                                         &username, &got_password, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_STRING_EQUAL(username, "alice");
	CU_ASSERT_STRING_EQUAL((const char *)mesh_secret_get(got_password), "hunter2");
	CU_ASSERT_TRUE(mesh_session_password_list(&d2->s, ACCOUNT, &sites, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(sites->len, 2);
	/* Only administration devices change the profile. */
	CU_ASSERT_FALSE(mesh_session_password_add(&d2->s, ACCOUNT, "x.example.com", "a", password,
	                                          MESH_SESSION_PASSWORD_ADD, NULL, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNAUTHORIZED);

	/* A generic application, set on device 1, read on device 2. */
	CU_ASSERT_TRUE(mesh_session_app_add_generic(&d1->s, ACCOUNT, "mail", &app_id, NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(mesh_session_app_add_generic(&d1->s, ACCOUNT, "mail", NULL, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_EXISTS);
	CU_ASSERT_TRUE(mesh_session_app_set(&d1->s, ACCOUNT, "mail", data, NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	g_clear_pointer(&synced, mesh_session_profile_free);
	CU_ASSERT_TRUE(mesh_session_profile_sync(&d2->s, ACCOUNT, &synced, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_session_app_list(&d2->s, ACCOUNT, &apps, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(apps->len, 2);
	CU_ASSERT_TRUE(mesh_session_app_get(&d2->s, ACCOUNT, "mail", &plaintext, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(plaintext);
	CU_ASSERT_PTR_NOT_NULL(
	        strstr((const char *)mesh_secret_get(plaintext), "imap.example.com"));

	/* Delete on device 1; gone on device 2 after a sync. */
	CU_ASSERT_TRUE(
	        mesh_session_password_delete(&d1->s, ACCOUNT, "www.example.com", NULL, NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(
	        mesh_session_password_delete(&d1->s, ACCOUNT, "www.example.com", NULL, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	g_clear_pointer(&synced, mesh_session_profile_free);
	CU_ASSERT_TRUE(mesh_session_profile_sync(&d2->s, ACCOUNT, &synced, &error));
	MESH_ASSERT_NO_ERROR(error);
	g_clear_pointer(&got_password, mesh_secret_free);
	CU_ASSERT_FALSE(mesh_session_password_get(&d2->s, ACCOUNT, "www.example.com", NULL, NULL,
	                                          &got_password, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);

	/* The escrow still opens after recovery (same master keys). */
	two[0] = share(shares, 1);
	two[1] = share(shares, 2);
	CU_ASSERT_TRUE(mesh_session_escrow_verify(&d1->s, ACCOUNT, NULL, two, 2, &error));
	MESH_ASSERT_NO_ERROR(error);
	fx_clear(&fx);
}

/* ---- Recovery refused: nothing changed ----------------------------------------------------- */

/* Recovery of alice from @n @shares on @d must fail with @want. */
static void
recover_fails(Dev *d, const char *const *shares, gsize n, MeshError want)
{
	g_autoptr(MeshSessionProfile) info = NULL;
	GError *error = NULL;

	CU_ASSERT_FALSE(
	        mesh_session_profile_recover(&d->s, ACCOUNT, shares, n, NULL, &info, &error));
	MESH_ASSERT_ERROR(error, want);
	CU_ASSERT_PTR_NULL(info);
}

static void
test_recover_refused(void)
{
	Fx fx;
	Dev *d1, *d2;
	GError *error = NULL;
	g_autoptr(MeshSessionProfile) alice = NULL;
	g_autoptr(MeshSessionProfile) bob = NULL;
	g_autoptr(MeshSessionProfile) info = NULL;
	g_autoptr(GPtrArray) shares = NULL;
	g_autoptr(GPtrArray) bob_shares = NULL;
	g_autoptr(GPtrArray) foreign = NULL;
	g_autoptr(MeshSecret) secret = NULL;
	g_autofree char *before = NULL;
	g_autofree char *after = NULL;
	g_autofree char *bad_char = NULL;
	g_autofree char *typo = NULL;
	const char *two[2];

	fx_init(&fx);
	d1 = &fx.dev[0];
	d2 = &fx.dev[1];
	alice = create(d1, ACCOUNT);
	shares = escrow(d1, ACCOUNT, 2, 4);
	bob = create(d2, "bob@example.com");
	bob_shares = escrow(d2, "bob@example.com", 2, 3);
	CU_ASSERT_TRUE(mesh_session_profile_delete(&d1->s, ACCOUNT, FALSE, &error));
	MESH_ASSERT_NO_ERROR(error);
	before = snapshot(d1);

	/* Too few shares. */
	two[0] = share(shares, 0);
	recover_fails(d1, two, 1, MESH_ERROR_SHARE_QUORUM);
	CU_ASSERT_FALSE(mesh_session_escrow_verify(&d1->s, ACCOUNT, NULL, two, 1, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_SHARE_QUORUM);

	/* A corrupt share: not Base32. */
	bad_char = g_strdup(share(shares, 2));
	bad_char[3] = '!';
	two[1] = bad_char;
	recover_fails(d1, two, 2, MESH_ERROR_SHARE_CORRUPT);
	/* A mistyped value: another secret, which no escrow has. */
	typo = g_strdup(share(shares, 2));
	typo[10] = typo[10] == 'A' ? 'B' : 'A';
	two[1] = typo;
	recover_fails(d1, two, 2, MESH_ERROR_SHARE_MISMATCH);

	/* Shares of another escrow: bob's (on the portal), and of no escrow at all. */
	two[0] = share(bob_shares, 0);
	two[1] = share(bob_shares, 1);
	recover_fails(d1, two, 2, MESH_ERROR_SHARE_MISMATCH);
	secret = mesh_secret_new_random(32, NULL);
	CU_ASSERT_TRUE(mesh_shamir_split(secret, 2, 2, &foreign, &error));
	MESH_ASSERT_NO_ERROR(error);
	two[0] = share(foreign, 0);
	two[1] = share(foreign, 1);
	recover_fails(d1, two, 2, MESH_ERROR_SHARE_MISMATCH);
	CU_ASSERT_FALSE(mesh_session_escrow_verify(&d1->s, ACCOUNT, NULL, two, 2, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_SHARE_MISMATCH);

	after = snapshot(d1);
	CU_ASSERT_STRING_EQUAL(before, after);

	/* The right shares still work; and a second recovery is refused. */
	two[0] = share(shares, 3);
	two[1] = share(shares, 1);
	CU_ASSERT_TRUE(mesh_session_profile_recover(&d1->s, ACCOUNT, two, 2, NULL, &info, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(mesh_session_profile_recover(&d1->s, ACCOUNT, two, 2, NULL, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_EXISTS);
	fx_clear(&fx);
}

/* ---- Connection refused -------------------------------------------------------------------- */

static void
test_connect_witness_mismatch(void)
{
	Fx fx;
	GError *error = NULL;
	g_autoptr(MeshSessionProfile) alice = NULL;
	g_autoptr(GPtrArray) accounts = NULL;
	MeshSessionConnect *c = NULL;

	fx_init(&fx);
	alice = create(&fx.dev[0], ACCOUNT);
	fx.dev[1].alter_nonce = TRUE;
	CU_ASSERT_FALSE(mesh_session_connect_request(&fx.dev[1].s, ACCOUNT, NULL, NULL, NULL, &c, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_WITNESS_MISMATCH);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_TRUE(mesh_session_profile_list(&fx.dev[1].s, &accounts, NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(accounts->len, 0);
	fx_clear(&fx);
}

/*
 * A portal that substitutes the device profile: device 2's ConnectStart reaches the portal as
 * device 3's (signed by device 3, captured before it was ever sent). The portal's witness is
 * then over device 3's profile and nonce, and device 2 refuses it; the administration device
 * sees device 3, not device 2, pending.
 */
static void
test_connect_device_swapped(void)
{
	Fx fx;
	GError *error = NULL;
	g_autoptr(MeshSessionProfile) alice = NULL;
	g_autoptr(GPtrArray) accounts = NULL;
	g_autoptr(GPtrArray) pending = NULL;
	g_autoptr(MeshDeviceProfile) device2 = NULL;
	g_autoptr(MeshDeviceProfile) device3 = NULL;
	g_autofree char *captured = NULL;
	MeshSessionConnect *c = NULL;

	fx_init(&fx);
	alice = create(&fx.dev[0], ACCOUNT);
	fx.dev[2].capture_start = &captured;
	CU_ASSERT_FALSE(mesh_session_connect_request(&fx.dev[2].s, ACCOUNT, NULL, NULL, NULL, &c, &error));
	g_clear_error(&error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(captured);
	fx.dev[1].swap_start = captured;
	CU_ASSERT_FALSE(mesh_session_connect_request(&fx.dev[1].s, ACCOUNT, NULL, NULL, NULL, &c, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_WITNESS_MISMATCH);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_TRUE(mesh_session_profile_list(&fx.dev[1].s, &accounts, NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(accounts->len, 0);
	/* The administration device is shown the substituted device. */
	CU_ASSERT_TRUE(mesh_device_load(fx.dev[1].hive, NULL, &device2, NULL, &error));
	CU_ASSERT_TRUE(mesh_device_load(fx.dev[2].hive, NULL, &device3, NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_session_connect_pending(&fx.dev[0].s, NULL, &pending, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL_FATAL(pending->len, 1);
	CU_ASSERT_STRING_EQUAL(((MeshSessionPending *)pending->pdata[0])->device_udf,
			       device3->identifier);
	CU_ASSERT_STRING_NOT_EQUAL(((MeshSessionPending *)pending->pdata[0])->device_udf,
				   device2->identifier);
	fx_clear(&fx);
}

static void
test_connect_reject_expire(void)
{
	Fx fx;
	GError *error = NULL;
	g_autoptr(MeshSessionProfile) alice = NULL;
	g_autoptr(MeshSessionProfile) got = NULL;
	g_autoptr(MeshSessionConnect) c2 = NULL;
	g_autoptr(MeshSessionConnect) c3 = NULL;
	g_autoptr(GPtrArray) pending = NULL;
	g_autofree char *p = NULL;
	MeshSessionConnectState state = 0;

	fx_init(&fx);
	alice = create(&fx.dev[0], ACCOUNT);
	c2 = request(&fx.dev[1]);
	c3 = request(&fx.dev[2]);
	CU_ASSERT_TRUE(mesh_session_connect_pending(&fx.dev[0].s, NULL, &pending, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(pending->len, 2);

	/* Device 2 is rejected. */
	p = prefix(c2->witness, 12);
	CU_ASSERT_FALSE(mesh_session_connect_reject(&fx.dev[0].s, ACCOUNT, p, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_TRUE(mesh_session_connect_reject(&fx.dev[0].s, ACCOUNT, c2->witness, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_session_connect_status(&fx.dev[1].s, ACCOUNT, &state, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(state, MESH_SESSION_CONNECT_REJECTED);
	CU_ASSERT_STRING_EQUAL(mesh_session_connect_state_name(state), "Rejected");
	CU_ASSERT_FALSE(mesh_session_profile_get(&fx.dev[1].s, ACCOUNT, &got, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);

	/* Device 3's request expires (the portal's and the devices' clocks move 11 minutes). */
	CU_ASSERT_TRUE(mesh_session_connect_status(&fx.dev[2].s, ACCOUNT, &state, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(state, MESH_SESSION_CONNECT_PENDING);
	clock_now += 11 * 60;
	CU_ASSERT_TRUE(mesh_session_connect_status(&fx.dev[2].s, ACCOUNT, &state, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(state, MESH_SESSION_CONNECT_EXPIRED);
	CU_ASSERT_FALSE(mesh_session_connect_status(&fx.dev[2].s, ACCOUNT, &state, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	fx_clear(&fx);
}

static void
test_connect_whole_witness(void)
{
	Fx fx;
	GError *error = NULL;
	g_autoptr(MeshSessionProfile) alice = NULL;
	g_autoptr(MeshSessionConnect) c = NULL;
	g_autofree char *p8 = NULL;
	g_autofree char *p27 = NULL;
	g_autofree char *other = NULL;
	g_autofree char *typed = NULL;
	MeshSessionConnectState state = 0;

	fx_init(&fx);
	alice = create(&fx.dev[0], ACCOUNT);
	c = request(&fx.dev[1]);
	/* Prefixes are refused, however long: a portal can grind a collision on a short one. */
	p8 = prefix(c->witness, 8);
	p27 = prefix(c->witness, 27);
	CU_ASSERT_FALSE(mesh_session_connect_accept(&fx.dev[0].s, ACCOUNT, p8, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_session_connect_accept(&fx.dev[0].s, ACCOUNT, p27, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_session_connect_reject(&fx.dev[0].s, ACCOUNT, p8, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_session_connect_accept(&fx.dev[0].s, ACCOUNT, "22222222", &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	/* A whole witness that differs in its last character only is no match. */
	other = g_strdup(c->witness);
	other[strlen(other) - 1] = other[strlen(other) - 1] == 'A' ? 'B' : 'A';
	CU_ASSERT_FALSE(mesh_session_connect_accept(&fx.dev[0].s, ACCOUNT, other, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	/* A portal that lists the request twice: neither is answered. */
	fx.dev[0].double_pending = TRUE;
	CU_ASSERT_FALSE(mesh_session_connect_accept(&fx.dev[0].s, ACCOUNT, c->witness, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	fx.dev[0].double_pending = FALSE;
	/* Nothing was answered. */
	CU_ASSERT_TRUE(mesh_session_connect_status(&fx.dev[1].s, ACCOUNT, &state, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(state, MESH_SESSION_CONNECT_PENDING);
	/* Dashes, spaces and case do not matter. */
	typed = g_ascii_strdown(c->witness, -1);
	g_strdelimit(typed, "-", ' ');
	CU_ASSERT_TRUE(mesh_session_connect_accept(&fx.dev[0].s, ACCOUNT, typed, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_session_connect_status(&fx.dev[1].s, ACCOUNT, &state, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(state, MESH_SESSION_CONNECT_ACCEPTED);
	fx_clear(&fx);
}

/* ---- SSH keys ------------------------------------------------------------------------------ */

static gint64
skewed_clock(gpointer data)
{
	return clock_now - 3600;
}

/* The authorized keys of alice on @d, checked to be @n; returned. */
static GPtrArray *
authorized(Dev *d, guint n)
{
	GPtrArray *keys = NULL;
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_session_ssh_authorized_keys(&d->s, ACCOUNT, &keys, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(keys);
	CU_ASSERT_EQUAL(keys->len, n);
	return keys;
}

static gboolean
lists_key(GPtrArray *keys, const char *device, const char *line)
{
	for (guint i = 0; i < keys->len; i++) {
		const MeshSessionSshKey *k = keys->pdata[i];

		if (g_str_equal(k->device_udf, device) && g_str_equal(k->public_line, line))
			return TRUE;
	}
	return FALSE;
}

static void
sync_ok(Dev *d)
{
	g_autoptr(MeshSessionProfile) info = NULL;
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_session_profile_sync(&d->s, ACCOUNT, &info, &error));
	MESH_ASSERT_NO_ERROR(error);
}

static void
test_ssh(void)
{
	Fx fx;
	Dev *d1, *d2;
	GError *error = NULL;
	g_autoptr(MeshSessionProfile) alice = NULL;
	g_autoptr(MeshSessionConnect) c = NULL;
	g_autoptr(MeshSessionProfile) p1 = NULL;
	g_autofree char *udf1 = NULL, *line1 = NULL, *udf2 = NULL, *line2 = NULL;
	g_autofree char *again = NULL;
	g_autofree char *before = NULL, *after = NULL;
	g_autoptr(GPtrArray) keys = NULL;
	g_autoptr(MeshKey) gone = NULL;
	MeshSessionConnectState state = 0;

	fx_init(&fx);
	d1 = &fx.dev[0];
	d2 = &fx.dev[1];
	alice = create(d1, ACCOUNT);
	c = request(d2);
	CU_ASSERT_TRUE(mesh_session_connect_accept(&d1->s, ACCOUNT, c->witness, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_session_connect_status(&d2->s, ACCOUNT, &state, &error));
	CU_ASSERT_EQUAL(state, MESH_SESSION_CONNECT_ACCEPTED);
	keys = authorized(d1, 0);
	g_clear_pointer(&keys, g_ptr_array_unref);

	/* The administration device: listed at once, in an SSHProfile made for it. */
	CU_ASSERT_TRUE(mesh_session_ssh_create(&d1->s, ACCOUNT, &udf1, &line1, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(g_str_has_prefix(line1, "ssh-ed25519 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(line1, " mesh:" ACCOUNT ":"));
	keys = authorized(d1, 1);
	CU_ASSERT_TRUE(lists_key(keys, alice->devices->pdata[0], line1));
	g_clear_pointer(&keys, g_ptr_array_unref);
	/* A second create: Exists, and no key made. */
	before = snapshot(d1);
	CU_ASSERT_FALSE(mesh_session_ssh_create(&d1->s, ACCOUNT, NULL, &again, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_EXISTS);
	CU_ASSERT_PTR_NULL(again);
	after = snapshot(d1);
	CU_ASSERT_STRING_EQUAL(before, after);
	g_clear_pointer(&before, g_free);
	g_clear_pointer(&after, g_free);

	/* The connected device: refused by the portal (its clock is off), nothing left behind. */
	before = snapshot(d2);
	d2->s.clock = skewed_clock;
	CU_ASSERT_FALSE(mesh_session_ssh_create(&d2->s, ACCOUNT, &udf2, &line2, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNAUTHORIZED);
	d2->s.clock = test_clock;
	after = snapshot(d2);
	CU_ASSERT_STRING_EQUAL(before, after);
	/* Then made: published, but not in the SSHProfile until an administration device syncs. */
	CU_ASSERT_TRUE(mesh_session_ssh_create(&d2->s, ACCOUNT, &udf2, &line2, &error));
	MESH_ASSERT_NO_ERROR(error);
	keys = authorized(d1, 1);
	g_clear_pointer(&keys, g_ptr_array_unref);
	keys = authorized(d2, 0);
	g_clear_pointer(&keys, g_ptr_array_unref);
	sync_ok(d1);
	keys = authorized(d1, 2);
	CU_ASSERT_TRUE(lists_key(keys, c->device_udf, line2));
	CU_ASSERT_TRUE(lists_key(keys, alice->devices->pdata[0], line1));
	g_clear_pointer(&keys, g_ptr_array_unref);
	sync_ok(d2);
	keys = authorized(d2, 2);
	CU_ASSERT_TRUE(lists_key(keys, c->device_udf, line2));
	CU_ASSERT_TRUE(lists_key(keys, alice->devices->pdata[0], line1));
	g_clear_pointer(&keys, g_ptr_array_unref);
	/* A sync with nothing new changes nothing. */
	CU_ASSERT_TRUE(mesh_session_profile_get(&d1->s, ACCOUNT, &p1, &error));
	sync_ok(d1);
	{
		g_autoptr(MeshSessionProfile) p2 = NULL;

		CU_ASSERT_TRUE(mesh_session_profile_get(&d1->s, ACCOUNT, &p2, &error));
		CU_ASSERT_EQUAL(p1->serial, p2->serial);
	}

	/* Each device's own keys, from its hive alone. */
	CU_ASSERT_TRUE(mesh_session_ssh_keys(d2->hive, &keys, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL_FATAL(keys->len, 1);
	CU_ASSERT_STRING_EQUAL(((MeshSessionSshKey *)keys->pdata[0])->udf, udf2);
	CU_ASSERT_STRING_EQUAL(((MeshSessionSshKey *)keys->pdata[0])->public_line, line2);
	CU_ASSERT_STRING_EQUAL(((MeshSessionSshKey *)keys->pdata[0])->account, ACCOUNT);
	g_clear_pointer(&keys, g_ptr_array_unref);
	CU_ASSERT_TRUE(mesh_session_ssh_keys(fx.dev[2].hive, &keys, &error));
	CU_ASSERT_EQUAL(keys->len, 0);
	g_clear_pointer(&keys, g_ptr_array_unref);
	/* A damaged account entry is reported, not skipped. */
	CU_ASSERT_TRUE(mesh_hive_write(fx.dev[2].hive, MESH_HIVE_ACCOUNTS, "broken",
	                               (const guint8 *)"{\"Account\":1}", 13, NULL));
	CU_ASSERT_FALSE(mesh_session_ssh_keys(fx.dev[2].hive, &keys, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_MALFORMED);

	/* Deleting the account on a device removes its SSH key from the store. */
	CU_ASSERT_TRUE(mesh_session_profile_delete(&d2->s, ACCOUNT, FALSE, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_FALSE(mesh_keystore_get_public(d2->store, udf2, &gone, &error));
	CU_ASSERT_PTR_NOT_NULL(error);
	g_clear_error(&error);
	fx_clear(&fx);
}

/* ---- Repairing a stored profile; the portal an account uses -------------------------------- */

/* Flip one bit in the middle of @d's hive entry @name in @folder. */
static void
flip_entry(Dev *d, MeshHiveFolder folder, const char *name)
{
	g_autoptr(GBytes) data = NULL;
	GError *error = NULL;
	g_autofree guint8 *copy = NULL;
	gsize len = 0;

	CU_ASSERT_TRUE_FATAL(
	        mesh_hive_read(d->hive, folder, name, MESH_HIVE_ENTRY_MAX, &data, &error));
	copy = g_bytes_unref_to_data(g_steal_pointer(&data), &len);
	copy[len / 2] ^= 1;
	CU_ASSERT_TRUE(mesh_hive_write(d->hive, folder, name, copy, len, &error));
	MESH_ASSERT_NO_ERROR(error);
}

/* On the administration device @d1, publish the account's profile without the device @gone (as
 * an administration device that removes a device does). */
static void
publish_without(Fx *fx, Dev *d1, const MeshSessionProfile *alice, const char *gone)
{
	g_autofree char *name = g_strconcat(alice->identifier, ".json", NULL);
	MeshKeyStoreSigner signer = {d1->store, alice->admin_key};
	g_autoptr(GBytes) data = NULL;
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(JsonNode) signed_node = NULL;
	g_autoptr(MeshPersonalProfile) personal = NULL;
	g_autoptr(MeshKey) admin = NULL;
	g_autoptr(MeshPortalClient) client = mesh_portal_client_direct_new(fx->portal);
	g_autoptr(JsonObject) response = NULL;
	g_autofree char *text = NULL;
	JsonObject *request = json_object_new();
	GError *error = NULL;

	CU_ASSERT_TRUE_FATAL(mesh_hive_read(d1->hive, MESH_HIVE_PERSONAL_PROFILES, name,
	                                    MESH_HIVE_ENTRY_MAX, &data, &error));
	node = mesh_json_parse(g_bytes_get_data(data, NULL), g_bytes_get_size(data),
	                       MESH_HIVE_ENTRY_MAX, &error);
	personal = mesh_personal_profile_verify(node, &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_personal_profile_remove_device(personal, gone, NULL, &error));
	CU_ASSERT_TRUE(mesh_personal_profile_touch(personal, &error));
	CU_ASSERT_TRUE(mesh_keystore_get_public(d1->store, alice->admin_key, &admin, &error));
	MESH_ASSERT_NO_ERROR(error);
	signed_node = mesh_personal_profile_sign(personal, admin, mesh_keystore_jws_sign, &signer,
	                                         &error);
	MESH_ASSERT_NO_ERROR(error);
	json_object_set_string_member(request, "Account", ACCOUNT);
	json_object_set_member(request, "Entry", json_node_copy(signed_node));
	text = mesh_portal_request_sign("PublishRequest", request, admin, mesh_keystore_jws_sign,
	                                &signer, &error);
	MESH_ASSERT_NO_ERROR(error);
	response = mesh_portal_client_call(client, "PublishRequest", text, &error);
	MESH_ASSERT_NO_ERROR(error);
}

static void
test_repair(void)
{
	Fx fx;
	Dev *d1, *d2;
	GError *error = NULL;
	g_autoptr(MeshSessionProfile) alice = NULL;
	g_autoptr(MeshSessionProfile) got = NULL;
	g_autoptr(MeshSessionConnect) c = NULL;
	g_autoptr(GPtrArray) damaged = NULL;
	g_autofree char *name = NULL;
	g_autofree char *before = NULL, *after = NULL;
	MeshSessionConnectState state = 0;
	const MeshSessionDamage *d;

	fx_init(&fx);
	d1 = &fx.dev[0];
	d2 = &fx.dev[1];
	alice = create(d1, ACCOUNT);
	name = g_strconcat(alice->identifier, ".json", NULL);
	c = request(d2);
	CU_ASSERT_TRUE(mesh_session_connect_accept(&d1->s, ACCOUNT, c->witness, &error));
	CU_ASSERT_TRUE(mesh_session_connect_status(&d2->s, ACCOUNT, &state, &error));
	MESH_ASSERT_NO_ERROR(error);

	/* The portal a request names must be the account's (its domain's here), however spelt. */
	d1->s.portal_url = "HTTPS://Example.COM:443";
	CU_ASSERT_TRUE(mesh_session_profile_sync(&d1->s, ACCOUNT, NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	d1->s.portal_url = "https://portal.example.net";
	CU_ASSERT_FALSE(mesh_session_profile_sync(&d1->s, ACCOUNT, NULL, &error));
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_PTR_NOT_NULL(
	        strstr(error->message, "https://portal.example.net/.well-known/mmm/"));
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "https://example.com/.well-known/mmm/"));
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "mesh profile set-portal " ACCOUNT));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	d1->s.portal_url = NULL;

	/* A flipped bit: reported with its fix, repaired by sync. */
	flip_entry(d2, MESH_HIVE_PERSONAL_PROFILES, name);
	CU_ASSERT_FALSE(mesh_session_profile_get(&d2->s, ACCOUNT, &got, &error));
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "run 'mesh profile sync " ACCOUNT "'"));
	g_clear_error(&error);
	CU_ASSERT_TRUE(mesh_session_profile_list_damaged(&d2->s, &damaged, &error));
	CU_ASSERT_EQUAL_FATAL(damaged->len, 1);
	d = damaged->pdata[0];
	CU_ASSERT_STRING_EQUAL(d->account, ACCOUNT);
	CU_ASSERT_TRUE(g_str_has_prefix(d->entry, "PersonalProfiles/"));
	CU_ASSERT_PTR_NOT_NULL(strstr(d->fix, "mesh profile sync " ACCOUNT));
	g_clear_pointer(&damaged, g_ptr_array_unref);
	CU_ASSERT_TRUE(mesh_session_profile_sync(&d2->s, ACCOUNT, NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_session_profile_get(&d2->s, ACCOUNT, &got, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(got->devices->len, 2);
	g_clear_pointer(&got, mesh_session_profile_free);
	CU_ASSERT_TRUE(mesh_session_profile_list_damaged(&d2->s, &damaged, &error));
	CU_ASSERT_EQUAL(damaged->len, 0);
	g_clear_pointer(&damaged, g_ptr_array_unref);
	/* A deleted one. */
	CU_ASSERT_TRUE(mesh_hive_remove(d2->hive, MESH_HIVE_PERSONAL_PROFILES, name, &error));
	CU_ASSERT_TRUE(mesh_session_profile_sync(&d2->s, ACCOUNT, NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_session_profile_get(&d2->s, ACCOUNT, &got, &error));
	MESH_ASSERT_NO_ERROR(error);
	g_clear_pointer(&got, mesh_session_profile_free);

	/* Device 2 removed from the profile: its sync, and a repair, refuse and change nothing. */
	publish_without(&fx, d1, alice, c->device_udf);
	before = snapshot(d2);
	CU_ASSERT_FALSE(mesh_session_profile_sync(&d2->s, ACCOUNT, NULL, &error));
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "does not list this device"));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	after = snapshot(d2);
	CU_ASSERT_STRING_EQUAL(before, after);
	g_clear_pointer(&before, g_free);
	g_clear_pointer(&after, g_free);
	flip_entry(d2, MESH_HIVE_PERSONAL_PROFILES, name);
	before = snapshot(d2);
	CU_ASSERT_FALSE(mesh_session_profile_sync(&d2->s, ACCOUNT, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	after = snapshot(d2);
	CU_ASSERT_STRING_EQUAL(before, after);
	/* Device 1, still listed, takes it. */
	CU_ASSERT_TRUE(mesh_session_profile_sync(&d1->s, ACCOUNT, &got, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(got->devices->len, 1);
	fx_clear(&fx);
}

/* ---- Logins, deleting applications, names, a locked key ---------------------------------- */

/* @d joins alice's profile, accepted on the administration device @admin. */
static void
join(Dev *admin, Dev *d)
{
	g_autoptr(MeshSessionConnect) c = request(d);
	MeshSessionConnectState state = 0;
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_session_connect_accept(&admin->s, ACCOUNT, c->witness, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_session_connect_status(&d->s, ACCOUNT, &state, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(state, MESH_SESSION_CONNECT_ACCEPTED);
}

/* Store @password for @user at @site on @d as @mode says: the answer must be @want. */
static void
store_password(Dev *d, const char *site, const char *user, const char *password,
               MeshSessionPasswordMode mode, MeshError want)
{
	g_autoptr(MeshSecret) pw = mesh_secret_new_from_data(password, strlen(password) + 1);
	GError *error = NULL;

	CU_ASSERT_EQUAL(
	        mesh_session_password_add(&d->s, ACCOUNT, site, user, pw, mode, NULL, NULL, &error),
	        want == MESH_ERROR_OK);
	if (want == MESH_ERROR_OK)
		MESH_ASSERT_NO_ERROR(error);
	else
		MESH_ASSERT_ERROR(error, want);
}

/* The login of @user (NULL: the only one) at @site on @d is @want_user's, with @want. */
static void
password_is(Dev *d, const char *site, const char *user, const char *want_user, const char *want)
{
	g_autoptr(MeshSecret) pw = NULL;
	g_autofree char *got_user = NULL;
	GError *error = NULL;

	CU_ASSERT_TRUE(
	        mesh_session_password_get(&d->s, ACCOUNT, site, user, &got_user, &pw, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pw);
	CU_ASSERT_STRING_EQUAL(got_user, want_user);
	CU_ASSERT_STRING_EQUAL((const char *)mesh_secret_get(pw), want);
}

/* The error of @d's password get at @site without a user name: several logins. */
static char *
which_login(Dev *d, const char *site)
{
	g_autoptr(MeshSecret) pw = NULL;
	GError *error = NULL;
	char *message;

	CU_ASSERT_FALSE(mesh_session_password_get(&d->s, ACCOUNT, site, NULL, NULL, &pw, &error));
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_PTR_NULL(pw);
	message = g_strdup(error->message);
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	return message;
}

/* Several logins at one site: each added, changed, read and deleted on its own. */
static void
test_logins(void)
{
	Fx fx;
	Dev *d1, *d2;
	GError *error = NULL;
	g_autoptr(MeshSessionProfile) alice = NULL;
	g_autoptr(GPtrArray) logins = NULL;
	g_autoptr(MeshSecret) pw = NULL;
	g_autofree char *before = NULL, *after = NULL, *message = NULL;

	fx_init(&fx);
	d1 = &fx.dev[0];
	d2 = &fx.dev[1];
	alice = create(d1, ACCOUNT);
	join(d1, d2);
	store_password(d1, "github.com", "alice", "a1", MESH_SESSION_PASSWORD_ADD, MESH_ERROR_OK);
	store_password(d1, "github.com", "bob", "b1", MESH_SESSION_PASSWORD_ADD, MESH_ERROR_OK);
	/* The same login again: Exists, and nothing changed. */
	before = snapshot(d1);
	store_password(d1, "GitHub.com", "bob", "b2", MESH_SESSION_PASSWORD_ADD, MESH_ERROR_EXISTS);
	after = snapshot(d1);
	CU_ASSERT_STRING_EQUAL(before, after);
	/* Changing is explicit, and only of a stored login. */
	store_password(d1, "github.com", "carol", "c1", MESH_SESSION_PASSWORD_SET,
	               MESH_ERROR_NOT_FOUND);
	store_password(d1, "github.com", "bob", "b2", MESH_SESSION_PASSWORD_SET, MESH_ERROR_OK);
	store_password(d1, "github.com", "e\"ve", "e1", MESH_SESSION_PASSWORD_ADD, MESH_ERROR_OK);
	/* Empty and blank sites are refused. */
	store_password(d1, "", "bob", "x", MESH_SESSION_PASSWORD_ADD, MESH_ERROR_INVALID_ARGUMENT);
	store_password(d1, " \xe3\x80\x80", "bob", "x", MESH_SESSION_PASSWORD_ADD,
	               MESH_ERROR_INVALID_ARGUMENT);

	/* Device 2 reads each login by its user name. */
	sync_ok(d2);
	password_is(d2, "github.com", "alice", "alice", "a1");
	password_is(d2, "GITHUB.COM", "bob", "bob", "b2");
	/* Without one it is told the user names (escaped), and to give one. */
	message = which_login(d2, "github.com");
	CU_ASSERT_PTR_NOT_NULL(strstr(message, "'alice', 'bob', 'e\\\"ve'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(message, "--user"));
	CU_ASSERT_TRUE(mesh_session_password_list(&d2->s, ACCOUNT, &logins, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL_FATAL(logins->len, 3);
	CU_ASSERT_STRING_EQUAL(((MeshSessionLogin *)logins->pdata[0])->site, "github.com");
	CU_ASSERT_STRING_EQUAL(((MeshSessionLogin *)logins->pdata[0])->username, "alice");
	CU_ASSERT_STRING_EQUAL(((MeshSessionLogin *)logins->pdata[1])->username, "bob");
	CU_ASSERT_STRING_EQUAL(((MeshSessionLogin *)logins->pdata[2])->username, "e\"ve");

	/* Deleting needs the user name too, and takes only that login. */
	CU_ASSERT_FALSE(mesh_session_password_delete(&d1->s, ACCOUNT, "github.com", NULL, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(
	        mesh_session_password_delete(&d1->s, ACCOUNT, "github.com", "carol", NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_TRUE(
	        mesh_session_password_delete(&d1->s, ACCOUNT, "github.com", "alice", NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(
	        mesh_session_password_delete(&d1->s, ACCOUNT, "github.com", "e\"ve", NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	sync_ok(d2);
	/* One login left: no user name needed. */
	password_is(d2, "github.com", NULL, "bob", "b2");
	CU_ASSERT_FALSE(mesh_session_password_get(&d2->s, ACCOUNT, "github.com", "alice", NULL, &pw,
	                                          &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	fx_clear(&fx);
}

/* The application named @name on @d's list: its identifier, or NULL. */
static char *
app_named(Dev *d, const char *name)
{
	g_autoptr(GPtrArray) apps = NULL;
	GError *error = NULL;

	CU_ASSERT_TRUE(mesh_session_app_list(&d->s, ACCOUNT, &apps, &error));
	MESH_ASSERT_NO_ERROR(error);
	g_ptr_array_set_free_func(apps, (GDestroyNotify)mesh_session_app_free);
	for (guint i = 0; i < apps->len; i++) {
		const MeshSessionApp *a = apps->pdata[i];

		if (g_strcmp0(a->friendly, name) == 0)
			return g_strdup(a->identifier);
	}
	return NULL;
}

/* Whether @d's hive holds the application profile @identifier. */
static gboolean
holds_app(Dev *d, const char *identifier)
{
	g_autofree char *name = g_strconcat(identifier, ".json", NULL);
	g_autoptr(GBytes) data = NULL;

	return mesh_hive_read(d->hive, MESH_HIVE_APPLICATION_PROFILES, name, MESH_HIVE_ENTRY_MAX,
	                      &data, NULL);
}

static void
app_delete_fails(Dev *d, const char *name, MeshError want)
{
	GError *error = NULL;

	CU_ASSERT_FALSE(mesh_session_app_delete(&d->s, ACCOUNT, name, NULL, &error));
	MESH_ASSERT_ERROR(error, want);
}

/* AppDelete: gone from the profile, here and on the other device after its sync; the Mesh's own
 * applications are refused; empty and blank names are refused when an application is made. */
static void
test_app_delete(void)
{
	Fx fx;
	Dev *d1, *d2;
	GError *error = NULL;
	g_autoptr(MeshSessionProfile) alice = NULL;
	g_autoptr(MeshSecret) data = mesh_secret_new_from_data("{\"a\":1}", 8);
	g_autoptr(MeshSecret) plaintext = NULL;
	g_autofree char *mail = NULL, *notes = NULL, *ssh = NULL, *udf = NULL, *line = NULL;

	fx_init(&fx);
	d1 = &fx.dev[0];
	d2 = &fx.dev[1];
	alice = create(d1, ACCOUNT);
	join(d1, d2);
	CU_ASSERT_TRUE(mesh_session_app_add_generic(&d1->s, ACCOUNT, "mail", &mail, NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_session_app_add_generic(&d1->s, ACCOUNT, "notes", &notes, NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_session_app_set(&d1->s, ACCOUNT, "mail", data, NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	store_password(d1, "example.com", "alice", "a1", MESH_SESSION_PASSWORD_ADD, MESH_ERROR_OK);
	CU_ASSERT_TRUE(mesh_session_ssh_create(&d1->s, ACCOUNT, &udf, &line, &error));
	MESH_ASSERT_NO_ERROR(error);
	ssh = app_named(d1, "SSH");
	CU_ASSERT_PTR_NOT_NULL(ssh);
	sync_ok(d2);
	CU_ASSERT_TRUE(holds_app(d2, mail));

	/* Empty and blank names are no names. */
	CU_ASSERT_FALSE(mesh_session_app_add_generic(&d1->s, ACCOUNT, "", NULL, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);
	CU_ASSERT_FALSE(mesh_session_app_add_generic(&d1->s, ACCOUNT, "\xc2\xa0 ", NULL, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_INVALID_ARGUMENT);

	/* Refused: not an administration device, the Mesh's own, an unknown name. */
	app_delete_fails(d2, "mail", MESH_ERROR_UNAUTHORIZED);
	app_delete_fails(d1, "Passwords", MESH_ERROR_PERMISSION);
	app_delete_fails(d1, "SSH", MESH_ERROR_PERMISSION);
	app_delete_fails(d1, "none", MESH_ERROR_NOT_FOUND);
	CU_ASSERT_TRUE(holds_app(d1, ssh));

	CU_ASSERT_TRUE(mesh_session_app_delete(&d1->s, ACCOUNT, "mail", NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	app_delete_fails(d1, "mail", MESH_ERROR_NOT_FOUND);
	CU_ASSERT_PTR_NULL(app_named(d1, "mail"));
	CU_ASSERT_FALSE(holds_app(d1, mail));
	CU_ASSERT_FALSE(mesh_session_app_get(&d1->s, ACCOUNT, "mail", &plaintext, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	/* Device 2 drops it when it syncs; the rest stays. */
	sync_ok(d2);
	CU_ASSERT_PTR_NULL(app_named(d2, "mail"));
	CU_ASSERT_FALSE(holds_app(d2, mail));
	CU_ASSERT_FALSE(mesh_session_app_get(&d2->s, ACCOUNT, "mail", &plaintext, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_TRUE(holds_app(d2, notes));
	password_is(d2, "example.com", NULL, "alice", "a1");
	/* A generic application may bear the name of one of the Mesh's own: that one goes. */
	CU_ASSERT_TRUE(mesh_session_app_add_generic(&d1->s, ACCOUNT, "SSH", NULL, NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_session_app_delete(&d1->s, ACCOUNT, "SSH", NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(holds_app(d1, ssh));
	fx_clear(&fx);
}

/* @app's SignedApplicationProfile on @d with the first character of its ciphertext changed and
 * signed again by the administration key: only the encryption can tell. */
static void
tamper_sealed(Dev *d, const char *app, const char *admin_key, const char *profile_udf)
{
	g_autofree char *app_file = g_strconcat(app, ".json", NULL);
	g_autofree char *profile_file = g_strconcat(profile_udf, ".json", NULL);
	g_autoptr(GBytes) app_data = NULL, profile_data = NULL;
	g_autoptr(MeshPersonalProfile) personal = NULL;
	g_autoptr(MeshApplicationProfile) profile = NULL;
	g_autoptr(MeshKey) admin = NULL;
	g_autoptr(JsonNode) signed_node = NULL;
	g_autofree char *text = NULL;
	g_autofree char *cipher = NULL;
	MeshKeyStoreSigner signer = {d->store, admin_key};
	JsonObject *jwe;
	GError *error = NULL;

	CU_ASSERT_TRUE_FATAL(mesh_hive_read(d->hive, MESH_HIVE_PERSONAL_PROFILES, profile_file,
	                                    MESH_HIVE_ENTRY_MAX, &profile_data, &error));
	personal = mesh_personal_profile_parse(g_bytes_get_data(profile_data, NULL),
	                                       g_bytes_get_size(profile_data), &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE_FATAL(mesh_hive_read(d->hive, MESH_HIVE_APPLICATION_PROFILES, app_file,
	                                    MESH_HIVE_ENTRY_MAX, &app_data, &error));
	profile = mesh_application_profile_parse(g_bytes_get_data(app_data, NULL),
	                                         g_bytes_get_size(app_data), personal->master,
	                                         &error);
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(profile);
	jwe = json_node_get_object(profile->shared_private);
	cipher = g_strdup(json_object_get_string_member(jwe, "ciphertext"));
	cipher[0] = cipher[0] == 'A' ? 'B' : 'A';
	json_object_set_string_member(jwe, "ciphertext", cipher);
	CU_ASSERT_TRUE_FATAL(mesh_keystore_get_public(d->store, admin_key, &admin, &error));
	signed_node = mesh_application_profile_sign(profile, personal->master, admin,
	                                            mesh_keystore_jws_sign, &signer, &error);
	MESH_ASSERT_NO_ERROR(error);
	text = mesh_json_to_string(signed_node);
	CU_ASSERT_TRUE(mesh_hive_write(d->hive, MESH_HIVE_APPLICATION_PROFILES, app_file,
	                               (const guint8 *)text, strlen(text), &error));
	MESH_ASSERT_NO_ERROR(error);
}

/* Every read of application data on a device whose keys are locked is Locked, with what to do;
 * unlocked, it reads; data tampered with is still DecryptFailed. */
static void
test_locked(void)
{
	Fx fx;
	Dev *d1;
	GError *error = NULL;
	g_autoptr(MeshSecret) pass = mesh_secret_new_from_data("correct horse", 14);
	g_autoptr(MeshSessionProfile) alice = NULL;
	g_autoptr(MeshSecret) plaintext = NULL;
	g_autoptr(MeshSecret) pw = NULL;
	g_autoptr(GPtrArray) logins = NULL;
	g_autofree char *mail = NULL;

	fx_init(&fx);
	d1 = &fx.dev[0];
	d1->s.passphrase = pass;
	alice = create(d1, ACCOUNT);
	store_password(d1, "example.com", "alice", "a1", MESH_SESSION_PASSWORD_ADD, MESH_ERROR_OK);
	CU_ASSERT_TRUE(mesh_session_app_add_generic(&d1->s, ACCOUNT, "mail", &mail, NULL, &error));
	MESH_ASSERT_NO_ERROR(error);

	mesh_keystore_lock(d1->store);
	CU_ASSERT_FALSE(
	        mesh_session_password_get(&d1->s, ACCOUNT, "example.com", NULL, NULL, &pw, &error));
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "mesh unlock"));
	MESH_ASSERT_ERROR(error, MESH_ERROR_LOCKED);
	CU_ASSERT_FALSE(mesh_session_password_list(&d1->s, ACCOUNT, &logins, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_LOCKED);
	CU_ASSERT_FALSE(mesh_session_app_get(&d1->s, ACCOUNT, "mail", &plaintext, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_LOCKED);
	CU_ASSERT_FALSE(mesh_session_password_delete(&d1->s, ACCOUNT, "example.com", NULL, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_LOCKED);

	CU_ASSERT_TRUE(mesh_keystore_unlock(d1->store, pass, &error));
	MESH_ASSERT_NO_ERROR(error);
	password_is(d1, "example.com", NULL, "alice", "a1");
	CU_ASSERT_TRUE(mesh_session_app_get(&d1->s, ACCOUNT, "mail", &plaintext, &error));
	MESH_ASSERT_NO_ERROR(error);
	g_clear_pointer(&plaintext, mesh_secret_free);

	/* Tampered with, signed again: DecryptFailed, unlocked or locked alike never Locked. */
	tamper_sealed(d1, mail, alice->admin_key, alice->identifier);
	CU_ASSERT_FALSE(mesh_session_app_get(&d1->s, ACCOUNT, "mail", &plaintext, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_DECRYPT);
	fx_clear(&fx);
}

/* ---- Keys a profile depends on; deleting a profile that is not escrowed -------------------- */

static MeshSessionKeyRole
role_of(GHashTable *roles, const char *udf, const char **ret_owner)
{
	const MeshSessionKeyOwner *o = g_hash_table_lookup(roles, udf);

	*ret_owner = o != NULL ? o->owner : NULL;
	return o != NULL ? o->role : MESH_SESSION_KEY_IMPORTED;
}

/* Write the account entry of ACCOUNT on @d without its "Escrows" (as an older version did). */
static void
forget_escrows(Dev *d)
{
	g_autoptr(GBytes) data = NULL;
	g_autoptr(JsonNode) node = NULL;
	g_autofree char *text = NULL;
	GError *error = NULL;

	CU_ASSERT_TRUE_FATAL(mesh_hive_read(d->hive, MESH_HIVE_ACCOUNTS, "alice_AT_example.com",
	                                    MESH_HIVE_ENTRY_MAX, &data, &error));
	node = mesh_json_parse(g_bytes_get_data(data, NULL), g_bytes_get_size(data),
	                       MESH_HIVE_ENTRY_MAX, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(node);
	CU_ASSERT_TRUE(json_object_has_member(json_node_get_object(node), "Escrows"));
	json_object_remove_member(json_node_get_object(node), "Escrows");
	text = mesh_json_to_string(node);
	CU_ASSERT_TRUE(mesh_hive_write(d->hive, MESH_HIVE_ACCOUNTS, "alice_AT_example.com",
	                               (const guint8 *)text, strlen(text), &error));
	MESH_ASSERT_NO_ERROR(error);
}

static void
delete_refused(Dev *d)
{
	g_autofree char *before = snapshot(d);
	g_autofree char *after = NULL;
	GError *error = NULL;

	CU_ASSERT_FALSE(mesh_session_profile_delete(&d->s, ACCOUNT, FALSE, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_PERMISSION);
	after = snapshot(d);
	CU_ASSERT_STRING_EQUAL(before, after);
}

static void
test_key_roles_and_delete(void)
{
	Fx fx;
	Dev *d1, *d2;
	GError *error = NULL;
	g_autoptr(MeshSessionProfile) alice = NULL;
	g_autoptr(MeshSessionProfile) got = NULL;
	g_autoptr(MeshSessionProfile) recovered = NULL;
	g_autoptr(MeshSessionConnect) c = NULL;
	g_autoptr(MeshDeviceProfile) device = NULL;
	g_autoptr(GHashTable) roles = NULL;
	g_autoptr(GPtrArray) shares = NULL;
	g_autofree char *ssh = NULL, *before = NULL, *after = NULL, *text = NULL;
	MeshSessionConnectState state = 0;
	const char *owner = NULL;
	const char *two[2];

	fx_init(&fx);
	d1 = &fx.dev[0];
	d2 = &fx.dev[1];
	alice = create(d1, ACCOUNT);
	CU_ASSERT_TRUE(alice->master_keys);
	CU_ASSERT_EQUAL(alice->escrows->len, 0);
	CU_ASSERT_TRUE(mesh_session_ssh_create(&d1->s, ACCOUNT, &ssh, NULL, &error));
	MESH_ASSERT_NO_ERROR(error);

	/* What each key is for. */
	CU_ASSERT_TRUE(mesh_session_key_roles(d1->hive, TRUE, &roles, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE_FATAL(mesh_device_load(d1->hive, NULL, &device, NULL, &error));
	CU_ASSERT_EQUAL(role_of(roles, mesh_key_udf(device->signature_key), &owner),
	                MESH_SESSION_KEY_DEVICE);
	CU_ASSERT_STRING_EQUAL(owner, device->identifier);
	CU_ASSERT_EQUAL(role_of(roles, mesh_key_udf(device->encryption_key), &owner),
	                MESH_SESSION_KEY_DEVICE);
	CU_ASSERT_EQUAL(role_of(roles, alice->identifier, &owner), MESH_SESSION_KEY_MASTER);
	CU_ASSERT_STRING_EQUAL(owner, ACCOUNT);
	CU_ASSERT_EQUAL(role_of(roles, alice->admin_key, &owner), MESH_SESSION_KEY_ADMINISTRATION);
	CU_ASSERT_EQUAL(role_of(roles, ssh, &owner), MESH_SESSION_KEY_SSH);
	CU_ASSERT_STRING_EQUAL(owner, ACCOUNT);
	CU_ASSERT_EQUAL(g_hash_table_size(roles), 7);
	CU_ASSERT_EQUAL(role_of(roles, "MAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA", &owner),
	                MESH_SESSION_KEY_IMPORTED);
	{
		GHashTableIter iter;
		gpointer key, value;
		guint escrow = 0;

		g_hash_table_iter_init(&iter, roles);
		while (g_hash_table_iter_next(&iter, &key, &value)) {
			const MeshSessionKeyOwner *o = value;
			g_autofree char *what = mesh_session_key_owner_text(o);

			escrow += o->role == MESH_SESSION_KEY_ESCROW;
			CU_ASSERT_PTR_NOT_NULL(strstr(what, o->owner));
		}
		CU_ASSERT_EQUAL(escrow, 1);
	}
	text = mesh_session_key_owner_text(g_hash_table_lookup(roles, alice->identifier));
	CU_ASSERT_STRING_EQUAL(text, "the master signature key of " ACCOUNT "'s profile");
	g_clear_pointer(&roles, g_hash_table_unref);

	/* A stored profile that does not verify: strict refuses to say, lenient skips it. */
	{
		g_autofree char *name = g_strconcat(alice->identifier, ".json", NULL);
		g_autoptr(GBytes) good = NULL;

		CU_ASSERT_TRUE(mesh_hive_read(d1->hive, MESH_HIVE_PERSONAL_PROFILES, name,
		                              MESH_HIVE_ENTRY_MAX, &good, NULL));
		CU_ASSERT_TRUE(mesh_hive_write(d1->hive, MESH_HIVE_PERSONAL_PROFILES, name,
		                               (const guint8 *)"{}", 2, NULL));
		CU_ASSERT_FALSE(mesh_session_key_roles(d1->hive, TRUE, &roles, &error));
		CU_ASSERT_PTR_NOT_NULL(error);
		g_clear_error(&error);
		CU_ASSERT_TRUE(mesh_session_key_roles(d1->hive, FALSE, &roles, &error));
		MESH_ASSERT_NO_ERROR(error);
		/* The account entry still names the master, administration and SSH keys. */
		CU_ASSERT_EQUAL(g_hash_table_size(roles), 6);
		g_clear_pointer(&roles, g_hash_table_unref);
		CU_ASSERT_TRUE(mesh_hive_write(d1->hive, MESH_HIVE_PERSONAL_PROFILES, name,
		                               g_bytes_get_data(good, NULL), g_bytes_get_size(good),
		                               NULL));
	}

	/* Not escrowed: deleting on the only administration device is refused, changing
	 * nothing; a connected device (no master keys, not an administration device) may. */
	delete_refused(d1);
	c = request(d2);
	CU_ASSERT_TRUE(mesh_session_connect_accept(&d1->s, ACCOUNT, c->witness, &error));
	CU_ASSERT_TRUE(mesh_session_connect_status(&d2->s, ACCOUNT, &state, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_TRUE(mesh_session_profile_get(&d2->s, ACCOUNT, &got, &error));
	CU_ASSERT_FALSE(got->master_keys);
	CU_ASSERT_TRUE(mesh_session_profile_delete(&d2->s, ACCOUNT, FALSE, &error));
	MESH_ASSERT_NO_ERROR(error);

	/* Escrowed: recorded in the account entry, and delete goes on. */
	shares = escrow(d1, ACCOUNT, 2, 3);
	g_clear_pointer(&got, mesh_session_profile_free);
	CU_ASSERT_TRUE(mesh_session_profile_get(&d1->s, ACCOUNT, &got, &error));
	CU_ASSERT_EQUAL(got->escrows->len, 1);
	/* An entry without the record (an older version's) is refused again, until a drill
	 * with the shares records the escrow. */
	forget_escrows(d1);
	delete_refused(d1);
	two[0] = share(shares, 0);
	two[1] = share(shares, 2);
	CU_ASSERT_TRUE(mesh_session_escrow_verify(&d1->s, ACCOUNT, NULL, two, 2, &error));
	MESH_ASSERT_NO_ERROR(error);
	g_clear_pointer(&got, mesh_session_profile_free);
	CU_ASSERT_TRUE(mesh_session_profile_get(&d1->s, ACCOUNT, &got, &error));
	CU_ASSERT_EQUAL(got->escrows->len, 1);
	CU_ASSERT_TRUE(mesh_session_profile_delete(&d1->s, ACCOUNT, FALSE, &error));
	MESH_ASSERT_NO_ERROR(error);

	/* Recovered: the shares used are the escrow; force deletes without one. */
	CU_ASSERT_TRUE(
	        mesh_session_profile_recover(&d1->s, ACCOUNT, two, 2, NULL, &recovered, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(recovered->escrows->len, 1);
	CU_ASSERT_STRING_EQUAL(recovered->escrows->pdata[0], got->escrows->pdata[0]);
	forget_escrows(d1);
	delete_refused(d1);
	CU_ASSERT_TRUE(mesh_session_profile_delete(&d1->s, ACCOUNT, TRUE, &error));
	MESH_ASSERT_NO_ERROR(error);

	/* While the hive's keys are locked nothing that makes keys runs, and nothing changes. */
	d2->s.keys_locked = TRUE;
	before = snapshot(d2);
	CU_ASSERT_FALSE(mesh_session_profile_create(&d2->s, "bob@example.com", NULL, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_LOCKED);
	CU_ASSERT_FALSE(mesh_session_profile_recover(&d2->s, ACCOUNT, two, 2, NULL, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_LOCKED);
	after = snapshot(d2);
	CU_ASSERT_STRING_EQUAL(before, after);
	fx_clear(&fx);
}

/* A MeshSessionStoreFor that records the key it was asked about, and opens @data's hive's file
 * store again (or fails, when asked to). */
typedef struct {
	MeshHive *hive;
	char *asked;
	gboolean fail;
} StoreFor;

static StoreFor store_for_state;

static MeshKeyStore *
store_for(MeshKeyStore *store, const char *udf, GError **error)
{
	g_free(store_for_state.asked);
	store_for_state.asked = g_strdup(udf);
	if (store_for_state.fail) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED, "no such store here");
		return NULL;
	}
	return mesh_keystore_file_new(store_for_state.hive, error);
}

/* Before: the account deleted on this device as the SSH key's publication goes out (an agent
 * runs local requests while a remote one waits for the portal). */
static void
delete_on_ssh_publish(const char *request, gpointer data)
{
	Dev *d = data;

	/* The first signed transaction of a rotation publishes the key. */
	if (strstr(request, "\"SignedTransaction\"") == NULL)
		return;
	d->before = NULL;
	CU_ASSERT_TRUE(mesh_session_profile_delete(&d->s, ACCOUNT, TRUE, NULL));
}

/* mesh_session_ssh_rotate: the new key is made where store_for says for the old one; refusals
 * before the publication (no key, the store, the portal) leave the hive as it was; after, the
 * old key is gone from the store and the SSHProfile, the new one listed and served. */
static void
test_ssh_rotate(void)
{
	Fx fx;
	Dev *d1;
	GError *error = NULL;
	g_autoptr(MeshSessionProfile) alice = NULL;
	g_autoptr(MeshSessionSshKey) key = NULL;
	g_autoptr(GPtrArray) keys = NULL;
	g_autoptr(MeshKey) pub = NULL;
	g_autofree char *udf = NULL, *line = NULL, *old = NULL, *before = NULL, *after = NULL;

	fx_init(&fx);
	d1 = &fx.dev[0];
	alice = create(d1, ACCOUNT);
	store_for_state.hive = d1->hive;
	CU_ASSERT_FALSE(mesh_session_ssh_rotate(&d1->s, ACCOUNT, store_for, &key, &old, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_TRUE(mesh_session_ssh_create(&d1->s, ACCOUNT, &udf, &line, &error));
	MESH_ASSERT_NO_ERROR(error);

	before = snapshot(d1);
	store_for_state.fail = TRUE;
	CU_ASSERT_FALSE(mesh_session_ssh_rotate(&d1->s, ACCOUNT, store_for, &key, &old, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNSUPPORTED);
	CU_ASSERT_STRING_EQUAL(store_for_state.asked, udf);
	store_for_state.fail = FALSE;
	d1->s.clock = skewed_clock;
	CU_ASSERT_FALSE(mesh_session_ssh_rotate(&d1->s, ACCOUNT, store_for, &key, &old, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_UNAUTHORIZED);
	d1->s.clock = test_clock;
	d1->s.keys_locked = TRUE;
	CU_ASSERT_FALSE(mesh_session_ssh_rotate(&d1->s, ACCOUNT, NULL, &key, &old, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_LOCKED);
	d1->s.keys_locked = FALSE;
	after = snapshot(d1);
	CU_ASSERT_STRING_EQUAL(before, after);

	CU_ASSERT_TRUE(mesh_session_ssh_rotate(&d1->s, ACCOUNT, store_for, &key, &old, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(key);
	CU_ASSERT_STRING_EQUAL(old, udf);
	CU_ASSERT_STRING_NOT_EQUAL(key->udf, udf);
	CU_ASSERT_STRING_EQUAL(key->account, ACCOUNT);
	CU_ASSERT_PTR_NOT_NULL(strstr(key->public_line, " mesh:" ACCOUNT ":"));
	CU_ASSERT_FALSE(mesh_keystore_get_public(d1->store, udf, &pub, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_TRUE(mesh_keystore_get_public(d1->store, key->udf, &pub, &error));
	MESH_ASSERT_NO_ERROR(error);
	keys = authorized(d1, 1);
	CU_ASSERT_TRUE(lists_key(keys, alice->devices->pdata[0], key->public_line));
	g_clear_pointer(&keys, g_ptr_array_unref);
	CU_ASSERT_TRUE(mesh_session_ssh_keys(d1->hive, &keys, &error));
	CU_ASSERT_EQUAL_FATAL(keys->len, 1);
	CU_ASSERT_STRING_EQUAL(((MeshSessionSshKey *)keys->pdata[0])->udf, key->udf);
	g_clear_pointer(&keys, g_ptr_array_unref);

	/* The account deleted while the rotation waits for the portal: not brought back, and
	 * the new key does not stay (the device's three keys are all that is left). */
	g_clear_pointer(&key, mesh_session_ssh_key_free);
	d1->before = delete_on_ssh_publish;
	d1->before_data = d1;
	CU_ASSERT_FALSE(mesh_session_ssh_rotate(&d1->s, ACCOUNT, NULL, &key, NULL, &error));
	MESH_ASSERT_ERROR(error, MESH_ERROR_NOT_FOUND);
	CU_ASSERT_PTR_NULL(d1->before);
	CU_ASSERT_TRUE(mesh_session_ssh_keys(d1->hive, &keys, &error));
	CU_ASSERT_EQUAL(keys->len, 0);
	g_clear_pointer(&keys, g_ptr_array_unref);
	CU_ASSERT_TRUE(mesh_keystore_list(d1->store, &keys, &error));
	CU_ASSERT_EQUAL(keys->len, 3);
	g_clear_pointer(&store_for_state.asked, g_free);
	fx_clear(&fx);
}

static CU_TestInfo tests[] = {
        {"walk-through: create, escrow, delete, recover, connect, passwords, applications",
         test_walkthrough},
        {"recovery refused: too few, corrupt, foreign shares; nothing changed",
         test_recover_refused},
        {"connect: a portal that alters the nonce", test_connect_witness_mismatch},
        {"connect: a portal that substitutes the device profile", test_connect_device_swapped},
        {"connect: rejected, expired", test_connect_reject_expire},
        {"connect: the whole witness only", test_connect_whole_witness},
        {"ssh: create on both devices, fold on sync, authorized keys, own keys", test_ssh},
        {"ssh rotate: the old key's store, refusals change nothing, the old key goes",
         test_ssh_rotate},
        {"passwords: several logins per site, changed only on request", test_logins},
        {"applications: delete, the Mesh's own refused, dropped on sync; names", test_app_delete},
        {"a locked key: Locked on every application read; tampered: DecryptFailed", test_locked},
        {"key roles; profile delete refused without an escrow; keys_locked",
         test_key_roles_and_delete},
        {"repair: damaged, deleted, removed device; the portal a request names", test_repair},
        CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("session", tests);
}
