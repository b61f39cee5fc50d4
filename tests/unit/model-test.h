/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Helpers shared by the suites of the Mesh model (test-master, test-personal, test-escrow,
 * test-connect, test-application): key sets, signed device and master profiles, and a way to
 * tamper with the payload of a signed object and re-sign it (or not).
 */
#include <string.h>

#include "base64.h"
#include "cutest.h"
#include "error.h"
#include "json.h"
#include "master.h"
#include "device-profile.h"
#include "signed.h"

/* A device: its three private keys and its SignedDeviceProfile. */
typedef struct {
	MeshKey *sig, *auth, *enc;
	JsonNode *signed_profile;
} MtDevice;

static inline void
mt_device_make(MtDevice *d, MeshKeyAlg sig_alg, MeshKeyAlg enc_alg)
{
	g_autoptr(MeshDeviceProfile) p = NULL;
	GError *error = NULL;

	d->sig = mesh_key_generate(sig_alg, NULL);
	d->auth = mesh_key_generate(sig_alg, NULL);
	d->enc = mesh_key_generate(enc_alg, NULL);
	p = mesh_device_profile_new("test device", d->sig, d->auth, d->enc, &error);
	MESH_ASSERT_NO_ERROR(error);
	d->signed_profile = mesh_device_profile_sign(p, mesh_signed_sign_with_key, d->sig, &error);
	MESH_ASSERT_NO_ERROR(error);
}

static inline void
mt_device_clear(MtDevice *d)
{
	g_clear_pointer(&d->sig, mesh_key_unref);
	g_clear_pointer(&d->auth, mesh_key_unref);
	g_clear_pointer(&d->enc, mesh_key_unref);
	g_clear_pointer(&d->signed_profile, json_node_unref);
}

/* A master: the master signature key, two escrow keys, two administration keys. */
typedef struct {
	MeshKey *sig;
	MeshKey *escrow[2];
	MeshKey *online[2];
	MeshMasterProfile *profile;
	JsonNode *signed_profile;
} MtMaster;

static inline void
mt_master_make(MtMaster *m, MeshKeyAlg sig_alg, MeshKeyAlg enc_alg)
{
	GError *error = NULL;

	m->sig = mesh_key_generate(sig_alg, NULL);
	for (int i = 0; i < 2; i++) {
		m->escrow[i] = mesh_key_generate(enc_alg, NULL);
		m->online[i] = mesh_key_generate(sig_alg, NULL);
	}
	m->profile = mesh_master_profile_new(m->sig, m->escrow, 2, m->online, 2, &error);
	MESH_ASSERT_NO_ERROR(error);
	m->signed_profile = mesh_master_profile_sign(m->profile, mesh_signed_sign_with_key, m->sig,
						     &error);
	MESH_ASSERT_NO_ERROR(error);
}

static inline void
mt_master_clear(MtMaster *m)
{
	g_clear_pointer(&m->sig, mesh_key_unref);
	for (int i = 0; i < 2; i++) {
		g_clear_pointer(&m->escrow[i], mesh_key_unref);
		g_clear_pointer(&m->online[i], mesh_key_unref);
	}
	g_clear_pointer(&m->profile, mesh_master_profile_free);
	g_clear_pointer(&m->signed_profile, json_node_unref);
}

static inline char *
mt_text(JsonNode *node)
{
	return mesh_json_to_string(node);
}

typedef void (*MtEdit)(JsonObject *inner, gpointer data);

/*
 * mt_tamper: @text is a signed object — a wrapper {"Signed<tag>": ...} when @wrapped, else a
 * bare JWS — whose payload is {@tag: inner}. Apply @edit to inner (may be NULL), then re-sign
 * with @signer (NULL: keep the old signature). @wrapper_id, when not NULL, replaces the
 * wrapper's Identifier. Returns the new text.
 */
static inline char *
mt_tamper(const char *text, const char *tag, gboolean wrapped, MtEdit edit, gpointer data,
	  MeshKey *signer, const char *wrapper_id)
{
	g_autoptr(JsonNode) root = mesh_json_parse(text, strlen(text), 1 << 22, NULL);
	g_autofree char *signed_tag = g_strconcat("Signed", tag, NULL);
	JsonObject *wrapper = NULL, *jws;
	g_autoptr(GBytes) payload = NULL;
	g_autofree char *ptext = NULL;
	g_autoptr(JsonNode) proot = NULL;
	g_autofree char *new_payload = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	if (wrapped) {
		wrapper = json_object_get_object_member(json_node_get_object(root), signed_tag);
		jws = json_object_get_object_member(wrapper, "SignedData");
	} else {
		jws = json_node_get_object(root);
	}
	payload = mesh_b64u_decode_bytes(json_object_get_string_member(jws, "payload"), 1 << 22,
					 NULL);
	ptext = g_strndup(g_bytes_get_data(payload, NULL), g_bytes_get_size(payload));
	proot = mesh_json_parse(ptext, strlen(ptext), 1 << 22, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(proot);
	if (edit != NULL)
		edit(json_object_get_object_member(json_node_get_object(proot), tag), data);
	new_payload = mesh_json_to_string(proot);
	if (signer != NULL) {
		JsonNode *signed_jws = mesh_jws_sign(signer, tag, (const guint8 *)new_payload,
						     strlen(new_payload), NULL);

		CU_ASSERT_PTR_NOT_NULL_FATAL(signed_jws);
		if (wrapped) {
			json_object_set_member(wrapper, "SignedData", signed_jws);
		} else {
			json_node_unref(root);
			root = signed_jws;
		}
	} else {
		g_autofree char *b64 = mesh_b64u_encode((const guint8 *)new_payload,
							strlen(new_payload));

		json_object_set_string_member(jws, "payload", b64);
	}
	if (wrapper_id != NULL)
		json_object_set_string_member(wrapper, "Identifier", wrapper_id);
	return mesh_json_to_string(root);
}

/* Common edits. */
static inline void
mt_set_string(JsonObject *inner, gpointer data)
{
	const char *const *kv = data; /* { member, value } */

	json_object_set_string_member(inner, kv[0], kv[1]);
}

static inline void
mt_set_serial_text(JsonObject *inner, gpointer data)
{
	json_object_set_string_member(inner, "Serial", "7");
}

static inline void
mt_set_serial_double(JsonObject *inner, gpointer data)
{
	json_object_set_double_member(inner, "Serial", 1.5);
}

static inline void
mt_set_serial_zero(JsonObject *inner, gpointer data)
{
	json_object_set_int_member(inner, "Serial", 0);
}

static inline void
mt_add_member(JsonObject *inner, gpointer data)
{
	json_object_set_string_member(inner, "Extra", "x");
}

/* The error code of @error (0 when unset), which is then cleared. */
static inline int
mt_code(GError **error)
{
	int code = *error != NULL ? (*error)->code : 0;

	g_clear_error(error);
	return code;
}

/*
 * mt_sign_raw: sign the payload text @payload (any bytes, e.g. with a duplicate member) as a
 * @tag by @signer: a wrapper with @identifier, or a bare JWS when @identifier is NULL.
 */
static inline char *
mt_sign_raw(const char *payload, const char *tag, MeshKey *signer, const char *identifier)
{
	g_autoptr(JsonNode) jws = mesh_jws_sign(signer, tag, (const guint8 *)payload,
						strlen(payload), NULL);
	g_autofree char *jws_text = NULL;
	g_autofree char *signed_tag = g_strconcat("Signed", tag, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(jws);
	jws_text = mesh_json_to_string(jws);
	if (identifier == NULL)
		return g_steal_pointer(&jws_text);
	return g_strdup_printf("{\"%s\":{\"Identifier\":\"%s\",\"SignedData\":%s}}", signed_tag,
			       identifier, jws_text);
}
