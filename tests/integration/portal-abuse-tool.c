/* SPDX-License-Identifier: MIT */
/*
 * portal-abuse-tool: valid requests in bulk, as an abuser (or a busy user) would send them, for
 * tests/integration/portal-queue.sh and portal-quota.sh. Every key is made here and thrown away;
 * the requests go out one JSON text a line, for portal-abuse.py to send from a chosen address.
 *
 *   portal-abuse-tool connects ACCOUNT PROFILE_UDF N
 *       N ConnectStartRequests for ACCOUNT, each of a new device (its own keys and self-signed
 *       profile) asking to join the profile PROFILE_UDF
 *   portal-abuse-tool creates DOMAIN PREFIX N
 *       N CreateRequests for the accounts PREFIX0@DOMAIN .. PREFIX(N-1)@DOMAIN, each with a
 *       profile of its own
 *   portal-abuse-tool entries DOMAIN ACCOUNT N DIR
 *       an account and what it publishes, into DIR: create.json (its CreateRequest),
 *       publish.json (N Publish requests, one application profile each, signed by its
 *       administration key, issued now), republish.json (the first profile again with Serial
 *       2) and sizes.txt ("profile BYTES", then "app BYTES" for each: what the portal stores)
 *
 * The exit status is 0, or 1 with one line on standard error.
 */
#include <stdio.h>
#include <string.h>

#include "application.h"
#include "connect.h"
#include "error.h"
#include "json.h"
#include "master.h"
#include "personal.h"
#include "portal-client.h"
#include "device-profile.h"
#include "secret.h"
#include "signed.h"

static G_NORETURN void
die(const char *what, const GError *error)
{
	fprintf(stderr, "portal-abuse-tool: %s: %s\n", what, error != NULL ? error->message : "");
	exit(1);
}

static guint
count_arg(const char *text)
{
	guint64 n = 0;

	if (!g_ascii_string_to_unsigned(text, 10, 1, 100000, &n, NULL))
		die("a count is 1 to 100000", NULL);
	return (guint)n;
}

/* ---- connects ------------------------------------------------------------------------------ */

static char *
connect_request(const char *account, const char *profile_udf)
{
	g_autoptr(MeshKey) sig = mesh_key_generate(MESH_KEY_ED25519, NULL);
	g_autoptr(MeshKey) auth = mesh_key_generate(MESH_KEY_ED25519, NULL);
	g_autoptr(MeshKey) enc = mesh_key_generate(MESH_KEY_X25519, NULL);
	g_autoptr(MeshDeviceProfile) profile = NULL;
	g_autoptr(JsonNode) signed_profile = NULL;
	g_autoptr(MeshConnectionRequest) request = NULL;
	g_autoptr(JsonNode) signed_request = NULL;
	g_autoptr(GError) error = NULL;
	JsonObject *r;

	profile = mesh_device_profile_new("throwaway", sig, auth, enc, &error);
	if (profile != NULL)
		signed_profile =
		        mesh_device_profile_sign(profile, mesh_signed_sign_with_key, sig, &error);
	if (signed_profile != NULL)
		request = mesh_connection_request_new(profile_udf, signed_profile, &error);
	if (request != NULL)
		signed_request = mesh_connection_request_sign(request, mesh_signed_sign_with_key,
		                                              sig, &error);
	if (signed_request == NULL)
		die("connection request", error);
	r = json_object_new();
	json_object_set_string_member(r, "AccountID", account);
	json_object_set_member(r, "SignedRequest", g_steal_pointer(&signed_request));
	return mesh_portal_request_text("ConnectStartRequest", r);
}

/* ---- Accounts ------------------------------------------------------------------------------ */

typedef struct {
	MeshKey *sig;
	MeshKey *escrow[2];
	MeshKey *online;
	MeshMasterProfile *master;
	JsonNode *signed_personal;
} Account;

static void
account_make(Account *a, const char *name)
{
	g_autoptr(JsonNode) signed_master = NULL;
	g_autoptr(MeshPersonalProfile) personal = NULL;
	g_autoptr(GError) error = NULL;

	a->sig = mesh_key_generate(MESH_KEY_ED25519, NULL);
	a->escrow[0] = mesh_key_generate(MESH_KEY_X25519, NULL);
	a->escrow[1] = mesh_key_generate(MESH_KEY_X25519, NULL);
	a->online = mesh_key_generate(MESH_KEY_ED25519, NULL);
	a->master = mesh_master_profile_new(a->sig, a->escrow, 2, &a->online, 1, &error);
	if (a->master != NULL)
		signed_master = mesh_master_profile_sign(a->master, mesh_signed_sign_with_key,
		                                         a->sig, &error);
	if (signed_master != NULL)
		personal = mesh_personal_profile_new(name, signed_master, &error);
	if (personal != NULL)
		a->signed_personal = mesh_personal_profile_sign(
		        personal, a->online, mesh_signed_sign_with_key, a->online, &error);
	if (a->signed_personal == NULL)
		die("account", error);
}

static void
account_clear(Account *a)
{
	g_clear_pointer(&a->sig, mesh_key_unref);
	g_clear_pointer(&a->escrow[0], mesh_key_unref);
	g_clear_pointer(&a->escrow[1], mesh_key_unref);
	g_clear_pointer(&a->online, mesh_key_unref);
	g_clear_pointer(&a->master, mesh_master_profile_free);
	g_clear_pointer(&a->signed_personal, json_node_unref);
}

static char *
create_request(const char *local, const Account *a)
{
	JsonObject *r = json_object_new();

	json_object_set_string_member(r, "Account", local);
	json_object_set_member(r, "Profile", json_node_copy(a->signed_personal));
	return mesh_portal_request_text("CreateRequest", r);
}

/* The Publish of @entry for @local, signed by @a's administration key, issued now. */
static char *
publish_request(const char *local, const Account *a, JsonNode *entry)
{
	g_autoptr(GError) error = NULL;
	JsonObject *r = json_object_new();
	char *text;

	json_object_set_string_member(r, "Account", local);
	json_object_set_member(r, "Entry", json_node_copy(entry));
	text = mesh_portal_request_sign("PublishRequest", r, a->online, mesh_signed_sign_with_key,
	                                a->online, &error);
	if (text == NULL)
		die("publish request", error);
	return text;
}

/* What the portal stores for @node: its text as the portal writes it. */
static gsize
stored_size(JsonNode *node)
{
	g_autofree char *text = mesh_json_to_string(node);

	return strlen(text);
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autoptr(GError) error = NULL;

	if (!g_file_set_contents(path, text, -1, &error))
		die(path, error);
}

static int
entries(const char *domain, const char *local, guint n, const char *dir)
{
	g_autofree char *name = g_strconcat(local, "@", domain, NULL);
	g_autoptr(GString) publish = g_string_new(NULL);
	g_autoptr(GString) sizes = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	g_autofree char *create = NULL;
	g_autofree char *again = NULL;
	Account a = {0};

	account_make(&a, name);
	create = create_request(local, &a);
	g_string_append_printf(sizes, "profile %zu\n", stored_size(a.signed_personal));
	for (guint i = 0; i < n; i++) {
		g_autoptr(MeshApplicationProfile) app = NULL;
		g_autoptr(MeshSecret) data = mesh_secret_new_from_data("{\"k\":1}", 8);
		g_autoptr(MeshSecret) plaintext = NULL;
		g_autoptr(JsonNode) node = NULL;
		g_autofree char *app_name = g_strdup_printf("settings-%u", i);
		g_autofree char *text = NULL;

		app = mesh_application_profile_new(MESH_APPLICATION_GENERIC, app_name, &error);
		if (app != NULL)
			plaintext = mesh_application_generic_text(app_name, data, &error);
		if (plaintext == NULL ||
		    !mesh_application_profile_seal_to(app, plaintext, a.escrow, 2, &error))
			die("application profile", error);
		node = mesh_application_profile_sign(app, a.master, a.online,
		                                     mesh_signed_sign_with_key, a.online, &error);
		if (node == NULL)
			die("application profile", error);
		text = publish_request(local, &a, node);
		g_string_append_printf(publish, "%s\n", text);
		g_string_append_printf(sizes, "app %zu\n", stored_size(node));
		if (i == 0) {
			g_autoptr(JsonNode) second = NULL;

			if (!mesh_application_profile_touch(app, &error))
				die("application profile", error);
			second = mesh_application_profile_sign(app, a.master, a.online,
			                                       mesh_signed_sign_with_key, a.online,
			                                       &error);
			if (second == NULL)
				die("application profile", error);
			again = publish_request(local, &a, second);
		}
	}
	{
		g_autofree char *line = g_strconcat(create, "\n", NULL);
		g_autofree char *again_line = g_strconcat(again, "\n", NULL);

		write_file(dir, "create.json", line);
		write_file(dir, "publish.json", publish->str);
		write_file(dir, "republish.json", again_line);
		write_file(dir, "sizes.txt", sizes->str);
	}
	account_clear(&a);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "connects") == 0) {
		guint n = count_arg(argv[4]);

		for (guint i = 0; i < n; i++) {
			g_autofree char *text = connect_request(argv[2], argv[3]);

			printf("%s\n", text);
		}
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (argc == 5 && strcmp(argv[1], "creates") == 0) {
		guint n = count_arg(argv[4]);

		for (guint i = 0; i < n; i++) {
			g_autofree char *local = g_strdup_printf("%s%u", argv[3], i);
			g_autofree char *name = g_strconcat(local, "@", argv[2], NULL);
			g_autofree char *text = NULL;
			Account a = {0};

			account_make(&a, name);
			text = create_request(local, &a);
			printf("%s\n", text);
			account_clear(&a);
		}
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (argc == 6 && strcmp(argv[1], "entries") == 0)
		return entries(argv[2], argv[3], count_arg(argv[4]), argv[5]);
	fprintf(stderr, "usage: portal-abuse-tool connects ACCOUNT PROFILE_UDF N | creates DOMAIN "
	                "PREFIX N | entries DOMAIN ACCOUNT N DIR\n");
	return 2;
}
