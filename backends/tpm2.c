/* SPDX-License-Identifier: MIT */
#include "tpm2.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "base64.h"
#include "error.h"
#include "openssh.h"
#include "tss2key.h"

#define KEY_SUFFIX  ".tpm"
#define META_SUFFIX ".tpm-meta"
/* userAuth may not be longer than the name algorithm's digest (SHA-256). */
#define PIN_MAX 32
#define COORD   32
/* A TPM name with SHA-256 as its algorithm: the algorithm's 2 bytes and the digest. */
#define PRIMARY_NAME_LEN 34

typedef struct {
	MeshKeyStore base;
	MeshHive *hive;
	char *tcti_name; /* for messages */
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	ESYS_TR primary; /* ESYS_TR_NONE until first needed */
	TPM2B_NAME primary_name; /* its name, once ensure_primary() has checked it */
	ESYS_TR session; /* the salted HMAC session; ESYS_TR_NONE until first needed */
	MeshSecret *pin; /* from unlock(), generate() or import; NULL when locked */
} Tpm2Store;

typedef struct {
	MeshKeyUse use;
	gboolean pin;
	TPM2B_NAME primary; /* the primary's name when the key was stored; size 0: not recorded */
} Meta;

/* A key loaded into the TPM for one operation. */
typedef struct {
	Meta meta;
	MeshTss2Key file;
	ESYS_TR handle;
} Loaded;

static Tpm2Store *
tpm2_store(MeshKeyStore *store)
{
	return (Tpm2Store *)store;
}

/* ---- TPM errors -------------------------------------------------------------------------- */

/* The TPM's response code without the layer (plain TPM or passed through a resource manager)
 * and, for format-one codes, without the handle/session/parameter number, so that an auth
 * failure compares equal to TPM2_RC_AUTH_FAIL whichever session it came from. */
static TSS2_RC
tpm_base_rc(TSS2_RC rc)
{
	TSS2_RC layer = rc & TSS2_RC_LAYER_MASK;

	if (layer != TSS2_TPM_RC_LAYER && layer != TSS2_RESMGR_TPM_RC_LAYER)
		return rc;
	rc &= 0xfff;
	if (rc & TPM2_RC_FMT1)
		return rc & (TPM2_RC_FMT1 | 0x3f);
	return rc;
}

/* Set @error for @rc from @what (a TPM command) on key @udf (NULL: none); @pin: the command was
 * authorized with the key's auth value, so that an auth failure is a wrong PIN (for the others,
 * authorized with the primary's or the owner hierarchy's empty auth, it is not). The lockout
 * gets its own code; the PIN itself is never part of a message. */
static gboolean
tpm_error(GError **error, TSS2_RC rc, const char *what, const char *udf, gboolean pin)
{
	TSS2_RC base = tpm_base_rc(rc);

	if (base == TPM2_RC_LOCKOUT) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_LOCKOUT,
			    "the TPM's dictionary-attack lockout is active (too many wrong PINs): "
			    "wait for its recovery time to pass, or clear it with "
			    "'tpm2_dictionarylockout --clear-lockout' and the lockout authorization");
	} else if ((base == TPM2_RC_AUTH_FAIL || base == TPM2_RC_BAD_AUTH) && pin) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_BAD_PASSPHRASE,
			    "wrong PIN for the TPM key %s (each wrong PIN counts towards the TPM's "
			    "dictionary-attack lockout)",
			    udf != NULL ? udf : "");
	} else if (base == TPM2_RC_AUTH_FAIL || base == TPM2_RC_BAD_AUTH) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO,
			    "TPM %s: the TPM refused the authorization: the owner hierarchy has "
			    "an auth value, or something between this program and the TPM altered "
			    "the command",
			    what);
	} else if (rc == TSS2_ESYS_RC_RSP_AUTH_FAILED) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO,
			    "TPM %s: the answer does not carry the session's HMAC: something "
			    "between this program and the TPM altered it",
			    what);
	} else if ((rc & TSS2_RC_LAYER_MASK) == TSS2_TCTI_RC_LAYER) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "TPM %s: the TPM does not answer: %s",
			    what, Tss2_RC_Decode(rc));
	} else {
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO, "TPM %s%s%s failed: %s", what,
			    udf != NULL ? " with key " : "", udf != NULL ? udf : "",
			    Tss2_RC_Decode(rc));
	}
	return FALSE;
}

/* ---- Entries ------------------------------------------------------------------------------ */

static gboolean
read_meta(Tpm2Store *ts, const char *udf, Meta *ret_meta, GError **error)
{
	static const char *const members[] = { "Use", "Algorithm", "PIN", "Primary", NULL };
	g_autofree char *name = NULL;
	g_autoptr(MeshMarker) marker = NULL;
	const char *use, *alg, *primary = NULL;
	MeshKeyAlg key_alg;
	Meta meta = { 0 };
	gsize len = 0;

	if (!mesh_keystore_read_marker(ts->hive, "tpm2", udf, META_SUFFIX, &marker, &name,
				       error))
		return FALSE;
	if (!mesh_marker_check_members(marker, members, NULL) ||
	    !mesh_marker_get_string(marker, "Use", &use, NULL) ||
	    !mesh_marker_get_string(marker, "Algorithm", &alg, NULL) ||
	    !mesh_key_use_from_name(use, &meta.use, NULL) ||
	    !mesh_key_alg_from_name(alg, &key_alg, NULL) || key_alg != MESH_KEY_P256 ||
	    !mesh_marker_get_boolean(marker, "PIN", &meta.pin, NULL))
		goto bad;
	/* Optional: keys stored before the store recorded its primary have none. */
	if (!mesh_marker_get_string_opt(marker, "Primary", &primary, NULL))
		goto bad;
	if (primary != NULL) {
		if (!mesh_hex_decode(primary, meta.primary.name, PRIMARY_NAME_LEN, &len, NULL) ||
		    len != PRIMARY_NAME_LEN || meta.primary.name[0] != 0 ||
		    meta.primary.name[1] != TPM2_ALG_SHA256)
			goto bad;
		meta.primary.size = PRIMARY_NAME_LEN;
	}
	*ret_meta = meta;
	return TRUE;
bad:
	g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		    "%s/%s is not {\"Use\", \"Algorithm\": \"P-256\", \"PIN\", \"Primary\"?}",
		    mesh_hive_folder_name(MESH_HIVE_KEYS), name);
	return FALSE;
}

static char *
meta_json(const Meta *meta)
{
	g_autoptr(MeshMarker) marker = mesh_marker_new();

	mesh_marker_set_string(marker, "Use", mesh_key_use_name(meta->use));
	mesh_marker_set_string(marker, "Algorithm", mesh_key_alg_name(MESH_KEY_P256));
	mesh_marker_set_boolean(marker, "PIN", meta->pin);
	if (meta->primary.size > 0) {
		g_autofree char *hex = mesh_hex_encode(meta->primary.name, meta->primary.size);

		mesh_marker_set_string(marker, "Primary", hex);
	}
	return mesh_marker_to_text(marker);
}

/* The key file of @udf, decoded, checked against its name and its .meta. */
static gboolean
read_key_file(Tpm2Store *ts, const char *udf, const Meta *meta, MeshTss2Key *ret_file,
	      MeshKey **ret_public, GError **error)
{
	g_autofree char *name = g_strconcat(udf, KEY_SUFFIX, NULL);
	g_autoptr(GBytes) data = NULL;
	g_autoptr(MeshKey) pub = NULL;
	g_autoptr(GError) local = NULL;
	gsize len;
	const char *text;

	if (!mesh_hive_read(ts->hive, MESH_HIVE_KEYS, name, MESH_TSS2KEY_PEM_MAX, &data, error))
		return FALSE;
	text = g_bytes_get_data(data, &len);
	if (!mesh_tss2key_decode(text, len, ret_file, &local) ||
	    (pub = mesh_tss2key_public_key(&ret_file->pub, &local)) == NULL) {
		g_set_error(error, MESH_ERROR, local->code, "%s/%s: %s",
			    mesh_hive_folder_name(MESH_HIVE_KEYS), name, local->message);
		return FALSE;
	}
	if (strcmp(mesh_key_udf(pub), udf) != 0 || ret_file->parent != MESH_TSS2KEY_PARENT_OWNER ||
	    ret_file->empty_auth == meta->pin) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "%s/%s does not hold the TPM key %s under the owner hierarchy as its "
			    ".tpm-meta describes it: remove the key",
			    mesh_hive_folder_name(MESH_HIVE_KEYS), name, udf);
		return FALSE;
	}
	if (ret_public != NULL)
		*ret_public = g_steal_pointer(&pub);
	return TRUE;
}

/* ---- The TPM --------------------------------------------------------------------------------- */

/* Make the primary key, once per store, and check that it is the one the template makes: the
 * store salts its session with it (ensure_session), so a key substituted on the way from the
 * TPM would let whoever holds its private half read the session's secrets. */
static gboolean
ensure_primary(Tpm2Store *ts, GError **error)
{
	const TPM2B_SENSITIVE_CREATE sensitive = { 0 };
	const TPM2B_DATA outside = { 0 };
	const TPML_PCR_SELECTION pcrs = { 0 };
	TPM2B_PUBLIC *pub = NULL;
	TPM2B_NAME *name = NULL;
	g_autoptr(GError) local = NULL;
	gboolean ok;
	TSS2_RC rc;

	if (ts->primary != ESYS_TR_NONE)
		return TRUE;
	/* Nothing secret crosses here: the owner hierarchy's auth and the primary's are empty. */
	rc = Esys_CreatePrimary(ts->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				ESYS_TR_NONE, &sensitive, mesh_tss2key_primary_template(), &outside,
				&pcrs, &ts->primary, &pub, NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		ts->primary = ESYS_TR_NONE;
		return tpm_error(error, rc, "CreatePrimary (owner hierarchy)", NULL, FALSE);
	}
	/* ESAPI has checked that the name in the answer is the public area's. */
	ok = mesh_tss2key_check_primary(pub, &local);
	Esys_Free(pub);
	if (ok) {
		/* A SHA-256 name, as the template says: what .tpm-meta records. */
		rc = Esys_TR_GetName(ts->esys, ts->primary, &name);
		if (rc != TSS2_RC_SUCCESS) {
			ok = tpm_error(&local, rc, "GetName (primary key)", NULL, FALSE);
		} else if (name->size != PRIMARY_NAME_LEN) {
			g_set_error(&local, MESH_ERROR, MESH_ERROR_CRYPTO,
				    "its name is not a SHA-256 name");
			ok = FALSE;
		} else {
			ts->primary_name = *name;
		}
		Esys_Free(name);
	}
	if (!ok) {
		Esys_FlushContext(ts->esys, ts->primary);
		ts->primary = ESYS_TR_NONE;
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO,
			    "the TPM's primary key (owner hierarchy) is not the one the store's "
			    "template makes: %s. Something between this program and the TPM may be "
			    "substituting it; the store does not use it",
			    local->message);
		return FALSE;
	}
	return TRUE;
}

static gboolean
same_name(const TPM2B_NAME *a, const TPM2B_NAME *b)
{
	return a->size == b->size && memcmp(a->name, b->name, a->size) == 0;
}

/* Refuse to go on under another primary than the one recorded: @recorded, a key's own record
 * (@udf), or, when there is none (a key to be made or adopted; a key stored before the store
 * recorded primaries), any key's record in the store. No record at all: first use, nothing to
 * compare with. A different primary is a substituted one made from the same template (which
 * ensure_primary cannot tell) or a cleared TPM. Checked before the session is started or any
 * auth value is used under it. */
static gboolean
check_primary(Tpm2Store *ts, const TPM2B_NAME *recorded, const char *udf, GError **error)
{
	g_autoptr(GPtrArray) udfs = NULL;
	g_autofree char *whose = NULL;
	gboolean own = recorded != NULL && recorded->size > 0, any = own;

	if (own) {
		if (same_name(recorded, &ts->primary_name))
			return TRUE;
	} else {
		udfs = mesh_keystore_list_marked(ts->hive, META_SUFFIX, error);
		if (udfs == NULL)
			return FALSE;
		for (guint i = 0; i < udfs->len; i++) {
			Meta meta;

			if (!read_meta(ts, g_ptr_array_index(udfs, i), &meta, NULL) ||
			    meta.primary.size == 0)
				continue;
			if (same_name(&meta.primary, &ts->primary_name))
				return TRUE;
			any = TRUE;
		}
	}
	if (!any)
		return TRUE;
	whose = own ? g_strdup_printf("the key %s was", udf) : g_strdup("this store's keys were");
	g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO,
		    "the TPM's primary key is not the one %s made under: the TPM was cleared or "
		    "replaced (keys made under the old one are lost: remove them), or something "
		    "between this program and the TPM substitutes it; nothing is sent under it",
		    whose);
	return FALSE;
}

/* Start the store's session when first needed: an HMAC session salted with the (checked)
 * primary and bound to nothing, AES-128-CFB for parameter encryption. The salt is encrypted
 * to the primary, so the session key, and with it every HMAC key and parameter encryption key,
 * is known only to this program and the TPM; a key's auth value keys the HMAC and never
 * crosses the bus. The session is kept for the store's life (one StartAuthSession per store,
 * none per operation) and flushed on close or after a command that used it fails. */
static gboolean
ensure_session(Tpm2Store *ts, GError **error)
{
	const TPMT_SYM_DEF symmetric = {
		.algorithm = TPM2_ALG_AES,
		.keyBits.aes = 128,
		.mode.aes = TPM2_ALG_CFB,
	};
	TSS2_RC rc;

	if (ts->session != ESYS_TR_NONE)
		return TRUE;
	if (!ensure_primary(ts, error))
		return FALSE;
	rc = Esys_StartAuthSession(ts->esys, ts->primary, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, NULL, TPM2_SE_HMAC, &symmetric, TPM2_ALG_SHA256,
				   &ts->session);
	if (rc != TSS2_RC_SUCCESS) {
		ts->session = ESYS_TR_NONE;
		return tpm_error(error, rc, "StartAuthSession (salted with the primary key)", NULL,
				 FALSE);
	}
	return TRUE;
}

/* The session for one command, with @attrs the parameter encryption that command needs:
 * TPMA_SESSION_DECRYPT encrypts its first parameter (a TPM2B), TPMA_SESSION_ENCRYPT the first
 * parameter of its answer. ESYS_TR_NONE on error. */
static ESYS_TR
session_for(Tpm2Store *ts, TPMA_SESSION attrs, GError **error)
{
	TSS2_RC rc;

	if (!ensure_session(ts, error))
		return ESYS_TR_NONE;
	rc = Esys_TRSess_SetAttributes(ts->esys, ts->session, TPMA_SESSION_CONTINUESESSION | attrs,
				       0xff);
	if (rc != TSS2_RC_SUCCESS) {
		tpm_error(error, rc, "session attributes", NULL, FALSE);
		return ESYS_TR_NONE;
	}
	return ts->session;
}

/* Flush the session, so that the next command starts a fresh one. */
static void
drop_session(Tpm2Store *ts)
{
	if (ts->session == ESYS_TR_NONE)
		return;
	/* A session the TPM no longer has: forget it in ESAPI too. */
	if (Esys_FlushContext(ts->esys, ts->session) != TSS2_RC_SUCCESS)
		Esys_TR_Close(ts->esys, &ts->session);
	ts->session = ESYS_TR_NONE;
}

/* tpm_error() for a command that used the session: the session goes too (after a failure
 * ESAPI's and the TPM's view of its nonces need not agree). */
static gboolean
session_error(Tpm2Store *ts, GError **error, TSS2_RC rc, const char *what, const char *udf,
	      gboolean pin)
{
	drop_session(ts);
	return tpm_error(error, rc, what, udf, pin);
}

/* The PIN bytes of @secret (by the rule of openssh.h: one trailing NUL dropped, empty = none)
 * as a TPM2B_AUTH; FALSE when too long. */
static gboolean
pin_auth(const MeshSecret *secret, TPM2B_AUTH *ret_auth, GError **error)
{
	gsize len = 0;
	const guint8 *pin = mesh_openssh_passphrase(secret, &len);

	memset(ret_auth, 0, sizeof *ret_auth);
	if (pin == NULL)
		return TRUE;
	if (len > PIN_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "a TPM PIN is at most %d bytes", PIN_MAX);
		return FALSE;
	}
	memcpy(ret_auth->buffer, pin, len);
	ret_auth->size = (UINT16)len;
	return TRUE;
}

/* Flush a loaded key, after overwriting the copy of its auth that ESAPI keeps. */
static void
unload_key(Tpm2Store *ts, Loaded *key)
{
	const TPM2B_AUTH none = { 0 };

	if (key->handle == ESYS_TR_NONE)
		return;
	Esys_TR_SetAuth(ts->esys, key->handle, &none);
	Esys_FlushContext(ts->esys, key->handle);
	key->handle = ESYS_TR_NONE;
}

/* Load @file under the primary, with @pin (may be NULL) as its auth; @primary (NULL: none) is
 * the primary's name recorded for the key, checked before the key is sent. */
static gboolean
load_file(Tpm2Store *ts, const MeshTss2Key *file, const MeshSecret *pin, const TPM2B_NAME *primary,
	  const char *udf, ESYS_TR *ret_handle, GError **error)
{
	TPM2B_AUTH auth;
	ESYS_TR handle = ESYS_TR_NONE;
	TSS2_RC rc;

	if (!pin_auth(pin, &auth, error))
		return FALSE;
	if (!ensure_primary(ts, error) || !check_primary(ts, primary, udf, error)) {
		OPENSSL_cleanse(&auth, sizeof auth);
		return FALSE;
	}
	/* Nothing secret crosses: the primary's auth is empty and the key's private part is
	 * wrapped by the TPM. A key that is not the one sent (a handle or name changed on the
	 * way) is caught by the next command's HMAC, which covers the key's name; a password
	 * session here saves ESAPI's session work, which costs more than the TPM's. */
	rc = Esys_Load(ts->esys, ts->primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
		       &file->priv, &file->pub, &handle);
	if (rc != TSS2_RC_SUCCESS) {
		OPENSSL_cleanse(&auth, sizeof auth);
		return tpm_error(error, rc, "Load (made under another TPM or primary key?)", udf,
				 FALSE);
	}
	rc = Esys_TR_SetAuth(ts->esys, handle, &auth);
	OPENSSL_cleanse(&auth, sizeof auth);
	if (rc != TSS2_RC_SUCCESS) {
		Esys_FlushContext(ts->esys, handle);
		return tpm_error(error, rc, "SetAuth", udf, FALSE);
	}
	*ret_handle = handle;
	return TRUE;
}

/* Read and load @udf; a PIN key needs @pin, else the store's PIN, else it is LOCKED. */
static gboolean
load_key(Tpm2Store *ts, const char *udf, const MeshSecret *pin, Loaded *ret_key, GError **error)
{
	ret_key->handle = ESYS_TR_NONE;
	if (!read_meta(ts, udf, &ret_key->meta, error) ||
	    !read_key_file(ts, udf, &ret_key->meta, &ret_key->file, NULL, error))
		return FALSE;
	if (!ret_key->meta.pin) {
		pin = NULL;
	} else {
		if (pin == NULL)
			pin = ts->pin;
		if (pin == NULL) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_LOCKED,
				    "the key %s is protected by a PIN: unlock first", udf);
			return FALSE;
		}
	}
	return load_file(ts, &ret_key->file, pin, &ret_key->meta.primary, udf, &ret_key->handle,
			 error);
}

static gboolean
is_signing_use(MeshKeyUse use)
{
	return use == MESH_KEY_USE_SIGNATURE || use == MESH_KEY_USE_AUTHENTICATION;
}

/* Copy a TPM2B_ECC_PARAMETER into @out, left-padded to 32 bytes. */
static gboolean
put_coordinate(const TPM2B_ECC_PARAMETER *p, guint8 out[COORD])
{
	if (p->size > COORD)
		return FALSE;
	memset(out, 0, COORD - p->size);
	memcpy(out + COORD - p->size, p->buffer, p->size);
	return TRUE;
}

/* ECDSA-SHA-256 of the 32-byte @digest with a loaded key (@pin: it has an auth value): r || s. */
static gboolean
tpm_sign(Tpm2Store *ts, ESYS_TR key, gboolean pin, const guint8 digest[32], const char *udf,
	 guint8 ret_sig[MESH_KEY_SIGNATURE_LEN], GError **error)
{
	TPM2B_DIGEST in = { .size = 32 };
	const TPMT_SIG_SCHEME scheme = {
		.scheme = TPM2_ALG_ECDSA,
		.details.ecdsa.hashAlg = TPM2_ALG_SHA256,
	};
	/* A null ticket: allowed for an unrestricted key. */
	const TPMT_TK_HASHCHECK ticket = { .tag = TPM2_ST_HASHCHECK, .hierarchy = TPM2_RH_NULL };
	TPMT_SIGNATURE *sig = NULL;
	ESYS_TR session;
	gboolean ok;
	TSS2_RC rc;

	/* A PIN keys the session's HMAC and never crosses; the HMAC also covers the digest and
	 * the key's name. A key without one has nothing to hide on the bus (the digest and the
	 * signature are public, and whoever can send the TPM commands can load and use such a
	 * key): it signs in a password session with its empty auth, without ESAPI's session
	 * work. */
	session = pin ? session_for(ts, 0, error) : ESYS_TR_PASSWORD;
	if (session == ESYS_TR_NONE)
		return FALSE;
	memcpy(in.buffer, digest, 32);
	rc = Esys_Sign(ts->esys, key, session, ESYS_TR_NONE, ESYS_TR_NONE, &in, &scheme, &ticket,
		       &sig);
	if (rc != TSS2_RC_SUCCESS && pin)
		return session_error(ts, error, rc, "Sign", udf, TRUE);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_error(error, rc, "Sign", udf, FALSE);
	ok = sig->sigAlg == TPM2_ALG_ECDSA &&
	     put_coordinate(&sig->signature.ecdsa.signatureR, ret_sig) &&
	     put_coordinate(&sig->signature.ecdsa.signatureS, ret_sig + COORD);
	Esys_Free(sig);
	if (!ok)
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO,
			    "the TPM returned a signature that is not P-256 ECDSA");
	return ok;
}

/* ECDH with a loaded key and the 65-byte uncompressed @point → the x coordinate. */
static MeshSecret *
tpm_zgen(Tpm2Store *ts, ESYS_TR key, const guint8 *point, const char *udf, GError **error)
{
	TPM2B_ECC_POINT in = { .size = 0 };
	TPM2B_ECC_POINT *out = NULL;
	MeshSecret *secret;
	ESYS_TR session;
	TSS2_RC rc;

	/* The shared point is the answer's first parameter: encrypted under the session. */
	session = session_for(ts, TPMA_SESSION_ENCRYPT, error);
	if (session == ESYS_TR_NONE)
		return NULL;
	in.point.x.size = COORD;
	in.point.y.size = COORD;
	memcpy(in.point.x.buffer, point + 1, COORD);
	memcpy(in.point.y.buffer, point + 1 + COORD, COORD);
	rc = Esys_ECDH_ZGen(ts->esys, key, session, ESYS_TR_NONE, ESYS_TR_NONE, &in, &out);
	if (rc != TSS2_RC_SUCCESS) {
		session_error(ts, error, rc, "ECDH_ZGen", udf, TRUE);
		return NULL;
	}
	secret = mesh_secret_new(MESH_KEY_AGREEMENT_LEN);
	if (!put_coordinate(&out->point.x, mesh_secret_data(secret))) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO,
			    "the TPM returned a shared point that is not P-256");
		mesh_secret_free(secret);
		secret = NULL;
	}
	/* The shared point is secret: wipe ESAPI's copy before it goes back to the heap. */
	OPENSSL_cleanse(out, sizeof *out);
	Esys_Free(out);
	return secret;
}

/* One authorized operation on a loaded key, to check its PIN: a signature of a zero digest, or
 * ECDH with the key's own public point. */
static gboolean
tpm_check_auth(Tpm2Store *ts, const Loaded *key, const char *udf, GError **error)
{
	static const guint8 zero[32] = { 0 };
	guint8 sig[MESH_KEY_SIGNATURE_LEN], point[MESH_KEY_P256_POINT_LEN];
	const TPMS_ECC_POINT *q = &key->file.pub.publicArea.unique.ecc;
	g_autoptr(MeshSecret) z = NULL;

	if (key->file.pub.publicArea.objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT)
		return tpm_sign(ts, key->handle, TRUE, zero, udf, sig, error);
	point[0] = 0x04;
	if (!put_coordinate(&q->x, point + 1) || !put_coordinate(&q->y, point + 1 + COORD))
		return FALSE;
	z = tpm_zgen(ts, key->handle, point, udf, error);
	return z != NULL;
}

/* Whether the TPM object in @pub can serve @use: an unrestricted P-256 key with the signing
 * (or decryption) attribute and a scheme that is NULL or the one we ask for. */
static gboolean
check_usable(const TPM2B_PUBLIC *pub, MeshKeyUse use, GError **error)
{
	const TPMT_PUBLIC *a = &pub->publicArea;
	TPMI_ALG_ECC_SCHEME scheme = a->parameters.eccDetail.scheme.scheme;
	gboolean ok;

	if (a->objectAttributes & TPMA_OBJECT_RESTRICTED)
		ok = FALSE;
	else if (is_signing_use(use))
		ok = (a->objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT) &&
		     (scheme == TPM2_ALG_NULL ||
		      (scheme == TPM2_ALG_ECDSA &&
		       a->parameters.eccDetail.scheme.details.ecdsa.hashAlg == TPM2_ALG_SHA256));
	else
		ok = (a->objectAttributes & TPMA_OBJECT_DECRYPT) &&
		     (scheme == TPM2_ALG_NULL || scheme == TPM2_ALG_ECDH);
	if (!ok)
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "the TPM key cannot be used for %s: it needs to be an unrestricted %s "
			    "key",
			    mesh_key_use_name(use),
			    is_signing_use(use) ? "ECDSA-SHA-256 signing" : "ECDH decryption");
	return ok;
}

/* Write the key file then the .meta (a key is listed only when complete). */
static gboolean
store_key(Tpm2Store *ts, const MeshTss2Key *file, const char *udf, const Meta *meta,
	  GError **error)
{
	g_autofree char *key_name = g_strconcat(udf, KEY_SUFFIX, NULL);
	g_autofree char *meta_name = g_strconcat(udf, META_SUFFIX, NULL);
	g_autofree char *pem = NULL;
	g_autofree char *meta_text = NULL;
	g_autoptr(GError) local = NULL;
	Meta existing;

	if (read_meta(ts, udf, &existing, &local)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
			    "the key %s is already in the tpm2 key store", udf);
		return FALSE;
	}
	if (!g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND)) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	pem = mesh_tss2key_encode(file, error);
	if (pem == NULL)
		return FALSE;
	meta_text = meta_json(meta);
	if (!mesh_hive_write(ts->hive, MESH_HIVE_KEYS, key_name, (const guint8 *)pem, strlen(pem),
			     error))
		return FALSE;
	if (!mesh_hive_write(ts->hive, MESH_HIVE_KEYS, meta_name, (const guint8 *)meta_text,
			     strlen(meta_text), error)) {
		mesh_hive_remove(ts->hive, MESH_HIVE_KEYS, key_name, NULL);
		return FALSE;
	}
	return TRUE;
}

/* The caller has just given a key's PIN: keep it, as unlock() would, unless one is held. */
static void
keep_pin(Tpm2Store *ts, const MeshSecret *pin)
{
	if (ts->pin == NULL && mesh_openssh_passphrase(pin, &(gsize){ 0 }) != NULL)
		ts->pin = mesh_secret_dup(pin);
}

/* ---- The vtable ---------------------------------------------------------------------------- */

static gboolean
tpm2_generate(MeshKeyStore *store, MeshKeyAlg alg, MeshKeyUse use, const MeshSecret *passphrase,
	      MeshKey **ret_public, GError **error)
{
	Tpm2Store *ts = tpm2_store(store);
	TPM2B_SENSITIVE_CREATE sensitive = { 0 };
	const TPM2B_DATA outside = { 0 };
	const TPML_PCR_SELECTION pcrs = { 0 };
	TPM2B_PUBLIC tmpl = { 0 };
	TPMT_PUBLIC *a = &tmpl.publicArea;
	TPM2B_PRIVATE *out_priv = NULL;
	TPM2B_PUBLIC *out_pub = NULL;
	g_autoptr(MeshKey) pub = NULL;
	MeshTss2Key file = { 0 };
	Meta meta = { use, FALSE, { 0 } };
	ESYS_TR session;
	gboolean ok = FALSE;
	TSS2_RC rc;

	if (alg != MESH_KEY_P256) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "the tpm2 key store makes P-256 keys only (a TPM does not do %s)",
			    mesh_key_alg_name(alg) != NULL ? mesh_key_alg_name(alg) : "that");
		return FALSE;
	}
	if (mesh_key_use_name(use) == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the tpm2 key store needs a key use");
		return FALSE;
	}
	if (!pin_auth(passphrase, &sensitive.sensitive.userAuth, error) ||
	    !ensure_primary(ts, error) || !check_primary(ts, NULL, NULL, error))
		goto out;
	meta.pin = sensitive.sensitive.userAuth.size > 0;
	/* Later uses of the key check that the TPM still gives this primary. */
	meta.primary = ts->primary_name;
	a->type = TPM2_ALG_ECC;
	a->nameAlg = TPM2_ALG_SHA256;
	/* No PCR policy: the key is bound to this TPM, not to a boot state. With a PIN, the key
	 * is subject to dictionary-attack protection; without one there is nothing to guess and
	 * noDA keeps the key usable while a lockout (from guessing other PINs) lasts. */
	a->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
			      (meta.pin ? 0 : TPMA_OBJECT_NODA);
	a->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	a->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	a->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	if (is_signing_use(use)) {
		a->objectAttributes |= TPMA_OBJECT_SIGN_ENCRYPT;
		a->parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
		a->parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	} else {
		a->objectAttributes |= TPMA_OBJECT_DECRYPT;
		a->parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDH;
		a->parameters.eccDetail.scheme.details.ecdh.hashAlg = TPM2_ALG_SHA256;
	}
	/* The new key's auth (the PIN) is in inSensitive, the first parameter: encrypted. */
	session = session_for(ts, TPMA_SESSION_DECRYPT, error);
	if (session == ESYS_TR_NONE)
		goto out;
	rc = Esys_Create(ts->esys, ts->primary, session, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive,
			 &tmpl, &outside, &pcrs, &out_priv, &out_pub, NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		session_error(ts, error, rc, "Create (P-256 key)", NULL, FALSE);
		goto out;
	}
	file.empty_auth = !meta.pin;
	file.parent = MESH_TSS2KEY_PARENT_OWNER;
	file.pub = *out_pub;
	file.priv = *out_priv;
	pub = mesh_tss2key_public_key(&file.pub, error);
	if (pub == NULL || !store_key(ts, &file, mesh_key_udf(pub), &meta, error))
		goto out;
	keep_pin(ts, passphrase);
	*ret_public = g_steal_pointer(&pub);
	ok = TRUE;
out:
	OPENSSL_cleanse(&sensitive, sizeof sensitive);
	Esys_Free(out_priv);
	Esys_Free(out_pub);
	return ok;
}

static gboolean
tpm2_get_public(MeshKeyStore *store, const char *udf, MeshKey **ret_public, GError **error)
{
	Tpm2Store *ts = tpm2_store(store);
	MeshTss2Key file;
	Meta meta;

	/* From the key file alone: no TPM needed. */
	return read_meta(ts, udf, &meta, error) &&
	       read_key_file(ts, udf, &meta, &file, ret_public, error);
}

static gboolean
tpm2_sign(MeshKeyStore *store, const char *udf, const guint8 *data, gsize len,
	  GBytes **ret_signature, GError **error)
{
	Tpm2Store *ts = tpm2_store(store);
	guint8 digest[32], sig[MESH_KEY_SIGNATURE_LEN];
	Loaded key;
	gboolean ok;

	if (!load_key(ts, udf, NULL, &key, error))
		return FALSE;
	if (!is_signing_use(key.meta.use)) {
		unload_key(ts, &key);
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the TPM key %s is an encryption key: it does not sign", udf);
		return FALSE;
	}
	/* The TPM signs a digest; the hash is computed here, as OpenSSL would. */
	ok = EVP_Digest(data, len, digest, NULL, EVP_sha256(), NULL) == 1;
	if (!ok)
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO, "SHA-256 failed");
	else
		ok = tpm_sign(ts, key.handle, key.meta.pin, digest, udf, sig, error);
	unload_key(ts, &key);
	if (!ok)
		return FALSE;
	*ret_signature = g_bytes_new(sig, sizeof sig);
	return TRUE;
}

static gboolean
tpm2_agree(MeshKeyStore *store, const char *udf, const MeshKey *peer, MeshSecret **ret_secret,
	   GError **error)
{
	Tpm2Store *ts = tpm2_store(store);
	g_autoptr(GBytes) point = NULL;
	MeshSecret *secret;
	Loaded key;

	if (peer == NULL || mesh_key_alg(peer) != MESH_KEY_P256) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "agreement with a TPM key needs a P-256 peer key");
		return FALSE;
	}
	point = mesh_key_get_raw_public(peer);
	if (g_bytes_get_size(point) != MESH_KEY_P256_POINT_LEN) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the peer key is not an uncompressed P-256 point");
		return FALSE;
	}
	if (!load_key(ts, udf, NULL, &key, error))
		return FALSE;
	if (key.meta.use != MESH_KEY_USE_ENCRYPTION) {
		unload_key(ts, &key);
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the TPM key %s is a signing key: it does not do key agreement", udf);
		return FALSE;
	}
	secret = tpm_zgen(ts, key.handle, g_bytes_get_data(point, NULL), udf, error);
	unload_key(ts, &key);
	if (secret == NULL)
		return FALSE;
	*ret_secret = secret;
	return TRUE;
}

static gboolean
tpm2_remove(MeshKeyStore *store, const char *udf, GError **error)
{
	Tpm2Store *ts = tpm2_store(store);
	g_autofree char *key_name = NULL;
	g_autofree char *meta_name = NULL;
	Meta meta;

	if (!read_meta(ts, udf, &meta, error))
		return FALSE;
	key_name = g_strconcat(udf, KEY_SUFFIX, NULL);
	meta_name = g_strconcat(udf, META_SUFFIX, NULL);
	if (!mesh_hive_remove(ts->hive, MESH_HIVE_KEYS, meta_name, error))
		return FALSE;
	/* Without its .meta the key is gone; a leftover of a crash is not an error. */
	mesh_hive_remove(ts->hive, MESH_HIVE_KEYS, key_name, NULL);
	return TRUE;
}

static gboolean
tpm2_list(MeshKeyStore *store, GPtrArray **ret_infos, GError **error)
{
	Tpm2Store *ts = tpm2_store(store);
	g_autoptr(GPtrArray) udfs = mesh_keystore_list_marked(ts->hive, META_SUFFIX, error);
	g_autoptr(GPtrArray) infos = NULL;

	if (udfs == NULL)
		return FALSE;
	infos = g_ptr_array_new_with_free_func((GDestroyNotify)mesh_key_info_free);
	for (guint i = 0; i < udfs->len; i++) {
		const char *udf = g_ptr_array_index(udfs, i);
		MeshKeyInfo *info;
		Meta meta;

		if (!read_meta(ts, udf, &meta, error))
			return FALSE;
		info = g_new0(MeshKeyInfo, 1);
		info->udf = g_strdup(udf);
		info->alg = MESH_KEY_P256;
		info->use = meta.use;
		info->locked = meta.pin && ts->pin == NULL;
		info->is_protected = meta.pin;
		g_ptr_array_add(infos, info);
	}
	*ret_infos = g_steal_pointer(&infos);
	return TRUE;
}

static gboolean
tpm2_unlock(MeshKeyStore *store, const MeshSecret *passphrase, GError **error)
{
	Tpm2Store *ts = tpm2_store(store);
	g_autoptr(GPtrArray) udfs = NULL;
	gsize len = 0;

	if (mesh_openssh_passphrase(passphrase, &len) == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "unlocking the tpm2 key store needs a PIN");
		return FALSE;
	}
	udfs = mesh_keystore_list_marked(ts->hive, META_SUFFIX, error);
	if (udfs == NULL)
		return FALSE;
	/* One authorization per PIN key, stopping at the first failure, so that a wrong PIN
	 * costs one dictionary-attack try, not one per key. */
	for (guint i = 0; i < udfs->len; i++) {
		const char *udf = g_ptr_array_index(udfs, i);
		Loaded key;
		Meta meta;
		gboolean ok;

		if (!read_meta(ts, udf, &meta, error))
			return FALSE;
		if (!meta.pin)
			continue;
		if (!load_key(ts, udf, passphrase, &key, error))
			return FALSE;
		ok = tpm_check_auth(ts, &key, udf, error);
		unload_key(ts, &key);
		if (!ok)
			return FALSE;
	}
	mesh_secret_free(ts->pin);
	ts->pin = mesh_secret_dup(passphrase);
	return TRUE;
}

static void
tpm2_lock(MeshKeyStore *store)
{
	Tpm2Store *ts = tpm2_store(store);

	mesh_secret_free(ts->pin);
	ts->pin = NULL;
}

static void
tpm2_close(MeshKeyStore *store)
{
	Tpm2Store *ts = tpm2_store(store);

	if (ts->esys != NULL) {
		drop_session(ts);
		if (ts->primary != ESYS_TR_NONE)
			Esys_FlushContext(ts->esys, ts->primary);
		Esys_Finalize(&ts->esys);
	}
	if (ts->tcti != NULL)
		Tss2_TctiLdr_Finalize(&ts->tcti);
	mesh_secret_free(ts->pin);
	g_free(ts->tcti_name);
	g_free(ts);
}

static const MeshKeyStoreClass tpm2_class = {
	.name = "tpm2",
	.caps = MESH_KEYSTORE_CAP_P256 | MESH_KEYSTORE_CAP_NONEXPORTABLE |
		MESH_KEYSTORE_CAP_HARDWARE | MESH_KEYSTORE_CAP_NEEDS_UNLOCK,
	.generate = tpm2_generate,
	.import = NULL,
	.get_public = tpm2_get_public,
	.sign = tpm2_sign,
	.agree = tpm2_agree,
	.export_private = NULL,
	.remove = tpm2_remove,
	.list = tpm2_list,
	.unlock = tpm2_unlock,
	.lock = tpm2_lock,
	.close = tpm2_close,
};

gboolean
mesh_keystore_tpm2_import_file(MeshKeyStore *store, const char *pem, gsize len, MeshKeyUse use,
			       const MeshSecret *pin, MeshKey **ret_public, GError **error)
{
	Tpm2Store *ts;
	g_autoptr(MeshKey) pub = NULL;
	MeshTss2Key file;
	Loaded key = { .handle = ESYS_TR_NONE };
	gsize pin_len = 0;
	gboolean has_pin = mesh_openssh_passphrase(pin, &pin_len) != NULL;
	gboolean ok;

	if (store == NULL || store->klass != &tpm2_class || pem == NULL ||
	    mesh_key_use_name(use) == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "importing a TPM key file needs a tpm2 key store, the file and a use");
		return FALSE;
	}
	ts = tpm2_store(store);
	if (!mesh_tss2key_decode(pem, len, &file, error))
		return FALSE;
	pub = mesh_tss2key_public_key(&file.pub, error);
	if (pub == NULL || !check_usable(&file.pub, use, error))
		return FALSE;
	/* tpm2-openssl reads a parent of 0 as the owner hierarchy too. */
	if (file.parent == 0)
		file.parent = MESH_TSS2KEY_PARENT_OWNER;
	if (file.parent != MESH_TSS2KEY_PARENT_OWNER) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "the TPM key's parent is 0x%08x: only keys under the owner hierarchy's "
			    "primary (0x40000001) are supported",
			    file.parent);
		return FALSE;
	}
	if (file.empty_auth && has_pin) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the TPM key file has no PIN: import it without one");
		return FALSE;
	}
	/* Loading proves the blob was made under our primary on this TPM; with a PIN, one
	 * operation checks it. The primary it loads under is recorded for the key's later uses. */
	if (!load_file(ts, &file, has_pin ? pin : NULL, NULL, mesh_key_udf(pub), &key.handle,
		       error))
		return FALSE;
	key.file = file;
	ok = !has_pin || tpm_check_auth(ts, &key, mesh_key_udf(pub), error);
	unload_key(ts, &key);
	if (!ok)
		return FALSE;
	key.meta.use = use;
	key.meta.pin = !file.empty_auth;
	key.meta.primary = ts->primary_name;
	if (!store_key(ts, &file, mesh_key_udf(pub), &key.meta, error))
		return FALSE;
	if (has_pin)
		keep_pin(ts, pin);
	*ret_public = g_steal_pointer(&pub);
	return TRUE;
}

MeshKeyStore *
mesh_keystore_tpm2_new(MeshHive *hive, const char *tcti, GError **error)
{
	g_autoptr(MeshKeyStore) store = NULL;
	Tpm2Store *ts;
	TPMS_CAPABILITY_DATA *caps = NULL;
	TPMI_YES_NO more = TPM2_NO;
	TSS2_RC rc;

	if (hive == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the tpm2 key store needs a hive");
		return NULL;
	}
	if (tcti == NULL || *tcti == '\0')
		tcti = g_getenv("MESH_TPM2_TCTI");
	if (tcti != NULL && *tcti == '\0')
		tcti = NULL;
	/* tss2 logs every failure (and every TCTI it tries by default) to stderr, which would end
	 * up in the output of our tools; whoever wants those logs sets TSS2_LOG themselves. The
	 * variable is read at the first log call, so it has to be set before any tss2 call. */
	g_setenv("TSS2_LOG", "all+none", FALSE);
	ts = g_new0(Tpm2Store, 1);
	ts->base.klass = &tpm2_class;
	ts->hive = hive;
	ts->primary = ESYS_TR_NONE;
	ts->session = ESYS_TR_NONE;
	ts->tcti_name = g_strdup(tcti != NULL ? tcti : "the tss2 default TCTI");
	store = &ts->base;
	rc = Tss2_TctiLdr_Initialize(tcti, &ts->tcti);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_Initialize(&ts->esys, ts->tcti, NULL);
	/* A command that needs the TPM to answer, so that opening fails when none does. */
	if (rc == TSS2_RC_SUCCESS) {
		rc = Esys_GetCapability(ts->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					TPM2_CAP_TPM_PROPERTIES, TPM2_PT_MANUFACTURER, 1, &more,
					&caps);
		if (tpm_base_rc(rc) == TPM2_RC_INITIALIZE) {
			/* A TPM (simulator) that was never started up. */
			rc = Esys_Startup(ts->esys, TPM2_SU_CLEAR);
			if (rc == TSS2_RC_SUCCESS)
				rc = Esys_GetCapability(ts->esys, ESYS_TR_NONE, ESYS_TR_NONE,
							ESYS_TR_NONE, TPM2_CAP_TPM_PROPERTIES,
							TPM2_PT_MANUFACTURER, 1, &more, &caps);
		}
		Esys_Free(caps);
	}
	if (rc != TSS2_RC_SUCCESS) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
			    "no TPM 2.0 answers at %s (%s): start the TPM or a swtpm, or set "
			    "MESH_TPM2_TCTI (e.g. \"device:/dev/tpmrm0\" or "
			    "\"swtpm:path=/run/swtpm.sock\")",
			    ts->tcti_name, Tss2_RC_Decode(rc));
		return NULL;
	}
	return g_steal_pointer(&store);
}
