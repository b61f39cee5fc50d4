/* SPDX-License-Identifier: MIT */
#include "ssh-agent.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

#include "error.h"
#include "key.h"
#include "platform.h"
#include "secret.h"
#include "spawn.h"
#include "sshbuf.h"
#include "sshkey.h"

/* How long an askpass program may take to answer before the use is refused. */
#define CONFIRM_TIMEOUT_SECONDS 60
/* The LOCK passphrase is kept as PBKDF2-HMAC-SHA-256 of it under a random salt. */
#define LOCK_SALT_LEN   16
#define LOCK_HASH_LEN   32
#define LOCK_ITERATIONS 10000

/* Sign request flags (RFC 9987 §5.3.1): the RSA ones are meaningless for our keys and ignored;
 * any other bit is refused. */
#define SIGN_FLAGS_KNOWN (0x02u | 0x04u)

/* The extensions answered; every other is refused. */
static const char *const extensions[] = { "query", NULL };

typedef enum {
	SOURCE_MESH,   /* this hive's Mesh SSH key (mesh ssh create), from the key store */
	SOURCE_MEMORY, /* added with ssh-add: in memory only */
} Source;

typedef struct {
	char *udf;
	MeshKey *public;
	GBytes *blob; /* the SSH public key blob */
	char *comment;
	Source source;
	gboolean confirm;
	gint64 expires;     /* mesh_platform_boottime() µs; 0: none */
	MeshKey *priv;      /* memory keys, and the cached export of a software store's key */
	gboolean no_export; /* the store cannot export it (a TPM): it signs there */
} Identity;

struct MeshSshAgent {
	MeshHive *hive;
	MeshKeyStore *store;
	GMutex *state_lock;
	MeshSshAgentKeysFunc mesh_keys; /* NULL: only keys added with ssh-add are served */
	gpointer mesh_keys_data;
	char *askpass;
	const MeshSshAgentGuard *guard; /* NULL: every key for every caller */
	gpointer guard_data;
	MeshPassGate *gate; /* every UNLOCK passes it before its passphrase is hashed */
	/*
	 * @lock guards the members below. It is a leaf: nothing else is locked while it is held,
	 * except that the state lock may be held when it is taken (never the other way round).
	 */
	GMutex lock;
	GPtrArray *ids;      /* Identity *, in the order served */
	GHashTable *hidden;  /* UDFs of Mesh keys removed with ssh-add -d/-D (until restart) */
	gboolean locked;
	guint8 lock_salt[LOCK_SALT_LEN];
	guint8 lock_hash[LOCK_HASH_LEN];
};

/* What a request reads from the table, used after its lock is released. */
typedef struct {
	char *udf;
	MeshKey *public;
	MeshKey *priv;
	gboolean no_export;
	gboolean confirm;
	char *comment;
	Source source;
} Snapshot;

static void
snapshot_clear(Snapshot *s)
{
	g_free(s->udf);
	mesh_key_unref(s->public);
	mesh_key_unref(s->priv);
	g_free(s->comment);
	memset(s, 0, sizeof *s);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Snapshot, snapshot_clear)

static void
identity_free(Identity *id)
{
	if (id == NULL)
		return;
	g_free(id->udf);
	mesh_key_unref(id->public);
	g_bytes_unref(id->blob);
	g_free(id->comment);
	mesh_key_unref(id->priv);
	g_free(id);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Identity, identity_free)

/* ---- Life ------------------------------------------------------------------------------------ */

MeshSshAgent *
mesh_ssh_agent_new(MeshHive *hive, MeshKeyStore *store, GMutex *state_lock)
{
	MeshSshAgent *agent = g_new0(MeshSshAgent, 1);

	agent->hive = hive;
	agent->store = store;
	agent->state_lock = state_lock;
	g_mutex_init(&agent->lock);
	agent->ids = g_ptr_array_new_with_free_func((GDestroyNotify)identity_free);
	agent->hidden = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	agent->gate = mesh_pass_gate_new();
	return agent;
}

void
mesh_ssh_agent_mesh_key_free(MeshSshAgentMeshKey *key)
{
	if (key == NULL)
		return;
	g_free(key->label);
	g_free(key->udf);
	g_free(key->public_line);
	g_free(key);
}

void
mesh_ssh_agent_set_mesh_keys(MeshSshAgent *agent, MeshSshAgentKeysFunc func, gpointer data)
{
	agent->mesh_keys = func;
	agent->mesh_keys_data = data;
}

void
mesh_ssh_agent_free(MeshSshAgent *agent)
{
	if (agent == NULL)
		return;
	g_ptr_array_unref(agent->ids);
	g_hash_table_unref(agent->hidden);
	OPENSSL_cleanse(agent->lock_hash, sizeof agent->lock_hash);
	mesh_pass_gate_unref(agent->gate);
	g_mutex_clear(&agent->lock);
	g_free(agent->askpass);
	g_free(agent);
}

void
mesh_ssh_agent_set_askpass(MeshSshAgent *agent, const char *program)
{
	g_free(agent->askpass);
	agent->askpass = program != NULL && *program != '\0' ? g_strdup(program) : NULL;
}

void
mesh_ssh_agent_set_guard(MeshSshAgent *agent, const MeshSshAgentGuard *guard, gpointer data)
{
	agent->guard = guard;
	agent->guard_data = data;
}

void
mesh_ssh_agent_set_gate(MeshSshAgent *agent, MeshPassGate *gate)
{
	g_return_if_fail(gate != NULL);
	mesh_pass_gate_ref(gate);
	mesh_pass_gate_unref(agent->gate);
	agent->gate = gate;
}

char *
mesh_ssh_agent_socket_path(MeshHiveKind kind, const char *agent_socket)
{
	const char *env = g_getenv("MESH_SSH_AGENT_SOCK");

	if (env != NULL && *env != '\0')
		return g_strdup(env);
	return mesh_platform_ssh_agent_address(kind, agent_socket);
}

/* ---- The identity table ------------------------------------------------------------------- */

static Identity *
identity_new(const MeshKey *public, const char *comment, Source source, GError **error)
{
	g_autoptr(Identity) id = g_new0(Identity, 1);

	id->blob = mesh_ssh_public_blob(public, error);
	if (id->blob == NULL)
		return NULL;
	id->udf = g_strdup(mesh_key_udf(public));
	id->public = mesh_key_get_public(public, error);
	if (id->public == NULL)
		return NULL;
	id->comment = g_strdup(comment != NULL ? comment : "");
	id->source = source;
	return g_steal_pointer(&id);
}

/* In @ids (the table's, with @agent->lock held). */
static Identity *
find_udf(GPtrArray *ids, const char *udf, guint *ret_index)
{
	for (guint i = 0; i < ids->len; i++) {
		Identity *id = g_ptr_array_index(ids, i);

		if (g_str_equal(id->udf, udf)) {
			if (ret_index != NULL)
				*ret_index = i;
			return id;
		}
	}
	return NULL;
}

/* With @agent->lock held. */
static Identity *
find_blob(MeshSshAgent *agent, const guint8 *blob, gsize len, guint *ret_index)
{
	for (guint i = 0; i < agent->ids->len; i++) {
		Identity *id = g_ptr_array_index(agent->ids, i);
		gsize n = 0;
		const guint8 *b = g_bytes_get_data(id->blob, &n);

		if (n == len && memcmp(b, blob, len) == 0) {
			if (ret_index != NULL)
				*ret_index = i;
			return id;
		}
	}
	return NULL;
}

/* With @agent->lock held: drop the keys whose lifetime has ended. */
static gint64
expire_locked(MeshSshAgent *agent)
{
	gint64 now = mesh_platform_boottime(), next = -1;

	for (guint i = agent->ids->len; i-- > 0;) {
		Identity *id = g_ptr_array_index(agent->ids, i);

		if (id->expires == 0)
			continue;
		if (id->expires <= now) {
			g_debug("ssh-agent: the lifetime of %s has ended", id->udf);
			g_ptr_array_remove_index(agent->ids, i);
		} else if (next < 0 || id->expires - now < next) {
			next = id->expires - now;
		}
	}
	return next < 0 ? -1 : MIN((next + 999) / 1000, MESH_PLATFORM_SLEEP_CHECK_MS);
}

gint64
mesh_ssh_agent_expire(MeshSshAgent *agent)
{
	gint64 next;

	g_mutex_lock(&agent->lock);
	next = expire_locked(agent);
	g_mutex_unlock(&agent->lock);
	return next;
}

/*
 * The Mesh SSH keys this hive lists (mesh ssh create). Keys that cannot be used are left out and
 * logged, so that one damaged entry does not take every key away. Takes the state lock.
 */
static GPtrArray *
read_hive_identities(MeshSshAgent *agent)
{
	GPtrArray *found = g_ptr_array_new_with_free_func((GDestroyNotify)identity_free);
	g_autoptr(GPtrArray) mesh = NULL;
	g_autoptr(GError) error = NULL;

	if (agent->mesh_keys == NULL)
		return found;
	g_mutex_lock(agent->state_lock);
	if (!agent->mesh_keys(agent->mesh_keys_data, agent->hive, &mesh, &error)) {
		g_debug("ssh-agent: the Mesh SSH keys cannot be read: %s", error->message);
		g_clear_error(&error);
	}
	g_mutex_unlock(agent->state_lock);
	for (guint i = 0; mesh != NULL && i < mesh->len; i++) {
		const MeshSshAgentMeshKey *k = g_ptr_array_index(mesh, i);
		g_autofree char *comment = NULL;
		g_autoptr(MeshKey) public = mesh_ssh_public_file_line_decode(
		        k->public_line, strlen(k->public_line), &comment, &error);
		Identity *id = NULL;

		if (public != NULL && !mesh_key_udf_matches(public, k->udf))
			g_set_error(&error, MESH_ERROR, MESH_ERROR_MALFORMED,
				    "its public key is not the key %s", k->udf);
		else if (public != NULL)
			id = identity_new(public, comment, SOURCE_MESH, &error);
		if (id == NULL) {
			g_debug("ssh-agent: the SSH key of %s is not served: %s", k->label,
				error->message);
			g_clear_error(&error);
			continue;
		}
		g_ptr_array_add(found, id);
	}
	return found;
}

/*
 * Bring the table in line with the hive: Mesh keys as the hive lists them (an identity already
 * in the table keeps its cached key), added keys as they are. A Mesh key hidden by ssh-add -d
 * stays hidden.
 */
static void
reload(MeshSshAgent *agent)
{
	g_autoptr(GPtrArray) found = read_hive_identities(agent);
	GPtrArray *ids = g_ptr_array_new_with_free_func((GDestroyNotify)identity_free);

	g_mutex_lock(&agent->lock);
	for (guint i = 0; i < found->len; i++) {
		Identity *id = g_ptr_array_index(found, i);
		Identity *old = find_udf(agent->ids, id->udf, NULL);

		if ((id->source == SOURCE_MESH && g_hash_table_contains(agent->hidden, id->udf)) ||
		    find_udf(ids, id->udf, NULL))
			continue;
		if (old != NULL && old->source == id->source) {
			id->priv = g_steal_pointer(&old->priv);
			id->no_export = old->no_export;
		}
		g_ptr_array_add(ids, found->pdata[i]);
		found->pdata[i] = NULL;
	}
	for (guint i = 0; i < agent->ids->len; i++) {
		Identity *id = g_ptr_array_index(agent->ids, i);

		if (id->source == SOURCE_MEMORY && !find_udf(ids, id->udf, NULL)) {
			g_ptr_array_add(ids, id);
			agent->ids->pdata[i] = NULL;
		}
	}
	g_ptr_array_unref(agent->ids);
	agent->ids = ids;
	g_mutex_unlock(&agent->lock);
}

/* ---- Answers ------------------------------------------------------------------------------ */

static GBytes *
answer_code(guint8 code)
{
	return g_bytes_new(&code, 1);
}

static GBytes *
failure(const char *what, GError *error)
{
	g_debug("ssh-agent: %s refused: %s", what, error != NULL ? error->message : "");
	if (error != NULL)
		g_error_free(error);
	return answer_code(MESH_SSH_AGENT_FAILURE);
}

/* An answer built in a buffer of @cap bytes, which the caller has sized to fit. */
typedef struct {
	guint8 *buf;
	MeshSshWriter w;
} Answer;

static void
answer_init(Answer *a, gsize cap)
{
	a->buf = g_malloc(cap);
	mesh_sshbuf_writer_init(&a->w, a->buf, cap);
}

static GBytes *
answer_finish(Answer *a)
{
	return g_bytes_new_take(a->buf, a->w.len);
}

/* ---- Requests ----------------------------------------------------------------------------- */

static GBytes *
request_identities(MeshSshAgent *agent, MeshCaller *caller, MeshSshReader *r)
{
	GError *error = NULL;
	g_autoptr(GPtrArray) offered = g_ptr_array_new_with_free_func((GDestroyNotify)identity_free);
	Answer a;
	gsize cap = 5;

	if (!mesh_sshbuf_expect_end(r, &error))
		return failure("REQUEST_IDENTITIES", error);
	reload(agent);
	/* Copies of what is served, so that the guard is asked without the table's lock. */
	g_mutex_lock(&agent->lock);
	expire_locked(agent);
	for (guint i = 0; !agent->locked && i < agent->ids->len; i++) {
		const Identity *id = g_ptr_array_index(agent->ids, i);
		Identity *copy = g_new0(Identity, 1);

		copy->udf = g_strdup(id->udf);
		copy->blob = g_bytes_ref(id->blob);
		copy->comment = g_strdup(id->comment);
		g_ptr_array_add(offered, copy);
	}
	g_mutex_unlock(&agent->lock);
	for (guint i = offered->len; agent->guard != NULL && i-- > 0;) {
		const Identity *id = g_ptr_array_index(offered, i);

		if (!agent->guard->offer(agent->guard_data, caller, id->udf))
			g_ptr_array_remove_index(offered, i);
	}
	for (guint i = 0; i < offered->len; i++) {
		const Identity *id = g_ptr_array_index(offered, i);

		cap += 8 + g_bytes_get_size(id->blob) + strlen(id->comment);
	}
	answer_init(&a, cap);
	/* The buffer was sized for exactly these writes: none can fail. */
	mesh_sshbuf_put_u8(&a.w, MESH_SSH_AGENT_IDENTITIES_ANSWER, NULL);
	mesh_sshbuf_put_u32(&a.w, offered->len, NULL);
	for (guint i = 0; i < offered->len; i++) {
		const Identity *id = g_ptr_array_index(offered, i);
		gsize len = 0;
		const guint8 *blob = g_bytes_get_data(id->blob, &len);

		mesh_sshbuf_put_string(&a.w, blob, len, NULL);
		mesh_sshbuf_put_cstring(&a.w, id->comment, NULL);
	}
	return answer_finish(&a);
}

/* "SHA256:<base64>" of a key blob, as ssh-keygen -l shows it. */
static char *
fingerprint(GBytes *blob)
{
	guint8 md[32];
	unsigned int md_len = 0;
	g_autofree char *b64 = NULL;
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(blob, &len);
	char *end;

	if (!EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL))
		return g_strdup("SHA256:?");
	b64 = g_base64_encode(md, md_len);
	end = strchr(b64, '=');
	if (end != NULL)
		*end = '\0';
	return g_strconcat("SHA256:", b64, NULL);
}

/*
 * Ask the askpass program whether the key may be used: it is run with SSH_ASKPASS_PROMPT=confirm
 * (as OpenSSH's ssh-agent does) and the question as its argument; exit status 0 is yes. No answer
 * within CONFIRM_TIMEOUT_SECONDS is no. Runs on the connection's own thread.
 */
static gboolean
confirm_use(MeshSshAgent *agent, const Snapshot *s, GBytes *blob)
{
	g_autofree char *fp = fingerprint(blob);
	g_autofree char *question = g_strdup_printf(
		"Allow use of the key %s?\nKey fingerprint %s.", s->comment, fp);
	g_auto(GStrv) env = g_environ_setenv(g_get_environ(), "SSH_ASKPASS_PROMPT", "confirm", TRUE);
	const char *argv[] = { agent->askpass, question, NULL };
	g_autoptr(GError) error = NULL;
	g_autoptr(MeshSpawn) child = NULL;

	if (agent->askpass == NULL)
		return FALSE;
	child = mesh_spawn_new(argv, (const char *const *)env, &error);
	if (child == NULL) {
		g_debug("ssh-agent: cannot run the askpass program: %s", error->message);
		return FALSE;
	}
	if (!mesh_spawn_wait(child, CONFIRM_TIMEOUT_SECONDS * G_USEC_PER_SEC)) {
		mesh_spawn_kill(child);
		g_debug("ssh-agent: the askpass program did not answer in time");
		return FALSE;
	}
	return mesh_spawn_succeeded(child);
}

/*
 * Sign with @s's key: the key in memory when there is one; else the key's store is asked to
 * export it once (kept for the next signatures, until the store or this agent locks); a store
 * that cannot export (a TPM) signs itself.
 */
static GBytes *
sign_with(MeshSshAgent *agent, Snapshot *s, const guint8 *data, gsize len, GError **error)
{
	g_autoptr(MeshKey) exported = NULL;
	g_autoptr(GError) local = NULL;
	GBytes *sig = NULL;

	if (s->priv != NULL)
		return mesh_key_sign(s->priv, data, len, error);
	g_mutex_lock(agent->state_lock);
	if (!s->no_export &&
	    mesh_keystore_export_private(agent->store, s->udf, &exported, &local)) {
		Identity *id;

		g_mutex_lock(&agent->lock);
		id = find_udf(agent->ids, s->udf, NULL);
		if (id != NULL && !agent->locked && id->priv == NULL)
			id->priv = mesh_key_ref(exported);
		g_mutex_unlock(&agent->lock);
		g_mutex_unlock(agent->state_lock);
		return mesh_key_sign(exported, data, len, error);
	}
	if (local != NULL && g_error_matches(local, MESH_ERROR, MESH_ERROR_UNSUPPORTED)) {
		Identity *id;

		g_mutex_lock(&agent->lock);
		id = find_udf(agent->ids, s->udf, NULL);
		if (id != NULL)
			id->no_export = TRUE;
		g_mutex_unlock(&agent->lock);
	}
	if (!mesh_keystore_sign(agent->store, s->udf, data, len, &sig, error))
		sig = NULL;
	g_mutex_unlock(agent->state_lock);
	return sig;
}

/* A SIGN_RESPONSE: the SSH signature blob of @sig, made by @key. */
static GBytes *
signature_answer(const MeshKey *key, GBytes *sig, GError **error)
{
	Answer a;

	answer_init(&a, 1 + 4 + MESH_SSH_SIGNATURE_MAX);
	if (!mesh_sshbuf_put_u8(&a.w, MESH_SSH_AGENT_SIGN_RESPONSE, error) ||
	    !mesh_ssh_put_signature(&a.w, key, sig, error)) {
		g_free(a.buf);
		return NULL;
	}
	return answer_finish(&a);
}

/* Copy what a request needs of the identity whose blob is @blob; a miss reloads the table from
 * the hive once (a key made by `mesh ssh create` since). */
static gboolean
snapshot_of(MeshSshAgent *agent, const guint8 *blob, gsize len, Snapshot *s, GError **error)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		Identity *id;

		g_mutex_lock(&agent->lock);
		expire_locked(agent);
		if (agent->locked) {
			g_mutex_unlock(&agent->lock);
			g_set_error(error, MESH_ERROR, MESH_ERROR_LOCKED, "the agent is locked");
			return FALSE;
		}
		id = find_blob(agent, blob, len, NULL);
		if (id != NULL) {
			s->udf = g_strdup(id->udf);
			s->public = mesh_key_ref(id->public);
			s->priv = id->priv != NULL ? mesh_key_ref(id->priv) : NULL;
			s->no_export = id->no_export;
			s->confirm = id->confirm;
			s->comment = g_strdup(id->comment);
			s->source = id->source;
		}
		g_mutex_unlock(&agent->lock);
		if (id != NULL)
			return TRUE;
		if (attempt == 0)
			reload(agent);
	}
	g_set_error(error, MESH_ERROR, MESH_ERROR_NOT_FOUND, "no such identity");
	return FALSE;
}

static GBytes *
sign_request(MeshSshAgent *agent, MeshCaller *caller, MeshSshReader *r,
             MeshPassGateWanted still_there, gpointer still_data)
{
	const char *decision = NULL;
	const guint8 *blob = NULL, *data = NULL;
	gsize blob_len = 0, data_len = 0;
	guint32 flags = 0;
	g_auto(Snapshot) s = { 0 };
	g_autoptr(GBytes) sig = NULL;
	g_autoptr(GBytes) blob_bytes = NULL;
	GBytes *answer;
	GError *error = NULL;

	if (!mesh_sshbuf_get_string(r, &blob, &blob_len, &error) ||
	    !mesh_sshbuf_get_string(r, &data, &data_len, &error) ||
	    !mesh_sshbuf_get_u32(r, &flags, &error) || !mesh_sshbuf_expect_end(r, &error))
		return failure("SIGN_REQUEST", error);
	if ((flags & ~SIGN_FLAGS_KNOWN) != 0)
		return failure("SIGN_REQUEST", g_error_new(MESH_ERROR, MESH_ERROR_UNSUPPORTED,
							   "unknown flags 0x%x", flags));
	if (!snapshot_of(agent, blob, blob_len, &s, &error))
		return failure("SIGN_REQUEST", error);
	blob_bytes = g_bytes_new(blob, blob_len);
	if (s.confirm && !confirm_use(agent, &s, blob_bytes))
		return failure("SIGN_REQUEST", g_error_new(MESH_ERROR, MESH_ERROR_PERMISSION,
							   "the use of %s was not confirmed",
							   s.udf));
	if (agent->guard != NULL &&
	    !agent->guard->use(agent->guard_data, caller, s.udf, s.comment, still_there,
	                       still_data, &decision, &error))
		return failure("SIGN_REQUEST", error);
	sig = sign_with(agent, &s, data, data_len, &error);
	answer = sig != NULL ? signature_answer(s.public, sig, &error) : NULL;
	if (agent->guard != NULL)
		agent->guard->used(agent->guard_data, caller, s.udf, decision, error);
	return answer != NULL ? answer : failure("SIGN_REQUEST", error);
}

/* Constraints (RFC 9987 §5.2.7): a lifetime and confirm, once each; anything else refuses the
 * whole request. */
static gboolean
read_constraints(MeshSshAgent *agent, MeshSshReader *r, guint32 *ret_lifetime,
		 gboolean *ret_confirm, GError **error)
{
	gboolean have_lifetime = FALSE;

	*ret_lifetime = 0;
	*ret_confirm = FALSE;
	while (mesh_sshbuf_remaining(r) > 0) {
		const guint8 *type = NULL, *name = NULL;
		gsize name_len = 0;

		if (!mesh_sshbuf_get_bytes(r, 1, &type, error))
			return FALSE;
		switch (*type) {
		case MESH_SSH_AGENT_CONSTRAIN_LIFETIME:
			if (have_lifetime || !mesh_sshbuf_get_u32(r, ret_lifetime, error))
				goto bad;
			if (*ret_lifetime == 0 || *ret_lifetime > MESH_SSH_AGENT_LIFETIME_MAX) {
				g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
					    "a lifetime of %u s (1 to %d)", *ret_lifetime,
					    MESH_SSH_AGENT_LIFETIME_MAX);
				return FALSE;
			}
			have_lifetime = TRUE;
			break;
		case MESH_SSH_AGENT_CONSTRAIN_CONFIRM:
			if (*ret_confirm)
				goto bad;
			if (agent->askpass == NULL) {
				g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
					    "the confirm constraint needs an askpass program: start "
					    "meshagent with SSH_ASKPASS set");
				return FALSE;
			}
			*ret_confirm = TRUE;
			break;
		case MESH_SSH_AGENT_CONSTRAIN_EXTENSION:
			if (!mesh_sshbuf_get_string(r, &name, &name_len, error))
				return FALSE;
			g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
				    "unknown constraint extension '%.*s'", (int)MIN(name_len, 64),
				    (const char *)name);
			return FALSE;
		default:
			g_set_error(error, MESH_ERROR, MESH_ERROR_UNSUPPORTED,
				    "unknown constraint %u", *type);
			return FALSE;
		}
	}
	return TRUE;
bad:
	if (error != NULL && *error == NULL)
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "a constraint given twice");
	return FALSE;
}

/*
 * Keep an added key, in memory only (secure heap), as stock ssh-agent does: nothing is written,
 * so a key that came protected by a passphrase is never stored less protected than it came, and
 * the key is gone after ssh-add -d/-D, its lifetime or the agent's end. Putting a key into a key
 * store is `mesh key import`.
 */
static GBytes *
add_identity(MeshSshAgent *agent, MeshSshReader *r, gboolean constrained)
{
	g_autoptr(MeshKey) key = NULL;
	g_autofree char *comment = NULL;
	g_autoptr(Identity) id = NULL;
	guint32 lifetime = 0;
	gboolean confirm = FALSE;
	GError *error = NULL;
	Identity *old;
	guint at = 0;

	key = mesh_ssh_get_private(r, &comment, &error);
	if (key == NULL ||
	    (constrained && !read_constraints(agent, r, &lifetime, &confirm, &error)) ||
	    (!constrained && !mesh_sshbuf_expect_end(r, &error)))
		return failure("ADD_IDENTITY", error);
	id = identity_new(key, comment, SOURCE_MEMORY, &error);
	if (id == NULL)
		return failure("ADD_IDENTITY", error);
	id->confirm = confirm;
	id->priv = mesh_key_ref(key);
	if (lifetime > 0)
		id->expires = mesh_platform_boottime() + (gint64)lifetime * G_USEC_PER_SEC;

	g_mutex_lock(&agent->lock);
	old = find_udf(agent->ids, id->udf, &at);
	if (agent->locked || (old == NULL && agent->ids->len >= MESH_SSH_AGENT_IDENTITIES_MAX) ||
	    (old != NULL && old->source == SOURCE_MESH)) {
		g_mutex_unlock(&agent->lock);
		return failure("ADD_IDENTITY",
			       g_error_new(MESH_ERROR, MESH_ERROR_PERMISSION,
					   agent->locked ? "the agent is locked"
					   : old != NULL ? "the key is this device's Mesh SSH key"
							 : "too many identities"));
	}
	/* Adding a key again replaces its constraints, as with stock ssh-agent. */
	if (old != NULL)
		g_ptr_array_remove_index(agent->ids, at);
	g_ptr_array_add(agent->ids, g_steal_pointer(&id));
	g_mutex_unlock(&agent->lock);
	return answer_code(MESH_SSH_AGENT_SUCCESS);
}

/* Take @ids[@at] out of the table (with the lock held), hiding it when it is a Mesh key (it
 * stays in the key store and the profile). */
static Identity *
take_identity(MeshSshAgent *agent, guint at)
{
	Identity *id = g_ptr_array_steal_index(agent->ids, at);

	if (id->source == SOURCE_MESH)
		g_hash_table_add(agent->hidden, g_strdup(id->udf));
	return id;
}

static GBytes *
remove_identity(MeshSshAgent *agent, MeshSshReader *r)
{
	const guint8 *blob = NULL;
	gsize len = 0;
	g_autoptr(Identity) id = NULL;
	GError *error = NULL;
	guint at = 0;

	if (!mesh_sshbuf_get_string(r, &blob, &len, &error) || !mesh_sshbuf_expect_end(r, &error))
		return failure("REMOVE_IDENTITY", error);
	reload(agent);
	g_mutex_lock(&agent->lock);
	if (!agent->locked && find_blob(agent, blob, len, &at) != NULL)
		id = take_identity(agent, at);
	g_mutex_unlock(&agent->lock);
	if (id == NULL)
		return failure("REMOVE_IDENTITY", g_error_new(MESH_ERROR, MESH_ERROR_NOT_FOUND,
							      "no such identity"));
	return answer_code(MESH_SSH_AGENT_SUCCESS);
}

static GBytes *
remove_all(MeshSshAgent *agent, MeshSshReader *r)
{
	g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func((GDestroyNotify)identity_free);
	GError *error = NULL;

	if (!mesh_sshbuf_expect_end(r, &error))
		return failure("REMOVE_ALL_IDENTITIES", error);
	reload(agent);
	g_mutex_lock(&agent->lock);
	if (agent->locked) {
		g_mutex_unlock(&agent->lock);
		return failure("REMOVE_ALL_IDENTITIES",
			       g_error_new(MESH_ERROR, MESH_ERROR_LOCKED, "the agent is locked"));
	}
	while (agent->ids->len > 0)
		g_ptr_array_add(gone, take_identity(agent, agent->ids->len - 1));
	g_mutex_unlock(&agent->lock);
	return answer_code(MESH_SSH_AGENT_SUCCESS);
}

static void
lock_hash(const guint8 salt[LOCK_SALT_LEN], const guint8 *pass, gsize len,
	  guint8 out[LOCK_HASH_LEN])
{
	if (!PKCS5_PBKDF2_HMAC((const char *)pass, (int)len, salt, LOCK_SALT_LEN, LOCK_ITERATIONS,
			       EVP_sha256(), LOCK_HASH_LEN, out))
		RAND_bytes(out, LOCK_HASH_LEN); /* matches nothing */
}

/* With @agent->lock held: wipe the keys the stores will give again (memory keys cannot be). */
static void
drop_cached_keys(MeshSshAgent *agent)
{
	for (guint i = 0; i < agent->ids->len; i++) {
		Identity *id = g_ptr_array_index(agent->ids, i);

		if (id->source != SOURCE_MEMORY)
			g_clear_pointer(&id->priv, mesh_key_unref);
	}
}

void
mesh_ssh_agent_forget_keys(gpointer data)
{
	MeshSshAgent *agent = data;

	g_mutex_lock(&agent->lock);
	drop_cached_keys(agent);
	g_mutex_unlock(&agent->lock);
}

static GBytes *
lock_agent(MeshSshAgent *agent, MeshSshReader *r)
{
	const guint8 *pass = NULL;
	gsize len = 0;
	GError *error = NULL;
	gboolean ok = FALSE;

	if (!mesh_sshbuf_get_string(r, &pass, &len, &error) || !mesh_sshbuf_expect_end(r, &error))
		return failure("LOCK", error);
	g_mutex_lock(&agent->lock);
	if (!agent->locked && RAND_bytes(agent->lock_salt, LOCK_SALT_LEN) == 1) {
		lock_hash(agent->lock_salt, pass, len, agent->lock_hash);
		agent->locked = TRUE;
		drop_cached_keys(agent);
		ok = TRUE;
	}
	g_mutex_unlock(&agent->lock);
	if (!ok)
		return failure("LOCK", g_error_new(MESH_ERROR, MESH_ERROR_BAD_PASSPHRASE,
						   "the agent is locked already"));
	return answer_code(MESH_SSH_AGENT_SUCCESS);
}

/*
 * UNLOCK: the passphrase is checked behind the agent's passphrase gate (core/passgate.h), which
 * every passphrase check of the agent shares: it waits there, on this connection's thread, before
 * it is hashed.
 */
static GBytes *
unlock_agent(MeshSshAgent *agent, MeshSshReader *r, MeshPassGateWanted still_there,
	     gpointer data)
{
	const guint8 *pass = NULL;
	gsize len = 0;
	guint8 salt[LOCK_SALT_LEN], hash[LOCK_HASH_LEN];
	GError *error = NULL;
	gboolean locked, ok = FALSE;

	if (!mesh_sshbuf_get_string(r, &pass, &len, &error) || !mesh_sshbuf_expect_end(r, &error))
		return failure("UNLOCK", error);
	g_mutex_lock(&agent->lock);
	locked = agent->locked;
	g_mutex_unlock(&agent->lock);
	/* Nothing to check when the agent is not locked: no passphrase is compared, so nothing
	 * can be learnt and the gate is not needed. */
	if (!locked)
		return failure("UNLOCK", g_error_new(MESH_ERROR, MESH_ERROR_BAD_PASSPHRASE,
						     "the agent is not locked"));
	if (!mesh_pass_gate_enter(agent->gate, still_there, data))
		return failure("UNLOCK", g_error_new(MESH_ERROR, MESH_ERROR_CANCELLED,
						     "the agent is stopping, or the client left"));
	g_mutex_lock(&agent->lock);
	locked = agent->locked;
	memcpy(salt, agent->lock_salt, sizeof salt);
	g_mutex_unlock(&agent->lock);
	if (locked) {
		/* Hashed outside the table's lock: other connections go on being answered. */
		lock_hash(salt, pass, len, hash);
		g_mutex_lock(&agent->lock);
		ok = agent->locked && memcmp(salt, agent->lock_salt, sizeof salt) == 0 &&
		     CRYPTO_memcmp(hash, agent->lock_hash, LOCK_HASH_LEN) == 0;
		if (ok) {
			agent->locked = FALSE;
			OPENSSL_cleanse(agent->lock_hash, sizeof agent->lock_hash);
		}
		g_mutex_unlock(&agent->lock);
		OPENSSL_cleanse(hash, sizeof hash);
	}
	/* Unlocked by another connection meanwhile: that passphrase was right, this one is not
	 * judged. */
	mesh_pass_gate_leave(agent->gate, ok       ? MESH_PASS_GATE_RIGHT
					  : locked ? MESH_PASS_GATE_WRONG
						   : MESH_PASS_GATE_UNDECIDED);
	if (!ok)
		return failure("UNLOCK", g_error_new(MESH_ERROR, MESH_ERROR_BAD_PASSPHRASE,
						     locked ? "a wrong passphrase"
							    : "the agent is not locked"));
	return answer_code(MESH_SSH_AGENT_SUCCESS);
}

/* SSH_AGENTC_EXTENSION: "query" lists the extensions answered (RFC 9987 §5.8.1); every other
 * extension is refused. */
static GBytes *
extension(MeshSshAgent *agent, MeshSshReader *r)
{
	const guint8 *name = NULL;
	gsize len = 0, cap = 1 + 4 + strlen("query");
	GError *error = NULL;
	gboolean locked;
	Answer a;

	/* As OpenSSH's agent: while locked, nothing but UNLOCK (and an empty identity list) is
	 * answered, not even what the agent can do. */
	g_mutex_lock(&agent->lock);
	locked = agent->locked;
	g_mutex_unlock(&agent->lock);
	if (locked)
		return failure("EXTENSION",
			       g_error_new(MESH_ERROR, MESH_ERROR_LOCKED, "the agent is locked"));
	if (!mesh_sshbuf_get_string(r, &name, &len, &error))
		return failure("EXTENSION", error);
	if (!mesh_sshbuf_string_is(name, len, "query"))
		return failure("EXTENSION", g_error_new(MESH_ERROR, MESH_ERROR_UNSUPPORTED,
							"unknown extension '%.*s'",
							(int)MIN(len, 64), (const char *)name));
	if (!mesh_sshbuf_expect_end(r, &error))
		return failure("EXTENSION", error);
	for (guint i = 0; extensions[i] != NULL; i++)
		cap += 4 + strlen(extensions[i]);
	answer_init(&a, cap);
	mesh_sshbuf_put_u8(&a.w, MESH_SSH_AGENT_EXTENSION_RESPONSE, NULL);
	mesh_sshbuf_put_cstring(&a.w, "query", NULL);
	for (guint i = 0; extensions[i] != NULL; i++)
		mesh_sshbuf_put_cstring(&a.w, extensions[i], NULL);
	return answer_finish(&a);
}

GBytes *
mesh_ssh_agent_handle(MeshSshAgent *agent, const guint8 *msg, gsize len)
{
	return mesh_ssh_agent_handle_from(agent, NULL, msg, len, NULL, NULL);
}

GBytes *
mesh_ssh_agent_handle_from(MeshSshAgent *agent, MeshCaller *caller, const guint8 *msg, gsize len,
			   MeshPassGateWanted still_there, gpointer data)
{
	MeshSshReader r;

	if (len == 0 || len > MESH_SSH_AGENT_MESSAGE_MAX)
		return failure("a message", g_error_new(MESH_ERROR, MESH_ERROR_MALFORMED,
							"%" G_GSIZE_FORMAT " bytes", len));
	mesh_sshbuf_reader_init(&r, msg + 1, len - 1, "ssh-agent request");
	switch (msg[0]) {
	case MESH_SSH_AGENTC_REQUEST_IDENTITIES:
		return request_identities(agent, caller, &r);
	case MESH_SSH_AGENTC_SIGN_REQUEST:
		return sign_request(agent, caller, &r, still_there, data);
	case MESH_SSH_AGENTC_ADD_IDENTITY:
		return add_identity(agent, &r, FALSE);
	case MESH_SSH_AGENTC_ADD_ID_CONSTRAINED:
		return add_identity(agent, &r, TRUE);
	case MESH_SSH_AGENTC_REMOVE_IDENTITY:
		return remove_identity(agent, &r);
	case MESH_SSH_AGENTC_REMOVE_ALL_IDENTITIES:
		return remove_all(agent, &r);
	case MESH_SSH_AGENTC_LOCK:
		return lock_agent(agent, &r);
	case MESH_SSH_AGENTC_UNLOCK:
		return unlock_agent(agent, &r, still_there, data);
	case MESH_SSH_AGENTC_EXTENSION:
		return extension(agent, &r);
	default:
		return failure("a message", g_error_new(MESH_ERROR, MESH_ERROR_UNSUPPORTED,
							"unknown message type %u", msg[0]));
	}
}
