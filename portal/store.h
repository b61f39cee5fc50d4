/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * MeshPortalStore: everything a portal keeps (docs/protocol.md §8): accounts, the signed entries
 * published for them, pending device connections and the replay cache of request nonces.
 * One interface, several stores (docs/design.md "Scale"): SQLite (store-sqlite.h), PostgreSQL
 * (store-pg.h), in memory (store-memory, for tests of the transaction layer). Each store is a const
 * vtable with a name; an instance's first field points to it; close tolerates a half-opened
 * instance. The store keeps text and checks integrity (uniqueness, serials, limits on pending
 * requests); it verifies no signature: that is the transaction layer's job.
 *
 * Times are Unix seconds and are always passed in (@now), so that tests can move the clock.
 * Texts are UTF-8 JSON as received; the store returns them byte for byte.
 *
 * Thread safety: every store serialises its own calls; one store may be shared by the threads
 * of one process. Several processes may share one SQLite file (WAL, busy timeout), or one
 * PostgreSQL database (SERIALIZABLE transactions): every rule below then holds across them.
 */

/* §10: at most this many unexpired pending connection requests per account. */
#define MESH_PORTAL_MAX_PENDING 100
/* Default limits (MeshPortalStoreLimits; docs/protocol.md "Portal transactions", §10). */
/* An account's unexpired pending connection requests made from one client key: 10 of the 100,
 * so that filling an account's queue takes ten addresses (IPv6: ten /64s). */
#define MESH_PORTAL_DEFAULT_PENDING_PER_CLIENT 10
/* Entries of an account, its personal profile included: the profile, 1,000 application
 * profiles, an SSH key for each of 1,000 devices (§10) and 47 escrow entries. */
#define MESH_PORTAL_DEFAULT_ENTRIES_PER_ACCOUNT 2048
/* Bytes of those entries' texts: the §10 maxima, every profile at 256 KiB (about 269 MiB), with
 * room. */
#define MESH_PORTAL_DEFAULT_BYTES_PER_ACCOUNT (G_GUINT64_CONSTANT(320) * 1024 * 1024)
/* Accounts one client key may create per MESH_PORTAL_CREATION_WINDOW_SECONDS. */
#define MESH_PORTAL_DEFAULT_CREATIONS_PER_CLIENT 10
#define MESH_PORTAL_CREATION_WINDOW_SECONDS      (60 * 60)
/* §8: a signed request's Issued time may differ from the portal's clock by this much. */
#define MESH_PORTAL_ISSUED_WINDOW_SECONDS (5 * 60)
/* Nonces are remembered this long past the Issued window (clock steps, slow requests). */
#define MESH_PORTAL_NONCE_MARGIN_SECONDS 60
/* Connection requests, answered or not, are kept this long after they expire, so that the
 * device polling ConnectStatus learns "Expired" or its result rather than "not found". */
#define MESH_PORTAL_CONNECTION_KEEP_SECONDS (24 * 60 * 60)
/* Largest text (profile, entry, signed request, result) a store accepts (§10: 1 MiB bodies). */
#define MESH_PORTAL_STORE_TEXT_MAX (1024 * 1024)
/* Largest name, identifier, device UDF, nonce or witness a store accepts. */
#define MESH_PORTAL_STORE_NAME_MAX 256

/* The entry type of an account's personal profile: the tag of its JSON. */
#define MESH_PORTAL_TYPE_PERSONAL "SignedPersonalProfile"
#define MESH_PORTAL_TYPE_APPLICATION "SignedApplicationProfile"
#define MESH_PORTAL_TYPE_ESCROW "OfflineEscrowEntry"
/* A device's own SSH key (core/ssh-device-key.h), published by that device. */
#define MESH_PORTAL_TYPE_SSH_KEY "SignedSSHDeviceKey"

typedef struct MeshPortalStore MeshPortalStore;

/* One nonce of a group commit (MeshPortalStoreClass.use_nonces). */
typedef struct {
	const char *nonce;
	gint64 issued;
	gboolean replay; /* set by the store: used before */
} MeshPortalNonceUse;

/* An account: its name, the profile it was created with and that profile's current text. */
typedef struct {
	char *name;       /* account name, as given to create (the transaction layer folds case) */
	char *identifier; /* UDF of the master profile: fixed for the account's lifetime */
	char *profile;    /* the current SignedPersonalProfile text */
	gint64 serial;    /* its Serial */
	gint64 created;   /* when the account was created */
	gint64 updated;   /* when the profile was last published */
} MeshPortalAccount;

void mesh_portal_account_free(MeshPortalAccount *account);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshPortalAccount, mesh_portal_account_free)

/*
 * A published entry: a SignedPersonalProfile (the account's profile: identifier = the account's
 * identifier), a SignedApplicationProfile or an OfflineEscrowEntry. Entries with no Serial of
 * their own (escrow entries) are stored with serial 0 and so can never be replaced.
 */
typedef struct {
	char *identifier; /* unique across the portal */
	char *account;    /* owning account name */
	char *type;       /* the entry's JSON tag, MESH_PORTAL_TYPE_* */
	gint64 serial;
	char *text;       /* the entry's JSON text */
	gint64 updated;   /* when it was last published (ignored as input) */
} MeshPortalEntry;

void mesh_portal_entry_free(MeshPortalEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshPortalEntry, mesh_portal_entry_free)

typedef enum {
	MESH_PORTAL_CONNECT_PENDING = 0,
	MESH_PORTAL_CONNECT_ACCEPTED = 1,
	MESH_PORTAL_CONNECT_REJECTED = 2,
	/* Never stored: reported for a pending request whose expiry has passed. */
	MESH_PORTAL_CONNECT_EXPIRED = 3,
} MeshPortalConnectState;

/* "Pending", "Accepted", "Rejected", "Expired" (the wire's State values); NULL for others. */
const char *mesh_portal_connect_state_name(MeshPortalConnectState state);

/* A device's connection request (§7), keyed by (account, device). */
typedef struct {
	char *account;      /* account name */
	char *device;       /* UDF of the requesting device */
	char *request;      /* the SignedRequest text (JWS of the ConnectionRequest) */
	char *server_nonce; /* base64url, chosen by the portal */
	char *witness;      /* as shown to the user (§7 step 4) */
	gint64 created;     /* (ignored as input: the store sets it to @now) */
	gint64 expires;     /* after this second the request can no longer be completed */
	MeshPortalConnectState state;
	char *result;       /* ConnectionResult JWS text once completed, else NULL */
	char *client;       /* the requester's client key (http.h), or NULL: none (in process) */
} MeshPortalConnection;

/*
 * What one client (the client key of http.h: an address, IPv6 by /64) and one account may hold
 * or do. 0 turns a limit off. Every store starts with the MESH_PORTAL_DEFAULT_* values.
 */
typedef struct {
	guint pending_per_client;   /* an account's unexpired pending requests from one client */
	guint entries_per_account;  /* entries, the personal profile included */
	guint64 bytes_per_account;  /* bytes of their texts */
	guint creations_per_client; /* accounts created per MESH_PORTAL_CREATION_WINDOW_SECONDS */
} MeshPortalStoreLimits;

void mesh_portal_connection_free(MeshPortalConnection *connection);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshPortalConnection, mesh_portal_connection_free)

/*
 * The vtable. Callers go through the dispatchers below, which check arguments (so a store may
 * trust them) and document the errors; every member is required.
 */
typedef struct {
	const char *name; /* "sqlite", "postgresql", "memory" */
	gboolean (*account_create)(MeshPortalStore *store, const char *name, const char *identifier,
	                           const char *profile, gint64 serial, const char *client,
	                           gint64 now, GError **error);
	/* Exactly one of @name and @identifier is non-NULL. */
	gboolean (*account_get)(MeshPortalStore *store, const char *name, const char *identifier,
				MeshPortalAccount **ret_account, GError **error);
	gboolean (*account_delete)(MeshPortalStore *store, const char *name, GError **error);
	gboolean (*account_count)(MeshPortalStore *store, guint64 *ret_count, GError **error);
	gboolean (*entry_publish)(MeshPortalStore *store, const MeshPortalEntry *entry, gint64 now,
				  GError **error);
	gboolean (*entry_get)(MeshPortalStore *store, const char *identifier,
			      MeshPortalEntry **ret_entry, GError **error);
	gboolean (*entry_list)(MeshPortalStore *store, const char *account, const char *type,
			       GPtrArray **ret_entries, GError **error);
	gboolean (*entry_delete)(MeshPortalStore *store, const char *identifier, GError **error);
	gboolean (*connection_add)(MeshPortalStore *store, const MeshPortalConnection *connection,
				   gint64 now, GError **error);
	gboolean (*connection_get)(MeshPortalStore *store, const char *account, const char *device,
				   gint64 now, MeshPortalConnection **ret_connection,
				   GError **error);
	gboolean (*connection_list)(MeshPortalStore *store, const char *account, gint64 now,
				    GPtrArray **ret_connections, GError **error);
	gboolean (*connection_complete)(MeshPortalStore *store, const char *account,
					const char *device, MeshPortalConnectState state,
					const char *result, gint64 now, GError **error);
	/* Record @n nonces in one durable transaction (group commit: see use_nonce below); set
	 * each one's replay when it was used before, by an earlier call or earlier in @uses.
	 * FALSE: the storage failed and none is recorded. */
	gboolean (*use_nonces)(MeshPortalStore *store, MeshPortalNonceUse *uses, guint n,
			       GError **error);
	gboolean (*purge)(MeshPortalStore *store, gint64 now, guint *ret_removed, GError **error);
	/* A trivial query that goes to the storage (see mesh_portal_store_ping). */
	gboolean (*ping)(MeshPortalStore *store, GError **error);
	/* Free the instance; tolerates a half-opened one. */
	void (*close)(MeshPortalStore *store);
} MeshPortalStoreClass;

/* The nonces waiting for the next group commit, and whether one is being written. */
typedef struct {
	GMutex lock;
	GPtrArray *queue;  /* of the waiters' MeshPortalNonceWait (store.c) */
	gboolean writing;  /* a caller is writing a batch now */
	guint64 batches;   /* written so far, and the nonces in them (tests, benchmarks) */
	guint64 written_nonces;
} MeshPortalNonceBatch;

struct MeshPortalStore {
	const MeshPortalStoreClass *klass;
	MeshPortalStoreLimits limits; /* read by the stores under their own lock */
	MeshPortalNonceBatch nonces;  /* mesh_portal_store_use_nonce's, not the store's */
};

/*
 * Errors common to every dispatcher: MESH_ERROR_INVALID_ARGUMENT for an empty or over-long
 * argument (MESH_PORTAL_STORE_NAME_MAX, MESH_PORTAL_STORE_TEXT_MAX: MESH_ERROR_TOO_LARGE),
 * MESH_ERROR_IO when the storage fails (the message names the store, never a stored text).
 * ret_ parameters are written only on success.
 */

const char *mesh_portal_store_name(const MeshPortalStore *store);

/* mesh_portal_store_set_limits: the limits from now on (set before the store is shared). */
void mesh_portal_store_set_limits(MeshPortalStore *store, const MeshPortalStoreLimits *limits);

/*
 * mesh_portal_store_account_create: a new account @name whose personal profile is @profile
 * (identifier @identifier, Serial @serial), created by @client (a client key, or NULL: not
 * counted). Atomic: the account, its profile entry and the record of the creation are made
 * together or not at all. Creations are remembered for MESH_PORTAL_CREATION_WINDOW_SECONDS
 * (SQLite: across restarts). Errors: MESH_ERROR_EXISTS when the name is taken or @identifier is
 * already stored (as any account's profile or any entry); MESH_ERROR_RATE_LIMITED when @client
 * created limits.creations_per_client accounts in the window; MESH_ERROR_TOO_LARGE when the
 * profile alone is over limits.bytes_per_account.
 */
gboolean mesh_portal_store_account_create(MeshPortalStore *store, const char *name,
                                          const char *identifier, const char *profile,
                                          gint64 serial, const char *client, gint64 now,
                                          GError **error);

/*
 * mesh_portal_store_account_get / _get_by_identifier: the account named @name, or the one
 * whose profile is @identifier, with its current profile. Errors: MESH_ERROR_NOT_FOUND.
 */
gboolean mesh_portal_store_account_get(MeshPortalStore *store, const char *name,
				       MeshPortalAccount **ret_account, GError **error);
gboolean mesh_portal_store_account_get_by_identifier(MeshPortalStore *store,
						     const char *identifier,
						     MeshPortalAccount **ret_account,
						     GError **error);

/*
 * mesh_portal_store_account_delete: the account, every entry it published and its connection
 * requests. Errors: MESH_ERROR_NOT_FOUND.
 */
gboolean mesh_portal_store_account_delete(MeshPortalStore *store, const char *name,
					  GError **error);

/* mesh_portal_store_account_count: how many accounts there are (for benchmarks, status). */
gboolean mesh_portal_store_account_count(MeshPortalStore *store, guint64 *ret_count,
					 GError **error);

/*
 * mesh_portal_store_entry_publish: store @entry (identifier, account, type, serial, text), or
 * replace the stored entry of that identifier. A SignedPersonalProfile replaces the account's
 * profile and must carry the account's identifier. Errors: MESH_ERROR_NOT_FOUND when the
 * account does not exist; MESH_ERROR_STALE when an entry of that identifier is stored with a
 * serial not below @entry's (equal included: rollback and replay protection, §6);
 * MESH_ERROR_PERMISSION when the identifier belongs to another account;
 * MESH_ERROR_INVALID_ARGUMENT when the type differs from the stored entry's, or a personal
 * profile's identifier is not its account's; MESH_ERROR_TOO_LARGE when the account would then
 * hold more than limits.entries_per_account entries or limits.bytes_per_account bytes (a
 * replaced entry counts once, at its new size).
 */
gboolean mesh_portal_store_entry_publish(MeshPortalStore *store, const MeshPortalEntry *entry,
					 gint64 now, GError **error);

/* mesh_portal_store_entry_get: the entry @identifier. Errors: MESH_ERROR_NOT_FOUND. */
gboolean mesh_portal_store_entry_get(MeshPortalStore *store, const char *identifier,
				     MeshPortalEntry **ret_entry, GError **error);

/*
 * mesh_portal_store_entry_list: the entries of @account, of type @type (NULL: every type),
 * ordered by type then identifier: a GPtrArray of MeshPortalEntry that frees them (possibly
 * empty). Errors: MESH_ERROR_NOT_FOUND when the account does not exist.
 */
gboolean mesh_portal_store_entry_list(MeshPortalStore *store, const char *account,
				      const char *type, GPtrArray **ret_entries, GError **error);

/*
 * mesh_portal_store_entry_delete: remove the entry @identifier. Errors: MESH_ERROR_NOT_FOUND;
 * MESH_ERROR_INVALID_ARGUMENT for an account's personal profile (delete the account).
 */
gboolean mesh_portal_store_entry_delete(MeshPortalStore *store, const char *identifier,
					GError **error);

/*
 * mesh_portal_store_connection_add: record a pending request (account, device, request,
 * server_nonce, witness, expires; state and result are ignored), created at @now. An expired
 * or completed request of the same device is replaced. Errors: MESH_ERROR_INVALID_ARGUMENT
 * when expires is not after @now; MESH_ERROR_NOT_FOUND when the account does not exist;
 * MESH_ERROR_EXISTS when the device has an unexpired pending request already;
 * MESH_ERROR_RATE_LIMITED when the account has limits.pending_per_client unexpired pending
 * requests from the connection's client, or MESH_PORTAL_MAX_PENDING in all (§10).
 */
gboolean mesh_portal_store_connection_add(MeshPortalStore *store,
					  const MeshPortalConnection *connection, gint64 now,
					  GError **error);

/*
 * mesh_portal_store_connection_get: the request of @device to @account, as of @now: a pending
 * request past its expiry has state MESH_PORTAL_CONNECT_EXPIRED. Errors: MESH_ERROR_NOT_FOUND
 * (never made, or purged).
 */
gboolean mesh_portal_store_connection_get(MeshPortalStore *store, const char *account,
					  const char *device, gint64 now,
					  MeshPortalConnection **ret_connection, GError **error);

/*
 * mesh_portal_store_connection_list: the account's pending, unexpired requests, oldest first
 * (ConnectPending): a GPtrArray of MeshPortalConnection that frees them (possibly empty).
 * Errors: MESH_ERROR_NOT_FOUND when the account does not exist.
 */
gboolean mesh_portal_store_connection_list(MeshPortalStore *store, const char *account,
					   gint64 now, GPtrArray **ret_connections,
					   GError **error);

/*
 * mesh_portal_store_connection_complete: answer the pending request of @device: @state
 * Accepted or Rejected (else MESH_ERROR_INVALID_ARGUMENT), @result the signed
 * ConnectionResult. Errors: MESH_ERROR_NOT_FOUND; MESH_ERROR_EXPIRED when it expired;
 * MESH_ERROR_EXISTS when it was answered already.
 */
gboolean mesh_portal_store_connection_complete(MeshPortalStore *store, const char *account,
					       const char *device, MeshPortalConnectState state,
					       const char *result, gint64 now, GError **error);

/*
 * mesh_portal_store_use_nonce: remember that a signed request with @nonce (its base64url
 * text), issued at @issued, was accepted. The replay cache outlives restarts (SQLite), and
 * the call returns only once the nonce is durable. Group commit: the nonces of callers on
 * other threads that arrive while a batch is being written are written together in the next
 * transaction (at most MESH_PORTAL_NONCE_BATCH_MAX), by the first of them; each caller still
 * returns only after its own nonce is committed, with its own answer.
 * Errors: MESH_ERROR_UNAUTHORIZED when @nonce was used before, or when @issued is outside
 * @now ± MESH_PORTAL_ISSUED_WINDOW_SECONDS (such a nonce might have been purged already, so
 * it could not be recognised; the transaction layer refuses those first anyway).
 */
gboolean mesh_portal_store_use_nonce(MeshPortalStore *store, const char *nonce, gint64 issued,
				     gint64 now, GError **error);
/*
 * mesh_portal_store_use_nonces: mesh_portal_store_use_nonce for the @n nonces of @uses at once
 * (the answers of several requests that wait for their nonces together): they join the same
 * group commit, and each use's replay says whether it was used before (by an earlier request,
 * or earlier in @uses). The window is not checked again: check each with
 * mesh_portal_store_check_nonce when its request is read. FALSE, with nothing to say for any
 * of them, when one is not a name or a batch that held one of them failed.
 */
gboolean mesh_portal_store_use_nonces(MeshPortalStore *store, MeshPortalNonceUse *uses, guint n,
                                      GError **error);
/* mesh_portal_store_check_nonce: the checks of mesh_portal_store_use_nonce that need no store
 * (a nonce that is a name, @issued within the window of @now). */
gboolean mesh_portal_store_check_nonce(const char *nonce, gint64 issued, gint64 now,
                                       GError **error);
/* mesh_portal_store_replay: set the error of a replayed nonce; returns FALSE. */
gboolean mesh_portal_store_replay(GError **error);
#define MESH_PORTAL_NONCE_BATCH_MAX 256
/* How many batches and nonces mesh_portal_store_use_nonce has written (tests, benchmarks). */
void mesh_portal_store_nonce_batches(MeshPortalStore *store, guint64 *ret_batches,
                                     guint64 *ret_nonces);

/*
 * mesh_portal_store_purge: forget what can no longer matter as of @now: connection requests
 * MESH_PORTAL_CONNECTION_KEEP_SECONDS past their expiry, nonces issued more than
 * MESH_PORTAL_ISSUED_WINDOW_SECONDS + MESH_PORTAL_NONCE_MARGIN_SECONDS ago, and account
 * creations older than MESH_PORTAL_CREATION_WINDOW_SECONDS. @ret_removed
 * (may be NULL) gets how many records went. Call it every minute or so.
 */
gboolean mesh_portal_store_purge(MeshPortalStore *store, gint64 now, guint *ret_removed,
				 GError **error);

/*
 * mesh_portal_store_ping: whether the store answers now, for the health endpoint (http.h): a
 * trivial query in a write transaction that writes nothing, waiting at most
 * MESH_PORTAL_STORE_PING_WAIT_MS for a lock another process holds. Reads no account data.
 * (PostgreSQL: the schema version is read, on a new connection when the old one was lost.)
 * Errors: MESH_ERROR_IO when the storage fails, stays locked by another process past the wait,
 * or (SQLite) its file was removed or replaced since it was opened (a restart would then start
 * on another database); (PostgreSQL) MESH_ERROR_NETWORK when the server cannot be reached.
 */
#define MESH_PORTAL_STORE_PING_WAIT_MS 1000
gboolean mesh_portal_store_ping(MeshPortalStore *store, GError **error);

/* mesh_portal_store_close: accepts NULL. */
void mesh_portal_store_close(MeshPortalStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshPortalStore, mesh_portal_store_close)

/*
 * For store implementations: the rules every store applies, written once. Each takes what the
 * store found (NULL when nothing) and sets the documented error when the operation must be
 * refused.
 */

/* What an account holds: its entries (personal profile included) and their texts' bytes. */
typedef struct {
	guint64 entries;
	guint64 bytes;
} MeshPortalUsage;

/* The store's initial state: @klass and the default limits. */
void mesh_portal_store_init(MeshPortalStore *store, const MeshPortalStoreClass *klass);
/* account_create: @created how many accounts @client created in the window. */
gboolean mesh_portal_store_check_account_create(MeshPortalStore *store, const char *name,
                                                const char *profile, const char *client,
                                                guint64 created, GError **error);
/* entry_publish: @account_identifier is the owning account's identifier (NULL: no such
 * account), @stored the entry of that identifier already stored, @usage the account's. */
gboolean mesh_portal_store_check_publish(MeshPortalStore *store, const MeshPortalEntry *entry,
                                         const char *account_identifier,
                                         const MeshPortalEntry *stored,
                                         const MeshPortalUsage *usage, GError **error);
/* connection_add: @stored the device's existing request, @pending the account's unexpired
 * pending requests, @from_client those of them made by the connection's client. */
gboolean mesh_portal_store_check_connection_add(MeshPortalStore *store,
                                                const MeshPortalConnection *connection,
                                                gboolean account_exists,
                                                const MeshPortalConnection *stored, guint64 pending,
                                                guint64 from_client, gint64 now, GError **error);
/* connection_complete: @stored the request to answer. */
gboolean mesh_portal_store_check_connection_complete(const char *device,
						     const MeshPortalConnection *stored,
						     gint64 now, GError **error);
/* The state of @connection as of @now: Expired for a pending request past its expiry. */
MeshPortalConnectState mesh_portal_connection_state_at(const MeshPortalConnection *connection,
						       gint64 now);
/* GCompareFunc for g_ptr_array_sort: entries by type then identifier, connection requests
 * oldest first then by device (the orders entry_list and connection_list return), by bytes. */
gint mesh_portal_entry_compare(gconstpointer a, gconstpointer b);
gint mesh_portal_connection_compare(gconstpointer a, gconstpointer b);
/* MESH_ERROR_NOT_FOUND naming the account (quoted: the name comes from outside). */
gboolean mesh_portal_store_no_account(const char *name, GError **error);
/* MESH_ERROR_NOT_FOUND naming the entry. */
gboolean mesh_portal_store_no_entry(const char *identifier, GError **error);

/* mesh_portal_store_memory_new: an empty store in memory, gone on close (tests). */
MeshPortalStore *mesh_portal_store_memory_new(void);

G_END_DECLS
