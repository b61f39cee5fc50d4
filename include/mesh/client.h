/* SPDX-License-Identifier: MIT */
#ifndef MESH_CLIENT_H
#define MESH_CLIENT_H

/*
 * libmeshclient: the "lightweight API" of the Mathematical Mesh (the seed documents, §7.1), in
 * the flattened style: open a connection to the per-user agent, then one function per agent
 * method (docs/protocol.md "Agent methods"). Plain C types in and out; every function returns a
 * MeshError (MESH_ERROR_OK on success) and writes its ret_ arguments only on success; every
 * value it returns has a free function. mesh_client_last_error() gives the message of the last
 * failure on a connection.
 *
 * Build with: cc app.c $(pkg-config --cflags --libs meshclient)
 *
 * A MeshClient is one connection; calls on it are blocking and must not be made from two
 * threads at once. Passphrases given to the library are wiped from every copy it makes.
 *
 * No call waits for ever on the agent. Connecting gives up after 10 s (MESH_ERROR_TIMEOUT: the
 * agent takes no connection, being stopped or having all of its connections held). A request
 * unanswered after 10 s makes the library ask the agent for Hello on a connection of its own:
 * when that is not answered within 10 s either, the call fails with MESH_ERROR_TIMEOUT (the
 * agent is stopped or stuck; the message names its pid and what to do); while it is, the agent
 * is busy with the request (a method that reaches the portal waits on the network, up to 30 s
 * per transaction), and the call waits on, for 600 s in all at most. An agent that goes away
 * before it answers (closed connection, EPIPE, ECONNRESET) is MESH_ERROR_AGENT_UNAVAILABLE. After
 * any of these the connection is broken: open a new one.
 */

#include <stddef.h>
#include <stdint.h>

#include <mesh/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct MeshClient MeshClient;

/*
 * mesh_client_open: connect to the agent of @hive: "test", "production", or NULL for
 * $MESH_HIVE, else production. The socket is $MESH_AGENT_SOCK when set, else
 * $XDG_RUNTIME_DIR/mesh/<hive folder>/agent.sock. Errors: MESH_ERROR_INVALID_ARGUMENT (unknown
 * hive), MESH_ERROR_AGENT_UNAVAILABLE (no socket, or nobody listening: start meshagent),
 * MESH_ERROR_PERMISSION (the socket is not a socket of this user), MESH_ERROR_TIMEOUT (the agent
 * took no connection in 10 s), MESH_ERROR_IO. On failure *ret_client is left alone; there is no
 * connection to ask for the message (mesh_client_open_socket_message gives one).
 */
MeshError mesh_client_open(const char *hive, MeshClient **ret_client);

/* mesh_client_open_socket: as mesh_client_open, with the socket at @path. */
MeshError mesh_client_open_socket(const char *path, MeshClient **ret_client);

/*
 * mesh_client_open_socket_message: as mesh_client_open_socket; on failure, when @message is not
 * NULL, *@message is set to one line that says what was wrong and what to do (free it with
 * mesh_client_free). Errors: also MESH_ERROR_TIMEOUT (the agent took no connection in 10 s).
 */
MeshError mesh_client_open_socket_message(const char *path, MeshClient **ret_client,
					  char **message);

/* mesh_client_close: close the connection and free @client; accepts NULL. */
void mesh_client_close(MeshClient *client);

/*
 * mesh_client_last_error: the message of the last failure on @client ("" when none), owned by
 * @client and valid until the next call on it.
 */
const char *mesh_client_last_error(const MeshClient *client);

/*
 * mesh_client_last_queued: after a call that changes an application (password add/set/delete,
 * app add/set/delete) succeeded: NULL when its change was published, else the URL of the portal
 * that could not be reached ("" when the agent did not say): the change is made on this device
 * and queued, to be published at the next mesh_client_profile_sync (or by the agent when it
 * reaches the portal again). Owned by @client; valid until the next call on it.
 */
const char *mesh_client_last_queued(const MeshClient *client);

/* mesh_client_free: free a string or byte buffer returned by this library; accepts NULL. */
void mesh_client_free(void *p);

/* ---- Hello, Status -------------------------------------------------------------------- */

typedef struct {
	int major, minor; /* protocol version */
	char *hive;       /* "test" or "production" */
	char **methods;   /* the method names the agent answers */
	size_t n_methods;
} MeshClientHello;

MeshError mesh_client_hello(MeshClient *client, MeshClientHello **ret_hello);
void mesh_client_hello_free(MeshClientHello *hello);

typedef struct {
	char *hive;
	char *location;       /* the hive's folder */
	char *socket;         /* the socket the agent listens on */
	int64_t pid;
	int locked;           /* protected keys are locked */
	char *key_store;      /* "file", ... */
	char *default_device; /* UDF, or NULL when there is no device */
	int64_t devices, keys;
} MeshClientStatus;

MeshError mesh_client_status(MeshClient *client, MeshClientStatus **ret_status);
void mesh_client_status_free(MeshClientStatus *status);

/* ---- Devices ------------------------------------------------------------------------ */

typedef struct {
	char *identifier;  /* the device profile's UDF */
	char *description; /* NULL when none */
	char *created;     /* RFC 3339 UTC; NULL in mesh_client_device_list results */
	int is_default;
	/* Key UDFs; NULL in mesh_client_device_list results. */
	char *signature_key, *authentication_key, *encryption_key;
	char *signed_profile; /* the SignedDeviceProfile as JSON text; NULL in list results */
} MeshClientDevice;

/*
 * mesh_client_device_create: make a device (its three keys and a self-signed profile); it
 * becomes the default when there is none. @description and @passphrase may be NULL; with a
 * passphrase the private keys are stored encrypted under it. The keys go to the store of
 * mesh_client_set_keystore, else the hive's default.
 */
MeshError mesh_client_device_create(MeshClient *client, const char *description,
				    const char *passphrase, MeshClientDevice **ret_device);

/* mesh_client_device_get: the device @identifier (NULL: the default device). Errors:
 * MESH_ERROR_NOT_FOUND when there is none. */
MeshError mesh_client_device_get(MeshClient *client, const char *identifier,
				 MeshClientDevice **ret_device);
void mesh_client_device_free(MeshClientDevice *device);

/* mesh_client_device_list: every device of the hive, as an array of @ret_n devices (identifier,
 * description, is_default only). Free with mesh_client_devices_free. */
MeshError mesh_client_device_list(MeshClient *client, MeshClientDevice **ret_devices,
				  size_t *ret_n);
void mesh_client_devices_free(MeshClientDevice *devices, size_t n);

/* ---- Keys --------------------------------------------------------------------------- */

typedef struct {
	char *udf;
	char *algorithm; /* "Ed25519", "X25519", "P-256" */
	char *use;       /* "Signature", "Authentication", "Encryption" */
	char *store;     /* "file", ... */
	int locked;      /* cannot be used until unlocked: protected and not unlocked, or in a
	                  * locked keyring */
	/* The rest is filled by mesh_client_key_list only (0 and NULL otherwise). */
	int is_protected; /* by the passphrase mesh_client_unlock takes (file: passphrase, TPM:
	                   * PIN), unlocked or not */
	char *role;       /* what depends on it: "Device", "Master", "Escrow", "Administration",
	                   * "SSH" or "Imported" (docs/protocol.md, KeyList) */
	char *account;    /* the account of a Master, Escrow, Administration or SSH key */
	char *device;     /* the device of a Device key */
} MeshClientKey;

/*
 * mesh_client_key_list: every key of the hive, with its role. Keys whose role is not
 * "Imported" cannot be removed (mesh_client_key_remove).
 */
MeshError mesh_client_key_list(MeshClient *client, MeshClientKey **ret_keys, size_t *ret_n);
/* mesh_client_keys_free: free @n keys and the array; a single key from key_generate,
 * key_import or key_move is freed with n = 1. Accepts NULL. */
void mesh_client_keys_free(MeshClientKey *keys, size_t n);

/*
 * mesh_client_set_passphrase: the passphrase that protects the keys made by profile_create,
 * profile_recover and connect_request (the device's keys when the machine has none, and the
 * master, escrow and administration keys; NULL: none). Copies @passphrase, and wipes the copy when it is replaced or the connection closed.
 * In a hive whose default device is protected every new key is protected by the hive's
 * passphrase anyway: the one given must then be it (MESH_ERROR_BAD_PASSPHRASE), and while the
 * hive is locked such calls fail with MESH_ERROR_LOCKED (mesh_client_unlock first).
 */
void mesh_client_set_passphrase(MeshClient *client, const char *passphrase);

/*
 * mesh_client_set_keystore: the key store new keys go to — "file", "secret" or "tpm2"; NULL:
 * the hive's default (mesh_client_hive_set_keystore). Sent by the calls that make keys:
 * device_create, key_generate, key_import, profile_create, profile_recover and
 * connect_request. Copies @name; the agent checks it (MESH_ERROR_INVALID_ARGUMENT for a store
 * it does not have).
 */
void mesh_client_set_keystore(MeshClient *client, const char *name);

/*
 * mesh_client_key_generate: a new key for @use ("Signature", "Authentication", "Encryption")
 * of @algorithm ("Ed25519", "X25519", "P-256"; NULL: the store's choice, Ed25519 or X25519 in
 * software, P-256 in a TPM), protected by @passphrase (NULL or "": none). Writes the new key
 * (udf, algorithm, use, store; locked 0) to @ret_key; free with mesh_client_keys_free(key, 1).
 * Errors: MESH_ERROR_INVALID_ARGUMENT (an unknown use, algorithm or store),
 * MESH_ERROR_UNSUPPORTED (the store does not make that algorithm), MESH_ERROR_PERMISSION
 * (restricted agent).
 */
MeshError mesh_client_key_generate(MeshClient *client, const char *algorithm, const char *use,
				   const char *passphrase, MeshClientKey **ret_key);

/* Most bytes of a key file mesh_client_key_import takes. */
#define MESH_CLIENT_KEY_FILE_MAX (64 * 1024)

/*
 * mesh_client_key_import: take the private key in @pem (NUL-terminated; an OpenSSH private key
 * or unencrypted PKCS#8 PEM, at most MESH_CLIENT_KEY_FILE_MAX bytes) for @use into the key store, protected by
 * @passphrase (may be NULL). @file_passphrase (may be NULL) decrypts a protected OpenSSH key.
 * Writes the key to @ret_key as mesh_client_key_generate. Errors: MESH_ERROR_MALFORMED (not a
 * key file the agent reads), MESH_ERROR_LOCKED (a protected OpenSSH key and no
 * @file_passphrase), MESH_ERROR_BAD_PASSPHRASE, MESH_ERROR_TOO_LARGE, MESH_ERROR_EXISTS,
 * MESH_ERROR_UNSUPPORTED.
 */
MeshError mesh_client_key_import(MeshClient *client, const char *pem, const char *use,
				 const char *file_passphrase, const char *passphrase,
				 MeshClientKey **ret_key);

/*
 * mesh_client_key_move: move the key @udf into the store @to, protected there by @passphrase
 * (may be NULL). Writes the key as it is now to @ret_key (may be NULL). Errors:
 * MESH_ERROR_EXISTS (it is in @to already), MESH_ERROR_INVALID_ARGUMENT (no store @to),
 * MESH_ERROR_UNSUPPORTED (a TPM key cannot leave the TPM), MESH_ERROR_NOT_FOUND,
 * MESH_ERROR_LOCKED.
 */
MeshError mesh_client_key_move(MeshClient *client, const char *udf, const char *to,
			       const char *passphrase, MeshClientKey **ret_key);

/*
 * mesh_client_key_remove: delete the key @udf from its store; this cannot be undone. Only an
 * "Imported" key (mesh_client_key_list) is removed. Errors: MESH_ERROR_PERMISSION (a key that a
 * device, a profile or an SSH key of the hive depends on: the message names it and says what to
 * do instead), MESH_ERROR_NOT_FOUND.
 */
MeshError mesh_client_key_remove(MeshClient *client, const char *udf);

typedef struct {
	char *udf;
	char *algorithm;
	char *jwk;     /* the public JWK as JSON text */
	uint8_t *spki; /* DER SubjectPublicKeyInfo */
	size_t spki_len;
} MeshClientPublicKey;

MeshError mesh_client_key_public(MeshClient *client, const char *udf,
				 MeshClientPublicKey **ret_key);
void mesh_client_public_key_free(MeshClientPublicKey *key);

/* Most bytes mesh_client_key_sign signs in one call. */
#define MESH_CLIENT_SIGN_MAX (64 * 1024)
/* Bytes of every signature (Ed25519, or ECDSA P-256/SHA-256 as r || s). */
#define MESH_CLIENT_SIGNATURE_LEN 64

/*
 * mesh_client_key_sign: the agent signs @len bytes at @data with the key @udf. Writes a new
 * buffer of MESH_CLIENT_SIGNATURE_LEN bytes to @ret_signature (free with mesh_client_free) and
 * its length to @ret_len (may be NULL). Errors: MESH_ERROR_TOO_LARGE above
 * MESH_CLIENT_SIGN_MAX, MESH_ERROR_NOT_FOUND, MESH_ERROR_LOCKED (unlock first),
 * MESH_ERROR_UNSUPPORTED (an encryption key).
 */
MeshError mesh_client_key_sign(MeshClient *client, const char *udf, const void *data, size_t len,
			       uint8_t **ret_signature, size_t *ret_len);

/* ---- Hives, locking, shutdown -------------------------------------------------------- */

/*
 * mesh_client_hive_migrate: copy profiles, accounts and keys from hive @from to hive @to
 * ("test" / "production"). Without @force nothing is copied when an entry exists in @to
 * (MESH_ERROR_EXISTS). @ret_copied (may be NULL) gets the number of entries copied.
 */
MeshError mesh_client_hive_migrate(MeshClient *client, const char *from, const char *to,
				   int force, int64_t *ret_copied);

/*
 * mesh_client_hive_set_keystore: new keys of the hive go to the store @name ("file", "secret",
 * "tpm2") from now on; keys made before stay where they are (mesh_client_key_move). Errors:
 * MESH_ERROR_INVALID_ARGUMENT (no such store), the store's own when it cannot be opened.
 */
MeshError mesh_client_hive_set_keystore(MeshClient *client, const char *name);

/* mesh_client_lock: the agent wipes every unwrapped key. */
MeshError mesh_client_lock(MeshClient *client);

/*
 * mesh_client_unlock: unwrap the protected keys with @passphrase for @lifetime seconds (0: until
 * mesh_client_lock; negative: the agent's default, an hour). @ret_unlocked (may be NULL) gets
 * the number of keys unlocked. Errors: MESH_ERROR_BAD_PASSPHRASE.
 */
MeshError mesh_client_unlock(MeshClient *client, const char *passphrase, int64_t lifetime,
			     int64_t *ret_unlocked);

/* mesh_client_shutdown: the agent removes its socket and exits. */
MeshError mesh_client_shutdown(MeshClient *client);

/*
 * mesh_client_call: any method, raw: @params_json is a JSON object as text (NULL: none); the
 * result object is written as JSON text to @ret_result_json (may be NULL; free with
 * mesh_client_free). Errors: the agent's, MESH_ERROR_MALFORMED when @params_json is not a JSON
 * object, MESH_ERROR_PROTOCOL when the answer is not one, MESH_ERROR_IO, MESH_ERROR_TIMEOUT.
 */
MeshError mesh_client_call(MeshClient *client, const char *method, const char *params_json,
			   char **ret_result_json);

/* ---- Session: accounts, profiles, escrow, connection, applications, passwords ---------- */

/*
 * These call the agent's session methods (docs/protocol.md "Agent methods (§9)"), which reach
 * the account's portal. @account NULL means the default account where the method allows it.
 * Secrets handed back (shares, passwords, application data) are in buffers to free with
 * mesh_client_secret_free / mesh_client_secrets_free, which wipe them.
 */

/*
 * mesh_client_set_portal: the portal URL (overriding https://DOMAIN/.well-known/mmm/; a URL with
 * no path means its /.well-known/mmm/) and the CA file (PEM, a path the agent can read) that the
 * agent trusts for the portal's TLS certificate. Either may be NULL. Copies both. Both are sent
 * to every method that reaches the portal. An account made with it (profile create and recover,
 * connect request) remembers the URL; for an account the agent holds already, a URL that is not
 * the one it remembers makes the method fail with MESH_ERROR_INVALID_ARGUMENT (move an account
 * with mesh_client_profile_set_portal).
 */
void mesh_client_set_portal(MeshClient *client, const char *url, const char *ca_file);

/* mesh_client_secret_free: wipe and free a secret string from this library; accepts NULL. */
void mesh_client_secret_free(char *secret);
/* mesh_client_secrets_free: wipe and free @n secret strings and the array; accepts NULL. */
void mesh_client_secrets_free(char **secrets, size_t n);
/* mesh_client_strings_free: free @n strings and the array; accepts NULL. */
void mesh_client_strings_free(char **strings, size_t n);

typedef struct {
	char *identifier;
	char *type;     /* "PasswordProfile", "GenericProfile", ... */
	char *friendly; /* NULL when none */
} MeshClientApp;

typedef struct {
	char *identifier; /* the profile's fingerprint (master UDF) */
	char *account;
	int64_t serial;
	char **devices; /* device UDFs */
	size_t n_devices;
	MeshClientApp *applications;
	size_t n_applications;
	char *portal;    /* the remembered portal URL, or NULL */
	char *admin_key; /* this device's administration key, or NULL */
	int master_keys; /* this device holds the profile's master keys */
	char **escrows;  /* the escrow entries of the master keys known here (made here, used to
	                  * recover here, or checked here with mesh_client_escrow_verify) */
	size_t n_escrows;
	/* after mesh_client_profile_recover: the devices that lost administration (promote them
	 * again with mesh_client_device_promote); NULL otherwise */
	struct MeshClientProfileDevice *demoted;
	size_t n_demoted;
	char **notes; /* profile sync: what it did besides, one line each (requests answered by
	               * PIN); NULL when nothing */
	size_t n_notes;
} MeshClientProfile;

void mesh_client_profile_free(MeshClientProfile *profile);
void mesh_client_apps_free(MeshClientApp *apps, size_t n);

/* mesh_client_account_validate: may @account be created at its portal? *ret_valid 1 or 0;
 * *ret_reason (may be NULL) the portal's reason when not. */
MeshError mesh_client_account_validate(MeshClient *client, const char *account, int *ret_valid,
				       char **ret_reason);
/* mesh_client_account_default: make @account the default account first (NULL: leave it); then
 * *ret_default (may be NULL; mesh_client_free) gets the default account, NULL when there is
 * none. Errors: MESH_ERROR_NOT_FOUND (no such account here, or its connection is pending). */
MeshError mesh_client_account_default(MeshClient *client, const char *account,
				      char **ret_default);
/* mesh_client_profile_create: a new profile for @account, this device its administration
 * device; its keys protected as mesh_client_set_passphrase says. Escrow the master keys next
 * (mesh_client_escrow_create): until then master_keys is 1 and n_escrows 0. Errors:
 * MESH_ERROR_EXISTS, MESH_ERROR_LOCKED, MESH_ERROR_BAD_PASSPHRASE. */
MeshError mesh_client_profile_create(MeshClient *client, const char *account,
				     MeshClientProfile **ret_profile);
MeshError mesh_client_profile_get(MeshClient *client, const char *account,
				  MeshClientProfile **ret_profile);
/* mesh_client_profile_list: the accounts this machine holds; *ret_default (may be NULL) the
 * default one, NULL when none. Free with mesh_client_strings_free / mesh_client_free. */
MeshError mesh_client_profile_list(MeshClient *client, char ***ret_accounts, size_t *ret_n,
				   char **ret_default);
/* mesh_client_profile_sync: publish the queued changes, then fetch and verify the profile and
 * its applications. */
MeshError mesh_client_profile_sync(MeshClient *client, const char *account,
				   MeshClientProfile **ret_profile);

/* A change made while the portal could not be reached (queued or published), or one that met a
 * change of another device when it was published (a conflict). */
typedef struct {
	char *operation;   /* "PasswordAdd", "PasswordSet", "PasswordDelete", "AppAdd", "AppSet",
			    * "AppDelete" */
	char *application; /* the application's name ("Passwords" for the passwords) */
	char *site;        /* the login of a password change; else NULL */
	char *username;
	char *queued;   /* when it was queued, RFC 3339 */
	char *conflict; /* conflicts only: "Replaced" (another device changed it too; this device's
			 * change replaced that), "Restored" (another device deleted it; this
			 * device's change put it back), "Deleted" (another device changed what
			 * this device deleted); else NULL */
} MeshClientQueued;

typedef struct {
	MeshClientQueued *queued; /* profile status: waiting; sync: published by the flush */
	size_t n_queued;
	MeshClientQueued *conflicts; /* of the last flush that published anything */
	size_t n_conflicts;
} MeshClientQueue;

void mesh_client_queue_free(MeshClientQueue *queue);

/*
 * mesh_client_profile_sync_report: mesh_client_profile_sync, and in *@ret_report (may be NULL)
 * what it published first: queued = the changes published, conflicts = those that met a
 * change of another device. Errors: those of the sync (MESH_ERROR_NETWORK: the portal still
 * cannot be reached, the changes stay queued), MESH_ERROR_LOCKED.
 */
MeshError mesh_client_profile_sync_report(MeshClient *client, const char *account,
					  MeshClientProfile **ret_profile,
					  MeshClientQueue **ret_report);

/*
 * mesh_client_profile_status: what of @account (NULL: the default) waits for the portal
 * (queued), and the conflicts of the last flush. Never a password or application data.
 * Errors: MESH_ERROR_NOT_FOUND, MESH_ERROR_LOCKED (this device's key, which opens the queue, is
 * locked), MESH_ERROR_DECRYPT / MESH_ERROR_MALFORMED (a queued entry is damaged: named).
 */
MeshError mesh_client_profile_status(MeshClient *client, const char *account,
				     MeshClientQueue **ret_status);
/* What is wrong with an account this machine holds (mesh_client_profile_list_damaged). */
typedef struct {
	char *entry;    /* the hive entry: "Accounts/<name>" or "PersonalProfiles/<udf>.json" */
	char *account;  /* NULL when neither the entry nor its name tells */
	MeshError code; /* what is wrong: MESH_ERROR_MALFORMED, MESH_ERROR_BAD_SIGNATURE, ... */
	char *message;  /* one line */
	char *fix;      /* one line: what to run */
} MeshClientDamage;

/*
 * mesh_client_profile_list_damaged: the account entries that do not read (which
 * mesh_client_profile_list leaves out) and the stored profiles that are missing or do not verify,
 * each with its fix ('mesh profile sync ACCOUNT' repairs a profile). *ret_damages: an array of
 * *ret_n (0 when nothing is wrong); free with mesh_client_damages_free.
 */
MeshError mesh_client_profile_list_damaged(MeshClient *client, MeshClientDamage **ret_damages,
					   size_t *ret_n);
void mesh_client_damages_free(MeshClientDamage *damages, size_t n);

/*
 * mesh_client_profile_set_portal: make @account (NULL: the default) use the portal at @url from
 * now on (a URL with no path means its /.well-known/mmm/), once that portal has shown it serves
 * the account's profile, no older than the one this device holds. *ret_profile (may be NULL):
 * the profile as that portal serves it. Errors: MESH_ERROR_INVALID_ARGUMENT (the URL),
 * MESH_ERROR_WITNESS_MISMATCH (another profile), MESH_ERROR_STALE, MESH_ERROR_NOT_FOUND, the
 * portal's; nothing is changed then.
 */
MeshError mesh_client_profile_set_portal(MeshClient *client, const char *account,
					 const char *url, MeshClientProfile **ret_profile);

/*
 * mesh_client_profile_delete: forget @account on this machine (the portal keeps it). Refused
 * with MESH_ERROR_PERMISSION when that would lose the profile for good: this device holds its
 * master keys or is its only administration device, and no escrow of them is known here
 * (MeshClientProfile.escrows). mesh_client_profile_delete_force deletes it all the same.
 */
MeshError mesh_client_profile_delete(MeshClient *client, const char *account);
MeshError mesh_client_profile_delete_force(MeshClient *client, const char *account);

/* mesh_client_escrow_create: escrow the master keys in @shares shares, @quorum of which
 * recover them. *ret_shares: free with mesh_client_secrets_free; *ret_identifier (may be
 * NULL) the escrow entry's UDF. */
MeshError mesh_client_escrow_create(MeshClient *client, const char *account, int quorum,
				    int shares, char ***ret_shares, size_t *ret_n,
				    char **ret_identifier);
/*
 * mesh_client_escrow_revoke: on an administration device, delete the escrow entry @identifier
 * (NULL: the only one known here) from the portal and this device. The portal may have kept a
 * copy, so its shares may still recover the master keys until they change. *ret_identifier and
 * *ret_account (each may be NULL; mesh_client_free) get the entry revoked and its account. Errors: MESH_ERROR_UNAUTHORIZED (not
 * an administration device), MESH_ERROR_NOT_FOUND, MESH_ERROR_INVALID_ARGUMENT (several escrows
 * are known here and none was given).
 */
MeshError mesh_client_escrow_revoke(MeshClient *client, const char *account,
				    const char *identifier, char **ret_identifier,
				    char **ret_account);
/* mesh_client_escrow_verify: a recovery drill; installs nothing. Errors: MESH_ERROR_SHARE_*. */
MeshError mesh_client_escrow_verify(MeshClient *client, const char *account,
				    const char *const *shares, size_t n);
/* mesh_client_profile_recover: restore @account's master keys from @n shares onto this
 * device, which becomes its administration device. */
MeshError mesh_client_profile_recover(MeshClient *client, const char *account,
				      const char *const *shares, size_t n,
				      MeshClientProfile **ret_profile);

typedef struct {
	char *profile_udf, *device_udf, *witness;
} MeshClientConnect;

void mesh_client_connect_free(MeshClientConnect *connect);
/* mesh_client_connect_request: ask to join @account's profile; does not wait. */
MeshError mesh_client_connect_request(MeshClient *client, const char *account,
				      MeshClientConnect **ret_connect);
/* mesh_client_connect_request_pin: as mesh_client_connect_request, proving the PIN @pin (as the
 * administration device showed it; NULL: none) so that the administration device that made it
 * accepts the request by itself; @description (NULL: none) describes the device made when this
 * machine has none. Errors: also MESH_ERROR_INVALID_ARGUMENT (not a PIN; a description that is
 * not display text or differs from the existing device's). */
MeshError mesh_client_connect_request_pin(MeshClient *client, const char *account,
					  const char *pin, const char *description,
					  MeshClientConnect **ret_connect);

/* A PIN made by mesh_client_connect_pin: @pin and @uri are secrets (wiped by
 * mesh_client_pin_free). */
typedef struct {
	char *pin;     /* canonical: 28 characters */
	char *uri;     /* mcu://ACCOUNT/PIN[?portal=URL] */
	char *pin_id;  /* what names the PIN in lists and at the portal */
	char *expires; /* RFC 3339 */
	int admin;
} MeshClientPin;

void mesh_client_pin_free(MeshClientPin *pin);
/* mesh_client_connect_pin: on an administration device, a one-time PIN for connecting a device
 * to @account (NULL: default) that lives @expire_seconds (0: a day; 60 s to 30 days); @admin: the
 * device connected with it becomes an administration device. Errors: MESH_ERROR_UNAUTHORIZED,
 * MESH_ERROR_INVALID_ARGUMENT. */
MeshError mesh_client_connect_pin(MeshClient *client, const char *account, int64_t expire_seconds,
				  int admin, MeshClientPin **ret_pin);

/* A PIN as listed (never the PIN itself). */
typedef struct {
	char *pin_id;
	char *expires;
	int admin, used, expired;
} MeshClientPinInfo;

void mesh_client_pin_infos_free(MeshClientPinInfo *pins, size_t n);
MeshError mesh_client_connect_pin_list(MeshClient *client, const char *account,
				       MeshClientPinInfo **ret_pins, size_t *ret_n);
/* mesh_client_connect_pin_revoke: forget the PIN whose PinId is or starts with @pin_id (at least
 * 4 characters); *@ret_pin_id (may be NULL) the whole PinId. */
MeshError mesh_client_connect_pin_revoke(MeshClient *client, const char *account,
					 const char *pin_id, char **ret_pin_id);

/* mesh_client_connect_status: one poll; *ret_state "Pending", "Accepted", "Rejected" or
 * "Expired" (free with mesh_client_free). */
MeshError mesh_client_connect_status(MeshClient *client, const char *account, char **ret_state);

typedef struct {
	char *device_udf;
	char *description; /* NULL when none */
	char *witness;
	char *expires; /* RFC 3339 */
} MeshClientPending;

void mesh_client_pending_free(MeshClientPending *pending, size_t n);
MeshError mesh_client_connect_pending(MeshClient *client, const char *account,
				      MeshClientPending **ret_pending, size_t *ret_n);
/* mesh_client_connect_accept / _reject: the request whose witness is the whole @witness, as the
 * new device shows it (28 characters; dashes, spaces and case ignored). A prefix is refused with
 * MESH_ERROR_INVALID_ARGUMENT: the portal chooses the nonces and can grind a device of its own
 * whose witness starts like the real one's. */
MeshError mesh_client_connect_accept(MeshClient *client, const char *account,
				     const char *witness);
MeshError mesh_client_connect_reject(MeshClient *client, const char *account,
				     const char *witness);

/* A login: a user name at a site (the password application). */
typedef struct {
	char *site;
	char *username;
} MeshClientLogin;

/* The devices of a profile (docs/protocol.md "Devices of a profile"). */
typedef struct MeshClientProfileDevice {
	char *identifier;
	char *description;  /* NULL when none */
	char *added;        /* RFC 3339; NULL when the profile does not say */
	int administration; /* an administration device */
	int this_device;
} MeshClientProfileDevice;

void mesh_client_profile_devices_free(MeshClientProfileDevice *devices, size_t n);
/* mesh_client_profile_devices: the devices of @account's profile (NULL: the default account). */
MeshError mesh_client_profile_devices(MeshClient *client, const char *account,
                                      MeshClientProfileDevice **ret_devices, size_t *ret_n);
/*
 * On an administration device, the device @device of the profile (its UDF, a unique prefix of
 * at least 4 characters, or its description): rename it (the profile's name for it), make it an
 * administration device or no longer one (both on the device holding the master keys: else
 * MESH_ERROR_PERMISSION; never the last one), or remove it for good.
 */
MeshError mesh_client_device_rename(MeshClient *client, const char *account, const char *device,
                                    const char *description);
MeshError mesh_client_device_promote(MeshClient *client, const char *account, const char *device);
MeshError mesh_client_device_demote(MeshClient *client, const char *account, const char *device);

/* What a removed device could read (its secrets should be changed). */
typedef struct {
	char *identifier;
	char *description; /* NULL when none */
	int administration;
	MeshClientLogin *logins;
	size_t n_logins;
	char **applications;
	size_t n_applications;
} MeshClientRemoval;

void mesh_client_removal_free(MeshClientRemoval *removal);
MeshError mesh_client_device_remove(MeshClient *client, const char *account, const char *device,
                                    MeshClientRemoval **ret_removal);

MeshError mesh_client_app_list(MeshClient *client, const char *account, MeshClientApp **ret_apps,
			       size_t *ret_n);
/* mesh_client_app_add_generic: a GenericProfile named @name; *ret_identifier may be NULL. */
MeshError mesh_client_app_add_generic(MeshClient *client, const char *account, const char *name,
				      char **ret_identifier);
/* mesh_client_app_set: replace the Data of @name with the JSON text @data_json. */
MeshError mesh_client_app_set(MeshClient *client, const char *account, const char *name,
			      const char *data_json);
/* mesh_client_app_get: the plaintext JSON of @name (free with mesh_client_secret_free).
 * Errors: MESH_ERROR_NOT_FOUND, MESH_ERROR_LOCKED (this device's key is locked: unlock first),
 * MESH_ERROR_DECRYPT (the data does not open: tampered with). */
MeshError mesh_client_app_get(MeshClient *client, const char *account, const char *name,
			      char **ret_json);
/*
 * mesh_client_app_delete: remove the generic application @name from the profile and publish
 * it; the other devices drop it when they sync. This cannot be undone. Errors:
 * MESH_ERROR_NOT_FOUND, MESH_ERROR_PERMISSION (the PasswordProfile and the SSHProfile, which the
 * Mesh keeps), MESH_ERROR_UNAUTHORIZED (not an administration device).
 */
MeshError mesh_client_app_delete(MeshClient *client, const char *account, const char *name);

/*
 * Passwords. A login is a user name at a site; a site may hold several (alice and bob at
 * example.com). Sites and user names are display text; sites may not be empty or blank.
 */

/* mesh_client_password_add: store the new login (@site, @username) with @password (NULL: the
 * agent generates one and hands it back in *ret_generated, which may be NULL; free with
 * mesh_client_secret_free). Errors: MESH_ERROR_EXISTS (the login is stored: change it with
 * mesh_client_password_set), MESH_ERROR_INVALID_ARGUMENT. */
MeshError mesh_client_password_add(MeshClient *client, const char *account, const char *site,
				   const char *username, const char *password,
				   char **ret_generated);
/* mesh_client_password_set: the new password of the stored login (@site, @username), as
 * mesh_client_password_add. Errors: MESH_ERROR_NOT_FOUND (no such login). */
MeshError mesh_client_password_set(MeshClient *client, const char *account, const char *site,
                                   const char *username, const char *password,
                                   char **ret_generated);
/*
 * mesh_client_password_get_login: the password of the login at @site (or "*.domain" above it)
 * for @username (NULL: the site's only user name). *ret_username (may be NULL; free with
 * mesh_client_free) gets the user name, *ret_password (mesh_client_secret_free) the password.
 * Errors: MESH_ERROR_NOT_FOUND, MESH_ERROR_INVALID_ARGUMENT (@username NULL and the site has
 * logins of several user names; the message names them), MESH_ERROR_LOCKED.
 */
MeshError mesh_client_password_get_login(MeshClient *client, const char *account, const char *site,
                                         const char *username, char **ret_username,
                                         char **ret_password);
/* mesh_client_password_get: mesh_client_password_get_login for the site's only user name. */
MeshError mesh_client_password_get(MeshClient *client, const char *account, const char *site,
				   char **ret_username, char **ret_password);
/* mesh_client_password_list: the sites with a login, each once. */
MeshError mesh_client_password_list(MeshClient *client, const char *account, char ***ret_sites,
				    size_t *ret_n);

/* mesh_client_password_logins: every login (a site and a user name), as stored. Free with
 * mesh_client_logins_free. */
MeshError mesh_client_password_logins(MeshClient *client, const char *account,
                                      MeshClientLogin **ret_logins, size_t *ret_n);
void mesh_client_logins_free(MeshClientLogin *logins, size_t n);
/* mesh_client_password_delete_login: remove the login (@site exactly, @username; NULL: the
 * site's only user name). Errors: as mesh_client_password_get_login. */
MeshError mesh_client_password_delete_login(MeshClient *client, const char *account,
                                            const char *site, const char *username);
/* mesh_client_password_delete: mesh_client_password_delete_login for the only user name. */
MeshError mesh_client_password_delete(MeshClient *client, const char *account, const char *site);

/* ---- SSH ------------------------------------------------------------------------------ */

typedef struct {
	char *device_udf;
	char *public_key; /* one OpenSSH public key line, no line break */
} MeshClientSshKey;

void mesh_client_ssh_keys_free(MeshClientSshKey *keys, size_t n);

/*
 * mesh_client_ssh_create: make this device's SSH key for @account (NULL: default) in the store
 * of mesh_client_set_keystore (else the hive's), protected by @passphrase (may be NULL), and
 * publish it. *ret_udf (may be NULL) gets its UDF, *ret_public_key its OpenSSH line (free both
 * with mesh_client_free). Errors: MESH_ERROR_EXISTS (this device has one for the account).
 */
MeshError mesh_client_ssh_create(MeshClient *client, const char *account, const char *passphrase,
				 char **ret_udf, char **ret_public_key);
/*
 * mesh_client_ssh_rotate: replace this device's SSH key for @account (NULL: default) with a new
 * one in the same key store (protected as the hive's keys are), publish it and retire the old
 * one: the account's SSHProfile lists the new key (at once on an administration device, else
 * once an administration device syncs), the agent's ssh-agent socket serves it, and the old
 * key is removed from the key store. *ret_udf and *ret_old_udf (each may be NULL) get the new
 * and the old key's UDF, *ret_public_key the new OpenSSH line (free them with
 * mesh_client_free). Errors: MESH_ERROR_NOT_FOUND (no SSH key for the account here),
 * MESH_ERROR_LOCKED (the hive's keys are locked).
 */
MeshError mesh_client_ssh_rotate(MeshClient *client, const char *account, char **ret_udf,
				 char **ret_public_key, char **ret_old_udf);
/* mesh_client_ssh_authorized_keys: the keys of @account's SSHProfile as this device holds it
 * (sync first); an empty list when there is none. Free with mesh_client_ssh_keys_free. */
MeshError mesh_client_ssh_authorized_keys(MeshClient *client, const char *account,
					  MeshClientSshKey **ret_keys, size_t *ret_n);
/* mesh_client_ssh_socket: the path of the agent's ssh-agent socket (for SSH_AUTH_SOCK; free
 * with mesh_client_free). Errors: MESH_ERROR_NOT_FOUND (this agent serves no ssh-agent
 * socket). */
MeshError mesh_client_ssh_socket(MeshClient *client, char **ret_path);

/* ---- Which program may use which key: policy, approval, the audit log -------------------- */

/*
 * The agent decides for each request which program (the executable at the other end of the
 * connection) may use which key or application: a rule for that program and that key or
 * application, else its rule for the SSH keys (for the ssh-agent socket), else the default
 * (docs/protocol.md "Agent methods", PolicyList...AuditVerify). A decision is "allow", "ask"
 * (the user is asked: the agent's askpass program, else mesh_client_approve_list) or "deny".
 *
 * In a protected hive (its keys protected by a passphrase) every change that can loosen the
 * policy — a rule or default "allow" or "ask", a reset, an approval — needs the hive's
 * passphrase (@passphrase; NULL: none given): without it or with another one the call fails
 * with MESH_ERROR_BAD_PASSPHRASE (MESH_ERROR_RATE_LIMITED after several wrong ones,
 * MESH_ERROR_LOCKED while the keys are locked). Tightening needs none. Passphrases are sent
 * once and wiped from every copy the library makes.
 */

/* What a policy rule is about. */
typedef enum {
	MESH_CLIENT_TARGET_KEY = 1, /* one key: value is its UDF */
	MESH_CLIENT_TARGET_APP = 2, /* one application: value is its name ("Passwords": the
	                             * passwords) */
	MESH_CLIENT_TARGET_SSH = 3, /* every key the ssh-agent socket serves: value is NULL */
} MeshClientTarget;

typedef struct {
	char *program;           /* the executable's absolute path */
	char *sha256;            /* 64 lower-case hex digits: the rule holds only for an executable
	                          * with this SHA-256; NULL: any at that path */
	MeshClientTarget target;
	char *value;             /* the key's UDF or the application's name; NULL for SSH */
	char *decision;          /* "allow", "ask" or "deny" */
	char *expires;           /* RFC 3339 UTC; NULL: never */
} MeshClientPolicyRule;

/*
 * mesh_client_policy_list: the default decision (*@ret_default, free with mesh_client_free; may
 * be NULL) and the rules that have not expired (*@ret_rules, @ret_n of them; free with
 * mesh_client_policy_rules_free). Errors: MESH_ERROR_PROTOCOL (an answer that is not a policy).
 */
MeshError mesh_client_policy_list(MeshClient *client, char **ret_default,
                                  MeshClientPolicyRule **ret_rules, size_t *ret_n);
/* mesh_client_policy_rules_free: free @n rules and the array; accepts NULL. */
void mesh_client_policy_rules_free(MeshClientPolicyRule *rules, size_t n);

/*
 * mesh_client_policy_set: the rule @rule (program, sha256 or NULL, target and value, decision,
 * expires or NULL) replaces the one for the same program and target, if any. Errors:
 * MESH_ERROR_INVALID_ARGUMENT (a rule the agent refuses: the message says why), the passphrase
 * errors above (allow, ask).
 */
MeshError mesh_client_policy_set(MeshClient *client, const MeshClientPolicyRule *rule,
                                 const char *passphrase);

/* mesh_client_policy_default: the decision ("allow", "ask", "deny") for programs no rule
 * names. Errors: as mesh_client_policy_set. */
MeshError mesh_client_policy_default(MeshClient *client, const char *decision,
                                     const char *passphrase);

/*
 * mesh_client_policy_reset: remove the rules of @program, or (@program NULL) every rule and
 * set the default back to "allow". *@ret_removed (may be NULL) gets the number of rules
 * removed. Errors: the passphrase errors above.
 */
MeshError mesh_client_policy_reset(MeshClient *client, const char *program,
                                   const char *passphrase, int64_t *ret_removed);

/* A request waiting for the user's answer (a decision "ask" and no askpass program). */
typedef struct {
	int64_t id;      /* 1, 2, ... in each run of the agent */
	char *program;   /* the executable's path; NULL: unknown */
	int64_t pid;     /* 0: unknown */
	char *operation; /* "Sign", "Agree", "Read", ... */
	char *key;       /* the key's UDF, or NULL */
	char *app;       /* the application's name, or NULL */
	char *expires;   /* RFC 3339 UTC: refused (MESH_ERROR_TIMEOUT) when not answered by then */
} MeshClientApproval;

/* mesh_client_approve_list: the requests waiting, oldest first (free with
 * mesh_client_approvals_free). */
MeshError mesh_client_approve_list(MeshClient *client, MeshClientApproval **ret_requests,
                                   size_t *ret_n);
/* mesh_client_approvals_free: free @n requests and the array; accepts NULL. */
void mesh_client_approvals_free(MeshClientApproval *requests, size_t n);

/*
 * mesh_client_approve: allow the request @id, once or (@always) from now on (a rule "allow"
 * for its program and target, pinned to the executable's SHA-256). Errors:
 * MESH_ERROR_NOT_FOUND (no such request waits: answered, timed out), the passphrase errors
 * above. mesh_client_deny: refuse it (the program gets MESH_ERROR_DENIED); needs no passphrase.
 */
MeshError mesh_client_approve(MeshClient *client, int64_t id, int always, const char *passphrase);
MeshError mesh_client_deny(MeshClient *client, int64_t id);

/* Which records mesh_client_audit_list returns; NULL or 0 members do not filter. */
typedef struct {
	const char *since;   /* RFC 3339: records from this time on */
	const char *key;     /* records about this key (UDF) */
	const char *program; /* records of this program (absolute path) */
	int64_t limit;       /* the last @limit records, 1 to 10000; 0: the agent's default, 1000 */
} MeshClientAuditFilter;

/*
 * mesh_client_audit_list: the audit log's records that @filter (may be NULL) selects, oldest
 * first, each as one JSON object's text ({"Seq", "Time", "Op", ...} as the agent stores it,
 * docs/protocol.md); free with mesh_client_strings_free. Errors: MESH_ERROR_INVALID_ARGUMENT
 * (a filter the agent refuses).
 */
MeshError mesh_client_audit_list(MeshClient *client, const MeshClientAuditFilter *filter,
                                 char ***ret_records, size_t *ret_n);

typedef struct {
	int64_t records;        /* records read, every file */
	int64_t files;
	int64_t signed_through; /* the Seq of the last signed head; 0: none yet */
	int64_t unsigned_records; /* records after it, not signed yet */
} MeshClientAuditVerify;

/*
 * mesh_client_audit_verify: the agent checks the whole audit log: every record's hash chain and
 * every head's signature. Writes the counts to *@ret_verify. Errors: MESH_ERROR_TAMPERED (a
 * record was changed, removed, reordered or cut: mesh_client_last_error names the file, line
 * and Seq of the first broken record and why).
 */
MeshError mesh_client_audit_verify(MeshClient *client, MeshClientAuditVerify *ret_verify);

#ifdef __cplusplus
}
#endif

#endif /* MESH_CLIENT_H */
