/* SPDX-License-Identifier: MIT */
/* The passphrase gate (core/passgate.h): one check at a time, a delay that grows with each wrong
 * passphrase and is cleared by a right one, a cap, waiters that give up when closed or no longer
 * wanted. */
#include "cutest.h"
#include "passgate.h"

static void
test_delay_grows_and_clears(void)
{
	g_autoptr(MeshPassGate) gate = mesh_pass_gate_new();
	gint64 wait;

	CU_ASSERT_EQUAL(mesh_pass_gate_try_enter(gate), 0);
	/* Held: nobody else gets in. */
	CU_ASSERT(mesh_pass_gate_try_enter(gate) > 0);
	mesh_pass_gate_leave(gate, MESH_PASS_GATE_WRONG);
	CU_ASSERT_EQUAL(mesh_pass_gate_failures(gate), 1);
	wait = mesh_pass_gate_try_enter(gate);
	CU_ASSERT(wait > 0 && wait <= MESH_PASS_GATE_STEP_MS * 1000);
	g_usleep((gulong)wait + 1000);
	CU_ASSERT_EQUAL(mesh_pass_gate_try_enter(gate), 0);
	mesh_pass_gate_leave(gate, MESH_PASS_GATE_WRONG);
	wait = mesh_pass_gate_try_enter(gate);
	CU_ASSERT(wait > MESH_PASS_GATE_STEP_MS * 1000 &&
	          wait <= 2 * MESH_PASS_GATE_STEP_MS * 1000);
	/* An undecided check changes nothing. */
	g_usleep((gulong)wait + 1000);
	CU_ASSERT_EQUAL(mesh_pass_gate_try_enter(gate), 0);
	mesh_pass_gate_leave(gate, MESH_PASS_GATE_UNDECIDED);
	CU_ASSERT_EQUAL(mesh_pass_gate_failures(gate), 2);
	CU_ASSERT_EQUAL(mesh_pass_gate_try_enter(gate), 0);
	/* A right passphrase clears the delay. */
	mesh_pass_gate_leave(gate, MESH_PASS_GATE_RIGHT);
	CU_ASSERT_EQUAL(mesh_pass_gate_failures(gate), 0);
	CU_ASSERT_EQUAL(mesh_pass_gate_try_enter(gate), 0);
	mesh_pass_gate_leave(gate, MESH_PASS_GATE_RIGHT);
}

static void
test_cap(void)
{
	CU_ASSERT_EQUAL(mesh_pass_gate_delay_ms(0), 0);
	CU_ASSERT_EQUAL(mesh_pass_gate_delay_ms(1), MESH_PASS_GATE_STEP_MS);
	CU_ASSERT_EQUAL(mesh_pass_gate_delay_ms(5), 5 * MESH_PASS_GATE_STEP_MS);
	CU_ASSERT_EQUAL(mesh_pass_gate_delay_ms(MESH_PASS_GATE_MAX_MS / MESH_PASS_GATE_STEP_MS),
	                MESH_PASS_GATE_MAX_MS);
	CU_ASSERT_EQUAL(mesh_pass_gate_delay_ms(1000), MESH_PASS_GATE_MAX_MS);
	CU_ASSERT_EQUAL(mesh_pass_gate_delay_ms(G_MAXUINT), MESH_PASS_GATE_MAX_MS);
}

static gboolean
never(gpointer data)
{
	g_atomic_int_inc((gint *)data);
	return FALSE;
}

typedef struct {
	MeshPassGate *gate;
	gboolean entered;
} Waiter;

static gpointer
wait_thread(gpointer data)
{
	Waiter *w = data;

	w->entered = mesh_pass_gate_enter(w->gate, NULL, NULL);
	if (w->entered)
		mesh_pass_gate_leave(w->gate, MESH_PASS_GATE_UNDECIDED);
	return NULL;
}

static void
test_enter_gives_up(void)
{
	g_autoptr(MeshPassGate) gate = mesh_pass_gate_new();
	Waiter w = {gate, TRUE};
	GThread *thread;
	gint asked = 0;
	gint64 start;

	/* A held gate: a waiter nobody wants any more gives up at once. */
	CU_ASSERT_EQUAL(mesh_pass_gate_try_enter(gate), 0);
	start = g_get_monotonic_time();
	CU_ASSERT_FALSE(mesh_pass_gate_enter(gate, never, &asked));
	CU_ASSERT_EQUAL(asked, 1);
	CU_ASSERT(g_get_monotonic_time() - start < 50 * 1000);
	/* A waiter is let in when the holder leaves. */
	thread = g_thread_new("waiter", wait_thread, &w);
	g_usleep(30 * 1000);
	mesh_pass_gate_leave(gate, MESH_PASS_GATE_RIGHT);
	g_thread_join(thread);
	CU_ASSERT_TRUE(w.entered);
	/* Closing wakes a waiter and refuses everyone after it. */
	CU_ASSERT_EQUAL(mesh_pass_gate_try_enter(gate), 0);
	w.entered = TRUE;
	thread = g_thread_new("waiter", wait_thread, &w);
	g_usleep(30 * 1000);
	start = g_get_monotonic_time();
	mesh_pass_gate_close(gate);
	g_thread_join(thread);
	CU_ASSERT_FALSE(w.entered);
	CU_ASSERT(g_get_monotonic_time() - start < 500 * 1000);
	CU_ASSERT_FALSE(mesh_pass_gate_enter(gate, NULL, NULL));
	mesh_pass_gate_leave(gate, MESH_PASS_GATE_UNDECIDED);
}

static CU_TestInfo tests[] = {
        {"the delay grows with wrong passphrases and a right one clears it",
         test_delay_grows_and_clears},
        {"the delay is capped", test_cap},
        {"waiters give up when closed or no longer wanted", test_enter_gives_up},
        CU_TEST_INFO_NULL,
};

int
main(void)
{
	return mesh_test_main("passgate", tests);
}
