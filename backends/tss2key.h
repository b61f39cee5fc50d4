/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>
#include <tss2/tss2_tpm2_types.h>

#include "key.h"

G_BEGIN_DECLS

/*
 * The TPM 2.0 Key File ("-----BEGIN TSS2 PRIVATE KEY-----"), as tpm2-openssl and
 * tpm2-tss-engine read and write it: PEM around the DER of
 *
 *   TPMKey ::= SEQUENCE {
 *       type      OBJECT IDENTIFIER,        -- 2.23.133.10.1.3: a loadable key
 *       emptyAuth [0] EXPLICIT BOOLEAN OPTIONAL,
 *       parent    INTEGER,                  -- a TPM handle, e.g. 0x40000001 (owner)
 *       pubkey    OCTET STRING,             -- a marshalled TPM2B_PUBLIC
 *       privkey   OCTET STRING }            -- a marshalled TPM2B_PRIVATE
 *
 * Pure code (no TPM): the decoder takes bytes from outside and is fuzzed (fuzz-tss2key.c).
 * Only what this profile writes is accepted: DER (minimal lengths, minimal INTEGER; but a
 * BOOLEAN TRUE may be any non-zero byte, since tpm2-openssl 1.1.1 writes 0x01), a parent that
 * fits in 32 bits, marshalled structures that fill their OCTET STRINGs exactly, nothing after
 * the SEQUENCE or after the PEM end line, no PEM headers. The optional fields of newer TPMKey
 * revisions (policy, secret, authPolicy, description ...) are refused as unsupported. The
 * encoder writes emptyAuth always, TRUE as 0xFF.
 */

/* Largest PEM text and DER accepted: a P-256 key file is about 500 bytes of DER. */
#define MESH_TSS2KEY_PEM_MAX 8192
#define MESH_TSS2KEY_DER_MAX 4096
/* The owner hierarchy's handle: the parent of every key in the tpm2 store. */
#define MESH_TSS2KEY_PARENT_OWNER 0x40000001u

typedef struct {
	gboolean empty_auth; /* TRUE: the key has no userAuth (no PIN) */
	guint32 parent;
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv;
} MeshTss2Key;

/*
 * mesh_tss2key_decode_der / mesh_tss2key_decode: @len bytes of DER, or of PEM text (not
 * necessarily NUL-terminated), into @ret_key (written only on success). Errors:
 * MESH_ERROR_TOO_LARGE (above the limits), MESH_ERROR_MALFORMED (armour, base64, DER, lengths,
 * trailing data, marshalling), MESH_ERROR_UNSUPPORTED (another TPMKey type or optional field).
 */
gboolean mesh_tss2key_decode_der(const guint8 *der, gsize len, MeshTss2Key *ret_key,
				 GError **error);
gboolean mesh_tss2key_decode(const char *pem, gsize len, MeshTss2Key *ret_key, GError **error);

/*
 * mesh_tss2key_encode_der / mesh_tss2key_encode: the DER (a new GBytes) or the PEM text (a new
 * NUL-terminated string, 64-character lines) of @key. Errors: MESH_ERROR_MALFORMED when a
 * structure in @key does not marshal.
 */
GBytes *mesh_tss2key_encode_der(const MeshTss2Key *key, GError **error);
char *mesh_tss2key_encode(const MeshTss2Key *key, GError **error);

/*
 * mesh_tss2key_public_key: the P-256 public key in @pub (type ECC, curve NIST P-256, 32-byte
 * coordinates on the curve) as a new public MeshKey. Errors: MESH_ERROR_UNSUPPORTED (another
 * type or curve), MESH_ERROR_MALFORMED.
 */
MeshKey *mesh_tss2key_public_key(const TPM2B_PUBLIC *pub, GError **error);

/*
 * mesh_tss2key_primary_template: the template of the primary key (owner hierarchy) that a key
 * file whose parent is MESH_TSS2KEY_PARENT_OWNER loads under: tpm2-openssl's
 * primaryEccTemplate, so that files move between this store and tpm2-openssl.
 */
const TPM2B_PUBLIC *mesh_tss2key_primary_template(void);

/*
 * mesh_tss2key_check_primary: whether @pub, what a TPM answered to CreatePrimary with
 * mesh_tss2key_primary_template(), is that template byte for byte (type, name algorithm,
 * attributes, empty policy, parameters) with a P-256 point on the curve as its unique field: a
 * key the tpm2 store may salt its sessions with. It cannot tell the TPM's own primary from
 * another key made from the same template (tpm2.h: the store records the primary's name for
 * that). Errors: MESH_ERROR_CRYPTO (another key; the message says what differs).
 */
gboolean mesh_tss2key_check_primary(const TPM2B_PUBLIC *pub, GError **error);

G_END_DECLS
