/* SPDX-License-Identifier: MIT */
#include "connect.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

#include "base32.h"
#include "base64.h"
#include "error.h"
#include "json.h"
#include "ossl.h"
#include "personal.h"
#include "portal-base.h"
#include "signed.h"
#include "udf.h"

#define REQUEST_TAG "ConnectionRequest"
#define RESULT_TAG  "ConnectionResult"

/* ---- Witness -------------------------------------------------------------------------------- */

/* SHA-512 of a || b. */
static void
sha512_2(const guint8 *a, gsize a_len, const guint8 *b, gsize b_len, guint8 out[static 64])
{
	g_autoptr(EVP_MD_CTX) ctx = EVP_MD_CTX_new();

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha512(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, a, a_len) != 1 || EVP_DigestUpdate(ctx, b, b_len) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, NULL) != 1)
		g_error("SHA-512 failed"); /* only on out-of-memory */
}

char *
mesh_connect_witness_raw(const guint8 *p, gsize p_len,
			 const guint8 server_nonce[static MESH_CONNECT_NONCE_LEN], const guint8 *d,
			 gsize d_len, const guint8 client_nonce[static MESH_CONNECT_NONCE_LEN])
{
	guint8 hp[64], hd[64], w[64];
	g_autofree char *b32 = NULL;

	sha512_2(p, p_len, server_nonce, MESH_CONNECT_NONCE_LEN, hp);
	sha512_2(d, d_len, client_nonce, MESH_CONNECT_NONCE_LEN, hd);
	sha512_2(hp, sizeof hp, hd, sizeof hd, w);
	b32 = mesh_base32_encode(w, sizeof w, MESH_CONNECT_WITNESS_CHARS);
	return mesh_base32_dashed(b32);
}

gboolean
mesh_connect_key_binary(const MeshKey *key, guint8 out[static MESH_UDF_DIGEST_BINARY_LEN],
			GError **error)
{
	g_autoptr(GBytes) spki = mesh_key_get_spki(key);
	g_autoptr(MeshUdfDigest) digest = mesh_udf_digest_new(MESH_UDF_ALG_SHA512);
	gsize len = 0;
	const guint8 *der = g_bytes_get_data(spki, &len);

	mesh_udf_digest_update(digest, der, len);
	return mesh_udf_digest_finish(digest, MESH_UDF_CT_KEYINFO, out, error);
}

char *
mesh_connect_witness(const MeshKey *profile_key,
		     const guint8 server_nonce[static MESH_CONNECT_NONCE_LEN],
		     const MeshKey *device_key,
		     const guint8 client_nonce[static MESH_CONNECT_NONCE_LEN], GError **error)
{
	guint8 p[MESH_UDF_DIGEST_BINARY_LEN], d[MESH_UDF_DIGEST_BINARY_LEN];

	if (!mesh_connect_key_binary(profile_key, p, error) ||
	    !mesh_connect_key_binary(device_key, d, error))
		return NULL;
	return mesh_connect_witness_raw(p, sizeof p, server_nonce, d, sizeof d, client_nonce);
}

/* @text without dashes (and spaces, when @typed: what a user typed), upper case, into @out (at
 * most MESH_CONNECT_WITNESS_CHARS + 1 bytes), its length in *@ret_len; FALSE for another
 * character or too many. */
static gboolean
witness_normalize(const char *text, gboolean typed,
		  char out[static MESH_CONNECT_WITNESS_CHARS + 1], gsize *ret_len)
{
	gsize n = 0;

	for (const char *s = text; s != NULL && *s != '\0'; s++) {
		char c = g_ascii_toupper(*s);

		if (c == '-' || (typed && c == ' '))
			continue;
		if (!((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7')) ||
		    n == MESH_CONNECT_WITNESS_CHARS)
			return FALSE;
		out[n++] = c;
	}
	out[n] = '\0';
	*ret_len = n;
	return text != NULL;
}

/* @text as a whole witness (normalised as witness_normalize does) in @out; FALSE when it is not
 * one. */
static gboolean
witness_whole(const char *text, gboolean typed, char out[static MESH_CONNECT_WITNESS_CHARS + 1])
{
	gsize len = 0;

	return witness_normalize(text, typed, out, &len) && len == MESH_CONNECT_WITNESS_CHARS;
}

gboolean
mesh_connect_witness_equal(const char *a, const char *b)
{
	char na[MESH_CONNECT_WITNESS_CHARS + 1], nb[MESH_CONNECT_WITNESS_CHARS + 1];

	return witness_whole(a, FALSE, na) && witness_whole(b, FALSE, nb) &&
	       CRYPTO_memcmp(na, nb, MESH_CONNECT_WITNESS_CHARS) == 0;
}

gboolean
mesh_connect_witness_find(const char *const *witnesses, gsize n, const char *witness,
			  gsize *ret_index, GError **error)
{
	char given[MESH_CONNECT_WITNESS_CHARS + 1];
	gsize found = 0, index = 0;

	if (!witness_whole(witness, TRUE, given)) {
		/* A prefix is refused whatever its length: a portal chooses the server nonces and
		 * can grind a device of its own whose witness starts like the real one's. */
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "give the whole witness (%d characters, A-Z and 2-7; dashes and spaces "
			    "optional) as the new device shows it: type or paste all of it",
			    MESH_CONNECT_WITNESS_CHARS);
		return FALSE;
	}
	/* Every witness is compared in full, in constant time, and all of them are. */
	for (gsize i = 0; i < n; i++) {
		char w[MESH_CONNECT_WITNESS_CHARS + 1];

		if (witness_whole(witnesses[i], FALSE, w) &&
		    CRYPTO_memcmp(w, given, MESH_CONNECT_WITNESS_CHARS) == 0) {
			found++;
			index = i;
		}
	}
	if (found == 0) {
		g_autofree char *dashed = mesh_base32_dashed(given);

		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
			    "no pending request has the witness %s: check it against the new "
			    "device's screen; if it is the same, the portal is not listing that "
			    "device's request",
			    dashed);
		return FALSE;
	}
	if (found > 1) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "%" G_GSIZE_FORMAT " pending requests have this witness: the portal "
			    "lists one request twice; none is answered",
			    found);
		return FALSE;
	}
	*ret_index = index;
	return TRUE;
}

/* ---- ConnectionRequest ---------------------------------------------------------------------- */

void
mesh_connection_request_free(MeshConnectionRequest *request)
{
	if (request == NULL)
		return;
	g_free(request->parent_udf);
	mesh_device_profile_free(request->device);
	if (request->signed_device != NULL)
		json_node_unref(request->signed_device);
	g_free(request->issued);
	g_free(request->pin_id);
	g_free(request->pin_mac);
	g_free(request);
}

MeshConnectionRequest *
mesh_connection_request_new(const char *parent_udf, JsonNode *signed_device, GError **error)
{
	g_autoptr(MeshConnectionRequest) request = g_new0(MeshConnectionRequest, 1);

	if (!mesh_signed_check_udf("the profile's UDF", parent_udf, MESH_UDF_TYPE_SHA2_512,
				   error)) {
		mesh_signed_recode(error, MESH_ERROR_INVALID_ARGUMENT);
		return NULL;
	}
	request->device = mesh_device_profile_verify(signed_device, error);
	if (request->device == NULL)
		return NULL;
	if (RAND_bytes(request->client_nonce, sizeof request->client_nonce) != 1) {
		mesh_ossl_error(error, MESH_ERROR_CRYPTO, "no random bytes for the nonce");
		return NULL;
	}
	request->signed_device = json_node_copy(signed_device);
	request->parent_udf = g_strdup(parent_udf);
	request->issued = mesh_json_time_now();
	return g_steal_pointer(&request);
}

JsonNode *
mesh_connection_request_sign(const MeshConnectionRequest *request, MeshJwsSignFunc sign,
			     gpointer user_data, GError **error)
{
	JsonObject *obj = json_object_new();
	g_autofree char *nonce = mesh_b64u_encode(request->client_nonce,
						  sizeof request->client_nonce);
	g_autoptr(JsonNode) payload = NULL;

	json_object_set_string_member(obj, "ParentUDF", request->parent_udf);
	json_object_set_member(obj, "Device", json_node_copy(request->signed_device));
	json_object_set_string_member(obj, "ClientNonce", nonce);
	json_object_set_string_member(obj, "Issued", request->issued);
	if (request->pin_id != NULL) {
		json_object_set_string_member(obj, "PinId", request->pin_id);
		json_object_set_string_member(obj, "PinMac", request->pin_mac);
	}
	payload = mesh_signed_tag(REQUEST_TAG, obj);
	return mesh_signed_jws(payload, REQUEST_TAG, request->device->signature_key, sign,
			       user_data, MESH_PROFILE_MAX, error);
}

/* The optional PinId and PinMac of a request: both or neither, each a UDF of its type. */
static gboolean
request_pin_from_json(JsonObject *obj, MeshConnectionRequest *request, GError **error)
{
	const char *id = NULL, *mac = NULL;
	g_autofree char *normal = NULL;

	if (!json_object_has_member(obj, "PinId") && !json_object_has_member(obj, "PinMac"))
		return TRUE;
	if (!mesh_signed_get_udf(obj, "PinId", MESH_UDF_TYPE_SHA2_512, &id, error) ||
	    !mesh_signed_get_udf(obj, "PinMac", MESH_UDF_TYPE_AUTHENTICATOR, &mac, error))
		return FALSE;
	normal = mesh_udf_normalize(mac, NULL);
	if (normal == NULL || strlen(normal) != MESH_CONNECT_PIN_CHARS) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "PinMac must be an authenticator UDF of %d bits", MESH_CONNECT_PIN_BITS);
		return FALSE;
	}
	request->pin_id = g_strdup(id);
	request->pin_mac = g_strdup(mac);
	return TRUE;
}

static MeshConnectionRequest *
request_from_json(JsonNode *payload, GError **error)
{
	static const char *const members[] = { "ParentUDF", "Device", "ClientNonce", "Issued",
					       "PinId",     "PinMac", NULL };
	g_autoptr(MeshConnectionRequest) request = g_new0(MeshConnectionRequest, 1);
	JsonObject *obj = mesh_signed_untag(payload, REQUEST_TAG, error);
	const char *parent = NULL, *nonce = NULL, *issued = NULL;
	gsize len = 0;

	if (obj == NULL || !mesh_json_check_members(obj, members, error) ||
	    !mesh_signed_get_udf(obj, "ParentUDF", MESH_UDF_TYPE_SHA2_512, &parent, error) ||
	    !mesh_json_get_string(obj, "ClientNonce", &nonce, error) ||
	    !mesh_json_get_time(obj, "Issued", &issued, error) ||
	    !request_pin_from_json(obj, request, error))
		return NULL;
	if (!mesh_b64u_decode(nonce, strlen(nonce), request->client_nonce,
			      sizeof request->client_nonce, &len, NULL) ||
	    len != MESH_CONNECT_NONCE_LEN) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "ClientNonce must be %d bytes of base64url", MESH_CONNECT_NONCE_LEN);
		return NULL;
	}
	request->device = mesh_device_profile_verify(json_object_get_member(obj, "Device"), error);
	if (request->device == NULL) {
		g_prefix_error(error, "Device: ");
		return NULL;
	}
	request->signed_device = json_node_copy(json_object_get_member(obj, "Device"));
	request->parent_udf = g_strdup(parent);
	request->issued = g_strdup(issued);
	return g_steal_pointer(&request);
}

MeshConnectionRequest *
mesh_connection_request_verify(JsonNode *node, GError **error)
{
	g_autoptr(MeshSignedObject) object = mesh_signed_open_jws(node, REQUEST_TAG,
								  MESH_PROFILE_MAX, error);
	g_autoptr(MeshConnectionRequest) request = NULL;

	if (object == NULL)
		return NULL;
	/* The device profile inside verifies on its own; the request must be signed by it. */
	request = request_from_json(object->payload, error);
	if (request == NULL || !mesh_signed_verify(object, request->device->signature_key, error))
		return NULL;
	return g_steal_pointer(&request);
}

MeshConnectionRequest *
mesh_connection_request_parse(const char *text, gsize len, GError **error)
{
	g_autoptr(JsonNode) root = mesh_json_parse(text, len, MESH_PROFILE_MAX, error);

	if (root == NULL)
		return NULL;
	return mesh_connection_request_verify(root, error);
}

char *
mesh_connection_request_witness(const MeshConnectionRequest *request,
				const MeshMasterProfile *master,
				const guint8 server_nonce[static MESH_CONNECT_NONCE_LEN],
				GError **error)
{
	if (!mesh_udf_match(request->parent_udf, master->identifier)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_WITNESS_MISMATCH,
			    "the request is to join %s, not this profile (%s)", request->parent_udf,
			    master->identifier);
		return NULL;
	}
	return mesh_connect_witness(master->signature_key, server_nonce,
				    request->device->signature_key, request->client_nonce, error);
}

/* ---- ConnectionResult ----------------------------------------------------------------------- */

static const char *const result_names[] = {
	[MESH_CONNECTION_ACCEPTED] = "Accepted",
	[MESH_CONNECTION_REJECTED] = "Rejected",
};

void
mesh_connection_result_free(MeshConnectionResult *result)
{
	if (result == NULL)
		return;
	g_free(result->device_udf);
	g_free(result->witness);
	g_free(result->signer);
	g_free(result);
}

/* The dashed presentation of a full witness given in any form, or NULL. */
static char *
witness_canonical(const char *text)
{
	char n[MESH_CONNECT_WITNESS_CHARS + 1];

	if (!witness_whole(text, FALSE, n))
		return NULL;
	return mesh_base32_dashed(n);
}

JsonNode *
mesh_connection_result_sign(const char *device_udf, const char *witness,
			    MeshConnectionStatus result, const MeshMasterProfile *master,
			    const MeshKey *online_key, MeshJwsSignFunc sign, gpointer user_data,
			    GError **error)
{
	g_autofree char *canonical = witness_canonical(witness);
	g_autoptr(JsonNode) payload = NULL;
	JsonObject *obj;

	if (!mesh_signed_check_udf("the device's UDF", device_udf, -1, NULL) ||
	    canonical == NULL ||
	    (result != MESH_CONNECTION_ACCEPTED && result != MESH_CONNECTION_REJECTED)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "a connection result needs a device UDF, a witness of %d Base32 "
			    "characters and Accepted or Rejected",
			    MESH_CONNECT_WITNESS_CHARS);
		return NULL;
	}
	if (!mesh_master_profile_check_online_key(master, online_key, "connection results", error))
		return NULL;
	obj = json_object_new();
	json_object_set_string_member(obj, "DeviceUDF", device_udf);
	json_object_set_string_member(obj, "Witness", canonical);
	json_object_set_string_member(obj, "Result", result_names[result]);
	payload = mesh_signed_tag(RESULT_TAG, obj);
	return mesh_signed_jws(payload, RESULT_TAG, online_key, sign, user_data, MESH_PROFILE_MAX,
			       error);
}

static MeshConnectionResult *
result_from_json(JsonNode *payload, GError **error)
{
	static const char *const members[] = { "DeviceUDF", "Witness", "Result", NULL };
	g_autoptr(MeshConnectionResult) result = g_new0(MeshConnectionResult, 1);
	JsonObject *obj = mesh_signed_untag(payload, RESULT_TAG, error);
	const char *device = NULL, *witness = NULL, *status = NULL;

	if (obj == NULL || !mesh_json_check_members(obj, members, error) ||
	    !mesh_signed_get_udf(obj, "DeviceUDF", -1, &device, error) ||
	    !mesh_json_get_string(obj, "Witness", &witness, error) ||
	    !mesh_json_get_string(obj, "Result", &status, error))
		return NULL;
	result->witness = witness_canonical(witness);
	if (result->witness == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "Witness must be %d Base32 characters", MESH_CONNECT_WITNESS_CHARS);
		return NULL;
	}
	if (g_str_equal(status, result_names[MESH_CONNECTION_ACCEPTED])) {
		result->result = MESH_CONNECTION_ACCEPTED;
	} else if (g_str_equal(status, result_names[MESH_CONNECTION_REJECTED])) {
		result->result = MESH_CONNECTION_REJECTED;
	} else {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "Result must be \"Accepted\" or \"Rejected\"");
		return NULL;
	}
	result->device_udf = g_strdup(device);
	return g_steal_pointer(&result);
}

MeshConnectionResult *
mesh_connection_result_verify(JsonNode *node, const MeshMasterProfile *master, GError **error)
{
	g_autoptr(MeshSignedObject) object = mesh_signed_open_jws(node, RESULT_TAG,
								  MESH_PROFILE_MAX, error);
	g_autoptr(MeshConnectionResult) result = NULL;
	MeshKey *key;

	if (object == NULL)
		return NULL;
	key = mesh_master_profile_verify_signed(master, object, "connection result", error);
	if (key == NULL)
		return NULL;
	result = result_from_json(object->payload, error);
	if (result == NULL)
		return NULL;
	result->signer = g_strdup(mesh_key_udf(key));
	return g_steal_pointer(&result);
}

MeshConnectionResult *
mesh_connection_result_parse(const char *text, gsize len, const MeshMasterProfile *master,
			     GError **error)
{
	g_autoptr(JsonNode) root = mesh_json_parse(text, len, MESH_PROFILE_MAX, error);

	if (root == NULL)
		return NULL;
	return mesh_connection_result_verify(root, master, error);
}

gboolean
mesh_connection_result_check(const MeshConnectionResult *result, const char *device_udf,
			     const char *witness, GError **error)
{
	if (!mesh_udf_match(result->device_udf, device_udf)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_WITNESS_MISMATCH,
			    "the connection result is for another device (%s)", result->device_udf);
		return FALSE;
	}
	if (!mesh_connect_witness_equal(result->witness, witness)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_WITNESS_MISMATCH,
			    "the connection result carries the witness %s, not %s as this device "
			    "computed",
			    result->witness, witness);
		return FALSE;
	}
	if (result->result != MESH_CONNECTION_ACCEPTED) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_REJECTED,
			    "the administrator rejected the connection request");
		return FALSE;
	}
	return TRUE;
}

/* ---- Connecting by PIN ---------------------------------------------------------------------- */

static gboolean
b32_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7');
}

gboolean
mesh_connect_pin_canonical(const char *text, MeshSecret **ret_pin, GError **error)
{
	g_autoptr(MeshSecret) pin = mesh_secret_new(MESH_CONNECT_PIN_CHARS + 1);
	char *out = (char *)mesh_secret_data(pin);
	gsize n = 0;
	gboolean ok = text != NULL;

	/* Every character is looked at, whatever comes first: the time does not tell where a
	 * typo is. */
	for (const char *s = text; s != NULL && *s != '\0'; s++) {
		char c = g_ascii_toupper(*s);

		if (c == '-' || c == ' ')
			continue;
		if (!b32_char(c) || n == MESH_CONNECT_PIN_CHARS) {
			ok = FALSE;
			continue;
		}
		out[n++] = c;
	}
	if (!ok || n != MESH_CONNECT_PIN_CHARS || out[0] != 'N') {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "a PIN is %d characters of A-Z and 2-7 starting with N (dashes and "
			    "spaces optional), as 'mesh connect pin' shows it: check it and type it "
			    "again",
			    MESH_CONNECT_PIN_CHARS);
		return FALSE;
	}
	out[n] = '\0';
	*ret_pin = g_steal_pointer(&pin);
	return TRUE;
}

gboolean
mesh_connect_pin_new(MeshSecret **ret_pin, GError **error)
{
	char *nonce = mesh_udf_nonce(MESH_CONNECT_PIN_BITS, error);
	gboolean ok;

	if (nonce == NULL)
		return FALSE;
	ok = mesh_connect_pin_canonical(nonce, ret_pin, error);
	OPENSSL_cleanse(nonce, strlen(nonce));
	g_free(nonce);
	return ok;
}

MeshSecret *
mesh_connect_pin_grouped(const MeshSecret *pin)
{
	const char *text = (const char *)mesh_secret_get(pin);
	gsize n = strnlen(text, mesh_secret_len(pin));
	MeshSecret *grouped = mesh_secret_new(n + n / 4 + 1);
	char *out = (char *)mesh_secret_data(grouped);
	gsize j = 0;

	for (gsize i = 0; i < n; i++) {
		if (i > 0 && i % 4 == 0)
			out[j++] = '-';
		out[j++] = text[i];
	}
	out[j] = '\0';
	return grouped;
}

/* The canonical PIN's text (its NUL included in the secret). */
static const char *
pin_text(const MeshSecret *pin)
{
	return (const char *)mesh_secret_get(pin);
}

char *
mesh_connect_pin_id(const MeshSecret *pin, GError **error)
{
	const char *text = pin_text(pin);

	return mesh_udf_content_digest(MESH_UDF_ALG_SHA512, MESH_CONNECT_PIN_CT,
				       (const guint8 *)text, strlen(text), MESH_CONNECT_PIN_BITS,
				       error);
}

char *
mesh_connect_pin_mac(const MeshSecret *pin, const char *parent_udf, const char *device_udf,
		     const char *client_nonce, const char *issued, GError **error)
{
	g_autofree char *data =
		g_strjoin("\n", parent_udf, device_udf, client_nonce, issued, NULL);

	return mesh_udf_authenticator(pin_text(pin), MESH_CONNECT_PIN_MAC_CT, (const guint8 *)data,
				      strlen(data), MESH_CONNECT_PIN_BITS, error);
}

/* The PinMac @request should carry under @pin. */
static char *
request_pin_mac(const MeshConnectionRequest *request, const MeshSecret *pin, GError **error)
{
	g_autofree char *nonce = mesh_b64u_encode(request->client_nonce,
						  sizeof request->client_nonce);

	return mesh_connect_pin_mac(pin, request->parent_udf, request->device->identifier, nonce,
				    request->issued, error);
}

gboolean
mesh_connection_request_set_pin(MeshConnectionRequest *request, const MeshSecret *pin,
				GError **error)
{
	g_autofree char *id = mesh_connect_pin_id(pin, error);
	g_autofree char *mac = NULL;

	if (id == NULL || (mac = request_pin_mac(request, pin, error)) == NULL)
		return FALSE;
	g_free(request->pin_id);
	g_free(request->pin_mac);
	request->pin_id = g_steal_pointer(&id);
	request->pin_mac = g_steal_pointer(&mac);
	return TRUE;
}

/* Two UDFs that are the same, every character (dashes and case aside), compared in constant
 * time. */
static gboolean
udf_same(const char *a, const char *b)
{
	g_autofree char *na = mesh_udf_normalize(a, NULL);
	g_autofree char *nb = mesh_udf_normalize(b, NULL);

	return na != NULL && nb != NULL && strlen(na) == strlen(nb) &&
	       CRYPTO_memcmp(na, nb, strlen(na)) == 0;
}

gboolean
mesh_connection_request_pin_valid(const MeshConnectionRequest *request, const MeshSecret *pin)
{
	g_autofree char *id = NULL;
	g_autofree char *mac = NULL;

	if (request->pin_id == NULL || request->pin_mac == NULL)
		return FALSE;
	id = mesh_connect_pin_id(pin, NULL);
	mac = request_pin_mac(request, pin, NULL);
	return id != NULL && mac != NULL && udf_same(id, request->pin_id) &&
	       udf_same(mac, request->pin_mac);
}

/* ---- The connection URI --------------------------------------------------------------------- */

gboolean
mesh_connect_uri_is(const char *text)
{
	return text != NULL && g_ascii_strncasecmp(text, MESH_CONNECT_URI_SCHEME,
						   strlen(MESH_CONNECT_URI_SCHEME)) == 0;
}

/* Percent-encode every byte of @text but the unreserved ones (RFC 3986 §2.3). */
static char *
percent_encode(const char *text)
{
	GString *out = g_string_new(NULL);

	for (const char *s = text; *s != '\0'; s++) {
		if (g_ascii_isalnum(*s) || *s == '-' || *s == '.' || *s == '_' || *s == '~')
			g_string_append_c(out, *s);
		else
			g_string_append_printf(out, "%%%02X", (guint8)*s);
	}
	return g_string_free(out, FALSE);
}

/* The @len bytes at @text percent-decoded (a new string), or NULL: a '%' not followed by two hex
 * digits, or a byte that is a control character (NUL included) once decoded. */
static char *
percent_decode(const char *text, gsize len)
{
	g_autofree char *out = g_malloc(len + 1);
	gsize j = 0;

	for (gsize i = 0; i < len; i++) {
		guint8 c = (guint8)text[i];

		if (c == '%') {
			if (i + 2 >= len ||
			    !g_ascii_isxdigit(text[i + 1]) || !g_ascii_isxdigit(text[i + 2]))
				return NULL;
			c = (guint8)(g_ascii_xdigit_value(text[i + 1]) * 16 +
				     g_ascii_xdigit_value(text[i + 2]));
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			return NULL;
		out[j++] = (char)c;
	}
	out[j] = '\0';
	return g_steal_pointer(&out);
}

MeshSecret *
mesh_connect_uri_format(const char *account, const MeshSecret *pin, const char *portal,
			GError **error)
{
	g_autofree char *normal = NULL;
	g_autofree char *encoded = NULL;
	g_autofree char *tail = NULL;
	const char *text = pin_text(pin);
	gsize n;
	MeshSecret *uri;
	char *out;

	if (!mesh_personal_check_account(account, error))
		return NULL;
	if (portal != NULL) {
		normal = mesh_portal_url_normalize(portal, error);
		if (normal == NULL)
			return NULL;
		encoded = percent_encode(normal);
		tail = g_strconcat("?portal=", encoded, NULL);
	}
	/* Built in the secret: the PIN is never in an ordinary string. */
	n = strlen(MESH_CONNECT_URI_SCHEME) + strlen(account) + 1 + strlen(text) +
	    (tail != NULL ? strlen(tail) : 0);
	if (n > MESH_CONNECT_URI_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "the portal URL is too long for a connection URI (%d bytes in all)",
			    MESH_CONNECT_URI_MAX);
		return NULL;
	}
	uri = mesh_secret_new(n + 1);
	out = (char *)mesh_secret_data(uri);
	g_snprintf(out, n + 1, "%s%s/%s%s", MESH_CONNECT_URI_SCHEME, account, text,
		   tail != NULL ? tail : "");
	return uri;
}

static gboolean
uri_error(GError **error, MeshError code, const char *what)
{
	g_set_error(error, MESH_ERROR, code,
		    "not a connection URI (mcu://ACCOUNT/PIN[?portal=URL], as 'mesh connect pin' "
		    "shows it): %s",
		    what);
	return FALSE;
}

gboolean
mesh_connect_uri_parse(const char *text, char **ret_account, MeshSecret **ret_pin,
		       char **ret_portal, GError **error)
{
	g_autofree char *account = NULL;
	g_autofree char *portal = NULL;
	g_autofree char *normal = NULL;
	g_autoptr(MeshSecret) pin = NULL;
	g_autoptr(MeshSecret) pin_part = NULL;
	const char *rest, *slash, *query, *end;
	gsize len;

	if (text == NULL || !mesh_connect_uri_is(text))
		return uri_error(error, MESH_ERROR_INVALID_ARGUMENT, "it does not start with mcu://");
	len = strnlen(text, MESH_CONNECT_URI_MAX + 1);
	if (len > MESH_CONNECT_URI_MAX)
		return uri_error(error, MESH_ERROR_TOO_LARGE, "it is too long");
	end = text + len;
	if (memchr(text, '#', len) != NULL)
		return uri_error(error, MESH_ERROR_INVALID_ARGUMENT, "it has a fragment (#)");
	rest = text + strlen(MESH_CONNECT_URI_SCHEME);
	slash = memchr(rest, '/', (gsize)(end - rest));
	if (slash == NULL || slash == rest)
		return uri_error(error, MESH_ERROR_INVALID_ARGUMENT, "no ACCOUNT/PIN");
	account = percent_decode(rest, (gsize)(slash - rest));
	if (account == NULL || !mesh_personal_check_account(account, NULL))
		return uri_error(error, MESH_ERROR_INVALID_ARGUMENT,
				 "its account is not an account name");
	query = memchr(slash + 1, '?', (gsize)(end - slash - 1));
	if (query == NULL)
		query = end;
	/* The PIN part holds no '%', '/', '#': anything but Base32, dashes and spaces is refused by
	 * the canonical form. */
	pin_part = mesh_secret_new((gsize)(query - slash));
	memcpy(mesh_secret_data(pin_part), slash + 1, (gsize)(query - slash - 1));
	if (!mesh_connect_pin_canonical((const char *)mesh_secret_get(pin_part), &pin, NULL))
		return uri_error(error, MESH_ERROR_INVALID_ARGUMENT,
				 "its PIN is not 28 characters of A-Z and 2-7 starting with N");
	if (query != end) {
		static const char param[] = "?portal=";

		if ((gsize)(end - query) <= strlen(param) ||
		    strncmp(query, param, strlen(param)) != 0)
			return uri_error(error, MESH_ERROR_INVALID_ARGUMENT,
					 "the only parameter it may have is portal=URL");
		portal = percent_decode(query + strlen(param),
					(gsize)(end - query) - strlen(param));
		if (portal == NULL ||
		    (normal = mesh_portal_url_normalize(portal, NULL)) == NULL)
			return uri_error(error, MESH_ERROR_INVALID_ARGUMENT,
					 "its portal is not a portal URL");
	}
	*ret_account = g_steal_pointer(&account);
	*ret_pin = g_steal_pointer(&pin);
	*ret_portal = g_steal_pointer(&normal);
	return TRUE;
}
