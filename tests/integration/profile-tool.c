/* SPDX-License-Identifier: MIT */
/*
 * profile-tool: writes and reads the objects of the Mesh model (core/master, personal,
 * application, escrow, connect), so that other implementations can check them
 * (tests/integration/profile-jwcrypto.py) and to make the fuzz seeds (tests/fuzz/corpus/profile).
 *
 *   profile-tool sample DIR [ALG]   write a sample of every object into DIR (ALG: Ed25519, the
 *                                   default, with X25519; or P-256), with throwaway keys:
 *       master.json  personal.json  device.json  application.json  escrow.json
 *       request.json  result.json   signed objects and entries
 *       shares.txt                  the escrow's shares (2 of 3), one a line
 *       reader.jwk                  private JWK of a device in the application's DecryptID
 *       outsider.jwk                private JWK of a device of the profile that is not
 *       witness.json                {"ServerNonce": hex, "Witness"} of request.json
 *   profile-tool verify KIND FILE   verify FILE as a KIND: personal, master, device, escrow
 *                                   (with SHARESFILE as a third argument), request, result
 *                                   (checked against the master profile in the same folder's
 *                                   master.json), application (likewise)
 *   profile-tool hostile-request PROFILE DESCRIPTION
 *                                   what a hostile requester sends: a new device whose
 *                                   profile, self-signed, carries DESCRIPTION as given (the
 *                                   writers' checks bypassed), asks to join the profile of the
 *                                   SignedPersonalProfile PROFILE; prints {"SignedRequest",
 *                                   "ServerNonce", "Witness"} with a random server nonce and
 *                                   the witness an administration device computes for it
 *                                   (and "Device": the new device's UDF)
 *   profile-tool forged-request PROFILE GENUINE HOW
 *                                   what a hostile portal makes of the genuine SignedRequest
 *                                   in the file GENUINE (a request by PIN it holds): HOW is
 *                                   "copy" (a device of its own, self-signed, whose signed
 *                                   request carries the genuine PinId and PinMac), a PIN (the
 *                                   genuine PinId, and the PinMac of the tool's device under
 *                                   that guessed PIN) or "swap" (the genuine request with its
 *                                   device profile replaced by the tool's: its signature
 *                                   breaks). Prints what hostile-request prints
 *
 * The exit status is 0 or the MeshError code, with one line on standard error.
 */
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "application.h"
#include "base64.h"
#include "connect.h"
#include "error.h"
#include "escrow.h"
#include "json.h"
#include "master.h"
#include "personal.h"
#include "signed.h"

typedef struct {
	MeshKey *sig, *auth, *enc;
	JsonNode *signed_profile;
} Device;

static void
device_clear(Device *d)
{
	mesh_key_unref(d->sig);
	mesh_key_unref(d->auth);
	mesh_key_unref(d->enc);
	if (d->signed_profile != NULL)
		json_node_unref(d->signed_profile);
}

static gboolean
device_make(Device *d, MeshKeyAlg sig, MeshKeyAlg enc, const char *name, GError **error)
{
	g_autoptr(MeshDeviceProfile) p = NULL;

	d->sig = mesh_key_generate(sig, error);
	d->auth = d->sig != NULL ? mesh_key_generate(sig, error) : NULL;
	d->enc = d->auth != NULL ? mesh_key_generate(enc, error) : NULL;
	if (d->enc == NULL)
		return FALSE;
	p = mesh_device_profile_new(name, d->sig, d->auth, d->enc, error);
	if (p == NULL)
		return FALSE;
	d->signed_profile = mesh_device_profile_sign(p, mesh_signed_sign_with_key, d->sig, error);
	return d->signed_profile != NULL;
}

static gboolean
write_text(const char *dir, const char *name, const char *text, GError **error)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);

	return g_file_set_contents(path, text, -1, error);
}

static gboolean
write_node(const char *dir, const char *name, JsonNode *node, GError **error)
{
	g_autofree char *text = mesh_json_to_string(node);

	return write_text(dir, name, text, error);
}

static gboolean
write_private_jwk(const char *dir, const char *name, const MeshKey *key, GError **error)
{
	g_autoptr(MeshSecret) jwk = mesh_key_to_jwk_private(key, error);

	return jwk != NULL && write_text(dir, name, (const char *)mesh_secret_get(jwk), error);
}

static gboolean
sample(const char *dir, const char *alg_name, GError **error)
{
	MeshKeyAlg sig = MESH_KEY_ED25519, enc = MESH_KEY_X25519;
	g_autoptr(MeshKey) master_key = NULL;
	MeshKey *escrow[1] = { NULL }, *online[2] = { NULL, NULL };
	g_autoptr(MeshMasterProfile) master = NULL;
	g_autoptr(JsonNode) signed_master = NULL;
	g_autoptr(MeshPersonalProfile) personal = NULL;
	g_autoptr(JsonNode) signed_personal = NULL;
	g_autoptr(MeshApplicationProfile) app = NULL;
	g_autoptr(MeshApplicationEntry) entry = NULL;
	g_autoptr(MeshPasswordSet) passwords = mesh_password_set_new();
	g_autoptr(MeshSecret) plaintext = NULL;
	g_autoptr(MeshSecret) password = mesh_secret_new_from_data("correct horse", 14);
	g_autoptr(JsonNode) signed_app = NULL;
	g_autoptr(JsonNode) escrow_entry = NULL;
	g_autoptr(GPtrArray) shares = NULL;
	g_autoptr(GString) share_text = g_string_new(NULL);
	g_autoptr(MeshConnectionRequest) request = NULL;
	g_autoptr(JsonNode) signed_request = NULL;
	g_autoptr(JsonNode) result = NULL;
	g_autofree char *witness = NULL;
	g_autofree char *nonce_hex = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) witness_node = NULL;
	static const char *const sites[] = { "*.example.com", NULL };
	const char *readers[2] = { NULL, NULL };
	guint8 server_nonce[MESH_CONNECT_NONCE_LEN];
	Device d[3] = { { 0 } };
	gboolean ok = FALSE;

	if (alg_name != NULL && g_str_equal(alg_name, "P-256"))
		sig = enc = MESH_KEY_P256;
	else if (alg_name != NULL && !g_str_equal(alg_name, "Ed25519")) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_USAGE, "ALG is Ed25519 or P-256");
		return FALSE;
	}
	master_key = mesh_key_generate(sig, error);
	escrow[0] = mesh_key_generate(enc, NULL);
	online[0] = mesh_key_generate(sig, NULL);
	online[1] = mesh_key_generate(sig, NULL);
	if (master_key == NULL || escrow[0] == NULL || online[1] == NULL)
		goto out;
	master = mesh_master_profile_new(master_key, escrow, 1, online, 2, error);
	if (master == NULL)
		goto out;
	signed_master = mesh_master_profile_sign(master, mesh_signed_sign_with_key, master_key,
						 error);
	personal = signed_master != NULL ?
			   mesh_personal_profile_new("alice@example.com", signed_master, error) :
			   NULL;
	if (personal == NULL)
		goto out;
	for (int i = 0; i < 3; i++) {
		if (!device_make(&d[i], sig, enc, i == 0 ? "laptop" : "phone", error) ||
		    (i < 2 && !mesh_personal_profile_add_device(personal, d[i].signed_profile,
								error)))
			goto out;
	}
	/* What the profile says of its devices: when device 0 was added and the administration
	 * key it holds, device 1's description; device 2 was removed (docs/protocol.md "Devices
	 * of a profile"). */
	{
		MeshPersonalDevice *d0 = mesh_personal_profile_device(personal, mesh_key_udf(d[0].sig));
		MeshPersonalDevice *d1 = mesh_personal_profile_device(personal, mesh_key_udf(d[1].sig));

		d0->added = g_strdup("2026-12-01T10:00:00Z");
		d1->description = g_strdup("old phone");
		if (!mesh_personal_device_set_admin_key(personal, d0, mesh_key_udf(online[1]),
		                                        error))
			goto out;
		if (!mesh_personal_profile_add_device(personal, d[2].signed_profile, error) ||
		    !mesh_personal_profile_remove_device(personal, mesh_key_udf(d[2].sig),
		                                         "2026-12-02T10:00:00Z", error))
			goto out;
	}
	/* An application profile readable by devices 0 and 1 (not 2) and the escrow key. */
	app = mesh_application_profile_new(MESH_APPLICATION_PASSWORD, "passwords", error);
	if (app == NULL)
		goto out;
	readers[0] = mesh_key_udf(d[0].sig);
	entry = mesh_application_entry_new(app->identifier, MESH_APPLICATION_PASSWORD,
					   "passwords", readers, readers, error);
	if (entry == NULL || !mesh_personal_profile_add_application(personal, entry, error))
		goto out;
	g_steal_pointer(&entry);
	if (!mesh_password_set_add(passwords, sites, "alice", password, error))
		goto out;
	plaintext = mesh_password_set_to_text(passwords);
	if (!mesh_application_profile_seal(app, plaintext, personal, error))
		goto out;
	signed_app = mesh_application_profile_sign(app, master, online[0],
						   mesh_signed_sign_with_key, online[0], error);
	signed_personal = signed_app != NULL ?
				  mesh_personal_profile_sign(personal, online[1],
							     mesh_signed_sign_with_key, online[1],
							     error) :
				  NULL;
	if (signed_personal == NULL)
		goto out;
	/* Escrow of the master keys, 2 of 3. */
	if (!mesh_escrow_create(master_key, escrow, 1, 2, 3, &escrow_entry, &shares, error))
		goto out;
	for (guint i = 0; i < shares->len; i++)
		g_string_append_printf(share_text, "%s\n",
				       (const char *)mesh_secret_get(shares->pdata[i]));
	/* Device 2 asks to connect; the administrator accepts. */
	request = mesh_connection_request_new(master->identifier, d[2].signed_profile, error);
	signed_request = request != NULL ? mesh_connection_request_sign(
						   request, mesh_signed_sign_with_key, d[2].sig,
						   error) :
					   NULL;
	if (signed_request == NULL)
		goto out;
	memset(server_nonce, 0x5a, sizeof server_nonce);
	witness = mesh_connection_request_witness(request, master, server_nonce, error);
	result = witness != NULL ? mesh_connection_result_sign(mesh_key_udf(d[2].sig), witness,
							       MESH_CONNECTION_ACCEPTED, master,
							       online[0], mesh_signed_sign_with_key,
							       online[0], error) :
				   NULL;
	if (result == NULL)
		goto out;
	nonce_hex = mesh_hex_encode(server_nonce, sizeof server_nonce);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "ServerNonce");
	json_builder_add_string_value(b, nonce_hex);
	json_builder_set_member_name(b, "Witness");
	json_builder_add_string_value(b, witness);
	json_builder_end_object(b);
	witness_node = json_builder_get_root(b);
	ok = write_node(dir, "master.json", signed_master, error) &&
	     write_node(dir, "personal.json", signed_personal, error) &&
	     write_node(dir, "device.json", d[0].signed_profile, error) &&
	     write_node(dir, "application.json", signed_app, error) &&
	     write_node(dir, "escrow.json", escrow_entry, error) &&
	     write_node(dir, "request.json", signed_request, error) &&
	     write_node(dir, "result.json", result, error) &&
	     write_node(dir, "witness.json", witness_node, error) &&
	     write_private_jwk(dir, "reader.jwk", d[0].enc, error) &&
	     write_private_jwk(dir, "outsider.jwk", d[1].enc, error) &&
	     write_text(dir, "shares.txt", share_text->str, error);
out:
	for (int i = 0; i < 3; i++)
		device_clear(&d[i]);
	mesh_key_unref(escrow[0]);
	mesh_key_unref(online[0]);
	mesh_key_unref(online[1]);
	return ok;
}

static MeshMasterProfile *
sibling_master(const char *file, GError **error)
{
	g_autofree char *dir = g_path_get_dirname(file);
	g_autofree char *path = g_build_filename(dir, "master.json", NULL);
	g_autofree char *text = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &text, &len, error))
		return NULL;
	return mesh_master_profile_parse(text, len, error);
}

static gboolean
verify(const char *kind, const char *file, const char *extra, GError **error)
{
	g_autofree char *text = NULL;
	gsize len = 0;

	if (!g_file_get_contents(file, &text, &len, error))
		return FALSE;
	if (g_str_equal(kind, "personal")) {
		g_autoptr(MeshPersonalProfile) p = mesh_personal_profile_parse(text, len, error);

		return p != NULL;
	} else if (g_str_equal(kind, "master")) {
		g_autoptr(MeshMasterProfile) p = mesh_master_profile_parse(text, len, error);

		return p != NULL;
	} else if (g_str_equal(kind, "device")) {
		g_autoptr(MeshDeviceProfile) p = mesh_device_profile_parse(text, len, error);

		return p != NULL;
	} else if (g_str_equal(kind, "request")) {
		g_autoptr(MeshConnectionRequest) r = mesh_connection_request_parse(text, len,
										   error);

		return r != NULL;
	} else if (g_str_equal(kind, "result") || g_str_equal(kind, "application")) {
		g_autoptr(MeshMasterProfile) master = sibling_master(file, error);
		g_autoptr(MeshConnectionResult) r = NULL;
		g_autoptr(MeshApplicationProfile) a = NULL;

		if (master == NULL)
			return FALSE;
		if (g_str_equal(kind, "result"))
			return (r = mesh_connection_result_parse(text, len, master, error)) != NULL;
		return (a = mesh_application_profile_parse(text, len, master, error)) != NULL;
	} else if (g_str_equal(kind, "escrow") && extra != NULL) {
		g_autoptr(MeshEscrowEntry) e = mesh_escrow_entry_parse(text, len, error);
		g_autofree char *shares_text = NULL;
		g_auto(GStrv) shares = NULL;

		if (e == NULL || !g_file_get_contents(extra, &shares_text, NULL, error))
			return FALSE;
		g_strstrip(shares_text);
		shares = g_strsplit(shares_text, "\n", -1);
		return mesh_escrow_verify(e, (const char *const *)shares, g_strv_length(shares),
					  NULL, error);
	}
	g_set_error(error, MESH_ERROR, MESH_ERROR_USAGE, "unknown kind %s", kind);
	return FALSE;
}

/*
 * Print what a requester sends, as a portal lists it: {"SignedRequest": @signed_request,
 * "ServerNonce", "Witness", "Device"} with a random server nonce and the witness an
 * administration device of the profile whose master signature key is @master_key computes for
 * the device @device_key and the @client_nonce.
 */
static gboolean
print_request(JsonNode *signed_request, const MeshKey *master_key, const MeshKey *device_key,
	      const guint8 client_nonce[static MESH_CONNECT_NONCE_LEN], GError **error)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) out = NULL;
	g_autofree char *witness = NULL, *nonce_text = NULL, *out_text = NULL;
	guint8 server_nonce[MESH_CONNECT_NONCE_LEN];

	if (RAND_bytes(server_nonce, sizeof server_nonce) != 1) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_CRYPTO, "no random bytes");
		return FALSE;
	}
	witness = mesh_connect_witness(master_key, server_nonce, device_key, client_nonce, error);
	if (witness == NULL)
		return FALSE;
	nonce_text = mesh_b64u_encode(server_nonce, sizeof server_nonce);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "SignedRequest");
	json_builder_add_value(b, json_node_copy(signed_request));
	json_builder_set_member_name(b, "ServerNonce");
	json_builder_add_string_value(b, nonce_text);
	json_builder_set_member_name(b, "Witness");
	json_builder_add_string_value(b, witness);
	json_builder_set_member_name(b, "Device");
	json_builder_add_string_value(b, mesh_key_udf(device_key));
	json_builder_end_object(b);
	out = json_builder_get_root(b);
	out_text = mesh_json_to_string(out);
	printf("%s\n", out_text);
	return TRUE;
}

/* Sign @request by @d and print it for the profile @personal (print_request). */
static gboolean
sign_and_print(const MeshConnectionRequest *request, const Device *d,
	       const MeshPersonalProfile *personal, GError **error)
{
	g_autoptr(JsonNode) signed_request = NULL;

	signed_request = mesh_connection_request_sign(request, mesh_signed_sign_with_key, d->sig,
						      error);
	return signed_request != NULL &&
	       print_request(signed_request, personal->master->signature_key, d->sig,
			     request->client_nonce, error);
}

static MeshPersonalProfile *
read_personal(const char *path, GError **error)
{
	g_autofree char *text = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &text, &len, error))
		return NULL;
	return mesh_personal_profile_parse(text, len, error);
}

static gboolean
hostile_request(const char *profile_path, const char *description, GError **error)
{
	g_autoptr(MeshPersonalProfile) personal = NULL;
	g_autoptr(MeshDeviceProfile) profile = NULL;
	g_autoptr(JsonNode) signed_device = NULL;
	g_autoptr(MeshConnectionRequest) request = NULL;
	Device d = { 0 };
	gboolean ok = FALSE;

	if ((personal = read_personal(profile_path, error)) == NULL ||
	    !device_make(&d, MESH_KEY_ED25519, MESH_KEY_X25519, "laptop", error))
		goto out;
	/* The device signs a profile with any description it likes; the request is made with
	 * an honest one, then carries the other. */
	profile = mesh_device_profile_new("laptop", d.sig, d.auth, d.enc, error);
	if (profile == NULL)
		goto out;
	g_free(profile->description);
	profile->description = g_strdup(description);
	signed_device = mesh_device_profile_sign(profile, mesh_signed_sign_with_key, d.sig, error);
	request = signed_device != NULL ? mesh_connection_request_new(personal->master->identifier,
								      d.signed_profile, error) :
					  NULL;
	if (request == NULL)
		goto out;
	json_node_unref(request->signed_device);
	request->signed_device = json_node_copy(signed_device);
	ok = sign_and_print(request, &d, personal, error);
out:
	device_clear(&d);
	return ok;
}

/*
 * The genuine SignedRequest @signed_genuine with its payload's device profile replaced by
 * @signed_device: the protected header and the signature stay the genuine device's.
 */
static JsonNode *
swap_device(JsonNode *signed_genuine, JsonNode *signed_device, GError **error)
{
	g_autoptr(JsonNode) jws = json_node_copy(signed_genuine);
	JsonObject *obj = JSON_NODE_HOLDS_OBJECT(jws) ? json_node_get_object(jws) : NULL;
	const char *payload_text = NULL;
	g_autoptr(GBytes) payload = NULL;
	g_autoptr(JsonNode) inner = NULL;
	g_autofree char *inner_text = NULL, *encoded = NULL;
	JsonObject *request;

	if (obj == NULL || !mesh_json_get_string(obj, "payload", &payload_text, error) ||
	    (payload = mesh_b64u_decode_bytes(payload_text, MESH_PROFILE_MAX, error)) == NULL)
		return NULL;
	inner = mesh_json_parse(g_bytes_get_data(payload, NULL), g_bytes_get_size(payload),
				MESH_PROFILE_MAX, error);
	if (inner == NULL || (request = mesh_signed_untag(inner, "ConnectionRequest", error)) == NULL)
		return NULL;
	json_object_set_member(request, "Device", json_node_copy(signed_device));
	inner_text = mesh_json_to_string(inner);
	encoded = mesh_b64u_encode((const guint8 *)inner_text, strlen(inner_text));
	json_object_set_string_member(obj, "payload", encoded);
	return g_steal_pointer(&jws);
}

static gboolean
forged_request(const char *profile_path, const char *genuine_path, const char *how,
	       GError **error)
{
	g_autoptr(MeshPersonalProfile) personal = NULL;
	g_autofree char *text = NULL;
	g_autoptr(JsonNode) genuine_node = NULL;
	g_autoptr(MeshConnectionRequest) genuine = NULL;
	g_autoptr(MeshConnectionRequest) request = NULL;
	g_autoptr(JsonNode) signed_request = NULL;
	Device d = { 0 };
	gsize len = 0;
	gboolean ok = FALSE;

	if ((personal = read_personal(profile_path, error)) == NULL ||
	    !g_file_get_contents(genuine_path, &text, &len, error) ||
	    (genuine_node = mesh_json_parse(text, len, MESH_PROFILE_MAX, error)) == NULL ||
	    (genuine = mesh_connection_request_verify(genuine_node, error)) == NULL ||
	    !device_make(&d, MESH_KEY_ED25519, MESH_KEY_X25519, "laptop", error))
		goto out;
	if (genuine->pin_id == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the genuine request carries no PinId");
		goto out;
	}
	if (g_str_equal(how, "swap")) {
		/* The genuine request, ClientNonce and all, now naming the tool's device. */
		signed_request = swap_device(genuine_node, d.signed_profile, error);
		ok = signed_request != NULL &&
		     print_request(signed_request, personal->master->signature_key, d.sig,
				   genuine->client_nonce, error);
		goto out;
	}
	request = mesh_connection_request_new(genuine->parent_udf, d.signed_profile, error);
	if (request == NULL)
		goto out;
	request->pin_id = g_strdup(genuine->pin_id);
	if (g_str_equal(how, "copy")) {
		request->pin_mac = g_strdup(genuine->pin_mac);
	} else {
		/* The PinMac of this device under a guessed PIN; the PinId stays the genuine one. */
		g_autoptr(MeshSecret) guess = NULL;
		g_autofree char *nonce = mesh_b64u_encode(request->client_nonce,
							  sizeof request->client_nonce);

		if (!mesh_connect_pin_canonical(how, &guess, error))
			goto out;
		request->pin_mac = mesh_connect_pin_mac(guess, request->parent_udf,
							request->device->identifier, nonce,
							request->issued, error);
		if (request->pin_mac == NULL)
			goto out;
	}
	ok = sign_and_print(request, &d, personal, error);
out:
	device_clear(&d);
	return ok;
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	gboolean ok;

	if (argc >= 3 && g_str_equal(argv[1], "sample")) {
		ok = sample(argv[2], argc > 3 ? argv[3] : NULL, &error);
	} else if (argc >= 4 && g_str_equal(argv[1], "verify")) {
		ok = verify(argv[2], argv[3], argc > 4 ? argv[4] : NULL, &error);
	} else if (argc == 4 && g_str_equal(argv[1], "hostile-request")) {
		ok = hostile_request(argv[2], argv[3], &error);
	} else if (argc == 5 && g_str_equal(argv[1], "forged-request")) {
		ok = forged_request(argv[2], argv[3], argv[4], &error);
	} else {
		fprintf(stderr, "usage: profile-tool sample DIR [ALG] | verify KIND FILE [SHARES]"
				" | hostile-request PROFILE DESCRIPTION"
				" | forged-request PROFILE GENUINE copy|swap|PIN\n");
		return MESH_ERROR_USAGE;
	}
	if (!ok) {
		fprintf(stderr, "profile-tool: %s\n", error != NULL ? error->message : "failed");
		return mesh_error_code(error);
	}
	return 0;
}
