/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "application.h"
#include "hive-cache.h"
#include "hive.h"
#include "keystore.h"
#include "portal-client.h"
#include "secret.h"

G_BEGIN_DECLS

/*
 * Session operations (docs/protocol.md §6-8; the seed documents' walk-through): a personal profile
 * and its accounts, escrow and recovery, connecting a device, application profiles and
 * passwords — written against three interfaces only (MeshHive, MeshKeyStore, MeshPortalClient)
 * so that one process can simulate several devices and a portal.
 *
 * Hive layout (besides ThisDevice/ and the key store's Keys/):
 *
 *   Accounts/<name>             {"Account", "Profile": UDF, "Device": UDF of this device,
 *                               "Portal"?: URL given with --portal (remembered, in the form of
 *                               mesh_portal_url_normalize),
 *                               "Serial"?, "MasterSerial"?: the highest personal and master
 *                               profile serials this device has stored (the floor a repair
 *                               from the portal must reach),
 *                               "AdministrationKey"?: UDF of this device's administration key
 *                               (only on administration devices),
 *                               "Connection"?: {"ClientNonce", "ServerNonce", "Witness"} while
 *                               this device waits for a connection request to be answered,
 *                               "SSHKey"?: {"UDF", "PublicKey"}: this device's SSH key for the
 *                               account (mesh_session_ssh_create) and its OpenSSH line}.
 *                               <name> is the account with '@' written "_AT_" (account names are
 *                               lower case, so this cannot collide); "default" names the
 *                               default account.
 *   PersonalProfiles/<udf>.json the SignedPersonalProfile, as received or published.
 *   ApplicationProfiles/<id>.json  a SignedApplicationProfile.
 *   Escrow/<id>.json            a copy of each OfflineEscrowEntry this device made.
 *
 * Keys in the key store: the master signature key (MESH_KEY_USE_SIGNATURE, UDF = the profile's
 * Identifier) and the master escrow keys (MESH_KEY_USE_ENCRYPTION, UDFs from the master
 * profile) on the device that created or recovered the profile; the administration key
 * (MESH_KEY_USE_SIGNATURE) named by Accounts/<name> "AdministrationKey"; this device's SSH key
 * (MESH_KEY_USE_AUTHENTICATION) named by Accounts/<name> "SSHKey".
 *
 * Every operation that changes a profile publishes it (signed by this device's administration
 * key) and then stores it; application profiles are sealed to every device in DecryptID (this
 * implementation lists every device of the profile there) and to the master escrow keys.
 */

/* Opens a portal client for the account domain @account_domain (may be NULL for an account
 * without a domain), or @url_override when not NULL. */
typedef MeshPortalClient *(*MeshSessionPortalOpen)(gpointer data, const char *account_domain,
                                                   const char *url_override, GError **error);

/* The current time in Unix seconds. */
typedef gint64 (*MeshSessionClock)(gpointer data);

typedef struct {
	MeshHive *hive;      /* borrowed */
	MeshKeyStore *store; /* borrowed */
	MeshSessionPortalOpen open_portal;
	gpointer portal_data;
	MeshSessionClock clock; /* NULL: the system clock; used for signed transactions */
	gpointer clock_data;
	const MeshSecret *passphrase; /* protects keys made or imported; may be NULL */
	/* The hive's keys are protected and locked (the agent knows: ipc/dispatch.c): an operation
	 * that would make a key fails with MESH_ERROR_LOCKED before it changes anything. */
	gboolean keys_locked;
	/* The portal the caller named for this request (--portal, MESH_PORTAL_URL), or NULL. An
	 * account this machine holds keeps the portal it remembers: a request on it that names
	 * another (after mesh_portal_url_normalize) fails; mesh_session_profile_set_portal moves
	 * it. */
	const char *portal_url;
	/* Verified profiles kept from earlier reads (borrowed; NULL: none). Only the functions that
	 * read and never write use it (password get and list, app get and list); a caller that
	 * hands it in clears it around every other call (ipc/methods-session.c). */
	MeshHiveCache *cache;
} MeshSession;

/* mesh_session_keys_locked_error: set MESH_ERROR_LOCKED for an operation refused because the
 * hive's protected keys are locked (keys_locked), saying to run 'mesh unlock'. */
void mesh_session_keys_locked_error(GError **error);

/* ---- Accounts and profiles ----------------------------------------------------------------- */

typedef struct {
	char *identifier;
	MeshApplicationType type;
	char *friendly; /* may be NULL */
} MeshSessionApp;

void mesh_session_app_free(MeshSessionApp *app);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshSessionApp, mesh_session_app_free)

typedef struct {
	char *identifier; /* the profile's fingerprint (master UDF) */
	char *account;
	gint64 serial;
	GPtrArray *devices;      /* char *, device UDFs */
	GPtrArray *applications; /* MeshSessionApp * */
	char *portal;            /* the remembered --portal URL, or NULL */
	char *admin_key;         /* this device's administration key, or NULL */
	GPtrArray *escrows;      /* char *: the escrow entries of the master keys known here */
	gboolean master_keys;    /* this device holds the profile's master keys */
	/* MeshSessionDevice *: the devices a recovery took administration from; NULL otherwise */
	GPtrArray *demoted;
	GPtrArray *notes;        /* char *: what a sync did besides (may be NULL) */
} MeshSessionProfile;

void mesh_session_profile_free(MeshSessionProfile *profile);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshSessionProfile, mesh_session_profile_free)

/*
 * mesh_session_account_validate: ask the portal whether @account may be created. *@ret_valid
 * gets the answer and *@ret_reason (may be NULL) the portal's reason when not valid (NULL
 * otherwise). Errors: MESH_ERROR_INVALID_ARGUMENT (not an account name), portal errors.
 */
gboolean mesh_session_account_validate(MeshSession *session, const char *account,
                                       const char *portal_url, gboolean *ret_valid,
                                       char **ret_reason, GError **error);

/*
 * mesh_session_profile_create: make a device when this machine has none, the master keys, an
 * administration key, the PersonalProfile listing this device; CreateAccount on the portal
 * (@portal_url overrides the account's domain and is remembered); store the account and make
 * it the default when there is none. On failure the keys made are removed again. Errors:
 * MESH_ERROR_INVALID_ARGUMENT, MESH_ERROR_EXISTS (this machine already holds @account, or the
 * portal does), MESH_ERROR_LOCKED (keys_locked: nothing is done), store, hive and portal
 * errors.
 */
gboolean mesh_session_profile_create(MeshSession *session, const char *account,
                                     const char *portal_url, MeshSessionProfile **ret_profile,
                                     GError **error);

/*
 * mesh_session_profile_get: the stored profile of @account (NULL: the default account), read
 * and verified. Errors: MESH_ERROR_NOT_FOUND (no such account, or its connection is still
 * pending), verification errors (the stored profile is reported, never used).
 */
gboolean mesh_session_profile_get(MeshSession *session, const char *account,
                                  MeshSessionProfile **ret_profile, GError **error);

/* mesh_session_profile_list: the accounts this machine holds (GPtrArray of char *, sorted by
 * entry), and the default one in *@ret_default (NULL when none; may be NULL). */
gboolean mesh_session_profile_list(MeshSession *session, GPtrArray **ret_accounts,
                                   char **ret_default, GError **error);

/*
 * mesh_session_account_set_default: make @account the default account (Accounts/default), the
 * one every operation given no account acts on (mesh_session_profile_list tells which it is).
 * Errors: MESH_ERROR_INVALID_ARGUMENT (not an account name), MESH_ERROR_NOT_FOUND (this
 * machine holds no such account: the message names the ones it holds; or its connection is
 * still pending, which cannot be the default), hive errors.
 */
gboolean mesh_session_account_set_default(MeshSession *session, const char *account,
                                          GError **error);

/*
 * mesh_session_profile_list_damaged: what is wrong with the accounts of mesh_session_profile_list
 * and the entries it leaves out: a GPtrArray of MeshSessionDamage *, empty when nothing is
 * (an entry of Accounts/ that does not read, a stored personal profile that is missing or does
 * not verify). Reads the hive only.
 */
typedef struct {
	char *entry;   /* "Accounts/<name>" or "PersonalProfiles/<udf>.json" */
	char *account; /* the account, or NULL when neither the entry nor its name tells */
	MeshError code;
	char *message; /* one line: what is wrong */
	char *fix;     /* one line: what to run */
} MeshSessionDamage;

void mesh_session_damage_free(MeshSessionDamage *damage);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshSessionDamage, mesh_session_damage_free)

gboolean mesh_session_profile_list_damaged(MeshSession *session, GPtrArray **ret_damaged,
                                           GError **error);

/*
 * mesh_session_profile_sync: fetch the account's profile and its application profiles, verify
 * them (same fingerprint, master and profile serials not below the stored ones, this device
 * listed) and store them. When the stored profile is missing or does not verify, this repairs
 * it: the portal's profile must have the Identifier the account entry names (the master key's
 * UDF: its master profile is signed by that key), verify under its own master profile, list
 * this device and reach the serials the account entry recorded ("Serial", "MasterSerial");
 * else nothing is changed. On an administration device, then make the SSHProfile list exactly
 * the SSH keys the profile's devices published (each verified under that device's signature
 * key; devices no longer in the profile dropped), creating, re-sealing and publishing it when
 * that changes it; and with live PINs, answer the requests made with them (session_accept_pins:
 * a failure there does not fail the sync, it is one of the result's notes). Errors:
 * MESH_ERROR_STALE (the portal offers an older profile),
 * MESH_ERROR_WITNESS_MISMATCH (the portal offers another profile under this account),
 * MESH_ERROR_NOT_FOUND (the portal's profile does not list this device),
 * MESH_ERROR_REMOVED (its Removed lists this device: this machine's copy of the account was
 * deleted, the device kept), verification and portal errors.
 */
gboolean mesh_session_profile_sync(MeshSession *session, const char *account,
                                   MeshSessionProfile **ret_profile, GError **error);

/*
 * mesh_session_profile_set_portal: make @account (NULL: default) use the portal at @url from now
 * on: the portal there must serve the account's profile (the Identifier the account entry
 * names, verified) at a serial not below the one this device recorded; then @url, normalised,
 * is remembered. *@ret_profile (may be NULL) gets the profile as that portal serves it (not
 * stored: 'profile sync' does that). Errors: MESH_ERROR_INVALID_ARGUMENT (the URL),
 * MESH_ERROR_NOT_FOUND, MESH_ERROR_WITNESS_MISMATCH (that portal serves another profile for the
 * account), MESH_ERROR_STALE (an older one), portal errors; nothing is changed then.
 */
gboolean mesh_session_profile_set_portal(MeshSession *session, const char *account, const char *url,
                                         MeshSessionProfile **ret_profile, GError **error);

/*
 * mesh_session_profile_delete: forget @account on this machine only: its account entry, its
 * personal and application profiles, and the master, administration and SSH keys of the
 * account in the key store (so keep the escrow shares). The portal is not told. Unless @force,
 * refused when that would lose the profile for good: this device holds its master keys or is
 * its only administration device (the master profile lists no other administration key), and
 * no escrow of the master keys is known here (made here, used to recover here, or checked here
 * with mesh_session_escrow_verify). Errors: MESH_ERROR_NOT_FOUND, MESH_ERROR_PERMISSION (the
 * refusal: one line saying what would be lost and how to avoid it).
 */
gboolean mesh_session_profile_delete(MeshSession *session, const char *account, gboolean force,
                                     GError **error);

/* ---- Escrow and recovery ------------------------------------------------------------------- */

/*
 * mesh_session_escrow_create: escrow the master keys of @account (NULL: default) in @shares
 * shares, any @quorum of which recover them; publish the OfflineEscrowEntry and keep it as
 * Escrow/<id>.json, and record it in the account entry ("Escrows": the profile is escrowed).
 * *@ret_shares gets the share texts (GPtrArray of MeshSecret *, NUL-terminated
 * text), *@ret_identifier the entry's identifier (may be NULL). Errors: MESH_ERROR_INVALID_ARGUMENT
 * (quorum, shares), MESH_ERROR_NOT_FOUND (this device does not hold the master keys),
 * MESH_ERROR_UNAUTHORIZED (not an administration device), store and portal errors.
 */
gboolean mesh_session_escrow_create(MeshSession *session, const char *account, guint quorum,
                                    guint shares, GPtrArray **ret_shares, char **ret_identifier,
                                    GError **error);

/*
 * mesh_session_escrow_revoke: on an administration device, delete the escrow entry @identifier
 * (NULL: the only one the account entry records) of @account's master keys from the portal
 * (DeleteRequest {Account, Identifier}, signed by the administration key), then this device's
 * copy (Escrow/<id>.json) and its record in the account entry ("Escrows"). The portal may have
 * kept a copy: the shares recover the master keys until they change. An escrow recorded here
 * that the portal no longer holds is forgotten all the same. *@ret_identifier and *@ret_account
 * (each may be NULL) get the entry revoked and the account. Errors: MESH_ERROR_UNAUTHORIZED (not an administration device),
 * MESH_ERROR_NOT_FOUND (no escrow known here and none given; the portal holds no such escrow
 * entry of the account), MESH_ERROR_INVALID_ARGUMENT (several known here and none given: the
 * message lists them; not a UDF), portal errors.
 */
gboolean mesh_session_escrow_revoke(MeshSession *session, const char *account,
                                    const char *identifier, char **ret_identifier,
                                    char **ret_account, GError **error);

/*
 * mesh_session_escrow_verify: a recovery drill: the shares rebuild the secret, the entry (local
 * copy, else fetched from @account's portal) decrypts with it and — when this machine holds
 * @account — holds its master keys. Installs nothing but, when the entry holds the master keys
 * of a profile this machine holds, its identifier in the account entry's "Escrows". Errors: those
 * of mesh_shamir_combine (MESH_ERROR_SHARE_QUORUM, _CORRUPT, _DUPLICATE, _MISMATCH),
 * MESH_ERROR_SHARE_MISMATCH (no escrow entry matches: the shares belong to another escrow),
 * MESH_ERROR_DECRYPT.
 */
gboolean mesh_session_escrow_verify(MeshSession *session, const char *account,
                                    const char *portal_url, const char *const *shares,
                                    gsize n_shares, GError **error);

/*
 * mesh_session_profile_recover: combine the shares, fetch and decrypt the escrow entry, check it
 * holds the master key of @account's profile, restore the master keys into the key store, make
 * a new administration key on this device (it replaces every administration key of the
 * profile), add this device, re-seal the application profiles to it and publish everything
 * (the portal accepts the newer master profile signed by the original master key). Nothing is
 * changed (hive or key store) unless every check passed. The escrow entry used is recorded in
 * the account entry ("Escrows"). Errors: those of mesh_session_escrow_verify,
 * MESH_ERROR_EXISTS (this machine already holds @account), MESH_ERROR_LOCKED (keys_locked),
 * portal errors.
 */
gboolean mesh_session_profile_recover(MeshSession *session, const char *account,
                                      const char *const *shares, gsize n_shares,
                                      const char *portal_url, MeshSessionProfile **ret_profile,
                                      GError **error);

/* ---- Connecting a device ------------------------------------------------------------------- */

typedef struct {
	char *profile_udf; /* the fingerprint the user checks */
	char *device_udf;
	char *witness; /* dashed; the same must show on the administration device */
} MeshSessionConnect;

void mesh_session_connect_free(MeshSessionConnect *connect);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshSessionConnect, mesh_session_connect_free)

/*
 * mesh_session_connect_request: on a new device (one is made when this machine has none,
 * described as @description, may be NULL): fetch the account's profile, send ConnectStart,
 * compute the witness itself and record the pending request in Accounts/<name>. With @pin (the
 * PIN as typed, NUL-terminated text; NULL: none) the request carries its PinId and PinMac
 * (docs/protocol.md "Connecting by PIN"): the administration device that made the PIN accepts it
 * without a witness comparison. Does not wait. Errors: MESH_ERROR_INVALID_ARGUMENT (not a PIN; a
 * description that is not display text, or differs from the existing device's), MESH_ERROR_EXISTS
 * (this machine holds the account already), MESH_ERROR_WITNESS_MISMATCH (the portal's witness
 * differs from the one computed here: the portal changed a nonce or the profile), verification
 * and portal errors.
 */
gboolean mesh_session_connect_request(MeshSession *session, const char *account,
                                      const char *portal_url, const MeshSecret *pin,
                                      const char *description, MeshSessionConnect **ret_connect,
                                      GError **error);

typedef enum {
	MESH_SESSION_CONNECT_PENDING = 1,
	MESH_SESSION_CONNECT_ACCEPTED = 2,
	MESH_SESSION_CONNECT_REJECTED = 3,
	MESH_SESSION_CONNECT_EXPIRED = 4,
} MeshSessionConnectState;

/* "Pending", "Accepted", "Rejected", "Expired". */
const char *mesh_session_connect_state_name(MeshSessionConnectState state);

/*
 * mesh_session_connect_status: one poll of the pending request for @account (NULL: the only or
 * default account with one). Accepted: the result verifies under the profile's administration
 * keys and carries this device and witness, the fetched profile lists this device; it is stored
 * and the request forgotten. Rejected (result verified) and Expired also forget the request; the
 * CLI reports them with MESH_ERROR_REJECTED / MESH_ERROR_EXPIRED. Errors: MESH_ERROR_NOT_FOUND
 * (no pending request), MESH_ERROR_WITNESS_MISMATCH (a result for another device or witness, a
 * profile that does not list this device), MESH_ERROR_UNAUTHORIZED, MESH_ERROR_BAD_SIGNATURE.
 */
gboolean mesh_session_connect_status(MeshSession *session, const char *account,
                                     MeshSessionConnectState *ret_state, GError **error);

typedef struct {
	char *device_udf;
	char *description; /* may be NULL */
	char *witness;     /* computed here from the request and the profile held */
	char *expires;     /* RFC 3339 */
} MeshSessionPending;

void mesh_session_pending_free(MeshSessionPending *pending);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshSessionPending, mesh_session_pending_free)

/*
 * mesh_session_connect_pending: on an administration device, the requests waiting for @account
 * (GPtrArray of MeshSessionPending *). Requests that do not verify, are for another profile or
 * whose witness differs from the portal's are left out. Errors: MESH_ERROR_UNAUTHORIZED (not an
 * administration device), portal errors.
 */
gboolean mesh_session_connect_pending(MeshSession *session, const char *account,
                                      GPtrArray **ret_pending, GError **error);

/*
 * mesh_session_connect_accept / _reject: answer the pending request whose witness, recomputed
 * here, is the whole @witness (28 characters; dashes, spaces and case ignored; a prefix is
 * refused, since the portal can grind one: core/connect.h). Accept adds the device to the
 * profile and to every application's DecryptID, re-seals and publishes them, then sends the
 * signed result. Errors: MESH_ERROR_INVALID_ARGUMENT (not a whole witness),
 * MESH_ERROR_NOT_FOUND, MESH_ERROR_UNAUTHORIZED, portal errors.
 */
gboolean mesh_session_connect_accept(MeshSession *session, const char *account, const char *witness,
                                     GError **error);
gboolean mesh_session_connect_reject(MeshSession *session, const char *account, const char *witness,
                                     GError **error);

/* ---- The devices of a profile (docs/protocol.md "Devices of a profile") -------------------- */

typedef struct {
	char *identifier;  /* the device's UDF */
	char *description; /* the profile's name for it, else its own; may be NULL */
	char *added;       /* when it joined the profile (RFC 3339), or NULL: not recorded */
	gboolean admin;    /* an administration device */
	gboolean this_device;
} MeshSessionDevice;

void mesh_session_device_free(MeshSessionDevice *device);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshSessionDevice, mesh_session_device_free)

/* mesh_session_device_list: the devices of @account's stored profile (GPtrArray of
 * MeshSessionDevice *, in the profile's order). */
gboolean mesh_session_device_list(MeshSession *session, const char *account,
                                  GPtrArray **ret_devices, GError **error);

/*
 * Devices are named by their UDF, a unique prefix of it (at least 4 characters; dashes and case
 * do not matter) or their description (exactly, when one device alone has it). The functions
 * below run on an administration device (else MESH_ERROR_UNAUTHORIZED) and publish the changed
 * profile; a name that matches no device is MESH_ERROR_NOT_FOUND, one that matches several
 * MESH_ERROR_INVALID_ARGUMENT.
 */

/* mesh_session_device_rename: the profile's description of the device @name (a display string
 * of at most 64 characters, not empty). */
gboolean mesh_session_device_rename(MeshSession *session, const char *account, const char *name,
                                    const char *description, GError **error);

/*
 * mesh_session_device_promote / _demote: make the device @name an administration device (its
 * DeviceSignatureKey becomes one of the master profile's OnlineSignatureKeys), or no longer one.
 * Both re-sign the master profile, so they run on the device holding the master signature key
 * (else MESH_ERROR_PERMISSION). Errors: MESH_ERROR_EXISTS (promote: one already),
 * MESH_ERROR_INVALID_ARGUMENT (demote: not one, or this device), MESH_ERROR_PERMISSION (demote:
 * the last one).
 */
gboolean mesh_session_device_promote(MeshSession *session, const char *account, const char *name,
                                     GError **error);
gboolean mesh_session_device_demote(MeshSession *session, const char *account, const char *name,
                                    GError **error);

/* What removing a device took away, and what it could read before. */
typedef struct {
	char *identifier;
	char *description;      /* may be NULL */
	gboolean admin;         /* it was an administration device */
	GPtrArray *logins;      /* MeshSessionLogin *: the passwords it could read */
	GPtrArray *applications; /* char *: the generic applications it could read */
} MeshSessionRemoval;

void mesh_session_removal_free(MeshSessionRemoval *removal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshSessionRemoval, mesh_session_removal_free)

/*
 * mesh_session_device_remove: take the device @name out of the profile for good (listed in
 * Removed: the portal then refuses whatever it signs, and it can never join again): out of
 * every application's SignID and DecryptID, every application profile sealed again under a
 * fresh content key to the devices that remain and the escrow keys, its SSH key out of the
 * SSHProfile; an administration device's key also out of the master profile (which needs the
 * master signature key here: else MESH_ERROR_PERMISSION). *@ret_removal (may be NULL) says what
 * it could read. Errors: MESH_ERROR_INVALID_ARGUMENT (this device), portal errors.
 */
gboolean mesh_session_device_remove(MeshSession *session, const char *account, const char *name,
                                    MeshSessionRemoval **ret_removal, GError **error);
/* ---- Connecting by PIN (docs/protocol.md "Connecting by PIN") ------------------------------ */

#define MESH_SESSION_PIN_EXPIRE_DEFAULT (24 * 3600)
#define MESH_SESSION_PIN_EXPIRE_MIN     60
#define MESH_SESSION_PIN_EXPIRE_MAX     (30 * 24 * 3600)

/* A PIN this administration device made: never the PIN itself. */
typedef struct {
	char *pin_id;
	char *expires; /* RFC 3339 */
	gboolean admin;
	gboolean used;
	gboolean expired;
} MeshSessionPin;

void mesh_session_pin_free(MeshSessionPin *pin);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshSessionPin, mesh_session_pin_free)

/*
 * mesh_session_connect_pin_create: on an administration device of @account (NULL: default), a
 * one-time PIN that lives @expire_seconds (0: MESH_SESSION_PIN_EXPIRE_DEFAULT; 60 s to 30 days);
 * with @admin the device it connects is made an administration device (when this device holds
 * the master keys). The PIN is kept in the account entry sealed to this device's encryption key
 * (at most 32; expired ones are dropped). *@ret_pin gets the canonical PIN and *@ret_uri (may be
 * NULL) the connection URI (both secrets, with their NUL); *@ret_info (may be NULL) its PinId and
 * expiry. Reaches no portal. Errors: MESH_ERROR_INVALID_ARGUMENT (the lifetime; 32 PINs held),
 * MESH_ERROR_UNAUTHORIZED (not an administration device), MESH_ERROR_NOT_FOUND.
 */
gboolean mesh_session_connect_pin_create(MeshSession *session, const char *account,
                                         gint64 expire_seconds, gboolean admin,
                                         MeshSecret **ret_pin, MeshSecret **ret_uri,
                                         MeshSessionPin **ret_info, GError **error);

/* mesh_session_connect_pin_list: the PINs @account's entry holds (GPtrArray of MeshSessionPin *,
 * expired ones that are not dropped yet included). Reads the hive only. */
gboolean mesh_session_connect_pin_list(MeshSession *session, const char *account,
                                       GPtrArray **ret_pins, GError **error);

/*
 * mesh_session_connect_pin_revoke: forget the PIN whose PinId is @pin_id or starts with it (at
 * least 4 characters; dashes and case aside): a request with it is no longer accepted (nor
 * rejected: it waits until it expires or is answered by witness). *@ret_pin_id (may be NULL)
 * gets the whole PinId. Errors: MESH_ERROR_INVALID_ARGUMENT (too short a prefix, several match),
 * MESH_ERROR_NOT_FOUND.
 */
gboolean mesh_session_connect_pin_revoke(MeshSession *session, const char *account,
                                         const char *pin_id, char **ret_pin_id, GError **error);

/*
 * mesh_session_background: what an administration device does by itself for @account
 * (core/session-background.c): accept the pending requests made with its PINs
 * (docs/protocol.md "Connecting by PIN"). Does nothing (no portal) for an account without work.
 * *@ret_notes (may be NULL) gets one line per thing done or refused (GPtrArray of char *).
 * Errors: those of the account and the portal.
 */
gboolean mesh_session_background(MeshSession *session, const char *account, GPtrArray **ret_notes,
                                 GError **error);

/* mesh_session_background_accounts: the accounts of this machine that have work for
 * mesh_session_background (GPtrArray of char *). Reads the hive only. */
gboolean mesh_session_background_accounts(MeshSession *session, GPtrArray **ret_accounts,
                                          GError **error);

/* ---- Applications -------------------------------------------------------------------------- */

/* mesh_session_app_list: the application entries of @account's stored profile. */
gboolean mesh_session_app_list(MeshSession *session, const char *account, GPtrArray **ret_apps,
                               GError **error);

/*
 * mesh_session_app_add_generic: a new GenericProfile named @name (its Friendly name), data {}.
 * Errors: MESH_ERROR_EXISTS (an application of that name), MESH_ERROR_UNAUTHORIZED.
 */
gboolean mesh_session_app_add_generic(MeshSession *session, const char *account, const char *name,
                                      char **ret_identifier, char **ret_queued, GError **error);

/* mesh_session_app_set: replace the Data of the GenericProfile @name with the JSON text in
 * @data. Errors: MESH_ERROR_NOT_FOUND, MESH_ERROR_MALFORMED (not JSON). */
gboolean mesh_session_app_set(MeshSession *session, const char *account, const char *name,
                              const MeshSecret *data, char **ret_queued, GError **error);

/* mesh_session_app_get: the plaintext {"GenericProfile": {"Name", "Data"}} of @name, decrypted
 * with this device's encryption key. Errors: MESH_ERROR_NOT_FOUND, MESH_ERROR_LOCKED (the key
 * is locked: unlock first), MESH_ERROR_DECRYPT (it does not open: tampered with). */
gboolean mesh_session_app_get(MeshSession *session, const char *account, const char *name,
                              MeshSecret **ret_plaintext, GError **error);

/*
 * mesh_session_app_delete: remove the GenericProfile @name from the personal profile, publish
 * the profile and forget the application here; other devices drop it when they sync. The
 * PasswordProfile and the SSHProfile are the Mesh's own and are refused (their friendly names,
 * "Passwords" and "SSH", name them when no generic application has the name). Errors:
 * MESH_ERROR_NOT_FOUND, MESH_ERROR_PERMISSION (the Mesh's own), MESH_ERROR_UNAUTHORIZED (not an
 * administration device), portal errors.
 */
gboolean mesh_session_app_delete(MeshSession *session, const char *account, const char *name,
                                 char **ret_queued, GError **error);

/* ---- Passwords (the account's PasswordProfile, made on first use) -------------------------- */

/* A login: a user name at a site (core/application.h, "Logins"). */
typedef struct {
	char *site;
	char *username;
} MeshSessionLogin;

void mesh_session_login_free(MeshSessionLogin *login);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshSessionLogin, mesh_session_login_free)

typedef enum {
	MESH_SESSION_PASSWORD_ADD = 1, /* a new login; MESH_ERROR_EXISTS when it is stored */
	MESH_SESSION_PASSWORD_SET, /* a stored login's new password; MESH_ERROR_NOT_FOUND else */
} MeshSessionPasswordMode;

/*
 * mesh_session_password_add: store @password (NULL: generate 20 random characters) for the
 * login (@site, @username), as @mode says. A site may hold several logins. *@ret_password (may
 * be NULL) gets the password stored. Errors: MESH_ERROR_EXISTS, MESH_ERROR_NOT_FOUND (above),
 * MESH_ERROR_INVALID_ARGUMENT (an empty or blank site, text that is not display text),
 * MESH_ERROR_UNAUTHORIZED, MESH_ERROR_LOCKED, portal errors.
 */
gboolean mesh_session_password_add(MeshSession *session, const char *account, const char *site,
                                   const char *username, const MeshSecret *password,
                                   MeshSessionPasswordMode mode, MeshSecret **ret_password,
                                   char **ret_queued, GError **error);

/*
 * mesh_session_password_get: the login for @site (an entry listing it, or "*.domain" above it,
 * as mesh_password_set_find) with the user name @username (NULL: the only one there is; an
 * entry listing @site exactly is taken before a wildcard one of the same user). Errors:
 * MESH_ERROR_NOT_FOUND, MESH_ERROR_INVALID_ARGUMENT (@username NULL and the site has logins of
 * several user names: the message lists them, escaped, and asks for one), MESH_ERROR_LOCKED.
 */
gboolean mesh_session_password_get(MeshSession *session, const char *account, const char *site,
                                   const char *username, char **ret_username,
                                   MeshSecret **ret_password, GError **error);

/* mesh_session_password_list: every login (GPtrArray of MeshSessionLogin *, one per site of each
 * entry, in the order stored). Errors: MESH_ERROR_LOCKED, MESH_ERROR_DECRYPT. */
gboolean mesh_session_password_list(MeshSession *session, const char *account,
                                    GPtrArray **ret_logins, GError **error);

/* mesh_session_password_delete: remove the login (@site exactly, @username; NULL: the only one
 * at @site). Errors: MESH_ERROR_NOT_FOUND, MESH_ERROR_INVALID_ARGUMENT (as
 * mesh_session_password_get), MESH_ERROR_UNAUTHORIZED, portal errors. */
gboolean mesh_session_password_delete(MeshSession *session, const char *account, const char *site,
                                      const char *username, char **ret_queued, GError **error);

/* ---- Working offline (core/session-queue.c; docs/protocol.md "Offline changes") ------------- */

/*
 * The verbs that change applications (password add/set/delete, app add/set/delete) take
 * char **ret_queued (may be NULL): when the portal cannot be reached (MESH_ERROR_NETWORK,
 * MESH_ERROR_TIMEOUT) the change is made here all the same (re-sealed, signed by this
 * device's administration key, stored: reads see it at once), queued in the hive's Outbox
 * (sealed to this device's encryption key) and the verb succeeds; *@ret_queued then gets the
 * URL of the portal that could not be reached (NULL when the change was published). A verb
 * on an account with queued changes publishes those first (mesh_session_profile_sync_flush's
 * flush), and queues its own when the portal still cannot be reached.
 */

/* A queued change, or one that met a change of another device when it was published. */
typedef struct {
	char *operation;   /* "PasswordAdd", "PasswordSet", "PasswordDelete", "AppAdd", "AppSet",
	                    * "AppDelete" */
	char *application; /* the application's name ("Passwords" for the passwords) */
	char *site;        /* the login of a password change; else NULL */
	char *username;
	char *queued;      /* when it was queued, RFC 3339 */
	/* a conflict: "Replaced" (another device changed it too: this device's change replaced
	 * that), "Restored" (another device deleted it: this device's change put it back),
	 * "Deleted" (another device changed what this device deleted: deleted all the same);
	 * NULL in a list of queued or published changes */
	char *conflict;
} MeshSessionQueued;

void mesh_session_queued_free(MeshSessionQueued *queued);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshSessionQueued, mesh_session_queued_free)

/* What a flush did: the changes it published and the conflicts among them (GPtrArray of
 * MeshSessionQueued *, in queue order). */
typedef struct {
	GPtrArray *published;
	GPtrArray *conflicts;
} MeshSessionFlush;

void mesh_session_flush_free(MeshSessionFlush *flush);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshSessionFlush, mesh_session_flush_free)

/*
 * mesh_session_profile_status: the changes of @account (NULL: default) waiting in the Outbox
 * (*@ret_queued) and the conflicts of the last flush that published any (*@ret_conflicts),
 * each a GPtrArray of MeshSessionQueued *. Never a password or application data. Errors:
 * MESH_ERROR_NOT_FOUND (no such account), MESH_ERROR_LOCKED (this device's encryption key,
 * which opens the entries, is locked), MESH_ERROR_MALFORMED / MESH_ERROR_DECRYPT (an entry is
 * damaged: named).
 */
gboolean mesh_session_profile_status(MeshSession *session, const char *account,
                                     GPtrArray **ret_queued, GPtrArray **ret_conflicts,
                                     GError **error);

/*
 * mesh_session_profile_sync_flush: first publish the queued changes of @account: fetch the
 * portal's profile (checked as a sync checks it), replay each change on it in queue order
 * through the code the online verbs run (merging by login for passwords: a login the other
 * devices did not change takes this device's change silently; one they changed too takes it
 * and is reported as a conflict, as is a change to an application changed or deleted
 * meanwhile), publish, and take each entry out of the queue only once it is published; then
 * mesh_session_profile_sync. *@ret_flush (may be NULL) gets what the flush did. A flush that
 * fails leaves the entries not yet published queued (replaying one that was published changes
 * nothing). Errors: those of mesh_session_profile_sync, MESH_ERROR_LOCKED.
 */
gboolean mesh_session_profile_sync_flush(MeshSession *session, const char *account,
                                         MeshSessionProfile **ret_profile,
                                         MeshSessionFlush **ret_flush, GError **error);

/* ---- What the keys in the store are for ---------------------------------------------------- */

/* The role of a key in the hive's key store: what depends on it. */
typedef enum {
	MESH_SESSION_KEY_IMPORTED = 0,   /* nothing in the hive: made or imported by the user */
	MESH_SESSION_KEY_DEVICE,         /* a key of a device profile in ThisDevice/ */
	MESH_SESSION_KEY_MASTER,         /* the master signature key of a profile held here */
	MESH_SESSION_KEY_ESCROW,         /* a master escrow key of a profile held here */
	MESH_SESSION_KEY_ADMINISTRATION, /* this device's administration key for an account */
	MESH_SESSION_KEY_SSH,            /* this device's SSH key for an account */
} MeshSessionKeyRole;

typedef struct {
	MeshSessionKeyRole role;
	char *owner;    /* the account (master, escrow, administration, SSH) or the device's UDF */
	MeshKeyUse use; /* of a device key: which of the device's three keys it is */
} MeshSessionKeyOwner;

void mesh_session_key_owner_free(MeshSessionKeyOwner *owner);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshSessionKeyOwner, mesh_session_key_owner_free)

/* "Device", "Master", "Escrow", "Administration", "SSH", "Imported". */
const char *mesh_session_key_role_name(MeshSessionKeyRole role);

/*
 * mesh_session_key_roles: what each key of @hive is for, read from the hive: the keys of every
 * device profile in ThisDevice/ (Device); for every account entry that is not a pending
 * connection, its "Profile" UDF (Master: the profile's fingerprint is its master signature
 * key), the MasterEscrowKeys of its stored personal profile (Escrow), its "AdministrationKey"
 * (Administration) and its "SSHKey" (SSH). *@ret_roles maps each such key UDF to a
 * MeshSessionKeyOwner (the first role found, in that order, when a key had several); a key of
 * the store that is not in it is Imported. With @strict an entry that does not read or verify
 * is an error naming it (for refusals: what it would have said is unknown); otherwise it is
 * skipped (for listing). Errors: hive errors, those of reading the entries (with @strict).
 */
gboolean mesh_session_key_roles(MeshHive *hive, gboolean strict, GHashTable **ret_roles,
                                GError **error);

/*
 * mesh_session_key_owner_text: what depends on the key, as a phrase for a message: "the master
 * signature key of alice@example.com's profile", "a key of this hive's device MXXX-...". A new
 * string.
 */
char *mesh_session_key_owner_text(const MeshSessionKeyOwner *owner);

/* ---- SSH (the account's SSHProfile, made on first use) ----------------------------------- */

/* An SSH key of a device. */
typedef struct {
	char *account;
	char *device_udf;
	char *udf; /* the key's UDF (in the key store, for this device's own keys); may be NULL */
	char *public_line; /* one OpenSSH public key line, no line break */
} MeshSessionSshKey;

void mesh_session_ssh_key_free(MeshSessionSshKey *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshSessionSshKey, mesh_session_ssh_key_free)

/*
 * mesh_session_ssh_create: make this device's SSH key for @account (NULL: default) in the key
 * store (Ed25519 where the store makes it, else P-256; protected by the session's passphrase),
 * record it in Accounts/<name> "SSHKey" and publish it as a SignedSSHDeviceKey signed by this
 * device's signature key. On an administration device the SSHProfile is updated at once (see
 * mesh_session_profile_sync); on another device it lists the key after an administration device
 * syncs. *@ret_udf and *@ret_public_line (each may be NULL) get the key's UDF and OpenSSH line.
 * On failure the key is removed again and the account entry is unchanged. Errors:
 * MESH_ERROR_EXISTS (this device has an SSH key for the account), MESH_ERROR_NOT_FOUND,
 * MESH_ERROR_LOCKED (keys_locked), store and portal errors.
 */
gboolean mesh_session_ssh_create(MeshSession *session, const char *account, char **ret_udf,
                                 char **ret_public_line, GError **error);

/* Where a rotated key's successor is made: a store (closed by the caller) that makes new keys
 * in the store holding @udf, and is @store otherwise (ipc: a view of the key store router). */
typedef MeshKeyStore *(*MeshSessionStoreFor)(MeshKeyStore *store, const char *udf,
                                             GError **error);

/*
 * mesh_session_ssh_rotate: replace this device's SSH key for @account (NULL: default): a new key
 * made in the store @store_for gives for the old key (NULL: session->store), protected by the
 * session's passphrase, published as the device's SignedSSHDeviceKey (the serial above the
 * portal's) and, on an administration device, folded into the SSHProfile at once (the old key
 * leaves it; another device's new key replaces its old one once an administration device
 * syncs). Then Accounts/<name> "SSHKey" names it (the ssh-agent socket serves it from then on,
 * the old one no more) and the old key is removed from the key store. *@ret_key (may be NULL)
 * gets the new key, *@ret_old_udf (may be NULL) the old key's UDF. A failure before the
 * publication removes the new key and changes nothing; after it, the new key stays this
 * device's and the error says what is left to do (session-ssh.c: an interruption). Errors:
 * MESH_ERROR_NOT_FOUND (no SSH key for the account here), MESH_ERROR_LOCKED (keys_locked),
 * store and portal errors.
 */
gboolean mesh_session_ssh_rotate(MeshSession *session, const char *account,
                                 MeshSessionStoreFor store_for, MeshSessionSshKey **ret_key,
                                 char **ret_old_udf, GError **error);

/*
 * mesh_session_ssh_authorized_keys: the devices' keys listed by @account's stored (verified)
 * SSHProfile, as a GPtrArray of MeshSessionSshKey * (empty when there is no SSHProfile). Reads
 * the hive only. Errors: those of mesh_session_profile_get, verification errors.
 */
gboolean mesh_session_ssh_authorized_keys(MeshSession *session, const char *account,
                                          GPtrArray **ret_keys, GError **error);

/*
 * mesh_session_ssh_keys: this device's own SSH keys: one MeshSessionSshKey * per account of
 * @hive with an "SSHKey" (udf set). Reads Accounts/ only (cheap: for the ssh-agent socket,
 * under the agent's lock). Errors: hive errors, MESH_ERROR_MALFORMED (an account entry does not
 * read; the message names it).
 */
gboolean mesh_session_ssh_keys(MeshHive *hive, GPtrArray **ret_keys, GError **error);

G_END_DECLS
