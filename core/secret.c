/* SPDX-License-Identifier: MIT */
#include "secret.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "error.h"

struct MeshSecret {
	gsize len;
	guint8 data[];
};

gboolean
mesh_secret_heap_init(gsize size, GError **error)
{
	if (CRYPTO_secure_malloc_initialized())
		return TRUE;
	if (size == 0)
		size = 1024 * 1024;
	if (CRYPTO_secure_malloc_init(size, 32) == 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_FAILED,
			    "cannot create the secure memory heap (is RLIMIT_MEMLOCK too low?)");
		return FALSE;
	}
	return TRUE;
}

MeshSecret *
mesh_secret_new(gsize len)
{
	MeshSecret *secret;

	if (len > G_MAXSIZE - sizeof(MeshSecret))
		g_error("mesh_secret_new: size overflow");
	secret = OPENSSL_secure_zalloc(sizeof(MeshSecret) + len);
	if (secret == NULL)
		g_error("mesh_secret_new: out of secure memory (%" G_GSIZE_FORMAT " bytes)", len);
	secret->len = len;
	return secret;
}

MeshSecret *
mesh_secret_new_from_data(const void *data, gsize len)
{
	MeshSecret *secret = mesh_secret_new(len);

	if (len > 0)
		memcpy(secret->data, data, len);
	return secret;
}

MeshSecret *
mesh_secret_new_random(gsize len, GError **error)
{
	g_autoptr(MeshSecret) secret = mesh_secret_new(len);

	if (len > 0 && RAND_priv_bytes(secret->data, (int)len) != 1) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO, "the random generator failed");
		return NULL;
	}
	return g_steal_pointer(&secret);
}

MeshSecret *
mesh_secret_dup(const MeshSecret *secret)
{
	if (secret == NULL)
		return NULL;
	return mesh_secret_new_from_data(secret->data, secret->len);
}

guint8 *
mesh_secret_data(MeshSecret *secret)
{
	return secret->data;
}

const guint8 *
mesh_secret_get(const MeshSecret *secret)
{
	return secret->data;
}

gsize
mesh_secret_len(const MeshSecret *secret)
{
	return secret->len;
}

gboolean
mesh_secret_equal(const MeshSecret *a, const MeshSecret *b)
{
	if (a->len != b->len)
		return FALSE;
	return CRYPTO_memcmp(a->data, b->data, a->len) == 0;
}

void
mesh_secret_free(MeshSecret *secret)
{
	if (secret == NULL)
		return;
	/* OPENSSL_secure_clear_free cleanses even when the block is on the ordinary heap. */
	OPENSSL_secure_clear_free(secret, sizeof(MeshSecret) + secret->len);
}

typedef struct {
	gpointer data;
	gsize len;
} Wiped;

static void
wiped_free(gpointer user_data)
{
	Wiped *w = user_data;

	OPENSSL_cleanse(w->data, w->len);
	g_free(w->data);
	g_free(w);
}

GBytes *
mesh_bytes_new_wiped(gpointer data, gsize len)
{
	Wiped *w = g_new(Wiped, 1);

	w->data = data;
	w->len = len;
	return g_bytes_new_with_free_func(data, len, wiped_free, w);
}
