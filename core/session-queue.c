/* SPDX-License-Identifier: MIT */
/*
 * Session: working offline (docs/protocol.md "Offline changes"). A change the portal could not
 * take is made here all the same and queued in the hive's Outbox, one entry per change, named
 * so that the entries sort in queue order:
 *
 *   Outbox/<16 digits: sequence>-<8 hex: random>.json
 *     {"QueuedChange": {"Account", "Operation", "Application", "BaseSerial", "Queued",
 *                       "Change": JWE to this device's DeviceEncryptionKey}}
 *   Outbox/Conflicts-<UDF of the account>.json
 *     {"QueueConflicts": {"Account", "Flushed", "Conflicts": JWE of [{"Operation",
 *                         "Application", "Site"?, "Username"?, "Queued", "Conflict"}]}}
 *
 * The JWE's plaintext ("Change") holds the login and the values: {"Site"?, "Username"?,
 * "Value"?, "Base"?}: the new password or the application's new Data ("Value"), and what the
 * login or application held when the change was made ("Base"), by which a flush tells
 * whether another device changed it meanwhile. Nothing of it is on disk in clear.
 *
 * A flush replays the entries, oldest first, on the portal's profiles through the code the
 * online verbs run, publishing as it goes (Ctx.replay keeps what it published, in memory),
 * and removes each entry once its change is published; when all are, it stores what it
 * published here.
 */
#include "session-private.h"

#include <openssl/crypto.h>
#include <string.h>

#include "jose.h"
#include "secjson.h"
#include "signed.h"
#include "udf.h"

/* Most changes the Outbox holds (over every account): beyond, a change fails. */
#define QUEUE_MAX        1000
#define QUEUE_ENTRY_MAX  MESH_JOSE_MAX_SIZE
#define QUEUE_CTY        "application/mmm-queued"
#define CONFLICTS_PREFIX "Conflicts-"
/* "<16 digits>-<8 hex>.json" */
#define QUEUE_NAME_LEN (16 + 1 + 8 + 5)

gboolean
portal_unreachable(const GError *error)
{
	return g_error_matches(error, MESH_ERROR, MESH_ERROR_NETWORK) ||
	       g_error_matches(error, MESH_ERROR, MESH_ERROR_TIMEOUT);
}

QueueOp *
queue_op_new(const char *operation, const char *application, gint64 base_serial, MeshSecret *change)
{
	QueueOp *op = g_new0(QueueOp, 1);

	op->operation = operation;
	op->application = g_strdup(application);
	op->base_serial = base_serial;
	op->change = change;
	return op;
}

void
queue_op_free(QueueOp *op)
{
	if (op == NULL)
		return;
	g_free(op->application);
	mesh_secret_free(op->change);
	g_free(op);
}

void
mesh_session_queued_free(MeshSessionQueued *queued)
{
	if (queued == NULL)
		return;
	g_free(queued->operation);
	g_free(queued->application);
	g_free(queued->site);
	g_free(queued->username);
	g_free(queued->queued);
	g_free(queued->conflict);
	g_free(queued);
}

void
mesh_session_flush_free(MeshSessionFlush *flush)
{
	if (flush == NULL)
		return;
	g_clear_pointer(&flush->published, g_ptr_array_unref);
	g_clear_pointer(&flush->conflicts, g_ptr_array_unref);
	g_free(flush);
}

static GPtrArray *
queued_list(void)
{
	return g_ptr_array_new_with_free_func((GDestroyNotify)mesh_session_queued_free);
}

/* The member @name: the @len bytes of @text (-1: NUL-terminated) as a JSON string. */
static void
member_text(MeshSecjson *w, const char *name, const char *text, gssize len, gboolean *first)
{
	mesh_secjson_literal(w, *first ? "\"" : ",\"");
	mesh_secjson_literal(w, name);
	mesh_secjson_literal(w, "\":");
	mesh_secjson_string(w, text, len);
	*first = FALSE;
}

/* The member @name: the NUL-terminated text in @value. */
static void
member_secret(MeshSecjson *w, const char *name, const MeshSecret *value, gboolean *first)
{
	const char *text = (const char *)mesh_secret_get(value);
	gsize len = mesh_secret_len(value);

	if (len > 0 && text[len - 1] == '\0')
		len--;
	member_text(w, name, text, (gssize)len, first);
}

/* The plaintext of a change: {"Site"?, "Username"?, "Value"?, "Base"?} (NULL: left out),
 * written in secure memory. */
MeshSecret *
queue_change(const char *site, const char *username, const MeshSecret *value,
             const MeshSecret *base)
{
	g_autoptr(MeshSecjson) w = mesh_secjson_new();
	gboolean first = TRUE;

	mesh_secjson_literal(w, "{");
	if (site != NULL)
		member_text(w, "Site", site, -1, &first);
	if (username != NULL)
		member_text(w, "Username", username, -1, &first);
	if (value != NULL)
		member_secret(w, "Value", value, &first);
	if (base != NULL)
		member_secret(w, "Base", base, &first);
	mesh_secjson_literal(w, "}");
	return mesh_secjson_finish(w);
}

/* ---- Entries ------------------------------------------------------------------------------- */

/* A queued change as read from the Outbox. */
typedef struct {
	char *name; /* its entry */
	char *account;
	char *operation;
	char *application;
	gint64 base_serial;
	char *queued;
	JsonNode *change; /* the JWE */
} Entry;

static void
entry_free(Entry *e)
{
	if (e == NULL)
		return;
	g_free(e->name);
	g_free(e->account);
	g_free(e->operation);
	g_free(e->application);
	g_free(e->queued);
	if (e->change != NULL)
		json_node_unref(e->change);
	g_free(e);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Entry, entry_free)

static gboolean
queue_name(const char *name)
{
	if (strlen(name) != QUEUE_NAME_LEN || !g_str_has_suffix(name, JSON_SUFFIX) ||
	    name[16] != '-')
		return FALSE;
	for (int i = 0; i < 16; i++) {
		if (!g_ascii_isdigit(name[i]))
			return FALSE;
	}
	for (int i = 17; i < 25; i++) {
		if (!g_ascii_isxdigit(name[i]))
			return FALSE;
	}
	return TRUE;
}

static gboolean
known_operation(const char *operation)
{
	static const char *const ops[] = {QUEUE_PASSWORD_ADD,    QUEUE_PASSWORD_SET,
	                                  QUEUE_PASSWORD_DELETE, QUEUE_APP_ADD,
	                                  QUEUE_APP_SET,         QUEUE_APP_DELETE};

	for (gsize i = 0; i < G_N_ELEMENTS(ops); i++) {
		if (g_str_equal(operation, ops[i]))
			return TRUE;
	}
	return FALSE;
}

/* Read an entry's JSON: {"QueuedChange": {...}}. */
static Entry *
entry_parse(JsonNode *node, GError **error)
{
	static const char *const members[] = {"Account", "Operation", "Application", "BaseSerial",
	                                      "Queued",  "Change",    NULL};
	g_autoptr(Entry) e = g_new0(Entry, 1);
	const char *account = NULL, *operation = NULL, *application = NULL, *queued = NULL;
	JsonObject *outer, *obj = NULL;

	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "not a JSON object");
		return NULL;
	}
	outer = json_node_get_object(node);
	if (json_object_get_size(outer) != 1 ||
	    !mesh_json_get_object(outer, "QueuedChange", &obj, error) ||
	    !mesh_json_check_members(obj, members, error) ||
	    !mesh_json_get_string(obj, "Account", &account, error) ||
	    !mesh_json_get_string(obj, "Operation", &operation, error) ||
	    !mesh_json_get_string(obj, "Application", &application, error) ||
	    !mesh_json_get_int(obj, "BaseSerial", &e->base_serial, error) ||
	    !mesh_json_get_string(obj, "Queued", &queued, error)) {
		mesh_signed_recode(error, MESH_ERROR_MALFORMED);
		return NULL;
	}
	if (!known_operation(operation) || e->base_serial < 0 || e->base_serial > MESH_SERIAL_MAX ||
	    !json_object_has_member(obj, "Change") ||
	    !JSON_NODE_HOLDS_OBJECT(json_object_get_member(obj, "Change"))) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		            "not a queued change (Operation, BaseSerial or Change)");
		return NULL;
	}
	e->account = g_strdup(account);
	e->operation = g_strdup(operation);
	e->application = g_strdup(application);
	e->queued = g_strdup(queued);
	e->change = json_node_copy(json_object_get_member(obj, "Change"));
	return g_steal_pointer(&e);
}

static Entry *
entry_read(MeshSession *session, const char *name, GError **error)
{
	g_autoptr(JsonNode) node = NULL;
	Entry *e;

	if (!read_json(session->hive, MESH_HIVE_OUTBOX, name, QUEUE_ENTRY_MAX, &node, error))
		return NULL;
	e = entry_parse(node, error);
	if (e == NULL) {
		g_prefix_error(error, "%s/%s/%s is damaged: ", mesh_hive_location(session->hive),
		               mesh_hive_folder_name(MESH_HIVE_OUTBOX), name);
		return NULL;
	}
	e->name = g_strdup(name);
	return e;
}

/* The names of the queued changes in the Outbox, in queue order. */
static gboolean
queue_names(MeshSession *session, GPtrArray **ret, GError **error)
{
	g_autoptr(GPtrArray) names = NULL;
	GPtrArray *out;

	if (!mesh_hive_list(session->hive, MESH_HIVE_OUTBOX, &names, error))
		return FALSE;
	out = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < names->len; i++) {
		if (queue_name(names->pdata[i]))
			g_ptr_array_add(out, g_strdup(names->pdata[i]));
	}
	*ret = out;
	return TRUE;
}

/* The queued changes of @account, in queue order (Entry *). An entry that does not read is an
 * error naming it: a change is never skipped silently. */
static gboolean
queue_entries(MeshSession *session, const char *account, GPtrArray **ret, GError **error)
{
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func((GDestroyNotify)entry_free);

	if (!queue_names(session, &names, error))
		return FALSE;
	for (guint i = 0; i < names->len; i++) {
		Entry *e = entry_read(session, names->pdata[i], error);

		if (e == NULL)
			return FALSE;
		if (g_str_equal(e->account, account))
			g_ptr_array_add(entries, e);
		else
			entry_free(e);
	}
	*ret = g_steal_pointer(&entries);
	return TRUE;
}

/* The next entry name: one past the last sequence number, with a random part so that two
 * writers never pick the same. */
static gboolean
next_name(MeshSession *session, char **ret, GError **error)
{
	g_autoptr(GPtrArray) names = NULL;
	guint64 last = 0;

	if (!queue_names(session, &names, error))
		return FALSE;
	if (names->len >= QUEUE_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_TOO_LARGE,
		            "%u changes are queued already, waiting for the portal: publish them "
		            "with 'mesh profile sync' before making more",
		            names->len);
		return FALSE;
	}
	if (names->len > 0)
		last = g_ascii_strtoull(names->pdata[names->len - 1], NULL, 10);
	*ret = g_strdup_printf("%016" G_GUINT64_FORMAT "-%08x%s", last + 1, g_random_int(),
	                       JSON_SUFFIX);
	return TRUE;
}

/*
 * Queue ctx->queue_op: an entry of the Outbox, written before anything here is changed (killed
 * after it, the change is published all the same; after the local writes, nothing is lost).
 */
gboolean
ctx_queue(Ctx *ctx, GError **error)
{
	const QueueOp *op = ctx->queue_op;
	g_autoptr(JsonNode) jwe = NULL;
	g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
	g_autofree char *name = NULL;
	g_autofree char *now = session_time(ctx->session);
	JsonObject *outer = json_object_new(), *obj = json_object_new();
	MeshKey *recipients[] = {ctx->device->encryption_key};

	json_node_take_object(node, outer);
	json_object_set_object_member(outer, "QueuedChange", obj);
	jwe = mesh_jwe_encrypt(mesh_secret_get(op->change), mesh_secret_len(op->change), QUEUE_CTY,
	                       recipients, 1, error);
	if (jwe == NULL || !next_name(ctx->session, &name, error))
		return FALSE;
	json_object_set_string_member(obj, "Account", ctx->account->account);
	json_object_set_string_member(obj, "Operation", op->operation);
	json_object_set_string_member(obj, "Application", op->application);
	json_object_set_int_member(obj, "BaseSerial", op->base_serial);
	json_object_set_string_member(obj, "Queued", now);
	json_object_set_member(obj, "Change", g_steal_pointer(&jwe));
	return write_json(ctx->session->hive, MESH_HIVE_OUTBOX, name, node, error);
}

/* The change of @e, opened with this device's encryption key (in its store). */
static JsonNode *
entry_open(Ctx *ctx, const Entry *e, GError **error)
{
	MeshKeyStoreSigner key = {ctx->session->store, mesh_key_udf(ctx->device->encryption_key)};
	g_autoptr(MeshJwe) jwe = mesh_jwe_from_json(e->change, error);
	g_autoptr(MeshSecret) text = NULL;
	JsonNode *change;

	if (jwe != NULL && g_strcmp0(mesh_jwe_cty(jwe), QUEUE_CTY) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "its Change is not a change");
		g_clear_pointer(&jwe, mesh_jwe_free);
	}
	if (jwe != NULL)
		text = mesh_jwe_decrypt_with(jwe, ctx->device->encryption_key,
		                             mesh_keystore_jwe_agree, &key, error);
	change = text != NULL ? mesh_secjson_parse(text, QUEUE_ENTRY_MAX, error) : NULL;
	if (change != NULL && !JSON_NODE_HOLDS_OBJECT(change)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "its Change is not an object");
		g_clear_pointer(&change, mesh_secjson_unref);
	}
	if (change == NULL && !g_error_matches(*error, MESH_ERROR, MESH_ERROR_LOCKED))
		g_prefix_error(error,
		               "%s/%s/%s does not open: ", mesh_hive_location(ctx->session->hive),
		               mesh_hive_folder_name(MESH_HIVE_OUTBOX), e->name);
	return change;
}

/* A string member of the opened change (NULL when absent or not a string). */
static const char *
change_text(JsonNode *change, const char *member)
{
	JsonObject *obj = json_node_get_object(change);
	JsonNode *n = json_object_get_member(obj, member);

	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(n);
}

/* A string member of the change as a MeshSecret of NUL-terminated text (NULL when absent). */
static MeshSecret *
change_secret(JsonNode *change, const char *member)
{
	const char *text = change_text(change, member);

	return text != NULL ? mesh_secret_new_from_data(text, strlen(text) + 1) : NULL;
}

/* What a listing shows of @e (and of its opened @change: the login, never a value). */
static MeshSessionQueued *
entry_info(const Entry *e, JsonNode *change, const char *conflict)
{
	MeshSessionQueued *q = g_new0(MeshSessionQueued, 1);

	q->operation = g_strdup(e->operation);
	q->application = g_strdup(e->application);
	q->site = g_strdup(change != NULL ? change_text(change, "Site") : NULL);
	q->username = g_strdup(change != NULL ? change_text(change, "Username") : NULL);
	q->queued = g_strdup(e->queued);
	q->conflict = g_strdup(conflict);
	return q;
}

/* ---- Conflicts of the last flush ----------------------------------------------------------- */

static char *
conflicts_name(const char *account)
{
	g_autofree char *udf =
	        mesh_udf_content_digest(MESH_UDF_ALG_SHA512, "text/plain", (const guint8 *)account,
	                                strlen(account), MESH_UDF_BITS_DEFAULT, NULL);

	return g_strconcat(CONFLICTS_PREFIX, udf, JSON_SUFFIX, NULL);
}

static gboolean
conflicts_write(Ctx *ctx, GPtrArray *conflicts, GError **error)
{
	g_autofree char *name = conflicts_name(ctx->account->account);
	g_autofree char *now = session_time(ctx->session);
	g_autoptr(JsonNode) list = json_node_new(JSON_NODE_ARRAY);
	g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
	g_autoptr(JsonNode) jwe = NULL;
	g_autofree char *text = NULL;
	JsonArray *array = json_array_new();
	JsonObject *outer = json_object_new(), *obj = json_object_new();
	MeshKey *recipients[] = {ctx->device->encryption_key};

	json_node_take_array(list, array);
	for (guint i = 0; i < conflicts->len; i++) {
		const MeshSessionQueued *q = conflicts->pdata[i];
		JsonObject *c = json_object_new();

		json_object_set_string_member(c, "Operation", q->operation);
		json_object_set_string_member(c, "Application", q->application);
		if (q->site != NULL)
			json_object_set_string_member(c, "Site", q->site);
		if (q->username != NULL)
			json_object_set_string_member(c, "Username", q->username);
		json_object_set_string_member(c, "Queued", q->queued);
		json_object_set_string_member(c, "Conflict", q->conflict);
		json_array_add_object_element(array, c);
	}
	text = mesh_json_to_string(list);
	jwe = mesh_jwe_encrypt((const guint8 *)text, strlen(text), QUEUE_CTY, recipients, 1, error);
	if (jwe == NULL)
		return FALSE;
	json_node_take_object(node, outer);
	json_object_set_object_member(outer, "QueueConflicts", obj);
	json_object_set_string_member(obj, "Account", ctx->account->account);
	json_object_set_string_member(obj, "Flushed", now);
	json_object_set_member(obj, "Conflicts", g_steal_pointer(&jwe));
	return write_json(ctx->session->hive, MESH_HIVE_OUTBOX, name, node, error);
}

static MeshSessionQueued *
conflict_parse(JsonNode *node, GError **error)
{
	static const char *const members[] = {"Operation", "Application", "Site", "Username",
	                                      "Queued",    "Conflict",    NULL};
	g_autoptr(MeshSessionQueued) q = g_new0(MeshSessionQueued, 1);
	const char *op = NULL, *app = NULL, *site = NULL, *user = NULL, *queued = NULL,
	           *conflict = NULL;
	JsonObject *obj;

	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "a conflict is not an object");
		return NULL;
	}
	obj = json_node_get_object(node);
	if (!mesh_json_check_members(obj, members, error) ||
	    !mesh_json_get_string(obj, "Operation", &op, error) ||
	    !mesh_json_get_string(obj, "Application", &app, error) ||
	    !mesh_json_get_string_opt(obj, "Site", &site, error) ||
	    !mesh_json_get_string_opt(obj, "Username", &user, error) ||
	    !mesh_json_get_string(obj, "Queued", &queued, error) ||
	    !mesh_json_get_string(obj, "Conflict", &conflict, error))
		return NULL;
	q->operation = g_strdup(op);
	q->application = g_strdup(app);
	q->site = g_strdup(site);
	q->username = g_strdup(user);
	q->queued = g_strdup(queued);
	q->conflict = g_strdup(conflict);
	return g_steal_pointer(&q);
}

/* The conflicts of @ctx's account's last flush (empty when none is recorded). */
static gboolean
conflicts_read(Ctx *ctx, GPtrArray **ret, GError **error)
{
	static const char *const members[] = {"Account", "Flushed", "Conflicts", NULL};
	g_autofree char *name = conflicts_name(ctx->account->account);
	MeshKeyStoreSigner key = {ctx->session->store, mesh_key_udf(ctx->device->encryption_key)};
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(MeshJwe) jwe = NULL;
	g_autoptr(MeshSecret) text = NULL;
	g_autoptr(JsonNode) list = NULL;
	g_autoptr(GPtrArray) out = queued_list();
	g_autoptr(GError) local = NULL;
	JsonObject *obj = NULL;
	JsonArray *array;

	if (!read_json(ctx->session->hive, MESH_HIVE_OUTBOX, name, QUEUE_ENTRY_MAX, &node,
	               &local)) {
		if (!g_error_matches(local, MESH_ERROR, MESH_ERROR_NOT_FOUND)) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		*ret = g_steal_pointer(&out);
		return TRUE;
	}
	if (!JSON_NODE_HOLDS_OBJECT(node) ||
	    !mesh_json_get_object(json_node_get_object(node), "QueueConflicts", &obj, &local) ||
	    !mesh_json_check_members(obj, members, &local) ||
	    !json_object_has_member(obj, "Conflicts") ||
	    (jwe = mesh_jwe_from_json(json_object_get_member(obj, "Conflicts"), &local)) == NULL)
		goto damaged;
	text = mesh_jwe_decrypt_with(jwe, ctx->device->encryption_key, mesh_keystore_jwe_agree,
	                             &key, &local);
	if (text == NULL && g_error_matches(local, MESH_ERROR, MESH_ERROR_LOCKED)) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (text == NULL)
		goto damaged;
	list = mesh_json_parse((const char *)mesh_secret_get(text), mesh_secret_len(text),
	                       QUEUE_ENTRY_MAX, &local);
	if (list == NULL || !JSON_NODE_HOLDS_ARRAY(list)) {
		if (local == NULL)
			g_set_error(&local, MESH_ERROR, MESH_ERROR_MALFORMED, "not a list");
		goto damaged;
	}
	array = json_node_get_array(list);
	for (guint i = 0; i < json_array_get_length(array) && i < QUEUE_MAX; i++) {
		MeshSessionQueued *q = conflict_parse(json_array_get_element(array, i), &local);

		if (q == NULL)
			goto damaged;
		g_ptr_array_add(out, q);
	}
	*ret = g_steal_pointer(&out);
	return TRUE;
damaged:
	g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "%s/%s/%s is damaged (%s): remove it",
	            mesh_hive_location(ctx->session->hive), mesh_hive_folder_name(MESH_HIVE_OUTBOX),
	            name, local != NULL ? local->message : "not a record of conflicts");
	return FALSE;
}

/* ---- Status -------------------------------------------------------------------------------- */

gboolean
session_queue_touches(MeshSession *session, const char *account, const char *application)
{
	g_autoptr(GPtrArray) entries = NULL;

	/* An entry that does not read might: the flush reports it. */
	if (!queue_entries(session, account, &entries, NULL))
		return TRUE;
	for (guint i = 0; i < entries->len; i++) {
		if (g_strcmp0(((Entry *)entries->pdata[i])->application, application) == 0)
			return TRUE;
	}
	return FALSE;
}

gboolean
session_queue_pending(MeshSession *session, const char *account)
{
	g_autoptr(Account) a = NULL;
	g_autoptr(GPtrArray) entries = NULL;

	if (!account_read(session, account, &a, NULL))
		return FALSE;
	/* An entry that does not read counts: the flush reports it. */
	if (!queue_entries(session, a->account, &entries, NULL))
		return TRUE;
	return entries->len > 0;
}

void
session_queue_forget(MeshSession *session, const char *account)
{
	g_autoptr(GPtrArray) names = NULL;
	g_autofree char *conflicts = conflicts_name(account);

	if (queue_names(session, &names, NULL)) {
		for (guint i = 0; i < names->len; i++) {
			g_autoptr(Entry) e = entry_read(session, names->pdata[i], NULL);

			if (e != NULL && g_str_equal(e->account, account))
				mesh_hive_remove(session->hive, MESH_HIVE_OUTBOX, e->name, NULL);
		}
	}
	mesh_hive_remove(session->hive, MESH_HIVE_OUTBOX, conflicts, NULL);
}

gboolean
mesh_session_profile_status(MeshSession *session, const char *account, GPtrArray **ret_queued,
                            GPtrArray **ret_conflicts, GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(GPtrArray) entries = NULL;
	g_autoptr(GPtrArray) queued = queued_list();
	g_autoptr(GPtrArray) conflicts = NULL;

	if (!ctx_open(&ctx, session, account, FALSE, FALSE, error) ||
	    !queue_entries(session, ctx.account->account, &entries, error))
		return FALSE;
	for (guint i = 0; i < entries->len; i++) {
		g_autoptr(MeshSecjsonTree) change = entry_open(&ctx, entries->pdata[i], error);

		if (change == NULL)
			return FALSE;
		g_ptr_array_add(queued, entry_info(entries->pdata[i], change, NULL));
	}
	if (!conflicts_read(&ctx, &conflicts, error))
		return FALSE;
	*ret_queued = g_steal_pointer(&queued);
	*ret_conflicts = g_steal_pointer(&conflicts);
	return TRUE;
}

/* ---- Making a change ----------------------------------------------------------------------- */

/*
 * ctx_open for a verb that changes an application: the account's queued changes are flushed
 * first (a change on top of them must not be published before them); when the portal cannot
 * be reached for that, this one is queued too, without trying again.
 */
gboolean
ctx_open_change(Ctx *ctx, MeshSession *session, const char *account, GError **error)
{
	g_autoptr(GError) local = NULL;
	gboolean offline = FALSE;

	if (!session_flush_queue(session, account, NULL, &local)) {
		if (!portal_unreachable(local)) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		offline = TRUE;
	}
	if (!ctx_open(ctx, session, account, TRUE, TRUE, error))
		return FALSE;
	ctx->offline = offline;
	return TRUE;
}

/* For the verbs' ret_queued: the portal that could not be reached, or NULL. */
char *
ctx_queued_portal(Ctx *ctx)
{
	if (!ctx->queued)
		return NULL;
	return account_portal_url(ctx->account, NULL);
}

/* ---- Replay -------------------------------------------------------------------------------- */

static gboolean
text_equal(const MeshSecret *a, const MeshSecret *b)
{
	const char *ta = a != NULL ? (const char *)mesh_secret_get(a) : NULL;
	const char *tb = b != NULL ? (const char *)mesh_secret_get(b) : NULL;
	gsize la = ta != NULL ? strnlen(ta, mesh_secret_len(a)) : 0;
	gsize lb = tb != NULL ? strnlen(tb, mesh_secret_len(b)) : 0;

	if (ta == NULL || tb == NULL)
		return ta == tb;
	return la == lb && CRYPTO_memcmp(ta, tb, la) == 0;
}

/* A password change: the login set to Value (delete: taken away) on the portal's set. */
static gboolean
replay_password(Ctx *ctx, const Entry *e, JsonNode *change, const char **ret_conflict,
                GError **error)
{
	g_autoptr(MeshApplicationProfile) app = NULL;
	g_autoptr(MeshPasswordSet) set = NULL;
	g_autoptr(MeshSecret) value = change_secret(change, "Value");
	g_autoptr(MeshSecret) base = change_secret(change, "Base");
	const char *site = change_text(change, "Site");
	const char *user = change_text(change, "Username");
	const char *sites[] = {site, NULL};
	gboolean delete = g_str_equal(e->operation, QUEUE_PASSWORD_DELETE);
	MeshPasswordEntry *login;
	const MeshSecret *current;

	if (site == NULL || user == NULL || (!delete &&value == NULL)) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		            "%s/%s/%s: a password change without its login or password",
		            mesh_hive_location(ctx->session->hive),
		            mesh_hive_folder_name(MESH_HIVE_OUTBOX), e->name);
		return FALSE;
	}
	if (!ctx_passwords(ctx, &app, &set, error))
		return FALSE;
	login = mesh_password_set_login(set, site, user);
	current = login != NULL ? login->password : NULL;
	/* Published already (a flush stopped before it took the entry out), or nothing to take
	 * away: nothing changes. */
	if (delete ? current == NULL : text_equal(current, value))
		return TRUE;
	if (!text_equal(current, base))
		*ret_conflict = delete ? "Deleted" : current == NULL ? "Restored" : "Replaced";
	if (delete)
		mesh_password_set_remove(set, site, user);
	else if (!(login != NULL ? mesh_password_entry_set_password(login, value, error)
	                         : mesh_password_set_add(set, sites, user, value, error)))
		return FALSE;
	return ctx_save_passwords(ctx, app, set, error);
}

/* An application change on the portal's profile. */
static gboolean
replay_app(Ctx *ctx, const Entry *e, JsonNode *change, const char **ret_conflict, GError **error)
{
	g_autoptr(MeshSecret) value = change_secret(change, "Value");
	g_autoptr(MeshSecret) base = change_secret(change, "Base");
	g_autoptr(MeshSecret) empty = mesh_secret_new_from_data("{}", 3);
	g_autoptr(MeshSecret) wanted = NULL;
	g_autoptr(MeshSecret) current = NULL;
	g_autoptr(MeshApplicationProfile) app = NULL;
	const char *name = e->application;
	MeshApplicationEntry *found = find_app(ctx->personal, MESH_APPLICATION_GENERIC, name);

	if (g_str_equal(e->operation, QUEUE_APP_SET) && value == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED,
		            "%s/%s/%s: an application change without its data",
		            mesh_hive_location(ctx->session->hive),
		            mesh_hive_folder_name(MESH_HIVE_OUTBOX), e->name);
		return FALSE;
	}
	if (found == NULL) {
		/* Deleted (or never added) on the portal: a delete has nothing to do; an add
		 * adds it; a change puts it back, and says so. */
		if (g_str_equal(e->operation, QUEUE_APP_DELETE))
			return TRUE;
		if (g_str_equal(e->operation, QUEUE_APP_SET))
			*ret_conflict = "Restored";
		wanted = mesh_application_generic_text(name, value != NULL ? value : empty, error);
		return wanted != NULL &&
		       ctx_app_create(ctx, MESH_APPLICATION_GENERIC, name, wanted, NULL, error);
	}
	if (g_str_equal(e->operation, QUEUE_APP_ADD))
		return TRUE; /* added here and by another device: it is there */
	if (!ctx_load_app(ctx, found->identifier, &app, error))
		return FALSE;
	current = ctx_open_app(ctx, app, error);
	if (current == NULL)
		return FALSE;
	if (g_str_equal(e->operation, QUEUE_APP_DELETE)) {
		g_autofree char *identifier = g_strdup(found->identifier);

		/* Without a Base (the data did not open when it was queued), the serial tells. */
		if (base != NULL ? !text_equal(current, base) : app->serial > e->base_serial)
			*ret_conflict = "Deleted";
		return mesh_personal_profile_remove_application(ctx->personal, identifier, error) &&
		       mesh_personal_profile_touch(ctx->personal, error) &&
		       ctx_publish_personal(ctx, error);
	}
	wanted = mesh_application_generic_text(name, value, error);
	if (wanted == NULL)
		return FALSE;
	if (text_equal(current, wanted))
		return TRUE;
	if (!text_equal(current, base))
		*ret_conflict = "Replaced";
	return mesh_application_profile_touch(app, error) && ctx_save_app(ctx, app, wanted, error);
}

/* Store here what the flush published (Ctx.replay): the state of the portal after it. */
static gboolean
replay_store(Ctx *ctx, const MeshPersonalProfile *local, JsonNode *personal_node, GError **error)
{
	GHashTableIter iter;
	gpointer key, value;

	if (personal_node != NULL) {
		if (!store_personal(ctx->session, ctx->account, personal_node, ctx->personal,
		                    error))
			return FALSE;
		drop_apps(ctx->session, local, ctx->personal);
	}
	g_hash_table_iter_init(&iter, ctx->replay);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		g_autofree char *name = json_name(key);

		if (g_str_equal(key, ctx->personal->identifier) ||
		    mesh_personal_profile_application(ctx->personal, key) == NULL)
			continue;
		if (!write_json(ctx->session->hive, MESH_HIVE_APPLICATION_PROFILES, name, value,
		                error))
			return FALSE;
	}
	return TRUE;
}

gboolean
session_flush_queue(MeshSession *session, const char *account, MeshSessionFlush **ret_flush,
                    GError **error)
{
	g_auto(Ctx) ctx = {0};
	g_autoptr(Account) a = NULL;
	g_autoptr(GPtrArray) entries = NULL;
	g_autoptr(MeshSessionFlush) flush = g_new0(MeshSessionFlush, 1);
	g_autoptr(MeshPersonalProfile) local = NULL;
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(GError) failed = NULL;
	JsonNode *published;
	guint done = 0;

	flush->published = queued_list();
	flush->conflicts = queued_list();
	if (!account_read(session, account, &a, error) ||
	    !queue_entries(session, a->account, &entries, error))
		return FALSE;
	if (entries->len > 0) {
		if (!ctx_open(&ctx, session, a->account, TRUE, TRUE, error))
			return FALSE;
		/* The portal's profile, as a sync checks it; the changes go on top of it. */
		local = g_steal_pointer(&ctx.personal);
		ctx.personal = portal_get_personal(ctx.client, a->account, &node, error);
		if (ctx.personal == NULL || !check_portal_profile(ctx.account, ctx.personal, error))
			return FALSE;
		ctx.replay = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		                                   (GDestroyNotify)json_node_unref);
	}
	for (; done < entries->len; done++) {
		const Entry *e = entries->pdata[done];
		g_autoptr(MeshSecjsonTree) change = entry_open(&ctx, e, &failed);
		const char *conflict = NULL;
		gboolean ok;

		if (change == NULL)
			break;
		ok = g_str_has_prefix(e->operation, "Password")
		             ? replay_password(&ctx, e, change, &conflict, &failed)
		             : replay_app(&ctx, e, change, &conflict, &failed);
		/* Published: only now does the entry go. */
		if (!ok || !mesh_hive_remove(session->hive, MESH_HIVE_OUTBOX, e->name, &failed))
			break;
		g_ptr_array_add(flush->published, entry_info(e, change, NULL));
		if (conflict != NULL)
			g_ptr_array_add(flush->conflicts, entry_info(e, change, conflict));
	}
	if (done > 0 && failed == NULL) {
		published = g_hash_table_lookup(ctx.replay, ctx.personal->identifier);
		if (!replay_store(&ctx, local, published, &failed))
			g_prefix_error(&failed, "the queued changes were published, but not stored "
			                        "here (run 'mesh profile sync'): ");
	}
	/* The conflicts are kept, even of a flush that stopped half-way: they happened. */
	if (done > 0 && failed == NULL && !conflicts_write(&ctx, flush->conflicts, &failed))
		g_prefix_error(&failed, "the queued changes were published: ");
	else if (done > 0 && failed != NULL)
		(void)conflicts_write(&ctx, flush->conflicts, NULL);
	if (failed != NULL) {
		g_propagate_error(error, g_steal_pointer(&failed));
		return FALSE;
	}
	if (ret_flush != NULL)
		*ret_flush = g_steal_pointer(&flush);
	return TRUE;
}

gboolean
mesh_session_profile_sync_flush(MeshSession *session, const char *account,
                                MeshSessionProfile **ret_profile, MeshSessionFlush **ret_flush,
                                GError **error)
{
	g_autoptr(MeshSessionFlush) flush = NULL;

	if (!session_flush_queue(session, account, &flush, error) ||
	    !mesh_session_profile_sync(session, account, ret_profile, error))
		return FALSE;
	if (ret_flush != NULL)
		*ret_flush = g_steal_pointer(&flush);
	return TRUE;
}
