/* SPDX-License-Identifier: MIT */
#include "caller.h"

#include "base64.h"

#include <string.h>

#include "error.h"
#include "ossl.h"
#include "text.h"

#define BLOCK (64 * 1024)

struct MeshCaller {
	gatomicrefcount ref;
	gint64 pid;    /* 0: unknown */
	char *program; /* NULL: unknown */
	MeshCallerDigestFunc digest_func;
	gpointer os;
	GDestroyNotify os_free;
	GMutex lock; /* guards the two members below: the digest is computed once */
	gboolean have_digest;
	guint8 digest[32];
};

MeshCaller *
mesh_caller_new(gint64 pid, const char *program, MeshCallerDigestFunc digest, gpointer os,
                GDestroyNotify os_free)
{
	MeshCaller *c = g_new0(MeshCaller, 1);

	g_atomic_ref_count_init(&c->ref);
	c->pid = pid > 0 ? pid : 0;
	/* What the OS gave is checked once more here, so that whoever reads program may rely on
	 * it: a relative path or bytes that are not UTF-8 name no program anyone could match. */
	if (program != NULL && g_utf8_validate(program, -1, NULL) && g_path_is_absolute(program))
		c->program = g_strdup(program);
	c->digest_func = digest;
	c->os = os;
	c->os_free = os_free;
	g_mutex_init(&c->lock);
	return c;
}

MeshCaller *
mesh_caller_ref(MeshCaller *c)
{
	g_atomic_ref_count_inc(&c->ref);
	return c;
}

void
mesh_caller_unref(MeshCaller *c)
{
	if (c == NULL || !g_atomic_ref_count_dec(&c->ref))
		return;
	if (c->os_free != NULL)
		c->os_free(c->os);
	g_mutex_clear(&c->lock);
	g_free(c->program);
	g_free(c);
}

gint64
mesh_caller_pid(const MeshCaller *c)
{
	return c->pid;
}

const char *
mesh_caller_program(const MeshCaller *c)
{
	return c->program;
}

gboolean
mesh_caller_digest(MeshCaller *c, guint8 ret[32], GError **error)
{
	guint8 digest[32];
	gboolean ok = FALSE;

	if (c->program == NULL || c->digest_func == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
		            "the digest of the calling program cannot be had: %s",
		            c->program == NULL ? "the program is unknown"
		                               : "this system does not give it");
		return FALSE;
	}
	/* Held while the hook reads the file: a second asker waits and takes the kept digest
	 * rather than reading the executable again. A failure is not kept: it is asked again. */
	g_mutex_lock(&c->lock);
	if (!c->have_digest) {
		if (!c->digest_func(c->os, digest, error))
			goto out;
		memcpy(c->digest, digest, sizeof digest);
		c->have_digest = TRUE;
	}
	memcpy(ret, c->digest, sizeof c->digest);
	ok = TRUE;
out:
	g_mutex_unlock(&c->lock);
	return ok;
}

gboolean
mesh_caller_digest_hex(MeshCaller *c, char ret[65], GError **error)
{
	guint8 digest[32];

	if (!mesh_caller_digest(c, digest, error))
		return FALSE;
	mesh_hex_encode_lower(digest, sizeof digest, ret);
	return TRUE;
}

char *
mesh_caller_describe(const MeshCaller *c)
{
	g_autofree char *pid = c->pid > 0 ? g_strdup_printf("pid %" G_GINT64_FORMAT, c->pid)
	                                  : g_strdup("pid unknown");
	g_autofree char *program = NULL;

	if (c->program == NULL)
		return g_strdup_printf("an unknown program (%s)", pid);
	program = mesh_text_escape(c->program);
	return g_strdup_printf("%s (%s)", program, pid);
}

gboolean
mesh_caller_hash_file(MeshCallerReadFunc read_func, gpointer file, gint64 pid, guint8 ret[32],
                      GError **error)
{
	g_autoptr(EVP_MD_CTX) ctx = EVP_MD_CTX_new();
	g_autofree guint8 *block = g_malloc(BLOCK);
	guint8 digest[32];
	unsigned int digest_len = 0;
	gint64 total = 0;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		mesh_ossl_error(error, MESH_ERROR_CRYPTO, "cannot start a SHA-256 digest");
		return FALSE;
	}
	for (;;) {
		gsize n = 0;

		if (!read_func(file, block, BLOCK, &n, error))
			return FALSE;
		if (n == 0)
			break;
		/* Counted as read: the file may have grown since its size was looked at. */
		total += (gint64)n;
		if (total > MESH_CALLER_EXE_MAX) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			            "the program of pid %" G_GINT64_FORMAT " is larger than 1 GiB",
			            pid);
			return FALSE;
		}
		if (EVP_DigestUpdate(ctx, block, n) != 1) {
			mesh_ossl_error(error, MESH_ERROR_CRYPTO,
			                "cannot compute a SHA-256 digest");
			return FALSE;
		}
	}
	if (EVP_DigestFinal_ex(ctx, digest, &digest_len) != 1 || digest_len != sizeof digest) {
		mesh_ossl_error(error, MESH_ERROR_CRYPTO, "cannot compute a SHA-256 digest");
		return FALSE;
	}
	memcpy(ret, digest, sizeof digest);
	return TRUE;
}
