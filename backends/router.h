/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "hive.h"
#include "keystore.h"

G_BEGIN_DECLS

/*
 * The stores compiled in, and the router the agent uses over all of them (docs/design.md "Key
 * stores"). Every store keeps its keys under the hive's Keys folder and marks each key with an
 * entry of its own: Keys/<udf>.meta (file), Keys/<udf>.secret (secret), Keys/<udf>.tpm-meta
 * (tpm2). The router finds a key's store by its marker, so signing, agreement, export and
 * removal go to the store that holds the key, whichever store new keys go to.
 *
 * New keys go to the hive's default store (mesh_keystore_router_set_default; "file" until one is
 * set), or to the store a view names (mesh_keystore_router_view: `--keystore`). The router's
 * caps are those of that store, so core picks the algorithms it makes (a TPM: P-256). Imports go
 * there too when it can import; a store that cannot (a TPM makes its own keys) hands them to the
 * file store: the master keys, which escrow must be able to export, are imported.
 *
 * Stores other than file are opened on first use, so an agent without a session bus or a TPM
 * still serves its file keys; unlock asks only the stores that hold keys of the hive.
 */

typedef MeshKeyStore *(*MeshKeyStoreOpenFunc)(MeshHive *hive, GError **error);

typedef struct {
	const char *name;   /* "file", "secret", "tpm2" */
	const char *marker; /* the Keys/ entry suffix that marks a key of this store */
	MeshKeyStoreOpenFunc open;
	const char *summary; /* one line for help texts */
} MeshKeyStoreBackend;

/* mesh_keystore_backends: the stores compiled in (backends.c), @ret_n of them; the first is
 * "file". */
const MeshKeyStoreBackend *mesh_keystore_backends(guint *ret_n);

/* mesh_keystore_backend_find: the store named @name; MESH_ERROR_INVALID_ARGUMENT listing the
 * names when there is none. */
const MeshKeyStoreBackend *mesh_keystore_backend_find(const char *name, GError **error);

/* mesh_keystore_router_new: the router over @hive (borrowed: keep it open until the router is
 * closed). Opens the file store. Errors: those of mesh_keystore_file_new. */
MeshKeyStore *mesh_keystore_router_new(MeshHive *hive, GError **error);

/*
 * mesh_keystore_router_view: a store that is @router for everything but new keys, which go to
 * the store @target (NULL: the hive's default, as @router itself). Close it with
 * mesh_keystore_close; it borrows @router. Errors: MESH_ERROR_INVALID_ARGUMENT (unknown name),
 * and those of opening @target (no Secret Service, no TPM).
 */
MeshKeyStore *mesh_keystore_router_view(MeshKeyStore *router, const char *target,
					GError **error);

/* What a store did with a private key, for the observer. */
typedef enum {
	MESH_KEYSTORE_OP_SIGN,
	MESH_KEYSTORE_OP_AGREE,
} MeshKeyStoreOp;

/*
 * MeshKeyStoreObserver: told after every signature and agreement made through the router or one
 * of its views, on the thread that asked, with @error (NULL when it worked). For the agent's
 * audit log: it must not call back into the router.
 */
typedef void (*MeshKeyStoreObserver)(gpointer data, MeshKeyStoreOp op, const char *udf,
                                     const GError *error);

/* mesh_keystore_router_set_observer: tell @func (NULL: nobody) of every use of a private key. */
void mesh_keystore_router_set_observer(MeshKeyStore *router, MeshKeyStoreObserver func,
                                       gpointer data);

/* mesh_keystore_router_get_default: the hive's default store for new keys ("file" when none
 * is set); a new string. */
char *mesh_keystore_router_get_default(MeshKeyStore *router);

/* mesh_keystore_router_set_default: make @name the hive's default store, after opening it (so
 * that a store that cannot work here is refused now, with its reason). */
gboolean mesh_keystore_router_set_default(MeshKeyStore *router, const char *name,
					  GError **error);

/* mesh_keystore_router_store_of: the name of the store that holds @udf (static). Errors:
 * MESH_ERROR_NOT_FOUND. */
const char *mesh_keystore_router_store_of(MeshKeyStore *router, const char *udf,
					  GError **error);

/*
 * mesh_keystore_router_move: move @udf to the store @to: exported from its store, imported into
 * @to (protected by @passphrase when not NULL, where @to protects keys), then removed from where
 * it was. A key whose store cannot export it (a TPM's) cannot leave, and a store that cannot
 * import (a TPM) cannot take one: MESH_ERROR_UNSUPPORTED saying so. Moving to the store that
 * holds the key already is MESH_ERROR_EXISTS. A move that fails changes nothing: the key stays
 * where it was (a copy imported before the removal failed is removed again) and a store opened
 * for the move is closed again, so that nothing (unlock, list) asks a store that cannot work
 * here. After a crash between the import and the removal the key is in both stores; the router
 * uses the first (file, secret, tpm2) and a second move finishes the job.
 */
gboolean mesh_keystore_router_move(MeshKeyStore *router, const char *udf, const char *to,
				   const MeshSecret *passphrase, GError **error);

/* Largest key file mesh_keystore_router_import_pem reads. */
#define MESH_KEYSTORE_IMPORT_MAX (64 * 1024)

/*
 * mesh_keystore_router_import_pem: adopt the private key in the PEM text @pem (@len bytes, at
 * most MESH_KEYSTORE_IMPORT_MAX) for @use, into the store @store makes new keys in (a view,
 * or the router): an OpenSSH private key ("BEGIN OPENSSH PRIVATE KEY", decrypted with
 * @file_passphrase when it is protected) or PKCS#8 ("BEGIN PRIVATE KEY") is imported, protected
 * by @passphrase where the store protects keys; a TPM 2.0 key file ("BEGIN TSS2 PRIVATE KEY",
 * e.g. from openssl genpkey -provider tpm2) goes to the tpm2 store, @passphrase its PIN. The
 * public key in *@ret_public. Errors:
 * MESH_ERROR_MALFORMED (not a key file), MESH_ERROR_UNSUPPORTED (another type of key, or a
 * store that cannot import), those of the file's decoding and of the store.
 */
gboolean mesh_keystore_router_import_pem(MeshKeyStore *store, const char *pem, gsize len,
					 MeshKeyUse use, const MeshSecret *file_passphrase,
					 const MeshSecret *passphrase, MeshKey **ret_public,
					 GError **error);

G_END_DECLS
