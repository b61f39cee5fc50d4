/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * MeshSecret: secret bytes on OpenSSL's secure heap (locked, guarded pages once
 * mesh_secret_heap_init() has run; the ordinary heap with the same wiping otherwise).
 * The bytes are wiped with OPENSSL_cleanse when the secret is freed. Never copy them into a
 * GString, a json-glib node that outlives the call, a log line or an error message.
 */
typedef struct MeshSecret MeshSecret;

/*
 * mesh_secret_heap_init: set up OpenSSL's secure heap of @size bytes (a power of two; 0 picks
 * 1 MiB). Call once, early, in daemons and tools that hold private keys. Returns FALSE with
 * MESH_ERROR_FAILED when the heap cannot be created (e.g. RLIMIT_MEMLOCK too low); secrets then
 * still work, on the ordinary heap.
 */
gboolean mesh_secret_heap_init(gsize size, GError **error);

/* mesh_secret_new: @len zero bytes (@len may be 0). Aborts on out-of-memory, as g_malloc does. */
MeshSecret *mesh_secret_new(gsize len);

/* mesh_secret_new_from_data: a copy of @len bytes at @data. */
MeshSecret *mesh_secret_new_from_data(const void *data, gsize len);

/* mesh_secret_new_random: @len bytes from OpenSSL's private DRBG. Returns NULL only if the DRBG
 * fails, with MESH_ERROR_CRYPTO. */
MeshSecret *mesh_secret_new_random(gsize len, GError **error);

/* mesh_secret_dup: a copy of @secret (NULL gives NULL). */
MeshSecret *mesh_secret_dup(const MeshSecret *secret);

guint8 *mesh_secret_data(MeshSecret *secret);
const guint8 *mesh_secret_get(const MeshSecret *secret);
gsize mesh_secret_len(const MeshSecret *secret);

/* mesh_secret_equal: constant-time comparison (the lengths are not secret). */
gboolean mesh_secret_equal(const MeshSecret *a, const MeshSecret *b);

/* mesh_secret_free: wipe and free; accepts NULL. */
void mesh_secret_free(MeshSecret *secret);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshSecret, mesh_secret_free)

/*
 * mesh_bytes_new_wiped: a GBytes that takes @data (@len bytes from g_malloc) and wipes it when
 * the last reference goes: for texts that may carry a secret (the agent's answers and their
 * frames) but live on the ordinary heap.
 */
GBytes *mesh_bytes_new_wiped(gpointer data, gsize len);

G_END_DECLS
