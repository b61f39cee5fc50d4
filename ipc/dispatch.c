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
#include "frame.h"
#include "json.h"
#include "secret.h"
#include "session-methods.h"

struct MeshAgent {
	MeshHiveKind kind;
	char *root; /* NULL: $MMM_HOME, else ~/.mmm */
	MeshHive *hive;
	MeshKeyStore *store;
	char *socket_path;
	gint64 pid;
	gboolean restricted;
	/* Unlock's lifetime: monotonic time at which unwrapped keys are wiped (0: until Lock), and
	 * the timeout that does it while the main loop runs. Requests check the time too, so a
	 * busy loop never serves a key past its lifetime. */
	gint64 unlock_expiry;
	guint lock_timer;
	MeshAgentShutdownFunc shutdown;
	gpointer shutdown_data;
	/* The session methods' portal factory (ipc/session-methods.h); NULL: HTTP. */
	MeshSessionPortalOpen open_portal;
	gpointer portal_data;
};

/* Each handler reads @params (an object, empty when the request had none, members already
 * checked against the method's list) and fills the empty @result. */
typedef gboolean (*Handler)(MeshAgent *agent, JsonObject *params, JsonObject *result,
			    GError **error);

typedef struct {
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
	agent->hive = mesh_hive_open(kind, root, error);
	if (agent->hive == NULL)
		return NULL;
	agent->store = mesh_keystore_file_new(agent->hive, error);
	if (agent->store == NULL)
		return NULL;
	return g_steal_pointer(&agent);
}

static void
lock_now(MeshAgent *agent)
{
	if (agent->lock_timer != 0)
		g_source_remove(agent->lock_timer);
	agent->lock_timer = 0;
	agent->unlock_expiry = 0;
	if (agent->store != NULL)
		mesh_keystore_lock(agent->store);
}

void
mesh_agent_free(MeshAgent *agent)
{
	if (agent == NULL)
		return;
	lock_now(agent);
	mesh_keystore_close(agent->store);
	mesh_hive_close(agent->hive);
	g_free(agent->root);
	g_free(agent->socket_path);
	g_free(agent);
}

void
mesh_agent_set_shutdown_func(MeshAgent *agent, MeshAgentShutdownFunc func, gpointer user_data)
{
	agent->shutdown = func;
	agent->shutdown_data = user_data;
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
	json_object_set_int_member(result, "Pid", agent->pid);
	json_object_set_boolean_member(result, "Locked", locked > 0);
	json_object_set_string_member(result, "KeyStore", mesh_keystore_name(agent->store));
	if (default_udf != NULL)
		json_object_set_string_member(result, "DefaultDevice", default_udf);
	json_object_set_int_member(result, "Devices", devices->len);
	json_object_set_int_member(result, "Keys", keys);
	return TRUE;
}

static gboolean
device_create(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(MeshSecret) passphrase = NULL;
	g_autoptr(MeshDeviceProfile) profile = NULL;
	const char *description = NULL;

	if (!mesh_json_get_string_opt(params, "Description", &description, error) ||
	    !get_passphrase(params, FALSE, &passphrase, error) ||
	    !refuse_restricted(agent, "DeviceCreate", error))
		return FALSE;
	/* An empty passphrase means none (backends/openssh.h). */
	if (!mesh_device_create(agent->hive, agent->store, description, passphrase, &profile,
				error))
		return FALSE;
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
	JsonArray *keys;

	if (!mesh_keystore_list(agent->store, &infos, error))
		return FALSE;
	keys = new_array_member(result, "Keys");
	for (guint i = 0; i < infos->len; i++) {
		const MeshKeyInfo *info = infos->pdata[i];
		JsonObject *entry = new_array_object(keys);

		json_object_set_string_member(entry, "UDF", info->udf);
		json_object_set_string_member(entry, "Algorithm", mesh_key_alg_name(info->alg));
		json_object_set_string_member(entry, "Use", mesh_key_use_name(info->use));
		json_object_set_string_member(entry, "Store", mesh_keystore_name(agent->store));
		json_object_set_boolean_member(entry, "Locked", info->locked);
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

static gboolean
on_lifetime_end(gpointer user_data)
{
	MeshAgent *agent = user_data;

	agent->lock_timer = 0;
	lock_now(agent);
	return G_SOURCE_REMOVE;
}

static gboolean
lock(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	lock_now(agent);
	return TRUE;
}

static gboolean
unlock(MeshAgent *agent, JsonObject *params, JsonObject *result, GError **error)
{
	g_autoptr(MeshSecret) passphrase = NULL;
	gint64 lifetime = MESH_AGENT_LIFETIME_DEFAULT;
	guint keys = 0, before = 0, after = 0;

	if (!get_passphrase(params, TRUE, &passphrase, error))
		return FALSE;
	if (json_object_has_member(params, "Lifetime") &&
	    !mesh_json_get_int(params, "Lifetime", &lifetime, error))
		return FALSE;
	if (lifetime < 0 || lifetime > MESH_AGENT_LIFETIME_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "\"Lifetime\" must be 0 (until Lock) to %d seconds",
			    MESH_AGENT_LIFETIME_MAX);
		return FALSE;
	}
	if (!count_keys(agent, &keys, &before, error) ||
	    !mesh_keystore_unlock(agent->store, passphrase, error) ||
	    !count_keys(agent, &keys, &after, error))
		return FALSE;
	/* A new Unlock sets a new lifetime for every unwrapped key. */
	if (agent->lock_timer != 0)
		g_source_remove(agent->lock_timer);
	agent->lock_timer = 0;
	agent->unlock_expiry = 0;
	if (lifetime > 0) {
		agent->unlock_expiry = g_get_monotonic_time() + lifetime * G_USEC_PER_SEC;
		agent->lock_timer = g_timeout_add_seconds((guint)lifetime, on_lifetime_end, agent);
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
	{ "DeviceCreate", device_create, (const char *const[]){ "Description", "Passphrase", NULL } },
	{ "DeviceGet", device_get, (const char *const[]){ "Identifier", NULL } },
	{ "DeviceList", device_list, no_params },
	{ "KeyList", key_list, no_params },
	{ "KeyPublic", key_public, (const char *const[]){ "UDF", NULL } },
	{ "KeySign", key_sign, (const char *const[]){ "UDF", "Data", NULL } },
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
	/* Answers carry shares and passwords: wipe the tree's copies too. */
	wipe_strings(root);
	return g_bytes_new_take(text, strlen(text));
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

static gboolean
call(MeshAgent *agent, JsonObject *request, JsonObject *result, gboolean *ret_close,
     GError **error)
{
	g_autoptr(JsonObject) empty = json_object_new();
	JsonObject *params = empty;
	const char *name = NULL;
	const Method *method;
	const MeshSessionMethod *session_method;

	if (!read_request(request, &name, &params, ret_close, error))
		return FALSE;
	session_method = mesh_session_method_find(name);
	if (session_method != NULL) {
		if (!mesh_json_check_members(params, session_method->params, error)) {
			g_prefix_error(error, "%s: ", name);
			return FALSE;
		}
		return mesh_session_method_call(session_method, agent->hive, agent->store,
						agent->open_portal, agent->portal_data,
						agent->restricted, params, result, error);
	}
	if ((method = find_method(name, error)) == NULL)
		return FALSE;
	if (!mesh_json_check_members(params, method->params, error)) {
		g_prefix_error(error, "%s: ", name);
		return FALSE;
	}
	return method->handler(agent, params, result, error);
}

void
mesh_agent_handle(MeshAgent *agent, const guint8 *frame, gsize len, GBytes **ret_answer,
		  gboolean *ret_close)
{
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) answer = NULL;
	JsonObject *request, *result;
	JsonNode *id_node;
	gboolean must_close = TRUE;
	gint64 id;

	*ret_answer = NULL;
	*ret_close = TRUE;
	if (agent->unlock_expiry != 0 && g_get_monotonic_time() >= agent->unlock_expiry)
		lock_now(agent);
	root = mesh_json_parse((const char *)frame, len, MESH_FRAME_MAX, NULL);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		goto out;
	request = json_node_get_object(root);
	/* Without an Id there is no answer a client could match: the connection just closes. */
	id_node = json_object_get_member(request, "Id");
	if (id_node == NULL || !JSON_NODE_HOLDS_VALUE(id_node) ||
	    json_node_get_value_type(id_node) != G_TYPE_INT64)
		goto out;
	id = json_node_get_int(id_node);
	if (id < 0 || id > MESH_AGENT_ID_MAX)
		goto out;
	result = json_object_new();
	if (call(agent, request, result, &must_close, &error)) {
		answer = build_answer(id, "Result", result);
	} else {
		json_object_unref(result);
		answer = error_answer(id, error);
	}
	if (g_bytes_get_size(answer) > MESH_FRAME_MAX) {
		g_clear_error(&error);
		g_set_error(&error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "the answer would be larger than a frame (%d bytes)", MESH_FRAME_MAX);
		g_bytes_unref(answer);
		answer = error_answer(id, error);
	}
	*ret_answer = g_steal_pointer(&answer);
	*ret_close = must_close;
out:
	if (root != NULL)
		wipe_strings(root);
}
