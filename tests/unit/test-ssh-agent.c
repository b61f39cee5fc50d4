/* SPDX-License-Identifier: MIT */
/* The OpenSSH agent protocol handler (ipc/ssh-agent.h), driven with messages built here over a
 * temporary hive and the key store router: add, list, sign (checked with mesh_key_verify),
 * remove, lock and the passphrase gate, lifetimes, confirm, added keys in memory only (nothing
 * written), and the refusals. */
#include "cutest.h"
#include "error.h"
#include "hive.h"
#include "json.h"
#include "key.h"
#include "keystore.h"
#include "passgate.h"
#include "platform.h"
#include "router.h"
#include "secret.h"
#include "ssh-agent-mesh.h"
#include "ssh-agent.h"
#include "sshbuf.h"
#include "sshkey.h"

#include <string.h>

#define MSG_CAP 1024

typedef struct {
	char *root;
	MeshHive *hive;
	MeshKeyStore *store;
	GMutex state_lock;
	MeshSshAgent *agent;
} Fixture;

static void
open_agent(Fixture *fx)
{
	GError *error = NULL;

	fx->store = mesh_keystore_router_new(fx->hive, &error);
	MESH_ASSERT_NO_ERROR(error);
	fx->agent = mesh_ssh_agent_new(fx->hive, fx->store, &fx->state_lock);
	mesh_ssh_agent_set_mesh_keys(fx->agent, mesh_ssh_agent_session_keys, NULL);
}

static void
close_agent(Fixture *fx)
{
	g_clear_pointer(&fx->agent, mesh_ssh_agent_free);
	g_clear_pointer(&fx->store, mesh_keystore_close);
}

static void
setup(Fixture *fx)
{
	GError *error = NULL;

	memset(fx, 0, sizeof *fx);
	fx->root = mesh_test_tmp_dir("ssh-agent");
	g_mutex_init(&fx->state_lock);
	fx->hive = mesh_hive_open(MESH_HIVE_TEST, fx->root, &error);
	MESH_ASSERT_NO_ERROR(error);
	open_agent(fx);
}

static void
teardown(Fixture *fx)
{
	close_agent(fx);
	mesh_hive_close(fx->hive);
	g_mutex_clear(&fx->state_lock);
	mesh_test_remove_tree(fx->root);
	g_free(fx->root);
}

/* ---- Messages ------------------------------------------------------------------------------ */

/* A message being built: at most MSG_CAP bytes. */
typedef struct {
	guint8 buf[MSG_CAP];
	MeshSshWriter w;
} Msg;

static void
msg_init(Msg *m, guint8 type)
{
	mesh_sshbuf_writer_init(&m->w, m->buf, sizeof m->buf);
	CU_ASSERT_FATAL(mesh_sshbuf_put_u8(&m->w, type, NULL));
}

static void
put_string(Msg *m, const void *data, gsize len)
{
	CU_ASSERT_FATAL(mesh_sshbuf_put_string(&m->w, data, len, NULL));
}

static void
put_cstring(Msg *m, const char *s)
{
	CU_ASSERT_FATAL(mesh_sshbuf_put_cstring(&m->w, s, NULL));
}

static void
put_u8(Msg *m, guint8 v)
{
	CU_ASSERT_FATAL(mesh_sshbuf_put_u8(&m->w, v, NULL));
}

static void
put_u32(Msg *m, guint32 v)
{
	CU_ASSERT_FATAL(mesh_sshbuf_put_u32(&m->w, v, NULL));
}

static GBytes *
blob_of(const MeshKey *key)
{
	GError *error = NULL;
	GBytes *blob = mesh_ssh_public_blob(key, &error);

	MESH_ASSERT_NO_ERROR(error);
	return blob;
}

/* How an ADD_IDENTITY is spoiled, for the negative cases. */
typedef enum {
	ADD_GOOD,
	ADD_OTHER_PUBLIC, /* the public key (both copies for Ed25519) of another key */
	ADD_INNER_PUBLIC, /* Ed25519: the copy inside the private string differs */
	ADD_WRONG_CURVE,  /* ECDSA: nistp384 */
	ADD_SHORT_PUBLIC, /* the public key one byte short */
} AddFlaw;

/*
 * An ADD_IDENTITY (or, with @constrained, ADD_ID_CONSTRAINED without constraints yet) of @key as
 * OpenSSH's ssh-add encodes it (RFC 9987 §5.2.2-3).
 */
static void
add_msg(Msg *m, const MeshKey *key, const char *comment, gboolean constrained, AddFlaw flaw)
{
	GError *error = NULL;
	g_autoptr(MeshSecret) priv = mesh_key_to_raw_private(key, &error);
	g_autoptr(GBytes) pub_bytes = mesh_key_get_raw_public(key);
	g_autoptr(MeshKey) other = NULL;
	g_autoptr(GBytes) other_pub = NULL;
	gsize pub_len = 0;
	const guint8 *pub = g_bytes_get_data(pub_bytes, &pub_len);
	const guint8 *outer = pub;

	MESH_ASSERT_NO_ERROR(error);
	if (flaw == ADD_OTHER_PUBLIC || flaw == ADD_INNER_PUBLIC) {
		other = mesh_key_generate(mesh_key_alg(key), &error);
		MESH_ASSERT_NO_ERROR(error);
		other_pub = mesh_key_get_raw_public(other);
		outer = g_bytes_get_data(other_pub, NULL);
	}
	msg_init(m,
	         constrained ? MESH_SSH_AGENTC_ADD_ID_CONSTRAINED : MESH_SSH_AGENTC_ADD_IDENTITY);
	if (mesh_key_alg(key) == MESH_KEY_ED25519) {
		guint8 both[64];

		memcpy(both, mesh_secret_data(priv), 32);
		memcpy(both + 32, flaw == ADD_OTHER_PUBLIC ? outer : pub, 32);
		put_cstring(m, "ssh-ed25519");
		put_string(m, outer, flaw == ADD_SHORT_PUBLIC ? 31 : 32);
		put_string(m, both, sizeof both);
		memset(both, 0, sizeof both);
	} else {
		put_cstring(m, "ecdsa-sha2-nistp256");
		put_cstring(m, flaw == ADD_WRONG_CURVE ? "nistp384" : "nistp256");
		put_string(m, outer, flaw == ADD_SHORT_PUBLIC ? pub_len - 1 : pub_len);
		CU_ASSERT_FATAL(mesh_sshbuf_put_mpint(&m->w, mesh_secret_data(priv), 32, NULL));
	}
	put_cstring(m, comment);
}

static void
sign_msg(Msg *m, GBytes *blob, const char *data, guint32 flags)
{
	msg_init(m, MESH_SSH_AGENTC_SIGN_REQUEST);
	put_string(m, g_bytes_get_data(blob, NULL), g_bytes_get_size(blob));
	put_cstring(m, data);
	put_u32(m, flags);
}

static GBytes *
handle(Fixture *fx, const guint8 *msg, gsize len)
{
	GBytes *answer = mesh_ssh_agent_handle(fx->agent, msg, len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(answer);
	CU_ASSERT_FATAL(g_bytes_get_size(answer) >= 1);
	return answer;
}

/* The type of the answer to @len bytes at @msg. */
static guint8
answer_type(Fixture *fx, const guint8 *msg, gsize len)
{
	g_autoptr(GBytes) answer = handle(fx, msg, len);

	return ((const guint8 *)g_bytes_get_data(answer, NULL))[0];
}

static guint8
send_msg(Fixture *fx, const Msg *m)
{
	return answer_type(fx, m->buf, m->w.len);
}

static guint8
send_simple(Fixture *fx, guint8 type)
{
	return answer_type(fx, &type, 1);
}

static guint8
add_key(Fixture *fx, const MeshKey *key, const char *comment)
{
	Msg m;

	add_msg(&m, key, comment, FALSE, ADD_GOOD);
	return send_msg(fx, &m);
}

/* ADD_ID_CONSTRAINED of @key with @nc constraint bytes at @c. */
static guint8
add_constrained(Fixture *fx, const MeshKey *key, const guint8 *c, gsize nc)
{
	Msg m;

	add_msg(&m, key, "constrained", TRUE, ADD_GOOD);
	CU_ASSERT_FATAL(mesh_sshbuf_put_bytes(&m.w, c, nc, NULL));
	return send_msg(fx, &m);
}

static guint8
add_with_lifetime(Fixture *fx, const MeshKey *key, guint32 seconds)
{
	guint8 c[5] = {MESH_SSH_AGENT_CONSTRAIN_LIFETIME, seconds >> 24, seconds >> 16,
	               seconds >> 8, seconds};

	return add_constrained(fx, key, c, sizeof c);
}

static guint8
remove_key(Fixture *fx, const MeshKey *key)
{
	g_autoptr(GBytes) blob = blob_of(key);
	Msg m;

	msg_init(&m, MESH_SSH_AGENTC_REMOVE_IDENTITY);
	put_string(&m, g_bytes_get_data(blob, NULL), g_bytes_get_size(blob));
	return send_msg(fx, &m);
}

static guint8
lock_msg(Fixture *fx, guint8 type, const char *pass)
{
	Msg m;

	msg_init(&m, type);
	put_cstring(&m, pass);
	return send_msg(fx, &m);
}

/* The key blobs of the identity list (their comments in @ret_comments when not NULL). */
static GPtrArray *
identities(Fixture *fx, GPtrArray **ret_comments)
{
	guint8 type = MESH_SSH_AGENTC_REQUEST_IDENTITIES;
	g_autoptr(GBytes) answer = handle(fx, &type, 1);
	GPtrArray *blobs = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	GPtrArray *comments = g_ptr_array_new_with_free_func(g_free);
	MeshSshReader r;
	const guint8 *t = NULL;
	guint32 n = 0;
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(answer, &len);

	mesh_sshbuf_reader_init(&r, data, len, "identities answer");
	CU_ASSERT_FATAL(mesh_sshbuf_get_bytes(&r, 1, &t, NULL));
	CU_ASSERT_EQUAL_FATAL(*t, MESH_SSH_AGENT_IDENTITIES_ANSWER);
	CU_ASSERT_FATAL(mesh_sshbuf_get_u32(&r, &n, NULL));
	for (guint32 i = 0; i < n; i++) {
		const guint8 *blob = NULL;
		gsize blob_len = 0;
		char *comment = NULL;

		CU_ASSERT_FATAL(mesh_sshbuf_get_string(&r, &blob, &blob_len, NULL));
		CU_ASSERT_FATAL(mesh_sshbuf_get_cstring(&r, 4096, &comment, NULL));
		g_ptr_array_add(blobs, g_bytes_new(blob, blob_len));
		g_ptr_array_add(comments, comment);
	}
	CU_ASSERT_FATAL(mesh_sshbuf_expect_end(&r, NULL));
	if (ret_comments != NULL)
		*ret_comments = comments;
	else
		g_ptr_array_unref(comments);
	return blobs;
}

static guint
n_identities(Fixture *fx)
{
	g_autoptr(GPtrArray) blobs = identities(fx, NULL);

	return blobs->len;
}

static gboolean
is_listed(Fixture *fx, const MeshKey *key)
{
	g_autoptr(GPtrArray) blobs = identities(fx, NULL);
	g_autoptr(GBytes) blob = blob_of(key);

	for (guint i = 0; i < blobs->len; i++)
		if (g_bytes_equal(g_ptr_array_index(blobs, i), blob))
			return TRUE;
	return FALSE;
}

/* A SIGN_REQUEST for @data with @key: TRUE when answered with a signature that mesh_key_verify
 * accepts for @data and refuses for other data. */
static gboolean
signs(Fixture *fx, const MeshKey *key, const char *data, guint32 flags)
{
	g_autoptr(GBytes) blob = blob_of(key);
	g_autoptr(GBytes) answer = NULL;
	const char *type =
	        mesh_key_alg(key) == MESH_KEY_ED25519 ? "ssh-ed25519" : "ecdsa-sha2-nistp256";
	const guint8 *t = NULL, *sig = NULL, *name = NULL;
	gsize len = 0, sig_len = 0, name_len = 0;
	guint8 raw[64];
	MeshSshReader r, s;
	Msg m;

	sign_msg(&m, blob, data, flags);
	answer = handle(fx, m.buf, m.w.len);
	mesh_sshbuf_reader_init(&r, g_bytes_get_data(answer, &len), g_bytes_get_size(answer),
	                        "sign response");
	CU_ASSERT_FATAL(mesh_sshbuf_get_bytes(&r, 1, &t, NULL));
	if (*t != MESH_SSH_AGENT_SIGN_RESPONSE)
		return FALSE;
	CU_ASSERT_FATAL(mesh_sshbuf_get_string(&r, &sig, &sig_len, NULL));
	CU_ASSERT_FATAL(mesh_sshbuf_expect_end(&r, NULL));
	/* The signature blob: its type, then the raw signature (RFC 8709 §6, RFC 5656 §3.1.2). */
	mesh_sshbuf_reader_init(&s, sig, sig_len, "signature");
	CU_ASSERT_FATAL(mesh_sshbuf_get_string(&s, &name, &name_len, NULL));
	CU_ASSERT_FATAL(mesh_sshbuf_string_is(name, name_len, type));
	if (mesh_key_alg(key) == MESH_KEY_ED25519) {
		const guint8 *ed = NULL;

		CU_ASSERT_FATAL(
		        mesh_sshbuf_get_string_fixed(&s, 64, "Ed25519 signature", &ed, NULL));
		memcpy(raw, ed, 64);
	} else {
		const guint8 *inner = NULL;
		gsize inner_len = 0;
		MeshSshReader rs;

		CU_ASSERT_FATAL(mesh_sshbuf_get_string(&s, &inner, &inner_len, NULL));
		mesh_sshbuf_reader_init(&rs, inner, inner_len, "ECDSA signature");
		CU_ASSERT_FATAL(mesh_sshbuf_get_mpint32(&rs, raw, NULL));
		CU_ASSERT_FATAL(mesh_sshbuf_get_mpint32(&rs, raw + 32, NULL));
		CU_ASSERT_FATAL(mesh_sshbuf_expect_end(&rs, NULL));
	}
	CU_ASSERT_FATAL(mesh_sshbuf_expect_end(&s, NULL));
	CU_ASSERT_FALSE(mesh_key_verify(key, (const guint8 *)"other", 5, raw, 64, NULL));
	return mesh_key_verify(key, (const guint8 *)data, strlen(data), raw, 64, NULL);
}

static MeshKey *
new_key(MeshKeyAlg alg)
{
	GError *error = NULL;
	MeshKey *key = mesh_key_generate(alg, &error);

	MESH_ASSERT_NO_ERROR(error);
	return key;
}

/* Every file under @dir with its content, "path\ncontent\n" sorted by path: what the agent wrote.
 */
static void
snapshot_dir(const char *dir, const char *rel, GPtrArray *out)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	if (d == NULL)
		return;
	while ((name = g_dir_read_name(d)) != NULL) {
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_autofree char *sub = g_build_filename(rel, name, NULL);
		g_autofree char *content = NULL;
		gsize len = 0;

		if (g_file_test(path, G_FILE_TEST_IS_DIR))
			snapshot_dir(path, sub, out);
		else if (g_file_get_contents(path, &content, &len, NULL))
			g_ptr_array_add(out, g_strdup_printf("%s\n%s\n", sub, content));
		else
			g_ptr_array_add(out, g_strdup_printf("%s\n(unreadable)\n", sub));
	}
}

static char *
hive_snapshot(Fixture *fx)
{
	g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);

	snapshot_dir(fx->root, "", files);
	g_ptr_array_sort(files, (GCompareFunc)g_strcmp0);
	g_ptr_array_add(files, NULL);
	return g_strjoinv("", (char **)files->pdata);
}

static gboolean
in_store(Fixture *fx, const MeshKey *key)
{
	g_autoptr(MeshKey) public = NULL;
	g_autoptr(GError) error = NULL;

	if (mesh_keystore_get_public(fx->store, mesh_key_udf(key), &public, &error))
		return mesh_key_equal_public(public, key);
	CU_ASSERT_TRUE(g_error_matches(error, MESH_ERROR, MESH_ERROR_NOT_FOUND));
	return FALSE;
}

/* ---- Tests --------------------------------------------------------------------------------- */

static void
test_add_list_sign(void)
{
	Fixture fx;
	g_autoptr(MeshKey) ed = new_key(MESH_KEY_ED25519);
	g_autoptr(MeshKey) ec = new_key(MESH_KEY_P256);
	g_autoptr(GPtrArray) blobs = NULL;
	g_autoptr(GPtrArray) comments = NULL;
	g_autoptr(GBytes) ed_blob = blob_of(ed);
	g_autoptr(GBytes) ec_blob = blob_of(ec);
	g_autofree char *before = NULL, *after = NULL;

	setup(&fx);
	before = hive_snapshot(&fx);
	CU_ASSERT_EQUAL(n_identities(&fx), 0);
	CU_ASSERT_EQUAL(add_key(&fx, ed, "ed key"), MESH_SSH_AGENT_SUCCESS);
	CU_ASSERT_EQUAL(add_key(&fx, ec, "ec key"), MESH_SSH_AGENT_SUCCESS);
	blobs = identities(&fx, &comments);
	CU_ASSERT_EQUAL_FATAL(blobs->len, 2);
	CU_ASSERT_TRUE(g_bytes_equal(g_ptr_array_index(blobs, 0), ed_blob));
	CU_ASSERT_TRUE(g_bytes_equal(g_ptr_array_index(blobs, 1), ec_blob));
	CU_ASSERT_STRING_EQUAL(g_ptr_array_index(comments, 0), "ed key");
	CU_ASSERT_STRING_EQUAL(g_ptr_array_index(comments, 1), "ec key");
	for (guint32 flags = 0; flags <= 6; flags += 2) {
		CU_ASSERT_TRUE(signs(&fx, ed, "data to sign", flags));
		CU_ASSERT_TRUE(signs(&fx, ec, "data to sign", flags));
	}
	/* Kept in memory only: not in the key store, and not a byte written to the hive. */
	CU_ASSERT_FALSE(in_store(&fx, ed));
	CU_ASSERT_FALSE(in_store(&fx, ec));
	after = hive_snapshot(&fx);
	CU_ASSERT_STRING_EQUAL(after, before);
	/* Adding a key again replaces it (a new comment, at the end), without a second entry. */
	CU_ASSERT_EQUAL(add_key(&fx, ed, "renamed"), MESH_SSH_AGENT_SUCCESS);
	g_clear_pointer(&comments, g_ptr_array_unref);
	g_clear_pointer(&blobs, g_ptr_array_unref);
	blobs = identities(&fx, &comments);
	CU_ASSERT_EQUAL_FATAL(blobs->len, 2);
	CU_ASSERT_STRING_EQUAL(g_ptr_array_index(comments, 1), "renamed");
	teardown(&fx);
}

/* What ssh-add gives the agent stays in memory: a new agent on the same hive (a restart) has
 * none of it, and the hive and the key store hold nothing of it meanwhile. */
static void
test_memory_only(void)
{
	Fixture fx;
	g_autoptr(MeshKey) ed = new_key(MESH_KEY_ED25519);
	g_autoptr(MeshKey) ec = new_key(MESH_KEY_P256);
	g_autoptr(MeshKey) brief = new_key(MESH_KEY_ED25519);
	g_autofree char *before = NULL, *after = NULL;

	setup(&fx);
	before = hive_snapshot(&fx);
	CU_ASSERT_EQUAL(add_key(&fx, ed, "ed key"), MESH_SSH_AGENT_SUCCESS);
	CU_ASSERT_EQUAL(add_key(&fx, ec, "ec key"), MESH_SSH_AGENT_SUCCESS);
	CU_ASSERT_EQUAL(add_with_lifetime(&fx, brief, 600), MESH_SSH_AGENT_SUCCESS);
	CU_ASSERT_EQUAL(n_identities(&fx), 3);
	CU_ASSERT_TRUE(signs(&fx, ed, "in memory", 0));
	/* The agent's lock forgets the keys it took from stores, not the added ones. */
	mesh_ssh_agent_forget_keys(fx.agent);
	CU_ASSERT_TRUE(signs(&fx, ec, "after forgetting", 0));
	after = hive_snapshot(&fx);
	CU_ASSERT_STRING_EQUAL(after, before);
	close_agent(&fx);
	open_agent(&fx);
	CU_ASSERT_EQUAL(n_identities(&fx), 0);
	CU_ASSERT_FALSE(signs(&fx, ed, "after a restart", 0));
	CU_ASSERT_FALSE(in_store(&fx, ed));
	CU_ASSERT_FALSE(in_store(&fx, ec));
	teardown(&fx);
}

static void
test_remove(void)
{
	Fixture fx;
	g_autoptr(MeshKey) ed = new_key(MESH_KEY_ED25519);
	g_autoptr(MeshKey) ec = new_key(MESH_KEY_P256);
	g_autoptr(MeshKey) brief = new_key(MESH_KEY_ED25519);

	setup(&fx);
	CU_ASSERT_EQUAL(add_key(&fx, ed, "ed"), MESH_SSH_AGENT_SUCCESS);
	CU_ASSERT_EQUAL(add_key(&fx, ec, "ec"), MESH_SSH_AGENT_SUCCESS);
	CU_ASSERT_EQUAL(remove_key(&fx, ec), MESH_SSH_AGENT_SUCCESS);
	CU_ASSERT_FALSE(is_listed(&fx, ec));
	CU_ASSERT_TRUE(is_listed(&fx, ed));
	CU_ASSERT_FALSE(signs(&fx, ec, "removed", 0));
	CU_ASSERT_EQUAL(remove_key(&fx, ec), MESH_SSH_AGENT_FAILURE);
	CU_ASSERT_EQUAL(add_with_lifetime(&fx, brief, 600), MESH_SSH_AGENT_SUCCESS);
	CU_ASSERT_EQUAL(send_simple(&fx, MESH_SSH_AGENTC_REMOVE_ALL_IDENTITIES),
	                MESH_SSH_AGENT_SUCCESS);
	CU_ASSERT_EQUAL(n_identities(&fx), 0);
	CU_ASSERT_FALSE(signs(&fx, ed, "removed with all", 0));
	/* Removing all from an empty agent is no error. */
	CU_ASSERT_EQUAL(send_simple(&fx, MESH_SSH_AGENTC_REMOVE_ALL_IDENTITIES),
	                MESH_SSH_AGENT_SUCCESS);
	close_agent(&fx);
	open_agent(&fx);
	CU_ASSERT_EQUAL(n_identities(&fx), 0);
	teardown(&fx);
}

static void
test_lock(void)
{
	Fixture fx;
	g_autoptr(MeshKey) ed = new_key(MESH_KEY_ED25519);
	g_autoptr(MeshKey) other = new_key(MESH_KEY_P256);
	Msg m;

	setup(&fx);
	CU_ASSERT_EQUAL(add_key(&fx, ed, "ed"), MESH_SSH_AGENT_SUCCESS);
	CU_ASSERT_EQUAL(lock_msg(&fx, MESH_SSH_AGENTC_UNLOCK, "pw"), MESH_SSH_AGENT_FAILURE);
	CU_ASSERT_EQUAL(lock_msg(&fx, MESH_SSH_AGENTC_LOCK, "pw"), MESH_SSH_AGENT_SUCCESS);
	/* Locked: an empty list; everything else but UNLOCK fails. */
	CU_ASSERT_EQUAL(n_identities(&fx), 0);
	CU_ASSERT_FALSE(signs(&fx, ed, "locked", 0));
	CU_ASSERT_EQUAL(add_key(&fx, other, "other"), MESH_SSH_AGENT_FAILURE);
	CU_ASSERT_EQUAL(add_with_lifetime(&fx, other, 60), MESH_SSH_AGENT_FAILURE);
	CU_ASSERT_EQUAL(remove_key(&fx, ed), MESH_SSH_AGENT_FAILURE);
	CU_ASSERT_EQUAL(send_simple(&fx, MESH_SSH_AGENTC_REMOVE_ALL_IDENTITIES),
	                MESH_SSH_AGENT_FAILURE);
	CU_ASSERT_EQUAL(lock_msg(&fx, MESH_SSH_AGENTC_LOCK, "pw"), MESH_SSH_AGENT_FAILURE);
	msg_init(&m, MESH_SSH_AGENTC_EXTENSION);
	put_cstring(&m, "query");
	CU_ASSERT_EQUAL(send_msg(&fx, &m), MESH_SSH_AGENT_FAILURE);
	/* A wrong passphrase (and the empty one) fail and leave it locked. */
	CU_ASSERT_EQUAL(lock_msg(&fx, MESH_SSH_AGENTC_UNLOCK, "wrong"), MESH_SSH_AGENT_FAILURE);
	CU_ASSERT_EQUAL(lock_msg(&fx, MESH_SSH_AGENTC_UNLOCK, ""), MESH_SSH_AGENT_FAILURE);
	CU_ASSERT_EQUAL(n_identities(&fx), 0);
	CU_ASSERT_EQUAL(lock_msg(&fx, MESH_SSH_AGENTC_UNLOCK, "pw"), MESH_SSH_AGENT_SUCCESS);
	CU_ASSERT_TRUE(is_listed(&fx, ed));
	CU_ASSERT_TRUE(signs(&fx, ed, "unlocked", 0));
	CU_ASSERT_EQUAL(send_msg(&fx, &m), MESH_SSH_AGENT_EXTENSION_RESPONSE);
	/* The passphrase is not kept: UNLOCK again fails, a new LOCK takes a new one. */
	CU_ASSERT_EQUAL(lock_msg(&fx, MESH_SSH_AGENTC_UNLOCK, "pw"), MESH_SSH_AGENT_FAILURE);
	CU_ASSERT_EQUAL(lock_msg(&fx, MESH_SSH_AGENTC_LOCK, "second"), MESH_SSH_AGENT_SUCCESS);
	CU_ASSERT_EQUAL(lock_msg(&fx, MESH_SSH_AGENTC_UNLOCK, "pw"), MESH_SSH_AGENT_FAILURE);
	CU_ASSERT_EQUAL(lock_msg(&fx, MESH_SSH_AGENTC_UNLOCK, "second"), MESH_SSH_AGENT_SUCCESS);
	teardown(&fx);
}

/* Guessers on threads of their own: wrong UNLOCKs until the deadline, when they go away (as a
 * client that closes its connection); the answers before the deadline are counted. */
typedef struct {
	MeshSshAgent *agent;
	gint64 deadline;
	gint answers;   /* atomic */
	gint successes; /* atomic */
} Guessers;

static gboolean
guesser_present(gpointer data)
{
	const Guessers *g = data;

	return g_get_monotonic_time() < g->deadline;
}

static gpointer
guess(gpointer data)
{
	Guessers *g = data;
	guint8 msg[1 + 4 + 5] = {MESH_SSH_AGENTC_UNLOCK, 0, 0, 0, 5, 'w', 'r', 'o', 'n', 'g'};

	while (g_get_monotonic_time() < g->deadline) {
		g_autoptr(GBytes) answer =
		        mesh_ssh_agent_handle_from(g->agent, NULL, msg, sizeof msg, guesser_present, g);

		if (g_get_monotonic_time() < g->deadline)
			g_atomic_int_inc(&g->answers);
		if (((const guint8 *)g_bytes_get_data(answer, NULL))[0] != MESH_SSH_AGENT_FAILURE)
			g_atomic_int_inc(&g->successes);
	}
	return NULL;
}

/* Time taken by one UNLOCK with @pass, in ms; its answer in *@ret_type. */
static gint64
timed_unlock(Fixture *fx, MeshSshAgent *agent, const char *pass, guint8 *ret_type)
{
	MeshSshAgent *saved = fx->agent;
	gint64 start = g_get_monotonic_time();

	fx->agent = agent;
	*ret_type = lock_msg(fx, MESH_SSH_AGENTC_UNLOCK, pass);
	fx->agent = saved;
	return (g_get_monotonic_time() - start) / 1000;
}

/*
 * Every UNLOCK waits at one gate, shared with the agent's other passphrase checks: a wrong
 * passphrase delays the next check wherever it comes from (a handler sharing the gate stands
 * for the Mesh agent's Unlock), the delay comes before the hash, and guessing on many
 * connections at once gets no more answers than on one.
 */
static void
test_unlock_gate(void)
{
	Fixture fx;
	g_autoptr(MeshPassGate) gate = mesh_pass_gate_new();
	g_autoptr(MeshSshAgent) other = NULL;
	GThread *threads[50];
	Guessers g = {0};
	guint8 type = 0;
	gint64 ms;

	setup(&fx);
	other = mesh_ssh_agent_new(fx.hive, fx.store, &fx.state_lock);
	mesh_ssh_agent_set_gate(fx.agent, gate);
	mesh_ssh_agent_set_gate(other, gate);
	CU_ASSERT_EQUAL(lock_msg(&fx, MESH_SSH_AGENTC_LOCK, "pw"), MESH_SSH_AGENT_SUCCESS);
	{
		MeshSshAgent *first = fx.agent;

		fx.agent = other;
		CU_ASSERT_EQUAL(lock_msg(&fx, MESH_SSH_AGENTC_LOCK, "pw"), MESH_SSH_AGENT_SUCCESS);
		fx.agent = first;
	}

	/* One wrong passphrase on the first handler delays the second handler's check. */
	timed_unlock(&fx, fx.agent, "wrong", &type);
	CU_ASSERT_EQUAL(type, MESH_SSH_AGENT_FAILURE);
	CU_ASSERT_EQUAL(mesh_pass_gate_failures(gate), 1);
	ms = timed_unlock(&fx, other, "wrong", &type);
	CU_ASSERT_EQUAL(type, MESH_SSH_AGENT_FAILURE);
	CU_ASSERT(ms >= MESH_PASS_GATE_STEP_MS - 5);
	CU_ASSERT_EQUAL(mesh_pass_gate_failures(gate), 2);
	/* The right one still unlocks, after the delay, and clears it. */
	ms = timed_unlock(&fx, fx.agent, "pw", &type);
	CU_ASSERT_EQUAL(type, MESH_SSH_AGENT_SUCCESS);
	CU_ASSERT(ms >= 2 * MESH_PASS_GATE_STEP_MS - 5);
	CU_ASSERT_EQUAL(mesh_pass_gate_failures(gate), 0);
	/* No delay is left for the next check. */
	CU_ASSERT_EQUAL(mesh_pass_gate_try_enter(gate), 0);
	mesh_pass_gate_leave(gate, MESH_PASS_GATE_UNDECIDED);
	timed_unlock(&fx, other, "pw", &type);
	CU_ASSERT_EQUAL(type, MESH_SSH_AGENT_SUCCESS);

	/* 50 guessers in parallel for 1.5 s: behind the gate, at most one answer per delay
	 * (100 + 200 + ... ms: about 6), where a delay per connection would give each its own. */
	CU_ASSERT_EQUAL(lock_msg(&fx, MESH_SSH_AGENTC_LOCK, "pw"), MESH_SSH_AGENT_SUCCESS);
	g.agent = fx.agent;
	g.deadline = g_get_monotonic_time() + 1500 * 1000;
	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		threads[i] = g_thread_new("guesser", guess, &g);
	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		g_thread_join(threads[i]);
	if (g_atomic_int_get(&g.answers) > 12)
		g_printerr("%d answers to 50 parallel guessers in 1.5 s\n", g.answers);
	CU_ASSERT(g_atomic_int_get(&g.answers) <= 12);
	CU_ASSERT_EQUAL(g_atomic_int_get(&g.successes), 0);
	CU_ASSERT(mesh_pass_gate_failures(gate) >= 1);
	/* The guessers that left gave up without a check, so the right passphrase still unlocks
	 * afterwards within one delay. */
	ms = timed_unlock(&fx, fx.agent, "pw", &type);
	CU_ASSERT_EQUAL(type, MESH_SSH_AGENT_SUCCESS);
	CU_ASSERT(ms <= MESH_PASS_GATE_MAX_MS + 500);
	/* A closed gate (the agent stopping) answers at once, without checking. */
	CU_ASSERT_EQUAL(lock_msg(&fx, MESH_SSH_AGENTC_LOCK, "pw"), MESH_SSH_AGENT_SUCCESS);
	mesh_pass_gate_close(gate);
	timed_unlock(&fx, fx.agent, "pw", &type);
	CU_ASSERT_EQUAL(type, MESH_SSH_AGENT_FAILURE);
	teardown(&fx);
}

static void
test_lifetime(void)
{
	Fixture fx;
	g_autoptr(MeshKey) brief = new_key(MESH_KEY_ED25519);
	g_autoptr(MeshKey) kept = new_key(MESH_KEY_P256);
	gint64 next;

	setup(&fx);
	CU_ASSERT_EQUAL(mesh_ssh_agent_expire(fx.agent), -1);
	CU_ASSERT_EQUAL(add_with_lifetime(&fx, brief, 1), MESH_SSH_AGENT_SUCCESS);
	CU_ASSERT_TRUE(is_listed(&fx, brief));
	CU_ASSERT_TRUE(signs(&fx, brief, "while it lives", 0));
	next = mesh_ssh_agent_expire(fx.agent);
	CU_ASSERT(next > 0 && next <= 1000);
	/* A key added again with a lifetime takes it. */
	CU_ASSERT_EQUAL(add_key(&fx, kept, "kept"), MESH_SSH_AGENT_SUCCESS);
	CU_ASSERT_EQUAL(add_with_lifetime(&fx, kept, 1), MESH_SSH_AGENT_SUCCESS);
	CU_ASSERT_EQUAL(n_identities(&fx), 2);
	g_usleep(1100 * 1000);
	/* The timer's call ends them without a request. */
	CU_ASSERT_EQUAL(mesh_ssh_agent_expire(fx.agent), -1);
	CU_ASSERT_EQUAL(n_identities(&fx), 0);
	CU_ASSERT_FALSE(signs(&fx, brief, "after its lifetime", 0));
	CU_ASSERT_FALSE(signs(&fx, kept, "after its lifetime", 0));
	/* A long lifetime: the timer is told to look again within MESH_PLATFORM_SLEEP_CHECK_MS,
	 * since the clock it waits on stops while the machine sleeps and the lifetime's does not.
	 */
	CU_ASSERT_EQUAL(add_with_lifetime(&fx, brief, 3600), MESH_SSH_AGENT_SUCCESS);
	next = mesh_ssh_agent_expire(fx.agent);
	CU_ASSERT(next > 0 && next <= MESH_PLATFORM_SLEEP_CHECK_MS);
	teardown(&fx);
}

static void
test_confirm(void)
{
	Fixture fx;
	g_autoptr(MeshKey) ed = new_key(MESH_KEY_ED25519);
	const guint8 confirm[] = {MESH_SSH_AGENT_CONSTRAIN_CONFIRM};
	const guint8 twice[] = {MESH_SSH_AGENT_CONSTRAIN_CONFIRM, MESH_SSH_AGENT_CONSTRAIN_CONFIRM};

	setup(&fx);
	CU_ASSERT_EQUAL(add_constrained(&fx, ed, confirm, 1), MESH_SSH_AGENT_FAILURE);
	CU_ASSERT_FALSE(is_listed(&fx, ed));
	mesh_ssh_agent_set_askpass(fx.agent, "/bin/true");
	CU_ASSERT_EQUAL(add_constrained(&fx, ed, twice, 2), MESH_SSH_AGENT_FAILURE);
	CU_ASSERT_EQUAL(add_constrained(&fx, ed, confirm, 1), MESH_SSH_AGENT_SUCCESS);
	CU_ASSERT_TRUE(signs(&fx, ed, "confirmed", 0));
	mesh_ssh_agent_set_askpass(fx.agent, "/bin/false");
	CU_ASSERT_FALSE(signs(&fx, ed, "refused", 0));
	/* Without an askpass nobody can confirm, so it is refused. */
	mesh_ssh_agent_set_askpass(fx.agent, NULL);
	CU_ASSERT_TRUE(is_listed(&fx, ed));
	CU_ASSERT_FALSE(signs(&fx, ed, "nobody to ask", 0));
	mesh_ssh_agent_set_askpass(fx.agent, "/bin/true");
	CU_ASSERT_TRUE(signs(&fx, ed, "asked again", 0));
	mesh_ssh_agent_set_askpass(fx.agent, "/nonexistent/askpass");
	CU_ASSERT_FALSE(signs(&fx, ed, "askpass missing", 0));
	teardown(&fx);
}

/* A key the store holds (imported with `mesh key import`) and ssh-add gives too is served from
 * memory; removing it from the agent, all keys, or its lifetime never touch the store's copy. */
static void
test_stored_key_untouched(void)
{
	Fixture fx;
	g_autoptr(MeshKey) mesh = new_key(MESH_KEY_ED25519);
	GError *error = NULL;

	setup(&fx);
	CU_ASSERT_TRUE(mesh_keystore_import(fx.store, mesh, MESH_KEY_USE_SIGNATURE, NULL, &error));
	MESH_ASSERT_NO_ERROR(error);
	CU_ASSERT_EQUAL(add_key(&fx, mesh, "mesh"), MESH_SSH_AGENT_SUCCESS);
	CU_ASSERT_TRUE(signs(&fx, mesh, "shared", 0));
	CU_ASSERT_EQUAL(remove_key(&fx, mesh), MESH_SSH_AGENT_SUCCESS);
	CU_ASSERT_FALSE(is_listed(&fx, mesh));
	CU_ASSERT_TRUE(in_store(&fx, mesh));
	CU_ASSERT_EQUAL(add_key(&fx, mesh, "mesh"), MESH_SSH_AGENT_SUCCESS);
	CU_ASSERT_EQUAL(send_simple(&fx, MESH_SSH_AGENTC_REMOVE_ALL_IDENTITIES),
	                MESH_SSH_AGENT_SUCCESS);
	CU_ASSERT_TRUE(in_store(&fx, mesh));
	CU_ASSERT_EQUAL(add_with_lifetime(&fx, mesh, 1), MESH_SSH_AGENT_SUCCESS);
	g_usleep(1100 * 1000);
	CU_ASSERT_EQUAL(mesh_ssh_agent_expire(fx.agent), -1);
	CU_ASSERT_FALSE(is_listed(&fx, mesh));
	CU_ASSERT_TRUE(in_store(&fx, mesh));
	/* Not a Mesh SSH key of the hive: a new agent does not serve it. */
	close_agent(&fx);
	open_agent(&fx);
	CU_ASSERT_FALSE(is_listed(&fx, mesh));
	teardown(&fx);
}

/* Every proper prefix of @m (but @skip) is refused, and nothing is listed afterwards. */
static void
assert_prefixes_fail(Fixture *fx, const Msg *m, gsize skip)
{
	for (gsize n = 1; n < m->w.len; n++) {
		if (n == skip)
			continue;
		if (answer_type(fx, m->buf, n) != MESH_SSH_AGENT_FAILURE) {
			g_printerr("a message cut to %" G_GSIZE_FORMAT " bytes was accepted\n", n);
			CU_FAIL("a truncated message was accepted");
		}
	}
}

static void
test_truncated(void)
{
	Fixture fx;
	g_autoptr(MeshKey) ed = new_key(MESH_KEY_ED25519);
	g_autoptr(MeshKey) ec = new_key(MESH_KEY_P256);
	g_autoptr(GBytes) blob = blob_of(ed);
	Msg m;
	gsize plain;

	setup(&fx);
	add_msg(&m, ed, "ed", FALSE, ADD_GOOD);
	assert_prefixes_fail(&fx, &m, 0);
	add_msg(&m, ec, "ec", FALSE, ADD_GOOD);
	assert_prefixes_fail(&fx, &m, 0);
	/* Constrained: a lifetime; cut just before it, the message is a valid add without one. */
	add_msg(&m, ec, "ec", TRUE, ADD_GOOD);
	plain = m.w.len;
	put_u8(&m, MESH_SSH_AGENT_CONSTRAIN_LIFETIME);
	put_u32(&m, 60);
	assert_prefixes_fail(&fx, &m, plain);
	CU_ASSERT_EQUAL(n_identities(&fx), 0);
	CU_ASSERT_EQUAL(add_key(&fx, ed, "ed"), MESH_SSH_AGENT_SUCCESS);
	sign_msg(&m, blob, "data", 0);
	assert_prefixes_fail(&fx, &m, 0);
	msg_init(&m, MESH_SSH_AGENTC_REMOVE_IDENTITY);
	put_string(&m, g_bytes_get_data(blob, NULL), g_bytes_get_size(blob));
	assert_prefixes_fail(&fx, &m, 0);
	msg_init(&m, MESH_SSH_AGENTC_EXTENSION);
	put_cstring(&m, "query");
	assert_prefixes_fail(&fx, &m, 0);
	msg_init(&m, MESH_SSH_AGENTC_LOCK);
	put_cstring(&m, "pw");
	assert_prefixes_fail(&fx, &m, 0);
	CU_ASSERT_EQUAL(n_identities(&fx), 1);
	teardown(&fx);
}

static void
test_trailing(void)
{
	Fixture fx;
	g_autoptr(MeshKey) ed = new_key(MESH_KEY_ED25519);
	g_autoptr(MeshKey) kept = new_key(MESH_KEY_ED25519);
	g_autoptr(GBytes) blob = blob_of(kept);
	const guint8 bare[] = {MESH_SSH_AGENTC_REQUEST_IDENTITIES, 0};
	const guint8 all[] = {MESH_SSH_AGENTC_REMOVE_ALL_IDENTITIES, 0};
	Msg m;

	setup(&fx);
	CU_ASSERT_EQUAL(add_key(&fx, kept, "kept"), MESH_SSH_AGENT_SUCCESS);
	CU_ASSERT_EQUAL(answer_type(&fx, bare, 2), MESH_SSH_AGENT_FAILURE);
	CU_ASSERT_EQUAL(answer_type(&fx, all, 2), MESH_SSH_AGENT_FAILURE);
	add_msg(&m, ed, "ed", FALSE, ADD_GOOD);
	put_u8(&m, 0);
	CU_ASSERT_EQUAL(send_msg(&fx, &m), MESH_SSH_AGENT_FAILURE);
	sign_msg(&m, blob, "data", 0);
	put_u8(&m, 0);
	CU_ASSERT_EQUAL(send_msg(&fx, &m), MESH_SSH_AGENT_FAILURE);
	msg_init(&m, MESH_SSH_AGENTC_REMOVE_IDENTITY);
	put_string(&m, g_bytes_get_data(blob, NULL), g_bytes_get_size(blob));
	put_u8(&m, 0);
	CU_ASSERT_EQUAL(send_msg(&fx, &m), MESH_SSH_AGENT_FAILURE);
	msg_init(&m, MESH_SSH_AGENTC_EXTENSION);
	put_cstring(&m, "query");
	put_u8(&m, 0);
	CU_ASSERT_EQUAL(send_msg(&fx, &m), MESH_SSH_AGENT_FAILURE);
	for (guint8 type = MESH_SSH_AGENTC_LOCK; type <= MESH_SSH_AGENTC_UNLOCK; type++) {
		msg_init(&m, type);
		put_cstring(&m, "pw");
		put_u8(&m, 0);
		CU_ASSERT_EQUAL(send_msg(&fx, &m), MESH_SSH_AGENT_FAILURE);
	}
	/* Nothing happened: the one kept key, unlocked. */
	CU_ASSERT_EQUAL(n_identities(&fx), 1);
	CU_ASSERT_TRUE(signs(&fx, kept, "still here", 0));
	teardown(&fx);
}

static void
test_bad_keys(void)
{
	Fixture fx;
	g_autoptr(MeshKey) ed = new_key(MESH_KEY_ED25519);
	g_autoptr(MeshKey) ec = new_key(MESH_KEY_P256);
	const AddFlaw flaws[] = {ADD_OTHER_PUBLIC, ADD_INNER_PUBLIC, ADD_SHORT_PUBLIC};
	const char *const types[] = {"ssh-rsa",
	                             "ssh-dss",
	                             "ecdsa-sha2-nistp384",
	                             "ssh-ed25519-cert-v01@openssh.com",
	                             "sk-ssh-ed25519@openssh.com",
	                             "",
	                             NULL};
	Msg m;

	setup(&fx);
	for (guint i = 0; i < G_N_ELEMENTS(flaws); i++) {
		add_msg(&m, ed, "ed", FALSE, flaws[i]);
		CU_ASSERT_EQUAL(send_msg(&fx, &m), MESH_SSH_AGENT_FAILURE);
		if (flaws[i] != ADD_INNER_PUBLIC) {
			add_msg(&m, ec, "ec", FALSE, flaws[i]);
			CU_ASSERT_EQUAL(send_msg(&fx, &m), MESH_SSH_AGENT_FAILURE);
		}
	}
	add_msg(&m, ec, "ec", FALSE, ADD_WRONG_CURVE);
	CU_ASSERT_EQUAL(send_msg(&fx, &m), MESH_SSH_AGENT_FAILURE);
	/* Other key types, with a plausible body after the name. */
	for (guint i = 0; types[i] != NULL; i++) {
		msg_init(&m, MESH_SSH_AGENTC_ADD_IDENTITY);
		put_cstring(&m, types[i]);
		put_string(&m, "\x01\x00\x01", 3);
		put_string(&m, "\x00\xc3", 2);
		put_cstring(&m, "comment");
		CU_ASSERT_EQUAL(send_msg(&fx, &m), MESH_SSH_AGENT_FAILURE);
	}
	/* An ECDSA scalar of zero, and one longer than 32 bytes. */
	msg_init(&m, MESH_SSH_AGENTC_ADD_IDENTITY);
	put_cstring(&m, "ecdsa-sha2-nistp256");
	put_cstring(&m, "nistp256");
	{
		g_autoptr(GBytes) pub = mesh_key_get_raw_public(ec);
		gsize plain;

		put_string(&m, g_bytes_get_data(pub, NULL), g_bytes_get_size(pub));
		plain = m.w.len;
		put_string(&m, "", 0);
		put_cstring(&m, "zero");
		CU_ASSERT_EQUAL(send_msg(&fx, &m), MESH_SSH_AGENT_FAILURE);
		m.w.len = plain;
		put_string(&m,
		           "\x01\x02\x03\x04\x05\x06\x07\x08\x01\x02\x03\x04\x05\x06\x07\x08"
		           "\x01\x02\x03\x04\x05\x06\x07\x08\x01\x02\x03\x04\x05\x06\x07\x08\x09",
		           33);
		put_cstring(&m, "long");
		CU_ASSERT_EQUAL(send_msg(&fx, &m), MESH_SSH_AGENT_FAILURE);
	}
	/* A comment that is not UTF-8. */
	add_msg(&m, ed, "", FALSE, ADD_GOOD);
	m.w.len -= 4;
	put_string(&m, "\xff\xfe", 2);
	CU_ASSERT_EQUAL(send_msg(&fx, &m), MESH_SSH_AGENT_FAILURE);
	CU_ASSERT_EQUAL(n_identities(&fx), 0);
	CU_ASSERT_FALSE(in_store(&fx, ed));
	CU_ASSERT_FALSE(in_store(&fx, ec));
	teardown(&fx);
}

static void
test_constraints(void)
{
	Fixture fx;
	g_autoptr(MeshKey) ed = new_key(MESH_KEY_ED25519);
	const guint8 unknown[] = {99};
	const guint8 zero[] = {MESH_SSH_AGENT_CONSTRAIN_LIFETIME, 0, 0, 0, 0};
	const guint8 huge[] = {MESH_SSH_AGENT_CONSTRAIN_LIFETIME, 0xff, 0xff, 0xff, 0xff};
	const guint8 twice[] = {MESH_SSH_AGENT_CONSTRAIN_LIFETIME, 0, 0, 0, 60,
	                        MESH_SSH_AGENT_CONSTRAIN_LIFETIME, 0, 0, 0, 60};
	const guint8 confirm[] = {MESH_SSH_AGENT_CONSTRAIN_CONFIRM};
	const char *const extensions[] = {"restrict-destination-v00@openssh.com",
	                                  "sk-provider@openssh.com", "unknown@example.com", NULL};
	Msg m;

	setup(&fx);
	CU_ASSERT_EQUAL(add_constrained(&fx, ed, unknown, sizeof unknown), MESH_SSH_AGENT_FAILURE);
	CU_ASSERT_EQUAL(add_constrained(&fx, ed, zero, sizeof zero), MESH_SSH_AGENT_FAILURE);
	CU_ASSERT_EQUAL(add_constrained(&fx, ed, huge, sizeof huge), MESH_SSH_AGENT_FAILURE);
	CU_ASSERT_EQUAL(add_constrained(&fx, ed, twice, sizeof twice), MESH_SSH_AGENT_FAILURE);
	CU_ASSERT_EQUAL(add_constrained(&fx, ed, confirm, sizeof confirm), MESH_SSH_AGENT_FAILURE);
	for (guint i = 0; extensions[i] != NULL; i++) {
		add_msg(&m, ed, "ed", TRUE, ADD_GOOD);
		put_u8(&m, MESH_SSH_AGENT_CONSTRAIN_EXTENSION);
		put_cstring(&m, extensions[i]);
		put_string(&m, "", 0);
		CU_ASSERT_EQUAL(send_msg(&fx, &m), MESH_SSH_AGENT_FAILURE);
	}
	/* An extension constraint without its name. */
	add_msg(&m, ed, "ed", TRUE, ADD_GOOD);
	put_u8(&m, MESH_SSH_AGENT_CONSTRAIN_EXTENSION);
	CU_ASSERT_EQUAL(send_msg(&fx, &m), MESH_SSH_AGENT_FAILURE);
	/* A known constraint before an unknown one does not let the key in either. */
	add_msg(&m, ed, "ed", TRUE, ADD_GOOD);
	put_u8(&m, MESH_SSH_AGENT_CONSTRAIN_LIFETIME);
	put_u32(&m, 60);
	put_u8(&m, 99);
	CU_ASSERT_EQUAL(send_msg(&fx, &m), MESH_SSH_AGENT_FAILURE);
	CU_ASSERT_EQUAL(n_identities(&fx), 0);
	CU_ASSERT_FALSE(in_store(&fx, ed));
	/* The largest lifetime is accepted. */
	CU_ASSERT_EQUAL(add_with_lifetime(&fx, ed, MESH_SSH_AGENT_LIFETIME_MAX),
	                MESH_SSH_AGENT_SUCCESS);
	CU_ASSERT_EQUAL(add_with_lifetime(&fx, ed, MESH_SSH_AGENT_LIFETIME_MAX + 1),
	                MESH_SSH_AGENT_FAILURE);
	teardown(&fx);
}

/* The extension answer: EXTENSION_RESPONSE, "query", then the names ("query"). */
static void
test_extensions(void)
{
	Fixture fx;
	const char *const refused[] = {"session-bind@openssh.com", "unknown@example.com", "QUERY",
	                               "", NULL};
	g_autoptr(GBytes) answer = NULL;
	const guint8 *t = NULL, *name = NULL;
	gsize len = 0;
	MeshSshReader r;
	Msg m;

	setup(&fx);
	msg_init(&m, MESH_SSH_AGENTC_EXTENSION);
	put_cstring(&m, "query");
	answer = handle(&fx, m.buf, m.w.len);
	mesh_sshbuf_reader_init(&r, g_bytes_get_data(answer, NULL), g_bytes_get_size(answer),
	                        "query answer");
	CU_ASSERT_FATAL(mesh_sshbuf_get_bytes(&r, 1, &t, NULL));
	CU_ASSERT_EQUAL(*t, MESH_SSH_AGENT_EXTENSION_RESPONSE);
	CU_ASSERT_FATAL(mesh_sshbuf_get_string(&r, &name, &len, NULL));
	CU_ASSERT_TRUE(mesh_sshbuf_string_is(name, len, "query"));
	CU_ASSERT_FATAL(mesh_sshbuf_get_string(&r, &name, &len, NULL));
	CU_ASSERT_TRUE(mesh_sshbuf_string_is(name, len, "query"));
	CU_ASSERT_TRUE(mesh_sshbuf_expect_end(&r, NULL));
	for (guint i = 0; refused[i] != NULL; i++) {
		msg_init(&m, MESH_SSH_AGENTC_EXTENSION);
		put_cstring(&m, refused[i]);
		put_string(&m, "\0\0\0\0", 4);
		CU_ASSERT_EQUAL(send_msg(&fx, &m), MESH_SSH_AGENT_FAILURE);
	}
	CU_ASSERT_EQUAL(send_simple(&fx, MESH_SSH_AGENTC_EXTENSION), MESH_SSH_AGENT_FAILURE);
	teardown(&fx);
}

static void
test_sign_refused(void)
{
	Fixture fx;
	g_autoptr(MeshKey) ed = new_key(MESH_KEY_ED25519);
	g_autoptr(MeshKey) stranger = new_key(MESH_KEY_ED25519);
	g_autoptr(GBytes) blob = blob_of(ed);
	const guint32 bad_flags[] = {1, 8, 0x10, 0x80000000u, 0xffffffffu};
	Msg m;

	setup(&fx);
	CU_ASSERT_EQUAL(add_key(&fx, ed, "ed"), MESH_SSH_AGENT_SUCCESS);
	for (guint i = 0; i < G_N_ELEMENTS(bad_flags); i++) {
		sign_msg(&m, blob, "data", bad_flags[i]);
		CU_ASSERT_EQUAL(send_msg(&fx, &m), MESH_SSH_AGENT_FAILURE);
	}
	CU_ASSERT_FALSE(signs(&fx, stranger, "not ours", 0));
	msg_init(&m, MESH_SSH_AGENTC_SIGN_REQUEST);
	put_string(&m, "garbage", 7);
	put_cstring(&m, "data");
	put_u32(&m, 0);
	CU_ASSERT_EQUAL(send_msg(&fx, &m), MESH_SSH_AGENT_FAILURE);
	CU_ASSERT_EQUAL(remove_key(&fx, stranger), MESH_SSH_AGENT_FAILURE);
	CU_ASSERT_TRUE(signs(&fx, ed, "ours", 0));
	teardown(&fx);
}

static void
test_messages(void)
{
	Fixture fx;
	const guint8 types[] = {0,
	                        1,
	                        2,
	                        9,
	                        MESH_SSH_AGENT_FAILURE,
	                        MESH_SSH_AGENT_SUCCESS,
	                        MESH_SSH_AGENT_IDENTITIES_ANSWER,
	                        20,
	                        21,
	                        24,
	                        26,
	                        28,
	                        30,
	                        99,
	                        255};
	g_autofree guint8 *big = g_malloc0(MESH_SSH_AGENT_MESSAGE_MAX + 1);

	setup(&fx);
	for (guint i = 0; i < G_N_ELEMENTS(types); i++)
		CU_ASSERT_EQUAL(send_simple(&fx, types[i]), MESH_SSH_AGENT_FAILURE);
	CU_ASSERT_EQUAL(answer_type(&fx, types, 0), MESH_SSH_AGENT_FAILURE);
	big[0] = MESH_SSH_AGENTC_REQUEST_IDENTITIES;
	CU_ASSERT_EQUAL(answer_type(&fx, big, MESH_SSH_AGENT_MESSAGE_MAX + 1),
	                MESH_SSH_AGENT_FAILURE);
	CU_ASSERT_EQUAL(answer_type(&fx, big, MESH_SSH_AGENT_MESSAGE_MAX), MESH_SSH_AGENT_FAILURE);
	CU_ASSERT_EQUAL(answer_type(&fx, big, 1), MESH_SSH_AGENT_IDENTITIES_ANSWER);
	teardown(&fx);
}

static CU_TestInfo tests[] = {
        {"add, list and sign Ed25519 and P-256 keys", test_add_list_sign},
        {"added keys live in memory only: nothing written, gone after a restart", test_memory_only},
        {"remove one, remove all", test_remove},
        {"lock and unlock", test_lock},
        {"UNLOCK waits at the agent's passphrase gate", test_unlock_gate},
        {"lifetimes end on time; the timer looks again while asleep", test_lifetime},
        {"confirm asks the askpass program", test_confirm},
        {"a key in the store stays there whatever ssh-add does", test_stored_key_untouched},
        {"truncated messages are refused", test_truncated},
        {"trailing bytes are refused", test_trailing},
        {"bad and unsupported keys are refused", test_bad_keys},
        {"unknown and bad constraints are refused", test_constraints},
        {"the query extension; others refused", test_extensions},
        {"bad flags and unknown keys are refused", test_sign_refused},
        {"unknown, empty and oversize messages", test_messages},
        CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("ssh-agent", tests);
}
