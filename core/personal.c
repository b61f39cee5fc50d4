/* SPDX-License-Identifier: MIT */
#include "personal.h"

#include <string.h>

#include "error.h"
#include "json.h"
#include "signed.h"
#include "text.h"
#include "udf.h"

#define PERSONAL_TAG "PersonalProfile"
#define SIGNED_MASTER_TAG "SignedMasterProfile"

/* ---- Account names --------------------------------------------------------------------- */

static gboolean
account_error(const char *account, const char *rule, GError **error)
{
	g_autofree char *quoted = mesh_error_quote(account);

	g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		    "\"%s\" is not a valid account name: %s", quoted, rule);
	return FALSE;
}

static gboolean
check_domain(const char *account, const char *domain, GError **error)
{
	gsize len = strlen(domain), label = 0, labels = 0;

	if (len == 0 || len > MESH_ACCOUNT_DOMAIN_MAX)
		return account_error(account, "the domain must be 1 to 253 characters", error);
	for (gsize i = 0; i <= len; i++) {
		char c = domain[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || domain[i - 1] == '-' ||
			    domain[i - label] == '-')
				return account_error(account,
						     "each label of the domain must be 1 to 63 "
						     "characters, not starting or ending with '-'",
						     error);
			labels++;
			label = 0;
		} else if (g_ascii_islower(c) || g_ascii_isdigit(c) || c == '-') {
			label++;
		} else {
			return account_error(account,
					     "the domain may hold only a-z, 0-9, '-' and '.'",
					     error);
		}
	}
	if (labels < 2)
		return account_error(account, "the domain needs at least two labels", error);
	return TRUE;
}

gboolean
mesh_personal_check_account(const char *account, GError **error)
{
	const char *at;
	gsize local;

	if (account == NULL)
		return account_error(account, "no name given", error);
	at = strchr(account, '@');
	local = at != NULL ? (gsize)(at - account) : strlen(account);
	if (local == 0 || local > MESH_ACCOUNT_LOCAL_MAX)
		return account_error(account, "the name before '@' must be 1 to 63 characters",
				     error);
	if (account[0] == '.')
		return account_error(account, "it must not start with '.'", error);
	for (gsize i = 0; i < local; i++) {
		char c = account[i];

		if (!g_ascii_islower(c) && !g_ascii_isdigit(c) && c != '.' && c != '_' && c != '-')
			return account_error(account,
					     "use only a-z, 0-9, '.', '_' and '-' before '@'",
					     error);
	}
	return at == NULL || check_domain(account, at + 1, error);
}

/* ---- Application entries --------------------------------------------------------------- */

static const char *const type_names[] = {
	[MESH_APPLICATION_PASSWORD] = "PasswordProfile",
	[MESH_APPLICATION_SSH] = "SSHProfile",
	[MESH_APPLICATION_GENERIC] = "GenericProfile",
};

const char *
mesh_application_type_name(MeshApplicationType type)
{
	if ((guint)type >= G_N_ELEMENTS(type_names))
		return NULL;
	return type_names[type];
}

gboolean
mesh_application_type_from_name(const char *name, MeshApplicationType *ret_type, GError **error)
{
	g_autofree char *quoted = NULL;

	for (guint i = 1; name != NULL && i < G_N_ELEMENTS(type_names); i++) {
		if (g_str_equal(name, type_names[i])) {
			*ret_type = (MeshApplicationType)i;
			return TRUE;
		}
	}
	quoted = mesh_error_quote(name);
	g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
		    "unknown application type \"%s\": use PasswordProfile, SSHProfile or "
		    "GenericProfile",
		    quoted);
	return FALSE;
}

void
mesh_application_entry_free(MeshApplicationEntry *entry)
{
	if (entry == NULL)
		return;
	g_free(entry->identifier);
	g_free(entry->friendly);
	if (entry->sign_id != NULL)
		g_ptr_array_unref(entry->sign_id);
	if (entry->decrypt_id != NULL)
		g_ptr_array_unref(entry->decrypt_id);
	g_free(entry);
}

static gboolean
in_list(GPtrArray *list, const char *text)
{
	for (guint i = 0; i < list->len; i++) {
		if (g_str_equal(list->pdata[i], text))
			return TRUE;
	}
	return FALSE;
}

/* Add the device UDF @udf to @list, refusing a malformed UDF and a repeat. */
static gboolean
add_device_id(GPtrArray *list, const char *member, const char *udf, GError **error)
{
	if (!mesh_signed_check_udf(member, udf, -1, error))
		return FALSE;
	if (in_list(list, udf)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "%s lists a device twice",
			    member);
		return FALSE;
	}
	if (list->len >= MESH_PERSONAL_DEVICES_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE, "%s lists too many devices",
			    member);
		return FALSE;
	}
	g_ptr_array_add(list, g_strdup(udf));
	return TRUE;
}

MeshApplicationEntry *
mesh_application_entry_new(const char *identifier, MeshApplicationType type,
			   const char *friendly, const char *const *sign_id,
			   const char *const *decrypt_id, GError **error)
{
	g_autoptr(MeshApplicationEntry) entry = g_new0(MeshApplicationEntry, 1);

	entry->sign_id = g_ptr_array_new_with_free_func(g_free);
	entry->decrypt_id = g_ptr_array_new_with_free_func(g_free);
	if (mesh_application_type_name(type) == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "unknown application type %d", (int)type);
		return NULL;
	}
	if (!mesh_signed_check_udf("the application's Identifier", identifier, MESH_UDF_TYPE_NONCE,
				   error) ||
	    !mesh_signed_check_text("friendly name", friendly, MESH_PROFILE_TEXT_MAX, error))
		goto invalid;
	for (gsize i = 0; sign_id != NULL && sign_id[i] != NULL; i++) {
		if (!add_device_id(entry->sign_id, "SignID", sign_id[i], error))
			goto invalid;
	}
	for (gsize i = 0; decrypt_id != NULL && decrypt_id[i] != NULL; i++) {
		if (!add_device_id(entry->decrypt_id, "DecryptID", decrypt_id[i], error))
			goto invalid;
	}
	entry->identifier = g_strdup(identifier);
	entry->type = type;
	entry->friendly = g_strdup(friendly);
	return g_steal_pointer(&entry);
invalid:
	mesh_signed_recode(error, MESH_ERROR_INVALID_ARGUMENT);
	return NULL;
}

static JsonArray *
string_array(GPtrArray *list)
{
	JsonArray *array = json_array_new();

	for (guint i = 0; i < list->len; i++)
		json_array_add_string_element(array, list->pdata[i]);
	return array;
}

static JsonNode *
entry_to_json(const MeshApplicationEntry *entry)
{
	JsonObject *obj = json_object_new();
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);

	json_object_set_string_member(obj, "Identifier", entry->identifier);
	json_object_set_string_member(obj, "Type", mesh_application_type_name(entry->type));
	if (entry->friendly != NULL)
		json_object_set_string_member(obj, "Friendly", entry->friendly);
	json_object_set_array_member(obj, "SignID", string_array(entry->sign_id));
	json_object_set_array_member(obj, "DecryptID", string_array(entry->decrypt_id));
	json_node_take_object(node, obj);
	return node;
}

static gboolean
read_id_list(JsonObject *obj, const char *member, GPtrArray *list, GError **error)
{
	JsonArray *array = NULL;

	if (!mesh_json_get_array(obj, member, &array, error))
		return FALSE;
	if (json_array_get_length(array) > MESH_PERSONAL_DEVICES_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE, "%s lists too many devices",
			    member);
		return FALSE;
	}
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonNode *n = json_array_get_element(array, i);

		if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
				    "%s must be a list of device UDFs", member);
			return FALSE;
		}
		if (!add_device_id(list, member, json_node_get_string(n), error))
			return FALSE;
	}
	return TRUE;
}

static MeshApplicationEntry *
entry_from_json(JsonNode *node, GError **error)
{
	static const char *const members[] = { "Identifier", "Type",      "Friendly",
					       "SignID",     "DecryptID", NULL };
	g_autoptr(MeshApplicationEntry) entry = g_new0(MeshApplicationEntry, 1);
	const char *identifier = NULL, *type = NULL, *friendly = NULL;
	JsonObject *obj;

	if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "an application entry must be an object");
		return NULL;
	}
	obj = json_node_get_object(node);
	entry->sign_id = g_ptr_array_new_with_free_func(g_free);
	entry->decrypt_id = g_ptr_array_new_with_free_func(g_free);
	if (!mesh_json_check_members(obj, members, error) ||
	    !mesh_signed_get_udf(obj, "Identifier", MESH_UDF_TYPE_NONCE, &identifier, error) ||
	    !mesh_json_get_string(obj, "Type", &type, error) ||
	    !mesh_json_get_string_opt(obj, "Friendly", &friendly, error) ||
	    !read_id_list(obj, "SignID", entry->sign_id, error) ||
	    !read_id_list(obj, "DecryptID", entry->decrypt_id, error))
		return NULL;
	if (!mesh_application_type_from_name(type, &entry->type, error) ||
	    !mesh_signed_check_text("friendly name", friendly, MESH_PROFILE_TEXT_MAX, error)) {
		mesh_signed_recode(error, MESH_ERROR_MALFORMED);
		return NULL;
	}
	entry->identifier = g_strdup(identifier);
	entry->friendly = g_strdup(friendly);
	return g_steal_pointer(&entry);
}

/* ---- Personal profiles ----------------------------------------------------------------- */

static void
device_free(MeshPersonalDevice *device)
{
	if (device == NULL)
		return;
	mesh_device_profile_free(device->profile);
	if (device->signed_profile != NULL)
		json_node_unref(device->signed_profile);
	g_free(device->added);
	g_free(device->description);
	g_free(device->admin_key);
	g_free(device);
}

static void
removed_free(MeshPersonalRemoved *removed)
{
	g_free(removed->device);
	g_free(removed->removed);
	g_free(removed);
}

void
mesh_personal_profile_free(MeshPersonalProfile *profile)
{
	if (profile == NULL)
		return;
	g_free(profile->identifier);
	g_free(profile->account);
	mesh_master_profile_free(profile->master);
	if (profile->signed_master != NULL)
		json_node_unref(profile->signed_master);
	if (profile->devices != NULL)
		g_ptr_array_unref(profile->devices);
	if (profile->applications != NULL)
		g_ptr_array_unref(profile->applications);
	if (profile->removed != NULL)
		g_ptr_array_unref(profile->removed);
	g_free(profile->updated);
	g_free(profile);
}

static MeshPersonalProfile *
profile_alloc(void)
{
	MeshPersonalProfile *profile = g_new0(MeshPersonalProfile, 1);

	profile->devices = g_ptr_array_new_with_free_func((GDestroyNotify)device_free);
	profile->applications =
		g_ptr_array_new_with_free_func((GDestroyNotify)mesh_application_entry_free);
	profile->removed = g_ptr_array_new_with_free_func((GDestroyNotify)removed_free);
	return profile;
}

MeshPersonalProfile *
mesh_personal_profile_new(const char *account, JsonNode *signed_master, GError **error)
{
	g_autoptr(MeshPersonalProfile) profile = profile_alloc();

	if (!mesh_personal_check_account(account, error))
		return NULL;
	profile->master = mesh_master_profile_verify(signed_master, error);
	if (profile->master == NULL)
		return NULL;
	profile->signed_master = json_node_copy(signed_master);
	profile->identifier = g_strdup(profile->master->identifier);
	profile->account = g_strdup(account);
	profile->serial = 1;
	profile->updated = mesh_json_time_now();
	return g_steal_pointer(&profile);
}

/* DeviceEntries (the devices the profile says something of) and Removed, when not empty. */
static void
device_entries_to_json(const MeshPersonalProfile *profile, JsonObject *obj)
{
	JsonArray *entries = json_array_new();
	JsonArray *removed = json_array_new();

	for (guint i = 0; i < profile->devices->len; i++) {
		const MeshPersonalDevice *device = profile->devices->pdata[i];
		JsonObject *e;

		if (device->added == NULL && device->description == NULL &&
		    device->admin_key == NULL)
			continue;
		e = json_object_new();
		json_object_set_string_member(e, "Device", device->profile->identifier);
		if (device->added != NULL)
			json_object_set_string_member(e, "Added", device->added);
		if (device->description != NULL)
			json_object_set_string_member(e, "Description", device->description);
		if (device->admin_key != NULL)
			json_object_set_string_member(e, "AdministrationKey", device->admin_key);
		json_array_add_object_element(entries, e);
	}
	for (guint i = 0; i < profile->removed->len; i++) {
		const MeshPersonalRemoved *r = profile->removed->pdata[i];
		JsonObject *e = json_object_new();

		json_object_set_string_member(e, "Device", r->device);
		json_object_set_string_member(e, "Removed", r->removed);
		json_array_add_object_element(removed, e);
	}
	if (json_array_get_length(entries) > 0)
		json_object_set_array_member(obj, "DeviceEntries", entries);
	else
		json_array_unref(entries);
	if (json_array_get_length(removed) > 0)
		json_object_set_array_member(obj, "Removed", removed);
	else
		json_array_unref(removed);
}

JsonNode *
mesh_personal_profile_to_json(const MeshPersonalProfile *profile)
{
	JsonObject *obj = json_object_new();
	JsonArray *devices = json_array_new();
	JsonArray *applications = json_array_new();

	for (guint i = 0; i < profile->devices->len; i++) {
		MeshPersonalDevice *device = profile->devices->pdata[i];

		json_array_add_element(devices, json_node_copy(device->signed_profile));
	}
	for (guint i = 0; i < profile->applications->len; i++)
		json_array_add_element(applications,
				       entry_to_json(profile->applications->pdata[i]));
	json_object_set_string_member(obj, "Identifier", profile->identifier);
	json_object_set_string_member(obj, "Account", profile->account);
	json_object_set_member(obj, SIGNED_MASTER_TAG, json_node_copy(profile->signed_master));
	json_object_set_array_member(obj, "Devices", devices);
	json_object_set_array_member(obj, "Applications", applications);
	device_entries_to_json(profile, obj);
	json_object_set_int_member(obj, "Serial", profile->serial);
	json_object_set_string_member(obj, "Updated", profile->updated);
	return mesh_signed_tag(PERSONAL_TAG, obj);
}

MeshPersonalDevice *
mesh_personal_profile_device(const MeshPersonalProfile *profile, const char *udf)
{
	for (guint i = 0; udf != NULL && i < profile->devices->len; i++) {
		MeshPersonalDevice *device = profile->devices->pdata[i];

		if (g_str_equal(device->profile->identifier, udf))
			return device;
	}
	return NULL;
}

MeshApplicationEntry *
mesh_personal_profile_application(const MeshPersonalProfile *profile, const char *identifier)
{
	for (guint i = 0; identifier != NULL && i < profile->applications->len; i++) {
		MeshApplicationEntry *entry = profile->applications->pdata[i];

		if (g_str_equal(entry->identifier, identifier))
			return entry;
	}
	return NULL;
}

/* Verify @signed_device and append it; EXISTS when it is already there. */
static gboolean
append_device(MeshPersonalProfile *profile, JsonNode *signed_device, GError **error)
{
	g_autoptr(MeshDeviceProfile) device = mesh_device_profile_verify(signed_device, error);
	MeshPersonalDevice *entry;

	if (device == NULL)
		return FALSE;
	if (mesh_personal_profile_device(profile, device->identifier) != NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
			    "the device %s is already in the profile", device->identifier);
		return FALSE;
	}
	if (mesh_personal_profile_removed(profile, device->identifier) != NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_REMOVED,
			    "the device %s was removed from the profile and cannot join it again: "
			    "a new device of that machine can ('mesh connect request' makes one)",
			    device->identifier);
		return FALSE;
	}
	if (profile->devices->len >= MESH_PERSONAL_DEVICES_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "a profile holds at most %d devices", MESH_PERSONAL_DEVICES_MAX);
		return FALSE;
	}
	entry = g_new0(MeshPersonalDevice, 1);
	entry->profile = g_steal_pointer(&device);
	entry->signed_profile = json_node_copy(signed_device);
	g_ptr_array_add(profile->devices, entry);
	return TRUE;
}

/* Every device an entry names must be one of the profile's: NOT_FOUND otherwise. */
static gboolean
check_entry_devices(const MeshPersonalProfile *profile, const MeshApplicationEntry *entry,
		    GError **error)
{
	GPtrArray *lists[] = { entry->sign_id, entry->decrypt_id };

	for (gsize l = 0; l < G_N_ELEMENTS(lists); l++) {
		for (guint i = 0; i < lists[l]->len; i++) {
			if (mesh_personal_profile_device(profile, lists[l]->pdata[i]) == NULL) {
				g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
					    "the application %s names the device %s, which is "
					    "not in the profile",
					    entry->identifier, (char *)lists[l]->pdata[i]);
				return FALSE;
			}
		}
	}
	return TRUE;
}

static gboolean
append_application(MeshPersonalProfile *profile, MeshApplicationEntry *entry, GError **error)
{
	if (mesh_personal_profile_application(profile, entry->identifier) != NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
			    "the application %s is already in the profile", entry->identifier);
		return FALSE;
	}
	if (profile->applications->len >= MESH_PERSONAL_APPLICATIONS_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "a profile holds at most %d applications",
			    MESH_PERSONAL_APPLICATIONS_MAX);
		return FALSE;
	}
	if (!check_entry_devices(profile, entry, error))
		return FALSE;
	g_ptr_array_add(profile->applications, entry);
	return TRUE;
}

/* The optional array @member of @obj (NULL when absent) of at most @max objects. */
static gboolean
get_object_array(JsonObject *obj, const char *member, guint max, JsonArray **ret, GError **error)
{
	*ret = NULL;
	if (!json_object_has_member(obj, member))
		return TRUE;
	if (!mesh_json_get_array(obj, member, ret, error))
		return FALSE;
	if (json_array_get_length(*ret) > max) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE, "%s holds more than %u entries",
			    member, max);
		return FALSE;
	}
	for (guint i = 0; i < json_array_get_length(*ret); i++) {
		if (!JSON_NODE_HOLDS_OBJECT(json_array_get_element(*ret, i))) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
				    "%s[%u] is not an object", member, i);
			return FALSE;
		}
	}
	return TRUE;
}

static void
add_removed(MeshPersonalProfile *profile, const char *device, const char *when)
{
	MeshPersonalRemoved *r = g_new0(MeshPersonalRemoved, 1);

	r->device = g_strdup(device);
	r->removed = g_strdup(when);
	g_ptr_array_add(profile->removed, r);
}

/* Removed: [{Device, Removed}], each device once and none of them in Devices. */
static gboolean
read_removed(MeshPersonalProfile *profile, JsonObject *obj, GError **error)
{
	static const char *const members[] = { "Device", "Removed", NULL };
	JsonArray *array = NULL;

	if (!get_object_array(obj, "Removed", MESH_PERSONAL_REMOVED_MAX, &array, error))
		return FALSE;
	for (guint i = 0; array != NULL && i < json_array_get_length(array); i++) {
		JsonObject *e = json_array_get_object_element(array, i);
		const char *device = NULL, *when = NULL;

		if (!mesh_json_check_members(e, members, error) ||
		    !mesh_signed_get_udf(e, "Device", -1, &device, error) ||
		    !mesh_json_get_time(e, "Removed", &when, error)) {
			mesh_signed_recode(error, MESH_ERROR_MALFORMED);
			g_prefix_error(error, "Removed[%u]: ", i);
			return FALSE;
		}
		if (mesh_personal_profile_removed(profile, device) != NULL ||
		    mesh_personal_profile_device(profile, device) != NULL) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
				    "Removed[%u]: the device is listed twice, or is still in "
				    "Devices",
				    i);
			return FALSE;
		}
		add_removed(profile, device, when);
	}
	return TRUE;
}

/* DeviceEntries: [{Device, Added?, Description?, AdministrationKey?}], each of a device in
 * Devices, at most once, its AdministrationKey one of the master profile's OnlineSignatureKeys. */
static gboolean
read_device_entries(MeshPersonalProfile *profile, JsonObject *obj, GError **error)
{
	static const char *const members[] = { "Device", "Added", "Description",
					       "AdministrationKey", NULL };
	JsonArray *array = NULL;

	if (!get_object_array(obj, "DeviceEntries", MESH_PERSONAL_DEVICES_MAX, &array, error))
		return FALSE;
	for (guint i = 0; array != NULL && i < json_array_get_length(array); i++) {
		JsonObject *e = json_array_get_object_element(array, i);
		const char *udf = NULL, *added = NULL, *description = NULL, *key = NULL;
		MeshPersonalDevice *device;

		if (!mesh_json_check_members(e, members, error) ||
		    !mesh_signed_get_udf(e, "Device", -1, &udf, error) ||
		    !mesh_json_get_string_opt(e, "Description", &description, error) ||
		    !mesh_json_get_string_opt(e, "AdministrationKey", &key, error) ||
		    (json_object_has_member(e, "Added") &&
		     !mesh_json_get_time(e, "Added", &added, error)) ||
		    !mesh_text_check_display("description", description, MESH_PROFILE_TEXT_MAX,
					     MESH_TEXT_DESCRIPTION_MAX, error))
			goto malformed;
		device = mesh_personal_profile_device(profile, udf);
		if (device == NULL || device->added != NULL || device->description != NULL ||
		    device->admin_key != NULL) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
				    "the entry is for a device the profile does not list, or for "
				    "one listed before");
			goto malformed;
		}
		if (!mesh_personal_device_set_admin_key(profile, device, key, error))
			goto malformed;
		device->added = g_strdup(added);
		device->description = g_strdup(description);
	}
	return TRUE;
malformed:
	mesh_signed_recode(error, MESH_ERROR_MALFORMED);
	g_prefix_error(error, "DeviceEntries: ");
	return FALSE;
}

/* Read the Devices and Applications arrays into @profile. */
static gboolean
read_members(MeshPersonalProfile *profile, JsonObject *obj, GError **error)
{
	JsonArray *devices = NULL, *applications = NULL;

	if (!mesh_json_get_array(obj, "Devices", &devices, error) ||
	    !mesh_json_get_array(obj, "Applications", &applications, error))
		return FALSE;
	/* Count first: a profile over the limit is refused before any signature is checked. */
	if (json_array_get_length(devices) > MESH_PERSONAL_DEVICES_MAX ||
	    json_array_get_length(applications) > MESH_PERSONAL_APPLICATIONS_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "a profile holds at most %d devices and %d applications",
			    MESH_PERSONAL_DEVICES_MAX, MESH_PERSONAL_APPLICATIONS_MAX);
		return FALSE;
	}
	for (guint i = 0; i < json_array_get_length(devices); i++) {
		if (!append_device(profile, json_array_get_element(devices, i), error)) {
			if (error != NULL && *error != NULL && (*error)->code == MESH_ERROR_EXISTS)
				mesh_signed_recode(error, MESH_ERROR_MALFORMED);
			g_prefix_error(error, "Devices[%u]: ", i);
			return FALSE;
		}
	}
	for (guint i = 0; i < json_array_get_length(applications); i++) {
		g_autoptr(MeshApplicationEntry) entry =
			entry_from_json(json_array_get_element(applications, i), error);

		if (entry == NULL || !append_application(profile, entry, error)) {
			mesh_signed_recode(error, MESH_ERROR_MALFORMED);
			g_prefix_error(error, "Applications[%u]: ", i);
			return FALSE;
		}
		g_steal_pointer(&entry);
	}
	return read_removed(profile, obj, error) && read_device_entries(profile, obj, error);
}

MeshPersonalProfile *
mesh_personal_profile_from_json(JsonNode *node, GError **error)
{
	static const char *const members[] = { "Identifier",    "Account", SIGNED_MASTER_TAG,
					       "Devices",       "Applications", "DeviceEntries",
					       "Removed",       "Serial",  "Updated",
					       NULL };
	g_autoptr(MeshPersonalProfile) profile = profile_alloc();
	JsonObject *obj = mesh_signed_untag(node, PERSONAL_TAG, error);
	const char *identifier = NULL, *account = NULL, *updated = NULL;
	JsonNode *signed_master;

	if (obj == NULL || !mesh_json_check_members(obj, members, error) ||
	    !mesh_json_get_string(obj, "Identifier", &identifier, error) ||
	    !mesh_json_get_string(obj, "Account", &account, error) ||
	    !mesh_signed_get_serial(obj, "Serial", &profile->serial, error) ||
	    !mesh_json_get_time(obj, "Updated", &updated, error))
		return NULL;
	if (!mesh_personal_check_account(account, error)) {
		mesh_signed_recode(error, MESH_ERROR_MALFORMED);
		return NULL;
	}
	signed_master = json_object_get_member(obj, SIGNED_MASTER_TAG);
	profile->master = mesh_master_profile_verify(signed_master, error);
	if (profile->master == NULL) {
		g_prefix_error(error, "%s: ", SIGNED_MASTER_TAG);
		return NULL;
	}
	if (!g_str_equal(identifier, profile->master->identifier)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "the personal profile's Identifier is not its master profile's");
		return NULL;
	}
	profile->signed_master = json_node_copy(signed_master);
	profile->identifier = g_strdup(identifier);
	profile->account = g_strdup(account);
	profile->updated = g_strdup(updated);
	if (!read_members(profile, obj, error))
		return NULL;
	return g_steal_pointer(&profile);
}

JsonNode *
mesh_personal_profile_sign(const MeshPersonalProfile *profile, const MeshKey *online_key,
			   MeshJwsSignFunc sign, gpointer user_data, GError **error)
{
	g_autoptr(JsonNode) payload = NULL;

	if (!mesh_master_profile_check_online_key(profile->master, online_key,
						  "the personal profile", error))
		return NULL;
	payload = mesh_personal_profile_to_json(profile);
	return mesh_signed_wrap(payload, PERSONAL_TAG, profile->identifier, online_key, sign,
				user_data, MESH_PROFILE_MAX, error);
}

MeshPersonalProfile *
mesh_personal_profile_verify(JsonNode *node, GError **error)
{
	g_autoptr(MeshSignedObject) object = mesh_signed_open(node, PERSONAL_TAG,
							      MESH_PROFILE_MAX, error);
	g_autoptr(MeshMasterProfile) master = NULL;
	JsonObject *obj;

	if (object == NULL)
		return NULL;
	/* Check the signature before the (many) device signatures: find the master profile
	 * first, which verifies on its own, and the administration key it lists. */
	obj = mesh_signed_untag(object->payload, PERSONAL_TAG, error);
	if (obj == NULL)
		return NULL;
	master = mesh_master_profile_verify(json_object_get_member(obj, SIGNED_MASTER_TAG), error);
	if (master == NULL) {
		g_prefix_error(error, "%s: ", SIGNED_MASTER_TAG);
		return NULL;
	}
	if (!g_str_equal(object->identifier, master->identifier)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "the SignedPersonalProfile's Identifier is not its master profile's");
		return NULL;
	}
	if (mesh_master_profile_verify_signed(master, object, "personal profile", error) == NULL)
		return NULL;
	return mesh_personal_profile_from_json(object->payload, error);
}

MeshPersonalProfile *
mesh_personal_profile_parse(const char *text, gsize len, GError **error)
{
	g_autoptr(JsonNode) root = mesh_json_parse(text, len, MESH_PROFILE_MAX, error);

	if (root == NULL)
		return NULL;
	return mesh_personal_profile_verify(root, error);
}

gboolean
mesh_personal_profile_touch(MeshPersonalProfile *profile, GError **error)
{
	if (!mesh_signed_next_serial(&profile->serial, error))
		return FALSE;
	g_free(profile->updated);
	profile->updated = mesh_json_time_now();
	return TRUE;
}

gboolean
mesh_personal_profile_set_master(MeshPersonalProfile *profile, JsonNode *signed_master,
				 GError **error)
{
	g_autoptr(MeshMasterProfile) master = mesh_master_profile_verify(signed_master, error);

	if (master == NULL)
		return FALSE;
	if (!g_str_equal(master->identifier, profile->identifier)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the master profile %s is not this profile's (%s)", master->identifier,
			    profile->identifier);
		return FALSE;
	}
	if (master->serial <= profile->master->serial) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_STALE,
			    "the master profile's Serial %" G_GINT64_FORMAT
			    " is not above the one held (%" G_GINT64_FORMAT ")",
			    master->serial, profile->master->serial);
		return FALSE;
	}
	mesh_master_profile_free(profile->master);
	profile->master = g_steal_pointer(&master);
	json_node_unref(profile->signed_master);
	profile->signed_master = json_node_copy(signed_master);
	return TRUE;
}

gboolean
mesh_personal_profile_add_device(MeshPersonalProfile *profile, JsonNode *signed_device,
				 GError **error)
{
	return append_device(profile, signed_device, error);
}

gboolean
mesh_personal_profile_remove_device(MeshPersonalProfile *profile, const char *udf,
				    const char *removed, GError **error)
{
	MeshPersonalDevice *device = mesh_personal_profile_device(profile, udf);

	if (device == NULL) {
		g_autofree char *quoted = mesh_error_quote(udf);

		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
			    "the device %s is not in the profile", quoted);
		return FALSE;
	}
	if (removed != NULL) {
		if (profile->removed->len >= MESH_PERSONAL_REMOVED_MAX) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
				    "a profile lists at most %d removed devices",
				    MESH_PERSONAL_REMOVED_MAX);
			return FALSE;
		}
		add_removed(profile, udf, removed);
	}
	for (guint i = 0; i < profile->applications->len; i++) {
		MeshApplicationEntry *entry = profile->applications->pdata[i];
		GPtrArray *lists[] = { entry->sign_id, entry->decrypt_id };

		for (gsize l = 0; l < G_N_ELEMENTS(lists); l++) {
			for (guint j = lists[l]->len; j > 0; j--) {
				if (g_str_equal(lists[l]->pdata[j - 1], udf))
					g_ptr_array_remove_index(lists[l], j - 1);
			}
		}
	}
	g_ptr_array_remove(profile->devices, device);
	return TRUE;
}

gboolean
mesh_personal_profile_add_application(MeshPersonalProfile *profile, MeshApplicationEntry *entry,
				      GError **error)
{
	return append_application(profile, entry, error);
}

gboolean
mesh_personal_profile_remove_application(MeshPersonalProfile *profile, const char *identifier,
					 GError **error)
{
	MeshApplicationEntry *entry = mesh_personal_profile_application(profile, identifier);

	if (entry == NULL) {
		g_autofree char *quoted = mesh_error_quote(identifier);

		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
			    "the application %s is not in the profile", quoted);
		return FALSE;
	}
	g_ptr_array_remove(profile->applications, entry);
	return TRUE;
}

const char *
mesh_personal_profile_removed(const MeshPersonalProfile *profile, const char *udf)
{
	for (guint i = 0; udf != NULL && i < profile->removed->len; i++) {
		const MeshPersonalRemoved *r = profile->removed->pdata[i];

		if (g_str_equal(r->device, udf))
			return r->removed;
	}
	return NULL;
}

const char *
mesh_personal_device_description(const MeshPersonalDevice *device)
{
	return device->description != NULL ? device->description : device->profile->description;
}

const char *
mesh_personal_device_admin_key(const MeshPersonalProfile *profile,
			       const MeshPersonalDevice *device)
{
	if (device->admin_key != NULL &&
	    mesh_master_profile_online_key(profile->master, device->admin_key) != NULL)
		return device->admin_key;
	if (mesh_master_profile_online_key(profile->master, device->profile->identifier) != NULL)
		return device->profile->identifier;
	return NULL;
}

gboolean
mesh_personal_device_set_admin_key(const MeshPersonalProfile *profile, MeshPersonalDevice *device,
				   const char *udf, GError **error)
{
	if (udf != NULL && mesh_master_profile_online_key(profile->master, udf) == NULL) {
		g_autofree char *quoted = mesh_error_quote(udf);

		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "the administration key %s is not one of the master profile's", quoted);
		return FALSE;
	}
	g_free(device->admin_key);
	device->admin_key = g_strdup(udf);
	return TRUE;
}

void
mesh_personal_profile_drop_admin_keys(MeshPersonalProfile *profile)
{
	for (guint i = 0; i < profile->devices->len; i++) {
		MeshPersonalDevice *device = profile->devices->pdata[i];

		if (device->admin_key != NULL &&
		    mesh_master_profile_online_key(profile->master, device->admin_key) == NULL)
			g_clear_pointer(&device->admin_key, g_free);
	}
}
