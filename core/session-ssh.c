/* SPDX-License-Identifier: MIT */
/* Session: the SSH application, and what the keys in the store are for. */
#include "session-private.h"

#include "signed.h"
#include "ssh-device-key.h"
#include "sshkey.h"

/* ---- SSH ----------------------------------------------------------------------------------- */

#define SSH_APP         "SSH"
#define SSH_PRIVATE     "{\"SSHProfile\":{\"HostEntries\":[]}}"
#define SSH_COMMENT_UDF 14

void
mesh_session_ssh_key_free(MeshSessionSshKey *key)
{
	if (key == NULL)
		return;
	g_free(key->account);
	g_free(key->device_udf);
	g_free(key->udf);
	g_free(key->public_line);
	g_free(key);
}

static MeshSessionSshKey *
ssh_key_info(const char *account, const char *device_udf, const char *udf, const char *line)
{
	MeshSessionSshKey *key = g_new0(MeshSessionSshKey, 1);

	key->account = g_strdup(account);
	key->device_udf = g_strdup(device_udf);
	key->udf = g_strdup(udf);
	key->public_line = g_strdup(line);
	return key;
}

/* This device is an administration device of the account: ctx->admin is set. */
gboolean
ctx_load_admin(Ctx *ctx, gboolean *ret_admin, GError **error)
{
	const char *udf = account_admin_udf(ctx->account, ctx->personal);

	*ret_admin = udf != NULL;
	if (!*ret_admin || ctx->admin != NULL)
		return TRUE;
	ctx->admin_udf = g_strdup(udf);
	return mesh_keystore_get_public(ctx->session->store, udf, &ctx->admin, error);
}

/* The verified SSH key the device @d published for this profile, or NULL (*@ret_found FALSE)
 * when it has none or what the portal holds does not verify (it is left out, never folded). */
static gboolean
ctx_device_ssh_key(Ctx *ctx, const MeshPersonalDevice *d, MeshSshDeviceKey **ret, GError **error)
{
	g_autofree char *id = NULL;
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(GError) local = NULL;
	MeshSshDeviceKey *key;

	*ret = NULL;
	id = mesh_ssh_device_key_identifier(ctx->personal->identifier, d->profile->identifier,
	                                    error);
	if (id == NULL)
		return FALSE;
	node = portal_get(ctx->client, "Identifier", id, &local);
	if (node == NULL) {
		if (g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND))
			return TRUE;
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	key = mesh_ssh_device_key_verify(node, d->profile->signature_key, NULL);
	if (key != NULL && (!g_str_equal(key->profile, ctx->personal->identifier) ||
	                    g_ascii_strcasecmp(key->account, ctx->account->account) != 0))
		g_clear_pointer(&key, mesh_ssh_device_key_free);
	*ret = key;
	return TRUE;
}

/*
 * On an administration device: make the SSHProfile list exactly the SSH keys the devices of the
 * personal profile published (each checked against that device's signature key in the
 * administration-signed personal profile), creating it when there is none; re-seal, sign,
 * publish and store it only when that changes it.
 */
gboolean
ctx_fold_ssh(Ctx *ctx, GError **error)
{
	MeshApplicationEntry *e = find_app(ctx->personal, MESH_APPLICATION_SSH, NULL);
	g_autoptr(MeshApplicationProfile) app = NULL;
	g_autoptr(MeshApplicationProfile) want = NULL;
	g_autoptr(MeshSecret) plaintext = NULL;
	gboolean same;

	want = mesh_application_profile_new(MESH_APPLICATION_SSH, SSH_APP, error);
	if (want == NULL)
		return FALSE;
	for (guint i = 0; i < ctx->personal->devices->len; i++) {
		const MeshPersonalDevice *d = g_ptr_array_index(ctx->personal->devices, i);
		g_autoptr(MeshSshDeviceKey) key = NULL;

		if (!ctx_device_ssh_key(ctx, d, &key, error))
			return FALSE;
		if (key != NULL && !mesh_application_profile_add_ssh_device(want, key->device_udf,
		                                                            key->public_key, error))
			return FALSE;
	}
	if (e == NULL) {
		if (want->ssh_devices->len == 0)
			return TRUE;
		plaintext = mesh_secret_new_from_data(SSH_PRIVATE, sizeof SSH_PRIVATE);
		return ctx_app_add(ctx, want, plaintext, NULL, error);
	}
	if (!ctx_load_app(ctx, e->identifier, &app, error))
		return FALSE;
	same = app->ssh_devices->len == want->ssh_devices->len;
	for (guint i = 0; same && i < app->ssh_devices->len; i++) {
		const MeshSshDevice *a = g_ptr_array_index(app->ssh_devices, i);
		const MeshSshDevice *b = g_ptr_array_index(want->ssh_devices, i);

		same = g_str_equal(a->device_udf, b->device_udf) &&
		       g_str_equal(a->public_key, b->public_key);
	}
	if (same)
		return TRUE;
	/* The private part (host keys) is kept: open it to seal it again. */
	plaintext = ctx_open_app(ctx, app, error);
	if (plaintext == NULL)
		return FALSE;
	{
		GPtrArray *devices = app->ssh_devices;

		app->ssh_devices = want->ssh_devices;
		want->ssh_devices = devices;
	}
	return mesh_application_profile_touch(app, error) &&
	       ctx_save_app(ctx, app, plaintext, error);
}

/* Publish this device's SSH key @line: a serial above the one the portal holds, if any. */
static gboolean
ctx_publish_ssh_key(Ctx *ctx, const char *line, GError **error)
{
	const MeshPersonalDevice *d =
	        mesh_personal_profile_device(ctx->personal, ctx->device->identifier);
	MeshKeyStoreSigner signer = {ctx->session->store, ctx->device->identifier};
	g_autoptr(MeshSshDeviceKey) old = NULL;
	g_autoptr(MeshSshDeviceKey) key = NULL;
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(JsonObject) response = NULL;
	JsonObject *request;
	gint64 serial = 1;

	if (d == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
		            "the profile of %s does not list this device: run 'mesh profile sync'",
		            ctx->account->account);
		return FALSE;
	}
	if (!ctx_device_ssh_key(ctx, d, &old, error))
		return FALSE;
	if (old != NULL) {
		serial = old->serial;
		if (!mesh_signed_next_serial(&serial, error))
			return FALSE;
	}
	key = mesh_ssh_device_key_new(ctx->account->account, ctx->personal->identifier,
	                              ctx->device->identifier, line, serial, error);
	if (key == NULL)
		return FALSE;
	node = mesh_ssh_device_key_sign(key, ctx->device->signature_key, mesh_keystore_jws_sign,
	                                &signer, error);
	if (node == NULL)
		return FALSE;
	request = obj_string("Account", ctx->account->account);
	json_object_set_member(request, "Entry", g_steal_pointer(&node));
	response = portal_signed(ctx->session, ctx->client, "PublishRequest", request,
	                         ctx->device->identifier, error);
	return response != NULL;
}

/* A new SSH key for this device and @ctx's account in @store (the algorithm it makes), and its
 * OpenSSH line (comment "mesh:ACCOUNT:<device UDF prefix>") in *@ret_line. */
static MeshKey *
ssh_key_generate(Ctx *ctx, MeshKeyStore *store, char **ret_line, GError **error)
{
	g_autoptr(MeshKey) key = NULL;
	g_autofree char *comment = NULL;

	if (!mesh_keystore_generate(store,
	                            edwards_store(store) ? MESH_KEY_ED25519 : MESH_KEY_P256,
	                            MESH_KEY_USE_AUTHENTICATION, ctx->session->passphrase, &key,
	                            error))
		return NULL;
	comment = g_strdup_printf("mesh:%s:%.*s", ctx->account->account, SSH_COMMENT_UDF,
	                          ctx->device->identifier);
	*ret_line = mesh_ssh_public_line(key, comment, error);
	if (*ret_line == NULL) {
		mesh_keystore_remove(store, mesh_key_udf(key), NULL);
		return NULL;
	}
	return g_steal_pointer(&key);
}

gboolean
mesh_session_ssh_create(MeshSession *session, const char *account, char **ret_udf,
                        char **ret_public_line, GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(MeshKey) key = NULL;
	g_autofree char *line = NULL;
	gboolean admin = FALSE, ok = FALSE;

	if (!ctx_open(&ctx, session, account, FALSE, TRUE, error) ||
	    !ctx_load_admin(&ctx, &admin, error))
		return FALSE;
	if (ctx.account->ssh_udf == NULL && !may_make_keys(session, error))
		return FALSE;
	if (ctx.account->ssh_udf != NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
		            "this device has an SSH key for %s already (%s): 'mesh ssh "
		            "authorized-keys' lists it; 'mesh ssh rotate' replaces it",
		            ctx.account->account, ctx.account->ssh_udf);
		return FALSE;
	}
	key = ssh_key_generate(&ctx, session->store, &line, error);
	if (key == NULL)
		return FALSE;
	if (!ctx_publish_ssh_key(&ctx, line, error) || (admin && !ctx_fold_ssh(&ctx, error)))
		goto out;
	ctx.account->ssh_udf = g_strdup(mesh_key_udf(key));
	ctx.account->ssh_public = g_strdup(line);
	if (!account_write(session, ctx.account, error))
		goto out;
	ok = TRUE;
	if (ret_udf != NULL)
		*ret_udf = g_strdup(mesh_key_udf(key));
	if (ret_public_line != NULL)
		*ret_public_line = g_steal_pointer(&line);
out:
	/* No key without its account entry: a later create starts afresh (and publishes a
	 * higher serial over what this one may have left on the portal). */
	if (!ok)
		mesh_keystore_remove(session->store, mesh_key_udf(key), NULL);
	return ok;
}

/*
 * Rotation. The order makes every interruption safe, and a restart finishes it:
 *  1. the new key is made in the store that holds the old one;
 *  2. it is published (SignedSSHDeviceKey, Serial + 1), and on an administration device folded
 *     into the SSHProfile, which the old key then leaves;
 *  3. only then the account entry names it (the ssh-agent socket reads the entries on every
 *     request, so it serves the new key from here on and the old one no more);
 *  4. last, the old key leaves the key store.
 * Killed before 3, the account keeps its old key (still served) and the new one lies unused in
 * the store ('mesh key list' shows it Imported): running 'mesh ssh rotate' again publishes a
 * newer key over what the portal holds and finishes, and 'mesh key remove' deletes the stray
 * one. Killed between 3 and 4, the old key lies unused in the store (Imported: no account names
 * it, nothing serves it): 'mesh key remove UDF --yes' deletes it. The account is never left
 * without a key.
 */
gboolean
mesh_session_ssh_rotate(MeshSession *session, const char *account, MeshSessionStoreFor store_for,
                        MeshSessionSshKey **ret_key, char **ret_old_udf, GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(Account) a = NULL;
	g_autoptr(MeshKeyStore) owned = NULL;
	MeshKeyStore *store = session->store;
	g_autoptr(MeshKey) key = NULL;
	g_autofree char *line = NULL;
	g_autofree char *old = NULL;
	g_autoptr(GError) fold_error = NULL;
	g_autoptr(GError) remove_error = NULL;
	gboolean admin = FALSE;

	if (!ctx_open(&ctx, session, account, FALSE, TRUE, error) ||
	    !ctx_load_admin(&ctx, &admin, error))
		return FALSE;
	if (ctx.account->ssh_udf == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
		            "this device has no SSH key for %s to rotate: make one with 'mesh ssh "
		            "create --account %s'",
		            ctx.account->account, ctx.account->account);
		return FALSE;
	}
	if (!may_make_keys(session, error))
		return FALSE;
	if (store_for != NULL) {
		owned = store_for(session->store, ctx.account->ssh_udf, error);
		if (owned == NULL)
			return FALSE;
		store = owned;
	}
	key = ssh_key_generate(&ctx, store, &line, error);
	if (key == NULL)
		return FALSE;
	if (!ctx_publish_ssh_key(&ctx, line, error)) {
		mesh_keystore_remove(store, mesh_key_udf(key), NULL);
		return FALSE;
	}
	/* The portal took it: from here on the new key is this device's, whatever else fails (a
	 * fold that failed is done again by the next 'mesh profile sync'). */
	if (admin)
		ctx_fold_ssh(&ctx, &fold_error);
	/* The entry as it is now: another request may have changed it while this one waited for
	 * the portal, and an account deleted meanwhile is not brought back. */
	if (!account_read(session, ctx.account->account, &a, error) || a->witness != NULL ||
	    !g_str_equal(a->profile, ctx.account->profile) || a->ssh_udf == NULL) {
		g_clear_error(error);
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
		            "%s or its SSH key was deleted on this device during the rotation",
		            ctx.account->account);
		mesh_keystore_remove(store, mesh_key_udf(key), NULL);
		return FALSE;
	}
	old = g_steal_pointer(&a->ssh_udf);
	g_free(a->ssh_public);
	a->ssh_udf = g_strdup(mesh_key_udf(key));
	a->ssh_public = g_strdup(line);
	if (!account_write(session, a, error)) {
		g_prefix_error(error, "the new SSH key %s is published, but this device still "
		                      "uses the old one (run 'mesh ssh rotate' again): ",
		               mesh_key_udf(key));
		return FALSE;
	}
	mesh_keystore_remove(session->store, old, &remove_error);
	if (remove_error != NULL &&
	    !g_error_matches(remove_error, MESH_ERROR, MESH_ERROR_NOT_FOUND)) {
		g_set_error(error, MESH_ERROR, mesh_error_code(remove_error),
		            "the new SSH key %s is in use, but the old one could not be removed from "
		            "the key store (%s): remove it with 'mesh key remove %s --yes'",
		            mesh_key_udf(key), remove_error->message, old);
		return FALSE;
	}
	if (fold_error != NULL) {
		g_set_error(error, MESH_ERROR, mesh_error_code(fold_error),
		            "the new SSH key %s is published and in use, but the SSHProfile still "
		            "lists the old one (%s): run 'mesh profile sync %s'",
		            mesh_key_udf(key), fold_error->message, ctx.account->account);
		return FALSE;
	}
	if (ret_key != NULL)
		*ret_key = ssh_key_info(ctx.account->account, ctx.account->device,
		                        mesh_key_udf(key), line);
	if (ret_old_udf != NULL)
		*ret_old_udf = g_steal_pointer(&old);
	return TRUE;
}

gboolean
mesh_session_ssh_authorized_keys(MeshSession *session, const char *account, GPtrArray **ret_keys,
                                 GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(MeshApplicationProfile) app = NULL;
	g_autoptr(GPtrArray) keys =
	        g_ptr_array_new_with_free_func((GDestroyNotify)mesh_session_ssh_key_free);
	MeshApplicationEntry *e;

	if (!ctx_open(&ctx, session, account, FALSE, FALSE, error))
		return FALSE;
	e = find_app(ctx.personal, MESH_APPLICATION_SSH, NULL);
	if (e != NULL && !ctx_load_app(&ctx, e->identifier, &app, error))
		return FALSE;
	for (guint i = 0; app != NULL && i < app->ssh_devices->len; i++) {
		const MeshSshDevice *d = g_ptr_array_index(app->ssh_devices, i);
		/* The profile's reader checked the line's form; this gives the key's UDF. */
		g_autoptr(MeshKey) key = mesh_ssh_public_line_decode(d->public_key, NULL);

		g_ptr_array_add(keys, ssh_key_info(ctx.account->account, d->device_udf,
		                                   key != NULL ? mesh_key_udf(key) : NULL,
		                                   d->public_key));
	}
	*ret_keys = g_steal_pointer(&keys);
	return TRUE;
}

gboolean
mesh_session_ssh_keys(MeshHive *hive, GPtrArray **ret_keys, GError **error)
{
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GPtrArray) keys =
	        g_ptr_array_new_with_free_func((GDestroyNotify)mesh_session_ssh_key_free);

	if (!mesh_hive_list(hive, MESH_HIVE_ACCOUNTS, &names, error))
		return FALSE;
	for (guint i = 0; i < names->len; i++) {
		g_autoptr(JsonNode) node = NULL;
		g_autoptr(Account) a = NULL;

		if (g_str_equal(names->pdata[i], MESH_HIVE_DEFAULT))
			continue;
		if (!read_json(hive, MESH_HIVE_ACCOUNTS, names->pdata[i], ACCOUNT_MAX, &node,
		               error))
			return FALSE;
		if (!account_parse(node, &a, error)) {
			g_prefix_error(error, "%s/%s/%s: ", mesh_hive_location(hive),
			               mesh_hive_folder_name(MESH_HIVE_ACCOUNTS),
			               (const char *)names->pdata[i]);
			return FALSE;
		}
		if (a->ssh_udf != NULL)
			g_ptr_array_add(keys, ssh_key_info(a->account, a->device, a->ssh_udf,
			                                   a->ssh_public));
	}
	*ret_keys = g_steal_pointer(&keys);
	return TRUE;
}

/* ---- What the keys in the store are for ---------------------------------------------------- */

void
mesh_session_key_owner_free(MeshSessionKeyOwner *owner)
{
	if (owner == NULL)
		return;
	g_free(owner->owner);
	g_free(owner);
}

const char *
mesh_session_key_role_name(MeshSessionKeyRole role)
{
	switch (role) {
	case MESH_SESSION_KEY_IMPORTED:
		return "Imported";
	case MESH_SESSION_KEY_DEVICE:
		return "Device";
	case MESH_SESSION_KEY_MASTER:
		return "Master";
	case MESH_SESSION_KEY_ESCROW:
		return "Escrow";
	case MESH_SESSION_KEY_ADMINISTRATION:
		return "Administration";
	case MESH_SESSION_KEY_SSH:
		return "SSH";
	}
	return NULL;
}

/* @udf has @role for @owner, unless an earlier entry gave it one. */
static void
add_role(GHashTable *roles, const char *udf, MeshSessionKeyRole role, const char *owner,
         MeshKeyUse use)
{
	MeshSessionKeyOwner *o;

	if (udf == NULL || g_hash_table_contains(roles, udf))
		return;
	o = g_new0(MeshSessionKeyOwner, 1);
	o->role = role;
	o->owner = g_strdup(owner);
	o->use = use;
	g_hash_table_insert(roles, g_strdup(udf), o);
}

/* Keep @local in @error when @strict, else drop it; FALSE when it was kept. */
static gboolean
roles_skip(gboolean strict, GError *local, GError **error)
{
	if (!strict) {
		g_error_free(local);
		return TRUE;
	}
	g_propagate_error(error, local);
	return FALSE;
}

static gboolean
device_roles(MeshHive *hive, gboolean strict, GHashTable *roles, GError **error)
{
	g_autoptr(GPtrArray) udfs = NULL;

	if (!mesh_device_list(hive, &udfs, NULL, error))
		return FALSE;
	for (guint i = 0; i < udfs->len; i++) {
		g_autoptr(MeshDeviceProfile) d = NULL;
		GError *local = NULL;

		if (!mesh_device_load(hive, udfs->pdata[i], &d, NULL, &local)) {
			if (!roles_skip(strict, local, error))
				return FALSE;
			continue;
		}
		add_role(roles, mesh_key_udf(d->signature_key), MESH_SESSION_KEY_DEVICE,
		         d->identifier, MESH_KEY_USE_SIGNATURE);
		add_role(roles, mesh_key_udf(d->authentication_key), MESH_SESSION_KEY_DEVICE,
		         d->identifier, MESH_KEY_USE_AUTHENTICATION);
		add_role(roles, mesh_key_udf(d->encryption_key), MESH_SESSION_KEY_DEVICE,
		         d->identifier, MESH_KEY_USE_ENCRYPTION);
	}
	return TRUE;
}

/* The roles the account entry @name gives: master, escrow, administration and SSH keys. */
static gboolean
account_roles(MeshSession *session, const char *name, gboolean strict, GHashTable *roles,
              GError **error)
{
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(Account) a = NULL;
	g_autoptr(MeshPersonalProfile) personal = NULL;
	GError *local = NULL;

	if (!read_json(session->hive, MESH_HIVE_ACCOUNTS, name, ACCOUNT_MAX, &node, &local))
		return roles_skip(strict, local, error);
	if (!account_parse(node, &a, &local)) {
		g_prefix_error(&local, "%s/%s/%s: ", mesh_hive_location(session->hive),
		               mesh_hive_folder_name(MESH_HIVE_ACCOUNTS), name);
		return roles_skip(strict, local, error);
	}
	/* A pending connection: nothing of the profile is held yet. */
	if (a->witness != NULL)
		return TRUE;
	add_role(roles, a->profile, MESH_SESSION_KEY_MASTER, a->account, MESH_KEY_USE_SIGNATURE);
	if (!load_personal(session, a->profile, &personal, &local)) {
		if (!roles_skip(strict, local, error))
			return FALSE;
	} else {
		for (guint i = 0; i < personal->master->escrow_keys->len; i++)
			add_role(roles, mesh_key_udf(personal->master->escrow_keys->pdata[i]),
			         MESH_SESSION_KEY_ESCROW, a->account, MESH_KEY_USE_ENCRYPTION);
	}
	add_role(roles, a->admin_key, MESH_SESSION_KEY_ADMINISTRATION, a->account,
	         MESH_KEY_USE_SIGNATURE);
	add_role(roles, a->ssh_udf, MESH_SESSION_KEY_SSH, a->account, MESH_KEY_USE_AUTHENTICATION);
	return TRUE;
}

gboolean
mesh_session_key_roles(MeshHive *hive, gboolean strict, GHashTable **ret_roles, GError **error)
{
	MeshSession session = {.hive = hive};
	g_autoptr(GHashTable) roles = g_hash_table_new_full(
	        g_str_hash, g_str_equal, g_free, (GDestroyNotify)mesh_session_key_owner_free);
	g_autoptr(GPtrArray) names = NULL;

	if (!device_roles(hive, strict, roles, error) ||
	    !mesh_hive_list(hive, MESH_HIVE_ACCOUNTS, &names, error))
		return FALSE;
	for (guint i = 0; i < names->len; i++) {
		if (!account_roles(&session, names->pdata[i], strict, roles, error))
			return FALSE;
	}
	*ret_roles = g_steal_pointer(&roles);
	return TRUE;
}

char *
mesh_session_key_owner_text(const MeshSessionKeyOwner *owner)
{
	const char *use = owner->use == MESH_KEY_USE_SIGNATURE        ? "signature"
	                  : owner->use == MESH_KEY_USE_AUTHENTICATION ? "authentication"
	                                                              : "encryption";

	switch (owner->role) {
	case MESH_SESSION_KEY_DEVICE:
		return g_strdup_printf("the %s key of this hive's device %s", use, owner->owner);
	case MESH_SESSION_KEY_MASTER:
		return g_strdup_printf("the master signature key of %s's profile", owner->owner);
	case MESH_SESSION_KEY_ESCROW:
		return g_strdup_printf("a master escrow key of %s's profile", owner->owner);
	case MESH_SESSION_KEY_ADMINISTRATION:
		return g_strdup_printf("this device's administration key for %s", owner->owner);
	case MESH_SESSION_KEY_SSH:
		return g_strdup_printf("this device's SSH key for %s", owner->owner);
	case MESH_SESSION_KEY_IMPORTED:
		break;
	}
	return g_strdup("a key made or imported by the user");
}
