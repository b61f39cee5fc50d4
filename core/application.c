/* SPDX-License-Identifier: MIT */
#include "application.h"

#include <string.h>

#include "error.h"
#include "json.h"
#include "secjson.h"
#include "signed.h"
#include "udf.h"

#define APPLICATION_TAG "ApplicationProfile"

/* ---- Private JSON ----------------------------------------------------------------------- */

/* A list of strings, each UTF-8 of at most @max_len bytes; copied into @out when not NULL. */
static gboolean
read_strings(JsonObject *obj, const char *member, gboolean optional, gsize max_len,
	     GPtrArray *out, GError **error)
{
	JsonArray *array = NULL;

	if (optional && !json_object_has_member(obj, member))
		return TRUE;
	if (!mesh_json_get_array(obj, member, &array, error))
		return FALSE;
	if (json_array_get_length(array) > MESH_APPLICATION_ITEMS_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE, "%s has too many items",
			    member);
		return FALSE;
	}
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonNode *n = json_array_get_element(array, i);

		if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING ||
		    !mesh_signed_check_text(member, json_node_get_string(n), max_len, NULL)) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
				    "%s must be printable strings of at most %" G_GSIZE_FORMAT
				    " bytes",
				    member, max_len);
			return FALSE;
		}
		if (out != NULL)
			g_ptr_array_add(out, g_strdup(json_node_get_string(n)));
	}
	return TRUE;
}

/* The string @member of @obj, a display string of at most @max_len bytes. */
static gboolean
read_text(JsonObject *obj, const char *member, gsize max_len, const char **ret, GError **error)
{
	if (!mesh_json_get_string(obj, member, ret, error))
		return FALSE;
	if (!mesh_signed_check_text(member, *ret, max_len, error))
		return mesh_signed_recode(error, MESH_ERROR_MALFORMED);
	return TRUE;
}

/* The password @member of @obj: any UTF-8 (the JSON reader checked it) of at most
 * MESH_PASSWORD_MAX bytes. It is a secret, not a display string: never shown but on request. */
static gboolean
read_password(JsonObject *obj, const char *member, const char **ret, GError **error)
{
	if (!mesh_json_get_string(obj, member, ret, error))
		return FALSE;
	if (strnlen(*ret, MESH_PASSWORD_MAX + 1) > MESH_PASSWORD_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "the %s is longer than %d bytes", member, MESH_PASSWORD_MAX);
		return FALSE;
	}
	return TRUE;
}

/* The array @member of @obj, each element an object, at most MESH_APPLICATION_ITEMS_MAX. */
static JsonArray *
read_objects(JsonObject *obj, const char *member, GError **error)
{
	JsonArray *array = NULL;

	if (!mesh_json_get_array(obj, member, &array, error))
		return NULL;
	if (json_array_get_length(array) > MESH_APPLICATION_ITEMS_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE, "%s has too many items",
			    member);
		return NULL;
	}
	for (guint i = 0; i < json_array_get_length(array); i++) {
		if (!JSON_NODE_HOLDS_OBJECT(json_array_get_element(array, i))) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
				    "%s must be a list of objects", member);
			return NULL;
		}
	}
	return array;
}

static void
password_entry_free(MeshPasswordEntry *entry)
{
	if (entry == NULL)
		return;
	if (entry->sites != NULL)
		g_ptr_array_unref(entry->sites);
	g_free(entry->username);
	mesh_secret_free(entry->password);
	g_free(entry);
}

MeshPasswordSet *
mesh_password_set_new(void)
{
	MeshPasswordSet *set = g_new0(MeshPasswordSet, 1);

	set->entries = g_ptr_array_new_with_free_func((GDestroyNotify)password_entry_free);
	set->never_ask = g_ptr_array_new_with_free_func(g_free);
	return set;
}

void
mesh_password_set_free(MeshPasswordSet *set)
{
	if (set == NULL)
		return;
	g_ptr_array_unref(set->entries);
	g_ptr_array_unref(set->never_ask);
	g_free(set);
}

/* Read {"Entries", "NeverAsk"?, "AutoGenerate"?} into @set. */
static gboolean
read_password_set(JsonObject *obj, MeshPasswordSet *set, GError **error)
{
	static const char *const members[] = { "Entries", "NeverAsk", "AutoGenerate", NULL };
	static const char *const entry_members[] = { "Sites", "Username", "Password", NULL };
	JsonNode *auto_generate = json_object_get_member(obj, "AutoGenerate");
	JsonArray *entries;

	if (!mesh_json_check_members(obj, members, error))
		return FALSE;
	entries = read_objects(obj, "Entries", error);
	if (entries == NULL ||
	    !read_strings(obj, "NeverAsk", TRUE, MESH_PROFILE_TEXT_MAX, set->never_ask, error))
		return FALSE;
	if (auto_generate != NULL && (!JSON_NODE_HOLDS_VALUE(auto_generate) ||
				      json_node_get_value_type(auto_generate) != G_TYPE_BOOLEAN)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "member \"AutoGenerate\" must be true or false");
		return FALSE;
	}
	set->auto_generate = auto_generate != NULL && json_node_get_boolean(auto_generate);
	for (guint i = 0; i < json_array_get_length(entries); i++) {
		JsonObject *e = json_array_get_object_element(entries, i);
		MeshPasswordEntry *entry = g_new0(MeshPasswordEntry, 1);
		const char *username = NULL, *password = NULL;

		entry->sites = g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_add(set->entries, entry);
		if (!mesh_json_check_members(e, entry_members, error) ||
		    !read_strings(e, "Sites", FALSE, MESH_PROFILE_TEXT_MAX, entry->sites, error) ||
		    !read_text(e, "Username", MESH_PROFILE_TEXT_MAX, &username, error) ||
		    !read_password(e, "Password", &password, error)) {
			g_prefix_error(error, "Entries[%u]: ", i);
			return FALSE;
		}
		entry->username = g_strdup(username);
		entry->password = mesh_secret_new_from_data(password, strlen(password) + 1);
	}
	return TRUE;
}

static gboolean
read_ssh_private(JsonObject *obj, GError **error)
{
	static const char *const members[] = { "HostEntries", NULL };
	static const char *const entry_members[] = { "Host", "HostKeys", NULL };
	JsonArray *entries;

	if (!mesh_json_check_members(obj, members, error))
		return FALSE;
	entries = read_objects(obj, "HostEntries", error);
	if (entries == NULL)
		return FALSE;
	for (guint i = 0; i < json_array_get_length(entries); i++) {
		JsonObject *e = json_array_get_object_element(entries, i);
		const char *host = NULL;

		if (!mesh_json_check_members(e, entry_members, error) ||
		    !read_text(e, "Host", MESH_PROFILE_TEXT_MAX, &host, error) ||
		    !read_strings(e, "HostKeys", FALSE, MESH_APPLICATION_SSH_KEY_MAX, NULL,
				  error)) {
			g_prefix_error(error, "HostEntries[%u]: ", i);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
read_generic_private(JsonObject *obj, GError **error)
{
	static const char *const members[] = { "Name", "Data", NULL };
	const char *name = NULL;

	if (!mesh_json_check_members(obj, members, error) ||
	    !read_text(obj, "Name", MESH_PROFILE_TEXT_MAX, &name, error))
		return FALSE;
	if (json_object_get_member(obj, "Data") == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "missing member \"Data\"");
		return FALSE;
	}
	return TRUE;
}

/* Check @root is the private JSON of @type; fill @set for a PasswordProfile when not NULL. */
static gboolean
read_private(MeshApplicationType type, JsonNode *root, MeshPasswordSet *set, GError **error)
{
	const char *tag = mesh_application_type_name(type);
	JsonObject *obj = mesh_signed_untag(root, tag, error);
	g_autoptr(MeshPasswordSet) scratch = NULL;

	if (obj == NULL)
		return FALSE;
	switch (type) {
	case MESH_APPLICATION_PASSWORD:
		if (set == NULL)
			set = scratch = mesh_password_set_new();
		return read_password_set(obj, set, error);
	case MESH_APPLICATION_SSH:
		return read_ssh_private(obj, error);
	case MESH_APPLICATION_GENERIC:
		return read_generic_private(obj, error);
	}
	g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT, "unknown application type");
	return FALSE;
}

gboolean
mesh_application_check_private(MeshApplicationType type, const MeshSecret *plaintext,
			       GError **error)
{
	g_autoptr(MeshSecjsonTree) root = mesh_secjson_parse(plaintext,
							      MESH_APPLICATION_PRIVATE_MAX, error);

	return root != NULL && read_private(type, root, NULL, error);
}

MeshPasswordSet *
mesh_password_set_parse(const MeshSecret *plaintext, GError **error)
{
	g_autoptr(MeshSecjsonTree) root = mesh_secjson_parse(plaintext,
							      MESH_APPLICATION_PRIVATE_MAX, error);
	g_autoptr(MeshPasswordSet) set = mesh_password_set_new();

	if (root == NULL || !read_private(MESH_APPLICATION_PASSWORD, root, set, error))
		return NULL;
	return g_steal_pointer(&set);
}

/* Characters that show as nothing: white space (Zs) and the invisible joiners and fillers. */
static gboolean
shows_nothing(gunichar c)
{
	switch (c) {
	case 0x0020:
	case 0x00a0:
	case 0x1680:
	case 0x202f:
	case 0x205f:
	case 0x3000:
	case 0x200c:
	case 0x200d:
	case 0x115f:
	case 0x1160:
	case 0x2800:
	case 0x3164:
	case 0xffa0:
		return TRUE;
	default:
		return c >= 0x2000 && c <= 0x200a;
	}
}

gboolean
mesh_application_check_name(const char *what, const char *name, GError **error)
{
	if (name == NULL || name[0] == '\0') {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "the %s is empty: give one", what);
		return FALSE;
	}
	if (!mesh_signed_check_text(what, name, MESH_PROFILE_TEXT_MAX, error))
		return FALSE;
	for (const char *p = name; *p != '\0'; p = g_utf8_next_char(p)) {
		if (!shows_nothing(g_utf8_get_char(p)))
			return TRUE;
	}
	g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
	            "the %s is only white space: give one that can be seen", what);
	return FALSE;
}

/* A copy of the password text of @password: UTF-8 of at most MESH_PASSWORD_MAX bytes. */
static MeshSecret *
password_copy(const MeshSecret *password, GError **error)
{
	const char *text = (const char *)mesh_secret_get(password);
	gsize len = strnlen(text, mesh_secret_len(password));
	MeshSecret *copy;

	if (len > MESH_PASSWORD_MAX || !g_utf8_validate_len(text, len, NULL)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "a password is UTF-8 text of at most %d bytes", MESH_PASSWORD_MAX);
		return NULL;
	}
	copy = mesh_secret_new(len + 1);
	memcpy(mesh_secret_data(copy), text, len);
	return copy;
}

gboolean
mesh_password_set_add(MeshPasswordSet *set, const char *const *sites, const char *username,
                      const MeshSecret *password, GError **error)
{
	g_autoptr(MeshSecret) copy = NULL;
	MeshPasswordEntry *entry;

	if (sites == NULL || sites[0] == NULL || set->entries->len >= MESH_APPLICATION_ITEMS_MAX ||
	    username == NULL ||
	    !mesh_signed_check_text("user name", username, MESH_PROFILE_TEXT_MAX, NULL)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "a password entry needs at least one site, a user name of at most %d "
			    "bytes of printable text and a UTF-8 password of at most %d bytes (and "
			    "a set holds at most %d entries)",
			    MESH_PROFILE_TEXT_MAX, MESH_PASSWORD_MAX, MESH_APPLICATION_ITEMS_MAX);
		return FALSE;
	}
	for (gsize i = 0; sites[i] != NULL; i++) {
		if (!mesh_application_check_name("site", sites[i], error))
			return FALSE;
	}
	copy = password_copy(password, error);
	if (copy == NULL)
		return FALSE;
	entry = g_new0(MeshPasswordEntry, 1);
	entry->sites = g_ptr_array_new_with_free_func(g_free);
	for (gsize i = 0; sites[i] != NULL; i++)
		g_ptr_array_add(entry->sites, g_strdup(sites[i]));
	entry->username = g_strdup(username);
	entry->password = g_steal_pointer(&copy);
	g_ptr_array_add(set->entries, entry);
	return TRUE;
}

gboolean
mesh_password_entry_set_password(MeshPasswordEntry *entry, const MeshSecret *password,
                                 GError **error)
{
	MeshSecret *copy = password_copy(password, error);

	if (copy == NULL)
		return FALSE;
	mesh_secret_free(entry->password);
	entry->password = copy;
	return TRUE;
}

gboolean
mesh_password_entry_lists(const MeshPasswordEntry *entry, const char *site)
{
	for (guint i = 0; site != NULL && i < entry->sites->len; i++) {
		if (g_ascii_strcasecmp(entry->sites->pdata[i], site) == 0)
			return TRUE;
	}
	return FALSE;
}

MeshPasswordEntry *
mesh_password_set_login(const MeshPasswordSet *set, const char *site, const char *username)
{
	for (guint i = 0; username != NULL && i < set->entries->len; i++) {
		MeshPasswordEntry *entry = set->entries->pdata[i];

		if (g_str_equal(entry->username, username) &&
		    mesh_password_entry_lists(entry, site))
			return entry;
	}
	return NULL;
}

guint
mesh_password_set_remove(MeshPasswordSet *set, const char *site, const char *username)
{
	guint removed = 0;

	for (guint i = set->entries->len; i-- > 0;) {
		MeshPasswordEntry *entry = set->entries->pdata[i];

		if (username != NULL && !g_str_equal(entry->username, username))
			continue;
		for (guint j = entry->sites->len; j-- > 0;) {
			if (g_ascii_strcasecmp(entry->sites->pdata[j], site) == 0) {
				g_ptr_array_remove_index(entry->sites, j);
				removed++;
			}
		}
		if (entry->sites->len == 0)
			g_ptr_array_remove_index(set->entries, i);
	}
	return removed;
}

static gboolean
site_matches(const char *site, const char *host)
{
	gsize site_len = strlen(site), host_len = strlen(host);

	if (g_ascii_strcasecmp(site, host) == 0)
		return TRUE;
	/* "*.example.com" matches "a.example.com" and "a.b.example.com", not "example.com". */
	return site_len > 2 && site[0] == '*' && site[1] == '.' && host_len > site_len - 1 &&
	       g_ascii_strcasecmp(host + host_len - (site_len - 1), site + 1) == 0;
}

static gboolean
entry_matches(const MeshPasswordEntry *entry, const char *host)
{
	for (guint j = 0; j < entry->sites->len; j++) {
		if (site_matches(entry->sites->pdata[j], host))
			return TRUE;
	}
	return FALSE;
}

MeshPasswordEntry *
mesh_password_set_find(const MeshPasswordSet *set, const char *host)
{
	for (guint i = 0; host != NULL && i < set->entries->len; i++) {
		if (entry_matches(set->entries->pdata[i], host))
			return set->entries->pdata[i];
	}
	return NULL;
}

GPtrArray *
mesh_password_set_match(const MeshPasswordSet *set, const char *host, const char *username,
                        gboolean exact)
{
	GPtrArray *found = g_ptr_array_new();

	for (guint i = 0; host != NULL && i < set->entries->len; i++) {
		MeshPasswordEntry *entry = set->entries->pdata[i];

		if ((username == NULL || g_str_equal(entry->username, username)) &&
		    (exact ? mesh_password_entry_lists(entry, host) : entry_matches(entry, host)))
			g_ptr_array_add(found, entry);
	}
	return found;
}

static JsonNode *
strings_node(GPtrArray *list)
{
	JsonArray *array = json_array_new();
	JsonNode *node = json_node_new(JSON_NODE_ARRAY);

	for (guint i = 0; i < list->len; i++)
		json_array_add_string_element(array, list->pdata[i]);
	json_node_take_array(node, array);
	return node;
}

MeshSecret *
mesh_password_set_to_text(const MeshPasswordSet *set)
{
	g_autoptr(MeshSecjson) writer = mesh_secjson_new();
	g_autoptr(JsonNode) never_ask = strings_node(set->never_ask);

	mesh_secjson_literal(writer, "{\"PasswordProfile\":{\"Entries\":[");
	for (guint i = 0; i < set->entries->len; i++) {
		MeshPasswordEntry *entry = set->entries->pdata[i];
		g_autoptr(JsonNode) sites = strings_node(entry->sites);

		mesh_secjson_literal(writer, i > 0 ? ",{\"Sites\":" : "{\"Sites\":");
		mesh_secjson_node(writer, sites);
		mesh_secjson_literal(writer, ",\"Username\":");
		mesh_secjson_string(writer, entry->username, -1);
		mesh_secjson_literal(writer, ",\"Password\":");
		mesh_secjson_string(writer, (const char *)mesh_secret_get(entry->password),
				    (gssize)strnlen((const char *)mesh_secret_get(entry->password),
						    mesh_secret_len(entry->password)));
		mesh_secjson_literal(writer, "}");
	}
	mesh_secjson_literal(writer, "],\"NeverAsk\":");
	mesh_secjson_node(writer, never_ask);
	mesh_secjson_literal(writer, set->auto_generate ? ",\"AutoGenerate\":true}}" :
							  ",\"AutoGenerate\":false}}");
	return mesh_secjson_finish(writer);
}

MeshSecret *
mesh_application_generic_text(const char *name, const MeshSecret *data, GError **error)
{
	g_autoptr(MeshSecjsonTree) check = mesh_secjson_parse(data, MESH_APPLICATION_PRIVATE_MAX,
							       error);
	g_autoptr(MeshSecjson) writer = NULL;
	const char *text = (const char *)mesh_secret_get(data);

	if (check == NULL || !mesh_application_check_name("application name", name, error))
		return NULL;
	writer = mesh_secjson_new();
	mesh_secjson_literal(writer, "{\"GenericProfile\":{\"Name\":");
	mesh_secjson_string(writer, name, -1);
	mesh_secjson_literal(writer, ",\"Data\":");
	mesh_secjson_raw(writer, text, strnlen(text, mesh_secret_len(data)));
	mesh_secjson_literal(writer, "}}");
	return mesh_secjson_finish(writer);
}

/* ---- Application profiles -------------------------------------------------------------- */

static void
ssh_device_free(MeshSshDevice *device)
{
	if (device == NULL)
		return;
	g_free(device->device_udf);
	g_free(device->public_key);
	g_free(device);
}

void
mesh_application_profile_free(MeshApplicationProfile *profile)
{
	if (profile == NULL)
		return;
	g_free(profile->identifier);
	g_free(profile->friendly);
	g_free(profile->updated);
	if (profile->ssh_devices != NULL)
		g_ptr_array_unref(profile->ssh_devices);
	if (profile->shared_private != NULL)
		json_node_unref(profile->shared_private);
	g_free(profile);
}

static MeshApplicationProfile *
profile_alloc(void)
{
	MeshApplicationProfile *profile = g_new0(MeshApplicationProfile, 1);

	profile->ssh_devices = g_ptr_array_new_with_free_func((GDestroyNotify)ssh_device_free);
	return profile;
}

MeshApplicationProfile *
mesh_application_profile_new(MeshApplicationType type, const char *friendly, GError **error)
{
	g_autoptr(MeshApplicationProfile) profile = profile_alloc();

	if (mesh_application_type_name(type) == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "unknown application type %d", (int)type);
		return NULL;
	}
	if (friendly != NULL && !mesh_application_check_name("application name", friendly, error))
		return NULL;
	profile->identifier = mesh_udf_nonce(MESH_UDF_BITS_DEFAULT, error);
	if (profile->identifier == NULL)
		return NULL;
	profile->type = type;
	profile->friendly = g_strdup(friendly);
	profile->serial = 1;
	profile->updated = mesh_json_time_now();
	return g_steal_pointer(&profile);
}

/* One OpenSSH public key line of a type the agent serves, printable ASCII. */
static gboolean
ssh_key_ok(const char *line)
{
	gsize len = line != NULL ? strnlen(line, MESH_APPLICATION_SSH_KEY_MAX + 1) : 0;

	if (len == 0 || len > MESH_APPLICATION_SSH_KEY_MAX ||
	    (!g_str_has_prefix(line, "ssh-ed25519 ") &&
	     !g_str_has_prefix(line, "ecdsa-sha2-nistp256 ")))
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (line[i] < 0x20 || line[i] > 0x7e)
			return FALSE;
	}
	return TRUE;
}

static gboolean
add_ssh_device(MeshApplicationProfile *profile, const char *device_udf, const char *public_key,
	       GError **error)
{
	MeshSshDevice *device;

	if (!mesh_signed_check_udf("DeviceUDF", device_udf, -1, error))
		return FALSE;
	if (!ssh_key_ok(public_key)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "PublicKey must be one \"ssh-ed25519 ...\" or "
			    "\"ecdsa-sha2-nistp256 ...\" line of at most %d characters",
			    MESH_APPLICATION_SSH_KEY_MAX);
		return FALSE;
	}
	for (guint i = 0; i < profile->ssh_devices->len; i++) {
		device = profile->ssh_devices->pdata[i];
		if (g_str_equal(device->device_udf, device_udf)) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
				    "the device %s already has a key in this profile", device_udf);
			return FALSE;
		}
	}
	if (profile->ssh_devices->len >= MESH_APPLICATION_ITEMS_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
			    "an SSH profile lists at most %d devices", MESH_APPLICATION_ITEMS_MAX);
		return FALSE;
	}
	device = g_new0(MeshSshDevice, 1);
	device->device_udf = g_strdup(device_udf);
	device->public_key = g_strdup(public_key);
	g_ptr_array_add(profile->ssh_devices, device);
	return TRUE;
}

gboolean
mesh_application_profile_add_ssh_device(MeshApplicationProfile *profile, const char *device_udf,
					const char *public_key, GError **error)
{
	if (profile->type != MESH_APPLICATION_SSH) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "only an SSHProfile lists devices' SSH keys");
		return FALSE;
	}
	if (!add_ssh_device(profile, device_udf, public_key, error)) {
		if (error != NULL && *error != NULL && (*error)->code == MESH_ERROR_MALFORMED)
			mesh_signed_recode(error, MESH_ERROR_INVALID_ARGUMENT);
		return FALSE;
	}
	return TRUE;
}

gboolean
mesh_application_profile_seal_to(MeshApplicationProfile *profile, const MeshSecret *plaintext,
				 MeshKey *const *recipients, guint n, GError **error)
{
	const char *type = mesh_application_type_name(profile->type);
	JsonNode *jwe;

	if (!mesh_application_check_private(profile->type, plaintext, error))
		return FALSE;
	/* The NUL that ends the text is not part of the JSON. */
	jwe = mesh_jwe_encrypt(mesh_secret_get(plaintext),
			       strnlen((const char *)mesh_secret_get(plaintext),
				       mesh_secret_len(plaintext)),
			       type, recipients, n, error);
	if (jwe == NULL)
		return FALSE;
	if (profile->shared_private != NULL)
		json_node_unref(profile->shared_private);
	profile->shared_private = jwe;
	return TRUE;
}

gboolean
mesh_application_profile_seal(MeshApplicationProfile *profile, const MeshSecret *plaintext,
			      const MeshPersonalProfile *personal, GError **error)
{
	MeshApplicationEntry *entry = mesh_personal_profile_application(personal,
									profile->identifier);
	g_autoptr(GPtrArray) recipients = g_ptr_array_new();

	if (entry == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
			    "the personal profile has no entry for the application %s",
			    profile->identifier);
		return FALSE;
	}
	for (guint i = 0; i < entry->decrypt_id->len; i++) {
		MeshPersonalDevice *device =
			mesh_personal_profile_device(personal, entry->decrypt_id->pdata[i]);

		if (device == NULL) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
				    "DecryptID names the device %s, which is not in the profile",
				    (char *)entry->decrypt_id->pdata[i]);
			return FALSE;
		}
		g_ptr_array_add(recipients, device->profile->encryption_key);
	}
	for (guint i = 0; i < personal->master->escrow_keys->len; i++)
		g_ptr_array_add(recipients, personal->master->escrow_keys->pdata[i]);
	return mesh_application_profile_seal_to(profile, plaintext,
						(MeshKey *const *)recipients->pdata,
						recipients->len, error);
}

static MeshSecret *
agree_private(gpointer user_data, const MeshKey *peer, GError **error)
{
	return mesh_key_agree(user_data, peer, error);
}

MeshSecret *
mesh_application_profile_open(const MeshApplicationProfile *profile, const MeshKey *key,
			      GError **error)
{
	if (mesh_key_alg(key) != MESH_KEY_ED25519 && !mesh_key_is_private(key)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "decrypting needs a private key");
		return NULL;
	}
	return mesh_application_profile_open_with(profile, key, agree_private, (gpointer)key,
						  error);
}

MeshSecret *
mesh_application_profile_open_with(const MeshApplicationProfile *profile, const MeshKey *key,
				   MeshJweAgreeFunc agree, gpointer user_data, GError **error)
{
	g_autoptr(MeshJwe) jwe = NULL;
	g_autoptr(MeshSecret) plaintext = NULL;
	g_autoptr(MeshSecret) text = NULL;

	if (profile->shared_private == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
			    "the application profile holds no private data");
		return NULL;
	}
	jwe = mesh_jwe_from_json(profile->shared_private, error);
	if (jwe == NULL)
		return NULL;
	plaintext = mesh_jwe_decrypt_with(jwe, key, agree, user_data, error);
	if (plaintext == NULL)
		return NULL;
	/* Hand out NUL-terminated text, as every plaintext in this API is. */
	text = mesh_secret_new(mesh_secret_len(plaintext) + 1);
	memcpy(mesh_secret_data(text), mesh_secret_get(plaintext), mesh_secret_len(plaintext));
	if (memchr(mesh_secret_get(plaintext), '\0', mesh_secret_len(plaintext)) != NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "the private data holds a NUL byte");
		return NULL;
	}
	if (!mesh_application_check_private(profile->type, text, error)) {
		g_prefix_error(error, "the private data: ");
		return NULL;
	}
	return g_steal_pointer(&text);
}

JsonNode *
mesh_application_profile_to_json(const MeshApplicationProfile *profile)
{
	JsonObject *obj = json_object_new();

	json_object_set_string_member(obj, "Identifier", profile->identifier);
	json_object_set_string_member(obj, "Type", mesh_application_type_name(profile->type));
	if (profile->friendly != NULL)
		json_object_set_string_member(obj, "Friendly", profile->friendly);
	json_object_set_int_member(obj, "Serial", profile->serial);
	json_object_set_string_member(obj, "Updated", profile->updated);
	if (profile->type == MESH_APPLICATION_SSH) {
		JsonArray *devices = json_array_new();

		for (guint i = 0; i < profile->ssh_devices->len; i++) {
			MeshSshDevice *device = profile->ssh_devices->pdata[i];
			JsonObject *d = json_object_new();

			json_object_set_string_member(d, "DeviceUDF", device->device_udf);
			json_object_set_string_member(d, "PublicKey", device->public_key);
			json_array_add_object_element(devices, d);
		}
		json_object_set_array_member(obj, "Devices", devices);
	}
	if (profile->shared_private != NULL)
		json_object_set_member(obj, "SharedPrivate",
				       json_node_copy(profile->shared_private));
	return mesh_signed_tag(APPLICATION_TAG, obj);
}

static gboolean
read_ssh_devices(MeshApplicationProfile *profile, JsonObject *obj, GError **error)
{
	static const char *const members[] = { "DeviceUDF", "PublicKey", NULL };
	JsonArray *devices = read_objects(obj, "Devices", error);

	if (devices == NULL)
		return FALSE;
	for (guint i = 0; i < json_array_get_length(devices); i++) {
		JsonObject *d = json_array_get_object_element(devices, i);
		const char *udf = NULL, *key = NULL;

		if (!mesh_json_check_members(d, members, error) ||
		    !mesh_json_get_string(d, "DeviceUDF", &udf, error) ||
		    !mesh_json_get_string(d, "PublicKey", &key, error) ||
		    !add_ssh_device(profile, udf, key, error)) {
			mesh_signed_recode(error, MESH_ERROR_MALFORMED);
			g_prefix_error(error, "Devices[%u]: ", i);
			return FALSE;
		}
	}
	return TRUE;
}

MeshApplicationProfile *
mesh_application_profile_from_json(JsonNode *node, GError **error)
{
	static const char *const members[] = { "Identifier", "Type",    "Friendly",
					       "Serial",     "Updated", "Devices",
					       "SharedPrivate", NULL };
	g_autoptr(MeshApplicationProfile) profile = profile_alloc();
	g_autoptr(MeshJwe) jwe = NULL;
	JsonObject *obj = mesh_signed_untag(node, APPLICATION_TAG, error);
	const char *identifier = NULL, *type = NULL, *friendly = NULL, *updated = NULL;
	JsonNode *shared;

	if (obj == NULL || !mesh_json_check_members(obj, members, error) ||
	    !mesh_signed_get_udf(obj, "Identifier", MESH_UDF_TYPE_NONCE, &identifier, error) ||
	    !mesh_json_get_string(obj, "Type", &type, error) ||
	    !mesh_application_type_from_name(type, &profile->type, error) ||
	    !mesh_json_get_string_opt(obj, "Friendly", &friendly, error) ||
	    !mesh_signed_get_serial(obj, "Serial", &profile->serial, error) ||
	    !mesh_json_get_time(obj, "Updated", &updated, error))
		return NULL;
	if (!mesh_signed_check_text("friendly name", friendly, MESH_PROFILE_TEXT_MAX, error)) {
		mesh_signed_recode(error, MESH_ERROR_MALFORMED);
		return NULL;
	}
	if ((profile->type == MESH_APPLICATION_SSH) != json_object_has_member(obj, "Devices")) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "an SSHProfile, and only an SSHProfile, lists Devices");
		return NULL;
	}
	if (profile->type == MESH_APPLICATION_SSH && !read_ssh_devices(profile, obj, error))
		return NULL;
	shared = json_object_get_member(obj, "SharedPrivate");
	jwe = shared != NULL ? mesh_jwe_from_json(shared, error) : NULL;
	if (jwe == NULL) {
		if (shared == NULL)
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
				    "missing member \"SharedPrivate\"");
		else
			g_prefix_error(error, "SharedPrivate: ");
		return NULL;
	}
	if (g_strcmp0(mesh_jwe_cty(jwe), type) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "SharedPrivate is not the private data of a %s", type);
		return NULL;
	}
	profile->identifier = g_strdup(identifier);
	profile->friendly = g_strdup(friendly);
	profile->updated = g_strdup(updated);
	profile->shared_private = json_node_copy(shared);
	return g_steal_pointer(&profile);
}

JsonNode *
mesh_application_profile_sign(const MeshApplicationProfile *profile,
			      const MeshMasterProfile *master, const MeshKey *online_key,
			      MeshJwsSignFunc sign, gpointer user_data, GError **error)
{
	g_autoptr(JsonNode) payload = NULL;

	if (profile->shared_private == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "seal the application profile before signing it");
		return NULL;
	}
	if (!mesh_master_profile_check_online_key(master, online_key, "application profiles",
						  error))
		return NULL;
	payload = mesh_application_profile_to_json(profile);
	return mesh_signed_wrap(payload, APPLICATION_TAG, profile->identifier, online_key, sign,
				user_data, MESH_PROFILE_MAX, error);
}

MeshApplicationProfile *
mesh_application_profile_verify(JsonNode *node, const MeshMasterProfile *master, GError **error)
{
	g_autoptr(MeshSignedObject) object = mesh_signed_open(node, APPLICATION_TAG,
							      MESH_PROFILE_MAX, error);
	g_autoptr(MeshApplicationProfile) profile = NULL;

	if (object == NULL ||
	    mesh_master_profile_verify_signed(master, object, "application profile", error) == NULL)
		return NULL;
	profile = mesh_application_profile_from_json(object->payload, error);
	if (profile == NULL)
		return NULL;
	if (!g_str_equal(profile->identifier, object->identifier)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			    "the wrapper's Identifier is not the application profile's");
		return NULL;
	}
	return g_steal_pointer(&profile);
}

MeshApplicationProfile *
mesh_application_profile_parse(const char *text, gsize len, const MeshMasterProfile *master,
			       GError **error)
{
	g_autoptr(JsonNode) root = mesh_json_parse(text, len, MESH_PROFILE_MAX, error);

	if (root == NULL)
		return NULL;
	return mesh_application_profile_verify(root, master, error);
}

gboolean
mesh_application_profile_touch(MeshApplicationProfile *profile, GError **error)
{
	if (!mesh_signed_next_serial(&profile->serial, error))
		return FALSE;
	g_free(profile->updated);
	profile->updated = mesh_json_time_now();
	return TRUE;
}
