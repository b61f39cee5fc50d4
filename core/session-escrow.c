/* SPDX-License-Identifier: MIT */
/* Session: escrow of the master keys and recovery of a profile from its shares. */
#include "session-private.h"

#include "escrow.h"
#include "shamir.h"
#include "signed.h"
#include "udf.h"

/* ---- Escrow and recovery ------------------------------------------------------------------- */

/*
 * Record the escrow entry @id of the profile @profile in the entry of @account as it is now:
 * the portal waits before let other requests change it (a profile deleted meanwhile is not
 * brought back).
 */
static gboolean
record_escrow(MeshSession *session, const char *account, const char *profile, const char *id,
              GError **error)
{
	g_autoptr(Account) a = NULL;
	g_autoptr(GError) local = NULL;

	if (!account_read(session, account, &a, &local)) {
		if (g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND))
			return TRUE;
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (a->witness != NULL || !g_str_equal(a->profile, profile))
		return TRUE;
	account_add_escrow(a, id);
	return account_write(session, a, error);
}

gboolean
mesh_session_escrow_create(MeshSession *session, const char *account, guint quorum, guint shares,
                           GPtrArray **ret_shares, char **ret_identifier, GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(MeshKey) sig = NULL;
	g_autoptr(GPtrArray) escrow =
	        g_ptr_array_new_with_free_func((GDestroyNotify)mesh_key_unref);
	g_autoptr(JsonNode) entry = NULL;
	g_autoptr(GPtrArray) texts = NULL;
	g_autoptr(MeshEscrowEntry) parsed = NULL;
	g_autofree char *name = NULL;

	if (!ctx_open(&ctx, session, account, TRUE, TRUE, error))
		return FALSE;
	if (!mesh_keystore_export_private(session->store, ctx.personal->identifier, &sig, error)) {
		g_prefix_error(error, "this device does not hold the master keys of %s: ",
		               ctx.account->account);
		return FALSE;
	}
	for (guint i = 0; i < ctx.personal->master->escrow_keys->len; i++) {
		MeshKey *key = NULL;

		if (!mesh_keystore_export_private(
		            session->store,
		            mesh_key_udf(ctx.personal->master->escrow_keys->pdata[i]), &key, error))
			return FALSE;
		g_ptr_array_add(escrow, key);
	}
	if (!mesh_escrow_create(sig, (MeshKey *const *)escrow->pdata, escrow->len, quorum, shares,
	                        &entry, &texts, error))
		return FALSE;
	parsed = mesh_escrow_entry_from_json(entry, error);
	if (parsed == NULL)
		return FALSE;
	name = json_name(parsed->identifier);
	if (!ctx_publish(&ctx, entry, error) ||
	    !write_json(session->hive, MESH_HIVE_ESCROW, name, entry, error))
		return FALSE;
	/* The profile is escrowed now: profile delete may go on, the nudge stops. */
	if (!record_escrow(session, ctx.account->account, ctx.personal->identifier,
	                   parsed->identifier, error))
		return FALSE;
	if (ret_identifier != NULL)
		*ret_identifier = g_strdup(parsed->identifier);
	*ret_shares = g_steal_pointer(&texts);
	return TRUE;
}

/* The escrow @given (NULL: the only one @a knows) in *@ret_id: a given one need not be known
 * here (the portal deletes only an escrow entry of the account). */
static gboolean
escrow_to_revoke(const Account *a, const char *given, char **ret_id, GError **error)
{
	guint n = a->escrows != NULL ? a->escrows->len : 0;

	if (given != NULL) {
		if (!mesh_keystore_check_udf(given, NULL)) {
			g_autofree char *quoted = mesh_error_quote(given);

			g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			            "'%s' is not an escrow identifier (a UDF such as 'mesh profile "
			            "show' lists under Escrows)",
			            quoted);
			return FALSE;
		}
		*ret_id = g_ascii_strup(given, -1);
		return TRUE;
	}
	if (n == 1) {
		*ret_id = g_strdup(a->escrows->pdata[0]);
		return TRUE;
	}
	if (n == 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
		            "no escrow of %s's master keys is known on this device: give the "
		            "escrow's identifier",
		            a->account);
	} else {
		g_autofree char *ids = NULL;

		g_ptr_array_add(a->escrows, NULL);
		ids = g_strjoinv(", ", (char **)a->escrows->pdata);
		g_ptr_array_remove_index(a->escrows, a->escrows->len - 1);
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "%u escrows of %s's master keys are known here (%s): give the one to "
		            "revoke",
		            n, a->account, ids);
	}
	return FALSE;
}

/* Forget the escrow entry @id of @account here: its copy in Escrow/ and its record in the
 * account entry (read again, as record_escrow does). */
static gboolean
forget_escrow(MeshSession *session, const char *account, const char *id, GError **error)
{
	g_autofree char *name = json_name(id);
	g_autoptr(Account) a = NULL;
	g_autoptr(GError) local = NULL;

	if (!mesh_hive_remove(session->hive, MESH_HIVE_ESCROW, name, &local) &&
	    !g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND)) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (!account_read(session, account, &a, error))
		return FALSE;
	for (guint i = 0; a->escrows != NULL && i < a->escrows->len; i++) {
		if (g_str_equal(a->escrows->pdata[i], id)) {
			g_ptr_array_remove_index(a->escrows, i);
			return account_write(session, a, error);
		}
	}
	return TRUE;
}

/*
 * The portal's copy goes first, then this device's: a revocation interrupted between them (or a
 * portal that lost the entry) is finished by running it again, since the portal's NotFound for
 * an escrow recorded here only means it holds none.
 */
gboolean
mesh_session_escrow_revoke(MeshSession *session, const char *account, const char *identifier,
                           char **ret_identifier, char **ret_account, GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autofree char *id = NULL;
	g_autoptr(JsonObject) response = NULL;
	g_autoptr(GError) local = NULL;
	JsonObject *request;
	gboolean known = FALSE;

	if (!ctx_open(&ctx, session, account, TRUE, TRUE, error) ||
	    !escrow_to_revoke(ctx.account, identifier, &id, error))
		return FALSE;
	for (guint i = 0; ctx.account->escrows != NULL && i < ctx.account->escrows->len; i++)
		known = known || g_str_equal(ctx.account->escrows->pdata[i], id);
	request = obj_string("Account", ctx.account->account);
	json_object_set_string_member(request, "Identifier", id);
	response = portal_signed(session, ctx.client, "DeleteRequest", request,
	                         ctx.admin_udf, &local);
	if (response == NULL &&
	    !(known && g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND))) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (!forget_escrow(session, ctx.account->account, id, error))
		return FALSE;
	if (ret_identifier != NULL)
		*ret_identifier = g_steal_pointer(&id);
	if (ret_account != NULL)
		*ret_account = g_strdup(ctx.account->account);
	return TRUE;
}

/* The escrow entry the shares open: its identifier from the combined secret, then the local
 * copy or the portal's. NotFound becomes ShareMismatch: shares of no escrow known here. */
static MeshEscrowEntry *
find_escrow(MeshSession *session, MeshPortalClient *client, const char *const *shares,
            gsize n_shares, GError **error)
{
	g_autoptr(MeshSecret) secret = mesh_shamir_combine(shares, n_shares, error);
	g_autofree char *id = NULL;
	g_autofree char *name = NULL;
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(GError) local = NULL;

	if (secret == NULL)
		return NULL;
	id = mesh_udf_content_digest(MESH_UDF_ALG_SHA512, MESH_ESCROW_CT, mesh_secret_get(secret),
	                             mesh_secret_len(secret), MESH_UDF_BITS_DEFAULT, error);
	if (id == NULL)
		return NULL;
	name = json_name(id);
	if (!read_json(session->hive, MESH_HIVE_ESCROW, name, MESH_ESCROW_MAX, &node, NULL)) {
		if (client != NULL)
			node = portal_get(client, "Identifier", id, &local);
		if (node == NULL) {
			if (local == NULL ||
			    g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND)) {
				g_set_error(error, MESH_ERROR, MESH_ERROR_SHARE_MISMATCH,
				            "no escrow entry matches these shares: they belong to "
				            "another escrow, or one of them is mistyped");
			} else {
				g_propagate_error(error, g_steal_pointer(&local));
			}
			return NULL;
		}
	}
	return mesh_escrow_entry_from_json(node, error);
}

gboolean
mesh_session_escrow_verify(MeshSession *session, const char *account, const char *portal_url,
                           const char *const *shares, gsize n_shares, GError **error)
{
	g_autoptr(Account) a = NULL;
	g_autoptr(MeshPersonalProfile) personal = NULL;
	g_autoptr(MeshPortalClient) client = NULL;
	g_autoptr(MeshEscrowEntry) entry = NULL;

	if (account != NULL && !mesh_personal_check_account(account, error))
		return FALSE;
	if (account_read(session, account, &a, NULL) && a->witness == NULL &&
	    !load_personal(session, a->profile, &personal, error))
		return FALSE;
	if (a != NULL)
		client = account_portal_open(session, a, portal_url, error);
	else if (account != NULL)
		client = portal_open(session, account, portal_url, error);
	if ((account != NULL || a != NULL) && client == NULL)
		return FALSE;
	entry = find_escrow(session, client, shares, n_shares, error);
	if (entry == NULL || !mesh_escrow_verify(entry, shares, n_shares,
	                                         personal != NULL ? personal->master : NULL, error))
		return FALSE;
	/* The entry holds the master keys of a profile held here: it is escrowed. */
	return personal == NULL ||
	       record_escrow(session, a->account, personal->identifier, entry->identifier, error);
}

/* Open every application profile of @personal with one of the master escrow keys. */
static gboolean
recover_apps(MeshPortalClient *client, const MeshPersonalProfile *personal,
             const MeshEscrowedKeys *keys, GPtrArray *ret_apps, GError **error)
{
	for (guint i = 0; i < personal->applications->len; i++) {
		const MeshApplicationEntry *e = g_ptr_array_index(personal->applications, i);
		g_autoptr(JsonNode) node = portal_get(client, "Identifier", e->identifier, error);
		RecoveredApp *r;
		MeshApplicationProfile *app;
		MeshSecret *plaintext = NULL;

		if (node == NULL)
			return FALSE;
		app = mesh_application_profile_verify(node, personal->master, error);
		if (app == NULL)
			return FALSE;
		for (guint k = 0; plaintext == NULL && k < keys->escrow_keys->len; k++) {
			g_clear_error(error);
			plaintext = mesh_application_profile_open(app, keys->escrow_keys->pdata[k],
			                                          error);
		}
		if (plaintext == NULL) {
			mesh_application_profile_free(app);
			g_prefix_error(error, "application %s: ", e->identifier);
			return FALSE;
		}
		r = g_new0(RecoveredApp, 1);
		r->app = app;
		r->plaintext = plaintext;
		g_ptr_array_add(ret_apps, r);
	}
	return TRUE;
}

gboolean
mesh_session_profile_recover(MeshSession *session, const char *account, const char *const *shares,
                             gsize n_shares, const char *portal_url,
                             MeshSessionProfile **ret_profile, GError **error)
{
	g_autoptr(MeshPortalClient) client = NULL;
	g_autoptr(MeshEscrowEntry) entry = NULL;
	g_autoptr(MeshPersonalProfile) personal = NULL;
	g_autoptr(JsonNode) signed_personal = NULL;
	g_autoptr(MeshEscrowedKeys) keys = NULL;
	g_autoptr(GPtrArray) apps =
	        g_ptr_array_new_with_free_func((GDestroyNotify)recovered_app_free);
	g_autoptr(MeshDeviceProfile) device = NULL;
	g_autoptr(JsonNode) signed_device = NULL;
	g_autoptr(GPtrArray) imported = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(MeshKey) admin = NULL;
	g_autoptr(MeshMasterProfile) master = NULL;
	g_autoptr(JsonNode) signed_master = NULL;
	g_autoptr(GPtrArray) old_online = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) demoted =
	        g_ptr_array_new_with_free_func((GDestroyNotify)mesh_session_device_free);
	g_auto(Ctx) ctx = {0};
	gboolean ok = FALSE;

	if (!mesh_personal_check_account(account, error) || !may_make_keys(session, error) ||
	    !account_absent(session, account, error))
		return FALSE;
	client = portal_open(session, account, portal_url, error);
	if (client == NULL)
		return FALSE;
	/* Every check first: a refused recovery changes nothing. */
	entry = find_escrow(session, client, shares, n_shares, error);
	if (entry == NULL)
		return FALSE;
	personal = portal_get_personal(client, account, &signed_personal, error);
	if (personal == NULL ||
	    !mesh_escrow_verify(entry, shares, n_shares, personal->master, error))
		return FALSE;
	keys = mesh_escrow_recover(entry, shares, n_shares, error);
	if (keys == NULL || !recover_apps(client, personal, keys, apps, error))
		return FALSE;

	if (!this_device(session, &device, &signed_device, error))
		return FALSE;
	if (!mesh_keystore_import(session->store, keys->signature_key, MESH_KEY_USE_SIGNATURE,
	                          session->passphrase, error))
		goto out;
	g_ptr_array_add(imported, g_strdup(mesh_key_udf(keys->signature_key)));
	for (guint i = 0; i < keys->escrow_keys->len; i++) {
		if (!mesh_keystore_import(session->store, keys->escrow_keys->pdata[i],
		                          MESH_KEY_USE_ENCRYPTION, session->passphrase, error))
			goto out;
		g_ptr_array_add(imported, g_strdup(mesh_key_udf(keys->escrow_keys->pdata[i])));
	}
	/* The administration key is this device's: the algorithm its store makes. */
	if (!mesh_keystore_generate(session->store,
	                            edwards_store(session->store) ? MESH_KEY_ED25519
	                                                          : MESH_KEY_P256,
	                            MESH_KEY_USE_SIGNATURE, session->passphrase, &admin, error))
		goto out;
	g_ptr_array_add(imported, g_strdup(mesh_key_udf(admin)));

	/* The new administration key replaces every old one: those devices may be lost. Which
	 * devices lose administration is said, so that the user can promote them again. */
	for (guint i = 0; i < personal->devices->len; i++) {
		const MeshPersonalDevice *d = personal->devices->pdata[i];

		if (mesh_personal_device_admin_key(personal, d) != NULL &&
		    !g_str_equal(d->profile->identifier, device->identifier))
			g_ptr_array_add(demoted, session_device_info(personal, d, NULL));
	}
	master = mesh_master_profile_verify(personal->signed_master, error);
	if (master == NULL || !mesh_master_profile_add_online_key(master, admin, error))
		goto out;
	for (guint i = 0; i < master->online_keys->len; i++) {
		const char *udf = mesh_key_udf(master->online_keys->pdata[i]);

		if (!g_str_equal(udf, mesh_key_udf(admin)))
			g_ptr_array_add(old_online, g_strdup(udf));
	}
	for (guint i = 0; i < old_online->len; i++) {
		if (!mesh_master_profile_remove_online_key(master, old_online->pdata[i], error))
			goto out;
	}
	if (!mesh_master_profile_touch(master, error))
		goto out;
	signed_master = mesh_master_profile_sign(master, mesh_signed_sign_with_key,
	                                         keys->signature_key, error);
	if (signed_master == NULL ||
	    !mesh_personal_profile_set_master(personal, signed_master, error))
		goto out;
	mesh_personal_profile_drop_admin_keys(personal);
	if ((mesh_personal_profile_device(personal, device->identifier) == NULL &&
	     !mesh_personal_profile_add_device(personal, signed_device, error)) ||
	    !note_added(session, personal, device->identifier, mesh_key_udf(admin), error))
		goto out;
	entries_add_device(personal, device->identifier);
	if (!mesh_personal_profile_touch(personal, error))
		goto out;

	ctx.session = session;
	ctx.account = g_new0(Account, 1);
	ctx.account->account = g_strdup(account);
	ctx.account->profile = g_strdup(personal->identifier);
	ctx.account->device = g_strdup(device->identifier);
	ctx.account->portal = portal_remember(portal_url);
	ctx.account->admin_key = g_strdup(mesh_key_udf(admin));
	ctx.admin_udf = g_strdup(mesh_key_udf(admin));
	ctx.personal = g_steal_pointer(&personal);
	ctx.device = g_steal_pointer(&device);
	ctx.admin = mesh_key_ref(admin);
	ctx.client = g_steal_pointer(&client);
	/* The personal profile first: it re-binds the account to the new administration key,
	 * which the application profiles are then signed with. */
	if (!ctx_publish_personal(&ctx, error))
		goto out;
	for (guint i = 0; i < apps->len; i++) {
		RecoveredApp *r = g_ptr_array_index(apps, i);

		if (!mesh_application_profile_touch(r->app, error) ||
		    !ctx_save_app(&ctx, r->app, r->plaintext, error))
			goto out;
	}
	/* The shares just used are an escrow of the master keys. */
	account_add_escrow(ctx.account, entry->identifier);
	if (!account_write(session, ctx.account, error))
		goto out;
	if (ret_profile != NULL) {
		*ret_profile = profile_info(session, ctx.account, ctx.personal);
		(*ret_profile)->demoted = g_steal_pointer(&demoted);
	}
	ok = TRUE;
out:
	if (!ok) {
		for (guint i = 0; i < imported->len; i++)
			mesh_keystore_remove(session->store, imported->pdata[i], NULL);
	}
	return ok;
}
