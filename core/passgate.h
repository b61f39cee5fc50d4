/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * MeshPassGate: the one gate every passphrase check of an agent goes through (the Mesh agent's
 * Unlock, the ssh-agent socket's UNLOCK). A check enters the gate before it hashes the
 * passphrase, and only when no other check holds it and the delay earned by the failures so far
 * has passed; it leaves saying whether the passphrase was right. Each wrong passphrase adds
 * MESH_PASS_GATE_STEP_MS to the delay, up to MESH_PASS_GATE_MAX_MS; a right one clears it.
 *
 * Why one gate: a delay per connection is no delay at all to a guesser that opens many
 * connections, and checks that run side by side multiply the guesses a second. Behind the gate
 * the whole agent answers at most one guess per delay, however many connections ask, and a
 * guess that waits costs the agent no work.
 *
 * Thread-safe. The delays run on the monotonic clock.
 */

#define MESH_PASS_GATE_STEP_MS 100
#define MESH_PASS_GATE_MAX_MS  2000
#define MESH_PASS_GATE_POLL_MS 100

typedef struct MeshPassGate MeshPassGate;

typedef enum {
	MESH_PASS_GATE_RIGHT,     /* the passphrase was right: the delay is cleared */
	MESH_PASS_GATE_WRONG,     /* it was wrong: the delay grows */
	MESH_PASS_GATE_UNDECIDED, /* the check could not tell (an I/O error): nothing changes */
} MeshPassGateOutcome;

/* mesh_pass_gate_new: an open gate with no delay. */
MeshPassGate *mesh_pass_gate_new(void);
MeshPassGate *mesh_pass_gate_ref(MeshPassGate *gate);
/* mesh_pass_gate_unref: accepts NULL. */
void mesh_pass_gate_unref(MeshPassGate *gate);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshPassGate, mesh_pass_gate_unref)

/*
 * mesh_pass_gate_try_enter: 0 when the caller now holds the gate (it must call
 * mesh_pass_gate_leave once it knows the outcome); otherwise the microseconds to wait before
 * trying again (at least 1), and the caller does not hold it. For callers that must not block
 * (a main loop: retry from a timeout).
 */
gint64 mesh_pass_gate_try_enter(MeshPassGate *gate);

/* Whether the check waiting at the gate is still wanted (its client has not gone away). */
typedef gboolean (*MeshPassGateWanted)(gpointer data);

/*
 * mesh_pass_gate_enter: wait until the caller holds the gate. While it waits, @wanted (when not
 * NULL) is asked with @data at least every MESH_PASS_GATE_POLL_MS: a check nobody waits for any
 * more gives up, so that guesses whose clients have gone do not hold the gate for those who come
 * after them. Returns FALSE, not holding it, when the gate is closed (mesh_pass_gate_close)
 * before or while it waits, or when @wanted answers FALSE.
 */
gboolean mesh_pass_gate_enter(MeshPassGate *gate, MeshPassGateWanted wanted, gpointer data);

/* mesh_pass_gate_leave: give the gate back with the @outcome of the check. */
void mesh_pass_gate_leave(MeshPassGate *gate, MeshPassGateOutcome outcome);

/* mesh_pass_gate_close: wake every waiter of mesh_pass_gate_enter and make it, and every later
 * call, fail: for shutting down. mesh_pass_gate_try_enter is unaffected. */
void mesh_pass_gate_close(MeshPassGate *gate);

/* mesh_pass_gate_delay_ms: the delay after @failures wrong passphrases in a row. */
gint64 mesh_pass_gate_delay_ms(guint failures);

/* mesh_pass_gate_failures: the wrong passphrases since the last right one. */
guint mesh_pass_gate_failures(MeshPassGate *gate);

G_END_DECLS
