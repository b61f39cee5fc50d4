/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "jose.h"
#include "key.h"
#include "master.h"
#include "personal.h"
#include "secret.h"
#include "sshkey.h"

G_BEGIN_DECLS

/*
 * MeshApplicationProfile (docs/protocol.md §6): {"ApplicationProfile": {Identifier (a nonce UDF),
 * Type, Friendly, Serial, Updated, SharedPrivate: JWE}} — and for an SSHProfile the public
 * {Devices: [{DeviceUDF, PublicKey}]} — signed by an administration key →
 * {"SignedApplicationProfile": {"Identifier", "SignedData"}}.
 *
 * SharedPrivate is a JWE (ECDH-ES+A256KW, A256GCM, protected "cty" = the Type) to the
 * DeviceEncryptionKey of every device in the entry's DecryptID and to every MasterEscrowKey. Its
 * plaintext is tagged JSON, tagged with the Type:
 *
 *   {"PasswordProfile": {"Entries": [{"Sites": ["*.example.com"], "Username", "Password"}],
 *                        "NeverAsk": ["site"], "AutoGenerate": bool}}
 *   {"SSHProfile": {"HostEntries": [{"Host", "HostKeys": ["ssh-ed25519 AAAA..."]}]}}
 *   {"GenericProfile": {"Name", "Data": <any JSON>}}
 *
 * Plaintexts are MeshSecrets holding NUL-terminated JSON text (mesh_secret_len counts the NUL).
 */

/* Largest plaintext of SharedPrivate. */
#define MESH_APPLICATION_PRIVATE_MAX (128 * 1024)
/* Devices of an SSHProfile, password entries, sites per entry. */
#define MESH_APPLICATION_ITEMS_MAX 1000
/* Longest OpenSSH public key line ("ssh-ed25519 AAAA... comment"), host key and password. */
#define MESH_APPLICATION_SSH_KEY_MAX MESH_SSH_LINE_MAX
#define MESH_PASSWORD_MAX            1024

typedef struct {
	char *device_udf;
	char *public_key; /* one OpenSSH public key line */
} MeshSshDevice;

typedef struct {
	char *identifier;
	MeshApplicationType type;
	char *friendly; /* may be NULL */
	gint64 serial;  /* 1..MESH_SERIAL_MAX */
	char *updated;  /* RFC 3339 UTC */
	GPtrArray *ssh_devices;   /* MeshSshDevice *; SSHProfile only, empty otherwise */
	JsonNode *shared_private; /* the JWE; NULL until sealed */
} MeshApplicationProfile;

/*
 * mesh_application_profile_new: a new profile of @type with a fresh nonce Identifier, serial 1,
 * updated now, not yet sealed. Errors: MESH_ERROR_INVALID_ARGUMENT (type, friendly name).
 */
MeshApplicationProfile *mesh_application_profile_new(MeshApplicationType type,
						     const char *friendly, GError **error);
void mesh_application_profile_free(MeshApplicationProfile *profile);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshApplicationProfile, mesh_application_profile_free)

/*
 * mesh_application_profile_add_ssh_device: list the SSH public key of a device in an SSHProfile.
 * Errors: MESH_ERROR_INVALID_ARGUMENT (not an SSHProfile, not a UDF, not a one-line
 * "ssh-ed25519 ..." or "ecdsa-sha2-nistp256 ..." key), MESH_ERROR_EXISTS, MESH_ERROR_TOO_LARGE.
 */
gboolean mesh_application_profile_add_ssh_device(MeshApplicationProfile *profile,
						 const char *device_udf, const char *public_key,
						 GError **error);

/*
 * mesh_application_profile_seal: encrypt @plaintext (which must be the private JSON of the
 * profile's type) as SharedPrivate to the devices in DecryptID of the entry @personal holds for
 * this profile and to the master profile's escrow keys; replaces any previous SharedPrivate.
 * Errors: MESH_ERROR_NOT_FOUND (@personal has no entry for this profile), MESH_ERROR_MALFORMED
 * (not the private JSON of this type), MESH_ERROR_TOO_LARGE, MESH_ERROR_CRYPTO.
 */
gboolean mesh_application_profile_seal(MeshApplicationProfile *profile,
				       const MeshSecret *plaintext,
				       const MeshPersonalProfile *personal, GError **error);

/* mesh_application_profile_seal_to: as above, to the @n public encryption keys @recipients. */
gboolean mesh_application_profile_seal_to(MeshApplicationProfile *profile,
					  const MeshSecret *plaintext, MeshKey *const *recipients,
					  guint n, GError **error);

/*
 * mesh_application_profile_open: decrypt SharedPrivate with the PRIVATE @key (a device's
 * encryption key, or a master escrow key) and check that it is the private JSON of the type.
 * Returns the plaintext. Errors: MESH_ERROR_NOT_FOUND (not sealed, or no recipient for @key),
 * MESH_ERROR_DECRYPT, MESH_ERROR_MALFORMED.
 */
MeshSecret *mesh_application_profile_open(const MeshApplicationProfile *profile,
					  const MeshKey *key, GError **error);

/* mesh_application_profile_open_with: as above for the public @key whose key agreement @agree
 * makes (mesh_jwe_decrypt_with): a device key that stays in its store. */
MeshSecret *mesh_application_profile_open_with(const MeshApplicationProfile *profile,
					       const MeshKey *key, MeshJweAgreeFunc agree,
					       gpointer user_data, GError **error);

/* mesh_application_profile_to_json: {"ApplicationProfile": {...}} (a new node). */
JsonNode *mesh_application_profile_to_json(const MeshApplicationProfile *profile);

/*
 * mesh_application_profile_from_json: read {"ApplicationProfile": {...}} — no signature check.
 * Errors: MESH_ERROR_MALFORMED (shape, Identifier not a nonce UDF, SharedPrivate missing or not
 * a JWE whose cty is the Type, Devices in a profile that is not an SSHProfile),
 * MESH_ERROR_UNSUPPORTED (unknown Type), MESH_ERROR_TOO_LARGE.
 */
MeshApplicationProfile *mesh_application_profile_from_json(JsonNode *node, GError **error);

/*
 * mesh_application_profile_sign: {"SignedApplicationProfile": ...} signed by the administration
 * key @online_key of @master. Errors: MESH_ERROR_INVALID_ARGUMENT (not sealed),
 * MESH_ERROR_UNAUTHORIZED (@online_key is not one of @master's OnlineSignatureKeys),
 * MESH_ERROR_TOO_LARGE, those of @sign.
 */
JsonNode *mesh_application_profile_sign(const MeshApplicationProfile *profile,
					const MeshMasterProfile *master, const MeshKey *online_key,
					MeshJwsSignFunc sign, gpointer user_data, GError **error);

/*
 * mesh_application_profile_verify: read a SignedApplicationProfile and check it is signed by
 * one of @master's OnlineSignatureKeys and that the wrapper's Identifier is the profile's.
 * Errors: as mesh_application_profile_from_json, MESH_ERROR_UNAUTHORIZED (another signer),
 * MESH_ERROR_BAD_SIGNATURE.
 */
MeshApplicationProfile *mesh_application_profile_verify(JsonNode *node,
							const MeshMasterProfile *master,
							GError **error);

/* mesh_application_profile_parse: strict parse of @len bytes (at most MESH_PROFILE_MAX), then
 * mesh_application_profile_verify. */
MeshApplicationProfile *mesh_application_profile_parse(const char *text, gsize len,
						       const MeshMasterProfile *master,
						       GError **error);

/* mesh_application_profile_touch: Serial + 1, Updated = now. */
gboolean mesh_application_profile_touch(MeshApplicationProfile *profile, GError **error);

/*
 * mesh_application_check_private: MESH_ERROR_MALFORMED unless @plaintext is the private JSON of
 * @type (shape above; at most MESH_APPLICATION_PRIVATE_MAX bytes, else MESH_ERROR_TOO_LARGE).
 */
gboolean mesh_application_check_private(MeshApplicationType type, const MeshSecret *plaintext,
					GError **error);

/*
 * mesh_application_check_name: @name is a display string (core/text.h) of at most
 * MESH_PROFILE_TEXT_MAX bytes that is neither empty nor blank: blank is made only of white space
 * (Unicode's category Zs: U+0020, U+00A0, U+1680, U+2000-U+200A, U+202F, U+205F, U+3000) and
 * characters that show as nothing (U+200C, U+200D, U+115F, U+1160, U+2800, U+3164, U+FFA0). @what
 * names the string in the error ("the application's name", "the site"). Writers check the names
 * they make with it; readers do not, so that what was stored before the rule still reads.
 * Errors: MESH_ERROR_INVALID_ARGUMENT.
 */
gboolean mesh_application_check_name(const char *what, const char *name, GError **error);

/*
 * mesh_application_generic_text: the GenericProfile plaintext {"GenericProfile": {"Name": @name,
 * "Data": <@data>}} where @data is JSON text in a MeshSecret (a trailing NUL allowed), written in
 * secure memory. Errors: MESH_ERROR_MALFORMED (@data is not JSON), MESH_ERROR_INVALID_ARGUMENT.
 */
MeshSecret *mesh_application_generic_text(const char *name, const MeshSecret *data,
					  GError **error);

/* ---- Password profiles ------------------------------------------------------------------- */

typedef struct {
	GPtrArray *sites; /* char *, e.g. "*.example.com" */
	char *username;
	MeshSecret *password; /* NUL-terminated UTF-8 */
} MeshPasswordEntry;

typedef struct {
	GPtrArray *entries;   /* MeshPasswordEntry * */
	GPtrArray *never_ask; /* char *, sites */
	gboolean auto_generate;
} MeshPasswordSet;

MeshPasswordSet *mesh_password_set_new(void);
void mesh_password_set_free(MeshPasswordSet *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshPasswordSet, mesh_password_set_free)

/*
 * mesh_password_set_add: a new entry for the NULL-terminated @sites (at least one, each as
 * mesh_application_check_name), @username and @password (NUL-terminated UTF-8 text in a
 * MeshSecret; copied). It does not look for an entry of the same login (mesh_password_set_login).
 * Errors: MESH_ERROR_INVALID_ARGUMENT (no site, an empty or blank site, text not UTF-8 or too
 * long, too many entries).
 */
gboolean mesh_password_set_add(MeshPasswordSet *set, const char *const *sites,
			       const char *username, const MeshSecret *password, GError **error);

/*
 * mesh_password_set_find: the first entry with a site that matches @host: equal (ignoring
 * ASCII case), or "*.domain" matching any host below domain. Owned by @set; NULL when none.
 */
MeshPasswordEntry *mesh_password_set_find(const MeshPasswordSet *set, const char *host);

/*
 * Logins. An entry is a login: its user name at each site it lists. A site may have several
 * logins (alice and bob at github.com); one login is identified by a site the entry lists exactly
 * (ASCII case ignored) and the user name (exactly).
 */

/* mesh_password_entry_lists: TRUE when @entry lists @site exactly (ASCII case ignored). */
gboolean mesh_password_entry_lists(const MeshPasswordEntry *entry, const char *site);

/* mesh_password_set_login: the first entry of the login (@site, @username), owned by @set; NULL
 * when none. */
MeshPasswordEntry *mesh_password_set_login(const MeshPasswordSet *set, const char *site,
                                           const char *username);

/*
 * mesh_password_set_match: the entries, in order, that list @host exactly (@exact) or a site
 * that matches it (as mesh_password_set_find), with the user name @username (NULL: any). A new
 * array of pointers owned by @set.
 */
GPtrArray *mesh_password_set_match(const MeshPasswordSet *set, const char *host,
                                   const char *username, gboolean exact);

/*
 * mesh_password_entry_set_password: the new password of @entry (of each site it lists), a copy
 * of @password (NUL-terminated UTF-8 text in a MeshSecret). Errors: MESH_ERROR_INVALID_ARGUMENT
 * (not UTF-8, or longer than MESH_PASSWORD_MAX bytes); @entry is unchanged then.
 */
gboolean mesh_password_entry_set_password(MeshPasswordEntry *entry, const MeshSecret *password,
                                          GError **error);

/*
 * mesh_password_set_remove: take @site off every entry that lists it exactly and has the user
 * name @username (NULL: any); an entry left with no site goes. Returns how many entries listed
 * it.
 */
guint mesh_password_set_remove(MeshPasswordSet *set, const char *site, const char *username);

/* mesh_password_set_to_text: the PasswordProfile plaintext, written in secure memory. */
MeshSecret *mesh_password_set_to_text(const MeshPasswordSet *set);

/*
 * mesh_password_set_parse: read a PasswordProfile plaintext (e.g. from
 * mesh_application_profile_open). The passwords go into MeshSecrets; the parsed tree is wiped.
 * Errors: MESH_ERROR_MALFORMED, MESH_ERROR_TOO_LARGE.
 */
MeshPasswordSet *mesh_password_set_parse(const MeshSecret *plaintext, GError **error);

G_END_DECLS
