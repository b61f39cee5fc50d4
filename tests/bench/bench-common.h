/* SPDX-License-Identifier: MIT */
#pragma once

#include <mesh/client.h>

#include <glib.h>

/* What the benchmarks that talk to an agent share: a clock, a fatal error that stops the agent
 * they started, and starting and stopping that agent on a temporary test hive. */

/* Seconds on the monotonic clock. */
double bench_now(void);

/* Print "@prog: @what: <client's last error> (@code)" (without a @client: "@prog: @what", and
 * " (@code)" when it is not 0), stop the agent bench_start_agent started, exit 1. */
G_NORETURN void bench_die(const char *prog, const char *what, MeshClient *client, int code);

/* Start @agent in the foreground on a test hive under @dir (MMM_HOME=@dir/mmm, set in this
 * process too) listening on @sock; wait for the socket. */
void bench_start_agent(const char *prog, const char *agent, const char *dir, const char *sock);

/* Shut the started agent down through @client and wait for it; remove @dir (may be NULL). */
void bench_stop_agent(MeshClient *client, const char *dir);

/* bench_put_u32, bench_get_u32: big-endian 32-bit numbers, as the OpenSSH agent protocol frames
 * and encodes them. */
void bench_put_u32(guint8 *p, guint32 v);
guint32 bench_get_u32(const guint8 *p);

/* bench_transfer: write (@out) or read all @len bytes of @buf on @fd; FALSE at the end of the
 * stream or an error. */
gboolean bench_transfer(int fd, guint8 *buf, gsize len, gboolean out);

/* bench_socket_floor: round trips per second of 100 bytes between this process and a child over
 * a socketpair, @rounds of them: the floor of any request over a local socket, measured in the
 * same run as the figures beside it. */
double bench_socket_floor(const char *prog, long rounds);
