/* SPDX-License-Identifier: MIT */
/*
 * libmeshclient: the session methods of <mesh/client.h> that manage accounts: profiles, escrow
 * and recovery, connecting devices.
 */
#include "client-private.h"

#include <string.h>

#include "json.h"
#include "secjson.h"

void
mesh_client_profile_free(MeshClientProfile *profile)
{
	if (profile == NULL)
		return;
	g_free(profile->identifier);
	g_free(profile->account);
	mesh_client_strings_free(profile->devices, profile->n_devices);
	mesh_client_apps_free(profile->applications, profile->n_applications);
	g_free(profile->portal);
	g_free(profile->admin_key);
	mesh_client_strings_free(profile->escrows, profile->n_escrows);
	mesh_client_profile_devices_free(profile->demoted, profile->n_demoted);
	mesh_client_strings_free(profile->notes, profile->n_notes);
	g_free(profile);
}

/* A profile result (ProfileCreate, ProfileGet, ProfileSync, ProfileRecover); the whole result
 * in *@ret_result (may be NULL). */
static MeshError
profile_call_result(MeshClient *client, const char *method, const Member *params,
		    gsize n_params, MeshClientProfile **ret_profile, JsonNode **ret_result)
{
	g_autoptr(JsonNode) result = NULL;
	MeshClientProfile *profile;
	JsonObject *obj;
	MeshError code;

	code = client_call(client, method, params, n_params, &result);
	if (code != MESH_ERROR_OK)
		return code;
	obj = json_node_get_object(result);
	profile = g_new0(MeshClientProfile, 1);
	client_take_string(client, obj, "Identifier", TRUE, &profile->identifier, &code);
	client_take_string(client, obj, "Account", TRUE, &profile->account, &code);
	client_take_int(client, obj, "Serial", &profile->serial, &code);
	profile->devices = client_take_strings(client, obj, "Devices", &profile->n_devices, &code);
	profile->applications = client_take_apps(client, obj, &profile->n_applications, &code);
	client_take_string(client, obj, "Portal", FALSE, &profile->portal, &code);
	client_take_string(client, obj, "AdministrationKey", FALSE, &profile->admin_key, &code);
	client_take_bool(client, obj, "MasterKeys", &profile->master_keys, &code);
	profile->escrows = client_take_strings(client, obj, "Escrows", &profile->n_escrows, &code);
	if (code == MESH_ERROR_OK && json_object_has_member(obj, "Demoted"))
		profile->demoted = client_take_list(client, obj, "Demoted",
		                                    sizeof(MeshClientProfileDevice),
		                                    client_read_profile_device, &profile->n_demoted,
		                                    &code);
	if (json_object_has_member(obj, "Notes"))
		profile->notes = client_take_strings(client, obj, "Notes", &profile->n_notes, &code);
	if (code != MESH_ERROR_OK || ret_profile == NULL) {
		mesh_client_profile_free(profile);
		if (code == MESH_ERROR_OK && ret_result != NULL)
			*ret_result = g_steal_pointer(&result);
		return code;
	}
	*ret_profile = profile;
	if (ret_result != NULL)
		*ret_result = g_steal_pointer(&result);
	return MESH_ERROR_OK;
}

static MeshError
profile_call(MeshClient *client, const char *method, const Member *params, gsize n_params,
	     MeshClientProfile **ret_profile)
{
	return profile_call_result(client, method, params, n_params, ret_profile, NULL);
}

MeshError
mesh_client_account_default(MeshClient *client, const char *account, char **ret_default)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { ACCOUNT(account) };
	g_autofree char *def = NULL;
	MeshError code;

	if (client == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call(client, "AccountDefault", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	client_take_string(client, json_node_get_object(result), "Default", FALSE, &def, &code);
	if (code != MESH_ERROR_OK)
		return code;
	if (ret_default != NULL)
		*ret_default = g_steal_pointer(&def);
	return MESH_ERROR_OK;
}

MeshError
mesh_client_account_validate(MeshClient *client, const char *account, int *ret_valid,
			     char **ret_reason)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { { "Account", 's', account, 0 }, PORTAL_URL(client),
				  PORTAL_CA(client) };
	g_autofree char *reason = NULL;
	MeshError code;
	int valid = 0;

	if (client == NULL || account == NULL || ret_valid == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call(client, "AccountValidate", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	client_take_bool(client, json_node_get_object(result), "Valid", &valid, &code);
	client_take_string(client, json_node_get_object(result), "Reason", FALSE, &reason, &code);
	if (code != MESH_ERROR_OK)
		return code;
	*ret_valid = valid;
	if (ret_reason != NULL)
		*ret_reason = g_steal_pointer(&reason);
	return MESH_ERROR_OK;
}

MeshError
mesh_client_profile_create(MeshClient *client, const char *account,
			   MeshClientProfile **ret_profile)
{
	const Member params[] = {{"Account", 's', account, 0},
	                         PORTAL_URL(client),
	                         PORTAL_CA(client),
	                         KEYSTORE(client),
	                         PASSPHRASE(client)};

	if (client == NULL || account == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	return profile_call(client, "ProfileCreate", params, G_N_ELEMENTS(params), ret_profile);
}

MeshError
mesh_client_profile_get(MeshClient *client, const char *account, MeshClientProfile **ret_profile)
{
	const Member params[] = { ACCOUNT(account) };

	return profile_call(client, "ProfileGet", params, G_N_ELEMENTS(params), ret_profile);
}

MeshError
mesh_client_profile_list(MeshClient *client, char ***ret_accounts, size_t *ret_n,
			 char **ret_default)
{
	g_autoptr(JsonNode) result = NULL;
	g_autofree char *default_account = NULL;
	char **accounts;
	size_t n = 0;
	MeshError code;

	if (client == NULL || ret_accounts == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call(client, "ProfileList", NULL, 0, &result);
	if (code != MESH_ERROR_OK)
		return code;
	accounts = client_take_strings(client, json_node_get_object(result), "Accounts", &n, &code);
	client_take_string(client, json_node_get_object(result), "Default", FALSE, &default_account,
		    &code);
	if (code != MESH_ERROR_OK) {
		mesh_client_strings_free(accounts, n);
		return code;
	}
	*ret_accounts = accounts;
	if (ret_n != NULL)
		*ret_n = n;
	if (ret_default != NULL)
		*ret_default = g_steal_pointer(&default_account);
	return MESH_ERROR_OK;
}

MeshError
mesh_client_profile_sync(MeshClient *client, const char *account,
			 MeshClientProfile **ret_profile)
{
	return mesh_client_profile_sync_report(client, account, ret_profile, NULL);
}

static void
queued_clear(MeshClientQueued *q, size_t n)
{
	for (size_t i = 0; q != NULL && i < n; i++) {
		g_free(q[i].operation);
		g_free(q[i].application);
		g_free(q[i].site);
		g_free(q[i].username);
		g_free(q[i].queued);
		g_free(q[i].conflict);
	}
	g_free(q);
}

void
mesh_client_queue_free(MeshClientQueue *queue)
{
	if (queue == NULL)
		return;
	queued_clear(queue->queued, queue->n_queued);
	queued_clear(queue->conflicts, queue->n_conflicts);
	g_free(queue);
}

/* The array @member of @obj: [{"Operation", "Application", "Site"?, "Username"?, "Queued",
 * "Conflict"?}]. */
static MeshClientQueued *
take_queued(MeshClient *client, JsonObject *obj, const char *member, size_t *ret_n,
	    MeshError *code)
{
	JsonArray *array = client_take_array(client, obj, member, code);
	guint n = array != NULL ? json_array_get_length(array) : 0;
	MeshClientQueued *q = g_new0(MeshClientQueued, n + 1);

	for (guint i = 0; i < n && *code == MESH_ERROR_OK; i++) {
		JsonNode *node = json_array_get_element(array, i);
		JsonObject *e;

		if (!JSON_NODE_HOLDS_OBJECT(node)) {
			*code = client_fail(client, MESH_ERROR_PROTOCOL,
					    "the agent's answer: %s holds a non-object", member);
			break;
		}
		e = json_node_get_object(node);
		client_take_string(client, e, "Operation", TRUE, &q[i].operation, code);
		client_take_string(client, e, "Application", TRUE, &q[i].application, code);
		client_take_string(client, e, "Site", FALSE, &q[i].site, code);
		client_take_string(client, e, "Username", FALSE, &q[i].username, code);
		client_take_string(client, e, "Queued", TRUE, &q[i].queued, code);
		client_take_string(client, e, "Conflict", FALSE, &q[i].conflict, code);
	}
	*ret_n = n;
	return q;
}

/* The queue report of @result: @member (queued or published) and "Conflicts". */
static MeshError
take_queue(MeshClient *client, JsonNode *result, const char *member, MeshClientQueue **ret)
{
	JsonObject *obj = json_node_get_object(result);
	MeshClientQueue *queue = g_new0(MeshClientQueue, 1);
	MeshError code = MESH_ERROR_OK;

	queue->queued = take_queued(client, obj, member, &queue->n_queued, &code);
	queue->conflicts = take_queued(client, obj, "Conflicts", &queue->n_conflicts, &code);
	if (code != MESH_ERROR_OK) {
		mesh_client_queue_free(queue);
		return code;
	}
	*ret = queue;
	return MESH_ERROR_OK;
}

MeshError
mesh_client_profile_sync_report(MeshClient *client, const char *account,
				MeshClientProfile **ret_profile, MeshClientQueue **ret_report)
{
	const Member params[] = { ACCOUNT(account), PORTAL_URL(client), PORTAL_CA(client) };
	g_autoptr(JsonNode) result = NULL;
	MeshClientProfile *profile = NULL;
	MeshClientQueue *report = NULL;
	MeshError code;

	code = profile_call_result(client, "ProfileSync", params, G_N_ELEMENTS(params), &profile,
				   &result);
	if (code == MESH_ERROR_OK && ret_report != NULL)
		code = take_queue(client, result, "Published", &report);
	if (code != MESH_ERROR_OK) {
		mesh_client_profile_free(profile);
		return code;
	}
	if (ret_profile != NULL)
		*ret_profile = profile;
	else
		mesh_client_profile_free(profile);
	if (ret_report != NULL)
		*ret_report = report;
	return MESH_ERROR_OK;
}

MeshError
mesh_client_profile_status(MeshClient *client, const char *account, MeshClientQueue **ret_status)
{
	const Member params[] = { ACCOUNT(account) };
	g_autoptr(JsonNode) result = NULL;
	MeshError code;

	if (client == NULL || ret_status == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call(client, "ProfileStatus", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	return take_queue(client, result, "Queued", ret_status);
}

static void
read_damage(MeshClient *client, JsonObject *obj, gpointer element, MeshError *code)
{
	MeshClientDamage *damage = element;
	gint64 value = 0;

	client_take_string(client, obj, "Entry", TRUE, &damage->entry, code);
	client_take_string(client, obj, "Account", FALSE, &damage->account, code);
	client_take_int(client, obj, "Code", &value, code);
	client_take_string(client, obj, "Message", TRUE, &damage->message, code);
	client_take_string(client, obj, "Fix", TRUE, &damage->fix, code);
	if (*code == MESH_ERROR_OK && (value <= 0 || value > 255))
		*code = client_fail(client, MESH_ERROR_PROTOCOL,
			     "the agent's answer: a damaged entry's Code is out of range");
	damage->code = (MeshError)value;
}

void
mesh_client_damages_free(MeshClientDamage *damages, size_t n)
{
	if (damages == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		g_free(damages[i].entry);
		g_free(damages[i].account);
		g_free(damages[i].message);
		g_free(damages[i].fix);
	}
	g_free(damages);
}

MeshError
mesh_client_profile_list_damaged(MeshClient *client, MeshClientDamage **ret_damages,
				 size_t *ret_n)
{
	gpointer damages = NULL;
	size_t n = 0;
	MeshError code;

	if (client == NULL || ret_damages == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call_list(client, "ProfileList", "Damaged", sizeof(MeshClientDamage), read_damage,
			 &damages, &n);
	if (code != MESH_ERROR_OK) {
		mesh_client_damages_free(damages, n);
		return code;
	}
	*ret_damages = damages;
	if (ret_n != NULL)
		*ret_n = n;
	return MESH_ERROR_OK;
}

MeshError
mesh_client_profile_set_portal(MeshClient *client, const char *account, const char *url,
			       MeshClientProfile **ret_profile)
{
	const Member params[] = { ACCOUNT(account), { "Portal", 's', url, 0 },
				  PORTAL_CA(client) };

	if (client == NULL || url == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	return profile_call(client, "ProfileSetPortal", params, G_N_ELEMENTS(params),
			    ret_profile);
}

static MeshError
profile_delete(MeshClient *client, const char *account, gboolean force)
{
	const Member params[] = {{"Account", 's', account, 0},
	                         {force ? "Force" : NULL, 'b', NULL, 1}};

	if (client == NULL || account == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	return client_call(client, "ProfileDelete", params, G_N_ELEMENTS(params), NULL);
}

MeshError
mesh_client_profile_delete(MeshClient *client, const char *account)
{
	return profile_delete(client, account, FALSE);
}

MeshError
mesh_client_profile_delete_force(MeshClient *client, const char *account)
{
	return profile_delete(client, account, TRUE);
}

MeshError
mesh_client_escrow_revoke(MeshClient *client, const char *account, const char *identifier,
			  char **ret_identifier, char **ret_account)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { ACCOUNT(account),
				  { identifier != NULL ? "Identifier" : NULL, 's', identifier, 0 },
				  PORTAL_URL(client), PORTAL_CA(client) };
	g_autofree char *revoked = NULL;
	g_autofree char *of = NULL;
	MeshError code;

	if (client == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call(client, "EscrowRevoke", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	client_take_string(client, json_node_get_object(result), "Identifier", TRUE, &revoked,
			   &code);
	client_take_string(client, json_node_get_object(result), "Account", TRUE, &of, &code);
	if (code != MESH_ERROR_OK)
		return code;
	if (ret_identifier != NULL)
		*ret_identifier = g_steal_pointer(&revoked);
	if (ret_account != NULL)
		*ret_account = g_steal_pointer(&of);
	return MESH_ERROR_OK;
}

MeshError
mesh_client_escrow_create(MeshClient *client, const char *account, int quorum, int shares,
			  char ***ret_shares, size_t *ret_n, char **ret_identifier)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { ACCOUNT(account), { "Quorum", 'i', NULL, quorum },
				  { "Shares", 'i', NULL, shares }, PORTAL_URL(client), PORTAL_CA(client) };
	g_autofree char *identifier = NULL;
	char **texts;
	size_t n = 0;
	MeshError code;

	if (client == NULL || ret_shares == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call(client, "EscrowCreate", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	client_take_string(client, json_node_get_object(result), "Identifier", FALSE, &identifier, &code);
	texts = client_take_strings(client, json_node_get_object(result), "Shares", &n, &code);
	mesh_secjson_wipe(result);
	if (code != MESH_ERROR_OK) {
		mesh_client_secrets_free(texts, n);
		return code;
	}
	*ret_shares = texts;
	if (ret_n != NULL)
		*ret_n = n;
	if (ret_identifier != NULL)
		*ret_identifier = g_steal_pointer(&identifier);
	return MESH_ERROR_OK;
}

MeshError
mesh_client_escrow_verify(MeshClient *client, const char *account, const char *const *shares,
			  size_t n)
{
	char *list;
	MeshError code;

	if (client == NULL || (shares == NULL && n > 0))
		return MESH_ERROR_INVALID_ARGUMENT;
	list = client_string_array(shares, n);
	if (list == NULL)
		return client_fail(client, MESH_ERROR_INVALID_ARGUMENT,
			    "a share is missing or not valid UTF-8 text");
	{
		const Member params[] = { ACCOUNT(account), { "Shares", 'j', list, 0 },
					  PORTAL_URL(client), PORTAL_CA(client) };

		code = client_call(client, "EscrowVerify", params, G_N_ELEMENTS(params), NULL);
	}
	client_wipe_text(list);
	return code;
}

MeshError
mesh_client_profile_recover(MeshClient *client, const char *account, const char *const *shares,
			    size_t n, MeshClientProfile **ret_profile)
{
	char *list;
	MeshError code;

	if (client == NULL || account == NULL || (shares == NULL && n > 0))
		return MESH_ERROR_INVALID_ARGUMENT;
	list = client_string_array(shares, n);
	if (list == NULL)
		return client_fail(client, MESH_ERROR_INVALID_ARGUMENT,
			    "a share is missing or not valid UTF-8 text");
	{
		const Member params[] = {{"Account", 's', account, 0},
		                         {"Shares", 'j', list, 0},
		                         PORTAL_URL(client),
		                         PORTAL_CA(client),
		                         KEYSTORE(client),
		                         PASSPHRASE(client)};

		code = profile_call(client, "ProfileRecover", params, G_N_ELEMENTS(params),
				    ret_profile);
	}
	client_wipe_text(list);
	return code;
}

void
mesh_client_connect_free(MeshClientConnect *connect)
{
	if (connect == NULL)
		return;
	g_free(connect->profile_udf);
	g_free(connect->device_udf);
	g_free(connect->witness);
	g_free(connect);
}

MeshError
mesh_client_connect_request(MeshClient *client, const char *account,
			    MeshClientConnect **ret_connect)
{
	return mesh_client_connect_request_pin(client, account, NULL, NULL, ret_connect);
}

MeshError
mesh_client_connect_request_pin(MeshClient *client, const char *account, const char *pin,
				const char *description, MeshClientConnect **ret_connect)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = {{"Account", 's', account, 0},
	                         PORTAL_URL(client),
	                         PORTAL_CA(client),
	                         KEYSTORE(client),
	                         PASSPHRASE(client),
	                         {pin != NULL ? "Pin" : NULL, 's', pin, 0},
	                         {description != NULL ? "Description" : NULL, 's', description, 0}};
	MeshClientConnect *connect;
	JsonObject *obj;
	MeshError code;

	if (client == NULL || account == NULL || ret_connect == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call(client, "ConnectRequest", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	obj = json_node_get_object(result);
	connect = g_new0(MeshClientConnect, 1);
	client_take_string(client, obj, "ProfileUDF", TRUE, &connect->profile_udf, &code);
	client_take_string(client, obj, "DeviceUDF", TRUE, &connect->device_udf, &code);
	client_take_string(client, obj, "Witness", TRUE, &connect->witness, &code);
	if (code != MESH_ERROR_OK) {
		mesh_client_connect_free(connect);
		return code;
	}
	*ret_connect = connect;
	return MESH_ERROR_OK;
}

MeshError
mesh_client_connect_status(MeshClient *client, const char *account, char **ret_state)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { ACCOUNT(account), PORTAL_URL(client), PORTAL_CA(client) };
	g_autofree char *state = NULL;
	MeshError code;

	if (client == NULL || ret_state == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call(client, "ConnectStatus", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	client_take_string(client, json_node_get_object(result), "State", TRUE, &state, &code);
	if (code != MESH_ERROR_OK)
		return code;
	*ret_state = g_steal_pointer(&state);
	return MESH_ERROR_OK;
}

void
mesh_client_pending_free(MeshClientPending *pending, size_t n)
{
	if (pending == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		g_free(pending[i].device_udf);
		g_free(pending[i].description);
		g_free(pending[i].witness);
		g_free(pending[i].expires);
	}
	g_free(pending);
}

MeshError
mesh_client_connect_pending(MeshClient *client, const char *account,
			    MeshClientPending **ret_pending, size_t *ret_n)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { ACCOUNT(account), PORTAL_URL(client), PORTAL_CA(client) };
	MeshClientPending *pending;
	JsonArray *array;
	MeshError code;
	guint n;

	if (client == NULL || ret_pending == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call(client, "ConnectPending", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	array = client_take_array(client, json_node_get_object(result), "Pending", &code);
	if (code != MESH_ERROR_OK)
		return code;
	n = json_array_get_length(array);
	pending = g_new0(MeshClientPending, n + 1);
	for (guint i = 0; i < n && code == MESH_ERROR_OK; i++) {
		JsonNode *node = json_array_get_element(array, i);
		JsonObject *obj;

		if (!JSON_NODE_HOLDS_OBJECT(node)) {
			code = client_fail(client, MESH_ERROR_PROTOCOL,
				    "the agent's answer: a pending request is not an object");
			break;
		}
		obj = json_node_get_object(node);
		client_take_string(client, obj, "DeviceUDF", TRUE, &pending[i].device_udf, &code);
		client_take_string(client, obj, "Description", FALSE, &pending[i].description, &code);
		client_take_string(client, obj, "Witness", TRUE, &pending[i].witness, &code);
		client_take_string(client, obj, "Expires", TRUE, &pending[i].expires, &code);
	}
	if (code != MESH_ERROR_OK) {
		mesh_client_pending_free(pending, n);
		return code;
	}
	*ret_pending = pending;
	if (ret_n != NULL)
		*ret_n = n;
	return MESH_ERROR_OK;
}

void
mesh_client_pin_free(MeshClientPin *pin)
{
	if (pin == NULL)
		return;
	client_wipe_text(pin->pin);
	client_wipe_text(pin->uri);
	g_free(pin->pin_id);
	g_free(pin->expires);
	g_free(pin);
}

MeshError
mesh_client_connect_pin(MeshClient *client, const char *account, int64_t expire_seconds,
			int admin, MeshClientPin **ret_pin)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { ACCOUNT(account),
				  { expire_seconds != 0 ? "Expire" : NULL, 'i', NULL,
				    expire_seconds },
				  { "Admin", 'b', NULL, admin != 0 } };
	MeshClientPin *pin;
	JsonObject *obj;
	MeshError code;

	if (client == NULL || ret_pin == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call(client, "ConnectPin", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	obj = json_node_get_object(result);
	pin = g_new0(MeshClientPin, 1);
	client_take_string(client, obj, "Pin", TRUE, &pin->pin, &code);
	client_take_string(client, obj, "Uri", TRUE, &pin->uri, &code);
	client_take_string(client, obj, "PinId", TRUE, &pin->pin_id, &code);
	client_take_string(client, obj, "Expires", TRUE, &pin->expires, &code);
	client_take_bool(client, obj, "Admin", &pin->admin, &code);
	/* The PIN and the URI are secrets: the answer's copies go. */
	mesh_secjson_wipe(result);
	if (code != MESH_ERROR_OK) {
		mesh_client_pin_free(pin);
		return code;
	}
	*ret_pin = pin;
	return MESH_ERROR_OK;
}

void
mesh_client_pin_infos_free(MeshClientPinInfo *pins, size_t n)
{
	if (pins == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		g_free(pins[i].pin_id);
		g_free(pins[i].expires);
	}
	g_free(pins);
}

static void
read_pin_info(MeshClient *client, JsonObject *obj, gpointer element, MeshError *code)
{
	MeshClientPinInfo *pin = element;

	client_take_string(client, obj, "PinId", TRUE, &pin->pin_id, code);
	client_take_string(client, obj, "Expires", TRUE, &pin->expires, code);
	client_take_bool(client, obj, "Admin", &pin->admin, code);
	client_take_bool(client, obj, "Used", &pin->used, code);
	client_take_bool(client, obj, "Expired", &pin->expired, code);
}

MeshError
mesh_client_connect_pin_list(MeshClient *client, const char *account,
			     MeshClientPinInfo **ret_pins, size_t *ret_n)
{
	const Member params[] = { ACCOUNT(account) };
	MeshClientPinInfo *pins = NULL;
	size_t n = 0;
	MeshError code;

	if (client == NULL || ret_pins == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call_list_with(client, "ConnectPinList", params, G_N_ELEMENTS(params), "Pins",
				     sizeof *pins, read_pin_info, (gpointer *)&pins, &n);
	if (code != MESH_ERROR_OK) {
		mesh_client_pin_infos_free(pins, n);
		return code;
	}
	*ret_pins = pins;
	if (ret_n != NULL)
		*ret_n = n;
	return MESH_ERROR_OK;
}

MeshError
mesh_client_connect_pin_revoke(MeshClient *client, const char *account, const char *pin_id,
			       char **ret_pin_id)
{
	g_autoptr(JsonNode) result = NULL;
	const Member params[] = { ACCOUNT(account), { "PinId", 's', pin_id, 0 } };
	g_autofree char *revoked = NULL;
	MeshError code;

	if (client == NULL || pin_id == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	code = client_call(client, "ConnectPinRevoke", params, G_N_ELEMENTS(params), &result);
	if (code != MESH_ERROR_OK)
		return code;
	client_take_string(client, json_node_get_object(result), "PinId", TRUE, &revoked, &code);
	if (code != MESH_ERROR_OK)
		return code;
	if (ret_pin_id != NULL)
		*ret_pin_id = g_steal_pointer(&revoked);
	return MESH_ERROR_OK;
}

static MeshError
connect_answer(MeshClient *client, const char *method, const char *account, const char *witness)
{
	const Member params[] = { ACCOUNT(account), { "Witness", 's', witness, 0 },
				  PORTAL_URL(client), PORTAL_CA(client) };

	if (client == NULL || witness == NULL)
		return MESH_ERROR_INVALID_ARGUMENT;
	return client_call(client, method, params, G_N_ELEMENTS(params), NULL);
}

MeshError
mesh_client_connect_accept(MeshClient *client, const char *account, const char *witness)
{
	return connect_answer(client, "ConnectAccept", account, witness);
}

MeshError
mesh_client_connect_reject(MeshClient *client, const char *account, const char *witness)
{
	return connect_answer(client, "ConnectReject", account, witness);
}
