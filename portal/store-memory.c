/* SPDX-License-Identifier: MIT */
/* MeshPortalStore in memory: for tests of the transaction layer. Nothing survives close. */
#include <string.h>

#include "error.h"
#include "store.h"

typedef struct {
	MeshPortalStore parent;
	GMutex lock;
	GHashTable *accounts;    /* name -> MeshPortalAccount (profile, serial, updated unused) */
	GHashTable *entries;     /* identifier -> MeshPortalEntry */
	GHashTable *connections; /* "account\ndevice" -> MeshPortalConnection */
	GHashTable *nonces;      /* nonce -> issued (gint64 *) */
	GHashTable *creations;   /* client -> GArray of gint64: when it created accounts */
} MemoryStore;

static MemoryStore *
memory(MeshPortalStore *store)
{
	MemoryStore *self = (MemoryStore *)store;

	g_mutex_lock(&self->lock);
	return self;
}

static gboolean
unlock(MemoryStore *self, gboolean ok)
{
	g_mutex_unlock(&self->lock);
	return ok;
}

static MeshPortalEntry *
entry_copy(const MeshPortalEntry *entry)
{
	MeshPortalEntry *copy = g_new0(MeshPortalEntry, 1);

	copy->identifier = g_strdup(entry->identifier);
	copy->account = g_strdup(entry->account);
	copy->type = g_strdup(entry->type);
	copy->serial = entry->serial;
	copy->text = g_strdup(entry->text);
	copy->updated = entry->updated;
	return copy;
}

static MeshPortalConnection *
connection_copy(const MeshPortalConnection *connection)
{
	MeshPortalConnection *copy = g_new0(MeshPortalConnection, 1);

	copy->account = g_strdup(connection->account);
	copy->device = g_strdup(connection->device);
	copy->request = g_strdup(connection->request);
	copy->server_nonce = g_strdup(connection->server_nonce);
	copy->witness = g_strdup(connection->witness);
	copy->created = connection->created;
	copy->expires = connection->expires;
	copy->state = connection->state;
	copy->result = g_strdup(connection->result);
	copy->client = g_strdup(connection->client);
	return copy;
}

static char *
connection_key(const char *account, const char *device)
{
	return g_strconcat(account, "\n", device, NULL);
}

/* Accounts @client created after @since. */
static guint64
creations_since(MemoryStore *self, const char *client, gint64 since)
{
	GArray *times = client != NULL ? g_hash_table_lookup(self->creations, client) : NULL;
	guint64 n = 0;

	for (guint i = 0; times != NULL && i < times->len; i++)
		n += g_array_index(times, gint64, i) > since;
	return n;
}

static gboolean
memory_account_create(MeshPortalStore *store, const char *name, const char *identifier,
                      const char *profile, gint64 serial, const char *client, gint64 now,
                      GError **error)
{
	MemoryStore *self = memory(store);
	MeshPortalAccount *account;
	MeshPortalEntry entry = { (char *)identifier, (char *)name, MESH_PORTAL_TYPE_PERSONAL,
				  serial, (char *)profile, now };
	guint64 created = creations_since(self, client, now - MESH_PORTAL_CREATION_WINDOW_SECONDS);

	if (g_hash_table_contains(self->accounts, name) ||
	    g_hash_table_contains(self->entries, identifier)) {
		g_autofree char *quoted = mesh_error_quote(name);

		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
			    "account '%s' or its profile exists already", quoted);
		return unlock(self, FALSE);
	}
	if (!mesh_portal_store_check_account_create(store, name, profile, client, created, error))
		return unlock(self, FALSE);
	if (client != NULL) {
		GArray *times = g_hash_table_lookup(self->creations, client);

		if (times == NULL) {
			times = g_array_new(FALSE, FALSE, sizeof(gint64));
			g_hash_table_insert(self->creations, g_strdup(client), times);
		}
		g_array_append_val(times, now);
	}
	account = g_new0(MeshPortalAccount, 1);
	account->name = g_strdup(name);
	account->identifier = g_strdup(identifier);
	account->created = now;
	g_hash_table_insert(self->accounts, account->name, account);
	g_hash_table_insert(self->entries, g_strdup(identifier), entry_copy(&entry));
	return unlock(self, TRUE);
}

static gboolean
memory_account_get(MeshPortalStore *store, const char *name, const char *identifier,
		   MeshPortalAccount **ret_account, GError **error)
{
	MemoryStore *self = memory(store);
	const MeshPortalAccount *account = NULL;
	const MeshPortalEntry *profile;
	MeshPortalAccount *copy;

	if (name == NULL) {
		profile = g_hash_table_lookup(self->entries, identifier);
		if (profile != NULL && strcmp(profile->type, MESH_PORTAL_TYPE_PERSONAL) == 0)
			account = g_hash_table_lookup(self->accounts, profile->account);
	} else {
		account = g_hash_table_lookup(self->accounts, name);
	}
	if (account == NULL)
		return unlock(self, mesh_portal_store_no_account(name ? name : identifier, error));
	profile = g_hash_table_lookup(self->entries, account->identifier);
	copy = g_new0(MeshPortalAccount, 1);
	copy->name = g_strdup(account->name);
	copy->identifier = g_strdup(account->identifier);
	copy->profile = g_strdup(profile->text);
	copy->serial = profile->serial;
	copy->created = account->created;
	copy->updated = profile->updated;
	*ret_account = copy;
	return unlock(self, TRUE);
}

/* Remove every value of @table for which @pred holds. */
static guint
remove_where(GHashTable *table, GHRFunc pred, gconstpointer data)
{
	return g_hash_table_foreach_remove(table, pred, (gpointer)data);
}

static gboolean
entry_of_account(gpointer key, gpointer value, gpointer name)
{
	return strcmp(((MeshPortalEntry *)value)->account, name) == 0;
}

static gboolean
connection_of_account(gpointer key, gpointer value, gpointer name)
{
	return strcmp(((MeshPortalConnection *)value)->account, name) == 0;
}

static gboolean
memory_account_delete(MeshPortalStore *store, const char *name, GError **error)
{
	MemoryStore *self = memory(store);

	if (!g_hash_table_contains(self->accounts, name))
		return unlock(self, mesh_portal_store_no_account(name, error));
	remove_where(self->entries, entry_of_account, name);
	remove_where(self->connections, connection_of_account, name);
	g_hash_table_remove(self->accounts, name);
	return unlock(self, TRUE);
}

static gboolean
memory_account_count(MeshPortalStore *store, guint64 *ret_count, GError **error)
{
	MemoryStore *self = memory(store);

	*ret_count = g_hash_table_size(self->accounts);
	return unlock(self, TRUE);
}

/* What @account holds: a walk over every entry (the memory store is for tests). */
static MeshPortalUsage
usage_of(MemoryStore *self, const char *account)
{
	MeshPortalUsage usage = {0};
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, self->entries);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		const MeshPortalEntry *entry = value;

		if (strcmp(entry->account, account) == 0) {
			usage.entries++;
			usage.bytes += strlen(entry->text);
		}
	}
	return usage;
}

static gboolean
memory_entry_publish(MeshPortalStore *store, const MeshPortalEntry *entry, gint64 now,
		     GError **error)
{
	MemoryStore *self = memory(store);
	const MeshPortalAccount *account = g_hash_table_lookup(self->accounts, entry->account);
	MeshPortalUsage usage = usage_of(self, entry->account);
	MeshPortalEntry *copy;

	if (!mesh_portal_store_check_publish(store, entry, account ? account->identifier : NULL,
	                                     g_hash_table_lookup(self->entries, entry->identifier),
	                                     &usage, error))
		return unlock(self, FALSE);
	copy = entry_copy(entry);
	copy->updated = now;
	g_hash_table_insert(self->entries, g_strdup(entry->identifier), copy);
	return unlock(self, TRUE);
}

static gboolean
memory_entry_get(MeshPortalStore *store, const char *identifier, MeshPortalEntry **ret_entry,
		 GError **error)
{
	MemoryStore *self = memory(store);
	const MeshPortalEntry *entry = g_hash_table_lookup(self->entries, identifier);

	if (entry == NULL)
		return unlock(self, mesh_portal_store_no_entry(identifier, error));
	*ret_entry = entry_copy(entry);
	return unlock(self, TRUE);
}

static gboolean
memory_entry_list(MeshPortalStore *store, const char *account, const char *type,
		  GPtrArray **ret_entries, GError **error)
{
	MemoryStore *self = memory(store);
	GPtrArray *list;
	GHashTableIter iter;
	gpointer value;

	if (!g_hash_table_contains(self->accounts, account))
		return unlock(self, mesh_portal_store_no_account(account, error));
	list = g_ptr_array_new_with_free_func((GDestroyNotify)mesh_portal_entry_free);
	g_hash_table_iter_init(&iter, self->entries);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		const MeshPortalEntry *entry = value;

		if (strcmp(entry->account, account) == 0 &&
		    (type == NULL || strcmp(entry->type, type) == 0))
			g_ptr_array_add(list, entry_copy(entry));
	}
	g_ptr_array_sort(list, mesh_portal_entry_compare);
	*ret_entries = list;
	return unlock(self, TRUE);
}

static gboolean
memory_entry_delete(MeshPortalStore *store, const char *identifier, GError **error)
{
	MemoryStore *self = memory(store);
	const MeshPortalEntry *entry = g_hash_table_lookup(self->entries, identifier);

	if (entry == NULL)
		return unlock(self, mesh_portal_store_no_entry(identifier, error));
	if (strcmp(entry->type, MESH_PORTAL_TYPE_PERSONAL) == 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "an account's profile goes only with the account: delete the account");
		return unlock(self, FALSE);
	}
	g_hash_table_remove(self->entries, identifier);
	return unlock(self, TRUE);
}

/* The account's unexpired pending requests, oldest first. */
static GPtrArray *
pending_of(MemoryStore *self, const char *account, gint64 now)
{
	GPtrArray *list =
		g_ptr_array_new_with_free_func((GDestroyNotify)mesh_portal_connection_free);
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, self->connections);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		const MeshPortalConnection *connection = value;

		if (strcmp(connection->account, account) == 0 &&
		    mesh_portal_connection_state_at(connection, now) == MESH_PORTAL_CONNECT_PENDING)
			g_ptr_array_add(list, connection_copy(connection));
	}
	return list;
}

static gboolean
memory_connection_add(MeshPortalStore *store, const MeshPortalConnection *connection, gint64 now,
		      GError **error)
{
	MemoryStore *self = memory(store);
	char *key = connection_key(connection->account, connection->device);
	g_autoptr(GPtrArray) pending = pending_of(self, connection->account, now);
	guint from_client = 0;
	MeshPortalConnection *copy;

	for (guint i = 0; connection->client != NULL && i < pending->len; i++)
		from_client += g_strcmp0(((MeshPortalConnection *)pending->pdata[i])->client,
		                         connection->client) == 0;
	if (!mesh_portal_store_check_connection_add(
	            store, connection, g_hash_table_contains(self->accounts, connection->account),
	            g_hash_table_lookup(self->connections, key), pending->len, from_client, now,
	            error)) {
		g_free(key);
		return unlock(self, FALSE);
	}
	copy = connection_copy(connection);
	copy->created = now;
	copy->state = MESH_PORTAL_CONNECT_PENDING;
	g_clear_pointer(&copy->result, g_free);
	g_hash_table_insert(self->connections, key, copy);
	return unlock(self, TRUE);
}

static gboolean
memory_connection_get(MeshPortalStore *store, const char *account, const char *device,
		      gint64 now, MeshPortalConnection **ret_connection, GError **error)
{
	MemoryStore *self = memory(store);
	g_autofree char *key = connection_key(account, device);
	const MeshPortalConnection *connection = g_hash_table_lookup(self->connections, key);
	MeshPortalConnection *copy;

	if (connection == NULL)
		return unlock(self, mesh_portal_store_check_connection_complete(device, NULL,
										now, error));
	copy = connection_copy(connection);
	copy->state = mesh_portal_connection_state_at(connection, now);
	*ret_connection = copy;
	return unlock(self, TRUE);
}

static gboolean
memory_connection_list(MeshPortalStore *store, const char *account, gint64 now,
		       GPtrArray **ret_connections, GError **error)
{
	MemoryStore *self = memory(store);
	GPtrArray *list;

	if (!g_hash_table_contains(self->accounts, account))
		return unlock(self, mesh_portal_store_no_account(account, error));
	list = pending_of(self, account, now);
	g_ptr_array_sort(list, mesh_portal_connection_compare);
	*ret_connections = list;
	return unlock(self, TRUE);
}

static gboolean
memory_connection_complete(MeshPortalStore *store, const char *account, const char *device,
			   MeshPortalConnectState state, const char *result, gint64 now,
			   GError **error)
{
	MemoryStore *self = memory(store);
	g_autofree char *key = connection_key(account, device);
	MeshPortalConnection *connection = g_hash_table_lookup(self->connections, key);

	if (!mesh_portal_store_check_connection_complete(device, connection, now, error))
		return unlock(self, FALSE);
	connection->state = state;
	connection->result = g_strdup(result);
	return unlock(self, TRUE);
}

static gboolean
memory_use_nonces(MeshPortalStore *store, MeshPortalNonceUse *uses, guint n, GError **error)
{
	MemoryStore *self = memory(store);

	for (guint i = 0; i < n; i++) {
		uses[i].replay = g_hash_table_contains(self->nonces, uses[i].nonce);
		if (!uses[i].replay)
			g_hash_table_insert(self->nonces, g_strdup(uses[i].nonce),
					    g_memdup2(&uses[i].issued, sizeof uses[i].issued));
	}
	return unlock(self, TRUE);
}

static gboolean
connection_stale(gpointer key, gpointer value, gpointer now)
{
	return ((MeshPortalConnection *)value)->expires + MESH_PORTAL_CONNECTION_KEEP_SECONDS <=
	       *(const gint64 *)now;
}

static gboolean
nonce_stale(gpointer key, gpointer value, gpointer now)
{
	return *(const gint64 *)value < *(const gint64 *)now - MESH_PORTAL_ISSUED_WINDOW_SECONDS -
						  MESH_PORTAL_NONCE_MARGIN_SECONDS;
}

/* Forget creations older than the window, and clients with none left. Returns how many. */
static guint
purge_creations(MemoryStore *self, gint64 now)
{
	gint64 since = now - MESH_PORTAL_CREATION_WINDOW_SECONDS;
	GHashTableIter iter;
	gpointer value;
	guint removed = 0;

	g_hash_table_iter_init(&iter, self->creations);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		GArray *times = value;

		for (guint i = times->len; i > 0; i--) {
			if (g_array_index(times, gint64, i - 1) <= since) {
				g_array_remove_index(times, i - 1);
				removed++;
			}
		}
		if (times->len == 0)
			g_hash_table_iter_remove(&iter);
	}
	return removed;
}

static gboolean
memory_purge(MeshPortalStore *store, gint64 now, guint *ret_removed, GError **error)
{
	MemoryStore *self = memory(store);

	*ret_removed = remove_where(self->connections, connection_stale, &now) +
	               remove_where(self->nonces, nonce_stale, &now) + purge_creations(self, now);
	return unlock(self, TRUE);
}

/* Memory always answers; the lock is taken all the same, as every call does. */
static gboolean
memory_ping(MeshPortalStore *store, GError **error)
{
	return unlock(memory(store), TRUE);
}

static void
memory_close(MeshPortalStore *store)
{
	MemoryStore *self = (MemoryStore *)store;

	g_clear_pointer(&self->connections, g_hash_table_unref);
	g_clear_pointer(&self->entries, g_hash_table_unref);
	g_clear_pointer(&self->accounts, g_hash_table_unref);
	g_clear_pointer(&self->nonces, g_hash_table_unref);
	g_clear_pointer(&self->creations, g_hash_table_unref);
	g_mutex_clear(&self->lock);
	g_free(self);
}

static const MeshPortalStoreClass memory_class = {
	.name = "memory",
	.account_create = memory_account_create,
	.account_get = memory_account_get,
	.account_delete = memory_account_delete,
	.account_count = memory_account_count,
	.entry_publish = memory_entry_publish,
	.entry_get = memory_entry_get,
	.entry_list = memory_entry_list,
	.entry_delete = memory_entry_delete,
	.connection_add = memory_connection_add,
	.connection_get = memory_connection_get,
	.connection_list = memory_connection_list,
	.connection_complete = memory_connection_complete,
	.use_nonces = memory_use_nonces,
	.purge = memory_purge,
	.ping = memory_ping,
	.close = memory_close,
};

MeshPortalStore *
mesh_portal_store_memory_new(void)
{
	MemoryStore *self = g_new0(MemoryStore, 1);

	mesh_portal_store_init(&self->parent, &memory_class);
	g_mutex_init(&self->lock);
	/* Accounts are keyed by their own name field. */
	self->accounts =
		g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
				      (GDestroyNotify)mesh_portal_account_free);
	self->entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					      (GDestroyNotify)mesh_portal_entry_free);
	self->connections = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						  (GDestroyNotify)mesh_portal_connection_free);
	self->nonces = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	self->creations = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	                                        (GDestroyNotify)g_array_unref);
	return &self->parent;
}
