/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "jose.h"
#include "key.h"
#include "master.h"
#include "device-profile.h"

G_BEGIN_DECLS

/*
 * MeshPersonalProfile (docs/protocol.md §6): the public face of an account.
 * {"PersonalProfile": {Identifier, Account, SignedMasterProfile, Devices: [SignedDeviceProfile],
 * Applications: [ApplicationProfileEntry], Serial, Updated}}, signed by one of the master
 * profile's OnlineSignatureKeys → {"SignedPersonalProfile": {"Identifier", "SignedData"}}.
 *
 * Identifier = the master profile's Identifier. Every embedded signed object verifies on its
 * own; the embedded copies are kept as received and written back unchanged.
 */

/* docs/protocol.md §10. In practice the 256 KiB of MESH_PROFILE_MAX bind first (a device takes
 * about 2.4 KiB once signed and embedded). */
#define MESH_PERSONAL_DEVICES_MAX      1000
#define MESH_PERSONAL_APPLICATIONS_MAX 1000
/* Devices a profile lists as removed. */
#define MESH_PERSONAL_REMOVED_MAX 1000

/* Account names: see mesh_personal_check_account. */
#define MESH_ACCOUNT_LOCAL_MAX  63
#define MESH_ACCOUNT_DOMAIN_MAX 253

/*
 * mesh_personal_check_account: an account name is "local" or "local@domain". The local part is
 * 1 to 63 characters of a-z 0-9 . _ - (docs/protocol.md §10) and does not start with '.'; the domain,
 * when present, is a DNS name in lower case: at most 253 characters, labels of 1 to 63
 * characters of a-z 0-9 -, neither starting nor ending with '-', at least two labels. Upper case
 * is refused, not folded (the caller decides whether to fold). Errors:
 * MESH_ERROR_INVALID_ARGUMENT saying which rule is broken (the name is quoted safely).
 */
gboolean mesh_personal_check_account(const char *account, GError **error);

typedef enum {
	MESH_APPLICATION_PASSWORD = 1, /* "PasswordProfile" */
	MESH_APPLICATION_SSH = 2,      /* "SSHProfile" */
	MESH_APPLICATION_GENERIC = 3,  /* "GenericProfile" */
} MeshApplicationType;

/* mesh_application_type_name: the Type string; NULL for a value that is not a type. */
const char *mesh_application_type_name(MeshApplicationType type);

/* mesh_application_type_from_name: Errors: MESH_ERROR_UNSUPPORTED naming the known types. */
gboolean mesh_application_type_from_name(const char *name, MeshApplicationType *ret_type,
					 GError **error);

/*
 * MeshApplicationEntry: ApplicationProfileEntry {Identifier, Type, Friendly, SignID[],
 * DecryptID[]}: the application profile @identifier (a nonce UDF), and the devices (by UDF,
 * each listed in the personal profile's Devices) that may sign it and read it.
 */
typedef struct {
	char *identifier;
	MeshApplicationType type;
	char *friendly;       /* may be NULL */
	GPtrArray *sign_id;    /* char *, device UDFs */
	GPtrArray *decrypt_id; /* char *, device UDFs */
} MeshApplicationEntry;

/*
 * mesh_application_entry_new: an entry for the application profile @identifier; @sign_id and
 * @decrypt_id are NULL-terminated lists of device UDFs (NULL: none). Errors:
 * MESH_ERROR_INVALID_ARGUMENT (not a nonce UDF, a device UDF twice or not a UDF, @friendly over
 * MESH_PROFILE_TEXT_MAX bytes or not UTF-8, an unknown type).
 */
MeshApplicationEntry *mesh_application_entry_new(const char *identifier, MeshApplicationType type,
						 const char *friendly,
						 const char *const *sign_id,
						 const char *const *decrypt_id, GError **error);
void mesh_application_entry_free(MeshApplicationEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshApplicationEntry, mesh_application_entry_free)

/*
 * A device of the profile: the verified profile and the signed object it came from, and what
 * the profile's DeviceEntries say of it (docs/protocol.md "Devices of a profile"): when it was
 * added, the description an administration device gave it, and the administration key it
 * administers with (each NULL when not said).
 */
typedef struct {
	MeshDeviceProfile *profile;
	JsonNode *signed_profile; /* {"SignedDeviceProfile": ...} */
	char *added;              /* RFC 3339 UTC */
	char *description;        /* overrides profile->description */
	char *admin_key;          /* UDF: one of the master profile's OnlineSignatureKeys */
} MeshPersonalDevice;

/* A device taken out of the profile (Removed): its UDF and when. */
typedef struct {
	char *device;
	char *removed; /* RFC 3339 UTC */
} MeshPersonalRemoved;

typedef struct {
	char *identifier; /* = master->identifier */
	char *account;
	MeshMasterProfile *master; /* verified */
	JsonNode *signed_master;   /* {"SignedMasterProfile": ...} */
	GPtrArray *devices;        /* MeshPersonalDevice * */
	GPtrArray *applications;   /* MeshApplicationEntry * */
	GPtrArray *removed;        /* MeshPersonalRemoved *, oldest first */
	gint64 serial;             /* 1..MESH_SERIAL_MAX */
	char *updated;             /* RFC 3339 UTC */
} MeshPersonalProfile;

/*
 * mesh_personal_profile_new: a profile for @account (serial 1, updated now, no devices, no
 * applications) under the SignedMasterProfile @signed_master, which must verify (a copy is
 * kept). Errors: MESH_ERROR_INVALID_ARGUMENT (account name), those of
 * mesh_master_profile_verify.
 */
MeshPersonalProfile *mesh_personal_profile_new(const char *account, JsonNode *signed_master,
					       GError **error);
void mesh_personal_profile_free(MeshPersonalProfile *profile);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshPersonalProfile, mesh_personal_profile_free)

/* mesh_personal_profile_to_json: {"PersonalProfile": {...}} (a new node). */
JsonNode *mesh_personal_profile_to_json(const MeshPersonalProfile *profile);

/*
 * mesh_personal_profile_from_json: read {"PersonalProfile": {...}} and verify everything
 * embedded in it (master profile, device profiles), but not the signature over it. Errors:
 * MESH_ERROR_MALFORMED (wrong tag or types, unknown members, Identifier not the master's, an
 * account name that breaks the rules, a device or application listed twice, an entry naming a
 * device the profile does not list, Serial not an integer in range), MESH_ERROR_TOO_LARGE (more
 * than 1000 devices or applications), and those of the embedded verifiers, prefixed with where
 * they are ("Devices[3]: ...").
 */
MeshPersonalProfile *mesh_personal_profile_from_json(JsonNode *node, GError **error);

/*
 * mesh_personal_profile_sign: {"SignedPersonalProfile": {"Identifier", "SignedData"}} signed by
 * the administration key @online_key (public; @sign makes the signature). Errors:
 * MESH_ERROR_UNAUTHORIZED (@online_key is not one of the master profile's OnlineSignatureKeys),
 * MESH_ERROR_TOO_LARGE (the signed profile would exceed MESH_PROFILE_MAX), those of @sign.
 */
JsonNode *mesh_personal_profile_sign(const MeshPersonalProfile *profile,
				     const MeshKey *online_key, MeshJwsSignFunc sign,
				     gpointer user_data, GError **error);

/*
 * mesh_personal_profile_verify: read a SignedPersonalProfile and check it: the embedded master
 * profile verifies; the wrapper's and the profile's Identifier are the master UDF; the JWS
 * "kid" names one of the master profile's OnlineSignatureKeys and the signature verifies under
 * it; every embedded device profile verifies. Errors: MESH_ERROR_MALFORMED,
 * MESH_ERROR_TOO_LARGE, MESH_ERROR_UNAUTHORIZED (the "kid" is not an OnlineSignatureKey: signed
 * by a key the master never authorised), MESH_ERROR_BAD_SIGNATURE (the signature does not
 * verify under the administration key it names, or an embedded profile's does not).
 */
MeshPersonalProfile *mesh_personal_profile_verify(JsonNode *node, GError **error);

/* mesh_personal_profile_parse: strict parse of @len bytes (at most MESH_PROFILE_MAX), then
 * mesh_personal_profile_verify. */
MeshPersonalProfile *mesh_personal_profile_parse(const char *text, gsize len, GError **error);

/* mesh_personal_profile_touch: Serial + 1 and Updated = now, before signing a changed profile.
 * Errors: MESH_ERROR_INVALID_ARGUMENT at MESH_SERIAL_MAX. */
gboolean mesh_personal_profile_touch(MeshPersonalProfile *profile, GError **error);

/*
 * mesh_personal_profile_set_master: replace the master profile by @signed_master (which must
 * verify, have the same Identifier and a higher Serial): how administration keys change.
 * Errors: those of mesh_master_profile_verify, MESH_ERROR_INVALID_ARGUMENT (another
 * Identifier), MESH_ERROR_STALE (Serial not higher).
 */
gboolean mesh_personal_profile_set_master(MeshPersonalProfile *profile, JsonNode *signed_master,
					  GError **error);

/* mesh_personal_profile_device: the device @udf (owned by @profile), or NULL. */
MeshPersonalDevice *mesh_personal_profile_device(const MeshPersonalProfile *profile,
						 const char *udf);

/*
 * mesh_personal_profile_add_device: add the SignedDeviceProfile @signed_device (which must
 * verify; a copy is kept). Errors: those of mesh_device_profile_verify, MESH_ERROR_EXISTS,
 * MESH_ERROR_TOO_LARGE (MESH_PERSONAL_DEVICES_MAX).
 */
gboolean mesh_personal_profile_add_device(MeshPersonalProfile *profile, JsonNode *signed_device,
					  GError **error);

/*
 * mesh_personal_profile_remove_device: remove the device @udf, and from the SignID and
 * DecryptID of every application entry (whose application profiles the caller re-encrypts);
 * with @removed (an RFC 3339 time), list it in Removed so that it can never join again. The
 * caller removes its administration key from the master profile first. Errors:
 * MESH_ERROR_NOT_FOUND, MESH_ERROR_TOO_LARGE (Removed is full).
 */
gboolean mesh_personal_profile_remove_device(MeshPersonalProfile *profile, const char *udf,
					     const char *removed, GError **error);

/* mesh_personal_profile_removed: when the device @udf was removed from the profile (owned by
 * @profile), or NULL when it was not. */
const char *mesh_personal_profile_removed(const MeshPersonalProfile *profile, const char *udf);

/* mesh_personal_device_description: the description of @device: the one the profile gives it,
 * else its own (NULL when neither has one). */
const char *mesh_personal_device_description(const MeshPersonalDevice *device);

/*
 * mesh_personal_device_admin_key: the administration key of @device when it is an
 * administration device of @profile — the AdministrationKey its entry names, or its own
 * DeviceSignatureKey (a promoted device), when that is one of the master profile's
 * OnlineSignatureKeys — else NULL.
 */
const char *mesh_personal_device_admin_key(const MeshPersonalProfile *profile,
					   const MeshPersonalDevice *device);

/*
 * mesh_personal_device_set_admin_key: record @udf (NULL: none) as the administration key of
 * @device. Errors: MESH_ERROR_INVALID_ARGUMENT (@udf is not one of the master profile's
 * OnlineSignatureKeys).
 */
gboolean mesh_personal_device_set_admin_key(const MeshPersonalProfile *profile,
					    MeshPersonalDevice *device, const char *udf,
					    GError **error);

/*
 * mesh_personal_profile_drop_admin_keys: forget the administration keys of the devices' entries
 * that are no longer OnlineSignatureKeys of the master profile (after it changed).
 */
void mesh_personal_profile_drop_admin_keys(MeshPersonalProfile *profile);

/* mesh_personal_profile_application: the entry @identifier (owned by @profile), or NULL. */
MeshApplicationEntry *mesh_personal_profile_application(const MeshPersonalProfile *profile,
							const char *identifier);

/*
 * mesh_personal_profile_add_application: add @entry (ownership is taken on success only).
 * Errors: MESH_ERROR_EXISTS (same Identifier), MESH_ERROR_NOT_FOUND (SignID or DecryptID names
 * a device the profile does not list), MESH_ERROR_TOO_LARGE.
 */
gboolean mesh_personal_profile_add_application(MeshPersonalProfile *profile,
					       MeshApplicationEntry *entry, GError **error);

/* mesh_personal_profile_remove_application: Errors: MESH_ERROR_NOT_FOUND. */
gboolean mesh_personal_profile_remove_application(MeshPersonalProfile *profile,
						  const char *identifier, GError **error);

G_END_DECLS
