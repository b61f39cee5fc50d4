/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "jose.h"
#include "key.h"
#include "master.h"
#include "device-profile.h"
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
 * is not a time), MESH_ERROR_TOO_LARGE, MESH_ERROR_BAD_SIGNATURE (signed by another key,
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

G_END_DECLS
