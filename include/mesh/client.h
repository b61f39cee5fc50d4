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
 * MESH_ERROR_PERMISSION (the socket is not a socket of this user), MESH_ERROR_IO. On failure
 * *ret_client is left alone; there is no connection to ask for the message, so the error code
 * is all there is.
 */
MeshError mesh_client_open(const char *hive, MeshClient **ret_client);

/* mesh_client_open_socket: as mesh_client_open, with the socket at @path. */
MeshError mesh_client_open_socket(const char *path, MeshClient **ret_client);

/* mesh_client_close: close the connection and free @client; accepts NULL. */
void mesh_client_close(MeshClient *client);

/*
 * mesh_client_last_error: the message of the last failure on @client ("" when none), owned by
 * @client and valid until the next call on it.
 */
const char *mesh_client_last_error(const MeshClient *client);

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
 * passphrase the private keys are stored encrypted under it.
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
	int locked;      /* protected and not unlocked */
} MeshClientKey;

MeshError mesh_client_key_list(MeshClient *client, MeshClientKey **ret_keys, size_t *ret_n);
void mesh_client_keys_free(MeshClientKey *keys, size_t n);

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

#ifdef __cplusplus
}
#endif

#endif /* MESH_CLIENT_H */
