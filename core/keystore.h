/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "hive.h"
#include "key.h"
#include "marker.h"
#include "secret.h"

G_BEGIN_DECLS

/*
 * MeshKeyStore: where a device keeps its private keys (docs/design.md "Key stores"). Each backend is
 * a const vtable with a name and capability bits; an instance's first field points to it.
 * Private keys leave a store only through export_private, which hardware stores do not have.
 * Keys are named by their UDF (mesh_key_udf()).
 */

typedef enum {
	MESH_KEY_USE_SIGNATURE = 1,
	MESH_KEY_USE_AUTHENTICATION = 2,
	MESH_KEY_USE_ENCRYPTION = 3,
} MeshKeyUse;

/* "Signature", "Authentication", "Encryption"; NULL for other values. */
const char *mesh_key_use_name(MeshKeyUse use);
gboolean mesh_key_use_from_name(const char *name, MeshKeyUse *ret_use, GError **error);

/*
 * mesh_key_use_check: TRUE when a key of @alg can serve @use: signature and authentication keys
 * sign (Ed25519, P-256), encryption keys agree on a shared secret (X25519, P-256). Errors:
 * MESH_ERROR_INVALID_ARGUMENT naming the algorithm, the use and the algorithms that fit.
 * mesh_keystore_generate and mesh_keystore_import check it for every store.
 */
gboolean mesh_key_use_check(MeshKeyAlg alg, MeshKeyUse use, GError **error);

/* Capability bits */
#define MESH_KEYSTORE_CAP_ED25519       (1u << 0) /* can hold/generate Ed25519 keys */
#define MESH_KEYSTORE_CAP_X25519        (1u << 1)
#define MESH_KEYSTORE_CAP_P256          (1u << 2)
#define MESH_KEYSTORE_CAP_NONEXPORTABLE (1u << 3) /* keys can never leave the store */
#define MESH_KEYSTORE_CAP_HARDWARE      (1u << 4) /* keys live in hardware (TPM) */
#define MESH_KEYSTORE_CAP_NEEDS_UNLOCK  (1u << 5) /* keys may be locked (passphrase, keyring) */

typedef struct MeshKeyStore MeshKeyStore;

/* One entry of mesh_keystore_list(). */
typedef struct {
	char *udf;
	MeshKeyAlg alg;
	MeshKeyUse use;
	gboolean locked; /* protected and not unlocked: cannot be used until unlock() */
	gboolean is_protected; /* by the passphrase unlock() takes (file: passphrase, tpm2: PIN) */
	char *store;     /* the store that holds it, when listed through several (or NULL) */
} MeshKeyInfo;

void mesh_key_info_free(MeshKeyInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshKeyInfo, mesh_key_info_free)

typedef struct {
	const char *name; /* "file", "secret", "tpm2", "dpapi", "keychain" */
	unsigned caps;
	/* Make a new key inside the store; returns its public key. @passphrase may be NULL
	 * (stores without passphrase protection ignore it). */
	gboolean (*generate)(MeshKeyStore *store, MeshKeyAlg alg, MeshKeyUse use,
			     const MeshSecret *passphrase, MeshKey **ret_public, GError **error);
	/* Store a private key made elsewhere (optional: NULL for stores that cannot). */
	gboolean (*import)(MeshKeyStore *store, const MeshKey *priv, MeshKeyUse use,
			   const MeshSecret *passphrase, GError **error);
	/* The public key of @udf. */
	gboolean (*get_public)(MeshKeyStore *store, const char *udf, MeshKey **ret_public,
			       GError **error);
	/* Sign @len bytes (Ed25519: the message; P-256: ECDSA-SHA-256 of the message) → 64 bytes
	 * (Ed25519 signature, or ES256 r || s). */
	gboolean (*sign)(MeshKeyStore *store, const char *udf, const guint8 *data, gsize len,
			 GBytes **ret_signature, GError **error);
	/* ECDH with @peer → the shared secret. */
	gboolean (*agree)(MeshKeyStore *store, const char *udf, const MeshKey *peer,
			  MeshSecret **ret_secret, GError **error);
	/* The private key (optional: NULL for non-exportable stores). */
	gboolean (*export_private)(MeshKeyStore *store, const char *udf, MeshKey **ret_private,
				   GError **error);
	gboolean (*remove)(MeshKeyStore *store, const char *udf, GError **error);
	gboolean (*list)(MeshKeyStore *store, GPtrArray **ret_infos, GError **error);
	/* Unwrap passphrase-protected keys into secure memory until lock() (optional). A wrong
	 * passphrase is MESH_ERROR_BAD_PASSPHRASE. */
	gboolean (*unlock)(MeshKeyStore *store, const MeshSecret *passphrase, GError **error);
	/* Forget every unwrapped key (optional). */
	void (*lock)(MeshKeyStore *store);
	/* Free the instance; tolerates a half-opened one. */
	void (*close)(MeshKeyStore *store);
	/* For a store over other stores (backends/router.h): the store new keys go to, whose
	 * name and caps mesh_keystore_name/_caps report (optional; never NULL when present). */
	const MeshKeyStore *(*target)(const MeshKeyStore *store);
} MeshKeyStoreClass;

struct MeshKeyStore {
	const MeshKeyStoreClass *klass;
};

/*
 * Dispatchers: each checks the member exists (MESH_ERROR_UNSUPPORTED, naming the store, when it
 * is optional and absent) and calls it. ret_ parameters are written only on success.
 */
const char *mesh_keystore_name(const MeshKeyStore *store);
unsigned mesh_keystore_caps(const MeshKeyStore *store);
gboolean mesh_keystore_generate(MeshKeyStore *store, MeshKeyAlg alg, MeshKeyUse use,
				const MeshSecret *passphrase, MeshKey **ret_public, GError **error);
gboolean mesh_keystore_import(MeshKeyStore *store, const MeshKey *priv, MeshKeyUse use,
			      const MeshSecret *passphrase, GError **error);
gboolean mesh_keystore_get_public(MeshKeyStore *store, const char *udf, MeshKey **ret_public,
				  GError **error);
gboolean mesh_keystore_sign(MeshKeyStore *store, const char *udf, const guint8 *data, gsize len,
			    GBytes **ret_signature, GError **error);
gboolean mesh_keystore_agree(MeshKeyStore *store, const char *udf, const MeshKey *peer,
			     MeshSecret **ret_secret, GError **error);
gboolean mesh_keystore_export_private(MeshKeyStore *store, const char *udf,
				      MeshKey **ret_private, GError **error);
gboolean mesh_keystore_remove(MeshKeyStore *store, const char *udf, GError **error);
gboolean mesh_keystore_list(MeshKeyStore *store, GPtrArray **ret_infos, GError **error);
gboolean mesh_keystore_unlock(MeshKeyStore *store, const MeshSecret *passphrase, GError **error);
void mesh_keystore_lock(MeshKeyStore *store);
/* mesh_keystore_close: accepts NULL. */
void mesh_keystore_close(MeshKeyStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshKeyStore, mesh_keystore_close)

/*
 * Stores that keep entries in the hive's Keys folder name them "<udf><suffix>": a UDF is a valid
 * entry name without a '.' of its own (MESH_ERROR_INVALID_ARGUMENT), and a store's keys are the
 * entries with its marker suffix (mesh_keystore_list_marked: their UDFs, sorted; entries of other
 * stores and names no store writes are left out).
 */
gboolean mesh_keystore_check_udf(const char *udf, GError **error);
GPtrArray *mesh_keystore_list_marked(MeshHive *hive, const char *suffix, GError **error);

/* Largest marker entry a store writes (a marker, core/marker.h). */
#define MESH_KEYSTORE_MARKER_MAX MESH_MARKER_MAX

/*
 * mesh_keystore_read_marker_data: the marker entry Keys/<udf><suffix> of the store named
 * @store, read (at most MESH_KEYSTORE_MARKER_MAX bytes) into *@ret_data. *@ret_name receives
 * the entry's name once it has been read (so a caller can name an entry that does not parse)
 * and stays NULL when it could not be. Errors: MESH_ERROR_INVALID_ARGUMENT (not a key UDF),
 * MESH_ERROR_NOT_FOUND ("no key <udf> in the <store> key store at <hive>"), those of the hive.
 */
gboolean mesh_keystore_read_marker_data(MeshHive *hive, const char *store, const char *udf,
                                        const char *suffix, GBytes **ret_data, char **ret_name,
                                        GError **error);

/*
 * mesh_keystore_read_marker: as mesh_keystore_read_marker_data, parsed with mesh_marker_parse
 * into *@ret_marker; the caller checks its members. Errors: those of
 * mesh_keystore_read_marker_data and of mesh_marker_parse.
 */
gboolean mesh_keystore_read_marker(MeshHive *hive, const char *store, const char *udf,
                                   const char *suffix, MeshMarker **ret_marker, char **ret_name,
                                   GError **error);

/*
 * For software stores, whose keys are private MeshKeys once loaded: sign, agree and export with
 * the key @load gives (a new reference, or NULL with @error set). Their vtable members are then
 * one line each.
 */
typedef MeshKey *(*MeshKeyStoreLoadFunc)(MeshKeyStore *store, const char *udf, GError **error);

gboolean mesh_keystore_soft_sign(MeshKeyStore *store, MeshKeyStoreLoadFunc load, const char *udf,
				 const guint8 *data, gsize len, GBytes **ret_signature,
				 GError **error);
gboolean mesh_keystore_soft_agree(MeshKeyStore *store, MeshKeyStoreLoadFunc load, const char *udf,
				  const MeshKey *peer, MeshSecret **ret_secret, GError **error);
gboolean mesh_keystore_soft_export(MeshKeyStore *store, MeshKeyStoreLoadFunc load,
				   const char *udf, MeshKey **ret_private, GError **error);

/*
 * Signing JWS (core/jose.h's MeshJwsSignFunc) with a key that stays in a store: pass
 * mesh_keystore_jws_sign as the function and a MeshKeyStoreSigner as its user data.
 */
typedef struct {
	MeshKeyStore *store;
	const char *udf;
} MeshKeyStoreSigner;

gboolean mesh_keystore_jws_sign(gpointer user_data, const guint8 *input, gsize len,
				GBytes **ret_signature, GError **error);

/* The same for decrypting (core/jose.h's MeshJweAgreeFunc): the key agreement of the
 * MeshKeyStoreSigner's key, inside its store. */
MeshSecret *mesh_keystore_jwe_agree(gpointer user_data, const MeshKey *peer, GError **error);

G_END_DECLS
