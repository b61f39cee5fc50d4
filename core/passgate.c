/* SPDX-License-Identifier: MIT */
#include "passgate.h"

/* How long a caller of try_enter waits while another check holds the gate: a check takes a
 * passphrase hash (tens of milliseconds), so this only bounds the polling. */
#define BUSY_RETRY_US (20 * 1000)

struct MeshPassGate {
	gint refs;
	GMutex lock; /* guards the members below */
	GCond changed;
	gboolean held;
	gboolean closed;
	guint failures;
	gint64 open_at; /* monotonic µs before which no check may start */
};

MeshPassGate *
mesh_pass_gate_new(void)
{
	MeshPassGate *gate = g_new0(MeshPassGate, 1);

	gate->refs = 1;
	g_mutex_init(&gate->lock);
	g_cond_init(&gate->changed);
	return gate;
}

MeshPassGate *
mesh_pass_gate_ref(MeshPassGate *gate)
{
	g_atomic_int_inc(&gate->refs);
	return gate;
}

void
mesh_pass_gate_unref(MeshPassGate *gate)
{
	if (gate == NULL || !g_atomic_int_dec_and_test(&gate->refs))
		return;
	g_cond_clear(&gate->changed);
	g_mutex_clear(&gate->lock);
	g_free(gate);
}

/* With the lock held: 0 and the gate taken, or the µs to wait. */
static gint64
try_enter_locked(MeshPassGate *gate)
{
	gint64 now = g_get_monotonic_time();

	if (gate->held)
		return BUSY_RETRY_US;
	if (now < gate->open_at)
		return gate->open_at - now;
	gate->held = TRUE;
	return 0;
}

gint64
mesh_pass_gate_delay_ms(guint failures)
{
	return MIN((gint64)failures * MESH_PASS_GATE_STEP_MS, MESH_PASS_GATE_MAX_MS);
}

gint64
mesh_pass_gate_try_enter(MeshPassGate *gate)
{
	gint64 wait;

	g_mutex_lock(&gate->lock);
	wait = try_enter_locked(gate);
	g_mutex_unlock(&gate->lock);
	return wait;
}

gboolean
mesh_pass_gate_enter(MeshPassGate *gate, MeshPassGateWanted wanted, gpointer data)
{
	gboolean entered = FALSE;

	g_mutex_lock(&gate->lock);
	while (!gate->closed) {
		gint64 wait = try_enter_locked(gate);

		if (wait == 0) {
			entered = TRUE;
			break;
		}
		if (wanted != NULL) {
			gboolean still;

			/* Asked without the lock: it may take its time (a poll()). */
			g_mutex_unlock(&gate->lock);
			still = wanted(data);
			g_mutex_lock(&gate->lock);
			if (!still)
				break;
			wait = MIN(wait, MESH_PASS_GATE_POLL_MS * 1000);
		}
		/* Woken early by a leave or a close. */
		g_cond_wait_until(&gate->changed, &gate->lock, g_get_monotonic_time() + wait);
	}
	g_mutex_unlock(&gate->lock);
	return entered;
}

void
mesh_pass_gate_leave(MeshPassGate *gate, MeshPassGateOutcome outcome)
{
	g_mutex_lock(&gate->lock);
	g_warn_if_fail(gate->held);
	gate->held = FALSE;
	if (outcome == MESH_PASS_GATE_RIGHT) {
		gate->failures = 0;
		gate->open_at = 0;
	} else if (outcome == MESH_PASS_GATE_WRONG) {
		if (gate->failures < G_MAXUINT)
			gate->failures++;
		gate->open_at =
		        g_get_monotonic_time() + mesh_pass_gate_delay_ms(gate->failures) * 1000;
	}
	g_cond_broadcast(&gate->changed);
	g_mutex_unlock(&gate->lock);
}

void
mesh_pass_gate_close(MeshPassGate *gate)
{
	g_mutex_lock(&gate->lock);
	gate->closed = TRUE;
	g_cond_broadcast(&gate->changed);
	g_mutex_unlock(&gate->lock);
}

guint
mesh_pass_gate_failures(MeshPassGate *gate)
{
	guint n;

	g_mutex_lock(&gate->lock);
	n = gate->failures;
	g_mutex_unlock(&gate->lock);
	return n;
}
