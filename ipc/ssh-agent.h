/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "caller.h"
#include "hive.h"
#include "keystore.h"
#include "passgate.h"

G_BEGIN_DECLS

/*
 * The OpenSSH agent protocol (RFC 9987, draft-miller-ssh-agent; docs/protocol.md "ssh-agent"),
 * as a pure message handler: one request message in, one answer out. No sockets here: the
 * server (ssh-server.h) and the fuzzer (tests/fuzz/fuzz-ssh-agent.c) feed it messages.
 *
 * Identities served: this hive's Mesh SSH keys (`mesh ssh create`), as the lister set with
 * mesh_ssh_agent_set_mesh_keys gives them (meshagent sets mesh_ssh_agent_session_keys of
 * ssh-agent-mesh.h), and the keys added with ssh-add. An added key is held in secure memory only, as stock ssh-agent
 * holds it: nothing is written to the hive or a key store, so a key is never kept less protected
 * than it came, and it is gone after ssh-add -d/-D, the end of its lifetime (counted on
 * mesh_platform_boottime, which goes on while the machine sleeps) or the agent's. Keys:
 * ssh-ed25519 and ecdsa-sha2-nistp256 (a TPM's P-256 keys sign inside the TPM); other types (RSA,
 * DSA, certificates, security keys) are refused with FAILURE.
 *
 * Strictness: every message is parsed to its last byte; trailing bytes, an unknown message type,
 * an unknown constraint or an unknown extension is answered with SSH_AGENT_FAILURE, never
 * ignored. The confirm constraint is accepted only when an askpass program is configured
 * (mesh_ssh_agent_set_askpass), and each use of such a key then asks it.
 *
 * Thread safety: mesh_ssh_agent_handle may be called from several threads at once (one per
 * connection): the identity table has its own lock, and the hive and key store are used only
 * with the agent's state lock (@state_lock) held. The setters (mesh_ssh_agent_set_*) are for
 * before the first request.
 */

/* Largest message accepted (the 4-byte length excluded): larger ones close the connection. */
#define MESH_SSH_AGENT_MESSAGE_MAX (256 * 1024)
/* Most identities served at once (added keys beyond this are refused). */
#define MESH_SSH_AGENT_IDENTITIES_MAX 1000
/* Longest lifetime a key may be given, in seconds (as for the Mesh agent's Unlock). */
#define MESH_SSH_AGENT_LIFETIME_MAX (366 * 24 * 3600)

/* Message numbers (RFC 9987 §8.1) */
enum {
	MESH_SSH_AGENT_FAILURE = 5,
	MESH_SSH_AGENT_SUCCESS = 6,
	MESH_SSH_AGENTC_REQUEST_IDENTITIES = 11,
	MESH_SSH_AGENT_IDENTITIES_ANSWER = 12,
	MESH_SSH_AGENTC_SIGN_REQUEST = 13,
	MESH_SSH_AGENT_SIGN_RESPONSE = 14,
	MESH_SSH_AGENTC_ADD_IDENTITY = 17,
	MESH_SSH_AGENTC_REMOVE_IDENTITY = 18,
	MESH_SSH_AGENTC_REMOVE_ALL_IDENTITIES = 19,
	MESH_SSH_AGENTC_LOCK = 22,
	MESH_SSH_AGENTC_UNLOCK = 23,
	MESH_SSH_AGENTC_ADD_ID_CONSTRAINED = 25,
	MESH_SSH_AGENTC_EXTENSION = 27,
	MESH_SSH_AGENT_EXTENSION_FAILURE = 28,
	MESH_SSH_AGENT_EXTENSION_RESPONSE = 29,
};

/* Constraints (RFC 9987 §5.2.7) */
enum {
	MESH_SSH_AGENT_CONSTRAIN_LIFETIME = 1,
	MESH_SSH_AGENT_CONSTRAIN_CONFIRM = 2,
	MESH_SSH_AGENT_CONSTRAIN_EXTENSION = 255,
};

typedef struct MeshSshAgent MeshSshAgent;

/*
 * mesh_ssh_agent_new: the handler over @hive and @store (borrowed: they must outlive it), used
 * under @state_lock (borrowed). Nothing is read until the first request.
 */
MeshSshAgent *mesh_ssh_agent_new(MeshHive *hive, MeshKeyStore *store, GMutex *state_lock);

/* mesh_ssh_agent_free: wipe every cached key and free; accepts NULL. */
void mesh_ssh_agent_free(MeshSshAgent *agent);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshSshAgent, mesh_ssh_agent_free)

/* A Mesh SSH key to serve: from the hive, its private key in the key store under @udf. */
typedef struct {
	char *label;       /* what names it in the log (the account) */
	char *udf;         /* the key's UDF */
	char *public_line; /* its OpenSSH public key line (a key file line; comment optional) */
} MeshSshAgentMeshKey;

/* mesh_ssh_agent_mesh_key_free: accepts NULL. */
void mesh_ssh_agent_mesh_key_free(MeshSshAgentMeshKey *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshSshAgentMeshKey, mesh_ssh_agent_mesh_key_free)

/*
 * MeshSshAgentKeysFunc: the Mesh SSH keys of @hive into *@ret_keys (a new GPtrArray of
 * MeshSshAgentMeshKey * that frees them). Called with the agent's state lock held, from the
 * thread of whichever connection asks; it must only read the hive. A FALSE return with @error
 * set is logged and serves no Mesh key; a key whose line does not read or is not its UDF is left
 * out and logged.
 */
typedef gboolean (*MeshSshAgentKeysFunc)(gpointer data, MeshHive *hive, GPtrArray **ret_keys,
                                         GError **error);

/*
 * mesh_ssh_agent_set_mesh_keys: serve the keys @func lists (with @data, borrowed) besides the
 * ones added with ssh-add. A new handler has none: it serves added keys only.
 */
void mesh_ssh_agent_set_mesh_keys(MeshSshAgent *agent, MeshSshAgentKeysFunc func, gpointer data);

/* mesh_ssh_agent_set_askpass: the program asked to confirm each use of a key added with the
 * confirm constraint (NULL: none, and the constraint is refused). */
void mesh_ssh_agent_set_askpass(MeshSshAgent *agent, const char *program);

/*
 * mesh_ssh_agent_set_gate: check UNLOCK passphrases behind @gate (a reference is taken), the gate
 * the agent's other passphrase checks use, so that all of them share one failure delay. A new
 * handler has a gate of its own.
 */
void mesh_ssh_agent_set_gate(MeshSshAgent *agent, MeshPassGate *gate);

/*
 * Which program may use which key (the agent's policy, ipc/policy.h) and the record of each use
 * (its audit log): the guard meshagent sets. Each is told the caller (may be NULL: not known,
 * the fuzzer) and the key's UDF, on the connection's thread.
 */
typedef struct {
	/* offer: whether REQUEST_IDENTITIES lists the key to @caller (a key the caller may not
	 * use is not offered, so that ssh does not spend its attempts on it). Never waits for
	 * the user. */
	gboolean (*offer)(gpointer data, MeshCaller *caller, const char *udf);
	/* use: whether @caller may sign with the key now; may ask the user and wait for the
	 * answer, as long as @still_there (may be NULL) says the client is still connected.
	 * *@ret_decision: what decided, a static string for used(). FALSE refuses it (and
	 * records the refusal) with @error. */
	gboolean (*use)(gpointer data, MeshCaller *caller, const char *udf, const char *comment,
	                MeshPassGateWanted still_there, gpointer still_data,
	                const char **ret_decision, GError **error);
	/* used: the signature allowed by use() was made (@error NULL) or failed. */
	void (*used)(gpointer data, MeshCaller *caller, const char *udf, const char *decision,
	             const GError *error);
} MeshSshAgentGuard;

/* mesh_ssh_agent_set_guard: consult @guard (static; NULL: every key for every caller) with
 * @data (borrowed). */
void mesh_ssh_agent_set_guard(MeshSshAgent *agent, const MeshSshAgentGuard *guard, gpointer data);

/*
 * mesh_ssh_agent_handle: the answer (a message body without its length; never NULL) to the
 * request body of @len bytes at @msg (the caller wipes it afterwards: an ADD_IDENTITY holds a
 * private key). Failures are answered with SSH_AGENT_FAILURE (an extension's own failure with
 * SSH_AGENT_EXTENSION_FAILURE) and logged without key material.
 */
GBytes *mesh_ssh_agent_handle(MeshSshAgent *agent, const guint8 *msg, gsize len);

/*
 * mesh_ssh_agent_handle_from: as mesh_ssh_agent_handle, for @caller (may be NULL: not known),
 * a client that may go away while its UNLOCK waits at the passphrase gate: @still_there (with
 * @data) is asked while it waits, and when it answers FALSE the passphrase is not checked and
 * FAILURE is returned at once.
 */
GBytes *mesh_ssh_agent_handle_from(MeshSshAgent *agent, MeshCaller *caller, const guint8 *msg,
                                   gsize len, MeshPassGateWanted still_there, gpointer data);

/* mesh_ssh_agent_forget_keys: wipe the keys taken from the key store (they are asked for again
 * at the next signature); keys added with a lifetime stay. For MeshAgent's lock func. */
void mesh_ssh_agent_forget_keys(gpointer agent);

/*
 * mesh_ssh_agent_expire: forget the keys whose lifetime has ended, and return the number of
 * milliseconds until the next one ends (-1: no key has a lifetime), for the server's timer.
 * Lifetimes run on mesh_platform_boottime, and the answer is at most
 * MESH_PLATFORM_SLEEP_CHECK_MS: the server's timer does not count time asleep, so it must look
 * again soon after the machine resumes.
 */
gint64 mesh_ssh_agent_expire(MeshSshAgent *agent);

/*
 * mesh_ssh_agent_socket_path: the ssh-agent socket of the @kind hive's agent, whose own socket
 * is @agent_socket: $MESH_SSH_AGENT_SOCK when set, else the OS's choice
 * (mesh_platform_ssh_agent_address: "ssh-agent.sock" in the same folder on Linux,
 * \\.\pipe\openssh-ssh-agent for the production hive on Windows). A new string.
 */
char *mesh_ssh_agent_socket_path(MeshHiveKind kind, const char *agent_socket);

G_END_DECLS
