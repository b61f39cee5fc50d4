/* SPDX-License-Identifier: MIT */
/* Session: accounts and profiles (create, get, list, damaged entries, sync, portal, delete). */
#include "session-private.h"

#include <string.h>

#include "signed.h"

void
mesh_session_profile_free(MeshSessionProfile *profile)
{
	if (profile == NULL)
		return;
	g_free(profile->identifier);
	g_free(profile->account);
	g_clear_pointer(&profile->devices, g_ptr_array_unref);
	g_clear_pointer(&profile->applications, g_ptr_array_unref);
	g_free(profile->portal);
	g_free(profile->admin_key);
	g_clear_pointer(&profile->escrows, g_ptr_array_unref);
	g_clear_pointer(&profile->demoted, g_ptr_array_unref);
	g_clear_pointer(&profile->notes, g_ptr_array_unref);
	g_free(profile);
}

/* Whether this device's key store holds the key @udf. */
static gboolean
holds_key(MeshSession *session, const char *udf)
{
	g_autoptr(MeshKey) key = NULL;

	return mesh_keystore_get_public(session->store, udf, &key, NULL);
}

MeshSessionProfile *
profile_info(MeshSession *session, const Account *a, const MeshPersonalProfile *personal)
{
	MeshSessionProfile *info = g_new0(MeshSessionProfile, 1);

	info->identifier = g_strdup(personal->identifier);
	info->account = g_strdup(personal->account);
	info->serial = personal->serial;
	info->devices = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < personal->devices->len; i++) {
		const MeshPersonalDevice *d = g_ptr_array_index(personal->devices, i);

		g_ptr_array_add(info->devices, g_strdup(d->profile->identifier));
	}
	info->applications = app_infos(personal);
	info->portal = g_strdup(a->portal);
	info->admin_key = g_strdup(account_admin_udf(a, personal));
	info->escrows = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; a->escrows != NULL && i < a->escrows->len; i++)
		g_ptr_array_add(info->escrows, g_strdup(a->escrows->pdata[i]));
	info->master_keys = holds_key(session, personal->identifier);
	return info;
}

/* ---- Accounts and profiles ----------------------------------------------------------------- */

gboolean
mesh_session_account_validate(MeshSession *session, const char *account, const char *portal_url,
                              gboolean *ret_valid, char **ret_reason, GError **error)
{
	g_autoptr(MeshPortalClient) client = NULL;
	g_autoptr(JsonObject) response = NULL;
	const char *reason = NULL;

	if (!mesh_personal_check_account(account, error))
		return FALSE;
	client = portal_open(session, account, portal_url, error);
	if (client == NULL)
		return FALSE;
	response = portal_plain(client, "ValidateRequest", obj_string("Account", account), error);
	if (response == NULL)
		return FALSE;
	if (!json_object_has_member(response, "Valid") ||
	    json_node_get_value_type(json_object_get_member(response, "Valid")) != G_TYPE_BOOLEAN ||
	    !mesh_json_get_string_opt(response, "Reason", &reason, error)) {
		g_clear_error(error);
		g_set_error(error, MESH_ERROR, MESH_ERROR_PROTOCOL,
		            "the portal's ValidateResponse has no boolean Valid");
		return FALSE;
	}
	/* The reason is shown to the user: the portal's text must be printable (1 KiB at most). */
	if (!mesh_signed_check_text("portal's Reason", reason, 1024, error)) {
		mesh_signed_recode(error, MESH_ERROR_PROTOCOL);
		return FALSE;
	}
	*ret_valid = json_object_get_boolean_member(response, "Valid");
	if (ret_reason != NULL)
		*ret_reason = *ret_valid ? NULL : g_strdup(reason);
	return TRUE;
}

void
mesh_session_keys_locked_error(GError **error)
{
	g_set_error(error, MESH_ERROR, MESH_ERROR_LOCKED,
	            "this hive's keys are protected by a passphrase and locked, and new keys must "
	            "be protected by it too: run 'mesh unlock', then try again");
}

/* Refuse to make keys while the hive's protected keys are locked (MeshSession.keys_locked). */
gboolean
may_make_keys(MeshSession *session, GError **error)
{
	if (!session->keys_locked)
		return TRUE;
	mesh_session_keys_locked_error(error);
	return FALSE;
}

/* The default device, made when there is none. */
gboolean
this_device(MeshSession *session, MeshDeviceProfile **ret, JsonNode **ret_signed, GError **error)
{
	return this_device_described(session, NULL, ret, ret_signed, error);
}

/* this_device, the device made (when there is none) described as @description (may be NULL). */
gboolean
this_device_described(MeshSession *session, const char *description, MeshDeviceProfile **ret,
                      JsonNode **ret_signed, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(MeshDeviceProfile) made = NULL;

	if (mesh_device_load(session->hive, NULL, ret, ret_signed, &local))
		return TRUE;
	if (!g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND)) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (!may_make_keys(session, error) ||
	    !mesh_device_create(session->hive, session->store, description, session->passphrase,
	                        &made, error))
		return FALSE;
	return mesh_device_load(session->hive, made->identifier, ret, ret_signed, error);
}

static void
remove_keys(MeshSession *session, MeshKey **keys, guint n)
{
	for (guint i = 0; i < n; i++) {
		if (keys[i] != NULL)
			mesh_keystore_remove(session->store, mesh_key_udf(keys[i]), NULL);
	}
}

/*
 * A master key: made in software and imported, since escrow must export it (a store that cannot
 * import, such as a TPM, hands it to a software store: see backends/router.h). The public key
 * in *@ret_public.
 */
static gboolean
generate_exportable(MeshSession *session, MeshKeyAlg alg, MeshKeyUse use, MeshKey **ret_public,
                    GError **error)
{
	g_autoptr(MeshKey) priv = mesh_key_generate(alg, error);

	if (priv == NULL ||
	    !mesh_keystore_import(session->store, priv, use, session->passphrase, error))
		return FALSE;
	*ret_public = mesh_key_get_public(priv, error);
	return *ret_public != NULL;
}

gboolean
mesh_session_profile_create(MeshSession *session, const char *account, const char *portal_url,
                            MeshSessionProfile **ret_profile, GError **error)
{
	gboolean edwards = edwards_store(session->store);
	MeshKeyAlg sign_alg = edwards ? MESH_KEY_ED25519 : MESH_KEY_P256;
	MeshKey *keys[3] = {NULL, NULL, NULL}; /* master signature, escrow, administration */
	g_autoptr(MeshDeviceProfile) device = NULL;
	g_autoptr(JsonNode) signed_device = NULL;
	g_autoptr(MeshMasterProfile) master = NULL;
	g_autoptr(JsonNode) signed_master = NULL;
	g_autoptr(MeshPersonalProfile) personal = NULL;
	g_autoptr(JsonNode) signed_personal = NULL;
	g_autoptr(MeshPortalClient) client = NULL;
	g_autoptr(JsonObject) response = NULL;
	g_autoptr(Account) a = NULL;
	g_autofree char *name = NULL;
	MeshKeyStoreSigner signer = {session->store, NULL};
	JsonObject *request;
	gboolean ok = FALSE;

	if (!mesh_personal_check_account(account, error) || !may_make_keys(session, error) ||
	    !account_absent(session, account, error) ||
	    !this_device(session, &device, &signed_device, error))
		return FALSE;
	client = portal_open(session, account, portal_url, error);
	if (client == NULL)
		return FALSE;
	if (!generate_exportable(session, MESH_KEY_ED25519, MESH_KEY_USE_SIGNATURE, &keys[0],
	                         error) ||
	    !generate_exportable(session, MESH_KEY_X25519, MESH_KEY_USE_ENCRYPTION, &keys[1],
	                         error) ||
	    !mesh_keystore_generate(session->store, sign_alg, MESH_KEY_USE_SIGNATURE,
	                            session->passphrase, &keys[2], error))
		goto out;
	master = mesh_master_profile_new(keys[0], &keys[1], 1, &keys[2], 1, error);
	if (master == NULL)
		goto out;
	signer.udf = master->identifier;
	signed_master = mesh_master_profile_sign(master, mesh_keystore_jws_sign, &signer, error);
	if (signed_master == NULL)
		goto out;
	personal = mesh_personal_profile_new(account, signed_master, error);
	if (personal == NULL || !mesh_personal_profile_add_device(personal, signed_device, error) ||
	    !note_added(session, personal, device->identifier, mesh_key_udf(keys[2]), error))
		goto out;
	signer.udf = mesh_key_udf(keys[2]);
	signed_personal = mesh_personal_profile_sign(personal, keys[2], mesh_keystore_jws_sign,
	                                             &signer, error);
	if (signed_personal == NULL)
		goto out;
	request = obj_string("Account", account);
	json_object_set_member(request, "Profile", json_node_copy(signed_personal));
	response = portal_plain(client, "CreateRequest", request, error);
	if (response == NULL)
		goto out;
	name = json_name(personal->identifier);
	a = g_new0(Account, 1);
	a->account = g_strdup(account);
	a->profile = g_strdup(personal->identifier);
	a->device = g_strdup(device->identifier);
	a->portal = portal_remember(portal_url);
	a->admin_key = g_strdup(mesh_key_udf(keys[2]));
	account_note(a, personal);
	if (!write_json(session->hive, MESH_HIVE_PERSONAL_PROFILES, name, signed_personal, error) ||
	    !account_write(session, a, error))
		goto out;
	if (ret_profile != NULL)
		*ret_profile = profile_info(session, a, personal);
	ok = TRUE;
out:
	if (!ok) {
		/* The portal may hold the account now; without its keys it could never be changed
		 * again, but neither could a half-made local copy. Remove what was made here. */
		remove_keys(session, keys, 3);
		if (name != NULL)
			mesh_hive_remove(session->hive, MESH_HIVE_PERSONAL_PROFILES, name, NULL);
	}
	for (int i = 0; i < 3; i++)
		mesh_key_unref(keys[i]);
	return ok;
}

gboolean
mesh_session_profile_get(MeshSession *session, const char *account,
                         MeshSessionProfile **ret_profile, GError **error)
{
	g_auto(Ctx) ctx = {0};

	if (!ctx_open(&ctx, session, account, FALSE, FALSE, error))
		return FALSE;
	*ret_profile = profile_info(session, ctx.account, ctx.personal);
	return TRUE;
}

gboolean
mesh_session_profile_list(MeshSession *session, GPtrArray **ret_accounts, char **ret_default,
                          GError **error)
{
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GPtrArray) accounts = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *def = NULL;
	char *def_account = NULL;

	if (!mesh_hive_list(session->hive, MESH_HIVE_ACCOUNTS, &names, error))
		return FALSE;
	if (!mesh_hive_get_default(session->hive, MESH_HIVE_ACCOUNTS, &def, NULL))
		def = NULL;
	for (guint i = 0; i < names->len; i++) {
		g_autoptr(JsonNode) node = NULL;
		g_autoptr(Account) a = NULL;

		/* An entry that does not read is skipped here; profile get reports it. */
		if (!read_json(session->hive, MESH_HIVE_ACCOUNTS, names->pdata[i], ACCOUNT_MAX,
		               &node, NULL) ||
		    !account_parse(node, &a, NULL))
			continue;
		if (def != NULL && g_str_equal(def, names->pdata[i]))
			def_account = a->account;
		g_ptr_array_add(accounts, g_steal_pointer(&a->account));
	}
	if (ret_default != NULL)
		*ret_default = g_strdup(def_account);
	*ret_accounts = g_steal_pointer(&accounts);
	return TRUE;
}

/* The accounts this machine holds (pending connections left out), quoted, for a message:
 * "'a@example.com', 'b@example.com'"; NULL when none. */
static char *
held_accounts_text(MeshSession *session)
{
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GString) out = g_string_new(NULL);

	if (!mesh_hive_list(session->hive, MESH_HIVE_ACCOUNTS, &names, NULL))
		return NULL;
	for (guint i = 0; i < names->len; i++) {
		g_autoptr(JsonNode) node = NULL;
		g_autoptr(Account) a = NULL;
		g_autofree char *quoted = NULL;

		if (!read_json(session->hive, MESH_HIVE_ACCOUNTS, names->pdata[i], ACCOUNT_MAX,
		               &node, NULL) ||
		    !account_parse(node, &a, NULL) || a->witness != NULL)
			continue;
		quoted = mesh_error_quote(a->account);
		g_string_append_printf(out, "%s'%s'", out->len > 0 ? ", " : "", quoted);
	}
	return out->len > 0 ? g_string_free(g_steal_pointer(&out), FALSE) : NULL;
}

gboolean
mesh_session_account_set_default(MeshSession *session, const char *account, GError **error)
{
	g_autoptr(Account) a = NULL;
	g_autoptr(GError) local = NULL;
	g_autofree char *name = NULL;

	if (!mesh_personal_check_account(account, error))
		return FALSE;
	if (!account_read(session, account, &a, &local)) {
		g_autofree char *quoted = mesh_error_quote(account);
		g_autofree char *held = NULL;

		if (!g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND)) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		held = held_accounts_text(session);
		if (held != NULL)
			g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
			            "this machine holds no account '%s': it holds %s", quoted,
			            held);
		else
			g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
			            "this machine holds no account '%s', nor any other: run 'mesh "
			            "profile create', 'mesh profile recover' or 'mesh connect "
			            "request'",
			            quoted);
		return FALSE;
	}
	if (a->witness != NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
		            "the connection of this device to %s is still pending, so it cannot be "
		            "the default account: run 'mesh connect wait %s' first",
		            a->account, a->account);
		return FALSE;
	}
	name = account_entry(a->account);
	return mesh_hive_set_default(session->hive, MESH_HIVE_ACCOUNTS, name, error);
}

void
mesh_session_damage_free(MeshSessionDamage *damage)
{
	if (damage == NULL)
		return;
	g_free(damage->entry);
	g_free(damage->account);
	g_free(damage->message);
	g_free(damage->fix);
	g_free(damage);
}

/* The account the Accounts/ entry @name is for ("_AT_" back to '@'), or NULL when the name is
 * not an account's (a digest, for a long account). */
static char *
entry_account(const char *name)
{
	g_auto(GStrv) parts = g_strsplit(name, AT_ESCAPE, 2);
	g_autofree char *account = g_strjoinv("@", parts);

	return mesh_personal_check_account(account, NULL) ? g_steal_pointer(&account) : NULL;
}

static void
add_damage(GPtrArray *list, MeshHiveFolder folder, const char *name, const char *account,
           const GError *cause, char *fix)
{
	MeshSessionDamage *d = g_new0(MeshSessionDamage, 1);

	d->entry = g_strdup_printf("%s/%s", mesh_hive_folder_name(folder), name);
	d->account = g_strdup(account);
	d->code = cause->domain == MESH_ERROR ? cause->code : MESH_ERROR_FAILED;
	d->message = g_strdup(cause->message);
	d->fix = fix;
	g_ptr_array_add(list, d);
}

gboolean
mesh_session_profile_list_damaged(MeshSession *session, GPtrArray **ret_damaged, GError **error)
{
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GPtrArray) list =
	        g_ptr_array_new_with_free_func((GDestroyNotify)mesh_session_damage_free);

	if (!mesh_hive_list(session->hive, MESH_HIVE_ACCOUNTS, &names, error))
		return FALSE;
	for (guint i = 0; i < names->len; i++) {
		const char *name = names->pdata[i];
		g_autoptr(JsonNode) node = NULL;
		g_autoptr(Account) a = NULL;
		g_autoptr(MeshPersonalProfile) personal = NULL;
		g_autoptr(GError) local = NULL;
		g_autofree char *account = NULL;
		g_autofree char *profile_name = NULL;

		if (!read_json(session->hive, MESH_HIVE_ACCOUNTS, name, ACCOUNT_MAX, &node,
		               &local) ||
		    !account_parse(node, &a, &local)) {
			/* Gone since it was listed: nothing wrong. */
			if (g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND))
				continue;
			account = entry_account(name);
			add_damage(
			        list, MESH_HIVE_ACCOUNTS, name, account, local,
			        account != NULL
			                ? g_strdup_printf(
			                          "remove it with 'mesh profile delete %s --yes', "
			                          "then join the account again ('mesh connect "
			                          "request %s', or 'mesh profile recover %s "
			                          "SHARE...')",
			                          account, account, account)
			                : g_strdup_printf("remove the file %s/%s/%s, then join the "
			                                  "account again",
			                                  mesh_hive_location(session->hive),
			                                  mesh_hive_folder_name(MESH_HIVE_ACCOUNTS),
			                                  name));
			continue;
		}
		/* A pending connection has no profile yet. */
		if (a->witness != NULL || load_personal(session, a->profile, &personal, &local))
			continue;
		profile_name = json_name(a->profile);
		add_damage(list, MESH_HIVE_PERSONAL_PROFILES, profile_name, a->account, local,
		           g_strdup_printf("run 'mesh profile sync %s' to fetch it from the portal "
		                           "again",
		                           a->account));
	}
	*ret_damaged = g_steal_pointer(&list);
	return TRUE;
}

/* Fetch, verify and store the application profiles @personal lists. */
gboolean
sync_apps(MeshSession *session, MeshPortalClient *client, const MeshPersonalProfile *personal,
          GError **error)
{
	for (guint i = 0; i < personal->applications->len; i++) {
		const MeshApplicationEntry *e = g_ptr_array_index(personal->applications, i);
		g_autoptr(JsonNode) node = portal_get(client, "Identifier", e->identifier, error);
		g_autoptr(MeshApplicationProfile) app = NULL;
		g_autoptr(JsonNode) old_node = NULL;
		g_autoptr(MeshApplicationProfile) old = NULL;
		g_autofree char *name = json_name(e->identifier);

		if (node == NULL)
			return FALSE;
		app = mesh_application_profile_verify(node, personal->master, error);
		if (app == NULL || !g_str_equal(app->identifier, e->identifier)) {
			if (app != NULL)
				g_set_error(error, MESH_ERROR, MESH_ERROR_PROTOCOL,
				            "the portal answered with another application profile");
			g_prefix_error(error, "application %s: ", e->identifier);
			return FALSE;
		}
		if (read_json(session->hive, MESH_HIVE_APPLICATION_PROFILES, name, MESH_PROFILE_MAX,
		              &old_node, NULL))
			old = mesh_application_profile_verify(old_node, personal->master, NULL);
		/* The copy here holds changes of this device still queued (so may be ahead of
		 * the portal's): it stays until the flush publishes them. */
		if (old != NULL && session_queue_touches(session, personal->account, e->friendly))
			continue;
		if (old != NULL && old->serial > app->serial) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_STALE,
			            "application %s: the portal offers Serial %" G_GINT64_FORMAT
			            ", this device holds %" G_GINT64_FORMAT,
			            e->identifier, app->serial, old->serial);
			return FALSE;
		}
		if (!write_json(session->hive, MESH_HIVE_APPLICATION_PROFILES, name, node, error))
			return FALSE;
	}
	return TRUE;
}

/* Forget the application profiles that @old listed and @fresh no longer does (deleted). */
void
drop_apps(MeshSession *session, const MeshPersonalProfile *old, const MeshPersonalProfile *fresh)
{
	for (guint i = 0; old != NULL && i < old->applications->len; i++) {
		const MeshApplicationEntry *e = g_ptr_array_index(old->applications, i);
		g_autofree char *name = NULL;

		if (mesh_personal_profile_application(fresh, e->identifier) != NULL)
			continue;
		name = json_name(e->identifier);
		mesh_hive_remove(session->hive, MESH_HIVE_APPLICATION_PROFILES, name, NULL);
	}
}

/*
 * Whether the portal's profile @fresh may take the place of the one the stored account @a
 * holds: the Identifier the entry names (the master key's UDF: that key signed the master
 * profile, and an administration key of that master profile the whole), serials not below the
 * ones this device stored, this device still listed. What the portal cannot fake: a profile of
 * another master key, an older one (a removed device or key back), or one without this device.
 */
gboolean
check_portal_profile(const Account *a, const MeshPersonalProfile *fresh, GError **error)
{
	if (!g_str_equal(fresh->identifier, a->profile)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_WITNESS_MISMATCH,
		            "the portal holds the profile %s for %s, not %s: nothing was changed",
		            fresh->identifier, a->account, a->profile);
		return FALSE;
	}
	if (fresh->serial < a->serial || fresh->master->serial < a->master_serial) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_STALE,
		            "the portal offers an older profile of %s (Serial %" G_GINT64_FORMAT
		            ", master Serial %" G_GINT64_FORMAT
		            ") than this device has stored (%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
		            "): nothing was changed",
		            a->account, fresh->serial, fresh->master->serial, a->serial,
		            a->master_serial);
		return FALSE;
	}
	if (mesh_personal_profile_removed(fresh, a->device) != NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_REMOVED,
		            "this device was removed from the profile of %s on %s by an "
		            "administration device",
		            a->account, mesh_personal_profile_removed(fresh, a->device));
		return FALSE;
	}
	if (mesh_personal_profile_device(fresh, a->device) == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
		            "the portal's profile of %s (Serial %" G_GINT64_FORMAT
		            ") does not list this device (%s): an administration device removed "
		            "it, or the portal is not honest; nothing was changed",
		            a->account, fresh->serial, a->device);
		return FALSE;
	}
	return TRUE;
}

/* Remove the Accounts/ entry @name, and the default when it names it. */
static gboolean
remove_entry(MeshSession *session, const char *name, GError **error)
{
	g_autofree char *def = NULL;

	if (!mesh_hive_remove(session->hive, MESH_HIVE_ACCOUNTS, name, error))
		return FALSE;
	if (mesh_hive_get_default(session->hive, MESH_HIVE_ACCOUNTS, &def, NULL) &&
	    g_str_equal(def, name))
		mesh_hive_remove(session->hive, MESH_HIVE_ACCOUNTS, MESH_HIVE_DEFAULT, NULL);
	return TRUE;
}

/*
 * Forget the account @a here: its entry, its personal (@personal, NULL when it does not read)
 * and application profiles, and the master, escrow, administration and SSH keys of the account
 * in the key store. Escrow/ and the device stay.
 */
static gboolean
forget_account(MeshSession *session, const Account *a, const MeshPersonalProfile *personal,
               GError **error)
{
	g_autofree char *name = account_entry(a->account);
	g_autofree char *profile_name = json_name(a->profile);

	if (personal != NULL) {
		for (guint i = 0; i < personal->applications->len; i++) {
			const MeshApplicationEntry *e =
			        g_ptr_array_index(personal->applications, i);
			g_autofree char *app_name = json_name(e->identifier);

			mesh_hive_remove(session->hive, MESH_HIVE_APPLICATION_PROFILES, app_name,
			                 NULL);
		}
		for (guint i = 0; i < personal->master->escrow_keys->len; i++)
			mesh_keystore_remove(session->store,
			                     mesh_key_udf(personal->master->escrow_keys->pdata[i]),
			                     NULL);
	}
	/* Keys that are not there (a device that never held them) are no error. */
	mesh_keystore_remove(session->store, a->profile, NULL);
	if (a->admin_key != NULL)
		mesh_keystore_remove(session->store, a->admin_key, NULL);
	if (a->ssh_udf != NULL)
		mesh_keystore_remove(session->store, a->ssh_udf, NULL);
	mesh_hive_remove(session->hive, MESH_HIVE_PERSONAL_PROFILES, profile_name, NULL);
	/* The account's queued changes go with it: no key here could publish them any more. */
	session_queue_forget(session, a->account);
	return remove_entry(session, name, error);
}

gboolean
mesh_session_profile_sync(MeshSession *session, const char *account,
                          MeshSessionProfile **ret_profile, GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(MeshPersonalProfile) fresh = NULL;
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(GError) local = NULL;
	g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) pins = NULL;
	gboolean admin = FALSE;

	if (!ctx_open_entry(&ctx, session, account, error))
		return FALSE;
	/* A stored profile that is missing or does not verify is repaired: the account entry
	 * says which profile the portal must offer, and the serials it must reach. (One that
	 * holds queued changes is ahead of the portal: the account entry's serials, which only
	 * what the portal took raises, are the floor then.) */
	if (load_personal(session, ctx.account->profile, &ctx.personal, NULL) &&
	    !session_queue_pending(session, ctx.account->account))
		account_note(ctx.account, ctx.personal);
	ctx.client = account_portal_open(session, ctx.account, NULL, error);
	if (ctx.client == NULL)
		return FALSE;
	fresh = portal_get_personal(ctx.client, ctx.account->account, &node, error);
	if (fresh == NULL)
		return FALSE;
	if (!check_portal_profile(ctx.account, fresh, &local)) {
		/* Removed by an administration device (the profile says so, signed): what is left
		 * here of the account is of no use and could only mislead; the device stays. */
		if (g_error_matches(local, MESH_ERROR, MESH_ERROR_REMOVED) &&
		    forget_account(session, ctx.account, ctx.personal, NULL)) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_REMOVED,
			            "%s; this machine's copy of the account was deleted (the device "
			            "and its keys stay): to join again, run 'mesh connect request "
			            "%s' (it makes a new device for the account)",
			            local->message, ctx.account->account);
			return FALSE;
		}
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (!sync_apps(session, ctx.client, fresh, error) ||
	    !store_personal(session, ctx.account, node, fresh, error))
		return FALSE;
	drop_apps(session, ctx.personal, fresh);
	/* An administration device lists the SSH keys the devices published since. */
	mesh_personal_profile_free(ctx.personal);
	ctx.personal = g_steal_pointer(&fresh);
	if (!ctx_load_admin(&ctx, &admin, error) || (admin && !ctx_fold_ssh(&ctx, error)))
		return FALSE;
	/* Requests made with this device's PINs; what fails there is said, and the sync stands. */
	if (admin && !session_accept_pins(session, ctx.account->account, notes, &pins))
		g_ptr_array_add(notes, g_strdup_printf("PIN requests not answered: %s",
		                                       pins->message));
	if (ret_profile != NULL) {
		g_autoptr(Account) now = NULL;

		/* The entry as accepting may have left it. */
		if (!account_read(session, ctx.account->account, &now, error))
			return FALSE;
		*ret_profile = profile_info(session, now, ctx.personal);
		if (notes->len > 0)
			(*ret_profile)->notes = g_steal_pointer(&notes);
	}
	return TRUE;
}

/*
 * Whether deleting @a here (its personal profile @personal, NULL when it does not read) would
 * lose the profile for good: this device holds its master keys, or is its only administration
 * device, and no escrow of them is known here. Then MESH_ERROR_PERMISSION saying so.
 */
static gboolean
delete_loses_nothing(MeshSession *session, const Account *a, const MeshPersonalProfile *personal,
                     GError **error)
{
	gboolean master = holds_key(session, a->profile);
	gboolean only_admin = FALSE;
	g_autofree char *quoted = mesh_error_quote(a->account);

	if (a->escrows != NULL && a->escrows->len > 0)
		return TRUE;
	/* A profile that does not read might list no other administration key: assume so. */
	if (personal == NULL)
		only_admin = a->admin_key != NULL;
	else
		only_admin = personal->master->online_keys->len == 1 &&
		             account_admin_udf(a, personal) != NULL;
	if (!master && !only_admin)
		return TRUE;
	g_set_error(
	        error, MESH_ERROR, MESH_ERROR_PERMISSION,
	        "%s: this device %s, and no escrow of the master keys is known here: deleting "
	        "the profile here would lose %s for good (no device could change the profile "
	        "again; the account stays on its portal, its name taken). Make an escrow first "
	        "('mesh escrow create --quorum 2 --shares 3 --account %s') and keep the shares, "
	        "or give --force to delete it anyway",
	        quoted,
	        master && only_admin ? "holds the master keys and is the only administration "
	                               "device"
	        : master             ? "holds the master keys"
	                             : "is the only administration device",
	        master && only_admin ? "the master keys and the only administration key"
	        : master             ? "the master keys"
	                             : "the only administration key",
	        quoted);
	return FALSE;
}

gboolean
mesh_session_profile_set_portal(MeshSession *session, const char *account, const char *url,
                                MeshSessionProfile **ret_profile, GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(MeshPersonalProfile) fresh = NULL;
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(Account) now = NULL;
	g_autofree char *normal = mesh_portal_url_normalize(url, error);

	if (normal == NULL || !ctx_open_entry(&ctx, session, account, error))
		return FALSE;
	if (load_personal(session, ctx.account->profile, &ctx.personal, NULL))
		account_note(ctx.account, ctx.personal);
	ctx.client = portal_open(session, ctx.account->account, normal, error);
	if (ctx.client == NULL)
		return FALSE;
	fresh = portal_get_personal(ctx.client, ctx.account->account, &node, error);
	if (fresh == NULL || !check_portal_profile(ctx.account, fresh, error)) {
		g_prefix_error(error, "%s was not moved to %s: ", ctx.account->account, normal);
		return FALSE;
	}
	/* The entry as it is now: other requests ran while this one waited for the portal. */
	if (!account_read(session, ctx.account->account, &now, error))
		return FALSE;
	g_free(now->portal);
	now->portal = g_steal_pointer(&normal);
	if (!account_write(session, now, error))
		return FALSE;
	if (ret_profile != NULL)
		*ret_profile = profile_info(session, now, fresh);
	return TRUE;
}

/* Whether account_read of the valid account name @account failed on what its entry holds (it
 * is there, but damaged): not on a missing entry or one the hive cannot read. */
static gboolean
entry_damaged(const char *account, const GError *cause)
{
	return account != NULL && mesh_personal_check_account(account, NULL) &&
	       !g_error_matches(cause, MESH_ERROR, MESH_ERROR_NOT_FOUND) &&
	       !g_error_matches(cause, MESH_ERROR, MESH_ERROR_IO) &&
	       !g_error_matches(cause, MESH_ERROR, MESH_ERROR_PERMISSION);
}

/*
 * What the unreadable Accounts/ entry of @account named, from the stored personal profile of
 * @account that verifies: the profile, and the administration key when the key store holds one
 * of its master profile's (this device's SSH key cannot be told). NULL when there is none.
 */
static Account *
damaged_account(MeshSession *session, const char *account)
{
	g_autoptr(GPtrArray) names = NULL;

	if (!mesh_hive_list(session->hive, MESH_HIVE_PERSONAL_PROFILES, &names, NULL))
		return NULL;
	for (guint i = 0; i < names->len; i++) {
		const char *name = names->pdata[i];
		g_autofree char *udf = NULL;
		g_autoptr(MeshPersonalProfile) p = NULL;
		Account *a;

		if (!g_str_has_suffix(name, JSON_SUFFIX))
			continue;
		udf = g_strndup(name, strlen(name) - strlen(JSON_SUFFIX));
		if (!load_personal(session, udf, &p, NULL) || !g_str_equal(p->account, account))
			continue;
		a = g_new0(Account, 1);
		a->account = g_strdup(account);
		a->profile = g_steal_pointer(&udf);
		for (guint k = 0; k < p->master->online_keys->len && a->admin_key == NULL; k++) {
			const char *key = mesh_key_udf(p->master->online_keys->pdata[k]);

			if (holds_key(session, key))
				a->admin_key = g_strdup(key);
		}
		return a;
	}
	return NULL;
}

gboolean
mesh_session_profile_delete(MeshSession *session, const char *account, gboolean force,
                            GError **error)
{
	g_autoptr(Account) a = NULL;
	g_autoptr(MeshPersonalProfile) personal = NULL;
	g_autoptr(GError) local = NULL;
	g_autofree char *name = NULL;

	if (!account_read(session, account, &a, &local)) {
		if (!entry_damaged(account, local)) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		/* An entry that does not read: the stored profile of the account tells what it
		 * named, and all of that goes, so that the account can be joined or recovered
		 * again; without one, the entry goes alone. */
		a = damaged_account(session, account);
		if (a == NULL) {
			name = account_entry(account);
			return remove_entry(session, name, error);
		}
	}
	if (a->witness == NULL)
		(void)load_personal(session, a->profile, &personal, NULL);
	/* A pending connection holds no key of the profile. */
	if (!force && a->witness == NULL && !delete_loses_nothing(session, a, personal, error))
		return FALSE;
	return forget_account(session, a, personal, error);
}
