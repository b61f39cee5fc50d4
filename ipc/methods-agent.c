/* SPDX-License-Identifier: MIT */
/*
 * The agent's own methods (docs/protocol.md "Agent methods (§9)", Hello to Shutdown): the
 * device, the keys and their store, the hive, Lock and Unlock; and the hive's protection, which
 * decides the passphrase of every key the agent makes. ipc/methods.c lists them; ipc/dispatch.c
 * runs them with the agent's state lock held.
 */
#include "jwk.h"
#include "methods.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "base64.h"
#include "device.h"
#include "error.h"
#include "file.h"
#include "json.h"
#include "passgate.h"
#include "platform.h"
#include "router.h"
#include "secret.h"

/* ---- Parameters ------------------------------------------------------------------------- */

/* A passphrase leaves the request at once, as a MeshSecret (NULL when absent). */
gboolean
mesh_agent_get_passphrase(JsonObject *params, gboolean required, MeshSecret **ret_secret,
			  GError **error)
{
	const char *text = NULL;

	if (!(required ? mesh_json_get_string(params, "Passphrase", &text, error)
		       : mesh_json_get_string_opt(params, "Passphrase", &text, error)))
		return FALSE;
	*ret_secret = text != NULL ? mesh_secret_new_from_data(text, strlen(text)) : NULL;
	return TRUE;
}

/* ---- Results ----------------------------------------------------------------------------- */

static JsonArray *
new_array_member(JsonObject *obj, const char *member)
{
	JsonArray *array = json_array_new();

	json_object_set_array_member(obj, member, array);
	return array;
}

static JsonObject *
new_object_member(JsonObject *obj, const char *member)
{
	JsonObject *child = json_object_new();

	json_object_set_object_member(obj, member, child);
	return child;
}

static JsonObject *
new_array_object(JsonArray *array)
{
	JsonObject *obj = json_object_new();

	json_array_add_object_element(array, obj);
	return obj;
}

static gboolean
is_default_device(MeshAgent *agent, const char *udf)
{
	g_autofree char *current = NULL;

	return mesh_hive_get_default(agent->hive, MESH_HIVE_THIS_DEVICE, &current, NULL) &&
	       g_strcmp0(current, udf) == 0;
}

/* The DeviceGet result of @udf (NULL: the default device). */
static gboolean
describe_device(MeshAgent *agent, const char *udf, JsonObject *result, GError **error)
{
	g_autoptr(MeshDeviceProfile) profile = NULL;
	g_autoptr(JsonNode) signed_node = NULL;
	JsonObject *keys;

	if (!mesh_device_load(agent->hive, udf, &profile, &signed_node, error))
		return FALSE;
	json_object_set_string_member(result, "Identifier", profile->identifier);
	if (profile->description != NULL)
		json_object_set_string_member(result, "Description", profile->description);
	json_object_set_string_member(result, "Created", profile->created);
	json_object_set_boolean_member(result, "Default",
				       is_default_device(agent, profile->identifier));
	keys = new_object_member(result, "Keys");
	json_object_set_string_member(keys, "Signature", mesh_key_udf(profile->signature_key));
	json_object_set_string_member(keys, "Authentication",
				      mesh_key_udf(profile->authentication_key));
	json_object_set_string_member(keys, "Encryption", mesh_key_udf(profile->encryption_key));
	json_object_set_member(result, "SignedProfile", g_steal_pointer(&signed_node));
	return TRUE;
}

/* Keys in the store, and how many of them are locked. */
static gboolean
count_keys(MeshAgent *agent, guint *ret_keys, guint *ret_locked, GError **error)
{
	g_autoptr(GPtrArray) infos = NULL;
	guint locked = 0;

	if (!mesh_keystore_list(agent->store, &infos, error))
		return FALSE;
	for (guint i = 0; i < infos->len; i++) {
		const MeshKeyInfo *info = infos->pdata[i];

		locked += info->locked ? 1 : 0;
	}
	*ret_keys = infos->len;
	*ret_locked = locked;
	return TRUE;
}

/* ---- Methods ----------------------------------------------------------------------------- */

gboolean
mesh_method_status(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(GPtrArray) devices = NULL;
	g_autofree char *default_udf = NULL;
	guint keys = 0, locked = 0;

	if (!mesh_device_list(agent->hive, &devices, &default_udf, error) ||
	    !count_keys(agent, &keys, &locked, error))
		return FALSE;
	json_object_set_string_member(result, "Hive", mesh_hive_kind_name(agent->kind));
	json_object_set_string_member(result, "Location", mesh_hive_location(agent->hive));
	if (agent->socket_path != NULL)
		json_object_set_string_member(result, "Socket", agent->socket_path);
	if (agent->ssh_socket_path != NULL)
		json_object_set_string_member(result, "SSHAgentSocket", agent->ssh_socket_path);
	json_object_set_int_member(result, "Pid", agent->pid);
	json_object_set_boolean_member(result, "Locked", locked > 0);
	json_object_set_string_member(result, "KeyStore", mesh_keystore_name(agent->store));
	if (default_udf != NULL)
		json_object_set_string_member(result, "DefaultDevice", default_udf);
	json_object_set_int_member(result, "Devices", devices->len);
	json_object_set_int_member(result, "Keys", keys);
	return TRUE;
}

/* ---- The hive's protection ------------------------------------------------------------------ */

/*
 * Whether the hive is protected: its default device's signature key is protected by the
 * passphrase Unlock takes (a passphrase in the file store, a PIN in a TPM). Every key the hive
 * makes is then protected by that same passphrase, so that one Unlock serves them all.
 */
static gboolean
hive_protected(MeshAgent *agent, gboolean *ret, GError **error)
{
	g_autoptr(MeshDeviceProfile) device = NULL;
	g_autoptr(GPtrArray) infos = NULL;
	g_autoptr(GError) local = NULL;
	const char *udf;

	*ret = FALSE;
	if (!mesh_device_load(agent->hive, NULL, &device, NULL, &local)) {
		if (g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND))
			return TRUE;
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (!mesh_keystore_list(agent->store, &infos, error))
		return FALSE;
	udf = mesh_key_udf(device->signature_key);
	for (guint i = 0; i < infos->len; i++) {
		const MeshKeyInfo *info = infos->pdata[i];

		if (g_str_equal(info->udf, udf))
			*ret = info->is_protected;
	}
	return TRUE;
}

/* A check told to wait @wait_us at the gate (mesh_agent_handle and the key-making methods do
 * not block): MESH_ERROR_RATE_LIMITED with the time to wait. */
void
mesh_agent_gate_wait_error(GError **error, gint64 wait_us)
{
	g_set_error(error, MESH_ERROR, MESH_ERROR_RATE_LIMITED,
		    "wrong passphrases were given: try again in %" G_GINT64_FORMAT " ms",
		    (wait_us + 999) / 1000);
}

/*
 * The passphrase that protects the keys a request makes, in *@ret_passphrase (a new secret, or
 * NULL for none), from @given (its "Passphrase"; NULL or empty: none) and the hive's protection:
 * in a hive that is not protected, @given; in a protected hive whose keys are unlocked, the
 * hive's passphrase, which @given, when there is one, must be (checked behind the passphrase
 * gate, as Unlock is: MESH_ERROR_BAD_PASSPHRASE, or MESH_ERROR_RATE_LIMITED while the gate
 * makes guesses wait); in a protected hive whose keys are locked, none, and *@ret_locked: the
 * request may make no key (@given is not checked: only Unlock checks passphrases then).
 * *@ret_protected: whether the hive is protected.
 */
gboolean
mesh_agent_new_key_passphrase(MeshAgent *agent, const MeshSecret *given,
                              MeshSecret **ret_passphrase, gboolean *ret_locked,
                              gboolean *ret_protected, GError **error)
{
	gboolean protected_hive = FALSE, same;
	gint64 wait;

	if (given != NULL && mesh_secret_len(given) == 0)
		given = NULL;
	*ret_passphrase = NULL;
	*ret_locked = FALSE;
	if (!hive_protected(agent, &protected_hive, error))
		return FALSE;
	*ret_protected = protected_hive;
	if (!protected_hive) {
		*ret_passphrase = mesh_secret_dup(given);
		return TRUE;
	}
	if (agent->passphrase == NULL) {
		*ret_locked = TRUE;
		return TRUE;
	}
	if (given != NULL) {
		wait = mesh_pass_gate_try_enter(agent->gate);
		if (wait > 0) {
			mesh_agent_gate_wait_error(error, wait);
			return FALSE;
		}
		same = mesh_secret_equal(given, agent->passphrase);
		mesh_pass_gate_leave(agent->gate,
		                     same ? MESH_PASS_GATE_RIGHT : MESH_PASS_GATE_WRONG);
		if (!same) {
			g_set_error(
			        error, MESH_ERROR, MESH_ERROR_BAD_PASSPHRASE,
			        "this hive's keys are protected by another passphrase, and every "
			        "key it makes is protected by that one (the passphrase 'mesh "
			        "unlock' takes): give it, or leave out --protect and "
			        "--passphrase-file");
			return FALSE;
		}
	}
	*ret_passphrase = mesh_secret_dup(agent->passphrase);
	return TRUE;
}

/* As new_key_passphrase, for a request that surely makes a key: a locked hive refuses it. */
static gboolean
protect_new_keys(MeshAgent *agent, MeshSecret **passphrase, gboolean *ret_protected, GError **error)
{
	g_autoptr(MeshSecret) given = g_steal_pointer(passphrase);
	gboolean locked = FALSE;

	if (!mesh_agent_new_key_passphrase(agent, given, passphrase, &locked, ret_protected, error))
		return FALSE;
	if (locked) {
		mesh_session_keys_locked_error(error);
		return FALSE;
	}
	return TRUE;
}

/*
 * After a request made keys under @passphrase in a hive that was not protected (@was_protected
 * FALSE): when they made it protected (its first device, protected), the agent holds the
 * passphrase, as after Unlock, since those keys are unlocked until Lock. (In a hive that was
 * protected already the agent holds it, or the request made nothing; a Lock meanwhile stands.)
 */
void
mesh_agent_adopt_passphrase(MeshAgent *agent, gboolean was_protected, const MeshSecret *passphrase)
{
	gboolean protected_hive = FALSE;

	if (was_protected || agent->passphrase != NULL || passphrase == NULL ||
	    mesh_secret_len(passphrase) == 0 || !hive_protected(agent, &protected_hive, NULL) ||
	    !protected_hive)
		return;
	agent->passphrase = mesh_secret_dup(passphrase);
}

/* The agent's store with new keys going to Params' "KeyStore" (default: the hive's). */
static MeshKeyStore *
store_for_new_keys(MeshAgent *agent, JsonObject *params, GError **error)
{
	const char *name = NULL;

	if (!mesh_json_get_string_opt(params, "KeyStore", &name, error))
		return NULL;
	return mesh_keystore_router_view(agent->store, name, error);
}

/* The answer describing a key made or moved: {"UDF", "Algorithm", "Use", "Store"}. */
static gboolean
describe_key(MeshAgent *agent, const char *udf, JsonObject *result, GError **error)
{
	g_autoptr(GPtrArray) infos = NULL;

	if (!mesh_keystore_list(agent->store, &infos, error))
		return FALSE;
	for (guint i = 0; i < infos->len; i++) {
		const MeshKeyInfo *info = infos->pdata[i];

		if (g_strcmp0(info->udf, udf) != 0)
			continue;
		json_object_set_string_member(result, "UDF", info->udf);
		json_object_set_string_member(result, "Algorithm", mesh_key_alg_name(info->alg));
		json_object_set_string_member(result, "Use", mesh_key_use_name(info->use));
		json_object_set_string_member(result, "Store", info->store);
		return TRUE;
	}
	g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND, "no key %s", udf);
	return FALSE;
}

static gboolean
get_use(JsonObject *params, MeshKeyUse *ret_use, GError **error)
{
	const char *use = NULL;

	return mesh_json_get_string(params, "Use", &use, error) &&
	       mesh_key_use_from_name(use, ret_use, error);
}

gboolean
mesh_method_key_generate(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(MeshKeyStore) store = NULL;
	g_autoptr(MeshSecret) passphrase = NULL;
	g_autoptr(MeshKey) key = NULL;
	const char *alg_name = NULL;
	MeshKeyUse use;
	MeshKeyAlg alg;
	unsigned caps;
	gboolean was_protected = FALSE;

	if (!get_use(params, &use, error) ||
	    !mesh_json_get_string_opt(params, "Algorithm", &alg_name, error) ||
	    (alg_name != NULL && !mesh_key_alg_from_name(alg_name, &alg, error)) ||
	    !mesh_agent_get_passphrase(params, FALSE, &passphrase, error) ||
	    !mesh_agent_refuse_restricted(agent, "KeyGenerate", error) ||
	    !protect_new_keys(agent, &passphrase, &was_protected, error) ||
	    (store = store_for_new_keys(agent, params, error)) == NULL)
		return FALSE;
	if (alg_name == NULL) {
		/* What the store makes: the Edwards curves in software, P-256 in a TPM. */
		caps = mesh_keystore_caps(store);
		if (use == MESH_KEY_USE_ENCRYPTION)
			alg = (caps & MESH_KEYSTORE_CAP_X25519) ? MESH_KEY_X25519 : MESH_KEY_P256;
		else
			alg = (caps & MESH_KEYSTORE_CAP_ED25519) ? MESH_KEY_ED25519 : MESH_KEY_P256;
	}
	return mesh_keystore_generate(store, alg, use, passphrase, &key, error) &&
	       describe_key(agent, mesh_key_udf(key), result, error);
}

gboolean
mesh_method_key_import(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(MeshKeyStore) store = NULL;
	g_autoptr(MeshSecret) passphrase = NULL;
	g_autoptr(MeshSecret) file_passphrase = NULL;
	g_autoptr(MeshKey) key = NULL;
	const char *pem = NULL, *file_pass = NULL;
	MeshKeyUse use;
	gboolean was_protected = FALSE;

	if (!mesh_json_get_string(params, "Key", &pem, error) || !get_use(params, &use, error) ||
	    !mesh_json_get_string_opt(params, "FilePassphrase", &file_pass, error) ||
	    !mesh_agent_get_passphrase(params, FALSE, &passphrase, error) ||
	    !mesh_agent_refuse_restricted(agent, "KeyImport", error) ||
	    !protect_new_keys(agent, &passphrase, &was_protected, error) ||
	    (store = store_for_new_keys(agent, params, error)) == NULL)
		return FALSE;
	if (file_pass != NULL)
		file_passphrase = mesh_secret_new_from_data(file_pass, strlen(file_pass));
	return mesh_keystore_router_import_pem(store, pem, strlen(pem), use, file_passphrase,
					       passphrase, &key, error) &&
	       describe_key(agent, mesh_key_udf(key), result, error);
}

gboolean
mesh_method_key_move(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(MeshSecret) passphrase = NULL;
	const char *udf = NULL, *to = NULL;
	gboolean was_protected = FALSE;

	return mesh_json_get_string(params, "UDF", &udf, error) &&
	       mesh_json_get_string(params, "To", &to, error) &&
	       mesh_agent_get_passphrase(params, FALSE, &passphrase, error) &&
	       mesh_agent_refuse_restricted(agent, "KeyMove", error) &&
	       protect_new_keys(agent, &passphrase, &was_protected, error) &&
	       mesh_keystore_router_move(agent->store, udf, to, passphrase, error) &&
	       describe_key(agent, udf, result, error);
}

/* What removing a key of @role loses, and what to do instead (for KeyRemove's refusal). */
static const char *
removal_loss(MeshSessionKeyRole role)
{
	switch (role) {
	case MESH_SESSION_KEY_DEVICE:
		return "removing it would break the device, which keeps its keys as long as it "
		       "exists";
	case MESH_SESSION_KEY_MASTER:
		return "without it no device could change or escrow the profile again";
	case MESH_SESSION_KEY_ESCROW:
		return "without it the profile's applications could not be recovered";
	case MESH_SESSION_KEY_ADMINISTRATION:
		return "without it this device could not change the profile any more";
	case MESH_SESSION_KEY_SSH:
		return "ssh logins with it would stop wherever the profile's keys are authorized";
	case MESH_SESSION_KEY_IMPORTED:
		break;
	}
	return "";
}

gboolean
mesh_method_key_remove(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(GHashTable) roles = NULL;
	g_autofree char *what = NULL;
	const MeshSessionKeyOwner *owner;
	const char *udf = NULL;

	/* Strict: a key is removed only when the hive says for sure that nothing needs it. */
	if (!mesh_json_get_string(params, "UDF", &udf, error) ||
	    !mesh_agent_refuse_restricted(agent, "KeyRemove", error) ||
	    !mesh_session_key_roles(agent->hive, TRUE, &roles, error))
		return FALSE;
	owner = g_hash_table_lookup(roles, udf);
	if (owner == NULL)
		return mesh_keystore_remove(agent->store, udf, error);
	what = mesh_session_key_owner_text(owner);
	if (owner->role == MESH_SESSION_KEY_DEVICE)
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION, "%s is %s: %s", udf, what,
		            removal_loss(owner->role));
	else
		g_set_error(
		        error, MESH_ERROR, MESH_ERROR_PERMISSION,
		        "%s is %s: %s; to forget the profile on this machine, run 'mesh profile "
		        "delete %s' instead",
		        udf, what, removal_loss(owner->role), owner->owner);
	return FALSE;
}

gboolean
mesh_method_hive_set_keystore(MeshAgent *agent, JsonObject *params, JsonObject *result,
                              GError **error)
{
	const char *name = NULL;
	g_autofree char *now = NULL;

	if (!mesh_json_get_string(params, "Store", &name, error) ||
	    !mesh_agent_refuse_restricted(agent, "HiveSetKeyStore", error) ||
	    !mesh_keystore_router_set_default(agent->store, name, error))
		return FALSE;
	now = mesh_keystore_router_get_default(agent->store);
	json_object_set_string_member(result, "Store", now);
	return TRUE;
}

gboolean
mesh_method_device_create(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(MeshSecret) passphrase = NULL;
	g_autoptr(MeshDeviceProfile) profile = NULL;
	const char *description = NULL;
	gboolean was_protected = FALSE;

	g_autoptr(MeshKeyStore) store = NULL;

	if (!mesh_json_get_string_opt(params, "Description", &description, error) ||
	    !mesh_agent_get_passphrase(params, FALSE, &passphrase, error) ||
	    !mesh_agent_refuse_restricted(agent, "DeviceCreate", error) ||
	    !protect_new_keys(agent, &passphrase, &was_protected, error) ||
	    (store = store_for_new_keys(agent, params, error)) == NULL)
		return FALSE;
	/* An empty passphrase means none (backends/openssh.h). */
	if (!mesh_device_create(agent->hive, store, description, passphrase, &profile, error))
		return FALSE;
	mesh_agent_adopt_passphrase(agent, was_protected, passphrase);
	return describe_device(agent, profile->identifier, result, error);
}

gboolean
mesh_method_device_get(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	const char *udf = NULL;

	if (!mesh_json_get_string_opt(params, "Identifier", &udf, error))
		return FALSE;
	return describe_device(agent, udf, result, error);
}

gboolean
mesh_method_device_list(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(GPtrArray) udfs = NULL;
	g_autofree char *default_udf = NULL;
	JsonArray *devices;

	if (!mesh_device_list(agent->hive, &udfs, &default_udf, error))
		return FALSE;
	devices = new_array_member(result, "Devices");
	for (guint i = 0; i < udfs->len; i++) {
		g_autoptr(MeshDeviceProfile) profile = NULL;
		JsonObject *entry;

		/* Loading verifies: a damaged or tampered profile is reported, not listed. */
		if (!mesh_device_load(agent->hive, udfs->pdata[i], &profile, NULL, error))
			return FALSE;
		entry = new_array_object(devices);
		json_object_set_string_member(entry, "Identifier", profile->identifier);
		if (profile->description != NULL)
			json_object_set_string_member(entry, "Description", profile->description);
		json_object_set_boolean_member(entry, "Default",
					       g_strcmp0(default_udf, profile->identifier) == 0);
	}
	return TRUE;
}

gboolean
mesh_method_key_list(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(GPtrArray) infos = NULL;
	g_autoptr(GHashTable) roles = NULL;
	JsonArray *keys;

	/* Lenient: an entry that does not read leaves its keys Imported here (KeyRemove, strict,
	 * reports it). */
	if (!mesh_keystore_list(agent->store, &infos, error) ||
	    !mesh_session_key_roles(agent->hive, FALSE, &roles, error))
		return FALSE;
	keys = new_array_member(result, "Keys");
	for (guint i = 0; i < infos->len; i++) {
		const MeshKeyInfo *info = infos->pdata[i];
		const MeshSessionKeyOwner *owner = g_hash_table_lookup(roles, info->udf);
		JsonObject *entry = new_array_object(keys);

		json_object_set_string_member(entry, "UDF", info->udf);
		json_object_set_string_member(entry, "Algorithm", mesh_key_alg_name(info->alg));
		json_object_set_string_member(entry, "Use", mesh_key_use_name(info->use));
		json_object_set_string_member(entry, "Store", info->store != NULL
								       ? info->store
								       : mesh_keystore_name(agent->store));
		json_object_set_boolean_member(entry, "Locked", info->locked);
		json_object_set_boolean_member(entry, "Protected", info->is_protected);
		json_object_set_string_member(
		        entry, "Role",
		        mesh_session_key_role_name(owner != NULL ? owner->role
		                                                 : MESH_SESSION_KEY_IMPORTED));
		if (owner != NULL)
			json_object_set_string_member(
			        entry,
			        owner->role == MESH_SESSION_KEY_DEVICE ? "Device" : "Account",
			        owner->owner);
	}
	return TRUE;
}

gboolean
mesh_method_key_public(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(MeshKey) key = NULL;
	g_autoptr(GBytes) spki = NULL;
	g_autofree char *spki_text = NULL;
	const char *udf = NULL;
	gsize len = 0;
	const guint8 *der;

	if (!mesh_json_get_string(params, "UDF", &udf, error) ||
	    !mesh_keystore_get_public(agent->store, udf, &key, error))
		return FALSE;
	spki = mesh_key_get_spki(key);
	der = g_bytes_get_data(spki, &len);
	spki_text = mesh_b64u_encode(der, len);
	json_object_set_string_member(result, "UDF", mesh_key_udf(key));
	json_object_set_string_member(result, "Algorithm", mesh_key_alg_name(mesh_key_alg(key)));
	json_object_set_member(result, "PublicParameters", mesh_key_to_jwk(key));
	json_object_set_string_member(result, "SPKI", spki_text);
	return TRUE;
}

gboolean
mesh_method_key_sign(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(GBytes) data = NULL;
	g_autoptr(GBytes) signature = NULL;
	g_autofree char *text = NULL;
	const char *udf = NULL, *data_text = NULL;
	const guint8 *p;
	gsize len = 0;

	if (!mesh_json_get_string(params, "UDF", &udf, error) ||
	    !mesh_json_get_string(params, "Data", &data_text, error))
		return FALSE;
	data = mesh_b64u_decode_bytes(data_text, MESH_AGENT_SIGN_MAX, error);
	if (data == NULL) {
		g_prefix_error(error, "\"Data\": ");
		return FALSE;
	}
	p = g_bytes_get_data(data, &len);
	if (!mesh_keystore_sign(agent->store, udf, p != NULL ? p : (const guint8 *)"", len,
				&signature, error))
		return FALSE;
	p = g_bytes_get_data(signature, &len);
	text = mesh_b64u_encode(p, len);
	json_object_set_string_member(result, "Signature", text);
	return TRUE;
}

/* The agent's own hive, or another one under the same root. */
static MeshHive *
open_hive(MeshAgent *agent, JsonObject *params, const char *member, GError **error)
{
	const char *name = NULL;

	if (!mesh_json_get_string(params, member, &name, error))
		return NULL;
	for (int kind = MESH_HIVE_PRODUCTION; kind <= MESH_HIVE_TEST; kind++) {
		if (g_strcmp0(name, mesh_hive_kind_name((MeshHiveKind)kind)) == 0)
			return mesh_hive_open((MeshHiveKind)kind, agent->root, error);
	}
	g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		    "\"%s\" must be \"test\" or \"production\"", member);
	return NULL;
}

gboolean
mesh_method_hive_migrate(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(MeshHive) from = NULL;
	g_autoptr(MeshHive) to = NULL;
	gboolean force = FALSE;
	guint copied = 0;

	if (!mesh_json_get_bool_opt(params, "Force", &force, error) ||
	    (from = open_hive(agent, params, "From", error)) == NULL ||
	    (to = open_hive(agent, params, "To", error)) == NULL ||
	    !mesh_agent_refuse_restricted(agent, "HiveMigrate", error) ||
	    !mesh_hive_migrate(from, to, force, &copied, error))
		return FALSE;
	json_object_set_int_member(result, "Copied", copied);
	return TRUE;
}

static gboolean on_lifetime_end(gpointer user_data);

/* With the lock held: the timer that ends Unlock's lifetime, due in at most
 * MESH_PLATFORM_SLEEP_CHECK_MS (the machine may sleep meanwhile). */
static void
arm_lifetime_timer(MeshAgent *agent)
{
	gint64 left_ms = (agent->unlock_expiry - mesh_platform_boottime() + 999) / 1000;

	agent->lock_timer = g_timeout_add((guint)CLAMP(left_ms, 1, MESH_PLATFORM_SLEEP_CHECK_MS),
					  on_lifetime_end, agent);
}

static gboolean
on_lifetime_end(gpointer user_data)
{
	MeshAgent *agent = user_data;

	g_mutex_lock(&agent->lock);
	agent->lock_timer = 0;
	if (mesh_platform_boottime() >= agent->unlock_expiry)
		mesh_agent_lock_now(agent);
	else
		arm_lifetime_timer(agent);
	g_mutex_unlock(&agent->lock);
	return G_SOURCE_REMOVE;
}

gboolean
mesh_method_lock(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	mesh_agent_lock_now(agent);
	return TRUE;
}

/* Unlock's params, read before the passphrase gate: a malformed request is no guess. */
gboolean
mesh_agent_unlock_params(JsonObject *params, MeshSecret **ret_passphrase, gint64 *ret_lifetime,
                         GError **error)
{
	gint64 lifetime = MESH_AGENT_LIFETIME_DEFAULT;

	if (json_object_has_member(params, "Lifetime") &&
	    !mesh_json_get_int(params, "Lifetime", &lifetime, error))
		return FALSE;
	if (lifetime < 0 || lifetime > MESH_AGENT_LIFETIME_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "\"Lifetime\" must be 0 (until Lock) to %d seconds",
			    MESH_AGENT_LIFETIME_MAX);
		return FALSE;
	}
	if (!mesh_agent_get_passphrase(params, TRUE, ret_passphrase, error))
		return FALSE;
	*ret_lifetime = lifetime;
	return TRUE;
}

gboolean
mesh_method_unlock(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(MeshSecret) passphrase = NULL;
	gint64 lifetime = 0;
	guint keys = 0, before = 0, after = 0;
	gboolean protected_hive = FALSE;

	if (!mesh_agent_unlock_params(params, &passphrase, &lifetime, error))
		return FALSE;
	if (!count_keys(agent, &keys, &before, error) ||
	    !mesh_keystore_unlock(agent->store, passphrase, error) ||
	    !count_keys(agent, &keys, &after, error))
		return FALSE;
	/* The keys the hive makes while unlocked are protected by the same passphrase. */
	if (hive_protected(agent, &protected_hive, NULL) && protected_hive) {
		mesh_secret_free(agent->passphrase);
		agent->passphrase = g_steal_pointer(&passphrase);
	}
	/* A new Unlock sets a new lifetime for every unwrapped key. */
	if (agent->lock_timer != 0)
		g_source_remove(agent->lock_timer);
	agent->lock_timer = 0;
	agent->unlock_expiry = 0;
	if (lifetime > 0) {
		agent->unlock_expiry = mesh_platform_boottime() + lifetime * G_USEC_PER_SEC;
		arm_lifetime_timer(agent);
	}
	json_object_set_int_member(result, "Unlocked", before > after ? before - after : 0);
	return TRUE;
}

gboolean
mesh_method_shutdown(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	if (!mesh_agent_refuse_restricted(agent, "Shutdown", error))
		return FALSE;
	if (agent->shutdown != NULL)
		agent->shutdown(agent->shutdown_data);
	return TRUE;
}

gboolean
mesh_method_hello(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	JsonObject *version = new_object_member(result, "Version");
	JsonArray *names = new_array_member(result, "Methods");
	const MeshAgentMethod *method;

	json_object_set_int_member(version, "Major", MESH_AGENT_VERSION_MAJOR);
	json_object_set_int_member(version, "Minor", MESH_AGENT_VERSION_MINOR);
	for (gsize i = 0; (method = mesh_agent_method_at(i)) != NULL; i++)
		json_array_add_string_element(names, method->name);
	json_object_set_string_member(result, "Hive", mesh_hive_kind_name(agent->kind));
	return TRUE;
}
