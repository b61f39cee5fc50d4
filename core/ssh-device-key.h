/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "jose.h"
#include "key.h"
#include "sshkey.h"

G_BEGIN_DECLS

/*
 * A device's SSH key, published by that device (docs/protocol.md "SignedSSHDeviceKey"):
 *
 *   {"SignedSSHDeviceKey": {"Identifier": ID, "SignedData": <JWS, cty "SSHDeviceKey">}}
 *   payload {"SSHDeviceKey": {"Account", "Profile", "DeviceUDF", "PublicKey", "Serial",
 *                             "Updated"}}
 *
 * signed by the device's DeviceSignatureKey (kid = the device UDF, which is that key's UDF).
 * An SSHProfile is signed by an administration key, so a device that is not an administration
 * device cannot list its own key there; it publishes this entry instead, and an administration
 * device folds it into the SSHProfile after checking it against the personal profile.
 *
 * ID = mesh_ssh_device_key_identifier(Profile, DeviceUDF): a SHA-512 content digest UDF
 * (content type MESH_SSH_DEVICE_KEY_CT, 140 bits) of "<Profile>\n<DeviceUDF>". It is the same
 * for every publication by one device to one profile (a new publication replaces the old one
 * with a higher Serial), differs between profiles (so one portal holds every account's), and is
 * a short name (about 34 characters) for the portal's store.
 *
 * Its PublicKey is a strict OpenSSH public key line (below), the same text an SSHProfile's
 * Devices hold.
 */

#define MESH_SSH_DEVICE_KEY_TAG "SSHDeviceKey"
#define MESH_SSH_DEVICE_KEY_CT  "application/mmm-ssh-device-key"
/* Largest SignedSSHDeviceKey (wrapper and JWS). */
#define MESH_SSH_DEVICE_KEY_MAX (16 * 1024)

typedef struct {
	char *account;
	char *profile;    /* the profile's fingerprint (master UDF) */
	char *device_udf; /* the publishing device */
	char *public_key; /* one OpenSSH public key line, no line break */
	gint64 serial;    /* 1..MESH_SERIAL_MAX */
	char *updated;    /* RFC 3339 UTC */
} MeshSshDeviceKey;

void mesh_ssh_device_key_free(MeshSshDeviceKey *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshSshDeviceKey, mesh_ssh_device_key_free)

/* mesh_ssh_device_key_identifier: the entry's ID for @profile and @device_udf (see above). */
char *mesh_ssh_device_key_identifier(const char *profile, const char *device_udf, GError **error);

/*
 * mesh_ssh_device_key_new: serial @serial, updated now. Copies the strings. Errors:
 * MESH_ERROR_INVALID_ARGUMENT (not an account name, not UDFs, a bad key line, serial out of
 * range).
 */
MeshSshDeviceKey *mesh_ssh_device_key_new(const char *account, const char *profile,
                                          const char *device_udf, const char *public_key,
                                          gint64 serial, GError **error);

/*
 * mesh_ssh_device_key_sign: the SignedSSHDeviceKey of @key, signed by the public
 * @device_key (the device's DeviceSignatureKey; @sign makes the signature). Errors:
 * MESH_ERROR_INVALID_ARGUMENT (@device_key is not the key of @key's DeviceUDF), those of
 * mesh_signed_wrap.
 */
JsonNode *mesh_ssh_device_key_sign(const MeshSshDeviceKey *key, const MeshKey *device_key,
                                   MeshJwsSignFunc sign, gpointer user_data, GError **error);

/*
 * mesh_ssh_device_key_verify: read a SignedSSHDeviceKey and check that it is signed by
 * @device_key, that its DeviceUDF is @device_key's UDF and that the wrapper's Identifier is the
 * one of its Profile and DeviceUDF. Errors: MESH_ERROR_MALFORMED (shape, bad key line, wrong
 * Identifier), MESH_ERROR_TOO_LARGE, MESH_ERROR_UNSUPPORTED, MESH_ERROR_BAD_SIGNATURE (another
 * signer, or the signature does not verify), MESH_ERROR_UNAUTHORIZED (signed by the right key
 * but for another device).
 */
MeshSshDeviceKey *mesh_ssh_device_key_verify(JsonNode *node, const MeshKey *device_key,
                                             GError **error);

/*
 * mesh_ssh_device_key_open: read a SignedSSHDeviceKey WITHOUT checking its signature, for a
 * reader that must first learn which device it names (the portal, the fuzzer); *@ret_kid
 * (may be NULL) gets the JWS kid. Trust nothing until mesh_ssh_device_key_verify succeeds.
 */
MeshSshDeviceKey *mesh_ssh_device_key_open(JsonNode *node, char **ret_kid, GError **error);

/* mesh_ssh_device_key_parse: strict parse of @len bytes (at most MESH_SSH_DEVICE_KEY_MAX),
 * then mesh_ssh_device_key_verify. */
MeshSshDeviceKey *mesh_ssh_device_key_parse(const char *text, gsize len, const MeshKey *device_key,
                                            GError **error);

G_END_DECLS
