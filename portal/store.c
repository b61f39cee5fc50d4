/* SPDX-License-Identifier: MIT */
#include "store.h"

#include <string.h>

#include "error.h"

void
mesh_portal_account_free(MeshPortalAccount *account)
{
	if (account == NULL)
		return;
	g_free(account->name);
	g_free(account->identifier);
	g_free(account->profile);
	g_free(account);
}

void
mesh_portal_entry_free(MeshPortalEntry *entry)
{
	if (entry == NULL)
		return;
	g_free(entry->identifier);
	g_free(entry->account);
	g_free(entry->type);
	g_free(entry->text);
	g_free(entry);
}

void
mesh_portal_connection_free(MeshPortalConnection *connection)
{
	if (connection == NULL)
		return;
	g_free(connection->account);
	g_free(connection->device);
	g_free(connection->request);
	g_free(connection->server_nonce);
	g_free(connection->witness);
	g_free(connection->result);
	g_free(connection->client);
	g_free(connection);
}

static const char *const state_names[] = {
	[MESH_PORTAL_CONNECT_PENDING] = "Pending",
	[MESH_PORTAL_CONNECT_ACCEPTED] = "Accepted",
	[MESH_PORTAL_CONNECT_REJECTED] = "Rejected",
	[MESH_PORTAL_CONNECT_EXPIRED] = "Expired",
};

const char *
mesh_portal_connect_state_name(MeshPortalConnectState state)
{
	if ((unsigned)state >= G_N_ELEMENTS(state_names))
		return NULL;
	return state_names[state];
}

/* ---- Argument checks: the stores may trust what reaches them ----------------------------- */

static gboolean
check_arg(const char *value, const char *what, gsize max, GError **error)
{
	gsize len;

	if (value == NULL || *value == '\0') {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT, "the %s is missing",
			    what);
		return FALSE;
	}
	len = strnlen(value, max + 1);
	if (len > max) {
		g_set_error(error, MESH_ERROR,
			    max == MESH_PORTAL_STORE_TEXT_MAX ? MESH_ERROR_TOO_LARGE
							      : MESH_ERROR_INVALID_ARGUMENT,
			    "the %s is longer than %zu bytes", what, max);
		return FALSE;
	}
	return TRUE;
}

static gboolean
check_name(const char *value, const char *what, GError **error)
{
	return check_arg(value, what, MESH_PORTAL_STORE_NAME_MAX, error);
}

static gboolean
check_text(const char *value, const char *what, GError **error)
{
	return check_arg(value, what, MESH_PORTAL_STORE_TEXT_MAX, error);
}

static gboolean
check_serial(gint64 serial, GError **error)
{
	if (serial >= 0)
		return TRUE;
	g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		    "a serial is never negative (got %" G_GINT64_FORMAT ")", serial);
	return FALSE;
}

/* ---- Dispatchers ------------------------------------------------------------------------- */

const char *
mesh_portal_store_name(const MeshPortalStore *store)
{
	return store->klass->name;
}

void
mesh_portal_store_init(MeshPortalStore *store, const MeshPortalStoreClass *klass)
{
	/* ping came after the first stores: a store written without one fails here, at open, not
	 * at the first health check. */
	g_assert(klass->ping != NULL);
	store->klass = klass;
	store->limits.pending_per_client = MESH_PORTAL_DEFAULT_PENDING_PER_CLIENT;
	store->limits.entries_per_account = MESH_PORTAL_DEFAULT_ENTRIES_PER_ACCOUNT;
	store->limits.bytes_per_account = MESH_PORTAL_DEFAULT_BYTES_PER_ACCOUNT;
	store->limits.creations_per_client = MESH_PORTAL_DEFAULT_CREATIONS_PER_CLIENT;
	g_mutex_init(&store->nonces.lock);
	store->nonces.queue = g_ptr_array_new();
}

void
mesh_portal_store_set_limits(MeshPortalStore *store, const MeshPortalStoreLimits *limits)
{
	store->limits = *limits;
}

gboolean
mesh_portal_store_account_create(MeshPortalStore *store, const char *name, const char *identifier,
                                 const char *profile, gint64 serial, const char *client, gint64 now,
                                 GError **error)
{
	if (!check_name(name, "account name", error) ||
	    !check_name(identifier, "profile identifier", error) ||
	    !check_text(profile, "profile", error) || !check_serial(serial, error) ||
	    (client != NULL && !check_name(client, "client", error)))
		return FALSE;
	return store->klass->account_create(store, name, identifier, profile, serial, client, now,
	                                    error);
}

gboolean
mesh_portal_store_account_get(MeshPortalStore *store, const char *name,
			      MeshPortalAccount **ret_account, GError **error)
{
	if (!check_name(name, "account name", error))
		return FALSE;
	return store->klass->account_get(store, name, NULL, ret_account, error);
}

gboolean
mesh_portal_store_account_get_by_identifier(MeshPortalStore *store, const char *identifier,
					    MeshPortalAccount **ret_account, GError **error)
{
	if (!check_name(identifier, "profile identifier", error))
		return FALSE;
	return store->klass->account_get(store, NULL, identifier, ret_account, error);
}

gboolean
mesh_portal_store_account_delete(MeshPortalStore *store, const char *name, GError **error)
{
	if (!check_name(name, "account name", error))
		return FALSE;
	return store->klass->account_delete(store, name, error);
}

gboolean
mesh_portal_store_account_count(MeshPortalStore *store, guint64 *ret_count, GError **error)
{
	return store->klass->account_count(store, ret_count, error);
}

gboolean
mesh_portal_store_ping(MeshPortalStore *store, GError **error)
{
	return store->klass->ping(store, error);
}

gboolean
mesh_portal_store_entry_publish(MeshPortalStore *store, const MeshPortalEntry *entry, gint64 now,
				GError **error)
{
	if (!check_name(entry->identifier, "entry identifier", error) ||
	    !check_name(entry->account, "account name", error) ||
	    !check_name(entry->type, "entry type", error) ||
	    !check_text(entry->text, "entry", error) || !check_serial(entry->serial, error))
		return FALSE;
	return store->klass->entry_publish(store, entry, now, error);
}

gboolean
mesh_portal_store_entry_get(MeshPortalStore *store, const char *identifier,
			    MeshPortalEntry **ret_entry, GError **error)
{
	if (!check_name(identifier, "entry identifier", error))
		return FALSE;
	return store->klass->entry_get(store, identifier, ret_entry, error);
}

gboolean
mesh_portal_store_entry_list(MeshPortalStore *store, const char *account, const char *type,
			     GPtrArray **ret_entries, GError **error)
{
	if (!check_name(account, "account name", error) ||
	    (type != NULL && !check_name(type, "entry type", error)))
		return FALSE;
	return store->klass->entry_list(store, account, type, ret_entries, error);
}

gboolean
mesh_portal_store_entry_delete(MeshPortalStore *store, const char *identifier, GError **error)
{
	if (!check_name(identifier, "entry identifier", error))
		return FALSE;
	return store->klass->entry_delete(store, identifier, error);
}

gboolean
mesh_portal_store_connection_add(MeshPortalStore *store, const MeshPortalConnection *connection,
				 gint64 now, GError **error)
{
	if (!check_name(connection->account, "account name", error) ||
	    !check_name(connection->device, "device identifier", error) ||
	    !check_text(connection->request, "signed request", error) ||
	    !check_name(connection->server_nonce, "server nonce", error) ||
	    !check_name(connection->witness, "witness", error) ||
	    (connection->client != NULL && !check_name(connection->client, "client", error)))
		return FALSE;
	if (connection->expires <= now) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "a connection request must expire after it is made");
		return FALSE;
	}
	return store->klass->connection_add(store, connection, now, error);
}

gboolean
mesh_portal_store_connection_get(MeshPortalStore *store, const char *account, const char *device,
				 gint64 now, MeshPortalConnection **ret_connection,
				 GError **error)
{
	if (!check_name(account, "account name", error) ||
	    !check_name(device, "device identifier", error))
		return FALSE;
	return store->klass->connection_get(store, account, device, now, ret_connection, error);
}

gboolean
mesh_portal_store_connection_list(MeshPortalStore *store, const char *account, gint64 now,
				  GPtrArray **ret_connections, GError **error)
{
	if (!check_name(account, "account name", error))
		return FALSE;
	return store->klass->connection_list(store, account, now, ret_connections, error);
}

gboolean
mesh_portal_store_connection_complete(MeshPortalStore *store, const char *account,
				      const char *device, MeshPortalConnectState state,
				      const char *result, gint64 now, GError **error)
{
	if (!check_name(account, "account name", error) ||
	    !check_name(device, "device identifier", error) ||
	    !check_text(result, "connection result", error))
		return FALSE;
	if (state != MESH_PORTAL_CONNECT_ACCEPTED && state != MESH_PORTAL_CONNECT_REJECTED) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "a connection request is completed as Accepted or Rejected");
		return FALSE;
	}
	return store->klass->connection_complete(store, account, device, state, result, now,
						 error);
}

/* ---- Group commit of nonces ---------------------------------------------------------------- */

/* A caller of mesh_portal_store_use_nonce waiting for its nonce to be written. */
typedef struct {
	MeshPortalNonceUse use;
	gboolean done;
	GError *error; /* the batch's failure, a copy for each of its waiters */
	GCond cond;    /* signalled when done, or when it is to write the next batch */
} MeshPortalNonceWait;

/*
 * Write the waiters queued now as one batch (called with the lock held, returns with it held;
 * the lock is let go while the store writes, so that the next batch gathers meanwhile).
 */
static void
write_batch(MeshPortalStore *store)
{
	MeshPortalNonceBatch *b = &store->nonces;
	guint n = MIN(b->queue->len, MESH_PORTAL_NONCE_BATCH_MAX);
	g_autofree MeshPortalNonceWait **waits = g_new(MeshPortalNonceWait *, n);
	g_autofree MeshPortalNonceUse *uses = g_new(MeshPortalNonceUse, n);
	g_autoptr(GError) error = NULL;
	gboolean ok;

	for (guint i = 0; i < n; i++) {
		waits[i] = g_ptr_array_index(b->queue, i);
		uses[i] = waits[i]->use;
		uses[i].replay = FALSE;
	}
	g_ptr_array_remove_range(b->queue, 0, n);
	b->writing = TRUE;
	g_mutex_unlock(&b->lock);
	ok = store->klass->use_nonces(store, uses, n, &error);
	g_mutex_lock(&b->lock);
	b->writing = FALSE;
	if (ok) {
		b->batches++;
		b->written_nonces += n;
	}
	/* Each waiter wakes once, when its own nonce is written, and the first of those queued
	 * meanwhile wakes to write theirs: a broadcast would wake them all for nothing, batch after
	 * batch (a wakeup is what a request mostly costs here). */
	for (guint i = 0; i < n; i++) {
		waits[i]->use.replay = ok && uses[i].replay;
		waits[i]->error = ok ? NULL : g_error_copy(error);
		waits[i]->done = TRUE;
		g_cond_signal(&waits[i]->cond);
	}
	if (b->queue->len > 0)
		g_cond_signal(&((MeshPortalNonceWait *)g_ptr_array_index(b->queue, 0))->cond);
}

/*
 * Queue the nonces of @uses (in order, together); whoever finds no batch being written writes
 * every nonce queued by then (its own among them) and wakes the others; the rest wait for the
 * batch that holds theirs. No thread is dedicated to it, and a single caller writes at once, as
 * without batching. Sets each use's replay; FALSE when a batch that held one of them failed.
 */
static gboolean
use_nonces_batched(MeshPortalStore *store, MeshPortalNonceUse *uses, guint n, GError **error)
{
	MeshPortalNonceBatch *b = &store->nonces;
	g_autofree MeshPortalNonceWait *waits = g_new0(MeshPortalNonceWait, n);
	gboolean ok = TRUE;

	g_mutex_lock(&b->lock);
	for (guint i = 0; i < n; i++) {
		waits[i].use = uses[i];
		g_cond_init(&waits[i].cond);
		g_ptr_array_add(b->queue, &waits[i]);
	}
	/* Waiting for the earliest of ours not written yet: it is the first of ours in the
	 * queue, so it is the one woken to write when the queue's turn comes to ours. */
	for (guint i = 0; i < n; i++) {
		while (!waits[i].done) {
			if (!b->writing)
				write_batch(store);
			else
				g_cond_wait(&waits[i].cond, &b->lock);
		}
	}
	g_mutex_unlock(&b->lock);
	for (guint i = 0; i < n; i++) {
		g_cond_clear(&waits[i].cond);
		uses[i].replay = waits[i].use.replay;
		if (waits[i].error == NULL)
			continue;
		if (ok)
			g_propagate_error(error, g_steal_pointer(&waits[i].error));
		g_clear_error(&waits[i].error);
		ok = FALSE;
	}
	return ok;
}

gboolean
mesh_portal_store_check_nonce(const char *nonce, gint64 issued, gint64 now, GError **error)
{
	if (!check_name(nonce, "nonce", error))
		return FALSE;
	if (issued < now - MESH_PORTAL_ISSUED_WINDOW_SECONDS ||
	    issued > now + MESH_PORTAL_ISSUED_WINDOW_SECONDS) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNAUTHORIZED,
			    "the request was issued more than %d minutes from the portal's time: "
			    "check the clock",
			    MESH_PORTAL_ISSUED_WINDOW_SECONDS / 60);
		return FALSE;
	}
	return TRUE;
}

gboolean
mesh_portal_store_replay(GError **error)
{
	g_set_error(error, MESH_ERROR, MESH_ERROR_UNAUTHORIZED,
		    "this request was made before (its nonce was used): a replay");
	return FALSE;
}

gboolean
mesh_portal_store_use_nonce(MeshPortalStore *store, const char *nonce, gint64 issued, gint64 now,
			    GError **error)
{
	MeshPortalNonceUse use = {.nonce = nonce, .issued = issued};

	if (!mesh_portal_store_check_nonce(nonce, issued, now, error) ||
	    !use_nonces_batched(store, &use, 1, error))
		return FALSE;
	return use.replay ? mesh_portal_store_replay(error) : TRUE;
}

gboolean
mesh_portal_store_use_nonces(MeshPortalStore *store, MeshPortalNonceUse *uses, guint n,
                             GError **error)
{
	/* The window was checked when each request was read (a nonce at its edge then must not
	 * fail the others now). */
	for (guint i = 0; i < n; i++)
		if (!check_name(uses[i].nonce, "nonce", error))
			return FALSE;
	return n == 0 || use_nonces_batched(store, uses, n, error);
}

void
mesh_portal_store_nonce_batches(MeshPortalStore *store, guint64 *ret_batches, guint64 *ret_nonces)
{
	g_mutex_lock(&store->nonces.lock);
	*ret_batches = store->nonces.batches;
	*ret_nonces = store->nonces.written_nonces;
	g_mutex_unlock(&store->nonces.lock);
}

gboolean
mesh_portal_store_purge(MeshPortalStore *store, gint64 now, guint *ret_removed, GError **error)
{
	guint removed = 0;

	if (!store->klass->purge(store, now, &removed, error))
		return FALSE;
	if (ret_removed != NULL)
		*ret_removed = removed;
	return TRUE;
}

void
mesh_portal_store_close(MeshPortalStore *store)
{
	if (store == NULL)
		return;
	/* Every caller has returned by now: nothing waits in the queue. */
	if (store->nonces.queue != NULL) {
		g_ptr_array_unref(store->nonces.queue);
		g_mutex_clear(&store->nonces.lock);
	}
	store->klass->close(store);
}

/* ---- Rules shared by every store --------------------------------------------------------- */

gboolean
mesh_portal_store_no_account(const char *name, GError **error)
{
	g_autofree char *quoted = mesh_error_quote(name);

	g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND, "there is no account '%s'", quoted);
	return FALSE;
}

gboolean
mesh_portal_store_no_entry(const char *identifier, GError **error)
{
	g_autofree char *quoted = mesh_error_quote(identifier);

	g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND, "there is no entry '%s'", quoted);
	return FALSE;
}

gint
mesh_portal_entry_compare(gconstpointer a, gconstpointer b)
{
	const MeshPortalEntry *x = *(MeshPortalEntry *const *)a, *y = *(MeshPortalEntry *const *)b;
	int c = strcmp(x->type, y->type);

	return c != 0 ? c : strcmp(x->identifier, y->identifier);
}

gint
mesh_portal_connection_compare(gconstpointer a, gconstpointer b)
{
	const MeshPortalConnection *x = *(MeshPortalConnection *const *)a;
	const MeshPortalConnection *y = *(MeshPortalConnection *const *)b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->device, y->device);
}

MeshPortalConnectState
mesh_portal_connection_state_at(const MeshPortalConnection *connection, gint64 now)
{
	if (connection->state == MESH_PORTAL_CONNECT_PENDING && connection->expires <= now)
		return MESH_PORTAL_CONNECT_EXPIRED;
	return connection->state;
}

/* The account @name would hold @entries entries of @bytes bytes: within its limits? */
static gboolean
check_quota(const MeshPortalStore *store, const char *name, guint64 entries, guint64 bytes,
            GError **error)
{
	const MeshPortalStoreLimits *limits = &store->limits;
	g_autofree char *quoted = NULL;

	if (limits->entries_per_account != 0 && entries > limits->entries_per_account) {
		quoted = mesh_error_quote(name);
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
		            "account '%s' holds %u entries, the most this portal keeps for one "
		            "account: delete some before publishing new ones",
		            quoted, limits->entries_per_account);
		return FALSE;
	}
	if (limits->bytes_per_account != 0 && bytes > limits->bytes_per_account) {
		quoted = mesh_error_quote(name);
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
		            "account '%s' would hold %" G_GUINT64_FORMAT
		            " bytes of entries, over this portal's quota of %" G_GUINT64_FORMAT
		            " for one account: delete or shrink some first",
		            quoted, bytes, limits->bytes_per_account);
		return FALSE;
	}
	return TRUE;
}

gboolean
mesh_portal_store_check_account_create(MeshPortalStore *store, const char *name,
                                       const char *profile, const char *client, guint64 created,
                                       GError **error)
{
	guint limit = store->limits.creations_per_client;

	if (client != NULL && limit != 0 && created >= limit) {
		g_set_error(
		        error, MESH_ERROR, MESH_ERROR_RATE_LIMITED,
		        "this address created %u accounts in the last %d minutes, the most this "
		        "portal allows: try again later",
		        limit, MESH_PORTAL_CREATION_WINDOW_SECONDS / 60);
		return FALSE;
	}
	return check_quota(store, name, 1, strlen(profile), error);
}

gboolean
mesh_portal_store_check_publish(MeshPortalStore *store, const MeshPortalEntry *entry,
                                const char *account_identifier, const MeshPortalEntry *stored,
                                const MeshPortalUsage *usage, GError **error)
{
	g_autofree char *quoted = mesh_error_quote(entry->identifier);

	if (account_identifier == NULL)
		return mesh_portal_store_no_account(entry->account, error);
	if (strcmp(entry->type, MESH_PORTAL_TYPE_PERSONAL) == 0 &&
	    strcmp(entry->identifier, account_identifier) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "profile '%s' is not the one this account was created with", quoted);
		return FALSE;
	}
	if (stored == NULL) {
		if (strcmp(entry->type, MESH_PORTAL_TYPE_PERSONAL) == 0) {
			/* Only account_create makes an account's profile entry. */
			return mesh_portal_store_no_entry(entry->identifier, error);
		}
		return check_quota(store, entry->account, usage->entries + 1,
		                   usage->bytes + strlen(entry->text), error);
	}
	if (strcmp(stored->account, entry->account) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
			    "entry '%s' belongs to another account", quoted);
		return FALSE;
	}
	if (strcmp(stored->type, entry->type) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "entry '%s' is stored with another type", quoted);
		return FALSE;
	}
	if (entry->serial <= stored->serial) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_STALE,
			    "entry '%s' has serial %" G_GINT64_FORMAT
			    "; the portal holds serial %" G_GINT64_FORMAT
			    ": publish with a higher serial",
			    quoted, entry->serial, stored->serial);
		return FALSE;
	}
	/* A replacement: the same number of entries, the old text's bytes given back. */
	return check_quota(store, entry->account, usage->entries,
	                   usage->bytes - MIN(usage->bytes, strlen(stored->text)) +
	                           strlen(entry->text),
	                   error);
}

gboolean
mesh_portal_store_check_connection_add(MeshPortalStore *store,
                                       const MeshPortalConnection *connection,
                                       gboolean account_exists, const MeshPortalConnection *stored,
                                       guint64 pending, guint64 from_client, gint64 now,
                                       GError **error)
{
	guint per_client = store->limits.pending_per_client;

	if (!account_exists)
		return mesh_portal_store_no_account(connection->account, error);
	if (stored != NULL &&
	    mesh_portal_connection_state_at(stored, now) == MESH_PORTAL_CONNECT_PENDING) {
		g_autofree char *quoted = mesh_error_quote(connection->device);

		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
			    "device '%s' has a pending request already: wait for its answer or "
			    "its expiry",
			    quoted);
		return FALSE;
	}
	/* Before the account's cap: one address must not fill the queue that others need. */
	if (connection->client != NULL && per_client != 0 && from_client >= per_client) {
		g_autofree char *quoted = mesh_error_quote(connection->account);

		g_set_error(error, MESH_ERROR, MESH_ERROR_RATE_LIMITED,
		            "this address has %u pending connection requests for account '%s', the "
		            "most one address may have: wait until they are answered or expire",
		            per_client, quoted);
		return FALSE;
	}
	if (pending >= MESH_PORTAL_MAX_PENDING) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_RATE_LIMITED,
			    "the account has %d pending connection requests, the most it may have: "
			    "answer some first",
			    MESH_PORTAL_MAX_PENDING);
		return FALSE;
	}
	return TRUE;
}

gboolean
mesh_portal_store_check_connection_complete(const char *device, const MeshPortalConnection *stored,
					    gint64 now, GError **error)
{
	g_autofree char *quoted = mesh_error_quote(device);

	if (stored == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
			    "device '%s' has no connection request", quoted);
		return FALSE;
	}
	switch (mesh_portal_connection_state_at(stored, now)) {
	case MESH_PORTAL_CONNECT_PENDING:
		return TRUE;
	case MESH_PORTAL_CONNECT_EXPIRED:
		g_set_error(error, MESH_ERROR, MESH_ERROR_EXPIRED,
			    "the connection request of device '%s' expired: the device must ask "
			    "again",
			    quoted);
		return FALSE;
	default:
		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
			    "the connection request of device '%s' was answered already", quoted);
		return FALSE;
	}
}
