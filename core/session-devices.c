/* SPDX-License-Identifier: MIT */
/*
 * Session: the devices of a profile (docs/protocol.md "Devices of a profile"): list, rename,
 * remove, promote, demote. Promotion and demotion change the master profile's
 * OnlineSignatureKeys, which only the master signature key signs; removal re-seals every
 * application profile to the devices that remain.
 */
#include "session-private.h"

#include <string.h>

#include "text.h"

/* Shortest UDF prefix that names a device. */
#define DEVICE_PREFIX_MIN 4

void
mesh_session_device_free(MeshSessionDevice *device)
{
	if (device == NULL)
		return;
	g_free(device->identifier);
	g_free(device->description);
	g_free(device->added);
	g_free(device);
}

void
mesh_session_removal_free(MeshSessionRemoval *removal)
{
	if (removal == NULL)
		return;
	g_free(removal->identifier);
	g_free(removal->description);
	g_clear_pointer(&removal->logins, g_ptr_array_unref);
	g_clear_pointer(&removal->applications, g_ptr_array_unref);
	g_free(removal);
}

MeshSessionDevice *
session_device_info(const MeshPersonalProfile *personal, const MeshPersonalDevice *d,
                    const char *this_device)
{
	MeshSessionDevice *info = g_new0(MeshSessionDevice, 1);

	info->identifier = g_strdup(d->profile->identifier);
	info->description = g_strdup(mesh_personal_device_description(d));
	info->added = g_strdup(d->added);
	info->admin = mesh_personal_device_admin_key(personal, d) != NULL;
	info->this_device = g_strcmp0(this_device, d->profile->identifier) == 0;
	return info;
}

gboolean
note_added(MeshSession *session, MeshPersonalProfile *personal, const char *device,
           const char *admin_key, GError **error)
{
	MeshPersonalDevice *d = mesh_personal_profile_device(personal, device);

	g_return_val_if_fail(d != NULL, FALSE);
	if (d->added == NULL)
		d->added = session_time(session);
	return admin_key == NULL || mesh_personal_device_set_admin_key(personal, d, admin_key, error);
}

/* @udf without dashes, upper case: the form prefixes are compared in. */
static char *
udf_folded(const char *udf)
{
	GString *out = g_string_new(NULL);

	for (const char *s = udf; *s != '\0'; s++) {
		if (*s != '-' && *s != ' ')
			g_string_append_c(out, g_ascii_toupper(*s));
	}
	return g_string_free(out, FALSE);
}

/*
 * The device of @personal that @name names: its UDF, a unique prefix of it (at least
 * DEVICE_PREFIX_MIN characters; dashes and case do not matter), or its description (exactly,
 * when one device alone has it). Errors: MESH_ERROR_NOT_FOUND, MESH_ERROR_INVALID_ARGUMENT
 * (several devices match).
 */
static MeshPersonalDevice *
find_device(const MeshPersonalProfile *personal, const char *name, GError **error)
{
	g_autofree char *folded = udf_folded(name);
	g_autofree char *quoted = mesh_error_quote(name);
	MeshPersonalDevice *by_prefix = NULL, *by_description = NULL;
	guint n_prefix = 0, n_description = 0;

	for (guint i = 0; i < personal->devices->len; i++) {
		MeshPersonalDevice *d = personal->devices->pdata[i];
		g_autofree char *udf = udf_folded(d->profile->identifier);

		if (g_str_equal(udf, folded))
			return d;
		if (strlen(folded) >= DEVICE_PREFIX_MIN && g_str_has_prefix(udf, folded)) {
			by_prefix = d;
			n_prefix++;
		}
		if (g_strcmp0(mesh_personal_device_description(d), name) == 0) {
			by_description = d;
			n_description++;
		}
	}
	if (n_prefix == 1 && n_description == 0)
		return by_prefix;
	if (n_description == 1 && n_prefix == 0)
		return by_description;
	if (n_prefix + n_description == 0)
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND,
		            "no device of %s's profile is named '%s' (by UDF, a prefix of at least "
		            "%d characters, or its description): 'mesh device list' shows them",
		            personal->account, quoted, DEVICE_PREFIX_MIN);
	else
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "'%s' names %u devices of %s's profile: give more of the UDF ('mesh "
		            "device list' shows them)",
		            quoted, n_prefix + n_description, personal->account);
	return NULL;
}

gboolean
mesh_session_device_list(MeshSession *session, const char *account, GPtrArray **ret_devices,
                         GError **error)
{
	g_auto(Ctx) ctx = {0};
	GPtrArray *list;

	if (!ctx_open(&ctx, session, account, FALSE, FALSE, error))
		return FALSE;
	list = g_ptr_array_new_with_free_func((GDestroyNotify)mesh_session_device_free);
	for (guint i = 0; i < ctx.personal->devices->len; i++)
		g_ptr_array_add(list, session_device_info(ctx.personal,
		                                          ctx.personal->devices->pdata[i],
		                                          ctx.account->device));
	*ret_devices = list;
	return TRUE;
}

/* ctx_open for an administration device's change, and the device @name names into *@ret. */
static gboolean
ctx_open_device(Ctx *ctx, MeshSession *session, const char *account, const char *name,
                MeshPersonalDevice **ret, GError **error)
{
	if (!ctx_open(ctx, session, account, TRUE, TRUE, error))
		return FALSE;
	*ret = find_device(ctx->personal, name, error);
	return *ret != NULL;
}

gboolean
mesh_session_device_rename(MeshSession *session, const char *account, const char *name,
                           const char *description, GError **error)
{
	g_auto(Ctx) ctx = {0};
	MeshPersonalDevice *d;

	if (!mesh_text_check_display("description", description, MESH_PROFILE_TEXT_MAX,
	                             MESH_TEXT_DESCRIPTION_MAX, error))
		return FALSE;
	if (description == NULL || *description == '\0') {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "the description is empty: give the device a name to show");
		return FALSE;
	}
	if (!ctx_open_device(&ctx, session, account, name, &d, error))
		return FALSE;
	g_free(d->description);
	d->description = g_strdup(description);
	return mesh_personal_profile_touch(ctx.personal, error) && ctx_publish_personal(&ctx, error);
}

/* ---- The master profile -------------------------------------------------------------------- */

/*
 * A copy of the master profile of @ctx to change, when this device holds the master signature
 * key; else MESH_ERROR_PERMISSION saying that @what needs it.
 */
static MeshMasterProfile *
ctx_master_copy(Ctx *ctx, const char *what, GError **error)
{
	g_autoptr(MeshKey) key = NULL;

	if (!mesh_keystore_get_public(ctx->session->store, ctx->personal->identifier, &key, NULL)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
		            "%s changes the master profile of %s, which only its master signature "
		            "key signs, and this device does not hold it: run this on the device "
		            "that created or last recovered the profile",
		            what, ctx->account->account);
		return NULL;
	}
	return mesh_master_profile_verify(ctx->personal->signed_master, error);
}

/* Sign @master (changed) with the master key held here and put it in ctx->personal; entries
 * that named an administration key it no longer lists forget it. */
static gboolean
ctx_master_replace(Ctx *ctx, MeshMasterProfile *master, GError **error)
{
	MeshKeyStoreSigner signer = {ctx->session->store, ctx->personal->identifier};
	g_autoptr(JsonNode) signed_master = NULL;

	if (!mesh_master_profile_touch(master, error))
		return FALSE;
	signed_master = mesh_master_profile_sign(master, mesh_keystore_jws_sign, &signer, error);
	if (signed_master == NULL ||
	    !mesh_personal_profile_set_master(ctx->personal, signed_master, error))
		return FALSE;
	mesh_personal_profile_drop_admin_keys(ctx->personal);
	return TRUE;
}

/* Take the administration key of @d out of the master profile (in ctx->personal). */
static gboolean
ctx_master_drop(Ctx *ctx, MeshPersonalDevice *d, const char *what, GError **error)
{
	g_autofree char *key = g_strdup(mesh_personal_device_admin_key(ctx->personal, d));
	g_autoptr(MeshMasterProfile) master = ctx_master_copy(ctx, what, error);

	return master != NULL && mesh_master_profile_remove_online_key(master, key, error) &&
	       ctx_master_replace(ctx, master, error);
}

gboolean
session_promote(Ctx *ctx, const char *device, GError **error)
{
	MeshPersonalDevice *d = mesh_personal_profile_device(ctx->personal, device);
	g_autoptr(MeshMasterProfile) master = NULL;

	g_return_val_if_fail(d != NULL, FALSE);
	master = ctx_master_copy(ctx, "promoting a device", error);
	/* A promoted device administers with its own signature key, which never leaves it. */
	return master != NULL &&
	       mesh_master_profile_add_online_key(master, d->profile->signature_key, error) &&
	       ctx_master_replace(ctx, master, error) &&
	       mesh_personal_device_set_admin_key(ctx->personal, d, d->profile->identifier, error);
}

static const char *
device_label(const MeshPersonalDevice *d)
{
	const char *description = mesh_personal_device_description(d);

	return description != NULL ? description : d->profile->identifier;
}

gboolean
mesh_session_device_promote(MeshSession *session, const char *account, const char *name,
                            GError **error)
{
	g_auto(Ctx) ctx = {0};
	MeshPersonalDevice *d;

	if (!ctx_open_device(&ctx, session, account, name, &d, error))
		return FALSE;
	if (mesh_personal_device_admin_key(ctx.personal, d) != NULL) {
		g_autofree char *quoted = mesh_error_quote(device_label(d));

		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
		            "%s is an administration device of %s already", quoted,
		            ctx.account->account);
		return FALSE;
	}
	return session_promote(&ctx, d->profile->identifier, error) &&
	       mesh_personal_profile_touch(ctx.personal, error) &&
	       ctx_publish_personal(&ctx, error);
}

gboolean
mesh_session_device_demote(MeshSession *session, const char *account, const char *name,
                           GError **error)
{
	g_auto(Ctx) ctx = {0};
	MeshPersonalDevice *d;
	g_autofree char *quoted = NULL;

	if (!ctx_open_device(&ctx, session, account, name, &d, error))
		return FALSE;
	quoted = mesh_error_quote(device_label(d));
	if (mesh_personal_device_admin_key(ctx.personal, d) == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "%s is not an administration device of %s", quoted,
		            ctx.account->account);
		return FALSE;
	}
	if (ctx.personal->master->online_keys->len <= 1) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
		            "%s is the last administration device of %s: without one nobody could "
		            "change the profile again; promote another device first",
		            quoted, ctx.account->account);
		return FALSE;
	}
	/* The profile is signed with this device's administration key: it must stay one. */
	if (g_str_equal(d->profile->identifier, ctx.account->device)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "this is this device: a device does not demote itself; demote it from "
		            "another administration device that holds the master keys");
		return FALSE;
	}
	return ctx_master_drop(&ctx, d, "demoting a device", error) &&
	       mesh_personal_profile_touch(ctx.personal, error) &&
	       ctx_publish_personal(&ctx, error);
}

/* ---- Removing a device --------------------------------------------------------------------- */

/* What the removed device could read: the logins of @plaintext (a PasswordProfile) or the name
 * of the generic application @app, into @removal. */
static gboolean
note_readable(MeshSessionRemoval *removal, const MeshApplicationProfile *app,
              const MeshSecret *plaintext, GError **error)
{
	g_autoptr(MeshPasswordSet) set = NULL;

	if (app->type == MESH_APPLICATION_GENERIC) {
		g_ptr_array_add(removal->applications, g_strdup(app->friendly));
		return TRUE;
	}
	if (app->type != MESH_APPLICATION_PASSWORD)
		return TRUE;
	set = mesh_password_set_parse(plaintext, error);
	if (set == NULL)
		return FALSE;
	password_set_logins(set, removal->logins);
	return TRUE;
}

gboolean
mesh_session_device_remove(MeshSession *session, const char *account, const char *name,
                           MeshSessionRemoval **ret_removal, GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(GPtrArray) apps =
	        g_ptr_array_new_with_free_func((GDestroyNotify)recovered_app_free);
	g_autoptr(MeshSessionRemoval) removal = g_new0(MeshSessionRemoval, 1);
	g_autofree char *now = NULL;
	MeshPersonalDevice *d;

	if (!ctx_open_device(&ctx, session, account, name, &d, error))
		return FALSE;
	if (g_str_equal(d->profile->identifier, ctx.account->device)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "this is this device: to forget %s here, run 'mesh profile delete %s'; "
		            "to take this device out of the profile, remove it from another "
		            "administration device",
		            ctx.account->account, ctx.account->account);
		return FALSE;
	}
	removal->identifier = g_strdup(d->profile->identifier);
	removal->description = g_strdup(mesh_personal_device_description(d));
	removal->admin = mesh_personal_device_admin_key(ctx.personal, d) != NULL;
	removal->logins = g_ptr_array_new_with_free_func((GDestroyNotify)mesh_session_login_free);
	removal->applications = g_ptr_array_new_with_free_func(g_free);
	/* Open every application before changing anything: each is sealed again to the devices
	 * that remain, under a fresh content key. */
	for (guint i = 0; i < ctx.personal->applications->len; i++) {
		const MeshApplicationEntry *e = g_ptr_array_index(ctx.personal->applications, i);
		RecoveredApp *r = g_new0(RecoveredApp, 1);

		g_ptr_array_add(apps, r);
		if (!ctx_load_app(&ctx, e->identifier, &r->app, error))
			return FALSE;
		r->plaintext = ctx_open_app(&ctx, r->app, error);
		if (r->plaintext == NULL ||
		    (g_ptr_array_find_with_equal_func(e->decrypt_id, removal->identifier,
		                                      g_str_equal, NULL) &&
		     !note_readable(removal, r->app, r->plaintext, error)))
			return FALSE;
	}
	if (removal->admin &&
	    !ctx_master_drop(&ctx, d, "removing an administration device", error))
		return FALSE;
	now = session_time(session);
	if (!mesh_personal_profile_remove_device(ctx.personal, removal->identifier, now, error))
		return FALSE;
	for (guint i = 0; i < apps->len; i++) {
		RecoveredApp *r = g_ptr_array_index(apps, i);

		if (!mesh_application_profile_touch(r->app, error) ||
		    !ctx_save_app(&ctx, r->app, r->plaintext, error))
			return FALSE;
	}
	/* Then the profile without the device; then the SSH profile without its key. */
	if (!mesh_personal_profile_touch(ctx.personal, error) ||
	    !ctx_publish_personal(&ctx, error) || !ctx_fold_ssh(&ctx, error))
		return FALSE;
	if (ret_removal != NULL)
		*ret_removal = g_steal_pointer(&removal);
	return TRUE;
}
