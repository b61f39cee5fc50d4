/* SPDX-License-Identifier: MIT */
/* Session: application profiles (generic applications and the password application). */
#include "session-private.h"

#include <string.h>

#define PASSWORD_GEN 20

/* The application profile @identifier on the portal, for a flush (ctx->replay): as it was
 * published in this flush, else fetched. */
static gboolean
ctx_replay_app(Ctx *ctx, const char *identifier, JsonNode **ret, GError **error)
{
	JsonNode *node = g_hash_table_lookup(ctx->replay, identifier);

	if (node == NULL) {
		node = portal_get(ctx->client, "Identifier", identifier, error);
		if (node == NULL)
			return FALSE;
		g_hash_table_replace(ctx->replay, g_strdup(identifier), node);
	}
	*ret = json_node_ref(node);
	return TRUE;
}

gboolean
ctx_load_app(Ctx *ctx, const char *identifier, MeshApplicationProfile **ret, GError **error)
{
	g_autofree char *name = json_name(identifier);
	g_autoptr(JsonNode) node = NULL;
	MeshApplicationProfile *app;

	if (ctx->replay != NULL ? !ctx_replay_app(ctx, identifier, &node, error)
	                        : !read_json(ctx->session->hive, MESH_HIVE_APPLICATION_PROFILES,
	                                     name, MESH_PROFILE_MAX, &node, error))
		return FALSE;
	app = mesh_application_profile_verify(node, ctx->personal->master, error);
	if (app == NULL || !g_str_equal(app->identifier, identifier)) {
		if (app != NULL)
			g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
			            "it holds another application profile");
		mesh_application_profile_free(app);
		if (ctx->replay != NULL)
			g_prefix_error(error, "the portal's application %s: ", identifier);
		else
			g_prefix_error(error,
			               "%s/%s/%s is damaged or was tampered with, and is not used: ",
			               mesh_hive_location(ctx->session->hive),
			               mesh_hive_folder_name(MESH_HIVE_APPLICATION_PROFILES), name);
		return FALSE;
	}
	*ret = app;
	return TRUE;
}

/*
 * The application profile @identifier for a read-only context (ctx_open_read): the one the
 * session's cache kept when neither its entry nor the personal profile whose keys verified it
 * has changed (borrowed), else read and verified (ctx_load_app) and kept.
 */
gboolean
ctx_kept_app(Ctx *ctx, const char *identifier, const MeshApplicationProfile **ret, GError **error)
{
	g_autofree char *name = json_name(identifier);
	g_autofree char *context = g_strconcat(ctx->account->profile, "@", ctx->personal_stamp,
	                                       NULL);
	MeshHiveStamp stamp;
	MeshApplicationProfile *app;

	g_return_val_if_fail(ctx->borrowed, FALSE);
	app = mesh_hive_cache_get(ctx->session->cache, ctx->session->hive,
	                          MESH_HIVE_APPLICATION_PROFILES, name, context, &stamp);
	if (app == NULL) {
		if (!ctx_load_app(ctx, identifier, &app, error))
			return FALSE;
		mesh_hive_cache_put(ctx->session->cache, MESH_HIVE_APPLICATION_PROFILES, name,
		                    context, &stamp, app,
		                    (GDestroyNotify)mesh_application_profile_free);
	}
	*ret = app;
	return TRUE;
}

/* Decrypt @app with this device's encryption key. */
MeshSecret *
ctx_open_app(Ctx *ctx, const MeshApplicationProfile *app, GError **error)
{
	/* The key agreement happens in the store: a TPM's key never leaves it. */
	MeshKeyStoreSigner key = {ctx->session->store, mesh_key_udf(ctx->device->encryption_key)};

	return mesh_application_profile_open_with(app, ctx->device->encryption_key,
	                                          mesh_keystore_jwe_agree, &key, error);
}

/* The serial of the copy of the application @name stored here (0: none that verifies). */
static gint64
stored_serial(Ctx *ctx, const char *name)
{
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(MeshApplicationProfile) app = NULL;

	if (!read_json(ctx->session->hive, MESH_HIVE_APPLICATION_PROFILES, name, MESH_PROFILE_MAX,
	               &node, NULL))
		return 0;
	app = mesh_application_profile_verify(node, ctx->personal->master, NULL);
	return app != NULL ? app->serial : 0;
}

/*
 * Seal @plaintext into @app (whose entry is in the personal profile), sign, publish, store. A
 * flush (ctx->replay) keeps it in memory, at a serial above the copy stored here (which holds
 * the queued changes, so may be ahead of the portal's).
 */
gboolean
ctx_save_app(Ctx *ctx, MeshApplicationProfile *app, const MeshSecret *plaintext, GError **error)
{
	MeshKeyStoreSigner signer = {ctx->session->store, ctx->admin_udf};
	g_autoptr(JsonNode) node = NULL;
	g_autofree char *name = json_name(app->identifier);

	if (ctx->replay != NULL)
		app->serial = MAX(app->serial, stored_serial(ctx, name) + 1);
	if (!mesh_application_profile_seal(app, plaintext, ctx->personal, error))
		return FALSE;
	node = mesh_application_profile_sign(app, ctx->personal->master, ctx->admin,
	                                     mesh_keystore_jws_sign, &signer, error);
	if (node == NULL || !ctx_publish(ctx, node, error))
		return FALSE;
	if (ctx->replay != NULL) {
		g_hash_table_replace(ctx->replay, g_strdup(app->identifier),
		                     g_steal_pointer(&node));
		return TRUE;
	}
	return write_json(ctx->session->hive, MESH_HIVE_APPLICATION_PROFILES, name, node, error);
}

static GPtrArray *
device_udfs(const MeshPersonalProfile *personal)
{
	GPtrArray *udfs = g_ptr_array_new();

	for (guint i = 0; i < personal->devices->len; i++) {
		const MeshPersonalDevice *d = g_ptr_array_index(personal->devices, i);

		g_ptr_array_add(udfs, d->profile->identifier);
	}
	g_ptr_array_add(udfs, NULL);
	return udfs;
}

/* Add the new application profile @app holding @plaintext, readable by every device of the
 * profile; the personal profile is published with it. */
gboolean
ctx_app_add(Ctx *ctx, MeshApplicationProfile *app, const MeshSecret *plaintext,
            char **ret_identifier, GError **error)
{
	g_autoptr(MeshApplicationEntry) entry = NULL;
	g_autoptr(GPtrArray) devices = device_udfs(ctx->personal);
	const char *sign_id[] = {ctx->device->identifier, NULL};

	entry = mesh_application_entry_new(app->identifier, app->type, app->friendly, sign_id,
	                                   (const char *const *)devices->pdata, error);
	if (entry == NULL || !mesh_personal_profile_add_application(ctx->personal, entry, error))
		return FALSE;
	g_steal_pointer(&entry);
	if (!ctx_save_app(ctx, app, plaintext, error) ||
	    !mesh_personal_profile_touch(ctx->personal, error) || !ctx_publish_personal(ctx, error))
		return FALSE;
	if (ret_identifier != NULL)
		*ret_identifier = g_strdup(app->identifier);
	return TRUE;
}

/* A new application profile of @type named @friendly holding @plaintext (as ctx_app_add). */
gboolean
ctx_app_create(Ctx *ctx, MeshApplicationType type, const char *friendly,
               const MeshSecret *plaintext, char **ret_identifier, GError **error)
{
	g_autoptr(MeshApplicationProfile) app = mesh_application_profile_new(type, friendly, error);

	return app != NULL && ctx_app_add(ctx, app, plaintext, ret_identifier, error);
}

MeshApplicationEntry *
find_app(const MeshPersonalProfile *personal, MeshApplicationType type, const char *friendly)
{
	for (guint i = 0; i < personal->applications->len; i++) {
		MeshApplicationEntry *e = g_ptr_array_index(personal->applications, i);

		if (e->type == type && (friendly == NULL || g_strcmp0(e->friendly, friendly) == 0))
			return e;
	}
	return NULL;
}

void
recovered_app_free(RecoveredApp *r)
{
	mesh_application_profile_free(r->app);
	mesh_secret_free(r->plaintext);
	g_free(r);
}

static gboolean
strv_has(GPtrArray *list, const char *s)
{
	for (guint i = 0; i < list->len; i++) {
		if (g_str_equal(list->pdata[i], s))
			return TRUE;
	}
	return FALSE;
}

/* Every application entry lists every device in DecryptID. */
void
entries_add_device(MeshPersonalProfile *personal, const char *device)
{
	for (guint i = 0; i < personal->applications->len; i++) {
		MeshApplicationEntry *e = g_ptr_array_index(personal->applications, i);

		if (!strv_has(e->decrypt_id, device))
			g_ptr_array_add(e->decrypt_id, g_strdup(device));
	}
}
void
mesh_session_app_free(MeshSessionApp *app)
{
	if (app == NULL)
		return;
	g_free(app->identifier);
	g_free(app->friendly);
	g_free(app);
}

GPtrArray *
app_infos(const MeshPersonalProfile *personal)
{
	GPtrArray *apps = g_ptr_array_new_with_free_func((GDestroyNotify)mesh_session_app_free);

	for (guint i = 0; i < personal->applications->len; i++) {
		const MeshApplicationEntry *e = g_ptr_array_index(personal->applications, i);
		MeshSessionApp *app = g_new0(MeshSessionApp, 1);

		app->identifier = g_strdup(e->identifier);
		app->type = e->type;
		app->friendly = g_strdup(e->friendly);
		g_ptr_array_add(apps, app);
	}
	return apps;
}

/* ---- Applications -------------------------------------------------------------------------- */

gboolean
mesh_session_app_list(MeshSession *session, const char *account, GPtrArray **ret_apps,
                      GError **error)
{
	g_auto(Ctx) ctx = {0};

	if (!ctx_open_read(&ctx, session, account, error))
		return FALSE;
	*ret_apps = app_infos(ctx.personal);
	return TRUE;
}

static gboolean
not_found_app(const char *name, GError **error)
{
	g_autofree char *quoted = mesh_error_quote(name);

	g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND, "no application '%s'", quoted);
	return FALSE;
}

/* The verbs' ret_queued. */
static gboolean
done(Ctx *ctx, char **ret_queued)
{
	if (ret_queued != NULL)
		*ret_queued = ctx_queued_portal(ctx);
	return TRUE;
}

gboolean
mesh_session_app_add_generic(MeshSession *session, const char *account, const char *name,
                             char **ret_identifier, char **ret_queued, GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(MeshSecret) empty = mesh_secret_new_from_data("{}", 3);
	g_autoptr(MeshSecret) plaintext = NULL;

	if (!mesh_application_check_name("application name", name, error) ||
	    !ctx_open_change(&ctx, session, account, error))
		return FALSE;
	if (find_app(ctx.personal, MESH_APPLICATION_GENERIC, name) != NULL) {
		g_autofree char *quoted = mesh_error_quote(name);

		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS, "the application '%s' exists",
		            quoted);
		return FALSE;
	}
	plaintext = mesh_application_generic_text(name, empty, error);
	if (plaintext == NULL)
		return FALSE;
	ctx.queue_op = queue_op_new(QUEUE_APP_ADD, name, 0, queue_change(NULL, NULL, NULL, NULL));
	return ctx_app_create(&ctx, MESH_APPLICATION_GENERIC, name, plaintext, ret_identifier,
	                      error) &&
	       done(&ctx, ret_queued);
}

gboolean
mesh_session_app_set(MeshSession *session, const char *account, const char *name,
                     const MeshSecret *data, char **ret_queued, GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(MeshApplicationProfile) app = NULL;
	g_autoptr(MeshSecret) plaintext = NULL;
	g_autoptr(MeshSecret) base = NULL;
	MeshApplicationEntry *e;

	if (!ctx_open_change(&ctx, session, account, error))
		return FALSE;
	e = find_app(ctx.personal, MESH_APPLICATION_GENERIC, name);
	if (e == NULL)
		return not_found_app(name, error);
	plaintext = mesh_application_generic_text(name, data, error);
	if (plaintext == NULL || !ctx_load_app(&ctx, e->identifier, &app, error) ||
	    (base = ctx_open_app(&ctx, app, error)) == NULL)
		return FALSE;
	ctx.queue_op = queue_op_new(QUEUE_APP_SET, name, app->serial,
	                            queue_change(NULL, NULL, data, base));
	return mesh_application_profile_touch(app, error) &&
	       ctx_save_app(&ctx, app, plaintext, error) && done(&ctx, ret_queued);
}

gboolean
mesh_session_app_get(MeshSession *session, const char *account, const char *name,
                     MeshSecret **ret_plaintext, GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(MeshApplicationProfile) owned = NULL;
	const MeshApplicationProfile *app = NULL;
	MeshApplicationEntry *e;
	MeshSecret *plaintext;

	if (!ctx_open_read(&ctx, session, account, error))
		return FALSE;
	e = find_app(ctx.personal, MESH_APPLICATION_GENERIC, name);
	if (e == NULL)
		return not_found_app(name, error);
	if (ctx.borrowed ? !ctx_kept_app(&ctx, e->identifier, &app, error)
	                 : !ctx_load_app(&ctx, e->identifier, &owned, error))
		return FALSE;
	if (app == NULL)
		app = owned;
	plaintext = ctx_open_app(&ctx, app, error);
	if (plaintext == NULL)
		return FALSE;
	*ret_plaintext = plaintext;
	return TRUE;
}

/* @e is one of the Mesh's own applications (named by its Friendly name, no generic one having it):
 * refused, saying why. */
static gboolean
refuse_own_app(const MeshApplicationEntry *e, GError **error)
{
	g_autofree char *quoted = mesh_error_quote(e->friendly);

	if (e->type == MESH_APPLICATION_PASSWORD)
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
		            "'%s' is the account's PasswordProfile, which the Mesh keeps: remove "
		            "logins with 'mesh password delete'",
		            quoted);
	else
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
		            "'%s' is the account's %s, which lists the devices' SSH keys and which "
		            "administration devices rebuild on every sync: it is not deleted",
		            quoted, mesh_application_type_name(e->type));
	return FALSE;
}

gboolean
mesh_session_app_delete(MeshSession *session, const char *account, const char *name,
                        char **ret_queued, GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autofree char *identifier = NULL;
	g_autofree char *file = NULL;
	g_autoptr(MeshApplicationProfile) app = NULL;
	g_autoptr(MeshSecret) base = NULL;
	MeshApplicationEntry *e;

	if (!ctx_open_change(&ctx, session, account, error))
		return FALSE;
	e = find_app(ctx.personal, MESH_APPLICATION_GENERIC, name);
	if (e == NULL) {
		for (guint i = 0; i < ctx.personal->applications->len; i++) {
			e = g_ptr_array_index(ctx.personal->applications, i);
			if (g_strcmp0(e->friendly, name) == 0)
				return refuse_own_app(e, error);
		}
		return not_found_app(name, error);
	}
	identifier = g_strdup(e->identifier);
	file = json_name(identifier);
	/* What it held, should the change be queued: a flush tells by it whether another device
	 * changed it meanwhile (when it does not open here, by its serial). */
	if (ctx_load_app(&ctx, identifier, &app, error))
		base = ctx_open_app(&ctx, app, NULL);
	else
		return FALSE;
	ctx.queue_op = queue_op_new(QUEUE_APP_DELETE, name, app->serial,
	                            queue_change(NULL, NULL, NULL, base));
	if (!mesh_personal_profile_remove_application(ctx.personal, identifier, error) ||
	    !mesh_personal_profile_touch(ctx.personal, error) || !ctx_publish_personal(&ctx, error))
		return FALSE;
	/* The profile no longer lists it: a copy left here would only be unused. */
	mesh_hive_remove(session->hive, MESH_HIVE_APPLICATION_PROFILES, file, NULL);
	return done(&ctx, ret_queued);
}

/* ---- Passwords ----------------------------------------------------------------------------- */

/* The account's password set (empty when it has no PasswordProfile yet: *ret_app NULL). A
 * read-only context (ctx_open_read) gets no *ret_app: its profile stays in the cache. */
gboolean
ctx_passwords(Ctx *ctx, MeshApplicationProfile **ret_app, MeshPasswordSet **ret_set, GError **error)
{
	MeshApplicationEntry *e = find_app(ctx->personal, MESH_APPLICATION_PASSWORD, NULL);
	g_autoptr(MeshApplicationProfile) app = NULL;
	const MeshApplicationProfile *kept = NULL;
	g_autoptr(MeshSecret) plaintext = NULL;

	*ret_app = NULL;
	if (e == NULL) {
		*ret_set = mesh_password_set_new();
		return TRUE;
	}
	if (ctx->borrowed ? !ctx_kept_app(ctx, e->identifier, &kept, error)
	                  : !ctx_load_app(ctx, e->identifier, &app, error))
		return FALSE;
	plaintext = ctx_open_app(ctx, kept != NULL ? kept : app, error);
	if (plaintext == NULL)
		return FALSE;
	*ret_set = mesh_password_set_parse(plaintext, error);
	if (*ret_set == NULL)
		return FALSE;
	*ret_app = g_steal_pointer(&app);
	return TRUE;
}

gboolean
ctx_save_passwords(Ctx *ctx, MeshApplicationProfile *app, const MeshPasswordSet *set,
                   GError **error)
{
	g_autoptr(MeshSecret) plaintext = mesh_password_set_to_text(set);

	if (app == NULL)
		return ctx_app_create(ctx, MESH_APPLICATION_PASSWORD, PASSWORDS_APP, plaintext,
		                      NULL, error);
	return mesh_application_profile_touch(app, error) &&
	       ctx_save_app(ctx, app, plaintext, error);
}

/* @n random characters from an alphabet of 64 (each byte's low six bits: unbiased). */
static MeshSecret *
generate_password(guint n, GError **error)
{
	static const char alphabet[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	g_autoptr(MeshSecret) random = mesh_secret_new_random(n, error);
	MeshSecret *password;

	if (random == NULL)
		return NULL;
	password = mesh_secret_new(n + 1);
	for (guint i = 0; i < n; i++)
		mesh_secret_data(password)[i] = alphabet[mesh_secret_get(random)[i] & 63];
	return password;
}

void
mesh_session_login_free(MeshSessionLogin *login)
{
	if (login == NULL)
		return;
	g_free(login->site);
	g_free(login->username);
	g_free(login);
}

static gboolean
no_login(const char *site, const char *username, GError **error)
{
	g_autofree char *quoted_site = mesh_error_quote(site);
	g_autofree char *quoted_user = username != NULL ? mesh_error_quote(username) : NULL;

	if (username == NULL)
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND, "no password for '%s'",
		            quoted_site);
	else
		g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND, "no password for '%s' at '%s'",
		            quoted_user, quoted_site);
	return FALSE;
}

/* Most user names an error about several logins quotes. */
#define LOGINS_QUOTED 8

/*
 * The one login among @entries (those for @site, of @username when not NULL): an entry listing
 * @site exactly before one that matches it by a wildcard. Errors: MESH_ERROR_NOT_FOUND (none),
 * MESH_ERROR_INVALID_ARGUMENT (several user names: the message lists them and asks for one).
 */
static MeshPasswordEntry *
one_login(GPtrArray *entries, const char *site, const char *username, GError **error)
{
	g_autoptr(GString) names = g_string_new(NULL);
	g_autofree char *quoted_site = NULL;
	guint distinct = 0;

	if (entries->len == 0) {
		no_login(site, username, error);
		return NULL;
	}
	for (guint i = 0; i < entries->len; i++) {
		const MeshPasswordEntry *e = entries->pdata[i];
		gboolean seen = FALSE;

		for (guint j = 0; j < i && !seen; j++)
			seen = g_str_equal(((MeshPasswordEntry *)entries->pdata[j])->username,
			                   e->username);
		if (seen)
			continue;
		if (++distinct <= LOGINS_QUOTED) {
			g_autofree char *quoted = mesh_error_quote(e->username);

			g_string_append_printf(names, "%s'%s'", distinct > 1 ? ", " : "", quoted);
		} else if (distinct == LOGINS_QUOTED + 1) {
			g_string_append(names, ", ...");
		}
	}
	if (distinct > 1) {
		quoted_site = mesh_error_quote(site);
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
		            "'%s' has logins for %u user names (%s): say which with --user",
		            quoted_site, distinct, names->str);
		return NULL;
	}
	for (guint i = 0; i < entries->len; i++) {
		if (mesh_password_entry_lists(entries->pdata[i], site))
			return entries->pdata[i];
	}
	return entries->pdata[0];
}

gboolean
mesh_session_password_add(MeshSession *session, const char *account, const char *site,
                          const char *username, const MeshSecret *password,
                          MeshSessionPasswordMode mode, MeshSecret **ret_password,
                          char **ret_queued, GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(MeshApplicationProfile) app = NULL;
	g_autoptr(MeshPasswordSet) set = NULL;
	g_autoptr(MeshSecret) made = NULL;
	const char *sites[] = {site, NULL};
	MeshPasswordEntry *login;

	if (!mesh_application_check_name("site", site, error) ||
	    !ctx_open_change(&ctx, session, account, error) ||
	    !ctx_passwords(&ctx, &app, &set, error))
		return FALSE;
	login = mesh_password_set_login(set, site, username);
	if (login != NULL && mode == MESH_SESSION_PASSWORD_ADD) {
		g_autofree char *quoted_site = mesh_error_quote(site);
		g_autofree char *quoted_user = mesh_error_quote(username);

		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
		            "'%s' at '%s' has a password already: change it with 'mesh password "
		            "set' (or 'password add --replace')",
		            quoted_user, quoted_site);
		return FALSE;
	}
	if (login == NULL && mode == MESH_SESSION_PASSWORD_SET)
		return no_login(site, username, error);
	if (password == NULL) {
		made = generate_password(PASSWORD_GEN, error);
		if (made == NULL)
			return FALSE;
		password = made;
	}
	ctx.queue_op = queue_op_new(login != NULL ? QUEUE_PASSWORD_SET : QUEUE_PASSWORD_ADD,
	                            PASSWORDS_APP, app != NULL ? app->serial : 0,
	                            queue_change(site, username, password,
	                                         login != NULL ? login->password : NULL));
	if (!(login != NULL ? mesh_password_entry_set_password(login, password, error)
	                    : mesh_password_set_add(set, sites, username, password, error)) ||
	    !ctx_save_passwords(&ctx, app, set, error))
		return FALSE;
	if (ret_password != NULL)
		*ret_password = mesh_secret_dup(password);
	return done(&ctx, ret_queued);
}

gboolean
mesh_session_password_get(MeshSession *session, const char *account, const char *site,
                          const char *username, char **ret_username, MeshSecret **ret_password,
                          GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(MeshApplicationProfile) app = NULL;
	g_autoptr(MeshPasswordSet) set = NULL;
	g_autoptr(GPtrArray) entries = NULL;
	MeshPasswordEntry *e;

	if (!ctx_open_read(&ctx, session, account, error) ||
	    !ctx_passwords(&ctx, &app, &set, error))
		return FALSE;
	entries = mesh_password_set_match(set, site, username, FALSE);
	e = one_login(entries, site, username, error);
	if (e == NULL)
		return FALSE;
	if (ret_username != NULL)
		*ret_username = g_strdup(e->username);
	*ret_password = mesh_secret_dup(e->password);
	return TRUE;
}

/* Append every login of @set to @logins (MeshSessionLogin *): one per site of each entry, in
 * the order stored. */
void
password_set_logins(const MeshPasswordSet *set, GPtrArray *logins)
{
	for (guint i = 0; i < set->entries->len; i++) {
		const MeshPasswordEntry *e = g_ptr_array_index(set->entries, i);

		for (guint j = 0; j < e->sites->len; j++) {
			MeshSessionLogin *login = g_new0(MeshSessionLogin, 1);

			login->site = g_strdup(e->sites->pdata[j]);
			login->username = g_strdup(e->username);
			g_ptr_array_add(logins, login);
		}
	}
}

gboolean
mesh_session_password_list(MeshSession *session, const char *account, GPtrArray **ret_logins,
                           GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(MeshApplicationProfile) app = NULL;
	g_autoptr(MeshPasswordSet) set = NULL;
	GPtrArray *logins;

	if (!ctx_open_read(&ctx, session, account, error) ||
	    !ctx_passwords(&ctx, &app, &set, error))
		return FALSE;
	logins = g_ptr_array_new_with_free_func((GDestroyNotify)mesh_session_login_free);
	password_set_logins(set, logins);
	*ret_logins = logins;
	return TRUE;
}

gboolean
mesh_session_password_delete(MeshSession *session, const char *account, const char *site,
                             const char *username, char **ret_queued, GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(MeshApplicationProfile) app = NULL;
	g_autoptr(MeshPasswordSet) set = NULL;
	g_autoptr(GPtrArray) entries = NULL;
	g_autofree char *user = NULL;
	MeshPasswordEntry *e;

	if (!ctx_open_change(&ctx, session, account, error) ||
	    !ctx_passwords(&ctx, &app, &set, error))
		return FALSE;
	entries = mesh_password_set_match(set, site, username, TRUE);
	e = one_login(entries, site, username, error);
	if (e == NULL)
		return FALSE;
	user = g_strdup(e->username);
	ctx.queue_op = queue_op_new(QUEUE_PASSWORD_DELETE, PASSWORDS_APP,
	                            app != NULL ? app->serial : 0,
	                            queue_change(site, user, NULL, e->password));
	mesh_password_set_remove(set, site, user);
	return ctx_save_passwords(&ctx, app, set, error) && done(&ctx, ret_queued);
}
