/* SPDX-License-Identifier: MIT */
/*
 * test-win-ssh-agent: the OpenSSH agent protocol on a named pipe, with a key from the dpapi store,
 * under Wine or on Windows: the agent's own pieces (ipc/ssh-agent.c behind ipc/ssh-server.c,
 * listening through windows/transport*.c) serve an Ed25519 key generated in the dpapi store of a
 * registry hive (windows/hive.c, windows/dpapistore.c), and a client speaking the protocol
 * byte by byte, as ssh.exe does, lists it and has a message signed through the pipe. The
 * signature is checked here and left in OUT (Ed25519.pem, .msg, .sig) for the Linux openssl
 * (ssh-agent.sh). The negative cases: a key the agent does not hold, a message the agent does
 * not know, and the key's blob changed in the hive.
 * Usage: test-win-ssh-agent ROOT OUT. Checks print "ok   - ..." or "FAIL - ...".
 */
#include <stdio.h>
#include <string.h>

#include <openssl/pem.h>

#include "../check.h"
#include "dpapistore.h"
#include "error.h"
#include "hive.h"
#include "key.h"
#include "keystore.h"
#include "platform.h"
#include "sshbuf.h"
#include "sshkey.h"
#include "ssh-agent.h"
#include "ssh-server.h"
#include "transport.h"

/* The one Mesh SSH key the agent serves: what meshagent's lister gives from the SSH profile. */
typedef struct {
	char *udf;
	char *line;
} Served;

static gboolean
list_keys(gpointer data, MeshHive *hive, GPtrArray **ret_keys, GError **error)
{
	const Served *served = data;
	MeshSshAgentMeshKey *key = g_new0(MeshSshAgentMeshKey, 1);

	key->label = g_strdup("dpapi test");
	key->udf = g_strdup(served->udf);
	key->public_line = g_strdup(served->line);
	*ret_keys = g_ptr_array_new_with_free_func((GDestroyNotify)mesh_ssh_agent_mesh_key_free);
	g_ptr_array_add(*ret_keys, key);
	return TRUE;
}

/* One request (its body) through @conn; the answer's body, or NULL. */
static GBytes *
transact(MeshTransportConnection *conn, const guint8 *body, gsize len, GError **error)
{
	guint8 head[4];
	guint32 n;
	guint8 *answer;

	head[0] = (guint8)(len >> 24), head[1] = (guint8)(len >> 16);
	head[2] = (guint8)(len >> 8), head[3] = (guint8)len;
	if (!mesh_transport_send(conn, head, sizeof head, error) ||
	    !mesh_transport_send(conn, body, len, error) ||
	    !mesh_transport_receive(conn, head, sizeof head, NULL, NULL, error))
		return NULL;
	n = (guint32)head[0] << 24 | (guint32)head[1] << 16 | (guint32)head[2] << 8 | head[3];
	if (n == 0 || n > MESH_SSH_AGENT_MESSAGE_MAX) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "an answer of %u bytes", n);
		return NULL;
	}
	answer = g_malloc(n);
	if (!mesh_transport_receive(conn, answer, n, NULL, NULL, error)) {
		g_free(answer);
		return NULL;
	}
	return g_bytes_new_take(answer, n);
}

/* SIGN_REQUEST for the key @blob over @msg; the answer's body. */
static GBytes *
sign_request(MeshTransportConnection *conn, GBytes *blob, const char *msg, GError **error)
{
	guint8 buf[1024];
	MeshSshWriter w;

	mesh_sshbuf_writer_init(&w, buf, sizeof buf);
	if (!mesh_sshbuf_put_u8(&w, MESH_SSH_AGENTC_SIGN_REQUEST, error) ||
	    !mesh_sshbuf_put_string(&w, g_bytes_get_data(blob, NULL), g_bytes_get_size(blob),
				    error) ||
	    !mesh_sshbuf_put_string(&w, msg, strlen(msg), error) ||
	    !mesh_sshbuf_put_u32(&w, 0, error))
		return NULL;
	return transact(conn, w.data, w.len, error);
}

static gboolean
is_failure(GBytes *answer)
{
	return answer != NULL && g_bytes_get_size(answer) == 1 &&
	       *(const guint8 *)g_bytes_get_data(answer, NULL) == MESH_SSH_AGENT_FAILURE;
}

/* The identities answer holds exactly the key @blob. */
static gboolean
lists_only(GBytes *answer, GBytes *blob, GError **error)
{
	MeshSshReader r;
	const guint8 *type, *key, *comment;
	gsize key_len, comment_len;
	guint32 n;

	mesh_sshbuf_reader_init(&r, g_bytes_get_data(answer, NULL), g_bytes_get_size(answer),
				"identities answer");
	return mesh_sshbuf_get_bytes(&r, 1, &type, error) &&
	       type[0] == MESH_SSH_AGENT_IDENTITIES_ANSWER && mesh_sshbuf_get_u32(&r, &n, error) &&
	       n == 1 && mesh_sshbuf_get_string(&r, &key, &key_len, error) &&
	       mesh_sshbuf_get_string(&r, &comment, &comment_len, error) &&
	       mesh_sshbuf_expect_end(&r, error) && key_len == g_bytes_get_size(blob) &&
	       memcmp(key, g_bytes_get_data(blob, NULL), key_len) == 0;
}

/* The signature of a SIGN_RESPONSE: "ssh-ed25519" and 64 bytes. */
static GBytes *
signature_of(GBytes *answer, GError **error)
{
	MeshSshReader r, s;
	const guint8 *type, *sig, *name, *raw;
	gsize sig_len, name_len, raw_len;

	mesh_sshbuf_reader_init(&r, g_bytes_get_data(answer, NULL), g_bytes_get_size(answer),
				"sign response");
	if (!mesh_sshbuf_get_bytes(&r, 1, &type, error) ||
	    type[0] != MESH_SSH_AGENT_SIGN_RESPONSE ||
	    !mesh_sshbuf_get_string(&r, &sig, &sig_len, error) ||
	    !mesh_sshbuf_expect_end(&r, error))
		return NULL;
	mesh_sshbuf_reader_init(&s, sig, sig_len, "signature");
	if (!mesh_sshbuf_get_string(&s, &name, &name_len, error) ||
	    !mesh_sshbuf_string_is(name, name_len, "ssh-ed25519") ||
	    !mesh_sshbuf_get_string(&s, &raw, &raw_len, error) || raw_len != 64 ||
	    !mesh_sshbuf_expect_end(&s, error))
		return NULL;
	return g_bytes_new(raw, raw_len);
}

static gboolean
leave_for_openssl(const char *out, const MeshKey *pub, const char *msg, GBytes *sig)
{
	g_autofree char *pem = g_build_filename(out, "Ed25519.pem", NULL);
	g_autofree char *msg_path = g_build_filename(out, "Ed25519.msg", NULL);
	g_autofree char *sig_path = g_build_filename(out, "Ed25519.sig", NULL);
	BIO *bio = BIO_new_file(pem, "w");
	gboolean ok = bio != NULL && PEM_write_bio_PUBKEY(bio, mesh_key_borrow_pkey(pub)) == 1;

	BIO_free(bio);
	return ok && g_file_set_contents(msg_path, msg, (gssize)strlen(msg), NULL) &&
	       g_file_set_contents(sig_path, g_bytes_get_data(sig, NULL),
				   (gssize)g_bytes_get_size(sig), NULL);
}

int
main(int argc, char **argv)
{
	static const char message[] = "signed through \\\\.\\pipe by a dpapi key";
	g_autoptr(GError) error = NULL;
	g_autoptr(MeshHive) hive = NULL;
	g_autoptr(MeshKeyStore) store = NULL;
	g_autoptr(MeshKey) pub = NULL, other = NULL;
	g_autoptr(GBytes) blob = NULL, other_blob = NULL, answer = NULL, sig = NULL;
	g_autoptr(GBytes) saved = NULL;
	g_autoptr(MeshSshAgent) agent = NULL;
	g_autoptr(MeshSshServer) server = NULL;
	g_autoptr(MeshTransportConnection) conn = NULL;
	g_autofree char *address = NULL, *entry = NULL;
	Served served = {0};
	GMutex lock;
	const guint8 identities[] = {MESH_SSH_AGENTC_REQUEST_IDENTITIES};
	const guint8 unknown[] = {200};

	if (argc != 3) {
		fprintf(stderr, "usage: test-win-ssh-agent ROOT OUT\n");
		return 2;
	}
	g_mutex_init(&lock);
	hive = mesh_hive_open(MESH_HIVE_TEST, argv[1], &error);
	store = hive != NULL ? mesh_keystore_dpapi_new(hive, &error) : NULL;
	check(store != NULL && mesh_keystore_generate(store, MESH_KEY_ED25519,
						       MESH_KEY_USE_SIGNATURE, NULL, &pub, &error),
	      "an Ed25519 key generated in the dpapi store of a registry hive", error);
	if (pub == NULL)
		return 1;
	served.udf = g_strdup(mesh_key_udf(pub));
	served.line = mesh_ssh_public_line(pub, "dpapi", &error);
	blob = mesh_ssh_public_blob(pub, &error);
	other = mesh_key_generate(MESH_KEY_ED25519, &error);
	other_blob = other != NULL ? mesh_ssh_public_blob(other, &error) : NULL;
	if (served.line == NULL || blob == NULL || other_blob == NULL) {
		check(FALSE, "the key's OpenSSH forms", error);
		return 1;
	}

	agent = mesh_ssh_agent_new(hive, store, &lock);
	mesh_ssh_agent_set_mesh_keys(agent, list_keys, &served);
	address = g_strdup_printf("\\\\.\\pipe\\meshagent-test-%lu-ssh-agent",
				  (unsigned long)mesh_platform_pid());
	server = mesh_ssh_server_new(agent, address, NULL, MESH_HIVE_TEST, &error);
	check(server != NULL, "the ssh-agent serves on a named pipe", error);
	if (server == NULL)
		return 1;
	conn = mesh_transport_connect(address, &error);
	check(conn != NULL, "a client connects to the pipe (the pipe is ours, and so is the agent)",
	      error);
	if (conn == NULL)
		return 1;

	answer = transact(conn, identities, sizeof identities, &error);
	check(answer != NULL && lists_only(answer, blob, &error),
	      "REQUEST_IDENTITIES lists the dpapi key", error);
	g_clear_pointer(&answer, g_bytes_unref);

	answer = sign_request(conn, blob, message, &error);
	sig = answer != NULL ? signature_of(answer, &error) : NULL;
	check(sig != NULL, "SIGN_REQUEST answers an ssh-ed25519 signature", error);
	check(sig != NULL && mesh_key_verify(pub, (const guint8 *)message, strlen(message),
					     g_bytes_get_data(sig, NULL), g_bytes_get_size(sig),
					     NULL),
	      "the signature verifies with the key's public part", NULL);
	check(sig != NULL && !mesh_key_verify(pub, (const guint8 *)"another message", 15,
					      g_bytes_get_data(sig, NULL),
					      g_bytes_get_size(sig), NULL),
	      "... and not for another message", NULL);
	check(sig != NULL && leave_for_openssl(argv[2], pub, message, sig),
	      "the signature left for openssl", NULL);
	g_clear_pointer(&answer, g_bytes_unref);

	answer = sign_request(conn, other_blob, message, &error);
	check(is_failure(answer), "a key the agent does not hold: FAILURE", error);
	g_clear_pointer(&answer, g_bytes_unref);
	answer = transact(conn, unknown, sizeof unknown, &error);
	check(is_failure(answer), "a message type the agent does not know: FAILURE", error);
	g_clear_pointer(&answer, g_bytes_unref);

	/* The key's DPAPI blob changed in the hive: the agent signs nothing with it. */
	mesh_ssh_agent_forget_keys(agent);
	entry = g_strconcat(served.udf, ".dpapi", NULL);
	if (mesh_hive_read(hive, MESH_HIVE_KEYS, entry, 64 * 1024, &saved, &error)) {
		gsize len = g_bytes_get_size(saved);
		guint8 *bad = g_memdup2(g_bytes_get_data(saved, NULL), len);

		/* Inside the ciphertext on Wine (whose DPAPI leaves some header bytes out of its
		 * HMAC) and inside the HMAC on Windows: the blob must not open either way. */
		bad[len - 32] ^= 0x01;
		check(mesh_hive_write(hive, MESH_HIVE_KEYS, entry, bad, len, &error),
		      "the key's blob changed in the hive", error);
		g_free(bad);
		answer = sign_request(conn, blob, message, &error);
		check(is_failure(answer), "... and the agent refuses to sign: FAILURE", error);
		g_clear_pointer(&answer, g_bytes_unref);
		check(mesh_hive_write(hive, MESH_HIVE_KEYS, entry, g_bytes_get_data(saved, NULL),
				      len, &error),
		      "the blob put back", error);
		mesh_ssh_agent_forget_keys(agent);
		answer = sign_request(conn, blob, message, &error);
		g_clear_pointer(&sig, g_bytes_unref);
		sig = answer != NULL ? signature_of(answer, &error) : NULL;
		check(sig != NULL, "... and it signs again", error);
	} else {
		check(FALSE, "the key's blob read from the hive", error);
	}

	g_clear_pointer(&conn, mesh_transport_connection_free);
	g_clear_pointer(&server, mesh_ssh_server_free);
	g_clear_pointer(&agent, mesh_ssh_agent_free);
	g_free(served.udf);
	g_free(served.line);
	g_mutex_clear(&lock);
	printf("ssh-agent over a pipe: %d failed\n", check_failed);
	return check_failed > 0 ? 1 : 0;
}
