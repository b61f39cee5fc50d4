/* SPDX-License-Identifier: MIT */
#include "dispatch.h"

#include <json-glib/json-glib.h>
#include <openssl/crypto.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "device.h"
#include "error.h"
#include "file.h"
#include "router.h"
#include "frame.h"
#include "json.h"
#include "passgate.h"
#include "platform.h"
#include "secret.h"
#include "portal-bridge.h"
#include "session-methods.h"

struct MeshAgent {
	MeshHiveKind kind;
	char *root; /* NULL: $MMM_HOME, else ~/.mmm */
	MeshHive *hive;
	MeshKeyStore *store;
	char *socket_path;
	char *ssh_socket_path; /* the ssh-agent socket, when served (Status reports it) */
	MeshAgentLockFunc lock_func; /* told when unwrapped keys are wiped */
	gpointer lock_data;
	gint64 pid;
	gboolean restricted;
	/* Unlock's lifetime: the mesh_platform_boottime() at which unwrapped keys are wiped (0:
	 * until Lock), and the timeout that does it while the main loop runs (it looks at the clock
	 * at least every MESH_PLATFORM_SLEEP_CHECK_MS, since GLib's clock stops while the machine
	 * sleeps). Requests check the time too, so no key is served past its lifetime. */
	gint64 unlock_expiry;
	guint lock_timer;
	/* The hive's passphrase while its protected keys are unlocked (Unlock, or keys just made
	 * under it), wiped with them: the keys the hive makes meanwhile are protected by it
	 * (new_key_passphrase). NULL while locked, and in a hive that is not protected. */
	MeshSecret *passphrase;
	/* Every passphrase check (Unlock here, UNLOCK on the ssh-agent socket) passes it. */
	MeshPassGate *gate;
	GPtrArray *gated; /* MeshAgentJob * waiting at the gate (main context only) */
	MeshAgentShutdownFunc shutdown;
	gpointer shutdown_data;
	/* The session methods' portal factory (ipc/session-methods.h); NULL: HTTP. */
	MeshSessionPortalOpen open_portal;
	gpointer portal_data;
	/*
	 * Remote session methods from mesh_agent_handle_async run on one worker thread, one at a
	 * time, in the order they came (made on first use). @lock guards the hive, the key store
	 * and the members above: every method holds it while it runs, and a worker releases it
	 * only while it waits for the portal (ipc/portal-bridge.h). @jobs and @context belong to
	 * the main context's thread.
	 */
	GMutex lock;
	GMainContext *context;
	GThreadPool *workers;
	MeshPortalBridge *bridge;
	guint jobs;     /* handed to the worker and not yet answered on the main context */
	gint stopping;  /* atomic: mesh_agent_cancel has run */
};

struct MeshAgentJob {
	MeshAgent *agent;
	const MeshSessionMethod *method; /* a worker job; or NULL, and: */
	const struct Method *gated;      /* a request that waits at the passphrase gate */
	GSource *gate_source;            /* its timeout, while it waits */
	JsonNode *root; /* the request, which holds the params */
	JsonObject *params;
	gint64 id;
	GBytes *answer;
	/* On the main context only: NULL once the connection has gone. */
	MeshAgentAnswerFunc func;
	gpointer user_data;
};

/* Each handler reads @params (an object, empty when the request had none, members already
 * checked against the method's list) and fills the empty @result. */
typedef gboolean (*Handler)(MeshAgent *agent, JsonObject *params, JsonObject *result,
			    GError **error);

typedef struct Method {
	const char *name;
	Handler handler;
	const char *const *params; /* the members Params may have */
} Method;

static const char *const no_params[] = { NULL };

MeshAgent *
mesh_agent_new(MeshHiveKind kind, const char *root, const char *socket_path, GError **error)
{
	g_autoptr(MeshAgent) agent = g_new0(MeshAgent, 1);

	agent->kind = kind;
	agent->root = g_strdup(root);
	agent->socket_path = g_strdup(socket_path);
	agent->pid = (gint64)getpid();
	agent->gate = mesh_pass_gate_new();
	agent->gated = g_ptr_array_new();
	g_mutex_init(&agent->lock);
	agent->context = g_main_context_ref_thread_default();
	agent->hive = mesh_hive_open(kind, root, error);
	if (agent->hive == NULL)
		return NULL;
	agent->store = mesh_keystore_router_new(agent->hive, error);
	if (agent->store == NULL)
		return NULL;
	return g_steal_pointer(&agent);
}

static void lock_now(MeshAgent *agent);

/* With the lock held: wipe the unwrapped keys when Unlock's lifetime is over (every request
 * looks before it is served, so no key outlives its lifetime, timer or not). */
static void
lock_if_expired(MeshAgent *agent)
{
	if (agent->unlock_expiry != 0 && mesh_platform_boottime() >= agent->unlock_expiry)
		lock_now(agent);
}

static void
lock_now(MeshAgent *agent)
{
	if (agent->lock_timer != 0)
		g_source_remove(agent->lock_timer);
	agent->lock_timer = 0;
	agent->unlock_expiry = 0;
	g_clear_pointer(&agent->passphrase, mesh_secret_free);
	if (agent->store != NULL)
		mesh_keystore_lock(agent->store);
	if (agent->lock_func != NULL)
		agent->lock_func(agent->lock_data);
}

void
mesh_agent_free(MeshAgent *agent)
{
	if (agent == NULL)
		return;
	mesh_agent_stop(agent);
	lock_now(agent);
	mesh_keystore_close(agent->store);
	mesh_hive_close(agent->hive);
	g_main_context_unref(agent->context);
	mesh_pass_gate_unref(agent->gate);
	g_ptr_array_unref(agent->gated);
	g_mutex_clear(&agent->lock);
	g_free(agent->root);
	g_free(agent->socket_path);
	g_free(agent->ssh_socket_path);
	g_free(agent);
}

void
mesh_agent_set_shutdown_func(MeshAgent *agent, MeshAgentShutdownFunc func, gpointer user_data)
{
	agent->shutdown = func;
	agent->shutdown_data = user_data;
}

void
mesh_agent_set_ssh_socket(MeshAgent *agent, const char *path)
{
	g_free(agent->ssh_socket_path);
	agent->ssh_socket_path = g_strdup(path);
}

void
mesh_agent_set_lock_func(MeshAgent *agent, MeshAgentLockFunc func, gpointer user_data)
{
	agent->lock_func = func;
	agent->lock_data = user_data;
}

MeshKeyStore *
mesh_agent_store(MeshAgent *agent)
{
	return agent->store;
}

GMutex *
mesh_agent_state_lock(MeshAgent *agent)
{
	return &agent->lock;
}

MeshPassGate *
mesh_agent_pass_gate(MeshAgent *agent)
{
	return agent->gate;
}

void
mesh_agent_set_restricted(MeshAgent *agent, gboolean restricted)
{
	agent->restricted = restricted;
}

void
mesh_agent_set_portal_factory(MeshAgent *agent, MeshSessionPortalOpen open_portal,
			      gpointer portal_data)
{
	agent->open_portal = open_portal;
	agent->portal_data = portal_data;
}

MeshHive *
mesh_agent_hive(MeshAgent *agent)
{
	return agent->hive;
}

/* ---- Parameters ------------------------------------------------------------------------- */

static gboolean
get_bool_opt(JsonObject *params, const char *member, gboolean *ret, GError **error)
{
	JsonNode *node = json_object_get_member(params, member);

	if (node == NULL)
		return TRUE;
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_BOOLEAN) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "\"%s\" must be true or false", member);
		return FALSE;
	}
	*ret = json_node_get_boolean(node);
	return TRUE;
}

/* A passphrase leaves the request at once, as a MeshSecret (NULL when absent). */
static gboolean
get_passphrase(JsonObject *params, gboolean required, MeshSecret **ret_secret, GError **error)
{
	const char *text = NULL;

	if (!(required ? mesh_json_get_string(params, "Passphrase", &text, error)
		       : mesh_json_get_string_opt(params, "Passphrase", &text, error)))
		return FALSE;
	*ret_secret = text != NULL ? mesh_secret_new_from_data(text, strlen(text)) : NULL;
	return TRUE;
}

static gboolean
refuse_restricted(MeshAgent *agent, const char *method, GError **error)
{
	if (!agent->restricted)
		return TRUE;
	g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
		    "%s is disabled in this agent (restricted mode)", method);
	return FALSE;
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

static gboolean hello(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error);

static gboolean
status(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
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
static void
gate_wait_error(GError **error, gint64 wait_us)
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
static gboolean
new_key_passphrase(MeshAgent *agent, const MeshSecret *given, MeshSecret **ret_passphrase,
                   gboolean *ret_locked, gboolean *ret_protected, GError **error)
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
			gate_wait_error(error, wait);
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

	if (!new_key_passphrase(agent, given, passphrase, &locked, ret_protected, error))
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
static void
adopt_passphrase(MeshAgent *agent, gboolean was_protected, const MeshSecret *passphrase)
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

static gboolean
key_generate(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
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
	    !get_passphrase(params, FALSE, &passphrase, error) ||
	    !refuse_restricted(agent, "KeyGenerate", error) ||
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

static gboolean
key_import(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
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
	    !get_passphrase(params, FALSE, &passphrase, error) ||
	    !refuse_restricted(agent, "KeyImport", error) ||
	    !protect_new_keys(agent, &passphrase, &was_protected, error) ||
	    (store = store_for_new_keys(agent, params, error)) == NULL)
		return FALSE;
	if (file_pass != NULL)
		file_passphrase = mesh_secret_new_from_data(file_pass, strlen(file_pass));
	return mesh_keystore_router_import_pem(store, pem, strlen(pem), use, file_passphrase,
					       passphrase, &key, error) &&
	       describe_key(agent, mesh_key_udf(key), result, error);
}

static gboolean
key_move(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(MeshSecret) passphrase = NULL;
	const char *udf = NULL, *to = NULL;
	gboolean was_protected = FALSE;

	return mesh_json_get_string(params, "UDF", &udf, error) &&
	       mesh_json_get_string(params, "To", &to, error) &&
	       get_passphrase(params, FALSE, &passphrase, error) &&
	       refuse_restricted(agent, "KeyMove", error) &&
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

static gboolean
key_remove(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(GHashTable) roles = NULL;
	g_autofree char *what = NULL;
	const MeshSessionKeyOwner *owner;
	const char *udf = NULL;

	/* Strict: a key is removed only when the hive says for sure that nothing needs it. */
	if (!mesh_json_get_string(params, "UDF", &udf, error) ||
	    !refuse_restricted(agent, "KeyRemove", error) ||
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

static gboolean
hive_set_keystore(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	const char *name = NULL;
	g_autofree char *now = NULL;

	if (!mesh_json_get_string(params, "Store", &name, error) ||
	    !refuse_restricted(agent, "HiveSetKeyStore", error) ||
	    !mesh_keystore_router_set_default(agent->store, name, error))
		return FALSE;
	now = mesh_keystore_router_get_default(agent->store);
	json_object_set_string_member(result, "Store", now);
	return TRUE;
}

static gboolean
device_create(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(MeshSecret) passphrase = NULL;
	g_autoptr(MeshDeviceProfile) profile = NULL;
	const char *description = NULL;
	gboolean was_protected = FALSE;

	g_autoptr(MeshKeyStore) store = NULL;

	if (!mesh_json_get_string_opt(params, "Description", &description, error) ||
	    !get_passphrase(params, FALSE, &passphrase, error) ||
	    !refuse_restricted(agent, "DeviceCreate", error) ||
	    !protect_new_keys(agent, &passphrase, &was_protected, error) ||
	    (store = store_for_new_keys(agent, params, error)) == NULL)
		return FALSE;
	/* An empty passphrase means none (backends/openssh.h). */
	if (!mesh_device_create(agent->hive, store, description, passphrase, &profile, error))
		return FALSE;
	adopt_passphrase(agent, was_protected, passphrase);
	return describe_device(agent, profile->identifier, result, error);
}

static gboolean
device_get(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	const char *udf = NULL;

	if (!mesh_json_get_string_opt(params, "Identifier", &udf, error))
		return FALSE;
	return describe_device(agent, udf, result, error);
}

static gboolean
device_list(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
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

static gboolean
key_list(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
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

static gboolean
key_public(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
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

static gboolean
key_sign(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
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

static gboolean
hive_migrate(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(MeshHive) from = NULL;
	g_autoptr(MeshHive) to = NULL;
	gboolean force = FALSE;
	guint copied = 0;

	if (!get_bool_opt(params, "Force", &force, error) ||
	    (from = open_hive(agent, params, "From", error)) == NULL ||
	    (to = open_hive(agent, params, "To", error)) == NULL ||
	    !refuse_restricted(agent, "HiveMigrate", error) ||
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
		lock_now(agent);
	else
		arm_lifetime_timer(agent);
	g_mutex_unlock(&agent->lock);
	return G_SOURCE_REMOVE;
}

static gboolean
lock(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	lock_now(agent);
	return TRUE;
}

/* Unlock's params, read before the passphrase gate: a malformed request is no guess. */
static gboolean
unlock_params(JsonObject *params, MeshSecret **ret_passphrase, gint64 *ret_lifetime,
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
	if (!get_passphrase(params, TRUE, ret_passphrase, error))
		return FALSE;
	*ret_lifetime = lifetime;
	return TRUE;
}

static gboolean
unlock(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(MeshSecret) passphrase = NULL;
	gint64 lifetime = 0;
	guint keys = 0, before = 0, after = 0;
	gboolean protected_hive = FALSE;

	if (!unlock_params(params, &passphrase, &lifetime, error))
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

static gboolean
shutdown_agent(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	if (!refuse_restricted(agent, "Shutdown", error))
		return FALSE;
	if (agent->shutdown != NULL)
		agent->shutdown(agent->shutdown_data);
	return TRUE;
}

static const Method methods[] = {
	{ "Hello", hello, no_params },
	{ "Status", status, no_params },
	{ "DeviceCreate", device_create,
	  (const char *const[]){ "Description", "Passphrase", "KeyStore", NULL } },
	{ "DeviceGet", device_get, (const char *const[]){ "Identifier", NULL } },
	{ "DeviceList", device_list, no_params },
	{ "KeyList", key_list, no_params },
	{ "KeyPublic", key_public, (const char *const[]){ "UDF", NULL } },
	{ "KeySign", key_sign, (const char *const[]){ "UDF", "Data", NULL } },
	{ "KeyGenerate", key_generate,
	  (const char *const[]){ "Use", "Algorithm", "KeyStore", "Passphrase", NULL } },
	{ "KeyImport", key_import,
	  (const char *const[]){ "Key", "Use", "KeyStore", "FilePassphrase", "Passphrase", NULL } },
	{ "KeyMove", key_move, (const char *const[]){ "UDF", "To", "Passphrase", NULL } },
	{ "KeyRemove", key_remove, (const char *const[]){ "UDF", NULL } },
	{ "HiveSetKeyStore", hive_set_keystore, (const char *const[]){ "Store", NULL } },
	{ "HiveMigrate", hive_migrate, (const char *const[]){ "From", "To", "Force", NULL } },
	{ "Lock", lock, no_params },
	{ "Unlock", unlock, (const char *const[]){ "Passphrase", "Lifetime", NULL } },
	{ "Shutdown", shutdown_agent, no_params },
};

static gboolean
hello(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	JsonObject *version = new_object_member(result, "Version");
	JsonArray *names = new_array_member(result, "Methods");

	json_object_set_int_member(version, "Major", MESH_AGENT_VERSION_MAJOR);
	json_object_set_int_member(version, "Minor", MESH_AGENT_VERSION_MINOR);
	for (gsize i = 0; i < G_N_ELEMENTS(methods); i++)
		json_array_add_string_element(names, methods[i].name);
	for (gsize i = 0; mesh_session_method_name(i) != NULL; i++)
		json_array_add_string_element(names, mesh_session_method_name(i));
	json_object_set_string_member(result, "Hive", mesh_hive_kind_name(agent->kind));
	return TRUE;
}

/* ---- Requests and answers ------------------------------------------------------------------ */

/* Wipe every string in @node: requests carry passphrases, and json-glib frees its strings
 * without clearing them. */
static void
wipe_strings(JsonNode *node)
{
	if (JSON_NODE_HOLDS_OBJECT(node)) {
		g_autoptr(GList) values = json_object_get_values(json_node_get_object(node));

		for (GList *l = values; l != NULL; l = l->next)
			wipe_strings(l->data);
	} else if (JSON_NODE_HOLDS_ARRAY(node)) {
		JsonArray *array = json_node_get_array(node);

		for (guint i = 0; i < json_array_get_length(array); i++)
			wipe_strings(json_array_get_element(array, i));
	} else if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING) {
		char *text = (char *)json_node_get_string(node);

		OPENSSL_cleanse(text, strlen(text));
	}
}

static GBytes *
build_answer(gint64 id, const char *member, JsonObject *body)
{
	g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
	JsonObject *obj = json_object_new();
	char *text;

	json_object_set_int_member(obj, "Id", id);
	json_object_set_object_member(obj, member, body);
	json_node_take_object(root, obj);
	text = mesh_json_to_string(root);
	/* Answers carry shares and passwords: wipe the tree's copies too, and the text when it
	 * goes. */
	wipe_strings(root);
	return mesh_bytes_new_wiped(text, strlen(text));
}

static GBytes *
error_answer(gint64 id, const GError *error)
{
	JsonObject *body = json_object_new();
	MeshError code = mesh_error_code(error);

	json_object_set_int_member(body, "Code", code);
	json_object_set_string_member(body, "Name", mesh_error_name(code));
	json_object_set_string_member(body, "Message", error->message);
	return build_answer(id, "Error", body);
}

static const Method *
find_method(const char *name, GError **error)
{
	for (gsize i = 0; i < G_N_ELEMENTS(methods); i++) {
		if (g_str_equal(methods[i].name, name))
			return &methods[i];
	}
	g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
		    "this agent has no method \"%s\": Hello lists the methods it has", name);
	return NULL;
}

/* Read the request's members; FALSE (and @ret_close) when the request itself is malformed. */
static gboolean
read_request(JsonObject *request, const char **ret_method, JsonObject **ret_params,
	     gboolean *ret_close, GError **error)
{
	static const char *const members[] = { "Id", "Method", "Params", NULL };

	*ret_close = TRUE;
	if (!mesh_json_check_members(request, members, error) ||
	    !mesh_json_get_string(request, "Method", ret_method, error))
		goto fail;
	if (json_object_has_member(request, "Params") &&
	    !mesh_json_get_object(request, "Params", ret_params, error))
		goto fail;
	*ret_close = FALSE;
	return TRUE;
fail:
	g_prefix_error(error, "not an agent request: ");
	return FALSE;
}

/*
 * Read @request and find its method: a session method (*@ret_session) or one of the agent's own
 * (*@ret_method). *@ret_params: the request's Params, added (empty) when it had none.
 */
static gboolean
resolve(JsonObject *request, const Method **ret_method, const MeshSessionMethod **ret_session,
	JsonObject **ret_params, gboolean *ret_close, GError **error)
{
	const char *name = NULL;
	JsonObject *params = NULL;
	const char *const *allowed;

	*ret_method = NULL;
	*ret_session = NULL;
	if (!read_request(request, &name, &params, ret_close, error))
		return FALSE;
	if (params == NULL) {
		params = json_object_new();
		json_object_set_object_member(request, "Params", params);
	}
	*ret_session = mesh_session_method_find(name);
	if (*ret_session != NULL) {
		allowed = (*ret_session)->params;
	} else {
		if ((*ret_method = find_method(name, error)) == NULL)
			return FALSE;
		allowed = (*ret_method)->params;
	}
	if (!mesh_json_check_members(params, allowed, error)) {
		g_prefix_error(error, "%s: ", name);
		return FALSE;
	}
	*ret_params = params;
	return TRUE;
}

/* Whether @method takes a "Passphrase": it may make keys (new_key_passphrase decides it). */
static gboolean
makes_keys(const MeshSessionMethod *method)
{
	for (const char *const *p = method->params; *p != NULL; p++) {
		if (g_str_equal(*p, "Passphrase"))
			return TRUE;
	}
	return FALSE;
}

/* Run a session method, on the main context (@bridge NULL: synchronous HTTP) or a worker. */
static gboolean
call_session(MeshAgent *agent, const MeshSessionMethod *method, MeshPortalBridge *bridge,
	     JsonObject *params, JsonObject *result, GError **error)
{
	MeshSessionMethodEnv env = {
	        .hive = agent->hive,
	        .store = agent->store,
	        .open_portal = agent->open_portal,
	        .portal_data = agent->portal_data,
	        .bridge = bridge,
	        .release = &agent->lock,
	        .restricted = agent->restricted,
	};
	g_autoptr(MeshSecret) given = NULL;
	/* The method's own copy: the lock is released while it waits for the portal, and a Lock
	 * meanwhile wipes the agent's. */
	g_autoptr(MeshSecret) passphrase = NULL;
	gboolean was_protected = FALSE;

	if (makes_keys(method) && !agent->restricted &&
	    (!get_passphrase(params, FALSE, &given, error) ||
	     !new_key_passphrase(agent, given, &passphrase, &env.keys_locked, &was_protected,
	                         error)))
		return FALSE;
	env.passphrase = passphrase;
	if (!mesh_session_method_call(method, &env, params, result, error))
		return FALSE;
	adopt_passphrase(agent, was_protected, passphrase);
	return TRUE;
}

/* The answer to request @id: its @result (taken) when @ok, else @error. */
static GBytes *
answer_for(gint64 id, gboolean ok, JsonObject *result, const GError *error)
{
	g_autoptr(GError) too_large = NULL;
	GBytes *answer;

	if (ok) {
		answer = build_answer(id, "Result", result);
	} else {
		json_object_unref(result);
		answer = error_answer(id, error);
	}
	if (g_bytes_get_size(answer) <= MESH_FRAME_MAX)
		return answer;
	g_bytes_unref(answer);
	g_set_error(&too_large, MESH_ERROR, MESH_ERROR_TOO_LARGE,
		    "the answer would be larger than a frame (%d bytes)", MESH_FRAME_MAX);
	return error_answer(id, too_large);
}

/* The request object of a frame, and its Id; NULL when the frame gets no answer (not a JSON
 * object, or no Id a client could match): the connection just closes. */
static JsonNode *
read_frame(const guint8 *frame, gsize len, gint64 *ret_id)
{
	g_autoptr(JsonNode) root = mesh_json_parse((const char *)frame, len, MESH_FRAME_MAX, NULL);
	JsonNode *id_node;
	gint64 id;

	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		goto fail;
	id_node = json_object_get_member(json_node_get_object(root), "Id");
	if (id_node == NULL || !JSON_NODE_HOLDS_VALUE(id_node) ||
	    json_node_get_value_type(id_node) != G_TYPE_INT64)
		goto fail;
	id = json_node_get_int(id_node);
	if (id < 0 || id > MESH_AGENT_ID_MAX)
		goto fail;
	*ret_id = id;
	return g_steal_pointer(&root);
fail:
	if (root != NULL)
		wipe_strings(root);
	return NULL;
}

static void
free_request(JsonNode *root)
{
	wipe_strings(root);
	json_node_unref(root);
}

/* A request node: its strings (passphrases, passwords) are wiped when it goes. */
typedef JsonNode Request;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Request, free_request)

/* ---- Worker jobs --------------------------------------------------------------------------- */

static void
set_cancelled(GError **error, const char *method)
{
	g_set_error(error, MESH_ERROR, MESH_ERROR_CANCELLED,
		    "the agent is stopping: %s was not run (run the command again)", method);
}

static void
job_free(MeshAgentJob *job)
{
	if (job->root != NULL)
		free_request(job->root);
	g_clear_pointer(&job->answer, g_bytes_unref);
	g_free(job);
}

/* On the main context: hand the answer over. */
static gboolean
job_done(gpointer user_data)
{
	MeshAgentJob *job = user_data;

	job->agent->jobs--;
	if (job->func != NULL)
		job->func(job->answer, job->user_data);
	job_free(job);
	return G_SOURCE_REMOVE;
}

/* On the worker. */
static void
job_run(gpointer data, gpointer user_data)
{
	MeshAgentJob *job = data;
	MeshAgent *agent = job->agent;
	JsonObject *result = json_object_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(GSource) source = g_idle_source_new();
	gboolean ok;

	if (g_atomic_int_get(&agent->stopping)) {
		set_cancelled(&error, job->method->name);
		ok = FALSE;
	} else {
		g_mutex_lock(&agent->lock);
		ok = call_session(agent, job->method, agent->bridge, job->params, result, &error);
		g_mutex_unlock(&agent->lock);
	}
	job->answer = answer_for(job->id, ok, result, error);
	free_request(g_steal_pointer(&job->root));
	g_source_set_priority(source, G_PRIORITY_DEFAULT);
	g_source_set_callback(source, job_done, job, NULL);
	g_source_attach(source, agent->context);
}

/* A job for the request @root (taken), answered later to @func; counted until it answers. */
static MeshAgentJob *
job_new(MeshAgent *agent, JsonNode *root, JsonObject *params, gint64 id,
	MeshAgentAnswerFunc func, gpointer user_data)
{
	MeshAgentJob *job = g_new0(MeshAgentJob, 1);

	job->agent = agent;
	job->root = root;
	job->params = params;
	job->id = id;
	job->func = func;
	job->user_data = user_data;
	agent->jobs++;
	return job;
}

static MeshAgentJob *
job_start(MeshAgent *agent, const MeshSessionMethod *method, JsonNode *root, JsonObject *params,
	  gint64 id, MeshAgentAnswerFunc func, gpointer user_data)
{
	MeshAgentJob *job = job_new(agent, root, params, id, func, user_data);

	if (agent->workers == NULL) {
		agent->bridge = mesh_portal_bridge_new(agent->context);
		/* One thread: session methods change the hive, one after the other. */
		agent->workers = g_thread_pool_new(job_run, NULL, 1, FALSE, NULL);
	}
	job->method = method;
	g_thread_pool_push(agent->workers, job, NULL);
	return job;
}

/* ---- The passphrase gate ------------------------------------------------------------------ */

/*
 * For Unlock: its params are checked first (a malformed request is no guess: -1 and @error), then
 * 0 when the gate was entered (call_gated runs it), else the µs to wait before trying again.
 */
static gint64
gate_enter(MeshAgent *agent, JsonObject *params, GError **error)
{
	g_autoptr(MeshSecret) passphrase = NULL;
	gint64 lifetime = 0;

	if (!unlock_params(params, &passphrase, &lifetime, error))
		return -1;
	return mesh_pass_gate_try_enter(agent->gate);
}

/* Run a gated @method, the gate entered, and leave it with the outcome. With the lock held. */
static gboolean
call_gated(MeshAgent *agent, const Method *method, JsonObject *params, JsonObject *result,
	   GError **error)
{
	gboolean ok = method->handler(agent, params, result, error);

	mesh_pass_gate_leave(agent->gate,
			     ok ? MESH_PASS_GATE_RIGHT
			     : g_error_matches(*error, MESH_ERROR, MESH_ERROR_BAD_PASSPHRASE)
				     ? MESH_PASS_GATE_WRONG
				     : MESH_PASS_GATE_UNDECIDED);
	return ok;
}

static gboolean on_gate_open(gpointer user_data);

static void
gate_job_arm(MeshAgentJob *job, gint64 wait_us)
{
	if (job->gate_source != NULL) {
		g_source_destroy(job->gate_source);
		g_source_unref(job->gate_source);
	}
	job->gate_source = g_timeout_source_new((guint)CLAMP((wait_us + 999) / 1000, 0,
							     MESH_PASS_GATE_MAX_MS));
	g_source_set_callback(job->gate_source, on_gate_open, job, NULL);
	g_source_attach(job->gate_source, job->agent->context);
}

/* On the main context: a request waiting at the gate tries again; it is answered once it got
 * through (or the agent stops, or dropped unchecked when its connection has gone). */
static gboolean
on_gate_open(gpointer user_data)
{
	MeshAgentJob *job = user_data;
	MeshAgent *agent = job->agent;
	JsonObject *result = json_object_new();
	g_autoptr(GError) error = NULL;
	gboolean ok = FALSE;

	g_clear_pointer(&job->gate_source, g_source_unref);
	if (job->func != NULL && !g_atomic_int_get(&agent->stopping)) {
		gint64 wait = mesh_pass_gate_try_enter(agent->gate);

		if (wait > 0) {
			json_object_unref(result);
			gate_job_arm(job, wait);
			return G_SOURCE_REMOVE;
		}
		g_mutex_lock(&agent->lock);
		lock_if_expired(agent);
		ok = call_gated(agent, job->gated, job->params, result, &error);
		g_mutex_unlock(&agent->lock);
	} else {
		set_cancelled(&error, job->gated->name);
	}
	job->answer = answer_for(job->id, ok, result, error);
	free_request(g_steal_pointer(&job->root));
	g_ptr_array_remove_fast(agent->gated, job);
	job_done(job);
	return G_SOURCE_REMOVE;
}

static MeshAgentJob *
gate_job_start(MeshAgent *agent, const Method *method, JsonNode *root, JsonObject *params,
	       gint64 id, gint64 wait_us, MeshAgentAnswerFunc func, gpointer user_data)
{
	MeshAgentJob *job = job_new(agent, root, params, id, func, user_data);

	job->gated = method;
	g_ptr_array_add(agent->gated, job);
	gate_job_arm(job, wait_us);
	return job;
}

/* ---- Handling ------------------------------------------------------------------------------ */

/*
 * Answer the request in @root (taken) now, or (@func not NULL) start a worker job for a remote
 * session method and return it. With @agent->lock held.
 */
static MeshAgentJob *
handle_locked(MeshAgent *agent, JsonNode *root, gint64 id, GBytes **ret_answer,
	      gboolean *ret_close, MeshAgentAnswerFunc func, gpointer user_data)
{
	g_autoptr(Request) request = root;
	g_autoptr(GError) error = NULL;
	JsonObject *result = json_object_new();
	JsonObject *params = NULL;
	const Method *method = NULL;
	const MeshSessionMethod *session = NULL;
	gboolean ok, gated;
	gint64 wait = 0;

	lock_if_expired(agent);
	ok = resolve(json_node_get_object(request), &method, &session, &params, ret_close,
		     &error);
	if (ok && session != NULL && session->remote && func != NULL && !agent->restricted) {
		json_object_unref(result);
		*ret_answer = NULL;
		return job_start(agent, session, g_steal_pointer(&request), params, id, func,
				 user_data);
	}
	/* The one method that checks a passphrase runs only behind the gate. */
	gated = ok && method != NULL && method->handler == unlock;
	if (gated) {
		wait = gate_enter(agent, params, &error);
		ok = wait >= 0;
	}
	if (ok && wait > 0 && func != NULL) {
		json_object_unref(result);
		*ret_answer = NULL;
		return gate_job_start(agent, method, g_steal_pointer(&request), params, id, wait,
				      func, user_data);
	}
	if (ok && wait > 0) {
		/* mesh_agent_handle does not block: a caller that must wait is told to. */
		gate_wait_error(&error, wait);
		ok = FALSE;
	} else if (ok && gated) {
		ok = call_gated(agent, method, params, result, &error);
	} else if (ok && session != NULL) {
		ok = call_session(agent, session, NULL, params, result, &error);
	} else if (ok) {
		ok = method->handler(agent, params, result, &error);
	}
	*ret_answer = answer_for(id, ok, result, error);
	return NULL;
}

static MeshAgentJob *
handle(MeshAgent *agent, const guint8 *frame, gsize len, GBytes **ret_answer,
       gboolean *ret_close, MeshAgentAnswerFunc func, gpointer user_data)
{
	MeshAgentJob *job;
	JsonNode *root;
	gint64 id = 0;

	*ret_answer = NULL;
	*ret_close = TRUE;
	root = read_frame(frame, len, &id);
	if (root == NULL)
		return NULL;
	g_mutex_lock(&agent->lock);
	job = handle_locked(agent, root, id, ret_answer, ret_close, func, user_data);
	g_mutex_unlock(&agent->lock);
	return job;
}

void
mesh_agent_handle(MeshAgent *agent, const guint8 *frame, gsize len, GBytes **ret_answer,
		  gboolean *ret_close)
{
	(void)handle(agent, frame, len, ret_answer, ret_close, NULL, NULL);
}

MeshAgentJob *
mesh_agent_handle_async(MeshAgent *agent, const guint8 *frame, gsize len, GBytes **ret_answer,
			gboolean *ret_close, MeshAgentAnswerFunc func, gpointer user_data)
{
	g_return_val_if_fail(func != NULL, NULL);
	return handle(agent, frame, len, ret_answer, ret_close, func, user_data);
}

void
mesh_agent_job_abandon(MeshAgentJob *job)
{
	job->func = NULL;
	job->user_data = NULL;
}

void
mesh_agent_cancel(MeshAgent *agent)
{
	g_atomic_int_set(&agent->stopping, 1);
	/* Checks waiting at the gate give up: on other threads (the ssh-agent socket's), and
	 * here at once (answered Cancelled on the main context's next iteration). */
	mesh_pass_gate_close(agent->gate);
	for (guint i = 0; i < agent->gated->len; i++)
		gate_job_arm(g_ptr_array_index(agent->gated, i), 0);
	if (agent->bridge != NULL)
		mesh_portal_bridge_cancel(agent->bridge);
}

void
mesh_agent_stop(MeshAgent *agent)
{
	mesh_agent_cancel(agent);
	if (agent->workers != NULL) {
		/* Queued jobs run and answer Cancelled; the one running ends at its next wait. */
		g_thread_pool_free(g_steal_pointer(&agent->workers), FALSE, TRUE);
	}
	while (agent->jobs > 0)
		g_main_context_iteration(agent->context, TRUE);
	g_clear_pointer(&agent->bridge, mesh_portal_bridge_free);
}
