/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "jose.h"
#include "key.h"
#include "master.h"
#include "device-profile.h"
#include "secret.h"
#include "udf.h"

G_BEGIN_DECLS

/*
 * Connecting a device (docs/protocol.md §7).
 *
 * ConnectionRequest {ParentUDF, Device: SignedDeviceProfile, ClientNonce, Issued}, signed by the
 * device's signature key: the SignedRequest is that bare JWS (flattened, "cty"
 * "ConnectionRequest"), not a wrapper.
 *
 * ConnectionResult {DeviceUDF, Witness, Result: "Accepted"|"Rejected"}, signed by an
 * administration key (an OnlineSignatureKey of the master profile): a bare JWS, "cty"
 * "ConnectionResult".
 *
 * Witness = SHA-512( SHA-512(P || ServerNonce) || SHA-512(D || ClientNonce) ), P and D the
 * 65-byte binary UDFs (type byte || 64-byte digest) of the profile (= its master signature key)
 * and of the device (= its signature key), the nonces 16 bytes each. It is shown as the first
 * 28 Base32 characters of the hash (140 bits, no type byte), in dashed groups of four:
 * "XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX". A user confirms a request by its whole witness: the portal
 * chooses the server nonces, so it can grind a device of its own whose witness shares any short
 * prefix with the real device's (40 bits take about 2^20 hashes a side), but not all 140 bits.
 */

#define MESH_CONNECT_NONCE_LEN     16
#define MESH_CONNECT_WITNESS_CHARS 28 /* Base32 characters, without dashes */

typedef struct {
	char *parent_udf;          /* the profile the device asks to join */
	MeshDeviceProfile *device; /* verified */
	JsonNode *signed_device;   /* {"SignedDeviceProfile": ...} as received */
	guint8 client_nonce[MESH_CONNECT_NONCE_LEN];
	char *issued; /* RFC 3339 UTC */
	/* Connecting by PIN (below): both or neither; NULL when the request carries no PIN. */
	char *pin_id;
	char *pin_mac;
} MeshConnectionRequest;

/*
 * mesh_connection_request_new: a request of the device @signed_device (which must verify; a copy
 * is kept) to join the profile @parent_udf, with a fresh ClientNonce, issued now. Errors:
 * MESH_ERROR_INVALID_ARGUMENT (@parent_udf not a UDF), those of mesh_device_profile_verify,
 * MESH_ERROR_CRYPTO.
 */
MeshConnectionRequest *mesh_connection_request_new(const char *parent_udf,
						   JsonNode *signed_device, GError **error);
void mesh_connection_request_free(MeshConnectionRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshConnectionRequest, mesh_connection_request_free)

/* mesh_connection_request_sign: the SignedRequest JWS, by the device's signature key through
 * @sign. Errors: those of mesh_jws_sign_with and @sign, MESH_ERROR_TOO_LARGE. */
JsonNode *mesh_connection_request_sign(const MeshConnectionRequest *request, MeshJwsSignFunc sign,
				       gpointer user_data, GError **error);

/*
 * mesh_connection_request_verify: read a SignedRequest JWS and check it: the embedded device
 * profile verifies, and the JWS is signed by that device's signature key. Errors:
 * MESH_ERROR_MALFORMED (shape, a ClientNonce that is not 16 bytes of base64url, an Issued that
 * is not a time, a PinId without a PinMac or the other way round, a PinId that is not a SHA-512
 * content digest UDF, a PinMac that is not an authenticator UDF of 140 bits),
 * MESH_ERROR_TOO_LARGE, MESH_ERROR_BAD_SIGNATURE (signed by another key,
 * tampered, or the device profile's own signature fails).
 */
MeshConnectionRequest *mesh_connection_request_verify(JsonNode *node, GError **error);

/* mesh_connection_request_parse: strict parse of @len bytes (at most MESH_PROFILE_MAX), then
 * mesh_connection_request_verify. */
MeshConnectionRequest *mesh_connection_request_parse(const char *text, gsize len,
						     GError **error);

/*
 * mesh_connection_request_witness: the witness of @request for the profile @master and the
 * portal's @server_nonce. Errors: MESH_ERROR_WITNESS_MISMATCH when the request's ParentUDF is not
 * @master's Identifier (the request is for another profile), MESH_ERROR_CRYPTO.
 */
char *mesh_connection_request_witness(const MeshConnectionRequest *request,
				      const MeshMasterProfile *master,
				      const guint8 server_nonce[static MESH_CONNECT_NONCE_LEN],
				      GError **error);

typedef enum {
	MESH_CONNECTION_ACCEPTED = 1,
	MESH_CONNECTION_REJECTED = 2,
} MeshConnectionStatus;

typedef struct {
	char *device_udf;
	char *witness; /* the dashed presentation */
	MeshConnectionStatus result;
	char *signer; /* UDF of the administration key that signed it */
} MeshConnectionResult;

void mesh_connection_result_free(MeshConnectionResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshConnectionResult, mesh_connection_result_free)

/*
 * mesh_connection_result_sign: the ConnectionResult JWS for @device_udf and @witness (a
 * witness as mesh_connect_witness shows it; dashes and case are normalised), signed by the
 * administration key @online_key (public; @sign makes the signature). Errors:
 * MESH_ERROR_INVALID_ARGUMENT (not a UDF, not a witness, an unknown @result),
 * MESH_ERROR_UNAUTHORIZED (@online_key is not an OnlineSignatureKey of @master), those of @sign.
 */
JsonNode *mesh_connection_result_sign(const char *device_udf, const char *witness,
				      MeshConnectionStatus result,
				      const MeshMasterProfile *master, const MeshKey *online_key,
				      MeshJwsSignFunc sign, gpointer user_data, GError **error);

/*
 * mesh_connection_result_verify: read a ConnectionResult JWS and check that it is signed by one
 * of @master's OnlineSignatureKeys. Errors: MESH_ERROR_MALFORMED, MESH_ERROR_TOO_LARGE,
 * MESH_ERROR_UNAUTHORIZED (the "kid" is not an OnlineSignatureKey), MESH_ERROR_BAD_SIGNATURE.
 */
MeshConnectionResult *mesh_connection_result_verify(JsonNode *node,
						    const MeshMasterProfile *master,
						    GError **error);

/* mesh_connection_result_parse: strict parse of @len bytes (at most MESH_PROFILE_MAX), then
 * mesh_connection_result_verify. */
MeshConnectionResult *mesh_connection_result_parse(const char *text, gsize len,
						   const MeshMasterProfile *master,
						   GError **error);

/*
 * mesh_connection_result_check: what the new device does with a verified @result (§7 step 7):
 * it must be for @device_udf (MESH_ERROR_WITNESS_MISMATCH otherwise), carry the @witness the
 * device computed (MESH_ERROR_WITNESS_MISMATCH), and say Accepted (MESH_ERROR_REJECTED).
 */
gboolean mesh_connection_result_check(const MeshConnectionResult *result, const char *device_udf,
				      const char *witness, GError **error);

/* ---- Witness -------------------------------------------------------------------------------- */

/*
 * mesh_connect_witness_raw: the witness of the binary UDFs @p (@p_len bytes) and @d (@d_len
 * bytes) and the two nonces, as the dashed presentation (a new string).
 */
char *mesh_connect_witness_raw(const guint8 *p, gsize p_len,
			       const guint8 server_nonce[static MESH_CONNECT_NONCE_LEN],
			       const guint8 *d, gsize d_len,
			       const guint8 client_nonce[static MESH_CONNECT_NONCE_LEN]);

/*
 * mesh_connect_key_binary: the full binary UDF of @key (type byte || 64-byte SHA-512 content
 * digest of its SPKI), as P and D enter the witness. Errors: MESH_ERROR_CRYPTO.
 */
gboolean mesh_connect_key_binary(const MeshKey *key,
				 guint8 out[static MESH_UDF_DIGEST_BINARY_LEN], GError **error);

/*
 * mesh_connect_witness: the witness for the profile whose master signature key is
 * @profile_key and the device whose signature key is @device_key (their full 65-byte binary
 * UDFs are computed from the keys). Errors: MESH_ERROR_CRYPTO.
 */
char *mesh_connect_witness(const MeshKey *profile_key,
			   const guint8 server_nonce[static MESH_CONNECT_NONCE_LEN],
			   const MeshKey *device_key,
			   const guint8 client_nonce[static MESH_CONNECT_NONCE_LEN],
			   GError **error);

/*
 * mesh_connect_witness_equal: TRUE when @a and @b are the same whole witness (dashes and case
 * ignored), compared in constant time.
 */
gboolean mesh_connect_witness_equal(const char *a, const char *b);

/*
 * mesh_connect_witness_find: the index of the only one of the @n @witnesses that is the whole
 * witness @witness (dashes, spaces and case ignored); each is compared in full, in constant
 * time. Errors: MESH_ERROR_INVALID_ARGUMENT (@witness is not 28 Base32 characters — a prefix is
 * refused, however long — or several witnesses are it), MESH_ERROR_NOT_FOUND (none is).
 */
gboolean mesh_connect_witness_find(const char *const *witnesses, gsize n, const char *witness,
				   gsize *ret_index, GError **error);

/* ---- Connecting by PIN (docs/protocol.md "Connecting by PIN") ----------------------------- */

/*
 * A PIN is a nonce UDF (type 104, "N") of 140 bits: 28 Base32 characters, shown in groups of
 * four. Its canonical form (upper case, no dashes or spaces) is what the PinId and the PinMac
 * are computed from:
 *
 *   PinId  = content digest UDF (SHA-512, 140 bits) of UTF8(canonical PIN),
 *            ct "application/mmm-pin"
 *   PinMac = authenticator UDF (§2), 140 bits, under the key string = canonical PIN,
 *            ct "application/mmm-pin-connect", of
 *            UTF8(ParentUDF "\n" DeviceUDF "\n" ClientNonce "\n" Issued)
 *            (the request's strings as sent: ClientNonce in base64url)
 *
 * The portal sees the PinId, never the PIN; without the PIN it cannot make a PinMac for a
 * request of its own, and a PinMac binds the device, the nonce and the time it was made for.
 *
 * The connection URI carries an account, a PIN and optionally the portal:
 *   mcu://ACCOUNT/PIN[?portal=PERCENT-ENCODED-URL]
 */

#define MESH_CONNECT_PIN_CHARS   28 /* Base32 characters of the canonical PIN */
#define MESH_CONNECT_PIN_BITS    140
#define MESH_CONNECT_PIN_CT      "application/mmm-pin"
#define MESH_CONNECT_PIN_MAC_CT  "application/mmm-pin-connect"
#define MESH_CONNECT_URI_SCHEME  "mcu://"
#define MESH_CONNECT_URI_MAX     2048 /* bytes of a connection URI */

/*
 * mesh_connect_pin_new: a fresh PIN, canonical (28 characters and a NUL) in *@ret_pin. Errors:
 * MESH_ERROR_CRYPTO.
 */
gboolean mesh_connect_pin_new(MeshSecret **ret_pin, GError **error);

/*
 * mesh_connect_pin_canonical: the canonical form of the PIN @text as typed (dashes and spaces
 * dropped, lower case folded), NUL-terminated, in *@ret_pin. Errors:
 * MESH_ERROR_INVALID_ARGUMENT (not 28 characters of A-Z and 2-7, or not a nonce UDF: it starts
 * with "N"); the message never holds the text.
 */
gboolean mesh_connect_pin_canonical(const char *text, MeshSecret **ret_pin, GError **error);

/* mesh_connect_pin_grouped: the canonical @pin in groups of four with dashes (a new secret with
 * its NUL). */
MeshSecret *mesh_connect_pin_grouped(const MeshSecret *pin);

/* mesh_connect_pin_id: the PinId of the canonical @pin (a new string). Errors: MESH_ERROR_CRYPTO. */
char *mesh_connect_pin_id(const MeshSecret *pin, GError **error);

/*
 * mesh_connect_pin_mac: the PinMac of a request with these fields under the canonical @pin (a
 * new string). Errors: MESH_ERROR_CRYPTO.
 */
char *mesh_connect_pin_mac(const MeshSecret *pin, const char *parent_udf, const char *device_udf,
			   const char *client_nonce, const char *issued, GError **error);

/*
 * mesh_connection_request_set_pin: set @request's PinId and PinMac for the canonical @pin, from
 * the request's fields as they are now (set the Issued time first). Errors: MESH_ERROR_CRYPTO.
 */
gboolean mesh_connection_request_set_pin(MeshConnectionRequest *request, const MeshSecret *pin,
					 GError **error);

/*
 * mesh_connection_request_pin_valid: TRUE when @request carries a PinId and a PinMac that are
 * those of the canonical @pin: the PinMac is recomputed over the request's fields and compared
 * whole, in constant time.
 */
gboolean mesh_connection_request_pin_valid(const MeshConnectionRequest *request,
					   const MeshSecret *pin);

/*
 * mesh_connect_uri_format: the connection URI for @account, the canonical @pin and @portal (a
 * portal URL, NULL: none), as a new secret with its NUL (it holds the PIN). Errors:
 * MESH_ERROR_INVALID_ARGUMENT (not an account name; a portal that does not normalise),
 * MESH_ERROR_TOO_LARGE (longer than MESH_CONNECT_URI_MAX once the portal is percent-encoded: a
 * URI that parses may hold characters raw that this encodes).
 */
MeshSecret *mesh_connect_uri_format(const char *account, const MeshSecret *pin, const char *portal,
				    GError **error);

/*
 * mesh_connect_uri_parse: read the connection URI @text (at most MESH_CONNECT_URI_MAX bytes):
 * "mcu://" (the scheme in any case), the account (percent-encoding allowed; then an account name,
 * mesh_personal_check_account), "/", the PIN (dashes allowed), and optionally "?portal=" and a
 * percent-encoded portal URL (mesh_portal_url_normalize), nothing else: no other parameter,
 * fragment or path. *@ret_account, *@ret_pin (canonical) and *@ret_portal (normalised; NULL when
 * absent) are set only on success. Errors: MESH_ERROR_INVALID_ARGUMENT saying which part is
 * wrong (never quoting the PIN), MESH_ERROR_TOO_LARGE.
 */
gboolean mesh_connect_uri_parse(const char *text, char **ret_account, MeshSecret **ret_pin,
				char **ret_portal, GError **error);

/* mesh_connect_uri_is: TRUE when @text starts with the connection URI's scheme (any case). */
gboolean mesh_connect_uri_is(const char *text);

G_END_DECLS
